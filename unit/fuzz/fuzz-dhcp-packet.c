// SPDX-License-Identifier: GPL-2.0-or-later
/* A packet off the wire: first as the packet socket hands it over (IPv4 +
 * UDP), then its payload, or the whole input, as a BOOTP reply. The xid
 * and chaddr are taken from the input itself so that most inputs get past
 * "not ours" into the option parser. */
#include <string.h>

#include "dhcp-packet.h"
#include "fuzz.h"

static void parse_reply(const uint8_t *buf, size_t len)
{
	NfcDhcpReply reply;
	uint8_t mac[6] = { 0 };
	uint32_t xid = 0;

	if (len >= 34) {
		memcpy(&xid, buf + 4, 4);
		memcpy(mac, buf + 28, 6);
	}
	nfc_dhcp_parse_reply(buf, len, xid, mac, &reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *payload;
	size_t payload_len;

	if (nfc_dhcp_unframe_udp(data, size, NFC_DHCP_CLIENT_PORT, true, &payload,
				 &payload_len) == 0 ||
	    nfc_dhcp_unframe_udp(data, size, NFC_DHCP_CLIENT_PORT, false, &payload,
				 &payload_len) == 0)
		parse_reply(payload, payload_len);
	parse_reply(data, size);
	return 0;
}
