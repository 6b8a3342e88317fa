// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: src/rtnl against the real kernel. The test's thread enters a
 * lab namespace before nfc_rtnl_init(), so both sockets live there; every
 * result is checked against "ip -j" in the same namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab.h"
/* <linux/if.h> has it, but clashes with <net/if.h> */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#include "rtnl.h"

#define TABLE 1234
/* "ip -j" output as one line per object: sorted key=value pairs */
#define NORM "| python3 -c 'import json,sys; [print(\" \".join(\"{}={}\".format(k, v) for k, v in " \
	     "sorted(o.items()) if v not in ([], None))) for o in json.load(sys.stdin)]'"
#define LINKS "ip -j link | python3 -c 'import json,sys; [print(l[\"ifindex\"], " \
	      "l[\"ifname\"]) for l in sorted(json.load(sys.stdin), key=lambda l: l[\"ifindex\"])]'"
#define ADDRS "ip -j addr | python3 -c 'import json,sys; [print(x) for x in sorted(\"{} {}/{}\".format" \
	      "(l[\"ifindex\"], a[\"local\"], a[\"prefixlen\"]) for l in json.load(sys.stdin) " \
	      "for a in l.get(\"addr_info\", []))]'"

typedef struct {
	NfcLab *lab;
	const char *ns, *peer;
	int root_fd;
	int up0;
	unsigned int watch;
	GPtrArray *events;      /* what the watcher heard, as text */
	GHashTable *model_links; /* index → name, from the events */
	GHashTable *model_addrs; /* "index addr/len" */
} Fixture;

typedef struct {
	int calls;
	int error;
} Result;

static char *addr_text(const NfcRtnlAddr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return g_strdup_printf("%d %s/%u", a->index, nfc_inaddr_to_string(a->family, &a->address, buf),
			       a->prefixlen);
}

static char *route_text(const NfcRtnlRoute *r)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];

	return g_strdup_printf("table=%u %s/%u gw=%s src=%s oif=%d metric=%u type=%u linkdown=%d",
			       r->table, nfc_inaddr_to_string(r->family, &r->dst, dst), r->dst_len,
			       nfc_inaddr_is_zero(r->family, &r->gateway) ? "-" :
			       nfc_inaddr_to_string(r->family, &r->gateway, gw),
			       nfc_inaddr_is_zero(r->family, &r->prefsrc) ? "-" :
			       nfc_inaddr_to_string(r->family, &r->prefsrc, src),
			       r->oif, r->priority, r->type, !!(r->flags & RTNH_F_LINKDOWN));
}

static void on_link(const NfcRtnlLink *link, void *data)
{
	Fixture *f = data;

	g_hash_table_replace(f->model_links, GINT_TO_POINTER(link->index), g_strdup(link->name));
	g_ptr_array_add(f->events, g_strdup_printf("link %d %s up=%d carrier=%d mtu=%u", link->index,
						   link->name, !!(link->flags & IFF_UP),
						   !!(link->flags & IFF_LOWER_UP), link->mtu));
	g_ptr_array_add(f->events, g_strdup_printf("master %s %d", link->name, link->master));
}

static void on_link_removed(int index, const char *name, void *data)
{
	Fixture *f = data;

	g_assert_true(g_hash_table_remove(f->model_links, GINT_TO_POINTER(index)));
	g_ptr_array_add(f->events, g_strdup_printf("link-removed %d %s", index, name));
}

static void on_addr_added(const NfcRtnlAddr *addr, void *data)
{
	Fixture *f = data;
	char *text = addr_text(addr);

	g_ptr_array_add(f->events, g_strdup_printf("addr+ %s", text));
	g_hash_table_add(f->model_addrs, text);
}

static void on_addr_removed(const NfcRtnlAddr *addr, void *data)
{
	Fixture *f = data;
	g_autofree char *text = addr_text(addr);

	g_ptr_array_add(f->events, g_strdup_printf("addr- %s", text));
	g_hash_table_remove(f->model_addrs, text);
}

static void on_route_added(const NfcRtnlRoute *route, void *data)
{
	Fixture *f = data;
	g_autofree char *text = route_text(route);

	g_ptr_array_add(f->events, g_strdup_printf("route+ %s", text));
}

static void on_route_removed(const NfcRtnlRoute *route, void *data)
{
	Fixture *f = data;
	g_autofree char *text = route_text(route);

	g_ptr_array_add(f->events, g_strdup_printf("route- %s", text));
}

static char *rule_text(const NfcRtnlRule *rule)
{
	char src[INET6_ADDRSTRLEN];

	return g_strdup_printf("%d %u: %s/%u mark=0x%x/0x%x table=%u action=%u proto=%u",
			       rule->family, rule->priority,
			       nfc_inaddr_to_string(rule->family, &rule->src, src), rule->src_len,
			       rule->fwmark, rule->fwmask, rule->table, rule->action, rule->protocol);
}

static void on_rule_added(const NfcRtnlRule *rule, void *data)
{
	Fixture *f = data;
	g_autofree char *text = rule_text(rule);

	g_ptr_array_add(f->events, g_strdup_printf("rule+ %s", text));
}

static void on_rule_removed(const NfcRtnlRule *rule, void *data)
{
	Fixture *f = data;
	g_autofree char *text = rule_text(rule);

	g_ptr_array_add(f->events, g_strdup_printf("rule- %s", text));
}

static char *neigh_text(const NfcRtnlNeigh *n)
{
	char buf[INET6_ADDRSTRLEN];

	return g_strdup_printf("%d %s", n->index, nfc_inaddr_to_string(n->family, &n->address, buf));
}

/* Only inet neighbours, of links we know: never a bridge's fdb entry. */
static void check_neigh(Fixture *f, const NfcRtnlNeigh *n)
{
	g_assert_true(n->family == AF_INET || n->family == AF_INET6);
	g_assert_true(g_hash_table_contains(f->model_links, GINT_TO_POINTER(n->index)));
}

static void on_neigh_changed(const NfcRtnlNeigh *n, void *data)
{
	Fixture *f = data;
	g_autofree char *text = neigh_text(n);

	check_neigh(f, n);
	/* told as changed: there, with its link-layer address */
	g_assert_true(n->has_lladdr);
	g_ptr_array_add(f->events, g_strdup_printf("neigh+ %s %02x:%02x:%02x:%02x:%02x:%02x", text,
						   n->lladdr[0], n->lladdr[1], n->lladdr[2],
						   n->lladdr[3], n->lladdr[4], n->lladdr[5]));
}

static void on_neigh_removed(const NfcRtnlNeigh *n, void *data)
{
	Fixture *f = data;
	g_autofree char *text = neigh_text(n);

	check_neigh(f, n);
	g_ptr_array_add(f->events, g_strdup_printf("neigh- %s", text));
}

static void on_resynced(void *data)
{
	Fixture *f = data;

	g_ptr_array_add(f->events, g_strdup("resynced"));
}

static const NfcRtnlWatch watch_cb = {
	.rule_added = on_rule_added,
	.rule_removed = on_rule_removed,
	.resynced = on_resynced,
	.link_changed = on_link,
	.link_removed = on_link_removed,
	.addr_added = on_addr_added,
	.addr_removed = on_addr_removed,
	.route_added = on_route_added,
	.route_removed = on_route_removed,
	.neigh_changed = on_neigh_changed,
	.neigh_removed = on_neigh_removed,
};

static gboolean is_ready(gpointer data)
{
	return nfc_rtnl_is_ready();
}

