/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Maglev, smooth WRR and the tuple hashes. No EAL. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>

#include "lb_sched.h"
#include "test_util.h"

static char names[128][16];

static void
backends(struct lb_sched_backend *b, unsigned int n, const uint32_t *w)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "fe%u", i + 1);
		b[i] = (struct lb_sched_backend){ .name = names[i],
			.id = (uint16_t)i, .weight = w != NULL ? w[i] : 100 };
	}
}

static void
count(const uint16_t *t, uint32_t size, uint32_t *c, unsigned int n)
{
	uint32_t i;

	memset(c, 0, n * sizeof(*c));
	for (i = 0; i < size; i++) {
		assert_true(t[i] < n);
		c[t[i]]++;
	}
}

static void
primes(void **state)
{
	(void)state;
	assert_false(lb_is_prime(0));
	assert_false(lb_is_prime(1));
	assert_true(lb_is_prime(2));
	assert_true(lb_is_prime(251));
	assert_true(lb_is_prime(65537));
	assert_false(lb_is_prime(65536));
	assert_false(lb_is_prime(65539 * 3));
	assert_true(lb_is_prime(LB_MAGLEV_MAX_SIZE));
}

static void
maglev_fills_every_entry(void **state)
{
	struct lb_sched_backend b[7];
	uint16_t t[251];
	uint32_t c[7], i;

	(void)state;
	backends(b, 7, NULL);
	assert_int_equal(lb_maglev_build(t, 251, b, 7), 0);
	count(t, 251, c, 7);   /* asserts every entry is a member */
	for (i = 0; i < 7; i++)
		assert_true(c[i] > 0);
}

static void
maglev_rejects_bad_input(void **state)
{
	struct lb_sched_backend b[2];
	uint16_t t[256];
	uint32_t w[2] = { 100, 0 };
	uint32_t i;

	(void)state;
	backends(b, 2, NULL);
	assert_int_equal(lb_maglev_build(t, 256, b, 2), -EINVAL);
	backends(b, 2, w);
	assert_int_equal(lb_maglev_build(t, 251, b, 2), -EINVAL);
	assert_int_equal(lb_maglev_build(t, 251, b, 0), 0);
	for (i = 0; i < 251; i++)
		assert_int_equal(t[i], LB_SCHED_NONE);
}

/* Shares within 1% of the weights' when the table has at least 100
 * entries per member. */
static void
check_shares(const uint32_t *w, unsigned int n, uint32_t size)
{
	struct lb_sched_backend b[128];
	uint16_t *t = malloc(size * sizeof(*t));
	uint32_t c[128], sum = 0, i;

	assert_non_null(t);
	backends(b, n, w);
	for (i = 0; i < n; i++)
		sum += b[i].weight;
	assert_int_equal(lb_maglev_build(t, size, b, n), 0);
	count(t, size, c, n);
	for (i = 0; i < n; i++) {
		double want = (double)size * b[i].weight / sum;

		if (c[i] < want * 0.99 || c[i] > want * 1.01)
			fail_msg("%u members, table %u: member %u has %u entries, want %.1f +-1%%",
				 n, size, i, c[i], want);
	}
	free(t);
}

static void
maglev_equal_weights_within_1_percent(void **state)
{
	(void)state;
	check_shares(NULL, 4, 65537);
	check_shares(NULL, 10, 1009);
	check_shares(NULL, 100, 10007);
	check_shares(NULL, 128, 65537);
}

static void
maglev_weighted_shares_within_1_percent(void **state)
{
	static const uint32_t w1[] = { 1, 2, 3, 4 };
	static const uint32_t w2[] = { 100, 200 };
	static const uint32_t w3[] = { 100, 100, 100, 200, 500, 1000 };

	(void)state;
	check_shares(w1, 4, 65537);
	check_shares(w2, 2, 65537);
	check_shares(w3, 6, 65537);
}

