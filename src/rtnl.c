// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink, see rtnl.h. Two sockets on the main loop: one for our
 * requests and dumps (replies matched by sequence number), one subscribed
 * to link, address, route and rule events and the resolver options of
 * router advertisements (and neighbour events while someone asks for
 * them). A sync (at start, and after the
 * monitor overran) dumps links and addresses, diffs them against the cache
 * and emits the differences; monitor events that arrive meanwhile are held
 * back and replayed on top, so the cache ends where the kernel is. Events
 * queued before an overrun was noticed are dropped: the dump, sent after
 * them, already includes their changes. */
#include "rtnl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <glib.h>
#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "rtnl-msg.h"
#include "watchlist.h"

/* Acks for more than this many requests could overrun the request
 * socket's buffer; the rest wait in line. */
#define MAX_IN_FLIGHT 32

typedef struct Request Request;
struct Request {
	int id;               /* the caller's handle, > 0 */
	unsigned int seq;
	bool dump;
	bool cancelled;
	bool catch_up;        /* read the monitor before telling done: see rtnl.h */
	void *msg;  /* the request while it waits to be sent */
	void (*on_msg)(Request *req, const struct nlmsghdr *nlh); /* dump parts */
	union {
		void (*rule)(const NfcRtnlRule *rule, void *user_data);
		void (*route)(const NfcRtnlRoute *route, void *user_data);
		void (*neigh)(const NfcRtnlNeigh *neigh, void *user_data);
		void (*link)(const NfcRtnlLink *link, void *user_data);
	} each;
	uint32_t table;       /* route dumps: only this table (0: all) */
	int family;           /* neighbour dumps: only this family (AF_UNSPEC: both) */
	int ifindex;          /*   and this link (0: all) */
	NfcRtnlDoneFunc done;
	void *user_data;
};

typedef struct {
	void (*func)(void *user_data);
	void *user_data;
} ReadyFunc;

typedef struct {
	int step;             /* the dump running: RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE */
	bool initial;
	bool interrupted;     /* the kernel flagged a dump inconsistent */
	GHashTable *links;    /* the fresh dump, becomes the cache */
	GHashTable *addrs;
} Sync;

static struct mnl_socket *req_sock, *mon_sock;
static guint req_source, mon_source;
static unsigned int next_seq;
static int next_request_id;
static GQueue waiting = G_QUEUE_INIT;   /* Request, not sent yet, in order */
static GQueue in_flight = G_QUEUE_INIT; /* Request, sent */
static uint8_t rx_buf[NFC_RTNL_BUF_SIZE];
/* the monitor's own: it is read while a reply in rx_buf is being walked */
static uint8_t mon_buf[NFC_RTNL_BUF_SIZE];
static bool in_monitor;    /* on_monitor_socket() is running */

static GHashTable *links;  /* index → NfcRtnlLink */
static GHashTable *addrs;  /* NfcRtnlAddr, keyed by itself */
static NfcWatchList watchers;
static bool ready;
static GQueue ready_funcs = G_QUEUE_INIT;

static Sync *sync_run;     /* while a sync runs */
static bool sync_again;    /* the monitor overran during the sync */
static guint sync_retry_source;
static GQueue backlog = G_QUEUE_INIT; /* GBytes: monitor messages held during a sync */
static unsigned int resyncs;
static char sync_tag;      /* user_data of our own dumps; their ids are never handed out */
static unsigned int neigh_refs; /* nfc_rtnl_neigh_monitor(true) calls not yet undone */

/* ---- caches ---- */

static guint addr_hash(gconstpointer p)
{
	const NfcRtnlAddr *a = p;
	size_t len = a->family == AF_INET ? 4 : 16;
	guint h = (guint)a->family * 31u + (guint)a->index * 131u + a->prefixlen;
	const uint8_t *b = (const uint8_t *)&a->address;

	for (size_t i = 0; i < len; i++)
		h = h * 33u + b[i];
	return h;
}

/* The kernel's identity of an address: family, link, address, prefix. */
static gboolean addr_equal(gconstpointer pa, gconstpointer pb)
{
	const NfcRtnlAddr *a = pa, *b = pb;

	return a->family == b->family && a->index == b->index && a->prefixlen == b->prefixlen &&
	       memcmp(&a->address, &b->address, a->family == AF_INET ? 4 : 16) == 0;
}

