// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: Proxy and mDNS settings through Debian's connmanctl,
 * unmodified, against nfconnd with two uplinks whose routers' dnsmasq
 * hand out a proxy autoconfig URL (DHCP option 252).
 *   /proxy/connmanctl: config --proxy direct|manual|auto, what `services`
 *     shows, PropertyChanged, refusals with their reason, a restart that
 *     keeps the configuration, the DHCP URL when none is configured, and
 *     --mdns without systemd-resolved (NotSupported, with the reason).
 *   /mdns/resolved: --mdns with Debian's real systemd-resolved on the lab
 *     bus (unpacked by tools/setup-deps, not installed; skipped without it).
 *   /mdns/standin: the same with a STAND-IN (unit/resolved-standin.c: the
 *     calls nfconnd makes, answered as resolved answers them), so that the
 *     hand-off is tested where systemd-resolved is not at hand. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "uplinks.h"

#define TIMEOUT_MS 30000
#define DHCP_URL "http://wpad.lab.example/wpad.dat"
#define STANDIN NFC_BUILD_ROOT "/unit/resolved-standin"

typedef struct {
	Uplinks u;
	char *id;
	char *path;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	/* no shell between: dnsmasq would send quotes as part of the URL */
	UplinksOptions o = { .router_dnsmasq = "--dhcp-option=252," DHCP_URL };

	if (!g_file_test("/usr/bin/connmanctl", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("connmanctl is not installed");
		return;
	}
	uplinks_setup_with(&f->u, &o);
	uplinks_start_nfconnd(&f->u);
	f->id = uplinks_service_id(&f->u, 0);
	f->path = g_strdup_printf("/net/connman/service/%s", f->id);
	uplinks_wait_services(&f->u, 2, "ready|online", TIMEOUT_MS);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (!f->u.lab)
		return;
	uplinks_teardown(&f->u);
	g_free(f->id);
	g_free(f->path);
}

/* `config <id> ARGS` that the daemon takes: nothing on stderr. */
static void config_ok(Fixture *f, const char *args)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(nfc_lab_connmanctl(f->u.lab, f->u.host,
					   &out, &err, "config %s %s", f->id, args), ==, 0);
	g_assert_cmpstr(err, ==, "");
}

/* `config <id> ARGS` that the daemon refuses: connmanctl prints its error
 * on stderr (and still exits 0). Returns stderr. */
static char *config_refused(Fixture *f, const char *args)
{
	g_autofree char *out = NULL;
	char *err = NULL;

	g_assert_cmpint(nfc_lab_connmanctl(f->u.lab, f->u.host,
					   &out, &err, "config %s %s", f->id, args), ==, 0);
	g_assert_cmpstr(err, !=, "");
	return err;
}

static bool has_line(const char *text, const char *line)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	return g_strv_contains((const char *const *)lines, line);
}

/* `services <id>` until it shows every line of want (NULL-terminated);
 * returns its output. */
static char *services_until(Fixture *f, const char *const *want)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	for (;;) {
		g_autofree char *err = NULL;
		char *out = NULL;
		bool all = true;

		g_assert_cmpint(nfc_lab_connmanctl(f->u.lab, f->u.host,
						   &out, &err, "services %s", f->id), ==, 0);
		for (int i = 0; want[i] && all; i++)
			all = has_line(out, want[i]);
		if (all)
			return out;
		if (g_get_monotonic_time() > end) {
			g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");

			g_error("services %s never showed\n%s\nlast:\n%s\n%s", f->id,
				g_strjoinv("\n", (char **)want), out, log);
		}
		g_free(out);
		g_usleep(100 * 1000);
	}
}

#define SHOWS(f, ...) g_free(services_until((f), (const char *const[]){ __VA_ARGS__, NULL }))

/* PropertyChanged of our service for each name in want, in any order. */
static void expect_changed(Fixture *f, NfcLabSignals *sig, const char *const *want)
{
	g_autoptr(GPtrArray) missing = g_ptr_array_new();

	for (int i = 0; want[i]; i++)
		g_ptr_array_add(missing, (gpointer)want[i]);
	while (missing->len) {
		g_autofree char *path = NULL;
		g_autoptr(GVariant) p = nfc_lab_signals_pop(sig, TIMEOUT_MS, &path);
		const char *name;

		g_assert_nonnull(p);
		g_variant_get(p, "(&sv)", &name, NULL);
		for (guint i = 0; g_str_equal(path, f->path) && i < missing->len; i++)
			if (g_str_equal(missing->pdata[i], name))
				g_ptr_array_remove_index(missing, i);
	}
}

