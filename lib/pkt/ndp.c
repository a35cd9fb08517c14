/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Neighbor Discovery on byte buffers (RFC 4861): reading a Neighbor
 * Solicitation with every check a host makes, and answering it with a
 * Neighbor Advertisement in place, as lb_pkt_arp_reply() answers ARP.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lb_pkt6.h"

#define NS_LEN 24               /* type, code, checksum, reserved, target */

uint16_t
lb_pkt_icmp6_cksum(const uint8_t *src, const uint8_t *dst, const uint8_t *l4,
		   uint32_t len)
{
	uint32_t sum;

	/* pseudo-header: addresses, upper-layer length, next header */
	sum = lb_pkt_cksum(src, LB_IP6_ALEN, 0);
	sum = lb_pkt_cksum(dst, LB_IP6_ALEN, sum);
	sum += len >> 16;
	sum += len & 0xffff;
	sum += LB_IPPROTO_ICMPV6;
	return (uint16_t)~lb_pkt_cksum(l4, len, sum);
}

static bool
solicited_node_group(const uint8_t *a)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01,
					    [12] = 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* The options of an NDP message from off: each of nonzero length within
 * it; the link-layer address of type want into mac (true if found). */
static int
ndp_options(const uint8_t *m, uint32_t off, uint32_t len, uint8_t want,
	    uint8_t *mac, bool *found)
{
	while (off < len) {
		uint32_t olen;

		if (len - off < 2)
			return -EINVAL;
		olen = (uint32_t)m[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return -EINVAL;
		if (m[off] == want && olen >= 8) {
			memcpy(mac, m + off + 2, LB_ETH_ALEN);
			*found = true;
		}
		off += olen;
	}
	return 0;
}

int
lb_pkt_ndp_ns(const uint8_t *data, const struct lb_pkt6 *pkt,
	      struct lb_ndp_ns *ns)
{
	const uint8_t *m = data + pkt->l4_off;

	if (pkt->proto != LB_IPPROTO_ICMPV6 ||
	    pkt->icmp_type != LB_ICMP6_NEIGH_SOLICIT || pkt->icmp_code != 0 ||
	    pkt->hop_limit != LB_NDP_HOP_LIMIT ||
	    (pkt->flags & LB_PKT_F_FRAG) || pkt->l4_len < NS_LEN ||
	    lb_pkt_icmp6_cksum(pkt->src, pkt->dst, m, pkt->l4_len) != 0)
		return -EINVAL;
	memset(ns, 0, sizeof(*ns));
	memcpy(ns->target, m + 8, LB_IP6_ALEN);
	if (ns->target[0] == 0xff)
		return -EINVAL;
	if (ndp_options(m, NS_LEN, pkt->l4_len, LB_NDP_OPT_SLLA, ns->slla,
			&ns->has_slla) != 0)
		return -EINVAL;
	ns->dad = (pkt->flags & LB_PKT6_F_SRC_UNSPEC) != 0;
	if (ns->dad && (!solicited_node_group(pkt->dst) || ns->has_slla))
		return -EINVAL;
	return 0;
}

void
lb_ip6_solicited_node(const uint8_t *addr, uint8_t *group, uint8_t *mac)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01,
					    [12] = 0xff };

	memcpy(group, prefix, sizeof(prefix));
	memcpy(group + 13, addr + 13, 3);
	if (mac != NULL) {
		mac[0] = 0x33;
		mac[1] = 0x33;
		memcpy(mac + 2, group + 12, 4);
	}
}

uint32_t
lb_pkt_ndp_na_reply(uint8_t *data, uint32_t cap, const struct lb_pkt6 *pkt,
		    const struct lb_ndp_ns *ns, const uint8_t *mac)
{
	static const uint8_t all_nodes[LB_IP6_ALEN] = { 0xff, 0x02,
							[15] = 0x01 };
	static const uint8_t all_nodes_mac[LB_ETH_ALEN] = { 0x33, 0x33, 0, 0,
							    0, 0x01 };
	uint32_t end = (uint32_t)pkt->l3_off + LB_IP6_HLEN + LB_NDP_NA_LEN;
	uint8_t *ip = data + pkt->l3_off, *m;
	const uint8_t *eth_dst;
	uint16_t sum;

	if (cap < end)
		return 0;
	/* Ethernet: to the sender (its option's MAC first), from us */
	eth_dst = ns->dad ? all_nodes_mac : ns->has_slla ? ns->slla :
		  data + LB_ETH_ALEN;
	memmove(data, eth_dst, LB_ETH_ALEN);
	memcpy(data + LB_ETH_ALEN, mac, LB_ETH_ALEN);
	/* IPv6: from the target, to the sender (all nodes for DAD), no
	 * extension headers (l4 right after the header) */
	ip[0] = 0x60;
	ip[1] = 0;
	ip[2] = 0;
	ip[3] = 0;
	lb_store_be16(ip + 4, LB_NDP_NA_LEN);
	ip[6] = LB_IPPROTO_ICMPV6;
	ip[7] = LB_NDP_HOP_LIMIT;
	memcpy(ip + 24, ns->dad ? all_nodes : pkt->src, LB_IP6_ALEN);
	memcpy(ip + 8, ns->target, LB_IP6_ALEN);
	m = ip + LB_IP6_HLEN;
	memset(m, 0, LB_NDP_NA_LEN);
	m[0] = LB_ICMP6_NEIGH_ADVERT;
	m[4] = LB_NDP_NA_OVERRIDE | (ns->dad ? 0 : LB_NDP_NA_SOLICITED);
	memcpy(m + 8, ns->target, LB_IP6_ALEN);
	m[24] = LB_NDP_OPT_TLLA;
	m[25] = 1;
	memcpy(m + 26, mac, LB_ETH_ALEN);
	sum = lb_pkt_icmp6_cksum(ip + 8, ip + 24, m, LB_NDP_NA_LEN);
	lb_store_be16(m + 2, sum);
	return end;
}

