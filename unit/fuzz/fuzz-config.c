// SPDX-License-Identifier: GPL-2.0-or-later
/* main.conf text as nfc_config_load hands it to the parser. */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) c = nfc_config_parse((const char *)data, size, warnings, &error);

	/* a refusal must say why; an accepted file must be complete */
	if (!c && !error)
		__builtin_trap();
	if (c && (!c->fallback_nameservers || !c->preferred_technologies))
		__builtin_trap();
	return 0;
}
