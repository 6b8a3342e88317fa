// SPDX-License-Identifier: GPL-2.0-or-later
/* System tests of the firewall backends against the real kernel: the
 * nftables backend (firewall/nft-*.c), and with --backend=iptables the
 * iptables one (firewall/ipt-*.c); the traffic tests are the same code
 * for both, the ruleset tests each look at their own kind of state. The test enters a lab namespace before it creates the
 * backend, so nothing is ever installed in the machine's own namespace;
 * real UDP traffic from processes running as a given uid or in a given
 * cgroup goes to an echo server in a peer namespace, and the per-session
 * counters read through the API must account for exactly it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "firewall.h"
#include "lab.h"

#define UID_A 4242
#define UID_B 4343
#define PEER "198.51.100.2"

static const NfcFirewallConfig default_config = {
	.layout = { .routing_bits = 8, .routing_shift = 16,
		    .session_bits = 16, .session_shift = 0 },
};

static const char *self_path;
static const NfcFirewallOps *backend = &nfc_firewall_nft_ops;
static bool ipt;   /* --backend=iptables */

typedef struct {
	NfcLab *lab;
	const char *ns, *peer;
	int saved_netns;
	NfcFirewall *fw;
	int repaired, repair_error;
} Fixture;

/* ---- waiting for callbacks ------------------------------------------------------ */

typedef struct {
	bool done;
	int error;
	GArray *counters;
} CountersWait;

static void on_counters(int error, const NfcSessionCounters *c, size_t n, void *data)
{
	CountersWait *w = data;

	w->done = true;
	w->error = error;
	w->counters = g_array_new(FALSE, TRUE, sizeof(NfcSessionCounters));
	g_array_append_vals(w->counters, c, n);
}

static gboolean counters_over(gpointer data)
{
	return ((CountersWait *)data)->done;
}

/* The counters of one session (zeros if absent); found tells whether the
 * dump had it. */
static NfcSessionCounters read_counters(Fixture *f, uint32_t session, bool *found)
{
	CountersWait w = { 0 };
	NfcSessionCounters result = { .session = session };

	g_assert_cmpint(nfc_firewall_counters_read(f->fw, on_counters, &w), ==, 0);
	g_assert_true(nfc_lab_wait_for(counters_over, &w, 30000));
	g_assert_cmpint(w.error, ==, 0);
	if (found)
		*found = false;
	for (guint i = 0; i < w.counters->len; i++) {
		NfcSessionCounters *c = &g_array_index(w.counters, NfcSessionCounters, i);

		if (c->session == session) {
			result = *c;
			if (found)
				*found = true;
		}
	}
	g_array_unref(w.counters);
	return result;
}

/* ---- fixture ------------------------------------------------------------------ */

static void on_event(NfcFirewallEvent event, int error, void *data)
{
	Fixture *f = data;

	g_assert_cmpint(event, ==, NFC_FIREWALL_EVENT_REPAIRED);
	f->repaired++;
	f->repair_error = error;
}

static void fw_start(Fixture *f, const NfcFirewallConfig *config)
{
	NfcLabWait w = { .pending = 1 };

	g_assert_cmpint(nfc_firewall_new(backend, config, &f->fw), ==, 0);
	nfc_firewall_set_event_func(f->fw, on_event, f);
	g_assert_cmpint(nfc_firewall_init(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	f->lab = nfc_lab_new();
	f->ns = nfc_lab_add_netns(f->lab, "host");
	f->peer = nfc_lab_add_netns(f->lab, "peer");
	nfc_lab_add_veth(f->lab, f->ns, "veth0", f->peer, "veth1");
	nfc_lab_sh(f->lab, f->ns, "ip addr add 198.51.100.1/24 dev veth0 && ip link set veth0 up");
	nfc_lab_sh(f->lab, f->peer, "ip addr add 198.51.100.2/24 dev veth1 && ip link set veth1 up");
	/* the backend opens its sockets in the namespace it is created in */
	f->saved_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->saved_netns, >=, 0);
	nfc_lab_enter_netns(f->ns);
	fw_start(f, data ? data : &default_config);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->fw, nfc_firewall_free);
	g_assert_cmpint(setns(f->saved_netns, CLONE_NEWNET), ==, 0);
	close(f->saved_netns);
	nfc_lab_free(f->lab);
}

/* ---- looking at the ruleset ------------------------------------------------------ */

static unsigned int count_substr(const char *haystack, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *table_json(Fixture *f)
{
	return nfc_lab_sh_output(f->lab, f->ns, "nft -j list table inet nfconn");
}

static unsigned int rule_count(Fixture *f)
{
	g_autofree char *json = table_json(f);

	return count_substr(json, "{\"rule\": {");
}

/* The elements of a map, as "key : value" pairs of `nft list map`. */
static unsigned int map_size(Fixture *f, const char *map)
{
	g_autofree char *text = nfc_lab_sh_output(f->lab, f->ns, "nft list map inet nfconn %s", map);

	return count_substr(text, " : 0x");
}

static gboolean table_exists(Fixture *f)
{
	if (ipt)
		return nfc_lab_sh_status(f->lab, f->ns, NULL,
					 "iptables-legacy -t mangle -S NFCONN-OUT >/dev/null 2>&1") == 0;
	return nfc_lab_sh_status(f->lab, f->ns, NULL, "nft list table inet nfconn >/dev/null 2>&1") == 0;
}

/* iptables: the number of rules of one chain (tool "iptables" or "ip6tables") */
static unsigned int ipt_chain_rules(Fixture *f, const char *tool, const char *table,
				    const char *chain)
{
	/* (a missing chain has no rules) */
	g_autofree char *text = nfc_lab_sh_output(f->lab, f->ns, "%s-legacy -t %s -S %s 2>/dev/null "
						  "|| true", tool, table, chain);
	g_autofree char *needle = g_strdup_printf("-A %s ", chain);

	return count_substr(text, needle);
}

/* iptables: the counting rules of a counting tree (root "NFCONN-TX" or
 * "NFCONN-RX": the rules that RETURN in its leaf chains) */
static unsigned int ipt_tree_rules(Fixture *f, const char *tool, const char *root)
{
	g_autofree char *text = nfc_lab_sh_output(f->lab, f->ns, "%s-legacy-save -t mangle",
						  tool);
	g_autofree char *pattern = g_strdup_printf("^-A %s-[0-9a-f]+-[0-9a-f]+ -m mark --mark "
						   "[^ ]+ -j RETURN$", root);
	g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_MULTILINE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	unsigned int n = 0;

	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL))
		n++;
	return n;
}

