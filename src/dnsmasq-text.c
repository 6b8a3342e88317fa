// SPDX-License-Identifier: GPL-2.0-or-later
/* The two texts nfconnd and dnsmasq exchange, apart from the process: the
 * configuration file we write and the lease file dnsmasq writes (read
 * here as hostile input: another process owns it). */
#include "dnsmasq.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define RA_INTERVAL_S 60

char *nfc_dnsmasq_config_text(const NfcDnsmasqConfig *config)
{
	GString *s = g_string_new(NULL);
	char addr[INET_ADDRSTRLEN], start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN];
	char mask[INET_ADDRSTRLEN];
	struct in_addr netmask = {
		.s_addr = htonl(config->prefixlen ? ~0u << (32 - MIN(config->prefixlen, 32)) : 0),
	};

	inet_ntop(AF_INET, &config->address, addr, sizeof(addr));
	inet_ntop(AF_INET, &config->range_start, start, sizeof(start));
	inet_ntop(AF_INET, &config->range_end, end, sizeof(end));
	inet_ntop(AF_INET, &netmask, mask, sizeof(mask));

	g_string_append(s, "# Written by nfconnd for the tether bridge; rewritten at each start.\n");
	/* Only the bridge, and only its own addresses (no wildcard socket):
	 * another resolver on the host keeps port 53 elsewhere. bind-dynamic
	 * rather than bind-interfaces: the bridge has no carrier until a port
	 * is lent, so its IPv6 addresses are still tentative at our start;
	 * bind-dynamic binds them when DAD is done (and again if they are
	 * re-added) instead of waiting or failing. */
	g_string_append_printf(s, "interface=%s\n", config->interface);
	g_string_append(s, "bind-dynamic\n");
	g_string_append(s, "except-interface=lo\n");
	/* The host's resolv.conf, hosts and /etc/dnsmasq.conf are not ours to
	 * follow: upstreams come from the servers file alone (SIGHUP re-reads
	 * it). */
	g_string_append(s, "no-resolv\n");
	g_string_append(s, "no-hosts\n");
	g_string_append_printf(s, "servers-file=%s\n", config->servers_path);
	/* plain names and private reverse lookups stay in the tether */
	g_string_append(s, "domain-needed\n");
	g_string_append(s, "bogus-priv\n");

	g_string_append_printf(s, "dhcp-range=%s,%s,%s,%u\n", start, end, mask, config->lease_time);
	g_string_append_printf(s, "dhcp-option=option:router,%s\n", addr);
	g_string_append_printf(s, "dhcp-option=option:dns-server,%s\n", addr);
	g_string_append_printf(s, "dhcp-leasefile=%s\n", config->leases_path);
	/* the only server on this link: answer a client's stale REQUEST with
	 * a NAK at once instead of letting it time out */
	g_string_append(s, "dhcp-authoritative\n");
	g_string_append(s, "dhcp-rapid-commit\n");
	/* dnsmasq pings a new address before offering it and stays silent
	 * until the ping times out: 3 s to a first lease (measured 3.2 s
	 * against 0.4 s). The subnet was chosen free of the host's networks
	 * and clients probe the address themselves (RFC 5227) and DECLINE it
	 * if it is taken, which dnsmasq honours. */
	g_string_append(s, "no-ping\n");

	if (config->ipv6) {
		/* SLAAC from the bridge's own /64 (constructor: whatever prefix
		 * the bridge carries), DNS by RDNSS and stateless DHCPv6 */
		g_string_append(s, "enable-ra\n");
		g_string_append_printf(s, "dhcp-range=::,constructor:%s,ra-stateless,64,%u\n",
				       config->interface, config->lease_time);
		g_string_append(s, "dhcp-option=option6:dns-server,[::]\n");
		g_string_append_printf(s, "ra-param=%s,high,%u\n", config->interface, RA_INTERVAL_S);
	}
	return g_string_free(s, FALSE);
}

/* "02:00:00:00:00:01" in any case → lower case; FALSE if not a MAC */
static gboolean parse_mac(const char *text, char out[18])
{
	if (strlen(text) != 17)
		return FALSE;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? text[i] != ':' : !g_ascii_isxdigit(text[i]))
			return FALSE;
		out[i] = g_ascii_tolower(text[i]);
	}
	out[17] = '\0';
	return TRUE;
}

