/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.connman.Clock at "/": the clock's properties, SetProperty as
 * ConnMan allows it, PropertyChanged; and the watch on
 * org.freedesktop.timesync1 that hands the clock to systemd-timesyncd
 * while it runs on the bus. */
#pragma once

#include <gio/gio.h>

gboolean nfc_clock_dbus_export(GDBusConnection *conn, GError **error);
void nfc_clock_dbus_unexport(void);
