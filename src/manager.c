// SPDX-License-Identifier: GPL-2.0-or-later
#include "manager.h"

#include <errno.h>

#include <glib.h>

#include "log.h"
#include "storage.h"
#include "string-table.h"
#include "watchlist.h"

#define SETTINGS "settings"
#define GLOBAL "global"

static bool offline_mode;
static bool session_mode;
static bool any_ready;
static bool any_online;
static NfcManagerState state = NFC_MANAGER_IDLE;
static NfcWatchList watches;

static void notify(const char *property)
{
	NFC_WATCH_LIST_NOTIFY(&watches, NfcManagerWatch, changed, property);
}

/* ConnMan's order: a connected service wins over OfflineMode, because a
 * technology can be re-enabled while offline. */
static NfcManagerState evaluate(void)
{
	if (any_online)
		return NFC_MANAGER_ONLINE;
	if (any_ready)
		return NFC_MANAGER_READY;
	if (offline_mode)
		return NFC_MANAGER_OFFLINE;
	return NFC_MANAGER_IDLE;
}

static void update_state(void)
{
	NfcManagerState s = evaluate();

	if (s == state)
		return;
	nfc_debug("state %s -> %s", nfc_manager_state_to_string(state),
		  nfc_manager_state_to_string(s));
	state = s;
	notify("State");
}

void nfc_manager_init(void)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);
	g_autoptr(GError) error = NULL;

	offline_mode = g_key_file_get_boolean(kf, GLOBAL, "OfflineMode", &error);
	if (error && !g_error_matches(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND) &&
	    !g_error_matches(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
		nfc_warn("settings: OfflineMode: %s; using false", error->message);
	state = evaluate();
}

void nfc_manager_cleanup(void)
{
	nfc_watch_list_clear(&watches);
}

NfcManagerState nfc_manager_get_state(void)
{
	return state;
}

static const char *const state_names[] = {
	[NFC_MANAGER_IDLE] = "idle",
	[NFC_MANAGER_OFFLINE] = "offline",
	[NFC_MANAGER_READY] = "ready",
	[NFC_MANAGER_ONLINE] = "online",
};

NFC_STRING_TABLE_TO_STRING(nfc_manager_state, NfcManagerState, state_names, "idle")

bool nfc_manager_get_offline_mode(void)
{
	return offline_mode;
}

int nfc_manager_set_offline_mode(bool offline)
{
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(GError) error = NULL;

	if (offline == offline_mode)
		return 0;

	/* persist first: a value we could not store is not set */
	kf = nfc_storage_load(SETTINGS);
	g_key_file_set_boolean(kf, GLOBAL, "OfflineMode", offline);
	if (!nfc_storage_save(SETTINGS, kf, &error)) {
		nfc_error("cannot save OfflineMode: %s", error->message);
		return -EIO;
	}
	offline_mode = offline;
	nfc_info("offline mode %s", offline ? "on" : "off");
	notify("OfflineMode");
	update_state();
	return 0;
}

bool nfc_manager_get_session_mode(void)
{
	return session_mode;
}

void nfc_manager_set_session_mode(bool enabled)
{
	/* deprecated in ConnMan's API: stored and reported, no effect */
	session_mode = enabled;
}

void nfc_manager_set_connectivity(bool ready, bool online)
{
	any_ready = ready || online;
	any_online = online;
	update_state();
}

unsigned int nfc_manager_watch_add(const NfcManagerWatch *watch, void *user_data)
{
	return nfc_watch_list_add(&watches, watch, sizeof(*watch), user_data, NULL);
}

void nfc_manager_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&watches, id);
}
