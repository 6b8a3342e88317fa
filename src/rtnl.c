// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "log.h"

typedef struct {
	NfcRtnlDoneFunc done;
	void *user_data;
} Request;

static struct mnl_socket *nl;
static guint nl_watch;
static unsigned int nl_portid;
static unsigned int next_seq;
static GHashTable *pending; /* seq → Request */

static void complete(unsigned int seq, int error)
{
	Request *req = g_hash_table_lookup(pending, GUINT_TO_POINTER(seq));

	if (!req)
		return;
	g_hash_table_steal(pending, GUINT_TO_POINTER(seq));
	if (req->done)
		req->done(error, req->user_data);
	g_free(req);
}

static gboolean on_readable(int fd, GIOCondition cond, gpointer data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return G_SOURCE_CONTINUE;
			nfc_error("rtnetlink receive failed: %s", g_strerror(errno));
			return G_SOURCE_CONTINUE;
		}
		for (int rest = len; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

				complete(nlh->nlmsg_seq, err->error);
			}
		}
	}
}

int nfc_rtnl_init(void)
{
	int fd;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl);
		nl = NULL;
		return err;
	}
	nl_portid = mnl_socket_get_portid(nl);
	fd = mnl_socket_get_fd(nl);
	nl_watch = g_unix_fd_add(fd, G_IO_IN, on_readable, NULL);
	pending = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	next_seq = (unsigned int)time(NULL);
	return 0;
}

void nfc_rtnl_cleanup(void)
{
	if (!nl)
		return;
	g_source_remove(nl_watch);
	nl_watch = 0;
	mnl_socket_close(nl);
	nl = NULL;
	g_clear_pointer(&pending, g_hash_table_unref);
}

static int send_request(struct nlmsghdr *nlh, NfcRtnlDoneFunc done, void *user_data)
{
	Request *req;

	if (!nl)
		return -ENOTCONN;
	if (++next_seq == 0)
		next_seq = 1;
	nlh->nlmsg_seq = next_seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	req = g_new0(Request, 1);
	req->done = done;
	req->user_data = user_data;
	g_hash_table_insert(pending, GUINT_TO_POINTER(nlh->nlmsg_seq), req);
	return 0;
}

int nfc_rtnl_link_set_up(int ifindex, bool up, NfcRtnlDoneFunc done, void *user_data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return send_request(nlh, done, user_data);
}

void nfc_rtnl_cancel(void *user_data)
{
	GHashTableIter it;
	gpointer value;

	if (!pending)
		return;
	g_hash_table_iter_init(&it, pending);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		Request *req = value;

		if (req->user_data == user_data)
			req->done = NULL;
	}
}
