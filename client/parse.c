// SPDX-License-Identifier: GPL-2.0-or-later
/* Command table, argument parsing, error texts, completion; see parse.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static const char *const on_off[] = { "on", "off", NULL };
static const char *const offline[] = { "offline", NULL };
static const char *const tether_queries[] = { "status", "clients", NULL };
static const char *const monitor_targets[] = { "manager", "technologies", "services", "session",
					       NULL };
static const char *const session_verbs[] = { "on", "off", "connect", "disconnect", "config",
					     "stats", NULL };
static const char *const identity_kinds[] = { "uid", "gid", "cgroup", NULL };
static const char *const properties[] = { "--properties", NULL };

#define ANY G_MAXUINT
const NfcCtlCommand nfc_ctl_commands[] = {
	{ "state", "", "Shows the daemon state", TRUE, 0, 0, 0, NFC_CTL_ARG_WORDS, NULL },
	{ "technologies", "", "Lists technologies and their properties", TRUE, 0, 0, 0,
	  NFC_CTL_ARG_WORDS, NULL },
	{ "clock", "", "Shows the clock properties", TRUE, 0, 0, 0, NFC_CTL_ARG_WORDS, NULL },
	{ "services", "[--properties] [ID]", "Lists services, or one service's properties", TRUE,
	  0, 2, 0, NFC_CTL_ARG_SERVICE, properties },
	{ "peers", "[ID]", "Lists peer-to-peer peers, or one peer's properties", TRUE, 0, 1, 1,
	  NFC_CTL_ARG_WORDS, NULL },
	{ "scan", "TECH", "Scans a technology for new services", FALSE, 1, 1, 1,
	  NFC_CTL_ARG_TECH, NULL },
	{ "enable", "TECH|offline", "Powers a technology on, or enters offline mode", FALSE, 1, 1,
	  1, NFC_CTL_ARG_TECH, offline },
	{ "disable", "TECH|offline", "Powers a technology off, or leaves offline mode", FALSE, 1,
	  1, 1, NFC_CTL_ARG_TECH, offline },
	{ "connect", "ID", "Connects a service", FALSE, 1, 1, 1, NFC_CTL_ARG_SERVICE, NULL },
	{ "disconnect", "ID", "Disconnects a service", FALSE, 1, 1, 1, NFC_CTL_ARG_SERVICE, NULL },
	{ "config", "ID OPTION ARGS...", "Changes a service's configuration", FALSE, 2, ANY, 1,
	  NFC_CTL_ARG_SERVICE, NULL },
	{ "move-before", "ID TARGET", "Moves a service before another one", FALSE, 2, 2, 2,
	  NFC_CTL_ARG_SERVICE, NULL },
	{ "move-after", "ID TARGET", "Moves a service after another one", FALSE, 2, 2, 2,
	  NFC_CTL_ARG_SERVICE, NULL },
	{ "tether", "[status|clients]", "Shows tethering's status, or its clients and their "
	  "traffic", TRUE, 0, 1, 1, NFC_CTL_ARG_WORDS, tether_queries },
	{ "tether", "TECH on|off [SSID PASS]", "Enables or disables tethering", FALSE, 2, 4, 1,
	  NFC_CTL_ARG_TECH, NULL },
	{ "tethering_clients", "", "Lists the MAC addresses of tethering clients", TRUE, 0, 0, 0,
	  NFC_CTL_ARG_WORDS, NULL },
	{ "vpnconnections", "[ID]", "Lists VPN connections (of net.connman.vpn)", TRUE, 0, 1, 1,
	  NFC_CTL_ARG_WORDS, NULL },
	{ "agent", "on|off", "Answers the daemon's questions (passphrases) on this terminal",
	  FALSE, 1, 1, 0, NFC_CTL_ARG_WORDS, on_off },
	{ "session", "on|off|connect|disconnect|config|stats [OPTIONS]",
	  "Controls this client's session", FALSE, 1, ANY, 0, NFC_CTL_ARG_WORDS, session_verbs },
	{ "monitor", "[manager|technologies|services|session]", "Prints signals as they come",
	  FALSE, 0, 2, 0, NFC_CTL_ARG_WORDS, monitor_targets },
	{ "explain", "uid|gid|cgroup VALUE", "Explains how a uid, gid or cgroup is routed", TRUE,
	  2, 2, 0, NFC_CTL_ARG_WORDS, identity_kinds },
	{ "counters", "", "Shows per-service traffic counters", TRUE, 0, 0, 0, NFC_CTL_ARG_WORDS,
	  NULL },
	{ "help", "", "Shows this help", FALSE, 0, ANY, 0, NFC_CTL_ARG_WORDS, NULL },
	{ "exit", "", "Leaves interactive mode", FALSE, 0, ANY, 0, NFC_CTL_ARG_WORDS, NULL },
	{ "quit", "", "Leaves interactive mode", FALSE, 0, ANY, 0, NFC_CTL_ARG_WORDS, NULL },
	{ NULL, NULL, NULL, FALSE, 0, 0, 0, NFC_CTL_ARG_WORDS, NULL },
};
#undef ANY

const char *const nfc_ctl_config_options[] = {
	"autoconnect", "ipv4", "ipv6", "nameservers", "timeservers", "domains",
	"proxy", "mdns", "remove", NULL,
};

const char *const nfc_ctl_session_options[] = {
	"bearers", "type", "ifname", "srciprule", "ctxid", NULL,
};

const NfcCtlCommand *nfc_ctl_command_find(const char *name)
{
	for (const NfcCtlCommand *c = nfc_ctl_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int nfc_ctl_check_args(char **argv, const char **message)
{
	const NfcCtlCommand *c = nfc_ctl_command_find(argv[0]);
	guint n = g_strv_length(argv) - 1;
	guint min = G_MAXUINT, max = 0, ids = 0;

	if (!c) {
		*message = "Unknown command";
		return NFC_CTL_USAGE;
	}
	/* a command with two forms takes what either takes */
	for (; c->name && strcmp(c->name, argv[0]) == 0; c++) {
		min = MIN(min, c->min);
		max = MAX(max, c->max);
		ids = MAX(ids, c->ids);
	}
	if (n > max) {
		*message = "Argument list too long";
		return NFC_CTL_USAGE;
	}
	if (n < min) {
		*message = "Missing argument";
		return NFC_CTL_USAGE;
	}
	for (guint i = 1; i <= n && i <= ids; i++) {
		if (!nfc_ctl_valid_id(argv[i])) {
			*message = "Invalid argument";
			return NFC_CTL_USAGE;
		}
	}
	return 0;
}