/* Worth telling a watcher: everything but the lifetimes, which count down. */
static bool addr_same(const NfcRtnlAddr *a, const NfcRtnlAddr *b)
{
	return addr_equal(a, b) && a->scope == b->scope && a->flags == b->flags &&
	       memcmp(&a->broadcast, &b->broadcast, sizeof(a->broadcast)) == 0;
}

/* Everything but the counters, which change all the time. */
static bool link_same(const NfcRtnlLink *a, const NfcRtnlLink *b)
{
	return a->index == b->index && strcmp(a->name, b->name) == 0 && a->type == b->type &&
	       a->flags == b->flags && a->address_len == b->address_len &&
	       memcmp(a->address, b->address, a->address_len) == 0 && a->mtu == b->mtu &&
	       a->operstate == b->operstate && strcmp(a->kind, b->kind) == 0 &&
	       a->master == b->master;
}

static GHashTable *links_new(void)
{
	return g_hash_table_new_full(NULL, NULL, NULL, g_free);
}

static GHashTable *addrs_new(void)
{
	return g_hash_table_new_full(addr_hash, addr_equal, g_free, NULL);
}

static gint link_cmp(gconstpointer pa, gconstpointer pb)
{
	const NfcRtnlLink *a = pa, *b = pb;

	return (a->index > b->index) - (a->index < b->index);
}

static gint addr_cmp(gconstpointer pa, gconstpointer pb)
{
	const NfcRtnlAddr *a = pa, *b = pb;

	if (a->index != b->index)
		return (a->index > b->index) - (a->index < b->index);
	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(&a->address, &b->address, sizeof(a->address));
}

/* The values of a cache in a stable order, for replays and diffs. */
static GList *sorted_values(GHashTable *table, GCompareFunc cmp)
{
	return g_list_sort(g_hash_table_get_values(table), cmp);
}

/* ---- watchers ---- */

#define EMIT(member, ...) NFC_WATCH_LIST_NOTIFY(&watchers, NfcRtnlWatch, member, __VA_ARGS__)

unsigned int nfc_rtnl_watch_add(const NfcRtnlWatch *watch, void *user_data)
{
	unsigned int id;
	GList *list;

	if (!links)
		return 0;
	id = nfc_watch_list_add(&watchers, watch, sizeof(*watch), user_data, NULL);

	/* the replay is for this watcher alone; it may remove itself */
	list = sorted_values(links, link_cmp);
	for (GList *l = list; l; l = l->next) {
		const NfcRtnlWatch *w = nfc_watch_list_find(&watchers, id, NULL);

		if (!w)
			break;
		if (w->link_changed)
			w->link_changed(l->data, user_data);
	}
	g_list_free(list);
	list = sorted_values(addrs, addr_cmp);
	for (GList *l = list; l; l = l->next) {
		const NfcRtnlWatch *w = nfc_watch_list_find(&watchers, id, NULL);

		if (!w)
			break;
		if (w->addr_added)
			w->addr_added(l->data, user_data);
	}
	g_list_free(list);
	return id;
}

void nfc_rtnl_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&watchers, id);
}

/* ---- events ---- */

static void link_gone(int index, const char *name)
{
	g_autofree char *name_copy = g_strdup(name);
	GList *list = sorted_values(addrs, addr_cmp);

	/* the kernel announces the addresses' removal first; a lost event
	 * must not leave them behind */
	for (GList *l = list; l; l = l->next) {
		NfcRtnlAddr a = *(NfcRtnlAddr *)l->data;

		if (a.index != index)
			continue;
		g_hash_table_remove(addrs, &a);
		EMIT(addr_removed, &a);
	}
	g_list_free(list);
	g_hash_table_remove(links, GINT_TO_POINTER(index));
	EMIT(link_removed, index, name_copy);
}

static void route_event(const struct nlmsghdr *nlh)
{
	NfcRtnlRoute route;
	bool cloned;

	if (nfc_rtnl_parse_route(nlh, &route, &cloned) < 0 || cloned)
		return;
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		EMIT(route_added, &route);
	else
		EMIT(route_removed, &route);
}

static void rule_event(const struct nlmsghdr *nlh)
{
	NfcRtnlRule rule;

	if (nfc_rtnl_parse_rule(nlh, &rule) < 0)
		return;
	if (nlh->nlmsg_type == RTM_NEWRULE)
		EMIT(rule_added, &rule);
	else
		EMIT(rule_removed, &rule);
}

