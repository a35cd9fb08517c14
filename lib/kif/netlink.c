/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The few rtnetlink requests the kernel interface needs, each on its
 * own socket and acknowledged: the set-up runs once at start, so
 * simplicity wins over batching.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kif_internal.h"

struct nl_req {
	struct nlmsghdr h;
	char buf[256];
};

static void
nl_attr(struct nl_req *r, uint16_t type, const void *data, uint16_t len)
{
	size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
	struct rtattr a = { .rta_type = type,
			    .rta_len = (uint16_t)RTA_LENGTH(len) };
	char *base = (char *)r;

	if (off + RTA_ALIGN(a.rta_len) > sizeof(*r))
		return;   /* cannot happen with the requests below */
	memcpy(base + off, &a, sizeof(a));
	memcpy(base + off + RTA_LENGTH(0), data, len);
	r->h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(a.rta_len));
}

static void *
nl_start(struct nl_req *r, uint16_t type, uint16_t flags, size_t body)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->h);
}

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int
nl_talk(struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char reply[1024];
	int fd, rc;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = -EIO;
	n = recv(fd, reply, sizeof(reply), 0);
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)reply;

		if (h->nlmsg_type == NLMSG_ERROR)
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(fd);
	return rc;
}

int
kif_nl_link_up(int ifindex)
{
	struct nl_req r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(&r);
}

int
kif_nl_mtu(int ifindex, uint32_t mtu)
{
	struct nl_req r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	nl_attr(&r, IFLA_MTU, &mtu, 4);
	return nl_talk(&r);
}

/* A TAP (tun driver) takes a carrier from user space since Linux 5.0
 * (its ndo_change_carrier); on an older kernel this is -EOPNOTSUPP. */
int
kif_nl_carrier(int ifindex, bool on)
{
	struct nl_req r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	uint8_t carrier = on ? 1 : 0;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	nl_attr(&r, IFLA_CARRIER, &carrier, 1);
	return nl_talk(&r);
}

int
kif_nl_addr_add(int ifindex, uint32_t addr, uint8_t prefix)
{
	struct nl_req r;
	struct ifaddrmsg *ifa = nl_start(&r, RTM_NEWADDR,
					 NLM_F_CREATE | NLM_F_REPLACE,
					 sizeof(*ifa));
	uint32_t bcast = htonl(ntohl(addr) | ~(~0u << (32 - prefix)));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = (uint32_t)ifindex;
	nl_attr(&r, IFA_LOCAL, &addr, 4);
	nl_attr(&r, IFA_ADDRESS, &addr, 4);
	nl_attr(&r, IFA_BROADCAST, &bcast, 4);
	return nl_talk(&r);
}

int
kif_nl_rule(uint16_t type, uint32_t src, uint32_t table, uint32_t prio)
{
	struct nl_req r;
	struct fib_rule_hdr *fr = nl_start(&r, type,
		type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0,
		sizeof(*fr));

	fr->family = AF_INET;
	fr->src_len = 32;
	fr->action = FR_ACT_TO_TBL;
	fr->table = RT_TABLE_UNSPEC;
	nl_attr(&r, FRA_SRC, &src, 4);
	nl_attr(&r, FRA_TABLE, &table, 4);
	nl_attr(&r, FRA_PRIORITY, &prio, 4);
	return nl_talk(&r);
}

int
kif_nl_route_add(uint32_t table, uint32_t dst, uint8_t dst_len, uint32_t gw,
		 int ifindex)
{
	struct nl_req r;
	struct rtmsg *rt = nl_start(&r, RTM_NEWROUTE,
				    NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;

	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = dst_len;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = gw != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_TABLE, &table, 4);
	if (dst_len > 0)
		nl_attr(&r, RTA_DST, &dst, 4);
	if (gw != 0)
		nl_attr(&r, RTA_GATEWAY, &gw, 4);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(&r);
}

int
kif_nl_route_del(uint32_t table, uint32_t dst, uint8_t dst_len, int ifindex)
{
	struct nl_req r;
	struct rtmsg *rt = nl_start(&r, RTM_DELROUTE, 0, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;

	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = dst_len;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_NOWHERE;
	nl_attr(&r, RTA_TABLE, &table, 4);
	if (dst_len > 0)
		nl_attr(&r, RTA_DST, &dst, 4);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(&r);
}

int
kif_nl_addr6_add(int ifindex, const uint8_t *addr, uint8_t prefix)
{
	struct nl_req r;
	struct ifaddrmsg *ifa = nl_start(&r, RTM_NEWADDR,
					 NLM_F_CREATE | NLM_F_REPLACE,
					 sizeof(*ifa));
	uint32_t flags = IFA_F_NODAD;

	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_index = (uint32_t)ifindex;
	nl_attr(&r, IFA_LOCAL, addr, 16);
	nl_attr(&r, IFA_ADDRESS, addr, 16);
	nl_attr(&r, IFA_FLAGS, &flags, 4);
	return nl_talk(&r);
}

int
kif_nl_rule6(uint16_t type, const uint8_t *src, uint32_t table, uint32_t prio)
{
	struct nl_req r;
	struct fib_rule_hdr *fr = nl_start(&r, type,
		type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0,
		sizeof(*fr));

	fr->family = AF_INET6;
	fr->src_len = 128;
	fr->action = FR_ACT_TO_TBL;
	fr->table = RT_TABLE_UNSPEC;
	nl_attr(&r, FRA_SRC, src, 16);
	nl_attr(&r, FRA_TABLE, &table, 4);
	nl_attr(&r, FRA_PRIORITY, &prio, 4);
	return nl_talk(&r);
}

int
kif_nl_route6_add(uint32_t table, const uint8_t *dst, uint8_t dst_len,
		  const uint8_t *gw, int ifindex)
{
	struct nl_req r;
	struct rtmsg *rt = nl_start(&r, RTM_NEWROUTE,
				    NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;

	rt->rtm_family = AF_INET6;
	rt->rtm_dst_len = dst_len;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_TABLE, &table, 4);
	if (dst_len > 0)
		nl_attr(&r, RTA_DST, dst, 16);
	if (gw != NULL)
		nl_attr(&r, RTA_GATEWAY, gw, 16);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(&r);
}

/* "dst/128 dev ifindex proto static" in table, added (or replaced) or
 * removed. */
int
kif_nl_route6_set(uint32_t table, const uint8_t *dst, bool present,
		  int ifindex)
{
	struct nl_req r;
	struct rtmsg *rt = nl_start(&r, present ? RTM_NEWROUTE : RTM_DELROUTE,
				    present ? NLM_F_CREATE | NLM_F_REPLACE : 0,
				    sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;

	rt->rtm_family = AF_INET6;
	rt->rtm_dst_len = 128;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = present ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	if (present)
		rt->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_TABLE, &table, 4);
	nl_attr(&r, RTA_DST, dst, 16);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(&r);
}
