/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "lb_flow.h"
#include "lb_mem.h"

/* Candidates lb_flow_evict() looks at in each queue before it gives
 * up: confirmed entries it meets leave the queue, so a later call looks
 * further. Free positions (flows the sweeper removed) cost one read
 * each and have a budget of their own. */
#define EVICT_TRIES 16
#define EVICT_FREE 256
/* Positions the sweeper takes off the head of each queue per call. */
#define TRIM_BUDGET 16

/* Bytes of a family's key; 0 for one there is no table of. */
static uint32_t
family_key_len(enum lb_flow_family family)
{
	switch (family) {
	case LB_FLOW_IPV4:
		return sizeof(struct lb_tuple);
	case LB_FLOW_IPV6:
		return sizeof(struct lb_tuple6);
	}
	return 0;
}

/* What a table of capacity flows can be made of: lb_flow_create_family()
 * and lb_flow_memsize_family() refuse the same. */
static bool
table_params_ok(uint32_t capacity, enum lb_flow_family family)
{
	return capacity >= 8 && capacity <= UINT32_MAX / 2 &&
	       family_key_len(family) != 0;
}

/*
 * A flow's entry lives in its key slot of the hash, in front of its
 * tuple: a hit costs the bucket's cache line and the key's, no third.
 *
 * rte_hash keeps a position's data word (8 bytes) and then its key in
 * one slot, slots 16-byte aligned. The key we give it is 8 bytes of
 * entry followed by the tuple, so that the data word and those 8 bytes
 * make the 16-byte entry, and the tuple follows: a 32-byte slot for
 * IPv4 (half a cache line, never across two), 56 bytes in a 64-byte
 * slot for IPv6. The hash compares and hashes the tuple alone (a
 * compare and a hash function of ours), so an entry changes under its
 * key freely. rte_hash writes the data word only when a key is added
 * (with 0; the new entry is cleared then anyway) and never reads it for
 * the lookups used here.
 *
 * So a key as rte_hash sees it starts LB_FLOW_SKIP bytes before the
 * tuple: hkey() of a tuple is the address the hash is given. Only the
 * tuple's bytes are ever read through it; an add copies a whole key
 * from a buffer of ours.
 */
#define LB_FLOW_SKIP 8

_Static_assert(sizeof(struct lb_flow_entry) == 8 + LB_FLOW_SKIP,
	       "an entry is the data word and the key's first bytes");

static inline const void *
hkey(const void *tuple)
{
	return (const uint8_t *)tuple - LB_FLOW_SKIP;
}

/* A key to add: the entry's bytes (zero) and the tuple. */
union add_key {
	struct {
		uint8_t e[LB_FLOW_SKIP];
		struct lb_tuple k;
	} v4;
	struct {
		uint8_t e[LB_FLOW_SKIP];
		struct lb_tuple6 k;
	} v6;
};

static uint32_t
hash_key_len(enum lb_flow_family family)
{
	return LB_FLOW_SKIP + family_key_len(family);
}

/* lb_tuple_hash() and lb_tuple6_hash() of a key's tuple: the signatures
 * the data path passes in, and what rte_hash computes itself (a
 * position's key is looked up again by rte_hash_get_key_with_position()) */
static uint32_t
hash4(const void *key, uint32_t len __rte_unused, uint32_t init __rte_unused)
{
	return lb_tuple_hash((const void *)((const uint8_t *)key +
					    LB_FLOW_SKIP));
}

static uint32_t
hash6(const void *key, uint32_t len __rte_unused, uint32_t init __rte_unused)
{
	return lb_tuple6_hash((const void *)((const uint8_t *)key +
					     LB_FLOW_SKIP));
}

/* 8-byte word i of a key's tuple */
static inline uint64_t
word(const void *key, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const uint8_t *)key + LB_FLOW_SKIP + 8 * i, sizeof(w));
	return w;
}

static int
cmp4(const void *a, const void *b, size_t len __rte_unused)
{
	return ((word(a, 0) ^ word(b, 0)) | (word(a, 1) ^ word(b, 1))) != 0;
}

