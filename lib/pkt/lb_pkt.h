/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_PKT_H
#define LB_PKT_H

/**
 * @file
 * Packet parsing and building on plain byte buffers.
 *
 * Nothing here knows about mbufs or the EAL, so the unit tests and the
 * fuzzer drive exactly the code the workers run. Every read is bounded
 * by the length passed in; multi-byte fields are loaded with memcpy, so
 * any buffer alignment is fine.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lb_stats.h"

#define LB_ETH_ALEN 6
#define LB_ETH_HLEN 14
#define LB_VLAN_HLEN 4
#define LB_ETHERTYPE_IPV4 0x0800
#define LB_ETHERTYPE_ARP 0x0806
#define LB_ETHERTYPE_VLAN 0x8100
#define LB_ETHERTYPE_QINQ 0x88a8
#define LB_ARP_LEN 28
#define LB_ARP_OP_REQUEST 1
#define LB_ARP_OP_REPLY 2

#define LB_IPPROTO_ICMP 1
#define LB_IPPROTO_TCP 6
#define LB_IPPROTO_UDP 17
#define LB_IPPROTO_VRRP 112

/** VRRP's group 224.0.0.18, as its bytes on the wire. */
#define LB_VRRP_GROUP_BYTES 224, 0, 0, 18
/** Its multicast MAC, 01:00:5e:00:00:12. */
#define LB_VRRP_MAC_BYTES 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12
/** The TTL a VRRP advertisement must carry (RFC 5798 5.1.1.3): it was
 *  sent on this link. */
#define LB_VRRP_TTL 255

#define LB_TCP_FIN 0x01
#define LB_TCP_SYN 0x02
#define LB_TCP_RST 0x04
#define LB_TCP_ACK 0x10

#define LB_ICMP_ECHO_REPLY 0
#define LB_ICMP_DEST_UNREACH 3
#define LB_ICMP_ECHO_REQUEST 8
#define LB_ICMP_TIME_EXCEEDED 11

/** What lb_pkt_parse() found. */
enum lb_pkt_kind {
	LB_PKT_DROP = 0, /**< malformed or unsupported: see lb_pkt::drop */
	LB_PKT_IPV4,     /**< IPv4 with valid lengths */
	LB_PKT_ARP,      /**< Ethernet/IPv4 ARP, at least 28 bytes */
	LB_PKT_VRRP,     /**< a VRRP advertisement: protocol 112 to
			      224.0.0.18 and its MAC, TTL 255, whole, at
			      least the 8-byte VRRP header */
	LB_PKT_IPV6,     /**< IPv6 with valid lengths (lb_pkt_parse6()) */
};

#define LB_PKT_F_VLAN       0x01 /**< one 802.1Q tag present */
#define LB_PKT_F_L2_BCAST   0x02 /**< destination MAC is broadcast */
#define LB_PKT_F_L2_MCAST   0x04 /**< destination MAC is multicast */
#define LB_PKT_F_IP_OPTIONS 0x08 /**< IPv4 header longer than 20 bytes */
#define LB_PKT_F_FRAG       0x10 /**< any fragment (MF set or offset != 0) */
#define LB_PKT_F_FRAG_LATER 0x20 /**< non-first fragment: no L4 header */

/**
 * Parsed headers. Addresses stay in network byte order (as on the wire);
 * ports, VLAN id and IP id are in host order.
 */
struct lb_pkt {
	uint16_t l3_off;     /**< offset of the IPv4 or ARP header */
	uint16_t l4_off;     /**< offset of the L4 header (IPv4 only) */
	uint16_t l4_len;     /**< IP payload bytes (total length - header) */
	uint16_t vlan_tci;   /**< tag control information if LB_PKT_F_VLAN */
	uint8_t flags;       /**< LB_PKT_F_* */
	uint8_t proto;       /**< IP protocol */
	uint8_t tcp_flags;   /**< TCP flags byte (TCP only) */
	uint8_t icmp_type;   /**< ICMP type (ICMP only) */
	uint8_t icmp_code;   /**< ICMP code (ICMP only) */
	uint16_t ip_id;      /**< IPv4 identification */
	uint32_t src_ip;     /**< network order */
	uint32_t dst_ip;     /**< network order */
	uint16_t src_port;   /**< host order; 0 without L4 header */
	uint16_t dst_port;   /**< host order; 0 without L4 header */
	uint16_t drop;       /**< enum lb_stat_worker reason if LB_PKT_DROP */
};

