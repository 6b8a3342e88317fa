// SPDX-License-Identifier: GPL-2.0-or-later
/* The lease file: dnsmasq writes it and nfconnd reads it, so whatever is
 * in it (a client's hostname, a file cut short mid-write, a file someone
 * else put there) goes through the parser. Every lease that comes out
 * must be well formed. */
#include <string.h>

#include <glib.h>

#include "dnsmasq.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GArray *leases = nfc_dnsmasq_leases_parse((const char *)data, size);

	for (guint i = 0; i < leases->len; i++) {
		const NfcDnsmasqLease *l = &g_array_index(leases, NfcDnsmasqLease, i);

		if (strnlen(l->mac, sizeof(l->mac)) != 17 ||
		    strnlen(l->address, sizeof(l->address)) == sizeof(l->address) ||
		    strnlen(l->hostname, sizeof(l->hostname)) == sizeof(l->hostname) ||
		    l->expiry < 0)
			__builtin_trap();
	}
	g_array_unref(leases);
	return 0;
}
