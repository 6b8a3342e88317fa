// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: the supervised dnsmasq on a real bridge. The test process
 * enters a "tether router" namespace with a bridge "tether" (one port, a
 * veth to a client namespace) and two links to upstream namespaces, each
 * running a dnsmasq that answers example.test its own way. A real client
 * (busybox udhcpc, nslookup, the kernel's SLAAC) talks to ours.
 *
 * Run with "--supervise <dir>" the binary is the helper of the
 * parent-death test: it starts dnsmasq from <dir>'s files, prints its pid
 * and runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "dnsmasq.h"
#include "lab.h"

#define CLIENT_MAC "02:00:00:00:77:01"
#define UPSTREAM1 "10.99.1.2"
#define UPSTREAM2 "10.99.2.2"

typedef struct {
	NfcLab *lab;
	const char *tr, *client, *up1, *up2;
	int root_netns;
	char *dir;
	NfcDnsmasqConfig config;
	NfcDnsmasq *dm;
	guint ready, failed, leases_changed;
	char *failure;
} Fixture;

static void fill_config(NfcDnsmasqConfig *c, const char *dir)
{
	memset(c, 0, sizeof(*c));
	c->interface = g_strdup("tether");
	inet_pton(AF_INET, "192.168.77.1", &c->address);
	c->prefixlen = 24;
	inet_pton(AF_INET, "192.168.77.10", &c->range_start);
	inet_pton(AF_INET, "192.168.77.200", &c->range_end);
	c->lease_time = 3600;
	c->ipv6 = true;
	inet_pton(AF_INET6, "fd00:77::", &c->prefix6);
	c->conf_path = g_build_filename(dir, "run", "tether-dnsmasq.conf", NULL);
	c->servers_path = g_build_filename(dir, "run", "tether-servers", NULL);
	c->pid_path = g_build_filename(dir, "run", "tether-dnsmasq.pid", NULL);
	c->leases_path = g_build_filename(dir, "state", "tether.leases", NULL);
}

static void upstream(Fixture *f, const char *ns, const char *net, const char *answer)
{
	g_autofree char *extra = g_strdup_printf("--address=/example.test/%s", answer);
	g_autofree char *range = g_strdup_printf("%s.50,%s.60", net, net);
	g_autofree char *log = NULL;
	const char *ifname = g_str_equal(ns, f->up1) ? "u1" : "u2";

	/* and link-local fe80::<n>:2 (up<n>) and fe80::<n>:1 (u<n>), as an
	 * IPv6 router announces itself in RDNSS */
	nfc_lab_sh(f->lab, ns, "ip addr add %s.2/24 dev r0 && "
		   "ip addr add fe80::%s:2/64 dev r0 nodad && ip link set r0 up", net, ifname + 1);
	nfc_lab_sh(f->lab, f->tr, "ip addr add %s.1/24 dev %s && "
		   "ip addr add fe80::%s:1/64 dev %s nodad && ip link set %s up", net, ifname,
		   ifname + 1, ifname, ifname);
	nfc_lab_start_dnsmasq(f->lab, ns, "r0", range, extra);
	nfc_lab_wait_sh(f->lab, ns, 10000, "ss -Hlnu 'sport = :53' | grep -q '%s.2:53'", net);
}

static void setup(Fixture *f, gconstpointer data)
{
	f->lab = nfc_lab_new();
	f->tr = nfc_lab_add_netns(f->lab, "tr");
	f->client = nfc_lab_add_netns(f->lab, "client");
	f->up1 = nfc_lab_add_netns(f->lab, "up1");
	f->up2 = nfc_lab_add_netns(f->lab, "up2");
	nfc_lab_add_veth(f->lab, f->tr, "port0", f->client, "c0");
	nfc_lab_add_veth(f->lab, f->tr, "u1", f->up1, "r0");
	nfc_lab_add_veth(f->lab, f->tr, "u2", f->up2, "r0");
	/* addresses without DAD: the test is about dnsmasq, not the kernel */
	nfc_lab_sh(f->lab, f->tr,
		   "ip link add tether type bridge forward_delay 0 && "
		   "ip link set port0 master tether && ip link set port0 up && "
		   "ip addr add 192.168.77.1/24 dev tether && "
		   "ip addr add fd00:77::1/64 dev tether nodad && ip link set tether up");
	nfc_lab_sh(f->lab, f->client,
		   "ip link set c0 address " CLIENT_MAC " && ip link set c0 up");
	upstream(f, f->up1, "10.99.1", "203.0.113.7");
	upstream(f, f->up2, "10.99.2", "203.0.113.8");

	/* dnsmasq runs as nobody: it must reach its files */
	f->dir = g_strdup(nfc_lab_dir(f->lab));
	g_assert_cmpint(chmod(f->dir, 0755), ==, 0);
	nfc_lab_sh(f->lab, NULL, "mkdir -m 0755 %s/run %s/state", f->dir, f->dir);
	fill_config(&f->config, f->dir);

	f->root_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->root_netns, >=, 0);
	nfc_lab_enter_netns(f->tr);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->dm, nfc_dnsmasq_stop);
	g_assert_cmpint(setns(f->root_netns, CLONE_NEWNET), ==, 0);
	close(f->root_netns);
	nfc_dnsmasq_config_clear(&f->config);
	g_free(f->failure);
	g_free(f->dir);
	nfc_lab_free(f->lab);
}

