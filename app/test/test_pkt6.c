/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The IPv6 parser over a table of good and malformed frames, the
 * fields it reads, every truncation of a packet with an extension
 * header chain, and a storm of random frames behind a valid IPv6
 * header. Each frame is parsed from a heap copy of exactly its length,
 * so ASan (CI's sanitizer build) catches any read past it. No EAL. */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "lb_stats.h"
#include "lb_pkt6.h"
#include "test_util.h"

#define CLIENT6 "2001:db8:1::5"
#define VIP6 "2001:db8:100::100"
#define ACCEPT (-1)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t mac_v6_mcast[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };

/* ---- frames, built header by header ---- */

/* Ethernet to the port, then the IPv6 header client -> VIP. */
static void
start(struct frame *f, uint8_t nh)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, nh, CLIENT6, VIP6);
}

/* Hop-by-hop or destination options: (hlen + 1) * 8 bytes, one PadN
 * option filling them. */
static void
opts(struct frame *f, uint8_t nh, uint8_t hlen)
{
	uint32_t n = (hlen + 1u) * 8, i;

	put8(f, nh);
	put8(f, hlen);
	put8(f, 1);                     /* PadN */
	put8(f, (uint8_t)(n - 4));
	for (i = 4; i < n; i++)
		put8(f, 0);
	f->l4_off = f->len;
}

/* A segment routing header (type 4) with one segment: 24 bytes. */
static void
routing(struct frame *f, uint8_t nh, uint8_t segments_left)
{
	uint8_t a[LB_IP6_ALEN];

	put8(f, nh);
	put8(f, 2);
	put8(f, 4);
	put8(f, segments_left);
	put32(f, 0);                    /* last entry, flags, tag */
	addr6(a, VIP6);
	put(f, a, sizeof(a));
	f->l4_off = f->len;
}

/* A fragment header: offset in bytes (a multiple of 8), M. */
static void
fragment(struct frame *f, uint8_t nh, uint16_t off, bool more, uint32_t id)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(off | (more ? 1 : 0)));
	put32(f, id);
	f->l4_off = f->len;
}

/* UDP with a checksum (IPv6 forbids 0; the parser does not verify). */
static void
udp6(struct frame *f, uint16_t sport, uint16_t dport, uint16_t ulen,
     uint16_t csum)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, ulen);
	put16(f, csum);
}

static void
zeros(struct frame *f, uint32_t n)
{
	while (n-- > 0)
		put8(f, 0);
}

/* ---- the table ---- */

typedef void (*build_fn)(struct frame *f);

struct pkt6_case {
	const char *name;
	build_fn build;
	int drop;          /* LB_STAT_DROP_*, or ACCEPT */
	uint8_t flags;     /* if accepted: all of lb_pkt6::flags */
	uint8_t proto;     /* if accepted */
	uint8_t n_ext;     /* if accepted */
};

static void
tcp_syn6(struct frame *f)
{
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
udp_dgram6(struct frame *f)
{
	start(f, LB_IPPROTO_UDP);
	udp6(f, 5060, 5061, 12, 0xbeef);
	put32(f, 0x4f505449);
	ip6_done(f, 0);
}

static void
icmp6_echo(struct frame *f)
{
	start(f, LB_IPPROTO_ICMPV6);
	icmp(f, 128, 0);
	ip6_done(f, 0);
}

static void
vlan_tcp6(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_VLAN);
	vlan(f, 0xa064, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_TCP, CLIENT6, VIP6);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
l2_bcast6(struct frame *f)
{
	tcp_syn6(f);
	memcpy(f->b, mac_bcast, 6);
}

static void
l2_mcast6(struct frame *f)
{
	tcp_syn6(f);
	memcpy(f->b, mac_v6_mcast, 6);
}

static void
padded6(struct frame *f)
{
	/* trailing bytes past the payload that would be a bad header */
	tcp_syn6(f);
	put32(f, 0xffffffff);
	put16(f, 0xffff);
}

static void
cut_eth(struct frame *f)
{
	tcp_syn6(f);
	f->len = LB_ETH_HLEN - 1;
}

static void
cut_vlan(struct frame *f)
{
	vlan_tcp6(f);
	f->len = LB_ETH_HLEN + 3;
}

static void
qinq6(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_VLAN);
	vlan(f, 100, LB_ETHERTYPE_VLAN);
	vlan(f, 200, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_TCP, CLIENT6, VIP6);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
s_tag6(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_QINQ);
	vlan(f, 100, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_TCP, CLIENT6, VIP6);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
ethertype_ipv4(struct frame *f)
{
	tcp_syn(f);
}

static void
ethertype_arp(struct frame *f)
{
	lb_pkt_arp_build(f->b, mac_bcast, LB_ARP_OP_REQUEST, mac_client,
			 ip4("198.51.100.1"), mac_bcast, ip4("198.51.100.100"));
	f->len = LB_ETH_HLEN + LB_ARP_LEN;
}

static void
ip6_39_bytes(struct frame *f)
{
	tcp_syn6(f);
	f->len = f->ip_off + LB_IP6_HLEN - 1;
}

static void
version_4(struct frame *f)
{
	tcp_syn6(f);
	f->b[f->ip_off] = 0x40;
}

static void
version_7(struct frame *f)
{
	tcp_syn6(f);
	f->b[f->ip_off] = 0x70;
}

static void
jumbogram(struct frame *f)
{
	/* payload length 0 and a hop-by-hop header: RFC 2675's form */
	start(f, LB_IPPROTO_HOPOPTS);
	put8(f, LB_IPPROTO_TCP);
	put8(f, 0);
	put8(f, 0xc2);                  /* jumbo payload option */
	put8(f, 4);
	put32(f, 28);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	lb_store_be16(f->b + f->ip_off + 4, 0);
}

static void
payload_past_frame(struct frame *f)
{
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 1);
}

static void
payload_past_frame_no_l4(struct frame *f)
{
	/* a header alone that says it has a payload */
	start(f, LB_IPPROTO_NONE);
	ip6_done(f, 8);
}

/* TCP from src to dst */
static void
tcp_from_to(struct frame *f, const char *src, const char *dst)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_TCP, src, dst);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
src_ff02_1(struct frame *f)
{
	tcp_from_to(f, "ff02::1", VIP6);
}

static void
src_ff00(struct frame *f)
{
	tcp_from_to(f, "ff00::", VIP6);
}

static void
src_loopback6(struct frame *f)
{
	tcp_from_to(f, "::1", VIP6);
}

static void
src_v4mapped(struct frame *f)
{
	tcp_from_to(f, "::ffff:203.0.113.5", VIP6);
}

static void
src_v4mapped_zero(struct frame *f)
{
	tcp_from_to(f, "::ffff:0:0", VIP6);
}

static void
src_unspecified(struct frame *f)
{
	tcp_from_to(f, "::", VIP6);
}

static void
src_fe80(struct frame *f)
{
	tcp_from_to(f, "fe80::1", VIP6);
}

static void
src_feff(struct frame *f)
{
	/* the last /8 before multicast */
	tcp_from_to(f, "feff::1", VIP6);
}

static void
src_2(struct frame *f)
{
	tcp_from_to(f, "::2", VIP6);
}

static void
src_fffe_mapped_miss(struct frame *f)
{
	tcp_from_to(f, "::fffe:203.0.113.5", VIP6);
}

static void
src_1_ffff_miss(struct frame *f)
{
	/* 0:0:0:0:1:ffff::/96: one bit past the mapped prefix */
	tcp_from_to(f, "::1:ffff:cb00:7105", VIP6);
}

static void
src_nat64(struct frame *f)
{
	tcp_from_to(f, "64:ff9b::203.0.113.5", VIP6);
}

static void
dst_unspecified(struct frame *f)
{
	tcp_from_to(f, CLIENT6, "::");
}

static void
dst_loopback6(struct frame *f)
{
	tcp_from_to(f, CLIENT6, "::1");
}

static void
dst_v4mapped(struct frame *f)
{
	tcp_from_to(f, CLIENT6, "::ffff:198.51.100.100");
}

static void
dst_mcast6(struct frame *f)
{
	/* DHCPv6 to all relay agents and servers */
	eth(f, mac_v6_mcast, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_UDP, "fe80::1", "ff02::1:2");
	udp6(f, 546, 547, 8, 0x1234);
	ip6_done(f, 0);
}

