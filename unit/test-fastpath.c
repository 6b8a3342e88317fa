// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the socket-mark fast path (firewall/sockmark.bpf.c) over the
 * two-uplink lab, each case run with FastPath=auto (/fastpath/auto/...), with
 * FastPath=auto and FastPathConntrack=false (/fastpath/notrack/...) and
 * with FastPath=off (/fastpath/off/...), on the firewall backend the
 * environment names (unit/fw-state.h: meson runs every case on nftables,
 * and on iptables, auto and off, the cases whose traffic meets the
 * firewall's rules; notrack is nftables'). A probe process running as uid A
 * creates one socket, says the mark it carries (SO_MARK), then sends
 * through it when told; the routers count what reaches them. Sessions pin
 * the uplink the main table does not use, so that a socket that was not
 * steered would show at the other router. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <glib/gstdio.h>

#include "firewall.h"
#include "fw-state.h"
#include "session-driver.h"
#include "uplinks.h"

#define UID_A 38   /* Debian's "list": a passwd entry, gid = uid */
#define PORT 9999
/* a second server address behind both routers: a new flow from an old socket */
#define SERVER4_B "203.0.113.11"
/* on the routers: a TCP sink (reads to EOF, closes a moment later) and a
 * port nobody listens on (ICMP port unreachable) */
#define PORT_SINK 9998
#define PORT_CLOSED 9997

typedef struct {
	Uplinks u;
	bool fast;       /* FastPath=auto (the kernel here runs it) */
	bool notrack;    /* and FastPathConntrack=false: conntrack-free accounting */
	char *probe;     /* the probe script */
	int top, other;  /* uplink of the main table, the other one */
} Fixture;

/* probe.py FAMILY PROTO: one socket; prints "mark M"; then per line on
 * stdin "send ADDR N": UDP: connects (again) to ADDR, sends N datagrams of
 * 100 bytes, each waiting for its echo, prints "src ADDR got G" (the
 * source the first connect chose: a connected socket keeps it); TCP: connects, sends 1000 bytes,
 * prints "src ADDR answer TEXT". EOF ends it. */
static const char probe_py[] =
	"import socket, sys\n"
	"fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET\n"
	"tcp = sys.argv[2] == 'tcp'\n"
	"s = socket.socket(fam, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)\n"
	"print('mark', s.getsockopt(socket.SOL_SOCKET, 36), flush=True)\n"
	"for line in sys.stdin:\n"
	"    _, addr, n = line.split()\n"
	"    s.settimeout(5.0)\n"
	"    if tcp:\n"
	"        s.connect((addr, 9999)); s.sendall(b'y' * 1000); s.shutdown(socket.SHUT_WR)\n"
	"        got = b''\n"
	"        while True:\n"
	"            d = s.recv(4096)\n"
	"            if not d: break\n"
	"            got += d\n"
	"        print('src', s.getsockname()[0], 'answer', got.decode(), flush=True)\n"
	"        continue\n"
	"    got = 0\n"
	"    s.connect((addr, 9999))\n"
	"    for i in range(int(n)):\n"
	"        s.send(b'x' * 100)\n"
	"        try:\n"
	"            s.recv(2048); got += 1\n"
	"        except socket.timeout:\n"
	"            pass\n"
	"    print('src', s.getsockname()[0], 'got', got, flush=True)\n";

/* sink.py ADDR4 ADDR6: TCP on PORT_SINK; reads a connection to its end,
 * then closes it 0.3 s later: the peer, which closed first, gets our FIN
 * after the ACK of its own, in TIME_WAIT. */
static const char sink_py[] =
	"import socket, sys, select, time\n"
	"ls = []\n"
	"for fam, addr in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):\n"
	"    t = socket.socket(fam, socket.SOCK_STREAM)\n"
	"    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
	"    t.bind((addr, 9998)); t.listen(8); ls.append(t)\n"
	"while True:\n"
	"    r, _, _ = select.select(ls, [], [])\n"
	"    for s in r:\n"
	"        c, _ = s.accept(); c.settimeout(5)\n"
	"        try:\n"
	"            while c.recv(4096): pass\n"
	"        except OSError:\n"
	"            pass\n"
	"        time.sleep(0.3); c.close()\n";

/* traffic.py SERVER KIND: one kind of traffic of a fresh socket, as the
 * session's uid: udp (connected, 5 echoes of 100 bytes), udp-unconnected
 * (sendto/recvfrom, a wildcard-bound socket), tcp (1000 bytes, the server
 * answers and closes first), icmp (3 datagrams to a closed port: ICMP
 * errors), tcp-close-first (1000 bytes to the sink, we close at once).
 * Prints "ok". */
