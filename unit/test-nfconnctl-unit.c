// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier for nfconnctl: connmanctl-format output of hand-built
 * replies and signals (technologies, services, sessions that today's
 * nfconnd cannot produce yet), JSON, argument parsing, error texts and
 * completion. */
#include <string.h>

#include "format.h"
#include "json.h"
#include "parse.h"

static GVariant *parse(const char *text)
{
	g_autoptr(GError) error = NULL;
	GVariant *v = g_variant_parse(NULL, text, NULL, NULL, &error);

	g_assert_no_error(error);
	return v;
}

#define ETH_PROPS \
	"{'Type': <'ethernet'>, 'Security': <@as []>, 'State': <'online'>, " \
	"'Favorite': <true>, 'Immutable': <false>, 'AutoConnect': <true>, 'Name': <'Wired'>, " \
	"'Ethernet': <{'Method': <'auto'>, 'Interface': <'eth0'>, " \
	"'Address': <'00:11:22:33:44:AA'>, 'MTU': <uint16 1500>}>, " \
	"'IPv4': <{'Method': <'dhcp'>, 'Address': <'198.51.100.10'>}>, " \
	"'Nameservers': <['198.51.100.1', '198.51.100.2']>, 'Strength': <byte 70>, " \
	"'LastAddressConflict': <{'Timestamp': <int64 5>}>}"

static void test_service(void)
{
	g_autoptr(GVariant) props = parse(ETH_PROPS);
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_service(out, "/net/connman/service/ethernet_001122334455_cable", props);
	g_assert_cmpstr(out->str, ==,
		"/net/connman/service/ethernet_001122334455_cable\n"
		"  Type = ethernet\n"
		"  Security = [  ]\n"
		"  State = online\n"
		"  Favorite = True\n"
		"  Immutable = False\n"
		"  AutoConnect = True\n"
		"  Name = Wired\n"
		"  Ethernet = [ Method=auto, Interface=eth0, Address=00:11:22:33:44:AA, MTU=1500 ]\n"
		"  IPv4 = [ Method=dhcp, Address=198.51.100.10 ]\n"
		"  Nameservers = [ 198.51.100.1, 198.51.100.2 ]\n"
		"  Strength = 70\n"
		"  LastAddressConflict = [ Timestamp=<type x> ]\n");
}

static void test_scalars(void)
{
	g_autoptr(GVariant) props = parse("{'U': <uint32 4294967295>, 'I': <int32 -3>, "
					  "'T': <uint64 18446744073709551615>, 'D': <1.5>, "
					  "'P': <objectpath '/a/b'>, 'S': <('x', 1)>}");
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_properties(out, props);
	/* uint32 as signed, as connmanctl prints it */
	g_assert_cmpstr(out->str, ==, "  U = -1\n  I = -3\n  T = 18446744073709551615\n"
				      "  D = 1.500000\n  P = /a/b\n  S = { x 1}\n");
}

static void test_technologies(void)
{
	g_autoptr(GVariant) techs = parse(
		"[(objectpath '/net/connman/technology/ethernet', {'Name': <'Wired'>, "
		"'Type': <'ethernet'>, 'Powered': <true>, 'Connected': <true>, "
		"'Tethering': <false>, 'TetheringFreq': <2412>}), "
		"(objectpath '/net/connman/technology/wifi', {'Name': <'WiFi'>, "
		"'Powered': <false>})]");
	g_autoptr(GVariant) none = parse("@a(oa{sv}) []");
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_technologies(out, techs);
	g_assert_cmpstr(out->str, ==,
		"/net/connman/technology/ethernet\n"
		"  Name = Wired\n  Type = ethernet\n  Powered = True\n  Connected = True\n"
		"  Tethering = False\n  TetheringFreq = 2412\n"
		"/net/connman/technology/wifi\n"
		"  Name = WiFi\n  Powered = False\n");
	g_string_truncate(out, 0);
	nfc_ctl_format_technologies(out, none);
	g_assert_cmpstr(out->str, ==, "");
}

