// SPDX-License-Identifier: GPL-2.0-or-later
#include "session-settings.h"

#include <errno.h>
#include <string.h>

#include "string-table.h"

const char *const nfc_session_known_bearers[] = {
	"ethernet", "wifi", "bluetooth", "cellular", "gadget", "vpn", NULL
};

/* What "*" means when no policy narrows it: ConnMan's default list, which
 * leaves out vpn unless named. */
static const char *const default_bearers[] = {
	"ethernet", "wifi", "bluetooth", "cellular", "gadget", NULL
};

void nfc_session_settings_clear(NfcSessionSettings *s)
{
	g_clear_pointer(&s->bearers, g_strfreev);
	g_clear_pointer(&s->interface, g_free);
	g_clear_pointer(&s->context_identifier, g_free);
}

void nfc_session_settings_copy(NfcSessionSettings *dst, const NfcSessionSettings *src)
{
	dst->bearers = g_strdupv(src->bearers);
	dst->type = src->type;
	dst->interface = g_strdup(src->interface);
	dst->source_ip_rule = src->source_ip_rule;
	dst->context_identifier = g_strdup(src->context_identifier);
}

static const char *const conn_type_names[] = {
	[NFC_CONN_ANY] = "any",
	[NFC_CONN_LOCAL] = "local",
	[NFC_CONN_INTERNET] = "internet",
};

NFC_STRING_TABLE_FULL(nfc_conn_type, NfcConnType, conn_type_names, "any")

static int parse_bearers(GVariant *v, char ***out)
{
	g_autofree const char **list = NULL;
	GPtrArray *a;

	if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY))
		return -EINVAL;
	list = g_variant_get_strv(v, NULL);
	a = g_ptr_array_new_with_free_func(g_free);
	for (const char **b = list; *b; b++) {
		if (!**b)
			continue; /* ConnMan skips empty entries */
		if (!g_str_equal(*b, "*") && !g_strv_contains(nfc_session_known_bearers, *b)) {
			g_ptr_array_unref(a);
			return -EINVAL;
		}
		/* each bearer once, first position wins */
		if (!g_ptr_array_find_with_equal_func(a, *b, g_str_equal, NULL))
			g_ptr_array_add(a, g_strdup(*b));
	}
	g_ptr_array_add(a, NULL);
	*out = (char **)g_ptr_array_free(a, FALSE);
	return 0;
}

static int apply(NfcSessionSettings *s, const char *name, GVariant *v, bool creating)
{
	if (g_str_equal(name, "AllowedBearers")) {
		char **b = NULL;
		int r = parse_bearers(v, &b);

		if (r < 0)
			return r;
		g_strfreev(s->bearers);
		s->bearers = b;
		return 0;
	}
	if (g_str_equal(name, "ConnectionType")) {
		NfcConnType t;

		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ||
		    !nfc_conn_type_from_string(g_variant_get_string(v, NULL), &t))
			return -EINVAL;
		s->type = t;
		return 0;
	}
	if (g_str_equal(name, "AllowedInterface")) {
		const char *ifname;

		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
			return -EINVAL;
		ifname = g_variant_get_string(v, NULL);
		if (strlen(ifname) >= 16 || strchr(ifname, '/'))
			return -EINVAL;
		g_free(s->interface);
		/* "" and "*" both mean any interface, at creation too */
		s->interface = *ifname && !g_str_equal(ifname, "*") ? g_strdup(ifname) : NULL;
		return 0;
	}
	if (g_str_equal(name, "SourceIPRule")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
			return -EINVAL;
		s->source_ip_rule = g_variant_get_boolean(v);
		return 0;
	}
	if (creating && g_str_equal(name, "ContextIdentifier")) {
		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
			return -EINVAL;
		g_free(s->context_identifier);
		s->context_identifier = g_variant_dup_string(v, NULL);
		return 0;
	}
	return -EINVAL;
}

int nfc_session_settings_parse(GVariant *dict, NfcSessionSettings *out, const char **bad_key)
{
	GVariantIter it;
	const char *key;
	GVariant *value;

	memset(out, 0, sizeof(*out));
	if (!g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT))
		return -EINVAL;
	g_variant_iter_init(&it, dict);
	while (g_variant_iter_loop(&it, "{&sv}", &key, &value)) {
		int r = apply(out, key, value, true);

		if (r < 0) {
			if (bad_key)
				*bad_key = key; /* valid while dict lives */
			nfc_session_settings_clear(out);
			g_variant_unref(value);
			return r;
		}
	}
	return 0;
}

int nfc_session_settings_change(NfcSessionSettings *s, const char *name, GVariant *value)
{
	NfcSessionSettings copy;
	int r;

	nfc_session_settings_copy(&copy, s);
	r = apply(&copy, name, value, false);
	if (r < 0) {
		nfc_session_settings_clear(&copy);
		return r;
	}
	nfc_session_settings_clear(s);
	*s = copy;
	return 0;
}

static bool allowed_by(const NfcSessionPolicy *p, const char *bearer)
{
	if (p && p->bearers)
		return g_strv_contains((const char *const *)p->bearers, bearer);
	return g_strv_contains(default_bearers, bearer) || g_str_equal(bearer, "vpn");
}

char **nfc_session_effective_bearers(const NfcSessionSettings *s, const NfcSessionPolicy *p)
{
	static const char *const star[] = { "*", NULL };
	const char *const *user = s->bearers ? (const char *const *)s->bearers : star;
	const char *const *expand = p && p->bearers ? (const char *const *)p->bearers : default_bearers;
	GPtrArray *out = g_ptr_array_new();

	for (const char *const *b = user; *b; b++) {
		if (g_str_equal(*b, "*")) {
			for (const char *const *e = expand; *e; e++)
				if (!g_ptr_array_find_with_equal_func(out, *e, g_str_equal, NULL))
					g_ptr_array_add(out, g_strdup(*e));
		} else if (allowed_by(p, *b) &&
			   !g_ptr_array_find_with_equal_func(out, *b, g_str_equal, NULL)) {
			g_ptr_array_add(out, g_strdup(*b));
		}
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

NfcConnType nfc_session_effective_type(const NfcSessionSettings *s, const NfcSessionPolicy *p)
{
	if (!p || !p->has_type || p->type == NFC_CONN_ANY)
		return s->type;
	return p->type;
}

const char *nfc_session_effective_interface(const NfcSessionSettings *s, const NfcSessionPolicy *p)
{
	if (p && p->interface && *p->interface)
		return p->interface;
	return s->interface;
}

int nfc_session_select(char **bearers, NfcConnType type, const char *interface,
		       const NfcSelectCandidate *c, int n)
{
	for (char **b = bearers; b && *b; b++) {
		for (int i = 0; i < n; i++) {
			if (!g_str_equal(c[i].type, *b))
				continue;
			if (interface && *interface && g_strcmp0(c[i].ifname, interface))
				continue;
			if (type == NFC_CONN_INTERNET ? !c[i].online : !c[i].ready)
				continue;
			return i;
		}
	}
	return -1;
}
