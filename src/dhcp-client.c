// SPDX-License-Identifier: GPL-2.0-or-later
/* The DHCPv4 client state machine (RFC 2131 4.4) and its two sockets: an
 * AF_PACKET socket while the client has no usable address (and to catch
 * broadcast NAKs while renewing), a UDP socket bound to the leased
 * address for renewing, rebinding and releasing. */
#include "dhcp-client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "dhcp-packet.h"
#include "log.h"

#define DEFAULT_FAILURE_TIMEOUT 30
#define BACKOFF_FIRST_MS 4000
#define BACKOFF_MAX_MS 64000
#define JITTER_MS 1000
/* INIT-REBOOT falls back to DISCOVER after this many unanswered REQUESTs,
 * REQUESTING after this many. */
#define REBOOT_TRIES 2
#define REQUEST_TRIES 4
/* RFC 2131 4.4.5: while renewing/rebinding wait half the remaining time,
 * but at least this long. */
#define RENEW_MIN_WAIT_S 60
/* After a NAK the client starts over at once; after another one without a
 * lease in between it waits this long, doubling up to the maximum: a server
 * that NAKs every REQUEST would otherwise get DISCOVER, REQUEST, NAK in a
 * tight loop (RFC 2131 3.1: wait at least ten seconds when looping). */
#define NAK_RESTART_FIRST_S 10
#define NAK_RESTART_MAX_S 60

typedef enum {
	STATE_STOPPED,
	STATE_SELECTING,  /* DISCOVER sent, waiting for an OFFER */
	STATE_REQUESTING, /* REQUEST for an offer sent */
	STATE_REBOOTING,  /* INIT-REBOOT REQUEST sent */
	STATE_BOUND,
	STATE_RENEWING,   /* unicast REQUEST to our server */
	STATE_REBINDING,  /* broadcast REQUEST to any server */
	STATE_INIT,       /* waiting to restart after repeated NAKs */
} State;

struct NfcDhcpClient {
	int ifindex;
	uint8_t mac[6];
	NfcDhcpEventFunc func;
	void *user_data;
	char *hostname;
	char *vendor_class;
	unsigned int failure_timeout;

	State state;
	uint32_t xid;
	gint64 exchange_start;   /* monotonic µs, for the secs field */
	gint64 request_time;     /* when the last REQUEST left: the lease starts there */
	unsigned int attempt;    /* transmissions of the current message so far */
	unsigned int naks;       /* NAKs since the last lease */
	struct in_addr offered;  /* REQUESTING: the address and its server */
	struct in_addr offer_server;
	struct in_addr reboot_address;

	bool have_lease;
	NfcDhcpLease lease;
	gint64 lease_start;      /* monotonic µs */

	int raw_fd;
	guint raw_watch;
	int udp_fd;
	guint udp_watch;

	guint resend_timer;
	guint restart_timer;
	guint failure_timer;
	guint t1_timer, t2_timer, expiry_timer;
};

static void transmit(NfcDhcpClient *client);
static void start_discover(NfcDhcpClient *client);

static const char *state_name(State s)
{
	static const char *const names[] = {
		"stopped", "selecting", "requesting", "rebooting", "bound", "renewing", "rebinding",
		"init",
	};

	return names[s];
}

static void set_state(NfcDhcpClient *client, State s)
{
	if (client->state != s)
		nfc_debug("dhcp %d: %s -> %s", client->ifindex, state_name(client->state),
			  state_name(s));
	client->state = s;
}

/* Calls the user; returns false when the callback stopped the client. */
static bool emit(NfcDhcpClient *client, NfcDhcpEvent event, const NfcDhcpLease *lease)
{
	client->func(client, event, lease, client->user_data);
	return client->state != STATE_STOPPED;
}

/* ---- sockets ----------------------------------------------------------- */

static void close_raw(NfcDhcpClient *client)
{
	g_clear_handle_id(&client->raw_watch, g_source_remove);
	if (client->raw_fd >= 0)
		close(client->raw_fd);
	client->raw_fd = -1;
}

static void close_udp(NfcDhcpClient *client)
{
	g_clear_handle_id(&client->udp_watch, g_source_remove);
	if (client->udp_fd >= 0)
		close(client->udp_fd);
	client->udp_fd = -1;
}

