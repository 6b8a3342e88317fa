// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the policy engine with real packets. Applications (processes
 * running as uid A and uid B) send UDP to a server that both routers
 * answer for; counters in the router namespaces show which uplink each
 * packet took. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <unistd.h>

#include "firewall.h"
#include "session-driver.h"
#include "uplinks.h"

#define UID_A 38   /* Debian's "list" */
#define UID_B 39   /* Debian's "irc" */
#define PORT 9999

typedef struct {
	Uplinks u;
	char *sender;  /* the python sender script */
	char *tcp;     /* the TCP client script */
} Fixture;

/* TCP: send 1000 bytes, half-close, print what the server answers */
static const char tcp_py[] =
	"import socket, sys\n"
	"fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n"
	"s = socket.create_connection((sys.argv[1], 9999), timeout=5)\n"
	"s.sendall(b'y' * 1000); s.shutdown(socket.SHUT_WR)\n"
	"got = b''\n"
	"while True:\n"
	"    d = s.recv(4096)\n"
	"    if not d: break\n"
	"    got += d\n"
	"print(got.decode())\n";

typedef struct {
	Fixture *f;
	const char *id;
} ServiceWait;

static gboolean has_ipv6_gateway(gpointer data)
{
	ServiceWait *w = data;
	g_autoptr(GVariant) v6 = uplinks_service_property(&w->f->u, w->id, "IPv6");
	g_autoptr(GVariant) gw = v6 ? g_variant_lookup_value(v6, "Gateway", NULL) : NULL;

	return gw != NULL;
}


static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *echo = NULL;

	uplinks_setup(&f->u, data);
	f->sender = g_build_filename(nfc_lab_dir(f->u.lab), "send.py", NULL);
	f->tcp = g_build_filename(nfc_lab_dir(f->u.lab), "tcp.py", NULL);
	g_file_set_contents(f->tcp, tcp_py, -1, &error);
	g_assert_no_error(error);
	echo = g_build_filename(nfc_lab_dir(f->u.lab), "echo.py", NULL);
	g_file_set_contents(f->sender, uplinks_sender_py, -1, &error);
	g_assert_no_error(error);
	g_file_set_contents(echo, uplinks_echo_py, -1, &error);
	g_assert_no_error(error);
	nfc_lab_sh(f->u.lab, NULL, "chmod 755 %s; chmod 644 %s %s", nfc_lab_dir(f->u.lab), f->sender,
		   f->tcp);
	for (int i = 0; i < 2; i++) {
		g_autofree char *name = g_strdup_printf("echo%d", i);
		const char *argv[] = { "python3", echo, UPLINK_SERVER4, UPLINK_SERVER6, name, NULL };

		/* what arrives at each router, by family */
		nfc_lab_sh(f->u.lab, f->u.router[i],
			   "nft add table inet count && "
			   "nft add chain inet count in '{ type filter hook input priority 0; }' && "
			   "nft add counter inet count v4 && nft add counter inet count v6 && "
			   "nft add rule inet count in meta nfproto ipv4 udp dport %d counter name v4 && "
			   "nft add rule inet count in meta nfproto ipv6 udp dport %d counter name v6 && "
			   "nft add counter inet count t4 && nft add counter inet count t6 && "
			   "nft add rule inet count in meta nfproto ipv4 tcp dport %d "
			   "'tcp flags & (syn | ack) == syn' counter name t4 && "
			   "nft add rule inet count in meta nfproto ipv6 tcp dport %d "
			   "'tcp flags & (syn | ack) == syn' counter name t6",
			   PORT, PORT, PORT, PORT);
		nfc_lab_spawn(f->u.lab, f->u.router[i], name, argv);
	}
	/* the policy directory exists before nfconnd watches it: a missing
	 * one is only looked for every 4 s (GLib's file monitor), and the
	 * tests wait for their policy to be read before they use it */
	{
		g_autofree char *dir = g_build_filename(nfc_lab_dir(f->u.lab), "session_policy_local",
							NULL);

		g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	}
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	/* and both echo servers have bound their four sockets (UDP and TCP,
	 * v4 and v6): a datagram that comes first finds no port */
	for (int i = 0; i < 2; i++)
		nfc_lab_wait_sh(f->u.lab, f->u.router[i], 10000,
				"test $(ss -Htuln 'sport = :%d' | wc -l) = 4", PORT);
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
	g_free(f->sender);
	g_free(f->tcp);
}

static guint64 router_count(Fixture *f, int i, const char *family)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.router[i],
		"nft list counter inet count %s | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'", family);

	return g_ascii_strtoull(out, NULL, 10);
}

/* One TCP connection as uid: the server's answer ("echo<i> 1000"). */
static char *tcp_as(Fixture *f, unsigned int uid, const char *dst)
{
	char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"setpriv --reuid=%u --regid=%u --clear-groups /usr/bin/python3 %s %s 2>&1",
		uid, uid, f->tcp, dst);

	g_strchomp(out);
	return out;
}

/* One connection as UID_A and one as UID_B to dst: each answered by the
 * router of its uplink (A: 0, B: 1), each seen there as one SYN in the
 * router's counter (t4 or t6). */
static void assert_tcp_steered(Fixture *f, const char *dst, const char *counter)
{
	guint64 r0 = router_count(f, 0, counter), r1 = router_count(f, 1, counter);
	g_autofree char *ta = tcp_as(f, UID_A, dst);
	g_autofree char *tb = tcp_as(f, UID_B, dst);

	g_assert_cmpstr(ta, ==, "echo0 1000");
	g_assert_cmpstr(tb, ==, "echo1 1000");
	g_assert_cmpuint(router_count(f, 0, counter) - r0, ==, 1);
	g_assert_cmpuint(router_count(f, 1, counter) - r1, ==, 1);
}

/* Send n datagrams as uid and gid; returns the number of echoes, or
 * -errno when the kernel refused to send. */
