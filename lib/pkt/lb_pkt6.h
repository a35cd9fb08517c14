/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_PKT6_H
#define LB_PKT6_H

/**
 * @file
 * IPv6 parsing on plain byte buffers, the peer of lb_pkt_parse(): the
 * same Ethernet and 802.1Q rules, then the IPv6 header and a bounded
 * walk over its extension headers (RFC 8200) to the upper-layer
 * header. Every read is bounded by the length passed in.
 *
 * The walk takes hop-by-hop options (first only), destination options,
 * routing headers with no segment left and one fragment header, at most
 * LB_PKT6_EXT_MAX of them; anything deeper or malformed is dropped and
 * counted. A non-first fragment ends the walk (its upper-layer header
 * is in the first); a first fragment must carry the whole header chain
 * and the upper-layer header (RFC 7112). An atomic fragment (offset 0,
 * no more fragments: RFC 6946) is a whole packet.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lb_pkt.h"

#define LB_ETHERTYPE_IPV6 0x86dd
#define LB_IP6_HLEN 40
#define LB_IP6_ALEN 16

#define LB_IPPROTO_HOPOPTS 0
#define LB_IPPROTO_ROUTING 43
#define LB_IPPROTO_FRAGMENT 44
#define LB_IPPROTO_ICMPV6 58
#define LB_IPPROTO_NONE 59
#define LB_IPPROTO_DSTOPTS 60

/** Extension headers walked at most: a packet to a VIP needs none, a
 *  real one rarely more than two; a longer chain is dropped
 *  (drop_ip6_ext_chain), never walked at the sender's pleasure. */
#define LB_PKT6_EXT_MAX 4

/* lb_pkt6::flags: LB_PKT_F_VLAN, LB_PKT_F_L2_BCAST, LB_PKT_F_L2_MCAST,
 * LB_PKT_F_FRAG and LB_PKT_F_FRAG_LATER as for IPv4, and: */
#define LB_PKT6_F_SRC_UNSPEC 0x40 /**< source :: (only DAD's NS has one) */
#define LB_PKT6_F_DST_MCAST  0x80 /**< destination ff00::/8 */

/**
 * A parsed IPv6 packet. Addresses as on the wire; ports, VLAN tag,
 * fragment offset and id in host order.
 */
struct lb_pkt6 {
	uint16_t l3_off;     /**< offset of the IPv6 header */
	uint16_t l4_off;     /**< offset of the upper-layer header (after
				  the extension headers) */
	uint16_t l4_len;     /**< bytes from l4_off to the end of the
				  IPv6 payload */
	uint16_t vlan_tci;   /**< if LB_PKT_F_VLAN */
	uint16_t frag_hdr_off; /**< offset of the fragment header, 0: none */
	uint16_t frag_off;   /**< fragment offset in bytes */
	uint32_t frag_id;    /**< fragment identification */
	uint8_t flags;       /**< LB_PKT_F_* and LB_PKT6_F_* */
	uint8_t proto;       /**< upper-layer protocol: the last Next Header */
	uint8_t tcp_flags;   /**< TCP only */
	uint8_t icmp_type;   /**< ICMPv6 only */
	uint8_t icmp_code;   /**< ICMPv6 only */
	uint8_t hop_limit;
	uint8_t n_ext;       /**< extension headers walked */
	uint8_t src[LB_IP6_ALEN];
	uint8_t dst[LB_IP6_ALEN];
	uint16_t src_port;   /**< TCP, UDP; 0 otherwise */
	uint16_t dst_port;
	uint16_t drop;       /**< enum lb_stat_worker reason if LB_PKT_DROP */
};

/**
 * Parse Ethernet, at most one 802.1Q tag, then IPv6, its extension
 * headers and the upper-layer header's fields (TCP and UDP ports, TCP
 * flags, the ICMPv6 type and code).
 *
 * @param data
 *   First byte of the frame.
 * @param len
 *   Bytes readable at data; nothing past it is read (bytes past the
 *   IPv6 payload, Ethernet padding, are ignored).
 * @param pkt
 *   Filled with what was found; on LB_PKT_DROP, pkt->drop names why.
 * @return
 *   LB_PKT_IPV6 or LB_PKT_DROP.
 */
