// SPDX-License-Identifier: GPL-2.0-or-later
#include "uplinks.h"

#include "fw-state.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static const char *const router_addr[2] = { "198.51.100.1/25", "198.51.100.129/25" };
static const char *const router_gw[2] = { "198.51.100.1", "198.51.100.129" };
static const char *const pool[2] = {
	"198.51.100.50,198.51.100.99,255.255.255.128,2m",
	"198.51.100.150,198.51.100.199,255.255.255.128,2m",
};
static const char *const dns[2] = { "198.51.100.53", "198.51.100.153" };
static const char *const domain[2] = { "one.example", "two.example" };
static const char *const prefix6[2] = { "2001:db8:a::1/64", "2001:db8:b::1/64" };

/* The online checks' target: one process serving DIR over HTTP on an IPv4
 * and an IPv6 address (not "::", which would log IPv4 clients as
 * ::ffff:a.b.c.d), each request logged as http.server does:
 * online_server.py DIR ADDR4 ADDR6 PORT (not http.py: that would hide the
 * http package) */
static const char http_py[] =
	"import functools, http.server, selectors, socket, sys\n"
	"handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
	"class Server6(http.server.HTTPServer):\n"
	"    address_family = socket.AF_INET6\n"
	"port = int(sys.argv[4])\n"
	"servers = [http.server.HTTPServer((sys.argv[2], port), handler),\n"
	"           Server6((sys.argv[3], port), handler)]\n"
	"sel = selectors.DefaultSelector()\n"
	"for s in servers:\n"
	"    sel.register(s, selectors.EVENT_READ)\n"
	"while True:\n"
	"    for key, _ in sel.select():\n"
	"        key.fileobj.handle_request()\n";

void uplinks_setup(Uplinks *u, const char *extra_conf)
{
	UplinksOptions o = { .extra_conf = extra_conf };

	uplinks_setup_with(u, &o);
}

void uplinks_write_config(Uplinks *u, const char *extra_conf)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = NULL;

	conf = g_strdup_printf("[General]\n"
			       "OnlineCheckIPv4URL=http://" UPLINK_SERVER4 ":8080/\n"
			       "OnlineCheckIPv6URL=http://[" UPLINK_SERVER6 "]:8080/\n"
			       "%s%s\n", fw_conf_line(), extra_conf ? extra_conf : "");
	g_file_set_contents(u->config, conf, -1, &error);
	g_assert_no_error(error);
}

void uplinks_setup_with(Uplinks *u, const UplinksOptions *o)
{
	memset(u, 0, sizeof(*u));
	u->lab = nfc_lab_new();
	u->host = nfc_lab_add_netns(u->lab, "host");
	for (int i = 0; i < 2; i++) {
		g_autofree char *role = g_strdup_printf("router%d", i);
		g_autofree char *host_if = g_strdup_printf("uplink%d", i);
		g_autofree char *router_if = g_strdup_printf("r%d", i);
		g_autofree char *extra = NULL;
		g_autofree char *range6 = NULL;
		g_autofree char *ra_param = NULL;
		g_autofree char *www = NULL;
		const char *r;

		u->router[i] = r = nfc_lab_add_netns(u->lab, role);
		nfc_lab_add_veth(u->lab, u->host, host_if, r, router_if);
		nfc_lab_sh(u->lab, r,
			   "ip addr add %s dev %s && ip -6 addr add %s dev %s nodad && "
			   "ip addr add " UPLINK_SERVER4 "/32 dev lo && "
			   "ip -6 addr add " UPLINK_SERVER6 "/128 dev lo nodad && "
			   "ip link set %s up && sysctl -qw net.ipv6.conf.all.forwarding=1",
			   router_addr[i], router_if, prefix6[i], router_if, router_if);
		range6 = g_strdup_printf("--dhcp-range=::,constructor:%s,ra-only,64,2m", router_if);
		ra_param = o->ra_timing == UPLINKS_RA_FAST ?
			   g_strdup_printf("--ra-param=%s,3,60", router_if) : g_strdup("");
		/* dnsmasq answers a solicitation to the asker alone: what goes
		 * to all nodes is unasked */
		if (o->ra_timing == UPLINKS_RA_SOLICITED_ONLY)
			nfc_lab_sh(u->lab, r,
				   "nft add table inet lab_ra && "
				   "nft add chain inet lab_ra out '{ type filter hook output priority 0; }' && "
				   "nft add rule inet lab_ra out icmpv6 type nd-router-advert "
				   "ip6 daddr ff02::1 counter drop");
		/* T1 of 10 s: every test sees leases renewed under it */
		extra = g_strdup_printf("--dhcp-option=option:router,%s "
					"--dhcp-option=option:dns-server,%s "
					"--dhcp-option=option:domain-name,%s "
					"--dhcp-option=option:T1,10 --dhcp-option=option:T2,20 "
					"--dhcp-authoritative --no-ping "
					"--enable-ra %s %s",
					router_gw[i], o->dns_on_routers ? router_gw[i] : dns[i],
					domain[i], ra_param, range6);
		if (o->router_dnsmasq) {
			char *more = g_strconcat(extra, " ", o->router_dnsmasq, NULL);

			g_free(extra);
			extra = more;
		}
		u->dnsmasq[i] = nfc_lab_start_dnsmasq(u->lab, r, router_if, pool[i], extra);
		/* the online check's target, answering on both routers */
		www = g_strdup_printf("%s/www%d", nfc_lab_dir(u->lab), i);
		nfc_lab_sh(u->lab, NULL, "mkdir -p %s && echo online > %s/index.html", www, www);
		{
			g_autofree char *name = g_strdup_printf("http%d", i);
			g_autofree char *py = g_build_filename(nfc_lab_dir(u->lab), "online_server.py",
							       NULL);
			const char *argv[] = { "python3", py, www, UPLINK_SERVER4, UPLINK_SERVER6, "8080",
					       NULL };

			g_assert_true(g_file_set_contents(py, http_py, -1, NULL));
			nfc_lab_spawn(u->lab, r, name, argv);
		}
	}
	u->config = g_build_filename(nfc_lab_dir(u->lab), "main.conf", NULL);
	uplinks_write_config(u, o->extra_conf);
}

