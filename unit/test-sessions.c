// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the session API with real clients running as other uids on
 * the private bus, over the two-uplink lab. */
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <sys/wait.h>

#include "session-driver.h"
#include "uplinks.h"

/* Debian's "list" and "irc": the bus refuses uids without a passwd entry,
 * and these exist everywhere, own nothing and have gid = uid */
#define UID_A 38
#define UID_B 39

typedef struct {
	Uplinks u;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, data);
	uplinks_start_nfconnd(&f->u);
	/* online, and with the DHCPv4 lease (the wait asks for both) */
	uplinks_wait_services(&f->u, 2, "online", 20000);
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

static char *top_ifname(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	g_autoptr(GVariant) props = NULL, eth = NULL;
	const char *ifname = NULL;

	g_variant_get_child(list, 0, "(&o@a{sv})", NULL, &props);
	eth = g_variant_lookup_value(props, "Ethernet", NULL);
	g_assert_true(g_variant_lookup(eth, "Interface", "&s", &ifname));
	return g_strdup(ifname);
}

static const char *str(GVariant *d, const char *key)
{
	const char *v = NULL;

	if (!g_variant_lookup(d, key, "&s", &v))
		return NULL;
	return v;
}

static char *created_path(const char *line)
{
	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, "created "))
		g_error("expected created, got: %s", line);
	return g_strdup(line + strlen("created "));
}

static void assert_error(const char *line, const char *name)
{
	g_autofree char *prefix = g_strdup_printf("error %s", name);

	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, prefix))
		g_error("expected %s, got: %s", name, line);
}

static void test_update_sequence(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *line = session_client_do(a, "create /app/s1");
	g_autofree char *path = created_path(line);
	g_autofree char *first = session_client_expect(a, "update /app/s1 ", 5000);
	g_autofree char *top = top_ifname(f);
	g_autoptr(GVariant) d = NULL, d2 = NULL, d3 = NULL;
	static const char *const keys[] = { "State", "Name", "Bearer", "Interface", "IPv4", "IPv6",
		"ConnectionType", "AllowedBearers", "AllowedInterface", "ContextIdentifier",
		"SourceIPRule" };
	int other = g_str_equal(top, "uplink0") ? 1 : 0;
	int top_i = 1 - other;
	g_autofree char *other_if = g_strdup_printf("uplink%d", other);

	g_assert_true(g_str_has_prefix(path, "/sessions/"));
	g_assert_true(g_str_has_suffix(path, "/app/s1"));
	g_assert_nonnull(first);
	d = session_client_update_dict(first);
	/* the first Update carries every key */
	g_assert_cmpuint(g_variant_n_children(d), ==, G_N_ELEMENTS(keys));
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		g_assert_true(g_variant_lookup_value(d, keys[i], NULL) != NULL);
	g_assert_cmpstr(str(d, "State"), ==, "online");
	g_assert_cmpstr(str(d, "Bearer"), ==, "ethernet");
	g_assert_cmpstr(str(d, "Name"), ==, "Wired");
	g_assert_cmpstr(str(d, "Interface"), ==, top);
	g_assert_cmpstr(str(d, "AllowedInterface"), ==, "*");
	g_assert_cmpstr(str(d, "ConnectionType"), ==, "any");
	{
		g_autoptr(GVariant) ipv4 = g_variant_lookup_value(d, "IPv4", NULL);
		const char *addr = NULL;

		g_assert_true(g_variant_lookup(ipv4, "Address", "&s", &addr));
		g_assert_true(g_str_has_prefix(addr, "198.51.100."));
	}

	/* its uplink loses carrier: the session moves, and only what changed
	 * is sent */
	uplinks_set_carrier(&f->u, top_i, false);
	d2 = session_client_wait_update(a, "Interface", other_if, 10000);
	g_assert_nonnull(d2);
	g_assert_null(g_variant_lookup_value(d2, "ConnectionType", NULL));
	g_assert_null(g_variant_lookup_value(d2, "AllowedBearers", NULL));
	/* and the other one too: nothing left */
	uplinks_set_carrier(&f->u, other, false);
	d3 = session_client_wait_update(a, "State", "disconnected", 10000);
	g_assert_nonnull(d3);
	g_assert_cmpstr(str(d3, "Interface"), ==, "");
	uplinks_set_carrier(&f->u, 0, true);
	uplinks_set_carrier(&f->u, 1, true);
	g_assert_nonnull(session_client_wait_update(a, "State", "online", 30000));
	session_client_free(a);
}

