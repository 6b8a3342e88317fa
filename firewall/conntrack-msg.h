/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctnetlink messages without sockets: the dump and delete requests and the
 * parser of one dumped entry. Pure code, so the unit tier and the fuzzer
 * can check it; firewall/conntrack.c does the talking. */
#pragma once

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

/* Big enough for any request we build (a delete carries one tuple). */
#define NFC_CT_REQUEST_SIZE 1024
/* The original tuple is kept as the kernel sent it; a v6 tuple with ports
 * and a zone is about 100 bytes. */
#define NFC_CT_TUPLE_MAX 256

typedef struct {
	uint8_t family;           /* AF_INET, AF_INET6 */
	uint8_t l4proto;
	uint32_t status;          /* IPS_* */
	bool has_id;
	uint32_t id;              /* CTA_ID, host order */
	bool has_zone;
	uint16_t zone;            /* CTA_ZONE, host order */
	uint8_t orig_src[16], orig_dst[16];
	uint8_t reply_src[16], reply_dst[16];
	/* CTA_TUPLE_ORIG, the whole attribute: a delete sends it back
	 * unchanged, so every protocol's tuple (ports, ICMP id, GRE keys)
	 * names its entry without our knowing the protocol */
	uint16_t orig_len;
	uint8_t orig[NFC_CT_TUPLE_MAX];
} NfcCtEntry;

/* IPCTNL_MSG_CT_GET with NLM_F_DUMP for family, no sequence number yet;
 * NULL for a family other than AF_INET/AF_INET6. */
struct nlmsghdr *nfc_ct_msg_dump(void *buf, int family);

/* IPCTNL_MSG_CT_DELETE of entry e (NLM_F_ACK): its original tuple, its
 * zone and its id, so that an entry the kernel made anew with the same
 * tuple since the dump is not the one deleted. */
struct nlmsghdr *nfc_ct_msg_delete(void *buf, const NfcCtEntry *e);

/* One entry of a dump (IPCTNL_MSG_CT_NEW): 0, -EINVAL if truncated or
 * malformed or lacking a tuple, -EAFNOSUPPORT for a family other than
 * AF_INET/AF_INET6, -ENOMSG for a message that is no ctnetlink entry. */
int nfc_ct_msg_parse(const struct nlmsghdr *nlh, NfcCtEntry *e);

/* Whether e was source-NATed to address (of e's family): IPS_SRC_NAT and
 * the reply direction goes to it. */
bool nfc_ct_entry_nat_to(const NfcCtEntry *e, int family, const void *address);

/* Whether e's original source (of e's family) lies in prefix/prefixlen
 * (prefix: 4 or 16 bytes; prefixlen at most 32 or 128, 0 matches every
 * source): the flow came from that subnet, e.g. a tether subnet. */
bool nfc_ct_entry_from(const NfcCtEntry *e, int family, const void *prefix,
		       unsigned int prefixlen);
