// SPDX-License-Identifier: GPL-2.0-or-later
#include "service-settings.h"

#include <arpa/inet.h>
#include <string.h>

#include <gio/gio.h>

#include "log.h"

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
}

void nfc_service_settings_clear(NfcServiceSettings *settings)
{
	g_clear_pointer(&settings->nameservers, g_strfreev);
	g_clear_pointer(&settings->timeservers, g_strfreev);
	g_clear_pointer(&settings->domains, g_strfreev);
}