static int
cmp6(const void *a, const void *b, size_t len __rte_unused)
{
	return ((word(a, 0) ^ word(b, 0)) | (word(a, 1) ^ word(b, 1)) |
		(word(a, 2) ^ word(b, 2)) | (word(a, 3) ^ word(b, 3)) |
		(word(a, 4) ^ word(b, 4))) != 0;
}

/* The hash of a table of capacity flows: lb_flow_create_family() makes
 * it, lb_flow_memsize_family() says what it takes. */
static struct rte_hash_parameters
hash_params(const char *name, uint32_t capacity, enum lb_flow_family family,
	    int socket_id)
{
	return (struct rte_hash_parameters){
		.name = name,
		/* key slots of deleted flows wait for a grace period: room
		 * for them beyond the capacity, so a full table can evict
		 * and insert at once */
		.entries = capacity + LB_FLOW_SLACK,
		.key_len = hash_key_len(family),
		.hash_func = family == LB_FLOW_IPV6 ? hash6 : hash4,
		.hash_func_init_val = LB_HASH_SEED,
		.socket_id = socket_id,
		/* every slot usable (no bucket overflow refuses a key), and
		 * readers on other lcores without locks */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			      RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
}

/*
 * Where the entries are: rte_hash keeps a position's slot at a fixed
 * place, one stride apart, its data word just before its key, but says
 * none of it. Two probe keys are added with a data word each, their
 * keys' addresses read back (rte_hash_get_key_with_position()) and
 * removed again; the stride they show must be the one the memory model
 * computes (lb_mem_hash_key_entry()) and each data word must be found
 * right before its key, or the table is refused.
 */
static int
locate_entries(struct lb_flow_table *t, const struct rte_hash_parameters *hp)
{
	static const uint64_t data[2] = { 0x6473726c62000001ull,
					  0x6473726c62000002ull };
	size_t stride = lb_mem_hash_key_entry(hp);
	union add_key probe[2];
	int32_t pos[2] = { -1, -1 };
	uint8_t *kp[2];
	int rc = 0, i;

	memset(probe, 0, sizeof(probe));
	for (i = 0; i < 2; i++) {
		uint32_t sig;
		uint64_t w;

		/* protocol 0 is no flow's */
		probe[i].v4.k.src_port = (uint16_t)(i + 1);
		probe[i].v6.k.src_port = (uint16_t)(i + 1);
		sig = hp->hash_func(&probe[i], hp->key_len, 0);
		/* the position, then the data word of the key just added */
		pos[i] = rte_hash_add_key_with_hash(t->h, &probe[i], sig);
		if (pos[i] < 0 ||
		    rte_hash_add_key_with_hash_data(t->h, &probe[i], sig,
			(void *)(uintptr_t)data[i]) != 0 ||
		    rte_hash_get_key_with_position(t->h, pos[i],
						   (void **)&kp[i]) != 0 ||
		    memcmp(kp[i], &probe[i], hp->key_len) != 0) {
			rc = -ENOTSUP;
			continue;
		}
		/* rte_hash's data word, just before the key */
		memcpy(&w, kp[i] - sizeof(w), sizeof(w));
		if (w != data[i])
			rc = -ENOTSUP;
	}
	if (rc == 0 && (kp[1] - kp[0] != (pos[1] - pos[0]) * (ptrdiff_t)stride ||
			stride > UINT32_MAX))
		rc = -ENOTSUP;
	if (rc == 0) {
		t->estride = (uint32_t)stride;
		t->ebase = kp[0] - sizeof(uint64_t) -
			   (ptrdiff_t)pos[0] * (ptrdiff_t)stride;
	}
	for (i = 0; i < 2; i++) {
		if (pos[i] < 0)
			continue;
		rte_hash_del_key_with_hash(t->h, &probe[i],
			hp->hash_func(&probe[i], hp->key_len, 0));
		rte_hash_free_key_with_position(t->h, pos[i]);
	}
	return rc;
}

/* A queue of positions holds every flow of the table. */
static size_t
fifo_bytes(uint32_t capacity)
{
	const struct lb_flow_fifo *f = NULL;   /* for sizeof only */

	return (size_t)rte_align32pow2(capacity) * sizeof(*f->pos);
}

static int
fifo_init(struct lb_flow_fifo *f, const char *name, uint32_t capacity,
	  int socket_id)
{
	f->mask = rte_align32pow2(capacity) - 1;
	f->pos = rte_malloc_socket(name, fifo_bytes(capacity),
				   RTE_CACHE_LINE_SIZE, socket_id);
	return f->pos == NULL ? -ENOMEM : 0;
}

struct lb_flow_table *
lb_flow_create_family(const char *name, uint32_t capacity,
		      enum lb_flow_family family, int socket_id,
		      struct rte_rcu_qsbr *qsbr)
{
	struct rte_hash_parameters hp = hash_params(name, capacity, family,
						    socket_id);
	struct lb_flow_table *t;
	int32_t max_id;

	if (!table_params_ok(capacity, family)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE,
			       socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->qsbr = qsbr;
	t->family = (uint8_t)family;
	t->key_len = (uint8_t)family_key_len(family);
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;
	rte_hash_set_cmp_func(t->h, family == LB_FLOW_IPV6 ? cmp6 : cmp4);
	if (locate_entries(t, &hp) != 0) {
		RTE_LOG(ERR, USER1, "flow table %s: rte_hash keeps its keys "
			"other than this build expects: refused\n", name);
		rte_errno = ENOTSUP;
		goto fail;
	}
	max_id = rte_hash_max_key_id(t->h);
	if (max_id < 0) {
		rte_errno = EINVAL;
		goto fail;
	}
	t->n_pos = (uint32_t)max_id + 1;
	t->limbo = rte_malloc_socket(name, LB_FLOW_SLACK * sizeof(*t->limbo),
				     RTE_CACHE_LINE_SIZE, socket_id);
	t->mcount = rte_zmalloc_socket(name, LB_FLOW_MEMBERS * sizeof(*t->mcount),
				       RTE_CACHE_LINE_SIZE, socket_id);
	t->scount = rte_zmalloc_socket(name, LB_FLOW_SERVICES * sizeof(*t->scount),
				       RTE_CACHE_LINE_SIZE, socket_id);
	if (t->limbo == NULL || t->mcount == NULL ||
	    t->scount == NULL ||
	    fifo_init(&t->guessed, name, capacity, socket_id) != 0 ||
	    fifo_init(&t->opened, name, capacity, socket_id) != 0) {
		rte_errno = ENOMEM;
		goto fail;
	}
	t->capacity = capacity;
	return t;

fail:
	lb_flow_free(t);
	return NULL;
}

struct lb_flow_table *
lb_flow_create(const char *name, uint32_t capacity, int socket_id,
	       struct rte_rcu_qsbr *qsbr)
{
	return lb_flow_create_family(name, capacity, LB_FLOW_IPV4, socket_id,
				     qsbr);
}

/*
 * The bytes lb_flow_create_family() takes, allocation by allocation,
 * from the same parameters (the key store follows the family's key
 * length): --check sizes hugepages with it, and test_memsize holds it
 * to what a real table takes.
 */
size_t
lb_flow_memsize_family(uint32_t capacity, enum lb_flow_family family,
		       struct lb_mem_heap *h)
{
	struct rte_hash_parameters hp = hash_params("", capacity, family,
						    SOCKET_ID_ANY);
	const struct lb_flow_table *t = NULL;   /* for sizeof only */
	size_t sz;

	if (!table_params_ok(capacity, family))
		return 0;
	/* in lb_flow_create()'s order, for the heap's sake */
	sz = lb_mem_malloc_size(sizeof(*t), h);
	sz += lb_mem_hash_size(&hp, h);
	sz += lb_mem_malloc_size(LB_FLOW_SLACK * sizeof(*t->limbo), h);
	sz += lb_mem_malloc_size(LB_FLOW_MEMBERS * sizeof(*t->mcount), h);
	sz += lb_mem_malloc_size(LB_FLOW_SERVICES * sizeof(*t->scount), h);
	sz += lb_mem_malloc_size(fifo_bytes(capacity), h);
	sz += lb_mem_malloc_size(fifo_bytes(capacity), h);
	return sz;
}

size_t
lb_flow_memsize(uint32_t capacity, struct lb_mem_heap *h)
{
	return lb_flow_memsize_family(capacity, LB_FLOW_IPV4, h);
}

void
lb_flow_free(struct lb_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->guessed.pos);
	rte_free(t->opened.pos);
	rte_free(t->limbo);
	rte_free(t->mcount);
	rte_free(t->scount);
	rte_free(t);
}

void
lb_flow_flush(struct lb_flow_table *t)
{
	unsigned int i;

	/* clears the key store, every entry in it with it */
	rte_hash_reset(t->h);
	/* the generations counted stay: a flow after the flush is of
	 * the member there now, or of a newer one */
	for (i = 0; i < LB_FLOW_MEMBERS; i++)
		t->mcount[i].active = t->mcount[i].inactive = 0;
	memset(&t->stale, 0, sizeof(t->stale));
	memset(t->scount, 0, LB_FLOW_SERVICES * sizeof(*t->scount));
	t->count = 0;
	t->guessed.head = t->guessed.tail = 0;
	t->opened.head = t->opened.tail = 0;
	t->limbo_head = t->limbo_closed = t->limbo_tail = 0;
	t->batch_head = t->batch_n = 0;
}

void
lb_flow_lookup_bulk(struct lb_flow_table *t, const void **keys, uint32_t *sig,
		    unsigned int n, int32_t *pos)
{
	const void *hk[RTE_HASH_LOOKUP_BULK_MAX];
	unsigned int i;

	/* rte_hash takes at most RTE_HASH_LOOKUP_BULK_MAX keys at once (it
	 * refuses more, and so the array of its keys has a fixed size) */
	if (n > 0 && n <= RTE_HASH_LOOKUP_BULK_MAX) {
		for (i = 0; i < n; i++)
			hk[i] = hkey(keys[i]);
		/* a hit's entry comes with its key's line */
		if (rte_hash_lookup_with_hash_bulk(t->h, hk, sig, n, pos) == 0)
			return;
	}
	for (i = 0; i < n; i++)
		pos[i] = -ENOENT;
}

int32_t
lb_flow_lookup(struct lb_flow_table *t, const void *key, uint32_t sig)
{
	return rte_hash_lookup_with_hash(t->h, hkey(key), sig);
}

bool
lb_flow_peek(const struct lb_flow_table *t, const void *key, uint32_t sig,
	     uint32_t now, struct lb_flow_entry *out)
{
	int32_t pos = rte_hash_lookup_with_hash(t->h, hkey(key), sig);
	const struct lb_flow_entry *e;

	if (pos < 0 || (uint32_t)pos >= t->n_pos)
		return false;
	/* the position cannot be reused before our next quiescent state;
	 * its fields may change under us, each on its own */
	e = lb_flow_at(t, pos);
	*out = (struct lb_flow_entry){
		.state = __atomic_load_n(&e->state, __ATOMIC_RELAXED),
		.expire = __atomic_load_n(&e->expire, __ATOMIC_RELAXED),
		.member = __atomic_load_n(&e->member, __ATOMIC_RELAXED),
		.member_gen = __atomic_load_n(&e->member_gen, __ATOMIC_RELAXED),
	};
	return out->state != 0 && !lb_flow_expired(out, now);
}

bool
lb_flow_holds(const struct lb_flow_table *t, const void *key, uint32_t sig)
{
	int32_t pos = rte_hash_lookup_with_hash(t->h, hkey(key), sig);

	return pos >= 0 && (uint32_t)pos < t->n_pos &&
	       __atomic_load_n(&lb_flow_at(t, pos)->state,
			       __ATOMIC_RELAXED) != 0;
}

/*
 * The owner may delete the flow at pos and reuse the position for
 * another key at any moment (the caller is no QSBR reader): the key is
 * read, then the entry, then the key again, and the key must still be
 * at pos in the hash; a position that changed hands in between is
 * skipped, never reported with another flow's fields. Keys are of the
 * table's length: key_len bytes copied and compared, never a fixed
 * size, or an IPv6 key would be half read.
 */
bool
lb_flow_read(const struct lb_flow_table *t, uint32_t pos, uint32_t now,
	     void *key, struct lb_flow_entry *out)
{
	const struct lb_flow_entry *e;
	union {                  /* the second read, of either family */
		struct lb_tuple v4;
		struct lb_tuple6 v6;
	} k2;
	void *kp;

	if (pos >= t->n_pos)
		return false;
	e = lb_flow_at(t, (int32_t)pos);
	if (__atomic_load_n(&e->state, __ATOMIC_RELAXED) == 0 ||
	    rte_hash_get_key_with_position(t->h, (int32_t)pos, &kp) != 0)
		return false;
	kp = (uint8_t *)kp + LB_FLOW_SKIP;   /* the tuple */
	memcpy(key, kp, t->key_len);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	*out = (struct lb_flow_entry){
		.state = __atomic_load_n(&e->state, __ATOMIC_RELAXED),
		.expire = __atomic_load_n(&e->expire, __ATOMIC_RELAXED),
		.member = __atomic_load_n(&e->member, __ATOMIC_RELAXED),
		.member_gen = __atomic_load_n(&e->member_gen, __ATOMIC_RELAXED),
		.svc = __atomic_load_n(&e->svc, __ATOMIC_RELAXED),
		.packets = __atomic_load_n(&e->packets, __ATOMIC_RELAXED),
		.flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED),
	};
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(&k2, kp, t->key_len);
	if (out->state == 0 || lb_flow_expired(out, now) ||
	    memcmp(key, &k2, t->key_len) != 0)
		return false;
	return rte_hash_lookup_with_hash(t->h, hkey(key),
					 lb_flow_hash(t, key)) ==
	       (int32_t)pos;
}

