// SPDX-License-Identifier: GPL-2.0-or-later
/* System test of the ctnetlink flush (firewall/conntrack.c) against the
 * real kernel. A namespace "nat" routes a client namespace out of two
 * uplinks to two router namespaces and masquerades it with nft (the test
 * sets that up itself); real UDP flows make the conntrack entries, read
 * back from /proc/net/nf_conntrack of that namespace, not through our own
 * dump. The test enters "nat" before it opens the ctnetlink socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "conntrack.h"
#include "lab.h"

/* Per family: the addresses of the lab, and how /proc prints them. */
typedef struct {
	int family;
	const char *ver;             /* "4", "6": the sender's argument */
	const char *client, *client_gw, *client_net;
	const char *up1, *up1_peer, *up2, *up2_peer, *plen;
	const char *server;          /* routed via up1, then via up2 */
	const char *other;           /* always routed via up2 */
} Net;

static const Net net4 = {
	.family = AF_INET, .ver = "4",
	.client = "192.168.7.2/24", .client_gw = "192.168.7.1", .client_net = "192.168.7.0/24",
	.up1 = "10.1.0.1", .up1_peer = "10.1.0.2", .up2 = "10.2.0.1", .up2_peer = "10.2.0.2",
	.plen = "24", .server = "203.0.113.1", .other = "198.51.100.9",
};

static const Net net6 = {
	.family = AF_INET6, .ver = "6",
	.client = "fd00:7::2/64", .client_gw = "fd00:7::1", .client_net = "fd00:7::/64",
	.up1 = "fd01::1", .up1_peer = "fd01::2", .up2 = "fd02::1", .up2_peer = "fd02::2",
	.plen = "64", .server = "2001:db8:ff::1", .other = "2001:db8:aa::9",
};

typedef struct {
	NfcLab *lab;
	const Net *net;
	const char *cli, *nat, *r1, *r2;
	int saved_netns;
	NfcConntrack *ct;
} Fixture;

/* Sends one datagram to DST port 9 from each of the ports BASE..BASE+N-1:
 * N flows, N conntrack entries. */
static const char sender[] =
	"import socket, sys\n"
	"fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET\n"
	"dst, base, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])\n"
	"for i in range(n):\n"
	"    s = socket.socket(fam, socket.SOCK_DGRAM)\n"
	"    s.bind(('', base + i))\n"
	"    s.sendto(b'x', (dst, 9))\n"
	"    s.close()\n";

/* An address as /proc/net/nf_conntrack prints it (%pI4, %pI6: IPv6 with
 * every group in four digits). */
static char *proc_addr(const Net *net, const char *text)
{
	uint8_t a[16];

	g_assert_cmpint(inet_pton(net->family, text, a), ==, 1);
	if (net->family == AF_INET)
		return g_strdup(text);
	return g_strdup_printf("%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
			       a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
			       a[11], a[12], a[13], a[14], a[15]);
}

/* grep pattern of the UDP entries whose reply goes from `from` (port 9 or
 * any) to `to`: a flow to `from` NATed to `to`. */
static char *reply_pattern(const Net *net, const char *from, const char *to)
{
	g_autofree char *f = proc_addr(net, from), *t = proc_addr(net, to);

	return g_strdup_printf("udp .* src=%s dst=%s sport=9 ", f, t);
}

static unsigned int count_entries(Fixture *f, const char *pattern)
{
	g_autofree char *out = NULL;

	nfc_lab_sh_status(f->lab, f->nat, &out, "grep -c '%s' /proc/net/nf_conntrack", pattern);
	return (unsigned int)g_ascii_strtoull(out ? out : "0", NULL, 10);
}

static void wait_entries(Fixture *f, const char *pattern, unsigned int n)
{
	nfc_lab_wait_sh(f->lab, f->nat, 30000, "test $(grep -c '%s' /proc/net/nf_conntrack) -eq %u",
			pattern, n);
}

