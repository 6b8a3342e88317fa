// SPDX-License-Identifier: GPL-2.0-or-later
/* The commit: what the references start or end, sent to the kernel in
 * three stages so that no packet ever meets a half-made state. A mark is
 * only put on sockets (flip) once the rules and routes it leads to are
 * in (make); a rule or route goes (break) only once no mark leads there. */
#include "internal.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "log.h"

typedef struct {
	const EngineSinkOps *ops;
	void *data;
} EngineSink;

/* One element change, until every sink acked it. */
typedef struct {
	EngineStages *st;
	gint64 start;             /* when the session event queued it */
	bool removal;
	guint left;               /* sinks yet to answer */
	bool failed;
} Flip;

bool engine_rule_equal(const EngineRule *a, const EngineRule *b)
{
	return a->family == b->family && a->priority == b->priority && a->table == b->table &&
	       a->fwmark == b->fwmark && a->fwmask == b->fwmask && a->src_len == b->src_len &&
	       !memcmp(&a->src, &b->src, sizeof(a->src));
}

bool engine_route_equal(const NfcRtnlRoute *a, const NfcRtnlRoute *b)
{
	return a->family == b->family && a->table == b->table && a->dst_len == b->dst_len &&
	       a->oif == b->oif && a->scope == b->scope && a->priority == b->priority &&
	       !memcmp(&a->dst, &b->dst, sizeof(a->dst)) &&
	       !memcmp(&a->gateway, &b->gateway, sizeof(a->gateway)) &&
	       !memcmp(&a->prefsrc, &b->prefsrc, sizeof(a->prefsrc));
}

NfcRtnlRule engine_rule_to_rtnl(const EngineRule *r)
{
	NfcRtnlRule x = { 0 };

	x.family = r->family;
	x.priority = r->priority;
	x.table = r->table;
	x.action = r->table ? FR_ACT_TO_TBL : FR_ACT_UNREACHABLE;
	x.fwmark = r->fwmark;
	x.fwmask = r->fwmask;
	x.src = r->src;
	x.src_len = r->src_len;
	x.protocol = RTPROT_STATIC;
	return x;
}

static void log_rule(const EngineRule *r, bool add)
{
	char src[INET6_ADDRSTRLEN];

	nfc_debug("%s rule %u: fwmark 0x%x/0x%x from %s/%u table %u", add ? "add" : "delete",
		  r->priority, r->fwmark, r->fwmask,
		  nfc_inaddr_to_string(r->family, &r->src, src), r->src_len, r->table);
}

static void log_route(const NfcRtnlRoute *r, bool add)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];

	nfc_debug("%s route table %u: %s/%u via %s dev %d", add ? "add" : "delete", r->table,
		  nfc_inaddr_to_string(r->family, &r->dst, dst), r->dst_len,
		  nfc_inaddr_to_string(r->family, &r->gateway, gw), r->oif);
}

/* A rule or route that is there already, or already gone, is no failure. */
static void warn_failed(const char *what, int error)
{
	if (error < 0 && error != -EEXIST && error != -ENOENT && error != -ESRCH)
		nfc_warn("engine: %s failed: %s", what, g_strerror(-error));
}

static void break_done(int error, void *user_data)
{
	warn_failed(user_data, error);
}

void engine_stages_init(EngineStages *st, EngineIdentities *ids, EngineApplyRing *added,
			EngineApplyRing *removed)
{
	memset(st, 0, sizeof(*st));
	st->break_rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));
	st->break_routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	st->sinks = g_array_new(FALSE, TRUE, sizeof(EngineSink));
	g_queue_init(&st->in_flight);
	st->identities = ids;
	st->added = added;
	st->removed = removed;
	engine_repair_init(&st->repair, &st->live);
}

void engine_stages_add_sink(EngineStages *st, const EngineSinkOps *ops, void *data)
{
	EngineSink sink = { ops, data };

	g_array_append_val(st->sinks, sink);
}

void engine_stages_clear(EngineStages *st)
{
	/* a destroyed sink drops its queue without calling back */
	g_queue_clear_full(&st->in_flight, g_free);
	engine_repair_clear(&st->repair);
	g_clear_pointer(&st->break_rules, g_array_unref);
	g_clear_pointer(&st->break_routes, g_array_unref);
	g_clear_pointer(&st->sinks, g_array_unref);
	st->live = false;
	st->pending_make = st->pending_flip = 0;
}

/* The stages live in the engine's state, which outlives the requests
 * (rtnl completes what is pending with -ECANCELED when it stops): an
 * answer after our stop finds live false and does nothing. */
static void make_done(EngineStages *st, const char *what, int error)
{
	warn_failed(what, error);
	if (!st->live)
		return;
	if (st->pending_make > 0)
		st->pending_make--;
	engine_stages_advance(st);
}

static void make_rule_done(int error, void *user_data)
{
	make_done(user_data, "rule add", error);
}

static void make_route_done(int error, void *user_data)
{
	make_done(user_data, "route add", error);
}

