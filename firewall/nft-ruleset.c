// SPDX-License-Identifier: GPL-2.0-or-later
/* What table inet nfconn contains, written as batch messages:
 *
 *   output      (route, mangle):  restore the mark from ct mark; else one
 *                                 map lookup per identity slot in use; count TX
 *   prerouting  (filter, mangle): restore the mark from ct mark; count RX
 *   nat_postrouting (nat, srcnat): masquerade of steered packets (their
 *                                 source was picked by the main table) and
 *                                 of tether subnets
 *   sock_marked, sock_count (regular): with sock_marks only, for packets
 *                                 of sockets marked at creation (below)
 *   output_raw, prerouting_raw, input: with sock_notrack only (see
 *                                 "conntrack-free accounting" below)
 *   maps uid_mark, gid_mark, cgroup_mark_L<n>: identity → mark
 *   set session_counters: (session bits . direction) with a counter each
 *   set uplinks: the uplink interface names (tether NAT and forwarding)
 *
 * and, while tethering is on (nft-ruleset-tether below):
 *
 *   forward     (filter, filter): by family, from the bridge → tether_out(6),
 *                                 to it → tether_in(6)
 *   tether_out, tether_in (IPv4), tether_out6, tether_in6 (IPv6): accept
 *                          bridge → uplink, and uplink → bridge for
 *                          established flows, count per client, drop the rest
 *   sets tether_clients4/6: (client address . direction) with a counter
 *                           each, added by the packet path itself
 *
 * The number of rules depends on the slots in use (at most uid, gid and a
 * few cgroup levels) and the NAT entries, never on the number of sessions.
 *
 * Why "mark 0" instead of "our bits 0": nftables 1.0.6 (Debian 12) cannot
 * combine two registers (meta mark & ~ours | value needs the OR-with-register
 * bitwise op of Linux 6.13, which crashes that nft's `list`). So we steer
 * only packets nobody else has marked (a socket with SO_MARK chose its own
 * routing), set only our bits on them, and save to ct mark only while it is
 * zero: other users' bits are never touched. */
#include "nft.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>

/* nft's datatype ids (for `nft list` to print keys and values). */
#define NFT_TYPE_MARK 19
#define NFT_TYPE_UID 24
#define NFT_TYPE_GID 25
#define NFT_TYPE_CGROUPV2 46
#define NFT_TYPE_BITS 6
/* nft's byte order tag in set userdata */
#define NFT_BYTEORDER_HOST 1

#define CHAIN_OUTPUT "output"
#define CHAIN_PREROUTING "prerouting"
#define CHAIN_NAT "nat_postrouting"
#define CHAIN_FORWARD "forward"
/* IPv4 keeps the plain names (the chains of before the split by family) */
#define CHAIN_TETHER_OUT "tether_out"
#define CHAIN_TETHER_IN "tether_in"
#define CHAIN_TETHER_OUT6 "tether_out6"
#define CHAIN_TETHER_IN6 "tether_in6"

#define DIR_TX 0
#define DIR_RX 1

/* Set ids only need to be unique within a batch. */
#define SET_ID_COUNTERS 1
#define SET_ID_SLOT(slot) (2 + (slot))
#define SET_ID_UPLINKS 1000
#define SET_ID_TETHER4 1001
#define SET_ID_TETHER6 1002

/* nft's datatype ids and byte order tag for the tether sets */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_IFNAME 41
#define NFT_BYTEORDER_BIG 2
/* client entries per family, two (TX, RX) per client: the packet path
 * adds no more once full (the client goes uncounted, not dropped) */
#define TETHER_SET_SIZE 8192

static void put_named_table(NftBatch *b, const char *name, uint16_t type, bool with_flags,
			    uint32_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (with_flags)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	nlh = nft_batch_msg(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, 512);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nft_batch_close(b, nlh);
	nftnl_table_free(t);
}

static void put_table(NftBatch *b, const NftState *s, uint16_t type, bool with_flags)
{
	uint32_t flags = 0;

	if (s->owner)
		flags = NFT_TABLE_F_OWNER | (s->persist ? NFT_TABLE_F_PERSIST : 0);
	put_named_table(b, NFT_TABLE_NAME, type, with_flags, flags);
}

void nft_put_flags_probe(NftBatch *b, uint32_t flags)
{
	put_named_table(b, NFT_TABLE_NAME "_probe", NFT_MSG_NEWTABLE, true, flags);
	put_named_table(b, NFT_TABLE_NAME "_probe", NFT_MSG_DELTABLE, false, 0);
}

static void put_chain(NftBatch *b, const char *name, const char *type, unsigned int hook, int prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nft_batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, 1024);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nft_batch_close(b, nlh);
	nftnl_chain_free(c);
}

/* Deletes every rule of a chain (a DELRULE without a handle). */
static void put_chain_flush(NftBatch *b, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = nft_batch_msg(b, NFT_MSG_DELRULE, 0, 512);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nft_batch_close(b, nlh);
	nftnl_rule_free(r);
}

static void slot_set_name(unsigned int slot, char *buf, size_t size)
{
	if (slot == NFT_SLOT_UID)
		g_strlcpy(buf, "uid_mark", size);
	else if (slot == NFT_SLOT_GID)
		g_strlcpy(buf, "gid_mark", size);
	else
		g_snprintf(buf, size, "cgroup_mark_L%u", slot - NFT_SLOT_CGROUP(0));
}

typedef struct {
	uint32_t key_type, key_len;
	bool map;                 /* → mark */
	bool counters;            /* a counter per element */
	bool dynamic;             /* the packet path adds elements (dynset) */
	uint32_t size;            /* 0: unbounded */
	uint32_t key_order;       /* nft's byte order tag of the key */
} SetSpec;

