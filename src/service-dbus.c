// SPDX-License-Identifier: GPL-2.0-or-later
#include "service-dbus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "counter.h"
#include "dbus-error.h"
#include "dbus-objects.h"
#include "log.h"
#include "nfc-dbus.h"
#include "resolved.h"
#include "service-settings.h"

static NfcDbusObjects *objects;
static unsigned int watch_id;

static char **service_children(void)
{
	GPtrArray *ids = g_ptr_array_new();

	for (GList *l = nfc_service_get_list(); l; l = l->next)
		g_ptr_array_add(ids, g_strdup(nfc_service_get_identifier(l->data)));
	g_ptr_array_add(ids, NULL);
	return (char **)g_ptr_array_free(ids, FALSE);
}

static GVariant *strv_variant(char **v)
{
	return g_variant_new_strv((const char *const *)v, -1);
}

static GVariant *owned_strv_variant(char **v)
{
	GVariant *r = strv_variant(v);

	g_strfreev(v);
	return r;
}

static GVariant *ipv4_dict(NfcService *s, bool config)
{
	GVariantBuilder b;
	char buf[INET_ADDRSTRLEN];

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	if (config) {
		const NfcIpv4Config *c = nfc_service_get_ipv4_config(s);

		g_variant_builder_add(&b, "{sv}", "Method",
				      g_variant_new_string(nfc_ipv4_method_to_string(c->method)));
		if (c->method == NFC_IPV4_MANUAL) {
			g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(
				inet_ntop(AF_INET, &c->address, buf, sizeof(buf))));
			nfc_prefixlen_to_netmask(c->prefixlen, buf);
			g_variant_builder_add(&b, "{sv}", "Netmask", g_variant_new_string(buf));
			if (c->gateway.s_addr)
				g_variant_builder_add(&b, "{sv}", "Gateway", g_variant_new_string(
					inet_ntop(AF_INET, &c->gateway, buf, sizeof(buf))));
		}
	} else {
		const NfcIpv4State *st = nfc_ipconfig_get_ipv4(nfc_service_get_ipconfig(s));

		if (st->up) {
			g_variant_builder_add(&b, "{sv}", "Method",
					      g_variant_new_string(nfc_ipv4_method_to_string(st->method)));
			g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(
				inet_ntop(AF_INET, &st->address, buf, sizeof(buf))));
			nfc_prefixlen_to_netmask(st->prefixlen, buf);
			g_variant_builder_add(&b, "{sv}", "Netmask", g_variant_new_string(buf));
			if (st->gateway.s_addr)
				g_variant_builder_add(&b, "{sv}", "Gateway", g_variant_new_string(
					inet_ntop(AF_INET, &st->gateway, buf, sizeof(buf))));
		}
	}
	return g_variant_builder_end(&b);
}

static GVariant *ipv6_dict(NfcService *s, bool config)
{
	GVariantBuilder b;
	char buf[INET6_ADDRSTRLEN];
	const NfcIpv6Config *c = nfc_service_get_ipv6_config(s);

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	if (config) {
		g_variant_builder_add(&b, "{sv}", "Method",
				      g_variant_new_string(nfc_ipv6_method_to_string(c->method)));
		if (c->method == NFC_IPV6_MANUAL) {
			g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(
				inet_ntop(AF_INET6, &c->address, buf, sizeof(buf))));
			g_variant_builder_add(&b, "{sv}", "PrefixLength", g_variant_new_byte(c->prefixlen));
			if (memcmp(&c->gateway, &in6addr_any, sizeof(in6addr_any)))
				g_variant_builder_add(&b, "{sv}", "Gateway", g_variant_new_string(
					inet_ntop(AF_INET6, &c->gateway, buf, sizeof(buf))));
		}
		g_variant_builder_add(&b, "{sv}", "Privacy", g_variant_new_string(c->privacy));
	} else {
		const NfcIpv6State *st = nfc_ipconfig_get_ipv6(nfc_service_get_ipconfig(s));

		if (st->up) {
			g_variant_builder_add(&b, "{sv}", "Method",
					      g_variant_new_string(nfc_ipv6_method_to_string(st->method)));
			g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(
				inet_ntop(AF_INET6, &st->address, buf, sizeof(buf))));
			g_variant_builder_add(&b, "{sv}", "PrefixLength", g_variant_new_byte(st->prefixlen));
			if (memcmp(&st->gateway, &in6addr_any, sizeof(in6addr_any)))
				g_variant_builder_add(&b, "{sv}", "Gateway", g_variant_new_string(
					inet_ntop(AF_INET6, &st->gateway, buf, sizeof(buf))));
			g_variant_builder_add(&b, "{sv}", "Privacy", g_variant_new_string(c->privacy));
		}
	}
	return g_variant_builder_end(&b);
}

