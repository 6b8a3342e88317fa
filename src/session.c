// SPDX-License-Identifier: GPL-2.0-or-later
#include "session.h"

#include <errno.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "watchlist.h"

#define N_KEYS 11

struct NfcSession {
	char *path;                /* /sessions/<owner as _1_42><notifier> */
	const char *owner;         /* the key of the owners table: shared */
	NfcSession *owner_prev, *owner_next; /* the owner's sessions */
	guint16 notifier_at;       /* where the notifier starts in path; 0: "/" */
	uint32_t id;
	NfcIdentity identity;
	NfcSessionSettings settings;
	NfcPolicyConfig *policy;
	const char **bearers;      /* effective; interned names, only the array is ours */
	NfcService *service;
	NfcSessionState state;
	bool active;               /* Connect() called */
	NfcService *started;       /* the service its Connect() brought up */
	bool initial_sent;
	uint32_t sent[N_KEYS];
	/* in the re-decision queue: its link, and what is owed to it */
	GList qlink;               /* data: the session; linked while queued */
	bool owed;                 /* watchers hear of it even if nothing differs */
	bool repolicy;             /* look its policy up again first */
};

static GHashTable *sessions;       /* path → session */
typedef struct {
	guint n;                   /* sessions of that client */
	NfcSession *first;         /* they link through owner_prev/owner_next */
} Owner;

static GHashTable *owners;         /* owner name → Owner */
static GHashTable *per_uid;        /* uid → its number of sessions (both as pointers) */
static guint non_root;             /* sessions of uids other than 0: what SessionsMax counts */
static NfcWatchList watches;
static unsigned int service_watch;
static GArray *free_ids;           /* uint32_t, reusable session ids */
static GHashTable *started_by;     /* NfcService* → sessions holding it up */
static uint32_t next_id = 1;
static guint reselect_idle;
static GHashTable *readdressed;    /* services whose addresses changed since the last pass */
/* Sessions to decide again and tell watchers about, oldest first: a
 * change of an uplink or of the policy touches every session, and doing
 * them all in one go held the main loop for seconds at 65,536 sessions. */
static GQueue redo = G_QUEUE_INIT;
static guint redo_idle;

unsigned int nfc_session_watch_add(const NfcSessionWatch *cbs, void *user_data)
{
	return nfc_watch_list_add(&watches, cbs, sizeof(*cbs), user_data, NULL);
}

void nfc_session_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&watches, id);
}

const char *nfc_session_state_to_string(NfcSessionState st)
{
	switch (st) {
	case NFC_SESSION_CONNECTED: return "connected";
	case NFC_SESSION_ONLINE: return "online";
	case NFC_SESSION_DISCONNECTED: break;
	}
	return "disconnected";
}

static const NfcSessionPolicy *policy_settings(NfcSession *s)
{
	return s->policy ? &s->policy->settings : NULL;
}

static void refresh_effective(NfcSession *s)
{
	g_auto(GStrv) list = nfc_session_effective_bearers(&s->settings, policy_settings(s));
	guint n = g_strv_length(list);

	/* a handful of names shared by every session: keep pointers only */
	g_free(s->bearers);
	s->bearers = g_new(const char *, n + 1);
	for (guint i = 0; i < n; i++)
		s->bearers[i] = g_intern_string(list[i]);
	s->bearers[n] = NULL;
}

