// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: nfconnd in a fresh network namespace on a private bus.
 * Manager properties, OfflineMode with its signals and persistence, error
 * replies, the bus policy for unprivileged users, and a clean SIGTERM. */
#include <signal.h>
#include <sys/wait.h>

#include "lab.h"

#define MANAGER "net.connman.Manager"

typedef struct {
	NfcLab *lab;
	const char *ns;
	GPid daemon;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	f->lab = nfc_lab_new();
	f->ns = nfc_lab_add_netns(f->lab, "host");
	/* a fresh namespace starts with lo down: the loopback plugin's job */
	nfc_lab_sh(f->lab, f->ns, "ip link set lo down");
	f->daemon = nfc_lab_start_nfconnd(f->lab, f->ns, NULL);
}

static void teardown(Fixture *f, gconstpointer data)
{
	nfc_lab_free(f->lab);
}

static GVariant *get_properties(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = nfc_lab_call(f->lab, "/", MANAGER, "GetProperties", NULL,
						 &error);

	g_assert_no_error(error);
	return g_variant_get_child_value(reply, 0);
}

static void set_property(Fixture *f, const char *name, GVariant *value, GError **error)
{
	g_autoptr(GVariant) reply = nfc_lab_call(f->lab, "/", MANAGER, "SetProperty",
						 g_variant_new("(sv)", name, value), error);
}

static void test_start(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) props = get_properties(f);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) techs = NULL, services = NULL;
	g_autofree char *lo = NULL;
	const char *state = NULL;
	gboolean offline = TRUE, session_mode = TRUE;

	g_assert_true(g_variant_lookup(props, "State", "&s", &state));
	/* no service and not offline: "idle", as ConnMan answers */
	g_assert_cmpstr(state, ==, "idle");
	g_assert_true(g_variant_lookup(props, "OfflineMode", "b", &offline));
	g_assert_false(offline);
	g_assert_true(g_variant_lookup(props, "SessionMode", "b", &session_mode));
	g_assert_false(session_mode);
	g_assert_cmpuint(g_variant_n_children(props), ==, 3);

	techs = nfc_lab_call(f->lab, "/", MANAGER, "GetTechnologies", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_type_string(techs), ==, "(a(oa{sv}))");
	services = nfc_lab_call(f->lab, "/", MANAGER, "GetServices", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_type_string(services), ==, "(a(oa{sv}))");

	lo = nfc_lab_sh_output(f->lab, f->ns, "ip -o link show lo");
	g_assert_nonnull(strstr(lo, "<LOOPBACK,UP"));
}

static void expect_changed(NfcLabSignals *sig, const char *name, GVariant *expected)
{
	g_autoptr(GVariant) params = nfc_lab_signals_pop(sig, 2000, NULL);
	g_autoptr(GVariant) value = NULL;
	g_autoptr(GVariant) want = g_variant_ref_sink(expected);
	const char *got_name;

	g_assert_nonnull(params);
	g_variant_get(params, "(&sv)", &got_name, &value);
	g_assert_cmpstr(got_name, ==, name);
	g_assert_true(g_variant_equal(value, want));
}

