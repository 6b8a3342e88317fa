// SPDX-License-Identifier: GPL-2.0-or-later
#include "service-settings.h"

#include <arpa/inet.h>
#include <string.h>

#include <gio/gio.h>

#include "log.h"
#include "string-table.h"

#define QUOTE_MAX 64 /* enough to recognise an entry, too short to carry a payload */

static gboolean invalid(GError **error, const char *what)
{
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, what);
	return FALSE;
}

static bool is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Letters, digits, '-', '_' and dots between non-empty labels. Anything
 * else could end a resolv.conf line or start a new option in it. */
static gboolean check_name(const char *s, GError **error)
{
	size_t len = strlen(s), label = 0;

	if (!len)
		return invalid(error, "empty");
	if (len > 253)
		return invalid(error, "longer than 253 characters");
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f)
			return invalid(error, "contains whitespace or a control character");
		if (c == '.') {
			if (!label && p != s + len - 1)
				return invalid(error, "has an empty label");
			label = 0;
			continue;
		}
		if (!g_ascii_isalnum(c) && c != '-' && c != '_')
			return invalid(error, "contains a character not allowed in a host name");
		if (++label > 63)
			return invalid(error, "has a label longer than 63 characters");
	}
	if (s[0] == '.')
		return invalid(error, "has an empty label");
	return TRUE;
}

gboolean nfc_settings_check_entry(NfcSettingsList kind, const char *entry, GError **error)
{
	if (is_ip(entry))
		return TRUE;
	if (kind == NFC_SETTINGS_NAMESERVERS)
		return invalid(error, "not an IP address");
	return check_name(entry, error);
}

gboolean nfc_settings_check_list(NfcSettingsList kind, char **list, GError **error)
{
	if (list && g_strv_length(list) > NFC_SETTINGS_LIST_MAX) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "more than %d entries", NFC_SETTINGS_LIST_MAX);
		return FALSE;
	}
	for (char **p = list; p && *p; p++)
		if (!nfc_settings_check_entry(kind, *p, error))
			return FALSE;
	return TRUE;
}

static gboolean check_gateway(int family, const char *gateway, void *out, GError **error)
{
	if (gateway && *gateway && inet_pton(family, gateway, out) != 1)
		return invalid(error, "gateway is not an address");
	return TRUE;
}

gboolean nfc_settings_check_ipv4_manual(const char *address, int prefixlen,
					const char *gateway, NfcIpv4Config *config,
					GError **error)
{
	NfcIpv4Config c = { .method = NFC_IPV4_MANUAL };

	if (!address || inet_pton(AF_INET, address, &c.address) != 1)
		return invalid(error, "address is missing or not an IPv4 address");
	if (!c.address.s_addr)
		return invalid(error, "address is 0.0.0.0");
	if (prefixlen < 1 || prefixlen > 32)
		return invalid(error, "prefix length is not 1-32");
	c.prefixlen = prefixlen;
	if (!check_gateway(AF_INET, gateway, &c.gateway, error))
		return FALSE;
	*config = c;
	return TRUE;
}

gboolean nfc_settings_check_ipv6_manual(const char *address, int prefixlen,
					const char *gateway, NfcIpv6Config *config,
					GError **error)
{
	struct in6_addr addr, gw = IN6ADDR_ANY_INIT;

	if (!address || inet_pton(AF_INET6, address, &addr) != 1)
		return invalid(error, "address is missing or not an IPv6 address");
	if (prefixlen < 1 || prefixlen > 128)
		return invalid(error, "prefix length is not 1-128");
	if (!check_gateway(AF_INET6, gateway, &gw, error))
		return FALSE;
	/* privacy is set apart, so it survives a method change */
	config->method = NFC_IPV6_MANUAL;
	config->address = addr;
	config->prefixlen = prefixlen;
	config->gateway = gw;
	return TRUE;
}