/* Pick the service; returns whether anything notifiable changed. */
static bool select_service(NfcSession *s)
{
	GList *list = nfc_service_get_list();
	guint n = g_list_length(list);
	g_autofree NfcSelectCandidate *c = g_new0(NfcSelectCandidate, MAX(n, 1));
	NfcService *chosen = NULL;
	NfcSessionState state = NFC_SESSION_DISCONNECTED;
	int i = 0, pick;

	for (GList *l = list; l; l = l->next, i++) {
		NfcServiceState st = nfc_service_get_state(l->data);

		c[i].type = nfc_service_get_type(l->data);
		c[i].ifname = nfc_service_get_interface(l->data);
		c[i].ready = st == NFC_SERVICE_READY || st == NFC_SERVICE_ONLINE;
		c[i].online = st == NFC_SERVICE_ONLINE;
	}
	pick = nfc_session_select((char **)s->bearers, nfc_session_get_type(s),
				  nfc_session_get_interface(s), c, (int)n);
	if (pick >= 0) {
		chosen = g_list_nth_data(list, pick);
		/* local sessions report connected, as the API documents */
		state = c[pick].online && nfc_session_get_type(s) != NFC_CONN_LOCAL ?
			NFC_SESSION_ONLINE : NFC_SESSION_CONNECTED;
	}
	if (chosen == s->service && state == s->state)
		return false;
	if (chosen != s->service)
		nfc_debug("session %s: service %s -> %s", s->path,
			  s->service ? nfc_service_get_identifier(s->service) : "none",
			  chosen ? nfc_service_get_identifier(chosen) : "none");
	s->service = chosen;
	s->state = state;
	return true;
}

static void redo_session(NfcSession *s)
{
	bool changed;

	if (s->repolicy) {
		nfc_policy_config_free(s->policy);
		s->policy = nfc_policy_lookup(&s->identity);
		refresh_effective(s);
		s->repolicy = false;
	}
	changed = select_service(s);
	if (changed || s->owed) {
		s->owed = false;
		NFC_WATCH_LIST_NOTIFY(&watches, NfcSessionWatch, changed, s);
	}
}

/* The time one main-loop iteration may spend on the queue: whatever else
 * waits (a client's call, a kernel event) waits at most about this long. */
#define REDO_SLICE_US 5000

/* Default priority: the dispatch of D-Bus calls and kernel events, also
 * at default priority, gets its turn between slices. */
static gboolean on_redo(gpointer data)
{
	gint64 end = g_get_monotonic_time() + REDO_SLICE_US;
	guint n = 0;

	while (redo.head) {
		GList *link = redo.head;

		NfcSession *s = link->data;

		g_queue_unlink(&redo, link);
		link->data = NULL;
		redo_session(s);
		/* the clock is read every 16 sessions: it costs more than one */
		if (++n % 16 == 0 && g_get_monotonic_time() >= end)
			break;
	}
	if (redo.head)
		return G_SOURCE_CONTINUE;
	redo_idle = 0;
	return G_SOURCE_REMOVE;
}

/* Queue s (once: a session queued twice is decided once, with what holds
 * when its turn comes, so its watchers hear its latest state). */
static void redo_add(NfcSession *s)
{
	if (!s->qlink.data) {
		s->qlink.data = s;
		g_queue_push_tail_link(&redo, &s->qlink);
	}
	if (!redo_idle)
		redo_idle = g_idle_add_full(G_PRIORITY_DEFAULT, on_redo, NULL, NULL);
}

static void redo_drop(NfcSession *s)
{
	if (s->qlink.data) {
		g_queue_unlink(&redo, &s->qlink);
		s->qlink.data = NULL;
	}
}

/* One pass: a session hears once, with its new service and its addresses
 * together, never an address change of a service it is about to leave.
 * Only the marking is done here; the deciding and telling is queued. */
static void reselect_all(void)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		NfcSession *s = value;

		if (s->service && g_hash_table_contains(readdressed, s->service))
			s->owed = true;
		redo_add(s);
	}
	g_hash_table_remove_all(readdressed);
}

static gboolean on_reselect(gpointer data)
{
	reselect_idle = 0;
	reselect_all();
	return G_SOURCE_REMOVE;
}

/* One pass after a burst of service events; high priority so that
 * sessions follow an uplink change before anything else runs. */
static void schedule_reselect(void)
{
	if (!reselect_idle)
		reselect_idle = g_idle_add_full(G_PRIORITY_HIGH, on_reselect, NULL, NULL);
}

static void on_service_changed(NfcService *svc, const char *property, void *user_data)
{
	if (g_str_equal(property, "IPv4") || g_str_equal(property, "IPv6"))
		g_hash_table_add(readdressed, svc);
	else if (!g_str_equal(property, "State"))
		return;
	schedule_reselect();
}

