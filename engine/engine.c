// SPDX-License-Identifier: GPL-2.0-or-later
/* The decision: which sessions are steered, and for each its routing
 * class (the uplinks it may use, in order), the identity whose sockets
 * carry its mark, and its source rule. A session holds references on what
 * was decided for it; what a first reference starts and a last one ends
 * goes to the kernel through the stages (stages.c). A session change
 * costs O(1) kernel work and O(uplinks) computing; uplink changes decide
 * again for every session (O(sessions), only on uplink events). */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ipconfig.h"
#include "log.h"

/* What a steered session holds. */
typedef struct {
	guint cls;                /* its own class: the policy's settings narrowed by its own */
	uint32_t mark;            /* cls and the session's id */
	EngineElement *element;   /* its member identity; NULL: none */
	/* the shared identity it is a member of: the policy's class alone
	 * and no session id, so that no member's settings steer others'
	 * sockets and no member counts them (shared_cls 0: none) */
	guint shared_cls;
	uint32_t shared_mark;
	EngineElement *shared;
	EngineSource *source;     /* NULL: no source rule */
	/* the identities as chosen when the session was first steered under
	 * its policy's kind of match (-1: no policy) and gid: kept while those
	 * stay, so a cgroup that gains child cgroups later does not move the
	 * session's element, and a pass over all sessions reads no cgroup
	 * directory */
	int chosen_for;
	gid_t chosen_gid;
	EngineIdentity member_id, shared_id;
} Steer;

typedef struct {
	EngineRouting routing;
	NfcFirewall *fw;
	EngineHost host;
	char *own_cgroup;         /* ours, for host */
	EngineUplinks uplinks;
	EngineClasses classes;
	EngineIdentities identities;
	EngineStages stages;
	EngineTraffic traffic;
	EngineTether tether;
	EngineApplyRing added, removed;
	GHashTable *steers;       /* NfcSession* → Steer* */
	unsigned int service_watch, session_watch;
	guint sync_idle;
	/* sessions still to decide after an uplink change, in slices */
	GHashTable *pending;      /* NfcSession* set */
	guint pending_idle;
	bool ready;               /* leftovers are gone, the firewall is in */
} Engine;

static Engine engine;

static void schedule(void);

/* ---- what nfconnd is ------------------------------------------------------------ */

static int cgroup_has_children(const char *cgroup, void *data)
{
	g_autofree char *path = g_build_filename(nfc_cgroup2_mount(), cgroup, NULL);
	DIR *dir = opendir(path);
	struct dirent *e;
	int found = 0;

	if (!dir)
		return -errno;
	while (!found && (e = readdir(dir))) {
		if (g_str_equal(e->d_name, ".") || g_str_equal(e->d_name, ".."))
			continue;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;

			found = fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISDIR(st.st_mode);
		} else {
			found = e->d_type == DT_DIR;
		}
	}
	closedir(dir);
	return found;
}

/* ---- the decision ----------------------------------------------------------------- */

/* The uplinks settings allow, best first (engine_ladder_build). A pass
 * over all sessions calls this for each: no allocation for the usual
 * handful of uplinks. */
static void ladder_for(char *const *bearers, NfcConnType type, const char *ifname,
		       EngineLadder *out)
{
	GList *list = nfc_service_get_list();
	guint n = 0, max = g_list_length(list);
	EngineCandidate stack[16];
	g_autofree EngineCandidate *heap = max > G_N_ELEMENTS(stack) ? g_new(EngineCandidate, max)
								       : NULL;
	EngineCandidate *c = heap ? heap : stack;

	for (GList *l = list; l; l = l->next) {
		NfcService *svc = l->data;
		guint slot = engine_uplinks_slot(&engine.uplinks, svc);

		if (!slot)
			continue;
		c[n++] = (EngineCandidate){
			.slot = slot,
			.type = nfc_service_get_type(svc),
			.ifname = nfc_service_get_interface(svc),
			.online = nfc_service_get_state(svc) == NFC_SERVICE_ONLINE,
		};
	}
	engine_ladder_build(c, n, bearers, type, ifname, out);
}