static const char traffic_py[] =
	"import socket, sys\n"
	"addr, kind = sys.argv[1], sys.argv[2]\n"
	"fam = socket.AF_INET6 if ':' in addr else socket.AF_INET\n"
	"if kind.startswith('udp') or kind == 'icmp':\n"
	"    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(5)\n"
	"    port = 9997 if kind == 'icmp' else 9999\n"
	"    n = 3 if kind == 'icmp' else 5\n"
	"    if kind != 'udp-unconnected': s.connect((addr, port))\n"
	"    for i in range(n):\n"
	"        if kind == 'udp-unconnected':\n"
	"            s.sendto(b'x' * 100, (addr, port)); s.recvfrom(2048)\n"
	"        else:\n"
	"            s.send(b'x' * 100)\n"
	"            try:\n"
	"                s.recv(2048)\n"
	"                assert kind != 'icmp'\n"
	"            except ConnectionRefusedError:\n"
	"                assert kind == 'icmp'\n"
	"    s.close()\n"
	"elif kind == 'tcp':\n"
	"    s = socket.create_connection((addr, 9999), timeout=5)\n"
	"    s.sendall(b'y' * 1000); s.shutdown(socket.SHUT_WR)\n"
	"    while s.recv(4096): pass\n"
	"    s.close()\n"
	"else:\n"
	"    s = socket.create_connection((addr, 9998), timeout=5)\n"
	"    s.sendall(b'y' * 1000); s.close()\n"
	"print('ok', flush=True)\n";

typedef struct {
	Fixture *f;
	GPid pid;
	int in, out;
	GString *buf;
} Probe;

/* As uid A (real, effective and filesystem uid alike), or with
 * effective_only as uid A on top of real uid 0 (a setuid program, a
 * daemon after seteuid()). */
static Probe *probe_start_as(Fixture *f, const char *ns, const char *family, const char *proto,
			     bool effective_only)
{
	Probe *p = g_new0(Probe, 1);
	g_autofree char *uid = g_strdup_printf("%u", UID_A);
	g_autofree char *name = g_strdup_printf("probe-%s-%s", family, proto);
	const char *argv[] = { "setpriv", effective_only ? "--euid" : "--reuid", uid,
			       effective_only ? "--egid" : "--regid", uid, "--clear-groups",
			       "/usr/bin/python3", "-u", f->probe, family, proto, NULL };

	p->f = f;
	p->buf = g_string_new(NULL);
	p->pid = nfc_lab_spawn_pipes(f->u.lab, ns, name, argv, &p->in, &p->out);
	return p;
}

/* The probe's next line (15 s at most: it waits 5 s per lost echo at worst). */
static Probe *probe_start(Fixture *f, const char *ns, const char *family, const char *proto)
{
	return probe_start_as(f, ns, family, proto, false);
}

static char *probe_line(Probe *p)
{
	gint64 end = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;

	for (;;) {
		char *nl = strchr(p->buf->str, '\n');
		struct pollfd pfd = { p->out, POLLIN, 0 };
		char chunk[512];
		ssize_t n;

		if (nl) {
			char *line = g_strndup(p->buf->str, nl - p->buf->str);

			g_string_erase(p->buf, 0, nl - p->buf->str + 1);
			return line;
		}
		if (g_get_monotonic_time() > end)
			g_error("probe: no answer; so far: %s", p->buf->str);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(p->out, chunk, sizeof(chunk));
		if (n <= 0) {
			g_autofree char *log = nfc_lab_log(p->f->u.lab, "probe-4-udp");

			g_error("probe ended; so far: %s", p->buf->str);
		}
		g_string_append_len(p->buf, chunk, n);
	}
}

static guint32 probe_mark(Probe *p)
{
	g_autofree char *line = probe_line(p);
	guint32 mark = 0;

	g_assert_cmpint(sscanf(line, "mark %u", &mark), ==, 1);
	return mark;
}

/* "send ADDR N"; returns the probe's answer "src ADDR got G" / "src ADDR
 * answer TEXT" split at spaces */
static char **probe_send(Probe *p, const char *addr, int n)
{
	g_autofree char *cmd = g_strdup_printf("send %s %d\n", addr, n);
	g_autofree char *line = NULL;

	g_assert_cmpint(write(p->in, cmd, strlen(cmd)), ==, (ssize_t)strlen(cmd));
	line = probe_line(p);
	g_test_message("probe: %s", line);
	return g_strsplit(line, " ", 4);
}

