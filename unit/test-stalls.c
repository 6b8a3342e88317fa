// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: what holds while the daemon spreads work over main-loop
 * iterations (sessions decided again in slices after an uplink change,
 * Introspect from a per-client index, a bounded shutdown): every session
 * still hears its latest state, a client's node lists its own sessions,
 * and a stop leaves nothing in the kernel. Timing is the bench's
 * (tools/bench/sessions), not asserted here. */
#include <stdlib.h>
#include <string.h>

#include "session-driver.h"
#include "uplinks.h"

/* Debian's "list" and "irc": they exist everywhere, with gid = uid */
#define UID_A 38
#define UID_B 39

/* enough sessions that a re-decision takes several slices */
#define MANY 1000

typedef struct {
	Uplinks u;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, data);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "online", 20000);
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

static char *created_path(const char *line)
{
	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, "created "))
		g_error("expected created, got: %s", line);
	return g_strdup(line + strlen("created "));
}

/* ---- the last update wins ------------------------------------------------- */

/* What a client knows of each of its sessions: the Updates merged, key by
 * key, as a client must keep them (an Update carries what changed). */
typedef struct {
	SessionClient *client;
	GHashTable *state;      /* notifier → GHashTable key → GVariant */
	const char *want_if;
	guint done;             /* sessions whose state is the final one */
	guint total;
} Known;

static bool is_final(GHashTable *keys, const char *want_if)
{
	GVariant *st = g_hash_table_lookup(keys, "State");
	GVariant *ifname = g_hash_table_lookup(keys, "Interface");

	return st && ifname && g_str_equal(g_variant_get_string(st, NULL), "online") &&
	       g_str_equal(g_variant_get_string(ifname, NULL), want_if);
}

static void merge_line(Known *k, const char *line)
{
	const char *notifier = line + strlen("update ");
	const char *end = strchr(notifier, ' ');
	g_autofree char *name = g_strndup(notifier, end - notifier);
	g_autoptr(GVariant) d = session_client_update_dict(line);
	GHashTable *keys = g_hash_table_lookup(k->state, name);
	GVariantIter it;
	const char *key;
	GVariant *value;
	bool was;

	if (!keys) {
		keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_variant_unref);
		g_hash_table_insert(k->state, g_strdup(name), keys);
	}
	was = is_final(keys, k->want_if);
	g_variant_iter_init(&it, d);
	while (g_variant_iter_next(&it, "{&sv}", &key, &value))
		g_hash_table_insert(keys, g_strdup(key), value);
	if (was != is_final(keys, k->want_if))
		k->done += was ? -1 : 1;
}

static void merge_arrived(Known *k)
{
	char *line;

	while ((line = session_client_expect(k->client, "update ", 20))) {
		merge_line(k, line);
		g_free(line);
	}
}

static gboolean all_known(gpointer data)
{
	Known *k = data;

	merge_arrived(k);
	return g_hash_table_size(k->state) == k->total;
}

static gboolean all_final(gpointer data)
{
	Known *k = data;

	merge_arrived(k);
	return k->done == k->total;
}

static guint count_final(Known *k)
{
	GHashTableIter it;
	gpointer keys;
	guint n = 0;

	g_hash_table_iter_init(&it, k->state);
	while (g_hash_table_iter_next(&it, NULL, &keys))
		n += is_final(keys, k->want_if);
	return n;
}

/* Carrier of the uplinks changes three times in a row, faster than the
 * daemon gets through its sessions: the sessions' uplink goes, then the
 * other one, which comes back. Each session ends up told its latest
 * state (online on the other uplink), whatever came between. */
static void test_last_wins(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	g_autofree char *r = session_client_do(a, "many %d /app/m", MANY);
	Known k = { a, g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_hash_table_unref),
		    "", 0, MANY };
	GVariant *top;
	int top_i;

	g_assert_cmpstr(r, ==, "created " G_STRINGIFY(MANY));
	/* each session's first Update, with every key */
	g_assert_true(nfc_lab_wait_for(all_known, &k, 30000));
	top = g_hash_table_lookup(g_hash_table_lookup(k.state, "/app/m0"), "Interface");
	g_assert_nonnull(top);
	top_i = g_str_equal(g_variant_get_string(top, NULL), "uplink0") ? 0 : 1;
	k.want_if = top_i ? "uplink0" : "uplink1";
	k.done = count_final(&k);
	g_assert_cmpuint(k.done, ==, 0);

	uplinks_set_carrier(&f->u, top_i, false);
	uplinks_set_carrier(&f->u, 1 - top_i, false);
	uplinks_set_carrier(&f->u, 1 - top_i, true);
	g_assert_true(nfc_lab_wait_for(all_final, &k, 60000));
	g_assert_cmpuint(count_final(&k), ==, MANY);
	g_hash_table_unref(k.state);
	session_client_free(a);
}

