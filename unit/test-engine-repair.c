// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: what the repair of our rules and routes takes for "still
 * there" (the kernel's view of what we sent), and the set it expects:
 * makes add to it once, breaks take out only what they name. */
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "internal.h"

static NfcInAddr addr(int family, const char *text)
{
	NfcInAddr a = { 0 };

	g_assert_cmpint(inet_pton(family, text, &a), ==, 1);
	return a;
}

/* a rung and the unreachable step, as the kernel dumps them */
static void test_rule_matches(void)
{
	EngineRule rung = { .family = AF_INET, .priority = 7000, .table = 7002,
			    .fwmark = 0x2000000, .fwmask = 0xfe000000 };
	EngineRule stop = rung;
	NfcRtnlRule seen = { .family = AF_INET, .priority = 7000, .table = 7002,
			     .action = FR_ACT_TO_TBL, .fwmark = 0x2000000, .fwmask = 0xfe000000,
			     .protocol = RTPROT_STATIC };
	NfcRtnlRule other;

	g_assert_true(engine_repair_rule_matches(&rung, &seen));
	/* the protocol is the kernel's bookkeeping, not the rule */
	seen.protocol = 0;
	g_assert_true(engine_repair_rule_matches(&rung, &seen));

	stop.priority = 7008;
	stop.table = 0;
	other = seen;
	other.priority = 7008;
	other.table = 0;
	other.action = FR_ACT_UNREACHABLE;
	g_assert_true(engine_repair_rule_matches(&stop, &other));
	/* someone put a blackhole where our unreachable was: not ours */
	other.action = FR_ACT_BLACKHOLE;
	g_assert_false(engine_repair_rule_matches(&stop, &other));

	other = seen;
	other.fwmask = 0xffffffff;
	g_assert_false(engine_repair_rule_matches(&rung, &other));
	other = seen;
	other.family = AF_INET6;
	g_assert_false(engine_repair_rule_matches(&rung, &other));
	other = seen;
	other.table = 7001;
	g_assert_false(engine_repair_rule_matches(&rung, &other));

	/* a source rule: the address and its length count */
	rung.src = addr(AF_INET, "198.51.100.80");
	rung.src_len = 32;
	rung.fwmark = rung.fwmask = 0;
	other = seen;
	other.fwmark = other.fwmask = 0;
	other.src = rung.src;
	other.src_len = 32;
	g_assert_true(engine_repair_rule_matches(&rung, &other));
	other.src = addr(AF_INET, "198.51.100.81");
	g_assert_false(engine_repair_rule_matches(&rung, &other));
}

static void test_route_matches(void)
{
	NfcRtnlRoute want = { .family = AF_INET6, .table = 7002, .protocol = RTPROT_STATIC,
			      .type = RTN_UNICAST, .scope = RT_SCOPE_UNIVERSE, .oif = 2,
			      .gateway = addr(AF_INET6, "fe80::1") };
	NfcRtnlRoute seen = want;

	/* an IPv6 route sent without a metric comes back with the kernel's */
	seen.priority = 1024;
	g_assert_true(engine_repair_route_matches(&want, &seen));
	seen.priority = 100;
	g_assert_false(engine_repair_route_matches(&want, &seen));

	/* IPv4 keeps what was sent: no metric is metric 0 */
	want.family = seen.family = AF_INET;
	want.gateway = seen.gateway = addr(AF_INET, "198.51.100.1");
	want.prefsrc = seen.prefsrc = addr(AF_INET, "198.51.100.80");
	seen.priority = 0;
	g_assert_true(engine_repair_route_matches(&want, &seen));
	seen.priority = 1024;
	g_assert_false(engine_repair_route_matches(&want, &seen));
	seen.priority = 0;

	/* replaced from outside: another gateway, another device, no source */
	seen.gateway = addr(AF_INET, "198.51.100.2");
	g_assert_false(engine_repair_route_matches(&want, &seen));
	seen.gateway = want.gateway;
	seen.oif = 3;
	g_assert_false(engine_repair_route_matches(&want, &seen));
	seen.oif = want.oif;
	seen.prefsrc = (NfcInAddr){ 0 };
	g_assert_false(engine_repair_route_matches(&want, &seen));
	seen.prefsrc = want.prefsrc;
	/* flags the kernel reports (linkdown) do not make it another route */
	seen.flags = RTNH_F_LINKDOWN;
	g_assert_true(engine_repair_route_matches(&want, &seen));
}

static void test_expected_set(void)
{
	bool live = false;
	EngineRepair rp;
	EngineRule a = { .family = AF_INET, .priority = 7000, .table = 7001 };
	EngineRule b = { .family = AF_INET6, .priority = 7000, .table = 7001 };
	NfcRtnlRoute r = { .family = AF_INET, .table = 7001, .oif = 2 };

	/* no rtnetlink here: nothing is watched, the set still works */
	engine_repair_init(&rp, &live);
	g_assert_cmpuint(rp.watch, ==, 0);
	engine_repair_expect_rule(&rp, &a);
	engine_repair_expect_rule(&rp, &a);
	engine_repair_expect_rule(&rp, &b);
	g_assert_cmpuint(rp.rules->len, ==, 2);
	engine_repair_forget_rule(&rp, &a);
	g_assert_cmpuint(rp.rules->len, ==, 1);
	g_assert_true(engine_rule_equal(&g_array_index(rp.rules, EngineRule, 0), &b));
	/* forgetting what is not expected changes nothing */
	engine_repair_forget_rule(&rp, &a);
	g_assert_cmpuint(rp.rules->len, ==, 1);

	engine_repair_expect_route(&rp, &r);
	engine_repair_expect_route(&rp, &r);
	g_assert_cmpuint(rp.routes->len, ==, 1);
	engine_repair_forget_all(&rp);
	g_assert_cmpuint(rp.rules->len, ==, 0);
	g_assert_cmpuint(rp.routes->len, ==, 0);
	g_assert_cmpuint(rp.timer, ==, 0);
	engine_repair_clear(&rp);
	/* twice is harmless (the stages clear what they may not have set up) */
	engine_repair_clear(&rp);
}

