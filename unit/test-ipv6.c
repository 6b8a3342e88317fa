// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier, IPv6 of a service in the two-uplink world (unit/uplinks.h):
 * nameservers and search domains from router advertisements (RFC 8106
 * RDNSS/DNSSL), and IPv6 surviving the churn a user makes with connmanctl
 * (configuration changes, technology and offline toggles, disconnect and
 * connect). */
#include <stdlib.h>
#include <string.h>

#include "uplinks.h"

#define SERVICE_PATH "/net/connman/service/"
#define TIMEOUT_MS 20000

typedef struct {
	Uplinks u;
	char *id;         /* uplink0's service */
} Fixture;

static void setup_with(Fixture *f, const UplinksOptions *o)
{
	uplinks_setup_with(&f->u, o);
	uplinks_start_nfconnd(&f->u);
	f->id = uplinks_service_id(&f->u, 0);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (!f->u.lab)
		return;
	uplinks_teardown(&f->u);
	g_free(f->id);
}

/* connmanctl ARGS in the host namespace on the lab's bus: it must exit 0
 * with nothing on stderr. */
static void ctl(Fixture *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void ctl(Fixture *f, const char *fmt, ...)
{
	g_autofree char *args = NULL, *out = NULL, *err = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	args = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	status = nfc_lab_sh_capture(f->u.lab, f->u.host, &out, &err,
				    "DBUS_SYSTEM_BUS_ADDRESS=%s connmanctl %s </dev/null",
				    nfc_lab_bus_address(f->u.lab), args);
	g_test_message("connmanctl %s -> %d\n%s%s", args, status, out, err);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(err, ==, "");
}

/* The strings of an "as" property, joined by spaces ("" if none). */
G_GNUC_UNUSED static char *list_property(Fixture *f, const char *name)
{
	g_autoptr(GVariant) v = uplinks_service_property(&f->u, f->id, name);
	g_autofree const char **items = NULL;

	if (!v)
		return g_strdup("");
	items = g_variant_get_strv(v, NULL);
	return g_strjoinv(" ", (char **)items);
}

static char *ipv6_address(Fixture *f)
{
	g_autoptr(GVariant) v6 = uplinks_service_property(&f->u, f->id, "IPv6");
	const char *s = NULL;

	if (!v6 || !g_variant_lookup(v6, "Address", "&s", &s))
		return NULL;
	return g_strdup(s);
}

static char *state(Fixture *f)
{
	g_autoptr(GVariant) v = uplinks_service_property(&f->u, f->id, "State");

	return v ? g_variant_dup_string(v, NULL) : NULL;
}

/* Whether the kernel has address on uplink0, usable (not tentative). */
static bool kernel_has(Fixture *f, const char *address)
{
	g_autofree char *out = NULL;

	nfc_lab_sh_status(f->u.lab, f->u.host, &out,
			  "ip -6 -o addr show dev uplink0 scope global -tentative");
	return out && strstr(out, address) != NULL;
}

/* Waits until the service is connected with a SLAAC address from uplink
 * 0's prefix on D-Bus that the kernel has too. Says what it saw last. */
static void wait_ipv6(Fixture *f, const char *after)
{
	gint64 start = g_get_monotonic_time(), end = start + (gint64)TIMEOUT_MS * 1000;

	for (;;) {
		g_autofree char *st = state(f);
		g_autofree char *addr = ipv6_address(f);
		bool connected = st && (g_str_equal(st, "ready") || g_str_equal(st, "online"));

		if (connected && addr && g_str_has_prefix(addr, "2001:db8:a:") &&
		    kernel_has(f, addr)) {
			g_test_message("%s: IPv6 %s (%s) after %.1f s", after, addr, st,
				       (g_get_monotonic_time() - start) / 1e6);
			return;
		}
		if (g_get_monotonic_time() > end) {
			g_autofree char *kernel = nfc_lab_sh_output(f->u.lab, f->u.host,
								    "ip -6 addr show dev uplink0; "
								    "sysctl net.ipv6.conf.uplink0");
			g_autofree char *log = nfc_lab_log(f->u.lab, "nfconnd");

			g_error("after %s: no IPv6: state %s, IPv6.Address %s\n%s\n%s", after,
				st ? st : "(none)", addr ? addr : "(none)", kernel, log);
		}
		g_usleep(50 * 1000);
	}
}

/* Waits until the service is gone (technology off, offline mode). */
static void wait_gone(Fixture *f)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	while (uplinks_has_service(&f->u, "uplink0")) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50 * 1000);
	}
}

/* With IPv6 off: connected over IPv4, no IPv6 address on D-Bus. */
static void wait_no_ipv6(Fixture *f)
{
	gint64 end = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	for (;;) {
		g_autofree char *st = state(f);
		g_autofree char *addr = ipv6_address(f);

		if (st && (g_str_equal(st, "ready") || g_str_equal(st, "online")) && !addr)
			return;
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50 * 1000);
	}
}

static void wait_state(Fixture *f, const char *want)
{
	uplinks_wait_property(&f->u, f->id, "State", want, TIMEOUT_MS);
}

/* ---- churn: IPv6 comes back after every operation ---------------------- */

static void setup_churn(Fixture *f, gconstpointer data)
{
	UplinksOptions o = { 0 };

	if (!g_file_test("/usr/bin/connmanctl", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("connmanctl is not installed");
		return;
	}
	setup_with(f, &o);
}

static void test_churn(Fixture *f, gconstpointer data)
{
	const char *id = f->id;

	if (!f->u.lab)
		return;
	wait_ipv6(f, "start");
	for (int round = 0; round < 2; round++) {
		ctl(f, "config %s --ipv4 manual 198.51.100.20 255.255.255.128 198.51.100.1", id);
		wait_ipv6(f, "ipv4 manual");
		ctl(f, "config %s --ipv4 dhcp", id);
		wait_ipv6(f, "ipv4 dhcp");
		ctl(f, "config %s --ipv6 off", id);
		wait_no_ipv6(f);
		ctl(f, "config %s --ipv6 auto", id);
		wait_ipv6(f, "ipv6 auto");
		ctl(f, "disable ethernet");
		wait_gone(f);
		ctl(f, "enable ethernet");
		wait_ipv6(f, "enable ethernet");
		ctl(f, "enable offline");
		wait_gone(f);
		ctl(f, "disable offline");
		wait_ipv6(f, "offline off");
		ctl(f, "disconnect %s", id);
		wait_state(f, "idle");
		ctl(f, "connect %s", id);
		wait_ipv6(f, "connect");
	}
	/* IPv6 alone still makes the service connected */
	ctl(f, "config %s --ipv4 off", id);
	wait_ipv6(f, "ipv4 off");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	g_test_add("/ipv6/churn", Fixture, NULL, setup_churn, test_churn, teardown);
	return g_test_run();
}