static char *settings_file(Fixture *f)
{
	g_autofree char *path = g_build_filename(nfc_lab_state_dir(f->u.lab), f->id, "settings",
						 NULL);
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static void restart_nfconnd(Fixture *f)
{
	uplinks_stop_nfconnd(&f->u);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", TIMEOUT_MS);
}

static void test_connmanctl(Fixture *f, gconstpointer data)
{
	g_autoptr(NfcLabSignals) sig = NULL;
	g_autofree char *err = NULL, *text = NULL;
	g_autofree char *other = NULL;

	if (!f->u.lab)
		return;
	/* nothing configured: the lease's option 252 */
	SHOWS(f, "  Proxy = [ URL=" DHCP_URL ", Method=auto ]", "  Proxy.Configuration = [  ]");

	sig = nfc_lab_signals_new(f->u.lab, "net.connman.Service", "PropertyChanged");
	config_ok(f, "--proxy direct");
	expect_changed(f, sig, (const char *const[]){ "Proxy.Configuration", "Proxy", NULL });
	SHOWS(f, "  Proxy = [ Method=direct ]", "  Proxy.Configuration = [ Method=direct ]");

	config_ok(f, "--proxy manual http://p.example:3128 q.example:8080 "
		     "--excludes localhost .lab 192.0.2.0/24");
	expect_changed(f, sig, (const char *const[]){ "Proxy.Configuration", "Proxy", NULL });
	SHOWS(f, "  Proxy = [ Servers=[ http://p.example:3128, q.example:8080 ], "
		 "Excludes=[ localhost, .lab, 192.0.2.0/24 ], Method=manual ]",
	      "  Proxy.Configuration = [ Servers=[ http://p.example:3128, q.example:8080 ], "
	      "Excludes=[ localhost, .lab, 192.0.2.0/24 ], Method=manual ]");

	/* refusals name what is wrong and change nothing */
	err = config_refused(f, "--proxy manual 'p.example:3128' 'http://u:pw@q.example:8080'");
	g_assert_nonnull(strstr(err, "Servers entry 2 carries a user name or password"));
	g_clear_pointer(&err, g_free);
	err = config_refused(f, "--proxy auto ftp://wpad.example/wpad.dat");
	g_assert_nonnull(strstr(err, "URL is not an http, https or file URL"));
	g_clear_pointer(&err, g_free);
	err = config_refused(f, "--proxy manual 'p .example'");
	g_assert_nonnull(strstr(err, "contains a space"));
	SHOWS(f, "  Proxy.Configuration = [ Servers=[ http://p.example:3128, q.example:8080 ], "
		 "Excludes=[ localhost, .lab, 192.0.2.0/24 ], Method=manual ]");

	config_ok(f, "--proxy auto http://wpad.example/wpad.dat");
	expect_changed(f, sig, (const char *const[]){ "Proxy.Configuration", "Proxy", NULL });
	SHOWS(f, "  Proxy = [ URL=http://wpad.example/wpad.dat, Method=auto ]",
	      "  Proxy.Configuration = [ URL=http://wpad.example/wpad.dat, Method=auto ]");
	text = settings_file(f);
	g_assert_true(has_line(text, "Proxy.Method=auto"));
	g_assert_true(has_line(text, "Proxy.URL=http://wpad.example/wpad.dat"));
	g_assert_null(strstr(text, "Proxy.Servers"));

	/* kept over a restart */
	g_clear_pointer(&sig, nfc_lab_signals_free);
	restart_nfconnd(f);
	SHOWS(f, "  Proxy = [ URL=http://wpad.example/wpad.dat, Method=auto ]",
	      "  Proxy.Configuration = [ URL=http://wpad.example/wpad.dat, Method=auto ]");

	/* auto without a URL of its own: the network's */
	config_ok(f, "--proxy auto");
	SHOWS(f, "  Proxy = [ URL=" DHCP_URL ", Method=auto ]",
	      "  Proxy.Configuration = [ Method=auto ]");
	/* the other service was never configured */
	other = uplinks_service_id(&f->u, 1);
	{
		g_autofree char *out = NULL, *e = NULL;

		g_assert_cmpint(nfc_lab_connmanctl(f->u.lab, f->u.host,
						   &out, &e, "services %s", other), ==, 0);
		g_assert_true(has_line(out, "  Proxy = [ URL=" DHCP_URL ", Method=auto ]"));
	}

	/* no systemd-resolved on this bus: no mDNS, and the reason */
	g_clear_pointer(&err, g_free);
	err = config_refused(f, "--mdns yes");
	g_assert_nonnull(strstr(err, "mDNS needs systemd-resolved, which is not running"));
	SHOWS(f, "  mDNS = False", "  mDNS.Configuration = False");
}

/* ---- mDNS through org.freedesktop.resolve1 -------------------------------- */

#define RESOLVE1 "org.freedesktop.resolve1"

/* Where setup-deps unpacks Debian's systemd-resolved (not installed: the
 * package would take over the machine's /etc/resolv.conf). */
static const char *const resolved_paths[] = {
	"/lib/systemd/systemd-resolved",
	"/usr/lib/systemd/systemd-resolved",
	"/var/cache/nfconn-tests/systemd-resolved/lib/systemd/systemd-resolved",
};

typedef GPid (*StartResolver)(Fixture *f, const char *name);

static bool has_owner(Fixture *f)
{
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(
		nfc_lab_bus(f->u.lab), "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "NameHasOwner", g_variant_new("(s)", RESOLVE1),
		G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	gboolean owned = FALSE;

	if (r)
		g_variant_get(r, "(b)", &owned);
	return owned;
}

static void wait_owner(Fixture *f, const char *name, bool owned)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	while (has_owner(f) != owned) {
		if (g_get_monotonic_time() > end) {
			g_autofree char *log = nfc_lab_log(f->u.lab, name);

			g_error("%s " RESOLVE1 " on the bus after %d ms:\n%s",
				owned ? "no" : "still", TIMEOUT_MS, log);
		}
		g_usleep(20 * 1000);
	}
}

static GPid start_standin(Fixture *f, const char *name)
{
	const char *argv[] = { STANDIN, nfc_lab_bus_address(f->u.lab), NULL };
	GPid pid = nfc_lab_spawn(f->u.lab, f->u.host, name, argv);

	wait_owner(f, name, true);
	return pid;
}

/* Debian's systemd-resolved in the host namespace, as nobody with the
 * capabilities its unit gives it, in a mount namespace of its own: /sys
 * of the lab's namespace (ip netns exec) and a fresh tmpfs on /run/systemd
 * for its runtime files (and no state from an earlier start). */
static GPid start_real(Fixture *f, const char *name)
{
	const char *binary = NULL;
	g_autofree char *script = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(resolved_paths) && !binary; i++)
		if (g_file_test(resolved_paths[i], G_FILE_TEST_IS_EXECUTABLE))
			binary = resolved_paths[i];
	g_assert_nonnull(binary);
	/* nobody reaches the bus socket in the lab's directory (0700) */
	g_assert_cmpint(chmod(nfc_lab_dir(f->u.lab), 0711), ==, 0);
	script = g_strdup_printf(
		"mount -t tmpfs -o mode=0755 tmpfs /run/systemd && mkdir /run/systemd/resolve && "
		"chown 65534:65534 /run/systemd/resolve && "
		"exec env DBUS_SYSTEM_BUS_ADDRESS=%s SYSTEMD_LOG_LEVEL=debug "
		"setpriv --reuid=65534 --regid=65534 --clear-groups "
		"--inh-caps=+net_bind_service,+net_raw,+setpcap "
		"--ambient-caps=+net_bind_service,+net_raw,+setpcap %s",
		nfc_lab_bus_address(f->u.lab), binary);
	{
		const char *argv[] = { "ip", "netns", "exec", f->u.host, "unshare", "-m",
				       "--propagation", "private", "sh", "-c", script, NULL };
		GPid pid = nfc_lab_spawn(f->u.lab, NULL, name, argv);

		wait_owner(f, name, true);
		return pid;
	}
}