static void on_service_removed(NfcService *svc, void *user_data)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_remove(started_by, svc);
	g_hash_table_remove(readdressed, svc);
	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((NfcSession *)value)->started == svc)
			((NfcSession *)value)->started = NULL;

	/* no session may point at a freed service, not even until its turn:
	 * it has none until then, and hears of it in any case */
	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		NfcSession *s = value;

		if (s->service == svc) {
			s->service = NULL;
			s->state = NFC_SESSION_DISCONNECTED;
			s->owed = true;
			redo_add(s);
		}
	}
}

static void on_service_order(void *user_data)
{
	schedule_reselect();
}

static void on_policy_changed(void *user_data)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		NfcSession *s = value;

		/* identity or routing may change even if the service does not */
		s->repolicy = true;
		s->owed = true;
		redo_add(s);
	}
}

void nfc_session_init(void)
{
	static const NfcServiceWatch sw = {
		.changed = on_service_changed,
		.removed = on_service_removed,
		.order_changed = on_service_order,
	};

	sessions = g_hash_table_new(g_str_hash, g_str_equal);
	owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	per_uid = g_hash_table_new(NULL, NULL);
	non_root = 0;
	free_ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	started_by = g_hash_table_new(NULL, NULL);
	readdressed = g_hash_table_new(NULL, NULL);
	service_watch = nfc_service_watch_add(&sw, NULL);
	nfc_policy_set_changed_func(on_policy_changed, NULL);
}

static void session_free(NfcSession *s)
{
	g_array_append_val(free_ids, s->id);
	nfc_identity_clear(&s->identity);
	nfc_session_settings_clear(&s->settings);
	nfc_policy_config_free(s->policy);
	g_free(s->bearers);
	g_free(s->path);
	g_free(s);
}

void nfc_session_cleanup(void)
{
	GHashTableIter it;
	gpointer value;

	if (!sessions)
		return;
	if (reselect_idle)
		g_source_remove(reselect_idle);
	reselect_idle = 0;
	if (redo_idle)
		g_source_remove(redo_idle);
	redo_idle = 0;
	g_queue_init(&redo);
	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		g_hash_table_iter_remove(&it);
		NFC_WATCH_LIST_NOTIFY(&watches, NfcSessionWatch, destroyed, value);
		session_free(value);
	}
	nfc_policy_set_changed_func(NULL, NULL);
	nfc_service_watch_remove(service_watch);
	g_clear_pointer(&sessions, g_hash_table_unref);
	g_clear_pointer(&owners, g_hash_table_unref);
	g_clear_pointer(&per_uid, g_hash_table_unref);
	non_root = 0;
	nfc_watch_list_clear(&watches);
	g_clear_pointer(&free_ids, g_array_unref);
	g_clear_pointer(&started_by, g_hash_table_unref);
	g_clear_pointer(&readdressed, g_hash_table_unref);
}

guint nfc_session_count(void)
{
	return sessions ? g_hash_table_size(sessions) : 0;
}

guint nfc_session_count_uid(uid_t uid)
{
	return per_uid ? GPOINTER_TO_UINT(g_hash_table_lookup(per_uid, GUINT_TO_POINTER(uid))) : 0;
}

static void count_uid(uid_t uid, int delta)
{
	guint n = nfc_session_count_uid(uid) + delta;

	if (n)
		g_hash_table_insert(per_uid, GUINT_TO_POINTER(uid), GUINT_TO_POINTER(n));
	else
		g_hash_table_remove(per_uid, GUINT_TO_POINTER(uid));
	if (uid != 0)
		non_root += delta;
}

guint nfc_session_count_owner(const char *owner)
{
	Owner *o = g_hash_table_lookup(owners, owner);

	return o ? o->n : 0;
}

