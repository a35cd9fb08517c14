/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the packet parser and the helpers that read past
 * the first headers (ICMP inner header, ARP fields, echo reply), on a
 * buffer of exactly the input's length so ASan catches any read past
 * it.
 *
 * What the parser says must also be true of the frame (abort()
 * otherwise):
 * - a drop names a drop_* outcome counter of lib/stats' worker list;
 * - every offset and length it reports lies within the frame, also on
 *   a drop: an ARP packet holds its 28 bytes; an IPv4 packet its header
 *   as the IHL says and its payload as the total length says
 *   (l4_off = l3_off + IHL, l4_len = total length - IHL, l3_off +
 *   total length <= frame length);
 * - an accepted TCP, UDP or ICMP packet that is no later fragment holds
 *   its L4 header within that payload (TCP: data offset 20 to l4_len;
 *   UDP: length at least 8, and at most l4_len unless fragmented;
 *   ICMP: 8 bytes), a VRRP advertisement its 8 bytes;
 * - the VLAN, options and fragment flags, protocol, addresses, ports,
 *   TCP flags and ICMP type are those of the frame's bytes at those
 *   offsets (no port without an L4 header);
 * - a quoted header found in an ICMP error lies within its payload;
 * - an echo reply made in place parses as the same packet with the
 *   addresses swapped, type 0 and a valid IPv4 header checksum, and a
 *   valid ICMP checksum if the request had one.
 *
 * The IPv6 parser runs on every input too, and again with its
 * EtherType (the tagged one if there is a tag) made IPv6's so that
 * most inputs reach the IPv6 header. What it says must hold as well:
 * - a drop names a drop_* outcome counter;
 * - an accepted packet holds its IPv6 header (version 6) and payload,
 *   the upper layer after the header and ending with the payload
 *   (l3_off + 40 <= l4_off, l4_off + l4_len = l3_off + 40 + payload
 *   length <= frame length), the addresses, hop limit and VLAN flag
 *   those of the frame, at most LB_PKT6_EXT_MAX extension headers, a
 *   fragment header (if any) among them;
 * - LB_PKT_F_FRAG_LATER only with LB_PKT_F_FRAG, no ports but TCP's
 *   and UDP's, none in a later fragment; an accepted TCP, UDP or
 *   ICMPv6 header that is no later fragment's lies within the payload
 *   and its fields are the frame's (UDP: checksum not 0).
 *
 * The fast paths of the common packet agree with the parsers on every
 * input: lb_pkt_fast4() accepts a frame exactly when lb_pkt_parse()
 * returns plain IPv4 TCP or UDP (no flag set), lb_pkt_fast6() exactly
 * when lb_pkt_parse6() returns plain IPv6 TCP or UDP (no flag, no
 * extension header) between addresses outside ::/64, and both read the
 * parsers' fields.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_stats.h"
#include "lb_pkt.h"
#include "lb_pkt6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Name the broken invariant: the reproducer alone says only "abort". */
#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_pkt: %s:%d: invariant failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff
#define L2_FLAGS (LB_PKT_F_L2_BCAST | LB_PKT_F_L2_MCAST)

static void
check_drop(const struct lb_pkt *pk)
{
	REQUIRE(pk->drop < LB_STAT_WORKER_MAX);
	REQUIRE(lb_stats_worker_desc[pk->drop].kind == 'o');
	REQUIRE(strncmp(lb_stats_worker_desc[pk->drop].name, "drop_", 5) == 0);
}

/* The L4 header of an accepted, unfragmented or first-fragment packet:
 * whole within the IP payload, and the fields read from it. */
