// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the DHCPv4 builder (byte-exact headers and options), the
 * reply parser against well-formed, malformed and hostile packets, the
 * IPv4/UDP framing, and a mutation loop that must never crash (run it
 * under ASan: every buffer handed over is allocated to its exact size). */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <glib.h>

#include "dhcp-packet.h"

static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint32_t xid = 0x1234abcd;

/* 198.51.100.60, 198.51.100.1 in wire order */
#define ADDR 198, 51, 100, 60
#define SERVER 198, 51, 100, 1
#define CLIENT_ID 61, 7, 1, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30
#define PRL 55, 13, 1, 3, 6, 12, 15, 26, 28, 42, 51, 54, 58, 59, 252
#define HOSTNAME 12, 3, 'b', 'o', 'x'
#define VENDOR 60, 6, 'n', 'f', 'c', 'o', 'n', 'n'

static struct in_addr addr_of(const char *s)
{
	struct in_addr a;

	g_assert_cmpint(inet_pton(AF_INET, s, &a), ==, 1);
	return a;
}

/* ---- builder ----------------------------------------------------------- */

typedef enum { B_DISCOVER, B_REQUEST, B_RELEASE, B_DECLINE } Builder;

typedef struct {
	const char *name;
	Builder builder;
	NfcDhcpRequestKind kind;
	bool identity;           /* hostname and vendor class set */
	uint8_t ciaddr[4];
	uint8_t options[64];
	size_t options_len;
} BuildCase;

#define OPTS(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static const BuildCase build_cases[] = {
	{ "discover", B_DISCOVER, 0, false, { 0 },
	  OPTS(53, 1, 1, CLIENT_ID, PRL, 255) },
	{ "discover-identity", B_DISCOVER, 0, true, { 0 },
	  OPTS(53, 1, 1, CLIENT_ID, HOSTNAME, VENDOR, PRL, 255) },
	{ "request-selecting", B_REQUEST, NFC_DHCP_REQ_SELECTING, true, { 0 },
	  OPTS(53, 1, 3, CLIENT_ID, 50, 4, ADDR, 54, 4, SERVER, HOSTNAME, VENDOR, PRL, 255) },
	{ "request-init-reboot", B_REQUEST, NFC_DHCP_REQ_INIT_REBOOT, false, { 0 },
	  OPTS(53, 1, 3, CLIENT_ID, 50, 4, ADDR, PRL, 255) },
	{ "request-renewing", B_REQUEST, NFC_DHCP_REQ_RENEWING, false, { ADDR },
	  OPTS(53, 1, 3, CLIENT_ID, PRL, 255) },
	{ "request-rebinding", B_REQUEST, NFC_DHCP_REQ_REBINDING, true, { ADDR },
	  OPTS(53, 1, 3, CLIENT_ID, HOSTNAME, VENDOR, PRL, 255) },
	{ "release", B_RELEASE, 0, true, { ADDR },
	  OPTS(53, 1, 7, CLIENT_ID, 54, 4, SERVER, 255) },
	{ "decline", B_DECLINE, 0, false, { 0 },
	  OPTS(53, 1, 4, CLIENT_ID, 50, 4, ADDR, 54, 4, SERVER, 255) },
};

static int build(Builder b, NfcDhcpRequestKind kind, uint8_t *buf, size_t size,
		 const NfcDhcpClientInfo *info)
{
	struct in_addr a = addr_of("198.51.100.60"), s = addr_of("198.51.100.1");

	switch (b) {
	case B_DISCOVER:
		return nfc_dhcp_build_discover(buf, size, info);
	case B_REQUEST:
		return nfc_dhcp_build_request(buf, size, info, kind, a, s);
	case B_RELEASE:
		return nfc_dhcp_build_release(buf, size, info, a, s);
	case B_DECLINE:
		return nfc_dhcp_build_decline(buf, size, info, a, s);
	}
	g_assert_not_reached();
}

static void test_build(gconstpointer data)
{
	const BuildCase *c = data;
	NfcDhcpClientInfo info = { .xid = xid, .secs = 7 };
	uint8_t buf[NFC_DHCP_MAX_LEN];
	static const uint8_t zero[236] = { 0 };
	int n;

	memcpy(info.mac, mac, 6);
	if (c->identity) {
		info.hostname = "box";
		info.vendor_class = "nfconn";
	}
	memset(buf, 0xaa, sizeof(buf));
	n = build(c->builder, c->kind, buf, sizeof(buf), &info);
	g_assert_cmpint(n, ==, NFC_DHCP_MIN_LEN);

	g_assert_cmpuint(buf[0], ==, 1);           /* BOOTREQUEST */
	g_assert_cmpuint(buf[1], ==, 1);           /* Ethernet */
	g_assert_cmpuint(buf[2], ==, 6);
	g_assert_cmpuint(buf[3], ==, 0);           /* hops */
	g_assert_cmpmem(buf + 4, 4, ((uint8_t[]){ 0x12, 0x34, 0xab, 0xcd }), 4);
	g_assert_cmpmem(buf + 8, 2, ((uint8_t[]){ 0, 7 }), 2);
	g_assert_cmpmem(buf + 10, 2, zero, 2);     /* flags: no broadcast bit */
	g_assert_cmpmem(buf + 12, 4, c->ciaddr, 4);
	g_assert_cmpmem(buf + 16, 12, zero, 12);   /* yiaddr, siaddr, giaddr */
	g_assert_cmpmem(buf + 28, 6, mac, 6);
	g_assert_cmpmem(buf + 34, 236 - 34, zero, 236 - 34); /* chaddr pad, sname, file */
	g_assert_cmpmem(buf + 236, 4, ((uint8_t[]){ 99, 130, 83, 99 }), 4);
	g_assert_cmpmem(buf + 240, c->options_len, c->options, c->options_len);
	/* padded with zeros up to the BOOTP minimum */
	for (size_t i = 240 + c->options_len; i < (size_t)n; i++)
		g_assert_cmpuint(buf[i], ==, 0);
}

