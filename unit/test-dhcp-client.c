// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the DHCPv4 client against dnsmasq over a veth pair (which
 * hands over packets with partial checksums). The test thread enters the
 * "host" namespace and runs the client there; the router namespace runs
 * dnsmasq on 198.51.100.1/24. Bound lease and its options, renewal by
 * unicast at T1, rebinding by broadcast at T2, INIT-REBOOT with a known and
 * a foreign address, a NAK while bound, RELEASE, and FAILED without a
 * server. The client never configures the interface: the test applies the
 * address itself, as the ipconfig layer would. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "dhcp-client.h"
#include "lab.h"

#define HOST_MAC "02:00:5e:00:53:01"
#define RANGE "198.51.100.50,198.51.100.99,255.255.255.0,2m"
/* --no-ping: dnsmasq would wait up to 3 s for an echo before each offer */
#define OPTIONS "--no-ping --dhcp-option=option:dns-server,198.51.100.53 " \
		"--dhcp-option=option:domain-name,lab.example " \
		"--dhcp-option=option:router,198.51.100.1 " \
		"--dhcp-option=option:ntp-server,198.51.100.123 " \
		"--dhcp-option=option:mtu,1400"

static const uint8_t host_mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };

typedef struct {
	NfcDhcpEvent event;
	NfcDhcpLease lease;
	bool has_lease;
} Event;

typedef struct {
	NfcLab *lab;
	const char *host;
	const char *router;
	int root_netns;
	int ifindex;
	GPid dnsmasq;
	GArray *events;
	NfcDhcpClient *client;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	int fd;

	f->lab = nfc_lab_new();
	f->host = nfc_lab_add_netns(f->lab, "host");
	f->router = nfc_lab_add_netns(f->lab, "router");
	nfc_lab_add_veth(f->lab, f->host, "uplink0", f->router, "r0");
	nfc_lab_sh(f->lab, f->host, "ip link set uplink0 address " HOST_MAC);
	nfc_lab_sh(f->lab, f->router, "ip addr add 198.51.100.1/24 dev r0 && ip link set r0 up");
	f->events = g_array_new(FALSE, TRUE, sizeof(Event));

	/* the client runs in the host namespace, never in ours */
	f->root_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->root_netns, >=, 0);
	path = g_strdup_printf("/run/netns/%s", f->host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
	close(fd);
	nfc_lab_sh(f->lab, NULL, "ip link set uplink0 up");
	f->ifindex = (int)if_nametoindex("uplink0");
	g_assert_cmpint(f->ifindex, >, 0);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->client, nfc_dhcp_client_free);
	g_assert_cmpint(setns(f->root_netns, CLONE_NEWNET), ==, 0);
	close(f->root_netns);
	g_array_unref(f->events);
	nfc_lab_free(f->lab);
}

static char *dnsmasq_log(Fixture *f);

static gboolean dnsmasq_ready(gpointer data)
{
	Fixture *f = data;
	g_autofree char *log = dnsmasq_log(f);
	const char *last = g_strrstr(log, "started, version");

	return last && strstr(last, "sockets bound exclusively to interface r0");
}

static void start_dnsmasq(Fixture *f, const char *range, const char *extra)
{
	g_autofree char *opts = g_strdup_printf("%s %s", OPTIONS, extra ? extra : "");

	f->dnsmasq = nfc_lab_start_dnsmasq(f->lab, f->router, "r0", range, opts);
	/* a DISCOVER before dnsmasq listens would cost a 4 s retransmission */
	g_assert_true(nfc_lab_wait_for(dnsmasq_ready, f, 10000));
}

static char *dnsmasq_log(Fixture *f)
{
	g_autofree char *name = g_strdup_printf("dnsmasq-%s-r0", f->router);

	return nfc_lab_log(f->lab, name);
}

