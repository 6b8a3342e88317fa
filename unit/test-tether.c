// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: tethering end to end. The two-uplink world (unit/uplinks.h)
 * plus a client namespace behind the port lan0 that nfconnd lends to the
 * bridge: a real DHCP client (busybox udhcpc) and real traffic from there,
 * counted where it arrives (the routers' nft counters), the kernel state
 * of the host (links, sysctls, nft) read before, during and after.
 *
 * Each case builds its own lab; meson runs them as separate tests
 * (-p /tether/<case>) so that they run in parallel. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "session-driver.h"
#include "uplinks.h"

#define PORT 9999
#define TECH_PATH "/net/connman/technology/ethernet"
#define TETHER_NAME "tether.example.test"
#define TETHER_NAME_ADDR "203.0.113.77"
#define UID_A 38   /* Debian's "list" */
#define TIMEOUT_MS 20000

#define CONF_LAN "TetheringTechnologies=ethernet\nTetheringInterfaces=lan*\n"

typedef struct {
	Uplinks u;
	const char *client;  /* the namespace behind lan0 */
	char *sender;        /* uplinks_sender_py */
	char *tcp;           /* uplinks_tcp_py */
	char *stream;        /* stream_py */
	char *udhcpc;        /* udhcpc's script */
} Fixture;

/* UDP at a steady rate (one datagram of 100 bytes every INTERVAL s) from
 * one socket, counting the echoes; a line on stdin makes it print "sent
 * got", "q" also ends it:  stream.py ADDR INTERVAL */
static const char stream_py[] =
	"import socket, sys, select, time\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)\n"
	"dst = (sys.argv[1], 9999); interval = float(sys.argv[2])\n"
	"sent = got = 0; nxt = time.monotonic()\n"
	"while True:\n"
	"    now = time.monotonic()\n"
	"    if now >= nxt:\n"
	"        try:\n"
	"            s.sendto(b'z' * 100, dst); sent += 1\n"
	"        except OSError:\n"
	"            pass\n"
	"        nxt = max(nxt + interval, now)\n"
	"    r, _, _ = select.select([s, sys.stdin], [], [], max(0, nxt - time.monotonic()))\n"
	"    if s in r:\n"
	"        try:\n"
	"            while True:\n"
	"                s.recv(2048); got += 1\n"
	"        except (BlockingIOError, ConnectionRefusedError):\n"
	"            pass\n"
	"    if sys.stdin in r:\n"
	"        line = sys.stdin.readline()\n"
	"        print(sent, got, flush=True)\n"
	"        if not line or line.strip() == 'q':\n"
	"            break\n";

/* udhcpc's script: the lease goes on the interface (address, default
 * route) and into $LEASE_FILE as key=value lines */
static const char udhcpc_sh[] =
	"#!/bin/sh\n"
	"case \"$1\" in\n"
	"bound|renew)\n"
	"	ip addr flush dev \"$interface\" scope global label \"$interface\"\n"
	"	ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
	"	[ -n \"$router\" ] && ip route replace default via \"${router%% *}\" dev \"$interface\"\n"
	"	printf 'ip=%s\\nmask=%s\\nrouter=%s\\ndns=%s\\nlease=%s\\n' \"$ip\" \"$mask\" \"$router\""
	" \"$dns\" \"$lease\" >\"$LEASE_FILE.tmp\"\n"
	"	mv \"$LEASE_FILE.tmp\" \"$LEASE_FILE\"\n"
	"	;;\n"
	"esac\n"
	"exit 0\n";

/* ---- the world ------------------------------------------------------------ */

static char *write_script(Fixture *f, const char *name, const char *text, int mode)
{
	g_autoptr(GError) error = NULL;
	char *path = g_build_filename(nfc_lab_dir(f->u.lab), name, NULL);

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(chmod(path, mode), ==, 0);
	return path;
}

/* What each router gets on port 9999, by family and protocol (v4, v6:
 * UDP; t4, t6: TCP SYNs; p6: ICMPv6 echo requests), and (n4, n6) the UDP
 * that came from the router's own subnet: from the host's uplink address,
 * that is NATed. */
static void count_at_router(Fixture *f, int i)
{
	static const char *const net4[2] = { "198.51.100.0/25", "198.51.100.128/25" };
	static const char *const net6[2] = { "2001:db8:a::/64", "2001:db8:b::/64" };

	nfc_lab_sh(f->u.lab, f->u.router[i],
		   "nft -f - <<'EOF'\n"
		   "table inet count {\n"
		   "  counter v4 { }\n  counter v6 { }\n  counter n4 { }\n  counter n6 { }\n"
		   "  counter t4 { }\n  counter t6 { }\n  counter p6 { }\n"
		   "  chain in {\n"
		   "    type filter hook input priority 0;\n"
		   "    meta nfproto ipv4 udp dport %d counter name v4\n"
		   "    meta nfproto ipv6 udp dport %d counter name v6\n"
		   "    ip saddr %s udp dport %d counter name n4\n"
		   "    ip6 saddr %s udp dport %d counter name n6\n"
		   "    meta nfproto ipv4 tcp dport %d tcp flags & (syn | ack) == syn counter name t4\n"
		   "    meta nfproto ipv6 tcp dport %d tcp flags & (syn | ack) == syn counter name t6\n"
		   "    ip6 saddr %s icmpv6 type echo-request counter name p6\n"
		   "  }\n"
		   "}\n"
		   "EOF",
		   PORT, PORT, net4[i], PORT, net6[i], PORT, PORT, PORT, net6[i]);
}

static guint64 router_count(Fixture *f, int i, const char *name)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.router[i],
		"nft list counter inet count %s | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'", name);

	return g_ascii_strtoull(out, NULL, 10);
}

/* Both routers together */
static guint64 routers_count(Fixture *f, const char *name)
{
	return router_count(f, 0, name) + router_count(f, 1, name);
}

static gboolean lan_has_service(gpointer data)
{
	Fixture *f = data;

	return uplinks_has_service(&f->u, "lan0");
}

static void start_nfconnd(Fixture *f)
{
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_ipv4_leases(&f->u);
}

/* The routers' RAs dropped on the way out: the host's uplinks get no IPv6
 * until ra_unblock */
static void ra_block(Fixture *f, int i)
{
	nfc_lab_sh(f->u.lab, f->u.router[i],
		   "nft add table ip6 nora && "
		   "nft add chain ip6 nora out '{ type filter hook output priority 0; }' && "
		   "nft add rule ip6 nora out icmpv6 type nd-router-advert drop");
}

static void setup_with(Fixture *f, gconstpointer data, bool uplink_ipv6);

static void setup(Fixture *f, gconstpointer data)
{
	setup_with(f, data, true);
}

/* The uplinks have no IPv6 when tethering starts (their routers' RAs are
 * dropped) */
static void setup_no_uplink_ipv6(Fixture *f, gconstpointer data)
{
	setup_with(f, data, false);
}

