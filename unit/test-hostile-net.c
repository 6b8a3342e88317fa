// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: DHCPv4 from a hostile server, and IPv6 addresses removed
 * under nfconnd. The server is this program started again with --serve in
 * the router namespace: it answers every DISCOVER and REQUEST with the
 * values given on its command line (a 1 s lease, the subnet's broadcast
 * address, a router outside the subnet, a /32 or /31, NAKs) and logs what
 * it received and sent, one line each, with the monotonic time. The client
 * tests run our DHCP client in the test's thread inside the host namespace;
 * the daemon tests run nfconnd there and look at the kernel's routes. The
 * IPv6 test (in the two-uplink world, SLAAC from dnsmasq) adds and deletes
 * global addresses under nfconnd. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dhcp-client.h"
#include "lab.h"
#include "uplinks.h"

#define HOST_MAC "02:00:5e:00:53:01"
#define SERVER_ADDR "198.51.100.1"

static const uint8_t host_mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
static char *self_exe;

/* ---- the hostile server (runs as its own process) ---------------------- */

typedef struct {
	struct in_addr yiaddr, mask, routers[4];
	unsigned int n_routers;
	uint32_t lease, t1, t2;
	bool have_t1, have_t2, nak;
} Script;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static void say(const char *what)
{
	printf("%s %" G_GINT64_FORMAT "\n", what, g_get_monotonic_time() / 1000);
	fflush(stdout);
}

static size_t build_reply(uint8_t *out, const uint8_t *req, uint8_t type, const Script *s)
{
	struct in_addr server;
	size_t n = 240;

	inet_pton(AF_INET, SERVER_ADDR, &server);
	memset(out, 0, 576);
	out[0] = 2;
	out[1] = 1;
	out[2] = 6;
	memcpy(out + 4, req + 4, 4);   /* xid */
	memcpy(out + 10, req + 10, 2); /* flags */
	if (type != 6)
		memcpy(out + 16, &s->yiaddr, 4);
	memcpy(out + 28, req + 28, 16);
	memcpy(out + 236, ((uint8_t[]){ 99, 130, 83, 99 }), 4);
	out[n++] = 53, out[n++] = 1, out[n++] = type;
	out[n++] = 54, out[n++] = 4;
	memcpy(out + n, &server, 4), n += 4;
	if (type != 6) {
		out[n++] = 51, out[n++] = 4;
		put32(out + n, s->lease), n += 4;
		if (s->have_t1) {
			out[n++] = 58, out[n++] = 4;
			put32(out + n, s->t1), n += 4;
		}
		if (s->have_t2) {
			out[n++] = 59, out[n++] = 4;
			put32(out + n, s->t2), n += 4;
		}
		out[n++] = 1, out[n++] = 4;
		memcpy(out + n, &s->mask, 4), n += 4;
		if (s->n_routers) {
			out[n++] = 3, out[n++] = (uint8_t)(4 * s->n_routers);
			memcpy(out + n, s->routers, 4 * s->n_routers), n += 4 * s->n_routers;
		}
	}
	out[n++] = 255;
	return MAX(n, 300);
}

/* The message type of a client's message, 0 if none. */
static uint8_t request_type(const uint8_t *buf, size_t len)
{
	for (size_t i = 240; i + 1 < len && buf[i] != 255;) {
		if (buf[i] == 0) {
			i++;
			continue;
		}
		if (buf[i] == 53 && buf[i + 1] == 1 && i + 2 < len)
			return buf[i + 2];
		i += 2 + buf[i + 1];
	}
	return 0;
}

static void parse_script(Script *s, int argc, char **argv)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < argc; i++) {
		const char *v = strchr(argv[i], '=');

		g_assert_nonnull(v);
		v++;
		if (g_str_has_prefix(argv[i], "yiaddr="))
			g_assert_cmpint(inet_pton(AF_INET, v, &s->yiaddr), ==, 1);
		else if (g_str_has_prefix(argv[i], "mask="))
			g_assert_cmpint(inet_pton(AF_INET, v, &s->mask), ==, 1);
		else if (g_str_has_prefix(argv[i], "router="))
			g_assert_cmpint(inet_pton(AF_INET, v, &s->routers[s->n_routers++]), ==, 1);
		else if (g_str_has_prefix(argv[i], "lease="))
			s->lease = (uint32_t)atoi(v);
		else if (g_str_has_prefix(argv[i], "t1="))
			s->t1 = (uint32_t)atoi(v), s->have_t1 = true;
		else if (g_str_has_prefix(argv[i], "t2="))
			s->t2 = (uint32_t)atoi(v), s->have_t2 = true;
		else if (g_str_has_prefix(argv[i], "nak="))
			s->nak = atoi(v) != 0;
		else
			g_error("unknown script item %s", argv[i]);
	}
}

