// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the dnsmasq configuration text (v4 only, v4 + v6) and the
 * lease file parser against dnsmasq's own lines, IPv6 lines with their
 * DUID, garbage, a file cut mid-line and a huge one. */
#include <arpa/inet.h>
#include <string.h>

#include <glib.h>

#include "dnsmasq.h"

static NfcDnsmasqConfig make_config(bool ipv6)
{
	NfcDnsmasqConfig c = {
		.interface = "tether",
		.prefixlen = 24,
		.lease_time = 3600,
		.ipv6 = ipv6,
		.conf_path = "/run/nfconn/tether-dnsmasq.conf",
		.servers_path = "/run/nfconn/tether-servers",
		.pid_path = "/run/nfconn/tether-dnsmasq.pid",
		.leases_path = "/var/lib/nfconn/tether.leases",
	};

	inet_pton(AF_INET, "192.168.77.1", &c.address);
	inet_pton(AF_INET, "192.168.77.10", &c.range_start);
	inet_pton(AF_INET, "192.168.77.200", &c.range_end);
	inet_pton(AF_INET6, "fd00:77::", &c.prefix6);
	return c;
}

static bool has_line(char **lines, const char *line)
{
	return g_strv_contains((const char *const *)lines, line);
}

static const char *const v4_lines[] = {
	"interface=tether",
	"bind-dynamic",
	"except-interface=lo",
	"no-resolv",
	"no-hosts",
	"servers-file=/run/nfconn/tether-servers",
	"dhcp-range=192.168.77.10,192.168.77.200,255.255.255.0,3600",
	"dhcp-option=option:router,192.168.77.1",
	"dhcp-option=option:dns-server,192.168.77.1",
	"dhcp-leasefile=/var/lib/nfconn/tether.leases",
	"dhcp-authoritative",
	"no-ping",
};

static const char *const v6_lines[] = {
	"enable-ra",
	"dhcp-range=::,constructor:tether,ra-stateless,64,3600",
	"dhcp-option=option6:dns-server,[::]",
	"ra-param=tether,high,60",
};

static void test_config_v4(void)
{
	NfcDnsmasqConfig c = make_config(false);
	g_autofree char *text = nfc_dnsmasq_config_text(&c);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (size_t i = 0; i < G_N_ELEMENTS(v4_lines); i++)
		g_assert_true(has_line(lines, v4_lines[i]));
	for (size_t i = 0; i < G_N_ELEMENTS(v6_lines); i++)
		g_assert_false(has_line(lines, v6_lines[i]));
	/* none of these: they would bind elsewhere or read the host's files */
	g_assert_null(strstr(text, "bind-interfaces"));
	g_assert_null(strstr(text, "resolv-file"));
	g_assert_null(strstr(text, "conf-dir"));
	g_assert_null(strstr(text, "listen-address"));
	g_assert_true(g_str_has_suffix(text, "\n"));
}

static void test_config_v6(void)
{
	NfcDnsmasqConfig c = make_config(true);
	g_autofree char *text = nfc_dnsmasq_config_text(&c);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (size_t i = 0; i < G_N_ELEMENTS(v4_lines); i++)
		g_assert_true(has_line(lines, v4_lines[i]));
	for (size_t i = 0; i < G_N_ELEMENTS(v6_lines); i++)
		g_assert_true(has_line(lines, v6_lines[i]));
}

static void test_config_netmask(void)
{
	NfcDnsmasqConfig c = make_config(false);
	g_autofree char *text = NULL;

	c.prefixlen = 20;
	text = nfc_dnsmasq_config_text(&c);
	g_assert_nonnull(strstr(text, "\ndhcp-range=192.168.77.10,192.168.77.200,255.255.240.0,3600\n"));
}

static GArray *parse(const char *text)
{
	return nfc_dnsmasq_leases_parse(text, strlen(text));
}

#define LEASE(a, i) (&g_array_index((a), NfcDnsmasqLease, (i)))

static void test_leases_good(void)
{
	g_autoptr(GArray) a = parse(
		"1764626400 02:00:00:00:00:01 192.168.77.23 laptop 01:02:00:00:00:00:01\n"
		"0 02:AB:00:00:00:02 192.168.77.24 * *\n");

	g_assert_cmpuint(a->len, ==, 2);
	g_assert_cmpstr(LEASE(a, 0)->mac, ==, "02:00:00:00:00:01");
	g_assert_cmpstr(LEASE(a, 0)->address, ==, "192.168.77.23");
	g_assert_cmpstr(LEASE(a, 0)->hostname, ==, "laptop");
	g_assert_cmpint(LEASE(a, 0)->expiry, ==, 1764626400);
	g_assert_cmpstr(LEASE(a, 1)->mac, ==, "02:ab:00:00:00:02");
	g_assert_cmpstr(LEASE(a, 1)->hostname, ==, "");
	g_assert_cmpint(LEASE(a, 1)->expiry, ==, 0);
}

