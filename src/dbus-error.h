/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.connman.Error.*: every error reply of the daemon comes from here, so
 * that the same failure always looks the same on the bus. */
#pragma once

#include <gio/gio.h>

typedef enum {
	NFC_ERROR_FAILED,
	NFC_ERROR_INVALID_ARGUMENTS,
	NFC_ERROR_INVALID_PROPERTY,
	NFC_ERROR_INVALID_SERVICE,
	NFC_ERROR_PERMISSION_DENIED,
	NFC_ERROR_NOT_SUPPORTED,
	NFC_ERROR_NOT_IMPLEMENTED,
	NFC_ERROR_NOT_REGISTERED,
	NFC_ERROR_NOT_FOUND,
	NFC_ERROR_NOT_UNIQUE,
	NFC_ERROR_ALREADY_EXISTS,
	NFC_ERROR_ALREADY_CONNECTED,
	NFC_ERROR_NOT_CONNECTED,
	NFC_ERROR_ALREADY_ENABLED,
	NFC_ERROR_ALREADY_DISABLED,
	NFC_ERROR_IN_PROGRESS,
	NFC_ERROR_OPERATION_ABORTED,
	NFC_ERROR_OPERATION_TIMEOUT,
	NFC_ERROR_OPERATION_CANCELED,
	NFC_ERROR_NO_CARRIER,
	NFC_ERROR_PASSPHRASE_REQUIRED,
} NfcError;

#define NFC_ERROR (nfc_error_quark())
GQuark nfc_error_quark(void);

/* The error for a negative errno, as ConnMan maps them. */
NfcError nfc_error_from_errno(int err);

/* Reply with net.connman.Error.<name> and its usual message. */
void nfc_dbus_return_error(GDBusMethodInvocation *invocation, NfcError code);
/* Reply for a negative errno (unmapped ones: Failed with strerror). */
void nfc_dbus_return_errno(GDBusMethodInvocation *invocation, int err);
/* Reply with net.connman.Error.<name> and a message that says what was
 * wrong, where the usual one would leave the caller guessing. */
void nfc_dbus_return_error_printf(GDBusMethodInvocation *invocation, NfcError code,
				  const char *format, ...) G_GNUC_PRINTF(3, 4);

/* Calls to children of parent_path that do not exist answer
 * org.freedesktop.DBus.Error.UnknownObject, as ConnMan does (connmanctl
 * turns it into "... is not available"); GDBus alone would answer
 * UnknownMethod. Existing children, registered on their own, are not
 * affected. children() lists them for introspection (NULL-terminated,
 * caller frees). Returns the registration id (0 on error). */
guint nfc_dbus_register_unknown_children(GDBusConnection *conn, const char *parent_path,
					 GDBusInterfaceInfo *iface, char **(*children)(void));
