// SPDX-License-Identifier: GPL-2.0-or-later
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "service.h"
#include "storage.h"
#include "string-table.h"
#include "watchlist.h"

#define SETTINGS "settings"
#define GLOBAL "global"
#define ZONEINFO "/usr/share/zoneinfo"

/* One query at a time; a server that does not answer in this long is
 * skipped for the next one. */
#define QUERY_TIMEOUT_MS 3000
/* After a round where nobody answered: 4 s, doubling up to 10 min. */
#define BACKOFF_MIN_S 4
#define BACKOFF_MAX_S 600
/* After an answer: 64 s, doubling up to 1024 s while the clock stays
 * within the keep threshold (RFC 4330 §10: no more than once a minute). */
#define POLL_MIN_S 64
#define POLL_MAX_S 1024
/* Service changes come in bursts (state, addresses, order): the server
 * list is looked at again once they settle. */
#define SETTLE_MS 300

/* NFCONND_CLOCK_READONLY=1: measure, log, but never change the clock. The
 * system tests run with it: nfconnd in a network namespace still shares
 * the machine's one clock. */
#define READONLY_ENV "NFCONND_CLOCK_READONLY"

typedef struct {
	char *server;
	int ifindex;   /* 0: by the routing tables (global servers) */
	char *via;     /* for the log: the interface or "default route" */
} Candidate;

static NfcClockUpdates time_updates = NFC_CLOCK_AUTO;
static NfcClockUpdates timezone_updates = NFC_CLOCK_AUTO;
static char **timeservers;
static bool synced;
static char *external;
static bool readonly;
static NfcWatchList watches;
static unsigned int service_watch;

static GPtrArray *candidates;  /* Candidate, this round's list */
static guint next_candidate;
static NfcSntpQuery *query;
static guint round_timer, settle_timer;
static guint backoff_s = BACKOFF_MIN_S;
static guint poll_s = POLL_MIN_S;

static const char *const updates_names[] = {
	[NFC_CLOCK_AUTO] = "auto",
	[NFC_CLOCK_MANUAL] = "manual",
};

NFC_STRING_TABLE_FULL(nfc_clock_updates, NfcClockUpdates, updates_names, "auto")

static void notify(const char *property)
{
	NFC_WATCH_LIST_NOTIFY(&watches, NfcClockWatch, changed, property);
}

unsigned int nfc_clock_watch_add(const NfcClockWatch *watch, void *user_data)
{
	return nfc_watch_list_add(&watches, watch, sizeof(*watch), user_data, NULL);
}

void nfc_clock_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&watches, id);
}

/* ---- validation (pure) ---- */

bool nfc_clock_zone_name_valid(const char *zone)
{
	g_auto(GStrv) parts = NULL;

	if (!zone || !*zone || strlen(zone) > 255 || zone[0] == '/')
		return false;
	for (const char *p = zone; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("/_+-", *p))
			return false;
	parts = g_strsplit(zone, "/", -1);
	for (char **p = parts; *p; p++)
		/* "." and ".." cannot pass the character test, but an empty
		 * part ("a//b", "a/") can */
		if (!**p)
			return false;
	return true;
}

bool nfc_clock_server_valid(const char *server)
{
	if (!server || !*server || strlen(server) > 255)
		return false;
	for (const unsigned char *p = (const unsigned char *)server; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ',' || *p == ';')
			return false;
	return true;
}

/* ---- settings ---- */

static gboolean save_settings(GError **error)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);

	g_key_file_set_string(kf, GLOBAL, "TimeUpdates", nfc_clock_updates_to_string(time_updates));
	g_key_file_set_string(kf, GLOBAL, "TimezoneUpdates",
			      nfc_clock_updates_to_string(timezone_updates));
	g_key_file_set_string_list(kf, GLOBAL, "Timeservers", (const char *const *)timeservers,
				   g_strv_length(timeservers));
	return nfc_storage_save(SETTINGS, kf, error);
}

static void load_updates(GKeyFile *kf, const char *key, NfcClockUpdates *out)
{
	g_autofree char *s = g_key_file_get_string(kf, GLOBAL, key, NULL);

	if (s && !nfc_clock_updates_from_string(s, out))
		nfc_warn("settings: %s=%s is neither auto nor manual; using auto", key, s);
}

static void load_settings(void)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);
	g_auto(GStrv) list = g_key_file_get_string_list(kf, GLOBAL, "Timeservers", NULL, NULL);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();

	load_updates(kf, "TimeUpdates", &time_updates);
	load_updates(kf, "TimezoneUpdates", &timezone_updates);
	for (char **s = list; s && *s; s++) {
		if (nfc_clock_server_valid(*s))
			g_strv_builder_add(b, *s);
		else
			nfc_warn("settings: ignoring timeserver \"%s\"", *s);
	}
	timeservers = g_strv_builder_end(b);
}

