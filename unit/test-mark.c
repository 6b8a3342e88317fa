// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the mark layout (firewall/firewall.h): validation,
 * composing and splitting marks, and refusing bad input before any
 * backend is involved. */
#include <errno.h>

#include <glib.h>

#include "firewall.h"

static void test_validate(void)
{
	struct {
		NfcMarkLayout layout;
		gboolean ok;
	} cases[] = {
		{ { 8, 16, 16, 0 }, TRUE },     /* routing 0x00ff0000, session 0x0000ffff */
		{ { 4, 28, 28, 0 }, TRUE },     /* all 32 bits */
		{ { 1, 31, 1, 0 }, TRUE },
		{ { 0, 16, 16, 0 }, FALSE },    /* empty routing field */
		{ { 8, 16, 0, 0 }, FALSE },     /* empty session field */
		{ { 8, 25, 16, 0 }, FALSE },    /* routing beyond bit 31 */
		{ { 8, 32, 16, 0 }, FALSE },
		{ { 8, 0, 33, 0 }, FALSE },
		{ { 8, 8, 16, 0 }, FALSE },     /* overlap */
		{ { 32, 0, 1, 0 }, FALSE },     /* overlap: routing takes everything */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gboolean ok = nfc_mark_layout_validate(&cases[i].layout, &error);

		g_assert_cmpint(ok, ==, cases[i].ok);
		if (!ok)
			g_assert_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_INVALID_LAYOUT);
		else
			g_assert_no_error(error);
	}
}

static void test_masks(void)
{
	NfcMarkLayout l = { .routing_bits = 8, .routing_shift = 16,
			    .session_bits = 16, .session_shift = 0 };
	NfcMarkLayout full = { 4, 28, 28, 0 };

	g_assert_cmphex(nfc_mark_layout_routing_mask(&l), ==, 0x00ff0000);
	g_assert_cmphex(nfc_mark_layout_session_mask(&l), ==, 0x0000ffff);
	g_assert_cmphex(nfc_mark_layout_mask(&l), ==, 0x00ffffff);
	g_assert_cmpuint(nfc_mark_layout_routing_max(&l), ==, 255);
	g_assert_cmpuint(nfc_mark_layout_session_max(&l), ==, 65535);
	g_assert_cmphex(nfc_mark_layout_mask(&full), ==, 0xffffffff);
	g_assert_cmpuint(nfc_mark_layout_routing_max(&full), ==, 15);
}

static void test_compose(void)
{
	NfcMarkLayout l = { .routing_bits = 8, .routing_shift = 16,
			    .session_bits = 16, .session_shift = 0 };
	NfcMarkLayout hi = { .routing_bits = 4, .routing_shift = 0,
			     .session_bits = 12, .session_shift = 20 };
	uint32_t mark = 0xdeadbeef;

	g_assert_true(nfc_mark_compose(&l, 3, 0x1234, &mark));
	g_assert_cmphex(mark, ==, 0x00031234);
	g_assert_cmpuint(nfc_mark_routing(&l, mark), ==, 3);
	g_assert_cmpuint(nfc_mark_session(&l, mark), ==, 0x1234);
	/* foreign bits are ignored when splitting */
	g_assert_cmpuint(nfc_mark_routing(&l, mark | 0xff000000), ==, 3);
	g_assert_cmpuint(nfc_mark_session(&l, mark | 0xff000000), ==, 0x1234);

	g_assert_true(nfc_mark_compose(&l, 255, 65535, &mark));
	g_assert_cmphex(mark, ==, 0x00ffffff);
	mark = 7;
	g_assert_false(nfc_mark_compose(&l, 256, 1, &mark));
	g_assert_false(nfc_mark_compose(&l, 1, 65536, &mark));
	g_assert_cmphex(mark, ==, 7); /* untouched on failure */

	g_assert_true(nfc_mark_compose(&hi, 9, 0xabc, &mark));
	g_assert_cmphex(mark, ==, 0xabc00009);
	g_assert_cmpuint(nfc_mark_routing(&hi, mark), ==, 9);
	g_assert_cmpuint(nfc_mark_session(&hi, mark), ==, 0xabc);

	/* round trip over the whole session range edge */
	for (uint32_t s = 0; s < 4096; s += 511) {
		g_assert_true(nfc_mark_compose(&hi, 15, s, &mark));
		g_assert_cmpuint(nfc_mark_session(&hi, mark), ==, s);
		g_assert_cmpuint(nfc_mark_routing(&hi, mark), ==, 15);
	}
}

static void test_new_rejects_bad_layout(void)
{
	NfcFirewallConfig config = { .layout = { 8, 8, 16, 0 } };
	NfcFirewall *fw = NULL;

	/* refused before the backend opens anything */
	g_assert_cmpint(nfc_firewall_new(&nfc_firewall_nft_ops, &config, &fw), ==, -EINVAL);
	g_assert_null(fw);
}

static void test_cgroup_resolve_rejects(void)
{
	uint64_t id = 0;
	unsigned int level = 0;

	g_assert_cmpint(nfc_cgroup_resolve("/nonexistent/nfconn", &id, &level), ==, -ENOENT);
	/* not a cgroup2 directory */
	g_assert_cmpint(nfc_cgroup_resolve("/", &id, &level), ==, -ENOTDIR);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mark/validate", test_validate);
	g_test_add_func("/mark/masks", test_masks);
	g_test_add_func("/mark/compose", test_compose);
	g_test_add_func("/mark/new-rejects-bad-layout", test_new_rejects_bad_layout);
	g_test_add_func("/mark/cgroup-resolve-rejects", test_cgroup_resolve_rejects);
	return g_test_run();
}
