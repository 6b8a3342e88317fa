// SPDX-License-Identifier: GPL-2.0-or-later
/* The "agent" command: a net.connman.Agent at /net/connman/nfconnctl<pid>
 * that answers the daemon's questions on this terminal (RequestInput:
 * passphrases and the like; ReportError: retry or not; RequestBrowser: a
 * login page). It serves only the owner of net.connman at registration:
 * anybody else on the bus could otherwise ask the user for a passphrase.
 * One request at a time, as ConnMan sends them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "format.h"
#include "parse.h"

#define AGENT_ERROR "net.connman.Agent.Error."

typedef enum {
	REQUEST_INPUT,
	REQUEST_ERROR,
	REQUEST_BROWSER,
} RequestKind;

typedef struct {
	RequestKind kind;
	GDBusMethodInvocation *inv;
	GVariant *fields;	/* RequestInput's a{sv} */
	GQueue asking;		/* field names still to ask (owned) */
	char *current;		/* the field being asked */
	GVariantDict values;
} Request;

struct NfcCtlAgent {
	NfcCtl *ctl;
	NfcDbusAgent *skeleton;
	char *path;
	char *daemon;		/* unique name of the daemon we registered with */
	guint daemon_watch;
	Request *request;
};

static void print(NfcCtl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void print(NfcCtl *ctl, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	nfc_ctl_print_async(ctl, text);
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void request_free(Request *r)
{
	g_clear_object(&r->inv);
	g_clear_pointer(&r->fields, g_variant_unref);
	g_queue_clear_full(&r->asking, g_free);
	g_free(r->current);
	g_variant_dict_clear(&r->values);
	g_free(r);
}

/* Ends the pending request with an error reply (NULL name: the reply was
 * already sent). */
static void request_end(NfcCtlAgent *a, const char *error, const char *message)
{
	Request *r = g_steal_pointer(&a->request);

	if (!r)
		return;
	nfc_ctl_ask_cancel(a->ctl);
	if (error && r->inv)
		g_dbus_method_invocation_return_dbus_error(g_steal_pointer(&r->inv), error,
							   message);
	request_free(r);
}

static GVariant *field(Request *r, const char *name)
{
	return g_variant_lookup_value(r->fields, name, G_VARIANT_TYPE_VARDICT);
}

static char *field_string(Request *r, const char *name, const char *key)
{
	g_autoptr(GVariant) f = field(r, name);
	const char *s = NULL;

	if (f && g_variant_lookup(f, key, "&s", &s))
		return g_strdup(s);
	return NULL;
}

static gboolean is_secret(const char *type)
{
	static const char *const secret[] = { "psk", "wep", "passphrase", "response", "wpspin",
					      NULL };

	return type && g_strv_contains(secret, type);
}

static void ask_next(NfcCtlAgent *a);

static void on_field_answer(NfcCtl *ctl, const char *answer, gpointer data)
{
	NfcCtlAgent *a = data;
	Request *r = a->request;
	g_autofree char *type = NULL, *requirement = NULL;

	if (!answer) {
		request_end(a, AGENT_ERROR "Canceled", "end of input");
		return;
	}
	type = field_string(r, r->current, "Type");
	requirement = field_string(r, r->current, "Requirement");
	if (g_strcmp0(type, "ssid") != 0 && !g_utf8_validate(answer, -1, NULL)) {
		/* D-Bus strings are UTF-8: ask again */
		print(ctl, "Agent: %s must be UTF-8 text\n", r->current);
		g_queue_push_head(&r->asking, g_steal_pointer(&r->current));
		ask_next(a);
		return;
	}
	if (*answer) {
		/* an SSID goes as bytes, everything else as a string */
		g_variant_dict_insert_value(&r->values, r->current,
					    g_strcmp0(type, "ssid") == 0 ?
					    g_variant_new_bytestring(answer) :
					    g_variant_new_string(answer));
	} else if (g_strcmp0(requirement, "mandatory") == 0) {
		g_autoptr(GVariant) f = field(r, r->current);
		g_autofree const char **alternates = NULL;

		/* left empty: what may stand in for it is asked instead */
		if (f && g_variant_lookup(f, "Alternates", "^a&s", &alternates) &&
		    alternates[0]) {
			for (gssize i = (gssize)g_strv_length((char **)alternates) - 1; i >= 0; i--)
				g_queue_push_head(&r->asking, g_strdup(alternates[i]));
		} else {
			print(ctl, "Agent: %s is required; request canceled\n", r->current);
			request_end(a, AGENT_ERROR "Canceled", "no answer");
			return;
		}
	}
	ask_next(a);
}

static void ask_next(NfcCtlAgent *a)
{
	Request *r = a->request;
	g_autofree char *type = NULL, *prompt = NULL;

	g_free(r->current);
	r->current = g_queue_pop_head(&r->asking);
	if (!r->current) {
		GVariant *values = g_variant_dict_end(&r->values);

		nfc_dbus_agent_complete_request_input(a->skeleton, g_steal_pointer(&r->inv),
						      values);
		request_end(a, NULL, NULL);
		return;
	}
	type = field_string(r, r->current, "Type");
	prompt = g_strdup_printf("%s? ", r->current);
	nfc_ctl_ask(a->ctl, prompt, is_secret(type), on_field_answer, a);
}

/* A call from anybody but the daemon is refused; so is a second request
 * while one waits for the user. */
static gboolean accept_call(NfcCtlAgent *a, GDBusMethodInvocation *inv, gboolean request)
{
	if (g_strcmp0(g_dbus_method_invocation_get_sender(inv), a->daemon) != 0) {
		g_dbus_method_invocation_return_dbus_error(inv, AGENT_ERROR "Rejected",
							   "only the daemon may ask");
		return FALSE;
	}
	if (request && a->request) {
		g_dbus_method_invocation_return_dbus_error(inv, AGENT_ERROR "Canceled",
							   "another request is waiting");
		return FALSE;
	}
	return TRUE;
}

static Request *request_new(NfcCtlAgent *a, RequestKind kind, GDBusMethodInvocation *inv)
{
	Request *r = g_new0(Request, 1);

	r->kind = kind;
	r->inv = g_object_ref(inv);
	g_queue_init(&r->asking);
	g_variant_dict_init(&r->values, NULL);
	a->request = r;
	return r;
}

static gboolean on_request_input(NfcDbusAgent *obj, GDBusMethodInvocation *inv,
				 const char *service, GVariant *fields, gpointer data)
{
	NfcCtlAgent *a = data;
	g_autoptr(GString) out = g_string_new(NULL);
	GVariantIter iter;
	const char *name;
	GVariant *value;
	Request *r;

	if (!accept_call(a, inv, TRUE))
		return TRUE;
	r = request_new(a, REQUEST_INPUT, inv);
	r->fields = g_variant_ref(fields);
	g_string_append_printf(out, "Agent RequestInput %s\n", last_component(service));
	g_variant_iter_init(&iter, fields);
	while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
		g_autoptr(GVariant) f = value;
		const char *requirement = "";

		if (!g_variant_is_of_type(f, G_VARIANT_TYPE_VARDICT))
			continue;
		/* every field is shown; informational ones are only shown,
		 * alternates asked when what they replace is left empty */
		g_string_append_printf(out, "  %s = [ ", name);
		nfc_ctl_dump(out, f, "", "=", ", ");
		g_string_append(out, " ]\n");
		g_variant_lookup(f, "Requirement", "&s", &requirement);
		if (g_str_equal(requirement, "mandatory") || g_str_equal(requirement, "optional"))
			g_queue_push_tail(&r->asking, g_strdup(name));
	}
	nfc_ctl_print_async(a->ctl, out->str);
	ask_next(a);
	return TRUE;
}

static void on_yes_no(NfcCtl *ctl, const char *answer, gpointer data)
{
	NfcCtlAgent *a = data;
	Request *r = a->request;
	gboolean yes = FALSE;

	if (answer && !nfc_ctl_parse_bool(answer, &yes)) {
		nfc_ctl_ask(ctl, "Please answer yes or no: ", FALSE, on_yes_no, a);
		return;
	}
	if (r->kind == REQUEST_ERROR) {
		/* Retry is an error reply by the API's design */
		if (yes)
			request_end(a, AGENT_ERROR "Retry", "retry");
		else
			nfc_dbus_agent_complete_report_error(a->skeleton, g_steal_pointer(&r->inv));
	} else if (yes) {
		nfc_dbus_agent_complete_request_browser(a->skeleton, g_steal_pointer(&r->inv));
	} else {
		request_end(a, AGENT_ERROR "Canceled", "not logged in");
	}
	request_end(a, NULL, NULL);
}

static gboolean on_report_error(NfcDbusAgent *obj, GDBusMethodInvocation *inv,
				const char *service, const char *error, gpointer data)
{
	NfcCtlAgent *a = data;

	if (!accept_call(a, inv, TRUE))
		return TRUE;
	request_new(a, REQUEST_ERROR, inv);
	print(a->ctl, "Agent ReportError %s\n  %s\n", last_component(service), error);
	nfc_ctl_ask(a->ctl, "Retry (yes/no)? ", FALSE, on_yes_no, a);
	return TRUE;
}

static gboolean on_request_browser(NfcDbusAgent *obj, GDBusMethodInvocation *inv,
				   const char *service, const char *url, gpointer data)
{
	NfcCtlAgent *a = data;

	if (!accept_call(a, inv, TRUE))
		return TRUE;
	request_new(a, REQUEST_BROWSER, inv);
	print(a->ctl, "Agent RequestBrowser %s\n  %s\n", last_component(service), url);
	nfc_ctl_ask(a->ctl, "Logged in (yes/no)? ", FALSE, on_yes_no, a);
	return TRUE;
}

static gboolean on_cancel(NfcDbusAgent *obj, GDBusMethodInvocation *inv, gpointer data)
{
	NfcCtlAgent *a = data;

	if (!accept_call(a, inv, FALSE))
		return TRUE;
	if (a->request) {
		print(a->ctl, "\nAgent request canceled by the daemon\n");
		request_end(a, AGENT_ERROR "Canceled", "canceled by the daemon");
	}
	nfc_dbus_agent_complete_cancel(obj, inv);
	return TRUE;
}

static void agent_free(NfcCtlAgent *a)
{
	request_end(a, AGENT_ERROR "Canceled", "the agent is going away");
	if (a->daemon_watch)
		g_bus_unwatch_name(a->daemon_watch);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(a->skeleton));
	g_object_unref(a->skeleton);
	g_free(a->path);
	g_free(a->daemon);
	g_free(a);
}

