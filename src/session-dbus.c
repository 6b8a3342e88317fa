// SPDX-License-Identifier: GPL-2.0-or-later
#include "session-dbus.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "config.h"
#include "dbus-error.h"
#include "log.h"
#include "nfc-dbus.h"
#include "service-dbus.h"
#include "session.h"

#define N_KEYS 11
static const char *const update_keys[N_KEYS] = {
	"State", "Name", "Bearer", "Interface", "IPv4", "IPv6", "ConnectionType",
	"AllowedBearers", "AllowedInterface", "ContextIdentifier", "SourceIPRule",
};

static GDBusConnection *bus;
static unsigned int session_watch;
static guint owner_subscription;
/* sender → its credentials (a{sv}): a connection's credentials are fixed
 * when it connects, so one GetConnectionCredentials per client is enough;
 * dropped when the bus says the name is gone (unique names are never
 * reused) */
static GHashTable *creds_cache;

char *nfc_session_dbus_path(const char *sender, const char *notifier)
{
	g_autofree char *owner = g_strdup(sender);

	g_strdelimit(owner, ":.", '_');
	if (g_str_equal(notifier, "/"))
		return g_strdup_printf("/sessions/%s", owner);
	return g_strdup_printf("/sessions/%s%s", owner, notifier);
}