static void probe_free(Probe *p)
{
	close(p->in);
	close(p->out);
	nfc_lab_stop(p->f->u.lab, p->pid, SIGTERM, 5000, NULL);
	g_string_free(p->buf, TRUE);
	g_free(p);
}

/* ---- the lab ------------------------------------------------------------- */

static guint64 router_count(Fixture *f, int i, const char *counter)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.router[i],
		"nft list counter inet count %s | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'", counter);

	return g_ascii_strtoull(out, NULL, 10);
}

/* Flows the steered masquerade rule still rewrote (nft: it has a counter
 * with the fast path on; the test checks it only then). */
static guint64 masq_count(Fixture *f)
{
	return fw_steered_masquerades(f->u.lab, f->u.host);
}

static char *uplink_prefix(Fixture *f, int i, const char *family)
{
	/* uplink0: 198.51.100.0/25, 2001:db8:a::/64; uplink1: .128/25, 2001:db8:b::/64 */
	if (g_str_equal(family, "6"))
		return g_strdup(i ? "2001:db8:b:" : "2001:db8:a:");
	return g_strdup(i ? "198.51.100.1" : "198.51.100.");
}

static bool addr_on_uplink(Fixture *f, const char *addr, int i, const char *family)
{
	g_autofree char *prefix = uplink_prefix(f, i, family);
	unsigned int last = 0;

	if (!g_str_has_prefix(addr, prefix))
		return false;
	if (g_str_equal(family, "6"))
		return true;
	/* IPv4: the pools are .50-.99 and .150-.199 */
	last = atoi(strrchr(addr, '.') + 1);
	return i ? last >= 128 : last < 128;
}

static gboolean has_ipv6_gateway(gpointer data)
{
	Fixture *f = data;

	for (int i = 0; i < 2; i++) {
		g_autofree char *id = uplinks_service_id(&f->u, i);
		g_autoptr(GVariant) v6 = uplinks_service_property(&f->u, id, "IPv6");
		g_autoptr(GVariant) gw = v6 ? g_variant_lookup_value(v6, "Gateway", NULL) : NULL;

		if (!gw)
			return FALSE;
	}
	return TRUE;
}

static int top_uplink(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	g_autofree char *id0 = uplinks_service_id(&f->u, 0);
	const char *path;

	g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
	return g_str_has_suffix(path, id0) ? 0 : 1;
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *echo = NULL, *sink = NULL, *traffic = NULL;
	const char *mode = data;

	f->notrack = g_str_equal(mode, "notrack");
	f->fast = f->notrack || g_str_equal(mode, "auto");
	uplinks_setup(&f->u, f->notrack ? "OnlineCheckMode=none\nFastPath=auto\nFastPathConntrack=false"
			     : f->fast  ? "OnlineCheckMode=none\nFastPath=auto\nFastPathConntrack=true"
					: "OnlineCheckMode=none\nFastPath=off");
	f->probe = g_build_filename(nfc_lab_dir(f->u.lab), "probe.py", NULL);
	echo = g_build_filename(nfc_lab_dir(f->u.lab), "echo.py", NULL);
	g_file_set_contents(f->probe, probe_py, -1, &error);
	g_assert_no_error(error);
	g_file_set_contents(echo, uplinks_echo_py, -1, &error);
	g_assert_no_error(error);
	sink = g_build_filename(nfc_lab_dir(f->u.lab), "sink.py", NULL);
	g_file_set_contents(sink, sink_py, -1, &error);
	g_assert_no_error(error);
	traffic = g_build_filename(nfc_lab_dir(f->u.lab), "traffic.py", NULL);
	g_file_set_contents(traffic, traffic_py, -1, &error);
	g_assert_no_error(error);
	nfc_lab_sh(f->u.lab, NULL, "chmod 755 %s; chmod 644 %s %s", nfc_lab_dir(f->u.lab), f->probe,
		   traffic);
	for (int i = 0; i < 2; i++) {
		g_autofree char *name = g_strdup_printf("echo%d", i);
		g_autofree char *name_b = g_strdup_printf("echo%db", i);
		const char *argv[] = { "python3", echo, UPLINK_SERVER4, UPLINK_SERVER6, name, NULL };
		const char *argv_b[] = { "python3", echo, SERVER4_B, "::1", name_b, NULL };

		nfc_lab_sh(f->u.lab, f->u.router[i],
			   "ip addr add %s/32 dev lo && "
			   "nft add table inet count && "
			   "nft add chain inet count in '{ type filter hook input priority 0; }' && "
			   "nft add counter inet count v4 && nft add counter inet count v6 && "
			   "nft add counter inet count t4 && nft add counter inet count t6 && "
			   "nft add rule inet count in meta nfproto ipv4 udp dport %d counter name v4 && "
			   "nft add rule inet count in meta nfproto ipv6 udp dport %d counter name v6 && "
			   "nft add rule inet count in meta nfproto ipv4 tcp dport %d "
			   "'tcp flags & (syn | ack) == syn' counter name t4 && "
			   "nft add rule inet count in meta nfproto ipv6 tcp dport %d "
			   "'tcp flags & (syn | ack) == syn' counter name t6",
			   SERVER4_B, PORT, PORT, PORT, PORT);
		nfc_lab_spawn(f->u.lab, f->u.router[i], name, argv);
		nfc_lab_spawn(f->u.lab, f->u.router[i], name_b, argv_b);
		nfc_lab_sh(f->u.lab, f->u.router[i],
			   "nft add counter inet count hin && nft add counter inet count hout && "
			   "nft add chain inet count out '{ type filter hook output priority 0; }' && "
			   "nft add rule inet count in meta l4proto '{ tcp, udp }' th dport %d-%d "
			   "counter name hin && "
			   "nft add rule inet count out meta l4proto '{ tcp, udp }' th sport %d-%d "
			   "counter name hout && "
			   "nft add rule inet count out icmp type destination-unreachable counter name hout && "
			   "nft add rule inet count out icmpv6 type destination-unreachable "
			   "counter name hout", PORT_CLOSED, PORT, PORT_CLOSED, PORT);
		{
			g_autofree char *sname = g_strdup_printf("sink%d", i);
			const char *sargv[] = { "python3", sink, UPLINK_SERVER4, UPLINK_SERVER6, NULL };

			nfc_lab_spawn(f->u.lab, f->u.router[i], sname, sargv);
		}
	}
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	for (int i = 0; i < 2; i++)
		nfc_lab_wait_sh(f->u.lab, f->u.router[i], 30000,
				"test $(ss -Htuln 'sport = :%d' | wc -l) = 8 && "
				"test $(ss -Htln 'sport = :%d' | wc -l) = 2", PORT, PORT_SINK);
	f->top = top_uplink(f);
	f->other = 1 - f->top;
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
	g_free(f->probe);
}

