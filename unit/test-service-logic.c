// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the pure parts of the uplink model: service order, IP method
 * and netmask forms, resolv.conf text, online-check URL and response, the
 * settings validators and the settings file loader. */
#include "connection.h"
#include "ipconfig.h"
#include "online.h"
#include "service-settings.h"
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

static void test_resolv_conf_refuses_unsafe(void)
{
	char *ns[] = { "198.51.100.53", "192.0.2.1\noptions ndots:15", "", "2001:db8::53 x", NULL };
	char *dom[] = { "bad\nexample", "ok.example", "a b", "tab\there", "del\x7f", NULL };
	char *only_bad[] = { "x\ry", NULL };
	g_autofree char *text = nfc_connection_resolv_conf(ns, dom);
	g_autofree char *no_search = nfc_connection_resolv_conf(ns, only_bad);

	g_assert_cmpstr(text, ==, "# Generated by nfconnd\n"
				  "search ok.example\n"
				  "nameserver 198.51.100.53\n");
	g_assert_cmpstr(no_search, ==, "# Generated by nfconnd\n"
				       "nameserver 198.51.100.53\n");
}

typedef struct {
	NfcSettingsList kind;
	const char *entry;
	bool valid;
} EntryCase;

static const EntryCase entry_cases[] = {
	{ NFC_SETTINGS_NAMESERVERS, "198.51.100.53", true },
	{ NFC_SETTINGS_NAMESERVERS, "2001:db8::53", true },
	{ NFC_SETTINGS_NAMESERVERS, "garbage", false },
	{ NFC_SETTINGS_NAMESERVERS, "ns.example", false },
	{ NFC_SETTINGS_NAMESERVERS, "", false },
	{ NFC_SETTINGS_NAMESERVERS, "198.51.100.53 ", false },
	{ NFC_SETTINGS_TIMESERVERS, "pool.ntp.example", true },
	{ NFC_SETTINGS_TIMESERVERS, "203.0.113.1", true },
	{ NFC_SETTINGS_TIMESERVERS, "a/b", false },
	{ NFC_SETTINGS_DOMAINS, "lab.example", true },
	{ NFC_SETTINGS_DOMAINS, "lab.example.", true },
	{ NFC_SETTINGS_DOMAINS, "_srv.x-y.example", true },
	{ NFC_SETTINGS_DOMAINS, "lab.example\noptions ndots:15", false },
	{ NFC_SETTINGS_DOMAINS, "options ndots:15", false },
	{ NFC_SETTINGS_DOMAINS, "a\rb", false },
	{ NFC_SETTINGS_DOMAINS, "a\tb", false },
	{ NFC_SETTINGS_DOMAINS, "a;b", false },
	{ NFC_SETTINGS_DOMAINS, "a#b", false },
	{ NFC_SETTINGS_DOMAINS, "a..b", false },
	{ NFC_SETTINGS_DOMAINS, ".a", false },
	{ NFC_SETTINGS_DOMAINS, "", false },
	{ NFC_SETTINGS_DOMAINS, "caf\xc3\xa9.example", false },
};

static void test_settings_entries(void)
{
	g_autofree char *label63 = g_strnfill(63, 'a');
	g_autofree char *label64 = g_strnfill(64, 'a');
	g_autofree char *long_name = g_strjoin(".", label63, label63, label63, label63, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(entry_cases); i++) {
		const EntryCase *c = &entry_cases[i];
		g_autoptr(GError) error = NULL;
		gboolean ok = nfc_settings_check_entry(c->kind, c->entry, &error);

		g_test_message("case %zu", i);
		g_assert_cmpint(ok, ==, c->valid);
		if (!ok) {
			/* the reason never carries the value itself */
			g_assert_nonnull(error);
			g_assert_null(strchr(error->message, '\n'));
		}
	}
	g_assert_true(nfc_settings_check_entry(NFC_SETTINGS_DOMAINS, label63, NULL));
	g_assert_false(nfc_settings_check_entry(NFC_SETTINGS_DOMAINS, label64, NULL));
	g_assert_false(nfc_settings_check_entry(NFC_SETTINGS_DOMAINS, long_name, NULL));
}

