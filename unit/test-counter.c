// SPDX-License-Identifier: GPL-2.0-or-later
/* The ConnMan Counter API: the Usage dictionaries (unit), and in the
 * two-uplink world (system) a client of our own that registers counters
 * and checks what nfconnd calls on it: Usage every period for both
 * services, byte counts that follow real traffic, ResetCounters, the errors of
 * Register/UnregisterCounter, silence after Unregister, a client that
 * leaves the bus, Release() at shutdown. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counter.h"
#include "nfc-dbus.h"
#include "uplinks.h"

#define MANAGER "net.connman.Manager"
#define ROUTER0 "198.51.100.1"
#define DATAGRAMS 200
/* the sender's datagrams: 100 bytes of payload, UDP and IPv4 headers */
#define DATAGRAM_IP_BYTES 128

/* ---- unit: the dictionaries ---- */

static guint64 number(GVariant *v)
{
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(v);
	g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64));
	return g_variant_get_uint64(v);
}

static void test_usage_dict(void)
{
	NfcCounterValues now = { { 1, 2, G_MAXUINT32, 5ull * 1024 * 1024 * 1024, 0, 0, 7, 8, 60 } };
	NfcCounterValues last = now;
	g_autoptr(GVariant) all = g_variant_ref_sink(nfc_counter_usage_dict(&now, NULL));
	g_autoptr(GVariant) none = NULL, some = NULL;
	g_autoptr(GVariant) rx = NULL, tx = NULL;

	g_assert_cmpuint(g_variant_n_children(all), ==, NFC_COUNTER_KEYS);
	for (unsigned int i = 0; i < NFC_COUNTER_KEYS; i++) {
		g_autoptr(GVariant) v = g_variant_lookup_value(all, nfc_counter_key(i), NULL);

		g_assert_nonnull(v);
		g_assert_cmpuint(number(v), ==, now.v[i]);
	}
	g_assert_cmpstr(nfc_counter_key(2), ==, "RX.Bytes");
	g_assert_cmpstr(nfc_counter_key(8), ==, "Time");
	g_assert_null(nfc_counter_key(NFC_COUNTER_KEYS));
	/* 2^32 - 1 is still ConnMan's 'u'; 5 GiB does not wrap to 1 GiB */
	rx = g_variant_lookup_value(all, "RX.Bytes", NULL);
	tx = g_variant_lookup_value(all, "TX.Bytes", NULL);
	g_assert_cmpstr(g_variant_get_type_string(rx), ==, "u");
	g_assert_cmpstr(g_variant_get_type_string(tx), ==, "t");
	g_assert_cmpuint(g_variant_get_uint64(tx), ==, 5368709120ull);

	none = g_variant_ref_sink(nfc_counter_usage_dict(&now, &last));
	g_assert_cmpuint(g_variant_n_children(none), ==, 0);
	last.v[3] -= 1;
	last.v[8] -= 1;
	some = g_variant_ref_sink(nfc_counter_usage_dict(&now, &last));
	g_assert_cmpuint(g_variant_n_children(some), ==, 2);
	g_assert_true(g_variant_lookup(some, "TX.Bytes", "t", NULL));
	g_assert_true(g_variant_lookup(some, "Time", "u", NULL));
}

/* ---- system: a counter client ---- */

typedef struct {
	char *member;     /* "Usage", "Release" */
	char *object;     /* the counter's path */
	char *service;
	GVariant *home, *roaming;
} Call;

static void call_free(Call *c)
{
	g_free(c->member);
	g_free(c->object);
	g_free(c->service);
	if (c->home)
		g_variant_unref(c->home);
	if (c->roaming)
		g_variant_unref(c->roaming);
	g_free(c);
}

typedef struct {
	GDBusConnection *conn;
	GPtrArray *calls;  /* Call*, in order of arrival */
	GArray *objects;   /* registration ids */
} Client;

