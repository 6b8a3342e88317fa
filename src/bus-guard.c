// SPDX-License-Identifier: GPL-2.0-or-later
/* The bus guard's decisions (one message in, what GDBus gets out) and the
 * connection built on the guard stream (bus-guard-stream.c). */
#include <dbus/dbus.h>
#include <string.h>
#include <unistd.h>

#include "bus-guard.h"

void nfc_bus_guard_note_clear(NfcBusGuardNote *note)
{
	g_clear_pointer(&note->sender, g_free);
	g_clear_pointer(&note->summary, g_free);
}

static const char *type_name(int type)
{
	switch (type) {
	case DBUS_MESSAGE_TYPE_METHOD_CALL:
		return "method call";
	case DBUS_MESSAGE_TYPE_METHOD_RETURN:
		return "method return";
	case DBUS_MESSAGE_TYPE_ERROR:
		return "error";
	case DBUS_MESSAGE_TYPE_SIGNAL:
		return "signal";
	default:
		return "message";
	}
}

static void fill_note(NfcBusGuardNote *note, DBusMessage *m, const char *glib_error)
{
	const char *iface = dbus_message_get_interface(m);
	const char *member = dbus_message_get_member(m);

	if (!note)
		return;
	note->sender = g_strdup(dbus_message_get_sender(m));
	note->summary = g_strdup_printf("%s %s%s%s (signature \"%s\") serial %u: %s",
					type_name(dbus_message_get_type(m)),
					iface ? iface : "", iface ? "." : "",
					member ? member : "", dbus_message_get_signature(m),
					dbus_message_get_serial(m), glib_error);
}

/* The headers every replacement copies from the original. A name GLib
 * does not take (libdbus lets ":109" pass; dbus-daemon never sends one)
 * is left out: a call without a sender gets no reply. */
static void copy_addressing(GDBusMessage *to, DBusMessage *from)
{
	const char *sender = dbus_message_get_sender(from);
	const char *dest = dbus_message_get_destination(from);

	g_dbus_message_set_serial(to, dbus_message_get_serial(from));
	if (sender && g_dbus_is_name(sender))
		g_dbus_message_set_sender(to, sender);
	if (dest && g_dbus_is_name(dest))
		g_dbus_message_set_destination(to, dest);
}

/* The marker call: the original addressing, path and flags, so that the
 * filter's error reply goes to the caller with the serial it waits on;
 * the body says what the call was, for nobody but a debugger. */
static GDBusMessage *marker_call(DBusMessage *m)
{
	const char *iface = dbus_message_get_interface(m);
	GDBusMessage *g = g_dbus_message_new_method_call(NULL, dbus_message_get_path(m),
							 NFC_BUS_GUARD_INTERFACE,
							 NFC_BUS_GUARD_MEMBER);

	copy_addressing(g, m);
	if (dbus_message_get_no_reply(m))
		g_dbus_message_set_flags(g, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
	g_dbus_message_set_body(g, g_variant_new("(sss)", iface ? iface : "",
						 dbus_message_get_member(m),
						 dbus_message_get_signature(m)));
	return g;
}

/* A reply GLib cannot read fails the call it answers, now. */
static GDBusMessage *error_reply(DBusMessage *m)
{
	GDBusMessage *g = g_dbus_message_new();

	g_dbus_message_set_message_type(g, G_DBUS_MESSAGE_TYPE_ERROR);
	copy_addressing(g, m);
	g_dbus_message_set_reply_serial(g, dbus_message_get_reply_serial(m));
	g_dbus_message_set_error_name(g, NFC_BUS_GUARD_ERROR);
	g_dbus_message_set_body(g, g_variant_new("(s)", "the reply's body could not be decoded"));
	return g;
}

NfcBusGuardVerdict nfc_bus_guard_vet(const guint8 *blob, gsize len, GByteArray *out,
				     NfcBusGuardNote *note, GError **error)
{
	g_autoptr(GError) glib_error = NULL;
	g_autoptr(GDBusMessage) msg = NULL, replacement = NULL;
	g_autofree guchar *rblob = NULL;
	DBusMessage *m;
	DBusError derr;
	gsize rlen;

	/* the same call, with the same capabilities (no fd passing: the guard
	 * is no GUnixConnection), as the GDBus worker makes */
	msg = g_dbus_message_new_from_blob((guchar *)blob, len, G_DBUS_CAPABILITY_FLAGS_NONE,
					   &glib_error);
	if (msg) {
		g_byte_array_append(out, blob, len);
		return NFC_BUS_GUARD_PASS;
	}

	dbus_error_init(&derr);
	m = dbus_message_demarshal((const char *)blob, (int)MIN(len, G_MAXINT), &derr);
	if (!m) {
		/* dbus-daemon checked it with this same decoder before it
		 * forwarded it: only a broken bus gets here */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "undecodable message from the bus: %s; libdbus: %s",
			    glib_error->message, derr.message);
		dbus_error_free(&derr);
		return NFC_BUS_GUARD_FAILED;
	}

	fill_note(note, m, glib_error->message);
	switch (dbus_message_get_type(m)) {
	case DBUS_MESSAGE_TYPE_METHOD_CALL:
		replacement = marker_call(m);
		break;
	case DBUS_MESSAGE_TYPE_METHOD_RETURN:
	case DBUS_MESSAGE_TYPE_ERROR:
		replacement = error_reply(m);
		break;
	default:
		dbus_message_unref(m);
		return NFC_BUS_GUARD_DROPPED;
	}
	dbus_message_unref(m);

	rblob = g_dbus_message_to_blob(replacement, &rlen, G_DBUS_CAPABILITY_FLAGS_NONE, error);
	if (!rblob)
		return NFC_BUS_GUARD_FAILED;
	g_byte_array_append(out, rblob, rlen);
	return NFC_BUS_GUARD_REPLACED;
}

