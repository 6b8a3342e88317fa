// SPDX-License-Identifier: GPL-2.0-or-later
/* The commands that query and change the daemon: parse the arguments,
 * call through the generated proxies, print in connmanctl's format or as
 * JSON. Calls are synchronous: a command is one round trip, and signals
 * that arrive meanwhile wait in the main context. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "format.h"
#include "json.h"
#include "parse.h"

#define PROXY_FLAGS (G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | \
		     G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS | \
		     G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START)

int nfc_ctl_fail(int status, const char *what, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (status == NFC_CTL_USAGE)
		fprintf(stderr, "Error '%s': %s\n", what, text);
	else
		fprintf(stderr, "Error %s: %s\n", what, text);
	return status;
}

int nfc_ctl_fail_call(const char *what, const char *thing, const GError *error)
{
	g_autofree char *text = nfc_ctl_error_text(error, thing);

	return nfc_ctl_fail(NFC_CTL_FAILED, what, "%s", text);
}

static int fail_extension(const char *what, const GError *error)
{
	if (nfc_ctl_error_is_unknown_method(error))
		return nfc_ctl_fail(NFC_CTL_UNSUPPORTED, what, "not supported by this nfconnd");
	return nfc_ctl_fail_call(what, NULL, error);
}

void nfc_ctl_print_async(NfcCtl *ctl, const char *text)
{
	if (ctl->print_async) {
		ctl->print_async(ctl, text);
		return;
	}
	fputs(text, stdout);
	fflush(stdout);
}

static void print_out(GString *out)
{
	fputs(out->str, stdout);
	fflush(stdout);
}

static void print_json(GString *out)
{
	g_string_append_c(out, '\n');
	print_out(out);
}

/* One dictionary: "Key = value" lines, or a JSON object. */
static int print_properties(NfcCtl *ctl, GVariant *props)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (ctl->json) {
		nfc_json_value(out, props);
		print_json(out);
	} else {
		nfc_ctl_format_properties(out, props);
		print_out(out);
	}
	return NFC_CTL_OK;
}

/* a(oa{sv}): a block per object (path, then its dictionary), or a JSON
 * object under key */
static int print_object_list(NfcCtl *ctl, const char *key, GVariant *list)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (ctl->json) {
		nfc_json_object_list(out, key, list);
		print_json(out);
	} else {
		nfc_ctl_format_technologies(out, list);
		print_out(out);
	}
	return NFC_CTL_OK;
}

static void set_timeout(gpointer proxy)
{
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), NFC_CTL_TIMEOUT_MS);
}

/* A proxy without an owner refuses calls with a message about proxy
 * flags; say what it means instead. */
static gpointer owned(gpointer proxy, GError **error)
{
	g_autofree char *owner = NULL;

	if (!proxy)
		return NULL;
	owner = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(proxy));
	if (!owner) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
			    "nfconnd is not running (nobody owns %s)", NFC_CTL_SERVICE);
		g_object_unref(proxy);
		return NULL;
	}
	set_timeout(proxy);
	return proxy;
}

static NfcDbusManager *manager(NfcCtl *ctl, GError **error)
{
	NfcDbusManager *m = nfc_dbus_manager_proxy_new_sync(ctl->bus, PROXY_FLAGS, NFC_CTL_SERVICE,
							    "/", NULL, error);

	return owned(m, error);
}

static NfcDbusService *service(NfcCtl *ctl, const char *id, GError **error)
{
	g_autofree char *path = g_strdup_printf("/net/connman/service/%s", id);
	NfcDbusService *s = nfc_dbus_service_proxy_new_sync(ctl->bus, PROXY_FLAGS, NFC_CTL_SERVICE,
							    path, NULL, error);

	return owned(s, error);
}

static NfcDbusTechnology *technology(NfcCtl *ctl, const char *type, GError **error)
{
	g_autofree char *path = g_strdup_printf("/net/connman/technology/%s", type);
	NfcDbusTechnology *t = nfc_dbus_technology_proxy_new_sync(ctl->bus, PROXY_FLAGS,
								 NFC_CTL_SERVICE, path, NULL,
								 error);

	return owned(t, error);
}

