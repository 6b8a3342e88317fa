// SPDX-License-Identifier: GPL-2.0-or-later
/* Questions on the terminal for the agent: one at a time, answered
 * asynchronously (the main loop keeps serving the bus while the user
 * types). In interactive mode readline asks (interactive.c installs
 * ctl->ask); otherwise a prompt on stdout and a line of stdin. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"

typedef struct {
	GIOChannel *in;
	guint watch;
	gboolean echo_off;
	struct termios saved;
} StdinAsk;

static StdinAsk stdin_ask;

static void echo_restore(void)
{
	if (stdin_ask.echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &stdin_ask.saved);
	stdin_ask.echo_off = FALSE;
}

/* A secret typed on a terminal is not shown. */
static void echo_hide(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &stdin_ask.saved) != 0)
		return;
	t = stdin_ask.saved;
	t.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		stdin_ask.echo_off = TRUE;
}

void nfc_ctl_answer(NfcCtl *ctl, const char *answer)
{
	NfcCtlAnswer cb = ctl->answer_cb;
	gpointer data = ctl->answer_data;

	if (!cb)
		return;
	ctl->answer_cb = NULL;
	ctl->answer_data = NULL;
	cb(ctl, answer, data);
}

static gboolean on_stdin(GIOChannel *in, GIOCondition cond, gpointer data)
{
	NfcCtl *ctl = data;
	g_autofree char *line = NULL;
	gsize len = 0, end = 0;
	GIOStatus status = g_io_channel_read_line(in, &line, &len, &end, NULL);

	if (status == G_IO_STATUS_AGAIN)
		return G_SOURCE_CONTINUE;
	stdin_ask.watch = 0;
	if (stdin_ask.echo_off) {
		/* the newline the user typed was not echoed either */
		echo_restore();
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (status != G_IO_STATUS_NORMAL) {
		nfc_ctl_answer(ctl, NULL);
		return G_SOURCE_REMOVE;
	}
	line[end] = '\0';
	nfc_ctl_answer(ctl, line);
	return G_SOURCE_REMOVE;
}

static void ask_stdin(NfcCtl *ctl, const char *prompt, gboolean secret)
{
	if (!stdin_ask.in) {
		stdin_ask.in = g_io_channel_unix_new(STDIN_FILENO);
		/* bytes as typed: a passphrase need not be UTF-8 */
		g_io_channel_set_encoding(stdin_ask.in, NULL, NULL);
	}
	fputs(prompt, stdout);
	fflush(stdout);
	if (secret)
		echo_hide();
	stdin_ask.watch = g_io_add_watch(stdin_ask.in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin,
					 ctl);
}

void nfc_ctl_ask(NfcCtl *ctl, const char *prompt, gboolean secret, NfcCtlAnswer cb,
		 gpointer data)
{
	g_return_if_fail(!ctl->answer_cb);
	ctl->answer_cb = cb;
	ctl->answer_data = data;
	if (ctl->ask)
		ctl->ask(ctl, prompt, secret);
	else
		ask_stdin(ctl, prompt, secret);
}

void nfc_ctl_ask_cancel(NfcCtl *ctl)
{
	ctl->answer_cb = NULL;
	ctl->answer_data = NULL;
	if (ctl->ask_cancel)
		ctl->ask_cancel(ctl);
	if (stdin_ask.watch)
		g_source_remove(stdin_ask.watch);
	stdin_ask.watch = 0;
	echo_restore();
}

void nfc_ctl_ask_close(NfcCtl *ctl)
{
	nfc_ctl_ask_cancel(ctl);
	g_clear_pointer(&stdin_ask.in, g_io_channel_unref);
}
