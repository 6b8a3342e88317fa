// SPDX-License-Identifier: GPL-2.0-or-later
#include "session-driver.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

SessionClient *session_client_start(NfcLab *lab, const char *name, unsigned int uid)
{
	return session_client_start_in(lab, name, uid, NULL);
}

SessionClient *session_client_start_in(NfcLab *lab, const char *name, unsigned int uid,
				       const char *cgroup_dir)
{
	SessionClient *c = g_new0(SessionClient, 1);
	g_autofree char *ruid = g_strdup_printf("--reuid=%u", uid);
	g_autofree char *rgid = g_strdup_printf("--regid=%u", uid);
	const char *client = NFC_BUILD_ROOT "/unit/session-client";
	const char *addr = nfc_lab_bus_address(lab);
	char *line;

	c->lab = lab;
	c->name = g_strdup(name);
	c->buf = g_string_new(NULL);
	g_queue_init(&c->lines);
	/* the bus socket lives in the lab directory */
	nfc_lab_sh(lab, NULL, "chmod 755 %s", nfc_lab_dir(lab));
	if (cgroup_dir) {
		g_autofree char *script = g_strdup_printf(
			"echo $$ > %s/cgroup.procs && exec setpriv %s %s --clear-groups %s %s",
			cgroup_dir, ruid, rgid, client, addr);
		const char *argv[] = { "/bin/sh", "-c", script, NULL };

		c->pid = nfc_lab_spawn_pipes(lab, NULL, name, argv, &c->in, &c->out);
	} else if (uid == 0) {
		const char *argv[] = { client, addr, NULL };

		c->pid = nfc_lab_spawn_pipes(lab, NULL, name, argv, &c->in, &c->out);
	} else {
		const char *argv[] = { "setpriv", ruid, rgid, "--clear-groups", client, addr, NULL };

		c->pid = nfc_lab_spawn_pipes(lab, NULL, name, argv, &c->in, &c->out);
	}
	line = session_client_expect(c, "ready ", 10000);
	if (!line) {
		g_autofree char *log = nfc_lab_log(lab, name);

		g_error("%s did not start: %s", name, log);
	}
	c->unique_name = g_strdup(line + strlen("ready "));
	g_free(line);
	return c;
}

void session_client_kill(SessionClient *c)
{
	if (!c->pid)
		return;
	nfc_lab_stop(c->lab, c->pid, SIGKILL, 5000, NULL);
	c->pid = 0;
}

void session_client_free(SessionClient *c)
{
	if (!c)
		return;
	if (c->pid) {
		session_client_send(c, "quit");
		nfc_lab_stop(c->lab, c->pid, SIGTERM, 5000, NULL);
	}
	close(c->in);
	close(c->out);
	g_string_free(c->buf, TRUE);
	g_queue_clear_full(&c->lines, g_free);
	g_free(c->unique_name);
	g_free(c->name);
	g_free(c);
}

void session_client_send(SessionClient *c, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	g_autofree char *line = NULL;
	va_list ap;
	size_t off = 0;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	line = g_strconcat(cmd, "\n", NULL);
	while (off < strlen(line)) {
		ssize_t n = write(c->in, line + off, strlen(line) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* it is gone; expect() will say so */
		off += n;
	}
}

/* Read what is there, split into lines. */
static bool fill(SessionClient *c, int timeout_ms)
{
	struct pollfd p = { c->out, POLLIN, 0 };
	char chunk[65536];
	ssize_t n;
	char *nl;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	n = read(c->out, chunk, sizeof(chunk));
	if (n <= 0)
		return false;
	g_string_append_len(c->buf, chunk, n);
	while ((nl = strchr(c->buf->str, '\n'))) {
		g_queue_push_tail(&c->lines, g_strndup(c->buf->str, nl - c->buf->str));
		g_string_erase(c->buf, 0, nl - c->buf->str + 1);
	}
	return true;
}

char *session_client_expect(SessionClient *c, const char *prefix, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		for (GList *l = c->lines.head; l; l = l->next) {
			if (g_str_has_prefix(l->data, prefix)) {
				char *line = l->data;

				g_queue_delete_link(&c->lines, l);
				return line;
			}
		}
		{
			gint64 left = (end - g_get_monotonic_time()) / 1000;

			if (left <= 0 || !fill(c, (int)MIN(left, 200)))
				if (g_get_monotonic_time() >= end)
					return NULL;
		}
	}
}

char *session_client_do(SessionClient *c, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	session_client_send(c, "%s", cmd);
	for (;;) {
		for (GList *l = c->lines.head; l; l = l->next) {
			const char *s = l->data;

			if (g_str_has_prefix(s, "created ") || g_str_has_prefix(s, "ok") ||
			    g_str_has_prefix(s, "error ")) {
				char *line = l->data;

				g_queue_delete_link(&c->lines, l);
				return line;
			}
		}
		if (g_get_monotonic_time() > end)
			g_error("%s: no answer to \"%s\"", c->name, cmd);
		fill(c, 200);
	}
}

GVariant *session_client_update_dict(const char *line)
{
	const char *brace = strchr(line, '{');
	g_autoptr(GError) error = NULL;
	GVariant *v;

	g_assert_nonnull(brace);
	v = g_variant_parse(G_VARIANT_TYPE_VARDICT, brace, NULL, NULL, &error);
	g_assert_no_error(error);
	return v;
}

GVariant *session_client_wait_update(SessionClient *c, const char *key, const char *value,
				     guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		gint64 left = (end - g_get_monotonic_time()) / 1000;
		g_autofree char *line = NULL;
		GVariant *d;
		const char *v = NULL;

		if (left <= 0)
			return NULL;
		line = session_client_expect(c, "update ", (guint)left);
		if (!line)
			return NULL;
		d = session_client_update_dict(line);
		if (g_variant_lookup(d, key, "&s", &v) && g_str_equal(v, value))
			return d;
		g_variant_unref(d);
	}
}

SessionClient *session_client_hold(NfcLab *lab, const char *name, unsigned int uid,
				   const char *settings)
{
	SessionClient *c = session_client_start(lab, name, uid);
	g_autofree char *line = session_client_do(c, "create /app/s1 %s", settings);

	if (!g_str_has_prefix(line, "created "))
		g_error("%s: %s", name, line);
	return c;
}