static GVariant *ethernet_dict(NfcService *s)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Method", g_variant_new_string("auto"));
	g_variant_builder_add(&b, "{sv}", "Interface", g_variant_new_string(nfc_service_get_interface(s)));
	g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(nfc_service_get_mac(s)));
	g_variant_builder_add(&b, "{sv}", "MTU", g_variant_new_uint16(MIN(nfc_service_get_mtu(s), 65535)));
	return g_variant_builder_end(&b);
}

/* ConnMan's order: Servers, Excludes, URL, then Method; an unset
 * configuration is an empty dict. */
static GVariant *proxy_variant(const NfcProxyConfig *c)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	if (c->method == NFC_PROXY_UNSET)
		return g_variant_builder_end(&b);
	if (c->method == NFC_PROXY_MANUAL) {
		g_variant_builder_add(&b, "{sv}", "Servers", strv_variant(c->servers));
		g_variant_builder_add(&b, "{sv}", "Excludes", strv_variant(c->excludes));
	}
	if (c->method == NFC_PROXY_AUTO && c->url)
		g_variant_builder_add(&b, "{sv}", "URL", g_variant_new_string(c->url));
	g_variant_builder_add(&b, "{sv}", "Method",
			      g_variant_new_string(nfc_proxy_method_to_string(c->method)));
	return g_variant_builder_end(&b);
}

/* The lease's option 252 when it is a URL we would accept from a user. */
static const char *dhcp_proxy_url(NfcService *s)
{
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(nfc_service_get_ipconfig(s));

	if (!v4->up || !v4->wpad[0] || !nfc_settings_check_proxy_url(v4->wpad, NULL))
		return NULL;
	return v4->wpad;
}

/* Proxy is empty while not connected, as ConnMan's. */
static GVariant *proxy_dict(NfcService *s, bool config)
{
	NfcProxyConfig none = { NFC_PROXY_UNSET }, effective;

	if (config)
		return proxy_variant(nfc_service_get_proxy_config(s));
	if (!nfc_service_is_connected(s))
		return proxy_variant(&none);
	nfc_proxy_effective(nfc_service_get_proxy_config(s), dhcp_proxy_url(s), &effective);
	return proxy_variant(&effective);
}

/* ConnMan's order of properties */
static const char *const property_names[] = {
	"Type", "Security", "State", "Error", "Favorite", "Immutable", "AutoConnect", "Name",
	"Ethernet", "IPv4", "IPv4.Configuration", "IPv6", "IPv6.Configuration",
	"Nameservers", "Nameservers.Configuration", "Timeservers", "Timeservers.Configuration",
	"Domains", "Domains.Configuration", "Proxy", "Proxy.Configuration", "mDNS",
	"mDNS.Configuration", "Provider",
};

