/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IP configuration of one interface: IPv4 (dhcp, manual, off) through our
 * DHCP client and rtnl, IPv6 (auto = kernel SLAAC, manual, off) through
 * sysctls and rtnl. Reports what it has; routes are the connection
 * module's business, but for the on-link host route to an IPv4 gateway
 * outside the subnet (a /32 lease), which belongs with the address. */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "rtnl.h"

typedef enum {
	NFC_IPV4_OFF,
	NFC_IPV4_DHCP,
	NFC_IPV4_MANUAL,
} NfcIpv4Method;

typedef enum {
	NFC_IPV6_OFF,
	NFC_IPV6_AUTO,
	NFC_IPV6_MANUAL,
} NfcIpv6Method;

typedef struct {
	NfcIpv4Method method;
	struct in_addr address;  /* manual only */
	uint8_t prefixlen;
	struct in_addr gateway;  /* 0: none */
} NfcIpv4Config;

typedef struct {
	NfcIpv6Method method;
	struct in6_addr address; /* manual only */
	uint8_t prefixlen;
	struct in6_addr gateway;
	char privacy[12];        /* "disabled", "enabled", "prefered" */
} NfcIpv6Config;

/* What the interface has now. */
typedef struct {
	bool up;
	NfcIpv4Method method;
	struct in_addr address;
	uint8_t prefixlen;
	struct in_addr gateway;
	struct in_addr dns[8];
	unsigned int n_dns;
	struct in_addr ntp[4];
	unsigned int n_ntp;
	char domain[256];
	char wpad[256];          /* DHCP option 252, "" if none */
} NfcIpv4State;

typedef struct {
	bool up;
	NfcIpv6Method method;
	struct in6_addr address;
	uint8_t prefixlen;
	struct in6_addr gateway;
} NfcIpv6State;

typedef enum {
	NFC_IPCONFIG_IPV4_UP,       /* an address is configured (first or changed) */
	NFC_IPCONFIG_IPV4_DOWN,     /* lost it (lease expired, method off) */
	NFC_IPCONFIG_IPV4_FAILED,   /* DHCP found no server (still trying) */
	NFC_IPCONFIG_IPV6_UP,
	NFC_IPCONFIG_IPV6_DOWN,
	/* the nameservers or search domains the routers advertise changed */
	NFC_IPCONFIG_IPV6_RA_DNS,
} NfcIpconfigEvent;

typedef struct NfcIpconfig NfcIpconfig;
typedef void (*NfcIpconfigFunc)(NfcIpconfig *ipc, NfcIpconfigEvent event, void *user_data);

NfcIpconfig *nfc_ipconfig_new(int ifindex, const char *ifname, const unsigned char mac[6],
			      NfcIpconfigFunc func, void *user_data);
void nfc_ipconfig_free(NfcIpconfig *ipc);

/* Start with these methods; last_dhcp is the previous lease's address for
 * INIT-REBOOT (0: none). IPv6 auto keeps what the kernel's SLAAC has on the
 * link and solicits the routers. Stop removes every address it added; with
 * release (a disconnect), a DHCP lease is released and IPv6 switched off on
 * the link, SLAAC's addresses with it; without, those stay. */
void nfc_ipconfig_start(NfcIpconfig *ipc, const NfcIpv4Config *v4, const NfcIpv6Config *v6,
			struct in_addr last_dhcp);
void nfc_ipconfig_stop(NfcIpconfig *ipc, bool release);
bool nfc_ipconfig_is_running(NfcIpconfig *ipc);

const NfcIpv4State *nfc_ipconfig_get_ipv4(NfcIpconfig *ipc);
const NfcIpv6State *nfc_ipconfig_get_ipv6(NfcIpconfig *ipc);

/* With the auto method, while running: the nameservers (RDNSS) and search
 * domains (DNSSL) the link's routers advertise, unexpired, in the order
 * first heard, at most NFC_RTNL_ND_MAX_SERVERS/DOMAINS of each. A new
 * NULL-terminated array (g_strfreev). */
char **nfc_ipconfig_get_ra_nameservers(NfcIpconfig *ipc);
char **nfc_ipconfig_get_ra_domains(NfcIpconfig *ipc);

/* A list of advertised values with their expiry (monotonic µs, G_MAXINT64
 * for never), as RFC 8106 keeps them. update: a value heard with lifetime
 * seconds at now (0: withdrawn, 0xffffffff: forever; a new value beyond max
 * entries is dropped); expire: drops what is due at now, *next gets the
 * earliest expiry left (G_MAXINT64: none). Both return whether the set of
 * values changed (a refresh is no change). Pure. */
typedef struct {
	char value[NFC_RTNL_ND_DOMAIN_LEN];
	gint64 expires;
} NfcRaEntry;
bool nfc_ra_list_update(GArray *list, const char *value, uint32_t lifetime, gint64 now,
			guint max);
bool nfc_ra_list_expire(GArray *list, gint64 now, gint64 *next);

/* With the auto method: which of the link's usable global IPv6 addresses
 * to report, given the one reported now (current, may be NULL). The
 * current one while it is there and not deprecated; else the best: not
 * deprecated, then stable before temporary, then the longest preferred
 * lifetime (a deprecated current one stays unless that beats it). An
 * index into addrs, or -1 when n is 0. Pure. */
int nfc_ipv6_choose(const NfcRtnlAddr *addrs, size_t n, const struct in6_addr *current);

/* Parsing and printing of the D-Bus/storage forms, pure. */
const char *nfc_ipv4_method_to_string(NfcIpv4Method m);
bool nfc_ipv4_method_from_string(const char *s, NfcIpv4Method *m);
const char *nfc_ipv6_method_to_string(NfcIpv6Method m);
bool nfc_ipv6_method_from_string(const char *s, NfcIpv6Method *m);
/* "255.255.255.0" ↔ 24; false for a non-contiguous mask */
bool nfc_netmask_to_prefixlen(const char *netmask, uint8_t *prefixlen);
void nfc_prefixlen_to_netmask(uint8_t prefixlen, char buf[INET_ADDRSTRLEN]);