const char *uplinks_add_client(Uplinks *u, int i)
{
	g_autofree char *role = g_strdup_printf("client%d", i);
	g_autofree char *port = g_strdup_printf("lan%d", i);
	g_autofree char *peer = g_strdup_printf("c%d", i);
	const char *c;

	g_assert_true(i >= 0 && i < 2 && !u->client[i]);
	u->client[i] = c = nfc_lab_add_netns(u->lab, role);
	nfc_lab_add_veth(u->lab, u->host, port, c, peer);
	/* a host, not a router: it takes what router advertisements say */
	nfc_lab_sh(u->lab, c,
		   "sysctl -qw net.ipv6.conf.%s.forwarding=0 net.ipv6.conf.%s.accept_ra=1 "
		   "net.ipv6.conf.%s.autoconf=1 && ip link set %s up",
		   peer, peer, peer, peer);
	return c;
}

void uplinks_start_nfconnd(Uplinks *u)
{
	g_autofree char *c = g_strdup_printf("--config=%s", u->config);
	const char *args[] = { c, NULL };

	u->nfconnd = nfc_lab_start_nfconnd(u->lab, u->host, args);
}

void uplinks_stop_nfconnd(Uplinks *u)
{
	int status = nfc_lab_stop(u->lab, u->nfconnd, SIGTERM, 3000, NULL);

	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	u->nfconnd = 0;
	/* an orderly stop takes all of ours away, in whichever backend */
	fw_assert_none(u->lab, u->host);
}

void uplinks_teardown(Uplinks *u)
{
	nfc_lab_free(u->lab);
	g_free(u->config);
}

void uplinks_set_carrier(Uplinks *u, int i, bool on)
{
	nfc_lab_sh(u->lab, u->router[i], "ip link set r%d %s", i, on ? "up" : "down");
}

GVariant *uplinks_services(Uplinks *u)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(u->lab, "/", "net.connman.Manager", "GetServices",
					     NULL, &error);

	g_assert_no_error(error);
	return g_variant_get_child_value(r, 0);
}

/* A service that is up with IPv4 on DHCP is settled once it has its
 * lease: it may be ready, and online, over IPv6 before (a router
 * advertisement and the IPv6 online check can beat the DHCP exchange).
 * The method is the configured one: IPv4 is empty until the lease. */
