// SPDX-License-Identifier: GPL-2.0-or-later
/* What our xtables chains contain, as iptables-restore text, and the
 * parser of iptables-save output that reads them back. Pure: no I/O.
 *
 *   mangle OUTPUT     → NFCONN-OUT: for a packet nobody marked, restore
 *                       our bits from the ct mark; if still unmarked,
 *                       NFCONN-ID: the identity chains (CGROUP, UID, GID:
 *                       one rule per identity, each behind "still
 *                       unmarked"), then save the mark it got to a ct mark
 *                       that has none of our bits; count in the
 *                       NFCONN-TX tree (one rule per session, below)
 *                       (with sock_marks, first: a packet that carries
 *                       our bits and only those, from a socket the eBPF
 *                       program marked at creation, goes to NFCONN-SOCK)
 *   mangle PREROUTING → NFCONN-PRE: restore, count in the NFCONN-RX tree
 *   nat POSTROUTING   → NFCONN-POST: masquerade steered packets, the NAT
 *                       entries, the tether subnets out of each uplink
 *   filter FORWARD    → NFCONN-FWD (only while tethering): from the bridge
 *                       NFCONN-TOUT, to it NFCONN-TIN; per client address
 *                       NFCONN-TXC / NFCONN-RXC (IPv4)
 *
 * Unlike the nft table, the identity rules are linear in the identities
 * (xtables has no maps): only packets of flows not yet marked walk them.
 * The counting rules, which every steered packet meets, are one per
 * session too, but in a tree of chains that a packet descends by its
 * session bits (below), so that it meets a few dozen rules, not one per
 * session. Each jump from a built-in chain
 * is inserted first in it. Rule specs are written exactly as
 * iptables-save prints them (hex marks, -s before -i, quoted paths). */
#include "ipt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const table_names[IPT_N_TABLES] = { "mangle", "nat", "filter" };

const char *ipt_table_name(IptTable t)
{
	return table_names[t];
}

/* ---- state ------------------------------------------------------------------- */

IptIdentity *ipt_identity_copy(const IptIdentity *id)
{
	IptIdentity *c = g_memdup2(id, sizeof(*id));

	c->cgroup = g_strdup(id->cgroup);
	return c;
}

void ipt_identity_free(IptIdentity *id)
{
	if (!id)
		return;
	g_free(id->cgroup);
	g_free(id);
}

void ipt_state_init(IptState *s, const NfcMarkLayout *layout, bool sock_marks)
{
	memset(s, 0, sizeof(*s));
	s->ours = nfc_mark_layout_mask(layout);
	s->session_mask = nfc_mark_layout_session_mask(layout);
	s->routing_mask = nfc_mark_layout_routing_mask(layout);
	s->session_shift = s->session_mask ? (unsigned int)__builtin_ctz(s->session_mask) : 0;
	s->sock_marks = sock_marks;
	s->identities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)ipt_identity_free);
	s->sessions = g_hash_table_new(NULL, NULL);
	s->session_marks = g_hash_table_new(NULL, NULL);
	s->tree_refs = g_hash_table_new(NULL, NULL);
	s->nats = g_array_new(FALSE, TRUE, sizeof(NfcFirewallNat));
	s->uplinks = g_new0(char *, 1);
}

void ipt_state_clear(IptState *s)
{
	g_clear_pointer(&s->identities, g_hash_table_unref);
	g_clear_pointer(&s->sessions, g_hash_table_unref);
	g_clear_pointer(&s->session_marks, g_hash_table_unref);
	g_clear_pointer(&s->tree_refs, g_hash_table_unref);
	g_clear_pointer(&s->nats, g_array_unref);
	g_clear_pointer(&s->uplinks, g_strfreev);
}

void ipt_state_copy(IptState *dst, const IptState *src)
{
	GHashTableIter it;
	gpointer k, v;

	*dst = *src;
	dst->identities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						(GDestroyNotify)ipt_identity_free);
	g_hash_table_iter_init(&it, src->identities);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(dst->identities, g_strdup(k), ipt_identity_copy(v));
	dst->sessions = g_hash_table_new(NULL, NULL);
	g_hash_table_iter_init(&it, src->sessions);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(dst->sessions, k, v);
	dst->session_marks = g_hash_table_new(NULL, NULL);
	g_hash_table_iter_init(&it, src->session_marks);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(dst->session_marks, k, v);
	dst->tree_refs = g_hash_table_new(NULL, NULL);
	g_hash_table_iter_init(&it, src->tree_refs);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(dst->tree_refs, k, v);
	dst->nats = g_array_copy(src->nats);
	dst->uplinks = g_strdupv(src->uplinks);
}

/* ---- rule specs ---------------------------------------------------------------- */

/* "--mark 0x7/0xff" as iptables-save prints it: no mask when it is all ones */
static char *mark_arg(uint32_t value, uint32_t mask)
{
	if (mask == 0xffffffffu)
		return g_strdup_printf("0x%x", value);
	return g_strdup_printf("0x%x/0x%x", value, mask);
}

static char *restore_spec(const IptState *s)
{
	return g_strdup_printf("-m mark --mark 0x0 -j CONNMARK --restore-mark --nfmask 0x%x "
			       "--ctmask 0x%x", s->ours, s->ours);
}

static char *save_spec(const IptState *s)
{
	g_autofree char *m = mark_arg(0, s->ours);

	return g_strdup_printf("-m mark ! --mark %s -m connmark --mark %s -j CONNMARK "
			       "--save-mark --nfmask 0x%x --ctmask 0x%x", m, m, s->ours, s->ours);
}

