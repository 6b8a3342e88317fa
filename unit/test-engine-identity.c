// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: whose sockets a session's mark goes on (with a policy, and
 * the creator's own identity without one; a shared identity and the
 * member identity that precedes it), and the map elements shared by the
 * sessions of one identity (the lowest session id owns it). */
#include <errno.h>

#include "internal.h"

#define DAEMON_UID 0
#define DAEMON_CGROUP "/system.slice/nfconnd.service"

/* The cgroup tree of a systemd host, as far as the choice looks at it. */
static int fake_children(const char *cgroup, void *data)
{
	static const char *const parents[] = {
		"/", "/system.slice", "/user.slice", "/user.slice/user-2001.slice",
		"/user.slice/user-2001.slice/user@2001.service",
		"/user.slice/user-2001.slice/user@2001.service/app.slice",
	};
	static const char *const leaves[] = {
		"/init.scope", DAEMON_CGROUP, "/system.slice/backup.service",
		"/user.slice/user-2001.slice/session-3.scope",
		"/user.slice/user-2001.slice/user@2001.service/app.slice/app-org.example.Browser-1.scope",
	};

	for (guint i = 0; i < G_N_ELEMENTS(parents); i++)
		if (g_str_equal(cgroup, parents[i]))
			return 1;
	for (guint i = 0; i < G_N_ELEMENTS(leaves); i++)
		if (g_str_equal(cgroup, leaves[i]))
			return 0;
	return -ENOENT;
}

static const EngineHost host = {
	.uid = DAEMON_UID,
	.cgroup = DAEMON_CGROUP,
	.has_children = fake_children,
};

/* The member identity (the only one but for gid and shared cgroups:
 * the shared one must then be unset) */
static void choose(const NfcPolicyConfig *p, uid_t uid, const char *cgroup, EngineIdentity *out)
{
	NfcIdentity who = { .uid = uid, .gid = uid + 100, .cgroup = (char *)cgroup };
	EngineIdentity shared;

	engine_identity_choose(p, &who, &host, out, &shared);
	g_assert_false(shared.set);
	g_assert_null(shared.cgroup);
}

static void choose2(const NfcPolicyConfig *p, uid_t uid, const char *cgroup,
		    EngineIdentity *member, EngineIdentity *shared)
{
	NfcIdentity who = { .uid = uid, .gid = uid + 100, .cgroup = (char *)cgroup };

	engine_identity_choose(p, &who, &host, member, shared);
}

static void assert_uid(const EngineIdentity *id, uint32_t uid, bool own)
{
	g_assert_true(id->set);
	g_assert_cmpint(id->kind, ==, NFC_IDENTITY_UID);
	g_assert_cmpuint(id->id, ==, uid);
	g_assert_cmpint(id->own, ==, own);
	g_assert_null(id->cgroup);
}

static void assert_cgroup(const EngineIdentity *id, const char *cgroup, bool own)
{
	g_assert_true(id->set);
	g_assert_cmpint(id->kind, ==, NFC_IDENTITY_CGROUP);
	g_assert_cmpstr(id->cgroup, ==, cgroup);
	g_assert_cmpint(id->own, ==, own);
}

static void test_with_policy(void)
{
	NfcPolicyConfig p = { .match = NFC_POLICY_MATCH_UID };
	EngineIdentity id;
	const char *app = "/system.slice/backup.service";

	choose(&p, 2001, app, &id);
	assert_uid(&id, 2001, false);
	engine_identity_clear(&id);
	/* what the administrator wrote goes, even our own uid */
	choose(&p, DAEMON_UID, DAEMON_CGROUP, &id);
	assert_uid(&id, DAEMON_UID, false);
	engine_identity_clear(&id);

	/* a cgroup or label policy steers the creator's private cgroup */
	p.match = NFC_POLICY_MATCH_CGROUP;
	choose(&p, 2001, app, &id);
	assert_cgroup(&id, app, false);
	engine_identity_clear(&id);
	p.match = NFC_POLICY_MATCH_LABEL;
	choose(&p, 2001, app, &id);
	assert_cgroup(&id, app, false);
	engine_identity_clear(&id);
	/* ... or its uid when its cgroup is unknown */
	choose(&p, 2001, NULL, &id);
	assert_uid(&id, 2001, false);
	engine_identity_clear(&id);
}

/* Identities that others' sockets match too: steered by the policy
 * alone, with the creator's own identity, looked up first, beside. */
