/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "lb_mem.h"
#include "lb_persist.h"
#include "lb_sched.h"

/* A record: client << 32 | member << 22 | generation << 18 | expiry
 * (seconds mod 2^18). Expiry 0 is never stored, so a zero word is a
 * free slot whatever the client (a /0 netmask makes every client
 * 0.0.0.0). */
#define EXP_BITS 18
#define EXP_MASK ((1u << EXP_BITS) - 1)
#define GEN_SHIFT EXP_BITS
#define MEMBER_SHIFT (EXP_BITS + LB_PERSIST_GEN_BITS)
#define MEMBER_MASK (LB_PERSIST_MEMBERS - 1)

_Static_assert(LB_PERSIST_MEMBERS == 1u << (32 - MEMBER_SHIFT),
	       "a record holds 10 bits of member slot");
_Static_assert(LB_PERSIST_MAX_TIMEOUT + LB_PERSIST_SKEW < EXP_MASK / 2,
	       "timeouts are far below the expiry's wrap-around");

struct lb_persist_bucket {
	uint64_t s[LB_PERSIST_WAYS];
} __rte_cache_aligned;

_Static_assert(sizeof(struct lb_persist_bucket) == RTE_CACHE_LINE_SIZE,
	       "a bucket is one cache line");

struct lb_persist {
	uint32_t mask;         /* buckets - 1 */
	struct lb_persist_bucket *b;
};

