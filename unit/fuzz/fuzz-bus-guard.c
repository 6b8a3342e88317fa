// SPDX-License-Identifier: GPL-2.0-or-later
/* The bus guard (src/bus-guard.h) against whatever dbus-daemon would
 * forward. Property: every message libdbus accepts comes out of
 * nfc_bus_guard_vet() as a message GLib decodes (or as nothing, for a
 * signal), and one GLib decodes already comes out byte-identical.
 *
 * The first byte picks how the rest is read: odd, as a raw message blob
 * (kept only if libdbus takes it, as the bus would); even, as a recipe
 * for a method call whose body libdbus builds (types and values chosen by
 * the bytes), which reaches the decoders' corners far more often than
 * mutated blobs do. */
#include <dbus/dbus.h>
#include <stdlib.h>
#include <string.h>

#include "bus-guard.h"
#include "fuzz.h"

typedef struct {
	const uint8_t *p;
	size_t left;
	unsigned budget; /* values still allowed: bounds the body */
} Recipe;

static unsigned take(Recipe *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->p++;
}

static void recipe_type(Recipe *r, GString *sig, int depth)
{
	static const char basics[] = "ybnqiuxtdsog";
	unsigned pick = take(r) % (depth >= 4 ? 12 : 18);

	if (pick < 12) {
		g_string_append_c(sig, basics[pick]);
	} else if (pick < 14) {
		g_string_append_c(sig, 'a');
		recipe_type(r, sig, depth + 1);
	} else if (pick < 16) {
		unsigned n = 1 + take(r) % 3;

		g_string_append_c(sig, '(');
		while (n--)
			recipe_type(r, sig, depth + 1);
		g_string_append_c(sig, ')');
	} else if (pick < 17) {
		g_string_append(sig, "a{");
		g_string_append_c(sig, "ysgu"[take(r) % 4]);
		recipe_type(r, sig, depth + 1);
		g_string_append_c(sig, '}');
	} else {
		g_string_append_c(sig, 'v');
	}
}

static const char *const strings[] = { "", "a", "xyz", "net.connman", "ssss" };
static const char *const paths[] = { "/", "/a/b", "/net/connman" };
static const char *const sigs[] = { "", "s", "ay", "a{sv}", "(ii)", "ssss", "g", "a(gy)" };

static gboolean recipe_value(Recipe *r, DBusMessageIter *it, DBusSignatureIter *sig, int depth);

static gboolean recipe_container(Recipe *r, DBusMessageIter *it, DBusSignatureIter *sig,
				 int depth)
{
	int type = dbus_signature_iter_get_current_type(sig);
	DBusMessageIter sub;
	DBusSignatureIter inner;
	gboolean ok = TRUE;

	if (type == DBUS_TYPE_ARRAY) {
		char *elem;
		unsigned n = take(r) % 4;

		dbus_signature_iter_recurse(sig, &inner);
		elem = dbus_signature_iter_get_signature(&inner);
		ok = dbus_message_iter_open_container(it, type, elem, &sub);
		dbus_free(elem);
		while (ok && n--) {
			dbus_signature_iter_recurse(sig, &inner);
			ok = recipe_value(r, &sub, &inner, depth + 1);
		}
	} else if (type == DBUS_TYPE_VARIANT) {
		g_autoptr(GString) s = g_string_new(NULL);

		recipe_type(r, s, depth + 1);
		dbus_signature_iter_init(&inner, s->str);
		ok = dbus_message_iter_open_container(it, type, s->str, &sub) &&
		     recipe_value(r, &sub, &inner, depth + 1);
	} else {
		ok = dbus_message_iter_open_container(it, type, NULL, &sub);
		dbus_signature_iter_recurse(sig, &inner);
		do
			ok = ok && recipe_value(r, &sub, &inner, depth + 1);
		while (ok && dbus_signature_iter_next(&inner));
	}
	if (ok)
		return dbus_message_iter_close_container(it, &sub);
	dbus_message_iter_abandon_container(it, &sub);
	return FALSE;
}

