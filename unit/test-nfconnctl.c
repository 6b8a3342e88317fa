// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: nfconnctl against nfconnd on a private bus (state, offline
 * mode, lists, monitor, error texts and exit statuses), and against
 * Debian's connmand in a lab namespace, where its output must equal
 * connmanctl's byte for byte. The commands that came with connmanctl's
 * full set (peers, tethering_clients, scan, vpnconnections, clock, agent)
 * run against nfconnd with two uplinks; the agent also against the test
 * itself as the daemon, since nfconnd never needs input for a wire. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uplinks.h"

#define CTL NFC_BUILD_ROOT "/client/nfconnctl"

typedef struct {
	NfcLab *lab;
	const char *ns;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	f->lab = nfc_lab_new();
	f->ns = nfc_lab_add_netns(f->lab, "host");
	nfc_lab_start_nfconnd(f->lab, f->ns, NULL);
}

static void setup_bare(Fixture *f, gconstpointer data)
{
	f->lab = nfc_lab_new();
	f->ns = nfc_lab_add_netns(f->lab, "host");
}

static void teardown(Fixture *f, gconstpointer data)
{
	nfc_lab_free(f->lab);
}

/* Runs "nfconnctl --bus ADDR ARGS" (the shell splits ARGS); returns its
 * exit status with stdout in *out and stderr in *err. */
static int run(Fixture *f, char **out, char **err, const char *args)
{
	g_autofree char *o = NULL, *e = NULL;
	int status;

	status = nfc_lab_sh_capture(f->lab, f->ns, &o, &e, CTL " --bus %s %s </dev/null",
				    nfc_lab_bus_address(f->lab), args);
	if (out)
		*out = g_steal_pointer(&o);
	if (err)
		*err = g_steal_pointer(&e);
	return status;
}

static char *run_ok(Fixture *f, const char *args)
{
	g_autofree char *err = NULL;
	char *out = NULL;
	int status = run(f, &out, &err, args);

	if (status != 0)
		g_test_message("nfconnctl %s: %s", args, err);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(err, ==, "");
	return out;
}

/* Debian's connmanctl on the same bus. */
static char *connmanctl(Fixture *f, const char *args)
{
	return nfc_lab_sh_output(f->lab, f->ns, "DBUS_SYSTEM_BUS_ADDRESS=%s connmanctl %s </dev/null",
				 nfc_lab_bus_address(f->lab), args);
}

static void test_state(Fixture *f, gconstpointer data)
{
	g_autofree char *plain = run_ok(f, "state");
	g_autofree char *json = run_ok(f, "--json state");
	g_autofree char *json2 = run_ok(f, "state --json");
	g_autofree char *reference = connmanctl(f, "state");
	g_autofree char *via_env = NULL;

	g_assert_cmpstr(plain, ==, "  State = idle\n  OfflineMode = False\n  SessionMode = False\n");
	g_assert_cmpstr(plain, ==, reference);
	g_assert_cmpstr(json, ==, "{\"State\":\"idle\",\"OfflineMode\":false,\"SessionMode\":false}\n");
	g_assert_cmpstr(json2, ==, json);

	/* without --bus: the system bus, which DBUS_SYSTEM_BUS_ADDRESS names */
	via_env = nfc_lab_sh_output(f->lab, f->ns, "DBUS_SYSTEM_BUS_ADDRESS=%s " CTL " state",
				    nfc_lab_bus_address(f->lab));
	g_assert_cmpstr(via_env, ==, plain);
}

static void test_offline(Fixture *f, gconstpointer data)
{
	g_autofree char *on = run_ok(f, "enable offline");
	g_autofree char *state = run_ok(f, "state");
	g_autofree char *json = run_ok(f, "--json state");
	g_autofree char *off = run_ok(f, "disable offline");
	g_autofree char *state2 = run_ok(f, "state");
	g_autofree char *ref_on = connmanctl(f, "enable offline");
	g_autofree char *ref_off = connmanctl(f, "disable offline");
	g_autofree char *quiet = run_ok(f, "--json enable offline");
	g_autofree char *state3 = run_ok(f, "state");

	g_assert_cmpstr(on, ==, "Enabled offline\n");
	g_assert_cmpstr(on, ==, ref_on);
	g_assert_cmpstr(state, ==, "  State = offline\n  OfflineMode = True\n  SessionMode = False\n");
	g_assert_cmpstr(json, ==, "{\"State\":\"offline\",\"OfflineMode\":true,\"SessionMode\":false}\n");
	g_assert_cmpstr(off, ==, "Disable offline\n");
	g_assert_cmpstr(off, ==, ref_off);
	g_assert_cmpstr(state2, ==, "  State = idle\n  OfflineMode = False\n  SessionMode = False\n");
	/* --json: actions print nothing, the exit status tells */
	g_assert_cmpstr(quiet, ==, "");
	g_assert_nonnull(strstr(state3, "OfflineMode = True"));
}

static void test_empty_lists(Fixture *f, gconstpointer data)
{
	g_autofree char *techs = run_ok(f, "technologies");
	g_autofree char *services = run_ok(f, "services");
	g_autofree char *ref_techs = connmanctl(f, "technologies");
	g_autofree char *ref_services = connmanctl(f, "services");
	g_autofree char *jtechs = run_ok(f, "--json technologies");
	g_autofree char *jservices = run_ok(f, "--json services");

	g_assert_cmpstr(techs, ==, ref_techs);
	g_assert_cmpstr(services, ==, ref_services);
	g_assert_cmpstr(techs, ==, "");
	g_assert_cmpstr(jtechs, ==, "{\"technologies\":[]}\n");
	g_assert_cmpstr(jservices, ==, "{\"services\":[]}\n");
}

static void expect_error(Fixture *f, const char *args, int want_status, const char *want_err)
{
	g_autofree char *out = NULL, *err = NULL;
	int status = run(f, &out, &err, args);

	g_test_message("nfconnctl %s -> %d: %s", args, status, err);
	g_assert_cmpint(status, ==, want_status);
	g_assert_cmpstr(err, ==, want_err);
	g_assert_cmpstr(out, ==, "");
}

