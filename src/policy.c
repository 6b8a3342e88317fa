// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy.h"

#include <errno.h>
#include <string.h>

#include "log.h"

static const NfcPolicyDriver *driver;
static NfcPolicyChangedFunc changed_func;
static void *changed_data;

void nfc_identity_clear(NfcIdentity *id)
{
	g_clear_pointer(&id->gids, g_array_unref);
	g_clear_pointer(&id->label, g_free);
	g_clear_pointer(&id->cgroup, g_free);
}

char *nfc_identity_read_cgroup(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", (int)pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	/* the unified hierarchy's line is "0::<path>", in hybrid layouts too */
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		if (g_str_has_prefix(*l, "0::"))
			return g_strdup(*l + 3);
	return NULL;
}

void nfc_policy_config_free(NfcPolicyConfig *c)
{
	if (!c)
		return;
	g_strfreev(c->settings.bearers);
	g_free(c->settings.interface);
	g_free(c->source);
	g_free(c->roaming_policy);
	g_free(c);
}

int nfc_policy_register(const NfcPolicyDriver *d)
{
	if (driver)
		return -EEXIST;
	driver = d;
	return 0;
}

void nfc_policy_unregister(const NfcPolicyDriver *d)
{
	if (driver == d)
		driver = NULL;
}

NfcPolicyConfig *nfc_policy_lookup(const NfcIdentity *identity)
{
	return driver ? driver->lookup(identity) : NULL;
}

void nfc_policy_set_changed_func(NfcPolicyChangedFunc func, void *user_data)
{
	changed_func = func;
	changed_data = user_data;
}

void nfc_policy_changed(void)
{
	if (changed_func)
		changed_func(changed_data);
}
