// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin.h"

#include <string.h>

#include <gio/gio.h>

#include "log.h"

/* Bounds of the section NFC_PLUGIN_DEFINE fills, provided by the linker.
 * Weak, so that a binary without any plugin still links. */
extern const NfcPluginDesc *const __start_nfc_plugins[] __attribute__((weak));
extern const NfcPluginDesc *const __stop_nfc_plugins[] __attribute__((weak));

static GPtrArray *loaded; /* NfcPluginDesc*, in init order */

static bool matches(const char *patterns, const char *name)
{
	g_auto(GStrv) globs = NULL;

	if (!patterns)
		return false;
	globs = g_strsplit(patterns, ",", -1);
	for (char **g = globs; *g; g++)
		if (**g && g_pattern_match_simple(g_strstrip(*g), name))
			return true;
	return false;
}

static int by_name(gconstpointer a, gconstpointer b)
{
	const NfcPluginDesc *pa = *(const NfcPluginDesc *const *)a;
	const NfcPluginDesc *pb = *(const NfcPluginDesc *const *)b;

	return strcmp(pa->name, pb->name);
}

static const NfcPluginDesc *find(GPtrArray *descs, const char *name)
{
	for (guint i = 0; i < descs->len; i++) {
		const NfcPluginDesc *d = descs->pdata[i];

		if (g_str_equal(d->name, name))
			return d;
	}
	return NULL;
}

gboolean nfc_plugin_order(const NfcPluginDesc *const *descs, size_t n,
			  const char *enable, const char *disable,
			  GPtrArray *order, GPtrArray *skipped, GError **error)
{
	g_autoptr(GPtrArray) wanted = g_ptr_array_new();
	g_autoptr(GHashTable) placed = g_hash_table_new(g_str_hash, g_str_equal);
	bool progress = true;

	for (size_t i = 0; i < n; i++) {
		const NfcPluginDesc *d = descs[i];

		if ((enable && !matches(enable, d->name)) || matches(disable, d->name)) {
			if (skipped)
				g_ptr_array_add(skipped, g_strdup_printf("%s: disabled", d->name));
			continue;
		}
		g_ptr_array_add(wanted, (gpointer)d);
	}
	g_ptr_array_sort(wanted, by_name);

	/* Drop plugins whose dependencies are not wanted, until nothing changes. */
	while (progress) {
		progress = false;
		for (guint i = 0; i < wanted->len; i++) {
			const NfcPluginDesc *d = wanted->pdata[i];
			g_auto(GStrv) deps = g_strsplit(d->after ? d->after : "", ",", -1);

			for (char **dep = deps; *dep; dep++) {
				if (!**dep || find(wanted, *dep))
					continue;
				if (skipped)
					g_ptr_array_add(skipped, g_strdup_printf("%s: needs %s, which is not loaded",
										 d->name, *dep));
				g_ptr_array_remove_index(wanted, i);
				progress = true;
				break;
			}
			if (progress)
				break;
		}
	}

	/* Kahn's algorithm over the sorted list: deterministic order. */
	while (g_hash_table_size(placed) < wanted->len) {
		progress = false;
		for (guint i = 0; i < wanted->len; i++) {
			const NfcPluginDesc *d = wanted->pdata[i];
			g_auto(GStrv) deps = NULL;
			bool ready = true;

			if (g_hash_table_contains(placed, d->name))
				continue;
			deps = g_strsplit(d->after ? d->after : "", ",", -1);
			for (char **dep = deps; *dep && ready; dep++)
				ready = !**dep || g_hash_table_contains(placed, *dep);
			if (!ready)
				continue;
			g_hash_table_add(placed, (gpointer)d->name);
			g_ptr_array_add(order, (gpointer)d);
			progress = true;
			break;
		}
		if (!progress) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "plugin dependency cycle among the remaining %u plugins",
				    wanted->len - g_hash_table_size(placed));
			return FALSE;
		}
	}
	return TRUE;
}

gboolean nfc_plugins_init(const char *enable, const char *disable, GError **error)
{
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
	size_t n = __stop_nfc_plugins - __start_nfc_plugins;

	if (!nfc_plugin_order(__start_nfc_plugins, n, enable, disable, order, skipped, error))
		return FALSE;
	for (guint i = 0; i < skipped->len; i++)
		nfc_info("plugin %s", (char *)skipped->pdata[i]);

	loaded = g_ptr_array_new();
	for (guint i = 0; i < order->len; i++) {
		const NfcPluginDesc *d = order->pdata[i];
		g_auto(GStrv) deps = g_strsplit(d->after ? d->after : "", ",", -1);
		const char *missing = NULL;
		int r;

		for (char **dep = deps; *dep && !missing; dep++)
			if (**dep && !find(loaded, *dep))
				missing = *dep;
		if (missing) {
			nfc_warn("plugin %s not loaded: %s failed", d->name, missing);
			continue;
		}
		r = d->init ? d->init() : 0;
		if (r < 0) {
			nfc_warn("plugin %s not loaded: %s", d->name, g_strerror(-r));
			continue;
		}
		nfc_debug("plugin %s loaded", d->name);
		g_ptr_array_add(loaded, (gpointer)d);
	}
	return TRUE;
}

void nfc_plugins_cleanup(void)
{
	if (!loaded)
		return;
	for (guint i = loaded->len; i > 0; i--) {
		const NfcPluginDesc *d = loaded->pdata[i - 1];

		if (d->exit)
			d->exit();
	}
	g_clear_pointer(&loaded, g_ptr_array_unref);
}

bool nfc_plugin_is_loaded(const char *name)
{
	return loaded && find(loaded, name);
}