static inline void
fifo_push(struct lb_flow_fifo *f, uint32_t pos)
{
	if (f->tail - f->head > f->mask)
		f->head++;   /* the oldest is forgotten, not evicted */
	f->pos[f->tail++ & f->mask] = pos;
}

int32_t
lb_flow_add(struct lb_flow_table *t, const void *key, uint32_t sig,
	    bool guessed)
{
	unsigned int b = lb_flow_added_bit(sig);
	union add_key k;
	struct lb_flow_entry *e;
	int32_t pos;

	if (t->count >= t->capacity)
		return -ENOSPC;
	/* the tuple after the entry's bytes, copied into the slot */
	memset(&k, 0, sizeof(k));
	memcpy(k.v4.e + LB_FLOW_SKIP, key, t->key_len);
	pos = rte_hash_add_key_with_hash(t->h, &k, sig);
	if (pos < 0)
		return -ENOSPC;
	if ((uint32_t)pos >= t->n_pos) {
		/* cannot happen with our parameters; never past the store */
		rte_hash_del_key_with_hash(t->h, &k, sig);
		rte_hash_free_key_with_position(t->h, pos);
		return -ENOSPC;
	}
	/* a fresh slot no reader can hold, or an entry of this very key
	 * (counted until now: the caller counts it again as it fills it) */
	e = lb_flow_at(t, pos);
	if (e->state == 0)
		t->count++;
	else
		lb_flow_set_state(t, e, 0);
	memset(e, 0, sizeof(*e));
	t->adds++;
	t->added[b / 64] |= 1ull << (b % 64);
	fifo_push(guessed ? &t->guessed : &t->opened, (uint32_t)pos);
	return pos;
}

