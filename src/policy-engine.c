// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy-engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "config.h"
#include "firewall.h"
#include "log.h"
#include "rtnl.h"
#include "service.h"

/* ---- state ----------------------------------------------------------------
 * Uplink: a connected service with an address, owning table base+slot.
 * Class: an ordered list of uplink slots; its ladder of rules sits at
 *        priority base + class * (max uplinks + 1) + step.
 * Steer: a steered session's identity key, class and mark.
 * Everything installed is kept as a "have" set and compared with what the
 * sessions want on every pass (reconcile), so a missed event costs one
 * pass, never a drift. */

#define MAX_UPLINKS 8     /* rungs in a ladder, before unreachable */

typedef struct {
	NfcService *service;
	guint slot;               /* 1..; table = base + slot */
} Uplink;

typedef struct {
	int family;
	uint32_t priority;
	uint32_t table;           /* 0 for unreachable */
	uint32_t fwmark, fwmask;
	NfcInAddr src;
	uint8_t src_len;
} Rule;

typedef struct {
	NfcRtnlRoute r;
} Route;

typedef struct {
	char *key;                /* "uid:1000", "gid:100", "cgroup:/x" */
	NfcFirewallIdentity id;
	char *cgroup_path;        /* absolute, for cgroup identities */
	uint32_t mark;
} Element;

typedef struct {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
} Counts;

typedef struct {
	char *service;            /* identifier */
	Counts c;
} UplinkCounts;

typedef struct {
	Counts last;              /* the kernel's totals at the last read */
	GArray *per_uplink;       /* UplinkCounts: deltas credited to the uplink in use */
} Traffic;

static void traffic_free(Traffic *t)
{
	for (guint i = 0; i < t->per_uplink->len; i++)
		g_free(g_array_index(t->per_uplink, UplinkCounts, i).service);
	g_array_unref(t->per_uplink);
	g_free(t);
}

static NfcFirewall *fw;
static NfcMarkLayout layout;
static const char *cgroup_root = "/sys/fs/cgroup/unified";
static GPtrArray *uplinks;        /* Uplink* by slot-1 (NULL = free) */
static GPtrArray *classes;        /* char* key "3,1" by id-1 (NULL = free) */
static GArray *have_rules;        /* Rule */
static GArray *have_routes;       /* Route */
static GHashTable *have_elements; /* key → Element* */
static GHashTable *traffic;       /* session id → Traffic* (as last read) */
static unsigned int service_watch, session_watch;
static guint sync_idle;
static guint pending;             /* kernel requests of this pass in flight */
static bool dirty;                /* another pass is wanted after this one */
static bool ready;                /* leftovers are gone, base state is in */

static void schedule(void);

/* ---- small helpers ----------------------------------------------------- */

static uint32_t table_of(guint slot)
{
	return nfc_config_active()->routing_table_base + slot;
}

static guint max_classes(void)
{
	const NfcConfig *c = nfc_config_active();
	guint by_range = c->routing_range / (MAX_UPLINKS + 1);

	return MIN(by_range, nfc_mark_layout_routing_max(&layout));
}

static bool rule_equal(const Rule *a, const Rule *b)
{
	return a->family == b->family && a->priority == b->priority && a->table == b->table &&
	       a->fwmark == b->fwmark && a->fwmask == b->fwmask && a->src_len == b->src_len &&
	       !memcmp(&a->src, &b->src, sizeof(a->src));
}

static bool route_equal(const NfcRtnlRoute *a, const NfcRtnlRoute *b)
{
	return a->family == b->family && a->table == b->table && a->dst_len == b->dst_len &&
	       a->oif == b->oif && a->scope == b->scope && a->priority == b->priority &&
	       !memcmp(&a->dst, &b->dst, sizeof(a->dst)) &&
	       !memcmp(&a->gateway, &b->gateway, sizeof(a->gateway)) &&
	       !memcmp(&a->prefsrc, &b->prefsrc, sizeof(a->prefsrc));
}

static NfcRtnlRule to_rtnl_rule(const Rule *r)
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

static void request_done(int error, void *user_data)
{
	const char *what = user_data;

	if (error < 0 && error != -EEXIST && error != -ENOENT && error != -ESRCH)
		nfc_warn("policy engine: %s failed: %s", what, g_strerror(-error));
	if (pending > 0 && --pending == 0 && dirty)
		schedule();
}

