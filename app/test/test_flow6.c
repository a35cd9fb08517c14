/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The flow table of the IPv6 family: 40-byte keys through the same
 * implementation as IPv4's 16-byte ones. Every byte of a key counts
 * (addresses that differ in their first or last byte only, ports,
 * protocol), a key is hashed again by the table's family wherever it is
 * (delete, read), and admission, eviction, expiry, grace periods and
 * the audit behave as test_flow.c shows them for IPv4. Also the IPv6
 * tuple's hashes. Needs the EAL (rte_hash, rte_malloc). */

#include <errno.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "lb_flow.h"
#include "test_util.h"

/* Where the fields of a key end and its padding starts. */
#define KEY_BYTES offsetof(struct lb_tuple6, pad)

static void
ip6(uint8_t *a, const char *s)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		fail_msg("bad IPv6 address %s", s);
}

/*
 * Flow i: sixteen connections per client address (ports 40000 to
 * 40015), clients in 2001:db8:c1::/96, to [2001:db8:100::100]:110.
 * Flows of one client differ only in the source port, past the first 16
 * bytes of the key: a table that compared or hashed fewer bytes would
 * take them for one flow.
 */
static struct lb_tuple6
key6(uint32_t i)
{
	struct lb_tuple6 k = { .src_port = (uint16_t)(40000 + i % 16),
			       .dst_port = 110, .proto = LB_IPPROTO_TCP };
	uint32_t host = htonl(i / 16);

	ip6(k.src_ip, "2001:db8:c1::");
	memcpy(&k.src_ip[12], &host, sizeof(host));
	ip6(k.dst_ip, "2001:db8:100::100");
	return k;
}

static uint32_t
sig6(const struct lb_tuple6 *k)
{
	return lb_tuple6_hash(k);
}

/* Add flow i in a state, expiring at expire. */
static int32_t
add_in_state(struct lb_flow_table *t, uint32_t i, uint8_t st, uint32_t expire)
{
	struct lb_tuple6 k = key6(i);
	int32_t pos = lb_flow_add(t, &k, sig6(&k), st == LB_FLOW_TCP_MID);

	assert_true(pos >= 0);
	lb_flow_set_state(t, lb_flow_at(t, pos), st);
	lb_flow_at(t, pos)->expire = expire;
	return pos;
}

static bool
present(struct lb_flow_table *t, uint32_t i)
{
	struct lb_tuple6 k = key6(i);

	return lb_flow_lookup(t, &k, sig6(&k)) >= 0;
}

static struct lb_flow_table *
create6(const char *name, uint32_t capacity, struct rte_rcu_qsbr *qsbr)
{
	return lb_flow_create_family(name, capacity, LB_FLOW_IPV6,
				     SOCKET_ID_ANY, qsbr);
}

static int
setup(void **state)
{
	(void)state;
	return test_eal_init("test_flow6");
}

static int
teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

/* The IPv6 hash is CRC32C over all 40 bytes, what rte_hash_crc() gives
 * for them: every byte of the addresses, ports and protocol moves it,
 * and no two keys that differ in one byte share it. */
static void
tuple6_hash_covers_every_byte(void **state)
{
	struct lb_tuple6 base = key6(77), k;
	uint32_t h[KEY_BYTES];
	size_t i, j;

	(void)state;
	assert_int_equal(lb_tuple6_hash(&base),
			 rte_hash_crc(&base, sizeof(base), LB_HASH_SEED));
	for (i = 0; i < KEY_BYTES; i++) {
		k = base;
		((uint8_t *)&k)[i] ^= 0x80;
		h[i] = lb_tuple6_hash(&k);
		if (h[i] == lb_tuple6_hash(&base))
			fail_msg("byte %zu of the key does not change its hash", i);
		assert_int_equal(h[i], rte_hash_crc(&k, sizeof(k), LB_HASH_SEED));
	}
	for (i = 0; i < KEY_BYTES; i++)
		for (j = i + 1; j < KEY_BYTES; j++)
			if (h[i] == h[j])
				fail_msg("keys differing in byte %zu and in byte %zu hash alike",
					 i, j);
}

/* A stateless service hashes the fields it selects and the protocol:
 * an unselected field, or padding, changes nothing; a selected one (its
 * first or last address byte, its port) changes the hash. */
