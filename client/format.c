// SPDX-License-Identifier: GPL-2.0-or-later
/* connmanctl-compatible text output; see format.h. */
#include <inttypes.h>
#include <string.h>

#include "format.h"

static void dump_value(GString *out, GVariant *v, const char *pre, const char *dict,
		       const char *sep)
{
	const GVariantType *type = g_variant_get_type(v);

	g_string_append(out, pre);

	if (g_variant_type_is_tuple(type)) {
		g_string_append(out, "{ ");
		nfc_ctl_dump(out, v, "", "=", " ");
		g_string_append(out, "}");
	} else if (g_variant_type_is_array(type)) {
		g_string_append(out, "[ ");
		nfc_ctl_dump(out, v, "", "=", ", ");
		g_string_append(out, " ]");
	} else if (g_variant_type_is_dict_entry(type)) {
		nfc_ctl_dump(out, v, "", dict, dict);
	} else if (g_variant_type_is_variant(type)) {
		g_autoptr(GVariant) inner = g_variant_get_variant(v);

		/* the prefix appears again for the inner value, as in
		 * connmanctl (it only shows when pre is not empty) */
		dump_value(out, inner, pre, dict, sep);
	} else {
		switch (g_variant_classify(v)) {
		case G_VARIANT_CLASS_STRING:
		case G_VARIANT_CLASS_OBJECT_PATH:
			g_string_append(out, g_variant_get_string(v, NULL));
			break;
		case G_VARIANT_CLASS_BOOLEAN:
			g_string_append(out, g_variant_get_boolean(v) ? "True" : "False");
			break;
		case G_VARIANT_CLASS_BYTE:
			g_string_append_printf(out, "%d", g_variant_get_byte(v));
			break;
		case G_VARIANT_CLASS_UINT16:
			g_string_append_printf(out, "%u", g_variant_get_uint16(v));
			break;
		case G_VARIANT_CLASS_UINT32:
			/* connmanctl prints uint32 as signed: keep that */
			g_string_append_printf(out, "%d", (gint32)g_variant_get_uint32(v));
			break;
		case G_VARIANT_CLASS_INT32:
			g_string_append_printf(out, "%d", g_variant_get_int32(v));
			break;
		case G_VARIANT_CLASS_UINT64:
			g_string_append_printf(out, "%" PRIu64, (uint64_t)g_variant_get_uint64(v));
			break;
		case G_VARIANT_CLASS_DOUBLE:
			g_string_append_printf(out, "%f", g_variant_get_double(v));
			break;
		default:
			g_string_append_printf(out, "<type %c>", g_variant_classify(v));
			break;
		}
	}
}

void nfc_ctl_dump(GString *out, GVariant *container, const char *pre, const char *dict,
		  const char *sep)
{
	gsize n = g_variant_n_children(container);

	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) child = g_variant_get_child_value(container, i);

		dump_value(out, child, pre, dict, sep);
		if (i + 1 < n)
			g_string_append(out, sep);
	}
}

void nfc_ctl_format_properties(GString *out, GVariant *props)
{
	nfc_ctl_dump(out, props, "  ", " = ", "\n");
	g_string_append_c(out, '\n');
}

void nfc_ctl_format_technologies(GString *out, GVariant *techs)
{
	GVariantIter iter;
	const char *path;
	GVariant *props;

	g_variant_iter_init(&iter, techs);
	while (g_variant_iter_next(&iter, "(&o@a{sv})", &path, &props)) {
		g_string_append_printf(out, "%s\n", path);
		nfc_ctl_format_properties(out, props);
		g_variant_unref(props);
	}
}

static char state_letter(const char *state)
{
	static const struct {
		const char *name;
		char letter;
	} letters[] = {
		{ "online", 'O' },
		{ "ready", 'R' },
		{ "association", 'a' },
		{ "configuration", 'c' },
		{ "disconnect", 'd' },
	};

	for (gsize i = 0; state && i < G_N_ELEMENTS(letters); i++)
		if (strcmp(state, letters[i].name) == 0)
			return letters[i].letter;
	return ' ';
}