static void test_change(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *l1 = session_client_do(a, "create /app/s1");
	g_autofree char *path = created_path(l1);
	g_autoptr(GVariant) d = NULL, d2 = NULL, d3 = NULL, d4 = NULL;
	static const char *const bad[] = {
		"'AllowedBearers', <['warp']>", "'AllowedBearers', <'ethernet'>",
		"'ConnectionType', <uint32 1>", "'ConnectionType', <'sometimes'>",
		"'ContextIdentifier', <'x'>", "'State', <'online'>", "'SourceIPRule', <'yes'>",
	};

	g_free(session_client_expect(a, "update /app/s1 ", 5000));
	g_free(session_client_do(a, "call %s net.connman.Session Change ('AllowedInterface', <'uplink0'>)", path));
	d = session_client_wait_update(a, "AllowedInterface", "uplink0", 5000);
	g_assert_nonnull(d);
	/* the session follows its interface even if it is not the default */
	if (g_variant_lookup_value(d, "Interface", NULL))
		g_assert_cmpstr(str(d, "Interface"), ==, "uplink0");

	g_free(session_client_do(a, "call %s net.connman.Session Change ('ConnectionType', <'local'>)", path));
	/* local sessions report connected, as the API documents */
	d2 = session_client_wait_update(a, "State", "connected", 5000);
	g_assert_nonnull(d2);
	g_assert_cmpstr(str(d2, "ConnectionType"), ==, "local");

	g_free(session_client_do(a, "call %s net.connman.Session Change ('AllowedBearers', <@as []>)", path));
	d3 = session_client_wait_update(a, "State", "disconnected", 5000);
	g_assert_nonnull(d3);

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *r = session_client_do(a, "call %s net.connman.Session Change (%s)", path, bad[i]);

		assert_error(r, "net.connman.Error.InvalidArguments");
	}
	g_free(session_client_do(a, "call %s net.connman.Session Change ('AllowedBearers', <['ethernet']>)", path));
	d4 = session_client_wait_update(a, "State", "connected", 5000);
	g_assert_nonnull(d4);

	/* invalid settings at creation, and a notifier path in use */
	{
		g_autofree char *r1 = session_client_do(a, "create /app/s2 {'AllowedBearers': <['warp']>}");
		g_autofree char *r2 = session_client_do(a, "create /app/s3 {'Colour': <'blue'>}");
		g_autofree char *r3 = session_client_do(a, "create /app/s1");

		assert_error(r1, "net.connman.Error.InvalidArguments");
		assert_error(r2, "net.connman.Error.InvalidArguments");
		g_assert_nonnull(strstr(r2, "Colour"));
		assert_error(r3, "net.connman.Error.AlreadyExists");
	}
	session_client_free(a);
}

