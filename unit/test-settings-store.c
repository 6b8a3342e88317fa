// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: what SetProperty stores, at its limits. A settings write
 * that fails (the state directory on a full file system) reaches the
 * caller and leaves the service as it was; configured lists are bounded
 * and cost no quadratic time. The test runs in a mount namespace of its
 * own, so the tiny tmpfs under the lab's state directory is nobody
 * else's (nfconnd, started through ip netns exec, inherits it). */
#include <errno.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "uplinks.h"

#define SERVICE "net.connman.Service"

typedef struct {
	Uplinks u;
	char *id;
	char *path;
	char *settings;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, NULL);
	f->id = uplinks_service_id(&f->u, 0);
	f->path = g_strdup_printf("/net/connman/service/%s", f->id);
	f->settings = g_build_filename(nfc_lab_state_dir(f->u.lab), f->id, "settings", NULL);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (f->u.nfconnd)
		uplinks_stop_nfconnd(&f->u);
	/* the lab removes its directory: not through a mount point */
	umount2(nfc_lab_state_dir(f->u.lab), MNT_DETACH);
	uplinks_teardown(&f->u);
	g_free(f->id);
	g_free(f->path);
	g_free(f->settings);
}

static GVariant *strv(const char *const *items, gssize n)
{
	return g_variant_new_strv(items, n);
}

static gboolean set_property(Fixture *f, const char *name, GVariant *value, GError **error)
{
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, f->path, SERVICE, "SetProperty",
					     g_variant_new("(sv)", name, value), error);

	return r != NULL;
}

static char **get_strv(Fixture *f, const char *name)
{
	g_autoptr(GVariant) v = uplinks_service_property(&f->u, f->id, name);

	g_assert_nonnull(v);
	return g_variant_dup_strv(v, NULL);
}

/* The state directory on a 256 KiB tmpfs, filled up: SetProperty answers
 * net.connman.Error.Failed saying why, the property and the file keep
 * the old value; once there is room again the same call succeeds. */
static void test_full_disk(Fixture *f, gconstpointer data)
{
	const char *state = nfc_lab_state_dir(f->u.lab);
	const char *const old[] = { "old.example", NULL }, *const want[] = { "new.example", NULL };
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) got = NULL;
	g_autofree char *text = NULL, *fill = g_build_filename(state, "fill", NULL);
	g_autoptr(GVariant) ac = NULL;

	g_assert_cmpint(g_mkdir_with_parents(state, 0700), ==, 0);
	g_assert_cmpint(mount("nfc-test", state, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0700"),
			==, 0);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_property(&f->u, f->id, "State", "online", 20000);
	g_assert_true(set_property(f, "Domains.Configuration", strv(old, -1), &error));
	g_assert_no_error(error);

	/* fill it: dd stops at ENOSPC */
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, NULL, NULL,
					  "dd if=/dev/zero of=%s bs=4096 2>/dev/null", fill), !=, 0);
	g_assert_false(set_property(f, "Domains.Configuration", strv(want, -1), &error));
	g_assert_true(g_dbus_error_is_remote_error(error));
	{
		g_autofree char *name = g_dbus_error_get_remote_error(error);

		g_assert_cmpstr(name, ==, "net.connman.Error.Failed");
	}
	g_assert_nonnull(strstr(error->message, g_strerror(ENOSPC)));
	g_clear_error(&error);
	got = get_strv(f, "Domains.Configuration");
	g_assert_cmpstrv(got, old);
	g_assert_true(g_file_get_contents(f->settings, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "Domains=old.example;"));
	g_clear_pointer(&text, g_free);
	/* the same for a boolean: AutoConnect stays true */
	g_assert_false(set_property(f, "AutoConnect", g_variant_new_boolean(FALSE), &error));
	g_assert_nonnull(strstr(error->message, g_strerror(ENOSPC)));
	g_clear_error(&error);
	ac = uplinks_service_property(&f->u, f->id, "AutoConnect");
	g_assert_true(g_variant_get_boolean(ac));

	/* room again: stored and reported */
	g_assert_cmpint(g_unlink(fill), ==, 0);
	g_assert_true(set_property(f, "Domains.Configuration", strv(want, -1), &error));
	g_assert_no_error(error);
	g_clear_pointer(&got, g_strfreev);
	got = get_strv(f, "Domains.Configuration");
	g_assert_cmpstrv(got, want);
	g_assert_true(g_file_get_contents(f->settings, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "Domains=new.example;"));
}

