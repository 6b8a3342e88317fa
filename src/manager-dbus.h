/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.connman.Manager at "/": translates calls into manager core calls and
 * core changes into PropertyChanged. Start it after the technology,
 * service and session adapters: it announces their objects and hands
 * CreateSession to the session adapter. */
#pragma once

#include <gio/gio.h>

gboolean nfc_manager_dbus_export(GDBusConnection *conn, GError **error);
void nfc_manager_dbus_unexport(void);
