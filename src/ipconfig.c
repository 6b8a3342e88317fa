// SPDX-License-Identifier: GPL-2.0-or-later
#include "ipconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "dhcp-client.h"
#include "log.h"
#include "router-solicit.h"
#include "rtnl.h"
#include "string-table.h"
#include "sysctl.h"

struct NfcIpconfig {
	int index;
	char *ifname;
	unsigned char mac[6];
	NfcIpconfigFunc func;
	void *user_data;
	bool running;
	NfcIpv4Config v4_config;
	NfcIpv6Config v6_config;
	NfcIpv4State v4;
	NfcIpv6State v6;
	NfcDhcpClient *dhcp;
	struct in_addr v4_added;   /* the address we put on the link, 0: none */
	uint8_t v4_added_len;
	/* the on-link host route to a gateway outside our subnet (a /32
	 * lease), 0: none */
	struct in_addr v4_gw_route;
	bool v6_added;             /* manual IPv6 address on the link */
	/* with auto: the link's usable global IPv6 addresses (NfcRtnlAddr,
	 * from rtnl); v6.address is one of them while v6.up */
	GArray *v6_addrs;
	/* the link's default router in the main table (kernel's, from RAs),
	 * followed even while stopped: a restart keeps what SLAAC made */
	struct in6_addr v6_router;
	unsigned int rtnl_watch;
	/* our address requests in flight (0: none), whose callbacks need us;
	 * cancelled when a newer one supersedes them, at stop and at free */
	int v4_request;
	int v4_route_request;
	int v6_request;
	/* with auto, while running: what the routers advertise (NfcRaEntry) */
	GArray *ra_servers;
	GArray *ra_domains;
	guint ra_timer;
};

static void emit(NfcIpconfig *ipc, NfcIpconfigEvent ev)
{
	ipc->func(ipc, ev, ipc->user_data);
}

/* For removals: they need nothing of the ipconfig, which may be gone by
 * the time they complete, so they are not tracked. */
static void log_done(int error, void *user_data)
{
	/* ECANCELED: the daemon stopped before the kernel answered */
	if (error < 0 && error != -EEXIST && error != -EADDRNOTAVAIL && error != -ESRCH &&
	    error != -ECANCELED)
		nfc_warn("ipconfig: address change failed: %s", g_strerror(-error));
}

static void cancel_request(int *id)
{
	if (*id)
		nfc_rtnl_cancel(*id);
	*id = 0;
}

static void v4_remove_address(NfcIpconfig *ipc)
{
	NfcRtnlAddr a = { 0 };

	if (!ipc->v4_added.s_addr)
		return;
	a.family = AF_INET;
	a.index = ipc->index;
	a.prefixlen = ipc->v4_added_len;
	a.address.v4 = ipc->v4_added;
	nfc_rtnl_addr_del(&a, log_done, NULL);
	ipc->v4_added.s_addr = 0;
}

/* A gateway outside our subnet (after the DHCP parser's filter: only with a
 * /32) is reached through a host route on the link, as dhclient and
 * systemd-networkd do: without it the kernel refuses every route via it. */
static bool v4_gateway_off_subnet(const NfcIpv4State *s)
{
	uint32_t mask = s->prefixlen ? htonl(~0u << (32 - s->prefixlen)) : 0;

	return s->gateway.s_addr &&
	       (s->gateway.s_addr & mask) != (s->address.s_addr & mask);
}

static NfcRtnlRoute v4_gw_host_route(NfcIpconfig *ipc, struct in_addr gateway)
{
	NfcRtnlRoute r = { 0 };

	r.family = AF_INET;
	r.table = RT_TABLE_MAIN;
	r.protocol = RTPROT_STATIC;
	r.scope = RT_SCOPE_LINK;
	r.type = RTN_UNICAST;
	r.dst.v4 = gateway;
	r.dst_len = 32;
	r.oif = ipc->index;
	return r;
}

static void v4_remove_gw_route(NfcIpconfig *ipc)
{
	NfcRtnlRoute r;

	cancel_request(&ipc->v4_route_request);
	if (!ipc->v4_gw_route.s_addr)
		return;
	r = v4_gw_host_route(ipc, ipc->v4_gw_route);
	nfc_rtnl_route_del(&r, log_done, NULL);
	ipc->v4_gw_route.s_addr = 0;
}

