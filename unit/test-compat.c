// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier, compatibility: Debian's connmanctl, unmodified, against
 * nfconnd with two real uplinks (unit/uplinks.h). Its output is checked
 * line by line, with only the truly variable parts (leased addresses, MACs,
 * the bus name and connmanctl's PID in session paths) taken from what
 * nfconnd reports over D-Bus; and nfconnctl must print the same bytes for
 * the same queries. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uplinks.h"

#define CTL NFC_BUILD_ROOT "/client/nfconnctl"
#define SERVICE_PATH "/net/connman/service/"
#define TIMEOUT_MS 20000
#define ALL_BEARERS "[ ethernet, wifi, bluetooth, cellular, gadget ]"

typedef struct {
	Uplinks u;
	char *id[2];
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	if (!g_file_test("/usr/bin/connmanctl", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("connmanctl is not installed");
		return;
	}
	uplinks_setup(&f->u, data);
	uplinks_start_nfconnd(&f->u);
	for (int i = 0; i < 2; i++)
		f->id[i] = uplinks_service_id(&f->u, i);
	uplinks_wait_services(&f->u, 2, "online", TIMEOUT_MS);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (!f->u.lab)
		return;
	uplinks_teardown(&f->u);
	for (int i = 0; i < 2; i++)
		g_free(f->id[i]);
}

/* A command that must succeed: exit 0, nothing on stderr; its stdout. */
static char *ctl_ok(Fixture *f, const char *args)
{
	g_autofree char *err = NULL;
	char *out = NULL;

	g_assert_cmpint(nfc_lab_connmanctl(f->u.lab, f->u.host, &out, &err, "%s", args), ==, 0);
	g_assert_cmpstr(err, ==, "");
	return out;
}

/* A command the daemon refuses: connmanctl prints the error on stderr and
 * still exits 0 (the daemon's errors do not make its status). */
static char *ctl_err(Fixture *f, const char *args)
{
	g_autofree char *out = NULL;
	char *err = NULL;

	g_assert_cmpint(nfc_lab_connmanctl(f->u.lab, f->u.host, &out, &err, "%s", args), ==, 0);
	g_assert_cmpstr(out, ==, "");
	return err;
}

static char *nfconnctl(Fixture *f, const char *args)
{
	return nfc_lab_sh_output(f->u.lab, f->u.host, CTL " --bus %s %s </dev/null",
				 nfc_lab_bus_address(f->u.lab), args);
}

/* Runs connmanctl ARGS until its stdout contains want. */
static char *ctl_poll(Fixture *f, const char *args, const char *want)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	for (;;) {
		char *out = ctl_ok(f, args);

		if (strstr(out, want))
			return out;
		if (g_get_monotonic_time() > end) {
			g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");

			g_error("connmanctl %s never showed '%s'; last:\n%s\n%s", args, want, out, log);
		}
		g_free(out);
		g_usleep(100 * 1000);
	}
}

static char *service_line(const char *flags, const char *id)
{
	return g_strdup_printf("%s %-20s %s", flags, "Wired", id);
}

/* The identifiers in GetServices order. */
static GStrv service_order(Fixture *f)
{
	g_autoptr(GVariant) list = uplinks_services(&f->u);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();

	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		const char *path;

		g_variant_get_child(list, i, "(&o@a{sv})", &path, NULL);
		g_strv_builder_add(b, strrchr(path, '/') + 1);
	}
	return g_strv_builder_end(b);
}

/* The dump of an a{sv} the way connmanctl prints a nested dict, built
 * from what nfconnd reports over D-Bus (strings, uint16 and bytes). */
static char *dict_line(Fixture *f, const char *id, const char *property)
{
	g_autoptr(GVariant) v = uplinks_service_property(&f->u, id, property);
	g_autoptr(GString) s = g_string_new(NULL);
	GVariantIter iter;
	const char *key;
	GVariant *value;
	gboolean first = TRUE;

	g_assert_nonnull(v);
	g_string_append_printf(s, "  %s = [ ", property);
	g_variant_iter_init(&iter, v);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_string_append_printf(s, "%s%s=", first ? "" : ", ", key);
		if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
			g_string_append(s, g_variant_get_string(value, NULL));
		else if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT16))
			g_string_append_printf(s, "%u", g_variant_get_uint16(value));
		else if (g_variant_is_of_type(value, G_VARIANT_TYPE_BYTE))
			g_string_append_printf(s, "%d", g_variant_get_byte(value));
		else
			g_assert_not_reached();
		first = FALSE;
		g_variant_unref(value);
	}
	g_string_append(s, " ]");
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static bool has_line(const char *text, const char *line)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	return g_strv_contains((const char *const *)lines, line);
}

/* The same query through connmanctl and nfconnctl: equal bytes. The
 * daemon's answer may change between calls (router advertisements), so
 * compare only when connmanctl said the same before and after. */
static void compare_clients(Fixture *f, const char *args)
{
	for (int tries = 0; tries < 20; tries++) {
		g_autofree char *before = ctl_ok(f, args);
		g_autofree char *ours = nfconnctl(f, args);
		g_autofree char *after = ctl_ok(f, args);

		if (g_strcmp0(before, after) != 0)
			continue;
		g_assert_cmpstr(ours, ==, before);
		return;
	}
	g_assert_not_reached();
}

