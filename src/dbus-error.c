// SPDX-License-Identifier: GPL-2.0-or-later
#include "dbus-error.h"

#include <errno.h>
#include <stdarg.h>

static const GDBusErrorEntry entries[] = {
	{ NFC_ERROR_FAILED, "net.connman.Error.Failed" },
	{ NFC_ERROR_INVALID_ARGUMENTS, "net.connman.Error.InvalidArguments" },
	{ NFC_ERROR_INVALID_PROPERTY, "net.connman.Error.InvalidProperty" },
	{ NFC_ERROR_INVALID_SERVICE, "net.connman.Error.InvalidService" },
	{ NFC_ERROR_PERMISSION_DENIED, "net.connman.Error.PermissionDenied" },
	{ NFC_ERROR_NOT_SUPPORTED, "net.connman.Error.NotSupported" },
	{ NFC_ERROR_NOT_IMPLEMENTED, "net.connman.Error.NotImplemented" },
	{ NFC_ERROR_NOT_REGISTERED, "net.connman.Error.NotRegistered" },
	{ NFC_ERROR_NOT_FOUND, "net.connman.Error.NotFound" },
	{ NFC_ERROR_NOT_UNIQUE, "net.connman.Error.NotUnique" },
	{ NFC_ERROR_ALREADY_EXISTS, "net.connman.Error.AlreadyExists" },
	{ NFC_ERROR_ALREADY_CONNECTED, "net.connman.Error.AlreadyConnected" },
	{ NFC_ERROR_NOT_CONNECTED, "net.connman.Error.NotConnected" },
	{ NFC_ERROR_ALREADY_ENABLED, "net.connman.Error.AlreadyEnabled" },
	{ NFC_ERROR_ALREADY_DISABLED, "net.connman.Error.AlreadyDisabled" },
	{ NFC_ERROR_IN_PROGRESS, "net.connman.Error.InProgress" },
	{ NFC_ERROR_OPERATION_ABORTED, "net.connman.Error.OperationAborted" },
	{ NFC_ERROR_OPERATION_TIMEOUT, "net.connman.Error.OperationTimeout" },
	{ NFC_ERROR_OPERATION_CANCELED, "net.connman.Error.OperationCanceled" },
	{ NFC_ERROR_NO_CARRIER, "net.connman.Error.NoCarrier" },
	{ NFC_ERROR_PASSPHRASE_REQUIRED, "net.connman.Error.PassphraseRequired" },
};

/* the messages ConnMan sends, indexed by NfcError */
static const char *const messages[] = {
	[NFC_ERROR_FAILED] = "Operation failed",
	[NFC_ERROR_INVALID_ARGUMENTS] = "Invalid arguments",
	[NFC_ERROR_INVALID_PROPERTY] = "Invalid property",
	[NFC_ERROR_INVALID_SERVICE] = "Invalid service",
	[NFC_ERROR_PERMISSION_DENIED] = "Permission denied",
	[NFC_ERROR_NOT_SUPPORTED] = "Not supported",
	[NFC_ERROR_NOT_IMPLEMENTED] = "Not implemented",
	[NFC_ERROR_NOT_REGISTERED] = "Not registered",
	[NFC_ERROR_NOT_FOUND] = "Not found",
	[NFC_ERROR_NOT_UNIQUE] = "Not unique",
	[NFC_ERROR_ALREADY_EXISTS] = "Already exists",
	[NFC_ERROR_ALREADY_CONNECTED] = "Already connected",
	[NFC_ERROR_NOT_CONNECTED] = "Not connected",
	[NFC_ERROR_ALREADY_ENABLED] = "Already enabled",
	[NFC_ERROR_ALREADY_DISABLED] = "Already disabled",
	[NFC_ERROR_IN_PROGRESS] = "In progress",
	[NFC_ERROR_OPERATION_ABORTED] = "Operation aborted",
	[NFC_ERROR_OPERATION_TIMEOUT] = "Operation timeout",
	[NFC_ERROR_OPERATION_CANCELED] = "Operation canceled",
	[NFC_ERROR_NO_CARRIER] = "No carrier",
	[NFC_ERROR_PASSPHRASE_REQUIRED] = "Passphrase required",
};

G_STATIC_ASSERT(G_N_ELEMENTS(entries) == G_N_ELEMENTS(messages));

GQuark nfc_error_quark(void)
{
	static gsize quark;

	g_dbus_error_register_error_domain("nfc-error-quark", &quark, entries,
					   G_N_ELEMENTS(entries));
	return (GQuark)quark;
}

