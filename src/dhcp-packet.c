// SPDX-License-Identifier: GPL-2.0-or-later
/* DHCPv4 messages: building ours, parsing the server's (see dhcp-packet.h
 * for what is rejected and what is only ignored). */
#include "dhcp-packet.h"

#include <errno.h>
#include <string.h>

#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_CHADDR 28
#define OFF_COOKIE 236

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define HTYPE_ETHER 1

static const uint8_t magic_cookie[4] = { 99, 130, 83, 99 };

/* What we ask for in every DISCOVER and REQUEST. */
static const uint8_t param_request_list[] = {
	NFC_DHCP_OPT_SUBNET, NFC_DHCP_OPT_ROUTER, NFC_DHCP_OPT_DNS,
	NFC_DHCP_OPT_HOSTNAME, NFC_DHCP_OPT_DOMAIN, NFC_DHCP_OPT_MTU,
	NFC_DHCP_OPT_BROADCAST, NFC_DHCP_OPT_NTP, NFC_DHCP_OPT_LEASE_TIME,
	NFC_DHCP_OPT_SERVER_ID, NFC_DHCP_OPT_T1, NFC_DHCP_OPT_T2, NFC_DHCP_OPT_WPAD,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- building ---------------------------------------------------------- */

typedef struct {
	uint8_t *buf;
	size_t size;
	size_t pos;
	bool overflow;
} Writer;

static void put_option(Writer *w, uint8_t code, const void *data, size_t len)
{
	if (len > 255 || w->pos + 2 + len > w->size) {
		w->overflow = true;
		return;
	}
	w->buf[w->pos++] = code;
	w->buf[w->pos++] = (uint8_t)len;
	memcpy(w->buf + w->pos, data, len);
	w->pos += len;
}

static void put_addr_option(Writer *w, uint8_t code, struct in_addr addr)
{
	put_option(w, code, &addr.s_addr, 4);
}

/* Strings longer than an option can hold are left out rather than cut:
 * a truncated hostname would be a different name. */
static void put_string_option(Writer *w, uint8_t code, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len > 0 && len <= 255)
		put_option(w, code, s, len);
}

static bool begin(Writer *w, uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
		  uint8_t type, struct in_addr ciaddr)
{
	uint8_t client_id[7];

	*w = (Writer){ .buf = buf, .size = size };
	if (size < NFC_DHCP_FIXED_LEN) {
		w->overflow = true;
		return false;
	}
	memset(buf, 0, NFC_DHCP_FIXED_LEN);
	buf[OFF_OP] = BOOTREQUEST;
	buf[OFF_HTYPE] = HTYPE_ETHER;
	buf[OFF_HLEN] = 6;
	put32(buf + OFF_XID, info->xid);
	put16(buf + OFF_SECS, info->secs);
	memcpy(buf + OFF_CIADDR, &ciaddr.s_addr, 4);
	memcpy(buf + OFF_CHADDR, info->mac, 6);
	memcpy(buf + OFF_COOKIE, magic_cookie, 4);
	w->pos = NFC_DHCP_FIXED_LEN;

	put_option(w, NFC_DHCP_OPT_MESSAGE_TYPE, &type, 1);
	/* RFC 2132 9.14: type 1 (Ethernet) followed by the hardware address */
	client_id[0] = HTYPE_ETHER;
	memcpy(client_id + 1, info->mac, 6);
	put_option(w, NFC_DHCP_OPT_CLIENT_ID, client_id, sizeof(client_id));
	return true;
}

static void put_identity(Writer *w, const NfcDhcpClientInfo *info)
{
	put_string_option(w, NFC_DHCP_OPT_HOSTNAME, info->hostname);
	put_string_option(w, NFC_DHCP_OPT_VENDOR_CLASS, info->vendor_class);
	put_option(w, NFC_DHCP_OPT_PARAM_REQUEST, param_request_list,
		   sizeof(param_request_list));
}