static void test_shared(void)
{
	NfcPolicyConfig p = { .match = NFC_POLICY_MATCH_GID, .gid = 2101 };
	const char *app = "/system.slice/backup.service";
	EngineIdentity member, shared;

	/* a gid: the member is the creator's private cgroup ... */
	choose2(&p, 2001, app, &member, &shared);
	g_assert_true(shared.set && !shared.own);
	g_assert_cmpint(shared.kind, ==, NFC_IDENTITY_GID);
	g_assert_cmpuint(shared.id, ==, 2101);
	engine_identity_clear(&member);
	engine_identity_clear(&shared);
	/* the group the policy named, a supplementary one here, not the
	 * creator's primary group (2101) */
	p.gid = 4321;
	choose2(&p, 2001, app, &member, &shared);
	g_assert_cmpint(shared.kind, ==, NFC_IDENTITY_GID);
	g_assert_cmpuint(shared.id, ==, 4321);
	assert_cgroup(&member, app, false);
	g_assert_true(engine_identity_precedes(&member, &shared));
	engine_identity_clear(&member);
	engine_identity_clear(&shared);
	/* ... else its uid ... */
	choose2(&p, 2001, "/user.slice/user-2001.slice", &member, &shared);
	g_assert_cmpint(shared.kind, ==, NFC_IDENTITY_GID);
	assert_uid(&member, 2001, false);
	g_assert_true(engine_identity_precedes(&member, &shared));
	engine_identity_clear(&member);
	engine_identity_clear(&shared);
	/* ... never ours: no member, the policy alone */
	p.gid = DAEMON_UID + 100;
	choose2(&p, DAEMON_UID, DAEMON_CGROUP, &member, &shared);
	g_assert_true(shared.set);
	g_assert_cmpint(shared.kind, ==, NFC_IDENTITY_GID);
	g_assert_cmpuint(shared.id, ==, DAEMON_UID + 100);
	g_assert_false(member.set);
	engine_identity_clear(&shared);
	/* with a private cgroup even our uid has a member */
	choose2(&p, DAEMON_UID, app, &member, &shared);
	assert_cgroup(&member, app, false);
	engine_identity_clear(&member);
	engine_identity_clear(&shared);

	/* a cgroup policy for a creator in a cgroup that holds others ("/",
	 * a slice, a top-level one, nfconnd's): shared, and no member, since
	 * the creator's sockets are in that very cgroup */
	static const char *const not_private[] = {
		"/", "/user.slice", "/init.scope", "/user.slice/user-2001.slice", DAEMON_CGROUP,
	};
	for (guint i = 0; i < G_N_ELEMENTS(not_private); i++) {
		for (int m = NFC_POLICY_MATCH_LABEL; m <= NFC_POLICY_MATCH_CGROUP; m++) {
			p.match = m;
			choose2(&p, 2001, not_private[i], &member, &shared);
			g_assert_false(member.set);
			assert_cgroup(&shared, not_private[i], false);
			engine_identity_clear(&shared);
		}
	}
}

/* The order the firewall looks identities up in: deeper cgroups, then
 * uid, then gid; a member identity is only useful before its shared one. */
static void test_precedence(void)
{
	EngineIdentity root = { .set = true, .kind = NFC_IDENTITY_CGROUP, .cgroup = (char *)"/" };
	EngineIdentity slice = { .set = true, .kind = NFC_IDENTITY_CGROUP,
				 .cgroup = (char *)"/user.slice" };
	EngineIdentity leaf = { .set = true, .kind = NFC_IDENTITY_CGROUP,
				.cgroup = (char *)"/user.slice/user-1.slice/app.scope" };
	EngineIdentity leaf2 = { .set = true, .kind = NFC_IDENTITY_CGROUP,
				 .cgroup = (char *)"//a//b/c/" };
	EngineIdentity uid = { .set = true, .kind = NFC_IDENTITY_UID, .id = 1 };
	EngineIdentity gid = { .set = true, .kind = NFC_IDENTITY_GID, .id = 1 };
	const EngineIdentity *order[] = { &leaf, &slice, &root, &uid, &gid };

	for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
		for (guint j = 0; j < G_N_ELEMENTS(order); j++) {
			g_test_message("%u before %u", i, j);
			g_assert_cmpint(engine_identity_precedes(order[i], order[j]), ==, i < j);
		}
	}
	/* the same depth: neither comes first (empty path parts do not count) */
	g_assert_false(engine_identity_precedes(&leaf, &leaf2));
	g_assert_false(engine_identity_precedes(&leaf2, &leaf));
	g_assert_true(engine_identity_precedes(&leaf2, &slice));
}

