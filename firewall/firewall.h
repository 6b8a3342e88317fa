/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firewall backend interface of the policy engine: the one place the
 * core asks for packet marking by identity (uid, gid, cgroup v2), per-session
 * accounting and tethering NAT. A backend (nftables now, iptables later)
 * implements NfcFirewallOps; no backend type leaks through this header.
 *
 * Requests are asynchronous and executed one after the other: each returns
 * 0 when queued (its callback then runs exactly once, with 0 or a negative
 * errno) or a negative errno when it was refused at once (no callback).
 * The routing half of the policy engine (ip rules, tables) is not here: it
 * goes through src/rtnl. Source-address rules (SourceIPRule) are pure FIB
 * rules, so the firewall needs no hook for them. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the mark layout ---------------------------------------------------- */

/* The 32-bit packet mark is shared with other software: nfconn owns two
 * bit fields of it, a routing part (which routing class / uplink ladder)
 * and a session part (which session, for accounting). Each field is
 * `bits` wide starting at bit `shift`. */
typedef struct {
	unsigned int routing_bits, routing_shift;
	unsigned int session_bits, session_shift;
} NfcMarkLayout;

#define NFC_FIREWALL_ERROR (nfc_firewall_error_quark())
GQuark nfc_firewall_error_quark(void);
typedef enum {
	NFC_FIREWALL_ERROR_INVALID_LAYOUT,
	NFC_FIREWALL_ERROR_NO_BACKEND,
} NfcFirewallError;

/* Both fields non-empty, inside 32 bits, not overlapping. */
gboolean nfc_mark_layout_validate(const NfcMarkLayout *layout, GError **error);
uint32_t nfc_mark_layout_routing_mask(const NfcMarkLayout *layout);
uint32_t nfc_mark_layout_session_mask(const NfcMarkLayout *layout);
/* All of our bits: the routing and the session mask. */
uint32_t nfc_mark_layout_mask(const NfcMarkLayout *layout);
/* The largest routing / session value the layout can hold. */
uint32_t nfc_mark_layout_routing_max(const NfcMarkLayout *layout);
uint32_t nfc_mark_layout_session_max(const NfcMarkLayout *layout);
/* The mark for a routing value and a session value; false if either does
 * not fit its field. */
bool nfc_mark_compose(const NfcMarkLayout *layout, uint32_t routing, uint32_t session,
		      uint32_t *mark);
uint32_t nfc_mark_routing(const NfcMarkLayout *layout, uint32_t mark);
uint32_t nfc_mark_session(const NfcMarkLayout *layout, uint32_t mark);

/* ---- identities, counters, NAT --------------------------------------------- */

typedef enum {
	NFC_IDENTITY_UID,
	NFC_IDENTITY_GID,
	NFC_IDENTITY_CGROUP,   /* a cgroup v2 directory and everything below it */
} NfcIdentityKind;

typedef struct {
	NfcIdentityKind kind;
	uint32_t id;               /* uid or gid */
	const char *cgroup_path;   /* absolute path of a directory in a cgroup2 mount */
} NfcFirewallIdentity;

/* Resolves a cgroup v2 directory to the id the kernel matches sockets on
 * (its inode number) and its level (depth below the cgroup2 root: 1 for
 * a directory right under it). Negative errno. */
int nfc_cgroup_resolve(const char *path, uint64_t *cgroup_id, unsigned int *level);

/* Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup on a unified
 * system, /sys/fs/cgroup/unified on a hybrid one), from
 * /proc/self/mountinfo; /sys/fs/cgroup if none is. */
const char *nfc_cgroup2_mount(void);

typedef struct {
	uint32_t session;          /* session value (not shifted) */
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_packets, rx_bytes;
} NfcSessionCounters;

/* Masquerade IPv4 traffic from a tether subnet leaving through ifname. */
typedef struct {
	uint32_t subnet;           /* network byte order */
	uint8_t prefixlen;
	char ifname[16];
} NfcFirewallNat;

/* Tethering: the bridge's clients share the uplinks. With a tether set the
 * backend keeps, beside the session state:
 *   - masquerade of the tether subnets (IPv4, and IPv6 when prefixlen6 > 0)
 *     out of every interface in the uplink set (uplinks_set), so that a
 *     failover needs no rule change;
 *   - forward accepts for bridge -> uplink and for uplink -> bridge of
 *     established/related flows; anything else forwarded from or to the
 *     bridge is dropped (tethered traffic never leaves by another
 *     interface); traffic that does not touch the bridge is not looked at;
 *   - per-client counters keyed by the client's address (IPv4 and IPv6),
 *     TX = forwarded from the client to an uplink, RX = forwarded to it.
 * Tethered packets are never marked (their ct mark stays 0). */
