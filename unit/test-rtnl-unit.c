// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: rtnetlink messages built and parsed without a socket; the
 * parsers must refuse truncated and malformed input. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "rtnl-msg.h"

static NfcInAddr inaddr(int family, const char *text)
{
	NfcInAddr a = { 0 };

	g_assert_cmpint(inet_pton(family, text, &a), ==, 1);
	return a;
}

static void test_inaddr(void)
{
	NfcInAddr v4 = inaddr(AF_INET, "198.51.100.7"), v6 = inaddr(AF_INET6, "2001:db8::1");
	NfcInAddr zero = { 0 };
	char buf[INET6_ADDRSTRLEN];

	g_assert_cmpstr(nfc_inaddr_to_string(AF_INET, &v4, buf), ==, "198.51.100.7");
	g_assert_cmpstr(nfc_inaddr_to_string(AF_INET6, &v6, buf), ==, "2001:db8::1");
	g_assert_cmpstr(nfc_inaddr_to_string(AF_UNIX, &v6, buf), ==, "(bad address)");
	g_assert_false(nfc_inaddr_is_zero(AF_INET, &v4));
	g_assert_true(nfc_inaddr_is_zero(AF_INET, &zero));
	g_assert_true(nfc_inaddr_is_zero(AF_INET6, &zero));
	/* only the family's bytes count */
	zero.v6.s6_addr[15] = 1;
	g_assert_true(nfc_inaddr_is_zero(AF_INET, &zero));
	g_assert_false(nfc_inaddr_is_zero(AF_INET6, &zero));
}

static void test_addr_round_trip(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	NfcRtnlAddr in = {
		.family = AF_INET, .index = 3, .prefixlen = 24,
		.address = inaddr(AF_INET, "198.51.100.2"),
		.broadcast = inaddr(AF_INET, "198.51.100.255"),
		.flags = IFA_F_NOPREFIXROUTE, .valid_lft = 600, .preferred_lft = 900,
	};
	NfcRtnlAddr out;
	struct nlmsghdr *nlh = nfc_rtnl_msg_addr(buf, RTM_NEWADDR, &in);

	g_assert_nonnull(nlh);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
	g_assert_cmpint(nfc_rtnl_parse_addr(nlh, &out), ==, 0);
	g_assert_cmpint(out.family, ==, AF_INET);
	g_assert_cmpint(out.index, ==, 3);
	g_assert_cmpuint(out.prefixlen, ==, 24);
	g_assert_cmpmem(&out.address, 4, &in.address, 4);
	g_assert_cmpmem(&out.broadcast, 4, &in.broadcast, 4);
	/* a flag above the first 8 bits travels in IFA_FLAGS */
	g_assert_cmpuint(out.flags, ==, IFA_F_NOPREFIXROUTE);
	g_assert_cmpuint(out.valid_lft, ==, 600);
	/* preferred never outlives valid */
	g_assert_cmpuint(out.preferred_lft, ==, 600);

	in.family = AF_INET6;
	in.prefixlen = 64;
	in.address = inaddr(AF_INET6, "2001:db8:1::2");
	in.flags = 0;
	in.valid_lft = 0;
	nlh = nfc_rtnl_msg_addr(buf, RTM_DELADDR, &in);
	g_assert_nonnull(nlh);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST);
	g_assert_cmpint(nfc_rtnl_parse_addr(nlh, &out), ==, 0);
	g_assert_cmpmem(&out.address, 16, &in.address, 16);
	g_assert_cmpuint(out.valid_lft, ==, 0xffffffff);
	g_assert_true(nfc_inaddr_is_zero(AF_INET6, &out.broadcast));

	/* nonsense is refused */
	in.prefixlen = 129;
	g_assert_null(nfc_rtnl_msg_addr(buf, RTM_NEWADDR, &in));
	in.prefixlen = 64;
	in.family = AF_UNIX;
	g_assert_null(nfc_rtnl_msg_addr(buf, RTM_NEWADDR, &in));
	in.family = AF_INET6;
	in.index = 0;
	g_assert_null(nfc_rtnl_msg_addr(buf, RTM_NEWADDR, &in));
}

