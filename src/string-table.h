/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One table per enum serves both directions: the names are written once,
 * indexed by the enum's values ({ [NFC_X_FOO] = "foo", ... }), and a
 * value without a name (a hole) is NULL. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* The index of s in table (n entries), or -1 if none has that name. */
int nfc_string_table_lookup(const char *const *table, size_t n, const char *s);
/* table[value], or fallback when value has no name. */
const char *nfc_string_table_name(const char *const *table, size_t n, size_t value,
				  const char *fallback);

#define NFC_STRING_TABLE_LOOKUP(table, s) \
	nfc_string_table_lookup((table), G_N_ELEMENTS(table), (s))
#define NFC_STRING_TABLE_NAME(table, value, fallback) \
	nfc_string_table_name((table), G_N_ELEMENTS(table), (size_t)(value), (fallback))

/* Defines prefix_to_string(Type) (fallback for a value without a name)
 * and, with _FULL, prefix_from_string(const char *, Type *) → false for an
 * unknown name, over one table. */
#define NFC_STRING_TABLE_TO_STRING(prefix, Type, table, fallback)              \
	const char *prefix##_to_string(Type value)                              \
	{                                                                       \
		return NFC_STRING_TABLE_NAME(table, value, fallback);           \
	}
#define NFC_STRING_TABLE_FULL(prefix, Type, table, fallback)                   \
	NFC_STRING_TABLE_TO_STRING(prefix, Type, table, fallback)               \
	bool prefix##_from_string(const char *s, Type *value)                   \
	{                                                                       \
		int i_ = NFC_STRING_TABLE_LOOKUP(table, s);                     \
									\
		if (i_ < 0)                                                     \
			return false;                                           \
		*value = (Type)i_;                                              \
		return true;                                                    \
	}
