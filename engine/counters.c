// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-session traffic: the firewall counts each session's packets and
 * bytes (both directions, by the session part of the mark); each read
 * credits what grew since the last one to the uplink the session uses
 * then, so per-uplink figures are as fine as the read period. */
#include "internal.h"

#include <errno.h>
#include <string.h>

typedef struct {
	char *service;            /* identifier, "" for none */
	NfcSessionTraffic c;
} UplinkTraffic;

typedef struct {
	NfcSessionTraffic last;   /* the kernel's totals at the last read */
	GArray *per_uplink;       /* UplinkTraffic */
} Traffic;

typedef struct {
	EngineTraffic *t;
	NfcEngineCountersFunc done;
	void *user_data;
} Read;

static void traffic_free(Traffic *t)
{
	for (guint i = 0; i < t->per_uplink->len; i++)
		g_free(g_array_index(t->per_uplink, UplinkTraffic, i).service);
	g_array_unref(t->per_uplink);
	g_free(t);
}

void engine_traffic_init(EngineTraffic *t)
{
	t->by_session = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)traffic_free);
	g_queue_init(&t->reads);
}

void engine_traffic_clear(EngineTraffic *t)
{
	/* a destroyed firewall drops its reads without calling back */
	g_queue_clear_full(&t->reads, g_free);
	g_clear_pointer(&t->by_session, g_hash_table_unref);
}

void engine_traffic_credit(EngineTraffic *t, uint32_t sid, const char *uplink,
			   const NfcSessionCounters *c)
{
	Traffic *tr = g_hash_table_lookup(t->by_session, GUINT_TO_POINTER(sid));
	UplinkTraffic *u = NULL;

	if (!tr) {
		tr = g_new0(Traffic, 1);
		tr->per_uplink = g_array_new(FALSE, TRUE, sizeof(UplinkTraffic));
		g_hash_table_insert(t->by_session, GUINT_TO_POINTER(sid), tr);
	}
	/* counters restart from zero after a repair of the table */
	if (c->tx_packets < tr->last.tx_packets || c->rx_packets < tr->last.rx_packets)
		memset(&tr->last, 0, sizeof(tr->last));
	for (guint i = 0; i < tr->per_uplink->len && !u; i++)
		if (g_str_equal(g_array_index(tr->per_uplink, UplinkTraffic, i).service, uplink))
			u = &g_array_index(tr->per_uplink, UplinkTraffic, i);
	if (!u) {
		UplinkTraffic n = { g_strdup(uplink), { 0 } };

		g_array_append_val(tr->per_uplink, n);
		u = &g_array_index(tr->per_uplink, UplinkTraffic, tr->per_uplink->len - 1);
	}
	u->c.tx_packets += c->tx_packets - tr->last.tx_packets;
	u->c.tx_bytes += c->tx_bytes - tr->last.tx_bytes;
	u->c.rx_packets += c->rx_packets - tr->last.rx_packets;
	u->c.rx_bytes += c->rx_bytes - tr->last.rx_bytes;
	tr->last.tx_packets = c->tx_packets;
	tr->last.tx_bytes = c->tx_bytes;
	tr->last.rx_packets = c->rx_packets;
	tr->last.rx_bytes = c->rx_bytes;
}

void engine_traffic_forget(EngineTraffic *t, uint32_t sid)
{
	g_hash_table_remove(t->by_session, GUINT_TO_POINTER(sid));
}

void engine_traffic_get(EngineTraffic *t, uint32_t sid, NfcSessionTraffic *total,
			NfcEngineUplinkTrafficFunc per_uplink, void *user_data)
{
	Traffic *tr = t->by_session ? g_hash_table_lookup(t->by_session, GUINT_TO_POINTER(sid))
				    : NULL;

	memset(total, 0, sizeof(*total));
	if (!tr)
		return;
	*total = tr->last;
	for (guint i = 0; per_uplink && i < tr->per_uplink->len; i++) {
		UplinkTraffic *u = &g_array_index(tr->per_uplink, UplinkTraffic, i);

		per_uplink(u->service, &u->c, user_data);
	}
}

static void index_session(NfcSession *s, void *user_data)
{
	g_hash_table_insert(user_data, GUINT_TO_POINTER(nfc_session_get_id(s)), s);
}

static void on_counters(int error, const NfcSessionCounters *c, size_t n, void *user_data)
{
	Read *rd = user_data;
	g_autoptr(GHashTable) by_id = g_hash_table_new(NULL, NULL);

	g_queue_remove(&rd->t->reads, rd);
	if (error == 0)
		nfc_session_foreach(index_session, by_id);
	for (size_t i = 0; error == 0 && i < n; i++) {
		NfcSession *s = g_hash_table_lookup(by_id, GUINT_TO_POINTER(c[i].session));
		NfcService *svc = s ? nfc_session_get_service(s) : NULL;

		engine_traffic_credit(rd->t, c[i].session, svc ? nfc_service_get_identifier(svc) : "",
				      &c[i]);
	}
	if (rd->done)
		rd->done(error, rd->user_data);
	g_free(rd);
}

int engine_traffic_read(EngineTraffic *t, NfcFirewall *fw, NfcEngineCountersFunc done,
			void *user_data)
{
	Read *rd = g_new0(Read, 1);
	int r;

	rd->t = t;
	rd->done = done;
	rd->user_data = user_data;
	g_queue_push_tail(&t->reads, rd);
	r = nfc_firewall_counters_read(fw, on_counters, rd);
	if (r < 0) {
		g_queue_remove(&t->reads, rd);
		g_free(rd);
	}
	return r;
}
