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

/* Add one file's text; a bad file is refused whole (error says why) and
 * the set is left as it was. */
gboolean nfc_policy_set_add_file(NfcPolicySet *set, const char *name, const char *text,
				 gssize len, GError **error);
/* Every *.policy file of a directory, in name order; bad ones (and any
 * that is not a regular file, e.g. a FIFO) are logged and skipped.
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
