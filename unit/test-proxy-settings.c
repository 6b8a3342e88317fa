// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: Proxy.Configuration's validation, what Proxy shows from it
 * and a DHCP URL, and its storage (keys, round trip, a hand-edited file);
 * mDNS.Configuration's storage. */
#include <string.h>

#include "service-settings.h"

#define SERVICE "ethernet_0200c0a80001_cable"

typedef struct {
	const char *name;
	const char *method;
	const char *servers[4];
	const char *excludes[4];
	const char *url;
	const char *error; /* NULL: valid; else a part of the message */
} ProxyCase;

static const ProxyCase proxy_cases[] = {
	{ "direct", "direct" },
	{ "direct-ignores-rest", "direct", { "not a server" }, { "" }, "not a url" },
	{ "manual-host-port", "manual", { "p.example:3128" } },
	{ "manual-url", "manual", { "http://p.example:3128", "https://q.example/" },
	  { "localhost", ".lab", "*.example.com", "192.0.2.0/24" } },
	{ "manual-socks-v6", "manual", { "socks5://[2001:db8::1]:1080" }, { "[2001:db8::1]" } },
	{ "manual-ipv4", "manual", { "192.0.2.1:8080" } },
	{ "auto-url", "auto", .url = "http://wpad.example/wpad.dat" },
	{ "auto-https", "auto", .url = "https://wpad.example:8443/proxy.pac" },
	{ "auto-file", "auto", .url = "file:///etc/proxy.pac" },
	{ "auto-no-url", "auto" },
	{ "auto-empty-url", "auto", .url = "" },
	{ "no-method", NULL, .error = "Method is missing" },
	{ "bad-method", "socks", .error = "Method is not direct, manual or auto" },
	{ "manual-no-servers", "manual", .error = "at least one server" },
	{ "manual-empty-server", "manual", { "" }, .error = "Servers entry 1 empty" },
	{ "manual-space", "manual", { "p.example:3128", "p .example" },
	  .error = "Servers entry 2 contains a space" },
	{ "manual-newline", "manual", { "p.example\n:3128" }, .error = "control character" },
	{ "manual-ftp", "manual", { "ftp://p.example" }, .error = "not a proxy's" },
	{ "manual-path", "manual", { "http://p.example:3128/x" }, .error = "path" },
	{ "manual-query", "manual", { "http://p.example/?a=b" }, .error = "path, query" },
	{ "manual-password", "manual", { "http://u:secret@p.example:3128" },
	  .error = "user name or password" },
	{ "manual-port-0", "manual", { "p.example:0" }, .error = "port 0" },
	{ "manual-port-big", "manual", { "p.example:70000" }, .error = "not host[:port]" },
	{ "manual-bad-host", "manual", { "p..example" }, .error = "host" },
	{ "manual-bad-exclude", "manual", { "p.example" }, { "a(b)" },
	  .error = "Excludes entry 1 contains a character" },
	{ "auto-ftp", "auto", .url = "ftp://wpad.example/wpad.dat",
	  .error = "URL is not an http, https or file URL" },
	{ "auto-no-scheme", "auto", .url = "wpad.example/wpad.dat", .error = "URL is not a URL" },
	{ "auto-no-host", "auto", .url = "http:///wpad.dat", .error = "URL has no host" },
	{ "auto-space", "auto", .url = "http://wpad.example/a b", .error = "URL contains a space" },
	{ "auto-relative-file", "auto", .url = "file:proxy.pac", .error = "absolute local path" },
	{ "auto-remote-file", "auto", .url = "file://host.example/proxy.pac",
	  .error = "absolute local path" },
};

