/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One IPv6 router solicitation out of an interface, for when the kernel
 * would not send one itself: it solicits only after its link-local address
 * passes DAD (link up, IPv6 enabled), not when the carrier comes back or
 * when autoconfiguration is switched on over addresses it keeps. The
 * kernel takes the routers' answer as any advertisement (accept_ra). */
#pragma once

/* 0 or -errno. */
int nfc_router_solicit(const char *ifname, int ifindex);