static void test_build_limits(void)
{
	NfcDhcpClientInfo info = { .xid = xid };
	g_autofree char *long_name = g_strnfill(256, 'a');
	g_autofree char *max_name = g_strnfill(255, 'b');
	uint8_t buf[NFC_DHCP_MAX_LEN];
	int n;

	memcpy(info.mac, mac, 6);
	/* a name too long for an option is left out, not cut */
	info.hostname = long_name;
	n = nfc_dhcp_build_discover(buf, sizeof(buf), &info);
	g_assert_cmpint(n, ==, NFC_DHCP_MIN_LEN);
	g_assert_cmpmem(buf + 240, 13, ((uint8_t[]){ 53, 1, 1, CLIENT_ID, 55 }), 13);

	/* the largest message fits NFC_DHCP_MAX_LEN */
	info.hostname = max_name;
	info.vendor_class = max_name;
	n = nfc_dhcp_build_request(buf, sizeof(buf), &info, NFC_DHCP_REQ_SELECTING,
				   addr_of("198.51.100.60"), addr_of("198.51.100.1"));
	g_assert_cmpint(n, ==, 240 + 3 + 9 + 6 + 6 + 257 + 257 + 15 + 1);
	g_assert_cmpuint(buf[264], ==, 12);
	g_assert_cmpuint(buf[265], ==, 255);
	g_assert_cmpuint(buf[n - 1], ==, 255);

	/* too small a buffer: -ENOSPC, for every size below what is needed */
	for (size_t size = 0; size < (size_t)n; size += 7)
		g_assert_cmpint(nfc_dhcp_build_request(buf, size, &info, NFC_DHCP_REQ_SELECTING,
						       addr_of("198.51.100.60"),
						       addr_of("198.51.100.1")), ==, -ENOSPC);
	info.hostname = info.vendor_class = NULL;
	g_assert_cmpint(nfc_dhcp_build_discover(buf, NFC_DHCP_MIN_LEN - 1, &info), ==, -ENOSPC);
	g_assert_cmpint(nfc_dhcp_build_discover(buf, NFC_DHCP_MIN_LEN, &info), ==,
			NFC_DHCP_MIN_LEN);
}

/* ---- parser ------------------------------------------------------------ */

typedef struct {
	const char *name;
	uint8_t options[700];
	size_t options_len;
	bool mutate;       /* if set: the byte at offset ... */
	int offset;
	uint8_t value;     /* ... is overwritten with value */
	const char *yiaddr;
	int expect;        /* return value */
	uint8_t type;
	uint8_t prefixlen;
	unsigned int n_routers, n_dns, n_ntp;
	const char *domain;
	const char *wpad;  /* NULL: "" */
	uint16_t mtu;
	uint32_t lease, t1, t2;
} ParseCase;

#define ACK_BASE 53, 1, 5, 54, 4, SERVER, 51, 4, 0, 0, 0x0e, 0x10   /* 3600 s */
#define OFFER_BASE 53, 1, 2, 54, 4, SERVER, 51, 4, 0, 0, 0, 120

