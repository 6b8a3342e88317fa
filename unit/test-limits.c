// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: what one local user can take from the others. The per-uid
 * session limit (SessionsPerUser, with root outside SessionsMax) and the
 * bounds on pushed statistics (per client, in total, and nothing more to a
 * client that does not read). nfconnd runs in a namespace of its own with
 * no uplinks: sessions and their statistics need none. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "session-driver.h"

/* Debian's "list" and "irc": uids with a passwd entry (the bus refuses
 * others) that own nothing */
#define UID_A 38
#define UID_B 39

typedef struct {
	NfcLab *lab;
	const char *host;
	GPid nfconnd;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *conf = NULL;
	g_autofree char *text = g_strdup_printf("[General]\nOnlineCheckMode=none\n%s\n",
						(const char *)data);
	g_autofree char *arg = NULL;
	g_autoptr(GError) error = NULL;

	f->lab = nfc_lab_new();
	f->host = nfc_lab_add_netns(f->lab, "host");
	conf = g_build_filename(nfc_lab_dir(f->lab), "main.conf", NULL);
	g_file_set_contents(conf, text, -1, &error);
	g_assert_no_error(error);
	arg = g_strdup_printf("--config=%s", conf);
	f->nfconnd = nfc_lab_start_nfconnd(f->lab, f->host, (const char *const[]){ arg, NULL });
}

static void teardown(Fixture *f, gconstpointer data)
{
	nfc_lab_free(f->lab);
}

static char *created_path(const char *line)
{
	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, "created "))
		g_error("expected created, got: %s", line);
	return g_strdup(line + strlen("created "));
}

/* "error net.connman.Error.Failed ..." naming the limit's key */
static void assert_refused(const char *line, const char *key)
{
	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, "error net.connman.Error.Failed ") || !strstr(line, key))
		g_error("expected a refusal naming %s, got: %s", key, line);
}

static void create_ok(SessionClient *c, const char *notifier, char **path)
{
	g_autofree char *line = session_client_do(c, "create %s", notifier);
	g_autofree char *p = created_path(line);

	if (path)
		*path = g_steal_pointer(&p);
}

/* SessionsPerUser=3, SessionsMax=5: a uid's sessions count over all its
 * connections; SessionsMax refuses the others once full, but not root,
 * who is held to SessionsPerUser like everyone. A destroyed session frees
 * its slot. */
static void test_per_user(Fixture *f, gconstpointer data)
{
	SessionClient *a = session_client_start(f->lab, "client-a", UID_A);
	SessionClient *a2 = session_client_start(f->lab, "client-a2", UID_A);
	SessionClient *b = session_client_start(f->lab, "client-b", UID_B);
	SessionClient *root = session_client_start(f->lab, "client-root", 0);
	g_autofree char *first = NULL;

	create_ok(a, "/a/s0", &first);
	create_ok(a, "/a/s1", NULL);
	create_ok(a, "/a/s2", NULL);
	{
		g_autofree char *over = session_client_do(a, "create /a/s3");
		/* another connection of the same uid: the same count */
		g_autofree char *over2 = session_client_do(a2, "create /a2/s0");

		assert_refused(over, "SessionsPerUser");
		g_assert_nonnull(strstr(over, "limit 3 per user"));
		assert_refused(over2, "SessionsPerUser");
	}
	/* uid 39 fills SessionsMax (3 + 2 = 5) */
	create_ok(b, "/b/s0", NULL);
	create_ok(b, "/b/s1", NULL);
	{
		g_autofree char *full = session_client_do(b, "create /b/s2");

		assert_refused(full, "SessionsMax");
	}
	/* root is not refused for that, only by its own SessionsPerUser */
	create_ok(root, "/r/s0", NULL);
	create_ok(root, "/r/s1", NULL);
	create_ok(root, "/r/s2", NULL);
	{
		g_autofree char *over = session_client_do(root, "create /r/s3");

		assert_refused(over, "SessionsPerUser");
	}
	/* one of uid 38's sessions goes: its slot is free again, for any of
	 * its connections */
	{
		g_autofree char *del = session_client_do(a, "call / net.connman.Manager DestroySession "
							 "(objectpath '%s',)", first);

		g_assert_cmpstr(del, ==, "ok ()");
	}
	create_ok(a2, "/a2/s1", NULL);
	{
		g_autofree char *over = session_client_do(a2, "create /a2/s2");

		assert_refused(over, "SessionsPerUser");
	}
	session_client_free(a);
	session_client_free(a2);
	session_client_free(b);
	session_client_free(root);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
#define ADD(path, fn, conf) g_test_add(path, Fixture, conf, setup, fn, teardown)
	ADD("/limits/per-user", test_per_user,
	    "SessionsPerUser=3\nSessionsMax=5\nSessionsPerClient=100");
	return g_test_run();
}
