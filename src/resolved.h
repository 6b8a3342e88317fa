/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mDNS hand-off to systemd-resolved. nfconnd has no mDNS responder of
 * its own: where org.freedesktop.resolve1 runs on our bus, a service's
 * mDNS.Configuration becomes its link's MulticastDNS setting there
 * (SetLinkMulticastDNS), and the mDNS property reports what resolved then
 * says the link has. Where it does not run, there is no mDNS. Stored
 * wishes are handed over again when a service appears and when resolved
 * (re)starts. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

/* changed(ifindex) when what resolved reports for a link may have changed
 * (also when resolved comes or goes). */
void nfc_resolved_init(GDBusConnection *conn, void (*changed)(int ifindex));
void nfc_resolved_cleanup(void);

/* Whether org.freedesktop.resolve1 has an owner now. */
bool nfc_resolved_available(void);

/* Hands MulticastDNS yes/no for ifindex over to resolved and reads back
 * what the link then has. done (may be NULL) is called exactly once, later,
 * with NULL or the error (resolved not running, refused, link unknown). */
typedef void (*NfcResolvedDone)(const GError *error, void *user_data);
void nfc_resolved_set_mdns(int ifindex, bool enabled, NfcResolvedDone done, void *user_data);

/* What resolved last reported for the link: true only for "yes"; false
 * when unknown or resolved is not running. */
bool nfc_resolved_get_mdns(int ifindex);
