// SPDX-License-Identifier: GPL-2.0-or-later
#include "resolved.h"

#include "log.h"
#include "service.h"

#define RESOLVE1 "org.freedesktop.resolve1"
#define RESOLVE1_PATH "/org/freedesktop/resolve1"
#define RESOLVE1_MANAGER RESOLVE1 ".Manager"
#define RESOLVE1_LINK RESOLVE1 ".Link"
#define CALL_TIMEOUT_MS 10000

static GDBusConnection *bus;
static guint name_watch;
static unsigned int service_watch;
static bool available;
static GCancellable *cancellable;   /* every call in flight; cancelled at cleanup */
static GHashTable *reported;        /* ifindex → GINT_TO_POINTER(1 + "yes") */
static void (*changed_cb)(int ifindex);

typedef struct {
	int ifindex;
	bool enabled;
	NfcResolvedDone done;
	void *user_data;
} Request;

static void finish(Request *req, const GError *error)
{
	if (req->done)
		req->done(error, req->user_data);
	g_free(req);
}

static void record(int ifindex, bool mdns)
{
	gpointer old = g_hash_table_lookup(reported, GINT_TO_POINTER(ifindex));

	g_hash_table_insert(reported, GINT_TO_POINTER(ifindex), GINT_TO_POINTER(1 + mdns));
	if (old != GINT_TO_POINTER(1 + mdns) && changed_cb)
		changed_cb(ifindex);
}

static bool cancelled(const GError *error)
{
	return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void on_link_property(GObject *src, GAsyncResult *res, gpointer data)
{
	Request *req = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
								   &error);
	g_autoptr(GVariant) value = NULL;
	bool mdns = req->enabled;

	if (cancelled(error)) {
		finish(req, error);
		return;
	}
	if (reply) {
		g_variant_get(reply, "(v)", &value);
		if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
			mdns = g_str_equal(g_variant_get_string(value, NULL), "yes");
	} else {
		/* it took the setting: what it says it has is only a check */
		nfc_warn("link %d: cannot read MulticastDNS back from systemd-resolved: %s",
			 req->ifindex, error->message);
	}
	if (mdns != req->enabled)
		nfc_warn("link %d: systemd-resolved reports MulticastDNS %s after we set %s",
			 req->ifindex, mdns ? "yes" : "not yes", req->enabled ? "yes" : "no");
	record(req->ifindex, mdns);
	finish(req, NULL);
}

static void on_get_link(GObject *src, GAsyncResult *res, gpointer data)
{
	Request *req = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
								   &error);
	const char *path;

	if (cancelled(error)) {
		finish(req, error);
		return;
	}
	if (!reply) {
		nfc_warn("link %d: systemd-resolved took MulticastDNS but has no link object: %s",
			 req->ifindex, error->message);
		record(req->ifindex, req->enabled);
		finish(req, NULL);
		return;
	}
	g_variant_get(reply, "(&o)", &path);
	g_dbus_connection_call(bus, RESOLVE1, path, "org.freedesktop.DBus.Properties", "Get",
			       g_variant_new("(ss)", RESOLVE1_LINK, "MulticastDNS"),
			       G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
			       CALL_TIMEOUT_MS, cancellable, on_link_property, req);
}

static void on_set(GObject *src, GAsyncResult *res, gpointer data)
{
	Request *req = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
								   &error);

	if (!reply) {
		if (!cancelled(error)) {
			g_dbus_error_strip_remote_error(error);
			nfc_warn("link %d: systemd-resolved refused MulticastDNS %s: %s",
				 req->ifindex, req->enabled ? "yes" : "no", error->message);
		}
		finish(req, error);
		return;
	}
	g_dbus_connection_call(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "GetLink",
			       g_variant_new("(i)", req->ifindex), G_VARIANT_TYPE("(o)"),
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, cancellable,
			       on_get_link, req);
}

/* Answered from an idle callback, so that done is never called before
 * nfc_resolved_set_mdns returns. */
static gboolean fail_later(gpointer data)
{
	g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
						      "systemd-resolved is not running");

	finish(data, error);
	return G_SOURCE_REMOVE;
}

void nfc_resolved_set_mdns(int ifindex, bool enabled, NfcResolvedDone done, void *user_data)
{
	Request *req = g_new0(Request, 1);

	req->ifindex = ifindex;
	req->enabled = enabled;
	req->done = done;
	req->user_data = user_data;
	if (!bus || !available) {
		g_idle_add(fail_later, req);
		return;
	}
	g_dbus_connection_call(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER,
			       "SetLinkMulticastDNS",
			       g_variant_new("(is)", ifindex, enabled ? "yes" : "no"), NULL,
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, cancellable,
			       on_set, req);
}

bool nfc_resolved_available(void)
{
	return available;
}

bool nfc_resolved_get_mdns(int ifindex)
{
	if (!reported)
		return false;
	return g_hash_table_lookup(reported, GINT_TO_POINTER(ifindex)) == GINT_TO_POINTER(2);
}

/* Only the services that want mDNS: a link resolved has never been told
 * about has it off already, and "no" would override another manager's
 * setting on a link that is not ours to configure yet. */
static void apply_stored(NfcService *s)
{
	if (available && nfc_service_get_mdns_config(s))
		nfc_resolved_set_mdns(nfc_service_get_index(s), true, NULL, NULL);
}

static void on_appeared(GDBusConnection *conn, const char *name, const char *owner,
			gpointer data)
{
	nfc_info("systemd-resolved is on the bus (%s): mDNS settings go to it", owner);
	available = true;
	for (GList *l = nfc_service_get_list(); l; l = l->next)
		apply_stored(l->data);
}

static void on_vanished(GDBusConnection *conn, const char *name, gpointer data)
{
	g_autoptr(GList) links = NULL;

	if (available)
		nfc_info("systemd-resolved left the bus: no mDNS");
	available = false;
	/* what it had set died with it */
	links = g_hash_table_get_keys(reported);
	g_hash_table_remove_all(reported);
	for (GList *l = links; l && changed_cb; l = l->next)
		changed_cb(GPOINTER_TO_INT(l->data));
}

static void on_service_added(NfcService *s, void *data)
{
	apply_stored(s);
}

static void on_service_removed(NfcService *s, void *data)
{
	g_hash_table_remove(reported, GINT_TO_POINTER(nfc_service_get_index(s)));
}

void nfc_resolved_init(GDBusConnection *conn, void (*changed)(int ifindex))
{
	static const NfcServiceWatch w = {
		.added = on_service_added,
		.removed = on_service_removed,
	};

	bus = g_object_ref(conn);
	changed_cb = changed;
	cancellable = g_cancellable_new();
	reported = g_hash_table_new(NULL, NULL);
	service_watch = nfc_service_watch_add(&w, NULL);
	name_watch = g_bus_watch_name_on_connection(conn, RESOLVE1, G_BUS_NAME_WATCHER_FLAGS_NONE,
						    on_appeared, on_vanished, NULL, NULL);
}

void nfc_resolved_cleanup(void)
{
	if (!bus)
		return;
	g_bus_unwatch_name(name_watch);
	nfc_service_watch_remove(service_watch);
	g_cancellable_cancel(cancellable);
	g_clear_object(&cancellable);
	g_clear_pointer(&reported, g_hash_table_unref);
	g_clear_object(&bus);
	available = false;
	changed_cb = NULL;
}