#define SERVICE_LIST \
	"[(objectpath '/net/connman/service/ethernet_0011223344aa_cable', " \
	"  {'Name': <'Wired'>, 'State': <'online'>, 'Favorite': <true>, 'AutoConnect': <true>}), " \
	" (objectpath '/net/connman/service/wifi_0011223344bb_4d79_managed_psk', " \
	"  {'Name': <'MyWifi'>, 'State': <'ready'>, 'Favorite': <true>, 'AutoConnect': <false>}), " \
	" (objectpath '/net/connman/service/wifi_1', {'Name': <'A very long network name'>, " \
	"  'State': <'association'>}), " \
	" (objectpath '/net/connman/service/wifi_2', {'State': <'configuration'>}), " \
	" (objectpath '/net/connman/service/wifi_3', {'State': <'disconnect'>}), " \
	" (objectpath '/net/connman/service/wifi_4', {'State': <'idle'>, 'Favorite': <false>}), " \
	" (objectpath '/net/connman/service/wifi_5', @a{sv} {})]"

static void test_services(void)
{
	g_autoptr(GVariant) list = parse(SERVICE_LIST);
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_services(out, list, NULL);
	g_assert_cmpstr(out->str, ==,
		"*AO Wired                ethernet_0011223344aa_cable\n"
		"* R MyWifi               wifi_0011223344bb_4d79_managed_psk\n"
		"  a A very long network name wifi_1\n"
		"  c                      wifi_2\n"
		"  d                      wifi_3\n"
		"                         wifi_4\n"
		"unchanged                wifi_5");
}

static void test_monitor(void)
{
	g_autoptr(GVariant) changed = parse("(" SERVICE_LIST ", [objectpath '/net/connman/service/wifi_9'])");
	g_autoptr(GVariant) added = parse("(objectpath '/net/connman/technology/wifi', "
					  "{'Name': <'WiFi'>, 'Type': <'wifi'>})");
	g_autoptr(GVariant) removed = parse("(objectpath '/net/connman/technology/wifi',)");
	g_autoptr(GVariant) prop = parse("('State', <'ready'>)");
	g_autoptr(GVariant) list_prop = parse("('Nameservers', <['198.51.100.1']>)");
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Service",
					    "/net/connman/service/ethernet_0011223344aa_cable",
					    "PropertyChanged", prop));
	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Service",
					    "/net/connman/service/ethernet_0011223344aa_cable",
					    "PropertyChanged", list_prop));
	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Technology",
					    "/net/connman/technology/ethernet",
					    "PropertyChanged", prop));
	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Manager", "/", "PropertyChanged",
					    prop));
	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Manager", "/", "TechnologyAdded",
					    added));
	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Manager", "/", "TechnologyRemoved",
					    removed));
	g_assert_true(nfc_ctl_format_signal(out, "net.connman.Manager", "/", "ServicesChanged",
					    changed));
	g_assert_cmpstr(out->str, ==,
		"Service      ethernet_0011223344aa_cable State = ready\n"
		"Service      ethernet_0011223344aa_cable Nameservers = [ 198.51.100.1 ]\n"
		"Technology   ethernet             State = ready\n"
		"Manager                           State = ready\n"
		"Manager      TechnologyAdded      /net/connman/technology/wifi = "
		"[ Name=WiFi, Type=wifi ]\n"
		"Manager      TechnologyRemoved    /net/connman/technology/wifi\n"
		"Manager      ServicesChanged      = {\n"
		"*AO Wired                ethernet_0011223344aa_cable\n"
		"* R MyWifi               wifi_0011223344bb_4d79_managed_psk\n"
		"  a A very long network name wifi_1\n"
		"  c                      wifi_2\n"
		"  d                      wifi_3\n"
		"                         wifi_4\n"
		"unchanged                wifi_5\n"
		"}, {\n"
		"removed                  /net/connman/service/wifi_9\n"
		"}\n");

	/* never shown: sessions, notifications, agents, other services */
	g_string_truncate(out, 0);
	g_assert_false(nfc_ctl_format_signal(out, "net.connman.Session", "/s", "X", prop));
	g_assert_false(nfc_ctl_format_signal(out, "net.connman.Notification", "/s", "X", prop));
	g_assert_false(nfc_ctl_format_signal(out, "net.connman.Agent", "/s", "X", prop));
	g_assert_false(nfc_ctl_format_signal(out, "org.example.Other", "/s", "X", prop));
	g_assert_cmpstr(out->str, ==, "");
}

