// SPDX-License-Identifier: GPL-2.0-or-later
/* Which addresses an uplink change loses (engine/tether.c,
 * engine_tether_lost): those are the ones whose masqueraded flows the
 * engine flushes from conntrack; and which addresses a change of the
 * preferred uplink flushes the tethered flows of (engine_tether_failback). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "internal.h"

static void uplink_free(EngineTetherUplink *up)
{
	g_free(up->ifname);
	g_array_unref(up->addrs);
	g_free(up);
}

static GHashTable *table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)uplink_free);
}

/* service id, ifname, then addresses ("a.b.c.d" or "x::y"), NULL-terminated */
static void add(GHashTable *t, const char *service, const char *ifname, ...)
{
	EngineTetherUplink *up = g_new0(EngineTetherUplink, 1);
	const char *s;
	va_list ap;

	up->ifname = g_strdup(ifname);
	up->addrs = g_array_new(FALSE, TRUE, sizeof(EngineTetherAddr));
	va_start(ap, ifname);
	while ((s = va_arg(ap, const char *))) {
		EngineTetherAddr a = { .family = strchr(s, ':') ? AF_INET6 : AF_INET };

		g_assert_cmpint(inet_pton(a.family, s, a.address), ==, 1);
		g_array_append_val(up->addrs, a);
	}
	va_end(ap);
	g_hash_table_insert(t, g_strdup(service), up);
}

/* "ifname address" per address, sorted, joined by ", " */
static char *addrs_text(GArray *addrs, GPtrArray *ifnames)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

	g_assert_cmpuint(addrs->len, ==, ifnames->len);
	for (guint i = 0; i < addrs->len; i++) {
		EngineTetherAddr *a = &g_array_index(addrs, EngineTetherAddr, i);
		char buf[INET6_ADDRSTRLEN];

		inet_ntop(a->family, a->address, buf, sizeof(buf));
		g_ptr_array_add(out, g_strdup_printf("%s %s", (char *)ifnames->pdata[i], buf));
	}
	g_ptr_array_sort(out, (GCompareFunc)engine_tether_strcmp);
	g_ptr_array_add(out, NULL);
	return g_strjoinv(", ", (char **)out->pdata);
}

/* "ifname address" per lost one, sorted, joined by ", " */
static char *lost_of(GHashTable *before, GHashTable *after)
{
	g_autoptr(GArray) lost = g_array_new(FALSE, TRUE, sizeof(EngineTetherAddr));
	g_autoptr(GPtrArray) ifnames = g_ptr_array_new();

	engine_tether_lost(before, after, lost, ifnames);
	return addrs_text(lost, ifnames);
}

static void test_lost(void)
{
	g_autoptr(GHashTable) before = table_new();
	g_autoptr(GHashTable) after = table_new();
	g_autofree char *none = NULL, *gone = NULL, *changed = NULL;

	add(before, "eth_a", "eth0", "198.51.100.5", "2001:db8::5", NULL);
	add(before, "eth_b", "eth1", "203.0.113.7", NULL);
	add(after, "eth_a", "eth0", "198.51.100.5", "2001:db8::5", NULL);
	add(after, "eth_b", "eth1", "203.0.113.7", NULL);
	none = lost_of(before, after);
	g_assert_cmpstr(none, ==, "");

	/* eth_a disconnected: both of its addresses */
	g_hash_table_remove(after, "eth_a");
	gone = lost_of(before, after);
	g_assert_cmpstr(gone, ==, "eth0 198.51.100.5, eth0 2001:db8::5");

	/* eth_a back with a new IPv4 address (a new lease), its IPv6 kept;
	 * eth_b lost its address but stays connected */
	add(after, "eth_a", "eth0", "198.51.100.9", "2001:db8::5", NULL);
	add(after, "eth_b", "eth1", NULL);
	changed = lost_of(before, after);
	g_assert_cmpstr(changed, ==, "eth0 198.51.100.5, eth1 203.0.113.7");
}

/* "ifname address" per address to flush, sorted, joined by ", " */
static char *failback_of(const char *before, const char *after, GHashTable *now)
{
	g_autoptr(GArray) addrs = g_array_new(FALSE, TRUE, sizeof(EngineTetherAddr));
	g_autoptr(GPtrArray) ifnames = g_ptr_array_new();

	engine_tether_failback(before, after, now, addrs, ifnames);
	return addrs_text(addrs, ifnames);
}

static void test_failback(void)
{
	g_autoptr(GHashTable) now = table_new();
	g_autofree char *same = NULL, *none = NULL, *back = NULL, *moved = NULL, *shared = NULL;

	add(now, "eth_a", "eth0", "198.51.100.5", "2001:db8::5", NULL);
	add(now, "eth_b", "eth1", "203.0.113.7", "2001:db8:1::7", NULL);
	add(now, "eth_c", "eth2", "192.0.2.9", NULL);

	/* the preferred uplink stayed, or there is none: nothing */
	same = failback_of("eth_a", "eth_a", now);
	g_assert_cmpstr(same, ==, "");
	none = failback_of("eth_a", NULL, now);
	g_assert_cmpstr(none, ==, "");

	/* eth_a back and preferred again (it was eth_b): every other
	 * uplink's addresses, eth_a's own not */
	back = failback_of("eth_b", "eth_a", now);
	g_assert_cmpstr(back, ==, "eth1 2001:db8:1::7, eth1 203.0.113.7, eth2 192.0.2.9");
	/* from none to one: the same rule */
	moved = failback_of(NULL, "eth_c", now);
	g_assert_cmpstr(moved, ==, "eth0 198.51.100.5, eth0 2001:db8::5, eth1 2001:db8:1::7, "
				   "eth1 203.0.113.7");

	/* an address the preferred uplink has too is its own */
	add(now, "eth_d", "eth3", "2001:db8::5", NULL);
	shared = failback_of("eth_b", "eth_a", now);
	g_assert_cmpstr(shared, ==, "eth1 2001:db8:1::7, eth1 203.0.113.7, eth2 192.0.2.9");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/engine-tether/lost", test_lost);
	g_test_add_func("/engine-tether/failback", test_failback);
	return g_test_run();
}
