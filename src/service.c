// SPDX-License-Identifier: GPL-2.0-or-later
#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "online.h"
#include "service-settings.h"
#include "storage.h"
#include "string-table.h"
#include "watchlist.h"

struct NfcService {
	char *identifier;
	char *path;
	char *type;
	char *name;
	char *ifname;
	char *mac;
	int index;
	unsigned int mtu;
	NfcServiceState state;
	NfcServiceError error;
	bool favorite;
	bool autoconnect;
	bool user_disconnected; /* Disconnect(): no autoconnect until Connect() */
	int order;
	NfcIpconfig *ipconfig;
	NfcIpv4Config v4_config;
	NfcIpv6Config v6_config;
	struct in_addr last_dhcp;
	char **nameservers_config;
	char **timeservers_config;
	char **domains_config;
	NfcProxyConfig proxy_config;
	bool mdns_config;
	/* one check per family while that family is up; online when either
	 * passes, as ConnMan (a service without IPv4 goes online over IPv6) */
	NfcOnlineCheck *online4;
	NfcOnlineCheck *online6;
	bool online4_ok;
	bool online6_ok;
	gint64 connected_at;    /* monotonic µs when it became ready, 0 if not */
};

static GHashTable *services; /* identifier → NfcService */
static GList *ordered;
static NfcWatchList watches;

static void notify_changed(NfcService *s, const char *property)
{
	NFC_WATCH_LIST_NOTIFY(&watches, NfcServiceWatch, changed, s, property);
}

static void notify_order(void)
{
	NFC_WATCH_LIST_NOTIFY_NO_ARGS(&watches, NfcServiceWatch, order_changed);
}

unsigned int nfc_service_watch_add(const NfcServiceWatch *cbs, void *user_data)
{
	return nfc_watch_list_add(&watches, cbs, sizeof(*cbs), user_data, NULL);
}

void nfc_service_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&watches, id);
}

/* ---- ordering ------------------------------------------------------------ */

static bool state_connected(NfcServiceState s)
{
	return s == NFC_SERVICE_READY || s == NFC_SERVICE_ONLINE;
}

static bool state_connecting(NfcServiceState s)
{
	return s == NFC_SERVICE_ASSOCIATION || s == NFC_SERVICE_CONFIGURATION;
}

static int type_rank(const char *type)
{
	static const char *const order[] = {
		"ethernet", "wifi", "gadget", "bluetooth", "cellular", "vpn", NULL
	};

	for (int i = 0; order[i]; i++)
		if (g_str_equal(order[i], type))
			return i;
	return G_N_ELEMENTS(order);
}

static int preferred_rank(char **preferred, const char *type)
{
	for (int i = 0; preferred && preferred[i]; i++)
		if (g_str_equal(preferred[i], type))
			return i;
	return G_MAXINT;
}

int nfc_service_rank_compare(const NfcServiceRank *a, const NfcServiceRank *b,
			     char **preferred)
{
	bool ac = state_connected(a->state), bc = state_connected(b->state);
	int pa, pb;

	if (ac != bc)
		return ac ? -1 : 1;
	if (ac) {
		/* among connected services the user's order counts first, then
		 * preferred technologies, then online before ready */
		if (a->order != b->order)
			return a->order > b->order ? -1 : 1;
		pa = preferred_rank(preferred, a->type);
		pb = preferred_rank(preferred, b->type);
		if (pa != pb)
			return pa < pb ? -1 : 1;
		if ((a->state == NFC_SERVICE_ONLINE) != (b->state == NFC_SERVICE_ONLINE))
			return a->state == NFC_SERVICE_ONLINE ? -1 : 1;
	} else if (state_connecting(a->state) != state_connecting(b->state)) {
		return state_connecting(a->state) ? -1 : 1;
	}
	if (a->favorite != b->favorite)
		return a->favorite ? -1 : 1;
	if (!g_str_equal(a->type, b->type)) {
		pa = preferred_rank(preferred, a->type);
		pb = preferred_rank(preferred, b->type);
		if (pa != pb)
			return pa < pb ? -1 : 1;
		return type_rank(a->type) < type_rank(b->type) ? -1 : 1;
	}
	/* deterministic to the end: never hash order */
	return strcmp(a->identifier, b->identifier);
}