static NfcRtnlRule as_seen(const EngineRule *r)
{
	NfcRtnlRule x = engine_rule_to_rtnl(r);

	return x;
}

/* What a dump lacks is what gets restored; a route that a new one of ours
 * replaced in its place is not (the commit deletes it next). */
static void test_missing(void)
{
	bool live = true;
	EngineRepair rp;
	EngineRule rung = { .family = AF_INET, .priority = 7000, .table = 7002,
			    .fwmark = 0x2000000, .fwmask = 0xfe000000 };
	EngineRule stop = { .family = AF_INET, .priority = 7008, .table = 0,
			    .fwmark = 0x2000000, .fwmask = 0xfe000000 };
	NfcRtnlRoute subnet = { .family = AF_INET, .table = 7002, .dst_len = 25, .oif = 2,
				.scope = RT_SCOPE_LINK, .dst = addr(AF_INET, "198.51.100.0"),
				.prefsrc = addr(AF_INET, "198.51.100.80") };
	NfcRtnlRoute old_gw = { .family = AF_INET, .table = 7002, .oif = 2,
				.gateway = addr(AF_INET, "198.51.100.1"),
				.prefsrc = addr(AF_INET, "198.51.100.80") };
	NfcRtnlRoute new_gw = old_gw;
	g_autoptr(GArray) seen_rules = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRule));
	g_autoptr(GArray) seen_routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	g_autoptr(GArray) rules = g_array_new(FALSE, TRUE, sizeof(EngineRule));
	g_autoptr(GArray) routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	NfcRtnlRule x;

	new_gw.gateway = addr(AF_INET, "198.51.100.2");
	engine_repair_init(&rp, &live);
	engine_repair_expect_rule(&rp, &rung);
	engine_repair_expect_rule(&rp, &stop);
	engine_repair_expect_route(&rp, &subnet);
	engine_repair_expect_route(&rp, &old_gw);

	/* everything there: nothing missing */
	x = as_seen(&rung);
	g_array_append_val(seen_rules, x);
	x = as_seen(&stop);
	g_array_append_val(seen_rules, x);
	g_array_append_val(seen_routes, subnet);
	g_array_append_val(seen_routes, old_gw);
	engine_repair_missing(&rp, seen_rules, seen_routes, rules, routes);
	g_assert_cmpuint(rules->len, ==, 0);
	g_assert_cmpuint(routes->len, ==, 0);

	/* ip rule del pref 7008; ip route flush table 7002 */
	g_array_remove_index(seen_rules, 1);
	g_array_set_size(seen_routes, 0);
	engine_repair_missing(&rp, seen_rules, seen_routes, rules, routes);
	g_assert_cmpuint(rules->len, ==, 1);
	g_assert_true(engine_rule_equal(&g_array_index(rules, EngineRule, 0), &stop));
	g_assert_cmpuint(routes->len, ==, 2);
	g_array_set_size(rules, 0);
	g_array_set_size(routes, 0);

	/* the gateway changed: the new default route replaced the old one in
	 * the kernel; the old one waits for its delete and is not missing */
	engine_repair_expect_route(&rp, &new_gw);
	g_array_append_val(seen_routes, subnet);
	g_array_append_val(seen_routes, new_gw);
	engine_repair_missing(&rp, seen_rules, seen_routes, rules, routes);
	g_assert_cmpuint(routes->len, ==, 0);
	/* ... but if someone removes the new one too, only the new one comes
	 * back, */
	g_array_remove_index(seen_routes, 1);
	engine_repair_missing(&rp, seen_rules, seen_routes, rules, routes);
	g_assert_cmpuint(routes->len, ==, 1);
	g_assert_true(engine_route_equal(&g_array_index(routes, NfcRtnlRoute, 0), &new_gw));
	g_array_set_size(routes, 0);
	/* and the newest is the one made last, even if it was expected before */
	engine_repair_expect_route(&rp, &old_gw);
	engine_repair_missing(&rp, seen_rules, seen_routes, rules, routes);
	g_assert_cmpuint(routes->len, ==, 1);
	g_assert_true(engine_route_equal(&g_array_index(routes, NfcRtnlRoute, 0), &old_gw));
	engine_repair_clear(&rp);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/engine/repair/rule-matches", test_rule_matches);
	g_test_add_func("/engine/repair/route-matches", test_route_matches);
	g_test_add_func("/engine/repair/expected-set", test_expected_set);
	g_test_add_func("/engine/repair/missing", test_missing);
	return g_test_run();
}