static int finish(Writer *w)
{
	if (w->overflow || w->pos + 1 > w->size)
		return -ENOSPC;
	w->buf[w->pos++] = NFC_DHCP_OPT_END;
	/* some BOOTP relays drop anything shorter than the BOOTP minimum */
	if (w->pos < NFC_DHCP_MIN_LEN) {
		if (w->size < NFC_DHCP_MIN_LEN)
			return -ENOSPC;
		memset(w->buf + w->pos, 0, NFC_DHCP_MIN_LEN - w->pos);
		w->pos = NFC_DHCP_MIN_LEN;
	}
	return (int)w->pos;
}

int nfc_dhcp_build_discover(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info)
{
	Writer w;

	if (!begin(&w, buf, size, info, NFC_DHCP_DISCOVER, (struct in_addr){ 0 }))
		return -ENOSPC;
	put_identity(&w, info);
	return finish(&w);
}

int nfc_dhcp_build_request(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
			   NfcDhcpRequestKind kind, struct in_addr address,
			   struct in_addr server_id)
{
	bool in_ciaddr = kind == NFC_DHCP_REQ_RENEWING || kind == NFC_DHCP_REQ_REBINDING;
	Writer w;

	if (!begin(&w, buf, size, info, NFC_DHCP_REQUEST,
		   in_ciaddr ? address : (struct in_addr){ 0 }))
		return -ENOSPC;
	/* RFC 2131 4.3.2: 50 only before we own the address, 54 only when
	 * answering one particular server's offer */
	if (!in_ciaddr)
		put_addr_option(&w, NFC_DHCP_OPT_REQUESTED_IP, address);
	if (kind == NFC_DHCP_REQ_SELECTING)
		put_addr_option(&w, NFC_DHCP_OPT_SERVER_ID, server_id);
	put_identity(&w, info);
	return finish(&w);
}

int nfc_dhcp_build_release(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
			   struct in_addr address, struct in_addr server_id)
{
	Writer w;

	if (!begin(&w, buf, size, info, NFC_DHCP_RELEASE, address))
		return -ENOSPC;
	put_addr_option(&w, NFC_DHCP_OPT_SERVER_ID, server_id);
	return finish(&w);
}

int nfc_dhcp_build_decline(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
			   struct in_addr address, struct in_addr server_id)
{
	Writer w;

	/* RFC 2131 table 5: ciaddr 0, the declined address in option 50 */
	if (!begin(&w, buf, size, info, NFC_DHCP_DECLINE, (struct in_addr){ 0 }))
		return -ENOSPC;
	put_addr_option(&w, NFC_DHCP_OPT_REQUESTED_IP, address);
	put_addr_option(&w, NFC_DHCP_OPT_SERVER_ID, server_id);
	return finish(&w);
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct {
	bool have_server_id, have_lease, have_t1, have_t2, have_prefix;
	uint32_t t1, t2;
} ParseState;

/* A list of IPv4 addresses: a non-empty multiple of 4 bytes, or ignored.
 * Entries beyond what the lease holds are dropped, and so are 0.0.0.0 and
 * 255.255.255.255, which no server means as a router or name server. */
static void parse_addr_list(const uint8_t *data, size_t len, struct in_addr *out,
			    unsigned int max, unsigned int *n)
{
	*n = 0;
	if (len == 0 || len % 4 != 0)
		return;
	for (size_t i = 0; i < len && *n < max; i += 4) {
		uint32_t a = get32(data + i);

		if (a == 0 || a == UINT32_MAX)
			continue;
		out[(*n)++].s_addr = htonl(a);
	}
}

static bool domain_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ' ';
}

/* The domain ends up in resolv.conf: anything but name characters (and
 * spaces, which some servers use to send a search list) is refused, so a
 * server cannot inject lines or options there. Trailing NULs are common
 * and allowed. */
static void parse_domain(const uint8_t *data, size_t len, char *out, size_t out_size)
{
	while (len > 0 && data[len - 1] == 0)
		len--;
	if (len == 0 || len >= out_size)
		return;
	for (size_t i = 0; i < len; i++)
		if (!domain_char_ok(data[i]))
			return;
	memcpy(out, data, len);
	out[len] = '\0';
}

