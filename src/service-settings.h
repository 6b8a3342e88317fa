/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-service settings: the validators shared by the D-Bus setters and
 * the settings-file loader, so that a value SetProperty refuses can never
 * come back in through a (hand-edited or corrupt) settings file, and the
 * pure keyfile → settings step of loading. */
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

/* What a settings file holds for one service, validated. */
typedef struct {
	bool autoconnect;
	NfcIpv4Config v4;
	NfcIpv6Config v6;
	struct in_addr last_dhcp;
	char **nameservers; /* never NULL, possibly empty */
	char **timeservers;
	char **domains;
} NfcServiceSettings;

/* Read group `service` of kf (kf may be empty). Invalid values are dropped
 * with a warning naming the service, the key and what was wrong; a bad
 * manual configuration falls back to dhcp (IPv4) or auto (IPv6). */
void nfc_service_settings_load(GKeyFile *kf, const char *service, NfcServiceSettings *out);
void nfc_service_settings_clear(NfcServiceSettings *settings);