int nfc_session_create(const char *path, const char *owner, const char *notifier,
		       NfcSessionSettings *settings, NfcIdentity *identity, NfcSession **out)
{
	const NfcConfig *cfg = nfc_config_active();
	guint have = nfc_session_count_owner(owner);
	NfcSession *s;

	if (g_hash_table_contains(sessions, path))
		return -EEXIST;
	if (have >= cfg->sessions_per_client)
		return -EMLINK;
	if (nfc_session_count_uid(identity->uid) >= cfg->sessions_per_user)
		return -EDQUOT;
	/* root's sessions do not count: when the others have filled the
	 * table, root (an administrator, a system service) still gets one */
	if (identity->uid != 0 && non_root >= cfg->sessions_max)
		return -EUSERS;

	/* the notifier is the tail of the path (or "/", which is not) */
	if (!g_str_equal(notifier, "/") &&
	    (!g_str_has_suffix(path, notifier) || strlen(path) - strlen(notifier) > G_MAXUINT16))
		return -EINVAL;
	s = g_new0(NfcSession, 1);
	s->path = g_strdup(path);
	if (!g_str_equal(notifier, "/"))
		s->notifier_at = strlen(path) - strlen(notifier);
	s->settings = *settings;
	memset(settings, 0, sizeof(*settings));
	s->identity = *identity;
	memset(identity, 0, sizeof(*identity));
	if (free_ids->len) {
		s->id = g_array_index(free_ids, uint32_t, free_ids->len - 1);
		g_array_set_size(free_ids, free_ids->len - 1);
	} else {
		s->id = next_id++;
	}
	s->policy = nfc_policy_lookup(&s->identity);
	refresh_effective(s);
	select_service(s);

	g_hash_table_insert(sessions, s->path, s);
	count_uid(s->identity.uid, +1);
	{
		gpointer key = NULL, value = NULL;
		Owner *o;

		if (!g_hash_table_lookup_extended(owners, owner, &key, &value)) {
			key = g_strdup(owner);
			value = g_new0(Owner, 1);
			g_hash_table_insert(owners, key, value);
		}
		o = value;
		o->n++;
		s->owner_next = o->first;
		if (o->first)
			o->first->owner_prev = s;
		o->first = s;
		s->owner = key;
	}
	nfc_debug("session %s of %s (uid %u) created%s", path, owner, s->identity.uid,
		  s->policy ? ", with a policy" : "");
	NFC_WATCH_LIST_NOTIFY(&watches, NfcSessionWatch, created, s);
	*out = s;
	return 0;
}

void nfc_session_destroy(NfcSession *s)
{
	Owner *o = g_hash_table_lookup(owners, s->owner);

	g_hash_table_remove(sessions, s->path);
	count_uid(s->identity.uid, -1);
	redo_drop(s);
	if (s->active)
		nfc_session_disconnect(s);
	NFC_WATCH_LIST_NOTIFY(&watches, NfcSessionWatch, destroyed, s);
	nfc_debug("session %s destroyed", s->path);
	if (s->owner_prev)
		s->owner_prev->owner_next = s->owner_next;
	else
		o->first = s->owner_next;
	if (s->owner_next)
		s->owner_next->owner_prev = s->owner_prev;
	/* last: the owner's name is the table's key */
	if (--o->n == 0)
		g_hash_table_remove(owners, s->owner);
	session_free(s);
}

void nfc_session_destroy_owner(const char *owner)
{
	Owner *o = owners ? g_hash_table_lookup(owners, owner) : NULL;

	/* the record goes with the last session */
	while (o && o->n > 1)
		nfc_session_destroy(o->first);
	if (o)
		nfc_session_destroy(o->first);
}

NfcSession *nfc_session_lookup(const char *path)
{
	return sessions ? g_hash_table_lookup(sessions, path) : NULL;
}

void nfc_session_foreach(void (*func)(NfcSession *s, void *user_data), void *user_data)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &value))
		func(value, user_data);
}

static NfcSessionChangeCheck change_check;

void nfc_session_set_change_check(NfcSessionChangeCheck check)
{
	change_check = check;
}

gboolean nfc_session_change_allowed(NfcSession *s, const char *name, GVariant *value,
				    GError **error)
{
	NfcSessionSettings next;
	gboolean ok;

	if (!change_check)
		return TRUE;
	nfc_session_settings_copy(&next, &s->settings);
	ok = nfc_session_settings_change(&next, name, value) < 0 || change_check(s, &next, error);
	nfc_session_settings_clear(&next);
	return ok;
}

