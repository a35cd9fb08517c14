/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_PERSIST_H
#define LB_PERSIST_H

/**
 * @file
 * Client persistence (IPVS templates, the seed's IPVSHelper -p): which
 * member a client (address, optionally masked) used last for a service,
 * until a timeout. One table per service, shared by every worker.
 *
 * Lock-free and allocation-free: a slot is one 64-bit word (client
 * address 32 bits, member slot 10 bits, the low LB_PERSIST_GEN_BITS bits
 * of the member's generation, expiry in seconds 18 bits) read and
 * written with single atomic accesses, so a reader never sees half a
 * record. Buckets are one cache line of LB_PERSIST_WAYS slots. Two
 * workers writing one bucket at once may each overwrite the other's
 * record: the loser's client is re-scheduled on its next new
 * connection, which is what an overflowing template table does too.
 *
 * A record names the member by slot and generation: the reader takes it
 * only if the slot's member has that generation now, so a member that
 * took a removed member's slot inherits none of its clients, however
 * late a worker on an old snapshot wrote a record (nothing sweeps the
 * tables when a member goes). Of the generation a record keeps 4 bits:
 * a slot reused 16 times within one timeout could match a record of 16
 * generations before, which then sends its client to a member that is
 * usable anyway.
 *
 * Expiry is compared with wrap-around arithmetic modulo 2^18 seconds
 * (three days): a record is valid while its remaining time is in
 * (0, timeout_s + LB_PERSIST_SKEW]. The skew second lets a worker whose
 * clock is a moment behind another's (each reads it once per loop) see
 * a record the other just wrote; a record whose remaining time exceeds
 * the timeout otherwise (the service's timeout was shortened) counts as
 * expired. A record untouched for a multiple of 2^18 seconds may look
 * valid again for timeout_s seconds unless its slot has been reused:
 * its client then goes to a member that is usable anyway.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_PERSIST_WAYS 8          /**< slots per bucket (one cache line) */
#define LB_PERSIST_MAX_TIMEOUT 86400
#define LB_PERSIST_MEMBERS 1024    /**< member slots a record can name */
#define LB_PERSIST_SKEW 1          /**< seconds of clock skew tolerated */
#define LB_PERSIST_GEN_BITS 4      /**< of a member's generation, kept */
#define LB_PERSIST_GEN_MASK ((1u << LB_PERSIST_GEN_BITS) - 1)

struct lb_mem_heap;
struct lb_persist;

/**
 * Create a table for about n clients (rounded up to a power of two of
 * buckets); NULL with rte_errno set.
 */
struct lb_persist *lb_persist_create(uint32_t n, int socket_id);

/**
 * Hugepage bytes lb_persist_create(n) takes (one 64-byte bucket per
 * LB_PERSIST_WAYS clients, buckets a power of two), added to h unless
 * it is NULL (lb_mem.h); 0 for an n it refuses.
 */
size_t lb_persist_memsize(uint32_t n, struct lb_mem_heap *h);

/**
 * Clients a service's table is made for when the flow tables hold
 * flow_capacity flows in all: about one per 16 flows, at least 4096.
 */
static inline uint32_t
lb_persist_records(uint32_t flow_capacity)
{
	uint32_t n = flow_capacity / 16;

	return n > 4096 ? n : 4096;
}

/** Free a table no worker can still read. */
void lb_persist_free(struct lb_persist *p);

/**
 * The member a client used within timeout_s seconds before now_s, or
 * -1; *gen: the low LB_PERSIST_GEN_BITS bits of its generation then (to
 * compare with the slot's member now: lb_persist_gen_matches()). client
 * is the masked address (network order). If a race left two records of
 * the client, the one written last wins.
 */
int lb_persist_lookup(const struct lb_persist *p, uint32_t client,
		      uint32_t now_s, uint32_t timeout_s, uint32_t *gen);

/** Whether a record's generation (lb_persist_lookup()) is member
 *  generation gen's. */
static inline int
lb_persist_gen_matches(uint32_t rec_gen, uint32_t gen)
{
	return rec_gen == (gen & LB_PERSIST_GEN_MASK);
}

/**
 * Remember (or refresh) a client's member, of generation gen, until
 * now_s + timeout_s. Replaces the client's record, else an expired or
 * free slot, else the record that expires first. Writes nothing if the
 * record already says exactly this (a client refreshing many times a
 * second costs no cache line transfers between workers).
 */
void lb_persist_store(struct lb_persist *p, uint32_t client, uint16_t member,
		      uint32_t gen, uint32_t now_s, uint32_t timeout_s);

/**
 * A record a peer balancer announced (flow sync): the client's member
 * for left_s more seconds (at most timeout_s), unless its record here
 * lives as long already (this balancer chose for it since, or heard it
 * first): a peer's copy never outlives the record it came from, so two
 * balancers that pass records back and forth let them expire.
 */
void lb_persist_merge(struct lb_persist *p, uint32_t client, uint16_t member,
		      uint32_t gen, uint32_t now_s, uint32_t timeout_s,
		      uint32_t left_s);

/** Slots of the table, for lb_persist_read(). */
uint32_t lb_persist_slots(const struct lb_persist *p);

/** A live record, read from its slot. */
struct lb_persist_rec {
	uint32_t client;    /**< masked, network order */
	uint16_t member;    /**< slot */
	uint32_t gen;       /**< low LB_PERSIST_GEN_BITS of its generation */
	uint32_t left_s;    /**< seconds left */
};

/**
 * Read slot i (0 .. lb_persist_slots() - 1) from any thread, for flow
 * sync's walk: true and *out if it holds a live record.
 */
bool lb_persist_read(const struct lb_persist *p, uint32_t i, uint32_t now_s,
		     uint32_t timeout_s, struct lb_persist_rec *out);

/** Records not expired at now_s (for display; a moment old). */
uint32_t lb_persist_count(const struct lb_persist *p, uint32_t now_s,
			  uint32_t timeout_s);

#endif /* LB_PERSIST_H */