static void test_errors(Fixture *f, gconstpointer data)
{
	g_autofree char *out = NULL, *err = NULL;
	int status;

	/* the daemon's errors, in words */
	expect_error(f, "services nosuch_id", 1,
		     "Error services: Service nosuch_id is not available\n");
	expect_error(f, "--json services nosuch_id", 1,
		     "Error services: Service nosuch_id is not available\n");
	expect_error(f, "connect nosuch_id", 1,
		     "Error /net/connman/service/nosuch_id: Service nosuch_id is not available\n");
	expect_error(f, "enable ethernet", 1, "Error ethernet: ethernet is not available\n");
	expect_error(f, "tether ethernet on", 1,
		     "Error enabling ethernet tethering: ethernet is not available\n");

	/* our extensions: answered by this nfconnd ... */
	{
		g_autofree char *explain = run_ok(f, "explain uid 0");
		g_autofree char *counters = run_ok(f, "--json counters");

		g_assert_nonnull(strstr(explain, "Steered = False"));
		g_assert_nonnull(strstr(explain, "no session for uid 0"));
		/* which firewall backend does the steering */
		g_assert_nonnull(strstr(explain, "FirewallBackend = nftables"));
		g_assert_cmpstr(counters, ==, "{\"counters\":[]}\n");
	}
	/* tethering off: its status says so, its clients are an error */
	{
		g_autofree char *tstatus = run_ok(f, "tether");
		g_autofree char *jstatus = run_ok(f, "--json tether status");

		g_assert_nonnull(strstr(tstatus, "  Enabled = False\n"));
		g_assert_nonnull(strstr(jstatus, "\"Enabled\":false"));
		g_assert_nonnull(strstr(jstatus, "\"Ports\":[]"));
	}
	expect_error(f, "tether clients", 1, "Error tether clients: Tethering is off\n");
	/* ... but not by an object that lacks them (as an older nfconnd) */
	expect_error(f, "session stats /", 3, "Error session stats: not supported by this nfconnd\n");

	/* usage errors */
	expect_error(f, "bogus", 2, "Error 'bogus': Unknown command\n");
	expect_error(f, "services bad-id", 2, "Error 'services': Invalid argument\n");
	expect_error(f, "connect 'a b'", 2, "Error 'connect': Invalid argument\n");
	expect_error(f, "enable", 2, "Error 'enable': Missing argument\n");
	expect_error(f, "state extra", 2, "Error 'state': Argument list too long\n");
	expect_error(f, "explain pid 1", 2, "Error 'explain': Invalid argument\n");
	expect_error(f, "tether ethernet maybe", 2, "Error 'tether': Invalid argument\n");
	expect_error(f, "config x_1 --ipv4 manual 300.1.1.1", 2,
		     "Error 'config': '300.1.1.1' is not an IPv4 address\n");
	expect_error(f, "config x_1 --colour blue", 2, "Error 'config': unknown option '--colour'\n");
	expect_error(f, "monitor everything", 2, "Error 'monitor': Invalid argument\n");
	expect_error(f, "--frobnicate state", 2,
		     "Error '--frobnicate': Unknown option\n"
		     "Usage: nfconnctl [--json] [--bus ADDRESS] [COMMAND [ARGS...]]\n"
		     "Without a command: an interactive prompt on a terminal, else one command\n"
		     "per line from stdin. 'nfconnctl help' lists the commands.\n");

	/* commands from a pipe: no prompt, every command runs, a failure
	 * makes the status */
	status = nfc_lab_sh_status(f->lab, f->ns, &out,
				   "printf 'state\\nbogus\\nservices\\n' | " CTL " --bus %s 2>&1",
				   nfc_lab_bus_address(f->lab));
	g_assert_cmpint(status, ==, 2);
	g_assert_cmpstr(out, ==, "  State = idle\n  OfflineMode = False\n  SessionMode = False\n"
			"Error 'bogus': Unknown command\n\n");

	/* no daemon on the bus */
	status = nfc_lab_sh_status(f->lab, f->ns, &err, CTL " --bus unix:path=%s/nobus state 2>&1",
				   nfc_lab_dir(f->lab));
	g_assert_cmpint(status, ==, 1);
	g_assert_true(g_str_has_prefix(err, "Error bus: cannot connect"));
}

typedef struct {
	NfcLab *lab;
	const char *log;
	const char *needle;
} LogWait;

static gboolean log_contains(gpointer data)
{
	LogWait *w = data;
	g_autofree char *log = nfc_lab_log(w->lab, w->log);

	return strstr(log, w->needle) != NULL;
}

/* Toggles OfflineMode until every monitor has shown it (a monitor
 * subscribes asynchronously after it starts), then leaves it off. */
static void toggle_until_seen(Fixture *f, const char *const *logs, const char *needle)
{
	gboolean seen = FALSE;

	for (int tries = 0; tries < 50 && !seen; tries++) {
		g_autofree char *o1 = run_ok(f, "enable offline");
		g_autofree char *o2 = run_ok(f, "disable offline");

		seen = TRUE;
		for (gsize i = 0; logs[i]; i++) {
			LogWait w = { f->lab, logs[i], needle };

			seen = seen && nfc_lab_wait_for(log_contains, &w, 200);
		}
	}
	for (gsize i = 0; !seen && logs[i]; i++) {
		g_autofree char *log = nfc_lab_log(f->lab, logs[i]);

		g_test_message("%s: %s", logs[i], log);
	}
	g_assert_true(seen);
}

typedef struct {
	NfcLab *lab;
	const char *log;
	const char *round;
} RoundsWait;

/* The log is whole rounds, each exactly round's lines, at least one,
 * after the first time it shows round's last line: a monitor may have
 * subscribed in the middle of a round. Lines still on their way leave
 * a round half printed: false until they land. */
static gboolean whole_rounds(gpointer data)
{
	RoundsWait *w = data;
	g_autofree char *log = nfc_lab_log(w->lab, w->log);
	gsize n = strlen(w->round);
	const char *last = w->round + n - 1;
	const char *rest;

	while (last > w->round && last[-1] != '\n')
		last--;
	rest = strstr(log, last);
	if (!rest || !rest[strlen(last)])
		return FALSE;
	for (rest += strlen(last); *rest; rest += n)
		if (strncmp(rest, w->round, n) != 0)
			return FALSE;
	return TRUE;
}