static char **strv_of(const char *const *items)
{
	GPtrArray *a = g_ptr_array_new();

	for (int i = 0; i < 4 && items[i]; i++)
		g_ptr_array_add(a, g_strdup(items[i]));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static void test_check(gconstpointer data)
{
	const ProxyCase *c = data;
	g_auto(GStrv) servers = strv_of(c->servers), excludes = strv_of(c->excludes);
	g_autoptr(GError) error = NULL;
	NfcProxyConfig config = { NFC_PROXY_UNSET };
	gboolean ok;

	ok = nfc_settings_check_proxy(c->method, servers[0] ? servers : NULL, excludes, c->url,
				      &config, &error);
	if (c->error) {
		g_assert_false(ok);
		g_assert_nonnull(strstr(error->message, c->error));
		g_assert_cmpint(config.method, ==, NFC_PROXY_UNSET);
		g_assert_null(config.servers);
		return;
	}
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_cmpstr(nfc_proxy_method_to_string(config.method), ==, c->method);
	if (config.method == NFC_PROXY_MANUAL) {
		g_assert_true(g_strv_equal((const char *const *)config.servers,
					   (const char *const *)servers));
		g_assert_true(g_strv_equal((const char *const *)config.excludes,
					   (const char *const *)excludes));
	} else {
		/* what the method does not use is not kept */
		g_assert_null(config.servers);
		g_assert_null(config.excludes);
	}
	if (config.method == NFC_PROXY_AUTO && c->url && *c->url)
		g_assert_cmpstr(config.url, ==, c->url);
	else
		g_assert_null(config.url);
	nfc_proxy_config_clear(&config);
}

static void test_list_limit(void)
{
	g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	NfcProxyConfig config;

	for (int i = 0; i <= NFC_SETTINGS_LIST_MAX; i++)
		g_ptr_array_add(many, g_strdup_printf("p%d.example:3128", i));
	g_ptr_array_add(many, NULL);
	g_assert_false(nfc_settings_check_proxy("manual", (char **)many->pdata, NULL, NULL,
						&config, &error));
	g_assert_nonnull(strstr(error->message, "Servers: more than"));
	/* one fewer passes */
	g_free(many->pdata[NFC_SETTINGS_LIST_MAX]);
	many->pdata[NFC_SETTINGS_LIST_MAX] = NULL;
	g_assert_true(nfc_settings_check_proxy("manual", (char **)many->pdata, NULL, NULL,
					       &config, NULL));
	nfc_proxy_config_clear(&config);
}

/* What Proxy shows while connected: the configuration, else what DHCP
 * gives (auto with its URL), else direct; auto without a URL of its own
 * is the same as no configuration. */
static void test_effective(void)
{
	char *servers[] = { "p.example:3128", NULL };
	NfcProxyConfig unset = { NFC_PROXY_UNSET }, direct = { NFC_PROXY_DIRECT };
	NfcProxyConfig manual = { NFC_PROXY_MANUAL, servers, servers + 1, NULL };
	NfcProxyConfig auto_url = { NFC_PROXY_AUTO, .url = "http://mine.example/p.pac" };
	NfcProxyConfig auto_none = { NFC_PROXY_AUTO }, out;

	nfc_proxy_effective(&unset, NULL, &out);
	g_assert_cmpint(out.method, ==, NFC_PROXY_DIRECT);
	nfc_proxy_effective(&unset, "", &out);
	g_assert_cmpint(out.method, ==, NFC_PROXY_DIRECT);
	nfc_proxy_effective(&unset, "http://dhcp.example/wpad.dat", &out);
	g_assert_cmpint(out.method, ==, NFC_PROXY_AUTO);
	g_assert_cmpstr(out.url, ==, "http://dhcp.example/wpad.dat");
	nfc_proxy_effective(&auto_none, "http://dhcp.example/wpad.dat", &out);
	g_assert_cmpstr(out.url, ==, "http://dhcp.example/wpad.dat");
	nfc_proxy_effective(&auto_none, NULL, &out);
	g_assert_cmpint(out.method, ==, NFC_PROXY_DIRECT);
	nfc_proxy_effective(&auto_url, "http://dhcp.example/wpad.dat", &out);
	g_assert_cmpstr(out.url, ==, "http://mine.example/p.pac");
	nfc_proxy_effective(&direct, "http://dhcp.example/wpad.dat", &out);
	g_assert_cmpint(out.method, ==, NFC_PROXY_DIRECT);
	g_assert_null(out.url);
	nfc_proxy_effective(&manual, "http://dhcp.example/wpad.dat", &out);
	g_assert_cmpint(out.method, ==, NFC_PROXY_MANUAL);
	g_assert_true(out.servers == servers);
	g_assert_null(out.url);
}

static NfcProxyConfig round_trip(const NfcProxyConfig *in, char **saved)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GKeyFile) back = g_key_file_new();
	g_autofree char *text = NULL;
	NfcServiceSettings set;
	NfcProxyConfig out;

	nfc_proxy_config_save(in, kf, SERVICE);
	text = g_key_file_to_data(kf, NULL, NULL);
	g_assert_true(g_key_file_load_from_data(back, text, -1, G_KEY_FILE_NONE, NULL));
	nfc_service_settings_load(back, SERVICE, &set);
	nfc_proxy_config_copy(&out, &set.proxy);
	nfc_service_settings_clear(&set);
	*saved = g_steal_pointer(&text);
	return out;
}

