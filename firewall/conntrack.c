// SPDX-License-Identifier: GPL-2.0-or-later
/* ctnetlink flush of masqueraded flows; see conntrack.h. One request runs
 * at a time: a dump of the family's entries, those NATed to the address
 * (and from the source prefix, if one is given) kept, then a delete for
 * each, a window of them in flight, each acknowledged. Raw ctnetlink over libmnl (no libnetfilter_conntrack):
 * the messages are built and parsed in conntrack-msg.c. */
#include "conntrack.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>
#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "conntrack-msg.h"
#include "log.h"
#include "rtnl-msg.h"

/* Deletes whose acks we wait for at once: enough to keep the kernel busy,
 * few enough that their acks never overrun the socket. */
#define MAX_IN_FLIGHT 64
/* Dumps of a busy table may overrun again and again: give up after this
 * many restarts rather than loop. */
#define MAX_RESTARTS 8
#define RX_SIZE 65536
#define RCVBUF_SIZE (1 << 20)

typedef struct {
	int family;
	uint8_t address[16];
	bool has_src;            /* only entries from src/src_len */
	uint8_t src[16];
	unsigned int src_len;
	NfcConntrackDoneFunc done;
	void *user_data;
} Request;

typedef enum { PHASE_IDLE, PHASE_DUMP, PHASE_DELETE } Phase;

struct NfcConntrack {
	struct mnl_socket *sock;
	guint watch;
	guint idle;              /* starts the next request */
	unsigned int seq;
	GQueue queue;            /* Request; the head one runs */
	Phase phase;
	unsigned int dump_seq;
	GArray *matches;         /* NfcCtEntry, from the dump */
	unsigned int delete_seq; /* matches[i] is deleted with seq delete_seq + i */
	unsigned int sent, acked;
	unsigned int n_deleted;
	unsigned int restarts;
	int error;               /* the first error of a delete */
	uint8_t *rx;
	bool *freed;             /* set by free() while a callback runs */
};

static gboolean on_readable(int fd, GIOCondition cond, gpointer data);

static int open_socket(NfcConntrack *ct)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int one = 1, size = RCVBUF_SIZE, err;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	/* an ack need not carry our request back */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* room for a window of acks and a dump part; best effort without
	 * CAP_NET_ADMIN (the requests would fail anyway) */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	ct->sock = nl;
	ct->watch = g_unix_fd_add(mnl_socket_get_fd(nl), G_IO_IN, on_readable, ct);
	return 0;
}

static void close_socket(NfcConntrack *ct)
{
	g_clear_handle_id(&ct->watch, g_source_remove);
	g_clear_pointer(&ct->sock, mnl_socket_close);
}

int nfc_conntrack_new(NfcConntrack **out)
{
	NfcConntrack *ct = g_new0(NfcConntrack, 1);
	int r;

	g_queue_init(&ct->queue);
	ct->matches = g_array_new(FALSE, FALSE, sizeof(NfcCtEntry));
	ct->rx = g_malloc(RX_SIZE);
	ct->seq = g_random_int();
	r = open_socket(ct);
	if (r < 0) {
		nfc_conntrack_free(ct);
		return r;
	}
	*out = ct;
	return 0;
}

void nfc_conntrack_free(NfcConntrack *ct)
{
	if (!ct)
		return;
	if (ct->freed)
		*ct->freed = true;
	close_socket(ct);
	g_clear_handle_id(&ct->idle, g_source_remove);
	g_queue_clear_full(&ct->queue, g_free);
	g_array_unref(ct->matches);
	g_free(ct->rx);
	g_free(ct);
}

static void schedule(NfcConntrack *ct);

/* The running request is over: tell its caller, then start the next.
 * Returns false if the callback freed ct. */
static bool finish(NfcConntrack *ct, int error)
{
	Request *req = g_queue_pop_head(&ct->queue);
	unsigned int n = ct->n_deleted;
	bool freed = false;

	ct->phase = PHASE_IDLE;
	/* a flush of thousands leaves megabytes behind: give them back */
	g_array_unref(ct->matches);
	ct->matches = g_array_new(FALSE, FALSE, sizeof(NfcCtEntry));
	if (!error)
		error = ct->error;
	if (req->done) {
		ct->freed = &freed;
		req->done(error, n, req->user_data);
		if (freed) {
			g_free(req);
			return false;
		}
		ct->freed = NULL;
	}
	g_free(req);
	schedule(ct);
	return true;
}

