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

#include "file-read.h"
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

/* Errors and warnings name the file and line and say what is wrong, never
 * quote the text: a policy path may be a symlink to any file, and its
 * lines (a secret's first line) must not reach the log. */
static gboolean bad(GError **error, const char *file, guint line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
static gboolean bad(GError **error, const char *file, guint line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "%s:%u: %s", file, line, msg);
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

/* One key of the group being read: its unescaped value and its line. */
typedef struct {
	char *value;
	guint line;
} Value;

static void value_free(Value *v)
{
	g_free(v->value);
	g_free(v);
}

/* The group being read. Only one group's keys are held at a time: a group
 * becomes a Rule as soon as it ends, so what parsing keeps grows with the
 * rules, not with the text. */
typedef struct {
	const char *file;
	char *name;
	guint line;        /* of the [header] */
	GHashTable *keys;  /* key → Value*; a repeated key: the last one wins */
} Group;

static const char *get(Group *g, const char *key)
{
	Value *v = g_hash_table_lookup(g->keys, key);

	return v ? v->value : NULL;
}

static guint line_of(Group *g, const char *key)
{
	Value *v = g_hash_table_lookup(g->keys, key);

	return v ? v->line : g->line;
}

static gboolean get_bool(Group *g, const char *key, bool *out, GError **error)
{
	const char *v = get(g, key);

	*out = false;
	if (!v)
		return TRUE;
	if (g_str_equal(v, "true") || g_str_equal(v, "1"))
		*out = true;
	else if (!g_str_equal(v, "false") && !g_str_equal(v, "0"))
		return bad(error, g->file, line_of(g, key), "%s is not true or false", key);
	return TRUE;
}

static gboolean parse_group(Group *g, Rule *r, GError **error)
{
	const char *file = g->file;
	const char *uid = get(g, "uid"), *gid = get(g, "gid");
	const char *bearers = get(g, "AllowedBearers"), *type = get(g, "ConnectionType");
	const char *iface = get(g, "AllowedInterface"), *label = get(g, "selinux");
	const char *cgroup = get(g, "cgroup"), *roaming = get(g, "RoamingPolicy");
	static const char *const known[] = {
		"uid", "gid", "selinux", "cgroup", "AllowedBearers", "ConnectionType",
		"AllowedInterface", "Priority", "RoamingPolicy", "EmergencyCall", NULL
	};
	GHashTableIter it;
	gpointer key, val;

	g_hash_table_iter_init(&it, g->keys);
	while (g_hash_table_iter_next(&it, &key, &val))
		if (!g_strv_contains(known, key))
			nfc_warn("%s:%u: unknown key ignored", file, ((Value *)val)->line);

	r->source = g_strdup_printf("%s [%s]", file, g->name);
	if (uid) {
		if (!resolve_uid(uid, &r->uid))
			return bad(error, file, line_of(g, "uid"), "uid names no known user");
		r->has_uid = true;
	}
	if (gid) {
		if (!resolve_gid(gid, &r->gid))
			return bad(error, file, line_of(g, "gid"), "gid names no known group");
		r->has_gid = true;
	}
	if (!r->has_uid && !r->has_gid && !label && !cgroup)
		return bad(error, file, g->line,
			   "group has no uid, gid, selinux or cgroup key: matches nobody");
	if (cgroup && cgroup[0] != '/')
		/* patterns name paths in the hierarchy, always absolute */
		return bad(error, file, line_of(g, "cgroup"), "cgroup must start with /");
	r->label = g_strdup(label);
	r->cgroup = g_strdup(cgroup);
	if (bearers) {
		g_auto(GStrv) words = g_strsplit_set(bearers, " \t", -1);
		g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);

		for (char **w = words; *w; w++) {
			if (!**w)
				continue;
			if (g_str_equal(*w, "*")) {
				for (const char *const *b = nfc_session_known_bearers; *b; b++)
					if (!g_ptr_array_find_with_equal_func(list, *b, g_str_equal, NULL))
						g_ptr_array_add(list, g_strdup(*b));
				continue;
			}
			if (!g_strv_contains(nfc_session_known_bearers, *w))
				return bad(error, file, line_of(g, "AllowedBearers"),
					   "AllowedBearers names an unknown bearer");
			if (!g_ptr_array_find_with_equal_func(list, *w, g_str_equal, NULL))
				g_ptr_array_add(list, g_strdup(*w));
		}
		g_ptr_array_add(list, NULL);
		r->settings.bearers = (char **)g_ptr_array_steal(list, NULL);
	}
	if (type) {
		if (!nfc_conn_type_from_string(type, &r->settings.type))
			return bad(error, file, line_of(g, "ConnectionType"),
				   "ConnectionType is not any, local or internet");
		r->settings.has_type = true;
	}
	if (iface && *iface && !g_str_equal(iface, "*")) {
		if (strlen(iface) >= 16 || strchr(iface, '/'))
			return bad(error, file, line_of(g, "AllowedInterface"),
				   "AllowedInterface is not an interface name");
		r->settings.interface = g_strdup(iface);
	}
	if (!get_bool(g, "Priority", &r->priority, error) ||
	    !get_bool(g, "EmergencyCall", &r->emergency_call, error))
		return FALSE;
	r->roaming_policy = g_strdup(roaming);
	return TRUE;
}

