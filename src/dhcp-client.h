/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DHCPv4 client (RFC 2131) for one interface. It obtains and keeps a lease
 * and reports it; it never configures the interface itself: the ipconfig
 * layer applies the lease through rtnl. Raw packet socket while it has no
 * address (accepting veth's partial checksums), UDP unicast to the server
 * when renewing. All on the GLib main loop. */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct NfcDhcpClient NfcDhcpClient;

typedef struct {
	struct in_addr address;
	uint8_t prefixlen;           /* from option 1; classful default if absent */
	struct in_addr server_id;    /* option 54 */
	struct in_addr routers[4];   /* option 3 */
	unsigned int n_routers;
	struct in_addr dns[8];       /* option 6 */
	unsigned int n_dns;
	struct in_addr ntp[4];       /* option 42 */
	unsigned int n_ntp;
	char domain[256];            /* option 15, "" if none */
	char wpad[256];              /* option 252 (proxy autoconfig URL), "" if none */
	uint16_t mtu;                /* option 26, 0 if none */
	uint32_t lease_time;         /* option 51, seconds */
	uint32_t t1, t2;             /* options 58/59, or 1/2 and 7/8 of the lease */
} NfcDhcpLease;

typedef enum {
	NFC_DHCP_BOUND,     /* a new lease (first, or another address after a NAK) */
	NFC_DHCP_RENEWED,   /* the same address, new times or options */
	NFC_DHCP_EXPIRED,   /* the lease ran out, or the server NAKed it: drop the address */
	NFC_DHCP_FAILED,    /* no lease after the initial attempts; the client keeps trying */
} NfcDhcpEvent;

/* The callback may call nfc_dhcp_client_stop() but must not free the
 * client. */
typedef void (*NfcDhcpEventFunc)(NfcDhcpClient *client, NfcDhcpEvent event,
				 const NfcDhcpLease *lease, void *user_data);

NfcDhcpClient *nfc_dhcp_client_new(int ifindex, const uint8_t mac[6],
				   NfcDhcpEventFunc func, void *user_data);
void nfc_dhcp_client_free(NfcDhcpClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcDhcpClient, nfc_dhcp_client_free)

/* Optional, before start: option 12 and option 60. */
void nfc_dhcp_client_set_hostname(NfcDhcpClient *client, const char *hostname);
void nfc_dhcp_client_set_vendor_class(NfcDhcpClient *client, const char *vendor_class);
/* Seconds without a lease before NFC_DHCP_FAILED (default 30); tests use
 * a short one. */
void nfc_dhcp_client_set_failure_timeout(NfcDhcpClient *client, unsigned int seconds);

/* Start: INIT-REBOOT with last_address (REQUEST for it; NAK → DISCOVER),
 * else INIT (DISCOVER). 0 or negative errno. */
int nfc_dhcp_client_start(NfcDhcpClient *client, const struct in_addr *last_address);
/* Stop; with release, send DHCPRELEASE for a bound lease first. */
void nfc_dhcp_client_stop(NfcDhcpClient *client, bool release);

/* The current lease, or NULL when not bound. */
const NfcDhcpLease *nfc_dhcp_client_get_lease(NfcDhcpClient *client);