static void put_set_spec(NftBatch *b, const char *name, uint32_t id, const SetSpec *spec)
{
	struct nftnl_set *set = nftnl_set_alloc();
	struct nftnl_udata_buf *udata;
	struct nlmsghdr *nlh;
	uint32_t flags = 0;

	nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_ID, id);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, spec->key_type);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, spec->key_len);
	if (spec->map) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, NFT_TYPE_MARK);
		nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, sizeof(uint32_t));
	}
	if (spec->counters) {
		/* each element gets its own counter, bumped by the lookup */
		flags |= NFT_SET_EXPR;
		nftnl_set_add_expr(set, nftnl_expr_alloc("counter"));
	}
	/* only a set with update support (a resizable hash) takes dynset */
	if (spec->dynamic)
		flags |= NFT_SET_EVAL;
	if (spec->size)
		nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, spec->size);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, flags);
	/* Keys and values are in host byte order (as meta, ct and socket
	 * load them); tell nft so that `nft list` prints them right. */
	udata = nftnl_udata_buf_alloc(64);
	nftnl_udata_put_u32(udata, NFTNL_UDATA_SET_KEYBYTEORDER, spec->key_order);
	if (spec->map)
		nftnl_udata_put_u32(udata, NFTNL_UDATA_SET_DATABYTEORDER, NFT_BYTEORDER_HOST);
	nftnl_set_set_data(set, NFTNL_SET_USERDATA, nftnl_udata_buf_data(udata),
			   nftnl_udata_buf_len(udata));
	nftnl_udata_buf_free(udata);
	nlh = nft_batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE, 1024);
	nftnl_set_nlmsg_build_payload(nlh, set);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
}

static void put_set(NftBatch *b, const char *name, uint32_t id, uint32_t key_type,
		    uint32_t key_len, bool map, bool counters)
{
	SetSpec spec = { .key_type = key_type, .key_len = key_len, .map = map,
			 .counters = counters, .key_order = NFT_BYTEORDER_HOST };

	put_set_spec(b, name, id, &spec);
}

static void put_slot_set(NftBatch *b, unsigned int slot)
{
	char name[32];

	slot_set_name(slot, name, sizeof(name));
	if (slot == NFT_SLOT_UID)
		put_set(b, name, SET_ID_SLOT(slot), NFT_TYPE_UID, 4, true, false);
	else if (slot == NFT_SLOT_GID)
		put_set(b, name, SET_ID_SLOT(slot), NFT_TYPE_GID, 4, true, false);
	else
		put_set(b, name, SET_ID_SLOT(slot), NFT_TYPE_CGROUPV2, 8, true, false);
}

/* ---- expressions ---------------------------------------------------------- */

#define R0 NFT_REG32_00
#define R1 NFT_REG32_01
#define R2 NFT_REG32_02
#define R3 NFT_REG32_03

static void e_meta_load(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void e_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	nftnl_rule_add_expr(r, e);
}

static void e_ct_load(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void e_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
	nftnl_rule_add_expr(r, e);
}

/* dreg = sreg & mask, over len bytes (mask given in memory order) */
static void e_and(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg, const void *mask,
		  uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	static const uint8_t zero[16];

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	nftnl_rule_add_expr(r, e);
}

static void e_and32(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg, uint32_t mask)
{
	e_and(r, sreg, dreg, &mask, sizeof(mask));
}

static void e_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data,
		  uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void e_cmp32(struct nftnl_rule *r, uint32_t sreg, uint32_t op, uint32_t value)
{
	e_cmp(r, sreg, op, &value, sizeof(value));
}

static void e_immediate32(struct nftnl_rule *r, uint32_t dreg, uint32_t value)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &value, sizeof(value));
	nftnl_rule_add_expr(r, e);
}

/* dreg < 0: a plain set membership test */
static void e_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t set_id,
		     int dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void e_socket_cgroupv2(struct nftnl_rule *r, unsigned int level, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("socket");

	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY, NFT_SOCKET_CGROUPV2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_LEVEL, level);
	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static struct nftnl_rule *rule_new(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static void put_rule(NftBatch *b, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh = nft_batch_msg(b, NFT_MSG_NEWRULE,
					     NLM_F_CREATE | NLM_F_APPEND, 4096);

	nftnl_rule_nlmsg_build_payload(nlh, r);
	nft_batch_close(b, nlh);
	nftnl_rule_free(r);
}

/* ct mark & ours != 0 → meta mark set ct mark & ours (left in R1) */
static void e_restore_from_ct(struct nftnl_rule *r, const NftState *s)
{
	e_ct_load(r, NFT_CT_MARK, R1);
	e_and32(r, R1, R1, s->ours);
	e_cmp32(r, R1, NFT_CMP_NEQ, 0);
	e_meta_set(r, NFT_META_MARK, R1);
}

/* meta mark 0 ct mark & ours != 0 → meta mark set ct mark & ours */
static void put_restore_rule(NftBatch *b, const NftState *s, const char *chain)
{
	struct nftnl_rule *r = rule_new(chain);

	e_meta_load(r, NFT_META_MARK, R0);
	e_cmp32(r, R0, NFT_CMP_EQ, 0);
	e_restore_from_ct(r, s);
	put_rule(b, r);
}

/* meta mark 0 → meta mark set <key> map @slot; ct mark 0 → ct mark set it */
static void put_slot_rule(NftBatch *b, unsigned int slot)
{
	struct nftnl_rule *r = rule_new(CHAIN_OUTPUT);
	char name[32];

	slot_set_name(slot, name, sizeof(name));
	e_meta_load(r, NFT_META_MARK, R0);
	e_cmp32(r, R0, NFT_CMP_EQ, 0);
	if (slot == NFT_SLOT_UID)
		e_meta_load(r, NFT_META_SKUID, R0);
	else if (slot == NFT_SLOT_GID)
		e_meta_load(r, NFT_META_SKGID, R0);
	else
		e_socket_cgroupv2(r, slot - NFT_SLOT_CGROUP(0), R0); /* R0, R1 */
	e_lookup(r, R0, name, SET_ID_SLOT(slot), R2);
	e_meta_set(r, NFT_META_MARK, R2);
	e_ct_load(r, NFT_CT_MARK, R3);
	e_cmp32(r, R3, NFT_CMP_EQ, 0);
	e_ct_set(r, NFT_CT_MARK, R2);
	put_rule(b, r);
}

/* meta mark & ~ours == 0, meta mark & session != 0 →
 * (meta mark & session . dir) @session_counters */
static void put_count_rule(NftBatch *b, const NftState *s, const char *chain, uint32_t dir)
{
	struct nftnl_rule *r = rule_new(chain);

	e_meta_load(r, NFT_META_MARK, R0);
	e_and32(r, R0, R1, ~s->ours);
	e_cmp32(r, R1, NFT_CMP_EQ, 0);
	e_and32(r, R0, R0, s->session_mask);
	/* no session (every forwarded packet): no element has session bits
	 * 0, so skip the hash lookup */
	e_cmp32(r, R0, NFT_CMP_NEQ, 0);
	e_immediate32(r, R1, dir);
	e_lookup(r, R0, NFT_SET_COUNTERS, SET_ID_COUNTERS, -1);
	put_rule(b, r);
}

static void put_nat_rule(NftBatch *b, const NfcFirewallNat *nat)
{
	struct nftnl_rule *r = rule_new(CHAIN_NAT);
	char ifname[IFNAMSIZ] = { 0 };
	uint32_t mask = nat->prefixlen ? htonl(~(uint32_t)0 << (32 - nat->prefixlen)) : 0;
	uint32_t subnet = nat->subnet & mask;
	uint8_t proto = NFPROTO_IPV4;
	struct nftnl_expr *e;

	memcpy(ifname, nat->ifname, strnlen(nat->ifname, sizeof(nat->ifname)));
	e_meta_load(r, NFT_META_NFPROTO, R0);
	e_cmp(r, R0, NFT_CMP_EQ, &proto, sizeof(proto));
	e_meta_load(r, NFT_META_OIFNAME, R0);
	e_cmp(r, R0, NFT_CMP_EQ, ifname, sizeof(ifname));
	e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 12); /* IPv4 saddr */
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, R0);
	nftnl_rule_add_expr(r, e);
	e_and(r, R0, R0, &mask, sizeof(mask));
	e_cmp(r, R0, NFT_CMP_EQ, &subnet, sizeof(subnet));
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	put_rule(b, r);
}

