// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"
#include "file-read.h"
#include "ippool.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GENERAL "General"

typedef enum {
	KEY_BOOL,
	KEY_UINT,
	KEY_STRING,
	KEY_URL,
	KEY_LIST,
	KEY_TECH_LIST,
	KEY_ENUM,
	KEY_DEPRECATED_ONLINE_CHECK,
	KEY_DEPRECATED_ONLINE_TO_READY,
	KEY_MASK,        /* a contiguous bit mask, hex or decimal */
	KEY_IPV4_PREFIX, /* "192.168.7.0/24", kept as written */
} KeyType;

typedef struct {
	const char *name;
	KeyType type;
	size_t offset;
	guint max;                 /* KEY_UINT: largest accepted value */
	const char *const *values; /* KEY_ENUM: accepted words, index = value */
} KeyDesc;

static const char *const online_check_modes[] = { "none", "one-shot", "continuous", NULL };
static const char *const interval_styles[] = { "geometric", "fibonacci", NULL };
static const char *const fast_paths[] = { "auto", "off", NULL };
/* in the order of NfcFirewallChoice (firewall/firewall.h) */
static const char *const firewall_backends[] = { "auto", "nftables", "iptables", NULL };
static const char *const technologies[] = {
	"ethernet", "wifi", "bluetooth", "cellular", "gadget", "p2p", "vpn", NULL
};

#define F(field) offsetof(NfcConfig, field)
static const KeyDesc keys[] = {
	{ "InputRequestTimeout", KEY_UINT, F(input_request_timeout), 3600, NULL },
	{ "BrowserLaunchTimeout", KEY_UINT, F(browser_launch_timeout), 3600, NULL },
	{ "BackgroundScanning", KEY_BOOL, F(background_scanning), 0, NULL },
	{ "UseGatewaysAsTimeservers", KEY_BOOL, F(use_gateways_as_timeservers), 0, NULL },
	{ "FallbackTimeservers", KEY_LIST, F(fallback_timeservers), 0, NULL },
	{ "FallbackNameservers", KEY_LIST, F(fallback_nameservers), 0, NULL },
	{ "DefaultAutoConnectTechnologies", KEY_TECH_LIST, F(default_autoconnect_technologies), 0, NULL },
	{ "DefaultFavoriteTechnologies", KEY_TECH_LIST, F(default_favorite_technologies), 0, NULL },
	{ "AlwaysConnectedTechnologies", KEY_TECH_LIST, F(always_connected_technologies), 0, NULL },
	{ "PreferredTechnologies", KEY_TECH_LIST, F(preferred_technologies), 0, NULL },
	{ "NetworkInterfaceBlacklist", KEY_LIST, F(network_interface_blacklist), 0, NULL },
	{ "AllowHostnameUpdates", KEY_BOOL, F(allow_hostname_updates), 0, NULL },
	{ "AllowDomainnameUpdates", KEY_BOOL, F(allow_domainname_updates), 0, NULL },
	{ "SingleConnectedTechnology", KEY_BOOL, F(single_connected_technology), 0, NULL },
	{ "TetheringTechnologies", KEY_TECH_LIST, F(tethering_technologies), 0, NULL },
	{ "PersistentTetheringMode", KEY_BOOL, F(persistent_tethering_mode), 0, NULL },
	{ "TetheringInterfaces", KEY_LIST, F(tethering_interfaces), 0, NULL },
	{ "TetheringSubnet", KEY_IPV4_PREFIX, F(tethering_subnet), 0, NULL },
	{ "Enable6to4", KEY_BOOL, F(enable_6to4), 0, NULL },
	{ "VendorClassID", KEY_STRING, F(vendor_class_id), 0, NULL },
	{ "OnlineCheckMode", KEY_ENUM, F(online_check_mode), 0, online_check_modes },
	{ "EnableOnlineCheck", KEY_DEPRECATED_ONLINE_CHECK, F(online_check_mode), 0, NULL },
	{ "EnableOnlineToReadyTransition", KEY_DEPRECATED_ONLINE_TO_READY, F(online_check_mode), 0, NULL },
	{ "OnlineCheckIPv4URL", KEY_URL, F(online_check_ipv4_url), 0, NULL },
	{ "OnlineCheckIPv6URL", KEY_URL, F(online_check_ipv6_url), 0, NULL },
	{ "OnlineCheckConnectTimeout", KEY_UINT, F(online_check_connect_timeout), 3600, NULL },
	{ "OnlineCheckInitialInterval", KEY_UINT, F(online_check_initial_interval), 3600, NULL },
	{ "OnlineCheckMaxInterval", KEY_UINT, F(online_check_max_interval), 3600, NULL },
	{ "OnlineCheckIntervalStyle", KEY_ENUM, F(online_check_interval_style), 0, interval_styles },
	{ "OnlineCheckFailuresThreshold", KEY_UINT, F(online_check_failures_threshold), 1000, NULL },
	{ "OnlineCheckSuccessesThreshold", KEY_UINT, F(online_check_successes_threshold), 1000, NULL },
	{ "AutoConnectRoamingServices", KEY_BOOL, F(autoconnect_roaming_services), 0, NULL },
	{ "AddressConflictDetection", KEY_BOOL, F(address_conflict_detection), 0, NULL },
	{ "Localtime", KEY_STRING, F(localtime), 0, NULL },
	{ "RegdomFollowsTimezone", KEY_BOOL, F(regdom_follows_timezone), 0, NULL },
	{ "ResolvConf", KEY_STRING, F(resolv_conf), 0, NULL },
	{ "SessionsPerClient", KEY_UINT, F(sessions_per_client), 1048576, NULL },
	{ "SessionsPerUser", KEY_UINT, F(sessions_per_user), 1048576, NULL },
	{ "SessionsMax", KEY_UINT, F(sessions_max), 1048576, NULL },
	{ "RoutingMarkMask", KEY_MASK, F(routing_mark_mask), 0, NULL },
	{ "SessionMarkMask", KEY_MASK, F(session_mark_mask), 0, NULL },
	{ "RoutingTableBase", KEY_UINT, F(routing_table_base), 0xfffff000u, NULL },
	{ "RulePriorityBase", KEY_UINT, F(rule_priority_base), 32000, NULL },
	{ "RoutingRange", KEY_UINT, F(routing_range), 4096, NULL },
	{ "FastPath", KEY_ENUM, F(fast_path), 0, fast_paths },
	{ "FastPathConntrack", KEY_BOOL, F(fast_path_conntrack), 0, NULL },
	{ "FirewallBackend", KEY_ENUM, F(firewall_backend), 0, firewall_backends },
	{ "FirewallCheckInterval", KEY_UINT, F(firewall_check_interval), 86400, NULL },
};
#undef F