static void on_ready(void *data)
{
	((Fixture *)data)->ready++;
}

static void on_failed(const GError *error, void *data)
{
	Fixture *f = data;

	f->failed++;
	g_free(f->failure);
	f->failure = g_strdup(error->message);
}

static void on_leases(void *data)
{
	((Fixture *)data)->leases_changed++;
}

static const NfcDnsmasqEvents events = {
	.ready = on_ready,
	.failed = on_failed,
	.leases_changed = on_leases,
};

static gboolean is_ready(gpointer data)
{
	return ((Fixture *)data)->ready > 0;
}

static void start(Fixture *f, const char *const *servers)
{
	g_autoptr(GError) error = NULL;

	f->dm = nfc_dnsmasq_start(&f->config, servers, &events, f, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->dm);
	g_assert_true(nfc_lab_wait_for(is_ready, f, 10000));
	g_assert_cmpint(f->failed, ==, 0);
}

/* udhcpc in the client namespace; returns what its script saw */
static char *udhcpc(Fixture *f)
{
	g_autofree char *script = g_build_filename(f->dir, "udhcpc.sh", NULL);
	g_autofree char *out = g_build_filename(f->dir, "udhcpc.out", NULL);
	g_autofree char *text = g_strdup_printf(
		"#!/bin/sh\n"
		"case \"$1\" in bound|renew)\n"
		"  ip -4 addr flush dev \"$interface\" scope global\n"
		"  ip addr add \"$ip/$mask\" dev \"$interface\"\n"
		"  echo \"ip=$ip router=$router dns=$dns\" > %s ;;\n"
		"esac\n", out);
	char *result = NULL;

	g_unlink(out);
	g_assert_true(g_file_set_contents(script, text, -1, NULL));
	g_assert_cmpint(chmod(script, 0755), ==, 0);
	g_autofree char *o = NULL;
	g_autofree char *e = NULL;
	int status = nfc_lab_sh_capture(f->lab, f->client, &o, &e,
					"busybox udhcpc -i c0 -n -q -t 10 -T 1 -s %s", script);

	if (status != 0)
		g_error("udhcpc failed (%d): %s %s", status, o, e);
	g_assert_true(g_file_get_contents(out, &result, NULL, NULL));
	return g_strstrip(result);
}

static const NfcDnsmasqLease *find_lease(GArray *leases, const char *mac, const char *prefix)
{
	for (guint i = 0; i < leases->len; i++) {
		const NfcDnsmasqLease *l = &g_array_index(leases, NfcDnsmasqLease, i);

		if (g_str_equal(l->mac, mac) && g_str_has_prefix(l->address, prefix))
			return l;
	}
	return NULL;
}

typedef struct {
	Fixture *f;
	GPid old;
} PidWait;

static gboolean leases_seen(gpointer data)
{
	Fixture *f = data;
	g_autoptr(GArray) leases = NULL;

	if (!f->leases_changed)
		return FALSE;
	leases = nfc_dnsmasq_get_leases(f->dm);
	return find_lease(leases, CLIENT_MAC, "192.168.77.") != NULL;
}