static int check_args(char **argv)
{
	const char *message = NULL;
	int status = nfc_ctl_check_args(argv, &message);

	if (status != NFC_CTL_OK)
		return nfc_ctl_fail(status, argv[0], "%s", message);
	return NFC_CTL_OK;
}

static int cmd_state(NfcCtl *ctl, char **argv)
{
	g_autoptr(NfcDbusManager) m = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GError) error = NULL;

	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_get_properties_sync(m, &props, NULL, &error))
		return nfc_ctl_fail_call("state", NULL, error);
	return print_properties(ctl, props);
}

static int cmd_clock(NfcCtl *ctl, char **argv)
{
	g_autoptr(NfcDbusClock) c = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GError) error = NULL;

	c = nfc_dbus_clock_proxy_new_sync(ctl->bus, PROXY_FLAGS, NFC_CTL_SERVICE, "/", NULL, &error);
	if (!c || !nfc_dbus_clock_call_get_properties_sync(c, &props, NULL, &error))
		return nfc_ctl_fail_call("clock", "The clock", error);
	return print_properties(ctl, props);
}

static int cmd_technologies(NfcCtl *ctl, char **argv)
{
	g_autoptr(NfcDbusManager) m = NULL;
	g_autoptr(GVariant) techs = NULL;
	g_autoptr(GError) error = NULL;

	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_get_technologies_sync(m, &techs, NULL, &error))
		return nfc_ctl_fail_call("technologies", NULL, error);
	return print_object_list(ctl, "technologies", techs);
}

static int cmd_services(NfcCtl *ctl, char **argv)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(NfcDbusManager) m = NULL;
	const char *id = NULL;
	guint n = g_strv_length(argv) - 1;

	if (n >= 1 && g_str_equal(argv[1], "--properties")) {
		if (n != 2)
			return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], n < 2 ? "Missing argument"
									  : "Argument list too long");
		id = argv[2];
	} else if (n > 1) {
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Argument list too long");
	} else {
		id = argv[1];
	}
	if (id && !nfc_ctl_valid_id(id))
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Invalid argument");

	if (id) {
		g_autoptr(NfcDbusService) s = NULL;
		g_autoptr(GVariant) props = NULL;
		g_autofree char *thing = g_strdup_printf("Service %s", id);

		if (!(s = service(ctl, id, &error)) ||
		    !nfc_dbus_service_call_get_properties_sync(s, &props, NULL, &error))
			return nfc_ctl_fail_call("services", thing, error);
		if (ctl->json) {
			nfc_json_object(out, g_dbus_proxy_get_object_path(G_DBUS_PROXY(s)), props);
			print_json(out);
		} else {
			nfc_ctl_format_service(out, g_dbus_proxy_get_object_path(G_DBUS_PROXY(s)),
					       props);
			print_out(out);
		}
		return NFC_CTL_OK;
	}

	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_get_services_sync(m, &list, NULL, &error))
		return nfc_ctl_fail_call("services", NULL, error);
	if (ctl->json) {
		nfc_json_object_list(out, "services", list);
		print_json(out);
	} else {
		nfc_ctl_format_services(out, list, NULL);
		g_string_append_c(out, '\n');
		print_out(out);
	}
	return NFC_CTL_OK;
}

static int cmd_enable(NfcCtl *ctl, char **argv)
{
	gboolean on = g_str_equal(argv[0], "enable");
	const char *what = argv[1];
	g_autoptr(GError) error = NULL;
	g_autofree char *thing = NULL;
	gboolean ok;

	if (g_str_equal(what, "offline")) {
		g_autoptr(NfcDbusManager) m = manager(ctl, &error);

		thing = g_strdup("Offline mode");
		ok = m && nfc_dbus_manager_call_set_property_sync(m, "OfflineMode",
								  g_variant_new_variant(g_variant_new_boolean(on)),
								  NULL, &error);
	} else {
		g_autoptr(NfcDbusTechnology) t = technology(ctl, what, &error);

		thing = g_strdup(what);
		ok = t && nfc_dbus_technology_call_set_property_sync(t, "Powered",
								     g_variant_new_variant(g_variant_new_boolean(on)),
								     NULL, &error);
	}
	if (!ok)
		return nfc_ctl_fail_call(what, thing, error);
	if (!ctl->json) {
		/* "Disable", not "Disabled": connmanctl's words */
		printf("%s %s\n", on ? "Enabled" : "Disable", what);
		fflush(stdout);
	}
	return NFC_CTL_OK;
}

