// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the SNTP codec, the offset arithmetic, the keep/slew/step
 * decision (the only place the step path is exercised: no test may move
 * the machine's clock), and the clock's input validation. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "clock.h"
#include "sntp.h"

#define SEC 1000000000LL

/* 2026-12-01 12:00:00.25 UTC */
static const int64_t T0 = 1796126400LL * SEC + 250000000LL;

static void test_timestamp_roundtrip(void)
{
	static const int64_t samples[] = {
		0, 1, SEC - 1, T0, 2085978495LL * SEC,      /* 2036-02-07 06:28:15: the era ends */
		2085978496LL * SEC + 5, 4102444800LL * SEC, /* 2100 */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(samples); i++) {
		int64_t back = nfc_sntp_timestamp_to_ns(nfc_sntp_timestamp_from_ns(samples[i]));

		/* the wire has 2^-32 s steps: within a nanosecond */
		g_assert_cmpint(back, <=, samples[i]);
		g_assert_cmpint(samples[i] - back, <=, 1);
	}
	/* the Unix epoch is NTP second 2208988800 */
	g_assert_cmphex(nfc_sntp_timestamp_from_ns(0) >> 32, ==, 2208988800u);
	/* era 1: NTP second 0 is 2036-02-07 06:28:16 */
	g_assert_cmpint(nfc_sntp_timestamp_to_ns(0), ==, 2085978496LL * SEC);
}

static void test_request(void)
{
	uint8_t buf[NFC_SNTP_PACKET_SIZE];
	uint64_t ts = 0;

	memset(buf, 0xaa, sizeof(buf));
	nfc_sntp_build_request(buf, T0);
	g_assert_cmphex(buf[0], ==, 0x23); /* LI 0, VN 4, mode 3 */
	for (int i = 1; i < 40; i++)
		g_assert_cmphex(buf[i], ==, 0);
	for (int i = 40; i < 48; i++)
		ts = ts << 8 | buf[i];
	g_assert_cmphex(ts, ==, nfc_sntp_timestamp_from_ns(T0));
}

/* A server's reply to a request sent at t1. */
static void make_reply(uint8_t buf[NFC_SNTP_PACKET_SIZE], int64_t t1, int64_t t2, int64_t t3)
{
	uint64_t v[3] = { nfc_sntp_timestamp_from_ns(t1), nfc_sntp_timestamp_from_ns(t2),
			  nfc_sntp_timestamp_from_ns(t3) };

	memset(buf, 0, NFC_SNTP_PACKET_SIZE);
	buf[0] = 0x24; /* LI 0, VN 4, mode 4 */
	buf[1] = 2;
	memcpy(buf + 12, "GPS", 3);
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 8; i++)
			buf[24 + 8 * k + i] = (uint8_t)(v[k] >> (56 - 8 * i));
}

static void test_reply_ok(void)
{
	uint8_t buf[NFC_SNTP_PACKET_SIZE];
	NfcSntpReply r;

	make_reply(buf, T0, T0 + 5 * SEC, T0 + 5 * SEC + 1000);
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, 0);
	g_assert_cmpint(r.stratum, ==, 2);
	g_assert_cmpint(r.version, ==, 4);
	g_assert_cmpint(llabs(r.receive_ns - (T0 + 5 * SEC)), <=, 1);
	g_assert_cmpint(llabs(r.transmit_ns - (T0 + 5 * SEC + 1000)), <=, 1);
	/* version 3 servers are fine too */
	buf[0] = 0x1c;
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, 0);
}

static void test_reply_refused(void)
{
	uint8_t buf[NFC_SNTP_PACKET_SIZE];
	NfcSntpReply r;

	make_reply(buf, T0, T0, T0);
	g_assert_cmpint(nfc_sntp_parse_reply(buf, 47, T0, &r), ==, -EBADMSG);
	/* an answer to another request (late, or forged) */
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0 + 1000, &r), ==, -ESTALE);
	/* a client packet, a broadcast, version 2 */
	buf[0] = 0x23;
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -EBADMSG);
	buf[0] = 0x25;
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -EBADMSG);
	buf[0] = 0x14;
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -EBADMSG);
	/* leap alarm: the server has no time to give */
	buf[0] = 0xe4;
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -ENOLINK);
	/* kiss-o'-death */
	buf[0] = 0x24;
	buf[1] = 0;
	memcpy(buf + 12, "RATE", 4);
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -EAGAIN);
	g_assert_cmpstr(r.kiss, ==, "RATE");
	/* stratum 16 and zero timestamps */
	buf[1] = 16;
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -EBADMSG);
	make_reply(buf, T0, T0, T0);
	memset(buf + 40, 0, 8);
	g_assert_cmpint(nfc_sntp_parse_reply(buf, sizeof(buf), T0, &r), ==, -EBADMSG);
}