/* Runs in the GDBus worker thread: touches nothing but the message and the
 * (thread-safe) connection. */
static GDBusMessage *answer_markers(GDBusConnection *conn, GDBusMessage *msg, gboolean incoming,
				   gpointer data)
{
	g_autoptr(GDBusMessage) reply = NULL;

	if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
	    g_strcmp0(g_dbus_message_get_interface(msg), NFC_BUS_GUARD_INTERFACE) != 0 ||
	    g_strcmp0(g_dbus_message_get_member(msg), NFC_BUS_GUARD_MEMBER) != 0)
		return msg;

	if (!(g_dbus_message_get_flags(msg) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) &&
	    g_dbus_message_get_sender(msg)) {
		reply = g_dbus_message_new_method_error_literal(msg, NFC_BUS_GUARD_ERROR,
			"the message's body could not be decoded");
		g_dbus_connection_send_message(conn, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
					       NULL, NULL);
	}
	g_object_unref(msg);
	return NULL;
}

/* The server's answer: one line, read a byte at a time so that nothing
 * after it (the first messages) is taken from the stream. */
static char *read_auth_line(GInputStream *in, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);

	while (!g_str_has_suffix(line->str, "\r\n")) {
		char c;
		gssize n = g_input_stream_read(in, &c, 1, NULL, error);

		if (n < 0)
			return NULL;
		if (n == 0 || c == '\0' || line->len >= 512) {
			g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "the bus closed or garbled the authentication");
			return NULL;
		}
		g_string_append_c(line, c);
	}
	g_string_truncate(line, line->len - 2);
	return g_string_free(g_steal_pointer(&line), FALSE);
}

static gboolean authenticate(GIOStream *base, GError **error)
{
	GOutputStream *out = g_io_stream_get_output_stream(base);
	g_autofree char *uid = g_strdup_printf("%u", (unsigned)getuid());
	g_autoptr(GString) hello = g_string_new(NULL);
	g_autofree char *reply = NULL;
	static const char begin[] = "BEGIN\r\n";

	/* the credentials byte, then EXTERNAL with our uid as its identity */
	g_string_append_c(hello, '\0');
	g_string_append(hello, "AUTH EXTERNAL ");
	for (const char *c = uid; *c; c++)
		g_string_append_printf(hello, "%02x", (unsigned char)*c);
	g_string_append(hello, "\r\n");
	if (!g_output_stream_write_all(out, hello->str, hello->len, NULL, NULL, error))
		return FALSE;
	reply = read_auth_line(g_io_stream_get_input_stream(base), error);
	if (!reply)
		return FALSE;
	if (!g_str_has_prefix(reply, "OK ") || !g_dbus_is_guid(reply + 3)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "the bus refused EXTERNAL authentication as uid %s: \"%.80s\"",
			    uid, reply);
		return FALSE;
	}
	return g_output_stream_write_all(out, begin, strlen(begin), NULL, NULL, error);
}

GDBusConnection *nfc_bus_guard_connection_new(GIOStream *base, GError **error)
{
	g_autoptr(GIOStream) guard = NULL;
	GDBusConnection *conn;

	if (!authenticate(base, error)) {
		g_prefix_error(error, "authentication: ");
		return NULL;
	}
	guard = nfc_bus_guard_stream_new(base);
	conn = g_dbus_connection_new_sync(guard, NULL,
					  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
					  NULL, NULL, error);
	if (!conn)
		return NULL;
	/* A marker call that arrives before the filter is in (only possible
	 * between Hello() and here, to our unique name) still gets an error:
	 * GDBus answers UnknownMethod for the unknown interface itself. */
	g_dbus_connection_add_filter(conn, answer_markers, NULL, NULL);
	return conn;
}

GDBusConnection *nfc_bus_guard_connect(const char *address, GError **error)
{
	g_autoptr(GIOStream) base = g_dbus_address_get_stream_sync(address, NULL, NULL, error);

	if (!base) {
		g_prefix_error(error, "%s: ", address);
		return NULL;
	}
	return nfc_bus_guard_connection_new(base, error);
}