static int cmd_connect(NfcCtl *ctl, char **argv)
{
	gboolean on = g_str_equal(argv[0], "connect");
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcDbusService) s = service(ctl, argv[1], &error);
	g_autofree char *thing = g_strdup_printf("Service %s", argv[1]);
	gboolean ok;

	if (on)
		ok = s && nfc_dbus_service_call_connect_sync(s, NULL, &error);
	else
		ok = s && nfc_dbus_service_call_disconnect_sync(s, NULL, &error);
	if (!ok)
		return nfc_ctl_fail_call(g_dbus_proxy_get_object_path(G_DBUS_PROXY(s)), thing, error);
	if (!ctl->json) {
		printf("%s %s\n", on ? "Connected" : "Disconnected", argv[1]);
		fflush(stdout);
	}
	return NFC_CTL_OK;
}

static int cmd_move(NfcCtl *ctl, char **argv)
{
	gboolean before = g_str_equal(argv[0], "move-before");
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcDbusService) s = service(ctl, argv[1], &error);
	g_autofree char *target = g_strdup_printf("/net/connman/service/%s", argv[2]);
	g_autofree char *thing = g_strdup_printf("Service %s", argv[1]);
	gboolean ok;

	if (before)
		ok = s && nfc_dbus_service_call_move_before_sync(s, target, NULL, &error);
	else
		ok = s && nfc_dbus_service_call_move_after_sync(s, target, NULL, &error);
	if (!ok)
		return nfc_ctl_fail_call(argv[1], thing, error);
	if (!ctl->json) {
		printf("Moved %s %s %s\n", argv[1], before ? "before" : "after", argv[2]);
		fflush(stdout);
	}
	return NFC_CTL_OK;
}

static int cmd_config(NfcCtl *ctl, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changes = nfc_ctl_parse_config(argv + 2, &error);
	g_autoptr(NfcDbusService) s = NULL;
	g_autofree char *thing = g_strdup_printf("Service %s", argv[1]);

	if (!changes)
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "%s", error->message);
	if (!(s = service(ctl, argv[1], &error)))
		return nfc_ctl_fail_call(argv[1], thing, error);
	for (guint i = 0; i < changes->len; i++) {
		NfcCtlChange *c = changes->pdata[i];
		gboolean ok;

		if (!c->property)
			ok = nfc_dbus_service_call_remove_sync(s, NULL, &error);
		else
			ok = nfc_dbus_service_call_set_property_sync(s, c->property,
								     g_variant_new_variant(c->value),
								     NULL, &error);
		if (!ok)
			return nfc_ctl_fail_call(argv[1], thing, error);
	}
	return NFC_CTL_OK;
}

static gboolean tech_set(NfcDbusTechnology *t, const char *name, GVariant *value, GError **error)
{
	return nfc_dbus_technology_call_set_property_sync(t, name, g_variant_new_variant(value),
							  NULL, error);
}

static GVariant *call_extension(NfcCtl *ctl, const char *what, const char *path,
				const char *iface, const char *method, GVariant *params,
				const char *reply_type, int *status);

/* net.nfconn.Tethering.GetStatus's dictionary, or NULL (printed). */
static GVariant *tether_status(NfcCtl *ctl, const char *what, int *status)
{
	g_autoptr(GVariant) reply = call_extension(ctl, what, "/", NFC_CTL_EXT_TETHERING,
						   "GetStatus", NULL, "(a{sv})", status);

	return reply ? g_variant_get_child_value(reply, 0) : NULL;
}

