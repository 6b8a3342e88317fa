/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tethering: the shared part every tethering technology joins. The first
 * technology to enable it brings up, in order, each step rolled back if a
 * later one fails:
 *   1. the bridge "tether" (forward delay 0);
 *   2. its IPv4 subnet (TetheringSubnet, else a free /24 of the pool that
 *      overlaps no address or route of the host) and its ULA /64 (from a
 *      random persisted in <state>/tethering), addresses on the bridge, the
 *      bridge an IPv6 router (conf/tether/forwarding, no DAD), up;
 *   3. forwarding on the bridge and the uplinks, per interface (IPv4
 *      conf/<if>/forwarding, IPv6 conf/<if>/force_forwarding), the old
 *      values recorded in <run>/tether-state first and restored on disable
 *      (and at the next start after a crash);
 *   4. the firewall's tether state (NAT out of any uplink, forward rules,
 *      per-client counters) through the engine;
 *   5. dnsmasq on the bridge (DHCPv4, DNS forwarding to the uplinks'
 *      nameservers, router advertisements), ready.
 * Only then is the enable done; the technology's driver then lends its
 * ports. The last one to leave takes it all down in reverse order. A
 * bridge "tether", a dnsmasq and sysctls left by a crash are cleaned at
 * init. */
#pragma once

#include <gio/gio.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "firewall.h"

#define NFC_TETHER_BRIDGE "tether"

#define NFC_TETHERING_ERROR (nfc_tethering_error_quark())
GQuark nfc_tethering_error_quark(void);
typedef enum {
	NFC_TETHERING_ERROR_FAILED,          /* a step failed: the message says which and why */
	NFC_TETHERING_ERROR_NOT_SUPPORTED,   /* no bridge support, no dnsmasq */
	NFC_TETHERING_ERROR_NO_PORTS,        /* the driver has no port to lend */
	NFC_TETHERING_ERROR_SUBNET_CONFLICT, /* TetheringSubnet overlaps the host's networks */
	NFC_TETHERING_ERROR_NO_SUBNET,       /* the pool has no free /24 */
	NFC_TETHERING_ERROR_CANCELLED,       /* released (or shut down) before it was up */
} NfcTetheringError;

/* error is NULL on success. */
typedef void (*NfcTetheringDoneFunc)(const GError *error, void *user_data);

/* The firewall side: the engine's nfc_engine_tether_set and
 * nfc_engine_tether_counters_read, handed over by main.c (the core library
 * does not link the engine). Without it the firewall step fails. */
typedef struct {
	int (*tether_set)(const NfcFirewallTether *tether, void (*done)(int error, void *user_data),
			  void *user_data);
	int (*counters_read)(NfcFirewallTetherCountersFunc done, void *user_data);
} NfcTetheringFirewall;
void nfc_tethering_set_firewall(const NfcTetheringFirewall *firewall);

/* Cleans what a crashed nfconnd left (bridge, dnsmasq, sysctls) and
 * watches uplinks. run_dir and state_dir are the daemon's. */
void nfc_tethering_init(const char *run_dir, const char *state_dir);
/* Shutdown: everything down (bridge deleted, dnsmasq stopped, sysctls
 * restored, firewall tether state removed with the rest of the engine). */
void nfc_tethering_cleanup(void);

/* Take a reference on the shared part; done is called once (also for a
 * second user, at once if it is up), always from the main loop; a
 * failure is answered once what was done is undone. Returns an id for
 * nfc_tethering_cancel, > 0. */
unsigned int nfc_tethering_acquire(NfcTetheringDoneFunc done, void *user_data);
/* Forget a pending acquire's callback and drop its reference. */
void nfc_tethering_cancel(unsigned int id);
/* Drop a reference taken by a successful acquire; the last takes it down. */
void nfc_tethering_release(void);
/* The same, and done(NULL) once what it took down is gone (the firewall's
 * tether state removed, dnsmasq exited; the bridge is deleted at once);
 * from the main loop, also when others still hold a reference. */
void nfc_tethering_release_then(NfcTetheringDoneFunc done, void *user_data);

bool nfc_tethering_is_up(void);
/* The bridge's ifindex while up, else 0. */
int nfc_tethering_bridge_index(void);

typedef struct {
	bool up;
	char bridge[16];
	char subnet4[20];          /* "192.168.0.0/24" ("" when down) */
	char address4[16];         /* the bridge's, "192.168.0.1" */
	char prefix6[48];          /* "fd12:3456:789a::/64", "" when none */
	char **servers;            /* upstream nameservers handed to dnsmasq (owned by the module) */
} NfcTetheringStatus;
/* Valid until the next change (a watcher's status_changed). */
const NfcTetheringStatus *nfc_tethering_get_status(void);

typedef struct {
	char mac[18];              /* "02:00:00:00:00:01" lower case */
	char *hostname;            /* from the lease, NULL if none */
	char **addresses;          /* IPv4 and IPv6, from leases and neighbours */
	uint64_t tx_packets, tx_bytes;  /* from the client, forwarded to uplinks */
	uint64_t rx_packets, rx_bytes;  /* forwarded to the client */
} NfcTetheringClient;

/* Clients: a MAC that holds a lease or a reachable neighbour entry on the
 * bridge. Array of NfcTetheringClient*, owned by the module, valid until
 * the next change. Counters as of the last nfc_tethering_read_counters. */
GPtrArray *nfc_tethering_get_clients(void);
/* Refresh the counters from the firewall; done(NULL) when they are in. */
void nfc_tethering_read_counters(NfcTetheringDoneFunc done, void *user_data);

typedef struct {
	/* MACs that appeared and left (NULL-terminated, valid for the call) */
	void (*clients_changed)(const char *const *added, const char *const *removed,
				void *user_data);
	/* up/down, the subnet moved (a collision: reason says with what),
	 * servers changed; reason NULL unless the subnet moved */
	void (*status_changed)(const char *reason, void *user_data);
} NfcTetheringWatch;
unsigned int nfc_tethering_watch_add(const NfcTetheringWatch *watch, void *user_data);
void nfc_tethering_watch_remove(unsigned int id);
