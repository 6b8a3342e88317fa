// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier: net.connman.Clock in the two-uplink lab (unit/uplinks.h).
 *
 * Safety first: the machine has one clock, whatever the namespace, so the
 * daemon runs with NFCONND_CLOCK_READONLY=1 and our NTP servers answer
 * with the true time (offset ~0: nothing to apply anyway); Time is only
 * ever refused, never set; the time zone link is a file in the lab
 * (main.conf Localtime=), and the machine's /etc/localtime is checked
 * unchanged at the end of each test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uplinks.h"

#define TIMEOUT_MS 20000
#define CTL NFC_BUILD_ROOT "/client/nfconnctl"
#define NTP_ADDR UPLINK_SERVER4

typedef struct {
	Uplinks u;
	char *localtime;        /* the lab's Localtime link */
	char *etc_localtime;    /* the machine's, before the test */
} Fixture;

/* An SNTP server answering with this machine's clock, that logs whom it
 * answered: ntp.py ADDR */
static const char ntp_py[] =
	"import socket, struct, sys, time\n"
	"D = 2208988800\n"
	"def ts(t):\n"
	"    sec = int(t)\n"
	"    return struct.pack('>II', (sec + D) & 0xffffffff, int((t - sec) * 2**32) & 0xffffffff)\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"s.bind((sys.argv[1], 123))\n"
	"print('listening', flush=True)\n"
	"while True:\n"
	"    data, peer = s.recvfrom(512)\n"
	"    t2 = time.time()\n"
	"    if len(data) < 48 or data[0] & 7 != 3:\n"
	"        continue\n"
	"    head = bytes([0x24, 2, 6, 0xec]) + bytes(8) + b'LAB\\0' + ts(t2)\n"
	"    s.sendto(head + data[40:48] + ts(t2) + ts(time.time()), peer)\n"
	"    print('query from %s' % peer[0], flush=True)\n";

static char *machine_localtime(void)
{
	struct stat st;
	g_autofree char *link = g_file_read_link("/etc/localtime", NULL);

	if (lstat("/etc/localtime", &st) < 0)
		return g_strdup("(none)");
	return g_strdup_printf("%s ino %lu mtime %ld", link ? link : "(file)",
			       (unsigned long)st.st_ino, (long)st.st_mtime);
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *line = NULL;
	FILE *conf;

	f->etc_localtime = machine_localtime();
	uplinks_setup(&f->u, data);
	f->localtime = g_build_filename(nfc_lab_dir(f->u.lab), "localtime", NULL);
	g_assert_cmpint(symlink("/usr/share/zoneinfo/UTC", f->localtime), ==, 0);
	conf = fopen(f->u.config, "a");
	g_assert_nonnull(conf);
	fprintf(conf, "Localtime=%s\n", f->localtime);
	fclose(conf);
	uplinks_start_nfconnd(&f->u);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *after = machine_localtime();

	/* exit status 0: under the sanitizers, no leak either */
	if (f->u.nfconnd)
		uplinks_stop_nfconnd(&f->u);
	uplinks_teardown(&f->u);
	/* the machine's own zone was never touched */
	g_assert_cmpstr(after, ==, f->etc_localtime);
	g_free(f->etc_localtime);
	g_free(f->localtime);
}

static GVariant *clock_props(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.connman.Clock", "GetProperties",
					     NULL, &error);

	g_assert_no_error(error);
	return g_variant_get_child_value(r, 0);
}

/* SetProperty; NULL on success, else the D-Bus error name. */
static char *clock_set(Fixture *f, const char *name, GVariant *value)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) r = nfc_lab_call(f->u.lab, "/", "net.connman.Clock", "SetProperty",
					     g_variant_new("(sv)", name, value), &error);

	if (r)
		return NULL;
	g_assert_true(g_dbus_error_is_remote_error(error));
	return g_dbus_error_get_remote_error(error);
}

static void assert_set_fails(Fixture *f, const char *name, GVariant *value, const char *want)
{
	g_autofree char *err = clock_set(f, name, value);

	g_assert_cmpstr(err, ==, want);
}

static char *prop_string(GVariant *props, const char *name)
{
	g_autoptr(GVariant) v = g_variant_lookup_value(props, name, G_VARIANT_TYPE_STRING);

	return v ? g_variant_dup_string(v, NULL) : NULL;
}

/* Next PropertyChanged: its name and value. */
static GVariant *next_change(NfcLabSignals *sig, const char *want_name)
{
	for (;;) {
		g_autoptr(GVariant) p = nfc_lab_signals_pop(sig, TIMEOUT_MS, NULL);
		const char *name;
		GVariant *v;

		g_assert_nonnull(p);
		g_variant_get(p, "(&sv)", &name, &v);
		if (g_str_equal(name, want_name))
			return v;
		g_variant_unref(v);
	}
}

