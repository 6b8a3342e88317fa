// SPDX-License-Identifier: GPL-2.0-or-later
/* The shared part of tethering: bridge, subnet, forwarding, firewall and
 * dnsmasq, brought up step by step (each step asynchronous, everything
 * done so far undone if one fails) and taken down in reverse. While it is
 * up the uplinks (connected services) are followed: their forwarding, the
 * nameservers dnsmasq forwards to; and the subnet moves if the host gets
 * an address or route it overlaps (src/tethering-host.c watches those). */
#include "tethering.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib-unix.h>

#include "config.h"
#include "dnsmasq.h"
#include "ippool.h"
#include "log.h"
#include "rtnl.h"
#include "service.h"
#include "storage.h"
#include "sysctl.h"
#include "tethering-internal.h"
#include "watchlist.h"

#define STORAGE_NAME "tethering"
#define LEASE_TIME 3600

G_DEFINE_QUARK(nfc-tethering-error-quark, nfc_tethering_error)

typedef enum {
	STEP_NONE,
	STEP_WAIT_INIT,      /* leftovers of a crash still being cleaned */
	STEP_BRIDGE,         /* add_bridge sent */
	STEP_BRIDGE_LINK,    /* added; waiting for the link to show in the cache */
	STEP_ADDRESS4,
	STEP_ADDRESS6,
	STEP_UP,
	STEP_FIREWALL,
	STEP_DNSMASQ,        /* started, waiting for ready */
	STEP_DONE,
} Step;

typedef struct {
	unsigned int id;
	NfcTetheringDoneFunc done;
	void *user_data;
	GError *error;             /* a teardown's waiter: its answer */
} Acquire;

static struct {
	char *run_dir;
	bool init_done;            /* leftovers of a crash are gone */
	int stale_request;
	Step step;
	unsigned int refs;         /* successful acquires not yet released */
	GList *waiting;            /* Acquire*, not answered yet */
	unsigned int next_id;
	guint answer_idle;
	int request;               /* rtnl request of the current step */
	unsigned int generation;   /* engine answers of an older start are ignored */
	int bridge_index;
	bool bridge_sent;          /* add_bridge went out: delete what it made */
	int deleted_index;         /* a bridge of ours being deleted */
	bool have_subnet;
	NfcIpv4Prefix subnet;
	bool subnet_configured;
	struct in6_addr prefix6;
	bool forwarding_on;
	bool firewall_on;
	NfcDnsmasq *dm;
	bool clients_on;
	GPtrArray *uplinks;        /* ifnames with forwarding on for us */
	char **servers;
	char *conflict;            /* a configured subnet that overlaps, while it does */
	NfcTetheringStatus status;
	NfcWatchList watches;
	unsigned int rtnl_watch;
	unsigned int service_watch;
	guint recheck_idle;
	unsigned int down_pending; /* teardown parts not finished: firewall, dnsmasq exit */
	GList *down_waiters;       /* Acquire*: answered when down_pending is 0 */
	GError *down_error;        /* for them (NULL: success) */
	guint down_idle;
	guint gave_up_idle;
	guint start_idle;
	char *gave_up_message;
} t;

static void start_step(Step step);
static void schedule_recheck(void);

/* ---- the firewall, through the engine ------------------------------------------ */

static NfcTetheringFirewall firewall;

void nfc_tethering_set_firewall(const NfcTetheringFirewall *fw)
{
	if (fw)
		firewall = *fw;
	else
		memset(&firewall, 0, sizeof(firewall));
}

int fw_tether_set(const NfcFirewallTether *tether, void (*done)(int error, void *user_data),
		  void *user_data)
{
	return firewall.tether_set ? firewall.tether_set(tether, done, user_data) : -ENOSYS;
}

int fw_counters_read(NfcFirewallTetherCountersFunc done, void *user_data)
{
	return firewall.counters_read ? firewall.counters_read(done, user_data) : -ENOSYS;
}

/* ---- errors and answers ------------------------------------------------------- */

static void notify_status(const char *reason)
{
	NFC_WATCH_LIST_NOTIFY(&t.watches, NfcTetheringWatch, status_changed, reason);
}

void nfc_tether_clients_notify(const char *const *added, const char *const *removed)
{
	NFC_WATCH_LIST_NOTIFY(&t.watches, NfcTetheringWatch, clients_changed, added, removed);
}

static void answer_all(const GError *error)
{
	GList *waiting = g_steal_pointer(&t.waiting);

	for (GList *l = waiting; l; l = l->next) {
		Acquire *a = l->data;

		if (!error)
			t.refs++;
		a->done(error, a->user_data);
	}
	g_list_free_full(waiting, g_free);
}

/* Waiters of a teardown: answered once it is complete, from the loop. */
static gboolean on_down_idle(gpointer data)
{
	GList *waiting;

	t.down_idle = 0;
	if (t.down_pending)
		return G_SOURCE_REMOVE;
	waiting = g_steal_pointer(&t.down_waiters);
	for (GList *l = waiting; l; l = l->next) {
		Acquire *a = l->data;

		a->done(a->error, a->user_data);
		g_clear_error(&a->error);
	}
	g_list_free_full(waiting, g_free);
	return G_SOURCE_REMOVE;
}

