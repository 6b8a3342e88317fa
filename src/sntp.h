/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SNTP (RFC 4330): the packet codec and the clock decision, pure, beside
 * the client that sends one query at a time over UDP on the main loop.
 * Times are nanoseconds since the Unix epoch (int64: good until 2262). */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#define NFC_SNTP_PACKET_SIZE 48
#define NFC_SNTP_PORT 123

/* ---- codec (pure) ---- */

/* A client request (mode 3, version 4) whose transmit timestamp is
 * transmit_ns; the reply must echo it as its originate timestamp. */
void nfc_sntp_build_request(uint8_t buf[NFC_SNTP_PACKET_SIZE], int64_t transmit_ns);

typedef struct {
	int leap;            /* 0..2; 3 (alarm) is refused */
	int version;         /* 3 or 4 */
	int stratum;         /* 1..15 */
	int64_t receive_ns;  /* T2: the server got the request */
	int64_t transmit_ns; /* T3: the server sent the reply */
	char kiss[5];        /* stratum 0: the kiss code ("RATE", "DENY") */
} NfcSntpReply;

/* 0, or: -EBADMSG (too short, not a server reply, bad version, zero
 * timestamps), -ESTALE (originate is not our request: a late or forged
 * reply), -EAGAIN (kiss-o'-death, code in reply->kiss; back off),
 * -ENOLINK (leap alarm: the server is not synchronized). */
int nfc_sntp_parse_reply(const uint8_t *buf, size_t len, int64_t originate_ns,
			 NfcSntpReply *reply);

/* NTP 64-bit timestamp <-> ns since the Unix epoch. Era 0 ends in 2036:
 * seconds with the top bit clear are taken as era 1 (RFC 4330 §3). */
uint64_t nfc_sntp_timestamp_from_ns(int64_t ns);
int64_t nfc_sntp_timestamp_to_ns(uint64_t ts);

/* The client's clock offset and the round trip, from T1 (request sent,
 * local clock), T2, T3 (server) and T4 (reply received, local clock). */
void nfc_sntp_offset(int64_t t1, int64_t t2, int64_t t3, int64_t t4, int64_t *offset_ns,
		     int64_t *delay_ns);

typedef enum {
	NFC_SNTP_KEEP,  /* within what the measurement can tell apart from 0 */
	NFC_SNTP_SLEW,  /* adjtime: the clock runs slightly fast or slow */
	NFC_SNTP_STEP,  /* clock_settime: a jump */
} NfcSntpAction;

/* A step beyond this many ns (as ntpdate and timesyncd: 128 ms). */
#define NFC_SNTP_STEP_THRESHOLD_NS 128000000LL
/* Below this the offset is noise (and a test's server never moves us). */
#define NFC_SNTP_KEEP_THRESHOLD_NS 1000000LL

/* What to do about offset_ns measured with delay_ns: nothing when it is
 * under 1 ms or under half the round trip (the measurement's own error),
 * a slew under the step threshold, a step from there on. */
NfcSntpAction nfc_sntp_decide(int64_t offset_ns, int64_t delay_ns);
const char *nfc_sntp_action_to_string(NfcSntpAction action);

/* ---- client (socket I/O on the main loop) ---- */

typedef struct NfcSntpQuery NfcSntpQuery;

typedef struct {
	int error;          /* 0 or -errno (-ETIMEDOUT: no answer) */
	int64_t offset_ns;
	int64_t delay_ns;
	int stratum;
	char kiss[5];
	char address[64];   /* the address the answer came from */
} NfcSntpResult;

typedef void (*NfcSntpDone)(const NfcSntpResult *result, void *user_data);

/* Resolve server (a name or an address), send one request and wait up to
 * timeout_ms for its answer. ifindex > 0 binds the socket to that link:
 * a service's own timeservers are asked over that service's uplink. done
 * is called exactly once, unless the query is cancelled first. */
NfcSntpQuery *nfc_sntp_query_start(const char *server, int ifindex, guint timeout_ms,
				   NfcSntpDone done, void *user_data);
void nfc_sntp_query_cancel(NfcSntpQuery *query);