static void test_properties(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) props = clock_props(f);
	g_autofree char *tu = prop_string(props, "TimeUpdates");
	g_autofree char *tzu = prop_string(props, "TimezoneUpdates");
	g_autofree char *tz = prop_string(props, "Timezone");
	g_autoptr(GVariant) servers = g_variant_lookup_value(props, "Timeservers",
							     G_VARIANT_TYPE_STRING_ARRAY);
	guint64 t = 0;
	gboolean synced = TRUE;

	g_assert_true(g_variant_lookup(props, "Time", "t", &t));
	g_assert_cmpint(llabs((long long)t - (long long)time(NULL)), <=, 5);
	g_assert_cmpstr(tu, ==, "auto");
	g_assert_cmpstr(tzu, ==, "auto");
	g_assert_cmpstr(tz, ==, "UTC");
	g_assert_nonnull(servers);
	g_assert_cmpuint(g_variant_n_children(servers), ==, 0);
	g_assert_true(g_variant_lookup(props, "TimeserverSynced", "b", &synced));
	g_assert_false(synced);
}

/* The only Time tests there are: refusals. */
static void test_time_refused(Fixture *f, gconstpointer data)
{
	assert_set_fails(f, "Time", g_variant_new_uint64((guint64)time(NULL)),
			 "net.connman.Error.PermissionDenied");
	assert_set_fails(f, "Time", g_variant_new_string("now"),
			 "net.connman.Error.InvalidArguments");
	assert_set_fails(f, "TimeUpdates", g_variant_new_string("sometimes"),
			 "net.connman.Error.InvalidArguments");
	assert_set_fails(f, "TimeUpdates", g_variant_new_boolean(TRUE),
			 "net.connman.Error.InvalidArguments");
	assert_set_fails(f, "TimeserverSynced", g_variant_new_boolean(TRUE),
			 "net.connman.Error.PermissionDenied");
	assert_set_fails(f, "Timeservers", g_variant_new_string("192.0.2.1"),
			 "net.connman.Error.InvalidArguments");
	assert_set_fails(f, "Timeservers", g_variant_new_strv((const char *[]){ "a b", NULL }, -1),
			 "net.connman.Error.InvalidArguments");
	assert_set_fails(f, "Colour", g_variant_new_string("blue"),
			 "net.connman.Error.InvalidProperty");
}

static void assert_link(Fixture *f, const char *target)
{
	g_autofree char *link = g_file_read_link(f->localtime, NULL);

	g_assert_cmpstr(link, ==, target);
}

static void test_timezone(Fixture *f, gconstpointer data)
{
	g_autoptr(NfcLabSignals) sig = nfc_lab_signals_new(f->u.lab, "net.connman.Clock",
							   "PropertyChanged");
	static const char *const bad[] = { "../../etc/passwd", "Nowhere/City", "/etc/passwd",
					   "Europe//Paris", "", "Europe" /* a directory */ };
	g_autoptr(GVariant) v = NULL, props = NULL;
	g_autofree char *tz = NULL;

	/* TimezoneUpdates=auto: not ours to set */
	assert_set_fails(f, "Timezone", g_variant_new_string("Europe/Paris"),
			 "net.connman.Error.PermissionDenied");
	assert_link(f, "/usr/share/zoneinfo/UTC");

	g_assert_null(clock_set(f, "TimezoneUpdates", g_variant_new_string("manual")));
	v = next_change(sig, "TimezoneUpdates");
	g_assert_cmpstr(g_variant_get_string(v, NULL), ==, "manual");
	g_clear_pointer(&v, g_variant_unref);

	g_assert_null(clock_set(f, "Timezone", g_variant_new_string("Europe/Paris")));
	v = next_change(sig, "Timezone");
	g_assert_cmpstr(g_variant_get_string(v, NULL), ==, "Europe/Paris");
	assert_link(f, "/usr/share/zoneinfo/Europe/Paris");
	/* no temporary link left beside it */
	{
		g_autofree char *tmp = g_strdup_printf("%s.nfconnd-new", f->localtime);

		g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
	}

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("zone \"%s\"", bad[i]);
		assert_set_fails(f, "Timezone", g_variant_new_string(bad[i]),
				 "net.connman.Error.InvalidArguments");
		assert_link(f, "/usr/share/zoneinfo/Europe/Paris");
	}
	assert_set_fails(f, "Timezone", g_variant_new_int32(1),
			 "net.connman.Error.InvalidArguments");
	props = clock_props(f);
	tz = prop_string(props, "Timezone");
	g_assert_cmpstr(tz, ==, "Europe/Paris");
}

