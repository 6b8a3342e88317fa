/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the iptables (legacy xtables) backend, shared by its files:
 * ipt-ruleset.c (what our chains contain, as iptables-restore text, and
 * the parser of iptables-save output) and ipt-backend.c (the helper
 * processes, the request queue, the periodic tamper check).
 *
 * Rules are written in the form iptables-save prints them back, so that
 * what we installed and what the kernel holds compare as text. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "firewall.h"

#define IPT_PREFIX "NFCONN-"
/* mangle */
#define IPT_OUT "NFCONN-OUT"         /* from OUTPUT: restore, identities, save, count */
#define IPT_PRE "NFCONN-PRE"         /* from PREROUTING: restore, count */
#define IPT_ID "NFCONN-ID"           /* for unmarked packets: the identity chains, save */
#define IPT_CGROUP "NFCONN-CGROUP"   /* identity rules, deepest cgroup first */
#define IPT_UID "NFCONN-UID"
#define IPT_GID "NFCONN-GID"
#define IPT_TX "NFCONN-TX"           /* the counting tree's root (see ipt-ruleset.c) */
#define IPT_RX "NFCONN-RX"
#define IPT_SOCK "NFCONN-SOCK"       /* with sock_marks: packets of a socket marked at creation */
#define IPT_SMAP "NFCONN-SMAP"       /* with sock_marks: one rule per session, its current mark */
/* nat */
#define IPT_POST "NFCONN-POST"       /* from POSTROUTING: masquerade */
/* filter, while tethering */
#define IPT_FWD "NFCONN-FWD"         /* from FORWARD: to TOUT / TIN */
#define IPT_TOUT "NFCONN-TOUT"       /* from the bridge */
#define IPT_TIN "NFCONN-TIN"         /* to the bridge */
#define IPT_TXC "NFCONN-TXC"         /* one accept per client address: its counter */
#define IPT_RXC "NFCONN-RXC"

/* Per-client counting rules, at most, per family (IPv4 only: xtables has
 * no sets, and an IPv6 subnet cannot be enumerated). */
#define IPT_TETHER_CLIENTS_MAX 1024

typedef enum {
	IPT_MANGLE,
	IPT_NAT,
	IPT_FILTER,
	IPT_N_TABLES,
} IptTable;

const char *ipt_table_name(IptTable t);

typedef struct {
	NfcIdentityKind kind;
	uint32_t id;                /* uid or gid */
	char *cgroup;               /* below the cgroup2 root: "/a/b" */
	unsigned int level;         /* of the cgroup: 1 right under the root */
	uint32_t mark;
	uint64_t seq;               /* installation order (cgroups of one level) */
} IptIdentity;

IptIdentity *ipt_identity_copy(const IptIdentity *id);
void ipt_identity_free(IptIdentity *id);

typedef struct {
	uint32_t ours, session_mask, routing_mask;
	unsigned int session_shift;
	bool sock_marks;            /* NfcFirewallConfig.sock_marks */
	GHashTable *identities;     /* "u:1000" / "g:100" / "c:/path" → IptIdentity */
	GHashTable *sessions;       /* session bits (masked) → number of identities */
	GHashTable *tree_refs;      /* a counting tree chain (ipt-ruleset.c's key) → sessions
				     * below it: whether a session shares its chains,
				     * without a walk over all sessions per change */
	GHashTable *session_marks;  /* session bits → the mark its identities have now */
	GArray *nats;               /* NfcFirewallNat */
	char **uplinks;             /* NULL-terminated */
	bool tether_on;
	NfcFirewallTether tether;
	uint64_t next_seq;
} IptState;

void ipt_state_init(IptState *s, const NfcMarkLayout *layout, bool sock_marks);
void ipt_state_clear(IptState *s);
/* A deep copy (to roll a failed batch back). */
void ipt_state_copy(IptState *dst, const IptState *src);
/* Identities with session bits (0 for none), and one more or one fewer. */
unsigned int ipt_session_refs(const IptState *s, uint32_t bits);
void ipt_session_ref(IptState *s, uint32_t bits, int delta);

/* ---- rule sets: what is (parsed) or should be (built) in the kernel ------------ */

typedef struct {
	char *chain;
	char *spec;                 /* after "-A <chain> " */
	uint64_t packets, bytes;    /* parsed with counters */
} IptRule;

typedef struct {
	GPtrArray *chains[IPT_N_TABLES];  /* names of our chains (char *) */
	GPtrArray *rules[IPT_N_TABLES];   /* IptRule: in our chains, and the
					   * jumps to them from built-in ones */
} IptRuleset;

void ipt_ruleset_init(IptRuleset *r);
void ipt_ruleset_clear(IptRuleset *r);
bool ipt_ruleset_empty(const IptRuleset *r);

