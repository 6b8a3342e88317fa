// SPDX-License-Identifier: GPL-2.0-or-later
/* An NTP reply off the network, from any server a DHCP lease names. The
 * originate timestamp we would expect is taken from the input itself, so
 * that most inputs get past "not our request" into the rest; whatever
 * parses goes through the offset arithmetic and the decision too. */
#include "fuzz.h"
#include "sntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	NfcSntpReply reply;
	uint64_t originate = 0;
	int64_t t1, t4, offset, delay;

	if (size >= NFC_SNTP_PACKET_SIZE)
		for (int i = 0; i < 8; i++)
			originate = originate << 8 | data[24 + i];
	t1 = nfc_sntp_timestamp_to_ns(originate);
	if (nfc_sntp_parse_reply(data, size, t1, &reply) != 0)
		return 0;
	/* the reply arrives "a little later", whatever the server says */
	t4 = t1 + 1000000;
	nfc_sntp_offset(t1, reply.receive_ns, reply.transmit_ns, t4, &offset, &delay);
	(void)nfc_sntp_action_to_string(nfc_sntp_decide(offset, delay));
	return 0;
}