static void v4_gw_route_applied(int error, void *user_data)
{
	NfcIpconfig *ipc = user_data;
	char buf[INET_ADDRSTRLEN];

	ipc->v4_route_request = 0;
	/* without it the service still has its address: up, and the default
	 * route's failure is logged where it is made */
	if (error < 0 && error != -EEXIST)
		nfc_warn("%s: cannot add the on-link route to gateway %s: %s", ipc->ifname,
			 inet_ntop(AF_INET, &ipc->v4.gateway, buf, sizeof(buf)),
			 g_strerror(-error));
	ipc->v4.up = true;
	emit(ipc, NFC_IPCONFIG_IPV4_UP);
}

/* The address is on the link: add the gateway's host route if it needs
 * one (replacing: the kernel drops it with the link's last address), then
 * tell. */
static void v4_address_ready(NfcIpconfig *ipc)
{
	NfcRtnlRoute r;
	int id;

	if (ipc->v4_gw_route.s_addr != ipc->v4.gateway.s_addr || !v4_gateway_off_subnet(&ipc->v4))
		v4_remove_gw_route(ipc);
	if (!v4_gateway_off_subnet(&ipc->v4)) {
		ipc->v4.up = true;
		emit(ipc, NFC_IPCONFIG_IPV4_UP);
		return;
	}
	r = v4_gw_host_route(ipc, ipc->v4.gateway);
	ipc->v4_gw_route = ipc->v4.gateway;
	cancel_request(&ipc->v4_route_request);
	id = nfc_rtnl_route_add(&r, true, v4_gw_route_applied, ipc);
	if (id < 0)
		v4_gw_route_applied(id, ipc);
	else
		ipc->v4_route_request = id;
}

static void v4_address_applied(int error, void *user_data)
{
	NfcIpconfig *ipc = user_data;

	ipc->v4_request = 0;
	if (error < 0 && error != -EEXIST) {
		char buf[INET_ADDRSTRLEN];

		nfc_error("%s: cannot add %s/%u: %s", ipc->ifname,
			  inet_ntop(AF_INET, &ipc->v4.address, buf, sizeof(buf)),
			  ipc->v4.prefixlen, g_strerror(-error));
		ipc->v4.up = false;
		emit(ipc, NFC_IPCONFIG_IPV4_FAILED);
		return;
	}
	v4_address_ready(ipc);
}

static void v4_apply_address(NfcIpconfig *ipc)
{
	NfcRtnlAddr a = { 0 };
	uint32_t mask = ipc->v4.prefixlen ? htonl(~0u << (32 - ipc->v4.prefixlen)) : 0;
	int r;

	if (ipc->v4_added.s_addr && ipc->v4_added.s_addr != ipc->v4.address.s_addr)
		v4_remove_address(ipc);
	a.family = AF_INET;
	a.index = ipc->index;
	a.prefixlen = ipc->v4.prefixlen;
	a.address.v4 = ipc->v4.address;
	if (ipc->v4.prefixlen < 31)
		a.broadcast.v4.s_addr = ipc->v4.address.s_addr | ~mask;
	a.valid_lft = a.preferred_lft = 0xffffffff;
	ipc->v4_added = ipc->v4.address;
	ipc->v4_added_len = ipc->v4.prefixlen;
	/* an add still in flight is for an older address, or the same */
	cancel_request(&ipc->v4_request);
	r = nfc_rtnl_addr_add(&a, v4_address_applied, ipc);
	if (r < 0)
		v4_address_applied(-EIO, ipc);
	else
		ipc->v4_request = r;
}

