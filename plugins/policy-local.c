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

/* settle: an editor writes a file in several steps, so wait for quiet;
 * cap: but a writer that never pauses still gets applied this often */
#define SETTLE_MS 100
#define CAP_MS 500

static NfcPolicySet *rules;
static char *policy_dir;
static GFileMonitor *monitor;     /* the policy directory */
static GFileMonitor *dir_monitor; /* its parent, for the directory itself */
static guint reload_timer;
static gint64 first_pending_us; /* the first event not yet applied, or 0 */

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
	first_pending_us = 0;
	reload();
	nfc_policy_changed();
	return G_SOURCE_REMOVE;
}

static void schedule_reload(void)
{
	gint64 now = g_get_monotonic_time();

	if (!first_pending_us)
		first_pending_us = now;
	if (reload_timer)
		g_source_remove(reload_timer);
	reload_timer = g_timeout_add(nfc_policy_reload_delay(first_pending_us, now, SETTLE_MS,
							     CAP_MS),
				     on_reload, NULL);
}

static void on_dir_changed(GFileMonitor *m, GFile *file, GFile *other, GFileMonitorEvent ev,
			   gpointer data)
{
	schedule_reload();
}

static void watch_policy_dir(void)
{
	g_autoptr(GFile) dir = g_file_new_for_path(policy_dir);
	g_autoptr(GError) error = NULL;

	if (monitor)
		g_signal_handlers_disconnect_by_func(monitor, on_dir_changed, NULL);
	g_clear_object(&monitor);
	monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
	if (!monitor) {
		nfc_warn("cannot watch %s: %s", policy_dir, error->message);
		return;
	}
	g_file_monitor_set_rate_limit(monitor, 50);
	g_signal_connect(monitor, "changed", G_CALLBACK(on_dir_changed), NULL);
}

static gboolean names_policy_dir(GFile *f)
{
	g_autofree char *name = f ? g_file_get_basename(f) : NULL;

	return !g_strcmp0(name, "session_policy_local");
}

/* The policy directory itself created, removed or renamed: GLib notices a
 * missing directory only by polling (every few seconds), and a watch on a
 * removed one is dead. The parent's watch sees it at once: watch the
 * directory afresh and apply what it holds now. */
static void on_parent_changed(GFileMonitor *m, GFile *file, GFile *other, GFileMonitorEvent ev,
			      gpointer data)
{
	if (!names_policy_dir(file) && !names_policy_dir(other))
		return;
	switch (ev) {
	case G_FILE_MONITOR_EVENT_CREATED:
	case G_FILE_MONITOR_EVENT_DELETED:
	case G_FILE_MONITOR_EVENT_MOVED_IN:
	case G_FILE_MONITOR_EVENT_MOVED_OUT:
	case G_FILE_MONITOR_EVENT_RENAMED:
		watch_policy_dir();
		schedule_reload();
		break;
	default:
		break;
	}
}

static int policy_init(void)
{
	g_autoptr(GFile) parent = g_file_new_for_path(nfc_config_dir());
	g_autoptr(GError) error = NULL;

	policy_dir = g_build_filename(nfc_config_dir(), "session_policy_local", NULL);
	reload();
	watch_policy_dir();
	dir_monitor = g_file_monitor_directory(parent, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
	if (dir_monitor)
		g_signal_connect(dir_monitor, "changed", G_CALLBACK(on_parent_changed), NULL);
	else
		nfc_warn("cannot watch %s: %s", nfc_config_dir(), error->message);
	return nfc_policy_register(&driver);
}

static void policy_exit(void)
{
	nfc_policy_unregister(&driver);
	if (reload_timer)
		g_source_remove(reload_timer);
	reload_timer = 0;
	first_pending_us = 0;
	if (dir_monitor)
		g_signal_handlers_disconnect_by_func(dir_monitor, on_parent_changed, NULL);
	g_clear_object(&dir_monitor);
	if (monitor)
		g_signal_handlers_disconnect_by_func(monitor, on_dir_changed, NULL);
	g_clear_object(&monitor);
	g_clear_pointer(&rules, nfc_policy_set_free);
	g_clear_pointer(&policy_dir, g_free);
}

NFC_PLUGIN_DEFINE(session_policy_local, "Session policy files", NULL, policy_init, policy_exit);
