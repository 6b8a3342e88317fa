// SPDX-License-Identifier: GPL-2.0-or-later
#include "stats-push.h"

#include <malloc.h>

#include "engine.h"
#include "log.h"

/* A bus allows a connection 128 calls awaiting replies by default
 * (max_replies_per_connection); the session Updates need most of them. */
#define PINGS_MAX 32
/* A client that has not answered by then is stuck: it gets pings only (one
 * per timeout, a few bytes), no Stats, until it answers; and only half of
 * PINGS_MAX go to stuck clients, so that clients which stop reading on
 * purpose cannot hold every Ping slot. */
#define PING_TIMEOUT_MS 5000
/* A second's pushes go out in slices: 4,096 signals at once keep the bus
 * (and the answers to everyone's calls behind them) busy for a second and
 * more; a quarter of them at a time do not. */
#define SLICES 4

typedef struct {
	char *owner;
	GQueue pushed;        /* Pushed*, least recently pushed first */
	GList turn;           /* in push.clients_order */
	guint64 ping_id;      /* the Ping awaited, 0: none */
	bool stuck;           /* the last Ping timed out */
} Client;

typedef struct {
	NfcSession *session;
	Client *client;
	guint period;         /* seconds */
	guint64 due;          /* the slice at which it is pushed next */
	GList link;           /* in client->pushed */
} Pushed;

static struct {
	GDBusConnection *bus;
	NfcStatsBuildFunc build;
	GHashTable *sessions;   /* NfcSession* → Pushed* (owned) */
	GHashTable *clients;    /* owner → Client* (owned) */
	GQueue clients_order;   /* Client*, whose turn comes first when the total runs out */
	unsigned int session_watch;
	guint timer;
	guint64 tick;           /* slices since start */
	guint64 next_ping_id;
	guint trim;             /* returning freed memory to the system, soon */
	guint pings;            /* awaiting an answer */
	guint stuck_pings;      /* of those, to stuck clients */
	bool reading;           /* counters asked for, not yet read */
} push;

/* What a flooding client leaves behind (its sessions, their watches and
 * Updates, the Stats built for it) is freed memory the allocator keeps:
 * give the free pages back once it has gone, at most once a second. */
static gboolean on_trim(gpointer data)
{
	push.trim = 0;
	malloc_trim(0);
	return G_SOURCE_REMOVE;
}

static void client_free(Client *c)
{
	if (!push.trim && push.bus)
		push.trim = g_timeout_add_seconds(1, on_trim, NULL);
	g_queue_unlink(&push.clients_order, &c->turn);
	g_free(c->owner);
	g_free(c);
}

static void forget(NfcSession *s)
{
	Pushed *p = g_hash_table_lookup(push.sessions, s);
	Client *c;

	if (!p)
		return;
	c = p->client;
	g_queue_unlink(&c->pushed, &p->link);
	g_hash_table_remove(push.sessions, s);
	if (!c->pushed.length)
		g_hash_table_remove(push.clients, c->owner);
	if (!g_hash_table_size(push.sessions) && push.timer) {
		g_source_remove(push.timer);
		push.timer = 0;
	}
}

typedef struct {
	char *owner;
	guint64 id;
	bool stuck;
} PingCall;

static void on_pong(GObject *src, GAsyncResult *res, gpointer data)
{
	PingCall *call = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &error);
	Client *c = push.clients ? g_hash_table_lookup(push.clients, call->owner) : NULL;

	push.pings--;
	if (call->stuck)
		push.stuck_pings--;
	/* the client left, or the daemon stops */
	if (c && c->ping_id == call->id) {
		c->ping_id = 0;
		/* any answer, an error too, means it read everything before; no
		 * answer (or the bus refusing to queue more for it) means not */
		if (!reply) {
			g_autofree char *name = g_dbus_error_get_remote_error(error);

			c->stuck = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
				   g_strcmp0(name, "org.freedesktop.DBus.Error.NoReply") == 0 ||
				   g_strcmp0(name, "org.freedesktop.DBus.Error.Timeout") == 0 ||
				   g_strcmp0(name, "org.freedesktop.DBus.Error.LimitsExceeded") == 0;
		} else {
			c->stuck = false;
		}
		if (c->stuck)
			nfc_debug("stats: %s does not read; no more Stats until it answers", c->owner);
	}
	g_free(call->owner);
	g_free(call);
}

static void ping(Client *c)
{
	PingCall *call = g_new0(PingCall, 1);

	call->owner = g_strdup(c->owner);
	call->id = c->ping_id = ++push.next_ping_id;
	call->stuck = c->stuck;
	push.pings++;
	push.stuck_pings += c->stuck;
	g_dbus_connection_call(push.bus, c->owner, "/", "org.freedesktop.DBus.Peer", "Ping", NULL,
			       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, PING_TIMEOUT_MS, NULL, on_pong,
			       call);
}