/* The daemon let go of us (Release, or it left the bus): a one-shot
 * "agent on" has nothing left to do. */
static void agent_gone(NfcCtl *ctl, const char *why)
{
	print(ctl, "Agent released: %s\n", why);
	g_clear_pointer(&ctl->agent, agent_free);
	if (!ctl->interactive) {
		/* the reply to Release must leave before we do */
		g_dbus_connection_flush_sync(ctl->bus, NULL, NULL);
		g_main_loop_quit(ctl->loop);
	}
}

static gboolean on_release(NfcDbusAgent *obj, GDBusMethodInvocation *inv, gpointer data)
{
	NfcCtlAgent *a = data;
	NfcCtl *ctl = a->ctl;

	if (!accept_call(a, inv, FALSE))
		return TRUE;
	nfc_dbus_agent_complete_release(obj, inv);
	agent_gone(ctl, "by the daemon");
	return TRUE;
}

static void on_daemon_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
	NfcCtlAgent *a = data;

	agent_gone(a->ctl, "the daemon left the bus");
}

static NfcDbusManager *manager_proxy(NfcCtl *ctl, GError **error)
{
	NfcDbusManager *m = nfc_dbus_manager_proxy_new_sync(
		ctl->bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
		G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS | G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
		NFC_CTL_SERVICE, "/", NULL, error);
	g_autofree char *owner = m ? g_dbus_proxy_get_name_owner(G_DBUS_PROXY(m)) : NULL;

	if (m && !owner) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
			    "nfconnd is not running (nobody owns %s)", NFC_CTL_SERVICE);
		g_clear_object(&m);
	}
	if (m)
		g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(m), NFC_CTL_TIMEOUT_MS);
	return m;
}

