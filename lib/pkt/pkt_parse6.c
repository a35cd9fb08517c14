/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * IPv6 parsing (lb_pkt6.h): the IPv6 header, a bounded walk over the
 * extension headers, then the upper-layer header, each length checked
 * before the bytes it covers are read. The checks are the ones a
 * member's stack makes (RFC 8200), so nothing is forwarded that it
 * would throw away, and every refusal has its own counter.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lb_stats.h"
#include "lb_pkt6.h"

#define FRAG_OFF_MASK 0xfff8
#define FRAG_MF 0x0001

static inline enum lb_pkt_kind
drop6(struct lb_pkt6 *pkt, enum lb_stat_worker why)
{
	pkt->drop = why;
	return LB_PKT_DROP;
}

/* ::, ::1 and ::ffff:0:0/96: the first ten bytes zero, then 0000 (::
 * or ::1 as the last byte says) or ffff (IPv4-mapped). */
static inline bool
zero_prefix(const uint8_t *a)
{
	static const uint8_t zero[10];

	return memcmp(a, zero, sizeof(zero)) == 0;
}

static inline bool
unspecified(const uint8_t *a)
{
	static const uint8_t zero[LB_IP6_ALEN];

	return memcmp(a, zero, sizeof(zero)) == 0;
}

static inline bool
loopback(const uint8_t *a)
{
	static const uint8_t one[LB_IP6_ALEN] = { [15] = 1 };

	return memcmp(a, one, sizeof(one)) == 0;
}

static inline bool
v4_mapped(const uint8_t *a)
{
	return zero_prefix(a) && a[10] == 0xff && a[11] == 0xff;
}

/* A first fragment (offset 0, more to come): what is missing of its
 * header chain is missing from the datagram, not malformed (RFC 7112). */
static inline bool
first_fragment(const struct lb_pkt6 *pkt)
{
	return (pkt->flags & (LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER)) ==
	       LB_PKT_F_FRAG;
}

/*
 * The extension headers from next header nh at off, up to end: on
 * success *nh is the upper-layer protocol and *off its header's offset;
 * a non-first fragment stops the walk there (LB_PKT_F_FRAG_LATER). A
 * first fragment whose chain ends before its last header does is
 * counted apart (drop_frag6_first_short).
 */
static enum lb_pkt_kind
walk_ext(const uint8_t *data, uint32_t end, uint32_t *off, uint8_t *nh,
	 struct lb_pkt6 *pkt)
{
	for (;;) {
		const uint8_t *h = data + *off;
		uint32_t left = end - *off, hlen;
		uint16_t fo;

		switch (*nh) {
		case LB_IPPROTO_HOPOPTS:
			if (pkt->n_ext != 0)   /* only right after the header */
				return drop6(pkt, LB_STAT_DROP_IP6_EXT);
			/* fall through */
		case LB_IPPROTO_DSTOPTS:
		case LB_IPPROTO_ROUTING:
			if (pkt->n_ext == LB_PKT6_EXT_MAX)
				return drop6(pkt, LB_STAT_DROP_IP6_EXT_CHAIN);
			if (left < 8 || left < ((uint32_t)h[1] + 1) * 8)
				return drop6(pkt, first_fragment(pkt) ?
					     LB_STAT_DROP_FRAG6_FIRST_SHORT :
					     LB_STAT_DROP_IP6_EXT);
			hlen = ((uint32_t)h[1] + 1) * 8;
			/* a routing header with segments left names a hop
			 * beyond us: we are no router */
			if (*nh == LB_IPPROTO_ROUTING && h[3] != 0)
				return drop6(pkt, LB_STAT_DROP_IP6_EXT);
			break;
		case LB_IPPROTO_FRAGMENT:
			if (pkt->n_ext == LB_PKT6_EXT_MAX)
				return drop6(pkt, LB_STAT_DROP_IP6_EXT_CHAIN);
			if (left < 8 || pkt->frag_hdr_off != 0)
				return drop6(pkt, LB_STAT_DROP_IP6_EXT);
			hlen = 8;
			fo = lb_load_be16(h + 2);
			pkt->frag_hdr_off = (uint16_t)*off;
			if ((fo & (FRAG_OFF_MASK | FRAG_MF)) == 0)
				break;   /* atomic (RFC 6946): a whole packet */
			pkt->flags |= LB_PKT_F_FRAG;
			pkt->frag_off = fo & FRAG_OFF_MASK;
			pkt->frag_id = lb_load_be32(h + 4);
			/* every fragment but the last carries a multiple of
			 * 8 bytes, and none ends past the longest payload
			 * (RFC 8200 4.5) */
			if (((fo & FRAG_MF) && (left - hlen) % 8 != 0) ||
			    pkt->frag_off + (left - hlen) > 65535)
				return drop6(pkt, LB_STAT_DROP_IP6_EXT);
			if (pkt->frag_off != 0) {
				pkt->flags |= LB_PKT_F_FRAG_LATER;
				pkt->n_ext++;
				*nh = h[0];
				*off += hlen;
				return LB_PKT_IPV6;
			}
			break;
		default:
			return LB_PKT_IPV6;   /* the upper layer */
		}
		pkt->n_ext++;
		*nh = h[0];
		*off += hlen;
	}
}

