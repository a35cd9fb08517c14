/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef DSRLB_TEST_UTIL_H
#define DSRLB_TEST_UTIL_H

/*
 * Helpers shared by the unit tests: readable frame builders (no blobs)
 * and EAL set-up for the tests that need hugepage memory or rte_hash.
 */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_pkt.h"

/* A frame being built, appended field by field. */
struct frame {
	uint8_t b[2048];
	uint32_t len;
	uint32_t ip_off;   /* where the IP header starts */
	uint32_t l4_off;
};

static inline void
put(struct frame *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static inline void
put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static inline void
put16(struct frame *f, uint16_t v)
{
	lb_store_be16(f->b + f->len, v);
	f->len += 2;
}

static inline void
put32(struct frame *f, uint32_t v)
{
	uint32_t be = htonl(v);

	put(f, &be, 4);
}

static inline uint32_t
ip4(const char *s)
{
	return inet_addr(s);
}

#ifdef LB_CONFIG_H
/* An address of either family as the configuration holds it. */
static inline struct lb_ip
ipx(const char *s)
{
	struct lb_ip a;
	uint8_t prefix;

	if (lb_ip_parse_cidr(s, 0, 0, &a, &prefix) != 0)
		fail_msg("test address \"%s\" does not parse", s);
	return a;
}

/* The same as a pointer, for calls that take one. */
#define ipxp(s) ((const struct lb_ip[]){ ipx(s) })

#define assert_ip_equal(a, text) do { \
	struct lb_ip want_ = ipx(text); \
	char got_[LB_IP_STRLEN]; \
	if (!lb_ip_eq(&(a), &want_)) \
		fail_msg("address %s, not %s", lb_ip_str(&(a), got_), text); \
} while (0)
#endif

static const uint8_t mac_port[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_client[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Ethernet header to the port from the client. */
static inline void
eth(struct frame *f, const uint8_t *dst, uint16_t type)
{
	f->len = 0;
	put(f, dst, 6);
	put(f, mac_client, 6);
	put16(f, type);
}

static inline void
vlan(struct frame *f, uint16_t tci, uint16_t type)
{
	put16(f, tci);
	put16(f, type);
}

/* An IPv4 header with ihl words (>= 5, options are NOPs) whose total
 * length covers the header, payload bytes and extra (may be negative). */
static inline void
ipv4(struct frame *f, uint8_t proto, const char *src, const char *dst,
     uint32_t ihl, uint32_t payload, int extra, uint16_t frag)
{
	uint32_t i;

	f->ip_off = f->len;
	put8(f, (uint8_t)(0x40 | ihl));
	put8(f, 0);
	put16(f, (uint16_t)((int)(ihl * 4 + payload) + extra));
	put16(f, 0x1234);      /* id */
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);           /* checksum: not checked by the parser */
	put32(f, ntohl(ip4(src)));
	put32(f, ntohl(ip4(dst)));
	for (i = 5; i < ihl; i++)
		put32(f, 0x01010101);   /* NOP options */
	f->l4_off = f->len;
}

static inline void
addr6(uint8_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* version 6, flow label 0x12345 */
#define TCLASS_FLOW 0x60012345

/* An IPv6 header from src to dst; ip6_done() sets its payload length
 * once the payload is in. */
static inline void
ipv6_hdr(struct frame *f, uint8_t nh, const char *src, const char *dst)
{
	uint8_t a[16];

	f->ip_off = f->len;
	put32(f, TCLASS_FLOW);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);            /* hop limit */
	addr6(a, src);
	put(f, a, sizeof(a));
	addr6(a, dst);
	put(f, a, sizeof(a));
	f->l4_off = f->len;
}

/* The payload length: everything put after the IPv6 header, plus
 * extra (may be negative). */
static inline void
ip6_done(struct frame *f, int extra)
{
	int plen = (int)(f->len - f->ip_off - 40) + extra;

	lb_store_be16(f->b + f->ip_off + 4, (uint16_t)plen);
}

static inline void
tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags,
    uint8_t doff)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 1000);
	put32(f, 0);
	put8(f, (uint8_t)(doff << 4));
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
}

static inline void
udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t ulen)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, ulen);
	put16(f, 0);
}

static inline void
icmp(struct frame *f, uint8_t type, uint8_t code)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, 0x00010002);   /* id 1, seq 2 */
}

/* A complete TCP SYN from 203.0.113.5:1234 to 198.51.100.100:110. */
static inline void
tcp_syn(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.5", "198.51.100.100", 5, 20, 0, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
}

/* Initialise the EAL without hugepages or PCI, once per test program. */
int test_eal_init(const char *prefix);

struct rte_rcu_qsbr;

/* A QSBR variable (rte_free it) with threads 0..n-1 registered and
 * online, as workers are: each must report before a grace period ends. */
struct rte_rcu_qsbr *test_qsbr_online(unsigned int n);

#endif /* DSRLB_TEST_UTIL_H */