static void enter_netns(const char *name)
{
	g_autofree char *path = g_strdup_printf("/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
	close(fd);
}

static void setup(Fixture *f, gconstpointer data)
{
	f->lab = nfc_lab_new();
	f->ns = nfc_lab_add_netns(f->lab, "host");
	f->peer = nfc_lab_add_netns(f->lab, "peer");
	nfc_lab_add_veth(f->lab, f->ns, "up0", f->peer, "peer0");
	f->events = g_ptr_array_new_with_free_func(g_free);
	f->model_links = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	f->model_addrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	/* never in the root namespace: the sockets are made in this one */
	f->root_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->root_fd, >=, 0);
	enter_netns(f->ns);
	g_assert_cmpint(nfc_rtnl_init(), ==, 0);
	g_assert_true(nfc_lab_wait_for(is_ready, NULL, 5000));
	g_assert_nonnull(nfc_rtnl_link_get_by_name("up0"));
	f->up0 = nfc_rtnl_link_get_by_name("up0")->index;
	f->watch = nfc_rtnl_watch_add(&watch_cb, f);
	g_assert_cmpuint(f->watch, >, 0);
}

static void teardown(Fixture *f, gconstpointer data)
{
	nfc_rtnl_watch_remove(f->watch);
	nfc_rtnl_cleanup();
	g_assert_cmpint(setns(f->root_fd, CLONE_NEWNET), ==, 0);
	close(f->root_fd);
	g_ptr_array_unref(f->events);
	g_hash_table_unref(f->model_links);
	g_hash_table_unref(f->model_addrs);
	nfc_lab_free(f->lab);
}

static void on_done(int error, void *data)
{
	Result *r = data;

	r->calls++;
	r->error = error;
}

static gboolean result_done(gpointer data)
{
	return ((Result *)data)->calls > 0;
}

/* The request was sent (it has an id); wait for its completion, which
 * must come once. */
static int finish(int sent, Result *r)
{
	g_assert_cmpint(sent, >, 0);
	g_assert_true(nfc_lab_wait_for(result_done, r, 5000));
	/* let anything else in the queue through, then count again */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(r->calls, ==, 1);
	return r->error;
}

typedef struct {
	Fixture *f;
	const char *want;
} EventWait;

static gboolean has_event(gpointer data)
{
	EventWait *w = data;

	for (guint i = 0; i < w->f->events->len; i++)
		if (g_str_equal(w->f->events->pdata[i], w->want))
			return TRUE;
	return FALSE;
}

static guint event_pos(Fixture *f, const char *want)
{
	for (guint i = 0; i < f->events->len; i++)
		if (g_str_equal(f->events->pdata[i], want))
			return i;
	return G_MAXUINT;
}

static void expect_event(Fixture *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void expect_event(Fixture *f, const char *fmt, ...)
{
	g_autofree char *want = NULL;
	EventWait w = { f, NULL };
	va_list ap;

	va_start(ap, fmt);
	want = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	w.want = want;
	if (!nfc_lab_wait_for(has_event, &w, 5000)) {
		for (guint i = 0; i < f->events->len; i++)
			g_test_message("heard: %s", (char *)f->events->pdata[i]);
		g_error("no event \"%s\"", want);
	}
}

static NfcInAddr inaddr(int family, const char *text)
{
	NfcInAddr a = { 0 };

	g_assert_cmpint(inet_pton(family, text, &a), ==, 1);
	return a;
}

static gint int_cmp(gconstpointer a, gconstpointer b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The watcher's model of links and addresses, in the form of LINKS/ADDRS. */
static char *model_links_text(GHashTable *model)
{
	g_autoptr(GArray) idx = g_array_new(FALSE, FALSE, sizeof(int));
	GString *s = g_string_new(NULL);
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, model);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		int i = GPOINTER_TO_INT(key);

		g_array_append_val(idx, i);
	}
	g_array_sort(idx, int_cmp);
	for (guint i = 0; i < idx->len; i++) {
		int index = g_array_index(idx, int, i);

		g_string_append_printf(s, "%d %s\n", index,
				       (char *)g_hash_table_lookup(model, GINT_TO_POINTER(index)));
	}
	return g_string_free(s, FALSE);
}

static char *model_addrs_text(GHashTable *model)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;
	GString *s = g_string_new(NULL);

	g_hash_table_iter_init(&it, model);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(all, key);
	/* the same order as Python's sorted() on these ASCII strings */
	g_ptr_array_sort(all, str_cmp);
	for (guint i = 0; i < all->len; i++)
		g_string_append_printf(s, "%s\n", (char *)all->pdata[i]);
	return g_string_free(s, FALSE);
}

/* The watcher's view, and a fresh watcher's replay of the cache, are what
 * the kernel says. */
static void assert_matches_kernel(Fixture *f)
{
	g_autofree char *k_links = nfc_lab_sh_output(f->lab, f->ns, "%s", LINKS);
	g_autofree char *k_addrs = nfc_lab_sh_output(f->lab, f->ns, "%s", ADDRS);
	g_autofree char *m_links = model_links_text(f->model_links);
	g_autofree char *m_addrs = model_addrs_text(f->model_addrs);
	g_autofree char *c_links = NULL, *c_addrs = NULL;
	Fixture replay = { 0 };
	unsigned int id;

	g_assert_cmpstr(m_links, ==, k_links);
	g_assert_cmpstr(m_addrs, ==, k_addrs);

	replay.events = g_ptr_array_new_with_free_func(g_free);
	replay.model_links = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	replay.model_addrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	id = nfc_rtnl_watch_add(&watch_cb, &replay);
	nfc_rtnl_watch_remove(id);
	c_links = model_links_text(replay.model_links);
	c_addrs = model_addrs_text(replay.model_addrs);
	g_assert_cmpstr(c_links, ==, k_links);
	g_assert_cmpstr(c_addrs, ==, k_addrs);
	g_ptr_array_unref(replay.events);
	g_hash_table_unref(replay.model_links);
	g_hash_table_unref(replay.model_addrs);
}

static void test_dump(Fixture *f, gconstpointer data)
{
	const NfcRtnlLink *up0 = nfc_rtnl_link_get(f->up0);
	const NfcRtnlLink *lo = nfc_rtnl_link_get_by_name("lo");
	g_autofree char *kernel = nfc_lab_sh_output(f->lab, f->ns,
		"ip -j link show up0 | python3 -c 'import json,sys; l=json.load(sys.stdin)[0]; "
		"print(l[\"ifindex\"], l[\"address\"], l[\"mtu\"])'");
	g_autofree char *ours = NULL;
	g_autofree char *mac = NULL;

	g_assert_nonnull(up0);
	g_assert_cmpstr(up0->name, ==, "up0");
	g_assert_cmpstr(up0->kind, ==, "veth");
	g_assert_cmpuint(up0->type, ==, ARPHRD_ETHER);
	g_assert_cmpuint(up0->address_len, ==, 6);
	g_assert_true(up0->has_stats);
	g_assert_false(up0->flags & IFF_UP);
	g_assert_cmpint(up0->master, ==, 0);
	mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", up0->address[0], up0->address[1],
			      up0->address[2], up0->address[3], up0->address[4], up0->address[5]);
	ours = g_strdup_printf("%d %s %u\n", up0->index, mac, up0->mtu);
	g_assert_cmpstr(ours, ==, kernel);

	g_assert_nonnull(lo);
	g_assert_true(lo->flags & IFF_LOOPBACK);
	g_assert_true(lo->flags & IFF_UP);
	g_assert_cmpstr(lo->kind, ==, "");
	g_assert_null(nfc_rtnl_link_get_by_name("peer0"));

	/* the replay to our watcher holds every link and address: lo's too */
	g_assert_true(g_hash_table_contains(f->model_addrs, "1 127.0.0.1/8"));
	g_assert_true(g_hash_table_contains(f->model_addrs, "1 ::1/128"));
	assert_matches_kernel(f);
}