static void test_access_control(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	SessionClient *b = session_client_start(f->u.lab, "client-b", UID_B);
	g_autofree char *l1 = session_client_do(a, "create /app/s1");
	g_autofree char *path = created_path(l1);
	static const char *const calls[] = {
		"net.connman.Session Destroy", "net.connman.Session Connect",
		"net.connman.Session Disconnect",
		"net.connman.Session Change ('AllowedBearers', <['ethernet']>)",
		"net.nfconn.SessionStats GetStats",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
		g_autofree char *r = session_client_do(b, "call %s %s", path, calls[i]);

		assert_error(r, "net.connman.Error.PermissionDenied");
	}
	/* anybody may look at it; wrong arguments are the bus's error */
	{
		g_autofree char *intro = session_client_do(b, "call %s org.freedesktop.DBus.Introspectable Introspect", path);
		g_autofree char *sig = session_client_do(a, "call %s net.connman.Session Change ('AllowedBearers',)", path);
		g_autofree char *nope = session_client_do(a, "call %s net.connman.Session Frobnicate", path);

		g_test_message("introspect: %s", intro);
		g_assert_true(g_str_has_prefix(intro, "ok "));
		g_assert_nonnull(strstr(intro, "net.connman.Session"));
		g_assert_nonnull(strstr(intro, "net.nfconn.SessionStats"));
		assert_error(sig, "org.freedesktop.DBus.Error.InvalidArgs");
		assert_error(nope, "org.freedesktop.DBus.Error.UnknownMethod");
	}

	{
		g_autofree char *r = session_client_do(b, "call / net.connman.Manager DestroySession (objectpath '%s',)", path);
		g_autofree char *r2 = session_client_do(b, "call / net.connman.Manager DestroySession (objectpath '/sessions/nobody',)");
		g_autofree char *mine = session_client_do(a, "call %s net.nfconn.SessionStats GetStats", path);
		g_autofree char *gone = session_client_do(a, "call / net.connman.Manager DestroySession (objectpath '%s',)", path);
		g_autofree char *after = session_client_do(a, "call %s net.connman.Session Connect", path);

		assert_error(r, "net.connman.Error.PermissionDenied");
		assert_error(r2, "net.connman.Error.InvalidArguments");
		/* the owner may read its own figures */
		g_assert_true(g_str_has_prefix(mine, "ok "));
		g_assert_nonnull(strstr(mine, "'TX.Bytes'"));
		g_assert_true(g_str_has_prefix(gone, "ok"));
		/* destroyed: the object is gone */
		g_assert_true(g_str_has_prefix(after, "error org.freedesktop.DBus.Error.Unknown"));
	}
	session_client_free(a);
	session_client_free(b);
}

/* The introspection of path as the daemon answers it (NULL: an error). */
static GDBusNodeInfo *introspect(Fixture *f, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, path, "org.freedesktop.DBus.Introspectable",
					     "Introspect", NULL, &error);
	const char *xml;
	GDBusNodeInfo *node;

	if (!r)
		return NULL;
	g_variant_get(r, "(&s)", &xml);
	node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	return node;
}

/* how often node lists a child of that name (once, if at all) */
static guint children_named(GDBusNodeInfo *node, const char *name)
{
	guint count = 0;

	for (GDBusNodeInfo **n = node->nodes; n && *n; n++)
		count += g_str_equal((*n)->path, name);
	return count;
}

/* A session object has both interfaces, as the XML in dbus/ describes them. */
static void assert_session_node(GDBusNodeInfo *node)
{
	GDBusInterfaceInfo *session = g_dbus_node_info_lookup_interface(node, "net.connman.Session");
	GDBusInterfaceInfo *stats = g_dbus_node_info_lookup_interface(node, "net.nfconn.SessionStats");
	GDBusMethodInfo *change;

	g_assert_nonnull(session);
	g_assert_nonnull(stats);
	for (const char *const *m = (const char *const[]){ "Destroy", "Connect", "Disconnect", NULL };
	     *m; m++)
		g_assert_nonnull(g_dbus_interface_info_lookup_method(session, *m));
	change = g_dbus_interface_info_lookup_method(session, "Change");
	g_assert_nonnull(change);
	g_assert_nonnull(change->in_args[0]);
	g_assert_cmpstr(change->in_args[0]->signature, ==, "s");
	g_assert_cmpstr(change->in_args[1]->signature, ==, "v");
	g_assert_nonnull(g_dbus_interface_info_lookup_method(stats, "GetStats"));
	g_assert_nonnull(g_dbus_interface_info_lookup_method(stats, "SetPeriod"));
	g_assert_nonnull(g_dbus_interface_info_lookup_signal(stats, "Stats"));
}

typedef struct {
	Fixture *f;
	const char *owner;
} OwnerGone;