static void stop_resolver(Fixture *f, GPid pid, const char *name)
{
	nfc_lab_stop(f->u.lab, pid, SIGTERM, 5000, NULL);
	wait_owner(f, name, false);
}

static int uplink0_index(Fixture *f)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
						 "ip -o link show dev uplink0 | cut -d: -f1");

	return atoi(out);
}

/* What resolved (or its stand-in) says the link has, asked directly. */
static char *link_mdns(Fixture *f, int ifindex)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) link = NULL, prop = NULL, v = NULL;
	const char *path;

	link = g_dbus_connection_call_sync(nfc_lab_bus(f->u.lab), RESOLVE1, "/org/freedesktop/resolve1",
					   RESOLVE1 ".Manager", "GetLink", g_variant_new("(i)", ifindex),
					   G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
					   &error);
	g_assert_no_error(error);
	g_variant_get(link, "(&o)", &path);
	prop = g_dbus_connection_call_sync(nfc_lab_bus(f->u.lab), RESOLVE1, path,
					   "org.freedesktop.DBus.Properties", "Get",
					   g_variant_new("(ss)", RESOLVE1 ".Link", "MulticastDNS"),
					   G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
					   &error);
	g_assert_no_error(error);
	g_variant_get(prop, "(v)", &v);
	return g_variant_dup_string(v, NULL);
}

