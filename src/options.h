/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfconnd's command line, ConnMan-compatible where the option exists. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct {
	bool nodaemon;
	char *debug;        /* NULL: off; "": everything; else comma-separated globs */
	char *config_file;
	bool config_given;  /* -c was used: a missing file is then an error */
	char *state_dir;
	char *run_dir;
	char *plugins;      /* -p: comma-separated globs, NULL = all */
	char *noplugins;    /* -P */
	char *bus;          /* "system", "session" or a D-Bus address */
	bool version;
} NfcOptions;

void nfc_options_free(NfcOptions *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcOptions, nfc_options_free)

/* Parses and consumes argv. --help prints and exits as GOption does. */
NfcOptions *nfc_options_parse(int *argc, char ***argv, GError **error);