static void test_carrier(Fixture *f, gconstpointer data)
{
	Result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	g_autofree char *flags = NULL;

	g_assert_cmpint(finish(nfc_rtnl_link_set_up(f->up0, true, on_done, &r1), &r1), ==, 0);
	expect_event(f, "link %d up0 up=1 carrier=0 mtu=1500", f->up0);
	g_assert_true(nfc_rtnl_link_get(f->up0)->flags & IFF_UP);

	nfc_lab_sh(f->lab, f->peer, "ip link set peer0 up");
	expect_event(f, "link %d up0 up=1 carrier=1 mtu=1500", f->up0);
	g_assert_true(nfc_rtnl_link_get(f->up0)->flags & IFF_LOWER_UP);

	g_ptr_array_set_size(f->events, 0);
	nfc_lab_sh(f->lab, f->peer, "ip link set peer0 down");
	expect_event(f, "link %d up0 up=1 carrier=0 mtu=1500", f->up0);
	g_assert_false(nfc_rtnl_link_get(f->up0)->flags & IFF_LOWER_UP);

	g_assert_cmpint(finish(nfc_rtnl_link_set_up(f->up0, false, on_done, &r2), &r2), ==, 0);
	expect_event(f, "link %d up0 up=0 carrier=0 mtu=1500", f->up0);
	flags = nfc_lab_sh_output(f->lab, f->ns, "ip -j link show up0 " NORM);
	g_assert_null(strstr(flags, "'UP'"));

	/* no such link: the kernel's errno reaches the callback */
	g_assert_cmpint(finish(nfc_rtnl_link_set_up(99999, true, on_done, &r3), &r3), ==, -ENODEV);
	/* nonsense is refused at once, with no callback */
	g_assert_cmpint(nfc_rtnl_link_set_up(0, true, on_done, &r3), ==, -EINVAL);
}

static void test_addresses(Fixture *f, gconstpointer data)
{
	NfcRtnlAddr v4 = {
		.family = AF_INET, .index = f->up0, .prefixlen = 24,
		.address = inaddr(AF_INET, "198.51.100.2"),
		.broadcast = inaddr(AF_INET, "198.51.100.255"),
	};
	NfcRtnlAddr v6 = {
		.family = AF_INET6, .index = f->up0, .prefixlen = 64,
		.address = inaddr(AF_INET6, "2001:db8:1::2"),
	};
	NfcRtnlAddr bad = v4;
	Result r[6] = { 0 };
	g_autofree char *both = NULL, *none = NULL;

	g_assert_cmpint(finish(nfc_rtnl_addr_add(&v4, on_done, &r[0]), &r[0]), ==, 0);
	g_assert_cmpint(finish(nfc_rtnl_addr_add(&v6, on_done, &r[1]), &r[1]), ==, 0);
	expect_event(f, "addr+ %d 198.51.100.2/24", f->up0);
	expect_event(f, "addr+ %d 2001:db8:1::2/64", f->up0);
	both = nfc_lab_sh_output(f->lab, f->ns,
		"ip -j addr show dev up0 | python3 -c 'import json,sys; "
		"[print(a[\"local\"], a[\"prefixlen\"], a.get(\"broadcast\", \"-\")) "
		"for a in json.load(sys.stdin)[0][\"addr_info\"]]'");
	g_assert_cmpstr(both, ==, "198.51.100.2 24 198.51.100.255\n2001:db8:1::2 64 -\n");
	assert_matches_kernel(f);

	g_assert_cmpint(finish(nfc_rtnl_addr_del(&v4, on_done, &r[2]), &r[2]), ==, 0);
	g_assert_cmpint(finish(nfc_rtnl_addr_del(&v6, on_done, &r[3]), &r[3]), ==, 0);
	expect_event(f, "addr- %d 198.51.100.2/24", f->up0);
	expect_event(f, "addr- %d 2001:db8:1::2/64", f->up0);
	none = nfc_lab_sh_output(f->lab, f->ns, "ip -j addr show dev up0 " NORM);
	g_assert_null(strstr(none, "198.51.100.2"));
	g_assert_null(strstr(none, "2001:db8:1::2"));
	assert_matches_kernel(f);

	/* gone already */
	g_assert_cmpint(finish(nfc_rtnl_addr_del(&v4, on_done, &r[4]), &r[4]), ==, -EADDRNOTAVAIL);
	g_assert_cmpint(finish(nfc_rtnl_addr_del(&v6, on_done, &r[5]), &r[5]), ==, -EADDRNOTAVAIL);
	bad.prefixlen = 33;
	g_assert_cmpint(nfc_rtnl_addr_add(&bad, on_done, &r[0]), ==, -EINVAL);
	bad.prefixlen = 24;
	bad.family = AF_UNIX;
	g_assert_cmpint(nfc_rtnl_addr_add(&bad, on_done, &r[0]), ==, -EINVAL);
}

/* Result first: on_done takes it for the whole */
typedef struct {
	Result r;
	GPtrArray *list;
} Dump;

static void collect_route(const NfcRtnlRoute *route, void *data)
{
	Dump *d = data;

	g_assert_cmpint(d->r.calls, ==, 0);
	g_ptr_array_add(d->list, route_text(route));
}

static bool contains(GPtrArray *list, const char *want)
{
	for (guint i = 0; i < list->len; i++)
		if (g_str_equal(list->pdata[i], want))
			return true;
	return false;
}

static gboolean carrier_up(gpointer data)
{
	const NfcRtnlLink *link = nfc_rtnl_link_get(GPOINTER_TO_INT(data));

	return link && (link->flags & IFF_LOWER_UP);
}