static void test_queries(Fixture *f, gconstpointer data)
{
	static const char *const keys[] = {
		"Type", "Security", "State", "Favorite", "Immutable", "AutoConnect", "Name",
		"Ethernet", "IPv4", "IPv4.Configuration", "IPv6", "IPv6.Configuration",
		"Nameservers", "Nameservers.Configuration", "Timeservers",
		"Timeservers.Configuration", "Domains", "Domains.Configuration", "Proxy",
		"Proxy.Configuration", "mDNS", "mDNS.Configuration", "Provider",
	};
	g_autofree char *state = NULL, *techs = NULL, *services = NULL, *want = NULL;
	g_autofree char *one = NULL, *args = NULL, *ipv4 = NULL, *eth = NULL;
	g_autofree char *l0 = NULL, *l1 = NULL, *path = NULL;
	g_auto(GStrv) order = NULL, lines = NULL;
	g_autoptr(GVariant) addr = NULL;

	if (!f->u.lab)
		return;
	state = ctl_ok(f, "state");
	g_assert_cmpstr(state, ==, "  State = online\n  OfflineMode = False\n  SessionMode = False\n");
	techs = ctl_ok(f, "technologies");
	g_assert_cmpstr(techs, ==, "/net/connman/technology/ethernet\n"
			"  Name = Wired\n"
			"  Type = ethernet\n"
			"  Powered = True\n"
			"  Connected = True\n"
			"  Tethering = False\n"
			"  TetheringFreq = 2412\n");

	/* both wired services online, in the daemon's order */
	order = service_order(f);
	g_assert_cmpuint(g_strv_length(order), ==, 2);
	l0 = service_line("*AO", order[0]);
	l1 = service_line("*AO", order[1]);
	want = g_strdup_printf("%s\n%s\n", l0, l1);
	services = ctl_ok(f, "services");
	g_assert_cmpstr(services, ==, want);
	g_assert_true(g_str_equal(order[0], f->id[0]) || g_str_equal(order[0], f->id[1]));
	g_assert_true(g_str_equal(order[1], f->id[0]) || g_str_equal(order[1], f->id[1]));

	/* one service: its path, then every property in ConnMan's order */
	args = g_strdup_printf("services %s", f->id[0]);
	one = ctl_ok(f, args);
	lines = g_strsplit(one, "\n", -1);
	path = g_strdup_printf(SERVICE_PATH "%s", f->id[0]);
	g_assert_cmpstr(lines[0], ==, path);
	g_assert_cmpuint(g_strv_length(lines), ==, G_N_ELEMENTS(keys) + 2);
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *prefix = g_strdup_printf("  %s = ", keys[i]);

		if (!g_str_has_prefix(lines[i + 1], prefix))
			g_error("line %zu is '%s', want key %s\n%s", i + 1, lines[i + 1], keys[i], one);
	}
	g_assert_cmpstr(lines[G_N_ELEMENTS(keys) + 1], ==, "");
	g_assert_true(has_line(one, "  Type = ethernet"));
	g_assert_true(has_line(one, "  Security = [  ]"));
	g_assert_true(has_line(one, "  State = online"));
	g_assert_true(has_line(one, "  Favorite = True"));
	g_assert_true(has_line(one, "  AutoConnect = True"));
	g_assert_true(has_line(one, "  Name = Wired"));
	g_assert_true(has_line(one, "  IPv4.Configuration = [ Method=dhcp ]"));
	/* the lease's first; the router's advertised one (RDNSS) may follow */
	g_assert_nonnull(strstr(one, "\n  Nameservers = [ 198.51.100.53"));
	g_assert_true(has_line(one, "  Domains = [ one.example ]"));
	/* the leased address, as nfconnd reports it over D-Bus */
	ipv4 = dict_line(f, f->id[0], "IPv4");
	g_assert_true(has_line(one, ipv4));
	g_assert_true(g_regex_match_simple("^  IPv4 = \\[ Method=dhcp, Address=198\\.51\\.100\\."
					   "([5-9][0-9]), Netmask=255\\.255\\.255\\.128, "
					   "Gateway=198\\.51\\.100\\.1 \\]$", ipv4, 0, 0));
	eth = dict_line(f, f->id[0], "Ethernet");
	g_assert_true(has_line(one, eth));
	g_assert_true(g_regex_match_simple("^  Ethernet = \\[ Method=auto, Interface=uplink0, "
					   "Address=([0-9A-F]{2}:){5}[0-9A-F]{2}, MTU=1500 \\]$",
					   eth, 0, 0));

	/* nfconnctl prints the same bytes */
	compare_clients(f, "state");
	compare_clients(f, "technologies");
	compare_clients(f, "services");
	compare_clients(f, args);
	g_free(args);
	args = g_strdup_printf("services %s", f->id[1]);
	compare_clients(f, args);
}

