// SPDX-License-Identifier: GPL-2.0-or-later
/* Interactive mode with readline; see interactive.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "interactive.h"
#include "parse.h"

#define PROMPT "nfconnctl> "

/* readline's callbacks carry no user data */
static NfcCtl *current;
static gboolean done;
/* in on_line: readline shows the prompt itself when it returns */
static gboolean in_line;

char **nfc_ctl_split_line(const char *line, GError **error)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(line));
	char **words = NULL;

	if (!*trimmed)
		return g_new0(char *, 1);
	if (!g_shell_parse_argv(trimmed, NULL, &words, error))
		return NULL;
	return words;
}

static void print_async(NfcCtl *ctl, const char *text)
{
	/* clear the prompt and what was typed, print, then redraw it */
	char *saved = rl_copy_text(0, rl_end);
	int point = rl_point;

	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();
	fputs(text, stdout);
	fflush(stdout);
	rl_restore_prompt();
	rl_replace_line(saved, 0);
	rl_point = point;
	rl_forced_update_display();
	free(saved);
}

/* A question of the agent (ask.c) takes over the prompt until the
 * answer; a secret is not shown while it is typed. */
static void hidden_redisplay(void)
{
	fprintf(rl_outstream, "\r%s", rl_display_prompt);
	fflush(rl_outstream);
}

static void ask(NfcCtl *ctl, const char *prompt, gboolean secret)
{
	rl_set_prompt(prompt);
	rl_replace_line("", 0);
	rl_redisplay_function = secret ? hidden_redisplay : rl_redisplay;
	if (!in_line)
		rl_forced_update_display();
}

static void ask_cancel(NfcCtl *ctl)
{
	if (rl_redisplay_function == rl_redisplay && g_strcmp0(rl_prompt, PROMPT) == 0)
		return;
	rl_redisplay_function = rl_redisplay;
	rl_set_prompt(PROMPT);
	if (!in_line)
		rl_forced_update_display();
}

static gboolean on_answer(char *line)
{
	if (!current->answer_cb)
		return FALSE;
	/* never in the history: it may be a passphrase */
	if (rl_redisplay_function != rl_redisplay)
		printf("\n");
	rl_redisplay_function = rl_redisplay;
	rl_set_prompt(PROMPT);
	nfc_ctl_answer(current, line);
	free(line);
	return TRUE;
}

static void on_line(char *line)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) words = NULL;
	gboolean answered;

	in_line = TRUE;
	answered = on_answer(line);
	in_line = FALSE;
	if (answered)
		return;
	if (!line) {
		/* end of input */
		printf("\n");
		done = TRUE;
		g_main_loop_quit(current->loop);
		return;
	}
	if (*line)
		add_history(line);
	words = nfc_ctl_split_line(line, &error);
	free(line);
	if (!words) {
		fprintf(stderr, "Error: %s\n", error->message);
		return;
	}
	if (words[0] && (g_str_equal(words[0], "exit") || g_str_equal(words[0], "quit"))) {
		done = TRUE;
		rl_callback_handler_remove();
		g_main_loop_quit(current->loop);
		return;
	}
	in_line = TRUE;
	nfc_ctl_run(current, words);
	in_line = FALSE;
}

static char **candidates;
static gsize candidate_index;

static char *generator(const char *text, int state)
{
	if (!candidates || !candidates[candidate_index])
		return NULL;
	/* readline frees what it gets */
	return strdup(candidates[candidate_index++]);
}

static char **complete(const char *text, int start, int end)
{
	g_autofree char *before_text = g_strndup(rl_line_buffer, start);
	g_auto(GStrv) before = nfc_ctl_split_line(before_text, NULL);
	g_auto(GStrv) services = NULL, techs = NULL;

	rl_attempted_completion_over = 1;
	if (!before)
		return NULL;
	if (before[0]) {
		services = nfc_ctl_list_ids(current, TRUE);
		techs = nfc_ctl_list_ids(current, FALSE);
	}
	g_clear_pointer(&candidates, g_strfreev);
	candidates = nfc_ctl_complete(before, text, services, techs);
	candidate_index = 0;
	return rl_completion_matches(text, generator);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
	rl_callback_read_char();
	return done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

int nfc_ctl_interactive(NfcCtl *ctl)
{
	guint watch;

	current = ctl;
	ctl->interactive = TRUE;
	ctl->print_async = print_async;
	ctl->ask = ask;
	ctl->ask_cancel = ask_cancel;
	rl_readline_name = "nfconnctl";
	rl_attempted_completion_function = complete;
	rl_callback_handler_install(PROMPT, on_line);
	watch = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
	g_main_loop_run(ctl->loop);
	if (!done)
		g_source_remove(watch);
	rl_callback_handler_remove();
	g_clear_pointer(&candidates, g_strfreev);
	ctl->print_async = NULL;
	ctl->ask = NULL;
	ctl->ask_cancel = NULL;
	current = NULL;
	return NFC_CTL_OK;
}