/* Removing one member moves its own entries and only a few others. */
static void
maglev_minimal_disruption_on_removal(void **state)
{
	enum { N = 10, M = 65537 };
	struct lb_sched_backend b[N];
	uint16_t *before = malloc(M * sizeof(*before));
	uint16_t *after = malloc(M * sizeof(*after));
	uint32_t moved = 0, i;

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	backends(b, N, NULL);
	assert_int_equal(lb_maglev_build(before, M, b, N), 0);
	/* remove fe4: the others keep their ids */
	memmove(&b[3], &b[4], (N - 4) * sizeof(b[0]));
	assert_int_equal(lb_maglev_build(after, M, b, N - 1), 0);
	for (i = 0; i < M; i++) {
		assert_int_not_equal(after[i], 3);
		if (before[i] != 3 && before[i] != after[i])
			moved++;
	}
	/* Maglev's paper: a few percent of the table besides the removed
	 * member's own tenth */
	if (moved > M / 20)
		fail_msg("%u of %u entries of surviving members moved", moved,
			 (uint32_t)M);
	free(before);
	free(after);
}

static void
maglev_independent_of_member_order(void **state)
{
	struct lb_sched_backend b[5], r[5];
	uint16_t t1[1009], t2[1009];
	unsigned int i;

	(void)state;
	backends(b, 5, NULL);
	for (i = 0; i < 5; i++)
		r[i] = b[4 - i];
	assert_int_equal(lb_maglev_build(t1, 1009, b, 5), 0);
	assert_int_equal(lb_maglev_build(t2, 1009, r, 5), 0);
	assert_memory_equal(t1, t2, sizeof(t1));
}

/* Name of the member whose id a table entry holds. */
static const char *
id_name(const struct lb_sched_backend *b, unsigned int n, uint16_t id)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (b[k].id == id)
			return b[k].name;
	fail_msg("table entry %u is no member", id);
	return NULL;
}

/*
 * Ids are member slots, which differ from one balancer to the next (the
 * order members were added and removed in): the same members (names and
 * weights) given in another array order, with other ids and names in
 * other memory, fill the same table once ids are read as names.
 */
static void
maglev_same_table_by_name_whatever_ids(void **state)
{
	enum { N = 12 };
	static const uint32_t w[N] = {
		100, 250, 1, 100, 100, 7, 300, 100, 50, 100, 65535, 100 };
	static const uint32_t sizes[] = { 251, 1009, 65537 };
	struct lb_sched_backend a[N], b[N], c[N];
	char nb[N][16], nc[N][16];
	uint16_t *ta = malloc(65537 * sizeof(*ta));
	uint16_t *tb = malloc(65537 * sizeof(*tb));
	uint16_t *tc = malloc(65537 * sizeof(*tc));
	unsigned int i, k, moved_ids = 0;

	(void)state;
	assert_true(ta != NULL && tb != NULL && tc != NULL);
	/* a: web1..web12 as ids 0..11 ("web10" sorts before "web2") */
	backends(a, N, w);
	for (i = 0; i < N; i++)
		snprintf(names[i], sizeof(names[i]), "web%u", i + 1);
	/* b: reversed, ids 1000 + 7k; c: shuffled (5k mod 12), ids 3k + 1 */
	for (k = 0; k < N; k++) {
		unsigned int rb = N - 1 - k, rc = (5 * k) % N;

		snprintf(nb[k], sizeof(nb[k]), "%s", names[rb]);
		b[k] = (struct lb_sched_backend){ .name = nb[k],
			.id = (uint16_t)(1000 + 7 * k), .weight = w[rb] };
		snprintf(nc[k], sizeof(nc[k]), "%s", names[rc]);
		c[k] = (struct lb_sched_backend){ .name = nc[k],
			.id = (uint16_t)(3 * k + 1), .weight = w[rc] };
	}
	for (i = 0; i < RTE_DIM(sizes); i++) {
		uint32_t size = sizes[i], e;

		assert_int_equal(lb_maglev_build(ta, size, a, N), 0);
		assert_int_equal(lb_maglev_build(tb, size, b, N), 0);
		assert_int_equal(lb_maglev_build(tc, size, c, N), 0);
		for (e = 0; e < size; e++) {
			const char *na = id_name(a, N, ta[e]);

			if (strcmp(na, id_name(b, N, tb[e])) != 0 ||
			    strcmp(na, id_name(c, N, tc[e])) != 0)
				fail_msg("table %u, entry %u: %s, %s, %s", size,
					 e, na, id_name(b, N, tb[e]),
					 id_name(c, N, tc[e]));
			moved_ids += ta[e] != tc[e];
		}
	}
	/* the ids themselves differ: equal by name is no accident */
	assert_true(moved_ids > 0);
	free(ta);
	free(tb);
	free(tc);
}