static void test_config(Fixture *f, gconstpointer data)
{
	const char *id = f->id[0];
	g_autofree char *args = NULL, *out = NULL, *shown = NULL, *kernel = NULL;
	g_autofree char *ipv4 = NULL;

	if (!f->u.lab)
		return;
	/* config prints nothing on success */
	args = g_strdup_printf("config %s --ipv4 manual 198.51.100.20 255.255.255.128 198.51.100.1",
			       id);
	out = ctl_ok(f, args);
	g_assert_cmpstr(out, ==, "");
	g_free(args);
	args = g_strdup_printf("services %s", id);
	shown = ctl_poll(f, args, "  State = online\n  Favorite");
	g_assert_true(has_line(shown, "  IPv4.Configuration = [ Method=manual, Address=198.51.100.20, "
				      "Netmask=255.255.255.128, Gateway=198.51.100.1 ]"));
	g_free(shown);
	shown = ctl_poll(f, args, "  IPv4 = [ Method=manual, Address=198.51.100.20, "
				  "Netmask=255.255.255.128, Gateway=198.51.100.1 ]\n");
	kernel = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 -br addr show uplink0");
	g_assert_nonnull(strstr(kernel, " 198.51.100.20/25"));

	/* back to DHCP: a lease from uplink0's pool */
	g_free(args);
	args = g_strdup_printf("config %s --ipv4 dhcp", id);
	g_free(out);
	out = ctl_ok(f, args);
	g_assert_cmpstr(out, ==, "");
	g_free(args);
	args = g_strdup_printf("services %s", id);
	g_free(shown);
	shown = ctl_poll(f, args, "  IPv4 = [ Method=dhcp, ");
	g_assert_true(has_line(shown, "  IPv4.Configuration = [ Method=dhcp ]"));
	uplinks_wait_property(&f->u, id, "State", "online", TIMEOUT_MS);
	g_free(shown);
	shown = ctl_ok(f, args);
	ipv4 = dict_line(f, id, "IPv4");
	g_assert_true(has_line(shown, ipv4));
	g_assert_true(g_regex_match_simple("^  IPv4 = \\[ Method=dhcp, Address=198\\.51\\.100\\."
					   "([5-9][0-9]), ", ipv4, 0, 0));
	g_free(kernel);
	kernel = nfc_lab_sh_output(f->u.lab, f->u.host, "ip -4 -br addr show uplink0");
	g_assert_null(strstr(kernel, "198.51.100.20/"));

	/* configured nameservers replace the lease's */
	g_free(args);
	args = g_strdup_printf("config %s --nameservers 203.0.113.53", id);
	g_free(out);
	out = ctl_ok(f, args);
	g_assert_cmpstr(out, ==, "");
	g_free(args);
	args = g_strdup_printf("services %s", id);
	g_free(shown);
	shown = ctl_poll(f, args, "  Nameservers = [ 203.0.113.53 ]\n");
	g_assert_true(has_line(shown, "  Nameservers.Configuration = [ 203.0.113.53 ]"));

	/* what the daemon refuses, connmanctl reports */
	g_free(args);
	args = g_strdup_printf("config %s --ipv4 manual 300.1.1.1 255.255.255.128 198.51.100.1", id);
	g_free(out);
	out = ctl_err(f, args);
	g_free(shown);
	shown = g_strdup_printf("Error %s: Invalid arguments\n", id);
	g_assert_cmpstr(out, ==, shown);
}

/* The line of a service in "connmanctl services", or NULL. */
static char *listed(const char *services, const char *id)
{
	g_auto(GStrv) lines = g_strsplit(services, "\n", -1);

	for (gsize i = 0; lines[i]; i++)
		if (g_str_has_suffix(lines[i], id))
			return g_strdup(lines[i]);
	return NULL;
}

static void wait_listed(Fixture *f, const char *id, const char *flags)
{
	g_autofree char *want = service_line(flags, id);
	g_autofree char *out = ctl_poll(f, "services", want);
	g_autofree char *line = listed(out, id);

	g_assert_cmpstr(line, ==, want);
}

static void test_connect(Fixture *f, gconstpointer data)
{
	const char *id = f->id[1];
	g_autofree char *args = NULL, *out = NULL, *want = NULL, *err = NULL;
	g_autofree char *techs = NULL, *state = NULL;

	if (!f->u.lab)
		return;
	/* disconnect: idle, the state letter blank */
	args = g_strdup_printf("disconnect %s", id);
	out = ctl_ok(f, args);
	want = g_strdup_printf("Disconnected %s\n", id);
	g_assert_cmpstr(out, ==, want);
	uplinks_wait_property(&f->u, id, "State", "idle", TIMEOUT_MS);
	wait_listed(f, id, "*A ");
	/* connect: online again */
	g_free(args);
	args = g_strdup_printf("connect %s", id);
	g_free(out);
	out = ctl_ok(f, args);
	g_free(want);
	want = g_strdup_printf("Connected %s\n", id);
	g_assert_cmpstr(out, ==, want);
	wait_listed(f, id, "*AO");
	/* once more: the daemon says it already is */
	err = ctl_err(f, args);
	g_free(want);
	want = g_strdup_printf("Error " SERVICE_PATH "%s: Already connected\n", id);
	g_assert_cmpstr(err, ==, want);

	/* offline mode takes the services away and brings them back */
	g_free(out);
	out = ctl_ok(f, "enable offline");
	g_assert_cmpstr(out, ==, "Enabled offline\n");
	state = ctl_poll(f, "state", "  State = offline\n");
	g_assert_cmpstr(state, ==, "  State = offline\n  OfflineMode = True\n  SessionMode = False\n");
	g_free(out);
	out = ctl_poll(f, "services", "\n");
	g_assert_cmpstr(out, ==, "\n");
	g_free(out);
	out = ctl_ok(f, "disable offline");
	g_assert_cmpstr(out, ==, "Disable offline\n");
	uplinks_wait_services(&f->u, 2, "online", TIMEOUT_MS);
	g_free(state);
	state = ctl_ok(f, "state");
	g_assert_cmpstr(state, ==, "  State = online\n  OfflineMode = False\n  SessionMode = False\n");

	/* the technology off and on */
	g_free(out);
	out = ctl_ok(f, "disable ethernet");
	g_assert_cmpstr(out, ==, "Disable ethernet\n");
	uplinks_wait_services(&f->u, 0, "online", TIMEOUT_MS);
	g_free(out);
	out = ctl_ok(f, "services");
	g_assert_cmpstr(out, ==, "\n");
	techs = ctl_ok(f, "technologies");
	g_assert_nonnull(strstr(techs, "  Powered = False\n  Connected = False\n"));
	g_free(err);
	err = ctl_err(f, "disable ethernet");
	g_assert_cmpstr(err, ==, "ethernet is already disabled\n");
	g_free(out);
	out = ctl_ok(f, "enable ethernet");
	g_assert_cmpstr(out, ==, "Enabled ethernet\n");
	wait_listed(f, f->id[0], "*AO");
	wait_listed(f, f->id[1], "*AO");
	g_free(err);
	err = ctl_err(f, "enable ethernet");
	g_assert_cmpstr(err, ==, "ethernet is already enabled\n");
}

