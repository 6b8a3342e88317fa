// SPDX-License-Identifier: GPL-2.0-or-later
/* The guard stream: frames what the bus sends into whole messages and hands
 * GDBus each one as nfc_bus_guard_vet() decides. Its input is pollable so
 * that GDBus's asynchronous reads poll the socket in GDBus's worker thread;
 * a stream that is not would make GIO run blocking reads in its thread
 * pool. The output forwards to the base stream's. */
#include <string.h>

#include "bus-guard.h"
#include "log.h"

#define READ_CHUNK 65536
/* bytes_needed() wants a whole fixed header */
#define HEADER_LEN 16
/* the log of replaced messages: each sender once, and at most LOG_MAX
 * lines, per LOG_WINDOW; a flood must not flood the log */
#define LOG_WINDOW_US (60 * G_USEC_PER_SEC)
#define LOG_MAX 5
#define LOG_SENDERS_MAX 64

/* ---- the input stream ---- */

#define NFC_TYPE_BUS_GUARD_INPUT (nfc_bus_guard_input_get_type())
G_DECLARE_FINAL_TYPE(NfcBusGuardInput, nfc_bus_guard_input, NFC, BUS_GUARD_INPUT, GInputStream)

struct _NfcBusGuardInput {
	GInputStream parent;
	GInputStream *base;
	GByteArray *raw;        /* from base, not yet a whole message */
	gsize raw_pos;
	gboolean raw_fresh;     /* raw has bytes not looked at yet */
	GByteArray *ready;      /* vetted, for the reader */
	gsize ready_pos;
	guint8 *chunk;
	GError *failed;         /* sticky: GDBus closes the connection on it */
	gsize passed, replaced, dropped; /* atomic: read from other threads */

	gint64 log_window_start;
	guint log_lines, log_suppressed;
	GHashTable *log_senders;
};

static void nfc_bus_guard_input_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NfcBusGuardInput, nfc_bus_guard_input, G_TYPE_INPUT_STREAM,
	G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM, nfc_bus_guard_input_pollable_init))

static void log_replacement(NfcBusGuardInput *self, NfcBusGuardVerdict verdict,
			    const NfcBusGuardNote *note)
{
	gint64 now = g_get_monotonic_time();
	const char *sender = note->sender ? note->sender : "(no sender)";

	if (now - self->log_window_start >= LOG_WINDOW_US) {
		if (self->log_suppressed)
			nfc_warn("bus guard: %u more undecodable messages in the last minute, not logged",
				 self->log_suppressed);
		self->log_window_start = now;
		self->log_lines = 0;
		self->log_suppressed = 0;
		g_hash_table_remove_all(self->log_senders);
	}
	if (self->log_lines >= LOG_MAX || g_hash_table_contains(self->log_senders, sender) ||
	    g_hash_table_size(self->log_senders) >= LOG_SENDERS_MAX) {
		self->log_suppressed++;
		return;
	}
	g_hash_table_add(self->log_senders, g_strdup(sender));
	self->log_lines++;
	nfc_warn("bus guard: %s from %s that GLib cannot decode: %s",
		 verdict == NFC_BUS_GUARD_DROPPED ? "dropped" : "refused", sender, note->summary);
}

/* Vets every whole message in raw into ready. FALSE: the stream failed. */
static gboolean vet_whole_messages(NfcBusGuardInput *self)
{
	while (self->raw->len - self->raw_pos >= HEADER_LEN) {
		const guint8 *msg = self->raw->data + self->raw_pos;
		gsize have = self->raw->len - self->raw_pos;
		NfcBusGuardNote note = { 0 };
		NfcBusGuardVerdict verdict;
		gssize need;

		need = g_dbus_message_bytes_needed((guchar *)msg, HEADER_LEN, &self->failed);
		if (need < 0)
			return FALSE;
		if (have < (gsize)need)
			break;
		verdict = nfc_bus_guard_vet(msg, need, self->ready, &note, &self->failed);
		self->raw_pos += need;
		if (verdict == NFC_BUS_GUARD_REPLACED || verdict == NFC_BUS_GUARD_DROPPED)
			log_replacement(self, verdict, &note);
		nfc_bus_guard_note_clear(&note);
		switch (verdict) {
		case NFC_BUS_GUARD_PASS:
			g_atomic_pointer_add(&self->passed, 1);
			break;
		case NFC_BUS_GUARD_REPLACED:
			g_atomic_pointer_add(&self->replaced, 1);
			break;
		case NFC_BUS_GUARD_DROPPED:
			g_atomic_pointer_add(&self->dropped, 1);
			break;
		case NFC_BUS_GUARD_FAILED:
			return FALSE;
		}
	}
	if (self->raw_pos == self->raw->len) {
		g_byte_array_set_size(self->raw, 0);
		self->raw_pos = 0;
	} else if (self->raw_pos > READ_CHUNK) {
		g_byte_array_remove_range(self->raw, 0, self->raw_pos);
		self->raw_pos = 0;
	}
	return TRUE;
}