static int agent_on(NfcCtl *ctl)
{
	g_autoptr(NfcDbusManager) m = NULL;
	g_autoptr(GError) error = NULL;
	NfcCtlAgent *a;

	if (ctl->agent)
		return nfc_ctl_fail(NFC_CTL_FAILED, "agent", "Agent is already registered");
	if (!(m = manager_proxy(ctl, &error)))
		return nfc_ctl_fail_call("agent", NULL, error);
	a = g_new0(NfcCtlAgent, 1);
	a->ctl = ctl;
	a->path = g_strdup_printf("/net/connman/nfconnctl%d", (int)getpid());
	a->daemon = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(m));
	a->skeleton = nfc_dbus_agent_skeleton_new();
	g_signal_connect(a->skeleton, "handle-request-input", G_CALLBACK(on_request_input), a);
	g_signal_connect(a->skeleton, "handle-report-error", G_CALLBACK(on_report_error), a);
	g_signal_connect(a->skeleton, "handle-request-browser", G_CALLBACK(on_request_browser), a);
	g_signal_connect(a->skeleton, "handle-cancel", G_CALLBACK(on_cancel), a);
	g_signal_connect(a->skeleton, "handle-release", G_CALLBACK(on_release), a);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(a->skeleton), ctl->bus,
					      a->path, &error)) {
		g_object_unref(a->skeleton);
		g_free(a->path);
		g_free(a->daemon);
		g_free(a);
		return nfc_ctl_fail(NFC_CTL_FAILED, "agent", "%s", error->message);
	}
	if (!nfc_dbus_manager_call_register_agent_sync(m, a->path, NULL, &error)) {
		agent_free(a);
		return nfc_ctl_fail_call("agent", "The agent API", error);
	}
	/* the daemon's unique name: it goes only after everything the daemon
	 * sent on its way out (Release) has arrived, and a restarted daemon
	 * under the same well-known name does not know this agent */
	a->daemon_watch = g_bus_watch_name_on_connection(ctl->bus, a->daemon,
							 G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
							 on_daemon_vanished, a, NULL);
	ctl->agent = a;
	ctl->keep_running = TRUE;
	/* the command's own answer, not an event: plain output */
	printf("Agent registered\n");
	fflush(stdout);
	return NFC_CTL_OK;
}

