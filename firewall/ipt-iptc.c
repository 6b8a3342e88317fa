// SPDX-License-Identifier: GPL-2.0-or-later
/* The iptables backend's quick way: the per-session rules (identity,
 * counting and session-mark rules in mangle, and the chains of the
 * counting trees) changed in-process through libip4tc/libip6tc,
 * one read-change-commit of the table per family. Measured with
 * tools/bench/ipt-change: about 2 ms at 1,000 identities where a restore
 * helper process costs tens of ms (starting it and loading the xtables
 * extensions). The cost grows with the table (the kernel copies the whole
 * table both ways, libiptc parses and rebuilds it: ~1 s a change at 10,000
 * identities on a loaded 2-core machine), so the commit runs in a forked
 * child (ipt-backend.c) while the main loop goes on: the entries are built
 * here in the parent, and the child calls nothing but libiptc and libc.
 *
 * The entries are built exactly as iptables-restore builds the rule text
 * of ipt-ruleset.c (same matches, revisions, sizes), so that either way
 * can delete what the other added and iptables-save prints them the same. */
#include "ipt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_cgroup.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_owner.h>

void ipt_ops_clear(GArray *ops)
{
	for (guint i = 0; i < ops->len; i++) {
		IptOp *op = &g_array_index(ops, IptOp, i);

		g_free(op->chain);
		g_free(op->cgroup);
		g_free(op->target);
	}
	g_array_set_size(ops, 0);
}

/* ---- entries: matches and a target after the family's header -------------------- */

typedef struct {
	GByteArray *body;    /* matches, then the target */
	GByteArray *mask;    /* what a delete compares, byte for byte */
	size_t target_at;    /* offset of the target in body */
	bool go;             /* -g: the header's goto flag */
} Entry;

static void put_ext(GByteArray *body, GByteArray *mask, const char *name, uint8_t revision,
		    const void *data, size_t len, size_t usersize, size_t header)
{
	size_t size = XT_ALIGN(header + len);
	size_t at = body->len;
	struct xt_entry_match *m;   /* the same header as a target's */

	g_byte_array_set_size(body, at + size);
	memset(body->data + at, 0, size);
	m = (struct xt_entry_match *)(body->data + at);
	m->u.user.match_size = size;
	g_strlcpy(m->u.user.name, name, sizeof(m->u.user.name));
	m->u.user.revision = revision;
	memcpy(body->data + at + header, data, len);
	g_byte_array_set_size(mask, at + size);
	memset(mask->data + at, 0xff, header + usersize);
	memset(mask->data + at + header + usersize, 0, size - header - usersize);
}

static void put_match(Entry *e, const char *name, uint8_t revision, const void *data, size_t len,
		      size_t usersize)
{
	put_ext(e->body, e->mask, name, revision, data, len, usersize,
		sizeof(struct xt_entry_match));
}

static void put_target(Entry *e, const char *name, uint8_t revision, const void *data,
		       size_t len)
{
	e->target_at = e->body->len;
	put_ext(e->body, e->mask, name, revision, data, len, len, sizeof(struct xt_entry_target));
}

static void put_mark_match(Entry *e, uint32_t mark, uint32_t mask)
{
	struct xt_mark_mtinfo1 m = { .mark = mark, .mask = mask };

	put_match(e, "mark", 1, &m, sizeof(m), sizeof(m));
}

static void build(const IptOp *op, Entry *e)
{
	e->body = g_byte_array_new();
	e->mask = g_byte_array_new();
	e->go = false;
	if (op->type == IPT_OP_GOTO) {
		/* -m mark --mark bits/mask -g chain: a jump by the chain's
		 * name (libiptc finds it), the goto flag in the header */
		int verdict = 0;

		put_mark_match(e, op->value, op->value_mask);
		put_target(e, op->target, 0, &verdict, sizeof(verdict));
		e->go = true;
		return;
	}
	if (op->type == IPT_OP_COUNT) {
		/* -m mark --mark bits/mask -j RETURN: libiptc wants the
		 * verdict by its label, and writes the number itself */
		int verdict = 0;

		put_mark_match(e, op->value, op->value_mask);
		put_target(e, IPTC_LABEL_RETURN, 0, &verdict, sizeof(verdict));
		return;
	}
	if (op->type == IPT_OP_SESSION_MARK) {
		/* -m mark --mark bits/mask -j CONNMARK --set-xmark mark/ours:
		 * revision 2, the one iptables-restore picks, with the nfmask
		 * it leaves at all ones (unused by --set-xmark, but compared) */
		struct xt_connmark_tginfo2 t = {
			.ctmark = op->set, .ctmask = op->set_mask, .nfmask = 0xffffffffu,
			.mode = XT_CONNMARK_SET,
		};

		put_mark_match(e, op->value, op->value_mask);
		put_target(e, "CONNMARK", 2, &t, sizeof(t));
		return;
	}
	/* -m mark --mark 0x0 -m owner|cgroup ... -j MARK --set-xmark mark/ours */
	put_mark_match(e, 0, 0xffffffffu);
	if (op->kind == NFC_IDENTITY_CGROUP) {
		struct xt_cgroup_info_v2 c = { .has_path = 1 };

		g_strlcpy(c.path, op->cgroup, sizeof(c.path));
		/* the kernel's pointer after the path is not compared */
		put_match(e, "cgroup", 2, &c, sizeof(c), offsetof(struct xt_cgroup_info_v2, priv));
	} else {
		struct xt_owner_match_info o = { 0 };

		if (op->kind == NFC_IDENTITY_UID) {
			o.uid_min = o.uid_max = op->id;
			o.match = XT_OWNER_UID;
		} else {
			o.gid_min = o.gid_max = op->id;
			o.match = XT_OWNER_GID;
		}
		put_match(e, "owner", 1, &o, sizeof(o), sizeof(o));
	}
	{
		struct xt_mark_tginfo2 t = { .mark = op->value, .mask = op->value_mask };

		put_target(e, "MARK", 2, &t, sizeof(t));
	}
}

