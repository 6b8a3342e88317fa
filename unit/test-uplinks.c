// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: nfconnd as a connection manager for two wired uplinks with
 * real peers (dnsmasq for DHCPv4 and router advertisements, an HTTP server
 * for the online check), checked through D-Bus and the kernel's own view. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "uplinks.h"

#define SERVICE "net.connman.Service"

typedef struct {
	Uplinks u;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, data);
	uplinks_start_nfconnd(&f->u);
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

static char *ipv4_field(Fixture *f, const char *id, const char *key)
{
	g_autoptr(GVariant) v4 = uplinks_service_property(&f->u, id, "IPv4");
	const char *s = NULL;

	if (!v4 || !g_variant_lookup(v4, key, "&s", &s))
		return NULL;
	return g_strdup(s);
}

static void set_property(Fixture *f, const char *id, const char *name, GVariant *value,
			 GError **error)
{
	g_autofree char *path = g_strdup_printf("/net/connman/service/%s", id);
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, path, SERVICE, "SetProperty",
					     g_variant_new("(sv)", name, value), error);
}

static char *top_service(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	const char *path;

	g_assert_cmpuint(g_variant_n_children(list), >, 0);
	g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
	return g_strdup(strrchr(path, '/') + 1);
}

typedef struct {
	Fixture *f;
	const char *id;
} ServiceWait;

static gboolean service_on_top(gpointer data)
{
	ServiceWait *w = data;
	g_autofree char *top = top_service(w->f);

	return g_str_equal(top, w->id);
}

/* A service that must not connect by itself stays idle: autoconnect
 * happens on events (the service appears, the technology is enabled)
 * and no event tells that it was decided against, so watch the service
 * for a while: no State change, still idle at the end. */
static void assert_stays_idle(Fixture *f, const char *id, guint ms)
{
	g_autoptr(NfcLabSignals) sig = nfc_lab_signals_new(f->u.lab, SERVICE, "PropertyChanged");
	g_autoptr(GVariant) state = NULL;

	/* a call after the subscription: its reply means the bus has it */
	state = uplinks_service_property(&f->u, id, "State");
	g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "idle");
	nfc_lab_observe_for(ms);
	for (;;) {
		g_autofree char *path = NULL;
		g_autoptr(GVariant) p = nfc_lab_signals_pop(sig, 0, &path);
		const char *name;

		if (!p)
			break;
		g_variant_get(p, "(&sv)", &name, NULL);
		if (g_str_has_suffix(path, id))
			g_assert_cmpstr(name, !=, "State");
	}
	uplinks_wait_property(&f->u, id, "State", "idle", 0);
}