/* A session of uid A pinned to uplink i: no policy, so the engine
 * steers the creator's own uid. Waits until its element is in. */
static SessionClient *session_on(Fixture *f, int i, char **path)
{
	SessionClient *c = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *line = session_client_do(c, "create /app/s1 {'AllowedInterface': <'uplink%d'>}",
						  i);

	if (!g_str_has_prefix(line, "created "))
		g_error("session: %s", line);
	*path = g_strdup(line + strlen("created "));
	g_free(session_client_expect(c, "update /app/s1 ", 5000));
	{
		g_autofree char *marked = fw_cond_uid(UID_A);

		nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", marked);
	}
	return c;
}

static guint32 session_mark(Fixture *f)
{
	return fw_uid_mark(f->u.lab, f->u.host, UID_A);
}

static guint64 stat_u64(SessionClient *c, const char *path, const char *key)
{
	g_autofree char *line = session_client_do(c, "call %s net.nfconn.SessionStats GetStats", path);
	g_autofree char *pattern = g_strdup_printf("'%s': <", key);
	const char *p;

	g_assert_true(g_str_has_prefix(line, "ok "));
	p = strstr(line, pattern);
	g_assert_nonnull(p);
	p += strlen(pattern);
	if (g_str_has_prefix(p, "uint64 "))
		p += strlen("uint64 ");
	return g_ascii_strtoull(p, NULL, 10);
}

/* ---- the cases ------------------------------------------------------------- */

/* One socket made after the session: marked at creation (fast path) or
 * not (off); either way it leaves by the session's uplink and its
 * answers come back. With the fast path its source address is the
 * uplink's own, and the steered masquerade rule rewrote nothing. */
static void check_new_socket(Fixture *f, const char *family, const char *proto, guint32 mark)
{
	const char *server = g_str_equal(family, "6") ? UPLINK_SERVER6 : UPLINK_SERVER4;
	g_autofree char *counter = g_strdup_printf("%s%s", g_str_equal(proto, "tcp") ? "t" : "v",
						   family);
	guint64 r_other = router_count(f, f->other, counter), r_top = router_count(f, f->top, counter);
	guint64 masq = masq_count(f);
	Probe *p = probe_start(f, f->u.host, family, proto);
	g_auto(GStrv) answer = NULL;
	bool tcp = g_str_equal(proto, "tcp");

	g_assert_cmpuint(probe_mark(p), ==, f->fast ? mark : 0);
	answer = probe_send(p, server, 5);
	g_assert_cmpstr(answer[0], ==, "src");
	if (tcp) {
		g_autofree char *want = g_strdup_printf("echo%d 1000", f->other);

		g_assert_cmpstr(answer[3], ==, want);
	} else {
		g_assert_cmpstr(answer[3], ==, "5");
	}
	g_assert_cmpuint(router_count(f, f->other, counter) - r_other, ==, tcp ? 1 : 5);
	g_assert_cmpuint(router_count(f, f->top, counter) - r_top, ==, 0);
	if (f->fast) {
		g_assert_true(addr_on_uplink(f, answer[1], f->other, family));
		g_assert_cmpuint(masq_count(f), ==, masq);
	}
	probe_free(p);
}