static void on_dhcp(NfcDhcpClient *client, NfcDhcpEvent event, const NfcDhcpLease *lease,
		    void *user_data)
{
	NfcIpconfig *ipc = user_data;
	NfcIpv4State *s = &ipc->v4;

	switch (event) {
	case NFC_DHCP_BOUND:
	case NFC_DHCP_RENEWED:
		s->method = NFC_IPV4_DHCP;
		s->address = lease->address;
		s->prefixlen = lease->prefixlen;
		s->gateway = lease->n_routers ? lease->routers[0] : (struct in_addr){ 0 };
		s->n_dns = MIN(lease->n_dns, G_N_ELEMENTS(s->dns));
		memcpy(s->dns, lease->dns, s->n_dns * sizeof(s->dns[0]));
		s->n_ntp = MIN(lease->n_ntp, G_N_ELEMENTS(s->ntp));
		memcpy(s->ntp, lease->ntp, s->n_ntp * sizeof(s->ntp[0]));
		g_strlcpy(s->domain, lease->domain, sizeof(s->domain));
		g_strlcpy(s->wpad, lease->wpad, sizeof(s->wpad));
		/* another gateway may need another on-link route */
		if (event == NFC_DHCP_BOUND || !s->up ||
		    ipc->v4_gw_route.s_addr != (v4_gateway_off_subnet(s) ? s->gateway.s_addr : 0))
			v4_apply_address(ipc);
		else
			emit(ipc, NFC_IPCONFIG_IPV4_UP);
		break;
	case NFC_DHCP_EXPIRED:
		v4_remove_gw_route(ipc);
		v4_remove_address(ipc);
		memset(s, 0, sizeof(*s));
		s->method = NFC_IPV4_DHCP;
		emit(ipc, NFC_IPCONFIG_IPV4_DOWN);
		break;
	case NFC_DHCP_FAILED:
		if (!s->up)
			emit(ipc, NFC_IPCONFIG_IPV4_FAILED);
		break;
	}
}

static void v6_set(NfcIpconfig *ipc, const char *key, const char *value)
{
	nfc_sysctl_set_if("ipv6", ipc->ifname, key, value);
}

/* ---- IPv6 with auto: which of the link's addresses we report ---------- */