static void down_check(void)
{
	if (!t.down_pending && t.down_waiters && !t.down_idle)
		t.down_idle = g_idle_add(on_down_idle, NULL);
}

static void down_wait(NfcTetheringDoneFunc done, void *user_data, const GError *error)
{
	Acquire *a = g_new0(Acquire, 1);

	a->done = done;
	a->user_data = user_data;
	a->error = error ? g_error_copy(error) : NULL;
	t.down_waiters = g_list_append(t.down_waiters, a);
	down_check();
}

static void down_part_done(void)
{
	if (t.down_pending > 0)
		t.down_pending--;
	down_check();
}

static gboolean on_answer_idle(gpointer data)
{
	t.answer_idle = 0;
	if (t.step == STEP_DONE)
		answer_all(NULL);
	return G_SOURCE_REMOVE;
}

/* ---- the host's networks ------------------------------------------------------ */

/* ---- status ------------------------------------------------------------------- */

static void status_fill(void)
{
	NfcTetheringStatus *s = &t.status;
	char buf[INET6_ADDRSTRLEN];
	struct in_addr a;

	s->up = t.step == STEP_DONE;
	g_strlcpy(s->bridge, s->up ? NFC_TETHER_BRIDGE : "", sizeof(s->bridge));
	s->subnet4[0] = s->address4[0] = s->prefix6[0] = '\0';
	g_strfreev(s->servers);
	s->servers = g_strdupv(s->up && t.servers ? t.servers : (char *[]){ NULL });
	if (!s->up)
		return;
	nfc_ipv4_prefix_to_string(t.subnet, s->subnet4);
	a.s_addr = htonl(t.subnet.network + 1);
	inet_ntop(AF_INET, &a, s->address4, sizeof(s->address4));
	inet_ntop(AF_INET6, &t.prefix6, buf, sizeof(buf));
	g_snprintf(s->prefix6, sizeof(s->prefix6), "%s/64", buf);
}

/* ---- uplinks: forwarding on while they are ------------------------------------ */

static GPtrArray *current_uplinks(void)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		const char *ifname = nfc_service_get_interface(l->data);

		if (nfc_service_is_connected(l->data) && ifname && *ifname &&
		    !g_str_equal(ifname, NFC_TETHER_BRIDGE))
			g_ptr_array_add(a, g_strdup(ifname));
	}
	return a;
}

static bool has_name(GPtrArray *a, const char *name)
{
	for (guint i = 0; i < a->len; i++)
		if (g_str_equal(a->pdata[i], name))
			return true;
	return false;
}

/* New uplinks forward, those gone get their old setting back. */
static void uplinks_sync(void)
{
	g_autoptr(GPtrArray) now = NULL;

	if (!t.forwarding_on)
		return;
	now = current_uplinks();
	for (guint i = 0; i < t.uplinks->len; i++) {
		if (has_name(now, t.uplinks->pdata[i]))
			continue;
		nfc_info("tethering: %s is no uplink any more: its forwarding is restored",
			 (char *)t.uplinks->pdata[i]);
		nfc_tether_forwarding_off(t.uplinks->pdata[i]);
		g_ptr_array_remove_index(t.uplinks, i--);
	}
	for (guint i = 0; i < now->len; i++) {
		int r;

		if (has_name(t.uplinks, now->pdata[i]))
			continue;
		r = nfc_tether_forwarding_on(now->pdata[i]);
		if (r < 0) {
			nfc_error("tethering: cannot enable forwarding on uplink %s: %s",
				  (char *)now->pdata[i], g_strerror(-r));
			continue;
		}
		nfc_info("tethering: forwarding on uplink %s", (char *)now->pdata[i]);
		g_ptr_array_add(t.uplinks, g_strdup(now->pdata[i]));
	}
}

static void forwarding_all_off(void)
{
	nfc_tether_forwarding_all_off();
	g_ptr_array_set_size(t.uplinks, 0);
	t.forwarding_on = false;
}

/* ---- nameservers -------------------------------------------------------------- */