static gboolean owner_node_gone(gpointer data)
{
	OwnerGone *g = data;
	g_autoptr(GDBusNodeInfo) top = introspect(g->f, "/sessions");

	return !top || children_named(top, g->owner) == 0;
}

/* The objects as any D-Bus client sees them: each session described by
 * the interfaces' XML, the tree walkable from / down to it, notifier paths
 * inside one another and "/" served alike, and nothing left of a client's
 * objects once its sessions are gone. */
static void test_objects(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *l_root = session_client_do(a, "create /");
	g_autofree char *l_a = session_client_do(a, "create /app/a");
	g_autofree char *l_ab = session_client_do(a, "create /app/a/b");
	g_autofree char *p_root = created_path(l_root);
	g_autofree char *p_a = created_path(l_a);
	g_autofree char *p_ab = created_path(l_ab);
	g_autofree char *owner = g_path_get_basename(p_root);
	g_autofree char *p_app = g_strconcat(p_root, "/app", NULL);
	g_autofree char *want_a = g_strconcat(p_app, "/a", NULL);
	g_autofree char *want_ab = g_strconcat(p_app, "/a/b", NULL);
	OwnerGone gone = { f, owner };

	g_assert_cmpstr(p_a, ==, want_a);
	g_assert_cmpstr(p_ab, ==, want_ab);
	{
		g_autoptr(GDBusNodeInfo) top = introspect(f, "/");
		g_autoptr(GDBusNodeInfo) sessions = introspect(f, "/sessions");
		g_autoptr(GDBusNodeInfo) root = introspect(f, p_root);
		g_autoptr(GDBusNodeInfo) app = introspect(f, p_app);
		g_autoptr(GDBusNodeInfo) na = introspect(f, p_a);
		g_autoptr(GDBusNodeInfo) nab = introspect(f, p_ab);

		g_assert_cmpuint(children_named(top, "sessions"), ==, 1);
		g_assert_cmpuint(children_named(sessions, owner), ==, 1);
		assert_session_node(root);
		g_assert_cmpuint(children_named(root, "app"), ==, 1);
		/* a step on the way, no session */
		g_assert_null(g_dbus_node_info_lookup_interface(app, "net.connman.Session"));
		g_assert_cmpuint(children_named(app, "a"), ==, 1);
		assert_session_node(na);
		g_assert_cmpuint(children_named(na, "b"), ==, 1);
		assert_session_node(nab);
		g_assert_true(!nab->nodes || !nab->nodes[0]);
	}
	/* each answers its owner */
	for (const char *const *p = (const char *const[]){ p_root, p_a, p_ab, NULL }; *p; p++) {
		g_autofree char *r = session_client_do(a, "call %s net.connman.Session Connect", *p);

		g_assert_cmpstr(r, ==, "ok ()");
	}
	/* the inner one goes, the outer one stays */
	g_free(session_client_do(a, "call %s net.connman.Session Destroy", p_ab));
	{
		g_autofree char *r = session_client_do(a, "call %s net.connman.Session Connect", p_ab);
		g_autofree char *r2 = session_client_do(a, "call %s net.connman.Session Disconnect", p_a);
		g_autoptr(GDBusNodeInfo) na = introspect(f, p_a);

		g_assert_true(g_str_has_prefix(r, "error org.freedesktop.DBus.Error.Unknown"));
		g_assert_cmpstr(r2, ==, "ok ()");
		assert_session_node(na);
		g_assert_cmpuint(children_named(na, "b"), ==, 0);
	}
	g_free(session_client_do(a, "call %s net.connman.Session Destroy", p_a));
	g_free(session_client_do(a, "call %s net.connman.Session Destroy", p_root));
	g_assert_true(nfc_lab_wait_for(owner_node_gone, &gone, 5000));
	{
		g_autofree char *r = session_client_do(a, "call %s net.connman.Session Connect", p_root);

		g_assert_true(g_str_has_prefix(r, "error org.freedesktop.DBus.Error.Unknown"));
	}
	session_client_free(a);
}