static void e_source_not_on_oif(struct nftnl_rule *r);

/* A steered packet was routed twice: first by the main table when the
 * socket chose its source address, then by its uplink's table once the
 * mark was set. Its source must be the uplink's, or the replies go
 * elsewhere: masquerade what carries routing bits of ours. */
static void put_steer_masq_rule(NftBatch *b, const NftState *s)
{
	struct nftnl_rule *r = rule_new(CHAIN_NAT);

	e_meta_load(r, NFT_META_MARK, R0);
	e_and32(r, R0, R0, s->ours & ~s->session_mask);
	e_cmp32(r, R0, NFT_CMP_NEQ, 0);
	if (s->sock_marks) {
		e_source_not_on_oif(r);
		/* how many flows still needed it (tests, bench) */
		nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
	}
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	put_rule(b, r);
}

static void put_tether_nat_rules(NftBatch *b, const NftState *s);

static void put_nat_chain_rules(NftBatch *b, const NftState *s)
{
	put_steer_masq_rule(b, s);
	for (guint i = 0; i < s->nats->len; i++)
		put_nat_rule(b, &g_array_index(s->nats, NfcFirewallNat, i));
	put_tether_nat_rules(b, s);
}

/* ---- tethering ------------------------------------------------------------ */

static struct nlmsghdr *elem_msg(NftBatch *b, struct nftnl_set *set, bool add);
static struct nftnl_set *elem_set_new(const char *name);

static void e_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	nftnl_rule_add_expr(r, e);
}

/* A rule of a verdict alone: accept, or jump/goto target */
static void put_verdict_rule(NftBatch *b, const char *chain, int verdict, const char *target)
{
	struct nftnl_rule *r = rule_new(chain);

	e_verdict(r, verdict, target);
	put_rule(b, r);
}

static void e_payload_load(struct nftnl_rule *r, uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void e_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	e_meta_load(r, NFT_META_NFPROTO, R0);
	e_cmp(r, R0, NFT_CMP_EQ, &proto, sizeof(proto));
}

/* iifname/oifname (NFT_META_IIFNAME/OIFNAME) equal to, or not, name */
static void e_ifname(struct nftnl_rule *r, uint32_t key, const char *name, uint32_t op)
{
	char ifname[IFNAMSIZ] = { 0 };

	memcpy(ifname, name, strnlen(name, IFNAMSIZ - 1));
	e_meta_load(r, key, R0);
	e_cmp(r, R0, op, ifname, sizeof(ifname));
}

/* iifname/oifname in (or, inv, not in) @uplinks */
static void e_in_uplinks(struct nftnl_rule *r, uint32_t key, bool inv)
{
	struct nftnl_expr *e;

	e_meta_load(r, key, R0);
	e = nftnl_expr_alloc("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R0);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, NFT_SET_UPLINKS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, SET_ID_UPLINKS);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	nftnl_rule_add_expr(r, e);
}

/* The subnet of a family as (address, mask) in network order. */
static uint32_t tether_subnet(const NfcFirewallTether *t, int family, uint8_t *addr,
			      uint8_t *mask)
{
	uint32_t len = family == AF_INET ? 4 : 16;
	unsigned int plen = family == AF_INET ? t->prefixlen4 : t->prefixlen6;

	if (family == AF_INET)
		memcpy(addr, &t->subnet4, 4);
	else
		memcpy(addr, t->subnet6, 16);
	for (uint32_t i = 0; i < len; i++) {
		int bits = (int)plen - (int)i * 8;

		mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
		addr[i] &= mask[i];
	}
	return len;
}

/* <ip|ip6> <saddr|daddr> (not) in the tether subnet: offset is the
 * address's in the network header */
static void e_in_subnet(struct nftnl_rule *r, const NfcFirewallTether *t, int family,
			uint32_t offset, uint32_t op)
{
	uint8_t addr[16], mask[16];
	uint32_t len = tether_subnet(t, family, addr, mask);

	e_payload_load(r, offset, len, R0);
	e_and(r, R0, R0, mask, len);
	e_cmp(r, R0, op, addr, len);
}

#define IP4_SADDR 12
#define IP4_DADDR 16
#define IP6_SADDR 8
#define IP6_DADDR 24

static void put_tether_masq_rule(NftBatch *b, const NfcFirewallTether *t, int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_NAT);

	e_nfproto(r, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	e_in_uplinks(r, NFT_META_OIFNAME, false);
	e_in_subnet(r, t, family, family == AF_INET ? IP4_SADDR : IP6_SADDR, NFT_CMP_EQ);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	put_rule(b, r);
}

/* Masquerade out of any uplink: a failover changes the route, never
 * this rule. */
static void put_tether_nat_rules(NftBatch *b, const NftState *s)
{
	if (!s->tether_on)
		return;
	if (s->tether.prefixlen4)
		put_tether_masq_rule(b, &s->tether, AF_INET);
	if (s->tether.prefixlen6)
		put_tether_masq_rule(b, &s->tether, AF_INET6);
}

/* A chain without a hook: type NFT_MSG_NEWCHAIN (a regular chain, for
 * jumps) or NFT_MSG_DELCHAIN. */
static void put_named_chain(NftBatch *b, const char *name, uint16_t type)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nlh = nft_batch_msg(b, type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0, 512);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nft_batch_close(b, nlh);
	nftnl_chain_free(c);
}