/* --serve IFNAME key=value...: answer on IFNAME until killed. */
static G_GNUC_NORETURN int serve(int argc, char **argv)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(67) };
	struct sockaddr_in bcast = { .sin_family = AF_INET, .sin_port = htons(68),
				     .sin_addr.s_addr = INADDR_BROADCAST };
	int one = 1, fd;
	Script s;

	parse_script(&s, argc - 1, argv + 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), ==, 0);
	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), ==, 0);
	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, argv[0],
				   (socklen_t)strlen(argv[0]) + 1), ==, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&any, sizeof(any)), ==, 0);
	say("READY");
	for (;;) {
		uint8_t req[1500], reply[576];
		ssize_t n = recv(fd, req, sizeof(req), 0);
		uint8_t type, answer;
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >=, 0);
		if (n < 240 || req[0] != 1)
			continue;
		type = request_type(req, (size_t)n);
		if (type == 1) {
			say("DISCOVER");
			answer = 2;
		} else if (type == 3) {
			say("REQUEST");
			answer = s.nak ? 6 : 5;
		} else {
			say("OTHER");
			continue;
		}
		len = build_reply(reply, req, answer, &s);
		g_assert_cmpint(sendto(fd, reply, len, 0, (struct sockaddr *)&bcast, sizeof(bcast)),
				==, (ssize_t)len);
		say(answer == 2 ? "OFFER" : answer == 5 ? "ACK" : "NAK");
	}
}

/* ---- its log ----------------------------------------------------------- */

typedef struct {
	NfcLab *lab;
	const char *host;
	const char *router;
	GPid server;
	unsigned int serial; /* each server has a log of its own */
} World;

static char *server_log(World *w)
{
	g_autofree char *name = g_strdup_printf("dhcp-server-%u", w->serial);

	return nfc_lab_log(w->lab, name);
}

/* How many lines of the log start with what; *last_ms (may be NULL) gets
 * the time of the nth one (n = 0: the last). */
static unsigned int server_count(World *w, const char *what, unsigned int nth, gint64 *at_ms)
{
	g_autofree char *log = server_log(w);
	g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
	unsigned int n = 0;

	for (char **l = lines; *l; l++) {
		if (!g_str_has_prefix(*l, what) || (*l)[strlen(what)] != ' ')
			continue;
		n++;
		if (at_ms && (nth == 0 || n == nth))
			*at_ms = g_ascii_strtoll(*l + strlen(what) + 1, NULL, 10);
	}
	return n;
}

typedef struct {
	World *w;
	const char *what;
	unsigned int n;
} CountWait;

static gboolean server_counted(gpointer data)
{
	CountWait *c = data;

	return server_count(c->w, c->what, 0, NULL) >= c->n;
}

static void server_wait(World *w, const char *what, unsigned int n, guint timeout_ms)
{
	CountWait c = { w, what, n };

	if (!nfc_lab_wait_for(server_counted, &c, timeout_ms)) {
		g_autofree char *log = server_log(w);

		g_error("waited %u ms for %u × %s; the server logged:\n%s", timeout_ms, n, what,
			log);
	}
}

/* Start (or restart with another script) the server on r0. */
static void server_start(World *w, const char *const *script)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *name = NULL;

	if (w->server)
		nfc_lab_stop(w->lab, w->server, SIGTERM, 3000, NULL);
	g_ptr_array_add(argv, self_exe);
	g_ptr_array_add(argv, "--serve");
	g_ptr_array_add(argv, "r0");
	for (const char *const *s = script; *s; s++)
		g_ptr_array_add(argv, (char *)*s);
	g_ptr_array_add(argv, NULL);
	name = g_strdup_printf("dhcp-server-%u", ++w->serial);
	w->server = nfc_lab_spawn(w->lab, w->router, name, (const char *const *)argv->pdata);
	server_wait(w, "READY", 1, 5000);
}

