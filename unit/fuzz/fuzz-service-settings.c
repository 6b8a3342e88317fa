// SPDX-License-Identifier: GPL-2.0-or-later
/* A stored settings file (<state>/<service>/settings) as the service
 * loads it: key file, then the validating settings loader. What it keeps
 * must pass the same checks as SetProperty. */
#include "fuzz.h"
#include "service-settings.h"

#define SERVICE "ethernet_02000000000a_cable"

static void check_list(NfcSettingsList kind, char **list)
{
	if (!list || !nfc_settings_check_list(kind, list, NULL))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	NfcServiceSettings s;

	/* as nfc_storage_load: an unreadable file counts as an empty one */
	if (!g_key_file_load_from_data(kf, (const char *)data, size, G_KEY_FILE_KEEP_COMMENTS,
				       NULL)) {
		g_key_file_unref(kf);
		kf = g_key_file_new();
	}
	nfc_service_settings_load(kf, SERVICE, &s);
	check_list(NFC_SETTINGS_NAMESERVERS, s.nameservers);
	check_list(NFC_SETTINGS_TIMESERVERS, s.timeservers);
	check_list(NFC_SETTINGS_DOMAINS, s.domains);
	nfc_service_settings_clear(&s);
	return 0;
}