static void
tuple6_hash_fields_ignores_unselected(void **state)
{
	/* a byte of each field (both ends of each address) and its bit */
	static const struct {
		size_t off;
		uint8_t field;
	} change[] = {
		{ offsetof(struct lb_tuple6, src_ip), LB_HASH_F_SRC_IP },
		{ offsetof(struct lb_tuple6, src_ip) + 15, LB_HASH_F_SRC_IP },
		{ offsetof(struct lb_tuple6, src_port), LB_HASH_F_SRC_PORT },
		{ offsetof(struct lb_tuple6, src_port) + 1, LB_HASH_F_SRC_PORT },
		{ offsetof(struct lb_tuple6, dst_ip), LB_HASH_F_DST_IP },
		{ offsetof(struct lb_tuple6, dst_ip) + 15, LB_HASH_F_DST_IP },
		{ offsetof(struct lb_tuple6, dst_port), LB_HASH_F_DST_PORT },
		{ offsetof(struct lb_tuple6, dst_port) + 1, LB_HASH_F_DST_PORT },
	};
	struct lb_tuple6 base = key6(5), k;
	unsigned int mask, c;

	(void)state;
	assert_int_equal(lb_tuple6_hash_fields(&base, LB_HASH_F_SRC_IP |
					       LB_HASH_F_SRC_PORT |
					       LB_HASH_F_DST_IP |
					       LB_HASH_F_DST_PORT),
			 lb_tuple6_hash(&base));
	for (mask = 0; mask < 16; mask++) {
		uint32_t h = lb_tuple6_hash_fields(&base, (uint8_t)mask);

		for (c = 0; c < RTE_DIM(change); c++) {
			bool selected = mask & change[c].field;

			k = base;
			((uint8_t *)&k)[change[c].off] ^= 0x01;
			if ((lb_tuple6_hash_fields(&k, (uint8_t)mask) != h) !=
			    selected)
				fail_msg("mask %#x: byte %zu, %s, %s the hash",
					 mask, change[c].off,
					 selected ? "selected" : "not selected",
					 selected ? "keeps" : "changes");
		}
		k = base;
		k.proto = LB_IPPROTO_UDP;
		assert_int_not_equal(lb_tuple6_hash_fields(&k, (uint8_t)mask), h);
		k = base;
		k.pad[1] = 0xff;   /* never set, and never hashed */
		assert_int_equal(lb_tuple6_hash_fields(&k, (uint8_t)mask), h);
	}
}

/* A table keys and hashes by its family: the rte_hash compares the
 * family's whole tuple and its own hash function is the tuple's hash
 * (what lb_flow_hash() gives). lb_flow_create() is the IPv4 family's,
 * and a family there is no table of is refused. */