static char *count_jump_spec(const IptState *s, const char *chain)
{
	g_autofree char *m = mark_arg(0, s->session_mask);

	return g_strdup_printf("-m mark ! --mark %s -j %s", m, chain);
}

/* Our session bits, no foreign bits (the routing part may be anything). */
static char *count_spec(const IptState *s, uint32_t bits)
{
	g_autofree char *m = mark_arg(bits, ~s->routing_mask);

	return g_strdup_printf("-m mark --mark %s -j RETURN", m);
}

bool ipt_count_rule_session(const char *spec, uint32_t *bits)
{
	unsigned int value, mask;
	char tail[16];

	if (sscanf(spec, "-m mark --mark 0x%x/0x%x -j %15s", &value, &mask, tail) != 3 ||
	    !g_str_equal(tail, "RETURN"))
		return false;
	*bits = value;
	return true;
}

/* ---- sockets marked at creation (IptState.sock_marks) ---------------------------
 * The eBPF fast path stamps a session's mark on a socket when it is made;
 * its packets come to NFCONN-OUT with our bits and no others, so the
 * restore and identity rules (for mark 0) leave them alone. The mark is
 * the session's when the socket was made; the session may have moved to
 * another routing class since, or gone. In NFCONN-SOCK:
 *   - a new flow (no ct mark of ours) goes through NFCONN-SMAP, where the
 *     rule of its session (its session bits) sets the ct mark to the
 *     session's current mark; a session that is gone has no rule there;
 *   - then the mark is restored from the ct mark: an established flow
 *     keeps the mark it started with, a new one takes its session's
 *     current mark (the socket's own in the common case: the mark does not
 *     change, so the kernel does not route the packet again), and one of
 *     a gone session gets mark 0: the identity rules look it up anew.
 * NFCONN-POST then masquerades a steered packet only when its source is
 * not an address of the interface it leaves by (a marked socket's source
 * was chosen by its uplink's route). The notrack variant of the nft
 * backend (sock_notrack) has no counterpart here: every flow is tracked. */

/* -m mark --mark 0x0/~ours -m mark ! --mark 0x0: our bits, only those */
static char *sock_jump_spec(const IptState *s)
{
	g_autofree char *foreign = mark_arg(0, ~s->ours);

	return g_strdup_printf("-m mark --mark %s -m mark ! --mark 0x0 -j " IPT_SOCK, foreign);
}

static char *sock_map_jump_spec(const IptState *s)
{
	g_autofree char *m = mark_arg(0, s->ours);

	return g_strdup_printf("-m connmark --mark %s -j " IPT_SMAP, m);
}

static char *sock_restore_spec(const IptState *s)
{
	return g_strdup_printf("-j CONNMARK --restore-mark --nfmask 0x%x --ctmask 0x%x", s->ours,
			       s->ours);
}

/* (the same rule as ipt_put_session_mark's) */
static char *session_mark_spec(const IptState *s, uint32_t bits, uint32_t mark)
{
	g_autofree char *m = mark_arg(bits, s->session_mask);
	g_autofree char *set = mark_arg(mark, s->ours);

	return g_strdup_printf("-m mark --mark %s -j CONNMARK --set-xmark %s", m, set);
}

/* ---- the counting trees ----------------------------------------------------------
 * Per-session counting in xtables is a rule per session whose counter is
 * the session's; a flat chain of them costs a steered packet one rule per
 * session ahead of its own (tools/bench/policy: 0.16 x no table at 1,000
 * sessions with its rule last, 0.02 at 10,000). So each direction's
 * rules hang in a tree keyed by the session value v (the session bits,
 * shifted down), three levels deep:
 *   NFCONN-TX          one rule per v >> 8 in use:  -g NFCONN-TX-<v >> 8>
 *   NFCONN-TX-<h>      one per (v >> 4) & 0xf:      -g NFCONN-TX-<h>-<m>
 *   NFCONN-TX-<h>-<m>  the counting rules, at most 16
 * A packet meets at most 16 rules in each of the two lower levels and one
 * per 256 session values in use at the top. A chain goes with its last
 * rule. (RX alike.) */
#define TREE_LOW_BITS 4
#define TREE_HIGH_SHIFT 8

static uint32_t session_value(const IptState *s, uint32_t bits)
{
	return (bits & s->session_mask) >> s->session_shift;
}

/* level 1: NFCONN-TX-<h>; level 2: NFCONN-TX-<h>-<m> */
static char *tree_chain(const char *root, uint32_t value, int level)
{
	if (level == 1)
		return g_strdup_printf("%s-%x", root, value >> TREE_HIGH_SHIFT);
	return g_strdup_printf("%s-%x-%x", root, value >> TREE_HIGH_SHIFT,
			       (value >> TREE_LOW_BITS) & 0xf);
}

/* The goto from level - 1 to level for value: its mark and mask. */
static void tree_goto_mark(const IptState *s, uint32_t value, int level, uint32_t *mark,
			   uint32_t *mask)
{
	uint32_t m = level == 1 ? ~0u << TREE_HIGH_SHIFT
				: ((1u << TREE_HIGH_SHIFT) - 1) & (~0u << TREE_LOW_BITS);

	*mask = (m << s->session_shift) & s->session_mask;
	*mark = (value << s->session_shift) & *mask;
}

