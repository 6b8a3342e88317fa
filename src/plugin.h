/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builtin plugins: each declares itself with NFC_PLUGIN_DEFINE where it is
 * defined; the linker collects them, so there is no central list to edit. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *name;
	const char *description;
	/* comma-separated names of plugins that must be initialised first;
	 * a plugin whose dependency is not loaded is not loaded either */
	const char *after;
	/* 0 on success, negative errno on failure (-ENOTSUP: not for this host) */
	int (*init)(void);
	void (*exit)(void);
} NfcPluginDesc;

#define NFC_PLUGIN_DEFINE(id, descr, after_, init_, exit_)                            \
	static const NfcPluginDesc nfc_plugin_desc_##id = {                            \
		#id, descr, after_, init_, exit_                                       \
	};                                                                             \
	static const NfcPluginDesc *const nfc_plugin_ptr_##id                          \
		__attribute__((used, section("nfc_plugins"), aligned(sizeof(void *)))) = \
			&nfc_plugin_desc_##id

/* Decide which of descs[0..n) to load and in which order: those matching
 * enable (comma-separated globs, NULL = all) and not disable, each after
 * the plugins it names in `after`, ties broken by name. Plugins left out
 * and why go to skipped (may be NULL). FALSE on a dependency cycle. */
gboolean nfc_plugin_order(const NfcPluginDesc *const *descs, size_t n,
			  const char *enable, const char *disable,
			  GPtrArray *order, GPtrArray *skipped, GError **error);

gboolean nfc_plugins_init(const char *enable, const char *disable, GError **error);
void nfc_plugins_cleanup(void);
bool nfc_plugin_is_loaded(const char *name);
