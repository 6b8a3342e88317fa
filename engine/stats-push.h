/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pushing net.nfconn.SessionStats.Stats to session owners, bounded: at most
 * NFC_STATS_PUSH_PER_CLIENT signals per client and NFC_STATS_PUSH_TOTAL in
 * all per second, sent in quarter-second slices (sessions past that wait
 * their turn, least recently pushed first), and nothing more to a client
 * until it has answered a Peer.Ping sent after its last signals: a client
 * that does not read gets no more than one slice queued at the bus. */
#pragma once

#include <gio/gio.h>

#include "session.h"

#define NFC_STATS_PUSH_PER_CLIENT 256
#define NFC_STATS_PUSH_TOTAL 4096

/* The Stats body (a{sv}) of a session, built when it is pushed. */
typedef GVariant *(*NfcStatsBuildFunc)(NfcSession *s);

void nfc_stats_push_init(GDBusConnection *bus, NfcStatsBuildFunc build);
void nfc_stats_push_cleanup(void);
/* Push s's Stats to its owner every seconds (0: stop). */
void nfc_stats_push_set_period(NfcSession *s, guint seconds);