static char *tree_goto_spec(const IptState *s, const char *root, uint32_t value, int level)
{
	g_autofree char *chain = tree_chain(root, value, level);
	g_autofree char *m = NULL;
	uint32_t mark, mask;

	tree_goto_mark(s, value, level, &mark, &mask);
	m = mark_arg(mark, mask);
	return g_strdup_printf("-m mark --mark %s -g %s", m, chain);
}

char ipt_count_chain(const char *chain)
{
	if (g_str_equal(chain, IPT_TX) || g_str_has_prefix(chain, IPT_TX "-"))
		return 'T';
	if (g_str_equal(chain, IPT_RX) || g_str_has_prefix(chain, IPT_RX "-"))
		return 'R';
	return 0;
}

/* s->tree_refs' key of value's chain at level: its prefix, tagged with
 * the level (a prefix is at most 28 bits) */
static gpointer tree_key(uint32_t value, int level)
{
	uint32_t prefix = value >> (level == 1 ? TREE_HIGH_SHIFT : TREE_LOW_BITS);

	return GUINT_TO_POINTER(prefix << 2 | (uint32_t)level);
}

/* Whether a session other than bits has value's chain at level (bits is
 * in s->sessions for a removal, not yet for an addition). */
static bool tree_shared(const IptState *s, uint32_t bits, int level)
{
	unsigned int n = GPOINTER_TO_UINT(g_hash_table_lookup(s->tree_refs,
							      tree_key(session_value(s, bits), level)));

	return n > (ipt_session_refs(s, bits) ? 1u : 0u);
}

unsigned int ipt_session_refs(const IptState *s, uint32_t bits)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(s->sessions, GUINT_TO_POINTER(bits)));
}

void ipt_session_ref(IptState *s, uint32_t bits, int delta)
{
	unsigned int was = ipt_session_refs(s, bits), refs = was + delta;

	if (!bits)
		return;
	if (refs)
		g_hash_table_insert(s->sessions, GUINT_TO_POINTER(bits), GUINT_TO_POINTER(refs));
	else
		g_hash_table_remove(s->sessions, GUINT_TO_POINTER(bits));
	if (!was == !refs)
		return;
	/* the session came or went: so it does below its tree chains */
	for (int level = 1; level <= 2; level++) {
		gpointer key = tree_key(session_value(s, bits), level);
		unsigned int n = GPOINTER_TO_UINT(g_hash_table_lookup(s->tree_refs, key));

		n = refs ? n + 1 : n - 1;
		if (n)
			g_hash_table_insert(s->tree_refs, key, GUINT_TO_POINTER(n));
		else
			g_hash_table_remove(s->tree_refs, key);
	}
}

static const char *identity_chain(NfcIdentityKind kind)
{
	return kind == NFC_IDENTITY_UID ? IPT_UID : kind == NFC_IDENTITY_GID ? IPT_GID : IPT_CGROUP;
}

static char *identity_spec(const IptState *s, const IptIdentity *id)
{
	g_autofree char *match = NULL;

	switch (id->kind) {
	case NFC_IDENTITY_UID:
		match = g_strdup_printf("-m owner --uid-owner %u", id->id);
		break;
	case NFC_IDENTITY_GID:
		match = g_strdup_printf("-m owner --gid-owner %u", id->id);
		break;
	case NFC_IDENTITY_CGROUP:
		match = g_strdup_printf("-m cgroup --path \"%s\"", id->cgroup);
		break;
	}
	return g_strdup_printf("-m mark --mark 0x0 %s -j MARK --set-xmark 0x%x/0x%x", match,
			       id->mark, s->ours);
}