/* What connmanctl prints for a path nfconnd does not have: the daemon
 * answers UnknownObject, as ConnMan does, so connmanctl either says
 * "<x> is not available" or shows the message after its usual prefix. */
static void check_unknown(Fixture *f, const char *args, const char *prefix)
{
	g_autofree char *err = ctl_err(f, args);

	g_test_message("connmanctl %s: %s", args, err);
	g_assert_true(g_str_has_prefix(err, prefix));
	g_assert_true(g_str_has_suffix(err, "\n"));
	g_assert_cmpuint(strlen(err), >, strlen(prefix) + 1);
	/* one line */
	g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
}

static void test_errors(Fixture *f, gconstpointer data)
{
	g_autofree char *out = NULL;

	if (!f->u.lab)
		return;
	check_unknown(f, "connect nosuch_id", "Error " SERVICE_PATH "nosuch_id: ");
	check_unknown(f, "disconnect nosuch_id", "Error " SERVICE_PATH "nosuch_id: ");
	check_unknown(f, "services nosuch_id", "Error nosuch_id: ");
	check_unknown(f, "config nosuch_id --ipv4 dhcp", "Error nosuch_id: ");
	{
		g_autofree char *e1 = ctl_err(f, "enable wifi");
		g_autofree char *e2 = ctl_err(f, "disable wifi");

		g_assert_cmpstr(e1, ==, "wifi is not available\n");
		g_assert_cmpstr(e2, ==, "wifi is not available\n");
	}
	{
		g_autofree char *err = ctl_err(f, "connect nosuch_id");

		g_assert_cmpstr(err, ==, "Error " SERVICE_PATH "nosuch_id: No such object path '"
					 SERVICE_PATH "nosuch_id'\n");
	}
	/* nothing changed */
	uplinks_wait_services(&f->u, 2, "online", 100);
	out = ctl_ok(f, "state");
	g_assert_cmpstr(out, ==, "  State = online\n  OfflineMode = False\n  SessionMode = False\n");
}

/* Background connmanctl: "env BUS stdbuf -oL connmanctl ARGS...", so its
 * PID is connmanctl's own and its output reaches the log line by line. */
static GPid spawn_connmanctl(Fixture *f, const char *name, const char *args)
{
	g_autofree char *env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s",
					       nfc_lab_bus_address(f->u.lab));
	g_auto(GStrv) words = g_strsplit(args, " ", -1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_ptr_array_add(argv, "env");
	g_ptr_array_add(argv, env);
	g_ptr_array_add(argv, "stdbuf");
	g_ptr_array_add(argv, "-oL");
	g_ptr_array_add(argv, "connmanctl");
	for (gsize i = 0; words[i]; i++)
		g_ptr_array_add(argv, words[i]);
	g_ptr_array_add(argv, NULL);
	return nfc_lab_spawn(f->u.lab, f->u.host, name, (const char *const *)argv->pdata);
}

/* Waits until log name, from offset on, contains want; returns that part
 * of the log. */
static char *wait_log(Fixture *f, const char *name, gsize offset, const char *want)
{
	g_autofree char *log = NULL;

	nfc_lab_wait_log(f->u.lab, name, offset, want, TIMEOUT_MS);
	log = nfc_lab_log(f->u.lab, name);
	return g_strdup(log + offset);
}

static void send_line(int fd, const char *line)
{
	g_autofree char *text = g_strconcat(line, "\n", NULL);

	g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize)strlen(text));
}

static void stop(Fixture *f, GPid pid)
{
	int status = nfc_lab_stop(f->u.lab, pid, SIGTERM, 5000, NULL);

	/* connmanctl ends on SIGTERM by the signal or a clean exit */
	g_assert_true(WIFSIGNALED(status) || WIFEXITED(status));
}

typedef struct {
	Fixture *f;
	const char *want;
} MonitorWait;

static gboolean both_monitors_show(gpointer data)
{
	MonitorWait *w = data;
	g_autofree char *a = nfc_lab_log(w->f->u.lab, "monitor-all");
	g_autofree char *s = nfc_lab_log(w->f->u.lab, "monitor-services");

	return strstr(a, w->want) && strstr(s, w->want);
}