gboolean nfc_settings_check_privacy(const char *privacy, const char **canonical, GError **error)
{
	static const char *const known[] = { "disabled", "enabled", "prefered" };

	if (g_strcmp0(privacy, "preferred") == 0)
		privacy = "prefered";
	for (gsize i = 0; privacy && i < G_N_ELEMENTS(known); i++) {
		if (g_str_equal(privacy, known[i])) {
			*canonical = known[i];
			return TRUE;
		}
	}
	return invalid(error, "not disabled, enabled or preferred");
}

char *nfc_settings_quote(const char *value)
{
	g_autofree char *cut = g_strndup(value, QUOTE_MAX);
	g_autofree char *esc = g_strescape(cut, NULL);

	return g_strdup_printf("\"%s\"%s", esc, strlen(value) > QUOTE_MAX ? "…" : "");
}

/* ---- proxy -------------------------------------------------------------- */

#define PROXY_ENTRY_MAX 255  /* a server, exclude: a host name's length and more */
#define PROXY_URL_MAX 2048   /* what browsers and PAC runners accept at least */

static const char *const proxy_method_names[] = {
	[NFC_PROXY_DIRECT] = "direct",
	[NFC_PROXY_MANUAL] = "manual",
	[NFC_PROXY_AUTO] = "auto",
};

NFC_STRING_TABLE_FULL(nfc_proxy_method, NfcProxyMethod, proxy_method_names, NULL)

/* Printable ASCII without spaces: these strings reach other programs'
 * configuration (PAC runners, http_proxy variables), where a space, quote
 * or newline could end a value and start another. */
static gboolean check_printable(const char *s, size_t max, GError **error)
{
	if (!*s)
		return invalid(error, "empty");
	if (strlen(s) > max) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "longer than %zu characters", max);
		return FALSE;
	}
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == ',' || c == ';')
			return invalid(error, "contains a space, control character, quote, "
					      "backslash, comma, semicolon or non-ASCII byte");
	}
	return TRUE;
}

static gboolean check_uri_host(GUri *uri, GError **error)
{
	const char *host = g_uri_get_host(uri);
	struct in6_addr a6;

	if (!host || !*host)
		return invalid(error, "has no host");
	/* GUri hands an IPv6 literal over without its brackets */
	if (strchr(host, ':'))
		return inet_pton(AF_INET6, host, &a6) == 1 ? TRUE :
		       invalid(error, "has a host that is not a name or an address");
	if (!check_name(host, NULL))
		return invalid(error, "has a host that is not a name or an address");
	return TRUE;
}

/* The user name and password would be readable by anyone on the bus (the
 * Proxy properties are), so neither is taken. */
static gboolean check_no_userinfo(GUri *uri, GError **error)
{
	if (g_uri_get_userinfo(uri))
		return invalid(error, "carries a user name or password, which everyone "
				      "on the bus could read");
	return TRUE;
}

gboolean nfc_settings_check_proxy_server(const char *server, GError **error)
{
	static const char *const schemes[] = {
		"http", "https", "socks", "socks4", "socks4a", "socks5", "socks5h", NULL
	};
	g_autofree char *full = NULL;
	g_autoptr(GUri) uri = NULL;
	const char *path;

	if (!check_printable(server, PROXY_ENTRY_MAX, error))
		return FALSE;
	full = strstr(server, "://") ? g_strdup(server) : g_strconcat("http://", server, NULL);
	uri = g_uri_parse(full, G_URI_FLAGS_NONE, NULL);
	if (!uri)
		return invalid(error, "is not host[:port] or scheme://host[:port]");
	if (!g_strv_contains(schemes, g_uri_get_scheme(uri)))
		return invalid(error, "has a scheme that is not a proxy's (http, https, socks, "
				      "socks4, socks4a, socks5, socks5h)");
	if (!check_uri_host(uri, error) || !check_no_userinfo(uri, error))
		return FALSE;
	if (g_uri_get_port(uri) == 0)
		return invalid(error, "has port 0");
	path = g_uri_get_path(uri);
	if ((*path && strcmp(path, "/") != 0) || g_uri_get_query(uri) || g_uri_get_fragment(uri))
		return invalid(error, "has a path, query or fragment (a proxy is a host and port)");
	return TRUE;
}