/* Deeper cgroups first (the most specific wins), then in the order they came. */
static gint cgroup_order(gconstpointer a, gconstpointer b)
{
	const IptIdentity *x = *(IptIdentity *const *)a, *y = *(IptIdentity *const *)b;

	if (x->level != y->level)
		return x->level > y->level ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- addresses ------------------------------------------------------------------- */

static char *prefix_text(int family, const void *addr, unsigned int plen)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t masked[16] = { 0 };
	unsigned int len = family == AF_INET ? 4 : 16;

	memcpy(masked, addr, len);
	for (unsigned int i = 0; i < len; i++) {
		int bits = (int)plen - (int)i * 8;

		masked[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
	}
	inet_ntop(family, masked, buf, sizeof(buf));
	return g_strdup_printf("%s/%u", buf, plen);
}

static char *tether_prefix(const NfcFirewallTether *t, int family)
{
	if (family == AF_INET)
		return t->prefixlen4 ? prefix_text(AF_INET, &t->subnet4, t->prefixlen4) : NULL;
	return t->prefixlen6 ? prefix_text(AF_INET6, t->subnet6, t->prefixlen6) : NULL;
}

bool ipt_client_rule_address(const char *spec, uint32_t *addr)
{
	char text[INET_ADDRSTRLEN + 1];
	struct in_addr a;

	if ((sscanf(spec, "-s %16[0-9.]/32 -j ACCEPT", text) != 1 &&
	     sscanf(spec, "-d %16[0-9.]/32 -j ACCEPT", text) != 1) ||
	    inet_pton(AF_INET, text, &a) != 1)
		return false;
	*addr = a.s_addr;
	return true;
}

/* ---- rule sets ---------------------------------------------------------------------- */

static void rule_free(IptRule *rule)
{
	g_free(rule->chain);
	g_free(rule->spec);
	g_free(rule);
}

void ipt_ruleset_init(IptRuleset *r)
{
	for (int t = 0; t < IPT_N_TABLES; t++) {
		r->chains[t] = g_ptr_array_new_with_free_func(g_free);
		r->rules[t] = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	}
}

void ipt_ruleset_clear(IptRuleset *r)
{
	for (int t = 0; t < IPT_N_TABLES; t++) {
		g_clear_pointer(&r->rules[t], g_ptr_array_unref);
		g_clear_pointer(&r->chains[t], g_ptr_array_unref);
	}
}

bool ipt_ruleset_empty(const IptRuleset *r)
{
	for (int t = 0; t < IPT_N_TABLES; t++)
		if (r->chains[t]->len || r->rules[t]->len)
			return false;
	return true;
}

static void add_rule(IptRuleset *r, IptTable t, const char *chain, char *spec)
{
	IptRule *rule = g_new0(IptRule, 1);

	rule->chain = g_strdup(chain);
	rule->spec = spec;
	g_ptr_array_add(r->rules[t], rule);
}

static void add_chain(IptRuleset *r, IptTable t, const char *chain)
{
	g_ptr_array_add(r->chains[t], g_strdup(chain));
}

static bool is_ours(const char *chain)
{
	return g_str_has_prefix(chain, IPT_PREFIX);
}

/* A rule of a built-in chain that jumps (or goes) to one of ours. */
static bool jumps_to_ours(const char *spec)
{
	return strstr(spec, "-j " IPT_PREFIX) || strstr(spec, "-g " IPT_PREFIX);
}

bool ipt_parse_save(const char *text, IptRuleset *out)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	int table = -1;
	bool seen_table = false;

	for (char **l = lines; *l; l++) {
		const char *line = *l;
		uint64_t packets = 0, bytes = 0;

		if (line[0] == '*') {
			table = -1;
			seen_table = true;
			for (int t = 0; t < IPT_N_TABLES; t++)
				if (g_str_equal(line + 1, table_names[t]))
					table = t;
			continue;
		}
		if (table < 0)
			continue;
		if (line[0] == ':') {
			g_autofree char *name = g_strndup(line + 1, strcspn(line + 1, " "));

			if (is_ours(name))
				add_chain(out, table, name);
			continue;
		}
		if (line[0] == '[') {
			int used = 0;

			if (sscanf(line, "[%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT "] %n",
				   &packets, &bytes, &used) != 2 || used == 0)
				return false;
			line += used;
		}
		if (g_str_has_prefix(line, "-A ")) {
			const char *chain = line + 3;
			size_t n = strcspn(chain, " ");
			g_autofree char *name = g_strndup(chain, n);
			const char *spec = chain[n] ? chain + n + 1 : "";

			if (is_ours(name) || jumps_to_ours(spec)) {
				add_rule(out, table, name, g_strdup(spec));
				((IptRule *)g_ptr_array_index(out->rules[table],
							       out->rules[table]->len - 1))->packets = packets;
				((IptRule *)g_ptr_array_index(out->rules[table],
							       out->rules[table]->len - 1))->bytes = bytes;
			}
		}
	}
	return seen_table || text[0] == '\0';
}

/* A counting tree (its root declared with the other chains). */
static void expected_tree(const IptState *s, const char *root, IptRuleset *r)
{
	g_autoptr(GHashTable) made = g_hash_table_new(NULL, NULL);   /* tree_key()s */
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, s->sessions);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		uint32_t bits = GPOINTER_TO_UINT(key);
		uint32_t v = session_value(s, bits);
		g_autofree char *leaf = tree_chain(root, v, 2);

		if (!bits)
			continue;
		if (g_hash_table_add(made, tree_key(v, 1))) {
			g_autofree char *chain = tree_chain(root, v, 1);

			add_chain(r, IPT_MANGLE, chain);
			add_rule(r, IPT_MANGLE, root, tree_goto_spec(s, root, v, 1));
		}
		if (g_hash_table_add(made, tree_key(v, 2))) {
			g_autofree char *chain = tree_chain(root, v, 1);

			add_chain(r, IPT_MANGLE, leaf);
			add_rule(r, IPT_MANGLE, chain, tree_goto_spec(s, root, v, 2));
		}
		add_rule(r, IPT_MANGLE, leaf, count_spec(s, bits));
	}
}