static void test_new_sockets(Fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	SessionClient *c = session_on(f, f->other, &path);
	guint32 mark = session_mark(f);
	g_autofree char *dev = g_strdup_printf("uplink%d", f->other);

	g_assert_cmpuint(mark, !=, 0);
	check_new_socket(f, "4", "udp", mark);
	check_new_socket(f, "4", "tcp", mark);

	/* counted exactly, both directions: 5 × (100 + 8 + 20) each way, and
	 * the TCP connection's segments on top: count UDP alone in a second
	 * session-less figure is not possible, so check UDP first */
	g_assert_true(nfc_lab_wait_for(has_ipv6_gateway, f, 20000));
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000,
			"ip route get %s mark 0x%x | grep -q 'dev %s .*src '", UPLINK_SERVER6, mark,
			dev);
	check_new_socket(f, "6", "udp", mark);
	check_new_socket(f, "6", "tcp", mark);
	session_client_free(c);
}

/* What the session's router saw from and to the host (hin, hout:
 * packets and bytes of the test's ports, and ICMP errors sent). */
static void router_bytes(Fixture *f, int i, const char *counter, guint64 *packets, guint64 *bytes)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.router[i],
		"nft list counter inet count %s | sed -n 's/.*packets \\([0-9]*\\) bytes \\([0-9]*\\).*/\\1 \\2/p'",
		counter);

	g_assert_cmpint(sscanf(out, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, packets, bytes), ==, 2);
}

typedef struct {
	Fixture *f;
	SessionClient *c;
	const char *path;
	guint64 v[8];    /* TX packets, bytes, RX packets, bytes: session, router */
	guint64 lost[2]; /* RX packets, bytes known not counted (notrack) */
	guint64 fin;     /* bytes of a FIN that may go uncounted, or 0 */
} Exact;

static void exact_read(Exact *e)
{
	e->v[0] = stat_u64(e->c, e->path, "TX.Packets");
	e->v[1] = stat_u64(e->c, e->path, "TX.Bytes");
	e->v[2] = stat_u64(e->c, e->path, "RX.Packets");
	e->v[3] = stat_u64(e->c, e->path, "RX.Bytes");
	router_bytes(e->f, e->f->other, "hin", &e->v[4], &e->v[5]);
	router_bytes(e->f, e->f->other, "hout", &e->v[6], &e->v[7]);
}

static gboolean exact_equal(gpointer data)
{
	Exact *e = data;

	exact_read(e);
	return e->v[0] == e->v[4] && e->v[1] == e->v[5] && e->v[2] + e->lost[0] == e->v[6] &&
	       e->v[3] + e->lost[1] == e->v[7];
}

/* ... or RX short of exactly one FIN of e->fin bytes (see check_exact) */
static gboolean exact_settled(gpointer data)
{
	Exact *e = data;

	return exact_equal(e) || (e->fin && e->v[0] == e->v[4] && e->v[1] == e->v[5] &&
				  e->v[2] + e->lost[0] + 1 == e->v[6] &&
				  e->v[3] + e->lost[1] + e->fin == e->v[7]);
}

/* One kind of traffic (traffic.py) from a new socket of the session's
 * uid; then the session's counters must equal, to the byte, what its
 * router counted from and to the host (the session is all the traffic
 * of those ports: the router sees nothing else of them). */