static int send_ids(Fixture *f, unsigned int uid, unsigned int gid, const char *dst, int n,
		    const char *bind_addr)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"setpriv --reuid=%u --regid=%u --clear-groups /usr/bin/python3 %s %s %d %s 2>&1",
		uid, gid, f->sender, dst, n, bind_addr ? bind_addr : "");
	const char *last = out;
	int sent = 0, got = 0;

	g_test_message("sender: %s", out);
	/* the summary is the last line; lost replies are listed before it */
	for (const char *p = strchr(out, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		last = p + 1;
	if (g_str_has_prefix(last, "error "))
		return -atoi(last + 6);
	g_assert_cmpint(sscanf(last, "%d %d", &sent, &got), ==, 2);
	g_assert_cmpint(sent, ==, n);
	return got;
}

/* ... as uid with gid = uid */
static int send_as(Fixture *f, unsigned int uid, const char *dst, int n, const char *bind_addr)
{
	return send_ids(f, uid, uid, dst, n, bind_addr);
}


static SessionClient *session_for(Fixture *f, const char *name, unsigned int uid,
				  const char *settings, char **path)
{
	SessionClient *c = session_client_start(f->u.lab, name, uid);
	g_autofree char *line = session_client_do(c, "create /app/s1 %s", settings ? settings : "");

	if (!g_str_has_prefix(line, "created "))
		g_error("%s: %s", name, line);
	if (path)
		*path = g_strdup(line + strlen("created "));
	g_free(session_client_expect(c, "update /app/s1 ", 5000));
	return c;
}

static guint64 stat_u64(SessionClient *c, const char *path, const char *key)
{
	g_autofree char *line = session_client_do(c, "call %s net.nfconn.SessionStats GetStats", path);
	g_autofree char *pattern = g_strdup_printf("'%s': <uint64 ", key);
	const char *p;

	g_assert_true(g_str_has_prefix(line, "ok "));
	p = strstr(line, pattern);
	if (!p) {
		/* GVariant prints a zero uint64 as "uint64 0", others as numbers */
		g_autofree char *pattern2 = g_strdup_printf("'%s': <", key);

		p = strstr(line, pattern2);
		g_assert_nonnull(p);
		p += strlen(pattern2);
		if (g_str_has_prefix(p, "uint64 "))
			p += strlen("uint64 ");
		return g_ascii_strtoull(p, NULL, 10);
	}
	return g_ascii_strtoull(p + strlen(pattern), NULL, 10);
}

/* Steered apps: wait until the engine has installed uid's element. */
static void wait_steered(Fixture *f, unsigned int uid)
{
	g_autofree char *cond = fw_cond_uid(uid);

	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", cond);
}

/* ... and until it is gone again. */
static void wait_unsteered(Fixture *f, unsigned int uid)
{
	g_autofree char *cond = fw_cond_uid(uid);

	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "! { %s; }", cond);
}

typedef struct {
	Fixture *f;
	gsize from;
} LogWait;

/* nfconnd's log, from offset from on, tells of a reload that found the
 * one policy file the test wrote (a reload before the rename finds none) */
static gboolean policy_loaded(gpointer data)
{
	LogWait *w = data;
	g_autofree char *log = nfc_lab_log(w->f->u.lab, "nfconnd");

	return strlen(log) >= w->from && strstr(log + w->from, "session policies: 1 files");
}

/* ... of a tampered firewall state put back */
static gboolean state_restored(gpointer data)
{
	LogWait *w = data;
	g_autofree char *log = nfc_lab_log(w->f->u.lab, "nfconnd");

	return strlen(log) >= w->from &&
	       strstr(log + w->from, "firewall state was changed from outside; restored");
}

/* Put the test's one policy file in place and wait until nfconnd has
 * read it, so that sessions created next get it from the start. */
static void write_policy(Fixture *f, const char *name, const char *text)
{
	g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");
	LogWait w = { f, strlen(log) };

	uplinks_write_policy(&f->u, name, text);
	g_assert_true(nfc_lab_wait_for(policy_loaded, &w, 10000));
}

/* The mark Explain says uid's traffic gets now; false while it has none
 * (not steered, or between two classes). */
static bool explain_mark(Fixture *f, unsigned int uid, guint32 *mark)
{
	g_autofree char *value = g_strdup_printf("%u", uid);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "Explain",
					     g_variant_new("(ss)", "uid", value), &error);
	g_autoptr(GVariant) d = NULL;

	g_assert_no_error(error);
	d = g_variant_get_child_value(r, 0);
	return g_variant_lookup(d, "Mark", "u", mark);
}

/* ... where uid must be steered, and settled. */
static guint32 explained_mark(Fixture *f, unsigned int uid)
{
	guint32 mark = 0;

	g_assert_true(explain_mark(f, uid, &mark));
	return mark;
}

typedef struct {
	Fixture *f;
	unsigned int uid;
	const char *dst;
	const char *pattern;
	guint32 mark;
} UidRouteWait;

static gboolean uid_routed(gpointer data)
{
	UidRouteWait *w = data;

	return explain_mark(w->f, w->uid, &w->mark) &&
	       nfc_lab_sh_status(w->f->u.lab, w->f->u.host, NULL,
				 "ip route get %s mark 0x%x 2>&1 | grep -q '%s'", w->dst, w->mark,
				 w->pattern) == 0;
}

/* Wait until the kernel routes uid's traffic to dst as pattern (a grep
 * pattern on `ip route get`) says, by the mark Explain gives it at that
 * moment: a change of uplinks can move uid to another class, and so to
 * another mark, a main-loop turn or two after the service list shows it. */
static void wait_uid_route(Fixture *f, unsigned int uid, const char *dst, const char *pattern)
{
	UidRouteWait w = { f, uid, dst, pattern, 0 };

	if (!nfc_lab_wait_for(uid_routed, &w, 10000)) {
		g_autofree char *rules = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list");

		g_error("uid %u (mark 0x%x) is not routed to %s as '%s'; ip rules:\n%s", uid,
			w.mark, dst, pattern, rules);
	}
}

/* Wait until the kernel routes traffic with mark (0: unmarked) to dst
 * (v4 or v6) out of a device matching dev (a grep pattern), from an
 * address it may use (a tentative one gives no "src"). */
static void wait_route(Fixture *f, const char *dst, guint32 mark, const char *dev)
{
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000,
			"ip route get %s mark 0x%x | grep -q 'dev %s .*src '", dst, mark, dev);
}