static void
check_l4(const uint8_t *buf, const struct lb_pkt *pk)
{
	const uint8_t *l4 = buf + pk->l4_off;
	uint32_t doff;
	uint16_t ulen;

	switch (pk->proto) {
	case LB_IPPROTO_TCP:
		REQUIRE(pk->l4_len >= 20);
		doff = (uint32_t)(l4[12] >> 4) * 4;
		REQUIRE(doff >= 20 && doff <= pk->l4_len);
		REQUIRE(pk->src_port == lb_load_be16(l4));
		REQUIRE(pk->dst_port == lb_load_be16(l4 + 2));
		REQUIRE(pk->tcp_flags == l4[13]);
		break;
	case LB_IPPROTO_UDP:
		REQUIRE(pk->l4_len >= 8);
		ulen = lb_load_be16(l4 + 4);
		REQUIRE(ulen >= 8);
		REQUIRE((pk->flags & LB_PKT_F_FRAG) || ulen <= pk->l4_len);
		REQUIRE(pk->src_port == lb_load_be16(l4));
		REQUIRE(pk->dst_port == lb_load_be16(l4 + 2));
		break;
	case LB_IPPROTO_ICMP:
		REQUIRE(pk->l4_len >= 8);
		REQUIRE(pk->icmp_type == l4[0] && pk->icmp_code == l4[1]);
		REQUIRE(pk->src_port == 0 && pk->dst_port == 0);
		break;
	default:
		REQUIRE(pk->src_port == 0 && pk->dst_port == 0);
		break;
	}
}

/* An IPv4 or VRRP result: the headers as the frame's bytes say. */
static void
check_ipv4(const uint8_t *buf, uint32_t len, enum lb_pkt_kind kind,
	   const struct lb_pkt *pk)
{
	const uint8_t *ip = buf + pk->l3_off;
	uint32_t ihl, tot;
	uint16_t frag;

	REQUIRE((uint32_t)pk->l3_off + 20 <= len);
	REQUIRE((ip[0] >> 4) == 4);
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	REQUIRE(ihl >= 20);
	REQUIRE(pk->l4_off == pk->l3_off + ihl);
	tot = lb_load_be16(ip + 2);
	REQUIRE(tot >= ihl && pk->l3_off + tot <= len);
	REQUIRE(pk->l4_len == tot - ihl);
	REQUIRE(!!(pk->flags & LB_PKT_F_IP_OPTIONS) == (ihl > 20));

	frag = lb_load_be16(ip + 6);
	REQUIRE(!!(pk->flags & LB_PKT_F_FRAG) ==
		((frag & (IP_MF | IP_OFFMASK)) != 0));
	REQUIRE(!!(pk->flags & LB_PKT_F_FRAG_LATER) ==
		((frag & IP_OFFMASK) != 0));
	REQUIRE(pk->ip_id == lb_load_be16(ip + 4));
	REQUIRE(pk->proto == ip[9]);
	REQUIRE(pk->src_ip == lb_load_u32(ip + 12));
	REQUIRE(pk->dst_ip == lb_load_u32(ip + 16));

	if (kind == LB_PKT_VRRP) {
		REQUIRE(pk->proto == LB_IPPROTO_VRRP);
		REQUIRE(!(pk->flags & LB_PKT_F_FRAG) && pk->l4_len >= 8);
	} else if (pk->flags & LB_PKT_F_FRAG_LATER) {
		/* no L4 header: nothing may have been read as one */
		REQUIRE(pk->src_port == 0 && pk->dst_port == 0);
		REQUIRE(pk->tcp_flags == 0 && pk->icmp_type == 0);
	} else {
		check_l4(buf, pk);
	}
}

/* What every result says about offsets and lengths, and the parts of
 * the frame they cover. */
static void
check_parse(const uint8_t *buf, uint32_t len, enum lb_pkt_kind kind,
	    const struct lb_pkt *pk)
{
	bool tagged = len >= LB_ETH_HLEN &&
		lb_load_be16(buf + 12) == LB_ETHERTYPE_VLAN;

	/* a drop may come after the lengths were read: they hold too */
	REQUIRE(pk->l3_off <= len);
	REQUIRE((uint32_t)pk->l4_off + pk->l4_len <= len);
	switch (kind) {
	case LB_PKT_DROP:
		check_drop(pk);
		return;
	case LB_PKT_ARP:
	case LB_PKT_IPV4:
	case LB_PKT_VRRP:
		break;
	default:
		REQUIRE(!"a kind lb_pkt_parse() does not return");
	}
	REQUIRE(pk->l3_off == LB_ETH_HLEN + (tagged ? LB_VLAN_HLEN : 0));
	REQUIRE(!!(pk->flags & LB_PKT_F_VLAN) == tagged);
	if (kind == LB_PKT_ARP)
		REQUIRE((uint32_t)pk->l3_off + LB_ARP_LEN <= len);
	else
		check_ipv4(buf, len, kind, pk);
}