NfcError nfc_error_from_errno(int err)
{
	switch (-err) {
	case EINVAL: return NFC_ERROR_INVALID_ARGUMENTS;
	case EPERM: case EACCES: return NFC_ERROR_PERMISSION_DENIED;
	case EOPNOTSUPP: return NFC_ERROR_NOT_SUPPORTED;
	case ENOSYS: return NFC_ERROR_NOT_IMPLEMENTED;
	case ESRCH: return NFC_ERROR_NOT_REGISTERED;
	case ENXIO: return NFC_ERROR_NOT_FOUND;
	case ENOTUNIQ: return NFC_ERROR_NOT_UNIQUE;
	case EEXIST: return NFC_ERROR_ALREADY_EXISTS;
	case EISCONN: return NFC_ERROR_ALREADY_CONNECTED;
	case ENOTCONN: case ECONNREFUSED: return NFC_ERROR_NOT_CONNECTED;
	case EALREADY: case EINPROGRESS: return NFC_ERROR_IN_PROGRESS;
	case ECONNABORTED: return NFC_ERROR_OPERATION_ABORTED;
	case ETIMEDOUT: return NFC_ERROR_OPERATION_TIMEOUT;
	case ECANCELED: return NFC_ERROR_OPERATION_CANCELED;
	case ENOLINK: return NFC_ERROR_NO_CARRIER;
	case ENOKEY: return NFC_ERROR_PASSPHRASE_REQUIRED;
	default: return NFC_ERROR_FAILED;
	}
}

void nfc_dbus_return_error(GDBusMethodInvocation *invocation, NfcError code)
{
	g_dbus_method_invocation_return_error_literal(invocation, NFC_ERROR, code,
						      messages[code]);
}

void nfc_dbus_return_errno(GDBusMethodInvocation *invocation, int err)
{
	NfcError code = nfc_error_from_errno(err);

	if (code == NFC_ERROR_FAILED)
		g_dbus_method_invocation_return_error_literal(invocation, NFC_ERROR, code,
							      g_strerror(-err));
	else
		nfc_dbus_return_error(invocation, code);
}

void nfc_dbus_return_error_printf(GDBusMethodInvocation *invocation, NfcError code,
				  const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, format);
	text = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_dbus_method_invocation_return_error_literal(invocation, NFC_ERROR, code, text);
}

typedef struct {
	GDBusInterfaceInfo *iface;
	char **(*children)(void);
} UnknownChildren;

static gchar **unknown_enumerate(GDBusConnection *c, const gchar *sender, const gchar *path,
				 gpointer data)
{
	UnknownChildren *u = data;

	return u->children ? u->children() : g_new0(char *, 1);
}

static GDBusInterfaceInfo **unknown_introspect(GDBusConnection *c, const gchar *sender,
					       const gchar *path, const gchar *node, gpointer data)
{
	UnknownChildren *u = data;
	GDBusInterfaceInfo **infos;

	/* GDBus only dispatches calls to a node that claims the interface */
	if (!node)
		return NULL;
	infos = g_new0(GDBusInterfaceInfo *, 2);
	infos[0] = g_dbus_interface_info_ref(u->iface);
	return infos;
}

static void unknown_call(GDBusConnection *c, const char *sender, const char *path,
			 const char *iface, const char *method, GVariant *params,
			 GDBusMethodInvocation *inv, gpointer data)
{
	g_autofree char *msg = g_strdup_printf("No such object path '%s'", path);

	g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.UnknownObject", msg);
}

static const GDBusInterfaceVTable unknown_vtable = { unknown_call, NULL, NULL, { 0 } };

static const GDBusInterfaceVTable *unknown_dispatch(GDBusConnection *c, const gchar *sender,
						    const gchar *path, const gchar *iface,
						    const gchar *node, gpointer *out_data,
						    gpointer data)
{
	return &unknown_vtable;
}

static const GDBusSubtreeVTable unknown_subtree = {
	unknown_enumerate, unknown_introspect, unknown_dispatch, { 0 }
};

guint nfc_dbus_register_unknown_children(GDBusConnection *conn, const char *parent_path,
					 GDBusInterfaceInfo *iface, char **(*children)(void))
{
	UnknownChildren *u = g_new0(UnknownChildren, 1);

	u->iface = iface;
	u->children = children;
	return g_dbus_connection_register_subtree(conn, parent_path, &unknown_subtree,
						  G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
						  u, g_free, NULL);
}
