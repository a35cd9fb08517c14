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
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_stats.h"
#include "lb_pkt.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_pkt_arp arp;
	enum lb_pkt_kind kind;
	struct lb_pkt pk;
	uint8_t *buf;

	if (size > 65535)
		return 0;
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	kind = lb_pkt_parse(buf, (uint32_t)size, &pk);
	check_parse(buf, (uint32_t)size, kind, &pk);
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