static void test_session_update(void)
{
	g_autoptr(GVariant) settings = parse(
		"{'State': <'connected'>, 'Name': <'Wired'>, "
		"'IPv4': <{'Method': <'dhcp'>, 'Address': <'198.51.100.10'>}>, "
		"'Bearer': <'ethernet'>, 'AllowedBearers': <['ethernet', 'wifi']>, "
		"'SourceIPRule': <false>}");
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_session_update(out, settings);
	g_assert_cmpstr(out->str, ==,
		"Session      Update               = {\n"
		"State = connected\n"
		"Name = Wired\n"
		"IPv4 = [ Method=dhcp, Address=198.51.100.10 ]\n"
		"Bearer = ethernet\n"
		"AllowedBearers = [ ethernet, wifi ]\n"
		"SourceIPRule = False\n"
		"}\n");
}

static void test_json(void)
{
	g_autoptr(GVariant) props = parse(ETH_PROPS);
	g_autoptr(GVariant) odd = parse("{'q\"uote': <'a\\\\b\\n\\t\\u0001\\u00e9'>, "
					"'n': <[int16 -1, 2]>, 'd': <0.25>, 'u': <uint32 4294967295>, "
					"'t': <('x', true)>, 'k': <{1: 'one'}>, 'e': <@a{sv} {}>}");
	g_autoptr(GVariant) list = parse(SERVICE_LIST);
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_json_object(out, "/net/connman/service/ethernet_001122334455_cable", props);
	g_assert_cmpstr(out->str, ==,
		"{\"id\":\"ethernet_001122334455_cable\","
		"\"path\":\"/net/connman/service/ethernet_001122334455_cable\",\"properties\":"
		"{\"Type\":\"ethernet\",\"Security\":[],\"State\":\"online\",\"Favorite\":true,"
		"\"Immutable\":false,\"AutoConnect\":true,\"Name\":\"Wired\",\"Ethernet\":"
		"{\"Method\":\"auto\",\"Interface\":\"eth0\",\"Address\":\"00:11:22:33:44:AA\","
		"\"MTU\":1500},\"IPv4\":{\"Method\":\"dhcp\",\"Address\":\"198.51.100.10\"},"
		"\"Nameservers\":[\"198.51.100.1\",\"198.51.100.2\"],\"Strength\":70,"
		"\"LastAddressConflict\":{\"Timestamp\":5}}}");

	g_string_truncate(out, 0);
	nfc_json_value(out, odd);
	g_assert_cmpstr(out->str, ==,
		"{\"q\\\"uote\":\"a\\\\b\\n\\t\\u0001\xc3\xa9\",\"n\":[-1,2],\"d\":0.25,"
		"\"u\":4294967295,\"t\":[\"x\",true],\"k\":{\"1\":\"one\"},\"e\":{}}");

	g_string_truncate(out, 0);
	nfc_json_object_list(out, "services", list);
	g_assert_true(g_str_has_prefix(out->str, "{\"services\":[{\"id\":\"ethernet_0011223344aa_cable\""));
	g_assert_true(g_str_has_suffix(out->str, "{\"id\":\"wifi_5\",\"path\":"
					  "\"/net/connman/service/wifi_5\",\"properties\":{}}]}"));
}

#define TETHER_CLIENTS \
	"[('02:00:00:00:00:01', {'Hostname': <'laptop'>, " \
	"'Addresses': <['192.168.0.23', 'fd00:1:2:3::17']>, 'TxPackets': <uint64 120>, " \
	"'TxBytes': <uint64 10240>, 'RxPackets': <uint64 7>, 'RxBytes': <uint64 18446744073709551615>}), " \
	"('02:00:00:00:00:02', {'Hostname': <'evil\x1b[2Jname'>, 'Addresses': <@as []>, " \
	"'TxPackets': <uint64 0>, 'TxBytes': <uint64 0>, 'RxPackets': <uint64 0>, " \
	"'RxBytes': <uint64 0>}), ('02:00:00:00:00:03', {'Hostname': <''>})]"

