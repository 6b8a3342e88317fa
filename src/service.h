/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Services: one per usable uplink (for ethernet: a link with carrier).
 * The model, its state machine, the order of services, and persistence of
 * per-service settings. The D-Bus layer and the connection logic observe
 * it through watches. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "ipconfig.h"
#include "service-settings.h"

typedef struct NfcService NfcService;

typedef enum {
	NFC_SERVICE_IDLE,
	NFC_SERVICE_ASSOCIATION,
	NFC_SERVICE_CONFIGURATION,
	NFC_SERVICE_READY,
	NFC_SERVICE_ONLINE,
	NFC_SERVICE_DISCONNECT,
	NFC_SERVICE_FAILURE,
} NfcServiceState;

typedef enum {
	NFC_SERVICE_ERROR_NONE,
	NFC_SERVICE_ERROR_DHCP_FAILED,
	NFC_SERVICE_ERROR_CONNECT_FAILED,
	NFC_SERVICE_ERROR_ONLINE_CHECK_FAILED,
} NfcServiceError;

/* What changed, for watchers. Property names are the D-Bus ones. */
typedef struct {
	void (*added)(NfcService *service, void *user_data);
	void (*removed)(NfcService *service, void *user_data);
	void (*changed)(NfcService *service, const char *property, void *user_data);
	/* the order of services changed (or a service was added/removed) */
	void (*order_changed)(void *user_data);
} NfcServiceWatch;

void nfc_service_init(void);
void nfc_service_cleanup(void);

/* The table is copied; see watchlist.h for what a watcher may do while
 * it is called (remove itself or others, add watchers). */
unsigned int nfc_service_watch_add(const NfcServiceWatch *watch, void *user_data);
void nfc_service_watch_remove(unsigned int id);

/* An ethernet service for a link with carrier: ethernet_<mac>_cable. */
NfcService *nfc_service_new_ethernet(int ifindex, const char *ifname,
				     const unsigned char mac[6], unsigned int mtu);
/* The link went away or lost carrier: tear down and forget (settings stay). */
void nfc_service_remove(NfcService *service);

NfcService *nfc_service_lookup(const char *identifier);
NfcService *nfc_service_lookup_by_index(int ifindex);
/* All services in order (best first); the list is owned by the module. */
GList *nfc_service_get_list(void);
/* The best service that is ready or online, or NULL. */
NfcService *nfc_service_get_default(void);

const char *nfc_service_get_identifier(NfcService *service);
const char *nfc_service_get_path(NfcService *service);
const char *nfc_service_get_type(NfcService *service); /* "ethernet" */
const char *nfc_service_get_name(NfcService *service);
const char *nfc_service_get_interface(NfcService *service);
int nfc_service_get_index(NfcService *service);
const char *nfc_service_get_mac(NfcService *service);   /* "AA:BB:..." */
unsigned int nfc_service_get_mtu(NfcService *service);
NfcServiceState nfc_service_get_state(NfcService *service);
NfcServiceError nfc_service_get_error(NfcService *service);
/* The D-Bus names; NFC_SERVICE_ERROR_NONE has none (NULL). */
const char *nfc_service_state_to_string(NfcServiceState state);
bool nfc_service_state_from_string(const char *s, NfcServiceState *state);
const char *nfc_service_error_to_string(NfcServiceError error);
bool nfc_service_error_from_string(const char *s, NfcServiceError *error);
bool nfc_service_get_favorite(NfcService *service);
bool nfc_service_get_autoconnect(NfcService *service);
bool nfc_service_is_connected(NfcService *service); /* ready or online */
NfcIpconfig *nfc_service_get_ipconfig(NfcService *service);
/* user-configured lists (NULL-terminated, possibly empty) */
char **nfc_service_get_nameservers_config(NfcService *service);
char **nfc_service_get_timeservers_config(NfcService *service);
char **nfc_service_get_domains_config(NfcService *service);
/* effective lists: configuration if set, else from DHCP/RA; plus the
 * fallback nameservers of main.conf. Caller frees. */
char **nfc_service_get_nameservers(NfcService *service);
char **nfc_service_get_timeservers(NfcService *service);
char **nfc_service_get_domains(NfcService *service);

/* Setters used by the D-Bus layer; negative errno on refusal. */
int nfc_service_set_autoconnect(NfcService *service, bool autoconnect);
int nfc_service_set_nameservers_config(NfcService *service, char **list);
int nfc_service_set_timeservers_config(NfcService *service, char **list);
int nfc_service_set_domains_config(NfcService *service, char **list);
int nfc_service_set_ipv4_config(NfcService *service, const NfcIpv4Config *config);
int nfc_service_set_ipv6_config(NfcService *service, const NfcIpv6Config *config);
/* Stored as given (validated by nfc_settings_check_proxy); Proxy follows. */
int nfc_service_set_proxy_config(NfcService *service, const NfcProxyConfig *config);
/* Only the stored wish: the mDNS hand-off (resolved.h) applies it. */
int nfc_service_set_mdns_config(NfcService *service, bool mdns);
int nfc_service_clear_error(NfcService *service);
int nfc_service_connect(NfcService *service);    /* user request */
int nfc_service_disconnect(NfcService *service); /* user request */
int nfc_service_move(NfcService *service, NfcService *target, bool before);

/* The online check reports here. */
void nfc_service_set_online(NfcService *service, bool online);
/* Seconds since it became ready, 0 when not connected. */
guint nfc_service_get_connected_seconds(NfcService *service);
/* Start the idle services that may autoconnect (after offline mode). */
void nfc_service_autoconnect_all(void);
const NfcIpv4Config *nfc_service_get_ipv4_config(NfcService *service);
const NfcIpv6Config *nfc_service_get_ipv6_config(NfcService *service);
const NfcProxyConfig *nfc_service_get_proxy_config(NfcService *service);
bool nfc_service_get_mdns_config(NfcService *service);

/* Pure ordering, exposed for unit tests: <0 when a goes before b. */
typedef struct {
	const char *identifier;
	const char *type;
	NfcServiceState state;
	bool favorite;
	int order;           /* user order from MoveBefore/MoveAfter, higher first */
} NfcServiceRank;
int nfc_service_rank_compare(const NfcServiceRank *a, const NfcServiceRank *b,
			     char **preferred_technologies);