static const ParseCase parse_cases[] = {
	{ .name = "ack-full",
	  OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0, 3, 4, SERVER,
	       6, 8, 198, 51, 100, 53, 198, 51, 100, 54, 15, 11, 'l', 'a', 'b', '.', 'e', 'x',
	       'a', 'm', 'p', 'l', 'e', 26, 2, 0x05, 0xdc, 42, 4, 198, 51, 100, 123,
	       58, 4, 0, 0, 0, 100, 59, 4, 0, 0, 1, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .n_routers = 1, .n_dns = 2,
	  .n_ntp = 1, .domain = "lab.example", .mtu = 1500, .lease = 3600, .t1 = 100, .t2 = 256 },
	{ .name = "offer-minimal-defaults",
	  OPTS(OFFER_BASE, 255),
	  .expect = 0, .type = NFC_DHCP_OFFER, .prefixlen = 24, .domain = "", .lease = 120,
	  .t1 = 60, .t2 = 105 },
	{ .name = "classful-a", OPTS(OFFER_BASE, 255), .yiaddr = "10.1.2.3",
	  .expect = 0, .type = NFC_DHCP_OFFER, .prefixlen = 8, .domain = "", .lease = 120,
	  .t1 = 60, .t2 = 105 },
	{ .name = "classful-b", OPTS(OFFER_BASE, 255), .yiaddr = "172.16.2.3",
	  .expect = 0, .type = NFC_DHCP_OFFER, .prefixlen = 16, .domain = "", .lease = 120,
	  .t1 = 60, .t2 = 105 },
	{ .name = "nak", OPTS(53, 1, 6, 255), .yiaddr = "0.0.0.0",
	  .expect = 0, .type = NFC_DHCP_NAK, .domain = "" },
	{ .name = "pad-and-no-end", OPTS(0, 0, ACK_BASE, 0, 0),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "after-end-ignored", OPTS(ACK_BASE, 255, 1, 4, 255, 0, 0, 0),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "infinite-lease",
	  OPTS(53, 1, 5, 54, 4, SERVER, 51, 4, 255, 255, 255, 255, 58, 4, 0, 0, 0, 1, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "",
	  .lease = UINT32_MAX, .t1 = UINT32_MAX, .t2 = UINT32_MAX },

	/* option 252, the proxy autoconfig URL: printable, no spaces or quotes */
	{ .name = "wpad", OPTS(ACK_BASE, 252, 19, 'h', 't', 't', 'p', ':', '/', '/', 'w', '.',
			       'e', 'x', '/', 'w', 'p', 'a', 'd', '.', 'd', 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "",
	  .wpad = "http://w.ex/wpad.d", .lease = 3600, .t1 = 1800, .t2 = 3150 },
	{ .name = "wpad-newline", OPTS(ACK_BASE, 252, 4, 'a', '\n', 'b', 'c', 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "wpad-space", OPTS(ACK_BASE, 252, 3, 'a', ' ', 'b', 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "wpad-quote", OPTS(ACK_BASE, 252, 3, 'a', '"', 'b', 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "wpad-high-byte", OPTS(ACK_BASE, 252, 3, 'a', 0xc3, 'b', 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "wpad-only-nuls", OPTS(ACK_BASE, 252, 2, 0, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },

	/* header */
	{ .name = "op-request", OPTS(ACK_BASE, 255), .mutate = true, .offset = 0, .value = 1, .expect = -EBADMSG },
	{ .name = "htype", OPTS(ACK_BASE, 255), .mutate = true, .offset = 1, .value = 6, .expect = -EBADMSG },
	{ .name = "hlen", OPTS(ACK_BASE, 255), .mutate = true, .offset = 2, .value = 16, .expect = -EBADMSG },
	{ .name = "cookie", OPTS(ACK_BASE, 255), .mutate = true, .offset = 239, .value = 0, .expect = -EBADMSG },
	{ .name = "xid", OPTS(ACK_BASE, 255), .mutate = true, .offset = 7, .value = 0, .expect = -ENOMSG },
	{ .name = "chaddr", OPTS(ACK_BASE, 255), .mutate = true, .offset = 33, .value = 0x31, .expect = -ENOMSG },
	{ .name = "yiaddr-zero", OPTS(ACK_BASE, 255), .yiaddr = "0.0.0.0", .expect = -EBADMSG },
	{ .name = "yiaddr-multicast", OPTS(ACK_BASE, 255), .yiaddr = "224.0.0.1",
	  .expect = -EBADMSG },
	{ .name = "yiaddr-broadcast", OPTS(ACK_BASE, 255), .yiaddr = "255.255.255.255",
	  .expect = -EBADMSG },
	{ .name = "yiaddr-loopback", OPTS(ACK_BASE, 255), .yiaddr = "127.0.0.1",
	  .expect = -EBADMSG },

	/* message type and required options */
	{ .name = "no-options", OPTS(255), .expect = -EBADMSG },
	{ .name = "no-type", OPTS(54, 4, SERVER, 51, 4, 0, 0, 1, 0, 255), .expect = -EBADMSG },
	{ .name = "type-wrong-length", OPTS(53, 2, 5, 5, 54, 4, SERVER, 51, 4, 0, 0, 1, 0, 255),
	  .expect = -EBADMSG },
	{ .name = "type-request", OPTS(53, 1, 3, 54, 4, SERVER, 51, 4, 0, 0, 1, 0, 255),
	  .expect = -EBADMSG },
	{ .name = "type-unknown", OPTS(53, 1, 99, 54, 4, SERVER, 51, 4, 0, 0, 1, 0, 255),
	  .expect = -EBADMSG },
	{ .name = "no-server-id", OPTS(53, 1, 5, 51, 4, 0, 0, 1, 0, 255), .expect = -EBADMSG },
	{ .name = "server-id-short", OPTS(53, 1, 5, 54, 3, 198, 51, 100, 51, 4, 0, 0, 1, 0, 255),
	  .expect = -EBADMSG },
	{ .name = "no-lease", OPTS(53, 1, 5, 54, 4, SERVER, 255), .expect = -EBADMSG },
	{ .name = "lease-zero", OPTS(53, 1, 5, 54, 4, SERVER, 51, 4, 0, 0, 0, 0, 255),
	  .expect = -EBADMSG },
	{ .name = "lease-long", OPTS(53, 1, 5, 54, 4, SERVER, 51, 5, 0, 0, 1, 0, 0, 255),
	  .expect = -EBADMSG },

	/* truncation: the packet is dropped */
	{ .name = "truncated-option", OPTS(ACK_BASE, 3, 8, 198, 51, 100, 1), .expect = -EBADMSG },
	{ .name = "code-without-length", OPTS(ACK_BASE, 3), .expect = -EBADMSG },
	{ .name = "overlong-option", OPTS(ACK_BASE, 15, 255, 'a', 'b', 255), .expect = -EBADMSG },

	/* one bad option: ignored, the rest is used */
	{ .name = "subnet-3-bytes", OPTS(ACK_BASE, 1, 3, 255, 255, 255, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "subnet-5-bytes", OPTS(ACK_BASE, 1, 5, 255, 255, 0, 0, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "subnet-not-contiguous", OPTS(ACK_BASE, 1, 4, 255, 0, 255, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "subnet-zero", OPTS(ACK_BASE, 1, 4, 0, 0, 0, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "subnet-32", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 255, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 32, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "subnet-20", OPTS(ACK_BASE, 1, 4, 255, 255, 240, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 20, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-5-bytes", OPTS(ACK_BASE, 3, 5, SERVER, 9, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-empty", OPTS(ACK_BASE, 3, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "dns-too-many", OPTS(ACK_BASE, 6, 40, SERVER, SERVER, SERVER, SERVER, SERVER,
				       SERVER, SERVER, SERVER, SERVER, SERVER, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .n_dns = 8, .domain = "",
	  .lease = 3600, .t1 = 1800, .t2 = 3150 },
	{ .name = "dns-zero-entries-skipped", OPTS(ACK_BASE, 6, 12, 0, 0, 0, 0, SERVER,
						   255, 255, 255, 255, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .n_dns = 1, .domain = "",
	  .lease = 3600, .t1 = 1800, .t2 = 3150 },
	{ .name = "domain-newline", OPTS(ACK_BASE, 15, 5, 'a', '\n', 'n', 's', ' ', 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "domain-inner-nul", OPTS(ACK_BASE, 15, 3, 'a', 0, 'b', 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "domain-trailing-nul", OPTS(ACK_BASE, 15, 4, 'a', '.', 'b', 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "a.b", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "mtu-short", OPTS(ACK_BASE, 26, 1, 5, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "mtu-too-small", OPTS(ACK_BASE, 26, 2, 0, 67, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t1-after-t2", OPTS(ACK_BASE, 58, 4, 0, 0, 3, 0, 59, 4, 0, 0, 2, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t1-equals-t2", OPTS(ACK_BASE, 58, 4, 0, 0, 2, 0, 59, 4, 0, 0, 2, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t2-equals-lease", OPTS(ACK_BASE, 59, 4, 0, 0, 0x0e, 0x10, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t1-below-minimum", OPTS(ACK_BASE, 58, 4, 0, 0, 0, 9, 59, 4, 0, 0, 0, 20, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 10, .t2 = 20 },
	{ .name = "t1-zero-t2-below-minimum", OPTS(ACK_BASE, 58, 4, 0, 0, 0, 0, 59, 4, 0, 0, 0, 10,
						   255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t1-at-minimum", OPTS(ACK_BASE, 58, 4, 0, 0, 0, 10, 59, 4, 0, 0, 0, 20, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 10, .t2 = 20 },
	/* the renewal storm: a 1 s lease (and T1 = T2 = 0) is taken as 60 s */
	{ .name = "lease-1s", OPTS(53, 1, 5, 54, 4, SERVER, 51, 4, 0, 0, 0, 1, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 60,
	  .t1 = 30, .t2 = 52 },
	{ .name = "lease-1s-t1-t2-zero", OPTS(53, 1, 5, 54, 4, SERVER, 51, 4, 0, 0, 0, 1,
					      58, 4, 0, 0, 0, 0, 59, 4, 0, 0, 0, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 60,
	  .t1 = 30, .t2 = 52 },
	{ .name = "lease-59s", OPTS(53, 1, 5, 54, 4, SERVER, 51, 4, 0, 0, 0, 59,
				    58, 4, 0, 0, 0, 20, 59, 4, 0, 0, 0, 40, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 60,
	  .t1 = 20, .t2 = 40 },

	/* yiaddr against its subnet (RFC 3021: /31 has no network/broadcast) */
	{ .name = "yiaddr-network", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0, 255),
	  .yiaddr = "198.51.100.0", .expect = -EBADMSG },
	{ .name = "yiaddr-subnet-broadcast", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0, 255),
	  .yiaddr = "198.51.100.255", .expect = -EBADMSG },
	{ .name = "yiaddr-network-classful", OPTS(ACK_BASE, 255), .yiaddr = "10.0.0.0",
	  .expect = -EBADMSG },
	{ .name = "yiaddr-network-30", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 252, 255),
	  .expect = -EBADMSG },
	{ .name = "yiaddr-broadcast-30", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 252, 255),
	  .yiaddr = "198.51.100.63", .expect = -EBADMSG },
	{ .name = "yiaddr-host-30", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 252, 255),
	  .yiaddr = "198.51.100.61", .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 30,
	  .domain = "", .lease = 3600, .t1 = 1800, .t2 = 3150 },
	{ .name = "yiaddr-lower-31", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 254,
					  3, 4, 198, 51, 100, 61, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 31, .n_routers = 1, .domain = "",
	  .lease = 3600, .t1 = 1800, .t2 = 3150 },
	{ .name = "yiaddr-upper-31", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 254,
					  3, 4, 198, 51, 100, 60, 255),
	  .yiaddr = "198.51.100.61", .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 31,
	  .n_routers = 1, .domain = "", .lease = 3600, .t1 = 1800, .t2 = 3150 },
	{ .name = "yiaddr-32-router-outside", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 255,
						   3, 4, SERVER, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 32, .n_routers = 1, .domain = "",
	  .lease = 3600, .t1 = 1800, .t2 = 3150 },

	/* routers: only usable hosts of the subnet, other than ourselves */
	{ .name = "router-broadcast", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0,
					   3, 4, 198, 51, 100, 255, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-network", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0,
					 3, 4, 198, 51, 100, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-outside", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0,
					 3, 4, 203, 0, 113, 1, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-self", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 0, 3, 4, ADDR, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-outside-31", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 254,
					    3, 4, 198, 51, 100, 62, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 31, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "router-multicast-32", OPTS(ACK_BASE, 1, 4, 255, 255, 255, 255,
					      3, 4, 224, 0, 0, 1, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 32, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t2-after-lease", OPTS(ACK_BASE, 59, 4, 0, 1, 0, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "t1-wrong-length", OPTS(ACK_BASE, 58, 2, 0, 10, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "overload-ignored", OPTS(ACK_BASE, 52, 1, 3, 52, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .lease = 3600,
	  .t1 = 1800, .t2 = 3150 },
	{ .name = "duplicate-later-wins", OPTS(ACK_BASE, 26, 2, 5, 0xdc, 26, 2, 2, 0, 255),
	  .expect = 0, .type = NFC_DHCP_ACK, .prefixlen = 24, .domain = "", .mtu = 512,
	  .lease = 3600, .t1 = 1800, .t2 = 3150 },
};

/* A reply to (xid, mac) for 198.51.100.60 (or yiaddr) with these options,
 * in a buffer of exactly its size. */
static uint8_t *make_reply(const uint8_t *options, size_t options_len, const char *yiaddr,
			   size_t *len)
{
	uint8_t *buf;
	struct in_addr y = addr_of(yiaddr ? yiaddr : "198.51.100.60");

	*len = 240 + options_len;
	buf = g_malloc0(*len);
	buf[0] = 2;
	buf[1] = 1;
	buf[2] = 6;
	buf[4] = xid >> 24;
	buf[5] = (xid >> 16) & 0xff;
	buf[6] = (xid >> 8) & 0xff;
	buf[7] = xid & 0xff;
	memcpy(buf + 16, &y.s_addr, 4);
	memcpy(buf + 28, mac, 6);
	memcpy(buf + 236, ((uint8_t[]){ 99, 130, 83, 99 }), 4);
	memcpy(buf + 240, options, options_len);
	return buf;
}

static void test_parse(gconstpointer data)
{
	const ParseCase *c = data;
	size_t len;
	g_autofree uint8_t *buf = make_reply(c->options, c->options_len, c->yiaddr, &len);
	NfcDhcpReply reply;
	char a[INET_ADDRSTRLEN];
	int r;

	if (c->mutate)
		buf[c->offset] = c->value;
	r = nfc_dhcp_parse_reply(buf, len, xid, mac, &reply);
	g_assert_cmpint(r, ==, c->expect);
	if (r < 0)
		return;
	g_assert_cmpuint(reply.type, ==, c->type);
	g_assert_cmpuint(reply.lease.prefixlen, ==, c->prefixlen);
	g_assert_cmpuint(reply.lease.n_routers, ==, c->n_routers);
	g_assert_cmpuint(reply.lease.n_dns, ==, c->n_dns);
	g_assert_cmpuint(reply.lease.n_ntp, ==, c->n_ntp);
	g_assert_cmpstr(reply.lease.domain, ==, c->domain);
	g_assert_cmpstr(reply.lease.wpad, ==, c->wpad ? c->wpad : "");
	g_assert_cmpuint(reply.lease.mtu, ==, c->mtu);
	g_assert_cmpuint(reply.lease.lease_time, ==, c->lease);
	g_assert_cmpuint(reply.lease.t1, ==, c->t1);
	g_assert_cmpuint(reply.lease.t2, ==, c->t2);
	if (c->type == NFC_DHCP_NAK)
		return;
	inet_ntop(AF_INET, &reply.lease.address, a, sizeof(a));
	g_assert_cmpstr(a, ==, c->yiaddr ? c->yiaddr : "198.51.100.60");
	inet_ntop(AF_INET, &reply.lease.server_id, a, sizeof(a));
	g_assert_cmpstr(a, ==, "198.51.100.1");
}

static void test_parse_ack_addresses(void)
{
	const ParseCase *c = &parse_cases[0];
	size_t len;
	g_autofree uint8_t *buf = make_reply(c->options, c->options_len, NULL, &len);
	NfcDhcpReply reply;
	char a[INET_ADDRSTRLEN];

	g_assert_cmpint(nfc_dhcp_parse_reply(buf, len, xid, mac, &reply), ==, 0);
	inet_ntop(AF_INET, &reply.lease.routers[0], a, sizeof(a));
	g_assert_cmpstr(a, ==, "198.51.100.1");
	inet_ntop(AF_INET, &reply.lease.dns[0], a, sizeof(a));
	g_assert_cmpstr(a, ==, "198.51.100.53");
	inet_ntop(AF_INET, &reply.lease.dns[1], a, sizeof(a));
	g_assert_cmpstr(a, ==, "198.51.100.54");
	inet_ntop(AF_INET, &reply.lease.ntp[0], a, sizeof(a));
	g_assert_cmpstr(a, ==, "198.51.100.123");

	/* every truncation of a valid reply is refused or parsed, never overread */
	for (size_t cut = 0; cut < len; cut++) {
		g_autofree uint8_t *copy = g_memdup2(buf, cut);
		int r = nfc_dhcp_parse_reply(copy, cut, xid, mac, &reply);

		/* only cuts at an option boundary can leave a complete reply */
		if (cut < 240 + 15)
			g_assert_cmpint(r, ==, -EBADMSG);
	}
}

/* A 255-byte option of a kind we do not know is skipped whole. */
/* Of routers given in a hostile order, the usable ones stay, in order. */
static void test_parse_router_filter(void)
{
	static const uint8_t opts[] = { ACK_BASE, 1, 4, 255, 255, 255, 0,
					3, 16, 198, 51, 100, 255, 203, 0, 113, 1,
					198, 51, 100, 7, 198, 51, 100, 1, 255 };
	size_t len;
	g_autofree uint8_t *buf = make_reply(opts, sizeof(opts), NULL, &len);
	NfcDhcpReply reply;
	char a[INET_ADDRSTRLEN];

	g_assert_cmpint(nfc_dhcp_parse_reply(buf, len, xid, mac, &reply), ==, 0);
	g_assert_cmpuint(reply.lease.n_routers, ==, 2);
	g_assert_cmpstr(inet_ntop(AF_INET, &reply.lease.routers[0], a, sizeof(a)), ==,
			"198.51.100.7");
	g_assert_cmpstr(inet_ntop(AF_INET, &reply.lease.routers[1], a, sizeof(a)), ==,
			"198.51.100.1");
}

static void test_parse_max_option(void)
{
	uint8_t opts[3 + 6 + 6 + 257 + 1] = { 53, 1, 5, 54, 4, SERVER, 51, 4, 0, 0, 1, 0, 224, 255 };
	size_t len;
	g_autofree uint8_t *buf = NULL;
	NfcDhcpReply reply;

	memset(opts + 17, 0xff, 255); /* would read as END if misaligned */
	opts[sizeof(opts) - 1] = 255;
	buf = make_reply(opts, sizeof(opts), NULL, &len);
	g_assert_cmpint(nfc_dhcp_parse_reply(buf, len, xid, mac, &reply), ==, 0);
	g_assert_cmpuint(reply.lease.lease_time, ==, 256);

	/* same option, one byte short of its declared length: dropped */
	g_assert_cmpint(nfc_dhcp_parse_reply(buf, len - 2, xid, mac, &reply), ==, -EBADMSG);
}

/* ---- IPv4/UDP framing -------------------------------------------------- */

static void test_checksum(void)
{
	/* an IPv4 header with its checksum (0xb861) zeroed */
	static const uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
					 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
					 0xc0, 0xa8, 0x00, 0xc7 };
	static const uint8_t odd[3] = { 0x01, 0x02, 0x03 };

	g_assert_cmpuint(nfc_dhcp_checksum(hdr, sizeof(hdr), 0), ==, 0xb861);
	/* odd length: the last byte is padded with zero */
	g_assert_cmpuint(nfc_dhcp_checksum(odd, sizeof(odd), 0), ==, (uint16_t)~0x0402);
}

static void test_frame(void)
{
	uint8_t msg[NFC_DHCP_MAX_LEN], frame[NFC_DHCP_MAX_LEN + 28];
	NfcDhcpClientInfo info = { .xid = xid };
	const uint8_t *payload;
	size_t payload_len;
	int n, f;

	memcpy(info.mac, mac, 6);
	n = nfc_dhcp_build_discover(msg, sizeof(msg), &info);
	g_assert_cmpint(n, >, 0);
	f = nfc_dhcp_frame_udp(frame, sizeof(frame), (struct in_addr){ INADDR_ANY }, 68,
			       (struct in_addr){ INADDR_BROADCAST }, 67, msg, (size_t)n);
	g_assert_cmpint(f, ==, n + 28);
	g_assert_cmpuint(frame[0], ==, 0x45);
	g_assert_cmpuint(frame[2] << 8 | frame[3], ==, f);
	g_assert_cmpuint(frame[8], ==, 64);
	g_assert_cmpuint(frame[9], ==, 17);
	g_assert_cmpmem(frame + 12, 8, ((uint8_t[]){ 0, 0, 0, 0, 255, 255, 255, 255 }), 8);
	g_assert_cmpuint(nfc_dhcp_checksum(frame, 20, 0), ==, 0);
	g_assert_cmpmem(frame + 20, 6, ((uint8_t[]){ 0, 68, 0, 67, (n + 8) >> 8, (n + 8) & 0xff }),
			6);
	g_assert_cmpuint(frame[26] | frame[27], !=, 0);
	g_assert_cmpmem(frame + 28, n, msg, n);

	/* round trip: the checksum verifies */
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 67, true, &payload, &payload_len), ==, 0);
	g_assert_true(payload == frame + 28);
	g_assert_cmpuint(payload_len, ==, n);
	/* Ethernet padding after the datagram is fine */
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f + 10, 67, true, &payload, &payload_len),
			==, 0);
	g_assert_cmpuint(payload_len, ==, n);
	/* wrong port */
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, true, &payload, &payload_len), ==,
			-EBADMSG);
	/* truncated */
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f - 1, 67, true, &payload, &payload_len), ==,
			-EBADMSG);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, 19, 67, true, &payload, &payload_len), ==,
			-EBADMSG);

	/* a payload byte flipped: refused when the checksum is complete,
	 * accepted when the kernel says it is partial (veth) */
	frame[100] ^= 0x40;
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 67, true, &payload, &payload_len), ==,
			-EBADMSG);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 67, false, &payload, &payload_len), ==, 0);
	frame[100] ^= 0x40;

	/* the IP header checksum is always checked */
	frame[8] = 63;
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 67, false, &payload, &payload_len), ==,
			-EBADMSG);
	frame[8] = 64;

	/* a UDP checksum of 0 means none */
	frame[26] = frame[27] = 0;
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 67, true, &payload, &payload_len), ==, 0);
}

static void fix_ip_checksum(uint8_t *frame)
{
	uint16_t c;

	frame[10] = frame[11] = 0;
	c = nfc_dhcp_checksum(frame, 20, 0);
	frame[10] = c >> 8;
	frame[11] = c & 0xff;
}

static void test_frame_hostile(void)
{
	uint8_t msg[64] = { 1, 2, 3 }, frame[128];
	const uint8_t *payload;
	size_t payload_len;
	int f;

	f = nfc_dhcp_frame_udp(frame, sizeof(frame), (struct in_addr){ INADDR_ANY }, 67,
			       (struct in_addr){ INADDR_BROADCAST }, 68, msg, sizeof(msg));
	g_assert_cmpint(f, ==, 92);
	g_assert_cmpint(nfc_dhcp_frame_udp(frame, 91, (struct in_addr){ 0 }, 67,
					   (struct in_addr){ 0 }, 68, msg, sizeof(msg)), ==, -ENOSPC);

	/* a fragment */
	frame[6] = 0x20;
	fix_ip_checksum(frame);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, true, &payload, &payload_len), ==,
			-EBADMSG);
	frame[6] = 0;
	/* IPv6 version nibble, then IHL too short, then too long */
	frame[0] = 0x65;
	fix_ip_checksum(frame);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, true, &payload, &payload_len), ==,
			-EBADMSG);
	frame[0] = 0x44;
	fix_ip_checksum(frame);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, true, &payload, &payload_len), ==,
			-EBADMSG);
	frame[0] = 0x4f;
	fix_ip_checksum(frame);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, false, &payload, &payload_len), ==,
			-EBADMSG);
	frame[0] = 0x45;
	/* total length beyond the data */
	frame[3] = 200;
	fix_ip_checksum(frame);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, false, &payload, &payload_len), ==,
			-EBADMSG);
	frame[3] = (uint8_t)f;
	fix_ip_checksum(frame);
	/* UDP length beyond the IP total, and below the UDP header */
	frame[25] = 200;
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, false, &payload, &payload_len), ==,
			-EBADMSG);
	frame[25] = 7;
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, false, &payload, &payload_len), ==,
			-EBADMSG);
	frame[25] = 72;
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, true, &payload, &payload_len), ==, 0);
	/* not UDP */
	frame[9] = 6;
	fix_ip_checksum(frame);
	g_assert_cmpint(nfc_dhcp_unframe_udp(frame, f, 68, false, &payload, &payload_len), ==,
			-EBADMSG);
}

