// SPDX-License-Identifier: GPL-2.0-or-later
#include "online.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "config.h"
#include "dns-lookup.h"
#include "log.h"

/* Per server and try; c-ares asks each server once, then each once more
 * for twice as long, so three nameservers take 18 s at most. */
#define DNS_TIMEOUT_MS 2000

struct NfcOnlineCheck {
	char *ifname;
	int family;
	char *url;
	char *host;
	char *authority; /* host[:port] as the URL has it, for Host: */
	char *path;
	unsigned int port;
	NfcOnlineNameserversFunc nameservers;
	NfcOnlineFunc func;
	void *user_data;
	GCancellable *cancel;
	guint timer;
	unsigned int attempt;
	NfcDnsLookup *lookup;
	GSocketConnection *conn;
	char buf[1024];
	gsize got;
	char *request;
	int reported;  /* -1 none yet, else the last result */
	bool stopped;  /* async callbacks hold references: they check this */
};

static void check_clear(NfcOnlineCheck *c)
{
	g_clear_object(&c->cancel);
	g_clear_object(&c->conn);
	g_free(c->ifname);
	g_free(c->url);
	g_free(c->host);
	g_free(c->authority);
	g_free(c->path);
	g_free(c->request);
}

static void check_unref(NfcOnlineCheck *c)
{
	g_rc_box_release_full(c, (GDestroyNotify)check_clear);
}

static void attempt(NfcOnlineCheck *c);

bool nfc_online_parse_url(const char *url, char **host, unsigned int *port, char **path)
{
	const char *p, *slash, *colon, *host_end;
	guint64 v;

	if (!g_str_has_prefix(url, "http://"))
		return false;
	p = url + strlen("http://");
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	if (*p == '[') {
		/* an IPv6 literal: its colons are not the port's */
		const char *close = memchr(p, ']', slash - p);

		if (!close || close == p + 1)
			return false;
		host_end = close + 1;
		if (host_end != slash && *host_end != ':')
			return false;
		colon = host_end == slash ? NULL : host_end;
	} else {
		colon = memchr(p, ':', slash - p);
		host_end = colon ? colon : slash;
	}
	if (colon) {
		g_autofree char *ps = g_strndup(colon + 1, slash - colon - 1);

		if (!g_ascii_string_to_unsigned(ps, 10, 1, 65535, &v, NULL))
			return false;
		*port = (unsigned int)v;
	} else {
		*port = 80;
	}
	if (host_end == p)
		return false;
	if (*p == '[')
		*host = g_strndup(p + 1, host_end - p - 2);
	else
		*host = g_strndup(p, host_end - p);
	*path = g_strdup(*slash ? slash : "/");
	return true;
}

bool nfc_online_response_ok(const char *head)
{
	/* "HTTP/1.x 2xx" */
	return g_str_has_prefix(head, "HTTP/1.") && strlen(head) >= 12 && head[8] == ' ' &&
	       head[9] == '2' && g_ascii_isdigit(head[10]) && g_ascii_isdigit(head[11]);
}

static void report(NfcOnlineCheck *c, bool online)
{
	if (c->reported == (int)online)
		return;
	c->reported = online;
	c->func(online, c->user_data);
}

static guint next_interval(NfcOnlineCheck *c)
{
	const NfcConfig *cfg = nfc_config_active();
	guint n = c->attempt, i;

	if (cfg->online_check_interval_style == NFC_INTERVAL_FIBONACCI) {
		guint a = 1, b = 1;

		for (guint k = 1; k < n; k++) {
			guint t = a + b;

			a = b;
			b = t;
		}
		i = a;
	} else {
		i = n * n;
	}
	i = MAX(i, cfg->online_check_initial_interval);
	return MIN(i, cfg->online_check_max_interval);
}

static void schedule(NfcOnlineCheck *c);

static gboolean on_timer(gpointer data)
{
	NfcOnlineCheck *c = data;

	c->timer = 0;
	attempt(c);
	return G_SOURCE_REMOVE;
}

static void schedule(NfcOnlineCheck *c)
{
	c->timer = g_timeout_add_seconds(next_interval(c), on_timer, c);
}

static void finish(NfcOnlineCheck *c, bool ok)
{
	const NfcConfig *cfg = nfc_config_active();

	g_clear_object(&c->conn);
	nfc_debug("online check on %s: %s", c->ifname, ok ? "online" : "not online");
	report(c, ok);
	if (ok && cfg->online_check_mode != NFC_ONLINE_CHECK_CONTINUOUS)
		return;
	c->attempt++;
	schedule(c);
}

static void on_read(GObject *src, GAsyncResult *res, gpointer data)
{
	NfcOnlineCheck *c = data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);

	if (c->stopped) {
		check_unref(c);
		return;
	}
	if (n > 0 && c->got + n < sizeof(c->buf) - 1 && !memchr(c->buf, '\n', c->got + n)) {
		c->got += n;
		g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)),
					  c->buf + c->got, sizeof(c->buf) - 1 - c->got,
					  G_PRIORITY_DEFAULT, c->cancel, on_read, c);
		return;
	}
	if (n > 0)
		c->got += n;
	c->buf[c->got] = '\0';
	finish(c, nfc_online_response_ok(c->buf));
	check_unref(c);
}