static void send_flows(Fixture *f, const char *ns, const char *dst, unsigned int base,
		       unsigned int n)
{
	g_autofree char *script = g_shell_quote(sender);

	nfc_lab_sh(f->lab, ns, "python3 -c %s %s %s %u %u", script, f->net->ver, dst, base, n);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	const Net *n = data;
	const char *ip = n->family == AF_INET ? "ip" : "ip -6";
	const char *nodad = n->family == AF_INET ? "" : "nodad";
	const char *host = n->family == AF_INET ? "32" : "128";

	f->net = n;
	f->lab = nfc_lab_new();
	f->cli = nfc_lab_add_netns(f->lab, "cli");
	f->nat = nfc_lab_add_netns(f->lab, "nat");
	f->r1 = nfc_lab_add_netns(f->lab, "r1");
	f->r2 = nfc_lab_add_netns(f->lab, "r2");
	nfc_lab_add_veth(f->lab, f->cli, "c0", f->nat, "n0");
	nfc_lab_add_veth(f->lab, f->nat, "n1", f->r1, "e0");
	nfc_lab_add_veth(f->lab, f->nat, "n2", f->r2, "e0");
	nfc_lab_sh(f->lab, f->nat,
		   "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 && "
		   /* unanswered UDP entries live 30 s: longer than a slow run */
		   "sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 && "
		   "%s addr add %s/%s dev n0 %s && %s addr add %s/%s dev n1 %s && "
		   "%s addr add %s/%s dev n2 %s && "
		   "ip link set n0 up && ip link set n1 up && ip link set n2 up && "
		   "%s route add %s via %s && %s route add %s via %s",
		   ip, n->client_gw, n->plen, nodad, ip, n->up1, n->plen, nodad,
		   ip, n->up2, n->plen, nodad,
		   ip, n->server, n->up1_peer, ip, n->other, n->up2_peer);
	nfc_lab_sh(f->lab, f->cli, "%s addr add %s dev c0 %s && ip link set c0 up && "
		   "%s route add default via %s", ip, n->client, nodad, ip, n->client_gw);
	nfc_lab_sh(f->lab, f->r1, "%s addr add %s/%s dev e0 %s && ip link set e0 up && "
		   "%s addr add %s/%s dev lo", ip, n->up1_peer, n->plen, nodad, ip, n->server, host);
	nfc_lab_sh(f->lab, f->r2, "%s addr add %s/%s dev e0 %s && ip link set e0 up && "
		   "%s addr add %s/%s dev lo && %s addr add %s/%s dev lo",
		   ip, n->up2_peer, n->plen, nodad, ip, n->server, host, ip, n->other, host);
	nfc_lab_sh(f->lab, f->nat,
		   "nft add table inet t && "
		   "nft add chain inet t post '{ type nat hook postrouting priority srcnat; }' && "
		   "nft add rule inet t post %s saddr %s masquerade",
		   n->family == AF_INET ? "ip" : "ip6", n->client_net);
	/* resolve the neighbours first: packets to an unresolved one queue
	 * (a few) or drop (the rest) */
	nfc_lab_wait_sh(f->lab, f->cli, 10000, "busybox ping -c1 -W1 %s >/dev/null", n->client_gw);
	nfc_lab_wait_sh(f->lab, f->nat, 10000, "busybox ping -c1 -W1 %s >/dev/null && busybox ping -c1 -W1 %s >/dev/null",
			n->up1_peer, n->up2_peer);

	f->saved_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->saved_netns, >=, 0);
	nfc_lab_enter_netns(f->nat);
	g_assert_cmpint(nfc_conntrack_new(&f->ct), ==, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->ct, nfc_conntrack_free);
	g_assert_cmpint(setns(f->saved_netns, CLONE_NEWNET), ==, 0);
	close(f->saved_netns);
	nfc_lab_free(f->lab);
}

/* UDP datagrams to port 9 that r2 took in (its counter rule). */
static unsigned int r2_received(Fixture *f)
{
	g_autofree char *out = nfc_lab_sh_output(
		f->lab, f->r2, "nft list chain inet c in | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'");

	return (unsigned int)g_ascii_strtoull(out, NULL, 10);
}

/* ---- flushing ---- */

typedef struct {
	int pending;
	int error;
	unsigned int n;
	GMainLoop *loop;
} Flush;

static void on_flushed(int error, unsigned int n_deleted, void *data)
{
	Flush *fl = data;

	fl->pending--;
	fl->error = error;
	fl->n = n_deleted;
	if (fl->loop)
		g_main_loop_quit(fl->loop);
}

static gboolean flush_timed_out(gpointer data)
{
	g_error("a flush did not finish in 60 s");
	return G_SOURCE_REMOVE;
}

static gboolean flush_over(gpointer data)
{
	return ((Flush *)data)->pending == 0;
}

/* Flushes the entries NATed to address; returns how many went, and how
 * long it took in *ms (may be NULL). */
static unsigned int flush(Fixture *f, const char *address, double *ms)
{
	uint8_t a[16];
	Flush fl = { .pending = 1, .error = 1, .loop = g_main_loop_new(NULL, FALSE) };
	guint guard = g_timeout_add_seconds(60, flush_timed_out, NULL);
	gint64 start = g_get_monotonic_time();

	/* a main loop of our own, not nfc_lab_wait_for: its naps between
	 * turns would count in the figures */
	g_assert_cmpint(inet_pton(f->net->family, address, a), ==, 1);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, f->net->family, a, on_flushed, &fl), ==, 0);
	g_main_loop_run(fl.loop);
	if (ms)
		*ms = (g_get_monotonic_time() - start) / 1000.0;
	g_source_remove(guard);
	g_main_loop_unref(fl.loop);
	g_assert_cmpint(fl.pending, ==, 0);
	g_assert_cmpint(fl.error, ==, 0);
	return fl.n;
}