#define FIELD(config, desc, type) ((type *)((char *)(config) + (desc)->offset))

bool nfc_config_is_technology(const char *name)
{
	return g_strv_contains(technologies, name);
}

static char **strv_of(const char *comma_list)
{
	return g_strsplit(comma_list, ",", -1);
}

NfcConfig *nfc_config_new_defaults(void)
{
	NfcConfig *c = g_new0(NfcConfig, 1);

	c->input_request_timeout = 120;
	c->browser_launch_timeout = 300;
	c->background_scanning = true;
	c->fallback_timeservers = g_new0(char *, 1);
	c->fallback_nameservers = g_new0(char *, 1);
	c->default_autoconnect_technologies = strv_of("wifi,ethernet,cellular");
	c->default_favorite_technologies = strv_of("ethernet");
	c->always_connected_technologies = g_new0(char *, 1);
	c->preferred_technologies = g_new0(char *, 1);
	c->network_interface_blacklist = strv_of("vmnet,vboxnet,virbr,ifb,ve-,vb-,ham");
	c->allow_hostname_updates = true;
	c->allow_domainname_updates = true;
	c->tethering_technologies = strv_of("wifi,bluetooth,gadget");
	c->tethering_interfaces = g_new0(char *, 1);
	c->online_check_mode = NFC_ONLINE_CHECK_ONE_SHOT;
	c->online_check_ipv4_url = g_strdup("http://ipv4.connman.net/online/status.html");
	c->online_check_ipv6_url = g_strdup("http://ipv6.connman.net/online/status.html");
	c->online_check_initial_interval = 1;
	c->online_check_max_interval = 12;
	c->online_check_interval_style = NFC_INTERVAL_GEOMETRIC;
	c->online_check_failures_threshold = 6;
	c->online_check_successes_threshold = 6;
	c->localtime = g_strdup("/etc/localtime");
	c->sessions_per_client = 1024;
	/* a sixteenth of SessionsMax: one uid alone cannot fill the table */
	c->sessions_per_user = 4096;
	c->sessions_max = 65536;
	/* high bits: other software tends to use the low ones */
	c->routing_mark_mask = 0xfe000000;
	c->session_mark_mask = 0x01ffff00;
	c->fast_path_conntrack = true;
	c->routing_table_base = 7000;
	c->rule_priority_base = 7000;
	c->routing_range = 256;
	c->firewall_check_interval = 30;
	return c;
}