/* The proxy autoconfig URL is shown to clients and handed to PAC
 * runners: only printable ASCII without spaces, quotes or backslashes is
 * taken (whether it is a usable URL is the service layer's question).
 * Servers often count a trailing NUL in the length. */
static void parse_wpad(const uint8_t *data, size_t len, char *out, size_t out_size)
{
	while (len > 0 && data[len - 1] == 0)
		len--;
	if (len == 0 || len >= out_size)
		return;
	for (size_t i = 0; i < len; i++)
		if (data[i] <= ' ' || data[i] >= 0x7f || data[i] == '"' || data[i] == '\\')
			return;
	memcpy(out, data, len);
	out[len] = '\0';
}

static void parse_option(uint8_t code, const uint8_t *data, size_t len, NfcDhcpReply *reply,
			 ParseState *st)
{
	NfcDhcpLease *l = &reply->lease;

	switch (code) {
	case NFC_DHCP_OPT_MESSAGE_TYPE:
		if (len == 1)
			reply->type = data[0];
		break;
	case NFC_DHCP_OPT_SUBNET:
		if (len == 4) {
			uint32_t inv = ~get32(data);

			/* contiguous: the inverted mask is 2^n - 1 */
			if ((inv & (inv + 1)) == 0 && inv != UINT32_MAX) {
				l->prefixlen = (uint8_t)(32 - __builtin_popcount(inv));
				st->have_prefix = true;
			}
		}
		break;
	case NFC_DHCP_OPT_ROUTER:
		parse_addr_list(data, len, l->routers, G_N_ELEMENTS(l->routers), &l->n_routers);
		break;
	case NFC_DHCP_OPT_DNS:
		parse_addr_list(data, len, l->dns, G_N_ELEMENTS(l->dns), &l->n_dns);
		break;
	case NFC_DHCP_OPT_NTP:
		parse_addr_list(data, len, l->ntp, G_N_ELEMENTS(l->ntp), &l->n_ntp);
		break;
	case NFC_DHCP_OPT_DOMAIN:
		parse_domain(data, len, l->domain, sizeof(l->domain));
		break;
	case NFC_DHCP_OPT_WPAD:
		parse_wpad(data, len, l->wpad, sizeof(l->wpad));
		break;
	case NFC_DHCP_OPT_MTU:
		/* RFC 2132 5.1: 68 is the smallest legal MTU */
		if (len == 2 && get16(data) >= 68)
			l->mtu = get16(data);
		break;
	case NFC_DHCP_OPT_SERVER_ID:
		if (len == 4 && get32(data) != 0) {
			l->server_id.s_addr = htonl(get32(data));
			st->have_server_id = true;
		}
		break;
	case NFC_DHCP_OPT_LEASE_TIME:
		if (len == 4 && get32(data) != 0) {
			l->lease_time = get32(data);
			st->have_lease = true;
		}
		break;
	case NFC_DHCP_OPT_T1:
		if (len == 4) {
			st->t1 = get32(data);
			st->have_t1 = true;
		}
		break;
	case NFC_DHCP_OPT_T2:
		if (len == 4) {
			st->t2 = get32(data);
			st->have_t2 = true;
		}
		break;
	default:
		/* 52 (overload) included: we never read sname/file */
		break;
	}
}

/* 0.0.0.0/8, loopback, multicast and class E (255.255.255.255 with it)
 * are never a host's address, whatever the subnet. */
static bool usable_host_address(uint32_t a)
{
	uint8_t first = a >> 24;

	return first != 0 && first != 127 && first < 224;
}

static uint32_t prefix_mask(uint8_t prefixlen)
{
	return prefixlen ? ~0u << (32 - prefixlen) : 0;
}

/* A host address in its subnet: not the network or broadcast address,
 * which only exist up to /30 (RFC 3021: a /31 has two hosts and neither;
 * a /32 is the host alone). */
static bool usable_in_subnet(uint32_t a, uint8_t prefixlen)
{
	uint32_t host = a & ~prefix_mask(prefixlen);

	if (!usable_host_address(a))
		return false;
	return prefixlen >= 31 || (host != 0 && host != ~prefix_mask(prefixlen));
}