/* ---- mutation loop ----------------------------------------------------- */

static void check_sane(const NfcDhcpReply *reply)
{
	const NfcDhcpLease *l = &reply->lease;

	g_assert_true(reply->type == NFC_DHCP_OFFER || reply->type == NFC_DHCP_ACK ||
		      reply->type == NFC_DHCP_NAK);
	g_assert_cmpuint(l->n_routers, <=, G_N_ELEMENTS(l->routers));
	g_assert_cmpuint(l->n_dns, <=, G_N_ELEMENTS(l->dns));
	g_assert_cmpuint(l->n_ntp, <=, G_N_ELEMENTS(l->ntp));
	g_assert_cmpuint(strnlen(l->domain, sizeof(l->domain)), <, sizeof(l->domain));
	for (const char *p = l->domain; *p; p++)
		g_assert_true(g_ascii_isalnum(*p) || strchr(".-_ ", *p));
	g_assert_cmpuint(l->prefixlen, <=, 32);
	if (reply->type == NFC_DHCP_NAK)
		return;
	/* whatever the server sent, no renewal storm and a host address */
	if (l->lease_time != UINT32_MAX) {
		g_assert_cmpuint(l->lease_time, >=, NFC_DHCP_MIN_LEASE);
		g_assert_cmpuint(l->t1, >=, NFC_DHCP_MIN_T1);
		g_assert_cmpuint(l->t1, <, l->t2);
		g_assert_cmpuint(l->t2, <, l->lease_time);
	}
	g_assert_cmpuint(ntohl(l->address.s_addr) >> 24, !=, 0);
	g_assert_cmpuint(ntohl(l->address.s_addr) >> 24, !=, 127);
	g_assert_cmpuint(ntohl(l->address.s_addr) >> 24, <, 224);
	for (unsigned int i = 0; i < l->n_routers; i++)
		g_assert_cmpuint(l->routers[i].s_addr, !=, l->address.s_addr);
}