static void world_setup(World *w)
{
	memset(w, 0, sizeof(*w));
	w->lab = nfc_lab_new();
	w->host = nfc_lab_add_netns(w->lab, "host");
	w->router = nfc_lab_add_netns(w->lab, "router");
	nfc_lab_add_veth(w->lab, w->host, "uplink0", w->router, "r0");
	nfc_lab_sh(w->lab, w->host, "ip link set uplink0 address " HOST_MAC);
	nfc_lab_sh(w->lab, w->router,
		   "ip addr add " SERVER_ADDR "/24 dev r0 && ip link set r0 up");
}

/* ---- the client against it --------------------------------------------- */

typedef struct {
	World w;
	int root_netns;
	int ifindex;
	GArray *events; /* NfcDhcpEvent */
	NfcDhcpLease lease;
	NfcDhcpClient *client;
} ClientFixture;

static void on_event(NfcDhcpClient *client, NfcDhcpEvent event, const NfcDhcpLease *lease,
		     void *user_data)
{
	ClientFixture *f = user_data;

	g_array_append_val(f->events, event);
	if (lease)
		f->lease = *lease;
}

static void client_setup(ClientFixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	int fd;

	world_setup(&f->w);
	f->events = g_array_new(FALSE, TRUE, sizeof(NfcDhcpEvent));
	f->root_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->root_netns, >=, 0);
	path = g_strdup_printf("/run/netns/%s", f->w.host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
	close(fd);
	nfc_lab_sh(f->w.lab, NULL, "ip link set uplink0 up");
	f->ifindex = (int)if_nametoindex("uplink0");
	g_assert_cmpint(f->ifindex, >, 0);
	f->client = nfc_dhcp_client_new(f->ifindex, host_mac, on_event, f);
}

static void client_teardown(ClientFixture *f, gconstpointer data)
{
	g_clear_pointer(&f->client, nfc_dhcp_client_free);
	g_assert_cmpint(setns(f->root_netns, CLONE_NEWNET), ==, 0);
	close(f->root_netns);
	g_array_unref(f->events);
	nfc_lab_free(f->w.lab);
}

static gboolean has_events(gpointer data)
{
	ClientFixture *f = data;

	return f->events->len > 0;
}

/* A 1 s lease with T1 = T2 = 0 made a renewal storm (3,884 requests in
 * 95 s): it is taken as 60 s, T1 30 s, and nothing is sent meanwhile. */
static void test_lease_1s(ClientFixture *f, gconstpointer data)
{
	const char *script[] = { "yiaddr=198.51.100.60", "mask=255.255.255.0",
				 "router=" SERVER_ADDR, "lease=1", "t1=0", "t2=0", NULL };

	server_start(&f->w, script);
	g_assert_cmpint(nfc_dhcp_client_start(f->client, NULL), ==, 0);
	g_assert_true(nfc_lab_wait_for(has_events, f, 15000));
	g_assert_cmpint(g_array_index(f->events, NfcDhcpEvent, 0), ==, NFC_DHCP_BOUND);
	g_assert_cmpuint(f->lease.lease_time, ==, 60);
	g_assert_cmpuint(f->lease.t1, ==, 30);
	g_assert_cmpuint(f->lease.t2, ==, 52);
	/* nothing can happen before T1 (30 s); 3 s saw hundreds of requests
	 * before the clamp, and a wrong T1 of 0 or 1 s would show in them */
	nfc_lab_observe_for(3000);
	g_assert_cmpuint(server_count(&f->w, "DISCOVER", 0, NULL), ==, 1);
	g_assert_cmpuint(server_count(&f->w, "REQUEST", 0, NULL), ==, 1);
	g_assert_cmpuint(f->events->len, ==, 1);
}

/* A server that NAKs every REQUEST: the client starts over at once after
 * the first NAK, then waits 10 s (it looped as fast as the server
 * answered). */