gboolean nfc_ctl_parse_bool(const char *word, gboolean *value)
{
	static const char *const yes[] = { "on", "yes", "true", "enable", "y", "t", "1", NULL };
	static const char *const no[] = { "off", "no", "false", "disable", "n", "f", "0", NULL };

	for (gsize i = 0; yes[i]; i++) {
		if (g_ascii_strcasecmp(word, yes[i]) == 0) {
			*value = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(word, no[i]) == 0) {
			*value = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean nfc_ctl_valid_id(const char *id)
{
	if (!id || !*id)
		return FALSE;
	for (const char *p = id; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '_')
			return FALSE;
	return TRUE;
}

const char *nfc_ctl_option_name(const char *word, const char *const *options)
{
	const char *name = g_str_has_prefix(word, "--") ? word + 2 : word;

	for (gsize i = 0; options[i]; i++)
		if (strcmp(name, options[i]) == 0)
			return options[i];
	return NULL;
}

static void change_free(gpointer data)
{
	NfcCtlChange *c = data;

	g_free(c->property);
	if (c->value)
		g_variant_unref(c->value);
	g_free(c);
}

static void add_change(GPtrArray *changes, const char *property, GVariant *value)
{
	NfcCtlChange *c = g_new0(NfcCtlChange, 1);

	c->property = g_strdup(property);
	c->value = value ? g_variant_ref_sink(value) : NULL;
	g_ptr_array_add(changes, c);
}

static gboolean usage(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean usage(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
						    fmt, ap));
	va_end(ap);
	return FALSE;
}

/* Words up to the next option of the given set ("name" or "--name", as
 * connmanctl accepts both) or the end. */
static guint words_until_option(char **args, const char *const *options)
{
	guint n = 0;

	while (args[n] && !nfc_ctl_option_name(args[n], options))
		n++;
	return n;
}

static gboolean valid_address(const char *text, GSocketFamily family)
{
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(text);

	return addr && g_inet_address_get_family(addr) == family;
}

static gboolean parse_ipv4(char **args, guint n, GVariantBuilder *b, GError **error)
{
	static const char *const keys[] = { "Address", "Netmask", "Gateway" };

	if (n == 0)
		return usage(error, "%s needs off, dhcp or manual ADDRESS NETMASK GATEWAY", "ipv4");
	if ((strcmp(args[0], "off") == 0 || strcmp(args[0], "dhcp") == 0) && n == 1) {
		g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string(args[0]));
		return TRUE;
	}
	if (strcmp(args[0], "manual") != 0 || n < 2 || n > 4)
		return usage(error, "%s needs off, dhcp or manual ADDRESS NETMASK GATEWAY", "ipv4");
	g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("manual"));
	for (guint i = 1; i < n; i++) {
		if (!valid_address(args[i], G_SOCKET_FAMILY_IPV4))
			return usage(error, "'%s' is not an IPv4 address", args[i]);
		g_variant_builder_add(b, "{sv}", keys[i - 1], g_variant_new_string(args[i]));
	}
	return TRUE;
}

