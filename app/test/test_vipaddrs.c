/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The seed's vipaddrs format. No EAL. */

#include <errno.h>
#include <stdlib.h>

#include "lb_config.h"
#include "test_util.h"

static unsigned int
parse_ok(const char *text, struct lb_ip **v)
{
	struct lb_conf_error err;
	unsigned int n = 0;

	if (lb_vipaddrs_parse(text, "vipaddrs", v, &n, &err) != 0)
		fail_msg("refused: %s", err.msg);
	return n;
}

static void
parse_error(const char *text, const char *want)
{
	struct lb_conf_error err;
	unsigned int n;
	struct lb_ip *v;

	if (lb_vipaddrs_parse(text, "vipaddrs", &v, &n, &err) == 0) {
		free(v);
		fail_msg("accepted \"%s\"", text);
	}
	if (strstr(err.msg, want) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", err.msg, want);
}

static void
vipaddrs_comments_and_blank_lines(void **state)
{
	struct lb_ip *v;
	unsigned int n;

	(void)state;
	n = parse_ok("# single addresses\n\n72.20.112.45\n   \n"
		     "72.20.112.46   # trailing comment\r\n# the end", &v);
	assert_int_equal(n, 2);
	assert_ip_equal(v[0], "72.20.112.45");
	assert_ip_equal(v[1], "72.20.112.46");
	free(v);
}

static void
vipaddrs_subnets_24_to_32(void **state)
{
	struct lb_ip *v;
	unsigned int n;

	(void)state;
	n = parse_ok("72.20.112.48/29\n", &v);
	assert_int_equal(n, 8);
	assert_ip_equal(v[0], "72.20.112.48");
	assert_ip_equal(v[7], "72.20.112.55");
	free(v);
	n = parse_ok("198.51.100.0/24", &v);
	assert_int_equal(n, 256);
	assert_ip_equal(v[255], "198.51.100.255");
	free(v);
	n = parse_ok("198.51.100.7/32\n198.51.100.8\n", &v);
	assert_int_equal(n, 2);
	free(v);
}

static void
vipaddrs_rejects_mask_23_with_line(void **state)
{
	(void)state;
	parse_error("# c\n198.51.100.1\n198.51.100.0/23\n",
		    "vipaddrs:3: \"198.51.100.0/23\": subnet masks must be /24 to /32 (IPv4) or /120 to /128 (IPv6)");
}

static void
vipaddrs_rejects_garbage(void **state)
{
	(void)state;
	parse_error("198.51.100.50/29", "vipaddrs:1: \"198.51.100.50/29\" has host bits set (the subnet is 198.51.100.48/29)");
	parse_error("\n300.1.1.1", "vipaddrs:2: \"300.1.1.1\" is not an IPv4 or IPv6 address");
	parse_error("198.51.100.1 198.51.100.2", "vipaddrs:1: one address or subnet per line");
	parse_error("198.51.100.1/", "vipaddrs:1:");
	parse_error("198.51.100.1/33", "vipaddrs:1:");
	parse_error("10.1", "vipaddrs:1:");
	parse_error("# none\n0.0.0.0", "vipaddrs:2: 0.0.0.0 cannot be a VIP");
	parse_error("127.0.0.0/24", "vipaddrs:1: 127.0.0.0 cannot be a VIP");
}

/* IPv6 lines beside IPv4 ones: /120 to /128, aligned, never a reserved
 * address */
static void
vipaddrs_ipv6(void **state)
{
	struct lb_ip *v;
	unsigned int n;

	(void)state;
	n = parse_ok("198.51.100.7\n2001:db8::1:0/126 # four\n2001:DB8::ff\n", &v);
	assert_int_equal(n, 6);
	assert_ip_equal(v[0], "198.51.100.7");
	assert_ip_equal(v[1], "2001:db8::1:0");
	assert_ip_equal(v[4], "2001:db8::1:3");
	assert_ip_equal(v[5], "2001:db8::ff");
	free(v);
	n = parse_ok("2001:db8:ffff::ff00/120", &v);
	assert_int_equal(n, 256);
	assert_ip_equal(v[255], "2001:db8:ffff::ffff");
	free(v);
	parse_error("2001:db8::/119", "vipaddrs:1: \"2001:db8::/119\": subnet masks must be /24 to /32 (IPv4) or /120 to /128 (IPv6)");
	parse_error("2001:db8::8/124", "vipaddrs:1: \"2001:db8::8/124\" has host bits set (the subnet is 2001:db8::/124)");
	parse_error("2001:db8::1/129", "vipaddrs:1:");
	parse_error("2001:db8:::1", "vipaddrs:1: \"2001:db8:::1\" is not an IPv4 or IPv6 address");
	parse_error("fe80::1", "vipaddrs:1: fe80::1 cannot be a VIP");
	parse_error("ff05::100/128", "vipaddrs:1: ff05::100 cannot be a VIP");
	parse_error("::1", "vipaddrs:1: ::1 cannot be a VIP");
}

/* struct lb_ip: both families in one type */
static void
ip_helpers(void **state)
{
	struct lb_ip a, b;
	char buf[LB_IP_STRLEN];
	uint8_t p;

	(void)state;
	assert_int_equal(lb_ip_parse_cidr("198.51.100.2/24", 8, 64, &a, &p), 0);
	assert_true(lb_ip_is4(&a));
	assert_int_equal(lb_ip_v4(&a), ip4("198.51.100.2"));
	assert_int_equal(p, 24);
	assert_false(lb_ip_cidr_aligned(&a, 24));
	b = lb_ip_net(&a, 24);
	assert_string_equal(lb_ip_str(&b, buf), "198.51.100.0");
	assert_true(lb_ip_cidr_aligned(&b, 24));
	assert_int_equal(lb_ip_parse_cidr("2001:db8::2/64", 8, 64, &a, &p), 0);
	assert_false(lb_ip_is4(&a));
	assert_int_equal(p, 64);
	assert_false(lb_ip_cidr_aligned(&a, 64));
	assert_true(lb_ip_cidr_aligned(&a, 128));
	assert_int_equal(lb_ip_parse_cidr("2001:db8::2/63", 8, 64, &a, &p),
			 -ERANGE);
	assert_int_equal(lb_ip_parse_cidr("198.51.100.2/7", 8, 64, &a, &p),
			 -ERANGE);
	assert_int_equal(lb_ip_parse_cidr("::ffff:1.2.3.4", 0, 0, &a, &p),
			 -EINVAL);
	/* a block's addresses carry across bytes */
	a = ipx("2001:db8::ff");
	b = lb_ip_add(&a, 1);
	assert_string_equal(lb_ip_str(&b, buf), "2001:db8::100");
	a = ipx("198.51.100.255");
	b = lb_ip_add(&a, 0);
	assert_true(lb_ip_eq(&a, &b));
	/* IPv4 sorts before IPv6 */
	a = ipx("255.255.255.254");
	b = ipx("2001:db8::");
	assert_true(lb_ip_cmp(&a, &b) < 0);
	assert_true(lb_ip_reserved(&(struct lb_ip){ { 0 } }));
	b = ipx("fe80::1");
	assert_true(lb_ip_reserved(&b));
	b = ipx("febf::1");
	assert_true(lb_ip_reserved(&b));
	b = ipx("fec0::1");
	assert_false(lb_ip_reserved(&b));
}

static void
cidr_helpers(void **state)
{
	uint32_t a;
	uint8_t p;

	(void)state;
	assert_int_equal(lb_conf_parse_cidr("198.51.100.2/24", 8, &a, &p), 0);
	assert_int_equal(p, 24);
	assert_false(lb_conf_cidr_aligned(a, p));
	assert_true(lb_conf_cidr_aligned(ip4("198.51.100.0"), 24));
	assert_int_equal(lb_conf_parse_cidr("198.51.100.2", 8, &a, &p), 0);
	assert_int_equal(p, 32);
	assert_int_equal(lb_conf_parse_cidr("198.51.100.2/7", 8, &a, &p),
			 -ERANGE);
	assert_int_equal(lb_conf_parse_cidr("198.051.100.2", 8, &a, &p),
			 -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vipaddrs_comments_and_blank_lines),
		cmocka_unit_test(vipaddrs_subnets_24_to_32),
		cmocka_unit_test(vipaddrs_rejects_mask_23_with_line),
		cmocka_unit_test(vipaddrs_rejects_garbage),
		cmocka_unit_test(vipaddrs_ipv6),
		cmocka_unit_test(ip_helpers),
		cmocka_unit_test(cidr_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