static gboolean restarted(gpointer data)
{
	PidWait *w = data;
	GPid pid = nfc_dnsmasq_get_pid(w->f->dm);

	return pid && pid != w->old && w->f->ready >= 2;
}

static gboolean process_gone(gpointer data)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", GPOINTER_TO_INT(data));
	g_autofree char *stat = NULL;
	const char *paren;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return TRUE;
	/* a zombie is gone too: whoever reaps it is not us */
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}

static char *lookup(Fixture *f)
{
	char *out = NULL;
	g_autofree char *err = NULL;
	int status = nfc_lab_sh_capture(f->lab, f->client, &out, &err,
					"busybox nslookup -type=a example.test 192.168.77.1");

	if (status != 0)
		g_error("nslookup failed (%d): %s %s", status, out, err);
	return out;
}

static void test_serve(Fixture *f, gconstpointer data)
{
	const char *servers1[] = { UPSTREAM1, NULL };
	const char *servers2[] = { UPSTREAM2, "not-an-address\nserver=1.1.1.1", NULL };
	g_autofree char *lease = NULL;
	g_autofree char *renewed = NULL;
	g_autofree char *udp = NULL;
	g_autofree char *tcp = NULL;
	g_autofree char *answer = NULL;
	g_autofree char *servers_text = NULL;
	g_autofree char *leases_text = NULL;
	g_autoptr(GArray) leases = NULL;
	const NfcDnsmasqLease *l;
	PidWait w = { f, 0 };
	GPid pid;

	gint64 t0 = g_get_monotonic_time();

	start(f, servers1);
	g_test_message("start to ready: %.1f ms", (g_get_monotonic_time() - t0) / 1000.0);
	pid = nfc_dnsmasq_get_pid(f->dm);
	g_assert_cmpint(pid, >, 0);
	/* it runs unprivileged, and dies with us */
	nfc_lab_sh(f->lab, NULL, "grep -q '^Uid:[[:space:]]*65534' /proc/%d/status", pid);

	/* DHCPv4: an address in the range, router and DNS = the bridge */
	t0 = g_get_monotonic_time();
	lease = udhcpc(f);
	g_test_message("udhcpc lease: %.1f ms", (g_get_monotonic_time() - t0) / 1000.0);
	g_assert_true(g_regex_match_simple(
		"^ip=192\\.168\\.77\\.([1-9][0-9]|1[0-9][0-9]|200) router=192\\.168\\.77\\.1 "
		"dns=192\\.168\\.77\\.1$", lease, 0, 0));
	g_assert_true(nfc_lab_wait_for(leases_seen, f, 5000));
	leases = nfc_dnsmasq_get_leases(f->dm);
	l = find_lease(leases, CLIENT_MAC, "192.168.77.");
	g_assert_nonnull(l);
	g_assert_nonnull(strstr(lease, l->address));
	g_assert_cmpint(l->expiry, >, (gint64)time(NULL));

	/* SLAAC from the router advertisements, in the bridge's /64 */
	nfc_lab_wait_sh(f->lab, f->client, 10000,
			"ip -6 addr show dev c0 scope global | grep -q 'inet6 fd00:77::'");

	/* port 53 only on the bridge's addresses */
	udp = nfc_lab_sh_output(f->lab, NULL, "ss -Hlnu 'sport = :53'");
	tcp = nfc_lab_sh_output(f->lab, NULL, "ss -Hlnt 'sport = :53'");
	g_assert_nonnull(strstr(udp, "192.168.77.1:53"));
	g_assert_nonnull(strstr(tcp, "192.168.77.1:53"));
	g_assert_nonnull(strstr(udp, "[fd00:77::1]:53"));
	for (const char *t = udp; t; t = t == udp ? tcp : NULL) {
		g_assert_null(strstr(t, "0.0.0.0:53"));
		g_assert_null(strstr(t, "*:53"));
		g_assert_null(strstr(t, "[::]:53"));
		g_assert_null(strstr(t, "10.99."));
		g_assert_null(strstr(t, "127.0.0.1"));
	}

	/* DNS through the first upstream */
	answer = lookup(f);
	g_assert_nonnull(strstr(answer, "203.0.113.7"));
	g_clear_pointer(&answer, g_free);

	/* the second upstream: same process, answered the new way; the
	 * bogus entry never reaches the file */
	t0 = g_get_monotonic_time();
	nfc_dnsmasq_set_servers(f->dm, servers2);
	g_assert_true(g_file_get_contents(f->config.servers_path, &servers_text, NULL, NULL));
	g_assert_nonnull(strstr(servers_text, "server=" UPSTREAM2 "\n"));
	g_assert_null(strstr(servers_text, "1.1.1.1"));
	g_assert_null(strstr(servers_text, UPSTREAM1));
	nfc_lab_wait_sh(f->lab, f->client, 5000,
			"busybox nslookup -type=a example.test 192.168.77.1 | grep -q 203.0.113.8");
	g_test_message("set_servers to the new upstream answering: %.1f ms",
		       (g_get_monotonic_time() - t0) / 1000.0);
	g_assert_cmpint(nfc_dnsmasq_get_pid(f->dm), ==, pid);
	g_assert_cmpuint(f->ready, ==, 1);

	/* SIGKILL: restarted with a new pid, the client renews into the
	 * same address (the leases outlived the process) */
	w.old = pid;
	t0 = g_get_monotonic_time();
	g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
	g_assert_true(nfc_lab_wait_for(restarted, &w, 5000));
	g_test_message("SIGKILL to ready again: %.1f ms", (g_get_monotonic_time() - t0) / 1000.0);
	pid = nfc_dnsmasq_get_pid(f->dm);
	renewed = udhcpc(f);
	g_assert_cmpstr(renewed, ==, lease);
	/* the servers file survived the restart too */
	nfc_lab_wait_sh(f->lab, f->client, 5000,
			"busybox nslookup -type=a example.test 192.168.77.1 | grep -q 203.0.113.8");

	/* stop: no process, our files gone, the leases kept */
	g_clear_pointer(&f->dm, nfc_dnsmasq_stop);
	g_assert_true(nfc_lab_wait_for(process_gone, GINT_TO_POINTER(pid), 2000));
	g_assert_false(g_file_test(f->config.conf_path, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(f->config.servers_path, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(f->config.pid_path, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_get_contents(f->config.leases_path, &leases_text, NULL, NULL));
	g_assert_nonnull(strstr(leases_text, CLIENT_MAC));
}

/* A link-local upstream with its zone (RDNSS gives such ones) is written
 * with it, and dnsmasq reaches it through that interface; a zone on a
 * global address, or one dnsmasq would misparse, never reaches the file. */
static void test_link_local(Fixture *f, gconstpointer data)
{
	const char *servers[] = { "fe80::1:2%u1", "2001:db8::1%u1", "fe80::9%u1#53",
				  "fe80::9%u1@u2", NULL };
	g_autofree char *text = NULL;
	g_autofree char *lease = NULL;
	g_autofree char *answer = NULL;

	start(f, servers);
	g_assert_true(g_file_get_contents(f->config.servers_path, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "\nserver=fe80::1:2%u1\n"));
	g_assert_null(strstr(text, "2001:db8::1"));
	g_assert_null(strstr(text, "fe80::9"));
	/* a tethered client (with its lease) asks; up1 alone answers .7 */
	lease = udhcpc(f);
	answer = lookup(f);
	g_assert_nonnull(strstr(answer, "203.0.113.7"));
}

static gboolean log_says_ready(gpointer data)
{
	Fixture *f = data;
	g_autofree char *log = nfc_lab_log(f->lab, "stale");

	return strstr(log, "DHCP, IP range") != NULL;
}

static void test_stale(Fixture *f, gconstpointer data)
{
	g_autofree char *text = nfc_dnsmasq_config_text(&f->config);
	g_autofree char *conf_arg = g_strdup_printf("--conf-file=%s", f->config.conf_path);
	g_autofree char *pid_text = NULL;
	const char *argv[] = { "dnsmasq", conf_arg, "--keep-in-foreground", "--log-facility=-",
			       "--pid-file=", NULL };
	const char *sleep_argv[] = { "sleep", "600", NULL };
	GPid pid, other;

	g_assert_true(g_file_set_contents(f->config.conf_path, text, -1, NULL));
	g_assert_true(g_file_set_contents(f->config.servers_path, "", -1, NULL));

	/* a pid file naming something else: left alone, the file removed */
	other = nfc_lab_spawn(f->lab, f->tr, "sleep", sleep_argv);
	pid_text = g_strdup_printf("%d\n", other);
	g_assert_true(g_file_set_contents(f->config.pid_path, pid_text, -1, NULL));
	nfc_dnsmasq_kill_stale(f->config.pid_path, f->config.conf_path);
	g_assert_cmpint(kill(other, 0), ==, 0);
	g_assert_false(g_file_test(f->config.pid_path, G_FILE_TEST_EXISTS));
	nfc_lab_stop(f->lab, other, SIGTERM, 2000, NULL);

	/* an earlier nfconnd's dnsmasq, still serving */
	pid = nfc_lab_spawn(f->lab, f->tr, "stale", argv);
	g_assert_true(nfc_lab_wait_for(log_says_ready, f, 10000));
	g_clear_pointer(&pid_text, g_free);
	pid_text = g_strdup_printf("%d\n", pid);
	g_assert_true(g_file_set_contents(f->config.pid_path, pid_text, -1, NULL));
	nfc_dnsmasq_kill_stale(f->config.pid_path, f->config.conf_path);
	g_assert_true(process_gone(GINT_TO_POINTER(pid)));
	g_assert_false(g_file_test(f->config.pid_path, G_FILE_TEST_EXISTS));
	nfc_lab_stop(f->lab, pid, SIGTERM, 2000, NULL);

	/* no pid file at all: nothing happens */
	nfc_dnsmasq_kill_stale(f->config.pid_path, f->config.conf_path);
}

static gboolean helper_said_pid(gpointer data)
{
	GString *out = data;

	return strchr(out->str, '\n') != NULL;
}

static gboolean read_helper(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	char buf[64];
	/* not g_io_channel_read_chars: it blocks until its buffer is full */
	ssize_t n = read(g_io_channel_unix_get_fd(ch), buf, sizeof(buf));

	if (n <= 0)
		return G_SOURCE_REMOVE;
	g_string_append_len(data, buf, n);
	return G_SOURCE_CONTINUE;
}

static void test_parent_death(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GIOChannel) ch = NULL;
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	const char *argv[] = { self, "--supervise", f->dir, NULL };
	int in_fd, out_fd, status;
	guint watch;
	GPid helper, pid;

	helper = nfc_lab_spawn_pipes(f->lab, f->tr, "supervisor", argv, &in_fd, &out_fd);
	ch = g_io_channel_unix_new(out_fd);
	g_io_channel_set_close_on_unref(ch, TRUE);
	g_io_channel_set_encoding(ch, NULL, NULL);
	watch = g_io_add_watch(ch, G_IO_IN | G_IO_HUP, read_helper, out);
	g_assert_true(nfc_lab_wait_for(helper_said_pid, out, 10000));
	g_source_remove(watch);
	pid = atoi(out->str);
	g_assert_cmpint(pid, >, 1);
	g_assert_false(process_gone(GINT_TO_POINTER(pid)));

	status = nfc_lab_stop(f->lab, helper, SIGKILL, 2000, NULL);
	g_assert_true(WIFSIGNALED(status));
	close(in_fd);
	g_assert_true(nfc_lab_wait_for(process_gone, GINT_TO_POINTER(pid), 3000));
}

static gboolean has_failed(gpointer data)
{
	return ((Fixture *)data)->failed > 0;
}

/* five attempts that never become ready, then failed */
static void test_gives_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 t0 = g_get_monotonic_time();

	f->config.binary = g_strdup("/bin/false");
	f->dm = nfc_dnsmasq_start(&f->config, NULL, &events, f, &error);
	g_assert_no_error(error);
	g_assert_true(nfc_lab_wait_for(has_failed, f, 10000));
	/* 0.1 + 0.2 + 0.4 + 0.8 s between the five attempts */
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 1500 * 1000);
	g_assert_cmpuint(f->ready, ==, 0);
	g_assert_nonnull(strstr(f->failure, "5 times"));
	g_assert_cmpint(nfc_dnsmasq_get_pid(f->dm), ==, 0);
}

