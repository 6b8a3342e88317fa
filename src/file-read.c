// SPDX-License-Identifier: GPL-2.0-or-later
#include "file-read.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean fail_errno(int fd, int e, const char *what, GError **error)
{
	if (fd >= 0)
		close(fd);
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot %s: %s", what,
		    g_strerror(e));
	return FALSE;
}

gboolean nfc_file_read_regular(const char *path, gsize max, char **text, gsize *len,
			       GError **error)
{
	g_autoptr(GString) buf = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return fail_errno(-1, errno, "open", error);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a regular file");
		return FALSE;
	}
	buf = g_string_sized_new(MIN((gsize)st.st_size, max) + 1);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno(fd, errno, "read", error);
		if (n == 0)
			break;
		if (buf->len + n > max) {
			close(fd);
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "larger than %" G_GSIZE_FORMAT " bytes", max);
			return FALSE;
		}
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	*len = buf->len;
	*text = g_string_free(g_steal_pointer(&buf), FALSE);
	return TRUE;
}
