// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the tether subnet pool. Overlap at every relation of two
 * prefixes, the pick order and its wrap, and the parser's refusals. */
#include <arpa/inet.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "ippool.h"

static NfcIpv4Prefix pfx(const char *text)
{
	g_autoptr(GError) error = NULL;
	NfcIpv4Prefix p = { 0 };

	if (!nfc_ipv4_prefix_parse(text, &p, &error))
		g_error("%s: %s", text, error->message);
	return p;
}

/* An address with its prefix length, as an interface has it: host bits set. */
static NfcIpv4Prefix host(const char *addr, uint8_t len)
{
	struct in_addr a;

	g_assert_cmpint(inet_pton(AF_INET, addr, &a), ==, 1);
	return (NfcIpv4Prefix){ ntohl(a.s_addr), len };
}

static char *str(NfcIpv4Prefix p)
{
	char buf[19];

	return g_strdup(nfc_ipv4_prefix_to_string(p, buf));
}

static void assert_overlap(const char *a, const char *b, bool want)
{
	NfcIpv4Prefix pa = pfx(a), pb = pfx(b);

	/* a relation, so both ways */
	if (nfc_ipv4_prefix_overlaps(pa, pb) != want || nfc_ipv4_prefix_overlaps(pb, pa) != want)
		g_error("%s and %s: overlap should be %d", a, b, want);
}

static void test_overlap(void)
{
	assert_overlap("192.168.0.0/24", "192.168.0.0/24", true);     /* equal */
	assert_overlap("192.168.0.0/16", "192.168.7.0/24", true);     /* containing */
	assert_overlap("192.168.7.128/25", "192.168.7.0/24", true);   /* contained, not at start */
	assert_overlap("192.168.7.252/30", "192.168.7.0/24", true);   /* the last /30 */
	assert_overlap("10.0.0.0/8", "10.200.3.4/30", true);          /* /8 vs /30 */
	assert_overlap("10.0.0.0/8", "11.0.0.0/30", false);
	assert_overlap("192.168.0.0/24", "192.168.1.0/24", false);    /* adjacent */
	assert_overlap("192.168.0.0/25", "192.168.0.128/25", false);  /* adjacent halves */
	assert_overlap("192.168.0.0/23", "192.168.1.0/24", true);     /* upper half */
	assert_overlap("192.168.2.0/23", "192.168.1.0/24", false);    /* adjacent below */
	assert_overlap("172.16.0.0/12", "172.31.254.0/24", true);
	assert_overlap("172.16.0.0/12", "172.32.0.0/24", false);
	assert_overlap("198.51.100.0/24", "203.0.113.0/24", false);   /* disjoint */

	/* an address as an interface has it (host bits set) counts as its subnet */
	g_assert_true(nfc_ipv4_prefix_overlaps(host("192.168.7.42", 24), pfx("192.168.7.0/24")));
	g_assert_true(nfc_ipv4_prefix_overlaps(host("192.168.7.200", 25), pfx("192.168.7.0/24")));
	g_assert_false(nfc_ipv4_prefix_overlaps(host("192.168.8.1", 24), pfx("192.168.7.0/24")));
	/* a host route inside, and just outside */
	g_assert_true(nfc_ipv4_prefix_overlaps(host("192.168.7.255", 32), pfx("192.168.7.0/24")));
	g_assert_false(nfc_ipv4_prefix_overlaps(host("192.168.8.0", 32), pfx("192.168.7.0/24")));
	/* /0 holds everything (conflict() knows better, see below) */
	g_assert_true(nfc_ipv4_prefix_overlaps(host("0.0.0.0", 0), pfx("10.0.0.0/24")));
}

static void test_conflict(void)
{
	NfcIpv4Prefix used[] = {
		host("0.0.0.0", 0),          /* the default route */
		host("198.51.100.7", 24),    /* an uplink address */
		pfx("192.168.0.128/25"),     /* a small subnet inside a candidate */
		pfx("10.0.0.0/8"),
	};

	g_assert_null(nfc_ippool_conflict(pfx("192.168.1.0/24"), used, G_N_ELEMENTS(used)));
	/* ConnMan tests the first address only: 192.168.0.0 is not inside the /25 */
	g_assert_true(nfc_ippool_conflict(pfx("192.168.0.0/24"), used, G_N_ELEMENTS(used)) ==
		      &used[2]);
	g_assert_true(nfc_ippool_conflict(pfx("198.51.100.0/30"), used, G_N_ELEMENTS(used)) ==
		      &used[1]);
	g_assert_true(nfc_ippool_conflict(pfx("10.99.0.0/16"), used, G_N_ELEMENTS(used)) ==
		      &used[3]);
	/* the default route alone conflicts with nothing */
	g_assert_null(nfc_ippool_conflict(pfx("172.16.0.0/24"), used, 1));
	g_assert_null(nfc_ippool_conflict(pfx("172.16.0.0/24"), NULL, 0));
}

