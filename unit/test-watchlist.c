// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the watch list under the changes its watchers make while it
 * calls them (remove self, next, previous; add; nested notify; clear), ids
 * and destroy functions. Each test records who was called, in order. */
#include "watchlist.h"

typedef struct {
	void (*event)(int value, void *user_data);
	void (*bare)(void *user_data);
} TestWatch;

typedef struct Watcher Watcher;
typedef void (*Action)(Watcher *w);

typedef struct {
	NfcWatchList list;
	GString *log;
	Watcher *w[8];
	int nested;     /* notifies to start from inside one */
} Env;

struct Watcher {
	Env *env;
	char name;
	unsigned int id;
	int value;      /* last value heard */
	Action action;  /* what it does when called, once */
	Watcher *other;
	int destroyed;
};

static void on_event(int value, void *user_data);
static void on_bare(void *user_data);

static const TestWatch table = { .event = on_event, .bare = on_bare };
static const TestWatch only_bare = { .bare = on_bare };

static void heard(Watcher *w)
{
	Action a = w->action;

	g_string_append_c(w->env->log, w->name);
	w->action = NULL;
	if (a)
		a(w);
}

static void on_event(int value, void *user_data)
{
	Watcher *w = user_data;

	w->value = value;
	heard(w);
}

static void on_bare(void *user_data)
{
	heard(user_data);
}

static void on_destroy(void *user_data)
{
	Watcher *w = user_data;

	w->destroyed++;
}

static void notify(Env *env, int value)
{
	NFC_WATCH_LIST_NOTIFY(&env->list, TestWatch, event, value);
	g_string_append_c(env->log, '|');
}

static Watcher *add(Env *env, char name)
{
	Watcher *w = g_new0(Watcher, 1);

	w->env = env;
	w->name = name;
	w->id = nfc_watch_list_add(&env->list, &table, sizeof(table), w, on_destroy);
	g_assert_cmpuint(w->id, >, 0);
	env->w[name - 'A'] = w;
	return w;
}

static void setup(Env *env, const char *names)
{
	*env = (Env){ .log = g_string_new(NULL) };
	for (const char *n = names; *n; n++)
		add(env, *n);
}

static void teardown(Env *env)
{
	nfc_watch_list_clear(&env->list);
	g_assert_cmpuint(nfc_watch_list_count(&env->list), ==, 0);
	for (int i = 0; i < 8; i++) {
		if (env->w[i])
			g_assert_cmpint(env->w[i]->destroyed, ==, 1);
		g_free(env->w[i]);
	}
	g_string_free(env->log, TRUE);
}

static void remove_self(Watcher *w)
{
	g_assert_true(nfc_watch_list_remove(&w->env->list, w->id));
}

static void remove_other(Watcher *w)
{
	g_assert_true(nfc_watch_list_remove(&w->env->list, w->other->id));
}

static void test_basic(void)
{
	Env env;

	setup(&env, "ABC");
	notify(&env, 7);
	g_assert_cmpstr(env.log->str, ==, "ABC|");
	g_assert_cmpint(env.w[1]->value, ==, 7);
	g_assert_cmpuint(nfc_watch_list_count(&env.list), ==, 3);
	/* a table without the member is skipped */
	env.w[3] = g_new0(Watcher, 1);
	env.w[3]->env = &env;
	env.w[3]->name = 'D';
	env.w[3]->id = nfc_watch_list_add(&env.list, &only_bare, sizeof(only_bare), env.w[3],
					  on_destroy);
	notify(&env, 8);
	NFC_WATCH_LIST_NOTIFY_NO_ARGS(&env.list, TestWatch, bare);
	g_assert_cmpstr(env.log->str, ==, "ABC|ABC|ABCD");
	/* the table was copied: what find returns is the list's own */
	g_assert_true(nfc_watch_list_find(&env.list, env.w[0]->id, NULL) != (const void *)&table);
	teardown(&env);
}

static void test_remove_self(void)
{
	Env env;

	setup(&env, "ABC");
	env.w[1]->action = remove_self;
	notify(&env, 1);
	/* C is not skipped; B's data is released at once */
	g_assert_cmpstr(env.log->str, ==, "ABC|");
	g_assert_cmpint(env.w[1]->destroyed, ==, 1);
	notify(&env, 2);
	g_assert_cmpstr(env.log->str, ==, "ABC|AC|");
	g_assert_false(nfc_watch_list_remove(&env.list, env.w[1]->id));
	teardown(&env);
}

static void test_remove_next(void)
{
	Env env;

	setup(&env, "ABCD");
	env.w[0]->action = remove_other;
	env.w[0]->other = env.w[1];
	notify(&env, 1);
	/* removal takes effect at once: B is not called, even in this notify */
	g_assert_cmpstr(env.log->str, ==, "ACD|");
	g_assert_cmpint(env.w[1]->value, ==, 0);
	notify(&env, 2);
	g_assert_cmpstr(env.log->str, ==, "ACD|ACD|");
	teardown(&env);
}

static void test_remove_previous(void)
{
	Env env;

	setup(&env, "ABCD");
	env.w[2]->action = remove_other;
	env.w[2]->other = env.w[0];
	notify(&env, 1);
	/* A was called already; D, after the remover, is not skipped */
	g_assert_cmpstr(env.log->str, ==, "ABCD|");
	notify(&env, 2);
	g_assert_cmpstr(env.log->str, ==, "ABCD|BCD|");
	teardown(&env);
}

