/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The main table's default routes and resolv.conf. Every connected service
 * with a gateway keeps a default route, at a metric that follows the
 * service order (best = lowest), so that when a link loses carrier the
 * kernel already falls through to the next one (routes through a link
 * that is down are ignored) before the daemon even hears of it. */
#pragma once

void nfc_connection_init(const char *run_dir);
void nfc_connection_cleanup(void);

/* The resolv.conf text for these lists, pure (for the tests). */
char *nfc_connection_resolv_conf(char **nameservers, char **domains);
