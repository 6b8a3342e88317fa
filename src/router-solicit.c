// SPDX-License-Identifier: GPL-2.0-or-later
#include "router-solicit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int nfc_router_solicit(const char *ifname, int ifindex)
{
	/* no source link-layer option: the kernel may have to send it from
	 * the unspecified address (no usable link-local yet), where RFC 4861
	 * forbids one; a router answers either way */
	struct nd_router_solicit rs = { .nd_rs_type = ND_ROUTER_SOLICIT };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex };
	int hops = 255; /* RFC 4861 6.1.1: a router drops it otherwise */
	int fd, r = 0;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	inet_pton(AF_INET6, "ff02::2", &to.sin6_addr);
	/* the kernel fills in the ICMPv6 checksum of a raw ICMPv6 socket */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)) < 0 ||
	    sendto(fd, &rs, sizeof(rs), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		r = -errno;
	close(fd);
	return r;
}