static void test_offline_mode(Fixture *f, gconstpointer data)
{
	g_autoptr(NfcLabSignals) sig = nfc_lab_signals_new(f->lab, MANAGER, "PropertyChanged");
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) props = NULL, props2 = NULL, nothing = NULL;
	g_autofree char *settings = NULL;
	gboolean offline = FALSE;
	const char *state;
	int status;

	set_property(f, "OfflineMode", g_variant_new_boolean(TRUE), &error);
	g_assert_no_error(error);
	expect_changed(sig, "OfflineMode", g_variant_new_boolean(TRUE));
	expect_changed(sig, "State", g_variant_new_string("offline"));

	props = get_properties(f);
	g_assert_true(g_variant_lookup(props, "OfflineMode", "b", &offline));
	g_assert_true(offline);
	g_assert_true(g_variant_lookup(props, "State", "&s", &state));
	g_assert_cmpstr(state, ==, "offline");

	/* the same value again is accepted and changes nothing */
	set_property(f, "OfflineMode", g_variant_new_boolean(TRUE), &error);
	g_assert_no_error(error);
	nothing = nfc_lab_signals_pop(sig, 300, NULL);
	g_assert_null(nothing);

	/* SessionMode: accepted and stored, no signal (deprecated in the API) */
	set_property(f, "SessionMode", g_variant_new_boolean(TRUE), &error);
	g_assert_no_error(error);
	g_assert_null(nfc_lab_signals_pop(sig, 300, NULL));

	/* persisted atomically in the state directory, survives a restart */
	settings = nfc_lab_sh_output(f->lab, NULL, "cat %s/settings", nfc_lab_state_dir(f->lab));
	g_assert_nonnull(strstr(settings, "OfflineMode=true"));
	status = nfc_lab_stop(f->lab, f->daemon, SIGTERM, 2000, NULL);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f->daemon = nfc_lab_start_nfconnd(f->lab, f->ns, NULL);
	props2 = get_properties(f);
	g_assert_true(g_variant_lookup(props2, "OfflineMode", "b", &offline));
	g_assert_true(offline);

	set_property(f, "OfflineMode", g_variant_new_boolean(FALSE), &error);
	g_assert_no_error(error);
	expect_changed(sig, "OfflineMode", g_variant_new_boolean(FALSE));
	expect_changed(sig, "State", g_variant_new_string("idle"));
}

static void expect_error(Fixture *f, const char *method, GVariant *params, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = nfc_lab_call(f->lab, "/", MANAGER, method, params, &error);
	g_autofree char *remote = NULL;

	g_assert_null(reply);
	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, name);
}

static void test_bad_arguments(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) props = NULL;
	g_autofree char *corrupt = NULL;
	gboolean offline = TRUE;

	expect_error(f, "SetProperty", g_variant_new("(sv)", "OfflineMode", g_variant_new_string("yes")),
		     "net.connman.Error.InvalidArguments");
	expect_error(f, "SetProperty", g_variant_new("(sv)", "OfflineMode", g_variant_new_uint32(1)),
		     "net.connman.Error.InvalidArguments");
	expect_error(f, "SetProperty", g_variant_new("(sv)", "SessionMode", g_variant_new_string("x")),
		     "net.connman.Error.InvalidArguments");
	expect_error(f, "SetProperty", g_variant_new("(sv)", "State", g_variant_new_string("online")),
		     "net.connman.Error.InvalidProperty");
	expect_error(f, "SetProperty", g_variant_new("(sv)", "NoSuchThing", g_variant_new_boolean(TRUE)),
		     "net.connman.Error.InvalidProperty");
	/* a wrong signature never reaches our handler: the bus layer answers */
	expect_error(f, "SetProperty", g_variant_new("(ss)", "OfflineMode", "true"),
		     "org.freedesktop.DBus.Error.InvalidArgs");
	expect_error(f, "NoSuchMethod", NULL, "org.freedesktop.DBus.Error.UnknownMethod");

	/* nothing of that changed the state, and the daemon still answers */
	props = get_properties(f);
	g_assert_true(g_variant_lookup(props, "OfflineMode", "b", &offline));
	g_assert_false(offline);

	/* a corrupt settings file is logged and replaced by defaults */
	nfc_lab_stop(f->lab, f->daemon, SIGTERM, 2000, NULL);
	nfc_lab_sh(f->lab, NULL, "printf '[global\\nOfflineMode=maybe' > %s/settings",
		   nfc_lab_state_dir(f->lab));
	f->daemon = nfc_lab_start_nfconnd(f->lab, f->ns, NULL);
	g_clear_pointer(&props, g_variant_unref);
	props = get_properties(f);
	g_assert_true(g_variant_lookup(props, "OfflineMode", "b", &offline));
	g_assert_false(offline);
	corrupt = nfc_lab_log(f->lab, "nfconnd");
	g_assert_nonnull(strstr(corrupt, "ignoring unreadable"));
}

