/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Neighbor Discovery on byte buffers (lib/pkt/ndp.c): a Neighbor
 * Solicitation read with RFC 4861's checks, and answered in place.
 * Checksums are verified by a sum written here, not the library's.
 * No EAL. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>

#include "lb_pkt6.h"
#include "lb_stats.h"
#include "test_util.h"

static const uint8_t mac_lb[6] = { 0x02, 0xd5, 0x1b, 0, 0, 0x02 };
static const uint8_t mac_slla[6] = { 0x02, 0xaa, 0, 0, 0, 0x07 };

/* The one's complement sum over the pseudo-header and message: 0xffff
 * for a message whose checksum is right. */
static uint16_t
sum6(const uint8_t *src, const uint8_t *dst, const uint8_t *m, uint32_t len)
{
	uint32_t s = 0, i;

	for (i = 0; i < 16; i += 2)
		s += (uint32_t)(src[i] << 8 | src[i + 1]) +
		     (uint32_t)(dst[i] << 8 | dst[i + 1]);
	s += len + 58;
	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(m[i] << 8 | m[i + 1]);
	if (len & 1)
		s += (uint32_t)m[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

struct ns_spec {
	const char *src, *dst, *target;
	uint8_t hop, code;
	bool slla;
	int opt_len;          /* -1: none beyond slla; else an extra
				 option with this length field */
	bool bad_cksum;
};

/* An NS frame as specified, into f (checksum right unless told). */
static void
ns_frame(struct frame *f, const struct ns_spec *sp)
{
	uint8_t src[16], dst[16], tgt[16], dmac[6] = { 0x33, 0x33 };
	uint32_t mlen = 24 + (sp->slla ? 8 : 0) + (sp->opt_len >= 0 ? 8 : 0);
	uint32_t m0;
	uint16_t ck;

	addr6(src, sp->src);
	addr6(dst, sp->dst);
	addr6(tgt, sp->target);
	memcpy(dmac + 2, dst + 12, 4);
	eth(f, dmac, 0x86dd);
	put32(f, 0x60000000);
	put16(f, (uint16_t)mlen);
	put8(f, 58);
	put8(f, sp->hop);
	put(f, src, 16);
	put(f, dst, 16);
	m0 = f->len;
	put8(f, LB_ICMP6_NEIGH_SOLICIT);
	put8(f, sp->code);
	put16(f, 0);
	put32(f, 0);
	put(f, tgt, 16);
	if (sp->slla) {
		put8(f, LB_NDP_OPT_SLLA);
		put8(f, 1);
		put(f, mac_slla, 6);
	}
	if (sp->opt_len >= 0) {
		put8(f, 14);          /* an option a host skips */
		put8(f, (uint8_t)sp->opt_len);
		put(f, "\0\0\0\0\0\0", 6);
	}
	ck = (uint16_t)~sum6(src, dst, f->b + m0, mlen);
	if (sp->bad_cksum)
		ck ^= 0x0100;
	f->b[m0 + 2] = (uint8_t)(ck >> 8);
	f->b[m0 + 3] = (uint8_t)ck;
}

static const struct ns_spec host_ns = {
	.src = "2001:db8::1", .dst = "ff02::1:ff00:100",
	.target = "2001:db8::100", .hop = 255, .slla = true, .opt_len = -1,
};

static int
read_ns(const struct frame *f, struct lb_pkt6 *p, struct lb_ndp_ns *ns)
{
	assert_int_equal(lb_pkt_parse6(f->b, f->len, p), LB_PKT_IPV6);
	return lb_pkt_ndp_ns(f->b, p, ns);
}

static void
ns_from_a_host_is_answered_to_it(void **state)
{
	struct frame f;
	struct lb_pkt6 p, q;
	struct lb_ndp_ns ns;
	uint8_t a[16];
	uint32_t n;

	(void)state;
	ns_frame(&f, &host_ns);
	assert_int_equal(read_ns(&f, &p, &ns), 0);
	addr6(a, "2001:db8::100");
	assert_memory_equal(ns.target, a, 16);
	assert_true(ns.has_slla && !ns.dad);
	assert_memory_equal(ns.slla, mac_slla, 6);
	n = lb_pkt_ndp_na_reply(f.b, sizeof(f.b), &p, &ns, mac_lb);
	assert_int_equal(n, 14 + 40 + LB_NDP_NA_LEN);
	assert_memory_equal(f.b, mac_slla, 6);        /* to its option */
	assert_memory_equal(f.b + 6, mac_lb, 6);
	assert_int_equal(lb_pkt_parse6(f.b, n, &q), LB_PKT_IPV6);
	assert_int_equal(q.proto, 58);
	assert_int_equal(q.icmp_type, LB_ICMP6_NEIGH_ADVERT);
	assert_int_equal(q.hop_limit, 255);
	assert_memory_equal(q.src, a, 16);              /* from the target */
	addr6(a, "2001:db8::1");
	assert_memory_equal(q.dst, a, 16);
	assert_int_equal(f.b[q.l4_off + 4],
			 LB_NDP_NA_SOLICITED | LB_NDP_NA_OVERRIDE);
	addr6(a, "2001:db8::100");
	assert_memory_equal(f.b + q.l4_off + 8, a, 16);
	assert_int_equal(f.b[q.l4_off + 24], LB_NDP_OPT_TLLA);
	assert_int_equal(f.b[q.l4_off + 25], 1);
	assert_memory_equal(f.b + q.l4_off + 26, mac_lb, 6);
	assert_int_equal(sum6(q.src, q.dst, f.b + q.l4_off, LB_NDP_NA_LEN),
			 0xffff);
}

/* Without a source link-layer option, the answer goes to the frame's
 * source MAC. */
static void
ns_without_slla_answered_to_the_frame_source(void **state)
{
	struct ns_spec sp = host_ns;
	struct frame f;
	struct lb_pkt6 p;
	struct lb_ndp_ns ns;

	(void)state;
	sp.slla = false;
	ns_frame(&f, &sp);
	assert_int_equal(read_ns(&f, &p, &ns), 0);
	assert_false(ns.has_slla);
	assert_true(lb_pkt_ndp_na_reply(f.b, sizeof(f.b), &p, &ns,
					mac_lb) > 0);
	assert_memory_equal(f.b, mac_client, 6);
}

/* DAD: from ::, answered to all nodes, not solicited (RFC 4861 7.2.4). */
static void
dad_ns_answered_to_all_nodes(void **state)
{
	struct ns_spec sp = host_ns;
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct frame f;
	struct lb_pkt6 p, q;
	struct lb_ndp_ns ns;
	uint8_t a[16];
	uint32_t n;

	(void)state;
	sp.src = "::";
	sp.slla = false;
	ns_frame(&f, &sp);
	assert_int_equal(read_ns(&f, &p, &ns), 0);
	assert_true(ns.dad);
	n = lb_pkt_ndp_na_reply(f.b, sizeof(f.b), &p, &ns, mac_lb);
	assert_int_equal(lb_pkt_parse6(f.b, n, &q), LB_PKT_IPV6);
	assert_memory_equal(f.b, all_mac, 6);
	addr6(a, "ff02::1");
	assert_memory_equal(q.dst, a, 16);
	assert_int_equal(f.b[q.l4_off + 4], LB_NDP_NA_OVERRIDE);
	assert_int_equal(sum6(q.src, q.dst, f.b + q.l4_off, LB_NDP_NA_LEN),
			 0xffff);
}

/* Every rule of RFC 4861 7.1.1 broken once: refused. */
static void
invalid_ns_refused(void **state)
{
	struct ns_spec bad[10];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(bad); i++)
		bad[i] = host_ns;
	bad[0].hop = 64;                        /* routed */
	bad[1].code = 1;
	bad[2].bad_cksum = true;
	bad[3].target = "ff02::1";              /* multicast target */
	bad[4].opt_len = 0;                     /* option of length 0 */
	bad[5].opt_len = 2;                     /* option past the end */
	bad[6].src = "::";                      /* DAD with an SLLA */
	bad[7].src = "::";                      /* DAD to a unicast group */
	bad[7].slla = false;
	bad[7].dst = "2001:db8::100";
	bad[8].src = "::";
	bad[8].slla = false;
	bad[8].dst = "ff02::1";                 /* DAD to all nodes */
	bad[9].opt_len = 1;                     /* control: a good option */
	for (i = 0; i < RTE_DIM(bad); i++) {
		struct frame f;
		struct lb_pkt6 p;
		struct lb_ndp_ns ns;

		ns_frame(&f, &bad[i]);
		/* each is a well-formed IPv6 packet: only NDP refuses it */
		assert_int_equal(read_ns(&f, &p, &ns), i == 9 ? 0 : -EINVAL);
	}
}

/* An NS shorter than 24 bytes, another ICMPv6 type: refused. */
static void
short_or_other_messages_refused(void **state)
{
	struct frame f;
	struct lb_pkt6 p;
	struct lb_ndp_ns ns;

	(void)state;
	ns_frame(&f, &host_ns);
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	p.l4_len = 20;
	assert_int_equal(lb_pkt_ndp_ns(f.b, &p, &ns), -EINVAL);
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	p.icmp_type = LB_ICMP6_NEIGH_ADVERT;
	assert_int_equal(lb_pkt_ndp_ns(f.b, &p, &ns), -EINVAL);
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	p.flags |= LB_PKT_F_FRAG;
	assert_int_equal(lb_pkt_ndp_ns(f.b, &p, &ns), -EINVAL);
}

static void
solicited_node_group_and_mac(void **state)
{
	uint8_t a[16], g[16], want[16], mac[6];
	static const uint8_t want_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x01,
					     0x00 };

	(void)state;
	addr6(a, "2001:db8::100");
	addr6(want, "ff02::1:ff00:100");
	lb_ip6_solicited_node(a, g, mac);
	assert_memory_equal(g, want, 16);
	assert_memory_equal(mac, want_mac, 6);
	lb_ip6_solicited_node(a, g, NULL);
	assert_memory_equal(g, want, 16);
}