typedef struct {
	SessionClient *other;
	const char *path;
} SessionGone;

/* Another client's Connect: PermissionDenied while the session lives;
 * then no object at all */
static gboolean session_gone(gpointer data)
{
	SessionGone *w = data;
	g_autofree char *r = session_client_do(w->other, "call %s net.connman.Session Connect",
					       w->path);

	if (g_str_has_prefix(r, "error org.freedesktop.DBus.Error.Unknown"))
		return TRUE;
	assert_error(r, "net.connman.Error.PermissionDenied");
	return FALSE;
}

static void test_owner_gone(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	SessionClient *b = session_client_start(f->u.lab, "client-b", UID_B);
	g_autofree char *l1 = session_client_do(a, "create /app/s1");
	g_autofree char *l2 = session_client_do(a, "create /app/s2");
	g_autofree char *l3 = session_client_do(a, "create /app/s3");
	g_autofree char *path = created_path(l1);
	g_autofree char *path2 = created_path(l2);
	g_autofree char *path3 = created_path(l3);
	g_autofree char *del = session_client_do(a, "call / net.connman.Manager DestroySession "
						 "(objectpath '%s',)", path2);

	g_assert_cmpstr(del, ==, "ok ()");
	/* the owner leaves with the first and the last of its sessions; the
	 * middle one went before */
	session_client_kill(a);
	for (const char *const *p = (const char *const[]){ path, path3, path2, NULL }; *p; p++) {
		SessionGone w = { b, *p };

		g_assert_true(nfc_lab_wait_for(session_gone, &w, 5000));
	}
	session_client_free(a);
	session_client_free(b);
}

static void test_many(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *r = session_client_do(a, "many 1000 /app/m");
	g_autofree char *over = session_client_do(a, "create /app/one_too_many");
	g_autofree char *log = NULL;

	g_assert_cmpstr(r, ==, "created 1000");
	/* SessionsPerClient=1000 in this fixture's main.conf */
	assert_error(over, "net.connman.Error.Failed");
	g_assert_nonnull(strstr(over, "SessionsPerClient"));
	/* a second client is not limited by the first one's count */
	{
		SessionClient *b = session_client_start(f->u.lab, "client-b", UID_B);
		g_autofree char *rb = session_client_do(b, "create /app/s1");

		g_assert_true(g_str_has_prefix(rb, "created "));
		session_client_free(b);
	}
	session_client_free(a);
}


static void test_policy_reload(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = g_build_filename(nfc_lab_dir(f->u.lab), "session_policy_local", NULL);
	g_autofree char *file = g_build_filename(dir, "10-a.policy", NULL);
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	SessionClient *b = session_client_start(f->u.lab, "client-b", UID_B);
	g_autofree char *la = session_client_do(a, "create /app/s1");
	g_autofree char *lb = session_client_do(b, "create /app/s1");
	g_autoptr(GVariant) d = NULL, d2 = NULL, d3 = NULL, db = NULL;
	g_autofree char *text = g_strdup_printf("[a]\nuid=%u\nAllowedBearers=ethernet\n"
						"AllowedInterface=uplink0\n", UID_A);
	g_autofree char *text2 = g_strdup_printf("[a]\nuid=%u\nAllowedBearers=ethernet\n"
						 "AllowedInterface=uplink1\n", UID_A);

	g_free(created_path(la));
	g_free(created_path(lb));
	g_free(session_client_expect(a, "update /app/s1 ", 5000));
	g_free(session_client_expect(b, "update /app/s1 ", 5000));

	uplinks_write_policy(&f->u, "10-a.policy", text);
	d = session_client_wait_update(a, "AllowedInterface", "uplink0", 10000);
	g_assert_nonnull(d);
	{
		g_autoptr(GVariant) bearers = g_variant_lookup_value(d, "AllowedBearers", NULL);

		g_assert_cmpuint(g_variant_n_children(bearers), ==, 1);
	}
	uplinks_write_policy(&f->u, "10-a.policy", text2);
	d2 = session_client_wait_update(a, "AllowedInterface", "uplink1", 10000);
	g_assert_nonnull(d2);
	/* a bad file is ignored, the others keep working */
	uplinks_write_policy(&f->u, "20-broken.policy", "[x]\nAllowedBearers=warp\n");
	g_unlink(file);
	d3 = session_client_wait_update(a, "AllowedInterface", "*", 10000);
	g_assert_nonnull(d3);
	/* B never matched a policy: none of its Updates touch its settings
	 * (addresses may come and go: IPv6 arrives by router advertisement) */
	for (;;) {
		g_autofree char *line = session_client_expect(b, "update /app/s1 ", 300);
		g_autoptr(GVariant) ub = NULL;

		if (!line)
			break;
		ub = session_client_update_dict(line);
		g_assert_null(g_variant_lookup_value(ub, "AllowedInterface", NULL));
		g_assert_null(g_variant_lookup_value(ub, "AllowedBearers", NULL));
	}
	session_client_free(a);
	session_client_free(b);
}

