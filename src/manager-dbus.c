// SPDX-License-Identifier: GPL-2.0-or-later
#include "manager-dbus.h"

#include "dbus-error.h"
#include "log.h"
#include "manager.h"
#include "nfc-dbus.h"

static NfcDbusManager *skeleton;

static GVariant *property_value(const char *name)
{
	if (g_str_equal(name, "State"))
		return g_variant_new_string(nfc_manager_state_to_string(nfc_manager_get_state()));
	if (g_str_equal(name, "OfflineMode"))
		return g_variant_new_boolean(nfc_manager_get_offline_mode());
	if (g_str_equal(name, "SessionMode"))
		return g_variant_new_boolean(nfc_manager_get_session_mode());
	return NULL;
}

static gboolean on_get_properties(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	static const char *const names[] = { "State", "OfflineMode", "SessionMode" };
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		g_variant_builder_add(&b, "{sv}", names[i], property_value(names[i]));
	nfc_dbus_manager_complete_get_properties(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_set_property(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				const char *name, GVariant *boxed, gpointer data)
{
	g_autoptr(GVariant) value = g_variant_get_variant(boxed);
	bool is_bool = g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN);

	if (g_str_equal(name, "OfflineMode")) {
		int r;

		if (!is_bool) {
			nfc_dbus_return_error(inv, NFC_ERROR_INVALID_ARGUMENTS);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
		r = nfc_manager_set_offline_mode(g_variant_get_boolean(value));
		if (r < 0) {
			nfc_dbus_return_errno(inv, r);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
	} else if (g_str_equal(name, "SessionMode")) {
		if (!is_bool) {
			nfc_dbus_return_error(inv, NFC_ERROR_INVALID_ARGUMENTS);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
		nfc_manager_set_session_mode(g_variant_get_boolean(value));
	} else {
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_PROPERTY);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	nfc_dbus_manager_complete_set_property(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_get_technologies(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	/* technologies appear with their first device (the ethernet plugin) */
	nfc_dbus_manager_complete_get_technologies(obj, inv,
		g_variant_new_array(G_VARIANT_TYPE("(oa{sv})"), NULL, 0));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_get_services(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	nfc_dbus_manager_complete_get_services(obj, inv,
		g_variant_new_array(G_VARIANT_TYPE("(oa{sv})"), NULL, 0));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_manager_changed(const char *property, void *user_data)
{
	GVariant *value = property_value(property);

	if (!value)
		return;
	nfc_dbus_manager_emit_property_changed(skeleton, property, g_variant_new_variant(value));
}

gboolean nfc_manager_dbus_export(GDBusConnection *conn, GError **error)
{
	skeleton = nfc_dbus_manager_skeleton_new();
	g_signal_connect(skeleton, "handle-get-properties", G_CALLBACK(on_get_properties), NULL);
	g_signal_connect(skeleton, "handle-set-property", G_CALLBACK(on_set_property), NULL);
	g_signal_connect(skeleton, "handle-get-technologies", G_CALLBACK(on_get_technologies), NULL);
	g_signal_connect(skeleton, "handle-get-services", G_CALLBACK(on_get_services), NULL);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(skeleton), conn, "/", error)) {
		g_clear_object(&skeleton);
		return FALSE;
	}
	nfc_manager_watch(on_manager_changed, NULL);
	return TRUE;
}

void nfc_manager_dbus_unexport(void)
{
	if (!skeleton)
		return;
	nfc_manager_unwatch(on_manager_changed, NULL);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(skeleton));
	g_clear_object(&skeleton);
}