static void expected_mangle(const IptState *s, IptRuleset *r)
{
	static const char *const chains[] = { IPT_OUT, IPT_PRE, IPT_ID, IPT_CGROUP, IPT_UID,
					      IPT_GID, IPT_TX, IPT_RX };
	g_autoptr(GPtrArray) cgroups = g_ptr_array_new();
	GHashTableIter it;
	gpointer key, value;

	for (guint i = 0; i < G_N_ELEMENTS(chains); i++)
		add_chain(r, IPT_MANGLE, chains[i]);
	add_rule(r, IPT_MANGLE, "OUTPUT", g_strdup("-j " IPT_OUT));
	add_rule(r, IPT_MANGLE, "PREROUTING", g_strdup("-j " IPT_PRE));
	if (s->sock_marks) {
		add_chain(r, IPT_MANGLE, IPT_SOCK);
		add_chain(r, IPT_MANGLE, IPT_SMAP);
		add_rule(r, IPT_MANGLE, IPT_OUT, sock_jump_spec(s));
		add_rule(r, IPT_MANGLE, IPT_SOCK, sock_map_jump_spec(s));
		add_rule(r, IPT_MANGLE, IPT_SOCK, sock_restore_spec(s));
		g_hash_table_iter_init(&it, s->session_marks);
		while (g_hash_table_iter_next(&it, &key, &value))
			add_rule(r, IPT_MANGLE, IPT_SMAP,
				 session_mark_spec(s, GPOINTER_TO_UINT(key), GPOINTER_TO_UINT(value)));
	}
	add_rule(r, IPT_MANGLE, IPT_OUT, restore_spec(s));
	add_rule(r, IPT_MANGLE, IPT_OUT, g_strdup("-m mark --mark 0x0 -j " IPT_ID));
	add_rule(r, IPT_MANGLE, IPT_OUT, count_jump_spec(s, IPT_TX));
	/* entered unmarked: any mark set in there is ours, and only that is
	 * saved (never another's mark, never over a ct mark of ours) */
	add_rule(r, IPT_MANGLE, IPT_ID, g_strdup("-j " IPT_CGROUP));
	add_rule(r, IPT_MANGLE, IPT_ID, g_strdup("-m mark --mark 0x0 -j " IPT_UID));
	add_rule(r, IPT_MANGLE, IPT_ID, g_strdup("-m mark --mark 0x0 -j " IPT_GID));
	add_rule(r, IPT_MANGLE, IPT_ID, save_spec(s));
	add_rule(r, IPT_MANGLE, IPT_PRE, restore_spec(s));
	add_rule(r, IPT_MANGLE, IPT_PRE, count_jump_spec(s, IPT_RX));

	g_hash_table_iter_init(&it, s->identities);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		IptIdentity *id = value;

		if (id->kind == NFC_IDENTITY_CGROUP)
			g_ptr_array_add(cgroups, id);
		else
			add_rule(r, IPT_MANGLE, identity_chain(id->kind), identity_spec(s, id));
	}
	g_ptr_array_sort(cgroups, cgroup_order);
	for (guint i = 0; i < cgroups->len; i++)
		add_rule(r, IPT_MANGLE, IPT_CGROUP, identity_spec(s, cgroups->pdata[i]));
	expected_tree(s, IPT_TX, r);
	expected_tree(s, IPT_RX, r);
}

/* The rules of NFCONN-POST for a family, in order. */
static void nat_specs(const IptState *s, int family, GPtrArray *specs)
{
	g_autofree char *routing = mark_arg(0, s->routing_mask);

	/* a steered packet was routed first by the main table (its source
	 * address), then by its uplink's: give it the uplink's source; one of
	 * a socket marked at creation has it already */
	if (s->sock_marks)
		g_ptr_array_add(specs, g_strdup_printf("-m mark ! --mark %s -m addrtype --src-type "
						       "LOCAL --limit-iface-out -j RETURN", routing));
	g_ptr_array_add(specs, g_strdup_printf("-m mark ! --mark %s -j MASQUERADE", routing));
	if (family == AF_INET) {
		for (guint i = 0; i < s->nats->len; i++) {
			NfcFirewallNat *n = &g_array_index(s->nats, NfcFirewallNat, i);
			g_autofree char *p = prefix_text(AF_INET, &n->subnet, n->prefixlen);

			g_ptr_array_add(specs, g_strdup_printf("-s %s -o %.16s -j MASQUERADE", p,
							       n->ifname));
		}
	}
	if (s->tether_on) {
		g_autofree char *p = tether_prefix(&s->tether, family);

		/* one rule per uplink (no sets here): a failover changes the
		 * route, not these rules */
		for (char **u = s->uplinks; p && *u; u++)
			g_ptr_array_add(specs, g_strdup_printf("-s %s -o %s -j MASQUERADE", p, *u));
	}
}

static void expected_nat(const IptState *s, int family, IptRuleset *r)
{
	g_autoptr(GPtrArray) specs = g_ptr_array_new();

	add_chain(r, IPT_NAT, IPT_POST);
	add_rule(r, IPT_NAT, "POSTROUTING", g_strdup("-j " IPT_POST));
	nat_specs(s, family, specs);
	for (guint i = 0; i < specs->len; i++)
		add_rule(r, IPT_NAT, IPT_POST, specs->pdata[i]);
}

/* The hosts of the IPv4 tether subnet that get a counting rule. */
static unsigned int tether_clients(const NfcFirewallTether *t, uint32_t *first)
{
	uint32_t net = ntohl(t->subnet4);
	unsigned int plen = t->prefixlen4;
	uint64_t size;

	if (!plen)
		return 0;
	size = (uint64_t)1 << (32 - plen);
	net &= plen ? ~(uint32_t)0 << (32 - plen) : 0;
	if (size <= 2) {
		*first = net;
		return (unsigned int)size;
	}
	*first = net + 1;
	return (unsigned int)MIN(size - 2, IPT_TETHER_CLIENTS_MAX);
}

/* spec lists of the filter chains while tethering, in order */
typedef struct {
	GPtrArray *fwd, *tout, *tin, *txc, *rxc;
} TetherSpecs;

static void tether_uplink_specs(const IptState *s, int family, TetherSpecs *t)
{
	const NfcFirewallTether *te = &s->tether;
	g_autofree char *p = tether_prefix(te, family);

	/* routed back onto the bridge (between its clients): stays there */
	g_ptr_array_add(t->tout, g_strdup_printf("-o %s -j ACCEPT", te->bridge));
	/* not from the subnet (or a family it has none of): nothing leaves */
	if (p)
		g_ptr_array_add(t->tout, g_strdup_printf("! -s %s -j DROP", p));
	else
		g_ptr_array_add(t->tout, g_strdup("-j DROP"));
	for (char **u = s->uplinks; p && *u; u++)
		g_ptr_array_add(t->tout, g_strdup_printf("-o %s -j " IPT_TXC, *u));
	if (p)
		g_ptr_array_add(t->tout, g_strdup("-j DROP"));
	/* only from an uplink, only what a client started */
	for (char **u = s->uplinks; *u; u++)
		g_ptr_array_add(t->tin, g_strdup_printf("-i %s -m conntrack --ctstate "
							"RELATED,ESTABLISHED -j " IPT_RXC, *u));
	g_ptr_array_add(t->tin, g_strdup("-j DROP"));
}

