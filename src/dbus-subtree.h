/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Objects at paths of any depth below a prefix, all with the same
 * interfaces, served by GDBus from the interfaces' info (introspection,
 * argument checks) without a registration per object: the session objects,
 * whose paths are as deep as their clients' notifier paths. */
#pragma once

#include <gio/gio.h>

typedef struct NfcDbusSubtree NfcDbusSubtree;

typedef struct {
	/* every method call to an object; user_data is NULL */
	GDBusInterfaceVTable vtable;
	/* is there an object at path (added, not yet removed)? */
	gboolean (*exists)(const char *path);
} NfcDbusSubtreeOps;

/* infos: NULL-terminated, what every object implements; ops: static. */
NfcDbusSubtree *nfc_dbus_subtree_new(GDBusConnection *conn, GDBusInterfaceInfo *const *infos,
				     const NfcDbusSubtreeOps *ops);
/* Stops serving every object. */
void nfc_dbus_subtree_free(NfcDbusSubtree *tree);

/* Serve the object at path from now on (before its path is handed out);
 * remove it when it is gone (as often as it was added). Introspection
 * lists what was added: a parent's children come from an index kept here. A path without an object answers as GDBus
 * answers for any path it does not serve (UnknownMethod). */
gboolean nfc_dbus_subtree_add(NfcDbusSubtree *tree, const char *path, GError **error);
void nfc_dbus_subtree_remove(NfcDbusSubtree *tree, const char *path);
