/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DHCPv4 wire format (RFC 2131/2132): builds the client's messages and
 * parses the server's replies into an NfcDhcpLease, treating every byte
 * of a received packet as hostile. Also the IPv4+UDP framing the client
 * needs on its packet socket. Pure functions, no I/O. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp-client.h"

#define NFC_DHCP_SERVER_PORT 67
#define NFC_DHCP_CLIENT_PORT 68

/* BOOTP header (236 bytes) + magic cookie; options follow. */
#define NFC_DHCP_FIXED_LEN 240
/* What we build is padded to the BOOTP minimum and never larger than
 * NFC_DHCP_MAX_LEN (with a 255-byte hostname and vendor class). */
#define NFC_DHCP_MIN_LEN 300
#define NFC_DHCP_MAX_LEN 1024

/* Lease times below these are not honoured (see nfc_dhcp_parse_reply). */
#define NFC_DHCP_MIN_LEASE 60
#define NFC_DHCP_MIN_T1 10

enum {
	NFC_DHCP_DISCOVER = 1,
	NFC_DHCP_OFFER = 2,
	NFC_DHCP_REQUEST = 3,
	NFC_DHCP_DECLINE = 4,
	NFC_DHCP_ACK = 5,
	NFC_DHCP_NAK = 6,
	NFC_DHCP_RELEASE = 7,
};

enum {
	NFC_DHCP_OPT_PAD = 0,
	NFC_DHCP_OPT_SUBNET = 1,
	NFC_DHCP_OPT_ROUTER = 3,
	NFC_DHCP_OPT_DNS = 6,
	NFC_DHCP_OPT_HOSTNAME = 12,
	NFC_DHCP_OPT_DOMAIN = 15,
	NFC_DHCP_OPT_MTU = 26,
	NFC_DHCP_OPT_BROADCAST = 28,
	NFC_DHCP_OPT_NTP = 42,
	NFC_DHCP_OPT_REQUESTED_IP = 50,
	NFC_DHCP_OPT_LEASE_TIME = 51,
	NFC_DHCP_OPT_OVERLOAD = 52,
	NFC_DHCP_OPT_MESSAGE_TYPE = 53,
	NFC_DHCP_OPT_SERVER_ID = 54,
	NFC_DHCP_OPT_PARAM_REQUEST = 55,
	NFC_DHCP_OPT_MAX_SIZE = 57,
	NFC_DHCP_OPT_T1 = 58,
	NFC_DHCP_OPT_T2 = 59,
	NFC_DHCP_OPT_VENDOR_CLASS = 60,
	NFC_DHCP_OPT_CLIENT_ID = 61,
	NFC_DHCP_OPT_WPAD = 252, /* site-specific; by custom the proxy autoconfig URL */
	NFC_DHCP_OPT_END = 255,
};

/* Which REQUEST (RFC 2131 4.3.2): what goes into ciaddr, 50 and 54. */
typedef enum {
	NFC_DHCP_REQ_SELECTING,   /* ciaddr 0, 50 = offered address, 54 = server */
	NFC_DHCP_REQ_INIT_REBOOT, /* ciaddr 0, 50 = previous address, no 54 */
	NFC_DHCP_REQ_RENEWING,    /* ciaddr = lease address, no 50/54 (unicast) */
	NFC_DHCP_REQ_REBINDING,   /* ciaddr = lease address, no 50/54 (broadcast) */
} NfcDhcpRequestKind;

/* What every message of one client carries. */
typedef struct {
	uint32_t xid;
	uint16_t secs;
	uint8_t mac[6];
	const char *hostname;     /* option 12 when non-NULL and non-empty */
	const char *vendor_class; /* option 60 likewise */
} NfcDhcpClientInfo;

/* Each builder writes a complete BOOTP/DHCP message into buf and returns
 * its length, or -ENOSPC when size is too small (NFC_DHCP_MAX_LEN always
 * suffices). */
