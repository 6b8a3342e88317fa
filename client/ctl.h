/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfconnctl's state and the commands that talk to the daemon: one NfcCtl
 * per process, shared by one-shot and interactive mode. */
#pragma once

#include <gio/gio.h>

#include "nfc-dbus.h"

#define NFC_CTL_SERVICE "net.connman"
/* generous: Connect waits until the service is connected or failed */
#define NFC_CTL_TIMEOUT_MS 120000

/* Extensions of nfconnd beyond the ConnMan API (see nfconnctl(1)). */
#define NFC_CTL_EXT_MANAGER "net.nfconn.Manager"
#define NFC_CTL_EXT_SESSION_STATS "net.nfconn.SessionStats"
#define NFC_CTL_EXT_TETHERING "net.nfconn.Tethering"

typedef struct NfcCtl NfcCtl;
/* The answer to a question (nfc_ctl_ask), NULL at the end of input. */
typedef void (*NfcCtlAnswer)(NfcCtl *ctl, const char *answer, gpointer data);
typedef struct NfcCtlAgent NfcCtlAgent;

struct NfcCtl {
	GDBusConnection *bus;
	gboolean json;
	gboolean interactive;
	/* one-shot mode: the main loop keeps running for monitor/session */
	gboolean keep_running;
	GMainLoop *loop;
	/* prints output that arrives while a prompt may be shown */
	void (*print_async)(NfcCtl *ctl, const char *text);

	/* session */
	NfcDbusNotification *notifier;
	char *notifier_path;
	char *session_path;
	gboolean session_connected;
	gboolean session_print;	/* Updates are shown (session on, monitor session) */

	/* monitor subscriptions */
	GArray *subscriptions;

	/* agent.c: the registered agent, or NULL */
	NfcCtlAgent *agent;
	/* ask.c: the question waiting for its answer; interactive mode
	 * asks through readline with these */
	NfcCtlAnswer answer_cb;
	gpointer answer_data;
	void (*ask)(NfcCtl *ctl, const char *prompt, gboolean secret);
	void (*ask_cancel)(NfcCtl *ctl);
};

NfcCtl *nfc_ctl_new(GDBusConnection *bus);
void nfc_ctl_free(NfcCtl *ctl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcCtl, nfc_ctl_free)

/* Runs one command line (argv[0] is the command). Returns an exit status;
 * messages for failures are already on stderr. */
int nfc_ctl_run(NfcCtl *ctl, char **argv);

/* Prints "Error <what>: <text>" and returns status. */
int nfc_ctl_fail(int status, const char *what, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The same for a failed D-Bus call; UnknownMethod/UnknownInterface on an
 * extension method give NFC_CTL_UNSUPPORTED. */
int nfc_ctl_fail_call(const char *what, const char *thing, const GError *error);

void nfc_ctl_print_async(NfcCtl *ctl, const char *text);

/* session.c */
int nfc_ctl_session(NfcCtl *ctl, char **args);
void nfc_ctl_session_close(NfcCtl *ctl);
/* commands.c: net.nfconn.SessionStats.GetStats on path */
int nfc_ctl_session_stats(NfcCtl *ctl, const char *path);
/* session.c: a session that only reports, for "monitor session" */
int nfc_ctl_session_monitor(NfcCtl *ctl);
/* monitor.c */
int nfc_ctl_monitor(NfcCtl *ctl, char **args);
void nfc_ctl_monitor_stop(NfcCtl *ctl);

/* agent.c: "agent on|off"; stop unregisters on the way out */
int nfc_ctl_agent(NfcCtl *ctl, char **argv);
void nfc_ctl_agent_stop(NfcCtl *ctl);
/* ask.c: one question at a time on the terminal (secret: not shown);
 * cb gets the line typed. Cancel drops the question unanswered. */
void nfc_ctl_ask(NfcCtl *ctl, const char *prompt, gboolean secret, NfcCtlAnswer cb,
		 gpointer data);
void nfc_ctl_ask_cancel(NfcCtl *ctl);
void nfc_ctl_ask_close(NfcCtl *ctl);
/* hands a line to the waiting question (interactive.c) */
void nfc_ctl_answer(NfcCtl *ctl, const char *answer);

/* Ids for completion, from the daemon (NULL-terminated, may be empty). */
char **nfc_ctl_list_ids(NfcCtl *ctl, gboolean services);

void nfc_ctl_help(void);