static void on_written(GObject *src, GAsyncResult *res, gpointer data)
{
	NfcOnlineCheck *c = data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error) ||
	    c->stopped) {
		if (!c->stopped)
			finish(c, false);
		check_unref(c);
		return;
	}
	c->got = 0;
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)), c->buf,
				  sizeof(c->buf) - 1, G_PRIORITY_DEFAULT, c->cancel, on_read, c);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	NfcOnlineCheck *c = data;
	g_autoptr(GError) error = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &error);

	if (c->stopped) {
		g_clear_object(&conn);
		check_unref(c);
		return;
	}
	c->conn = conn;
	if (!c->conn) {
		nfc_debug("online check on %s: %s", c->ifname, error->message);
		finish(c, false);
		check_unref(c);
		return;
	}
	g_free(c->request);
	c->request = g_strdup_printf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: nfconn/1\r\n"
				  "Connection: close\r\n\r\n", c->path, c->authority);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(c->conn)),
					c->request, strlen(c->request), G_PRIORITY_DEFAULT, c->cancel,
					on_written, c);
}

/* The probe must leave through the interface under test, not whichever
 * the routing table prefers. */
static void on_socket_event(GSocketClient *client, GSocketClientEvent event,
			    GSocketConnectable *connectable, GIOStream *connection, gpointer data)
{
	NfcOnlineCheck *c = data;
	GSocket *sock;

	if (event != G_SOCKET_CLIENT_CONNECTING || c->stopped)
		return;
	sock = g_socket_connection_get_socket(G_SOCKET_CONNECTION(connection));
	if (setsockopt(g_socket_get_fd(sock), SOL_SOCKET, SO_BINDTODEVICE, c->ifname,
		       strlen(c->ifname)) < 0)
		nfc_warn("online check: cannot bind to %s: %s", c->ifname, g_strerror(errno));
}

/* The HTTP side: to an address, so that GSocketClient asks no resolver
 * (and no proxy: the check is about this uplink, not a proxy's). */
static void connect_to(NfcOnlineCheck *c, GInetAddress *address)
{
	const NfcConfig *cfg = nfc_config_active();
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) to = g_inet_socket_address_new(address, c->port);

	g_socket_client_set_timeout(client, cfg->online_check_connect_timeout ?
				    cfg->online_check_connect_timeout : 10);
	g_socket_client_set_enable_proxy(client, FALSE);
	g_signal_connect_data(client, "event", G_CALLBACK(on_socket_event), g_rc_box_acquire(c),
			      (GClosureNotify)(void (*)(void))check_unref, 0);
	g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(to), c->cancel, on_connected,
				      g_rc_box_acquire(c));
}

static void on_resolved(GInetAddress *address, const GError *error, void *user_data)
{
	NfcOnlineCheck *c = user_data;

	c->lookup = NULL;
	if (!address) {
		nfc_debug("online check on %s: %s: %s", c->ifname, c->host, error->message);
		finish(c, false);
		return;
	}
	{
		g_autofree char *a = g_inet_address_to_string(address);

		nfc_debug("online check on %s: %s is %s", c->ifname, c->host, a);
	}
	connect_to(c, address);
}

static void attempt(NfcOnlineCheck *c)
{
	g_autoptr(GInetAddress) literal = g_inet_address_new_from_string(c->host);
	g_auto(GStrv) servers = NULL;
	g_autoptr(GError) error = NULL;

	if (literal) {
		connect_to(c, literal);
		return;
	}
	/* this service's nameservers, asked out of its interface: another
	 * uplink's (or the host's) answer says nothing about this one */
	servers = c->nameservers(c->user_data);
	if (!nfc_dns_lookup_start(c->host, c->family, (const char *const *)servers, c->ifname,
				  DNS_TIMEOUT_MS, on_resolved, c, &c->lookup, &error)) {
		nfc_debug("online check on %s: %s: %s", c->ifname, c->host, error->message);
		finish(c, false);
	}
}

NfcOnlineCheck *nfc_online_check_start(const char *ifname, int family, const char *url,
				       NfcOnlineNameserversFunc nameservers, NfcOnlineFunc func,
				       void *user_data)
{
	NfcOnlineCheck *c = g_rc_box_new0(NfcOnlineCheck);

	c->ifname = g_strdup(ifname);
	c->family = family;
	c->url = g_strdup(url);
	c->nameservers = nameservers;
	c->func = func;
	c->user_data = user_data;
	c->reported = -1;
	c->cancel = g_cancellable_new();
	c->attempt = 1;
	if (!nfc_online_parse_url(url, &c->host, &c->port, &c->path)) {
		nfc_warn("online check: unsupported URL %s", url);
		return c;
	}
	{
		const char *a = url + strlen("http://");

		c->authority = g_strndup(a, strcspn(a, "/"));
	}
	attempt(c);
	return c;
}

void nfc_online_check_stop(NfcOnlineCheck *c)
{
	if (!c)
		return;
	c->stopped = true;
	g_clear_pointer(&c->lookup, nfc_dns_lookup_cancel);
	g_cancellable_cancel(c->cancel);
	if (c->timer)
		g_source_remove(c->timer);
	c->timer = 0;
	check_unref(c);
}