static void test_steering(Fixture *f, gconstpointer data)
{
	g_autofree char *pa = NULL, *pb = NULL;
	g_autofree char *pol = g_strdup_printf(
		"[a]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink0\n"
		"[b]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink1\n", UID_A, UID_B);
	SessionClient *a, *b;
	guint64 r0, r1;

	write_policy(f, "10-apps.policy", pol);
	a = session_for(f, "client-a", UID_A, NULL, &pa);
	b = session_for(f, "client-b", UID_B, NULL, &pb);
	wait_steered(f, UID_A);
	wait_steered(f, UID_B);
	/* the backend not in use holds nothing of ours */
	fw_assert_other_clean(f->u.lab, f->u.host);

	/* IPv4: A leaves through uplink 0, B through uplink 1, replies come back */
	r0 = router_count(f, 0, "v4");
	r1 = router_count(f, 1, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 20, NULL), ==, 20);
	g_assert_cmpuint(router_count(f, 0, "v4") - r0, ==, 20);
	g_assert_cmpuint(router_count(f, 1, "v4") - r1, ==, 0);
	if (g_getenv("NFC_DEBUG_POLICY")) {
		g_autofree char *dbg = nfc_lab_sh_output(f->u.lab, f->u.host,
			"ip rule; ip route show table all | grep 'table 7'");
		g_autofree char *fw = fw_dump(f->u.lab, f->u.host);

		g_printerr("%s\n%s\n", dbg, fw);
	}
	g_assert_cmpint(send_as(f, UID_B, UPLINK_SERVER4, 20, NULL), ==, 20);
	g_assert_cmpuint(router_count(f, 0, "v4") - r0, ==, 20);
	g_assert_cmpuint(router_count(f, 1, "v4") - r1, ==, 20);

	/* the session counts what it sent and got back: 20 × (100 + 28) */
	g_assert_cmpuint(stat_u64(a, pa, "TX.Packets"), ==, 20);
	g_assert_cmpuint(stat_u64(a, pa, "TX.Bytes"), ==, 20 * 128);
	g_assert_cmpuint(stat_u64(a, pa, "RX.Packets"), ==, 20);
	g_assert_cmpuint(stat_u64(b, pb, "TX.Packets"), ==, 20);

	/* TCP: a whole connection each way, answered by the router it left by */
	assert_tcp_steered(f, UPLINK_SERVER4, "t4");

	/* IPv6, once both uplinks have their SLAAC addresses */
	for (int i = 0; i < 2; i++) {
		g_autofree char *id = uplinks_service_id(&f->u, i);
		ServiceWait w = { f, id };

		g_assert_true(nfc_lab_wait_for(has_ipv6_gateway, &w, 20000));
	}
	/* ... and the kernel routes by them: unmarked (the first lookup, which
	 * picks the source), then A's and B's marks out of their uplinks */
	wait_route(f, UPLINK_SERVER6, 0, "uplink[01]");
	wait_uid_route(f, UID_A, UPLINK_SERVER6, "dev uplink0 .*src ");
	wait_uid_route(f, UID_B, UPLINK_SERVER6, "dev uplink1 .*src ");
	r0 = router_count(f, 0, "v6");
	r1 = router_count(f, 1, "v6");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER6, 10, NULL), ==, 10);
	g_assert_cmpint(send_as(f, UID_B, UPLINK_SERVER6, 10, NULL), ==, 10);
	g_assert_cmpuint(router_count(f, 0, "v6") - r0, ==, 10);
	g_assert_cmpuint(router_count(f, 1, "v6") - r1, ==, 10);
	assert_tcp_steered(f, UPLINK_SERVER6, "t6");

	/* without a session, A's traffic follows the main table again */
	session_client_free(a);
	{
		g_autofree char *top = NULL;
		g_autoptr(GVariant) list = uplinks_services(&f->u);
		const char *path;
		int top_i;

		g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
		top = uplinks_service_id(&f->u, 0);
		top_i = g_str_has_suffix(path, top) ? 0 : 1;
		wait_unsteered(f, UID_A);
		r0 = router_count(f, top_i, "v4");
		g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
		g_assert_cmpuint(router_count(f, top_i, "v4") - r0, ==, 5);
	}
	session_client_free(b);
}

static void test_failover_and_strict(Fixture *f, gconstpointer data)
{
	g_autofree char *pol = g_strdup_printf(
		"[a]\nuid=%u\nAllowedBearers=ethernet\n"
		"[b]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink1\n", UID_A, UID_B);
	g_autofree char *pa = NULL, *rules = NULL;
	SessionClient *a, *b;
	guint64 r0, r1;
	int first, second;

	write_policy(f, "10-apps.policy", pol);
	a = session_for(f, "client-a", UID_A, NULL, &pa);
	b = session_for(f, "client-b", UID_B, NULL, NULL);
	wait_steered(f, UID_A);
	wait_steered(f, UID_B);
	{
		g_autoptr(GVariant) list = uplinks_services(&f->u);
		g_autofree char *id0 = uplinks_service_id(&f->u, 0);
		const char *path;

		g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
		first = g_str_has_suffix(path, id0) ? 0 : 1;
		second = 1 - first;
	}
	/* A may use both uplinks: a ladder of two rules, then unreachable */
	rules = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list");
	g_test_message("rules:\n%s", rules);
	g_assert_nonnull(strstr(rules, "unreachable"));

	r0 = router_count(f, first, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 10, NULL), ==, 10);
	g_assert_cmpuint(router_count(f, first, "v4") - r0, ==, 10);

	/* its uplink fails: A moves to the other one */
	uplinks_set_carrier(&f->u, first, false);
	uplinks_wait_services(&f->u, 1, "ready|online", 10000);
	/* the service list shows the change first; A's rules follow within
	 * a main-loop turn or two */
	{
		g_autofree char *dev = g_strdup_printf("dev uplink%d .*src ", second);

		wait_uid_route(f, UID_A, UPLINK_SERVER4, dev);
	}
	r1 = router_count(f, second, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 10, NULL), ==, 10);
	g_assert_cmpuint(router_count(f, second, "v4") - r1, ==, 10);
	uplinks_set_carrier(&f->u, first, true);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);

	/* B is pinned to uplink1: without it B's traffic has nowhere to go,
	 * and never leaks to the main table (uplink0 stays untouched) */
	uplinks_set_carrier(&f->u, 1, false);
	uplinks_wait_services(&f->u, 1, "ready|online", 10000);
	wait_uid_route(f, UID_B, UPLINK_SERVER4, "unreachable");
	r0 = router_count(f, 0, "v4");
	{
		int r = send_as(f, UID_B, UPLINK_SERVER4, 5, NULL);

		g_assert_cmpint(r, <=, 0);
	}
	g_assert_cmpuint(router_count(f, 0, "v4") - r0, ==, 0);
	/* A, allowed both, still gets out (B's rules changing first says
	 * nothing of A's) */
	wait_uid_route(f, UID_A, UPLINK_SERVER4, "dev uplink0 .*src ");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
	uplinks_set_carrier(&f->u, 1, true);
	session_client_free(a);
	session_client_free(b);
}

static void test_source_ip_rule(Fixture *f, gconstpointer data)
{
	g_autofree char *other_addr = NULL;
	SessionClient *c;
	int first, second;
	guint64 r;

	{
		g_autoptr(GVariant) list = uplinks_services(&f->u);
		g_autofree char *id0 = uplinks_service_id(&f->u, 0);
		const char *path;

		g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
		first = g_str_has_suffix(path, id0) ? 0 : 1;
		second = 1 - first;
	}
	{
		g_autofree char *id = uplinks_service_id(&f->u, second);
		g_autoptr(GVariant) v4 = uplinks_service_property(&f->u, id, "IPv4");
		const char *a = NULL;

		g_assert_true(g_variant_lookup(v4, "Address", "&s", &a));
		other_addr = g_strdup(a);
	}
	/* a session on the non-default uplink with a source rule: a socket
	 * bound to that uplink's address leaves through it */
	{
		g_autofree char *settings = g_strdup_printf(
			"{'AllowedInterface': <'uplink%d'>, 'SourceIPRule': <true>}", second);

		c = session_for(f, "client", 0, settings, NULL);
	}
	nfc_lab_wait_sh(f->u.lab, f->u.host, 5000, "ip rule list | grep -qF '%s'", other_addr);
	r = router_count(f, second, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 10, other_addr), ==, 10);
	g_assert_cmpuint(router_count(f, second, "v4") - r, ==, 10);
	session_client_free(c);
	/* gone with the session */
	nfc_lab_wait_sh(f->u.lab, f->u.host, 5000, "! ip rule list | grep -qF '%s'", other_addr);
}