/* A DHCPv6 client's DUID names its MAC when it is DUID-LLT (type 1) or
 * DUID-LL (type 3) of hardware type ethernet (1). */
static gboolean mac_from_duid(const char *duid, char out[18])
{
	g_auto(GStrv) bytes = g_strsplit(duid, ":", -1);
	guint n = g_strv_length(bytes), skip;
	uint8_t b[4];

	if (n < 4)
		return FALSE;
	for (int i = 0; i < 4; i++) {
		if (strlen(bytes[i]) != 2 || !g_ascii_isxdigit(bytes[i][0]) ||
		    !g_ascii_isxdigit(bytes[i][1]))
			return FALSE;
		b[i] = (uint8_t)strtoul(bytes[i], NULL, 16);
	}
	if (b[0] != 0 || b[2] != 0 || b[3] != 1)
		return FALSE;
	if (b[1] == 1)
		skip = 8;       /* type, hardware type, time */
	else if (b[1] == 3)
		skip = 4;       /* type, hardware type */
	else
		return FALSE;
	if (n != skip + 6)
		return FALSE;
	{
		g_autofree char *mac = g_strjoinv(":", bytes + skip);

		return parse_mac(mac, out);
	}
}

/* Client hostnames are what the client sent: keep only a plain name. */
static void copy_hostname(const char *text, char out[64])
{
	size_t len = strlen(text);

	out[0] = '\0';
	if (g_str_equal(text, "*") || len >= 64)
		return;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(text[i]) && text[i] != '-' && text[i] != '.' && text[i] != '_')
			return;
	memcpy(out, text, len + 1);
}

static gboolean parse_expiry(const char *text, gint64 *out)
{
	char *end;
	guint64 v;

	if (!g_ascii_isdigit(text[0]))
		return FALSE;
	v = g_ascii_strtoull(text, &end, 10);
	if (*end || v > G_MAXINT64)
		return FALSE;
	*out = (gint64)v;
	return TRUE;
}

/* One line: "<expiry> <mac> <ipv4> <hostname> <client-id>" before the
 * "duid" line, "<expiry> <iaid> <ipv6> <hostname> <duid>" after it. */
static gboolean parse_line(const char *line, gboolean v6, NfcDnsmasqLease *lease)
{
	g_auto(GStrv) f = g_strsplit_set(line, " \t", -1);
	const char *fields[5];
	guint n = 0;
	unsigned char buf[sizeof(struct in6_addr)];

	for (char **p = f; *p && n < 5; p++)
		if (**p)
			fields[n++] = *p;
	if (n < 4)
		return FALSE;
	memset(lease, 0, sizeof(*lease));
	if (!parse_expiry(fields[0], &lease->expiry))
		return FALSE;
	if (v6) {
		if (n < 5 || !mac_from_duid(fields[4], lease->mac) ||
		    inet_pton(AF_INET6, fields[2], buf) != 1)
			return FALSE;
	} else {
		if (!parse_mac(fields[1], lease->mac) || inet_pton(AF_INET, fields[2], buf) != 1)
			return FALSE;
	}
	g_strlcpy(lease->address, fields[2], sizeof(lease->address));
	copy_hostname(fields[3], lease->hostname);
	return TRUE;
}

GArray *nfc_dnsmasq_leases_parse(const char *text, gsize len)
{
	GArray *leases = g_array_new(FALSE, TRUE, sizeof(NfcDnsmasqLease));
	gboolean v6 = FALSE;
	gsize pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		gsize start = pos, end;
		g_autofree char *line = NULL;
		NfcDnsmasqLease lease;

		/* a line cut short (no newline yet: dnsmasq is still writing)
		 * is not a lease */
		if (!nl)
			break;
		end = (gsize)(nl - text);
		pos = end + 1;
		line = g_strndup(text + start, end - start);
		/* nor is one that holds a NUL */
		if (strlen(line) != end - start)
			continue;
		if (g_str_has_prefix(line, "duid ")) {
			v6 = TRUE;
			continue;
		}
		if (parse_line(line, v6, &lease))
			g_array_append_val(leases, lease);
	}
	return leases;
}
