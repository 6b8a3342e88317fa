// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: routing classes (references, id reuse, the limit), the ip
 * rules of a ladder, and which rules and routes the start-up sweep takes
 * for ours. */
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* main.conf's defaults: RoutingMarkMask 0xfe000000, SessionMarkMask
 * 0x01ffff00, RoutingTableBase 7000, RulePriorityBase 7000, RoutingRange 256 */
static const EngineRouting routing = {
	.layout = { .routing_bits = 7, .routing_shift = 25, .session_bits = 17, .session_shift = 8 },
	.table_base = 7000,
	.priority_base = 7000,
	.range = 256,
};

static EngineLadder ladder(guint n, ...)
{
	EngineLadder l = { 0 };
	va_list ap;

	va_start(ap, n);
	for (guint i = 0; i < n; i++)
		l.slot[l.n++] = va_arg(ap, guint);
	va_end(ap);
	return l;
}

static void test_refs(void)
{
	EngineClasses c;
	EngineLadder a = ladder(2, 2, 1), b = ladder(1, 1), got = { 0 };
	bool created = false;

	engine_classes_init(&c, 28);
	g_assert_cmpuint(engine_classes_ref(&c, &a, &created), ==, 1);
	g_assert_true(created);
	/* the same uplinks in the same order: the same class */
	g_assert_cmpuint(engine_classes_ref(&c, &a, &created), ==, 1);
	g_assert_false(created);
	/* the same uplinks in another order are another class */
	b = ladder(2, 1, 2);
	g_assert_cmpuint(engine_classes_ref(&c, &b, &created), ==, 2);
	g_assert_true(created);
	g_assert_true(engine_classes_get(&c, 1)->n == 2 && engine_classes_get(&c, 1)->slot[0] == 2);

	/* the first of two references keeps the class */
	g_assert_false(engine_classes_unref(&c, 1, &got));
	g_assert_nonnull(engine_classes_get(&c, 1));
	g_assert_true(engine_classes_unref(&c, 1, &got));
	g_assert_cmpuint(got.n, ==, 2);
	g_assert_cmpuint(got.slot[0], ==, 2);
	g_assert_cmpuint(got.slot[1], ==, 1);
	g_assert_null(engine_classes_get(&c, 1));
	/* unknown or free ids are no-ops */
	g_assert_false(engine_classes_unref(&c, 1, NULL));
	g_assert_false(engine_classes_unref(&c, 0, NULL));
	g_assert_false(engine_classes_unref(&c, 99, NULL));

	/* a new class takes the lowest free id */
	b = ladder(0);
	g_assert_cmpuint(engine_classes_ref(&c, &b, &created), ==, 1);
	g_assert_true(created);
	g_assert_cmpuint(engine_classes_get(&c, 1)->n, ==, 0);
	engine_classes_clear(&c);
	g_assert_null(c.by_id);
}

static void test_limit(void)
{
	EngineClasses c;
	EngineLadder l1 = ladder(1, 1), l2 = ladder(1, 2), l3 = ladder(1, 3);
	bool created = true;

	engine_classes_init(&c, 2);
	g_assert_cmpuint(engine_classes_ref(&c, &l1, &created), ==, 1);
	g_assert_cmpuint(engine_classes_ref(&c, &l2, &created), ==, 2);
	g_assert_cmpuint(engine_classes_ref(&c, &l3, &created), ==, 0);
	g_assert_false(created);
	/* known classes still get references when all ids are taken */
	g_assert_cmpuint(engine_classes_ref(&c, &l2, &created), ==, 2);
	g_assert_true(engine_classes_unref(&c, 1, NULL));
	g_assert_cmpuint(engine_classes_ref(&c, &l3, &created), ==, 1);
	engine_classes_clear(&c);

	/* as many as both the rule range and the mark's routing bits hold */
	g_assert_cmpuint(engine_classes_max(&routing), ==, 256 / (ENGINE_MAX_UPLINKS + 1));
	{
		EngineRouting wide = routing, narrow = routing;

		wide.range = 10000;
		g_assert_cmpuint(engine_classes_max(&wide), ==, 127);
		narrow.layout.routing_bits = 3;
		g_assert_cmpuint(engine_classes_max(&narrow), ==, 7);
	}
}

static void assert_rule(const GArray *rules, guint i, int family, uint32_t priority,
			uint32_t table, uint32_t fwmark)
{
	const EngineRule *r = &g_array_index(rules, EngineRule, i);

	g_assert_cmpint(r->family, ==, family);
	g_assert_cmpuint(r->priority, ==, priority);
	g_assert_cmpuint(r->table, ==, table);
	g_assert_cmphex(r->fwmark, ==, fwmark);
	g_assert_cmphex(r->fwmask, ==, 0xfe000000);
	g_assert_cmpuint(r->src_len, ==, 0);
}