static void neigh_event(const struct nlmsghdr *nlh)
{
	NfcRtnlNeigh neigh;

	/* the membership is gone, but what the socket had queued still
	 * arrives: nobody asked for it any more */
	if (neigh_refs == 0)
		return;
	/* fdb entries of a bridge come on the same group: -EAFNOSUPPORT */
	if (nfc_rtnl_parse_neigh(nlh, &neigh) < 0)
		return;
	switch (nfc_rtnl_neigh_classify(nlh->nlmsg_type, neigh.state)) {
	case NFC_RTNL_NEIGH_CHANGED:
		EMIT(neigh_changed, &neigh);
		break;
	case NFC_RTNL_NEIGH_REMOVED:
		EMIT(neigh_removed, &neigh);
		break;
	case NFC_RTNL_NEIGH_IGNORE:
		break;
	}
}

static void nd_options_event(const struct nlmsghdr *nlh)
{
	NfcRtnlNdOpts opts;

	/* other ND options (captive portal, PREF64) and messages of other
	 * kinds are nobody's business here yet */
	if (nfc_rtnl_parse_nd_options(nlh, &opts) < 0 || (!opts.n_servers && !opts.n_domains))
		return;
	EMIT(nd_options, &opts);
}

static void apply_event(const struct nlmsghdr *nlh)
{
	NfcRtnlLink link;
	NfcRtnlAddr addr;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		if (nfc_rtnl_parse_link(nlh, &link) < 0)
			return;
		g_hash_table_replace(links, GINT_TO_POINTER(link.index), g_memdup2(&link, sizeof(link)));
		EMIT(link_changed, &link);
		break;
	case RTM_DELLINK:
		if (nfc_rtnl_parse_link(nlh, &link) < 0)
			return;
		link_gone(link.index, link.name);
		break;
	case RTM_NEWADDR:
		if (nfc_rtnl_parse_addr(nlh, &addr) < 0)
			return;
		g_hash_table_add(addrs, g_memdup2(&addr, sizeof(addr)));
		EMIT(addr_added, &addr);
		break;
	case RTM_DELADDR:
		if (nfc_rtnl_parse_addr(nlh, &addr) < 0)
			return;
		g_hash_table_remove(addrs, &addr);
		EMIT(addr_removed, &addr);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		route_event(nlh);
		break;
	case RTM_NEWRULE:
	case RTM_DELRULE:
		rule_event(nlh);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		neigh_event(nlh);
		break;
	case RTM_NEWNDUSEROPT:
		nd_options_event(nlh);
		break;
	default:
		break;
	}
}

/* ---- requests ---- */

static Request *request_new(NfcRtnlDoneFunc done, void *user_data)
{
	Request *req = g_new0(Request, 1);

	/* unique among pending requests unless two billion are pending */
	if (next_request_id == G_MAXINT)
		next_request_id = 0;
	req->id = ++next_request_id;
	req->done = done;
	req->user_data = user_data;
	return req;
}

static bool can_send(const Request *req)
{
	if (in_flight.length >= MAX_IN_FLIGHT)
		return false;
	/* the kernel runs one dump per socket at a time (EBUSY otherwise) */
	if (req->dump)
		for (GList *l = in_flight.head; l; l = l->next)
			if (((Request *)l->data)->dump)
				return false;
	return true;
}

