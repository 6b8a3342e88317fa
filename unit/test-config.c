// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: main.conf parsing, option handling, plugin ordering, debug
 * patterns and the errno → net.connman.Error mapping. */
#include <errno.h>
#include <glib/gstdio.h>

#include "config.h"
#include "dbus-error.h"
#include "log.h"
#include "options.h"
#include "plugin.h"
#include "string-table.h"

static NfcConfig *parse(const char *text, GPtrArray *warnings, GError **error)
{
	return nfc_config_parse(text, strlen(text), warnings, error);
}

static void test_defaults(void)
{
	g_autoptr(NfcConfig) c = parse("", NULL, NULL);

	g_assert_nonnull(c);
	g_assert_cmpuint(c->input_request_timeout, ==, 120);
	g_assert_true(c->background_scanning);
	g_assert_cmpint(c->online_check_mode, ==, NFC_ONLINE_CHECK_ONE_SHOT);
	g_assert_cmpuint(g_strv_length(c->default_autoconnect_technologies), ==, 3);
	g_assert_cmpstr(c->default_autoconnect_technologies[1], ==, "ethernet");
	g_assert_true(g_strv_contains((const char *const *)c->network_interface_blacklist, "ve-"));
	g_assert_null(c->resolv_conf);
	g_assert_cmpstr(c->online_check_ipv4_url, ==, "http://ipv4.connman.net/online/status.html");
}

static void test_good_file(void)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) c = parse(
		"# comment\n"
		"[General]\n"
		"PreferredTechnologies = wifi, ethernet,,\n"
		"NetworkInterfaceBlacklist=\n"
		"SingleConnectedTechnology=true\n"
		"InputRequestTimeout=30\n"
		"OnlineCheckMode=continuous\n"
		"OnlineCheckIPv4URL=http://198.51.100.1/online\n"
		"FallbackNameservers=203.0.113.53,2001:db8::53\n"
		"ResolvConf=/dev/null\n"
		"RoutingMarkMask=0x00ff0000\n"
		"SessionMarkMask=65535\n",
		warnings, &error);

	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_assert_cmpuint(warnings->len, ==, 0);
	g_assert_cmpuint(g_strv_length(c->preferred_technologies), ==, 2);
	g_assert_cmpstr(c->preferred_technologies[0], ==, "wifi");
	g_assert_cmpstr(c->preferred_technologies[1], ==, "ethernet");
	g_assert_cmpuint(g_strv_length(c->network_interface_blacklist), ==, 0);
	g_assert_true(c->single_connected_technology);
	g_assert_cmpuint(c->input_request_timeout, ==, 30);
	g_assert_cmpint(c->online_check_mode, ==, NFC_ONLINE_CHECK_CONTINUOUS);
	g_assert_cmpstr(c->online_check_ipv4_url, ==, "http://198.51.100.1/online");
	g_assert_cmpstr(c->fallback_nameservers[1], ==, "2001:db8::53");
	g_assert_cmpstr(c->resolv_conf, ==, "/dev/null");
	g_assert_cmphex(c->routing_mark_mask, ==, 0x00ff0000);
	g_assert_cmphex(c->session_mark_mask, ==, 0xffff);
}

static void test_warnings(void)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) c = parse(
		"[General]\nNoSuchKey=1\nPreferredTechnologies=ethernet,warpdrive\n"
		"[Other]\nx=1\n", warnings, &error);

	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_assert_cmpuint(warnings->len, ==, 3);
	g_assert_nonnull(strstr(warnings->pdata[0], "[Other]"));
	g_assert_nonnull(strstr(warnings->pdata[1], "NoSuchKey"));
	g_assert_nonnull(strstr(warnings->pdata[2], "warpdrive"));
}