/* iptables: every line of the save output of both families mentioning ours */
static char *ipt_ours(Fixture *f)
{
	return nfc_lab_sh_output(f->lab, f->ns, "{ iptables-legacy-save; ip6tables-legacy-save; } | "
				 "grep NFCONN || true");
}

static uint32_t mark_of(uint32_t routing, uint32_t session)
{
	uint32_t mark = 0;

	g_assert_true(nfc_mark_compose(&default_config.layout, routing, session, &mark));
	return mark;
}

static void identity_add(Fixture *f, const NfcFirewallIdentity *id, uint32_t mark)
{
	NfcLabWait w = { .pending = 1 };

	g_assert_cmpint(nfc_firewall_identity_add(f->fw, id, mark, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
}

static int identity_remove(Fixture *f, const NfcFirewallIdentity *id)
{
	NfcLabWait w = { .pending = 1 };

	g_assert_cmpint(nfc_firewall_identity_remove(f->fw, id, nfc_lab_wait_done, &w), ==, 0);
	return nfc_lab_wait_all(&w);
}

/* ---- traffic ----------------------------------------------------------------------- */

static const char echo_server[] =
	"import socket\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"s.bind(('0.0.0.0', 7777))\n"
	"while True:\n"
	"    d, a = s.recvfrom(4096)\n"
	"    s.sendto(d, a)\n";

/* Sends n datagrams of 100 bytes and waits for each echo; prints how many
 * came back. */
static const char sender[] =
	"import socket, sys\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"s.settimeout(10)\n"
	"got = 0\n"
	"for i in range(int(sys.argv[1])):\n"
	"    s.sendto(b'x' * 100, ('" PEER "', 7777))\n"
	"    try:\n"
	"        s.recvfrom(4096)\n"
	"        got += 1\n"
	"    except OSError:\n"
	"        pass\n"
	"print(got)\n";

static gboolean server_ready(gpointer data)
{
	Fixture *f = data;

	return nfc_lab_sh_status(f->lab, f->peer, NULL, "ss -Huln | grep -q ':7777 '") == 0;
}

static void start_echo_server(Fixture *f)
{
	const char *argv[] = { "/usr/bin/python3", "-c", echo_server, NULL };

	nfc_lab_spawn(f->lab, f->peer, "echo", argv);
	g_assert_true(nfc_lab_wait_for(server_ready, f, 10000));
}

/* Runs the sender as uid (and gid) `uid`, inside cgroup directory `cgroup`
 * if not NULL; asserts every echo came back. */
static void send_as(Fixture *f, unsigned int uid, const char *cgroup, unsigned int n)
{
	g_autofree char *script = g_shell_quote(sender);
	g_autofree char *enter = cgroup ? g_strdup_printf("echo $$ > %s/cgroup.procs && ", cgroup)
					: g_strdup("");
	g_autofree char *out = nfc_lab_sh_output(
		f->lab, f->ns, "%sexec setpriv --reuid=%u --regid=%u --clear-groups /usr/bin/python3 -c %s %u",
		enter, uid, uid, script, n);

	g_assert_cmpuint(g_ascii_strtoull(out, NULL, 10), ==, n);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_init(Fixture *f, gconstpointer data)
{
	g_autofree char *text = nfc_lab_sh_output(f->lab, f->ns, "nft list table inet nfconn");
	g_autofree char *json = table_json(f);

	g_test_message("%s", text);
	g_assert_nonnull(strstr(text, "flags owner"));
	g_assert_nonnull(strstr(text, "type route hook output priority mangle"));
	g_assert_nonnull(strstr(text, "type filter hook prerouting priority mangle"));
	g_assert_nonnull(strstr(text, "type nat hook postrouting priority srcnat"));
	g_assert_nonnull(strstr(text, "set session_counters"));
	g_assert_nonnull(strstr(text, "type mark . mark"));
	/* restore + TX count on output, restore + RX count on prerouting,
	 * masquerade of steered packets on nat_postrouting */
	g_assert_cmpuint(count_substr(json, "{\"rule\": {"), ==, 5);
	g_assert_nonnull(strstr(text, "masquerade"));
	g_assert_nonnull(strstr(text, "meta mark set ct mark & 0x00ffffff"));
	/* nothing of ours in legacy xtables while nftables is in use */
	{
		g_autofree char *xt = nfc_lab_sh_output(f->lab, f->ns, "{ iptables-legacy-save; "
							"ip6tables-legacy-save; } | grep NFCONN || true");

		g_assert_cmpstr(xt, ==, "");
	}

	/* the owner flag: our socket closing takes the table with it */
	g_clear_pointer(&f->fw, nfc_firewall_free);
	g_assert_false(table_exists(f));
}

static void test_rule_count_constant(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID };
	g_autofree char *text = NULL;
	unsigned int rules_one, rules_many;
	NfcLabWait w = { 0 };

	id.id = 10000;
	identity_add(f, &id, mark_of(1, 1));
	rules_one = rule_count(f);
	/* one map lookup rule for the uid slot joins the five base rules */
	g_assert_cmpuint(rules_one, ==, 6);
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 1);

	for (unsigned int i = 1; i < 1000; i++) {
		id.id = 10000 + i;
		w.pending++;
		g_assert_cmpint(nfc_firewall_identity_add(f->fw, &id, mark_of(1 + i % 3, 1 + i),
							  nfc_lab_wait_done, &w), ==, 0);
	}
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	rules_many = rule_count(f);
	g_assert_cmpuint(rules_many, ==, rules_one);
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 1000);

	text = nfc_lab_sh_output(f->lab, f->ns, "nft list map inet nfconn uid_mark");
	g_assert_nonnull(strstr(text, "type uid : mark"));
	g_assert_nonnull(strstr(text, "10999 : 0x000103e8")); /* routing 1 + 999 % 3, session 1000 */

	/* removal is one element, the rules stay as they are */
	id.id = 10500;
	g_assert_cmpint(identity_remove(f, &id), ==, 0);
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 999);
	g_assert_cmpuint(rule_count(f), ==, rules_one);
	g_assert_cmpint(identity_remove(f, &id), ==, -ENOENT);

	/* moving an identity to another mark replaces its element */
	id.id = 10001;
	identity_add(f, &id, mark_of(7, 4000));
	g_clear_pointer(&text, g_free);
	text = nfc_lab_sh_output(f->lab, f->ns, "nft list map inet nfconn uid_mark");
	g_assert_nonnull(strstr(text, "10001 : 0x00070fa0"));
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 999);

	/* a gid identity adds exactly one more lookup rule, once */
	id.kind = NFC_IDENTITY_GID;
	id.id = 20000;
	identity_add(f, &id, mark_of(1, 5000));
	g_assert_cmpuint(rule_count(f), ==, rules_one + 1);
	id.id = 20001;
	identity_add(f, &id, mark_of(1, 5001));
	g_assert_cmpuint(rule_count(f), ==, rules_one + 1);
	g_assert_cmpuint(map_size(f, "gid_mark"), ==, 2);
}