int nfc_session_change(NfcSession *s, const char *name, GVariant *value)
{
	int r = nfc_session_settings_change(&s->settings, name, value);

	if (r < 0)
		return r;
	refresh_effective(s);
	/* every setting can change the choice: ConnectionType included */
	select_service(s);
	NFC_WATCH_LIST_NOTIFY(&watches, NfcSessionWatch, changed, s);
	return 0;
}

static void hold(NfcSession *s, NfcService *svc)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(started_by, svc));

	g_hash_table_insert(started_by, svc, GUINT_TO_POINTER(n + 1));
	s->started = svc;
}

/* Let go of the service Connect() brought up; the last session to let go
 * takes it down again, as it was before anybody asked. */
static void release(NfcSession *s)
{
	NfcService *svc = g_steal_pointer(&s->started);
	guint n;

	if (!svc)
		return;
	n = GPOINTER_TO_UINT(g_hash_table_lookup(started_by, svc));
	if (n > 1) {
		g_hash_table_insert(started_by, svc, GUINT_TO_POINTER(n - 1));
		return;
	}
	g_hash_table_remove(started_by, svc);
	nfc_debug("session %s: releasing %s", s->path, nfc_service_get_identifier(svc));
	nfc_service_disconnect(svc);
}

/* Bring up the best service the session may use, if none is up: an idle
 * one of its bearers (and interface), in bearer then service order. */
static void autoconnect_for(NfcSession *s)
{
	const char *ifname = nfc_session_get_interface(s);

	if (s->service || s->started)
		return;
	for (const char **b = s->bearers; b && *b; b++) {
		for (GList *l = nfc_service_get_list(); l; l = l->next) {
			NfcService *svc = l->data;

			if (!g_str_equal(*b, nfc_service_get_type(svc)))
				continue;
			if (ifname && g_strcmp0(ifname, nfc_service_get_interface(svc)))
				continue;
			if (nfc_service_get_state(svc) != NFC_SERVICE_IDLE)
				continue;
			if (g_hash_table_contains(started_by, svc) || nfc_service_connect(svc) == 0) {
				hold(s, svc);
				return;
			}
		}
	}
}

void nfc_session_connect(NfcSession *s)
{
	s->active = true;
	autoconnect_for(s);
}

void nfc_session_disconnect(NfcSession *s)
{
	s->active = false;
	release(s);
}

const char *nfc_session_get_path(NfcSession *s) { return s->path; }
const char *nfc_session_get_owner(NfcSession *s) { return s->owner; }
const char *nfc_session_get_notifier(NfcSession *s)
{
	return s->notifier_at ? s->path + s->notifier_at : "/";
}
const NfcIdentity *nfc_session_get_identity(NfcSession *s) { return &s->identity; }
const NfcSessionSettings *nfc_session_get_settings(NfcSession *s) { return &s->settings; }
const NfcPolicyConfig *nfc_session_get_policy(NfcSession *s) { return s->policy; }
char **nfc_session_get_bearers(NfcSession *s) { return (char **)s->bearers; }
NfcService *nfc_session_get_service(NfcSession *s) { return s->service; }
NfcSessionState nfc_session_get_state(NfcSession *s) { return s->state; }
uint32_t nfc_session_get_id(NfcSession *s) { return s->id; }
uint32_t *nfc_session_sent_hashes(NfcSession *s) { return s->sent; }
bool nfc_session_get_initial_sent(NfcSession *s) { return s->initial_sent; }
void nfc_session_set_initial_sent(NfcSession *s) { s->initial_sent = true; }

NfcConnType nfc_session_get_type(NfcSession *s)
{
	return nfc_session_effective_type(&s->settings, policy_settings(s));
}

const char *nfc_session_get_interface(NfcSession *s)
{
	return nfc_session_effective_interface(&s->settings, policy_settings(s));
}

bool nfc_session_is_steered(NfcSession *s)
{
	return (s->policy && s->policy->match != NFC_POLICY_MATCH_NONE) ||
	       nfc_session_get_interface(s) || s->settings.source_ip_rule;
}