static void test_nak_loop(ClientFixture *f, gconstpointer data)
{
	const char *script[] = { "yiaddr=198.51.100.60", "mask=255.255.255.0",
				 "router=" SERVER_ADDR, "lease=120", "nak=1", NULL };
	gint64 nak1 = 0, nak2 = 0, disc2 = 0, disc3 = 0;

	server_start(&f->w, script);
	g_assert_cmpint(nfc_dhcp_client_start(f->client, NULL), ==, 0);
	server_wait(&f->w, "DISCOVER", 3, 20000);
	g_assert_cmpuint(server_count(&f->w, "NAK", 1, &nak1), >=, 2);
	server_count(&f->w, "NAK", 2, &nak2);
	server_count(&f->w, "DISCOVER", 2, &disc2);
	server_count(&f->w, "DISCOVER", 3, &disc3);
	/* the first restart is prompt (a DISCOVER is not retransmitted
	 * before 3 s), the second waits (g_timeout_add_seconds may fire up
	 * to a second early) */
	g_assert_cmpint(disc2 - nak1, <, 3000);
	g_assert_cmpint(disc3 - nak2, >=, 9000);
	g_assert_cmpuint(server_count(&f->w, "REQUEST", 0, NULL), ==, 2);
	g_assert_null(nfc_dhcp_client_get_lease(f->client));
}

/* An offer of the subnet's network or broadcast address is ignored: no
 * REQUEST, no lease; the client retransmits its DISCOVER and binds when
 * a usable address is offered. */
static void test_offer_unusable(ClientFixture *f, gconstpointer data)
{
	g_autofree char *yiaddr = g_strdup_printf("yiaddr=%s", (const char *)data);
	const char *bad[] = { yiaddr, "mask=255.255.255.0", "router=" SERVER_ADDR, "lease=120",
			      NULL };
	const char *good[] = { "yiaddr=198.51.100.60", "mask=255.255.255.0",
			       "router=" SERVER_ADDR, "lease=120", NULL };
	char a[INET_ADDRSTRLEN];

	server_start(&f->w, bad);
	g_assert_cmpint(nfc_dhcp_client_start(f->client, NULL), ==, 0);
	/* the retransmission (4 ± 1 s) proves the first offer was dropped */
	server_wait(&f->w, "DISCOVER", 2, 10000);
	g_assert_cmpuint(server_count(&f->w, "REQUEST", 0, NULL), ==, 0);
	g_assert_cmpuint(f->events->len, ==, 0);

	server_start(&f->w, good);
	g_assert_true(nfc_lab_wait_for(has_events, f, 15000));
	g_assert_cmpint(g_array_index(f->events, NfcDhcpEvent, 0), ==, NFC_DHCP_BOUND);
	g_assert_cmpstr(inet_ntop(AF_INET, &f->lease.address, a, sizeof(a)), ==, "198.51.100.60");
}

/* ---- nfconnd against it ------------------------------------------------- */

typedef struct {
	World w;
	Uplinks u; /* lab and host only, for the service helpers */
	char *id;
	GPid nfconnd;
} DaemonFixture;

static void daemon_setup(DaemonFixture *f, gconstpointer data)
{
	world_setup(&f->w);
	f->u.lab = f->w.lab;
	f->u.host = f->w.host;
}