static bool v6_usable(const NfcRtnlAddr *a)
{
	return a->scope == RT_SCOPE_UNIVERSE && a->valid_lft != 0 &&
	       !(a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

static bool v6_deprecated(const NfcRtnlAddr *a)
{
	return (a->flags & IFA_F_DEPRECATED) || a->preferred_lft == 0;
}

static int v6_find(NfcIpconfig *ipc, const struct in6_addr *address)
{
	for (guint i = 0; i < ipc->v6_addrs->len; i++) {
		const NfcRtnlAddr *a = &g_array_index(ipc->v6_addrs, NfcRtnlAddr, i);

		if (!memcmp(&a->address.v6, address, sizeof(*address)))
			return (int)i;
	}
	return -1;
}

/* Whether a is a better address to report than b: not deprecated, then
 * stable rather than temporary (privacy addresses come and go daily; the
 * kernel still picks them as source when asked to), then the longest
 * preferred lifetime (forever is longest). */
static bool v6_better(const NfcRtnlAddr *a, const NfcRtnlAddr *b)
{
	if (v6_deprecated(a) != v6_deprecated(b))
		return !v6_deprecated(a);
	if (!!(a->flags & IFA_F_TEMPORARY) != !!(b->flags & IFA_F_TEMPORARY))
		return !(a->flags & IFA_F_TEMPORARY);
	return a->preferred_lft > b->preferred_lft;
}

int nfc_ipv6_choose(const NfcRtnlAddr *addrs, size_t n, const struct in6_addr *current)
{
	int cur = -1, best = -1;

	for (size_t i = 0; current && i < n; i++)
		if (!memcmp(&addrs[i].address.v6, current, sizeof(*current)))
			cur = (int)i;
	/* no flapping between equals as lifetimes count down */
	if (cur >= 0 && !v6_deprecated(&addrs[cur]))
		return cur;
	for (size_t i = 0; i < n; i++)
		if (best < 0 || v6_better(&addrs[i], &addrs[best]))
			best = (int)i;
	if (cur >= 0 && !v6_better(&addrs[best], &addrs[cur]))
		return cur;
	return best;
}

/* Reports the address nfc_ipv6_choose() picks; only with none left is
 * IPv6 down. */
static void v6_reselect(NfcIpconfig *ipc)
{
	int i = nfc_ipv6_choose((const NfcRtnlAddr *)(void *)ipc->v6_addrs->data, ipc->v6_addrs->len,
				ipc->v6.up ? &ipc->v6.address : NULL);
	const NfcRtnlAddr *best;
	char buf[INET6_ADDRSTRLEN];

	if (i < 0) {
		if (!ipc->v6.up)
			return;
		nfc_info("%s: no global IPv6 address left", ipc->ifname);
		ipc->v6.up = false;
		memset(&ipc->v6.address, 0, sizeof(ipc->v6.address));
		emit(ipc, NFC_IPCONFIG_IPV6_DOWN);
		return;
	}
	best = &g_array_index(ipc->v6_addrs, NfcRtnlAddr, i);
	if (ipc->v6.up && !memcmp(&best->address.v6, &ipc->v6.address, sizeof(ipc->v6.address)))
		return;
	if (ipc->v6.up)
		nfc_info("%s: IPv6 address now %s", ipc->ifname,
			 inet_ntop(AF_INET6, &best->address.v6, buf, sizeof(buf)));
	ipc->v6.address = best->address.v6;
	ipc->v6.prefixlen = best->prefixlen;
	ipc->v6.up = true;
	emit(ipc, NFC_IPCONFIG_IPV6_UP);
}

static void v6_track(NfcIpconfig *ipc, const NfcRtnlAddr *a, bool present)
{
	int i = v6_find(ipc, &a->address.v6);

	if (i >= 0)
		g_array_remove_index(ipc->v6_addrs, (guint)i);
	if (present && v6_usable(a))
		g_array_append_val(ipc->v6_addrs, *a);
}

static void on_addr_added(const NfcRtnlAddr *a, void *user_data)
{
	NfcIpconfig *ipc = user_data;

	if (a->index != ipc->index || a->family != AF_INET6)
		return;
	/* tracked even while stopped: rtnl tells each address once, at
	 * registration or when it comes */
	v6_track(ipc, a, true);
	if (!ipc->running)
		return;
	if (ipc->v6_config.method == NFC_IPV6_AUTO) {
		v6_reselect(ipc);
		return;
	}
	if (!v6_usable(a))
		return;
	if (ipc->v6.up && !memcmp(&ipc->v6.address, &a->address.v6, sizeof(a->address.v6)))
		return;
	if (ipc->v6.up && ipc->v6_config.method == NFC_IPV6_MANUAL)
		return;
	ipc->v6.address = a->address.v6;
	ipc->v6.prefixlen = a->prefixlen;
	ipc->v6.up = true;
	emit(ipc, NFC_IPCONFIG_IPV6_UP);
}

static void on_addr_removed(const NfcRtnlAddr *a, void *user_data)
{
	NfcIpconfig *ipc = user_data;

	if (a->index != ipc->index)
		return;
	if (a->family == AF_INET6)
		v6_track(ipc, a, false);
	if (a->family == AF_INET6 && ipc->running && ipc->v6_config.method == NFC_IPV6_AUTO) {
		v6_reselect(ipc);
	} else if (a->family == AF_INET6 && ipc->v6.up &&
		   !memcmp(&ipc->v6.address, &a->address.v6, sizeof(a->address.v6))) {
		ipc->v6.up = false;
		memset(&ipc->v6.address, 0, sizeof(ipc->v6.address));
		emit(ipc, NFC_IPCONFIG_IPV6_DOWN);
	} else if (a->family == AF_INET && ipc->v4.up && ipc->running &&
		   a->address.v4.s_addr == ipc->v4.address.s_addr) {
		/* someone removed our address: put it back */
		nfc_warn("%s: address removed from outside, restoring it", ipc->ifname);
		ipc->v4_added.s_addr = 0;
		v4_apply_address(ipc);
	}
}

/* ---- RDNSS and DNSSL (RFC 8106) ------------------------------------------ */

static int ra_find(GArray *list, const char *value)
{
	for (guint i = 0; i < list->len; i++)
		if (g_str_equal(g_array_index(list, NfcRaEntry, i).value, value))
			return (int)i;
	return -1;
}

bool nfc_ra_list_update(GArray *list, const char *value, uint32_t lifetime, gint64 now,
			guint max)
{
	int i = ra_find(list, value);
	NfcRaEntry e = { 0 };

	if (lifetime == 0) {
		if (i < 0)
			return false;
		g_array_remove_index(list, (guint)i);
		return true;
	}
	e.expires = lifetime == 0xffffffff ? G_MAXINT64 : now + (gint64)lifetime * G_USEC_PER_SEC;
	if (i >= 0) {
		g_array_index(list, NfcRaEntry, i).expires = e.expires;
		return false;
	}
	if (list->len >= max || g_strlcpy(e.value, value, sizeof(e.value)) >= sizeof(e.value))
		return false;
	g_array_append_val(list, e);
	return true;
}

bool nfc_ra_list_expire(GArray *list, gint64 now, gint64 *next)
{
	bool changed = false;

	*next = G_MAXINT64;
	for (guint i = 0; i < list->len;) {
		const NfcRaEntry *e = &g_array_index(list, NfcRaEntry, i);

		if (e->expires <= now) {
			g_array_remove_index(list, i);
			changed = true;
			continue;
		}
		*next = MIN(*next, e->expires);
		i++;
	}
	return changed;
}

static void ra_schedule(NfcIpconfig *ipc);

static gboolean ra_expired(gpointer data)
{
	NfcIpconfig *ipc = data;

	ipc->ra_timer = 0;
	ra_schedule(ipc);
	return G_SOURCE_REMOVE;
}

/* Drops what expired (telling if it changed anything) and sets the timer
 * for the next expiry. */
static void ra_schedule(NfcIpconfig *ipc)
{
	gint64 now = g_get_monotonic_time(), next_s, next_d;
	bool changed = nfc_ra_list_expire(ipc->ra_servers, now, &next_s);

	changed |= nfc_ra_list_expire(ipc->ra_domains, now, &next_d);
	g_clear_handle_id(&ipc->ra_timer, g_source_remove);
	next_s = MIN(next_s, next_d);
	if (next_s != G_MAXINT64)
		/* rounded up: a timer that fires early finds nothing due */
		ipc->ra_timer = g_timeout_add((guint)MIN((next_s - now + 999) / 1000, G_MAXUINT),
					      ra_expired, ipc);
	if (changed) {
		nfc_info("%s: advertised nameservers or domains expired", ipc->ifname);
		emit(ipc, NFC_IPCONFIG_IPV6_RA_DNS);
	}
}

static void ra_clear(NfcIpconfig *ipc)
{
	g_clear_handle_id(&ipc->ra_timer, g_source_remove);
	g_array_set_size(ipc->ra_servers, 0);
	g_array_set_size(ipc->ra_domains, 0);
}

static void on_nd_options(const NfcRtnlNdOpts *opts, void *user_data)
{
	NfcIpconfig *ipc = user_data;
	gint64 now = g_get_monotonic_time();
	bool changed = false;
	char buf[INET6_ADDRSTRLEN];

	/* as ConnMan: only what SLAAC's routers say counts */
	if (opts->index != ipc->index || !ipc->running || ipc->v6_config.method != NFC_IPV6_AUTO)
		return;
	for (unsigned int i = 0; i < opts->n_servers; i++) {
		g_autofree char *name = NULL;

		inet_ntop(AF_INET6, &opts->servers[i], buf, sizeof(buf));
		/* a link-local server (dnsmasq names itself so) is only
		 * reachable through this link: glibc's resolv.conf and
		 * getaddrinfo read the zone after '%' */
		if (IN6_IS_ADDR_LINKLOCAL(&opts->servers[i]))
			name = g_strdup_printf("%s%%%s", buf, ipc->ifname);
		changed |= nfc_ra_list_update(ipc->ra_servers, name ? name : buf,
					      opts->server_lifetime[i], now, NFC_RTNL_ND_MAX_SERVERS);
	}
	for (unsigned int i = 0; i < opts->n_domains; i++)
		changed |= nfc_ra_list_update(ipc->ra_domains, opts->domains[i],
					      opts->domain_lifetime[i], now, NFC_RTNL_ND_MAX_DOMAINS);
	/* the timer first: the watcher may look at the lists */
	ra_schedule(ipc);
	if (changed) {
		nfc_debug("%s: advertised nameservers or domains changed", ipc->ifname);
		emit(ipc, NFC_IPCONFIG_IPV6_RA_DNS);
	}
}

static char **ra_values(GArray *list)
{
	char **out = g_new0(char *, list->len + 1);

	for (guint i = 0; i < list->len; i++)
		out[i] = g_strdup(g_array_index(list, NfcRaEntry, i).value);
	return out;
}

char **nfc_ipconfig_get_ra_nameservers(NfcIpconfig *ipc)
{
	return ra_values(ipc->ra_servers);
}

char **nfc_ipconfig_get_ra_domains(NfcIpconfig *ipc)
{
	return ra_values(ipc->ra_domains);
}

static void on_route(const NfcRtnlRoute *r, bool added, NfcIpconfig *ipc)
{
	if (r->family != AF_INET6 || r->oif != ipc->index || r->dst_len != 0 ||
	    r->table != RT_TABLE_MAIN)
		return;
	if (added)
		ipc->v6_router = r->gateway.v6;
	else if (!memcmp(&ipc->v6_router, &r->gateway.v6, sizeof(r->gateway.v6)))
		memset(&ipc->v6_router, 0, sizeof(ipc->v6_router));
	else
		return;
	if (!ipc->running || ipc->v6_config.method != NFC_IPV6_AUTO)
		return;
	ipc->v6.gateway = ipc->v6_router;
	if (ipc->v6.up)
		emit(ipc, NFC_IPCONFIG_IPV6_UP);
}

static void on_route_added(const NfcRtnlRoute *r, void *user_data)
{
	on_route(r, true, user_data);
}

static void on_route_removed(const NfcRtnlRoute *r, void *user_data)
{
	on_route(r, false, user_data);
}

static const NfcRtnlWatch rtnl_watch = {
	.addr_added = on_addr_added,
	.addr_removed = on_addr_removed,
	.route_added = on_route_added,
	.route_removed = on_route_removed,
	.nd_options = on_nd_options,
};

NfcIpconfig *nfc_ipconfig_new(int ifindex, const char *ifname, const unsigned char mac[6],
			      NfcIpconfigFunc func, void *user_data)
{
	NfcIpconfig *ipc = g_new0(NfcIpconfig, 1);

	ipc->index = ifindex;
	ipc->ifname = g_strdup(ifname);
	memcpy(ipc->mac, mac, 6);
	ipc->func = func;
	ipc->user_data = user_data;
	ipc->v6_addrs = g_array_new(FALSE, TRUE, sizeof(NfcRtnlAddr));
	ipc->ra_servers = g_array_new(FALSE, TRUE, sizeof(NfcRaEntry));
	ipc->ra_domains = g_array_new(FALSE, TRUE, sizeof(NfcRaEntry));
	ipc->rtnl_watch = nfc_rtnl_watch_add(&rtnl_watch, ipc);
	return ipc;
}

void nfc_ipconfig_free(NfcIpconfig *ipc)
{
	if (!ipc)
		return;
	nfc_ipconfig_stop(ipc, false);
	nfc_rtnl_watch_remove(ipc->rtnl_watch);
	cancel_request(&ipc->v4_request);
	cancel_request(&ipc->v4_route_request);
	cancel_request(&ipc->v6_request);
	g_array_unref(ipc->v6_addrs);
	ra_clear(ipc);
	g_array_unref(ipc->ra_servers);
	g_array_unref(ipc->ra_domains);
	g_free(ipc->ifname);
	g_free(ipc);
}

static void v6_manual_applied(int error, void *user_data)
{
	NfcIpconfig *ipc = user_data;

	ipc->v6_request = 0;
	if (error < 0 && error != -EEXIST) {
		nfc_error("%s: cannot add the IPv6 address: %s", ipc->ifname, g_strerror(-error));
		return;
	}
	ipc->v6.up = true;
	emit(ipc, NFC_IPCONFIG_IPV6_UP);
}

void nfc_ipconfig_start(NfcIpconfig *ipc, const NfcIpv4Config *v4, const NfcIpv6Config *v6,
			struct in_addr last_dhcp)
{
	if (ipc->running)
		nfc_ipconfig_stop(ipc, false);
	ipc->running = true;
	ipc->v4_config = *v4;
	ipc->v6_config = *v6;
	memset(&ipc->v4, 0, sizeof(ipc->v4));
	memset(&ipc->v6, 0, sizeof(ipc->v6));
	ipc->v4.method = v4->method;
	ipc->v6.method = v6->method;

	/* the kernel fails over before we hear of a carrier loss only if it
	 * ignores routes through links that are down */
	nfc_sysctl_set_if("ipv4", ipc->ifname, "ignore_routes_with_linkdown", "1");
	nfc_sysctl_set_if("ipv6", ipc->ifname, "ignore_routes_with_linkdown", "1");

	switch (v4->method) {
	case NFC_IPV4_DHCP:
		ipc->dhcp = nfc_dhcp_client_new(ipc->index, ipc->mac, on_dhcp, ipc);
		if (nfc_dhcp_client_start(ipc->dhcp, last_dhcp.s_addr ? &last_dhcp : NULL) < 0)
			emit(ipc, NFC_IPCONFIG_IPV4_FAILED);
		break;
	case NFC_IPV4_MANUAL:
		ipc->v4.address = v4->address;
		ipc->v4.prefixlen = v4->prefixlen;
		ipc->v4.gateway = v4->gateway;
		v4_apply_address(ipc);
		break;
	case NFC_IPV4_OFF:
		break;
	}

	switch (v6->method) {
	case NFC_IPV6_AUTO: {
		g_autofree char *rel = g_strdup_printf("ipv6/conf/%s/disable_ipv6", ipc->ifname);
		g_autofree char *disabled = NULL;

		v6_set(ipc, "accept_ra", "2");
		v6_set(ipc, "autoconf", "1");
		v6_set(ipc, "use_tempaddr", g_str_equal(v6->privacy, "disabled") || !*v6->privacy ? "0" :
					      g_str_equal(v6->privacy, "enabled") ? "1" : "2");
		/* IPv6 was off on the link (a disconnect, method off or manual
		 * before): on again, and the kernel solicits once its
		 * link-local address passes DAD. It was on: what SLAAC made
		 * stays, with the lifetimes the routers gave (a restart, a
		 * carrier back), and the kernel would not solicit by itself;
		 * we ask, to hear what changed meanwhile. Never off and on
		 * again: that threw the addresses away and left IPv6 to the
		 * next advertisement. */
		if (nfc_sysctl_get(rel, &disabled) < 0 || !g_str_equal(disabled, "0")) {
			v6_set(ipc, "disable_ipv6", "0");
		} else {
			int r = nfc_router_solicit(ipc->ifname, ipc->index);

			/* no usable source yet (the link just came up, its
			 * link-local address in DAD): the kernel solicits
			 * itself once DAD passes */
			if (r == -EADDRNOTAVAIL || r == -ENETUNREACH)
				nfc_debug("%s: router solicitation left to the kernel: %s",
					  ipc->ifname, g_strerror(-r));
			else if (r < 0)
				nfc_warn("%s: cannot send a router solicitation: %s", ipc->ifname,
					 g_strerror(-r));
		}
		ipc->v6.gateway = ipc->v6_router;
		v6_reselect(ipc);
		break;
	}
	case NFC_IPV6_MANUAL: {
		NfcRtnlAddr a = { .family = AF_INET6, .index = ipc->index,
				  .prefixlen = v6->prefixlen, .address.v6 = v6->address,
				  .valid_lft = 0xffffffff, .preferred_lft = 0xffffffff };

		v6_set(ipc, "accept_ra", "0");
		v6_set(ipc, "autoconf", "0");
		/* off and on: what SLAAC made before goes */
		v6_set(ipc, "disable_ipv6", "1");
		v6_set(ipc, "disable_ipv6", "0");
		ipc->v6.address = v6->address;
		ipc->v6.prefixlen = v6->prefixlen;
		ipc->v6.gateway = v6->gateway;
		ipc->v6_added = true;
		cancel_request(&ipc->v6_request);
		ipc->v6_request = MAX(nfc_rtnl_addr_add(&a, v6_manual_applied, ipc), 0);
		if (!ipc->v6_request)
			nfc_error("%s: cannot send the IPv6 address", ipc->ifname);
		break;
	}
	case NFC_IPV6_OFF:
		v6_set(ipc, "disable_ipv6", "1");
		break;
	}
}

void nfc_ipconfig_stop(NfcIpconfig *ipc, bool release)
{
	bool v4_was_up = ipc->v4.up, v6_was_up = ipc->v6.up;

	if (!ipc->running)
		return;
	ipc->running = false;
	/* an add answered after this would bring the stopped config up */
	cancel_request(&ipc->v4_request);
	cancel_request(&ipc->v6_request);
	if (ipc->dhcp) {
		nfc_dhcp_client_stop(ipc->dhcp, release);
		g_clear_pointer(&ipc->dhcp, nfc_dhcp_client_free);
	}
	v4_remove_gw_route(ipc);
	v4_remove_address(ipc);
	/* IPv6 off drops SLAAC and manual addresses with it: always our
	 * manual one, SLAAC's only at a disconnect (as ConnMan). A restart
	 * or a lost carrier leaves the kernel's own addresses alone: it
	 * keeps them with their lifetimes (a later advertisement cannot cut
	 * a valid lifetime below two hours, RFC 4862 5.5.3), a fresh start
	 * from whatever the router says next could lose them. */
	if (ipc->v6_config.method == NFC_IPV6_MANUAL ||
	    (release && ipc->v6_config.method == NFC_IPV6_AUTO))
		v6_set(ipc, "disable_ipv6", "1");
	ipc->v6_added = false;
	/* the service's lists empty with its state; no event needed */
	ra_clear(ipc);
	memset(&ipc->v4, 0, sizeof(ipc->v4));
	memset(&ipc->v6, 0, sizeof(ipc->v6));
	if (v4_was_up)
		emit(ipc, NFC_IPCONFIG_IPV4_DOWN);
	if (v6_was_up)
		emit(ipc, NFC_IPCONFIG_IPV6_DOWN);
}

bool nfc_ipconfig_is_running(NfcIpconfig *ipc)
{
	return ipc->running;
}

const NfcIpv4State *nfc_ipconfig_get_ipv4(NfcIpconfig *ipc)
{
	return &ipc->v4;
}

const NfcIpv6State *nfc_ipconfig_get_ipv6(NfcIpconfig *ipc)
{
	return &ipc->v6;
}

static const char *const ipv4_method_names[] = {
	[NFC_IPV4_OFF] = "off",
	[NFC_IPV4_DHCP] = "dhcp",
	[NFC_IPV4_MANUAL] = "manual",
};

static const char *const ipv6_method_names[] = {
	[NFC_IPV6_OFF] = "off",
	[NFC_IPV6_AUTO] = "auto",
	[NFC_IPV6_MANUAL] = "manual",
};

NFC_STRING_TABLE_FULL(nfc_ipv4_method, NfcIpv4Method, ipv4_method_names, "off")

NFC_STRING_TABLE_FULL(nfc_ipv6_method, NfcIpv6Method, ipv6_method_names, "off")

bool nfc_netmask_to_prefixlen(const char *netmask, uint8_t *prefixlen)
{
	struct in_addr a;
	uint32_t m;
	uint8_t len = 0;

	if (inet_pton(AF_INET, netmask, &a) != 1)
		return false;
	m = ntohl(a.s_addr);
	while (m & 0x80000000u) {
		len++;
		m <<= 1;
	}
	if (m)
		return false; /* a hole in the mask */
	*prefixlen = len;
	return true;
}

void nfc_prefixlen_to_netmask(uint8_t prefixlen, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a;

	a.s_addr = prefixlen ? htonl(~0u << (32 - MIN(prefixlen, 32))) : 0;
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}
