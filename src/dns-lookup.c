// SPDX-License-Identifier: GPL-2.0-or-later
#include "dns-lookup.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdbool.h>
#include <string.h>

/* The calls used here are in every c-ares from 1.18 (Debian 12) on; their
 * successors (ares_query_dnsrec, ares_dns_parse) came in 1.28, and newer
 * headers mark the old ones deprecated, which -Werror would make fatal. */
#define CARES_NO_DEPRECATED
#include <ares.h>
#include <glib-unix.h>

/* One channel per lookup: a check runs every few seconds at most, and a
 * channel of its own keeps each lookup's servers and interface apart. */
struct NfcDnsLookup {
	ares_channel channel;
	int family;
	GHashTable *watches; /* fd → GSource id */
	guint timer;
	guint idle;          /* delivers a result c-ares gave synchronously */
	bool done;
	bool tearing_down;   /* ares_destroy() closes sockets: ignore those */
	int status;          /* ARES_* */
	GInetAddress *address;
	NfcDnsLookupFunc func;
	void *user_data;
};

static void rearm_timer(NfcDnsLookup *l);

static void teardown(NfcDnsLookup *l)
{
	GHashTableIter it;
	gpointer id;

	l->tearing_down = true;
	g_hash_table_iter_init(&it, l->watches);
	while (g_hash_table_iter_next(&it, NULL, &id))
		g_source_remove(GPOINTER_TO_UINT(id));
	g_hash_table_unref(l->watches);
	if (l->timer)
		g_source_remove(l->timer);
	if (l->idle)
		g_source_remove(l->idle);
	/* any query still pending is answered ARES_EDESTRUCTION: on_answer
	 * ignores it once tearing_down is set */
	ares_destroy(l->channel);
}

static void lookup_free(NfcDnsLookup *l)
{
	teardown(l);
	g_clear_object(&l->address);
	g_free(l);
}

static GError *status_error(int status)
{
	GIOErrorEnum code;

	switch (status) {
	case ARES_ETIMEOUT:
		code = G_IO_ERROR_TIMED_OUT;
		break;
	case ARES_ECONNREFUSED:
		code = G_IO_ERROR_CONNECTION_REFUSED;
		break;
	case ARES_ENODATA:
	case ARES_ENOTFOUND:
		code = G_IO_ERROR_NOT_FOUND;
		break;
	default:
		code = G_IO_ERROR_FAILED;
	}
	return g_error_new(G_IO_ERROR, code, "DNS: %s", ares_strerror(status));
}

/* Deliver and free: only from our own main-loop callbacks, never from
 * inside c-ares, which must not see its channel destroyed under it. */
static void deliver(NfcDnsLookup *l)
{
	NfcDnsLookupFunc func = l->func;
	void *user_data = l->user_data;
	g_autoptr(GInetAddress) address = g_steal_pointer(&l->address);
	g_autoptr(GError) error = NULL;

	if (!address)
		error = status_error(l->status == ARES_SUCCESS ? ARES_ENODATA : l->status);
	lookup_free(l);
	func(address, error, user_data);
}

/* After c-ares ran: deliver if it finished, else wait for its next
 * timeout. Returns whether l is gone. */
static bool after_process(NfcDnsLookup *l)
{
	if (l->done) {
		deliver(l);
		return true;
	}
	rearm_timer(l);
	return false;
}

