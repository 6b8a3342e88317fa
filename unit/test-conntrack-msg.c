// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the ctnetlink codec (firewall/conntrack-msg.c): entries
 * built here as the kernel sends them, parsed, matched, and turned into
 * the delete that names them; broken ones refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "conntrack-msg.h"

typedef struct {
	int family;
	const char *osrc, *odst, *rsrc, *rdst;
	uint8_t proto;
	uint16_t sport, dport;
	uint32_t status;
	bool zone;
	/* breakage */
	bool no_reply, short_addr, no_proto_num;
} Spec;

static void put_addr(struct nlmsghdr *nlh, int family, int type4, int type6, const char *text,
		     bool shorten)
{
	uint8_t a[16];
	size_t len = family == AF_INET6 ? 16 : 4;

	g_assert_cmpint(inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, text, a), ==, 1);
	mnl_attr_put(nlh, family == AF_INET6 ? type6 : type4, shorten ? len - 1 : len, a);
}

static void put_tuple(struct nlmsghdr *nlh, int type, const Spec *s, const char *src,
		      const char *dst, uint16_t sport, uint16_t dport)
{
	struct nlattr *tuple = mnl_attr_nest_start(nlh, type), *nest;

	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	put_addr(nlh, s->family, CTA_IP_V4_SRC, CTA_IP_V6_SRC, src, false);
	put_addr(nlh, s->family, CTA_IP_V4_DST, CTA_IP_V6_DST, dst, s->short_addr);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	if (!s->no_proto_num)
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, s->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

/* An entry as a dump sends it: the tuples, status, id, zone, and some
 * attributes the parser must skip. */
static struct nlmsghdr *build_entry(void *buf, const Spec *s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *gen;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->nfgen_family = s->family;
	put_tuple(nlh, CTA_TUPLE_ORIG, s, s->osrc, s->odst, s->sport, s->dport);
	if (!s->no_reply)
		put_tuple(nlh, CTA_TUPLE_REPLY, s, s->rsrc, s->rdst, s->dport, s->sport);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(s->status));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(30));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x10000));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0xdeadbeef));
	if (s->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(7));
	return nlh;
}

static const Spec snat4 = {
	.family = AF_INET, .osrc = "192.168.7.2", .odst = "203.0.113.1",
	.rsrc = "203.0.113.1", .rdst = "10.1.0.1", .proto = IPPROTO_UDP,
	.sport = 20000, .dport = 9, .status = IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED,
};

static const Spec snat6 = {
	.family = AF_INET6, .osrc = "fd00:7::2", .odst = "2001:db8::1",
	.rsrc = "2001:db8::1", .rdst = "fd01::1", .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 443, .status = IPS_SRC_NAT | IPS_SEEN_REPLY, .zone = true,
};

static bool nat_to(const NfcCtEntry *e, int family, const char *text)
{
	uint8_t a[16];

	g_assert_cmpint(inet_pton(family, text, a), ==, 1);
	return nfc_ct_entry_nat_to(e, family, a);
}

static void test_parse(void)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t want[16];
	NfcCtEntry e;

	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &snat4), &e), ==, 0);
	g_assert_cmpint(e.family, ==, AF_INET);
	g_assert_cmpint(e.l4proto, ==, IPPROTO_UDP);
	g_assert_cmphex(e.status, ==, snat4.status);
	g_assert_true(e.has_id);
	g_assert_cmphex(e.id, ==, 0xdeadbeef);
	g_assert_false(e.has_zone);
	inet_pton(AF_INET, "192.168.7.2", want);
	g_assert_cmpmem(e.orig_src, 4, want, 4);
	inet_pton(AF_INET, "10.1.0.1", want);
	g_assert_cmpmem(e.reply_dst, 4, want, 4);
	g_assert_true(nat_to(&e, AF_INET, "10.1.0.1"));
	g_assert_false(nat_to(&e, AF_INET, "10.2.0.1"));
	/* the original destination is no NAT address */
	g_assert_false(nat_to(&e, AF_INET, "203.0.113.1"));

	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &snat6), &e), ==, 0);
	g_assert_cmpint(e.family, ==, AF_INET6);
	g_assert_true(e.has_zone);
	g_assert_cmpuint(e.zone, ==, 7);
	g_assert_true(nat_to(&e, AF_INET6, "fd01::1"));
	g_assert_false(nat_to(&e, AF_INET6, "fd01::2"));
}

