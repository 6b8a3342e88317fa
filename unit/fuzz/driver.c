// SPDX-License-Identifier: GPL-2.0-or-later
/* Replays inputs through a fuzz target without libFuzzer: each argument is
 * a file or a directory of files (read in name order). A crash or a
 * sanitizer report fails the test; reaching the end passes it. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const char *path, guint *count)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(1);
	}
	/* a copy of exactly len bytes, so ASan sees a read past the input */
	{
		g_autofree uint8_t *copy = g_memdup2(data, len);

		LLVMFuzzerTestOneInput(copy, len);
	}
	(*count)++;
}

static void run_path(const char *path, guint *count)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = NULL;
	const char *n;

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		run_file(path, count);
		return;
	}
	dir = g_dir_open(path, 0, NULL);
	names = g_ptr_array_new_with_free_func(g_free);
	while (dir && (n = g_dir_read_name(dir)))
		g_ptr_array_add(names, g_strdup(n));
	g_ptr_array_sort(names, by_name);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *p = g_build_filename(path, names->pdata[i], NULL);

		run_path(p, count);
	}
}

int main(int argc, char **argv)
{
	guint count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		run_path(argv[i], &count);
	/* an empty corpus would pass while testing nothing */
	if (!count) {
		fprintf(stderr, "no inputs\n");
		return 1;
	}
	printf("%u inputs ran\n", count);
	return 0;
}