static void test_route_round_trip(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	NfcRtnlRoute in = {
		.family = AF_INET, .table = 1234, .dst_len = 25,
		.dst = inaddr(AF_INET, "198.51.100.128"), .prefsrc = inaddr(AF_INET, "198.51.100.2"),
		.oif = 4, .priority = 20,
	};
	NfcRtnlRoute out;
	struct nlmsghdr *nlh = nfc_rtnl_msg_route(buf, RTM_NEWROUTE, false, &in);
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	bool cloned = true;

	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	/* tables above 255 only fit RTA_TABLE */
	g_assert_cmpuint(rtm->rtm_table, ==, RT_TABLE_UNSPEC);
	g_assert_cmpint(nfc_rtnl_parse_route(nlh, &out, &cloned), ==, 0);
	g_assert_false(cloned);
	g_assert_cmpuint(out.table, ==, 1234);
	g_assert_cmpuint(out.dst_len, ==, 25);
	g_assert_cmpmem(&out.dst, 4, &in.dst, 4);
	g_assert_cmpmem(&out.prefsrc, 4, &in.prefsrc, 4);
	g_assert_true(nfc_inaddr_is_zero(AF_INET, &out.gateway));
	g_assert_cmpint(out.oif, ==, 4);
	g_assert_cmpuint(out.priority, ==, 20);
	/* no gateway: on-link; ours: static; unicast by default */
	g_assert_cmpuint(out.scope, ==, RT_SCOPE_LINK);
	g_assert_cmpuint(out.protocol, ==, RTPROT_STATIC);
	g_assert_cmpuint(out.type, ==, RTN_UNICAST);

	in.family = AF_INET6;
	in.table = RT_TABLE_MAIN;
	in.dst_len = 0;
	in.gateway = inaddr(AF_INET6, "2001:db8:1::1");
	in.prefsrc = (NfcInAddr){ 0 };
	nlh = nfc_rtnl_msg_route(buf, RTM_NEWROUTE, true, &in);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
	g_assert_cmpint(nfc_rtnl_parse_route(nlh, &out, NULL), ==, 0);
	g_assert_cmpuint(out.table, ==, RT_TABLE_MAIN);
	g_assert_cmpuint(out.scope, ==, RT_SCOPE_UNIVERSE);
	g_assert_cmpmem(&out.gateway, 16, &in.gateway, 16);
	g_assert_true(nfc_inaddr_is_zero(AF_INET6, &out.dst));

	/* a delete matches any protocol, type and scope unless told */
	nlh = nfc_rtnl_msg_route(buf, RTM_DELROUTE, false, &in);
	rtm = mnl_nlmsg_get_payload(nlh);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST);
	g_assert_cmpuint(rtm->rtm_scope, ==, RT_SCOPE_NOWHERE);
	g_assert_cmpuint(rtm->rtm_protocol, ==, 0);
	g_assert_cmpuint(rtm->rtm_type, ==, 0);

	in.dst_len = 129;
	g_assert_null(nfc_rtnl_msg_route(buf, RTM_NEWROUTE, false, &in));
	in.dst_len = 0;
	g_assert_null(nfc_rtnl_msg_route(buf, RTM_NEWLINK, false, &in));
}

static void test_rule_round_trip(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	NfcRtnlRule in = {
		.family = AF_INET, .priority = 1000, .table = 1234, .fwmark = 0x100,
		.fwmask = 0xff00, .src = inaddr(AF_INET, "198.51.100.0"), .src_len = 24,
		.protocol = RTPROT_STATIC,
	};
	NfcRtnlRule out;
	struct nlmsghdr *nlh = nfc_rtnl_msg_rule(buf, RTM_NEWRULE, &in);

	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	g_assert_cmpint(nfc_rtnl_parse_rule(nlh, &out), ==, 0);
	g_assert_cmpuint(out.priority, ==, 1000);
	g_assert_cmpuint(out.table, ==, 1234);
	/* no action given: to the table */
	g_assert_cmpuint(out.action, ==, FR_ACT_TO_TBL);
	g_assert_cmphex(out.fwmark, ==, 0x100);
	g_assert_cmphex(out.fwmask, ==, 0xff00);
	g_assert_cmpuint(out.src_len, ==, 24);
	g_assert_cmpmem(&out.src, 4, &in.src, 4);
	g_assert_cmpuint(out.protocol, ==, RTPROT_STATIC);

	in = (NfcRtnlRule){ .family = AF_INET6, .priority = 7, .action = FR_ACT_UNREACHABLE };
	nlh = nfc_rtnl_msg_rule(buf, RTM_DELRULE, &in);
	g_assert_cmpint(nfc_rtnl_parse_rule(nlh, &out), ==, 0);
	g_assert_cmpint(out.family, ==, AF_INET6);
	g_assert_cmpuint(out.action, ==, FR_ACT_UNREACHABLE);
	g_assert_cmpuint(out.table, ==, 0);
	g_assert_cmpuint(out.fwmark | out.fwmask | out.src_len | out.protocol, ==, 0);

	in.src_len = 129;
	g_assert_null(nfc_rtnl_msg_rule(buf, RTM_NEWRULE, &in));
}