/** The flow an ICMP error is about, seen from the client side. */
struct lb_pkt_inner {
	uint32_t client_ip;  /**< network order: inner destination */
	uint32_t vip;        /**< network order: inner source */
	uint16_t client_port;
	uint16_t vip_port;
	uint8_t proto;
};

static inline uint16_t
lb_load_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint32_t
lb_load_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
lb_load_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

static inline void
lb_store_be16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, sizeof(v));
}

/** What lb_pkt_l4() reads of an upper-layer header. */
struct lb_pkt_l4 {
	uint16_t src_port;   /**< TCP, UDP */
	uint16_t dst_port;
	uint8_t tcp_flags;   /**< TCP */
	uint8_t icmp_type;   /**< ICMP, ICMPv6 */
	uint8_t icmp_code;
};

/**
 * The upper-layer header of an IPv4 or IPv6 packet, checked as a
 * member's stack checks it: TCP at least 20 bytes with its data offset
 * within them, UDP at least 8 with its length within the payload (a
 * first fragment, frag, carries only part of the datagram), ICMP (the
 * protocol icmp_proto: 1 or 58) at least 8. Other protocols: nothing
 * read.
 *
 * @param l4
 *   The header; l4_len bytes of payload follow from it.
 * @param udp_csum
 *   UDP's checksum is mandatory (IPv6): 0 there is refused.
 * @param out
 *   Filled only on success.
 * @return
 *   0, or the enum lb_stat_worker drop reason.
 */
static inline uint16_t
lb_pkt_l4(const uint8_t *l4, uint32_t l4_len, uint8_t proto,
	  uint8_t icmp_proto, bool frag, bool udp_csum, struct lb_pkt_l4 *out)
{
	if (proto == LB_IPPROTO_TCP) {
		uint32_t doff;

		if (l4_len < 20)
			return LB_STAT_DROP_TRUNC_L4;
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > l4_len)
			return LB_STAT_DROP_TCP_HDR;
		out->src_port = lb_load_be16(l4);
		out->dst_port = lb_load_be16(l4 + 2);
		out->tcp_flags = l4[13];
	} else if (proto == LB_IPPROTO_UDP) {
		uint16_t ulen;

		if (l4_len < 8)
			return LB_STAT_DROP_TRUNC_L4;
		ulen = lb_load_be16(l4 + 4);
		/* a first fragment carries only part of the datagram that
		 * the UDP length describes */
		if (ulen < 8 || (!frag && ulen > l4_len))
			return LB_STAT_DROP_UDP_LEN;
		if (udp_csum && lb_load_be16(l4 + 6) == 0)
			return LB_STAT_DROP_UDP6_CSUM0;
		out->src_port = lb_load_be16(l4);
		out->dst_port = lb_load_be16(l4 + 2);
	} else if (proto == icmp_proto) {
		if (l4_len < 8)
			return LB_STAT_DROP_TRUNC_L4;
		out->icmp_type = l4[0];
		out->icmp_code = l4[1];
	}
	return 0;
}

/**
 * The Ethernet header and at most one 802.1Q tag, as lb_pkt_parse() and
 * lb_pkt_parse6() read them: sets LB_PKT_F_L2_BCAST, LB_PKT_F_L2_MCAST
 * and LB_PKT_F_VLAN in *flags, the tag in *tci, the L3 offset in *off
 * and the EtherType in *etype.
 *
 * @return
 *   0, or the enum lb_stat_worker drop reason (a truncated header or
 *   tag, a second tag).
 */
uint16_t lb_pkt_l2(const uint8_t *data, uint32_t len, uint8_t *flags,
		   uint16_t *tci, uint32_t *off, uint16_t *etype);