static void assert_link_mdns(Fixture *f, int ifindex, const char *want)
{
	g_autofree char *mode = link_mdns(f, ifindex);

	g_assert_cmpstr(mode, ==, want);
}

static void wait_link_mdns(Fixture *f, int ifindex, const char *want)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	for (;;) {
		g_autofree char *mode = link_mdns(f, ifindex);

		if (g_str_equal(mode, want))
			return;
		if (g_get_monotonic_time() > end)
			g_error("link %d: MulticastDNS %s, never %s", ifindex, mode, want);
		g_usleep(20 * 1000);
	}
}

static void set_link_mdns(Fixture *f, int ifindex, const char *mode)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(
		nfc_lab_bus(f->u.lab), RESOLVE1, "/org/freedesktop/resolve1", RESOLVE1 ".Manager",
		"SetLinkMulticastDNS", g_variant_new("(is)", ifindex, mode), NULL,
		G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

	g_assert_no_error(error);
}

static void mdns_with(Fixture *f, StartResolver start)
{
	/* resolved's own bus policy, in short (it runs as nobody, the
	 * stand-in as root) */
	static const char policy[] =
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n"
		"  <policy user=\"root\"><allow own=\"" RESOLVE1 "\"/></policy>\n"
		"  <policy user=\"nobody\"><allow own=\"" RESOLVE1 "\"/></policy>\n"
		"  <policy context=\"default\">\n"
		"    <allow send_destination=\"" RESOLVE1 "\"/>\n"
		"  </policy>\n"
		"</busconfig>\n";
	g_autofree char *dir = NULL, *file = NULL, *text = NULL;
	g_autoptr(GVariant) r = NULL;
	g_autoptr(GError) error = NULL;
	int ifindex = uplink0_index(f);
	GPid pid;

	dir = nfc_lab_bus_policy_dir(f->u.lab);
	file = g_build_filename(dir, "resolve1.conf", NULL);
	g_assert_true(g_file_set_contents(file, policy, -1, NULL));
	r = g_dbus_connection_call_sync(nfc_lab_bus(f->u.lab), "org.freedesktop.DBus",
					"/org/freedesktop/DBus", "org.freedesktop.DBus",
					"ReloadConfig", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1,
					NULL, &error);
	g_assert_no_error(error);
	pid = start(f, "resolver-1");

	/* answered once resolved took it: mDNS is current at once */
	config_ok(f, "--mdns yes");
	assert_link_mdns(f, ifindex, "yes");
	SHOWS(f, "  mDNS = True", "  mDNS.Configuration = True");
	text = settings_file(f);
	g_assert_true(has_line(text, "mDNS=true"));

	/* resolved gone: no mDNS; back: the wish is handed over again */
	stop_resolver(f, pid, "resolver-1");
	SHOWS(f, "  mDNS = False", "  mDNS.Configuration = True");
	pid = start(f, "resolver-2");
	wait_link_mdns(f, ifindex, "yes");
	SHOWS(f, "  mDNS = True", "  mDNS.Configuration = True");

	/* nfconnd hands the stored wish over when it starts */
	uplinks_stop_nfconnd(&f->u);
	set_link_mdns(f, ifindex, "no");
	uplinks_start_nfconnd(&f->u);
	wait_link_mdns(f, ifindex, "yes");
	SHOWS(f, "  mDNS = True", "  mDNS.Configuration = True");

	config_ok(f, "--mdns no");
	assert_link_mdns(f, ifindex, "no");
	SHOWS(f, "  mDNS = False", "  mDNS.Configuration = False");
	g_clear_pointer(&text, g_free);
	text = settings_file(f);
	g_assert_null(strstr(text, "mDNS"));
	stop_resolver(f, pid, "resolver-2");
}

static void test_mdns_standin(Fixture *f, gconstpointer data)
{
	if (f->u.lab)
		mdns_with(f, start_standin);
}

static void test_mdns_resolved(Fixture *f, gconstpointer data)
{
	bool found = false;

	for (gsize i = 0; i < G_N_ELEMENTS(resolved_paths); i++)
		found |= g_file_test(resolved_paths[i], G_FILE_TEST_IS_EXECUTABLE);
	if (!found) {
		g_test_skip("no systemd-resolved binary (tools/setup-deps unpacks one)");
		return;
	}
	if (f->u.lab)
		mdns_with(f, start_real);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	g_test_add("/proxy/connmanctl", Fixture, NULL, setup, test_connmanctl, teardown);
	g_test_add("/mdns/resolved", Fixture, NULL, setup, test_mdns_resolved, teardown);
	g_test_add("/mdns/standin", Fixture, NULL, setup, test_mdns_standin, teardown);
	return g_test_run();
}
