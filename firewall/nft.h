/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the nftables backend, shared by its files:
 * nft-batch.c (growing nfnetlink batches), nft-ruleset.c (what our table
 * contains, as batch messages) and nft-backend.c (sockets, the request
 * queue, the tamper watch). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "firewall.h"

#define NFT_TABLE_NAME "nfconn"

/* Linux 6.9: an owned table outlives its owner's socket (orphaned, no
 * longer protected) until a new owner adopts or deletes it. Debian 12's
 * headers predate it. */
#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

/* ---- batches -------------------------------------------------------------- */

typedef struct {
	GByteArray *buf;
	size_t used;
	uint32_t first_seq;   /* of the BATCH_BEGIN */
	uint32_t next_seq;
	unsigned int n_msgs;  /* messages between BEGIN and END, each acked */
} NftBatch;

void nft_batch_init(NftBatch *b, uint32_t first_seq);
void nft_batch_clear(NftBatch *b);
/* Starts a message of `type` (NFT_MSG_*) with room for `room` bytes of
 * payload; the returned header is valid until the next call. */
struct nlmsghdr *nft_batch_msg(NftBatch *b, uint16_t type, uint16_t flags, size_t room);
/* Accounts the message built at nlh (after its payload was written). */
void nft_batch_close(NftBatch *b, struct nlmsghdr *nlh);
void nft_batch_finish(NftBatch *b);

/* ---- our state --------------------------------------------------------------- */

/* A "slot" is one identity lookup: uid, gid, or cgroup v2 at level L.
 * Each slot in use has a map and a rule in the output chain. */
#define NFT_SLOT_UID 0
#define NFT_SLOT_GID 1
#define NFT_SLOT_CGROUP(level) (2 + (level))
#define NFT_MAX_CGROUP_LEVEL 255
#define NFT_N_SLOTS (NFT_SLOT_CGROUP(NFT_MAX_CGROUP_LEVEL) + 1)

typedef struct {
	unsigned int slot;
	uint64_t key;         /* uid, gid or cgroup id */
	uint32_t mark;
} NftIdentity;

typedef struct {
	uint32_t ours;        /* all of our mark bits */
	uint32_t session_mask;
	bool owner;
	bool persist;         /* with owner: the table outlives a crash */
	GHashTable *identities;   /* "u:1000" / "g:100" / "c:/path" → NftIdentity */
	GHashTable *sessions;     /* session bits (masked) → number of identities */
	GArray *nats;             /* NfcFirewallNat */
	char **uplinks;           /* NULL-terminated: the uplink interfaces */
	bool tether_on;           /* tether holds the tether state */
	NfcFirewallTether tether;
	uint8_t installed[NFT_N_SLOTS]; /* slot has its map and rule in the kernel */
	bool sock_marks;          /* NfcFirewallConfig.sock_marks */
	bool sock_notrack;        /* with sock_marks: NfcFirewallConfig.sock_notrack */
	GHashTable *session_marks; /* session bits → the mark of its identities */
} NftState;

/* The complete state in one transaction: creates the table if missing,
 * deletes it (dropping whatever is in it) and creates it anew, so it
 * works from any starting point. slots (NFT_N_SLOTS) gets the slots it
 * installs. */
void nft_put_full_install(NftBatch *b, const NftState *s, uint8_t *slots);
/* Removes the table whether or not it exists (create, then delete). */
void nft_put_table_remove(NftBatch *b, const NftState *s);
/* Creates and deletes a scratch table with flags: does the kernel know
 * them? Its NEWTABLE is the batch's first message. */
void nft_put_flags_probe(NftBatch *b, uint32_t flags);
/* Creates and deletes a scratch table with flags on a socket of its own,
 * waiting for the answer (nft-backend.c): 0, or the kernel's error. */
int nft_probe_flags(uint32_t flags);
/* Whether adding id needs its slot installed first. */
bool nft_slot_missing(const NftState *s, unsigned int slot);
/* Installs a slot: its map, and the output chain rewritten with its rule
 * in place (slots are few: this never depends on the number of sessions). */
void nft_put_slot_install(NftBatch *b, const NftState *s, unsigned int slot);
void nft_put_identity_elem(NftBatch *b, const NftIdentity *id, bool add);
void nft_put_session_counters(NftBatch *b, uint32_t session_bits, bool add);
/* With sock_marks: the session's element of the moved-session map (its
 * mark now; delete: the mark it had), and with sock_notrack the mark's
 * element of the set of current marks. */
void nft_put_session_mark(NftBatch *b, const NftState *s, uint32_t session_bits, uint32_t mark,
			  bool add);
/* The NAT chain rewritten with s->nats (a handful of tether subnets). */
void nft_put_nat_rules(NftBatch *b, const NftState *s);

/* The uplink set's elements replaced by s->uplinks. */
void nft_put_uplinks(NftBatch *b, const NftState *s);
/* From the tether state was_on (true: there was one) to s's: the
 * forward chains and client sets created, rewritten or deleted, the NAT
 * chain rewritten, the client counters restarted. */
void nft_put_tether(NftBatch *b, const NftState *s, bool was_on);

#define NFT_SET_COUNTERS "session_counters"
#define NFT_SET_UPLINKS "uplinks"
#define NFT_SET_SESSION_MARKS "session_marks"
/* with sock_notrack: the marks session_marks maps to */
#define NFT_SET_CURRENT_MARKS "current_marks"
/* (client address . direction) → counter, filled by the packet path */
#define NFT_SET_TETHER4 "tether_clients4"
#define NFT_SET_TETHER6 "tether_clients6"
#define NFT_TETHER_TX 0
#define NFT_TETHER_RX 1