/* ---- applying a measurement ---- */

static int step_clock(int64_t offset_ns)
{
	struct timespec ts;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + offset_ns;
	ts.tv_sec = ns / 1000000000LL;
	ts.tv_nsec = ns % 1000000000LL;
	return clock_settime(CLOCK_REALTIME, &ts) < 0 ? -errno : 0;
}

static int slew_clock(int64_t offset_ns)
{
	struct timeval tv = {
		.tv_sec = offset_ns / 1000000000LL,
		.tv_usec = (offset_ns % 1000000000LL) / 1000,
	};

	return adjtime(&tv, NULL) < 0 ? -errno : 0;
}

static void apply(const Candidate *c, const NfcSntpResult *res)
{
	NfcSntpAction action = nfc_sntp_decide(res->offset_ns, res->delay_ns);
	const char *what = nfc_sntp_action_to_string(action);
	int r = 0;

	if (action != NFC_SNTP_KEEP && readonly)
		what = "not applied (" READONLY_ENV ")";
	else if (action == NFC_SNTP_STEP)
		r = step_clock(res->offset_ns);
	else if (action == NFC_SNTP_SLEW)
		r = slew_clock(res->offset_ns);
	/* the line the system test reads: keep its form */
	nfc_info("sntp: %s (%s) via %s: offset %+.6f s, delay %.6f s, stratum %d: %s%s%s",
		 c->server, res->address, c->via, res->offset_ns / 1e9, res->delay_ns / 1e9,
		 res->stratum, what, r < 0 ? ": " : "", r < 0 ? g_strerror(-r) : "");
	if (action == NFC_SNTP_KEEP)
		poll_s = MIN(poll_s * 2, POLL_MAX_S);
	else
		poll_s = POLL_MIN_S;
	if (action == NFC_SNTP_STEP && r == 0)
		notify("Time");
}

/* ---- the schedule ---- */

static void candidate_free(gpointer p)
{
	Candidate *c = p;

	g_free(c->server);
	g_free(c->via);
	g_free(c);
}

static void add_candidate(GPtrArray *list, const char *server, int ifindex, const char *via)
{
	Candidate *c;

	if (!nfc_clock_server_valid(server))
		return;
	for (guint i = 0; i < list->len; i++)
		if (g_str_equal(((Candidate *)list->pdata[i])->server, server))
			return;
	c = g_new0(Candidate, 1);
	c->server = g_strdup(server);
	c->ifindex = ifindex;
	c->via = g_strdup(via);
	g_ptr_array_add(list, c);
}

/* Our own list first (the user chose it), then each connected service's
 * (best service first; asked over that service's own link), its gateway
 * when main.conf says so, then main.conf's fallbacks. */
static GPtrArray *build_candidates(void)
{
	const NfcConfig *cfg = nfc_config_active();
	GPtrArray *list = g_ptr_array_new_with_free_func(candidate_free);

	for (char **s = timeservers; s && *s; s++)
		add_candidate(list, *s, 0, "default route");
	for (GList *l = nfc_service_get_list(); l; l = l->next) {
		NfcService *svc = l->data;
		g_auto(GStrv) own = NULL;
		const char *ifname = nfc_service_get_interface(svc);
		int ifindex = nfc_service_get_index(svc);

		if (!nfc_service_is_connected(svc))
			continue;
		own = nfc_service_get_timeservers(svc);
		for (char **s = own; s && *s; s++)
			add_candidate(list, *s, ifindex, ifname);
		if (cfg && cfg->use_gateways_as_timeservers) {
			const NfcIpv4State *v4 = nfc_ipconfig_get_ipv4(nfc_service_get_ipconfig(svc));
			char buf[INET_ADDRSTRLEN];

			if (v4->up && v4->gateway.s_addr &&
			    inet_ntop(AF_INET, &v4->gateway, buf, sizeof(buf)))
				add_candidate(list, buf, ifindex, ifname);
		}
	}
	for (char **s = cfg ? cfg->fallback_timeservers : NULL; s && *s; s++)
		add_candidate(list, *s, 0, "default route");
	return list;
}

static bool same_candidates(GPtrArray *a, GPtrArray *b)
{
	if (!a || !b || a->len != b->len)
		return false;
	for (guint i = 0; i < a->len; i++) {
		Candidate *x = a->pdata[i], *y = b->pdata[i];

		if (!g_str_equal(x->server, y->server) || x->ifindex != y->ifindex)
			return false;
	}
	return true;
}

static bool sntp_wanted(void)
{
	return time_updates == NFC_CLOCK_AUTO && !external;
}

static void set_synced(bool on)
{
	if (synced == on)
		return;
	synced = on;
	notify("TimeserverSynced");
}