static void handle_message(NfcDhcpClient *client, const uint8_t *buf, size_t len);

static gboolean on_raw_readable(int fd, GIOCondition cond, gpointer data)
{
	NfcDhcpClient *client = data;

	for (;;) {
		uint8_t buf[2048];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} ctrl;
		struct sockaddr_ll from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf),
		};
		const uint8_t *payload;
		size_t payload_len;
		bool verify = true;
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				nfc_warn("dhcp %d: packet socket: %s", client->ifindex,
					 g_strerror(errno));
			break;
		}
		if ((msg.msg_flags & MSG_TRUNC) || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct tpacket_auxdata aux;

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			/* veth and other virtual links hand over packets whose
			 * UDP checksum was never finished: nothing to verify */
			if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
				verify = false;
		}
		if (nfc_dhcp_unframe_udp(buf, (size_t)n, NFC_DHCP_CLIENT_PORT, verify, &payload,
					 &payload_len) < 0) {
			nfc_debug("dhcp %d: dropping a malformed IPv4/UDP packet", client->ifindex);
			continue;
		}
		handle_message(client, payload, payload_len);
		/* a message may have closed this socket */
		if (client->raw_fd != fd)
			return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_udp_readable(int fd, GIOCondition cond, gpointer data)
{
	NfcDhcpClient *client = data;

	for (;;) {
		uint8_t buf[2048];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				nfc_debug("dhcp %d: udp socket: %s", client->ifindex,
					  g_strerror(errno));
			break;
		}
		if ((size_t)n > sizeof(buf))
			continue;
		handle_message(client, buf, (size_t)n);
		if (client->udp_fd != fd)
			return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Accepts only UDP to port 68 that is not a fragment; the rest (version,
 * checksums, lengths) is checked in nfc_dhcp_unframe_udp. */
static const struct sock_filter raw_filter[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),                      /* protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),                      /* fragment offset */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),                     /* X = IP header length */
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),                      /* UDP destination port */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NFC_DHCP_CLIENT_PORT, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static int open_raw(NfcDhcpClient *client)
{
	struct sock_fprog prog = {
		.len = G_N_ELEMENTS(raw_filter),
		.filter = (struct sock_filter *)raw_filter,
	};
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = client->ifindex,
	};
	int one = 1, fd, r;

	if (client->raw_fd >= 0)
		return 0;
	/* protocol 0: nothing is queued before the filter is attached and
	 * the socket bound to our interface */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	client->raw_fd = fd;
	client->raw_watch = g_unix_fd_add(fd, G_IO_IN, on_raw_readable, client);
	return 0;
}

static int open_udp(NfcDhcpClient *client)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(NFC_DHCP_CLIENT_PORT),
		.sin_addr = client->lease.address,
	};
	char ifname[IF_NAMESIZE];
	int one = 1, fd, r;

	if (client->udp_fd >= 0)
		return 0;
	if (!if_indextoname(client->ifindex, ifname))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	/* IP_FREEBIND: the address may not be configured yet (or any more);
	 * the device binding keeps port 68 apart from other interfaces' clients */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	client->udp_fd = fd;
	client->udp_watch = g_unix_fd_add(fd, G_IO_IN, on_udp_readable, client);
	return 0;
}

