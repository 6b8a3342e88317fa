/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfconnctl's pure logic: the command table, argument checks, turning
 * "config" and "session" options into D-Bus values, completion candidates
 * and the readable text for daemon errors. No bus access here, so the unit
 * tier tests all of it. */
#pragma once

#include <gio/gio.h>

/* Exit statuses (documented in nfconnctl(1)). */
enum {
	NFC_CTL_OK = 0,
	NFC_CTL_FAILED = 1,       /* the daemon or the bus reported an error */
	NFC_CTL_USAGE = 2,        /* bad command line */
	NFC_CTL_UNSUPPORTED = 3,  /* an nfconnd extension this daemon lacks */
};

/* What completes a command's first argument, beside its keywords. */
typedef enum {
	NFC_CTL_ARG_WORDS,	/* only the keywords */
	NFC_CTL_ARG_SERVICE,	/* service ids */
	NFC_CTL_ARG_TECH,	/* technology names */
} NfcCtlArgKind;

/* One entry of the command table: dispatch (argument counts and checks),
 * help and completion all read it. */
typedef struct {
	const char *name;
	const char *args;
	const char *help;
	gboolean query;		/* has --json output */
	guint min, max;		/* number of arguments */
	guint ids;		/* this many leading arguments must be valid ids */
	NfcCtlArgKind first;	/* completes the first argument ... */
	const char *const *words; /* ... with these keywords after the ids */
} NfcCtlCommand;

/* NULL-terminated by a zeroed entry. A command with two forms (tether)
 * has one entry per form, next to each other; find gives the first. */
extern const NfcCtlCommand nfc_ctl_commands[];
const NfcCtlCommand *nfc_ctl_command_find(const char *name);

/* Checks argv (argv[0] the command) against the table: 0, or
 * NFC_CTL_USAGE with the message connmanctl gives in *message. */
int nfc_ctl_check_args(char **argv, const char **message);

/* on yes true enable y t 1 / off no false disable n f 0, any case. */
gboolean nfc_ctl_parse_bool(const char *word, gboolean *value);
/* Service, technology and session-less ids: [A-Za-z0-9_]+ */
gboolean nfc_ctl_valid_id(const char *id);

/* "--name" or "name" → "name" when name is one of options, else NULL. */
const char *nfc_ctl_option_name(const char *word, const char *const *options);

extern const char *const nfc_ctl_config_options[];
extern const char *const nfc_ctl_session_options[];

/* One change from "config ID …": property NULL means Service.Remove(). */
typedef struct {
	char *property;
	GVariant *value;
} NfcCtlChange;

/* Parses the options after "config ID" into a GPtrArray of NfcCtlChange
 * (in order). Fails with G_OPTION_ERROR on bad usage. */
GPtrArray *nfc_ctl_parse_config(char **args, GError **error);

/* Parses session options ("bearers …", "type …", "ifname …", "srciprule
 * …", "ctxid …") into property name → value changes, as for CreateSession
 * (a{sv}) or one Session.Change each. */
GPtrArray *nfc_ctl_parse_session(char **args, GError **error);
/* The changes as a{sv} (floating). */
GVariant *nfc_ctl_changes_to_dict(GPtrArray *changes);

/* Readable one-line text for a failed call. thing names the object
 * ("Service ethernet_…_cable") for "… is not available". */
char *nfc_ctl_error_text(const GError *error, const char *thing);
/* The remote error says the method or interface is not there. */
gboolean nfc_ctl_error_is_unknown_method(const GError *error);

/* Completion: candidates for the word being typed (text) given the
 * complete words before it. services and techs are ids (may be NULL). */
char **nfc_ctl_complete(char **before, const char *text, char **services, char **techs);