static void
maglev_lookup_returns_table_values(void **state)
{
	struct lb_sched_backend b[3];
	uint16_t t[251];
	uint32_t h;

	(void)state;
	backends(b, 3, NULL);
	assert_int_equal(lb_maglev_build(t, 251, b, 3), 0);
	for (h = 0; h < 100000; h += 7)
		assert_true(lb_maglev_lookup(t, 251, h * 2654435761u) < 3);
}

static void
expect_wrr(const uint32_t *w, unsigned int n, const char *want)
{
	struct lb_sched_backend b[8];
	uint16_t seq[LB_WRR_MAX_LEN];
	char got[64];
	uint32_t len, i;

	backends(b, n, w);
	len = lb_wrr_build(seq, b, n);
	assert_int_equal(len, strlen(want));
	for (i = 0; i < len; i++)
		got[i] = (char)('a' + seq[i]);
	got[len] = '\0';
	assert_string_equal(got, want);
}

static void
wrr_smooth_sequences(void **state)
{
	static const uint32_t w511[] = { 5, 1, 1 };
	static const uint32_t w321[] = { 3, 2, 1 };
	static const uint32_t weq[] = { 7, 7, 7, 7 };
	static const uint32_t w21[] = { 200, 100 };

	(void)state;
	expect_wrr(w511, 3, "aabacaa");
	expect_wrr(w321, 3, "abacba");
	expect_wrr(weq, 4, "abcd");
	expect_wrr(w21, 2, "aba");     /* gcd 100: period of 3 */
}

static void
wrr_counts_follow_weights_and_cap(void **state)
{
	static const uint32_t w[] = { 65535, 65521, 3 };
	struct lb_sched_backend b[3];
	static uint16_t seq[LB_WRR_MAX_LEN];
	uint32_t c[3] = { 0 }, len, i;

	(void)state;
	backends(b, 3, w);
	len = lb_wrr_len(b, 3);
	assert_int_equal(len, LB_WRR_MAX_LEN);
	assert_int_equal(lb_wrr_build(seq, b, 3), len);
	for (i = 0; i < len; i++)
		c[seq[i]]++;
	/* a prefix of the smooth sequence keeps the proportions */
	assert_true(c[0] > c[1] - 10 && c[0] < c[1] + 60);
	assert_true(c[2] <= 2);
	assert_int_equal(lb_wrr_len(b, 0), 0);
}

static void
tuple_hash_is_stable_and_field_selective(void **state)
{
	struct lb_tuple a = { .src_ip = ip4("203.0.113.5"),
			      .dst_ip = ip4("198.51.100.100"),
			      .src_port = 1234, .dst_port = 5060,
			      .proto = LB_IPPROTO_UDP };
	struct lb_tuple b = a;

	(void)state;
	assert_int_equal(lb_tuple_hash(&a), lb_tuple_hash(&b));
	b.src_port = 1235;
	assert_int_not_equal(lb_tuple_hash(&a), lb_tuple_hash(&b));
	/* source address alone ignores the port and the destination */
	b.dst_ip = ip4("198.51.100.101");
	assert_int_equal(lb_tuple_hash_fields(&a, LB_HASH_F_SRC_IP),
			 lb_tuple_hash_fields(&b, LB_HASH_F_SRC_IP));
	assert_int_not_equal(lb_tuple_hash_fields(&a, LB_HASH_F_DEFAULT),
			     lb_tuple_hash_fields(&b, LB_HASH_F_DEFAULT));
	/* the same value on every machine: flows survive a restart */
	assert_int_equal(lb_tuple_hash(&a), lb_tuple_hash(&a));
}

/* CRC32C of n bytes (a multiple of 8) from LB_HASH_SEED, as rte_hash()
 * computes it, read with memcpy (rte_hash_crc()'s own uint64_t loads of
 * a struct written field by field are outside C's aliasing rules). */
static uint32_t
crc_words(const void *p, size_t n)
{
	uint32_t h = LB_HASH_SEED;
	uint64_t v;
	size_t i;

	for (i = 0; i < n; i += 8) {
		memcpy(&v, (const uint8_t *)p + i, 8);
		h = rte_hash_crc_8byte(v, h);
	}
	return h;
}

/* lb_tuple_hash_fields() and lb_tuple6_hash_fields() as they were
 * written before they masked words: a copy of the tuple with the
 * unselected fields zero, hashed whole. */