static void setup_with(Fixture *f, gconstpointer data, bool uplink_ipv6)
{
	UplinksOptions o = {
		.extra_conf = data,
		.dns_on_routers = true,
		.router_dnsmasq = "--address=/" TETHER_NAME "/" TETHER_NAME_ADDR,
	};
	g_autofree char *echo = NULL;

	uplinks_setup_with(&f->u, &o);
	f->client = uplinks_add_client(&f->u, 0);
	/* the policy directory exists before nfconnd watches it (a missing
	 * one is looked for only every 4 s) */
	{
		g_autofree char *dir = g_build_filename(nfc_lab_dir(f->u.lab),
							"session_policy_local", NULL);

		g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	}
	/* the tether's dnsmasq runs as nobody and the session client as
	 * UID_A: both read files under the lab's directory */
	nfc_lab_sh(f->u.lab, NULL, "chmod 755 %s", nfc_lab_dir(f->u.lab));
	f->sender = write_script(f, "send.py", uplinks_sender_py, 0644);
	f->tcp = write_script(f, "tcp.py", uplinks_tcp_py, 0644);
	f->stream = write_script(f, "stream.py", stream_py, 0644);
	f->udhcpc = write_script(f, "udhcpc.sh", udhcpc_sh, 0755);
	echo = write_script(f, "echo.py", uplinks_echo_py, 0644);
	for (int i = 0; i < 2; i++) {
		g_autofree char *name = g_strdup_printf("echo%d", i);
		const char *argv[] = { "python3", echo, UPLINK_SERVER4, UPLINK_SERVER6, name, NULL };

		count_at_router(f, i);
		nfc_lab_spawn(f->u.lab, f->u.router[i], name, argv);
		if (!uplink_ipv6)
			ra_block(f, i);
	}
	start_nfconnd(f);
	/* (python's start takes seconds on a loaded machine) */
	for (int i = 0; i < 2; i++)
		nfc_lab_wait_sh(f->u.lab, f->u.router[i], 30000,
				"test $(ss -Htuln 'sport = :%d' | wc -l) = 4", PORT);
	/* the port to lend is a service (with carrier, nobody answering) */
	g_assert_true(nfc_lab_wait_for(lan_has_service, f, TIMEOUT_MS));
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
	g_free(f->sender);
	g_free(f->tcp);
	g_free(f->stream);
	g_free(f->udhcpc);
}

/* Stop nfconnd, put extra_conf in main.conf and start it again. */
static void restart_with(Fixture *f, const char *extra_conf)
{
	uplinks_stop_nfconnd(&f->u);
	uplinks_write_config(&f->u, extra_conf);
	start_nfconnd(f);
	g_assert_true(nfc_lab_wait_for(lan_has_service, f, TIMEOUT_MS));
}

/* The index of the best uplink (the first service). */
static int best_uplink(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	g_autofree char *id0 = uplinks_service_id(&f->u, 0);
	const char *path;

	g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
	return g_str_has_suffix(path, id0) ? 0 : 1;
}

/* ---- D-Bus -------------------------------------------------------------- */

/* Technology.SetProperty("Tethering", value); FALSE with the D-Bus error. */
static gboolean set_tethering_value(Fixture *f, GVariant *value, GError **error)
{
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, TECH_PATH, "net.connman.Technology",
					     "SetProperty",
					     g_variant_new("(sv)", "Tethering", value), error);

	return r != NULL;
}

static gboolean set_tethering(Fixture *f, bool on, GError **error)
{
	return set_tethering_value(f, g_variant_new_boolean(on), error);
}

/* Must succeed: the reply is what tethering is now. */
static void tether(Fixture *f, bool on)
{
	g_autoptr(GError) error = NULL;

	set_tethering(f, on, &error);
	g_assert_no_error(error);
}

static bool tech_tethering(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, TECH_PATH, "net.connman.Technology",
					     "GetProperties", NULL, &error);
	g_autoptr(GVariant) props = NULL;
	gboolean on = FALSE;

	g_assert_no_error(error);
	props = g_variant_get_child_value(r, 0);
	g_assert_true(g_variant_lookup(props, "Tethering", "b", &on));
	return on;
}

static gboolean tech_tethering_on(gpointer data)
{
	return tech_tethering(data);
}

/* The error's D-Bus name must be net.connman.Error.<want> (want NULL: any
 * of net.connman.Error.*); returns its message. */
static char *assert_error(const GError *error, const char *want)
{
	g_autofree char *name = NULL;
	g_autoptr(GError) copy = NULL;

	g_assert_nonnull(error);
	name = g_dbus_error_get_remote_error(error);
	g_test_message("error %s: %s", name, error->message);
	g_assert_nonnull(name);
	g_assert_true(g_str_has_prefix(name, "net.connman.Error."));
	if (want)
		g_assert_cmpstr(name + strlen("net.connman.Error."), ==, want);
	copy = g_error_copy(error);
	g_dbus_error_strip_remote_error(copy);
	return g_strdup(copy->message);
}

static GStrv tethering_clients(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.connman.Manager",
					     "GetTetheringClients", NULL, &error);
	GStrv macs = NULL;

	g_assert_no_error(error);
	g_variant_get(r, "(^as)", &macs);
	return macs;
}

typedef struct {
	guint64 tx_packets, tx_bytes, rx_packets, rx_bytes;
	bool found;
} ClientCounters;

/* net.nfconn.Tethering.GetClients for mac: a(sa{sv}), MAC → counters */
static ClientCounters client_counters(Fixture *f, const char *mac)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.nfconn.Tethering", "GetClients",
					     NULL, &error);
	g_autoptr(GVariant) list = NULL;
	ClientCounters c = { 0 };

	g_assert_no_error(error);
	list = g_variant_get_child_value(r, 0);
	{
		g_autofree char *text = g_variant_print(list, FALSE);

		g_test_message("GetClients: %s", text);
	}
	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		g_autoptr(GVariant) props = NULL;
		const char *m;

		g_variant_get_child(list, i, "(&s@a{sv})", &m, &props);
		if (g_ascii_strcasecmp(m, mac) != 0)
			continue;
		c.found = true;
		g_assert_true(g_variant_lookup(props, "TxPackets", "t", &c.tx_packets));
		g_assert_true(g_variant_lookup(props, "TxBytes", "t", &c.tx_bytes));
		g_assert_true(g_variant_lookup(props, "RxPackets", "t", &c.rx_packets));
		g_assert_true(g_variant_lookup(props, "RxBytes", "t", &c.rx_bytes));
	}
	return c;
}

/* ---- the host's kernel state ---------------------------------------------- */

/* The sysctls tethering may touch, as "key=value" lines ("" for a key the
 * kernel lacks). */
static char *forwarding_sysctls(Fixture *f)
{
	return nfc_lab_sh_output(f->u.lab, f->u.host,
		"for k in ipv4/ip_forward ipv4/conf/all/forwarding ipv6/conf/all/forwarding; do "
		"  printf '%%s=%%s\\n' $k \"$(cat /proc/sys/net/$k)\"; done; "
		"for i in uplink0 uplink1 lan0; do "
		"  for k in ipv4/conf/$i/forwarding ipv6/conf/$i/forwarding "
		"           ipv6/conf/$i/force_forwarding ipv6/conf/$i/accept_ra; do "
		"    printf '%%s=%%s\\n' $k \"$(cat /proc/sys/net/$k 2>/dev/null)\"; done; done");
}

static void assert_sysctl(Fixture *f, const char *key, const char *want)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host, "cat /proc/sys/net/%s", key);

	if (!g_str_equal(g_strstrip(out), want))
		g_error("net.%s is %s, not %s", key, out, want);
}

