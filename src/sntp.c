// SPDX-License-Identifier: GPL-2.0-or-later
#include "sntp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>

#include "log.h"

/* seconds from 1900-01-01 (NTP era 0) to 1970-01-01 */
#define NTP_UNIX_DELTA 2208988800LL
#define NS_PER_SEC 1000000000LL

#define MODE_CLIENT 3
#define MODE_SERVER 4

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

uint64_t nfc_sntp_timestamp_from_ns(int64_t ns)
{
	int64_t sec = ns / NS_PER_SEC, rem = ns % NS_PER_SEC;
	uint64_t frac;

	if (rem < 0) {
		rem += NS_PER_SEC;
		sec--;
	}
	/* wraps into era 1 after 2036, which the reader undoes */
	frac = ((uint64_t)rem << 32) / NS_PER_SEC;
	return ((uint64_t)(uint32_t)(sec + NTP_UNIX_DELTA) << 32) | frac;
}

int64_t nfc_sntp_timestamp_to_ns(uint64_t ts)
{
	int64_t sec = (int64_t)(ts >> 32);
	uint64_t frac = ts & 0xffffffffu;

	/* RFC 4330 §3: top bit clear means after 2036 (era 1) */
	if (!(sec & 0x80000000LL))
		sec += 1LL << 32;
	sec -= NTP_UNIX_DELTA;
	return sec * NS_PER_SEC + (int64_t)((frac * NS_PER_SEC) >> 32);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void nfc_sntp_build_request(uint8_t buf[NFC_SNTP_PACKET_SIZE], int64_t transmit_ns)
{
	memset(buf, 0, NFC_SNTP_PACKET_SIZE);
	buf[0] = 4 << 3 | MODE_CLIENT; /* LI 0, VN 4 */
	/* everything else stays 0 (RFC 4330 §5): only the transmit
	 * timestamp, which the server echoes back as the originate one */
	put64(buf + 40, nfc_sntp_timestamp_from_ns(transmit_ns));
}

int nfc_sntp_parse_reply(const uint8_t *buf, size_t len, int64_t originate_ns,
			 NfcSntpReply *reply)
{
	uint64_t originate, receive, transmit;
	int mode;

	memset(reply, 0, sizeof(*reply));
	if (len < NFC_SNTP_PACKET_SIZE)
		return -EBADMSG;
	reply->leap = buf[0] >> 6;
	reply->version = buf[0] >> 3 & 7;
	mode = buf[0] & 7;
	reply->stratum = buf[1];
	if (mode != MODE_SERVER || reply->version < 3 || reply->version > 4)
		return -EBADMSG;
	originate = get64(buf + 24);
	receive = get64(buf + 32);
	transmit = get64(buf + 40);
	/* compared as on the wire: what we sent, bit for bit */
	if (originate != nfc_sntp_timestamp_from_ns(originate_ns))
		return -ESTALE;
	if (reply->stratum == 0) {
		memcpy(reply->kiss, buf + 12, 4);
		for (int i = 0; i < 4; i++)
			if (!g_ascii_isprint(reply->kiss[i]))
				reply->kiss[i] = '?';
		return -EAGAIN;
	}
	if (reply->leap == 3)
		return -ENOLINK;
	if (reply->stratum > 15 || !receive || !transmit)
		return -EBADMSG;
	reply->receive_ns = nfc_sntp_timestamp_to_ns(receive);
	reply->transmit_ns = nfc_sntp_timestamp_to_ns(transmit);
	return 0;
}

void nfc_sntp_offset(int64_t t1, int64_t t2, int64_t t3, int64_t t4, int64_t *offset_ns,
		     int64_t *delay_ns)
{
	/* halves first: the sums of two far-off differences cannot overflow */
	*offset_ns = (t2 - t1) / 2 + (t3 - t4) / 2;
	*delay_ns = (t4 - t1) - (t3 - t2);
	if (*delay_ns < 0)
		*delay_ns = 0;
}

NfcSntpAction nfc_sntp_decide(int64_t offset_ns, int64_t delay_ns)
{
	int64_t mag = offset_ns < 0 ? -offset_ns : offset_ns;

	if (mag < NFC_SNTP_KEEP_THRESHOLD_NS || mag <= delay_ns / 2)
		return NFC_SNTP_KEEP;
	if (mag < NFC_SNTP_STEP_THRESHOLD_NS)
		return NFC_SNTP_SLEW;
	return NFC_SNTP_STEP;
}

const char *nfc_sntp_action_to_string(NfcSntpAction action)
{
	switch (action) {
	case NFC_SNTP_KEEP:
		return "keep";
	case NFC_SNTP_SLEW:
		return "slew";
	case NFC_SNTP_STEP:
		return "step";
	}
	return "keep";
}

/* ---- the client ---- */

struct NfcSntpQuery {
	char *server;
	int ifindex;
	NfcSntpDone done;
	void *user_data;
	GCancellable *cancel;   /* the name lookup */
	GInetAddress *addr;     /* a literal address, until sent to */
	int fd;
	guint io_id, timer_id, start_id;
	int64_t t1;
	NfcSntpResult result;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void query_free(NfcSntpQuery *q)
{
	if (q->cancel) {
		g_cancellable_cancel(q->cancel);
		g_clear_object(&q->cancel);
	}
	g_clear_handle_id(&q->io_id, g_source_remove);
	g_clear_handle_id(&q->timer_id, g_source_remove);
	g_clear_handle_id(&q->start_id, g_source_remove);
	g_clear_object(&q->addr);
	if (q->fd >= 0)
		close(q->fd);
	g_free(q->server);
	g_free(q);
}

static void finish(NfcSntpQuery *q, int error)
{
	q->result.error = error;
	q->done(&q->result, q->user_data);
	query_free(q);
}

static gboolean on_timeout(gpointer data)
{
	NfcSntpQuery *q = data;

	q->timer_id = 0;
	finish(q, -ETIMEDOUT);
	return G_SOURCE_REMOVE;
}

static gboolean on_readable(int fd, GIOCondition cond, gpointer data)
{
	NfcSntpQuery *q = data;
	uint8_t buf[512];
	NfcSntpReply reply;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	int64_t t4 = now_ns();
	int r;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return G_SOURCE_CONTINUE;
		/* ICMP port unreachable and the like, reported on the socket */
		q->io_id = 0;
		finish(q, -errno);
		return G_SOURCE_REMOVE;
	}
	r = nfc_sntp_parse_reply(buf, (size_t)n, q->t1, &reply);
	if (r == -ESTALE || r == -EBADMSG) {
		/* not ours or garbage: keep waiting for the real answer */
		nfc_debug("sntp: %s: ignored a reply (%s)", q->server, g_strerror(-r));
		return G_SOURCE_CONTINUE;
	}
	q->result.stratum = reply.stratum;
	memcpy(q->result.kiss, reply.kiss, sizeof(reply.kiss));
	if (r == 0)
		nfc_sntp_offset(q->t1, reply.receive_ns, reply.transmit_ns, t4,
				&q->result.offset_ns, &q->result.delay_ns);
	q->io_id = 0;
	finish(q, r);
	return G_SOURCE_REMOVE;
}

static void send_to(NfcSntpQuery *q, GInetAddress *addr)
{
	g_autofree char *text = g_inet_address_to_string(addr);
	struct sockaddr_storage ss = { 0 };
	uint8_t pkt[NFC_SNTP_PACKET_SIZE];
	GSocketAddress *sa;
	int family = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;

	g_strlcpy(q->result.address, text, sizeof(q->result.address));
	sa = g_inet_socket_address_new(addr, NFC_SNTP_PORT);
	g_socket_address_to_native(sa, &ss, sizeof(ss), NULL);
	g_object_unref(sa);

	q->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		finish(q, -errno);
		return;
	}
	if (q->ifindex > 0 &&
	    setsockopt(q->fd, SOL_SOCKET, SO_BINDTOIFINDEX, &q->ifindex, sizeof(q->ifindex)) < 0) {
		finish(q, -errno);
		return;
	}
	/* connected: the kernel drops datagrams from anyone but the server */
	if (connect(q->fd, (struct sockaddr *)&ss,
		    family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0) {
		finish(q, -errno);
		return;
	}
	q->t1 = now_ns();
	nfc_sntp_build_request(pkt, q->t1);
	if (send(q->fd, pkt, sizeof(pkt), 0) < 0) {
		finish(q, -errno);
		return;
	}
	q->io_id = g_unix_fd_add(q->fd, G_IO_IN | G_IO_ERR, on_readable, q);
}

static void on_resolved(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(src), res, &error);
	NfcSntpQuery *q;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the query is gone */
	q = data;
	g_clear_object(&q->cancel);
	if (!addrs) {
		nfc_debug("sntp: cannot resolve %s: %s", q->server, error->message);
		finish(q, -EHOSTUNREACH);
		return;
	}
	send_to(q, addrs->data);
	g_resolver_free_addresses(addrs);
}

