// SPDX-License-Identifier: GPL-2.0-or-later
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"

int nfc_sysctl_set(const char *rel, const char *value)
{
	g_autofree char *path = g_strdup_printf("/proc/sys/net/%s", rel);
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		nfc_debug("%s: %s", path, g_strerror(-err));
		return err;
	}
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		nfc_warn("cannot set %s to %s: %s", path, value, g_strerror(-err));
		return err;
	}
	close(fd);
	return 0;
}

int nfc_sysctl_get(const char *rel, char **value)
{
	g_autofree char *path = g_strdup_printf("/proc/sys/net/%s", rel);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, &error)) {
		nfc_debug("%s: %s", path, error->message);
		return error->domain == G_FILE_ERROR && error->code == G_FILE_ERROR_NOENT ? -ENOENT
											  : -EIO;
	}
	*value = g_strstrip(text);
	return 0;
}

int nfc_sysctl_set_if(const char *family, const char *ifname, const char *key, const char *value)
{
	g_autofree char *rel = NULL;

	/* an interface name must not walk out of conf/ */
	if (!*ifname || strchr(ifname, '/') || g_str_equal(ifname, ".") || g_str_equal(ifname, ".."))
		return -EINVAL;
	rel = g_strdup_printf("%s/conf/%s/%s", family, ifname, key);
	return nfc_sysctl_set(rel, value);
}