void nfc_config_free(NfcConfig *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		switch (keys[i].type) {
		case KEY_STRING:
		case KEY_URL:
		case KEY_IPV4_PREFIX:
			g_free(*FIELD(c, &keys[i], char *));
			break;
		case KEY_LIST:
		case KEY_TECH_LIST:
			g_strfreev(*FIELD(c, &keys[i], char **));
			break;
		default:
			break;
		}
	}
	g_free(c);
}

static void warn(GPtrArray *warnings, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void warn(GPtrArray *warnings, const char *fmt, ...)
{
	va_list ap;

	if (!warnings)
		return;
	va_start(ap, fmt);
	g_ptr_array_add(warnings, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static bool parse_bool(const char *text, bool *out)
{
	if (!g_ascii_strcasecmp(text, "true")) {
		*out = true;
		return true;
	}
	if (!g_ascii_strcasecmp(text, "false")) {
		*out = false;
		return true;
	}
	return false;
}

/* Lists are comma-separated; blanks around items are dropped, empty items
 * skipped, so "a, b,," is [a, b]. */
static char **parse_list(const char *text)
{
	g_auto(GStrv) parts = g_strsplit(text, ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p; p++) {
		const char *item = g_strstrip(*p);

		if (*item)
			g_ptr_array_add(out, g_strdup(item));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static gboolean parse_key(NfcConfig *c, const KeyDesc *k, const char *raw,
			  GPtrArray *warnings, GError **error)
{
	g_autofree char *text = g_strstrip(g_strdup(raw));
	bool b;

	switch (k->type) {
	case KEY_BOOL:
		if (!parse_bool(text, &b))
			goto invalid;
		*FIELD(c, k, bool) = b;
		return TRUE;
	case KEY_UINT: {
		guint64 v;

		if (!g_ascii_string_to_unsigned(text, 10, 0, k->max, &v, NULL))
			goto invalid;
		*FIELD(c, k, guint) = (guint)v;
		return TRUE;
	}
	case KEY_MASK: {
		guint64 v;
		const char *digits = text;
		guint base = 10;

		if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
			digits = text + 2;
			base = 16;
		}
		if (!g_ascii_string_to_unsigned(digits, base, 1, G_MAXUINT32, &v, NULL))
			goto invalid;
		/* contiguous: adding the lowest set bit clears all of them */
		if (((v + (v & -v)) & v) != 0)
			goto invalid;
		*FIELD(c, k, guint) = (guint)v;
		return TRUE;
	}
	case KEY_IPV4_PREFIX: {
		g_autoptr(GError) local = NULL;
		NfcIpv4Prefix p;

		if (!nfc_ipv4_prefix_parse(text, &p, &local)) {
			/* not quoted, as for every key */
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[%s] %s: invalid value, not an IPv4 network in CIDR form "
				    "(e.g. 172.20.5.0/24, no host bits, prefix length 8 to 30)",
				    GENERAL, k->name);
			return FALSE;
		}
		g_free(*FIELD(c, k, char *));
		*FIELD(c, k, char *) = g_steal_pointer(&text);
		return TRUE;
	}
	case KEY_URL:
		if (!g_str_has_prefix(text, "http://") && !g_str_has_prefix(text, "https://"))
			goto invalid;
		/* fall through */
	case KEY_STRING:
		g_free(*FIELD(c, k, char *));
		*FIELD(c, k, char *) = g_steal_pointer(&text);
		return TRUE;
	case KEY_TECH_LIST:
	case KEY_LIST: {
		char **list = parse_list(text);

		if (k->type == KEY_TECH_LIST) {
			for (char **t = list; *t; t++)
				if (!nfc_config_is_technology(*t))
					warn(warnings, "%s: unknown technology \"%s\" ignored",
					     k->name, *t);
		}
		g_strfreev(*FIELD(c, k, char **));
		*FIELD(c, k, char **) = list;
		return TRUE;
	}
	case KEY_ENUM:
		for (int i = 0; k->values[i]; i++) {
			if (g_str_equal(k->values[i], text)) {
				*FIELD(c, k, int) = i;
				return TRUE;
			}
		}
		goto invalid;
	case KEY_DEPRECATED_ONLINE_CHECK:
		/* EnableOnlineCheck=false means no check; true keeps the mode */
		if (!parse_bool(text, &b))
			goto invalid;
		warn(warnings, "%s is deprecated, use OnlineCheckMode", k->name);
		if (!b)
			c->online_check_mode = NFC_ONLINE_CHECK_NONE;
		return TRUE;
	case KEY_DEPRECATED_ONLINE_TO_READY:
		if (!parse_bool(text, &b))
			goto invalid;
		warn(warnings, "%s is deprecated, use OnlineCheckMode", k->name);
		if (b && c->online_check_mode != NFC_ONLINE_CHECK_NONE)
			c->online_check_mode = NFC_ONLINE_CHECK_CONTINUOUS;
		return TRUE;
	}
invalid:
	/* the value is not quoted: -c may name a file that is not ours */
	if (k->type == KEY_ENUM) {
		g_autofree char *choices = g_strjoinv(", ", (char **)k->values);

		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s: invalid value, not one of %s", GENERAL, k->name, choices);
	} else {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s: invalid value", GENERAL, k->name);
	}
	return FALSE;
}

static const KeyDesc *find_key(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (g_str_equal(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* At start nfconnd removes every rule and route in its ranges as left by an
 * earlier run, so a range that reaches the kernel's own tables or rules
 * would wipe them (and loopback with the local table). */
static const struct {
	guint32 table;
	const char *name;
} kernel_tables[] = {
	{ 255, "local" }, { 254, "main" }, { 253, "default" }, { 0, "unspecified" },
};

/* The last table nfconnd can own: its range is [base, base + range) in 32-bit
 * arithmetic, so the end itself must fit. */
#define LAST_TABLE (G_MAXUINT32 - 1)
/* The kernel's rules: 0 looks up local, 32766 main, 32767 default. Ours must
 * come between the first and the second, or main would answer first. */
#define FIRST_PRIORITY 1u
#define LAST_PRIORITY 32765u

static gboolean check_routing(const NfcConfig *c, GError **error)
{
	guint64 range = c->routing_range;
	guint64 table_end = (guint64)c->routing_table_base + range - 1;
	guint64 prio_end = (guint64)c->rule_priority_base + range - 1;
	g_autoptr(GString) hit = g_string_new(NULL);
	guint n = 0;

	if (range == 0) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] RoutingRange=0: nfconnd needs at least one routing table "
			    "and rule priority", GENERAL);
		return FALSE;
	}
	if (table_end > LAST_TABLE) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] RoutingTableBase=%u with RoutingRange=%u covers tables %u to %"
			    G_GUINT64_FORMAT ", past the last usable table %u",
			    GENERAL, c->routing_table_base, c->routing_range,
			    c->routing_table_base, table_end, LAST_TABLE);
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(kernel_tables); i++) {
		guint32 t = kernel_tables[i].table;

		if (t < c->routing_table_base || t > table_end)
			continue;
		if (n++)
			g_string_append(hit, ", ");
		g_string_append_printf(hit, "%s (%u)", kernel_tables[i].name, t);
	}
	if (n) {
		/* "a, b, c" reads "a, b and c" */
		if (n > 1) {
			gsize comma = (gsize)(strrchr(hit->str, ',') - hit->str);

			g_string_erase(hit, comma, 1);
			g_string_insert(hit, comma, " and");
		}
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] RoutingTableBase=%u with RoutingRange=%u covers tables %u to %"
			    G_GUINT64_FORMAT ", which include the kernel's %s table%s",
			    GENERAL, c->routing_table_base, c->routing_range,
			    c->routing_table_base, table_end, hit->str, n > 1 ? "s" : "");
		return FALSE;
	}
	if (c->rule_priority_base < FIRST_PRIORITY || prio_end > LAST_PRIORITY) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] RulePriorityBase=%u with RoutingRange=%u covers priorities %u to %"
			    G_GUINT64_FORMAT ", outside %u to %u: the kernel's rules sit at 0 "
			    "(local), 32766 (main) and 32767 (default)",
			    GENERAL, c->rule_priority_base, c->routing_range,
			    c->rule_priority_base, prio_end, FIRST_PRIORITY, LAST_PRIORITY);
		return FALSE;
	}
	return TRUE;
}

