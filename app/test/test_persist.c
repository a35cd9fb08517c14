/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Client persistence records: expiry (before and after the timeout, a
 * shortened timeout, the 2^18-second wrap), refresh, replacement in a
 * full bucket, forgetting a member, tables of two services apart.
 * Needs the EAL (rte_malloc). */

#include <errno.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "lb_persist.h"
#include "test_util.h"

#define WRAP (1u << 18)   /* expiry is kept modulo 2^18 seconds */

static uint32_t g;        /* a record's generation, from lookups */

static int
setup(void **state)
{
	(void)state;
	return test_eal_init("test_persist");
}

static int
teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static uint32_t
client(unsigned int i)
{
	return htonl(0xcb007100u + i);   /* 203.0.113.i */
}

static void
persist_rejects_bad_size(void **state)
{
	(void)state;
	assert_null(lb_persist_create(0, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
}

/* A record holds for timeout_s seconds after it was written, then not;
 * a reader whose clock is a second behind the writer's still sees it. */
static void
persist_record_expires_after_timeout(void **state)
{
	struct lb_persist *p = lb_persist_create(1024, SOCKET_ID_ANY);
	uint32_t t;

	(void)state;
	assert_non_null(p);
	assert_int_equal(lb_persist_lookup(p, client(1), 100, 15, &g), -1);
	lb_persist_store(p, client(1), 3, 0, 100, 15);
	for (t = 100; t < 115; t++)
		assert_int_equal(lb_persist_lookup(p, client(1), t, 15, &g), 3);
	assert_int_equal(lb_persist_lookup(p, client(1), 115, 15, &g), -1);
	assert_int_equal(lb_persist_lookup(p, client(1), 1000, 15, &g), -1);
	assert_int_equal(lb_persist_lookup(p, client(1), 99, 15, &g), 3);
	assert_int_equal(lb_persist_lookup(p, client(2), 100, 15, &g), -1);
	assert_int_equal(lb_persist_count(p, 100, 15), 1);
	assert_int_equal(lb_persist_count(p, 115, 15), 0);
	lb_persist_free(p);
}

/* Each new flow (or closed one) refreshes the record: the timeout
 * counts from the client's last activity; the member may change. */
static void
persist_refresh_extends_and_replaces(void **state)
{
	struct lb_persist *p = lb_persist_create(1024, SOCKET_ID_ANY);

	(void)state;
	assert_non_null(p);
	lb_persist_store(p, client(1), 3, 0, 100, 15);
	lb_persist_store(p, client(1), 3, 0, 110, 15);
	assert_int_equal(lb_persist_lookup(p, client(1), 124, 15, &g), 3);
	assert_int_equal(lb_persist_lookup(p, client(1), 125, 15, &g), -1);
	lb_persist_store(p, client(1), 9, 0, 130, 15);
	assert_int_equal(lb_persist_lookup(p, client(1), 131, 15, &g), 9);
	assert_int_equal(lb_persist_count(p, 131, 15), 1);
	lb_persist_free(p);
}

/* A record written under a longer timeout is no longer valid when the
 * service's timeout is shortened below its remaining time. */
static void
persist_shortened_timeout_expires_longer_records(void **state)
{
	struct lb_persist *p = lb_persist_create(1024, SOCKET_ID_ANY);

	(void)state;
	assert_non_null(p);
	lb_persist_store(p, client(1), 3, 0, 100, 3600);
	assert_int_equal(lb_persist_lookup(p, client(1), 200, 3600, &g), 3);
	assert_int_equal(lb_persist_lookup(p, client(1), 200, 15, &g), -1);
	/* its last 15 seconds are valid again */
	assert_int_equal(lb_persist_lookup(p, client(1), 3690, 15, &g), 3);
	lb_persist_free(p);
}

/* Expiry is compared modulo 2^22 seconds: records written just before
 * the wrap hold just after it, and expire on time. */
static void
persist_expiry_survives_wrap(void **state)
{
	struct lb_persist *p = lb_persist_create(1024, SOCKET_ID_ANY);
	uint32_t base, t;

	(void)state;
	assert_non_null(p);
	for (base = WRAP - 5; base < 3 * WRAP; base += WRAP) {
		lb_persist_store(p, client(1), 4, 0, base, 15);
		for (t = base; t < base + 15; t++)
			assert_int_equal(lb_persist_lookup(p, client(1), t, 15, &g),
					 4);
		assert_int_equal(lb_persist_lookup(p, client(1), base + 15, 15, &g),
				 -1);
	}
	/* an expiry of exactly 0 mod 2^22 lasts one second longer (0 marks
	 * a free slot) */
	lb_persist_store(p, client(2), 6, 0, WRAP - 15, 15);
	assert_int_equal(lb_persist_lookup(p, client(2), WRAP - 1, 15, &g), 6);
	assert_int_equal(lb_persist_lookup(p, client(2), WRAP, 15, &g), 6);
	assert_int_equal(lb_persist_lookup(p, client(2), WRAP + 1, 15, &g), -1);
	lb_persist_free(p);
}

/* A /0 netmask makes every client 0.0.0.0: a free slot is never taken
 * for its record, whatever the time. */
static void
persist_client_zero_is_not_a_free_slot(void **state)
{
	struct lb_persist *p = lb_persist_create(64, SOCKET_ID_ANY);
	uint32_t t;

	(void)state;
	assert_non_null(p);
	for (t = 0; t < 40; t++)
		assert_int_equal(lb_persist_lookup(p, 0, WRAP - 20 + t, 15, &g), -1);
	lb_persist_store(p, 0, 7, 0, 50, 15);
	assert_int_equal(lb_persist_lookup(p, 0, 51, 15, &g), 7);
	lb_persist_free(p);
}

/* One bucket (a table of 8): a new client takes an expired slot first,
 * else the record that expires first; the others stay. */
static void
persist_full_bucket_replaces_soonest_to_expire(void **state)
{
	struct lb_persist *p = lb_persist_create(LB_PERSIST_WAYS,
						 SOCKET_ID_ANY);
	unsigned int i;

	(void)state;
	assert_non_null(p);
	for (i = 1; i <= 8; i++)
		lb_persist_store(p, client(i), (uint16_t)i, 0, 100 + i, 15);
	lb_persist_store(p, client(9), 9, 0, 110, 15);
	assert_int_equal(lb_persist_lookup(p, client(1), 110, 15, &g), -1);
	for (i = 2; i <= 9; i++)
		assert_int_equal(lb_persist_lookup(p, client(i), 110, 15, &g),
				 (int)i);
	/* at 118 clients 2 and 3 have expired: 10 and 11 take their slots */
	lb_persist_store(p, client(10), 10, 0, 118, 15);
	lb_persist_store(p, client(11), 11, 0, 118, 15);
	for (i = 4; i <= 11; i++)
		assert_int_equal(lb_persist_lookup(p, client(i), 118, 15, &g),
				 (int)i);
	assert_int_equal(lb_persist_count(p, 118, 15), 8);
	lb_persist_free(p);
}

/* A record keeps its member's generation: a member that takes a
 * removed member's slot (the next generation) is not named by the
 * removed one's records, however late they were written; other members'
 * records stay as they are. */
static void
persist_record_names_the_generation(void **state)
{
	struct lb_persist *p = lb_persist_create(1024, SOCKET_ID_ANY);
	uint32_t gen = 99;
	unsigned int i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < 100; i++)
		lb_persist_store(p, client(i), i % 2 ? 3 : 1023,
				 i % 2 ? 7 : 40000, 100, 15);
	for (i = 0; i < 100; i++) {
		assert_int_equal(lb_persist_lookup(p, client(i), 101, 15, &gen),
				 i % 2 ? 3 : 1023);
		/* slot 3 now holds generation 8: its records do not match */
		assert_true(lb_persist_gen_matches(gen, i % 2 ? 7 : 40000));
		assert_false(lb_persist_gen_matches(gen, i % 2 ? 8 : 40001));
	}
	/* the low bits only: 16 generations later they match again */
	assert_true(lb_persist_gen_matches(gen, 7 + 16));   /* client 99 */
	/* a record written for generation 8 replaces the client's */
	lb_persist_store(p, client(1), 3, 8, 102, 15);
	assert_int_equal(lb_persist_lookup(p, client(1), 103, 15, &gen), 3);
	assert_true(lb_persist_gen_matches(gen, 8));
	assert_int_equal(lb_persist_count(p, 103, 15), 100);
	lb_persist_free(p);
}

/* Services have tables of their own: a client's member for one is not
 * its member for the other. */
static void
persist_services_are_independent(void **state)
{
	struct lb_persist *a = lb_persist_create(1024, SOCKET_ID_ANY);
	struct lb_persist *b = lb_persist_create(1024, SOCKET_ID_ANY);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	lb_persist_store(a, client(1), 2, 0, 100, 15);
	assert_int_equal(lb_persist_lookup(b, client(1), 100, 15, &g), -1);
	lb_persist_store(b, client(1), 5, 0, 100, 60);
	assert_int_equal(lb_persist_lookup(a, client(1), 110, 15, &g), 2);
	assert_int_equal(lb_persist_lookup(b, client(1), 110, 60, &g), 5);
	assert_int_equal(lb_persist_lookup(a, client(1), 120, 15, &g), -1);
	assert_int_equal(lb_persist_lookup(b, client(1), 120, 60, &g), 5);
	lb_persist_free(a);
	lb_persist_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(persist_rejects_bad_size),
		cmocka_unit_test(persist_record_expires_after_timeout),
		cmocka_unit_test(persist_refresh_extends_and_replaces),
		cmocka_unit_test(persist_shortened_timeout_expires_longer_records),
		cmocka_unit_test(persist_expiry_survives_wrap),
		cmocka_unit_test(persist_client_zero_is_not_a_free_slot),
		cmocka_unit_test(persist_full_bucket_replaces_soonest_to_expire),
		cmocka_unit_test(persist_record_names_the_generation),
		cmocka_unit_test(persist_services_are_independent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