/* The whole entry (header of the family, then body) and its mask. */
static void *entry_bytes(int family, const Entry *e, unsigned char **mask)
{
	size_t head = family == AF_INET ? XT_ALIGN(sizeof(struct ipt_entry))
					: XT_ALIGN(sizeof(struct ip6t_entry));
	size_t size = head + e->body->len;
	unsigned char *buf = g_malloc0(size);

	if (family == AF_INET) {
		struct ipt_entry *h = (struct ipt_entry *)buf;

		h->target_offset = head + e->target_at;
		h->next_offset = size;
		if (e->go)
			h->ip.flags |= IPT_F_GOTO;
	} else {
		struct ip6t_entry *h = (struct ip6t_entry *)buf;

		h->target_offset = head + e->target_at;
		h->next_offset = size;
		if (e->go)
			h->ipv6.flags |= IP6T_F_GOTO;
	}
	memcpy(buf + head, e->body->data, e->body->len);
	*mask = g_malloc(size);
	memset(*mask, 0xff, head);
	memcpy(*mask + head, e->mask->data, e->mask->len);
	return buf;
}

/* ---- one family's commit ----------------------------------------------------------- */

typedef struct {
	char chain[XT_TABLE_MAXNAMELEN];
	bool add;
	bool is_chain;           /* IPT_OP_CHAIN: create or delete chain */
	unsigned int position;
	void *entry;
	unsigned char *mask;
} Prepared;

struct IptPrepared {
	int family;
	guint n;
	Prepared *ops;
};

IptPrepared *ipt_iptc_prepare(int family, GArray *ops)
{
	IptPrepared *p = g_new0(IptPrepared, 1);

	p->family = family;
	p->n = ops->len;
	p->ops = g_new0(Prepared, ops->len);
	for (guint i = 0; i < ops->len; i++) {
		const IptOp *op = &g_array_index(ops, IptOp, i);
		Prepared *q = &p->ops[i];
		Entry e;

		g_strlcpy(q->chain, op->chain, sizeof(q->chain));
		q->add = op->add;
		if (op->type == IPT_OP_CHAIN) {
			q->is_chain = true;
			continue;
		}
		build(op, &e);
		q->position = op->position;
		q->entry = entry_bytes(family, &e, &q->mask);
		g_byte_array_unref(e.body);
		g_byte_array_unref(e.mask);
	}
	return p;
}

void ipt_iptc_prepared_free(IptPrepared *p)
{
	for (guint i = 0; i < p->n; i++) {
		g_free(p->ops[i].entry);
		g_free(p->ops[i].mask);
	}
	g_free(p->ops);
	g_free(p);
}

/* libiptc and libc only from here on: this runs in a forked child */
static int commit_v4(const IptPrepared *p)
{
	struct xtc_handle *h = iptc_init("mangle");
	int ok = h != NULL;

	for (guint i = 0; ok && i < p->n; i++) {
		const Prepared *q = &p->ops[i];

		if (q->is_chain)
			ok = q->add ? iptc_create_chain(q->chain, h) : iptc_delete_chain(q->chain, h);
		else if (!q->add)
			ok = iptc_delete_entry(q->chain, q->entry, q->mask, h);
		else if (q->position)
			ok = iptc_insert_entry(q->chain, q->entry, q->position - 1, h);
		else
			ok = iptc_append_entry(q->chain, q->entry, h);
	}
	if (ok)
		ok = iptc_commit(h);
	if (h)
		iptc_free(h);
	return ok ? 0 : (errno ? errno : EIO);
}

static int commit_v6(const IptPrepared *p)
{
	struct xtc_handle *h = ip6tc_init("mangle");
	int ok = h != NULL;

	for (guint i = 0; ok && i < p->n; i++) {
		const Prepared *q = &p->ops[i];

		if (q->is_chain)
			ok = q->add ? ip6tc_create_chain(q->chain, h) : ip6tc_delete_chain(q->chain, h);
		else if (!q->add)
			ok = ip6tc_delete_entry(q->chain, q->entry, q->mask, h);
		else if (q->position)
			ok = ip6tc_insert_entry(q->chain, q->entry, q->position - 1, h);
		else
			ok = ip6tc_append_entry(q->chain, q->entry, h);
	}
	if (ok)
		ok = ip6tc_commit(h);
	if (h)
		ip6tc_free(h);
	return ok ? 0 : (errno ? errno : EIO);
}

int ipt_iptc_commit(const IptPrepared *p)
{
	int r = 0;

	/* another writer between our read and our commit makes the kernel
	 * refuse it (EAGAIN): read again */
	for (int attempt = 0; attempt < 3; attempt++) {
		errno = 0;
		r = p->family == AF_INET ? commit_v4(p) : commit_v6(p);
		if (r != EAGAIN)
			break;
	}
	return r;
}
