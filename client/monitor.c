// SPDX-License-Identifier: GPL-2.0-or-later
/* The "monitor" command: subscribes to the daemon's signals and prints
 * each as connmanctl does (or as one JSON document per line). */
#include <string.h>

#include "ctl.h"
#include "format.h"
#include "json.h"
#include "parse.h"

static void on_signal(GDBusConnection *bus, const char *sender, const char *path,
		      const char *iface, const char *member, GVariant *params, gpointer data)
{
	NfcCtl *ctl = data;
	g_autoptr(GString) out = g_string_new(NULL);

	if (ctl->json) {
		g_string_append(out, "{\"interface\":");
		nfc_json_string(out, strrchr(iface, '.') + 1);
		g_string_append(out, ",\"path\":");
		nfc_json_string(out, path);
		g_string_append(out, ",\"member\":");
		nfc_json_string(out, member);
		g_string_append(out, ",\"args\":");
		nfc_json_value(out, params);
		g_string_append(out, "}\n");
	} else if (!nfc_ctl_format_signal(out, iface, path, member, params)) {
		return;
	}
	nfc_ctl_print_async(ctl, out->str);
}

static const struct {
	const char *name;
	const char *alias;
	const char *iface;
} targets[] = {
	{ "manager", NULL, "net.connman.Manager" },
	{ "technologies", "tech", "net.connman.Technology" },
	{ "services", NULL, "net.connman.Service" },
};

/* Subscription ids are kept per target index in ctl->subscriptions
 * (0 = not subscribed). */
static void subscribe(NfcCtl *ctl, gsize i)
{
	guint *id = &g_array_index(ctl->subscriptions, guint, i);

	if (*id)
		return;
	*id = g_dbus_connection_signal_subscribe(ctl->bus, NULL, targets[i].iface, NULL, NULL,
						 NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, ctl,
						 NULL);
}

static void unsubscribe(NfcCtl *ctl, gsize i)
{
	guint *id = &g_array_index(ctl->subscriptions, guint, i);

	if (*id)
		g_dbus_connection_signal_unsubscribe(ctl->bus, *id);
	*id = 0;
}

void nfc_ctl_monitor_stop(NfcCtl *ctl)
{
	for (gsize i = 0; i < ctl->subscriptions->len; i++)
		unsubscribe(ctl, i);
}

int nfc_ctl_monitor(NfcCtl *ctl, char **argv)
{
	const char *target = argv[1];
	gboolean off = FALSE;
	gboolean found = FALSE;

	if (ctl->subscriptions->len < G_N_ELEMENTS(targets))
		g_array_set_size(ctl->subscriptions, G_N_ELEMENTS(targets));
	if (target && (g_str_equal(target, "on") || g_str_equal(target, "off")) && !argv[2]) {
		off = g_str_equal(target, "off");
		target = NULL;
	} else if (target && argv[2]) {
		if (!nfc_ctl_parse_bool(argv[2], &off))
			return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Invalid argument");
		off = !off;
	}

	if (target && g_str_equal(target, "session")) {
		if (off) {
			ctl->session_print = FALSE;
			return NFC_CTL_OK;
		}
		return nfc_ctl_session_monitor(ctl);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(targets); i++) {
		if (target && !g_str_equal(target, targets[i].name) &&
		    g_strcmp0(target, targets[i].alias) != 0)
			continue;
		found = TRUE;
		if (off)
			unsubscribe(ctl, i);
		else
			subscribe(ctl, i);
	}
	if (!found)
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Invalid argument");
	if (!off)
		ctl->keep_running = TRUE;
	return NFC_CTL_OK;
}