static gsize ready_len(NfcBusGuardInput *self)
{
	return self->ready->len - self->ready_pos;
}

/* Moves what base gives to ready until ready has something. Returns the
 * bytes ready, 0 at the end of the stream, -1 with error (which may be
 * G_IO_ERROR_WOULD_BLOCK when not blocking). */
static gssize fill(NfcBusGuardInput *self, gboolean blocking, GCancellable *cancellable,
		   GError **error)
{
	while (ready_len(self) == 0) {
		gssize n;

		if (self->failed) {
			g_propagate_error(error, g_error_copy(self->failed));
			return -1;
		}
		if (self->raw_fresh) {
			self->raw_fresh = FALSE;
			vet_whole_messages(self); /* on failure: reported above */
			continue;
		}
		if (blocking)
			n = g_input_stream_read(self->base, self->chunk, READ_CHUNK, cancellable,
						error);
		else
			n = g_pollable_input_stream_read_nonblocking(
				G_POLLABLE_INPUT_STREAM(self->base), self->chunk, READ_CHUNK,
				cancellable, error);
		if (n <= 0)
			return n;
		g_byte_array_append(self->raw, self->chunk, n);
		self->raw_fresh = TRUE;
	}
	return ready_len(self);
}

static gssize take_ready(NfcBusGuardInput *self, void *buffer, gsize count)
{
	gsize n = MIN(count, ready_len(self));

	memcpy(buffer, self->ready->data + self->ready_pos, n);
	self->ready_pos += n;
	if (self->ready_pos == self->ready->len) {
		g_byte_array_set_size(self->ready, 0);
		self->ready_pos = 0;
	}
	return n;
}

static gssize guard_read(GInputStream *stream, void *buffer, gsize count,
			 GCancellable *cancellable, GError **error)
{
	NfcBusGuardInput *self = NFC_BUS_GUARD_INPUT(stream);
	gssize n = fill(self, TRUE, cancellable, error);

	return n <= 0 ? n : take_ready(self, buffer, count);
}

static gssize guard_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count,
				     GError **error)
{
	NfcBusGuardInput *self = NFC_BUS_GUARD_INPUT(stream);
	gssize n = fill(self, FALSE, NULL, error);

	return n <= 0 ? n : take_ready(self, buffer, count);
}

static gboolean guard_can_poll(GPollableInputStream *stream)
{
	NfcBusGuardInput *self = NFC_BUS_GUARD_INPUT(stream);

	return G_IS_POLLABLE_INPUT_STREAM(self->base) &&
	       g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(self->base));
}

/* May say yes when base has only part of a message: a pollable stream is
 * allowed to, the read then says WOULD_BLOCK. */
static gboolean guard_is_readable(GPollableInputStream *stream)
{
	NfcBusGuardInput *self = NFC_BUS_GUARD_INPUT(stream);

	return ready_len(self) > 0 || self->raw_fresh || self->failed ||
	       g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(self->base));
}

static GSource *guard_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	NfcBusGuardInput *self = NFC_BUS_GUARD_INPUT(stream);
	g_autoptr(GSource) base_source = NULL;

	if (ready_len(self) > 0 || self->raw_fresh || self->failed)
		base_source = g_timeout_source_new(0);
	else
		base_source = g_pollable_input_stream_create_source(
			G_POLLABLE_INPUT_STREAM(self->base), NULL);
	return g_pollable_source_new_full(stream, base_source, cancellable);
}

