// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: an unprivileged user sends nfconnd message bodies that
 * dbus-daemon forwards but GLib 2.74 cannot decode (issue #11 §1; the
 * decoder's bug is described in src/bus-guard.h). Every such call must get
 * an error, and nfconnd must keep serving everyone else with nothing lost:
 * another user's session, its steering in the kernel, the Manager's state.
 * The sender is busctl (sd-bus marshals like dbus-daemon checks) run as
 * uid 38 through the lab's bus with nfconnd's real bus policy. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "session-driver.h"
#include "uplinks.h"

/* Debian's "list" and "irc" (gid = uid, no groups): the hostile user, and
 * the user whose session must come through unharmed */
#define UID_HOSTILE 38
#define UID_VICTIM 39
#define REPRO "'a(gy)s' 2 ssss 1 '' 1 ''"
/* the bus guard's log: at most this many lines a minute (bus-guard-stream.c) */
#define GUARD_LOG_MAX 5

typedef struct {
	Uplinks u;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *policy = g_strdup_printf(
		"[victim]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink1\n", UID_VICTIM);

	uplinks_setup(&f->u, data);
	uplinks_write_policy(&f->u, "10-victim.policy", policy);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "online", 20000);
}

static void teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

/* busctl ARGS as the hostile user; its exit status, stderr in *err. */
static int busctl(Fixture *f, char **err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int busctl(Fixture *f, char **err, const char *fmt, ...)
{
	g_autofree char *args = NULL, *out = NULL, *e = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	args = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	status = nfc_lab_sh_capture(f->u.lab, f->u.host, &out, &e,
				    "setpriv --reuid=%u --regid=%u --clear-groups "
				    "busctl --address=%s --timeout=10 %s",
				    UID_HOSTILE, UID_HOSTILE, nfc_lab_bus_address(f->u.lab), args);
	g_test_message("busctl %s -> %d: %s%s", args, status, out, e);
	if (err)
		*err = g_steal_pointer(&e);
	return status;
}

/* A hostile call: refused with InvalidArgs by nfconnd, not by the bus (the
 * policy lets it through) and not a lost connection. */
static void assert_refused(Fixture *f, const char *path, const char *iface, const char *member)
{
	g_autofree char *err = NULL;

	g_assert_cmpint(busctl(f, &err, "call net.connman %s %s %s " REPRO, path, iface, member),
			!=, 0);
	if (!strstr(err, "could not be decoded"))
		g_error("%s.%s on %s: expected the guard's InvalidArgs, got: %s", iface, member,
			path, err);
}

static void assert_running(Fixture *f)
{
	int status;

	if (waitpid(f->u.nfconnd, &status, WNOHANG) != 0) {
		g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");

		g_error("nfconnd is gone:\n%s", log);
	}
}

static char *manager_properties(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.connman.Manager",
					     "GetProperties", NULL, &error);

	g_assert_no_error(error);
	return g_variant_print(r, FALSE);
}

/* What the kernel holds for the victim: its nft map element and the ip
 * rules (both nfconnd's alone in this namespace). */
static char *kernel_state(Fixture *f)
{
	return nfc_lab_sh_output(f->u.lab, f->u.host,
				 "nft list table inet nfconn | grep '%u :'; ip rule list; "
				 "ip -6 rule list", UID_VICTIM);
}

static guint count_lines(const char *text, const char *needle)
{
	guint n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_hostile_bodies(Fixture *f, gconstpointer data)
{
	SessionClient *victim = session_client_start(f->u.lab, "victim", UID_VICTIM);
	g_autofree char *line = session_client_do(victim, "create /app/s1");
	g_autofree char *path = NULL, *props = NULL, *kernel = NULL, *err = NULL;
	g_autofree char *props_after = NULL, *kernel_after = NULL, *stats = NULL, *log = NULL;
	char *released;

	g_assert_true(g_str_has_prefix(line, "created "));
	path = g_strdup(line + strlen("created "));
	g_free(session_client_expect(victim, "update /app/s1 ", 5000));
	nfc_lab_wait_sh(f->u.lab, f->u.host, 10000, "nft list table inet nfconn | grep -q '%u :'",
			UID_VICTIM);
	props = manager_properties(f);
	kernel = kernel_state(f);

	/* the report's command, word for word, then the same body to the
	 * victim's session and to everything else the policy lets anyone call */
	assert_refused(f, "/", "net.connman.Session", "Change");
	assert_running(f);
	assert_refused(f, path, "net.connman.Session", "Change");
	assert_refused(f, path, "net.connman.Session", "Connect");
	assert_refused(f, "/", "net.connman.Manager", "GetProperties");
	assert_refused(f, "/", "net.connman.Manager", "GetServices");
	assert_refused(f, path, "org.freedesktop.DBus.Introspectable", "Introspect");
	assert_refused(f, "/", "org.freedesktop.DBus.Peer", "Ping");
	/* no reply wanted, and a signal addressed to nfconnd: nothing to
	 * answer, nothing may break */
	g_assert_cmpint(busctl(f, NULL, "--expect-reply=no call net.connman / "
				"net.connman.Session Change " REPRO), ==, 0);
	g_assert_cmpint(busctl(f, NULL, "emit --destination=net.connman / net.example.Hostile "
				"Boom " REPRO), ==, 0);
	/* a good call from the same user after all that: answered */
	g_assert_cmpint(busctl(f, &err, "call net.connman / net.connman.Manager GetProperties"),
			==, 0);
	assert_running(f);

	/* everyone else's state is untouched */
	props_after = manager_properties(f);
	g_assert_cmpstr(props_after, ==, props);
	kernel_after = kernel_state(f);
	g_assert_cmpstr(kernel_after, ==, kernel);
	stats = session_client_do(victim, "call %s net.nfconn.SessionStats GetStats", path);
	g_assert_true(g_str_has_prefix(stats, "ok "));
	released = session_client_expect(victim, "release ", 0);
	g_assert_null(released);

	/* each refusal was logged, but a flood is not: one minute's lines */
	for (int i = 0; i < 40; i++)
		assert_refused(f, path, "net.connman.Session", "Change");
	assert_running(f);
	log = nfc_lab_log(f->u.lab, "nfconnd");
	g_assert_cmpuint(count_lines(log, "bus guard: refused"), >=, 1);
	/* two windows at most, should the test straddle a minute's end */
	g_assert_cmpuint(count_lines(log, "bus guard: "), <=, 2 * GUARD_LOG_MAX + 1);
	g_assert_null(strstr(log, "lost the connection to the bus"));
	session_client_free(victim);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
	g_test_add("/bus-hostile/bodies", Fixture, NULL, setup, test_hostile_bodies, teardown);
	return g_test_run();
}