static void test_uid_traffic(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	NfcSessionCounters c;
	bool found;

	start_echo_server(f);
	identity_add(f, &id, mark_of(1, 7));
	c = read_counters(f, 7, &found);
	g_assert_true(found);
	g_assert_cmpuint(c.tx_packets, ==, 0);

	send_as(f, UID_A, NULL, 10);
	c = read_counters(f, 7, NULL);
	g_test_message("session 7: tx %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
		       " rx %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
		       c.tx_packets, c.tx_bytes, c.rx_packets, c.rx_bytes);
	g_assert_cmpuint(c.tx_packets, ==, 10);
	/* 100 bytes of payload plus the IPv4 and UDP headers each */
	g_assert_cmpuint(c.tx_bytes, ==, 10 * 128);
	/* replies are counted through the mark restored from ct mark */
	g_assert_cmpuint(c.rx_packets, ==, 10);
	g_assert_cmpuint(c.rx_bytes, ==, 10 * 128);

	/* another uid is not counted for this session */
	send_as(f, UID_B, NULL, 5);
	c = read_counters(f, 7, NULL);
	g_assert_cmpuint(c.tx_packets, ==, 10);
	g_assert_cmpuint(c.rx_packets, ==, 10);

	/* and after removal neither is uid A any more */
	g_assert_cmpint(identity_remove(f, &id), ==, 0);
	read_counters(f, 7, &found);
	g_assert_false(found);
	identity_add(f, &id, mark_of(2, 8));
	send_as(f, UID_A, NULL, 3);
	c = read_counters(f, 8, NULL);
	g_assert_cmpuint(c.tx_packets, ==, 3);
	g_assert_cmpuint(c.rx_packets, ==, 3);
}

static void test_cgroup_traffic(Fixture *f, gconstpointer data)
{
	g_autofree char *cgroup = g_strdup_printf("%s/nfconn-test-%d", nfc_cgroup2_mount(), getpid());
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_CGROUP, .cgroup_path = cgroup };
	NfcFirewallIdentity uid = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	NfcSessionCounters c;
	g_autofree char *text = NULL;
	uint64_t cgid;
	unsigned int level;

	if (g_mkdir(cgroup, 0755) < 0) {
		g_test_skip("cannot create a cgroup v2 directory");
		return;
	}
	g_assert_cmpint(nfc_cgroup_resolve(cgroup, &cgid, &level), ==, 0);
	g_assert_cmpuint(level, ==, 1);
	start_echo_server(f);
	identity_add(f, &id, mark_of(3, 9));
	/* the uid would match too: the cgroup lookup comes first */
	identity_add(f, &uid, mark_of(1, 7));
	if (ipt)
		text = nfc_lab_sh_output(f->lab, f->ns, "iptables-legacy -t mangle -S NFCONN-CGROUP");
	else
		text = nfc_lab_sh_output(f->lab, f->ns, "nft list table inet nfconn");
	g_assert_nonnull(strstr(text, ipt ? "-m cgroup --path" : "socket cgroupv2 level 1"));

	send_as(f, UID_A, cgroup, 6);
	c = read_counters(f, 9, NULL);
	g_assert_cmpuint(c.tx_packets, ==, 6);
	g_assert_cmpuint(c.rx_packets, ==, 6);
	c = read_counters(f, 7, NULL);
	g_assert_cmpuint(c.tx_packets, ==, 0);

	/* outside the cgroup, the same uid is counted for its own session */
	send_as(f, UID_A, NULL, 4);
	c = read_counters(f, 7, NULL);
	g_assert_cmpuint(c.tx_packets, ==, 4);
	c = read_counters(f, 9, NULL);
	g_assert_cmpuint(c.tx_packets, ==, 6);

	g_assert_cmpint(identity_remove(f, &id), ==, 0);
	if (ipt)
		g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-CGROUP"), ==, 0);
	else
		g_assert_cmpuint(map_size(f, "cgroup_mark_L1"), ==, 0);
	g_assert_cmpint(g_rmdir(cgroup), ==, 0);
}

static void test_tamper_owner(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	g_autofree char *out = NULL;

	identity_add(f, &id, mark_of(1, 7));
	/* With the owner flag the kernel protects the table: `nft flush
	 * ruleset` skips tables owned by another socket, and deleting it
	 * from another process fails with EPERM. */
	nfc_lab_sh(f->lab, f->ns, "nft flush ruleset");
	g_assert_true(table_exists(f));
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 1);
	g_assert_cmpint(nfc_lab_sh_status(f->lab, f->ns, &out,
					  "nft delete table inet nfconn 2>&1"), !=, 0);
	g_assert_nonnull(strstr(out, "Operation not permitted"));
	g_assert_true(table_exists(f));
	g_assert_cmpuint(rule_count(f), ==, 6);
	g_assert_cmpint(f->repaired, ==, 0);
}

