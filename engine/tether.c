// SPDX-License-Identifier: GPL-2.0-or-later
/* Tethering's side of the engine: the firewall's uplink set follows the
 * connected services, the tethering core's requests wait for the
 * firewall, and an uplink that goes away (disconnected, removed, or an
 * address of it gone) takes the conntrack entries masqueraded to its
 * addresses with it, so that their flows are NATed anew to the uplink
 * they leave by now instead of losing a packet to the kernel's own
 * clean-up (nf_nat_oif_changed) or waiting for it. When the preferred
 * uplink changes (a better one is back), the kernel routes tethered flows
 * to it at once: those of the tether subnets NATed to the other uplinks'
 * addresses are dropped as well, and only those (a session steered to
 * another uplink on purpose is not from a tether subnet). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "conntrack.h"
#include "ipconfig.h"
#include "log.h"

typedef struct {
	bool on;
	NfcFirewallTether tether;
	EngineTetherDoneFunc done;
	void *user_data;
} Waiting;

typedef struct {
	EngineTether *t;
	char *ifname;
	char address[INET6_ADDRSTRLEN];
	bool failback;            /* tethered flows only, another uplink preferred */
} Flush;

static void uplink_free(EngineTetherUplink *up)
{
	g_free(up->ifname);
	g_array_unref(up->addrs);
	g_free(up);
}

static void flush_free(Flush *fl)
{
	g_free(fl->ifname);
	g_free(fl);
}

void engine_tether_init(EngineTether *t, NfcFirewall *fw)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->fw = fw;
	t->uplinks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)uplink_free);
	t->flushes = g_ptr_array_new_with_free_func((GDestroyNotify)flush_free);
	g_queue_init(&t->waiting);
	r = nfc_conntrack_new(&t->ct);
	if (r < 0) {
		t->ct = NULL;
		nfc_warn("engine: no ctnetlink (%s): flows NATed to a lost uplink are left to "
			 "the kernel", g_strerror(-r));
	}
}

void engine_tether_clear(EngineTether *t)
{
	if (!t->fw)
		return;
	/* pending flushes and requests go without their callbacks, as the
	 * firewall's do at its end */
	g_clear_pointer(&t->ct, nfc_conntrack_free);
	g_clear_pointer(&t->flushes, g_ptr_array_unref);
	g_clear_pointer(&t->uplinks, g_hash_table_unref);
	g_queue_clear_full(&t->waiting, g_free);
	g_clear_pointer(&t->sent, g_strfreev);
	g_clear_pointer(&t->preferred, g_free);
	t->tethering = false;
	t->fw = NULL;
	t->ready = false;
}

static void on_request_failed(Waiting *w, int error)
{
	if (w->done)
		w->done(error, w->user_data);
}

void engine_tether_ready(EngineTether *t, int error)
{
	Waiting *w;

	if (!error) {
		t->ready = true;
		engine_tether_refresh(t);
	}
	while ((w = g_queue_pop_head(&t->waiting))) {
		int r = error;

		if (!r)
			r = nfc_firewall_tether_set(t->fw, w->on ? &w->tether : NULL, w->done,
						    w->user_data);
		if (r < 0)
			on_request_failed(w, r);
		g_free(w);
	}
}

int engine_tether_set(EngineTether *t, const NfcFirewallTether *tether, EngineTetherDoneFunc done,
		      void *user_data)
{
	Waiting *w;

	if (!t->fw)
		return -ENOTCONN;
	/* the subnets a failback flush looks at */
	t->tethering = tether != NULL;
	if (tether)
		t->tether = *tether;
	if (t->ready)
		return nfc_firewall_tether_set(t->fw, tether, done, user_data);
	w = g_new0(Waiting, 1);
	w->on = tether != NULL;
	if (tether)
		w->tether = *tether;
	w->done = done;
	w->user_data = user_data;
	g_queue_push_tail(&t->waiting, w);
	return 0;
}

/* ---- the uplinks ---------------------------------------------------------------- */

bool engine_tether_addr_equal(const EngineTetherAddr *a, const EngineTetherAddr *b)
{
	return a->family == b->family &&
	       memcmp(a->address, b->address, a->family == AF_INET ? 4 : 16) == 0;
}

static bool has_addr(const GArray *addrs, const EngineTetherAddr *a)
{
	for (guint i = 0; addrs && i < addrs->len; i++)
		if (engine_tether_addr_equal(&g_array_index(addrs, EngineTetherAddr, i), a))
			return true;
	return false;
}