static void test_leases_ipv6(void)
{
	/* after the server's "duid" line: iaid, address, name, the client's
	 * DUID; LLT and LL name the MAC, EN (type 2) does not */
	g_autoptr(GArray) a = parse(
		"1764626400 02:00:00:00:00:01 192.168.77.23 laptop *\n"
		"duid 00:01:00:01:2c:aa:bb:cc:02:00:00:00:00:99\n"
		"1764626401 12345 fd00:77::23 laptop 00:01:00:01:2c:aa:bb:cc:02:00:00:00:00:01\n"
		"1764626402 T12 fd00:77::24 * 00:03:00:01:02:00:00:00:00:02\n"
		"1764626403 99 fd00:77::25 phone 00:02:00:00:ab:11:01:02:03:04\n"
		"1764626404 99 fd00:77::26 phone 00:01:00:01:2c:aa:bb:cc:02:00\n");

	g_assert_cmpuint(a->len, ==, 3);
	g_assert_cmpstr(LEASE(a, 1)->mac, ==, "02:00:00:00:00:01");
	g_assert_cmpstr(LEASE(a, 1)->address, ==, "fd00:77::23");
	g_assert_cmpint(LEASE(a, 1)->expiry, ==, 1764626401);
	g_assert_cmpstr(LEASE(a, 2)->mac, ==, "02:00:00:00:00:02");
	g_assert_cmpstr(LEASE(a, 2)->address, ==, "fd00:77::24");
	g_assert_cmpstr(LEASE(a, 2)->hostname, ==, "");
}

static void test_leases_garbage(void)
{
	g_autoptr(GArray) a = parse(
		"\n"
		"garbage\n"
		"x 02:00:00:00:00:01 192.168.77.23 a *\n"
		"-5 02:00:00:00:00:01 192.168.77.23 a *\n"
		"99999999999999999999999 02:00:00:00:00:01 192.168.77.23 a *\n"
		"1 02:00:00:00:00 192.168.77.23 a *\n"
		"1 02-00-00-00-00-01 192.168.77.23 a *\n"
		"1 02:00:00:00:00:0g 192.168.77.23 a *\n"
		"1 02:00:00:00:00:01 192.168.77.300 a *\n"
		"1 02:00:00:00:00:01 fd00::1 a *\n"
		"1 02:00:00:00:00:01\n"
		"1 02:00:00:00:00:01 192.168.77.9 bad\x01name *\n"
		"1 02:00:00:00:00:01 192.168.77.8 this-name-is-far-too-long-to-be-a-hostname-of-any-client-at-all-x *\n");

	/* the last two are leases, their names are dropped */
	g_assert_cmpuint(a->len, ==, 2);
	g_assert_cmpstr(LEASE(a, 0)->address, ==, "192.168.77.9");
	g_assert_cmpstr(LEASE(a, 0)->hostname, ==, "");
	g_assert_cmpstr(LEASE(a, 1)->hostname, ==, "");
}

static void test_leases_truncated(void)
{
	static const char text[] = "1 02:00:00:00:00:01 192.168.77.23 a *\n"
				   "2 02:00:00:00:00:02 192.168.77.2";
	g_autoptr(GArray) a = nfc_dnsmasq_leases_parse(text, sizeof(text) - 1);
	/* a NUL inside a line: that line is not a lease, the next one is */
	static const char nul[] = "1 02:00:00:00:00:01 192.168.77.23\0 a *\n"
				  "2 02:00:00:00:00:02 192.168.77.24 b *\n";
	g_autoptr(GArray) b = nfc_dnsmasq_leases_parse(nul, sizeof(nul) - 1);

	g_assert_cmpuint(a->len, ==, 1);
	g_assert_cmpstr(LEASE(a, 0)->address, ==, "192.168.77.23");
	g_assert_cmpuint(b->len, ==, 1);
	g_assert_cmpstr(LEASE(b, 0)->address, ==, "192.168.77.24");
}

static void test_leases_huge(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(GArray) a = NULL;
	g_autofree char *longline = g_strnfill(1 << 20, 'a');

	for (guint i = 0; i < 20000; i++)
		g_string_append_printf(s, "%u 02:00:00:00:%02x:%02x 10.%u.%u.%u h%u *\n", i,
				       (i >> 8) & 0xff, i & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff,
				       i & 0xff, i);
	g_string_append(s, longline);
	g_string_append(s, "\n");
	a = nfc_dnsmasq_leases_parse(s->str, s->len);
	g_assert_cmpuint(a->len, ==, 20000);
	g_assert_cmpstr(LEASE(a, 19999)->hostname, ==, "h19999");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dnsmasq/config/v4", test_config_v4);
	g_test_add_func("/dnsmasq/config/v6", test_config_v6);
	g_test_add_func("/dnsmasq/config/netmask", test_config_netmask);
	g_test_add_func("/dnsmasq/leases/good", test_leases_good);
	g_test_add_func("/dnsmasq/leases/ipv6", test_leases_ipv6);
	g_test_add_func("/dnsmasq/leases/garbage", test_leases_garbage);
	g_test_add_func("/dnsmasq/leases/truncated", test_leases_truncated);
	g_test_add_func("/dnsmasq/leases/huge", test_leases_huge);
	return g_test_run();
}