static void tether_client_specs(const IptState *s, int family, TetherSpecs *t)
{
	if (family == AF_INET) {
		uint32_t first = 0;
		unsigned int n = tether_clients(&s->tether, &first);

		for (unsigned int i = 0; i < n; i++) {
			struct in_addr a = { htonl(first + i) };
			char buf[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a, buf, sizeof(buf));
			g_ptr_array_add(t->txc, g_strdup_printf("-s %s/32 -j ACCEPT", buf));
			g_ptr_array_add(t->rxc, g_strdup_printf("-d %s/32 -j ACCEPT", buf));
		}
	}
	/* beyond the counted ones: through, uncounted */
	g_ptr_array_add(t->txc, g_strdup("-j ACCEPT"));
	g_ptr_array_add(t->rxc, g_strdup("-j ACCEPT"));
}

static void tether_specs_init(TetherSpecs *t)
{
	t->fwd = g_ptr_array_new_with_free_func(g_free);
	t->tout = g_ptr_array_new_with_free_func(g_free);
	t->tin = g_ptr_array_new_with_free_func(g_free);
	t->txc = g_ptr_array_new_with_free_func(g_free);
	t->rxc = g_ptr_array_new_with_free_func(g_free);
}

static void tether_specs_clear(TetherSpecs *t)
{
	g_ptr_array_unref(t->fwd);
	g_ptr_array_unref(t->tout);
	g_ptr_array_unref(t->tin);
	g_ptr_array_unref(t->txc);
	g_ptr_array_unref(t->rxc);
}

static void tether_specs(const IptState *s, int family, TetherSpecs *t)
{
	tether_specs_init(t);
	g_ptr_array_add(t->fwd, g_strdup_printf("-i %s -j " IPT_TOUT, s->tether.bridge));
	g_ptr_array_add(t->fwd, g_strdup_printf("-o %s -j " IPT_TIN, s->tether.bridge));
	tether_uplink_specs(s, family, t);
	tether_client_specs(s, family, t);
}

static const char *const tether_chains[] = { IPT_FWD, IPT_TOUT, IPT_TIN, IPT_TXC, IPT_RXC };

static GPtrArray *tether_list(TetherSpecs *t, guint i)
{
	GPtrArray *lists[] = { t->fwd, t->tout, t->tin, t->txc, t->rxc };

	return lists[i];
}

static void expected_filter(const IptState *s, int family, IptRuleset *r)
{
	TetherSpecs t;

	if (!s->tether_on)
		return;
	tether_specs(s, family, &t);
	add_rule(r, IPT_FILTER, "FORWARD", g_strdup("-j " IPT_FWD));
	for (guint i = 0; i < G_N_ELEMENTS(tether_chains); i++) {
		GPtrArray *list = tether_list(&t, i);

		add_chain(r, IPT_FILTER, tether_chains[i]);
		for (guint j = 0; j < list->len; j++)
			add_rule(r, IPT_FILTER, tether_chains[i], g_strdup(list->pdata[j]));
	}
	tether_specs_clear(&t);
}

void ipt_expected(const IptState *s, int family, IptRuleset *out)
{
	expected_mangle(s, out);
	expected_nat(s, family, out);
	expected_filter(s, family, out);
}

/* ---- comparing ------------------------------------------------------------------------ */

/* Chains whose rules match disjoint packets: their order means nothing.
 * (CGROUP's does, across levels; only the sets are compared there too.) */
static bool unordered(const char *chain)
{
	return g_str_equal(chain, IPT_UID) || g_str_equal(chain, IPT_GID) ||
	       g_str_equal(chain, IPT_CGROUP) || ipt_count_chain(chain) ||
	       g_str_equal(chain, IPT_SMAP) || !is_ours(chain);
}

static gint str_order(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rules of one chain as specs (sorted if unordered); for a built-in
 * chain name NULL: every jump from a built-in chain, "CHAIN spec". */
static GPtrArray *chain_specs(const IptRuleset *r, IptTable t, const char *chain)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < r->rules[t]->len; i++) {
		IptRule *rule = r->rules[t]->pdata[i];

		if (chain && g_str_equal(rule->chain, chain))
			g_ptr_array_add(out, g_strdup(rule->spec));
		else if (!chain && !is_ours(rule->chain))
			g_ptr_array_add(out, g_strdup_printf("%s %s", rule->chain, rule->spec));
	}
	if (!chain || unordered(chain))
		g_ptr_array_sort(out, str_order);
	return out;
}

static bool same_specs(GPtrArray *a, GPtrArray *b)
{
	if (a->len != b->len)
		return false;
	for (guint i = 0; i < a->len; i++)
		if (!g_str_equal(a->pdata[i], b->pdata[i]))
			return false;
	return true;
}