/* An RTM_NEWLINK as the kernel would send it. */
static struct nlmsghdr *kernel_link(void *buf, int family, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct rtnl_link_stats64 st = { .rx_packets = 11, .tx_packets = 12, .rx_bytes = 1ull << 40,
					.tx_bytes = 14, .rx_dropped = 3 };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct nlattr *nest;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = family;
	ifi->ifi_index = 5;
	ifi->ifi_type = 1;
	ifi->ifi_flags = IFF_UP | 0x10000;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 9);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6 /* IF_OPER_UP */);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(st), &st);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static void test_link_parse(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	struct nlmsghdr *nlh = kernel_link(buf, AF_UNSPEC, "up0");
	NfcRtnlLink link;
	struct nlattr *attr;

	g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), ==, 0);
	g_assert_cmpint(link.index, ==, 5);
	g_assert_cmpstr(link.name, ==, "up0");
	g_assert_cmpuint(link.mtu, ==, 1400);
	g_assert_cmpint(link.master, ==, 9);
	g_assert_cmpuint(link.operstate, ==, 6 /* IF_OPER_UP */);
	g_assert_cmpuint(link.address_len, ==, 6);
	g_assert_cmpuint(link.address[5], ==, 9);
	g_assert_cmpstr(link.kind, ==, "veth");
	g_assert_true(link.has_stats);
	g_assert_cmpuint(link.rx_packets, ==, 11);
	g_assert_cmpuint(link.rx_bytes, ==, 1ull << 40);
	g_assert_cmpuint(link.rx_dropped, ==, 3);
	g_assert_cmpuint(link.flags & 0x10000, !=, 0);

	/* bridge port news is not link news */
	nlh = kernel_link(buf, AF_BRIDGE, "up0");
	g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), ==, -EAFNOSUPPORT);

	/* a name that does not fit */
	nlh = kernel_link(buf, AF_UNSPEC, "a-name-longer-than-ifnamsiz");
	g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), ==, -EINVAL);

	/* a short MTU attribute */
	nlh = kernel_link(buf, AF_UNSPEC, "up0");
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(attr) == IFLA_MTU)
			attr->nla_len = NLA_HDRLEN + 2;
	g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), ==, -EINVAL);

	/* a message too short for its header */
	nlh = kernel_link(buf, AF_UNSPEC, "up0");
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg) - 1);
	g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), ==, -EINVAL);

	/* stats too short to hold the counters */
	nlh = kernel_link(buf, AF_UNSPEC, "up0");
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(attr) == IFLA_STATS64)
			attr->nla_len = NLA_HDRLEN + 16;
	g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), ==, -EINVAL);
}

/* The attribute of type type among the nlh's (after hdr_len), or NULL. */
static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t hdr_len, int type)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, hdr_len)
		if (mnl_attr_get_type(attr) == type)
			return attr;
	return NULL;
}