/* The nameservers of the connected services, best service first. */
static char **current_servers(void)
{
	GPtrArray *a = g_ptr_array_new();

	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		g_auto(GStrv) ns = NULL;

		if (!nfc_service_is_connected(l->data))
			continue;
		ns = nfc_service_get_nameservers(l->data);
		for (char **p = ns; p && *p; p++) {
			bool dup = false;

			for (guint i = 0; i < a->len && !dup; i++)
				dup = g_str_equal(a->pdata[i], *p);
			if (!dup)
				g_ptr_array_add(a, g_strdup(*p));
		}
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static void servers_sync(void)
{
	g_auto(GStrv) now = current_servers();

	if (t.servers && g_strv_equal((const char *const *)now, (const char *const *)t.servers))
		return;
	g_strfreev(t.servers);
	t.servers = g_steal_pointer(&now);
	if (!t.dm)
		return;
	nfc_dnsmasq_set_servers(t.dm, (const char *const *)t.servers);
	if (t.step == STEP_DONE) {
		status_fill();
		notify_status(NULL);
	}
}

static void on_service_event(void)
{
	uplinks_sync();
	servers_sync();
}

static void on_service_added(NfcService *s, void *user_data) { on_service_event(); }
static void on_service_removed(NfcService *s, void *user_data) { on_service_event(); }
static void on_service_order(void *user_data) { on_service_event(); }

static void on_service_changed(NfcService *s, const char *property, void *user_data)
{
	if (g_str_equal(property, "State") || g_str_equal(property, "Nameservers"))
		on_service_event();
}

/* ---- teardown ----------------------------------------------------------------- */

static void on_torn_down(int error, void *user_data)
{
	if (error < 0 && error != -ENODEV && error != -ECANCELED)
		nfc_warn("tethering: %s: %s", (const char *)user_data, g_strerror(-error));
}

static void on_firewall_removed(int error, void *user_data)
{
	if (error < 0)
		nfc_warn("tethering: cannot remove the firewall's tether state: %s",
			 g_strerror(-error));
	down_part_done();
}

static gboolean on_dnsmasq_exit(int fd, GIOCondition condition, gpointer user_data)
{
	close(fd);
	down_part_done();
	return G_SOURCE_REMOVE;
}

/* Stops dnsmasq; the teardown is complete only once it has exited (the
 * module sends SIGKILL after a second, so that is soon). */
static void dnsmasq_stop_counted(NfcDnsmasq *dm)
{
	GPid pid = nfc_dnsmasq_get_pid(dm);
	int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	nfc_dnsmasq_stop(dm);
	if (fd < 0)
		return;
	t.down_pending++;
	g_unix_fd_add(fd, G_IO_IN, on_dnsmasq_exit, NULL);
}

static void delete_bridge(int index)
{
	int r = nfc_rtnl_link_del(index, on_torn_down, "cannot delete the bridge");

	if (r < 0)
		nfc_warn("tethering: cannot delete the bridge: %s", g_strerror(-r));
	t.deleted_index = index;
}

/* Everything done so far, undone in reverse; nothing waits for it. */
static void teardown(void)
{
	bool was_up = t.step == STEP_DONE;

	t.generation++;
	if (t.request)
		nfc_rtnl_cancel(t.request);
	t.request = 0;
	g_clear_handle_id(&t.answer_idle, g_source_remove);
	g_clear_handle_id(&t.start_idle, g_source_remove);
	g_clear_handle_id(&t.gave_up_idle, g_source_remove);
	if (t.clients_on) {
		nfc_tether_clients_stop();
		t.clients_on = false;
	}
	g_clear_pointer(&t.dm, dnsmasq_stop_counted);
	if (t.firewall_on) {
		if (fw_tether_set(NULL, on_firewall_removed, NULL) >= 0)
			t.down_pending++;
		t.firewall_on = false;
	}
	if (t.forwarding_on)
		forwarding_all_off();
	if (t.bridge_index) {
		/* its addresses and ports go with it */
		delete_bridge(t.bridge_index);
	} else if (t.bridge_sent) {
		/* the link shows up later: it is deleted then (on_link_changed) */
		t.deleted_index = -1;
	}
	t.bridge_index = 0;
	nfc_tether_host_set_bridge(0);
	t.bridge_sent = false;
	t.have_subnet = false;
	t.step = STEP_NONE;
	t.refs = 0;
	g_clear_pointer(&t.conflict, g_free);
	status_fill();
	if (was_up) {
		nfc_info("tethering down");
		notify_status(NULL);
	}
}

static void fail(int code, const char *format, ...) G_GNUC_PRINTF(2, 3);
static void fail(int code, const char *format, ...)
{
	g_autoptr(GError) error = NULL;
	va_list ap;

	va_start(ap, format);
	error = g_error_new_valist(NFC_TETHERING_ERROR, code, format, ap);
	va_end(ap);
	nfc_error("tethering: %s", error->message);
	teardown();
	/* answered once it is all undone */
	for (GList *l = g_steal_pointer(&t.waiting), *n; l; l = n) {
		Acquire *a = l->data;

		n = g_list_delete_link(l, l);
		down_wait(a->done, a->user_data, error);
		g_free(a);
	}
}

/* ---- the steps up ------------------------------------------------------------- */

static void on_step_request(int error, void *user_data);

static void send_request(int r, const char *what)
{
	if (r < 0) {
		fail(NFC_TETHERING_ERROR_FAILED, "%s: %s", what, g_strerror(-r));
		return;
	}
	t.request = r;
}

static bool load_ula(struct in6_addr *prefix)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(STORAGE_NAME);
	g_autoptr(GError) error = NULL;
	g_autofree char *hex = g_key_file_get_string(kf, "IPv6", "GlobalID", NULL);
	uint8_t id[5];
	bool ok = hex && strlen(hex) == 10;

	for (int i = 0; ok && i < 5; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		ok = hi >= 0 && lo >= 0;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!ok) {
		/* RFC 4193: random, and kept so that clients keep their addresses */
		for (int i = 0; i < 5; i++)
			id[i] = (uint8_t)g_random_int_range(0, 256);
		g_free(hex);
		hex = g_strdup_printf("%02x%02x%02x%02x%02x", id[0], id[1], id[2], id[3], id[4]);
		g_key_file_set_string(kf, "IPv6", "GlobalID", hex);
		if (!nfc_storage_save(STORAGE_NAME, kf, &error))
			nfc_warn("tethering: cannot keep the ULA global ID: %s", error->message);
	}
	nfc_ula_prefix(id, prefix);
	return true;
}