static void put_set_delete(NftBatch *b, const char *name)
{
	struct nftnl_set *set = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_NAME, name);
	nlh = nft_batch_msg(b, NFT_MSG_DELSET, 0, 512);
	nftnl_set_nlmsg_build_payload(nlh, set);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
}

/* A DELSETELEM without elements empties the set. */
static void put_set_flush(NftBatch *b, const char *name)
{
	struct nftnl_set *set = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_NAME, name);
	nlh = nft_batch_msg(b, NFT_MSG_DELSETELEM, 0, 512);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
}

static void put_uplinks_set(NftBatch *b)
{
	SetSpec spec = { .key_type = NFT_TYPE_IFNAME, .key_len = IFNAMSIZ,
			 .key_order = NFT_BYTEORDER_HOST };

	put_set_spec(b, NFT_SET_UPLINKS, SET_ID_UPLINKS, &spec);
}

static void put_uplink_elems(NftBatch *b, const NftState *s)
{
	struct nftnl_set *set;

	if (!s->uplinks || !s->uplinks[0])
		return;
	set = elem_set_new(NFT_SET_UPLINKS);
	for (char **p = s->uplinks; *p; p++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		char ifname[IFNAMSIZ] = { 0 };

		memcpy(ifname, *p, strnlen(*p, IFNAMSIZ - 1));
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, ifname, sizeof(ifname));
		nftnl_set_elem_add(set, e);
	}
	nft_batch_close(b, elem_msg(b, set, true));
	nftnl_set_free(set);
}

void nft_put_uplinks(NftBatch *b, const NftState *s)
{
	put_set_flush(b, NFT_SET_UPLINKS);
	put_uplink_elems(b, s);
}

static void put_tether_sets(NftBatch *b)
{
	/* (address . direction), as session_counters is (session . direction) */
	SetSpec v4 = { .key_type = (NFT_TYPE_IPADDR << NFT_TYPE_BITS) | NFT_TYPE_MARK,
		       .key_len = 4 + 4, .counters = true, .dynamic = true,
		       .size = TETHER_SET_SIZE, .key_order = NFT_BYTEORDER_BIG };
	SetSpec v6 = v4;

	v6.key_type = (NFT_TYPE_IP6ADDR << NFT_TYPE_BITS) | NFT_TYPE_MARK;
	v6.key_len = 16 + 4;
	put_set_spec(b, NFT_SET_TETHER4, SET_ID_TETHER4, &v4);
	put_set_spec(b, NFT_SET_TETHER6, SET_ID_TETHER6, &v6);
}

static void put_tether_chains(NftBatch *b)
{
	put_chain(b, CHAIN_FORWARD, "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER);
	put_named_chain(b, CHAIN_TETHER_OUT, NFT_MSG_NEWCHAIN);
	put_named_chain(b, CHAIN_TETHER_IN, NFT_MSG_NEWCHAIN);
	put_named_chain(b, CHAIN_TETHER_OUT6, NFT_MSG_NEWCHAIN);
	put_named_chain(b, CHAIN_TETHER_IN6, NFT_MSG_NEWCHAIN);
}

static struct nftnl_rule *rule_in(const char *chain, const char *bridge, uint32_t key)
{
	struct nftnl_rule *r = rule_new(chain);

	if (bridge)
		e_ifname(r, key, bridge, NFT_CMP_EQ);
	return r;
}

/* update @tether_clients<4|6> { <ip|ip6> <saddr|daddr> . dir } accept:
 * the packet path adds the client on its first packet, and bumps its
 * counter on every one. A full set breaks the rule before its accept,
 * and the chain's last rule accepts the packet uncounted: no verdict
 * depends on the set. */
static void put_count_client_rule(NftBatch *b, const char *chain, int family, uint32_t dir)
{
	struct nftnl_rule *r = rule_new(chain);
	bool v4 = family == AF_INET;
	bool tx = dir == NFT_TETHER_TX;
	struct nftnl_expr *e;

	/* redundant in the family's chain, but without it `nft list` shows
	 * the addresses as raw payload (@nh,96,32) */
	e_nfproto(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	e_payload_load(r, v4 ? (tx ? IP4_SADDR : IP4_DADDR) : (tx ? IP6_SADDR : IP6_DADDR),
		       v4 ? 4 : 16, R0);
	e_immediate32(r, v4 ? R1 : NFT_REG32_04, dir);
	e = nftnl_expr_alloc("dynset");
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, R0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, v4 ? NFT_SET_TETHER4 : NFT_SET_TETHER6);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, v4 ? SET_ID_TETHER4 : SET_ID_TETHER6);
	nftnl_rule_add_expr(r, e);
	e_verdict(r, NF_ACCEPT, NULL);
	put_rule(b, r);
}

/* Addresses outside the tether subnet (or a family it has none of) do
 * not leave: nothing but the subnet is masqueraded. */