static gboolean repaired_once_more(gpointer data)
{
	Fixture *f = data;

	return f->repaired > 0;
}

static void test_tamper_repair(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	NfcFirewallNat nat = { .prefixlen = 24, .ifname = "veth0" };
	unsigned int rules;
	NfcLabWait w = { .pending = 1 };

	/* without the owner flag anybody can break our table: the watch must
	 * notice and put everything back, identities included */
	inet_pton(AF_INET, "203.0.113.0", &nat.subnet);
	identity_add(f, &id, mark_of(1, 7));
	g_assert_cmpint(nfc_firewall_nat_add(f->fw, &nat, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	rules = rule_count(f);
	/* five base rules, the uid lookup, the tether masquerade */
	g_assert_cmpuint(rules, ==, 7);

	nfc_lab_sh(f->lab, f->ns, "nft flush ruleset");
	g_assert_true(nfc_lab_wait_for(repaired_once_more, f, 10000));
	g_assert_cmpint(f->repair_error, ==, 0);
	g_assert_true(table_exists(f));
	g_assert_cmpuint(rule_count(f), ==, rules);
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 1);

	f->repaired = 0;
	nfc_lab_sh(f->lab, f->ns, "nft delete table inet nfconn");
	g_assert_true(nfc_lab_wait_for(repaired_once_more, f, 10000));
	g_assert_cmpint(f->repair_error, ==, 0);
	g_assert_cmpuint(rule_count(f), ==, rules);
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 1);

	/* a changed rule set is repaired too */
	f->repaired = 0;
	nfc_lab_sh(f->lab, f->ns, "nft flush chain inet nfconn output");
	g_assert_true(nfc_lab_wait_for(repaired_once_more, f, 10000));
	g_assert_cmpuint(rule_count(f), ==, rules);

	/* and the repaired state works: traffic is still counted */
	start_echo_server(f);
	send_as(f, UID_A, NULL, 2);
	g_assert_cmpuint(read_counters(f, 7, NULL).tx_packets, ==, 2);

	/* our own cleanup is not mistaken for tampering */
	f->repaired = 0;
	w.pending = 1;
	g_assert_cmpint(nfc_firewall_cleanup(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	g_assert_false(table_exists(f));
	/* no repair follows: the kernel queued our cleanup's events on the
	 * monitor socket before it answered, and a repair would start 20 ms
	 * after the monitor read them. Nothing marks the moment one can no
	 * longer come, so watch for ten times that, dispatching (a sleep
	 * would leave the monitor and its timer unread) */
	nfc_lab_observe_for(200);
	g_assert_cmpint(f->repaired, ==, 0);
	g_assert_false(table_exists(f));
}

static void test_cleanup_and_reinit(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	NfcLabWait w = { .pending = 1 };

	identity_add(f, &id, mark_of(1, 7));
	g_assert_cmpint(nfc_firewall_cleanup(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	g_assert_false(table_exists(f));

	/* init again installs the identities still known */
	w.pending = 1;
	g_assert_cmpint(nfc_firewall_init(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	if (ipt) {
		g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID"), ==, 1);
		g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "mangle", "NFCONN-UID"), ==, 1);
		return;
	}
	g_assert_cmpuint(map_size(f, "uid_mark"), ==, 1);
	g_assert_cmpuint(rule_count(f), ==, 6);
}

/* The masquerade entries as the backend lists them, and how it shows
 * one of them. */
static char *nat_text(Fixture *f)
{
	return nfc_lab_sh_output(f->lab, f->ns, ipt ? "iptables-legacy -t nat -S NFCONN-POST"
					     : "nft list chain inet nfconn nat_postrouting");
}

static char *nat_entry(const char *subnet)
{
	return ipt ? g_strdup_printf("-A NFCONN-POST -s %s -o veth0 -j MASQUERADE\n", subnet)
		   : g_strdup_printf("oifname \"veth0\" ip saddr %s masquerade", subnet);
}

static void test_nat(Fixture *f, gconstpointer data)
{
	NfcFirewallNat a = { .prefixlen = 24, .ifname = "veth0" };
	NfcFirewallNat b = { .prefixlen = 26, .ifname = "veth0" };
	g_autofree char *entry_a = nat_entry("203.0.113.0/24");
	g_autofree char *entry_b = nat_entry("203.0.113.64/26");
	g_autofree char *text = NULL;
	NfcLabWait w = { .pending = 2 };

	inet_pton(AF_INET, "203.0.113.0", &a.subnet);
	inet_pton(AF_INET, "203.0.113.64", &b.subnet);
	g_assert_cmpint(nfc_firewall_nat_add(f->fw, &a, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_firewall_nat_add(f->fw, &b, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	text = nat_text(f);
	g_test_message("%s", text);
	g_assert_nonnull(strstr(text, entry_a));
	g_assert_nonnull(strstr(text, entry_b));
	/* IPv4 entries: the IPv6 chain masquerades steered packets only */
	if (ipt)
		g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "nat", "NFCONN-POST"), ==, 1);

	w.pending = 1;
	g_assert_cmpint(nfc_firewall_nat_remove(f->fw, &a, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	g_clear_pointer(&text, g_free);
	text = nat_text(f);
	g_assert_null(strstr(text, "203.0.113.0/24"));
	g_assert_nonnull(strstr(text, entry_b));
	w.pending = 1;
	g_assert_cmpint(nfc_firewall_nat_remove(f->fw, &a, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, -ENOENT);
}

static gboolean table_appeared(gpointer data)
{
	return table_exists(data);
}

static void test_owner_killed(Fixture *f, gconstpointer data)
{
	const char *argv[] = { self_path, "--owner-helper", NULL, NULL };
	GPid pid;

	/* the fixture's own table is in the way of a second owner */
	g_clear_pointer(&f->fw, nfc_firewall_free);
	g_assert_false(table_exists(f));
	pid = nfc_lab_spawn(f->lab, f->ns, "owner-helper", argv);
	g_assert_true(nfc_lab_wait_for(table_appeared, f, 10000));
	/* a second owner is refused while the first one lives */
	{
		NfcLabWait w = { .pending = 1 };

		g_assert_cmpint(nfc_firewall_new(backend, &default_config, &f->fw), ==, 0);
		g_assert_cmpint(nfc_firewall_init(f->fw, nfc_lab_wait_done, &w), ==, 0);
		g_assert_cmpint(nfc_lab_wait_all(&w), ==, -EPERM);
		g_clear_pointer(&f->fw, nfc_firewall_free);
	}
	nfc_lab_stop(f->lab, pid, SIGKILL, 10000, NULL);
	/* the owner died without a word: the kernel keeps its table as it
	 * was (persist flag), orphaned; a new owner replaces it in one
	 * transaction, and an orderly stop takes it away */
	g_assert_true(table_exists(f));
	g_assert_cmpint(nfc_lab_sh_status(f->lab, f->ns, NULL,
					  "nft list chain inet nfconn output >/dev/null 2>&1"), ==, 0);
	{
		NfcLabWait w = { .pending = 1 };
		g_autofree char *tables = NULL;

		g_assert_cmpint(nfc_firewall_new(backend, &default_config, &f->fw), ==, 0);
		g_assert_cmpint(nfc_firewall_init(f->fw, nfc_lab_wait_done, &w), ==, 0);
		g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
		tables = nfc_lab_sh_output(f->lab, f->ns, "nft list tables");
		g_assert_cmpstr(tables, ==, "table inet nfconn\n");
		/* owned again: nobody else may delete it */
		g_assert_cmpint(nfc_lab_sh_status(f->lab, f->ns, NULL,
						  "nft delete table inet nfconn 2>/dev/null"), !=, 0);
		g_clear_pointer(&f->fw, nfc_firewall_free);
	}
	g_assert_false(table_exists(f));
}

/* The helper process: install the table and wait to be killed. */
static void on_helper_init(int error, void *data)
{
	if (error) {
		fprintf(stderr, "init failed: %s\n", g_strerror(-error));
		_exit(1);
	}
}

static int owner_helper(void)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	NfcFirewall *fw = NULL;

	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_B };

	if (nfc_firewall_new(backend, &default_config, &fw) < 0)
		return 1;
	nfc_firewall_init(fw, on_helper_init, NULL);
	nfc_firewall_identity_add(fw, &id, mark_of(1, 9), on_helper_init, NULL);
	g_main_loop_run(loop);
	return 0;
}

/* ---- the iptables backend's own state ------------------------------------------------- */

static const NfcFirewallConfig check_config = {
	.layout = { .routing_bits = 8, .routing_shift = 16,
		    .session_bits = 16, .session_shift = 0 },
	.check_interval = 1,
};

/* Each built-in chain of ours has exactly one jump in both families. */
static void assert_jumps_once(Fixture *f)
{
	static const char *const jumps[][2] = {
		{ "mangle", "-A OUTPUT -j NFCONN-OUT" },
		{ "mangle", "-A PREROUTING -j NFCONN-PRE" },
		{ "nat", "-A POSTROUTING -j NFCONN-POST" },
	};

	for (guint fam = 0; fam < 2; fam++) {
		for (guint i = 0; i < G_N_ELEMENTS(jumps); i++) {
			g_autofree char *text = nfc_lab_sh_output(
				f->lab, f->ns, "%s-legacy-save -t %s", fam ? "ip6tables" : "iptables",
				jumps[i][0]);
			g_autofree char *line = g_strdup_printf("%s\n", jumps[i][1]);

			g_assert_cmpuint(count_substr(text, line), ==, 1);
		}
	}
}

static void test_ipt_init(Fixture *f, gconstpointer data)
{
	g_autofree char *text = nfc_lab_sh_output(f->lab, f->ns, "iptables-legacy-save");
	g_autofree char *tables = nfc_lab_sh_output(f->lab, f->ns, "nft list tables");
	g_autofree char *left = NULL;

	g_test_message("%s", text);
	g_assert_cmpstr(nfc_firewall_backend_name(f->fw), ==, "iptables");
	assert_jumps_once(f);
	/* restore, the identities behind "not marked", count */
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-OUT"), ==, 3);
	g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "mangle", "NFCONN-OUT"), ==, 3);
	/* the three identity chains, the ct mark save */
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-ID"), ==, 4);
	g_assert_nonnull(strstr(text, "-A NFCONN-OUT -m mark --mark 0x0 -j CONNMARK --restore-mark "
				"--nfmask 0xffffff --ctmask 0xffffff"));
	g_assert_nonnull(strstr(text, "-A NFCONN-POST -m mark ! --mark 0x0/0xff0000 -j MASQUERADE"));
	/* no filter chains without tethering, nothing of ours in nf_tables */
	g_assert_null(strstr(text, "NFCONN-FWD"));
	g_assert_null(strstr(tables, "nfconn"));

	/* an orderly stop (the backend's end) takes everything away */
	g_clear_pointer(&f->fw, nfc_firewall_free);
	left = ipt_ours(f);
	g_assert_cmpstr(left, ==, "");
}

static void test_ipt_foreign(Fixture *f, gconstpointer data)
{
	static const char foreign[] =
		"iptables-legacy -t mangle -A OUTPUT -p udp --dport 9999 -j MARK --set-mark 0x5 && "
		"iptables-legacy -t nat -A POSTROUTING -o veth9 -j MASQUERADE && "
		"ip6tables-legacy -t mangle -A PREROUTING -p tcp --dport 9999 -j ACCEPT";
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	g_autofree char *before = NULL, *after = NULL, *left = NULL;
	NfcLabWait w = { .pending = 1 };

	/* rules of others, there before our init */
	g_clear_pointer(&f->fw, nfc_firewall_free);
	nfc_lab_sh(f->lab, f->ns, "%s", foreign);
	before = nfc_lab_sh_output(f->lab, f->ns, "{ iptables-legacy-save; ip6tables-legacy-save; } "
				   "| grep -e '^-A' | grep -v NFCONN");
	fw_start(f, &default_config);
	identity_add(f, &id, mark_of(1, 7));
	assert_jumps_once(f);

	/* their rules are still there as they were */
	after = nfc_lab_sh_output(f->lab, f->ns, "{ iptables-legacy-save; ip6tables-legacy-save; } "
				  "| grep -e '^-A' | grep -v NFCONN");
	g_assert_cmpstr(after, ==, before);

	/* a packet somebody else marked before us is not ours: not steered,
	 * not counted, still delivered */
	start_echo_server(f);
	nfc_lab_sh(f->lab, f->ns, "iptables-legacy -t mangle -I OUTPUT 1 -m owner --uid-owner %u "
		   "-j MARK --set-mark 0x5", UID_A);
	send_as(f, UID_A, NULL, 3);
	g_assert_cmpuint(read_counters(f, 7, NULL).tx_packets, ==, 0);
	nfc_lab_sh(f->lab, f->ns, "iptables-legacy -t mangle -D OUTPUT 1");
	send_as(f, UID_A, NULL, 2);
	g_assert_cmpuint(read_counters(f, 7, NULL).tx_packets, ==, 2);

	/* a repair and a cleanup keep them too */
	nfc_lab_sh(f->lab, f->ns, "iptables-legacy -t mangle -D OUTPUT -j NFCONN-OUT");
	g_assert_cmpint(nfc_firewall_init(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	assert_jumps_once(f);
	g_clear_pointer(&after, g_free);
	after = nfc_lab_sh_output(f->lab, f->ns, "{ iptables-legacy-save; ip6tables-legacy-save; } "
				  "| grep -e '^-A' | grep -v NFCONN");
	g_assert_cmpstr(after, ==, before);
	w.pending = 1;
	g_assert_cmpint(nfc_firewall_cleanup(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	left = ipt_ours(f);
	g_assert_cmpstr(left, ==, "");
	g_clear_pointer(&after, g_free);
	after = nfc_lab_sh_output(f->lab, f->ns, "{ iptables-legacy-save; ip6tables-legacy-save; } "
				  "| grep -e '^-A' | grep -v NFCONN");
	g_assert_cmpstr(after, ==, before);
}

static void test_ipt_rules(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID };
	g_autofree char *text = NULL;
	NfcLabWait w = { 0 };
	gint64 t0;

	/* a thousand identities, queued at once: coalesced into few restores */
	t0 = g_get_monotonic_time();
	for (unsigned int i = 0; i < 1000; i++) {
		id.id = 10000 + i;
		w.pending++;
		g_assert_cmpint(nfc_firewall_identity_add(f->fw, &id, mark_of(1 + i % 3, 1 + i),
							  nfc_lab_wait_done, &w), ==, 0);
	}
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	g_test_message("1000 identities queued at once: %.1f ms",
		       (g_get_monotonic_time() - t0) / 1000.0);
	/* one identity rule each, one counting rule per session and direction */
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID"), ==, 1000);
	g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "mangle", "NFCONN-UID"), ==, 1000);
	g_assert_cmpuint(ipt_tree_rules(f, "iptables", "NFCONN-TX"), ==, 1000);
	g_assert_cmpuint(ipt_tree_rules(f, "iptables", "NFCONN-RX"), ==, 1000);
	g_assert_cmpuint(ipt_tree_rules(f, "ip6tables", "NFCONN-TX"), ==, 1000);
	/* in a tree: sessions 1..1000 are values 0x1..0x3e8, so the root
	 * has 4 gotos (0x000-0x3ff by 256), a leaf at most 16 rules */
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX"), ==, 4);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX-3"), ==, 15);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX-3-e"), ==, 9);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX-0-0"), ==, 15);
	text = nfc_lab_sh_output(f->lab, f->ns, "iptables-legacy -t mangle -S NFCONN-UID");
	g_assert_nonnull(strstr(text, "-A NFCONN-UID -m mark --mark 0x0 -m owner --uid-owner 10999 "
				"-j MARK --set-xmark 0x103e8/0xffffff\n"));

	/* one change at 1000: removal is one rule (and its session's two) */
	id.id = 10500;
	t0 = g_get_monotonic_time();
	g_assert_cmpint(identity_remove(f, &id), ==, 0);
	g_test_message("one removal at 1000 identities: %.1f ms",
		       (g_get_monotonic_time() - t0) / 1000.0);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID"), ==, 999);
	g_assert_cmpuint(ipt_tree_rules(f, "iptables", "NFCONN-TX"), ==, 999);
	g_assert_cmpint(identity_remove(f, &id), ==, -ENOENT);
	/* the last sessions of a leaf go: so do the leaf and its goto, in
	 * both directions and families (sessions 0x3e0-0x3e8) */
	for (unsigned int i = 0x3df; i <= 0x3e7; i++) {
		id.id = 10000 + i;
		g_assert_cmpint(identity_remove(f, &id), ==, 0);
	}
	g_assert_cmpuint(ipt_tree_rules(f, "iptables", "NFCONN-TX"), ==, 990);
	g_assert_cmpuint(ipt_tree_rules(f, "ip6tables", "NFCONN-RX"), ==, 990);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX-3"), ==, 14);
	g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "mangle", "NFCONN-RX-3"), ==, 14);
	g_assert_cmpint(nfc_lab_sh_status(f->lab, f->ns, NULL, "iptables-legacy -t mangle -S "
					  "NFCONN-TX-3-e >/dev/null 2>&1"), !=, 0);

	/* moving an identity to another mark replaces its rule */
	id.id = 10001;
	t0 = g_get_monotonic_time();
	identity_add(f, &id, mark_of(7, 4000));
	g_test_message("one move at 1000 identities: %.1f ms",
		       (g_get_monotonic_time() - t0) / 1000.0);
	g_clear_pointer(&text, g_free);
	text = nfc_lab_sh_output(f->lab, f->ns, "iptables-legacy -t mangle -S NFCONN-UID");
	g_assert_nonnull(strstr(text, "--uid-owner 10001 -j MARK --set-xmark 0x70fa0/0xffffff\n"));
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID"), ==, 990);
	/* its session, 0xfa0, has new chains of its own; 0x2 left its leaf */
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX"), ==, 5);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX-f-a"), ==, 1);
	g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "mangle", "NFCONN-RX-f-a"), ==, 1);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-TX-0-0"), ==, 14);

	id.kind = NFC_IDENTITY_GID;
	id.id = 20000;
	identity_add(f, &id, mark_of(1, 5000));
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-GID"), ==, 1);
	/* the periodic check finds nothing to repair in all this */
	g_assert_cmpint(f->repaired, ==, 0);
}