static void check_exact(Fixture *f, Exact *e, const char *server, const char *kind)
{
	g_autofree char *traffic = g_build_filename(nfc_lab_dir(f->u.lab), "traffic.py", NULL);
	g_autofree char *out = NULL;
	int status = nfc_lab_sh_status(f->u.lab, f->u.host, &out,
				       "setpriv --reuid %u --regid %u --clear-groups "
				       "/usr/bin/python3 %s %s %s", UID_A, UID_A, traffic, server, kind);
	bool close_first = g_str_equal(kind, "tcp-close-first"), v6 = strchr(server, ':') != NULL;
	bool same;

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(out, ==, "ok\n");
	/* the sink closes 0.3 s after our FIN: wait for its FIN (our socket
	 * then is in TIME-WAIT), or the counters may meet before it and it
	 * falls into the next case's figures */
	if (close_first)
		nfc_lab_wait_sh(f->u.lab, f->u.host, 10000,
				"ss -Htan state time-wait | grep -qF '%s%s:9998'", server,
				v6 ? "]" : "");
	/* the last packets may still be on their way (a FIN, its ACK); a bare
	 * segment with timestamps */
	e->fin = f->notrack && close_first ? (v6 ? 40 + 32 : 20 + 32) : 0;
	g_assert_true(nfc_lab_wait_for(exact_settled, e, 5000));
	same = exact_equal(e);
	g_test_message("%s %s: session TX %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
		       " RX %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "; router from host %"
		       G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT ", to host %" G_GUINT64_FORMAT "/%"
		       G_GUINT64_FORMAT " (packets/bytes)", server, kind, e->v[0], e->v[1], e->v[2],
		       e->v[3], e->v[4], e->v[5], e->v[6], e->v[7]);
	if (!same && e->fin) {
		/* What conntrack-free accounting cannot count: packets that
		 * reach a TCP socket after the application closed it and the
		 * kernel made it a timewait socket (nft's socket mark needs a
		 * full socket): here the peer's FIN, after the ACK of ours.
		 * TX stays exact (the timewait socket keeps the mark). */
		guint64 packets = e->v[6] - e->v[2] - e->lost[0], bytes = e->v[7] - e->v[3] - e->lost[1];

		g_assert_cmpuint(e->v[0], ==, e->v[4]);
		g_assert_cmpuint(e->v[1], ==, e->v[5]);
		g_assert_cmpuint(packets, ==, 1);
		g_assert_cmpuint(bytes, ==, e->fin);
		g_test_message("not counted (timewait socket): %" G_GUINT64_FORMAT " packet, %"
			       G_GUINT64_FORMAT " bytes", packets, bytes);
		e->lost[0] += packets;
		e->lost[1] += bytes;
		return;
	}
	g_assert_true(same);
}

/* Byte-exact counters in both directions, IPv4 and IPv6, for every kind
 * of traffic traffic.py makes, cumulative over one session. */
static void test_exact(Fixture *f, gconstpointer data)
{
	static const char *const kinds[] = { "udp", "udp-unconnected", "tcp", "icmp",
					     "tcp-close-first" };
	g_autofree char *path = NULL;
	SessionClient *c = session_on(f, f->other, &path);
	guint32 mark = session_mark(f);
	g_autofree char *dev = g_strdup_printf("uplink%d", f->other);
	Exact e = { .f = f, .c = c, .path = path };

	g_assert_true(nfc_lab_wait_for(has_ipv6_gateway, f, 20000));
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000,
			"ip route get %s mark 0x%x | grep -q 'dev %s .*src '", UPLINK_SERVER6, mark,
			dev);
	/* nothing of the session yet, and nothing of its ports at the router */
	g_assert_true(exact_equal(&e));
	/* the raw-priority chains exist in the conntrack-free mode only (and
	 * nft can print them, as text and as JSON); iptables has the chain
	 * for marked sockets with the fast path only */
	if (fw_backend() == FW_NFTABLES) {
		g_autofree char *text = nfc_lab_sh_output(f->u.lab, f->u.host,
							  "nft list ruleset; nft -j list ruleset >/dev/null");

		g_assert_true((strstr(text, "notrack") != NULL) == f->notrack);
		g_assert_true((strstr(text, "socket mark") != NULL) == f->notrack);
	} else {
		g_autofree char *text = nfc_lab_sh_output(f->u.lab, f->u.host,
							  "iptables-legacy-save; ip6tables-legacy-save");

		g_assert_true((strstr(text, "-j NFCONN-SOCK") != NULL) == f->fast);
		g_assert_null(strstr(text, "NOTRACK"));
	}
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		check_exact(f, &e, UPLINK_SERVER4, kinds[i]);
		check_exact(f, &e, UPLINK_SERVER6, kinds[i]);
	}
	session_client_free(c);
}

/* Byte-exact counters: only UDP through a fresh session, 20 datagrams of
 * 100 bytes, IPv4: 20 × 128 bytes each way. */