void engine_tether_lost(GHashTable *before, GHashTable *after, GArray *lost, GPtrArray *lost_ifnames)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, before);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		EngineTetherUplink *old = value, *now = g_hash_table_lookup(after, key);

		for (guint i = 0; i < old->addrs->len; i++) {
			EngineTetherAddr *a = &g_array_index(old->addrs, EngineTetherAddr, i);

			if (now && has_addr(now->addrs, a))
				continue;
			g_array_append_val(lost, *a);
			g_ptr_array_add(lost_ifnames, old->ifname);
		}
	}
}

void engine_tether_failback(const char *before, const char *after, GHashTable *now,
			    GArray *addrs, GPtrArray *ifnames)
{
	EngineTetherUplink *pref = after ? g_hash_table_lookup(now, after) : NULL;
	GHashTableIter it;
	gpointer key, value;

	if (!pref || !g_strcmp0(before, after))
		return;
	g_hash_table_iter_init(&it, now);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		EngineTetherUplink *up = value;

		if (g_str_equal(key, after))
			continue;
		for (guint i = 0; i < up->addrs->len; i++) {
			EngineTetherAddr *a = &g_array_index(up->addrs, EngineTetherAddr, i);

			if (has_addr(pref->addrs, a))
				continue;
			g_array_append_val(addrs, *a);
			g_ptr_array_add(ifnames, up->ifname);
		}
	}
}

static void on_flushed(int error, unsigned int n_deleted, void *user_data)
{
	Flush *fl = user_data;

	if (fl->failback && error < 0)
		nfc_warn("engine: another uplink preferred; dropping the tethered flows NATed to "
			 "%s (%s) failed: %s", fl->address, fl->ifname, g_strerror(-error));
	else if (fl->failback)
		nfc_info("engine: another uplink preferred: %u tethered conntrack entr%s NATed to "
			 "%s (%s) dropped", n_deleted, n_deleted == 1 ? "y" : "ies", fl->address,
			 fl->ifname);
	else if (error < 0)
		nfc_warn("engine: uplink %s lost %s; dropping the flows NATed to it failed: %s",
			 fl->ifname, fl->address, g_strerror(-error));
	else
		nfc_info("engine: uplink %s lost %s: %u conntrack entr%s NATed to it dropped",
			 fl->ifname, fl->address, n_deleted, n_deleted == 1 ? "y" : "ies");
	g_ptr_array_remove(fl->t->flushes, fl);
}

static void flush(EngineTether *t, const char *ifname, const EngineTetherAddr *a)
{
	Flush *fl;
	int r;

	if (!t->ct)
		return;
	fl = g_new0(Flush, 1);
	fl->t = t;
	fl->ifname = g_strdup(ifname);
	inet_ntop(a->family, a->address, fl->address, sizeof(fl->address));
	g_ptr_array_add(t->flushes, fl);
	r = nfc_conntrack_flush_nat_to(t->ct, a->family, a->address, on_flushed, fl);
	if (r < 0) {
		nfc_warn("engine: uplink %s lost %s; cannot drop the flows NATed to it: %s",
			 ifname, fl->address, g_strerror(-r));
		g_ptr_array_remove(t->flushes, fl);
	}
}

/* The tether subnet of a's family, if tethering has one. */
static bool tether_subnet(EngineTether *t, int family, uint8_t prefix[16], unsigned int *len)
{
	memset(prefix, 0, 16);
	if (!t->tethering)
		return false;
	if (family == AF_INET) {
		memcpy(prefix, &t->tether.subnet4, 4);
		*len = t->tether.prefixlen4;
	} else {
		memcpy(prefix, t->tether.subnet6, 16);
		*len = t->tether.prefixlen6;
	}
	return *len > 0;
}

static void flush_failback(EngineTether *t, const char *ifname, const EngineTetherAddr *a)
{
	uint8_t prefix[16];
	unsigned int len;
	Flush *fl;
	int r;

	if (!t->ct || !tether_subnet(t, a->family, prefix, &len))
		return;
	fl = g_new0(Flush, 1);
	fl->t = t;
	fl->ifname = g_strdup(ifname);
	fl->failback = true;
	inet_ntop(a->family, a->address, fl->address, sizeof(fl->address));
	g_ptr_array_add(t->flushes, fl);
	r = nfc_conntrack_flush_nat_to_from(t->ct, a->family, a->address, prefix, len, on_flushed,
					    fl);
	if (r < 0) {
		nfc_warn("engine: another uplink preferred; cannot drop the tethered flows NATed "
			 "to %s: %s", fl->address, g_strerror(-r));
		g_ptr_array_remove(t->flushes, fl);
	}
}