/* The upper-layer header at l4_off, as lb_pkt_parse() reads IPv4's;
 * IPv6 has no header checksum, so UDP's is mandatory. */
static enum lb_pkt_kind
upper_layer(const uint8_t *data, struct lb_pkt6 *pkt)
{
	struct lb_pkt_l4 l4 = { 0 };
	uint16_t why;

	why = lb_pkt_l4(data + pkt->l4_off, pkt->l4_len, pkt->proto,
			LB_IPPROTO_ICMPV6, (pkt->flags & LB_PKT_F_FRAG) != 0,
			true, &l4);
	/* a first fragment's upper-layer header cut short (a TCP header
	 * with its options) is in no fragment whole: RFC 7112 */
	if (why != 0 && first_fragment(pkt) &&
	    (why == LB_STAT_DROP_TRUNC_L4 ||
	     (why == LB_STAT_DROP_TCP_HDR &&
	      (data[pkt->l4_off + 12] >> 4) * 4 >= 20)))
		why = LB_STAT_DROP_FRAG6_FIRST_SHORT;
	if (why != 0)
		return drop6(pkt, why);
	pkt->src_port = l4.src_port;
	pkt->dst_port = l4.dst_port;
	pkt->tcp_flags = l4.tcp_flags;
	pkt->icmp_type = l4.icmp_type;
	pkt->icmp_code = l4.icmp_code;
	return LB_PKT_IPV6;
}

enum lb_pkt_kind
lb_pkt_parse6(const uint8_t *data, uint32_t len, struct lb_pkt6 *pkt)
{
	uint32_t off, end, plen;
	enum lb_pkt_kind k;
	const uint8_t *ip;
	uint16_t etype;
	uint8_t nh;

	memset(pkt, 0, sizeof(*pkt));
	pkt->drop = lb_pkt_l2(data, len, &pkt->flags, &pkt->vlan_tci, &off,
			      &etype);
	if (pkt->drop != 0)
		return LB_PKT_DROP;
	pkt->l3_off = (uint16_t)off;
	if (etype != LB_ETHERTYPE_IPV6)
		return drop6(pkt, LB_STAT_DROP_ETHERTYPE);

	if (len - off < LB_IP6_HLEN)
		return drop6(pkt, LB_STAT_DROP_TRUNC_IP6);
	ip = data + off;
	if ((ip[0] >> 4) != 6)
		return drop6(pkt, LB_STAT_DROP_IP_VERSION);
	plen = lb_load_be16(ip + 4);
	if (plen == 0 || plen > len - off - LB_IP6_HLEN)
		return drop6(pkt, LB_STAT_DROP_IP6_LENGTH);
	nh = ip[6];
	pkt->hop_limit = ip[7];
	memcpy(pkt->src, ip + 8, LB_IP6_ALEN);
	memcpy(pkt->dst, ip + 24, LB_IP6_ALEN);
	if (pkt->src[0] == 0xff || loopback(pkt->src) || v4_mapped(pkt->src))
		return drop6(pkt, LB_STAT_DROP_IP6_SRC);
	if (unspecified(pkt->src))
		pkt->flags |= LB_PKT6_F_SRC_UNSPEC;
	if (unspecified(pkt->dst) || loopback(pkt->dst) || v4_mapped(pkt->dst))
		return drop6(pkt, LB_STAT_DROP_IP6_DST);
	if (pkt->dst[0] == 0xff)
		pkt->flags |= LB_PKT6_F_DST_MCAST;

	end = off + LB_IP6_HLEN + plen;
	off += LB_IP6_HLEN;
	k = walk_ext(data, end, &off, &nh, pkt);
	if (k == LB_PKT_DROP)
		return k;
	pkt->proto = nh;
	pkt->l4_off = (uint16_t)off;
	pkt->l4_len = (uint16_t)(end - off);
	if (pkt->flags & LB_PKT_F_FRAG_LATER)
		return LB_PKT_IPV6;
	return upper_layer(data, pkt);
}