/**
 * Parse Ethernet, at most one 802.1Q tag, then IPv4 (with the L4 ports
 * of TCP and UDP, the type of ICMP) or ARP.
 *
 * @param data
 *   First byte of the frame.
 * @param len
 *   Bytes readable at data; nothing past it is read.
 * @param pkt
 *   Filled with what was found; on LB_PKT_DROP, pkt->drop names why.
 * @return
 *   An enum lb_pkt_kind.
 */
enum lb_pkt_kind lb_pkt_parse(const uint8_t *data, uint32_t len,
			      struct lb_pkt *pkt);

/** What lb_pkt_fast4() and lb_pkt_fast6() read of the common packet. */
struct lb_pkt_fast {
	uint32_t src_ip;     /**< network order (IPv4 only) */
	uint32_t dst_ip;     /**< network order (IPv4 only) */
	uint16_t src_port;   /**< host order */
	uint16_t dst_port;   /**< host order */
	uint16_t ip_id;      /**< IPv4 identification (IPv4 only) */
	uint8_t proto;       /**< LB_IPPROTO_TCP or LB_IPPROTO_UDP */
	uint8_t tcp_flags;   /**< TCP only; 0 for UDP */
};

/**
 * The common packet, read in as few loads and branches as it takes: a
 * unicast, untagged Ethernet frame with IPv4 without options, not a
 * fragment, TCP or UDP, every length and address as lb_pkt_parse()
 * checks them. True exactly when lb_pkt_parse() returns LB_PKT_IPV4
 * with no flag set and protocol TCP or UDP; the fields are then the
 * ones it reads. False for anything else (not always malformed: a
 * VLAN tag, options, ARP...), which the caller parses in full.
 *
 * @param data
 *   First byte of the frame.
 * @param len
 *   Bytes readable at data; nothing past it is read.
 */
static inline bool
lb_pkt_fast4(const uint8_t *data, uint32_t len, struct lb_pkt_fast *f)
{
	const uint8_t *ip = data + LB_ETH_HLEN;
	const uint8_t *l4 = ip + 20;
	uint32_t tot, l4_len, doff;
	uint8_t src, dst;

	/* Ethernet, a 20-byte IPv4 header and a UDP header's 8 */
	if (len < LB_ETH_HLEN + 20 + 8)
		return false;
	tot = lb_load_be16(ip + 2);
	src = ip[12];
	dst = ip[16];
	/* one branch for the frame and the IPv4 header: unicast, IPv4
	 * without tag (version 4, IHL 5: no options), the total length
	 * within the frame and holding a UDP header at least, neither MF
	 * nor an offset, a source a client can have, a unicast
	 * destination that is not reserved (0/8, 127/8) */
	if ((data[0] & 0x01) |
	    (lb_load_be16(data + 12) != LB_ETHERTYPE_IPV4) |
	    (ip[0] != 0x45) |
	    (tot < 20 + 8) | (LB_ETH_HLEN + tot > len) |
	    ((lb_load_be16(ip + 6) & 0x3fff) != 0) |
	    (src == 0) | (src == 127) | (src >= 224) |
	    (dst == 0) | (dst == 127) | (dst >= 224))
		return false;
	l4_len = tot - 20;
	f->proto = ip[9];
	if (f->proto == LB_IPPROTO_TCP) {
		if (l4_len < 20)
			return false;
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if ((doff < 20) | (doff > l4_len))
			return false;
		f->tcp_flags = l4[13];
	} else if (f->proto == LB_IPPROTO_UDP) {
		uint16_t ulen = lb_load_be16(l4 + 4);

		if ((ulen < 8) | (ulen > l4_len))
			return false;
		f->tcp_flags = 0;
	} else {
		return false;
	}
	f->src_ip = lb_load_u32(ip + 12);
	f->dst_ip = lb_load_u32(ip + 16);
	f->src_port = lb_load_be16(l4);
	f->dst_port = lb_load_be16(l4 + 2);
	f->ip_id = lb_load_be16(ip + 4);
	return true;
}