/* A flow of the box itself answers to the same address: not NATed. */
static void test_not_nat(void)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	Spec s = snat4;
	NfcCtEntry e;
	uint8_t a[16] = { 0 };

	s.osrc = "10.1.0.1";
	s.status = IPS_CONFIRMED | IPS_DST_NAT;
	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &s), &e), ==, 0);
	g_assert_false(nat_to(&e, AF_INET, "10.1.0.1"));
	s.status = IPS_SRC_NAT;
	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &s), &e), ==, 0);
	g_assert_true(nat_to(&e, AF_INET, "10.1.0.1"));
	/* an IPv4 entry never matches an IPv6 address, whatever its bytes */
	memcpy(a, e.reply_dst, 4);
	g_assert_false(nfc_ct_entry_nat_to(&e, AF_INET6, a));
	g_assert_false(nfc_ct_entry_nat_to(&e, AF_UNIX, a));
}

static bool from(const NfcCtEntry *e, int family, const char *text, unsigned int len)
{
	uint8_t a[16];

	g_assert_cmpint(inet_pton(family, text, a), ==, 1);
	return nfc_ct_entry_from(e, family, a, len);
}

/* The source filter of a failback flush: the tether subnet's flows only. */
static void test_from(void)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	NfcCtEntry e;

	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &snat4), &e), ==, 0);
	g_assert_true(from(&e, AF_INET, "192.168.7.0", 24));
	g_assert_true(from(&e, AF_INET, "192.168.7.2", 32));
	g_assert_true(from(&e, AF_INET, "192.168.0.0", 16));
	g_assert_true(from(&e, AF_INET, "192.168.6.0", 23));  /* 6 and 7 share 23 bits */
	g_assert_true(from(&e, AF_INET, "0.0.0.0", 0));
	g_assert_false(from(&e, AF_INET, "192.168.8.0", 24));
	g_assert_false(from(&e, AF_INET, "192.168.6.0", 24));
	g_assert_false(from(&e, AF_INET, "192.168.7.3", 32));
	g_assert_false(from(&e, AF_INET, "192.168.7.0", 33));
	/* the NAT address and the original destination are not its source */
	g_assert_false(from(&e, AF_INET, "10.1.0.1", 32));
	g_assert_false(from(&e, AF_INET, "203.0.113.1", 32));
	g_assert_false(nfc_ct_entry_from(&e, AF_INET6, e.orig_src, 0));

	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &snat6), &e), ==, 0);
	g_assert_true(from(&e, AF_INET6, "fd00:7::", 64));
	g_assert_true(from(&e, AF_INET6, "fd00::", 20));
	g_assert_true(from(&e, AF_INET6, "fd00:7::2", 128));
	g_assert_false(from(&e, AF_INET6, "fd00:8::", 64));
	g_assert_true(from(&e, AF_INET6, "fd00:7::3", 127));
	g_assert_false(from(&e, AF_INET6, "fd00:7::4", 127));
	g_assert_false(from(&e, AF_INET6, "fd00:7::", 129));
	g_assert_false(nfc_ct_entry_from(&e, AF_INET, e.orig_src, 0));
}

static void test_delete(void)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE], req[NFC_CT_REQUEST_SIZE];
	const Spec *specs[] = { &snat4, &snat6 };

	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		struct nlmsghdr *entry = build_entry(buf, specs[i]), *del;
		const struct nfgenmsg *gen;
		const struct nlattr *attr;
		bool orig = false, zone = false, id = false;
		NfcCtEntry e;

		g_assert_cmpint(nfc_ct_msg_parse(entry, &e), ==, 0);
		memset(req, 0xa5, sizeof(req)); /* padding must not keep this */
		del = nfc_ct_msg_delete(req, &e);
		g_assert_nonnull(del);
		g_assert_cmpuint(del->nlmsg_type, ==, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
		g_assert_cmphex(del->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_ACK);
		g_assert_cmpuint(del->nlmsg_len % 4, ==, 0);
		gen = mnl_nlmsg_get_payload(del);
		g_assert_cmpint(gen->nfgen_family, ==, specs[i]->family);
		mnl_attr_for_each(attr, del, sizeof(*gen)) {
			switch (mnl_attr_get_type(attr)) {
			case CTA_TUPLE_ORIG:
				/* the kernel's tuple, byte for byte */
				g_assert_cmpmem(attr, attr->nla_len, e.orig, e.orig_len);
				orig = true;
				break;
			case CTA_ZONE:
				g_assert_cmpuint(ntohs(mnl_attr_get_u16(attr)), ==, 7);
				zone = true;
				break;
			case CTA_ID:
				g_assert_cmphex(ntohl(mnl_attr_get_u32(attr)), ==, 0xdeadbeef);
				id = true;
				break;
			default:
				g_assert_not_reached();
			}
		}
		g_assert_true(orig);
		g_assert_true(id);
		g_assert_cmpint(zone, ==, specs[i]->zone);
	}
}

