/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.nfconn.Tethering at "/": tethering's status (GetStatus and the
 * StatusChanged signal) and its clients with their traffic (GetClients),
 * read from the tethering core. It reports; it never changes tethering
 * (that is Technology.SetProperty("Tethering", …)). */
#pragma once

#include <gio/gio.h>

void nfc_tethering_dbus_init(GDBusConnection *conn);
void nfc_tethering_dbus_cleanup(void);
