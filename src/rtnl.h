/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink: the only module that talks NETLINK_ROUTE. It dumps, then
 * monitors links, addresses, routes and ip rules, keeps a cache of links and
 * addresses, and sends changes; every request has an id and completes
 * through a callback with 0 or a negative errno. ENOBUFS on the monitor socket triggers a full
 * resync (a fresh dump diffed against the cache), never a silent drift. */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* <net/if.h> stops short of the kernel's newer link flags */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

typedef void (*NfcRtnlDoneFunc)(int error, void *user_data);

typedef union {
	struct in_addr v4;
	struct in6_addr v6;
} NfcInAddr;

typedef struct {
	int index;
	char name[IFNAMSIZ];
	unsigned short type;        /* ARPHRD_* */
	unsigned int flags;         /* IFF_* (IFF_LOWER_UP = carrier) */
	uint8_t address[32];        /* hardware address */
	unsigned int address_len;
	unsigned int mtu;
	uint8_t operstate;          /* IF_OPER_* */
	char kind[16];              /* IFLA_INFO_KIND ("veth", "bridge"), "" if none */
	int master;                 /* ifindex of the master (bridge), 0 if none */
	bool has_stats;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_errors, tx_errors, rx_dropped, tx_dropped;
} NfcRtnlLink;

typedef struct {
	int family;                 /* AF_INET or AF_INET6 */
	int index;
	uint8_t prefixlen;
	uint8_t scope;              /* RT_SCOPE_* */
	uint32_t flags;             /* IFA_F_* */
	NfcInAddr address;          /* IFA_LOCAL for IPv4 (IFA_ADDRESS if none), IFA_ADDRESS for IPv6 */
	NfcInAddr broadcast;        /* IPv4 only, zero if none */
	uint32_t valid_lft;         /* seconds, 0xffffffff = forever */
	uint32_t preferred_lft;
} NfcRtnlAddr;

typedef struct {
	int family;
	uint32_t table;             /* RT_TABLE_MAIN (254) etc. */
	uint8_t dst_len;
	uint8_t protocol;           /* RTPROT_* (ours: RTPROT_STATIC unless set) */
	uint8_t scope;              /* RT_SCOPE_UNIVERSE for gateway routes, LINK for on-link */
	uint8_t type;               /* RTN_UNICAST, RTN_UNREACHABLE ... */
	NfcInAddr dst;
	NfcInAddr gateway;          /* zero: none */
	NfcInAddr prefsrc;          /* zero: none */
	int oif;                    /* 0: none */
	uint32_t priority;          /* metric */
	uint32_t flags;             /* RTNH_F_* as reported (RTNH_F_LINKDOWN) */
} NfcRtnlRoute;

typedef struct {
	int family;
	uint32_t priority;          /* FRA_PRIORITY; 0 = let the kernel pick */
	uint32_t table;             /* FRA_TABLE */
	uint8_t action;             /* FR_ACT_TO_TBL, FR_ACT_UNREACHABLE ... */
	uint32_t fwmark, fwmask;    /* both 0: no mark match */
	NfcInAddr src;              /* with src_len > 0: "from src/src_len" */
	uint8_t src_len;
	uint8_t protocol;           /* FRA_PROTOCOL (RTPROT_*), 0 = unspec */
} NfcRtnlRule;

typedef struct {
	int family;                 /* AF_INET, AF_INET6 */
	int index;
	uint16_t state;             /* NUD_* */
	NfcInAddr address;
	uint8_t lladdr[6];
	bool has_lladdr;
} NfcRtnlNeigh;

/* What a router advertisement says for the resolver (RFC 8106), as the
 * kernel passes it on (RTM_NEWNDUSEROPT): recursive DNS servers (RDNSS)
 * and a DNS search list (DNSSL), each with its lifetime in seconds
 * (0xffffffff: forever; 0: no longer use it). More than the arrays hold
 * is dropped: a router has no business sending more. */
#define NFC_RTNL_ND_MAX_SERVERS 8
#define NFC_RTNL_ND_MAX_DOMAINS 8
/* a name in text form: 253 characters, the terminator, room to spare */
#define NFC_RTNL_ND_DOMAIN_LEN 256