static void
dad_ns(struct frame *f)
{
	/* duplicate address detection: from ::, to a solicited-node group */
	eth(f, mac_v6_mcast, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_ICMPV6, "::", "ff02::1:ff00:100");
	icmp(f, 135, 0);
	zeros(f, 16);
	ip6_done(f, 0);
}

static void
src_and_dst_bad(struct frame *f)
{
	/* the source is checked first */
	tcp_from_to(f, "ff02::1", "::1");
}

static void
length_before_src(struct frame *f)
{
	/* the lengths are checked before the addresses */
	tcp_from_to(f, "ff02::1", VIP6);
	ip6_done(f, 1);
}

static void
dst_before_ext(struct frame *f)
{
	/* the addresses are checked before the extension headers */
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_DSTOPTS, CLIENT6, "::1");
	opts(f, LB_IPPROTO_HOPOPTS, 0);
	opts(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
hbh_tcp(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
hbh_second(struct frame *f)
{
	start(f, LB_IPPROTO_DSTOPTS);
	opts(f, LB_IPPROTO_HOPOPTS, 0);
	opts(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
hbh_twice(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_HOPOPTS, 0);
	opts(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
dstopts_long(struct frame *f)
{
	/* hdr_ext_len 3: 32 bytes */
	start(f, LB_IPPROTO_DSTOPTS);
	opts(f, LB_IPPROTO_UDP, 3);
	udp6(f, 53, 53, 8, 1);
	ip6_done(f, 0);
}

static void
routing_done(struct frame *f)
{
	start(f, LB_IPPROTO_ROUTING);
	routing(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
routing_segments_left(struct frame *f)
{
	start(f, LB_IPPROTO_ROUTING);
	routing(f, LB_IPPROTO_TCP, 1);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
routing_segments_left_255(struct frame *f)
{
	start(f, LB_IPPROTO_ROUTING);
	routing(f, LB_IPPROTO_TCP, 255);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
chain_of_4(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_ROUTING, 1);
	routing(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
chain_of_4_with_atomic_fragment(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_ROUTING, 0);
	routing(f, LB_IPPROTO_FRAGMENT, 0);
	fragment(f, LB_IPPROTO_UDP, 0, false, 77);
	udp6(f, 53, 53, 8, 1);
	ip6_done(f, 0);
}

static void
chain_of_5(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_ROUTING, 0);
	routing(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
chain_of_5_dstopts(struct frame *f)
{
	start(f, LB_IPPROTO_DSTOPTS);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_NONE, 0);
	ip6_done(f, 0);
}

static void
chain_of_5_ending_in_fragment(struct frame *f)
{
	start(f, LB_IPPROTO_DSTOPTS);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_DSTOPTS, 0);
	opts(f, LB_IPPROTO_FRAGMENT, 0);
	fragment(f, LB_IPPROTO_UDP, 8, false, 5);
	zeros(f, 8);
	ip6_done(f, 0);
}

static void
dstopts_past_payload(struct frame *f)
{
	/* hdr_ext_len 1 (16 bytes), 8 in the payload: the rest, 24 bytes
	 * of padding, is in the frame but not in the packet */
	start(f, LB_IPPROTO_DSTOPTS);
	opts(f, LB_IPPROTO_NONE, 1);
	ip6_done(f, -8);
	zeros(f, 16);
}

static void
hbh_past_payload(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_TCP, 4);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
	/* hdr_ext_len 20: 168 bytes, the payload holds 60 */
	f->b[f->ip_off + LB_IP6_HLEN + 1] = 20;
}

static void
routing_past_payload(struct frame *f)
{
	start(f, LB_IPPROTO_ROUTING);
	routing(f, LB_IPPROTO_TCP, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
	f->b[f->ip_off + LB_IP6_HLEN + 1] = 6;  /* 56 bytes of 44 */
}

static void
dstopts_under_8(struct frame *f)
{
	start(f, LB_IPPROTO_DSTOPTS);
	put32(f, 0x3b000104);           /* 4 bytes of a header */
	ip6_done(f, 0);
	zeros(f, 4);                    /* in the frame, not the packet */
}

static void
fragment_under_8(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	put32(f, 0x06000000);
	put16(f, 0x0001);
	ip6_done(f, 0);
	zeros(f, 2);
}

static void
first_fragment_tcp(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 0, true, 0xdeadbeef);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	put32(f, 0);                    /* 24 bytes: a multiple of 8 */
	ip6_done(f, 0);
}

static void
first_fragment_tcp_cut(struct frame *f)
{
	/* 16 bytes of a TCP header: a whole first fragment, a cut header */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 0, true, 0xdeadbeef);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	f->len -= 4;
	ip6_done(f, 0);
}

static void
first_fragment_udp(struct frame *f)
{
	/* the UDP length covers the whole datagram */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_UDP, 0, true, 42);
	udp6(f, 5060, 5060, 3000, 0x1111);
	zeros(f, 8);
	ip6_done(f, 0);
}

static void
first_fragment_udp_csum0(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_UDP, 0, true, 42);
	udp6(f, 5060, 5060, 3000, 0);
	zeros(f, 8);
	ip6_done(f, 0);
}

static void
later_fragment6(struct frame *f)
{
	/* offset 1448, more to come; the payload's bytes are no header */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_UDP, 1448, true, 0x01020304);
	zeros(f, 16);
	ip6_done(f, 0);
}

static void
last_fragment_odd(struct frame *f)
{
	/* the last fragment may end anywhere: 5 bytes, "TCP" */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 8, false, 9);
	put32(f, 0);
	put8(f, 0);
	ip6_done(f, 0);
}

static void
later_fragment_empty(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 65528, false, 9);
	ip6_done(f, 0);
}

static void
first_fragment_odd(struct frame *f)
{
	/* M set, 20 bytes after the fragment header */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 0, true, 9);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
later_fragment_odd(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 8, true, 9);
	zeros(f, 12);
	ip6_done(f, 0);
}

static void
first_fragment_no_upper_layer(struct frame *f)
{
	/* a first fragment of 8 bytes: destination options, and the UDP
	 * header in the next fragment (RFC 7112 forbids it) */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_DSTOPTS, 0, true, 7);
	opts(f, LB_IPPROTO_UDP, 0);
	ip6_done(f, 0);
}

static void
first_fragment_options_cut(struct frame *f)
{
	/* destination options of 32 bytes, 16 of them in the first
	 * fragment */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_DSTOPTS, 0, true, 7);
	opts(f, LB_IPPROTO_TCP, 1);
	ip6_done(f, 0);
	f->b[f->ip_off + LB_IP6_HLEN + 8 + 1] = 3;
}

static void
first_fragment_tcp_options_cut(struct frame *f)
{
	/* a TCP header of 32 bytes (data offset 8), 24 of them here */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 0, true, 9);
	tcp(f, 1234, 110, LB_TCP_SYN, 8);
	put32(f, 0);
	ip6_done(f, 0);
}

static void
first_fragment_tcp_doff4(struct frame *f)
{
	/* data offset 4: malformed in any packet, not a cut */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_TCP, 0, true, 9);
	tcp(f, 1234, 110, LB_TCP_SYN, 4);
	put32(f, 0);
	ip6_done(f, 0);
}

static void
atomic_fragment_udp_cut(struct frame *f)
{
	/* a whole packet: a cut header is malformed, as without the
	 * fragment header */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_UDP, 0, false, 0x55);
	put32(f, 0x00350035);
	ip6_done(f, 0);
}

static void
fragment_past_65535(struct frame *f)
{
	/* offset 65528, 8 bytes: it would end at byte 65536 */
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_UDP, 65528, false, 3);
	zeros(f, 8);
	ip6_done(f, 0);
}

static void
atomic_fragment(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_UDP, 0, false, 0x55);
	udp6(f, 53, 53, 13, 0x2222);
	zeros(f, 5);
	ip6_done(f, 0);
}

static void
two_atomic_fragments(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_FRAGMENT, 0, false, 1);
	fragment(f, LB_IPPROTO_UDP, 0, false, 2);
	udp6(f, 53, 53, 8, 0x2222);
	ip6_done(f, 0);
}

