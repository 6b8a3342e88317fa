// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: which of a link's global IPv6 addresses a service reports
 * (nfc_ipv6_choose): the current one while usable, else the best left. */
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <string.h>

#include <glib.h>

#include "ipconfig.h"

static NfcRtnlAddr addr(const char *a, uint32_t flags, uint32_t preferred)
{
	NfcRtnlAddr r = { .family = AF_INET6, .index = 2, .prefixlen = 64, .flags = flags,
			  .valid_lft = 0xffffffff, .preferred_lft = preferred };

	g_assert_cmpint(inet_pton(AF_INET6, a, &r.address.v6), ==, 1);
	return r;
}

static struct in6_addr in6(const char *a)
{
	struct in6_addr r;

	g_assert_cmpint(inet_pton(AF_INET6, a, &r), ==, 1);
	return r;
}

static void test_none(void)
{
	struct in6_addr cur = in6("2001:db8::1");

	g_assert_cmpint(nfc_ipv6_choose(NULL, 0, NULL), ==, -1);
	g_assert_cmpint(nfc_ipv6_choose(NULL, 0, &cur), ==, -1);
}

static void test_order(void)
{
	NfcRtnlAddr a[] = {
		addr("2001:db8::1", IFA_F_DEPRECATED, 0),           /* deprecated */
		addr("2001:db8::2", 0, 0),                          /* preferred 0: deprecated */
		addr("2001:db8::3", IFA_F_TEMPORARY, 0xffffffff),   /* temporary */
		addr("2001:db8::4", 0, 100),                        /* stable, short */
		addr("2001:db8::5", 0, 3600),                       /* stable, longest */
	};

	/* stable before temporary, then the longest preferred lifetime */
	g_assert_cmpint(nfc_ipv6_choose(a, 5, NULL), ==, 4);
	g_assert_cmpint(nfc_ipv6_choose(a, 4, NULL), ==, 3);
	/* a temporary one before a deprecated one */
	g_assert_cmpint(nfc_ipv6_choose(a, 3, NULL), ==, 2);
	/* deprecated is better than nothing */
	g_assert_cmpint(nfc_ipv6_choose(a, 1, NULL), ==, 0);
}

static void test_sticky(void)
{
	NfcRtnlAddr a[] = {
		addr("2001:db8::1", 0, 100),
		addr("2001:db8::2", 0, 3600),
		addr("2001:db8::3", IFA_F_DEPRECATED, 0),
		addr("2001:db8::4", IFA_F_DEPRECATED, 0),
	};
	struct in6_addr one = in6("2001:db8::1"), three = in6("2001:db8::3"),
			gone = in6("2001:db8::9");

	/* the current one stays while usable, though another lives longer */
	g_assert_cmpint(nfc_ipv6_choose(a, 4, &one), ==, 0);
	/* the current one gone: the best left */
	g_assert_cmpint(nfc_ipv6_choose(a, 4, &gone), ==, 1);
	/* the current one deprecated: the best left, unless no better */
	g_assert_cmpint(nfc_ipv6_choose(a, 4, &three), ==, 1);
	g_assert_cmpint(nfc_ipv6_choose(a + 2, 2, &three), ==, 0);
}

/* RDNSS/DNSSL entries: added, refreshed, withdrawn, expired, capped. */
static void test_ra_list(void)
{
	g_autoptr(GArray) l = g_array_new(FALSE, TRUE, sizeof(NfcRaEntry));
	const gint64 s = G_USEC_PER_SEC;
	gint64 next;

	g_assert_true(nfc_ra_list_update(l, "2001:db8::53", 10, 0, 2));
	/* heard again: refreshed, no change */
	g_assert_false(nfc_ra_list_update(l, "2001:db8::53", 10, 5 * s, 2));
	g_assert_true(nfc_ra_list_update(l, "2001:db8::54", 0xffffffff, 5 * s, 2));
	/* full: a third is dropped */
	g_assert_false(nfc_ra_list_update(l, "2001:db8::55", 10, 5 * s, 2));
	g_assert_cmpuint(l->len, ==, 2);
	/* the refresh counts: not due at 10 s, due at 15 s; forever never */
	g_assert_false(nfc_ra_list_expire(l, 10 * s, &next));
	g_assert_cmpint(next, ==, 15 * s);
	g_assert_true(nfc_ra_list_expire(l, 15 * s, &next));
	g_assert_cmpint(next, ==, G_MAXINT64);
	g_assert_cmpuint(l->len, ==, 1);
	g_assert_cmpstr(g_array_index(l, NfcRaEntry, 0).value, ==, "2001:db8::54");
	/* lifetime 0: withdrawn; of one we do not have: nothing */
	g_assert_true(nfc_ra_list_update(l, "2001:db8::54", 0, 20 * s, 2));
	g_assert_false(nfc_ra_list_update(l, "2001:db8::54", 0, 20 * s, 2));
	g_assert_cmpuint(l->len, ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ipconfig/ipv6-choose/none", test_none);
	g_test_add_func("/ipconfig/ipv6-choose/order", test_order);
	g_test_add_func("/ipconfig/ipv6-choose/sticky", test_sticky);
	g_test_add_func("/ipconfig/ra-list", test_ra_list);
	return g_test_run();
}