static void assert_pick(const NfcIpv4Prefix *used, guint n, const char *after, const char *want)
{
	NfcIpv4Prefix a = after ? pfx(after) : (NfcIpv4Prefix){ 0 }, got = { 0 };
	g_autofree char *got_text = NULL;

	g_assert_true(nfc_ippool_pick(used, n, a, &got));
	got_text = str(got);
	g_assert_cmpstr(got_text, ==, want);
	g_assert_null(nfc_ippool_conflict(got, used, n));
}

static void test_pick(void)
{
	NfcIpv4Prefix small[] = { pfx("192.168.0.128/25") };
	NfcIpv4Prefix wide[] = { pfx("192.168.0.0/16") };
	NfcIpv4Prefix wide_and_172[] = { pfx("192.168.0.0/16"), pfx("172.16.0.0/12") };
	NfcIpv4Prefix partly[] = { pfx("192.168.0.0/16"), pfx("172.16.0.0/13") };
	NfcIpv4Prefix lan[] = { host("192.168.0.10", 24), host("192.168.1.1", 24) };

	assert_pick(NULL, 0, NULL, "192.168.0.0/24");
	/* a smaller subnet inside 192.168.0.0/24 takes it */
	assert_pick(small, 1, NULL, "192.168.1.0/24");
	assert_pick(lan, 2, NULL, "192.168.2.0/24");
	/* a route to 192.168.0.0/16 takes every 192.168.x.0/24 */
	assert_pick(wide, 1, NULL, "172.16.0.0/24");
	assert_pick(wide_and_172, 2, NULL, "10.0.0.0/24");
	assert_pick(partly, 2, NULL, "172.24.0.0/24");

	/* after a block: the next one, across the ranges' borders */
	assert_pick(NULL, 0, "192.168.0.0/24", "192.168.1.0/24");
	assert_pick(NULL, 0, "192.168.253.0/24", "192.168.254.0/24");
	/* x.y.255.0 is never one */
	assert_pick(NULL, 0, "192.168.254.0/24", "172.16.0.0/24");
	assert_pick(NULL, 0, "172.16.254.0/24", "172.17.0.0/24");
	assert_pick(NULL, 0, "172.31.254.0/24", "10.0.0.0/24");
	assert_pick(NULL, 0, "10.0.254.0/24", "10.1.0.0/24");
	/* 10.255.x.x is never one: from the last block, wrap to the first */
	assert_pick(NULL, 0, "10.254.254.0/24", "192.168.0.0/24");
	assert_pick(small, 1, "10.254.254.0/24", "192.168.1.0/24");
	/* after a block, with the rest of its range taken */
	assert_pick(wide, 1, "192.168.9.0/24", "172.16.0.0/24");
	/* after something that is no candidate: from the start */
	assert_pick(NULL, 0, "192.168.7.0/25", "192.168.0.0/24");
	assert_pick(NULL, 0, "192.168.255.0/24", "192.168.0.0/24");
	assert_pick(NULL, 0, "100.64.0.0/24", "192.168.0.0/24");
}

static void test_pick_wrap_to_self(void)
{
	/* everything taken but the block we had: the full circle ends on it */
	NfcIpv4Prefix used[] = {
		pfx("192.168.0.0/21"), pfx("192.168.9.0/24"), pfx("192.168.10.0/23"),
		pfx("192.168.12.0/22"), pfx("192.168.16.0/20"), pfx("192.168.32.0/19"),
		pfx("192.168.64.0/18"), pfx("192.168.128.0/17"),
		pfx("172.16.0.0/12"), pfx("10.0.0.0/8"),
	};

	assert_pick(used, G_N_ELEMENTS(used), "192.168.8.0/24", "192.168.8.0/24");
	assert_pick(used, G_N_ELEMENTS(used), NULL, "192.168.8.0/24");
}

static void test_pick_full(void)
{
	NfcIpv4Prefix all[] = { pfx("192.168.0.0/16"), pfx("172.16.0.0/12"), pfx("10.0.0.0/8") };
	/* only the blocks the pool never uses are left */
	NfcIpv4Prefix gaps[] = {
		pfx("192.168.0.0/17"), pfx("192.168.128.0/18"), pfx("192.168.192.0/19"),
		pfx("192.168.224.0/20"), pfx("192.168.240.0/21"), pfx("192.168.248.0/22"),
		pfx("192.168.252.0/23"), pfx("192.168.254.0/24"),
		pfx("172.16.0.0/12"), pfx("10.0.0.0/9"), pfx("10.128.0.0/10"),
		pfx("10.192.0.0/11"), pfx("10.224.0.0/12"), pfx("10.240.0.0/13"),
		pfx("10.248.0.0/14"), pfx("10.252.0.0/15"), pfx("10.254.0.0/16"),
	};
	NfcIpv4Prefix got = { 0x01020300, 24 };
	NfcIpv4Prefix before = got;

	g_assert_false(nfc_ippool_pick(all, G_N_ELEMENTS(all), (NfcIpv4Prefix){ 0 }, &got));
	g_assert_false(nfc_ippool_pick(all, G_N_ELEMENTS(all), pfx("10.3.4.0/24"), &got));
	g_assert_false(nfc_ippool_pick(gaps, G_N_ELEMENTS(gaps), (NfcIpv4Prefix){ 0 }, &got));
	/* untouched on failure */
	g_assert_cmpmem(&got, sizeof(got), &before, sizeof(before));
	/* one /24 freed, anywhere: found from anywhere */
	gaps[15] = pfx("10.252.0.0/16"); /* 10.253.x free now */
	assert_pick(gaps, G_N_ELEMENTS(gaps), "192.168.3.0/24", "10.253.0.0/24");
	assert_pick(gaps, G_N_ELEMENTS(gaps), "10.253.0.0/24", "10.253.1.0/24");
}

