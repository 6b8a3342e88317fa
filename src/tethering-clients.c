// SPDX-License-Identifier: GPL-2.0-or-later
/* Tethering clients: a MAC that holds a dnsmasq lease or has a neighbour
 * entry on the bridge (ethernet clients with a static address count too).
 * Counters come from the firewall per address and are summed per MAC over
 * every address the client was seen with. */
#include "tethering.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <string.h>

#include "log.h"
#include "rtnl.h"
#include "tethering-internal.h"

typedef struct {
	NfcTetheringClient pub;
	GHashTable *seen;          /* every address it had: counters follow them */
} Client;

static struct {
	bool on;
	int bridge_index;
	unsigned int rtnl_watch;
	int dump;
	GArray *leases;            /* NfcDnsmasqLease */
	GHashTable *neighbours;    /* address → MAC */
	GHashTable *clients;       /* MAC → Client */
	GHashTable *local;         /* ifindex → MAC of the host's own links */
	GPtrArray *list;           /* NfcTetheringClient*, by MAC */
	unsigned int generation;   /* counters of an earlier start are dropped */
} c;

static void client_free(Client *cl)
{
	g_free(cl->pub.hostname);
	g_strfreev(cl->pub.addresses);
	g_hash_table_unref(cl->seen);
	g_free(cl);
}

static void mac_to_string(const uint8_t *mac, char *buf)
{
	g_snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		   mac[4], mac[5]);
}

typedef struct {
	char *hostname;
	GPtrArray *addresses;
} Seen;

static void seen_free(Seen *s)
{
	g_free(s->hostname);
	g_ptr_array_unref(s->addresses);
	g_free(s);
}

static Seen *seen_get(GHashTable *now, const char *mac)
{
	Seen *s = g_hash_table_lookup(now, mac);

	if (!s) {
		s = g_new0(Seen, 1);
		s->addresses = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(now, g_ascii_strdown(mac, -1), s);
	}
	return s;
}

static void seen_add_address(Seen *s, const char *address)
{
	for (guint i = 0; i < s->addresses->len; i++)
		if (g_str_equal(s->addresses->pdata[i], address))
			return;
	g_ptr_array_add(s->addresses, g_strdup(address));
}

static int by_mac(gconstpointer a, gconstpointer b)
{
	const NfcTetheringClient *x = *(NfcTetheringClient *const *)a;
	const NfcTetheringClient *y = *(NfcTetheringClient *const *)b;

	return strcmp(x->mac, y->mac);
}

/* Leases and neighbours → clients; the watchers hear the difference. */
static void rebuild(void)
{
	g_autoptr(GHashTable) now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							  (GDestroyNotify)seen_free);
	g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer key, value;

	for (guint i = 0; c.leases && i < c.leases->len; i++) {
		const NfcDnsmasqLease *l = &g_array_index(c.leases, NfcDnsmasqLease, i);
		Seen *s;

		if (strlen(l->mac) != 17)
			continue;   /* a DHCPv6 DUID or an odd line: no MAC */
		s = seen_get(now, l->mac);
		if (l->hostname[0] && !s->hostname)
			s->hostname = g_strdup(l->hostname);
		if (l->address[0])
			seen_add_address(s, l->address);
	}
	g_hash_table_iter_init(&it, c.neighbours);
	while (g_hash_table_iter_next(&it, &key, &value))
		seen_add_address(seen_get(now, value), key);
	/* the host's own links (the bridge, a lent port) are no client, even
	 * when the neighbour table or a lease names their MAC */
	g_hash_table_iter_init(&it, c.local);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_hash_table_remove(now, value);

	g_hash_table_iter_init(&it, c.clients);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		if (g_hash_table_contains(now, key))
			continue;
		g_ptr_array_add(removed, g_strdup(key));
		g_hash_table_iter_remove(&it);
	}
	g_hash_table_iter_init(&it, now);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		Seen *s = value;
		Client *cl = g_hash_table_lookup(c.clients, key);

		if (!cl) {
			cl = g_new0(Client, 1);
			g_strlcpy(cl->pub.mac, key, sizeof(cl->pub.mac));
			cl->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			g_hash_table_insert(c.clients, g_strdup(key), cl);
			g_ptr_array_add(added, g_strdup(key));
		}
		g_free(cl->pub.hostname);
		cl->pub.hostname = g_strdup(s->hostname);
		g_strfreev(cl->pub.addresses);
		cl->pub.addresses = g_new0(char *, s->addresses->len + 1);
		for (guint i = 0; i < s->addresses->len; i++) {
			cl->pub.addresses[i] = g_strdup(s->addresses->pdata[i]);
			g_hash_table_add(cl->seen, g_strdup(s->addresses->pdata[i]));
		}
	}

	g_ptr_array_set_size(c.list, 0);
	g_hash_table_iter_init(&it, c.clients);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(c.list, &((Client *)value)->pub);
	g_ptr_array_sort(c.list, by_mac);

	if (added->len || removed->len) {
		for (guint i = 0; i < added->len; i++)
			nfc_info("tethering: client %s", (char *)added->pdata[i]);
		for (guint i = 0; i < removed->len; i++)
			nfc_info("tethering: client %s left", (char *)removed->pdata[i]);
		g_ptr_array_add(added, NULL);
		g_ptr_array_add(removed, NULL);
		nfc_tether_clients_notify((const char *const *)added->pdata,
					  (const char *const *)removed->pdata);
	}
}