static void test_constant_rules(Fixture *f, gconstpointer data)
{
	static const unsigned int uids[] = { 1, 2, 3, 5, 6, 7, 8, 9, 10, 13, 33, 34, 38, 39 };
	GString *pol = g_string_new(NULL);
	SessionClient *clients[G_N_ELEMENTS(uids)];
	g_autofree char *rules_one = NULL, *rules_all = NULL;
	unsigned int one, two, all, per_uid;

	for (gsize i = 0; i < G_N_ELEMENTS(uids); i++)
		g_string_append_printf(pol, "[u%u]\nuid=%u\nAllowedBearers=ethernet\n", uids[i], uids[i]);
	write_policy(f, "10-many.policy", pol->str);
	g_string_free(pol, TRUE);

	clients[0] = session_for(f, "c0", uids[0], NULL, NULL);
	wait_steered(f, uids[0]);
	one = fw_count_rules(f->u.lab, f->u.host);
	per_uid = fw_count_uid_entries(f->u.lab, f->u.host, uids[0]);
	g_assert_cmpuint(per_uid, >=, 1);
	rules_one = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list; ip -6 rule list");
	clients[1] = session_for(f, "c1", uids[1], NULL, NULL);
	wait_steered(f, uids[1]);
	two = fw_count_rules(f->u.lab, f->u.host);
	for (gsize i = 2; i < G_N_ELEMENTS(uids); i++) {
		g_autofree char *name = g_strdup_printf("c%zu", i);

		clients[i] = session_for(f, name, uids[i], NULL, NULL);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(uids); i++)
		wait_steered(f, uids[i]);
	all = fw_count_rules(f->u.lab, f->u.host);
	rules_all = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list; ip -6 rule list");
	/* ip rules do not grow with sessions; nft rules (lines with a
	 * handle) neither: only map elements do. iptables has no maps: each
	 * session (an identity) adds the same few rules, its identity's and
	 * its counters', and nothing else grows. */
	g_assert_cmpstr(rules_all, ==, rules_one);
	for (gsize i = 0; i < G_N_ELEMENTS(uids); i++)
		g_assert_cmpuint(fw_count_uid_entries(f->u.lab, f->u.host, uids[i]), ==, per_uid);
	g_assert_cmpuint(all - one, ==, (two - one) * (G_N_ELEMENTS(uids) - 1));
	if (fw_backend() == FW_NFTABLES)
		g_assert_cmpuint(two, ==, one);
	else
		g_assert_cmpuint(two - one, >=, per_uid);
	for (gsize i = 0; i < G_N_ELEMENTS(uids); i++)
		session_client_free(clients[i]);
}

/* A steered session of A's, its traffic out of uplink<uplink>. */
static SessionClient *steer(Fixture *f, const char *name, int uplink)
{
	SessionClient *a = session_for(f, name, UID_A, NULL, NULL);
	g_autofree char *dev = g_strdup_printf("dev uplink%d .*src ", uplink);
	guint64 r;

	wait_steered(f, UID_A);
	fw_assert_other_clean(f->u.lab, f->u.host);
	wait_uid_route(f, UID_A, UPLINK_SERVER4, dev);
	r = router_count(f, uplink, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 10, NULL), ==, 10);
	g_assert_cmpuint(router_count(f, uplink, "v4") - r, ==, 10);
	return a;
}

static void test_crash_and_tamper(Fixture *f, gconstpointer data)
{
	g_autofree char *pol = g_strdup_printf("[a]\nuid=%u\nAllowedBearers=ethernet\n"
					       "AllowedInterface=uplink0\n", UID_A);
	g_autofree char *before = NULL, *after_kill = NULL, *final = NULL;
	g_autofree char *log = NULL, *steered = fw_cond_uid(UID_A);
	SessionClient *a;
	guint64 r0;
	int status;

	write_policy(f, "10-a.policy", pol);
	a = session_for(f, "client-a", UID_A, NULL, NULL);
	wait_steered(f, UID_A);
	before = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list | wc -l");
	g_assert_cmpint(atoi(before), >, 3);

	/* someone takes our state apart: nft's owned table is not theirs to
	 * flush, nor to delete; iptables' chains have no owner: the periodic
	 * check finds them gone and puts them back. Steering goes on. */
	{
		g_autofree char *log_before = nfc_lab_log(f->u.lab, "nfconnd");
		LogWait w = { f, strlen(log_before) };

		if (fw_tamper(f->u.lab, f->u.host)) {
			g_assert_cmpint(fw_backend(), ==, FW_IPTABLES);
			g_assert_true(nfc_lab_wait_for(state_restored, &w, 30000));
			wait_steered(f, UID_A);
		}
	}
	r0 = router_count(f, 0, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
	g_assert_cmpuint(router_count(f, 0, "v4") - r0, ==, 5);

	/* SIGKILL: the kernel keeps our firewall state (nft: the persist
	 * flag), our ip rules stay ... */
	status = nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGKILL, 3000, NULL);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "%s", fw_cond_present()),
			==, 0);
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "%s", steered), ==, 0);
	after_kill = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list | wc -l");
	g_assert_cmpstr(after_kill, ==, before);
	session_client_free(a);

	/* ... until the next start cleans them up: no session now, so
	 * nothing of ours is in the kernel, not even a hook */
	uplinks_start_nfconnd(&f->u);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 5000, "test $(ip rule list | wc -l) = 3 && "
			"! { %s; }", fw_cond_present());
	log = nfc_lab_log(f->u.lab, "nfconnd");
	g_assert_nonnull(strstr(log, "left by an earlier run"));
	fw_assert_none(f->u.lab, f->u.host);

	/* a new session brings it all back, and its traffic is steered */
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	a = steer(f, "client-a2", 0);
	session_client_free(a);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 15000, "! { %s; }", fw_cond_present());

	/* SIGTERM: nothing of ours stays (in either backend: the stop
	 * checks it) */
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_stop_nfconnd(&f->u);
	final = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip rule list | wc -l; ip -6 rule list | wc -l; "
		"ip route show table all | grep -c 'table 7[0-2][0-9][0-9] ' || true");
	g_assert_cmpstr(final, ==, "3\n2\n0\n");
}

/* A cgroup directory can go once every process has left it. */
static gboolean cgroup_removed(gpointer path)
{
	return g_rmdir(path) == 0;
}

