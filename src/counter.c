// SPDX-License-Identifier: GPL-2.0-or-later
#include "counter.h"

#include <errno.h>

#include "log.h"
#include "rtnl.h"
#include "service.h"

static const char *const keys[NFC_COUNTER_KEYS] = {
	"RX.Packets", "TX.Packets", "RX.Bytes", "TX.Bytes", "RX.Errors",
	"TX.Errors", "RX.Dropped", "TX.Dropped", "Time",
};

typedef struct Client Client;

typedef struct {
	Client *client;
	char *path;
	guint period;
	guint timer;
	bool waiting;       /* in sampling.waiters */
	GHashTable *sent;   /* service path → NfcCounterValues last sent to it */
} Counter;

/* One bus connection with counters; forgotten when it leaves the bus. */
struct Client {
	char *name;         /* unique name */
	guint watch;
	GList *counters;    /* Counter* */
};

static GDBusConnection *bus;
static GHashTable *clients;   /* unique name → Client* */
/* service path → NfcCounterValues: the raw values at its last
 * ResetCounters, taken off what the counters are told */
static GHashTable *baselines;

/* One link dump serves every counter whose period came round while it ran. */
static struct {
	int id;               /* the dump in flight, 0: none */
	GPtrArray *waiters;   /* Counter* */
	GHashTable *links;    /* ifindex → NfcRtnlLink* of the dump in flight */
	GPtrArray *resets;    /* identifiers of services to reset with this dump */
} sampling;

const char *nfc_counter_key(unsigned int i)
{
	return i < NFC_COUNTER_KEYS ? keys[i] : NULL;
}

GVariant *nfc_counter_usage_dict(const NfcCounterValues *now, const NfcCounterValues *last)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (unsigned int i = 0; i < NFC_COUNTER_KEYS; i++) {
		uint64_t v = now->v[i];

		if (last && last->v[i] == v)
			continue;
		/* ConnMan's clients know 'u'; past 4 GiB a 't' tells the truth
		 * where a 'u' would start again from zero */
		g_variant_builder_add(&b, "{sv}", keys[i],
				      v <= G_MAXUINT32 ? g_variant_new_uint32((guint32)v)
						       : g_variant_new_uint64(v));
	}
	return g_variant_builder_end(&b);
}

/* The service's values in the fresh dump, less its baseline; false when
 * its link is not in the dump. */
static bool service_values(NfcService *s, NfcCounterValues *out, bool raw)
{
	const NfcRtnlLink *link = g_hash_table_lookup(sampling.links,
						      GINT_TO_POINTER(nfc_service_get_index(s)));
	NfcCounterValues *base;

	if (!link || !link->has_stats)
		return false;
	*out = (NfcCounterValues){ { link->rx_packets, link->tx_packets, link->rx_bytes,
				     link->tx_bytes, link->rx_errors, link->tx_errors,
				     link->rx_dropped, link->tx_dropped,
				     nfc_service_get_connected_seconds(s) } };
	base = raw ? NULL : g_hash_table_lookup(baselines, nfc_service_get_path(s));
	for (unsigned int i = 0; base && i < NFC_COUNTER_KEYS; i++) {
		/* below the baseline: the link is new or the service connected
		 * again, so this value started from zero on its own */
		if (out->v[i] < base->v[i])
			base->v[i] = 0;
		out->v[i] -= base->v[i];
	}
	return true;
}

