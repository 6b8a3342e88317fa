/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-service settings: the validators shared by the D-Bus setters and
 * the settings-file loader, so that a value SetProperty refuses can never
 * come back in through a (hand-edited or corrupt) settings file, and the
 * pure keyfile → settings step of loading (and, for the proxy, of
 * saving). */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "ipconfig.h"

typedef enum {
	NFC_SETTINGS_NAMESERVERS, /* IP addresses */
	NFC_SETTINGS_TIMESERVERS, /* IP addresses or host names */
	NFC_SETTINGS_DOMAINS,     /* domain names (IP addresses pass, as before) */
} NfcSettingsList;

/* At most this many entries in Nameservers/Timeservers/Domains.Configuration:
 * SetProperty refuses longer lists, loading keeps the first ones. resolv.conf
 * gets them all on one search line (glibc >= 2.26 reads any number; older
 * glibc and other resolvers may read only the first 6 or 256 characters). */
#define NFC_SETTINGS_LIST_MAX 64

/* One entry of a list; the error says what is wrong without quoting it. */
gboolean nfc_settings_check_entry(NfcSettingsList kind, const char *entry, GError **error);
/* Every entry of a list, and at most NFC_SETTINGS_LIST_MAX of them (the
 * D-Bus path: all or nothing). */
gboolean nfc_settings_check_list(NfcSettingsList kind, char **list, GError **error);

/* A manual IPv4/IPv6 configuration from its parts (gateway NULL or "":
 * none); fills *config (method manual) only when all of it is valid. */
gboolean nfc_settings_check_ipv4_manual(const char *address, int prefixlen,
					const char *gateway, NfcIpv4Config *config,
					GError **error);
gboolean nfc_settings_check_ipv6_manual(const char *address, int prefixlen,
					const char *gateway, NfcIpv6Config *config,
					GError **error);
/* IPv6 privacy; "preferred" is accepted for the historical "prefered".
 * *canonical is the stored spelling. */
gboolean nfc_settings_check_privacy(const char *privacy, const char **canonical, GError **error);

/* An untrusted value made safe for one log line: escaped (no newline or
 * control character survives) and cut short. Caller frees. */
char *nfc_settings_quote(const char *value);

/* Proxy.Configuration. NFC_PROXY_UNSET is "no configuration": the Proxy
 * property then follows the network (auto with the DHCP option 252 URL,
 * else direct). */
typedef enum {
	NFC_PROXY_UNSET,
	NFC_PROXY_DIRECT,
	NFC_PROXY_MANUAL,
	NFC_PROXY_AUTO,
} NfcProxyMethod;

typedef struct {
	NfcProxyMethod method;
	char **servers;  /* manual: one at least; NULL otherwise */
	char **excludes; /* manual: possibly empty; NULL otherwise */
	char *url;       /* auto: the PAC file, NULL for "the network's" */
} NfcProxyConfig;

/* The D-Bus names: "direct", "manual", "auto" (UNSET has none: NULL). */
const char *nfc_proxy_method_to_string(NfcProxyMethod method);
bool nfc_proxy_method_from_string(const char *s, NfcProxyMethod *method);

/* One Servers entry: [scheme://]host[:port][/] with a proxy scheme (http,
 * https, socks, socks4, socks4a, socks5, socks5h). */
gboolean nfc_settings_check_proxy_server(const char *server, GError **error);
/* One Excludes entry: a host, domain suffix (".example"), wildcard
 * ("*.example") or network ("192.0.2.0/24", "[2001:db8::1]"). */
gboolean nfc_settings_check_proxy_exclude(const char *exclude, GError **error);
/* A PAC file URL: http or https with a host, or file with an absolute path. */
gboolean nfc_settings_check_proxy_url(const char *url, GError **error);
/* A whole configuration from its parts (method NULL: missing). What the
 * method does not use is ignored; a url of "" is none. Fills *config
 * (owned, clear it) only when all of it is valid; the error says which
 * part is wrong and why, without quoting it. */
gboolean nfc_settings_check_proxy(const char *method, char **servers, char **excludes,
				  const char *url, NfcProxyConfig *config, GError **error);
void nfc_proxy_config_clear(NfcProxyConfig *config);
void nfc_proxy_config_copy(NfcProxyConfig *dst, const NfcProxyConfig *src);
bool nfc_proxy_config_equal(const NfcProxyConfig *a, const NfcProxyConfig *b);
/* ConnMan's keys: Proxy.Method, Proxy.Servers, Proxy.Excludes, Proxy.URL
 * (nothing for UNSET). */
void nfc_proxy_config_save(const NfcProxyConfig *config, GKeyFile *kf, const char *group);

/* What the Proxy property shows while connected, given the configuration
 * and the URL of the DHCP lease (NULL or "": none): the configuration
 * when it is direct, manual, or auto with a URL; else auto with the DHCP
 * URL when there is one, else direct. *out borrows from its inputs. */
void nfc_proxy_effective(const NfcProxyConfig *config, const char *dhcp_url,
			 NfcProxyConfig *out);

/* What a settings file holds for one service, validated. */
typedef struct {
	bool autoconnect;
	NfcIpv4Config v4;
	NfcIpv6Config v6;
	struct in_addr last_dhcp;
	char **nameservers; /* never NULL, possibly empty */
	char **timeservers;
	char **domains;
	NfcProxyConfig proxy;
	bool mdns;
} NfcServiceSettings;

/* Read group `service` of kf (kf may be empty). Invalid values are dropped
 * with a warning naming the service, the key and what was wrong; a bad
 * manual configuration falls back to dhcp (IPv4) or auto (IPv6). */
void nfc_service_settings_load(GKeyFile *kf, const char *service, NfcServiceSettings *out);
void nfc_service_settings_clear(NfcServiceSettings *settings);