static gboolean second_attempt(gpointer data)
{
	PidWait *w = data;
	GPid pid = nfc_dnsmasq_get_pid(w->f->dm);

	return pid && pid != w->old;
}

/* a dnsmasq that never says it is ready is killed and started again */
static void test_ready_timeout(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *script = g_build_filename(f->dir, "silent.sh", NULL);
	PidWait w = { f, 0 };
	gint64 t0;

	g_assert_true(g_file_set_contents(script, "#!/bin/sh\nexec sleep 600\n", -1, NULL));
	g_assert_cmpint(chmod(script, 0755), ==, 0);
	f->config.binary = g_strdup(script);
	f->dm = nfc_dnsmasq_start(&f->config, NULL, &events, f, &error);
	g_assert_no_error(error);
	t0 = g_get_monotonic_time();
	w.old = nfc_dnsmasq_get_pid(f->dm);
	g_assert_cmpint(w.old, >, 0);
	g_assert_true(nfc_lab_wait_for(second_attempt, &w, 15000));
	/* 10 s, then the first backoff */
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 10000 * 1000);
	g_assert_true(nfc_lab_wait_for(process_gone, GINT_TO_POINTER(w.old), 2000));
	g_assert_cmpuint(f->ready, ==, 0);
	g_assert_cmpuint(f->failed, ==, 0);
}