static void send_to(Counter *c, const char *member, GVariant *params)
{
	g_autoptr(GDBusMessage) msg = g_dbus_message_new_method_call(c->client->name, c->path,
								     "net.connman.Counter", member);

	/* no reply wanted: a client that never answers holds nothing of ours */
	g_dbus_message_set_flags(msg, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
	if (params)
		g_dbus_message_set_body(msg, params);
	g_dbus_connection_send_message(bus, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
}

/* Usage for every connected service with a link in the fresh dump: the
 * first call to this counter for a service carries every key of both
 * dictionaries, later ones what changed (always sent, as ConnMan does, so
 * a client sees the period even on an idle link). Values are totals; the
 * roaming bucket stays zero (no cellular here). */
static void report(Counter *c)
{
	static const NfcCounterValues zero;
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter it;
	gpointer key;

	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *s = l->data;
		const char *path = nfc_service_get_path(s);
		NfcCounterValues now, *last;
		GVariant *roaming;

		if (!nfc_service_is_connected(s) || !service_values(s, &now, false))
			continue;
		last = g_hash_table_lookup(c->sent, path);
		roaming = last ? nfc_counter_usage_dict(&zero, &zero) : nfc_counter_usage_dict(&zero, NULL);
		send_to(c, "Usage", g_variant_new("(o@a{sv}@a{sv})", path,
						  nfc_counter_usage_dict(&now, last), roaming));
		if (!last) {
			last = g_new(NfcCounterValues, 1);
			g_hash_table_insert(c->sent, g_strdup(path), last);
		}
		*last = now;
		g_hash_table_add(seen, (gpointer)path);
	}
	/* a service that is back later starts again with every key */
	g_hash_table_iter_init(&it, c->sent);
	while (g_hash_table_iter_next(&it, &key, NULL))
		if (!g_hash_table_contains(seen, key))
			g_hash_table_iter_remove(&it);
	g_hash_table_unref(seen);
}

static void on_link(const NfcRtnlLink *link, void *user_data)
{
	g_hash_table_replace(sampling.links, GINT_TO_POINTER(link->index),
			     g_memdup2(link, sizeof(*link)));
}

static void on_dump_done(int error, void *user_data)
{
	g_autoptr(GPtrArray) waiters = sampling.waiters;
	g_autoptr(GPtrArray) resets = sampling.resets;

	sampling.id = 0;
	sampling.waiters = g_ptr_array_new();
	sampling.resets = g_ptr_array_new_with_free_func(g_free);
	if (error < 0)
		nfc_warn("counters: link dump failed, no Usage this period: %s", g_strerror(-error));
	for (guint i = 0; error == 0 && i < resets->len; i++) {
		NfcService *s = nfc_service_lookup(resets->pdata[i]);
		NfcCounterValues raw;

		if (s && service_values(s, &raw, true))
			g_hash_table_insert(baselines, g_strdup(nfc_service_get_path(s)),
					    g_memdup2(&raw, sizeof(raw)));
	}
	for (guint i = 0; i < waiters->len; i++) {
		Counter *c = waiters->pdata[i];

		c->waiting = false;
		if (error == 0)
			report(c);
	}
	g_hash_table_remove_all(sampling.links);
}

static void start_dump(void)
{
	if (sampling.id)
		return;
	sampling.id = nfc_rtnl_link_dump(on_link, on_dump_done, NULL);
	if (sampling.id < 0) {
		int r = sampling.id;

		sampling.id = 0;
		on_dump_done(r, NULL);
	}
}

static void sample(Counter *c)
{
	if (!c->waiting) {
		c->waiting = true;
		g_ptr_array_add(sampling.waiters, c);
	}
	start_dump();
}

void nfc_counter_reset_service(const char *identifier)
{
	if (!bus)
		return;
	g_ptr_array_add(sampling.resets, g_strdup(identifier));
	start_dump();
}

static gboolean on_period(gpointer data)
{
	sample(data);
	return G_SOURCE_CONTINUE;
}

static gboolean on_first(gpointer data)
{
	Counter *c = data;

	c->timer = g_timeout_add_seconds(c->period, on_period, c);
	sample(c);
	return G_SOURCE_REMOVE;
}

static void counter_free(Counter *c)
{
	if (c->waiting)
		g_ptr_array_remove(sampling.waiters, c);
	if (c->timer)
		g_source_remove(c->timer);
	g_hash_table_unref(c->sent);
	g_free(c->path);
	g_free(c);
}

static void client_free(Client *cl)
{
	g_list_free_full(cl->counters, (GDestroyNotify)counter_free);
	if (cl->watch)
		g_bus_unwatch_name(cl->watch);
	g_free(cl->name);
	g_free(cl);
}

static void on_client_vanished(GDBusConnection *conn, const char *name, gpointer data)
{
	Client *cl = data;

	nfc_info("counters: %s left the bus, its %u counter(s) are dropped", name,
		 g_list_length(cl->counters));
	g_hash_table_remove(clients, name);
}

static Counter *find(Client *cl, const char *path)
{
	for (GList *l = cl ? cl->counters : NULL; l; l = l->next)
		if (g_str_equal(((Counter *)l->data)->path, path))
			return l->data;
	return NULL;
}

int nfc_counter_register(const char *sender, const char *path, guint accuracy, guint period)
{
	Client *cl = g_hash_table_lookup(clients, sender);
	Counter *c;

	/* accuracy (KiB) is ignored, as by ConnMan: every period reports */
	if (period == 0)
		return -EINVAL;
	if (find(cl, path))
		return -EEXIST;
	if (cl && g_list_length(cl->counters) >= NFC_COUNTER_MAX_PER_CLIENT)
		return -EUSERS;
	if (!cl) {
		cl = g_new0(Client, 1);
		cl->name = g_strdup(sender);
		g_hash_table_insert(clients, cl->name, cl);
		/* a name already gone is reported at once: no counter outlives it */
		cl->watch = g_bus_watch_name_on_connection(bus, sender, G_BUS_NAME_WATCHER_FLAGS_NONE,
							   NULL, on_client_vanished, cl, NULL);
	}
	c = g_new0(Counter, 1);
	c->client = cl;
	c->path = g_strdup(path);
	c->period = period;
	c->sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	cl->counters = g_list_append(cl->counters, c);
	/* the first Usage as soon as the reply is out, then every period */
	c->timer = g_idle_add(on_first, c);
	nfc_info("counters: %s registered %s, every %u s", sender, path, period);
	return 0;
}

int nfc_counter_unregister(const char *sender, const char *path)
{
	Client *cl = g_hash_table_lookup(clients, sender);
	Counter *c = find(cl, path);
	GHashTableIter it;
	gpointer value;

	if (!c) {
		g_hash_table_iter_init(&it, clients);
		while (g_hash_table_iter_next(&it, NULL, &value))
			if (find(value, path))
				return -EPERM;
		return -ESRCH;
	}
	cl->counters = g_list_remove(cl->counters, c);
	counter_free(c);
	if (!cl->counters)
		g_hash_table_remove(clients, sender);
	return 0;
}

void nfc_counter_init(GDBusConnection *conn)
{
	bus = g_object_ref(conn);
	clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)client_free);
	sampling.waiters = g_ptr_array_new();
	sampling.links = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	sampling.resets = g_ptr_array_new_with_free_func(g_free);
	baselines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void nfc_counter_cleanup(void)
{
	GHashTableIter it;
	gpointer value;

	if (!bus)
		return;
	g_hash_table_iter_init(&it, clients);
	while (g_hash_table_iter_next(&it, NULL, &value))
		for (GList *l = ((Client *)value)->counters; l; l = l->next)
			send_to(l->data, "Release", NULL);
	if (sampling.id)
		nfc_rtnl_cancel(sampling.id);
	sampling.id = 0;
	g_clear_pointer(&clients, g_hash_table_unref);
	g_clear_pointer(&sampling.waiters, g_ptr_array_unref);
	g_clear_pointer(&sampling.links, g_hash_table_unref);
	g_clear_pointer(&sampling.resets, g_ptr_array_unref);
	g_clear_pointer(&baselines, g_hash_table_unref);
	g_clear_object(&bus);
}
