// SPDX-License-Identifier: GPL-2.0-or-later
/* Leftovers: the kernel drops our firewall table when nfconnd dies (owner
 * flag), but a crash (SIGKILL) leaves our ip rules and routes. At start
 * every rule and route in our ranges goes before anything is installed. */
#include "internal.h"

#include <errno.h>
#include <sys/socket.h>

#include "log.h"

typedef struct {
	EngineRouting routing;
	GArray *rules;            /* NfcRtnlRule */
	GArray *routes;           /* NfcRtnlRoute */
	guint dumps;              /* not answered yet */
	void (*done)(void *user_data);
	void *user_data;
} Sweep;

static bool in_range(uint32_t value, uint32_t base, uint32_t range)
{
	return value >= base && value < base + range;
}

bool engine_sweep_rule_is_ours(const EngineRouting *r, const NfcRtnlRule *rule)
{
	return in_range(rule->priority, r->priority_base, r->range) ||
	       (rule->table && in_range(rule->table, r->table_base, r->range));
}

bool engine_sweep_route_is_ours(const EngineRouting *r, const NfcRtnlRoute *route)
{
	return in_range(route->table, r->table_base, r->range);
}

static void each_rule(const NfcRtnlRule *rule, void *user_data)
{
	Sweep *sw = user_data;

	if (engine_sweep_rule_is_ours(&sw->routing, rule))
		g_array_append_val(sw->rules, *rule);
}

static void each_route(const NfcRtnlRoute *route, void *user_data)
{
	Sweep *sw = user_data;

	if (engine_sweep_route_is_ours(&sw->routing, route))
		g_array_append_val(sw->routes, *route);
}

static void dumped(int error, void *user_data)
{
	Sweep *sw = user_data;

	if (error < 0)
		nfc_warn("engine: cannot list leftovers: %s", g_strerror(-error));
	if (--sw->dumps > 0)
		return;
	if (sw->rules->len || sw->routes->len)
		nfc_info("engine: removing %u rules and %u routes left by an earlier run",
			 sw->rules->len, sw->routes->len);
	for (guint i = 0; i < sw->rules->len; i++)
		nfc_rtnl_rule_del(&g_array_index(sw->rules, NfcRtnlRule, i), NULL, NULL);
	for (guint i = 0; i < sw->routes->len; i++)
		nfc_rtnl_route_del(&g_array_index(sw->routes, NfcRtnlRoute, i), NULL, NULL);
	sw->done(sw->user_data);
	g_array_unref(sw->rules);
	g_array_unref(sw->routes);
	g_free(sw);
}

void engine_sweep(const EngineRouting *r, void (*done)(void *user_data), void *user_data)
{
	Sweep *sw = g_new0(Sweep, 1);

	sw->routing = *r;
	sw->rules = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRule));
	sw->routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	sw->done = done;
	sw->user_data = user_data;
	/* one more than the dumps: none of their answers may finish the
	 * sweep before all four are asked for */
	sw->dumps = 5;
	if (nfc_rtnl_rule_dump(AF_INET, each_rule, dumped, sw) < 0)
		sw->dumps--;
	if (nfc_rtnl_rule_dump(AF_INET6, each_rule, dumped, sw) < 0)
		sw->dumps--;
	if (nfc_rtnl_route_dump(AF_INET, 0, each_route, dumped, sw) < 0)
		sw->dumps--;
	if (nfc_rtnl_route_dump(AF_INET6, 0, each_route, dumped, sw) < 0)
		sw->dumps--;
	dumped(sw->dumps == 1 ? -EIO : 0, sw);
}
