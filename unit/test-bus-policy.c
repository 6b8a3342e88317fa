// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the installed bus policy (dbus/nfconn.conf) as a whole,
 * group rules included. Every user may read and use sessions; changes and
 * agents are for root and group netdev. The machine may lack netdev, so the
 * lab's bus resolves groups from a group file of this test's own (bound
 * over /etc/group in the bus's mount namespace only). Clients are uid 65534
 * without groups, then with netdev as a supplementary group. */
#include <grp.h>
#include <string.h>

#include "lab.h"

typedef struct {
	NfcLab *lab;
	const char *ns;
	guint netdev_gid;
	char *service;    /* the path of the one service */
	char *technology; /* ... and of its technology */
} Fixture;

/* A method and its arguments in gdbus call's GVariant text; a path of
 * NULL is the service's, "T" the technology's. */
typedef struct {
	const char *path;
	const char *method;
	const char *args[4];
} Call;

static const Call reads[] = {
	{ "/", "net.connman.Manager.GetProperties", { NULL } },
	{ "/", "net.connman.Manager.GetServices", { NULL } },
	{ "/", "net.connman.Manager.GetTechnologies", { NULL } },
	{ "/", "net.connman.Manager.GetPeers", { NULL } },
	{ "/", "net.connman.Manager.GetTetheringClients", { NULL } },
	{ "/", "net.connman.Clock.GetProperties", { NULL } },
	{ NULL, "net.connman.Service.GetProperties", { NULL } },
	{ "T", "net.connman.Technology.GetProperties", { NULL } },
	{ "/", "net.nfconn.Manager.GetCounters", { NULL } },
	{ "/", "net.nfconn.Manager.Explain", { "'uid'", "'0'" } },
	{ "/", "net.nfconn.Tethering.GetStatus", { NULL } },
	{ "/", "net.nfconn.Tethering.GetClients", { NULL } },
	{ "/", "org.freedesktop.DBus.Introspectable.Introspect", { NULL } },
};

static const Call changes[] = {
	/* the service's first: Remove, Powered and OfflineMode take it away */
	{ NULL, "net.connman.Service.SetProperty", { "'AutoConnect'", "<false>" } },
	{ NULL, "net.connman.Service.ClearProperty", { "'Error'" } },
	{ NULL, "net.connman.Service.Connect", { NULL } },
	{ NULL, "net.connman.Service.Disconnect", { NULL } },
	{ NULL, "net.connman.Service.MoveBefore", { "'/'" } },
	{ NULL, "net.connman.Service.MoveAfter", { "'/'" } },
	{ NULL, "net.connman.Service.ResetCounters", { NULL } },
	{ NULL, "net.connman.Service.Remove", { NULL } },
	{ "T", "net.connman.Technology.Scan", { NULL } },
	{ "T", "net.connman.Technology.SetProperty", { "'Powered'", "<false>" } },
	{ "/", "net.connman.Clock.SetProperty", { "'TimeUpdates'", "<'manual'>" } },
	{ "/", "net.connman.Manager.RegisterAgent", { "'/test/agent'" } },
	{ "/", "net.connman.Manager.UnregisterAgent", { "'/test/agent'" } },
	{ "/", "net.connman.Manager.RegisterCounter", { "'/test/counter'", "1", "1" } },
	{ "/", "net.connman.Manager.UnregisterCounter", { "'/test/counter'" } },
	{ "/", "net.nfconn.Manager.GetApplyTimes", { "true" } },
	{ "/", "net.connman.Manager.SetProperty", { "'OfflineMode'", "<true>" } },
};

/* /etc/group without any netdev, plus netdev at a gid nothing else has. */
static char *write_group_file(Fixture *f)
{
	g_autofree char *text = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	char *path = g_build_filename(nfc_lab_dir(f->lab), "group", NULL);

	g_file_get_contents("/etc/group", &text, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) fields = g_strsplit(*l, ":", 4);

		if (!**l || g_str_has_prefix(*l, "netdev:"))
			continue;
		if (g_strv_length(fields) >= 3)
			g_hash_table_add(used, GUINT_TO_POINTER(atoi(fields[2])));
		g_string_append_printf(out, "%s\n", *l);
	}
	f->netdev_gid = 64999;
	while (g_hash_table_contains(used, GUINT_TO_POINTER(f->netdev_gid)) ||
	       getgrgid(f->netdev_gid))
		f->netdev_gid--;
	g_string_append_printf(out, "netdev:x:%u:\n", f->netdev_gid);
	g_file_set_contents(path, out->str, -1, &error);
	g_assert_no_error(error);
	return path;
}