/* How soon a policy applies: a policy directory created after the start,
 * a file rewritten without pause, a directory removed and created again.
 * Each within 1.5 s (GLib alone polls a missing directory every ~4 s, and
 * a debounce without a cap never applies under a steady writer). */
static void test_policy_reload_timing(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = g_build_filename(nfc_lab_dir(f->u.lab), "session_policy_local", NULL);
	g_autofree char *file = g_build_filename(dir, "10-a.policy", NULL);
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *la = session_client_do(a, "create /app/s1");
	g_autoptr(GVariant) d = NULL, d2 = NULL, d3 = NULL;
	g_autofree char *text = g_strdup_printf("[a]\nuid=%u\nAllowedInterface=uplink0\n", UID_A);
	g_autofree char *text2 = g_strdup_printf("[a]\nuid=%u\nAllowedInterface=uplink1\n", UID_A);
	gint64 end;

	g_free(created_path(la));
	g_free(session_client_expect(a, "update /app/s1 ", 5000));
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));

	/* the directory appears after the start */
	uplinks_write_policy(&f->u, "10-a.policy", text);
	d = session_client_wait_update(a, "AllowedInterface", "uplink0", 1500);
	g_assert_nonnull(d);

	/* a writer that never pauses for the 100 ms settle time: a rewrite
	 * about every 20 ms while waiting */
	end = g_get_monotonic_time() + 1500 * 1000;
	while (!d2 && g_get_monotonic_time() < end) {
		uplinks_write_policy(&f->u, "10-a.policy", text2);
		d2 = session_client_wait_update(a, "AllowedInterface", "uplink1", 20);
	}
	g_assert_nonnull(d2);

	/* the directory removed (the session falls back) and created again */
	g_assert_cmpint(g_unlink(file), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_assert_nonnull(session_client_wait_update(a, "AllowedInterface", "*", 1500));
	uplinks_write_policy(&f->u, "10-a.policy", text);
	d3 = session_client_wait_update(a, "AllowedInterface", "uplink0", 1500);
	g_assert_nonnull(d3);
	session_client_free(a);
}

static void test_connect_holds(Fixture *f, gconstpointer data)
{
	g_autofree char *id = uplinks_service_id(&f->u, 1);
	g_autofree char *spath = g_strdup_printf("/net/connman/service/%s", id);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = NULL;
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *l = NULL, *path = NULL;

	/* the user took uplink1 down; a session pinned to it ... */
	r = nfc_lab_call(f->u.lab, spath, "net.connman.Service", "Disconnect", NULL, &error);
	g_assert_no_error(error);
	uplinks_wait_property(&f->u, id, "State", "idle", 5000);
	l = session_client_do(a, "create /app/s1 {'AllowedInterface': <'uplink1'>}");
	path = created_path(l);
	g_assert_nonnull(session_client_wait_update(a, "State", "disconnected", 5000));
	/* ... asks for it with Connect(): it comes up */
	g_free(session_client_do(a, "call %s net.connman.Session Connect", path));
	uplinks_wait_property(&f->u, id, "State", "online", 20000);
	g_assert_nonnull(session_client_wait_update(a, "State", "online", 5000));
	/* Disconnect() lets it go: down again, as the user had it */
	g_free(session_client_do(a, "call %s net.connman.Session Disconnect", path));
	uplinks_wait_property(&f->u, id, "State", "idle", 5000);
	g_assert_nonnull(session_client_wait_update(a, "State", "disconnected", 5000));
	session_client_free(a);
}