/* base belongs to the base GIOStream, which the guard stream closes */
static gboolean guard_input_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static void nfc_bus_guard_input_finalize(GObject *object)
{
	NfcBusGuardInput *self = NFC_BUS_GUARD_INPUT(object);

	g_clear_object(&self->base);
	g_byte_array_unref(self->raw);
	g_byte_array_unref(self->ready);
	g_free(self->chunk);
	g_clear_error(&self->failed);
	g_hash_table_unref(self->log_senders);
	G_OBJECT_CLASS(nfc_bus_guard_input_parent_class)->finalize(object);
}

static void nfc_bus_guard_input_init(NfcBusGuardInput *self)
{
	self->raw = g_byte_array_new();
	self->ready = g_byte_array_new();
	self->chunk = g_malloc(READ_CHUNK);
	self->log_senders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->log_window_start = G_MININT64 / 2;
}

static void nfc_bus_guard_input_class_init(NfcBusGuardInputClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = nfc_bus_guard_input_finalize;
	G_INPUT_STREAM_CLASS(klass)->read_fn = guard_read;
	G_INPUT_STREAM_CLASS(klass)->close_fn = guard_input_close;
}

static void nfc_bus_guard_input_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = guard_can_poll;
	iface->is_readable = guard_is_readable;
	iface->create_source = guard_create_source;
	iface->read_nonblocking = guard_read_nonblocking;
}

/* ---- the output stream ----
 * Only forwards. It exists because GDBus sends on a GSocketOutputStream
 * through the GSocketConnection's socket, which the guard stream (no
 * GSocketConnection) does not have. */

#define NFC_TYPE_BUS_GUARD_OUTPUT (nfc_bus_guard_output_get_type())
G_DECLARE_FINAL_TYPE(NfcBusGuardOutput, nfc_bus_guard_output, NFC, BUS_GUARD_OUTPUT, GOutputStream)

struct _NfcBusGuardOutput {
	GOutputStream parent;
	GOutputStream *base;
};

static void nfc_bus_guard_output_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NfcBusGuardOutput, nfc_bus_guard_output, G_TYPE_OUTPUT_STREAM,
	G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM, nfc_bus_guard_output_pollable_init))

static gssize out_write(GOutputStream *stream, const void *buffer, gsize count,
			GCancellable *cancellable, GError **error)
{
	return g_output_stream_write(NFC_BUS_GUARD_OUTPUT(stream)->base, buffer, count,
				     cancellable, error);
}

static gboolean out_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static gboolean out_can_poll(GPollableOutputStream *stream)
{
	GOutputStream *base = NFC_BUS_GUARD_OUTPUT(stream)->base;

	return G_IS_POLLABLE_OUTPUT_STREAM(base) &&
	       g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(base));
}

static gboolean out_is_writable(GPollableOutputStream *stream)
{
	return g_pollable_output_stream_is_writable(
		G_POLLABLE_OUTPUT_STREAM(NFC_BUS_GUARD_OUTPUT(stream)->base));
}

static GSource *out_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	g_autoptr(GSource) base_source = g_pollable_output_stream_create_source(
		G_POLLABLE_OUTPUT_STREAM(NFC_BUS_GUARD_OUTPUT(stream)->base), NULL);

	return g_pollable_source_new_full(stream, base_source, cancellable);
}

static gssize out_write_nonblocking(GPollableOutputStream *stream, const void *buffer,
				    gsize count, GError **error)
{
	return g_pollable_output_stream_write_nonblocking(
		G_POLLABLE_OUTPUT_STREAM(NFC_BUS_GUARD_OUTPUT(stream)->base), buffer, count,
		NULL, error);
}

static void nfc_bus_guard_output_finalize(GObject *object)
{
	g_clear_object(&NFC_BUS_GUARD_OUTPUT(object)->base);
	G_OBJECT_CLASS(nfc_bus_guard_output_parent_class)->finalize(object);
}

static void nfc_bus_guard_output_init(NfcBusGuardOutput *self)
{
}

/* Nothing to flush: a socket keeps nothing back. Without flush_async,
 * g_output_stream_flush_async() succeeds at once; GOutputStream's default
 * would run it in a thread. */