static void test_cgroup(Fixture *f, gconstpointer data)
{
	g_autofree char *name = g_strdup_printf("nfctest%d", (int)getpid());
	g_autofree char *dir = g_build_filename(nfc_cgroup2_mount(), name, NULL);
	g_autofree char *sub = g_build_filename(dir, "b", NULL);
	g_autofree char *procs = g_build_filename(nfc_cgroup2_mount(), "cgroup.procs", NULL);
	g_autofree char *pol = g_strdup_printf("[app]\ncgroup=/%s\nAllowedBearers=ethernet\n"
					       "AllowedInterface=uplink1\n", name);
	g_autofree char *top_rel = g_strdup_printf("/%s", name);
	g_autofree char *sub_rel = g_strdup_printf("/%s/b", name);
	g_autofree char *top_cond = fw_cond_cgroup(top_rel);
	g_autofree char *sub_cond = fw_cond_cgroup(sub_rel);
	SessionClient *a;
	guint64 r0, r1;

	if (!g_file_test(procs, G_FILE_TEST_EXISTS)) {
		g_test_skip("no cgroup v2 hierarchy");
		return;
	}
	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
	write_policy(f, "10-app.policy", pol);
	/* the application: its session and its traffic come from the cgroup */
	a = session_client_start_in(f->u.lab, "client-a", UID_A, dir);
	g_free(session_client_do(a, "create /app/s1"));
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", top_cond);
	r0 = router_count(f, 0, "v4");
	r1 = router_count(f, 1, "v4");
	{
		g_autofree char *res = nfc_lab_sh_output(f->u.lab, f->u.host,
			"echo $$ > %s/cgroup.procs && exec setpriv --reuid=%u --regid=%u --clear-groups "
			"/usr/bin/python3 %s " UPLINK_SERVER4 " 10", dir, UID_A, UID_A, f->sender);

		g_assert_cmpstr(res, ==, "10 10\n");
	}
	g_assert_cmpuint(router_count(f, 1, "v4") - r1, ==, 10);
	g_assert_cmpuint(router_count(f, 0, "v4") - r0, ==, 0);
	/* the same uid outside the cgroup is not steered by this policy: it
	 * follows the main table (whichever uplink is on top) */
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 4, NULL), ==, 4);
	g_assert_cmpuint(router_count(f, 0, "v4") - r0 + router_count(f, 1, "v4") - r1, ==, 14);
	/* the client moves to a cgroup below: a second session over the same
	 * bus connection (whose credentials the daemon has already) takes
	 * the new cgroup, read anew at CreateSession */
	nfc_lab_sh(f->u.lab, NULL, "for p in $(cat %s/cgroup.procs); do echo $p > %s/cgroup.procs; done",
		   dir, sub);
	g_free(session_client_do(a, "create /app/s2"));
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", sub_cond);
	/* and the first session's element (level 1) is still there */
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "%s", top_cond), ==, 0);
	session_client_free(a);
	/* every process left them; the directories go */
	g_assert_true(nfc_lab_wait_for(cgroup_removed, sub, 5000));
	g_assert_true(nfc_lab_wait_for(cgroup_removed, dir, 5000));
}

/* net.nfconn.Manager.GetApplyTimes: the a{sv} */
static GVariant *apply_times(Fixture *f, gboolean reset)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "GetApplyTimes",
					     g_variant_new("(b)", reset), &error);

	g_assert_no_error(error);
	return g_variant_get_child_value(r, 0);
}

static gboolean one_removal_timed(gpointer f)
{
	g_autoptr(GVariant) d = apply_times(f, FALSE);
	guint64 removed = 0;

	g_assert_true(g_variant_lookup(d, "Removed.Count", "t", &removed));
	g_assert_cmpuint(removed, <=, 1);
	return removed == 1;
}

static void test_explain(Fixture *f, gconstpointer data)
{
	g_autofree char *pol = g_strdup_printf("[a]\nuid=%u\nAllowedBearers=ethernet\n"
					       "AllowedInterface=uplink0\n", UID_A);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = NULL, none = NULL, bad = NULL;
	SessionClient *a;

	write_policy(f, "10-a.policy", pol);
	a = session_for(f, "client-a", UID_A, NULL, NULL);
	wait_steered(f, UID_A);
	r = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "Explain",
			 g_variant_new("(ss)", "uid", "38"), &error);
	g_assert_no_error(error);
	{
		g_autoptr(GVariant) d = g_variant_get_child_value(r, 0);
		gboolean steered = FALSE;
		guint32 table = 0, mark = 0;
		const char *iface = NULL, *reason = NULL, *policy = NULL;

		g_assert_true(g_variant_lookup(d, "Steered", "b", &steered));
		g_assert_true(steered);
		g_assert_true(g_variant_lookup(d, "Table", "u", &table));
		g_assert_cmpuint(table, >=, 7000);
		g_assert_true(g_variant_lookup(d, "Mark", "u", &mark));
		g_assert_cmpuint(mark & 0xfe000000, !=, 0);
		g_assert_true(g_variant_lookup(d, "Interface", "&s", &iface));
		g_assert_cmpstr(iface, ==, "uplink0");
		g_assert_true(g_variant_lookup(d, "Policy", "&s", &policy));
		g_assert_cmpstr(policy, ==, "10-a.policy [a]");
		g_assert_true(g_variant_lookup(d, "Reason", "&s", &reason));
		g_assert_nonnull(strstr(reason, "10-a.policy"));
		/* the kernel agrees with the explanation */
		{
			g_autofree char *route = nfc_lab_sh_output(f->u.lab, f->u.host,
				"ip route get " UPLINK_SERVER4 " mark 0x%x", mark);
			g_autofree char *in_table = g_strdup_printf("table %u", table);

			g_assert_nonnull(strstr(route, "dev uplink0"));
			g_assert_nonnull(strstr(route, in_table));
		}
	}
	none = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "Explain",
			    g_variant_new("(ss)", "uid", "1234"), &error);
	g_assert_no_error(error);
	{
		g_autoptr(GVariant) d = g_variant_get_child_value(none, 0);
		gboolean steered = TRUE;

		g_assert_true(g_variant_lookup(d, "Steered", "b", &steered));
		g_assert_false(steered);
	}
	bad = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "Explain",
			   g_variant_new("(ss)", "pid", "1"), &error);
	g_assert_null(bad);
	g_assert_nonnull(error);
	/* the session's element reached the kernel, and it was timed */
	{
		g_autoptr(GVariant) d = apply_times(f, TRUE);
		guint64 count = 0;
		guint32 p50 = 0, max = 0, samples = 0;

		/* one add per element change: this session's, and another only
		 * if an uplink event moved it meanwhile */
		g_assert_true(g_variant_lookup(d, "Added.Count", "t", &count));
		g_assert_cmpuint(count, >=, 1);
		g_assert_true(g_variant_lookup(d, "Added.Samples", "u", &samples));
		g_assert_cmpuint(samples, ==, count);
		g_assert_true(g_variant_lookup(d, "Added.P50", "u", &p50));
		g_assert_true(g_variant_lookup(d, "Added.Max", "u", &max));
		g_assert_cmpuint(p50, >, 0);
		g_assert_cmpuint(p50, <=, max);
		g_assert_cmpuint(max, <, 10 * G_USEC_PER_SEC);
		g_assert_true(g_variant_lookup(d, "Removed.Count", "t", &count));
		g_assert_cmpuint(count, ==, 0);
	}
	session_client_free(a);
	/* the client left: its element goes, and that is timed too (the
	 * figures were reset above) */
	g_assert_true(nfc_lab_wait_for(one_removal_timed, f, 5000));
}