enum lb_pkt_kind lb_pkt_parse6(const uint8_t *data, uint32_t len,
			       struct lb_pkt6 *pkt);

/** Where lb_pkt_fast6() finds the addresses: source, then destination
 *  (32 bytes, as struct lb_tuple6 holds them), from the frame's start. */
#define LB_PKT6_FAST_ADDRS (LB_ETH_HLEN + 8)

/**
 * The common IPv6 packet, read in as few loads and branches as it
 * takes (lb_pkt_fast4()'s peer): a unicast, untagged Ethernet frame
 * with IPv6 whose next header is TCP or UDP (no extension header), the
 * payload length within the frame, TCP and UDP checked as
 * lb_pkt_parse6() checks them, source and destination neither
 * multicast nor starting with 64 zero bits (::, ::1, ::ffff:0:0/96 and
 * the rest of ::/64: parsed in full). True only for a packet that
 * lb_pkt_parse6() returns as LB_PKT_IPV6 with no flag set, no
 * extension header and protocol TCP or UDP, with the same ports,
 * protocol and TCP flags; the addresses are the frame's, at
 * LB_PKT6_FAST_ADDRS. False for anything else, which the caller parses
 * in full.
 *
 * @param data
 *   First byte of the frame.
 * @param len
 *   Bytes readable at data; nothing past it is read.
 */
static inline bool
lb_pkt_fast6(const uint8_t *data, uint32_t len, struct lb_pkt_fast *f)
{
	const uint8_t *ip = data + LB_ETH_HLEN;
	const uint8_t *l4 = ip + LB_IP6_HLEN;
	uint32_t plen, doff;
	uint64_t src, dst;

	if (len < LB_ETH_HLEN + LB_IP6_HLEN + 8)
		return false;
	plen = lb_load_be16(ip + 4);
	memcpy(&src, ip + 8, sizeof(src));
	memcpy(&dst, ip + 24, sizeof(dst));
	/* one branch for the frame and the IPv6 header */
	if ((data[0] & 0x01) |
	    (lb_load_be16(data + 12) != LB_ETHERTYPE_IPV6) |
	    ((ip[0] >> 4) != 6) |
	    (plen < 8) | (plen > len - LB_ETH_HLEN - LB_IP6_HLEN) |
	    (src == 0) | (dst == 0) | (ip[8] == 0xff) | (ip[24] == 0xff))
		return false;
	f->proto = ip[6];
	if (f->proto == LB_IPPROTO_TCP) {
		if (plen < 20)
			return false;
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if ((doff < 20) | (doff > plen))
			return false;
		f->tcp_flags = l4[13];
	} else if (f->proto == LB_IPPROTO_UDP) {
		uint16_t ulen = lb_load_be16(l4 + 4);

		/* UDP's checksum is mandatory over IPv6 */
		if ((ulen < 8) | (ulen > plen) | (lb_load_be16(l4 + 6) == 0))
			return false;
		f->tcp_flags = 0;
	} else {
		return false;
	}
	f->src_port = lb_load_be16(l4);
	f->dst_port = lb_load_be16(l4 + 2);
	return true;
}

/* ---- ICMPv6 and Neighbor Discovery (RFC 4443, RFC 4861) ---- */

#define LB_ICMP6_ECHO_REQUEST 128
#define LB_ICMP6_ECHO_REPLY 129
#define LB_ICMP6_PACKET_TOO_BIG 2
#define LB_ICMP6_ROUTER_SOLICIT 133
#define LB_ICMP6_ROUTER_ADVERT 134
#define LB_ICMP6_NEIGH_SOLICIT 135
#define LB_ICMP6_NEIGH_ADVERT 136
#define LB_ICMP6_REDIRECT 137

