/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the files of the steering engine share, and nobody else (but their
 * unit tests). The decision (engine.c: which class, which identity, which
 * source rule a session gets) takes and drops references on the modules
 * below; where a reference starts or ends a kernel object, the commit
 * (stages.c) sends it, in its stage. Each module keeps its state in one
 * struct, passed in, so that the pure parts run in unit tests. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "firewall.h"
#include "policy.h"
#include "rtnl.h"
#include "service.h"

/* Rungs in a ladder before its unreachable rule. */
#define ENGINE_MAX_UPLINKS 8

/* Our numbers from main.conf, read once at start. */
typedef struct {
	NfcMarkLayout layout;
	uint32_t table_base;      /* uplink slot s routes in table table_base + s */
	uint32_t priority_base;   /* our ip rules: priority_base .. + range - 1 */
	uint32_t range;           /* tables and priorities of ours */
} EngineRouting;

/* One ip rule of ours; table 0 is the unreachable action. */
typedef struct {
	int family;
	uint32_t priority;
	uint32_t table;
	uint32_t fwmark, fwmask;
	NfcInAddr src;
	uint8_t src_len;
} EngineRule;

uint32_t engine_table(const EngineRouting *r, guint slot);

/* ---- classes.c: routing classes ------------------------------------------
 * Sessions allowed the same uplinks in the same order share a class; its
 * id is the routing part of their mark and picks its ladder of ip rules. */

typedef struct {
	guint n;
	guint slot[ENGINE_MAX_UPLINKS];   /* uplink slots, best first */
} EngineLadder;

typedef struct {
	GPtrArray *by_id;         /* EngineClass* at id - 1; NULL: a free id */
	guint max;                /* usable ids: 1 .. max */
} EngineClasses;

/* As many classes as both the rule range and the mark's routing part hold. */
guint engine_classes_max(const EngineRouting *r);
void engine_classes_init(EngineClasses *c, guint max);
void engine_classes_clear(EngineClasses *c);
/* The class of ladder with one more reference; a new one takes the lowest
 * free id (*created). 0 when every id is taken. */
guint engine_classes_ref(EngineClasses *c, const EngineLadder *ladder, bool *created);
/* True when that was the last reference: the id is free again and
 * *ladder (may be NULL) gets what the class was. */
bool engine_classes_unref(EngineClasses *c, guint id, EngineLadder *ladder);
const EngineLadder *engine_classes_get(const EngineClasses *c, guint id);
/* An uplink as a ladder sees it. */
typedef struct {
	guint slot;
	const char *type;         /* its bearer */
	const char *ifname;
	bool online;
} EngineCandidate;

/* The uplinks of c (in service order) that settings allow, best first:
 * each bearer of bearers in its order, within a bearer the candidates in
 * their order; only ifname's if set; only online ones for an internet
 * session. An empty ladder is a class too: only the unreachable rule. */
void engine_ladder_build(const EngineCandidate *c, guint n, char *const *bearers,
			 NfcConnType type, const char *ifname, EngineLadder *out);
/* Do a session's settings s give it another ladder than policy p alone
 * (other effective bearers, type or interface)? Effective values only
 * narrow the policy's, so "another" is "narrower". */
bool engine_settings_narrow(const NfcSessionSettings *s, const NfcSessionPolicy *p);
/* Class id's rules, IPv4 and IPv6 each: fwmark id/routing mask lookup the
 * table of each rung, best first, then unreachable at the last step: a
 * steered session never falls through to the main table. */
void engine_ladder_rules(const EngineRouting *r, guint id, const EngineLadder *ladder,
			 GArray *out);

/* ---- identities.c: whose sockets a session's mark goes on ------------------ */

/* What the identity choice needs to know of nfconnd itself. */
typedef struct {
	uid_t uid;                /* ours */
	const char *cgroup;       /* our cgroup v2 path; NULL if unknown */
	/* 1 if the cgroup v2 directory of this path has child cgroups, 0 if
	 * it has none, negative errno if it cannot be read */
	int (*has_children)(const char *cgroup, void *data);
	void *data;
} EngineHost;

