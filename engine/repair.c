// SPDX-License-Identifier: GPL-2.0-or-later
/* Our ip rules and routes, kept as the commit left them. The stages tell
 * what the kernel should hold; rtnetlink tells when a rule or route of
 * that set goes, or when something else lands in one of our tables (a
 * route replaced from outside). Either starts a check a little later, so
 * that a burst ("ip rule flush") is answered once: a fresh dump of rules
 * and routes, and whatever of ours it lacks is added again. The nft side
 * does the same for its table (the firewall's REPAIRED event). */
#include "internal.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "log.h"

/* As the firewall's monitor waits: long enough to take a whole burst of
 * deletions into one check, short against the time a leak may last. */
#define REPAIR_DELAY_MS 20
/* after a dump failed */
#define REPAIR_RETRY_MS 1000
/* IPv6 routes sent without a metric get this one (IP6_RT_PRIO_USER) */
#define IPV6_DEFAULT_METRIC 1024
/* what one log line names before it just counts */
#define REPAIR_LOG_ITEMS 6

static bool addr_equal(int family, const NfcInAddr *a, const NfcInAddr *b)
{
	return !memcmp(a, b, family == AF_INET ? sizeof(a->v4) : sizeof(a->v6));
}

static uint32_t metric(const NfcRtnlRoute *r)
{
	return r->family == AF_INET6 && !r->priority ? IPV6_DEFAULT_METRIC : r->priority;
}

bool engine_repair_rule_matches(const EngineRule *want, const NfcRtnlRule *seen)
{
	uint8_t action = want->table ? FR_ACT_TO_TBL : FR_ACT_UNREACHABLE;

	return want->family == seen->family && want->priority == seen->priority &&
	       want->table == seen->table && action == seen->action &&
	       want->fwmark == seen->fwmark && want->fwmask == seen->fwmask &&
	       want->src_len == seen->src_len && addr_equal(want->family, &want->src, &seen->src);
}

bool engine_repair_route_matches(const NfcRtnlRoute *want, const NfcRtnlRoute *seen)
{
	return want->family == seen->family && want->table == seen->table &&
	       want->dst_len == seen->dst_len && want->oif == seen->oif &&
	       want->scope == seen->scope && metric(want) == metric(seen) &&
	       addr_equal(want->family, &want->dst, &seen->dst) &&
	       addr_equal(want->family, &want->gateway, &seen->gateway) &&
	       addr_equal(want->family, &want->prefsrc, &seen->prefsrc);
}

/* The kernel keeps one route per destination and metric in a table: a
 * route of ours that replaced another (a new gateway) stands in for the
 * old one until the commit deletes it. */
static bool same_slot(const NfcRtnlRoute *a, const NfcRtnlRoute *b)
{
	return a->family == b->family && a->table == b->table && a->dst_len == b->dst_len &&
	       metric(a) == metric(b) && addr_equal(a->family, &a->dst, &b->dst);
}

static bool seen_route(const GArray *seen, const NfcRtnlRoute *want)
{
	for (guint j = 0; j < seen->len; j++)
		if (engine_repair_route_matches(want, &g_array_index(seen, NfcRtnlRoute, j)))
			return true;
	return false;
}

static bool seen_rule(const GArray *seen, const EngineRule *want)
{
	for (guint j = 0; j < seen->len; j++)
		if (engine_repair_rule_matches(want, &g_array_index(seen, NfcRtnlRule, j)))
			return true;
	return false;
}

/* Another route we expect holds the place of the one at index i: it is
 * there, or it was made later (the expected routes are in the order they
 * were made), so that of two missing only the newer comes back. */
static bool superseded(const GArray *expected, const GArray *seen, guint i)
{
	const NfcRtnlRoute *want = &g_array_index(expected, NfcRtnlRoute, i);

	for (guint j = 0; j < expected->len; j++) {
		const NfcRtnlRoute *other = &g_array_index(expected, NfcRtnlRoute, j);

		if (j != i && same_slot(other, want) && (j > i || seen_route(seen, other)))
			return true;
	}
	return false;
}

void engine_repair_missing(const EngineRepair *rp, const GArray *seen_rules,
			   const GArray *seen_routes, GArray *rules, GArray *routes)
{
	for (guint i = 0; i < rp->rules->len; i++) {
		const EngineRule *want = &g_array_index(rp->rules, EngineRule, i);

		if (!seen_rule(seen_rules, want))
			g_array_append_val(rules, *want);
	}
	for (guint i = 0; i < rp->routes->len; i++) {
		const NfcRtnlRoute *want = &g_array_index(rp->routes, NfcRtnlRoute, i);

		if (!seen_route(seen_routes, want) && !superseded(rp->routes, seen_routes, i))
			g_array_append_val(routes, *want);
	}
}

/* ---- what we expect ---------------------------------------------------------------- */

void engine_repair_expect_rule(EngineRepair *rp, const EngineRule *r)
{
	for (guint i = 0; i < rp->rules->len; i++)
		if (engine_rule_equal(r, &g_array_index(rp->rules, EngineRule, i)))
			return;
	g_array_append_val(rp->rules, *r);
}