static void stop_sync(void)
{
	g_clear_pointer(&query, nfc_sntp_query_cancel);
	g_clear_handle_id(&round_timer, g_source_remove);
	g_clear_handle_id(&settle_timer, g_source_remove);
	g_clear_pointer(&candidates, g_ptr_array_unref);
	next_candidate = 0;
}

static void start_round(void);

static gboolean on_round_timer(gpointer data)
{
	round_timer = 0;
	start_round();
	return G_SOURCE_REMOVE;
}

static void schedule_round(guint seconds)
{
	g_clear_handle_id(&round_timer, g_source_remove);
	round_timer = g_timeout_add_seconds(seconds, on_round_timer, NULL);
}

static void query_next(void);

static void on_query_done(const NfcSntpResult *res, void *user_data)
{
	Candidate *c = candidates->pdata[next_candidate];

	query = NULL;
	if (res->error == 0) {
		apply(c, res);
		set_synced(true);
		backoff_s = BACKOFF_MIN_S;
		next_candidate = 0;
		schedule_round(poll_s);
		return;
	}
	/* the round's outcome is logged once, in query_next() */
	if (res->error == -EAGAIN)
		nfc_debug("sntp: %s via %s: kiss-o'-death %s, trying the next server", c->server,
			  c->via, res->kiss);
	else
		nfc_debug("sntp: %s via %s: %s", c->server, c->via, g_strerror(-res->error));
	next_candidate++;
	query_next();
}

static void query_next(void)
{
	Candidate *c;

	if (next_candidate >= candidates->len) {
		/* nobody answered: wait longer each time */
		if (backoff_s == BACKOFF_MIN_S)
			nfc_info("sntp: none of %u timeservers answered; trying again, less and less often",
				 candidates->len);
		nfc_debug("sntp: no server answered; again in %u s", backoff_s);
		set_synced(false);
		next_candidate = 0;
		schedule_round(backoff_s);
		backoff_s = MIN(backoff_s * 2, BACKOFF_MAX_S);
		return;
	}
	c = candidates->pdata[next_candidate];
	nfc_debug("sntp: asking %s via %s", c->server, c->via);
	query = nfc_sntp_query_start(c->server, c->ifindex, QUERY_TIMEOUT_MS, on_query_done, NULL);
}

static void start_round(void)
{
	g_clear_pointer(&query, nfc_sntp_query_cancel);
	g_clear_pointer(&candidates, g_ptr_array_unref);
	candidates = build_candidates();
	next_candidate = 0;
	if (!candidates->len) {
		nfc_debug("sntp: no timeservers");
		set_synced(false);
		return;
	}
	query_next();
}

/* Called when anything the list depends on may have changed: a new list
 * starts a new round at once; the same list keeps its schedule. */
static gboolean on_settled(gpointer data)
{
	g_autoptr(GPtrArray) now = NULL;

	settle_timer = 0;
	if (!sntp_wanted())
		return G_SOURCE_REMOVE;
	now = build_candidates();
	if (same_candidates(now, candidates) && (query || round_timer))
		return G_SOURCE_REMOVE;
	backoff_s = BACKOFF_MIN_S;
	poll_s = POLL_MIN_S;
	start_round();
	return G_SOURCE_REMOVE;
}

static void reconsider(void)
{
	if (!sntp_wanted()) {
		stop_sync();
		return;
	}
	g_clear_handle_id(&settle_timer, g_source_remove);
	settle_timer = g_timeout_add(SETTLE_MS, on_settled, NULL);
}

static void on_service_changed(NfcService *s, const char *property, void *user_data)
{
	if (g_str_equal(property, "State") || g_str_equal(property, "Timeservers") ||
	    g_str_equal(property, "IPv4"))
		reconsider();
}

static void on_service_event(NfcService *s, void *user_data)
{
	reconsider();
}

static void on_order(void *user_data)
{
	reconsider();
}

void nfc_clock_set_external(const char *name)
{
	if (!g_strcmp0(name, external))
		return;
	g_free(external);
	external = g_strdup(name);
	if (external)
		nfc_info("%s keeps the clock: no SNTP queries of ours", external);
	else
		nfc_info("no other time daemon: SNTP is ours again");
	reconsider();
}

/* ---- properties ---- */

uint64_t nfc_clock_get_time(void)
{
	return (uint64_t)time(NULL);
}

NfcClockUpdates nfc_clock_get_time_updates(void)
{
	return time_updates;
}

NfcClockUpdates nfc_clock_get_timezone_updates(void)
{
	return timezone_updates;
}

char *const *nfc_clock_get_timeservers(void)
{
	return timeservers;
}

bool nfc_clock_get_synced(void)
{
	return synced;
}

static const char *localtime_path(void)
{
	const NfcConfig *cfg = nfc_config_active();

	return cfg && cfg->localtime ? cfg->localtime : "/etc/localtime";
}