static void assert_whole_rounds(Fixture *f, const char *name, const char *round)
{
	RoundsWait w = { f->lab, name, round };

	if (!nfc_lab_wait_for(whole_rounds, &w, 10000)) {
		g_autofree char *log = nfc_lab_log(f->lab, name);

		g_error("monitor %s did not print whole rounds of\n%s---- but\n%s", name, round, log);
	}
}

static void test_monitor(Fixture *f, gconstpointer data)
{
	g_autofree char *bus_arg = g_strdup_printf("--bus=%s", nfc_lab_bus_address(f->lab));
	g_autofree char *env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s",
					       nfc_lab_bus_address(f->lab));
	const char *ours[] = { CTL, bus_arg, "monitor", "manager", NULL };
	const char *json[] = { CTL, bus_arg, "--json", "monitor", "manager", NULL };
	const char *theirs[] = { "env", env, "stdbuf", "-oL", "connmanctl", "monitor", "manager",
				 NULL };
	const char *logs[] = { "ours", "theirs", NULL };
	const char *json_logs[] = { "json", NULL };
	const char *expected = "Manager                           OfflineMode = True\n"
			       "Manager                           State = offline\n"
			       "Manager                           OfflineMode = False\n"
			       "Manager                           State = idle\n";
	const char *expected_json =
		"{\"interface\":\"Manager\",\"path\":\"/\",\"member\":\"PropertyChanged\","
		"\"args\":[\"OfflineMode\",true]}\n"
		"{\"interface\":\"Manager\",\"path\":\"/\",\"member\":\"PropertyChanged\","
		"\"args\":[\"State\",\"offline\"]}\n"
		"{\"interface\":\"Manager\",\"path\":\"/\",\"member\":\"PropertyChanged\","
		"\"args\":[\"OfflineMode\",false]}\n"
		"{\"interface\":\"Manager\",\"path\":\"/\",\"member\":\"PropertyChanged\","
		"\"args\":[\"State\",\"idle\"]}\n";
	GPid p_ours, p_json, p_theirs;
	int status;

	p_ours = nfc_lab_spawn(f->lab, f->ns, "ours", ours);
	p_json = nfc_lab_spawn(f->lab, f->ns, "json", json);
	p_theirs = nfc_lab_spawn(f->lab, f->ns, "theirs", theirs);
	toggle_until_seen(f, logs, "State = idle\n");
	toggle_until_seen(f, json_logs, "[\"State\",\"idle\"]}\n");

	/* every monitor is listening now: one more round, seen whole by all;
	 * every round each printed since its first is exactly the same lines
	 * (connmanctl's, the reference, and ours) */
	g_free(run_ok(f, "enable offline"));
	g_free(run_ok(f, "disable offline"));
	assert_whole_rounds(f, "theirs", expected);
	assert_whole_rounds(f, "ours", expected);
	assert_whole_rounds(f, "json", expected_json);

	/* a monitor ends cleanly on SIGTERM */
	status = nfc_lab_stop(f->lab, p_ours, SIGTERM, 5000, NULL);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = nfc_lab_stop(f->lab, p_json, SIGTERM, 5000, NULL);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	nfc_lab_stop(f->lab, p_theirs, SIGTERM, 5000, NULL);
}

typedef struct {
	NfcLab *lab;
	const char *name;
} NameWait;

