/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Addresses of both families (struct lb_ip): parsed, compared, printed
 * and walked through the same way, so VIP lists and messages treat an
 * IPv6 VIP as they treat an IPv4 one.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_config.h"

int
lb_ip_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct lb_ip));
}

int
lb_ip_parse_cidr(const char *s, unsigned int min4, unsigned int min6,
		 struct lb_ip *addr, uint8_t *prefix)
{
	char buf[LB_IP_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	struct lb_ip a;
	struct in_addr in;
	unsigned long len, bits;

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	/* inet_pton takes exactly a.b.c.d for IPv4: no shorthand, no
	 * octal; IPv6 in any of RFC 4291's forms */
	if (inet_pton(AF_INET, buf, &in) == 1) {
		a = lb_ip_from4(in.s_addr);
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, a.b) == 1 && !lb_ip_is4(&a)) {
		bits = 128;
	} else {
		return -EINVAL;
	}
	len = bits;
	if (slash != NULL) {
		char *end;

		if (!isdigit((unsigned char)slash[1]))
			return -ERANGE;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || len > bits)
			return -ERANGE;
	}
	if (len < (bits == 32 ? min4 : min6))
		return -ERANGE;
	*addr = a;
	*prefix = (uint8_t)len;
	return 0;
}

bool
lb_ip_cidr_aligned(const struct lb_ip *a, uint8_t prefix)
{
	unsigned int bit = 128 - lb_ip_bits(a) + prefix, i;

	for (i = bit; i < 128; i++)
		if (a->b[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool
lb_ip_reserved(const struct lb_ip *a)
{
	static const struct lb_ip loopback = { .b = { [15] = 1 } };

	if (lb_ip_is4(a))
		return lb_conf_addr_reserved(lb_ip_v4(a));
	return lb_ip_is_unset(a) || lb_ip_eq(a, &loopback) ||
	       a->b[0] == 0xff ||
	       (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80);
}

const char *
lb_ip_str(const struct lb_ip *a, char *buf)
{
	if (lb_ip_is4(a)) {
		struct in_addr in = { .s_addr = lb_ip_v4(a) };

		return inet_ntop(AF_INET, &in, buf, LB_IP_STRLEN);
	}
	return inet_ntop(AF_INET6, a->b, buf, LB_IP_STRLEN);
}

struct lb_ip
lb_ip_add(const struct lb_ip *a, uint32_t i)
{
	struct lb_ip r = *a;
	uint64_t carry = i;
	int k;

	/* the host part of a block is at most 32 bits: add into the last
	 * four bytes and carry no further than a block reaches */
	for (k = 15; k >= 12 && carry != 0; k--) {
		carry += r.b[k];
		r.b[k] = (uint8_t)carry;
		carry >>= 8;
	}
	return r;
}

struct lb_ip
lb_ip_net(const struct lb_ip *a, uint8_t prefix)
{
	struct lb_ip r = *a;
	unsigned int i;

	for (i = 128 - lb_ip_bits(a) + prefix; i < 128; i++)
		r.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return r;
}

/* IPv4 addresses as the configuration holds them (network order) */

int
lb_conf_parse_cidr(const char *s, unsigned int min_prefix, uint32_t *addr,
		   uint8_t *prefix)
{
	struct lb_ip a;
	uint8_t len;
	int rc;

	/* an IPv4 address, never an IPv6 one (which has a colon) */
	if (strchr(s, ':') != NULL)
		return -EINVAL;
	rc = lb_ip_parse_cidr(s, min_prefix, 0, &a, &len);
	if (rc != 0)
		return rc;
	*addr = lb_ip_v4(&a);
	*prefix = len;
	return 0;
}

bool
lb_conf_cidr_aligned(uint32_t addr, uint8_t prefix)
{
	uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);

	return (ntohl(addr) & ~mask) == 0;
}

bool
lb_conf_in_subnet(uint32_t addr, uint32_t net, uint8_t prefix)
{
	uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);

	return ((ntohl(addr) ^ ntohl(net)) & mask) == 0;
}

bool
lb_conf_addr_reserved(uint32_t addr)
{
	uint8_t first = (uint8_t)(ntohl(addr) >> 24);

	return first == 0 || first == 127 || first >= 224;
}

const char *
lb_conf_ip_str(uint32_t addr, char *buf)
{
	struct in_addr in = { .s_addr = addr };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}