static void test_deprecated_online_check(void)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(NfcConfig) off = parse("[General]\nEnableOnlineCheck=false\n", warnings, NULL);
	g_autoptr(NfcConfig) cont = parse("[General]\nEnableOnlineToReadyTransition=true\n"
					  "EnableOnlineCheck=true\n", NULL, NULL);
	g_autoptr(NfcConfig) explicit_mode = parse("[General]\nEnableOnlineCheck=false\n"
						   "OnlineCheckMode=one-shot\n", NULL, NULL);

	g_assert_cmpint(off->online_check_mode, ==, NFC_ONLINE_CHECK_NONE);
	g_assert_cmpuint(warnings->len, ==, 1);
	g_assert_cmpint(cont->online_check_mode, ==, NFC_ONLINE_CHECK_CONTINUOUS);
	g_assert_cmpint(explicit_mode->online_check_mode, ==, NFC_ONLINE_CHECK_ONE_SHOT);
}

static void test_bad_values(void)
{
	static const char *const bad[] = {
		"[General]\nSingleConnectedTechnology=maybe\n",
		"[General]\nInputRequestTimeout=-1\n",
		"[General]\nInputRequestTimeout=12abc\n",
		"[General]\nInputRequestTimeout=99999999999\n",
		"[General]\nOnlineCheckMode=sometimes\n",
		"[General]\nOnlineCheckIPv4URL=ftp://example/\n",
		"[General]\nOnlineCheckInitialInterval=0\n",
		"[General]\nOnlineCheckInitialInterval=20\nOnlineCheckMaxInterval=10\n",
		"[General]\nEnableOnlineCheck=nope\n",
		"this is not a key file\n",
		"[General\nA=1\n",
		"[General]\nRoutingMarkMask=0x0f0f0000\n",
		"[General]\nSessionMarkMask=0\n",
		"[General]\nRoutingMarkMask=0xff000000\nSessionMarkMask=0x0fff0000\n",
		"[General]\nRulePriorityBase=32700\nRoutingRange=100\n",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(NfcConfig) c = parse(bad[i], NULL, &error);

		g_assert_null(c);
		g_assert_nonnull(error);
		g_assert_cmpstr(error->message, !=, "");
	}
}

/* SessionsPerUser: unset it is a sixteenth of SessionsMax; 0 is refused;
 * one at or above SessionsMax is kept with a warning. */
/* TetheringInterfaces: a list of globs, empty by default; TetheringSubnet:
 * unset by default, a CIDR network kept as written, anything else an
 * error that names the key and does not quote the value. */
