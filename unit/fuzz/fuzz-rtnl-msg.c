// SPDX-License-Identifier: GPL-2.0-or-later
/* A datagram from the rtnetlink socket: walked as src/rtnl.c walks it
 * (nfc_rtnl_msg_ok, mnl_nlmsg_next), every message offered to every parser, whatever
 * its type claims, so a parser never trusts the type for its lengths. */
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>

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
		NfcRtnlLink link;
		NfcRtnlAddr addr;
		NfcRtnlRoute route;
		NfcRtnlRule rule;
		NfcRtnlNeigh neigh;
		NfcRtnlNdOpts nd;
		const char *msg;
		bool cloned;

		nfc_rtnl_parse_link(nlh, &link);
		nfc_rtnl_parse_addr(nlh, &addr);
		nfc_rtnl_parse_route(nlh, &route, &cloned);
		nfc_rtnl_parse_rule(nlh, &rule);
		nfc_rtnl_parse_nd_options(nlh, &nd);
		if (nfc_rtnl_parse_neigh(nlh, &neigh) == 0)
			nfc_rtnl_neigh_classify(nlh->nlmsg_type, neigh.state);
		if (nlh->nlmsg_type == NLMSG_ERROR)
			nfc_rtnl_parse_error(nlh, &msg);
	}
	free(buf);
	return 0;
}
