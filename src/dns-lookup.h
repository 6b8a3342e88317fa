/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One host name to one address, asked of nameservers the caller names and
 * sent out of one interface: the online check resolves through each
 * service's own nameservers, never through the host's resolver
 * (/etc/resolv.conf, nsswitch, GResolver). c-ares speaks DNS; its sockets
 * and timers run on the GLib main loop. */
#pragma once

#include <gio/gio.h>

typedef struct NfcDnsLookup NfcDnsLookup;

/* Called exactly once unless the lookup is cancelled first, never from
 * within nfc_dns_lookup_start(): address is the first A (AF_INET) or AAAA
 * (AF_INET6) record of the answer, or NULL with error set. The lookup is
 * gone when this runs: do not cancel it. */
typedef void (*NfcDnsLookupFunc)(GInetAddress *address, const GError *error, void *user_data);

/* Bounded: each nameserver is tried for timeout_ms, then once more for
 * twice that, one after the other (c-ares's retry rounds), then the lookup
 * fails with G_IO_ERROR_TIMED_OUT. No search domains, no /etc/hosts: host
 * is asked as it is. ifname NULL: any interface. Fails at once (false) if
 * no nameserver in the list is an address. */
gboolean nfc_dns_lookup_start(const char *host, int family, const char *const *nameservers,
			      const char *ifname, unsigned int timeout_ms, NfcDnsLookupFunc func,
			      void *user_data, NfcDnsLookup **lookup, GError **error);
void nfc_dns_lookup_cancel(NfcDnsLookup *lookup);