static void
two_fragment_headers(struct frame *f)
{
	start(f, LB_IPPROTO_FRAGMENT);
	fragment(f, LB_IPPROTO_FRAGMENT, 0, true, 1);
	fragment(f, LB_IPPROTO_UDP, 0, true, 2);
	udp6(f, 53, 53, 8, 0x2222);
	ip6_done(f, 0);
}

static void
tcp_19(struct frame *f)
{
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, -1);
	f->len--;
}

static void
tcp_19_in_frame(struct frame *f)
{
	/* the frame holds 20 bytes of TCP, the payload length 19 */
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	ip6_done(f, -1);
}

static void
tcp_doff4(struct frame *f)
{
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 4);
	ip6_done(f, 0);
}

static void
tcp_doff6_past(struct frame *f)
{
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 6);
	ip6_done(f, 0);
	put32(f, 0x01010101);           /* in the frame, not the packet */
}

static void
tcp_doff6(struct frame *f)
{
	start(f, LB_IPPROTO_TCP);
	tcp(f, 1234, 110, LB_TCP_SYN, 6);
	put32(f, 0x01010101);           /* NOP options */
	ip6_done(f, 0);
}

static void
udp_7(struct frame *f)
{
	start(f, LB_IPPROTO_UDP);
	udp6(f, 53, 53, 8, 1);
	f->len--;
	ip6_done(f, 0);
}

static void
udp_len_7(struct frame *f)
{
	start(f, LB_IPPROTO_UDP);
	udp6(f, 53, 53, 7, 1);
	ip6_done(f, 0);
}

static void
udp_len_past(struct frame *f)
{
	start(f, LB_IPPROTO_UDP);
	udp6(f, 53, 53, 13, 1);
	zeros(f, 4);
	ip6_done(f, 0);
}

static void
udp_len_short_of_payload(struct frame *f)
{
	/* trailing bytes inside the payload after the datagram */
	start(f, LB_IPPROTO_UDP);
	udp6(f, 53, 53, 9, 1);
	zeros(f, 8);
	ip6_done(f, 0);
}

static void
udp_csum0(struct frame *f)
{
	start(f, LB_IPPROTO_UDP);
	udp6(f, 53, 53, 8, 0);
	ip6_done(f, 0);
}

static void
udp_len_and_csum0(struct frame *f)
{
	start(f, LB_IPPROTO_UDP);
	udp6(f, 53, 53, 4, 0);
	ip6_done(f, 0);
}

static void
udp_after_dstopts(struct frame *f)
{
	/* the UDP length is held against the bytes after the headers */
	start(f, LB_IPPROTO_DSTOPTS);
	opts(f, LB_IPPROTO_UDP, 0);
	udp6(f, 53, 53, 16, 1);
	ip6_done(f, 0);
}

static void
icmp6_7(struct frame *f)
{
	start(f, LB_IPPROTO_ICMPV6);
	icmp(f, 128, 0);
	f->len--;
	ip6_done(f, 0);
}

static void
esp6(struct frame *f)
{
	start(f, 50);
	put32(f, 0x1000);               /* SPI */
	put32(f, 1);                    /* sequence */
	zeros(f, 16);
	ip6_done(f, 0);
}

static void
ah6(struct frame *f)
{
	start(f, 51);
	put8(f, LB_IPPROTO_TCP);
	put8(f, 4);
	put16(f, 0);
	put32(f, 0x1000);
	put32(f, 1);
	zeros(f, 12);
	ip6_done(f, 0);
}

static void
no_next_header(struct frame *f)
{
	start(f, LB_IPPROTO_HOPOPTS);
	opts(f, LB_IPPROTO_NONE, 0);
	ip6_done(f, 0);
}

static void
no_next_header_bare(struct frame *f)
{
	/* payload past No Next Header is ignored (RFC 8200 4.7) */
	start(f, LB_IPPROTO_NONE);
	zeros(f, 4);
	ip6_done(f, 0);
}

static void
gre6(struct frame *f)
{
	start(f, 47);
	put32(f, 0x000086dd);
	ip6_done(f, 0);
}

#define OK(fl, pr, n) ACCEPT, (fl), (pr), (n)
#define DROP(why) LB_STAT_##why, 0, 0, 0