static void test_monitor(Fixture *f, gconstpointer data)
{
	const char *id0 = f->id[0];
	g_autofree char *removed = NULL, *state_line = NULL, *log_all = NULL, *log_svc = NULL;
	g_autofree char *prefix = NULL;
	GPid all, svc;
	gsize off_all, off_svc;
	bool seen = false;

	if (!f->u.lab)
		return;
	all = spawn_connmanctl(f, "monitor-all", "monitor");
	svc = spawn_connmanctl(f, "monitor-services", "monitor services");
	/* a monitor subscribes asynchronously: change a harmless setting
	 * until both show it */
	for (int i = 0; i < 100 && !seen; i++) {
		g_autofree char *args = g_strdup_printf("config %s --timeservers 203.0.113.%d",
							f->id[1], 100 + i);
		g_autofree char *out = ctl_ok(f, args);
		g_autofree char *want = g_strdup_printf("Timeservers.Configuration = [ 203.0.113.%d ]",
							100 + i);

		/* shown at once by a monitor that listens; never by one that
		 * did not yet: then change it again */
		seen = nfc_lab_wait_for(both_monitors_show, &(MonitorWait){ f, want }, 100);
	}
	g_assert_true(seen);
	off_all = nfc_lab_log_size(f->u.lab, "monitor-all");
	off_svc = nfc_lab_log_size(f->u.lab, "monitor-services");

	/* carrier cut on uplink0: the service goes idle and is removed */
	uplinks_set_carrier(&f->u, 0, false);
	state_line = g_strdup_printf("Service      %s State = idle\n", id0);
	log_svc = wait_log(f, "monitor-services", off_svc, state_line);
	removed = g_strdup_printf("\nremoved                  " SERVICE_PATH "%s\n}\n", id0);
	log_all = wait_log(f, "monitor-all", off_all, removed);
	g_assert_nonnull(strstr(log_all, state_line));
	g_assert_nonnull(strstr(log_all, "Manager      ServicesChanged      = {\n"));
	/* the manager's view: offline never, the other uplink stays */
	g_assert_null(strstr(log_all, "Manager                           State = offline"));
	/* "monitor services" shows only Service signals */
	{
		g_auto(GStrv) lines = g_strsplit(log_svc, "\n", -1);

		for (gsize i = 0; lines[i]; i++)
			if (*lines[i])
				g_assert_true(g_str_has_prefix(lines[i], "Service      ethernet_"));
	}

	/* carrier back: a ServicesChanged that lists the service again */
	off_all = nfc_lab_log_size(f->u.lab, "monitor-all");
	uplinks_set_carrier(&f->u, 0, true);
	/* (listed with its dict, as a services line; whatever its state
	 * when the coalesced signal left) */
	prefix = g_strdup_printf(" Wired                %s\n", id0);
	g_free(log_all);
	log_all = wait_log(f, "monitor-all", off_all, prefix);
	g_assert_nonnull(strstr(log_all, "Manager      ServicesChanged      = {\n"));
	g_assert_true(strstr(log_all, "Manager      ServicesChanged      = {\n") < strstr(log_all, prefix));
	g_free(state_line);
	state_line = g_strdup_printf("Service      %s State = online\n", id0);
	g_free(log_all);
	log_all = wait_log(f, "monitor-all", off_all, state_line);
	stop(f, all);
	stop(f, svc);
}

typedef struct {
	char *created;   /* the "Session ... created" line */
	char *update;    /* the first Update block, without its braces */
	char *path;      /* the session's object path */
} SessionLog;

static void session_log_clear(SessionLog *s)
{
	g_free(s->created);
	g_free(s->update);
	g_free(s->path);
}

/* Checks the start of a "connmanctl session ..." log: the created line
 * with the session path (owner's bus name, notifier path with the PID),
 * then an Update block with all keys in ConnMan's order. */
static void check_session_start(Fixture *f, const char *name, GPid pid, SessionLog *s)
{
	static const char *const keys[] = {
		"State", "Name", "Bearer", "Interface", "IPv4", "IPv6", "ConnectionType",
		"AllowedBearers", "AllowedInterface", "ContextIdentifier", "SourceIPRule",
	};
	g_autofree char *log = wait_log(f, name, 0, "\n}\n");
	g_autofree char *pattern = g_strdup_printf("^Session (/sessions/_[0-9]+_[0-9]+"
						   "/net/connman/connmanctl%d) created$", pid);
	g_autoptr(GRegex) re = g_regex_new(pattern, 0, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	g_auto(GStrv) lines = g_strsplit(log, "\n", -1);

	g_test_message("%s:\n%s", name, log);
	g_assert_true(g_regex_match(re, lines[0], 0, &m));
	s->created = g_strdup(lines[0]);
	s->path = g_match_info_fetch(m, 1);
	g_assert_cmpstr(lines[1], ==, "Session      Update               = {");
	g_assert_cmpuint(g_strv_length(lines), >=, G_N_ELEMENTS(keys) + 3);
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *prefix = g_strdup_printf("%s = ", keys[i]);

		if (!g_str_has_prefix(lines[i + 2], prefix))
			g_error("%s: line %zu is '%s', want key %s\n%s", name, i + 2, lines[i + 2],
				keys[i], log);
	}
	g_assert_cmpstr(lines[G_N_ELEMENTS(keys) + 2], ==, "}");
	{
		g_autofree char *block = g_strjoinv("\n", lines + 2);

		*strstr(block, "\n}") = '\0';
		s->update = g_strconcat(block, "\n", NULL);
	}
}

/* The IPv4 line of an Update for the service on uplink i. */
static char *session_ipv4(Fixture *f, int i)
{
	g_autofree char *line = dict_line(f, f->id[i], "IPv4");

	return g_strdup(line + 2);
}

static int interface_index(const char *update)
{
	if (strstr(update, "\nInterface = uplink0\n"))
		return 0;
	if (strstr(update, "\nInterface = uplink1\n"))
		return 1;
	g_error("no uplink in:\n%s", update);
}