int nfc_dhcp_build_discover(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info);
/* address: the offered/previous address (SELECTING, INIT-REBOOT) or the
 * leased one (RENEWING, REBINDING); server_id only for SELECTING. */
int nfc_dhcp_build_request(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
			   NfcDhcpRequestKind kind, struct in_addr address,
			   struct in_addr server_id);
int nfc_dhcp_build_release(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
			   struct in_addr address, struct in_addr server_id);
int nfc_dhcp_build_decline(uint8_t *buf, size_t size, const NfcDhcpClientInfo *info,
			   struct in_addr address, struct in_addr server_id);

/* A parsed server reply. */
typedef struct {
	uint8_t type;       /* NFC_DHCP_OFFER, _ACK or _NAK */
	NfcDhcpLease lease; /* address = yiaddr; only filled for OFFER/ACK */
} NfcDhcpReply;

/* Parse a BOOTP reply addressed to (xid, mac). Returns 0, or a negative
 * errno and the packet must be dropped:
 *   -EBADMSG  malformed: short header, op not BOOTREPLY, htype/hlen not
 *             Ethernet, bad magic cookie, an option running past the end,
 *             no or an unknown message type, a message type other than
 *             OFFER/ACK/NAK, an OFFER/ACK without a server identifier or
 *             lease time, or whose yiaddr is no host address: 0.0.0.0/8,
 *             loopback, multicast, class E, or the network or broadcast
 *             address of its subnet (up to /30; /31 and /32 have neither);
 *   -ENOMSG   well-formed but not ours (xid or chaddr differ).
 * Single options with a wrong length or an unusable value (a subnet mask
 * that is not 4 bytes or not contiguous, a router list not a multiple of
 * 4, an MTU below 68, a domain with characters outside [A-Za-z0-9.-_ ],
 * a proxy autoconfig URL (252) with a space, control character, quote,
 * backslash or non-ASCII byte) are ignored as if absent; the packet is still accepted. Routers that
 * are not a usable host of the subnet (or are yiaddr itself) are dropped
 * from the list; with a /32 any unicast router is kept. A lease shorter
 * than NFC_DHCP_MIN_LEASE is raised to it, a T1 shorter than
 * NFC_DHCP_MIN_T1 likewise; T1/T2 are then the server's when
 * T1 < T2 < lease, else 1/2 and 7/8 of the lease. A
 * missing END is tolerated when the last option is complete. Option
 * overload (52) is ignored: we never look into sname/file. When an option
 * appears twice the later one wins (we do not concatenate RFC 3396 split
 * options). */
int nfc_dhcp_parse_reply(const uint8_t *buf, size_t len, uint32_t xid, const uint8_t mac[6],
			 NfcDhcpReply *reply);

/* IPv4 + UDP framing for the packet socket. nfc_dhcp_frame_udp writes an
 * IPv4 header (src, dst), a UDP header (sport, dport, checksum filled) and
 * payload into buf; returns the total length or -ENOSPC. */
int nfc_dhcp_frame_udp(uint8_t *buf, size_t size, struct in_addr src, uint16_t sport,
		       struct in_addr dst, uint16_t dport, const uint8_t *payload,
		       size_t payload_len);
/* Checks an IPv4 datagram as a packet socket hands it over (IP header at
 * offset 0): IPv4, header checksum, not a fragment, UDP to dport, lengths
 * consistent; the UDP checksum only when verify_udp_csum (false when the
 * kernel reports a partial checksum, e.g. from veth). On success points
 * payload into buf and returns 0; -EBADMSG otherwise. */
int nfc_dhcp_unframe_udp(const uint8_t *buf, size_t len, uint16_t dport, bool verify_udp_csum,
			 const uint8_t **payload, size_t *payload_len);

/* Internet checksum (RFC 1071) over data, starting from sum. */
uint16_t nfc_dhcp_checksum(const void *data, size_t len, uint32_t sum);