/* Everything of ours in iptables-save output (with or without -c);
 * false if the text is not save output. */
bool ipt_parse_save(const char *text, IptRuleset *out);

/* The complete state of a family (AF_INET, AF_INET6) for s. */
void ipt_expected(const IptState *s, int family, IptRuleset *out);

/* Whether the kernel's (have) is what we installed (want): our chains,
 * their rules (identity and counting chains as sets), and exactly one
 * jump to each hooked chain. *why gets the first difference. */
bool ipt_ruleset_matches(const IptRuleset *have, const IptRuleset *want, char **why);

/* restore --noflush text that turns have into want: our chains declared
 * (created or flushed), the stale ones and every jump to them removed,
 * then the jumps and rules of want. Empty if both are empty. */
void ipt_put_replace(GString *out, const IptRuleset *have, const IptRuleset *want);

/* ---- incremental changes, appended to per-table text -------------------------- */

typedef enum {
	IPT_OP_COUNT,               /* -m mark --mark value/value_mask -j RETURN */
	IPT_OP_CHAIN,               /* the chain created (add) or deleted */
	IPT_OP_GOTO,                /* -m mark --mark value/value_mask -g target */
	IPT_OP_IDENTITY,            /* -m mark --mark 0x0 -m owner|cgroup ... -j MARK
				     * --set-xmark value/value_mask */
	IPT_OP_SESSION_MARK,        /* -m mark --mark value/value_mask -j CONNMARK
				     * --set-xmark set/set_mask */
} IptOpType;

/* One per-session rule of mangle added or removed in-process
 * (ipt-iptc.c): an identity rule, a counting rule, a session's current
 * mark (with sock_marks). */
typedef struct {
	char *chain;                /* owned */
	bool add;
	unsigned int position;      /* add: 0 appends, else inserts there (from 1) */
	IptOpType type;
	NfcIdentityKind kind;
	uint32_t id;
	char *cgroup;               /* owned */
	char *target;               /* owned: IPT_OP_GOTO's chain */
	uint32_t value, value_mask;
	uint32_t set, set_mask;
} IptOp;

void ipt_ops_clear(GArray *ops);
/* A family's ops as the entries libiptc takes, built before a fork. */
typedef struct IptPrepared IptPrepared;
IptPrepared *ipt_iptc_prepare(int family, GArray *ops);
void ipt_iptc_prepared_free(IptPrepared *p);
/* Applies them to the family's mangle table in one commit (read, change,
 * commit; again if another writer came between). Calls only libiptc and
 * libc: safe in a child forked from the threaded daemon. 0 or a positive
 * errno value. */
int ipt_iptc_commit(const IptPrepared *p);

typedef struct {
	GString *table[IPT_N_TABLES];   /* lines without the *table / COMMIT */
	GArray *ops;                    /* IptOp: the per-session rules */
} IptBatch;

void ipt_batch_init(IptBatch *b);
void ipt_batch_clear(IptBatch *b);
bool ipt_batch_empty(const IptBatch *b);
/* The restore text for the tables with lines. */
char *ipt_batch_text(const IptBatch *b);

/* Both families get the same lines except where a family differs; the
 * callers keep one batch per family. Identity and counting rules go to
 * ops (applied in-process), everything else to restore text. */
void ipt_put_identity(IptBatch *b, const IptState *s, const IptIdentity *id, bool add);
void ipt_put_session_counter(IptBatch *b, const IptState *s, uint32_t bits, bool add);
/* With sock_marks: session bits → mark, NFCONN-SMAP's rule (add, or
 * remove the one with that mark). */
void ipt_put_session_mark(IptBatch *b, const IptState *s, uint32_t bits, uint32_t mark, bool add);
/* The nat chain rewritten from s (NAT entries, tether masquerade). */
void ipt_put_nat(IptBatch *b, const IptState *s, int family);
/* The filter chains from the tether state was_on to s's (created,
 * rewritten or removed), the nat chain with them. */
void ipt_put_tether(IptBatch *b, const IptState *s, int family, bool was_on);
/* The uplink set changed: the nat chain and the tether chains that name
 * uplinks rewritten; the per-client chains (their counters) kept. */
void ipt_put_tether_uplinks(IptBatch *b, const IptState *s, int family);

/* 'T' for a chain of the TX counting tree, 'R' for one of RX, else 0. */
char ipt_count_chain(const char *chain);
/* Session bits of a counting rule's spec, or false if it is not one. */
bool ipt_count_rule_session(const char *spec, uint32_t *bits);
/* The client address of a per-client rule's spec ("-s a/32 ..." in TXC,
 * "-d a/32 ..." in RXC, IPv4), or false. */
bool ipt_client_rule_address(const char *spec, uint32_t *addr);