static void
flow_family_sets_key_length_and_hash(void **state)
{
	struct lb_flow_table *t6 = create6("t6_family", 1024, NULL);
	struct lb_flow_table *t4 = lb_flow_create("t4_family", 1024,
						  SOCKET_ID_ANY, NULL);
	struct lb_tuple6 k6 = key6(3);
	struct lb_tuple k4 = { .src_ip = htonl(0xcb007105u),
		.dst_ip = ip4("198.51.100.100"), .src_port = 1234,
		.dst_port = 110, .proto = LB_IPPROTO_TCP };

	/* the hash's keys: 8 bytes of entry, then the tuple */
	struct {
		uint8_t e[8];
		struct lb_tuple6 k;
	} h6 = { .k = k6 };
	struct {
		uint8_t e[8];
		struct lb_tuple k;
	} h4 = { .k = k4 };

	(void)state;
	assert_non_null(t6);
	assert_non_null(t4);
	assert_int_equal(t6->family, LB_FLOW_IPV6);
	assert_int_equal(t6->key_len, sizeof(struct lb_tuple6));
	assert_int_equal(t4->family, LB_FLOW_IPV4);
	assert_int_equal(t4->key_len, sizeof(struct lb_tuple));
	assert_int_equal(rte_hash_hash(t6->h, &h6), lb_tuple6_hash(&k6));
	assert_int_equal(lb_flow_hash(t6, &k6), lb_tuple6_hash(&k6));
	assert_int_equal(rte_hash_hash(t4->h, &h4), lb_tuple_hash(&k4));
	assert_int_equal(lb_flow_hash(t4, &k4), lb_tuple_hash(&k4));
	rte_errno = 0;
	assert_null(lb_flow_create_family("t_family_bad", 1024,
					  (enum lb_flow_family)2,
					  SOCKET_ID_ANY, NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(lb_flow_create_family("t6_small", 4, LB_FLOW_IPV6,
					  SOCKET_ID_ANY, NULL));
	lb_flow_free(t6);
	lb_flow_free(t4);
}

/* One family's table: each flow's entry is in the hash's key slot,
 * its data word and the key's first 8 bytes, right before the tuple (no
 * array of its own), the slot never across more cache lines than its
 * size needs; entries written never disturb a lookup, and a position's
 * key and entry are read back together. */
static void
entries_in_key_slots(struct lb_flow_table *t, const void *(*mk)(uint32_t))
{
	int32_t pos[64];
	uint32_t i;

	for (i = 0; i < 64; i++) {
		const void *k = mk(i);

		pos[i] = lb_flow_add(t, k, lb_flow_hash(t, k), false);
		assert_true(pos[i] >= 0);
		assert_int_equal(lb_flow_at(t, pos[i])->state, 0);
		/* every byte of the entry set, the tuple's neighbour */
		lb_flow_fill(t, lb_flow_at(t, pos[i]), (uint16_t)(900 + i),
			     0xfffffff0u - i, 255, LB_FLOW_TCP_EST,
			     0x7fffff00u + i);
		lb_flow_at(t, pos[i])->packets = 0xffff;
		lb_flow_at(t, pos[i])->flags = 0xff;
		lb_flow_at(t, pos[i])->pad = 0xff;
	}
	for (i = 0; i < 64; i++) {
		const void *k = mk(i);
		union {
			struct lb_tuple v4;
			struct lb_tuple6 v6;
		} got;
		struct lb_flow_entry e;
		void *kp;

		assert_int_equal(rte_hash_get_key_with_position(t->h, pos[i],
								&kp), 0);
		assert_memory_equal((uint8_t *)kp + 8, k, t->key_len);
		assert_ptr_equal(lb_flow_at(t, pos[i]), (uint8_t *)kp - 8);
		/* 32 bytes (IPv4) or 64 (IPv6), aligned to their size */
		assert_int_equal(t->estride, t->family == LB_FLOW_IPV6 ? 64 : 32);
		assert_int_equal((uintptr_t)lb_flow_at(t, pos[i]) % t->estride, 0);
		assert_int_equal(lb_flow_lookup(t, k, lb_flow_hash(t, k)),
				 pos[i]);
		assert_true(lb_flow_holds(t, k, lb_flow_hash(t, k)));
		assert_true(lb_flow_read(t, (uint32_t)pos[i], 1000, &got, &e));
		assert_memory_equal(&got, k, t->key_len);
		assert_int_equal(e.member, 900 + i);
		assert_int_equal(e.member_gen, 0xfffffff0u - i);
		assert_int_equal(e.expire, 0x7fffff00u + i);
		assert_int_equal(e.svc, 255);
	}
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	for (i = 0; i < 64; i += 2)
		assert_int_equal(lb_flow_del(t, pos[i]), 0);
	for (i = 0; i < 64; i++) {
		const void *k = mk(i);

		assert_int_equal(lb_flow_lookup(t, k, lb_flow_hash(t, k)) >= 0,
				 i % 2 == 1);
	}
	assert_int_equal(lb_flow_audit(t, NULL), 0);
}

static union {
	struct lb_tuple v4;
	struct lb_tuple6 v6;
} made;

static const void *
mk4(uint32_t i)
{
	made.v4 = (struct lb_tuple){ .src_ip = htonl(0xcb007100u + i),
		.dst_ip = ip4("198.51.100.100"), .src_port = (uint16_t)(7 + i),
		.dst_port = 110, .proto = LB_IPPROTO_TCP };
	return &made.v4;
}

static const void *
mk6(uint32_t i)
{
	made.v6 = key6(i);
	return &made.v6;
}

static void
flow_entries_live_in_the_key_slots(void **state)
{
	struct lb_flow_table *t6 = create6("t6_slots", 1024, NULL);
	struct lb_flow_table *t4 = lb_flow_create("t4_slots", 1024,
						  SOCKET_ID_ANY, NULL);

	(void)state;
	assert_non_null(t6);
	assert_non_null(t4);
	entries_in_key_slots(t4, mk4);
	entries_in_key_slots(t6, mk6);
	lb_flow_free(t6);
	lb_flow_free(t4);
}

/* Full 16-byte addresses through every way in and out of the table:
 * flows whose source or destination differs from another's only in the
 * address's first byte, or only in its last, are distinct flows, each
 * found, peeked, held and read back whole; deleting one leaves the
 * others. */
static void
flow6_round_trip_full_addresses(void **state)
{
	struct lb_flow_table *t = create6("t6_trip", 1024, NULL);
	struct lb_tuple6 k[5], miss, got;
	struct lb_flow_entry e;
	int32_t pos[5];
	unsigned int i, j;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 5; i++) {
		k[i] = (struct lb_tuple6){ .src_port = 40000, .dst_port = 443,
					   .proto = LB_IPPROTO_TCP };
		ip6(k[i].src_ip, "2001:db8:c1::5");
		ip6(k[i].dst_ip, "2001:db8:100::100");
	}
	k[1].src_ip[15] ^= 0x01;   /* 2001:db8:c1::4 */
	k[2].src_ip[0] ^= 0x10;    /* 3001:db8:c1::5 */
	k[3].dst_ip[15] ^= 0x01;   /* 2001:db8:100::101 */
	k[4].dst_ip[0] ^= 0x10;    /* 3001:db8:100::100 */
	miss = k[0];
	miss.src_ip[15] ^= 0x02;   /* 2001:db8:c1::7, never added */

	for (i = 0; i < 5; i++) {
		assert_false(lb_flow_holds(t, &k[i], sig6(&k[i])));
		pos[i] = lb_flow_add(t, &k[i], sig6(&k[i]), false);
		assert_true(pos[i] >= 0 && (uint32_t)pos[i] < t->n_pos);
		lb_flow_fill(t, lb_flow_at(t, pos[i]), (uint16_t)(10 + i), 1,
			     (uint16_t)i, LB_FLOW_TCP_EST, 5000);
	}
	assert_int_equal(t->count, 5);
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			assert_int_not_equal(pos[i], pos[j]);
	for (i = 0; i < 5; i++) {
		assert_int_equal(lb_flow_lookup(t, &k[i], sig6(&k[i])), pos[i]);
		assert_true(lb_flow_holds(t, &k[i], sig6(&k[i])));
		assert_true(lb_flow_peek(t, &k[i], sig6(&k[i]), 100, &e));
		assert_int_equal(e.member, 10 + i);
		assert_int_equal(e.member_gen, 1);
		assert_false(lb_flow_peek(t, &k[i], sig6(&k[i]), 5000, &e));
		memset(&got, 0xa5, sizeof(got));
		assert_true(lb_flow_read(t, (uint32_t)pos[i], 100, &got, &e));
		assert_memory_equal(&got, &k[i], sizeof(got));
		assert_int_equal(e.svc, i);
		assert_int_equal(e.member, 10 + i);
	}
	assert_true(lb_flow_lookup(t, &miss, sig6(&miss)) < 0);
	assert_false(lb_flow_holds(t, &miss, sig6(&miss)));
	assert_false(lb_flow_peek(t, &miss, sig6(&miss), 100, &e));
	/* adding a present key again finds its position */
	assert_int_equal(lb_flow_add(t, &k[2], sig6(&k[2]), false), pos[2]);
	lb_flow_fill(t, lb_flow_at(t, pos[2]), 12, 1, 2, LB_FLOW_TCP_EST, 5000);
	assert_int_equal(t->count, 5);

	/* the delete hashes the stored key again, as IPv6: the key leaves
	 * the hash and nothing else does */
	assert_int_equal(lb_flow_del(t, pos[1]), 0);
	assert_true(lb_flow_lookup(t, &k[1], sig6(&k[1])) < 0);
	assert_false(lb_flow_holds(t, &k[1], sig6(&k[1])));
	assert_false(lb_flow_read(t, (uint32_t)pos[1], 100, &got, &e));
	for (i = 0; i < 5; i++)
		if (i != 1)
			assert_int_equal(lb_flow_lookup(t, &k[i], sig6(&k[i])),
					 pos[i]);
	assert_int_equal(t->count, 4);
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	lb_flow_free(t);
}

/* Each byte of the addresses, ports and protocol told apart: 37 flows,
 * each differing from the first in one byte, are 38 flows, and stay so
 * as they are deleted one by one. */
static void
flow6_keys_differing_in_one_byte_are_distinct(void **state)
{
	struct lb_flow_table *t = create6("t6_bytes", 1024, NULL);
	struct lb_tuple6 k[KEY_BYTES + 1];
	int32_t pos[KEY_BYTES + 1];
	struct lb_flow_audit a;
	size_t i, j;

	(void)state;
	assert_non_null(t);
	for (i = 0; i <= KEY_BYTES; i++) {
		k[i] = key6(1);
		if (i > 0)
			((uint8_t *)&k[i])[i - 1] ^= 0x01;
		pos[i] = lb_flow_add(t, &k[i], sig6(&k[i]), false);
		if (pos[i] < 0)
			fail_msg("flow %zu refused: %d", i, pos[i]);
		lb_flow_fill(t, lb_flow_at(t, pos[i]), 0, 0, 0, LB_FLOW_UDP, 1000);
		if (t->count != i + 1)
			fail_msg("the flow differing in byte %zu is taken for another",
				 i - 1);
	}
	for (i = 0; i <= KEY_BYTES; i++) {
		for (j = 0; j <= KEY_BYTES; j++)
			assert_int_equal(lb_flow_lookup(t, &k[j], sig6(&k[j])),
					 j < i ? -ENOENT : pos[j]);
		assert_int_equal(lb_flow_del(t, pos[i]), 0);
		assert_int_equal(lb_flow_audit(t, &a), 0);
		assert_int_equal(a.keys, KEY_BYTES - i);
	}
	lb_flow_free(t);
}

static void
flow6_table_bulk_lookup(void **state)
{
	struct lb_flow_table *t = create6("t6_bulk", 1024, NULL);
	struct lb_tuple6 keys[32];
	const void *kp[32];
	uint32_t sig[32];
	int32_t added[32], pos[32];
	unsigned int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 32; i++) {
		keys[i] = key6(i);
		kp[i] = &keys[i];
		sig[i] = sig6(&keys[i]);
		added[i] = i % 2 == 0 ? lb_flow_add(t, &keys[i], sig[i], false) :
			   -1;
	}
	lb_flow_lookup_bulk(t, kp, sig, 32, pos);
	for (i = 0; i < 32; i++)
		if (i % 2 == 0)
			assert_int_equal(pos[i], added[i]);
		else
			assert_true(pos[i] < 0);
	lb_flow_free(t);
}