static void nfc_bus_guard_output_class_init(NfcBusGuardOutputClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = nfc_bus_guard_output_finalize;
	G_OUTPUT_STREAM_CLASS(klass)->write_fn = out_write;
	G_OUTPUT_STREAM_CLASS(klass)->close_fn = out_close;
	G_OUTPUT_STREAM_CLASS(klass)->flush_async = NULL;
}

static void nfc_bus_guard_output_pollable_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = out_can_poll;
	iface->is_writable = out_is_writable;
	iface->create_source = out_create_source;
	iface->write_nonblocking = out_write_nonblocking;
}

/* ---- the stream pair ---- */

#define NFC_TYPE_BUS_GUARD_STREAM (nfc_bus_guard_stream_get_type())
G_DECLARE_FINAL_TYPE(NfcBusGuardStream, nfc_bus_guard_stream, NFC, BUS_GUARD_STREAM, GIOStream)

struct _NfcBusGuardStream {
	GIOStream parent;
	GIOStream *base;
	NfcBusGuardInput *input;
	NfcBusGuardOutput *output;
};

G_DEFINE_TYPE(NfcBusGuardStream, nfc_bus_guard_stream, G_TYPE_IO_STREAM)

static GInputStream *stream_get_input(GIOStream *stream)
{
	return G_INPUT_STREAM(NFC_BUS_GUARD_STREAM(stream)->input);
}

static GOutputStream *stream_get_output(GIOStream *stream)
{
	return G_OUTPUT_STREAM(NFC_BUS_GUARD_STREAM(stream)->output);
}

static gboolean stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	return g_io_stream_close(NFC_BUS_GUARD_STREAM(stream)->base, cancellable, error);
}

static void base_closed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GTask) task = data;
	GError *error = NULL;

	if (g_io_stream_close_finish(G_IO_STREAM(source), result, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

/* GIOStream's own close_async runs close_fn in a thread; the base's does
 * not need one */
static void stream_close_async(GIOStream *stream, int io_priority, GCancellable *cancellable,
			       GAsyncReadyCallback callback, gpointer data)
{
	GTask *task = g_task_new(stream, cancellable, callback, data);

	g_io_stream_close_async(NFC_BUS_GUARD_STREAM(stream)->base, io_priority, cancellable,
				base_closed, task);
}

static gboolean stream_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void nfc_bus_guard_stream_finalize(GObject *object)
{
	NfcBusGuardStream *self = NFC_BUS_GUARD_STREAM(object);

	g_clear_object(&self->input);
	g_clear_object(&self->output);
	g_clear_object(&self->base);
	G_OBJECT_CLASS(nfc_bus_guard_stream_parent_class)->finalize(object);
}

static void nfc_bus_guard_stream_init(NfcBusGuardStream *self)
{
}

static void nfc_bus_guard_stream_class_init(NfcBusGuardStreamClass *klass)
{
	GIOStreamClass *io = G_IO_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = nfc_bus_guard_stream_finalize;
	io->get_input_stream = stream_get_input;
	io->get_output_stream = stream_get_output;
	io->close_fn = stream_close;
	io->close_async = stream_close_async;
	io->close_finish = stream_close_finish;
}

GIOStream *nfc_bus_guard_stream_new(GIOStream *base)
{
	NfcBusGuardStream *self = g_object_new(NFC_TYPE_BUS_GUARD_STREAM, NULL);

	self->base = g_object_ref(base);
	self->input = g_object_new(NFC_TYPE_BUS_GUARD_INPUT, NULL);
	self->input->base = g_object_ref(g_io_stream_get_input_stream(base));
	self->output = g_object_new(NFC_TYPE_BUS_GUARD_OUTPUT, NULL);
	self->output->base = g_object_ref(g_io_stream_get_output_stream(base));
	return G_IO_STREAM(self);
}

void nfc_bus_guard_stream_counts(GIOStream *guard, NfcBusGuardCounts *counts)
{
	NfcBusGuardInput *in = NFC_BUS_GUARD_STREAM(guard)->input;

	counts->passed = (guint64)g_atomic_pointer_get(&in->passed);
	counts->replaced = (guint64)g_atomic_pointer_get(&in->replaced);
	counts->dropped = (guint64)g_atomic_pointer_get(&in->dropped);
}
