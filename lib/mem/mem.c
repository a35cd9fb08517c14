/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_rwlock.h>
#include <rte_tailq.h>

#include "lb_mem.h"

/*
 * DPDK 22.11's private sizes on a 64-bit build without RTE_MALLOC_DEBUG
 * (test_memsize checks them on x86-64):
 * - the heap's element header, struct malloc_elem: 80 bytes of fields,
 *   cache aligned (lib/eal/common/malloc_elem.h);
 * - struct rte_hash (lib/hash/rte_cuckoo_hash.h), 256 bytes with 64-byte
 *   cache lines;
 * - a bucket: RTE_HASH_BUCKET_ENTRIES signatures (2 bytes), key indexes
 *   (4) and flags (1), and the next pointer of the extendable chain, one
 *   cache line;
 * - KEY_ALIGNMENT of a key-store entry: the key after a data pointer;
 * - struct lcore_cache: a count and LCORE_CACHE_SIZE free slot indexes.
 */
#define MALLOC_ELEM_HEADER RTE_ALIGN_CEIL(80, RTE_CACHE_LINE_SIZE)
#define HASH_STRUCT_SIZE 256
#define HASH_BUCKET_ENTRIES 8
#define HASH_BUCKET_SIZE \
	RTE_ALIGN_CEIL(HASH_BUCKET_ENTRIES * (sizeof(uint16_t) + \
		sizeof(uint32_t) + sizeof(uint8_t)) + sizeof(void *), \
		RTE_CACHE_LINE_SIZE)
#define HASH_KEY_ALIGN 16
#define HASH_LCORE_CACHE 64
#define HASH_LCORE_CACHE_SIZE \
	RTE_ALIGN_CEIL(sizeof(unsigned int) + \
		HASH_LCORE_CACHE * sizeof(uint32_t), RTE_CACHE_LINE_SIZE)

void
lb_mem_heap_init(struct lb_mem_heap *h, size_t page_size)
{
	*h = (struct lb_mem_heap){ .page_size = page_size };
}

/* An allocation of sz bytes (header included) in the heap h models. */
static void
heap_take(struct lb_mem_heap *h, size_t sz)
{
	unsigned int i, best = h->n_free, smallest = 0;
	size_t map;

	h->allocated += sz;
	if (h->page_size == 0) {
		h->mapped += sz;
		return;
	}
	for (i = 0; i < h->n_free; i++)
		if (h->free[i] >= sz &&
		    (best == h->n_free || h->free[i] < h->free[best]))
			best = i;
	if (best < h->n_free) {
		h->free[best] -= sz;
		return;
	}
	/* try_expand_heap_primary(): the request and the element
	 * overhead, in whole pages; the allocation takes their end */
	map = RTE_ALIGN_CEIL(sz, h->page_size);
	h->mapped += map;
	if (map == sz)
		return;
	if (h->n_free < LB_MEM_HEAP_PIECES) {
		h->free[h->n_free++] = map - sz;
		return;
	}
	/* no room to remember it: forget the smallest piece (counted as
	 * lost, which only makes the estimate larger) */
	for (i = 1; i < h->n_free; i++)
		if (h->free[i] < h->free[smallest])
			smallest = i;
	if (h->free[smallest] < map - sz)
		h->free[smallest] = map - sz;
}

size_t
lb_mem_malloc_size(size_t size, struct lb_mem_heap *h)
{
	/* malloc_heap rounds every request up to a cache line, and a
	 * memzone asks for one at least */
	size_t sz = RTE_ALIGN_CEIL(RTE_MAX(size, (size_t)RTE_CACHE_LINE_SIZE),
				   RTE_CACHE_LINE_SIZE) + MALLOC_ELEM_HEADER;

	if (h != NULL)
		heap_take(h, sz);
	return sz;
}

size_t
lb_mem_ring_size(unsigned int esize, unsigned int count,
		 struct lb_mem_heap *h)
{
	ssize_t sz = rte_ring_get_memsize_elem(esize, count);

	if (sz < 0)
		return 0;
	/* rte_ring_create_elem(): the list entry, then the memzone */
	return lb_mem_malloc_size(sizeof(struct rte_tailq_entry), h) +
	       lb_mem_malloc_size((size_t)sz, h);
}

/* Key slots: one per entry, the dummy slot 0, and what the lcore caches
 * of a multi-writer hash may hold besides. */
static uint64_t
hash_key_slots(const struct rte_hash_parameters *p)
{
	uint64_t n = (uint64_t)p->entries + 1;

	if (p->extra_flag & RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD)
		n += (uint64_t)(RTE_MAX_LCORE - 1) * (HASH_LCORE_CACHE - 1);
	return n;
}