/* As flow_table_full_at_capacity: exactly its capacity of IPv6 flows. */
static void
flow6_table_full_at_capacity(void **state)
{
	struct lb_flow_table *t = create6("t6_full", 4096, NULL);
	struct lb_tuple6 k;
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 4096; i++) {
		k = key6(i);
		assert_true(lb_flow_add(t, &k, sig6(&k), false) >= 0);
	}
	assert_int_equal(t->count, 4096);
	k = key6(5000);
	assert_int_equal(lb_flow_add(t, &k, sig6(&k), false), -ENOSPC);
	assert_int_equal(t->count, 4096);
	lb_flow_flush(t);
	assert_int_equal(t->count, 0);
	assert_true(lb_flow_add(t, &k, sig6(&k), false) >= 0);
	lb_flow_free(t);
}

/* Expiry: the sweeper removes the expired flows, key and all, and only
 * them. */
static void
flow6_sweeper_removes_only_expired(void **state)
{
	struct lb_flow_table *t = create6("t6_sweep", 1024, NULL);
	uint32_t i, now = 50000, removed = 0, start;
	struct lb_flow_audit a;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 100; i++)
		add_in_state(t, i, LB_FLOW_TCP_EST,
			     i % 2 ? now - 1 : now + 1000);
	start = t->sweep_pos;
	removed += lb_flow_sweep(t, now, 16);
	assert_int_equal(t->sweep_pos, (start + 16) % t->n_pos);
	while (t->sweep_pos != start)
		removed += lb_flow_sweep(t, now, 16);
	assert_int_equal(removed, 50);
	assert_int_equal(t->count, 50);
	for (i = 0; i < 100; i++)
		assert_int_equal(present(t, i), i % 2 == 0);
	assert_int_equal(lb_flow_audit(t, &a), 0);
	assert_int_equal(a.keys, 50);
	assert_int_equal(a.slots_used, 50);
	lb_flow_free(t);
}