static gboolean name_owned(gpointer data)
{
	NameWait *w = data;
	g_autoptr(GVariant) has = NULL;
	gboolean owned = FALSE;

	has = g_dbus_connection_call_sync(nfc_lab_bus(w->lab), "org.freedesktop.DBus",
					  "/org/freedesktop/DBus", "org.freedesktop.DBus",
					  "NameHasOwner", g_variant_new("(s)", w->name),
					  G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	if (has)
		g_variant_get(has, "(b)", &owned);
	return owned;
}

typedef struct {
	Fixture *f;
	char *id;
} ServiceWait;

/* An ethernet service is listed (settled: ready or online). */
static gboolean service_listed(ServiceWait *w, gboolean settled)
{
	g_autofree char *out = NULL;
	g_auto(GStrv) words = NULL;

	if (run(w->f, &out, NULL, "services") != 0)
		return FALSE;
	if (settled && !g_str_has_prefix(out, "*AR ") && !g_str_has_prefix(out, "*AO "))
		return FALSE;
	words = g_strsplit_set(out, " \n", -1);
	for (gsize i = 0; words[i] && !w->id; i++)
		if (g_str_has_prefix(words[i], "ethernet_"))
			w->id = g_strdup(words[i]);
	return w->id != NULL;
}

static gboolean service_appeared(gpointer data)
{
	return service_listed(data, FALSE);
}

static gboolean service_settled(gpointer data)
{
	return service_listed(data, TRUE);
}

/* The same query through both clients; connmand's answer may change
 * between calls (DHCP, online check), so compare only when connmanctl
 * gave the same output before and after ours. */
static void compare(Fixture *f, const char *args)
{
	for (int tries = 0; tries < 20; tries++) {
		g_autofree char *before = connmanctl(f, args);
		g_autofree char *ours = run_ok(f, args);
		g_autofree char *after = connmanctl(f, args);

		if (g_strcmp0(before, after) != 0)
			continue;
		g_test_message("%s:\n%s", args, ours);
		g_assert_cmpstr(ours, ==, before);
		return;
	}
	g_assert_not_reached();
}

static void test_connmand(Fixture *f, gconstpointer data)
{
	const char *router = nfc_lab_add_netns(f->lab, "router");
	g_autofree char *cmd = NULL, *services = NULL, *json = NULL, *one = NULL, *techs = NULL;
	g_autofree char *jtechs = NULL, *cfg = NULL, *out = NULL, *props = NULL;
	const char *argv[] = { "unshare", "--mount", "--uts", "sh", "-c", NULL, NULL };
	NameWait nw = { f->lab, "net.connman" };
	ServiceWait sw = { f, NULL };

	if (!g_file_test("/usr/sbin/connmand", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("connmand is not installed");
		return;
	}
	/* a peer with carrier; no DHCP (connmand's raw-socket client drops
	 * veth's offloaded checksums), the address is set with "config" */
	nfc_lab_add_veth(f->lab, f->ns, "eth0", router, "r0");
	nfc_lab_sh(f->lab, router, "ip addr add 198.51.100.1/24 dev r0 && ip link set r0 up");

	/* connmand keeps its state in /var/lib/connman and /run/connman
	 * and writes resolv.conf: give it empty ones of its own in a mount
	 * namespace of its own (and a hostname of its own), and only eth0.
	 * The host may have none of them (a fresh install, before connmand
	 * ever ran): lab.sh makes them without a mount point on the host. */
	cmd = g_strdup_printf(". %s/tools/lab.sh && "
			      "lab_empty_dir /var/lib/connman /run/connman && "
			      "lab_hide /etc resolv.conf && : > /etc/resolv.conf && "
			      "exec env DBUS_SYSTEM_BUS_ADDRESS=%s connmand -n -r -i eth0 -p ethernet",
			      NFC_SOURCE_ROOT, nfc_lab_bus_address(f->lab));
	argv[5] = cmd;
	/* lab_hide /etc bind-mounts each of its entries back: seconds on a
	 * loaded machine (13.6 s seen at load 18 on 2 cores) */
	nfc_lab_spawn(f->lab, f->ns, "connmand", argv);
	g_assert_true(nfc_lab_wait_for(name_owned, &nw, 60000));
	g_assert_true(nfc_lab_wait_for(service_appeared, &sw, 30000));
	cfg = g_strdup_printf("config %s --ipv4 manual 198.51.100.10 255.255.255.0 198.51.100.1 "
			      "nameservers 198.51.100.1 --domains lab.test", sw.id);
	out = run_ok(f, cfg);
	g_assert_cmpstr(out, ==, "");
	g_assert_true(nfc_lab_wait_for(service_settled, &sw, 30000));

	compare(f, "state");
	compare(f, "technologies");
	compare(f, "services");
	one = g_strdup_printf("services %s", sw.id);
	compare(f, one);
	g_free(one);
	one = g_strdup_printf("services --properties %s", sw.id);
	compare(f, one);

	/* what config set is what the daemon now reports */
	g_free(one);
	one = g_strdup_printf("services %s", sw.id);
	props = run_ok(f, one);
	g_assert_nonnull(strstr(props, "  IPv4.Configuration = [ Method=manual, Address=198.51.100.10, "
				       "Netmask=255.255.255.0, Gateway=198.51.100.1 ]\n"));
	g_assert_nonnull(strstr(props, "  Nameservers.Configuration = [ 198.51.100.1 ]\n"));
	g_assert_nonnull(strstr(props, "  Domains.Configuration = [ lab.test ]\n"));

	/* the JSON has the same content */
	techs = run_ok(f, "technologies");
	g_assert_nonnull(strstr(techs, "/net/connman/technology/ethernet\n  Name = Wired\n"));
	jtechs = run_ok(f, "--json technologies");
	g_assert_nonnull(strstr(jtechs, "{\"technologies\":[{\"id\":\"ethernet\","
					"\"path\":\"/net/connman/technology/ethernet\","
					"\"properties\":{\"Name\":\"Wired\",\"Type\":\"ethernet\","
					"\"Powered\":true,\"Connected\":true,"));
	g_free(one);
	one = g_strdup_printf("--json services %s", sw.id);
	json = run_ok(f, one);
	g_assert_nonnull(strstr(json, "\"Type\":\"ethernet\""));
	g_assert_nonnull(strstr(json, "\"Security\":[]"));
	g_assert_nonnull(strstr(json, "\"Interface\":\"eth0\""));
	g_assert_nonnull(strstr(json, "\"MTU\":1500"));
	services = run_ok(f, "--json services");
	g_assert_true(g_str_has_prefix(services, "{\"services\":[{\"id\":\"ethernet_"));
	g_free(sw.id);
}

static void test_no_daemon(Fixture *f, gconstpointer data)
{
	expect_error(f, "state", 1, "Error state: nfconnd is not running (nobody owns net.connman)\n");
	expect_error(f, "services x", 1,
		     "Error services: nfconnd is not running (nobody owns net.connman)\n");
}

/* ---- the two-uplink world ---------------------------------------- */

typedef struct {
	Uplinks u;
} UFixture;

static void setup_uplinks(UFixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, NULL);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 30000);
}