static EngineTetherUplink *uplink_of(NfcService *svc)
{
	NfcIpconfig *ipc = nfc_service_get_ipconfig(svc);
	const NfcIpv4State *v4 = ipc ? nfc_ipconfig_get_ipv4(ipc) : NULL;
	const NfcIpv6State *v6 = ipc ? nfc_ipconfig_get_ipv6(ipc) : NULL;
	EngineTetherUplink *up = g_new0(EngineTetherUplink, 1);

	up->ifname = g_strdup(nfc_service_get_interface(svc));
	up->addrs = g_array_new(FALSE, TRUE, sizeof(EngineTetherAddr));
	if (v4 && v4->up) {
		EngineTetherAddr a = { .family = AF_INET };

		memcpy(a.address, &v4->address, 4);
		g_array_append_val(up->addrs, a);
	}
	if (v6 && v6->up) {
		EngineTetherAddr a = { .family = AF_INET6 };

		memcpy(a.address, &v6->address, 16);
		g_array_append_val(up->addrs, a);
	}
	return up;
}

static void on_uplinks_set(int error, void *user_data)
{
	if (error < 0)
		nfc_error("engine: cannot set the firewall's uplinks: %s", g_strerror(-error));
}

void engine_tether_refresh(EngineTether *t)
{
	g_autoptr(GHashTable) now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							  (GDestroyNotify)uplink_free);
	g_autoptr(GArray) lost = g_array_new(FALSE, TRUE, sizeof(EngineTetherAddr));
	g_autoptr(GPtrArray) lost_ifnames = g_ptr_array_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GArray) others = g_array_new(FALSE, TRUE, sizeof(EngineTetherAddr));
	g_autoptr(GPtrArray) other_ifnames = g_ptr_array_new();
	const char *preferred = NULL;
	GHashTableIter it;
	gpointer value;

	if (!t->fw || !t->ready)
		return;
	/* in service order: the first is the main table's best default
	 * route, the one unmarked (tethered) traffic leaves by */
	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *svc = l->data;

		if (!nfc_service_is_connected(svc) || !nfc_service_get_interface(svc))
			continue;
		if (!preferred)
			preferred = nfc_service_get_identifier(svc);
		g_hash_table_replace(now, g_strdup(nfc_service_get_identifier(svc)), uplink_of(svc));
	}
	engine_tether_lost(t->uplinks, now, lost, lost_ifnames);
	for (guint i = 0; i < lost->len; i++)
		flush(t, lost_ifnames->pdata[i], &g_array_index(lost, EngineTetherAddr, i));
	engine_tether_failback(t->preferred, preferred, now, others, other_ifnames);
	for (guint i = 0; i < others->len; i++)
		flush_failback(t, other_ifnames->pdata[i], &g_array_index(others, EngineTetherAddr, i));
	g_free(t->preferred);
	t->preferred = g_strdup(preferred);

	/* the set: each interface once, in a stable order */
	g_hash_table_iter_init(&it, now);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		EngineTetherUplink *up = value;

		if (!g_ptr_array_find_with_equal_func(names, up->ifname, g_str_equal, NULL))
			g_ptr_array_add(names, up->ifname);
	}
	g_ptr_array_sort(names, (GCompareFunc)engine_tether_strcmp);
	g_ptr_array_add(names, NULL);
	if (!t->sent || !g_strv_equal((const char *const *)t->sent,
				      (const char *const *)names->pdata)) {
		int r = nfc_firewall_uplinks_set(t->fw, (const char *const *)names->pdata,
						 on_uplinks_set, NULL);

		if (r < 0)
			nfc_error("engine: cannot set the firewall's uplinks: %s", g_strerror(-r));
		g_strfreev(t->sent);
		t->sent = g_strdupv((char **)names->pdata);
	}
	g_hash_table_unref(t->uplinks);
	t->uplinks = g_steal_pointer(&now);
}

int engine_tether_strcmp(const char **a, const char **b)
{
	return strcmp(*a, *b);
}