static bool kernel_has_force_forwarding(Fixture *f)
{
	return nfc_lab_sh_status(f->u.lab, f->u.host, NULL,
				 "test -e /proc/sys/net/ipv6/conf/lo/force_forwarding") == 0;
}

static bool link_exists(Fixture *f, const char *ifname)
{
	return nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "ip link show dev %s >/dev/null 2>&1",
				 ifname) == 0;
}

static int link_index(Fixture *f, const char *ifname)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -o link show dev %s | cut -d: -f1", ifname);

	return atoi(out);
}

/* The bridge's IPv4 address and prefix length. */
static char *bridge_address(Fixture *f, int *prefixlen)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -4 -o addr show dev tether scope global | awk '{print $4}'");
	char *slash;

	g_strstrip(out);
	slash = strchr(out, '/');
	g_assert_nonnull(slash);
	*slash = '\0';
	if (prefixlen)
		*prefixlen = atoi(slash + 1);
	return g_strdup(out);
}

/* The ports enslaved to the bridge are want (space-separated, sorted). */
static void assert_bridge_ports(Fixture *f, const char *want)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -o link show master tether 2>/dev/null | awk -F': ' '{print $2}' | "
		"sed 's/@.*//' | sort | tr '\\n' ' '");

	g_assert_cmpstr(g_strstrip(out), ==, want);
}

static bool in_subnet(const char *addr, const char *net, int prefixlen)
{
	struct in_addr a, n;
	guint32 mask = prefixlen ? htonl(~0u << (32 - prefixlen)) : 0;

	g_assert_cmpint(inet_pton(AF_INET, addr, &a), ==, 1);
	g_assert_cmpint(inet_pton(AF_INET, net, &n), ==, 1);
	return (a.s_addr & mask) == (n.s_addr & mask);
}

static char *pid_file(Fixture *f)
{
	return g_build_filename(nfc_lab_run_dir(f->u.lab), "tether-dnsmasq.pid", NULL);
}

static bool is_dnsmasq(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/comm", pid);
	g_autofree char *comm = NULL;

	if (pid <= 0 || !g_file_get_contents(path, &comm, NULL, NULL))
		return false;
	return g_str_equal(g_strstrip(comm), "dnsmasq");
}

/* The tether's dnsmasq, by its pid file; 0 if none runs. */
static pid_t dnsmasq_pid(Fixture *f)
{
	g_autofree char *path = pid_file(f);
	g_autofree char *text = NULL;
	pid_t pid;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	pid = atoi(text);
	return is_dnsmasq(pid) ? pid : 0;
}

typedef struct {
	Fixture *f;
	pid_t old;
} PidWait;

static gboolean pid_gone(gpointer data)
{
	PidWait *w = data;

	return !is_dnsmasq(w->old);
}

static gboolean new_dnsmasq(gpointer data)
{
	PidWait *w = data;
	pid_t pid = dnsmasq_pid(w->f);

	return pid != 0 && pid != w->old;
}

/* Any dnsmasq of this lab's nfconnd (its configuration is in our run dir),
 * however it was left. */
static bool any_tether_dnsmasq(Fixture *f)
{
	/* "[/]": the pattern does not match the shell that runs pgrep */
	return nfc_lab_sh_status(f->u.lab, NULL, NULL, "pgrep -f -- '%s[/]' >/dev/null",
				 nfc_lab_run_dir(f->u.lab)) == 0;
}

typedef struct {
	Fixture *f;
	const char *want;
	char *last;
} TableWait;

static gboolean table_is(gpointer data)
{
	TableWait *w = data;

	g_free(w->last);
	w->last = fw_dump(w->f->u.lab, w->f->u.host);
	return g_str_equal(w->last, w->want);
}

/* Nothing of tethering is left in the host: no bridge, no dnsmasq, the
 * forwarding sysctls as before, nfconnd's table as before (no tether
 * chain, set or masquerade at once; with nothing else to steer the whole
 * table goes a few seconds later), the port back as a service. */
static void assert_nothing_left(Fixture *f, const char *sysctls_before, const char *table_before)
{
	g_autofree char *sysctls = NULL;
	g_autofree char *table = NULL;
	TableWait w = { f, table_before, NULL };

	g_assert_false(link_exists(f, "tether"));
	g_assert_cmpint(dnsmasq_pid(f), ==, 0);
	g_assert_false(any_tether_dnsmasq(f));
	sysctls = forwarding_sysctls(f);
	g_assert_cmpstr(sysctls, ==, sysctls_before);
	/* nfconnd's firewall state, counter figures out (fw-state.h) */
	table = fw_dump(f->u.lab, f->u.host);
	g_test_message("table:\n%s", table);
	{
		g_autofree char *lower = g_ascii_strdown(table, -1);

		g_assert_null(strstr(lower, "tether"));
	}
	if (!nfc_lab_wait_for(table_is, &w, 15000))
		g_assert_cmpstr(w.last, ==, table_before);
	g_free(w.last);
	g_assert_true(nfc_lab_wait_for(lan_has_service, f, TIMEOUT_MS));
	g_assert_false(tech_tethering(f));
	{
		g_auto(GStrv) macs = tethering_clients(f);

		g_assert_cmpuint(g_strv_length(macs), ==, 0);
	}
}

/* GetTetheringClients lists exactly the given MACs (NULL-terminated, in
 * any order): nothing else on the bridge (the host's own bridge and ports,
 * multicast) is a client. */
static void assert_only_clients(Fixture *f, ...) G_GNUC_NULL_TERMINATED;
static void assert_only_clients(Fixture *f, ...)
{
	g_auto(GStrv) macs = tethering_clients(f);
	g_autoptr(GPtrArray) want = g_ptr_array_new();
	bool same;
	va_list ap;

	va_start(ap, f);
	for (const char *m = va_arg(ap, const char *); m; m = va_arg(ap, const char *))
		g_ptr_array_add(want, (gpointer)m);
	va_end(ap);
	same = g_strv_length(macs) == want->len;
	for (guint i = 0; same && i < want->len; i++)
		same = g_strv_contains((const char *const *)macs, want->pdata[i]);
	if (!same) {
		g_autofree char *have = g_strjoinv(" ", macs);
		g_autofree char *kernel = nfc_lab_sh_output(f->u.lab, f->u.host,
			"ip -br link; ip -br addr; ip neigh show dev tether; "
			"bridge fdb show br tether | grep -v permanent");

		g_error("tethering clients: %s, not only the machines behind the ports\n%s", have,
			kernel);
	}
}

/* DNS is served on the bridge alone: every socket on port 53 in the host
 * (UDP and TCP) is bound to one of the bridge's addresses. */