static void teardown_uplinks(UFixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

/* "nfconnctl ARGS" or (ctl FALSE) "connmanctl ARGS" in the host namespace:
 * the exit status, stdout and stderr. */
static int run_u(UFixture *f, gboolean ctl, char **out, char **err, const char *args)
{
	int status;

	if (ctl)
		status = nfc_lab_sh_capture(f->u.lab, f->u.host, out, err,
					    CTL " --bus %s %s </dev/null",
					    nfc_lab_bus_address(f->u.lab), args);
	else
		status = nfc_lab_sh_capture(f->u.lab, f->u.host, out, err,
					    "DBUS_SYSTEM_BUS_ADDRESS=%s connmanctl %s </dev/null",
					    nfc_lab_bus_address(f->u.lab), args);
	g_test_message("%s %s -> %d\n%s%s", ctl ? "nfconnctl" : "connmanctl", args, status,
		       *out, *err);
	return status;
}

/* Both clients succeed with the same bytes; ours is returned. */
static char *same_as_connmanctl(UFixture *f, const char *args)
{
	g_autofree char *theirs = NULL, *their_err = NULL, *err = NULL;
	char *ours = NULL;

	g_assert_cmpint(run_u(f, FALSE, &theirs, &their_err, args), ==, 0);
	g_assert_cmpstr(their_err, ==, "");
	g_assert_cmpint(run_u(f, TRUE, &ours, &err, args), ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpstr(ours, ==, theirs);
	return ours;
}

static char *run_ok_u(UFixture *f, const char *args)
{
	g_autofree char *err = NULL;
	char *out = NULL;

	g_assert_cmpint(run_u(f, TRUE, &out, &err, args), ==, 0);
	g_assert_cmpstr(err, ==, "");
	return out;
}

static void expect_fail_u(UFixture *f, const char *args, int want_status, const char *want_err)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(run_u(f, TRUE, &out, &err, args), ==, want_status);
	g_assert_cmpstr(out, ==, "");
	g_assert_cmpstr(err, ==, want_err);
}

static void test_more_commands(UFixture *f, gconstpointer data)
{
	g_autofree char *peers = NULL, *clients = NULL, *out = NULL, *err = NULL;
	g_autofree char *theirs = NULL, *their_err = NULL, *clock = NULL, *jclock = NULL;
	g_autofree char *id0 = uplinks_service_id(&f->u, 0), *id1 = uplinks_service_id(&f->u, 1);
	g_auto(GStrv) a = NULL, b = NULL;

	/* no peer-to-peer and no wifi access point: empty lists, as connmanctl
	 * shows them (a blank line), never an invented entry */
	peers = same_as_connmanctl(f, "peers");
	g_assert_cmpstr(peers, ==, "\n");
	clients = same_as_connmanctl(f, "tethering_clients");
	g_assert_cmpstr(clients, ==, "\n");
	g_free(out);
	out = run_ok_u(f, "--json peers");
	g_assert_cmpstr(out, ==, "{\"peers\":[]}\n");
	g_free(out);
	out = run_ok_u(f, "--json tethering_clients");
	g_assert_cmpstr(out, ==, "{\"tethering_clients\":[]}\n");
	expect_fail_u(f, "peers peer_0011", 1, "Error peers: Peer peer_0011 is not available\n");

	/* a wire has nothing to scan: the daemon's refusal, as connmanctl
	 * prints it, and a failing status */
	g_assert_cmpint(run_u(f, FALSE, &theirs, &their_err, "scan ethernet"), ==, 0);
	g_assert_cmpstr(their_err, ==, "Error /net/connman/technology/ethernet: Not supported\n");
	expect_fail_u(f, "scan ethernet", 1, "Error /net/connman/technology/ethernet: Not supported\n");
	expect_fail_u(f, "scan wifi", 1, "Error /net/connman/technology/wifi: wifi is not available\n");

	/* VPN connections are the VPN daemon's; there is none, connmanctl
	 * fails too */
	g_free(theirs);
	g_free(their_err);
	g_assert_cmpint(run_u(f, FALSE, &theirs, &their_err, "vpnconnections"), ==, 0);
	g_assert_cmpstr(theirs, ==, "");
	g_assert_true(g_str_has_prefix(their_err, "Error: "));
	expect_fail_u(f, "vpnconnections", 1, "Error vpnconnections: no VPN daemon (nobody owns "
		      "net.connman.vpn; nfconnd has no VPN)\n");
	expect_fail_u(f, "--json vpnconnections vpn_x", 1, "Error vpnconnections: no VPN daemon "
		      "(nobody owns net.connman.vpn; nfconnd has no VPN)\n");

	/* the clock: connmanctl's lines but Time, which may tick between */
	g_free(theirs);
	g_free(their_err);
	g_assert_cmpint(run_u(f, FALSE, &theirs, &their_err, "clock"), ==, 0);
	clock = run_ok_u(f, "clock");
	a = g_strsplit(theirs, "\n", -1);
	b = g_strsplit(clock, "\n", -1);
	g_assert_cmpuint(g_strv_length(a), ==, g_strv_length(b));
	g_assert_cmpuint(g_strv_length(a), >=, 6);
	for (guint i = 0; a[i]; i++)
		if (!g_str_has_prefix(a[i], "  Time = "))
			g_assert_cmpstr(a[i], ==, b[i]);
	g_assert_nonnull(strstr(clock, "\n  TimeUpdates = auto\n"));
	jclock = run_ok_u(f, "--json clock");
	g_assert_true(g_str_has_prefix(jclock, "{\"Time\":"));
	g_assert_nonnull(strstr(jclock, "\"TimeUpdates\":\"auto\""));

	/* usage, before any call */
	expect_fail_u(f, "scan", 2, "Error 'scan': Missing argument\n");
	expect_fail_u(f, "scan eth-0", 2, "Error 'scan': Invalid argument\n");
	expect_fail_u(f, "peers a b", 2, "Error 'peers': Argument list too long\n");
	expect_fail_u(f, "tethering_clients x", 2, "Error 'tethering_clients': Argument list too long\n");
	expect_fail_u(f, "agent maybe", 2, "Error 'agent': Invalid argument\n");
	expect_fail_u(f, "agent", 2, "Error 'agent': Missing argument\n");

	/* completion from the one table, ids from the daemon */
	g_free(out);
	out = run_ok_u(f, "--complete scan ''");
	g_assert_cmpstr(out, ==, "ethernet\n");
	g_free(out);
	out = run_ok_u(f, "--complete connect ''");
	g_assert_true(strstr(out, id0) && strstr(out, id1));
	g_free(out);
	out = run_ok_u(f, "--complete ag");
	g_assert_cmpstr(out, ==, "agent\n");
	g_free(out);
	out = run_ok_u(f, "--complete agent o");
	g_assert_cmpstr(out, ==, "on\noff\n");
	g_free(out);
	out = run_ok_u(f, "--complete t");
	g_assert_cmpstr(out, ==, "technologies\ntether\ntethering_clients\n");

	/* the bash completion, which asks the same (bash-completion's
	 * _init_completion stood in for: it may not be installed) */
	g_free(out);
	out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"PATH=%s/client:$PATH bash -c '"
		"_init_completion() { words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD; "
		"cur=${words[cword]}; prev=${words[cword-1]}; }; "
		". %s/client/nfconnctl.bash-completion; "
		"t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); "
		"_nfconnctl; echo \"${COMPREPLY[*]}\"; }; "
		"t nfconnctl --bus %s scan \"\"; t nfconnctl --json ag; t nfconnctl -'",
		NFC_BUILD_ROOT, NFC_SOURCE_ROOT, nfc_lab_bus_address(f->u.lab));
	g_assert_cmpstr(out, ==, "ethernet\nagent\n--json --bus --help --version\n");
}

/* A process with a pipe to its stdin and one from its stdout, read as it
 * comes. */
typedef struct {
	GPid pid;
	int in, out;
	GString *seen;
	const char *want;
} Proc;

static void proc_start(NfcLab *lab, const char *ns, Proc *p, const char *name,
		       const char *const *argv)
{
	p->pid = nfc_lab_spawn_pipes(lab, ns, name, argv, &p->in, &p->out);
	g_assert_cmpint(fcntl(p->out, F_SETFL, O_NONBLOCK), ==, 0);
	p->seen = g_string_new(NULL);
}

static gboolean proc_has(gpointer data)
{
	Proc *p = data;
	char buf[512];
	ssize_t n;

	while ((n = read(p->out, buf, sizeof(buf))) > 0)
		g_string_append_len(p->seen, buf, n);
	return strstr(p->seen->str, p->want) != NULL;
}

