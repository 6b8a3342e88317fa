// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine's tethering glue in nfconnd (system tier): the firewall's
 * uplink set follows the connected services, and an uplink that goes
 * away has the conntrack entries masqueraded to its addresses flushed
 * (the engine logs how many). */
#include <string.h>

#include <glib.h>

#include "session-driver.h"
#include "uplinks.h"

/* a session that narrows what its uid may use: nfconnd steers it, so
 * its firewall state is installed (idle, there is none) */
#define STEERED "{'AllowedInterface': <'uplink1'>}"

typedef struct {
	Uplinks u;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
	uplinks_setup(&f->u, NULL);
	uplinks_start_nfconnd(&f->u);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	uplinks_teardown(&f->u);
}

static void test_uplink_set(Fixture *f, gconstpointer data)
{
	g_autofree char *set = NULL;
	SessionClient *c;

	uplinks_wait_services(&f->u, 2, "ready|online", 20000);
	uplinks_wait_ipv4_leases(&f->u);
	/* idle, nfconnd has no table at all: a steered session brings it */
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, f->u.host, NULL,
					  "nft list table inet nfconn 2>/dev/null"), !=, 0);
	c = session_client_hold(f->u.lab, "client", 38, STEERED);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 5000,
			"nft list set inet nfconn uplinks | grep -q '\"uplink0\"' && "
			"nft list set inet nfconn uplinks | grep -q '\"uplink1\"'");
	g_assert_false(nfc_lab_log_has(f->u.lab, "nfconnd", 0, "engine: uplink uplink0 lost"));

	/* carrier loss: the service goes, and with it its set element and
	 * (logged) the flows masqueraded to its address */
	uplinks_set_carrier(&f->u, 0, false);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 5000,
			"! nft list set inet nfconn uplinks | grep -q '\"uplink0\"'");
	set = nfc_lab_sh_output(f->u.lab, f->u.host, "nft list set inet nfconn uplinks");
	g_assert_nonnull(strstr(set, "\"uplink1\""));
	nfc_lab_wait_log(f->u.lab, "nfconnd", 0, "engine: uplink uplink0 lost 198.51.100.", 5000);
	nfc_lab_wait_log(f->u.lab, "nfconnd", 0, "conntrack entr", 5000);

	/* back */
	uplinks_set_carrier(&f->u, 0, true);
	nfc_lab_wait_sh(f->u.lab, f->u.host, 20000,
			"nft list set inet nfconn uplinks | grep -q '\"uplink0\"'");
	session_client_free(c);
}

int main(int argc, char **argv)
{
	nfc_lab_require_root();
	g_test_init(&argc, &argv, NULL);
	g_test_add("/engine-tether/uplink-set", Fixture, NULL, fixture_setup, test_uplink_set,
		   fixture_teardown);
	return g_test_run();
}