/* The session's own ladder: its effective settings. */
static void ladder_of(NfcSession *s, EngineLadder *out)
{
	ladder_for(nfc_session_get_bearers(s), nfc_session_get_type(s),
		   nfc_session_get_interface(s), out);
}

/* A shared identity's ladder: the policy's settings, as for a session
 * that asked for nothing. */
static void policy_ladder(const NfcPolicyConfig *policy, EngineLadder *out)
{
	const NfcSessionSettings none = { 0 };
	g_auto(GStrv) bearers = nfc_session_effective_bearers(&none, &policy->settings);

	ladder_for(bearers, nfc_session_effective_type(&none, &policy->settings),
		   nfc_session_effective_interface(&none, &policy->settings), out);
}

static int match_of(const NfcPolicyConfig *policy)
{
	return policy ? (int)policy->match : -1;
}

static gid_t gid_of(const NfcPolicyConfig *policy)
{
	return policy && policy->match == NFC_POLICY_MATCH_GID ? policy->gid : 0;
}

/* Whose sockets: what old chose if the policy's kind of match (and gid)
 * is the same, else chosen now (engine_identity_choose). */
static void choose_identities(NfcSession *s, const Steer *old, EngineIdentity *member,
			      EngineIdentity *shared)
{
	const NfcPolicyConfig *policy = nfc_session_get_policy(s);

	if (old && old->chosen_for == match_of(policy) && old->chosen_gid == gid_of(policy)) {
		engine_identity_copy(member, &old->member_id);
		engine_identity_copy(shared, &old->shared_id);
		return;
	}
	engine_identity_choose(policy, nfc_session_get_identity(s), &engine.host, member, shared);
}

static void steer_free(Steer *st)
{
	engine_identity_clear(&st->member_id);
	engine_identity_clear(&st->shared_id);
	g_free(st);
}

/* A reference on ladder's class; its rules go out when it is new. 0:
 * out of classes. */
static guint class_ref(const EngineLadder *ladder)
{
	bool created;
	guint id = engine_classes_ref(&engine.classes, ladder, &created);

	if (created) {
		g_autoptr(GArray) rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));

		engine_ladder_rules(&engine.routing, id, ladder, rules);
		for (guint i = 0; i < rules->len; i++)
			engine_stages_make_rule(&engine.stages, &g_array_index(rules, EngineRule, i));
	}
	return id;
}

static void class_unref(guint id)
{
	EngineLadder ladder;

	if (id && engine_classes_unref(&engine.classes, id, &ladder)) {
		g_autoptr(GArray) rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));

		engine_ladder_rules(&engine.routing, id, &ladder, rules);
		for (guint i = 0; i < rules->len; i++)
			engine_stages_break_rule(&engine.stages, &g_array_index(rules, EngineRule, i));
	}
}

/* What the session should have now, with references taken. */
static Steer *steer_new(NfcSession *s, const Steer *old)
{
	uint32_t sid = nfc_session_get_id(s);
	EngineIdentity member, shared;
	EngineLadder ladder;
	NfcService *svc;
	Steer *st;

	if (!nfc_session_is_steered(s) || sid > nfc_mark_layout_session_max(&engine.routing.layout))
		return NULL;
	st = g_new0(Steer, 1);
	choose_identities(s, old, &member, &shared);
	ladder_of(s, &ladder);
	st->cls = class_ref(&ladder);
	if (st->cls && shared.set) {
		policy_ladder(nfc_session_get_policy(s), &ladder);
		st->shared_cls = class_ref(&ladder);
		if (!st->shared_cls) {
			class_unref(st->cls);
			st->cls = 0;
		}
	}
	if (!st->cls) {
		nfc_warn("engine: out of routing classes for %s", nfc_session_get_path(s));
		engine_identity_clear(&member);
		engine_identity_clear(&shared);
		g_free(st);
		return NULL;
	}
	nfc_mark_compose(&engine.routing.layout, st->cls, sid, &st->mark);

	/* SourceIPRule: sockets bound to the uplink's address use its table */
	svc = nfc_session_get_service(s);
	if (nfc_session_get_settings(s)->source_ip_rule && svc) {
		guint slot = engine_uplinks_slot(&engine.uplinks, svc);
		const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(nfc_service_get_ipconfig(svc));

		if (slot && v4->up) {
			EngineRule rule;

			engine_source_rule(&engine.routing, slot, v4->address, &rule);
			st->source = engine_uplinks_source_ref(&engine.uplinks, &rule, &engine.stages);
		}
	}

	if (member.set)
		st->element = engine_identities_join(&engine.identities, &member, sid, st->mark);
	if (shared.set) {
		/* session part 0: the firewall counts these packets for nobody */
		nfc_mark_compose(&engine.routing.layout, st->shared_cls, 0, &st->shared_mark);
		st->shared = engine_identities_join(&engine.identities, &shared, sid,
						    st->shared_mark);
	}
	st->chosen_for = match_of(nfc_session_get_policy(s));
	st->chosen_gid = gid_of(nfc_session_get_policy(s));
	st->member_id = member;
	st->shared_id = shared;
	return st;
}