#define LB_NDP_OPT_SLLA 1      /**< source link-layer address */
#define LB_NDP_OPT_TLLA 2      /**< target link-layer address */
#define LB_NDP_HOP_LIMIT 255   /**< what every NDP message carries */
/** NA flags (the first byte after the checksum) */
#define LB_NDP_NA_ROUTER 0x80
#define LB_NDP_NA_SOLICITED 0x40
#define LB_NDP_NA_OVERRIDE 0x20
/** A Neighbor Advertisement with its target link-layer option: the
 *  ICMPv6 message's length. */
#define LB_NDP_NA_LEN 32

/** A Neighbor Solicitation, read and checked (lb_pkt_ndp_ns()). */
struct lb_ndp_ns {
	uint8_t target[LB_IP6_ALEN];
	uint8_t slla[LB_ETH_ALEN];  /**< the sender's MAC, if has_slla */
	bool has_slla;
	bool dad;                   /**< from :: : duplicate address
				         detection, answered to all nodes */
};

/**
 * The ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header of src and
 * dst and len bytes of message at l4, its checksum field taken as it is
 * (zero it first to compute one; a right message sums to 0).
 *
 * @return
 *   The checksum to store (inverted, folded).
 */
uint16_t lb_pkt_icmp6_cksum(const uint8_t *src, const uint8_t *dst,
			    const uint8_t *l4, uint32_t len);

/**
 * Read a Neighbor Solicitation parsed into pkt (LB_PKT_IPV6, ICMPv6
 * type 135) with the checks of RFC 4861 7.1.1: hop limit 255, code 0,
 * whole (not a fragment), at least 24 bytes, the checksum right, a
 * target that is not multicast, every option of nonzero length within
 * the message; from :: only to a solicited-node group and without a
 * source link-layer option.
 *
 * @return
 *   0 with ns filled, or -EINVAL.
 */
int lb_pkt_ndp_ns(const uint8_t *data, const struct lb_pkt6 *pkt,
		  struct lb_ndp_ns *ns);

/**
 * The solicited-node multicast group of addr (ff02::1:ffXX:XXXX, RFC
 * 4291 2.7.1) into group, and its Ethernet address (33:33 and the
 * group's last four bytes) into mac if not NULL.
 */
void lb_ip6_solicited_node(const uint8_t *addr, uint8_t *group, uint8_t *mac);

/**
 * Turn a Neighbor Solicitation read into ns into the Neighbor
 * Advertisement answering it, in place: target ns->target at mac,
 * Override set, Solicited set unless it answers DAD (then to all nodes,
 * ff02::1, as RFC 4861 7.2.4 says), Router clear; from the target
 * address, hop limit 255, with a target link-layer option; Ethernet to
 * the sender (the option's MAC if it gave one, else the frame's source)
 * from mac. The message is LB_NDP_NA_LEN bytes: the frame's length may
 * change.
 *
 * @param cap
 *   Bytes writable at data.
 * @return
 *   The frame's new length, or 0 (data untouched) if cap is too small.
 */
uint32_t lb_pkt_ndp_na_reply(uint8_t *data, uint32_t cap,
			     const struct lb_pkt6 *pkt,
			     const struct lb_ndp_ns *ns, const uint8_t *mac);

/**
 * Turn an ICMPv6 echo request to one of our addresses, parsed into pkt,
 * into its reply in place: Ethernet and IPv6 addresses swapped, hop
 * limit 64, type 129, the checksum computed again. Only a whole request
 * without extension headers, unicast, with a right checksum is answered.
 *
 * @return
 *   0, or -EINVAL (data untouched).
 */
int lb_pkt_icmp6_echo_reply(uint8_t *data, uint32_t len,
			    const struct lb_pkt6 *pkt);

/** Bytes lb_pkt_ndp_unsolicited_na() writes at most (with a tag). */
#define LB_NDP_UNSOL_NA_MAX (LB_ETH_HLEN + LB_VLAN_HLEN + LB_IP6_HLEN + \
			     LB_NDP_NA_LEN)

/**
 * An unsolicited Neighbor Advertisement for target (RFC 4861 7.2.6), as
 * a node whose address moved to mac sends it: to all nodes (ff02::1,
 * 33:33:00:00:00:01), from target, Override set, Solicited and Router
 * clear, hop limit 255, with the target link-layer option; tagged vlan
 * unless 0. A neighbour with an entry for target updates it; one
 * without ignores it.
 *
 * @param buf
 *   At least LB_NDP_UNSOL_NA_MAX bytes.
 * @return
 *   The frame's length.
 */
