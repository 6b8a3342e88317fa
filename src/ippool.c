// SPDX-License-Identifier: GPL-2.0-or-later
/* The tether subnet pool; see ippool.h. The candidates are numbered 0 …
 * N-1 in the order of the header, so "after" and the wrap are arithmetic
 * on one index, and a candidate is tested against every used prefix by
 * overlap, not by its first address: a /25 inside a candidate /24 takes
 * it, and so does a /16 around it. */
#include "ippool.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

/* The three ranges of candidate /24s: second octets first..last, each with
 * third octets 0..254 (x.y.255.0 is never used, as ConnMan never did: some
 * old stacks take .255 in an octet for a broadcast). */
typedef struct {
	uint8_t first_octet;
	uint8_t second_first, second_last;
} PoolRange;

static const PoolRange ranges[] = {
	{ 192, 168, 168 },
	{ 172, 16, 31 },
	{ 10, 0, 254 },
};

#define THIRD_OCTETS 255u

static guint range_size(const PoolRange *r)
{
	return (guint)(r->second_last - r->second_first + 1) * THIRD_OCTETS;
}

static guint pool_size(void)
{
	guint n = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(ranges); i++)
		n += range_size(&ranges[i]);
	return n;
}

static NfcIpv4Prefix pool_block(guint index)
{
	for (size_t i = 0; i < G_N_ELEMENTS(ranges); i++) {
		const PoolRange *r = &ranges[i];

		if (index < range_size(r)) {
			uint32_t second = r->second_first + index / THIRD_OCTETS;
			uint32_t third = index % THIRD_OCTETS;

			return (NfcIpv4Prefix){
				.network = (uint32_t)r->first_octet << 24 | second << 16 | third << 8,
				.prefixlen = 24,
			};
		}
		index -= range_size(r);
	}
	g_assert_not_reached();
}

/* The index of p among the candidates, or -1 if p is not one of them. */
static int pool_index(NfcIpv4Prefix p)
{
	guint base = 0;

	if (p.prefixlen != 24)
		return -1;
	for (size_t i = 0; i < G_N_ELEMENTS(ranges); i++) {
		const PoolRange *r = &ranges[i];
		uint32_t first = p.network >> 24, second = (p.network >> 16) & 0xff;
		uint32_t third = (p.network >> 8) & 0xff;

		if (first == r->first_octet && second >= r->second_first &&
		    second <= r->second_last && third < THIRD_OCTETS && (p.network & 0xff) == 0)
			return (int)(base + (second - r->second_first) * THIRD_OCTETS + third);
		base += range_size(r);
	}
	return -1;
}

static uint32_t prefix_mask(uint8_t prefixlen)
{
	return prefixlen == 0 ? 0 : prefixlen >= 32 ? 0xffffffffu : ~0u << (32 - prefixlen);
}

bool nfc_ipv4_prefix_overlaps(NfcIpv4Prefix a, NfcIpv4Prefix b)
{
	/* two prefixes share an address iff they agree on the bits of the
	 * shorter one; host bits, if a caller left any, do not count */
	uint32_t mask = prefix_mask(MIN(a.prefixlen, b.prefixlen));

	return ((a.network ^ b.network) & mask) == 0;
}

gboolean nfc_ipv4_prefix_parse(const char *text, NfcIpv4Prefix *prefix, GError **error)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	g_autofree char *addr_text = NULL;
	struct in_addr addr;
	unsigned int len = 0;
	uint32_t network;
	const char *p;

	if (!text || !*text) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "empty subnet");
		return FALSE;
	}
	if (strchr(text, ':')) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "\"%s\" is not an IPv4 subnet (the tether subnet is IPv4; its IPv6 "
			    "prefix is a ULA)", text);
		return FALSE;
	}
	if (!slash) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "\"%s\" has no prefix length (write it as 192.168.7.0/24)", text);
		return FALSE;
	}
	addr_text = g_strndup(text, (gsize)(slash - text));
	/* inet_pton takes exactly four dotted decimals, nothing else */
	if (inet_pton(AF_INET, addr_text, &addr) != 1) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "\"%s\" is not an IPv4 address", addr_text);
		return FALSE;
	}
	/* digits only: no sign, no space, no trailing garbage, no overflow */
	for (p = slash + 1; *p >= '0' && *p <= '9' && len <= 32; p++)
		len = len * 10 + (unsigned int)(*p - '0');
	if (p == slash + 1 || *p != '\0' || p - (slash + 1) > 2) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "\"%s\" is not a prefix length", slash + 1);
		return FALSE;
	}
	/* /31 and /32 leave no room for clients; shorter than /8 would be
	 * a router's worth of the address space */
	if (len < 8 || len > 30) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "prefix length /%u is out of range (8 to 30)", len);
		return FALSE;
	}
	network = ntohl(addr.s_addr);
	if (network & ~prefix_mask((uint8_t)len)) {
		char buf[20];
		NfcIpv4Prefix fixed = { network & prefix_mask((uint8_t)len), (uint8_t)len };

		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "\"%s\" has host bits set (the subnet would be %s)", text,
			    nfc_ipv4_prefix_to_string(fixed, buf));
		return FALSE;
	}
	prefix->network = network;
	prefix->prefixlen = (uint8_t)len;
	return TRUE;
}

const char *nfc_ipv4_prefix_to_string(NfcIpv4Prefix p, char *buf)
{
	snprintf(buf, 19, "%u.%u.%u.%u/%u", p.network >> 24, (p.network >> 16) & 0xff,
		 (p.network >> 8) & 0xff, p.network & 0xff, MIN(p.prefixlen, 32u));
	return buf;
}

const NfcIpv4Prefix *nfc_ippool_conflict(NfcIpv4Prefix p, const NfcIpv4Prefix *used, guint n_used)
{
	for (guint i = 0; i < n_used; i++) {
		/* the default route is where everything goes that nothing
		 * more specific takes: no subnet of ours conflicts with it */
		if (used[i].prefixlen == 0)
			continue;
		if (nfc_ipv4_prefix_overlaps(p, used[i]))
			return &used[i];
	}
	return NULL;
}

bool nfc_ippool_pick(const NfcIpv4Prefix *used, guint n_used, NfcIpv4Prefix after,
		     NfcIpv4Prefix *picked)
{
	guint n = pool_size();
	int start = after.prefixlen ? pool_index(after) : -1;

	/* a prefix that is no candidate (a configured subnet): from the start */
	for (guint i = 1; i <= n; i++) {
		NfcIpv4Prefix cand = pool_block((guint)((start + (int64_t)i) % n));

		if (!nfc_ippool_conflict(cand, used, n_used)) {
			*picked = cand;
			return true;
		}
	}
	return false;
}

void nfc_ula_prefix(const uint8_t global_id[5], struct in6_addr *prefix)
{
	memset(prefix, 0, sizeof(*prefix));
	/* fc00::/7 with the L bit set (locally assigned): fd00::/8 */
	prefix->s6_addr[0] = 0xfd;
	memcpy(&prefix->s6_addr[1], global_id, 5);
	/* subnet id (bytes 6 and 7) 0, interface id zero */
}