bool ipt_ruleset_matches(const IptRuleset *have, const IptRuleset *want, char **why)
{
	for (int t = 0; t < IPT_N_TABLES; t++) {
		g_autoptr(GPtrArray) hc = g_ptr_array_new();
		g_autoptr(GPtrArray) wc = g_ptr_array_new();
		g_autoptr(GPtrArray) hj = chain_specs(have, t, NULL);
		g_autoptr(GPtrArray) wj = chain_specs(want, t, NULL);

		g_ptr_array_extend(hc, have->chains[t], NULL, NULL);
		g_ptr_array_extend(wc, want->chains[t], NULL, NULL);
		g_ptr_array_sort(hc, str_order);
		g_ptr_array_sort(wc, str_order);
		if (!same_specs(hc, wc)) {
			*why = g_strdup_printf("table %s: chains of ours differ", table_names[t]);
			return false;
		}
		if (!same_specs(hj, wj)) {
			*why = g_strdup_printf("table %s: jumps to our chains differ", table_names[t]);
			return false;
		}
		for (guint i = 0; i < wc->len; i++) {
			g_autoptr(GPtrArray) h = chain_specs(have, t, wc->pdata[i]);
			g_autoptr(GPtrArray) w = chain_specs(want, t, wc->pdata[i]);

			if (!same_specs(h, w)) {
				*why = g_strdup_printf("table %s: chain %s has %u rules, not the %u of ours",
						       table_names[t], (char *)wc->pdata[i], h->len,
						       w->len);
				return false;
			}
		}
	}
	return true;
}

/* ---- restore text ------------------------------------------------------------------------ */

static bool has_chain(const IptRuleset *r, IptTable t, const char *chain)
{
	for (guint i = 0; i < r->chains[t]->len; i++)
		if (g_str_equal(r->chains[t]->pdata[i], chain))
			return true;
	return false;
}

void ipt_put_replace(GString *out, const IptRuleset *have, const IptRuleset *want)
{
	for (int t = 0; t < IPT_N_TABLES; t++) {
		GPtrArray *hr = have->rules[t], *wr = want->rules[t];

		if (!have->chains[t]->len && !hr->len && !want->chains[t]->len && !wr->len)
			continue;
		g_string_append_printf(out, "*%s\n", table_names[t]);
		/* declaring a chain creates it, or flushes the one there */
		for (guint i = 0; i < want->chains[t]->len; i++)
			g_string_append_printf(out, ":%s - [0:0]\n", (char *)want->chains[t]->pdata[i]);
		for (guint i = 0; i < have->chains[t]->len; i++)
			if (!has_chain(want, t, have->chains[t]->pdata[i]))
				g_string_append_printf(out, "-F %s\n", (char *)have->chains[t]->pdata[i]);
		/* every jump there was, duplicates and strays included */
		for (guint i = 0; i < hr->len; i++) {
			IptRule *rule = hr->pdata[i];

			if (!is_ours(rule->chain))
				g_string_append_printf(out, "-D %s %s\n", rule->chain, rule->spec);
		}
		for (guint i = 0; i < have->chains[t]->len; i++)
			if (!has_chain(want, t, have->chains[t]->pdata[i]))
				g_string_append_printf(out, "-X %s\n", (char *)have->chains[t]->pdata[i]);
		for (guint i = 0; i < wr->len; i++) {
			IptRule *rule = wr->pdata[i];

			if (is_ours(rule->chain))
				g_string_append_printf(out, "-A %s %s\n", rule->chain, rule->spec);
			else
				/* first in the built-in chain */
				g_string_append_printf(out, "-I %s 1 %s\n", rule->chain, rule->spec);
		}
		g_string_append(out, "COMMIT\n");
	}
}

/* ---- incremental changes -------------------------------------------------------------------- */

void ipt_batch_init(IptBatch *b)
{
	for (int t = 0; t < IPT_N_TABLES; t++)
		b->table[t] = g_string_new(NULL);
	b->ops = g_array_new(FALSE, TRUE, sizeof(IptOp));
}

void ipt_batch_clear(IptBatch *b)
{
	for (int t = 0; t < IPT_N_TABLES; t++)
		if (b->table[t])
			g_string_free(g_steal_pointer(&b->table[t]), TRUE);
	if (b->ops) {
		ipt_ops_clear(b->ops);
		g_clear_pointer(&b->ops, g_array_unref);
	}
}

/* No restore text (there may be ops). */
bool ipt_batch_empty(const IptBatch *b)
{
	for (int t = 0; t < IPT_N_TABLES; t++)
		if (b->table[t]->len)
			return false;
	return true;
}

char *ipt_batch_text(const IptBatch *b)
{
	GString *out = g_string_new(NULL);

	for (int t = 0; t < IPT_N_TABLES; t++)
		if (b->table[t]->len)
			g_string_append_printf(out, "*%s\n%sCOMMIT\n", table_names[t], b->table[t]->str);
	return g_string_free(out, FALSE);
}

/* The position (from 1) a new cgroup rule takes in NFCONN-CGROUP: after
 * every deeper one and every one of its level (s does not hold id yet). */
static unsigned int cgroup_position(const IptState *s, const IptIdentity *id)
{
	GHashTableIter it;
	gpointer value;
	unsigned int pos = 1;

	g_hash_table_iter_init(&it, s->identities);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		IptIdentity *other = value;

		if (other->kind == NFC_IDENTITY_CGROUP && other->level >= id->level)
			pos++;
	}
	return pos;
}

/* (the same rule as identity_spec) */
void ipt_put_identity(IptBatch *b, const IptState *s, const IptIdentity *id, bool add)
{
	IptOp op = {
		.chain = g_strdup(identity_chain(id->kind)), .add = add, .type = IPT_OP_IDENTITY,
		.kind = id->kind,
		.id = id->id, .cgroup = g_strdup(id->cgroup), .value = id->mark,
		.value_mask = s->ours,
	};

	if (add && id->kind == NFC_IDENTITY_CGROUP)
		op.position = cgroup_position(s, id);
	g_array_append_val(b->ops, op);
}