static void test_ladder_rules(void)
{
	g_autoptr(GArray) rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));
	EngineLadder l = ladder(2, 3, 1);

	/* class 2: priorities 7009.., mark 2 in the routing bits */
	engine_ladder_rules(&routing, 2, &l, rules);
	g_assert_cmpuint(rules->len, ==, 6);
	assert_rule(rules, 0, AF_INET, 7009, 7003, 0x04000000);
	assert_rule(rules, 1, AF_INET6, 7009, 7003, 0x04000000);
	assert_rule(rules, 2, AF_INET, 7010, 7001, 0x04000000);
	assert_rule(rules, 3, AF_INET6, 7010, 7001, 0x04000000);
	/* unreachable (table 0) at the last step, whatever the ladder's length */
	assert_rule(rules, 4, AF_INET, 7017, 0, 0x04000000);
	assert_rule(rules, 5, AF_INET6, 7017, 0, 0x04000000);

	/* an empty ladder: only unreachable; class 1 starts at the base */
	g_array_set_size(rules, 0);
	l = ladder(0);
	engine_ladder_rules(&routing, 1, &l, rules);
	g_assert_cmpuint(rules->len, ==, 2);
	assert_rule(rules, 0, AF_INET, 7008, 0, 0x02000000);
	assert_rule(rules, 1, AF_INET6, 7008, 0, 0x02000000);

	/* a full ladder stops right before its unreachable rule */
	g_array_set_size(rules, 0);
	l = ladder(8, 1, 2, 3, 4, 5, 6, 7, 8);
	engine_ladder_rules(&routing, 3, &l, rules);
	g_assert_cmpuint(rules->len, ==, 18);
	assert_rule(rules, 14, AF_INET, 7018 + 7, 7008, 0x06000000);
	assert_rule(rules, 16, AF_INET, 7018 + 8, 0, 0x06000000);
}

/* Uplinks in service order: two ethernet (one online), a wifi, a cellular
 * (online). */
static const EngineCandidate uplinks[] = {
	{ .slot = 3, .type = "ethernet", .ifname = "eth0", .online = false },
	{ .slot = 1, .type = "wifi", .ifname = "wlan0", .online = true },
	{ .slot = 2, .type = "ethernet", .ifname = "eth1", .online = true },
	{ .slot = 4, .type = "cellular", .ifname = "wwan0", .online = true },
};

static EngineLadder build(char *const *bearers, NfcConnType type, const char *ifname)
{
	EngineLadder l;

	engine_ladder_build(uplinks, G_N_ELEMENTS(uplinks), bearers, type, ifname, &l);
	return l;
}

static void assert_ladder(const EngineLadder *l, guint n, ...)
{
	va_list ap;

	g_assert_cmpuint(l->n, ==, n);
	va_start(ap, n);
	for (guint i = 0; i < n; i++)
		g_assert_cmpuint(l->slot[i], ==, va_arg(ap, guint));
	va_end(ap);
}

static void test_ladder_build(void)
{
	char *eth_wifi[] = { (char *)"ethernet", (char *)"wifi", NULL };
	char *none[] = { NULL };
	EngineLadder l;

	/* bearer order first, service order within a bearer */
	l = build(eth_wifi, NFC_CONN_ANY, NULL);
	assert_ladder(&l, 3, 3, 2, 1);
	l = build(eth_wifi, NFC_CONN_INTERNET, NULL);
	assert_ladder(&l, 2, 2, 1);
	l = build(eth_wifi, NFC_CONN_LOCAL, "eth1");
	assert_ladder(&l, 1, 2);
	/* "" and "*" are any interface */
	l = build(eth_wifi, NFC_CONN_ANY, "*");
	assert_ladder(&l, 3, 3, 2, 1);
	l = build(eth_wifi, NFC_CONN_ANY, "");
	assert_ladder(&l, 3, 3, 2, 1);
	l = build(none, NFC_CONN_ANY, NULL);
	assert_ladder(&l, 0);
	l = build(eth_wifi, NFC_CONN_ANY, "wwan0");
	assert_ladder(&l, 0);
}

static bool is_subset(const EngineLadder *a, const EngineLadder *b)
{
	for (guint i = 0; i < a->n; i++) {
		bool found = false;

		for (guint j = 0; j < b->n && !found; j++)
			found = b->slot[j] == a->slot[i];
		if (!found)
			return false;
	}
	return true;
}

static EngineLadder ladder_of_settings(const NfcSessionSettings *s, const NfcSessionPolicy *p)
{
	g_auto(GStrv) bearers = nfc_session_effective_bearers(s, p);

	return build(bearers, nfc_session_effective_type(s, p), nfc_session_effective_interface(s, p));
}

/* A member's own class: the policy's settings narrowed by the session's.
 * For every policy and every session's settings, its ladder holds nothing
 * the policy's lacks (its own bearer order may put them in another
 * order); settings that change it are "narrowing" (refused when there is
 * no member identity), settings that leave it as is are not. */