/* An answer that would not fit leaves the frame as it was. */
static void
reply_needs_room(void **state)
{
	struct frame f;
	uint8_t copy[sizeof(f.b)];
	struct lb_pkt6 p;
	struct lb_ndp_ns ns;

	(void)state;
	ns_frame(&f, &host_ns);
	assert_int_equal(read_ns(&f, &p, &ns), 0);
	memcpy(copy, f.b, sizeof(copy));
	assert_int_equal(lb_pkt_ndp_na_reply(f.b, 14 + 40 + 31, &p, &ns,
					     mac_lb), 0);
	assert_memory_equal(f.b, copy, sizeof(copy));
}

/* The unsolicited advertisement of a VIP: to all nodes from the VIP,
 * Override only, the port's MAC; tagged when the port is. */
static void
unsolicited_na_to_all_nodes(void **state)
{
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t buf[LB_NDP_UNSOL_NA_MAX], vip[16], all[16];
	struct lb_pkt6 q;
	uint32_t n;
	unsigned int tag;

	(void)state;
	addr6(vip, "2001:db8::100");
	addr6(all, "ff02::1");
	for (tag = 0; tag < 2; tag++) {
		n = lb_pkt_ndp_unsolicited_na(buf, tag ? 42 : 0, mac_lb, vip);
		assert_int_equal(n, (tag ? 18 : 14) + 40 + LB_NDP_NA_LEN);
		assert_true(n <= sizeof(buf));
		assert_memory_equal(buf, all_mac, 6);
		assert_memory_equal(buf + 6, mac_lb, 6);
		assert_int_equal(lb_pkt_parse6(buf, n, &q), LB_PKT_IPV6);
		assert_int_equal(!!(q.flags & LB_PKT_F_VLAN), tag);
		if (tag)
			assert_int_equal(q.vlan_tci & 0xfff, 42);
		assert_int_equal(q.icmp_type, LB_ICMP6_NEIGH_ADVERT);
		assert_int_equal(q.hop_limit, 255);
		assert_memory_equal(q.src, vip, 16);
		assert_memory_equal(q.dst, all, 16);
		assert_int_equal(buf[q.l4_off + 4], LB_NDP_NA_OVERRIDE);
		assert_memory_equal(buf + q.l4_off + 8, vip, 16);
		assert_int_equal(buf[q.l4_off + 24], LB_NDP_OPT_TLLA);
		assert_memory_equal(buf + q.l4_off + 26, mac_lb, 6);
		assert_int_equal(sum6(q.src, q.dst, buf + q.l4_off,
				      LB_NDP_NA_LEN), 0xffff);
	}
}