static void leave(EngineElement *el, uint32_t sid, const Steer *kept)
{
	if (el && (!kept || (el != kept->element && el != kept->shared)))
		engine_identities_leave(&engine.identities, el, sid);
}

/* Drop the references of st; kept: the session's new steer, whose
 * elements stay (their membership was renewed, not ended). */
static void steer_drop(Steer *st, uint32_t sid, const Steer *kept)
{
	if (!st)
		return;
	leave(st->element, sid, kept);
	leave(st->shared, sid, kept);
	class_unref(st->cls);
	class_unref(st->shared_cls);
	engine_uplinks_source_unref(&engine.uplinks, st->source, &engine.stages);
	steer_free(st);
}

static void session_update(NfcSession *s, bool gone)
{
	Steer *old = NULL, *st = NULL;

	if (!engine.ready)
		return;
	/* ours now: steer_drop frees it */
	g_hash_table_steal_extended(engine.steers, s, NULL, (gpointer *)&old);
	/* new references first: what both use is never torn down */
	if (!gone)
		st = steer_new(s, old);
	if (st)
		g_hash_table_insert(engine.steers, s, st);
	steer_drop(old, nfc_session_get_id(s), st);
}

/* What one main-loop iteration may spend deciding sessions again. */
#define PENDING_SLICE_US 5000

/* Default priority, so that D-Bus calls and kernel events, at default
 * priority too, are dispatched between slices. */
static gboolean on_pending(gpointer data)
{
	gint64 end = g_get_monotonic_time() + PENDING_SLICE_US;
	GHashTableIter it;
	gpointer key;
	guint n = 0;

	g_hash_table_iter_init(&it, engine.pending);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		g_hash_table_iter_remove(&it);
		session_update(key, false);
		if (++n % 16 == 0 && g_get_monotonic_time() >= end)
			break;
	}
	engine_stages_advance(&engine.stages);
	if (g_hash_table_size(engine.pending))
		return G_SOURCE_CONTINUE;
	engine.pending_idle = 0;
	return G_SOURCE_REMOVE;
}

static void pend_one(NfcSession *s, gpointer data)
{
	g_hash_table_add(engine.pending, s);
}

/* Uplinks changed: routes of every table at once, then every session
 * again, a slice at a time (at 65,536 sessions one go held the main loop
 * for seconds). Until its turn a session keeps its class: its rules
 * only lead to tables whose routes are current. */
static void full_pass(void)
{
	engine_uplinks_refresh(&engine.uplinks, &engine.routing);
	engine_tether_refresh(&engine.tether);
	engine_uplinks_sync_routes(&engine.uplinks, &engine.routing, &engine.stages);
	engine_stages_advance(&engine.stages);
	nfc_session_foreach(pend_one, NULL);
	if (!engine.pending_idle && g_hash_table_size(engine.pending))
		engine.pending_idle = g_idle_add_full(G_PRIORITY_DEFAULT, on_pending, NULL, NULL);
}

/* A shared identity is steered by the policy alone; a member narrows
 * for its own sockets through its member identity. Without one there is
 * nothing the narrowing could apply to: say so rather than accept
 * settings that would change nothing. */
