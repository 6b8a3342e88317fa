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

/* The socket, for tests (shrinking its buffer forces an overrun). */
int nfc_conntrack_fd(NfcConntrack *ct);