static void assert_dns_on_bridge_only(Fixture *f)
{
	g_autofree char *bound = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ss -Hlnut 'sport = :53' | awk '{print $5}' | "
		"sed 's/%%[^]:]*//; s/:53$//; s/^\\[//; s/\\]$//' | sort -u");
	g_autofree char *mine = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -o addr show dev tether | awk '{print $4}' | cut -d/ -f1");
	g_auto(GStrv) addrs = g_strsplit(g_strstrip(bound), "\n", -1);
	g_auto(GStrv) allowed = g_strsplit(g_strstrip(mine), "\n", -1);
	g_autofree char *bridge = bridge_address(f, NULL);

	g_test_message("port 53 bound to: %s", bound);
	g_assert_true(g_strv_contains((const char *const *)addrs, bridge));
	for (char **a = addrs; *a; a++)
		if (!g_strv_contains((const char *const *)allowed, *a))
			g_error("port 53 is bound to %s, not an address of the bridge (%s)", *a, mine);
}

/* ---- the client --------------------------------------------------------- */

typedef struct {
	char *ip, *router, *dns;
	int mask;
} Lease;

static void lease_clear(Lease *l)
{
	g_free(l->ip);
	g_free(l->router);
	g_free(l->dns);
	memset(l, 0, sizeof(*l));
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Lease, lease_clear)

/* busybox udhcpc in client i's namespace until it has a lease (request
 * asks for that address again); fails the test if none comes. */
static void dhcp_lease_of(Fixture *f, int i, const char *request, Lease *lease)
{
	g_autofree char *file = g_strdup_printf("%s/lease-c%d", nfc_lab_dir(f->u.lab), i);
	g_autofree char *text = NULL;
	g_autofree char *req = request ? g_strdup_printf("-r %s", request) : g_strdup("");
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;

	memset(lease, 0, sizeof(*lease));
	unlink(file);
	nfc_lab_sh(f->u.lab, f->u.client[i],
		   "LEASE_FILE=%s busybox udhcpc -i c%d -f -q -n -t 10 -T 3 %s -s %s 2>&1",
		   file, i, req, f->udhcpc);
	g_file_get_contents(file, &text, NULL, &error);
	g_assert_no_error(error);
	g_test_message("lease of c%d:\n%s", i, text);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "ip="))
			lease->ip = g_strdup(*l + 3);
		else if (g_str_has_prefix(*l, "router="))
			lease->router = g_strdup(*l + 7);
		else if (g_str_has_prefix(*l, "dns="))
			lease->dns = g_strdup(g_strstrip(*l + 4));
		else if (g_str_has_prefix(*l, "mask="))
			lease->mask = atoi(*l + 5);
	}
	g_assert_nonnull(lease->ip);
}

static void dhcp_lease(Fixture *f, const char *request, Lease *lease)
{
	dhcp_lease_of(f, 0, request, lease);
}

static char *client_mac(Fixture *f, int i)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.client[i],
		"ip -br link show c%d | awk '{print $3}'", i);

	return g_ascii_strdown(g_strstrip(out), -1);
}

