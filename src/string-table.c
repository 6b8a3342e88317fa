// SPDX-License-Identifier: GPL-2.0-or-later
#include "string-table.h"

#include <string.h>

int nfc_string_table_lookup(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (table[i] && strcmp(table[i], s) == 0)
			return (int)i;
	return -1;
}

const char *nfc_string_table_name(const char *const *table, size_t n, size_t value,
				  const char *fallback)
{
	return value < n && table[value] ? table[value] : fallback;
}