static void test_routes(Fixture *f, gconstpointer data)
{
	NfcRtnlRoute gw4 = {
		.family = AF_INET, .table = TABLE, .dst_len = 24,
		.dst = inaddr(AF_INET, "203.0.113.0"), .gateway = inaddr(AF_INET, "198.51.100.1"),
		.oif = f->up0, .priority = 10,
	};
	NfcRtnlRoute link4 = {
		.family = AF_INET, .table = TABLE, .dst_len = 25,
		.dst = inaddr(AF_INET, "198.51.100.128"), .prefsrc = inaddr(AF_INET, "198.51.100.2"),
		.oif = f->up0, .priority = 20,
	};
	NfcRtnlRoute unreach4 = {
		.family = AF_INET, .table = TABLE, .dst_len = 25, .type = RTN_UNREACHABLE,
		.dst = inaddr(AF_INET, "203.0.113.128"),
	};
	NfcRtnlRoute gw6 = {
		.family = AF_INET6, .table = TABLE, .dst_len = 64,
		.dst = inaddr(AF_INET6, "2001:db8:2::"), .gateway = inaddr(AF_INET6, "2001:db8:1::1"),
		.oif = f->up0, .priority = 10,
	};
	NfcRtnlRoute unreach6 = {
		.family = AF_INET6, .table = TABLE, .dst_len = 48, .type = RTN_UNREACHABLE,
		.dst = inaddr(AF_INET6, "2001:db8:3::"),
	};
	NfcRtnlRoute missing4 = gw4, missing6 = gw6;
	g_autoptr(GPtrArray) dumped = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *k4 = NULL, *k6 = NULL, *k4_after = NULL, *k6_after = NULL;
	Dump d = { { 0 }, dumped };
	Result r[16] = { 0 };
	int n = 0;

	nfc_lab_sh(f->lab, f->ns, "ip link set up0 up && ip addr add 198.51.100.2/24 dev up0 && "
		   "ip addr add 2001:db8:1::2/64 dev up0 nodad");

	/* no carrier yet: the kernel marks the route linkdown */
	g_assert_cmpint(finish(nfc_rtnl_route_add(&gw4, false, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	expect_event(f, "route+ table=1234 203.0.113.0/24 gw=198.51.100.1 src=- oif=%d metric=10 "
		     "type=1 linkdown=1", f->up0);
	/* a duplicate is an error without the replace flag */
	g_assert_cmpint(finish(nfc_rtnl_route_add(&gw4, false, on_done, &r[n]), &r[n]), ==, -EEXIST);
	n++;

	nfc_lab_sh(f->lab, f->peer, "ip link set peer0 up");
	g_assert_true(nfc_lab_wait_for(carrier_up, GINT_TO_POINTER(f->up0), 5000));

	gw4.gateway = inaddr(AF_INET, "198.51.100.3");
	g_assert_cmpint(finish(nfc_rtnl_route_add(&gw4, true, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	expect_event(f, "route+ table=1234 203.0.113.0/24 gw=198.51.100.3 src=- oif=%d metric=10 "
		     "type=1 linkdown=0", f->up0);
	g_assert_cmpint(finish(nfc_rtnl_route_add(&link4, false, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_add(&unreach4, false, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_add(&gw6, false, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_add(&unreach6, false, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	expect_event(f, "route+ table=1234 2001:db8:2::/64 gw=2001:db8:1::1 src=- oif=%d metric=10 "
		     "type=1 linkdown=0", f->up0);

	k4 = nfc_lab_sh_output(f->lab, f->ns, "ip -j route show table 1234 " NORM);
	g_assert_cmpstr(k4, ==,
		"dev=up0 dst=198.51.100.128/25 metric=20 prefsrc=198.51.100.2 protocol=static scope=link\n"
		"dev=up0 dst=203.0.113.0/24 gateway=198.51.100.3 metric=10 protocol=static\n"
		"dst=203.0.113.128/25 protocol=static type=unreachable\n");
	k6 = nfc_lab_sh_output(f->lab, f->ns, "ip -6 -j route show table 1234 " NORM);
	g_assert_nonnull(strstr(k6, "dev=up0 dst=2001:db8:2::/64 gateway=2001:db8:1::1 metric=10 "
				    "pref=medium protocol=static\n"));
	g_assert_nonnull(strstr(k6, "dst=2001:db8:3::/48"));
	g_assert_nonnull(strstr(k6, "type=unreachable"));

	/* the dump of the table finds them all, and nothing from elsewhere */
	g_assert_cmpint(finish(nfc_rtnl_route_dump(AF_UNSPEC, TABLE, collect_route, on_done, &d),
			       &d.r), ==, 0);
	g_assert_cmpuint(dumped->len, ==, 5);
	g_assert_true(contains(dumped, "table=1234 203.0.113.128/25 gw=- src=- oif=0 metric=0 type=7 "
				       "linkdown=0"));
	for (guint i = 0; i < dumped->len; i++)
		g_assert_true(g_str_has_prefix(dumped->pdata[i], "table=1234 "));

	/* deleting what is not there */
	missing4.dst = inaddr(AF_INET, "203.0.113.64");
	missing4.dst_len = 26;
	missing6.dst = inaddr(AF_INET6, "2001:db8:9::");
	g_assert_cmpint(finish(nfc_rtnl_route_del(&missing4, on_done, &r[n]), &r[n]), ==, -ESRCH);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_del(&missing6, on_done, &r[n]), &r[n]), ==, -ESRCH);
	n++;

	g_assert_cmpint(finish(nfc_rtnl_route_del(&gw4, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	expect_event(f, "route- table=1234 203.0.113.0/24 gw=198.51.100.3 src=- oif=%d metric=10 "
		     "type=1 linkdown=0", f->up0);
	g_assert_cmpint(finish(nfc_rtnl_route_del(&link4, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_del(&unreach4, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_del(&gw6, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_route_del(&unreach6, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(n, <=, (int)G_N_ELEMENTS(r));
	k4_after = nfc_lab_sh_output(f->lab, f->ns, "ip -j route show table 1234");
	k6_after = nfc_lab_sh_output(f->lab, f->ns, "ip -6 -j route show table 1234");
	g_assert_cmpstr(k4_after, ==, "[]\n");
	g_assert_cmpstr(k6_after, ==, "[]\n");
}

static void collect_rule(const NfcRtnlRule *rule, void *data)
{
	Dump *d = data;

	g_assert_cmpint(d->r.calls, ==, 0);
	g_ptr_array_add(d->list, rule_text(rule));
}

static void test_rules(Fixture *f, gconstpointer data)
{
	NfcRtnlRule rules[] = {
		{ .family = AF_INET, .priority = 1000, .table = TABLE, .action = FR_ACT_TO_TBL,
		  .fwmark = 0x100, .fwmask = 0xff00, .protocol = RTPROT_STATIC },
		{ .family = AF_INET, .priority = 1001, .table = TABLE, .action = FR_ACT_TO_TBL,
		  .src = inaddr(AF_INET, "198.51.100.0"), .src_len = 24 },
		{ .family = AF_INET, .priority = 1002, .action = FR_ACT_UNREACHABLE,
		  .fwmark = 0x200, .fwmask = 0xff00 },
		{ .family = AF_INET6, .priority = 1000, .table = TABLE, .action = FR_ACT_TO_TBL,
		  .src = inaddr(AF_INET6, "2001:db8:1::"), .src_len = 64 },
	};
	g_autoptr(GPtrArray) dumped = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) dumped6 = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *k4 = NULL, *k6 = NULL, *k4_after = NULL;
	Dump d4 = { { 0 }, dumped }, d6 = { { 0 }, dumped6 };
	Result r[16] = { 0 };
	int n = 0;

	for (guint i = 0; i < G_N_ELEMENTS(rules); i++, n++)
		g_assert_cmpint(finish(nfc_rtnl_rule_add(&rules[i], on_done, &r[n]), &r[n]), ==, 0);
	g_assert_cmpint(finish(nfc_rtnl_rule_add(&rules[0], on_done, &r[n]), &r[n]), ==, -EEXIST);
	n++;

	k4 = nfc_lab_sh_output(f->lab, f->ns, "ip -j rule " NORM);
	g_assert_nonnull(strstr(k4, "fwmark=0x100 fwmask=0xff00 priority=1000 protocol=static "
				    "src=all table=1234\n"));
	g_assert_nonnull(strstr(k4, "priority=1001 src=198.51.100.0 srclen=24 table=1234\n"));
	g_assert_nonnull(strstr(k4, "action=unreachable fwmark=0x200 fwmask=0xff00 priority=1002 "
				    "src=all\n"));
	k6 = nfc_lab_sh_output(f->lab, f->ns, "ip -6 -j rule " NORM);
	g_assert_nonnull(strstr(k6, "priority=1000 src=2001:db8:1:: srclen=64 table=1234\n"));

	g_assert_cmpint(finish(nfc_rtnl_rule_dump(AF_INET, collect_rule, on_done, &d4), &d4.r),
			==, 0);
	for (guint i = 0; i < dumped->len; i++)
		g_test_message("rule: %s", (char *)dumped->pdata[i]);
	g_assert_true(contains(dumped, "2 1000: 0.0.0.0/0 mark=0x100/0xff00 table=1234 action=1 proto=4"));
	g_assert_true(contains(dumped, "2 1001: 198.51.100.0/24 mark=0x0/0x0 table=1234 action=1 proto=0"));
	g_assert_true(contains(dumped, "2 1002: 0.0.0.0/0 mark=0x200/0xff00 table=0 action=7 proto=0"));
	/* the kernel's own three, and only IPv4 */
	g_assert_cmpuint(dumped->len, ==, 6);
	g_assert_cmpint(finish(nfc_rtnl_rule_dump(AF_INET6, collect_rule, on_done, &d6), &d6.r),
			==, 0);
	g_assert_true(contains(dumped6, "10 1000: 2001:db8:1::/64 mark=0x0/0x0 table=1234 action=1 proto=0"));
	g_assert_cmpuint(dumped6->len, ==, 3);

	/* the monitor tells rules coming and going, ours and anyone's */
	expect_event(f, "rule+ 2 1000: 0.0.0.0/0 mark=0x100/0xff00 table=1234 action=1 proto=4");
	expect_event(f, "rule+ 10 1000: 2001:db8:1::/64 mark=0x0/0x0 table=1234 action=1 proto=0");
	nfc_lab_sh(f->lab, f->ns, "ip rule add pref 1003 fwmark 0x300/0xff00 lookup 1235 && "
		   "ip rule del pref 1003");
	expect_event(f, "rule+ 2 1003: 0.0.0.0/0 mark=0x300/0xff00 table=1235 action=1 proto=0");
	expect_event(f, "rule- 2 1003: 0.0.0.0/0 mark=0x300/0xff00 table=1235 action=1 proto=0");

	for (guint i = 0; i < G_N_ELEMENTS(rules); i++, n++)
		g_assert_cmpint(finish(nfc_rtnl_rule_del(&rules[i], on_done, &r[n]), &r[n]), ==, 0);
	g_assert_cmpint(finish(nfc_rtnl_rule_del(&rules[1], on_done, &r[n]), &r[n]), ==, -ENOENT);
	n++;
	g_assert_cmpint(n, <=, (int)G_N_ELEMENTS(r));
	expect_event(f, "rule- 2 1002: 0.0.0.0/0 mark=0x200/0xff00 table=0 action=7 proto=0");
	k4_after = nfc_lab_sh_output(f->lab, f->ns, "ip rule | wc -l; ip -6 rule | wc -l");
	g_assert_cmpstr(k4_after, ==, "3\n2\n");
}

static void test_link_removed(Fixture *f, gconstpointer data)
{
	guint addr_pos, link_pos;
	g_autofree char *addr_ev = NULL, *link_ev = NULL;

	nfc_lab_sh(f->lab, f->ns, "ip addr add 198.51.100.7/24 dev up0");
	expect_event(f, "addr+ %d 198.51.100.7/24", f->up0);
	nfc_lab_sh(f->lab, f->ns, "ip link del up0");
	expect_event(f, "link-removed %d up0", f->up0);
	addr_ev = g_strdup_printf("addr- %d 198.51.100.7/24", f->up0);
	link_ev = g_strdup_printf("link-removed %d up0", f->up0);
	addr_pos = event_pos(f, addr_ev);
	link_pos = event_pos(f, link_ev);
	/* the address went before its link */
	g_assert_cmpuint(addr_pos, <, link_pos);
	g_assert_null(nfc_rtnl_link_get(f->up0));
	g_assert_null(nfc_rtnl_link_get_by_name("up0"));
	assert_matches_kernel(f);
}

static gboolean all_done(gpointer data)
{
	Result *r = data;

	for (int i = 0; i < 100; i++)
		if (r[i].calls == 0)
			return FALSE;
	return TRUE;
}

static void test_queue_and_cancel(Fixture *f, gconstpointer data)
{
	Result gone = { 0 }, kept = { 0 };
	Result many[100] = { 0 };
	g_autofree char *count = NULL;
	int id1, id2;

	/* cancelled: the requests still happen, their caller hears nothing */
	id1 = nfc_rtnl_link_set_up(f->up0, true, on_done, &gone);
	id2 = nfc_rtnl_link_set_up(99999, true, on_done, &gone);
	g_assert_cmpint(id1, >, 0);
	g_assert_cmpint(id2, >, 0);
	g_assert_cmpint(id1, !=, id2);
	g_assert_true(nfc_rtnl_cancel(id1));
	g_assert_true(nfc_rtnl_cancel(id2));
	g_assert_false(nfc_rtnl_cancel(id2));
	/* completions come in order: once this one is done, so are those */
	g_assert_cmpint(finish(nfc_rtnl_link_set_up(f->up0, true, on_done, &kept), &kept), ==, 0);
	expect_event(f, "link %d up0 up=1 carrier=0 mtu=1500", f->up0);
	g_assert_cmpint(gone.calls, ==, 0);
	/* done: nothing left to cancel */
	g_assert_false(nfc_rtnl_cancel(id1));

	/* more requests than may be in flight: all go out, each completes once */
	for (int i = 0; i < 100; i++) {
		NfcRtnlAddr a = { .family = AF_INET, .index = f->up0, .prefixlen = 32 };
		g_autofree char *text = g_strdup_printf("203.0.113.%d", i + 1);

		a.address = inaddr(AF_INET, text);
		g_assert_cmpint(nfc_rtnl_addr_add(&a, on_done, &many[i]), >, 0);
	}
	g_assert_true(nfc_lab_wait_for(all_done, many, 10000));
	while (g_main_context_iteration(NULL, FALSE))
		;
	for (int i = 0; i < 100; i++) {
		g_assert_cmpint(many[i].calls, ==, 1);
		g_assert_cmpint(many[i].error, ==, 0);
	}
	count = nfc_lab_sh_output(f->lab, f->ns, "ip -4 -o addr show dev up0 | grep -c 203.0.113.");
	g_assert_cmpstr(count, ==, "100\n");
}

/* Two owners that both pass NULL user_data, as loopback and ethernet do:
 * each callback counts in its own place. */
static Result mine, theirs;

static void on_mine(int error, void *data)
{
	g_assert_null(data);
	mine.calls++;
	mine.error = error;
}

static void on_theirs(int error, void *data)
{
	g_assert_null(data);
	theirs.calls++;
	theirs.error = error;
}

static void test_cancel_own_only(Fixture *f, gconstpointer data)
{
	int own, other;

	mine = theirs = (Result){ 0 };
	/* an owner going away cancels its request; another owner's, sent
	 * after it with the same (NULL) user_data, must still be answered */
	own = nfc_rtnl_link_set_up(f->up0, true, on_mine, NULL);
	other = nfc_rtnl_link_set_up(f->up0, true, on_theirs, NULL);
	g_assert_cmpint(own, >, 0);
	g_assert_cmpint(other, >, own);
	g_assert_true(nfc_rtnl_cancel(own));
	g_assert_cmpint(finish(other, &theirs), ==, 0);
	/* answered in order: mine was answered before theirs, to nobody */
	g_assert_cmpint(mine.calls, ==, 0);
	/* a cancelled request still reaches the kernel */
	expect_event(f, "link %d up0 up=1 carrier=0 mtu=1500", f->up0);
	g_assert_false(nfc_rtnl_cancel(other));
	g_assert_false(nfc_rtnl_cancel(0));
}

static gboolean resynced(gpointer data)
{
	struct pollfd pfd = { .fd = nfc_rtnl_test_monitor_fd(), .events = POLLIN };
	bool busy = true;

	if (nfc_rtnl_test_resyncs(&busy) < 1 || busy)
		return FALSE;
	/* and nothing left unread on the monitor */
	return poll(&pfd, 1, 0) == 0;
}

static void test_resync(Fixture *f, gconstpointer data)
{
	int tiny = 1;
	const NfcRtnlLink *up0;
	bool busy = true;

	nfc_lab_add_veth(f->lab, f->ns, "tmp0", f->peer, "tmp1");
	nfc_lab_sh(f->lab, f->ns, "ip addr add 198.51.100.10/24 dev up0 && "
		   "ip addr add 2001:db8:1::10/64 dev up0");
	expect_event(f, "addr+ %d 2001:db8:1::10/64", f->up0);
	g_assert_nonnull(nfc_rtnl_link_get_by_name("tmp0"));
	assert_matches_kernel(f);
	g_assert_cmpuint(nfc_rtnl_test_resyncs(&busy), ==, 0);
	g_assert_false(busy);

	/* a monitor buffer that holds one message, and a burst of changes
	 * while the main loop is not running: the kernel must drop events */
	g_assert_cmpint(setsockopt(nfc_rtnl_test_monitor_fd(), SOL_SOCKET, SO_RCVBUF, &tiny,
				   sizeof(tiny)), ==, 0);
	nfc_lab_sh(f->lab, f->ns,
		   "for i in $(seq 20 119); do echo \"addr add 198.51.100.$i/32 dev up0\"; done | ip -batch - && "
		   "ip addr del 198.51.100.10/24 dev up0 && ip addr del 2001:db8:1::10/64 dev up0 && "
		   "ip link del tmp0 && "
		   "ip link add new0 type veth peer name new1 && "
		   "ip link set up0 mtu 1400 && ip link set up0 up && "
		   "for i in $(seq 20 59); do echo \"addr del 198.51.100.$i/32 dev up0\"; done | ip -batch -");

	g_assert_true(nfc_lab_wait_for(resynced, NULL, 10000));
	g_assert_cmpuint(nfc_rtnl_test_resyncs(NULL), >=, 1);
	/* and the watchers heard that routes and rules may have been missed */
	expect_event(f, "resynced");

	/* the watcher, and the cache, caught up with everything */
	assert_matches_kernel(f);
	up0 = nfc_rtnl_link_get(f->up0);
	g_assert_nonnull(up0);
	g_assert_cmpuint(up0->mtu, ==, 1400);
	g_assert_true(up0->flags & IFF_UP);
	g_assert_null(nfc_rtnl_link_get_by_name("tmp0"));
	g_assert_nonnull(nfc_rtnl_link_get_by_name("new0"));
	g_assert_nonnull(nfc_rtnl_link_get_by_name("new1"));
}

static bool has_event_prefix(Fixture *f, const char *prefix)
{
	for (guint i = 0; i < f->events->len; i++)
		if (g_str_has_prefix(f->events->pdata[i], prefix))
			return true;
	return false;
}

/* A field of "ip -d -j link show NAME" (a Python expression on l). */
static char *ip_link_field(Fixture *f, const char *name, const char *expr)
{
	return nfc_lab_sh_output(f->lab, f->ns,
		"ip -d -j link show %s | python3 -c 'import json,sys; l=json.load(sys.stdin)[0]; "
		"print(%s)'", name, expr);
}

static int link_index(const char *name)
{
	const NfcRtnlLink *link = nfc_rtnl_link_get_by_name(name);

	g_assert_nonnull(link);
	return link->index;
}

static gboolean tmp0_in_br0(gpointer data)
{
	const NfcRtnlLink *port = nfc_rtnl_link_get_by_name("tmp0");
	const NfcRtnlLink *br = nfc_rtnl_link_get_by_name("br0");

	return port && br && port->master == br->index;
}

/* What the cache said when done was called. Result first: finish() takes it. */
typedef struct {
	Result r;
	const char *name;  /* a link looked up by name */
	int port;          /* a link whose master is noted */
	bool found;
	int master;
} Seen;

static void on_done_seen(int error, void *data)
{
	Seen *s = data;

	s->r.calls++;
	s->r.error = error;
	s->found = s->name && nfc_rtnl_link_get_by_name(s->name);
	s->master = s->port && nfc_rtnl_link_get(s->port) ? nfc_rtnl_link_get(s->port)->master : -1;
}

static void test_bridge(Fixture *f, gconstpointer data)
{
	Seen made = { .name = "tether" }, in = { .port = f->up0 }, out = { .port = f->up0 };
	Seen gone_at_done = { .name = "tether", .port = f->up0 };
	Result r[12] = { 0 };
	g_autofree char *delay = NULL, *delay2 = NULL, *master = NULL, *released = NULL;
	g_autofree char *gone = NULL, *kind = NULL;
	const NfcRtnlLink *br;
	int n = 0, tether, br2;

	g_assert_cmpint(finish(nfc_rtnl_link_add_bridge("tether", 0, on_done_seen, &made), &made.r),
			==, 0);
	/* the monitor was read before done: the bridge is known by then */
	g_assert_true(made.found);
	expect_event(f, "master tether 0");
	br = nfc_rtnl_link_get_by_name("tether");
	g_assert_nonnull(br);
	tether = br->index;
	g_assert_cmpstr(br->kind, ==, "bridge");
	/* left down */
	g_assert_false(br->flags & IFF_UP);
	/* read through ip, not /sys: "ip netns exec" remounts /sys for its
	 * namespace, but a path read by us would be the root namespace's */
	kind = ip_link_field(f, "tether", "l[\"linkinfo\"][\"info_kind\"]");
	g_assert_cmpstr(kind, ==, "bridge\n");
	delay = ip_link_field(f, "tether", "l[\"linkinfo\"][\"info_data\"][\"forward_delay\"]");
	g_assert_cmpstr(delay, ==, "0\n");
	/* and a value other than the kernel's default (1500) reaches it too */
	g_assert_cmpint(finish(nfc_rtnl_link_add_bridge("br2", 200, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	delay2 = ip_link_field(f, "br2", "l[\"linkinfo\"][\"info_data\"][\"forward_delay\"]");
	g_assert_cmpstr(delay2, ==, "200\n");

	/* a link of that name exists: ours from before, or a veth */
	g_assert_cmpint(finish(nfc_rtnl_link_add_bridge("tether", 0, on_done, &r[n]), &r[n]), ==,
			-EEXIST);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_link_add_bridge("up0", 0, on_done, &r[n]), &r[n]), ==,
			-EEXIST);
	n++;
	/* names the kernel would refuse are refused at once, no callback */
	g_assert_cmpint(nfc_rtnl_link_add_bridge("a/b", 0, on_done, &r[n]), ==, -EINVAL);
	g_assert_cmpint(nfc_rtnl_link_add_bridge("much-too-long-name", 0, on_done, &r[n]), ==,
			-EINVAL);
	g_assert_cmpint(r[n].calls, ==, 0);

	/* enslave: the port's link_changed says its master (before done) */
	g_assert_cmpint(finish(nfc_rtnl_link_set_master(f->up0, tether, on_done_seen, &in), &in.r),
			==, 0);
	g_assert_cmpint(in.master, ==, tether);
	expect_event(f, "master up0 %d", tether);
	g_assert_cmpint(nfc_rtnl_link_get(f->up0)->master, ==, tether);
	master = ip_link_field(f, "up0", "l.get(\"master\", \"-\")");
	g_assert_cmpstr(master, ==, "tether\n");

	/* release: master 0 again, and the bridge's own news about its port
	 * (AF_BRIDGE RTM_DELLINK) is not taken for the port going away */
	g_ptr_array_set_size(f->events, 0);
	g_assert_cmpint(finish(nfc_rtnl_link_set_master(f->up0, 0, on_done_seen, &out), &out.r), ==,
			0);
	g_assert_cmpint(out.master, ==, 0);
	expect_event(f, "master up0 0");
	g_assert_cmpint(nfc_rtnl_link_get(f->up0)->master, ==, 0);
	released = ip_link_field(f, "up0", "l.get(\"master\", \"-\")");
	g_assert_cmpstr(released, ==, "-\n");
	g_assert_false(has_event_prefix(f, "link-removed"));
	g_assert_nonnull(nfc_rtnl_link_get_by_name("up0"));

	/* a port of a bridge that is deleted is released with it */
	g_assert_cmpint(finish(nfc_rtnl_link_set_master(f->up0, tether, on_done, &r[n]), &r[n]), ==,
			0);
	n++;
	expect_event(f, "master up0 %d", tether);
	g_ptr_array_set_size(f->events, 0);
	g_assert_cmpint(finish(nfc_rtnl_link_del(tether, on_done_seen, &gone_at_done),
			       &gone_at_done.r), ==, 0);
	g_assert_false(gone_at_done.found);
	g_assert_cmpint(gone_at_done.master, ==, 0);
	expect_event(f, "link-removed %d tether", tether);
	expect_event(f, "master up0 0");
	g_assert_null(nfc_rtnl_link_get_by_name("tether"));
	g_assert_cmpint(nfc_rtnl_link_get(f->up0)->master, ==, 0);
	gone = nfc_lab_sh_output(f->lab, f->ns, "ip -j link show type bridge " NORM);
	g_assert_null(strstr(gone, "tether"));

	/* deleting what is not there; enslaving to what is not there */
	g_assert_cmpint(finish(nfc_rtnl_link_del(tether, on_done, &r[n]), &r[n]), ==, -ENODEV);
	n++;
	g_assert_cmpint(finish(nfc_rtnl_link_set_master(f->up0, tether, on_done, &r[n]), &r[n]), <,
			0);
	n++;
	g_assert_cmpint(nfc_rtnl_link_del(0, on_done, &r[n]), ==, -EINVAL);
	g_assert_cmpint(nfc_rtnl_link_set_master(f->up0, f->up0, on_done, &r[n]), ==, -EINVAL);
	br2 = link_index("br2");
	g_assert_cmpint(finish(nfc_rtnl_link_del(br2, on_done, &r[n]), &r[n]), ==, 0);
	n++;
	g_assert_cmpint(n, <=, (int)G_N_ELEMENTS(r));
	expect_event(f, "link-removed %d br2", br2);
	assert_matches_kernel(f);
}

typedef struct {
	Result r;
	GPtrArray *list;
	Fixture *f;
} NeighDump;

static void collect_neigh(const NfcRtnlNeigh *n, void *data)
{
	NeighDump *d = data;

	g_assert_cmpint(d->r.calls, ==, 0);
	check_neigh(d->f, n);
	g_assert_true(n->has_lladdr);
	g_ptr_array_add(d->list, neigh_text(n));
}

/* The neighbours a dump lists, as "index address" lines. */
static GPtrArray *dump_neigh(Fixture *f, int family, int ifindex)
{
	NeighDump d = { { 0 }, g_ptr_array_new_with_free_func(g_free), f };

	g_assert_cmpint(finish(nfc_rtnl_neigh_dump(family, ifindex, collect_neigh, on_done, &d),
			       &d.r), ==, 0);
	return d.list;
}

/* An address change after a neighbour change: once its event is heard,
 * the monitor has delivered everything the kernel sent before it. */
static void fence(Fixture *f, int i)
{
	nfc_lab_sh(f->lab, f->ns, "ip addr add 203.0.113.%d/32 dev up0", i);
	expect_event(f, "addr+ %d 203.0.113.%d/32", f->up0, i);
}

/* No IPv6 link-local addresses on links brought up from now on: the
 * kernel adds them a moment later, racing the comparison with "ip addr". */
static void no_link_local(Fixture *f)
{
	nfc_lab_sh(f->lab, f->ns, "sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 "
		   "net.ipv6.conf.up0.addr_gen_mode=1 net.ipv6.conf.tmp0.addr_gen_mode=1");
}

static void test_neigh(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) all = NULL, v4 = NULL, v6 = NULL, on_lo = NULL, after = NULL;
	g_autofree char *ev4 = NULL, *ev6 = NULL, *ev_late = NULL;

	/* a bridge with a port, whose fdb entries come on the same group
	 * (AF_BRIDGE); check_neigh fails the test if one is passed on */
	nfc_lab_add_veth(f->lab, f->ns, "tmp0", f->peer, "tmp1");
	no_link_local(f);
	nfc_lab_sh(f->lab, f->ns, "ip link set up0 up && ip addr add 198.51.100.2/24 dev up0 && "
		   "ip -6 addr add 2001:db8:1::2/64 dev up0 nodad && "
		   "ip link add br0 type bridge && ip link set tmp0 master br0 && "
		   "ip link set br0 up && ip link set tmp0 up");
	nfc_lab_sh(f->lab, f->peer, "ip link set peer0 up");
	g_assert_true(nfc_lab_wait_for(tmp0_in_br0, NULL, 5000));

	nfc_rtnl_neigh_monitor(true);
	nfc_lab_sh(f->lab, f->ns,
		   "ip neigh add 198.51.100.50 lladdr 02:00:00:00:00:50 nud reachable dev up0 && "
		   "ip -6 neigh add 2001:db8:1::50 lladdr 02:00:00:00:00:56 nud reachable dev up0 && "
		   "bridge fdb add 02:00:00:00:00:77 dev tmp0 master static");
	expect_event(f, "neigh+ %d 198.51.100.50 02:00:00:00:00:50", f->up0);
	expect_event(f, "neigh+ %d 2001:db8:1::50 02:00:00:00:00:56", f->up0);

	/* the dump, by family and by link */
	ev4 = g_strdup_printf("%d 198.51.100.50", f->up0);
	ev6 = g_strdup_printf("%d 2001:db8:1::50", f->up0);
	all = dump_neigh(f, AF_UNSPEC, 0);
	g_assert_true(contains(all, ev4));
	g_assert_true(contains(all, ev6));
	v4 = dump_neigh(f, AF_INET, f->up0);
	g_assert_true(contains(v4, ev4));
	g_assert_false(contains(v4, ev6));
	v6 = dump_neigh(f, AF_INET6, 0);
	g_assert_false(contains(v6, ev4));
	g_assert_true(contains(v6, ev6));
	/* the bridge's multicast entry (224.0.0.22, NOARP) is nobody */
	nfc_lab_wait_sh(f->lab, f->ns, 5000, "ip -4 neigh show dev br0 nud noarp | grep -q 224.0.0.22");
	{
		g_autoptr(GPtrArray) on_br = dump_neigh(f, AF_UNSPEC, link_index("br0"));

		g_assert_cmpuint(on_br->len, ==, 0);
	}
	on_lo = dump_neigh(f, AF_UNSPEC, link_index("lo"));
	g_assert_cmpuint(on_lo->len, ==, 0);
	g_assert_cmpint(nfc_rtnl_neigh_dump(AF_UNIX, 0, collect_neigh, on_done, NULL), ==,
			-EAFNOSUPPORT);

	/* an entry that fails (as after unanswered probes) or goes back to
	 * being resolved is told as removed: it is no client any more */
	g_ptr_array_set_size(f->events, 0);
	nfc_lab_sh(f->lab, f->ns, "ip neigh change 198.51.100.50 dev up0 nud failed");
	expect_event(f, "neigh- %d 198.51.100.50", f->up0);
	nfc_lab_sh(f->lab, f->ns,
		   "ip neigh add 198.51.100.53 lladdr 02:00:00:00:00:53 nud stale dev up0");
	expect_event(f, "neigh+ %d 198.51.100.53 02:00:00:00:00:53", f->up0);
	nfc_lab_sh(f->lab, f->ns, "ip neigh change 198.51.100.53 dev up0 nud incomplete");
	expect_event(f, "neigh- %d 198.51.100.53", f->up0);
	fence(f, 2);
	{
		g_autofree char *failed = g_strdup_printf("neigh+ %d 198.51.100.50", f->up0);
		g_autofree char *incomplete = g_strdup_printf("neigh+ %d 198.51.100.53", f->up0);

		g_assert_false(has_event_prefix(f, failed));
		g_assert_cmpuint(event_pos(f, "neigh+ 0"), ==, G_MAXUINT);
		/* told once, when it was STALE, not again when INCOMPLETE */
		for (guint i = 0, seen = 0; i < f->events->len; i++)
			if (g_str_has_prefix(f->events->pdata[i], incomplete))
				g_assert_cmpuint(++seen, ==, 1);
	}
	/* neither is listed by a dump */
	{
		g_autoptr(GPtrArray) now = dump_neigh(f, AF_INET, f->up0);
		g_autofree char *inc = g_strdup_printf("%d 198.51.100.53", f->up0);

		g_assert_false(contains(now, ev4));
		g_assert_false(contains(now, inc));
	}

	/* removed */
	nfc_lab_sh(f->lab, f->ns, "ip neigh del 198.51.100.50 dev up0 && "
		   "ip neigh del 198.51.100.53 dev up0");
	expect_event(f, "neigh- %d 198.51.100.50", f->up0);

	/* reference counted: one of two off, still heard */
	nfc_rtnl_neigh_monitor(true);
	nfc_rtnl_neigh_monitor(false);
	nfc_lab_sh(f->lab, f->ns,
		   "ip neigh add 198.51.100.51 lladdr 02:00:00:00:00:51 nud reachable dev up0");
	expect_event(f, "neigh+ %d 198.51.100.51 02:00:00:00:00:51", f->up0);

	/* the last off: no more events */
	nfc_rtnl_neigh_monitor(false);
	g_ptr_array_set_size(f->events, 0);
	nfc_lab_sh(f->lab, f->ns,
		   "ip neigh add 198.51.100.52 lladdr 02:00:00:00:00:52 nud reachable dev up0 && "
		   "ip neigh del 198.51.100.51 dev up0 && ip -6 neigh del 2001:db8:1::50 dev up0");
	fence(f, 1);
	g_assert_false(has_event_prefix(f, "neigh"));
	/* the dump needs no monitor */
	after = dump_neigh(f, AF_INET, f->up0);
	ev_late = g_strdup_printf("%d 198.51.100.52", f->up0);
	g_assert_true(contains(after, ev_late));
	g_assert_false(contains(after, ev4));

	/* on again: heard again */
	nfc_rtnl_neigh_monitor(true);
	nfc_lab_sh(f->lab, f->ns, "ip neigh del 198.51.100.52 dev up0");
	expect_event(f, "neigh- %d 198.51.100.52", f->up0);
	nfc_rtnl_neigh_monitor(false);
	assert_matches_kernel(f);
}

static void test_resync_neigh(Fixture *f, gconstpointer data)
{
	int tiny = 1;
	g_autoptr(GPtrArray) dumped = NULL;

	nfc_lab_add_veth(f->lab, f->ns, "tmp0", f->peer, "tmp1");
	no_link_local(f);
	nfc_lab_sh(f->lab, f->ns, "ip link set up0 up && ip addr add 198.51.100.2/24 dev up0 && "
		   "ip link add br0 type bridge && ip link set tmp0 master br0 && ip link set br0 up");
	expect_event(f, "addr+ %d 198.51.100.2/24", f->up0);
	nfc_rtnl_neigh_monitor(true);

	/* overrun with neighbour, fdb, address and link news all mixed */
	g_assert_cmpint(setsockopt(nfc_rtnl_test_monitor_fd(), SOL_SOCKET, SO_RCVBUF, &tiny,
				   sizeof(tiny)), ==, 0);
	nfc_lab_sh(f->lab, f->ns,
		   "for i in $(seq 20 99); do "
		   "echo \"neigh add 198.51.100.$i lladdr 02:00:00:00:00:$i nud reachable dev up0\"; "
		   "echo \"addr add 198.51.100.$i/32 dev up0\"; done | ip -batch - && "
		   "for i in $(seq 10 49); do "
		   "echo \"fdb add 02:00:00:00:01:$i dev tmp0 master static\"; done | bridge -batch - && "
		   "for i in $(seq 20 59); do echo \"neigh del 198.51.100.$i dev up0\"; done | ip -batch - && "
		   "ip link set tmp0 nomaster && ip link add new0 type veth peer name new1 && "
		   "ip link set up0 mtu 1400");

	g_assert_true(nfc_lab_wait_for(resynced, NULL, 10000));
	expect_event(f, "resynced");
	/* nothing taken for what it is not: links and addresses as the kernel */
	assert_matches_kernel(f);
	g_assert_cmpuint(nfc_rtnl_link_get(f->up0)->mtu, ==, 1400);
	g_assert_cmpint(nfc_rtnl_link_get(link_index("tmp0"))->master, ==, 0);
	g_assert_nonnull(nfc_rtnl_link_get_by_name("new0"));

	/* what a watcher does on "resynced": look again */
	dumped = dump_neigh(f, AF_INET, f->up0);
	g_assert_cmpuint(dumped->len, ==, 40);
	{
		g_autofree char *first = g_strdup_printf("%d 198.51.100.60", f->up0);
		g_autofree char *deleted = g_strdup_printf("%d 198.51.100.59", f->up0);

		g_assert_true(contains(dumped, first));
		g_assert_false(contains(dumped, deleted));
	}

	/* and the monitor still tells neighbours after it */
	nfc_lab_sh(f->lab, f->ns, "ip neigh del 198.51.100.99 dev up0");
	expect_event(f, "neigh- %d 198.51.100.99", f->up0);
	nfc_rtnl_neigh_monitor(false);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/rtnl/dump", test_dump);
	ADD("/rtnl/carrier", test_carrier);
	ADD("/rtnl/addresses", test_addresses);
	ADD("/rtnl/routes", test_routes);
	ADD("/rtnl/rules", test_rules);
	ADD("/rtnl/link-removed", test_link_removed);
	ADD("/rtnl/queue-and-cancel", test_queue_and_cancel);
	ADD("/rtnl/cancel-own-only", test_cancel_own_only);
	ADD("/rtnl/resync", test_resync);
	ADD("/rtnl/bridge", test_bridge);
	ADD("/rtnl/neigh", test_neigh);
	ADD("/rtnl/resync-neigh", test_resync_neigh);
	return g_test_run();
}
