// SPDX-License-Identifier: GPL-2.0-or-later
/* ctnetlink message building and parsing; see conntrack-msg.h. Every
 * length the kernel sends is checked here before a field is read. */
#include "conntrack-msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

static size_t family_len(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

static struct nlmsghdr *put_header(void *buf, int type, uint16_t flags, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *gen;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->nfgen_family = family;
	gen->version = NFNETLINK_V0;
	gen->res_id = 0;
	return nlh;
}

struct nlmsghdr *nfc_ct_msg_dump(void *buf, int family)
{
	if (!family_len(family))
		return NULL;
	/* the kernel skips entries of other families when nfgen_family is set */
	return put_header(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
}

struct nlmsghdr *nfc_ct_msg_delete(void *buf, const NfcCtEntry *e)
{
	struct nlmsghdr *nlh;

	if (!family_len(e->family) || e->orig_len < sizeof(struct nlattr) ||
	    e->orig_len > NFC_CT_TUPLE_MAX)
		return NULL;
	nlh = put_header(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, e->family);
	/* the tuple's length need not be aligned: zero its padding */
	memset(mnl_nlmsg_get_payload_tail(nlh), 0, MNL_ALIGN(e->orig_len));
	memcpy(mnl_nlmsg_get_payload_tail(nlh), e->orig, e->orig_len);
	nlh->nlmsg_len += MNL_ALIGN(e->orig_len);
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	if (e->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	return nlh;
}

/* ---- parsing ---- */

typedef struct {
	const struct nlattr **tb;
	unsigned int max;
} Table;

static int table_cb(const struct nlattr *attr, void *data)
{
	Table *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned int max)
{
	Table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EINVAL;
	return mnl_attr_parse_nested(nest, table_cb, &t) == MNL_CB_OK ? 0 : -EINVAL;
}

static int get_addr(const struct nlattr *attr, size_t len, uint8_t *out)
{
	if (!attr || mnl_attr_get_payload_len(attr) != len)
		return -EINVAL;
	memcpy(out, mnl_attr_get_payload(attr), len);
	return 0;
}

/* One direction's tuple: its addresses and protocol number. */
static int parse_tuple(const struct nlattr *nest, int family, uint8_t *src, uint8_t *dst,
		       uint8_t *l4proto)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *proto[CTA_PROTO_MAX + 1];
	bool v4 = family == AF_INET;

	if (parse_nested(nest, tb, CTA_TUPLE_MAX) < 0 || !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return -EINVAL;
	if (parse_nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX) < 0 ||
	    parse_nested(tb[CTA_TUPLE_PROTO], proto, CTA_PROTO_MAX) < 0)
		return -EINVAL;
	if (get_addr(ip[v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC], family_len(family), src) < 0 ||
	    get_addr(ip[v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST], family_len(family), dst) < 0)
		return -EINVAL;
	if (!proto[CTA_PROTO_NUM] || mnl_attr_validate(proto[CTA_PROTO_NUM], MNL_TYPE_U8) < 0)
		return -EINVAL;
	*l4proto = mnl_attr_get_u8(proto[CTA_PROTO_NUM]);
	return 0;
}

int nfc_ct_msg_parse(const struct nlmsghdr *nlh, NfcCtEntry *e)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	const struct nfgenmsg *gen;
	Table t = { tb, CTA_MAX };
	uint8_t reply_proto;

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_NEW)
		return -ENOMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*gen))
		return -EINVAL;
	gen = mnl_nlmsg_get_payload(nlh);
	if (!family_len(gen->nfgen_family))
		return -EAFNOSUPPORT;
	e->family = gen->nfgen_family;
	if (mnl_attr_parse(nlh, sizeof(*gen), table_cb, &t) != MNL_CB_OK)
		return -EINVAL;
	if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY] || !tb[CTA_STATUS] ||
	    mnl_attr_validate(tb[CTA_STATUS], MNL_TYPE_U32) < 0)
		return -EINVAL;
	if (parse_tuple(tb[CTA_TUPLE_ORIG], e->family, e->orig_src, e->orig_dst, &e->l4proto) < 0 ||
	    parse_tuple(tb[CTA_TUPLE_REPLY], e->family, e->reply_src, e->reply_dst, &reply_proto) < 0)
		return -EINVAL;
	e->status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	if (tb[CTA_ID]) {
		if (mnl_attr_validate(tb[CTA_ID], MNL_TYPE_U32) < 0)
			return -EINVAL;
		e->has_id = true;
		e->id = ntohl(mnl_attr_get_u32(tb[CTA_ID]));
	}
	if (tb[CTA_ZONE]) {
		if (mnl_attr_validate(tb[CTA_ZONE], MNL_TYPE_U16) < 0)
			return -EINVAL;
		e->has_zone = true;
		e->zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
	}
	if (tb[CTA_TUPLE_ORIG]->nla_len > NFC_CT_TUPLE_MAX)
		return -EINVAL;
	e->orig_len = tb[CTA_TUPLE_ORIG]->nla_len;
	memcpy(e->orig, tb[CTA_TUPLE_ORIG], e->orig_len);
	return 0;
}

bool nfc_ct_entry_nat_to(const NfcCtEntry *e, int family, const void *address)
{
	size_t len = family_len(family);

	return len && e->family == family && (e->status & IPS_SRC_NAT) &&
	       memcmp(e->reply_dst, address, len) == 0;
}

bool nfc_ct_entry_from(const NfcCtEntry *e, int family, const void *prefix,
		       unsigned int prefixlen)
{
	size_t len = family_len(family);
	const uint8_t *p = prefix;
	unsigned int bytes = prefixlen / 8, bits = prefixlen % 8;

	if (!len || e->family != family || prefixlen > len * 8)
		return false;
	if (memcmp(e->orig_src, p, bytes) != 0)
		return false;
	if (bits) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		return (e->orig_src[bytes] & mask) == (p[bytes] & mask);
	}
	return true;
}
