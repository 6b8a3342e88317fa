// SPDX-License-Identifier: GPL-2.0-or-later
/* Identities: which sockets a steered session's mark goes on (the
 * choice), and the map elements that carry them, shared by every session
 * of one identity. */
#include "internal.h"

#include <string.h>

/* ---- the choice ---------------------------------------------------------------- */

bool engine_cgroup_is_private(const char *cgroup, const EngineHost *host)
{
	g_auto(GStrv) parts = NULL;
	guint depth = 0;

	if (!cgroup || cgroup[0] != '/')
		return false;
	parts = g_strsplit(cgroup, "/", -1);
	for (char **p = parts; *p; p++) {
		/* "/../x": outside our cgroup namespace, not ours to name */
		if (g_str_equal(*p, ".."))
			return false;
		if (**p)
			depth++;
	}
	/* "/" is everybody; right below it are init.scope and the slices
	 * that hold all system services, all users, all machines */
	if (depth < 2)
		return false;
	/* ours: steering it would steer nfconnd's own traffic */
	if (host->cgroup && g_str_equal(cgroup, host->cgroup))
		return false;
	/* a slice (user-1000.slice) groups the cgroups below it; an
	 * application's service or scope has none */
	return host->has_children && host->has_children(cgroup, host->data) == 0;
}

static guint cgroup_depth(const char *cgroup)
{
	guint depth = 0;

	for (const char *p = cgroup; p && *p; p++)
		if (*p != '/' && (p == cgroup || p[-1] == '/'))
			depth++;
	return depth;
}

bool engine_identity_precedes(const EngineIdentity *a, const EngineIdentity *b)
{
	if (a->kind == NFC_IDENTITY_CGROUP)
		return b->kind != NFC_IDENTITY_CGROUP ||
		       cgroup_depth(a->cgroup) > cgroup_depth(b->cgroup);
	return a->kind == NFC_IDENTITY_UID && b->kind == NFC_IDENTITY_GID;
}

/* The narrowest thing the kernel matches that holds only the creator's
 * sockets: its private cgroup (one application under systemd), else its
 * uid (every process of the user), unless that is ours: that would steer
 * nfconnd's own traffic (online checks, DNS) and every daemon of that
 * uid, so nothing is chosen. */
static void own_identity(const NfcIdentity *who, const EngineHost *host, EngineIdentity *out)
{
	if (engine_cgroup_is_private(who->cgroup, host)) {
		out->set = true;
		out->kind = NFC_IDENTITY_CGROUP;
		out->cgroup = g_strdup(who->cgroup);
	} else if (who->uid != host->uid) {
		out->set = true;
		out->kind = NFC_IDENTITY_UID;
		out->id = who->uid;
	}
}

void engine_identity_choose(const NfcPolicyConfig *policy, const NfcIdentity *who,
			    const EngineHost *host, EngineIdentity *member,
			    EngineIdentity *shared)
{
	memset(member, 0, sizeof(*member));
	memset(shared, 0, sizeof(*shared));
	if (!policy) {
		/* No policy, yet the session pinned an interface or asked for
		 * a source rule: steer the creator itself. */
		member->own = true;
		own_identity(who, host, member);
		return;
	}
	switch (policy->match) {
	case NFC_POLICY_MATCH_GID:
		shared->set = true;
		shared->kind = NFC_IDENTITY_GID;
		/* the group the policy named (primary or supplementary):
		 * the creator's primary group may hold people the policy
		 * never meant */
		shared->id = policy->gid;
		own_identity(who, host, member);
		if (member->set && !engine_identity_precedes(member, shared))
			engine_identity_clear(member);
		return;
	case NFC_POLICY_MATCH_CGROUP:
	case NFC_POLICY_MATCH_LABEL:
		/* nftables cannot match a security label: the process's
		 * cgroup is the closest thing the kernel can match on */
		if (!who->cgroup)
			break;
		if (engine_cgroup_is_private(who->cgroup, host)) {
			member->set = true;
			member->kind = NFC_IDENTITY_CGROUP;
			member->cgroup = g_strdup(who->cgroup);
			return;
		}
		/* a slice, a top-level cgroup, "/", ours: others' sockets
		 * match it too. The creator sits in it, so neither its uid nor
		 * a cgroup of its own would be looked up first: no member. */
		shared->set = true;
		shared->kind = NFC_IDENTITY_CGROUP;
		shared->cgroup = g_strdup(who->cgroup);
		return;
	case NFC_POLICY_MATCH_UID:
	case NFC_POLICY_MATCH_NONE:
		break;
	}
	/* the uid the administrator named (or the creator's, for a cgroup
	 * or label policy without a known cgroup): only its own sockets,
	 * even if it is ours */
	member->set = true;
	member->kind = NFC_IDENTITY_UID;
	member->id = who->uid;
}

