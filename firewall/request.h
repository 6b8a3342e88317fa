/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a call of firewall.h becomes for a backend: one request type, built
 * and checked in firewall.c, that each backend queues and runs its own way
 * (NfcFirewallOps.submit). A backend's request starts with it and adds
 * what the backend keeps while the request is in flight. For the backends
 * only: the core never sees a request. */
#pragma once

#include "firewall.h"

typedef enum {
	REQ_FULL,       /* init: the complete base state; or a repair */
	REQ_CLEANUP,    /* remove everything of ours */
	REQ_CHECK,      /* is our state still there? (a backend's own) */
	REQ_COUNTERS,
	REQ_TETHER_COUNTERS,
	/* the incremental changes (the iptables backend coalesces them) */
	REQ_ID_ADD,
	REQ_ID_DEL,
	REQ_NAT_ADD,
	REQ_NAT_DEL,
	REQ_UPLINKS,
	REQ_TETHER,
} NfcFirewallRequestType;

struct NfcFirewallRequest {
	NfcFirewallRequestType type;
	bool repair;              /* REQ_FULL: raise REPAIRED when done */
	char *id_key;             /* REQ_ID_*: "u:<uid>", "g:<gid>" or "c:<path>" */
	NfcFirewallNat nat;       /* REQ_NAT_* */
	char **uplinks;           /* REQ_UPLINKS */
	bool tether_on;           /* REQ_TETHER: false removes it */
	NfcFirewallTether tether;
	/* exactly one of them is called, by type, when the request is done */
	NfcFirewallDoneFunc done;
	NfcFirewallCountersFunc counters_done;
	NfcFirewallTetherCountersFunc tether_counters_done;
	void *user_data;
};

/* A zeroed request of size bytes (the backend's type, which starts with an
 * NfcFirewallRequest). */
NfcFirewallRequest *nfc_firewall_request_new(size_t size, NfcFirewallRequestType type,
					     NfcFirewallDoneFunc done, void *user_data);
/* Frees what the common part owns (not the request itself). */
void nfc_firewall_request_clear(NfcFirewallRequest *req);
