// SPDX-License-Identifier: GPL-2.0-or-later
/* What tethering must know of the host: every IPv4 address and route (but
 * those of our own tables and of the bridge), which the subnet must not
 * overlap; and the forwarding sysctls it turns on, each recorded in
 * <run>/tether-state before it is changed, so that the old value comes
 * back on disable or, after a crash, at the next start. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ippool.h"
#include "log.h"
#include "rtnl.h"
#include "sysctl.h"
#include "tethering-internal.h"

#define STATE_FILE "tether-state"

/* An address or route of the host the subnet must not overlap. */
typedef struct {
	NfcIpv4Prefix prefix;
	int ifindex;
	bool route;
} Used;

static struct {
	GHashTable *used;          /* key → Used */
	GHashTable *recorded;      /* "ipv4/conf/eth0/forwarding" → the value before us */
	char *state_path;          /* <run>/tether-state */
	int bridge_index;          /* its addresses and routes are ours */
	int route_dump;
	unsigned int rtnl_watch;
	void (*changed)(void);
} t;

static void schedule_recheck(void)
{
	if (t.changed)
		t.changed();
}

/* ---- the host's networks ------------------------------------------------------ */

static bool is_ours_table(uint32_t table)
{
	const NfcConfig *c = nfc_config_active();

	return table >= c->routing_table_base && table - c->routing_table_base < c->routing_range;
}

static NfcIpv4Prefix prefix_of(const struct in_addr *a, uint8_t len)
{
	uint32_t mask = len ? 0xffffffffu << (32 - len) : 0;
	NfcIpv4Prefix p = { .network = ntohl(a->s_addr) & mask, .prefixlen = len };

	return p;
}

static void used_put(char *key, NfcIpv4Prefix p, int ifindex, bool route)
{
	Used *u = g_new0(Used, 1);

	u->prefix = p;
	u->ifindex = ifindex;
	u->route = route;
	g_hash_table_replace(t.used, key, u);
	schedule_recheck();
}

static char *addr_key(const NfcRtnlAddr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return g_strdup_printf("a %d %s/%u", a->index, nfc_inaddr_to_string(AF_INET, &a->address, buf),
			       a->prefixlen);
}

static char *route_key(const NfcRtnlRoute *r)
{
	char buf[INET6_ADDRSTRLEN];

	return g_strdup_printf("r %u %d %s/%u %u %u", r->table, r->oif,
			       nfc_inaddr_to_string(AF_INET, &r->dst, buf), r->dst_len, r->priority,
			       r->type);
}

static void on_addr_added(const NfcRtnlAddr *a, void *user_data)
{
	if (a->family == AF_INET)
		used_put(addr_key(a), prefix_of(&a->address.v4, a->prefixlen), a->index, false);
}

static void on_addr_removed(const NfcRtnlAddr *a, void *user_data)
{
	g_autofree char *key = NULL;

	if (a->family != AF_INET)
		return;
	key = addr_key(a);
	if (g_hash_table_remove(t.used, key))
		schedule_recheck();
}

/* A default route overlaps everything and says nothing about what is in
 * use; a route of our own tables repeats one of main. */
static bool route_counts(const NfcRtnlRoute *r)
{
	return r->family == AF_INET && r->dst_len > 0 && !is_ours_table(r->table);
}

static void on_route_added(const NfcRtnlRoute *r, void *user_data)
{
	if (route_counts(r))
		used_put(route_key(r), prefix_of(&r->dst.v4, r->dst_len), r->oif, true);
}

static void on_route_removed(const NfcRtnlRoute *r, void *user_data)
{
	g_autofree char *key = NULL;

	if (!route_counts(r))
		return;
	key = route_key(r);
	if (g_hash_table_remove(t.used, key))
		schedule_recheck();
}

static gboolean is_route_entry(gpointer key, gpointer value, gpointer data)
{
	return ((Used *)value)->route;
}

static void on_route_dump_done(int error, void *user_data)
{
	t.route_dump = 0;
	if (error < 0)
		nfc_warn("tethering: cannot list the routes again: %s", g_strerror(-error));
	schedule_recheck();
}

static void each_dumped_route(const NfcRtnlRoute *r, void *user_data)
{
	on_route_added(r, user_data);
}