void
lb_flow_renew(struct lb_flow_table *t, int32_t pos, bool guessed)
{
	if (pos >= 0 && (uint32_t)pos < t->n_pos)
		fifo_push(guessed ? &t->guessed : &t->opened, (uint32_t)pos);
}

int
lb_flow_del(struct lb_flow_table *t, int32_t pos)
{
	struct lb_flow_entry *e;
	const uint8_t *key;
	uint32_t sig;

	if (pos < 0 || (uint32_t)pos >= t->n_pos)
		return 0;
	e = lb_flow_at(t, pos);
	if (e->state == 0)
		return 0;
	if (t->qsbr != NULL && lb_flow_limbo(t) >= LB_FLOW_SLACK)
		return -EBUSY;
	/* the key in the slot, after the data word: hashed once, and the
	 * hash must hold it at this very position */
	key = (const uint8_t *)e + sizeof(uint64_t);
	sig = lb_flow_hash(t, key + LB_FLOW_SKIP);
	if (unlikely(t->count == 0 ||
		     rte_hash_lookup_with_hash(t->h, key, sig) != pos)) {
		/* an entry the hash does not hold at pos: its slot is free
		 * or another key's, never ours to free */
		lb_flow_set_state(t, e, 0);
		__atomic_store_n(&t->errors, t->errors + 1, __ATOMIC_RELAXED);
		return -ENOENT;
	}
	rte_hash_del_key_with_hash(t->h, key, sig);
	lb_flow_set_state(t, e, 0);
	t->count--;
	t->dels++;
	if (t->qsbr == NULL)
		rte_hash_free_key_with_position(t->h, pos);
	else
		t->limbo[t->limbo_tail++ % LB_FLOW_SLACK] = (uint32_t)pos;
	return 0;
}