static gboolean parse_ipv6(char **args, guint n, GVariantBuilder *b, GError **error)
{
	static const char *const privacy[][2] = {
		{ "enable", "enabled" }, { "enabled", "enabled" },
		{ "disable", "disabled" }, { "disabled", "disabled" },
		/* the API's spelling is "prefered" */
		{ "preferred", "prefered" }, { "prefered", "prefered" },
	};
	char *end;
	unsigned long prefix;

	if (n == 0)
		return usage(error, "%s needs off, auto [PRIVACY] or manual ADDRESS PREFIX GATEWAY",
			     "ipv6");
	if (strcmp(args[0], "off") == 0 && n == 1) {
		g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("off"));
		return TRUE;
	}
	if (strcmp(args[0], "auto") == 0 && n <= 2) {
		g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("auto"));
		if (n == 1)
			return TRUE;
		for (gsize i = 0; i < G_N_ELEMENTS(privacy); i++) {
			if (strcmp(args[1], privacy[i][0]) == 0) {
				g_variant_builder_add(b, "{sv}", "Privacy",
						      g_variant_new_string(privacy[i][1]));
				return TRUE;
			}
		}
		return usage(error, "'%s' is not enable, disable or preferred", args[1]);
	}
	if (strcmp(args[0], "manual") != 0 || n < 2 || n > 4)
		return usage(error, "%s needs off, auto [PRIVACY] or manual ADDRESS PREFIX GATEWAY",
			     "ipv6");
	g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("manual"));
	if (!valid_address(args[1], G_SOCKET_FAMILY_IPV6))
		return usage(error, "'%s' is not an IPv6 address", args[1]);
	g_variant_builder_add(b, "{sv}", "Address", g_variant_new_string(args[1]));
	if (n >= 3) {
		errno = 0;
		prefix = strtoul(args[2], &end, 10);
		if (errno || *end || end == args[2] || prefix > 128)
			return usage(error, "'%s' is not a prefix length (0-128)", args[2]);
		g_variant_builder_add(b, "{sv}", "PrefixLength", g_variant_new_byte((guchar)prefix));
	}
	if (n == 4) {
		if (!valid_address(args[3], G_SOCKET_FAMILY_IPV6))
			return usage(error, "'%s' is not an IPv6 address", args[3]);
		g_variant_builder_add(b, "{sv}", "Gateway", g_variant_new_string(args[3]));
	}
	return TRUE;
}

static GVariant *string_array(char **args, guint n)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
	for (guint i = 0; i < n; i++)
		g_variant_builder_add(&b, "s", args[i]);
	return g_variant_builder_end(&b);
}