/* An orderly exit, status 0 (a sanitizer's report would make it fail). */
static void daemon_stop(DaemonFixture *f)
{
	int status = nfc_lab_stop(f->w.lab, f->nfconnd, SIGTERM, 5000, NULL);

	f->nfconnd = 0;
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void daemon_teardown(DaemonFixture *f, gconstpointer data)
{
	if (f->nfconnd)
		daemon_stop(f);
	g_free(f->id);
	nfc_lab_free(f->w.lab);
}

static void daemon_start(DaemonFixture *f)
{
	g_autofree char *conf = g_build_filename(nfc_lab_dir(f->w.lab), "main.conf", NULL);
	g_autofree char *arg = g_strdup_printf("--config=%s", conf);
	const char *args[] = { arg, NULL };
	g_autoptr(GError) error = NULL;

	g_file_set_contents(conf, "[General]\nOnlineCheckMode=none\n", -1, &error);
	g_assert_no_error(error);
	f->nfconnd = nfc_lab_start_nfconnd(f->w.lab, f->w.host, args);
	f->id = uplinks_service_id(&f->u, 0);
}

typedef struct {
	DaemonFixture *f;
	const char *states;
} StateWait;

static gboolean service_in_state(gpointer data)
{
	StateWait *s = data;
	g_autoptr(GVariant) v = uplinks_service_property(&s->f->u, s->f->id, "State");
	g_auto(GStrv) want = g_strsplit(s->states, "|", -1);

	return v && g_strv_contains((const char *const *)want, g_variant_get_string(v, NULL));
}

/* Waits (serving the main loop) until the service is ready or online. */
static void wait_connected(DaemonFixture *f)
{
	StateWait s = { f, "ready|online" };

	if (!nfc_lab_wait_for(service_in_state, &s, 20000)) {
		g_autofree char *log = nfc_lab_log(f->w.lab, "nfconnd");

		g_error("service never connected:\n%s", log);
	}
}

static char *ipv4_gateway(DaemonFixture *f)
{
	g_autoptr(GVariant) v4 = uplinks_service_property(&f->u, f->id, "IPv4");
	const char *gw = NULL;

	if (v4 && g_variant_lookup(v4, "Gateway", "&s", &gw))
		return g_strdup(gw);
	return NULL;
}

/* The lease and its default routes, in the main table and in the uplink's
 * table, and traffic through the router. */
static void check_default_routes(DaemonFixture *f, const char *gateway)
{
	g_autofree char *gw = NULL;

	nfc_lab_wait_sh(f->w.lab, f->w.host, 10000,
			"ip -4 route show table main default | grep -q 'via %s dev uplink0'",
			gateway);
	nfc_lab_wait_sh(f->w.lab, f->w.host, 10000,
			"ip -4 route show table all default | grep -v 'table main' | "
			"grep -q 'via %s dev uplink0 table'", gateway);
	gw = ipv4_gateway(f);
	g_assert_cmpstr(gw, ==, gateway);
	/* a datagram to the internet leaves by the router (the router's
	 * counter sees it, so its MAC was resolved on the link) */
	nfc_lab_sh(f->w.lab, f->w.router,
		   "nft 'add table ip t; add chain ip t pre { type filter hook prerouting "
		   "priority 0; }; add rule ip t pre ip daddr 203.0.113.10 udp dport 9 counter'");
	nfc_lab_wait_sh(f->w.lab, f->w.host, 10000,
			"bash -c 'echo x > /dev/udp/203.0.113.10/9' && ip netns exec %s "
			"nft list chain ip t pre | grep -q 'counter packets [1-9]'", f->w.router);
}

/* A /32 lease (router necessarily outside it): an on-link host route to
 * the router, then the default routes via it. */
static void test_prefix_32(DaemonFixture *f, gconstpointer data)
{
	const char *script[] = { "yiaddr=198.51.100.60", "mask=255.255.255.255",
				 "router=" SERVER_ADDR, "lease=120", NULL };

	server_start(&f->w, script);
	daemon_start(f);
	wait_connected(f);
	nfc_lab_wait_sh(f->w.lab, f->w.host, 10000,
			"ip -4 addr show dev uplink0 | grep -q 'inet 198.51.100.60/32'");
	check_default_routes(f, SERVER_ADDR);
	nfc_lab_sh(f->w.lab, f->w.host,
		   "ip -4 route show table main " SERVER_ADDR " | grep -q 'dev uplink0 .*scope link'");

	/* stopped, nfconnd leaves nothing of the lease behind */
	daemon_stop(f);
	nfc_lab_wait_sh(f->w.lab, f->w.host, 5000,
			"test -z \"$(ip -4 route show table main " SERVER_ADDR ")\"");
}

/* A /31 (RFC 3021): both addresses are hosts, the other one the router;
 * data is "<ours> <router>". */
static void test_prefix_31(DaemonFixture *f, gconstpointer data)
{
	g_auto(GStrv) pair = g_strsplit(data, " ", 2);
	g_autofree char *yiaddr = g_strdup_printf("yiaddr=%s", pair[0]);
	g_autofree char *router = g_strdup_printf("router=%s", pair[1]);
	const char *script[] = { yiaddr, "mask=255.255.255.254", router, "lease=120", NULL };

	nfc_lab_sh(f->w.lab, f->w.router, "ip addr add %s/31 dev r0", pair[1]);
	server_start(&f->w, script);
	daemon_start(f);
	wait_connected(f);
	nfc_lab_wait_sh(f->w.lab, f->w.host, 10000,
			"ip -4 addr show dev uplink0 | grep -q 'inet %s/31'", pair[0]);
	check_default_routes(f, pair[1]);
}

/* Routers outside the subnet or equal to its broadcast address are not
 * used: the service is connected without a gateway and no route names
 * them. */
static void test_router_unusable(DaemonFixture *f, gconstpointer data)
{
	const char *script[] = { "yiaddr=198.51.100.60", "mask=255.255.255.0",
				 "router=203.0.113.1", "router=198.51.100.255", "lease=120", NULL };
	g_autofree char *routes = NULL, *gw = NULL;

	server_start(&f->w, script);
	daemon_start(f);
	wait_connected(f);
	/* the uplink's table is written in one go: its subnet route there
	 * means a default route would be there too */
	nfc_lab_wait_sh(f->w.lab, f->w.host, 10000,
			"ip -4 route show table all | grep -v 'table main' | "
			"grep -q '^198.51.100.0/24 dev uplink0 table'");
	routes = nfc_lab_sh_output(f->w.lab, f->w.host, "ip -4 route show table all");
	g_assert_null(strstr(routes, "203.0.113.1"));
	g_assert_null(strstr(routes, "via 198.51.100.255"));
	g_assert_null(strstr(routes, "default"));
	gw = ipv4_gateway(f);
	g_assert_null(gw);
}

/* ---- IPv6: the tracked address removed --------------------------------- */

typedef struct {
	Uplinks u;
} V6Fixture;

static void v6_setup(V6Fixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, NULL);
	uplinks_start_nfconnd(&f->u);
}