static int cmd_tether_status(NfcCtl *ctl)
{
	g_autoptr(GVariant) props = NULL;
	int status = NFC_CTL_OK;

	if (!(props = tether_status(ctl, "tether status", &status)))
		return status;
	/* off is an answer, not a failure: Enabled = False */
	return print_properties(ctl, props);
}

static int cmd_tether_clients(NfcCtl *ctl)
{
	g_autoptr(GVariant) props = NULL, reply = NULL, clients = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	gboolean enabled = FALSE;
	int status = NFC_CTL_OK;

	if (!(props = tether_status(ctl, "tether clients", &status)))
		return status;
	/* an empty table would not say why it is empty */
	if (!g_variant_lookup(props, "Enabled", "b", &enabled) || !enabled)
		return nfc_ctl_fail(NFC_CTL_FAILED, "tether clients", "Tethering is off");
	reply = call_extension(ctl, "tether clients", "/", NFC_CTL_EXT_TETHERING, "GetClients",
			       NULL, "(a(sa{sv}))", &status);
	if (!reply)
		return status;
	clients = g_variant_get_child_value(reply, 0);
	if (ctl->json) {
		nfc_json_keyed_list(out, "MAC", clients);
		print_json(out);
	} else {
		nfc_ctl_format_tether_clients(out, clients);
		print_out(out);
	}
	return NFC_CTL_OK;
}

static int cmd_tether(NfcCtl *ctl, char **argv)
{
	guint n = g_strv_length(argv) - 1;
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcDbusTechnology) t = NULL;
	gboolean on;

	if (n == 0 || (n == 1 && g_str_equal(argv[1], "status")))
		return cmd_tether_status(ctl);
	if (n == 1 && g_str_equal(argv[1], "clients"))
		return cmd_tether_clients(ctl);
	if (n != 2 && n != 4)
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], n < 2 ? "Missing argument"
								  : "Invalid argument");
	if (!nfc_ctl_parse_bool(argv[2], &on))
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Invalid argument");
	if (n == 4 && !on)
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "SSID and passphrase need 'on'");
	if (!(t = technology(ctl, argv[1], &error)))
		return nfc_ctl_fail_call(argv[1], argv[1], error);
	if (n == 4) {
		if (!tech_set(t, "TetheringIdentifier", g_variant_new_string(argv[3]), &error))
			return nfc_ctl_fail_call("setting wifi SSID", argv[1], error);
		if (!ctl->json)
			printf("Wifi SSID set\n");
		if (!tech_set(t, "TetheringPassphrase", g_variant_new_string(argv[4]), &error))
			return nfc_ctl_fail_call("setting wifi passphrase", argv[1], error);
		if (!ctl->json)
			printf("Wifi passphrase set\n");
	}
	if (!tech_set(t, "Tethering", g_variant_new_boolean(on), &error)) {
		g_autofree char *what = g_strdup_printf("%s %s tethering",
							on ? "enabling" : "disabling", argv[1]);

		return nfc_ctl_fail_call(what, argv[1], error);
	}
	if (!ctl->json)
		printf("%s tethering for %s\n", on ? "Enabled" : "Disabled", argv[1]);
	fflush(stdout);
	return NFC_CTL_OK;
}

/* Calls an nfconnd extension method; NULL (and the error printed) when the
 * daemon lacks it or fails. */
static GVariant *call_extension(NfcCtl *ctl, const char *what, const char *path,
				const char *iface, const char *method, GVariant *params,
				const char *reply_type, int *status)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *remote = NULL;
	GVariant *reply;

	reply = g_dbus_connection_call_sync(ctl->bus, NFC_CTL_SERVICE, path, iface, method,
					    params, G_VARIANT_TYPE(reply_type),
					    G_DBUS_CALL_FLAGS_NO_AUTO_START, NFC_CTL_TIMEOUT_MS,
					    NULL, &error);
	if (!reply && g_dbus_error_is_remote_error(error))
		remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, "org.freedesktop.DBus.Error.UnknownObject") == 0) {
		g_autofree char *thing = g_strdup_printf("Object %s", path);

		*status = nfc_ctl_fail_call(what, thing, error);
	} else if (!reply) {
		*status = fail_extension(what, error);
	}
	return reply;
}