static void put_source_guard(NftBatch *b, const NfcFirewallTether *t, int family)
{
	bool v4 = family == AF_INET;
	struct nftnl_rule *r = rule_new(v4 ? CHAIN_TETHER_OUT : CHAIN_TETHER_OUT6);

	e_nfproto(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (v4 ? t->prefixlen4 : t->prefixlen6)
		e_in_subnet(r, t, family, v4 ? IP4_SADDR : IP6_SADDR, NFT_CMP_NEQ);
	e_verdict(r, NF_DROP, NULL);
	put_rule(b, r);
}

/* forward: <iifname|oifname> "tether" meta nfproto <ipv4|ipv6> jump chain */
static void put_dispatch_rule(NftBatch *b, const char *bridge, uint32_t key, uint8_t proto,
			      const char *chain)
{
	struct nftnl_rule *r = rule_in(CHAIN_FORWARD, bridge, key);

	e_meta_load(r, NFT_META_NFPROTO, R1);
	e_cmp(r, R1, NFT_CMP_EQ, &proto, sizeof(proto));
	e_verdict(r, NFT_JUMP, chain);
	put_rule(b, r);
}

/* One family's chain from the bridge: routed back onto the bridge
 * (between its clients, seen with br_netfilter) stays there: accept; not
 * to an uplink, or not from the subnet: drop; count the client. */
static void put_tether_out_rules(NftBatch *b, const NfcFirewallTether *t, int family)
{
	const char *chain = family == AF_INET ? CHAIN_TETHER_OUT : CHAIN_TETHER_OUT6;
	struct nftnl_rule *r;

	r = rule_in(chain, t->bridge, NFT_META_OIFNAME);
	e_verdict(r, NF_ACCEPT, NULL);
	put_rule(b, r);
	r = rule_new(chain);
	e_in_uplinks(r, NFT_META_OIFNAME, true);
	e_verdict(r, NF_DROP, NULL);
	put_rule(b, r);
	put_source_guard(b, t, family);
	put_count_client_rule(b, chain, family, NFT_TETHER_TX);
	put_verdict_rule(b, chain, NF_ACCEPT, NULL);
}

/* One family's chain to the bridge: only from an uplink, only what a
 * client started; count the client. */
static void put_tether_in_rules(NftBatch *b, int family)
{
	const char *chain = family == AF_INET ? CHAIN_TETHER_IN : CHAIN_TETHER_IN6;
	uint32_t ok = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	struct nftnl_rule *r;

	r = rule_new(chain);
	e_in_uplinks(r, NFT_META_IIFNAME, true);
	e_verdict(r, NF_DROP, NULL);
	put_rule(b, r);
	r = rule_new(chain);
	e_ct_load(r, NFT_CT_STATE, R0);
	e_and32(r, R0, R0, ok);
	e_cmp32(r, R0, NFT_CMP_EQ, 0);
	e_verdict(r, NF_DROP, NULL);
	put_rule(b, r);
	put_count_client_rule(b, chain, family, NFT_TETHER_RX);
	put_verdict_rule(b, chain, NF_ACCEPT, NULL);
}

/* The forward path of the bridge, split by family at once so that a
 * packet meets only its own family's checks and one counting rule (the
 * per-packet cost, measured with tools/bench/tether --rules). Traffic
 * that touches neither the bridge nor (through it) the uplinks meets
 * four compares and goes on. */
static void put_tether_rules(NftBatch *b, const NfcFirewallTether *t)
{
	put_dispatch_rule(b, t->bridge, NFT_META_IIFNAME, NFPROTO_IPV4, CHAIN_TETHER_OUT);
	put_dispatch_rule(b, t->bridge, NFT_META_IIFNAME, NFPROTO_IPV6, CHAIN_TETHER_OUT6);
	put_dispatch_rule(b, t->bridge, NFT_META_OIFNAME, NFPROTO_IPV4, CHAIN_TETHER_IN);
	put_dispatch_rule(b, t->bridge, NFT_META_OIFNAME, NFPROTO_IPV6, CHAIN_TETHER_IN6);
	put_tether_out_rules(b, t, AF_INET);
	put_tether_out_rules(b, t, AF_INET6);
	put_tether_in_rules(b, AF_INET);
	put_tether_in_rules(b, AF_INET6);
}

void nft_put_tether(NftBatch *b, const NftState *s, bool was_on)
{
	if (was_on) {
		/* the jumps go first: then the chains are unreferenced */
		put_chain_flush(b, CHAIN_FORWARD);
		put_chain_flush(b, CHAIN_TETHER_OUT);
		put_chain_flush(b, CHAIN_TETHER_IN);
		put_chain_flush(b, CHAIN_TETHER_OUT6);
		put_chain_flush(b, CHAIN_TETHER_IN6);
	}
	put_chain_flush(b, CHAIN_NAT);
	put_nat_chain_rules(b, s);
	if (!s->tether_on) {
		if (was_on) {
			put_named_chain(b, CHAIN_FORWARD, NFT_MSG_DELCHAIN);
			put_named_chain(b, CHAIN_TETHER_OUT, NFT_MSG_DELCHAIN);
			put_named_chain(b, CHAIN_TETHER_IN, NFT_MSG_DELCHAIN);
			put_named_chain(b, CHAIN_TETHER_OUT6, NFT_MSG_DELCHAIN);
			put_named_chain(b, CHAIN_TETHER_IN6, NFT_MSG_DELCHAIN);
			put_set_delete(b, NFT_SET_TETHER4);
			put_set_delete(b, NFT_SET_TETHER6);
		}
		return;
	}
	if (was_on) {
		/* counted since this tether state */
		put_set_flush(b, NFT_SET_TETHER4);
		put_set_flush(b, NFT_SET_TETHER6);
	} else {
		put_tether_sets(b);
		put_tether_chains(b);
	}
	put_tether_rules(b, &s->tether);
}

/* ---- sockets marked at creation (NfcFirewallConfig.sock_marks) -------------
 * The eBPF fast path stamps our mark on a socket when it is created; its
 * packets come here marked, so the slot rules (mark 0) leave them alone.
 * The mark a socket carries is its session's when the socket was made;
 * the session may have moved to another routing class since, or gone.
 * Packets that carry only our bits meet none of the nft path's rules
 * (measured, #14: each rule and expression they pass costs pps):
 *   - a flow that has a ct mark keeps it (as the restore rule does for
 *     unmarked sockets): an established flow stays where it started,
 *     counted and accepted by the output chain's first rule; the
 *     second sends every other such packet to sock_marked;
 *   - a new flow of a socket whose session is gone (its session bits not
 *     in session_marks) loses the mark and returns: the slot rules look
 *     it up anew;
 *   - a new flow takes its session's mark now from session_marks; the
 *     same value as the socket's in the common case, so no re-route;
 *     the mark is saved to ct mark while that is 0, for the RX side
 *     (prerouting restores it) and for the flow's later packets;
 * then sock_count counts TX and accepts. */

#define SET_ID_SESSION_MARKS 1003
#define CHAIN_SOCK "sock_marked"
#define CHAIN_SOCK_COUNT "sock_count"

/* meta mark has only our bits, and some: loads it into R0 */
static void e_only_ours(struct nftnl_rule *r, const NftState *s)
{
	e_meta_load(r, NFT_META_MARK, R0);
	e_and32(r, R0, R1, ~s->ours);
	e_cmp32(r, R1, NFT_CMP_EQ, 0);
	e_cmp32(r, R0, NFT_CMP_NEQ, 0);
}

static void put_sock_mark_chains(NftBatch *b)
{
	put_named_chain(b, CHAIN_SOCK, NFT_MSG_NEWCHAIN);
	put_named_chain(b, CHAIN_SOCK_COUNT, NFT_MSG_NEWCHAIN);
}

/* output, first: an established flow of a marked socket in one rule:
 * meta mark has only our bits, and some; ct mark & ours != 0 →
 * meta mark set ct mark & ours, (ct mark & session . TX) @session_counters,
 * accept. Then every other packet of a marked socket → jump sock_marked. */
static void put_sock_mark_output_rules(NftBatch *b, const NftState *s)
{
	struct nftnl_rule *r = rule_new(CHAIN_OUTPUT);

	e_only_ours(r, s);
	e_restore_from_ct(r, s);
	e_and32(r, R1, R1, s->session_mask);
	e_cmp32(r, R1, NFT_CMP_NEQ, 0);
	e_immediate32(r, R2, DIR_TX);
	e_lookup(r, R1, NFT_SET_COUNTERS, SET_ID_COUNTERS, -1);
	e_verdict(r, NF_ACCEPT, NULL);
	put_rule(b, r);

	r = rule_new(CHAIN_OUTPUT);
	e_only_ours(r, s);
	e_verdict(r, NFT_JUMP, CHAIN_SOCK);
	put_rule(b, r);
}

static void put_sock_mark_rules(NftBatch *b, const NftState *s)
{
	struct nftnl_rule *r;
	struct nftnl_expr *e;

	/* established (the output chain's first rule did not count it: a
	 * session without its counters yet): meta mark set ct mark & ours,
	 * goto sock_count */
	r = rule_new(CHAIN_SOCK);
	e_restore_from_ct(r, s);
	e_verdict(r, NFT_GOTO, CHAIN_SOCK_COUNT);
	put_rule(b, r);

	/* From here on the flow has no ct mark of ours, or no conntrack at
	 * all (notracked: its mark is its session's current one, see
	 * conntrack-free accounting, so the next two rules keep it).
	 * Session gone: meta mark set 0, return (the slot rules look it up) */
	r = rule_new(CHAIN_SOCK);
	e_meta_load(r, NFT_META_MARK, R0);
	e_and32(r, R0, R0, s->session_mask);
	e_cmp32(r, R0, NFT_CMP_NEQ, 0);
	e = nftnl_expr_alloc("lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R0);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, NFT_SET_SESSION_MARKS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, SET_ID_SESSION_MARKS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	nftnl_rule_add_expr(r, e);
	e_immediate32(r, R1, 0);
	e_meta_set(r, NFT_META_MARK, R1);
	e_verdict(r, NFT_RETURN, NULL);
	put_rule(b, r);

	/* moved (or not): meta mark set (meta mark & session) map
	 * @session_marks; no element has session bits 0 */
	r = rule_new(CHAIN_SOCK);
	e_meta_load(r, NFT_META_MARK, R0);
	e_and32(r, R0, R0, s->session_mask);
	e_lookup(r, R0, NFT_SET_SESSION_MARKS, SET_ID_SESSION_MARKS, R1);
	e_meta_set(r, NFT_META_MARK, R1);
	put_rule(b, r);

	/* save: ct mark 0 → ct mark set meta mark (RX restores it) */
	r = rule_new(CHAIN_SOCK);
	e_ct_load(r, NFT_CT_MARK, R1);
	e_cmp32(r, R1, NFT_CMP_EQ, 0);
	e_meta_load(r, NFT_META_MARK, R0);
	e_ct_set(r, NFT_CT_MARK, R0);
	put_rule(b, r);

	put_verdict_rule(b, CHAIN_SOCK, NFT_GOTO, CHAIN_SOCK_COUNT);

	/* counted here, then accepted: the output chain's rules after the
	 * jump are the nft path's (its count rule would count it twice) */
	put_count_rule(b, s, CHAIN_SOCK_COUNT, DIR_TX);
	put_verdict_rule(b, CHAIN_SOCK_COUNT, NF_ACCEPT, NULL);
}

/* A marked socket's source address was chosen by its uplink's route:
 * masquerade only a steered packet whose source is not an address of the
 * interface it leaves by (one the nft path re-routed, or a moved flow).
 * fib saddr . oif type != local */
static void e_source_not_on_oif(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_SADDR | NFTA_FIB_F_OIF);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R1);
	nftnl_rule_add_expr(r, e);
	e_cmp32(r, R1, NFT_CMP_NEQ, RTN_LOCAL);
}

