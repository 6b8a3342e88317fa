// SPDX-License-Identifier: GPL-2.0-or-later
#include "technology-dbus.h"

#include <errno.h>
#include <string.h>

#include "dbus-error.h"
#include "dbus-objects.h"
#include "log.h"
#include "nfc-dbus.h"

static NfcDbusObjects *objects;
static unsigned int watch_id;

static char **technology_children(void)
{
	GPtrArray *types = g_ptr_array_new();

	for (GList *l = nfc_technology_get_list(); l; l = l->next)
		g_ptr_array_add(types, g_strdup(nfc_technology_get_type(l->data)));
	g_ptr_array_add(types, NULL);
	return (char **)g_ptr_array_free(types, FALSE);
}

GVariant *nfc_technology_dbus_properties(NfcTechnology *t)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Name", g_variant_new_string(nfc_technology_get_name(t)));
	g_variant_builder_add(&b, "{sv}", "Type", g_variant_new_string(nfc_technology_get_type(t)));
	g_variant_builder_add(&b, "{sv}", "Powered", g_variant_new_boolean(nfc_technology_get_powered(t)));
	g_variant_builder_add(&b, "{sv}", "Connected",
			      g_variant_new_boolean(nfc_technology_get_connected(t)));
	g_variant_builder_add(&b, "{sv}", "Tethering",
			      g_variant_new_boolean(nfc_technology_get_tethering(t)));
	g_variant_builder_add(&b, "{sv}", "TetheringFreq", g_variant_new_int32(2412));
	return g_variant_builder_end(&b);
}

static NfcTechnology *tech_of(GDBusMethodInvocation *inv)
{
	const char *path = g_dbus_method_invocation_get_object_path(inv);
	const char *type = strrchr(path, '/');

	return type ? nfc_technology_lookup(type + 1) : NULL;
}

static gboolean on_get_properties(NfcDbusTechnology *obj, GDBusMethodInvocation *inv, gpointer d)
{
	NfcTechnology *t = tech_of(inv);

	if (!t) {
		nfc_dbus_return_error(inv, NFC_ERROR_NOT_FOUND);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	nfc_dbus_technology_complete_get_properties(obj, inv, nfc_technology_dbus_properties(t));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_tethering_done(const GError *error, void *user_data)
{
	g_autoptr(GDBusMethodInvocation) inv = user_data;
	NfcDbusTechnology *obj = g_object_get_data(G_OBJECT(inv), "nfc-skeleton");

	if (!error)
		nfc_dbus_technology_complete_set_property(obj, inv);
	else if (error->domain == NFC_ERROR)
		nfc_dbus_return_error_printf(inv, error->code, "%s", error->message);
	else
		nfc_dbus_return_error_printf(inv, NFC_ERROR_FAILED, "%s", error->message);
}

static gboolean on_set_property(NfcDbusTechnology *obj, GDBusMethodInvocation *inv,
				const char *name, GVariant *boxed, gpointer d)
{
	g_autoptr(GVariant) v = g_variant_get_variant(boxed);
	NfcTechnology *t = tech_of(inv);
	int r;

	if (!t) {
		nfc_dbus_return_error(inv, NFC_ERROR_NOT_FOUND);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (g_str_equal(name, "Powered")) {
		bool on;

		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
			nfc_dbus_return_error(inv, NFC_ERROR_INVALID_ARGUMENTS);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
		on = g_variant_get_boolean(v);
		r = nfc_technology_set_powered(t, on);
		if (r == -EALREADY)
			nfc_dbus_return_error(inv, on ? NFC_ERROR_ALREADY_ENABLED : NFC_ERROR_ALREADY_DISABLED);
		else if (r < 0)
			nfc_dbus_return_errno(inv, r);
		else
			nfc_dbus_technology_complete_set_property(obj, inv);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (g_str_equal(name, "Tethering")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
			nfc_dbus_return_error(inv, NFC_ERROR_INVALID_ARGUMENTS);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
		/* answered when tethering is up (or failed and undone) */
		g_object_set_data_full(G_OBJECT(inv), "nfc-skeleton", g_object_ref(obj), g_object_unref);
		nfc_technology_set_tethering(t, g_variant_get_boolean(v), on_tethering_done,
					     g_object_ref(inv));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (g_str_equal(name, "TetheringIdentifier") || g_str_equal(name, "TetheringPassphrase") ||
	    g_str_equal(name, "TetheringFreq")) {
		/* wifi-only properties */
		nfc_dbus_return_error(inv, NFC_ERROR_NOT_SUPPORTED);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	nfc_dbus_return_error(inv, NFC_ERROR_INVALID_PROPERTY);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_scan(NfcDbusTechnology *obj, GDBusMethodInvocation *inv, gpointer d)
{
	/* nothing to scan on a wire */
	nfc_dbus_return_error(inv, NFC_ERROR_NOT_SUPPORTED);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_added(NfcTechnology *t, void *user_data)
{
	NfcDbusTechnology *obj = nfc_dbus_technology_skeleton_new();

	g_signal_connect(obj, "handle-get-properties", G_CALLBACK(on_get_properties), NULL);
	g_signal_connect(obj, "handle-set-property", G_CALLBACK(on_set_property), NULL);
	g_signal_connect(obj, "handle-scan", G_CALLBACK(on_scan), NULL);
	nfc_dbus_objects_add(objects, t, G_DBUS_INTERFACE_SKELETON(obj), nfc_technology_get_path(t));
}

static void on_removed(NfcTechnology *t, void *user_data)
{
	nfc_dbus_objects_remove(objects, t);
}

static void on_changed(NfcTechnology *t, const char *property, void *user_data)
{
	NfcDbusTechnology *obj = objects ? nfc_dbus_objects_lookup(objects, t) : NULL;
	GVariant *v = NULL;

	if (!obj)
		return;
	if (g_str_equal(property, "Powered"))
		v = g_variant_new_boolean(nfc_technology_get_powered(t));
	else if (g_str_equal(property, "Connected"))
		v = g_variant_new_boolean(nfc_technology_get_connected(t));
	else if (g_str_equal(property, "Tethering"))
		v = g_variant_new_boolean(nfc_technology_get_tethering(t));
	if (v)
		nfc_dbus_technology_emit_property_changed(obj, property, g_variant_new_variant(v));
}

void nfc_technology_dbus_init(GDBusConnection *conn)
{
	static const NfcTechnologyWatch w = {
		.added = on_added,
		.removed = on_removed,
		.changed = on_changed,
	};

	objects = nfc_dbus_objects_new(conn, "/net/connman/technology", nfc_dbus_technology_interface_info(), technology_children);
	watch_id = nfc_technology_watch_add(&w, NULL);
}

void nfc_technology_dbus_cleanup(void)
{
	if (!objects)
		return;
	nfc_technology_watch_remove(watch_id);
	g_clear_pointer(&objects, nfc_dbus_objects_free);
}