static gboolean parse_proxy(char **args, guint n, GVariantBuilder *b, GError **error)
{
	guint servers = 0;

	if (n == 0)
		return usage(error, "%s needs direct, auto [URL] or manual SERVER... "
			     "[--excludes HOST...]", "proxy");
	if (strcmp(args[0], "direct") == 0 && n == 1) {
		g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("direct"));
		return TRUE;
	}
	if (strcmp(args[0], "auto") == 0 && n <= 2) {
		g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("auto"));
		if (n == 2)
			g_variant_builder_add(b, "{sv}", "URL", g_variant_new_string(args[1]));
		return TRUE;
	}
	if (strcmp(args[0], "manual") != 0)
		return usage(error, "%s needs direct, auto [URL] or manual SERVER... "
			     "[--excludes HOST...]", "proxy");
	g_variant_builder_add(b, "{sv}", "Method", g_variant_new_string("manual"));
	while (1 + servers < n && strcmp(args[1 + servers], "--excludes") != 0 &&
	       strcmp(args[1 + servers], "excludes") != 0)
		servers++;
	if (servers == 0)
		return usage(error, "%s manual needs at least one server", "proxy");
	g_variant_builder_add(b, "{sv}", "Servers", string_array(args + 1, servers));
	if (1 + servers < n)
		g_variant_builder_add(b, "{sv}", "Excludes",
				      string_array(args + 2 + servers, n - 2 - servers));
	return TRUE;
}

GPtrArray *nfc_ctl_parse_config(char **args, GError **error)
{
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(change_free);

	if (!args || !args[0]) {
		usage(error, "%s needs an option", "config");
		return NULL;
	}
	while (*args) {
		const char *opt = nfc_ctl_option_name(args[0], nfc_ctl_config_options);
		guint n;
		gboolean b;

		if (!opt) {
			usage(error, "unknown option '%s'", args[0]);
			return NULL;
		}
		args++;
		n = words_until_option(args, nfc_ctl_config_options);

		if (strcmp(opt, "autoconnect") == 0 || strcmp(opt, "mdns") == 0) {
			if (n != 1 || !nfc_ctl_parse_bool(args[0], &b)) {
				usage(error, "%s needs yes or no", opt);
				return NULL;
			}
			add_change(changes, opt[0] == 'a' ? "AutoConnect" : "mDNS.Configuration",
				   g_variant_new_boolean(b));
		} else if (strcmp(opt, "ipv4") == 0 || strcmp(opt, "ipv6") == 0 ||
			   strcmp(opt, "proxy") == 0) {
			GVariantBuilder dict;
			gboolean ok;

			g_variant_builder_init(&dict, G_VARIANT_TYPE("a{sv}"));
			if (opt[1] == 'p' && opt[3] == '4')
				ok = parse_ipv4(args, n, &dict, error);
			else if (opt[1] == 'p')
				ok = parse_ipv6(args, n, &dict, error);
			else
				ok = parse_proxy(args, n, &dict, error);
			if (!ok) {
				g_variant_builder_clear(&dict);
				return NULL;
			}
			add_change(changes, opt[1] == 'p' ? (opt[3] == '4' ? "IPv4.Configuration"
								  : "IPv6.Configuration")
							  : "Proxy.Configuration",
				   g_variant_builder_end(&dict));
		} else if (strcmp(opt, "remove") == 0) {
			if (n != 0) {
				usage(error, "%s takes no arguments", opt);
				return NULL;
			}
			add_change(changes, NULL, NULL);
		} else {
			/* nameservers, timeservers, domains: an empty list
			 * clears the user's configuration */
			g_autofree char *prop = g_strdup_printf("%c%s.Configuration",
								g_ascii_toupper(opt[0]), opt + 1);

			add_change(changes, prop, string_array(args, n));
		}
		args += n;
	}
	return g_steal_pointer(&changes);
}