int
lb_pkt_icmp6_echo_reply(uint8_t *data, uint32_t len, const struct lb_pkt6 *pkt)
{
	uint8_t tmp[LB_IP6_ALEN];
	uint8_t *ip = data + pkt->l3_off;
	uint8_t *m = data + pkt->l4_off;

	if (pkt->proto != LB_IPPROTO_ICMPV6 ||
	    pkt->icmp_type != LB_ICMP6_ECHO_REQUEST || pkt->icmp_code != 0 ||
	    (pkt->flags & (LB_PKT_F_FRAG | LB_PKT6_F_DST_MCAST |
			   LB_PKT6_F_SRC_UNSPEC)) ||
	    pkt->n_ext != 0 || pkt->l4_len < 8 ||
	    (uint32_t)pkt->l4_off + pkt->l4_len > len)
		return -EINVAL;
	/* a request with a wrong checksum gets no answer, as from a host */
	if (lb_pkt_icmp6_cksum(pkt->src, pkt->dst, m, pkt->l4_len) != 0)
		return -EINVAL;
	memcpy(tmp, data, LB_ETH_ALEN);
	memcpy(data, data + LB_ETH_ALEN, LB_ETH_ALEN);
	memcpy(data + LB_ETH_ALEN, tmp, LB_ETH_ALEN);
	memcpy(tmp, ip + 8, LB_IP6_ALEN);
	memcpy(ip + 8, ip + 24, LB_IP6_ALEN);
	memcpy(ip + 24, tmp, LB_IP6_ALEN);
	ip[7] = 64;                     /* a fresh hop limit, as a host's */
	m[0] = LB_ICMP6_ECHO_REPLY;
	lb_store_be16(m + 2, 0);
	lb_store_be16(m + 2, lb_pkt_icmp6_cksum(ip + 8, ip + 24, m,
						pkt->l4_len));
	return 0;
}

/* Ethernet (tagged vlan unless 0) and IPv6 headers of an NDP message of
 * len bytes from src to dst; the message's place. */
static uint8_t *
ndp_head(uint8_t *buf, uint16_t vlan, const uint8_t *eth_dst,
	 const uint8_t *mac, const uint8_t *src, const uint8_t *dst,
	 uint16_t len, uint32_t *frame_len)
{
	uint32_t l3 = LB_ETH_HLEN + (vlan != 0 ? LB_VLAN_HLEN : 0);
	uint8_t *ip = buf + l3;

	memset(buf, 0, l3 + LB_IP6_HLEN + len);
	memcpy(buf, eth_dst, LB_ETH_ALEN);
	memcpy(buf + LB_ETH_ALEN, mac, LB_ETH_ALEN);
	if (vlan != 0) {
		lb_store_be16(buf + 12, LB_ETHERTYPE_VLAN);
		lb_store_be16(buf + 14, vlan);
	}
	lb_store_be16(buf + l3 - 2, LB_ETHERTYPE_IPV6);
	ip[0] = 0x60;
	lb_store_be16(ip + 4, len);
	ip[6] = LB_IPPROTO_ICMPV6;
	ip[7] = LB_NDP_HOP_LIMIT;
	memcpy(ip + 8, src, LB_IP6_ALEN);
	memcpy(ip + 24, dst, LB_IP6_ALEN);
	*frame_len = l3 + LB_IP6_HLEN + len;
	return ip + LB_IP6_HLEN;
}

uint32_t
lb_pkt_ndp_unsolicited_na(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
			  const uint8_t *target)
{
	static const uint8_t all_nodes[LB_IP6_ALEN] = { 0xff, 0x02,
							[15] = 0x01 };
	static const uint8_t all_nodes_mac[LB_ETH_ALEN] = { 0x33, 0x33, 0, 0,
							    0, 0x01 };
	uint32_t len;
	uint8_t *m = ndp_head(buf, vlan, all_nodes_mac, mac, target,
			      all_nodes, LB_NDP_NA_LEN, &len);

	m[0] = LB_ICMP6_NEIGH_ADVERT;
	m[4] = LB_NDP_NA_OVERRIDE;     /* unsolicited: S clear (RFC 4861 7.2.6) */
	memcpy(m + 8, target, LB_IP6_ALEN);
	m[24] = LB_NDP_OPT_TLLA;
	m[25] = 1;
	memcpy(m + 26, mac, LB_ETH_ALEN);
	lb_store_be16(m + 2, lb_pkt_icmp6_cksum(target, all_nodes, m,
						LB_NDP_NA_LEN));
	return len;
}

