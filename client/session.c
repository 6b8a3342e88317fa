// SPDX-License-Identifier: GPL-2.0-or-later
/* The "session" command: one session per nfconnctl process, with the
 * net.connman.Notification object the daemon reports to exported at
 * /net/connman/nfconnctl<pid>. The session lives as long as the process. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "format.h"
#include "json.h"
#include "parse.h"

static void print_state_change(NfcCtl *ctl, GVariant *settings, GString *out)
{
	const char *state;

	if (!g_variant_lookup(settings, "State", "&s", &state))
		return;
	if (g_str_equal(state, "connected") || g_str_equal(state, "online")) {
		if (!ctl->session_connected && !ctl->json)
			g_string_append_printf(out, "Session %s connected\n", ctl->session_path);
		ctl->session_connected = TRUE;
	} else if (g_str_equal(state, "disconnected")) {
		if (ctl->session_connected && !ctl->json)
			g_string_append_printf(out, "Session %s disconnected\n", ctl->session_path);
		ctl->session_connected = FALSE;
	}
}

static gboolean on_update(NfcDbusNotification *n, GDBusMethodInvocation *inv, GVariant *settings,
			  gpointer data)
{
	NfcCtl *ctl = data;
	g_autoptr(GString) out = g_string_new(NULL);

	if (ctl->session_print) {
		if (ctl->json) {
			/* one JSON document per line while streaming */
			g_string_append(out, "{\"interface\":\"Notification\",\"path\":");
			nfc_json_string(out, ctl->session_path ? ctl->session_path : "");
			g_string_append(out, ",\"member\":\"Update\",\"args\":[");
			nfc_json_value(out, settings);
			g_string_append(out, "]}\n");
		} else {
			nfc_ctl_format_session_update(out, settings);
		}
	}
	print_state_change(ctl, settings, out);
	nfc_ctl_print_async(ctl, out->str);
	nfc_dbus_notification_complete_update(n, inv);
	return TRUE;
}

static void forget_session(NfcCtl *ctl)
{
	if (ctl->notifier) {
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(ctl->notifier));
		g_clear_object(&ctl->notifier);
	}
	g_clear_pointer(&ctl->notifier_path, g_free);
	g_clear_pointer(&ctl->session_path, g_free);
	ctl->session_connected = FALSE;
	ctl->session_print = FALSE;
}

static gboolean on_release(NfcDbusNotification *n, GDBusMethodInvocation *inv, gpointer data)
{
	NfcCtl *ctl = data;
	g_autofree char *text = g_strdup_printf("Session %s released\n", ctl->session_path);

	nfc_ctl_print_async(ctl, text);
	nfc_dbus_notification_complete_release(n, inv);
	forget_session(ctl);
	if (!ctl->interactive)
		g_main_loop_quit(ctl->loop);
	return TRUE;
}

static NfcDbusManager *manager(NfcCtl *ctl, GError **error)
{
	NfcDbusManager *m = nfc_dbus_manager_proxy_new_sync(
		ctl->bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
		G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS | G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
		NFC_CTL_SERVICE, "/", NULL, error);

	if (m)
		g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(m), NFC_CTL_TIMEOUT_MS);
	return m;
}

static NfcDbusSession *session_proxy(NfcCtl *ctl, GError **error)
{
	return nfc_dbus_session_proxy_new_sync(
		ctl->bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
		G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS | G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
		NFC_CTL_SERVICE, ctl->session_path, NULL, error);
}

static int session_create(NfcCtl *ctl, char **opts, gboolean print)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changes = nfc_ctl_parse_session(opts, &error);
	g_autoptr(NfcDbusManager) m = NULL;
	g_autofree char *path = NULL;

	if (!changes)
		return nfc_ctl_fail(NFC_CTL_USAGE, "session", "%s", error->message);
	ctl->notifier_path = g_strdup_printf("/net/connman/nfconnctl%d", (int)getpid());
	ctl->notifier = nfc_dbus_notification_skeleton_new();
	g_signal_connect(ctl->notifier, "handle-update", G_CALLBACK(on_update), ctl);
	g_signal_connect(ctl->notifier, "handle-release", G_CALLBACK(on_release), ctl);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(ctl->notifier), ctl->bus,
					      ctl->notifier_path, &error)) {
		forget_session(ctl);
		return nfc_ctl_fail(NFC_CTL_FAILED, "creating session", "%s", error->message);
	}
	/* Updates may arrive before the reply: show them from the start */
	ctl->session_print = print;
	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_create_session_sync(m, nfc_ctl_changes_to_dict(changes),
						       ctl->notifier_path, &path, NULL, &error)) {
		forget_session(ctl);
		return nfc_ctl_fail_call("creating session", "The session API", error);
	}
	ctl->session_path = g_steal_pointer(&path);
	if (!ctl->json) {
		printf("Session %s created\n", ctl->session_path);
		fflush(stdout);
	}
	ctl->keep_running = TRUE;
	return NFC_CTL_OK;
}

