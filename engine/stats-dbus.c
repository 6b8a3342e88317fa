// SPDX-License-Identifier: GPL-2.0-or-later
#include "stats-dbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dbus-error.h"
#include "engine.h"
#include "log.h"
#include "nfc-ext-dbus.h"
#include "rtnl.h"
#include "service.h"
#include "session.h"
#include "session-dbus.h"
#include "stats-push.h"

static struct {
	GDBusConnection *bus;
	NfcExtManager *manager;
} stats;

/* ---- net.nfconn.SessionStats ------------------------------------------------ */

static void add_traffic(GVariantBuilder *b, const NfcSessionTraffic *t)
{
	g_variant_builder_add(b, "{sv}", "TX.Packets", g_variant_new_uint64(t->tx_packets));
	g_variant_builder_add(b, "{sv}", "TX.Bytes", g_variant_new_uint64(t->tx_bytes));
	g_variant_builder_add(b, "{sv}", "RX.Packets", g_variant_new_uint64(t->rx_packets));
	g_variant_builder_add(b, "{sv}", "RX.Bytes", g_variant_new_uint64(t->rx_bytes));
}

static void add_uplink(const char *service, const NfcSessionTraffic *t, void *user_data)
{
	GVariantBuilder *per = user_data, one;

	g_variant_builder_init(&one, G_VARIANT_TYPE_VARDICT);
	add_traffic(&one, t);
	g_variant_builder_add(per, "{sv}", *service ? service : "none",
			      g_variant_builder_end(&one));
}

static GVariant *stats_of(NfcSession *s)
{
	NfcEngineInfo info;
	NfcSessionTraffic total;
	GVariantBuilder b, per;
	NfcService *svc = nfc_session_get_service(s);

	nfc_engine_session_info(s, &info);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_init(&per, G_VARIANT_TYPE_VARDICT);
	nfc_engine_session_traffic(s, &total, add_uplink, &per);
	add_traffic(&b, &total);
	g_variant_builder_add(&b, "{sv}", "Uplinks", g_variant_builder_end(&per));
	g_variant_builder_add(&b, "{sv}", "Steered", g_variant_new_boolean(info.steered));
	g_variant_builder_add(&b, "{sv}", "Mark", g_variant_new_uint32(info.mark));
	g_variant_builder_add(&b, "{sv}", "RoutingClass", g_variant_new_uint32(info.routing_class));
	g_variant_builder_add(&b, "{sv}", "Table", g_variant_new_uint32(info.table));
	g_variant_builder_add(&b, "{sv}", "Identity",
			      g_variant_new_string(info.identity ? info.identity : ""));
	g_variant_builder_add(&b, "{sv}", "Service",
			      g_variant_new_string(svc ? nfc_service_get_identifier(svc) : ""));
	return g_variant_builder_end(&b);
}

typedef struct {
	GDBusMethodInvocation *invocation;
	char *path;
} StatsCall;

static void on_counters_for_call(int error, void *user_data)
{
	StatsCall *c = user_data;
	NfcSession *s = stats.bus ? nfc_session_lookup(c->path) : NULL;

	/* gone meanwhile, or the daemon is stopping */
	if (!s)
		nfc_dbus_return_error(c->invocation, NFC_ERROR_NOT_FOUND);
	else
		/* without a firewall the figures are zero, not an error */
		g_dbus_method_invocation_return_value(c->invocation,
						      g_variant_new("(@a{sv})", stats_of(s)));
	g_free(c->path);
	g_free(c);
}