static int send_msg(const struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(req_sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Takes req out of the queues and calls its callback, once. */
static void finish(Request *req, int error)
{
	NfcRtnlDoneFunc done = req->cancelled ? NULL : req->done;
	void *user_data = req->user_data;

	g_queue_remove(&in_flight, req);
	g_queue_remove(&waiting, req);
	g_free(req->msg);
	g_free(req);
	if (done)
		done(error, user_data);
}

static void pump(void)
{
	while (req_sock && !g_queue_is_empty(&waiting) && can_send(g_queue_peek_head(&waiting))) {
		Request *req = g_queue_pop_head(&waiting);
		int r = send_msg(req->msg);

		g_clear_pointer(&req->msg, g_free);
		if (r < 0) {
			finish(req, r);
			continue;
		}
		g_queue_push_tail(&in_flight, req);
	}
}

/* Sends nlh for req now, or queues it; takes req. Its id, or -errno. */
static int submit(Request *req, struct nlmsghdr *nlh)
{
	int id = req->id;
	int r;

	if (!req_sock || !nlh) {
		g_free(req);
		return req_sock ? -EINVAL : -ENOTCONN;
	}
	if (++next_seq == 0)
		next_seq = 1;
	req->seq = nlh->nlmsg_seq = next_seq;
	req->dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (!req->dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (g_queue_is_empty(&waiting) && can_send(req)) {
		r = send_msg(nlh);
		if (r < 0) {
			g_free(req);
			return r;
		}
		g_queue_push_tail(&in_flight, req);
		return id;
	}
	req->msg = g_memdup2(nlh, nlh->nlmsg_len);
	g_queue_push_tail(&waiting, req);
	return id;
}

static Request *find_in_flight(unsigned int seq)
{
	for (GList *l = in_flight.head; l; l = l->next)
		if (((Request *)l->data)->seq == seq)
			return l->data;
	return NULL;
}

/* One datagram from the kernel into buf: its length or a negative
 * errno. Anything not from the kernel (port 0) is dropped: another local
 * process could otherwise forge our acks or events. */
static ssize_t receive(struct mnl_socket *sock, uint8_t *buf)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, NFC_RTNL_BUF_SIZE };
		struct msghdr mh = {
			.msg_name = &sa,
			.msg_namelen = sizeof(sa),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n = recvmsg(mnl_socket_get_fd(sock), &mh, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (mh.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue;
		return n;
	}
}

static gboolean on_monitor_socket(int fd, GIOCondition cond, gpointer data);

/* The kernel queues a change's events on the monitor before it sends the
 * ack: reading them now puts the change in the cache (and before the
 * watchers) by the time done is told, so that a bridge just made can be
 * looked up by name from its done. Not from inside the monitor's own
 * reading (a nested main loop in a watcher): its buffer is being walked. */
static void catch_up(void)
{
	if (mon_sock && !in_monitor)
		on_monitor_socket(-1, 0, NULL);
}

static void handle_reply(const struct nlmsghdr *nlh)
{
	Request *req = find_in_flight(nlh->nlmsg_seq);
	const char *text = NULL;
	int err = 0;

	/* no request: a late reply to one failed already */
	if (!req)
		return;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		err = nfc_rtnl_parse_error(nlh, &text);
		if (text)
			nfc_debug("rtnetlink request %u: %s", req->seq, text);
		if (err == 0 && req->catch_up) {
			unsigned int seq = req->seq;

			catch_up();
			/* a watcher may have shut us down (and so finished req) */
			if (!req_sock || !(req = find_in_flight(seq)))
				return;
		}
		finish(req, err);
		break;
	case NLMSG_DONE:
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
			memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(int));
		finish(req, err <= 0 ? err : -err);
		break;
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		break;
	default:
		if (req->dump && req->on_msg && !req->cancelled)
			req->on_msg(req, nlh);
		break;
	}
}

static gboolean on_request_socket(int fd, GIOCondition cond, gpointer data)
{
	for (;;) {
		ssize_t n = receive(req_sock, rx_buf);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rx_buf;
		int rest = (int)n;

		if (n == -EAGAIN)
			break;
		if (n == -ENOBUFS) {
			/* their answers are lost: fail them rather than wait forever */
			nfc_error("rtnetlink: replies lost (ENOBUFS), failing %u requests",
				  in_flight.length);
			while (!g_queue_is_empty(&in_flight) && req_sock)
				finish(g_queue_peek_head(&in_flight), -ENOBUFS);
			if (!req_sock)
				return G_SOURCE_REMOVE;
			continue;
		}
		if (n < 0) {
			nfc_error("rtnetlink: receive failed: %s", g_strerror((int)-n));
			break;
		}
		for (; nfc_rtnl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			handle_reply(nlh);
			/* a callback may have shut us down */
			if (!req_sock)
				return G_SOURCE_REMOVE;
		}
	}
	pump();
	return G_SOURCE_CONTINUE;
}

/* ---- sync: dump, diff, replay ---- */

static void sync_dump(int type);

static void sync_reset_snapshot(void)
{
	g_clear_pointer(&sync_run->links, g_hash_table_unref);
	g_clear_pointer(&sync_run->addrs, g_hash_table_unref);
	sync_run->links = links_new();
	sync_run->addrs = addrs_new();
	sync_run->interrupted = false;
	sync_again = false;
}

static void start_sync(void)
{
	if (sync_run) {
		/* the dump running may predate what was lost: do it again */
		sync_again = true;
		return;
	}
	sync_run = g_new0(Sync, 1);
	sync_run->initial = !ready;
	sync_reset_snapshot();
	sync_dump(RTM_GETLINK);
}

static gboolean sync_retry(gpointer data)
{
	sync_retry_source = 0;
	sync_reset_snapshot();
	sync_dump(RTM_GETLINK);
	return G_SOURCE_REMOVE;
}

static void sync_failed(int error)
{
	nfc_warn("rtnetlink: dump failed: %s; retrying", g_strerror(-error));
	if (!sync_retry_source)
		sync_retry_source = g_timeout_add_seconds(1, sync_retry, NULL);
}

static void on_sync_msg(Request *req, const struct nlmsghdr *nlh)
{
	NfcRtnlLink link;
	NfcRtnlAddr addr;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		sync_run->interrupted = true;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		if (nfc_rtnl_parse_link(nlh, &link) == 0)
			g_hash_table_replace(sync_run->links, GINT_TO_POINTER(link.index),
					     g_memdup2(&link, sizeof(link)));
		break;
	case RTM_NEWADDR:
		if (nfc_rtnl_parse_addr(nlh, &addr) == 0)
			g_hash_table_add(sync_run->addrs, g_memdup2(&addr, sizeof(addr)));
		break;
	case RTM_NEWROUTE:
		/* routes are not cached: the first dump only tells the watchers */
		route_event(nlh);
		break;
	default:
		break;
	}
}