/* As flow_evict_takes_oldest_provisional_never_confirmed. */
static void
flow6_evict_takes_oldest_provisional_never_confirmed(void **state)
{
	struct lb_flow_table *t = create6("t6_evict", 16, NULL);
	struct lb_tuple6 extra = key6(1000);
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 16; i++)
		add_in_state(t, i, i % 2 ? LB_FLOW_TCP_MID : LB_FLOW_TCP_EST,
			     1000000);
	assert_int_equal(lb_flow_add(t, &extra, sig6(&extra), false),
			 -ENOSPC);
	/* flow 1 is the oldest provisional (flow 0 is confirmed) */
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_true(present(t, 0));
	assert_false(present(t, 1));
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_false(present(t, 3));
	assert_int_equal(t->count, 14);
	add_in_state(t, 100, LB_FLOW_UDP_NEW, 1000000);
	add_in_state(t, 101, LB_FLOW_TCP_SYN, 1000000);
	for (i = 0; i < 8; i++)
		assert_int_equal(lb_flow_evict(t, 0), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(present(t, i), i % 2 == 0);
	assert_false(present(t, 100));
	assert_false(present(t, 101));
	assert_int_equal(t->count, 8);
	for (i = 200; i < 208; i++)
		add_in_state(t, i, LB_FLOW_TCP_EST, 1000000);
	while (lb_flow_evict(t, 0) == 0)
		fail_msg("a confirmed flow was evicted");
	assert_int_equal(t->count, 16);
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	lb_flow_free(t);
}

/* As flow_evict_takes_guesses_before_syn_entries: the guessed queue
 * first, then the opened one, oldest first. */
static void
flow6_evict_takes_guesses_before_syn_entries(void **state)
{
	struct lb_flow_table *t = create6("t6_evict2", 16, NULL);
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 8; i++)
		add_in_state(t, i, LB_FLOW_TCP_SYN, 1000000);
	for (i = 8; i < 16; i++)
		add_in_state(t, i, LB_FLOW_TCP_MID, 1000000);
	for (i = 0; i < 8; i++)
		assert_int_equal(lb_flow_evict(t, 0), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(present(t, i), i < 8);
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_false(present(t, 0));
	assert_true(present(t, 1));
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	lb_flow_free(t);
}

/* As flow_evict_finds_provisional_behind_long_lived_flows: a flood of
 * IPv6 SYNs into a table of long-lived flows is admitted by eviction,
 * and the long-lived flows stay. */
static void
flow6_evict_finds_provisional_behind_long_lived_flows(void **state)
{
	struct lb_flow_table *t = create6("t6_quiet", 1024, NULL);
	uint32_t i, now = 100, refused = 0;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 1000; i++)
		add_in_state(t, i, LB_FLOW_TCP_EST, i < 700 ? 1000000 : 50);
	for (i = 0; i < 100; i++)
		lb_flow_sweep(t, now, 16);
	for (i = 10000; i < 30000; i++) {
		struct lb_tuple6 k = key6(i);
		int32_t pos = lb_flow_add(t, &k, sig6(&k), false);

		if (pos < 0 && lb_flow_evict(t, now) == 0)
			pos = lb_flow_add(t, &k, sig6(&k), false);
		if (pos < 0) {
			refused++;
		} else {
			lb_flow_set_state(t, lb_flow_at(t, pos), LB_FLOW_TCP_SYN);
			lb_flow_at(t, pos)->expire = now + 10000;
		}
		if (i % 32 == 31)
			lb_flow_sweep(t, now, 16);
	}
	assert_int_equal(refused, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(present(t, i), i < 700);
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	lb_flow_free(t);
}

/* As flow_deleted_slot_reused_only_after_grace_period, with IPv6 keys:
 * a deleted flow's key slot waits for every reader, the slack bounds
 * the deletions that wait, and the slot is given again afterwards. */