static void send_rule(const Rule *r, bool add)
{
	NfcRtnlRule x = to_rtnl_rule(r);
	char src[INET6_ADDRSTRLEN];

	nfc_debug("%s rule %u: fwmark 0x%x/0x%x from %s/%u table %u", add ? "add" : "delete",
		  r->priority, r->fwmark, r->fwmask,
		  nfc_inaddr_to_string(r->family, &r->src, src), r->src_len, r->table);
	int err = add ? nfc_rtnl_rule_add(&x, request_done, add ? "rule add" : "rule delete")
		      : nfc_rtnl_rule_del(&x, request_done, "rule delete");

	if (err == 0)
		pending++;
}

static void send_route(const NfcRtnlRoute *r, bool add)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];

	nfc_debug("%s route table %u: %s/%u via %s dev %d", add ? "add" : "delete", r->table,
		  nfc_inaddr_to_string(r->family, &r->dst, dst), r->dst_len,
		  nfc_inaddr_to_string(r->family, &r->gateway, gw), r->oif);
	int err = add ? nfc_rtnl_route_add(r, true, request_done, "route add")
		      : nfc_rtnl_route_del(r, request_done, "route delete");

	if (err == 0)
		pending++;
}

/* ---- what the sessions want ----------------------------------------------- */

static Uplink *uplink_of(NfcService *s)
{
	for (guint i = 0; i < uplinks->len; i++) {
		Uplink *u = uplinks->pdata[i];

		if (u && u->service == s)
			return u;
	}
	return NULL;
}

/* Keep uplink slots stable: a service keeps its table while connected. */
static void refresh_uplinks(void)
{
	for (guint i = 0; i < uplinks->len; i++) {
		Uplink *u = uplinks->pdata[i];

		if (u && (!g_list_find(nfc_service_get_list(), u->service) ||
			  !nfc_service_is_connected(u->service))) {
			g_free(u);
			uplinks->pdata[i] = NULL;
		}
	}
	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *s = l->data;
		Uplink *u;
		guint slot = 0;

		if (!nfc_service_is_connected(s) || uplink_of(s))
			continue;
		while (slot < uplinks->len && uplinks->pdata[slot])
			slot++;
		if (slot + 1 >= nfc_config_active()->routing_range) {
			nfc_warn("policy engine: no routing table left for %s",
				 nfc_service_get_identifier(s));
			continue;
		}
		u = g_new0(Uplink, 1);
		u->service = s;
		u->slot = slot + 1;
		if (slot == uplinks->len)
			g_ptr_array_add(uplinks, u);
		else
			uplinks->pdata[slot] = u;
	}
}

static void want_uplink_routes(Uplink *u, GArray *want)
{
	NfcIpconfig *ipc = nfc_service_get_ipconfig(u->service);
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(ipc);
	const NfcIpv6State *v6 = nfc_ipconfig_get_ipv6(ipc);
	int oif = nfc_service_get_index(u->service);
	Route r;

	if (v4->up) {
		uint32_t mask = v4->prefixlen ? htonl(~0u << (32 - v4->prefixlen)) : 0;

		memset(&r, 0, sizeof(r));
		r.r.family = AF_INET;
		r.r.table = table_of(u->slot);
		r.r.protocol = RTPROT_STATIC;
		r.r.type = RTN_UNICAST;
		r.r.scope = RT_SCOPE_LINK;
		r.r.dst.v4.s_addr = v4->address.s_addr & mask;
		r.r.dst_len = v4->prefixlen;
		r.r.prefsrc.v4 = v4->address;
		r.r.oif = oif;
		g_array_append_val(want, r);
		if (v4->gateway.s_addr) {
			memset(&r, 0, sizeof(r));
			r.r.family = AF_INET;
			r.r.table = table_of(u->slot);
			r.r.protocol = RTPROT_STATIC;
			r.r.type = RTN_UNICAST;
			r.r.scope = RT_SCOPE_UNIVERSE;
			r.r.gateway.v4 = v4->gateway;
			r.r.prefsrc.v4 = v4->address;
			r.r.oif = oif;
			g_array_append_val(want, r);
		}
	}
	if (v6->up) {
		memset(&r, 0, sizeof(r));
		r.r.family = AF_INET6;
		r.r.table = table_of(u->slot);
		r.r.protocol = RTPROT_STATIC;
		r.r.type = RTN_UNICAST;
		r.r.scope = RT_SCOPE_UNIVERSE;
		r.r.dst_len = v6->prefixlen;
		for (int i = 0; i < 16; i++) {
			int bits = v6->prefixlen - i * 8;

			r.r.dst.v6.s6_addr[i] = v6->address.s6_addr[i] &
				(bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff);
		}
		r.r.oif = oif;
		g_array_append_val(want, r);
		if (!nfc_inaddr_is_zero(AF_INET6, &(NfcInAddr){ .v6 = v6->gateway })) {
			memset(&r, 0, sizeof(r));
			r.r.family = AF_INET6;
			r.r.table = table_of(u->slot);
			r.r.protocol = RTPROT_STATIC;
			r.r.type = RTN_UNICAST;
			r.r.scope = RT_SCOPE_UNIVERSE;
			r.r.gateway.v6 = v6->gateway;
			r.r.oif = oif;
			g_array_append_val(want, r);
		}
	}
}