static int send_raw(NfcDhcpClient *client, const uint8_t *msg, size_t len)
{
	uint8_t frame[NFC_DHCP_MAX_LEN + 28];
	struct sockaddr_ll dst = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = client->ifindex,
		.sll_halen = ETH_ALEN,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	int n;

	n = nfc_dhcp_frame_udp(frame, sizeof(frame), (struct in_addr){ INADDR_ANY },
			       NFC_DHCP_CLIENT_PORT, (struct in_addr){ INADDR_BROADCAST },
			       NFC_DHCP_SERVER_PORT, msg, len);
	if (n < 0)
		return n;
	if (client->raw_fd < 0)
		return -ENOTCONN;
	if (sendto(client->raw_fd, frame, (size_t)n, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return -errno;
	return 0;
}

static int send_udp(NfcDhcpClient *client, struct in_addr to, const uint8_t *msg, size_t len)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_port = htons(NFC_DHCP_SERVER_PORT),
		.sin_addr = to,
	};

	if (client->udp_fd < 0)
		return -ENOTCONN;
	if (sendto(client->udp_fd, msg, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return -errno;
	return 0;
}

/* ---- timers ------------------------------------------------------------ */

static void clear_lease_timers(NfcDhcpClient *client)
{
	g_clear_handle_id(&client->t1_timer, g_source_remove);
	g_clear_handle_id(&client->t2_timer, g_source_remove);
	g_clear_handle_id(&client->expiry_timer, g_source_remove);
}

static gboolean on_failure_timeout(gpointer data)
{
	NfcDhcpClient *client = data;

	client->failure_timer = 0;
	nfc_info("dhcp %d: no lease after %u s, still trying", client->ifindex,
		 client->failure_timeout);
	emit(client, NFC_DHCP_FAILED, NULL);
	return G_SOURCE_REMOVE;
}

/* Armed when an acquisition begins without a lease, once. */
static void arm_failure_timer(NfcDhcpClient *client)
{
	/* milliseconds: g_timeout_add_seconds may fire up to a second early */
	if (!client->failure_timer)
		client->failure_timer = g_timeout_add(client->failure_timeout * 1000,
						      on_failure_timeout, client);
}

/* Seconds left until `seconds` after the lease start (0 when past). */
static guint lease_remaining(NfcDhcpClient *client, uint32_t seconds)
{
	gint64 elapsed = (g_get_monotonic_time() - client->lease_start) / G_USEC_PER_SEC;

	return elapsed >= seconds ? 0 : (guint)(seconds - elapsed);
}

static gboolean on_resend(gpointer data);

static void schedule_resend(NfcDhcpClient *client)
{
	guint ms;

	g_clear_handle_id(&client->resend_timer, g_source_remove);
	if (client->state == STATE_RENEWING || client->state == STATE_REBINDING) {
		uint32_t deadline = client->state == STATE_RENEWING ? client->lease.t2
								    : client->lease.lease_time;
		guint s = MAX(lease_remaining(client, deadline) / 2, RENEW_MIN_WAIT_S);

		/* the T2 or expiry timer takes over before a late resend */
		client->resend_timer = g_timeout_add_seconds(s, on_resend, client);
		return;
	}
	/* RFC 2131 4.1: 4, 8, 16, ... 64 s, randomized by ±1 s */
	ms = client->attempt >= 5 ? BACKOFF_MAX_MS
				  : MIN(BACKOFF_FIRST_MS << (client->attempt - 1), BACKOFF_MAX_MS);
	ms = (guint)((gint)ms + g_random_int_range(-JITTER_MS, JITTER_MS + 1));
	client->resend_timer = g_timeout_add(ms, on_resend, client);
}

static gboolean on_resend(gpointer data)
{
	NfcDhcpClient *client = data;

	client->resend_timer = 0;
	if ((client->state == STATE_REBOOTING && client->attempt >= REBOOT_TRIES) ||
	    (client->state == STATE_REQUESTING && client->attempt >= REQUEST_TRIES)) {
		nfc_debug("dhcp %d: no answer to REQUEST, back to DISCOVER", client->ifindex);
		start_discover(client);
		return G_SOURCE_REMOVE;
	}
	transmit(client);
	schedule_resend(client);
	return G_SOURCE_REMOVE;
}

static void new_exchange(NfcDhcpClient *client, State state)
{
	set_state(client, state);
	client->xid = g_random_int();
	client->attempt = 0;
	client->exchange_start = g_get_monotonic_time();
}

/* ---- transmitting ------------------------------------------------------ */

static void transmit(NfcDhcpClient *client)
{
	uint8_t msg[NFC_DHCP_MAX_LEN];
	gint64 secs = (g_get_monotonic_time() - client->exchange_start) / G_USEC_PER_SEC;
	NfcDhcpClientInfo info = {
		.xid = client->xid,
		.secs = (uint16_t)MIN(secs, G_MAXUINT16),
		.hostname = client->hostname,
		.vendor_class = client->vendor_class,
	};
	struct in_addr none = { 0 };
	int n = -EINVAL, r;

	memcpy(info.mac, client->mac, 6);
	switch (client->state) {
	case STATE_SELECTING:
		n = nfc_dhcp_build_discover(msg, sizeof(msg), &info);
		break;
	case STATE_REQUESTING:
		n = nfc_dhcp_build_request(msg, sizeof(msg), &info, NFC_DHCP_REQ_SELECTING,
					   client->offered, client->offer_server);
		break;
	case STATE_REBOOTING:
		n = nfc_dhcp_build_request(msg, sizeof(msg), &info, NFC_DHCP_REQ_INIT_REBOOT,
					   client->reboot_address, none);
		break;
	case STATE_RENEWING:
		n = nfc_dhcp_build_request(msg, sizeof(msg), &info, NFC_DHCP_REQ_RENEWING,
					   client->lease.address, none);
		break;
	case STATE_REBINDING:
		n = nfc_dhcp_build_request(msg, sizeof(msg), &info, NFC_DHCP_REQ_REBINDING,
					   client->lease.address, none);
		break;
	case STATE_STOPPED:
	case STATE_BOUND:
	case STATE_INIT:
		return;
	}
	client->attempt++;
	if (n < 0) {
		nfc_error("dhcp %d: cannot build a message: %s", client->ifindex, g_strerror(-n));
		return;
	}
	if (client->state != STATE_SELECTING)
		client->request_time = g_get_monotonic_time();

	if (client->state == STATE_RENEWING)
		r = send_udp(client, client->lease.server_id, msg, (size_t)n);
	else if (client->state == STATE_REBINDING)
		r = send_udp(client, (struct in_addr){ INADDR_BROADCAST }, msg, (size_t)n);
	else
		r = send_raw(client, msg, (size_t)n);
	/* a down link or a missing route is not fatal: the resend retries */
	if (r < 0)
		nfc_debug("dhcp %d: send in %s: %s", client->ifindex, state_name(client->state),
			  g_strerror(-r));
}

static void begin_exchange(NfcDhcpClient *client, State state)
{
	g_clear_handle_id(&client->resend_timer, g_source_remove);
	new_exchange(client, state);
	transmit(client);
	schedule_resend(client);
}

static void start_discover(NfcDhcpClient *client)
{
	int r;

	close_udp(client);
	r = open_raw(client);
	if (r < 0)
		nfc_warn("dhcp %d: packet socket: %s", client->ifindex, g_strerror(-r));
	arm_failure_timer(client);
	begin_exchange(client, STATE_SELECTING);
}

static gboolean on_restart(gpointer data)
{
	NfcDhcpClient *client = data;

	client->restart_timer = 0;
	start_discover(client);
	return G_SOURCE_REMOVE;
}

/* A NAK: start over, at once the first time, later after a pause. */
static void restart_after_nak(NfcDhcpClient *client)
{
	guint delay;

	if (client->naks++ == 0) {
		start_discover(client);
		return;
	}
	delay = MIN(NAK_RESTART_FIRST_S << MIN(client->naks - 2, 3u), NAK_RESTART_MAX_S);
	nfc_info("dhcp %d: %u NAKs in a row, starting over in %u s", client->ifindex,
		 client->naks, delay);
	g_clear_handle_id(&client->resend_timer, g_source_remove);
	close_raw(client);
	close_udp(client);
	set_state(client, STATE_INIT);
	arm_failure_timer(client);
	client->restart_timer = g_timeout_add_seconds(delay, on_restart, client);
}

/* The lease is gone (expired, or NAKed): tell, then start over. */
static void lose_lease(NfcDhcpClient *client, bool nak)
{
	NfcDhcpLease old = client->lease;

	clear_lease_timers(client);
	client->have_lease = false;
	memset(&client->lease, 0, sizeof(client->lease));
	if (nak)
		restart_after_nak(client);
	else
		start_discover(client);
	emit(client, NFC_DHCP_EXPIRED, &old);
}

/* ---- lease timers ------------------------------------------------------ */

static gboolean on_t1(gpointer data)
{
	NfcDhcpClient *client = data;
	int r;

	client->t1_timer = 0;
	r = open_udp(client);
	if (r < 0)
		nfc_warn("dhcp %d: udp socket: %s", client->ifindex, g_strerror(-r));
	/* for a NAK, which the server broadcasts */
	r = open_raw(client);
	if (r < 0)
		nfc_warn("dhcp %d: packet socket: %s", client->ifindex, g_strerror(-r));
	begin_exchange(client, STATE_RENEWING);
	return G_SOURCE_REMOVE;
}

static gboolean on_t2(gpointer data)
{
	NfcDhcpClient *client = data;

	client->t2_timer = 0;
	g_clear_handle_id(&client->t1_timer, g_source_remove);
	open_udp(client);
	open_raw(client);
	begin_exchange(client, STATE_REBINDING);
	return G_SOURCE_REMOVE;
}

static gboolean on_expiry(gpointer data)
{
	NfcDhcpClient *client = data;
	char addr[INET_ADDRSTRLEN];

	client->expiry_timer = 0;
	inet_ntop(AF_INET, &client->lease.address, addr, sizeof(addr));
	nfc_info("dhcp %d: lease of %s expired", client->ifindex, addr);
	lose_lease(client, false);
	return G_SOURCE_REMOVE;
}

static void arm_lease_timers(NfcDhcpClient *client)
{
	const NfcDhcpLease *l = &client->lease;

	clear_lease_timers(client);
	if (l->lease_time == UINT32_MAX)
		return; /* infinite */
	client->t1_timer = g_timeout_add_seconds(lease_remaining(client, l->t1), on_t1, client);
	client->t2_timer = g_timeout_add_seconds(lease_remaining(client, l->t2), on_t2, client);
	client->expiry_timer = g_timeout_add_seconds(lease_remaining(client, l->lease_time),
						     on_expiry, client);
}

/* ---- receiving --------------------------------------------------------- */

static void enter_bound(NfcDhcpClient *client, const NfcDhcpLease *lease)
{
	bool had = client->have_lease;
	bool same = had && client->lease.address.s_addr == lease->address.s_addr;
	NfcDhcpLease old = client->lease;
	char addr[INET_ADDRSTRLEN];

	g_clear_handle_id(&client->resend_timer, g_source_remove);
	g_clear_handle_id(&client->failure_timer, g_source_remove);
	close_raw(client);
	close_udp(client);
	set_state(client, STATE_BOUND);
	client->naks = 0;
	client->lease = *lease;
	client->have_lease = true;
	client->lease_start = client->request_time;
	arm_lease_timers(client);

	inet_ntop(AF_INET, &lease->address, addr, sizeof(addr));
	nfc_info("dhcp %d: %s %s/%u for %u s", client->ifindex, same ? "renewed" : "bound", addr,
		 lease->prefixlen, lease->lease_time);
	if (same) {
		emit(client, NFC_DHCP_RENEWED, &client->lease);
		return;
	}
	/* another server rebound us to another address: the old one goes first */
	if (had && !emit(client, NFC_DHCP_EXPIRED, &old))
		return;
	emit(client, NFC_DHCP_BOUND, &client->lease);
}

static void handle_message(NfcDhcpClient *client, const uint8_t *buf, size_t len)
{
	NfcDhcpReply reply;
	int r;

	r = nfc_dhcp_parse_reply(buf, len, client->xid, client->mac, &reply);
	if (r < 0) {
		if (r == -EBADMSG)
			nfc_debug("dhcp %d: dropping a malformed DHCP message", client->ifindex);
		return;
	}

	switch (client->state) {
	case STATE_SELECTING:
		if (reply.type != NFC_DHCP_OFFER)
			return;
		/* the first offer wins */
		client->offered = reply.lease.address;
		client->offer_server = reply.lease.server_id;
		g_clear_handle_id(&client->resend_timer, g_source_remove);
		set_state(client, STATE_REQUESTING);
		client->attempt = 0;
		transmit(client);
		schedule_resend(client);
		return;
	case STATE_REQUESTING:
		/* other servers' answers to our broadcast REQUEST are not ours */
		if (reply.type == NFC_DHCP_ACK &&
		    reply.lease.server_id.s_addr == client->offer_server.s_addr)
			enter_bound(client, &reply.lease);
		else if (reply.type == NFC_DHCP_NAK)
			restart_after_nak(client);
		return;
	case STATE_REBOOTING:
	case STATE_RENEWING:
	case STATE_REBINDING:
		if (reply.type == NFC_DHCP_ACK) {
			enter_bound(client, &reply.lease);
		} else if (reply.type == NFC_DHCP_NAK) {
			nfc_info("dhcp %d: NAK in %s", client->ifindex, state_name(client->state));
			if (client->have_lease)
				lose_lease(client, true);
			else
				restart_after_nak(client);
		}
		return;
	case STATE_STOPPED:
	case STATE_BOUND:
	case STATE_INIT:
		return;
	}
}

/* ---- public API -------------------------------------------------------- */

NfcDhcpClient *nfc_dhcp_client_new(int ifindex, const uint8_t mac[6], NfcDhcpEventFunc func,
				   void *user_data)
{
	NfcDhcpClient *client = g_new0(NfcDhcpClient, 1);

	client->ifindex = ifindex;
	memcpy(client->mac, mac, 6);
	client->func = func;
	client->user_data = user_data;
	client->failure_timeout = DEFAULT_FAILURE_TIMEOUT;
	client->raw_fd = -1;
	client->udp_fd = -1;
	return client;
}

void nfc_dhcp_client_free(NfcDhcpClient *client)
{
	if (!client)
		return;
	nfc_dhcp_client_stop(client, false);
	g_free(client->hostname);
	g_free(client->vendor_class);
	g_free(client);
}

void nfc_dhcp_client_set_hostname(NfcDhcpClient *client, const char *hostname)
{
	g_free(client->hostname);
	client->hostname = g_strdup(hostname);
}

void nfc_dhcp_client_set_vendor_class(NfcDhcpClient *client, const char *vendor_class)
{
	g_free(client->vendor_class);
	client->vendor_class = g_strdup(vendor_class);
}

void nfc_dhcp_client_set_failure_timeout(NfcDhcpClient *client, unsigned int seconds)
{
	client->failure_timeout = CLAMP(seconds, 1u, 86400u);
}

int nfc_dhcp_client_start(NfcDhcpClient *client, const struct in_addr *last_address)
{
	int r;

	if (client->state != STATE_STOPPED)
		return -EALREADY;
	r = open_raw(client);
	if (r < 0)
		return r;
	arm_failure_timer(client);
	if (last_address && last_address->s_addr != INADDR_ANY) {
		client->reboot_address = *last_address;
		begin_exchange(client, STATE_REBOOTING);
	} else {
		begin_exchange(client, STATE_SELECTING);
	}
	return 0;
}

static void send_release(NfcDhcpClient *client)
{
	uint8_t msg[NFC_DHCP_MAX_LEN];
	NfcDhcpClientInfo info = { .xid = g_random_int() };
	int n, r;

	memcpy(info.mac, client->mac, 6);
	n = nfc_dhcp_build_release(msg, sizeof(msg), &info, client->lease.address,
				   client->lease.server_id);
	r = n < 0 ? n : open_udp(client);
	if (r >= 0)
		r = send_udp(client, client->lease.server_id, msg, (size_t)n);
	if (r < 0)
		nfc_warn("dhcp %d: cannot send RELEASE: %s", client->ifindex, g_strerror(-r));
}

void nfc_dhcp_client_stop(NfcDhcpClient *client, bool release)
{
	if (release && client->have_lease)
		send_release(client);
	g_clear_handle_id(&client->resend_timer, g_source_remove);
	g_clear_handle_id(&client->restart_timer, g_source_remove);
	g_clear_handle_id(&client->failure_timer, g_source_remove);
	clear_lease_timers(client);
	client->naks = 0;
	close_raw(client);
	close_udp(client);
	client->have_lease = false;
	memset(&client->lease, 0, sizeof(client->lease));
	set_state(client, STATE_STOPPED);
}

const NfcDhcpLease *nfc_dhcp_client_get_lease(NfcDhcpClient *client)
{
	return client->have_lease ? &client->lease : NULL;
}