static void v6_teardown(V6Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

typedef struct {
	Uplinks *u;
	const char *id;
	const char *want; /* an address, a prefix ending in ':', or NULL: none */
	char *have;
} V6Wait;

static gboolean ipv6_is(gpointer data)
{
	V6Wait *w = data;
	g_autoptr(GVariant) v6 = uplinks_service_property(w->u, w->id, "IPv6");
	const char *addr = NULL;

	g_clear_pointer(&w->have, g_free);
	if (v6 && g_variant_lookup(v6, "Address", "&s", &addr))
		w->have = g_strdup(addr);
	if (!w->want)
		return w->have == NULL;
	if (!w->have)
		return FALSE;
	return g_str_has_suffix(w->want, ":") ? g_str_has_prefix(w->have, w->want)
					      : g_str_equal(w->have, w->want);
}

/* Waits until the service's IPv6 address is want; returns it. */
static char *wait_ipv6(Uplinks *u, const char *id, const char *want)
{
	V6Wait w = { u, id, want, NULL };

	if (!nfc_lab_wait_for(ipv6_is, &w, 20000)) {
		g_autofree char *log = nfc_lab_log(u->lab, "nfconnd");

		g_error("IPv6 of %s is %s, not %s\n%s", id, w.have ? w.have : "(none)",
			want ? want : "(none)", log);
	}
	return w.have;
}

/* uplink0's table (numbered: not main or local) has the prefix route and
 * the default route */
#define UPLINK_V6_ROUTES \
	"ip -6 route show table all | grep -E 'dev uplink0 table [0-9]+' > r; " \
	"grep -q '^2001:db8:a::/64 ' r && grep -q '^default via fe80:' r"

/* Deleting the address the service reports switches it to another of
 * the link's global addresses, the best one left (not deprecated, then
 * the longest preferred lifetime), keeping the uplink table's routes;
 * only with none left does IPv6 go. */
static void test_ipv6_fallback(V6Fixture *f, gconstpointer data)
{
	Uplinks *u = &f->u;
	g_autofree char *id = uplinks_service_id(u, 0);
	g_autofree char *slaac = NULL, *a = NULL, *b = NULL, *c = NULL;

	slaac = wait_ipv6(u, id, "2001:db8:a:");
	nfc_lab_wait_sh(u->lab, u->host, 20000, "cd %s && " UPLINK_V6_ROUTES, nfc_lab_dir(u->lab));
	/* no new SLAAC address from the next advertisement (every 3 s) */
	nfc_lab_sh(u->lab, u->host,
		   "sysctl -qw net.ipv6.conf.uplink0.autoconf=0 && "
		   "ip -6 addr add 2001:db8:a::101/64 dev uplink0 nodad && "
		   "ip -6 addr add 2001:db8:a::102/64 dev uplink0 nodad preferred_lft 0 && "
		   "ip -6 addr add 2001:db8:a::103/64 dev uplink0 nodad "
		   "valid_lft 600 preferred_lft 300");

	nfc_lab_sh(u->lab, u->host, "ip -6 addr del %s/64 dev uplink0", slaac);
	a = wait_ipv6(u, id, "2001:db8:a::101");
	nfc_lab_sh(u->lab, u->host, "cd %s && " UPLINK_V6_ROUTES, nfc_lab_dir(u->lab));

	nfc_lab_sh(u->lab, u->host, "ip -6 addr del 2001:db8:a::101/64 dev uplink0");
	b = wait_ipv6(u, id, "2001:db8:a::103");
	nfc_lab_sh(u->lab, u->host, "cd %s && " UPLINK_V6_ROUTES, nfc_lab_dir(u->lab));

	/* a deprecated address is better than none */
	nfc_lab_sh(u->lab, u->host, "ip -6 addr del 2001:db8:a::103/64 dev uplink0");
	c = wait_ipv6(u, id, "2001:db8:a::102");
	nfc_lab_sh(u->lab, u->host, "cd %s && " UPLINK_V6_ROUTES, nfc_lab_dir(u->lab));

	/* never taken out and put back on the way (the daemon logs each
	 * route change it makes) */
	{
		g_autofree char *log = nfc_lab_log(u->lab, "nfconnd");
		g_autofree char *index = nfc_lab_sh_output(u->lab, u->host,
							   "ip -o link show uplink0 | cut -d: -f1");
		g_autofree char *dev = g_strdup_printf(" dev %s", g_strstrip(index));
		g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
		unsigned int added = 0;

		for (char **l = lines; *l; l++) {
			if (!g_str_has_suffix(*l, dev) || !strstr(*l, " route table "))
				continue;
			if (strstr(*l, "add route") && strstr(*l, ": 2001:db8:a::/64 "))
				added++;
			if (strstr(*l, "delete route"))
				g_assert_null(strstr(*l, ": 2001:db8:a::/64 "));
			if (strstr(*l, "delete route"))
				g_assert_null(strstr(*l, ": ::/0 "));
		}
		g_assert_cmpuint(added, ==, 1);
	}

	nfc_lab_sh(u->lab, u->host, "ip -6 addr del 2001:db8:a::102/64 dev uplink0");
	g_assert_null(wait_ipv6(u, id, NULL));
	nfc_lab_wait_sh(u->lab, u->host, 10000,
			"! ip -6 route show table all | grep -Eq 'dev uplink0 table [0-9]+'");
	/* IPv4 still carries the service */
	{
		g_autoptr(GVariant) state = uplinks_service_property(u, id, "State");

		g_assert_nonnull(state);
		g_assert_true(g_str_equal(g_variant_get_string(state, NULL), "ready") ||
			      g_str_equal(g_variant_get_string(state, NULL), "online"));
	}
	uplinks_stop_nfconnd(u);
}

int main(int argc, char **argv)
{
	if (argc > 2 && g_str_equal(argv[1], "--serve"))
		return serve(argc - 2, argv + 2);

	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	self_exe = g_file_read_link("/proc/self/exe", NULL);
	g_assert_nonnull(self_exe);

	g_test_add("/hostile-net/dhcp/lease-1s", ClientFixture, NULL, client_setup,
		   test_lease_1s, client_teardown);
	g_test_add("/hostile-net/dhcp/nak-loop", ClientFixture, NULL, client_setup,
		   test_nak_loop, client_teardown);
	g_test_add("/hostile-net/dhcp/offer-broadcast", ClientFixture, "198.51.100.255",
		   client_setup, test_offer_unusable, client_teardown);
	g_test_add("/hostile-net/dhcp/offer-network", ClientFixture, "198.51.100.0",
		   client_setup, test_offer_unusable, client_teardown);
	g_test_add("/hostile-net/daemon/prefix-32", DaemonFixture, NULL, daemon_setup,
		   test_prefix_32, daemon_teardown);
	g_test_add("/hostile-net/daemon/prefix-31-lower", DaemonFixture,
		   "198.51.100.60 198.51.100.61", daemon_setup, test_prefix_31, daemon_teardown);
	g_test_add("/hostile-net/daemon/prefix-31-upper", DaemonFixture,
		   "198.51.100.61 198.51.100.60", daemon_setup, test_prefix_31, daemon_teardown);
	g_test_add("/hostile-net/daemon/router-unusable", DaemonFixture, NULL, daemon_setup,
		   test_router_unusable, daemon_teardown);
	g_test_add("/hostile-net/ipv6/fallback", V6Fixture, NULL, v6_setup, test_ipv6_fallback,
		   v6_teardown);
	return g_test_run();
}