static void assert_parse_error(const char *text, const char *want_in_message)
{
	g_autoptr(GError) error = NULL;
	NfcIpv4Prefix p = { 0x01020304, 7 };

	g_assert_false(nfc_ipv4_prefix_parse(text, &p, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	if (!strstr(error->message, want_in_message))
		g_error("\"%s\": message \"%s\" lacks \"%s\"", text ? text : "(null)",
			error->message, want_in_message);
	/* untouched */
	g_assert_cmpuint(p.network, ==, 0x01020304);
	g_assert_cmpuint(p.prefixlen, ==, 7);
}

static void test_parse(void)
{
	NfcIpv4Prefix p;
	g_autofree char *a = NULL, *b = NULL, *c = NULL;

	p = pfx("192.168.7.0/24");
	g_assert_cmpuint(p.network, ==, 0xc0a80700);
	g_assert_cmpuint(p.prefixlen, ==, 24);
	a = str(p);
	g_assert_cmpstr(a, ==, "192.168.7.0/24");
	b = str(pfx("10.0.0.0/8"));
	g_assert_cmpstr(b, ==, "10.0.0.0/8");
	/* the longest text fits the 19 bytes */
	c = str((NfcIpv4Prefix){ 0xfffffffc, 30 });
	g_assert_cmpstr(c, ==, "255.255.255.252/30");

	assert_parse_error("192.168.7.1/24", "host bits");
	assert_parse_error("192.168.7.1/24", "192.168.7.0/24");
	assert_parse_error("192.168.7.128/23", "host bits");
	assert_parse_error("192.168.7.0/31", "out of range");
	assert_parse_error("192.168.7.0/32", "out of range");
	assert_parse_error("10.0.0.0/7", "out of range");
	assert_parse_error("0.0.0.0/0", "out of range");
	assert_parse_error("abc", "no prefix length");
	assert_parse_error("abc/24", "not an IPv4 address");
	assert_parse_error("192.168.7/24", "not an IPv4 address");
	assert_parse_error("192.168.7.0.0/24", "not an IPv4 address");
	assert_parse_error("192.168.7.256/24", "not an IPv4 address");
	assert_parse_error(" 192.168.7.0/24", "not an IPv4 address");
	assert_parse_error("fd00::/64", "not an IPv4 subnet");
	assert_parse_error("::ffff:192.168.7.0/120", "not an IPv4 subnet");
	assert_parse_error("192.168.7.0", "no prefix length");
	assert_parse_error("192.168.7.0/", "not a prefix length");
	assert_parse_error("192.168.7.0/24x", "not a prefix length");
	assert_parse_error("192.168.7.0/24 ", "not a prefix length");
	assert_parse_error("192.168.7.0/24/24", "not a prefix length");
	assert_parse_error("192.168.7.0/+24", "not a prefix length");
	assert_parse_error("192.168.7.0/-24", "not a prefix length");
	assert_parse_error("192.168.7.0/4294967320", "not a prefix length");
	assert_parse_error("", "empty");
	assert_parse_error(NULL, "empty");
}

static void test_ula(void)
{
	const uint8_t id[5] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
	struct in6_addr prefix;
	char buf[INET6_ADDRSTRLEN];

	memset(&prefix, 0xff, sizeof(prefix));
	nfc_ula_prefix(id, &prefix);
	g_assert_cmpstr(inet_ntop(AF_INET6, &prefix, buf, sizeof(buf)), ==, "fd12:3456:789a::");
	g_assert_cmpuint(prefix.s6_addr[0], ==, 0xfd);
	g_assert_cmpmem(&prefix.s6_addr[1], 5, id, 5);
	/* subnet id 0 and no interface bits */
	for (int i = 6; i < 16; i++)
		g_assert_cmpuint(prefix.s6_addr[i], ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ippool/overlap", test_overlap);
	g_test_add_func("/ippool/conflict", test_conflict);
	g_test_add_func("/ippool/pick", test_pick);
	g_test_add_func("/ippool/pick-wrap-to-self", test_pick_wrap_to_self);
	g_test_add_func("/ippool/pick-full", test_pick_full);
	g_test_add_func("/ippool/parse", test_parse);
	g_test_add_func("/ippool/ula", test_ula);
	return g_test_run();
}