/* CPU time (user + system) a process has used, in ms: what a call cost
 * the daemon, whatever else the machine is doing meanwhile. */
static guint64 cpu_ms(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) f = NULL;
	const char *p;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	/* fields after "(comm)": state is field 3, utime 14, stime 15 */
	p = strrchr(text, ')');
	g_assert_nonnull(p);
	f = g_strsplit(p + 2, " ", 0);
	g_assert_cmpuint(g_strv_length(f), >, 13);
	return (g_ascii_strtoull(f[11], NULL, 10) + g_ascii_strtoull(f[12], NULL, 10)) * 1000 /
	       (guint64)sysconf(_SC_CLK_TCK);
}

static GPtrArray *domains(guint n)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(a, g_strdup_printf("d%u.example", i));
	g_ptr_array_add(a, NULL);
	return a;
}

/* 50,000 domains (the 9 s stall) are refused at once, naming the
 * property and the limit; 64 are taken, reach resolv.conf on one search
 * line and come back from GetProperties quickly. */
static void test_long_lists(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) many = domains(50000), max = domains(64);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) got = NULL;
	g_autofree char *search = NULL;
	g_autoptr(GPtrArray) ns = g_ptr_array_new_with_free_func(g_free);
	gint64 t0;
	guint64 cpu0, cpu;

	uplinks_set_carrier(&f->u, 1, false); /* uplink0 alone: resolv.conf is its */
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_property(&f->u, f->id, "State", "online", 20000);

	t0 = g_get_monotonic_time();
	cpu0 = cpu_ms(f->u.nfconnd);
	g_assert_false(set_property(f, "Domains.Configuration",
				    strv((const char *const *)many->pdata, -1), &error));
	cpu = cpu_ms(f->u.nfconnd) - cpu0;
	g_assert_true(g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED) ||
		      g_dbus_error_is_remote_error(error));
	{
		g_autofree char *name = g_dbus_error_get_remote_error(error);

		g_assert_cmpstr(name, ==, "net.connman.Error.InvalidArguments");
	}
	g_assert_nonnull(strstr(error->message, "Domains.Configuration"));
	g_assert_nonnull(strstr(error->message, "64"));
	g_clear_error(&error);
	g_test_message("50,000 domains refused in %" G_GINT64_FORMAT " ms, %" G_GUINT64_FORMAT
		       " ms of nfconnd's CPU", (g_get_monotonic_time() - t0) / 1000, cpu);
	/* a figure, not an assertion (speed is the benches' to judge): it
	 * was a 9 s stall of the main loop before the bound */

	/* 65 nameservers: the same limit */
	for (int i = 0; i < 65; i++)
		g_ptr_array_add(ns, g_strdup_printf("198.51.100.%d", i + 1));
	g_ptr_array_add(ns, NULL);
	g_assert_false(set_property(f, "Nameservers.Configuration",
				    strv((const char *const *)ns->pdata, -1), &error));
	g_assert_nonnull(strstr(error->message, "Nameservers.Configuration"));
	g_clear_error(&error);

	t0 = g_get_monotonic_time();
	g_assert_true(set_property(f, "Domains.Configuration",
				   strv((const char *const *)max->pdata, -1), &error));
	g_assert_no_error(error);
	got = get_strv(f, "Domains");
	g_test_message("64 domains set and read back in %" G_GINT64_FORMAT " ms",
		       (g_get_monotonic_time() - t0) / 1000);
	g_assert_cmpstrv(got, (const char *const *)max->pdata);
	nfc_lab_wait_sh(f->u.lab, NULL, 5000, "grep -q '^search d0.example .* d63.example$' %s/resolv.conf",
			nfc_lab_run_dir(f->u.lab));
	search = nfc_lab_sh_output(f->u.lab, NULL, "grep -c '^search ' %s/resolv.conf",
				   nfc_lab_run_dir(f->u.lab));
	g_assert_cmpstr(search, ==, "1\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	/* before any thread exists (GDBus starts one): a mount namespace of
	 * our own, nothing propagating back */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		g_error("no private mount namespace: %s", g_strerror(errno));
	g_test_add("/settings-store/full-disk", Fixture, NULL, setup, test_full_disk, teardown);
	g_test_add("/settings-store/long-lists", Fixture, NULL, setup, test_long_lists, teardown);
	return g_test_run();
}