static void on_method(GDBusConnection *conn, const char *sender, const char *path,
		      const char *iface, const char *member, GVariant *params,
		      GDBusMethodInvocation *inv, gpointer data)
{
	Client *cl = data;
	Call *c = g_new0(Call, 1);

	c->member = g_strdup(member);
	c->object = g_strdup(path);
	if (g_str_equal(member, "Usage"))
		g_variant_get(params, "(o@a{sv}@a{sv})", &c->service, &c->home, &c->roaming);
	g_ptr_array_add(cl->calls, c);
	g_dbus_method_invocation_return_value(inv, NULL);
}

static const GDBusInterfaceVTable counter_vtable = { on_method, NULL, NULL, { 0 } };

static void client_init(Client *cl, GDBusConnection *conn)
{
	cl->conn = g_object_ref(conn);
	cl->calls = g_ptr_array_new_with_free_func((GDestroyNotify)call_free);
	cl->objects = g_array_new(FALSE, FALSE, sizeof(guint));
}

static void client_clear(Client *cl)
{
	for (guint i = 0; i < cl->objects->len; i++)
		g_dbus_connection_unregister_object(cl->conn, g_array_index(cl->objects, guint, i));
	g_array_unref(cl->objects);
	g_ptr_array_unref(cl->calls);
	g_object_unref(cl->conn);
}

static void client_export(Client *cl, const char *path)
{
	g_autoptr(GError) error = NULL;
	guint id = g_dbus_connection_register_object(cl->conn, path,
						     nfc_dbus_counter_interface_info(),
						     &counter_vtable, cl, NULL, &error);

	g_assert_no_error(error);
	g_array_append_val(cl->objects, id);
}

static GVariant *client_call(Client *cl, const char *method, GVariant *params, GError **error)
{
	return g_dbus_connection_call_sync(cl->conn, "net.connman", "/", MANAGER, method, params,
					   NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, error);
}

static void client_register(Client *cl, const char *path, guint period, GError **error)
{
	g_autoptr(GVariant) r = client_call(cl, "RegisterCounter",
					    g_variant_new("(ouu)", path, 10, period), error);
}

static void client_unregister(Client *cl, const char *path, GError **error)
{
	g_autoptr(GVariant) r = client_call(cl, "UnregisterCounter", g_variant_new("(o)", path),
					    error);
}

/* How many calls of member to object (and service, unless NULL). */
static guint count(Client *cl, const char *member, const char *object, const char *service)
{
	guint n = 0;

	for (guint i = 0; i < cl->calls->len; i++) {
		Call *c = cl->calls->pdata[i];

		n += g_str_equal(c->member, member) && g_str_equal(c->object, object) &&
		     (!service || g_strcmp0(c->service, service) == 0);
	}
	return n;
}

static Call *nth_usage(Client *cl, const char *object, const char *service, guint nth)
{
	for (guint i = 0; i < cl->calls->len; i++) {
		Call *c = cl->calls->pdata[i];

		if (g_str_equal(c->member, "Usage") && g_str_equal(c->object, object) &&
		    g_strcmp0(c->service, service) == 0 && nth-- == 0)
			return c;
	}
	return NULL;
}

/* A home value as a client keeps it: the last one sent (only changes are). */
static guint64 home_value(Client *cl, const char *object, const char *service, const char *key)
{
	guint64 value = G_MAXUINT64;

	for (guint i = 0; i < cl->calls->len; i++) {
		Call *c = cl->calls->pdata[i];
		g_autoptr(GVariant) v = NULL;

		if (g_str_equal(c->member, "Usage") && g_str_equal(c->object, object) &&
		    g_strcmp0(c->service, service) == 0 &&
		    (v = g_variant_lookup_value(c->home, key, NULL)))
			value = number(v);
	}
	return value;
}

typedef struct {
	Client *cl;
	const char *member, *object, *service;
	guint at_least;
} CountWait;

static gboolean count_reached(gpointer data)
{
	CountWait *w = data;

	return count(w->cl, w->member, w->object, w->service) >= w->at_least;
}

static void wait_count(Client *cl, const char *member, const char *object, const char *service,
		       guint at_least, guint timeout_ms)
{
	CountWait w = { cl, member, object, service, at_least };

	g_assert_true(nfc_lab_wait_for(count_reached, &w, timeout_ms));
}

