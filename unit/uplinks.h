/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A two-uplink world for the system tests, built on the lab: namespace
 * "host" (nfconnd) with links uplink0 and uplink1, each a veth to its own
 * router namespace running dnsmasq (DHCPv4 and router advertisements) and
 * an HTTP server for the online checks, on IPv4 and IPv6 (log "http<i>").
 * Behind both routers the same
 * "internet" addresses answer: 203.0.113.10 and 2001:db8:ffff::10.
 *   uplink0: 198.51.100.0/25,   router .1,   pool .50-.99,   2001:db8:a::/64
 *   uplink1: 198.51.100.128/25, router .129, pool .150-.199, 2001:db8:b::/64 */
#pragma once

#include "lab.h"
#include "fw-state.h"

typedef struct {
	NfcLab *lab;
	const char *host;       /* namespace names */
	const char *router[2];
	const char *client[2];  /* behind lan0/lan1, once added */
	GPid nfconnd;
	GPid dnsmasq[2];
	char *config;           /* main.conf path */
} Uplinks;

#define UPLINK_SERVER4 "203.0.113.10"
#define UPLINK_SERVER6 "2001:db8:ffff::10"

/* How often the routers advertise unasked. */
typedef enum {
	/* every 3 s: a test waits at most that long for the next one */
	UPLINKS_RA_FAST,
	/* dnsmasq's own timing, as the lab a user meets (tools/demo): every
	 * 5-20 s in its first minute, then minutes apart; router
	 * solicitations answered at once (unicast) */
	UPLINKS_RA_DNSMASQ_DEFAULT,
	/* the same with the unsolicited ones dropped on the way out: what a
	 * host sees of such a router after its first minute, from the start.
	 * A host gets IPv6 only by soliciting. */
	UPLINKS_RA_SOLICITED_ONLY,
} UplinksRaTiming;

typedef struct {
	const char *extra_conf;     /* appended to main.conf's [General] */
	/* the routers' dnsmasq is the uplinks' nameserver (198.51.100.1 and
	 * .129, answering), instead of .53 and .153 (named, never answering) */
	bool dns_on_routers;
	const char *router_dnsmasq; /* more dnsmasq options for both routers */
	UplinksRaTiming ra_timing;
} UplinksOptions;

/* Builds the world; the router ends are up, the host ends down (nfconnd
 * brings them up). extra_conf is appended to main.conf's [General], after
 * the firewall backend the test runs with (fw-state.h). */
void uplinks_setup(Uplinks *u, const char *extra_conf);
void uplinks_setup_with(Uplinks *u, const UplinksOptions *options);
/* Replace main.conf's [General] extra lines (for the next start). */
void uplinks_write_config(Uplinks *u, const char *extra_conf);

/* A port for tethering: "lan<i>" in the host namespace (down, as the
 * uplinks), its peer "c<i>" up in a namespace "client<i>" with nothing
 * configured but IPv6 autoconfiguration (a client: SLAAC from router
 * advertisements, DHCPv4 by the test). Returns the client's namespace.
 * nfconnd sees lan<i> as an ethernet port whose service stays in
 * configuration: nobody answers it. */
const char *uplinks_add_client(Uplinks *u, int i);
void uplinks_teardown(Uplinks *u);
void uplinks_start_nfconnd(Uplinks *u);
/* SIGTERM; asserts a clean exit that leaves nothing of ours in either
 * firewall backend */
void uplinks_stop_nfconnd(Uplinks *u);

/* Carrier of uplink i, by taking the router's end down or up. */
void uplinks_set_carrier(Uplinks *u, int i, bool on);

/* GetServices, as (path, props) pairs in order. */
GVariant *uplinks_services(Uplinks *u);
/* Wait until n services exist and all have one of the states in
 * states ("online", "ready|online"), a ready or online one on DHCPv4 with
 * its lease. Fails the test on timeout. */
void uplinks_wait_services(Uplinks *u, guint n, const char *states, guint timeout_ms);
/* The identifier of uplink i's service ("ethernet_<mac>_cable"). */
char *uplinks_service_id(Uplinks *u, int i);
/* ... of the host's interface ifname (uplink0, lan0) */
char *uplinks_port_service_id(Uplinks *u, const char *ifname);
/* Whether GetServices lists ifname's service now. */
bool uplinks_has_service(Uplinks *u, const char *ifname);
/* A property of a service, or NULL. */
GVariant *uplinks_service_property(Uplinks *u, const char *id, const char *name);
/* The Manager's State ("online", "ready", ...), newly allocated. */
char *uplinks_manager_state(Uplinks *u);
/* Wait until a service property equals the given string. */
void uplinks_wait_property(Uplinks *u, const char *id, const char *name, const char *value,
			   guint timeout_ms);

/* Python scripts the system tests write into the lab: a UDP sender that
 * counts echoes, and the echo server the routers run (see uplinks.c). */
extern const char uplinks_sender_py[];
extern const char uplinks_echo_py[];
/* TCP: send 1000 bytes, half-close, print the server's answer ("echo<i>
 * 1000"):  tcp.py ADDR */
extern const char uplinks_tcp_py[];

/* Wait until both uplinks have their DHCPv4 lease, on D-Bus (an IPv4
 * address) and in the kernel (a default route in the main table and one in
 * each uplink's own table). A service is ready with IPv6 alone when a
 * router advertisement comes before its lease: tests that send IPv4 wait
 * for this. */
void uplinks_wait_ipv4_leases(Uplinks *u);

/* Put a session policy file beside main.conf (written aside, then renamed
 * over the old one, as an administrator's tool would). */
void uplinks_write_policy(Uplinks *u, const char *name, const char *text);