static void test_storage(void)
{
	char *servers[] = { "http://p.example:3128", "q.example:8080", NULL };
	char *excludes[] = { "localhost", ".lab", NULL };
	char *none[] = { NULL };
	const NfcProxyConfig cases[] = {
		{ NFC_PROXY_UNSET },
		{ NFC_PROXY_DIRECT },
		{ NFC_PROXY_MANUAL, servers, excludes, NULL },
		{ NFC_PROXY_MANUAL, servers, none, NULL },
		{ NFC_PROXY_AUTO, .url = "http://wpad.example/wpad.dat" },
		{ NFC_PROXY_AUTO },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = NULL;
		NfcProxyConfig out = round_trip(&cases[i], &text);

		g_test_message("saved:\n%s", text);
		g_assert_true(nfc_proxy_config_equal(&out, &cases[i]));
		nfc_proxy_config_clear(&out);
	}
	/* ConnMan's key names */
	{
		g_autofree char *text = NULL;
		NfcProxyConfig out = round_trip(&cases[2], &text);

		g_assert_nonnull(strstr(text, "Proxy.Method=manual\n"));
		g_assert_nonnull(strstr(text, "Proxy.Servers=http://p.example:3128;q.example:8080;\n"));
		g_assert_nonnull(strstr(text, "Proxy.Excludes=localhost;.lab;\n"));
		nfc_proxy_config_clear(&out);
		g_clear_pointer(&text, g_free);
		out = round_trip(&cases[0], &text);
		g_assert_null(strstr(text, "Proxy."));
		nfc_proxy_config_clear(&out);
	}
}

/* A value SetProperty refuses does not come back through the file: the
 * whole proxy configuration is dropped (half of one would be worse). */
static void test_load_hand_edited(void)
{
	static const char *const bad[] = {
		"Proxy.Method=sometimes\n",
		"Proxy.Method=manual\n",
		"Proxy.Method=manual\nProxy.Servers=good.example:1;bad example;\n",
		"Proxy.Method=manual\nProxy.Servers=p.example:1;\nProxy.Excludes=a\\nb;\n",
		"Proxy.Method=auto\nProxy.URL=javascript:alert(1)\n",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *text = g_strdup_printf("[" SERVICE "]\n%s", bad[i]);
		g_autoptr(GKeyFile) kf = g_key_file_new();
		NfcServiceSettings set;

		g_assert_true(g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL));
		nfc_service_settings_load(kf, SERVICE, &set);
		g_assert_cmpint(set.proxy.method, ==, NFC_PROXY_UNSET);
		g_assert_null(set.proxy.servers);
		g_assert_null(set.proxy.url);
		nfc_service_settings_clear(&set);
	}
}

static void test_mdns_load(void)
{
	static const struct {
		const char *text;
		bool mdns;
	} cases[] = {
		{ "", false },
		{ "mDNS=true\n", true },
		{ "mDNS=false\n", false },
		{ "mDNS=maybe\n", false },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("[" SERVICE "]\n%s", cases[i].text);
		g_autoptr(GKeyFile) kf = g_key_file_new();
		NfcServiceSettings set;

		g_assert_true(g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL));
		nfc_service_settings_load(kf, SERVICE, &set);
		g_assert_cmpint(set.mdns, ==, cases[i].mdns);
		nfc_service_settings_clear(&set);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(proxy_cases); i++) {
		g_autofree char *path = g_strdup_printf("/proxy/check/%s", proxy_cases[i].name);

		g_test_add_data_func(path, &proxy_cases[i], test_check);
	}
	g_test_add_func("/proxy/list-limit", test_list_limit);
	g_test_add_func("/proxy/effective", test_effective);
	g_test_add_func("/proxy/storage", test_storage);
	g_test_add_func("/proxy/load-hand-edited", test_load_hand_edited);
	g_test_add_func("/mdns/load", test_mdns_load);
	return g_test_run();
}