static void test_own(void)
{
	static const char *const by_cgroup[] = {
		"/system.slice/backup.service",
		"/user.slice/user-2001.slice/session-3.scope",
		"/user.slice/user-2001.slice/user@2001.service/app.slice/app-org.example.Browser-1.scope",
	};
	static const char *const by_uid[] = {
		NULL,                                  /* unknown */
		"",                                    /* not a path */
		"/",                                   /* everybody */
		"/init.scope",                         /* top level: host-wide */
		"/user.slice",
		"/user.slice/user-2001.slice",         /* has child cgroups */
		DAEMON_CGROUP,                         /* nfconnd's own */
		"/system.slice/gone.service",          /* cannot be read */
		"/../../elsewhere/app.scope",          /* outside our namespace */
	};
	EngineIdentity id;

	for (guint i = 0; i < G_N_ELEMENTS(by_cgroup); i++) {
		g_test_message("%s", by_cgroup[i]);
		g_assert_true(engine_cgroup_is_private(by_cgroup[i], &host));
		choose(NULL, 2001, by_cgroup[i], &id);
		assert_cgroup(&id, by_cgroup[i], true);
		engine_identity_clear(&id);
		/* the creator's uid does not matter with a cgroup of its own */
		choose(NULL, DAEMON_UID, by_cgroup[i], &id);
		assert_cgroup(&id, by_cgroup[i], true);
		engine_identity_clear(&id);
	}
	for (guint i = 0; i < G_N_ELEMENTS(by_uid); i++) {
		g_test_message("%s", by_uid[i] ? by_uid[i] : "(null)");
		g_assert_false(engine_cgroup_is_private(by_uid[i], &host));
		choose(NULL, 2001, by_uid[i], &id);
		assert_uid(&id, 2001, true);
		engine_identity_clear(&id);
		/* our own uid would steer nfconnd itself: nothing */
		choose(NULL, DAEMON_UID, by_uid[i], &id);
		g_assert_false(id.set);
		g_assert_true(id.own);
		engine_identity_clear(&id);
	}
	/* without a way to look at the tree, no cgroup is private */
	{
		EngineHost blind = host;

		blind.has_children = NULL;
		g_assert_false(engine_cgroup_is_private(by_cgroup[0], &blind));
	}
	/* copies own their path */
	{
		EngineIdentity copy;

		choose(NULL, 2001, by_cgroup[0], &id);
		engine_identity_copy(&copy, &id);
		engine_identity_clear(&id);
		assert_cgroup(&copy, by_cgroup[0], true);
		engine_identity_clear(&copy);
	}
}

static void test_elements(void)
{
	EngineIdentities ids;
	EngineIdentity uid = { .set = true, .own = true, .kind = NFC_IDENTITY_UID, .id = 2001 };
	EngineIdentity cg = { .set = true, .kind = NFC_IDENTITY_CGROUP, .cgroup = (char *)"/a/b" };
	EngineElement *el, *el2, *other;

	engine_identities_init(&ids, "/sys/fs/cgroup");
	/* two creators of one uid (no cgroups): one element, the lowest
	 * session id owns it, whoever came first */
	el = engine_identities_join(&ids, &uid, 7, 0x0e000700);
	el2 = engine_identities_join(&ids, &uid, 3, 0x04000300);
	g_assert_true(el == el2);
	g_assert_cmpstr(el->key, ==, "uid 2001");
	g_assert_cmpint(el->id.kind, ==, NFC_IDENTITY_UID);
	g_assert_cmpuint(el->id.id, ==, 2001);
	g_assert_cmphex(engine_element_owner_mark(el), ==, 0x04000300);
	other = engine_identities_join(&ids, &cg, 5, 0x02000500);
	g_assert_cmpstr(other->key, ==, "cgroup /a/b");
	g_assert_cmpstr(other->id.cgroup_path, ==, "/sys/fs/cgroup/a/b");

	/* each changed element is settled once, in the order of change */
	g_assert_true(engine_identities_pop_dirty(&ids) == el);
	g_assert_true(engine_identities_pop_dirty(&ids) == other);
	g_assert_null(engine_identities_pop_dirty(&ids));
	engine_identities_settled(&ids, el, engine_element_owner_mark(el));
	engine_identities_settled(&ids, other, engine_element_owner_mark(other));
	g_assert_cmphex(el->installed, ==, 0x04000300);

	/* the owner leaves: the next lowest takes over */
	engine_identities_leave(&ids, el, 3);
	g_assert_true(engine_identities_pop_dirty(&ids) == el);
	g_assert_cmphex(engine_element_owner_mark(el), ==, 0x0e000700);
	engine_identities_settled(&ids, el, 0x0e000700);
	/* a member's mark changes (its class moved) */
	engine_identities_join(&ids, &uid, 7, 0x10000700);
	g_assert_true(engine_identities_pop_dirty(&ids) == el);
	g_assert_cmphex(engine_element_owner_mark(el), ==, 0x10000700);

	/* the last one leaves: no owner, and the element goes once settled */
	engine_identities_leave(&ids, el, 7);
	g_assert_true(engine_identities_pop_dirty(&ids) == el);
	g_assert_cmphex(engine_element_owner_mark(el), ==, 0);
	engine_identities_settled(&ids, el, 0);
	g_assert_false(g_hash_table_contains(ids.by_key, "uid 2001"));
	g_assert_true(g_hash_table_contains(ids.by_key, "cgroup /a/b"));

	/* left and joined again before the flip: the element stays */
	engine_identities_leave(&ids, other, 5);
	engine_identities_join(&ids, &cg, 6, 0x02000600);
	g_assert_true(engine_identities_pop_dirty(&ids) == other);
	g_assert_null(engine_identities_pop_dirty(&ids));
	g_assert_cmphex(engine_element_owner_mark(other), ==, 0x02000600);
	engine_identities_clear(&ids);
	g_assert_null(ids.by_key);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/engine/identity/with-policy", test_with_policy);
	g_test_add_func("/engine/identity/own", test_own);
	g_test_add_func("/engine/identity/shared", test_shared);
	g_test_add_func("/engine/identity/precedence", test_precedence);
	g_test_add_func("/engine/identity/elements", test_elements);
	return g_test_run();
}