static void test_bridge_requests(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	struct nlmsghdr *nlh = nfc_rtnl_msg_link_add_bridge(buf, "tether", 0);
	const struct ifinfomsg *ifi;
	const struct nlattr *info, *attr, *data = NULL;
	const char *kind = NULL;
	int n_data = 0;

	g_assert_nonnull(nlh);
	g_assert_cmpuint(nlh->nlmsg_type, ==, RTM_NEWLINK);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_get_payload(nlh);
	g_assert_cmpint(ifi->ifi_family, ==, AF_UNSPEC);
	g_assert_cmpint(ifi->ifi_index, ==, 0);
	/* left down */
	g_assert_cmpuint(ifi->ifi_flags & IFF_UP, ==, 0);
	g_assert_cmpstr(mnl_attr_get_str(find_attr(nlh, sizeof(*ifi), IFLA_IFNAME)), ==, "tether");
	info = find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO);
	g_assert_nonnull(info);
	mnl_attr_for_each_nested(attr, info) {
		if (mnl_attr_get_type(attr) == IFLA_INFO_KIND)
			kind = mnl_attr_get_str(attr);
		if (mnl_attr_get_type(attr) == IFLA_INFO_DATA)
			data = attr;
	}
	g_assert_cmpstr(kind, ==, "bridge");
	g_assert_nonnull(data);
	mnl_attr_for_each_nested(attr, data) {
		g_assert_cmpuint(mnl_attr_get_type(attr), ==, IFLA_BR_FORWARD_DELAY);
		g_assert_cmpuint(mnl_attr_get_payload_len(attr), ==, 4);
		g_assert_cmpuint(mnl_attr_get_u32(attr), ==, 0);
		n_data++;
	}
	g_assert_cmpint(n_data, ==, 1);
	/* the whole message is walkable as the kernel walks it */
	g_assert_true(nfc_rtnl_msg_ok(nlh, (int)nlh->nlmsg_len));

	nlh = nfc_rtnl_msg_link_add_bridge(buf, "br-1", 1500);
	info = find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO);
	mnl_attr_for_each_nested(attr, info)
		if (mnl_attr_get_type(attr) == IFLA_INFO_DATA)
			g_assert_cmpuint(mnl_attr_get_u32(mnl_attr_get_payload(attr)), ==, 1500);

	/* names the kernel refuses are refused here */
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, NULL, 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "sixteen-chars-xx", 0));
	g_assert_nonnull(nfc_rtnl_msg_link_add_bridge(buf, "fifteen-chars-x", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, ".", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "..", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "a/b", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "a:b", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "a b", 0));
	g_assert_null(nfc_rtnl_msg_link_add_bridge(buf, "a\tb", 0));

	nlh = nfc_rtnl_msg_link_del(buf, 7);
	g_assert_cmpuint(nlh->nlmsg_type, ==, RTM_DELLINK);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST);
	g_assert_cmpint(((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index, ==, 7);
	g_assert_null(nfc_rtnl_msg_link_del(buf, 0));

	nlh = nfc_rtnl_msg_link_set_master(buf, 7, 9);
	g_assert_cmpuint(nlh->nlmsg_type, ==, RTM_NEWLINK);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST);
	ifi = mnl_nlmsg_get_payload(nlh);
	g_assert_cmpint(ifi->ifi_index, ==, 7);
	/* only the master changes: no flags touched */
	g_assert_cmpuint(ifi->ifi_change, ==, 0);
	g_assert_cmpuint(mnl_attr_get_u32(find_attr(nlh, sizeof(*ifi), IFLA_MASTER)), ==, 9);
	/* 0 releases: the attribute is there, with 0 */
	nlh = nfc_rtnl_msg_link_set_master(buf, 7, 0);
	g_assert_nonnull(find_attr(nlh, sizeof(*ifi), IFLA_MASTER));
	g_assert_cmpuint(mnl_attr_get_u32(find_attr(nlh, sizeof(*ifi), IFLA_MASTER)), ==, 0);
	g_assert_null(nfc_rtnl_msg_link_set_master(buf, 0, 9));
	g_assert_null(nfc_rtnl_msg_link_set_master(buf, 7, -1));
	g_assert_null(nfc_rtnl_msg_link_set_master(buf, 7, 7));
}

/* An RTM_NEWNEIGH as the kernel would send it; lladdr_len 0: none. */
static struct nlmsghdr *kernel_neigh(void *buf, int type, int family, const char *dst,
				     uint16_t state, size_t lladdr_len)
{
	const uint8_t mac[20] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;
	NfcInAddr a = { 0 };

	nlh->nlmsg_type = type;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = 4;
	ndm->ndm_state = state;
	ndm->ndm_type = RTN_UNICAST;
	if (dst) {
		g_assert_cmpint(inet_pton(family == AF_BRIDGE ? AF_INET : family, dst, &a), ==, 1);
		mnl_attr_put(nlh, NDA_DST, family == AF_INET6 ? 16 : 4, &a);
	}
	if (lladdr_len)
		mnl_attr_put(nlh, NDA_LLADDR, lladdr_len, mac);
	mnl_attr_put_u32(nlh, NDA_PROBES, 1);
	return nlh;
}