static bool choose_subnet(void)
{
	const char *configured = nfc_config_active()->tethering_subnet;
	g_autoptr(GError) error = NULL;
	NfcIpv4Prefix start = { 0, 0 };
	char buf[20];

	if (configured) {
		g_autofree char *hit = NULL;

		if (!nfc_ipv4_prefix_parse(configured, &t.subnet, &error)) {
			fail(NFC_TETHERING_ERROR_SUBNET_CONFLICT, "TetheringSubnet %s: %s", configured,
			     error->message);
			return false;
		}
		hit = nfc_tether_host_conflict(t.subnet);
		if (hit) {
			fail(NFC_TETHERING_ERROR_SUBNET_CONFLICT, "TetheringSubnet %s overlaps %s",
			     configured, hit);
			return false;
		}
		t.subnet_configured = true;
	} else {
		if (!nfc_tether_host_pick(start, &t.subnet)) {
			fail(NFC_TETHERING_ERROR_NO_SUBNET,
			     "no free /24 for the tether subnet: every block of 192.168/16, "
			     "172.16/12 and 10/8 overlaps an address or route of the host "
			     "(set TetheringSubnet in main.conf)");
			return false;
		}
		t.subnet_configured = false;
	}
	t.have_subnet = true;
	nfc_info("tethering: subnet %s", nfc_ipv4_prefix_to_string(t.subnet, buf));
	return load_ula(&t.prefix6);
}

static NfcRtnlAddr bridge_addr4(NfcIpv4Prefix p)
{
	NfcRtnlAddr a = { .family = AF_INET, .index = t.bridge_index, .prefixlen = p.prefixlen };
	uint32_t host = p.prefixlen ? 0xffffffffu >> p.prefixlen : 0xffffffffu;

	a.address.v4.s_addr = htonl(p.network + 1);
	a.broadcast.v4.s_addr = htonl(p.network | host);
	return a;
}

static NfcRtnlAddr bridge_addr6(void)
{
	/* no DAD: the address is ours alone on a bridge we created, and
	 * dnsmasq needs it at once to advertise the prefix */
	NfcRtnlAddr a = { .family = AF_INET6, .index = t.bridge_index, .prefixlen = 64,
			  .flags = IFA_F_NODAD };

	a.address.v6 = t.prefix6;
	a.address.v6.s6_addr[15] = 1;
	return a;
}

/* The bridge is the clients' IPv6 router, and the kernel must say so: its
 * neighbour advertisements carry the Router flag only with the
 * per-interface conf/<if>/forwarding on (force_forwarding forwards but
 * does not set it), and a client that sees its default router answer a
 * probe without the flag deletes its default route (RFC 4861 7.2.5):
 * measured, IPv6 from the clients died a few seconds after each RA. The
 * same switch makes the bridge ignore RAs, so no client can hand the host
 * a default route. And no DAD for the bridge's link-local address: while
 * it is tentative the kernel sends dnsmasq's first advertisements from the
 * ULA (NODAD, usable at once), and clients drop an RA whose source is not
 * link-local, so the first one they could take came 5 to 20 s later. The
 * bridge is ours and goes with tethering: nothing to record or restore. */
static int bridge_router_mode(void)
{
	int r = nfc_sysctl_set_if("ipv6", NFC_TETHER_BRIDGE, "accept_dad", "0");

	if (r < 0)
		return r;
	return nfc_sysctl_set_if("ipv6", NFC_TETHER_BRIDGE, "forwarding", "1");
}

static void on_firewall_set(int error, void *user_data)
{
	if (GPOINTER_TO_UINT(user_data) != t.generation || t.step != STEP_FIREWALL)
		return;
	if (error < 0) {
		fail(NFC_TETHERING_ERROR_FAILED, "the firewall's tether rules: %s", g_strerror(-error));
		return;
	}
	start_step(STEP_DNSMASQ);
}

static void fill_firewall(NfcFirewallTether *fw)
{
	memset(fw, 0, sizeof(*fw));
	g_strlcpy(fw->bridge, NFC_TETHER_BRIDGE, sizeof(fw->bridge));
	fw->subnet4 = htonl(t.subnet.network);
	fw->prefixlen4 = t.subnet.prefixlen;
	memcpy(fw->subnet6, &t.prefix6, 16);
	fw->prefixlen6 = 64;
}

