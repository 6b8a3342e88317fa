/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink messages without sockets: building requests from our structs
 * and parsing the kernel's messages into them. Pure code, so the unit tier
 * can check it; src/rtnl.c does the talking. */
#pragma once

#include <linux/netlink.h>
#include <stddef.h>

#include "rtnl.h"

/* Big enough for any request we build and any message the kernel sends us
 * (the kernel sizes dump messages by our receive buffer, up to 32 KiB). */
#define NFC_RTNL_BUF_SIZE 65536
#define NFC_RTNL_REQUEST_SIZE 4096

/* Each builder writes one request into buf (NFC_RTNL_REQUEST_SIZE bytes) with
 * NLM_F_REQUEST (and the create/delete flags) set but no sequence number
 * yet, and returns it; NULL for a request that makes no sense (a family
 * other than AF_INET/AF_INET6, a prefix longer than the address). type is
 * the RTM_NEW* or RTM_DEL* of the object. */
struct nlmsghdr *nfc_rtnl_msg_link_set_up(void *buf, int ifindex, bool up);
struct nlmsghdr *nfc_rtnl_msg_addr(void *buf, int type, const NfcRtnlAddr *addr);
struct nlmsghdr *nfc_rtnl_msg_route(void *buf, int type, bool replace,
				    const NfcRtnlRoute *route);
struct nlmsghdr *nfc_rtnl_msg_rule(void *buf, int type, const NfcRtnlRule *rule);
/* RTM_NEWLINK (CREATE|EXCL) of a bridge left down; NULL for a name the
 * kernel would refuse (empty, too long, "." or "..", '/', ':' or spaces). */
struct nlmsghdr *nfc_rtnl_msg_link_add_bridge(void *buf, const char *name,
					      uint32_t forward_delay);
struct nlmsghdr *nfc_rtnl_msg_link_del(void *buf, int ifindex);
/* IFLA_MASTER: enslave ifindex to master, or release it with master 0. */
struct nlmsghdr *nfc_rtnl_msg_link_set_master(void *buf, int ifindex, int master);
/* A dump request (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETRULE,
 * RTM_GETNEIGH). */
struct nlmsghdr *nfc_rtnl_msg_dump(void *buf, int type, int family);

/* Whether a datagram of len bytes from nlh on holds a whole message:
 * mnl_nlmsg_ok compares nlmsg_len as an int, so a length of 2 GiB or more
 * passes it and NLMSG_ALIGN of it wraps to 0: mnl_nlmsg_next would then
 * never advance. And mnl_attr_for_each walks up to the *aligned* end of a
 * message, so a last message of unaligned length would have its attributes
 * read past the datagram: refused here too (the kernel pads every message
 * to 4 bytes). Walk with this instead (both found by unit/fuzz). */
bool nfc_rtnl_msg_ok(const struct nlmsghdr *nlh, int len);

/* Parsers: 0, or -EINVAL for a message that is truncated or malformed,
 * -EAFNOSUPPORT for a family we do not handle (skip it). */
int nfc_rtnl_parse_link(const struct nlmsghdr *nlh, NfcRtnlLink *link);
int nfc_rtnl_parse_addr(const struct nlmsghdr *nlh, NfcRtnlAddr *addr);
int nfc_rtnl_parse_route(const struct nlmsghdr *nlh, NfcRtnlRoute *route, bool *cloned);
int nfc_rtnl_parse_rule(const struct nlmsghdr *nlh, NfcRtnlRule *rule);
/* Neighbours of AF_INET and AF_INET6; the bridge's forwarding database
 * (AF_BRIDGE, on the same group) is -EAFNOSUPPORT. A link-layer address
 * other than 6 bytes leaves has_lladdr false. */
int nfc_rtnl_parse_neigh(const struct nlmsghdr *nlh, NfcRtnlNeigh *neigh);
/* What a neighbour message of type (RTM_NEWNEIGH, RTM_DELNEIGH) with this
 * NUD state tells a watcher. A neighbour is there unless it is being
 * resolved or failed to be (INCOMPLETE, FAILED) or has no state yet
 * (NONE). NOARP entries (multicast and broadcast addresses, links without
 * ARP: a bridge has one for 224.0.0.22 as soon as it is up) are nobody:
 * ignored whatever the type. */
typedef enum {
	NFC_RTNL_NEIGH_IGNORE,
	NFC_RTNL_NEIGH_CHANGED,
	NFC_RTNL_NEIGH_REMOVED,
} NfcRtnlNeighEvent;
NfcRtnlNeighEvent nfc_rtnl_neigh_classify(int type, uint16_t state);

/* The RDNSS and DNSSL options of an RTM_NEWNDUSEROPT message (the ND
 * options of a router advertisement the kernel does not handle itself);
 * other options are skipped. -EINVAL for a message or an option list that
 * is truncated or malformed (an option of length 0 or past the end),
 * -EAFNOSUPPORT for anything but IPv6 router advertisements. A malformed
 * RDNSS or DNSSL option is dropped alone (RFC 8106 5.3.1): an RDNSS of
 * even length or shorter than one address, a DNSSL name that is
 * compressed, too long, has an empty label (but for the name's end) or a
 * character other than a letter, a digit, '-' or '_' (the text goes into
 * resolv.conf). */
int nfc_rtnl_parse_nd_options(const struct nlmsghdr *nlh, NfcRtnlNdOpts *opts);

/* The errno of an NLMSG_ERROR message (0 for an ACK), or -EINVAL if it is
 * truncated. msg (may be NULL) gets the kernel's extended ACK text. */
int nfc_rtnl_parse_error(const struct nlmsghdr *nlh, const char **msg);