typedef struct {
	Client *cl;
	const char *object, *service;
	guint64 rx, tx;
} TrafficWait;

static gboolean traffic_seen(gpointer data)
{
	TrafficWait *w = data;
	guint64 rx = home_value(w->cl, w->object, w->service, "RX.Bytes");
	guint64 tx = home_value(w->cl, w->object, w->service, "TX.Bytes");

	return rx != G_MAXUINT64 && rx >= w->rx && tx >= w->tx;
}

typedef struct {
	Client *cl;
	const char *object, *service;
} ResetWait;

static gboolean was_reset(gpointer data)
{
	ResetWait *w = data;

	return home_value(w->cl, w->object, w->service, "RX.Bytes") <
	       DATAGRAMS * DATAGRAM_IP_BYTES / 2;
}

typedef struct {
	Uplinks u;
	Client cl;
	char *sender;
	char *svc[2];       /* object paths of uplink0's and uplink1's services */
} Fixture;

static const char echo_py[] =
	"import socket\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"s.bind(('" ROUTER0 "', 9999))\n"
	"while True:\n"
	"    d, a = s.recvfrom(2048); s.sendto(d, a)\n";

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const char *argv[] = { "python3", "-c", echo_py, NULL };

	uplinks_setup(&f->u, NULL);
	f->sender = g_build_filename(nfc_lab_dir(f->u.lab), "send.py", NULL);
	g_file_set_contents(f->sender, uplinks_sender_py, -1, &error);
	g_assert_no_error(error);
	nfc_lab_sh(f->u.lab, NULL, "chmod 755 %s; chmod 644 %s", nfc_lab_dir(f->u.lab), f->sender);
	/* an echo on router0's own address: traffic that can only take uplink0 */
	nfc_lab_spawn(f->u.lab, f->u.router[0], "echo0", argv);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	/* python starts slowly on a loaded machine: seconds */
	nfc_lab_wait_sh(f->u.lab, f->u.router[0], 30000, "ss -Huln 'sport = :9999' | grep -q .");
	for (int i = 0; i < 2; i++) {
		g_autofree char *id = uplinks_service_id(&f->u, i);

		f->svc[i] = g_strdup_printf("/net/connman/service/%s", id);
	}
	client_init(&f->cl, nfc_lab_bus(f->u.lab));
}

static void teardown(Fixture *f, gconstpointer data)
{
	client_clear(&f->cl);
	uplinks_teardown(&f->u);
	g_free(f->sender);
	g_free(f->svc[0]);
	g_free(f->svc[1]);
}

static void assert_dbus_error(GError *error, const char *name)
{
	g_autofree char *remote = NULL;

	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, name);
}