static GVariant *key_value(NfcSession *s, int k)
{
	NfcService *svc = nfc_session_get_service(s);
	const NfcSessionSettings *set = nfc_session_get_settings(s);
	const char *ifname;

	switch (k) {
	case 0:
		return g_variant_new_string(nfc_session_state_to_string(nfc_session_get_state(s)));
	case 1:
		return g_variant_new_string(svc ? nfc_service_get_name(svc) : "");
	case 2:
		return g_variant_new_string(svc ? nfc_service_get_type(svc) : "");
	case 3:
		return g_variant_new_string(svc ? nfc_service_get_interface(svc) : "");
	case 4:
	case 5:
		if (svc)
			return nfc_service_dbus_property(svc, k == 4 ? "IPv4" : "IPv6");
		return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
	case 6:
		return g_variant_new_string(nfc_conn_type_to_string(nfc_session_get_type(s)));
	case 7:
		return g_variant_new_strv((const char *const *)nfc_session_get_bearers(s), -1);
	case 8:
		ifname = nfc_session_get_interface(s);
		return g_variant_new_string(ifname ? ifname : "*");
	case 9:
		return g_variant_new_string(set->context_identifier ? set->context_identifier : "");
	default:
		return g_variant_new_boolean(set->source_ip_rule);
	}
}

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
	for (int k = 0; k < N_KEYS; k++) {
		GVariant *v = g_variant_ref_sink(key_value(s, k));
		uint32_t h = value_hash(v);

		if (all || h != sent[k]) {
			g_variant_builder_add(&b, "{sv}", update_keys[k], v);
			sent[k] = h;
			any = true;
		}
		g_variant_unref(v);
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

static void on_session_changed(NfcSession *s, void *user_data)
{
	/* before the first Update the client gets everything anyway */
	if (nfc_session_get_initial_sent(s))
		send_update(s);
}

/* ---- net.connman.Session and net.nfconn.SessionStats ------------------------ */

static NfcSessionStatsHandler stats_handler;
static guint filter_id;
static GMainContext *main_context;

void nfc_session_dbus_set_stats_handler(NfcSessionStatsHandler handler)
{
	stats_handler = handler;
}

static const char introspection[] =
	"<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
	"<node>\n"
	" <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
	"  <method name=\"Introspect\"><arg type=\"s\" direction=\"out\"/></method>\n"
	" </interface>\n"
	" <interface name=\"net.connman.Session\">\n"
	"  <method name=\"Destroy\"/>\n"
	"  <method name=\"Connect\"/>\n"
	"  <method name=\"Disconnect\"/>\n"
	"  <method name=\"Change\"><arg type=\"s\" direction=\"in\"/>"
	"<arg type=\"v\" direction=\"in\"/></method>\n"
	" </interface>\n"
	" <interface name=\"net.nfconn.SessionStats\">\n"
	"  <method name=\"GetStats\"><arg type=\"a{sv}\" direction=\"out\"/></method>\n"
	"  <method name=\"SetPeriod\"><arg type=\"u\" direction=\"in\"/></method>\n"
	"  <signal name=\"Stats\"><arg type=\"a{sv}\"/></signal>\n"
	" </interface>\n"
	"</node>\n";

typedef struct {
	const char *iface, *member, *signature;
} Method;

static const Method methods[] = {
	{ "net.connman.Session", "Destroy", "" },
	{ "net.connman.Session", "Connect", "" },
	{ "net.connman.Session", "Disconnect", "" },
	{ "net.connman.Session", "Change", "sv" },
	{ "net.nfconn.SessionStats", "GetStats", "" },
	{ "net.nfconn.SessionStats", "SetPeriod", "u" },
	{ "org.freedesktop.DBus.Introspectable", "Introspect", "" },
};

static gboolean dispatch(gpointer data)
{
	GDBusMessage *call = data;
	const char *path = g_dbus_message_get_path(call);
	const char *iface = g_dbus_message_get_interface(call);
	const char *member = g_dbus_message_get_member(call);
	const char *sig = g_dbus_message_get_signature(call);
	GVariant *params = g_dbus_message_get_body(call);
	const Method *m = NULL;
	NfcSession *s;

	if (!bus)
		return G_SOURCE_REMOVE;
	s = nfc_session_lookup(path);
	if (!s) {
		g_autofree char *text = g_strdup_printf("No such object path '%s'", path);

		nfc_dbus_message_return_dbus_error(bus, call, "org.freedesktop.DBus.Error.UnknownObject",
						   text);
		return G_SOURCE_REMOVE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(methods) && !m; i++)
		if (g_strcmp0(member, methods[i].member) == 0 &&
		    (!iface || g_str_equal(iface, methods[i].iface)))
			m = &methods[i];
	if (!m) {
		nfc_dbus_message_return_dbus_error(bus, call, "org.freedesktop.DBus.Error.UnknownMethod",
						   "No such method on a session");
		return G_SOURCE_REMOVE;
	}
	if (g_strcmp0(sig ? sig : "", m->signature)) {
		nfc_dbus_message_return_dbus_error(bus, call, "org.freedesktop.DBus.Error.InvalidArgs",
						   "Wrong arguments for this method");
		return G_SOURCE_REMOVE;
	}
	if (g_str_equal(m->iface, "org.freedesktop.DBus.Introspectable")) {
		nfc_dbus_message_return(bus, call, g_variant_new("(s)", introspection));
		return G_SOURCE_REMOVE;
	}
	/* ConnMan lets anybody drive anybody's session; we do not */
	if (g_strcmp0(g_dbus_message_get_sender(call), nfc_session_get_owner(s))) {
		nfc_dbus_message_return_error(bus, call, NFC_ERROR_PERMISSION_DENIED);
		return G_SOURCE_REMOVE;
	}
	if (g_str_equal(m->iface, "net.nfconn.SessionStats")) {
		if (stats_handler)
			stats_handler(bus, s, call, member, params);
		else
			nfc_dbus_message_return_error(bus, call, NFC_ERROR_NOT_SUPPORTED);
	} else if (g_str_equal(member, "Destroy")) {
		nfc_dbus_message_return(bus, call, NULL);
		nfc_session_destroy(s);
	} else if (g_str_equal(member, "Connect")) {
		nfc_dbus_message_return(bus, call, NULL);
		nfc_session_connect(s);
	} else if (g_str_equal(member, "Disconnect")) {
		nfc_dbus_message_return(bus, call, NULL);
		nfc_session_disconnect(s);
	} else {
		const char *name;
		g_autoptr(GVariant) value = NULL;
		int r;

		g_variant_get(params, "(&sv)", &name, &value);
		r = nfc_session_change(s, name, value);
		if (r < 0)
			nfc_dbus_message_return_errno(bus, call, r);
		else
			nfc_dbus_message_return(bus, call, NULL);
	}
	return G_SOURCE_REMOVE;
}

/* Runs in GDBus's worker thread: it only picks the calls for session
 * objects and hands them to the main loop, in order. */
static GDBusMessage *session_filter(GDBusConnection *conn, GDBusMessage *msg, gboolean incoming,
				    gpointer user_data)
{
	const char *path;

	if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
		return msg;
	path = g_dbus_message_get_path(msg);
	if (!path || !g_str_has_prefix(path, "/sessions/"))
		return msg;
	g_main_context_invoke_full(main_context, G_PRIORITY_DEFAULT, dispatch, msg, g_object_unref);
	return NULL;
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

static void identity_from_credentials(GVariant *creds, NfcIdentity *id)
{
	g_autoptr(GVariant) gids = g_variant_lookup_value(creds, "UnixGroupIDs", G_VARIANT_TYPE("au"));
	g_autoptr(GVariant) label = g_variant_lookup_value(creds, "LinuxSecurityLabel",
							   G_VARIANT_TYPE_BYTESTRING);
	guint32 uid = 0, pid = 0;

	memset(id, 0, sizeof(*id));
	id->gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	g_variant_lookup(creds, "UnixUserID", "u", &uid);
	g_variant_lookup(creds, "ProcessID", "u", &pid);
	id->uid = uid;
	id->pid = pid;
	if (gids && g_variant_n_children(gids) > 0) {
		for (gsize i = 0; i < g_variant_n_children(gids); i++) {
			guint32 g;

			g_variant_get_child(gids, i, "u", &g);
			g_array_append_val(id->gids, g);
		}
		/* the bus lists the primary group first */
		id->gid = g_array_index(id->gids, gid_t, 0);
	} else {
		fill_groups(id);
	}
	if (label) {
		gsize len;
		const char *text = g_variant_get_fixed_array(label, &len, 1);

		/* the kernel's label is NUL-terminated; "unconfined" and "kernel"
		 * are not SELinux contexts worth matching */
		if (len > 1 && memchr(text, ':', len))
			id->label = g_strndup(text, len);
	}
	/* The pid may have exited and been reused between the call and this
	 * read: the bus (1.14) offers no pidfd to pin it. The window is the
	 * length of one GetConnectionCredentials round trip. */
	id->cgroup = nfc_identity_read_cgroup(id->pid);
}

static void create_with(Pending *p, GVariant *creds)
{
	const char *sender = g_dbus_method_invocation_get_sender(p->inv);
	NfcIdentity identity;
	NfcSession *s = NULL;
	int r;

	identity_from_credentials(creds, &identity);
	r = nfc_session_create(p->path, sender, p->notifier, &p->settings, &identity, &s);
	nfc_identity_clear(&identity);
	if (r == -EMLINK || r == -EUSERS) {
		g_dbus_method_invocation_return_error(p->inv, NFC_ERROR, NFC_ERROR_FAILED,
			"Too many sessions (limit %u %s)",
			r == -EMLINK ? nfc_config_active()->sessions_per_client :
				       nfc_config_active()->sessions_max,
			r == -EMLINK ? "per client: SessionsPerClient" : "in total: SessionsMax");
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
	g_autoptr(GVariant) creds = NULL;

	if (!reply) {
		/* the client left before we knew who it was */
		nfc_dbus_return_errno(p->inv, -ECONNABORTED);
		pending_free(p);
		return;
	}
	creds = g_variant_get_child_value(reply, 0);
	if (creds_cache)
		g_hash_table_replace(creds_cache, g_strdup(g_dbus_method_invocation_get_sender(p->inv)),
				     g_variant_ref(creds));
	create_with(p, creds);
}

void nfc_session_dbus_create(GDBusMethodInvocation *inv, GVariant *settings, const char *notifier)
{
	const char *sender = g_dbus_method_invocation_get_sender(inv);
	GVariant *creds;
	Pending *p;
	const char *bad = NULL;
	int r;

	p = g_new0(Pending, 1);
	p->inv = g_object_ref(inv);
	r = nfc_session_settings_parse(settings, &p->settings, &bad);
	if (r < 0) {
		g_dbus_method_invocation_return_error(inv, NFC_ERROR, NFC_ERROR_INVALID_ARGUMENTS,
						      "Invalid arguments: %s", bad ? bad : "settings");
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
	};

	bus = g_object_ref(conn);
	creds_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)g_variant_unref);
	main_context = g_main_context_ref_thread_default();
	filter_id = g_dbus_connection_add_filter(bus, session_filter, NULL, NULL);
	session_watch = nfc_session_watch_add(&w, NULL);
	/* one subscription for every client, not one watch per client */
	owner_subscription = g_dbus_connection_signal_subscribe(bus, "org.freedesktop.DBus",
		"org.freedesktop.DBus", "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, NULL, NULL);
}

static void release_one(NfcSession *s, void *user_data)
{
	g_autoptr(GDBusMessage) msg = g_dbus_message_new_method_call(nfc_session_get_owner(s),
		nfc_session_get_notifier(s), "net.connman.Notification", "Release");

	g_dbus_message_set_flags(msg, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
	g_dbus_connection_send_message(bus, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
}

void nfc_session_dbus_cleanup(void)
{
	if (!bus)
		return;
	nfc_session_foreach(release_one, NULL);
	g_dbus_connection_remove_filter(bus, filter_id);
	g_clear_pointer(&main_context, g_main_context_unref);
	nfc_session_watch_remove(session_watch);
	g_dbus_connection_signal_unsubscribe(bus, owner_subscription);
	g_clear_pointer(&creds_cache, g_hash_table_unref);
	g_clear_object(&bus);
}
