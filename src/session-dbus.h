/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The session API on the bus: Manager.CreateSession/DestroySession, the
 * net.connman.Session objects, Update/Release calls to the clients'
 * notifiers, and the clients' identity from the bus. */
#pragma once

#include <gio/gio.h>

#include "session.h"

void nfc_session_dbus_init(GDBusConnection *conn);
/* Daemon shutdown: Release() to every notifier, objects unexported. */
void nfc_session_dbus_cleanup(void);

/* Manager method handlers (installed by manager-dbus). */
void nfc_session_dbus_create(GDBusMethodInvocation *inv, GVariant *settings, const char *notifier);
void nfc_session_dbus_destroy(GDBusMethodInvocation *inv, const char *path);

/* Session objects are served from the interfaces' XML by GDBus subtree
 * registrations, not one registration each (that alone cost more than the
 * rest of a session). net.nfconn.SessionStats calls on them go to this
 * handler, with their arguments checked and the caller known to be the
 * session's owner; it answers the invocation (it takes the reference). */
typedef void (*NfcSessionStatsHandler)(NfcSession *s, GDBusMethodInvocation *invocation,
				       const char *member, GVariant *params);
void nfc_session_dbus_set_stats_handler(NfcSessionStatsHandler handler);

/* "/sessions/" + sender with ':' and '.' as '_' + notifier path. */
char *nfc_session_dbus_path(const char *sender, const char *notifier);
