// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy-file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "log.h"

typedef struct {
	char *source;       /* "file [group]" */
	char *label;
	char *cgroup;       /* glob over the cgroup path */
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	NfcSessionPolicy settings;
	bool priority;
	char *roaming_policy;
	bool emergency_call;
} Rule;

struct NfcPolicySet {
	GPtrArray *rules; /* Rule*, in file then group order */
};

static void rule_free(Rule *r)
{
	g_free(r->source);
	g_free(r->label);
	g_free(r->cgroup);
	g_strfreev(r->settings.bearers);
	g_free(r->settings.interface);
	g_free(r->roaming_policy);
	g_free(r);
}

NfcPolicySet *nfc_policy_set_new(void)
{
	NfcPolicySet *set = g_new0(NfcPolicySet, 1);

	set->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	return set;
}

void nfc_policy_set_free(NfcPolicySet *set)
{
	if (!set)
		return;
	g_ptr_array_unref(set->rules);
	g_free(set);
}

guint nfc_policy_set_count(NfcPolicySet *set)
{
	return set->rules->len;
}

static gboolean bad(GError **error, const char *file, const char *group, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static gboolean bad(GError **error, const char *file, const char *group, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s [%s]: %s",
		    file, group, msg);
	return FALSE;
}

/* A user or group by name (ConnMan's form) or by number (ours too). */
static bool resolve_uid(const char *s, uid_t *out)
{
	guint64 v;
	struct passwd *pw;

	if (g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT32 - 1, &v, NULL)) {
		*out = (uid_t)v;
		return true;
	}
	pw = getpwnam(s);
	if (!pw)
		return false;
	*out = pw->pw_uid;
	return true;
}

static bool resolve_gid(const char *s, gid_t *out)
{
	guint64 v;
	struct group *gr;

	if (g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT32 - 1, &v, NULL)) {
		*out = (gid_t)v;
		return true;
	}
	gr = getgrnam(s);
	if (!gr)
		return false;
	*out = gr->gr_gid;
	return true;
}

static gboolean parse_group(GKeyFile *kf, const char *file, const char *group, Rule *r,
			    GError **error)
{
	g_autofree char *uid = g_key_file_get_string(kf, group, "uid", NULL);
	g_autofree char *gid = g_key_file_get_string(kf, group, "gid", NULL);
	g_autofree char *bearers = g_key_file_get_string(kf, group, "AllowedBearers", NULL);
	g_autofree char *type = g_key_file_get_string(kf, group, "ConnectionType", NULL);
	g_autofree char *iface = g_key_file_get_string(kf, group, "AllowedInterface", NULL);
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	static const char *const known[] = {
		"uid", "gid", "selinux", "cgroup", "AllowedBearers", "ConnectionType",
		"AllowedInterface", "Priority", "RoamingPolicy", "EmergencyCall", NULL
	};

	for (char **k = keys; k && *k; k++)
		if (!g_strv_contains(known, *k))
			nfc_warn("%s [%s]: unknown key %s ignored", file, group, *k);

	r->source = g_strdup_printf("%s [%s]", file, group);
	r->label = g_key_file_get_string(kf, group, "selinux", NULL);
	r->cgroup = g_key_file_get_string(kf, group, "cgroup", NULL);
	if (uid) {
		if (!resolve_uid(g_strstrip(uid), &r->uid))
			return bad(error, file, group, "unknown user \"%s\"", uid);
		r->has_uid = true;
	}
	if (gid) {
		if (!resolve_gid(g_strstrip(gid), &r->gid))
			return bad(error, file, group, "unknown group \"%s\"", gid);
		r->has_gid = true;
	}
	if (!r->has_uid && !r->has_gid && !r->label && !r->cgroup)
		return bad(error, file, group, "no uid, gid, selinux or cgroup key: matches nobody");
	if (r->cgroup && (!*r->cgroup || r->cgroup[0] != '/'))
		/* patterns name paths in the hierarchy, always absolute */
		return bad(error, file, group, "cgroup \"%s\" must start with /", r->cgroup);
	if (bearers) {
		g_auto(GStrv) words = g_strsplit_set(bearers, " \t", -1);
		GPtrArray *list = g_ptr_array_new();

		for (char **w = words; *w; w++) {
			if (!**w)
				continue;
			if (g_str_equal(*w, "*")) {
				for (const char *const *b = nfc_session_known_bearers; *b; b++)
					if (!g_ptr_array_find_with_equal_func(list, *b, g_str_equal, NULL))
						g_ptr_array_add(list, g_strdup(*b));
				continue;
			}
			if (!g_strv_contains(nfc_session_known_bearers, *w)) {
				g_ptr_array_set_free_func(list, g_free);
				g_ptr_array_unref(list);
				return bad(error, file, group, "unknown bearer \"%s\"", *w);
			}
			if (!g_ptr_array_find_with_equal_func(list, *w, g_str_equal, NULL))
				g_ptr_array_add(list, g_strdup(*w));
		}
		g_ptr_array_add(list, NULL);
		r->settings.bearers = (char **)g_ptr_array_free(list, FALSE);
	}
	if (type) {
		if (!nfc_conn_type_from_string(g_strstrip(type), &r->settings.type))
			return bad(error, file, group, "unknown ConnectionType \"%s\"", type);
		r->settings.has_type = true;
	}
	if (iface && *g_strstrip(iface) && !g_str_equal(iface, "*")) {
		if (strlen(iface) >= 16 || strchr(iface, '/'))
			return bad(error, file, group, "bad AllowedInterface \"%s\"", iface);
		r->settings.interface = g_strdup(iface);
	}
	r->priority = g_key_file_get_boolean(kf, group, "Priority", NULL);
	r->roaming_policy = g_key_file_get_string(kf, group, "RoamingPolicy", NULL);
	r->emergency_call = g_key_file_get_boolean(kf, group, "EmergencyCall", NULL);
	return TRUE;
}