void engine_stages_make_rule(EngineStages *st, const EngineRule *r)
{
	NfcRtnlRule x = engine_rule_to_rtnl(r);

	engine_repair_expect_rule(&st->repair, r);
	for (guint i = 0; i < st->break_rules->len; i++) {
		if (engine_rule_equal(r, &g_array_index(st->break_rules, EngineRule, i))) {
			g_array_remove_index(st->break_rules, i);
			return;
		}
	}
	log_rule(r, true);
	if (nfc_rtnl_rule_add(&x, make_rule_done, st) >= 0)
		st->pending_make++;
}

void engine_stages_make_route(EngineStages *st, const NfcRtnlRoute *r)
{
	engine_repair_expect_route(&st->repair, r);
	for (guint i = 0; i < st->break_routes->len; i++) {
		if (engine_route_equal(r, &g_array_index(st->break_routes, NfcRtnlRoute, i))) {
			g_array_remove_index(st->break_routes, i);
			return;
		}
	}
	log_route(r, true);
	if (nfc_rtnl_route_add(r, true, make_route_done, st) >= 0)
		st->pending_make++;
}

void engine_stages_break_rule(EngineStages *st, const EngineRule *r)
{
	g_array_append_val(st->break_rules, *r);
}

void engine_stages_break_route(EngineStages *st, const NfcRtnlRoute *r)
{
	g_array_append_val(st->break_routes, *r);
}

static void flip_done(int error, void *user_data)
{
	Flip *flip = user_data;
	EngineStages *st = flip->st;

	if (error < 0 && error != -ENOENT) {
		nfc_warn("engine: identity update failed: %s", g_strerror(-error));
		flip->failed = true;
	}
	if (st->pending_flip > 0)
		st->pending_flip--;
	if (--flip->left > 0)
		return;
	g_queue_remove(&st->in_flight, flip);
	if (!flip->failed)
		engine_apply_record(flip->removal ? st->removed : st->added,
				    g_get_monotonic_time() - flip->start);
	g_free(flip);
	engine_stages_advance(st);
}

/* Tell every sink an element's new mark. */
static void flip(EngineStages *st, EngineElement *el, uint32_t mark)
{
	Flip *f = g_new0(Flip, 1);

	f->st = st;
	f->start = el->queued_at;
	f->removal = !mark;
	/* counted up front: a sink that answers at once must not see 0 left */
	f->left = st->sinks->len + 1;
	for (guint i = 0; i < st->sinks->len; i++) {
		EngineSink *sink = &g_array_index(st->sinks, EngineSink, i);

		if (sink->ops->set_identity(sink->data, &el->id, mark, flip_done, f) >= 0) {
			st->pending_flip++;
		} else {
			nfc_warn("engine: %s refused the element of %s", sink->ops->name, el->key);
			f->left--;
		}
	}
	if (--f->left == 0) {
		g_free(f);
		return;
	}
	g_queue_push_tail(&st->in_flight, f);
}

void engine_stages_advance(EngineStages *st)
{
	EngineElement *el;

	if (!st->live || st->pending_make > 0)
		return;
	while ((el = engine_identities_pop_dirty(st->identities))) {
		uint32_t want = engine_element_owner_mark(el);

		if (want != el->installed)
			flip(st, el, want);
		engine_identities_settled(st->identities, el, want);
	}
	if (st->pending_flip > 0)
		return;
	for (guint i = 0; i < st->break_rules->len; i++) {
		const EngineRule *r = &g_array_index(st->break_rules, EngineRule, i);
		NfcRtnlRule x = engine_rule_to_rtnl(r);

		log_rule(r, false);
		engine_repair_forget_rule(&st->repair, r);
		nfc_rtnl_rule_del(&x, break_done, "rule delete");
	}
	for (guint i = 0; i < st->break_routes->len; i++) {
		const NfcRtnlRoute *r = &g_array_index(st->break_routes, NfcRtnlRoute, i);

		log_route(r, false);
		engine_repair_forget_route(&st->repair, r);
		nfc_rtnl_route_del(r, break_done, "route delete");
	}
	g_array_set_size(st->break_rules, 0);
	g_array_set_size(st->break_routes, 0);
}

void engine_stages_remove_all(EngineStages *st, const GArray *rules, const GArray *routes)
{
	const GArray *rule_sets[] = { rules, st->break_rules };
	const GArray *route_sets[] = { routes, st->break_routes };

	st->live = false;
	engine_repair_forget_all(&st->repair);
	for (guint s = 0; s < G_N_ELEMENTS(rule_sets); s++) {
		for (guint i = 0; i < rule_sets[s]->len; i++) {
			NfcRtnlRule x = engine_rule_to_rtnl(&g_array_index(rule_sets[s], EngineRule, i));

			nfc_rtnl_rule_del(&x, NULL, NULL);
		}
	}
	for (guint s = 0; s < G_N_ELEMENTS(route_sets); s++)
		for (guint i = 0; i < route_sets[s]->len; i++)
			nfc_rtnl_route_del(&g_array_index(route_sets[s], NfcRtnlRoute, i), NULL, NULL);
}