static inline uint32_t
rec_client(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

static inline uint16_t
rec_member(uint64_t v)
{
	return (uint16_t)((v >> MEMBER_SHIFT) & MEMBER_MASK);
}

static inline uint32_t
rec_gen(uint64_t v)
{
	return (uint32_t)(v >> GEN_SHIFT) & LB_PERSIST_GEN_MASK;
}

/* Seconds left at now_s, 0 if expired, free or not valid for this
 * timeout. */
static inline uint32_t
rec_remaining(uint64_t v, uint32_t now_s, uint32_t timeout_s)
{
	uint32_t exp = (uint32_t)v & EXP_MASK;
	uint32_t rem = (exp - now_s) & EXP_MASK;

	if (exp == 0 || rem > timeout_s + LB_PERSIST_SKEW)
		return 0;
	return rem;
}

static inline struct lb_persist_bucket *
bucket(const struct lb_persist *p, uint32_t client)
{
	return &p->b[rte_hash_crc_4byte(client, LB_HASH_SEED) & p->mask];
}

/* Buckets of a table for n clients: a power of two. */
static uint32_t
buckets_for(uint32_t n)
{
	return rte_align32pow2((n + LB_PERSIST_WAYS - 1) / LB_PERSIST_WAYS);
}

struct lb_persist *
lb_persist_create(uint32_t n, int socket_id)
{
	struct lb_persist *p;
	uint32_t nb;

	if (n == 0 || n > (1u << 28)) {
		rte_errno = EINVAL;
		return NULL;
	}
	nb = buckets_for(n);
	p = rte_zmalloc_socket("lb_persist", sizeof(*p), 0, socket_id);
	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	p->b = rte_zmalloc_socket("lb_persist", (size_t)nb * sizeof(*p->b),
				  RTE_CACHE_LINE_SIZE, socket_id);
	if (p->b == NULL) {
		rte_free(p);
		rte_errno = ENOMEM;
		return NULL;
	}
	p->mask = nb - 1;
	return p;
}

/* What lb_persist_create() takes, from the same sizes. */
size_t
lb_persist_memsize(uint32_t n, struct lb_mem_heap *h)
{
	size_t sz;

	if (n == 0 || n > (1u << 28))
		return 0;
	sz = lb_mem_malloc_size(sizeof(struct lb_persist), h);
	sz += lb_mem_malloc_size((size_t)buckets_for(n) *
				 sizeof(struct lb_persist_bucket), h);
	return sz;
}

void
lb_persist_free(struct lb_persist *p)
{
	if (p == NULL)
		return;
	rte_free(p->b);
	rte_free(p);
}

int
lb_persist_lookup(const struct lb_persist *p, uint32_t client, uint32_t now_s,
		  uint32_t timeout_s, uint32_t *gen)
{
	const struct lb_persist_bucket *b = bucket(p, client);
	uint32_t best_rem = 0;
	int best = -1;
	unsigned int i;

	for (i = 0; i < LB_PERSIST_WAYS; i++) {
		uint64_t v = __atomic_load_n(&b->s[i], __ATOMIC_RELAXED);
		uint32_t rem;

		if (rec_client(v) != client)
			continue;
		rem = rec_remaining(v, now_s, timeout_s);
		if (rem > best_rem) {
			best_rem = rem;
			best = rec_member(v);
			*gen = rec_gen(v);
		}
	}
	return best;
}

/* Store a record expiring at exp (seconds, not yet masked). */
static void
store_until(struct lb_persist *p, uint32_t client, uint16_t member,
	    uint32_t gen, uint32_t now_s, uint32_t timeout_s, uint32_t exp)
{
	struct lb_persist_bucket *b = bucket(p, client);
	uint32_t victim_rem = UINT32_MAX;
	uint64_t word, *victim = NULL;
	unsigned int i;

	exp &= EXP_MASK;
	if (exp == 0)
		exp = 1;      /* a second longer: 0 marks a free slot */
	word = (uint64_t)client << 32 |
	       (uint64_t)(member & MEMBER_MASK) << MEMBER_SHIFT |
	       (uint64_t)(gen & LB_PERSIST_GEN_MASK) << GEN_SHIFT | exp;
	for (i = 0; i < LB_PERSIST_WAYS; i++) {
		uint64_t v = __atomic_load_n(&b->s[i], __ATOMIC_RELAXED);
		uint32_t rem;

		if (v != 0 && rec_client(v) == client) {
			if (v == word)
				return;
			victim = &b->s[i];
			break;
		}
		rem = rec_remaining(v, now_s, timeout_s);
		if (rem < victim_rem) {
			victim_rem = rem;
			victim = &b->s[i];
		}
	}
	__atomic_store_n(victim, word, __ATOMIC_RELAXED);
}

void
lb_persist_store(struct lb_persist *p, uint32_t client, uint16_t member,
		 uint32_t gen, uint32_t now_s, uint32_t timeout_s)
{
	store_until(p, client, member, gen, now_s, timeout_s,
		    now_s + timeout_s);
}

void
lb_persist_merge(struct lb_persist *p, uint32_t client, uint16_t member,
		 uint32_t gen, uint32_t now_s, uint32_t timeout_s,
		 uint32_t left_s)
{
	const struct lb_persist_bucket *b = bucket(p, client);
	unsigned int i;

	if (left_s == 0)
		return;
	if (left_s > timeout_s)
		left_s = timeout_s;
	for (i = 0; i < LB_PERSIST_WAYS; i++) {
		uint64_t v = __atomic_load_n(&b->s[i], __ATOMIC_RELAXED);

		if (v != 0 && rec_client(v) == client &&
		    rec_remaining(v, now_s, timeout_s) >= left_s)
			return;   /* lives as long here: a newer choice */
	}
	store_until(p, client, member, gen, now_s, timeout_s, now_s + left_s);
}

uint32_t
lb_persist_slots(const struct lb_persist *p)
{
	return (p->mask + 1) * LB_PERSIST_WAYS;
}

bool
lb_persist_read(const struct lb_persist *p, uint32_t i, uint32_t now_s,
		uint32_t timeout_s, struct lb_persist_rec *out)
{
	uint64_t v;

	if (i >= lb_persist_slots(p))
		return false;
	v = __atomic_load_n(&p->b[i / LB_PERSIST_WAYS].s[i % LB_PERSIST_WAYS],
			    __ATOMIC_RELAXED);
	out->left_s = rec_remaining(v, now_s, timeout_s);
	if (out->left_s == 0)
		return false;
	out->client = rec_client(v);
	out->member = rec_member(v);
	out->gen = rec_gen(v);
	return true;
}

uint32_t
lb_persist_count(const struct lb_persist *p, uint32_t now_s,
		 uint32_t timeout_s)
{
	uint32_t i, k, n = 0;

	for (i = 0; i <= p->mask; i++)
		for (k = 0; k < LB_PERSIST_WAYS; k++)
			n += rec_remaining(__atomic_load_n(&p->b[i].s[k],
							   __ATOMIC_RELAXED),
					   now_s, timeout_s) != 0;
	return n;
}
