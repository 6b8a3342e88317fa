// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the online check by name, through each uplink's own
 * nameservers and interface, with the host's resolver useless; and
 * ResolvConf= on a bind-mounted file.
 *
 * nfconnd runs in a private mount namespace of its own where an empty
 * file (the test's) is bind-mounted over /etc/resolv.conf, and another
 * test file over the ResolvConf= path. Both routers' dnsmasq answer
 * online.example with the address their HTTP server listens on; router1
 * drops DNS at first, so uplink1's check cannot pass until it lets DNS
 * through, while uplink0 (online, so preferred) carries the default route. */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns-lookup.h"
#include "session-driver.h"
#include "uplinks.h"

#define HOST "online.example"
#define FALLBACK_LOG "is a mount point"

typedef struct {
	Uplinks u;
	char *empty;       /* bind-mounted over /etc/resolv.conf */
	char *resolv_src;  /* bind-mounted over resolv_dst */
	char *resolv_dst;  /* ResolvConf= */
} Fixture;

static void write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static gboolean has_owner(gpointer data)
{
	Fixture *f = data;
	g_autoptr(GVariant) r = NULL;
	gboolean has = FALSE;

	r = g_dbus_connection_call_sync(nfc_lab_bus(f->u.lab), "org.freedesktop.DBus",
					"/org/freedesktop/DBus", "org.freedesktop.DBus",
					"NameHasOwner", g_variant_new("(s)", "net.connman"),
					G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	if (r)
		g_variant_get(r, "(b)", &has);
	return has;
}

/* nfconnd as nfc_lab_start_nfconnd() starts it, behind unshare: the mounts
 * live in its namespace only and go with it. */
static void start_nfconnd(Fixture *f)
{
	NfcLab *lab = f->u.lab;
	g_autofree char *script = g_strdup_printf(
		"mount --bind '%s' /etc/resolv.conf && mount --bind '%s' '%s' && exec \"$0\" \"$@\"",
		f->empty, f->resolv_src, f->resolv_dst);
	g_autofree char *bus = g_strdup_printf("--bus=%s", nfc_lab_bus_address(lab));
	g_autofree char *state = g_strdup_printf("--state-dir=%s", nfc_lab_state_dir(lab));
	g_autofree char *run = g_strdup_printf("--run-dir=%s", nfc_lab_run_dir(lab));
	g_autofree char *conf = g_strdup_printf("--config=%s", f->u.config);
	const char *argv[] = { "unshare", "--mount", "--propagation", "private", "sh", "-c",
			       script, NFC_BUILD_ROOT "/nfconnd", "-n", "-d", bus, state, run,
			       conf, NULL };

	f->u.nfconnd = nfc_lab_spawn(lab, f->u.host, "nfconnd", argv);
	g_assert_true(nfc_lab_wait_for(has_owner, f, 10000));
}

static void setup(Fixture *f, gconstpointer data)
{
	UplinksOptions o = {
		.dns_on_routers = true,
		.router_dnsmasq = "--address=/" HOST "/" UPLINK_SERVER4 " --log-queries",
	};
	g_autofree char *conf = NULL;
	const char *dir;

	uplinks_setup_with(&f->u, &o);
	dir = nfc_lab_dir(f->u.lab);
	f->empty = g_build_filename(dir, "empty-resolv.conf", NULL);
	f->resolv_src = g_build_filename(dir, "resolv-mounted", NULL);
	f->resolv_dst = g_build_filename(dir, "resolv-path", NULL);
	write_file(f->empty, "");
	write_file(f->resolv_src, "untouched\n");
	write_file(f->resolv_dst, "untouched\n");
	/* retries every 2 s at most: uplink1 goes online soon after its DNS
	 * answers */
	conf = g_strdup_printf("[General]\n"
			       "OnlineCheckIPv4URL=http://" HOST ":8080/\n"
			       "OnlineCheckMaxInterval=2\n"
			       "ResolvConf=%s\n",
			       f->resolv_dst);
	write_file(f->u.config, conf);
	/* router1 drops every DNS query at first, counting them */
	nfc_lab_sh(f->u.lab, f->u.router[1],
		   "nft add table inet t && nft add counter inet t dns && "
		   "nft add chain inet t in '{ type filter hook input priority 0; }' && "
		   "nft add rule inet t in meta l4proto '{ udp, tcp }' th dport 53 "
		   "counter name dns drop");
	start_nfconnd(f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
	g_free(f->empty);
	g_free(f->resolv_src);
	g_free(f->resolv_dst);
}

static char *state_of(Fixture *f, const char *id)
{
	g_autoptr(GVariant) v = uplinks_service_property(&f->u, id, "State");

	return v ? g_variant_dup_string(v, NULL) : NULL;
}

static char *manager_state(Fixture *f)
{
	return uplinks_manager_state(&f->u);
}

static char *top_service(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	const char *path;

	g_assert_cmpuint(g_variant_n_children(list), >, 0);
	g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
	return g_strdup(strrchr(path, '/') + 1);
}

static char *ipv4_of(Fixture *f, int i)
{
	g_autofree char *out = nfc_lab_sh_output(
		f->u.lab, f->u.host, "ip -4 -o addr show dev uplink%d | awk '{print $4}' | cut -d/ -f1",
		i);

	g_assert_true(out && *out);
	return g_strdup(g_strstrip(out));
}

static guint count(const char *text, const char *needle)
{
	guint n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static char *router_log(Fixture *f, const char *what, int i)
{
	g_autofree char *name = g_str_equal(what, "dns") ?
		g_strdup_printf("dnsmasq-%s-r%d", f->u.router[i], i) : g_strdup_printf("http%d", i);

	return nfc_lab_log(f->u.lab, name);
}

static void test_own_dns(Fixture *f, gconstpointer data)
{
	g_autofree char *id0 = uplinks_service_id(&f->u, 0);
	g_autofree char *id1 = uplinks_service_id(&f->u, 1);
	g_autofree char *addr0 = NULL, *addr1 = NULL, *st = NULL, *top = NULL;
	g_autofree char *q0 = NULL, *q1 = NULL, *h0 = NULL, *h1 = NULL;
	g_autofree char *dns0 = NULL, *dns1 = NULL, *http0 = NULL, *http1 = NULL;
	g_autofree char *log = NULL, *src = NULL, *dst = NULL, *line = NULL, *path = NULL;
	g_autoptr(GVariant) d = NULL;
	SessionClient *c;

	/* uplink0 goes online by name although /etc/resolv.conf is empty */
	uplinks_wait_property(&f->u, id0, "State", "online", 30000);
	st = manager_state(f);
	g_assert_cmpstr(st, ==, "online");

	/* uplink1's nameserver does not answer: two queries dropped, i.e. its
	 * check asked at least twice, and uplink1 is still only ready */
	nfc_lab_wait_sh(f->u.lab, f->u.router[1], 30000,
			"nft list counter inet t dns | grep -Eq 'packets ([2-9]|[0-9][0-9]+) '");
	g_clear_pointer(&st, g_free);
	st = state_of(f, id1);
	g_assert_cmpstr(st, ==, "ready");
	top = top_service(f);
	g_assert_cmpstr(top, ==, id0);
	addr0 = ipv4_of(f, 0);
	addr1 = ipv4_of(f, 1);

	/* router1 answers again: uplink1's next try passes, through router1
	 * although uplink0 carries the default route */
	nfc_lab_sh(f->u.lab, f->u.router[1], "nft delete table inet t");
	uplinks_wait_property(&f->u, id1, "State", "online", 40000);
	g_clear_pointer(&st, g_free);
	st = manager_state(f);
	g_assert_cmpstr(st, ==, "online");

	/* each uplink's query and request reached its own router only */
	q0 = g_strdup_printf("query[A] " HOST " from %s\n", addr0);
	q1 = g_strdup_printf("query[A] " HOST " from %s\n", addr1);
	h0 = g_strdup_printf("\n%s - - [", addr0);
	h1 = g_strdup_printf("\n%s - - [", addr1);
	dns0 = router_log(f, "dns", 0);
	dns1 = router_log(f, "dns", 1);
	g_assert_cmpuint(count(dns0, q0), >=, 1);
	g_assert_cmpuint(count(dns1, q1), >=, 1);
	g_assert_cmpuint(count(dns0, q1), ==, 0);
	g_assert_cmpuint(count(dns1, q0), ==, 0);
	/* AAAA is for the IPv6 check: the IPv4 one never asks it */
	g_assert_cmpuint(count(dns0, "query[AAAA] " HOST), ==, 0);
	{
		g_autofree char *l0 = router_log(f, "http", 0), *l1 = router_log(f, "http", 1);

		/* every line, the first too, after a newline */
		http0 = g_strconcat("\n", l0, NULL);
		http1 = g_strconcat("\n", l1, NULL);
	}
	g_assert_cmpuint(count(http0, h0), >=, 1);
	g_assert_cmpuint(count(http1, h1), >=, 1);
	g_assert_cmpuint(count(http0, h1), ==, 0);
	g_assert_cmpuint(count(http1, h0), ==, 0);
	g_assert_nonnull(strstr(http1, "\"GET / HTTP/1.0\" 200"));

	/* a session that wants the internet gets it */
	c = session_client_start(f->u.lab, "client", 0);
	line = session_client_do(c, "create /app/s1 {'ConnectionType': <'internet'>}");
	g_assert_true(g_str_has_prefix(line, "created /"));
	d = session_client_wait_update(c, "State", "online", 20000);
	g_assert_nonnull(d);
	session_client_free(c);

	/* ResolvConf= was a mount point: the file mounted there got the text
	 * (written in place), the file under it nothing, and the log says so
	 * once although it was written more than once. Whose nameserver: the
	 * default service's, which may be either once both are online. */
	nfc_lab_wait_sh(f->u.lab, NULL, 10000,
			"grep -Eq '^nameserver 198\\.51\\.100\\.(1|129)$' '%s' || { cat '%s'; exit 1; }",
			f->resolv_src, f->resolv_src);
	g_assert_true(g_file_get_contents(f->resolv_src, &src, NULL, NULL));
	g_assert_true(g_str_has_prefix(src, "# Generated by nfconnd\n"));
	g_assert_true(g_file_get_contents(f->resolv_dst, &dst, NULL, NULL));
	g_assert_cmpstr(dst, ==, "untouched\n");
	path = g_path_get_dirname(f->resolv_dst);
	{
		g_autofree char *left = nfc_lab_sh_output(f->u.lab, NULL, "ls -A '%s'", path);

		/* no temporary file left beside it */
		g_assert_null(strstr(left, ".resolv-path."));
	}
	uplinks_stop_nfconnd(&f->u);
	log = nfc_lab_log(f->u.lab, "nfconnd");
	g_assert_cmpuint(count(log, FALLBACK_LOG), ==, 1);
	g_assert_cmpuint(count(log, "cannot write"), ==, 0);
}

/* ---- the resolver alone, in this process --------------------------------
 * A client namespace with c0 to a router (dnsmasq: online.example is
 * 192.0.2.10 and 2001:db8::10) and a "decoy" veth going nowhere, with host routes
 * to the router's addresses: unbound, queries go to the decoy and are
 * lost; bound to c0 they reach the router. */

typedef struct {
	bool called;
	GInetAddress *address;
	GError *error;
	gint64 at;
} Result;

static void on_result(GInetAddress *address, const GError *error, void *user_data)
{
	Result *r = user_data;

	g_assert_false(r->called);
	r->called = true;
	r->at = g_get_monotonic_time();
	if (address)
		r->address = g_object_ref(address);
	if (error)
		r->error = g_error_copy(error);
}

static gboolean result_called(gpointer data)
{
	return ((Result *)data)->called;
}

static void result_clear(Result *r)
{
	g_clear_object(&r->address);
	g_clear_error(&r->error);
	memset(r, 0, sizeof(*r));
}

/* Look up and wait; returns the address as text or NULL (r->error set). */
static char *lookup(Result *r, const char *host, int family, const char *const *servers,
		    const char *ifname, unsigned int timeout_ms)
{
	g_autoptr(GError) error = NULL;
	NfcDnsLookup *l = NULL;

	result_clear(r);
	g_assert_true(nfc_dns_lookup_start(host, family, servers, ifname, timeout_ms, on_result,
					   r, &l, &error));
	g_assert_no_error(error);
	g_assert_nonnull(l);
	/* never from within start */
	g_assert_false(r->called);
	g_assert_true(nfc_lab_wait_for(result_called, r, 20000));
	return r->address ? g_inet_address_to_string(r->address) : NULL;
}

static void test_lookup(void)
{
	g_autoptr(NfcLab) lab = nfc_lab_new();
	const char *c = nfc_lab_add_netns(lab, "client");
	const char *r = nfc_lab_add_netns(lab, "router");
	const char *const v4[] = { "192.0.2.1", NULL };
	const char *const v6[] = { "2001:db8:1::1", NULL };
	const char *const junk[] = { "not-an-address", "fe80::1%c0", NULL };
	const char *const none[] = { NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *a = NULL, *aaaa = NULL, *aaaa4 = NULL, *log = NULL, *name = NULL;
	Result res = { 0 }, cancelled = { 0 };
	NfcDnsLookup *l = NULL;
	gint64 t0;
	int home;

	nfc_lab_add_veth(lab, c, "c0", r, "r0");
	nfc_lab_sh(lab, r, "ip addr add 192.0.2.1/24 dev r0 && "
		   "ip -6 addr add 2001:db8:1::1/64 dev r0 nodad && ip link set r0 up");
	nfc_lab_sh(lab, c, "ip addr add 192.0.2.2/24 dev c0 && "
		   "ip -6 addr add 2001:db8:1::2/64 dev c0 nodad && ip link set c0 up && "
		   "ip link add decoy type veth peer name decoy-end && ip link set decoy up && "
		   "ip link set decoy-end up && "
		   "ip route add 192.0.2.1/32 dev decoy && ip -6 route add 2001:db8:1::1/128 dev decoy");
	nfc_lab_start_dnsmasq(lab, r, "r0", "192.0.2.100,192.0.2.150,2m",
			      "--address=/online.example/192.0.2.10 "
			      "--address=/online.example/2001:db8::10 "
			      "--address=/nothing.example/ --log-queries");
	/* dnsmasq answers once it listens */
	nfc_lab_wait_sh(lab, r, 10000, "ss -uln | grep -q '192.0.2.1:53 '");
	nfc_lab_wait_sh(lab, r, 10000, "ss -uln | grep -q '\\[2001:db8:1::1\\]:53 '");

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(home, >=, 0);
	nfc_lab_enter_netns(c);

	/* A through an IPv4 server, AAAA through an IPv6 one and through the
	 * IPv4 one: the record type follows the check, not the transport */
	a = lookup(&res, "online.example", AF_INET, v4, "c0", 1000);
	g_assert_cmpstr(a, ==, "192.0.2.10");
	aaaa = lookup(&res, "online.example", AF_INET6, v6, "c0", 1000);
	g_assert_cmpstr(aaaa, ==, "2001:db8::10");
	aaaa4 = lookup(&res, "online.example", AF_INET6, v4, "c0", 1000);
	g_assert_cmpstr(aaaa4, ==, "2001:db8::10");

	/* a name that does not exist */
	g_assert_null(lookup(&res, "nothing.example", AF_INET, v4, "c0", 1000));
	g_assert_error(res.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

	/* not bound: the routes send the query to the decoy; it gives up after
	 * 200 ms and 400 ms more (two tries), not later than a few seconds */
	t0 = g_get_monotonic_time();
	g_assert_null(lookup(&res, "online.example", AF_INET, v4, NULL, 200));
	g_assert_error(res.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_cmpint(res.at - t0, >=, 600 * 1000);
	g_assert_cmpint(res.at - t0, <, 5 * G_USEC_PER_SEC);

	/* nothing to ask: refused at once */
	g_assert_false(nfc_dns_lookup_start("online.example", AF_INET, junk, "c0", 1000, on_result,
					    &res, &l, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(nfc_dns_lookup_start("online.example", AF_INET, none, "c0", 1000, on_result,
					    &res, &l, &error));
	g_clear_error(&error);

	/* cancelled: never called back, even when its timeouts would have
	 * passed while another lookup ran */
	g_assert_true(nfc_dns_lookup_start("online.example", AF_INET, v4, NULL, 100, on_result,
					   &cancelled, &l, &error));
	nfc_dns_lookup_cancel(l);
	g_free(lookup(&res, "online.example", AF_INET, v4, NULL, 200));
	g_assert_false(cancelled.called);
	result_clear(&res);

	g_assert_cmpint(setns(home, CLONE_NEWNET), ==, 0);
	close(home);
	/* the bound queries came from c0's addresses */
	name = g_strdup_printf("dnsmasq-%s-r0", r);
	log = nfc_lab_log(lab, name);
	g_assert_nonnull(strstr(log, "query[A] online.example from 192.0.2.2\n"));
	g_assert_nonnull(strstr(log, "query[AAAA] online.example from 2001:db8:1::2\n"));
	g_assert_nonnull(strstr(log, "query[AAAA] online.example from 192.0.2.2\n"));
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/online/lookup", test_lookup);
	g_test_add("/online/own-dns", Fixture, NULL, setup, test_own_dns, teardown);
	return g_test_run();
}
