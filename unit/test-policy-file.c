// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the policy file reader on its own: what it accepts, what it
 * refuses and how it says so (never quoting the file), its size cap and
 * what parsing a large file costs. */
#include <glib/gstdio.h>
#include <malloc.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy-file.h"

#define SECRET "SECRETghp0123456789abcdef"

static void test_format(void)
{
	g_autoptr(NfcPolicySet) set = nfc_policy_set_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	NfcIdentity id = { .uid = 1234, .gid = 1234, .gids = gids };
	g_autoptr(NfcPolicyConfig) c = NULL;

	/* BOM, comments, blanks, CRLF, spaces around '=', escapes */
	g_assert_true(nfc_policy_set_add_file(set, "a.policy",
		"\xef\xbb\xbf# users\r\n\r\n  [one two]  \r\n uid = 1234 \r\n"
		"AllowedBearers=ethernet\\swifi\r\nAllowedBearers=wifi\\tethernet\r\n"
		"Priority=true\r\nRoamingPolicy=home\n[x]\ngid=5\n", -1, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(nfc_policy_set_count(set), ==, 2);
	c = nfc_policy_set_lookup(set, &id);
	g_assert_nonnull(c);
	/* a repeated key: the last one wins, as in GLib's key files */
	g_assert_cmpstrv(c->settings.bearers, ((const char *const[]){ "wifi", "ethernet", NULL }));
	g_assert_true(c->priority);
	g_assert_cmpstr(c->roaming_policy, ==, "home");
	g_assert_cmpstr(c->source, ==, "a.policy [one two]");
	/* a text without a final newline, and one with a NUL byte via len */
	g_assert_true(nfc_policy_set_add_file(set, "b.policy", "[y]\nuid=7", -1, &error));
	g_assert_cmpuint(nfc_policy_set_count(set), ==, 3);
	g_assert_false(nfc_policy_set_add_file(set, "c.policy", "[z]\nuid=7\0x", 11, &error));
	g_assert_nonnull(strstr(error->message, "c.policy:2:"));
	g_assert_cmpuint(nfc_policy_set_count(set), ==, 3);
}

/* Each refusal names the file and line and what is wrong; no byte of the
 * file's text (here: SECRET) is quoted, and the set is unchanged. */
static void test_refusals_not_echoed(void)
{
	static const struct {
		const char *text;
		const char *where;
		const char *what;
	} bad[] = {
		{ SECRET "\n", "1", "not a [group]" },
		{ "# x\n" SECRET "=1\n", "2", "before the first [group]" },
		{ "[" SECRET "\n", "1", "bad [group] header" },
		{ "[a]\nuid=" SECRET "\n", "2", "no known user" },
		{ "[a]\ngid=" SECRET "\n", "2", "no known group" },
		{ "[a]\nuid=0\nAllowedBearers=ethernet " SECRET "\n", "3", "unknown bearer" },
		{ "[a]\nuid=0\nConnectionType=" SECRET "\n", "3", "ConnectionType" },
		{ "[a]\nuid=0\nAllowedInterface=" SECRET "\n", "3", "interface name" },
		{ "[a]\ncgroup=" SECRET "\n", "2", "must start with /" },
		{ "[a]\nuid=0\nPriority=" SECRET "\n", "3", "not true or false" },
		{ "[a]\nuid=0\nRoamingPolicy=\\q" SECRET "\n", "3", "escape" },
		{ "[" SECRET "]\nselinux=" SECRET "\n\n[x]\nuid=0\n[" SECRET "]\nuid=1\n", "6",
		  "repeated (line 1)" },
		{ "[a]\nRoamingPolicy=" SECRET "\n", "1", "matches nobody" },
		{ "[a]\nuid=0\n=" SECRET "\n", "3", "empty key" },
		{ "[a]\nuid=\xff" SECRET "\n", "2", "UTF-8" },
	};
	g_autoptr(NfcPolicySet) set = nfc_policy_set_new();

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *where = g_strdup_printf("bad.policy:%s:", bad[i].where);

		g_test_message("case %zu", i);
		g_assert_false(nfc_policy_set_add_file(set, "bad.policy", bad[i].text, -1, &error));
		g_assert_nonnull(error);
		g_assert_nonnull(strstr(error->message, where));
		g_assert_nonnull(strstr(error->message, bad[i].what));
		g_assert_null(strstr(error->message, "SECRET"));
		g_assert_cmpuint(nfc_policy_set_count(set), ==, 0);
	}
}

static char *make_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("nfc-policy-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void remove_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, n, NULL);

		g_assert_cmpint(g_unlink(p), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* A *.policy symlink to a file that is not a policy (its first line a
 * secret): skipped with a warning naming the file and line, in a child
 * whose stderr we read. */
static void test_symlink_not_echoed(void)
{
	if (g_test_subprocess()) {
		g_autofree char *dir = make_dir();
		g_autofree char *target = g_build_filename(dir, "token", NULL);
		g_autofree char *link = g_build_filename(dir, "50-shared.policy", NULL);
		g_autofree char *good = g_build_filename(dir, "10-good.policy", NULL);
		g_autoptr(NfcPolicySet) set = nfc_policy_set_new();

		g_assert_true(g_file_set_contents(target, SECRET "\nmore\n", -1, NULL));
		g_assert_true(g_file_set_contents(good, "[a]\nuid=0\n", -1, NULL));
		g_assert_cmpint(symlink(target, link), ==, 0);
		g_assert_cmpuint(nfc_policy_set_load_dir(set, dir), ==, 1);
		remove_dir(dir);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDIN);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("*50-shared.policy*:1: not a [group]*");
	g_test_trap_assert_stderr_unmatched("*SECRET*");
}

static gint64 cpu_us(void)
{
	struct timespec ts;

	g_assert_cmpint(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* A text of n bytes: groups of a numeric uid and a bearer each. */
static GString *big_policy(gsize n, guint *groups)
{
	GString *s = g_string_sized_new(n + 64);

	*groups = 0;
	while (s->len < n - 64)
		g_string_append_printf(s, "[g%u]\nuid=%u\nAllowedBearers=ethernet\n", *groups,
				       *groups), (*groups)++;
	return s;
}

/* Over NFC_POLICY_FILE_MAX: skipped with a warning, the others load. At
 * the cap: loaded, quickly, and what stays allocated is proportional to
 * the rules (GKeyFile kept ~24 bytes per byte of text). */
static void test_size_cap(void)
{
	if (g_test_subprocess()) {
		g_autofree char *dir = make_dir();
		g_autofree char *huge = g_build_filename(dir, "20-huge.policy", NULL);
		g_autofree char *full = g_build_filename(dir, "10-full.policy", NULL);
		g_autoptr(GString) over = NULL, at = NULL;
		g_autoptr(NfcPolicySet) set = nfc_policy_set_new();
		guint over_groups, at_groups;
		struct mallinfo2 before, after;
		gint64 start, took;

		over = big_policy(NFC_POLICY_FILE_MAX + 4096, &over_groups);
		g_assert_cmpuint(over->len, >, NFC_POLICY_FILE_MAX);
		g_assert_true(g_file_set_contents(huge, over->str, over->len, NULL));
		at = big_policy(NFC_POLICY_FILE_MAX, &at_groups);
		g_assert_cmpuint(at->len, <=, NFC_POLICY_FILE_MAX);
		g_assert_true(g_file_set_contents(full, at->str, at->len, NULL));
		before = mallinfo2();
		start = cpu_us();
		g_assert_cmpuint(nfc_policy_set_load_dir(set, dir), ==, 1);
		took = cpu_us() - start;
		after = mallinfo2();
		g_assert_cmpuint(nfc_policy_set_count(set), ==, at_groups);
		g_test_message("%u groups (%zu bytes) in %" G_GINT64_FORMAT " us of CPU, %zu bytes kept",
			       at_groups, at->len, took, after.uordblks - before.uordblks);
		/* figures only: speed and memory are the benches' to judge,
		 * never a timed test's (mallinfo2 counts nothing under ASan) */
		remove_dir(dir);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDIN);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("*20-huge.policy ignored: larger than 1048576 bytes*");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy-file/format", test_format);
	g_test_add_func("/policy-file/refusals-not-echoed", test_refusals_not_echoed);
	g_test_add_func("/policy-file/symlink-not-echoed", test_symlink_not_echoed);
	g_test_add_func("/policy-file/size-cap", test_size_cap);
	return g_test_run();
}