/* The oldest evictable entry of one queue, looking at a few: positions
 * whose entries were confirmed (or removed) since are dropped from the
 * queue as they are met. */
static inline bool
evictable(const struct lb_flow_entry *e, uint32_t now)
{
	return e->state != 0 &&
	       (lb_flow_provisional(e->state) || lb_flow_expired(e, now));
}

static int
evict_from(struct lb_flow_table *t, struct lb_flow_fifo *f, uint32_t now)
{
	unsigned int tries = 0, free = 0;

	while (tries < EVICT_TRIES && free < EVICT_FREE && f->head != f->tail) {
		uint32_t pos = f->pos[f->head & f->mask];
		const struct lb_flow_entry *e = lb_flow_at(t, (int32_t)pos);

		if (evictable(e, now)) {
			int rc = lb_flow_del(t, (int32_t)pos);

			if (rc != -EBUSY)
				f->head++;
			if (rc != -ENOENT)
				return rc;
			continue;   /* no flow was there: nothing freed */
		}
		if (e->state == 0)
			free++;
		else
			tries++;
		f->head++;
	}
	return -ENOSPC;
}

/* Take what can never be evicted off the head of a queue (flows swept
 * since, confirmed flows), so that when the table fills after a quiet
 * while its oldest provisional entries are at hand. */
