/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctnetlink: forget the connection-tracking entries that were source-NATed
 * (masqueraded) to an address, so that the next packet of each flow is
 * NATed anew to the uplink it now leaves by. Asynchronous on the main
 * loop, its own NETLINK_NETFILTER socket, in the caller's namespace. */
#pragma once

#include <stdint.h>

typedef struct NfcConntrack NfcConntrack;

typedef void (*NfcConntrackDoneFunc)(int error, unsigned int n_deleted, void *user_data);

/* 0 or negative errno. */
int nfc_conntrack_new(NfcConntrack **ct);
/* Pending requests are dropped without their callback. */
void nfc_conntrack_free(NfcConntrack *ct);

/* Delete every entry of family (AF_INET, AF_INET6) with IPS_SRC_NAT whose
 * reply direction goes to address (4 or 16 bytes): the flows masqueraded
 * to it. Requests run one after the other; done (may be NULL) is called
 * once with how many were deleted. Returns 0 when queued, else negative
 * errno (no callback). */
int nfc_conntrack_flush_nat_to(NfcConntrack *ct, int family, const void *address,
			       NfcConntrackDoneFunc done, void *user_data);

/* As nfc_conntrack_flush_nat_to, but only the entries whose original
 * source lies in src/src_len (of family; at most 32 or 128, else -EINVAL):
 * the flows of one subnet (a tether subnet), not the host's own nor
 * those of sessions steered on purpose to that address's uplink. */
int nfc_conntrack_flush_nat_to_from(NfcConntrack *ct, int family, const void *address,
				    const void *src, unsigned int src_len,
				    NfcConntrackDoneFunc done, void *user_data);

/* The socket, for tests (shrinking its buffer forces an overrun). */
int nfc_conntrack_fd(NfcConntrack *ct);