/* n datagrams from the client, one at a time: the number of echoes */
static int client_send(Fixture *f, const char *dst, int n)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->client, "python3 %s %s %d 2>&1",
						 f->sender, dst, n);
	const char *last = out;
	int sent = 0, got = 0;

	g_test_message("sender: %s", out);
	for (const char *p = strchr(out, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		last = p + 1;
	if (sscanf(last, "%d %d", &sent, &got) != 2) {
		g_autofree char *routes = nfc_lab_sh_output(f->u.lab, f->client,
			"ip addr; ip route; ip -6 route");

		g_error("the client could not send to %s: %s\n%s", dst, out, routes);
	}
	g_assert_cmpint(sent, ==, n);
	return got;
}

/* A lease in the tether subnet with the bridge as router and DNS. */
static void assert_lease_from_bridge(Fixture *f, const Lease *l)
{
	int plen = 0;
	g_autofree char *bridge = bridge_address(f, &plen);

	g_assert_true(in_subnet(l->ip, bridge, plen));
	g_assert_cmpstr(l->ip, !=, bridge);
	g_assert_cmpint(l->mask, ==, plen);
	g_assert_cmpstr(l->router, ==, bridge);
	g_assert_cmpstr(l->dns, ==, bridge);
}

static void assert_lookup(Fixture *f, const char *server)
{
	/* the tether's dnsmasq forwards to the uplinks' nameserver (the
	 * routers' dnsmasq, which alone knows the name) */
	nfc_lab_wait_sh(f->u.lab, f->client, 10000,
			"busybox nslookup -type=a " TETHER_NAME " %s | grep -q 'Address:.*"
			TETHER_NAME_ADDR "'", server);
}

/* The client's IPv6 address from the bridge's router advertisement (a
 * ULA), once it is usable, and a default route. */
static char *client_ula(Fixture *f)
{
	g_autofree char *out = NULL;

	nfc_lab_wait_sh(f->u.lab, f->client, TIMEOUT_MS,
			"ip -6 addr show dev c0 scope global -tentative | grep -q 'inet6 fd' && "
			"ip -6 route show default | grep -q 'dev c0'");
	out = nfc_lab_sh_output(f->u.lab, f->client,
		"ip -6 -o addr show dev c0 scope global | awk '{print $4}' | grep '^fd' | head -n 1");
	return g_strdup(g_strstrip(out));
}

/* ---- the cases ---------------------------------------------------------- */

typedef struct {
	Fixture *f;
	const char *mac;
	NfcLabSignals *signals;
	bool seen;
} ClientsWait;

static gboolean client_announced(gpointer data)
{
	ClientsWait *w = data;
	g_autoptr(GVariant) params = NULL;

	while (!w->seen && (params = nfc_lab_signals_pop(w->signals, 0, NULL))) {
		g_auto(GStrv) added = NULL;
		g_auto(GStrv) removed = NULL;

		g_variant_get(params, "(^as^as)", &added, &removed);
		for (char **m = added; *m; m++)
			if (g_ascii_strcasecmp(*m, w->mac) == 0)
				w->seen = true;
		g_clear_pointer(&params, g_variant_unref);
	}
	return w->seen;
}

static gboolean client_listed(gpointer data)
{
	ClientsWait *w = data;
	g_auto(GStrv) macs = tethering_clients(w->f);

	for (char **m = macs; *m; m++)
		if (g_ascii_strcasecmp(*m, w->mac) == 0)
			return TRUE;
	return FALSE;
}

typedef struct {
	NfcLabSignals *signals;
	gboolean want;
	bool seen;
} PropertyWait;

static gboolean tethering_signalled(gpointer data)
{
	PropertyWait *w = data;
	g_autoptr(GVariant) params = NULL;

	while (!w->seen && (params = nfc_lab_signals_pop(w->signals, 0, NULL))) {
		const char *name;
		g_autoptr(GVariant) v = NULL;

		g_variant_get(params, "(&sv)", &name, &v);
		if (g_str_equal(name, "Tethering") && g_variant_get_boolean(v) == w->want)
			w->seen = true;
		g_clear_pointer(&params, g_variant_unref);
	}
	return w->seen;
}

/* Enable, and everything is up when the reply comes; off: all gone. In
 * between, a real client: lease, DNS, UDP and TCP through NAT, IPv6
 * through NAT66, listed with exact counters. */
static void test_enable_and_traffic(Fixture *f, gconstpointer data)
{
	g_autofree char *sysctls_before = forwarding_sysctls(f);
	g_autofree char *table_before = fw_dump(f->u.lab, f->u.host);
	g_autofree char *bridge = NULL;
	g_autofree char *mac = client_mac(f, 0);
	g_autofree char *ula = NULL;
	g_autoptr(NfcLabSignals) clients_sig =
		nfc_lab_signals_new(f->u.lab, "net.connman.Manager", "TetheringClientsChanged");
	g_autoptr(NfcLabSignals) tech_sig =
		nfc_lab_signals_new(f->u.lab, "net.connman.Technology", "PropertyChanged");
	g_autoptr(GError) error = NULL;
	g_auto(Lease) lease = { 0 };
	ClientCounters before, after;
	pid_t dm;
	int plen;
	guint64 v4, n4, t4, v6, n6, p6;

	g_assert_false(tech_tethering(f));
	assert_sysctl(f, "ipv4/conf/uplink0/forwarding", "0");

	/* a wrong value is refused before anything happens */
	g_assert_false(set_tethering_value(f, g_variant_new_string("on"), &error));
	g_free(assert_error(error, "InvalidArguments"));
	g_clear_error(&error);

	/* the reply comes when tethering is up: no waiting after it */
	tether(f, true);
	g_assert_true(link_exists(f, "tether"));
	bridge = bridge_address(f, &plen);
	g_test_message("bridge %s/%d", bridge, plen);
	g_assert_cmpint(plen, <=, 30);
	nfc_lab_sh(f->u.lab, f->u.host, "ip -d link show dev tether | grep -q 'forward_delay 0 '");
	nfc_lab_sh(f->u.lab, f->u.host, "ip link show dev tether | grep -q 'state UP'");
	assert_bridge_ports(f, "lan0");
	dm = dnsmasq_pid(f);
	g_assert_cmpint(dm, >, 0);
	g_assert_false(uplinks_has_service(&f->u, "lan0"));
	g_assert_true(tech_tethering(f));
	{
		PropertyWait w = { tech_sig, TRUE, false };

		g_assert_true(nfc_lab_wait_for(tethering_signalled, &w, 5000));
	}
	/* twice: already */
	g_assert_false(set_tethering(f, true, &error));
	g_free(assert_error(error, "AlreadyEnabled"));
	g_clear_error(&error);

	/* forwarding per interface, never the global switch */
	assert_sysctl(f, "ipv4/ip_forward", "0");
	assert_sysctl(f, "ipv4/conf/all/forwarding", "0");
	assert_sysctl(f, "ipv4/conf/tether/forwarding", "1");
	assert_sysctl(f, "ipv4/conf/uplink0/forwarding", "1");
	assert_sysctl(f, "ipv4/conf/uplink1/forwarding", "1");
	if (kernel_has_force_forwarding(f)) {
		assert_sysctl(f, "ipv6/conf/all/forwarding", "0");
		assert_sysctl(f, "ipv6/conf/tether/force_forwarding", "1");
		/* the bridge answers neighbour solicitations as a router */
		assert_sysctl(f, "ipv6/conf/tether/forwarding", "1");
		assert_sysctl(f, "ipv6/conf/uplink0/force_forwarding", "1");
	}

	/* a real DHCP client gets a lease: router and DNS are the bridge */
	dhcp_lease(f, NULL, &lease);
	assert_lease_from_bridge(f, &lease);
	{
		ClientsWait w = { f, mac, clients_sig, false };

		g_assert_true(nfc_lab_wait_for(client_announced, &w, 10000));
		g_assert_true(client_listed(&w));
	}
	assert_only_clients(f, mac, NULL);
	assert_lookup(f, bridge);
	assert_dns_on_bridge_only(f);

	/* UDP out through NAT: the server sees the uplink's address, the
	 * echoes come back; the client's counters say exactly that */
	before = client_counters(f, mac);
	g_assert_true(before.found);
	v4 = routers_count(f, "v4");
	n4 = routers_count(f, "n4");
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 20), ==, 20);
	g_assert_cmpuint(routers_count(f, "v4") - v4, ==, 20);
	g_assert_cmpuint(routers_count(f, "n4") - n4, ==, 20);
	after = client_counters(f, mac);
	/* 100 bytes of data + 8 (UDP) + 20 (IPv4) each way */
	g_assert_cmpuint(after.tx_packets - before.tx_packets, ==, 20);
	g_assert_cmpuint(after.tx_bytes - before.tx_bytes, ==, 20 * 128);
	g_assert_cmpuint(after.rx_packets - before.rx_packets, ==, 20);
	g_assert_cmpuint(after.rx_bytes - before.rx_bytes, ==, 20 * 128);

	/* TCP: a whole connection, answered by the router of the best uplink */
	t4 = routers_count(f, "t4");
	{
		g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->client, "python3 %s %s",
							 f->tcp, UPLINK_SERVER4);
		g_autofree char *want = g_strdup_printf("echo%d 1000", best_uplink(f));

		g_assert_cmpstr(g_strstrip(out), ==, want);
	}
	g_assert_cmpuint(routers_count(f, "t4") - t4, ==, 1);

	/* IPv6: SLAAC from the bridge (a ULA), out through NAT66: the server
	 * sees the uplink's address */
	ula = client_ula(f);
	g_test_message("client's ULA %s", ula);
	nfc_lab_wait_sh(f->u.lab, f->u.host, TIMEOUT_MS,
			"ip -6 route get " UPLINK_SERVER6 " | grep -q 'dev uplink'");
	p6 = routers_count(f, "p6");
	nfc_lab_sh(f->u.lab, f->client, "busybox ping -6 -c 3 -w 10 " UPLINK_SERVER6);
	g_assert_cmpuint(routers_count(f, "p6") - p6, >=, 3);
	v6 = routers_count(f, "v6");
	n6 = routers_count(f, "n6");
	g_assert_cmpint(client_send(f, UPLINK_SERVER6, 10), ==, 10);
	g_assert_cmpuint(routers_count(f, "v6") - v6, ==, 10);
	g_assert_cmpuint(routers_count(f, "n6") - n6, ==, 10);
	t4 = routers_count(f, "t6");
	{
		g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->client, "python3 %s %s",
							 f->tcp, UPLINK_SERVER6);

		g_assert_true(g_str_has_prefix(out, "echo"));
	}
	g_assert_cmpuint(routers_count(f, "t6") - t4, ==, 1);
	/* all of that NATed and forwarded by the backend in use alone */
	fw_assert_other_clean(f->u.lab, f->u.host);

	/* off: everything gone when the reply comes (dnsmasq: once it has
	 * exited), the port a service again */
	tether(f, false);
	g_assert_false(link_exists(f, "tether"));
	{
		PidWait w = { f, dm };

		g_assert_true(nfc_lab_wait_for(pid_gone, &w, 3000));
	}
	assert_nothing_left(f, sysctls_before, table_before);
	{
		PropertyWait w = { tech_sig, FALSE, false };

		g_assert_true(nfc_lab_wait_for(tethering_signalled, &w, 5000));
	}
	g_assert_false(set_tethering(f, false, &error));
	g_free(assert_error(error, "AlreadyDisabled"));
	g_clear_error(&error);
	/* and the client is cut off */
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 1), ==, 0);
}

/* ---- the failover stream ------------------------------------------------- */

typedef struct {
	GPid pid;
	int in, out;
} Stream;