static int agent_off(NfcCtl *ctl)
{
	g_autoptr(NfcDbusManager) m = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (!ctl->agent)
		return nfc_ctl_fail(NFC_CTL_FAILED, "agent", "Agent is not registered");
	ok = (m = manager_proxy(ctl, &error)) &&
	     nfc_dbus_manager_call_unregister_agent_sync(m, ctl->agent->path, NULL, &error);
	/* ours is gone either way: the daemon forgets an agent whose
	 * client leaves, and we stop answering */
	g_clear_pointer(&ctl->agent, agent_free);
	if (!ok)
		return nfc_ctl_fail_call("agent", "The agent API", error);
	printf("Agent unregistered\n");
	fflush(stdout);
	return NFC_CTL_OK;
}

int nfc_ctl_agent(NfcCtl *ctl, char **argv)
{
	gboolean on;

	if (!nfc_ctl_parse_bool(argv[1], &on))
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Invalid argument");
	return on ? agent_on(ctl) : agent_off(ctl);
}

void nfc_ctl_agent_stop(NfcCtl *ctl)
{
	g_autoptr(NfcDbusManager) m = NULL;

	if (!ctl->agent)
		return;
	m = manager_proxy(ctl, NULL);
	if (m)
		nfc_dbus_manager_call_unregister_agent_sync(m, ctl->agent->path, NULL, NULL);
	g_clear_pointer(&ctl->agent, agent_free);
}