gboolean nfc_settings_check_proxy_exclude(const char *exclude, GError **error)
{
	if (!check_printable(exclude, PROXY_ENTRY_MAX, error))
		return FALSE;
	for (const char *p = exclude; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr(".-_*:/[]%", *p))
			return invalid(error, "contains a character not allowed in a host, "
					      "domain or network");
	return TRUE;
}

gboolean nfc_settings_check_proxy_url(const char *url, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	const char *scheme;

	if (!check_printable(url, PROXY_URL_MAX, error))
		return FALSE;
	uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	if (!uri)
		return invalid(error, "is not a URL");
	scheme = g_uri_get_scheme(uri);
	if (g_str_equal(scheme, "file")) {
		const char *host = g_uri_get_host(uri);

		if ((host && *host && !g_str_equal(host, "localhost")) ||
		    g_uri_get_path(uri)[0] != '/')
			return invalid(error, "is a file URL without an absolute local path");
		return TRUE;
	}
	if (!g_str_equal(scheme, "http") && !g_str_equal(scheme, "https"))
		return invalid(error, "is not an http, https or file URL");
	if (g_uri_get_port(uri) == 0)
		return invalid(error, "has port 0");
	return check_uri_host(uri, error) && check_no_userinfo(uri, error);
}

static gboolean check_proxy_list(const char *key, char **list,
				 gboolean (*check)(const char *, GError **), GError **error)
{
	guint i = 0;

	if (list && g_strv_length(list) > NFC_SETTINGS_LIST_MAX) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "%s: more than %d entries", key, NFC_SETTINGS_LIST_MAX);
		return FALSE;
	}
	for (char **p = list; p && *p; p++, i++) {
		if (!check(*p, error)) {
			g_prefix_error(error, "%s entry %u ", key, i + 1);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean nfc_settings_check_proxy(const char *method, char **servers, char **excludes,
				  const char *url, NfcProxyConfig *config, GError **error)
{
	static char *const empty[] = { NULL };
	NfcProxyConfig c = { NFC_PROXY_UNSET };

	if (!method)
		return invalid(error, "Method is missing");
	if (!nfc_proxy_method_from_string(method, &c.method))
		return invalid(error, "Method is not direct, manual or auto");
	if (c.method == NFC_PROXY_MANUAL) {
		if (!servers || !servers[0])
			return invalid(error, "manual needs at least one server in Servers");
		if (!check_proxy_list("Servers", servers, nfc_settings_check_proxy_server, error) ||
		    !check_proxy_list("Excludes", excludes, nfc_settings_check_proxy_exclude, error))
			return FALSE;
		c.servers = g_strdupv(servers);
		c.excludes = g_strdupv(excludes ? excludes : (char **)empty);
	} else if (c.method == NFC_PROXY_AUTO && url && *url) {
		if (!nfc_settings_check_proxy_url(url, error)) {
			g_prefix_error(error, "URL ");
			return FALSE;
		}
		c.url = g_strdup(url);
	}
	*config = c;
	return TRUE;
}

void nfc_proxy_config_clear(NfcProxyConfig *config)
{
	g_clear_pointer(&config->servers, g_strfreev);
	g_clear_pointer(&config->excludes, g_strfreev);
	g_clear_pointer(&config->url, g_free);
	config->method = NFC_PROXY_UNSET;
}

void nfc_proxy_config_copy(NfcProxyConfig *dst, const NfcProxyConfig *src)
{
	dst->method = src->method;
	dst->servers = g_strdupv(src->servers);
	dst->excludes = g_strdupv(src->excludes);
	dst->url = g_strdup(src->url);
}

static bool strv_equal0(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	return g_strv_equal((const char *const *)a, (const char *const *)b);
}

bool nfc_proxy_config_equal(const NfcProxyConfig *a, const NfcProxyConfig *b)
{
	return a->method == b->method && strv_equal0(a->servers, b->servers) &&
	       strv_equal0(a->excludes, b->excludes) && g_strcmp0(a->url, b->url) == 0;
}

void nfc_proxy_config_save(const NfcProxyConfig *c, GKeyFile *kf, const char *group)
{
	if (c->method == NFC_PROXY_UNSET)
		return;
	g_key_file_set_string(kf, group, "Proxy.Method", nfc_proxy_method_to_string(c->method));
	if (c->servers && c->servers[0])
		g_key_file_set_string_list(kf, group, "Proxy.Servers",
					   (const char *const *)c->servers,
					   g_strv_length(c->servers));
	if (c->excludes && c->excludes[0])
		g_key_file_set_string_list(kf, group, "Proxy.Excludes",
					   (const char *const *)c->excludes,
					   g_strv_length(c->excludes));
	if (c->url)
		g_key_file_set_string(kf, group, "Proxy.URL", c->url);
}

void nfc_proxy_effective(const NfcProxyConfig *config, const char *dhcp_url,
			 NfcProxyConfig *out)
{
	memset(out, 0, sizeof(*out));
	if (config->method == NFC_PROXY_DIRECT || config->method == NFC_PROXY_MANUAL ||
	    (config->method == NFC_PROXY_AUTO && config->url)) {
		*out = *config;
		return;
	}
	if (dhcp_url && *dhcp_url) {
		out->method = NFC_PROXY_AUTO;
		out->url = (char *)dhcp_url;
	} else {
		out->method = NFC_PROXY_DIRECT;
	}
}

/* All or nothing: half a proxy configuration (servers without their
 * excludes) would send traffic where the user did not mean it to go. */
static void load_proxy(GKeyFile *kf, const char *service, NfcProxyConfig *c)
{
	g_autofree char *method = g_key_file_get_string(kf, service, "Proxy.Method", NULL);
	g_autofree char *url = g_key_file_get_string(kf, service, "Proxy.URL", NULL);
	g_auto(GStrv) servers = g_key_file_get_string_list(kf, service, "Proxy.Servers", NULL, NULL);
	g_auto(GStrv) excludes = g_key_file_get_string_list(kf, service, "Proxy.Excludes", NULL,
							    NULL);
	g_autoptr(GError) error = NULL;

	c->method = NFC_PROXY_UNSET;
	if (!method)
		return;
	if (!nfc_settings_check_proxy(method, servers, excludes, url, c, &error))
		nfc_warn("%s: ignoring the proxy configuration in its settings: %s", service,
			 error->message);
}

static char **load_list(GKeyFile *kf, const char *service, const char *key, NfcSettingsList kind)
{
	g_auto(GStrv) list = g_key_file_get_string_list(kf, service, key, NULL, NULL);
	GPtrArray *keep = g_ptr_array_new();

	for (char **p = list; p && *p; p++) {
		g_autoptr(GError) error = NULL;

		if (keep->len == NFC_SETTINGS_LIST_MAX) {
			nfc_warn("%s: dropping %u %s entries past the first %d from its settings",
				 service, g_strv_length(p), key, NFC_SETTINGS_LIST_MAX);
			break;
		}
		if (nfc_settings_check_entry(kind, *p, &error)) {
			g_ptr_array_add(keep, g_strdup(*p));
		} else {
			g_autofree char *q = nfc_settings_quote(*p);

			nfc_warn("%s: dropping %s entry %s from its settings: %s", service, key, q,
				 error->message);
		}
	}
	g_ptr_array_add(keep, NULL);
	return (char **)g_ptr_array_free(keep, FALSE);
}

static void load_ipv4(GKeyFile *kf, const char *service, NfcIpv4Config *c)
{
	g_autofree char *method = g_key_file_get_string(kf, service, "IPv4.method", NULL);
	g_autofree char *addr = NULL, *gw = NULL;
	g_autoptr(GError) error = NULL;
	int plen;

	c->method = NFC_IPV4_DHCP;
	if (method && !nfc_ipv4_method_from_string(method, &c->method)) {
		g_autofree char *q = nfc_settings_quote(method);

		nfc_warn("%s: ignoring IPv4.method %s from its settings", service, q);
	}
	if (c->method != NFC_IPV4_MANUAL)
		return;
	addr = g_key_file_get_string(kf, service, "IPv4.local_address", NULL);
	gw = g_key_file_get_string(kf, service, "IPv4.gateway", NULL);
	plen = g_key_file_get_integer(kf, service, "IPv4.netmask_prefixlen", NULL);
	if (!nfc_settings_check_ipv4_manual(addr, plen, gw, c, &error)) {
		nfc_warn("%s: manual IPv4 settings invalid (%s), using dhcp", service, error->message);
		c->method = NFC_IPV4_DHCP;
	}
}

static void load_ipv6(GKeyFile *kf, const char *service, NfcIpv6Config *c)
{
	g_autofree char *method = g_key_file_get_string(kf, service, "IPv6.method", NULL);
	g_autofree char *privacy = g_key_file_get_string(kf, service, "IPv6.privacy", NULL);
	g_autofree char *addr = NULL, *gw = NULL;
	g_autoptr(GError) error = NULL;
	const char *canonical = "disabled";
	int plen;

	if (privacy && !nfc_settings_check_privacy(privacy, &canonical, &error)) {
		g_autofree char *q = nfc_settings_quote(privacy);

		nfc_warn("%s: ignoring IPv6.privacy %s from its settings: %s", service, q,
			 error->message);
		g_clear_error(&error);
	}
	g_strlcpy(c->privacy, canonical, sizeof(c->privacy));
	c->method = NFC_IPV6_AUTO;
	if (method && !nfc_ipv6_method_from_string(method, &c->method)) {
		g_autofree char *q = nfc_settings_quote(method);

		nfc_warn("%s: ignoring IPv6.method %s from its settings", service, q);
	}
	if (c->method != NFC_IPV6_MANUAL)
		return;
	addr = g_key_file_get_string(kf, service, "IPv6.local_address", NULL);
	gw = g_key_file_get_string(kf, service, "IPv6.gateway", NULL);
	plen = g_key_file_get_integer(kf, service, "IPv6.prefix_length", NULL);
	if (!nfc_settings_check_ipv6_manual(addr, plen, gw, c, &error)) {
		nfc_warn("%s: manual IPv6 settings invalid (%s), using auto", service, error->message);
		c->method = NFC_IPV6_AUTO;
	}
}

void nfc_service_settings_load(GKeyFile *kf, const char *service, NfcServiceSettings *out)
{
	g_autofree char *last = g_key_file_get_string(kf, service, "IPv4.DHCP.LastAddress", NULL);
	g_autoptr(GError) error = NULL;
	bool ac;

	memset(out, 0, sizeof(*out));
	ac = g_key_file_get_boolean(kf, service, "AutoConnect", &error);
	out->autoconnect = error ? true : ac;
	load_ipv4(kf, service, &out->v4);
	load_ipv6(kf, service, &out->v6);
	/* only a hint for INIT-REBOOT: an unparsable one is simply none */
	if (last && inet_pton(AF_INET, last, &out->last_dhcp) != 1)
		out->last_dhcp.s_addr = 0;
	out->nameservers = load_list(kf, service, "Nameservers", NFC_SETTINGS_NAMESERVERS);
	out->timeservers = load_list(kf, service, "Timeservers", NFC_SETTINGS_TIMESERVERS);
	out->domains = load_list(kf, service, "Domains", NFC_SETTINGS_DOMAINS);
	load_proxy(kf, service, &out->proxy);
	/* ConnMan writes it only when true */
	out->mdns = g_key_file_get_boolean(kf, service, "mDNS", NULL);
}

void nfc_service_settings_clear(NfcServiceSettings *settings)
{
	g_clear_pointer(&settings->nameservers, g_strfreev);
	g_clear_pointer(&settings->timeservers, g_strfreev);
	g_clear_pointer(&settings->domains, g_strfreev);
	nfc_proxy_config_clear(&settings->proxy);
}
