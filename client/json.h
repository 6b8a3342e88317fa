/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON output for --json: D-Bus values written as JSON by hand (no extra
 * library). Dictionaries become objects, arrays and tuples arrays, numbers
 * numbers, booleans true/false, strings and object paths strings. */
#pragma once

#include <glib.h>

/* A JSON string literal with the escapes JSON requires. */
void nfc_json_string(GString *out, const char *s);

void nfc_json_value(GString *out, GVariant *v);

/* {"<list_key>":[{"id":…,"path":…,"properties":{…}}, …]} for an
 * a(oa{sv}) object list. */
void nfc_json_object_list(GString *out, const char *list_key, GVariant *objects);

/* {"id":…,"path":…,"properties":{…}} for one object. */
void nfc_json_object(GString *out, const char *path, GVariant *props);

/* [{"<key>":…, "<Prop>":…, …}, …] for an a(sa{sv}) list: each entry's
 * string under key, then its dictionary's entries (tethering clients:
 * key "MAC"). */
void nfc_json_keyed_list(GString *out, const char *key, GVariant *list);
