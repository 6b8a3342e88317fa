// SPDX-License-Identifier: GPL-2.0-or-later
/* A *.policy file's text, then a lookup per identity kind so the rules a
 * file produced are matched too (cgroup globs, labels, uid, groups). */
#include "fuzz.h"
#include "policy-file.h"

static void lookup(NfcPolicySet *set, uid_t uid, gid_t gid, const char *cgroup,
		   const char *label)
{
	g_autoptr(GArray) gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	gid_t extra = 38;
	NfcIdentity id = { .uid = uid, .gid = gid, .cgroup = (char *)cgroup,
			   .label = (char *)label, .gids = gids };

	g_array_append_val(gids, extra);
	nfc_policy_config_free(nfc_policy_set_lookup(set, &id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(NfcPolicySet) set = nfc_policy_set_new();
	g_autoptr(GError) error = NULL;

	if (!nfc_policy_set_add_file(set, "fuzz.policy", (const char *)data, size, &error)) {
		/* refused whole, with a reason */
		if (!error || nfc_policy_set_count(set))
			__builtin_trap();
		return 0;
	}
	lookup(set, 0, 0, NULL, NULL);
	lookup(set, 1000, 1000, "/user.slice/user-1000.slice/app-a.scope", NULL);
	lookup(set, 38, 38, "/system.slice/x.service", "system_u:system_r:app_t:s0");
	return 0;
}