static NfcServiceRank rank_of(NfcService *s)
{
	return (NfcServiceRank){ s->identifier, s->type, s->state, s->favorite, s->order };
}

static int compare(gconstpointer a, gconstpointer b)
{
	NfcServiceRank ra = rank_of((NfcService *)a), rb = rank_of((NfcService *)b);

	return nfc_service_rank_compare(&ra, &rb, nfc_config_active()->preferred_technologies);
}

/* Re-sort; tell watchers when the order changed. */
static void resort(bool force_notify)
{
	GList *old = g_list_copy(ordered);
	bool changed = force_notify;

	ordered = g_list_sort(ordered, compare);
	for (GList *a = old, *b = ordered; !changed && (a || b); a = a->next, b = b->next)
		changed = !a || !b || a->data != b->data;
	g_list_free(old);
	if (changed)
		notify_order();
}

static void update_manager(void)
{
	bool ready = false, online = false;

	for (GList *l = ordered; l; l = l->next) {
		NfcService *s = l->data;

		ready |= s->state == NFC_SERVICE_READY;
		online |= s->state == NFC_SERVICE_ONLINE;
	}
	nfc_manager_set_connectivity(ready, online);
}

/* ---- persistence --------------------------------------------------------- */

static char *settings_name(NfcService *s)
{
	return g_strdup_printf("%s/settings", s->identifier);
}

static void load(NfcService *s)
{
	g_autofree char *name = settings_name(s);
	g_autoptr(GKeyFile) kf = nfc_storage_load(name);
	NfcServiceSettings set;

	/* validated as SetProperty validates: the file may have been edited */
	nfc_service_settings_load(kf, s->identifier, &set);
	s->autoconnect = set.autoconnect;
	s->v4_config = set.v4;
	s->v6_config = set.v6;
	s->last_dhcp = set.last_dhcp;
	s->nameservers_config = g_steal_pointer(&set.nameservers);
	s->timeservers_config = g_steal_pointer(&set.timeservers);
	s->domains_config = g_steal_pointer(&set.domains);
	s->proxy_config = set.proxy;
	set.proxy = (NfcProxyConfig){ NFC_PROXY_UNSET };
	s->mdns_config = set.mdns;
	nfc_service_settings_clear(&set);
}

/* Writes the settings file (atomically: the old or the new one is on
 * disk). Returns 0 or a negative errno; the setters write the new value
 * before they adopt it, so a failed write leaves the service as it was. */