static void
fifo_trim(struct lb_flow_table *t, struct lb_flow_fifo *f, uint32_t now)
{
	unsigned int n;

	for (n = 0; n < TRIM_BUDGET && f->head != f->tail; n++) {
		if (evictable(lb_flow_at(t, (int32_t)f->pos[f->head & f->mask]),
			      now))
			break;
		f->head++;
	}
}

/*
 * Guesses first: an entry made by a packet without SYN is what a flood
 * of spoofed ACKs makes, and a real flow that lost one is placed again
 * by the consistent hash. Then the oldest other provisional entries: a
 * real connection's SYN entry is confirmed within a round trip and is
 * skipped, while a SYN flood's wait to be taken in order.
 */
int
lb_flow_evict(struct lb_flow_table *t, uint32_t now)
{
	int rc = evict_from(t, &t->guessed, now);

	if (rc == -ENOSPC)
		rc = evict_from(t, &t->opened, now);
	return rc;
}

/*
 * Incremental: a few positions per call keeps the cost per burst small
 * and bounded, and walking the key slots (each entry in its own) in
 * order lets the hardware prefetcher hide most of it. Expired flows a
 * lookup meets first are reused in place by the caller, so the sweeper
 * only has to keep the table from filling with dead flows.
 */
unsigned int
lb_flow_sweep(struct lb_flow_table *t, uint32_t now, unsigned int budget)
{
	unsigned int removed = 0;
	uint32_t pos = t->sweep_pos;

	fifo_trim(t, &t->guessed, now);
	fifo_trim(t, &t->opened, now);
	while (budget-- > 0) {
		struct lb_flow_entry *e = lb_flow_at(t, (int32_t)pos);

		if (e->state != 0 && lb_flow_expired(e, now)) {
			int rc = lb_flow_del(t, (int32_t)pos);

			if (rc == -EBUSY)
				break;   /* retried on a later pass */
			removed += rc == 0;
		}
		if (++pos == t->n_pos)
			pos = 0;
	}
	t->sweep_pos = pos;
	return removed;
}