/* Waits until the output so far contains want. */
static void proc_wait(Proc *p, const char *want)
{
	p->want = want;
	if (!nfc_lab_wait_for(proc_has, p, 20000))
		g_error("never printed '%s'; got:\n%s", want, p->seen->str);
}

static void proc_send(Proc *p, const char *line)
{
	g_assert_cmpint(write(p->in, line, strlen(line)), ==, (ssize_t)strlen(line));
}

static int proc_end(NfcLab *lab, Proc *p, int signum)
{
	int status = nfc_lab_stop(lab, p->pid, signum, 10000, NULL);

	close(p->in);
	close(p->out);
	g_string_free(p->seen, TRUE);
	return status;
}

/* Exited, and left for nfc_lab_stop to reap and report. */
static gboolean proc_exited(gpointer data)
{
	Proc *p = data;
	siginfo_t info = { 0 };

	return waitid(P_PID, p->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid == p->pid;
}

/* The agent against nfconnd: registration and its refusals as the daemon
 * answers them (commands from a pipe, one process), then a one-shot
 * "agent on" that ends when the daemon stops. nfconnd never asks an
 * agent anything for ethernet: test_agent_requests plays the daemon. */
static void test_agent_nfconnd(UFixture *f, gconstpointer data)
{
	g_autofree char *bus = g_strdup_printf("--bus=%s", nfc_lab_bus_address(f->u.lab));
	const char *argv[] = { CTL, bus, NULL };
	const char *oneshot[] = { CTL, bus, "agent", "on", NULL };
	g_autofree char *err = NULL;
	Proc p = { 0 }, q = { 0 };
	int status;

	proc_start(f->u.lab, f->u.host, &p, "agent-pipe", argv);
	/* "agent on" a second time is refused by us, "agent off" asks the
	 * daemon (which refuses an agent it does not know): after off, on
	 * works again, so the daemon forgot the first registration */
	proc_send(&p, "agent on\nagent on\nagent off\nagent off\nagent on\n");
	close(p.in);
	p.in = open("/dev/null", O_WRONLY | O_CLOEXEC);
	proc_wait(&p, "Agent registered\nAgent unregistered\nAgent registered\n");
	err = nfc_lab_log(f->u.lab, "agent-pipe");
	g_assert_cmpstr(err, ==, "Error agent: Agent is already registered\n"
			"Error agent: Agent is not registered\n");
	/* two commands failed: that is the status, and nothing stays */
	g_assert_true(nfc_lab_wait_for(proc_exited, &p, 10000));
	status = proc_end(f->u.lab, &p, SIGTERM);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	/* one-shot: stays registered; the daemon's exit releases it */
	proc_start(f->u.lab, f->u.host, &q, "agent-oneshot", oneshot);
	proc_wait(&q, "Agent registered\n");
	/* (30 s: under ASan at load 50 nfconnd took more than 3 s to exit) */
	status = nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGTERM, 30000, NULL);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f->u.nfconnd = 0;
	proc_wait(&q, "Agent released: by the daemon\n");
	g_assert_true(nfc_lab_wait_for(proc_exited, &q, 10000));
	status = proc_end(f->u.lab, &q, SIGTERM);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a daemon that dies without a word: its name going is the end */
	uplinks_start_nfconnd(&f->u);
	proc_start(f->u.lab, f->u.host, &q, "agent-crash", oneshot);
	proc_wait(&q, "Agent registered\n");
	nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGKILL, 5000, NULL);
	f->u.nfconnd = 0;
	proc_wait(&q, "Agent released: the daemon left the bus\n");
	g_assert_true(nfc_lab_wait_for(proc_exited, &q, 10000));
	status = proc_end(f->u.lab, &q, SIGTERM);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- the test as the daemon --------------------------------------- */

static const char fake_manager_xml[] =
	"<node><interface name='net.connman.Manager'>"
	"<method name='RegisterAgent'><arg type='o' direction='in'/></method>"
	"<method name='UnregisterAgent'><arg type='o' direction='in'/></method>"
	"</interface></node>";

typedef struct {
	NfcLab *lab;
	const char *ns;
	GDBusConnection *bus;
	char *agent_sender;
	char *agent_path;
	gboolean unregistered;
	/* the last reply to a call on the agent */
	gboolean replied;
	GVariant *reply;
	char *error;
	guint reg;
} Fake;

static void on_fake_call(GDBusConnection *c, const char *sender, const char *path,
			 const char *iface, const char *method, GVariant *params,
			 GDBusMethodInvocation *inv, gpointer data)
{
	Fake *fk = data;
	const char *agent;

	g_variant_get(params, "(&o)", &agent);
	if (g_str_equal(method, "RegisterAgent")) {
		g_free(fk->agent_sender);
		g_free(fk->agent_path);
		fk->agent_sender = g_strdup(sender);
		fk->agent_path = g_strdup(agent);
	} else {
		fk->unregistered = g_strcmp0(fk->agent_path, agent) == 0;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

static void on_agent_reply(GObject *src, GAsyncResult *res, gpointer data)
{
	Fake *fk = data;
	g_autoptr(GError) error = NULL;

	fk->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &error);
	if (error)
		fk->error = g_dbus_error_get_remote_error(error);
	fk->replied = TRUE;
}

static void agent_call(Fake *fk, GDBusConnection *from, const char *method, GVariant *params)
{
	g_clear_pointer(&fk->reply, g_variant_unref);
	g_clear_pointer(&fk->error, g_free);
	fk->replied = FALSE;
	g_dbus_connection_call(from, fk->agent_sender, fk->agent_path, "net.connman.Agent", method,
			       params, NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, on_agent_reply,
			       fk);
}

static gboolean fake_replied(gpointer data)
{
	return ((Fake *)data)->replied;
}

static gboolean fake_registered(gpointer data)
{
	return ((Fake *)data)->agent_path != NULL;
}

static gboolean fake_unregistered(gpointer data)
{
	return ((Fake *)data)->unregistered;
}

static void wait_reply(Fake *fk)
{
	g_assert_true(nfc_lab_wait_for(fake_replied, fk, 20000));
}

static GVariant *field(const char *type, const char *requirement, const char *alternate)
{
	GVariantBuilder b;

	/* in this order, as ConnMan sends them */
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "Type", g_variant_new_string(type));
	g_variant_builder_add(&b, "{sv}", "Requirement", g_variant_new_string(requirement));
	if (alternate) {
		const char *alts[] = { alternate, NULL };

		g_variant_builder_add(&b, "{sv}", "Alternates", g_variant_new_strv(alts, -1));
	}
	return g_variant_builder_end(&b);
}