static void test_ipt_tamper(Fixture *f, gconstpointer data)
{
	static const char *const tampers[] = {
		"iptables-legacy -t mangle -F NFCONN-UID",
		"iptables-legacy -t mangle -D OUTPUT -j NFCONN-OUT",
		"ip6tables-legacy -t mangle -F NFCONN-OUT",
		"iptables-legacy -t nat -A NFCONN-POST -j ACCEPT",
		"iptables-legacy -t mangle -I PREROUTING -j NFCONN-PRE",
		"iptables-legacy -t nat -D POSTROUTING -j NFCONN-POST && "
		"iptables-legacy -t nat -F NFCONN-POST && iptables-legacy -t nat -X NFCONN-POST",
	};
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	NfcFirewallNat nat = { .prefixlen = 24, .ifname = "veth0" };
	g_autofree char *installed = NULL;
	NfcLabWait w = { .pending = 1 };

	inet_pton(AF_INET, "203.0.113.0", &nat.subnet);
	identity_add(f, &id, mark_of(1, 7));
	g_assert_cmpint(nfc_firewall_nat_add(f->fw, &nat, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	installed = ipt_ours(f);
	/* an untouched state is left alone by the checks */
	nfc_lab_observe_for(2500);
	g_assert_cmpint(f->repaired, ==, 0);

	for (guint i = 0; i < G_N_ELEMENTS(tampers); i++) {
		g_autofree char *now = NULL;

		f->repaired = 0;
		nfc_lab_sh(f->lab, f->ns, "%s", tampers[i]);
		g_assert_true(nfc_lab_wait_for(repaired_once_more, f, 10000));
		g_assert_cmpint(f->repair_error, ==, 0);
		now = ipt_ours(f);
		g_test_message("repaired after: %s", tampers[i]);
		g_assert_cmpstr(now, ==, installed);
	}

	/* and the repaired state works: traffic is still counted */
	start_echo_server(f);
	send_as(f, UID_A, NULL, 2);
	g_assert_cmpuint(read_counters(f, 7, NULL).tx_packets, ==, 2);
	g_assert_cmpuint(read_counters(f, 7, NULL).rx_packets, ==, 2);

	/* our own cleanup is not mistaken for tampering */
	f->repaired = 0;
	w.pending = 1;
	g_assert_cmpint(nfc_firewall_cleanup(f->fw, nfc_lab_wait_done, &w), ==, 0);
	g_assert_cmpint(nfc_lab_wait_all(&w), ==, 0);
	nfc_lab_observe_for(2500);
	g_assert_cmpint(f->repaired, ==, 0);
	g_assert_false(table_exists(f));
}

static gboolean helper_rule_there(gpointer data)
{
	Fixture *f = data;

	return ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID") == 1;
}

static void test_ipt_crash(Fixture *f, gconstpointer data)
{
	const char *argv[] = { self_path, "--owner-helper", "--backend=iptables", NULL };
	g_autofree char *left = NULL;
	GPid pid;

	g_clear_pointer(&f->fw, nfc_firewall_free);
	pid = nfc_lab_spawn(f->lab, f->ns, "ipt-helper", argv);
	g_assert_true(nfc_lab_wait_for(helper_rule_there, f, 10000));
	nfc_lab_stop(f->lab, pid, SIGKILL, 10000, NULL);
	/* no owner flag: what the dead one installed stays */
	g_assert_true(table_exists(f));
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID"), ==, 1);

	/* the next start replaces it: its own state only, one jump each */
	fw_start(f, &default_config);
	assert_jumps_once(f);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-UID"), ==, 0);
	g_assert_cmpuint(ipt_chain_rules(f, "ip6tables", "mangle", "NFCONN-UID"), ==, 0);
	g_assert_cmpuint(ipt_chain_rules(f, "iptables", "mangle", "NFCONN-OUT"), ==, 3);
	g_clear_pointer(&f->fw, nfc_firewall_free);
	left = ipt_ours(f);
	g_assert_cmpstr(left, ==, "");
}

/* Sockets marked at creation (the fast path's): one NFCONN-SMAP rule per
 * session with its current mark, kept in step by the in-process way
 * (libiptc) and by a repair's restore alike, each able to delete what
 * the other wrote. */
static const NfcFirewallConfig sock_marks_config = {
	.layout = { .routing_bits = 8, .routing_shift = 16,
		    .session_bits = 16, .session_shift = 0 },
	.check_interval = 1,
	.sock_marks = true,
};

static void assert_smap(Fixture *f, const char *rule)
{
	for (guint fam = 0; fam < 2; fam++) {
		g_autofree char *text = nfc_lab_sh_output(f->lab, f->ns, "%s-legacy -t mangle -S "
							  "NFCONN-SMAP", fam ? "ip6tables" : "iptables");
		g_autofree char *want = rule ? g_strdup_printf("-N NFCONN-SMAP\n%s\n", rule)
					     : g_strdup("-N NFCONN-SMAP\n");

		g_assert_cmpstr(text, ==, want);
	}
}

static void test_ipt_sock_marks(Fixture *f, gconstpointer data)
{
	NfcFirewallIdentity id = { .kind = NFC_IDENTITY_UID, .id = UID_A };
	NfcFirewallIdentity gid = { .kind = NFC_IDENTITY_GID, .id = UID_B };
	g_autofree char *text = NULL, *installed = NULL;

	identity_add(f, &id, mark_of(1, 7));
	text = nfc_lab_sh_output(f->lab, f->ns, "iptables-legacy-save; ip6tables-legacy-save");
	g_test_message("%s", text);
	/* first in NFCONN-OUT: packets with our bits only go to NFCONN-SOCK */
	g_assert_nonnull(strstr(text, "-A NFCONN-OUT -m mark --mark 0x0/0xff000000 -m mark ! "
				"--mark 0x0 -j NFCONN-SOCK\n-A NFCONN-OUT -m mark --mark 0x0 -j "
				"CONNMARK --restore-mark"));
	g_assert_nonnull(strstr(text, "-A NFCONN-SOCK -m connmark --mark 0x0/0xffffff -j "
				"NFCONN-SMAP\n-A NFCONN-SOCK -j CONNMARK --restore-mark --nfmask "
				"0xffffff --ctmask 0xffffff\n"));
	g_assert_cmpuint(count_substr(text, "-A NFCONN-POST -m mark ! --mark 0x0/0xff0000 -m "
				      "addrtype --src-type LOCAL --limit-iface-out -j RETURN\n"
				      "-A NFCONN-POST -m mark ! --mark 0x0/0xff0000 -j MASQUERADE\n"),
			 ==, 2);
	assert_smap(f, "-A NFCONN-SMAP -m mark --mark 0x7/0xffff -j CONNMARK --set-xmark "
		    "0x10007/0xffffff");
	/* a second identity of the same session and mark: still one rule */
	identity_add(f, &gid, mark_of(1, 7));
	assert_smap(f, "-A NFCONN-SMAP -m mark --mark 0x7/0xffff -j CONNMARK --set-xmark "
		    "0x10007/0xffffff");
	/* the session moves to another routing class */
	identity_add(f, &id, mark_of(2, 7));
	identity_add(f, &gid, mark_of(2, 7));
	assert_smap(f, "-A NFCONN-SMAP -m mark --mark 0x7/0xffff -j CONNMARK --set-xmark "
		    "0x20007/0xffffff");
	/* what libiptc wrote reads back as what we expect: nothing to repair */
	nfc_lab_observe_for(2500);
	g_assert_cmpint(f->repaired, ==, 0);

	/* a repair writes the rule by restore; libiptc then removes it */
	installed = ipt_ours(f);
	nfc_lab_sh(f->lab, f->ns, "iptables-legacy -t mangle -F NFCONN-SMAP && "
		   "ip6tables-legacy -t mangle -F NFCONN-SMAP");
	g_assert_true(nfc_lab_wait_for(repaired_once_more, f, 10000));
	g_assert_cmpint(f->repair_error, ==, 0);
	g_clear_pointer(&text, g_free);
	text = ipt_ours(f);
	g_assert_cmpstr(text, ==, installed);
	f->repaired = 0;
	g_assert_cmpint(identity_remove(f, &gid), ==, 0);
	assert_smap(f, "-A NFCONN-SMAP -m mark --mark 0x7/0xffff -j CONNMARK --set-xmark "
		    "0x20007/0xffffff");
	g_assert_cmpint(identity_remove(f, &id), ==, 0);
	assert_smap(f, NULL);
	nfc_lab_observe_for(2500);
	g_assert_cmpint(f->repaired, ==, 0);
}

static const NfcFirewallConfig no_owner_config = {
	.layout = { .routing_bits = 8, .routing_shift = 16,
		    .session_bits = 16, .session_shift = 0 },
	.no_owner = true,
};

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--backend=iptables")) {
			backend = &nfc_firewall_ipt_ops;
			ipt = true;
			/* (g_test_init must not see it) */
			memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(char *));
			argc--;
			i--;
		}
	}
	if (argc == 2 && g_str_equal(argv[1], "--owner-helper"))
		return owner_helper();

	nfc_lab_require_root();
	self_path = argv[0];
	g_test_init(&argc, &argv, NULL);
	if (ipt) {
#define ADD_IPT(path, func, config) \
	g_test_add("/firewall-ipt/" path, Fixture, config, fixture_setup, func, fixture_teardown)
		ADD_IPT("init", test_ipt_init, NULL);
		ADD_IPT("foreign-rules", test_ipt_foreign, NULL);
		ADD_IPT("rules-per-identity", test_ipt_rules, NULL);
		ADD_IPT("uid-traffic", test_uid_traffic, NULL);
		ADD_IPT("cgroup-traffic", test_cgroup_traffic, NULL);
		ADD_IPT("tamper-repair", test_ipt_tamper, &check_config);
		ADD_IPT("cleanup-and-reinit", test_cleanup_and_reinit, NULL);
		ADD_IPT("nat", test_nat, NULL);
		ADD_IPT("crash-leftovers", test_ipt_crash, NULL);
		ADD_IPT("sock-marks", test_ipt_sock_marks, &sock_marks_config);
		return g_test_run();
	}
#define ADD(path, func, config) \
	g_test_add("/firewall-nft/" path, Fixture, config, fixture_setup, func, fixture_teardown)
	ADD("init", test_init, NULL);
	ADD("rule-count-constant", test_rule_count_constant, NULL);
	ADD("uid-traffic", test_uid_traffic, NULL);
	ADD("cgroup-traffic", test_cgroup_traffic, NULL);
	ADD("tamper-owner", test_tamper_owner, NULL);
	ADD("tamper-repair", test_tamper_repair, &no_owner_config);
	ADD("cleanup-and-reinit", test_cleanup_and_reinit, NULL);
	ADD("nat", test_nat, NULL);
	ADD("owner-killed", test_owner_killed, NULL);
	return g_test_run();
}
