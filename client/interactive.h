/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interactive mode: a readline prompt on the GLib main loop, so monitor and
 * session output can arrive while the user types. */
#pragma once

#include "ctl.h"

/* Runs until exit, quit or end of input; returns the exit status. */
int nfc_ctl_interactive(NfcCtl *ctl);

/* Splits a command line into words (shell-like quoting); NULL with the
 * error on unbalanced quotes, an empty vector for a blank line. */
char **nfc_ctl_split_line(const char *line, GError **error);