/* Keeps the routers we can use as a default gateway from `address/prefixlen`:
 * a usable host of our subnet other than ourselves. A router outside the
 * subnet is dropped: reaching it needs an on-link host route, which would
 * pull that address's traffic off every other uplink. A /32 has no subnet:
 * there any usable unicast router is kept and reached on-link (ipconfig
 * adds the host route), as the networks that hand out /32 leases expect. */
static void filter_routers(NfcDhcpLease *l)
{
	uint32_t self = ntohl(l->address.s_addr), mask = prefix_mask(l->prefixlen);
	unsigned int n = 0;

	for (unsigned int i = 0; i < l->n_routers; i++) {
		uint32_t r = ntohl(l->routers[i].s_addr);

		if (r == self || !usable_in_subnet(r, l->prefixlen))
			continue;
		if (l->prefixlen < 32 && (r & mask) != (self & mask))
			continue;
		l->routers[n++] = l->routers[i];
	}
	l->n_routers = n;
}

/* RFC 2131 4.4.5 wants T1 < T2 < lease (defaults 1/2 and 7/8). A lease
 * shorter than NFC_DHCP_MIN_LEASE is taken as that long, a T1 shorter than
 * NFC_DHCP_MIN_T1 as that long (dnsmasq itself sends 9 s for a configured
 * 10 s on renewals), and when T1 < T2 < lease does not hold then both
 * defaults of the (clamped) lease apply. This bounds a client to one
 * renewal every NFC_DHCP_MIN_T1 seconds whatever the server says (a 1 s
 * lease made one every few ms). */
static void set_times(NfcDhcpLease *l, const ParseState *st)
{
	uint32_t def_t1, def_t2;

	if (l->lease_time == UINT32_MAX) {
		l->t1 = l->t2 = UINT32_MAX;
		return;
	}
	l->lease_time = MAX(l->lease_time, NFC_DHCP_MIN_LEASE);
	def_t1 = l->lease_time / 2;
	def_t2 = (uint32_t)((uint64_t)l->lease_time * 7 / 8);
	l->t1 = st->have_t1 ? st->t1 : def_t1;
	l->t2 = st->have_t2 ? st->t2 : def_t2;
	l->t1 = MAX(l->t1, NFC_DHCP_MIN_T1);
	if (l->t1 >= l->t2 || l->t2 >= l->lease_time) {
		l->t1 = def_t1;
		l->t2 = def_t2;
	}
}

static uint8_t classful_prefix(uint32_t a)
{
	if (a >> 31 == 0)
		return 8;
	if (a >> 30 == 2)
		return 16;
	return 24;
}

int nfc_dhcp_parse_reply(const uint8_t *buf, size_t len, uint32_t xid, const uint8_t mac[6],
			 NfcDhcpReply *reply)
{
	ParseState st = { 0 };
	NfcDhcpLease *l = &reply->lease;
	uint32_t yiaddr;
	size_t pos;

	memset(reply, 0, sizeof(*reply));
	if (len < NFC_DHCP_FIXED_LEN)
		return -EBADMSG;
	if (buf[OFF_OP] != BOOTREPLY || buf[OFF_HTYPE] != HTYPE_ETHER || buf[OFF_HLEN] != 6)
		return -EBADMSG;
	if (memcmp(buf + OFF_COOKIE, magic_cookie, 4) != 0)
		return -EBADMSG;
	if (get32(buf + OFF_XID) != xid || memcmp(buf + OFF_CHADDR, mac, 6) != 0)
		return -ENOMSG;

	for (pos = NFC_DHCP_FIXED_LEN; pos < len;) {
		uint8_t code = buf[pos], olen;

		if (code == NFC_DHCP_OPT_PAD) {
			pos++;
			continue;
		}
		if (code == NFC_DHCP_OPT_END)
			break;
		if (len - pos < 2)
			return -EBADMSG;
		olen = buf[pos + 1];
		if (len - pos - 2 < olen)
			return -EBADMSG;
		parse_option(code, buf + pos + 2, olen, reply, &st);
		pos += 2 + (size_t)olen;
	}

	switch (reply->type) {
	case NFC_DHCP_NAK:
		/* nothing of a NAK but its type is used */
		memset(l, 0, sizeof(*l));
		return 0;
	case NFC_DHCP_OFFER:
	case NFC_DHCP_ACK:
		break;
	default:
		return -EBADMSG;
	}

	yiaddr = get32(buf + OFF_YIADDR);
	if (!st.have_server_id || !st.have_lease)
		return -EBADMSG;
	if (!st.have_prefix)
		l->prefixlen = classful_prefix(yiaddr);
	/* an offer of the subnet's network or broadcast address is dropped,
	 * not declined: DECLINE is for an address found in use (RFC 2131
	 * 3.1.5), and another server may still make a usable offer */
	if (!usable_in_subnet(yiaddr, l->prefixlen))
		return -EBADMSG;
	l->address.s_addr = htonl(yiaddr);
	filter_routers(l);
	set_times(l, &st);
	return 0;
}

