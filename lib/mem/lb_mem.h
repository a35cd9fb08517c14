/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_MEM_H
#define LB_MEM_H

/**
 * @file
 * What DPDK's allocators take from the hugepage heap for a request, as
 * DPDK 22.11 computes it: rte_malloc and memzones (lib/eal malloc_heap),
 * rte_ring, rte_hash (rte_cuckoo_hash.c) and the mbuf pools
 * (lib/mempool, lib/mbuf). Each component that allocates says with
 * these how much it will take, from the same parameters it passes to
 * the allocator, so dsrlb --check can size hugepages before the EAL
 * runs. Plain arithmetic: nothing here needs the EAL.
 *
 * Every function returns the heap bytes the allocation takes (what
 * rte_malloc_get_socket_stats() counts as allocated) and, given a
 * struct lb_mem_heap, adds the allocation to it, so a sequence of them
 * in the order the code makes them also says how many hugepages the
 * heap maps.
 *
 * What DPDK keeps private (its heap element header, struct rte_hash, a
 * hash bucket) is a constant here; app/test/test_memsize.c measures real
 * allocations against every function, so a DPDK that changes them fails
 * that test instead of making the estimate wrong.
 */

#include <stddef.h>
#include <stdint.h>

struct rte_hash_parameters;

/** Free pieces a struct lb_mem_heap keeps track of. */
#define LB_MEM_HEAP_PIECES 256

/**
 * A heap being sized, as DPDK's grows in dynamic memory mode
 * (malloc_heap.c): an allocation goes to the smallest free piece that
 * holds it; when none does, the heap maps its size and header rounded up
 * to whole pages and allocates from their end, and the rest of them is a
 * free piece for later, smaller allocations. With page_size 0 the heap
 * does not grow (--no-huge, legacy memory): mapped is what is allocated.
 */
struct lb_mem_heap {
	size_t page_size;     /**< the hugepages it grows by */
	size_t allocated;     /**< bytes allocated */
	size_t mapped;        /**< bytes of the pages it mapped */
	unsigned int n_free;
	size_t free[LB_MEM_HEAP_PIECES]; /**< sizes of the free pieces */
};

/** An empty heap that grows by pages of page_size. */
void lb_mem_heap_init(struct lb_mem_heap *h, size_t page_size);

/**
 * Heap bytes of one rte_malloc_socket() (alignment up to a cache line)
 * or rte_memzone_reserve() of size bytes: the size in whole cache lines
 * and the heap's element header. Added to h unless it is NULL.
 */
size_t lb_mem_malloc_size(size_t size, struct lb_mem_heap *h);

/**
 * Heap bytes of rte_ring_create_elem(): a ring of count slots of esize
 * bytes (count a power of two, or what RING_F_EXACT_SZ rounded it to),
 * with its entry in the ring list.
 */
size_t lb_mem_ring_size(unsigned int esize, unsigned int count,
			struct lb_mem_heap *h);

/**
 * Heap bytes of rte_hash_create(p): buckets, extendable buckets and
 * their free list, the key store, the ring of free key slots, and what
 * the extra flags add (lock-free readers keep a bucket-to-free index per
 * key slot; multi-writer adds per-lcore caches of free slots).
 * p must be parameters rte_hash_create() accepts.
 */
size_t lb_mem_hash_size(const struct rte_hash_parameters *p,
			struct lb_mem_heap *h);

/** What rte_hash_max_key_id() returns for the hash p creates. */
uint32_t lb_mem_hash_max_key_id(const struct rte_hash_parameters *p);

/** Bytes of one key slot of an rte_hash made with p: its data word and
 *  its key, aligned as rte_hash_create() aligns them. */
size_t lb_mem_hash_key_entry(const struct rte_hash_parameters *p);

/**
 * Heap bytes of rte_pktmbuf_pool_create(n, cache_size, priv_size,
 * data_room_size) with the default ring handler: the pool header with
 * every lcore's cache, the ring of free mbufs, and the mbufs, laid out
 * as rte_mempool_populate_default() does on pages of obj_page bytes (no
 * mbuf crosses a page; 0: pages do not matter): the smallest hugepage
 * size the EAL has on the socket, or the system's page size without
 * hugepages.
 */
size_t lb_mem_pktmbuf_pool_size(unsigned int n, unsigned int cache_size,
				uint16_t priv_size, uint16_t data_room_size,
				size_t obj_page, struct lb_mem_heap *h);

#endif /* LB_MEM_H */
