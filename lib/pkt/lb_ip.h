/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_IP_H
#define LB_IP_H

/**
 * @file
 * One address type for both families, shared by every layer that keys,
 * compares or sends to an address (the config's parsers and printers of
 * it are lib/config's).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/**
 * An address of either family. IPv4 is held as ::ffff:a.b.c.d (RFC 4291
 * 2.5.5.2), so one list, one order and one printer serve both families;
 * IPv4 sorts before every IPv6 address a VIP may be.
 */
struct lb_ip {
	uint8_t b[16];
};

/** True for an IPv4 address (::ffff:0:0/96). */
static inline bool
lb_ip_is4(const struct lb_ip *a)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, mapped, sizeof(mapped)) == 0;
}

/** The IPv4 address of an lb_ip_is4() address, network order. */
static inline uint32_t
lb_ip_v4(const struct lb_ip *a)
{
	uint32_t v;

	memcpy(&v, &a->b[12], sizeof(v));
	return v;
}

/** An IPv4 address (network order) as an lb_ip. */
static inline struct lb_ip
lb_ip_from4(uint32_t addr)
{
	struct lb_ip a = { .b = { [10] = 0xff, [11] = 0xff } };

	memcpy(&a.b[12], &addr, sizeof(addr));
	return a;
}

/** True if a and b are the same address. */
static inline bool
lb_ip_eq(const struct lb_ip *a, const struct lb_ip *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/** True for ::, which no address of either family is (a service's
 *  "vip": "*"). */
static inline bool
lb_ip_is_unset(const struct lb_ip *a)
{
	static const struct lb_ip zero;

	return lb_ip_eq(a, &zero);
}

/** The family's prefix length of a (32 or 128). */
static inline unsigned int
lb_ip_bits(const struct lb_ip *a)
{
	return lb_ip_is4(a) ? 32 : 128;
}

/** True for an IPv6 link-local address (fe80::/10). */
static inline bool
lb_ip_link_local(const struct lb_ip *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/** The link-local address a host derives from its MAC (modified EUI-64,
 *  RFC 4291 2.5.1 and appendix A): fe80::xxxx:xxff:fexx:xxxx. */
static inline struct lb_ip
lb_ip_link_local_of(const uint8_t *mac)
{
	struct lb_ip a = { .b = { 0xfe, 0x80 } };

	a.b[8] = mac[0] ^ 0x02;
	a.b[9] = mac[1];
	a.b[10] = mac[2];
	a.b[11] = 0xff;
	a.b[12] = 0xfe;
	a.b[13] = mac[3];
	a.b[14] = mac[4];
	a.b[15] = mac[5];
	return a;
}

/**
 * True if a is in the subnet net/prefix, prefix in net's family's bits
 * (lb_ip_bits()): an address of the other family never is.
 */
static inline bool
lb_ip_in_net(const struct lb_ip *a, const struct lb_ip *net, uint8_t prefix)
{
	unsigned int bits = 128 - lb_ip_bits(net) + prefix;
	unsigned int whole = bits / 8, rest = bits % 8;

	if (lb_ip_is4(a) != lb_ip_is4(net) || memcmp(a->b, net->b, whole) != 0)
		return false;
	return rest == 0 ||
	       ((a->b[whole] ^ net->b[whole]) & (uint8_t)(0xff00 >> rest)) == 0;
}

#endif /* LB_IP_H */