static void test_bus_policy(Fixture *f, gconstpointer data)
{
	const char *addr = nfc_lab_bus_address(f->lab);
	g_autofree char *out = NULL, *out2 = NULL, *out3 = NULL;
	g_autofree char *dir_mode = NULL;
	int status;

	/* the lab directory must be reachable for the socket */
	nfc_lab_sh(f->lab, NULL, "chmod 755 %s", nfc_lab_dir(f->lab));

	/* anybody may read state ... */
	status = nfc_lab_sh_status(f->lab, NULL, &out,
		"setpriv --reuid=65534 --regid=65534 --clear-groups "
		"dbus-send --bus=%s --print-reply --dest=net.connman / " MANAGER ".GetProperties 2>&1",
		addr);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, "OfflineMode"));

	/* ... but not change it */
	status = nfc_lab_sh_status(f->lab, NULL, &out2,
		"setpriv --reuid=65534 --regid=65534 --clear-groups "
		"dbus-send --bus=%s --print-reply --dest=net.connman / " MANAGER ".SetProperty "
		"string:OfflineMode variant:boolean:true 2>&1", addr);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(out2, "AccessDenied"));

	/* nor own the name */
	status = nfc_lab_sh_status(f->lab, NULL, &out3,
		"setpriv --reuid=65534 --regid=65534 --clear-groups "
		"dbus-send --bus=%s --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "
		"org.freedesktop.DBus.RequestName string:net.connman uint32:0 2>&1", addr);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(out3, "AccessDenied"));
}

static void test_sigterm(Fixture *f, gconstpointer data)
{
	g_autofree char *rules = NULL, *tables = NULL, *log = NULL;
	g_autoptr(GVariant) has = NULL;
	gboolean owned = TRUE;
	double ms = 0;
	int status;

	status = nfc_lab_stop(f->lab, f->daemon, SIGTERM, 1000, &ms);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpfloat(ms, <, 1000.0);
	g_test_message("exit took %.1f ms", ms);

	has = g_dbus_connection_call_sync(nfc_lab_bus(f->lab), "org.freedesktop.DBus",
					  "/org/freedesktop/DBus", "org.freedesktop.DBus",
					  "NameHasOwner", g_variant_new("(s)", "net.connman"),
					  G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	g_assert_nonnull(has);
	g_variant_get(has, "(b)", &owned);
	g_assert_false(owned);

	/* nothing of ours left in the namespace: no tables, only the
	 * kernel's three default rules */
	tables = nfc_lab_sh_output(f->lab, f->ns, "nft list tables");
	g_assert_cmpstr(tables, ==, "");
	rules = nfc_lab_sh_output(f->lab, f->ns, "ip rule list | wc -l; ip -6 rule list | wc -l");
	g_assert_cmpstr(rules, ==, "3\n2\n");
	log = nfc_lab_log(f->lab, "nfconnd");
	g_assert_nonnull(strstr(log, "terminating on signal 15"));
}

static void test_second_daemon(Fixture *f, gconstpointer data)
{
	g_autofree char *out = NULL;
	g_autofree char *cmd = g_strdup_printf(NFC_BUILD_ROOT "/nfconnd -n --bus=%s "
					       "--state-dir=%s/second --run-dir=%s/second-run 2>&1",
					       nfc_lab_bus_address(f->lab), nfc_lab_dir(f->lab),
					       nfc_lab_dir(f->lab));
	/* the name is taken: a second daemon says so and exits 1 */
	int status = nfc_lab_sh_status(f->lab, f->ns, &out, "%s", cmd);

	g_assert_cmpint(status, ==, 1);
	g_assert_nonnull(strstr(out, "cannot own net.connman"));
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/manager/start", test_start);
	ADD("/manager/offline-mode", test_offline_mode);
	ADD("/manager/bad-arguments", test_bad_arguments);
	ADD("/manager/bus-policy", test_bus_policy);
	ADD("/manager/sigterm", test_sigterm);
	ADD("/manager/second-daemon", test_second_daemon);
	return g_test_run();
}
