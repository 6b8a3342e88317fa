// SPDX-License-Identifier: GPL-2.0-or-later
/* A session API client for the system tests, run as any uid. It reads
 * commands on stdin and prints one line per event on stdout:
 *   create NOTIFIER [SETTINGS]   → "created PATH" | "error NAME MESSAGE"
 *   many N PREFIX                → N sessions at PREFIX0.. → "created N" | "error ..."
 *   call PATH IFACE METHOD [ARGS] → "ok [REPLY]" | "error NAME MESSAGE"
 *   quit
 * Updates arrive as "update NOTIFIER {dict}", Release as "release NOTIFIER",
 * Stats signals as "stats PATH {dict}". GVariant text format throughout. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

static GDBusConnection *bus;
static GMainLoop *loop;
static GDBusNodeInfo *notification_info;

static const char notification_xml[] =
	"<node><interface name='net.connman.Notification'>"
	"<method name='Release'/>"
	"<method name='Update'><arg type='a{sv}' direction='in'/></method>"
	"</interface></node>";

static void out(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void notification_call(GDBusConnection *c, const char *sender, const char *path,
			      const char *iface, const char *method, GVariant *params,
			      GDBusMethodInvocation *inv, gpointer data)
{
	if (g_str_equal(method, "Update")) {
		g_autoptr(GVariant) dict = g_variant_get_child_value(params, 0);
		g_autofree char *text = g_variant_print(dict, FALSE);

		out("update %s %s", path, text);
	} else {
		out("release %s", path);
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

static const GDBusInterfaceVTable vtable = { notification_call, NULL, NULL, { 0 } };

static void error_line(GError *error)
{
	g_autofree char *name = g_dbus_error_get_remote_error(error);

	g_dbus_error_strip_remote_error(error);
	out("error %s %s", name ? name : "local", error->message);
}

static bool export_notifier(const char *path, GError **error)
{
	return g_dbus_connection_register_object(bus, path, notification_info->interfaces[0],
						 &vtable, NULL, NULL, error) != 0;
}

static GVariant *create(const char *notifier, const char *settings, GError **error)
{
	g_autoptr(GVariant) dict = NULL;

	if (settings && *settings) {
		dict = g_variant_parse(G_VARIANT_TYPE_VARDICT, settings, NULL, NULL, error);
		if (!dict)
			return NULL;
	} else {
		dict = g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	}
	/* the same notifier again: let the daemon say what it thinks of it */
	if (!export_notifier(notifier, error)) {
		if (!g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_EXISTS))
			return NULL;
		g_clear_error(error);
	}
	return g_dbus_connection_call_sync(bus, "net.connman", "/", "net.connman.Manager",
					   "CreateSession",
					   g_variant_new("(@a{sv}o)", dict, notifier),
					   G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, 30000,
					   NULL, error);
}

static void command(char *line)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) w = g_strsplit(g_strstrip(line), " ", 4);
	guint n = g_strv_length(w);

	if (n == 0 || !*w[0])
		return;
	if (g_str_equal(w[0], "quit")) {
		g_main_loop_quit(loop);
	} else if (g_str_equal(w[0], "create") && n >= 2) {
		g_autofree char *settings = n >= 3 ? g_strjoinv(" ", w + 2) : NULL;
		g_autoptr(GVariant) r = create(w[1], settings, &error);
		const char *path;

		if (!r) {
			error_line(error);
			return;
		}
		g_variant_get(r, "(&o)", &path);
		out("created %s", path);
	} else if (g_str_equal(w[0], "many") && n >= 3) {
		guint64 count = g_ascii_strtoull(w[1], NULL, 10);

		for (guint64 i = 0; i < count; i++) {
			g_autofree char *notifier = g_strdup_printf("%s%" G_GUINT64_FORMAT, w[2], i);
			g_autoptr(GVariant) r = create(notifier, NULL, &error);

			if (!r) {
				g_prefix_error(&error, "at %" G_GUINT64_FORMAT ": ", i);
				error_line(error);
				return;
			}
		}
		out("created %" G_GUINT64_FORMAT, count);
	} else if (g_str_equal(w[0], "call") && n >= 4) {
		g_auto(GStrv) rest = g_strsplit(w[3], " ", 2);
		g_autoptr(GVariant) args = NULL;
		g_autoptr(GVariant) r = NULL;

		if (rest[1]) {
			args = g_variant_parse(NULL, rest[1], NULL, NULL, &error);
			if (!args) {
				error_line(error);
				return;
			}
		}
		r = g_dbus_connection_call_sync(bus, "net.connman", w[1], w[2], rest[0], args, NULL,
						G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
		if (!r) {
			error_line(error);
		} else {
			g_autofree char *text = g_variant_print(r, FALSE);

			out("ok %s", text);
		}
	} else {
		out("error usage %s", w[0]);
	}
}

static gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	g_autofree char *line = NULL;
	GIOStatus st = g_io_channel_read_line(ch, &line, NULL, NULL, NULL);

	if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR) {
		g_main_loop_quit(loop);
		return G_SOURCE_REMOVE;
	}
	if (line)
		command(line);
	return G_SOURCE_CONTINUE;
}

static void on_stats(GDBusConnection *c, const char *sender, const char *path, const char *iface,
		     const char *signal, GVariant *params, gpointer data)
{
	g_autoptr(GVariant) dict = g_variant_get_child_value(params, 0);
	g_autofree char *text = g_variant_print(dict, FALSE);

	out("stats %s %s", path, text);
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOChannel) in = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: session-client BUS-ADDRESS\n");
		return 2;
	}
	notification_info = g_dbus_node_info_new_for_xml(notification_xml, &error);
	g_assert_no_error(error);
	bus = g_dbus_connection_new_for_address_sync(argv[1],
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	if (!bus) {
		out("error connect %s", error->message);
		return 1;
	}
	g_dbus_connection_signal_subscribe(bus, NULL, "net.nfconn.SessionStats", "Stats", NULL, NULL,
					   G_DBUS_SIGNAL_FLAGS_NONE, on_stats, NULL, NULL);
	out("ready %s", g_dbus_connection_get_unique_name(bus));
	loop = g_main_loop_new(NULL, FALSE);
	in = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP, on_stdin, NULL);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	g_dbus_node_info_unref(notification_info);
	g_dbus_connection_flush_sync(bus, NULL, NULL);
	g_object_unref(bus);
	return 0;
}