/* The uplinks a session may use, best first, as a class key ("2,1"). */
static char *ladder_key(NfcSession *s)
{
	char **bearers = nfc_session_get_bearers(s);
	const char *ifname = nfc_session_get_interface(s);
	bool internet = nfc_session_get_type(s) == NFC_CONN_INTERNET;
	GString *key = g_string_new(NULL);
	guint rungs = 0;

	for (char **b = bearers; b && *b; b++) {
		for (GList *l = nfc_service_get_list(); l; l = l->next) {
			NfcService *svc = l->data;
			Uplink *u = uplink_of(svc);

			if (!u || !g_str_equal(nfc_service_get_type(svc), *b))
				continue;
			if (ifname && g_strcmp0(ifname, nfc_service_get_interface(svc)))
				continue;
			if (internet && nfc_service_get_state(svc) != NFC_SERVICE_ONLINE)
				continue;
			if (rungs++ == MAX_UPLINKS)
				break;
			g_string_append_printf(key, "%s%u", key->len ? "," : "", u->slot);
		}
	}
	/* an empty ladder is a class too: it only has the unreachable rule */
	return g_string_free(key, FALSE);
}

static guint class_id(const char *key, bool allocate)
{
	guint free_slot = 0;

	for (guint i = 0; i < classes->len; i++) {
		if (classes->pdata[i] && g_str_equal(classes->pdata[i], key))
			return i + 1;
		if (!classes->pdata[i] && !free_slot)
			free_slot = i + 1;
	}
	if (!allocate)
		return 0;
	if (free_slot) {
		classes->pdata[free_slot - 1] = g_strdup(key);
		return free_slot;
	}
	if (classes->len >= max_classes())
		return 0;
	g_ptr_array_add(classes, g_strdup(key));
	return classes->len;
}

static char *identity_key(NfcSession *s, NfcFirewallIdentity *id, char **cgroup_path)
{
	const NfcPolicyConfig *p = nfc_session_get_policy(s);
	const NfcIdentity *who = nfc_session_get_identity(s);

	*cgroup_path = NULL;
	memset(id, 0, sizeof(*id));
	switch (p ? p->match : NFC_POLICY_MATCH_NONE) {
	case NFC_POLICY_MATCH_GID:
		id->kind = NFC_IDENTITY_GID;
		id->id = who->gid;
		return g_strdup_printf("gid:%u", who->gid);
	case NFC_POLICY_MATCH_CGROUP:
	case NFC_POLICY_MATCH_LABEL:
		/* nftables cannot match a security label: the process's cgroup
		 * is the closest thing the kernel can match on */
		if (who->cgroup) {
			*cgroup_path = g_build_filename(cgroup_root, who->cgroup, NULL);
			id->kind = NFC_IDENTITY_CGROUP;
			id->cgroup_path = *cgroup_path;
			return g_strdup_printf("cgroup:%s", who->cgroup);
		}
		/* fall through: no cgroup known, steer by uid */
	case NFC_POLICY_MATCH_UID:
	case NFC_POLICY_MATCH_NONE:
		break;
	}
	id->kind = NFC_IDENTITY_UID;
	id->id = who->uid;
	return g_strdup_printf("uid:%u", who->uid);
}