uint32_t lb_pkt_ndp_unsolicited_na(uint8_t *buf, uint16_t vlan,
				   const uint8_t *mac, const uint8_t *target);

/** A Neighbor Advertisement, read and checked (lb_pkt_ndp_na()). */
struct lb_ndp_na {
	uint8_t target[LB_IP6_ALEN];
	uint8_t tlla[LB_ETH_ALEN];  /**< the target's MAC, if has_tlla */
	bool has_tlla;
	uint8_t flags;              /**< LB_NDP_NA_ROUTER, _SOLICITED, _OVERRIDE */
};

/**
 * Read a Neighbor Advertisement parsed into pkt (ICMPv6 type 136) with
 * the checks of RFC 4861 7.1.2: hop limit 255, code 0, whole, at least
 * 24 bytes, the checksum right, a target that is not multicast, every
 * option of nonzero length within the message, and Solicited clear if
 * sent to a multicast group.
 *
 * @return
 *   0 with na filled, or -EINVAL.
 */
int lb_pkt_ndp_na(const uint8_t *data, const struct lb_pkt6 *pkt,
		  struct lb_ndp_na *na);

/** Length of the Neighbor Solicitations lb_pkt_ndp_ns_frame() builds:
 *  the message and a source link-layer address option. */
#define LB_NDP_NS_LEN 32
/** Bytes lb_pkt_ndp_ns_frame() writes at most (with a tag). */
#define LB_NDP_NS_FRAME_MAX (LB_ETH_HLEN + LB_VLAN_HLEN + LB_IP6_HLEN + \
			     LB_NDP_NS_LEN)

/**
 * A Neighbor Solicitation for target from src at mac, with the source
 * link-layer address option, hop limit 255; tagged vlan unless 0. To
 * target's solicited-node group (address resolution) if to_mac is NULL,
 * else to target itself at to_mac (a reachability probe, RFC 4861 7.3.3).
 *
 * @param buf
 *   At least LB_NDP_NS_FRAME_MAX bytes.
 * @return
 *   The frame's length.
 */
uint32_t lb_pkt_ndp_ns_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
			     const uint8_t *src, const uint8_t *target,
			     const uint8_t *to_mac);

#define LB_ICMP6_DEST_UNREACH 1
#define LB_ICMP6_TIME_EXCEEDED 3
#define LB_ICMP6_PARAM_PROBLEM 4

/** True if an ICMPv6 type is an error that quotes a packet (RFC 4443:
 *  destination unreachable, packet too big, time exceeded, parameter
 *  problem). */
static inline bool
lb_pkt_icmp6_is_error(uint8_t type)
{
	return type >= LB_ICMP6_DEST_UNREACH && type <= LB_ICMP6_PARAM_PROBLEM;
}

/** The flow an ICMPv6 error is about, from the packet it quotes: one a
 *  member sent from a VIP to a client. Addresses as on the wire. */
struct lb_pkt_inner6 {
	uint8_t client[LB_IP6_ALEN];  /**< the quote's destination */
	uint8_t vip[LB_IP6_ALEN];     /**< its source */
	uint16_t client_port;
	uint16_t vip_port;
	uint8_t proto;
};

/**
 * Read the packet an ICMPv6 error (parsed into pkt) quotes: an IPv6
 * header, at most a Fragment header of a first fragment (offset 0, as
 * IPv4's quoted first fragments), then TCP or UDP ports, within the
 * error's payload.
 *
 * @return
 *   0 with inner filled, or -EINVAL (not an error, or a quote that is
 *   short, not IPv6, a later fragment, or not TCP or UDP right after
 *   its header or its Fragment header).
 */
int lb_pkt_icmp6_inner(const uint8_t *data, uint32_t len,
		       const struct lb_pkt6 *pkt, struct lb_pkt_inner6 *inner);

#endif /* LB_PKT6_H */