uint32_t
lb_mem_hash_max_key_id(const struct rte_hash_parameters *p)
{
	return (uint32_t)(hash_key_slots(p) - 1);
}

/* rte_hash_create(), allocation by allocation. */
size_t
lb_mem_hash_key_entry(const struct rte_hash_parameters *p)
{
	return RTE_ALIGN_CEIL(sizeof(void *) + p->key_len, HASH_KEY_ALIGN);
}

size_t
lb_mem_hash_size(const struct rte_hash_parameters *p,
		 struct lb_mem_heap *h)
{
	uint32_t f = p->extra_flag;
	bool multi_writer = f & RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
	bool lock = multi_writer || (f & RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY);
	bool ext = f & RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	uint64_t slots = hash_key_slots(p);
	uint32_t buckets = rte_align32pow2(p->entries) / HASH_BUCKET_ENTRIES;
	size_t key_entry = lb_mem_hash_key_entry(p);
	size_t sz;

	/* in rte_hash_create()'s order: the ring of free key slots (and
	 * of free extendable buckets), the list entry, the table, its
	 * buckets (as many extendable ones) */
	sz = lb_mem_ring_size(sizeof(uint32_t),
			      rte_align32pow2((uint32_t)slots), h);
	if (ext)
		sz += lb_mem_ring_size(sizeof(uint32_t),
				       rte_align32pow2(buckets + 1), h);
	sz += lb_mem_malloc_size(sizeof(struct rte_tailq_entry), h);
	sz += lb_mem_malloc_size(HASH_STRUCT_SIZE, h);
	sz += lb_mem_malloc_size((size_t)buckets * HASH_BUCKET_SIZE, h);
	if (ext)
		sz += lb_mem_malloc_size((size_t)buckets * HASH_BUCKET_SIZE, h);
	/* lock-free readers: an emptied extendable bucket is freed with
	 * the key slot that emptied it */
	if (ext && (f & RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF))
		sz += lb_mem_malloc_size(sizeof(uint32_t) * slots, h);
	/* the key store, the change counter, the lcore caches, the lock */
	sz += lb_mem_malloc_size(key_entry * slots, h);
	sz += lb_mem_malloc_size(sizeof(uint32_t), h);
	if (multi_writer)
		sz += lb_mem_malloc_size(HASH_LCORE_CACHE_SIZE *
					 (size_t)RTE_MAX_LCORE, h);
	if (lock)
		sz += lb_mem_malloc_size(sizeof(rte_rwlock_t), h);
	return sz;
}

/* rte_mempool_op_calc_mem_size_helper(): the memzone that holds n
 * objects of obj bytes, none across a page boundary, with room for a
 * start that is not page aligned. */
static size_t
pool_objects_size(unsigned int n, size_t obj, size_t page_size)
{
	size_t per_page, last;

	if (n == 0)
		return 0;
	if (page_size == 0)
		return obj * n;
	per_page = page_size / obj;
	if (per_page == 0)
		return RTE_ALIGN_CEIL(obj, page_size) * n;
	last = (n - 1) % per_page + 1;
	return last * obj + (n - last) / per_page * page_size + obj - 1;
}

size_t
lb_mem_pktmbuf_pool_size(unsigned int n, unsigned int cache_size,
			 uint16_t priv_size, uint16_t data_room_size,
			 size_t obj_page, struct lb_mem_heap *h)
{
	/* what rte_pktmbuf_pool_create() asks rte_mempool_create_empty() */
	uint32_t obj = rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) +
						 priv_size + data_room_size,
						 0, NULL);
	size_t header = RTE_MEMPOOL_HEADER_SIZE((struct rte_mempool *)NULL,
						cache_size) +
			RTE_ALIGN_CEIL(sizeof(struct rte_pktmbuf_pool_private),
				       RTE_MEMPOOL_ALIGN);
	size_t sz;

	/* the pool's list entry and header (with every lcore's cache) */
	sz = lb_mem_malloc_size(sizeof(struct rte_tailq_entry), h);
	sz += lb_mem_malloc_size(RTE_ALIGN_CEIL(header, RTE_MEMPOOL_ALIGN), h);
	/* ring_mp_mc: a ring that can hold every object */
	sz += lb_mem_ring_size(sizeof(void *), rte_align32pow2(n + 1), h);
	/* the objects, in one memzone, and its chunk header */
	sz += lb_mem_malloc_size(pool_objects_size(n, obj, obj_page), h);
	sz += lb_mem_malloc_size(sizeof(struct rte_mempool_memhdr), h);
	return sz;
}