static void test_online(Fixture *f, gconstpointer data)
{
	g_autofree char *id0 = uplinks_service_id(&f->u, 0);
	g_autofree char *id1 = uplinks_service_id(&f->u, 1);
	g_autofree char *addr0 = NULL, *addr1 = NULL, *gw0 = NULL, *mask0 = NULL;
	g_autofree char *routes = NULL, *resolv = NULL, *kernel_addr = NULL, *top = NULL;
	g_autoptr(GVariant) state = NULL, techs = NULL, ns = NULL, eth = NULL;
	g_autoptr(GError) error = NULL;
	const char *method = NULL;
	gboolean connected = FALSE;

	uplinks_wait_services(&f->u, 2, "online", 20000);

	addr0 = ipv4_field(f, id0, "Address");
	addr1 = ipv4_field(f, id1, "Address");
	gw0 = ipv4_field(f, id0, "Gateway");
	mask0 = ipv4_field(f, id0, "Netmask");
	g_assert_true(g_str_has_prefix(addr0, "198.51.100."));
	g_assert_cmpint(atoi(strrchr(addr0, '.') + 1), >=, 50);
	g_assert_cmpint(atoi(strrchr(addr0, '.') + 1), <=, 99);
	g_assert_cmpint(atoi(strrchr(addr1, '.') + 1), >=, 150);
	g_assert_cmpstr(gw0, ==, "198.51.100.1");
	g_assert_cmpstr(mask0, ==, "255.255.255.128");
	{
		g_autoptr(GVariant) v4 = uplinks_service_property(&f->u, id0, "IPv4");

		g_assert_true(g_variant_lookup(v4, "Method", "&s", &method));
		g_assert_cmpstr(method, ==, "dhcp");
	}
	/* the kernel agrees */
	kernel_addr = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 -br addr show uplink0");
	g_assert_nonnull(strstr(kernel_addr, addr0));

	/* the lease's, then the router's own from its advertisements (RDNSS,
	 * every 3 s): dnsmasq names its link-local address, scoped to the link */
	for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;;) {
		g_clear_pointer(&ns, g_variant_unref);
		ns = uplinks_service_property(&f->u, id0, "Nameservers");
		if (g_variant_n_children(ns) >= 2 || g_get_monotonic_time() > end)
			break;
		g_usleep(50 * 1000);
	}
	g_assert_cmpuint(g_variant_n_children(ns), ==, 2);
	{
		g_autofree const char **list = g_variant_get_strv(ns, NULL);

		g_assert_cmpstr(list[0], ==, "198.51.100.53");
		g_assert_true(g_str_has_prefix(list[1], "fe80::") &&
			      g_str_has_suffix(list[1], "%uplink0"));
	}
	eth = uplinks_service_property(&f->u, id0, "Ethernet");
	{
		const char *ifname = NULL;

		g_assert_true(g_variant_lookup(eth, "Interface", "&s", &ifname));
		g_assert_cmpstr(ifname, ==, "uplink0");
	}

	/* Manager and Technology */
	state = nfc_lab_call(f->u.lab, "/", "net.connman.Manager", "GetProperties", NULL, &error);
	g_assert_no_error(error);
	{
		g_autoptr(GVariant) props = g_variant_get_child_value(state, 0);
		const char *s = NULL;

		g_assert_true(g_variant_lookup(props, "State", "&s", &s));
		g_assert_cmpstr(s, ==, "online");
	}
	techs = nfc_lab_call(f->u.lab, "/", "net.connman.Manager", "GetTechnologies", NULL, &error);
	g_assert_no_error(error);
	{
		g_autoptr(GVariant) list = g_variant_get_child_value(techs, 0);
		g_autoptr(GVariant) props = NULL;
		const char *path;

		g_assert_cmpuint(g_variant_n_children(list), ==, 1);
		g_variant_get_child(list, 0, "(&o@a{sv})", &path, &props);
		g_assert_cmpstr(path, ==, "/net/connman/technology/ethernet");
		g_assert_true(g_variant_lookup(props, "Connected", "b", &connected));
		g_assert_true(connected);
	}

	/* one default route per uplink, the top service's lowest */
	top = top_service(f);
	routes = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 route show default");
	g_test_message("routes:\n%s", routes);
	g_assert_nonnull(strstr(routes, "via 198.51.100.1 dev uplink0"));
	g_assert_nonnull(strstr(routes, "via 198.51.100.129 dev uplink1"));
	if (g_str_equal(top, id0))
		g_assert_true(g_str_has_prefix(routes, "default via 198.51.100.1 dev uplink0"));
	else
		g_assert_true(g_str_has_prefix(routes, "default via 198.51.100.129 dev uplink1"));

	/* resolv.conf follows the default service */
	resolv = nfc_lab_sh_output(f->u.lab, NULL, "cat %s/resolv.conf", nfc_lab_run_dir(f->u.lab));
	g_assert_nonnull(strstr(resolv, g_str_equal(top, id0) ? "nameserver 198.51.100.53"
							      : "nameserver 198.51.100.153"));
	g_assert_nonnull(strstr(resolv, g_str_equal(top, id0) ? "search one.example"
							      : "search two.example"));
}

static bool service_present(Fixture *f, const char *id)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);

	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		const char *path;

		g_variant_get_child(list, i, "(&o@a{sv})", &path, NULL);
		if (g_str_equal(strrchr(path, '/') + 1, id))
			return true;
	}
	return false;
}

