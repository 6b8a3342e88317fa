// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink message building and parsing; see rtnl-msg.h. Everything the
 * kernel sends is bounds-checked here before a field is read. */
#include "rtnl-msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

static size_t family_len(int family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

bool nfc_inaddr_is_zero(int family, const NfcInAddr *addr)
{
	static const NfcInAddr zero;
	size_t len = family_len(family);

	return len == 0 || memcmp(addr, &zero, len) == 0;
}

const char *nfc_inaddr_to_string(int family, const NfcInAddr *addr, char *buf)
{
	if (!inet_ntop(family, addr, buf, INET6_ADDRSTRLEN))
		g_strlcpy(buf, "(bad address)", INET6_ADDRSTRLEN);
	return buf;
}

static struct nlmsghdr *put_header(void *buf, int type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_link_set_up(void *buf, int ifindex, bool up)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex <= 0)
		return NULL;
	nlh = put_header(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nlh;
}

/* The kernel's test of an interface name (dev_valid_name), so that a
 * name it would refuse is refused here, before anything is sent. */
static bool link_name_ok(const char *name)
{
	size_t len = name ? strnlen(name, IFNAMSIZ) : 0;

	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || g_ascii_isspace(*p))
			return false;
	return true;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int ifindex)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

struct nlmsghdr *nfc_rtnl_msg_link_add_bridge(void *buf, const char *name, uint32_t forward_delay)
{
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	if (!link_name_ok(name))
		return NULL;
	/* EXCL: a link of that name that exists is someone else's (or a
	 * leftover of ours, which the caller must look at first) */
	nlh = put_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* allowed below the 2 s minimum because STP is off (the default) */
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, forward_delay);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_link_del(void *buf, int ifindex)
{
	struct nlmsghdr *nlh;

	if (ifindex <= 0)
		return NULL;
	nlh = put_header(buf, RTM_DELLINK, 0);
	put_ifinfo(nlh, ifindex);
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_link_set_master(void *buf, int ifindex, int master)
{
	struct nlmsghdr *nlh;

	if (ifindex <= 0 || master < 0 || master == ifindex)
		return NULL;
	nlh = put_header(buf, RTM_NEWLINK, 0);
	put_ifinfo(nlh, ifindex);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_addr(void *buf, int type, const NfcRtnlAddr *addr)
{
	size_t len = family_len(addr->family);
	bool add = type == RTM_NEWADDR;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (!len || addr->prefixlen > len * 8 || addr->index <= 0 ||
	    (type != RTM_NEWADDR && type != RTM_DELADDR))
		return NULL;
	/* REPLACE: adding an address we have refreshes its lifetimes (a
	 * renewed lease) instead of failing with EEXIST */
	nlh = put_header(buf, type, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = addr->prefixlen;
	ifa->ifa_scope = addr->scope;
	ifa->ifa_index = addr->index;
	ifa->ifa_flags = addr->flags & 0xff;
	mnl_attr_put(nlh, IFA_LOCAL, len, &addr->address);
	mnl_attr_put(nlh, IFA_ADDRESS, len, &addr->address);
	if (!add)
		return nlh;
	if (addr->family == AF_INET && !nfc_inaddr_is_zero(AF_INET, &addr->broadcast))
		mnl_attr_put(nlh, IFA_BROADCAST, len, &addr->broadcast);
	if (addr->flags > 0xff)
		mnl_attr_put_u32(nlh, IFA_FLAGS, addr->flags);
	/* 0 reads as "not set": an address valid for no time is no request */
	if (addr->valid_lft && addr->valid_lft != 0xffffffff) {
		struct ifa_cacheinfo ci = {
			.ifa_valid = addr->valid_lft,
			.ifa_prefered = MIN(addr->preferred_lft, addr->valid_lft),
		};

		mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_route(void *buf, int type, bool replace, const NfcRtnlRoute *route)
{
	size_t len = family_len(route->family);
	bool add = type == RTM_NEWROUTE;
	uint32_t table = route->table ? route->table : RT_TABLE_MAIN;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint16_t flags = 0;

	if (!len || route->dst_len > len * 8 || (type != RTM_NEWROUTE && type != RTM_DELROUTE))
		return NULL;
	if (add)
		flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	nlh = put_header(buf, type, flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = route->family;
	rtm->rtm_dst_len = route->dst_len;
	rtm->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	if (add) {
		rtm->rtm_protocol = route->protocol ? route->protocol : RTPROT_STATIC;
		rtm->rtm_type = route->type ? route->type : RTN_UNICAST;
		rtm->rtm_scope = route->scope;
		/* a unicast route without a gateway is on-link: "scope link",
		 * as ip-route(8) does; IPv6 ignores the scope */
		if (route->scope == RT_SCOPE_UNIVERSE && rtm->rtm_type == RTN_UNICAST &&
		    nfc_inaddr_is_zero(route->family, &route->gateway))
			rtm->rtm_scope = RT_SCOPE_LINK;
	} else {
		/* 0 protocol and type match any; so does scope "nowhere" */
		rtm->rtm_protocol = route->protocol;
		rtm->rtm_type = route->type;
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (route->dst_len)
		mnl_attr_put(nlh, RTA_DST, len, &route->dst);
	if (!nfc_inaddr_is_zero(route->family, &route->gateway))
		mnl_attr_put(nlh, RTA_GATEWAY, len, &route->gateway);
	if (!nfc_inaddr_is_zero(route->family, &route->prefsrc))
		mnl_attr_put(nlh, RTA_PREFSRC, len, &route->prefsrc);
	if (route->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, route->oif);
	if (route->priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, route->priority);
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_rule(void *buf, int type, const NfcRtnlRule *rule)
{
	size_t len = family_len(rule->family);
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;

	if (!len || rule->src_len > len * 8 || (type != RTM_NEWRULE && type != RTM_DELRULE))
		return NULL;
	/* EXCL: a duplicate rule is an error, not a second copy */
	nlh = put_header(buf, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = rule->family;
	frh->src_len = rule->src_len;
	frh->action = rule->action ? rule->action : FR_ACT_TO_TBL;
	frh->table = rule->table < 256 ? rule->table : RT_TABLE_UNSPEC;
	if (rule->table)
		mnl_attr_put_u32(nlh, FRA_TABLE, rule->table);
	if (rule->priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, rule->priority);
	if (rule->fwmark || rule->fwmask) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, rule->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, rule->fwmask);
	}
	if (rule->src_len)
		mnl_attr_put(nlh, FRA_SRC, len, &rule->src);
	if (rule->protocol)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, rule->protocol);
	return nlh;
}

struct nlmsghdr *nfc_rtnl_msg_dump(void *buf, int type, int family)
{
	struct nlmsghdr *nlh = put_header(buf, type, NLM_F_DUMP);

	switch (type) {
	case RTM_GETLINK: {
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		ifi->ifi_family = family;
		break;
	}
	case RTM_GETADDR: {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = family;
		break;
	}
	case RTM_GETNEIGH: {
		struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

		ndm->ndm_family = family;
		break;
	}
	case RTM_GETROUTE:
	case RTM_GETRULE: {
		/* struct fib_rule_hdr has the layout of struct rtmsg */
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = family;
		break;
	}
	default:
		return NULL;
	}
	return nlh;
}

bool nfc_rtnl_msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len &&
	       NLMSG_ALIGN((size_t)nlh->nlmsg_len) <= (size_t)len;
}

/* The payload of nlh after its fixed header of hdr_len bytes, or NULL if
 * the message is too short for it. */
static const void *fixed_header(const struct nlmsghdr *nlh, size_t hdr_len)
{
	if (nlh->nlmsg_len < NLMSG_LENGTH(hdr_len))
		return NULL;
	return mnl_nlmsg_get_payload(nlh);
}

static bool payload_is(const struct nlattr *attr, size_t len)
{
	return mnl_attr_get_payload_len(attr) == len;
}

/* Fixed-size values: false (and *out untouched) if the size is wrong. */
static bool get_u32(const struct nlattr *attr, uint32_t *out)
{
	if (!payload_is(attr, sizeof(uint32_t)))
		return false;
	*out = mnl_attr_get_u32(attr);
	return true;
}

static bool get_u8(const struct nlattr *attr, uint8_t *out)
{
	if (!payload_is(attr, sizeof(uint8_t)))
		return false;
	*out = mnl_attr_get_u8(attr);
	return true;
}

static bool payload_at_least(const struct nlattr *attr, size_t len)
{
	return mnl_attr_get_payload_len(attr) >= len;
}

/* A string attribute into dst; false if it does not fit. */
static bool copy_string(const struct nlattr *attr, char *dst, size_t size)
{
	const char *s = mnl_attr_get_payload(attr);
	size_t n = strnlen(s, mnl_attr_get_payload_len(attr));

	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static bool copy_addr(const struct nlattr *attr, int family, NfcInAddr *dst)
{
	size_t len = family_len(family);

	if (!payload_is(attr, len))
		return false;
	memcpy(dst, mnl_attr_get_payload(attr), len);
	return true;
}

static bool parse_stats64(const struct nlattr *attr, NfcRtnlLink *link)
{
	/* copied: the attribute is only 4-byte aligned; the struct has grown
	 * over the years, the first eight counters were always there */
	struct rtnl_link_stats64 st = { 0 };

	if (!payload_at_least(attr, 8 * sizeof(uint64_t)))
		return false;
	memcpy(&st, mnl_attr_get_payload(attr), MIN(sizeof(st), mnl_attr_get_payload_len(attr)));
	link->has_stats = true;
	link->rx_packets = st.rx_packets;
	link->tx_packets = st.tx_packets;
	link->rx_bytes = st.rx_bytes;
	link->tx_bytes = st.tx_bytes;
	link->rx_errors = st.rx_errors;
	link->tx_errors = st.tx_errors;
	link->rx_dropped = st.rx_dropped;
	link->tx_dropped = st.tx_dropped;
	return true;
}

int nfc_rtnl_parse_link(const struct nlmsghdr *nlh, NfcRtnlLink *link)
{
	const struct ifinfomsg *ifi = fixed_header(nlh, sizeof(*ifi));
	const struct nlattr *attr, *nested;

	if (!ifi)
		return -EINVAL;
	/* AF_BRIDGE messages speak of bridge ports, not of links */
	if (ifi->ifi_family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	memset(link, 0, sizeof(*link));
	link->index = ifi->ifi_index;
	link->type = ifi->ifi_type;
	link->flags = ifi->ifi_flags;
	if (link->index <= 0)
		return -EINVAL;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
		bool ok = true;
		uint32_t u32;

		switch (mnl_attr_get_type(attr)) {
		case IFLA_IFNAME:
			ok = copy_string(attr, link->name, sizeof(link->name));
			break;
		case IFLA_ADDRESS:
			ok = mnl_attr_get_payload_len(attr) <= sizeof(link->address);
			if (ok) {
				link->address_len = mnl_attr_get_payload_len(attr);
				memcpy(link->address, mnl_attr_get_payload(attr), link->address_len);
			}
			break;
		case IFLA_MTU:
			ok = get_u32(attr, &link->mtu);
			break;
		case IFLA_OPERSTATE:
			ok = get_u8(attr, &link->operstate);
			break;
		case IFLA_MASTER:
			ok = get_u32(attr, &u32);
			if (ok)
				link->master = (int)u32;
			break;
		case IFLA_STATS64:
			ok = parse_stats64(attr, link);
			break;
		case IFLA_LINKINFO:
			mnl_attr_for_each_nested(nested, attr) {
				if (mnl_attr_get_type(nested) == IFLA_INFO_KIND &&
				    !copy_string(nested, link->kind, sizeof(link->kind)))
					ok = false;
			}
			break;
		default:
			break;
		}
		if (!ok)
			return -EINVAL;
	}
	return 0;
}

int nfc_rtnl_parse_addr(const struct nlmsghdr *nlh, NfcRtnlAddr *addr)
{
	const struct ifaddrmsg *ifa = fixed_header(nlh, sizeof(*ifa));
	const struct nlattr *attr;
	NfcInAddr local = { 0 }, address = { 0 };
	bool has_local = false, has_address = false;

	if (!ifa)
		return -EINVAL;
	if (!family_len(ifa->ifa_family))
		return -EAFNOSUPPORT;
	memset(addr, 0, sizeof(*addr));
	addr->family = ifa->ifa_family;
	addr->index = (int)ifa->ifa_index;
	addr->prefixlen = ifa->ifa_prefixlen;
	addr->scope = ifa->ifa_scope;
	addr->flags = ifa->ifa_flags;
	addr->valid_lft = addr->preferred_lft = 0xffffffff;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		bool ok = true;

		switch (mnl_attr_get_type(attr)) {
		case IFA_LOCAL:
			ok = has_local = copy_addr(attr, addr->family, &local);
			break;
		case IFA_ADDRESS:
			ok = has_address = copy_addr(attr, addr->family, &address);
			break;
		case IFA_BROADCAST:
			ok = copy_addr(attr, addr->family, &addr->broadcast);
			break;
		case IFA_FLAGS:
			/* the full 32 bits; ifa_flags holds only the low 8 */
			ok = get_u32(attr, &addr->flags);
			break;
		case IFA_CACHEINFO: {
			struct ifa_cacheinfo ci;

			ok = payload_is(attr, sizeof(ci));
			if (ok) {
				memcpy(&ci, mnl_attr_get_payload(attr), sizeof(ci));
				addr->valid_lft = ci.ifa_valid;
				addr->preferred_lft = ci.ifa_prefered;
			}
			break;
		}
		default:
			break;
		}
		if (!ok)
			return -EINVAL;
	}
	if (addr->index <= 0 || addr->prefixlen > family_len(addr->family) * 8)
		return -EINVAL;
	/* IPv4: IFA_ADDRESS is the peer on point-to-point links, IFA_LOCAL
	 * ours; IPv6 puts ours in IFA_ADDRESS unless there is a peer */
	if (addr->family == AF_INET ? has_local : !has_address)
		addr->address = local;
	else
		addr->address = address;
	if (!has_local && !has_address)
		return -EINVAL;
	return 0;
}

/* The first nexthop of a multipath route, for its device, gateway and
 * flags: our routes have one, and one is what the struct can say. */
static bool parse_multipath(const struct nlattr *mp, NfcRtnlRoute *route)
{
	const struct rtnexthop *rtnh = mnl_attr_get_payload(mp);
	size_t len = mnl_attr_get_payload_len(mp);
	const struct nlattr *attr;

	if (len == 0)
		return true;
	if (len < sizeof(*rtnh) || rtnh->rtnh_len < sizeof(*rtnh) || rtnh->rtnh_len > len)
		return false;
	if (!route->oif)
		route->oif = rtnh->rtnh_ifindex;
	route->flags |= rtnh->rtnh_flags;
	mnl_attr_for_each_payload((const void *)RTNH_DATA(rtnh),
				  rtnh->rtnh_len - RTNH_ALIGN(sizeof(*rtnh))) {
		if (mnl_attr_get_type(attr) == RTA_GATEWAY &&
		    !copy_addr(attr, route->family, &route->gateway))
			return false;
	}
	return true;
}

int nfc_rtnl_parse_route(const struct nlmsghdr *nlh, NfcRtnlRoute *route, bool *cloned)
{
	const struct rtmsg *rtm = fixed_header(nlh, sizeof(*rtm));
	const struct nlattr *attr;

	if (!rtm)
		return -EINVAL;
	if (!family_len(rtm->rtm_family))
		return -EAFNOSUPPORT;
	memset(route, 0, sizeof(*route));
	route->family = rtm->rtm_family;
	route->table = rtm->rtm_table;
	route->dst_len = rtm->rtm_dst_len;
	route->protocol = rtm->rtm_protocol;
	route->scope = rtm->rtm_scope;
	route->type = rtm->rtm_type;
	route->flags = rtm->rtm_flags;
	if (cloned)
		*cloned = rtm->rtm_flags & RTM_F_CLONED;
	if (route->dst_len > family_len(route->family) * 8)
		return -EINVAL;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		bool ok = true;
		uint32_t u32;

		switch (mnl_attr_get_type(attr)) {
		case RTA_DST:
			ok = copy_addr(attr, route->family, &route->dst);
			break;
		case RTA_GATEWAY:
			ok = copy_addr(attr, route->family, &route->gateway);
			break;
		case RTA_PREFSRC:
			ok = copy_addr(attr, route->family, &route->prefsrc);
			break;
		case RTA_OIF:
			ok = get_u32(attr, &u32);
			if (ok)
				route->oif = (int)u32;
			break;
		case RTA_PRIORITY:
			ok = get_u32(attr, &route->priority);
			break;
		case RTA_TABLE:
			ok = get_u32(attr, &route->table);
			break;
		case RTA_MULTIPATH:
			ok = parse_multipath(attr, route);
			break;
		default:
			break;
		}
		if (!ok)
			return -EINVAL;
	}
	return 0;
}

int nfc_rtnl_parse_rule(const struct nlmsghdr *nlh, NfcRtnlRule *rule)
{
	const struct fib_rule_hdr *frh = fixed_header(nlh, sizeof(*frh));
	const struct nlattr *attr;

	if (!frh)
		return -EINVAL;
	if (!family_len(frh->family))
		return -EAFNOSUPPORT;
	memset(rule, 0, sizeof(*rule));
	rule->family = frh->family;
	rule->table = frh->table;
	rule->action = frh->action;
	rule->src_len = frh->src_len;
	if (rule->src_len > family_len(rule->family) * 8)
		return -EINVAL;
	mnl_attr_for_each(attr, nlh, sizeof(*frh)) {
		bool ok = true;

		switch (mnl_attr_get_type(attr)) {
		case FRA_PRIORITY:
			ok = get_u32(attr, &rule->priority);
			break;
		case FRA_TABLE:
			ok = get_u32(attr, &rule->table);
			break;
		case FRA_FWMARK:
			ok = get_u32(attr, &rule->fwmark);
			break;
		case FRA_FWMASK:
			ok = get_u32(attr, &rule->fwmask);
			break;
		case FRA_SRC:
			ok = copy_addr(attr, rule->family, &rule->src);
			break;
		case FRA_PROTOCOL:
			ok = get_u8(attr, &rule->protocol);
			break;
		default:
			break;
		}
		if (!ok)
			return -EINVAL;
	}
	return 0;
}

int nfc_rtnl_parse_neigh(const struct nlmsghdr *nlh, NfcRtnlNeigh *neigh)
{
	const struct ndmsg *ndm = fixed_header(nlh, sizeof(*ndm));
	const struct nlattr *attr;
	bool has_dst = false;

	if (!ndm)
		return -EINVAL;
	/* AF_BRIDGE: an entry of a bridge's forwarding database, no neighbour */
	if (!family_len(ndm->ndm_family))
		return -EAFNOSUPPORT;
	memset(neigh, 0, sizeof(*neigh));
	neigh->family = ndm->ndm_family;
	neigh->index = ndm->ndm_ifindex;
	neigh->state = ndm->ndm_state;
	if (neigh->index <= 0)
		return -EINVAL;
	mnl_attr_for_each(attr, nlh, sizeof(*ndm)) {
		bool ok = true;

		switch (mnl_attr_get_type(attr)) {
		case NDA_DST:
			ok = has_dst = copy_addr(attr, neigh->family, &neigh->address);
			break;
		case NDA_LLADDR:
			/* ethernet's 6 bytes are what the struct holds; other
			 * links (none, or 20-byte infiniband) just have none */
			neigh->has_lladdr = payload_is(attr, sizeof(neigh->lladdr));
			if (neigh->has_lladdr)
				memcpy(neigh->lladdr, mnl_attr_get_payload(attr), sizeof(neigh->lladdr));
			break;
		default:
			break;
		}
		if (!ok)
			return -EINVAL;
	}
	return has_dst ? 0 : -EINVAL;
}

NfcRtnlNeighEvent nfc_rtnl_neigh_classify(int type, uint16_t state)
{
	if (state & NUD_NOARP)
		return NFC_RTNL_NEIGH_IGNORE;
	if (type == RTM_DELNEIGH)
		return NFC_RTNL_NEIGH_REMOVED;
	if (type != RTM_NEWNEIGH)
		return NFC_RTNL_NEIGH_IGNORE;
	if (state == NUD_NONE || (state & (NUD_INCOMPLETE | NUD_FAILED)))
		return NFC_RTNL_NEIGH_REMOVED;
	return NFC_RTNL_NEIGH_CHANGED;
}

int nfc_rtnl_parse_error(const struct nlmsghdr *nlh, const char **msg)
{
	const struct nlmsgerr *err = fixed_header(nlh, sizeof(*err));
	const struct nlattr *attr;
	size_t offset, payload_len;

	if (msg)
		*msg = NULL;
	if (!err)
		return -EINVAL;
	if (!msg || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return err->error <= 0 ? err->error : -err->error;
	/* the TLVs follow the echoed request, unless it was capped */
	payload_len = mnl_nlmsg_get_payload_len(nlh);
	offset = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > sizeof(struct nlmsghdr))
		offset += NLMSG_ALIGN(err->msg.nlmsg_len - sizeof(struct nlmsghdr));
	if (offset < payload_len) {
		mnl_attr_for_each_payload((const void *)((const char *)err + offset), payload_len - offset) {
			const char *s = mnl_attr_get_payload(attr);
			size_t n = mnl_attr_get_payload_len(attr);

			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && n > 0 && s[n - 1] == '\0')
				*msg = s;
		}
	}
	return err->error <= 0 ? err->error : -err->error;
}

/* ---- router advertisement options for the resolver (RFC 8106) ---- */

#define ND_OPT_RDNSS_TYPE 25
#define ND_OPT_DNSSL_TYPE 31
/* type, length (in 8 octets), reserved (2), lifetime (4) */
#define ND_OPT_DNS_HEADER 8

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse_rdnss(const uint8_t *opt, size_t len, NfcRtnlNdOpts *opts)
{
	uint32_t lifetime = get_be32(opt + 4);

	/* 8 octets of header, then whole addresses: an odd length of at least 3 */
	if (len < ND_OPT_DNS_HEADER + sizeof(struct in6_addr) ||
	    (len - ND_OPT_DNS_HEADER) % sizeof(struct in6_addr))
		return;
	for (size_t off = ND_OPT_DNS_HEADER; off < len; off += sizeof(struct in6_addr)) {
		if (opts->n_servers == NFC_RTNL_ND_MAX_SERVERS)
			return;
		memcpy(&opts->servers[opts->n_servers], opt + off, sizeof(struct in6_addr));
		opts->server_lifetime[opts->n_servers++] = lifetime;
	}
}

static bool label_char_ok(uint8_t c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* One uncompressed name at data[*pos] into text; false if malformed. */
static bool parse_dns_name(const uint8_t *data, size_t len, size_t *pos, char *text)
{
	size_t p = *pos, out = 0;

	for (;;) {
		uint8_t label;

		if (p >= len)
			return false; /* no terminating zero-length label */
		label = data[p++];
		if (label == 0)
			break;
		/* 64 and up are compression pointers and reserved forms */
		if (label > 63 || p + label > len)
			return false;
		/* 253 characters at most in text form */
		if (out + (out ? 1 : 0) + label > NFC_RTNL_ND_DOMAIN_LEN - 3)
			return false;
		if (out)
			text[out++] = '.';
		for (uint8_t i = 0; i < label; i++) {
			if (!label_char_ok(data[p + i]))
				return false;
			text[out++] = (char)data[p + i];
		}
		p += label;
	}
	text[out] = '\0';
	*pos = p;
	return out > 0;
}

static void parse_dnssl(const uint8_t *opt, size_t len, NfcRtnlNdOpts *opts)
{
	char names[NFC_RTNL_ND_MAX_DOMAINS][NFC_RTNL_ND_DOMAIN_LEN];
	uint32_t lifetime = get_be32(opt + 4);
	unsigned int n = 0;
	size_t pos = ND_OPT_DNS_HEADER;

	/* a name is at least one label: 16 octets at least */
	if (len < 2 * ND_OPT_DNS_HEADER)
		return;
	while (pos < len && opt[pos] != 0) {
		char text[NFC_RTNL_ND_DOMAIN_LEN];

		if (!parse_dns_name(opt, len, &pos, text))
			return; /* the whole option, as RFC 8106 5.3.1 wants */
		if (n < G_N_ELEMENTS(names))
			memcpy(names[n++], text, sizeof(text));
	}
	/* the rest is padding, zeros */
	for (; pos < len; pos++)
		if (opt[pos] != 0)
			return;
	for (unsigned int i = 0; i < n && opts->n_domains < NFC_RTNL_ND_MAX_DOMAINS; i++) {
		memcpy(opts->domains[opts->n_domains], names[i], sizeof(names[i]));
		opts->domain_lifetime[opts->n_domains++] = lifetime;
	}
}

int nfc_rtnl_parse_nd_options(const struct nlmsghdr *nlh, NfcRtnlNdOpts *opts)
{
	const struct nduseroptmsg *msg = fixed_header(nlh, sizeof(*msg));
	const uint8_t *data;
	size_t len;

	if (!msg)
		return -EINVAL;
	if (msg->nduseropt_family != AF_INET6 || msg->nduseropt_icmp_type != 134 /* RA */)
		return -EAFNOSUPPORT;
	len = msg->nduseropt_opts_len;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg) + len) || msg->nduseropt_ifindex <= 0)
		return -EINVAL;
	memset(opts, 0, sizeof(*opts));
	opts->index = msg->nduseropt_ifindex;
	data = (const uint8_t *)(msg + 1);
	for (size_t pos = 0; pos < len;) {
		size_t opt_len;

		if (len - pos < 2)
			return -EINVAL;
		opt_len = (size_t)data[pos + 1] * 8;
		if (opt_len == 0 || opt_len > len - pos)
			return -EINVAL;
		if (data[pos] == ND_OPT_RDNSS_TYPE)
			parse_rdnss(data + pos, opt_len, opts);
		else if (data[pos] == ND_OPT_DNSSL_TYPE)
			parse_dnssl(data + pos, opt_len, opts);
		pos += opt_len;
	}
	return 0;
}
