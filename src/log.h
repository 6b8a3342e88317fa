/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging for nfconnd: levels to stderr (journal-friendly) or syslog, and
 * debug messages enabled per source file by glob patterns (-d PATTERN). */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
	NFC_LOG_STDERR,  /* "nfconnd: level: message", or "<N>message" under journald */
	NFC_LOG_SYSLOG,  /* daemonized: stderr is /dev/null */
} NfcLogTarget;

/* patterns: comma-separated globs matched against the source file
 * ("src/main.c", "plugins/loopback.c") and its bare name ("main").
 * NULL: no debug output; "" or "*": all of it. */
void nfc_log_init(const char *ident, NfcLogTarget target, const char *patterns);
void nfc_log_cleanup(void);

struct nfc_debug_site {
	const char *file;
	int enabled; /* -1: not decided yet, then 0 or 1 */
	unsigned int generation;
};

bool nfc_debug_site_enabled(struct nfc_debug_site *site);
void nfc_log_print(int syslog_level, const char *file, int line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

#define nfc_error(...) nfc_log_print(3, __FILE__, __LINE__, __VA_ARGS__)
#define nfc_warn(...) nfc_log_print(4, __FILE__, __LINE__, __VA_ARGS__)
#define nfc_info(...) nfc_log_print(6, __FILE__, __LINE__, __VA_ARGS__)
#define nfc_debug(...)                                                       \
	do {                                                                 \
		static struct nfc_debug_site nfc_site_ = { __FILE__, -1, 0 };  \
		if (nfc_debug_site_enabled(&nfc_site_))                      \
			nfc_log_print(7, __FILE__, __LINE__, __VA_ARGS__);   \
	} while (0)

/* Pure matcher, exposed for the unit tests. */
bool nfc_log_pattern_matches(const char *patterns, const char *file);