typedef struct {
	bool set;                 /* false: no identity, nothing to install */
	bool own;                 /* the creator's own (no policy), not a policy's */
	NfcIdentityKind kind;
	uint32_t id;              /* uid or gid */
	char *cgroup;             /* cgroup v2 path, for NFC_IDENTITY_CGROUP */
} EngineIdentity;

/* Whose sockets a session's marks go on, in two parts.
 *
 * member: the creator's own identity; the session's own settings steer
 * it (the policy's, narrowed by the session's) and its counters count it.
 * With a policy: what it matched when only the creator's sockets can
 * match it (its uid; its private cgroup); for a gid: the creator's
 * private cgroup, else its uid unless that is ours. Without a policy:
 * the creator's own cgroup when engine_cgroup_is_private() says so, else
 * its uid unless that is ours, else none.
 *
 * shared: what a policy matched when sockets of others match it too (the
 * gid it named; a cgroup that is not the creator's private one). It is steered by
 * the policy's settings alone and counted for no session: no member may
 * move, cut off or count another user's traffic. A member identity is
 * only chosen when the firewall looks it up before the shared one
 * (engine_identity_precedes), or it would never match. */
void engine_identity_choose(const NfcPolicyConfig *policy, const NfcIdentity *who,
			    const EngineHost *host, EngineIdentity *member,
			    EngineIdentity *shared);
/* Does the firewall look a up before b? Deeper cgroups first, then
 * uid, then gid (firewall/nft-ruleset.c, put_output_rules). */
bool engine_identity_precedes(const EngineIdentity *a, const EngineIdentity *b);
/* A cgroup that holds one application, not a share of the host: not "/",
 * not directly below it (init.scope and the top slices), without child
 * cgroups (a slice groups others), and not nfconnd's own. */
bool engine_cgroup_is_private(const char *cgroup, const EngineHost *host);
void engine_identity_copy(EngineIdentity *dst, const EngineIdentity *src);
/* "uid 1000", "gid 100", "cgroup /x": the element's key, explain's name */
char *engine_identity_key(const EngineIdentity *who);
void engine_identity_clear(EngineIdentity *id);

/* One element of the firewall's maps: an identity and the sessions that
 * steer it. The lowest session id owns it: its mark is the one installed. */
typedef struct {
	char *key;                /* "uid 1000", "gid 100", "cgroup /x" (explain shows it) */
	NfcFirewallIdentity id;
	char *cgroup_path;        /* absolute, for cgroup identities */
	GTree *members;           /* session id → mark */
	uint32_t installed;       /* the mark the sinks have, 0 = none */
	bool queued;              /* in the dirty queue */
	gint64 queued_at;         /* monotonic µs: the change that queued it */
} EngineElement;

typedef struct {
	GHashTable *by_key;       /* key → EngineElement* */
	GQueue dirty;             /* elements whose owner may have changed */
	char *cgroup_root;        /* where cgroup v2 is mounted */
} EngineIdentities;

void engine_identities_init(EngineIdentities *ids, const char *cgroup_root);
void engine_identities_clear(EngineIdentities *ids);
/* Session sid (with mark) steers who; *who must be set. */
EngineElement *engine_identities_join(EngineIdentities *ids, const EngineIdentity *who,
				      uint32_t sid, uint32_t mark);
void engine_identities_leave(EngineIdentities *ids, EngineElement *el, uint32_t sid);
/* The next element to settle, NULL when none is left. */
EngineElement *engine_identities_pop_dirty(EngineIdentities *ids);
/* The owner's mark; 0 when no session steers the element any more. */
uint32_t engine_element_owner_mark(const EngineElement *el);
/* The sinks were told mark; an element nobody steers is freed. */
void engine_identities_settled(EngineIdentities *ids, EngineElement *el, uint32_t mark);

/* ---- apply-times.c: how fast changes take effect ---------------------------- */

#define ENGINE_APPLY_SAMPLES 4096

typedef struct {
	guint32 us[ENGINE_APPLY_SAMPLES];
	guint n;                  /* samples held */
	guint next;               /* where the next one goes */
	guint64 total;            /* ever recorded */
} EngineApplyRing;

