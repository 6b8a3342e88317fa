/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The steering engine: turns sessions into kernel state. Per uplink a
 * routing table; per routing class (sessions allowing the same ordered
 * uplinks) a short ladder of ip rules ending in unreachable; per steered
 * identity one element in the firewall's maps. Nothing here grows with
 * the number of sessions but the map elements. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "session.h"

/* Clean leftovers of ours, then install the base state. 0 or -errno. */
int nfc_engine_init(void);
/* Remove everything of ours (SIGTERM). */
void nfc_engine_cleanup(void);

/* For explain and statistics. */
typedef struct {
	bool steered;
	uint32_t mark;            /* full fwmark (our bits), 0 if not steered */
	uint32_t routing_class;   /* 0 if not steered */
	uint32_t table;           /* table of the uplink traffic takes now, 0 = main */
	/* whose sockets: "uid 1000", "gid 100", "cgroup /x"; NULL if none.
	 * Valid until the session changes. */
	const char *identity;
	bool identity_own;        /* the creator's own identity (no policy) */
	bool identity_owner;      /* this session's mark is the one installed */
	/* The shared identity the session is a member of ("gid 100", or a
	 * cgroup that is not its creator's private one), NULL if none: its
	 * sockets follow the policy's settings alone, in shared_class, with
	 * no session part in shared_mark (counted for no session). */
	const char *shared_identity;
	uint32_t shared_mark;
	uint32_t shared_class;
} NfcEngineInfo;
void nfc_engine_session_info(NfcSession *s, NfcEngineInfo *info);

typedef struct {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
} NfcSessionTraffic;
typedef void (*NfcEngineCountersFunc)(int error, void *user_data);
typedef void (*NfcEngineUplinkTrafficFunc)(const char *service, const NfcSessionTraffic *traffic,
					   void *user_data);
/* Refresh the counters of every session (one dump). */
int nfc_engine_read_counters(NfcEngineCountersFunc done, void *user_data);
/* The firewall backend's name ("nftables", "iptables"), NULL before init. */
const char *nfc_engine_firewall_backend(void);
/* Counters of a session as of the last read; per_uplink (may be NULL) is
 * called for each uplink it used, with what it sent and received there. */
void nfc_engine_session_traffic(NfcSession *s, NfcSessionTraffic *total,
				NfcEngineUplinkTrafficFunc per_uplink, void *user_data);

/* How long session changes took to reach the kernel (session event →
 * ack of the map element), over the last few thousand of each kind. */
typedef struct {
	uint64_t total;           /* changes ever measured */
	uint32_t samples;         /* in the figures below */
	uint32_t p50_us, p99_us, max_us;
} NfcApplyTimes;
void nfc_engine_apply_times(NfcApplyTimes *added, NfcApplyTimes *removed, bool reset);

/* The uplinks (service identifiers) a steered session may use, best first. */
char **nfc_engine_session_ladder(NfcSession *s);
/* ... and those of its shared identity (empty if it has none). */
char **nfc_engine_session_shared_ladder(NfcSession *s);

/* ---- tethering ---------------------------------------------------------------
 * The engine owns the firewall: the tethering core asks it here. The engine
 * keeps the firewall's uplink set in step with the connected services by
 * itself, and when an uplink goes away (disconnected, carrier lost, address
 * gone) it drops the conntrack entries masqueraded to that uplink's
 * addresses (tethered and session flows alike), so their next packets are
 * NATed to the uplink they now leave by. */
#include "firewall.h"

/* NULL removes the tether state. done (may be NULL) once, 0 or -errno;
 * before the firewall is ready the request waits for it (and fails with
 * the firewall's error if its install fails). -ENOTCONN before
 * nfc_engine_init; at nfc_engine_cleanup requests still pending are
 * dropped without their callback, as the firewall's own are. */
int nfc_engine_tether_set(const NfcFirewallTether *tether, void (*done)(int error, void *user_data),
			  void *user_data);
/* -ENOTCONN until the firewall is ready. */
int nfc_engine_tether_counters_read(NfcFirewallTetherCountersFunc done, void *user_data);