typedef struct {
	int index;                  /* the link the advertisement came in on */
	struct in6_addr servers[NFC_RTNL_ND_MAX_SERVERS];
	uint32_t server_lifetime[NFC_RTNL_ND_MAX_SERVERS];
	unsigned int n_servers;
	char domains[NFC_RTNL_ND_MAX_DOMAINS][NFC_RTNL_ND_DOMAIN_LEN]; /* "example.org" */
	uint32_t domain_lifetime[NFC_RTNL_ND_MAX_DOMAINS];
	unsigned int n_domains;
} NfcRtnlNdOpts;

/* Events. Every pointer is valid for the call only. link_changed is called
 * for new links and for every change of an existing one. */
typedef struct {
	void (*link_changed)(const NfcRtnlLink *link, void *user_data);
	void (*link_removed)(int index, const char *name, void *user_data);
	void (*addr_added)(const NfcRtnlAddr *addr, void *user_data);
	void (*addr_removed)(const NfcRtnlAddr *addr, void *user_data);
	void (*route_added)(const NfcRtnlRoute *route, void *user_data);
	void (*route_removed)(const NfcRtnlRoute *route, void *user_data);
	/* ip rules, IPv4 and IPv6: events only (no initial dump, no cache) */
	void (*rule_added)(const NfcRtnlRule *rule, void *user_data);
	void (*rule_removed)(const NfcRtnlRule *rule, void *user_data);
	/* neighbours (ARP/NDP entries): only while nfc_rtnl_neigh_monitor(true)
	 * is in force, no cache and no replay; a NUD_FAILED/NUD_INCOMPLETE
	 * (or NUD_NONE) entry is reported as removed; NUD_NOARP entries
	 * (multicast, broadcast, links without ARP) are no neighbours and
	 * never reported. Without a cache, neigh_removed may come for one
	 * never told, or more than once; neigh_changed comes for every
	 * change of state (REACHABLE, STALE...) */
	void (*neigh_changed)(const NfcRtnlNeigh *neigh, void *user_data);
	void (*neigh_removed)(const NfcRtnlNeigh *neigh, void *user_data);
	/* RDNSS/DNSSL of a router advertisement (events only, none replayed:
	 * routers repeat them, a resync loses at most one) */
	void (*nd_options)(const NfcRtnlNdOpts *opts, void *user_data);
	/* the monitor overran and links and addresses were dumped again:
	 * route, rule and neighbour events may have been lost, look again
	 * (nfc_rtnl_neigh_dump) if it matters */
	void (*resynced)(void *user_data);
} NfcRtnlWatch;

/* Opens the sockets and starts the initial dumps (asynchronous): links,
 * addresses, then the routes of every table (told to the watchers as
 * route_added; routes are not cached). */
int nfc_rtnl_init(void);
/* Requests still pending complete with -ECANCELED (unless cancelled). */
void nfc_rtnl_cleanup(void);

/* Register for events; the links and addresses already known are replayed
 * to the new watcher at once (link_changed / addr_added). Returns an id,
 * 0 before nfc_rtnl_init(). The table is copied; see watchlist.h for what
 * a watcher may do while it is called. */
unsigned int nfc_rtnl_watch_add(const NfcRtnlWatch *watch, void *user_data);
void nfc_rtnl_watch_remove(unsigned int id);

/* true once the initial dumps have completed */
bool nfc_rtnl_is_ready(void);
/* called once when the initial dumps complete (at once if already) */
void nfc_rtnl_when_ready(void (*func)(void *user_data), void *user_data);

/* The cached link, or NULL. */
const NfcRtnlLink *nfc_rtnl_link_get(int index);
const NfcRtnlLink *nfc_rtnl_link_get_by_name(const char *name);

/* Requests: an id (> 0, never 0) when sent or queued; done will be called
 * exactly once, unless cancelled. A negative errno when it could not be
 * sent; done is not called then. */
