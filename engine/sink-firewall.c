// SPDX-License-Identifier: GPL-2.0-or-later
/* The firewall backend (nftables now, iptables later: firewall/firewall.h)
 * as a sink of identity elements: its maps mark the sockets. */
#include "internal.h"

static int set_identity(void *data, const NfcFirewallIdentity *identity, uint32_t mark,
			NfcFirewallDoneFunc done, void *user_data)
{
	NfcFirewall *fw = data;

	if (mark)
		return nfc_firewall_identity_add(fw, identity, mark, done, user_data);
	return nfc_firewall_identity_remove(fw, identity, done, user_data);
}

const EngineSinkOps engine_firewall_sink = {
	.name = "firewall",
	.set_identity = set_identity,
};