static void test_neigh_parse(void)
{
	const uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	char buf[NFC_RTNL_REQUEST_SIZE];
	NfcInAddr want4 = inaddr(AF_INET, "192.168.0.23"), want6 = inaddr(AF_INET6, "fd00::23");
	struct nlmsghdr *nlh;
	NfcRtnlNeigh n;
	struct nlattr *attr;

	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET, "192.168.0.23", NUD_REACHABLE, 6);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, 0);
	g_assert_cmpint(n.family, ==, AF_INET);
	g_assert_cmpint(n.index, ==, 4);
	g_assert_cmpuint(n.state, ==, NUD_REACHABLE);
	g_assert_cmpmem(&n.address, 4, &want4, 4);
	g_assert_true(n.has_lladdr);
	g_assert_cmpmem(n.lladdr, 6, mac, 6);

	nlh = kernel_neigh(buf, RTM_DELNEIGH, AF_INET6, "fd00::23", NUD_STALE, 6);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, 0);
	g_assert_cmpint(n.family, ==, AF_INET6);
	g_assert_cmpmem(&n.address, 16, &want6, 16);
	g_assert_true(n.has_lladdr);

	/* being resolved: no link-layer address yet */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET, "192.168.0.23", NUD_INCOMPLETE, 0);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, 0);
	g_assert_false(n.has_lladdr);
	/* a link-layer address of another size is none we can hold */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET, "192.168.0.23", NUD_REACHABLE, 20);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, 0);
	g_assert_false(n.has_lladdr);

	/* a bridge's forwarding database speaks on the same group */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_BRIDGE, NULL, NUD_NOARP, 6);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, -EAFNOSUPPORT);
	/* no destination */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET, NULL, NUD_REACHABLE, 6);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, -EINVAL);
	/* a destination of the wrong size */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET6, "fd00::23", NUD_REACHABLE, 6);
	mnl_attr_for_each(attr, nlh, sizeof(struct ndmsg))
		if (mnl_attr_get_type(attr) == NDA_DST)
			attr->nla_len = NLA_HDRLEN + 4;
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, -EINVAL);
	/* no link */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET, "192.168.0.23", NUD_REACHABLE, 6);
	((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_ifindex = 0;
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, -EINVAL);
	/* a header cut short */
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg) - 1);
	g_assert_cmpint(nfc_rtnl_parse_neigh(nlh, &n), ==, -EINVAL);

	/* a neighbour message offered to the link or address parser (as the
	 * fuzzer does) yields nothing */
	nlh = kernel_neigh(buf, RTM_NEWNEIGH, AF_INET, "192.168.0.23", NUD_REACHABLE, 6);
	{
		NfcRtnlLink link;
		NfcRtnlAddr addr;

		/* ndm_family AF_INET is no AF_UNSPEC link */
		g_assert_cmpint(nfc_rtnl_parse_link(nlh, &link), <, 0);
		/* read as an address, the state and flags after the shorter
		 * ifaddrmsg are no attribute, and there is no address */
		g_assert_cmpint(nfc_rtnl_parse_addr(nlh, &addr), <, 0);
	}

	{
		static const uint16_t there[] = {
			NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE, NUD_PERMANENT,
		};
		static const uint16_t not_there[] = { NUD_INCOMPLETE, NUD_FAILED, NUD_NONE };

		for (guint i = 0; i < G_N_ELEMENTS(there); i++) {
			g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_NEWNEIGH, there[i]), ==,
					NFC_RTNL_NEIGH_CHANGED);
			g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_DELNEIGH, there[i]), ==,
					NFC_RTNL_NEIGH_REMOVED);
		}
		for (guint i = 0; i < G_N_ELEMENTS(not_there); i++) {
			g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_NEWNEIGH, not_there[i]), ==,
					NFC_RTNL_NEIGH_REMOVED);
			g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_DELNEIGH, not_there[i]), ==,
					NFC_RTNL_NEIGH_REMOVED);
		}
		/* multicast and broadcast entries are nobody, coming or going */
		g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_NEWNEIGH, NUD_NOARP), ==,
				NFC_RTNL_NEIGH_IGNORE);
		g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_DELNEIGH, NUD_NOARP), ==,
				NFC_RTNL_NEIGH_IGNORE);
		g_assert_cmpint(nfc_rtnl_neigh_classify(RTM_GETNEIGH, NUD_REACHABLE), ==,
				NFC_RTNL_NEIGH_IGNORE);
	}

	/* the dump request */
	nlh = nfc_rtnl_msg_dump(buf, RTM_GETNEIGH, AF_INET6);
	g_assert_nonnull(nlh);
	g_assert_cmpuint(nlh->nlmsg_flags, ==, NLM_F_REQUEST | NLM_F_DUMP);
	g_assert_cmpuint(nlh->nlmsg_len, ==, NLMSG_LENGTH(sizeof(struct ndmsg)));
	g_assert_cmpint(((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_family, ==, AF_INET6);
}

/* Neighbour news as this kernel sent it (captured into the fuzz corpus):
 * a bridge's fdb entry on the neighbour group, an entry turned FAILED,
 * its removal, and a dump's datagram. */
static void test_neigh_captured(void)
{
	static const char *const names[] = {
		"fdb-event-0", "neigh4-event-0", "neigh4-event-1", "neigh-datagram",
	};
	int results[G_N_ELEMENTS(names)][4] = { { 0 } };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(NFC_SOURCE_ROOT, "unit", "fuzz", "corpus",
							 "rtnl-msg", names[i], NULL);
		g_autofree char *data = NULL;
		gsize len = 0;
		void *buf;
		const struct nlmsghdr *nlh;
		int rest;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		/* aligned, as recv() fills our buffer */
		buf = g_memdup2(data, len);
		nlh = buf;
		rest = (int)len;
		for (; nfc_rtnl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			NfcRtnlNeigh n;
			int r = nfc_rtnl_parse_neigh(nlh, &n);

			if (r == -EAFNOSUPPORT)
				results[i][0]++;
			else if (r == 0)
				results[i][1 + nfc_rtnl_neigh_classify(nlh->nlmsg_type, n.state)]++;
		}
		g_free(buf);
	}
	/* not a neighbour, then counts of IGNORE, CHANGED, REMOVED */
	g_assert_cmpint(results[0][0], ==, 1);
	g_assert_cmpint(results[0][1] + results[0][2] + results[0][3], ==, 0);
	g_assert_cmpint(results[1][3], ==, 1);  /* turned NUD_FAILED */
	g_assert_cmpint(results[2][3], ==, 1);  /* RTM_DELNEIGH of the FAILED one */
	/* 198.51.100.50 reachable, 2001:db8:1::50 permanent: there; .51
	 * incomplete: not; 224.0.0.22 on the bridge (NOARP): nobody */
	g_assert_cmpint(results[3][2], ==, 2);
	g_assert_cmpint(results[3][3], ==, 1);
	g_assert_cmpint(results[3][1], ==, 1);
}