/* An ICMPv6 error to the VIP quoting what a member sent from it:
 * type, the quote's flow, and every cut of the frame read safely. */
static void
icmp6_error_quote_read(void **state)
{
	struct frame q, f;
	struct lb_pkt6 p;
	struct lb_pkt_inner6 in;
	uint8_t a[16];
	uint32_t cut, outer_len;

	(void)state;
	/* the quote: VIP:143 -> client:40000, TCP, no extension header */
	q.len = 0;
	ipv6_hdr(&q, LB_IPPROTO_TCP, "2001:db8::100", "2001:db8:c::7");
	tcp(&q, 143, 40000, 0x18, 5);
	ip6_done(&q, 0);
	eth(&f, mac_lb, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_ICMPV6, "2001:db8:ff::1", "2001:db8::100");
	put8(&f, LB_ICMP6_PACKET_TOO_BIG);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 1280);
	put(&f, q.b, q.len);
	ip6_done(&f, 0);
	outer_len = f.len;
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), 0);
	assert_int_equal(in.proto, LB_IPPROTO_TCP);
	assert_int_equal(in.vip_port, 143);
	assert_int_equal(in.client_port, 40000);
	addr6(a, "2001:db8::100");
	assert_memory_equal(in.vip, a, 16);
	addr6(a, "2001:db8:c::7");
	assert_memory_equal(in.client, a, 16);
	/* every shorter frame: parsed as far as it goes, never past */
	for (cut = 14; cut < outer_len; cut++) {
		uint8_t *copy = malloc(cut);

		memcpy(copy, f.b, cut);
		if (lb_pkt_parse6(copy, cut, &p) == LB_PKT_IPV6)
			(void)lb_pkt_icmp6_inner(copy, cut, &p, &in);
		free(copy);
	}
	/* a quote with an extension header, a non-error, UDP's quote */
	q.b[6] = LB_IPPROTO_DSTOPTS;
	memcpy(f.b + 14 + 40 + 8, q.b, q.len);
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), -EINVAL);
	q.b[6] = LB_IPPROTO_UDP;
	memcpy(f.b + 14 + 40 + 8, q.b, q.len);
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), 0);
	assert_int_equal(in.proto, LB_IPPROTO_UDP);
	f.b[14 + 40] = LB_ICMP6_ECHO_REQUEST;
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), -EINVAL);
	assert_true(lb_pkt_icmp6_is_error(LB_ICMP6_DEST_UNREACH) &&
		    lb_pkt_icmp6_is_error(LB_ICMP6_PARAM_PROBLEM) &&
		    !lb_pkt_icmp6_is_error(0) &&
		    !lb_pkt_icmp6_is_error(LB_ICMP6_ECHO_REQUEST));
}