/* The snapshot becomes the cache; the watchers hear what differs: new and
 * changed links, removed then new and changed addresses, removed links. */
static void apply_snapshot(void)
{
	g_autoptr(GHashTable) old_links = links;
	g_autoptr(GHashTable) old_addrs = addrs;
	GList *list;

	links = g_steal_pointer(&sync_run->links);
	addrs = g_steal_pointer(&sync_run->addrs);

	list = sorted_values(links, link_cmp);
	for (GList *l = list; l; l = l->next) {
		const NfcRtnlLink *link = l->data;
		const NfcRtnlLink *old = g_hash_table_lookup(old_links, GINT_TO_POINTER(link->index));

		if (!old || !link_same(old, link))
			EMIT(link_changed, link);
	}
	g_list_free(list);

	list = sorted_values(old_addrs, addr_cmp);
	for (GList *l = list; l; l = l->next)
		if (!g_hash_table_contains(addrs, l->data))
			EMIT(addr_removed, l->data);
	g_list_free(list);

	list = sorted_values(addrs, addr_cmp);
	for (GList *l = list; l; l = l->next) {
		const NfcRtnlAddr *old = g_hash_table_lookup(old_addrs, l->data);

		if (!old || !addr_same(old, l->data))
			EMIT(addr_added, l->data);
	}
	g_list_free(list);

	list = sorted_values(old_links, link_cmp);
	for (GList *l = list; l; l = l->next) {
		const NfcRtnlLink *old = l->data;

		if (!g_hash_table_contains(links, GINT_TO_POINTER(old->index)))
			EMIT(link_removed, old->index, old->name);
	}
	g_list_free(list);
}

static void finish_sync(void)
{
	bool initial = sync_run->initial;
	GBytes *bytes;

	g_clear_pointer(&sync_run->links, g_hash_table_unref);
	g_clear_pointer(&sync_run->addrs, g_hash_table_unref);
	g_clear_pointer(&sync_run, g_free);
	if (!initial)
		resyncs++;
	nfc_debug("rtnetlink: %s, %u held-back events", initial ? "synced" : "resynced",
		  backlog.length);
	while ((bytes = g_queue_pop_head(&backlog))) {
		apply_event(g_bytes_get_data(bytes, NULL));
		g_bytes_unref(bytes);
	}
	if (!initial)
		NFC_WATCH_LIST_NOTIFY_NO_ARGS(&watchers, NfcRtnlWatch, resynced);
	if (initial) {
		ReadyFunc *rf;

		ready = true;
		while ((rf = g_queue_pop_head(&ready_funcs))) {
			rf->func(rf->user_data);
			g_free(rf);
		}
	}
	if (sync_again && req_sock) {
		sync_again = false;
		start_sync();
	}
}

static void on_sync_done(int error, void *user_data)
{
	if (error < 0) {
		sync_failed(error);
		return;
	}
	switch (sync_run->step) {
	case RTM_GETLINK:
		sync_dump(RTM_GETADDR);
		break;
	case RTM_GETADDR:
		if (sync_run->interrupted || sync_again) {
			nfc_debug("rtnetlink: links changed while dumping, dumping again");
			sync_reset_snapshot();
			sync_dump(RTM_GETLINK);
			break;
		}
		apply_snapshot();
		if (sync_run->initial) {
			sync_dump(RTM_GETROUTE);
			break;
		}
		finish_sync();
		break;
	default:
		finish_sync();
		break;
	}
}