static const struct pkt6_case cases[] = {
	{ "TCP SYN", tcp_syn6, OK(0, LB_IPPROTO_TCP, 0) },
	{ "UDP", udp_dgram6, OK(0, LB_IPPROTO_UDP, 0) },
	{ "ICMPv6 echo", icmp6_echo, OK(0, LB_IPPROTO_ICMPV6, 0) },
	{ "one VLAN tag", vlan_tcp6, OK(LB_PKT_F_VLAN, LB_IPPROTO_TCP, 0) },
	{ "Ethernet broadcast", l2_bcast6,
	  OK(LB_PKT_F_L2_BCAST, LB_IPPROTO_TCP, 0) },
	{ "Ethernet multicast", l2_mcast6,
	  OK(LB_PKT_F_L2_MCAST, LB_IPPROTO_TCP, 0) },
	{ "bytes past the payload", padded6, OK(0, LB_IPPROTO_TCP, 0) },
	{ "13 bytes", cut_eth, DROP(DROP_TRUNC_ETH) },
	{ "cut in the VLAN tag", cut_vlan, DROP(DROP_TRUNC_VLAN) },
	{ "two VLAN tags", qinq6, DROP(DROP_VLAN_NESTED) },
	{ "802.1ad tag", s_tag6, DROP(DROP_VLAN_NESTED) },
	{ "IPv4", ethertype_ipv4, DROP(DROP_ETHERTYPE) },
	{ "ARP", ethertype_arp, DROP(DROP_ETHERTYPE) },
	{ "39 bytes of IPv6 header", ip6_39_bytes, DROP(DROP_TRUNC_IP6) },
	{ "version 4 in an IPv6 frame", version_4, DROP(DROP_IP_VERSION) },
	{ "version 7", version_7, DROP(DROP_IP_VERSION) },
	{ "jumbogram", jumbogram, DROP(DROP_IP6_LENGTH) },
	{ "payload length past the frame", payload_past_frame,
	  DROP(DROP_IP6_LENGTH) },
	{ "payload length past a bare header", payload_past_frame_no_l4,
	  DROP(DROP_IP6_LENGTH) },
	{ "source ff02::1", src_ff02_1, DROP(DROP_IP6_SRC) },
	{ "source ff00::", src_ff00, DROP(DROP_IP6_SRC) },
	{ "source ::1", src_loopback6, DROP(DROP_IP6_SRC) },
	{ "source IPv4-mapped", src_v4mapped, DROP(DROP_IP6_SRC) },
	{ "source ::ffff:0:0", src_v4mapped_zero, DROP(DROP_IP6_SRC) },
	{ "source ::", src_unspecified,
	  OK(LB_PKT6_F_SRC_UNSPEC, LB_IPPROTO_TCP, 0) },
	{ "source fe80::1", src_fe80, OK(0, LB_IPPROTO_TCP, 0) },
	{ "source feff::1", src_feff, OK(0, LB_IPPROTO_TCP, 0) },
	{ "source ::2", src_2, OK(0, LB_IPPROTO_TCP, 0) },
	{ "source ::fffe:203.0.113.5", src_fffe_mapped_miss,
	  OK(0, LB_IPPROTO_TCP, 0) },
	{ "source ::1:ffff:203.0.113.5", src_1_ffff_miss,
	  OK(0, LB_IPPROTO_TCP, 0) },
	{ "source 64:ff9b::203.0.113.5", src_nat64, OK(0, LB_IPPROTO_TCP, 0) },
	{ "destination ::", dst_unspecified, DROP(DROP_IP6_DST) },
	{ "destination ::1", dst_loopback6, DROP(DROP_IP6_DST) },
	{ "destination IPv4-mapped", dst_v4mapped, DROP(DROP_IP6_DST) },
	{ "destination ff02::1:2", dst_mcast6,
	  OK(LB_PKT_F_L2_MCAST | LB_PKT6_F_DST_MCAST, LB_IPPROTO_UDP, 0) },
	{ "DAD neighbor solicitation", dad_ns,
	  OK(LB_PKT_F_L2_MCAST | LB_PKT6_F_SRC_UNSPEC | LB_PKT6_F_DST_MCAST,
	     LB_IPPROTO_ICMPV6, 0) },
	{ "bad source and destination", src_and_dst_bad, DROP(DROP_IP6_SRC) },
	{ "bad length and source", length_before_src, DROP(DROP_IP6_LENGTH) },
	{ "bad destination and headers", dst_before_ext, DROP(DROP_IP6_DST) },
	{ "hop-by-hop", hbh_tcp, OK(0, LB_IPPROTO_TCP, 1) },
	{ "hop-by-hop after destination options", hbh_second,
	  DROP(DROP_IP6_EXT) },
	{ "hop-by-hop twice", hbh_twice, DROP(DROP_IP6_EXT) },
	{ "destination options of 32 bytes", dstopts_long,
	  OK(0, LB_IPPROTO_UDP, 1) },
	{ "routing, no segment left", routing_done, OK(0, LB_IPPROTO_TCP, 1) },
	{ "routing, a segment left", routing_segments_left,
	  DROP(DROP_IP6_EXT) },
	{ "routing, 255 segments left", routing_segments_left_255,
	  DROP(DROP_IP6_EXT) },
	{ "4 extension headers", chain_of_4, OK(0, LB_IPPROTO_TCP, 4) },
	{ "4 extension headers, an atomic fragment last",
	  chain_of_4_with_atomic_fragment, OK(0, LB_IPPROTO_UDP, 4) },
	{ "5 extension headers", chain_of_5, DROP(DROP_IP6_EXT_CHAIN) },
	{ "5 destination options", chain_of_5_dstopts,
	  DROP(DROP_IP6_EXT_CHAIN) },
	{ "5 extension headers, a fragment last",
	  chain_of_5_ending_in_fragment, DROP(DROP_IP6_EXT_CHAIN) },
	{ "destination options past the payload", dstopts_past_payload,
	  DROP(DROP_IP6_EXT) },
	{ "hop-by-hop past the payload", hbh_past_payload,
	  DROP(DROP_IP6_EXT) },
	{ "routing header past the payload", routing_past_payload,
	  DROP(DROP_IP6_EXT) },
	{ "4 bytes of destination options", dstopts_under_8,
	  DROP(DROP_IP6_EXT) },
	{ "6 bytes of fragment header", fragment_under_8,
	  DROP(DROP_IP6_EXT) },
	{ "first fragment, TCP", first_fragment_tcp,
	  OK(LB_PKT_F_FRAG, LB_IPPROTO_TCP, 1) },
	{ "first fragment, TCP header cut", first_fragment_tcp_cut,
	  DROP(DROP_FRAG6_FIRST_SHORT) },
	{ "first fragment, no upper-layer header", first_fragment_no_upper_layer,
	  DROP(DROP_FRAG6_FIRST_SHORT) },
	{ "first fragment, destination options cut",
	  first_fragment_options_cut, DROP(DROP_FRAG6_FIRST_SHORT) },
	{ "first fragment, TCP options cut", first_fragment_tcp_options_cut,
	  DROP(DROP_FRAG6_FIRST_SHORT) },
	{ "first fragment, TCP data offset 4", first_fragment_tcp_doff4,
	  DROP(DROP_TCP_HDR) },
	{ "atomic fragment, UDP header cut", atomic_fragment_udp_cut,
	  DROP(DROP_TRUNC_L4) },
	{ "fragment ending past 65535 bytes", fragment_past_65535,
	  DROP(DROP_IP6_EXT) },
	{ "first fragment, UDP longer than it", first_fragment_udp,
	  OK(LB_PKT_F_FRAG, LB_IPPROTO_UDP, 1) },
	{ "first fragment, UDP checksum 0", first_fragment_udp_csum0,
	  DROP(DROP_UDP6_CSUM0) },
	{ "later fragment", later_fragment6,
	  OK(LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER, LB_IPPROTO_UDP, 1) },
	{ "last fragment of 5 bytes", last_fragment_odd,
	  OK(LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER, LB_IPPROTO_TCP, 1) },
	{ "empty last fragment", later_fragment_empty,
	  OK(LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER, LB_IPPROTO_TCP, 1) },
	{ "first fragment of 20 bytes", first_fragment_odd,
	  DROP(DROP_IP6_EXT) },
	{ "middle fragment of 12 bytes", later_fragment_odd,
	  DROP(DROP_IP6_EXT) },
	{ "atomic fragment", atomic_fragment, OK(0, LB_IPPROTO_UDP, 1) },
	{ "two atomic fragment headers", two_atomic_fragments,
	  DROP(DROP_IP6_EXT) },
	{ "two fragment headers", two_fragment_headers, DROP(DROP_IP6_EXT) },
	{ "19 bytes of TCP", tcp_19, DROP(DROP_TRUNC_L4) },
	{ "TCP cut by the payload length", tcp_19_in_frame,
	  DROP(DROP_TRUNC_L4) },
	{ "TCP data offset 4", tcp_doff4, DROP(DROP_TCP_HDR) },
	{ "TCP data offset past the payload", tcp_doff6_past,
	  DROP(DROP_TCP_HDR) },
	{ "TCP with options", tcp_doff6, OK(0, LB_IPPROTO_TCP, 0) },
	{ "7 bytes of UDP", udp_7, DROP(DROP_TRUNC_L4) },
	{ "UDP length 7", udp_len_7, DROP(DROP_UDP_LEN) },
	{ "UDP length past the payload", udp_len_past, DROP(DROP_UDP_LEN) },
	{ "UDP length short of the payload", udp_len_short_of_payload,
	  OK(0, LB_IPPROTO_UDP, 0) },
	{ "UDP checksum 0", udp_csum0, DROP(DROP_UDP6_CSUM0) },
	{ "UDP length 4 and checksum 0", udp_len_and_csum0,
	  DROP(DROP_UDP_LEN) },
	{ "UDP after destination options, length past", udp_after_dstopts,
	  DROP(DROP_UDP_LEN) },
	{ "7 bytes of ICMPv6", icmp6_7, DROP(DROP_TRUNC_L4) },
	{ "ESP", esp6, OK(0, 50, 0) },
	{ "AH", ah6, OK(0, 51, 0) },
	{ "hop-by-hop, no next header", no_next_header,
	  OK(0, LB_IPPROTO_NONE, 1) },
	{ "no next header", no_next_header_bare, OK(0, LB_IPPROTO_NONE, 0) },
	{ "GRE", gre6, OK(0, 47, 0) },
};

#undef OK
#undef DROP

/* Parse from an exact-size heap copy: ASan catches any read past it. */
static enum lb_pkt_kind
parse6_exact(const uint8_t *data, uint32_t len, struct lb_pkt6 *pk)
{
	uint8_t *copy = malloc(len == 0 ? 1 : len);
	enum lb_pkt_kind k;

	assert_non_null(copy);
	memcpy(copy, data, len);
	k = lb_pkt_parse6(copy, len, pk);
	free(copy);
	return k;
}

static const char *
drop_name(int why)
{
	if (why == ACCEPT)
		return "accept";
	if (why < 0 || why >= LB_STAT_WORKER_MAX)
		return "?";
	return lb_stats_worker_desc[why].name;
}

/* What holds of every accepted packet: its offsets within the frame,
 * the upper layer ending where the payload does. */
static void
check_accepted(const char *name, const uint8_t *b, uint32_t len,
	       const struct lb_pkt6 *pk)
{
	uint32_t end;

	if (pk->l3_off != LB_ETH_HLEN &&
	    pk->l3_off != LB_ETH_HLEN + LB_VLAN_HLEN)
		fail_msg("%s: l3_off %u", name, pk->l3_off);
	if ((uint32_t)pk->l3_off + LB_IP6_HLEN > len)
		fail_msg("%s: l3_off %u past %u bytes", name, pk->l3_off, len);
	end = pk->l3_off + LB_IP6_HLEN + lb_load_be16(b + pk->l3_off + 4);
	if (pk->l4_off < pk->l3_off + LB_IP6_HLEN ||
	    (uint32_t)pk->l4_off + pk->l4_len != end || end > len)
		fail_msg("%s: l4_off %u l4_len %u, payload ends at %u of %u",
			 name, pk->l4_off, pk->l4_len, end, len);
	if (pk->n_ext > LB_PKT6_EXT_MAX)
		fail_msg("%s: n_ext %u", name, pk->n_ext);
	if ((pk->flags & LB_PKT_F_FRAG_LATER) && !(pk->flags & LB_PKT_F_FRAG))
		fail_msg("%s: FRAG_LATER without FRAG", name);
	if ((pk->src_port != 0 || pk->dst_port != 0) &&
	    ((pk->proto != LB_IPPROTO_TCP && pk->proto != LB_IPPROTO_UDP) ||
	     (pk->flags & LB_PKT_F_FRAG_LATER)))
		fail_msg("%s: ports %u > %u for protocol %u, flags %#x", name,
			 pk->src_port, pk->dst_port, pk->proto, pk->flags);
}