static void test_tethering_keys(void)
{
	static const char *const bad_subnets[] = {
		"192.168.7.1/24",   /* host bits */
		"192.168.7.0",      /* no length */
		"192.168.7.0/31",   /* too long: no room for clients */
		"10.0.0.0/4",       /* too short */
		"2001:db8::/64",    /* not IPv4 */
		"lan",
	};
	g_autoptr(NfcConfig) d = parse("", NULL, NULL);
	g_autoptr(NfcConfig) c = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(d);
	g_assert_null(d->tethering_subnet);
	g_assert_nonnull(d->tethering_interfaces);
	g_assert_cmpuint(g_strv_length(d->tethering_interfaces), ==, 0);
	g_assert_false(d->persistent_tethering_mode);

	c = parse("[General]\nTetheringInterfaces=lan*, eth[12],usb0\n"
		  "TetheringSubnet= 198.51.100.0/24 \nPersistentTetheringMode=true\n",
		  NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(c->tethering_interfaces), ==, 3);
	g_assert_cmpstr(c->tethering_interfaces[0], ==, "lan*");
	g_assert_cmpstr(c->tethering_interfaces[1], ==, "eth[12]");
	g_assert_cmpstr(c->tethering_interfaces[2], ==, "usb0");
	g_assert_cmpstr(c->tethering_subnet, ==, "198.51.100.0/24");
	g_assert_true(c->persistent_tethering_mode);

	for (gsize i = 0; i < G_N_ELEMENTS(bad_subnets); i++) {
		g_autofree char *text = g_strdup_printf("[General]\nTetheringSubnet=%s\n",
							bad_subnets[i]);
		g_autoptr(GError) e = NULL;
		g_autoptr(NfcConfig) bad = parse(text, NULL, &e);

		g_assert_null(bad);
		g_assert_error(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
		g_assert_nonnull(strstr(e->message, "TetheringSubnet"));
		g_assert_null(strstr(e->message, bad_subnets[i]));
	}
}

static void test_sessions_per_user(void)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) def = parse("", NULL, NULL);
	g_autoptr(NfcConfig) follows = parse("[General]\nSessionsMax=1000\n", NULL, NULL);
	g_autoptr(NfcConfig) tiny = parse("[General]\nSessionsMax=3\n", NULL, NULL);
	g_autoptr(NfcConfig) set = parse("[General]\nSessionsPerUser=7\n", NULL, NULL);
	g_autoptr(NfcConfig) all = parse("[General]\nSessionsPerUser=70000\nSessionsMax=70000\n",
					 warnings, NULL);
	g_autoptr(NfcConfig) zero = parse("[General]\nSessionsPerUser=0\n", NULL, &error);

	g_assert_cmpuint(def->sessions_per_user, ==, 4096);
	g_assert_cmpuint(follows->sessions_per_user, ==, 62);
	g_assert_cmpuint(tiny->sessions_per_user, ==, 1);
	g_assert_cmpuint(set->sessions_per_user, ==, 7);
	g_assert_cmpuint(all->sessions_per_user, ==, 70000);
	g_assert_cmpuint(warnings->len, ==, 1);
	g_assert_nonnull(strstr(warnings->pdata[0], "SessionsPerUser"));
	g_assert_null(zero);
	g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
	g_assert_nonnull(strstr(error->message, "SessionsPerUser"));
}

/* The firewall backend's choice (0 auto, 1 nftables, 2 iptables, as
 * NfcFirewallChoice) and its tamper check interval. */
static void test_firewall_keys(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) def = parse("", NULL, NULL);
	g_autoptr(NfcConfig) ipt = parse("[General]\nFirewallBackend=iptables\n"
					 "FirewallCheckInterval=5\n", NULL, NULL);
	g_autoptr(NfcConfig) nft = parse("[General]\nFirewallBackend=nftables\n"
					 "FirewallCheckInterval=0\n", NULL, NULL);
	g_autoptr(NfcConfig) bad = parse("[General]\nFirewallBackend=ebtables\n", NULL, &error);

	g_assert_cmpint(def->firewall_backend, ==, 0);
	g_assert_cmpuint(def->firewall_check_interval, ==, 30);
	g_assert_cmpint(ipt->firewall_backend, ==, 2);
	g_assert_cmpuint(ipt->firewall_check_interval, ==, 5);
	g_assert_cmpint(nft->firewall_backend, ==, 1);
	g_assert_cmpuint(nft->firewall_check_interval, ==, 0);
	g_assert_null(bad);
	g_assert_nonnull(strstr(error->message, "auto, nftables, iptables"));
}

/* FastPathConntrack: conntrack-free accounting is off unless asked for */
static void test_fast_path_conntrack(void)
{
	g_autoptr(NfcConfig) def = parse("", NULL, NULL);
	g_autoptr(NfcConfig) off = parse("[General]\nFastPathConntrack=false\n", NULL, NULL);

	g_assert_true(def->fast_path_conntrack);
	g_assert_false(off->fast_path_conntrack);
}

/* Routing ranges that reach the kernel's own tables or rules are refused:
 * nfconnd clears its ranges at start and would delete them. */