static void on_dnsmasq_ready(void *user_data);
static void on_dnsmasq_failed(const GError *error, void *user_data);
static void on_dnsmasq_leases(void *user_data);

static NfcDnsmasq *dnsmasq_start(GError **error)
{
	static const NfcDnsmasqEvents events = {
		.ready = on_dnsmasq_ready,
		.failed = on_dnsmasq_failed,
		.leases_changed = on_dnsmasq_leases,
	};
	uint32_t host = 0xffffffffu >> t.subnet.prefixlen;
	g_autofree char *conf = g_build_filename(t.run_dir, "tether-dnsmasq.conf", NULL);
	g_autofree char *servers = g_build_filename(t.run_dir, "tether-servers", NULL);
	g_autofree char *pid = g_build_filename(t.run_dir, "tether-dnsmasq.pid", NULL);
	g_autofree char *leases = g_build_filename(nfc_storage_dir(), "tether.leases", NULL);
	NfcDnsmasqConfig c = {
		.interface = (char *)NFC_TETHER_BRIDGE,
		.prefixlen = t.subnet.prefixlen,
		.lease_time = LEASE_TIME,
		.ipv6 = true,
		.prefix6 = t.prefix6,
		.conf_path = conf,
		.servers_path = servers,
		.pid_path = pid,
		.leases_path = leases,
	};

	c.address.s_addr = htonl(t.subnet.network + 1);
	c.range_start.s_addr = htonl(t.subnet.network + 2);
	c.range_end.s_addr = htonl((t.subnet.network | host) - 1);
	if (!t.servers)
		t.servers = current_servers();
	return nfc_dnsmasq_start(&c, (const char *const *)t.servers, &events, NULL, error);
}