static gboolean has_service(gpointer data)
{
	Fixture *f = data;
	g_autoptr(GVariant) reply = nfc_lab_call(f->lab, "/", "net.connman.Manager", "GetServices",
						 NULL, NULL);
	g_autoptr(GVariant) list = NULL;

	if (!reply)
		return FALSE;
	list = g_variant_get_child_value(reply, 0);
	if (g_variant_n_children(list) == 0)
		return FALSE;
	g_variant_get_child(list, 0, "(o@a{sv})", &f->service, NULL);
	return TRUE;
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *group = NULL;
	g_autoptr(GVariant) techs = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GError) error = NULL;
	const char *router;

	f->lab = nfc_lab_new();
	group = write_group_file(f);
	nfc_lab_set_bus_group_file(f->lab, group);
	/* the bus socket lives there: uid 65534 must reach it */
	nfc_lab_sh(f->lab, NULL, "chmod 755 %s", nfc_lab_dir(f->lab));
	f->ns = nfc_lab_add_netns(f->lab, "host");
	router = nfc_lab_add_netns(f->lab, "router");
	nfc_lab_add_veth(f->lab, f->ns, "uplink0", router, "r0");
	nfc_lab_sh(f->lab, router, "ip link set r0 up");
	nfc_lab_start_nfconnd(f->lab, f->ns, NULL);

	g_assert_true(nfc_lab_wait_for(has_service, f, 10000));
	techs = nfc_lab_call(f->lab, "/", "net.connman.Manager", "GetTechnologies", NULL, &error);
	g_assert_no_error(error);
	list = g_variant_get_child_value(techs, 0);
	g_assert_cmpuint(g_variant_n_children(list), >, 0);
	g_variant_get_child(list, 0, "(o@a{sv})", &f->technology, NULL);
}

static void teardown(Fixture *f, gconstpointer data)
{
	nfc_lab_free(f->lab);
	g_free(f->service);
	g_free(f->technology);
}

/* Runs the call as uid 65534, with netdev as its one supplementary group
 * or none; returns the exit status, *out what gdbus printed. */
static int call_as_nobody(Fixture *f, const Call *c, gboolean netdev, char **out)
{
	const char *path = !c->path ? f->service : !strcmp(c->path, "T") ? f->technology : c->path;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *std_out = NULL, *std_err = NULL;
	g_autoptr(GError) error = NULL;
	int status = -1;

	g_ptr_array_add(argv, g_strdup("setpriv"));
	g_ptr_array_add(argv, g_strdup("--reuid=65534"));
	g_ptr_array_add(argv, g_strdup("--regid=65534"));
	g_ptr_array_add(argv, netdev ? g_strdup_printf("--groups=%u", f->netdev_gid)
				     : g_strdup("--clear-groups"));
	g_ptr_array_add(argv, g_strdup("gdbus"));
	g_ptr_array_add(argv, g_strdup("call"));
	g_ptr_array_add(argv, g_strdup_printf("--address=%s", nfc_lab_bus_address(f->lab)));
	g_ptr_array_add(argv, g_strdup("--dest=net.connman"));
	g_ptr_array_add(argv, g_strdup_printf("--object-path=%s", path));
	g_ptr_array_add(argv, g_strdup_printf("--method=%s", c->method));
	for (const char *const *a = c->args; *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
		     &std_out, &std_err, &status, &error);
	g_assert_no_error(error);
	*out = g_strconcat(std_out, std_err, NULL);
	return status;
}

/* The Manager's OfflineMode as the daemon reports it. */
static gboolean offline_mode(Fixture *f)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GError) error = NULL;
	gboolean offline = FALSE;

	reply = nfc_lab_call(f->lab, "/", "net.connman.Manager", "GetProperties", NULL, &error);
	g_assert_no_error(error);
	props = g_variant_get_child_value(reply, 0);
	g_assert_true(g_variant_lookup(props, "OfflineMode", "b", &offline));
	return offline;
}