static void test_settings_manual(void)
{
	NfcIpv4Config v4 = { 0 };
	NfcIpv6Config v6 = { 0 };
	const char *priv = NULL;

	g_assert_true(nfc_settings_check_ipv4_manual("192.0.2.10", 24, "192.0.2.1", &v4, NULL));
	g_assert_cmpint(v4.method, ==, NFC_IPV4_MANUAL);
	g_assert_cmpint(v4.prefixlen, ==, 24);
	g_assert_cmphex(v4.gateway.s_addr, ==, htonl(0xc0000201));
	g_assert_false(nfc_settings_check_ipv4_manual("0.0.0.0", 24, NULL, &v4, NULL));
	g_assert_false(nfc_settings_check_ipv4_manual("192.0.2.10", 0, NULL, &v4, NULL));
	g_assert_false(nfc_settings_check_ipv4_manual("192.0.2.10", 33, NULL, &v4, NULL));
	g_assert_false(nfc_settings_check_ipv4_manual("192.0.2.10", 24, "gw", &v4, NULL));
	g_assert_false(nfc_settings_check_ipv4_manual(NULL, 24, NULL, &v4, NULL));
	g_assert_false(nfc_settings_check_ipv4_manual("2001:db8::1", 24, NULL, &v4, NULL));
	g_assert_true(nfc_settings_check_ipv6_manual("2001:db8::10", 64, "", &v6, NULL));
	g_assert_cmpint(v6.prefixlen, ==, 64);
	g_assert_false(nfc_settings_check_ipv6_manual("2001:db8::10", 129, NULL, &v6, NULL));
	g_assert_false(nfc_settings_check_ipv6_manual("192.0.2.1", 64, NULL, &v6, NULL));
	g_assert_true(nfc_settings_check_privacy("preferred", &priv, NULL));
	g_assert_cmpstr(priv, ==, "prefered");
	g_assert_false(nfc_settings_check_privacy("always", &priv, NULL));
}

static void test_settings_quote(void)
{
	g_autofree char *long_value = g_strnfill(500, 'x');
	g_autofree char *q = nfc_settings_quote("a.example\noptions ndots:15");
	g_autofree char *ql = nfc_settings_quote(long_value);

	g_assert_cmpstr(q, ==, "\"a.example\\noptions ndots:15\"");
	g_assert_cmpuint(strlen(ql), <, 80);
}