void engine_repair_forget_rule(EngineRepair *rp, const EngineRule *r)
{
	for (guint i = 0; i < rp->rules->len; i++) {
		if (engine_rule_equal(r, &g_array_index(rp->rules, EngineRule, i))) {
			g_array_remove_index_fast(rp->rules, i);
			return;
		}
	}
}

/* Kept in the order they were made (a route made again moves to the
 * end): the newest of two in one place is the one the kernel holds. */
void engine_repair_expect_route(EngineRepair *rp, const NfcRtnlRoute *r)
{
	engine_repair_forget_route(rp, r);
	g_array_append_val(rp->routes, *r);
}

void engine_repair_forget_route(EngineRepair *rp, const NfcRtnlRoute *r)
{
	for (guint i = 0; i < rp->routes->len; i++) {
		if (engine_route_equal(r, &g_array_index(rp->routes, NfcRtnlRoute, i))) {
			g_array_remove_index(rp->routes, i);
			return;
		}
	}
}

static void cancel_check(EngineRepair *rp)
{
	g_clear_handle_id(&rp->timer, g_source_remove);
	for (guint i = 0; i < G_N_ELEMENTS(rp->dump_ids); i++)
		if (rp->dump_ids[i] > 0)
			nfc_rtnl_cancel(rp->dump_ids[i]);
	memset(rp->dump_ids, 0, sizeof(rp->dump_ids));
	rp->dumps = 0;
	rp->since = 0;
	rp->again = rp->failed = false;
	g_clear_pointer(&rp->seen_rules, g_array_unref);
	g_clear_pointer(&rp->seen_routes, g_array_unref);
}

void engine_repair_forget_all(EngineRepair *rp)
{
	cancel_check(rp);
	g_array_set_size(rp->rules, 0);
	g_array_set_size(rp->routes, 0);
}

/* ---- the check --------------------------------------------------------------------- */

static void start_check(EngineRepair *rp);

static gboolean on_timer(gpointer data)
{
	EngineRepair *rp = data;

	rp->timer = 0;
	start_check(rp);
	return G_SOURCE_REMOVE;
}

static void schedule_in(EngineRepair *rp, guint ms)
{
	if (!*rp->live)
		return;
	if (!rp->since)
		rp->since = g_get_monotonic_time();
	/* a check running may have dumped before this change */
	if (rp->dumps > 0) {
		rp->again = true;
		return;
	}
	if (!rp->timer)
		rp->timer = g_timeout_add(ms, on_timer, rp);
}

static void schedule(EngineRepair *rp)
{
	schedule_in(rp, REPAIR_DELAY_MS);
}

static void each_rule(const NfcRtnlRule *rule, void *user_data)
{
	EngineRepair *rp = user_data;

	g_array_append_val(rp->seen_rules, *rule);
}

static void each_route(const NfcRtnlRoute *route, void *user_data)
{
	EngineRepair *rp = user_data;

	g_array_append_val(rp->seen_routes, *route);
}

static void repair_done(int error, void *user_data)
{
	if (error < 0 && error != -EEXIST)
		nfc_warn("engine: restoring %s failed: %s", (const char *)user_data,
			 g_strerror(-error));
}

static void describe_rule(GString *out, const EngineRule *r)
{
	g_string_append_printf(out, "rule %u (%s)", r->priority,
			       r->family == AF_INET ? "IPv4" : "IPv6");
}

static void describe_route(GString *out, const NfcRtnlRoute *r)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];

	g_string_append_printf(out, "route table %u %s/%u", r->table,
			       nfc_inaddr_to_string(r->family, &r->dst, dst), r->dst_len);
	if (!nfc_inaddr_is_zero(r->family, &r->gateway))
		g_string_append_printf(out, " via %s",
				       nfc_inaddr_to_string(r->family, &r->gateway, gw));
}

static void note(GString *what, guint *items)
{
	if (*items < REPAIR_LOG_ITEMS)
		g_string_append(what, *items ? ", " : ": ");
	(*items)++;
}

/* A route through a link that is down or gone is the uplink's to retire
 * (the service goes too), not ours to force back. */
static bool link_usable(int index)
{
	const NfcRtnlLink *link = nfc_rtnl_link_get(index);

	return !index || (link && (link->flags & IFF_UP));
}

