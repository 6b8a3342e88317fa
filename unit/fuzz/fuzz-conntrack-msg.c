// SPDX-License-Identifier: GPL-2.0-or-later
/* A datagram from the ctnetlink socket: walked as firewall/conntrack.c
 * walks it, every message offered to the entry parser whatever its type
 * claims; an entry that parses must give a delete that fits its buffer,
 * and match its own reply address exactly when it is source-NATed, and
 * come from every prefix of its own source address. */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <stdlib.h>
#include <string.h>

#include "conntrack-msg.h"
#include "fuzz.h"
#include "rtnl-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* recv() fills an aligned buffer; so do we */
	void *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh = buf;
	int rest = (int)size;

	if (!buf || size > 1 << 20) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	for (; nfc_rtnl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		uint8_t req[NFC_CT_REQUEST_SIZE];
		struct nlmsghdr *del;
		NfcCtEntry e;

		if (nlh->nlmsg_type == NLMSG_ERROR)
			nfc_rtnl_parse_error(nlh, NULL);
		if (nfc_ct_msg_parse(nlh, &e) != 0)
			continue;
		del = nfc_ct_msg_delete(req, &e);
		if (!del || del->nlmsg_len > sizeof(req))
			abort();
		if (nfc_ct_entry_nat_to(&e, e.family, e.reply_dst) != !!(e.status & IPS_SRC_NAT))
			abort();
		/* every prefix of its own source holds it, a longer one none */
		for (unsigned int len = 0; len <= (e.family == AF_INET ? 32u : 128u); len += 7)
			if (!nfc_ct_entry_from(&e, e.family, e.orig_src, len))
				abort();
		if (nfc_ct_entry_from(&e, e.family, e.orig_src, e.family == AF_INET ? 33 : 129))
			abort();
	}
	free(buf);
	return 0;
}