/* route events may have been lost: the routes are listed again */
static void on_resynced(void *user_data)
{
	int r;

	if (t.route_dump)
		nfc_rtnl_cancel(t.route_dump);
	g_hash_table_foreach_remove(t.used, is_route_entry, NULL);
	r = nfc_rtnl_route_dump(AF_INET, 0, each_dumped_route, on_route_dump_done, NULL);
	t.route_dump = MAX(r, 0);
}

/* What the subnet must not overlap: everything but the bridge's own. */
static GArray *used_now(void)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(Used));
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, t.used);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		Used *u = value;

		if (t.bridge_index && u->ifindex == t.bridge_index)
			continue;
		g_array_append_val(a, *u);
	}
	return a;
}

/* The first of used that overlaps p, described: "198.51.100.0/25 on eth0". */
static char *find_conflict(NfcIpv4Prefix p, GArray *used)
{
	g_autofree NfcIpv4Prefix *prefixes = g_new0(NfcIpv4Prefix, used->len + 1);
	const NfcIpv4Prefix *hit;
	const Used *u;
	const NfcRtnlLink *link;
	char buf[20];

	for (guint i = 0; i < used->len; i++)
		prefixes[i] = g_array_index(used, Used, i).prefix;
	hit = nfc_ippool_conflict(p, prefixes, used->len);
	if (!hit)
		return NULL;
	u = &g_array_index(used, Used, hit - prefixes);
	link = u->ifindex ? nfc_rtnl_link_get(u->ifindex) : NULL;
	nfc_ipv4_prefix_to_string(u->prefix, buf);
	if (link)
		return g_strdup_printf("%s%s on %s", u->route ? "the route to " : "", buf, link->name);
	return g_strdup_printf("%s%s", u->route ? "the route to " : "", buf);
}

static NfcIpv4Prefix *prefix_array(GArray *used)
{
	NfcIpv4Prefix *prefixes = g_new0(NfcIpv4Prefix, used->len + 1);

	for (guint i = 0; i < used->len; i++)
		prefixes[i] = g_array_index(used, Used, i).prefix;
	return prefixes;
}

static gboolean is_route_of(gpointer key, gpointer value, gpointer data)
{
	const Used *u = value;

	return u->route && u->ifindex == GPOINTER_TO_INT(data);
}

/* IPv4 flushes the routes of a link that goes down or away without a
 * word (no RTM_DELROUTE): they are forgotten here. */
static void forget_routes_of(int index)
{
	if (g_hash_table_foreach_remove(t.used, is_route_of, GINT_TO_POINTER(index)))
		schedule_recheck();
}

static void on_link_changed(const NfcRtnlLink *link, void *user_data)
{
	if (!(link->flags & IFF_UP))
		forget_routes_of(link->index);
}

static void on_link_removed(int index, const char *name, void *user_data)
{
	forget_routes_of(index);
}

void nfc_tether_host_set_bridge(int ifindex)
{
	t.bridge_index = ifindex;
}

char *nfc_tether_host_conflict(NfcIpv4Prefix p)
{
	g_autoptr(GArray) used = used_now();

	return find_conflict(p, used);
}

bool nfc_tether_host_pick(NfcIpv4Prefix after, NfcIpv4Prefix *picked)
{
	g_autoptr(GArray) used = used_now();
	g_autofree NfcIpv4Prefix *prefixes = prefix_array(used);

	return nfc_ippool_pick(prefixes, used->len, after, picked);
}

/* ---- forwarding: recorded before it is changed, restored after -------------- */

static void recorded_save(void)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	GHashTableIter it;
	gpointer key, value;

	if (g_hash_table_size(t.recorded) == 0) {
		unlink(t.state_path);
		return;
	}
	g_hash_table_iter_init(&it, t.recorded);
	while (g_hash_table_iter_next(&it, &key, &value))
		g_key_file_set_string(kf, "Sysctl", key, value);
	if (!g_key_file_save_to_file(kf, t.state_path, &error))
		nfc_error("tethering: cannot record the forwarding settings in %s: %s",
			  t.state_path, error->message);
}