void nfc_ctl_session_close(NfcCtl *ctl)
{
	g_autoptr(NfcDbusManager) m = NULL;

	if (!ctl->session_path) {
		forget_session(ctl);
		return;
	}
	m = manager(ctl, NULL);
	if (m)
		nfc_dbus_manager_call_destroy_session_sync(m, ctl->session_path, NULL, NULL);
	forget_session(ctl);
}

static int session_off(NfcCtl *ctl)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcDbusManager) m = NULL;
	g_autofree char *path = g_strdup(ctl->session_path);

	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_destroy_session_sync(m, ctl->session_path, NULL, &error))
		return nfc_ctl_fail_call("destroying session", "The session", error);
	forget_session(ctl);
	if (!ctl->json) {
		printf("Session %s ended\n", path);
		fflush(stdout);
	}
	if (!ctl->interactive)
		g_main_loop_quit(ctl->loop);
	return NFC_CTL_OK;
}

static int session_config(NfcCtl *ctl, char **opts)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changes = nfc_ctl_parse_session(opts, &error);
	g_autoptr(NfcDbusSession) s = NULL;

	if (!changes || changes->len == 0)
		return nfc_ctl_fail(NFC_CTL_USAGE, "session", "%s",
				    error ? error->message : "config needs an option");
	if (!(s = session_proxy(ctl, &error)))
		return nfc_ctl_fail_call("setting session", "The session", error);
	for (guint i = 0; i < changes->len; i++) {
		NfcCtlChange *c = changes->pdata[i];

		if (!nfc_dbus_session_call_change_sync(s, c->property, g_variant_new_variant(c->value),
						       NULL, &error)) {
			g_autofree char *what = g_strdup_printf("setting session %s", c->property);

			return nfc_ctl_fail_call(what, "The session", error);
		}
	}
	return NFC_CTL_OK;
}

int nfc_ctl_session(NfcCtl *ctl, char **argv)
{
	const char *sub = argv[1];
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcDbusSession) s = NULL;
	gboolean has_opts = argv[2] != NULL;
	int status;

	if (g_str_equal(sub, "stats")) {
		if (argv[2] && argv[3])
			return nfc_ctl_fail(NFC_CTL_USAGE, "session", "Argument list too long");
		if (!argv[2] && !ctl->session_path)
			return nfc_ctl_fail(NFC_CTL_FAILED, "session stats",
					    "No session (give a session path)");
		if (argv[2] && !g_variant_is_object_path(argv[2]))
			return nfc_ctl_fail(NFC_CTL_USAGE, "session", "Invalid argument");
		return nfc_ctl_session_stats(ctl, argv[2] ? argv[2] : ctl->session_path);
	}
	if (g_str_equal(sub, "on") || g_str_equal(sub, "connect")) {
		if (ctl->session_path && g_str_equal(sub, "on"))
			return nfc_ctl_fail(NFC_CTL_FAILED, "session", "Session already exists");
		if (!ctl->session_path) {
			status = session_create(ctl, argv + 2, TRUE);
			if (status != NFC_CTL_OK)
				return status;
		} else if (has_opts) {
			return nfc_ctl_fail(NFC_CTL_USAGE, "session",
					    "Options only when creating; use 'session config'");
		}
		if (g_str_equal(sub, "on"))
			return NFC_CTL_OK;
		if (!(s = session_proxy(ctl, &error)) ||
		    !nfc_dbus_session_call_connect_sync(s, NULL, &error))
			return nfc_ctl_fail_call("connecting session", "The session", error);
		return NFC_CTL_OK;
	}
	if (!g_str_equal(sub, "off") && !g_str_equal(sub, "disconnect") &&
	    !g_str_equal(sub, "config"))
		return nfc_ctl_fail(NFC_CTL_USAGE, "session", "Invalid argument");
	if (!ctl->session_path)
		return nfc_ctl_fail(NFC_CTL_FAILED, "session", "No session");
	if (g_str_equal(sub, "config"))
		return session_config(ctl, argv + 2);
	if (has_opts)
		return nfc_ctl_fail(NFC_CTL_USAGE, "session", "Argument list too long");
	if (g_str_equal(sub, "off"))
		return session_off(ctl);
	if (!(s = session_proxy(ctl, &error)) ||
	    !nfc_dbus_session_call_disconnect_sync(s, NULL, &error))
		return nfc_ctl_fail_call("disconnecting session", "The session", error);
	return NFC_CTL_OK;
}

/* "monitor session": a session that only reports. */
int nfc_ctl_session_monitor(NfcCtl *ctl)
{
	char *none[] = { NULL };

	if (ctl->session_path) {
		ctl->session_print = TRUE;
		return NFC_CTL_OK;
	}
	return session_create(ctl, none, TRUE);
}
