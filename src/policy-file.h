/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session policy files (*.policy): parsed into a set of rules, matched
 * against an identity. The session_policy_local plugin
 * (plugins/policy-local.c) watches the directory and applies the set. */
#pragma once

#include <glib.h>

#include "policy.h"

typedef struct NfcPolicySet NfcPolicySet;

NfcPolicySet *nfc_policy_set_new(void);
void nfc_policy_set_free(NfcPolicySet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcPolicySet, nfc_policy_set_free)

/* Policy files larger than this are skipped with a warning: a policy is a
 * few lines per application, and parsing stays on the main loop. */
#define NFC_POLICY_FILE_MAX (1024 * 1024)

/* Add one file's text (len -1: NUL-terminated). The format is GLib's key
 * file ([group], key=value, # comments, \s \n \t \r \\ escapes); a group
 * name may appear once. A bad file is refused whole, the set left as it
 * was; the error gives the file name, the line and what is wrong, never
 * the text of the line. */
gboolean nfc_policy_set_add_file(NfcPolicySet *set, const char *name, const char *text,
				 gssize len, GError **error);
/* Every *.policy file of a directory, in name order; bad ones (and any
 * that is not a regular file, e.g. a FIFO, or is larger than
 * NFC_POLICY_FILE_MAX) are logged and skipped.
 * Returns how many files were loaded. */
guint nfc_policy_set_load_dir(NfcPolicySet *set, const char *dir);
guint nfc_policy_set_count(NfcPolicySet *set);

/* The policy for an identity, or NULL: label, then cgroup (the longest
 * matching pattern), then uid, then gid (primary first); ties go to the
 * first file in name order, then the first group in the file. */
NfcPolicyConfig *nfc_policy_set_lookup(NfcPolicySet *set, const NfcIdentity *identity);

/* The debounce of the directory watch: how many ms from now (now_us) to
 * apply, given the first event not yet applied (first_event_us, both
 * g_get_monotonic_time()). Each event waits settle_ms for quiet, but no
 * apply is put off past cap_ms after the first pending event, so a file
 * rewritten without pause is still applied every cap_ms. */
guint nfc_policy_reload_delay(gint64 first_event_us, gint64 now_us, guint settle_ms,
			      guint cap_ms);