static void test_tether_clients(void)
{
	g_autoptr(GVariant) clients = parse(TETHER_CLIENTS);
	g_autoptr(GVariant) none = parse("@a(sa{sv}) []");
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_tether_clients(out, clients);
	g_assert_cmpstr(out->str, ==,
		"MAC                Addresses                     Hostname      TX packets  TX bytes"
		"  RX packets              RX bytes\n"
		"02:00:00:00:00:01  192.168.0.23, fd00:1:2:3::17  laptop               120     10240"
		"           7  18446744073709551615\n"
		"02:00:00:00:00:02  -                             evil?[2Jname           0         0"
		"           0                     0\n"
		"02:00:00:00:00:03  -                             -                      -         -"
		"           -                     -\n");

	/* no clients: the header alone */
	g_string_truncate(out, 0);
	nfc_ctl_format_tether_clients(out, none);
	g_assert_cmpstr(out->str, ==, "MAC  Addresses  Hostname  TX packets  TX bytes  RX packets"
				      "  RX bytes\n");

	g_string_truncate(out, 0);
	nfc_json_keyed_list(out, "MAC", clients);
	g_assert_cmpstr(out->str, ==,
		"[{\"MAC\":\"02:00:00:00:00:01\",\"Hostname\":\"laptop\",\"Addresses\":"
		"[\"192.168.0.23\",\"fd00:1:2:3::17\"],\"TxPackets\":120,\"TxBytes\":10240,"
		"\"RxPackets\":7,\"RxBytes\":18446744073709551615},"
		"{\"MAC\":\"02:00:00:00:00:02\",\"Hostname\":\"evil\\u001b[2Jname\",\"Addresses\":[],"
		"\"TxPackets\":0,\"TxBytes\":0,\"RxPackets\":0,\"RxBytes\":0},"
		"{\"MAC\":\"02:00:00:00:00:03\",\"Hostname\":\"\"}]");
	g_string_truncate(out, 0);
	nfc_json_keyed_list(out, "MAC", none);
	g_assert_cmpstr(out->str, ==, "[]");
}

static void test_bool_and_ids(void)
{
	const char *yes[] = { "on", "YES", "true", "Enable", "y", "t", "1" };
	const char *no[] = { "off", "no", "FALSE", "disable", "n", "F", "0" };
	gboolean b;

	for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
		b = FALSE;
		g_assert_true(nfc_ctl_parse_bool(yes[i], &b));
		g_assert_true(b);
		g_assert_true(nfc_ctl_parse_bool(no[i], &b));
		g_assert_false(b);
	}
	g_assert_false(nfc_ctl_parse_bool("maybe", &b));
	g_assert_false(nfc_ctl_parse_bool("", &b));

	g_assert_true(nfc_ctl_valid_id("ethernet_0011223344aa_cable"));
	g_assert_true(nfc_ctl_valid_id("wifi"));
	g_assert_false(nfc_ctl_valid_id(""));
	g_assert_false(nfc_ctl_valid_id("a-b"));
	g_assert_false(nfc_ctl_valid_id("../x"));
	g_assert_false(nfc_ctl_valid_id("a b"));
	g_assert_false(nfc_ctl_valid_id(NULL));
}

static char *changes_text(GPtrArray *changes)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < changes->len; i++) {
		NfcCtlChange *c = changes->pdata[i];
		g_autofree char *v = c->value ? g_variant_print(c->value, TRUE) : NULL;

		g_string_append_printf(out, "%s=%s;", c->property ? c->property : "REMOVE",
				       v ? v : "");
	}
	return g_string_free(out, FALSE);
}

