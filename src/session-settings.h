/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session settings: parsing and validation of what a client sends, the
 * policy overlay, and service selection. Pure functions, no D-Bus, no
 * kernel: the session module and the unit tests share them. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
	NFC_CONN_ANY,
	NFC_CONN_LOCAL,
	NFC_CONN_INTERNET,
} NfcConnType;

typedef struct {
	char **bearers;          /* user's list in order; may contain "*"; NULL = default ("*") */
	NfcConnType type;
	char *interface;         /* NULL or "" or "*" = any */
	bool source_ip_rule;
	char *context_identifier;
} NfcSessionSettings;

/* What policy allows; NULL lists mean "everything". */
typedef struct {
	char **bearers;          /* ordered set; NULL = all known bearers */
	bool has_type;
	NfcConnType type;        /* overrides the user's unless any */
	char *interface;         /* overrides the user's when set */
} NfcSessionPolicy;

extern const char *const nfc_session_known_bearers[]; /* ethernet, wifi, bluetooth, cellular, gadget, vpn */

void nfc_session_settings_clear(NfcSessionSettings *s);
void nfc_session_settings_copy(NfcSessionSettings *dst, const NfcSessionSettings *src);

/* Parse CreateSession's a{sv}. Unknown keys, wrong types, unknown bearers
 * and unknown connection types are -EINVAL with *bad_key naming the key. */
int nfc_session_settings_parse(GVariant *dict, NfcSessionSettings *out, const char **bad_key);
/* Apply Change(name, value); ContextIdentifier and unknown names are
 * -EINVAL. On error s is unchanged. */
int nfc_session_settings_change(NfcSessionSettings *s, const char *name, GVariant *value);

const char *nfc_conn_type_to_string(NfcConnType t);
bool nfc_conn_type_from_string(const char *s, NfcConnType *t);

/* The effective values: the user's bearer order filtered by the policy's
 * set ("*" expands to the policy's remaining bearers in policy order);
 * the policy's type/interface where it sets one. Caller frees. */
char **nfc_session_effective_bearers(const NfcSessionSettings *s, const NfcSessionPolicy *p);
NfcConnType nfc_session_effective_type(const NfcSessionSettings *s, const NfcSessionPolicy *p);
const char *nfc_session_effective_interface(const NfcSessionSettings *s, const NfcSessionPolicy *p);

/* A candidate uplink for selection, in service order (best first). */
typedef struct {
	const char *type;
	const char *ifname;
	bool ready;   /* ready or online */
	bool online;
} NfcSelectCandidate;

/* Index of the service for a session, or -1: the first bearer of the
 * effective order that has a matching service wins; within a bearer, the
 * first in service order. internet sessions need online services. */
int nfc_session_select(char **bearers, NfcConnType type, const char *interface,
		       const NfcSelectCandidate *candidates, int n);
