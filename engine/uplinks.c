// SPDX-License-Identifier: GPL-2.0-or-later
/* Uplinks: every connected service owns a slot, and with it a routing
 * table of ours holding its subnet and default routes; SourceIPRule
 * sessions share a "from <address>" rule per uplink address. */
#include "internal.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "ipconfig.h"
#include "log.h"

void engine_uplinks_init(EngineUplinks *u)
{
	u->by_slot = g_ptr_array_new_with_free_func(g_free);
	u->routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	u->sources = g_ptr_array_new_with_free_func(g_free);
}

void engine_uplinks_clear(EngineUplinks *u)
{
	g_clear_pointer(&u->by_slot, g_ptr_array_unref);
	g_clear_pointer(&u->routes, g_array_unref);
	g_clear_pointer(&u->sources, g_ptr_array_unref);
}

guint engine_uplinks_slot(const EngineUplinks *u, NfcService *service)
{
	for (guint i = 0; i < u->by_slot->len; i++) {
		EngineUplink *up = u->by_slot->pdata[i];

		if (up && up->service == service)
			return up->slot;
	}
	return 0;
}

NfcService *engine_uplinks_service(const EngineUplinks *u, guint slot)
{
	EngineUplink *up = slot && slot <= u->by_slot->len ? u->by_slot->pdata[slot - 1] : NULL;

	return up ? up->service : NULL;
}

void engine_uplinks_refresh(EngineUplinks *u, const EngineRouting *r)
{
	for (guint i = 0; i < u->by_slot->len; i++) {
		EngineUplink *up = u->by_slot->pdata[i];

		if (up && (!g_list_find(nfc_service_get_list(), up->service) ||
			   !nfc_service_is_connected(up->service))) {
			g_free(up);
			u->by_slot->pdata[i] = NULL;
		}
	}
	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *s = l->data;
		EngineUplink *up;
		guint i = 0;

		if (!nfc_service_is_connected(s) || engine_uplinks_slot(u, s))
			continue;
		while (i < u->by_slot->len && u->by_slot->pdata[i])
			i++;
		if (i + 1 >= r->range) {
			nfc_warn("engine: no routing table left for %s",
				 nfc_service_get_identifier(s));
			continue;
		}
		up = g_new0(EngineUplink, 1);
		up->service = s;
		up->slot = i + 1;
		if (i == u->by_slot->len)
			g_ptr_array_add(u->by_slot, up);
		else
			u->by_slot->pdata[i] = up;
	}
}

/* A route of ours in an uplink's table, the fields all of them share. */
static NfcRtnlRoute *add_route(GArray *want, const EngineRouting *r, int family, guint slot,
			       int oif, uint8_t scope)
{
	NfcRtnlRoute route = { 0 };

	route.family = family;
	route.table = engine_table(r, slot);
	route.protocol = RTPROT_STATIC;
	route.type = RTN_UNICAST;
	route.scope = scope;
	route.oif = oif;
	g_array_append_val(want, route);
	return &g_array_index(want, NfcRtnlRoute, want->len - 1);
}

static void want_routes(const EngineUplink *up, const EngineRouting *r, GArray *want)
{
	NfcIpconfig *ipc = nfc_service_get_ipconfig(up->service);
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(ipc);
	const NfcIpv6State *v6 = nfc_ipconfig_get_ipv6(ipc);
	int oif = nfc_service_get_index(up->service);
	NfcRtnlRoute *route;

	if (v4->up) {
		uint32_t mask = v4->prefixlen ? htonl(~0u << (32 - v4->prefixlen)) : 0;

		route = add_route(want, r, AF_INET, up->slot, oif, RT_SCOPE_LINK);
		route->dst.v4.s_addr = v4->address.s_addr & mask;
		route->dst_len = v4->prefixlen;
		route->prefsrc.v4 = v4->address;
		if (v4->gateway.s_addr) {
			route = add_route(want, r, AF_INET, up->slot, oif, RT_SCOPE_UNIVERSE);
			route->gateway.v4 = v4->gateway;
			route->prefsrc.v4 = v4->address;
		}
	}
	if (v6->up) {
		route = add_route(want, r, AF_INET6, up->slot, oif, RT_SCOPE_UNIVERSE);
		route->dst_len = v6->prefixlen;
		for (int i = 0; i < 16; i++) {
			int bits = v6->prefixlen - i * 8;

			route->dst.v6.s6_addr[i] = v6->address.s6_addr[i] &
				(bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff);
		}
		if (!nfc_inaddr_is_zero(AF_INET6, &(NfcInAddr){ .v6 = v6->gateway })) {
			route = add_route(want, r, AF_INET6, up->slot, oif, RT_SCOPE_UNIVERSE);
			route->gateway.v6 = v6->gateway;
		}
	}
}

static bool contains_route(const GArray *routes, const NfcRtnlRoute *route)
{
	for (guint i = 0; i < routes->len; i++)
		if (engine_route_equal(route, &g_array_index(routes, NfcRtnlRoute, i)))
			return true;
	return false;
}

void engine_uplinks_sync_routes(EngineUplinks *u, const EngineRouting *r, EngineStages *st)
{
	g_autoptr(GArray) want = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));

	for (guint i = 0; i < u->by_slot->len; i++)
		if (u->by_slot->pdata[i])
			want_routes(u->by_slot->pdata[i], r, want);
	for (guint i = 0; i < want->len; i++)
		if (!contains_route(u->routes, &g_array_index(want, NfcRtnlRoute, i)))
			engine_stages_make_route(st, &g_array_index(want, NfcRtnlRoute, i));
	for (guint i = 0; i < u->routes->len; i++)
		if (!contains_route(want, &g_array_index(u->routes, NfcRtnlRoute, i)))
			engine_stages_break_route(st, &g_array_index(u->routes, NfcRtnlRoute, i));
	g_array_set_size(u->routes, 0);
	g_array_append_vals(u->routes, want->data, want->len);
}

void engine_source_rule(const EngineRouting *r, guint slot, struct in_addr address,
			EngineRule *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->table = engine_table(r, slot);
	out->src.v4 = address;
	out->src_len = 32;
	/* after every class ladder: marks decide first */
	out->priority = r->priority_base + r->range - 1 - slot;
}

EngineSource *engine_uplinks_source_ref(EngineUplinks *u, const EngineRule *rule,
					EngineStages *st)
{
	EngineSource *src;

	for (guint i = 0; i < u->sources->len; i++) {
		src = u->sources->pdata[i];
		if (engine_rule_equal(&src->rule, rule)) {
			src->refs++;
			return src;
		}
	}
	src = g_new0(EngineSource, 1);
	src->rule = *rule;
	src->refs = 1;
	g_ptr_array_add(u->sources, src);
	engine_stages_make_rule(st, rule);
	return src;
}

void engine_uplinks_source_unref(EngineUplinks *u, EngineSource *src, EngineStages *st)
{
	if (!src || --src->refs > 0)
		return;
	engine_stages_break_rule(st, &src->rule);
	g_ptr_array_remove_fast(u->sources, src); /* frees it */
}