typedef struct {
	GArray *rules;              /* Rule */
	GHashTable *elements;       /* key → Element* (owner session's mark) */
	GHashTable *used_classes;   /* class id set */
	GHashTable *owner_id;       /* key → session id of the owner */
} Want;

static void want_session(NfcSession *s, gpointer data)
{
	Want *w = data;
	g_autofree char *ladder = NULL;
	g_autofree char *key = NULL;
	g_autofree char *cg = NULL;
	NfcFirewallIdentity id;
	Element *e;
	guint cls;
	uint32_t mark, sid = nfc_session_get_id(s);

	if (!nfc_session_is_steered(s) || sid > nfc_mark_layout_session_max(&layout))
		return;
	ladder = ladder_key(s);
	cls = class_id(ladder, true);
	if (!cls) {
		nfc_warn("policy engine: out of routing classes for %s", nfc_session_get_path(s));
		return;
	}
	g_hash_table_add(w->used_classes, GUINT_TO_POINTER(cls));
	if (!nfc_mark_compose(&layout, cls, sid, &mark))
		return;

	/* SourceIPRule: sockets bound to the uplink's address use its table */
	if (nfc_session_get_settings(s)->source_ip_rule && nfc_session_get_service(s)) {
		Uplink *u = uplink_of(nfc_session_get_service(s));
		const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(
			nfc_service_get_ipconfig(nfc_session_get_service(s)));

		if (u && v4->up) {
			Rule r = { .family = AF_INET, .table = table_of(u->slot), .src_len = 32 };

			r.src.v4 = v4->address;
			/* after every class ladder: marks decide first */
			r.priority = nfc_config_active()->rule_priority_base +
				     nfc_config_active()->routing_range - 1 - u->slot;
			g_array_append_val(w->rules, r);
		}
	}

	/* the identity, unless a policy-less session only asked for a source
	 * rule or an interface: then only the source rule steers it */
	if (!nfc_session_get_policy(s))
		return;
	key = identity_key(s, &id, &cg);
	/* one element per identity: the oldest session (lowest id) owns it */
	if (g_hash_table_contains(w->owner_id, key) &&
	    GPOINTER_TO_UINT(g_hash_table_lookup(w->owner_id, key)) < sid)
		return;
	e = g_new0(Element, 1);
	e->key = g_strdup(key);
	e->id = id;
	e->cgroup_path = g_steal_pointer(&cg);
	e->id.cgroup_path = e->cgroup_path;
	e->mark = mark;
	g_hash_table_insert(w->owner_id, g_strdup(key), GUINT_TO_POINTER(sid));
	g_hash_table_replace(w->elements, e->key, e);
}

static void element_free(Element *e)
{
	g_free(e->key);
	g_free(e->cgroup_path);
	g_free(e);
}

static void want_ladders(Want *w)
{
	const NfcConfig *c = nfc_config_active();
	uint32_t rmask = nfc_mark_layout_routing_mask(&layout);

	for (guint i = 0; i < classes->len; i++) {
		guint cls = i + 1;
		g_auto(GStrv) slots = NULL;
		uint32_t mark, prio;
		guint step = 0;

		if (!classes->pdata[i])
			continue;
		if (!g_hash_table_contains(w->used_classes, GUINT_TO_POINTER(cls))) {
			g_clear_pointer(&classes->pdata[i], g_free);
			continue;
		}
		nfc_mark_compose(&layout, cls, 0, &mark);
		prio = c->rule_priority_base + i * (MAX_UPLINKS + 1);
		slots = g_strsplit(classes->pdata[i], ",", -1);
		for (char **sl = slots; *sl; sl++) {
			if (!**sl)
				continue;
			for (int fam = 0; fam < 2; fam++) {
				Rule r = { .family = fam ? AF_INET6 : AF_INET, .priority = prio + step,
					   .table = table_of(atoi(*sl)), .fwmark = mark, .fwmask = rmask };

				g_array_append_val(w->rules, r);
			}
			step++;
		}
		/* strict: a steered session never falls through to main */
		for (int fam = 0; fam < 2; fam++) {
			Rule r = { .family = fam ? AF_INET6 : AF_INET, .priority = prio + MAX_UPLINKS,
				   .table = 0, .fwmark = mark, .fwmask = rmask };

			g_array_append_val(w->rules, r);
		}
	}
}