typedef struct {
	char bridge[16];           /* "tether" */
	uint32_t subnet4;          /* network byte order */
	uint8_t prefixlen4;        /* 0: no IPv4 */
	uint8_t subnet6[16];
	uint8_t prefixlen6;        /* 0: no IPv6 */
} NfcFirewallTether;

typedef struct {
	int family;                /* AF_INET or AF_INET6 */
	uint8_t address[16];       /* 4 or 16 bytes used */
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_packets, rx_bytes;
} NfcTetherCounters;

typedef void (*NfcFirewallDoneFunc)(int error, void *user_data);
typedef void (*NfcFirewallCountersFunc)(int error, const NfcSessionCounters *counters,
					size_t n_counters, void *user_data);

typedef void (*NfcFirewallTetherCountersFunc)(int error, const NfcTetherCounters *counters,
					      size_t n_counters, void *user_data);

typedef enum {
	/* Our state was changed or removed from outside and has been
	 * reinstalled (error 0), or reinstalling it failed. Counters restart
	 * from zero after a repair. */
	NFC_FIREWALL_EVENT_REPAIRED,
} NfcFirewallEvent;
typedef void (*NfcFirewallEventFunc)(NfcFirewallEvent event, int error, void *user_data);

typedef struct {
	NfcMarkLayout layout;
	/* Without the owner flag the kernel does not protect the table from
	 * other processes; the tamper watch repairs it instead. The backend
	 * goes this way by itself where the kernel cannot keep an owned table
	 * after a crash (no NFT_TABLE_F_PERSIST); tests of the tamper repair
	 * ask for it. Either way the table outlives a crash and goes with an
	 * orderly stop. */
	bool no_owner;
	/* New sockets may carry our mark from their creation (the eBPF fast
	 * path, firewall/sockmark.h): the chain saves it to ct mark, moves
	 * those of a session that changed class, and masquerades only what
	 * leaves with a source address not on the outgoing interface. */
	bool sock_marks;
	/* With sock_marks: packets of a socket that carries its session's
	 * current mark bypass conntrack (notrack in raw-priority chains) and
	 * are counted by that mark, TX on output and RX by the receiving
	 * socket's mark on input (nft backend, firewall/nft-ruleset.c). */
	bool sock_notrack;
	/* Seconds between two checks of our state by a backend the kernel
	 * tells nothing of changes (iptables); 0: no periodic check. */
	unsigned int check_interval;
	/* Nothing of ours in the kernel while nothing asks for it: no
	 * identity, NAT entry or tether. init then only removes what an
	 * earlier run left; the first of them installs the base state (in
	 * its own transaction, before the change itself), the last one
	 * going removes it all 3 s later (unless another comes meanwhile).
	 * Idle, no packet meets a hook of ours and nothing makes the kernel
	 * track connections for us; counter reads find nothing. */
	bool idle_empty;
} NfcFirewallConfig;

/* ---- the backend interface --------------------------------------------------- */

/* A call of the interface below, as a backend gets it (firewall/request.h). */
typedef struct NfcFirewallRequest NfcFirewallRequest;

typedef struct {
	const char *name;
	/* The size of the backend's request: an NfcFirewallRequest, then the
	 * backend's own fields. */
	size_t request_size;
	/* Opens what the backend needs (sockets in the current network
	 * namespace). 0 or negative errno; *priv gets the backend's state. */
	int (*create)(const NfcFirewallConfig *config, void **priv);
	/* Drops pending requests without calling them back. */
	void (*destroy)(void *priv);
	/* Fills in the backend's part of an identity request (REQ_ID_ADD with
	 * the mark, REQ_ID_DEL): what must exist at add time (a cgroup
	 * directory) is resolved now, while a removal goes by the identity's
	 * key even after it is gone. Negative errno refuses the request. */
	int (*identity_prepare)(NfcFirewallRequest *req, const NfcFirewallIdentity *identity,
				uint32_t mark);
	/* Takes a checked request into the backend's queue (the semantics of
	 * each type are those of the nfc_firewall_* calls below). 0 when
	 * queued: its callback then runs exactly once; a negative errno when
	 * refused: the request stays the caller's to free. */
	int (*submit)(void *priv, NfcFirewallRequest *req);
	/* Frees a request that never ran (the backend's part, then the common
	 * one). */
	void (*request_free)(NfcFirewallRequest *req);
	void (*set_event_func)(void *priv, NfcFirewallEventFunc func, void *user_data);
} NfcFirewallOps;