static void
flow6_deleted_slot_reused_only_after_grace_period(void **state)
{
	struct rte_rcu_qsbr *v = test_qsbr_online(2);
	struct lb_flow_table *t;
	struct lb_flow_entry seen;
	struct lb_tuple6 k = key6(7);
	uint8_t *held;
	uint32_t i, n_held = 0, fillers;
	int32_t pos, last;
	int rc;

	(void)state;
	assert_non_null(v);
	t = create6("t6_grace", 8, v);
	assert_non_null(t);
	held = rte_zmalloc("t6_grace_held", t->n_pos, 0);
	assert_non_null(held);
	pos = add_in_state(t, 7, LB_FLOW_TCP_EST, 1000);
	lb_flow_set_member(t, lb_flow_at(t, pos), 3, 0);
	assert_true(lb_flow_peek(t, &k, sig6(&k), 10, &seen));
	assert_int_equal(seen.member, 3);
	assert_int_equal(lb_flow_del(t, pos), 0);
	assert_false(present(t, 7));
	assert_int_equal(lb_flow_limbo(t), 1);
	assert_int_equal(lb_flow_reclaim(t), 0);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_flow_reclaim(t), 0);   /* the reader has not */
	assert_int_equal(lb_flow_limbo(t), 1);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(t), 1);
	assert_int_equal(lb_flow_limbo(t), 0);

	/* the reader holds on while the owner makes and deletes flows */
	for (i = 0; i < 2 * t->n_pos; i++) {
		pos = add_in_state(t, 1000 + i, LB_FLOW_TCP_EST, 1000);
		if (held[pos])
			fail_msg("flow %u was given position %d, deleted while the reader could still see it",
				 1000 + i, pos);
		rc = lb_flow_del(t, pos);
		if (rc == -EBUSY)
			break;
		assert_int_equal(rc, 0);
		held[pos] = 1;
		n_held++;
		assert_int_equal(lb_flow_reclaim(t), 0);
		rte_rcu_qsbr_quiescent(v, 0);
	}
	last = pos;
	assert_int_equal(n_held, LB_FLOW_SLACK);
	assert_int_equal(lb_flow_limbo(t), LB_FLOW_SLACK);
	assert_true(present(t, 1000 + i));
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(t), LB_FLOW_SLACK);
	assert_int_equal(lb_flow_limbo(t), 0);
	assert_int_equal(lb_flow_audit(t, NULL), 0);

	/* every other slot taken behind the table's back: the last flow's
	 * slot is given again only after the grace period */
	for (fillers = 0;; fillers++) {
		/* a key of the hash is 8 bytes of entry and the tuple */
		struct {
			uint8_t e[8];
			struct lb_tuple6 k;
		} f = { .k = key6(100000 + fillers) };

		if (rte_hash_add_key_with_hash(t->h, &f, sig6(&f.k)) < 0)
			break;
	}
	assert_int_equal(fillers, t->capacity + LB_FLOW_SLACK - 1);
	assert_int_equal(lb_flow_del(t, last), 0);
	k = key6(9);
	assert_int_equal(lb_flow_add(t, &k, sig6(&k), false), -ENOSPC);
	lb_flow_reclaim(t);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_flow_reclaim(t), 0);
	assert_int_equal(lb_flow_add(t, &k, sig6(&k), false), -ENOSPC);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(t), 1);
	assert_int_equal(lb_flow_add(t, &k, sig6(&k), false), last);
	rte_free(held);
	lb_flow_free(t);
	rte_free(v);
}

/* As flow_lookup_stale_after_delete_or_add. */
static void
flow6_lookup_stale_after_delete_or_add(void **state)
{
	struct lb_flow_table *t = create6("t6_stale", 8, NULL);
	struct lb_tuple6 k1 = key6(1), k2 = key6(2), k3 = key6(3);
	struct lb_flow_mark m;
	int32_t p1, p2;

	(void)state;
	assert_non_null(t);
	p1 = add_in_state(t, 1, LB_FLOW_TCP_EST, 1000);
	m = lb_flow_mark(t);
	assert_false(lb_flow_lookup_stale(t, m, p1, sig6(&k1)));
	assert_false(lb_flow_lookup_stale(t, m, -ENOENT, sig6(&k3)));
	add_in_state(t, 3, LB_FLOW_TCP_EST, 1000);
	assert_false(lb_flow_lookup_stale(t, m, p1, sig6(&k1)));
	assert_true(lb_flow_lookup_stale(t, m, -ENOENT, sig6(&k3)));
	assert_false(lb_flow_lookup_stale(t, m, -ENOENT,
					  sig6(&k3) ^ (1u << 24)));
	m = lb_flow_mark(t);
	assert_int_equal(lb_flow_del(t, p1), 0);
	assert_true(lb_flow_lookup_stale(t, m, p1, sig6(&k1)));
	assert_true(lb_flow_lookup(t, &k1, sig6(&k1)) < 0);
	m = lb_flow_mark(t);
	assert_int_equal(lb_flow_del(t, p1), 0);
	assert_false(lb_flow_lookup_stale(t, m, p1, sig6(&k1)));
	p2 = lb_flow_add(t, &k2, sig6(&k2), false);
	assert_true(lb_flow_lookup_stale(t, m, -ENOENT, sig6(&k2)));
	assert_false(lb_flow_lookup_stale(t, m, p2, sig6(&k2)));
	lb_flow_free(t);
}

/* As flow_del_of_entry_without_key_frees_nothing: the audit sees an
 * entry without its key, the delete clears it without freeing a slot,
 * and the sweeper and eviction go on past such entries. */