static gboolean check_change(NfcSession *s, const NfcSessionSettings *next, GError **error)
{
	const NfcPolicyConfig *policy = nfc_session_get_policy(s);
	EngineIdentity member, shared;
	bool refused;

	if (!policy || policy->match == NFC_POLICY_MATCH_NONE)
		return TRUE;
	choose_identities(s, engine.steers ? g_hash_table_lookup(engine.steers, s) : NULL, &member,
			  &shared);
	refused = shared.set && !member.set && engine_settings_narrow(next, &policy->settings);
	if (refused) {
		g_autofree char *key = engine_identity_key(&shared);

		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "%s is shared with others and steered by policy %s alone; this session "
			    "has no identity of its own to narrow it for (%s)", key, policy->source,
			    shared.kind == NFC_IDENTITY_GID ?
				    "its creator runs as nfconnd's uid, in no cgroup of its own" :
				    "its creator's cgroup is the shared one");
	}
	engine_identity_clear(&member);
	engine_identity_clear(&shared);
	return !refused;
}

/* ---- events ---------------------------------------------------------------------- */

static gboolean on_sync(gpointer data)
{
	engine.sync_idle = 0;
	if (engine.ready)
		full_pass();
	return G_SOURCE_REMOVE;
}

static void schedule(void)
{
	if (!engine.sync_idle)
		engine.sync_idle = g_idle_add_full(G_PRIORITY_HIGH, on_sync, NULL, NULL);
}

static void on_service_changed(NfcService *s, const char *property, void *user_data)
{
	if (g_str_equal(property, "State") || g_str_equal(property, "IPv4") ||
	    g_str_equal(property, "IPv6"))
		schedule();
}

static void on_service_any(NfcService *s, void *user_data)
{
	schedule();
}

static void on_order(void *user_data)
{
	schedule();
}

static void on_session(NfcSession *s, void *user_data)
{
	/* decided now with what holds now: not again in a slice */
	g_hash_table_remove(engine.pending, s);
	session_update(s, false);
	engine_stages_advance(&engine.stages);
}

static void on_session_destroyed(NfcSession *s, void *user_data)
{
	engine_traffic_forget(&engine.traffic, nfc_session_get_id(s));
	g_hash_table_remove(engine.pending, s);
	session_update(s, true);
	engine_stages_advance(&engine.stages);
}

/* ---- start and stop ------------------------------------------------------------------ */

static void on_firewall_ready(int error, void *user_data)
{
	if (error < 0) {
		nfc_error("engine: cannot install the firewall: %s", g_strerror(-error));
		engine_tether_ready(&engine.tether, error);
		return;
	}
	nfc_info("engine: %s firewall ready", nfc_firewall_backend_name(engine.fw));
	engine.ready = true;
	engine.stages.live = true;
	engine_tether_ready(&engine.tether, 0);
	schedule();
}

static void on_swept(void *user_data)
{
	/* stopped meanwhile */
	if (!engine.fw)
		return;
	if (nfc_firewall_init(engine.fw, on_firewall_ready, NULL) < 0)
		nfc_error("engine: cannot start the firewall");
}

static void on_firewall_event(NfcFirewallEvent ev, int error, void *user_data)
{
	if (error < 0)
		nfc_error("engine: our firewall state was changed from outside and "
			  "could not be restored: %s", g_strerror(-error));
	else
		nfc_warn("engine: our firewall state was changed from outside; restored");
}

