// SPDX-License-Identifier: GPL-2.0-or-later
/* systemd notifications: the module against a socket of the test's own
 * (unit), and nfconnd as systemd would run it, with $NOTIFY_SOCKET and a
 * short $WATCHDOG_USEC (system: a lab namespace, root). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "lab.h"
#include "sd-notify.h"

/* A datagram socket bound to name ("/path" or "@abstract"). */
static int listen_at(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	socklen_t sa_len = offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/');
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sa_len), ==, 0);
	return fd;
}

/* The next datagram within timeout_ms, or NULL; at (may be NULL) gets
 * when the kernel queued it, in µs (SO_TIMESTAMPNS, if enabled): when it
 * was sent, however late the test gets to read it. */
static char *receive_at(int fd, int timeout_ms, gint64 *at)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	union {
		char space[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = &control, .msg_controllen = sizeof(control) };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return NULL;
	n = recvmsg(fd, &mh, 0);
	g_assert_cmpint(n, >=, 0);
	if (at) {
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		struct timespec ts;

		g_assert_nonnull(c);
		g_assert_cmpint(c->cmsg_type, ==, SO_TIMESTAMPNS);
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		*at = (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
	}
	return g_strndup(buf, n);
}

static char *receive(int fd, int timeout_ms)
{
	return receive_at(fd, timeout_ms, NULL);
}

static void test_module(void)
{
	g_autofree char *name = g_strdup_printf("@nfc-sd-notify-test-%d", (int)getpid());
	g_autofree char *pid = g_strdup_printf("%d", (int)getpid());
	g_autofree char *other = g_strdup_printf("%d", (int)getpid() + 1);
	g_autofree char *got = NULL;
	int fd = listen_at(name);

	/* nobody to tell: nothing happens, nothing fails */
	g_unsetenv("NOTIFY_SOCKET");
	g_assert_cmpint(nfc_sd_notify_init(), ==, 0);
	g_assert_cmpint(nfc_sd_notify("READY=1"), ==, 0);
	g_assert_cmpuint(nfc_sd_watchdog_usec(), ==, 0);

	/* an abstract socket; the watchdog is ours; the variables are gone
	 * afterwards, so that no child of ours inherits them */
	g_setenv("NOTIFY_SOCKET", name, TRUE);
	g_setenv("WATCHDOG_USEC", "500000", TRUE);
	g_setenv("WATCHDOG_PID", pid, TRUE);
	g_assert_cmpint(nfc_sd_notify_init(), ==, 0);
	g_assert_null(g_getenv("NOTIFY_SOCKET"));
	g_assert_null(g_getenv("WATCHDOG_USEC"));
	g_assert_null(g_getenv("WATCHDOG_PID"));
	g_assert_cmpuint(nfc_sd_watchdog_usec(), ==, 500000);
	g_assert_cmpint(nfc_sd_notify("READY=1"), ==, 0);
	got = receive(fd, 5000);
	g_assert_cmpstr(got, ==, "READY=1");
	g_clear_pointer(&got, g_free);
	g_assert_cmpint(nfc_sd_notify("WATCHDOG=1"), ==, 0);
	got = receive(fd, 5000);
	g_assert_cmpstr(got, ==, "WATCHDOG=1");

	/* a watchdog meant for another process is not ours to keep */
	g_setenv("NOTIFY_SOCKET", name, TRUE);
	g_setenv("WATCHDOG_USEC", "500000", TRUE);
	g_setenv("WATCHDOG_PID", other, TRUE);
	g_assert_cmpint(nfc_sd_notify_init(), ==, 0);
	g_assert_cmpuint(nfc_sd_watchdog_usec(), ==, 0);

	/* no period, or nonsense: none either */
	g_setenv("NOTIFY_SOCKET", name, TRUE);
	g_setenv("WATCHDOG_USEC", "0", TRUE);
	g_assert_cmpint(nfc_sd_notify_init(), ==, 0);
	g_assert_cmpuint(nfc_sd_watchdog_usec(), ==, 0);

	/* a name that is neither a path nor abstract is refused */
	g_setenv("NOTIFY_SOCKET", "relative/notify", TRUE);
	g_assert_cmpint(nfc_sd_notify_init(), ==, -EINVAL);
	g_assert_cmpint(nfc_sd_notify("READY=1"), ==, 0);

	/* the manager went away: an error, not a crash (no SIGPIPE) */
	close(fd);
	g_setenv("NOTIFY_SOCKET", name, TRUE);
	g_assert_cmpint(nfc_sd_notify_init(), ==, 0);
	g_assert_cmpint(nfc_sd_notify("READY=1"), <, 0);
	nfc_sd_notify_cleanup();
}

/* nfconnd as systemd runs it: READY=1 once it owns its name, then
 * WATCHDOG=1 every half period from its main loop, STOPPING=1 at the end. */
static void test_daemon(void)
{
	g_autoptr(NfcLab) lab = NULL;
	g_autofree char *path = NULL, *got = NULL;
	const char *ns;
	gint64 prev = 0;
	guint pings = 0;
	GPid pid;
	int fd, status, one = 1;

	if (geteuid() != 0) {
		g_test_skip("needs root (a lab namespace)");
		return;
	}
	lab = nfc_lab_new();
	ns = nfc_lab_add_netns(lab, "host");
	path = g_build_filename(nfc_lab_dir(lab), "notify.sock", NULL);
	fd = listen_at(path);
	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)), ==, 0);
	/* the bus first: its daemon must not inherit the variables */
	nfc_lab_bus_address(lab);
	g_setenv("NOTIFY_SOCKET", path, TRUE);
	g_setenv("WATCHDOG_USEC", "1000000", TRUE);
	g_unsetenv("WATCHDOG_PID");
	pid = nfc_lab_start_nfconnd(lab, ns, NULL);
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");

	/* pings from start-up on; READY=1 among them once the name is owned
	 * (nfc_lab_start_nfconnd returned: it is). One every half period
	 * (500 ms), as sent (kernel timestamps), never near the period:
	 * GLib never fires a timeout early, and a late one by half a second
	 * is a loop the watchdog should catch */
	while (pings < 7) {
		gint64 at = 0;
		g_autofree char *msg = receive_at(fd, 3000, &at);

		g_assert_nonnull(msg);
		if (g_str_equal(msg, "READY=1")) {
			g_assert_null(got);
			got = g_steal_pointer(&msg);
			continue;
		}
		g_assert_cmpstr(msg, ==, "WATCHDOG=1");
		/* the first comes at once, the next after start-up (its length
		 * varies): the timer's intervals count from there */
		if (pings++ > 1) {
			g_test_message("ping after %.1f ms", (at - prev) / 1000.0);
			g_assert_cmpint(at - prev, >=, 495 * 1000);
			g_assert_cmpint(at - prev, <, 1000 * 1000);
		}
		prev = at;
	}
	g_assert_cmpstr(got, ==, "READY=1");

	status = nfc_lab_stop(lab, pid, SIGTERM, 5000, NULL);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* STOPPING=1 comes after the pings still queued */
	for (;;) {
		g_autofree char *msg = receive(fd, 2000);

		g_assert_nonnull(msg);
		if (g_str_equal(msg, "STOPPING=1"))
			break;
		g_assert_cmpstr(msg, ==, "WATCHDOG=1");
	}
	close(fd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sd-notify/module", test_module);
	g_test_add_func("/sd-notify/daemon", test_daemon);
	return g_test_run();
}