static void test_failover(Fixture *f, gconstpointer data)
{
	g_autoptr(NfcLabSignals) sig = NULL;
	g_autoptr(GVariant) changed = NULL;
	g_autofree char *top = NULL, *routes = NULL, *resolv = NULL;
	g_autofree char *id0 = uplinks_service_id(&f->u, 0);
	int top_i;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	top = top_service(f);
	top_i = g_str_equal(top, id0) ? 0 : 1;
	sig = nfc_lab_signals_new(f->u.lab, "net.connman.Manager", "ServicesChanged");

	/* traffic moves to the other uplink (the kernel ignores routes
	 * through a link without carrier; nfconnd then tidies up) */
	uplinks_set_carrier(&f->u, top_i, false);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 3000,
			"ip -4 route get " UPLINK_SERVER4 " | grep -q 'dev uplink%d'", 1 - top_i);

	/* ServicesChanged says the service is gone */
	for (int i = 0; i < 10; i++) {
		g_autoptr(GVariant) p = nfc_lab_signals_pop(sig, 3000, NULL);
		g_autoptr(GVariant) removed = NULL;

		g_assert_nonnull(p);
		removed = g_variant_get_child_value(p, 1);
		if (g_variant_n_children(removed) == 1) {
			const char *path;

			g_variant_get_child(removed, 0, "&o", &path);
			g_assert_cmpstr(strrchr(path, '/') + 1, ==, top);
			break;
		}
		g_assert_cmpint(i, <, 9);
	}
	g_assert_false(service_present(f, top));
	uplinks_wait_services(&f->u, 1, "online", 5000);
	routes = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 route show default");
	g_assert_null(strstr(routes, top_i == 0 ? "uplink0" : "uplink1"));
	g_assert_nonnull(strstr(routes, top_i == 0 ? "uplink1" : "uplink0"));
	resolv = nfc_lab_sh_output(f->u.lab, NULL, "cat %s/resolv.conf", nfc_lab_run_dir(f->u.lab));
	g_assert_nonnull(strstr(resolv, top_i == 0 ? "198.51.100.153" : "198.51.100.53"));

	/* carrier back: the service returns, and the order with it */
	uplinks_set_carrier(&f->u, top_i, true);
	uplinks_wait_services(&f->u, 2, "online", 20000);
	{
		g_autofree char *again = top_service(f);

		g_assert_cmpstr(again, ==, top);
	}
}

static void test_manual_ipv4(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 0);
	g_autofree char *addr = NULL, *kernel = NULL, *addr2 = NULL, *settings = NULL;
	g_autoptr(GError) error = NULL;
	GVariantBuilder b;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Method", g_variant_new_string("manual"));
	g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string("198.51.100.20"));
	g_variant_builder_add(&b, "{sv}", "Netmask", g_variant_new_string("255.255.255.128"));
	g_variant_builder_add(&b, "{sv}", "Gateway", g_variant_new_string("198.51.100.1"));
	set_property(f, id, "IPv4.Configuration", g_variant_builder_end(&b), &error);
	g_assert_no_error(error);
	uplinks_wait_property(&f->u, id, "State", "online", 15000);
	addr = ipv4_field(f, id, "Address");
	g_assert_cmpstr(addr, ==, "198.51.100.20");
	kernel = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 -br addr show uplink0");
	g_assert_nonnull(strstr(kernel, "198.51.100.20/25"));
	/* only the manual address: the lease's is gone */
	g_assert_null(strstr(kernel, "198.51.100.5"));
	settings = nfc_lab_sh_output(f->u.lab, NULL, "cat %s/%s/settings",
				     nfc_lab_state_dir(f->u.lab), id);
	g_assert_nonnull(strstr(settings, "IPv4.method=manual"));
	g_assert_nonnull(strstr(settings, "IPv4.local_address=198.51.100.20"));

	/* bad values are refused and change nothing */
	{
		static const char *const bad[][2] = {
			{ "Method", "fixed" }, { "Address", "300.1.1.1" }, { "Netmask", "255.0.255.0" },
		};
		for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
			g_autoptr(GError) e = NULL;
			g_autofree char *remote = NULL;

			g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
			g_variant_builder_add(&b, "{sv}", "Method", g_variant_new_string(
				g_str_equal(bad[i][0], "Method") ? bad[i][1] : "manual"));
			g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(
				g_str_equal(bad[i][0], "Address") ? bad[i][1] : "198.51.100.21"));
			g_variant_builder_add(&b, "{sv}", "Netmask", g_variant_new_string(
				g_str_equal(bad[i][0], "Netmask") ? bad[i][1] : "255.255.255.128"));
			set_property(f, id, "IPv4.Configuration", g_variant_builder_end(&b), &e);
			g_assert_nonnull(e);
			remote = g_dbus_error_get_remote_error(e);
			g_assert_cmpstr(remote, ==, "net.connman.Error.InvalidArguments");
		}
		g_free(addr2);
		addr2 = ipv4_field(f, id, "Address");
		g_assert_cmpstr(addr2, ==, "198.51.100.20");
	}

	/* and back to DHCP */
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Method", g_variant_new_string("dhcp"));
	set_property(f, id, "IPv4.Configuration", g_variant_builder_end(&b), &error);
	g_assert_no_error(error);
	/* online, and with the lease: it can be online over IPv6 first */
	uplinks_wait_services(&f->u, 2, "online", 15000);
	g_free(addr2);
	addr2 = ipv4_field(f, id, "Address");
	g_assert_nonnull(addr2);
	g_assert_cmpint(atoi(strrchr(addr2, '.') + 1), >=, 50);
	g_assert_cmpint(atoi(strrchr(addr2, '.') + 1), <=, 99);
}