static void test_routing_ranges(void)
{
	static const struct {
		const char *text;
		const char *expect; /* a part of the message */
	} bad[] = {
		{ "RoutingTableBase=0\n", "tables 0 to 255, which include the kernel's local (255), "
		  "main (254), default (253) and unspecified (0) tables" },
		{ "RoutingTableBase=250\n", "RoutingTableBase=250 with RoutingRange=256 covers tables "
		  "250 to 505, which include the kernel's local (255), main (254) and default (253) tables" },
		{ "RoutingTableBase=255\nRoutingRange=1\n", "the kernel's local (255) table" },
		{ "RoutingTableBase=253\nRoutingRange=1\n", "default (253)" },
		{ "RoutingTableBase=1\nRoutingRange=253\n", "tables 1 to 253, which include the kernel's default (253) table" },
		{ "RoutingTableBase=4294963200\nRoutingRange=4096\n", "past the last usable table 4294967294" },
		{ "RoutingRange=0\n", "RoutingRange=0" },
		{ "RulePriorityBase=0\n", "RulePriorityBase=0 with RoutingRange=256 covers priorities 0 to 255" },
		{ "RulePriorityBase=0\nRoutingRange=1\n", "priorities 0 to 0" },
		{ "RulePriorityBase=32000\nRoutingRange=767\n", "covers priorities 32000 to 32766" },
		{ "RulePriorityBase=32000\nRoutingRange=4096\n", "32766 (main) and 32767 (default)" },
	};
	static const struct {
		const char *text;
		guint table, priority, range;
	} good[] = {
		{ "RoutingTableBase=256\nRoutingRange=256\n", 256, 7000, 256 },
		{ "RoutingTableBase=1\nRoutingRange=252\n", 1, 7000, 252 },
		{ "RulePriorityBase=1\n", 7000, 1, 256 },
		/* 32765, the last priority before main's rule, is ours to use */
		{ "RulePriorityBase=32000\nRoutingRange=766\n", 7000, 32000, 766 },
		/* the range ends at the last table whose end still fits 32 bits */
		{ "RoutingTableBase=4294963199\nRoutingRange=4096\n", 4294963199u, 7000, 4096 },
		{ "RoutingTableBase=4294963200\nRoutingRange=4095\n", 4294963200u, 7000, 4095 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *text = g_strconcat("[General]\n", bad[i].text, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(NfcConfig) c = parse(text, NULL, &error);
		g_assert_null(c);
		g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
		if (bad[i].expect && !strstr(error->message, bad[i].expect))
			g_error("%s: \"%s\" lacks \"%s\"", bad[i].text, error->message, bad[i].expect);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree char *text = g_strconcat("[General]\n", good[i].text, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(NfcConfig) c = parse(text, NULL, &error);

		g_assert_no_error(error);
		g_assert_cmpuint(c->routing_table_base, ==, good[i].table);
		g_assert_cmpuint(c->rule_priority_base, ==, good[i].priority);
		g_assert_cmpuint(c->routing_range, ==, good[i].range);
	}
}

static void test_load_files(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("nfc-config-XXXXXX", &error);
	g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
	g_autofree char *bad = g_build_filename(dir, "bad.conf", NULL);
	NfcConfig *c;

	c = nfc_config_load(missing, true, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c);
	nfc_config_free(c);

	c = nfc_config_load(missing, false, NULL, &error);
	g_assert_null(c);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&error);

	g_file_set_contents(bad, "[General]\nBackgroundScanning=perhaps\n", -1, &error);
	g_assert_no_error(error);
	c = nfc_config_load(bad, true, NULL, &error);
	g_assert_null(c);
	g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
	/* the message names the file and the key, never the value: -c may
	 * name a file that is not a configuration */
	g_assert_nonnull(strstr(error->message, bad));
	g_assert_nonnull(strstr(error->message, "BackgroundScanning"));
	g_assert_null(strstr(error->message, "perhaps"));

	g_unlink(bad);
	g_rmdir(dir);
}

static NfcOptions *parse_args(const char *line, GError **error)
{
	g_auto(GStrv) argv = NULL;
	g_autofree char *full = g_strconcat("nfconnd ", line, NULL);
	int argc;
	char **args;
	NfcOptions *o;

	g_assert_true(g_shell_parse_argv(full, &argc, &argv, NULL));
	/* GOption reorders the array it is given; argv keeps every string */
	args = g_memdup2(argv, sizeof(char *) * (argc + 1));
	o = nfc_options_parse(&argc, &args, error);
	g_free(args);
	return o;
}

static void test_options(void)
{
	g_autoptr(GError) error = NULL;
	NfcOptions *o;

	o = parse_args("", &error);
	g_assert_no_error(error);
	g_assert_false(o->nodaemon);
	g_assert_null(o->debug);
	g_assert_false(o->config_given);
	g_assert_cmpstr(o->bus, ==, "system");
	g_assert_true(g_path_is_absolute(o->state_dir));
	nfc_options_free(o);

	o = parse_args("-n -d -c /tmp/x.conf --state-dir /tmp/s --run-dir=/tmp/r -P loop* "
		       "--bus unix:path=/tmp/bus", &error);
	g_assert_no_error(error);
	g_assert_true(o->nodaemon);
	g_assert_cmpstr(o->debug, ==, "");
	g_assert_true(o->config_given);
	g_assert_cmpstr(o->config_file, ==, "/tmp/x.conf");
	g_assert_cmpstr(o->state_dir, ==, "/tmp/s");
	g_assert_cmpstr(o->run_dir, ==, "/tmp/r");
	g_assert_cmpstr(o->noplugins, ==, "loop*");
	g_assert_cmpstr(o->bus, ==, "unix:path=/tmp/bus");
	nfc_options_free(o);

	o = parse_args("--debug=src/rtnl.c --debug=plugins/*", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(o->debug, ==, "src/rtnl.c,plugins/*");
	nfc_options_free(o);

	static const char *const bad[] = {
		"--no-such-option", "--bus=carrier-pigeon", "--state-dir relative/dir",
		"stray-argument", "-c",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_clear_error(&error);
		o = parse_args(bad[i], &error);
		g_assert_null(o);
		g_assert_nonnull(error);
	}
}

static void test_debug_patterns(void)
{
	g_assert_false(nfc_log_pattern_matches(NULL, "../src/main.c"));
	g_assert_true(nfc_log_pattern_matches("", "../src/main.c"));
	g_assert_true(nfc_log_pattern_matches("src/main.c", "../src/main.c"));
	g_assert_true(nfc_log_pattern_matches("rtnl", "../src/rtnl.c"));
	g_assert_true(nfc_log_pattern_matches("x, plugins/*", "../plugins/loopback.c"));
	g_assert_false(nfc_log_pattern_matches("plugins/*", "../src/rtnl.c"));
	g_assert_false(nfc_log_pattern_matches("main", "../src/manager.c"));
}

static const NfcPluginDesc p_lo = { "loopback", NULL, NULL, NULL, NULL };
static const NfcPluginDesc p_eth = { "ethernet", NULL, "loopback", NULL, NULL };
static const NfcPluginDesc p_tether = { "tether", NULL, "ethernet,loopback", NULL, NULL };
static const NfcPluginDesc p_alpha = { "alpha", NULL, NULL, NULL, NULL };
static const NfcPluginDesc p_cyc1 = { "cyc1", NULL, "cyc2", NULL, NULL };
static const NfcPluginDesc p_cyc2 = { "cyc2", NULL, "cyc1", NULL, NULL };

static char *order_of(const NfcPluginDesc *const *descs, size_t n, const char *en,
		      const char *dis, char **skipped_out)
{
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(nfc_plugin_order(descs, n, en, dis, order, skipped, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < order->len; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "",
				       ((const NfcPluginDesc *)order->pdata[i])->name);
	if (skipped_out) {
		g_ptr_array_add(skipped, NULL);
		*skipped_out = g_strjoinv("; ", (char **)skipped->pdata);
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static void test_plugin_order(void)
{
	const NfcPluginDesc *all[] = { &p_tether, &p_eth, &p_alpha, &p_lo };
	const NfcPluginDesc *cyc[] = { &p_cyc1, &p_cyc2, &p_lo };
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *a = order_of(all, 4, NULL, NULL, NULL);
	g_autofree char *b = order_of(all, 4, NULL, "eth*", NULL);
	g_autofree char *skipped = NULL;
	g_autofree char *c = order_of(all, 4, "loopback,tether", NULL, &skipped);

	g_assert_cmpstr(a, ==, "alpha loopback ethernet tether");
	/* tether needs ethernet, so disabling ethernet drops it too */
	g_assert_cmpstr(b, ==, "alpha loopback");
	g_assert_cmpstr(c, ==, "loopback");
	g_assert_nonnull(strstr(skipped, "tether: needs ethernet"));

	g_assert_false(nfc_plugin_order(cyc, 3, NULL, NULL, order, NULL, &error));
	g_assert_nonnull(error);
}

static void test_error_mapping(void)
{
	g_autoptr(GError) error = g_error_new_literal(NFC_ERROR, nfc_error_from_errno(-EPERM), "x");
	g_autofree char *name = g_dbus_error_encode_gerror(error);

	g_assert_cmpint(nfc_error_from_errno(-EINVAL), ==, NFC_ERROR_INVALID_ARGUMENTS);
	g_assert_cmpint(nfc_error_from_errno(-EACCES), ==, NFC_ERROR_PERMISSION_DENIED);
	g_assert_cmpint(nfc_error_from_errno(-EALREADY), ==, NFC_ERROR_IN_PROGRESS);
	g_assert_cmpint(nfc_error_from_errno(-ENOLINK), ==, NFC_ERROR_NO_CARRIER);
	g_assert_cmpint(nfc_error_from_errno(-ENOMEM), ==, NFC_ERROR_FAILED);
	g_assert_cmpstr(name, ==, "net.connman.Error.PermissionDenied");
}

static void test_string_table(void)
{
	/* a hole (index 1) has no name: neither printed nor parsed */
	static const char *const table[] = { [0] = "zero", [2] = "two", [3] = "three" };

	g_assert_cmpint(NFC_STRING_TABLE_LOOKUP(table, "zero"), ==, 0);
	g_assert_cmpint(NFC_STRING_TABLE_LOOKUP(table, "three"), ==, 3);
	g_assert_cmpint(NFC_STRING_TABLE_LOOKUP(table, "one"), ==, -1);
	g_assert_cmpint(NFC_STRING_TABLE_LOOKUP(table, "thre"), ==, -1);
	g_assert_cmpint(NFC_STRING_TABLE_LOOKUP(table, NULL), ==, -1);
	g_assert_cmpstr(NFC_STRING_TABLE_NAME(table, 2, "?"), ==, "two");
	g_assert_cmpstr(NFC_STRING_TABLE_NAME(table, 1, "?"), ==, "?");
	g_assert_cmpstr(NFC_STRING_TABLE_NAME(table, 4, "?"), ==, "?");
	g_assert_cmpstr(NFC_STRING_TABLE_NAME(table, -1, "?"), ==, "?");
	g_assert_null(NFC_STRING_TABLE_NAME(table, 1, NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/good-file", test_good_file);
	g_test_add_func("/config/warnings", test_warnings);
	g_test_add_func("/config/deprecated-online-check", test_deprecated_online_check);
	g_test_add_func("/config/bad-values", test_bad_values);
	g_test_add_func("/config/routing-ranges", test_routing_ranges);
	g_test_add_func("/config/sessions-per-user", test_sessions_per_user);
	g_test_add_func("/config/tethering-keys", test_tethering_keys);
	g_test_add_func("/config/firewall-keys", test_firewall_keys);
	g_test_add_func("/config/load-files", test_load_files);
	g_test_add_func("/options/parse", test_options);
	g_test_add_func("/log/debug-patterns", test_debug_patterns);
	g_test_add_func("/plugin/order", test_plugin_order);
	g_test_add_func("/dbus/error-mapping", test_error_mapping);
	g_test_add_func("/string-table/lookup", test_string_table);
	g_test_add_func("/config/fast-path-conntrack", test_fast_path_conntrack);
	return g_test_run();
}
