/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the two halves of tethering: src/tethering.c brings the shared
 * part up and down, src/tethering-clients.c keeps the list of clients (the
 * dnsmasq leases merged with the bridge's neighbour table, keyed by MAC)
 * and their counters. */
#pragma once

#include <glib.h>

#include "dnsmasq.h"
#include "firewall.h"

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

/* Implemented by tethering.c: the firewall given by main.c (-ENOSYS
 * without one), and telling the watchers. */
int fw_tether_set(const NfcFirewallTether *tether, void (*done)(int error, void *user_data),
		  void *user_data);
int fw_counters_read(NfcFirewallTetherCountersFunc done, void *user_data);
void nfc_tether_clients_notify(const char *const *added, const char *const *removed);