static void test_settings_load(void)
{
	static const char file[] =
		"[ethernet_020000000001_cable]\n"
		"AutoConnect=false\n"
		"IPv4.method=manual\n"
		"IPv4.local_address=192.0.2.300\n"
		"IPv4.netmask_prefixlen=24\n"
		"IPv4.DHCP.LastAddress=junk\n"
		"IPv6.method=manual\n"
		"IPv6.local_address=2001:db8::10\n"
		"IPv6.prefix_length=64\n"
		"IPv6.privacy=bogus\n"
		"Nameservers=garbage;198.51.100.53;192.0.2.1\\noptions ndots:15;2001:db8::53;\n"
		"Timeservers=ntp.example;bad time;\n"
		"Domains=lab.example;evil.example\\noptions ndots:15;a b;options ndots:15;x\\ty;\n";
	g_autoptr(GKeyFile) kf = g_key_file_new();
	NfcServiceSettings s;
	const char *want_ns[] = { "198.51.100.53", "2001:db8::53", NULL };
	const char *want_ts[] = { "ntp.example", NULL };
	const char *want_dom[] = { "lab.example", NULL };

	g_assert_true(g_key_file_load_from_data(kf, file, -1, G_KEY_FILE_NONE, NULL));
	nfc_service_settings_load(kf, "ethernet_020000000001_cable", &s);
	g_assert_false(s.autoconnect);
	g_assert_cmpint(s.v4.method, ==, NFC_IPV4_DHCP); /* the bad manual one is dropped */
	g_assert_cmpint(s.last_dhcp.s_addr, ==, 0);
	g_assert_cmpint(s.v6.method, ==, NFC_IPV6_MANUAL);
	g_assert_cmpint(s.v6.prefixlen, ==, 64);
	g_assert_cmpstr(s.v6.privacy, ==, "disabled");
	g_assert_cmpstrv(s.nameservers, want_ns);
	g_assert_cmpstrv(s.timeservers, want_ts);
	g_assert_cmpstrv(s.domains, want_dom);
	nfc_service_settings_clear(&s);

	/* no file: defaults, empty lists (never NULL) */
	g_key_file_free(g_steal_pointer(&kf));
	kf = g_key_file_new();
	nfc_service_settings_load(kf, "ethernet_020000000001_cable", &s);
	g_assert_true(s.autoconnect);
	g_assert_cmpint(s.v4.method, ==, NFC_IPV4_DHCP);
	g_assert_cmpint(s.v6.method, ==, NFC_IPV6_AUTO);
	g_assert_nonnull(s.nameservers);
	g_assert_null(s.nameservers[0]);
	g_assert_null(s.domains[0]);
	nfc_service_settings_clear(&s);
}

/* Lists are bounded: SetProperty's check refuses entry 65 and says so
 * (without quoting an entry); a settings file keeps the first 64. */
static void test_settings_list_bound(void)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) file = g_string_new("[s]\nDomains=");
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	NfcServiceSettings set;

	for (int i = 0; i < NFC_SETTINGS_LIST_MAX; i++) {
		g_ptr_array_add(list, g_strdup_printf("d%d.example", i));
		g_string_append_printf(file, "d%d.example;", i);
	}
	g_ptr_array_add(list, NULL);
	g_assert_true(nfc_settings_check_list(NFC_SETTINGS_DOMAINS, (char **)list->pdata, &error));
	g_assert_no_error(error);
	list->pdata[NFC_SETTINGS_LIST_MAX] = g_strdup("extra.example");
	g_ptr_array_add(list, NULL);
	g_assert_false(nfc_settings_check_list(NFC_SETTINGS_DOMAINS, (char **)list->pdata, &error));
	g_assert_nonnull(strstr(error->message, "more than 64 entries"));
	g_assert_null(strstr(error->message, "example"));

	g_string_append(file, "extra.example;more.example;\n");
	g_assert_true(g_key_file_load_from_data(kf, file->str, -1, G_KEY_FILE_NONE, NULL));
	nfc_service_settings_load(kf, "s", &set);
	g_assert_cmpuint(g_strv_length(set.domains), ==, NFC_SETTINGS_LIST_MAX);
	g_assert_cmpstr(set.domains[NFC_SETTINGS_LIST_MAX - 1], ==, "d63.example");
	nfc_service_settings_clear(&set);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/service/rank", test_rank);
	g_test_add_func("/ipconfig/netmask", test_netmask);
	g_test_add_func("/ipconfig/methods", test_methods);
	g_test_add_func("/service/state-names", test_state_names);
	g_test_add_func("/connection/resolv-conf", test_resolv_conf);
	g_test_add_func("/connection/resolv-conf-refuses-unsafe", test_resolv_conf_refuses_unsafe);
	g_test_add_func("/service/settings/entries", test_settings_entries);
	g_test_add_func("/service/settings/manual", test_settings_manual);
	g_test_add_func("/service/settings/quote", test_settings_quote);
	g_test_add_func("/service/settings/load", test_settings_load);
	g_test_add_func("/service/settings/list-bound", test_settings_list_bound);
	g_test_add_func("/online/url", test_online_url);
	return g_test_run();
}
