/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.conf: the [General] keys of ConnMan's main.conf (and nfconn's own),
 * parsed and validated with GKeyFile into one plain struct. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
	NFC_ONLINE_CHECK_NONE,
	NFC_ONLINE_CHECK_ONE_SHOT,
	NFC_ONLINE_CHECK_CONTINUOUS,
} NfcOnlineCheckMode;

typedef enum {
	NFC_INTERVAL_GEOMETRIC,
	NFC_INTERVAL_FIBONACCI,
} NfcIntervalStyle;

/* FastPath: sockets marked at creation by an eBPF program (engine/sink-bpf.c) */
typedef enum {
	NFC_FAST_PATH_AUTO,
	NFC_FAST_PATH_OFF,
} NfcFastPath;

typedef struct {
	guint input_request_timeout;
	guint browser_launch_timeout;
	bool background_scanning;
	bool use_gateways_as_timeservers;
	char **fallback_timeservers;
	char **fallback_nameservers;
	char **default_autoconnect_technologies;
	char **default_favorite_technologies;
	char **always_connected_technologies;
	char **preferred_technologies;
	char **network_interface_blacklist;
	bool allow_hostname_updates;
	bool allow_domainname_updates;
	bool single_connected_technology;
	char **tethering_technologies;
	bool persistent_tethering_mode;
	char **tethering_interfaces;     /* TetheringInterfaces: ports lent (fnmatch globs), empty: see plugins/ethernet.c */
	char *tethering_subnet;          /* TetheringSubnet: IPv4 CIDR, NULL: a free /24 of the pool */
	bool enable_6to4;
	char *vendor_class_id;
	int online_check_mode;          /* NfcOnlineCheckMode */
	char *online_check_ipv4_url;
	char *online_check_ipv6_url;
	guint online_check_connect_timeout;
	guint online_check_initial_interval;
	guint online_check_max_interval;
	int online_check_interval_style; /* NfcIntervalStyle */
	guint online_check_failures_threshold;
	guint online_check_successes_threshold;
	bool autoconnect_roaming_services;
	bool address_conflict_detection;
	char *localtime;
	bool regdom_follows_timezone;
	char *resolv_conf;               /* NULL: <run-dir>/resolv.conf */
	/* nfconn's own keys */
	guint sessions_per_client;       /* SessionsPerClient, default 1024 */
	guint sessions_per_user;         /* SessionsPerUser, default 4096 */
	guint sessions_max;              /* SessionsMax, default 65536; uid 0 not counted */
	guint routing_mark_mask;         /* RoutingMarkMask: our routing bits of the fwmark */
	guint session_mark_mask;         /* SessionMarkMask: our session bits */
	guint routing_table_base;        /* RoutingTableBase: first table of ours */
	guint rule_priority_base;        /* RulePriorityBase: first ip rule priority of ours */
	guint routing_range;             /* RoutingRange: how many tables and priorities */
	int fast_path;                   /* FastPath: NfcFastPath, default auto */
	bool fast_path_conntrack;        /* FastPathConntrack: fast-path flows tracked, default true */
	int firewall_backend;            /* FirewallBackend: NfcFirewallChoice (auto, nftables, iptables) */
	guint firewall_check_interval;   /* FirewallCheckInterval: s between tamper checks (iptables), 0: none */
} NfcConfig;

NfcConfig *nfc_config_new_defaults(void);
void nfc_config_free(NfcConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcConfig, nfc_config_free)

/* Parse key-file text. Unknown keys and groups are appended to warnings
 * (may be NULL); a malformed file or an invalid value is an error. */
NfcConfig *nfc_config_parse(const char *data, gsize len, GPtrArray *warnings,
			    GError **error);

/* Load a file. A missing file gives the defaults when missing_ok. */
NfcConfig *nfc_config_load(const char *path, bool missing_ok, GPtrArray *warnings,
			   GError **error);

/* Technology names ConnMan knows ("ethernet", "wifi", ...). */
bool nfc_config_is_technology(const char *name);

/* The configuration the daemon runs with (set once at start, owned). */
void nfc_config_set_active(NfcConfig *config);
const NfcConfig *nfc_config_active(void);

/* The directory of the configuration file (policy files live beside it). */
void nfc_config_set_dir(const char *dir);
const char *nfc_config_dir(void);