static int save(NfcService *s)
{
	g_autofree char *name = settings_name(s);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *modified = g_date_time_format_iso8601(now);
	const char *g = s->identifier;
	char buf[INET6_ADDRSTRLEN];

	g_key_file_set_string(kf, g, "Name", s->name);
	g_key_file_set_boolean(kf, g, "AutoConnect", s->autoconnect);
	g_key_file_set_string(kf, g, "Modified", modified);
	g_key_file_set_string(kf, g, "IPv4.method", nfc_ipv4_method_to_string(s->v4_config.method));
	if (s->v4_config.method == NFC_IPV4_MANUAL) {
		g_key_file_set_integer(kf, g, "IPv4.netmask_prefixlen", s->v4_config.prefixlen);
		g_key_file_set_string(kf, g, "IPv4.local_address",
				      inet_ntop(AF_INET, &s->v4_config.address, buf, sizeof(buf)));
		if (s->v4_config.gateway.s_addr)
			g_key_file_set_string(kf, g, "IPv4.gateway",
					      inet_ntop(AF_INET, &s->v4_config.gateway, buf, sizeof(buf)));
	}
	if (s->last_dhcp.s_addr)
		g_key_file_set_string(kf, g, "IPv4.DHCP.LastAddress",
				      inet_ntop(AF_INET, &s->last_dhcp, buf, sizeof(buf)));
	g_key_file_set_string(kf, g, "IPv6.method", nfc_ipv6_method_to_string(s->v6_config.method));
	g_key_file_set_string(kf, g, "IPv6.privacy", s->v6_config.privacy);
	if (s->v6_config.method == NFC_IPV6_MANUAL) {
		g_key_file_set_integer(kf, g, "IPv6.prefix_length", s->v6_config.prefixlen);
		g_key_file_set_string(kf, g, "IPv6.local_address",
				      inet_ntop(AF_INET6, &s->v6_config.address, buf, sizeof(buf)));
		if (memcmp(&s->v6_config.gateway, &in6addr_any, sizeof(in6addr_any)))
			g_key_file_set_string(kf, g, "IPv6.gateway",
					      inet_ntop(AF_INET6, &s->v6_config.gateway, buf, sizeof(buf)));
	}
	if (s->nameservers_config[0])
		g_key_file_set_string_list(kf, g, "Nameservers",
					   (const char *const *)s->nameservers_config,
					   g_strv_length(s->nameservers_config));
	if (s->timeservers_config[0])
		g_key_file_set_string_list(kf, g, "Timeservers",
					   (const char *const *)s->timeservers_config,
					   g_strv_length(s->timeservers_config));
	if (s->domains_config[0])
		g_key_file_set_string_list(kf, g, "Domains", (const char *const *)s->domains_config,
					   g_strv_length(s->domains_config));
	nfc_proxy_config_save(&s->proxy_config, kf, g);
	if (s->mdns_config)
		g_key_file_set_boolean(kf, g, "mDNS", true);
	if (!nfc_storage_save(name, kf, &error)) {
		nfc_error("%s: cannot save settings: %s", s->identifier, error->message);
		return nfc_storage_errno(error);
	}
	return 0;
}

/* ---- state machine ------------------------------------------------------- */

static void set_state(NfcService *s, NfcServiceState state)
{
	bool was_connected;

	if (s->state == state)
		return;
	nfc_info("%s (%s): %s -> %s", s->identifier, s->ifname,
		 nfc_service_state_to_string(s->state), nfc_service_state_to_string(state));
	was_connected = state_connected(s->state);
	s->state = state;
	if (!was_connected && state_connected(state))
		s->connected_at = g_get_monotonic_time();
	else if (was_connected && !state_connected(state))
		s->connected_at = 0;
	if (state != NFC_SERVICE_FAILURE && s->error != NFC_SERVICE_ERROR_NONE) {
		s->error = NFC_SERVICE_ERROR_NONE;
		notify_changed(s, "Error");
	}
	notify_changed(s, "State");
	if (was_connected != state_connected(state)) {
		/* the lists that are empty unless connected */
		notify_changed(s, "Nameservers");
		notify_changed(s, "Timeservers");
		notify_changed(s, "Domains");
		notify_changed(s, "Proxy");
	}
	resort(false);
	update_manager();
}

static void update_online(NfcService *s)
{
	nfc_service_set_online(s, s->online4_ok || s->online6_ok);
}

static void on_online4(bool online, void *user_data)
{
	NfcService *s = user_data;

	s->online4_ok = online;
	update_online(s);
}

static void on_online6(bool online, void *user_data)
{
	NfcService *s = user_data;

	s->online6_ok = online;
	update_online(s);
}

static char **online_nameservers(void *user_data)
{
	return nfc_service_get_nameservers(user_data);
}