static void put_tree_chain(IptBatch *b, const char *root, uint32_t value, int level, bool add)
{
	IptOp op = { .chain = tree_chain(root, value, level), .add = add, .type = IPT_OP_CHAIN };

	g_array_append_val(b->ops, op);
}

static void put_tree_goto(IptBatch *b, const IptState *s, const char *root, uint32_t value,
			  int level, bool add)
{
	IptOp op = {
		.chain = level == 1 ? g_strdup(root) : tree_chain(root, value, 1), .add = add,
		.type = IPT_OP_GOTO, .target = tree_chain(root, value, level),
	};

	tree_goto_mark(s, value, level, &op.value, &op.value_mask);
	g_array_append_val(b->ops, op);
}

/* (the same rules as expected_tree's) s->sessions has bits, for a
 * removal, or not yet, for an addition. */
void ipt_put_session_counter(IptBatch *b, const IptState *s, uint32_t bits, bool add)
{
	static const char *const roots[] = { IPT_TX, IPT_RX };
	uint32_t v = session_value(s, bits);
	bool high = tree_shared(s, bits, 1), low = tree_shared(s, bits, 2);

	for (guint i = 0; i < G_N_ELEMENTS(roots); i++) {
		IptOp op = { .chain = tree_chain(roots[i], v, 2), .add = add, .type = IPT_OP_COUNT,
			     .value = bits, .value_mask = ~s->routing_mask };

		if (add) {
			if (!high) {
				put_tree_chain(b, roots[i], v, 1, true);
				put_tree_goto(b, s, roots[i], v, 1, true);
			}
			if (!low) {
				put_tree_chain(b, roots[i], v, 2, true);
				put_tree_goto(b, s, roots[i], v, 2, true);
			}
			g_array_append_val(b->ops, op);
			continue;
		}
		g_array_append_val(b->ops, op);
		if (!low) {
			put_tree_goto(b, s, roots[i], v, 2, false);
			put_tree_chain(b, roots[i], v, 2, false);
		}
		if (!high) {
			put_tree_goto(b, s, roots[i], v, 1, false);
			put_tree_chain(b, roots[i], v, 1, false);
		}
	}
}

/* (the same rule as session_mark_spec) */
void ipt_put_session_mark(IptBatch *b, const IptState *s, uint32_t bits, uint32_t mark, bool add)
{
	IptOp op = { .chain = g_strdup(IPT_SMAP), .add = add, .type = IPT_OP_SESSION_MARK,
		     .value = bits,
		     .value_mask = s->session_mask, .set = mark, .set_mask = s->ours };

	g_array_append_val(b->ops, op);
}

void ipt_put_nat(IptBatch *b, const IptState *s, int family)
{
	g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func(g_free);
	GString *n = b->table[IPT_NAT];

	nat_specs(s, family, specs);
	g_string_append(n, ":" IPT_POST " - [0:0]\n");
	for (guint i = 0; i < specs->len; i++)
		g_string_append_printf(n, "-A " IPT_POST " %s\n", (char *)specs->pdata[i]);
}

static void put_rules(GString *f, const char *chain, GPtrArray *specs);

/* Declares (creates, or flushes) the chain, then its rules: a chain a
 * rule jumps to must be declared before it. */
static void put_chain_rules(GString *f, const char *chain, GPtrArray *specs)
{
	g_string_append_printf(f, ":%s - [0:0]\n", chain);
	put_rules(f, chain, specs);
}

static void put_rules(GString *f, const char *chain, GPtrArray *specs)
{
	for (guint i = 0; i < specs->len; i++)
		g_string_append_printf(f, "-A %s %s\n", chain, (char *)specs->pdata[i]);
}

void ipt_put_tether(IptBatch *b, const IptState *s, int family, bool was_on)
{
	GString *f = b->table[IPT_FILTER];
	TetherSpecs t;

	ipt_put_nat(b, s, family);
	if (!s->tether_on) {
		if (!was_on)
			return;
		g_string_append(f, "-D FORWARD -j " IPT_FWD "\n");
		for (guint i = 0; i < G_N_ELEMENTS(tether_chains); i++)
			g_string_append_printf(f, "-F %s\n", tether_chains[i]);
		for (guint i = 0; i < G_N_ELEMENTS(tether_chains); i++)
			g_string_append_printf(f, "-X %s\n", tether_chains[i]);
		return;
	}
	tether_specs(s, family, &t);
	for (guint i = 0; i < G_N_ELEMENTS(tether_chains); i++)
		g_string_append_printf(f, ":%s - [0:0]\n", tether_chains[i]);
	for (guint i = 0; i < G_N_ELEMENTS(tether_chains); i++)
		put_rules(f, tether_chains[i], tether_list(&t, i));
	if (!was_on)
		g_string_append(f, "-I FORWARD 1 -j " IPT_FWD "\n");
	tether_specs_clear(&t);
}

void ipt_put_tether_uplinks(IptBatch *b, const IptState *s, int family)
{
	TetherSpecs t;

	ipt_put_nat(b, s, family);
	if (!s->tether_on)
		return;
	/* the per-client chains stay as they are: their counters go on */
	tether_specs(s, family, &t);
	put_chain_rules(b->table[IPT_FILTER], IPT_TOUT, t.tout);
	put_chain_rules(b->table[IPT_FILTER], IPT_TIN, t.tin);
	tether_specs_clear(&t);
}
