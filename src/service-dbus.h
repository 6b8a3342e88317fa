/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.connman.Service objects, one per service, and the service dicts the
 * Manager hands out (GetServices, ServicesChanged). */
#pragma once

#include <gio/gio.h>

#include "service.h"

void nfc_service_dbus_init(GDBusConnection *conn);
void nfc_service_dbus_cleanup(void);

/* The full property dict of a service, in ConnMan's order. */
GVariant *nfc_service_dbus_properties(NfcService *service);
/* One property's value by its D-Bus name, or NULL if it has none now. */
GVariant *nfc_service_dbus_property(NfcService *service, const char *name);