static void put_session_marks_set(NftBatch *b)
{
	put_set(b, NFT_SET_SESSION_MARKS, SET_ID_SESSION_MARKS, NFT_TYPE_MARK, 4, true, false);
}

void nft_put_session_mark(NftBatch *b, const NftState *s, uint32_t session_bits, uint32_t mark,
			  bool add)
{
	struct nftnl_set *set = elem_set_new(NFT_SET_SESSION_MARKS);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nlmsghdr *nlh;

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &session_bits, sizeof(session_bits));
	if (add)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &mark, sizeof(mark));
	nftnl_set_elem_add(set, e);
	nlh = elem_msg(b, set, add);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
	if (!s->sock_notrack || !mark)
		return;
	set = elem_set_new(NFT_SET_CURRENT_MARKS);
	e = nftnl_set_elem_alloc();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &mark, sizeof(mark));
	nftnl_set_elem_add(set, e);
	nlh = elem_msg(b, set, add);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
}

static void put_session_marks_elems(NftBatch *b, const NftState *s)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, s->session_marks);
	while (g_hash_table_iter_next(&it, &key, &value))
		nft_put_session_mark(b, s, GPOINTER_TO_UINT(key), GPOINTER_TO_UINT(value), true);
}

/* ---- conntrack-free accounting (NfcFirewallConfig.sock_notrack) -----------
 * Any ct expression or NAT rule in the namespace makes conntrack track
 * every packet of it (measured: 12-16 % of the fast path's pps). A socket
 * that carries its session's current mark needs none of it: it was routed
 * right at its first lookup (no re-route, no masquerade), its mark is on
 * every packet it sends, and the receiving socket tells whose a packet is.
 * So, in chains at raw priority (before conntrack's hook):
 *   output_raw:     meta mark @current_marks notrack
 *   prerouting_raw: socket mark @current_marks socket wildcard 0 notrack
 * TX is counted by the output chain's rule as before (by meta mark); RX,
 * which has no ct mark to restore, by the receiving socket's mark:
 *   input:  meta mark 0 socket mark @current_marks → (socket mark &
 *           session . RX) @session_counters
 * Everything else keeps conntrack: sockets marked by the nft path, and
 * sockets whose mark is no longer their session's (moved to another
 * class, session gone), whose new flows are re-routed and masqueraded.
 * A wildcard-bound socket (unconnected UDP, a listener) is found by any
 * packet to its port, a reply to a masqueraded tether flow too: its
 * packets keep conntrack (they are counted on input all the same). */