/* ---- reconcile ----------------------------------------------------------- */

static bool rule_item_equal(gconstpointer a, gconstpointer b)
{
	return rule_equal(a, b);
}

static bool route_item_equal(gconstpointer a, gconstpointer b)
{
	return route_equal(&((const Route *)a)->r, &((const Route *)b)->r);
}

static void rule_item_send(gconstpointer item, bool add)
{
	send_rule(item, add);
}

static void route_item_send(gconstpointer item, bool add)
{
	send_route(&((const Route *)item)->r, add);
}

/* Add (or delete) every item of `from` that `than` lacks. The lists are a
 * few entries per uplink and class: a plain scan is enough. */
static void send_missing(GArray *from, GArray *than, bool (*equal)(gconstpointer, gconstpointer),
			 void (*send)(gconstpointer, bool), bool add)
{
	guint size = g_array_get_element_size(from);

	for (guint i = 0; i < from->len; i++) {
		gconstpointer item = from->data + i * size;
		bool found = false;

		for (guint j = 0; j < than->len && !found; j++)
			found = equal(item, than->data + j * size);
		if (!found)
			send(item, add);
	}
}

static void element_done(int error, void *user_data)
{
	if (error < 0 && error != -ENOENT)
		nfc_warn("policy engine: identity update failed: %s", g_strerror(-error));
	request_done(0, NULL);
}

static void sync_pass(void)
{
	g_autoptr(GArray) want_routes = g_array_new(FALSE, TRUE, sizeof(Route));
	Want w;
	GHashTableIter it;
	gpointer k, v;

	dirty = false;
	w.rules = g_array_new(FALSE, TRUE, sizeof(Rule));
	w.elements = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)element_free);
	w.used_classes = g_hash_table_new(NULL, NULL);
	w.owner_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	refresh_uplinks();
	for (guint i = 0; i < uplinks->len; i++)
		if (uplinks->pdata[i])
			want_uplink_routes(uplinks->pdata[i], want_routes);
	nfc_session_foreach(want_session, &w);
	want_ladders(&w);

	/* 1. make: tables and rules first ... */
	send_missing(want_routes, have_routes, route_item_equal, route_item_send, true);
	send_missing(w.rules, have_rules, rule_item_equal, rule_item_send, true);
	/* ... 2. flip: map elements (the rtnl requests above were sent first
	 * and the kernel handles them in order, before we see this pass's
	 * acks; the nft batch follows them) ... */
	g_hash_table_iter_init(&it, w.elements);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		Element *e = v, *old = g_hash_table_lookup(have_elements, k);

		if (old && old->mark == e->mark)
			continue;
		if (nfc_firewall_identity_add(fw, &e->id, e->mark, element_done, NULL) == 0)
			pending++;
	}
	g_hash_table_iter_init(&it, have_elements);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		Element *e = v;

		if (g_hash_table_contains(w.elements, k))
			continue;
		if (nfc_firewall_identity_remove(fw, &e->id, element_done, NULL) == 0)
			pending++;
	}
	/* ... 3. break: what nobody wants any more */
	send_missing(have_rules, w.rules, rule_item_equal, rule_item_send, false);
	send_missing(have_routes, want_routes, route_item_equal, route_item_send, false);

	g_array_set_size(have_routes, 0);
	g_array_append_vals(have_routes, want_routes->data, want_routes->len);
	g_array_unref(have_rules);
	have_rules = w.rules;
	g_hash_table_unref(have_elements);
	have_elements = w.elements;
	g_hash_table_unref(w.used_classes);
	g_hash_table_unref(w.owner_id);
}

static gboolean on_sync(gpointer data)
{
	sync_idle = 0;
	if (!ready || pending) {
		dirty = true;
		return G_SOURCE_REMOVE;
	}
	sync_pass();
	return G_SOURCE_REMOVE;
}

static void schedule(void)
{
	if (!sync_idle)
		sync_idle = g_idle_add_full(G_PRIORITY_HIGH, on_sync, NULL, NULL);
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
	schedule();
}

static void on_session_destroyed(NfcSession *s, void *user_data)
{
	g_hash_table_remove(traffic, GUINT_TO_POINTER(nfc_session_get_id(s)));
	schedule();
}