static void test_counters(Fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	SessionClient *c = session_on(f, f->other, &path);
	Probe *p = probe_start(f, f->u.host, "4", "udp");
	g_auto(GStrv) answer = NULL;

	g_assert_cmpuint(probe_mark(p), ==, f->fast ? session_mark(f) : 0);
	answer = probe_send(p, UPLINK_SERVER4, 20);
	g_assert_cmpstr(answer[3], ==, "20");
	probe_free(p);
	g_assert_cmpuint(stat_u64(c, path, "TX.Packets"), ==, 20);
	g_assert_cmpuint(stat_u64(c, path, "TX.Bytes"), ==, 20 * 128);
	g_assert_cmpuint(stat_u64(c, path, "RX.Packets"), ==, 20);
	g_assert_cmpuint(stat_u64(c, path, "RX.Bytes"), ==, 20 * 128);

	/* Explain tells which path marks, GetApplyTimes times the program's
	 * map updates */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "Explain",
						     g_variant_new("(ss)", "uid", "38"), &error);
		g_autoptr(GVariant) d = NULL, t = NULL, times = NULL;
		const char *fast = NULL;
		guint64 count = 0;

		g_assert_no_error(error);
		d = g_variant_get_child_value(r, 0);
		g_assert_true(g_variant_lookup(d, "FastPath", "&s", &fast));
		g_assert_true(g_str_has_prefix(fast, f->fast ? "on:" : "off (FastPath=off in main.conf)"));
		t = nfc_lab_call(f->u.lab, "/", "net.nfconn.Manager", "GetApplyTimes",
				 g_variant_new("(b)", FALSE), &error);
		g_assert_no_error(error);
		times = g_variant_get_child_value(t, 0);
		g_assert_true(g_variant_lookup(times, "FastPath.Count", "t", &count));
		if (f->fast)
			g_assert_cmpuint(count, >=, 1);
		else
			g_assert_cmpuint(count, ==, 0);
	}
	session_client_free(c);
}

/* Which uid the program matches: nft's `meta skuid` is the socket file's
 * fsuid, and so is what the program reads (the task's fsuid), not the
 * real uid that bpf_get_current_uid_gid() gives. A process of real uid 0
 * and effective (so filesystem) uid A is A's on both paths. */
static void test_effective_uid(Fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	SessionClient *c = session_on(f, f->other, &path);
	guint64 r_other = router_count(f, f->other, "v4");
	Probe *p = probe_start_as(f, f->u.host, "4", "udp", true);
	g_auto(GStrv) answer = NULL;

	g_assert_cmpuint(probe_mark(p), ==, f->fast ? session_mark(f) : 0);
	answer = probe_send(p, UPLINK_SERVER4, 5);
	g_assert_cmpstr(answer[3], ==, "5");
	g_assert_cmpuint(router_count(f, f->other, "v4") - r_other, ==, 5);
	if (f->fast)
		g_assert_true(addr_on_uplink(f, answer[1], f->other, "4"));
	probe_free(p);
	session_client_free(c);
}

/* Sockets the program leaves alone: one made before the session (the nft
 * path steers it all the same), and one of the same uid in another
 * network namespace (not ours: never marked). */
static void test_not_ours(Fixture *f, gconstpointer data)
{
	const char *elsewhere = nfc_lab_add_netns(f->u.lab, "elsewhere");
	Probe *old = probe_start(f, f->u.host, "4", "udp");
	Probe *other_ns;
	g_autofree char *path = NULL;
	g_auto(GStrv) answer = NULL;
	guint64 r_other, r_top;
	SessionClient *c;

	g_assert_cmpuint(probe_mark(old), ==, 0);
	c = session_on(f, f->other, &path);
	other_ns = probe_start(f, elsewhere, "4", "udp");
	g_assert_cmpuint(probe_mark(other_ns), ==, 0);
	probe_free(other_ns);

	r_other = router_count(f, f->other, "v4");
	r_top = router_count(f, f->top, "v4");
	answer = probe_send(old, UPLINK_SERVER4, 5);
	g_assert_cmpstr(answer[3], ==, "5");
	g_assert_cmpuint(router_count(f, f->other, "v4") - r_other, ==, 5);
	g_assert_cmpuint(router_count(f, f->top, "v4") - r_top, ==, 0);
	/* its source was picked by the main table: the top uplink's address,
	 * masqueraded on the way out */
	g_assert_true(addr_on_uplink(f, answer[1], f->top, "4"));
	if (f->fast)
		g_assert_cmpuint(masq_count(f), >=, 1);
	probe_free(old);
	session_client_free(c);
}

/* The session moves to the other uplink (AllowedInterface changed): its
 * socket, marked for the old class, follows for its next new flow (the
 * flow it has stays where it started, as on the nft path). */