/* GetProperties of an object on an interface nfconnd may lack (Peer,
 * vpn.Connection): its dictionary, or NULL with error. */
static GVariant *object_properties(NfcCtl *ctl, const char *service, const char *path,
				   const char *iface, GError **error)
{
	g_autoptr(GVariant) reply = NULL;

	reply = g_dbus_connection_call_sync(ctl->bus, service, path, iface, "GetProperties", NULL,
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NO_AUTO_START, NFC_CTL_TIMEOUT_MS,
					    NULL, error);
	return reply ? g_variant_get_child_value(reply, 0) : NULL;
}

/* The path line and the dictionary, as for "services ID". */
static int print_object(NfcCtl *ctl, const char *path, GVariant *props)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (ctl->json) {
		nfc_json_object(out, path, props);
		print_json(out);
	} else {
		nfc_ctl_format_service(out, path, props);
		print_out(out);
	}
	return NFC_CTL_OK;
}

static int cmd_peers(NfcCtl *ctl, char **argv)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(NfcDbusManager) m = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GError) error = NULL;

	if (argv[1]) {
		g_autofree char *path = g_strdup_printf("/net/connman/peer/%s", argv[1]);
		g_autofree char *thing = g_strdup_printf("Peer %s", argv[1]);
		g_autoptr(GVariant) props = object_properties(ctl, NFC_CTL_SERVICE, path,
							      "net.connman.Peer", &error);

		if (!props)
			return nfc_ctl_fail_call("peers", thing, error);
		return print_object(ctl, path, props);
	}
	/* nfconnd has no peer-to-peer: the list is what ConnMan without
	 * wifi-p2p answers, empty */
	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_get_peers_sync(m, &list, NULL, &error))
		return nfc_ctl_fail_call("peers", NULL, error);
	if (ctl->json) {
		nfc_json_object_list(out, "peers", list);
		print_json(out);
	} else {
		nfc_ctl_format_peers(out, list);
		g_string_append_c(out, '\n');
		print_out(out);
	}
	return NFC_CTL_OK;
}

static int cmd_tethering_clients(NfcCtl *ctl, char **argv)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(NfcDbusManager) m = NULL;
	g_auto(GStrv) macs = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GError) error = NULL;

	if (!(m = manager(ctl, &error)) ||
	    !nfc_dbus_manager_call_get_tethering_clients_sync(m, &macs, NULL, &error))
		return nfc_ctl_fail_call("tethering_clients", NULL, error);
	list = g_variant_ref_sink(g_variant_new_strv((const char *const *)macs, -1));
	if (ctl->json) {
		g_string_append(out, "{\"tethering_clients\":");
		nfc_json_value(out, list);
		g_string_append_c(out, '}');
		print_json(out);
	} else {
		/* connmanctl's: one MAC a line, a newline after the list */
		nfc_ctl_format_lines(out, list);
		g_string_append_c(out, '\n');
		print_out(out);
	}
	return NFC_CTL_OK;
}

static int cmd_scan(NfcCtl *ctl, char **argv)
{
	g_autofree char *path = g_strdup_printf("/net/connman/technology/%s", argv[1]);
	g_autoptr(NfcDbusTechnology) t = NULL;
	g_autoptr(GError) error = NULL;

	/* ethernet answers NotSupported: nothing to scan on a wire */
	if (!(t = technology(ctl, argv[1], &error)) ||
	    !nfc_dbus_technology_call_scan_sync(t, NULL, &error))
		return nfc_ctl_fail_call(path, argv[1], error);
	if (!ctl->json) {
		printf("Scan completed for %s\n", argv[1]);
		fflush(stdout);
	}
	return NFC_CTL_OK;
}