/* An RTM_NEWNDUSEROPT as the kernel sends it: the options of one router
 * advertisement on ifindex 2 after struct nduseroptmsg. */
static struct nlmsghdr *nd_msg(void *buf, const uint8_t *opts, size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nduseroptmsg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	nlh->nlmsg_type = RTM_NEWNDUSEROPT;
	m->nduseropt_family = AF_INET6;
	m->nduseropt_ifindex = 2;
	m->nduseropt_icmp_type = 134;
	m->nduseropt_opts_len = (unsigned short)len;
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), opts, len);
	return nlh;
}

/* RDNSS, lifetime 600: 2001:db8:a::53 and 2001:db8:a::54 (length 5) */
static const uint8_t rdnss_two[] = {
	25, 5, 0, 0, 0, 0, 0x02, 0x58,
	0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54,
};

/* DNSSL, lifetime forever: one.example, lab.two.example, zero padding */
static const uint8_t dnssl_two[] = {
	31, 5, 0, 0, 0xff, 0xff, 0xff, 0xff,
	3, 'o', 'n', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	3, 'l', 'a', 'b', 3, 't', 'w', 'o', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	0, 0,
};

static void test_nd_options(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	uint8_t opts[sizeof(rdnss_two) + 8 + sizeof(dnssl_two)] = { 0 };
	NfcRtnlNdOpts out;
	char text[INET6_ADDRSTRLEN];

	/* RDNSS, an unknown option (type 38, PREF64), DNSSL in one list */
	memcpy(opts, rdnss_two, sizeof(rdnss_two));
	opts[sizeof(rdnss_two)] = 38;
	opts[sizeof(rdnss_two) + 1] = 1;
	memcpy(opts + sizeof(rdnss_two) + 8, dnssl_two, sizeof(dnssl_two));
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, opts, sizeof(opts)), &out), ==, 0);
	g_assert_cmpint(out.index, ==, 2);
	g_assert_cmpuint(out.n_servers, ==, 2);
	g_assert_cmpstr(inet_ntop(AF_INET6, &out.servers[0], text, sizeof(text)), ==,
			"2001:db8:a::53");
	g_assert_cmpstr(inet_ntop(AF_INET6, &out.servers[1], text, sizeof(text)), ==,
			"2001:db8:a::54");
	g_assert_cmpuint(out.server_lifetime[0], ==, 600);
	g_assert_cmpuint(out.server_lifetime[1], ==, 600);
	g_assert_cmpuint(out.n_domains, ==, 2);
	g_assert_cmpstr(out.domains[0], ==, "one.example");
	g_assert_cmpstr(out.domains[1], ==, "lab.two.example");
	g_assert_cmpuint(out.domain_lifetime[1], ==, 0xffffffff);

	/* lifetime 0 is news too: the router withdraws them */
	memcpy(opts, rdnss_two, sizeof(rdnss_two));
	memset(opts + 4, 0, 4);
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, opts, sizeof(rdnss_two)), &out), ==, 0);
	g_assert_cmpuint(out.n_servers, ==, 2);
	g_assert_cmpuint(out.server_lifetime[0], ==, 0);

	/* other messages: not ours */
	{
		struct nlmsghdr *nlh = nd_msg(buf, rdnss_two, sizeof(rdnss_two));
		struct nduseroptmsg *m = mnl_nlmsg_get_payload(nlh);

		m->nduseropt_family = AF_INET;
		g_assert_cmpint(nfc_rtnl_parse_nd_options(nlh, &out), ==, -EAFNOSUPPORT);
		m->nduseropt_family = AF_INET6;
		m->nduseropt_icmp_type = 135;
		g_assert_cmpint(nfc_rtnl_parse_nd_options(nlh, &out), ==, -EAFNOSUPPORT);
	}
}