/* stream.py in the client, towards the IPv4 server, one datagram every 5 ms */
static void stream_start(Fixture *f, Stream *s)
{
	const char *argv[] = { "python3", f->stream, UPLINK_SERVER4, "0.005", NULL };

	s->pid = nfc_lab_spawn_pipes(f->u.lab, f->client, "stream", argv, &s->in, &s->out);
}

/* Ask it what it has sent and received so far (quit: and end). */
static void stream_query(Stream *s, bool quit, int *sent, int *got)
{
	const char *cmd = quit ? "q\n" : "?\n";
	char line[128];
	size_t n = 0;

	g_assert_cmpint(write(s->in, cmd, strlen(cmd)), ==, (gssize)strlen(cmd));
	while (n < sizeof(line) - 1) {
		struct pollfd p = { s->out, POLLIN, 0 };
		ssize_t r;

		g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
		r = read(s->out, line + n, 1);
		g_assert_cmpint(r, ==, 1);
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	g_assert_cmpint(sscanf(line, "%d %d", sent, got), ==, 2);
}

typedef struct {
	Fixture *f;
	int router;
	const char *counter;
	guint64 at_least;
} CountWait;

static gboolean count_reached(gpointer data)
{
	CountWait *w = data;

	return router_count(w->f, w->router, w->counter) >= w->at_least;
}

typedef struct {
	Stream *s;
	int at_least;
} EchoWait;

static gboolean echoes_reached(gpointer data)
{
	EchoWait *w = data;
	int sent, got;

	stream_query(w->s, false, &sent, &got);
	return got >= w->at_least;
}

/* While the client sends, the best uplink loses its carrier: the same
 * flow goes on through the other uplink, NATed anew to its address, and
 * its echoes come back. No figure is asserted (tools/bench/tether measures
 * the outage), only that it goes on. */
static void test_failover(Fixture *f, gconstpointer data)
{
	g_auto(Lease) lease = { 0 };
	Stream s;
	int first, second, sent, got, sent_cut, got_cut;
	guint64 first_at_cut, first_end, second_end;

	tether(f, true);
	dhcp_lease(f, NULL, &lease);
	first = best_uplink(f);
	second = 1 - first;

	stream_start(f, &s);
	{
		CountWait w = { f, first, "n4", 50 };

		g_assert_true(nfc_lab_wait_for(count_reached, &w, TIMEOUT_MS));
	}
	g_assert_cmpuint(router_count(f, second, "v4"), ==, 0);
	stream_query(&s, false, &sent_cut, &got_cut);
	g_assert_cmpint(got_cut, >, 0);

	uplinks_set_carrier(&f->u, first, false);
	first_at_cut = router_count(f, first, "v4");
	{
		/* NATed to the second uplink's address, so answered */
		CountWait w = { f, second, "n4", 50 };
		EchoWait e = { &s, got_cut + 50 };

		g_assert_true(nfc_lab_wait_for(count_reached, &w, TIMEOUT_MS));
		g_assert_true(nfc_lab_wait_for(echoes_reached, &e, TIMEOUT_MS));
	}
	stream_query(&s, true, &sent, &got);
	close(s.in);
	close(s.out);
	/* it ends on "q" (or on the signal, if that comes first) */
	nfc_lab_stop(f->u.lab, s.pid, SIGTERM, 3000, NULL);
	first_end = router_count(f, first, "v4");
	second_end = router_count(f, second, "n4");
	g_test_message("sent %d, echoes %d; at the cut %d/%d; router %d got %" G_GUINT64_FORMAT
		       ", router %d got %" G_GUINT64_FORMAT, sent, got, sent_cut, got_cut,
		       first, first_end, second, second_end);
	g_assert_cmpuint(first_end, >, 0);
	g_assert_cmpuint(second_end, >, 0);
	/* after the cut nothing more reached the first router */
	g_assert_cmpuint(first_end, ==, first_at_cut);
	g_assert_cmpint(got, >=, got_cut + 50);
	/* the ports and the bridge are untouched by the failover */
	g_assert_true(tech_tethering(f));
	assert_bridge_ports(f, "lan0");
}

/* SIGKILL while tethering, restart: the crash's leftovers are cleaned
 * before tethering comes back (PersistentTetheringMode=true); killed again
 * and restarted without it, tethering stays off and nothing is left. */
static void test_crash_restart(Fixture *f, gconstpointer data)
{
	g_autofree char *sysctls_before = forwarding_sysctls(f);
	g_autofree char *table_before = fw_dump(f->u.lab, f->u.host);
	g_auto(Lease) lease = { 0 };
	g_auto(Lease) renewed = { 0 };
	int old_index, status;
	pid_t old_dm, dm;

	tether(f, true);
	dhcp_lease(f, NULL, &lease);
	old_index = link_index(f, "tether");
	old_dm = dnsmasq_pid(f);
	g_assert_cmpint(old_dm, >, 0);

	status = nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGKILL, 3000, NULL);
	g_assert_true(WIFSIGNALED(status));
	f->u.nfconnd = 0;
	{
		/* dnsmasq dies with it */
		PidWait w = { f, old_dm };

		g_assert_true(nfc_lab_wait_for(pid_gone, &w, 5000));
	}
	/* what the crash left: the next start must clean it */
	g_assert_true(link_exists(f, "tether"));
	assert_sysctl(f, "ipv4/conf/uplink0/forwarding", "1");

	start_nfconnd(f);
	g_assert_true(nfc_lab_wait_for(tech_tethering_on, f, TIMEOUT_MS));
	/* a new bridge (the stale one deleted), a new dnsmasq, only one */
	g_assert_true(link_exists(f, "tether"));
	g_assert_cmpint(link_index(f, "tether"), !=, old_index);
	dm = dnsmasq_pid(f);
	g_assert_cmpint(dm, >, 0);
	g_assert_cmpint(dm, !=, old_dm);
	{
		g_autofree char *n = nfc_lab_sh_output(f->u.lab, NULL, "pgrep -c -f -- '%s[/]'",
						       nfc_lab_run_dir(f->u.lab));

		g_assert_cmpint(atoi(n), ==, 1);
	}
	assert_bridge_ports(f, "lan0");
	g_assert_false(uplinks_has_service(&f->u, "lan0"));
	/* the client renews: the same address (the leases were kept) */
	dhcp_lease(f, lease.ip, &renewed);
	g_assert_cmpstr(renewed.ip, ==, lease.ip);
	assert_lease_from_bridge(f, &renewed);
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 5), ==, 5);

	/* again, now without PersistentTetheringMode */
	dm = dnsmasq_pid(f);
	status = nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGKILL, 3000, NULL);
	g_assert_true(WIFSIGNALED(status));
	f->u.nfconnd = 0;
	{
		PidWait w = { f, dm };

		g_assert_true(nfc_lab_wait_for(pid_gone, &w, 5000));
	}
	g_assert_true(link_exists(f, "tether"));
	uplinks_write_config(&f->u, CONF_LAN "PersistentTetheringMode=false\n");
	start_nfconnd(f);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "! ip link show dev tether 2>/dev/null");
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000,
			"test \"$(cat /proc/sys/net/ipv4/conf/uplink0/forwarding)\" = 0");
	assert_nothing_left(f, sysctls_before, table_before);
	/* it stays so */
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 1), ==, 0);
	g_assert_false(tech_tethering(f));
}

