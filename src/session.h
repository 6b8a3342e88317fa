/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sessions: an application's request for connectivity. The core keeps
 * each session's identity, settings and policy, picks its service and
 * tells watchers (the D-Bus layer for Update, the policy engine for the
 * kernel side) whenever something of it changes. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "service.h"
#include "session-settings.h"

typedef struct NfcSession NfcSession;

typedef enum {
	NFC_SESSION_DISCONNECTED,
	NFC_SESSION_CONNECTED,
	NFC_SESSION_ONLINE,
} NfcSessionState;

typedef struct {
	void (*created)(NfcSession *session, void *user_data);
	/* anything notifiable may have changed: settings, service, state */
	void (*changed)(NfcSession *session, void *user_data);
	void (*destroyed)(NfcSession *session, void *user_data);
} NfcSessionWatch;

void nfc_session_init(void);
void nfc_session_cleanup(void);

/* The table is copied; see watchlist.h for what a watcher may do while
 * it is called. */
unsigned int nfc_session_watch_add(const NfcSessionWatch *watch, void *user_data);
void nfc_session_watch_remove(unsigned int id);

/* path: the D-Bus object path; owner: the creator's unique bus name.
 * Takes the settings and the identity (cleared on return). Fails with
 * -EEXIST (path in use), -EMLINK (per-client limit), -EDQUOT (per-uid
 * limit), -EUSERS (total limit: uid 0's sessions are not counted). */
int nfc_session_create(const char *path, const char *owner, const char *notifier,
		       NfcSessionSettings *settings, NfcIdentity *identity,
		       NfcSession **out);
void nfc_session_destroy(NfcSession *session);
/* All sessions of a client that left the bus. */
void nfc_session_destroy_owner(const char *owner);

NfcSession *nfc_session_lookup(const char *path);
guint nfc_session_count(void);
guint nfc_session_count_owner(const char *owner);
guint nfc_session_count_uid(uid_t uid);
/* Iterate over all sessions (order unspecified). */
void nfc_session_foreach(void (*func)(NfcSession *s, void *user_data), void *user_data);

int nfc_session_change(NfcSession *s, const char *name, GVariant *value);
/* The policy engine's veto on Change: FALSE, with the reason, when it
 * cannot steer the settings next as asked. */
typedef gboolean (*NfcSessionChangeCheck)(NfcSession *s, const NfcSessionSettings *next,
					  GError **error);
void nfc_session_set_change_check(NfcSessionChangeCheck check);
/* Would the veto let Change(name, value) through? An invalid value
 * passes here: nfc_session_change refuses it. */
gboolean nfc_session_change_allowed(NfcSession *s, const char *name, GVariant *value,
				    GError **error);
void nfc_session_connect(NfcSession *s);
void nfc_session_disconnect(NfcSession *s);

const char *nfc_session_get_path(NfcSession *s);
const char *nfc_session_get_owner(NfcSession *s);
const char *nfc_session_get_notifier(NfcSession *s);
const NfcIdentity *nfc_session_get_identity(NfcSession *s);
const NfcSessionSettings *nfc_session_get_settings(NfcSession *s);
const NfcPolicyConfig *nfc_session_get_policy(NfcSession *s); /* NULL: defaults */
char **nfc_session_get_bearers(NfcSession *s);      /* effective, owned */
NfcConnType nfc_session_get_type(NfcSession *s);    /* effective */
const char *nfc_session_get_interface(NfcSession *s); /* effective, NULL = any */
NfcService *nfc_session_get_service(NfcSession *s);
NfcSessionState nfc_session_get_state(NfcSession *s);
const char *nfc_session_state_to_string(NfcSessionState state);
/* A small number, unique among live sessions (reused after destroy):
 * the session part of the packet mark. 1-based. */
uint32_t nfc_session_get_id(NfcSession *s);
/* Does this session get per-app routing (a policy matched it, or it
 * pinned an interface or asked for a source rule)? */
bool nfc_session_is_steered(NfcSession *s);

/* Room for the D-Bus layer's per-session delta state. */
uint32_t *nfc_session_sent_hashes(NfcSession *s); /* 11 slots */
bool nfc_session_get_initial_sent(NfcSession *s);
void nfc_session_set_initial_sent(NfcSession *s);