/**
 * Read the flow an ICMP destination-unreachable or time-exceeded message
 * is about. The quoted packet was sent by a member with a VIP as source,
 * so the inner source is the VIP and the inner destination the client.
 *
 * @return
 *   0 on success, -EINVAL if the quoted header is truncated or not
 *   TCP/UDP over IPv4.
 */
int lb_pkt_icmp_inner(const uint8_t *data, uint32_t len,
		      const struct lb_pkt *pkt, struct lb_pkt_inner *inner);

/** True if an ICMP type is an error that quotes a packet we forward. */
static inline bool
lb_pkt_icmp_is_error(uint8_t type)
{
	return type == LB_ICMP_DEST_UNREACH || type == LB_ICMP_TIME_EXCEEDED;
}

/**
 * Turn an ICMP echo request, parsed into pkt, into its echo reply in
 * place: swap the MAC and IP addresses, set the type, fix the
 * checksums.
 *
 * @return
 *   0, or -EINVAL if the packet is not a complete echo request.
 */
int lb_pkt_icmp_echo_reply(uint8_t *data, uint32_t len,
			   const struct lb_pkt *pkt);

/** Internet checksum (RFC 1071) of len bytes, folded, not inverted. */
uint16_t lb_pkt_cksum(const uint8_t *p, uint32_t len, uint32_t sum);

/**
 * Write an Ethernet + ARP frame (42 bytes, no VLAN tag) into buf.
 *
 * @param buf
 *   At least 42 bytes.
 * @param eth_dst
 *   Ethernet destination (broadcast for requests and gratuitous ARP).
 * @param op
 *   LB_ARP_OP_REQUEST or LB_ARP_OP_REPLY.
 * @param sha, spa, tha, tpa
 *   Sender and target hardware and protocol addresses (IPs network order).
 * @return
 *   Frame length.
 */
uint32_t lb_pkt_arp_build(uint8_t *buf, const uint8_t *eth_dst, uint16_t op,
			  const uint8_t *sha, uint32_t spa,
			  const uint8_t *tha, uint32_t tpa);

/** ARP fields of a packet that lb_pkt_parse() classified LB_PKT_ARP. */
struct lb_pkt_arp {
	uint16_t op;
	uint8_t sha[LB_ETH_ALEN];
	uint32_t spa;  /**< network order */
	uint8_t tha[LB_ETH_ALEN];
	uint32_t tpa;  /**< network order */
};

/** Read the ARP fields; the packet must have been parsed as LB_PKT_ARP. */
void lb_pkt_arp_read(const uint8_t *data, const struct lb_pkt *pkt,
		     struct lb_pkt_arp *arp);

/**
 * Turn an ARP request, parsed into pkt and read into arp, into the reply
 * saying arp->tpa is at mac, in place: Ethernet destination the
 * requester, source mac, opcode reply, sender mac/tpa, target the
 * requester. A VLAN tag and any padding stay as they were.
 */
void lb_pkt_arp_reply(uint8_t *data, const struct lb_pkt *pkt,
		      const struct lb_pkt_arp *arp, const uint8_t *mac);

/** Ethernet destination of a frame of at least LB_ETH_HLEN bytes. */
static inline const uint8_t *
lb_pkt_eth_dst(const uint8_t *data)
{
	return data;
}

/** Ethernet source of a frame of at least LB_ETH_HLEN bytes. */
static inline const uint8_t *
lb_pkt_eth_src(const uint8_t *data)
{
	return data + LB_ETH_ALEN;
}

/** Set both MAC addresses: the only rewrite DSR makes. */
static inline void
lb_pkt_set_macs(uint8_t *data, const uint8_t *dst, const uint8_t *src)
{
	memcpy(data, dst, LB_ETH_ALEN);
	memcpy(data + LB_ETH_ALEN, src, LB_ETH_ALEN);
}

/** Compare two MAC addresses. */
static inline bool
lb_mac_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, LB_ETH_ALEN) == 0;
}

#endif /* LB_PKT_H */
