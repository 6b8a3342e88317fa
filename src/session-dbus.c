// SPDX-License-Identifier: GPL-2.0-or-later
#include "session-dbus.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "config.h"
#include "dbus-error.h"
#include "dbus-subtree.h"
#include "log.h"
#include "nfc-dbus.h"
#include "nfc-ext-dbus.h"
#include "service-dbus.h"
#include "session.h"

static GDBusConnection *bus;
static unsigned int session_watch;
static guint owner_subscription;
/* sender → its Creds: a connection's credentials are fixed when it
 * connects, so one GetConnectionCredentials per client is enough; dropped
 * when the bus says the name is gone (unique names are never reused) */
static GHashTable *creds_cache;

char *nfc_session_dbus_path(const char *sender, const char *notifier)
{
	g_autofree char *owner = g_strdup(sender);

	g_strdelimit(owner, ":.", '_');
	if (g_str_equal(notifier, "/"))
		return g_strdup_printf("/sessions/%s", owner);
	return g_strdup_printf("/sessions/%s%s", owner, notifier);
}

/* ---- Update: the keys and their values ----------------------------------- */

static GVariant *key_state(NfcSession *s)
{
	return g_variant_new_string(nfc_session_state_to_string(nfc_session_get_state(s)));
}

static GVariant *key_name(NfcSession *s)
{
	NfcService *svc = nfc_session_get_service(s);

	return g_variant_new_string(svc ? nfc_service_get_name(svc) : "");
}

static GVariant *key_bearer(NfcSession *s)
{
	NfcService *svc = nfc_session_get_service(s);

	return g_variant_new_string(svc ? nfc_service_get_type(svc) : "");
}

static GVariant *key_interface(NfcSession *s)
{
	NfcService *svc = nfc_session_get_service(s);

	return g_variant_new_string(svc ? nfc_service_get_interface(svc) : "");
}

static GVariant *service_ipconfig(NfcSession *s, const char *family)
{
	NfcService *svc = nfc_session_get_service(s);

	if (svc)
		return nfc_service_dbus_property(svc, family);
	return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
}

static GVariant *key_ipv4(NfcSession *s)
{
	return service_ipconfig(s, "IPv4");
}

static GVariant *key_ipv6(NfcSession *s)
{
	return service_ipconfig(s, "IPv6");
}

static GVariant *key_connection_type(NfcSession *s)
{
	return g_variant_new_string(nfc_conn_type_to_string(nfc_session_get_type(s)));
}

static GVariant *key_allowed_bearers(NfcSession *s)
{
	return g_variant_new_strv((const char *const *)nfc_session_get_bearers(s), -1);
}

static GVariant *key_allowed_interface(NfcSession *s)
{
	const char *ifname = nfc_session_get_interface(s);

	return g_variant_new_string(ifname ? ifname : "*");
}

static GVariant *key_context_identifier(NfcSession *s)
{
	const char *id = nfc_session_get_settings(s)->context_identifier;

	return g_variant_new_string(id ? id : "");
}

static GVariant *key_source_ip_rule(NfcSession *s)
{
	return g_variant_new_boolean(nfc_session_get_settings(s)->source_ip_rule);
}

typedef struct {
	const char *name;
	GVariant *(*get)(NfcSession *s); /* floating */
} Key;

/* In ConnMan's order (the first Update lists them so). A key's index is
 * its slot in nfc_session_sent_hashes(), which has 11. */
static const Key keys[] = {
	{ "State", key_state },
	{ "Name", key_name },
	{ "Bearer", key_bearer },
	{ "Interface", key_interface },
	{ "IPv4", key_ipv4 },
	{ "IPv6", key_ipv6 },
	{ "ConnectionType", key_connection_type },
	{ "AllowedBearers", key_allowed_bearers },
	{ "AllowedInterface", key_allowed_interface },
	{ "ContextIdentifier", key_context_identifier },
	{ "SourceIPRule", key_source_ip_rule },
};
G_STATIC_ASSERT(G_N_ELEMENTS(keys) == 11);

/* FNV-1a over the serialised value: the daemon remembers 4 bytes per key
 * and session, not the values themselves. */