static void
flow6_del_of_entry_without_key_frees_nothing(bool grace)
{
	struct rte_rcu_qsbr *v = grace ? test_qsbr_online(1) : NULL;
	struct lb_flow_table *t = create6(grace ? "t6_orphan_q" : "t6_orphan",
					  8, v);
	struct lb_flow_audit a;
	int32_t pos, p2;
	uint32_t i;

	assert_non_null(t);
	pos = add_in_state(t, 1, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(lb_flow_del(t, pos), 0);
	lb_flow_fill(t, lb_flow_at(t, pos), 2, 0, 0, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(lb_flow_audit(t, &a), -EFAULT);
	assert_int_equal(a.no_key, 1);
	assert_int_equal(lb_flow_del(t, pos), -ENOENT);
	assert_int_equal(t->errors, 1);
	assert_int_equal(t->count, 0);
	assert_int_equal(lb_flow_audit(t, &a), 0);
	if (grace) {
		assert_int_equal(lb_flow_limbo(t), 1);
		lb_flow_reclaim(t);
		rte_rcu_qsbr_quiescent(v, 0);
		lb_flow_reclaim(t);
	}
	assert_int_equal(lb_flow_audit(t, &a), 0);
	assert_int_equal(a.slots_used, 0);
	p2 = add_in_state(t, 2, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(lb_flow_del(t, p2), 0);
	lb_flow_fill(t, lb_flow_at(t, p2), 2, 0, 0, LB_FLOW_TCP_MID, 1000);
	for (i = 0; i < 8; i++)
		add_in_state(t, 10 + i, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(t->count, 8);
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_int_equal(t->count, 7);
	assert_int_equal(lb_flow_sweep(t, 2000, t->n_pos), 7);
	assert_int_equal(t->count, 0);
	assert_int_equal(t->errors, 2);
	if (grace) {
		lb_flow_reclaim(t);
		rte_rcu_qsbr_quiescent(v, 0);
		lb_flow_reclaim(t);
	}
	assert_int_equal(lb_flow_audit(t, &a), 0);
	assert_int_equal(a.slots_used, 0);
	for (i = 0; i < 8; i++)
		add_in_state(t, 20 + i, LB_FLOW_TCP_EST, 1000);
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	lb_flow_free(t);
	rte_free(v);
}

static void
flow6_del_of_entry_without_key(void **state)
{
	(void)state;
	flow6_del_of_entry_without_key_frees_nothing(false);
}

static void
flow6_del_of_entry_without_key_qsbr(void **state)
{
	(void)state;
	flow6_del_of_entry_without_key_frees_nothing(true);
}

static uint32_t rnd_state = 54321;

static uint32_t
rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* Flows of 200 keys made, refreshed, moved, deleted, swept, evicted and
 * made again in a random order on a small table that fills and holds
 * back deleted slots for a grace period: after every step the audit
 * finds each flow once in the hash, in use, and counted. As
 * flow_member_counts_balance_through_every_change does for IPv4, with
 * the audit as the judge. */
static void
flow6_random_churn_keeps_audit_clean(void **state)
{
	static const uint8_t first[] = { LB_FLOW_TCP_SYN, LB_FLOW_TCP_MID,
					 LB_FLOW_UDP_NEW };
	static const char *const what[] = { "a new flow", "a packet",
		"a move to another member", "a delete", "a sweep",
		"an eviction", "a grace period", "an add of a present key" };
	static const struct lb_flow_timeouts to = { .t = {
		[LB_FLOW_TCP_SYN] = 500, [LB_FLOW_TCP_MID] = 500,
		[LB_FLOW_TCP_EST] = 2000, [LB_FLOW_TCP_CLOSING] = 500,
		[LB_FLOW_UDP_NEW] = 500, [LB_FLOW_UDP] = 1000 } };
	struct rte_rcu_qsbr *v = test_qsbr_online(1);
	struct lb_flow_table *t = create6("t6_churn", 64, v);
	struct lb_flow_audit a;
	uint32_t now = 1000, i;
	uint64_t seen[8] = { 0 };

	(void)state;
	assert_non_null(v);
	assert_non_null(t);
	for (i = 0; i < 5000; i++) {
		struct lb_tuple6 k = key6(rnd(200));
		uint32_t sig = lb_flow_hash(t, &k), op = rnd(8);
		int32_t pos = lb_flow_lookup(t, &k, sig);
		struct lb_flow_entry *e = pos >= 0 ? lb_flow_at(t, pos) : NULL;
		uint8_t st = first[rnd(3)];
		int rc;

		now += rnd(50);
		switch (op) {
		case 0:   /* a new flow: the table may have to make room */
			if (e != NULL)
				break;
			pos = lb_flow_add(t, &k, sig, st == LB_FLOW_TCP_MID);
			if (pos < 0 && lb_flow_evict(t, now) == 0)
				pos = lb_flow_add(t, &k, sig,
						  st == LB_FLOW_TCP_MID);
			if (pos < 0)
				break;
			lb_flow_fill(t, lb_flow_at(t, pos), (uint16_t)rnd(8), 0,
				     (uint16_t)rnd(4), st,
				     now + 200 + rnd(3000));
			seen[op]++;
			break;
		case 1:   /* a packet of the flow */
			if (e == NULL)
				break;
			if (e->state == LB_FLOW_UDP_NEW || e->state == LB_FLOW_UDP)
				lb_flow_set_state(t, e, LB_FLOW_UDP);
			else
				lb_flow_tcp_update(t, e, LB_TCP_ACK, now, &to);
			seen[op]++;
			break;
		case 2:
			if (e == NULL)
				break;
			lb_flow_set_member(t, e, (uint16_t)rnd(8), 0);
			lb_flow_set_svc(t, e, (uint16_t)rnd(4));
			seen[op]++;
			break;
		case 3:
			if (e == NULL)
				break;
			rc = lb_flow_del(t, pos);
			assert_true(rc == 0 || rc == -EBUSY);
			seen[op] += rc == 0;
			break;
		case 4:
			seen[op] += lb_flow_sweep(t, now, 16);
			break;
		case 5:
			seen[op] += lb_flow_evict(t, now) == 0;
			break;
		case 6:
			lb_flow_reclaim(t);
			rte_rcu_qsbr_quiescent(v, 0);
			seen[op] += lb_flow_reclaim(t);
			break;
		case 7:
			if (e == NULL)
				break;
			assert_int_equal(lb_flow_add(t, &k, sig, false), pos);
			lb_flow_fill(t, e, (uint16_t)rnd(8), 0, 0,
				     LB_FLOW_TCP_SYN, now + 1000);
			seen[op]++;
			break;
		}
		if (lb_flow_audit(t, &a) != 0)
			fail_msg("after %s (step %u): count %u keys %u in use %u counted %u/%u no key %u no entry %u slots %u limbo %u",
				 what[op], i, a.count, a.keys, a.in_use,
				 a.counted, a.svc_counted, a.no_key,
				 a.no_entry, a.slots_used, a.limbo);
		/* what the table holds is what a lookup finds */
		if ((lb_flow_lookup(t, &k, sig) >= 0) !=
		    lb_flow_holds(t, &k, sig))
			fail_msg("after %s: lookup and holds disagree", what[op]);
	}
	for (i = 0; i < 8; i++)
		if (seen[i] == 0)
			fail_msg("the random run never did %s", what[i]);
	for (i = 0; i < t->n_pos; i += 16)
		lb_flow_sweep(t, now + 2000000, 16);
	lb_flow_reclaim(t);
	rte_rcu_qsbr_quiescent(v, 0);
	lb_flow_reclaim(t);
	assert_int_equal(lb_flow_audit(t, &a), 0);
	assert_int_equal(a.count, 0);
	assert_int_equal(a.slots_used, 0);
	lb_flow_free(t);
	rte_free(v);
}

/* As flow_read_reports_live_flows_only: another thread reads IPv6 flows
 * position by position, each key whole. */
static void
flow6_read_reports_live_flows_only(void **state)
{
	struct lb_flow_table *t = create6("t6_read", 64, NULL);
	struct lb_flow_entry e;
	struct lb_tuple6 k, want;
	uint32_t i, pos, found = 0;
	int32_t p[10];

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 10; i++) {
		p[i] = add_in_state(t, i, LB_FLOW_TCP_EST, i == 9 ? 50 : 5000);
		lb_flow_set_member(t, lb_flow_at(t, p[i]), (uint16_t)(100 + i), 7);
		lb_flow_set_svc(t, lb_flow_at(t, p[i]), (uint16_t)i);
	}
	assert_int_equal(lb_flow_del(t, p[3]), 0);
	assert_false(lb_flow_read(t, t->n_pos, 100, &k, &e));
	for (pos = 0; pos < t->n_pos; pos++) {
		if (!lb_flow_read(t, pos, 100, &k, &e))
			continue;
		found++;
		i = e.svc;
		assert_true(i < 10 && i != 3 && i != 9);
		assert_int_equal((int32_t)pos, p[i]);
		want = key6(i);
		assert_memory_equal(&k, &want, sizeof(k));
		assert_int_equal(e.member, 100 + i);
		assert_int_equal(e.member_gen, 7);
		assert_int_equal(e.state, LB_FLOW_TCP_EST);
		assert_int_equal(e.expire, 5000);
	}
	assert_int_equal(found, 8);
	lb_flow_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tuple6_hash_covers_every_byte),
		cmocka_unit_test(tuple6_hash_fields_ignores_unselected),
		cmocka_unit_test(flow_family_sets_key_length_and_hash),
		cmocka_unit_test(flow_entries_live_in_the_key_slots),
		cmocka_unit_test(flow6_round_trip_full_addresses),
		cmocka_unit_test(flow6_keys_differing_in_one_byte_are_distinct),
		cmocka_unit_test(flow6_table_bulk_lookup),
		cmocka_unit_test(flow6_table_full_at_capacity),
		cmocka_unit_test(flow6_sweeper_removes_only_expired),
		cmocka_unit_test(flow6_evict_takes_oldest_provisional_never_confirmed),
		cmocka_unit_test(flow6_evict_takes_guesses_before_syn_entries),
		cmocka_unit_test(flow6_evict_finds_provisional_behind_long_lived_flows),
		cmocka_unit_test(flow6_deleted_slot_reused_only_after_grace_period),
		cmocka_unit_test(flow6_lookup_stale_after_delete_or_add),
		cmocka_unit_test(flow6_del_of_entry_without_key),
		cmocka_unit_test(flow6_del_of_entry_without_key_qsbr),
		cmocka_unit_test(flow6_random_churn_keeps_audit_clean),
		cmocka_unit_test(flow6_read_reports_live_flows_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