static gboolean on_timer(gpointer data)
{
	NfcDnsLookup *l = data;

	l->timer = 0;
	ares_process_fd(l->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	after_process(l);
	return G_SOURCE_REMOVE;
}

static void rearm_timer(NfcDnsLookup *l)
{
	struct timeval tv;
	guint ms;

	if (l->timer)
		g_source_remove(l->timer);
	l->timer = 0;
	if (!ares_timeout(l->channel, NULL, &tv))
		return;
	/* round up: waking before the deadline would only spin */
	ms = (guint)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
	l->timer = g_timeout_add(ms, on_timer, l);
}

typedef struct {
	NfcDnsLookup *lookup;
	int fd;
} FdWatch;

static gboolean on_fd(int fd, GIOCondition cond, gpointer data)
{
	NfcDnsLookup *l = ((FdWatch *)data)->lookup;
	bool in = cond & (G_IO_IN | G_IO_HUP | G_IO_ERR);
	bool out = cond & G_IO_OUT;

	/* c-ares may close this socket (and drop this watch) while it runs */
	ares_process_fd(l->channel, in ? fd : ARES_SOCKET_BAD, out ? fd : ARES_SOCKET_BAD);
	after_process(l);
	return G_SOURCE_CONTINUE;
}

/* c-ares tells which of its sockets to watch, and for what. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	NfcDnsLookup *l = data;
	gpointer old;
	FdWatch *w;
	guint id;

	if (l->tearing_down)
		return;
	if (g_hash_table_steal_extended(l->watches, GINT_TO_POINTER(fd), NULL, &old))
		g_source_remove(GPOINTER_TO_UINT(old));
	if (!readable && !writable)
		return;
	w = g_new0(FdWatch, 1);
	w->lookup = l;
	w->fd = fd;
	id = g_unix_fd_add_full(G_PRIORITY_DEFAULT, fd,
				(readable ? G_IO_IN : 0) | (writable ? G_IO_OUT : 0), on_fd, w,
				g_free);
	g_hash_table_insert(l->watches, GINT_TO_POINTER(fd), GUINT_TO_POINTER(id));
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	NfcDnsLookup *l = arg;

	if (l->tearing_down)
		return;
	l->done = true;
	l->status = status;
	if (status != ARES_SUCCESS)
		return;
	if (l->family == AF_INET) {
		struct ares_addrttl a[1];
		int n = G_N_ELEMENTS(a);

		l->status = ares_parse_a_reply(abuf, alen, NULL, a, &n);
		if (l->status == ARES_SUCCESS && n > 0)
			l->address = g_inet_address_new_from_bytes((const guint8 *)&a[0].ipaddr,
								   G_SOCKET_FAMILY_IPV4);
	} else {
		struct ares_addr6ttl a[1];
		int n = G_N_ELEMENTS(a);

		l->status = ares_parse_aaaa_reply(abuf, alen, NULL, a, &n);
		if (l->status == ARES_SUCCESS && n > 0)
			l->address = g_inet_address_new_from_bytes((const guint8 *)&a[0].ip6addr,
								   G_SOCKET_FAMILY_IPV6);
	}
}

static gboolean on_idle(gpointer data)
{
	NfcDnsLookup *l = data;

	l->idle = 0;
	deliver(l);
	return G_SOURCE_REMOVE;
}

/* The servers as c-ares's list; entries that are not addresses (a name, a
 * link-local one with a scope) are left out. */
static struct ares_addr_node *server_list(const char *const *nameservers, GArray *nodes)
{
	for (const char *const *n = nameservers; n && *n; n++) {
		struct ares_addr_node node = { 0 };

		if (inet_pton(AF_INET, *n, &node.addr.addr4) == 1)
			node.family = AF_INET;
		else if (inet_pton(AF_INET6, *n, &node.addr.addr6) == 1)
			node.family = AF_INET6;
		else
			continue;
		g_array_append_val(nodes, node);
	}
	for (guint i = 0; i + 1 < nodes->len; i++)
		g_array_index(nodes, struct ares_addr_node, i).next =
			&g_array_index(nodes, struct ares_addr_node, i + 1);
	return nodes->len ? &g_array_index(nodes, struct ares_addr_node, 0) : NULL;
}

gboolean nfc_dns_lookup_start(const char *host, int family, const char *const *nameservers,
			      const char *ifname, unsigned int timeout_ms, NfcDnsLookupFunc func,
			      void *user_data, NfcDnsLookup **lookup, GError **error)
{
	static bool library_ready;
	g_autoptr(GArray) nodes = g_array_new(FALSE, TRUE, sizeof(struct ares_addr_node));
	struct ares_addr_node *servers;
	struct ares_options o = { 0 };
	char lookups[] = "b";
	NfcDnsLookup *l;
	int r;

	g_return_val_if_fail(family == AF_INET || family == AF_INET6, FALSE);
	servers = server_list(nameservers, nodes);
	if (!servers) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "no nameserver address to ask");
		return FALSE;
	}
	if (!library_ready) {
		r = ares_library_init(ARES_LIB_INIT_ALL);
		if (r != ARES_SUCCESS) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "c-ares: %s",
				    ares_strerror(r));
			return FALSE;
		}
		library_ready = true;
	}

	l = g_new0(NfcDnsLookup, 1);
	l->family = family;
	l->func = func;
	l->user_data = user_data;
	l->watches = g_hash_table_new(NULL, NULL);
	/* Every setting given, so that c-ares reads nothing of the host's
	 * (resolv.conf, nsswitch.conf): no servers here (they follow, v4 and
	 * v6 alike), no search domains, no sort list, DNS only. */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = (int)MAX(timeout_ms, 100u);
	o.tries = 2;
	o.ndots = 0;
	o.nservers = 0;
	o.ndomains = 0;
	o.nsort = 0;
	o.lookups = lookups;
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = l;
	r = ares_init_options(&l->channel, &o,
			      ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
				      ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_SORTLIST |
				      ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB);
	if (r == ARES_SUCCESS)
		r = ares_set_servers(l->channel, servers);
	if (r != ARES_SUCCESS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "c-ares: %s", ares_strerror(r));
		if (l->channel)
			ares_destroy(l->channel);
		g_hash_table_unref(l->watches);
		g_free(l);
		return FALSE;
	}
	/* SO_BINDTODEVICE on every socket it opens: the queries leave by
	 * this interface whatever the routing table prefers */
	if (ifname)
		ares_set_local_dev(l->channel, ifname);
	ares_query(l->channel, host, ns_c_in, family == AF_INET ? ns_t_a : ns_t_aaaa, on_answer,
		   l);
	if (l->done)
		l->idle = g_idle_add(on_idle, l);
	else
		rearm_timer(l);
	*lookup = l;
	return TRUE;
}

void nfc_dns_lookup_cancel(NfcDnsLookup *l)
{
	if (l)
		lookup_free(l);
}