/* ---- start and stop -------------------------------------------------------- */

typedef struct {
	GArray *rules;   /* NfcRtnlRule */
	GArray *routes;  /* NfcRtnlRoute */
	guint dumps;
} Leftovers;

static bool in_our_range(uint32_t value, uint32_t base)
{
	return value >= base && value < base + nfc_config_active()->routing_range;
}

static void each_rule(const NfcRtnlRule *r, void *user_data)
{
	Leftovers *l = user_data;

	if (in_our_range(r->priority, nfc_config_active()->rule_priority_base) ||
	    (r->table && in_our_range(r->table, nfc_config_active()->routing_table_base)))
		g_array_append_val(l->rules, *r);
}

static void each_route(const NfcRtnlRoute *r, void *user_data)
{
	Leftovers *l = user_data;

	if (in_our_range(r->table, nfc_config_active()->routing_table_base))
		g_array_append_val(l->routes, *r);
}

static void on_firewall_ready(int error, void *user_data)
{
	if (error < 0) {
		nfc_error("policy engine: cannot install the firewall: %s", g_strerror(-error));
		return;
	}
	nfc_info("policy engine: %s firewall ready", nfc_firewall_backend_name(fw));
	ready = true;
	schedule();
}

static void leftovers_dumped(int error, void *user_data)
{
	Leftovers *l = user_data;

	if (error < 0)
		nfc_warn("policy engine: cannot list leftovers: %s", g_strerror(-error));
	if (--l->dumps > 0)
		return;
	if (l->rules->len || l->routes->len)
		nfc_info("policy engine: removing %u rules and %u routes left by an earlier run",
			 l->rules->len, l->routes->len);
	for (guint i = 0; i < l->rules->len; i++)
		nfc_rtnl_rule_del(&g_array_index(l->rules, NfcRtnlRule, i), NULL, NULL);
	for (guint i = 0; i < l->routes->len; i++)
		nfc_rtnl_route_del(&g_array_index(l->routes, NfcRtnlRoute, i), NULL, NULL);
	g_array_unref(l->rules);
	g_array_unref(l->routes);
	g_free(l);
	if (nfc_firewall_init(fw, on_firewall_ready, NULL) < 0)
		nfc_error("policy engine: cannot start the firewall");
}

static void on_firewall_event(NfcFirewallEvent ev, int error, void *user_data)
{
	if (error < 0)
		nfc_error("policy engine: our firewall state was changed from outside and "
			  "could not be restored: %s", g_strerror(-error));
	else
		nfc_warn("policy engine: our firewall state was changed from outside; restored");
}

int nfc_policy_engine_init(void)
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
	NfcFirewallConfig fc = { 0 };
	g_autoptr(GError) error = NULL;
	Leftovers *l;
	int r;

	layout.routing_shift = __builtin_ctz(c->routing_mark_mask);
	layout.routing_bits = __builtin_popcount(c->routing_mark_mask);
	layout.session_shift = __builtin_ctz(c->session_mark_mask);
	layout.session_bits = __builtin_popcount(c->session_mark_mask);
	if (!nfc_mark_layout_validate(&layout, &error)) {
		nfc_error("policy engine: %s", error->message);
		return -EINVAL;
	}
	fc.layout = layout;
	r = nfc_firewall_new(&nfc_firewall_nft_ops, &fc, &fw);
	if (r < 0) {
		nfc_error("policy engine: no nftables: %s", g_strerror(-r));
		return r;
	}
	nfc_firewall_set_event_func(fw, on_firewall_event, NULL);
	uplinks = g_ptr_array_new();
	classes = g_ptr_array_new_with_free_func(g_free);
	have_rules = g_array_new(FALSE, TRUE, sizeof(Rule));
	have_routes = g_array_new(FALSE, TRUE, sizeof(Route));
	have_elements = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					      (GDestroyNotify)element_free);
	traffic = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)traffic_free);
	service_watch = nfc_service_watch_add(&sw, NULL);
	session_watch = nfc_session_watch_add(&ssw, NULL);

	/* a crash (SIGKILL) leaves our ip rules and routes: clear them first */
	l = g_new0(Leftovers, 1);
	l->rules = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRule));
	l->routes = g_array_new(FALSE, TRUE, sizeof(NfcRtnlRoute));
	l->dumps = 4;
	if (nfc_rtnl_rule_dump(AF_INET, each_rule, leftovers_dumped, l) < 0)
		l->dumps--;
	if (nfc_rtnl_rule_dump(AF_INET6, each_rule, leftovers_dumped, l) < 0)
		l->dumps--;
	if (nfc_rtnl_route_dump(AF_INET, 0, each_route, leftovers_dumped, l) < 0)
		l->dumps--;
	if (nfc_rtnl_route_dump(AF_INET6, 0, each_route, leftovers_dumped, l) < 0)
		l->dumps--;
	if (l->dumps == 0) {
		l->dumps = 1;
		leftovers_dumped(-EIO, l);
	}
	return 0;
}

