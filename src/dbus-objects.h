/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A set of exported skeletons under one parent path (services under
 * /net/connman/service, technologies under /net/connman/technology), each
 * keyed by the model object it shows; calls to children that do not exist
 * answer UnknownObject. */
#pragma once

#include <gio/gio.h>

typedef struct NfcDbusObjects NfcDbusObjects;

NfcDbusObjects *nfc_dbus_objects_new(GDBusConnection *conn, const char *parent_path,
				     GDBusInterfaceInfo *iface, char **(*children)(void));
/* Unexports every skeleton and frees the set. */
void nfc_dbus_objects_free(NfcDbusObjects *objs);

/* Export skeleton (taking it) at path for key; false (logged) on error. */
gboolean nfc_dbus_objects_add(NfcDbusObjects *objs, gpointer key,
			      GDBusInterfaceSkeleton *skeleton, const char *path);
void nfc_dbus_objects_remove(NfcDbusObjects *objs, gpointer key);
gpointer nfc_dbus_objects_lookup(NfcDbusObjects *objs, gpointer key);
