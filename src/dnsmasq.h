/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dnsmasq as the tether's DHCPv4 server, DNS forwarder and IPv6 router
 * advertiser, supervised by nfconnd. One instance per bridge: its
 * configuration file is written under the run directory, it listens on
 * the bridge alone (bind-dynamic, no port 53 elsewhere, no
 * /etc/resolv.conf, no /etc/dnsmasq.conf), forwards DNS to the servers of
 * a servers file that nfconnd rewrites (then SIGHUP: no restart, no lost
 * leases), keeps its leases in a file under the state directory, and
 * dies with nfconnd (PR_SET_PDEATHSIG). Its log lines go to ours. If it
 * exits it is restarted with a backoff (0.1 s doubling to 5 s, reset
 * after it ran 30 s); after 5 failures in a row without ever becoming
 * ready the instance gives up and says so (failed). */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>

typedef struct {
	char *interface;               /* "tether" */
	struct in_addr address;        /* the bridge's: router and DNS for clients */
	uint8_t prefixlen;             /* of the tether subnet */
	struct in_addr range_start, range_end;
	guint lease_time;              /* seconds */
	bool ipv6;                     /* router advertisements (SLAAC) */
	struct in6_addr prefix6;       /* the /64 on the bridge */
	char *conf_path;               /* <run>/tether-dnsmasq.conf */
	char *servers_path;            /* <run>/tether-servers */
	char *pid_path;                /* <run>/tether-dnsmasq.pid (written by us: dnsmasq runs unprivileged) */
	char *leases_path;             /* <state>/tether.leases */
	char *binary;                  /* NULL: "dnsmasq" from PATH (env NFCONN_DNSMASQ overrides) */
} NfcDnsmasqConfig;

typedef struct {
	char mac[18];                  /* "02:00:00:00:00:01" */
	char address[INET6_ADDRSTRLEN];
	char hostname[64];             /* "" if none */
	gint64 expiry;                 /* unix seconds, 0 = infinite */
} NfcDnsmasqLease;

typedef struct {
	/* listening (it logged that it started); after a restart too */
	void (*ready)(void *user_data);
	/* gave up (the error says why); the instance is stopped (no process,
	 * no restart pending; nfc_dnsmasq_stop still frees it) */
	void (*failed)(const GError *error, void *user_data);
	/* the lease file changed; read it with nfc_dnsmasq_get_leases */
	void (*leases_changed)(void *user_data);
} NfcDnsmasqEvents;

typedef struct NfcDnsmasq NfcDnsmasq;

/* Frees the strings of a config whose strings are owned (the
 * struct itself is the caller's). */
void nfc_dnsmasq_config_clear(NfcDnsmasqConfig *config);

/* Kills a dnsmasq left by an earlier nfconnd (the pid file names it and
 * its command line names conf_path) and removes the pid file. */
void nfc_dnsmasq_kill_stale(const char *pid_path, const char *conf_path);

/* Writes the configuration and the servers file (servers may be NULL or
 * empty), starts dnsmasq; ready/failed follow. FALSE with error if the
 * files cannot be written or the program cannot be started at all. */
NfcDnsmasq *nfc_dnsmasq_start(const NfcDnsmasqConfig *config, const char *const *servers,
			      const NfcDnsmasqEvents *events, void *user_data, GError **error);
/* SIGTERM, then SIGKILL after 1 s if needed; the events stop at once.
 * Removes the configuration, servers and pid files, keeps the leases. */
void nfc_dnsmasq_stop(NfcDnsmasq *dm);
/* Upstream nameservers ("198.51.100.1", "2001:db8::1"): the servers file
 * is replaced atomically and dnsmasq gets SIGHUP. Unchanged: nothing. */
void nfc_dnsmasq_set_servers(NfcDnsmasq *dm, const char *const *servers);
/* The current leases, parsed from the lease file (owned by the caller). */
GArray *nfc_dnsmasq_get_leases(NfcDnsmasq *dm);
/* The pid of the running dnsmasq, 0 if none (tests). */
GPid nfc_dnsmasq_get_pid(NfcDnsmasq *dm);

/* The lease file's text → NfcDnsmasqLease array; bad lines are skipped
 * (a pure function, unit-tested). */
GArray *nfc_dnsmasq_leases_parse(const char *text, gsize len);
/* The configuration file's text for config (pure, unit-tested). */
char *nfc_dnsmasq_config_text(const NfcDnsmasqConfig *config);