static void test_timeservers_persist(Fixture *f, gconstpointer data)
{
	g_autoptr(NfcLabSignals) sig = nfc_lab_signals_new(f->u.lab, "net.connman.Clock",
							   "PropertyChanged");
	const char *list[] = { "192.0.2.123", "ntp.example", NULL };
	g_autoptr(GVariant) v = NULL, props = NULL, servers = NULL;
	g_autofree char *settings = NULL, *text = NULL, *tu = NULL;

	g_assert_null(clock_set(f, "Timeservers", g_variant_new_strv(list, -1)));
	v = next_change(sig, "Timeservers");
	{
		g_autofree const char **got = g_variant_get_strv(v, NULL);

		g_assert_cmpstrv(got, list);
	}
	g_assert_null(clock_set(f, "TimeUpdates", g_variant_new_string("manual")));
	g_clear_pointer(&v, g_variant_unref);
	v = next_change(sig, "TimeUpdates");
	g_assert_cmpstr(g_variant_get_string(v, NULL), ==, "manual");

	/* ConnMan's file and keys */
	settings = g_build_filename(nfc_lab_state_dir(f->u.lab), "settings", NULL);
	g_assert_true(g_file_get_contents(settings, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "[global]"));
	g_assert_nonnull(strstr(text, "Timeservers=192.0.2.123;ntp.example;"));
	g_assert_nonnull(strstr(text, "TimeUpdates=manual"));

	uplinks_stop_nfconnd(&f->u);
	uplinks_start_nfconnd(&f->u);
	props = clock_props(f);
	servers = g_variant_lookup_value(props, "Timeservers", G_VARIANT_TYPE_STRING_ARRAY);
	g_assert_nonnull(servers);
	{
		g_autofree const char **got = g_variant_get_strv(servers, NULL);

		g_assert_cmpstrv(got, list);
	}
	tu = prop_string(props, "TimeUpdates");
	g_assert_cmpstr(tu, ==, "manual");
}

/* The daemon's first log line holding want. */
static char *wait_log(Fixture *f, const char *want)
{
	gsize at = nfc_lab_wait_log(f->u.lab, "nfconnd", 0, want, TIMEOUT_MS);

	return nfc_lab_log_line(f->u.lab, "nfconnd", at);
}

/* An NTP server on router i at addr; returns once it listens. */
static void start_ntp(Fixture *f, int i, const char *addr)
{
	g_autofree char *script = g_build_filename(nfc_lab_dir(f->u.lab), "ntp.py", NULL);
	g_autofree char *name = g_strdup_printf("ntp%d", i);
	const char *argv[] = { "python3", script, addr, NULL };

	g_assert_true(g_file_set_contents(script, ntp_py, -1, NULL));
	nfc_lab_spawn(f->u.lab, f->u.router[i], name, argv);
	nfc_lab_wait_sh(f->u.lab, NULL, TIMEOUT_MS, "grep -q listening %s/%s.log",
			nfc_lab_dir(f->u.lab), name);
}

/* The uplink (0 or 1) of the service at position pos of GetServices. */
static int uplink_at(Fixture *f, gsize pos)
{
	g_autoptr(GVariant) order = uplinks_services(&f->u);
	const char *path;
	int which = -1;

	g_variant_get_child(order, pos, "(&o@a{sv})", &path, NULL);
	for (int i = 0; i < 2; i++) {
		g_autofree char *id = uplinks_service_id(&f->u, i);

		if (g_str_equal(strrchr(path, '/') + 1, id))
			which = i;
	}
	g_assert_cmpint(which, >=, 0);
	return which;
}

/* The answer line of server: its offset is the true time's (tiny), so
 * nothing was applied. */
static void assert_answer(Fixture *f, const char *server, int uplink)
{
	g_autofree char *want = g_strdup_printf("sntp: %s (%s) via uplink%d: offset ", server,
						server, uplink);
	g_autofree char *line = wait_log(f, want);
	double offset = 1, delay = 1;

	g_test_message("%s", line);
	g_assert_cmpint(sscanf(strstr(line, "offset "), "offset %lf s, delay %lf s", &offset,
			       &delay), ==, 2);
	/* same machine, same clock: only the path's latency and python */
	g_assert_cmpfloat(fabs(offset), <, 0.05);
	g_assert_cmpfloat(delay, <, 0.5);
	g_assert_nonnull(strstr(line, ": keep"));
}

/* UseGatewaysAsTimeservers: the default service's gateway is asked first,
 * over its own uplink. */