/* ---- Introspect lists the client's own ---------------------------------------- */

static GDBusNodeInfo *introspect(Fixture *f, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, path, "org.freedesktop.DBus.Introspectable",
					     "Introspect", NULL, &error);
	const char *xml;
	GDBusNodeInfo *node;

	g_assert_no_error(error);
	g_variant_get(r, "(&s)", &xml);
	node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	return node;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* the children's names, sorted, joined by spaces */
static char *children(GDBusNodeInfo *node)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();

	for (GDBusNodeInfo **n = node->nodes; n && *n; n++)
		g_ptr_array_add(names, (*n)->path);
	g_ptr_array_sort(names, by_name);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static char *node_of(const char *create_line)
{
	g_autofree char *path = created_path(create_line);

	return g_path_get_dirname(path);
}

static void assert_children(Fixture *f, const char *path, const char *want)
{
	g_autoptr(GDBusNodeInfo) node = introspect(f, path);
	g_autofree char *got = children(node);

	g_assert_cmpstr(got, ==, want);
}

/* Two clients with notifiers under the same path: each one's node lists
 * its own sessions only, follows a destroy, and a refused duplicate
 * CreateSession takes nothing away. */
static void test_introspect_own(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->u.lab, "client-a", UID_A);
	SessionClient *b = session_client_start(f->u.lab, "client-b", UID_B);
	g_autofree char *la = session_client_do(a, "create /app/a1");
	g_autofree char *node_a = node_of(la);
	g_autofree char *lb = session_client_do(b, "create /app/b1");
	g_autofree char *node_b = node_of(lb);
	g_autofree char *a2 = g_strconcat(node_a, "/a2", NULL);

	g_free(session_client_do(a, "create /app/a2"));
	g_free(session_client_do(a, "create /app/a3"));
	g_free(session_client_do(b, "create /app/b2"));
	g_assert_cmpstr(node_a, !=, node_b);
	assert_children(f, node_a, "a1 a2 a3");
	assert_children(f, node_b, "b1 b2");

	g_free(session_client_do(a, "call %s net.connman.Session Destroy", a2));
	assert_children(f, node_a, "a1 a3");
	{
		g_autofree char *again = session_client_do(a, "create /app/a1");

		g_assert_true(g_str_has_prefix(again, "error net.connman.Error.AlreadyExists"));
	}
	assert_children(f, node_a, "a1 a3");
	assert_children(f, node_b, "b1 b2");
	session_client_free(a);
	session_client_free(b);
}

/* ---- a stop with sessions alive ------------------------------------------------ */

/* Steered sessions of two uids (a policy for one, an interface pinned by
 * the other) while the daemon stops: nothing of ours stays in the kernel,
 * and the clients are told (Release) before it goes. */
static void test_stop_clean(Fixture *f, gconstpointer data)
{
	SessionClient *a, *b;
	g_autofree char *during = NULL, *after = NULL, *rel = NULL;
	g_autofree char *r = NULL, *rb = NULL;

	uplinks_write_policy(&f->u, "a.policy", "[a]\nuid=38\nAllowedBearers=ethernet\n");
	a = session_client_start(f->u.lab, "client-a", UID_A);
	b = session_client_start(f->u.lab, "client-b", UID_B);
	r = session_client_do(a, "many 500 /app/m");
	g_assert_cmpstr(r, ==, "created 500");
	rb = session_client_do(b, "create /app/pinned {'AllowedInterface': <'uplink0'>}");
	g_assert_true(g_str_has_prefix(rb, "created "));
	/* steered: the policy's uid is in the kernel's map, and the rules of
	 * the sessions' classes are in */
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000,
			"nft list map inet nfconn uid_mark | grep -qw 38");
	during = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule list | wc -l");
	g_assert_cmpint(atoi(during), >, 3);

	uplinks_stop_nfconnd(&f->u);
	after = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip rule list | wc -l; ip -6 rule list | wc -l; nft list tables | wc -l; "
		"ip route show table all | grep -c 'table 7[0-2][0-9][0-9] ' || true");
	g_assert_cmpstr(after, ==, "3\n2\n0\n0\n");
	rel = session_client_expect(b, "release /app/pinned", 5000);
	g_assert_nonnull(rel);
	session_client_free(a);
	session_client_free(b);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, conf) g_test_add(path, Fixture, conf, setup, fn, teardown)
	ADD("/stalls/last-update-wins", test_last_wins,
	    "SessionsPerClient=" G_STRINGIFY(MANY) "\nOnlineCheckMode=one-shot");
	ADD("/stalls/introspect-own-sessions", test_introspect_own, NULL);
	ADD("/stalls/stop-leaves-no-kernel-state", test_stop_clean, "SessionsPerClient=1000");
	return g_test_run();
}