/* ---- tests ---- */

static void test_flush(Fixture *f, gconstpointer data)
{
	const Net *n = f->net;
	g_autofree char *to_up1 = reply_pattern(n, n->server, n->up1);
	g_autofree char *to_up2 = reply_pattern(n, n->server, n->up2);
	g_autofree char *other = reply_pattern(n, n->other, n->up2);
	g_autofree char *up1 = proc_addr(n, n->up1), *peer1 = proc_addr(n, n->up1_peer);
	/* the nat box's own flow from up1's address: its reply goes to that
	 * address too, but it was never NATed */
	g_autofree char *local = g_strdup_printf("udp .* src=%s dst=%s sport=20000 ", up1, peer1);

	send_flows(f, f->cli, n->server, 20000, 3);
	send_flows(f, f->cli, n->other, 21000, 2);
	send_flows(f, f->nat, n->up1_peer, 20000, 1);
	wait_entries(f, to_up1, 3);
	wait_entries(f, other, 2);
	wait_entries(f, local, 1);

	/* uplink 1 is lost (its address stays: carrier gone, or a better
	 * route won): the server is reached through uplink 2 from now on */
	nfc_lab_sh(f->lab, f->r2, "nft add table inet c && "
		   "nft add chain inet c in '{ type filter hook input priority 0; }' && "
		   "nft add rule inet c in udp dport 9 counter");
	nfc_lab_sh(f->lab, f->nat, "%s route replace %s via %s",
		   n->family == AF_INET ? "ip" : "ip -6", n->server, n->up2_peer);
	/* Without a flush, the kernel notices a masqueraded flow leaving by
	 * another interface only at its next packet, which it drops with the
	 * entry (nf_nat_oif_changed): one flow shows it */
	send_flows(f, f->cli, n->server, 20002, 1);
	wait_entries(f, to_up1, 2);
	g_assert_cmpuint(r2_received(f), ==, 0);

	g_assert_cmpuint(flush(f, n->up1, NULL), ==, 2);
	g_assert_cmpuint(count_entries(f, to_up1), ==, 0);
	g_assert_cmpuint(count_entries(f, other), ==, 2);
	g_assert_cmpuint(count_entries(f, local), ==, 1);

	/* after the flush, the flow's next packet is NATed to the uplink it
	 * now leaves by, and is not lost */
	send_flows(f, f->cli, n->server, 20000, 1);
	wait_entries(f, to_up2, 1);
	nfc_lab_wait_sh(f->lab, f->r2, 10000, "nft list chain inet c in | grep -q 'packets 1 '");
	g_assert_cmpuint(count_entries(f, to_up1), ==, 0);

	/* nothing is left to flush */
	g_assert_cmpuint(flush(f, n->up1, NULL), ==, 0);
	g_assert_cmpuint(count_entries(f, local), ==, 1);
}

/* Requests queue: each is answered once, in order, with its own count. */
static void test_queue(Fixture *f, gconstpointer data)
{
	const Net *n = f->net;
	g_autofree char *to_up1 = reply_pattern(n, n->server, n->up1);
	g_autofree char *other = reply_pattern(n, n->other, n->up2);
	Flush a = { .pending = 1 }, b = { .pending = 1 }, c = { .pending = 1 };
	uint8_t up1[16], up2[16];

	send_flows(f, f->cli, n->server, 20000, 4);
	send_flows(f, f->cli, n->other, 21000, 5);
	wait_entries(f, to_up1, 4);
	wait_entries(f, other, 5);
	inet_pton(n->family, n->up1, up1);
	inet_pton(n->family, n->up2, up2);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up1, on_flushed, &a), ==, 0);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up2, on_flushed, &b), ==, 0);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up1, on_flushed, &c), ==, 0);
	g_assert_true(nfc_lab_wait_for(flush_over, &c, 30000));
	g_assert_cmpint(a.pending, ==, 0);
	g_assert_cmpint(b.pending, ==, 0);
	g_assert_cmpuint(a.n, ==, 4);
	g_assert_cmpuint(b.n, ==, 5);
	g_assert_cmpuint(c.n, ==, 0);
	g_assert_cmpint(a.error | b.error | c.error, ==, 0);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, AF_UNIX, up1, NULL, NULL), ==, -EAFNOSUPPORT);
}

static void on_flushed_free(int error, unsigned int n_deleted, void *data)
{
	Fixture *f = data;

	g_assert_cmpint(error, ==, 0);
	g_assert_cmpuint(n_deleted, ==, 2);
	g_clear_pointer(&f->ct, nfc_conntrack_free);
}

