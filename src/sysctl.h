/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-interface network sysctls of the daemon's own network namespace
 * (/proc/sys/net is per namespace, unlike /sys). */
#pragma once

/* e.g. nfc_sysctl_set_if("ipv6", "eth0", "accept_ra", "2"); 0 or -errno */
int nfc_sysctl_set_if(const char *family, const char *ifname, const char *key, const char *value);
int nfc_sysctl_set(const char *path_under_proc_sys_net, const char *value);
/* The value as read, without the newline (caller frees); 0 or -errno. */
int nfc_sysctl_get(const char *path_under_proc_sys_net, char **value);