void engine_apply_record(EngineApplyRing *ring, gint64 us);
void engine_apply_summary(const EngineApplyRing *ring, NfcApplyTimes *out);
void engine_apply_reset(EngineApplyRing *ring);

/* ---- stages.c: the commit --------------------------------------------------
 * Kernel changes go out in three stages: makes (routes, rules) first;
 * once the kernel acked them all, flips (identity elements, to every
 * sink); once those are acked, breaks (what nobody uses now). A make of
 * something still waiting to be broken just keeps it. */

/* ---- repair.c: our rules and routes, restored when removed from outside ----
 * The stages tell what the kernel should hold (expect when a make is
 * sent, forget when a break is); a removal or change of any of it from
 * outside is answered ~20 ms later by a dump and a re-add of what is
 * missing, one log line each time. Our own deletions are forgotten
 * before they are sent, so they never look like tampering. */
typedef struct {
	GArray *rules;            /* EngineRule */
	GArray *routes;           /* NfcRtnlRoute */
	const bool *live;         /* the stages': nothing is repaired before or after */
	unsigned int watch;       /* rtnl */
	guint timer;              /* the delay before a check */
	guint dumps;              /* of the running check, not answered yet */
	int dump_ids[4];          /* rules v4, v6, routes v4, v6 */
	bool again;               /* a change came while the check ran */
	bool failed;              /* a dump of the running check failed */
	GArray *seen_rules;       /* NfcRtnlRule, during a check */
	GArray *seen_routes;      /* NfcRtnlRoute, during a check */
	guint64 repairs;          /* checks that found something missing */
	gint64 since;             /* monotonic µs: the first change this check answers */
} EngineRepair;

void engine_repair_init(EngineRepair *rp, const bool *live);
void engine_repair_clear(EngineRepair *rp);
void engine_repair_expect_rule(EngineRepair *rp, const EngineRule *r);
void engine_repair_forget_rule(EngineRepair *rp, const EngineRule *r);
void engine_repair_expect_route(EngineRepair *rp, const NfcRtnlRoute *r);
void engine_repair_forget_route(EngineRepair *rp, const NfcRtnlRoute *r);
void engine_repair_forget_all(EngineRepair *rp);
/* Is seen (as the kernel tells it) what we sent as want? The kernel
 * fills in what we left out (an IPv6 route's metric). */
bool engine_repair_rule_matches(const EngineRule *want, const NfcRtnlRule *seen);
bool engine_repair_route_matches(const NfcRtnlRoute *want, const NfcRtnlRoute *seen);
/* What of the expected set a dump (NfcRtnlRule, NfcRtnlRoute) lacks, into
 * rules (EngineRule) and routes (NfcRtnlRoute). A route replaced by
 * another expected one in its place (same destination and metric) is not
 * missing: the commit deletes it next. */
void engine_repair_missing(const EngineRepair *rp, const GArray *seen_rules,
			   const GArray *seen_routes, GArray *rules, GArray *routes);

/* Where identity elements go. The firewall's maps are one sink; an eBPF
 * socket-mark program's maps would be another. Same contract as the
 * firewall's requests: >= 0 queued (done is called exactly once), < 0
 * refused (it is not called). mark 0: the element goes. */
typedef struct {
	const char *name;
	int (*set_identity)(void *data, const NfcFirewallIdentity *identity, uint32_t mark,
			    NfcFirewallDoneFunc done, void *user_data);
} EngineSinkOps;

/* data: the NfcFirewall */
extern const EngineSinkOps engine_firewall_sink;

typedef struct {
	bool live;                /* from the firewall's start to our stop */
	guint pending_make, pending_flip;
	GArray *break_rules;      /* EngineRule */
	GArray *break_routes;     /* NfcRtnlRoute */
	GArray *sinks;            /* EngineSink */
	GQueue in_flight;         /* flips not all sinks answered */
	EngineIdentities *identities;
	EngineApplyRing *added, *removed;
	EngineRepair repair;      /* what makes installed and breaks did not remove */
} EngineStages;