static void on_never(int error, unsigned int n_deleted, void *data)
{
	g_error("a request dropped with its NfcConntrack was answered");
}

static gboolean ct_gone(gpointer data)
{
	return ((Fixture *)data)->ct == NULL;
}

/* A caller may free the NfcConntrack from its callback, and free it with
 * requests pending: those are dropped unanswered (and ASan sees no leak
 * and no use after free). */
static void test_free(Fixture *f, gconstpointer data)
{
	const Net *n = f->net;
	g_autofree char *to_up1 = reply_pattern(n, n->server, n->up1);
	uint8_t up1[16];

	send_flows(f, f->cli, n->server, 20000, 2);
	wait_entries(f, to_up1, 2);
	inet_pton(n->family, n->up1, up1);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up1, on_flushed_free, f), ==, 0);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up1, on_never, NULL), ==, 0);
	g_assert_true(nfc_lab_wait_for(ct_gone, f, 30000));
	/* whatever the freed one had scheduled is still dispatched here */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(count_entries(f, to_up1), ==, 0);

	/* freed with a request queued and another sent */
	send_flows(f, f->cli, n->server, 20000, 1);
	wait_entries(f, to_up1, 1);
	g_assert_cmpint(nfc_conntrack_new(&f->ct), ==, 0);
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up1, on_never, NULL), ==, 0);
	g_assert_true(g_main_context_iteration(NULL, FALSE)); /* the dump is sent */
	g_assert_cmpint(nfc_conntrack_flush_nat_to(f->ct, n->family, up1, on_never, NULL), ==, 0);
	g_clear_pointer(&f->ct, nfc_conntrack_free);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* The socket overruns while acks come back (a buffer far too small for
 * them): the flush starts over on a new socket with a new dump and still
 * deletes every entry; deletes whose acks were lost are not counted. */
static void test_overrun(Fixture *f, gconstpointer data)
{
	const Net *n = f->net;
	g_autofree char *to_up1 = reply_pattern(n, n->server, n->up1);
	int tiny = 1;
	unsigned int deleted;

	send_flows(f, f->cli, n->server, 20000, 200);
	wait_entries(f, to_up1, 200);
	/* the kernel rounds it up to its minimum: room for a few acks */
	g_assert_cmpint(setsockopt(nfc_conntrack_fd(f->ct), SOL_SOCKET, SO_RCVBUF, &tiny,
				   sizeof(tiny)), ==, 0);
	deleted = flush(f, n->up1, NULL);
	g_test_message("deleted 200 with a tiny buffer, %u of them acknowledged", deleted);
	g_assert_cmpuint(deleted, <, 200);
	g_assert_cmpuint(count_entries(f, to_up1), ==, 0);
	/* the new socket has its full buffer */
	send_flows(f, f->cli, n->server, 20000, 200);
	wait_entries(f, to_up1, 200);
	g_assert_cmpuint(flush(f, n->up1, NULL), ==, 200);
}

/* Figures for the report, not asserted: the time to flush N entries of
 * which a few (3) or all are NATed to the address. */
static void test_measure(Fixture *f, gconstpointer data)
{
	static const unsigned int sizes[] = { 1, 100, 10000 };
	const Net *n = f->net;
	g_autofree char *any = g_strdup("udp .* sport=9 ");

	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		for (int all = 0; all <= 1; all++) {
			unsigned int total = sizes[i];
			unsigned int match = all ? total : MIN(total, 3);
			double ms;

			if (!all && total <= 3)
				continue; /* no "few" of 1 that differs from "all" */
			send_flows(f, f->cli, n->server, 20000, match);
			if (total > match)
				send_flows(f, f->cli, n->other, 40000, total - match);
			wait_entries(f, any, total);
			g_assert_cmpuint(flush(f, n->up1, &ms), ==, match);
			g_test_message("IPv%s: flush of %u NATed entries among %u: %.2f ms",
				       n->ver, match, total, ms);
			g_assert_cmpuint(flush(f, n->up2, NULL), ==, total - match);
			g_assert_cmpuint(count_entries(f, any), ==, 0);
		}
	}
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func, net) \
	g_test_add("/conntrack/" path, Fixture, net, fixture_setup, func, fixture_teardown)
	ADD("ipv4/flush", test_flush, &net4);
	ADD("ipv6/flush", test_flush, &net6);
	ADD("ipv4/queue", test_queue, &net4);
	ADD("ipv6/queue", test_queue, &net6);
	ADD("ipv4/free", test_free, &net4);
	ADD("ipv4/overrun", test_overrun, &net4);
	ADD("ipv4/measure", test_measure, &net4);
	ADD("ipv6/measure", test_measure, &net6);
	return g_test_run();
}