static void finish_check(EngineRepair *rp)
{
	g_autoptr(GString) what = g_string_new(NULL);
	g_autoptr(GArray) missing_rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));
	g_autoptr(GArray) missing_routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	guint rules = 0, routes = 0, items = 0;

	engine_repair_missing(rp, rp->seen_rules, rp->seen_routes, missing_rules, missing_routes);
	for (guint i = 0; i < missing_rules->len; i++) {
		const EngineRule *want = &g_array_index(missing_rules, EngineRule, i);
		NfcRtnlRule x = engine_rule_to_rtnl(want);

		nfc_rtnl_rule_add(&x, repair_done, "an ip rule");
		note(what, &items);
		if (items <= REPAIR_LOG_ITEMS)
			describe_rule(what, want);
		rules++;
	}
	for (guint i = 0; i < missing_routes->len; i++) {
		const NfcRtnlRoute *want = &g_array_index(missing_routes, NfcRtnlRoute, i);

		if (!link_usable(want->oif))
			continue;
		/* replace: a changed route of ours is overwritten */
		nfc_rtnl_route_add(want, true, repair_done, "a route");
		note(what, &items);
		if (items <= REPAIR_LOG_ITEMS)
			describe_route(what, want);
		routes++;
	}
	if (rules || routes) {
		rp->repairs++;
		if (items > REPAIR_LOG_ITEMS)
			g_string_append_printf(what, " and %u more", items - REPAIR_LOG_ITEMS);
		nfc_warn("engine: %u ip rules and %u routes of ours were removed or changed from "
			 "outside; restored%s (repair %" G_GUINT64_FORMAT ", %.1f ms after the "
			 "first change was seen)", rules, routes, what->str, rp->repairs,
			 (g_get_monotonic_time() - rp->since) / 1000.0);
	}
}

static void dumped(int error, void *user_data)
{
	EngineRepair *rp = user_data;
	bool again, failed;

	if (error < 0) {
		nfc_warn("engine: cannot check our ip rules and routes: %s", g_strerror(-error));
		rp->failed = true;
	}
	if (--rp->dumps > 0)
		return;
	memset(rp->dump_ids, 0, sizeof(rp->dump_ids));
	/* a dump cut short would make everything look missing */
	if (*rp->live && !rp->failed)
		finish_check(rp);
	rp->since = 0;
	failed = rp->failed;
	again = rp->again || failed;
	rp->again = rp->failed = false;
	g_clear_pointer(&rp->seen_rules, g_array_unref);
	g_clear_pointer(&rp->seen_routes, g_array_unref);
	/* a kernel that fails our dumps is not asked again at once */
	if (again)
		schedule_in(rp, failed ? REPAIR_RETRY_MS : REPAIR_DELAY_MS);
}

static void start_check(EngineRepair *rp)
{
	int id;

	rp->seen_rules = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRule));
	rp->seen_routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	/* counted up front: no answer may end the check before all are asked */
	rp->dumps = G_N_ELEMENTS(rp->dump_ids) + 1;
	for (guint i = 0; i < G_N_ELEMENTS(rp->dump_ids); i++) {
		int family = i % 2 ? AF_INET6 : AF_INET;

		if (i < 2)
			id = nfc_rtnl_rule_dump(family, each_rule, dumped, rp);
		else
			id = nfc_rtnl_route_dump(family, 0, each_route, dumped, rp);
		if (id < 0) {
			nfc_warn("engine: cannot check our ip rules and routes: %s",
				 g_strerror(-id));
			rp->dumps--;
			rp->failed = true;
		} else {
			rp->dump_ids[i] = id;
		}
	}
	dumped(0, rp);
}

/* ---- what rtnetlink tells ------------------------------------------------------------ */

static void on_rule_removed(const NfcRtnlRule *rule, void *user_data)
{
	EngineRepair *rp = user_data;

	for (guint i = 0; i < rp->rules->len; i++) {
		if (engine_repair_rule_matches(&g_array_index(rp->rules, EngineRule, i), rule)) {
			schedule(rp);
			return;
		}
	}
}

static void on_route_removed(const NfcRtnlRoute *route, void *user_data)
{
	EngineRepair *rp = user_data;

	for (guint i = 0; i < rp->routes->len; i++) {
		if (engine_repair_route_matches(&g_array_index(rp->routes, NfcRtnlRoute, i),
						route)) {
			schedule(rp);
			return;
		}
	}
}

/* Ours arriving is the commit's or a repair's; anything else in one of
 * our tables may have replaced a route of ours (no removal is told then). */
static void on_route_added(const NfcRtnlRoute *route, void *user_data)
{
	EngineRepair *rp = user_data;
	bool our_table = false;

	for (guint i = 0; i < rp->routes->len; i++) {
		const NfcRtnlRoute *want = &g_array_index(rp->routes, NfcRtnlRoute, i);

		if (engine_repair_route_matches(want, route))
			return;
		our_table = our_table || want->table == route->table;
	}
	if (our_table)
		schedule(rp);
}

/* Events were lost: whatever they said, a check finds it. */
static void on_resynced(void *user_data)
{
	schedule(user_data);
}

void engine_repair_init(EngineRepair *rp, const bool *live)
{
	static const NfcRtnlWatch watch = {
		.route_added = on_route_added,
		.route_removed = on_route_removed,
		.rule_removed = on_rule_removed,
		.resynced = on_resynced,
	};

	memset(rp, 0, sizeof(*rp));
	rp->live = live;
	rp->rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));
	rp->routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	/* 0 without rtnetlink (the unit tests): nothing is watched */
	rp->watch = nfc_rtnl_watch_add(&watch, rp);
}

void engine_repair_clear(EngineRepair *rp)
{
	if (!rp->rules)
		return;
	if (rp->watch)
		nfc_rtnl_watch_remove(rp->watch);
	rp->watch = 0;
	cancel_check(rp);
	g_clear_pointer(&rp->rules, g_array_unref);
	g_clear_pointer(&rp->routes, g_array_unref);
}