static void test_usage(Fixture *f, gconstpointer data)
{
	static const char *const path = "/test/counter";
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	guint64 rx0, tx0, rxp0, txp0, tx1, sent = 0, got = 0;
	guint n;

	client_export(&f->cl, path);
	client_register(&f->cl, path, 1, &error);
	g_assert_no_error(error);
	/* the first call for each service: every key of both dictionaries,
	 * and nothing roaming on ethernet */
	for (int i = 0; i < 2; i++) {
		Call *c;

		wait_count(&f->cl, "Usage", path, f->svc[i], 1, 5000);
		c = nth_usage(&f->cl, path, f->svc[i], 0);
		g_assert_cmpuint(g_variant_n_children(c->home), ==, NFC_COUNTER_KEYS);
		g_assert_cmpuint(g_variant_n_children(c->roaming), ==, NFC_COUNTER_KEYS);
		for (unsigned int k = 0; k < NFC_COUNTER_KEYS; k++) {
			g_autoptr(GVariant) v = g_variant_lookup_value(c->roaming, nfc_counter_key(k),
								       NULL);

			g_assert_cmpuint(number(v), ==, 0);
		}
		g_assert_cmpuint(home_value(&f->cl, path, f->svc[i], "RX.Packets"), >, 0);
	}
	/* every period again, with only what changed */
	wait_count(&f->cl, "Usage", path, f->svc[0], 2, 3000);
	g_assert_cmpuint(g_variant_n_children(nth_usage(&f->cl, path, f->svc[0], 1)->roaming), ==, 0);
	g_assert_cmpuint(g_variant_n_children(nth_usage(&f->cl, path, f->svc[0], 1)->home), <,
			 NFC_COUNTER_KEYS);

	/* known traffic through uplink0 */
	rx0 = home_value(&f->cl, path, f->svc[0], "RX.Bytes");
	tx0 = home_value(&f->cl, path, f->svc[0], "TX.Bytes");
	rxp0 = home_value(&f->cl, path, f->svc[0], "RX.Packets");
	txp0 = home_value(&f->cl, path, f->svc[0], "TX.Packets");
	tx1 = home_value(&f->cl, path, f->svc[1], "TX.Bytes");
	out = nfc_lab_sh_output(f->u.lab, f->u.host, "python3 %s %s %d", f->sender, ROUTER0,
				DATAGRAMS);
	g_assert_cmpint(sscanf(out, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &sent, &got), ==, 2);
	g_assert_cmpuint(sent, ==, DATAGRAMS);
	g_assert_cmpuint(got, ==, DATAGRAMS);
	/* a Usage after the traffic has it all (link counters include the
	 * Ethernet headers: at least the IP bytes). Calls queued while the
	 * sender ran are older, so wait for the values, not for a count. */
	{
		TrafficWait w = { &f->cl, path, f->svc[0], rx0 + got * DATAGRAM_IP_BYTES,
				  tx0 + sent * DATAGRAM_IP_BYTES };

		g_assert_true(nfc_lab_wait_for(traffic_seen, &w, 5000));
	}
	g_test_message("uplink0 during the test: RX %" G_GUINT64_FORMAT " B, TX %" G_GUINT64_FORMAT
		       " B for %" G_GUINT64_FORMAT " B of IP each way; uplink1 TX %" G_GUINT64_FORMAT " B",
		       home_value(&f->cl, path, f->svc[0], "RX.Bytes") - rx0,
		       home_value(&f->cl, path, f->svc[0], "TX.Bytes") - tx0,
		       (guint64)DATAGRAMS * DATAGRAM_IP_BYTES,
		       home_value(&f->cl, path, f->svc[1], "TX.Bytes") - tx1);
	g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "RX.Bytes"), >=,
			 rx0 + got * DATAGRAM_IP_BYTES);
	g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "TX.Bytes"), >=,
			 tx0 + sent * DATAGRAM_IP_BYTES);
	g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "RX.Packets"), >=, rxp0 + got);
	g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "TX.Packets"), >=, txp0 + sent);
	/* and it was uplink0's traffic, not counted on uplink1 */
	g_assert_cmpuint(home_value(&f->cl, path, f->svc[1], "TX.Bytes") - tx1, <,
			 sent * DATAGRAM_IP_BYTES);
	g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "Time"), >=, 1);

	/* ResetCounters: the next values count from zero (a little idle
	 * traffic may come in between, nothing like the test's) */
	{
		g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, f->svc[0], "net.connman.Service",
						     "ResetCounters", NULL, &error);
		ResetWait w = { &f->cl, path, f->svc[0] };

		g_assert_no_error(error);
		g_assert_true(nfc_lab_wait_for(was_reset, &w, 3000));
		g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "TX.Bytes"), <,
				 DATAGRAMS * DATAGRAM_IP_BYTES / 2);
		g_assert_cmpuint(home_value(&f->cl, path, f->svc[0], "Time"), <=, 1);
		/* uplink1 was not reset */
		g_assert_cmpuint(home_value(&f->cl, path, f->svc[1], "TX.Bytes"), >=, tx1);
	}

	/* the errors of the API */
	client_register(&f->cl, path, 1, &error);
	assert_dbus_error(error, "net.connman.Error.AlreadyExists");
	g_clear_error(&error);
	client_register(&f->cl, "/test/zero", 0, &error);
	assert_dbus_error(error, "net.connman.Error.InvalidArguments");
	g_clear_error(&error);
	client_unregister(&f->cl, "/test/none", &error);
	assert_dbus_error(error, "net.connman.Error.NotRegistered");
	g_clear_error(&error);
	/* the limit per client: 16 with the first */
	for (int i = 1; i <= NFC_COUNTER_MAX_PER_CLIENT; i++) {
		g_autofree char *p = g_strdup_printf("/test/more%d", i);

		client_register(&f->cl, p, 60, &error);
		if (i < NFC_COUNTER_MAX_PER_CLIENT) {
			g_assert_no_error(error);
		} else {
			assert_dbus_error(error, "net.connman.Error.Failed");
			g_clear_error(&error);
		}
	}
	for (int i = 1; i < NFC_COUNTER_MAX_PER_CLIENT; i++) {
		g_autofree char *p = g_strdup_printf("/test/more%d", i);

		client_unregister(&f->cl, p, &error);
		g_assert_no_error(error);
	}

	/* Unregister: no more calls. The period is 1 s and a dump takes
	 * milliseconds, so a counter still running would be called twice in
	 * 2.5 s; none may come. */
	client_unregister(&f->cl, path, &error);
	g_assert_no_error(error);
	/* what the daemon sent before its reply is queued here already (one
	 * sender's messages keep their order): take it in first */
	while (g_main_context_iteration(NULL, FALSE))
		;
	n = count(&f->cl, "Usage", path, NULL);
	nfc_lab_observe_for(2500);
	g_assert_cmpuint(count(&f->cl, "Usage", path, NULL), ==, n);
	client_unregister(&f->cl, path, &error);
	assert_dbus_error(error, "net.connman.Error.NotRegistered");
}