/* The uplink the main table uses: the top service's. */
static int top_uplink(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	g_autofree char *id0 = uplinks_service_id(&f->u, 0);
	const char *path;

	g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
	return g_str_has_suffix(path, id0) ? 0 : 1;
}

/* Wait until cmd (a shell command in the host namespace) succeeds (or
 * fails): the daemon's state has reached the kernel (or left it). */
static void wait_sh(Fixture *f, bool succeeds, const char *cmd)
{
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s%s", succeeds ? "" : "! ", cmd);
}

/* Explain's dictionary for kind value; *text: what nfconnctl prints. */
static GVariant *explain(Fixture *f, const char *kind, const char *value, char **text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "Explain",
					     g_variant_new("(ss)", kind, value), &error);

	g_assert_no_error(error);
	*text = nfc_lab_sh_output(f->u.lab, f->u.host,
				  NFC_BUILD_ROOT "/client/nfconnctl --bus %s explain %s %s",
				  nfc_lab_bus_address(f->u.lab), kind, value);
	return g_variant_get_child_value(r, 0);
}

static void assert_explained(GVariant *d, const char *text, const char *identity,
			     const char *iface)
{
	g_autofree char *line = g_strdup_printf("Identity = %s", identity);
	g_autofree char *own = g_strdup_printf("its creator's own %s", identity);
	const char *s = NULL;
	gboolean steered = FALSE;

	g_assert_true(g_variant_lookup(d, "Steered", "b", &steered));
	g_assert_true(steered);
	g_assert_true(g_variant_lookup(d, "Identity", "&s", &s));
	g_assert_cmpstr(s, ==, identity);
	g_assert_true(g_variant_lookup(d, "Policy", "&s", &s));
	g_assert_cmpstr(s, ==, "");
	g_assert_true(g_variant_lookup(d, "Interface", "&s", &s));
	g_assert_cmpstr(s, ==, iface);
	g_assert_true(g_variant_lookup(d, "Reason", "&s", &s));
	g_assert_nonnull(strstr(s, own));
	g_test_message("nfconnctl explain:\n%s", text);
	g_assert_nonnull(strstr(text, line));
}

/* No policy file at all (as for a new user: issue #10 saw 20 of 20 probes
 * leave by the default uplink): a session that pins the non-default
 * uplink steers its creator's own identity there; by uid when the
 * creator has no cgroup of its own (here: the test's, shared with
 * nfconnd), by its cgroup when it has one (a leaf below a top-level
 * directory). */
static void test_own_identity(Fixture *f, gconstpointer data)
{
	int top = top_uplink(f), other = 1 - top;
	g_autofree char *settings = g_strdup_printf("{'AllowedInterface': <'uplink%d'>}", other);
	g_autofree char *iface = g_strdup_printf("uplink%d", other);
	g_autofree char *uid = g_strdup_printf("%u", UID_A);
	g_autofree char *uid_element = fw_cond_uid(UID_A);
	g_autofree char *cgroup_element = NULL;
	g_autofree char *procs = g_build_filename(nfc_cgroup2_mount(), "cgroup.procs", NULL);
	g_autofree char *name = g_strdup_printf("nfcown%d", (int)getpid());
	g_autofree char *dir = g_build_filename(nfc_cgroup2_mount(), name, NULL);
	g_autofree char *app = g_build_filename(dir, "app", NULL);
	g_autofree char *app_cgroup = g_strdup_printf("/%s/app", name);
	g_autofree char *text = NULL;
	g_autoptr(GVariant) d = NULL;
	SessionClient *c;
	guint64 r_top, r_other;

	/* before: the main table, the top uplink */
	r_top = router_count(f, top, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 5);

	c = session_for(f, "client", UID_A, settings, NULL);
	wait_sh(f, true, uid_element);
	r_top = router_count(f, top, "v4");
	r_other = router_count(f, other, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 20, NULL), ==, 20);
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 20);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 0);
	d = explain(f, "uid", uid, &text);
	{
		g_autofree char *identity = g_strdup_printf("uid %u", UID_A);

		assert_explained(d, text, identity, iface);
	}

	/* the session goes, and so does the steering */
	session_client_free(c);
	wait_sh(f, false, uid_element);
	r_top = router_count(f, top, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 5);

	/* an application in a cgroup of its own: that cgroup, not its uid */
	if (!g_file_test(procs, G_FILE_TEST_EXISTS)) {
		g_test_message("no cgroup v2 hierarchy: the cgroup half is skipped");
		return;
	}
	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	g_assert_cmpint(g_mkdir(app, 0755), ==, 0);
	cgroup_element = fw_cond_cgroup(app_cgroup);
	c = session_client_start_in(f->u.lab, "app", UID_B, app);
	g_free(session_client_do(c, "create /app/s1 %s", settings));
	wait_sh(f, true, cgroup_element);
	g_clear_pointer(&d, g_variant_unref);
	g_clear_pointer(&text, g_free);
	d = explain(f, "cgroup", app_cgroup, &text);
	{
		g_autofree char *identity = g_strdup_printf("cgroup %s", app_cgroup);

		assert_explained(d, text, identity, iface);
	}
	r_top = router_count(f, top, "v4");
	r_other = router_count(f, other, "v4");
	{
		g_autofree char *res = nfc_lab_sh_output(f->u.lab, f->u.host,
			"echo $$ > %s/cgroup.procs && exec setpriv --reuid=%u --regid=%u --clear-groups "
			"/usr/bin/python3 %s " UPLINK_SERVER4 " 10", app, UID_B, UID_B, f->sender);

		g_assert_cmpstr(res, ==, "10 10\n");
	}
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 10);
	/* the same uid outside that cgroup is not steered */
	g_assert_cmpint(send_as(f, UID_B, UPLINK_SERVER4, 4, NULL), ==, 4);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 4);
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 10);
	session_client_free(c);
	wait_sh(f, false, cgroup_element);
	/* every process left them; the directories go */
	g_assert_true(nfc_lab_wait_for(cgroup_removed, app, 5000));
	g_assert_true(nfc_lab_wait_for(cgroup_removed, dir, 5000));
}