static void test_disconnect_connect(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 1);
	g_autofree char *path = g_strdup_printf("/net/connman/service/%s", id);
	g_autofree char *kernel = NULL, *log = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r1 = NULL, r2 = NULL, r3 = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	r1 = nfc_lab_call(f->u.lab, path, SERVICE, "Disconnect", NULL, &error);
	g_assert_no_error(error);
	uplinks_wait_property(&f->u, id, "State", "idle", 5000);
	kernel = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 -br addr show uplink1");
	g_assert_null(strstr(kernel, "198.51.100."));
	/* the lease was given back */
	nfc_lab_wait_sh(f->u.lab, NULL, 5000, "grep -q DHCPRELEASE %s/dnsmasq-*-r1.log",
			nfc_lab_dir(f->u.lab));

	/* a disconnected service stays down (no autoconnect) ... */
	assert_stays_idle(f, id, 500);
	/* ... until Connect */
	r2 = nfc_lab_call(f->u.lab, path, SERVICE, "Connect", NULL, &error);
	g_assert_no_error(error);
	uplinks_wait_property(&f->u, id, "State", "online", 15000);
	/* connecting a connected service */
	r3 = nfc_lab_call(f->u.lab, path, SERVICE, "Connect", NULL, &error);
	g_assert_null(r3);
	{
		g_autofree char *remote = g_dbus_error_get_remote_error(error);

		g_assert_cmpstr(remote, ==, "net.connman.Error.AlreadyConnected");
	}
}