static void test_reads_for_everyone(Fixture *f, gconstpointer data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reads); i++) {
		g_autofree char *out = NULL;
		int status = call_as_nobody(f, &reads[i], FALSE, &out);

		g_test_message("%s: %s", reads[i].method, out);
		g_assert_null(strstr(out, "AccessDenied"));
		g_assert_cmpint(status, ==, 0);
	}
}

static void test_changes_denied(Fixture *f, gconstpointer data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(changes); i++) {
		g_autofree char *out = NULL;
		int status = call_as_nobody(f, &changes[i], FALSE, &out);

		g_test_message("%s: %s", changes[i].method, out);
		g_assert_cmpint(status, !=, 0);
		g_assert_nonnull(strstr(out, "org.freedesktop.DBus.Error.AccessDenied"));
	}
	/* and none of them reached the daemon */
	g_assert_false(offline_mode(f));
}

/* With netdev, every change reaches nfconnd: its answer may be an error
 * of its own (Scan on ethernet is NotSupported), never the bus's denial. */
static void test_netdev_may_change(Fixture *f, gconstpointer data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(changes); i++) {
		g_autofree char *out = NULL;

		call_as_nobody(f, &changes[i], TRUE, &out);
		g_test_message("%s: %s", changes[i].method, out);
		g_assert_null(strstr(out, "AccessDenied"));
	}
	/* the last change took effect */
	g_assert_true(offline_mode(f));
}

/* Applications of any user hold sessions: CreateSession answers a path
 * to uid 65534 without groups. */
static void test_sessions_for_everyone(Fixture *f, gconstpointer data)
{
	const Call create = { "/", "net.connman.Manager.CreateSession", { "{}", "'/test/notifier'" } };
	g_autofree char *out = NULL;
	int status = call_as_nobody(f, &create, FALSE, &out);

	g_test_message("%s", out);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, "objectpath '/sessions/"));
}

static GDBusConnection *client_new(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *conn = g_dbus_connection_new_for_address_sync(
		nfc_lab_bus_address(f->lab),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);

	g_assert_no_error(error);
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	return conn;
}

static GVariant *agent_call(GDBusConnection *conn, const char *method, GError **error)
{
	return g_dbus_connection_call_sync(conn, "net.connman", "/", "net.connman.Manager", method,
					   g_variant_new("(o)", "/test/agent"), NULL,
					   G_DBUS_CALL_FLAGS_NONE, 5000, NULL, error);
}

/* An agent goes with its client: one that left the bus without
 * UnregisterAgent is dropped by nfconnd, and the next client's agent is
 * the one that counts. */
static void test_agent_gone(Fixture *f, gconstpointer data)
{
	g_autoptr(GDBusConnection) first = client_new(f);
	g_autoptr(GDBusConnection) second = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree char *gone = NULL;
	g_autofree char *remote = NULL;

	reply = agent_call(first, "RegisterAgent", &error);
	g_assert_no_error(error);
	g_clear_pointer(&reply, g_variant_unref);
	/* registered for real: the same client cannot again */
	reply = agent_call(first, "RegisterAgent", &error);
	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, "net.connman.Error.AlreadyExists");
	g_clear_error(&error);

	gone = g_strdup_printf("agent /test/agent of %s: the client left the bus",
			       g_dbus_connection_get_unique_name(first));
	g_assert_true(g_dbus_connection_close_sync(first, NULL, NULL));
	nfc_lab_wait_log(f->lab, "nfconnd", 0, gone, 10000);

	second = client_new(f);
	reply = agent_call(second, "RegisterAgent", &error);
	g_assert_no_error(error);
	g_clear_pointer(&reply, g_variant_unref);
	reply = agent_call(second, "UnregisterAgent", &error);
	g_assert_no_error(error);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/bus-policy/reads-for-everyone", test_reads_for_everyone);
	ADD("/bus-policy/changes-denied", test_changes_denied);
	ADD("/bus-policy/netdev-may-change", test_netdev_may_change);
	ADD("/bus-policy/sessions-for-everyone", test_sessions_for_everyone);
	ADD("/bus-policy/agent-gone", test_agent_gone);
	return g_test_run();
}