static void
parse6_table_of_good_and_malformed_frames(void **state)
{
	unsigned int i, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pkt6_case *c = &cases[i];
		struct frame f = { .len = 0 };
		struct lb_pkt6 pk;
		enum lb_pkt_kind k;
		int got;

		c->build(&f);
		k = parse6_exact(f.b, f.len, &pk);
		got = k == LB_PKT_IPV6 ? ACCEPT : pk.drop;
		if ((k != LB_PKT_IPV6 && k != LB_PKT_DROP) || got != c->drop ||
		    (k == LB_PKT_IPV6 &&
		     (pk.flags != c->flags || pk.proto != c->proto ||
		      pk.n_ext != c->n_ext))) {
			print_error("%s: kind %d %s flags %#x proto %u n_ext %u, want %s flags %#x proto %u n_ext %u\n",
				    c->name, k, drop_name(got), pk.flags,
				    pk.proto, pk.n_ext, drop_name(c->drop),
				    c->flags, c->proto, c->n_ext);
			failed++;
			continue;
		}
		if (k == LB_PKT_IPV6)
			check_accepted(c->name, f.b, f.len, &pk);
	}
	if (failed)
		fail_msg("%u of %zu frames parsed wrong", failed,
			 sizeof(cases) / sizeof(cases[0]));
}

/* ---- the fields ---- */

static void
assert_addrs(const struct lb_pkt6 *pk, const char *src, const char *dst)
{
	uint8_t a[LB_IP6_ALEN];

	addr6(a, src);
	assert_memory_equal(pk->src, a, LB_IP6_ALEN);
	addr6(a, dst);
	assert_memory_equal(pk->dst, a, LB_IP6_ALEN);
}

static void
parse6_reads_tcp_fields(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	tcp_syn6(&f);
	f.b[f.ip_off + 7] = 57;                 /* hop limit */
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.l3_off, 14);
	assert_int_equal(pk.l4_off, 54);
	assert_int_equal(pk.l4_len, 20);
	assert_int_equal(pk.vlan_tci, 0);
	assert_int_equal(pk.frag_hdr_off, 0);
	assert_int_equal(pk.frag_off, 0);
	assert_int_equal(pk.frag_id, 0);
	assert_int_equal(pk.flags, 0);
	assert_int_equal(pk.proto, LB_IPPROTO_TCP);
	assert_int_equal(pk.tcp_flags, LB_TCP_SYN);
	assert_int_equal(pk.icmp_type, 0);
	assert_int_equal(pk.icmp_code, 0);
	assert_int_equal(pk.hop_limit, 57);
	assert_int_equal(pk.n_ext, 0);
	assert_addrs(&pk, CLIENT6, VIP6);
	assert_int_equal(pk.src_port, 1234);
	assert_int_equal(pk.dst_port, 110);

	/* another flags byte, ports with the high bit set */
	start(&f, LB_IPPROTO_TCP);
	tcp(&f, 0xfedc, 0x8001, LB_TCP_FIN | LB_TCP_ACK | 0x80, 5);
	ip6_done(&f, 0);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.tcp_flags, LB_TCP_FIN | LB_TCP_ACK | 0x80);
	assert_int_equal(pk.src_port, 0xfedc);
	assert_int_equal(pk.dst_port, 0x8001);
}

static void
parse6_reads_udp_fields(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	udp_dgram6(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.l3_off, 14);
	assert_int_equal(pk.l4_off, 54);
	assert_int_equal(pk.l4_len, 12);
	assert_int_equal(pk.flags, 0);
	assert_int_equal(pk.proto, LB_IPPROTO_UDP);
	assert_int_equal(pk.tcp_flags, 0);
	assert_int_equal(pk.icmp_type, 0);
	assert_int_equal(pk.hop_limit, 64);
	assert_int_equal(pk.n_ext, 0);
	assert_int_equal(pk.frag_hdr_off, 0);
	assert_addrs(&pk, CLIENT6, VIP6);
	assert_int_equal(pk.src_port, 5060);
	assert_int_equal(pk.dst_port, 5061);
}

static void
parse6_reads_icmp6_fields(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	start(&f, LB_IPPROTO_ICMPV6);
	icmp(&f, 1, 4);                 /* port unreachable */
	zeros(&f, 48);
	ip6_done(&f, 0);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.l4_off, 54);
	assert_int_equal(pk.l4_len, 56);
	assert_int_equal(pk.proto, LB_IPPROTO_ICMPV6);
	assert_int_equal(pk.icmp_type, 1);
	assert_int_equal(pk.icmp_code, 4);
	assert_int_equal(pk.src_port, 0);
	assert_int_equal(pk.dst_port, 0);
	assert_int_equal(pk.tcp_flags, 0);
	assert_addrs(&pk, CLIENT6, VIP6);

	icmp6_echo(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.icmp_type, 128);
	assert_int_equal(pk.icmp_code, 0);
	assert_int_equal(pk.l4_len, 8);
}

static void
parse6_reads_vlan_and_l2_flags(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	vlan_tcp6(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_VLAN);
	assert_int_equal(pk.vlan_tci, 0xa064);
	assert_int_equal(pk.l3_off, 18);
	assert_int_equal(pk.l4_off, 58);
	assert_int_equal(pk.l4_len, 20);
	assert_int_equal(pk.src_port, 1234);

	/* tagged and broadcast */
	memcpy(f.b, mac_bcast, 6);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_VLAN | LB_PKT_F_L2_BCAST);
	/* ff:ff:ff:ff:ff:fe is multicast, not broadcast */
	f.b[5] = 0xfe;
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_VLAN | LB_PKT_F_L2_MCAST);
	/* 03:... has the group bit too */
	memcpy(f.b, mac_port, 6);
	f.b[0] = 0x03;
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_VLAN | LB_PKT_F_L2_MCAST);

	/* the tag cut */
	assert_int_equal(parse6_exact(f.b, LB_ETH_HLEN + 2, &pk), LB_PKT_DROP);
	assert_int_equal(pk.drop, LB_STAT_DROP_TRUNC_VLAN);
}