int nfc_engine_init(void)
{
	static const NfcServiceWatch sw = {
		.added = on_service_any,
		.removed = on_service_any,
		.changed = on_service_changed,
		.order_changed = on_order,
	};
	static const NfcSessionWatch ssw = {
		.created = on_session,
		.changed = on_session,
		.destroyed = on_session_destroyed,
	};
	const NfcConfig *c = nfc_config_active();
	EngineRouting *routing = &engine.routing;
	NfcFirewallConfig fc = { 0 };
	const NfcFirewallOps *ops;
	g_autoptr(GError) error = NULL;
	int r;

	routing->layout.routing_shift = __builtin_ctz(c->routing_mark_mask);
	routing->layout.routing_bits = __builtin_popcount(c->routing_mark_mask);
	routing->layout.session_shift = __builtin_ctz(c->session_mark_mask);
	routing->layout.session_bits = __builtin_popcount(c->session_mark_mask);
	if (!nfc_mark_layout_validate(&routing->layout, &error)) {
		nfc_error("engine: %s", error->message);
		return -EINVAL;
	}
	routing->table_base = c->routing_table_base;
	routing->priority_base = c->rule_priority_base;
	routing->range = c->routing_range;
	fc.layout = routing->layout;
	fc.check_interval = c->firewall_check_interval;
	/* no hook of ours, and no conntrack for us, until a session or the
	 * tether needs it */
	fc.idle_empty = true;
	ops = nfc_firewall_choose(c->firewall_backend, &error);
	if (!ops) {
		nfc_error("engine: %s", error->message);
		return -ENOTSUP;
	}
	/* the other backend's leftovers would steer (or fail closed) beside ours */
	if (ops == &nfc_firewall_ipt_ops)
		nfc_firewall_nft_remove_leftovers();
	else
		nfc_firewall_ipt_remove_leftovers();
	/* before the firewall: its chain knows whether sockets may come marked */
	fc.sock_marks = engine_bpf_sink_start(ops, &routing->layout);
	fc.sock_notrack = fc.sock_marks && !c->fast_path_conntrack;
	if (fc.sock_notrack && ops != &nfc_firewall_nft_ops) {
		nfc_info("engine: FastPathConntrack=false needs the nftables backend: the fast "
			 "path's flows are tracked");
		fc.sock_notrack = false;
	}
	r = nfc_firewall_new(ops, &fc, &engine.fw);
	if (r < 0) {
		nfc_error("engine: cannot start the %s firewall: %s", ops->name, g_strerror(-r));
		engine_bpf_sink_stop();
		return r;
	}
	nfc_firewall_set_event_func(engine.fw, on_firewall_event, NULL);
	engine_tether_init(&engine.tether, engine.fw);

	engine.own_cgroup = nfc_identity_read_cgroup(getpid());
	engine.host = (EngineHost){ .uid = geteuid(), .cgroup = engine.own_cgroup,
				    .has_children = cgroup_has_children };
	engine_uplinks_init(&engine.uplinks);
	engine_classes_init(&engine.classes, engine_classes_max(routing));
	engine_identities_init(&engine.identities, nfc_cgroup2_mount());
	engine_stages_init(&engine.stages, &engine.identities, &engine.added, &engine.removed);
	engine_bpf_sink_add(&engine.stages, engine.fw);
	engine_traffic_init(&engine.traffic);
	engine.steers = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)steer_free);
	engine.pending = g_hash_table_new(NULL, NULL);
	engine.service_watch = nfc_service_watch_add(&sw, NULL);
	engine.session_watch = nfc_session_watch_add(&ssw, NULL);
	nfc_session_set_change_check(check_change);
	engine_sweep(routing, on_swept, NULL);
	return 0;
}

const char *nfc_engine_firewall_backend(void)
{
	return engine.fw ? nfc_firewall_backend_name(engine.fw) : NULL;
}

void nfc_engine_cleanup(void)
{
	g_autoptr(GArray) rules = NULL;

	if (!engine.fw)
		return;
	nfc_service_watch_remove(engine.service_watch);
	nfc_session_watch_remove(engine.session_watch);
	nfc_session_set_change_check(NULL);
	if (engine.sync_idle)
		g_source_remove(engine.sync_idle);
	engine.sync_idle = 0;
	if (engine.pending_idle)
		g_source_remove(engine.pending_idle);
	engine.pending_idle = 0;
	g_clear_pointer(&engine.pending, g_hash_table_unref);
	/* everything of ours: ladders, source rules, uplink routes, and what
	 * was waiting to be broken */
	rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));
	for (guint id = 1; id <= engine.classes.by_id->len; id++) {
		const EngineLadder *ladder = engine_classes_get(&engine.classes, id);

		if (ladder)
			engine_ladder_rules(&engine.routing, id, ladder, rules);
	}
	for (guint i = 0; i < engine.uplinks.sources->len; i++)
		g_array_append_val(rules, ((EngineSource *)engine.uplinks.sources->pdata[i])->rule);
	engine_stages_remove_all(&engine.stages, rules, engine.uplinks.routes);
	engine_tether_clear(&engine.tether);
	/* the table goes with our socket (owner flag); say goodbye anyway */
	nfc_firewall_cleanup(engine.fw, NULL, NULL);
	g_clear_pointer(&engine.fw, nfc_firewall_free);
	engine_bpf_sink_stop();
	engine_stages_clear(&engine.stages);
	g_clear_pointer(&engine.steers, g_hash_table_unref);
	engine_identities_clear(&engine.identities);
	engine_classes_clear(&engine.classes);
	engine_uplinks_clear(&engine.uplinks);
	engine_traffic_clear(&engine.traffic);
	g_clear_pointer(&engine.own_cgroup, g_free);
	engine.host.cgroup = NULL;
	engine.ready = false;
}

