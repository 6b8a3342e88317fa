// SPDX-License-Identifier: GPL-2.0-or-later
/* nfconnctl: the command line client of nfconnd (and of ConnMan). One
 * command from the arguments, commands from stdin when it is not a
 * terminal, or an interactive prompt. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "ctl.h"
#include "interactive.h"
#include "nfconn-build.h"
#include "parse.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: nfconnctl [--json] [--bus ADDRESS] [COMMAND [ARGS...]]\n"
		     "Without a command: an interactive prompt on a terminal, else one command\n"
		     "per line from stdin. 'nfconnctl help' lists the commands.\n");
}

/* "--complete WORD... CUR": the candidates for CUR after the complete
 * WORDs, one a line, from the same table and code as interactive mode
 * (the bash completion asks this). Ids come from the daemon if it runs. */
static int complete(GDBusConnection *bus, char **words, int n)
{
	g_autoptr(NfcCtl) ctl = bus ? nfc_ctl_new(bus) : NULL;
	g_auto(GStrv) before = g_new0(char *, n > 0 ? n : 1);
	g_auto(GStrv) services = NULL, techs = NULL, got = NULL;

	for (int i = 0; i + 1 < n; i++)
		before[i] = g_strdup(words[i]);
	if (ctl && before[0]) {
		services = nfc_ctl_list_ids(ctl, TRUE);
		techs = nfc_ctl_list_ids(ctl, FALSE);
	}
	got = nfc_ctl_complete(before, n > 0 ? words[n - 1] : "", services, techs);
	for (gsize i = 0; got[i]; i++)
		printf("%s\n", got[i]);
	return NFC_CTL_OK;
}

static gboolean on_quit_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

/* Keeps running for monitor and session until SIGINT or SIGTERM; the
 * session is destroyed on the way out. */
static void run_loop(NfcCtl *ctl)
{
	guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, ctl->loop);
	guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, ctl->loop);

	g_main_loop_run(ctl->loop);
	g_source_remove(sigint);
	g_source_remove(sigterm);
}

static int run_stdin(NfcCtl *ctl)
{
	g_autoptr(GIOChannel) in = g_io_channel_unix_new(STDIN_FILENO);
	int status = NFC_CTL_OK;
	char *line = NULL;
	gsize len = 0;

	/* no prompt: commands come from a script or a pipe */
	while (g_io_channel_read_line(in, &line, &len, NULL, NULL) == G_IO_STATUS_NORMAL) {
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) words = nfc_ctl_split_line(line, &error);
		int s;

		g_free(line);
		if (!words) {
			status = nfc_ctl_fail(NFC_CTL_USAGE, "input", "%s", error->message);
			continue;
		}
		if (words[0] && (g_str_equal(words[0], "exit") || g_str_equal(words[0], "quit")))
			break;
		s = nfc_ctl_run(ctl, words);
		if (s != NFC_CTL_OK)
			status = s;
	}
	return status;
}

int main(int argc, char **argv)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(NfcCtl) ctl = NULL;
	g_autoptr(GError) error = NULL;
	const char *address = NULL;
	gboolean json = FALSE, completing = FALSE;
	int status;
	int i = 1;

	/* global options come before the command; --json may also follow
	 * it, as it is no option of any command */
	for (; i < argc; i++) {
		if (g_str_equal(argv[i], "--json")) {
			json = TRUE;
		} else if (g_str_equal(argv[i], "--bus") && i + 1 < argc) {
			address = argv[++i];
		} else if (g_str_has_prefix(argv[i], "--bus=")) {
			address = argv[i] + strlen("--bus=");
		} else if (g_str_equal(argv[i], "-h") || g_str_equal(argv[i], "--help")) {
			usage(stdout);
			nfc_ctl_help();
			return NFC_CTL_OK;
		} else if (g_str_equal(argv[i], "--complete")) {
			completing = TRUE;
			i++;
			break;
		} else if (g_str_equal(argv[i], "--version")) {
			printf("nfconnctl " PACKAGE_VERSION "\n");
			return NFC_CTL_OK;
		} else if (argv[i][0] == '-' && argv[i][1] == '-' && !nfc_ctl_command_find(argv[i])) {
			fprintf(stderr, "Error '%s': Unknown option\n", argv[i]);
			usage(stderr);
			return NFC_CTL_USAGE;
		} else {
			break;
		}
	}
	for (; i < argc && !completing; i++)
		if (!g_str_equal(argv[i], "--json"))
			g_ptr_array_add(args, argv[i]);
		else
			json = TRUE;
	g_ptr_array_add(args, NULL);

	if (args->len > 1 && !nfc_ctl_command_find(args->pdata[0]))
		return nfc_ctl_fail(NFC_CTL_USAGE, args->pdata[0], "Unknown command");
	/* help needs no daemon */
	if (args->len > 1 && g_str_equal(args->pdata[0], "help")) {
		nfc_ctl_help();
		return NFC_CTL_OK;
	}

	if (address)
		bus = g_dbus_connection_new_for_address_sync(
			address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	else
		bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (completing)
		return complete(bus, argv + i, argc - i);
	if (!bus)
		return nfc_ctl_fail(NFC_CTL_FAILED, "bus", "cannot connect: %s", error->message);
	/* a lost bus ends monitor and session instead of killing us */
	g_dbus_connection_set_exit_on_close(bus, FALSE);

	ctl = nfc_ctl_new(bus);
	ctl->json = json;
	if (args->len > 1) {
		status = nfc_ctl_run(ctl, (char **)args->pdata);
	} else if (isatty(STDIN_FILENO)) {
		return nfc_ctl_interactive(ctl);
	} else {
		status = run_stdin(ctl);
	}
	if (status == NFC_CTL_OK && ctl->keep_running)
		run_loop(ctl);
	return status;
}