static void
parse6_reads_the_extension_chain(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	chain_of_4(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	/* 54 + 8 + 16 + 24 + 8 */
	assert_int_equal(pk.l4_off, 110);
	assert_int_equal(pk.l4_len, 20);
	assert_int_equal(pk.n_ext, 4);
	assert_int_equal(pk.frag_hdr_off, 0);
	assert_int_equal(pk.proto, LB_IPPROTO_TCP);
	assert_int_equal(pk.src_port, 1234);
	assert_int_equal(pk.dst_port, 110);
	assert_int_equal(pk.tcp_flags, LB_TCP_SYN);

	dstopts_long(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.l4_off, 54 + 32);
	assert_int_equal(pk.l4_len, 8);
	assert_int_equal(pk.src_port, 53);

	no_next_header(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.proto, LB_IPPROTO_NONE);
	assert_int_equal(pk.l4_off, 62);
	assert_int_equal(pk.l4_len, 0);

	esp6(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.proto, 50);
	assert_int_equal(pk.l4_off, 54);
	assert_int_equal(pk.l4_len, 24);
	assert_int_equal(pk.src_port, 0);
	assert_int_equal(pk.dst_port, 0);
	assert_int_equal(pk.n_ext, 0);
}

static void
parse6_reads_a_first_fragment(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	first_fragment_tcp(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_FRAG);
	assert_int_equal(pk.frag_hdr_off, 54);
	assert_int_equal(pk.frag_off, 0);
	assert_int_equal(pk.frag_id, 0xdeadbeef);
	assert_int_equal(pk.n_ext, 1);
	assert_int_equal(pk.proto, LB_IPPROTO_TCP);
	assert_int_equal(pk.l4_off, 62);
	assert_int_equal(pk.l4_len, 24);
	assert_int_equal(pk.src_port, 1234);
	assert_int_equal(pk.dst_port, 110);
	assert_int_equal(pk.tcp_flags, LB_TCP_SYN);

	first_fragment_udp(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_FRAG);
	assert_int_equal(pk.frag_id, 42);
	assert_int_equal(pk.l4_len, 16);
	assert_int_equal(pk.src_port, 5060);
	assert_int_equal(pk.dst_port, 5060);
}

static void
parse6_reads_a_later_fragment(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	later_fragment6(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER);
	assert_int_equal(pk.frag_hdr_off, 54);
	assert_int_equal(pk.frag_off, 1448);
	assert_int_equal(pk.frag_id, 0x01020304);
	assert_int_equal(pk.proto, LB_IPPROTO_UDP);
	assert_int_equal(pk.l4_off, 62);
	assert_int_equal(pk.l4_len, 16);
	assert_int_equal(pk.n_ext, 1);
	assert_int_equal(pk.src_port, 0);
	assert_int_equal(pk.dst_port, 0);
	assert_int_equal(pk.tcp_flags, 0);

	/* behind a hop-by-hop header and a VLAN tag; the highest offset;
	 * the reserved bits (1, 2) are not part of it */
	eth(&f, mac_port, LB_ETHERTYPE_VLAN);
	vlan(&f, 7, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_HOPOPTS, CLIENT6, VIP6);
	opts(&f, LB_IPPROTO_FRAGMENT, 0);
	fragment(&f, LB_IPPROTO_TCP, 0xfff8, false, 0xffffffff);
	f.b[f.len - 5] |= 0x06;
	put8(&f, 0xab);
	ip6_done(&f, 0);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags, LB_PKT_F_VLAN | LB_PKT_F_FRAG |
			 LB_PKT_F_FRAG_LATER);
	assert_int_equal(pk.frag_hdr_off, 18 + 40 + 8);
	assert_int_equal(pk.frag_off, 0xfff8);
	assert_int_equal(pk.frag_id, 0xffffffff);
	assert_int_equal(pk.proto, LB_IPPROTO_TCP);
	assert_int_equal(pk.l4_off, 18 + 40 + 16);
	assert_int_equal(pk.l4_len, 1);
	assert_int_equal(pk.n_ext, 2);
	assert_int_equal(pk.src_port, 0);
	assert_int_equal(pk.dst_port, 0);
	assert_int_equal(pk.tcp_flags, 0);
}

static void
parse6_atomic_fragment_is_whole(void **state)
{
	struct frame f;
	struct lb_pkt6 pk;

	(void)state;
	atomic_fragment(&f);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.flags & (LB_PKT_F_FRAG | LB_PKT_F_FRAG_LATER), 0);
	assert_int_equal(pk.frag_hdr_off, 54);
	assert_int_equal(pk.frag_off, 0);
	assert_int_equal(pk.n_ext, 1);
	assert_int_equal(pk.proto, LB_IPPROTO_UDP);
	assert_int_equal(pk.l4_off, 62);
	assert_int_equal(pk.l4_len, 13);
	assert_int_equal(pk.src_port, 53);
	assert_int_equal(pk.dst_port, 53);

	/* whole: its UDP length is held against the payload */
	lb_store_be16(f.b + 62 + 4, 14);
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_DROP);
	assert_int_equal(pk.drop, LB_STAT_DROP_UDP_LEN);
}

/* Whatever was in the result before, a parse starts from zero. */
static void
parse6_zeroes_the_result(void **state)
{
	struct frame f;
	struct lb_pkt6 pk, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	tcp_syn6(&f);
	memset(&pk, 0xa5, sizeof(pk));
	assert_int_equal(parse6_exact(f.b, 10, &pk), LB_PKT_DROP);
	assert_int_equal(pk.drop, LB_STAT_DROP_TRUNC_ETH);
	/* all but the reason, and where the L3 header would have been */
	zero.drop = LB_STAT_DROP_TRUNC_ETH;
	zero.l3_off = pk.l3_off;
	assert_memory_equal(&pk, &zero, sizeof(pk));

	memset(&pk, 0xa5, sizeof(pk));
	assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
	assert_int_equal(pk.vlan_tci, 0);
	assert_int_equal(pk.frag_hdr_off, 0);
	assert_int_equal(pk.frag_off, 0);
	assert_int_equal(pk.frag_id, 0);
	assert_int_equal(pk.icmp_type, 0);
	assert_int_equal(pk.icmp_code, 0);
	assert_int_equal(pk.n_ext, 0);
	assert_int_equal(pk.flags, 0);
}

/* ---- truncations ---- */

/* Hop-by-hop (16 bytes), destination options (8), a fragment header
 * (an atomic one, or a first fragment with 4 bytes of data after TCP
 * so that it is a multiple of 8 long), TCP. */
static void
chain3_tcp(struct frame *f, bool tagged, bool first_fragment)
{
	if (tagged) {
		eth(f, mac_port, LB_ETHERTYPE_VLAN);
		vlan(f, 100, LB_ETHERTYPE_IPV6);
		ipv6_hdr(f, LB_IPPROTO_HOPOPTS, CLIENT6, VIP6);
	} else {
		start(f, LB_IPPROTO_HOPOPTS);
	}
	opts(f, LB_IPPROTO_DSTOPTS, 1);
	opts(f, LB_IPPROTO_FRAGMENT, 0);
	fragment(f, LB_IPPROTO_TCP, 0, first_fragment, 99);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
	if (first_fragment)
		put32(f, 0);
	ip6_done(f, 0);
}

/* The frame cut short of its header's payload length: the Ethernet
 * header, the tag, the IPv6 header, then the payload length. */
static void
parse6_frame_cut_at_every_length(void **state)
{
	unsigned int v;

	(void)state;
	for (v = 0; v < 4; v++) {
		bool tagged = v & 1, first = v & 2;
		uint32_t l3 = tagged ? 18 : 14, len;
		struct frame f;
		struct lb_pkt6 pk;

		chain3_tcp(&f, tagged, first);
		assert_int_equal(parse6_exact(f.b, f.len, &pk), LB_PKT_IPV6);
		for (len = 0; len < f.len; len++) {
			enum lb_pkt_kind k = parse6_exact(f.b, len, &pk);
			int want;

			if (len < LB_ETH_HLEN)
				want = LB_STAT_DROP_TRUNC_ETH;
			else if (len < l3)
				want = LB_STAT_DROP_TRUNC_VLAN;
			else if (len < l3 + LB_IP6_HLEN)
				want = LB_STAT_DROP_TRUNC_IP6;
			else
				want = LB_STAT_DROP_IP6_LENGTH;
			if (k != LB_PKT_DROP || pk.drop != want)
				fail_msg("%s%s cut to %u of %u bytes: %s, want %s",
					 tagged ? "tagged " : "",
					 first ? "first fragment" : "atomic",
					 len, f.len,
					 drop_name(k == LB_PKT_DROP ? pk.drop :
						   ACCEPT),
					 drop_name(want));
		}
	}
}

/* The packet ending early, its payload length saying so: each header
 * of the chain cut in turn, the frame exactly as long as the packet. */