static bool neigh_is_client(const NfcRtnlNeigh *n)
{
	/* multicast and broadcast MACs, entries without one, and NOARP
	 * (multicast groups) are no machine */
	return n->index == c.bridge_index && n->has_lladdr && !(n->lladdr[0] & 1) &&
	       !(n->state & (NUD_NOARP | NUD_FAILED | NUD_INCOMPLETE | NUD_NONE));
}

static bool neigh_put(const NfcRtnlNeigh *n)
{
	char addr[INET6_ADDRSTRLEN], mac[18];
	const char *old;

	if (n->index != c.bridge_index)
		return false;
	nfc_inaddr_to_string(n->family, &n->address, addr);
	if (!neigh_is_client(n))
		return g_hash_table_remove(c.neighbours, addr);
	/* IPv6 link-local addresses tell nothing a client could be reached by
	 * from outside, but they do say the machine is there */
	mac_to_string(n->lladdr, mac);
	old = g_hash_table_lookup(c.neighbours, addr);
	if (old && g_str_equal(old, mac))
		return false;
	g_hash_table_replace(c.neighbours, g_strdup(addr), g_strdup(mac));
	return true;
}

static void on_neigh_changed(const NfcRtnlNeigh *n, void *user_data)
{
	if (neigh_put(n))
		rebuild();
}

static void on_neigh_removed(const NfcRtnlNeigh *n, void *user_data)
{
	char addr[INET6_ADDRSTRLEN];

	if (n->index != c.bridge_index)
		return;
	nfc_inaddr_to_string(n->family, &n->address, addr);
	if (g_hash_table_remove(c.neighbours, addr))
		rebuild();
}

static void on_link_changed(const NfcRtnlLink *link, void *user_data)
{
	char mac[18];
	const char *old;

	if (link->address_len != 6)
		return;
	mac_to_string(link->address, mac);
	old = g_hash_table_lookup(c.local, GINT_TO_POINTER(link->index));
	if (old && g_str_equal(old, mac))
		return;
	g_hash_table_replace(c.local, GINT_TO_POINTER(link->index), g_strdup(mac));
	rebuild();
}

static void on_link_removed(int index, const char *name, void *user_data)
{
	if (g_hash_table_remove(c.local, GINT_TO_POINTER(index)))
		rebuild();
}

static void each_neigh(const NfcRtnlNeigh *n, void *user_data)
{
	neigh_put(n);
}

static void on_dump_done(int error, void *user_data)
{
	c.dump = 0;
	if (error < 0)
		nfc_warn("tethering: cannot list the bridge's neighbours: %s", g_strerror(-error));
	rebuild();
}