static void start_online_check(NfcService *s, int family)
{
	const NfcConfig *cfg = nfc_config_active();
	NfcOnlineCheck **check = family == AF_INET ? &s->online4 : &s->online6;

	if (*check)
		return;
	if (cfg->online_check_mode == NFC_ONLINE_CHECK_NONE)
		return;
	/* through this service: its interface, its own nameservers */
	*check = nfc_online_check_start(s->ifname, family,
					family == AF_INET ? cfg->online_check_ipv4_url :
							    cfg->online_check_ipv6_url,
					online_nameservers,
					family == AF_INET ? on_online4 : on_online6, s);
}

/* The family is gone: its verdict with it (the other's may still hold). */
static void stop_online_check(NfcService *s, int family)
{
	if (family == AF_INET) {
		g_clear_pointer(&s->online4, nfc_online_check_stop);
		s->online4_ok = false;
	} else {
		g_clear_pointer(&s->online6, nfc_online_check_stop);
		s->online6_ok = false;
	}
	update_online(s);
}

static void on_ipconfig(NfcIpconfig *ipc, NfcIpconfigEvent ev, void *user_data)
{
	NfcService *s = user_data;
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(ipc);
	const NfcIpv6State *v6 = nfc_ipconfig_get_ipv6(ipc);

	switch (ev) {
	case NFC_IPCONFIG_IPV4_UP:
		if (v4->method == NFC_IPV4_DHCP && v4->address.s_addr != s->last_dhcp.s_addr) {
			s->last_dhcp = v4->address;
			save(s);
		}
		notify_changed(s, "IPv4");
		notify_changed(s, "Nameservers");
		notify_changed(s, "Timeservers");
		notify_changed(s, "Domains");
		notify_changed(s, "Proxy"); /* the lease's option 252 */
		if (!state_connected(s->state))
			set_state(s, NFC_SERVICE_READY);
		start_online_check(s, AF_INET);
		break;
	case NFC_IPCONFIG_IPV6_UP:
		notify_changed(s, "IPv6");
		if (!state_connected(s->state))
			set_state(s, NFC_SERVICE_READY);
		start_online_check(s, AF_INET6);
		break;
	case NFC_IPCONFIG_IPV4_DOWN:
	case NFC_IPCONFIG_IPV6_DOWN:
		notify_changed(s, ev == NFC_IPCONFIG_IPV4_DOWN ? "IPv4" : "IPv6");
		if (ev == NFC_IPCONFIG_IPV4_DOWN) {
			notify_changed(s, "Nameservers");
			notify_changed(s, "Domains");
			notify_changed(s, "Proxy");
		}
		stop_online_check(s, ev == NFC_IPCONFIG_IPV4_DOWN ? AF_INET : AF_INET6);
		if (state_connected(s->state) && !v4->up && !v6->up && nfc_ipconfig_is_running(ipc))
			set_state(s, NFC_SERVICE_CONFIGURATION);
		break;
	case NFC_IPCONFIG_IPV6_RA_DNS:
		notify_changed(s, "Nameservers");
		notify_changed(s, "Domains");
		break;
	case NFC_IPCONFIG_IPV4_FAILED:
		if (!v6->up && s->state == NFC_SERVICE_CONFIGURATION) {
			s->error = NFC_SERVICE_ERROR_DHCP_FAILED;
			set_state(s, NFC_SERVICE_FAILURE);
			notify_changed(s, "Error");
		}
		break;
	}
}

static void start(NfcService *s)
{
	if (nfc_ipconfig_is_running(s->ipconfig))
		return;
	set_state(s, NFC_SERVICE_CONFIGURATION);
	nfc_ipconfig_start(s->ipconfig, &s->v4_config, &s->v6_config, s->last_dhcp);
	if (s->v4_config.method == NFC_IPV4_OFF && s->v6_config.method == NFC_IPV6_OFF)
		/* nothing to configure: connected at link level only */
		set_state(s, NFC_SERVICE_READY);
}