char *nfc_clock_get_timezone(void)
{
	g_autofree char *target = g_file_read_link(localtime_path(), NULL);
	const char *p = target ? strstr(target, "zoneinfo/") : NULL;

	if (!p || !nfc_clock_zone_name_valid(p + strlen("zoneinfo/")))
		return NULL;
	return g_strdup(p + strlen("zoneinfo/"));
}

int nfc_clock_set_time(uint64_t seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds };

	if (time_updates != NFC_CLOCK_MANUAL)
		return -EPERM;
	if (seconds > (uint64_t)G_MAXINT64 / 1000000000ULL)
		return -EINVAL;
	if (clock_settime(CLOCK_REALTIME, &ts) < 0)
		return -errno;
	nfc_info("clock set to %" G_GUINT64_FORMAT " by a client", seconds);
	notify("Time");
	return 0;
}

static int set_updates(NfcClockUpdates *field, NfcClockUpdates u, const char *property)
{
	NfcClockUpdates old = *field;
	g_autoptr(GError) error = NULL;

	if (old == u)
		return 0;
	*field = u;
	if (!save_settings(&error)) {
		*field = old;
		nfc_error("cannot save %s: %s", property, error->message);
		return nfc_storage_errno(error);
	}
	notify(property);
	return 0;
}

int nfc_clock_set_time_updates(NfcClockUpdates u)
{
	int r = set_updates(&time_updates, u, "TimeUpdates");

	if (r == 0)
		reconsider();
	return r;
}

int nfc_clock_set_timezone_updates(NfcClockUpdates u)
{
	return set_updates(&timezone_updates, u, "TimezoneUpdates");
}

/* A TZif file: anything else would leave every program's localtime()
 * broken. */
static bool zone_file_ok(const char *file)
{
	char magic[4];
	FILE *f;
	bool ok;
	struct stat st;

	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	f = fopen(file, "re");
	if (!f)
		return false;
	ok = fread(magic, 1, sizeof(magic), f) == sizeof(magic) && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

int nfc_clock_set_timezone(const char *zone)
{
	const char *path = localtime_path();
	g_autofree char *target = NULL, *tmp = NULL;

	if (timezone_updates != NFC_CLOCK_MANUAL)
		return -EPERM;
	if (!nfc_clock_zone_name_valid(zone))
		return -EINVAL;
	target = g_build_filename(ZONEINFO, zone, NULL);
	if (!zone_file_ok(target))
		return -EINVAL;
	/* a new link beside the old one, renamed over it: a reader sees the
	 * old zone or the new one, never no /etc/localtime */
	tmp = g_strdup_printf("%s.nfconnd-new", path);
	unlink(tmp);
	if (symlink(target, tmp) < 0) {
		int err = errno;

		nfc_error("cannot create %s: %s", tmp, g_strerror(err));
		return -err;
	}
	if (rename(tmp, path) < 0) {
		int err = errno;

		nfc_error("cannot replace %s: %s", path, g_strerror(err));
		unlink(tmp);
		return -err;
	}
	nfc_info("time zone %s (%s)", zone, path);
	notify("Timezone");
	return 0;
}

int nfc_clock_set_timeservers(char **servers)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) old = NULL;

	for (char **s = servers; s && *s; s++)
		if (!nfc_clock_server_valid(*s))
			return -EINVAL;
	old = timeservers;
	timeservers = g_strdupv(servers ? servers : (char *[]){ NULL });
	if (!save_settings(&error)) {
		g_strfreev(timeservers);
		timeservers = g_steal_pointer(&old);
		nfc_error("cannot save Timeservers: %s", error->message);
		return nfc_storage_errno(error);
	}
	notify("Timeservers");
	reconsider();
	return 0;
}

void nfc_clock_init(void)
{
	static const NfcServiceWatch w = {
		.added = on_service_event,
		.removed = on_service_event,
		.changed = on_service_changed,
		.order_changed = on_order,
	};
	const char *ro = g_getenv(READONLY_ENV);

	readonly = ro && *ro && !g_str_equal(ro, "0");
	if (readonly)
		nfc_info("clock: %s set: offsets are measured, never applied", READONLY_ENV);
	load_settings();
	service_watch = nfc_service_watch_add(&w, NULL);
	reconsider();
}

void nfc_clock_cleanup(void)
{
	stop_sync();
	nfc_service_watch_remove(service_watch);
	service_watch = 0;
	nfc_watch_list_clear(&watches);
	g_clear_pointer(&timeservers, g_strfreev);
	g_clear_pointer(&external, g_free);
	synced = false;
	time_updates = timezone_updates = NFC_CLOCK_AUTO;
	backoff_s = BACKOFF_MIN_S;
	poll_s = POLL_MIN_S;
}