static uint32_t value_hash(GVariant *v)
{
	const guchar *p = g_variant_get_data(v);
	gsize n = g_variant_get_size(v);
	uint32_t h = 2166136261u;

	for (gsize i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h ? h : 1;
}

static void send_update(NfcSession *s)
{
	uint32_t *sent = nfc_session_sent_hashes(s);
	bool all = !nfc_session_get_initial_sent(s);
	GVariantBuilder b;
	bool any = false;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
		g_autoptr(GVariant) v = g_variant_ref_sink(keys[k].get(s));
		uint32_t h = value_hash(v);

		if (all || h != sent[k]) {
			g_variant_builder_add(&b, "{sv}", keys[k].name, v);
			sent[k] = h;
			any = true;
		}
	}
	if (!any) {
		g_variant_builder_clear(&b);
		return;
	}
	nfc_session_set_initial_sent(s);
	/* no callback: GDBus marks the call no-reply-expected */
	g_dbus_connection_call(bus, nfc_session_get_owner(s), nfc_session_get_notifier(s),
			       "net.connman.Notification", "Update",
			       g_variant_new("(@a{sv})", g_variant_builder_end(&b)), NULL,
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

/* Updates owed, sent at the bus's pace: an uplink change owes one to
 * every session, and 65,536 of them queued at once sat in front of every
 * other reply of ours (one connection, one queue) until the bus had
 * routed them all. So a batch goes out, the next one when the first is
 * written (the flush completes); a session owed twice gets one Update,
 * with its state when its turn comes. */
#define UPDATE_SLICE_US 5000

static GHashTable *owed;      /* NfcSession* set */
static guint owed_idle;
static bool flushing;

static void schedule_updates(void);

static void on_flushed(GObject *src, GAsyncResult *res, gpointer data)
{
	g_dbus_connection_flush_finish(G_DBUS_CONNECTION(src), res, NULL);
	flushing = false;
	/* stopped meanwhile: the table went with the bus */
	if (owed)
		schedule_updates();
}

static gboolean on_owed(gpointer data)
{
	gint64 end = g_get_monotonic_time() + UPDATE_SLICE_US;
	GHashTableIter it;
	gpointer key;
	guint n = 0;

	owed_idle = 0;
	g_hash_table_iter_init(&it, owed);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		g_hash_table_iter_remove(&it);
		send_update(key);
		if (++n % 16 == 0 && g_get_monotonic_time() >= end)
			break;
	}
	flushing = true;
	g_dbus_connection_flush(bus, NULL, on_flushed, NULL);
	return G_SOURCE_REMOVE;
}

static void schedule_updates(void)
{
	if (!owed_idle && !flushing && g_hash_table_size(owed))
		owed_idle = g_idle_add_full(G_PRIORITY_DEFAULT, on_owed, NULL, NULL);
}

static void on_session_changed(NfcSession *s, void *user_data)
{
	/* before the first Update the client gets everything anyway */
	if (!nfc_session_get_initial_sent(s))
		return;
	g_hash_table_add(owed, s);
	schedule_updates();
}

/* ---- net.connman.Session and net.nfconn.SessionStats: the methods ---------- */

static NfcSessionStatsHandler stats_handler;

void nfc_session_dbus_set_stats_handler(NfcSessionStatsHandler handler)
{
	stats_handler = handler;
}

static void method_destroy(NfcSession *s, GDBusMethodInvocation *inv, GVariant *params)
{
	g_dbus_method_invocation_return_value(inv, NULL);
	nfc_session_destroy(s);
}

static void method_connect(NfcSession *s, GDBusMethodInvocation *inv, GVariant *params)
{
	g_dbus_method_invocation_return_value(inv, NULL);
	nfc_session_connect(s);
}

static void method_disconnect(NfcSession *s, GDBusMethodInvocation *inv, GVariant *params)
{
	g_dbus_method_invocation_return_value(inv, NULL);
	nfc_session_disconnect(s);
}

static void method_change(NfcSession *s, GDBusMethodInvocation *inv, GVariant *params)
{
	const char *name;
	g_autoptr(GVariant) value = NULL;
	g_autoptr(GError) error = NULL;
	int r;

	g_variant_get(params, "(&sv)", &name, &value);
	if (!nfc_session_change_allowed(s, name, value, &error)) {
		nfc_dbus_return_error_printf(inv, NFC_ERROR_PERMISSION_DENIED, "%s", error->message);
		return;
	}
	r = nfc_session_change(s, name, value);
	if (r < 0)
		nfc_dbus_return_errno(inv, r);
	else
		g_dbus_method_invocation_return_value(inv, NULL);
}

static void method_stats(NfcSession *s, GDBusMethodInvocation *inv, GVariant *params)
{
	if (!stats_handler) {
		nfc_dbus_return_error(inv, NFC_ERROR_NOT_SUPPORTED);
		return;
	}
	stats_handler(s, inv, g_dbus_method_invocation_get_method_name(inv), params);
}

typedef struct {
	const char *iface, *member;
	void (*handle)(NfcSession *s, GDBusMethodInvocation *inv, GVariant *params);
} Method;

/* every method of the two interfaces' XML; GDBus has checked the
 * arguments against it before a handler runs */
static const Method methods[] = {
	{ "net.connman.Session", "Destroy", method_destroy },
	{ "net.connman.Session", "Connect", method_connect },
	{ "net.connman.Session", "Disconnect", method_disconnect },
	{ "net.connman.Session", "Change", method_change },
	{ "net.nfconn.SessionStats", "GetStats", method_stats },
	{ "net.nfconn.SessionStats", "SetPeriod", method_stats },
};

static void on_method_call(GDBusConnection *conn, const char *sender, const char *path,
			   const char *iface, const char *member, GVariant *params,
			   GDBusMethodInvocation *inv, gpointer user_data)
{
	NfcSession *s = nfc_session_lookup(path);

	/* gone since GDBus asked (a call queued behind the session's Destroy) */
	if (!s) {
		nfc_dbus_return_error(inv, NFC_ERROR_NOT_FOUND);
		return;
	}
	/* ConnMan lets anybody drive anybody's session; we do not */
	if (g_strcmp0(sender, nfc_session_get_owner(s))) {
		nfc_dbus_return_error(inv, NFC_ERROR_PERMISSION_DENIED);
		return;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
		if (g_str_equal(iface, methods[i].iface) && g_str_equal(member, methods[i].member)) {
			methods[i].handle(s, inv, params);
			return;
		}
	}
	nfc_dbus_return_error(inv, NFC_ERROR_NOT_IMPLEMENTED);
}

/* ---- the objects: served by dbus-subtree from the interfaces' info ---------- */

static NfcDbusSubtree *objects;

static gboolean session_exists(const char *path)
{
	return nfc_session_lookup(path) != NULL;
}

static const NfcDbusSubtreeOps object_ops = {
	.vtable = { on_method_call, NULL, NULL, { 0 } },
	.exists = session_exists,
};

static void on_session_destroyed(NfcSession *s, void *user_data)
{
	g_hash_table_remove(owed, s);
	nfc_dbus_subtree_remove(objects, nfc_session_get_path(s));
}

/* ---- creation ----------------------------------------------------------- */

typedef struct {
	GDBusMethodInvocation *inv;
	NfcSessionSettings settings;
	char *notifier;
	char *path;
} Pending;

static void pending_free(Pending *p)
{
	g_object_unref(p->inv);
	nfc_session_settings_clear(&p->settings);
	g_free(p->notifier);
	g_free(p->path);
	g_free(p);
}

static void fill_groups(NfcIdentity *id)
{
	struct passwd *pw = getpwuid(id->uid);
	int n = 64;
	g_autofree gid_t *list = NULL;

	if (!pw) {
		g_array_append_val(id->gids, id->uid); /* no user entry: own gid = uid */
		id->gid = id->uid;
		return;
	}
	id->gid = pw->pw_gid;
	list = g_new(gid_t, n);
	if (getgrouplist(pw->pw_name, pw->pw_gid, list, &n) < 0) {
		g_free(list);
		list = g_new(gid_t, n);
		getgrouplist(pw->pw_name, pw->pw_gid, list, &n);
	}
	g_array_append_vals(id->gids, list, n);
}

/* What CreateSession needs of a client's credentials, read once from
 * the bus's answer and kept compact: the answer itself cost more per
 * client than a session does. */
typedef struct {
	guint32 uid, pid;
	char *label;     /* an SELinux context; NULL: none worth matching */
	guint n_gids;    /* 0: the bus sent none */
	guint32 gids[];  /* the primary group first, as the bus lists them */
} Creds;

static void creds_free(gpointer data)
{
	Creds *c = data;

	g_free(c->label);
	g_free(c);
}

static Creds *creds_new(GVariant *dict)
{
	g_autoptr(GVariant) gids = g_variant_lookup_value(dict, "UnixGroupIDs", G_VARIANT_TYPE("au"));
	g_autoptr(GVariant) label = g_variant_lookup_value(dict, "LinuxSecurityLabel",
							   G_VARIANT_TYPE_BYTESTRING);
	gsize n = 0;
	const guint32 *list = gids ? g_variant_get_fixed_array(gids, &n, sizeof(guint32)) : NULL;
	Creds *c = g_malloc0(sizeof(*c) + n * sizeof(guint32));

	g_variant_lookup(dict, "UnixUserID", "u", &c->uid);
	g_variant_lookup(dict, "ProcessID", "u", &c->pid);
	c->n_gids = n;
	if (n)
		memcpy(c->gids, list, n * sizeof(guint32));
	if (label) {
		gsize len;
		const char *text = g_variant_get_fixed_array(label, &len, 1);

		/* the kernel's label is NUL-terminated; "unconfined" and "kernel"
		 * are not SELinux contexts worth matching */
		if (len > 1 && memchr(text, ':', len))
			c->label = g_strndup(text, len);
	}
	return c;
}

static void identity_from_creds(const Creds *c, NfcIdentity *id)
{
	memset(id, 0, sizeof(*id));
	id->gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	id->uid = c->uid;
	id->pid = c->pid;
	if (c->n_gids) {
		for (guint i = 0; i < c->n_gids; i++) {
			gid_t g = c->gids[i];

			g_array_append_val(id->gids, g);
		}
		id->gid = c->gids[0];
	} else {
		fill_groups(id);
	}
	id->label = g_strdup(c->label);
	/* The pid may have exited and been reused between the call and this
	 * read: the bus (1.14) offers no pidfd to pin it. The window is the
	 * length of one GetConnectionCredentials round trip. */
	id->cgroup = nfc_identity_read_cgroup(id->pid);
}

static void create_with(Pending *p, const Creds *creds)
{
	const char *sender = g_dbus_method_invocation_get_sender(p->inv);
	NfcIdentity identity;
	NfcSession *s = NULL;
	g_autoptr(GError) error = NULL;
	int r;

	/* the object is served before the client can know its path */
	if (!nfc_dbus_subtree_add(objects, p->path, &error)) {
		nfc_warn("cannot serve %s: %s", p->path, error->message);
		nfc_dbus_return_error(p->inv, NFC_ERROR_FAILED);
		pending_free(p);
		return;
	}
	identity_from_creds(creds, &identity);
	r = nfc_session_create(p->path, sender, p->notifier, &p->settings, &identity, &s);
	nfc_identity_clear(&identity);
	if (r < 0)
		nfc_dbus_subtree_remove(objects, p->path);
	if (r == -EMLINK || r == -EDQUOT || r == -EUSERS) {
		const NfcConfig *cfg = nfc_config_active();

		nfc_dbus_return_error_printf(p->inv, NFC_ERROR_FAILED, "Too many sessions (limit %u %s)",
			r == -EMLINK ? cfg->sessions_per_client :
			r == -EDQUOT ? cfg->sessions_per_user : cfg->sessions_max,
			r == -EMLINK ? "per client: SessionsPerClient" :
			r == -EDQUOT ? "per user: SessionsPerUser" : "in total: SessionsMax");
		pending_free(p);
		return;
	}
	if (r < 0) {
		nfc_dbus_return_errno(p->inv, r);
		pending_free(p);
		return;
	}
	/* the reply first, then the first Update with every key */
	g_dbus_method_invocation_return_value(p->inv, g_variant_new("(o)", p->path));
	send_update(s);
	pending_free(p);
}

static void on_credentials(GObject *src, GAsyncResult *res, gpointer data)
{
	Pending *p = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &error);
	g_autoptr(GVariant) dict = NULL;
	Creds *creds;

	/* the client left before we knew who it was, or the daemon stops */
	if (!reply || !bus) {
		nfc_dbus_return_errno(p->inv, -ECONNABORTED);
		pending_free(p);
		return;
	}
	dict = g_variant_get_child_value(reply, 0);
	creds = creds_new(dict);
	g_hash_table_replace(creds_cache, g_strdup(g_dbus_method_invocation_get_sender(p->inv)),
			     creds);
	create_with(p, creds);
}