static void stop(NfcService *s, bool release)
{
	g_clear_pointer(&s->online4, nfc_online_check_stop);
	g_clear_pointer(&s->online6, nfc_online_check_stop);
	s->online4_ok = s->online6_ok = false;
	if (!nfc_ipconfig_is_running(s->ipconfig) && s->state == NFC_SERVICE_IDLE)
		return;
	if (state_connected(s->state) || s->state == NFC_SERVICE_CONFIGURATION)
		set_state(s, NFC_SERVICE_DISCONNECT);
	nfc_ipconfig_stop(s->ipconfig, release);
	set_state(s, NFC_SERVICE_IDLE);
}

static void restart(NfcService *s)
{
	if (!nfc_ipconfig_is_running(s->ipconfig))
		return;
	stop(s, false);
	start(s);
}

static bool may_autoconnect(NfcService *s)
{
	const NfcConfig *cfg = nfc_config_active();

	return s->autoconnect && !s->user_disconnected && !nfc_manager_get_offline_mode() &&
	       g_strv_contains((const char *const *)cfg->default_autoconnect_technologies, s->type);
}

/* ---- lifecycle ----------------------------------------------------------- */

NfcService *nfc_service_new_ethernet(int ifindex, const char *ifname,
				     const unsigned char mac[6], unsigned int mtu)
{
	NfcService *s = g_new0(NfcService, 1);

	s->identifier = g_strdup_printf("ethernet_%02x%02x%02x%02x%02x%02x_cable",
					mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	s->path = g_strdup_printf("/net/connman/service/%s", s->identifier);
	s->mac = g_strdup_printf("%02X:%02X:%02X:%02X:%02X:%02X",
				 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	s->type = g_strdup("ethernet");
	s->name = g_strdup("Wired");
	s->ifname = g_strdup(ifname);
	s->index = ifindex;
	s->mtu = mtu;
	s->state = NFC_SERVICE_IDLE;
	s->favorite = g_strv_contains((const char *const *)
				      nfc_config_active()->default_favorite_technologies, "ethernet");
	load(s);
	s->ipconfig = nfc_ipconfig_new(ifindex, ifname, mac, on_ipconfig, s);

	g_hash_table_insert(services, s->identifier, s);
	ordered = g_list_insert_sorted(ordered, s, compare);
	nfc_info("service %s on %s", s->identifier, ifname);
	NFC_WATCH_LIST_NOTIFY(&watches, NfcServiceWatch, added, s);
	notify_order();
	if (may_autoconnect(s))
		start(s);
	return s;
}

static void service_free(NfcService *s)
{
	nfc_ipconfig_free(s->ipconfig);
	g_strfreev(s->nameservers_config);
	g_strfreev(s->timeservers_config);
	g_strfreev(s->domains_config);
	nfc_proxy_config_clear(&s->proxy_config);
	g_free(s->identifier);
	g_free(s->path);
	g_free(s->type);
	g_free(s->name);
	g_free(s->ifname);
	g_free(s->mac);
	g_free(s);
}

void nfc_service_remove(NfcService *s)
{
	nfc_info("service %s gone", s->identifier);
	stop(s, false);
	ordered = g_list_remove(ordered, s);
	g_hash_table_steal(services, s->identifier);
	NFC_WATCH_LIST_NOTIFY(&watches, NfcServiceWatch, removed, s);
	notify_order();
	update_manager();
	service_free(s);
}

void nfc_service_init(void)
{
	services = g_hash_table_new(g_str_hash, g_str_equal);
}

void nfc_service_cleanup(void)
{
	while (ordered)
		nfc_service_remove(ordered->data);
	g_clear_pointer(&services, g_hash_table_unref);
	nfc_watch_list_clear(&watches);
}

/* ---- getters ------------------------------------------------------------- */

NfcService *nfc_service_lookup(const char *identifier)
{
	return services ? g_hash_table_lookup(services, identifier) : NULL;
}

NfcService *nfc_service_lookup_by_index(int ifindex)
{
	for (GList *l = ordered; l; l = l->next)
		if (((NfcService *)l->data)->index == ifindex)
			return l->data;
	return NULL;
}

GList *nfc_service_get_list(void) { return ordered; }

NfcService *nfc_service_get_default(void)
{
	NfcService *s = ordered ? ordered->data : NULL;

	return s && state_connected(s->state) ? s : NULL;
}

const char *nfc_service_get_identifier(NfcService *s) { return s->identifier; }
const char *nfc_service_get_path(NfcService *s) { return s->path; }
const char *nfc_service_get_type(NfcService *s) { return s->type; }
const char *nfc_service_get_name(NfcService *s) { return s->name; }
const char *nfc_service_get_interface(NfcService *s) { return s->ifname; }
int nfc_service_get_index(NfcService *s) { return s->index; }
const char *nfc_service_get_mac(NfcService *s) { return s->mac; }
unsigned int nfc_service_get_mtu(NfcService *s) { return s->mtu; }
NfcServiceState nfc_service_get_state(NfcService *s) { return s->state; }
NfcServiceError nfc_service_get_error(NfcService *s) { return s->error; }
bool nfc_service_get_favorite(NfcService *s) { return s->favorite; }
bool nfc_service_get_autoconnect(NfcService *s) { return s->favorite && s->autoconnect; }
bool nfc_service_is_connected(NfcService *s) { return state_connected(s->state); }
NfcIpconfig *nfc_service_get_ipconfig(NfcService *s) { return s->ipconfig; }
char **nfc_service_get_nameservers_config(NfcService *s) { return s->nameservers_config; }
char **nfc_service_get_timeservers_config(NfcService *s) { return s->timeservers_config; }
char **nfc_service_get_domains_config(NfcService *s) { return s->domains_config; }

static const char *const state_names[] = {
	[NFC_SERVICE_IDLE] = "idle",
	[NFC_SERVICE_ASSOCIATION] = "association",
	[NFC_SERVICE_CONFIGURATION] = "configuration",
	[NFC_SERVICE_READY] = "ready",
	[NFC_SERVICE_ONLINE] = "online",
	[NFC_SERVICE_DISCONNECT] = "disconnect",
	[NFC_SERVICE_FAILURE] = "failure",
};

/* NONE has no name: the D-Bus layer shows no error then */
static const char *const error_names[] = {
	[NFC_SERVICE_ERROR_DHCP_FAILED] = "dhcp-failed",
	[NFC_SERVICE_ERROR_CONNECT_FAILED] = "connect-failed",
	[NFC_SERVICE_ERROR_ONLINE_CHECK_FAILED] = "online-check-failed",
};

NFC_STRING_TABLE_FULL(nfc_service_state, NfcServiceState, state_names, "idle")

NFC_STRING_TABLE_FULL(nfc_service_error, NfcServiceError, error_names, NULL)

/* An ordered list without repeats. The set makes each add O(1): the
 * effective lists are built on every PropertyChanged and resolv.conf
 * write, and a scan per entry made a long configured list quadratic. */
typedef struct {
	GPtrArray *items;
	GHashTable *seen; /* borrowed from items */
} UniqueList;

static void unique_init(UniqueList *l)
{
	l->items = g_ptr_array_new();
	l->seen = g_hash_table_new(g_str_hash, g_str_equal);
}

static void unique_add(UniqueList *l, const char *item)
{
	char *copy;

	if (g_hash_table_contains(l->seen, item))
		return;
	copy = g_strdup(item);
	g_ptr_array_add(l->items, copy);
	g_hash_table_add(l->seen, copy);
}

static char **unique_finish(UniqueList *l)
{
	g_hash_table_unref(l->seen);
	g_ptr_array_add(l->items, NULL);
	return (char **)g_ptr_array_free(l->items, FALSE);
}

char **nfc_service_get_nameservers(NfcService *s)
{
	UniqueList out;
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(s->ipconfig);
	char buf[INET_ADDRSTRLEN];

	unique_init(&out);
	if (!state_connected(s->state))
		return unique_finish(&out);
	/* as ConnMan: the user's list replaces what the network says, which
	 * is DHCP's, then the routers' (RDNSS) */
	if (s->nameservers_config[0]) {
		for (char **n = s->nameservers_config; *n; n++)
			unique_add(&out, *n);
	} else {
		g_auto(GStrv) ra = nfc_ipconfig_get_ra_nameservers(s->ipconfig);

		for (unsigned int i = 0; v4->up && i < v4->n_dns; i++)
			unique_add(&out, inet_ntop(AF_INET, &v4->dns[i], buf, sizeof(buf)));
		for (char **n = ra; *n; n++)
			unique_add(&out, *n);
	}
	for (char **n = nfc_config_active()->fallback_nameservers; *n; n++)
		unique_add(&out, *n);
	return unique_finish(&out);
}

char **nfc_service_get_timeservers(NfcService *s)
{
	UniqueList out;
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(s->ipconfig);
	char buf[INET_ADDRSTRLEN];

	unique_init(&out);
	if (!state_connected(s->state))
		return unique_finish(&out);
	if (s->timeservers_config[0]) {
		for (char **n = s->timeservers_config; *n; n++)
			unique_add(&out, *n);
	} else if (v4->up) {
		for (unsigned int i = 0; i < v4->n_ntp; i++)
			unique_add(&out, inet_ntop(AF_INET, &v4->ntp[i], buf, sizeof(buf)));
	}
	return unique_finish(&out);
}

char **nfc_service_get_domains(NfcService *s)
{
	UniqueList out;
	const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(s->ipconfig);

	unique_init(&out);
	if (!state_connected(s->state))
		return unique_finish(&out);
	if (s->domains_config[0]) {
		for (char **n = s->domains_config; *n; n++)
			unique_add(&out, *n);
	} else {
		g_auto(GStrv) ra = nfc_ipconfig_get_ra_domains(s->ipconfig);

		if (v4->up && v4->domain[0])
			unique_add(&out, v4->domain);
		for (char **n = ra; *n; n++)
			unique_add(&out, *n);
	}
	return unique_finish(&out);
}

/* ---- setters ------------------------------------------------------------- */

int nfc_service_set_autoconnect(NfcService *s, bool autoconnect)
{
	int r;

	if (!s->favorite)
		return -ENOENT; /* the D-Bus layer answers InvalidService */
	if (s->autoconnect == autoconnect)
		return 0;
	s->autoconnect = autoconnect;
	r = save(s);
	if (r < 0) {
		s->autoconnect = !autoconnect;
		return r;
	}
	notify_changed(s, "AutoConnect");
	if (autoconnect && may_autoconnect(s) && s->state == NFC_SERVICE_IDLE)
		start(s);
	return 0;
}

static int set_list(NfcService *s, char ***field, char **list, const char *property,
		    const char *effective)
{
	char **old = *field;
	int r;

	*field = g_strdupv(list);
	r = save(s);
	if (r < 0) {
		g_strfreev(*field);
		*field = old;
		return r;
	}
	g_strfreev(old);
	notify_changed(s, property);
	notify_changed(s, effective);
	return 0;
}

int nfc_service_set_nameservers_config(NfcService *s, char **list)
{
	return set_list(s, &s->nameservers_config, list, "Nameservers.Configuration",
			"Nameservers");
}

int nfc_service_set_timeservers_config(NfcService *s, char **list)
{
	return set_list(s, &s->timeservers_config, list, "Timeservers.Configuration",
			"Timeservers");
}

int nfc_service_set_domains_config(NfcService *s, char **list)
{
	return set_list(s, &s->domains_config, list, "Domains.Configuration", "Domains");
}

int nfc_service_set_ipv4_config(NfcService *s, const NfcIpv4Config *config)
{
	NfcIpv4Config old = s->v4_config;
	int r;

	s->v4_config = *config;
	r = save(s);
	if (r < 0) {
		s->v4_config = old;
		return r;
	}
	notify_changed(s, "IPv4.Configuration");
	restart(s);
	return 0;
}

int nfc_service_set_ipv6_config(NfcService *s, const NfcIpv6Config *config)
{
	NfcIpv6Config old = s->v6_config;
	int r;

	s->v6_config = *config;
	r = save(s);
	if (r < 0) {
		s->v6_config = old;
		return r;
	}
	notify_changed(s, "IPv6.Configuration");
	restart(s);
	return 0;
}

int nfc_service_set_proxy_config(NfcService *s, const NfcProxyConfig *config)
{
	NfcProxyConfig old = s->proxy_config;
	int r;

	nfc_proxy_config_copy(&s->proxy_config, config);
	r = save(s);
	if (r < 0) {
		nfc_proxy_config_clear(&s->proxy_config);
		s->proxy_config = old;
		return r;
	}
	nfc_proxy_config_clear(&old);
	notify_changed(s, "Proxy.Configuration");
	notify_changed(s, "Proxy");
	return 0;
}

int nfc_service_set_mdns_config(NfcService *s, bool mdns)
{
	int r;

	if (s->mdns_config == mdns)
		return 0;
	s->mdns_config = mdns;
	r = save(s);
	if (r < 0) {
		s->mdns_config = !mdns;
		return r;
	}
	notify_changed(s, "mDNS.Configuration");
	return 0;
}

const NfcProxyConfig *nfc_service_get_proxy_config(NfcService *s) { return &s->proxy_config; }
bool nfc_service_get_mdns_config(NfcService *s) { return s->mdns_config; }
const NfcIpv4Config *nfc_service_get_ipv4_config(NfcService *s) { return &s->v4_config; }
const NfcIpv6Config *nfc_service_get_ipv6_config(NfcService *s) { return &s->v6_config; }

int nfc_service_clear_error(NfcService *s)
{
	if (s->state != NFC_SERVICE_FAILURE)
		return 0;
	stop(s, false);
	return 0;
}

int nfc_service_connect(NfcService *s)
{
	if (state_connected(s->state))
		return -EISCONN;
	if (s->state == NFC_SERVICE_CONFIGURATION || s->state == NFC_SERVICE_ASSOCIATION)
		return -EINPROGRESS;
	s->user_disconnected = false;
	if (s->state == NFC_SERVICE_FAILURE)
		stop(s, false);
	start(s);
	return 0;
}

int nfc_service_disconnect(NfcService *s)
{
	s->user_disconnected = true;
	if (s->state == NFC_SERVICE_IDLE)
		return -ENOTCONN;
	stop(s, true);
	return 0;
}

int nfc_service_move(NfcService *s, NfcService *target, bool before)
{
	if (s == target)
		return 0;
	if (!s->favorite || !target->favorite)
		return -EOPNOTSUPP;
	/* make room next to target, keeping everyone else's relative order */
	for (GList *l = ordered; l; l = l->next) {
		NfcService *o = l->data;

		if (o == s)
			continue;
		if (before && o->order > target->order)
			o->order++;
		if (!before && o->order < target->order)
			o->order--;
	}
	s->order = before ? target->order + 1 : target->order - 1;
	resort(false);
	return 0;
}

void nfc_service_set_online(NfcService *s, bool online)
{
	if (online && s->state == NFC_SERVICE_READY)
		set_state(s, NFC_SERVICE_ONLINE);
	else if (!online && s->state == NFC_SERVICE_ONLINE)
		set_state(s, NFC_SERVICE_READY);
}

void nfc_service_autoconnect_all(void)
{
	for (GList *l = ordered; l; l = l->next) {
		NfcService *s = l->data;

		if (s->state == NFC_SERVICE_IDLE && may_autoconnect(s))
			start(s);
	}
}

guint nfc_service_get_connected_seconds(NfcService *s)
{
	if (!s->connected_at)
		return 0;
	return (guint)((g_get_monotonic_time() - s->connected_at) / G_USEC_PER_SEC);
}