static bool ipv4_pending(GVariant *props, const char *state)
{
	g_autoptr(GVariant) ipv4 = g_variant_lookup_value(props, "IPv4", NULL);
	g_autoptr(GVariant) conf = g_variant_lookup_value(props, "IPv4.Configuration", NULL);
	const char *method = NULL, *addr = NULL;

	if (!g_str_equal(state, "ready") && !g_str_equal(state, "online"))
		return false;
	if (!conf || !g_variant_lookup(conf, "Method", "&s", &method) ||
	    !g_str_equal(method, "dhcp"))
		return false;
	return !ipv4 || !g_variant_lookup(ipv4, "Address", "&s", &addr);
}

static bool services_match(Uplinks *u, guint n, const char *states)
{
	g_autoptr(GVariant) list = uplinks_services(u);
	g_auto(GStrv) want = g_strsplit(states, "|", -1);

	if (g_variant_n_children(list) != n)
		return false;
	for (guint i = 0; i < n; i++) {
		g_autoptr(GVariant) props = NULL;
		const char *state = NULL;

		g_variant_get_child(list, i, "(&o@a{sv})", NULL, &props);
		if (!g_variant_lookup(props, "State", "&s", &state) ||
		    !g_strv_contains((const char *const *)want, state) || ipv4_pending(props, state))
			return false;
	}
	return true;
}

void uplinks_wait_services(Uplinks *u, guint n, const char *states, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (!services_match(u, n, states)) {
		if (g_get_monotonic_time() > end) {
			g_autoptr(GVariant) list = uplinks_services(u);
			g_autofree char *text = g_variant_print(list, FALSE);
			g_autofree char *log = nfc_lab_log(u->lab, "nfconnd");

			g_error("timeout waiting for %u services in %s; have %s\n%s", n, states,
				text, log);
		}
		g_usleep(50 * 1000);
	}
}

char *uplinks_port_service_id(Uplinks *u, const char *ifname)
{
	/* not /sys: it shows the namespace it was mounted in */
	g_autofree char *mac = nfc_lab_sh_output(u->lab, u->host,
						 "ip -br link show %s | awk '{print $3}'", ifname);
	g_autofree char *hex = NULL;
	g_auto(GStrv) parts = g_strsplit(g_strstrip(mac), ":", -1);

	hex = g_strjoinv("", parts);
	return g_strdup_printf("ethernet_%s_cable", hex);
}

char *uplinks_service_id(Uplinks *u, int i)
{
	g_autofree char *ifname = g_strdup_printf("uplink%d", i);

	return uplinks_port_service_id(u, ifname);
}

bool uplinks_has_service(Uplinks *u, const char *ifname)
{
	g_autoptr(GVariant) list = uplinks_services(u);

	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		g_autoptr(GVariant) props = NULL;
		g_autoptr(GVariant) eth = NULL;
		const char *name = NULL;

		g_variant_get_child(list, i, "(&o@a{sv})", NULL, &props);
		eth = g_variant_lookup_value(props, "Ethernet", G_VARIANT_TYPE_VARDICT);
		if (eth && g_variant_lookup(eth, "Interface", "&s", &name) &&
		    g_str_equal(name, ifname))
			return true;
	}
	return false;
}

char *uplinks_manager_state(Uplinks *u)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(u->lab, "/", "net.connman.Manager",
					     "GetProperties", NULL, &error);
	g_autoptr(GVariant) props = NULL;
	const char *s = NULL;

	g_assert_no_error(error);
	props = g_variant_get_child_value(r, 0);
	g_assert_true(g_variant_lookup(props, "State", "&s", &s));
	return g_strdup(s);
}

GVariant *uplinks_service_property(Uplinks *u, const char *id, const char *name)
{
	g_autofree char *path = g_strdup_printf("/net/connman/service/%s", id);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(u->lab, path, "net.connman.Service", "GetProperties",
					     NULL, &error);
	g_autoptr(GVariant) props = NULL;

	if (!r)
		return NULL;
	props = g_variant_get_child_value(r, 0);
	return g_variant_lookup_value(props, name, NULL);
}

void uplinks_wait_property(Uplinks *u, const char *id, const char *name, const char *value,
			   guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		g_autoptr(GVariant) v = uplinks_service_property(u, id, name);

		if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) &&
		    g_str_equal(g_variant_get_string(v, NULL), value))
			return;
		if (g_get_monotonic_time() > end) {
			g_autofree char *log = nfc_lab_log(u->lab, "nfconnd");

			g_error("timeout waiting for %s %s=%s\n%s", id, name, value, log);
		}
		g_usleep(50 * 1000);
	}
}