static void test_offset(void)
{
	int64_t off, delay;

	/* our clock 2 s behind, 10 ms each way, 1 ms in the server */
	nfc_sntp_offset(T0, T0 + 2 * SEC + 10000000, T0 + 2 * SEC + 11000000, T0 + 21000000, &off,
			&delay);
	g_assert_cmpint(off, ==, 2 * SEC);
	g_assert_cmpint(delay, ==, 20000000);
	/* ahead by 300 ms */
	nfc_sntp_offset(T0, T0 - 300000000 + 1000, T0 - 300000000 + 2000, T0 + 3000, &off, &delay);
	g_assert_cmpint(off, ==, -300000000);
	g_assert_cmpint(delay, ==, 2000);
	/* decades apart: no overflow */
	nfc_sntp_offset(0, T0, T0, 0, &off, &delay);
	g_assert_cmpint(off, ==, T0);
}

static void test_decide(void)
{
	g_assert_cmpint(nfc_sntp_decide(0, 0), ==, NFC_SNTP_KEEP);
	g_assert_cmpint(nfc_sntp_decide(999999, 0), ==, NFC_SNTP_KEEP);
	g_assert_cmpint(nfc_sntp_decide(-999999, 0), ==, NFC_SNTP_KEEP);
	g_assert_cmpint(nfc_sntp_decide(1000000, 0), ==, NFC_SNTP_SLEW);
	g_assert_cmpint(nfc_sntp_decide(-50000000, 1000000), ==, NFC_SNTP_SLEW);
	/* not knowable through a 100 ms round trip */
	g_assert_cmpint(nfc_sntp_decide(40000000, 100000000), ==, NFC_SNTP_KEEP);
	g_assert_cmpint(nfc_sntp_decide(NFC_SNTP_STEP_THRESHOLD_NS - 1, 0), ==, NFC_SNTP_SLEW);
	g_assert_cmpint(nfc_sntp_decide(NFC_SNTP_STEP_THRESHOLD_NS, 0), ==, NFC_SNTP_STEP);
	g_assert_cmpint(nfc_sntp_decide(-3600 * SEC, 0), ==, NFC_SNTP_STEP);
	g_assert_cmpstr(nfc_sntp_action_to_string(NFC_SNTP_STEP), ==, "step");
}

static void test_zone_names(void)
{
	static const char *const good[] = { "UTC", "Europe/Paris", "America/Argentina/Buenos_Aires",
					    "Etc/GMT+5", "Etc/GMT-14" };
	static const char *const bad[] = { "", "/etc/passwd", "../../etc/passwd", "Europe/../../x",
					   "Europe//Paris", "Europe/", "Europe/Pa ris", "a\nb",
					   "Europe/Paris\\x" };

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(nfc_clock_zone_name_valid(good[i]));
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(nfc_clock_zone_name_valid(bad[i]));
	g_assert_false(nfc_clock_zone_name_valid(NULL));
}

static void test_server_names(void)
{
	g_assert_true(nfc_clock_server_valid("pool.ntp.org"));
	g_assert_true(nfc_clock_server_valid("198.51.100.1"));
	g_assert_true(nfc_clock_server_valid("2001:db8::1"));
	g_assert_false(nfc_clock_server_valid(""));
	g_assert_false(nfc_clock_server_valid("a b"));
	g_assert_false(nfc_clock_server_valid("a,b"));
	g_assert_false(nfc_clock_server_valid("a\tb"));
}

static void test_updates_names(void)
{
	NfcClockUpdates u = NFC_CLOCK_AUTO;

	g_assert_true(nfc_clock_updates_from_string("manual", &u));
	g_assert_cmpint(u, ==, NFC_CLOCK_MANUAL);
	g_assert_false(nfc_clock_updates_from_string("Manual", &u));
	g_assert_cmpstr(nfc_clock_updates_to_string(NFC_CLOCK_AUTO), ==, "auto");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sntp/timestamp", test_timestamp_roundtrip);
	g_test_add_func("/sntp/request", test_request);
	g_test_add_func("/sntp/reply-ok", test_reply_ok);
	g_test_add_func("/sntp/reply-refused", test_reply_refused);
	g_test_add_func("/sntp/offset", test_offset);
	g_test_add_func("/sntp/decide", test_decide);
	g_test_add_func("/clock/zone-names", test_zone_names);
	g_test_add_func("/clock/server-names", test_server_names);
	g_test_add_func("/clock/updates-names", test_updates_names);
	return g_test_run();
}
