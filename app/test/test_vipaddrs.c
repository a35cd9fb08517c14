/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The seed's vipaddrs format. No EAL. */

#include <errno.h>
#include <stdlib.h>

#include "lb_config.h"
#include "test_util.h"

static unsigned int
parse_ok(const char *text, uint32_t **v)
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
	uint32_t *v;

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
	uint32_t *v;
	unsigned int n;

	(void)state;
	n = parse_ok("# single addresses\n\n72.20.112.45\n   \n"
		     "72.20.112.46   # trailing comment\r\n# the end", &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0], ip4("72.20.112.45"));
	assert_int_equal(v[1], ip4("72.20.112.46"));
	free(v);
}

static void
vipaddrs_subnets_24_to_32(void **state)
{
	uint32_t *v;
	unsigned int n;

	(void)state;
	n = parse_ok("72.20.112.48/29\n", &v);
	assert_int_equal(n, 8);
	assert_int_equal(v[0], ip4("72.20.112.48"));
	assert_int_equal(v[7], ip4("72.20.112.55"));
	free(v);
	n = parse_ok("198.51.100.0/24", &v);
	assert_int_equal(n, 256);
	assert_int_equal(v[255], ip4("198.51.100.255"));
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
		    "vipaddrs:3: \"198.51.100.0/23\": subnet masks must be /24 to /32");
}

static void
vipaddrs_rejects_garbage(void **state)
{
	(void)state;
	parse_error("198.51.100.50/29", "vipaddrs:1: \"198.51.100.50/29\" has host bits set (the subnet is 198.51.100.48/29)");
	parse_error("\n300.1.1.1", "vipaddrs:2: \"300.1.1.1\" is not an IPv4");
	parse_error("198.51.100.1 198.51.100.2", "vipaddrs:1: one address or subnet per line");
	parse_error("198.51.100.1/", "vipaddrs:1:");
	parse_error("198.51.100.1/33", "vipaddrs:1:");
	parse_error("10.1", "vipaddrs:1:");
	parse_error("# none\n0.0.0.0", "vipaddrs:2: 0.0.0.0 cannot be a VIP");
	parse_error("127.0.0.0/24", "vipaddrs:1: 127.0.0.0 cannot be a VIP");
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
		cmocka_unit_test(cidr_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