/* The key-file value escapes (\s \n \t \r \\), as GLib reads them. */
static char *unescape(const char *v, gsize len)
{
	GString *out = g_string_sized_new(len);

	for (gsize i = 0; i < len; i++) {
		if (v[i] != '\\') {
			g_string_append_c(out, v[i]);
			continue;
		}
		if (++i == len)
			goto invalid;
		switch (v[i]) {
		case 's': g_string_append_c(out, ' '); break;
		case 'n': g_string_append_c(out, '\n'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case '\\': g_string_append_c(out, '\\'); break;
		default: goto invalid;
		}
	}
	return g_string_free(out, FALSE);
invalid:
	g_string_free(out, TRUE);
	return NULL;
}

static gboolean end_group(Group *g, GPtrArray *rules, GError **error)
{
	Rule *r;

	if (!g->name)
		return TRUE;
	r = g_new0(Rule, 1);
	g_ptr_array_add(rules, r);
	if (!parse_group(g, r, error))
		return FALSE;
	g_clear_pointer(&g->name, g_free);
	g_hash_table_remove_all(g->keys);
	return TRUE;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line without its newline: a [group], key=value, # comment or blank. */
static gboolean parse_line(Group *g, GHashTable *seen, GPtrArray *rules, const char *p,
			   gsize len, guint line, GError **error)
{
	const char *eq;
	gsize klen;
	Value *v;

	while (len && is_blank(*p))
		p++, len--;
	while (len && is_blank(p[len - 1]))
		len--;
	if (!len || *p == '#')
		return TRUE;
	if (memchr(p, '\0', len) || !g_utf8_validate(p, len, NULL))
		return bad(error, g->file, line, "not UTF-8 text");
	if (*p == '[') {
		g_autofree char *name = NULL;

		if (p[len - 1] != ']' || len == 2 || memchr(p + 1, '[', len - 2) ||
		    memchr(p + 1, ']', len - 2))
			return bad(error, g->file, line, "bad [group] header");
		if (!end_group(g, rules, error))
			return FALSE;
		name = g_strndup(p + 1, len - 2);
		if (g_hash_table_contains(seen, name))
			return bad(error, g->file, line, "group repeated (line %u)",
				   GPOINTER_TO_UINT(g_hash_table_lookup(seen, name)));
		g_hash_table_insert(seen, g_strdup(name), GUINT_TO_POINTER(line));
		g->name = g_steal_pointer(&name);
		g->line = line;
		return TRUE;
	}
	eq = memchr(p, '=', len);
	if (!eq)
		return bad(error, g->file, line, "not a [group], key=value or # comment");
	if (!g->name)
		return bad(error, g->file, line, "key=value before the first [group]");
	klen = eq - p;
	while (klen && is_blank(p[klen - 1]))
		klen--;
	if (!klen)
		return bad(error, g->file, line, "empty key");
	eq++;
	while (eq < p + len && is_blank(*eq))
		eq++;
	v = g_new0(Value, 1);
	v->line = line;
	v->value = unescape(eq, p + len - eq);
	if (!v->value) {
		value_free(v);
		return bad(error, g->file, line, "invalid escape sequence");
	}
	g_hash_table_replace(g->keys, g_strndup(p, klen), v);
	return TRUE;
}

gboolean nfc_policy_set_add_file(NfcPolicySet *set, const char *name, const char *text,
				 gssize len, GError **error)
{
	g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	Group g = { .file = name };
	gsize size = len < 0 ? strlen(text) : (gsize)len;
	const char *p = text, *end = text + size;
	gboolean ok = TRUE;
	guint line = 0;

	/* a UTF-8 byte order mark, as some editors write */
	if (size >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	g.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)value_free);
	while (ok && p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *eol = nl ? nl : end;

		ok = parse_line(&g, seen, rules, p, eol - p, ++line, error);
		p = nl ? nl + 1 : end;
	}
	if (ok)
		ok = end_group(&g, rules, error);
	g_free(g.name);
	g_hash_table_unref(g.keys);
	if (!ok)
		return FALSE;
	for (guint i = 0; i < rules->len; i++)
		g_ptr_array_add(set->rules, g_steal_pointer(&rules->pdata[i]));
	g_ptr_array_set_free_func(rules, NULL);
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
		gsize len;

		if (!nfc_file_read_regular(path, NFC_POLICY_FILE_MAX, &text, &len, &error) ||
		    !nfc_policy_set_add_file(set, names->pdata[i], text, len, &error)) {
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
	c->gid = r->gid;
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