static gboolean recipe_value(Recipe *r, DBusMessageIter *it, DBusSignatureIter *sig, int depth)
{
	int type = dbus_signature_iter_get_current_type(sig);
	DBusBasicValue v = { 0 };

	if (r->budget == 0 || depth > 32)
		return FALSE;
	r->budget--;
	switch (type) {
	case DBUS_TYPE_STRING:
		v.str = (char *)strings[take(r) % G_N_ELEMENTS(strings)];
		break;
	case DBUS_TYPE_OBJECT_PATH:
		v.str = (char *)paths[take(r) % G_N_ELEMENTS(paths)];
		break;
	case DBUS_TYPE_SIGNATURE:
		v.str = (char *)sigs[take(r) % G_N_ELEMENTS(sigs)];
		break;
	case DBUS_TYPE_BOOLEAN:
		v.bool_val = take(r) & 1;
		break;
	case DBUS_TYPE_ARRAY:
	case DBUS_TYPE_STRUCT:
	case DBUS_TYPE_DICT_ENTRY:
	case DBUS_TYPE_VARIANT:
		return recipe_container(r, it, sig, depth);
	default:
		for (int i = 0; i < 8; i++)
			v.u64 = v.u64 << 8 | take(r);
		break;
	}
	return dbus_message_iter_append_basic(it, type, &v);
}

static DBusMessage *recipe_message(const uint8_t *data, size_t size)
{
	Recipe r = { data, size, 256 };
	g_autoptr(GString) sig = g_string_new(NULL);
	DBusMessage *m = dbus_message_new_method_call("net.connman", "/", "net.connman.Session",
						      "Change");
	DBusMessageIter it;
	DBusSignatureIter s;
	unsigned n = 1 + take(&r) % 3;
	gboolean ok = TRUE;

	while (n--)
		recipe_type(&r, sig, 0);
	if (!dbus_signature_validate(sig->str, NULL)) {
		dbus_message_unref(m);
		return NULL;
	}
	dbus_message_iter_init_append(m, &it);
	dbus_signature_iter_init(&s, sig->str);
	do
		ok = recipe_value(&r, &it, &s, 0);
	while (ok && dbus_signature_iter_next(&s));
	if (!ok) {
		dbus_message_unref(m);
		return NULL;
	}
	dbus_message_set_serial(m, 7);
	dbus_message_set_sender(m, ":1.9");
	return m;
}

static void check(const uint8_t *blob, size_t len)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusMessage) m = NULL;
	NfcBusGuardNote note = { 0 };
	NfcBusGuardVerdict v = nfc_bus_guard_vet(blob, len, out, &note, &error);

	nfc_bus_guard_note_clear(&note);
	if (v == NFC_BUS_GUARD_FAILED)
		g_error("the guard failed a message libdbus accepts: %s", error->message);
	if (v == NFC_BUS_GUARD_DROPPED) {
		g_assert_cmpuint(out->len, ==, 0);
		return;
	}
	m = g_dbus_message_new_from_blob(out->data, out->len, G_DBUS_CAPABILITY_FLAGS_NONE,
					 &error);
	if (!m)
		g_error("the guard gave out a message GLib cannot decode: %s", error->message);
	if (v == NFC_BUS_GUARD_PASS)
		g_assert_true(out->len == len && memcmp(out->data, blob, len) == 0);
}

/* A GLib critical or warning is a finding too (a replacement built from
 * fields GLib refuses, say): abort, which libFuzzer catches (GLib's own
 * fatal path raises SIGTRAP, which it does not). */
static GLogWriterOutput fatal_writer(GLogLevelFlags level, const GLogField *fields,
				     gsize n_fields, gpointer data)
{
	GLogWriterOutput r = g_log_writer_standard_streams(level, fields, n_fields, data);

	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean writer_set;
	DBusMessage *m = NULL;
	DBusError err;
	char *blob;
	int len;

	if (!writer_set) {
		g_log_set_writer_func(fatal_writer, NULL, NULL);
		writer_set = TRUE;
	}
	if (size < 1)
		return 0;
	dbus_error_init(&err);
	if (data[0] & 1) {
		/* the bus forwards only what its decoder takes */
		m = dbus_message_demarshal((const char *)data + 1, (int)MIN(size - 1, G_MAXINT), &err);
		dbus_error_free(&err);
		if (m && dbus_message_demarshal_bytes_needed((const char *)data + 1,
							     (int)MIN(size - 1, G_MAXINT)) ==
			     (int)(size - 1))
			check(data + 1, size - 1);
		if (m)
			dbus_message_unref(m);
		return 0;
	}
	m = recipe_message(data + 1, size - 1);
	if (!m)
		return 0;
	if (dbus_message_marshal(m, &blob, &len)) {
		check((const uint8_t *)blob, len);
		dbus_free(blob);
	}
	dbus_message_unref(m);
	return 0;
}