/* ---- what the engine tells ---------------------------------------------------------- */

void nfc_engine_session_info(NfcSession *s, NfcEngineInfo *info)
{
	Steer *st = engine.steers ? g_hash_table_lookup(engine.steers, s) : NULL;
	NfcService *svc = nfc_session_get_service(s);

	memset(info, 0, sizeof(*info));
	info->steered = st != NULL;
	if (!st)
		return;
	info->routing_class = st->cls;
	info->mark = st->mark;
	if (svc) {
		guint slot = engine_uplinks_slot(&engine.uplinks, svc);

		info->table = slot ? engine_table(&engine.routing, slot) : 0;
	}
	info->identity_own = st->member_id.own;
	if (st->shared) {
		info->shared_identity = st->shared->key;
		info->shared_mark = st->shared_mark;
		info->shared_class = st->shared_cls;
	}
	if (!st->element)
		return;
	info->identity = st->element->key;
	info->identity_owner = st->element->installed == st->mark;
}

int nfc_engine_read_counters(NfcEngineCountersFunc done, void *user_data)
{
	if (!engine.fw || !engine.ready)
		return -ENOTCONN;
	return engine_traffic_read(&engine.traffic, engine.fw, done, user_data);
}

void nfc_engine_session_traffic(NfcSession *s, NfcSessionTraffic *total,
				NfcEngineUplinkTrafficFunc per_uplink, void *user_data)
{
	engine_traffic_get(&engine.traffic, nfc_session_get_id(s), total, per_uplink, user_data);
}

void nfc_engine_apply_times(NfcApplyTimes *added, NfcApplyTimes *removed, bool reset)
{
	engine_apply_summary(&engine.added, added);
	engine_apply_summary(&engine.removed, removed);
	if (reset) {
		engine_apply_reset(&engine.added);
		engine_apply_reset(&engine.removed);
	}
}

static char **ladder_names(const EngineLadder *ladder)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; ladder && i < ladder->n; i++) {
		NfcService *svc = engine_uplinks_service(&engine.uplinks, ladder->slot[i]);

		if (svc)
			g_ptr_array_add(out, g_strdup(nfc_service_get_identifier(svc)));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char **nfc_engine_session_ladder(NfcSession *s)
{
	EngineLadder ladder = { 0 };

	if (engine.uplinks.by_slot)
		ladder_of(s, &ladder);
	return ladder_names(&ladder);
}

char **nfc_engine_session_shared_ladder(NfcSession *s)
{
	Steer *st = engine.steers ? g_hash_table_lookup(engine.steers, s) : NULL;

	return ladder_names(st && st->shared_cls ? engine_classes_get(&engine.classes, st->shared_cls)
						 : NULL);
}

/* ---- tethering ---------------------------------------------------------------------- */

int nfc_engine_tether_set(const NfcFirewallTether *tether, void (*done)(int error, void *user_data),
			  void *user_data)
{
	return engine_tether_set(&engine.tether, tether, done, user_data);
}

int nfc_engine_tether_counters_read(NfcFirewallTetherCountersFunc done, void *user_data)
{
	if (!engine.fw || !engine.ready)
		return -ENOTCONN;
	return nfc_firewall_tether_counters_read(engine.fw, done, user_data);
}