#define CHAIN_OUTPUT_RAW "output_raw"
#define CHAIN_PREROUTING_RAW "prerouting_raw"
#define CHAIN_INPUT "input"
#define SET_ID_CURRENT_MARKS 1004

static void e_socket(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("socket");

	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void put_notrack_sets(NftBatch *b)
{
	put_set(b, NFT_SET_CURRENT_MARKS, SET_ID_CURRENT_MARKS, NFT_TYPE_MARK, 4, false, false);
}

static void put_notrack_chains(NftBatch *b)
{
	put_chain(b, CHAIN_OUTPUT_RAW, "filter", NF_INET_LOCAL_OUT, NF_IP_PRI_RAW);
	put_chain(b, CHAIN_PREROUTING_RAW, "filter", NF_INET_PRE_ROUTING, NF_IP_PRI_RAW);
	put_chain(b, CHAIN_INPUT, "filter", NF_INET_LOCAL_IN, NF_IP_PRI_MANGLE);
}

static void put_notrack_rules(NftBatch *b, const NftState *s)
{
	struct nftnl_rule *r;
	uint8_t zero = 0;

	r = rule_new(CHAIN_OUTPUT_RAW);
	e_meta_load(r, NFT_META_MARK, R0);
	e_lookup(r, R0, NFT_SET_CURRENT_MARKS, SET_ID_CURRENT_MARKS, -1);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("notrack"));
	put_rule(b, r);

	r = rule_new(CHAIN_PREROUTING_RAW);
	e_socket(r, NFT_SOCKET_MARK, R0);
	e_lookup(r, R0, NFT_SET_CURRENT_MARKS, SET_ID_CURRENT_MARKS, -1);
	e_socket(r, NFT_SOCKET_WILDCARD, R1);
	e_cmp(r, R1, NFT_CMP_EQ, &zero, sizeof(zero));
	nftnl_rule_add_expr(r, nftnl_expr_alloc("notrack"));
	put_rule(b, r);

	/* a packet whose ct mark was restored was counted in prerouting */
	r = rule_new(CHAIN_INPUT);
	e_meta_load(r, NFT_META_MARK, R0);
	e_cmp32(r, R0, NFT_CMP_EQ, 0);
	e_socket(r, NFT_SOCKET_MARK, R0);
	e_lookup(r, R0, NFT_SET_CURRENT_MARKS, SET_ID_CURRENT_MARKS, -1);
	e_and32(r, R0, R0, s->session_mask);
	e_immediate32(r, R1, DIR_RX);
	e_lookup(r, R0, NFT_SET_COUNTERS, SET_ID_COUNTERS, -1);
	put_rule(b, r);
}

/* ---- state → messages -------------------------------------------------- */

bool nft_slot_missing(const NftState *s, unsigned int slot)
{
	return !s->installed[slot];
}

/* Precedence: the first lookup that finds the socket wins, so the most
 * specific come first: deeper cgroup levels, then uid, then gid. */
static void put_output_rules(NftBatch *b, const NftState *s, const uint8_t *slots)
{
	if (s->sock_marks)
		put_sock_mark_output_rules(b, s);
	put_restore_rule(b, s, CHAIN_OUTPUT);
	for (unsigned int level = NFT_MAX_CGROUP_LEVEL + 1; level-- > 0;)
		if (slots[NFT_SLOT_CGROUP(level)])
			put_slot_rule(b, NFT_SLOT_CGROUP(level));
	if (slots[NFT_SLOT_UID])
		put_slot_rule(b, NFT_SLOT_UID);
	if (slots[NFT_SLOT_GID])
		put_slot_rule(b, NFT_SLOT_GID);
	put_count_rule(b, s, CHAIN_OUTPUT, DIR_TX);
}

void nft_put_slot_install(NftBatch *b, const NftState *s, unsigned int slot)
{
	uint8_t slots[NFT_N_SLOTS];

	memcpy(slots, s->installed, sizeof(slots));
	slots[slot] = 1;
	put_slot_set(b, slot);
	put_chain_flush(b, CHAIN_OUTPUT);
	put_output_rules(b, s, slots);
}

static struct nlmsghdr *elem_msg(NftBatch *b, struct nftnl_set *set, bool add)
{
	struct nlmsghdr *nlh;

