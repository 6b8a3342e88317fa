// SPDX-License-Identifier: GPL-2.0-or-later
/* nfconnd: start-up, the main loop and an orderly shutdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "config.h"
#include "connection.h"
#include "engine.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "session-dbus.h"
#include "nfconn-build.h"
#include "options.h"
#include "plugin.h"
#include "rtnl.h"
#include "service.h"
#include "session.h"
#include "stats-dbus.h"
#include "storage.h"
#include "technology.h"

#define BUS_NAME "net.connman"

static GMainLoop *loop;
static int exit_status;

static void quit(int status)
{
	if (status && !exit_status)
		exit_status = status;
	g_main_loop_quit(loop);
}

static gboolean on_signal(gpointer data)
{
	nfc_info("terminating on signal %d", GPOINTER_TO_INT(data));
	quit(0);
	return G_SOURCE_CONTINUE;
}

static void on_name_acquired(GDBusConnection *conn, const char *name, gpointer data)
{
	nfc_info("nfconnd %s ready on the bus as %s", PACKAGE_VERSION, name);
}

static void on_name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
	if (!conn)
		nfc_error("lost the connection to the bus");
	else
		nfc_error("cannot own %s: another daemon has it, or the bus policy denies it",
			  name);
	quit(1);
}

static GDBusConnection *connect_bus(const char *bus, GError **error)
{
	GDBusConnection *conn;

	if (g_str_equal(bus, "system"))
		conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	else if (g_str_equal(bus, "session"))
		conn = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, error);
	else
		conn = g_dbus_connection_new_for_address_sync(bus,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, error);
	if (conn)
		/* we decide when to exit, not the bus library */
		g_dbus_connection_set_exit_on_close(conn, FALSE);
	return conn;
}

static int fail(const char *what, GError *error)
{
	nfc_error("%s: %s", what, error->message);
	return 1;
}

int main(int argc, char **argv)
{
	g_autoptr(NfcOptions) opts = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDBusConnection) conn = NULL;
	NfcConfig *config;
	guint owner_id;
	int r;

	opts = nfc_options_parse(&argc, &argv, &error);
	if (!opts) {
		fprintf(stderr, "nfconnd: %s\n", error->message);
		fprintf(stderr, "Try \"nfconnd --help\".\n");
		return 1;
	}
	if (opts->version) {
		printf("%s\n", PACKAGE_VERSION);
		return 0;
	}

	nfc_log_init("nfconnd", NFC_LOG_STDERR, opts->debug);

	config = nfc_config_load(opts->config_file, !opts->config_given, warnings, &error);
	for (guint i = 0; i < warnings->len; i++)
		nfc_warn("%s: %s", opts->config_file, (char *)warnings->pdata[i]);
	if (!config)
		return fail("configuration", error);
	nfc_config_set_active(config);
	{
		g_autofree char *dir = g_path_get_dirname(opts->config_file);

		nfc_config_set_dir(dir);
	}

	if (!opts->nodaemon) {
		if (daemon(0, 0) < 0) {
			nfc_error("cannot run in the background: %s", g_strerror(errno));
			return 1;
		}
		nfc_log_init("nfconnd", NFC_LOG_SYSLOG, opts->debug);
	}

	if (!nfc_storage_init(opts->state_dir, &error))
		return fail("storage", error);
	if (g_mkdir_with_parents(opts->run_dir, 0755) < 0) {
		nfc_error("cannot create %s: %s", opts->run_dir, g_strerror(errno));
		return 1;
	}

	r = nfc_rtnl_init();
	if (r < 0) {
		nfc_error("rtnetlink: %s", g_strerror(-r));
		return 1;
	}

	conn = connect_bus(opts->bus, &error);
	if (!conn)
		return fail("D-Bus", error);

	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
	g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));

	nfc_manager_init();
	nfc_service_init();
	nfc_technology_init();
	nfc_session_init();
	nfc_connection_init(opts->run_dir);
	r = nfc_engine_init();
	if (r < 0) {
		nfc_error("policy engine: %s", g_strerror(-r));
		return 1;
	}
	if (!nfc_manager_dbus_export(conn, &error))
		return fail("D-Bus export", error);
	nfc_stats_dbus_init(conn);
	if (!nfc_plugins_init(opts->plugins, opts->noplugins, &error))
		return fail("plugins", error);

	/* objects first, then the name: whoever sees the name can call them */
	owner_id = g_bus_own_name_on_connection(conn, BUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
						on_name_acquired, on_name_lost, NULL, NULL);

	g_main_loop_run(loop);

	/* clients hear Release() before anything goes down under them */
	nfc_stats_dbus_cleanup();
	nfc_session_dbus_cleanup();
	nfc_engine_cleanup();
	nfc_session_cleanup();
	nfc_plugins_cleanup();
	nfc_service_cleanup();
	nfc_connection_cleanup();
	g_bus_unown_name(owner_id);
	nfc_manager_dbus_unexport();
	nfc_technology_cleanup();
	nfc_manager_cleanup();
	g_dbus_connection_flush_sync(conn, NULL, NULL);
	nfc_rtnl_cleanup();
	nfc_storage_cleanup();
	nfc_config_set_active(NULL);
	nfc_config_set_dir(NULL);
	g_main_loop_unref(loop);
	nfc_info("exit");
	nfc_log_cleanup();
	return exit_status;
}