static void start_step(Step step)
{
	g_autoptr(GError) error = NULL;
	NfcFirewallTether fw;
	NfcRtnlAddr a;
	int r;

	t.step = step;
	switch (step) {
	case STEP_BRIDGE:
		t.bridge_sent = true;
		send_request(nfc_rtnl_link_add_bridge(NFC_TETHER_BRIDGE, 0, on_step_request, NULL),
			     "cannot create the bridge " NFC_TETHER_BRIDGE);
		return;
	case STEP_ADDRESS4:
		if (!choose_subnet())
			return;
		a = bridge_addr4(t.subnet);
		send_request(nfc_rtnl_addr_add(&a, on_step_request, NULL),
			     "cannot address the bridge");
		return;
	case STEP_ADDRESS6:
		a = bridge_addr6();
		send_request(nfc_rtnl_addr_add(&a, on_step_request, NULL),
			     "cannot give the bridge its IPv6 address");
		return;
	case STEP_UP:
		/* before up: the link-local address is made at the first
		 * carrier, and must be made without DAD */
		r = bridge_router_mode();
		if (r < 0) {
			fail(NFC_TETHERING_ERROR_FAILED, "cannot make the bridge an IPv6 router: %s",
			     g_strerror(-r));
			return;
		}
		send_request(nfc_rtnl_link_set_up(t.bridge_index, true, on_step_request, NULL),
			     "cannot bring the bridge up");
		return;
	case STEP_FIREWALL:
		r = nfc_tether_forwarding_on(NFC_TETHER_BRIDGE);
		if (r < 0) {
			fail(NFC_TETHERING_ERROR_FAILED, "cannot enable forwarding on the bridge: %s",
			     g_strerror(-r));
			return;
		}
		t.forwarding_on = true;
		uplinks_sync();
		fill_firewall(&fw);
		t.firewall_on = true;
		r = fw_tether_set(&fw, on_firewall_set, GUINT_TO_POINTER(t.generation));
		if (r < 0) {
			t.firewall_on = false;
			fail(NFC_TETHERING_ERROR_FAILED, "the firewall's tether rules: %s", g_strerror(-r));
		}
		return;
	case STEP_DNSMASQ:
		t.dm = dnsmasq_start(&error);
		if (!t.dm)
			fail(g_error_matches(error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ?
				     NFC_TETHERING_ERROR_NOT_SUPPORTED : NFC_TETHERING_ERROR_FAILED,
			     "cannot start dnsmasq: %s", error->message);
		return;
	case STEP_DONE:
		status_fill();
		nfc_info("tethering up: bridge %s, %s (router %s), %s", NFC_TETHER_BRIDGE,
			 t.status.subnet4, t.status.address4, t.status.prefix6);
		t.clients_on = true;
		nfc_tether_clients_start(t.bridge_index);
		on_dnsmasq_leases(NULL);
		answer_all(NULL);
		notify_status(NULL);
		schedule_recheck();
		return;
	default:
		return;
	}
}

/* The link of the bridge we added: its index, then the addresses. */
static void bridge_seen(const NfcRtnlLink *link)
{
	t.bridge_index = link->index;
	nfc_tether_host_set_bridge(link->index);
	nfc_debug("tethering: bridge %s is %d", link->name, link->index);
	start_step(STEP_ADDRESS4);
}

static void on_step_request(int error, void *user_data)
{
	const NfcRtnlLink *link;

	t.request = 0;
	switch (t.step) {
	case STEP_BRIDGE:
		if (error == -EEXIST) {
			t.bridge_sent = false;
			fail(NFC_TETHERING_ERROR_FAILED,
			     "a link named " NFC_TETHER_BRIDGE " exists and is not ours");
		} else if (error == -EOPNOTSUPP) {
			t.bridge_sent = false;
			fail(NFC_TETHERING_ERROR_NOT_SUPPORTED, "the kernel has no bridge support");
		} else if (error < 0) {
			fail(NFC_TETHERING_ERROR_FAILED, "cannot create the bridge: %s",
			     g_strerror(-error));
		} else {
			link = nfc_rtnl_link_get_by_name(NFC_TETHER_BRIDGE);
			if (link && link->index != t.deleted_index)
				bridge_seen(link);
			else
				t.step = STEP_BRIDGE_LINK;
		}
		return;
	case STEP_ADDRESS4:
	case STEP_ADDRESS6:
	case STEP_UP:
		if (error < 0) {
			fail(NFC_TETHERING_ERROR_FAILED, "%s: %s",
			     t.step == STEP_UP ? "cannot bring the bridge up" :
						 "cannot address the bridge",
			     g_strerror(-error));
			return;
		}
		start_step(t.step + 1);
		return;
	default:
		return;
	}
}

/* ---- dnsmasq ------------------------------------------------------------------ */

static void on_dnsmasq_ready(void *user_data)
{
	if (t.step == STEP_DNSMASQ)
		start_step(STEP_DONE);
	else
		nfc_info("tethering: dnsmasq is back");
}

static gboolean on_dnsmasq_gave_up(gpointer data)
{
	g_autofree char *message = g_steal_pointer(&t.gave_up_message);

	t.gave_up_idle = 0;
	if (t.step == STEP_DNSMASQ) {
		fail(NFC_TETHERING_ERROR_FAILED, "dnsmasq: %s", message);
	} else if (t.step == STEP_DONE) {
		/* the technologies hear it from the status and give their ports back */
		nfc_error("tethering: dnsmasq gave up (%s): tethering goes down", message);
		teardown();
	}
	return G_SOURCE_REMOVE;
}

/* not from inside dnsmasq's own callback: stopping it there would pull
 * the instance from under its caller */
static void on_dnsmasq_failed(const GError *error, void *user_data)
{
	g_free(t.gave_up_message);
	t.gave_up_message = g_strdup(error->message);
	if (!t.gave_up_idle)
		t.gave_up_idle = g_idle_add(on_dnsmasq_gave_up, NULL);
}

static void on_dnsmasq_leases(void *user_data)
{
	g_autoptr(GArray) leases = NULL;

	if (!t.dm || !t.clients_on)
		return;
	leases = nfc_dnsmasq_get_leases(t.dm);
	nfc_tether_clients_set_leases(leases);
}

/* ---- collisions --------------------------------------------------------------- */

static void on_moved(int error, void *user_data)
{
	if (error < 0)
		nfc_error("tethering: moving the subnet: %s: %s", (const char *)user_data,
			  g_strerror(-error));
}

/* The pool's subnet overlaps something new: another /24, and everything
 * that used the old one follows. */
static void move_subnet(NfcIpv4Prefix to, const char *reason)
{
	g_autoptr(GError) error = NULL;
	NfcRtnlAddr old = bridge_addr4(t.subnet), now = bridge_addr4(to);
	NfcFirewallTether fw;
	int r;

	t.subnet = to;
	r = nfc_rtnl_addr_del(&old, on_moved, "cannot remove the old address");
	if (r < 0)
		on_moved(r, "cannot remove the old address");
	r = nfc_rtnl_addr_add(&now, on_moved, "cannot add the new address");
	if (r < 0)
		on_moved(r, "cannot add the new address");
	fill_firewall(&fw);
	r = fw_tether_set(&fw, on_moved, "the firewall's tether rules");
	if (r < 0)
		on_moved(r, "the firewall's tether rules");
	/* a new range: dnsmasq starts again with it */
	g_clear_pointer(&t.dm, nfc_dnsmasq_stop);
	t.dm = dnsmasq_start(&error);
	if (!t.dm) {
		nfc_error("tethering: cannot restart dnsmasq on the new subnet: %s", error->message);
		teardown();
		return;
	}
	status_fill();
	notify_status(reason);
}

static void recheck(void)
{
	g_autofree char *hit = NULL;
	g_autofree char *reason = NULL;
	NfcIpv4Prefix to;
	char old[20], now[20];

	if (t.step != STEP_DONE)
		return;
	hit = nfc_tether_host_conflict(t.subnet);
	nfc_ipv4_prefix_to_string(t.subnet, old);
	if (!hit) {
		if (t.conflict)
			nfc_info("tethering: TetheringSubnet %s overlaps nothing any more", old);
		g_clear_pointer(&t.conflict, g_free);
		return;
	}
	if (t.subnet_configured) {
		reason = g_strdup_printf("TetheringSubnet %s overlaps %s", old, hit);
		if (g_strcmp0(reason, t.conflict)) {
			nfc_error("tethering: %s: it is configured, so it stays (clients may not "
				  "reach that network)", reason);
			g_free(t.conflict);
			t.conflict = g_strdup(reason);
			notify_status(reason);
		}
		return;
	}
	if (!nfc_tether_host_pick(t.subnet, &to)) {
		reason = g_strdup_printf("the tether subnet %s overlaps %s and no other /24 is free",
					 old, hit);
		if (g_strcmp0(reason, t.conflict)) {
			nfc_error("tethering: %s", reason);
			g_free(t.conflict);
			t.conflict = g_strdup(reason);
			notify_status(reason);
		}
		return;
	}
	g_clear_pointer(&t.conflict, g_free);
	reason = g_strdup_printf("the tether subnet %s overlaps %s: moved to %s", old, hit,
				 nfc_ipv4_prefix_to_string(to, now));
	nfc_warn("tethering: %s", reason);
	move_subnet(to, reason);
}

static gboolean on_recheck_idle(gpointer data)
{
	t.recheck_idle = 0;
	recheck();
	return G_SOURCE_REMOVE;
}

static void schedule_recheck(void)
{
	if (t.step == STEP_DONE && !t.recheck_idle)
		t.recheck_idle = g_idle_add(on_recheck_idle, NULL);
}

/* ---- links -------------------------------------------------------------------- */

static void on_link_changed(const NfcRtnlLink *link, void *user_data)
{
	if (!g_str_equal(link->name, NFC_TETHER_BRIDGE) || !g_str_equal(link->kind, "bridge"))
		return;
	if (link->index == t.deleted_index)
		return;
	if (t.deleted_index == -1 && t.step != STEP_BRIDGE && t.step != STEP_BRIDGE_LINK) {
		/* added for a start that was given up before it showed */
		delete_bridge(link->index);
		return;
	}
	if (t.step == STEP_BRIDGE_LINK)
		bridge_seen(link);
}

static void on_link_removed(int index, const char *name, void *user_data)
{
	if (index == t.deleted_index) {
		t.deleted_index = 0;
		return;
	}
	if (index == t.bridge_index && t.step != STEP_NONE) {
		nfc_error("tethering: the bridge " NFC_TETHER_BRIDGE " was deleted under us");
		t.bridge_index = 0;
		if (t.step == STEP_DONE)
			teardown();
		else
			fail(NFC_TETHERING_ERROR_FAILED, "the bridge was deleted under us");
	}
}

/* ---- init and shutdown -------------------------------------------------------- */

static void init_finished(void)
{
	t.init_done = true;
	if (t.step == STEP_WAIT_INIT)
		start_step(STEP_BRIDGE);
}

static void on_stale_deleted(int error, void *user_data)
{
	t.stale_request = 0;
	if (error < 0 && error != -ENODEV)
		nfc_warn("tethering: cannot delete the bridge left by an earlier run: %s",
			 g_strerror(-error));
	init_finished();
}

static void on_rtnl_ready(void *user_data)
{
	const NfcRtnlLink *link = nfc_rtnl_link_get_by_name(NFC_TETHER_BRIDGE);
	int r;

	if (!link || !g_str_equal(link->kind, "bridge")) {
		if (link)
			nfc_warn("tethering: a link named " NFC_TETHER_BRIDGE
				 " exists and is no bridge: tethering cannot start while it does");
		init_finished();
		return;
	}
	nfc_info("tethering: deleting the bridge " NFC_TETHER_BRIDGE " left by an earlier run");
	r = nfc_rtnl_link_del(link->index, on_stale_deleted, NULL);
	if (r < 0) {
		on_stale_deleted(r, NULL);
		return;
	}
	t.stale_request = r;
	t.deleted_index = link->index;
}

void nfc_tethering_init(const char *run_dir, const char *state_dir)
{
	static const NfcRtnlWatch rw = {
		.link_changed = on_link_changed,
		.link_removed = on_link_removed,
	};
	static const NfcServiceWatch sw = {
		.added = on_service_added,
		.removed = on_service_removed,
		.changed = on_service_changed,
		.order_changed = on_service_order,
	};
	g_autofree char *pid = g_build_filename(run_dir, "tether-dnsmasq.pid", NULL);
	g_autofree char *conf = g_build_filename(run_dir, "tether-dnsmasq.conf", NULL);

	(void)state_dir; /* through storage.h */
	t.run_dir = g_strdup(run_dir);
	t.uplinks = g_ptr_array_new_with_free_func(g_free);
	t.next_id = 0;
	status_fill();
	/* what a crash left: forwarding settings, dnsmasq, then the bridge */
	nfc_tether_host_init(run_dir, schedule_recheck);
	nfc_dnsmasq_kill_stale(pid, conf);
	t.rtnl_watch = nfc_rtnl_watch_add(&rw, NULL);
	t.service_watch = nfc_service_watch_add(&sw, NULL);
	nfc_rtnl_when_ready(on_rtnl_ready, NULL);
}

void nfc_tethering_cleanup(void)
{
	if (!t.uplinks)
		return;
	/* nobody hears it: the technologies are going too, and giving ports
	 * back now would only bring services up on the way out */
	nfc_watch_list_clear(&t.watches);
	if (t.step != STEP_NONE) {
		g_autoptr(GError) error = g_error_new_literal(NFC_TETHERING_ERROR,
							      NFC_TETHERING_ERROR_CANCELLED,
							      "nfconnd is shutting down");

		teardown();
		answer_all(error);
	}
	/* shutting down: the loop does not turn again, nobody is answered */
	g_clear_handle_id(&t.down_idle, g_source_remove);
	for (GList *l = t.down_waiters; l; l = l->next)
		g_clear_error(&((Acquire *)l->data)->error);
	g_list_free_full(g_steal_pointer(&t.down_waiters), g_free);
	if (t.stale_request)
		nfc_rtnl_cancel(t.stale_request);
	g_clear_handle_id(&t.recheck_idle, g_source_remove);
	nfc_service_watch_remove(t.service_watch);
	nfc_rtnl_watch_remove(t.rtnl_watch);
	nfc_watch_list_clear(&t.watches);
	nfc_tether_host_cleanup();
	g_clear_pointer(&t.uplinks, g_ptr_array_unref);
	g_clear_pointer(&t.servers, g_strfreev);
	g_clear_pointer(&t.status.servers, g_strfreev);
	g_clear_pointer(&t.gave_up_message, g_free);
	g_clear_pointer(&t.run_dir, g_free);
	memset(&t, 0, sizeof(t));
}

/* ---- users -------------------------------------------------------------------- */

static gboolean on_start_idle(gpointer data)
{
	t.start_idle = 0;
	if (t.step == STEP_WAIT_INIT && t.init_done)
		start_step(STEP_BRIDGE);
	return G_SOURCE_REMOVE;
}

unsigned int nfc_tethering_acquire(NfcTetheringDoneFunc done, void *user_data)
{
	Acquire *a = g_new0(Acquire, 1);

	a->id = ++t.next_id;
	if (a->id == 0)
		a->id = ++t.next_id;
	a->done = done;
	a->user_data = user_data;
	t.waiting = g_list_append(t.waiting, a);
	switch (t.step) {
	case STEP_NONE:
		/* from the loop, so that done never runs before the caller has
		 * its id; init_finished starts it if the leftovers are not gone */
		nfc_info("tethering: starting");
		t.step = STEP_WAIT_INIT;
		if (t.init_done && !t.start_idle)
			t.start_idle = g_idle_add(on_start_idle, NULL);
		break;
	case STEP_DONE:
		/* answered from the loop: the caller has its id by then */
		if (!t.answer_idle)
			t.answer_idle = g_idle_add(on_answer_idle, NULL);
		break;
	default:
		break;
	}
	return a->id;
}

void nfc_tethering_cancel(unsigned int id)
{
	for (GList *l = t.waiting; l; l = l->next) {
		Acquire *a = l->data;

		if (a->id != id)
			continue;
		t.waiting = g_list_delete_link(t.waiting, l);
		g_free(a);
		if (!t.waiting && t.refs == 0 && t.step != STEP_NONE) {
			nfc_info("tethering: start given up");
			teardown();
		}
		return;
	}
}

void nfc_tethering_release(void)
{
	if (t.refs == 0) {
		/* it went down by itself (dnsmasq gave up) */
		nfc_debug("tethering: release while down");
		return;
	}
	if (--t.refs == 0 && !t.waiting)
		teardown();
}

void nfc_tethering_release_then(NfcTetheringDoneFunc done, void *user_data)
{
	nfc_tethering_release();
	down_wait(done, user_data, NULL);
}

bool nfc_tethering_is_up(void)
{
	return t.step == STEP_DONE;
}

int nfc_tethering_bridge_index(void)
{
	return t.step == STEP_DONE ? t.bridge_index : 0;
}

const NfcTetheringStatus *nfc_tethering_get_status(void)
{
	return &t.status;
}

GPtrArray *nfc_tethering_get_clients(void)
{
	return nfc_tether_clients_get();
}

void nfc_tethering_read_counters(NfcTetheringDoneFunc done, void *user_data)
{
	nfc_tether_clients_read_counters(done, user_data);
}

unsigned int nfc_tethering_watch_add(const NfcTetheringWatch *watch, void *user_data)
{
	return nfc_watch_list_add(&t.watches, watch, sizeof(*watch), user_data, NULL);
}

void nfc_tethering_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&t.watches, id);
}
