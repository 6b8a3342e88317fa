// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: whose sockets a session's mark goes on (with a policy, and
 * the creator's own identity without one), and the map elements shared
 * by the sessions of one identity (the lowest session id owns it). */
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

static void choose(const NfcPolicyConfig *p, uid_t uid, const char *cgroup, EngineIdentity *out)
{
	NfcIdentity who = { .uid = uid, .gid = uid + 100, .cgroup = (char *)cgroup };

	engine_identity_choose(p, &who, &host, out);
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
	NfcPolicyConfig p = { .match = NFC_POLICY_MATCH_GID };
	EngineIdentity id;
	const char *app = "/system.slice/backup.service";

	choose(&p, 2001, app, &id);
	g_assert_true(id.set && !id.own);
	g_assert_cmpint(id.kind, ==, NFC_IDENTITY_GID);
	g_assert_cmpuint(id.id, ==, 2101);
	engine_identity_clear(&id);

	p.match = NFC_POLICY_MATCH_UID;
	choose(&p, 2001, app, &id);
	assert_uid(&id, 2001, false);
	engine_identity_clear(&id);
	/* what the administrator wrote goes, even our own uid */
	choose(&p, DAEMON_UID, DAEMON_CGROUP, &id);
	assert_uid(&id, DAEMON_UID, false);
	engine_identity_clear(&id);

	/* a cgroup or label policy steers the creator's cgroup, whatever it is */
	p.match = NFC_POLICY_MATCH_CGROUP;
	choose(&p, 2001, "/", &id);
	assert_cgroup(&id, "/", false);
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
	g_test_add_func("/engine/identity/elements", test_elements);
	return g_test_run();
}