GVariant *nfc_service_dbus_property(NfcService *s, const char *name)
{
	if (g_str_equal(name, "Type"))
		return g_variant_new_string(nfc_service_get_type(s));
	if (g_str_equal(name, "Security"))
		return g_variant_new_strv(NULL, 0);
	if (g_str_equal(name, "State"))
		return g_variant_new_string(nfc_service_state_to_string(nfc_service_get_state(s)));
	if (g_str_equal(name, "Error")) {
		const char *e = nfc_service_error_to_string(nfc_service_get_error(s));

		return e ? g_variant_new_string(e) : NULL;
	}
	if (g_str_equal(name, "Favorite"))
		return g_variant_new_boolean(nfc_service_get_favorite(s));
	if (g_str_equal(name, "Immutable"))
		return g_variant_new_boolean(FALSE);
	if (g_str_equal(name, "AutoConnect"))
		return g_variant_new_boolean(nfc_service_get_autoconnect(s));
	if (g_str_equal(name, "Name"))
		return g_variant_new_string(nfc_service_get_name(s));
	if (g_str_equal(name, "Ethernet"))
		return ethernet_dict(s);
	if (g_str_equal(name, "IPv4"))
		return ipv4_dict(s, false);
	if (g_str_equal(name, "IPv4.Configuration"))
		return ipv4_dict(s, true);
	if (g_str_equal(name, "IPv6"))
		return ipv6_dict(s, false);
	if (g_str_equal(name, "IPv6.Configuration"))
		return ipv6_dict(s, true);
	if (g_str_equal(name, "Nameservers"))
		return owned_strv_variant(nfc_service_get_nameservers(s));
	if (g_str_equal(name, "Nameservers.Configuration"))
		return strv_variant(nfc_service_get_nameservers_config(s));
	if (g_str_equal(name, "Timeservers"))
		return owned_strv_variant(nfc_service_get_timeservers(s));
	if (g_str_equal(name, "Timeservers.Configuration"))
		return strv_variant(nfc_service_get_timeservers_config(s));
	if (g_str_equal(name, "Domains"))
		return owned_strv_variant(nfc_service_get_domains(s));
	if (g_str_equal(name, "Domains.Configuration"))
		return strv_variant(nfc_service_get_domains_config(s));
	if (g_str_equal(name, "Proxy"))
		return proxy_dict(s, false);
	if (g_str_equal(name, "Proxy.Configuration"))
		return proxy_dict(s, true);
	if (g_str_equal(name, "mDNS"))
		return g_variant_new_boolean(nfc_resolved_get_mdns(nfc_service_get_index(s)));
	if (g_str_equal(name, "mDNS.Configuration"))
		return g_variant_new_boolean(nfc_service_get_mdns_config(s));
	if (g_str_equal(name, "Provider"))
		return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
	return NULL;
}

GVariant *nfc_service_dbus_properties(NfcService *s)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (gsize i = 0; i < G_N_ELEMENTS(property_names); i++) {
		GVariant *v = nfc_service_dbus_property(s, property_names[i]);

		if (v)
			g_variant_builder_add(&b, "{sv}", property_names[i], v);
	}
	return g_variant_builder_end(&b);
}

static NfcService *service_of(GDBusMethodInvocation *inv)
{
	const char *path = g_dbus_method_invocation_get_object_path(inv);
	const char *id = strrchr(path, '/');

	return id ? nfc_service_lookup(id + 1) : NULL;
}

#define SERVICE_OR_RETURN(s, inv)                                              \
	NfcService *s = service_of(inv);                                       \
	if (!s) {                                                              \
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_SERVICE);         \
		return G_DBUS_METHOD_INVOCATION_HANDLED;                       \
	}

static gboolean on_get_properties(NfcDbusService *obj, GDBusMethodInvocation *inv, gpointer d)
{
	SERVICE_OR_RETURN(s, inv);
	nfc_dbus_service_complete_get_properties(obj, inv, nfc_service_dbus_properties(s));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* "as" from a variant, or NULL if it is not one */
static char **strv_of(GVariant *v)
{
	if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY))
		return NULL;
	return g_variant_dup_strv(v, NULL);
}