/* Started while the bridge has no port (no carrier, its IPv6 address
 * still tentative): ready anyway, and port 53 on that address once it is
 * usable (bind-dynamic). */
static void test_no_carrier(Fixture *f, gconstpointer data)
{
	g_autofree char *udp = NULL;
	g_autofree char *lease = NULL;

	nfc_lab_sh(f->lab, NULL,
		   "ip link set port0 nomaster && ip addr del fd00:77::1/64 dev tether && "
		   "ip addr add fd00:77::1/64 dev tether");
	nfc_lab_wait_sh(f->lab, NULL, 5000, "ip link show tether | grep -q NO-CARRIER");
	start(f, NULL);
	udp = nfc_lab_sh_output(f->lab, NULL, "ss -Hlnu 'sport = :53'");
	g_assert_nonnull(strstr(udp, "192.168.77.1:53"));
	g_assert_null(strstr(udp, "[fd00:77::1]:53"));
	nfc_lab_sh(f->lab, NULL, "ip link set port0 master tether");
	nfc_lab_wait_sh(f->lab, NULL, 10000, "ss -Hlnu 'sport = :53' | grep -qF '[fd00:77::1]:53'");
	lease = udhcpc(f);
	g_assert_true(g_str_has_prefix(lease, "ip=192.168.77."));
	g_assert_cmpuint(f->ready, ==, 1);
}

