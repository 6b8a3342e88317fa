// SPDX-License-Identifier: GPL-2.0-or-later
#include "manager-dbus.h"

#include <errno.h>

#include "counter.h"
#include "dbus-error.h"
#include "log.h"
#include "manager.h"
#include "nfc-dbus.h"
#include "service-dbus.h"
#include "session-dbus.h"
#include "technology-dbus.h"
#include "tethering.h"

static NfcDbusManager *skeleton;
static unsigned int tech_watch, service_watch, manager_watch, tethering_watch;
static GHashTable *agents;       /* unique name → Agent */

/* ServicesChanged is coalesced: what happened since the last emission */
static GHashTable *added_since;  /* NfcService* (set) */
static GPtrArray *removed_since; /* object paths */
static guint services_timer;

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
	GVariantBuilder b;

	/* technologies appear with their first device */
	g_variant_builder_init(&b, G_VARIANT_TYPE("a(oa{sv})"));
	for (GList *l = nfc_technology_get_list(); l; l = l->next)
		g_variant_builder_add(&b, "(o@a{sv})", nfc_technology_get_path(l->data),
				      nfc_technology_dbus_properties(l->data));
	nfc_dbus_manager_complete_get_technologies(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_get_services(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(oa{sv})"));
	for (GList *l = nfc_service_get_list(); l; l = l->next)
		g_variant_builder_add(&b, "(o@a{sv})", nfc_service_get_path(l->data),
				      nfc_service_dbus_properties(l->data));
	nfc_dbus_manager_complete_get_services(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_empty_list(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	/* no peer-to-peer and no wifi access point: nothing to list */
	g_dbus_method_invocation_return_value(inv, g_variant_new("(@a(oa{sv}))",
		g_variant_new_array(G_VARIANT_TYPE("(oa{sv})"), NULL, 0)));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_tethering_clients(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	/* the MACs of every tether client, ethernet ones too (ConnMan lists
	 * only a wifi access point's stations) */
	GPtrArray *clients = nfc_tethering_get_clients();
	g_autoptr(GPtrArray) macs = g_ptr_array_new();

	for (guint i = 0; i < clients->len; i++)
		g_ptr_array_add(macs, ((NfcTetheringClient *)clients->pdata[i])->mac);
	g_ptr_array_add(macs, NULL);
	nfc_dbus_manager_complete_get_tethering_clients(obj, inv, (const char *const *)macs->pdata);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_tethering_clients_changed(const char *const *added, const char *const *removed,
					 void *user_data)
{
	static const char *const none[] = { NULL };

	nfc_dbus_manager_emit_tethering_clients_changed(skeleton, added ? added : none,
							removed ? removed : none);
}

static gboolean on_not_supported(NfcDbusManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	/* VPN providers and P2P peer services are not part of nfconn */
	nfc_dbus_return_error(inv, NFC_ERROR_NOT_SUPPORTED);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* An agent lives as long as its client's bus name: one that left the bus
 * without UnregisterAgent is dropped, as ConnMan drops it. */
typedef struct {
	char *path;
	guint watch;
} Agent;

static void agent_free(Agent *agent)
{
	if (agent->watch)
		g_bus_unwatch_name(agent->watch);
	g_free(agent->path);
	g_free(agent);
}

static void on_agent_vanished(GDBusConnection *conn, const char *name, gpointer data)
{
	Agent *agent = data;

	nfc_info("agent %s of %s: the client left the bus, unregistered", agent->path, name);
	g_hash_table_remove(agents, name);
}

static gboolean on_register_agent(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				  const char *path, gpointer data)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	Agent *agent;

	if (g_hash_table_contains(agents, sender)) {
		nfc_dbus_return_error(inv, NFC_ERROR_ALREADY_EXISTS);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	agent = g_new0(Agent, 1);
	agent->path = g_strdup(path);
	g_hash_table_insert(agents, g_strdup(sender), agent);
	/* a name already gone is reported at once */
	agent->watch = g_bus_watch_name_on_connection(g_dbus_method_invocation_get_connection(inv),
						      sender, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
						      on_agent_vanished, agent, NULL);
	nfc_info("agent %s of %s registered", path, sender);
	nfc_dbus_manager_complete_register_agent(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_unregister_agent(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				    const char *path, gpointer data)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	Agent *agent = g_hash_table_lookup(agents, sender);

	if (!agent || !g_str_equal(agent->path, path)) {
		nfc_dbus_return_error(inv, NFC_ERROR_NOT_REGISTERED);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	g_hash_table_remove(agents, sender);
	nfc_dbus_manager_complete_unregister_agent(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_register_counter(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				    const char *path, guint accuracy, guint period, gpointer data)
{
	int r = nfc_counter_register(g_dbus_method_invocation_get_sender(inv), path, accuracy,
				     period);

	if (r == -EINVAL)
		nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS,
					     "the period must be at least 1 second");
	else if (r == -EUSERS)
		nfc_dbus_return_error_printf(inv, NFC_ERROR_FAILED,
					     "at most %d counters per client",
					     NFC_COUNTER_MAX_PER_CLIENT);
	else if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		nfc_dbus_manager_complete_register_counter(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_unregister_counter(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				      const char *path, gpointer data)
{
	int r = nfc_counter_unregister(g_dbus_method_invocation_get_sender(inv), path);

	if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		nfc_dbus_manager_complete_unregister_counter(obj, inv);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_create_session(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				  GVariant *settings, const char *notifier, gpointer data)
{
	nfc_session_dbus_create(inv, settings, notifier);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_destroy_session(NfcDbusManager *obj, GDBusMethodInvocation *inv,
				   const char *path, gpointer data)
{
	nfc_session_dbus_destroy(inv, path);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean emit_services_changed(gpointer data)
{
	GVariantBuilder changed;

	services_timer = 0;
	g_variant_builder_init(&changed, G_VARIANT_TYPE("a(oa{sv})"));
	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *s = l->data;
		GVariant *props = g_hash_table_contains(added_since, s) ?
			nfc_service_dbus_properties(s) :
			g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);

		g_variant_builder_add(&changed, "(o@a{sv})", nfc_service_get_path(s), props);
	}
	g_ptr_array_add(removed_since, NULL);
	nfc_dbus_manager_emit_services_changed(skeleton, g_variant_builder_end(&changed),
					       (const char *const *)removed_since->pdata);
	g_hash_table_remove_all(added_since);
	g_ptr_array_set_size(removed_since, 0);
	return G_SOURCE_REMOVE;
}

static void schedule_services_changed(void)
{
	if (!services_timer)
		services_timer = g_timeout_add(100, emit_services_changed, NULL);
}

static void on_service_added(NfcService *s, void *user_data)
{
	const char *path = nfc_service_get_path(s);

	g_hash_table_add(added_since, s);
	/* back within the same 100 ms: it was never gone for the client */
	for (guint i = 0; i < removed_since->len; i++)
		if (g_str_equal(removed_since->pdata[i], path))
			g_ptr_array_remove_index(removed_since, i--);
	schedule_services_changed();
}

static void on_service_removed(NfcService *s, void *user_data)
{
	g_hash_table_remove(added_since, s);
	g_ptr_array_add(removed_since, g_strdup(nfc_service_get_path(s)));
	schedule_services_changed();
}

static void on_service_order(void *user_data)
{
	schedule_services_changed();
}

static void on_technology_added(NfcTechnology *t, void *user_data)
{
	nfc_dbus_manager_emit_technology_added(skeleton, nfc_technology_get_path(t),
					       nfc_technology_dbus_properties(t));
}

static void on_technology_removed(NfcTechnology *t, void *user_data)
{
	nfc_dbus_manager_emit_technology_removed(skeleton, nfc_technology_get_path(t));
}

static void on_manager_changed(const char *property, void *user_data)
{
	GVariant *value = property_value(property);

	if (!value)
		return;
	nfc_dbus_manager_emit_property_changed(skeleton, property, g_variant_new_variant(value));
}

static const NfcManagerWatch manager_cbs = {
	.changed = on_manager_changed,
};

static const NfcTechnologyWatch tech_cbs = {
	.added = on_technology_added,
	.removed = on_technology_removed,
};

static const NfcTetheringWatch tethering_cbs = {
	.clients_changed = on_tethering_clients_changed,
};

static const NfcServiceWatch service_cbs = {
	.added = on_service_added,
	.removed = on_service_removed,
	.order_changed = on_service_order,
};

gboolean nfc_manager_dbus_export(GDBusConnection *conn, GError **error)
{
	skeleton = nfc_dbus_manager_skeleton_new();
	g_signal_connect(skeleton, "handle-get-properties", G_CALLBACK(on_get_properties), NULL);
	g_signal_connect(skeleton, "handle-set-property", G_CALLBACK(on_set_property), NULL);
	g_signal_connect(skeleton, "handle-get-technologies", G_CALLBACK(on_get_technologies), NULL);
	g_signal_connect(skeleton, "handle-get-services", G_CALLBACK(on_get_services), NULL);
	g_signal_connect(skeleton, "handle-get-peers", G_CALLBACK(on_empty_list), NULL);
	g_signal_connect(skeleton, "handle-get-tethering-clients", G_CALLBACK(on_tethering_clients), NULL);
	g_signal_connect(skeleton, "handle-register-agent", G_CALLBACK(on_register_agent), NULL);
	g_signal_connect(skeleton, "handle-unregister-agent", G_CALLBACK(on_unregister_agent), NULL);
	g_signal_connect(skeleton, "handle-register-counter", G_CALLBACK(on_register_counter), NULL);
	g_signal_connect(skeleton, "handle-unregister-counter", G_CALLBACK(on_unregister_counter), NULL);
	g_signal_connect(skeleton, "handle-create-session", G_CALLBACK(on_create_session), NULL);
	g_signal_connect(skeleton, "handle-destroy-session", G_CALLBACK(on_destroy_session), NULL);
	g_signal_connect(skeleton, "handle-connect-provider", G_CALLBACK(on_not_supported), NULL);
	g_signal_connect(skeleton, "handle-remove-provider", G_CALLBACK(on_not_supported), NULL);
	g_signal_connect(skeleton, "handle-register-peer-service", G_CALLBACK(on_not_supported), NULL);
	g_signal_connect(skeleton, "handle-unregister-peer-service", G_CALLBACK(on_not_supported), NULL);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(skeleton), conn, "/", error)) {
		g_clear_object(&skeleton);
		return FALSE;
	}
	agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)agent_free);
	added_since = g_hash_table_new(NULL, NULL);
	removed_since = g_ptr_array_new_with_free_func(g_free);
	manager_watch = nfc_manager_watch_add(&manager_cbs, NULL);
	/* the object adapters watched first (they start before us): a client
	 * told of an object can call it */
	tech_watch = nfc_technology_watch_add(&tech_cbs, NULL);
	service_watch = nfc_service_watch_add(&service_cbs, NULL);
	tethering_watch = nfc_tethering_watch_add(&tethering_cbs, NULL);
	return TRUE;
}

/* The daemon is going away: its agents are told, as ConnMan tells them
 * (the bus is flushed before it closes). */
static void release_agents(void)
{
	GDBusConnection *conn =
		g_dbus_interface_skeleton_get_connection(G_DBUS_INTERFACE_SKELETON(skeleton));
	GHashTableIter it;
	gpointer name, value;

	g_hash_table_iter_init(&it, agents);
	while (conn && g_hash_table_iter_next(&it, &name, &value))
		g_dbus_connection_call(conn, name, ((Agent *)value)->path, "net.connman.Agent",
				       "Release", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
				       NULL, NULL, NULL);
}

void nfc_manager_dbus_unexport(void)
{
	if (!skeleton)
		return;
	release_agents();
	nfc_tethering_watch_remove(tethering_watch);
	nfc_technology_watch_remove(tech_watch);
	nfc_service_watch_remove(service_watch);
	if (services_timer)
		g_source_remove(services_timer);
	services_timer = 0;
	g_clear_pointer(&agents, g_hash_table_unref);
	g_clear_pointer(&added_since, g_hash_table_unref);
	g_clear_pointer(&removed_since, g_ptr_array_unref);
	nfc_manager_watch_remove(manager_watch);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(skeleton));
	g_clear_object(&skeleton);
}