/* The session's member identity's mark in the kernel: the uid_mark
 * element of uid carries the mark Explain gives for the session, and the
 * rules route that mark out of dev. */
static void wait_member_mark(Fixture *f, unsigned int uid, const char *dev)
{
	guint32 mark = explained_mark(f, uid);
	g_autofree char *cond = fw_cond_uid_mark(uid, mark);

	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", cond);
	wait_route(f, UPLINK_SERVER4, mark, dev);
}

static char *change(SessionClient *c, const char *path, const char *args)
{
	return session_client_do(c, "call %s net.connman.Session Change (%s)", path, args);
}

/* #11 §2: with a gid policy, a member's Change steers its own sockets
 * (its uid, its member identity) and never those of another user in that
 * gid, who keeps the policy's uplinks; the member's statistics count its
 * own packets only; Explain shows both identities with their classes. */
static void test_shared_gid(Fixture *f, gconstpointer data)
{
	int top = top_uplink(f), other = 1 - top;
	g_autofree char *pol = g_strdup_printf("[g]\ngid=%u\nAllowedBearers=ethernet\n", UID_A);
	g_autofree char *gid_element = fw_cond_gid(UID_A);
	g_autofree char *other_iface = g_strdup_printf("'AllowedInterface', <'uplink%d'>", other);
	g_autofree char *dev_top = g_strdup_printf("uplink%d", top);
	g_autofree char *dev_other = g_strdup_printf("uplink%d", other);
	g_autofree char *path = NULL, *gid = g_strdup_printf("%u", UID_A), *text = NULL;
	g_autoptr(GVariant) d = NULL;
	SessionClient *a;
	guint64 r_top, r_other;

	write_policy(f, "10-shared.policy", pol);
	a = session_for(f, "member", UID_A, NULL, &path);
	wait_sh(f, true, gid_element);
	wait_member_mark(f, UID_A, dev_top);

	/* before any Change: the member and uid B (primary group A, no
	 * session) both leave by the policy's first uplink */
	r_top = router_count(f, top, "v4");
	r_other = router_count(f, other, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
	g_assert_cmpint(send_ids(f, UID_B, UID_A, UPLINK_SERVER4, 5, NULL), ==, 5);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 10);
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 0);

	/* the member pins the other uplink: its own traffic moves there,
	 * uid B's stays where the policy puts it */
	g_free(text);
	text = change(a, path, other_iface);
	g_assert_cmpstr(text, ==, "ok ()");
	wait_member_mark(f, UID_A, dev_other);
	r_top = router_count(f, top, "v4");
	r_other = router_count(f, other, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 20, NULL), ==, 20);
	g_assert_cmpint(send_ids(f, UID_B, UID_A, UPLINK_SERVER4, 20, NULL), ==, 20);
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 20);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 20);

	/* the member's statistics: its own 25 datagrams and their echoes,
	 * none of uid B's 25 */
	g_assert_cmpuint(stat_u64(a, path, "TX.Packets"), ==, 25);
	g_assert_cmpuint(stat_u64(a, path, "RX.Packets"), ==, 25);

	/* Explain: the member identity in the session's class, the gid in
	 * the policy's, each with its uplinks */
	g_clear_pointer(&text, g_free);
	d = explain(f, "gid", gid, &text);
	{
		g_autofree char *member = g_strdup_printf("uid %u", UID_A);
		g_autofree char *shared = g_strdup_printf("gid %u", UID_A);
		g_autofree char *line = g_strdup_printf("SharedIdentity = %s", shared);
		g_autofree char *top_id = uplinks_service_id(&f->u, top);
		g_autofree char *other_id = uplinks_service_id(&f->u, other);
		g_autofree const char **uplinks = NULL, **shared_uplinks = NULL;
		guint32 cls = 0, shared_cls = 0, mark = 0, shared_mark = 0;
		const char *s = NULL;

		g_test_message("nfconnctl explain:\n%s", text);
		g_assert_true(g_variant_lookup(d, "Identity", "&s", &s));
		g_assert_cmpstr(s, ==, member);
		g_assert_true(g_variant_lookup(d, "SharedIdentity", "&s", &s));
		g_assert_cmpstr(s, ==, shared);
		g_assert_true(g_variant_lookup(d, "RoutingClass", "u", &cls));
		g_assert_true(g_variant_lookup(d, "SharedRoutingClass", "u", &shared_cls));
		g_assert_cmpuint(cls, !=, 0);
		g_assert_cmpuint(shared_cls, !=, 0);
		g_assert_cmpuint(cls, !=, shared_cls);
		g_assert_true(g_variant_lookup(d, "Mark", "u", &mark));
		g_assert_true(g_variant_lookup(d, "SharedMark", "u", &shared_mark));
		/* the shared mark names no session: nobody counts its packets */
		g_assert_cmphex(shared_mark & 0x01ffff00, ==, 0);
		g_assert_cmphex(mark & 0x01ffff00, !=, 0);
		g_assert_true(g_variant_lookup(d, "Uplinks", "^a&s", &uplinks));
		g_assert_cmpuint(g_strv_length((char **)uplinks), ==, 1);
		g_assert_cmpstr(uplinks[0], ==, other_id);
		g_assert_true(g_variant_lookup(d, "SharedUplinks", "^a&s", &shared_uplinks));
		g_assert_cmpuint(g_strv_length((char **)shared_uplinks), ==, 2);
		g_assert_cmpstr(shared_uplinks[0], ==, top_id);
		g_assert_cmpstr(shared_uplinks[1], ==, other_id);
		g_assert_nonnull(strstr(text, line));
		/* and the kernel's gid element carries the shared mark */
		{
			g_autofree char *cond = fw_cond_gid_mark(UID_A, shared_mark);

			g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "%s", cond), ==, 0);
		}
	}

	/* the member cuts itself off: its own traffic goes nowhere (never
	 * the main table), uid B keeps working through the policy's uplink */
	g_free(text);
	text = change(a, path, "'AllowedBearers', <@as []>");
	g_assert_cmpstr(text, ==, "ok ()");
	wait_uid_route(f, UID_A, UPLINK_SERVER4, "unreachable");
	r_top = router_count(f, top, "v4");
	r_other = router_count(f, other, "v4");
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 3, NULL), <=, 0);
	g_assert_cmpint(send_ids(f, UID_B, UID_A, UPLINK_SERVER4, 10, NULL), ==, 10);
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 10);
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 0);

	/* the member leaves: the gid goes with its last member */
	session_client_free(a);
	wait_sh(f, false, gid_element);
}

/* A cgroup policy for a creator whose cgroup holds others too (a
 * top-level one): the cgroup is shared, and the member has no identity
 * of its own that the firewall would look up first; a narrowing Change
 * is refused with a reason, one that narrows nothing is accepted, and
 * another process in that cgroup keeps the policy's uplink. */