static void sync_dump(int type)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req = request_new(on_sync_done, &sync_tag);
	int r;

	sync_run->step = type;
	req->on_msg = on_sync_msg;
	r = submit(req, nfc_rtnl_msg_dump(buf, type, AF_UNSPEC));
	if (r < 0)
		sync_failed(r);
}

/* After an overrun, the events still queued and held back are older than
 * the loss: replayed over the fresh dump they would bring back what a lost
 * event undid. The dump, sent after this, covers them all. */
static void drain_monitor(void)
{
	GBytes *bytes;

	while ((bytes = g_queue_pop_head(&backlog)))
		g_bytes_unref(bytes);
	/* bounded: an endless storm must not hang the daemon */
	for (int i = 0; i < 4096; i++) {
		ssize_t n = receive(mon_sock, mon_buf);

		if (n == -EAGAIN)
			return;
		if (n < 0 && n != -ENOBUFS && n != -EMSGSIZE)
			return;
	}
	nfc_warn("rtnetlink: events keep coming, resyncing anyway");
}

static gboolean read_monitor(void)
{
	for (;;) {
		ssize_t n = receive(mon_sock, mon_buf);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)mon_buf;
		int rest = (int)n;

		if (n == -EAGAIN)
			break;
		if (n == -ENOBUFS || n == -EMSGSIZE) {
			nfc_warn("rtnetlink: events lost (%s), resynchronising",
				 g_strerror((int)-n));
			drain_monitor();
			start_sync();
			continue;
		}
		if (n < 0) {
			nfc_error("rtnetlink: monitor receive failed: %s", g_strerror((int)-n));
			break;
		}
		for (; nfc_rtnl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			if (sync_run)
				g_queue_push_tail(&backlog, g_bytes_new(nlh, nlh->nlmsg_len));
			else
				apply_event(nlh);
			if (!mon_sock)
				return G_SOURCE_REMOVE;
		}
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_monitor_socket(int fd, GIOCondition cond, gpointer data)
{
	gboolean r;

	in_monitor = true;
	r = read_monitor();
	in_monitor = false;
	return r;
}

/* ---- life cycle ---- */

static int open_socket(struct mnl_socket **sock)
{
	*sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!*sock)
		return -errno;
	if (mnl_socket_bind(*sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		g_clear_pointer(sock, mnl_socket_close);
		return err;
	}
	return 0;
}

static int set_membership(unsigned int group, bool on)
{
	if (mnl_socket_setsockopt(mon_sock, on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP,
				  &group, sizeof(group)) < 0)
		return -errno;
	return 0;
}

static int subscribe(void)
{
	static const unsigned int groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
		RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
		RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE,
		RTNLGRP_ND_USEROPT,
	};

	/* no NETLINK_NO_ENOBUFS: an overrun must be heard, it means a resync */
	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
		int r = set_membership(groups[i], true);

		if (r < 0)
			return r;
	}
	/* monitoring asked for before init (or across a restart of ours) */
	return neigh_refs ? set_membership(RTNLGRP_NEIGH, true) : 0;
}