unsigned int
lb_flow_reclaim(struct lb_flow_table *t)
{
	unsigned int freed = 0;

	if (t->qsbr == NULL)
		return 0;
	if (t->limbo_closed != t->limbo_tail) {
		uint64_t token = rte_rcu_qsbr_start(t->qsbr);

		if (t->batch_n == LB_FLOW_BATCHES) {
			/* a later token covers the newest batch's older
			 * positions too: they only wait longer */
			struct lb_flow_batch *b = &t->batch[(t->batch_head +
				t->batch_n - 1) % LB_FLOW_BATCHES];

			b->token = token;
			b->end = t->limbo_tail;
		} else {
			t->batch[(t->batch_head + t->batch_n++) %
				 LB_FLOW_BATCHES] = (struct lb_flow_batch){
				.token = token, .end = t->limbo_tail,
			};
		}
		t->limbo_closed = t->limbo_tail;
	}
	while (t->batch_n > 0) {
		const struct lb_flow_batch *b = &t->batch[t->batch_head];

		if (rte_rcu_qsbr_check(t->qsbr, b->token, false) != 1)
			break;
		for (; t->limbo_head != b->end; t->limbo_head++, freed++)
			rte_hash_free_key_with_position(t->h,
				(int32_t)t->limbo[t->limbo_head % LB_FLOW_SLACK]);
		t->batch_head = (t->batch_head + 1) % LB_FLOW_BATCHES;
		t->batch_n--;
	}
	return freed;
}

int
lb_flow_audit(const struct lb_flow_table *t, struct lb_flow_audit *out)
{
	struct lb_flow_audit a = {
		.count = t->count,
		.limbo = lb_flow_limbo(t),
	};
	const void *key;
	void *data;
	uint32_t it = 0, pos, i;
	int32_t p, used;

	while ((p = rte_hash_iterate(t->h, &key, &data, &it)) >= 0) {
		a.keys++;
		if ((uint32_t)p >= t->n_pos || lb_flow_at(t, p)->state == 0)
			a.no_entry++;
	}
	for (pos = 0; pos < t->n_pos; pos++) {
		void *k;

		if (lb_flow_at(t, (int32_t)pos)->state == 0)
			continue;
		a.in_use++;
		if (rte_hash_get_key_with_position(t->h, (int32_t)pos, &k) != 0)
			a.no_key++;
	}
	for (i = 0; i < LB_FLOW_MEMBERS; i++)
		a.counted += t->mcount[i].active + t->mcount[i].inactive;
	a.counted += t->stale.active + t->stale.inactive;
	for (i = 0; i < LB_FLOW_SERVICES; i++)
		a.svc_counted += t->scount[i].active + t->scount[i].inactive;
	used = rte_hash_count(t->h);
	a.slots_used = used < 0 ? UINT32_MAX : (uint32_t)used;
	if (out != NULL)
		*out = a;
	if (a.no_key != 0 || a.no_entry != 0 || a.keys != a.count ||
	    a.in_use != a.count || a.counted != a.count ||
	    a.svc_counted != a.count ||
	    (t->qsbr == NULL ? a.slots_used != a.keys :
	     a.slots_used != a.keys + a.limbo) ||
	    a.count > t->capacity)
		return -EFAULT;
	return 0;
}