static void test_dump(void)
{
	uint8_t req[NFC_CT_REQUEST_SIZE];
	struct nlmsghdr *nlh = nfc_ct_msg_dump(req, AF_INET6);
	const struct nfgenmsg *gen = mnl_nlmsg_get_payload(nlh);

	g_assert_cmpuint(nlh->nlmsg_type, ==, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	g_assert_cmphex(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_DUMP);
	g_assert_cmpint(gen->nfgen_family, ==, AF_INET6);
	g_assert_null(nfc_ct_msg_dump(req, AF_UNIX));
}

static void test_refused(void)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	NfcCtEntry e;
	Spec s;
	uint32_t full;

	s = snat4;
	s.no_reply = true;
	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &s), &e), ==, -EINVAL);
	s = snat4;
	s.short_addr = true;
	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &s), &e), ==, -EINVAL);
	s = snat6;
	s.no_proto_num = true;
	g_assert_cmpint(nfc_ct_msg_parse(build_entry(buf, &s), &e), ==, -EINVAL);
	/* an IPv6 entry that claims to be IPv4: its addresses are too long */
	nlh = build_entry(buf, &snat6);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family = AF_INET;
	g_assert_cmpint(nfc_ct_msg_parse(nlh, &e), ==, -EINVAL);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family = AF_BRIDGE;
	g_assert_cmpint(nfc_ct_msg_parse(nlh, &e), ==, -EAFNOSUPPORT);
	nlh = build_entry(buf, &snat4);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_CT_NEW;
	g_assert_cmpint(nfc_ct_msg_parse(nlh, &e), ==, -ENOMSG);
	nlh->nlmsg_type = NLMSG_DONE;
	g_assert_cmpint(nfc_ct_msg_parse(nlh, &e), ==, -ENOMSG);

	/* every truncation, in a buffer of just its length (the walk in
	 * conntrack.c hands on only whole messages of aligned length): no
	 * read past the end (ASan), and no entry without its tuple */
	nlh = build_entry(buf, &snat6);
	full = nlh->nlmsg_len;
	for (uint32_t len = NLMSG_HDRLEN; len < full; len += 4) {
		struct nlmsghdr *cut = g_memdup2(nlh, len);

		cut->nlmsg_len = len;
		if (nfc_ct_msg_parse(cut, &e) == 0)
			g_assert_cmpuint(e.orig_len, >, 0);
		g_free(cut);
	}
	/* both tuples but cut before its status: refused */
	nlh = build_entry(buf, &snat6);
	g_assert_cmpint(nfc_ct_msg_parse(nlh, &e), ==, 0);
	{
		const struct nlattr *attr;

		mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
			if (mnl_attr_get_type(attr) == CTA_STATUS)
				break;
		nlh->nlmsg_len = (uint32_t)((const uint8_t *)attr - (const uint8_t *)nlh);
		g_assert_cmpint(nfc_ct_msg_parse(nlh, &e), ==, -EINVAL);
	}
	/* a delete of an entry with no tuple is refused */
	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	g_assert_null(nfc_ct_msg_delete(buf, &e));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/conntrack-msg/parse", test_parse);
	g_test_add_func("/conntrack-msg/not-nat", test_not_nat);
	g_test_add_func("/conntrack-msg/from", test_from);
	g_test_add_func("/conntrack-msg/delete", test_delete);
	g_test_add_func("/conntrack-msg/dump", test_dump);
	g_test_add_func("/conntrack-msg/refused", test_refused);
	return g_test_run();
}