static void expect_config(const char *line, const char *want)
{
	g_auto(GStrv) args = g_strsplit(line, " ", -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changes = nfc_ctl_parse_config(args, &error);
	g_autofree char *text = NULL;

	g_assert_no_error(error);
	text = changes_text(changes);
	g_assert_cmpstr(text, ==, want);
}

static void expect_config_error(const char *line, const char *message)
{
	g_auto(GStrv) args = g_strsplit(line, " ", -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changes = nfc_ctl_parse_config(args, &error);

	g_assert_null(changes);
	g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
	g_assert_cmpstr(error->message, ==, message);
}

static void test_config(void)
{
	expect_config("--autoconnect no", "AutoConnect=false;");
	expect_config("ipv4 dhcp", "IPv4.Configuration={'Method': <'dhcp'>};");
	expect_config("--ipv4 manual 198.51.100.5 255.255.255.0 198.51.100.1 --mdns yes",
		      "IPv4.Configuration={'Method': <'manual'>, 'Address': <'198.51.100.5'>, "
		      "'Netmask': <'255.255.255.0'>, 'Gateway': <'198.51.100.1'>};"
		      "mDNS.Configuration=true;");
	expect_config("--ipv6 auto preferred", "IPv6.Configuration={'Method': <'auto'>, "
		      "'Privacy': <'prefered'>};");
	expect_config("--ipv6 manual 2001:db8::5 64 2001:db8::1",
		      "IPv6.Configuration={'Method': <'manual'>, 'Address': <'2001:db8::5'>, "
		      "'PrefixLength': <byte 0x40>, 'Gateway': <'2001:db8::1'>};");
	expect_config("--ipv6 off", "IPv6.Configuration={'Method': <'off'>};");
	expect_config("--nameservers 198.51.100.1 2001:db8::53 domains a.example b.example",
		      "Nameservers.Configuration=['198.51.100.1', '2001:db8::53'];"
		      "Domains.Configuration=['a.example', 'b.example'];");
	expect_config("--timeservers", "Timeservers.Configuration=@as [];");
	expect_config("--proxy manual p1:3128 p2 --excludes localhost .lab",
		      "Proxy.Configuration={'Method': <'manual'>, 'Servers': <['p1:3128', 'p2']>, "
		      "'Excludes': <['localhost', '.lab']>};");
	expect_config("proxy auto http://wpad/wpad.dat",
		      "Proxy.Configuration={'Method': <'auto'>, 'URL': <'http://wpad/wpad.dat'>};");
	expect_config("--remove", "REMOVE=;");

	expect_config_error("--autoconnect maybe", "autoconnect needs yes or no");
	expect_config_error("--ipv4 static", "ipv4 needs off, dhcp or manual ADDRESS NETMASK GATEWAY");
	expect_config_error("--ipv4 manual 2001:db8::1", "'2001:db8::1' is not an IPv4 address");
	expect_config_error("--ipv6 manual 2001:db8::1 129", "'129' is not a prefix length (0-128)");
	expect_config_error("--ipv6 auto sometimes", "'sometimes' is not enable, disable or preferred");
	expect_config_error("--proxy manual", "proxy manual needs at least one server");
	expect_config_error("--remove now", "remove takes no arguments");
	expect_config_error("--frob", "unknown option '--frob'");
}

static void test_session_options(void)
{
	char *line[] = { "bearers", "ethernet", "wifi", "--type", "internet", "ifname",
			 "--srciprule", "yes", "ctxid", "app1", NULL };
	char *bad[] = { "type", "everything", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) changes = nfc_ctl_parse_session(line, &error);
	g_autoptr(GPtrArray) none = NULL;
	g_autoptr(GVariant) dict = NULL;
	g_autofree char *text = NULL;

	g_assert_no_error(error);
	dict = g_variant_ref_sink(nfc_ctl_changes_to_dict(changes));
	text = g_variant_print(dict, FALSE);
	g_assert_cmpstr(text, ==, "{'AllowedBearers': <['ethernet', 'wifi']>, "
				  "'ConnectionType': <'internet'>, 'AllowedInterface': <''>, "
				  "'SourceIPRule': <true>, 'ContextIdentifier': <'app1'>}");
	none = nfc_ctl_parse_session(bad, &error);
	g_assert_null(none);
	g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
}

static char *text_for(const char *name, const char *message, const char *thing)
{
	g_autoptr(GError) error = g_dbus_error_new_for_dbus_error(name, message);

	return nfc_ctl_error_text(error, thing);
}

static void test_error_text(void)
{
	struct {
		const char *name, *message, *thing, *want;
	} cases[] = {
		{ "org.freedesktop.DBus.Error.UnknownObject", "x", "Service a_b", "Service a_b is not available" },
		{ "org.freedesktop.DBus.Error.UnknownMethod", "No such interface", "Service a_b",
		  "Service a_b is not available" },
		{ "net.connman.Error.AlreadyEnabled", "x", "ethernet", "ethernet is already enabled" },
		{ "net.connman.Error.AlreadyDisabled", "x", "ethernet", "ethernet is already disabled" },
		{ "net.connman.Error.InvalidArguments", "Invalid arguments", NULL, "Invalid arguments" },
		{ "net.connman.Error.PermissionDenied", "x", NULL, "Permission denied" },
		{ "net.connman.Error.NotSupported", "x", NULL, "Not supported" },
		{ "net.connman.Error.InProgress", "x", NULL, "Operation in progress" },
		{ "net.connman.Error.Failed", "Device or resource busy", NULL, "Device or resource busy" },
		{ "org.freedesktop.DBus.Error.ServiceUnknown", "x", NULL, "nfconnd is not running" },
		{ "org.freedesktop.DBus.Error.AccessDenied", "x", NULL,
		  "Permission denied by the bus policy" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = text_for(cases[i].name, cases[i].message, cases[i].thing);

		g_assert_cmpstr(text, ==, cases[i].want);
	}
	{
		g_autoptr(GError) e1 = g_dbus_error_new_for_dbus_error(
			"org.freedesktop.DBus.Error.UnknownMethod", "m");
		g_autoptr(GError) e2 = g_dbus_error_new_for_dbus_error(
			"org.freedesktop.DBus.Error.UnknownInterface", "m");
		g_autoptr(GError) e3 = g_dbus_error_new_for_dbus_error(
			"net.connman.Error.Failed", "m");

		g_assert_true(nfc_ctl_error_is_unknown_method(e1));
		g_assert_true(nfc_ctl_error_is_unknown_method(e2));
		g_assert_false(nfc_ctl_error_is_unknown_method(e3));
	}
}

static char *complete(const char *before, const char *text)
{
	char *services[] = { "ethernet_0011223344aa_cable", "wifi_0011223344bb_4d79_managed_psk", NULL };
	char *techs[] = { "ethernet", "wifi", NULL };
	g_auto(GStrv) words = *before ? g_strsplit(before, " ", -1) : g_new0(char *, 1);
	g_auto(GStrv) got = nfc_ctl_complete(words, text, services, techs);

	return g_strjoinv(",", got);
}

static void test_complete(void)
{
	struct {
		const char *before, *text, *want;
	} cases[] = {
		{ "", "se", "services,session" },
		{ "", "mo", "move-before,move-after,monitor" },
		{ "", "zz", "" },
		{ "enable", "", "ethernet,wifi,offline" },
		{ "disable", "o", "offline" },
		{ "connect", "w", "wifi_0011223344bb_4d79_managed_psk" },
		{ "services --properties", "e", "ethernet_0011223344aa_cable" },
		{ "services ethernet_0011223344aa_cable", "", "" },
		{ "move-before ethernet_0011223344aa_cable", "wi", "wifi_0011223344bb_4d79_managed_psk" },
		{ "config ethernet_0011223344aa_cable", "--ip", "--ipv4,--ipv6" },
		{ "config ethernet_0011223344aa_cable --ipv4 dhcp", "--n", "--nameservers" },
		{ "tether", "w", "wifi" },
		{ "tether", "", "status,clients,ethernet,wifi" },
		{ "tether", "c", "clients" },
		{ "tether wifi", "o", "on,off" },
		{ "tether status", "", "" },
		{ "tether clients", "o", "" },
		{ "", "tet", "tether,tethering_clients" },
		{ "monitor", "", "manager,technologies,services,session" },
		{ "session", "c", "connect,config" },
		{ "session on", "--b", "--bearers" },
		{ "explain", "", "uid,gid,cgroup" },
		{ "", "ag", "agent" },
		{ "agent", "", "on,off" },
		{ "agent on", "", "" },
		{ "scan", "", "ethernet,wifi" },
		{ "scan ethernet", "", "" },
		{ "", "t", "technologies,tether,tethering_clients" },
		{ "", "p", "peers" },
		{ "peers", "", "" },
		{ "vpnconnections", "", "" },
		{ "services", "", "ethernet_0011223344aa_cable,wifi_0011223344bb_4d79_managed_psk,"
				  "--properties" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = complete(cases[i].before, cases[i].text);

		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

static void test_commands(void)
{
	g_assert_nonnull(nfc_ctl_command_find("state"));
	g_assert_true(nfc_ctl_command_find("services")->query);
	g_assert_false(nfc_ctl_command_find("connect")->query);
	g_assert_null(nfc_ctl_command_find("vpnagent"));
	g_assert_false(nfc_ctl_command_find("agent")->query);
	g_assert_true(nfc_ctl_command_find("peers")->query);
	g_assert_true(nfc_ctl_command_find("tethering_clients")->query);
	g_assert_true(nfc_ctl_command_find("vpnconnections")->query);
	g_assert_false(nfc_ctl_command_find("scan")->query);
	/* tether's two forms: the query first */
	g_assert_true(nfc_ctl_command_find("tether")->query);
	g_assert_cmpstr(nfc_ctl_command_find("tether")[1].name, ==, "tether");
	g_assert_false(nfc_ctl_command_find("tether")[1].query);
	g_assert_cmpstr(nfc_ctl_option_name("--ipv4", nfc_ctl_config_options), ==, "ipv4");
	g_assert_cmpstr(nfc_ctl_option_name("ipv4", nfc_ctl_config_options), ==, "ipv4");
	g_assert_null(nfc_ctl_option_name("-ipv4", nfc_ctl_config_options));
}

/* The table's argument checks, with connmanctl's messages. */
static void test_check_args(void)
{
	struct {
		const char *line;
		int status;
		const char *message;
	} cases[] = {
		{ "state", 0, NULL },
		{ "state x", 2, "Argument list too long" },
		{ "bogus", 2, "Unknown command" },
		{ "scan", 2, "Missing argument" },
		{ "scan ethernet", 0, NULL },
		{ "scan eth-0", 2, "Invalid argument" },
		{ "scan a b", 2, "Argument list too long" },
		{ "peers", 0, NULL },
		{ "peers peer_1", 0, NULL },
		{ "peers peer.1", 2, "Invalid argument" },
		{ "vpnconnections vpn_1", 0, NULL },
		{ "vpnconnections a b", 2, "Argument list too long" },
		{ "tethering_clients", 0, NULL },
		{ "tethering_clients x", 2, "Argument list too long" },
		{ "agent", 2, "Missing argument" },
		{ "agent on", 0, NULL },
		{ "agent on off", 2, "Argument list too long" },
		/* tether's two forms: either's counts */
		{ "tether", 0, NULL },
		{ "tether clients", 0, NULL },
		{ "tether ethernet on", 0, NULL },
		{ "tether wifi on ssid pass", 0, NULL },
		{ "tether wifi on ssid pass 5", 2, "Argument list too long" },
		{ "tether bad-tech on", 2, "Invalid argument" },
		{ "move-before a_1 b-2", 2, "Invalid argument" },
		{ "config a_1 --ipv4 dhcp", 0, NULL },
		{ "config a-1 --ipv4 dhcp", 2, "Invalid argument" },
		{ "explain uid 0", 0, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_auto(GStrv) argv = g_strsplit(cases[i].line, " ", -1);
		const char *message = NULL;

		g_assert_cmpint(nfc_ctl_check_args(argv, &message), ==, cases[i].status);
		g_assert_cmpstr(message, ==, cases[i].message);
	}
}

static void test_peers_vpn_lines(void)
{
	g_autoptr(GVariant) peers = parse("[(objectpath '/net/connman/peer/peer_0011', "
					  "{'Name': <'Phone'>, 'State': <'ready'>}), "
					  "(objectpath '/net/connman/peer/peer_0022', "
					  "{'Name': <'TV'>, 'State': <'idle'>})]");
	g_autoptr(GVariant) vpns = parse("[(objectpath '/net/connman/vpn/connection/vpn_a', "
					 "{'Name': <'Office'>, 'State': <'failure'>})]");
	g_autoptr(GVariant) none = parse("@a(oa{sv}) []");
	g_autoptr(GVariant) macs = parse("['02:00:00:00:00:01', '02:00:00:00:00:02']");
	g_autoptr(GVariant) no_macs = parse("@as []");
	g_autoptr(GString) out = g_string_new(NULL);

	nfc_ctl_format_peers(out, peers);
	g_assert_cmpstr(out->str, ==, "R Phone                peer_0011\n"
				      "  TV                   peer_0022");
	g_string_truncate(out, 0);
	nfc_ctl_format_peers(out, none);
	g_assert_cmpstr(out->str, ==, "");
	nfc_ctl_format_vpn_connections(out, vpns);
	g_assert_cmpstr(out->str, ==, "  F Office               vpn_a");
	g_string_truncate(out, 0);
	nfc_ctl_format_lines(out, macs);
	g_assert_cmpstr(out->str, ==, "02:00:00:00:00:01\n02:00:00:00:00:02");
	g_string_truncate(out, 0);
	nfc_ctl_format_lines(out, no_macs);
	g_assert_cmpstr(out->str, ==, "");
}

/* nfconnctl(1) formats without a troff warning at the widths of usual
 * terminals (narrower ones cannot fit its longest paths). */
static void test_manpage(void)
{
	g_autofree char *groff = g_find_program_in_path("groff");
	g_autofree char *man = g_find_program_in_path("man");
	static const int widths[] = { 50, 60, 72, 80, 100, 132, 200 };

	if (!groff || !man) {
		g_test_skip("groff or man is not installed");
		return;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(widths); i++) {
		g_autofree char *cmd = g_strdup_printf(
			"sh -c 'MANWIDTH=%d man --warnings -l %s/doc/nfconnctl.1 2>&1 >/dev/null'",
			widths[i], NFC_SOURCE_ROOT);
		g_autofree char *out = NULL;
		int status;

		g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		if (*out)
			g_error("nfconnctl.1 at %d columns: %s", widths[i], out);
	}
	{
		g_autofree char *cmd = g_strdup_printf("sh -c 'groff -ww -man -z %s/doc/nfconnctl.1 "
						       "2>&1'", NFC_SOURCE_ROOT);
		g_autofree char *out = NULL;

		g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
		g_assert_cmpstr(out, ==, "");
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nfconnctl/format/service", test_service);
	g_test_add_func("/nfconnctl/format/scalars", test_scalars);
	g_test_add_func("/nfconnctl/format/technologies", test_technologies);
	g_test_add_func("/nfconnctl/format/services", test_services);
	g_test_add_func("/nfconnctl/format/monitor", test_monitor);
	g_test_add_func("/nfconnctl/format/session-update", test_session_update);
	g_test_add_func("/nfconnctl/json", test_json);
	g_test_add_func("/nfconnctl/format/tether-clients", test_tether_clients);
	g_test_add_func("/nfconnctl/parse/bool-and-ids", test_bool_and_ids);
	g_test_add_func("/nfconnctl/parse/config", test_config);
	g_test_add_func("/nfconnctl/parse/session", test_session_options);
	g_test_add_func("/nfconnctl/parse/error-text", test_error_text);
	g_test_add_func("/nfconnctl/parse/complete", test_complete);
	g_test_add_func("/nfconnctl/parse/commands", test_commands);
	g_test_add_func("/nfconnctl/parse/check-args", test_check_args);
	g_test_add_func("/nfconnctl/format/peers-vpn-lines", test_peers_vpn_lines);
	g_test_add_func("/nfconnctl/manpage", test_manpage);
	return g_test_run();
}
