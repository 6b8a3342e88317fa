// SPDX-License-Identifier: GPL-2.0-or-later
#include "tethering-dbus.h"

#include "dbus-error.h"
#include "log.h"
#include "nfc-ext-dbus.h"
#include "technology.h"
#include "tethering.h"

static struct {
	GDBusConnection *bus;
	NfcExtTethering *iface;
	unsigned int watch, tech_watch;
	/* GetClients calls waiting for the counters: id → invocation. The
	 * core's callback gets the id, not the call, so a callback that comes
	 * after cleanup (or never) touches nothing freed. */
	GHashTable *pending;
	unsigned int next_id;
	GVariant *last;     /* the status last sent */
} tb;

/* The ports every technology has lent now, in technology order. */
static GVariant *ports_variant(void)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (GList *l = nfc_technology_get_list(); l; l = l->next) {
		g_auto(GStrv) ports = nfc_technology_get_tether_ports(l->data);

		for (guint i = 0; ports && ports[i]; i++)
			g_variant_builder_add(&b, "s", ports[i]);
	}
	return g_variant_builder_end(&b);
}

static GVariant *status_variant(void)
{
	const NfcTetheringStatus *st = nfc_tethering_get_status();
	bool up = st && st->up;
	const char *const none[] = { NULL };
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Enabled", g_variant_new_boolean(up));
	g_variant_builder_add(&b, "{sv}", "Bridge", g_variant_new_string(up ? st->bridge : ""));
	g_variant_builder_add(&b, "{sv}", "Subnet", g_variant_new_string(up ? st->subnet4 : ""));
	g_variant_builder_add(&b, "{sv}", "Address", g_variant_new_string(up ? st->address4 : ""));
	g_variant_builder_add(&b, "{sv}", "Prefix6", g_variant_new_string(up ? st->prefix6 : ""));
	g_variant_builder_add(&b, "{sv}", "Servers",
			      g_variant_new_strv(up && st->servers ? (const char *const *)st->servers
								   : none, -1));
	g_variant_builder_add(&b, "{sv}", "Ports", ports_variant());
	return g_variant_builder_end(&b);
}

static GVariant *clients_variant(void)
{
	GPtrArray *clients = nfc_tethering_is_up() ? nfc_tethering_get_clients() : NULL;
	const char *const none[] = { NULL };
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(sa{sv})"));
	for (guint i = 0; clients && i < clients->len; i++) {
		const NfcTetheringClient *c = clients->pdata[i];
		/* what a client calls itself need not be UTF-8, and D-Bus
		 * strings must be */
		g_autofree char *hostname = g_utf8_make_valid(c->hostname ? c->hostname : "", -1);
		GVariantBuilder d;

		g_variant_builder_init(&d, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&d, "{sv}", "Hostname", g_variant_new_string(hostname));
		g_variant_builder_add(&d, "{sv}", "Addresses",
				      g_variant_new_strv(c->addresses ? (const char *const *)c->addresses
								      : none, -1));
		g_variant_builder_add(&d, "{sv}", "TxPackets", g_variant_new_uint64(c->tx_packets));
		g_variant_builder_add(&d, "{sv}", "TxBytes", g_variant_new_uint64(c->tx_bytes));
		g_variant_builder_add(&d, "{sv}", "RxPackets", g_variant_new_uint64(c->rx_packets));
		g_variant_builder_add(&d, "{sv}", "RxBytes", g_variant_new_uint64(c->rx_bytes));
		g_variant_builder_add(&b, "(s@a{sv})", c->mac, g_variant_builder_end(&d));
	}
	return g_variant_builder_end(&b);
}

static gboolean on_get_status(NfcExtTethering *obj, GDBusMethodInvocation *inv, gpointer data)
{
	nfc_ext_tethering_complete_get_status(obj, inv, status_variant());
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_counters(const GError *error, void *user_data)
{
	GDBusMethodInvocation *inv;

	if (!tb.pending)
		return;
	inv = g_hash_table_lookup(tb.pending, user_data);
	if (!inv)
		return;
	g_hash_table_steal(tb.pending, user_data);
	if (error)
		nfc_dbus_return_error_printf(inv, NFC_ERROR_FAILED,
					     "Cannot read the clients' counters: %s", error->message);
	else
		nfc_ext_tethering_complete_get_clients(tb.iface, inv, clients_variant());
}

static gboolean on_get_clients(NfcExtTethering *obj, GDBusMethodInvocation *inv, gpointer data)
{
	unsigned int id;

	/* off: no clients, and no counters to refresh */
	if (!nfc_tethering_is_up()) {
		nfc_ext_tethering_complete_get_clients(obj, inv, clients_variant());
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (++tb.next_id == 0) /* 0 would be a NULL key */
		tb.next_id = 1;
	id = tb.next_id;
	g_hash_table_insert(tb.pending, GUINT_TO_POINTER(id), inv);
	/* the reply goes out when the firewall's dump is in */
	nfc_tethering_read_counters(on_counters, GUINT_TO_POINTER(id));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Sent when it differs from the last one sent, or with a reason. */
static void emit_status(const char *reason)
{
	g_autoptr(GVariant) now = g_variant_ref_sink(status_variant());

	if (!*reason && tb.last && g_variant_equal(now, tb.last))
		return;
	g_clear_pointer(&tb.last, g_variant_unref);
	tb.last = g_variant_ref(now);
	nfc_ext_tethering_emit_status_changed(tb.iface, now, reason);
}

static void on_status_changed(const char *reason, void *user_data)
{
	emit_status(reason ? reason : "");
}

/* A technology's Tethering flips once its driver has lent (or taken back)
 * its ports, after the core's own change: Ports is only right then. */
static void on_technology_changed(NfcTechnology *tech, const char *property, void *user_data)
{
	if (g_str_equal(property, "Tethering"))
		emit_status("");
}

static void answer_cancelled(gpointer inv)
{
	nfc_dbus_return_error_printf(inv, NFC_ERROR_OPERATION_ABORTED, "nfconnd is stopping");
}

void nfc_tethering_dbus_init(GDBusConnection *conn)
{
	static const NfcTetheringWatch watch = { .status_changed = on_status_changed };
	static const NfcTechnologyWatch tech_watch = { .changed = on_technology_changed };
	g_autoptr(GError) error = NULL;

	tb.bus = g_object_ref(conn);
	tb.pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, answer_cancelled);
	tb.iface = nfc_ext_tethering_skeleton_new();
	g_signal_connect(tb.iface, "handle-get-status", G_CALLBACK(on_get_status), NULL);
	g_signal_connect(tb.iface, "handle-get-clients", G_CALLBACK(on_get_clients), NULL);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(tb.iface), conn, "/", &error))
		nfc_error("cannot export net.nfconn.Tethering: %s", error->message);
	tb.watch = nfc_tethering_watch_add(&watch, NULL);
	tb.tech_watch = nfc_technology_watch_add(&tech_watch, NULL);
}

void nfc_tethering_dbus_cleanup(void)
{
	if (!tb.bus)
		return;
	nfc_tethering_watch_remove(tb.watch);
	nfc_technology_watch_remove(tb.tech_watch);
	tb.watch = tb.tech_watch = 0;
	/* calls still waiting for counters get their answer now */
	g_clear_pointer(&tb.pending, g_hash_table_unref);
	g_clear_pointer(&tb.last, g_variant_unref);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(tb.iface));
	g_clear_object(&tb.iface);
	g_clear_object(&tb.bus);
}