static void
check_inner(const uint8_t *buf, uint32_t len, const struct lb_pkt *pk)
{
	struct lb_pkt_inner inner;
	uint32_t q = pk->l4_off + 8, end = (uint32_t)pk->l4_off + pk->l4_len;
	uint32_t qihl;

	if (lb_pkt_icmp_inner(buf, len, pk, &inner) != 0)
		return;
	/* the quoted IPv4 header and 8 bytes past it, in the payload */
	REQUIRE(q + 20 <= end);
	qihl = (uint32_t)(buf[q] & 0x0f) * 4;
	REQUIRE(qihl >= 20 && q + qihl + 8 <= end);
	REQUIRE(inner.proto == LB_IPPROTO_TCP || inner.proto == LB_IPPROTO_UDP);
	REQUIRE(inner.vip == lb_load_u32(buf + q + 12));
	REQUIRE(inner.client_ip == lb_load_u32(buf + q + 16));
	REQUIRE(inner.vip_port == lb_load_be16(buf + q + qihl));
	REQUIRE(inner.client_port == lb_load_be16(buf + q + qihl + 2));
}

/* The reply must be what a host would send back: the same packet
 * turned round, which the parser accepts as it accepted the request. */
static void
check_echo_reply(uint8_t *buf, uint32_t len, const struct lb_pkt *req)
{
	struct lb_pkt rep;
	bool icmp_ok;

	icmp_ok = req->l4_len >= 8 &&
		(uint32_t)req->l4_off + req->l4_len <= len &&
		lb_pkt_cksum(buf + req->l4_off, req->l4_len, 0) == 0xffff;
	if (lb_pkt_icmp_echo_reply(buf, len, req) != 0)
		return;
	REQUIRE(lb_pkt_parse(buf, len, &rep) == LB_PKT_IPV4);
	/* the destination MAC is now the asker's: L2 flags may differ */
	REQUIRE(rep.l3_off == req->l3_off && rep.l4_off == req->l4_off &&
		rep.l4_len == req->l4_len &&
		(rep.flags & ~L2_FLAGS) == (req->flags & ~L2_FLAGS));
	REQUIRE(rep.src_ip == req->dst_ip && rep.dst_ip == req->src_ip);
	REQUIRE(rep.proto == LB_IPPROTO_ICMP &&
		rep.icmp_type == LB_ICMP_ECHO_REPLY &&
		rep.icmp_code == req->icmp_code);
	REQUIRE(lb_pkt_cksum(buf + rep.l3_off, rep.l4_off - rep.l3_off, 0) ==
		0xffff);
	REQUIRE(!icmp_ok ||
		lb_pkt_cksum(buf + rep.l4_off, rep.l4_len, 0) == 0xffff);
}

/* The upper-layer header of an accepted IPv6 packet that is no later
 * fragment: within the payload, and the fields read from it. */
static void
check_l4_6(const uint8_t *buf, const struct lb_pkt6 *pk)
{
	const uint8_t *l4 = buf + pk->l4_off;
	uint32_t doff;
	uint16_t ulen;

	switch (pk->proto) {
	case LB_IPPROTO_TCP:
		REQUIRE(pk->l4_len >= 20);
		doff = (uint32_t)(l4[12] >> 4) * 4;
		REQUIRE(doff >= 20 && doff <= pk->l4_len);
		REQUIRE(pk->src_port == lb_load_be16(l4));
		REQUIRE(pk->dst_port == lb_load_be16(l4 + 2));
		REQUIRE(pk->tcp_flags == l4[13]);
		break;
	case LB_IPPROTO_UDP:
		REQUIRE(pk->l4_len >= 8);
		ulen = lb_load_be16(l4 + 4);
		REQUIRE(ulen >= 8);
		REQUIRE((pk->flags & LB_PKT_F_FRAG) || ulen <= pk->l4_len);
		REQUIRE(lb_load_be16(l4 + 6) != 0);
		REQUIRE(pk->src_port == lb_load_be16(l4));
		REQUIRE(pk->dst_port == lb_load_be16(l4 + 2));
		break;
	case LB_IPPROTO_ICMPV6:
		REQUIRE(pk->l4_len >= 8);
		REQUIRE(pk->icmp_type == l4[0] && pk->icmp_code == l4[1]);
		break;
	default:
		break;
	}
}

