/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent settings under the state directory: key files, always
 * replaced atomically, unreadable ones logged and treated as empty. */
#pragma once

#include <glib.h>

gboolean nfc_storage_init(const char *state_dir, GError **error);
void nfc_storage_cleanup(void);
const char *nfc_storage_dir(void);

/* name is relative to the state directory ("settings",
 * "ethernet_…_cable/settings"). Never NULL: a missing or corrupt file gives
 * an empty key file (a corrupt one is logged). */
GKeyFile *nfc_storage_load(const char *name);
/* Replaces the file atomically (a temporary file renamed over it): a failed
 * save (full disk, read-only file system) leaves the old file whole. */
gboolean nfc_storage_save(const char *name, GKeyFile *kf, GError **error);
/* The negative errno for an error of nfc_storage_save, for callers that
 * answer with one: -ENOSPC, -EROFS, -ENOMEM, or -EIO for anything else. */
int nfc_storage_errno(const GError *error);