void engine_stages_init(EngineStages *st, EngineIdentities *ids, EngineApplyRing *added,
			EngineApplyRing *removed);
void engine_stages_add_sink(EngineStages *st, const EngineSinkOps *ops, void *data);
void engine_stages_clear(EngineStages *st);
void engine_stages_make_rule(EngineStages *st, const EngineRule *r);
void engine_stages_make_route(EngineStages *st, const NfcRtnlRoute *r);
void engine_stages_break_rule(EngineStages *st, const EngineRule *r);
void engine_stages_break_route(EngineStages *st, const NfcRtnlRoute *r);
/* Move the stages along as far as the acks allow. */
void engine_stages_advance(EngineStages *st);
/* Stop: delete these rules and routes and whatever waits to be broken,
 * without waiting for anything. */
void engine_stages_remove_all(EngineStages *st, const GArray *rules, const GArray *routes);

bool engine_rule_equal(const EngineRule *a, const EngineRule *b);
bool engine_route_equal(const NfcRtnlRoute *a, const NfcRtnlRoute *b);
NfcRtnlRule engine_rule_to_rtnl(const EngineRule *r);

/* sink-bpf.c: the socket-mark fast path. Start it as main.conf's
 * FastPath says and the kernel allows (one log line either way); false when it does not run. Then add the sinks: the fast path's in front of
 * the firewall's when it runs, else the firewall's alone. */
bool engine_bpf_sink_start(const NfcFirewallOps *backend, const NfcMarkLayout *layout);
void engine_bpf_sink_add(EngineStages *st, NfcFirewall *fw);
void engine_bpf_sink_stop(void);

/* ---- uplinks.c: uplink slots, their routes and source rules ----------------- */

typedef struct {
	NfcService *service;
	guint slot;               /* 1..; its table is table_base + slot */
} EngineUplink;

typedef struct {
	EngineRule rule;
	guint refs;
} EngineSource;

typedef struct {
	GPtrArray *by_slot;       /* EngineUplink* at slot - 1; NULL: free */
	GArray *routes;           /* NfcRtnlRoute: what the uplink tables hold */
	GPtrArray *sources;       /* EngineSource* */
} EngineUplinks;

void engine_uplinks_init(EngineUplinks *u);
void engine_uplinks_clear(EngineUplinks *u);
/* Connected services get a slot, the lowest free one; a service keeps
 * its slot (its table) while it stays connected. */
void engine_uplinks_refresh(EngineUplinks *u, const EngineRouting *r);
guint engine_uplinks_slot(const EngineUplinks *u, NfcService *service); /* 0: none */
NfcService *engine_uplinks_service(const EngineUplinks *u, guint slot);
/* Bring the uplink tables to what the uplinks' addresses want. */
void engine_uplinks_sync_routes(EngineUplinks *u, const EngineRouting *r, EngineStages *st);
/* SourceIPRule: "from address lookup <slot's table>", after every ladder. */
void engine_source_rule(const EngineRouting *r, guint slot, struct in_addr address,
			EngineRule *out);
/* Shared source rules; a new one is made, the last unref breaks it. */
EngineSource *engine_uplinks_source_ref(EngineUplinks *u, const EngineRule *rule,
					EngineStages *st);
void engine_uplinks_source_unref(EngineUplinks *u, EngineSource *src, EngineStages *st);

/* ---- counters.c: per-session traffic ------------------------------------------ */

typedef struct {
	GHashTable *by_session;   /* session id → Traffic* */
	GQueue reads;             /* reads the firewall has not answered */
} EngineTraffic;

void engine_traffic_init(EngineTraffic *t);
void engine_traffic_clear(EngineTraffic *t);
/* The kernel's totals for session sid: what grew since the last read is
 * credited to uplink (a service identifier, "" for none). Totals that
 * went down restarted (our table was repaired): they count from zero. */
void engine_traffic_credit(EngineTraffic *t, uint32_t sid, const char *uplink,
			   const NfcSessionCounters *c);