void nfc_session_dbus_create(GDBusMethodInvocation *inv, GVariant *settings, const char *notifier)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	const Creds *creds;
	Pending *p;
	const char *bad = NULL;
	int r;

	p = g_new0(Pending, 1);
	p->inv = g_object_ref(inv);
	r = nfc_session_settings_parse(settings, &p->settings, &bad);
	if (r < 0) {
		nfc_dbus_return_error_printf(inv, NFC_ERROR_INVALID_ARGUMENTS, "Invalid arguments: %s",
					     bad ? bad : "settings");
		pending_free(p);
		return;
	}
	p->notifier = g_strdup(notifier);
	p->path = nfc_session_dbus_path(sender, notifier);
	if (nfc_session_lookup(p->path)) {
		nfc_dbus_return_error(inv, NFC_ERROR_ALREADY_EXISTS);
		pending_free(p);
		return;
	}
	creds = g_hash_table_lookup(creds_cache, sender);
	if (creds) {
		create_with(p, creds);
		return;
	}
	g_dbus_connection_call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetConnectionCredentials",
			       g_variant_new("(s)", sender), G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_credentials, p);
}

void nfc_session_dbus_destroy(GDBusMethodInvocation *inv, const char *path)
{
	NfcSession *s = nfc_session_lookup(path);

	if (!s) {
		nfc_dbus_return_error(inv, NFC_ERROR_INVALID_ARGUMENTS);
		return;
	}
	if (g_strcmp0(g_dbus_method_invocation_get_sender(inv), nfc_session_get_owner(s))) {
		nfc_dbus_return_error(inv, NFC_ERROR_PERMISSION_DENIED);
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
	nfc_session_destroy(s);
}

static void on_name_owner_changed(GDBusConnection *conn, const char *sender, const char *path,
				  const char *iface, const char *signal, GVariant *params,
				  gpointer data)
{
	const char *name, *old_owner, *new_owner;

	g_variant_get(params, "(&s&s&s)", &name, &old_owner, &new_owner);
	if (name[0] == ':' && !*new_owner) {
		g_hash_table_remove(creds_cache, name);
		nfc_session_destroy_owner(name);
	}
}

void nfc_session_dbus_init(GDBusConnection *conn)
{
	static const NfcSessionWatch w = {
		.changed = on_session_changed,
		.destroyed = on_session_destroyed,
	};
	GDBusInterfaceInfo *const infos[] = {
		nfc_dbus_session_interface_info(), nfc_ext_session_stats_interface_info(), NULL,
	};

	bus = g_object_ref(conn);
	creds_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, creds_free);
	owed = g_hash_table_new(NULL, NULL);
	objects = nfc_dbus_subtree_new(bus, infos, &object_ops);
	session_watch = nfc_session_watch_add(&w, NULL);
	/* one subscription for every client, not one watch per client */
	owner_subscription = g_dbus_connection_signal_subscribe(bus, "org.freedesktop.DBus",
		"org.freedesktop.DBus", "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, NULL, NULL);
}

/* Release() to every notifier, as ConnMan does on shutdown, but within a
 * bound: each is a message of its own that the bus routes (some ten
 * thousand a second here), so 65,536 sessions took seconds of stop.
 * Clients hear first, for one session each, then the other sessions,
 * as far as the budget goes. A client not told learns from the bus that
 * net.connman left, as it does after a crash. */
#define RELEASE_BUDGET_US (500 * 1000)
#define RELEASE_CHUNK 256

typedef struct {
	GHashTable *told;   /* owner (the session core's shared string) → its session told first */
	gboolean firsts;    /* this pass: one session of each client */
	gint64 end;
	guint sent, queued, skipped;
} Releasing;

static void release_one(NfcSession *s, void *user_data)
{
	Releasing *r = user_data;
	const char *owner = nfc_session_get_owner(s);
	g_autoptr(GDBusMessage) msg = NULL;
	NfcSession *first = g_hash_table_lookup(r->told, owner);

	if (r->firsts ? first != NULL : first == s)
		return;
	if (g_get_monotonic_time() >= r->end) {
		r->skipped++;
		return;
	}
	if (r->firsts)
		g_hash_table_insert(r->told, (gpointer)owner, s);
	msg = g_dbus_message_new_method_call(owner, nfc_session_get_notifier(s),
					     "net.connman.Notification", "Release");
	g_dbus_message_set_flags(msg, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
	g_dbus_connection_send_message(bus, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
	r->sent++;
	/* the clock only sees the bus's pace once what was queued is out */
	if (++r->queued == RELEASE_CHUNK) {
		r->queued = 0;
		g_dbus_connection_flush_sync(bus, NULL, NULL);
	}
}

static void release_all(void)
{
	Releasing r = { g_hash_table_new(NULL, NULL), TRUE,
			g_get_monotonic_time() + RELEASE_BUDGET_US, 0, 0, 0 };

	nfc_session_foreach(release_one, &r);
	r.firsts = FALSE;
	nfc_session_foreach(release_one, &r);
	if (r.skipped)
		nfc_info("shutdown: Release() sent to %u notifiers, not to %u more (time budget)",
			 r.sent, r.skipped);
	g_hash_table_unref(r.told);
}

void nfc_session_dbus_cleanup(void)
{
	if (!bus)
		return;
	release_all();
	nfc_session_watch_remove(session_watch);
	/* what was owed goes unsent: Release() was the last word */
	if (owed_idle)
		g_source_remove(owed_idle);
	owed_idle = 0;
	g_clear_pointer(&owed, g_hash_table_unref);
	g_clear_pointer(&objects, nfc_dbus_subtree_free);
	g_dbus_connection_signal_unsubscribe(bus, owner_subscription);
	g_clear_pointer(&creds_cache, g_hash_table_unref);
	g_clear_object(&bus);
}