int nfc_rtnl_link_set_up(int ifindex, bool up, NfcRtnlDoneFunc done, void *user_data);
/* addr_add replaces an address we have (a renewed lease refreshes its
 * lifetimes); valid_lft 0 reads as forever. rule_add of a duplicate fails
 * with -EEXIST. */
int nfc_rtnl_addr_add(const NfcRtnlAddr *addr, NfcRtnlDoneFunc done, void *user_data);
int nfc_rtnl_addr_del(const NfcRtnlAddr *addr, NfcRtnlDoneFunc done, void *user_data);
/* replace: NLM_F_REPLACE instead of NLM_F_EXCL */
int nfc_rtnl_route_add(const NfcRtnlRoute *route, bool replace, NfcRtnlDoneFunc done,
		       void *user_data);
int nfc_rtnl_route_del(const NfcRtnlRoute *route, NfcRtnlDoneFunc done, void *user_data);
int nfc_rtnl_rule_add(const NfcRtnlRule *rule, NfcRtnlDoneFunc done, void *user_data);
int nfc_rtnl_rule_del(const NfcRtnlRule *rule, NfcRtnlDoneFunc done, void *user_data);

/* A bridge (IFLA_INFO_KIND "bridge") with forward_delay in centiseconds
 * (IFLA_BR_FORWARD_DELAY, 0 = forward at once), left down. -EEXIST if a
 * link of that name exists. */
int nfc_rtnl_link_add_bridge(const char *name, uint32_t forward_delay, NfcRtnlDoneFunc done,
			     void *user_data);
int nfc_rtnl_link_del(int ifindex, NfcRtnlDoneFunc done, void *user_data);
/* Enslave to master (a bridge), or release with master 0.
 * For these three, when done is told 0 the watchers have heard the change
 * and the cache holds it (nfc_rtnl_link_get_by_name finds the new bridge,
 * a port's master is set), unless a resync is running or the monitor
 * overran. */
int nfc_rtnl_link_set_master(int ifindex, int master, NfcRtnlDoneFunc done, void *user_data);

/* Subscribe the monitor to neighbour events (reference counted: each true
 * needs a false). */
void nfc_rtnl_neigh_monitor(bool on);
/* The neighbours of ifindex (0: all) of family (AF_UNSPEC: both) that the
 * events would report as there (not INCOMPLETE, FAILED, NONE or NOARP). */
int nfc_rtnl_neigh_dump(int family, int ifindex,
			void (*each)(const NfcRtnlNeigh *neigh, void *user_data),
			NfcRtnlDoneFunc done, void *user_data);

/* Dumps (for cleaning up leftovers at start): each is called per object,
 * then done. An id or a negative errno, as above. */
int nfc_rtnl_rule_dump(int family, void (*each)(const NfcRtnlRule *rule, void *user_data),
		       NfcRtnlDoneFunc done, void *user_data);
int nfc_rtnl_route_dump(int family, uint32_t table,
			void (*each)(const NfcRtnlRoute *route, void *user_data),
			NfcRtnlDoneFunc done, void *user_data);

/* Every link as the kernel has it now, counters included: the cache's
 * counters are as old as the link's last event, this is fresh (the cache
 * is left alone). */
int nfc_rtnl_link_dump(void (*each)(const NfcRtnlLink *link, void *user_data),
		       NfcRtnlDoneFunc done, void *user_data);

/* Forget the callbacks of request id (each and done): its owner is going
 * away. The request itself still reaches the kernel. Each owner cancels
 * the ids it got, never anyone else's. false if id is not pending (done,
 * cancelled already, or never was). */
bool nfc_rtnl_cancel(int id);

/* Printable address ("198.51.100.7", "2001:db8::1"); buf of INET6_ADDRSTRLEN. */
const char *nfc_inaddr_to_string(int family, const NfcInAddr *addr, char *buf);
bool nfc_inaddr_is_zero(int family, const NfcInAddr *addr);

/* For the tests only: the monitor socket (to shrink its buffer and force
 * an overrun), and how many resyncs after an overrun have completed (busy:
 * one is running or its held-back events are not replayed yet). */
int nfc_rtnl_test_monitor_fd(void);
unsigned int nfc_rtnl_test_resyncs(bool *busy);