void nfc_policy_engine_cleanup(void)
{
	GHashTableIter it;
	gpointer v;

	if (!fw)
		return;
	nfc_service_watch_remove(service_watch);
	nfc_session_watch_remove(session_watch);
	if (sync_idle)
		g_source_remove(sync_idle);
	sync_idle = 0;
	for (guint j = 0; j < have_rules->len; j++) {
		NfcRtnlRule x = to_rtnl_rule(&g_array_index(have_rules, Rule, j));

		nfc_rtnl_rule_del(&x, NULL, NULL);
	}
	for (guint j = 0; j < have_routes->len; j++)
		nfc_rtnl_route_del(&g_array_index(have_routes, Route, j).r, NULL, NULL);
	/* the table goes with our socket (owner flag); say goodbye anyway */
	nfc_firewall_cleanup(fw, NULL, NULL);
	g_clear_pointer(&fw, nfc_firewall_free);
	g_hash_table_iter_init(&it, have_elements);
	while (g_hash_table_iter_next(&it, NULL, &v))
		;
	for (guint i = 0; i < uplinks->len; i++)
		g_free(uplinks->pdata[i]);
	g_clear_pointer(&uplinks, g_ptr_array_unref);
	g_clear_pointer(&classes, g_ptr_array_unref);
	g_clear_pointer(&have_rules, g_array_unref);
	g_clear_pointer(&have_routes, g_array_unref);
	g_clear_pointer(&have_elements, g_hash_table_unref);
	g_clear_pointer(&traffic, g_hash_table_unref);
	ready = false;
	pending = 0;
}

/* ---- explain and counters -------------------------------------------------- */

void nfc_policy_engine_session_info(NfcSession *s, NfcPolicyEngineInfo *info)
{
	static char identity[300];
	g_autofree char *key = NULL, *cg = NULL, *ladder = NULL;
	NfcFirewallIdentity id;
	Element *e;
	guint cls;

	memset(info, 0, sizeof(*info));
	info->steered = fw && nfc_session_is_steered(s);
	if (!info->steered)
		return;
	ladder = ladder_key(s);
	cls = class_id(ladder, false);
	info->routing_class = cls;
	if (cls)
		nfc_mark_compose(&layout, cls, nfc_session_get_id(s), &info->mark);
	if (nfc_session_get_service(s)) {
		Uplink *u = uplink_of(nfc_session_get_service(s));

		info->table = u ? table_of(u->slot) : 0;
	}
	if (!nfc_session_get_policy(s))
		return;
	key = identity_key(s, &id, &cg);
	g_snprintf(identity, sizeof(identity), "%s", key);
	g_strdelimit(identity, ":", ' ');
	info->identity = identity;
	e = g_hash_table_lookup(have_elements, key);
	info->identity_owner = e && e->mark == info->mark;
}

typedef struct {
	NfcPolicyEngineCountersFunc done;
	void *user_data;
} CountersRead;

typedef struct {
	GHashTable *by_id; /* session id → NfcSession* */
} IdIndex;

static void index_session(NfcSession *s, void *user_data)
{
	g_hash_table_insert(user_data, GUINT_TO_POINTER(nfc_session_get_id(s)), s);
}

/* Credit what a session sent and received since the last read to the
 * uplink it uses now: per-uplink figures as fine as the read period. */