	nlh = nft_batch_msg(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			    add ? NLM_F_CREATE : 0, 96 * 512 + 1024);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	return nlh;
}

static void identity_elem(struct nftnl_set *set, const NftIdentity *id, bool with_data)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (id->slot == NFT_SLOT_UID || id->slot == NFT_SLOT_GID) {
		uint32_t key = (uint32_t)id->key;

		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
	} else {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &id->key, sizeof(id->key));
	}
	if (with_data)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &id->mark, sizeof(id->mark));
	nftnl_set_elem_add(set, e);
}

static struct nftnl_set *elem_set_new(const char *name)
{
	struct nftnl_set *set = nftnl_set_alloc();

	nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_NAME, name);
	return set;
}

void nft_put_identity_elem(NftBatch *b, const NftIdentity *id, bool add)
{
	char name[32];
	struct nftnl_set *set;
	struct nlmsghdr *nlh;

	slot_set_name(id->slot, name, sizeof(name));
	set = elem_set_new(name);
	identity_elem(set, id, add);
	nlh = elem_msg(b, set, add);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
}

static void counter_elems(struct nftnl_set *set, uint32_t session_bits)
{
	for (uint32_t dir = DIR_TX; dir <= DIR_RX; dir++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		uint32_t key[2] = { session_bits, dir };

		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
		nftnl_set_elem_add(set, e);
	}
}

void nft_put_session_counters(NftBatch *b, uint32_t session_bits, bool add)
{
	struct nftnl_set *set = elem_set_new(NFT_SET_COUNTERS);
	struct nlmsghdr *nlh;

	counter_elems(set, session_bits);
	nlh = elem_msg(b, set, add);
	nft_batch_close(b, nlh);
	nftnl_set_free(set);
}

void nft_put_nat_rules(NftBatch *b, const NftState *s)
{
	put_chain_flush(b, CHAIN_NAT);
	put_nat_chain_rules(b, s);
}

/* Elements go in messages of at most this many (bounded message size). */
#define ELEMS_PER_MSG 256

static void flush_elems(NftBatch *b, struct nftnl_set **set, const char *name,
			unsigned int *count, bool force)
{
	if (*count == 0 || (!force && *count < ELEMS_PER_MSG))
		return;
	nft_batch_close(b, elem_msg(b, *set, true));
	nftnl_set_free(*set);
	*set = elem_set_new(name);
	*count = 0;
}

void nft_put_full_install(NftBatch *b, const NftState *s, uint8_t *slots)
{
	GHashTableIter it;
	gpointer key, value;

	memset(slots, 0, NFT_N_SLOTS);
	/* the first NEWTABLE only makes sure there is one to delete: without
	 * flags it leaves an existing table's alone (the kernel refuses to
	 * change PERSIST on a table an earlier run left), and it fails with
	 * EPERM while another live process owns it */
	put_table(b, s, NFT_MSG_NEWTABLE, false);
	put_table(b, s, NFT_MSG_DELTABLE, false);
	put_table(b, s, NFT_MSG_NEWTABLE, true);
	put_chain(b, CHAIN_OUTPUT, "route", NF_INET_LOCAL_OUT, NF_IP_PRI_MANGLE);
	put_chain(b, CHAIN_PREROUTING, "filter", NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE);
	put_chain(b, CHAIN_NAT, "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);
	if (s->sock_marks)
		put_sock_mark_chains(b);
	put_set(b, NFT_SET_COUNTERS, SET_ID_COUNTERS, (NFT_TYPE_MARK << NFT_TYPE_BITS) | NFT_TYPE_MARK,
		2 * sizeof(uint32_t), false, true);
	put_uplinks_set(b);
	if (s->sock_marks)
		put_session_marks_set(b);
	if (s->sock_notrack) {
		put_notrack_sets(b);
		put_notrack_chains(b);
	}
	if (s->tether_on) {
		put_tether_sets(b);
		put_tether_chains(b);
	}

	g_hash_table_iter_init(&it, s->identities);
	while (g_hash_table_iter_next(&it, NULL, &value))
		slots[((NftIdentity *)value)->slot] = 1;
	for (unsigned int slot = 0; slot < NFT_N_SLOTS; slot++)
		if (slots[slot])
			put_slot_set(b, slot);

	if (s->sock_marks)
		put_sock_mark_rules(b, s);
	put_output_rules(b, s, slots);
	put_restore_rule(b, s, CHAIN_PREROUTING);
	put_count_rule(b, s, CHAIN_PREROUTING, DIR_RX);
	put_nat_chain_rules(b, s);
	if (s->sock_notrack)
		put_notrack_rules(b, s);
	if (s->tether_on)
		put_tether_rules(b, &s->tether);
	put_uplink_elems(b, s);
	if (s->sock_marks)
		put_session_marks_elems(b, s);

	for (unsigned int slot = 0; slot < NFT_N_SLOTS; slot++) {
		char name[32];
		struct nftnl_set *set;
		unsigned int count = 0;

		if (!slots[slot])
			continue;
		slot_set_name(slot, name, sizeof(name));
		set = elem_set_new(name);
		g_hash_table_iter_init(&it, s->identities);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			NftIdentity *id = value;

			if (id->slot != slot)
				continue;
			identity_elem(set, id, true);
			count++;
			flush_elems(b, &set, name, &count, false);
		}
		flush_elems(b, &set, name, &count, true);
		nftnl_set_free(set);
	}
	{
		struct nftnl_set *set = elem_set_new(NFT_SET_COUNTERS);
		unsigned int count = 0;

		g_hash_table_iter_init(&it, s->sessions);
		while (g_hash_table_iter_next(&it, &key, NULL)) {
			counter_elems(set, GPOINTER_TO_UINT(key));
			count += 2;
			flush_elems(b, &set, NFT_SET_COUNTERS, &count, false);
		}
		flush_elems(b, &set, NFT_SET_COUNTERS, &count, true);
		nftnl_set_free(set);
	}
}

void nft_put_table_remove(NftBatch *b, const NftState *s)
{
	put_table(b, s, NFT_MSG_NEWTABLE, false);
	put_table(b, s, NFT_MSG_DELTABLE, false);
}