static void test_fuzz(void)
{
	const ParseCase *c = &parse_cases[0];
	size_t base_len;
	g_autofree uint8_t *base = make_reply(c->options, c->options_len, NULL, &base_len);
	uint8_t frame[2048];
	unsigned int accepted = 0, iterations = g_test_thorough() ? 1000000 : 100000;
	int base_frame_len;

	base_frame_len = nfc_dhcp_frame_udp(frame, sizeof(frame), (struct in_addr){ 0 }, 67,
					    (struct in_addr){ INADDR_BROADCAST }, 68, base,
					    base_len);
	g_assert_cmpint(base_frame_len, >, 0);

	for (unsigned int i = 0; i < iterations; i++) {
		bool framed = g_test_rand_bit();
		size_t src_len = framed ? (size_t)base_frame_len : base_len;
		const uint8_t *src = framed ? frame : base;
		size_t len = src_len + 64;
		g_autofree uint8_t *buf = NULL;
		const uint8_t *payload = NULL;
		size_t payload_len = 0;
		NfcDhcpReply reply;
		unsigned int flips;

		/* mostly mutated copies, some pure noise; any length */
		len = (size_t)g_test_rand_int_range(0, (gint32)len);
		buf = g_malloc(len ? len : 1);
		if (g_test_rand_int_range(0, 10) == 0) {
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)g_test_rand_int_range(0, 256);
		} else {
			for (size_t j = 0; j < len; j++)
				buf[j] = j < src_len ? src[j] : (uint8_t)g_test_rand_int();
			flips = (unsigned int)g_test_rand_int_range(0, 8);
			for (unsigned int k = 0; k < flips && len > 0; k++) {
				size_t at = (size_t)g_test_rand_int_range(framed ? 28 : 240,
									  (gint32)MAX(len, 241));
				if (at < len)
					buf[at] = (uint8_t)g_test_rand_int_range(0, 256);
			}
		}

		if (framed) {
			bool verify = g_test_rand_bit();

			if (nfc_dhcp_unframe_udp(buf, len, 68, verify, &payload, &payload_len) == 0) {
				g_assert_true(payload >= buf && payload + payload_len <= buf + len);
				if (nfc_dhcp_parse_reply(payload, payload_len, xid, mac, &reply) == 0) {
					check_sane(&reply);
					accepted++;
				}
			}
		} else if (nfc_dhcp_parse_reply(buf, len, xid, mac, &reply) == 0) {
			check_sane(&reply);
			accepted++;
		}
	}
	/* the loop did exercise the accepting paths, not only the early exits */
	g_assert_cmpuint(accepted, >, iterations / 100);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(build_cases); i++) {
		g_autofree char *path = g_strdup_printf("/dhcp-packet/build/%s", build_cases[i].name);

		g_test_add_data_func(path, &build_cases[i], test_build);
	}
	g_test_add_func("/dhcp-packet/build/limits", test_build_limits);
	for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		g_autofree char *path = g_strdup_printf("/dhcp-packet/parse/%s", parse_cases[i].name);

		g_test_add_data_func(path, &parse_cases[i], test_parse);
	}
	g_test_add_func("/dhcp-packet/parse/addresses-and-truncation", test_parse_ack_addresses);
	g_test_add_func("/dhcp-packet/parse/max-option", test_parse_max_option);
	g_test_add_func("/dhcp-packet/parse/router-filter", test_parse_router_filter);
	g_test_add_func("/dhcp-packet/frame/checksum", test_checksum);
	g_test_add_func("/dhcp-packet/frame/round-trip", test_frame);
	g_test_add_func("/dhcp-packet/frame/hostile", test_frame_hostile);
	g_test_add_func("/dhcp-packet/fuzz", test_fuzz);
	return g_test_run();
}