static gboolean lan1_has_service(gpointer data)
{
	Fixture *f = data;

	return uplinks_has_service(&f->u, "lan1");
}

/* Without TetheringInterfaces the ports with no connected service are
 * lent (lan0 and lan1, not the uplinks). dnsmasq SIGKILLed: nfconnd
 * restarts it, the clients renew their leases (same address). */
static void test_default_ports_and_dnsmasq(Fixture *f, gconstpointer data)
{
	g_auto(Lease) l0 = { 0 };
	g_auto(Lease) l1 = { 0 };
	g_auto(Lease) renewed = { 0 };
	g_autofree char *bridge = NULL;
	pid_t dm;

	uplinks_add_client(&f->u, 1);
	g_assert_true(nfc_lab_wait_for(lan1_has_service, f, TIMEOUT_MS));
	tether(f, true);
	assert_bridge_ports(f, "lan0 lan1");
	g_assert_false(uplinks_has_service(&f->u, "lan0"));
	g_assert_false(uplinks_has_service(&f->u, "lan1"));
	/* the uplinks keep their services */
	{
		g_autoptr(GVariant) list = uplinks_services(&f->u);

		g_assert_cmpuint(g_variant_n_children(list), ==, 2);
	}
	bridge = bridge_address(f, NULL);

	dhcp_lease_of(f, 0, NULL, &l0);
	dhcp_lease_of(f, 1, NULL, &l1);
	assert_lease_from_bridge(f, &l0);
	assert_lease_from_bridge(f, &l1);
	g_assert_cmpstr(l0.ip, !=, l1.ip);
	{
		g_autofree char *mac0 = client_mac(f, 0);
		g_autofree char *mac1 = client_mac(f, 1);
		ClientsWait w0 = { f, mac0, NULL, false };
		ClientsWait w1 = { f, mac1, NULL, false };

		g_assert_true(nfc_lab_wait_for(client_listed, &w0, 10000));
		g_assert_true(nfc_lab_wait_for(client_listed, &w1, 10000));
		assert_only_clients(f, mac0, mac1, NULL);
	}

	dm = dnsmasq_pid(f);
	g_assert_cmpint(dm, >, 0);
	g_assert_cmpint(kill(dm, SIGKILL), ==, 0);
	{
		PidWait w = { f, dm };

		g_assert_true(nfc_lab_wait_for(new_dnsmasq, &w, 10000));
	}
	g_assert_true(tech_tethering(f));
	g_assert_true(link_exists(f, "tether"));
	dhcp_lease_of(f, 0, l0.ip, &renewed);
	g_assert_cmpstr(renewed.ip, ==, l0.ip);
	assert_lease_from_bridge(f, &renewed);
	assert_lookup(f, bridge);
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 5), ==, 5);
	{
		g_autofree char *mac0 = client_mac(f, 0);
		g_autofree char *mac1 = client_mac(f, 1);

		assert_only_clients(f, mac0, mac1, NULL);
	}
}

/* Refused requests, each with a clear error and nothing left behind:
 * a subnet that overlaps an uplink's, no port to lend, a technology not
 * allowed to tether. */
static void assert_refused(Fixture *f, const char *error_name, const char *const *words)
{
	g_autofree char *sysctls_before = forwarding_sysctls(f);
	g_autofree char *table_before = fw_dump(f->u.lab, f->u.host);
	g_autoptr(GError) error = NULL;
	g_autofree char *msg = NULL;

	g_assert_false(set_tethering(f, true, &error));
	msg = assert_error(error, error_name);
	for (const char *const *w = words; w && *w; w++) {
		g_autofree char *lower = g_ascii_strdown(msg, -1);

		if (!strstr(lower, *w))
			g_error("the error \"%s\" does not say \"%s\"", msg, *w);
	}
	assert_nothing_left(f, sysctls_before, table_before);
	assert_bridge_ports(f, "");
}

static void test_refused(Fixture *f, gconstpointer data)
{
	/* TetheringSubnet=198.51.100.0/24 holds both uplinks' /25 */
	{
		const char *words[] = { "198.51.100.", "overlap", NULL };

		assert_refused(f, NULL, words);
	}
	restart_with(f, "TetheringTechnologies=ethernet\nTetheringInterfaces=nomatch*\n");
	{
		const char *words[] = { "port", NULL };

		assert_refused(f, NULL, words);
	}
	restart_with(f, "TetheringTechnologies=wifi\nTetheringInterfaces=lan*\n");
	assert_refused(f, "NotSupported", NULL);
}

/* ---- sessions and tethering together -------------------------------------- */

typedef struct {
	Fixture *f;
	gsize from;
} LogWait;

static gboolean policy_loaded(gpointer data)
{
	LogWait *w = data;
	g_autofree char *log = nfc_lab_log(w->f->u.lab, "nfconnd");

	return strlen(log) >= w->from && strstr(log + w->from, "session policies: 1 files");
}

static guint64 probe_count(Fixture *f, const char *name)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"nft list counter inet probe %s | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'", name);

	return g_ascii_strtoull(out, NULL, 10);
}

/* A session pinned to the uplink that is not the best one keeps its
 * steering while tethering is on; tethered traffic is never marked (a
 * table of the test's own counts marks on forwarded packets). */
static void test_sessions(Fixture *f, gconstpointer data)
{
	g_auto(Lease) lease = { 0 };
	g_autofree char *policy = NULL;
	g_autofree char *bridge = NULL;
	g_autofree char *line = NULL;
	SessionClient *a;
	int first, second, plen;
	guint64 r_first, r_second;

	first = best_uplink(f);
	second = 1 - first;
	policy = g_strdup_printf("[a]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink%d\n",
				 UID_A, second);
	{
		g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");
		LogWait w = { f, strlen(log) };

		uplinks_write_policy(&f->u, "10-a.policy", policy);
		g_assert_true(nfc_lab_wait_for(policy_loaded, &w, 10000));
	}
	tether(f, true);
	dhcp_lease(f, NULL, &lease);
	bridge = bridge_address(f, &plen);
	nfc_lab_sh(f->u.lab, f->u.host,
		   "nft -f - <<'EOF'\n"
		   "table inet probe {\n"
		   "  counter out { }\n  counter out_marked { }\n  counter out_ctmarked { }\n"
		   "  counter back { }\n  counter back_marked { }\n"
		   "  chain probe_forward {\n"
		   "    type filter hook forward priority 10;\n"
		   "    ip saddr %s/%d counter name out\n"
		   "    ip saddr %s/%d meta mark != 0 counter name out_marked\n"
		   "    ip saddr %s/%d ct mark != 0 counter name out_ctmarked\n"
		   "    ip daddr %s/%d counter name back\n"
		   "    ip daddr %s/%d meta mark != 0 counter name back_marked\n"
		   "  }\n"
		   "}\n"
		   "EOF",
		   bridge, plen, bridge, plen, bridge, plen, bridge, plen, bridge, plen);

	a = session_client_start(f->u.lab, "client-a", UID_A);
	line = session_client_do(a, "create /app/s1");
	g_assert_true(g_str_has_prefix(line, "created "));
	g_free(session_client_expect(a, "update /app/s1 ", 5000));
	{
		g_autofree char *steered = fw_cond_uid(UID_A);

		nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "%s", steered);
	}

	/* tethered: the main table's way (the best uplink), not marked */
	r_first = router_count(f, first, "n4");
	r_second = router_count(f, second, "v4");
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 20), ==, 20);
	g_assert_cmpuint(router_count(f, first, "n4") - r_first, ==, 20);
	g_assert_cmpuint(router_count(f, second, "v4") - r_second, ==, 0);
	g_assert_cmpuint(probe_count(f, "out"), ==, 20);
	g_assert_cmpuint(probe_count(f, "back"), ==, 20);
	g_assert_cmpuint(probe_count(f, "out_marked"), ==, 0);
	g_assert_cmpuint(probe_count(f, "out_ctmarked"), ==, 0);
	g_assert_cmpuint(probe_count(f, "back_marked"), ==, 0);

	/* the session: still through its uplink */
	r_first = router_count(f, first, "v4");
	r_second = router_count(f, second, "v4");
	{
		g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
			"setpriv --reuid=%u --regid=%u --clear-groups /usr/bin/python3 %s %s 10 2>&1",
			UID_A, UID_A, f->sender, UPLINK_SERVER4);

		g_assert_cmpstr(out, ==, "10 10\n");
	}
	g_assert_cmpuint(router_count(f, second, "v4") - r_second, ==, 10);
	g_assert_cmpuint(router_count(f, first, "v4") - r_first, ==, 0);
	session_client_free(a);
}