int nfc_rtnl_init(void)
{
	int one = 1;
	int r;

	if (req_sock)
		return -EALREADY;
	r = open_socket(&req_sock);
	if (r < 0)
		return r;
	/* acks without the echoed request (small), with the kernel's
	 * explanation of an error (for the debug log) */
	mnl_socket_setsockopt(req_sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(req_sock, NETLINK_EXT_ACK, &one, sizeof(one));
	r = open_socket(&mon_sock);
	if (r == 0)
		r = subscribe();
	if (r < 0) {
		g_clear_pointer(&mon_sock, mnl_socket_close);
		g_clear_pointer(&req_sock, mnl_socket_close);
		return r;
	}
	req_source = g_unix_fd_add(mnl_socket_get_fd(req_sock), G_IO_IN, on_request_socket, NULL);
	mon_source = g_unix_fd_add(mnl_socket_get_fd(mon_sock), G_IO_IN, on_monitor_socket, NULL);
	links = links_new();
	addrs = addrs_new();
	next_seq = (unsigned int)time(NULL);
	ready = false;
	resyncs = 0;
	start_sync();
	return 0;
}

void nfc_rtnl_cleanup(void)
{
	Request *req;
	GBytes *bytes;

	if (!req_sock)
		return;
	g_clear_handle_id(&req_source, g_source_remove);
	g_clear_handle_id(&mon_source, g_source_remove);
	g_clear_handle_id(&sync_retry_source, g_source_remove);
	g_clear_pointer(&req_sock, mnl_socket_close);
	g_clear_pointer(&mon_sock, mnl_socket_close);
	/* exactly once, even now; a sync's own dumps just go */
	while ((req = g_queue_peek_head(&in_flight)) || (req = g_queue_peek_head(&waiting))) {
		if (req->user_data == &sync_tag)
			req->cancelled = true;
		finish(req, -ECANCELED);
	}
	if (sync_run) {
		g_clear_pointer(&sync_run->links, g_hash_table_unref);
		g_clear_pointer(&sync_run->addrs, g_hash_table_unref);
		g_clear_pointer(&sync_run, g_free);
	}
	sync_again = false;
	while ((bytes = g_queue_pop_head(&backlog)))
		g_bytes_unref(bytes);
	g_queue_clear_full(&ready_funcs, g_free);
	nfc_watch_list_clear(&watchers);
	g_clear_pointer(&links, g_hash_table_unref);
	g_clear_pointer(&addrs, g_hash_table_unref);
	ready = false;
}

bool nfc_rtnl_is_ready(void)
{
	return ready;
}

void nfc_rtnl_when_ready(void (*func)(void *user_data), void *user_data)
{
	ReadyFunc *rf;

	if (ready) {
		func(user_data);
		return;
	}
	rf = g_new0(ReadyFunc, 1);
	rf->func = func;
	rf->user_data = user_data;
	g_queue_push_tail(&ready_funcs, rf);
}

const NfcRtnlLink *nfc_rtnl_link_get(int index)
{
	return links ? g_hash_table_lookup(links, GINT_TO_POINTER(index)) : NULL;
}

const NfcRtnlLink *nfc_rtnl_link_get_by_name(const char *name)
{
	GHashTableIter it;
	gpointer value;

	if (!links)
		return NULL;
	g_hash_table_iter_init(&it, links);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (strcmp(((NfcRtnlLink *)value)->name, name) == 0)
			return value;
	return NULL;
}

/* ---- the request API ---- */

int nfc_rtnl_link_set_up(int ifindex, bool up, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data), nfc_rtnl_msg_link_set_up(buf, ifindex, up));
}

int nfc_rtnl_addr_add(const NfcRtnlAddr *addr, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data), nfc_rtnl_msg_addr(buf, RTM_NEWADDR, addr));
}

int nfc_rtnl_addr_del(const NfcRtnlAddr *addr, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data), nfc_rtnl_msg_addr(buf, RTM_DELADDR, addr));
}

int nfc_rtnl_route_add(const NfcRtnlRoute *route, bool replace, NfcRtnlDoneFunc done,
		       void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data),
		      nfc_rtnl_msg_route(buf, RTM_NEWROUTE, replace, route));
}

int nfc_rtnl_route_del(const NfcRtnlRoute *route, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data),
		      nfc_rtnl_msg_route(buf, RTM_DELROUTE, false, route));
}

int nfc_rtnl_rule_add(const NfcRtnlRule *rule, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data), nfc_rtnl_msg_rule(buf, RTM_NEWRULE, rule));
}

int nfc_rtnl_rule_del(const NfcRtnlRule *rule, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];

	return submit(request_new(done, user_data), nfc_rtnl_msg_rule(buf, RTM_DELRULE, rule));
}

int nfc_rtnl_link_add_bridge(const char *name, uint32_t forward_delay, NfcRtnlDoneFunc done,
			     void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req = request_new(done, user_data);

	req->catch_up = true;
	return submit(req, nfc_rtnl_msg_link_add_bridge(buf, name, forward_delay));
}

int nfc_rtnl_link_del(int ifindex, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req = request_new(done, user_data);

	req->catch_up = true;
	return submit(req, nfc_rtnl_msg_link_del(buf, ifindex));
}

int nfc_rtnl_link_set_master(int ifindex, int master, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req = request_new(done, user_data);

	req->catch_up = true;
	return submit(req, nfc_rtnl_msg_link_set_master(buf, ifindex, master));
}

static void on_rule_dump_msg(Request *req, const struct nlmsghdr *nlh)
{
	NfcRtnlRule rule;

	if (nlh->nlmsg_type == RTM_NEWRULE && nfc_rtnl_parse_rule(nlh, &rule) == 0 && req->each.rule)
		req->each.rule(&rule, req->user_data);
}

static void on_route_dump_msg(Request *req, const struct nlmsghdr *nlh)
{
	NfcRtnlRoute route;
	bool cloned;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nfc_rtnl_parse_route(nlh, &route, &cloned) < 0 ||
	    cloned)
		return;
	/* without strict checking the kernel dumps every table */
	if (req->table && route.table != req->table)
		return;
	if (req->each.route)
		req->each.route(&route, req->user_data);
}

