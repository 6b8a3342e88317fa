// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static NfcLogTarget log_target = NFC_LOG_STDERR;
static bool log_journal;
static char *log_ident;
static char *debug_patterns;
/* bumped when the patterns change so that cached call sites re-decide */
static unsigned int debug_generation = 1;

static const char *level_name(int level)
{
	switch (level) {
	case 0: case 1: case 2: case 3: return "error";
	case 4: return "warning";
	case 5: case 6: return "info";
	default: return "debug";
	}
}

/* Meson hands the compiler paths relative to the build directory. */
static const char *source_name(const char *file)
{
	while (g_str_has_prefix(file, "../"))
		file += 3;
	return file;
}

bool nfc_log_pattern_matches(const char *patterns, const char *file)
{
	g_auto(GStrv) globs = NULL;
	g_autofree char *bare = NULL;
	const char *base, *dot;

	if (!patterns)
		return false;
	if (!*patterns)
		return true;

	file = source_name(file);
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	dot = strrchr(base, '.');
	bare = dot ? g_strndup(base, dot - base) : g_strdup(base);

	globs = g_strsplit(patterns, ",", -1);
	for (char **g = globs; *g; g++) {
		const char *glob = g_strstrip(*g);

		if (!*glob)
			continue;
		if (g_pattern_match_simple(glob, file) ||
		    g_pattern_match_simple(glob, bare))
			return true;
	}
	return false;
}

bool nfc_debug_site_enabled(struct nfc_debug_site *site)
{
	if (site->generation != debug_generation) {
		site->enabled = nfc_log_pattern_matches(debug_patterns, site->file);
		site->generation = debug_generation;
	}
	return site->enabled;
}

void nfc_log_print(int level, const char *file, int line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);

	if (log_target == NFC_LOG_SYSLOG) {
		if (level >= 7)
			syslog(level, "%s:%d %s", source_name(file), line, msg);
		else
			syslog(level, "%s", msg);
		return;
	}

	/* journald reads "<N>" as the priority of the line */
	if (log_journal) {
		if (level >= 7)
			fprintf(stderr, "<%d>%s:%d %s\n", level, source_name(file), line, msg);
		else
			fprintf(stderr, "<%d>%s\n", level, msg);
		return;
	}
	if (level >= 7)
		fprintf(stderr, "%s: debug: %s:%d %s\n",
			log_ident ? log_ident : "nfconnd", source_name(file), line, msg);
	else
		fprintf(stderr, "%s: %s: %s\n",
			log_ident ? log_ident : "nfconnd", level_name(level), msg);
}

/* GLib's own messages (g_warning in a library, GDBus complaints) go through
 * the same writer so that nothing bypasses the levels. */
static GLogWriterOutput glib_writer(GLogLevelFlags flags, const GLogField *fields,
				    gsize n_fields, gpointer user_data)
{
	const char *message = NULL, *domain = NULL;
	int level;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "MESSAGE"))
			message = fields[i].value;
		else if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
	}
	if (!message)
		return G_LOG_WRITER_UNHANDLED;

	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		level = 3;
	else if (flags & G_LOG_LEVEL_WARNING)
		level = 4;
	else if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		level = 6;
	else {
		if (!nfc_log_pattern_matches(debug_patterns, domain ? domain : "glib"))
			return G_LOG_WRITER_HANDLED;
		level = 7;
	}
	nfc_log_print(level, domain ? domain : "glib", 0, "%s", message);
	return G_LOG_WRITER_HANDLED;
}

void nfc_log_init(const char *ident, NfcLogTarget target, const char *patterns)
{
	g_free(log_ident);
	log_ident = g_strdup(ident);
	g_free(debug_patterns);
	debug_patterns = g_strdup(patterns);
	debug_generation++;
	log_target = target;
	log_journal = target == NFC_LOG_STDERR && g_getenv("JOURNAL_STREAM") != NULL;
	if (target == NFC_LOG_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* GLib allows setting the writer once per process */
	static bool writer_set;
	if (!writer_set) {
		g_log_set_writer_func(glib_writer, NULL, NULL);
		writer_set = true;
	}
}

void nfc_log_cleanup(void)
{
	if (log_target == NFC_LOG_SYSLOG)
		closelog();
	g_clear_pointer(&log_ident, g_free);
	g_clear_pointer(&debug_patterns, g_free);
	debug_generation++;
}