static gboolean on_start(gpointer data)
{
	NfcSntpQuery *q = data;
	g_autoptr(GInetAddress) addr = g_steal_pointer(&q->addr);

	q->start_id = 0;
	send_to(q, addr);
	return G_SOURCE_REMOVE;
}

NfcSntpQuery *nfc_sntp_query_start(const char *server, int ifindex, guint timeout_ms,
				   NfcSntpDone done, void *user_data)
{
	NfcSntpQuery *q = g_new0(NfcSntpQuery, 1);
	g_autoptr(GResolver) resolver = NULL;

	q->server = g_strdup(server);
	q->ifindex = ifindex;
	q->done = done;
	q->user_data = user_data;
	q->fd = -1;
	/* the timer covers the lookup too */
	q->timer_id = g_timeout_add(timeout_ms, on_timeout, q);
	q->addr = g_inet_address_new_from_string(server);
	if (q->addr) {
		/* from an idle: done never runs inside the caller */
		q->start_id = g_idle_add(on_start, q);
		return q;
	}
	q->cancel = g_cancellable_new();
	resolver = g_resolver_get_default();
	g_resolver_lookup_by_name_async(resolver, server, q->cancel, on_resolved, q);
	return q;
}

void nfc_sntp_query_cancel(NfcSntpQuery *query)
{
	if (query)
		query_free(query);
}