static void test_moved(Fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	SessionClient *c = session_on(f, f->top, &path);
	guint32 before = session_mark(f), after;
	Probe *p = probe_start(f, f->u.host, "4", "udp");
	g_auto(GStrv) first = NULL, second = NULL;
	guint64 r_other, r_top;

	g_assert_cmpuint(probe_mark(p), ==, f->fast ? before : 0);
	first = probe_send(p, UPLINK_SERVER4, 3);
	g_assert_cmpstr(first[3], ==, "3");

	g_free(session_client_do(c, "call %s net.connman.Session Change ('AllowedInterface', "
				 "<'uplink%d'>)", path, f->other));
	{
		g_autofree char *marked = fw_cond_uid(UID_A);
		g_autofree char *was = fw_cond_uid_mark(UID_A, before);

		nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s && ! { %s; }", marked, was);
	}
	after = session_mark(f);
	g_assert_cmpuint(after, !=, before);
	r_other = router_count(f, f->other, "v4");
	r_top = router_count(f, f->top, "v4");
	second = probe_send(p, SERVER4_B, 5);
	g_assert_cmpstr(second[3], ==, "5");
	g_assert_cmpuint(router_count(f, f->other, "v4") - r_other, ==, 5);
	g_assert_cmpuint(router_count(f, f->top, "v4") - r_top, ==, 0);
	probe_free(p);
	session_client_free(c);
}

/* ---- the program's life ------------------------------------------------------ */

/* The BPF programs nfconnd holds, from its fds (a link's fdinfo names
 * its program). */
static GArray *held_programs(GPid pid)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/fdinfo", pid);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *text = NULL;
		const char *p;

		if (!g_file_get_contents(path, &text, NULL, NULL))
			continue;
		if (!strstr(text, "link_type:") || !(p = strstr(text, "prog_id:")))
			continue;
		{
			guint32 id = (guint32)strtoul(p + strlen("prog_id:"), NULL, 10);

			g_array_append_val(ids, id);
		}
	}
	return ids;
}

/* Is program id attached to the cgroup2 root for sock_create (the
 * kernel's list, as bpftool cgroup show reads it)? */
static bool attached_at_root(guint32 id)
{
	int fd = open(nfc_cgroup2_mount(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	guint32 ids[256], n = G_N_ELEMENTS(ids), flags = 0;
	bool found = false;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bpf_prog_query(fd, BPF_CGROUP_INET_SOCK_CREATE, 0, &flags, ids, &n), ==, 0);
	close(fd);
	for (guint32 i = 0; i < n; i++)
		found |= ids[i] == id;
	return found;
}

static gboolean program_gone(gpointer data)
{
	guint32 id = GPOINTER_TO_UINT(data);
	int fd;

	if (attached_at_root(id))
		return FALSE;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		close(fd);
		return FALSE;
	}
	return TRUE;
}

/* nfconnd's one program (fast path) or none (off), attached at the root */
static guint32 our_program(Fixture *f)
{
	g_autoptr(GArray) ids = held_programs(f->u.nfconnd);

	if (!f->fast) {
		g_assert_cmpuint(ids->len, ==, 0);
		return 0;
	}
	g_assert_cmpuint(ids->len, ==, 1);
	g_assert_true(attached_at_root(g_array_index(ids, guint32, 0)));
	return g_array_index(ids, guint32, 0);
}

static void test_lifecycle(Fixture *f, gconstpointer data)
{
	guint32 id = our_program(f);
	int status;

	/* SIGKILL: the kernel drops the link and the program with our fds */
	status = nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGKILL, 5000, NULL);
	g_assert_true(WIFSIGNALED(status));
	if (id)
		g_assert_true(nfc_lab_wait_for(program_gone, GUINT_TO_POINTER(id), 10000));
	/* a restart attaches a new one */
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	id = our_program(f);
	/* SIGTERM: the same */
	uplinks_stop_nfconnd(&f->u);
	if (id)
		g_assert_true(nfc_lab_wait_for(program_gone, GUINT_TO_POINTER(id), 10000));
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "auto", "notrack", "off" };

	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
	for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
#define ADD(name, fn)                                                                       \
	do {                                                                                \
		g_autofree char *p_ = g_strdup_printf("/fastpath/%s/%s", modes[m], name);    \
		g_test_add(p_, Fixture, modes[m], setup, fn, teardown);                      \
	} while (0)
		ADD("new-sockets", test_new_sockets);
		ADD("counters", test_counters);
		ADD("exact", test_exact);
		ADD("effective-uid", test_effective_uid);
		ADD("not-ours", test_not_ours);
		ADD("moved", test_moved);
		ADD("lifecycle", test_lifecycle);
#undef ADD
	}
	return g_test_run();
}