static void test_stats_push(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *l = session_client_do(a, "create /app/s1");
	g_autofree char *path = created_path(l);
	g_autofree char *ok = session_client_do(a, "call %s net.nfconn.SessionStats SetPeriod (uint32 1,)", path);
	g_autofree char *s1 = NULL, *s2 = NULL, *off = NULL, *bad = NULL;

	g_assert_true(g_str_has_prefix(ok, "ok"));
	/* pushed every second to its owner, with the session's figures */
	s1 = session_client_expect(a, "stats ", 3000);
	s2 = session_client_expect(a, "stats ", 3000);
	g_assert_nonnull(s1);
	g_assert_nonnull(s2);
	g_assert_nonnull(strstr(s1, path));
	g_assert_nonnull(strstr(s1, "'TX.Bytes'"));
	off = session_client_do(a, "call %s net.nfconn.SessionStats SetPeriod (uint32 0,)", path);
	g_assert_true(g_str_has_prefix(off, "ok"));
	/* a push the daemon made before SetPeriod reached the client before
	 * the answer, but the client prints signals only once its call has
	 * returned, in the main loop iteration after the answer at the latest:
	 * two more round trips through the client put its line before theirs */
	for (int i = 0; i < 2; i++)
		g_free(session_client_do(a, "call %s net.nfconn.SessionStats GetStats", path));
	while (TRUE) {
		g_autofree char *late = session_client_expect(a, "stats ", 0);

		if (!late)
			break;
	}
	/* then none: an observation window of two and a half periods, as
	 * nothing marks the moment a push that should not come would have */
	g_assert_null(session_client_expect(a, "stats ", 2500));
	bad = session_client_do(a, "call %s net.nfconn.SessionStats SetPeriod (uint32 999999,)", path);
	g_assert_true(g_str_has_prefix(bad, "error net.connman.Error.InvalidArguments"));
	session_client_free(a);
}

static void test_release(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *l = session_client_do(a, "create /app/s1");
	char *line;

	g_free(created_path(l));
	g_free(session_client_expect(a, "update /app/s1 ", 5000));
	uplinks_stop_nfconnd(&f->u);
	/* Release comes before anything goes down under the client: no
	 * Update of the session losing its service may come first */
	while ((line = session_client_expect(a, "", 5000)) &&
	       !g_str_has_prefix(line, "release /app/s1")) {
		g_autoptr(GVariant) d = session_client_update_dict(line);
		const char *state = NULL;

		if (g_variant_lookup(d, "State", "&s", &state))
			g_assert_cmpstr(state, !=, "disconnected");
		g_free(line);
	}
	g_assert_nonnull(line);
	g_free(line);
	session_client_free(a);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, conf) g_test_add(path, Fixture, conf, setup, fn, teardown)
	ADD("/sessions/update-sequence", test_update_sequence, "OnlineCheckMode=one-shot");
	ADD("/sessions/change", test_change, NULL);
	ADD("/sessions/access-control", test_access_control, NULL);
	ADD("/sessions/objects", test_objects, NULL);
	ADD("/sessions/owner-gone", test_owner_gone, NULL);
	ADD("/sessions/many", test_many, "SessionsPerClient=1000");
	ADD("/sessions/policy-reload", test_policy_reload, NULL);
	ADD("/sessions/policy-reload-timing", test_policy_reload_timing, NULL);
	ADD("/sessions/connect-holds", test_connect_holds, NULL);
	ADD("/sessions/stats-push", test_stats_push, NULL);
	ADD("/sessions/release-on-shutdown", test_release, NULL);
	return g_test_run();
}
