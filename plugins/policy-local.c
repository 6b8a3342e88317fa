// SPDX-License-Identifier: GPL-2.0-or-later
/* The session_policy_local plugin: applies the *.policy files in
 * session_policy_local/ beside main.conf, which map application identities
 * to session settings (parsed and matched by src/policy-file.c). The
 * directory is watched: files added, changed or removed re-apply to live
 * sessions. */
#include <errno.h>

#include <gio/gio.h>

#include "config.h"
#include "log.h"
#include "plugin.h"
#include "policy-file.h"
#include "policy.h"

static NfcPolicySet *rules;
static char *policy_dir;
static GFileMonitor *monitor;
static guint reload_timer;

static NfcPolicyConfig *lookup(const NfcIdentity *identity)
{
	return rules ? nfc_policy_set_lookup(rules, identity) : NULL;
}

static const NfcPolicyDriver driver = {
	.name = "session_policy_local",
	.lookup = lookup,
};

static void reload(void)
{
	NfcPolicySet *fresh = nfc_policy_set_new();
	guint files = nfc_policy_set_load_dir(fresh, policy_dir);

	nfc_info("session policies: %u files, %u rules from %s", files,
		 nfc_policy_set_count(fresh), policy_dir);
	nfc_policy_set_free(rules);
	rules = fresh;
}

static gboolean on_reload(gpointer data)
{
	reload_timer = 0;
	reload();
	nfc_policy_changed();
	return G_SOURCE_REMOVE;
}

static void on_dir_changed(GFileMonitor *m, GFile *file, GFile *other, GFileMonitorEvent ev,
			   gpointer data)
{
	/* an editor writes a file in several steps: settle first, then
	 * apply the whole directory at once */
	if (reload_timer)
		g_source_remove(reload_timer);
	reload_timer = g_timeout_add(100, on_reload, NULL);
}

static int policy_init(void)
{
	g_autoptr(GFile) dir = NULL;
	g_autoptr(GError) error = NULL;
	int r;

	policy_dir = g_build_filename(nfc_config_dir(), "session_policy_local", NULL);
	reload();
	dir = g_file_new_for_path(policy_dir);
	monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
	if (monitor) {
		g_file_monitor_set_rate_limit(monitor, 50);
		g_signal_connect(monitor, "changed", G_CALLBACK(on_dir_changed), NULL);
	} else {
		nfc_warn("cannot watch %s: %s", policy_dir, error->message);
	}
	r = nfc_policy_register(&driver);
	return r;
}

static void policy_exit(void)
{
	nfc_policy_unregister(&driver);
	if (reload_timer)
		g_source_remove(reload_timer);
	reload_timer = 0;
	g_clear_object(&monitor);
	g_clear_pointer(&rules, nfc_policy_set_free);
	g_clear_pointer(&policy_dir, g_free);
}

NFC_PLUGIN_DEFINE(session_policy_local, "Session policy files", NULL, policy_init, policy_exit);