static void test_session(Fixture *f, gconstpointer data)
{
	SessionLog s = { 0 };
	g_autofree char *connected = NULL, *log = NULL, *want = NULL, *ipv4 = NULL;
	g_autofree char *other = NULL;
	GPid pid;
	gsize offset;
	int i;

	if (!f->u.lab)
		return;
	pid = spawn_connmanctl(f, "session", "session on bearers ethernet");
	check_session_start(f, "session", pid, &s);
	connected = g_strdup_printf("Session %s connected\n", s.path);
	log = wait_log(f, "session", 0, connected);
	/* the first Update: every key, the values the daemon has */
	g_assert_true(g_str_has_prefix(s.update, "State = online\nName = Wired\n"
					       "Bearer = ethernet\nInterface = uplink"));
	i = interface_index(s.update);
	ipv4 = session_ipv4(f, i);
	g_assert_true(has_line(s.update, ipv4));
	g_assert_true(g_str_has_prefix(strstr(s.update, "\nIPv6 = "), "\nIPv6 = ["));
	g_assert_true(g_str_has_suffix(s.update, "ConnectionType = any\n"
					      "AllowedBearers = [ ethernet ]\n"
					      "AllowedInterface = *\n"
					      "ContextIdentifier = \n"
					      "SourceIPRule = False\n"));
	/* "connected" follows the first Update */
	g_assert_true(g_str_has_prefix(strstr(log, "\n}\n") + 3, connected));

	/* the session's uplink loses its carrier: an Update moves it over */
	uplinks_set_carrier(&f->u, i, false);
	other = g_strdup_printf("\nInterface = uplink%d\n", 1 - i);
	offset = strstr(log, connected) - log + strlen(connected);
	g_free(log);
	log = wait_log(f, "session", offset, other);
	g_assert_null(strstr(log, "disconnected"));
	{
		g_autofree char *ipv4_other = session_ipv4(f, 1 - i);

		g_free(log);
		log = wait_log(f, "session", 0, ipv4_other);
	}
	stop(f, pid);
	session_log_clear(&s);
}

/* nfconnctl's session command prints what connmanctl prints, on the same
 * daemon: the created line (with its own notifier path), the Update block
 * and the connected line. */
static void test_nfconnctl_session(Fixture *f, gconstpointer data)
{
	g_autofree char *env = NULL;
	g_autofree char *theirs = NULL, *ours = NULL;
	const char *block_theirs, *block_ours;
	GPid p_theirs, p_ours;

	if (!f->u.lab)
		return;
	env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", nfc_lab_bus_address(f->u.lab));
	p_theirs = spawn_connmanctl(f, "theirs", "session on bearers ethernet");
	{
		/* no stdbuf: nfconnctl flushes each line itself (and stdbuf's
		 * preload would not sit well with a sanitizer build) */
		const char *argv[] = { "env", env, CTL, "session", "on", "bearers", "ethernet", NULL };

		p_ours = nfc_lab_spawn(f->u.lab, f->u.host, "ours", argv);
	}
	theirs = wait_log(f, "theirs", 0, " connected\n");
	ours = wait_log(f, "ours", 0, " connected\n");
	g_test_message("connmanctl:\n%s\nnfconnctl:\n%s", theirs, ours);
	g_assert_true(g_str_has_prefix(ours, "Session /sessions/"));
	g_assert_nonnull(strstr(ours, "/net/connman/nfconnctl"));
	/* from the Update on, the same bytes */
	block_theirs = strstr(theirs, "Session      Update");
	block_ours = strstr(ours, "Session      Update");
	g_assert_nonnull(block_theirs);
	g_assert_nonnull(block_ours);
	{
		g_autofree char *t = g_strndup(block_theirs, strstr(block_theirs, "\n}\n") - block_theirs);
		g_autofree char *o = g_strndup(block_ours, strstr(block_ours, "\n}\n") - block_ours);

		g_assert_cmpstr(o, ==, t);
	}
	stop(f, p_theirs);
	stop(f, p_ours);
}

/* One-shot session commands with other settings, side by side. The
 * default bearers ("*") are reported expanded, as ConnMan does. */
static void test_session_settings(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *name, *args, *start, *end;
	} runs[] = {
		{ "connect", "session connect bearers ethernet",
		  "State = online\nName = Wired\nBearer = ethernet\nInterface = uplink",
		  "ConnectionType = any\nAllowedBearers = [ ethernet ]\nAllowedInterface = *\n" },
		{ "internet", "session on type internet",
		  "State = online\nName = Wired\nBearer = ethernet\nInterface = uplink",
		  "ConnectionType = internet\nAllowedBearers = " ALL_BEARERS "\nAllowedInterface = *\n" },
		{ "ifname", "session on ifname uplink1",
		  "State = online\nName = Wired\nBearer = ethernet\nInterface = uplink1\n",
		  "ConnectionType = any\nAllowedBearers = " ALL_BEARERS "\nAllowedInterface = uplink1\n" },
		{ "wifi", "session on bearers wifi",
		  "State = disconnected\nName = \nBearer = \nInterface = \nIPv4 = [  ]\n"
		  "IPv6 = [  ]\n",
		  "ConnectionType = any\nAllowedBearers = [ wifi ]\nAllowedInterface = *\n" },
	};
	GPid pids[G_N_ELEMENTS(runs)];

	if (!f->u.lab)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(runs); i++)
		pids[i] = spawn_connmanctl(f, runs[i].name, runs[i].args);
	for (gsize i = 0; i < G_N_ELEMENTS(runs); i++) {
		SessionLog s = { 0 };
		g_autofree char *connected = NULL, *log = NULL, *tail = NULL;

		check_session_start(f, runs[i].name, pids[i], &s);
		tail = g_strconcat(runs[i].end, "ContextIdentifier = \nSourceIPRule = False\n", NULL);
		if (!g_str_has_prefix(s.update, runs[i].start) || !g_str_has_suffix(s.update, tail))
			g_error("%s: unexpected Update:\n%s", runs[i].name, s.update);
		connected = g_strdup_printf("Session %s connected\n", s.path);
		if (g_str_has_prefix(runs[i].start, "State = online")) {
			g_free(log);
			log = wait_log(f, runs[i].name, 0, connected);
			g_assert_cmpuint(interface_index(s.update), <=, 1);
		} else {
			g_free(log);
			log = nfc_lab_log(f->u.lab, runs[i].name);
			g_assert_null(strstr(log, connected));
		}
		session_log_clear(&s);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(runs); i++)
		stop(f, pids[i]);
}

