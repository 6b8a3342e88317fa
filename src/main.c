// SPDX-License-Identifier: GPL-2.0-or-later
/* nfconnd: start-up, the main loop and an orderly shutdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "bus-guard.h"
#include "clock-dbus.h"
#include "clock.h"
#include "config.h"
#include "connection.h"
#include "counter.h"
#include "engine.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "session-dbus.h"
#include "nfconn-build.h"
#include "options.h"
#include "plugin.h"
#include "rtnl.h"
#include "sd-notify.h"
#include "service-dbus.h"
#include "service.h"
#include "session.h"
#include "stats-dbus.h"
#include "storage.h"
#include "technology-dbus.h"
#include "technology.h"
#include "tethering.h"
#include "tethering-dbus.h"

#define BUS_NAME "net.connman"

static GMainLoop *loop;
static int exit_status;
static const NfcOptions *opts;
static GDBusConnection *bus;
static guint owner_id;
static guint watchdog_id;

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
	nfc_sd_notify("READY=1");
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

/* One connection for the whole daemon, through the bus guard: no message a
 * client sends can make GDBus close it (src/bus-guard.h says why it could). */
static GDBusConnection *connect_bus(const char *bus_opt, GError **error)
{
	g_autofree char *address = NULL;
	GDBusConnection *conn;

	if (g_str_equal(bus_opt, "system"))
		address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	else if (g_str_equal(bus_opt, "session"))
		address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, NULL, error);
	else
		address = g_strdup(bus_opt);
	if (!address)
		return NULL;
	conn = nfc_bus_guard_connect(address, error);
	if (conn)
		/* we decide when to exit, not the bus library */
		g_dbus_connection_set_exit_on_close(conn, FALSE);
	return conn;
}

/* ---- the steps of start-up, in order; shutdown walks them backwards ---- */

/* From the main loop, at default priority: a loop that is stuck, or
 * starved by busier sources, stops pinging and systemd restarts us. */
static gboolean on_watchdog(gpointer data)
{
	int r = nfc_sd_notify("WATCHDOG=1");

	if (r < 0)
		nfc_debug("watchdog ping failed: %s", g_strerror(-r));
	return G_SOURCE_CONTINUE;
}

static gboolean notify_init(GError **error)
{
	int r = nfc_sd_notify_init();
	uint64_t usec;
	guint ms;

	/* without notifications we still run: systemd also sees the bus name */
	if (r < 0) {
		nfc_warn("NOTIFY_SOCKET unusable (%s): no notifications to systemd",
			 g_strerror(-r));
		return TRUE;
	}
	usec = nfc_sd_watchdog_usec();
	if (!usec)
		return TRUE;
	/* twice per period, as sd_watchdog_enabled(3) advises */
	ms = (guint)MIN(MAX(usec / 2000, 1), G_MAXUINT);
	nfc_info("watchdog: telling systemd every %u ms", ms);
	on_watchdog(NULL);
	watchdog_id = g_timeout_add(ms, on_watchdog, NULL);
	return TRUE;
}

static void notify_cleanup(void)
{
	g_clear_handle_id(&watchdog_id, g_source_remove);
	nfc_sd_notify_cleanup();
}

static gboolean storage_init(GError **error)
{
	return nfc_storage_init(opts->state_dir, error);
}

static gboolean errno_result(int r, GError **error)
{
	if (r < 0)
		g_set_error_literal(error, G_IO_ERROR, g_io_error_from_errno(-r), g_strerror(-r));
	return r >= 0;
}

static gboolean rtnl_init(GError **error)
{
	return errno_result(nfc_rtnl_init(), error);
}

static gboolean bus_init(GError **error)
{
	bus = connect_bus(opts->bus, error);
	return bus != NULL;
}

static void bus_cleanup(void)
{
	/* what the steps after this one sent on their way out (Release) */
	g_dbus_connection_flush_sync(bus, NULL, NULL);
	g_clear_object(&bus);
}

static gboolean manager_init(GError **error)
{
	nfc_manager_init();
	return TRUE;
}

static gboolean service_init(GError **error)
{
	nfc_service_init();
	return TRUE;
}

static gboolean technology_init(GError **error)
{
	nfc_technology_init();
	return TRUE;
}

static gboolean session_init(GError **error)
{
	nfc_session_init();
	return TRUE;
}

static gboolean clock_init(GError **error)
{
	nfc_clock_init();
	return TRUE;
}

static gboolean clock_dbus_init(GError **error)
{
	return nfc_clock_dbus_export(bus, error);
}

static gboolean plugins_init(GError **error)
{
	return nfc_plugins_init(opts->plugins, opts->noplugins, error);
}

static gboolean connection_init(GError **error)
{
	nfc_connection_init(opts->run_dir);
	return TRUE;
}

static gboolean engine_init(GError **error)
{
	return errno_result(nfc_engine_init(), error);
}

/* after the engine (its firewall carries the tether rules), before the
 * objects that show it; a bridge, dnsmasq or sysctls a crash left are
 * cleaned here */
static gboolean tethering_init(GError **error)
{
	static const NfcTetheringFirewall fw = {
		.tether_set = nfc_engine_tether_set,
		.counters_read = nfc_engine_tether_counters_read,
	};

	nfc_tethering_set_firewall(&fw);
	nfc_tethering_init(opts->run_dir, opts->state_dir);
	return TRUE;
}