#define VPN_SERVICE "net.connman.vpn"

/* VPN connections belong to ConnMan's VPN daemon (net.connman.vpn), not
 * to nfconnd: ask it, and say plainly when it is not there. */
static int fail_vpn(const char *what, const char *thing, const GError *error)
{
	g_autofree char *remote = g_dbus_error_get_remote_error(error);

	if (g_strcmp0(remote, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
	    g_strcmp0(remote, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0)
		return nfc_ctl_fail(NFC_CTL_FAILED, what, "no VPN daemon (nobody owns %s; "
				    "nfconnd has no VPN)", VPN_SERVICE);
	return nfc_ctl_fail_call(what, thing, error);
}

static int cmd_vpnconnections(NfcCtl *ctl, char **argv)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GVariant) reply = NULL, list = NULL;
	g_autoptr(GError) error = NULL;

	if (argv[1]) {
		g_autofree char *path = g_strdup_printf("/net/connman/vpn/connection/%s", argv[1]);
		g_autofree char *thing = g_strdup_printf("VPN connection %s", argv[1]);
		g_autoptr(GVariant) props = object_properties(ctl, VPN_SERVICE, path,
							      "net.connman.vpn.Connection", &error);

		if (!props)
			return fail_vpn("vpnconnections", thing, error);
		return print_object(ctl, path, props);
	}
	reply = g_dbus_connection_call_sync(ctl->bus, VPN_SERVICE, "/", "net.connman.vpn.Manager",
					    "GetConnections", NULL, G_VARIANT_TYPE("(a(oa{sv}))"),
					    G_DBUS_CALL_FLAGS_NO_AUTO_START, NFC_CTL_TIMEOUT_MS,
					    NULL, &error);
	if (!reply)
		return fail_vpn("vpnconnections", NULL, error);
	list = g_variant_get_child_value(reply, 0);
	if (ctl->json) {
		nfc_json_object_list(out, "vpnconnections", list);
		print_json(out);
	} else {
		nfc_ctl_format_vpn_connections(out, list);
		if (out->len)
			g_string_append_c(out, '\n');
		print_out(out);
	}
	return NFC_CTL_OK;
}

static int cmd_explain(NfcCtl *ctl, char **argv)
{
	static const char *const kinds[] = { "uid", "gid", "cgroup", NULL };
	g_autoptr(GVariant) reply = NULL, props = NULL;
	int status = NFC_CTL_OK;

	if (!g_strv_contains(kinds, argv[1]) || !*argv[2])
		return nfc_ctl_fail(NFC_CTL_USAGE, argv[0], "Invalid argument");
	reply = call_extension(ctl, "explain", "/", NFC_CTL_EXT_MANAGER, "Explain",
			       g_variant_new("(ss)", argv[1], argv[2]), "(a{sv})", &status);
	if (!reply)
		return status;
	props = g_variant_get_child_value(reply, 0);
	return print_properties(ctl, props);
}

static int cmd_counters(NfcCtl *ctl, char **argv)
{
	g_autoptr(GVariant) reply = NULL, list = NULL;
	int status = NFC_CTL_OK;

	reply = call_extension(ctl, "counters", "/", NFC_CTL_EXT_MANAGER, "GetCounters", NULL,
			       "(a(oa{sv}))", &status);
	if (!reply)
		return status;
	list = g_variant_get_child_value(reply, 0);
	/* the same blocks as technologies: path, then the dictionary */
	return print_object_list(ctl, "counters", list);
}

int nfc_ctl_session_stats(NfcCtl *ctl, const char *path)
{
	g_autoptr(GVariant) reply = NULL, props = NULL;
	int status = NFC_CTL_OK;

	reply = call_extension(ctl, "session stats", path, NFC_CTL_EXT_SESSION_STATS,
			       "GetStats", NULL, "(a{sv})", &status);
	if (!reply)
		return status;
	props = g_variant_get_child_value(reply, 0);
	return print_properties(ctl, props);
}