static void add_e(Watcher *w)
{
	add(w->env, 'E');
}

static void test_add_during_notify(void)
{
	Env env;

	setup(&env, "ABC");
	env.w[1]->action = add_e;
	notify(&env, 1);
	/* E did not exist when the event happened */
	g_assert_cmpstr(env.log->str, ==, "ABC|");
	g_assert_nonnull(env.w[4]);
	notify(&env, 2);
	g_assert_cmpstr(env.log->str, ==, "ABC|ABCE|");
	g_assert_cmpint(env.w[4]->value, ==, 2);
	teardown(&env);
}

static void notify_again(Watcher *w)
{
	g_string_append_c(w->env->log, '(');
	notify(w->env, 99);
	g_string_append_c(w->env->log, ')');
}

static void test_nested(void)
{
	Env env;

	setup(&env, "ABCD");
	/* A's event causes another; in the inner one B removes C, and the
	 * outer one, still running, must not call C either */
	env.w[0]->action = notify_again;
	env.w[1]->action = remove_other;
	env.w[1]->other = env.w[2];
	notify(&env, 1);
	g_assert_cmpstr(env.log->str, ==, "A(ABD|)BD|");
	g_assert_cmpint(env.w[2]->destroyed, ==, 1);
	g_assert_cmpuint(nfc_watch_list_count(&env.list), ==, 3);
	notify(&env, 2);
	g_assert_cmpstr(env.log->str, ==, "A(ABD|)BD|ABD|");
	teardown(&env);
}

static void remove_all_and_self_again(Watcher *w)
{
	nfc_watch_list_clear(&w->env->list);
	g_assert_false(nfc_watch_list_remove(&w->env->list, w->id));
}

static void test_clear_during_notify(void)
{
	Env env;

	setup(&env, "ABC");
	env.w[1]->action = remove_all_and_self_again;
	notify(&env, 1);
	g_assert_cmpstr(env.log->str, ==, "AB|");
	for (int i = 0; i < 3; i++)
		g_assert_cmpint(env.w[i]->destroyed, ==, 1);
	notify(&env, 2);
	g_assert_cmpstr(env.log->str, ==, "AB||");
	/* the list works on */
	add(&env, 'D');
	notify(&env, 3);
	g_assert_cmpstr(env.log->str, ==, "AB||D|");
	teardown(&env);
}

static void test_ids(void)
{
	NfcWatchList list = { 0 };
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	unsigned int last = 0;

	for (int i = 0; i < 1000; i++) {
		unsigned int id = nfc_watch_list_add(&list, &table, sizeof(table), NULL, NULL);

		g_assert_cmpuint(id, >, last);
		g_assert_false(g_hash_table_contains(seen, GUINT_TO_POINTER(id)));
		g_hash_table_add(seen, GUINT_TO_POINTER(id));
		last = id;
		/* every other one goes: a freed slot must not give its id back */
		if (i % 2)
			g_assert_true(nfc_watch_list_remove(&list, id));
	}
	nfc_watch_list_clear(&list);
	g_assert_cmpuint(nfc_watch_list_add(&list, &table, sizeof(table), NULL, NULL), >, last);
	/* 0 is never an id, and removing it or a stranger is refused */
	g_assert_false(nfc_watch_list_remove(&list, 0));
	g_assert_false(nfc_watch_list_remove(&list, last + 100));
	g_assert_null(nfc_watch_list_find(&list, 0, NULL));
	nfc_watch_list_clear(&list);
	g_assert_null(list.items);
}

static void test_destroy_once(void)
{
	Env env;
	void *data = NULL;

	setup(&env, "ABC");
	g_assert_true(nfc_watch_list_find(&env.list, env.w[0]->id, &data) != NULL);
	g_assert_true(data == env.w[0]);
	g_assert_true(nfc_watch_list_remove(&env.list, env.w[0]->id));
	g_assert_cmpint(env.w[0]->destroyed, ==, 1);
	g_assert_null(nfc_watch_list_find(&env.list, env.w[0]->id, NULL));
	/* a second remove, and the clear, leave it alone */
	g_assert_false(nfc_watch_list_remove(&env.list, env.w[0]->id));
	g_assert_cmpint(env.w[0]->destroyed, ==, 1);
	g_assert_cmpint(env.w[1]->destroyed, ==, 0);
	teardown(&env); /* asserts each destroyed exactly once */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/watchlist/basic", test_basic);
	g_test_add_func("/watchlist/remove-self", test_remove_self);
	g_test_add_func("/watchlist/remove-next", test_remove_next);
	g_test_add_func("/watchlist/remove-previous", test_remove_previous);
	g_test_add_func("/watchlist/add-during-notify", test_add_during_notify);
	g_test_add_func("/watchlist/nested", test_nested);
	g_test_add_func("/watchlist/clear-during-notify", test_clear_during_notify);
	g_test_add_func("/watchlist/ids", test_ids);
	g_test_add_func("/watchlist/destroy-once", test_destroy_once);
	return g_test_run();
}
