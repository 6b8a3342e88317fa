// SPDX-License-Identifier: GPL-2.0-or-later
#include "options.h"

#include <gio/gio.h>

#include "nfconn-build.h"

static gboolean debug_cb(const char *name, const char *value, gpointer data, GError **error)
{
	NfcOptions *opts = data;
	g_autofree char *old = opts->debug;

	/* -d alone enables everything; repeated -d patterns accumulate */
	if (!value || !*value)
		opts->debug = g_strdup("");
	else if (old && *old)
		opts->debug = g_strconcat(old, ",", value, NULL);
	else if (old)
		opts->debug = g_strdup(""); /* "everything" already */
	else
		opts->debug = g_strdup(value);
	return TRUE;
}

void nfc_options_free(NfcOptions *opts)
{
	if (!opts)
		return;
	g_free(opts->debug);
	g_free(opts->config_file);
	g_free(opts->state_dir);
	g_free(opts->run_dir);
	g_free(opts->plugins);
	g_free(opts->noplugins);
	g_free(opts->bus);
	g_free(opts);
}

NfcOptions *nfc_options_parse(int *argc, char ***argv, GError **error)
{
	g_autoptr(NfcOptions) opts = g_new0(NfcOptions, 1);
	g_autoptr(GOptionContext) ctx = NULL;
	GOptionGroup *group;
	gboolean nodaemon = FALSE, version = FALSE;
	const GOptionEntry entries[] = {
		{ "nodaemon", 'n', 0, G_OPTION_ARG_NONE, &nodaemon,
		  "Stay in the foreground and log to stderr", NULL },
		{ "debug", 'd', G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, debug_cb,
		  "Enable debug messages (for source files matching PATTERN)", "PATTERN" },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &opts->config_file,
		  "Configuration file (default " NFC_CONFIG_FILE ")", "FILE" },
		{ "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts->state_dir,
		  "Persistent state directory (default " NFC_STATE_DIR ")", "DIR" },
		{ "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts->run_dir,
		  "Runtime directory (default " NFC_RUN_DIR ")", "DIR" },
		{ "plugin", 'p', 0, G_OPTION_ARG_STRING, &opts->plugins,
		  "Only load plugins matching the comma-separated patterns", "NAME" },
		{ "noplugin", 'P', 0, G_OPTION_ARG_STRING, &opts->noplugins,
		  "Do not load plugins matching the comma-separated patterns", "NAME" },
		{ "bus", 0, 0, G_OPTION_ARG_STRING, &opts->bus,
		  "D-Bus to use: system (default), session or an address", "BUS" },
		{ "version", 'v', 0, G_OPTION_ARG_NONE, &version,
		  "Show the version and exit", NULL },
		{ NULL }
	};

	ctx = g_option_context_new(NULL);
	g_option_context_set_summary(ctx, "nfconn network connection daemon");
	group = g_option_group_new("nfconnd", "nfconnd options", "nfconnd options", opts, NULL);
	g_option_group_add_entries(group, entries);
	g_option_context_set_main_group(ctx, group);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return NULL;
	if (*argc > 1) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "unexpected argument \"%s\"", (*argv)[1]);
		return NULL;
	}

	opts->nodaemon = nodaemon;
	opts->version = version;
	opts->config_given = opts->config_file != NULL;
	if (!opts->config_file)
		opts->config_file = g_strdup(NFC_CONFIG_FILE);
	if (!opts->state_dir)
		opts->state_dir = g_strdup(NFC_STATE_DIR);
	if (!opts->run_dir)
		opts->run_dir = g_strdup(NFC_RUN_DIR);
	if (!opts->bus)
		opts->bus = g_strdup("system");
	if (!g_str_equal(opts->bus, "system") && !g_str_equal(opts->bus, "session") &&
	    !g_dbus_is_supported_address(opts->bus, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--bus: \"%s\" is neither system, session nor a D-Bus address",
			    opts->bus);
		return NULL;
	}
	if (!g_path_is_absolute(opts->state_dir) || !g_path_is_absolute(opts->run_dir)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--state-dir and --run-dir must be absolute paths");
		return NULL;
	}
	return g_steal_pointer(&opts);
}