static uint32_t
ref_hash_fields(const struct lb_tuple *t, uint8_t mask)
{
	struct lb_tuple k;

	memset(&k, 0, sizeof(k));
	k.proto = t->proto;
	if (mask & LB_HASH_F_SRC_IP)
		k.src_ip = t->src_ip;
	if (mask & LB_HASH_F_SRC_PORT)
		k.src_port = t->src_port;
	if (mask & LB_HASH_F_DST_IP)
		k.dst_ip = t->dst_ip;
	if (mask & LB_HASH_F_DST_PORT)
		k.dst_port = t->dst_port;
	return crc_words(&k, sizeof(k));
}

static uint32_t
ref_hash6_fields(const struct lb_tuple6 *t, uint8_t mask)
{
	struct lb_tuple6 k;

	memset(&k, 0, sizeof(k));
	k.proto = t->proto;
	if (mask & LB_HASH_F_SRC_IP)
		memcpy(k.src_ip, t->src_ip, sizeof(k.src_ip));
	if (mask & LB_HASH_F_SRC_PORT)
		k.src_port = t->src_port;
	if (mask & LB_HASH_F_DST_IP)
		memcpy(k.dst_ip, t->dst_ip, sizeof(k.dst_ip));
	if (mask & LB_HASH_F_DST_PORT)
		k.dst_port = t->dst_port;
	return crc_words(&k, sizeof(k));
}

/* The hashes built from whole words (no tuple written field by field
 * and read back in words) give what the field-by-field ones gave, for
 * every field mask: no flow moves to another member. */
static void
tuple_word_hashes_equal_the_field_by_field_ones(void **state)
{
	unsigned int i, mask;

	(void)state;
	srand(22);
	for (i = 0; i < 2000; i++) {
		struct lb_tuple t, set;
		struct lb_tuple6 t6;
		unsigned int j;

		memset(&t, 0, sizeof(t));
		memset(&t6, 0, sizeof(t6));
		t.src_ip = (uint32_t)rand() ^ (uint32_t)rand() << 16;
		t.dst_ip = (uint32_t)rand() ^ (uint32_t)rand() << 16;
		t.src_port = (uint16_t)rand();
		t.dst_port = (uint16_t)rand();
		t.proto = i % 2 ? LB_IPPROTO_TCP : LB_IPPROTO_UDP;
		for (j = 0; j < 16; j++) {
			t6.src_ip[j] = (uint8_t)rand();
			t6.dst_ip[j] = (uint8_t)rand();
		}
		t6.src_port = t.src_port;
		t6.dst_port = t.dst_port;
		t6.proto = t.proto;

		/* lb_tuple_set() writes the tuple the struct describes */
		memset(&set, 0xa5, sizeof(set));
		lb_tuple_set(&set, t.src_ip, t.dst_ip, t.src_port,
			     t.dst_port, t.proto);
		assert_memory_equal(&set, &t, sizeof(t));
		assert_int_equal(lb_tuple_hash(&t),
				 crc_words(&t, sizeof(t)));
		assert_int_equal(lb_tuple6_hash(&t6),
				 crc_words(&t6, sizeof(t6)));
		/* bits above the four fields are ignored, as before */
		for (mask = 0; mask < 256; mask += (mask < 16 ? 1 : 37)) {
			assert_int_equal(lb_tuple_hash_fields(&t, (uint8_t)mask),
					 ref_hash_fields(&t, (uint8_t)mask));
			assert_int_equal(lb_tuple6_hash_fields(&t6,
							       (uint8_t)mask),
					 ref_hash6_fields(&t6, (uint8_t)mask));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primes),
		cmocka_unit_test(maglev_fills_every_entry),
		cmocka_unit_test(maglev_rejects_bad_input),
		cmocka_unit_test(maglev_equal_weights_within_1_percent),
		cmocka_unit_test(maglev_weighted_shares_within_1_percent),
		cmocka_unit_test(maglev_minimal_disruption_on_removal),
		cmocka_unit_test(maglev_independent_of_member_order),
		cmocka_unit_test(maglev_same_table_by_name_whatever_ids),
		cmocka_unit_test(maglev_lookup_returns_table_values),
		cmocka_unit_test(wrr_smooth_sequences),
		cmocka_unit_test(wrr_counts_follow_weights_and_cap),
		cmocka_unit_test(tuple_hash_is_stable_and_field_selective),
		cmocka_unit_test(tuple_word_hashes_equal_the_field_by_field_ones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