void engine_identity_copy(EngineIdentity *dst, const EngineIdentity *src)
{
	*dst = *src;
	dst->cgroup = g_strdup(src->cgroup);
}

void engine_identity_clear(EngineIdentity *id)
{
	g_free(id->cgroup);
	memset(id, 0, sizeof(*id));
}

/* ---- the map elements ------------------------------------------------------------ */

char *engine_identity_key(const EngineIdentity *who)
{
	switch (who->kind) {
	case NFC_IDENTITY_UID:
		return g_strdup_printf("uid %u", who->id);
	case NFC_IDENTITY_GID:
		return g_strdup_printf("gid %u", who->id);
	case NFC_IDENTITY_CGROUP:
		break;
	}
	return g_strdup_printf("cgroup %s", who->cgroup);
}

static gint cmp_sid(gconstpointer a, gconstpointer b, gpointer data)
{
	guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

	return x < y ? -1 : x > y;
}

static void element_free(EngineElement *el)
{
	g_tree_unref(el->members);
	g_free(el->key);
	g_free(el->cgroup_path);
	g_free(el);
}

void engine_identities_init(EngineIdentities *ids, const char *cgroup_root)
{
	ids->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)element_free);
	g_queue_init(&ids->dirty);
	ids->cgroup_root = g_strdup(cgroup_root);
}

void engine_identities_clear(EngineIdentities *ids)
{
	g_queue_clear(&ids->dirty);
	g_clear_pointer(&ids->by_key, g_hash_table_unref);
	g_clear_pointer(&ids->cgroup_root, g_free);
}

static void queue_dirty(EngineIdentities *ids, EngineElement *el)
{
	if (el->queued)
		return;
	el->queued = true;
	el->queued_at = g_get_monotonic_time();
	g_queue_push_tail(&ids->dirty, el);
}

EngineElement *engine_identities_join(EngineIdentities *ids, const EngineIdentity *who,
				      uint32_t sid, uint32_t mark)
{
	g_autofree char *key = engine_identity_key(who);
	EngineElement *el = g_hash_table_lookup(ids->by_key, key);

	if (!el) {
		el = g_new0(EngineElement, 1);
		el->key = g_steal_pointer(&key);
		el->id.kind = who->kind;
		el->id.id = who->id;
		if (who->kind == NFC_IDENTITY_CGROUP) {
			el->cgroup_path = g_build_filename(ids->cgroup_root, who->cgroup, NULL);
			el->id.cgroup_path = el->cgroup_path;
		}
		el->members = g_tree_new_full(cmp_sid, NULL, NULL, NULL);
		g_hash_table_insert(ids->by_key, el->key, el);
	}
	g_tree_replace(el->members, GUINT_TO_POINTER(sid), GUINT_TO_POINTER(mark));
	queue_dirty(ids, el);
	return el;
}

void engine_identities_leave(EngineIdentities *ids, EngineElement *el, uint32_t sid)
{
	g_tree_remove(el->members, GUINT_TO_POINTER(sid));
	queue_dirty(ids, el);
}

EngineElement *engine_identities_pop_dirty(EngineIdentities *ids)
{
	EngineElement *el = g_queue_pop_head(&ids->dirty);

	if (el)
		el->queued = false;
	return el;
}

uint32_t engine_element_owner_mark(const EngineElement *el)
{
	GTreeNode *first = g_tree_node_first(el->members);

	return first ? GPOINTER_TO_UINT(g_tree_node_value(first)) : 0;
}

void engine_identities_settled(EngineIdentities *ids, EngineElement *el, uint32_t mark)
{
	el->installed = mark;
	if (!mark && !el->queued && g_tree_nnodes(el->members) == 0)
		g_hash_table_remove(ids->by_key, el->key);
}