/* Called by the session objects' dispatcher, for their owner only. */
static void stats_method(NfcSession *s, GDBusMethodInvocation *invocation, const char *member,
			 GVariant *params)
{
	if (g_str_equal(member, "GetStats")) {
		StatsCall *c = g_new0(StatsCall, 1);

		c->invocation = invocation;
		c->path = g_strdup(nfc_session_get_path(s));
		if (nfc_engine_read_counters(on_counters_for_call, c) < 0)
			on_counters_for_call(0, c);
	} else if (g_str_equal(member, "SetPeriod")) {
		guint32 seconds;

		g_variant_get(params, "(u)", &seconds);
		if (seconds > 86400) {
			nfc_dbus_return_error(invocation, NFC_ERROR_INVALID_ARGUMENTS);
			return;
		}
		nfc_stats_push_set_period(s, seconds);
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else {
		nfc_dbus_return_error(invocation, NFC_ERROR_NOT_SUPPORTED);
	}
}

/* ---- net.nfconn.Manager ---------------------------------------------------- */

typedef struct {
	const char *kind;
	guint64 number;
	const char *path;
	GPtrArray *matches; /* NfcSession* */
} ExplainQuery;

static void match_session(NfcSession *s, void *user_data)
{
	ExplainQuery *q = user_data;
	const NfcIdentity *id = nfc_session_get_identity(s);
	bool hit = false;

	if (g_str_equal(q->kind, "uid")) {
		hit = id->uid == q->number;
	} else if (g_str_equal(q->kind, "gid")) {
		hit = id->gid == q->number;
		for (guint i = 0; !hit && id->gids && i < id->gids->len; i++)
			hit = g_array_index(id->gids, gid_t, i) == q->number;
	} else if (id->cgroup) {
		size_t n = strlen(q->path);

		hit = g_str_has_prefix(id->cgroup, q->path) &&
		      (id->cgroup[n] == '\0' || id->cgroup[n] == '/' || q->path[n - 1] == '/');
	}
	if (hit)
		g_ptr_array_add(q->matches, s);
}

static int oldest_first(gconstpointer a, gconstpointer b)
{
	uint32_t ia = nfc_session_get_id(*(NfcSession *const *)a);
	uint32_t ib = nfc_session_get_id(*(NfcSession *const *)b);

	return ia < ib ? -1 : ia > ib;
}

static gboolean on_explain(NfcExtManager *obj, GDBusMethodInvocation *inv, const char *kind,
			   const char *value, gpointer data)
{
	g_autoptr(GPtrArray) matches = g_ptr_array_new();
	ExplainQuery q = { kind, 0, value, matches };
	GVariantBuilder b, paths;
	NfcSession *chosen = NULL;
	NfcEngineInfo info = { 0 };
	g_autofree char *reason = NULL, *marked = NULL, *shared_note = NULL;

	if (g_str_equal(kind, "uid") || g_str_equal(kind, "gid")) {
		if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT32, &q.number, NULL)) {
			nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS,
						     "%s must be a number", kind);
			return G_DBUS_METHOD_INVOCATION_HANDLED;
		}
	} else if (!g_str_equal(kind, "cgroup") || value[0] != '/') {
		nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS,
					     "kind must be uid, gid or cgroup (an absolute path)");
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	nfc_session_foreach(match_session, &q);
	g_ptr_array_sort(matches, oldest_first);

	g_variant_builder_init(&paths, G_VARIANT_TYPE("ao"));
	for (guint i = 0; i < matches->len; i++) {
		NfcEngineInfo mi;

		g_variant_builder_add(&paths, "o", nfc_session_get_path(matches->pdata[i]));
		nfc_engine_session_info(matches->pdata[i], &mi);
		/* the session whose mark the kernel applies to this identity */
		if (!chosen && mi.steered && (mi.identity_owner || !mi.identity)) {
			chosen = matches->pdata[i];
			info = mi;
		}
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Sessions", g_variant_builder_end(&paths));
	g_variant_builder_add(&b, "{sv}", "Steered", g_variant_new_boolean(chosen != NULL));
	if (chosen) {
		NfcService *svc = nfc_session_get_service(chosen);
		const NfcPolicyConfig *p = nfc_session_get_policy(chosen);
		g_auto(GStrv) ladder = nfc_engine_session_ladder(chosen);
		g_autofree char *joined = g_strjoinv(", ", ladder);

		g_variant_builder_add(&b, "{sv}", "Session",
				      g_variant_new_object_path(nfc_session_get_path(chosen)));
		g_variant_builder_add(&b, "{sv}", "Mark", g_variant_new_uint32(info.mark));
		g_variant_builder_add(&b, "{sv}", "RoutingClass", g_variant_new_uint32(info.routing_class));
		g_variant_builder_add(&b, "{sv}", "Table", g_variant_new_uint32(info.table));
		g_variant_builder_add(&b, "{sv}", "Service",
				      g_variant_new_string(svc ? nfc_service_get_identifier(svc) : ""));
		g_variant_builder_add(&b, "{sv}", "Interface",
				      g_variant_new_string(svc ? nfc_service_get_interface(svc) : ""));
		g_variant_builder_add(&b, "{sv}", "Uplinks", g_variant_new_strv((const char *const *)ladder, -1));
		g_variant_builder_add(&b, "{sv}", "Policy", g_variant_new_string(p ? p->source : ""));
		g_variant_builder_add(&b, "{sv}", "Identity",
				      g_variant_new_string(info.identity ? info.identity : ""));
		if (info.shared_identity) {
			g_auto(GStrv) shared = nfc_engine_session_shared_ladder(chosen);
			g_autofree char *sjoined = g_strjoinv(", ", shared);

			g_variant_builder_add(&b, "{sv}", "SharedIdentity",
					      g_variant_new_string(info.shared_identity));
			g_variant_builder_add(&b, "{sv}", "SharedMark",
					      g_variant_new_uint32(info.shared_mark));
			g_variant_builder_add(&b, "{sv}", "SharedRoutingClass",
					      g_variant_new_uint32(info.shared_class));
			g_variant_builder_add(&b, "{sv}", "SharedUplinks",
					      g_variant_new_strv((const char *const *)shared, -1));
			shared_note = g_strdup_printf(
				"; other sockets of %s (shared: the policy's settings alone, no "
				"member's) are marked 0x%08x (routing class %u), counted for no "
				"session; allowed uplinks in order: %s", info.shared_identity,
				info.shared_mark, info.shared_class, *sjoined ? sjoined : "none");
		}
		if (info.identity) {
			g_autofree char *table = svc ? g_strdup_printf(" (table %u)", info.table)
						     : NULL;

			marked = g_strdup_printf("sockets of %s%s are marked 0x%08x (routing class %u) "
						 "and use %s%s; allowed uplinks in order: %s; without "
						 "any it is unreachable, never the main table%s",
						 info.identity_own ? "its creator's own " :
						 info.shared_identity ? "its member identity " : "",
						 info.identity, info.mark, info.routing_class,
						 svc ? nfc_service_get_identifier(svc) : "no uplink",
						 table ? table : "", *joined ? joined : "none",
						 shared_note ? shared_note : "");
		} else if (shared_note) {
			marked = g_strdup_printf("it has no member identity (its creator runs as "
						 "nfconnd's uid in no cgroup of its own, or its cgroup "
						 "is the shared one)%s", shared_note);
		} else {
			marked = g_strdup("no socket is marked: its creator runs as nfconnd's own "
					  "uid, in no cgroup of its own; only a source rule steers it");
		}
		reason = g_strdup_printf("%s%s; %s",
					 p ? "policy " : "session settings (interface or source rule), "
							 "no policy",
					 p ? p->source : "", marked);
	} else if (matches->len) {
		reason = g_strdup_printf("%u session(s), none steered (no policy matched, no interface "
					 "or source rule): traffic follows the main table", matches->len);
	} else {
		NfcService *def = nfc_service_get_default();

		reason = g_strdup_printf("no session for %s %s: traffic follows the main table (default "
					 "service %s)", kind, value,
					 def ? nfc_service_get_identifier(def) : "none");
	}
	g_variant_builder_add(&b, "{sv}", "Reason", g_variant_new_string(reason));
	{
		const char *why_not = NULL;
		/* (conntrack-free only on nftables: engine.c) */
		bool notrack = !nfc_config_active()->fast_path_conntrack &&
			       g_strcmp0(nfc_engine_firewall_backend(), "nftables") == 0;
		g_autofree char *fast = nfc_engine_fast_path(&why_not) ?
			g_strdup_printf("on: new sockets of steered identities are marked at "
					"creation%s", notrack ? "; their packets bypass conntrack "
					"(FastPathConntrack=false)" : "") :
			g_strdup_printf("off (%s): packets are marked on output", why_not);

		g_variant_builder_add(&b, "{sv}", "FastPath", g_variant_new_string(fast));
	}
	g_variant_builder_add(&b, "{sv}", "FirewallBackend",
			      g_variant_new_string(nfc_engine_firewall_backend() ?: ""));
	nfc_ext_manager_complete_explain(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_get_counters(NfcExtManager *obj, GDBusMethodInvocation *inv, gpointer data)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(oa{sv})"));
	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *s = l->data;
		const NfcRtnlLink *link = nfc_rtnl_link_get(nfc_service_get_index(s));
		GVariantBuilder d;

		if (!link || !nfc_service_is_connected(s))
			continue;
		g_variant_builder_init(&d, G_VARIANT_TYPE_VARDICT);
		/* ConnMan's Counter keys and 32-bit type */
		g_variant_builder_add(&d, "{sv}", "RX.Packets", g_variant_new_uint32(link->rx_packets));
		g_variant_builder_add(&d, "{sv}", "TX.Packets", g_variant_new_uint32(link->tx_packets));
		g_variant_builder_add(&d, "{sv}", "RX.Bytes", g_variant_new_uint32(link->rx_bytes));
		g_variant_builder_add(&d, "{sv}", "TX.Bytes", g_variant_new_uint32(link->tx_bytes));
		g_variant_builder_add(&d, "{sv}", "RX.Errors", g_variant_new_uint32(link->rx_errors));
		g_variant_builder_add(&d, "{sv}", "TX.Errors", g_variant_new_uint32(link->tx_errors));
		g_variant_builder_add(&d, "{sv}", "RX.Dropped", g_variant_new_uint32(link->rx_dropped));
		g_variant_builder_add(&d, "{sv}", "TX.Dropped", g_variant_new_uint32(link->tx_dropped));
		g_variant_builder_add(&d, "{sv}", "Time",
				      g_variant_new_uint32(nfc_service_get_connected_seconds(s)));
		g_variant_builder_add(&b, "(o@a{sv})", nfc_service_get_path(s), g_variant_builder_end(&d));
	}
	nfc_ext_manager_complete_get_counters(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void add_times(GVariantBuilder *b, const char *prefix, const NfcApplyTimes *t)
{
	const struct {
		const char *name;
		GVariant *value;
	} keys[] = {
		{ "Count", g_variant_new_uint64(t->total) },
		{ "Samples", g_variant_new_uint32(t->samples) },
		{ "P50", g_variant_new_uint32(t->p50_us) },
		{ "P99", g_variant_new_uint32(t->p99_us) },
		{ "Max", g_variant_new_uint32(t->max_us) },
	};
	char key[32];

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_snprintf(key, sizeof(key), "%s.%s", prefix, keys[i].name);
		g_variant_builder_add(b, "{sv}", key, keys[i].value);
	}
}

static gboolean on_get_apply_times(NfcExtManager *obj, GDBusMethodInvocation *inv, gboolean reset,
				   gpointer data)
{
	NfcApplyTimes added, removed;
	GVariantBuilder b;

	nfc_engine_apply_times(&added, &removed, reset);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	add_times(&b, "Added", &added);
	add_times(&b, "Removed", &removed);
	nfc_engine_fast_path_apply_times(&added, reset);
	add_times(&b, "FastPath", &added);
	nfc_ext_manager_complete_get_apply_times(obj, inv, g_variant_builder_end(&b));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void nfc_stats_dbus_init(GDBusConnection *conn)
{
	g_autoptr(GError) error = NULL;

	stats.bus = g_object_ref(conn);
	nfc_stats_push_init(conn, stats_of);
	nfc_session_dbus_set_stats_handler(stats_method);
	stats.manager = nfc_ext_manager_skeleton_new();
	/* chosen once, at the engine's start (before the bus) */
	nfc_ext_manager_set_firewall_backend(stats.manager, nfc_engine_firewall_backend() ?: "");
	g_signal_connect(stats.manager, "handle-explain", G_CALLBACK(on_explain), NULL);
	g_signal_connect(stats.manager, "handle-get-counters", G_CALLBACK(on_get_counters), NULL);
	g_signal_connect(stats.manager, "handle-get-apply-times", G_CALLBACK(on_get_apply_times), NULL);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(stats.manager), conn, "/", &error))
		nfc_error("cannot export net.nfconn.Manager: %s", error->message);
}

void nfc_stats_dbus_cleanup(void)
{
	if (!stats.bus)
		return;
	nfc_stats_push_cleanup();
	nfc_session_dbus_set_stats_handler(NULL);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(stats.manager));
	g_clear_object(&stats.manager);
	g_clear_object(&stats.bus);
}