GPtrArray *nfc_ctl_parse_session(char **args, GError **error)
{
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(change_free);

	while (args && *args) {
		const char *opt = nfc_ctl_option_name(args[0], nfc_ctl_session_options);
		guint n;
		gboolean b;

		if (!opt) {
			usage(error, "unknown session option '%s'", args[0]);
			return NULL;
		}
		args++;
		n = words_until_option(args, nfc_ctl_session_options);
		if (strcmp(opt, "bearers") == 0) {
			add_change(changes, "AllowedBearers", string_array(args, n));
		} else if (strcmp(opt, "type") == 0) {
			if (n != 1 || (strcmp(args[0], "local") != 0 &&
				       strcmp(args[0], "internet") != 0 && strcmp(args[0], "any") != 0)) {
				usage(error, "%s needs local, internet or any", opt);
				return NULL;
			}
			add_change(changes, "ConnectionType", g_variant_new_string(args[0]));
		} else if (strcmp(opt, "ifname") == 0) {
			if (n > 1) {
				usage(error, "%s takes one interface name", opt);
				return NULL;
			}
			/* no name: any interface */
			add_change(changes, "AllowedInterface", g_variant_new_string(n ? args[0] : ""));
		} else if (strcmp(opt, "srciprule") == 0) {
			if (n != 1 || !nfc_ctl_parse_bool(args[0], &b)) {
				usage(error, "%s needs yes or no", opt);
				return NULL;
			}
			add_change(changes, "SourceIPRule", g_variant_new_boolean(b));
		} else {
			if (n != 1) {
				usage(error, "%s needs one value", opt);
				return NULL;
			}
			add_change(changes, "ContextIdentifier", g_variant_new_string(args[0]));
		}
		args += n;
	}
	return g_steal_pointer(&changes);
}

GVariant *nfc_ctl_changes_to_dict(GPtrArray *changes)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	for (guint i = 0; i < changes->len; i++) {
		NfcCtlChange *c = changes->pdata[i];

		g_variant_builder_add(&b, "{sv}", c->property, c->value);
	}
	return g_variant_builder_end(&b);
}

gboolean nfc_ctl_error_is_unknown_method(const GError *error)
{
	g_autofree char *name = NULL;

	if (!g_dbus_error_is_remote_error(error))
		return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
		       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE);
	name = g_dbus_error_get_remote_error(error);
	return g_strcmp0(name, "org.freedesktop.DBus.Error.UnknownMethod") == 0 ||
	       g_strcmp0(name, "org.freedesktop.DBus.Error.UnknownInterface") == 0;
}

char *nfc_ctl_error_text(const GError *error, const char *thing)
{
	static const struct {
		const char *name;
		const char *text;
	} texts[] = {
		{ "net.connman.Error.InvalidArguments", "Invalid arguments" },
		{ "net.connman.Error.PermissionDenied", "Permission denied" },
		{ "net.connman.Error.PassphraseRequired", "Passphrase required" },
		{ "net.connman.Error.NotRegistered", "Not registered" },
		{ "net.connman.Error.NotUnique", "Not unique" },
		{ "net.connman.Error.NotSupported", "Not supported" },
		{ "net.connman.Error.NotImplemented", "Not implemented" },
		{ "net.connman.Error.NotFound", "Not found" },
		{ "net.connman.Error.NoCarrier", "No carrier" },
		{ "net.connman.Error.InProgress", "Operation in progress" },
		{ "net.connman.Error.AlreadyExists", "Already exists" },
		{ "net.connman.Error.AlreadyConnected", "Already connected" },
		{ "net.connman.Error.NotConnected", "Not connected" },
		{ "net.connman.Error.OperationAborted", "Operation aborted" },
		{ "net.connman.Error.OperationTimeout", "Operation timeout" },
		{ "net.connman.Error.OperationCanceled", "Operation canceled" },
		{ "net.connman.Error.InvalidService", "Invalid service" },
		{ "net.connman.Error.InvalidProperty", "Invalid property" },
		{ "org.freedesktop.DBus.Error.AccessDenied", "Permission denied by the bus policy" },
		{ "org.freedesktop.DBus.Error.NoReply", "No reply from the daemon" },
		{ "org.freedesktop.DBus.Error.Timeout", "No reply from the daemon" },
		{ "org.freedesktop.DBus.Error.ServiceUnknown", "nfconnd is not running" },
		{ "org.freedesktop.DBus.Error.NameHasNoOwner", "nfconnd is not running" },
	};
	g_autofree char *name = NULL;
	g_autoptr(GError) copy = NULL;

	if (!g_dbus_error_is_remote_error(error)) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
			return g_strdup("No reply from the daemon");
		return g_strdup(error->message);
	}
	name = g_dbus_error_get_remote_error(error);
	if (g_str_equal(name, "org.freedesktop.DBus.Error.UnknownObject") ||
	    (thing && nfc_ctl_error_is_unknown_method(error)))
		return g_strdup_printf("%s is not available", thing ? thing : "The object");
	if (g_str_equal(name, "net.connman.Error.AlreadyEnabled"))
		return g_strdup_printf("%s is already enabled", thing ? thing : "It");
	if (g_str_equal(name, "net.connman.Error.AlreadyDisabled"))
		return g_strdup_printf("%s is already disabled", thing ? thing : "It");
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
		if (g_str_equal(name, texts[i].name))
			return g_strdup(texts[i].text);
	/* Failed and anything unknown: the daemon's own message */
	copy = g_error_copy(error);
	g_dbus_error_strip_remote_error(copy);
	return g_strdup(copy->message);
}