static GVariant *input_fields(void)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "Passphrase", field("psk", "mandatory", "WPS"));
	g_variant_builder_add(&b, "{sv}", "WPS", field("wpspin", "alternate", NULL));
	g_variant_builder_add(&b, "{sv}", "Identity", field("string", "optional", NULL));
	return g_variant_new("(o@a{sv})", "/net/connman/service/wifi_0011_abcd_managed_psk",
			     g_variant_builder_end(&b));
}

/* The test owns net.connman on the lab's bus, with a fake Manager that
 * nfconnctl's agent registers with. */
static void fake_start(Fake *fk)
{
	g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(fake_manager_xml, NULL);
	const GDBusInterfaceVTable vtable = { on_fake_call, NULL, NULL, { 0 } };
	g_autoptr(GVariant) owned = NULL;
	g_autoptr(GError) error = NULL;

	fk->reg = g_dbus_connection_register_object(fk->bus, "/", node->interfaces[0], &vtable, fk,
						    NULL, &error);
	g_assert_no_error(error);
	owned = g_dbus_connection_call_sync(fk->bus, "org.freedesktop.DBus",
					    "/org/freedesktop/DBus", "org.freedesktop.DBus",
					    "RequestName", g_variant_new("(su)", "net.connman", 0),
					    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
					    &error);
	g_assert_no_error(error);
}

static void fake_stop(Fake *fk)
{
	g_clear_pointer(&fk->reply, g_variant_unref);
	g_free(fk->error);
	g_free(fk->agent_sender);
	g_free(fk->agent_path);
	g_dbus_connection_unregister_object(fk->bus, fk->reg);
}