void nfc_ctl_format_service_line(GString *out, const char *path, GVariant *props)
{
	const char *id = strrchr(path, '/');
	const char *name = "", *state = NULL;
	gboolean autoconnect = FALSE, favorite = FALSE;

	id = id ? id + 1 : path;
	if (g_variant_n_children(props) == 0) {
		g_string_append_printf(out, "%-24s %s", "unchanged", id);
		return;
	}
	g_variant_lookup(props, "Name", "&s", &name);
	g_variant_lookup(props, "State", "&s", &state);
	g_variant_lookup(props, "AutoConnect", "b", &autoconnect);
	g_variant_lookup(props, "Favorite", "b", &favorite);
	g_string_append_printf(out, "%c%c%c %-20s %s", favorite ? '*' : ' ',
			       autoconnect ? 'A' : ' ', state_letter(state), name, id);
}

void nfc_ctl_format_services(GString *out, GVariant *services, GVariant *removed)
{
	gsize n = g_variant_n_children(services);

	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) props = NULL;
		const char *path;

		g_variant_get_child(services, i, "(&o@a{sv})", &path, &props);
		nfc_ctl_format_service_line(out, path, props);
		if (i + 1 < n)
			g_string_append_c(out, '\n');
	}
	if (removed) {
		GVariantIter iter;
		const char *path;

		g_string_append(out, "\n}, {");
		g_variant_iter_init(&iter, removed);
		while (g_variant_iter_next(&iter, "&o", &path))
			g_string_append_printf(out, "\n%-24s %s", "removed", path);
	}
}

void nfc_ctl_format_service(GString *out, const char *path, GVariant *props)
{
	g_string_append_printf(out, "%s\n", path);
	nfc_ctl_format_properties(out, props);
}

gboolean nfc_ctl_format_signal(GString *out, const char *iface, const char *path,
			       const char *member, GVariant *params)
{
	static const char *const hidden[] = {
		"net.connman.Agent", "net.connman.vpn.Agent", "net.connman.Session",
		"net.connman.Notification", NULL,
	};
	const char *short_iface, *last;

	if (!g_str_has_prefix(iface, "net.connman.") || g_strv_contains(hidden, iface))
		return FALSE;
	short_iface = strrchr(iface, '.') + 1;
	last = strrchr(path, '/');
	last = last ? last + 1 : path;

	if (strcmp(iface, "net.connman.Manager") == 0) {
		if (strcmp(member, "ServicesChanged") == 0) {
			g_autoptr(GVariant) changed = g_variant_get_child_value(params, 0);
			g_autoptr(GVariant) removed = g_variant_get_child_value(params, 1);

			g_string_append_printf(out, "%-12s %-20s = {\n", short_iface, member);
			nfc_ctl_format_services(out, changed, removed);
			g_string_append(out, "\n}\n");
			return TRUE;
		}
		/* these name the signal where the others show the path */
		if (strcmp(member, "TechnologyAdded") == 0 ||
		    strcmp(member, "TechnologyRemoved") == 0)
			last = member;
	}
	g_string_append_printf(out, "%-12s %-20s ", short_iface, last);
	nfc_ctl_dump(out, params, "", " = ", " = ");
	g_string_append_c(out, '\n');
	return TRUE;
}

void nfc_ctl_format_session_update(GString *out, GVariant *settings)
{
	g_string_append(out, "Session      Update               = {\n");
	nfc_ctl_dump(out, settings, "", " = ", "\n");
	g_string_append(out, "\n}\n");
}

enum { COL_MAC, COL_ADDRESSES, COL_HOSTNAME, COL_TX_PACKETS, COL_TX_BYTES, COL_RX_PACKETS,
       COL_RX_BYTES, N_COLS };

