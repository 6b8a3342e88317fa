// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: kernel state of ours taken away from outside. An app
 * (uid A) is pinned by a policy to the uplink that is NOT the main
 * table's default, so a leak shows: its packets would reach the other
 * router. Counters in the router namespaces tell which uplink each
 * datagram took. ip rules and routes deleted or changed from outside come
 * back (§4); a SIGKILLed nfconnd leaves its steering working until the
 * next start replaces it (§5). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <unistd.h>

#include "session-driver.h"
#include "uplinks.h"

#define UID_A 38   /* Debian's "list" */
#define PORT 9999
/* main.conf's defaults: our rules from 7000, class 1's unreachable at 7008 */
#define PREF_RUNG 7000
#define PREF_UNREACHABLE 7008
/* how long a repair may take: 20 ms debounce, a dump, the re-adds */
#define REPAIR_MS 2000

typedef struct {
	Uplinks u;
	char *sender;
	int pinned;    /* the uplink A is pinned to */
	int other;     /* the main table's */
	SessionClient *a;
} Fixture;

typedef struct {
	Fixture *f;
	const char *id;
	gsize from;
} Wait;

static gboolean policy_loaded(gpointer data)
{
	Wait *w = data;
	g_autofree char *log = nfc_lab_log(w->f->u.lab, "nfconnd");

	return strlen(log) >= w->from && strstr(log + w->from, "session policies: 1 files");
}


static guint64 router_count(Fixture *f, int i)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.router[i],
		"nft list counter inet count v4 | sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'");

	return g_ascii_strtoull(out, NULL, 10);
}

