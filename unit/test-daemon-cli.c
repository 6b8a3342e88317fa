// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: nfconnd's command line and configuration errors, run as a
 * real process. Everything here fails before the daemon touches the
 * network or the bus, so it needs no privileges. */
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int run(const char *args, char **out, char **err)
{
	g_autofree char *cmd = g_strdup_printf(NFC_BUILD_ROOT "/nfconnd %s", args);
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) error = NULL;
	int status = -1;

	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_version_and_help(void)
{
	g_autofree char *out = NULL, *err = NULL, *hout = NULL, *herr = NULL;

	g_assert_cmpint(run("--version", &out, &err), ==, 0);
	g_assert_true(g_regex_match_simple("^[0-9]+\\.[0-9]+\\.[0-9]+\\n$", out, 0, 0));
	g_assert_cmpint(run("--help", &hout, &herr), ==, 0);
	for (const char *opt = "--nodaemon\0--debug\0--config\0--state-dir\0--run-dir\0"
			       "--plugin\0--noplugin\0--bus\0--version\0"; *opt; opt += strlen(opt) + 1)
		g_assert_nonnull(strstr(hout, opt));
}

static void test_bad_option(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run("--frobnicate", &out, &err), ==, 1);
	g_assert_nonnull(strstr(err, "frobnicate"));
}

static void test_bad_bus(void)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run("-n --bus=nowhere", &out, &err), ==, 1);
	g_assert_nonnull(strstr(err, "--bus"));
}

/* nfconnd run with a main.conf holding text (in a fresh temporary
 * directory, returned: main.conf is still there) must exit 1 with each of
 * want on stderr, before it created any state. */
static char *assert_config_refused(const char *text, const char *const *want)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("nfc-cli-XXXXXX", &error);
	g_autofree char *conf = NULL, *args = NULL, *state = NULL;
	g_autofree char *out = NULL, *err = NULL;

	g_assert_no_error(error);
	conf = g_build_filename(dir, "main.conf", NULL);
	args = g_strdup_printf("-n -c %s --state-dir %s/state", conf, dir);
	state = g_build_filename(dir, "state", NULL);
	g_file_set_contents(conf, text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(run(args, &out, &err), ==, 1);
	for (; *want; want++)
		g_assert_nonnull(strstr(err, *want));
	/* it stopped before creating any state */
	g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
	return dir;
}

static void test_bad_config(void)
{
	static const char *const want[] = { "OnlineCheckMode", "none, one-shot, continuous", NULL };
	g_autofree char *dir = assert_config_refused("[General]\nOnlineCheckMode=often\n", want);
	g_autofree char *conf = g_build_filename(dir, "main.conf", NULL);
	g_autofree char *args = g_strdup_printf("-n -c %s --state-dir %s/state", conf, dir);
	g_autofree char *out = NULL, *err = NULL;

	/* an explicitly named file that does not exist is an error too */
	g_unlink(conf);
	g_assert_cmpint(run(args, &out, &err), ==, 1);
	g_assert_nonnull(strstr(err, "main.conf"));
	g_rmdir(dir);
}

/* A routing range over the kernel's tables stops nfconnd before it clears
 * "leftovers" there, with the reason on stderr and exit status 1. */
static void test_dangerous_routing(void)
{
	static const char *const want[] = { "RoutingTableBase=250", "main (254)", NULL };
	g_autofree char *dir = assert_config_refused("[General]\nRoutingTableBase=250\n", want);
	g_autofree char *conf = g_build_filename(dir, "main.conf", NULL);

	g_unlink(conf);
	g_rmdir(dir);
}

/* -c naming a file that is not a main.conf (a secret, say) is refused
 * with the line number, and no byte of the file reaches the log. */
static void test_config_not_echoed(void)
{
	static const char *const texts[] = {
		"sk-live-SECRET0123456789abcdef\nsecond line\n",
		"[General]\nBackgroundScanning=SECRET0123456789abcdef\n",
		"# a comment\n[General]\nSECRET0123456789abcdef\n",
	};
	static const char *const want[] = { "main.conf", NULL };

	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *dir = g_dir_make_tmp("nfc-cli-XXXXXX", &error);
		g_autofree char *conf = g_build_filename(dir, "main.conf", NULL);
		g_autofree char *args = g_strdup_printf("-n -c %s --state-dir %s/state", conf, dir);
		g_autofree char *out = NULL, *err = NULL;

		g_assert_no_error(error);
		g_file_set_contents(conf, texts[i], -1, &error);
		g_assert_no_error(error);
		g_assert_cmpint(run(args, &out, &err), ==, 1);
		for (const char *const *w = want; *w; w++)
			g_assert_nonnull(strstr(err, *w));
		g_assert_null(strstr(err, "SECRET"));
		g_assert_null(strstr(out, "SECRET"));
		if (i != 1)
			g_assert_nonnull(strstr(err, i == 0 ? "line 1" : "line 3"));
		g_unlink(conf);
		g_rmdir(dir);
	}
}

/* -c naming a FIFO (nobody writing) or a directory: refused at once,
 * exit 1, instead of blocking start-up in open() forever. */
static void test_config_not_regular(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("nfc-cli-XXXXXX", &error);
	g_autofree char *fifo = g_build_filename(dir, "main.conf", NULL);
	const char *paths[] = { fifo, dir };

	g_assert_no_error(error);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autofree char *args = g_strdup_printf("-n -c %s --state-dir %s/state", paths[i], dir);
		g_autofree char *out = NULL, *err = NULL;

		g_assert_cmpint(run(args, &out, &err), ==, 1);
		g_assert_nonnull(strstr(err, "not a regular file"));
	}
	g_unlink(fifo);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/daemon-cli/version-help", test_version_and_help);
	g_test_add_func("/daemon-cli/bad-option", test_bad_option);
	g_test_add_func("/daemon-cli/bad-bus", test_bad_bus);
	g_test_add_func("/daemon-cli/bad-config", test_bad_config);
	g_test_add_func("/daemon-cli/dangerous-routing", test_dangerous_routing);
	g_test_add_func("/daemon-cli/config-not-echoed", test_config_not_echoed);
	g_test_add_func("/daemon-cli/config-not-regular", test_config_not_regular);
	return g_test_run();
}