static unsigned int count(const char *haystack, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void on_event(NfcDhcpClient *client, NfcDhcpEvent event, const NfcDhcpLease *lease,
		     void *user_data)
{
	Fixture *f = user_data;
	Event e = { .event = event, .has_lease = lease != NULL };

	if (lease)
		e.lease = *lease;
	g_array_append_val(f->events, e);
}

static gboolean have_event(gpointer data)
{
	Fixture *f = data;

	return f->events->len > 0;
}

/* The next event, which must come within timeout_s. */
static Event next_event(Fixture *f, guint timeout_s)
{
	Event e;

	g_assert_true(nfc_lab_wait_for(have_event, f, timeout_s * 1000));
	e = g_array_index(f->events, Event, 0);
	g_array_remove_index(f->events, 0);
	return e;
}

static const char *addr_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void assert_in_range(struct in_addr a, unsigned int lo, unsigned int hi)
{
	uint32_t h = ntohl(a.s_addr);

	g_assert_cmpuint(h >> 8, ==, (198u << 16) | (51u << 8) | 100u);
	g_assert_cmpuint(h & 0xff, >=, lo);
	g_assert_cmpuint(h & 0xff, <=, hi);
}

static NfcDhcpClient *new_client(Fixture *f)
{
	return nfc_dhcp_client_new(f->ifindex, host_mac, on_event, f);
}

/* What the ipconfig layer would do with a new lease. */
static void apply_lease(Fixture *f, const NfcDhcpLease *l)
{
	char a[INET_ADDRSTRLEN];

	nfc_lab_sh(f->lab, NULL, "ip addr flush dev uplink0 && ip addr add %s/%u dev uplink0",
		   addr_str(l->address, a), l->prefixlen);
}

/* Start a fresh client (INIT, or INIT-REBOOT with last) and expect BOUND. */
static NfcDhcpLease acquire(Fixture *f, const struct in_addr *last)
{
	Event e;

	g_clear_pointer(&f->client, nfc_dhcp_client_free);
	f->client = new_client(f);
	nfc_dhcp_client_set_hostname(f->client, "nfc-test");
	g_assert_cmpint(nfc_dhcp_client_start(f->client, last), ==, 0);
	g_assert_cmpint(nfc_dhcp_client_start(f->client, last), ==, -EALREADY);
	e = next_event(f, 30);
	g_assert_cmpint(e.event, ==, NFC_DHCP_BOUND);
	g_assert_true(e.has_lease);
	apply_lease(f, &e.lease);
	return e.lease;
}

static gboolean lease_file_has(gpointer data)
{
	void **args = data;
	Fixture *f = args[0];
	g_autofree char *path = g_strdup_printf("%s/dnsmasq-%s-r0.leases", nfc_lab_dir(f->lab),
						f->router);
	g_autofree char *text = NULL;
	bool want = GPOINTER_TO_INT(args[2]);

	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = g_strdup("");
	return (strstr(text, args[1]) != NULL) == want;
}

static void wait_lease_file(Fixture *f, const char *needle, bool present)
{
	void *args[] = { f, (void *)needle, GINT_TO_POINTER(present) };

	g_assert_true(nfc_lab_wait_for(lease_file_has, args, 5000));
}

static void test_bound(Fixture *f, gconstpointer data)
{
	char a[INET_ADDRSTRLEN];
	g_autofree char *line = NULL;
	NfcDhcpLease l;
	const NfcDhcpLease *cur;

	start_dnsmasq(f, RANGE, NULL);
	l = acquire(f, NULL);
	assert_in_range(l.address, 50, 99);
	g_assert_cmpuint(l.prefixlen, ==, 24);
	g_assert_cmpstr(addr_str(l.server_id, a), ==, "198.51.100.1");
	g_assert_cmpuint(l.n_routers, ==, 1);
	g_assert_cmpstr(addr_str(l.routers[0], a), ==, "198.51.100.1");
	g_assert_cmpuint(l.n_dns, ==, 1);
	g_assert_cmpstr(addr_str(l.dns[0], a), ==, "198.51.100.53");
	g_assert_cmpuint(l.n_ntp, ==, 1);
	g_assert_cmpstr(addr_str(l.ntp[0], a), ==, "198.51.100.123");
	g_assert_cmpstr(l.domain, ==, "lab.example");
	g_assert_cmpuint(l.mtu, ==, 1400);
	g_assert_cmpuint(l.lease_time, ==, 120);
	/* dnsmasq's own T1/T2: half the lease and 7/8 of it, less a little
	 * fuzz, never more */
	g_assert_cmpuint(l.t1, <=, 60);
	g_assert_cmpuint(l.t1, >, 50);
	g_assert_cmpuint(l.t2, <=, 105);
	g_assert_cmpuint(l.t2, >, l.t1);

	cur = nfc_dhcp_client_get_lease(f->client);
	g_assert_nonnull(cur);
	g_assert_cmpuint(cur->address.s_addr, ==, l.address.s_addr);

	/* the server knows the lease, under our MAC and hostname */
	line = g_strdup_printf("%s %s nfc-test", HOST_MAC, addr_str(l.address, a));
	wait_lease_file(f, line, true);

	/* stop without release: the lease stays on the server */
	nfc_dhcp_client_stop(f->client, false);
	g_assert_null(nfc_dhcp_client_get_lease(f->client));
	{
		g_autofree char *log = dnsmasq_log(f);

		g_assert_cmpuint(count(log, "DHCPRELEASE"), ==, 0);
		g_assert_cmpuint(count(log, "DHCPDISCOVER(r0)"), >=, 1);
		g_assert_cmpuint(count(log, "DHCPACK(r0)"), ==, 1);
	}
	g_assert_cmpuint(f->events->len, ==, 0);
}

typedef struct {
	Fixture *f;
	const char *want;
} LogWait;

static gboolean dnsmasq_logged(gpointer data)
{
	LogWait *w = data;
	g_autofree char *log = dnsmasq_log(w->f);

	return strstr(log, w->want) != NULL;
}

static void test_release(Fixture *f, gconstpointer data)
{
	char a[INET_ADDRSTRLEN];
	g_autofree char *want = NULL;
	NfcDhcpLease l;

	start_dnsmasq(f, RANGE, NULL);
	l = acquire(f, NULL);
	wait_lease_file(f, addr_str(l.address, a), true);

	nfc_dhcp_client_stop(f->client, true);
	want = g_strdup_printf("DHCPRELEASE(r0) %s " HOST_MAC, addr_str(l.address, a));
	g_assert_true(nfc_lab_wait_for(dnsmasq_logged, &(LogWait){ f, want }, 5000));
	wait_lease_file(f, addr_str(l.address, a), false);
	g_assert_cmpuint(f->events->len, ==, 0);
}

static void test_renew(Fixture *f, gconstpointer data)
{
	char a[INET_ADDRSTRLEN];
	g_autofree char *counters = NULL, *log = NULL, *request = NULL;
	NfcDhcpLease l;
	Event e;

	start_dnsmasq(f, RANGE, "--dhcp-option=option:T1,10 --dhcp-option=option:T2,100");
	l = acquire(f, NULL);
	/* the shortest T1 honoured (NFC_DHCP_MIN_T1) */
	g_assert_cmpuint(l.t1, ==, 10);
	g_assert_cmpuint(l.t2, ==, 100);
	/* count what reaches the server by unicast from the leased address */
	nfc_lab_sh(f->lab, f->router,
		   "nft 'add table ip t; add chain ip t in { type filter hook input priority 0; };"
		   " add rule ip t in ip saddr %s ip daddr 198.51.100.1 udp dport 67 counter'",
		   addr_str(l.address, a));

	e = next_event(f, 25);
	g_assert_cmpint(e.event, ==, NFC_DHCP_RENEWED);
	g_assert_cmpuint(e.lease.address.s_addr, ==, l.address.s_addr);
	g_assert_cmpuint(e.lease.lease_time, ==, 120);
	g_assert_cmpuint(e.lease.n_dns, ==, 1);

	counters = nfc_lab_sh_output(f->lab, f->router, "nft list chain ip t in");
	g_assert_nonnull(strstr(counters, "counter packets 1 "));
	request = g_strdup_printf("DHCPREQUEST(r0) %s " HOST_MAC, addr_str(l.address, a));
	log = dnsmasq_log(f);
	/* the selecting REQUEST and the renewal */
	g_assert_cmpuint(count(log, request), ==, 2);
	g_assert_cmpuint(count(log, "DHCPACK(r0)"), ==, 2);
	g_assert_cmpuint(count(log, "DHCPDISCOVER(r0)"), ==, 1);

	/* and again at the next T1 */
	e = next_event(f, 25);
	g_assert_cmpint(e.event, ==, NFC_DHCP_RENEWED);
	g_assert_cmpuint(e.lease.address.s_addr, ==, l.address.s_addr);
}

static void test_rebind(Fixture *f, gconstpointer data)
{
	char a[INET_ADDRSTRLEN];
	g_autofree char *counters = NULL;
	NfcDhcpLease l;
	Event e;

	start_dnsmasq(f, RANGE, "--dhcp-option=option:T1,10 --dhcp-option=option:T2,12");
	l = acquire(f, NULL);
	g_assert_cmpuint(l.t2, ==, 12);
	/* the server is unreachable by unicast: renewing fails, rebinding
	 * (broadcast) must get through */
	nfc_lab_sh(f->lab, f->router,
		   "nft 'add table ip t; add chain ip t in { type filter hook input priority 0; };"
		   " add rule ip t in ip daddr 198.51.100.1 udp dport 67 counter drop;"
		   " add rule ip t in ip saddr %s ip daddr 255.255.255.255 udp dport 67 counter'",
		   addr_str(l.address, a));

	e = next_event(f, 30);
	g_assert_cmpint(e.event, ==, NFC_DHCP_RENEWED);
	g_assert_cmpuint(e.lease.address.s_addr, ==, l.address.s_addr);
	counters = nfc_lab_sh_output(f->lab, f->router, "nft list chain ip t in");
	g_assert_nonnull(strstr(counters, "counter packets 1 "));
	g_assert_null(strstr(counters, "counter packets 0 "));
}

static void test_init_reboot(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	NfcDhcpLease first, second;

	start_dnsmasq(f, RANGE, NULL);
	first = acquire(f, NULL);
	nfc_dhcp_client_stop(f->client, false);

	second = acquire(f, &first.address);
	g_assert_cmpuint(second.address.s_addr, ==, first.address.s_addr);
	log = dnsmasq_log(f);
	/* the second lease came without a DISCOVER */
	g_assert_cmpuint(count(log, "DHCPDISCOVER(r0)"), ==, 1);
	g_assert_cmpuint(count(log, "DHCPACK(r0)"), ==, 2);
	g_assert_cmpuint(count(log, "DHCPNAK"), ==, 0);
}

static void test_init_reboot_foreign(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	struct in_addr foreign;
	NfcDhcpLease l;

	/* a non-authoritative dnsmasq stays silent about addresses it does
	 * not know (RFC 2131 4.3.2), and the client falls back to DISCOVER
	 * after two REQUESTs; an authoritative one NAKs at once */
	start_dnsmasq(f, RANGE, "--dhcp-authoritative");
	g_assert_cmpint(inet_pton(AF_INET, "203.0.113.9", &foreign), ==, 1);
	/* NAK, then DISCOVER: not bound before, so no EXPIRED */
	l = acquire(f, &foreign);
	assert_in_range(l.address, 50, 99);
	log = dnsmasq_log(f);
	g_assert_cmpuint(count(log, "DHCPNAK(r0) 203.0.113.9"), ==, 1);
	g_assert_cmpuint(count(log, "DHCPDISCOVER(r0)"), ==, 1);
}

/* A server that ignores the INIT-REBOOT: after two unanswered REQUESTs
 * the client falls back to DISCOVER. */
static void test_init_reboot_silent(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL, *counters = NULL;
	struct in_addr foreign;
	NfcDhcpLease l;

	start_dnsmasq(f, RANGE, NULL);
	/* dnsmasq does not log requests it ignores: count them on the way
	 * in, by option 50 = 203.0.113.9 at its place in our REQUEST (UDP
	 * header 8 + BOOTP 240 + options 53 and 61, 12 bytes + code, length) */
	nfc_lab_sh(f->lab, f->router,
		   "nft 'add table ip t; add chain ip t in { type filter hook input priority 0; };"
		   " add rule ip t in udp dport 67 @th,2096,32 0xcb007109 counter'");
	g_assert_cmpint(inet_pton(AF_INET, "203.0.113.9", &foreign), ==, 1);
	l = acquire(f, &foreign);
	assert_in_range(l.address, 50, 99);
	counters = nfc_lab_sh_output(f->lab, f->router, "nft list chain ip t in");
	g_assert_nonnull(strstr(counters, "counter packets 2 "));
	log = dnsmasq_log(f);
	g_assert_cmpuint(count(log, "DHCPNAK"), ==, 0);
	g_assert_cmpuint(count(log, "DHCPDISCOVER(r0)"), ==, 1);
}

/* The server forgets us and serves another range: the renewal is NAKed,
 * the lease is dropped (EXPIRED) and a new one acquired (BOUND). */
static void test_nak_while_bound(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	NfcDhcpLease l;
	Event e;

	/* two chances to hear the NAK: renewing at T1, rebinding at T2; the
	 * restart below only has to finish within 4 s of T2 */
	start_dnsmasq(f, RANGE, "--dhcp-authoritative --dhcp-option=option:T1,10 "
			       "--dhcp-option=option:T2,14");
	l = acquire(f, NULL);
	nfc_lab_stop(f->lab, f->dnsmasq, SIGTERM, 5000, NULL);
	nfc_lab_sh(f->lab, NULL, "rm -f %s/dnsmasq-%s-r0.leases", nfc_lab_dir(f->lab), f->router);
	start_dnsmasq(f, "198.51.100.150,198.51.100.199,255.255.255.0,2m",
		      "--dhcp-authoritative");

	e = next_event(f, 30);
	g_assert_cmpint(e.event, ==, NFC_DHCP_EXPIRED);
	g_assert_true(e.has_lease);
	g_assert_cmpuint(e.lease.address.s_addr, ==, l.address.s_addr);
	g_assert_null(nfc_dhcp_client_get_lease(f->client));
	e = next_event(f, 15);
	g_assert_cmpint(e.event, ==, NFC_DHCP_BOUND);
	assert_in_range(e.lease.address, 150, 199);
	log = dnsmasq_log(f);
	g_assert_cmpuint(count(log, "DHCPNAK(r0)"), >=, 1);
}

/* No server: FAILED after the (shortened) failure timeout; the client
 * keeps trying and binds once a server appears. */
static void test_failed(Fixture *f, gconstpointer data)
{
	gint64 start;
	Event e;

	f->client = new_client(f);
	nfc_dhcp_client_set_failure_timeout(f->client, 2);
	start = g_get_monotonic_time();
	g_assert_cmpint(nfc_dhcp_client_start(f->client, NULL), ==, 0);
	e = next_event(f, 10);
	g_assert_cmpint(e.event, ==, NFC_DHCP_FAILED);
	g_assert_false(e.has_lease);
	/* not before the timeout (a lower bound only: it cannot flake) */
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 2 * G_USEC_PER_SEC - 100000);
	g_assert_null(nfc_dhcp_client_get_lease(f->client));

	start_dnsmasq(f, RANGE, NULL);
	e = next_event(f, 40);
	g_assert_cmpint(e.event, ==, NFC_DHCP_BOUND);
	assert_in_range(e.lease.address, 50, 99);
	/* FAILED is said once per acquisition */
	g_assert_cmpuint(f->events->len, ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();

	g_test_add("/dhcp-client/bound", Fixture, NULL, setup, test_bound, teardown);
	g_test_add("/dhcp-client/release", Fixture, NULL, setup, test_release, teardown);
	g_test_add("/dhcp-client/renew", Fixture, NULL, setup, test_renew, teardown);
	g_test_add("/dhcp-client/rebind", Fixture, NULL, setup, test_rebind, teardown);
	g_test_add("/dhcp-client/init-reboot", Fixture, NULL, setup, test_init_reboot, teardown);
	g_test_add("/dhcp-client/init-reboot-foreign", Fixture, NULL, setup,
		   test_init_reboot_foreign, teardown);
	g_test_add("/dhcp-client/init-reboot-silent", Fixture, NULL, setup,
		   test_init_reboot_silent, teardown);
	g_test_add("/dhcp-client/nak-while-bound", Fixture, NULL, setup, test_nak_while_bound,
		   teardown);
	g_test_add("/dhcp-client/failed", Fixture, NULL, setup, test_failed, teardown);
	return g_test_run();
}
