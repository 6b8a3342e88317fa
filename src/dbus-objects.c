// SPDX-License-Identifier: GPL-2.0-or-later
#include "dbus-objects.h"

#include "dbus-error.h"
#include "log.h"

struct NfcDbusObjects {
	GDBusConnection *conn;
	GHashTable *skeletons; /* key → GDBusInterfaceSkeleton* */
	guint unknown_id;
};

NfcDbusObjects *nfc_dbus_objects_new(GDBusConnection *conn, const char *parent_path,
				     GDBusInterfaceInfo *iface, char **(*children)(void))
{
	NfcDbusObjects *objs = g_new0(NfcDbusObjects, 1);

	objs->conn = g_object_ref(conn);
	objs->skeletons = g_hash_table_new_full(NULL, NULL, NULL, g_object_unref);
	objs->unknown_id = nfc_dbus_register_unknown_children(conn, parent_path, iface, children);
	return objs;
}

void nfc_dbus_objects_free(NfcDbusObjects *objs)
{
	GHashTableIter it;
	gpointer value;

	if (!objs)
		return;
	if (objs->unknown_id)
		g_dbus_connection_unregister_subtree(objs->conn, objs->unknown_id);
	g_hash_table_iter_init(&it, objs->skeletons);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_dbus_interface_skeleton_unexport(value);
	g_hash_table_unref(objs->skeletons);
	g_object_unref(objs->conn);
	g_free(objs);
}

gboolean nfc_dbus_objects_add(NfcDbusObjects *objs, gpointer key,
			      GDBusInterfaceSkeleton *skeleton, const char *path)
{
	g_autoptr(GError) error = NULL;

	if (!g_dbus_interface_skeleton_export(skeleton, objs->conn, path, &error)) {
		nfc_error("cannot export %s: %s", path, error->message);
		g_object_unref(skeleton);
		return FALSE;
	}
	g_hash_table_insert(objs->skeletons, key, skeleton);
	return TRUE;
}

void nfc_dbus_objects_remove(NfcDbusObjects *objs, gpointer key)
{
	GDBusInterfaceSkeleton *skeleton = g_hash_table_lookup(objs->skeletons, key);

	if (!skeleton)
		return;
	g_dbus_interface_skeleton_unexport(skeleton);
	g_hash_table_remove(objs->skeletons, key);
}

gpointer nfc_dbus_objects_lookup(NfcDbusObjects *objs, gpointer key)
{
	return g_hash_table_lookup(objs->skeletons, key);
}