gboolean nfc_policy_set_add_file(NfcPolicySet *set, const char *name, const char *text,
				 gssize len, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "%s: ", name);
		return FALSE;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		Rule *r = g_new0(Rule, 1);

		g_ptr_array_add(rules, r);
		if (!parse_group(kf, name, *g, r, error))
			return FALSE;
	}
	for (guint i = 0; i < rules->len; i++)
		g_ptr_array_add(set->rules, g_steal_pointer(&rules->pdata[i]));
	g_ptr_array_set_free_func(rules, NULL);
	return TRUE;
}

/* A policy file's text. Opened non-blocking and checked with fstat on the
 * open fd: a FIFO (or a device) named *.policy would otherwise block the
 * main loop in open() or read() forever. A symlink is followed on purpose
 * (admins link shared policies in); what it points at must be a regular
 * file too. Errors name the file, never its content. */
static gboolean read_policy_file(const char *path, char **text, GError **error)
{
	g_autoptr(GString) buf = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		int e = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot open: %s",
			    g_strerror(e));
		return FALSE;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "not a regular file");
		return FALSE;
	}
	buf = g_string_sized_new(st.st_size + 1);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
				    "cannot read: %s", g_strerror(e));
			return FALSE;
		}
		if (n == 0)
			break;
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	*text = g_string_free(g_steal_pointer(&buf), FALSE);
	return TRUE;
}

static int by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

guint nfc_policy_set_load_dir(NfcPolicySet *set, const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	guint loaded = 0;

	if (!d)
		return 0;
	while ((n = g_dir_read_name(d)))
		if (n[0] != '.' && g_str_has_suffix(n, ".policy"))
			g_ptr_array_add(names, g_strdup(n));
	g_ptr_array_sort(names, by_name);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
		g_autofree char *text = NULL;
		g_autoptr(GError) error = NULL;

		if (!read_policy_file(path, &text, &error) ||
		    !nfc_policy_set_add_file(set, names->pdata[i], text, -1, &error)) {
			nfc_warn("policy %s ignored: %s", path, error->message);
			continue;
		}
		loaded++;
	}
	return loaded;
}

static bool cgroup_matches(const char *pattern, const char *path)
{
	/* a pattern names a cgroup and everything below it */
	if (g_pattern_match_simple(pattern, path))
		return true;
	if (g_str_has_prefix(path, pattern) && path[strlen(pattern)] == '/')
		return true;
	for (const char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		g_autofree char *prefix = g_strndup(path, p - path);

		if (g_pattern_match_simple(pattern, prefix))
			return true;
	}
	return false;
}

static NfcPolicyConfig *config_of(const Rule *r, NfcPolicyMatch match)
{
	NfcPolicyConfig *c = g_new0(NfcPolicyConfig, 1);

	c->settings.bearers = g_strdupv(r->settings.bearers);
	c->settings.has_type = r->settings.has_type;
	c->settings.type = r->settings.type;
	c->settings.interface = g_strdup(r->settings.interface);
	c->match = match;
	c->source = g_strdup(r->source);
	c->priority = r->priority;
	c->roaming_policy = g_strdup(r->roaming_policy);
	c->emergency_call = r->emergency_call;
	return c;
}

NfcPolicyConfig *nfc_policy_set_lookup(NfcPolicySet *set, const NfcIdentity *id)
{
	const Rule *best = NULL;
	size_t best_len = 0;

	if (id->label) {
		/* the SELinux type is the context's third field */
		g_auto(GStrv) f = g_strsplit(id->label, ":", 4);
		const char *type = g_strv_length(f) >= 3 ? f[2] : NULL;

		for (guint i = 0; type && i < set->rules->len; i++) {
			const Rule *r = set->rules->pdata[i];

			if (r->label && g_str_equal(r->label, type))
				return config_of(r, NFC_POLICY_MATCH_LABEL);
		}
	}
	for (guint i = 0; id->cgroup && i < set->rules->len; i++) {
		const Rule *r = set->rules->pdata[i];

		if (r->cgroup && strlen(r->cgroup) > best_len && cgroup_matches(r->cgroup, id->cgroup)) {
			best = r;
			best_len = strlen(r->cgroup);
		}
	}
	if (best)
		return config_of(best, NFC_POLICY_MATCH_CGROUP);
	for (guint i = 0; i < set->rules->len; i++) {
		const Rule *r = set->rules->pdata[i];

		if (r->has_uid && r->uid == id->uid)
			return config_of(r, NFC_POLICY_MATCH_UID);
	}
	/* the primary group first, then the others in the order given */
	for (guint i = 0; i < set->rules->len; i++) {
		const Rule *r = set->rules->pdata[i];

		if (r->has_gid && r->gid == id->gid)
			return config_of(r, NFC_POLICY_MATCH_GID);
	}
	for (guint g = 0; id->gids && g < id->gids->len; g++) {
		for (guint i = 0; i < set->rules->len; i++) {
			const Rule *r = set->rules->pdata[i];

			if (r->has_gid && r->gid == g_array_index(id->gids, gid_t, g))
				return config_of(r, NFC_POLICY_MATCH_GID);
		}
	}
	return NULL;
}

guint nfc_policy_reload_delay(gint64 first_event_us, gint64 now_us, guint settle_ms,
			      guint cap_ms)
{
	gint64 due_us = first_event_us + (gint64)cap_ms * 1000;

	if (now_us >= due_us)
		return 0;
	/* round up: a timer that fires early would only be set again */
	return MIN(settle_ms, (guint)((due_us - now_us + 999) / 1000));
}