void engine_traffic_forget(EngineTraffic *t, uint32_t sid);
void engine_traffic_get(EngineTraffic *t, uint32_t sid, NfcSessionTraffic *total,
			NfcEngineUplinkTrafficFunc per_uplink, void *user_data);
/* One dump of the firewall's counters, credited to each session's
 * current uplink. */
int engine_traffic_read(EngineTraffic *t, NfcFirewall *fw, NfcEngineCountersFunc done,
			void *user_data);

/* ---- sweep.c: leftovers of an earlier run ------------------------------------- */

bool engine_sweep_rule_is_ours(const EngineRouting *r, const NfcRtnlRule *rule);
bool engine_sweep_route_is_ours(const EngineRouting *r, const NfcRtnlRoute *route);
/* Delete the ip rules and routes in our ranges (a crash leaves them),
 * then call done. */
void engine_sweep(const EngineRouting *r, void (*done)(void *user_data), void *user_data);

/* ---- tether.c: the uplink set, tether requests, the NAT flush ---------------------- */

typedef struct {
	int family;               /* AF_INET, AF_INET6 */
	uint8_t address[16];
} EngineTetherAddr;

typedef struct {
	char *ifname;
	GArray *addrs;            /* EngineTetherAddr: what it had while up */
} EngineTetherUplink;

typedef void (*EngineTetherDoneFunc)(int error, void *user_data);
typedef struct NfcConntrack NfcConntrack;

typedef struct {
	NfcFirewall *fw;          /* not owned; NULL: not started */
	bool ready;               /* the firewall is in */
	NfcConntrack *ct;         /* NULL: no ctnetlink, nothing flushed */
	GHashTable *uplinks;      /* service identifier → EngineTetherUplink* */
	char **sent;              /* the uplink set last asked of the firewall */
	GQueue waiting;           /* tether requests before the firewall was ready */
	GPtrArray *flushes;       /* conntrack flushes not answered yet */
	char *preferred;          /* service id of the uplink tethered traffic
				   * leaves by (the first connected one) */
	bool tethering;           /* tether (its subnets) asked of the firewall */
	NfcFirewallTether tether;
} EngineTether;

void engine_tether_init(EngineTether *t, NfcFirewall *fw);
/* Pending requests and flushes are dropped without their callbacks. */
void engine_tether_clear(EngineTether *t);
/* The firewall's init finished: with 0 the uplink set goes out and the
 * waiting requests follow; else they fail with error. */
void engine_tether_ready(EngineTether *t, int error);
/* As nfc_engine_tether_set. */
int engine_tether_set(EngineTether *t, const NfcFirewallTether *tether, EngineTetherDoneFunc done,
		      void *user_data);
/* The services changed: the uplink set follows the connected ones, each
 * address an uplink had and has no more is flushed from conntrack, and
 * when the preferred uplink changed, the tether subnets' flows NATed to
 * the others' addresses are too (engine_tether_failback). */
void engine_tether_refresh(EngineTether *t);
/* Pure: the addresses of before's uplinks (service → EngineTetherUplink)
 * that after lacks (the uplink gone, or that address of it), into lost
 * (EngineTetherAddr) and, for each, its interface into lost_ifnames
 * (borrowed from before). */
void engine_tether_lost(GHashTable *before, GHashTable *after, GArray *lost,
			GPtrArray *lost_ifnames);
/* Pure: when the preferred uplink changes (before to after, service ids;
 * after not NULL, in now), the addresses of now's other uplinks that the
 * preferred one does not have too, into addrs (EngineTetherAddr) and their
 * interfaces into ifnames (borrowed from now): the kernel routes tethered
 * flows to the preferred uplink at once, and those NATed to these
 * addresses are dropped so that they are NATed anew without a packet
 * lost. Nothing when the preferred uplink stayed or there is none. */
void engine_tether_failback(const char *before, const char *after, GHashTable *now,
			    GArray *addrs, GPtrArray *ifnames);
bool engine_tether_addr_equal(const EngineTetherAddr *a, const EngineTetherAddr *b);
int engine_tether_strcmp(const char **a, const char **b);
