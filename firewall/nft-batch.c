// SPDX-License-Identifier: GPL-2.0-or-later
/* nfnetlink batches that grow as needed: a full install with tens of
 * thousands of identities does not fit a fixed page-sized buffer. */
#include "nft.h"

#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

void nft_batch_init(NftBatch *b, uint32_t first_seq)
{
	struct nlmsghdr *nlh;

	b->buf = g_byte_array_new();
	b->used = 0;
	b->first_seq = first_seq;
	b->next_seq = first_seq;
	b->n_msgs = 0;
	g_byte_array_set_size(b->buf, MNL_SOCKET_BUFFER_SIZE);
	nlh = nftnl_batch_begin((char *)b->buf->data, b->next_seq++);
	b->used = NLMSG_ALIGN(nlh->nlmsg_len);
}

void nft_batch_clear(NftBatch *b)
{
	if (b->buf)
		g_byte_array_unref(b->buf);
	b->buf = NULL;
}

static void reserve(NftBatch *b, size_t room)
{
	if (b->buf->len < b->used + room)
		g_byte_array_set_size(b->buf, MAX(b->buf->len * 2, b->used + room));
	/* libnftnl writes attributes without bounds checks: the reserved
	 * room must be zeroed and large enough for the whole message */
	memset(b->buf->data + b->used, 0, room);
}

struct nlmsghdr *nft_batch_msg(NftBatch *b, uint16_t type, uint16_t flags, size_t room)
{
	reserve(b, room + MNL_NLMSG_HDRLEN + 64);
	return nftnl_nlmsg_build_hdr((char *)b->buf->data + b->used, type, NFPROTO_INET,
				     flags | NLM_F_ACK, b->next_seq++);
}

void nft_batch_close(NftBatch *b, struct nlmsghdr *nlh)
{
	b->used += NLMSG_ALIGN(nlh->nlmsg_len);
	b->n_msgs++;
}

void nft_batch_finish(NftBatch *b)
{
	struct nlmsghdr *nlh;

	reserve(b, MNL_NLMSG_HDRLEN + 64);
	nlh = nftnl_batch_end((char *)b->buf->data + b->used, b->next_seq++);
	b->used += NLMSG_ALIGN(nlh->nlmsg_len);
	g_byte_array_set_size(b->buf, b->used);
}