static char *printable(const char *text)
{
	char *copy = g_strdup(text);

	for (char *p = copy; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return copy;
}

static char *client_cell(const char *mac, GVariant *props, int col)
{
	static const char *const counters[] = {
		[COL_TX_PACKETS] = "TxPackets", [COL_TX_BYTES] = "TxBytes",
		[COL_RX_PACKETS] = "RxPackets", [COL_RX_BYTES] = "RxBytes",
	};
	g_autofree const char **addresses = NULL;
	const char *hostname = NULL;
	guint64 n = 0;

	switch (col) {
	case COL_MAC:
		return g_strdup(mac);
	case COL_ADDRESSES:
		if (!g_variant_lookup(props, "Addresses", "^a&s", &addresses) || !addresses[0])
			return g_strdup("-");
		return g_strjoinv(", ", (char **)addresses);
	case COL_HOSTNAME:
		if (!g_variant_lookup(props, "Hostname", "&s", &hostname) || !*hostname)
			return g_strdup("-");
		/* a client names itself: no control characters to the terminal */
		return printable(hostname);
	default:
		/* a daemon that lacks one: 0 would be a lie */
		if (!g_variant_lookup(props, counters[col], "t", &n))
			return g_strdup("-");
		return g_strdup_printf("%" G_GUINT64_FORMAT, n);
	}
}

void nfc_ctl_format_tether_clients(GString *out, GVariant *clients)
{
	static const char *const headers[N_COLS] = {
		"MAC", "Addresses", "Hostname", "TX packets", "TX bytes", "RX packets", "RX bytes",
	};
	gsize rows = g_variant_n_children(clients);
	g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
	gsize width[N_COLS];

	for (int c = 0; c < N_COLS; c++) {
		g_ptr_array_add(cells, g_strdup(headers[c]));
		width[c] = strlen(headers[c]);
	}
	for (gsize r = 0; r < rows; r++) {
		g_autoptr(GVariant) props = NULL;
		const char *mac;

		g_variant_get_child(clients, r, "(&s@a{sv})", &mac, &props);
		for (int c = 0; c < N_COLS; c++) {
			char *cell = client_cell(mac, props, c);

			width[c] = MAX(width[c], (gsize)g_utf8_strlen(cell, -1));
			g_ptr_array_add(cells, cell);
		}
	}
	for (gsize r = 0; r <= rows; r++) {
		for (int c = 0; c < N_COLS; c++) {
			const char *cell = cells->pdata[r * N_COLS + c];
			gsize pad = width[c] - (gsize)g_utf8_strlen(cell, -1);
			gboolean number = c >= COL_TX_PACKETS;

			if (c)
				g_string_append(out, "  ");
			if (number)
				g_string_append_printf(out, "%*s", (int)pad, "");
			g_string_append(out, cell);
			/* no trailing blanks after the last column */
			if (!number && c + 1 < N_COLS)
				g_string_append_printf(out, "%*s", (int)pad, "");
		}
		g_string_append_c(out, '\n');
	}
}

/* Lines of an object list: indent, letter(state), Name and the last
 * component of the path, joined by newlines (no newline after the last). */
static void format_object_lines(GString *out, GVariant *list, const char *indent,
				char (*letter)(const char *state))
{
	gsize n = g_variant_n_children(list);

	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) props = NULL;
		const char *path, *id, *name = "", *state = NULL;

		g_variant_get_child(list, i, "(&o@a{sv})", &path, &props);
		id = strrchr(path, '/');
		id = id ? id + 1 : path;
		g_variant_lookup(props, "Name", "&s", &name);
		g_variant_lookup(props, "State", "&s", &state);
		g_string_append_printf(out, "%s%c %-20s %s", indent, letter(state), name, id);
		if (i + 1 < n)
			g_string_append_c(out, '\n');
	}
}

void nfc_ctl_format_peers(GString *out, GVariant *peers)
{
	format_object_lines(out, peers, "", state_letter);
}

static char vpn_letter(const char *state)
{
	/* connmanctl's letters for a VPN connection, upper case */
	if (g_strcmp0(state, "ready") == 0)
		return 'R';
	if (g_strcmp0(state, "configuration") == 0)
		return 'C';
	if (g_strcmp0(state, "failure") == 0)
		return 'F';
	return ' ';
}

void nfc_ctl_format_vpn_connections(GString *out, GVariant *connections)
{
	format_object_lines(out, connections, "  ", vpn_letter);
}

void nfc_ctl_format_lines(GString *out, GVariant *strings)
{
	GVariantIter iter;
	const char *s;
	gboolean first = TRUE;

	g_variant_iter_init(&iter, strings);
	while (g_variant_iter_next(&iter, "&s", &s)) {
		if (!first)
			g_string_append_c(out, '\n');
		g_string_append(out, s);
		first = FALSE;
	}
}