static void tethering_cleanup(void)
{
	nfc_tethering_cleanup();
	nfc_tethering_set_firewall(NULL);
}

static gboolean technology_dbus_init(GError **error)
{
	nfc_technology_dbus_init(bus);
	return TRUE;
}

static gboolean service_dbus_init(GError **error)
{
	nfc_service_dbus_init(bus);
	return TRUE;
}

static gboolean session_dbus_init(GError **error)
{
	nfc_session_dbus_init(bus);
	return TRUE;
}

static gboolean counter_init(GError **error)
{
	nfc_counter_init(bus);
	return TRUE;
}

static gboolean manager_dbus_init(GError **error)
{
	return nfc_manager_dbus_export(bus, error);
}

static gboolean stats_dbus_init(GError **error)
{
	nfc_stats_dbus_init(bus);
	return TRUE;
}

static gboolean tethering_dbus_init(GError **error)
{
	nfc_tethering_dbus_init(bus);
	return TRUE;
}

/* objects first, then the name: whoever sees the name can call them */
static gboolean name_init(GError **error)
{
	owner_id = g_bus_own_name_on_connection(bus, BUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
						on_name_acquired, on_name_lost, NULL, NULL);
	return TRUE;
}

static void name_cleanup(void)
{
	g_bus_unown_name(owner_id);
	owner_id = 0;
}

/* An init that fails leaves nothing behind: only the steps before it
 * are cleaned up. */
typedef struct {
	const char *name;
	gboolean (*init)(GError **error);
	void (*cleanup)(void);
} Step;

/* The model first, then the plugins that feed it (their devices and
 * services appear once rtnl's first dumps are in, on the main loop), then
 * what acts on it (routes, steering), then the D-Bus adapters that show
 * it, then the name.
 *
 * Shutdown is this table read backwards, and that is what keeps clients
 * hearing Release() before anything goes down under them: the name goes
 * first (no new callers), then the adapters (the session adapter sends
 * Release to every notifier), and only then are steering, routes and
 * services taken down, so a client never sees its session lose its
 * service on the way out. Signals the core would emit later go nowhere:
 * their adapters are gone, and so is the name they were matched on. */
static const Step steps[] = {
	/* first: systemd hears from us until the very end */
	{ "service manager", notify_init, notify_cleanup },
	{ "storage", storage_init, nfc_storage_cleanup },
	{ "rtnetlink", rtnl_init, nfc_rtnl_cleanup },
	{ "D-Bus", bus_init, bus_cleanup },
	{ "manager", manager_init, nfc_manager_cleanup },
	{ "services", service_init, nfc_service_cleanup },
	{ "technologies", technology_init, nfc_technology_cleanup },
	{ "sessions", session_init, nfc_session_cleanup },
	/* watches the services for their timeservers */
	{ "clock", clock_init, nfc_clock_cleanup },
	{ "plugins", plugins_init, nfc_plugins_cleanup },
	{ "connection", connection_init, nfc_connection_cleanup },
	{ "policy engine", engine_init, nfc_engine_cleanup },
	{ "tethering", tethering_init, tethering_cleanup },
	/* the object adapters before the manager's: they watch first, so an
	 * object exists before the manager announces it */
	{ "technology objects", technology_dbus_init, nfc_technology_dbus_cleanup },
	{ "service objects", service_dbus_init, nfc_service_dbus_cleanup },
	{ "session objects", session_dbus_init, nfc_session_dbus_cleanup },
	/* before the manager object that registers counters; on the way out
	 * its Release() follows the sessions' */
	{ "counters", counter_init, nfc_counter_cleanup },
	{ "manager object", manager_dbus_init, nfc_manager_dbus_unexport },
	{ "nfconn objects", stats_dbus_init, nfc_stats_dbus_cleanup },
	{ "tethering object", tethering_dbus_init, nfc_tethering_dbus_cleanup },
	{ "clock object", clock_dbus_init, nfc_clock_dbus_unexport },
	{ "bus name", name_init, name_cleanup },
};

/* Runs the steps in order, up to the first that fails: how many ran, for
 * stop(). */
static size_t start(GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
		if (!steps[i].init(error)) {
			g_prefix_error(error, "%s: ", steps[i].name);
			return i;
		}
	}
	return G_N_ELEMENTS(steps);
}

static void stop(size_t started)
{
	while (started > 0) {
		const Step *step = &steps[--started];

		nfc_debug("stopping %s", step->name);
		step->cleanup();
	}
}

int main(int argc, char **argv)
{
	g_autoptr(NfcOptions) options = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	NfcConfig *config;
	size_t started;

	options = nfc_options_parse(&argc, &argv, &error);
	opts = options;
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
	if (!config) {
		nfc_error("configuration: %s", error->message);
		return 1;
	}
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
	if (g_mkdir_with_parents(opts->run_dir, 0755) < 0) {
		nfc_error("cannot create %s: %s", opts->run_dir, g_strerror(errno));
		return 1;
	}

	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
	g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));

	started = start(&error);
	if (started == G_N_ELEMENTS(steps)) {
		g_main_loop_run(loop);
	} else {
		nfc_error("%s", error->message);
		exit_status = 1;
	}
	nfc_sd_notify("STOPPING=1");
	stop(started);

	nfc_config_set_active(NULL);
	nfc_config_set_dir(NULL);
	g_main_loop_unref(loop);
	nfc_info("exit");
	nfc_log_cleanup();
	return exit_status;
}