/* Malformed lists fail the message; a malformed RDNSS or DNSSL option is
 * dropped alone. */
static void test_nd_options_malformed(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	uint8_t opts[64];
	NfcRtnlNdOpts out;
	struct nlmsghdr *nlh;

	/* an option of length 0 would loop forever */
	memcpy(opts, rdnss_two, sizeof(rdnss_two));
	opts[1] = 0;
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, opts, sizeof(rdnss_two)), &out), ==,
			-EINVAL);
	/* an option longer than the list */
	opts[1] = 6;
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, opts, sizeof(rdnss_two)), &out), ==,
			-EINVAL);
	/* a list shorter than its header says, or cut in an option header */
	nlh = nd_msg(buf, rdnss_two, sizeof(rdnss_two));
	nlh->nlmsg_len -= 8;
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nlh, &out), ==, -EINVAL);
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, rdnss_two, 1), &out), ==, -EINVAL);
	/* a message too short for struct nduseroptmsg */
	nlh = nd_msg(buf, rdnss_two, 0);
	nlh->nlmsg_len = NLMSG_LENGTH(4);
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nlh, &out), ==, -EINVAL);

	/* RDNSS of even length (half an address) or with no address */
	memcpy(opts, rdnss_two, sizeof(rdnss_two));
	opts[1] = 4;
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, opts, 32), &out), ==, 0);
	g_assert_cmpuint(out.n_servers, ==, 0);
	opts[1] = 1;
	g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, opts, 8), &out), ==, 0);
	g_assert_cmpuint(out.n_servers, ==, 0);

	/* DNSSL names: each of these drops the option */
	{
		static const struct {
			uint8_t data[16];
		} bad[] = {
			{ { 31, 2, 0, 0, 0, 0, 1, 0, 0xc0, 0x0c, 0, 0, 0, 0, 0, 0 } }, /* compressed */
			{ { 31, 2, 0, 0, 0, 0, 1, 0, 3, 'a', ' ', 'b', 0, 0, 0, 0 } },  /* a space */
			{ { 31, 2, 0, 0, 0, 0, 1, 0, 3, 'a', '\n', 'b', 0, 0, 0, 0 } }, /* a newline */
			{ { 31, 2, 0, 0, 0, 0, 1, 0, 7, 'a', 'b', 'c', 'd', 'e', 'f', 'g' } }, /* no end */
			{ { 31, 2, 0, 0, 0, 0, 1, 0, 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g' } }, /* past it */
			{ { 31, 2, 0, 0, 0, 0, 1, 0, 1, 'a', 0, 5, 0, 0, 0, 0 } },      /* junk padding */
		};

		for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
			g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, bad[i].data, 16), &out), ==, 0);
			g_assert_cmpuint(out.n_domains, ==, 0);
		}
	}
	/* a label of 63 is fine, a name of 253 characters too; 255 is not */
	{
		uint8_t big[8 + 264] = { 31, 34, 0, 0, 0, 0, 1, 0 };
		size_t pos = 8;

		for (int l = 0; l < 4; l++) {
			big[pos++] = 63;
			memset(big + pos, 'a', 63);
			pos += 63;
		}
		big[pos++] = 0;
		/* 4 labels of 63 and 3 dots: 255 characters */
		g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, big, sizeof(big)), &out), ==, 0);
		g_assert_cmpuint(out.n_domains, ==, 0);
		/* the last label 61: 253 characters */
		memset(big + 8, 0, sizeof(big) - 8);
		pos = 8;
		for (int l = 0; l < 4; l++) {
			int n = l == 3 ? 61 : 63;

			big[pos++] = (uint8_t)n;
			memset(big + pos, 'a', (size_t)n);
			pos += (size_t)n;
		}
		g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, big, sizeof(big)), &out), ==, 0);
		g_assert_cmpuint(out.n_domains, ==, 1);
		g_assert_cmpuint(strlen(out.domains[0]), ==, 253);
	}
	/* more servers than we keep: the first ones */
	{
		uint8_t many[8 + 10 * 16] = { 25, 21, 0, 0, 0, 0, 0, 60 };

		for (int i = 0; i < 10; i++)
			many[8 + i * 16 + 15] = (uint8_t)(i + 1);
		g_assert_cmpint(nfc_rtnl_parse_nd_options(nd_msg(buf, many, sizeof(many)), &out), ==, 0);
		g_assert_cmpuint(out.n_servers, ==, NFC_RTNL_ND_MAX_SERVERS);
		g_assert_cmpuint(out.servers[7].s6_addr[15], ==, 8);
	}
}