static int parse_ipv4_config(GVariant *dict, NfcIpv4Config *c)
{
	const char *method = NULL, *addr = NULL, *mask = NULL, *gw = NULL;
	guint8 plen = 24;

	if (!g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (!g_variant_lookup(dict, "Method", "&s", &method) ||
	    !nfc_ipv4_method_from_string(method, &c->method))
		return -EINVAL;
	if (c->method != NFC_IPV4_MANUAL)
		return 0;
	g_variant_lookup(dict, "Address", "&s", &addr);
	g_variant_lookup(dict, "Gateway", "&s", &gw);
	if (g_variant_lookup(dict, "Netmask", "&s", &mask) &&
	    !nfc_netmask_to_prefixlen(mask, &plen))
		return -EINVAL;
	return nfc_settings_check_ipv4_manual(addr, plen, gw, c, NULL) ? 0 : -EINVAL;
}

static int parse_ipv6_config(GVariant *dict, NfcIpv6Config *c, const NfcIpv6Config *old)
{
	const char *method = NULL, *addr = NULL, *gw = NULL, *privacy = NULL;
	g_autoptr(GVariant) has_plen = NULL;
	guint8 plen = 64;

	if (!g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	g_strlcpy(c->privacy, old->privacy, sizeof(c->privacy));
	if (!g_variant_lookup(dict, "Method", "&s", &method))
		return -EINVAL;
	if (g_str_equal(method, "dhcp") || g_str_equal(method, "6to4"))
		return -EOPNOTSUPP;
	if (!nfc_ipv6_method_from_string(method, &c->method))
		return -EINVAL;
	if (g_variant_lookup(dict, "Privacy", "&s", &privacy)) {
		if (!nfc_settings_check_privacy(privacy, &privacy, NULL))
			return -EINVAL;
		g_strlcpy(c->privacy, privacy, sizeof(c->privacy));
	}
	if (c->method != NFC_IPV6_MANUAL)
		return 0;
	g_variant_lookup(dict, "Address", "&s", &addr);
	g_variant_lookup(dict, "Gateway", "&s", &gw);
	has_plen = g_variant_lookup_value(dict, "PrefixLength", NULL);
	if (has_plen && !g_variant_lookup(dict, "PrefixLength", "y", &plen))
		return -EINVAL;
	return nfc_settings_check_ipv6_manual(addr, plen, gw, c, NULL) ? 0 : -EINVAL;
}

/* Proxy.Configuration's dict into its parts, then validated as a whole.
 * Keys ConnMan does not know are refused rather than dropped: a client
 * that sends one expects it to mean something. */
static gboolean parse_proxy_config(GVariant *dict, NfcProxyConfig *config, GError **error)
{
	g_auto(GStrv) servers = NULL, excludes = NULL;
	const char *method = NULL, *url = NULL;
	GVariantIter iter;
	const char *key;
	GVariant *value;

	if (!g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT)) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "not a dictionary");
		return FALSE;
	}
	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autoptr(GVariant) v = value;
		bool is_str = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING);
		bool is_strv = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY);
		const char *want = NULL;

		if (g_str_equal(key, "Method") || g_str_equal(key, "URL")) {
			if (!is_str)
				want = "a string";
			else if (key[0] == 'M')
				method = g_variant_get_string(v, NULL);
			else
				url = g_variant_get_string(v, NULL);
		} else if (g_str_equal(key, "Servers") || g_str_equal(key, "Excludes")) {
			if (!is_strv)
				want = "a list of strings";
			else if (key[0] == 'S')
				servers = (g_strfreev(servers), g_variant_dup_strv(v, NULL));
			else
				excludes = (g_strfreev(excludes), g_variant_dup_strv(v, NULL));
		} else {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "unknown key (known: Method, Servers, Excludes, URL)");
			return FALSE;
		}
		if (want) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "%s is not %s", key, want);
			return FALSE;
		}
	}
	/* the strings borrowed from dict live as long as the call */
	return nfc_settings_check_proxy(method, servers, excludes, url, config, error);
}

typedef struct {
	GDBusMethodInvocation *inv;
	char *service;
	bool enabled;
} MdnsCall;

static void on_mdns_done(const GError *error, void *data)
{
	MdnsCall *c = data;
	NfcService *s = nfc_service_lookup(c->service);
	int r;

	if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)) {
		nfc_dbus_return_error_printf(c->inv, NFC_ERROR_NOT_SUPPORTED,
					     "mDNS needs systemd-resolved, which is not running");
	} else if (error) {
		nfc_dbus_return_error_printf(c->inv, NFC_ERROR_FAILED,
					     "systemd-resolved did not take the mDNS setting: %s",
					     error->message);
	} else if (!s) {
		nfc_dbus_return_error(c->inv, NFC_ERROR_INVALID_SERVICE);
	} else if ((r = nfc_service_set_mdns_config(s, c->enabled)) < 0) {
		/* not stored: neither may it stay in effect */
		nfc_resolved_set_mdns(nfc_service_get_index(s), !c->enabled, NULL, NULL);
		nfc_dbus_return_errno(c->inv, r);
	} else {
		g_dbus_method_invocation_return_value(c->inv, NULL);
	}
	g_free(c->service);
	g_free(c);
}

/* Answered once resolved has answered (and the link's setting is read
 * back), so that mDNS is current when the caller hears success. */
