/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lb_stats.h"
#include "lb_pkt.h"

#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

static inline enum lb_pkt_kind
drop(struct lb_pkt *pkt, enum lb_stat_worker why)
{
	pkt->drop = why;
	return LB_PKT_DROP;
}

/* Sources that can never be a client: "this network", loopback,
 * multicast, reserved and limited broadcast. */
static inline int
bad_source(uint32_t ip_be)
{
	uint8_t first = ((const uint8_t *)&ip_be)[0];

	return first == 0 || first == 127 || first >= 224;
}

/* Destinations no VIP or own address can be: "this network" and
 * loopback (reserved), multicast and broadcast. */
static inline int
reserved_destination(uint32_t ip_be)
{
	uint8_t first = ((const uint8_t *)&ip_be)[0];

	return first == 0 || first == 127;
}

/* VRRP's advertisement, the one multicast a balancer passes on (to its
 * kernel interface, where keepalived runs): exactly its group, MAC and
 * protocol, sent on this link (TTL 255), unfragmented, a header long. */
static bool
vrrp_advert(const uint8_t *data, const uint8_t *ip, const struct lb_pkt *pkt)
{
	static const uint8_t group[4] = { LB_VRRP_GROUP_BYTES };
	static const uint8_t mac[6] = { LB_VRRP_MAC_BYTES };

	return memcmp(ip + 16, group, 4) == 0 && memcmp(data, mac, 6) == 0 &&
	       pkt->proto == LB_IPPROTO_VRRP && ip[8] == LB_VRRP_TTL &&
	       !(pkt->flags & LB_PKT_F_FRAG) && pkt->l4_len >= 8;
}

static inline int
bad_destination(uint32_t ip_be)
{
	return ((const uint8_t *)&ip_be)[0] >= 224;
}

/*
 * One pass, front to back, checking each length before the bytes it
 * covers are read. The checks are the ones a member's own stack would
 * make, so nothing is forwarded that it would throw away as malformed,
 * and every refusal has its own counter.
 */
uint16_t
lb_pkt_l2(const uint8_t *data, uint32_t len, uint8_t *flags, uint16_t *tci,
	  uint32_t *off, uint16_t *etype)
{
	*off = LB_ETH_HLEN;
	if (len < LB_ETH_HLEN)
		return LB_STAT_DROP_TRUNC_ETH;
	if (data[0] & 0x01) {
		static const uint8_t bcast[LB_ETH_ALEN] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

		*flags |= lb_mac_eq(data, bcast) ?
			LB_PKT_F_L2_BCAST : LB_PKT_F_L2_MCAST;
	}
	*etype = lb_load_be16(data + 12);
	if (*etype == LB_ETHERTYPE_VLAN) {
		if (len < LB_ETH_HLEN + LB_VLAN_HLEN)
			return LB_STAT_DROP_TRUNC_VLAN;
		*flags |= LB_PKT_F_VLAN;
		*tci = lb_load_be16(data + 14);
		*etype = lb_load_be16(data + 16);
		*off += LB_VLAN_HLEN;
	}
	if (*etype == LB_ETHERTYPE_VLAN || *etype == LB_ETHERTYPE_QINQ)
		return LB_STAT_DROP_VLAN_NESTED;
	return 0;
}