/* The quote of a datagram the member's stack fragmented (too big for
 * the path): its first fragment has the ports after the Fragment
 * header, as IPv4's quoted first fragments do; a later fragment's quote
 * has none and is refused, as IPv4's is. Every cut read safely. */
static void
icmp6_error_quoting_a_fragment(void **state)
{
	struct frame q, f;
	struct lb_pkt6 p;
	struct lb_pkt_inner6 in;
	uint8_t a[16];
	uint32_t cut;

	(void)state;
	/* the quote: VIP:5060 -> client:5062, UDP, first of its fragments */
	q.len = 0;
	ipv6_hdr(&q, LB_IPPROTO_FRAGMENT, "2001:db8::100", "2001:db8:c::7");
	put8(&q, LB_IPPROTO_UDP);
	put8(&q, 0);
	put16(&q, 0x0001);              /* offset 0, more to come */
	put32(&q, 0x12345678);
	udp(&q, 5060, 5062, 3000);
	put32(&q, 0);
	ip6_done(&q, 0);
	eth(&f, mac_lb, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_ICMPV6, "2001:db8:ff::1", "2001:db8::100");
	put8(&f, LB_ICMP6_DEST_UNREACH);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0);
	put(&f, q.b, q.len);
	ip6_done(&f, 0);
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), 0);
	assert_int_equal(in.proto, LB_IPPROTO_UDP);
	assert_int_equal(in.vip_port, 5060);
	assert_int_equal(in.client_port, 5062);
	addr6(a, "2001:db8::100");
	assert_memory_equal(in.vip, a, 16);
	addr6(a, "2001:db8:c::7");
	assert_memory_equal(in.client, a, 16);
	/* cut inside the fragment header or the ports: refused, never
	 * read past */
	for (cut = 14 + 40 + 8 + 40; cut < 14 + 40 + 8 + 40 + 8 + 4; cut++) {
		uint8_t *copy = malloc(cut);

		memcpy(copy, f.b, cut);
		lb_store_be16(copy + 14 + 4, (uint16_t)(cut - 14 - 40));
		assert_int_equal(lb_pkt_parse6(copy, cut, &p), LB_PKT_IPV6);
		assert_int_equal(lb_pkt_icmp6_inner(copy, cut, &p, &in),
				 -EINVAL);
		free(copy);
	}
	/* a later fragment (offset 1448): no ports to find the flow by */
	lb_store_be16(f.b + 14 + 40 + 8 + 40 + 2, 1448 | 1);
	assert_int_equal(lb_pkt_parse6(f.b, f.len, &p), LB_PKT_IPV6);
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), -EINVAL);
	/* a first fragment of another protocol */
	lb_store_be16(f.b + 14 + 40 + 8 + 40 + 2, 1);
	f.b[14 + 40 + 8 + 40] = LB_IPPROTO_ICMPV6;
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), -EINVAL);
	f.b[14 + 40 + 8 + 40] = LB_IPPROTO_TCP;
	assert_int_equal(lb_pkt_icmp6_inner(f.b, f.len, &p, &in), 0);
	assert_int_equal(in.proto, LB_IPPROTO_TCP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ns_from_a_host_is_answered_to_it),
		cmocka_unit_test(ns_without_slla_answered_to_the_frame_source),
		cmocka_unit_test(dad_ns_answered_to_all_nodes),
		cmocka_unit_test(invalid_ns_refused),
		cmocka_unit_test(short_or_other_messages_refused),
		cmocka_unit_test(solicited_node_group_and_mac),
		cmocka_unit_test(reply_needs_room),
		cmocka_unit_test(unsolicited_na_to_all_nodes),
		cmocka_unit_test(icmp6_error_quote_read),
		cmocka_unit_test(icmp6_error_quoting_a_fragment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
