// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the pure parts of the uplink model: service order, IP method
 * and netmask forms, resolv.conf text, online-check URL and response. */
#include "connection.h"
#include "ipconfig.h"
#include "online.h"
#include "service.h"

typedef struct {
	const char *name;
	NfcServiceRank a, b;
	const char *preferred;
	int expect; /* sign */
} RankCase;

#define R(id, type, state, fav, order) { id, type, NFC_SERVICE_##state, fav, order }

static const RankCase rank_cases[] = {
	{ "connected before idle", R("b", "ethernet", READY, true, 0), R("a", "ethernet", IDLE, true, 0), NULL, -1 },
	{ "online before ready", R("b", "ethernet", ONLINE, true, 0), R("a", "ethernet", READY, true, 0), NULL, -1 },
	{ "user order beats online", R("b", "ethernet", READY, true, 1), R("a", "ethernet", ONLINE, true, 0), NULL, -1 },
	{ "preferred beats online", R("b", "wifi", READY, true, 0), R("a", "ethernet", ONLINE, true, 0), "wifi,ethernet", -1 },
	{ "connecting before idle", R("b", "ethernet", CONFIGURATION, true, 0), R("a", "ethernet", IDLE, true, 0), NULL, -1 },
	{ "failure is not connecting", R("b", "ethernet", FAILURE, true, 0), R("a", "ethernet", CONFIGURATION, true, 0), NULL, 1 },
	{ "favorite first", R("b", "ethernet", IDLE, true, 0), R("a", "ethernet", IDLE, false, 0), NULL, -1 },
	{ "ethernet before wifi by default", R("b", "ethernet", IDLE, true, 0), R("a", "wifi", IDLE, true, 0), NULL, -1 },
	{ "preferred type when idle", R("b", "wifi", IDLE, true, 0), R("a", "ethernet", IDLE, true, 0), "wifi", -1 },
	{ "identifier breaks ties", R("a", "ethernet", READY, true, 0), R("b", "ethernet", READY, true, 0), NULL, -1 },
};

static void test_rank(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(rank_cases); i++) {
		const RankCase *c = &rank_cases[i];
		g_auto(GStrv) pref = c->preferred ? g_strsplit(c->preferred, ",", -1) : NULL;
		int r = nfc_service_rank_compare(&c->a, &c->b, pref);
		int back = nfc_service_rank_compare(&c->b, &c->a, pref);

		g_test_message("%s", c->name);
		g_assert_cmpint((r > 0) - (r < 0), ==, c->expect);
		/* antisymmetric, or sorting would be unstable */
		g_assert_cmpint((back > 0) - (back < 0), ==, -c->expect);
	}
}

static void test_netmask(void)
{
	uint8_t len = 99;
	char buf[INET_ADDRSTRLEN];

	g_assert_true(nfc_netmask_to_prefixlen("255.255.255.0", &len));
	g_assert_cmpuint(len, ==, 24);
	g_assert_true(nfc_netmask_to_prefixlen("255.255.255.255", &len));
	g_assert_cmpuint(len, ==, 32);
	g_assert_true(nfc_netmask_to_prefixlen("0.0.0.0", &len));
	g_assert_cmpuint(len, ==, 0);
	g_assert_false(nfc_netmask_to_prefixlen("255.0.255.0", &len));
	g_assert_false(nfc_netmask_to_prefixlen("255.255.255", &len));
	g_assert_false(nfc_netmask_to_prefixlen("banana", &len));
	nfc_prefixlen_to_netmask(20, buf);
	g_assert_cmpstr(buf, ==, "255.255.240.0");
	nfc_prefixlen_to_netmask(0, buf);
	g_assert_cmpstr(buf, ==, "0.0.0.0");
}

static void test_methods(void)
{
	NfcIpv4Method m4;
	NfcIpv6Method m6;

	for (int m = NFC_IPV4_OFF; m <= NFC_IPV4_MANUAL; m++) {
		g_assert_true(nfc_ipv4_method_from_string(nfc_ipv4_method_to_string(m), &m4));
		g_assert_cmpint(m4, ==, m);
	}
	for (int m = NFC_IPV6_OFF; m <= NFC_IPV6_MANUAL; m++) {
		g_assert_true(nfc_ipv6_method_from_string(nfc_ipv6_method_to_string(m), &m6));
		g_assert_cmpint(m6, ==, m);
	}
	g_assert_false(nfc_ipv4_method_from_string("auto", &m4));
	g_assert_false(nfc_ipv4_method_from_string("fixed", &m4));
	g_assert_false(nfc_ipv6_method_from_string("dhcp", &m6));
	/* the stored and D-Bus forms, and what a value out of range prints */
	g_assert_cmpstr(nfc_ipv4_method_to_string(NFC_IPV4_DHCP), ==, "dhcp");
	g_assert_cmpstr(nfc_ipv4_method_to_string(NFC_IPV4_MANUAL), ==, "manual");
	g_assert_cmpstr(nfc_ipv6_method_to_string(NFC_IPV6_AUTO), ==, "auto");
	g_assert_cmpstr(nfc_ipv4_method_to_string((NfcIpv4Method)42), ==, "off");
	g_assert_cmpstr(nfc_ipv6_method_to_string((NfcIpv6Method)-1), ==, "off");
	g_assert_false(nfc_ipv4_method_from_string("", &m4));
	g_assert_false(nfc_ipv4_method_from_string("DHCP", &m4));
}

