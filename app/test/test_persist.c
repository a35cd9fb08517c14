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

/* A peer's record (flow sync) is stored for the seconds it has left
 * there, never more than the timeout; left 0 stores nothing. A record
 * that lives as long or longer here stays (this balancer chose for the
 * client since, or heard it first); a shorter or expired one gives way.
 * Guards persist.c lb_persist_merge(): "if (left_s > timeout_s)" and
 * "rec_remaining(...) >= left_s". */
static void
persist_merge_stores_what_is_left_never_a_longer_life(void **state)
{
	struct lb_persist *p = lb_persist_create(1024, SOCKET_ID_ANY);

	(void)state;
	assert_non_null(p);
	/* 30 of a 60 s timeout left at the peer: 30 s here */
	lb_persist_merge(p, client(1), 3, 0, 100, 60, 30);
	assert_int_equal(lb_persist_lookup(p, client(1), 129, 60, &g), 3);
	assert_int_equal(lb_persist_lookup(p, client(1), 130, 60, &g), -1);
	/* more than the timeout: the timeout */
	lb_persist_merge(p, client(2), 4, 0, 100, 60, 5000);
	assert_int_equal(lb_persist_lookup(p, client(2), 159, 60, &g), 4);
	assert_int_equal(lb_persist_lookup(p, client(2), 160, 60, &g), -1);
	/* nothing left: nothing stored */
	lb_persist_merge(p, client(3), 5, 0, 100, 60, 0);
	assert_int_equal(lb_persist_lookup(p, client(3), 100, 60, &g), -1);
	/* ours lives until 160: as long (50 s at 110) or longer stays */
	lb_persist_store(p, client(4), 5, 0, 100, 60);
	lb_persist_merge(p, client(4), 6, 0, 110, 60, 50);
	lb_persist_merge(p, client(4), 6, 0, 110, 60, 20);
	assert_int_equal(lb_persist_lookup(p, client(4), 159, 60, &g), 5);
	assert_int_equal(lb_persist_lookup(p, client(4), 160, 60, &g), -1);
	/* ours has 10 s left at 150: the peer's newer choice, 40 s, wins,
	 * in the client's one slot */
	lb_persist_store(p, client(5), 5, 0, 100, 60);
	lb_persist_merge(p, client(5), 7, 2, 150, 60, 40);
	assert_int_equal(lb_persist_lookup(p, client(5), 189, 60, &g), 7);
	assert_true(lb_persist_gen_matches(g, 2));
	assert_int_equal(lb_persist_lookup(p, client(5), 190, 60, &g), -1);
	/* ours expired: the peer's is taken */
	lb_persist_store(p, client(6), 5, 0, 100, 60);
	lb_persist_merge(p, client(6), 8, 0, 170, 60, 10);
	assert_int_equal(lb_persist_lookup(p, client(6), 179, 60, &g), 8);
	assert_int_equal(lb_persist_count(p, 170, 60), 2);  /* clients 5, 6 */
	lb_persist_free(p);
}

/* Send every live record of one balancer's table to the other's, as
 * flow sync does: each with a second less than it has left (the time
 * it travels). */
static void
pass_records(const struct lb_persist *from, struct lb_persist *to,
	     uint32_t now_s, uint32_t timeout_s)
{
	struct lb_persist_rec rec;
	uint32_t i;

	for (i = 0; i < lb_persist_slots(from); i++)
		if (lb_persist_read(from, i, now_s, timeout_s, &rec))
			lb_persist_merge(to, rec.client, rec.member, rec.gen,
					 now_s, timeout_s, rec.left_s - 1);
}

/* Two balancers passing a record back and forth, each sending what it
 * has with a second less, never extend it: it expires where it was
 * made to, at both. The issue this guards: copies refreshing each
 * other so that synced state never expired. */
static void
persist_merge_back_and_forth_never_extends(void **state)
{
	struct lb_persist *a = lb_persist_create(1024, SOCKET_ID_ANY);
	struct lb_persist *b = lb_persist_create(1024, SOCKET_ID_ANY);
	struct lb_persist_rec rec;
	uint32_t now, i, live;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* a's client chose member 3 at 100: until 160 */
	lb_persist_store(a, client(1), 3, 0, 100, 60);
	for (now = 100; now < 170; now += 2) {
		pass_records(a, b, now, 60);
		pass_records(b, a, now + 1, 60);
		/* what either holds ends by 160 */
		for (i = 0, live = 0; i < lb_persist_slots(a); i++) {
			if (lb_persist_read(a, i, now + 1, 60, &rec)) {
				assert_true(now + 1 + rec.left_s <= 160);
				live++;
			}
			if (lb_persist_read(b, i, now + 1, 60, &rec)) {
				assert_int_equal(rec.member, 3);
				assert_true(now + 1 + rec.left_s < 160);
				live++;
			}
		}
		assert_int_equal(live, now + 1 < 160 ? 1 + (now + 2 < 160) : 0);
	}
	assert_int_equal(lb_persist_lookup(a, client(1), 160, 60, &g), -1);
	assert_int_equal(lb_persist_lookup(b, client(1), 160, 60, &g), -1);
	assert_int_equal(lb_persist_count(a, 160, 60), 0);
	assert_int_equal(lb_persist_count(b, 160, 60), 0);
	lb_persist_free(a);
	lb_persist_free(b);
}

/* lb_persist_slots() and lb_persist_read() walk a table from any
 * thread (flow sync's announcement of records): every live record,
 * with its client, member, generation and seconds left, once; expired
 * and free slots, and records not valid under the timeout given, are
 * skipped. */
static void
persist_read_walks_live_records_only(void **state)
{
	struct lb_persist *p = lb_persist_create(64, SOCKET_ID_ANY);
	unsigned int seen[11] = { 0 }, n = 0;
	struct lb_persist_rec rec;
	uint32_t i, k;

	(void)state;
	assert_non_null(p);
	assert_int_equal(lb_persist_slots(p), 64);
	assert_false(lb_persist_read(p, 0, 100, 15, &rec));
	/* client i until 115 + i */
	for (i = 1; i <= 10; i++)
		lb_persist_store(p, client(i), (uint16_t)(100 + i), i, 100 + i,
				 15);
	/* at 120, clients 6 to 10 are live, with i - 5 seconds left */
	for (k = 0; k < lb_persist_slots(p); k++) {
		if (!lb_persist_read(p, k, 120, 15, &rec))
			continue;
		i = ntohl(rec.client) - 0xcb007100u;
		assert_true(i >= 6 && i <= 10);
		assert_int_equal(rec.member, 100 + i);
		assert_true(lb_persist_gen_matches(rec.gen, i));
		assert_int_equal(rec.left_s, i - 5);
		seen[i]++;
		n++;
	}
	assert_int_equal(n, 5);
	for (i = 6; i <= 10; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(n, lb_persist_count(p, 120, 15));
	/* under a 3 s timeout, more than 3 s (and the skew second) left
	 * is not valid: clients 6 to 9 */
	for (k = 0, n = 0; k < lb_persist_slots(p); k++)
		n += lb_persist_read(p, k, 120, 3, &rec);
	assert_int_equal(n, 4);
	/* past the last slot: nothing */
	assert_false(lb_persist_read(p, lb_persist_slots(p), 120, 15, &rec));
	lb_persist_free(p);
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
		cmocka_unit_test(persist_merge_stores_what_is_left_never_a_longer_life),
		cmocka_unit_test(persist_merge_back_and_forth_never_extends),
		cmocka_unit_test(persist_read_walks_live_records_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