/* UDP: send N datagrams of 100 bytes to ADDR port 9999 (from SRC if given),
 * one at a time, each waiting up to 2 s for its echo; prints "sent got", or
 * "error ERRNO" when a send fails:  send.py ADDR N [SRC] */
const char uplinks_sender_py[] =
	"import socket, sys\n"
	"fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n"
	"s = socket.socket(fam, socket.SOCK_DGRAM)\n"
	"if len(sys.argv) > 3: s.bind((sys.argv[3], 0))\n"
	"s.settimeout(2.0)\n"
	"n = int(sys.argv[2]); got = 0; sent = 0\n"
	"for i in range(n):\n"
	"    try:\n"
	"        s.sendto(b'x' * 100, (sys.argv[1], 9999)); sent += 1\n"
	"    except OSError as e:\n"
	"        print('error', e.errno); sys.exit(0)\n"
	"    try:\n"
	"        s.recvfrom(2048); got += 1\n"
	"    except socket.timeout:\n"
	"        print('lost', i, file=sys.stderr)\n"
	"print(sent, got)\n";

/* The routers' server: UDP echo; TCP: read to the end, answer "<name>
 * <bytes read>":  echo.py ADDR4 ADDR6 NAME */
const char uplinks_echo_py[] =
	"import socket, sys, select\n"
	"socks, listeners = [], []\n"
	"for fam, addr in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):\n"
	"    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 9999)); socks.append(s)\n"
	"    t = socket.socket(fam, socket.SOCK_STREAM)\n"
	"    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
	"    t.bind((addr, 9999)); t.listen(8); listeners.append(t)\n"
	"while True:\n"
	"    r, _, _ = select.select(socks + listeners, [], [])\n"
	"    for s in r:\n"
	"        if s in listeners:\n"
	"            c, _ = s.accept(); c.settimeout(5); n = 0\n"
	"            try:\n"
	"                while True:\n"
	"                    d = c.recv(4096)\n"
	"                    if not d: break\n"
	"                    n += len(d)\n"
	"                c.sendall(('%s %d' % (sys.argv[3], n)).encode())\n"
	"            except OSError:\n"
	"                pass\n"
	"            c.close()\n"
	"        else:\n"
	"            d, a = s.recvfrom(2048); s.sendto(d, a)\n";

const char uplinks_tcp_py[] =
	"import socket, sys\n"
	"s = socket.create_connection((sys.argv[1], 9999), timeout=5)\n"
	"s.sendall(b'y' * 1000); s.shutdown(socket.SHUT_WR)\n"
	"got = b''\n"
	"while True:\n"
	"    d = s.recv(4096)\n"
	"    if not d: break\n"
	"    got += d\n"
	"print(got.decode())\n";

typedef struct {
	Uplinks *u;
	const char *id;
} Ipv4Wait;

static gboolean has_ipv4_address(gpointer data)
{
	Ipv4Wait *w = data;
	g_autoptr(GVariant) v4 = uplinks_service_property(w->u, w->id, "IPv4");
	g_autoptr(GVariant) addr = v4 ? g_variant_lookup_value(v4, "Address", NULL) : NULL;

	return addr != NULL;
}

void uplinks_wait_ipv4_leases(Uplinks *u)
{
	for (int i = 0; i < 2; i++) {
		g_autofree char *id = uplinks_service_id(u, i);
		Ipv4Wait w = { u, id };

		g_assert_true(nfc_lab_wait_for(has_ipv4_address, &w, 20000));
	}
	nfc_lab_wait_sh(u->lab, u->host, 10000,
			"test $(ip -4 route show default | grep -c ' dev uplink') = 2 && "
			"test $(ip -4 route show table all | grep -c '^default .* table ') = 2");
}

void uplinks_write_policy(Uplinks *u, const char *name, const char *text)
{
	g_autofree char *dir = g_build_filename(nfc_lab_dir(u->lab), "session_policy_local", NULL);
	g_autofree char *tmp = g_strdup_printf("%s/.%s.tmp", dir, name);
	g_autofree char *path = g_strdup_printf("%s/%s", dir, name);
	g_autoptr(GError) error = NULL;

	g_mkdir_with_parents(dir, 0755);
	g_file_set_contents(tmp, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(rename(tmp, path), ==, 0);
}