static gboolean bridge_moved(gpointer data)
{
	Fixture *f = data;
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -4 -o addr show dev tether scope global | awk '{print $4}'");

	g_strstrip(out);
	return *out && !g_str_has_prefix(out, "192.168.0.");
}

/* The pool's subnet meets an address of the host that overlaps it (a /25
 * inside the /24, which a first-address check would miss): tethering stays
 * up and moves to the next /24, the bridge, dnsmasq and the NAT with it;
 * a client gets a lease from the new subnet and reaches the uplink. */
static void test_move(Fixture *f, gconstpointer data)
{
	g_autofree char *bridge = NULL;
	g_autofree char *after = NULL;
	g_auto(Lease) l = { 0 };
	int len;

	tether(f, true);
	bridge = bridge_address(f, &len);
	g_assert_cmpstr(bridge, ==, "192.168.0.1");
	nfc_lab_sh(f->u.lab, f->u.host, "ip addr add 192.168.0.200/25 dev lo");
	g_assert_true(nfc_lab_wait_for(bridge_moved, f, TIMEOUT_MS));
	after = bridge_address(f, &len);
	g_test_message("moved to %s/%d", after, len);
	g_assert_cmpstr(after, ==, "192.168.1.1");
	dhcp_lease(f, NULL, &l);
	assert_lease_from_bridge(f, &l);
	g_assert_true(in_subnet(l.ip, "192.168.1.0", 24));
	g_assert_cmpint(client_send(f, UPLINK_SERVER4, 5), ==, 5);
	tether(f, false);
}

/* Sends a router solicitation out of uplink0 of the host, as the kernel
 * does when a link comes up: the router answers at once. */
static const char rs_py[] =
	"import socket\n"
	"s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)\n"
	"s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)\n"
	"s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]), ('ff02::2', 0, 0, socket.if_nametoindex('uplink0')))\n";

/* Tethering comes up while no uplink has IPv6: the clients get their
 * default route from the bridge at once all the same (dnsmasq's router
 * lifetime does not follow the host's routes), their IPv6 is refused by
 * the host meanwhile, and it goes out as soon as an uplink has IPv6, with
 * nothing sent to the clients. */
static void test_ipv6_uplink_later(Fixture *f, gconstpointer data)
{
	g_autofree char *ula = NULL;
	g_autofree char *route_before = NULL;
	g_autofree char *route_after = NULL;
	g_autofree char *rs = write_script(f, "rs.py", rs_py, 0644);
	gint64 t0;
	guint64 p6;

	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL,
					  "ip -6 route get " UPLINK_SERVER6 " >/dev/null 2>&1"), !=, 0);
	t0 = g_get_monotonic_time();
	tether(f, true);
	ula = client_ula(f);
	g_test_message("client's ULA %s and default route %.1f s after the enable", ula,
		       (g_get_monotonic_time() - t0) / 1e6);
	route_before = nfc_lab_sh_output(f->u.lab, f->client, "ip -6 route show default");
	/* no uplink: the host refuses (the router is there, the way out is not) */
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->client, NULL,
					  "busybox ping -6 -c 1 -W 1 " UPLINK_SERVER6), !=, 0);

	/* uplink0's router advertises again and the host asks it */
	nfc_lab_sh(f->u.lab, f->u.router[0], "nft delete table ip6 nora");
	t0 = g_get_monotonic_time();
	nfc_lab_sh(f->u.lab, f->u.host, "python3 %s", rs);
	nfc_lab_wait_sh(f->u.lab, f->u.host, TIMEOUT_MS,
			"ip -6 route get " UPLINK_SERVER6 " | grep -q 'dev uplink0'");
	g_test_message("the host's IPv6 route %.1f s after the uplink's RA",
		       (g_get_monotonic_time() - t0) / 1e6);
	p6 = router_count(f, 0, "p6");
	nfc_lab_wait_sh(f->u.lab, f->client, TIMEOUT_MS,
			"busybox ping -6 -c 1 -W 1 " UPLINK_SERVER6 " >/dev/null");
	g_test_message("client's IPv6 out %.1f s after the uplink's RA",
		       (g_get_monotonic_time() - t0) / 1e6);
	g_assert_cmpuint(router_count(f, 0, "p6") - p6, >=, 1);
	/* the same default route all along */
	route_after = nfc_lab_sh_output(f->u.lab, f->client, "ip -6 route show default");
	g_assert_cmpstr(g_strstrip(route_before), !=, "");
	g_assert_cmpstr(strtok(route_after, " "), ==, strtok(route_before, " "));
	tether(f, false);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
	if (!g_file_test("/usr/bin/busybox", G_FILE_TEST_IS_EXECUTABLE)) {
		g_print("1..0 # SKIP busybox (udhcpc, nslookup) is not installed\n");
		return 77;
	}
#define ADD(path, conf, fn) g_test_add(path, Fixture, conf, setup, fn, teardown)
	ADD("/tether/enable-and-traffic", CONF_LAN, test_enable_and_traffic);
	ADD("/tether/failover", CONF_LAN "OnlineCheckMode=none\n", test_failover);
	ADD("/tether/crash-restart", CONF_LAN "PersistentTetheringMode=true\n", test_crash_restart);
	ADD("/tether/default-ports-dnsmasq", "TetheringTechnologies=ethernet\n",
	    test_default_ports_and_dnsmasq);
	ADD("/tether/refused", CONF_LAN "TetheringSubnet=198.51.100.0/24\n", test_refused);
	ADD("/tether/sessions", CONF_LAN "OnlineCheckMode=none\n", test_sessions);
	ADD("/tether/move", CONF_LAN, test_move);
	g_test_add("/tether/ipv6-uplink-later", Fixture, CONF_LAN, setup_no_uplink_ipv6,
		   test_ipv6_uplink_later, teardown);
	return g_test_run();
}
