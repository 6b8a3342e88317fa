// SPDX-License-Identifier: GPL-2.0-or-later
/* A crash, then a start on the other firewall backend: what the first run
 * left (the iptables backend's NFCONN-* chains, which no owner takes away;
 * the nftables backend's table, which the persist flag keeps after a
 * crash) would go on marking, steering or failing traffic closed beside
 * the new backend's state. The start removes it; an orderly stop then
 * leaves nothing in either. */
#include <signal.h>
#include <sys/wait.h>

#include "session-driver.h"
#include "uplinks.h"

/* a session that narrows what its uid may use: nfconnd steers it, so
 * its firewall state is installed (idle, there is none) */
#define STEERED "{'AllowedInterface': <'uplink1'>}"

#define IPT_OURS "{ iptables-legacy-save; ip6tables-legacy-save; } 2>/dev/null | grep -q NFCONN"
#define NFT_OURS "nft list table inet nfconn >/dev/null 2>&1"

/* nfconnd on backend, with a session (idle, it installs nothing) */
static SessionClient *start_with(Uplinks *u, const char *backend)
{
	g_setenv("NFCONN_TEST_FIREWALL", backend, TRUE);
	uplinks_write_config(u, "OnlineCheckMode=none\n");
	uplinks_start_nfconnd(u);
	uplinks_wait_services(u, 2, "ready|online", 30000);
	return session_client_hold(u->lab, "client", 38, STEERED);
}

static void crash(Uplinks *u, SessionClient *c)
{
	int status = nfc_lab_stop(u->lab, u->nfconnd, SIGKILL, 3000, NULL);

	g_assert_true(WIFSIGNALED(status));
	u->nfconnd = 0;
	session_client_free(c);
}

static void stop(Uplinks *u, SessionClient *c)
{
	session_client_free(c);
	uplinks_stop_nfconnd(u);
}

static bool holds(Uplinks *u, const char *cond)
{
	return nfc_lab_sh_status(u->lab, u->host, NULL, "%s", cond) == 0;
}

static void test_switch(void)
{
	Uplinks u;
	SessionClient *c;
	bool nft_persists;

	g_setenv("NFCONN_TEST_FIREWALL", "iptables", TRUE);
	fw_require_backend();
	g_setenv("NFCONN_TEST_FIREWALL", "nftables", TRUE);
	fw_require_backend();
	uplinks_setup(&u, NULL);

	/* nftables in a fresh namespace: looking for iptables leftovers
	 * instantiates no legacy table (its hooks would cost every packet) */
	c = start_with(&u, "nftables");
	nfc_lab_wait_sh(u.lab, u.host, 10000, NFT_OURS);
	g_assert_false(holds(&u, "cat /proc/net/ip_tables_names /proc/net/ip6_tables_names "
				 "2>/dev/null | grep -q ."));
	stop(&u, c);

	/* iptables, killed: its chains stay (nothing owns them) */
	c = start_with(&u, "iptables");
	nfc_lab_wait_sh(u.lab, u.host, 10000, IPT_OURS);
	crash(&u, c);
	g_assert_true(holds(&u, IPT_OURS));

	/* nftables next: the start removes them before installing its table */
	c = start_with(&u, "nftables");
	nfc_lab_wait_sh(u.lab, u.host, 10000, NFT_OURS);
	g_assert_false(holds(&u, IPT_OURS));
	fw_assert_other_clean(u.lab, u.host);

	/* nftables, killed: a persistent table stays where the kernel has
	 * the flag (Linux >= 6.9) */
	crash(&u, c);
	nft_persists = holds(&u, NFT_OURS);
	if (!nft_persists)
		g_test_message("this kernel drops an owned table with its owner: "
			       "no nftables leftover to remove");

	/* iptables next: the table goes */
	c = start_with(&u, "iptables");
	nfc_lab_wait_sh(u.lab, u.host, 10000, IPT_OURS);
	g_assert_false(holds(&u, NFT_OURS));
	fw_assert_other_clean(u.lab, u.host);

	/* SIGTERM: nothing of ours in either backend (the stop asserts it) */
	stop(&u, c);
	uplinks_teardown(&u);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	g_test_add_func("/backend-switch/leftovers-removed", test_switch);
	return g_test_run();
}