extern const NfcFirewallOps nfc_firewall_nft_ops;
/* Legacy xtables (ip_tables, ip6_tables) through iptables-legacy-restore
 * batches: chains NFCONN-* of ours, one jump to each from a built-in
 * chain, for kernels without nf_tables. */
extern const NfcFirewallOps nfc_firewall_ipt_ops;

/* ---- choosing a backend --------------------------------------------------------- */

/* main.conf FirewallBackend=, in that order (auto, nftables, iptables) */
typedef enum {
	NFC_FIREWALL_CHOICE_AUTO,
	NFC_FIREWALL_CHOICE_NFTABLES,
	NFC_FIREWALL_CHOICE_IPTABLES,
} NfcFirewallChoice;

/* Can the backend work in the current network namespace? Each asks the
 * kernel for real, waiting for the answer (at start only): nftables
 * creates and deletes a scratch table; iptables lists the legacy mangle,
 * nat and filter tables of IPv4 with iptables-legacy-save. 0 or negative
 * errno; *why (may be NULL) gets a sentence for the log. */
int nfc_firewall_probe_nftables(char **why);
int nfc_firewall_probe_iptables(char **why);

/* What an earlier run left in the backend not in use now (a crash or a
 * stop cut short, then a restart with the other backend): the nftables
 * table, or the NFCONN-* chains and their jumps. Waits (at start only);
 * only what exists is touched (no iptables table is instantiated). */
void nfc_firewall_nft_remove_leftovers(void);
void nfc_firewall_ipt_remove_leftovers(void);

/* The ops for a choice. auto takes nftables when its probe passes, else
 * iptables (one log line saying why); a chosen backend whose probe fails,
 * or auto with neither, is an error saying why. */
const NfcFirewallOps *nfc_firewall_choose(NfcFirewallChoice choice, GError **error);

typedef struct NfcFirewall NfcFirewall;

/* Validates the layout, then creates the backend in the caller's network
 * namespace. Negative errno (-EINVAL for a bad layout). */
int nfc_firewall_new(const NfcFirewallOps *ops, const NfcFirewallConfig *config,
		     NfcFirewall **firewall);
void nfc_firewall_free(NfcFirewall *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcFirewall, nfc_firewall_free)

const char *nfc_firewall_backend_name(NfcFirewall *fw);
const NfcMarkLayout *nfc_firewall_layout(NfcFirewall *fw);
void nfc_firewall_set_event_func(NfcFirewall *fw, NfcFirewallEventFunc func, void *user_data);
/* Install the complete base state in one transaction, replacing any state
 * of ours already there (with the identities and NAT entries known); with
 * idle_empty and nothing to install, remove what is there. */
int nfc_firewall_init(NfcFirewall *fw, NfcFirewallDoneFunc done, void *user_data);
/* Remove everything of ours. */
int nfc_firewall_cleanup(NfcFirewall *fw, NfcFirewallDoneFunc done, void *user_data);
/* Traffic of sockets matching the identity gets the mark (our bits only;
 * its session part names the session for accounting). Adding a known
 * identity with another mark moves it. */
int nfc_firewall_identity_add(NfcFirewall *fw, const NfcFirewallIdentity *identity, uint32_t mark,
			      NfcFirewallDoneFunc done, void *user_data);
int nfc_firewall_identity_remove(NfcFirewall *fw, const NfcFirewallIdentity *identity,
				 NfcFirewallDoneFunc done, void *user_data);
/* Per-session packets and bytes, both directions, in one read. */
int nfc_firewall_counters_read(NfcFirewall *fw, NfcFirewallCountersFunc done, void *user_data);
int nfc_firewall_nat_add(NfcFirewall *fw, const NfcFirewallNat *nat,
			 NfcFirewallDoneFunc done, void *user_data);
int nfc_firewall_nat_remove(NfcFirewall *fw, const NfcFirewallNat *nat,
			    NfcFirewallDoneFunc done, void *user_data);
/* The interfaces of the uplinks (connected services), replacing the last
 * set; NULL-terminated, may be empty. Kept across tether_set. */
int nfc_firewall_uplinks_set(NfcFirewall *fw, const char *const *ifnames,
			     NfcFirewallDoneFunc done, void *user_data);
/* Install (or replace) the tether state; NULL removes it. */
int nfc_firewall_tether_set(NfcFirewall *fw, const NfcFirewallTether *tether,
			    NfcFirewallDoneFunc done, void *user_data);
/* Every tether client seen since tether_set, in one read. */
int nfc_firewall_tether_counters_read(NfcFirewall *fw, NfcFirewallTetherCountersFunc done,
				      void *user_data);