/* Where GKeyFile's parse error is: the first line that is not blank, a
 * comment, a [group] or key=value (or a key before any group). GLib's own
 * message quotes that line, and -c may name any file (a secret's first
 * line must not reach the log), so we report its number instead. */
static guint first_bad_line(const char *data, gsize len)
{
	const char *p = data, *end = data + len;
	bool in_group = false;

	for (guint line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', end - p);
		const char *eol = nl ? nl : end;

		while (p < eol && g_ascii_isspace(*p))
			p++;
		if (p < eol && *p != '#') {
			if (*p == '[')
				in_group = true;
			else if (!in_group || !memchr(p, '=', eol - p))
				return line;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

NfcConfig *nfc_config_parse(const char *data, gsize len, GPtrArray *warnings,
			    GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(NfcConfig) c = nfc_config_new_defaults();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) groups = NULL;
	g_auto(GStrv) names = NULL;

	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local)) {
		guint line = first_bad_line(data, len);

		if (line)
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
				    "line %u: not a [group], key=value or # comment", line);
		else
			g_set_error_literal(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
					    "not a key file (bad group or key name, or not UTF-8)");
		return NULL;
	}

	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++)
		if (!g_str_equal(*g, GENERAL))
			warn(warnings, "unknown group [%s] ignored", *g);

	if (!g_key_file_has_group(kf, GENERAL))
		return g_steal_pointer(&c);

	names = g_key_file_get_keys(kf, GENERAL, NULL, error);
	if (!names)
		return NULL;
	/* the deprecated online-check keys refine OnlineCheckMode, so the
	 * order of keys in the file must not matter: apply them last */
	for (int pass = 0; pass < 2; pass++) {
		for (char **n = names; *n; n++) {
			const KeyDesc *k = find_key(*n);
			g_autofree char *raw = NULL;
			bool deprecated;

			if (!k) {
				if (pass == 0)
					warn(warnings, "[%s] unknown key %s ignored", GENERAL, *n);
				continue;
			}
			deprecated = k->type == KEY_DEPRECATED_ONLINE_CHECK ||
				     k->type == KEY_DEPRECATED_ONLINE_TO_READY;
			if (deprecated != (pass == 1))
				continue;
			if (deprecated && g_key_file_has_key(kf, GENERAL, "OnlineCheckMode", NULL)) {
				warn(warnings, "%s ignored: OnlineCheckMode is set", k->name);
				continue;
			}
			raw = g_key_file_get_value(kf, GENERAL, *n, error);
			if (!raw || !parse_key(c, k, raw, warnings, error))
				return NULL;
		}
	}

	if (c->routing_mark_mask & c->session_mark_mask) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] RoutingMarkMask and SessionMarkMask overlap", GENERAL);
		return NULL;
	}
	/* unset, it follows SessionsMax: a sixteenth of it (4096 by default) */
	if (!g_key_file_has_key(kf, GENERAL, "SessionsPerUser", NULL))
		c->sessions_per_user = MAX(c->sessions_max / 16, 1);
	else if (c->sessions_per_user >= c->sessions_max)
		warn(warnings, "[%s] SessionsPerUser=%u is not below SessionsMax=%u: one user "
		     "can take every session", GENERAL, c->sessions_per_user, c->sessions_max);
	if (c->sessions_per_user == 0) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] SessionsPerUser=0 would refuse every session", GENERAL);
		return NULL;
	}
	if (!check_routing(c, error))
		return NULL;
	if (c->online_check_initial_interval == 0 ||
	    c->online_check_max_interval < c->online_check_initial_interval) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] OnlineCheckInitialInterval must be at least 1 and at most OnlineCheckMaxInterval",
			    GENERAL);
		return NULL;
	}
	return g_steal_pointer(&c);
}