/* ---- IPv4/UDP framing -------------------------------------------------- */

static uint32_t sum_words(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t nfc_dhcp_checksum(const void *data, size_t len, uint32_t sum)
{
	return fold(sum_words(data, len, sum));
}

static uint32_t pseudo_header_sum(const uint8_t src[4], const uint8_t dst[4], uint16_t udp_len)
{
	uint32_t sum = 0;

	sum = sum_words(src, 4, sum);
	sum = sum_words(dst, 4, sum);
	sum += IPPROTO_UDP;
	sum += udp_len;
	return sum;
}

int nfc_dhcp_frame_udp(uint8_t *buf, size_t size, struct in_addr src, uint16_t sport,
		       struct in_addr dst, uint16_t dport, const uint8_t *payload,
		       size_t payload_len)
{
	size_t total = 20 + 8 + payload_len;
	uint8_t *ip = buf, *udp = buf + 20;
	uint16_t csum;

	if (total > size || total > UINT16_MAX)
		return -ENOSPC;
	memset(buf, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)total);
	ip[8] = 64; /* TTL */
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src.s_addr, 4);
	memcpy(ip + 16, &dst.s_addr, 4);
	put16(ip + 10, nfc_dhcp_checksum(ip, 20, 0));

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + payload_len));
	memmove(udp + 8, payload, payload_len);
	csum = nfc_dhcp_checksum(udp, 8 + payload_len,
				 pseudo_header_sum(ip + 12, ip + 16, (uint16_t)(8 + payload_len)));
	/* RFC 768: a computed 0 is sent as all ones; 0 means "no checksum" */
	put16(udp + 6, csum ? csum : 0xffff);
	return (int)total;
}

int nfc_dhcp_unframe_udp(const uint8_t *buf, size_t len, uint16_t dport, bool verify_udp_csum,
			 const uint8_t **payload, size_t *payload_len)
{
	size_t ihl, total, udp_len;
	const uint8_t *udp;

	if (len < 20 || buf[0] >> 4 != 4)
		return -EBADMSG;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	total = get16(buf + 2);
	/* the frame may carry Ethernet padding beyond the IP total length */
	if (ihl < 20 || total < ihl + 8 || total > len)
		return -EBADMSG;
	if (buf[9] != IPPROTO_UDP || (get16(buf + 6) & 0x3fff) != 0)
		return -EBADMSG; /* not UDP, or a fragment (MF set or offset) */
	if (nfc_dhcp_checksum(buf, ihl, 0) != 0)
		return -EBADMSG;

	udp = buf + ihl;
	udp_len = get16(udp + 4);
	if (udp_len < 8 || ihl + udp_len > total)
		return -EBADMSG;
	if (get16(udp + 2) != dport)
		return -EBADMSG;
	if (verify_udp_csum && get16(udp + 6) != 0 &&
	    nfc_dhcp_checksum(udp, udp_len,
			      pseudo_header_sum(buf + 12, buf + 16, (uint16_t)udp_len)) != 0)
		return -EBADMSG;
	*payload = udp + 8;
	*payload_len = udp_len - 8;
	return 0;
}