static void
parse6_packet_cut_at_every_length(void **state)
{
	unsigned int v;

	(void)state;
	for (v = 0; v < 4; v++) {
		bool tagged = v & 1, first = v & 2;
		uint32_t l3 = tagged ? 18 : 14, plen;
		struct frame f;
		struct lb_pkt6 pk;
		uint32_t full;

		chain3_tcp(&f, tagged, first);
		full = f.len - l3 - LB_IP6_HLEN;
		assert_int_equal(full, first ? 56 : 52);
		for (plen = 0; plen <= full; plen++) {
			enum lb_pkt_kind k;
			int want;

			lb_store_be16(f.b + l3 + 4, (uint16_t)plen);
			k = parse6_exact(f.b, l3 + LB_IP6_HLEN + plen, &pk);
			if (plen == 0)
				want = LB_STAT_DROP_IP6_LENGTH;
			else if (plen < 16)         /* hop-by-hop */
				want = LB_STAT_DROP_IP6_EXT;
			else if (plen < 24)         /* destination options */
				want = LB_STAT_DROP_IP6_EXT;
			else if (plen < 32)         /* fragment */
				want = LB_STAT_DROP_IP6_EXT;
			else if (first && (plen - 32) % 8 != 0)
				want = LB_STAT_DROP_IP6_EXT;
			else if (plen < 52)         /* TCP */
				want = first ? LB_STAT_DROP_FRAG6_FIRST_SHORT :
					LB_STAT_DROP_TRUNC_L4;
			else
				want = ACCEPT;
			if (k != (want == ACCEPT ? LB_PKT_IPV6 : LB_PKT_DROP) ||
			    (k == LB_PKT_DROP && pk.drop != want))
				fail_msg("%s%s, payload %u of %u: %s, want %s",
					 tagged ? "tagged " : "",
					 first ? "first fragment" : "atomic",
					 plen, full,
					 drop_name(k == LB_PKT_DROP ? pk.drop :
						   ACCEPT),
					 drop_name(want));
			if (k == LB_PKT_IPV6) {
				assert_int_equal(pk.n_ext, 3);
				assert_int_equal(pk.l4_off, l3 + 40 + 32);
				assert_int_equal(pk.l4_len, plen - 32);
				assert_int_equal(pk.frag_hdr_off, l3 + 40 + 24);
				assert_int_equal(pk.src_port, 1234);
				assert_int_equal(pk.flags & LB_PKT_F_FRAG,
						 first ? LB_PKT_F_FRAG : 0);
			}
		}
	}
}

/* Every cut of every good frame of the table is refused. */
static void
parse6_refuses_every_cut_of_the_good_frames(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pkt6_case *c = &cases[i];
		struct frame f = { .len = 0 };
		struct lb_pkt6 pk;
		uint32_t len, end;

		if (c->drop != ACCEPT)
			continue;
		c->build(&f);
		end = f.ip_off + LB_IP6_HLEN + lb_load_be16(f.b + f.ip_off + 4);
		for (len = 0; len < end; len++)
			if (parse6_exact(f.b, len, &pk) != LB_PKT_DROP)
				fail_msg("%s cut to %u of %u bytes was accepted",
					 c->name, len, end);
		/* and anything after the payload is padding */
		for (len = end; len <= f.len; len++)
			if (parse6_exact(f.b, len, &pk) != LB_PKT_IPV6)
				fail_msg("%s of %u bytes refused at %u (%s)",
					 c->name, end, len, drop_name(pk.drop));
	}
}

/* ---- a storm ---- */

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static bool
storm_drop_ok(int why)
{
	switch (why) {
	case LB_STAT_DROP_TRUNC_ETH:
	case LB_STAT_DROP_TRUNC_VLAN:
	case LB_STAT_DROP_VLAN_NESTED:
	case LB_STAT_DROP_ETHERTYPE:
	case LB_STAT_DROP_TRUNC_IP6:
	case LB_STAT_DROP_IP_VERSION:
	case LB_STAT_DROP_IP6_LENGTH:
	case LB_STAT_DROP_IP6_SRC:
	case LB_STAT_DROP_IP6_DST:
	case LB_STAT_DROP_IP6_EXT:
	case LB_STAT_DROP_IP6_EXT_CHAIN:
	case LB_STAT_DROP_FRAG6_FIRST_SHORT:
	case LB_STAT_DROP_TRUNC_L4:
	case LB_STAT_DROP_TCP_HDR:
	case LB_STAT_DROP_UDP_LEN:
	case LB_STAT_DROP_UDP6_CSUM0:
		return true;
	default:
		return false;
	}
}

static const uint8_t storm_nh[] = {
	LB_IPPROTO_HOPOPTS, LB_IPPROTO_DSTOPTS, LB_IPPROTO_ROUTING,
	LB_IPPROTO_FRAGMENT, LB_IPPROTO_TCP, LB_IPPROTO_UDP,
	LB_IPPROTO_ICMPV6, LB_IPPROTO_NONE, 50, 51,
};

/* addresses now and then used instead of the client's and the VIP */
static const char *const storm_src[] = {
	"fe80::1", "::", "::1", "ff02::1", "::ffff:203.0.113.5",
};
static const char *const storm_dst[] = {
	"ff02::1", "::", "::1", "::ffff:198.51.100.100",
};

static uint8_t
storm_pick_nh(uint64_t *s)
{
	uint64_t r = rnd(s);

	if (r % 8 == 0)
		return (uint8_t)(r >> 8);
	return storm_nh[(r >> 8) % sizeof(storm_nh)];
}

/* A valid Ethernet (tagged or not) and IPv6 header, then either noise
 * or a chain of extension headers of random kinds and fields with an
 * upper-layer header of random bytes; the payload length right or
 * wrong; the frame exact, padded or cut. */
static void
storm_frame(struct frame *f, uint64_t *s)
{
	uint32_t i, n, plen_at;
	const char *src, *dst;
	uint8_t *nh;

	if (rnd(s) % 4 == 0) {
		eth(f, rnd(s) % 2 ? mac_port : mac_v6_mcast,
		    LB_ETHERTYPE_VLAN);
		vlan(f, (uint16_t)rnd(s), LB_ETHERTYPE_IPV6);
	} else {
		eth(f, mac_port, LB_ETHERTYPE_IPV6);
	}
	src = CLIENT6;
	dst = VIP6;
	if (rnd(s) % 8 == 0)
		src = storm_src[rnd(s) % ARRAY_LEN(storm_src)];
	if (rnd(s) % 8 == 0)
		dst = storm_dst[rnd(s) % ARRAY_LEN(storm_dst)];
	ipv6_hdr(f, 0, src, dst);
	plen_at = f->ip_off + 4;
	nh = &f->b[f->ip_off + 6];

	if (rnd(s) % 4 == 0) {
		/* noise after the header */
		*nh = storm_pick_nh(s);
		n = (uint32_t)(rnd(s) % 160);
		for (i = 0; i < n; i++)
			put8(f, (uint8_t)rnd(s));
	} else {
		n = (uint32_t)(rnd(s) % 7);
		for (i = 0; i < n; i++) {
			uint64_t r = rnd(s);
			uint32_t j, hlen;

			switch (r % 4) {
			case 0:
			case 1:
				*nh = r % 4 == 0 ? LB_IPPROTO_HOPOPTS :
					LB_IPPROTO_DSTOPTS;
				nh = &f->b[f->len];
				hlen = (uint32_t)((r >> 8) % 3);
				put8(f, 0);
				put8(f, (uint8_t)hlen);
				for (j = 2; j < (hlen + 1) * 8; j++)
					put8(f, (uint8_t)rnd(s));
				break;
			case 2:
				*nh = LB_IPPROTO_ROUTING;
				nh = &f->b[f->len];
				hlen = (uint32_t)((r >> 8) % 4);
				put8(f, 0);
				put8(f, (uint8_t)hlen);
				put8(f, (uint8_t)rnd(s));
				put8(f, (r >> 16) % 2 ? 0 : (uint8_t)rnd(s));
				for (j = 4; j < (hlen + 1) * 8; j++)
					put8(f, (uint8_t)rnd(s));
				break;
			default:
				*nh = LB_IPPROTO_FRAGMENT;
				nh = &f->b[f->len];
				put8(f, 0);
				put8(f, (uint8_t)rnd(s));
				put16(f, (uint16_t)(((r >> 8) % 2 ?
						     rnd(s) & 0xfff8 : 0) |
						    ((r >> 16) % 2)));
				put32(f, (uint32_t)rnd(s));
				break;
			}
		}
		*nh = storm_pick_nh(s);
		/* a multiple of 8 bytes half the time, as a fragment
		 * with more to come must be */
		n = (uint32_t)(rnd(s) % 48);
		if (rnd(s) % 2)
			n &= ~7u;
		for (i = 0; i < n; i++)
			put8(f, (uint8_t)rnd(s));
		/* often a plausible TCP data offset, UDP length or a UDP
		 * checksum of 0 */
		if (n >= 20 && rnd(s) % 2)
			f->b[f->len - n + 12] = 0x50;
		if (n >= 8 && rnd(s) % 2)
			lb_store_be16(f->b + f->len - n + 4, (uint16_t)n);
		if (n >= 8 && rnd(s) % 8 == 0)
			lb_store_be16(f->b + f->len - n + 6, 0);
	}

	n = f->len - f->ip_off - LB_IP6_HLEN;
	switch (rnd(s) % 4) {
	case 0:
		n = (uint32_t)(rnd(s) % (n + 9));
		break;
	case 1:
		n = (uint32_t)rnd(s) & 0xffff;
		break;
	default:
		break;
	}
	lb_store_be16(f->b + plen_at, (uint16_t)n);
	switch (rnd(s) % 4) {
	case 0:
		f->len = (uint32_t)(rnd(s) % (f->len + 1));
		break;
	case 1:
		n = (uint32_t)(rnd(s) % 16);
		for (i = 0; i < n; i++)
			put8(f, (uint8_t)rnd(s));
		break;
	default:
		break;
	}
	/* now and then one byte anywhere changed */
	if (f->len > 0 && rnd(s) % 8 == 0)
		f->b[rnd(s) % f->len] = (uint8_t)rnd(s);
}

