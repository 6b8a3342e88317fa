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
gboolean nfc_storage_save(const char *name, GKeyFile *kf, GError **error);
