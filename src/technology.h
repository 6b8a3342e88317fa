/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Technologies (ethernet, ...): one per type while at least one device of
 * that type exists. Powered is the user's wish (persisted) combined with
 * OfflineMode; a driver (the plugin) makes it so. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct NfcTechnology NfcTechnology;

typedef struct {
	const char *type;                 /* "ethernet" */
	const char *name;                 /* "Wired" */
	/* power the devices of this type up or down; 0 or negative errno */
	int (*set_powered)(bool powered);
	/* Tethering (NULL: the technology cannot tether). on: lend the ports
	 * (see the driver) to the bridge bridge_index, their services go away;
	 * -ENODEV if there is no port to lend. off: take them back, their
	 * services return. Returns 0 and calls done once when the kernel
	 * changes are made (or failed: then what was lent is taken back), or a
	 * negative errno at once (no callback). */
	int (*set_tethering)(bool on, int bridge_index, void (*done)(int error, void *user_data),
			     void *user_data);
	/* The ports lent now (NULL-terminated, caller frees). */
	char **(*get_tether_ports)(void);
} NfcTechnologyDriver;

typedef struct {
	void (*added)(NfcTechnology *tech, void *user_data);
	void (*removed)(NfcTechnology *tech, void *user_data);
	void (*changed)(NfcTechnology *tech, const char *property, void *user_data);
} NfcTechnologyWatch;

void nfc_technology_init(void);
void nfc_technology_cleanup(void);

int nfc_technology_driver_register(const NfcTechnologyDriver *driver);
void nfc_technology_driver_unregister(const NfcTechnologyDriver *driver);

/* The plugin's devices come and go. */
void nfc_technology_device_added(const char *type);
void nfc_technology_device_removed(const char *type);

/* The table is copied; see watchlist.h for what a watcher may do while
 * it is called. */
unsigned int nfc_technology_watch_add(const NfcTechnologyWatch *watch, void *user_data);
void nfc_technology_watch_remove(unsigned int id);

NfcTechnology *nfc_technology_lookup(const char *type);
/* in a fixed order (by type name); owned by the module */
GList *nfc_technology_get_list(void);

const char *nfc_technology_get_type(NfcTechnology *tech);
const char *nfc_technology_get_name(NfcTechnology *tech);
const char *nfc_technology_get_path(NfcTechnology *tech);
bool nfc_technology_get_powered(NfcTechnology *tech);
bool nfc_technology_get_connected(NfcTechnology *tech);
bool nfc_technology_get_tethering(NfcTechnology *tech);
/* The ports its driver has lent to the bridge now (NULL-terminated,
 * caller frees; NULL when it lends none or cannot tether). */
char **nfc_technology_get_tether_ports(NfcTechnology *tech);

/* User request: -EALREADY when it already is so (the D-Bus layer answers
 * AlreadyEnabled/AlreadyDisabled), else 0 or negative errno. */
int nfc_technology_set_powered(NfcTechnology *tech, bool powered);
/* User request: answered through done once tethering is up (or failed,
 * with everything undone), NULL error = success. Checks as ConnMan's
 * (spec tethering §1): TetheringTechnologies (NOT_SUPPORTED), already so
 * (ALREADY_ENABLED/DISABLED), not powered (PERMISSION_DENIED); the error
 * carries NFC_ERROR codes (dbus-error.h) with a message that says why.
 * Saves the Tethering flag on success (PersistentTetheringMode). */
void nfc_technology_set_tethering(NfcTechnology *tech, bool on,
				  void (*done)(const GError *error, void *user_data),
				  void *user_data);
/* Would the driver be powered if a device appeared now? */
bool nfc_technology_type_powered(const char *type);