static void test_persistence(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 0);
	const char *servers[] = { "198.51.100.250", "2001:db8::53", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ns = NULL, ac = NULL, ns_effective = NULL;
	g_autofree char *kernel = NULL;
	g_autofree char *remote = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	set_property(f, id, "Nameservers.Configuration", g_variant_new_strv(servers, -1), &error);
	g_assert_no_error(error);
	set_property(f, id, "AutoConnect", g_variant_new_boolean(FALSE), &error);
	g_assert_no_error(error);
	/* invalid input is refused */
	{
		const char *bad[] = { "not-an-address", NULL };

		set_property(f, id, "Nameservers.Configuration", g_variant_new_strv(bad, -1), &error);
		g_assert_nonnull(error);
		remote = g_dbus_error_get_remote_error(error);
		g_assert_cmpstr(remote, ==, "net.connman.Error.InvalidArguments");
		g_clear_error(&error);
		set_property(f, id, "AutoConnect", g_variant_new_string("yes"), &error);
		g_assert_nonnull(error);
		g_clear_error(&error);
		set_property(f, id, "NoSuchProperty", g_variant_new_string("yes"), &error);
		g_free(remote);
		remote = g_dbus_error_get_remote_error(error);
		g_assert_cmpstr(remote, ==, "net.connman.Error.InvalidProperty");
		g_clear_error(&error);
	}

	uplinks_stop_nfconnd(&f->u);
	/* nothing of ours stays on the links: no address, no default route */
	kernel = nfc_lab_sh_output(f->u.lab, f->u.host,
				   "ip -4 addr show scope global; ip -4 route show default");
	g_assert_cmpstr(kernel, ==, "");

	uplinks_start_nfconnd(&f->u);
	/* uplink1 autoconnects; uplink0 (AutoConnect=false) stays idle */
	{
		g_autofree char *id1 = uplinks_service_id(&f->u, 1);

		uplinks_wait_property(&f->u, id1, "State", "online", 20000);
	}
	assert_stays_idle(f, id, 500);
	ns = uplinks_service_property(&f->u, id, "Nameservers.Configuration");
	g_assert_cmpuint(g_variant_n_children(ns), ==, 2);
	ac = uplinks_service_property(&f->u, id, "AutoConnect");
	g_assert_false(g_variant_get_boolean(ac));
	/* connected, its configured nameservers are the effective ones */
	{
		g_autofree char *path = g_strdup_printf("/net/connman/service/%s", id);
		g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, path, SERVICE, "Connect", NULL, &error);

		g_assert_no_error(error);
	}
	uplinks_wait_property(&f->u, id, "State", "online", 15000);
	ns_effective = uplinks_service_property(&f->u, id, "Nameservers");
	g_assert_cmpuint(g_variant_n_children(ns_effective), ==, 2);
}

/* A settings file changed behind the daemon's back is validated as
 * SetProperty validates: only its valid entries survive, and nothing of
 * the rest reaches resolv.conf. */
static void test_hostile_settings(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 0);
	g_autofree char *dir = NULL, *file = NULL, *text = NULL, *resolv = NULL, *method = NULL;
	g_autoptr(GVariant) ns = NULL, dom = NULL, v4 = NULL;
	g_autoptr(GError) error = NULL;
	const char *want_ns[] = { "198.51.100.250", NULL };
	const char *want_dom[] = { "good.example", NULL };

	uplinks_wait_services(&f->u, 2, "online", 20000);
	uplinks_stop_nfconnd(&f->u);
	dir = g_build_filename(nfc_lab_state_dir(f->u.lab), id, NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	file = g_build_filename(dir, "settings", NULL);
	text = g_strdup_printf("[%s]\n"
			       "IPv4.method=manual\n"
			       "IPv4.local_address=garbage\n"
			       "IPv4.netmask_prefixlen=24\n"
			       "Nameservers=garbage;198.51.100.250;192.0.2.1\\noptions ndots:15;\n"
			       "Domains=good.example;evil.example\\noptions ndots:15;a b;\n", id);
	g_assert_true(g_file_set_contents(file, text, -1, &error));
	/* uplink0 alone, so resolv.conf is its */
	uplinks_set_carrier(&f->u, 1, false);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_property(&f->u, id, "State", "online", 20000);
	ns = uplinks_service_property(&f->u, id, "Nameservers.Configuration");
	dom = uplinks_service_property(&f->u, id, "Domains.Configuration");
	{
		g_autofree const char **got_ns = g_variant_get_strv(ns, NULL);
		g_autofree const char **got_dom = g_variant_get_strv(dom, NULL);

		g_assert_cmpstrv(got_ns, want_ns);
		g_assert_cmpstrv(got_dom, want_dom);
	}
	/* the bad manual IPv4 fell back to dhcp */
	v4 = uplinks_service_property(&f->u, id, "IPv4.Configuration");
	g_assert_true(g_variant_lookup(v4, "Method", "s", &method));
	g_assert_cmpstr(method, ==, "dhcp");
	nfc_lab_wait_sh(f->u.lab, NULL, 5000, "grep -qx 'nameserver 198.51.100.250' %s/resolv.conf",
			nfc_lab_run_dir(f->u.lab));
	resolv = nfc_lab_sh_output(f->u.lab, NULL, "cat %s/resolv.conf", nfc_lab_run_dir(f->u.lab));
	g_assert_cmpstr(resolv, ==, "# Generated by nfconnd\n"
				    "search good.example\n"
				    "nameserver 198.51.100.250\n");
}

