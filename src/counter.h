/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ConnMan Counter API: clients register an object implementing
 * net.connman.Counter (Manager.RegisterCounter) and are called with
 * Usage(service, home, roaming) every period for every connected service,
 * from the kernel's 64-bit link counters read fresh each time, less what
 * they were at the service's last ResetCounters. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

/* At most this many counters per client (bus connection): a client cannot
 * make the daemon poll and call without bound. */
#define NFC_COUNTER_MAX_PER_CLIENT 16

/* The values of one Usage dictionary, in the order of their keys:
 * RX.Packets, TX.Packets, RX.Bytes, TX.Bytes, RX.Errors, TX.Errors,
 * RX.Dropped, TX.Dropped, Time. */
enum { NFC_COUNTER_KEYS = 9 };
typedef struct {
	uint64_t v[NFC_COUNTER_KEYS];
} NfcCounterValues;

/* The key of value i ("RX.Bytes"). */
const char *nfc_counter_key(unsigned int i);

/* One Usage dictionary (a{sv}, floating): with last NULL every key, else
 * only those that differ from last. A value that fits in 32 bits is a
 * 'u' as ConnMan sends it; a larger one is a 't' instead of wrapping. */
GVariant *nfc_counter_usage_dict(const NfcCounterValues *now, const NfcCounterValues *last);

void nfc_counter_init(GDBusConnection *bus);
/* Release() to every registered counter, then forget them all. */
void nfc_counter_cleanup(void);

/* For Manager.RegisterCounter/UnregisterCounter of sender: 0, or -EINVAL
 * (period 0), -EEXIST (sender has that path already), -EUSERS (sender has
 * NFC_COUNTER_MAX_PER_CLIENT); -ESRCH (nobody has it), -EPERM (another
 * client has it). */
int nfc_counter_register(const char *sender, const char *path, guint accuracy, guint period);
int nfc_counter_unregister(const char *sender, const char *path);

/* Service.ResetCounters: from the next link dump (started at once) on, the
 * service's values count from zero for every counter. */
void nfc_counter_reset_service(const char *identifier);