uint32_t
lb_pkt_ndp_ns_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
		    const uint8_t *src, const uint8_t *target,
		    const uint8_t *to_mac)
{
	uint8_t group[LB_IP6_ALEN], group_mac[LB_ETH_ALEN];
	const uint8_t *dst = target;
	uint32_t len;
	uint8_t *m;

	if (to_mac == NULL) {
		lb_ip6_solicited_node(target, group, group_mac);
		dst = group;
		to_mac = group_mac;
	}
	m = ndp_head(buf, vlan, to_mac, mac, src, dst, LB_NDP_NS_LEN, &len);
	m[0] = LB_ICMP6_NEIGH_SOLICIT;
	memcpy(m + 8, target, LB_IP6_ALEN);
	m[24] = LB_NDP_OPT_SLLA;
	m[25] = 1;
	memcpy(m + 26, mac, LB_ETH_ALEN);
	lb_store_be16(m + 2, lb_pkt_icmp6_cksum(src, dst, m, LB_NDP_NS_LEN));
	return len;
}

int
lb_pkt_ndp_na(const uint8_t *data, const struct lb_pkt6 *pkt,
	      struct lb_ndp_na *na)
{
	const uint8_t *m = data + pkt->l4_off;

	if (pkt->proto != LB_IPPROTO_ICMPV6 ||
	    pkt->icmp_type != LB_ICMP6_NEIGH_ADVERT || pkt->icmp_code != 0 ||
	    pkt->hop_limit != LB_NDP_HOP_LIMIT ||
	    (pkt->flags & LB_PKT_F_FRAG) || pkt->l4_len < NS_LEN ||
	    lb_pkt_icmp6_cksum(pkt->src, pkt->dst, m, pkt->l4_len) != 0)
		return -EINVAL;
	memset(na, 0, sizeof(*na));
	na->flags = m[4] & (LB_NDP_NA_ROUTER | LB_NDP_NA_SOLICITED |
			    LB_NDP_NA_OVERRIDE);
	memcpy(na->target, m + 8, LB_IP6_ALEN);
	if (na->target[0] == 0xff ||
	    ((pkt->flags & LB_PKT6_F_DST_MCAST) &&
	     (na->flags & LB_NDP_NA_SOLICITED)))
		return -EINVAL;
	return ndp_options(m, NS_LEN, pkt->l4_len, LB_NDP_OPT_TLLA, na->tlla,
			   &na->has_tlla);
}

int
lb_pkt_icmp6_inner(const uint8_t *data, uint32_t len,
		   const struct lb_pkt6 *pkt, struct lb_pkt_inner6 *inner)
{
	/* ICMPv6 header (8) + the quoted IPv6 header + its ports */
	uint32_t off = pkt->l4_off + 8;
	uint32_t end = pkt->l4_off + pkt->l4_len;
	uint32_t l4 = LB_IP6_HLEN;
	const uint8_t *ip;
	uint8_t nh;

	if (pkt->proto != LB_IPPROTO_ICMPV6 ||
	    !lb_pkt_icmp6_is_error(pkt->icmp_type) || end > len ||
	    off + LB_IP6_HLEN + 4 > end)
		return -EINVAL;
	ip = data + off;
	if ((ip[0] >> 4) != 6)
		return -EINVAL;
	nh = ip[6];
	/* a member's packet from the VIP has no extension header but the
	 * Fragment header its stack adds to a datagram too big for the
	 * path: a quoted first fragment has its ports after it, as IPv4's
	 * (lb_pkt_icmp_inner()); a later fragment's quote has none */
	if (nh == LB_IPPROTO_FRAGMENT) {
		if (off + LB_IP6_HLEN + 8 + 4 > end ||
		    (lb_load_be16(ip + LB_IP6_HLEN + 2) & 0xfff8) != 0)
			return -EINVAL;
		nh = ip[LB_IP6_HLEN];
		l4 += 8;
	}
	/* any other extension header: no ports where they are looked for,
	 * and nothing we sent */
	if (nh != LB_IPPROTO_TCP && nh != LB_IPPROTO_UDP)
		return -EINVAL;
	inner->proto = nh;
	memcpy(inner->vip, ip + 8, LB_IP6_ALEN);
	memcpy(inner->client, ip + 24, LB_IP6_ALEN);
	inner->vip_port = lb_load_be16(ip + l4);
	inner->client_port = lb_load_be16(ip + l4 + 2);
	return 0;
}
