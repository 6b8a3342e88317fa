/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfconn's own D-Bus interfaces: net.nfconn.Manager (Explain, GetCounters)
 * at "/" and net.nfconn.SessionStats on every session object. */
#pragma once

#include <gio/gio.h>

void nfc_engine_dbus_init(GDBusConnection *conn);
void nfc_engine_dbus_cleanup(void);