/* Push up to max of c's due sessions, least recently pushed first. */
static guint serve(Client *c, guint max)
{
	guint n = 0, left = c->pushed.length;
	GList *l = c->pushed.head;

	while (l && left-- && n < max) {
		Pushed *p = l->data;
		GList *next = l->next;

		if (p->due <= push.tick) {
			g_dbus_connection_emit_signal(push.bus, c->owner,
						      nfc_session_get_path(p->session),
						      "net.nfconn.SessionStats", "Stats",
						      g_variant_new("(@a{sv})", push.build(p->session)),
						      NULL);
			p->due = push.tick + (guint64)p->period * SLICES;
			g_queue_unlink(&c->pushed, l);
			g_queue_push_tail_link(&c->pushed, l);
			n++;
		}
		l = next;
	}
	return n;
}

static void push_slice(void)
{
	guint budget = NFC_STATS_PUSH_TOTAL / SLICES;
	guint clients;

	if (!push.clients)
		return;
	clients = push.clients_order.length;
	/* every client's turn once; whoever the total left out comes first
	 * next time */
	for (guint i = 0; i < clients && budget; i++) {
		GList *turn = g_queue_pop_head_link(&push.clients_order);
		Client *c = turn->data;
		guint sent;

		g_queue_push_tail_link(&push.clients_order, turn);
		if (c->ping_id || push.pings >= PINGS_MAX)
			continue;
		if (c->stuck) {
			if (push.stuck_pings < PINGS_MAX / 2)
				ping(c);
			continue;
		}
		sent = serve(c, MIN(budget, NFC_STATS_PUSH_PER_CLIENT / SLICES));
		budget -= sent;
		if (sent)
			ping(c);
	}
}

static void on_counters(int error, void *user_data)
{
	push.reading = false;
	push_slice();
}

/* The counters are read once a second; the slices between push what that
 * read found. */
static gboolean on_tick(gpointer data)
{
	push.tick++;
	if (push.tick % SLICES) {
		push_slice();
		return G_SOURCE_CONTINUE;
	}
	/* a slow read (a large ruleset) does not pile up more reads */
	if (push.reading)
		return G_SOURCE_CONTINUE;
	push.reading = true;
	if (nfc_engine_read_counters(on_counters, NULL) < 0)
		on_counters(0, NULL);
	return G_SOURCE_CONTINUE;
}

void nfc_stats_push_set_period(NfcSession *s, guint seconds)
{
	const char *owner = nfc_session_get_owner(s);
	Pushed *p;
	Client *c;

	if (!seconds) {
		forget(s);
		return;
	}
	p = g_hash_table_lookup(push.sessions, s);
	if (!p) {
		c = g_hash_table_lookup(push.clients, owner);
		if (!c) {
			c = g_new0(Client, 1);
			c->owner = g_strdup(owner);
			c->turn.data = c;
			g_queue_push_tail_link(&push.clients_order, &c->turn);
			g_hash_table_insert(push.clients, c->owner, c);
		}
		p = g_new0(Pushed, 1);
		p->session = s;
		p->client = c;
		p->link.data = p;
		g_queue_push_tail_link(&c->pushed, &p->link);
		g_hash_table_insert(push.sessions, s, p);
	}
	p->period = seconds;
	p->due = push.tick + (guint64)seconds * SLICES;
	if (!push.timer)
		push.timer = g_timeout_add(1000 / SLICES, on_tick, NULL);
}

static void on_destroyed(NfcSession *s, void *user_data)
{
	forget(s);
}

void nfc_stats_push_init(GDBusConnection *bus, NfcStatsBuildFunc build)
{
	static const NfcSessionWatch w = {
		.destroyed = on_destroyed,
	};

	push.bus = g_object_ref(bus);
	push.build = build;
	push.sessions = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	push.clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					     (GDestroyNotify)client_free);
	g_queue_init(&push.clients_order);
	push.session_watch = nfc_session_watch_add(&w, NULL);
}

void nfc_stats_push_cleanup(void)
{
	if (!push.bus)
		return;
	if (push.timer)
		g_source_remove(push.timer);
	push.timer = 0;
	nfc_session_watch_remove(push.session_watch);
	g_clear_pointer(&push.sessions, g_hash_table_unref);
	g_clear_pointer(&push.clients, g_hash_table_unref);
	g_clear_object(&push.bus);
	if (push.trim)
		g_source_remove(push.trim);
	push.trim = 0;
}
