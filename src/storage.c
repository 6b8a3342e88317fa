// SPDX-License-Identifier: GPL-2.0-or-later
#include "storage.h"

#include <errno.h>
#include <sys/stat.h>

#include <gio/gio.h>

#include "log.h"

static char *storage_dir;

gboolean nfc_storage_init(const char *state_dir, GError **error)
{
	if (g_mkdir_with_parents(state_dir, 0755) < 0) {
		int err = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
			    "cannot create state directory %s: %s", state_dir, g_strerror(err));
		return FALSE;
	}
	/* settings may hold secrets (tethering passphrases): owner only */
	umask(0077);
	g_free(storage_dir);
	storage_dir = g_strdup(state_dir);
	return TRUE;
}

void nfc_storage_cleanup(void)
{
	g_clear_pointer(&storage_dir, g_free);
}

const char *nfc_storage_dir(void)
{
	return storage_dir;
}

GKeyFile *nfc_storage_load(const char *name)
{
	g_autofree char *path = g_build_filename(storage_dir, name, NULL);
	g_autoptr(GError) error = NULL;
	GKeyFile *kf = g_key_file_new();

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			nfc_warn("ignoring unreadable %s, using defaults: %s", path, error->message);
		g_key_file_unref(kf);
		kf = g_key_file_new();
	}
	return kf;
}

gboolean nfc_storage_save(const char *name, GKeyFile *kf, GError **error)
{
	g_autofree char *path = g_build_filename(storage_dir, name, NULL);
	g_autofree char *dir = g_path_get_dirname(path);

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		int err = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
			    "cannot create %s: %s", dir, g_strerror(err));
		return FALSE;
	}
	/* g_key_file_save_to_file writes a temporary file, fsyncs and
	 * renames it over the old one: a crash leaves the old or the new */
	return g_key_file_save_to_file(kf, path, error);
}

int nfc_storage_errno(const GError *error)
{
	static const struct {
		GFileError code;
		int err;
	} map[] = {
		{ G_FILE_ERROR_NOSPC, ENOSPC }, { G_FILE_ERROR_ROFS, EROFS },
		{ G_FILE_ERROR_NOMEM, ENOMEM },
	};

	/* only errnos that D-Bus answers as Failed with their text: EACCES
	 * would read PermissionDenied (the caller's), ENOENT InvalidService */
	if (error && error->domain == G_FILE_ERROR)
		for (gsize i = 0; i < G_N_ELEMENTS(map); i++)
			if (map[i].code == (GFileError)error->code)
				return -map[i].err;
	return -EIO;
}
