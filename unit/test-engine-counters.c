// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: crediting per-session traffic to uplinks, across uplink
 * changes and a reset of the kernel's counters (a repaired table). */
#include "internal.h"

typedef struct {
	EngineTraffic t;
	GHashTable *per;          /* uplink → NfcSessionTraffic* (last get) */
	NfcSessionTraffic total;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	engine_traffic_init(&f->t);
	f->per = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void teardown(Fixture *f, gconstpointer data)
{
	engine_traffic_clear(&f->t);
	g_hash_table_unref(f->per);
}

static void collect(const char *service, const NfcSessionTraffic *traffic, void *user_data)
{
	Fixture *f = user_data;

	g_assert_false(g_hash_table_contains(f->per, service));
	g_hash_table_insert(f->per, g_strdup(service), g_memdup2(traffic, sizeof(*traffic)));
}

static void get(Fixture *f, uint32_t sid)
{
	g_hash_table_remove_all(f->per);
	engine_traffic_get(&f->t, sid, &f->total, collect, f);
}

static void credit(Fixture *f, uint32_t sid, const char *uplink, uint64_t txp, uint64_t txb,
		   uint64_t rxp, uint64_t rxb)
{
	NfcSessionCounters c = { sid, txp, txb, rxp, rxb };

	engine_traffic_credit(&f->t, sid, uplink, &c);
}

static void assert_traffic(const NfcSessionTraffic *t, uint64_t txp, uint64_t txb, uint64_t rxp,
			   uint64_t rxb)
{
	g_assert_nonnull(t);
	g_assert_cmpuint(t->tx_packets, ==, txp);
	g_assert_cmpuint(t->tx_bytes, ==, txb);
	g_assert_cmpuint(t->rx_packets, ==, rxp);
	g_assert_cmpuint(t->rx_bytes, ==, rxb);
}

static void test_credit(Fixture *f, gconstpointer data)
{
	credit(f, 1, "eth_a", 10, 1000, 5, 500);
	get(f, 1);
	assert_traffic(&f->total, 10, 1000, 5, 500);
	g_assert_cmpuint(g_hash_table_size(f->per), ==, 1);
	assert_traffic(g_hash_table_lookup(f->per, "eth_a"), 10, 1000, 5, 500);

	/* the session moved: what grew since goes to the new uplink */
	credit(f, 1, "eth_b", 15, 1600, 9, 900);
	get(f, 1);
	assert_traffic(&f->total, 15, 1600, 9, 900);
	assert_traffic(g_hash_table_lookup(f->per, "eth_a"), 10, 1000, 5, 500);
	assert_traffic(g_hash_table_lookup(f->per, "eth_b"), 5, 600, 4, 400);

	/* and back: the old uplink's figures grow again */
	credit(f, 1, "eth_a", 16, 1700, 9, 900);
	get(f, 1);
	assert_traffic(g_hash_table_lookup(f->per, "eth_a"), 11, 1100, 5, 500);
	g_assert_cmpuint(g_hash_table_size(f->per), ==, 2);

	/* no uplink ("") is an uplink of its own for the figures */
	credit(f, 1, "", 17, 1800, 9, 900);
	get(f, 1);
	assert_traffic(g_hash_table_lookup(f->per, ""), 1, 100, 0, 0);
}

static void test_repair(Fixture *f, gconstpointer data)
{
	credit(f, 3, "eth_a", 10, 1000, 5, 500);
	/* the table was repaired: the kernel counts from zero again; all of
	 * the new figure is new traffic, none of it is lost or negative */
	credit(f, 3, "eth_a", 3, 300, 1, 100);
	get(f, 3);
	assert_traffic(&f->total, 3, 300, 1, 100);
	assert_traffic(g_hash_table_lookup(f->per, "eth_a"), 13, 1300, 6, 600);
	/* a drop in either direction's packets counts as a restart */
	credit(f, 3, "eth_a", 4, 400, 0, 0);
	get(f, 3);
	assert_traffic(g_hash_table_lookup(f->per, "eth_a"), 17, 1700, 6, 600);
	/* unchanged figures credit nothing */
	credit(f, 3, "eth_a", 4, 400, 0, 0);
	get(f, 3);
	assert_traffic(g_hash_table_lookup(f->per, "eth_a"), 17, 1700, 6, 600);
}

static void test_sessions_apart(Fixture *f, gconstpointer data)
{
	credit(f, 1, "eth_a", 10, 1000, 5, 500);
	credit(f, 2, "eth_a", 1, 100, 1, 100);
	get(f, 1);
	assert_traffic(&f->total, 10, 1000, 5, 500);
	get(f, 2);
	assert_traffic(&f->total, 1, 100, 1, 100);

	/* a destroyed session's figures go; its id starts afresh when reused */
	engine_traffic_forget(&f->t, 1);
	get(f, 1);
	assert_traffic(&f->total, 0, 0, 0, 0);
	g_assert_cmpuint(g_hash_table_size(f->per), ==, 0);
	credit(f, 1, "eth_b", 2, 200, 0, 0);
	get(f, 1);
	assert_traffic(&f->total, 2, 200, 0, 0);
	g_assert_null(g_hash_table_lookup(f->per, "eth_a"));
	/* the other session was not touched */
	get(f, 2);
	assert_traffic(&f->total, 1, 100, 1, 100);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/engine/counters/credit", Fixture, NULL, setup, test_credit, teardown);
	g_test_add("/engine/counters/repair", Fixture, NULL, setup, test_repair, teardown);
	g_test_add("/engine/counters/sessions-apart", Fixture, NULL, setup, test_sessions_apart,
		   teardown);
	return g_test_run();
}
