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
#include <stdlib.h>
#include <string.h>

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
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.connman.Manager",
					     "GetProperties", NULL, &error);
	g_autoptr(GVariant) props = NULL;
	const char *s = NULL;

	g_assert_no_error(error);
	props = g_variant_get_child_value(r, 0);
	g_assert_true(g_variant_lookup(props, "State", "&s", &s));
	return g_strdup(s);
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
	http0 = g_strconcat("\n", router_log(f, "http", 0), NULL);
	http1 = g_strconcat("\n", router_log(f, "http", 1), NULL);
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
	 * once although it was written more than once */
	nfc_lab_wait_sh(f->u.lab, NULL, 10000, "grep -q '^nameserver 198.51.100.1$' '%s'",
			f->resolv_src);
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

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
	g_test_add("/online/own-dns", Fixture, NULL, setup, test_own_dns, teardown);
	return g_test_run();
}