static void
check_parse6(const uint8_t *buf, uint32_t len, enum lb_pkt_kind kind,
	     const struct lb_pkt6 *pk)
{
	bool tagged = len >= LB_ETH_HLEN &&
		lb_load_be16(buf + 12) == LB_ETHERTYPE_VLAN;
	const uint8_t *ip;
	uint32_t end;

	if (kind == LB_PKT_DROP) {
		REQUIRE(pk->drop < LB_STAT_WORKER_MAX);
		REQUIRE(lb_stats_worker_desc[pk->drop].kind == 'o');
		REQUIRE(strncmp(lb_stats_worker_desc[pk->drop].name, "drop_",
				5) == 0);
		return;
	}
	REQUIRE(kind == LB_PKT_IPV6);
	REQUIRE(pk->l3_off == LB_ETH_HLEN + (tagged ? LB_VLAN_HLEN : 0));
	REQUIRE(!!(pk->flags & LB_PKT_F_VLAN) == tagged);
	REQUIRE((uint32_t)pk->l3_off + LB_IP6_HLEN <= len);
	ip = buf + pk->l3_off;
	REQUIRE((ip[0] >> 4) == 6);
	end = pk->l3_off + LB_IP6_HLEN + lb_load_be16(ip + 4);
	REQUIRE(pk->l4_off >= pk->l3_off + LB_IP6_HLEN);
	REQUIRE((uint32_t)pk->l4_off + pk->l4_len <= len);
	REQUIRE((uint32_t)pk->l4_off + pk->l4_len == end);
	REQUIRE(pk->hop_limit == ip[7]);
	REQUIRE(memcmp(pk->src, ip + 8, LB_IP6_ALEN) == 0);
	REQUIRE(memcmp(pk->dst, ip + 24, LB_IP6_ALEN) == 0);
	REQUIRE(pk->n_ext <= LB_PKT6_EXT_MAX);
	REQUIRE(pk->n_ext > 0 || pk->l4_off == pk->l3_off + LB_IP6_HLEN);
	REQUIRE(pk->frag_hdr_off == 0 ||
		(pk->frag_hdr_off >= pk->l3_off + LB_IP6_HLEN &&
		 pk->frag_hdr_off + 8u <= pk->l4_off));
	REQUIRE(!(pk->flags & LB_PKT_F_FRAG) || pk->frag_hdr_off != 0);
	REQUIRE(!(pk->flags & LB_PKT_F_FRAG_LATER) ||
		(pk->flags & LB_PKT_F_FRAG));
	if ((pk->proto != LB_IPPROTO_TCP && pk->proto != LB_IPPROTO_UDP) ||
	    (pk->flags & LB_PKT_F_FRAG_LATER))
		REQUIRE(pk->src_port == 0 && pk->dst_port == 0);
	if (pk->flags & LB_PKT_F_FRAG_LATER) {
		REQUIRE(pk->frag_off != 0);
		REQUIRE(pk->tcp_flags == 0 && pk->icmp_type == 0);
	} else {
		REQUIRE(pk->frag_off == 0);
		check_l4_6(buf, pk);
	}
}

