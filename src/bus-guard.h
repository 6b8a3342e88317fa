/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bus guard: a stream between the bus socket and GDBus that hands GDBus
 * only messages GLib can decode, so that no message a client sends can make
 * GDBus drop nfconnd's bus connection.
 *
 * Why: GLib's decoder (gio/gdbusmessage.c, parse_value_from_blob(), case
 * 'a', non-fixed-size elements; 2.74.6 as in Debian 12, and still on GLib
 * main) takes the array's end as "position after the length field + length"
 * BEFORE it skips the padding to the element alignment. For 8-aligned
 * elements (structs, dict entries) whose length field ends at 4 mod 8 the
 * loop stops 4 bytes early: a last element that fits in those 4 bytes, e.g.
 * "(gy)" with an empty signature, is dropped and the next value is read from
 * the wrong offset ("Wanted to read 65536 bytes but only got 0"). dbus-daemon
 * decodes such a body correctly and forwards it, and the GDBus worker treats
 * a decode error as fatal: it closes the connection.
 *
 * What the guard does with each whole message (nfc_bus_guard_vet()):
 * one GLib decodes passes byte-identical; one only libdbus decodes is
 * replaced: a method call by a marker call that the connection's filter
 * answers with org.freedesktop.DBus.Error.InvalidArgs (original sender and
 * serial), a reply by an error reply with the same reply serial (the pending
 * call fails instead of waiting for its timeout), a signal is dropped. */
#pragma once

#include <gio/gio.h>

/* The marker method call that stands in for an undecodable one. */
#define NFC_BUS_GUARD_INTERFACE "net.nfconn.BusGuard"
#define NFC_BUS_GUARD_MEMBER "Undecodable"
#define NFC_BUS_GUARD_ERROR "org.freedesktop.DBus.Error.InvalidArgs"

typedef enum {
	NFC_BUS_GUARD_PASS,     /* GLib decodes it: passed unchanged */
	NFC_BUS_GUARD_REPLACED, /* replaced by the marker call or an error reply */
	NFC_BUS_GUARD_DROPPED,  /* an undecodable signal: nobody waits for it */
	NFC_BUS_GUARD_FAILED,   /* libdbus cannot decode it either: the stream fails */
} NfcBusGuardVerdict;

/* What was done to a message that did not pass, for the log. */
typedef struct {
	char *sender;   /* may be NULL */
	char *summary;  /* "method call a.b.C.M (sig a(gy)s) serial 5: <GLib's error>" */
} NfcBusGuardNote;

void nfc_bus_guard_note_clear(NfcBusGuardNote *note);

/* Vets one whole message blob (its length as g_dbus_message_bytes_needed()
 * says): appends what GDBus gets instead (the blob itself, a replacement,
 * or nothing) to out. note (may be NULL) is filled unless the verdict is
 * PASS; error is set when it is FAILED. Pure: no I/O, no global state. */
NfcBusGuardVerdict nfc_bus_guard_vet(const guint8 *blob, gsize len, GByteArray *out,
				     NfcBusGuardNote *note, GError **error);

/* The guard around base (a stream to the bus, authenticated): reads give
 * whole vetted messages. Writes go to base unchanged. */
GIOStream *nfc_bus_guard_stream_new(GIOStream *base);

typedef struct {
	guint64 passed, replaced, dropped;
} NfcBusGuardCounts;

/* Thread-safe (GDBus reads in its worker thread). */
void nfc_bus_guard_stream_counts(GIOStream *guard, NfcBusGuardCounts *counts);

/* A message bus connection over the guard around base (connected, not yet
 * authenticated), with the filter that answers marker calls: what nfconnd
 * uses. Blocks for the authentication and Hello().
 *
 * The guard authenticates itself (SASL EXTERNAL, the uid checked by the
 * bus through SO_PEERCRED): GDBus offers EXTERNAL only on a
 * GUnixConnection, and a GUnixConnection is read by GDBus directly from
 * its socket, past any stream around it. No fd passing is negotiated. */
GDBusConnection *nfc_bus_guard_connection_new(GIOStream *base, GError **error);

/* Same, for a bus address ("unix:path=…"). */
GDBusConnection *nfc_bus_guard_connect(const char *address, GError **error);