char **nfc_ctl_list_ids(NfcCtl *ctl, gboolean services)
{
	g_autoptr(NfcDbusManager) m = manager(ctl, NULL);
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	GVariantIter iter;
	const char *path;

	if (m && (services ? nfc_dbus_manager_call_get_services_sync(m, &list, NULL, NULL)
			   : nfc_dbus_manager_call_get_technologies_sync(m, &list, NULL, NULL))) {
		g_variant_iter_init(&iter, list);
		while (g_variant_iter_next(&iter, "(&o@a{sv})", &path, NULL))
			g_ptr_array_add(ids, g_strdup(strrchr(path, '/') + 1));
	}
	g_ptr_array_add(ids, NULL);
	return (char **)g_ptr_array_steal(ids, NULL);
}

void nfc_ctl_help(void)
{
	for (const NfcCtlCommand *c = nfc_ctl_commands; c->name; c++) {
		/* arguments too long for their column push the text to the
		 * next line rather than into it */
		if (strlen(c->args) >= 22)
			printf("%-16s%s\n%38s%s\n", c->name, c->args, "", c->help);
		else
			printf("%-16s%-22s%s\n", c->name, c->args, c->help);
	}
	printf("\nconfig options:\n");
	for (gsize i = 0; nfc_ctl_config_options[i]; i++)
		printf("   --%s\n", nfc_ctl_config_options[i]);
	printf("\nsession options:\n");
	for (gsize i = 0; nfc_ctl_session_options[i]; i++)
		printf("   --%s\n", nfc_ctl_session_options[i]);
	fflush(stdout);
}

/* The function behind each name of the command table (parse.c), which
 * has the arguments each takes, the help and the completion. */
static const struct {
	const char *name;
	int (*run)(NfcCtl *ctl, char **argv);
} handlers[] = {
	{ "state", cmd_state },
	{ "clock", cmd_clock },
	{ "technologies", cmd_technologies },
	{ "services", cmd_services },
	{ "peers", cmd_peers },
	{ "scan", cmd_scan },
	{ "enable", cmd_enable },
	{ "disable", cmd_enable },
	{ "connect", cmd_connect },
	{ "disconnect", cmd_connect },
	{ "move-before", cmd_move },
	{ "move-after", cmd_move },
	{ "config", cmd_config },
	{ "tether", cmd_tether },
	{ "tethering_clients", cmd_tethering_clients },
	{ "vpnconnections", cmd_vpnconnections },
	{ "agent", nfc_ctl_agent },
	{ "session", nfc_ctl_session },
	{ "monitor", nfc_ctl_monitor },
	{ "explain", cmd_explain },
	{ "counters", cmd_counters },
};

int nfc_ctl_run(NfcCtl *ctl, char **argv)
{
	int status;

	if (!argv || !argv[0])
		return NFC_CTL_OK;
	if (g_str_equal(argv[0], "help")) {
		nfc_ctl_help();
		return NFC_CTL_OK;
	}
	status = check_args(argv);
	if (status != NFC_CTL_OK)
		return status;
	for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++)
		if (g_str_equal(argv[0], handlers[i].name))
			return handlers[i].run(ctl, argv);
	/* in the table but not here: exit and quit, outside interactive mode */
	return NFC_CTL_OK;
}

NfcCtl *nfc_ctl_new(GDBusConnection *bus)
{
	NfcCtl *ctl = g_new0(NfcCtl, 1);

	ctl->bus = g_object_ref(bus);
	ctl->loop = g_main_loop_new(NULL, FALSE);
	ctl->subscriptions = g_array_new(FALSE, TRUE, sizeof(guint));
	return ctl;
}

void nfc_ctl_free(NfcCtl *ctl)
{
	nfc_ctl_agent_stop(ctl);
	nfc_ctl_ask_close(ctl);
	nfc_ctl_monitor_stop(ctl);
	nfc_ctl_session_close(ctl);
	g_array_unref(ctl->subscriptions);
	g_main_loop_unref(ctl->loop);
	g_object_unref(ctl->bus);
	g_free(ctl);
}