static gboolean has_ipv6_address(gpointer data)
{
	ServiceWait *w = data;
	g_autoptr(GVariant) v6 = uplinks_service_property(&w->f->u, w->id, "IPv6");

	return v6 && g_variant_lookup(v6, "Address", "&s", NULL) &&
	       g_variant_lookup(v6, "Method", "&s", NULL);
}

static void test_ipv6_slaac(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 0);
	ServiceWait w = { f, id };
	const char *addr = NULL, *method = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	g_assert_true(nfc_lab_wait_for(has_ipv6_address, &w, 20000));
	{
		g_autoptr(GVariant) v6 = uplinks_service_property(&f->u, id, "IPv6");

		g_assert_true(g_variant_lookup(v6, "Address", "&s", &addr));
		g_assert_true(g_variant_lookup(v6, "Method", "&s", &method));
		g_assert_true(g_str_has_prefix(addr, "2001:db8:a:"));
		g_assert_cmpstr(method, ==, "auto");
	}
	{
		g_autofree char *kernel = nfc_lab_sh_output(f->u.lab, f->u.host,
							    "ip -6 -br addr show uplink0 scope global");

		g_assert_nonnull(strstr(kernel, "2001:db8:a:"));
	}
}

static void test_renew(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 0);
	g_autofree char *addr = NULL, *addr2 = NULL;
	g_autoptr(NfcLabSignals) sig = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	addr = ipv4_field(f, id, "Address");
	sig = nfc_lab_signals_new(f->u.lab, SERVICE, "PropertyChanged");
	/* T1 is 10 s: within 25 s the lease is renewed by unicast at least once */
	nfc_lab_wait_sh(f->u.lab, NULL, 25000,
			"test $(grep -c 'DHCPACK(r0) %s' %s/dnsmasq-*-r0.log) -ge 2",
			addr, nfc_lab_dir(f->u.lab));
	/* the same address, still online, and no state change on the way */
	addr2 = ipv4_field(f, id, "Address");
	g_assert_cmpstr(addr2, ==, addr);
	uplinks_wait_property(&f->u, id, "State", "online", 100);
	for (;;) {
		g_autoptr(GVariant) p = NULL;
		g_autofree char *path = NULL;
		const char *name;

		p = nfc_lab_signals_pop(sig, 100, &path);
		if (!p)
			break;
		g_variant_get(p, "(&sv)", &name, NULL);
		if (g_str_has_suffix(path, id))
			g_assert_cmpstr(name, !=, "State");
	}
}

static void test_move(Fixture *f, gconstpointer data)
{
	g_autofree char *top = NULL, *other = NULL;
	g_autofree char *top_path = NULL, *other_path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r1 = NULL, r2 = NULL, bad = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	top = top_service(f);
	{
		g_autofree char *id0 = uplinks_service_id(&f->u, 0);
		g_autofree char *id1 = uplinks_service_id(&f->u, 1);

		other = g_strdup(g_str_equal(top, id0) ? id1 : id0);
	}
	top_path = g_strdup_printf("/net/connman/service/%s", top);
	other_path = g_strdup_printf("/net/connman/service/%s", other);

	/* the user puts the other service first: the order and the default
	 * route follow */
	r1 = nfc_lab_call(f->u.lab, other_path, SERVICE, "MoveBefore",
			  g_variant_new("(o)", top_path), &error);
	g_assert_no_error(error);
	g_assert_true(nfc_lab_wait_for(service_on_top, &(ServiceWait){ f, other }, 5000));
	{
		g_autoptr(GVariant) eth = uplinks_service_property(&f->u, other, "Ethernet");
		const char *dev = NULL;

		g_assert_true(g_variant_lookup(eth, "Interface", "&s", &dev));
		nfc_lab_wait_sh(f->u.lab, f->u.host, 5000,
				"ip -4 route show default | head -1 | grep -qF 'dev %s'", dev);
	}
	/* and back with MoveAfter */
	r2 = nfc_lab_call(f->u.lab, other_path, SERVICE, "MoveAfter",
			  g_variant_new("(o)", top_path), &error);
	g_assert_no_error(error);
	g_assert_true(nfc_lab_wait_for(service_on_top, &(ServiceWait){ f, top }, 5000));
	/* an unknown target */
	bad = nfc_lab_call(f->u.lab, other_path, SERVICE, "MoveBefore",
			   g_variant_new("(o)", "/net/connman/service/nosuch"), &error);
	g_assert_null(bad);
	{
		g_autofree char *remote = g_dbus_error_get_remote_error(error);

		g_assert_cmpstr(remote, ==, "net.connman.Error.InvalidService");
	}
}