/* n datagrams as uid A: how many echoes came back, -errno if refused */
static int send_as_a(Fixture *f, int n)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"setpriv --reuid=%u --regid=%u --clear-groups /usr/bin/python3 %s %s %d 2>&1",
		UID_A, UID_A, f->sender, UPLINK_SERVER4, n);
	const char *last = out;
	int sent = 0, got = 0;

	for (const char *p = strchr(out, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		last = p + 1;
	if (g_str_has_prefix(last, "error "))
		return -atoi(last + 6);
	g_assert_cmpint(sscanf(last, "%d %d", &sent, &got), ==, 2);
	return got;
}

/* A's packets leave by its pinned uplink, every one, none by the other */
static void assert_pinned(Fixture *f)
{
	guint64 p = router_count(f, f->pinned), o = router_count(f, f->other);

	g_assert_cmpint(send_as_a(f, 10), ==, 10);
	g_assert_cmpuint(router_count(f, f->pinned) - p, ==, 10);
	g_assert_cmpuint(router_count(f, f->other) - o, ==, 0);
}

static void start_session(Fixture *f)
{
	g_autofree char *line = NULL, *steered = fw_cond_uid(UID_A);

	f->a = session_client_start(f->u.lab, "client-a", UID_A);
	line = session_client_do(f->a, "create /app/s1 ");
	g_assert_true(g_str_has_prefix(line, "created "));
	g_free(session_client_expect(f->a, "update /app/s1 ", 5000));
	nfc_lab_wait_sh(f->u.lab, f->u.host, 30000, "%s", steered);
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *echo = NULL, *dir = NULL, *pol = NULL, *log = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autofree char *id0 = NULL;
	const char *path;
	Wait w = { f, NULL, 0 };

	uplinks_setup(&f->u, data);
	f->sender = g_build_filename(nfc_lab_dir(f->u.lab), "send.py", NULL);
	echo = g_build_filename(nfc_lab_dir(f->u.lab), "echo.py", NULL);
	g_file_set_contents(f->sender, uplinks_sender_py, -1, &error);
	g_assert_no_error(error);
	g_file_set_contents(echo, uplinks_echo_py, -1, &error);
	g_assert_no_error(error);
	nfc_lab_sh(f->u.lab, NULL, "chmod 755 %s; chmod 644 %s", nfc_lab_dir(f->u.lab), f->sender);
	for (int i = 0; i < 2; i++) {
		g_autofree char *name = g_strdup_printf("echo%d", i);
		const char *argv[] = { "python3", echo, UPLINK_SERVER4, UPLINK_SERVER6, name, NULL };

		nfc_lab_sh(f->u.lab, f->u.router[i],
			   "nft add table inet count && "
			   "nft add chain inet count in '{ type filter hook input priority 0; }' && "
			   "nft add counter inet count v4 && "
			   "nft add rule inet count in meta nfproto ipv4 udp dport %d counter name v4",
			   PORT);
		nfc_lab_spawn(f->u.lab, f->u.router[i], name, argv);
	}
	dir = g_build_filename(nfc_lab_dir(f->u.lab), "session_policy_local", NULL);
	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	for (int i = 0; i < 2; i++)
		nfc_lab_wait_sh(f->u.lab, f->u.router[i], 30000,
				"test $(ss -Hunl 'sport = :%d' | wc -l) = 2", PORT);

	/* pin A to the uplink the main table does not use */
	list = uplinks_services(&f->u);
	id0 = uplinks_service_id(&f->u, 0);
	g_variant_get_child(list, 0, "(&o@a{sv})", &path, NULL);
	f->other = g_str_has_suffix(path, id0) ? 0 : 1;
	f->pinned = 1 - f->other;
	log = nfc_lab_log(f->u.lab, "nfconnd");
	w.from = strlen(log);
	pol = g_strdup_printf("[a]\nuid=%u\nAllowedBearers=ethernet\nAllowedInterface=uplink%d\n",
			      UID_A, f->pinned);
	uplinks_write_policy(&f->u, "10-apps.policy", pol);
	g_assert_true(nfc_lab_wait_for(policy_loaded, &w, 30000));
	start_session(f);
	assert_pinned(f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (f->a)
		session_client_free(f->a);
	uplinks_teardown(&f->u);
	g_free(f->sender);
}

static char *nfconnd_log(Fixture *f)
{
	return nfc_lab_log(f->u.lab, "nfconnd");
}

/* The table A's ladder looks up (its one rung). */
static guint pinned_table(Fixture *f)
{
	g_autofree char *out = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -4 rule show pref %u | sed -n 's/.*lookup \\([0-9]*\\).*/\\1/p'", PREF_RUNG);

	return (guint)g_ascii_strtoull(out, NULL, 10);
}

/* What the rules of A's class are, IPv4 and IPv6 (the repair's target). */
static char *our_rules(Fixture *f)
{
	/* as "$(...)" gives it: without the last newline */
	return g_strchomp(nfc_lab_sh_output(f->u.lab, f->u.host,
		"for v in 4 6; do ip -$v rule show pref %u; ip -$v rule show pref %u; done",
		PREF_RUNG, PREF_UNREACHABLE));
}

static void wait_rules(Fixture *f, const char *want)
{
	g_autofree char *quoted = g_shell_quote(want);

	nfc_lab_wait_sh(f->u.lab, f->u.host, REPAIR_MS,
		"test \"$(for v in 4 6; do ip -$v rule show pref %u; ip -$v rule show pref %u; done)\" "
		"= %s", PREF_RUNG, PREF_UNREACHABLE, quoted);
}

/* Runs cmd in the host namespace, then check until it holds: the µs in
 * between (a busy loop of ip commands: a few ms of resolution), failing
 * the test after REPAIR_MS. */
static guint64 measure_us(Fixture *f, const char *cmd, const char *check)
{
	g_autofree char *out = NULL;
	int status = nfc_lab_sh_status(f->u.lab, f->u.host, &out,
		"t0=$(date +%%s%%N); %s || exit 2; "
		"while ! { %s; } >/dev/null 2>&1; do "
		"  [ $(( $(date +%%s%%N) - t0 )) -gt %d000000 ] && exit 1; "
		"done; echo $(( ($(date +%%s%%N) - t0) / 1000 ))", cmd, check, REPAIR_MS);

	if (status != 0)
		g_error("`%s` not followed by `%s` within %d ms: %s", cmd, check, REPAIR_MS, out);
	return g_ascii_strtoull(out, NULL, 10);
}

static void assert_logged_repair(Fixture *f, const char *what)
{
	g_autofree char *log = nfconnd_log(f);

	const char *line = strstr(log, "of ours were removed or changed from outside; restored");

	g_assert_nonnull(line);
	g_assert_nonnull(strstr(log, what));
	g_test_message("nfconnd: %.*s", (int)strcspn(line, "\n"), line);
}

/* `ip rule del pref 7008` (and the rung before it): without both, A's
 * packets fall through to the main table. */
static void test_rule_deleted(Fixture *f, gconstpointer data)
{
	g_autofree char *before = our_rules(f);
	g_autofree char *rule = g_strdup_printf("rule %u (IPv4)", PREF_UNREACHABLE);

	g_autofree char *del = g_strdup_printf("ip rule del pref %u && ip rule del pref %u",
					       PREF_UNREACHABLE, PREF_RUNG);
	g_autofree char *back = g_strdup_printf("ip -4 rule show pref %u | grep -q unreachable && "
						"ip -4 rule show pref %u | grep -q lookup",
						PREF_UNREACHABLE, PREF_RUNG);

	g_assert_nonnull(strstr(before, "unreachable"));
	g_test_message("rules deleted, back in %.1f ms", measure_us(f, del, back) / 1000.0);
	wait_rules(f, before);
	assert_pinned(f);
	assert_logged_repair(f, rule);
}

/* `ip rule flush` (both families): every rule but the local one goes,
 * ours come back (the main and default rules are not ours to restore). */
static void test_rule_flush(Fixture *f, gconstpointer data)
{
	g_autofree char *before = our_rules(f);

	nfc_lab_sh(f->u.lab, f->u.host, "ip -4 rule flush && ip -6 rule flush");
	wait_rules(f, before);
	/* the first route lookup of a socket is unmarked and needs the main
	 * table: the administrator puts that rule back, not nfconnd; once it
	 * is, A's packets must not take it */
	nfc_lab_sh(f->u.lab, f->u.host,
		   "for v in 4 6; do ip -$v rule add pref 32766 lookup main; done");
	assert_pinned(f);
	assert_logged_repair(f, "ip rules and 0 routes");
}

/* `ip route flush table 7002`: A's packets meet an empty table, then
 * unreachable; its routes come back and so does its traffic. */
static void test_route_flush(Fixture *f, gconstpointer data)
{
	guint table = pinned_table(f);
	g_autofree char *before = NULL, *routes = g_strdup_printf(" routes of ours");

	g_assert_cmpuint(table, >, 0);
	/* ip ends its lines with a space; "$(...)" keeps it, chomp would not */
	before = g_strchomp(nfc_lab_sh_output(f->u.lab, f->u.host,
					      "ip -4 route show table %u | sed 's/ *$//'", table));
	g_assert_nonnull(strstr(before, "default via"));
	{
		g_autofree char *flush = g_strdup_printf("ip -4 route flush table %u", table);
		g_autofree char *back = g_strdup_printf("ip -4 route show table %u | grep -q default",
							table);

		g_test_message("table flushed, default route back in %.1f ms",
			       measure_us(f, flush, back) / 1000.0);
	}
	{
		g_autofree char *quoted = g_shell_quote(before);

		nfc_lab_wait_sh(f->u.lab, f->u.host, REPAIR_MS,
				"test \"$(ip -4 route show table %u | sed 's/ *$//')\" = %s", table,
				quoted);
	}
	assert_pinned(f);
	assert_logged_repair(f, routes);
}

/* A route of ours replaced from outside (the kernel tells no removal):
 * A's default route now points at the other uplink; it is put back. */
static void test_route_changed(Fixture *f, gconstpointer data)
{
	guint table = pinned_table(f);
	g_autofree char *before = g_strchomp(nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip -4 route show table %u default | sed 's/ *$//'", table));
	g_autofree char *quoted = g_shell_quote(before);

	nfc_lab_sh(f->u.lab, f->u.host, "ip -4 route replace default dev uplink%d table %u",
		   f->other, table);
	nfc_lab_wait_sh(f->u.lab, f->u.host, REPAIR_MS,
			"test \"$(ip -4 route show table %u default | sed 's/ *$//')\" = %s", table,
			quoted);
	assert_pinned(f);
	assert_logged_repair(f, "0.0.0.0/0 via");
}

/* Our own deletions are no tampering: the session ends, its class goes,
 * and nothing is "restored". */
static void test_own_changes_quiet(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->a, session_client_free);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 30000,
			"! ip rule show | grep -q '^%u:' && ! ip rule show | grep -q '^%u:'",
			PREF_RUNG, PREF_UNREACHABLE);
	/* a repair would start 20 ms after the deletions' events and add
	 * the rules back within a few more: ten times that is enough */
	nfc_lab_observe_for(200);
	{
		g_autofree char *log = nfconnd_log(f);
		g_autofree char *rules = nfc_lab_sh_output(f->u.lab, f->u.host, "ip rule show");

		g_assert_null(strstr(log, "from outside; restored"));
		g_assert_null(strstr(rules, "unreachable"));
	}
	/* and the next session's rules are made without a repair either */
	start_session(f);
	assert_pinned(f);
	{
		g_autofree char *log = nfconnd_log(f);

		g_assert_null(strstr(log, "from outside; restored"));
	}
}

/* A carrier loss is no tampering: the kernel drops what it drops, the
 * service goes, the engine retires its routes; nothing is "restored" and
 * nothing fails. The uplink comes back, and so does A's steering. */
static void test_link_flap_quiet(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;

	uplinks_set_carrier(&f->u, f->pinned, false);
	uplinks_wait_services(&f->u, 1, "ready|online", 30000);
	/* A has no uplink now: unreachable, never the main table */
	nfc_lab_wait_sh(f->u.lab, f->u.host, 30000,
			"! ip -4 route show table all | grep -q 'dev uplink%d table 70'",
			f->pinned);
	g_assert_cmpint(send_as_a(f, 1), <, 0);
	uplinks_set_carrier(&f->u, f->pinned, true);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	assert_pinned(f);
	log = nfconnd_log(f);
	g_assert_null(strstr(log, "from outside; restored"));
	g_assert_null(strstr(log, "restoring"));
}

/* SIGKILL: nothing of ours is taken down, so A's packets go on leaving
 * by its uplink (the table persists, orphaned, and the rules and routes
 * stay). The next start removes it all: with no session there is nothing
 * of ours in the kernel. A new session brings one fresh state: one table,
 * no element of the dead session, no rule of its class. */
static void test_crash_fails_closed(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL, *final = NULL, *steered = fw_cond_uid(UID_A);
	/* nft: one table, ours; iptables: our chains */
	g_autofree char *one_state = fw_backend() == FW_NFTABLES ?
		g_strdup("test \"$(nft list tables)\" = 'table inet nfconn'") :
		g_strdup(fw_cond_present());
	int status;

	status = nfc_lab_stop(f->u.lab, f->u.nfconnd, SIGKILL, 3000, NULL);
	g_assert_true(WIFSIGNALED(status));
	f->u.nfconnd = 0;
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "%s", one_state), ==, 0);
	fw_assert_other_clean(f->u.lab, f->u.host);
	assert_pinned(f);
	/* the session died with nfconnd; its client learns it from the bus */
	g_clear_pointer(&f->a, session_client_free);

	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 30000,
			"! { %s; } && "
			"test $(ip -4 rule list | wc -l) = 3 && test $(ip -6 rule list | wc -l) = 2",
			fw_cond_present());
	log = nfconnd_log(f);
	g_assert_nonnull(strstr(log, "left by an earlier run"));
	fw_assert_none(f->u.lab, f->u.host);

	/* a client that creates its session again is steered again */
	uplinks_wait_ipv4_leases(&f->u);
	start_session(f);
	assert_pinned(f);
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL, "%s", one_state), ==, 0);
	fw_assert_other_clean(f->u.lab, f->u.host);
	/* the one nft table is owned again: nobody else may delete it */
	if (fw_backend() == FW_NFTABLES)
		g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL,
						  "nft delete table inet nfconn 2>/dev/null"), !=, 0);
	g_clear_pointer(&f->a, session_client_free);
	/* its session gone, nothing of ours is left in the kernel */
	nfc_lab_wait_sh(f->u.lab, f->u.host, 15000, "! { %s; }", fw_cond_present());

	/* an orderly stop still removes everything of ours (the firewall's
	 * in either backend: the stop checks it) */
	uplinks_stop_nfconnd(&f->u);
	final = nfc_lab_sh_output(f->u.lab, f->u.host,
		"ip rule list | wc -l; ip -6 rule list | wc -l; "
		"ip route show table all | grep -c 'table 7[0-2][0-9][0-9] ' || true");
	g_assert_cmpstr(final, ==, "3\n2\n0\n");
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
#define ADD(name, func) \
	g_test_add("/kernel-repair/" name, Fixture, "OnlineCheckMode=none", setup, func, \
		   teardown)
	ADD("rule-deleted", test_rule_deleted);
	ADD("rule-flush", test_rule_flush);
	ADD("route-flush", test_route_flush);
	ADD("route-changed", test_route_changed);
	ADD("own-changes-quiet", test_own_changes_quiet);
	ADD("link-flap-quiet", test_link_flap_quiet);
	ADD("crash-fails-closed", test_crash_fails_closed);
	return g_test_run();
}