void nfc_tether_clients_start(int bridge_index)
{
	static const NfcRtnlWatch w = {
		.link_changed = on_link_changed,
		.link_removed = on_link_removed,
		.neigh_changed = on_neigh_changed,
		.neigh_removed = on_neigh_removed,
	};
	int r;

	if (c.on)
		nfc_tether_clients_stop();
	c.on = true;
	c.generation++;
	c.bridge_index = bridge_index;
	c.neighbours = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c.clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)client_free);
	c.list = g_ptr_array_new();
	c.local = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	nfc_rtnl_neigh_monitor(true);
	c.rtnl_watch = nfc_rtnl_watch_add(&w, NULL);
	r = nfc_rtnl_neigh_dump(AF_UNSPEC, bridge_index, each_neigh, on_dump_done, NULL);
	if (r < 0)
		nfc_warn("tethering: cannot list the bridge's neighbours: %s", g_strerror(-r));
	c.dump = MAX(r, 0);
}

void nfc_tether_clients_stop(void)
{
	if (!c.on)
		return;
	if (c.dump)
		nfc_rtnl_cancel(c.dump);
	c.dump = 0;
	nfc_rtnl_watch_remove(c.rtnl_watch);
	nfc_rtnl_neigh_monitor(false);
	g_clear_pointer(&c.leases, g_array_unref);
	g_hash_table_remove_all(c.neighbours);
	/* everyone leaves, and the watchers hear it */
	rebuild();
	g_clear_pointer(&c.neighbours, g_hash_table_unref);
	g_clear_pointer(&c.clients, g_hash_table_unref);
	g_clear_pointer(&c.list, g_ptr_array_unref);
	g_clear_pointer(&c.local, g_hash_table_unref);
	c.on = false;
	c.bridge_index = 0;
}

void nfc_tether_clients_set_leases(const GArray *leases)
{
	if (!c.on)
		return;
	g_clear_pointer(&c.leases, g_array_unref);
	if (leases) {
		c.leases = g_array_sized_new(FALSE, FALSE, sizeof(NfcDnsmasqLease), leases->len);
		g_array_append_vals(c.leases, leases->data, leases->len);
	}
	rebuild();
}

GPtrArray *nfc_tether_clients_get(void)
{
	static GPtrArray *empty;

	if (c.on)
		return c.list;
	if (!empty)
		empty = g_ptr_array_new();
	return empty;
}

typedef struct {
	void (*done)(const GError *error, void *user_data);
	void *user_data;
	unsigned int generation;
} CounterRead;

static Client *client_of(const char *address)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, c.clients);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (g_hash_table_contains(((Client *)value)->seen, address))
			return value;
	return NULL;
}

static void on_counters(int error, const NfcTetherCounters *counters, size_t n, void *user_data)
{
	g_autofree CounterRead *cr = user_data;
	g_autoptr(GError) gerror = NULL;
	GHashTableIter it;
	gpointer value;

	if (error < 0) {
		gerror = g_error_new(NFC_TETHERING_ERROR, NFC_TETHERING_ERROR_FAILED,
				     "cannot read the tether counters: %s", g_strerror(-error));
		cr->done(gerror, cr->user_data);
		return;
	}
	if (c.on && cr->generation == c.generation) {
		/* the firewall's totals since the start: each read replaces the sums */
		g_hash_table_iter_init(&it, c.clients);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			NfcTetheringClient *p = &((Client *)value)->pub;

			p->tx_packets = p->tx_bytes = p->rx_packets = p->rx_bytes = 0;
		}
		for (size_t i = 0; i < n; i++) {
			char addr[INET6_ADDRSTRLEN];
			NfcInAddr a;
			Client *cl;

			memset(&a, 0, sizeof(a));
			memcpy(&a, counters[i].address, counters[i].family == AF_INET ? 4 : 16);
			nfc_inaddr_to_string(counters[i].family, &a, addr);
			cl = client_of(addr);
			if (!cl)
				continue;
			cl->pub.tx_packets += counters[i].tx_packets;
			cl->pub.tx_bytes += counters[i].tx_bytes;
			cl->pub.rx_packets += counters[i].rx_packets;
			cl->pub.rx_bytes += counters[i].rx_bytes;
		}
	}
	cr->done(NULL, cr->user_data);
}

void nfc_tether_clients_read_counters(void (*done)(const GError *error, void *user_data),
				      void *user_data)
{
	CounterRead *cr = g_new0(CounterRead, 1);
	int r;

	cr->done = done;
	cr->user_data = user_data;
	cr->generation = c.generation;
	r = fw_counters_read(on_counters, cr);
	if (r < 0)
		on_counters(r, NULL, 0, cr);
}