enum lb_pkt_kind
lb_pkt_parse(const uint8_t *data, uint32_t len, struct lb_pkt *pkt)
{
	uint16_t etype = 0, tot, frag, why;
	struct lb_pkt_l4 l4 = { 0 };
	uint32_t ihl, off;
	const uint8_t *ip;

	memset(pkt, 0, sizeof(*pkt));
	why = lb_pkt_l2(data, len, &pkt->flags, &pkt->vlan_tci, &off, &etype);
	if (why != 0)
		return drop(pkt, why);
	pkt->l3_off = off;

	if (etype == LB_ETHERTYPE_ARP) {
		const uint8_t *arp = data + off;

		if (len < off + LB_ARP_LEN ||
		    lb_load_be16(arp) != 1 ||                 /* Ethernet */
		    lb_load_be16(arp + 2) != LB_ETHERTYPE_IPV4 ||
		    arp[4] != LB_ETH_ALEN || arp[5] != 4)
			return drop(pkt, LB_STAT_DROP_TRUNC_ARP);
		return LB_PKT_ARP;
	}
	if (etype != LB_ETHERTYPE_IPV4)
		return drop(pkt, LB_STAT_DROP_ETHERTYPE);

	if (len < off + 20)
		return drop(pkt, LB_STAT_DROP_TRUNC_IP);
	ip = data + off;
	if ((ip[0] >> 4) != 4)
		return drop(pkt, LB_STAT_DROP_IP_VERSION);
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return drop(pkt, LB_STAT_DROP_IP_IHL);
	if (len < off + ihl)
		return drop(pkt, LB_STAT_DROP_TRUNC_IP);
	tot = lb_load_be16(ip + 2);
	if (tot < ihl || off + tot > len)
		return drop(pkt, LB_STAT_DROP_IP_LENGTH);
	if (ihl > 20)
		pkt->flags |= LB_PKT_F_IP_OPTIONS;

	pkt->ip_id = lb_load_be16(ip + 4);
	frag = lb_load_be16(ip + 6);
	if (frag & IP_OFFMASK)
		pkt->flags |= LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER;
	else if (frag & IP_MF)
		pkt->flags |= LB_PKT_F_FRAG;
	pkt->proto = ip[9];
	pkt->src_ip = lb_load_u32(ip + 12);
	pkt->dst_ip = lb_load_u32(ip + 16);
	if (bad_source(pkt->src_ip))
		return drop(pkt, LB_STAT_DROP_IP_SRC);
	if (reserved_destination(pkt->dst_ip))
		return drop(pkt, LB_STAT_DROP_IP_DST_RESERVED);

	pkt->l4_off = off + ihl;
	pkt->l4_len = tot - ihl;
	if (bad_destination(pkt->dst_ip))
		return vrrp_advert(data, ip, pkt) ? LB_PKT_VRRP :
			drop(pkt, LB_STAT_DROP_IP_DST_BCAST);
	if (pkt->flags & LB_PKT_F_FRAG_LATER)
		return LB_PKT_IPV4;

	why = lb_pkt_l4(data + pkt->l4_off, pkt->l4_len, pkt->proto,
			LB_IPPROTO_ICMP, (pkt->flags & LB_PKT_F_FRAG) != 0, false,
			&l4);
	if (why != 0)
		return drop(pkt, why);
	pkt->src_port = l4.src_port;
	pkt->dst_port = l4.dst_port;
	pkt->tcp_flags = l4.tcp_flags;
	pkt->icmp_type = l4.icmp_type;
	pkt->icmp_code = l4.icmp_code;
	return LB_PKT_IPV4;
}

int
lb_pkt_icmp_inner(const uint8_t *data, uint32_t len, const struct lb_pkt *pkt,
		  struct lb_pkt_inner *inner)
{
	/* ICMP header (8) + quoted IPv4 header + 8 bytes of its payload */
	uint32_t off = pkt->l4_off + 8;
	uint32_t end = pkt->l4_off + pkt->l4_len;
	const uint8_t *ip;
	uint32_t ihl;

	if (pkt->proto != LB_IPPROTO_ICMP || end > len || off + 20 > end)
		return -EINVAL;
	ip = data + off;
	if ((ip[0] >> 4) != 4)
		return -EINVAL;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || off + ihl + 8 > end)
		return -EINVAL;
	/* A quoted later fragment has no ports to find the flow by. */
	if (lb_load_be16(ip + 6) & IP_OFFMASK)
		return -EINVAL;
	if (ip[9] != LB_IPPROTO_TCP && ip[9] != LB_IPPROTO_UDP)
		return -EINVAL;
	inner->proto = ip[9];
	inner->vip = lb_load_u32(ip + 12);
	inner->client_ip = lb_load_u32(ip + 16);
	inner->vip_port = lb_load_be16(ip + ihl);
	inner->client_port = lb_load_be16(ip + ihl + 2);
	return 0;
}

