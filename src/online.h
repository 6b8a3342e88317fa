/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The online check: an HTTP GET of main.conf's OnlineCheckIPv4URL through
 * one interface. A service that passes goes online, otherwise stays ready. */
#pragma once

#include <stdbool.h>

typedef void (*NfcOnlineFunc)(bool online, void *user_data);
typedef struct NfcOnlineCheck NfcOnlineCheck;

/* url: http://host[:port]/path with a literal IPv4 host or a name the
 * system resolver knows. Retries with the configured intervals until it
 * succeeds (one-shot mode) or keeps watching (continuous). */
NfcOnlineCheck *nfc_online_check_start(const char *ifname, const char *url,
				       NfcOnlineFunc func, void *user_data);
void nfc_online_check_stop(NfcOnlineCheck *check);

/* Pure, for tests: split an http URL; false if it is not one. */
bool nfc_online_parse_url(const char *url, char **host, unsigned int *port, char **path);
/* Pure: is this an HTTP response head that counts as online (2xx)? */
bool nfc_online_response_ok(const char *head);