static void credit(Traffic *t, NfcSession *s, const NfcSessionCounters *c)
{
	NfcService *svc = s ? nfc_session_get_service(s) : NULL;
	const char *id = svc ? nfc_service_get_identifier(svc) : "";
	UplinkCounts *u = NULL;

	/* counters restart from zero after a repair of the table */
	if (c->tx_packets < t->last.tx_packets || c->rx_packets < t->last.rx_packets)
		memset(&t->last, 0, sizeof(t->last));
	for (guint i = 0; i < t->per_uplink->len && !u; i++)
		if (g_str_equal(g_array_index(t->per_uplink, UplinkCounts, i).service, id))
			u = &g_array_index(t->per_uplink, UplinkCounts, i);
	if (!u) {
		UplinkCounts n = { g_strdup(id), { 0 } };

		g_array_append_val(t->per_uplink, n);
		u = &g_array_index(t->per_uplink, UplinkCounts, t->per_uplink->len - 1);
	}
	u->c.tx_packets += c->tx_packets - t->last.tx_packets;
	u->c.tx_bytes += c->tx_bytes - t->last.tx_bytes;
	u->c.rx_packets += c->rx_packets - t->last.rx_packets;
	u->c.rx_bytes += c->rx_bytes - t->last.rx_bytes;
	t->last.tx_packets = c->tx_packets;
	t->last.tx_bytes = c->tx_bytes;
	t->last.rx_packets = c->rx_packets;
	t->last.rx_bytes = c->rx_bytes;
}

static void on_counters(int error, const NfcSessionCounters *c, size_t n, void *user_data)
{
	CountersRead *cr = user_data;
	g_autoptr(GHashTable) by_id = g_hash_table_new(NULL, NULL);

	if (error == 0 && traffic)
		nfc_session_foreach(index_session, by_id);
	for (size_t i = 0; error == 0 && traffic && i < n; i++) {
		Traffic *t = g_hash_table_lookup(traffic, GUINT_TO_POINTER(c[i].session));

		if (!t) {
			t = g_new0(Traffic, 1);
			t->per_uplink = g_array_new(FALSE, TRUE, sizeof(UplinkCounts));
			g_hash_table_insert(traffic, GUINT_TO_POINTER(c[i].session), t);
		}
		credit(t, g_hash_table_lookup(by_id, GUINT_TO_POINTER(c[i].session)), &c[i]);
	}
	if (cr->done)
		cr->done(error, cr->user_data);
	g_free(cr);
}

int nfc_policy_engine_read_counters(NfcPolicyEngineCountersFunc done, void *user_data)
{
	CountersRead *cr;
	int r;

	if (!fw || !ready)
		return -ENOTCONN;
	cr = g_new0(CountersRead, 1);
	cr->done = done;
	cr->user_data = user_data;
	r = nfc_firewall_counters_read(fw, on_counters, cr);
	if (r < 0)
		g_free(cr);
	return r;
}

void nfc_policy_engine_session_traffic(NfcSession *s, NfcSessionTraffic *total,
				       void (*per_uplink)(const char *service,
							  const NfcSessionTraffic *traffic,
							  void *user_data),
				       void *user_data)
{
	Traffic *t = traffic ? g_hash_table_lookup(traffic, GUINT_TO_POINTER(nfc_session_get_id(s)))
			     : NULL;

	memset(total, 0, sizeof(*total));
	if (!t)
		return;
	total->tx_packets = t->last.tx_packets;
	total->tx_bytes = t->last.tx_bytes;
	total->rx_packets = t->last.rx_packets;
	total->rx_bytes = t->last.rx_bytes;
	for (guint i = 0; per_uplink && i < t->per_uplink->len; i++) {
		UplinkCounts *u = &g_array_index(t->per_uplink, UplinkCounts, i);
		NfcSessionTraffic x = { u->c.tx_packets, u->c.tx_bytes, u->c.rx_packets, u->c.rx_bytes };

		per_uplink(u->service, &x, user_data);
	}
}

char **nfc_policy_engine_session_ladder(NfcSession *s)
{
	g_autofree char *key = ladder_key(s);
	g_auto(GStrv) slots = g_strsplit(key, ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **sl = slots; *sl; sl++) {
		guint slot = **sl ? (guint)atoi(*sl) : 0;

		if (slot && slot <= uplinks->len && uplinks->pdata[slot - 1])
			g_ptr_array_add(out, g_strdup(nfc_service_get_identifier(
				((Uplink *)uplinks->pdata[slot - 1])->service)));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}