static bool dump_family_ok(int family)
{
	return family == AF_UNSPEC || family == AF_INET || family == AF_INET6;
}

int nfc_rtnl_rule_dump(int family, void (*each)(const NfcRtnlRule *rule, void *user_data),
		       NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req;

	if (!dump_family_ok(family))
		return -EAFNOSUPPORT;
	req = request_new(done, user_data);
	req->on_msg = on_rule_dump_msg;
	req->each.rule = each;
	return submit(req, nfc_rtnl_msg_dump(buf, RTM_GETRULE, family));
}

int nfc_rtnl_route_dump(int family, uint32_t table,
			void (*each)(const NfcRtnlRoute *route, void *user_data),
			NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req;

	if (!dump_family_ok(family))
		return -EAFNOSUPPORT;
	req = request_new(done, user_data);
	req->on_msg = on_route_dump_msg;
	req->each.route = each;
	req->table = table;
	return submit(req, nfc_rtnl_msg_dump(buf, RTM_GETROUTE, family));
}

static void on_link_dump_msg(Request *req, const struct nlmsghdr *nlh)
{
	NfcRtnlLink link;

	if (nlh->nlmsg_type == RTM_NEWLINK && nfc_rtnl_parse_link(nlh, &link) == 0 && req->each.link)
		req->each.link(&link, req->user_data);
}

int nfc_rtnl_link_dump(void (*each)(const NfcRtnlLink *link, void *user_data),
		       NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req = request_new(done, user_data);

	req->on_msg = on_link_dump_msg;
	req->each.link = each;
	return submit(req, nfc_rtnl_msg_dump(buf, RTM_GETLINK, AF_UNSPEC));
}

void nfc_rtnl_neigh_monitor(bool on)
{
	int r = 0;

	if (!on && neigh_refs == 0) {
		nfc_warn("rtnetlink: neighbour monitoring turned off more often than on");
		return;
	}
	neigh_refs += on ? 1 : -1;
	/* the group is joined by the first and left by the last */
	if (mon_sock && neigh_refs == (on ? 1u : 0u))
		r = set_membership(RTNLGRP_NEIGH, on);
	if (r < 0)
		nfc_error("rtnetlink: cannot %s the neighbour group: %s", on ? "join" : "leave",
			  g_strerror(-r));
}

static void on_neigh_dump_msg(Request *req, const struct nlmsghdr *nlh)
{
	NfcRtnlNeigh neigh;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nfc_rtnl_parse_neigh(nlh, &neigh) < 0)
		return;
	/* the kernel dumps every link; what is not live is, for our
	 * callers, not there */
	if ((req->family != AF_UNSPEC && neigh.family != req->family) ||
	    (req->ifindex && neigh.index != req->ifindex) ||
	    nfc_rtnl_neigh_classify(RTM_NEWNEIGH, neigh.state) != NFC_RTNL_NEIGH_CHANGED)
		return;
	if (req->each.neigh)
		req->each.neigh(&neigh, req->user_data);
}

int nfc_rtnl_neigh_dump(int family, int ifindex,
			void (*each)(const NfcRtnlNeigh *neigh, void *user_data),
			NfcRtnlDoneFunc done, void *user_data)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	Request *req;

	if (!dump_family_ok(family))
		return -EAFNOSUPPORT;
	if (ifindex < 0)
		return -EINVAL;
	req = request_new(done, user_data);
	req->on_msg = on_neigh_dump_msg;
	req->each.neigh = each;
	req->family = family;
	req->ifindex = ifindex;
	return submit(req, nfc_rtnl_msg_dump(buf, RTM_GETNEIGH, family));
}

bool nfc_rtnl_cancel(int id)
{
	GQueue *queues[] = { &waiting, &in_flight };

	/* the request still goes out and completes; its caller hears nothing */
	for (size_t i = 0; i < G_N_ELEMENTS(queues); i++)
		for (GList *l = queues[i]->head; l; l = l->next) {
			Request *req = l->data;

			if (req->id != id)
				continue;
			if (req->cancelled)
				return false;
			req->cancelled = true;
			return true;
		}
	return false;
}

int nfc_rtnl_test_monitor_fd(void)
{
	return mon_sock ? mnl_socket_get_fd(mon_sock) : -1;
}

unsigned int nfc_rtnl_test_resyncs(bool *busy)
{
	if (busy)
		*busy = sync_run != NULL || backlog.length > 0;
	return resyncs;
}