static void test_narrowing(void)
{
	char *eth_wifi[] = { (char *)"ethernet", (char *)"wifi", NULL };
	char *wifi_eth[] = { (char *)"wifi", (char *)"ethernet", NULL };
	char *cell_eth[] = { (char *)"cellular", (char *)"ethernet", NULL };
	char *star[] = { (char *)"*", NULL };
	char *cell[] = { (char *)"cellular", NULL };
	char *empty[] = { NULL };
	char **policy_bearers[] = { NULL, eth_wifi, cell };
	char **user_bearers[] = { NULL, star, eth_wifi, wifi_eth, cell_eth, cell, empty };
	const char *policy_ifnames[] = { NULL, "eth1" };
	const char *user_ifnames[] = { NULL, "*", "eth0", "eth1", "wlan0" };
	guint narrowing = 0, same = 0;

	for (guint pb = 0; pb < G_N_ELEMENTS(policy_bearers); pb++)
	for (guint pi = 0; pi < G_N_ELEMENTS(policy_ifnames); pi++)
	for (int pt = -1; pt <= NFC_CONN_INTERNET; pt++)
	for (guint ub = 0; ub < G_N_ELEMENTS(user_bearers); ub++)
	for (guint ui = 0; ui < G_N_ELEMENTS(user_ifnames); ui++)
	for (int ut = NFC_CONN_ANY; ut <= NFC_CONN_INTERNET; ut++) {
		NfcSessionPolicy p = { .bearers = policy_bearers[pb], .has_type = pt >= 0,
				       .type = pt >= 0 ? pt : NFC_CONN_ANY,
				       .interface = (char *)policy_ifnames[pi] };
		NfcSessionSettings s = { .bearers = user_bearers[ub], .type = ut,
					 .interface = (char *)user_ifnames[ui] };
		const NfcSessionSettings defaults = { 0 };
		EngineLadder policy = ladder_of_settings(&defaults, &p);
		EngineLadder mine = ladder_of_settings(&s, &p);
		bool differs = mine.n != policy.n ||
			       memcmp(mine.slot, policy.slot, mine.n * sizeof(mine.slot[0]));

		g_assert_true(is_subset(&mine, &policy));
		/* what differs is always called narrowing (the check never
		 * lets a change of the ladder through) */
		if (differs)
			g_assert_true(engine_settings_narrow(&s, &p));
		if (engine_settings_narrow(&s, &p))
			narrowing++;
		else
			same++;
	}
	/* both kinds occur, and asking for nothing never narrows */
	g_assert_cmpuint(narrowing, >, 0);
	g_assert_cmpuint(same, >, 0);
	{
		NfcSessionPolicy p = { .bearers = eth_wifi, .interface = (char *)"eth1" };
		NfcSessionSettings s = { .bearers = star, .interface = (char *)"*" };

		g_assert_false(engine_settings_narrow(&s, &p));
		s.bearers = empty;
		g_assert_true(engine_settings_narrow(&s, &p));
		/* local and any give the same ladder */
		s.bearers = NULL;
		s.type = NFC_CONN_LOCAL;
		g_assert_false(engine_settings_narrow(&s, &p));
		s.type = NFC_CONN_INTERNET;
		g_assert_true(engine_settings_narrow(&s, &p));
	}
}

static void test_sweep_ranges(void)
{
	NfcRtnlRule rule = { .family = AF_INET };
	NfcRtnlRoute route = { .family = AF_INET };

	rule.priority = 7000;
	g_assert_true(engine_sweep_rule_is_ours(&routing, &rule));
	rule.priority = 7255;
	g_assert_true(engine_sweep_rule_is_ours(&routing, &rule));
	rule.priority = 7256;
	g_assert_false(engine_sweep_rule_is_ours(&routing, &rule));
	/* someone else's priority, but a lookup in one of our tables */
	rule.priority = 100;
	rule.table = 7005;
	g_assert_true(engine_sweep_rule_is_ours(&routing, &rule));
	rule.table = RT_TABLE_MAIN;
	g_assert_false(engine_sweep_rule_is_ours(&routing, &rule));
	rule.priority = 6999;
	rule.table = 0;
	g_assert_false(engine_sweep_rule_is_ours(&routing, &rule));

	route.table = 7001;
	g_assert_true(engine_sweep_route_is_ours(&routing, &route));
	route.table = 7256;
	g_assert_false(engine_sweep_route_is_ours(&routing, &route));
	route.table = RT_TABLE_MAIN;
	g_assert_false(engine_sweep_route_is_ours(&routing, &route));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/engine/classes/refs", test_refs);
	g_test_add_func("/engine/classes/limit", test_limit);
	g_test_add_func("/engine/classes/ladder-rules", test_ladder_rules);
	g_test_add_func("/engine/classes/ladder-build", test_ladder_build);
	g_test_add_func("/engine/classes/narrowing", test_narrowing);
	g_test_add_func("/engine/sweep/ranges", test_sweep_ranges);
	return g_test_run();
}