/* The Update block in text (from a pty: without the CRs) that has the
 * line want, without its braces, with a leading newline. */
static char *update_block_with(const char *text, const char *want)
{
	g_auto(GStrv) parts = g_strsplit(text, "\r", -1);
	g_autofree char *clean = g_strjoinv("", parts);
	const char *head = "Session      Update               = {";
	const char *p = clean;

	while ((p = strstr(p, head))) {
		const char *start = p + strlen(head);
		const char *end = strstr(start, "\n}");
		g_autofree char *block = NULL;

		g_assert_nonnull(end);
		block = g_strndup(start, end - start + 1);
		if (has_line(block, want))
			return g_steal_pointer(&block);
		p = end;
	}
	g_error("no Update with '%s' in:\n%s", want, clean);
}

/* Interactive mode: connmanctl reads commands only from a terminal, so it
 * runs under script(1), which gives it a pty and passes on what the test
 * writes into a FIFO. One session, changed with "session config". */
static void test_session_interactive(Fixture *f, gconstpointer data)
{
	g_autofree char *fifo = g_strdup_printf("%s/interactive.in", nfc_lab_dir(f->u.lab));
	g_autofree char *inner = NULL, *outer = NULL, *log = NULL;
	const char *argv[] = { "sh", "-c", NULL, NULL };
	gsize offset;
	GPid pid;
	int fd, i;

	if (!f->u.lab)
		return;
	if (!g_file_test("/usr/bin/script", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("script(1) is not installed");
		return;
	}
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	/* read-write: opening never blocks, and the reader never sees EOF
	 * until the test closes it */
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	inner = g_strdup_printf("env DBUS_SYSTEM_BUS_ADDRESS=%s TERM=dumb connmanctl",
				nfc_lab_bus_address(f->u.lab));
	outer = g_strdup_printf("exec script -qfec '%s' /dev/null <%s", inner, fifo);
	argv[2] = outer;
	pid = nfc_lab_spawn(f->u.lab, f->u.host, "interactive", argv);

	send_line(fd, "session on bearers ethernet");
	log = wait_log(f, "interactive", 0, "SourceIPRule = False");
	{
		g_autofree char *first = update_block_with(log, "AllowedInterface = *");

		i = interface_index(first);
	}
	/* pinned to the other uplink: it moves there; back: it returns */
	for (int round = 0; round < 2; round++) {
		int to = round == 0 ? 1 - i : i;
		g_autofree char *cmd = g_strdup_printf("session config ifname uplink%d", to);
		g_autofree char *setting = g_strdup_printf("AllowedInterface = uplink%d", to);
		g_autofree char *iface = g_strdup_printf("Interface = uplink%d", to);
		g_autofree char *ipv4 = session_ipv4(f, to);
		g_autofree char *block = NULL;

		offset = nfc_lab_log_size(f->u.lab, "interactive");
		send_line(fd, cmd);
		g_free(log);
		log = wait_log(f, "interactive", offset, setting);
		g_free(log);
		log = wait_log(f, "interactive", offset, "\n}");
		/* only what changed: the interface, its addresses, the setting */
		block = update_block_with(log, setting);
		g_test_message("%s:\n%s", cmd, block);
		g_assert_true(has_line(block, iface));
		g_assert_true(has_line(block, ipv4));
		g_assert_null(strstr(block, "State = "));
		g_assert_null(strstr(block, "ConnectionType = "));
		g_assert_null(strstr(block, "AllowedBearers = "));
	}
	offset = nfc_lab_log_size(f->u.lab, "interactive");
	send_line(fd, "session off");
	g_free(log);
	log = wait_log(f, "interactive", offset, " ended");
	g_assert_true(g_regex_match_simple("Session /sessions/_[0-9]+_[0-9]+/net/connman/"
					   "connmanctl[0-9]+ ended", log, 0, 0));
	send_line(fd, "exit");
	close(fd);
	stop(f, pid);
	g_free(log);
	log = nfc_lab_log(f->u.lab, "interactive");
	g_test_message("%s", log);
}

/* A port to lend (lan0, a client namespace behind it) and nfconnd allowed
 * to tether ethernet on it. */
static gboolean lan_listed(gpointer data)
{
	Fixture *f = data;

	return uplinks_has_service(&f->u, "lan0");
}

static void setup_tether(Fixture *f, gconstpointer data)
{
	if (!g_file_test("/usr/bin/connmanctl", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("connmanctl is not installed");
		return;
	}
	uplinks_setup(&f->u, "TetheringTechnologies=ethernet\nTetheringInterfaces=lan*");
	/* the tether's dnsmasq runs as nobody: its files are under the lab's */
	nfc_lab_sh(f->u.lab, NULL, "chmod 755 %s", nfc_lab_dir(f->u.lab));
	uplinks_add_client(&f->u, 0);
	uplinks_start_nfconnd(&f->u);
	for (int i = 0; i < 2; i++)
		f->id[i] = uplinks_service_id(&f->u, i);
	uplinks_wait_ipv4_leases(&f->u);
	g_assert_true(nfc_lab_wait_for(lan_listed, f, TIMEOUT_MS));
}

/* connmanctl tether ethernet on|off: the answer comes when it is done,
 * so the bridge is there (and gone) when connmanctl has printed it */
static void test_tether(Fixture *f, gconstpointer data)
{
	g_autofree char *on = NULL, *again = NULL, *techs = NULL, *off = NULL, *services = NULL;
	g_autofree char *lan = NULL;

	if (!f->u.lab)
		return;
	lan = uplinks_port_service_id(&f->u, "lan0");
	services = ctl_ok(f, "services");
	g_assert_nonnull(strstr(services, lan));

	on = ctl_ok(f, "tether ethernet on");
	g_assert_cmpstr(on, ==, "Enabled tethering for ethernet\n");
	nfc_lab_sh(f->u.lab, f->u.host, "ip link show dev tether | grep -q 'state UP'");
	nfc_lab_sh(f->u.lab, f->u.host, "ip -o link show master tether | grep -q ' lan0@'");
	techs = ctl_ok(f, "technologies");
	g_assert_nonnull(strstr(techs, "  Type = ethernet\n"));
	g_assert_nonnull(strstr(techs, "  Tethering = True\n"));
	g_free(services);
	services = ctl_ok(f, "services");
	g_assert_null(strstr(services, lan));

	again = ctl_err(f, "tether ethernet on");
	/* connmanctl prints the daemon's message (AlreadyEnabled's name is
	 * checked in test-tether) */
	g_assert_true(g_str_has_prefix(again, "Error enabling ethernet tethering: "));

	off = ctl_ok(f, "tether ethernet off");
	g_assert_cmpstr(off, ==, "Disabled tethering for ethernet\n");
	nfc_lab_sh(f->u.lab, f->u.host, "! ip link show dev tether 2>/dev/null");
	g_free(techs);
	techs = ctl_ok(f, "technologies");
	g_assert_nonnull(strstr(techs, "  Tethering = False\n"));
	g_free(ctl_poll(f, "services", lan));
}

/* connmanctl clock: every Clock property nfconnd reports, in connmanctl's
 * words (Time may tick between the two reads: within a few seconds). */
static void test_clock(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL, props = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	GVariantIter iter;
	const char *key;
	GVariant *value;
	guint64 time_dbus = 0, time_shown = 0;
	guint n = 0;

	if (!f->u.lab)
		return;
	reply = nfc_lab_call(f->u.lab, "/", "net.connman.Clock", "GetProperties", NULL, &error);
	g_assert_no_error(error);
	props = g_variant_get_child_value(reply, 0);
	out = ctl_ok(f, "clock");
	lines = g_strsplit(out, "\n", -1);
	g_variant_iter_init(&iter, props);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autofree char *want = NULL;

		if (g_str_equal(key, "Time")) {
			g_autofree char *prefix = g_strdup_printf("  %s = ", key);

			time_dbus = g_variant_get_uint64(value);
			for (gsize i = 0; lines[i]; i++)
				if (g_str_has_prefix(lines[i], prefix))
					time_shown = g_ascii_strtoull(lines[i] + strlen(prefix), NULL, 10);
		} else if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
			want = g_strdup_printf("  %s = %s", key, g_variant_get_string(value, NULL));
		} else if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN)) {
			want = g_strdup_printf("  %s = %s", key,
					       g_variant_get_boolean(value) ? "True" : "False");
		} else if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY)) {
			g_autofree const char **list = g_variant_get_strv(value, NULL);
			g_autofree char *joined = g_strjoinv(", ", (char **)list);

			want = g_strdup_printf("  %s = [ %s ]", key, *joined ? joined : "");
		} else {
			g_error("Clock property %s has type %s", key, g_variant_get_type_string(value));
		}
		if (want && !has_line(out, want))
			g_error("connmanctl clock lacks '%s':\n%s", want, out);
		g_variant_unref(value);
		n++;
	}
	/* the properties ConnMan has, and nothing else shown */
	g_assert_cmpuint(n, >=, 6);
	g_assert_cmpuint(g_strv_length(lines), ==, n + 1);
	g_assert_cmpuint(time_dbus, >, 0);
	g_assert_cmpuint(time_shown, >=, time_dbus);
	g_assert_cmpuint(time_shown, <=, time_dbus + 10);
	g_assert_true(has_line(out, "  TimeUpdates = auto"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/compat/queries", test_queries);
	ADD("/compat/config", test_config);
	ADD("/compat/connect", test_connect);
	ADD("/compat/errors", test_errors);
	ADD("/compat/monitor", test_monitor);
	ADD("/compat/session", test_session);
	ADD("/compat/session-settings", test_session_settings);
	ADD("/compat/nfconnctl-session", test_nfconnctl_session);
	ADD("/compat/session-interactive", test_session_interactive);
	ADD("/compat/clock", test_clock);
	g_test_add("/compat/tether", Fixture, NULL, setup_tether, test_tether, teardown);
	return g_test_run();
}
