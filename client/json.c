// SPDX-License-Identifier: GPL-2.0-or-later
/* GVariant to JSON; see json.h. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"

void nfc_json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

static gboolean is_dict(GVariant *v)
{
	return g_variant_type_is_array(g_variant_get_type(v)) &&
	       g_variant_type_is_dict_entry(g_variant_type_element(g_variant_get_type(v)));
}

static void json_key(GString *out, GVariant *key)
{
	if (g_variant_is_of_type(key, G_VARIANT_TYPE_STRING) ||
	    g_variant_is_of_type(key, G_VARIANT_TYPE_OBJECT_PATH) ||
	    g_variant_is_of_type(key, G_VARIANT_TYPE_SIGNATURE)) {
		nfc_json_string(out, g_variant_get_string(key, NULL));
	} else {
		/* JSON keys are strings: other key types are printed */
		g_autofree char *text = g_variant_print(key, FALSE);

		nfc_json_string(out, text);
	}
}

void nfc_json_value(GString *out, GVariant *v)
{
	gsize n;

	if (is_dict(v)) {
		n = g_variant_n_children(v);
		g_string_append_c(out, '{');
		for (gsize i = 0; i < n; i++) {
			g_autoptr(GVariant) entry = g_variant_get_child_value(v, i);
			g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
			g_autoptr(GVariant) value = g_variant_get_child_value(entry, 1);

			if (i)
				g_string_append_c(out, ',');
			json_key(out, key);
			g_string_append_c(out, ':');
			nfc_json_value(out, value);
		}
		g_string_append_c(out, '}');
		return;
	}
	if (g_variant_is_container(v) && !g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
		n = g_variant_n_children(v);
		g_string_append_c(out, '[');
		for (gsize i = 0; i < n; i++) {
			g_autoptr(GVariant) child = g_variant_get_child_value(v, i);

			if (i)
				g_string_append_c(out, ',');
			nfc_json_value(out, child);
		}
		g_string_append_c(out, ']');
		return;
	}

	switch (g_variant_classify(v)) {
	case G_VARIANT_CLASS_VARIANT: {
		g_autoptr(GVariant) inner = g_variant_get_variant(v);

		nfc_json_value(out, inner);
		break;
	}
	case G_VARIANT_CLASS_BOOLEAN:
		g_string_append(out, g_variant_get_boolean(v) ? "true" : "false");
		break;
	case G_VARIANT_CLASS_BYTE:
		g_string_append_printf(out, "%u", g_variant_get_byte(v));
		break;
	case G_VARIANT_CLASS_INT16:
		g_string_append_printf(out, "%d", g_variant_get_int16(v));
		break;
	case G_VARIANT_CLASS_UINT16:
		g_string_append_printf(out, "%u", g_variant_get_uint16(v));
		break;
	case G_VARIANT_CLASS_INT32:
		g_string_append_printf(out, "%" PRId32, g_variant_get_int32(v));
		break;
	case G_VARIANT_CLASS_UINT32:
		g_string_append_printf(out, "%" PRIu32, g_variant_get_uint32(v));
		break;
	case G_VARIANT_CLASS_INT64:
		g_string_append_printf(out, "%" PRId64, (int64_t)g_variant_get_int64(v));
		break;
	case G_VARIANT_CLASS_UINT64:
		g_string_append_printf(out, "%" PRIu64, (uint64_t)g_variant_get_uint64(v));
		break;
	case G_VARIANT_CLASS_HANDLE:
		g_string_append_printf(out, "%" PRId32, g_variant_get_handle(v));
		break;
	case G_VARIANT_CLASS_DOUBLE: {
		double d = g_variant_get_double(v);
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		/* JSON has no NaN or infinity */
		if (!isfinite(d))
			g_string_append(out, "null");
		else
			g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), d));
		break;
	}
	case G_VARIANT_CLASS_STRING:
	case G_VARIANT_CLASS_OBJECT_PATH:
	case G_VARIANT_CLASS_SIGNATURE:
		nfc_json_string(out, g_variant_get_string(v, NULL));
		break;
	default:
		g_string_append(out, "null");
		break;
	}
}

void nfc_json_object(GString *out, const char *path, GVariant *props)
{
	const char *id = strrchr(path, '/');

	g_string_append(out, "{\"id\":");
	nfc_json_string(out, id ? id + 1 : path);
	g_string_append(out, ",\"path\":");
	nfc_json_string(out, path);
	g_string_append(out, ",\"properties\":");
	nfc_json_value(out, props);
	g_string_append_c(out, '}');
}

void nfc_json_object_list(GString *out, const char *list_key, GVariant *objects)
{
	gsize n = g_variant_n_children(objects);

	g_string_append_c(out, '{');
	nfc_json_string(out, list_key);
	g_string_append(out, ":[");
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) props = NULL;
		const char *path;

		g_variant_get_child(objects, i, "(&o@a{sv})", &path, &props);
		if (i)
			g_string_append_c(out, ',');
		nfc_json_object(out, path, props);
	}
	g_string_append(out, "]}");
}

void nfc_json_keyed_list(GString *out, const char *key, GVariant *list)
{
	gsize n = g_variant_n_children(list);

	g_string_append_c(out, '[');
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) props = NULL;
		GVariantIter iter;
		const char *name, *prop;
		GVariant *value;

		g_variant_get_child(list, i, "(&s@a{sv})", &name, &props);
		g_string_append(out, i ? ",{" : "{");
		nfc_json_string(out, key);
		g_string_append_c(out, ':');
		nfc_json_string(out, name);
		g_variant_iter_init(&iter, props);
		while (g_variant_iter_next(&iter, "{&sv}", &prop, &value)) {
			g_string_append_c(out, ',');
			nfc_json_string(out, prop);
			g_string_append_c(out, ':');
			nfc_json_value(out, value);
			g_variant_unref(value);
		}
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
}
