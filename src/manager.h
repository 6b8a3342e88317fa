/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager: global state (State, OfflineMode, SessionMode) and the
 * place where the D-Bus layer learns that one of them changed. */
#pragma once

#include <stdbool.h>

typedef enum {
	NFC_MANAGER_IDLE,
	NFC_MANAGER_OFFLINE,
	NFC_MANAGER_READY,
	NFC_MANAGER_ONLINE,
} NfcManagerState;

typedef struct {
	/* property: "State" or "OfflineMode" */
	void (*changed)(const char *property, void *user_data);
} NfcManagerWatch;

void nfc_manager_init(void);
void nfc_manager_cleanup(void);

NfcManagerState nfc_manager_get_state(void);
const char *nfc_manager_state_to_string(NfcManagerState state);

bool nfc_manager_get_offline_mode(void);
/* Persists the value; returns 0 or a negative errno. */
int nfc_manager_set_offline_mode(bool offline);

bool nfc_manager_get_session_mode(void);
void nfc_manager_set_session_mode(bool enabled);

/* The connectivity of the best service, as services report it. */
void nfc_manager_set_connectivity(bool ready, bool online);

/* The table is copied; see watchlist.h for what a watcher may do while
 * it is called. */
unsigned int nfc_manager_watch_add(const NfcManagerWatch *watch, void *user_data);
void nfc_manager_watch_remove(unsigned int id);
