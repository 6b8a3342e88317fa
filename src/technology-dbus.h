/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.connman.Technology objects. */
#pragma once

#include <gio/gio.h>

#include "technology.h"

void nfc_technology_dbus_init(GDBusConnection *conn);
void nfc_technology_dbus_cleanup(void);
GVariant *nfc_technology_dbus_properties(NfcTechnology *tech);
