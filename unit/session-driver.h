/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drives unit/session-client processes (as any uid) from a system test. */
#pragma once

#include "lab.h"

typedef struct {
	NfcLab *lab;
	GPid pid;
	int in, out;
	GString *buf;
	GQueue lines;      /* char*, not yet consumed */
	char *unique_name;
	char *name;
} SessionClient;

/* uid 0 runs as root; any other uid runs with that uid and gid = uid. */
SessionClient *session_client_start(NfcLab *lab, const char *name, unsigned int uid);
/* Same, the process first moved into a cgroup v2 directory (absolute path). */
SessionClient *session_client_start_in(NfcLab *lab, const char *name, unsigned int uid,
				       const char *cgroup_dir);
/* A client as uid holding one session, /app/s1 with settings (a GVariant
 * text, "" for none). */
SessionClient *session_client_hold(NfcLab *lab, const char *name, unsigned int uid,
				   const char *settings);
void session_client_free(SessionClient *c);
/* Kill it (SIGKILL): it leaves the bus without a word. */
void session_client_kill(SessionClient *c);

void session_client_send(SessionClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The next line starting with prefix (others before it stay queued), or
 * NULL after timeout_ms. */
char *session_client_expect(SessionClient *c, const char *prefix, guint timeout_ms);
/* Send a command and return its answer line ("created ...", "ok ...",
 * "error ..."): the first line starting with one of those. */
char *session_client_do(SessionClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Parse "update NOTIFIER {dict}" into the dict (owned). */
GVariant *session_client_update_dict(const char *line);
/* Wait for an Update whose dict has key == string value (others skipped);
 * returns the dict, or NULL on timeout. */
GVariant *session_client_wait_update(SessionClient *c, const char *key, const char *value,
				     guint timeout_ms);