static void test_state_names(void)
{
	static const char *const states[] = {
		"idle", "association", "configuration", "ready", "online", "disconnect", "failure",
	};
	static const char *const errors[] = {
		NULL, "dhcp-failed", "connect-failed", "online-check-failed",
	};
	NfcServiceState st;
	NfcServiceError e;

	for (int i = 0; i < (int)G_N_ELEMENTS(states); i++) {
		g_assert_cmpstr(nfc_service_state_to_string((NfcServiceState)i), ==, states[i]);
		g_assert_true(nfc_service_state_from_string(states[i], &st));
		g_assert_cmpint(st, ==, i);
	}
	g_assert_cmpint(NFC_SERVICE_FAILURE, ==, G_N_ELEMENTS(states) - 1);
	g_assert_cmpstr(nfc_service_state_to_string((NfcServiceState)99), ==, "idle");
	g_assert_false(nfc_service_state_from_string("connected", &st));

	for (int i = 0; i < (int)G_N_ELEMENTS(errors); i++) {
		g_assert_cmpstr(nfc_service_error_to_string((NfcServiceError)i), ==, errors[i]);
		if (!errors[i])
			continue;
		g_assert_true(nfc_service_error_from_string(errors[i], &e));
		g_assert_cmpint(e, ==, i);
	}
	g_assert_cmpint(NFC_SERVICE_ERROR_ONLINE_CHECK_FAILED, ==, G_N_ELEMENTS(errors) - 1);
	/* no error has no name, so nothing parses to it */
	g_assert_false(nfc_service_error_from_string("", &e));
	g_assert_false(nfc_service_error_from_string("none", &e));
	g_assert_null(nfc_service_error_to_string((NfcServiceError)99));
}

static void test_resolv_conf(void)
{
	char *ns[] = { "198.51.100.53", "2001:db8::53", NULL };
	char *dom[] = { "lab.example", "example.org", NULL };
	char *none[] = { NULL };
	g_autofree char *full = nfc_connection_resolv_conf(ns, dom);
	g_autofree char *empty = nfc_connection_resolv_conf(none, none);

	g_assert_cmpstr(full, ==, "# Generated by nfconnd\n"
				  "search lab.example example.org\n"
				  "nameserver 198.51.100.53\n"
				  "nameserver 2001:db8::53\n");
	g_assert_cmpstr(empty, ==, "# Generated by nfconnd\n");
}

static void test_online_url(void)
{
	g_autofree char *host = NULL, *path = NULL;
	g_autofree char *host2 = NULL, *path2 = NULL;
	unsigned int port = 0;

	g_assert_true(nfc_online_parse_url("http://198.51.100.1:8080/online/status.html",
					   &host, &port, &path));
	g_assert_cmpstr(host, ==, "198.51.100.1");
	g_assert_cmpuint(port, ==, 8080);
	g_assert_cmpstr(path, ==, "/online/status.html");
	g_assert_true(nfc_online_parse_url("http://ipv4.example", &host2, &port, &path2));
	g_assert_cmpuint(port, ==, 80);
	g_assert_cmpstr(path2, ==, "/");
	g_assert_false(nfc_online_parse_url("https://x/", &host, &port, &path));
	g_assert_false(nfc_online_parse_url("http://:80/", &host, &port, &path));
	g_assert_false(nfc_online_parse_url("http://x:99999/", &host, &port, &path));

	g_assert_true(nfc_online_response_ok("HTTP/1.0 200 OK\r\n"));
	g_assert_true(nfc_online_response_ok("HTTP/1.1 204 No Content\r\n"));
	g_assert_false(nfc_online_response_ok("HTTP/1.1 302 Found\r\n"));
	g_assert_false(nfc_online_response_ok("HTTP/1.1 2"));
	g_assert_false(nfc_online_response_ok("garbage"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/service/rank", test_rank);
	g_test_add_func("/ipconfig/netmask", test_netmask);
	g_test_add_func("/ipconfig/methods", test_methods);
	g_test_add_func("/service/state-names", test_state_names);
	g_test_add_func("/connection/resolv-conf", test_resolv_conf);
	g_test_add_func("/online/url", test_online_url);
	return g_test_run();
}
