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
	/* it stops cleanly after what the test did (and, built with the
	 * sanitizers, without a leak or an error report, which abort) */
	int status = nfc_lab_stop(f->lab, f->nfconnd, SIGTERM, 10000, NULL);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_autofree char *log = nfc_lab_log(f->lab, "nfconnd");

		g_error("nfconnd stopped with status 0x%x: %s", status,
			log && strlen(log) > 4000 ? log + strlen(log) - 4000 : log);
	}
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

/* unit/stats-flooder as uid, with n sessions pushed every second; driven
 * through the session-client driver (the same line protocol) */
static SessionClient *flooder_start(Fixture *f, const char *name, unsigned int uid, guint n)
{
	SessionClient *c = g_new0(SessionClient, 1);
	g_autofree char *ruid = g_strdup_printf("--reuid=%u", uid);
	g_autofree char *rgid = g_strdup_printf("--regid=%u", uid);
	g_autofree char *count = g_strdup_printf("%u", n);
	const char *argv[] = { "setpriv", ruid, rgid, "--clear-groups",
			       NFC_BUILD_ROOT "/unit/stats-flooder", nfc_lab_bus_address(f->lab),
			       count, "1", NULL };
	char *line;

	c->lab = f->lab;
	c->name = g_strdup(name);
	c->buf = g_string_new(NULL);
	g_queue_init(&c->lines);
	nfc_lab_sh(f->lab, NULL, "chmod 755 %s", nfc_lab_dir(f->lab));
	c->pid = nfc_lab_spawn_pipes(f->lab, NULL, name, argv, &c->in, &c->out);
	line = session_client_expect(c, "ready ", 60000);
	if (!line) {
		g_autofree char *log = nfc_lab_log(f->lab, name);

		g_error("%s did not start: %s", name, log);
	}
	c->unique_name = g_strdup(line + strlen("ready "));
	g_free(line);
	return c;
}

static guint64 field(const char *line, const char *key)
{
	const char *at = line ? strstr(line, key) : NULL;

	if (!at)
		g_error("no %s in: %s", key, line ? line : "(no line)");
	return g_ascii_strtoull(at + strlen(key), NULL, 10);
}

static guint64 rss_kib(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *at;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	at = strstr(text, "VmRSS:");
	g_assert_nonnull(at);
	return g_ascii_strtoull(at + strlen("VmRSS:"), NULL, 10);
}

typedef struct {
	SessionClient *flooder;
	guint64 had;
} Pushed;

/* has the flooder received more Stats than it had? */
static gboolean pushed_more(gpointer data)
{
	Pushed *w = data;
	g_autofree char *line = NULL;

	session_client_send(w->flooder, "count");
	line = session_client_expect(w->flooder, "count ", 5000);
	return field(line, "stats=") > w->had;
}

/* A client asks Stats every second on 600 sessions and stops reading: the
 * daemon pushes it one slice's share (64: NFC_STATS_PUSH_PER_CLIENT in four
 * slices a second) and then a Ping, and nothing more while the Ping is unanswered; meanwhile
 * another client's pushes and everyone's calls go on. Once it reads again
 * it gets its pushes again. */
static void test_stats_stalled(Fixture *f, gconstpointer data)
{
	SessionClient *b = session_client_start(f->lab, "client-b", UID_B);
	SessionClient *fl = NULL;
	g_autofree char *path = NULL;
	g_autofree char *stopped = NULL, *backlog = NULL, *c1 = NULL;
	guint64 rss_before, rss_stalled;

	create_ok(b, "/b/s0", &path);
	{
		g_autofree char *ok = session_client_do(b, "call %s net.nfconn.SessionStats SetPeriod "
							"(uint32 1,)", path);

		g_assert_cmpstr(ok, ==, "ok ()");
	}
	fl = flooder_start(f, "flooder", UID_A, 600);
	rss_before = rss_kib(f->nfconnd);
	session_client_send(fl, "stop");
	stopped = session_client_expect(fl, "stopped", 5000);
	g_assert_nonnull(stopped);
	/* five of B's periods pass with the flooder not reading: B gets each
	 * push, and a call from a third party is answered quickly */
	for (int i = 0; i < 5; i++) {
		g_autofree char *st = session_client_expect(b, "stats ", 5000);
		g_autoptr(GError) error = NULL;
		gint64 t0 = g_get_monotonic_time();
		g_autoptr(GVariant) props = nfc_lab_call(f->lab, "/", "net.connman.Manager",
							 "GetProperties", NULL, &error);

		g_assert_nonnull(st);
		g_assert_nonnull(strstr(st, path));
		g_assert_no_error(error);
		g_assert_cmpint(g_get_monotonic_time() - t0, <, 1000 * 1000);
	}
	rss_stalled = rss_kib(f->nfconnd);
	/* what was queued for it: one slice and the Ping after it; without
	 * the bound 600 a second would wait there (3,000 by now) */
	session_client_send(fl, "read");
	backlog = session_client_expect(fl, "backlog ", 20000);
	g_assert_nonnull(backlog);
	g_test_message("flooder: %s; nfconnd RSS %" G_GUINT64_FORMAT " KiB before, %"
		       G_GUINT64_FORMAT " KiB stalled", backlog, rss_before, rss_stalled);
	g_assert_cmpuint(field(backlog, "ping="), ==, 1);
	g_assert_cmpuint(field(backlog, "stats="), >, 0);
	g_assert_cmpuint(field(backlog, "stats="), <=, 64);
	/* a generous bound: the daemon keeps nothing for a client that does
	 * not read */
	g_assert_cmpuint(rss_stalled, <, rss_before + 16 * 1024);
	/* reading again, it is pushed again */
	session_client_send(fl, "count");
	c1 = session_client_expect(fl, "count ", 5000);
	{
		Pushed w = { fl, field(c1, "stats=") };

		g_assert_true(nfc_lab_wait_for(pushed_more, &w, 20000));
	}
	session_client_free(fl);
	session_client_free(b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
#define ADD(path, fn, conf) g_test_add(path, Fixture, conf, setup, fn, teardown)
	ADD("/limits/per-user", test_per_user,
	    "SessionsPerUser=3\nSessionsMax=5\nSessionsPerClient=100");
	ADD("/limits/stats-stalled", test_stats_stalled, "SessionsPerClient=1000");
	return g_test_run();
}