static void test_clients(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) conn = NULL;
	g_autoptr(GVariant) props = NULL;
	Client other;
	g_autofree char *gone = NULL;

	/* a second client: its counter is its own */
	conn = g_dbus_connection_new_for_address_sync(nfc_lab_bus_address(f->u.lab),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	g_assert_no_error(error);
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	client_init(&other, conn);
	client_export(&other, "/test/other");
	client_register(&other, "/test/other", 1, &error);
	g_assert_no_error(error);
	wait_count(&other, "Usage", "/test/other", f->svc[0], 1, 5000);
	g_assert_cmpuint(count(&f->cl, "Usage", "/test/other", NULL), ==, 0);
	client_unregister(&f->cl, "/test/other", &error);
	assert_dbus_error(error, "net.connman.Error.PermissionDenied");
	g_clear_error(&error);

	/* it leaves the bus without a word: forgotten */
	g_assert_nonnull(g_dbus_connection_get_unique_name(conn));
	gone = g_strdup_printf("%s left the bus, its 1 counter(s) are dropped",
			       g_dbus_connection_get_unique_name(conn));
	client_clear(&other);
	g_dbus_connection_close_sync(conn, NULL, &error);
	g_assert_no_error(error);
	nfc_lab_wait_log(f->u.lab, "nfconnd", 0, gone, 5000);
	props = nfc_lab_call(f->u.lab, "/", MANAGER, "GetProperties", NULL, &error);
	g_assert_no_error(error);

	/* shutdown: Release() to the counters there are */
	client_export(&f->cl, "/test/release");
	client_register(&f->cl, "/test/release", 1, &error);
	g_assert_no_error(error);
	wait_count(&f->cl, "Usage", "/test/release", f->svc[0], 1, 5000);
	uplinks_stop_nfconnd(&f->u);
	wait_count(&f->cl, "Release", "/test/release", NULL, 1, 5000);
	g_assert_cmpuint(count(&f->cl, "Release", "/test/release", NULL), ==, 1);
}

static void skip_not_root(void)
{
	g_test_skip("system tests need root");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/counter/usage-dict", test_usage_dict);
	if (geteuid() != 0) {
		g_test_add_func("/counter/usage", skip_not_root);
		g_test_add_func("/counter/clients", skip_not_root);
		return g_test_run();
	}
	g_test_add("/counter/usage", Fixture, NULL, setup, test_usage, teardown);
	g_test_add("/counter/clients", Fixture, NULL, setup, test_clients, teardown);
	return g_test_run();
}