static void test_sntp_gateway(Fixture *f, gconstpointer data)
{
	static const char *const gw[2] = { "198.51.100.1", "198.51.100.129" };
	int first;

	uplinks_wait_services(&f->u, 2, "ready|online", TIMEOUT_MS);
	uplinks_wait_ipv4_leases(&f->u);
	first = uplink_at(f, 0);
	start_ntp(f, first, gw[first]);
	assert_answer(f, gw[first], first);
	nfc_lab_wait_sh(f->u.lab, NULL, TIMEOUT_MS, "grep -q 'query from 198.51.100' %s/ntp%d.log",
			nfc_lab_dir(f->u.lab), first);
}

/* A service's own timeserver is asked over that service's uplink, even
 * when it is not the default one; the answer is the true time, so the
 * offset is tiny and nothing is applied. */
static void test_sntp_uplink(Fixture *f, gconstpointer data)
{
	g_autofree char *id = NULL, *path = NULL;
	g_autoptr(GVariant) props = NULL, r = NULL;
	g_autoptr(GError) error = NULL;
	const char *servers[] = { NTP_ADDR, NULL };
	gboolean synced = FALSE;
	int which;

	for (int i = 0; i < 2; i++)
		start_ntp(f, i, NTP_ADDR);
	uplinks_wait_services(&f->u, 2, "ready|online", TIMEOUT_MS);
	uplinks_wait_ipv4_leases(&f->u);

	/* the service that is not the default */
	which = uplink_at(f, 1);
	id = uplinks_service_id(&f->u, which);
	path = g_strdup_printf("/net/connman/service/%s", id);
	r = nfc_lab_call(f->u.lab, path, "net.connman.Service", "SetProperty",
			 g_variant_new("(sv)", "Timeservers.Configuration",
				       g_variant_new_strv(servers, -1)),
			 &error);
	g_assert_no_error(error);
	assert_answer(f, NTP_ADDR, which);

	/* the right router answered, the other never heard of it */
	nfc_lab_wait_sh(f->u.lab, NULL, TIMEOUT_MS, "grep -q 'query from 198.51.100' %s/ntp%d.log",
			nfc_lab_dir(f->u.lab), which);
	g_assert_cmpint(nfc_lab_sh_status(f->u.lab, NULL, NULL, "grep -q query %s/ntp%d.log",
					  nfc_lab_dir(f->u.lab), 1 - which), !=, 0);

	props = clock_props(f);
	g_assert_true(g_variant_lookup(props, "TimeserverSynced", "b", &synced));
	g_assert_true(synced);
}

/* Debian's connmanctl, and nfconnctl, print the clock. */
static void test_connmanctl(Fixture *f, gconstpointer data)
{
	g_autofree char *out = NULL, *err = NULL, *ours = NULL;
	g_auto(GStrv) a = NULL, b = NULL;
	int status;

	if (!g_file_test("/usr/bin/connmanctl", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("connmanctl is not installed");
		return;
	}
	status = nfc_lab_sh_capture(f->u.lab, f->u.host, &out, &err,
				    "DBUS_SYSTEM_BUS_ADDRESS=%s connmanctl clock </dev/null",
				    nfc_lab_bus_address(f->u.lab));
	g_test_message("connmanctl clock -> %d\n%s%s", status, out, err);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_assert_nonnull(strstr(out, "TimeUpdates = auto\n"));
	g_assert_nonnull(strstr(out, "TimezoneUpdates = auto\n"));
	g_assert_nonnull(strstr(out, "Timezone = UTC\n"));
	g_assert_nonnull(strstr(out, "Timeservers = [  ]\n"));
	g_assert_nonnull(strstr(out, "Time = "));

	ours = nfc_lab_sh_output(f->u.lab, f->u.host, CTL " --bus %s clock </dev/null",
				 nfc_lab_bus_address(f->u.lab));
	/* the same lines but Time, which may have ticked in between */
	a = g_strsplit(out, "\n", -1);
	b = g_strsplit(ours, "\n", -1);
	g_assert_cmpuint(g_strv_length(a), ==, g_strv_length(b));
	for (guint i = 0; a[i]; i++)
		if (!g_str_has_prefix(g_strstrip(a[i]), "Time ="))
			g_assert_cmpstr(g_strstrip(a[i]), ==, g_strstrip(b[i]));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	/* before any nfconnd starts: never move the machine's clock */
	g_setenv("NFCONND_CLOCK_READONLY", "1", TRUE);
#define ADD(name, fn) g_test_add("/clock/" name, Fixture, NULL, setup, fn, teardown)
	ADD("properties", test_properties);
	ADD("time-refused", test_time_refused);
	ADD("timezone", test_timezone);
	ADD("timeservers-persist", test_timeservers_persist);
	ADD("sntp-uplink", test_sntp_uplink);
	ADD("connmanctl", test_connmanctl);
	g_test_add("/clock/sntp-gateway", Fixture, "UseGatewaysAsTimeservers=true", setup,
		   test_sntp_gateway, teardown);
	return g_test_run();
}
