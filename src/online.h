/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The online check: an HTTP GET of main.conf's OnlineCheckIPv4URL (or
 * IPv6URL) through one interface, its host resolved by that service's own
 * nameservers out of the same interface (dns-lookup.h), never by the
 * host's resolver. A service that passes goes online, otherwise stays
 * ready. */
#pragma once

#include <stdbool.h>

typedef void (*NfcOnlineFunc)(bool online, void *user_data);
/* The service's nameservers now (its Nameservers property); caller frees.
 * Asked again at every attempt: they may change while the check waits. */
typedef char **(*NfcOnlineNameserversFunc)(void *user_data);
typedef struct NfcOnlineCheck NfcOnlineCheck;

/* url: http://host[:port]/path, host a name or an address literal
 * ([v6] in brackets); a name is asked as A (family AF_INET) or AAAA
 * (AF_INET6). Retries with the configured intervals until it succeeds
 * (one-shot mode) or keeps watching (continuous). */
NfcOnlineCheck *nfc_online_check_start(const char *ifname, int family, const char *url,
				       NfcOnlineNameserversFunc nameservers, NfcOnlineFunc func,
				       void *user_data);
void nfc_online_check_stop(NfcOnlineCheck *check);

/* Pure, for tests: split an http URL (host without brackets); false if it
 * is not one. */
bool nfc_online_parse_url(const char *url, char **host, unsigned int *port, char **path);
/* Pure: is this an HTTP response head that counts as online (2xx)? */
bool nfc_online_response_ok(const char *head);