static void test_shared_cgroup(Fixture *f, gconstpointer data)
{
	int top = top_uplink(f), other = 1 - top;
	g_autofree char *name = g_strdup_printf("nfcshared%d", (int)getpid());
	g_autofree char *dir = g_build_filename(nfc_cgroup2_mount(), name, NULL);
	g_autofree char *procs = g_build_filename(nfc_cgroup2_mount(), "cgroup.procs", NULL);
	g_autofree char *pol = g_strdup_printf("[c]\ncgroup=/%s\nAllowedBearers=ethernet\n", name);
	g_autofree char *other_iface = g_strdup_printf("'AllowedInterface', <'uplink%d'>", other);
	g_autofree char *path = NULL, *r = NULL, *res = NULL;
	SessionClient *a;
	guint64 r_top, r_other;

	if (!g_file_test(procs, G_FILE_TEST_EXISTS)) {
		g_test_skip("no cgroup v2 hierarchy");
		return;
	}
	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	write_policy(f, "10-shared.policy", pol);
	a = session_client_start_in(f->u.lab, "member", UID_A, dir);
	r = session_client_do(a, "create /app/s1");
	g_assert_true(g_str_has_prefix(r, "created "));
	path = g_strdup(r + strlen("created "));
	{
		g_autofree char *rel = g_strdup_printf("/%s", name);
		g_autofree char *cond = fw_cond_cgroup(rel);

		nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", cond);
	}

	g_free(r);
	r = change(a, path, other_iface);
	g_test_message("%s", r);
	g_assert_true(g_str_has_prefix(r, "error net.connman.Error.PermissionDenied "));
	g_assert_nonnull(strstr(r, "is shared with others"));
	g_free(r);
	r = change(a, path, "'AllowedBearers', <@as []>");
	g_assert_true(g_str_has_prefix(r, "error net.connman.Error.PermissionDenied "));
	/* what the policy allows anyway narrows nothing */
	g_free(r);
	r = change(a, path, "'AllowedBearers', <['ethernet']>");
	g_assert_cmpstr(r, ==, "ok ()");

	r_top = router_count(f, top, "v4");
	r_other = router_count(f, other, "v4");
	res = nfc_lab_sh_output(f->u.lab, f->u.host,
		"echo $$ > %s/cgroup.procs && exec setpriv --reuid=%u --regid=%u --clear-groups "
		"/usr/bin/python3 %s " UPLINK_SERVER4 " 10", dir, UID_B, UID_B, f->sender);
	g_assert_cmpstr(res, ==, "10 10\n");
	g_assert_cmpuint(router_count(f, top, "v4") - r_top, ==, 10);
	g_assert_cmpuint(router_count(f, other, "v4") - r_other, ==, 0);
	session_client_free(a);
	g_assert_true(nfc_lab_wait_for(cgroup_removed, dir, 5000));
}

/* The host namespace's conntrack entries (0 where the kernel never
 * tracked a connection there). */
static guint64 conntrack_count(Fixture *f)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0");

	return g_ascii_strtoull(out, NULL, 10);
}

static guint log_count(Fixture *f, const char *what)
{
	g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");
	guint n = 0;

	for (const char *p = log; (p = strstr(p, what)); p++)
		n++;
	return n;
}

#define INSTALLING "something to steer: installing our state"
#define REMOVING "nothing left to steer: removing our state"

/* Idle, with no session to steer, nfconnd has nothing in the kernel's
 * firewall, not even a hook: packets cost what they cost without it, and
 * nothing makes the kernel track connections (conntrack counts none in
 * the namespace while traffic flows). The first steered session installs
 * it all; the last one going takes it all away 3 s later, unless another
 * comes meanwhile (no install then). And again. */
static void test_idle(Fixture *f, gconstpointer data)
{
	g_autofree char *pol = g_strdup_printf(
		"[a]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink1\n", UID_A);
	SessionClient *a;
	gint64 gone;

	fw_assert_none(f->u.lab, f->u.host);
	/* not even a legacy table (iptables' start probes them elsewhere:
	 * once asked for, one stays hooked in the namespace until it ends) */
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL,
					  "cat /proc/net/ip_tables_names /proc/net/ip6_tables_names "
					  "2>/dev/null | grep -q ."), !=, 0);
	g_assert_cmpint(send_as(f, UID_A, UPLINK_SERVER4, 10, NULL), ==, 10);
	g_assert_cmpuint(conntrack_count(f), ==, 0);
	g_assert_cmpuint(log_count(f, INSTALLING), ==, 0);

	write_policy(f, "10-a.policy", pol);
	a = steer(f, "client-a", 1);
	/* steering needs conntrack (the mark rides on the connection) */
	g_assert_cmpuint(conntrack_count(f), >, 0);
	g_assert_cmpuint(log_count(f, INSTALLING), ==, 1);

	/* gone, and another one right away: the state stayed */
	session_client_free(a);
	gone = g_get_monotonic_time();
	a = steer(f, "client-a2", 1);
	if (g_get_monotonic_time() - gone < 2500 * 1000) {
		g_assert_cmpuint(log_count(f, REMOVING), ==, 0);
		g_assert_cmpuint(log_count(f, INSTALLING), ==, 1);
	} else {
		g_test_message("the second session took over 2.5 s: linger not checked");
	}

	/* the last one gone: after the linger, nothing of ours */
	session_client_free(a);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 15000, "! { %s; }", fw_cond_present());
	fw_assert_none(f->u.lab, f->u.host);
	g_assert_cmpuint(log_count(f, REMOVING), ==, 1);

	/* and it all comes back with the next one */
	a = steer(f, "client-a3", 1);
	g_assert_cmpuint(log_count(f, INSTALLING), ==, 2);
	session_client_free(a);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 15000, "! { %s; }", fw_cond_present());
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, "OnlineCheckMode=none", setup, fn, teardown)
	ADD("/policy/steering", test_steering);
	ADD("/policy/failover-and-strict", test_failover_and_strict);
	ADD("/policy/source-ip-rule", test_source_ip_rule);
	ADD("/policy/constant-rules", test_constant_rules);
	/* iptables: the tamper check every second (nftables ignores it) */
	g_test_add("/policy/crash-and-tamper", Fixture,
		   "OnlineCheckMode=none\nFirewallCheckInterval=1", setup, test_crash_and_tamper,
		   teardown);
	ADD("/policy/cgroup", test_cgroup);
	ADD("/policy/explain", test_explain);
	ADD("/policy/own-identity", test_own_identity);
	ADD("/policy/shared-gid", test_shared_gid);
	ADD("/policy/shared-cgroup", test_shared_cgroup);
	ADD("/policy/idle", test_idle);
	return g_test_run();
}
