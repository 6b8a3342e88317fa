// SPDX-License-Identifier: GPL-2.0-or-later
#include "clock-dbus.h"

#include <errno.h>

#include "clock.h"
#include "dbus-error.h"
#include "log.h"
#include "nfc-dbus.h"

#define TIMESYNCD "org.freedesktop.timesync1"

static NfcDbusClock *skeleton;
static unsigned int clock_watch;
static guint timesyncd_watch;

/* One table for GetProperties and PropertyChanged. */
static GVariant *property_value(const char *name)
{
	if (g_str_equal(name, "Time"))
		return g_variant_new_uint64(nfc_clock_get_time());
	if (g_str_equal(name, "TimeUpdates"))
		return g_variant_new_string(nfc_clock_updates_to_string(nfc_clock_get_time_updates()));
	if (g_str_equal(name, "Timezone")) {
		g_autofree char *zone = nfc_clock_get_timezone();

		return zone ? g_variant_new_string(zone) : NULL;
	}
	if (g_str_equal(name, "TimezoneUpdates"))
		return g_variant_new_string(
			nfc_clock_updates_to_string(nfc_clock_get_timezone_updates()));
	if (g_str_equal(name, "Timeservers"))
		return g_variant_new_strv((const char *const *)nfc_clock_get_timeservers(), -1);
	if (g_str_equal(name, "TimeserverSynced"))
		return g_variant_new_boolean(nfc_clock_get_synced());
	return NULL;
}

static gboolean on_get_properties(NfcDbusClock *obj, GDBusMethodInvocation *inv, gpointer data)
{
	static const char *const names[] = { "Time", "TimeUpdates", "Timezone", "TimezoneUpdates",
					     "Timeservers", "TimeserverSynced" };
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		GVariant *v = property_value(names[i]);

		if (v)
			g_variant_builder_add(&b, "{sv}", names[i], v);
	}
	nfc_dbus_clock_complete_get_properties(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static int set_updates(const char *name, GVariant *v)
{
	NfcClockUpdates u;

	if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ||
	    !nfc_clock_updates_from_string(g_variant_get_string(v, NULL), &u))
		return -EINVAL;
	return g_str_equal(name, "TimeUpdates") ? nfc_clock_set_time_updates(u)
						: nfc_clock_set_timezone_updates(u);
}

static gboolean on_set_property(NfcDbusClock *obj, GDBusMethodInvocation *inv, const char *name,
				GVariant *boxed, gpointer data)
{
	g_autoptr(GVariant) v = g_variant_get_variant(boxed);
	int r;

	if (g_str_equal(name, "Time")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
			r = -EINVAL;
		else
			r = nfc_clock_set_time(g_variant_get_uint64(v));
	} else if (g_str_equal(name, "TimeUpdates") || g_str_equal(name, "TimezoneUpdates")) {
		r = set_updates(name, v);
	} else if (g_str_equal(name, "Timezone")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
			r = -EINVAL;
		else
			r = nfc_clock_set_timezone(g_variant_get_string(v, NULL));
	} else if (g_str_equal(name, "Timeservers")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY)) {
			r = -EINVAL;
		} else {
			g_autofree const char **list = g_variant_get_strv(v, NULL);

			r = nfc_clock_set_timeservers((char **)list);
		}
	} else if (g_str_equal(name, "TimeserverSynced")) {
		r = -EPERM;
	} else {
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_PROPERTY);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (r == -EINVAL)
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_ARGUMENTS);
	else if (r == -EPERM)
		nfc_dbus_return_error(inv, NFC_ERROR_PERMISSION_DENIED);
	else if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		nfc_dbus_clock_complete_set_property(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_changed(const char *property, void *user_data)
{
	GVariant *v = property_value(property);

	if (v)
		nfc_dbus_clock_emit_property_changed(skeleton, property, g_variant_new_variant(v));
}

/* Two SNTP clients on one clock fight each other: while timesyncd owns
 * its name, it keeps the clock (with its own servers) and we stay out. */
static void on_timesyncd(GDBusConnection *conn, const char *name, const char *owner,
			 gpointer data)
{
	nfc_clock_set_external("systemd-timesyncd");
}

static void on_timesyncd_gone(GDBusConnection *conn, const char *name, gpointer data)
{
	nfc_clock_set_external(NULL);
}

gboolean nfc_clock_dbus_export(GDBusConnection *conn, GError **error)
{
	static const NfcClockWatch w = { .changed = on_changed };

	skeleton = nfc_dbus_clock_skeleton_new();
	g_signal_connect(skeleton, "handle-get-properties", G_CALLBACK(on_get_properties), NULL);
	g_signal_connect(skeleton, "handle-set-property", G_CALLBACK(on_set_property), NULL);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(skeleton), conn, "/", error)) {
		g_clear_object(&skeleton);
		return FALSE;
	}
	clock_watch = nfc_clock_watch_add(&w, NULL);
	timesyncd_watch = g_bus_watch_name_on_connection(conn, TIMESYNCD,
							 G_BUS_NAME_WATCHER_FLAGS_NONE,
							 on_timesyncd, on_timesyncd_gone,
							 NULL, NULL);
	return TRUE;
}

void nfc_clock_dbus_unexport(void)
{
	if (!skeleton)
		return;
	g_clear_handle_id(&timesyncd_watch, g_bus_unwatch_name);
	nfc_clock_watch_remove(clock_watch);
	clock_watch = 0;
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(skeleton));
	g_clear_object(&skeleton);
}