static void test_agent_requests(Fixture *f, gconstpointer data)
{
	g_autoptr(GDBusConnection) other = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *bus = g_strdup_printf("--bus=%s", nfc_lab_bus_address(f->lab));
	const char *argv[] = { CTL, bus, "agent", "on", NULL };
	Fake fk = { f->lab, f->ns, nfc_lab_bus(f->lab) };
	const char *value;
	Proc p = { 0 };
	int status;

	/* the test owns net.connman: nfconnctl registers with us */
	fake_start(&fk);
	proc_start(f->lab, f->ns, &p, "agent", argv);
	proc_wait(&p, "Agent registered\n");
	g_assert_true(nfc_lab_wait_for(fake_registered, &fk, 10000));
	g_assert_true(g_str_has_prefix(fk.agent_path, "/net/connman/nfconnctl"));

	/* every field shown, the mandatory and optional ones asked in turn */
	agent_call(&fk, fk.bus, "RequestInput", input_fields());
	proc_wait(&p, "Agent RequestInput wifi_0011_abcd_managed_psk\n"
		      "  Passphrase = [ Type=psk, Requirement=mandatory, Alternates=[ WPS ] ]\n"
		      "  WPS = [ Type=wpspin, Requirement=alternate ]\n"
		      "  Identity = [ Type=string, Requirement=optional ]\n"
		      "Passphrase? ");
	proc_send(&p, "correct horse\n");
	proc_wait(&p, "Identity? ");
	g_assert_false(fk.replied);
	proc_send(&p, "\n");
	wait_reply(&fk);
	g_assert_null(fk.error);
	g_assert_cmpstr(g_variant_get_type_string(fk.reply), ==, "(a{sv})");
	{
		g_autoptr(GVariant) values = g_variant_get_child_value(fk.reply, 0);

		g_assert_cmpuint(g_variant_n_children(values), ==, 1);
		g_assert_true(g_variant_lookup(values, "Passphrase", "&s", &value));
		g_assert_cmpstr(value, ==, "correct horse");
	}

	/* a mandatory field left empty: its alternate is asked instead */
	g_string_truncate(p.seen, 0);
	agent_call(&fk, fk.bus, "RequestInput", input_fields());
	proc_wait(&p, "Passphrase? ");
	proc_send(&p, "\n");
	proc_wait(&p, "WPS? ");
	proc_send(&p, "12345670\n");
	proc_wait(&p, "Identity? ");
	proc_send(&p, "me\n");
	wait_reply(&fk);
	g_assert_null(fk.error);
	{
		g_autoptr(GVariant) values = g_variant_get_child_value(fk.reply, 0);

		g_assert_cmpuint(g_variant_n_children(values), ==, 2);
		g_assert_true(g_variant_lookup(values, "WPS", "&s", &value));
		g_assert_cmpstr(value, ==, "12345670");
		g_assert_true(g_variant_lookup(values, "Identity", "&s", &value));
		g_assert_cmpstr(value, ==, "me");
	}

	/* the daemon gives up while the user has not answered */
	g_string_truncate(p.seen, 0);
	agent_call(&fk, fk.bus, "RequestInput", input_fields());
	proc_wait(&p, "Passphrase? ");
	{
		g_autoptr(GVariant) r = g_dbus_connection_call_sync(
			fk.bus, fk.agent_sender, fk.agent_path, "net.connman.Agent", "Cancel", NULL,
			NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);

		g_assert_no_error(error);
	}
	wait_reply(&fk);
	g_assert_cmpstr(fk.error, ==, "net.connman.Agent.Error.Canceled");
	proc_wait(&p, "Agent request canceled by the daemon\n");

	/* ReportError: yes is Retry (an error reply), no a plain one */
	agent_call(&fk, fk.bus, "ReportError",
		   g_variant_new("(os)", "/net/connman/service/ethernet_0011_cable", "dhcp-failed"));
	proc_wait(&p, "Agent ReportError ethernet_0011_cable\n  dhcp-failed\nRetry (yes/no)? ");
	proc_send(&p, "yes\n");
	wait_reply(&fk);
	g_assert_cmpstr(fk.error, ==, "net.connman.Agent.Error.Retry");
	g_string_truncate(p.seen, 0);
	agent_call(&fk, fk.bus, "ReportError",
		   g_variant_new("(os)", "/net/connman/service/ethernet_0011_cable", "dhcp-failed"));
	proc_wait(&p, "Retry (yes/no)? ");
	proc_send(&p, "no\n");
	wait_reply(&fk);
	g_assert_null(fk.error);

	/* nobody but the daemon may ask the user anything */
	other = g_dbus_connection_new_for_address_sync(
		nfc_lab_bus_address(f->lab), G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	g_assert_no_error(error);
	agent_call(&fk, other, "RequestInput", input_fields());
	wait_reply(&fk);
	g_assert_cmpstr(fk.error, ==, "net.connman.Agent.Error.Rejected");

	/* Release: the one-shot agent is done */
	agent_call(&fk, fk.bus, "Release", NULL);
	wait_reply(&fk);
	g_assert_cmpstr(fk.error, ==, NULL);
	proc_wait(&p, "Agent released: by the daemon\n");
	g_assert_true(nfc_lab_wait_for(proc_exited, &p, 10000));
	status = proc_end(f->lab, &p, SIGTERM);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fake_stop(&fk);
}

static void send_fd(int fd, const char *text)
{
	g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
}

/* Interactive mode: the prompt asks the agent's questions, a secret is
 * not shown while typed, and the prompt comes back after. nfconnctl runs
 * under script(1) for a terminal; the test writes into a FIFO. */
static void test_agent_interactive(Fixture *f, gconstpointer data)
{
	g_autofree char *fifo = g_strdup_printf("%s/interactive.in", nfc_lab_dir(f->lab));
	g_autofree char *inner = NULL, *outer = NULL, *log = NULL;
	const char *argv[] = { "sh", "-c", NULL, NULL };
	Fake fk = { f->lab, f->ns, nfc_lab_bus(f->lab) };
	const char *value;
	gsize at;
	GPid pid;
	int fd;

	if (!g_file_test("/usr/bin/script", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("script(1) is not installed");
		return;
	}
	fake_start(&fk);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	inner = g_strdup_printf("env TERM=dumb " CTL " --bus %s", nfc_lab_bus_address(f->lab));
	outer = g_strdup_printf("exec script -qfec '%s' /dev/null <%s", inner, fifo);
	argv[2] = outer;
	pid = nfc_lab_spawn(f->lab, f->ns, "interactive", argv);

	send_fd(fd, "agent on\r");
	at = nfc_lab_wait_log(f->lab, "interactive", 0, "Agent registered", 20000);
	g_assert_true(nfc_lab_wait_for(fake_registered, &fk, 10000));
	agent_call(&fk, fk.bus, "RequestInput", input_fields());
	at = nfc_lab_wait_log(f->lab, "interactive", at, "Passphrase? ", 20000);
	send_fd(fd, "hunter2\r");
	at = nfc_lab_wait_log(f->lab, "interactive", at, "Identity? ", 20000);
	send_fd(fd, "someone\r");
	wait_reply(&fk);
	g_assert_null(fk.error);
	{
		g_autoptr(GVariant) values = g_variant_get_child_value(fk.reply, 0);

		g_assert_true(g_variant_lookup(values, "Passphrase", "&s", &value));
		g_assert_cmpstr(value, ==, "hunter2");
		g_assert_true(g_variant_lookup(values, "Identity", "&s", &value));
		g_assert_cmpstr(value, ==, "someone");
	}
	/* the prompt is back and takes commands again */
	send_fd(fd, "agent off\r");
	at = nfc_lab_wait_log(f->lab, "interactive", at, "Agent unregistered", 20000);
	g_assert_true(nfc_lab_wait_for(fake_unregistered, &fk, 10000));
	send_fd(fd, "exit\r");
	close(fd);
	nfc_lab_stop(f->lab, pid, SIGTERM, 10000, NULL);
	log = nfc_lab_log(f->lab, "interactive");
	g_test_message("%s", log);
	/* the identity was shown as typed, the passphrase never */
	g_assert_nonnull(strstr(log, "someone"));
	g_assert_null(strstr(log, "hunter2"));
	g_assert_nonnull(strstr(log, "nfconnctl> "));
	fake_stop(&fk);
}

/* On SIGTERM a registered agent unregisters on its way out. */
static void test_agent_unregisters(Fixture *f, gconstpointer data)
{
	g_autofree char *bus = g_strdup_printf("--bus=%s", nfc_lab_bus_address(f->lab));
	const char *argv[] = { CTL, bus, "agent", "on", NULL };
	Fake fk = { f->lab, f->ns, nfc_lab_bus(f->lab) };
	Proc p = { 0 };
	int status;

	fake_start(&fk);
	proc_start(f->lab, f->ns, &p, "agent", argv);
	proc_wait(&p, "Agent registered\n");
	g_assert_true(nfc_lab_wait_for(fake_registered, &fk, 10000));
	kill(p.pid, SIGTERM);
	g_assert_true(nfc_lab_wait_for(fake_unregistered, &fk, 10000));
	/* a second signal while it cleans up would kill it */
	g_assert_true(nfc_lab_wait_for(proc_exited, &p, 10000));
	status = proc_end(f->lab, &p, SIGTERM);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fake_stop(&fk);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/nfconnctl/state", test_state);
	ADD("/nfconnctl/offline", test_offline);
	ADD("/nfconnctl/empty-lists", test_empty_lists);
	ADD("/nfconnctl/errors", test_errors);
	ADD("/nfconnctl/monitor", test_monitor);
	g_test_add("/nfconnctl/no-daemon", Fixture, NULL, setup_bare, test_no_daemon, teardown);
	g_test_add("/nfconnctl/connmand", Fixture, NULL, setup_bare, test_connmand, teardown);
	g_test_add("/nfconnctl/more-commands", UFixture, NULL, setup_uplinks, test_more_commands,
		   teardown_uplinks);
	g_test_add("/nfconnctl/agent-nfconnd", UFixture, NULL, setup_uplinks, test_agent_nfconnd,
		   teardown_uplinks);
	g_test_add("/nfconnctl/agent-requests", Fixture, NULL, setup_bare, test_agent_requests,
		   teardown);
	g_test_add("/nfconnctl/agent-interactive", Fixture, NULL, setup_bare,
		   test_agent_interactive, teardown);
	g_test_add("/nfconnctl/agent-unregisters", Fixture, NULL, setup_bare,
		   test_agent_unregisters, teardown);
	return g_test_run();
}