#define STORM_FRAMES 200000

static void
parse6_survives_a_storm_of_random_frames(void **state)
{
	uint64_t s = 0x6473726c62763600ULL;    /* "dsrlbv6" */
	unsigned int i, accepted = 0, deep = 0, later = 0, first = 0;
	unsigned int drops[LB_STAT_WORKER_MAX] = { 0 };

	(void)state;
	for (i = 0; i < STORM_FRAMES; i++) {
		struct frame f = { .len = 0 };
		struct lb_pkt6 pk;
		enum lb_pkt_kind k;
		char name[32];

		storm_frame(&f, &s);
		k = parse6_exact(f.b, f.len, &pk);
		snprintf(name, sizeof(name), "storm frame %u", i);
		if (k == LB_PKT_DROP) {
			if (!storm_drop_ok(pk.drop))
				fail_msg("%s: drop %u (%s)", name, pk.drop,
					 drop_name(pk.drop));
			drops[pk.drop]++;
			continue;
		}
		if (k != LB_PKT_IPV6)
			fail_msg("%s: kind %d", name, k);
		check_accepted(name, f.b, f.len, &pk);
		accepted++;
		if (pk.n_ext >= 2)
			deep++;
		if (pk.flags & LB_PKT_F_FRAG_LATER)
			later++;
		else if (pk.flags & LB_PKT_F_FRAG)
			first++;
	}
	print_message("storm: %u of %u accepted (%u with 2+ extension headers, %u first and %u later fragments); drops:",
		      accepted, STORM_FRAMES, deep, first, later);
	for (i = 0; i < LB_STAT_WORKER_MAX; i++)
		if (drops[i])
			print_message(" %s %u", lb_stats_worker_desc[i].name,
				      drops[i]);
	print_message("\n");
	/* the storm reached every part of the parser */
	assert_true(accepted > STORM_FRAMES / 50);
	assert_true(deep > 0 && first > 0 && later > 0);
	assert_true(drops[LB_STAT_DROP_IP6_EXT] > 0);
	assert_true(drops[LB_STAT_DROP_IP6_EXT_CHAIN] > 0);
	assert_true(drops[LB_STAT_DROP_TRUNC_L4] > 0);
	assert_true(drops[LB_STAT_DROP_IP6_SRC] > 0);
	assert_true(drops[LB_STAT_DROP_IP6_DST] > 0);
	assert_true(drops[LB_STAT_DROP_UDP6_CSUM0] > 0);
}

/* ---- the fast path of the common packet ---- */

static bool
zero64(const uint8_t *a)
{
	static const uint8_t zero[8];

	return memcmp(a, zero, sizeof(zero)) == 0;
}

/* lb_pkt_fast6() on an exact-size copy of the frame (ASan catches any
 * read past it) must accept it exactly when lb_pkt_parse6() finds
 * plain IPv6 TCP or UDP (no flag, no extension header) from and to
 * addresses outside ::/64, and read what lb_pkt_parse6() reads.
 * Whether it took it. */
static bool
fast6_agrees(const char *name, const uint8_t *b, uint32_t len)
{
	uint8_t *copy = malloc(len == 0 ? 1 : len);
	struct lb_pkt_fast f;
	struct lb_pkt6 pk;
	bool fast, plain;

	assert_non_null(copy);
	memcpy(copy, b, len);
	memset(&f, 0xa5, sizeof(f));
	fast = lb_pkt_fast6(copy, len, &f);
	plain = lb_pkt_parse6(copy, len, &pk) == LB_PKT_IPV6 &&
		pk.flags == 0 && pk.n_ext == 0 &&
		(pk.proto == LB_IPPROTO_TCP || pk.proto == LB_IPPROTO_UDP) &&
		!zero64(pk.src) && !zero64(pk.dst);
	if (fast != plain)
		fail_msg("%s (%u bytes): the fast path says %d, the parser %d (flags %#x, protocol %u, %u extension headers)",
			 name, len, fast, plain, pk.flags, pk.proto, pk.n_ext);
	if (fast && (f.src_port != pk.src_port || f.dst_port != pk.dst_port ||
		     f.proto != pk.proto || f.tcp_flags != pk.tcp_flags ||
		     pk.l3_off + 8 != LB_PKT6_FAST_ADDRS ||
		     memcmp(copy + LB_PKT6_FAST_ADDRS, pk.src, 16) != 0 ||
		     memcmp(copy + LB_PKT6_FAST_ADDRS + 16, pk.dst, 16) != 0))
		fail_msg("%s (%u bytes): the fast path read other fields",
			 name, len);
	free(copy);
	return fast;
}

/* Every frame of the table, cut at every length, with each of its
 * first 80 bytes changed in turn (to 0, to 0xff, each bit flipped),
 * and the random storm: the fast path and the full parser agree on
 * every one. */
static void
fast6_path_agrees_with_the_parser_on_the_table_and_mutations(void **state)
{
	static const uint8_t sets[] = { 0x00, 0xff };
	unsigned int i, taken = 0, frames = 0;
	uint64_t s = 0x6473726c62763601ULL;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pkt6_case *c = &cases[i];
		struct frame f = { .len = 0 };
		uint32_t len, pos, v;

		c->build(&f);
		taken += fast6_agrees(c->name, f.b, f.len);
		for (len = 0; len < f.len; len++)
			fast6_agrees(c->name, f.b, len);
		for (pos = 0; pos < f.len && pos < 80; pos++) {
			uint8_t orig = f.b[pos];

			for (v = 0; v < 2 + 8; v++) {
				f.b[pos] = v < 2 ? sets[v] :
					(uint8_t)(orig ^ (1u << (v - 2)));
				taken += fast6_agrees(c->name, f.b, f.len);
				frames++;
			}
			f.b[pos] = orig;
		}
	}
	for (i = 0; i < STORM_FRAMES / 4; i++) {
		struct frame f = { .len = 0 };

		storm_frame(&f, &s);
		fast6_agrees("storm frame", f.b, f.len);
	}
	{
		struct frame f = { .len = 0 };

		tcp_syn6(&f);
		assert_true(fast6_agrees("TCP SYN", f.b, f.len));
		udp_dgram6(&f);
		assert_true(fast6_agrees("UDP", f.b, f.len));
	}
	/* most frames of the table are not plain */
	assert_true(taken > frames / 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse6_table_of_good_and_malformed_frames),
		cmocka_unit_test(parse6_reads_tcp_fields),
		cmocka_unit_test(parse6_reads_udp_fields),
		cmocka_unit_test(parse6_reads_icmp6_fields),
		cmocka_unit_test(parse6_reads_vlan_and_l2_flags),
		cmocka_unit_test(parse6_reads_the_extension_chain),
		cmocka_unit_test(parse6_reads_a_first_fragment),
		cmocka_unit_test(parse6_reads_a_later_fragment),
		cmocka_unit_test(parse6_atomic_fragment_is_whole),
		cmocka_unit_test(parse6_zeroes_the_result),
		cmocka_unit_test(parse6_frame_cut_at_every_length),
		cmocka_unit_test(parse6_packet_cut_at_every_length),
		cmocka_unit_test(parse6_refuses_every_cut_of_the_good_frames),
		cmocka_unit_test(parse6_survives_a_storm_of_random_frames),
		cmocka_unit_test(fast6_path_agrees_with_the_parser_on_the_table_and_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