static void set_mdns(NfcService *s, GDBusMethodInvocation *inv, GVariant *v)
{
	MdnsCall *c;

	if (!g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
		nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS,
					     "mDNS.Configuration: not a boolean");
		return;
	}
	if (!nfc_resolved_available()) {
		nfc_dbus_return_error_printf(inv, NFC_ERROR_NOT_SUPPORTED,
					     "mDNS needs systemd-resolved, which is not running");
		return;
	}
	c = g_new0(MdnsCall, 1);
	c->inv = inv;
	c->service = g_strdup(nfc_service_get_identifier(s));
	c->enabled = g_variant_get_boolean(v);
	nfc_resolved_set_mdns(nfc_service_get_index(s), c->enabled, on_mdns_done, c);
}

static gboolean on_set_property(NfcDbusService *obj, GDBusMethodInvocation *inv,
				const char *name, GVariant *boxed, gpointer d)
{
	g_autoptr(GVariant) v = g_variant_get_variant(boxed);
	g_auto(GStrv) list = NULL;
	int r = 0;

	SERVICE_OR_RETURN(s, inv);
	if (g_str_equal(name, "AutoConnect")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
			r = -EINVAL;
		else
			r = nfc_service_set_autoconnect(s, g_variant_get_boolean(v));
		if (r == -ENOENT) {
			nfc_dbus_return_error(inv, NFC_ERROR_INVALID_SERVICE);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
	} else if (g_str_equal(name, "Nameservers.Configuration") ||
		   g_str_equal(name, "Timeservers.Configuration") ||
		   g_str_equal(name, "Domains.Configuration")) {
		g_autoptr(GError) error = NULL;
		NfcSettingsList kind = g_str_equal(name, "Nameservers.Configuration") ?
				       NFC_SETTINGS_NAMESERVERS :
				       g_str_equal(name, "Timeservers.Configuration") ?
				       NFC_SETTINGS_TIMESERVERS : NFC_SETTINGS_DOMAINS;

		list = strv_of(v);
		if (!list) {
			r = -EINVAL;
		} else if (!nfc_settings_check_list(kind, list, &error)) {
			/* the reason names no entry: it may be anything */
			nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS, "%s: %s",
						     name, error->message);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		} else if (kind == NFC_SETTINGS_NAMESERVERS) {
			r = nfc_service_set_nameservers_config(s, list);
		} else if (kind == NFC_SETTINGS_TIMESERVERS) {
			r = nfc_service_set_timeservers_config(s, list);
		} else {
			r = nfc_service_set_domains_config(s, list);
		}
	} else if (g_str_equal(name, "IPv4.Configuration")) {
		NfcIpv4Config c;

		r = parse_ipv4_config(v, &c);
		if (!r)
			r = nfc_service_set_ipv4_config(s, &c);
	} else if (g_str_equal(name, "IPv6.Configuration")) {
		NfcIpv6Config c;

		r = parse_ipv6_config(v, &c, nfc_service_get_ipv6_config(s));
		if (!r)
			r = nfc_service_set_ipv6_config(s, &c);
	} else if (g_str_equal(name, "Proxy.Configuration")) {
		g_autoptr(GError) error = NULL;
		NfcProxyConfig c;

		if (!parse_proxy_config(v, &c, &error)) {
			nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS, "%s: %s",
						     name, error->message);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
		r = nfc_service_set_proxy_config(s, &c);
		nfc_proxy_config_clear(&c);
	} else if (g_str_equal(name, "mDNS.Configuration")) {
		set_mdns(s, inv, v);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	} else {
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_PROPERTY);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		nfc_dbus_service_complete_set_property(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_clear_property(NfcDbusService *obj, GDBusMethodInvocation *inv,
				  const char *name, gpointer d)
{
	SERVICE_OR_RETURN(s, inv);
	if (!g_str_equal(name, "Error")) {
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_PROPERTY);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	nfc_service_clear_error(s);
	nfc_dbus_service_complete_clear_property(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_connect(NfcDbusService *obj, GDBusMethodInvocation *inv, gpointer d)
{
	int r;

	SERVICE_OR_RETURN(s, inv);
	r = nfc_service_connect(s);
	if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		nfc_dbus_service_complete_connect(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_disconnect(NfcDbusService *obj, GDBusMethodInvocation *inv, gpointer d)
{
	int r;

	SERVICE_OR_RETURN(s, inv);
	r = nfc_service_disconnect(s);
	if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		nfc_dbus_service_complete_disconnect(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_remove(NfcDbusService *obj, GDBusMethodInvocation *inv, gpointer d)
{
	SERVICE_OR_RETURN(s, inv);
	/* ethernet services exist while the cable is in: nothing to forget */
	nfc_dbus_return_error(inv, NFC_ERROR_NOT_SUPPORTED);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean move(GDBusMethodInvocation *inv, const char *target_path, bool before)
{
	const char *id = strrchr(target_path, '/');
	NfcService *target = id ? nfc_service_lookup(id + 1) : NULL;
	int r;

	SERVICE_OR_RETURN(s, inv);
	if (!target || !g_str_has_prefix(target_path, "/net/connman/service/")) {
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_SERVICE);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	r = nfc_service_move(s, target, before);
	if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		g_dbus_method_invocation_return_value(inv, NULL);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_move_before(NfcDbusService *obj, GDBusMethodInvocation *inv,
			       const char *target, gpointer d)
{
	return move(inv, target, true);
}

static gboolean on_move_after(NfcDbusService *obj, GDBusMethodInvocation *inv,
			      const char *target, gpointer d)
{
	return move(inv, target, false);
}

static gboolean on_reset_counters(NfcDbusService *obj, GDBusMethodInvocation *inv, gpointer d)
{
	SERVICE_OR_RETURN(s, inv);
	nfc_counter_reset_service(nfc_service_get_identifier(s));
	nfc_dbus_service_complete_reset_counters(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_added(NfcService *s, void *user_data)
{
	NfcDbusService *obj = nfc_dbus_service_skeleton_new();

	g_signal_connect(obj, "handle-get-properties", G_CALLBACK(on_get_properties), NULL);
	g_signal_connect(obj, "handle-set-property", G_CALLBACK(on_set_property), NULL);
	g_signal_connect(obj, "handle-clear-property", G_CALLBACK(on_clear_property), NULL);
	g_signal_connect(obj, "handle-connect", G_CALLBACK(on_connect), NULL);
	g_signal_connect(obj, "handle-disconnect", G_CALLBACK(on_disconnect), NULL);
	g_signal_connect(obj, "handle-remove", G_CALLBACK(on_remove), NULL);
	g_signal_connect(obj, "handle-move-before", G_CALLBACK(on_move_before), NULL);
	g_signal_connect(obj, "handle-move-after", G_CALLBACK(on_move_after), NULL);
	g_signal_connect(obj, "handle-reset-counters", G_CALLBACK(on_reset_counters), NULL);
	nfc_dbus_objects_add(objects, s, G_DBUS_INTERFACE_SKELETON(obj), nfc_service_get_path(s));
}

static void on_removed(NfcService *s, void *user_data)
{
	nfc_dbus_objects_remove(objects, s);
}

static void on_changed(NfcService *s, const char *property, void *user_data)
{
	NfcDbusService *obj = objects ? nfc_dbus_objects_lookup(objects, s) : NULL;
	GVariant *v;

	if (!obj)
		return;
	v = nfc_service_dbus_property(s, property);
	if (!v && g_str_equal(property, "Error"))
		v = g_variant_new_string(""); /* cleared */
	if (v)
		nfc_dbus_service_emit_property_changed(obj, property, g_variant_new_variant(v));
}

static void on_mdns_changed(int ifindex)
{
	NfcService *s = nfc_service_lookup_by_index(ifindex);

	if (s)
		on_changed(s, "mDNS", NULL);
}

void nfc_service_dbus_init(GDBusConnection *conn)
{
	static const NfcServiceWatch w = {
		.added = on_added,
		.removed = on_removed,
		.changed = on_changed,
	};

	objects = nfc_dbus_objects_new(conn, "/net/connman/service", nfc_dbus_service_interface_info(), service_children);
	watch_id = nfc_service_watch_add(&w, NULL);
	nfc_resolved_init(conn, on_mdns_changed);
}

void nfc_service_dbus_cleanup(void)
{
	if (!objects)
		return;
	nfc_resolved_cleanup();
	nfc_service_watch_remove(watch_id);
	g_clear_pointer(&objects, nfc_dbus_objects_free);
}
