/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfconnctl's text output: the exact line formats connmanctl prints for
 * dictionaries, technologies, services, monitor signals and session
 * updates, so that scripts parsing connmanctl keep working. Pure: GVariant
 * in, text appended to a GString. */
#pragma once

#include <glib.h>

/* The generic dump of a sequence of values (the children of container):
 * each child is prefixed by pre; dict entries print key, dict, value;
 * children are separated by sep. */
void nfc_ctl_dump(GString *out, GVariant *container, const char *pre, const char *dict,
		  const char *sep);

/* "state" and other property dictionaries (a{sv}): "  Key = value" lines. */
void nfc_ctl_format_properties(GString *out, GVariant *props);

/* "technologies": a(oa{sv}), a path line and the dictionary per entry. */
void nfc_ctl_format_technologies(GString *out, GVariant *techs);

/* One service line "*AO Name                 id" or "unchanged" when the
 * dictionary is empty. */
void nfc_ctl_format_service_line(GString *out, const char *path, GVariant *props);

/* "services": a(oa{sv}) as one line per service. removed (ao, may be
 * NULL) adds the "}, {" block of ServicesChanged. */
void nfc_ctl_format_services(GString *out, GVariant *services, GVariant *removed);

/* "services ID": path line and the dictionary. */
void nfc_ctl_format_service(GString *out, const char *path, GVariant *props);

/* One monitor line (or block, for ServicesChanged) for a signal; iface is
 * the full interface name. Returns FALSE for signals monitor never shows. */
gboolean nfc_ctl_format_signal(GString *out, const char *iface, const char *path,
			       const char *member, GVariant *params);

/* A Notification.Update as the session command prints it. */
void nfc_ctl_format_session_update(GString *out, GVariant *settings);

/* "tether clients": a(sa{sv}) (MAC → Hostname, Addresses, TxPackets,
 * TxBytes, RxPackets, RxBytes) as a table with a header line, columns as
 * wide as their widest cell, counters right-aligned, "-" for nothing. */
void nfc_ctl_format_tether_clients(GString *out, GVariant *clients);

/* "peers": a(oa{sv}), one line per peer (state letter, Name, id), no
 * newline after the last: the caller ends the block as for services. */
void nfc_ctl_format_peers(GString *out, GVariant *peers);

/* "vpnconnections": a(oa{sv}) as "  S Name                 id" lines
 * (S: R ready, C configuration, F failure), no newline after the last. */
void nfc_ctl_format_vpn_connections(GString *out, GVariant *connections);

/* An "as" one string per line, no newline after the last
 * ("tethering_clients"). */
void nfc_ctl_format_lines(GString *out, GVariant *strings);
