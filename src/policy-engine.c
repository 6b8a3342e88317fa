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
static GPtrArray *uplinks;        /* Uplink* by slot-1 (NULL = free) */
static GPtrArray *classes;        /* Class* by id-1 (NULL = free) */
static GArray *have_routes;       /* Route, in the uplink tables */
static GHashTable *traffic;       /* session id → Traffic* (as last read) */
static unsigned int service_watch, session_watch;
static guint sync_idle;
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
}

static void log_rule(const Rule *r, bool add)
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

/* A route of ours in an uplink's table, the fields all of them share. */
static Route *add_route(GArray *want, int family, guint slot, int oif, uint8_t scope)
{
	Route r = { 0 };

	r.r.family = family;
	r.r.table = table_of(slot);
	r.r.protocol = RTPROT_STATIC;
	r.r.type = RTN_UNICAST;
	r.r.scope = scope;
	r.r.oif = oif;
	g_array_append_val(want, r);
	return &g_array_index(want, Route, want->len - 1);
}

static void want_uplink_routes(Uplink *u, GArray *want)
{
	NfcIpconfig *ipc = nfc_service_get_ipconfig(u->service);
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(ipc);
	const NfcIpv6State *v6 = nfc_ipconfig_get_ipv6(ipc);
	int oif = nfc_service_get_index(u->service);
	Route *r;

	if (v4->up) {
		uint32_t mask = v4->prefixlen ? htonl(~0u << (32 - v4->prefixlen)) : 0;

		r = add_route(want, AF_INET, u->slot, oif, RT_SCOPE_LINK);
		r->r.dst.v4.s_addr = v4->address.s_addr & mask;
		r->r.dst_len = v4->prefixlen;
		r->r.prefsrc.v4 = v4->address;
		if (v4->gateway.s_addr) {
			r = add_route(want, AF_INET, u->slot, oif, RT_SCOPE_UNIVERSE);
			r->r.gateway.v4 = v4->gateway;
			r->r.prefsrc.v4 = v4->address;
		}
	}
	if (v6->up) {
		r = add_route(want, AF_INET6, u->slot, oif, RT_SCOPE_UNIVERSE);
		r->r.dst_len = v6->prefixlen;
		for (int i = 0; i < 16; i++) {
			int bits = v6->prefixlen - i * 8;

			r->r.dst.v6.s6_addr[i] = v6->address.s6_addr[i] &
				(bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff);
		}
		if (!nfc_inaddr_is_zero(AF_INET6, &(NfcInAddr){ .v6 = v6->gateway })) {
			r = add_route(want, AF_INET6, u->slot, oif, RT_SCOPE_UNIVERSE);
			r->r.gateway.v6 = v6->gateway;
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
			*cgroup_path = g_build_filename(nfc_cgroup2_mount(), who->cgroup, NULL);
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

/* ---- incremental state ----------------------------------------------------
 * A session change costs O(1) kernel work and O(uplinks) computing: each
 * steered session holds references on its routing class, its source rule
 * and its identity; kernel state changes only when a reference count
 * crosses zero or an identity's owner changes. Changes go out in three
 * stages: makes (routes, rules) first; once the kernel acked them, flips
 * (map elements); once those are acked, breaks (what nobody uses now). */

typedef struct {
	char *key;                /* "2,1": uplink slots, best first */
	guint refs;
} Class;

typedef struct {
	char *key;                /* "uid:1000", "gid:100", "cgroup:/x" */
	NfcFirewallIdentity id;
	char *cgroup_path;        /* absolute, for cgroup identities */
	GTree *members;           /* session id → mark; the lowest id owns the element */
	uint32_t installed;       /* the mark in the kernel's map, 0 = none */
	bool queued;              /* waiting in the flip queue */
	gint64 queued_at;         /* monotonic µs, when it was queued */
} Ident;

typedef struct {
	Rule rule;
	guint refs;
} Source;

typedef struct {
	guint cls;
	uint32_t mark;
	Ident *ident;             /* NULL: no identity (no policy matched) */
	Source *source;           /* NULL: no source rule */
} Steer;

static GHashTable *steers;        /* NfcSession* → Steer* */
static GHashTable *idents;        /* key → Ident* */
static GPtrArray *sources;        /* Source* */
static GQueue flips = G_QUEUE_INIT;
static GArray *break_rules;       /* Rule */
static GArray *break_routes;      /* Route */
static guint pending_make, pending_flip;

static void advance(void);

static void make_done(int error, void *user_data)
{
	request_done(error, user_data);
	if (pending_make > 0)
		pending_make--;
	advance();
}

/* Install a rule unless it is still there, waiting to be broken. */
static void make_rule(const Rule *r)
{
	NfcRtnlRule x = to_rtnl_rule(r);

	for (guint i = 0; i < break_rules->len; i++) {
		if (rule_equal(r, &g_array_index(break_rules, Rule, i))) {
			g_array_remove_index(break_rules, i);
			return;
		}
	}
	log_rule(r, true);
	if (nfc_rtnl_rule_add(&x, make_done, "rule add") == 0)
		pending_make++;
}

static void make_route(const NfcRtnlRoute *r)
{
	for (guint i = 0; i < break_routes->len; i++) {
		if (route_equal(r, &g_array_index(break_routes, Route, i).r)) {
			g_array_remove_index(break_routes, i);
			return;
		}
	}
	log_route(r, true);
	if (nfc_rtnl_route_add(r, true, make_done, "route add") == 0)
		pending_make++;
}

static void ladder_rules(guint cls, const char *key, GArray *out)
{
	const NfcConfig *c = nfc_config_active();
	uint32_t rmask = nfc_mark_layout_routing_mask(&layout);
	g_auto(GStrv) slots = g_strsplit(key, ",", -1);
	uint32_t mark, prio = c->rule_priority_base + (cls - 1) * (MAX_UPLINKS + 1);
	guint step = 0;

	nfc_mark_compose(&layout, cls, 0, &mark);
	for (char **sl = slots; *sl; sl++) {
		if (!**sl)
			continue;
		for (int fam = 0; fam < 2; fam++) {
			Rule r = { .family = fam ? AF_INET6 : AF_INET, .priority = prio + step,
				   .table = table_of(atoi(*sl)), .fwmark = mark, .fwmask = rmask };

			g_array_append_val(out, r);
		}
		step++;
	}
	/* strict: a steered session never falls through to main */
	for (int fam = 0; fam < 2; fam++) {
		Rule r = { .family = fam ? AF_INET6 : AF_INET, .priority = prio + MAX_UPLINKS,
			   .table = 0, .fwmark = mark, .fwmask = rmask };

		g_array_append_val(out, r);
	}
}

static guint class_ref(const char *key)
{
	g_autoptr(GArray) rules = NULL;
	guint free_slot = 0, cls;
	Class *c;

	for (guint i = 0; i < classes->len; i++) {
		c = classes->pdata[i];
		if (c && g_str_equal(c->key, key)) {
			c->refs++;
			return i + 1;
		}
		if (!c && !free_slot)
			free_slot = i + 1;
	}
	if (!free_slot && classes->len >= max_classes())
		return 0;
	c = g_new0(Class, 1);
	c->key = g_strdup(key);
	c->refs = 1;
	if (free_slot) {
		classes->pdata[free_slot - 1] = c;
		cls = free_slot;
	} else {
		g_ptr_array_add(classes, c);
		cls = classes->len;
	}
	rules = g_array_new(FALSE, TRUE, sizeof(Rule));
	ladder_rules(cls, key, rules);
	for (guint i = 0; i < rules->len; i++)
		make_rule(&g_array_index(rules, Rule, i));
	return cls;
}

static void class_unref(guint cls)
{
	Class *c = cls && cls <= classes->len ? classes->pdata[cls - 1] : NULL;

	if (!c || --c->refs > 0)
		return;
	ladder_rules(cls, c->key, break_rules);
	g_free(c->key);
	g_free(c);
	classes->pdata[cls - 1] = NULL;
}

static Source *source_ref(const Rule *r)
{
	Source *src;

	for (guint i = 0; i < sources->len; i++) {
		src = sources->pdata[i];
		if (rule_equal(&src->rule, r)) {
			src->refs++;
			return src;
		}
	}
	src = g_new0(Source, 1);
	src->rule = *r;
	src->refs = 1;
	g_ptr_array_add(sources, src);
	make_rule(r);
	return src;
}

static void source_unref(Source *src)
{
	if (!src || --src->refs > 0)
		return;
	g_array_append_val(break_rules, src->rule);
	g_ptr_array_remove_fast(sources, src); /* frees it */
}

static gint cmp_sid(gconstpointer a, gconstpointer b, gpointer data)
{
	guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

	return x < y ? -1 : x > y;
}

static void queue_flip(Ident *ident)
{
	if (ident->queued)
		return;
	ident->queued = true;
	ident->queued_at = g_get_monotonic_time();
	g_queue_push_tail(&flips, ident);
}

static void ident_free(Ident *ident)
{
	g_tree_unref(ident->members);
	g_free(ident->key);
	g_free(ident->cgroup_path);
	g_free(ident);
}

static Ident *ident_join(NfcSession *s, uint32_t mark)
{
	g_autofree char *cg = NULL;
	NfcFirewallIdentity id;
	g_autofree char *key = identity_key(s, &id, &cg);
	Ident *ident = g_hash_table_lookup(idents, key);

	if (!ident) {
		ident = g_new0(Ident, 1);
		ident->key = g_steal_pointer(&key);
		ident->id = id;
		ident->cgroup_path = g_steal_pointer(&cg);
		ident->id.cgroup_path = ident->cgroup_path;
		ident->members = g_tree_new_full(cmp_sid, NULL, NULL, NULL);
		g_hash_table_insert(idents, ident->key, ident);
	}
	g_tree_replace(ident->members, GUINT_TO_POINTER(nfc_session_get_id(s)),
		       GUINT_TO_POINTER(mark));
	queue_flip(ident);
	return ident;
}

static void ident_leave(Ident *ident, uint32_t sid)
{
	g_tree_remove(ident->members, GUINT_TO_POINTER(sid));
	queue_flip(ident);
}

static gboolean first_mark(gpointer key, gpointer value, gpointer data)
{
	*(uint32_t *)data = GPOINTER_TO_UINT(value);
	return TRUE; /* the first is enough */
}

/* How long a session change took to reach the kernel: from the session
 * event (created, destroyed, moved) to the kernel's ack of its map
 * element, the last step that puts it in effect. The last
 * APPLY_SAMPLES of each kind are kept. */
#define APPLY_SAMPLES 4096

typedef struct {
	guint32 us[APPLY_SAMPLES];
	guint n;                  /* samples held, up to APPLY_SAMPLES */
	guint next;
	guint64 total;            /* ever recorded */
} ApplyRing;

static ApplyRing apply_rings[2]; /* [0] element added or changed, [1] removed */

typedef struct {
	gint64 start;
	bool removal;
} Flip;

/* Flips the firewall has not answered yet (freed at cleanup: a
 * destroyed backend drops its queue without calling back). */
static GQueue flips_in_flight = G_QUEUE_INIT;

static void apply_record(ApplyRing *ring, gint64 us)
{
	ring->us[ring->next] = (guint32)CLAMP(us, 0, G_MAXUINT32);
	ring->next = (ring->next + 1) % APPLY_SAMPLES;
	if (ring->n < APPLY_SAMPLES)
		ring->n++;
	ring->total++;
}

static int cmp_u32(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

static void apply_summary(ApplyRing *ring, NfcApplyTimes *out)
{
	g_autofree guint32 *v = g_memdup2(ring->us, ring->n * sizeof(guint32));

	memset(out, 0, sizeof(*out));
	out->total = ring->total;
	out->samples = ring->n;
	if (!ring->n)
		return;
	qsort(v, ring->n, sizeof(guint32), cmp_u32);
	out->p50_us = v[(ring->n - 1) / 2];
	out->p99_us = v[(ring->n - 1) * 99 / 100];
	out->max_us = v[ring->n - 1];
}

void nfc_policy_engine_apply_times(NfcApplyTimes *added, NfcApplyTimes *removed, bool reset)
{
	apply_summary(&apply_rings[0], added);
	apply_summary(&apply_rings[1], removed);
	if (reset)
		memset(apply_rings, 0, sizeof(apply_rings));
}

static void flip_done(int error, void *user_data)
{
	g_autofree Flip *flip = user_data;

	g_queue_remove(&flips_in_flight, flip);
	if (error == 0)
		apply_record(&apply_rings[flip->removal], g_get_monotonic_time() - flip->start);
	if (error < 0 && error != -ENOENT)
		nfc_warn("policy engine: identity update failed: %s", g_strerror(-error));
	if (pending_flip > 0)
		pending_flip--;
	advance();
}

/* Move the stages along: flips once the makes are in, breaks once the
 * flips are in. */
static void advance(void)
{
	Ident *ident;

	if (!ready || pending_make > 0)
		return;
	while ((ident = g_queue_pop_head(&flips))) {
		uint32_t want = 0;

		ident->queued = false;
		g_tree_foreach(ident->members, first_mark, &want);
		if (want != ident->installed) {
			Flip *flip = g_new(Flip, 1);
			int r;

			flip->start = ident->queued_at;
			flip->removal = !want;
			r = want ? nfc_firewall_identity_add(fw, &ident->id, want, flip_done, flip)
				 : nfc_firewall_identity_remove(fw, &ident->id, flip_done, flip);
			if (r == 0) {
				pending_flip++;
				g_queue_push_tail(&flips_in_flight, flip);
			} else {
				g_free(flip);
			}
			ident->installed = want;
		}
		if (!want)
			g_hash_table_remove(idents, ident->key);
	}
	if (pending_flip > 0)
		return;
	for (guint i = 0; i < break_rules->len; i++) {
		const Rule *r = &g_array_index(break_rules, Rule, i);
		NfcRtnlRule x = to_rtnl_rule(r);

		log_rule(r, false);
		nfc_rtnl_rule_del(&x, request_done, "rule delete");
	}
	for (guint i = 0; i < break_routes->len; i++) {
		const NfcRtnlRoute *r = &g_array_index(break_routes, Route, i).r;

		log_route(r, false);
		nfc_rtnl_route_del(r, request_done, "route delete");
	}
	g_array_set_size(break_rules, 0);
	g_array_set_size(break_routes, 0);
}

/* What the session should have now, with references taken. */
static Steer *steer_new(NfcSession *s)
{
	uint32_t sid = nfc_session_get_id(s);
	g_autofree char *ladder = NULL;
	NfcService *svc;
	Steer *st;

	if (!nfc_session_is_steered(s) || sid > nfc_mark_layout_session_max(&layout))
		return NULL;
	ladder = ladder_key(s);
	st = g_new0(Steer, 1);
	st->cls = class_ref(ladder);
	if (!st->cls) {
		nfc_warn("policy engine: out of routing classes for %s", nfc_session_get_path(s));
		g_free(st);
		return NULL;
	}
	nfc_mark_compose(&layout, st->cls, sid, &st->mark);

	/* SourceIPRule: sockets bound to the uplink's address use its table */
	svc = nfc_session_get_service(s);
	if (nfc_session_get_settings(s)->source_ip_rule && svc) {
		Uplink *u = uplink_of(svc);
		const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(nfc_service_get_ipconfig(svc));

		if (u && v4->up) {
			Rule r = { .family = AF_INET, .table = table_of(u->slot), .src_len = 32 };

			r.src.v4 = v4->address;
			/* after every class ladder: marks decide first */
			r.priority = nfc_config_active()->rule_priority_base +
				     nfc_config_active()->routing_range - 1 - u->slot;
			st->source = source_ref(&r);
		}
	}
	/* an identity only with a policy: a policy-less session that only
	 * pinned an interface or asked for a source rule has no identity */
	if (nfc_session_get_policy(s))
		st->ident = ident_join(s, st->mark);
	return st;
}

static void steer_drop(Steer *st, uint32_t sid, Ident *kept)
{
	if (!st)
		return;
	if (st->ident && st->ident != kept)
		ident_leave(st->ident, sid);
	class_unref(st->cls);
	source_unref(st->source);
	g_free(st);
}

static void session_update(NfcSession *s, bool gone)
{
	Steer *old = NULL, *st = NULL;

	if (!ready)
		return;
	/* ours now: steer_drop frees it */
	g_hash_table_steal_extended(steers, s, NULL, (gpointer *)&old);
	/* new references first: what both use is never torn down */
	if (!gone)
		st = steer_new(s);
	if (st)
		g_hash_table_insert(steers, s, st);
	steer_drop(old, nfc_session_get_id(s), st ? st->ident : NULL);
}

static void update_one(NfcSession *s, gpointer data)
{
	session_update(s, false);
}

/* Uplinks changed: routes of every table, then every session again
 * (O(sessions), but only on uplink events, never per session). */
static void full_pass(void)
{
	g_autoptr(GArray) want_routes = g_array_new(FALSE, TRUE, sizeof(Route));

	refresh_uplinks();
	for (guint i = 0; i < uplinks->len; i++)
		if (uplinks->pdata[i])
			want_uplink_routes(uplinks->pdata[i], want_routes);
	for (guint i = 0; i < want_routes->len; i++) {
		const NfcRtnlRoute *r = &g_array_index(want_routes, Route, i).r;
		bool have = false;

		for (guint j = 0; j < have_routes->len && !have; j++)
			have = route_equal(r, &g_array_index(have_routes, Route, j).r);
		if (!have)
			make_route(r);
	}
	for (guint j = 0; j < have_routes->len; j++) {
		const Route *r = &g_array_index(have_routes, Route, j);
		bool keep = false;

		for (guint i = 0; i < want_routes->len && !keep; i++)
			keep = route_equal(&r->r, &g_array_index(want_routes, Route, i).r);
		if (!keep)
			g_array_append_val(break_routes, *r);
	}
	g_array_set_size(have_routes, 0);
	g_array_append_vals(have_routes, want_routes->data, want_routes->len);
	nfc_session_foreach(update_one, NULL);
	advance();
}

static gboolean on_sync(gpointer data)
{
	sync_idle = 0;
	if (ready)
		full_pass();
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
	session_update(s, false);
	advance();
}

static void on_session_destroyed(NfcSession *s, void *user_data)
{
	g_hash_table_remove(traffic, GUINT_TO_POINTER(nfc_session_get_id(s)));
	session_update(s, true);
	advance();
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
	classes = g_ptr_array_new();
	have_routes = g_array_new(FALSE, TRUE, sizeof(Route));
	steers = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	idents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)ident_free);
	sources = g_ptr_array_new_with_free_func(g_free);
	break_rules = g_array_new(FALSE, TRUE, sizeof(Rule));
	break_routes = g_array_new(FALSE, TRUE, sizeof(Route));
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
	g_autoptr(GArray) rules = NULL;

	if (!fw)
		return;
	nfc_service_watch_remove(service_watch);
	nfc_session_watch_remove(session_watch);
	if (sync_idle)
		g_source_remove(sync_idle);
	sync_idle = 0;
	/* everything of ours: ladders, source rules, uplink routes, and what
	 * was waiting to be broken */
	rules = g_array_new(FALSE, TRUE, sizeof(Rule));
	for (guint i = 0; i < classes->len; i++) {
		Class *c = classes->pdata[i];

		if (c)
			ladder_rules(i + 1, c->key, rules);
	}
	for (guint i = 0; i < sources->len; i++)
		g_array_append_val(rules, ((Source *)sources->pdata[i])->rule);
	g_array_append_vals(rules, break_rules->data, break_rules->len);
	for (guint j = 0; j < rules->len; j++) {
		NfcRtnlRule x = to_rtnl_rule(&g_array_index(rules, Rule, j));

		nfc_rtnl_rule_del(&x, NULL, NULL);
	}
	for (guint j = 0; j < have_routes->len; j++)
		nfc_rtnl_route_del(&g_array_index(have_routes, Route, j).r, NULL, NULL);
	for (guint j = 0; j < break_routes->len; j++)
		nfc_rtnl_route_del(&g_array_index(break_routes, Route, j).r, NULL, NULL);
	/* the table goes with our socket (owner flag); say goodbye anyway */
	nfc_firewall_cleanup(fw, NULL, NULL);
	g_clear_pointer(&fw, nfc_firewall_free);
	g_queue_clear(&flips);
	g_queue_clear_full(&flips_in_flight, g_free);
	for (guint i = 0; i < uplinks->len; i++)
		g_free(uplinks->pdata[i]);
	for (guint i = 0; i < classes->len; i++) {
		Class *c = classes->pdata[i];

		if (c) {
			g_free(c->key);
			g_free(c);
		}
	}
	g_clear_pointer(&uplinks, g_ptr_array_unref);
	g_clear_pointer(&classes, g_ptr_array_unref);
	g_clear_pointer(&have_routes, g_array_unref);
	g_clear_pointer(&steers, g_hash_table_unref);
	g_clear_pointer(&idents, g_hash_table_unref);
	g_clear_pointer(&sources, g_ptr_array_unref);
	g_clear_pointer(&break_rules, g_array_unref);
	g_clear_pointer(&break_routes, g_array_unref);
	g_clear_pointer(&traffic, g_hash_table_unref);
	ready = false;
	pending_make = pending_flip = 0;
}

/* ---- explain and counters -------------------------------------------------- */

void nfc_policy_engine_session_info(NfcSession *s, NfcPolicyEngineInfo *info)
{
	static char identity[300];
	Steer *st = steers ? g_hash_table_lookup(steers, s) : NULL;

	memset(info, 0, sizeof(*info));
	info->steered = st != NULL;
	if (!st)
		return;
	info->routing_class = st->cls;
	info->mark = st->mark;
	if (nfc_session_get_service(s)) {
		Uplink *u = uplink_of(nfc_session_get_service(s));

		info->table = u ? table_of(u->slot) : 0;
	}
	if (!st->ident)
		return;
	g_snprintf(identity, sizeof(identity), "%s", st->ident->key);
	g_strdelimit(identity, ":", ' ');
	info->identity = identity;
	info->identity_owner = st->ident->installed == st->mark;
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