/* the helper of test_parent_death */
static int supervise(const char *dir)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GError) error = NULL;
	NfcDnsmasqConfig config;
	NfcDnsmasq *dm;

	fill_config(&config, dir);
	dm = nfc_dnsmasq_start(&config, NULL, NULL, NULL, &error);
	if (!dm) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	printf("%d\n", nfc_dnsmasq_get_pid(dm));
	fflush(stdout);
	g_main_loop_run(loop);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && g_str_equal(argv[1], "--supervise"))
		return supervise(argv[2]);
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	g_test_add("/dnsmasq-run/serve", Fixture, NULL, setup, test_serve, teardown);
	g_test_add("/dnsmasq-run/link-local", Fixture, NULL, setup, test_link_local, teardown);
	g_test_add("/dnsmasq-run/stale", Fixture, NULL, setup, test_stale, teardown);
	g_test_add("/dnsmasq-run/parent-death", Fixture, NULL, setup, test_parent_death, teardown);
	g_test_add("/dnsmasq-run/gives-up", Fixture, NULL, setup, test_gives_up, teardown);
	g_test_add("/dnsmasq-run/no-carrier", Fixture, NULL, setup, test_no_carrier, teardown);
	g_test_add("/dnsmasq-run/ready-timeout", Fixture, NULL, setup, test_ready_timeout,
		   teardown);
	return g_test_run();
}