/* rel under /proc/sys/net: set value, the old one recorded first (once) */
static int forwarding_set(const char *family, const char *ifname, const char *key)
{
	g_autofree char *rel = g_strdup_printf("%s/conf/%s/%s", family, ifname, key);
	g_autofree char *old = NULL;
	int r;

	if (!g_hash_table_contains(t.recorded, rel)) {
		r = nfc_sysctl_get(rel, &old);
		if (r < 0)
			return r;
		g_hash_table_insert(t.recorded, g_strdup(rel), g_steal_pointer(&old));
		recorded_save();
	}
	return nfc_sysctl_set_if(family, ifname, key, "1");
}

static void forwarding_restore(const char *rel)
{
	const char *old = g_hash_table_lookup(t.recorded, rel);
	int r;

	if (!old)
		return;
	r = nfc_sysctl_set(rel, old);
	/* the interface may be gone, and its setting with it */
	if (r < 0 && r != -ENOENT)
		nfc_warn("tethering: cannot restore %s to %s: %s", rel, old, g_strerror(-r));
	g_hash_table_remove(t.recorded, rel);
}

static const struct {
	const char *family, *key;
} forwarding_keys[] = {
	{ "ipv4", "forwarding" },
	/* IPv6 forwarding per interface without the global switch (and
	 * without turning the interface into a router that ignores RAs) */
	{ "ipv6", "force_forwarding" },
};

int nfc_tether_forwarding_on(const char *ifname)
{
	for (gsize i = 0; i < G_N_ELEMENTS(forwarding_keys); i++) {
		int r = forwarding_set(forwarding_keys[i].family, ifname, forwarding_keys[i].key);

		if (r < 0)
			return r;
	}
	return 0;
}

void nfc_tether_forwarding_off(const char *ifname)
{
	for (gsize i = 0; i < G_N_ELEMENTS(forwarding_keys); i++) {
		g_autofree char *rel = g_strdup_printf("%s/conf/%s/%s", forwarding_keys[i].family,
						       ifname, forwarding_keys[i].key);

		forwarding_restore(rel);
	}
	recorded_save();
}

static void restore_recorded_state(void)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) keys = NULL;

	if (!g_key_file_load_from_file(kf, t.state_path, G_KEY_FILE_NONE, NULL))
		return;
	keys = g_key_file_get_keys(kf, "Sysctl", NULL, NULL);
	for (char **k = keys; k && *k; k++) {
		g_autofree char *v = g_key_file_get_string(kf, "Sysctl", *k, NULL);
		int r;

		/* only our keys: the file is ours, but the path is written to */
		if (!v || strstr(*k, "..") ||
		    (!g_str_has_prefix(*k, "ipv4/conf/") && !g_str_has_prefix(*k, "ipv6/conf/")))
			continue;
		r = nfc_sysctl_set(*k, v);
		if (r < 0 && r != -ENOENT)
			nfc_warn("tethering: cannot restore %s to %s after a crash: %s", *k, v,
				 g_strerror(-r));
		else
			nfc_info("tethering: %s restored to %s (left by an earlier run)", *k, v);
	}
	unlink(t.state_path);
}

void nfc_tether_forwarding_all_off(void)
{
	g_autoptr(GList) keys = g_hash_table_get_keys(t.recorded);

	for (GList *l = keys; l; l = l->next) {
		g_autofree char *rel = g_strdup(l->data);

		forwarding_restore(rel);
	}
	recorded_save();
}

/* ---- init and cleanup --------------------------------------------------------- */

void nfc_tether_host_init(const char *run_dir, void (*changed)(void))
{
	static const NfcRtnlWatch rw = {
		.link_changed = on_link_changed,
		.link_removed = on_link_removed,
		.addr_added = on_addr_added,
		.addr_removed = on_addr_removed,
		.route_added = on_route_added,
		.route_removed = on_route_removed,
		.resynced = on_resynced,
	};

	t.state_path = g_build_filename(run_dir, STATE_FILE, NULL);
	t.used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	t.recorded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	t.changed = changed;
	restore_recorded_state();
	t.rtnl_watch = nfc_rtnl_watch_add(&rw, NULL);
}

void nfc_tether_host_cleanup(void)
{
	if (!t.used)
		return;
	if (t.route_dump)
		nfc_rtnl_cancel(t.route_dump);
	nfc_rtnl_watch_remove(t.rtnl_watch);
	g_clear_pointer(&t.used, g_hash_table_unref);
	g_clear_pointer(&t.recorded, g_hash_table_unref);
	g_clear_pointer(&t.state_path, g_free);
	memset(&t, 0, sizeof(t));
}