static void test_truncated(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	NfcRtnlAddr addr = {
		.family = AF_INET6, .index = 2, .prefixlen = 64,
		.address = inaddr(AF_INET6, "2001:db8::2"),
	};
	NfcRtnlRoute route;
	NfcRtnlRule rule;
	struct nlmsghdr *nlh = nfc_rtnl_msg_addr(buf, RTM_NEWADDR, &addr);
	struct nlattr *attr;

	/* an IPv6 address attribute with 4 bytes */
	mnl_attr_for_each(attr, nlh, sizeof(struct ifaddrmsg))
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			attr->nla_len = NLA_HDRLEN + 4;
	g_assert_cmpint(nfc_rtnl_parse_addr(nlh, &addr), ==, -EINVAL);

	/* no address at all */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	((struct ifaddrmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg)))->ifa_family = AF_INET;
	g_assert_cmpint(nfc_rtnl_parse_addr(nlh, &addr), ==, -EINVAL);

	/* a header cut short */
	nlh->nlmsg_len = NLMSG_LENGTH(2);
	g_assert_cmpint(nfc_rtnl_parse_addr(nlh, &addr), ==, -EINVAL);
	g_assert_cmpint(nfc_rtnl_parse_route(nlh, &route, NULL), ==, -EINVAL);
	g_assert_cmpint(nfc_rtnl_parse_rule(nlh, &rule), ==, -EINVAL);

	/* MPLS routes are not ours */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	((struct rtmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)))->rtm_family = AF_MPLS;
	g_assert_cmpint(nfc_rtnl_parse_route(nlh, &route, NULL), ==, -EAFNOSUPPORT);
}

static void test_error(void)
{
	char buf[NFC_RTNL_REQUEST_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err;
	const char *text = "x";

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = -EEXIST;
	err->msg.nlmsg_len = 200; /* capped: the request is not echoed */
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "File exists here");
	g_assert_cmpint(nfc_rtnl_parse_error(nlh, &text), ==, -EEXIST);
	g_assert_cmpstr(text, ==, "File exists here");

	/* an ack */
	err->error = 0;
	nlh->nlmsg_flags = 0;
	g_assert_cmpint(nfc_rtnl_parse_error(nlh, &text), ==, 0);
	g_assert_null(text);

	nlh->nlmsg_len = NLMSG_LENGTH(2);
	g_assert_cmpint(nfc_rtnl_parse_error(nlh, NULL), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtnl-msg/inaddr", test_inaddr);
	g_test_add_func("/rtnl-msg/addr", test_addr_round_trip);
	g_test_add_func("/rtnl-msg/route", test_route_round_trip);
	g_test_add_func("/rtnl-msg/rule", test_rule_round_trip);
	g_test_add_func("/rtnl-msg/link", test_link_parse);
	g_test_add_func("/rtnl-msg/bridge", test_bridge_requests);
	g_test_add_func("/rtnl-msg/neigh", test_neigh_parse);
	g_test_add_func("/rtnl-msg/neigh-captured", test_neigh_captured);
	g_test_add_func("/rtnl-msg/nd-options", test_nd_options);
	g_test_add_func("/rtnl-msg/nd-options-malformed", test_nd_options_malformed);
	g_test_add_func("/rtnl-msg/truncated", test_truncated);
	g_test_add_func("/rtnl-msg/error", test_error);
	return g_test_run();
}
