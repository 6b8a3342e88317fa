// SPDX-License-Identifier: GPL-2.0-or-later
/* A statistics flooder for the limits test and tools/bench/flood: one bus
 * connection spoken on a plain socket (GDBusMessage only marshals), so that
 * it can stop reading while its process lives, which a GDBusConnection
 * never does.
 *
 *   stats-flooder ADDRESS N PERIOD
 *       N sessions, SetPeriod(PERIOD) on each, then "ready NAME" and
 *       commands on stdin, one answer line each:
 *         stop      stop reading the bus          → "stopped"
 *         read      read again; what was queued up to the first Ping from
 *                   the daemon is counted         → "backlog stats=S ping=0|1"
 *                   (ping=0: none within 10 s; then S is all
 *                   read in those 10 s)
 *         count     Stats received so far         → "count stats=S"
 *         quit
 *       Reading, it answers every call (Update, Ping) with an empty reply.
 *   stats-flooder ADDRESS probe SECONDS
 *       Manager.GetProperties one after another for SECONDS; prints
 *       "probe calls=N p50=MS p99=MS max=MS". */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>

static int fd = -1;
static guint32 serial;
static GByteArray *inbuf;
static guint64 stats_seen;

static void die(const char *what)
{
	fprintf(stderr, "stats-flooder: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static void write_all(const void *p, size_t n)
{
	const guint8 *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		b += w;
		n -= w;
	}
}

static guint32 send_msg(GDBusMessage *m)
{
	g_autoptr(GError) error = NULL;
	g_autofree guchar *blob = NULL;
	gsize size;

	g_dbus_message_set_serial(m, ++serial);
	blob = g_dbus_message_to_blob(m, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
	if (!blob)
		die(error->message);
	write_all(blob, size);
	return serial;
}

static guint32 call(const char *dest, const char *path, const char *iface, const char *method,
		    GVariant *body)
{
	g_autoptr(GDBusMessage) m = g_dbus_message_new_method_call(dest, path, iface, method);

	if (body)
		g_dbus_message_set_body(m, body);
	return send_msg(m);
}

/* A whole message already read, or NULL. */
static GDBusMessage *buffered_msg(void)
{
	g_autoptr(GError) error = NULL;
	GDBusMessage *m;
	gssize need;

	if (inbuf->len < 16)
		return NULL;
	need = g_dbus_message_bytes_needed(inbuf->data, 16, &error);
	if (need < 0)
		die(error->message);
	if (inbuf->len < (gsize)need)
		return NULL;
	m = g_dbus_message_new_from_blob(inbuf->data, need, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
	if (!m)
		die(error->message);
	g_byte_array_remove_range(inbuf, 0, need);
	return m;
}

/* Read what the socket has (after waiting up to timeout_ms); false when
 * nothing came. */
static bool read_some(int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	guint8 chunk[65536];
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	do
		n = read(fd, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		die("read");
	g_byte_array_append(inbuf, chunk, n);
	return true;
}

/* The next message, waiting up to timeout_ms (-1: forever); NULL on timeout. */
static GDBusMessage *next_msg(int timeout_ms)
{
	for (;;) {
		GDBusMessage *m = buffered_msg();

		if (m)
			return m;
		if (!read_some(timeout_ms))
			return NULL;
	}
}

static bool is_ping(GDBusMessage *m)
{
	return g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
	       g_strcmp0(g_dbus_message_get_interface(m), "org.freedesktop.DBus.Peer") == 0 &&
	       g_strcmp0(g_dbus_message_get_member(m), "Ping") == 0;
}

/* Answer calls, count Stats; returns the reply to `want` if it is one. */
static bool handle(GDBusMessage *m, guint32 want, bool *error_reply)
{
	switch (g_dbus_message_get_message_type(m)) {
	case G_DBUS_MESSAGE_TYPE_METHOD_CALL:
		if (!(g_dbus_message_get_flags(m) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED)) {
			g_autoptr(GDBusMessage) r = g_dbus_message_new_method_reply(m);

			send_msg(r);
		}
		return false;
	case G_DBUS_MESSAGE_TYPE_SIGNAL:
		if (g_strcmp0(g_dbus_message_get_member(m), "Stats") == 0)
			stats_seen++;
		return false;
	default:
		if (g_dbus_message_get_reply_serial(m) != want)
			return false;
		if (error_reply)
			*error_reply = g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_ERROR;
		return true;
	}
}

static GDBusMessage *wait_reply(guint32 want)
{
	for (;;) {
		GDBusMessage *m = next_msg(-1);

		if (handle(m, want, NULL))
			return m;
		g_object_unref(m);
	}
}

static void connect_bus(const char *address)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = g_str_has_prefix(address, "unix:path=") ? address + 10 : NULL;
	g_autofree char *auth = NULL;
	char line[512];
	ssize_t n;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		die("only unix:path= addresses");
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	{
		g_autofree char *uid = g_strdup_printf("%u", (unsigned)getuid());
		GString *hex = g_string_new(NULL);

		for (const char *c = uid; *c; c++)
			g_string_append_printf(hex, "%02x", *c);
		auth = g_strdup_printf("AUTH EXTERNAL %s\r\n", hex->str);
		g_string_free(hex, TRUE);
	}
	write_all("", 1);
	write_all(auth, strlen(auth));
	n = read(fd, line, sizeof(line) - 1);
	if (n <= 0 || strncmp(line, "OK ", 3) != 0)
		die("auth");
	write_all("BEGIN\r\n", 7);
	inbuf = g_byte_array_new();
}

static char *hello(void)
{
	g_autoptr(GDBusMessage) r = wait_reply(call("org.freedesktop.DBus", "/org/freedesktop/DBus",
						    "org.freedesktop.DBus", "Hello", NULL));
	const char *name;

	g_variant_get(g_dbus_message_get_body(r), "(&s)", &name);
	return g_strdup(name);
}

/* A bus lets a connection wait for 128 replies at most (system bus
 * default): keep fewer in flight. */
#define IN_FLIGHT 64

/* Every call, IN_FLIGHT at a time; calls to us are answered meanwhile. */
static void pipelined(GPtrArray *bodies, const char *iface, const char *method,
		      GPtrArray *paths, GPtrArray *out_paths)
{
	g_autoptr(GHashTable) want = g_hash_table_new(NULL, NULL);
	guint sent = 0;

	while (sent < bodies->len || g_hash_table_size(want)) {
		g_autoptr(GDBusMessage) m = NULL;
		guint32 rs;

		while (sent < bodies->len && g_hash_table_size(want) < IN_FLIGHT) {
			guint32 s = call("net.connman", paths ? paths->pdata[sent] : "/", iface, method,
					 bodies->pdata[sent]);

			g_hash_table_add(want, GUINT_TO_POINTER(s));
			sent++;
		}
		m = next_msg(-1);
		if (g_dbus_message_get_message_type(m) != G_DBUS_MESSAGE_TYPE_METHOD_RETURN &&
		    g_dbus_message_get_message_type(m) != G_DBUS_MESSAGE_TYPE_ERROR) {
			handle(m, 0, NULL);
			continue;
		}
		rs = g_dbus_message_get_reply_serial(m);
		if (!g_hash_table_remove(want, GUINT_TO_POINTER(rs)))
			continue;
		if (g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_ERROR) {
			g_autofree char *text = g_variant_print(g_dbus_message_get_body(m), FALSE);

			printf("error %s %s\n", g_dbus_message_get_error_name(m), text);
			fflush(stdout);
			exit(1);
		}
		if (out_paths) {
			const char *path;

			g_variant_get(g_dbus_message_get_body(m), "(&o)", &path);
			g_ptr_array_add(out_paths, g_strdup(path));
		}
	}
}

static void flood(guint n, guint period)
{
	g_autoptr(GPtrArray) bodies = g_ptr_array_new();
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *name = hello();
	bool reading = true;

	for (guint i = 0; i < n; i++) {
		g_autofree char *notifier = g_strdup_printf("/flood/s%u", i);

		g_ptr_array_add(bodies, g_variant_new("(@a{sv}o)",
			g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0), notifier));
	}
	pipelined(bodies, "net.connman.Manager", "CreateSession", NULL, paths);
	g_ptr_array_set_size(bodies, 0);
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(bodies, g_variant_new("(u)", period));
	pipelined(bodies, "net.nfconn.SessionStats", "SetPeriod", paths, NULL);
	printf("ready %s\n", name);
	fflush(stdout);

	for (;;) {
		struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { fd, POLLIN, 0 } };
		char line[64];

		while (reading) {
			g_autoptr(GDBusMessage) m = buffered_msg();

			if (!m)
				break;
			handle(m, 0, NULL);
		}
		if (poll(p, reading ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (reading && (p[1].revents & (POLLIN | POLLHUP)))
			read_some(0);
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (!fgets(line, sizeof(line), stdin) || g_str_has_prefix(line, "quit"))
			break;
		if (g_str_has_prefix(line, "stop")) {
			reading = false;
			printf("stopped\n");
		} else if (g_str_has_prefix(line, "read")) {
			guint64 before = stats_seen;
			gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
			bool pinged = false;

			for (;;) {
				gint64 left = (end - g_get_monotonic_time()) / 1000;
				g_autoptr(GDBusMessage) m = left > 0 ? next_msg((int)left) : NULL;

				if (!m)
					break;
				pinged = is_ping(m);
				handle(m, 0, NULL);
				if (pinged)
					break;
			}
			reading = true;
			printf("backlog stats=%" G_GUINT64_FORMAT " ping=%d\n", stats_seen - before, pinged);
		} else if (g_str_has_prefix(line, "count")) {
			printf("count stats=%" G_GUINT64_FORMAT "\n", stats_seen);
		} else {
			printf("error usage\n");
		}
		fflush(stdout);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void probe(double seconds)
{
	g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(double));
	gint64 end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
	g_autofree char *name = hello();
	double *v;
	guint n;

	while (g_get_monotonic_time() < end) {
		gint64 t0 = g_get_monotonic_time();
		g_autoptr(GDBusMessage) r = wait_reply(call("net.connman", "/", "net.connman.Manager",
							    "GetProperties", NULL));
		double d = (g_get_monotonic_time() - t0) / 1000.0;

		g_array_append_val(ms, d);
	}
	n = ms->len;
	v = (double *)ms->data;
	qsort(v, n, sizeof(double), cmp_double);
	printf("probe calls=%u p50=%.3f p99=%.3f max=%.3f\n", n, n ? v[n / 2] : 0,
	       n ? v[MIN(n - 1, n * 99 / 100)] : 0, n ? v[n - 1] : 0);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: stats-flooder ADDRESS N PERIOD | ADDRESS probe SECONDS\n");
		return 2;
	}
	connect_bus(argv[1]);
	if (g_str_equal(argv[2], "probe"))
		probe(g_ascii_strtod(argv[3], NULL));
	else
		flood((guint)g_ascii_strtoull(argv[2], NULL, 10),
		      (guint)g_ascii_strtoull(argv[3], NULL, 10));
	return 0;
}