static void add_matches(GPtrArray *out, const char *text, const char *const *words,
			const char *prefix)
{
	for (gsize i = 0; words && words[i]; i++) {
		g_autofree char *word = g_strconcat(prefix, words[i], NULL);

		if (g_str_has_prefix(word, text))
			g_ptr_array_add(out, g_steal_pointer(&word));
	}
}

/* The first argument's candidates, from the table: per form of the
 * command, its kind of id, then its keywords. */
static void complete_first(GPtrArray *out, const char *cmd, const char *text, char **services,
			   char **techs)
{
	const NfcCtlCommand *c = nfc_ctl_command_find(cmd);

	for (; c && c->name && strcmp(c->name, cmd) == 0; c++) {
		if (c->first == NFC_CTL_ARG_SERVICE)
			add_matches(out, text, (const char *const *)services, "");
		else if (c->first == NFC_CTL_ARG_TECH)
			add_matches(out, text, (const char *const *)techs, "");
		add_matches(out, text, c->words, "");
	}
}

char **nfc_ctl_complete(char **before, const char *text, char **services, char **techs)
{
	GPtrArray *out = g_ptr_array_new();
	guint n = before ? g_strv_length(before) : 0;
	const char *cmd = n ? before[0] : NULL;

	if (n == 0) {
		for (const NfcCtlCommand *c = nfc_ctl_commands; c->name; c++)
			/* a command with two forms has two entries in a row */
			if (g_str_has_prefix(c->name, text) &&
			    (c == nfc_ctl_commands || strcmp(c[-1].name, c->name) != 0))
				g_ptr_array_add(out, g_strdup(c->name));
	} else if (n == 1) {
		complete_first(out, cmd, text, services, techs);
	} else if (g_str_equal(cmd, "tether")) {
		if (n == 2 && !g_strv_contains(tether_queries, before[1]))
			add_matches(out, text, on_off, "");
	} else if (g_str_equal(cmd, "services")) {
		if (n == 2 && g_str_equal(before[1], "--properties"))
			add_matches(out, text, (const char *const *)services, "");
	} else if (g_str_equal(cmd, "move-before") || g_str_equal(cmd, "move-after")) {
		if (n == 2)
			add_matches(out, text, (const char *const *)services, "");
	} else if (g_str_equal(cmd, "config")) {
		if (g_str_has_prefix(text, "-") || n == 2)
			add_matches(out, text, nfc_ctl_config_options, "--");
	} else if (g_str_equal(cmd, "session")) {
		if (!g_str_equal(before[1], "off") && !g_str_equal(before[1], "stats") &&
		    !g_str_equal(before[1], "disconnect") &&
		    (g_str_has_prefix(text, "-") || n == 2))
			add_matches(out, text, nfc_ctl_session_options, "--");
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}
