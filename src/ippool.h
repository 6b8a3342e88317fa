/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Choosing the tether subnet. Pure logic (unit-tested): the caller passes
 * what the host has (every address with its prefix, every route's
 * destination), and gets an IPv4 /24 from the pool that overlaps none of
 * them at any prefix length, or a verdict on a configured subnet. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

typedef struct {
	uint32_t network;          /* host byte order, host bits zero */
	uint8_t prefixlen;
} NfcIpv4Prefix;

/* a/alen and b/blen share an address (either contains the other). */
bool nfc_ipv4_prefix_overlaps(NfcIpv4Prefix a, NfcIpv4Prefix b);

/* "192.168.7.0/24" → prefix. Host bits set, prefix length outside 8..30,
 * not IPv4: FALSE with a message in error. */
gboolean nfc_ipv4_prefix_parse(const char *text, NfcIpv4Prefix *prefix, GError **error);
/* "192.168.7.0/24"; buf of at least 19 bytes */
const char *nfc_ipv4_prefix_to_string(NfcIpv4Prefix p, char *buf);

/* The first prefix of used that overlaps p, or NULL. A used prefix of
 * length 0 (a default route) conflicts with nothing. */
const NfcIpv4Prefix *nfc_ippool_conflict(NfcIpv4Prefix p, const NfcIpv4Prefix *used, guint n_used);

/* A free /24 in the order 192.168.0.0 … 192.168.254.0, 172.16.0.0 …
 * 172.31.254.0, 10.0.0.0 … 10.254.254.0, starting after `after` (a /24 of
 * the pool, or prefixlen 0 for the start; any other prefix also starts at
 * the start) and wrapping once. FALSE if none is free. */
bool nfc_ippool_pick(const NfcIpv4Prefix *used, guint n_used, NfcIpv4Prefix after,
		     NfcIpv4Prefix *picked);

/* The ULA /64 of tethering: fd00::/8 + the 40-bit global id + subnet id 0
 * (RFC 4193), from 5 random bytes persisted by the caller. */
void nfc_ula_prefix(const uint8_t global_id[5], struct in6_addr *prefix);