uint16_t
lb_pkt_cksum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	while (len > 1) {
		sum += lb_load_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int
lb_pkt_icmp_echo_reply(uint8_t *data, uint32_t len, const struct lb_pkt *pkt)
{
	uint8_t mac[LB_ETH_ALEN];
	uint8_t *ip = data + pkt->l3_off;
	uint8_t *icmp = data + pkt->l4_off;
	uint32_t ihl = pkt->l4_off - pkt->l3_off;
	uint32_t sum;

	if (pkt->proto != LB_IPPROTO_ICMP ||
	    pkt->icmp_type != LB_ICMP_ECHO_REQUEST ||
	    (pkt->flags & LB_PKT_F_FRAG) ||
	    (uint32_t)pkt->l4_off + pkt->l4_len > len || pkt->l4_len < 8)
		return -EINVAL;

	memcpy(mac, data, LB_ETH_ALEN);
	memcpy(data, data + LB_ETH_ALEN, LB_ETH_ALEN);
	memcpy(data + LB_ETH_ALEN, mac, LB_ETH_ALEN);

	memcpy(ip + 12, &pkt->dst_ip, 4);
	memcpy(ip + 16, &pkt->src_ip, 4);
	ip[8] = 64;                     /* a fresh TTL, as a host would */
	lb_store_be16(ip + 10, 0);
	lb_store_be16(ip + 10, (uint16_t)~lb_pkt_cksum(ip, ihl, 0));

	/* Type 8 -> 0 changes one 16-bit word by 0x0800 (RFC 1624). */
	icmp[0] = LB_ICMP_ECHO_REPLY;
	sum = (uint16_t)~lb_load_be16(icmp + 2);
	sum += (uint16_t)~(LB_ICMP_ECHO_REQUEST << 8);
	sum += LB_ICMP_ECHO_REPLY << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	/* ~sum is 0 where the one's complement sum came out as "minus
	 * zero" (every other word of the message 0: the right checksum
	 * is 0xffff): only a sum over the message tells */
	if ((uint16_t)~sum == 0) {
		lb_store_be16(icmp + 2, 0);
		sum = (uint16_t)~lb_pkt_cksum(icmp, pkt->l4_len, 0);
		lb_store_be16(icmp + 2, (uint16_t)sum);
		return 0;
	}
	lb_store_be16(icmp + 2, (uint16_t)~sum);
	return 0;
}

uint32_t
lb_pkt_arp_build(uint8_t *buf, const uint8_t *eth_dst, uint16_t op,
		 const uint8_t *sha, uint32_t spa,
		 const uint8_t *tha, uint32_t tpa)
{
	uint8_t *arp = buf + LB_ETH_HLEN;

	memcpy(buf, eth_dst, LB_ETH_ALEN);
	memcpy(buf + LB_ETH_ALEN, sha, LB_ETH_ALEN);
	lb_store_be16(buf + 12, LB_ETHERTYPE_ARP);
	lb_store_be16(arp, 1);
	lb_store_be16(arp + 2, LB_ETHERTYPE_IPV4);
	arp[4] = LB_ETH_ALEN;
	arp[5] = 4;
	lb_store_be16(arp + 6, op);
	memcpy(arp + 8, sha, LB_ETH_ALEN);
	memcpy(arp + 14, &spa, 4);
	memcpy(arp + 18, tha, LB_ETH_ALEN);
	memcpy(arp + 24, &tpa, 4);
	return LB_ETH_HLEN + LB_ARP_LEN;
}

void
lb_pkt_arp_read(const uint8_t *data, const struct lb_pkt *pkt,
		struct lb_pkt_arp *arp)
{
	const uint8_t *a = data + pkt->l3_off;

	arp->op = lb_load_be16(a + 6);
	memcpy(arp->sha, a + 8, LB_ETH_ALEN);
	arp->spa = lb_load_u32(a + 14);
	memcpy(arp->tha, a + 18, LB_ETH_ALEN);
	arp->tpa = lb_load_u32(a + 24);
}

void
lb_pkt_arp_reply(uint8_t *data, const struct lb_pkt *pkt,
		 const struct lb_pkt_arp *arp, const uint8_t *mac)
{
	uint8_t *a = data + pkt->l3_off;

	memcpy(data, arp->sha, LB_ETH_ALEN);
	memcpy(data + LB_ETH_ALEN, mac, LB_ETH_ALEN);
	lb_store_be16(a + 6, LB_ARP_OP_REPLY);
	memcpy(a + 8, mac, LB_ETH_ALEN);
	memcpy(a + 14, &arp->tpa, 4);
	memcpy(a + 18, arp->sha, LB_ETH_ALEN);
	memcpy(a + 24, &arp->spa, 4);
}
