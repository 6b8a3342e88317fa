/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the parts of tethering: src/tethering.c brings the shared part
 * up and down, src/tethering-host.c knows the host's networks and its
 * forwarding settings, src/tethering-clients.c keeps the list of clients
 * (the dnsmasq leases merged with the bridge's neighbour table, keyed by
 * MAC) and their counters. */
#pragma once

#include <glib.h>

#include "dnsmasq.h"
#include "firewall.h"
#include "ippool.h"

/* Clients are tracked from start to stop: the neighbour monitor is on and
 * the bridge's table is dumped once at start. */
void nfc_tether_clients_start(int bridge_index);
/* Every client leaves (told through nfc_tether_clients_notify). */
void nfc_tether_clients_stop(void);
/* The leases now (NULL: none); the array is the caller's. */
void nfc_tether_clients_set_leases(const GArray *leases);
GPtrArray *nfc_tether_clients_get(void);
void nfc_tether_clients_read_counters(void (*done)(const GError *error, void *user_data),
				      void *user_data);

/* src/tethering-host.c: the host's IPv4 addresses and routes, and the
 * forwarding sysctls (recorded, restored). init restores what a crash
 * left; changed is called when an address or route came or went. */
void nfc_tether_host_init(const char *run_dir, void (*changed)(void));
void nfc_tether_host_cleanup(void);
/* The bridge's own addresses and routes overlap nothing. */
void nfc_tether_host_set_bridge(int ifindex);
/* What p overlaps ("198.51.100.0/25 on eth0"), or NULL. */
char *nfc_tether_host_conflict(NfcIpv4Prefix p);
/* A free /24 of the pool after `after` (nfc_ippool_pick). */
bool nfc_tether_host_pick(NfcIpv4Prefix after, NfcIpv4Prefix *picked);
/* IPv4 forwarding and IPv6 force_forwarding of ifname on, the old values
 * recorded first; off puts them back. 0 or -errno. */
int nfc_tether_forwarding_on(const char *ifname);
void nfc_tether_forwarding_off(const char *ifname);
void nfc_tether_forwarding_all_off(void);

/* Implemented by tethering.c: the firewall given by main.c (-ENOSYS
 * without one), and telling the watchers. */
int fw_tether_set(const NfcFirewallTether *tether, void (*done)(int error, void *user_data),
		  void *user_data);
int fw_counters_read(NfcFirewallTetherCountersFunc done, void *user_data);
void nfc_tether_clients_notify(const char *const *added, const char *const *removed);