/* main.conf is at most this big (it holds a few dozen keys); anything
 * larger is not a configuration file. */
#define CONFIG_MAX (256 * 1024)

/* -c may name any path: see file-read.h */
static gboolean read_config(const char *path, char **data, gsize *len, GError **error)
{
	if (nfc_file_read_regular(path, CONFIG_MAX, data, len, error))
		return TRUE;
	g_prefix_error(error, "%s: ", path);
	return FALSE;
}

NfcConfig *nfc_config_load(const char *path, bool missing_ok, GPtrArray *warnings,
			   GError **error)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;
	NfcConfig *c;

	if (!read_config(path, &data, &len, &local)) {
		if (missing_ok && g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return nfc_config_new_defaults();
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	c = nfc_config_parse(data, len, warnings, error);
	if (!c)
		g_prefix_error(error, "%s: ", path);
	return c;
}

static NfcConfig *active_config;

void nfc_config_set_active(NfcConfig *config)
{
	nfc_config_free(active_config);
	active_config = config;
}

const NfcConfig *nfc_config_active(void)
{
	if (!active_config)
		active_config = nfc_config_new_defaults();
	return active_config;
}

static char *config_dir;

void nfc_config_set_dir(const char *dir)
{
	g_free(config_dir);
	config_dir = g_strdup(dir);
}

const char *nfc_config_dir(void)
{
	return config_dir ? config_dir : "/etc/nfconn";
}