static void test_offline_mode(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = NULL, r2 = NULL, tech = NULL;
	g_autofree char *links = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	r = nfc_lab_call(f->u.lab, "/", "net.connman.Manager", "SetProperty",
			 g_variant_new("(sv)", "OfflineMode", g_variant_new_boolean(TRUE)), &error);
	g_assert_no_error(error);
	uplinks_wait_services(&f->u, 0, "online", 5000);
	links = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -br link show uplink0");
	g_assert_nonnull(strstr(links, "DOWN"));
	tech = nfc_lab_call(f->u.lab, "/net/connman/technology/ethernet", "net.connman.Technology",
			    "GetProperties", NULL, &error);
	g_assert_no_error(error);
	{
		g_autoptr(GVariant) props = g_variant_get_child_value(tech, 0);
		gboolean powered = TRUE;

		g_assert_true(g_variant_lookup(props, "Powered", "b", &powered));
		g_assert_false(powered);
	}
	r2 = nfc_lab_call(f->u.lab, "/", "net.connman.Manager", "SetProperty",
			  g_variant_new("(sv)", "OfflineMode", g_variant_new_boolean(FALSE)), &error);
	g_assert_no_error(error);
	uplinks_wait_services(&f->u, 2, "online", 20000);
}

static void test_technology_power(Fixture *f, gconstpointer data)
{
	const char *tp = "/net/connman/technology/ethernet";
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = NULL, r2 = NULL, r3 = NULL;
	g_autofree char *remote = NULL;

	uplinks_wait_services(&f->u, 2, "online", 20000);
	r = nfc_lab_call(f->u.lab, tp, "net.connman.Technology", "SetProperty",
			 g_variant_new("(sv)", "Powered", g_variant_new_boolean(TRUE)), &error);
	g_assert_null(r);
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, "net.connman.Error.AlreadyEnabled");
	g_clear_error(&error);

	r2 = nfc_lab_call(f->u.lab, tp, "net.connman.Technology", "SetProperty",
			  g_variant_new("(sv)", "Powered", g_variant_new_boolean(FALSE)), &error);
	g_assert_no_error(error);
	uplinks_wait_services(&f->u, 0, "online", 5000);
	r3 = nfc_lab_call(f->u.lab, tp, "net.connman.Technology", "SetProperty",
			  g_variant_new("(sv)", "Powered", g_variant_new_boolean(TRUE)), &error);
	g_assert_no_error(error);
	uplinks_wait_services(&f->u, 2, "online", 20000);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, conf) g_test_add(path, Fixture, conf, setup, fn, teardown)
	ADD("/uplinks/online", test_online, NULL);
	ADD("/uplinks/failover", test_failover, NULL);
	ADD("/uplinks/manual-ipv4", test_manual_ipv4, NULL);
	ADD("/uplinks/disconnect-connect", test_disconnect_connect, NULL);
	ADD("/uplinks/persistence", test_persistence, NULL);
	ADD("/uplinks/hostile-settings", test_hostile_settings, NULL);
	ADD("/uplinks/ipv6-slaac", test_ipv6_slaac, NULL);
	ADD("/uplinks/renew", test_renew, NULL);
	ADD("/uplinks/move", test_move, NULL);
	ADD("/uplinks/offline-mode", test_offline_mode, NULL);
	ADD("/uplinks/technology-power", test_technology_power, NULL);
	return g_test_run();
}
