// SPDX-License-Identifier: GPL-2.0-or-later
/* sd_notify(3)'s datagram protocol, see sd-notify.h. The socket name is
 * a path ("/run/systemd/notify") or, with a leading '@', an abstract
 * name; other forms (vsock) are not for a network daemon on the host. */
#include "sd-notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

static int sock = -1;
static struct sockaddr_un addr;
static socklen_t addr_len;
static uint64_t watchdog_usec;

static int parse_address(const char *name)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 || len > sizeof(addr.sun_path))
		return -EINVAL;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@') {
		/* abstract: the name is exactly the bytes given, no NUL after */
		addr.sun_path[0] = '\0';
		addr_len = offsetof(struct sockaddr_un, sun_path) + len;
	} else {
		addr_len = offsetof(struct sockaddr_un, sun_path) + len + 1;
		if (len == sizeof(addr.sun_path))
			return -EINVAL;
	}
	return 0;
}

/* $WATCHDOG_USEC, if meant for us: systemd sets $WATCHDOG_PID to the
 * main process, and a child that inherited both must not ping. */
static uint64_t read_watchdog(void)
{
	const char *usec = g_getenv("WATCHDOG_USEC");
	const char *pid = g_getenv("WATCHDOG_PID");
	guint64 value, owner;

	if (!usec || !g_ascii_string_to_unsigned(usec, 10, 1, G_MAXUINT64, &value, NULL))
		return 0;
	if (pid && (!g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT, &owner, NULL) ||
		    owner != (guint64)getpid()))
		return 0;
	return value;
}

int nfc_sd_notify_init(void)
{
	const char *name = g_getenv("NOTIFY_SOCKET");
	int r = 0;

	nfc_sd_notify_cleanup();
	if (name) {
		r = parse_address(name);
		if (r == 0) {
			sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (sock < 0)
				r = -errno;
		}
		if (r == 0)
			watchdog_usec = read_watchdog();
	}
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
	return r;
}

void nfc_sd_notify_cleanup(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	watchdog_usec = 0;
}

int nfc_sd_notify(const char *state)
{
	ssize_t n;

	if (sock < 0)
		return 0;
	/* MSG_NOSIGNAL: a manager that went away is no reason to die */
	do
		n = sendto(sock, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr,
			   addr_len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

uint64_t nfc_sd_watchdog_usec(void)
{
	return sock >= 0 ? watchdog_usec : 0;
}