static int send_msg(NfcConntrack *ct, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(ct->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static int start_dump(NfcConntrack *ct)
{
	Request *req = g_queue_peek_head(&ct->queue);
	uint8_t buf[NFC_CT_REQUEST_SIZE];
	struct nlmsghdr *nlh = nfc_ct_msg_dump(buf, req->family);

	g_array_set_size(ct->matches, 0);
	ct->phase = PHASE_DUMP;
	ct->dump_seq = nlh->nlmsg_seq = ++ct->seq;
	return send_msg(ct, nlh);
}

/* Sends deletes until the window is full or all are sent. */
static int send_deletes(NfcConntrack *ct)
{
	uint8_t buf[NFC_CT_REQUEST_SIZE];

	while (ct->sent < ct->matches->len && ct->sent - ct->acked < MAX_IN_FLIGHT) {
		const NfcCtEntry *e = &g_array_index(ct->matches, NfcCtEntry, ct->sent);
		struct nlmsghdr *nlh = nfc_ct_msg_delete(buf, e);
		int r;

		nlh->nlmsg_seq = ct->delete_seq + ct->sent;
		r = send_msg(ct, nlh);
		if (r < 0)
			return r;
		ct->sent++;
	}
	return 0;
}

static gboolean on_idle(gpointer data)
{
	NfcConntrack *ct = data;
	int r;

	ct->idle = 0;
	if (ct->phase != PHASE_IDLE || g_queue_is_empty(&ct->queue))
		return G_SOURCE_REMOVE;
	ct->n_deleted = 0;
	ct->error = 0;
	ct->restarts = 0;
	/* a restart that could not open a new socket left none */
	r = ct->sock ? 0 : open_socket(ct);
	if (r == 0)
		r = start_dump(ct);
	if (r < 0) {
		nfc_warn("conntrack: cannot dump: %s", g_strerror(-r));
		finish(ct, r);
	}
	return G_SOURCE_REMOVE;
}

/* Requests start from the main loop, so that a caller's done never runs
 * inside its own nfc_conntrack_flush_nat_to(). */
static void schedule(NfcConntrack *ct)
{
	if (!ct->idle && ct->phase == PHASE_IDLE && !g_queue_is_empty(&ct->queue))
		ct->idle = g_idle_add(on_idle, ct);
}

static int queue_flush(NfcConntrack *ct, int family, const void *address, const void *src,
		       unsigned int src_len, NfcConntrackDoneFunc done, void *user_data)
{
	size_t len = family == AF_INET ? 4 : 16;
	Request *req;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (src && src_len > len * 8)
		return -EINVAL;
	req = g_new0(Request, 1);
	req->family = family;
	memcpy(req->address, address, len);
	if (src) {
		req->has_src = true;
		memcpy(req->src, src, len);
		req->src_len = src_len;
	}
	req->done = done;
	req->user_data = user_data;
	g_queue_push_tail(&ct->queue, req);
	schedule(ct);
	return 0;
}

int nfc_conntrack_flush_nat_to(NfcConntrack *ct, int family, const void *address,
			       NfcConntrackDoneFunc done, void *user_data)
{
	return queue_flush(ct, family, address, NULL, 0, done, user_data);
}

int nfc_conntrack_flush_nat_to_from(NfcConntrack *ct, int family, const void *address,
				    const void *src, unsigned int src_len,
				    NfcConntrackDoneFunc done, void *user_data)
{
	return queue_flush(ct, family, address, src, src_len, done, user_data);
}

/* The socket overran (ENOBUFS): dump parts or acks were lost. The kernel
 * may still be in the middle of our dump, which a new dump on this socket
 * would meet with EBUSY: start over on a new socket. What was deleted is
 * gone from the new dump; its count stays (a delete whose ack was lost is
 * not counted). The new socket is in the namespace the thread is in now,
 * as the first was: nfconnd never leaves its own. */
static bool restart(NfcConntrack *ct)
{
	int r;

	close_socket(ct);
	if (++ct->restarts > MAX_RESTARTS)
		return finish(ct, -ENOBUFS);
	nfc_debug("conntrack: socket overrun while %s; dumping again (%u)",
		  ct->phase == PHASE_DUMP ? "dumping" : "deleting", ct->restarts);
	r = open_socket(ct);
	if (r == 0)
		r = start_dump(ct);
	if (r < 0)
		return finish(ct, r);
	return true;
}

static bool dump_msg(NfcConntrack *ct, const struct nlmsghdr *nlh)
{
	Request *req = g_queue_peek_head(&ct->queue);
	NfcCtEntry e;
	int r;

	if (nlh->nlmsg_seq != ct->dump_seq)
		return true;
	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		nfc_debug("conntrack: %u entries NATed to the address", ct->matches->len);
		if (ct->matches->len == 0)
			return finish(ct, 0);
		ct->phase = PHASE_DELETE;
		ct->delete_seq = ct->seq + 1;
		ct->seq += ct->matches->len;
		ct->sent = ct->acked = 0;
		r = send_deletes(ct);
		return r < 0 ? finish(ct, r) : true;
	case NLMSG_ERROR:
		r = nfc_rtnl_parse_error(nlh, NULL);
		nfc_warn("conntrack: dump failed: %s", g_strerror(-r));
		return finish(ct, r ? r : -EIO);
	default:
		if (nfc_ct_msg_parse(nlh, &e) == 0 && nfc_ct_entry_nat_to(&e, req->family, req->address) &&
		    (!req->has_src || nfc_ct_entry_from(&e, req->family, req->src, req->src_len)))
			g_array_append_val(ct->matches, e);
		return true;
	}
}

static bool delete_ack(NfcConntrack *ct, const struct nlmsghdr *nlh)
{
	unsigned int i = nlh->nlmsg_seq - ct->delete_seq;
	int r;

	if (nlh->nlmsg_type != NLMSG_ERROR || i >= ct->sent)
		return true;
	r = nfc_rtnl_parse_error(nlh, NULL);
	if (r == 0)
		ct->n_deleted++;
	else if (r != -ENOENT && !ct->error) /* ENOENT: it timed out or was deleted meanwhile */
		ct->error = r;
	if (r != 0 && r != -ENOENT)
		nfc_debug("conntrack: delete failed: %s", g_strerror(-r));
	if (++ct->acked == ct->matches->len)
		return finish(ct, 0);
	r = send_deletes(ct);
	return r < 0 ? finish(ct, r) : true;
}

static gboolean on_readable(int fd, GIOCondition cond, gpointer data)
{
	NfcConntrack *ct = data;

	for (;;) {
		ssize_t len = mnl_socket_recvfrom(ct->sock, ct->rx, RX_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)ct->rx;

		if (len < 0) {
			int err = errno;

			if (err == EAGAIN || err == EINTR)
				return G_SOURCE_CONTINUE;
			if (err == ENOBUFS && ct->phase != PHASE_IDLE) {
				/* the old socket's watch is gone: keep no reference to it */
				restart(ct);
				return G_SOURCE_REMOVE;
			}
			nfc_warn("conntrack: receive failed: %s", g_strerror(err));
			if (ct->phase != PHASE_IDLE && !finish(ct, -err))
				return G_SOURCE_REMOVE;
			return G_SOURCE_CONTINUE;
		}
		for (int rest = len; nfc_rtnl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			bool alive = true;

			if (ct->phase == PHASE_DUMP)
				alive = dump_msg(ct, nlh);
			else if (ct->phase == PHASE_DELETE)
				alive = delete_ack(ct, nlh);
			if (!alive)
				return G_SOURCE_REMOVE;
		}
	}
}

int nfc_conntrack_fd(NfcConntrack *ct)
{
	return ct->sock ? mnl_socket_get_fd(ct->sock) : -1;
}