/* lb_pkt_fast4() against lb_pkt_parse()'s answer for the same frame. */
static void
check_fast4(const uint8_t *buf, uint32_t len, enum lb_pkt_kind kind,
	    const struct lb_pkt *pk)
{
	struct lb_pkt_fast f;
	bool plain = kind == LB_PKT_IPV4 && pk->flags == 0 &&
		(pk->proto == LB_IPPROTO_TCP || pk->proto == LB_IPPROTO_UDP);

	REQUIRE(lb_pkt_fast4(buf, len, &f) == plain);
	if (!plain)
		return;
	REQUIRE(f.src_ip == pk->src_ip && f.dst_ip == pk->dst_ip);
	REQUIRE(f.src_port == pk->src_port && f.dst_port == pk->dst_port);
	REQUIRE(f.proto == pk->proto && f.tcp_flags == pk->tcp_flags);
	REQUIRE(f.ip_id == pk->ip_id);
}

/* lb_pkt_fast6() against lb_pkt_parse6()'s answer for the same frame. */
static void
check_fast6(const uint8_t *buf, uint32_t len, enum lb_pkt_kind kind,
	    const struct lb_pkt6 *pk)
{
	static const uint8_t zero[8];
	struct lb_pkt_fast f;
	bool plain = kind == LB_PKT_IPV6 && pk->flags == 0 &&
		pk->n_ext == 0 &&
		(pk->proto == LB_IPPROTO_TCP || pk->proto == LB_IPPROTO_UDP) &&
		memcmp(pk->src, zero, 8) != 0 && memcmp(pk->dst, zero, 8) != 0;

	REQUIRE(lb_pkt_fast6(buf, len, &f) == plain);
	if (!plain)
		return;
	REQUIRE(pk->l3_off + 8 == LB_PKT6_FAST_ADDRS);
	REQUIRE(memcmp(buf + LB_PKT6_FAST_ADDRS, pk->src, 16) == 0);
	REQUIRE(memcmp(buf + LB_PKT6_FAST_ADDRS + 16, pk->dst, 16) == 0);
	REQUIRE(f.src_port == pk->src_port && f.dst_port == pk->dst_port);
	REQUIRE(f.proto == pk->proto && f.tcp_flags == pk->tcp_flags);
}

/* Parse a copy of the input as IPv6, once as it is and once with the
 * EtherType IPv6's, each on a buffer of exactly its length. */
static void
fuzz_parse6(const uint8_t *data, size_t size)
{
	enum lb_pkt_kind kind;
	struct lb_pkt6 pk;
	uint32_t et = 12;
	uint8_t *buf;

	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	kind = lb_pkt_parse6(buf, (uint32_t)size, &pk);
	check_parse6(buf, (uint32_t)size, kind, &pk);
	check_fast6(buf, (uint32_t)size, kind, &pk);

	if (size >= LB_ETH_HLEN + LB_VLAN_HLEN &&
	    lb_load_be16(buf + 12) == LB_ETHERTYPE_VLAN)
		et = 16;
	if (size >= et + 2 && lb_load_be16(buf + et) != LB_ETHERTYPE_IPV6) {
		lb_store_be16(buf + et, LB_ETHERTYPE_IPV6);
		kind = lb_pkt_parse6(buf, (uint32_t)size, &pk);
		check_parse6(buf, (uint32_t)size, kind, &pk);
		check_fast6(buf, (uint32_t)size, kind, &pk);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_pkt_arp arp;
	enum lb_pkt_kind kind;
	struct lb_pkt pk;
	uint8_t *buf;

	if (size > 65535)
		return 0;
	fuzz_parse6(data, size);
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	kind = lb_pkt_parse(buf, (uint32_t)size, &pk);
	check_parse(buf, (uint32_t)size, kind, &pk);
	check_fast4(buf, (uint32_t)size, kind, &pk);
	switch (kind) {
	case LB_PKT_ARP:
		lb_pkt_arp_read(buf, &pk, &arp);
		break;
	case LB_PKT_IPV4:
		if (pk.proto == LB_IPPROTO_ICMP) {
			if (lb_pkt_icmp_is_error(pk.icmp_type))
				check_inner(buf, (uint32_t)size, &pk);
			else
				check_echo_reply(buf, (uint32_t)size, &pk);
		}
		break;
	default:
		break;
	}
	free(buf);
	return 0;
}
