/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_FLOW_H
#define LB_FLOW_H

/**
 * @file
 * Per-lcore flow table: an rte_hash keyed by the 5-tuple, each flow's
 * 16-byte entry in the hash's own key slot, in front of the tuple (the
 * slot's data word and 8 bytes of key): a 32-byte slot for IPv4, 64
 * for IPv6, so a hit costs the bucket's cache line and the key's and no
 * third one. The hash compares and hashes the tuple alone, and
 * lb_flow_create_family() finds and checks where the slots are; flow.c
 * says how.
 *
 * A table holds one address family, chosen when it is made: IPv4 keyed
 * by struct lb_tuple, IPv6 by struct lb_tuple6. Keys are passed as
 * void pointers to one implementation, the hash comparing the table's
 * key length; only what hashes a key again (lb_flow_del(),
 * lb_flow_read()) looks at the family. Everything else (admission,
 * eviction, grace periods, counts) is the same for both.
 *
 * One writer, many readers. Only the owning lcore adds, updates and
 * deletes, so it takes no locks; other workers may look a flow up (the
 * ICMP error about a flow whose packets RSS sent to another worker), so
 * the hash runs in DPDK's lock-free reader mode and a deleted key's
 * slot is recycled only after every worker has passed a quiescent state
 * (rte_rcu_qsbr), one token per loop iteration, never per delete.
 *
 * Admission: every new entry is provisional (a SYN without its ACK, a
 * first mid-stream packet, a first UDP datagram) with a short timeout
 * until the flow shows more life; a full table evicts provisional
 * entries and never a confirmed one: first the oldest made by a packet
 * without SYN (a guess: what a spoofed-ACK flood makes), then the oldest
 * other ones. Spoofed packets, which never come back, can fill the table
 * only with entries that make room.
 *
 * Counts: the table counts its flows per member slot and per service
 * slot, active (established TCP, UDP) and inactive (TCP being opened or
 * closed) as IPVS does, exactly: every change of an entry's state,
 * member or service goes through lb_flow_fill(), lb_flow_set_state(),
 * lb_flow_set_member() and lb_flow_set_svc(), and deletion through
 * lb_flow_del(). wlc reads
 * them on the data path, the master through lb_flow_member_flows().
 *
 * Times are in ticks of 1 ms (LB_FLOW_HZ), 32 bits, compared with
 * wrap-around arithmetic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lb_pkt.h"
#include "lb_sched.h"

#define LB_FLOW_HZ 1000

/** Deleted key slots that may wait for a grace period, per table: the
 *  hash has this many slots beyond its capacity. */
#define LB_FLOW_SLACK 4096

/** Member slots whose flows a table counts (LB_MAX_MEMBERS). */
#define LB_FLOW_MEMBERS 1024
/** Service slots whose flows a table counts (LB_MAX_SERVICES). */
#define LB_FLOW_SERVICES 256     /* an entry keeps its service in a byte */

/** The keys of a table. */
enum lb_flow_family {
	LB_FLOW_IPV4 = 0,        /**< struct lb_tuple, lb_tuple_hash() */
	LB_FLOW_IPV6 = 1,        /**< struct lb_tuple6, lb_tuple6_hash() */
};

/** Connection state as seen from the client side only. */
enum lb_flow_state {
	LB_FLOW_TCP_SYN = 1,     /**< provisional: SYN seen, no ACK yet */
	LB_FLOW_TCP_MID,         /**< provisional: made by a packet without SYN */
	LB_FLOW_TCP_EST,         /**< confirmed: the ACK after a SYN, or a second packet */
	LB_FLOW_TCP_CLOSING,     /**< FIN or RST seen */
	LB_FLOW_UDP_NEW,         /**< provisional: one datagram */
	LB_FLOW_UDP,             /**< confirmed: a second datagram */
	LB_FLOW_STATE_MAX,
};

/** True for the states a full table may evict. */
static inline bool
lb_flow_provisional(uint8_t state)
{
	return state == LB_FLOW_TCP_SYN || state == LB_FLOW_TCP_MID ||
	       state == LB_FLOW_UDP_NEW;
}

/**
 * True for the states IPVS counts as active connections (its wlc
 * weighs them 256 times an inactive one): an established TCP flow and
 * any UDP flow; a TCP flow being opened (or guessed) or closed is
 * inactive.
 */
static inline bool
lb_flow_active_state(uint8_t state)
{
	return ((1u << LB_FLOW_TCP_EST | 1u << LB_FLOW_UDP_NEW |
		 1u << LB_FLOW_UDP) >> state) & 1;
}

/** Per-state timeouts, in ticks. */
struct lb_flow_timeouts {
	uint32_t t[LB_FLOW_STATE_MAX];
};

/**
 * One flow. Written only by the owning lcore; the fields other lcores
 * read (state, member, member_gen, expire) are stored with relaxed
 * atomic stores, each consistent on its own.
 */
struct lb_flow_entry {
	uint32_t expire;     /**< tick after which the flow is gone */
	uint16_t packets;    /**< packets of the flow its worker handled (wraps) */
	uint8_t flags;       /**< LB_FLOW_F_* */
	uint8_t pad;
	uint32_t member_gen; /**< slot generation when chosen */
	uint16_t member;     /**< member slot */
	uint8_t svc;         /**< service slot (LB_FLOW_SERVICES) */
	uint8_t state;       /**< enum lb_flow_state; 0 = free */
};

_Static_assert(sizeof(struct lb_flow_entry) == 16, "flow entry is 16 bytes");

/** lb_flow_entry::flags: learned from a peer balancer's flow sync, not
 *  seen here: never announced again (the peer that carries the flow
 *  does), and a peer's record may move, refresh or end it. The first
 *  packet this balancer forwards for it makes it its own. */
#define LB_FLOW_F_LEARNED 0x01
_Static_assert(LB_FLOW_SERVICES <= 256, "an entry keeps its service in a byte");

/** What a TCP packet does to its flow. */
enum lb_flow_tcp_event {
	LB_FLOW_KEEP = 0,  /**< same connection */
	LB_FLOW_REUSE,     /**< SYN on a closing or guessed flow: a new connection */
	LB_FLOW_CLOSED,    /**< the first FIN or RST: the connection ends */
};

struct lb_mem_heap;
struct rte_hash;
struct rte_rcu_qsbr;

/** A batch of deleted positions waiting for one grace period. */
struct lb_flow_batch {
	uint64_t token;          /**< rte_rcu_qsbr_start() when closed */
	uint32_t end;            /**< limbo index just past the batch */
};

#define LB_FLOW_BATCHES 64

/** Positions in the order their entries were made: lb_flow_evict()
 *  takes the oldest first. */
struct lb_flow_fifo {
	uint32_t *pos;
	uint32_t mask;
	uint32_t head;           /**< oldest */
	uint32_t tail;           /**< next free */
};

/** Flows of one member (or service) in one table, in IPVS's two
 *  classes. */
struct lb_flow_mcount {
	uint32_t active;         /**< lb_flow_active_state() */
	uint32_t inactive;       /**< the other states */
	/** members only: the slot's generation counted here. When a newer
	 *  one's first flow comes (another member took the slot), the
	 *  earlier member's flows still in the table move to the table's
	 *  stale count, and so do their later changes: a member's counts
	 *  (wlc, drain) are its own, never its slot's previous owner's. */
	uint32_t gen;
	uint32_t pad;            /* 16 bytes: none straddles a cache line */
};

/** A per-lcore flow table. */
struct lb_flow_table {
	struct rte_hash *h;
	/** the entry of position 0 in the hash's key store; position p's
	 *  is p * estride bytes further (lb_flow_at()) */
	uint8_t *ebase;
	uint32_t estride;
	uint32_t n_pos;          /**< positions: 0 to n_pos - 1 */
	uint32_t capacity;       /**< flows it holds */
	uint32_t sweep_pos;      /**< next position the sweeper looks at */
	uint32_t sweep_at;       /**< tick of the last lb_flow_sweep_budget() */
	uint32_t sweep_credit;   /**< positions owed to the sweeper */
	uint32_t count;          /**< flows in the table */
	/** lb_flow_add() and lb_flow_del() calls that changed the table:
	 *  a position (or absence) looked up before either moved is not
	 *  to be trusted (lb_flow_lookup_stale()) */
	uint32_t adds;
	uint32_t dels;
	/** the signature bits (lb_flow_added_bit()) of the keys added
	 *  since the last lb_flow_mark() */
	uint64_t added[4];
	/** lb_flow_del() of an entry whose key was gone: the table had
	 *  lost track of it (never expected; counted, nothing freed) */
	uint32_t errors;
	uint8_t family;          /**< enum lb_flow_family */
	uint8_t key_len;         /**< sizeof its tuple (the hash's keys are
				      the tuple and the entry) */
	/** flows per member slot (LB_FLOW_MEMBERS), by class: every entry
	 *  in use is counted once, under its member and state, until it is
	 *  deleted (an expired entry until the sweeper or a new flow of its
	 *  key takes it); written by the owner only */
	struct lb_flow_mcount *mcount;
	/** flows of members whose slot has gone to a newer generation */
	struct lb_flow_mcount stale;
	/** flows per service slot (LB_FLOW_SERVICES), the same way */
	struct lb_flow_mcount *scount;
	/* admission: entries made by a packet without SYN (guessed), and
	 * the others (a SYN, a first datagram) */
	struct lb_flow_fifo guessed;
	struct lb_flow_fifo opened;
	/* deleted positions whose key slots wait for a grace period */
	struct rte_rcu_qsbr *qsbr;
	uint32_t *limbo;         /**< LB_FLOW_SLACK positions */
	uint32_t limbo_head;     /**< oldest not yet freed */
	uint32_t limbo_closed;   /**< end of the newest closed batch */
	uint32_t limbo_tail;     /**< next free */
	uint32_t batch_head;
	uint32_t batch_n;
	struct lb_flow_batch batch[LB_FLOW_BATCHES];
};

/**
 * Create a flow table of one address family.
 *
 * @param name
 *   Unique name (the rte_hash name).
 * @param capacity
 *   Maximum number of flows (>= 8).
 * @param family
 *   The keys it holds: LB_FLOW_IPV4 (struct lb_tuple) or LB_FLOW_IPV6
 *   (struct lb_tuple6).
 * @param socket_id
 *   NUMA socket for the memory.
 * @param qsbr
 *   The workers' QSBR variable: other lcores may read the table, and a
 *   deleted key's slot is reused only after a grace period. NULL when
 *   only the owner ever reads it (slots reused at once).
 * @return
 *   The table, or NULL with rte_errno set (EINVAL for a bad capacity or
 *   family).
 */
struct lb_flow_table *lb_flow_create_family(const char *name,
					    uint32_t capacity,
					    enum lb_flow_family family,
					    int socket_id,
					    struct rte_rcu_qsbr *qsbr);

/** lb_flow_create_family() of an IPv4 table. */
struct lb_flow_table *lb_flow_create(const char *name, uint32_t capacity,
				     int socket_id, struct rte_rcu_qsbr *qsbr);

/**
 * Hugepage bytes lb_flow_create_family() takes for a table of capacity
 * flows: the rte_hash (buckets, extendable buckets, key store of the
 * family's keys, free lists), the entries, the eviction queues and the
 * counters, each with the heap's overhead (lb_mem.h).
 *
 * @param capacity
 *   Flows, as given to lb_flow_create_family().
 * @param family
 *   Its family.
 * @param h
 *   A heap to add the allocations to (lb_mem.h), or NULL.
 * @return
 *   Bytes, or 0 for a capacity or family lb_flow_create_family()
 *   refuses.
 */
size_t lb_flow_memsize_family(uint32_t capacity, enum lb_flow_family family,
			      struct lb_mem_heap *h);

/** lb_flow_memsize_family() of an IPv4 table. */
size_t lb_flow_memsize(uint32_t capacity, struct lb_mem_heap *h);

/**
 * The hash of a key of the table's family: lb_tuple_hash() or
 * lb_tuple6_hash(). For code that handles both families; the data path
 * knows its family and calls the one it needs.
 */
static inline uint32_t
lb_flow_hash(const struct lb_flow_table *t, const void *key)
{
	return t->family == LB_FLOW_IPV6 ? lb_tuple6_hash(key) :
					   lb_tuple_hash(key);
}

/**
 * The entry of a position (0 to n_pos - 1), in the hash's key slot of
 * that position. A position without a flow has an entry in state 0.
 */
static inline struct lb_flow_entry *
lb_flow_at(const struct lb_flow_table *t, int32_t pos)
{
	return (struct lb_flow_entry *)(void *)(t->ebase +
						(size_t)pos * t->estride);
}

/** Free a table and every entry; no lcore may be reading it. */
void lb_flow_free(struct lb_flow_table *t);

/** Remove every flow (and its counts); no other lcore may be reading
 *  it. */
void lb_flow_flush(struct lb_flow_table *t);

/**
 * Look up n keys (n <= 64) with precomputed hashes (lb_flow_hash()).
 *
 * @param keys
 *   Keys of the table's family (struct lb_tuple or struct lb_tuple6).
 * @param pos
 *   Out: position of each key, or a negative value if absent.
 */
void lb_flow_lookup_bulk(struct lb_flow_table *t, const void **keys,
			 uint32_t *sig, unsigned int n, int32_t *pos);

/** How far a table had changed when a lookup was made. */
struct lb_flow_mark {
	uint32_t adds;
	uint32_t dels;
};

/* The bit of a signature in lb_flow_table::added. */
static inline unsigned int
lb_flow_added_bit(uint32_t sig)
{
	return sig >> 24;
}

/** The table's changes so far: take it before a lookup whose answer is
 *  used after the table may have changed (a burst's bulk lookup). Only
 *  the owner marks, and only one mark is current: it also starts the
 *  record of what is added from now on. */
static inline struct lb_flow_mark
lb_flow_mark(struct lb_flow_table *t)
{
	memset(t->added, 0, sizeof(t->added));
	return (struct lb_flow_mark){ .adds = t->adds, .dels = t->dels };
}

/**
 * True if a lookup made at the current mark may no longer be true, so
 * the key is to be looked up again:
 * - a position found, if its flow was deleted since (its entry is free
 *   now: a deleted position waits for a grace period before any other
 *   key takes it), or, in a table without grace periods, after any
 *   delete (the slot may be another key's already);
 * - an absence, if a key of the same signature bit was added since (the
 *   same flow, earlier in the burst).
 *
 * @param sig
 *   The key's lb_flow_hash().
 */
static inline bool
lb_flow_lookup_stale(const struct lb_flow_table *t, struct lb_flow_mark mark,
		     int32_t pos, uint32_t sig)
{
	unsigned int b = lb_flow_added_bit(sig);

	if (pos >= 0)
		return t->dels != mark.dels &&
		       (t->qsbr == NULL || lb_flow_at(t, pos)->state == 0);
	return t->adds != mark.adds && ((t->added[b / 64] >> (b % 64)) & 1);
}

/** Look up one key of the table's family, with its lb_flow_hash(); the
 *  position or a negative value. */
int32_t lb_flow_lookup(struct lb_flow_table *t, const void *key, uint32_t sig);

/**
 * Read another lcore's flow from any lcore (lock-free; between two
 * quiescent states of the caller).
 *
 * @param out
 *   The entry as its owner last wrote each field.
 * @return
 *   true if the flow is in the table and has not expired at now.
 */
bool lb_flow_peek(const struct lb_flow_table *t, const void *key, uint32_t sig,
		  uint32_t now, struct lb_flow_entry *out);

/**
 * Whether the table holds key, in any state, from any thread (the
 * master too, which is no QSBR reader: the answer may be stale by the
 * time it is used, never unsafe to get).
 */
bool lb_flow_holds(const struct lb_flow_table *t, const void *key,
		   uint32_t sig);

/**
 * Read the flow at a position from any thread, without being a QSBR
 * reader (the master listing flows): memory-safe while the owner
 * writes, each field as the owner last wrote it.
 *
 * @param pos
 *   A position, 0 to n_pos - 1.
 * @param key
 *   Out: the flow's key, a struct of the table's family (key_len
 *   bytes).
 * @param out
 *   Out: its entry.
 * @return
 *   true if a flow that had not expired at now was at pos throughout
 *   the read.
 */
bool lb_flow_read(const struct lb_flow_table *t, uint32_t pos, uint32_t now,
		  void *key, struct lb_flow_entry *out);

/**
 * Add a flow; the caller fills the entry at the returned position. The
 * entry is remembered as the newest for lb_flow_evict().
 *
 * @param key
 *   A key of the table's family.
 * @param sig
 *   Its lb_flow_hash().
 * @param guessed
 *   The flow was made by a packet without SYN (evicted first).
 * @return
 *   The position, or -ENOSPC when the table holds capacity flows.
 */
int32_t lb_flow_add(struct lb_flow_table *t, const void *key, uint32_t sig,
		    bool guessed);

/**
 * An expired entry is being reused in place for a new flow of the same
 * key: queue it as the newest for lb_flow_evict().
 */
void lb_flow_renew(struct lb_flow_table *t, int32_t pos, bool guessed);

/**
 * Remove the flow at a position.
 *
 * A position whose key is not in the hash (the table lost track of an
 * entry: never expected) frees no key slot and leaves count alone, so
 * no slot is ever freed twice and count never wraps: the entry is
 * cleared from the per-member counts and the table counts an error.
 *
 * @return
 *   0 (also for a free position), -ENOENT for an entry without key,
 *   or -EBUSY if too many deletions wait for a grace period (a worker
 *   stopped reporting quiescent states): the flow stays.
 */
int lb_flow_del(struct lb_flow_table *t, int32_t pos);

/**
 * Make room for a new flow: remove the oldest provisional (or expired)
 * entry made without SYN, else the oldest other provisional one, looking
 * at no more than a few candidates of each kind.
 *
 * @return
 *   0 if a flow was removed, -ENOSPC if every candidate was confirmed
 *   (the table is full of real flows), -EBUSY as lb_flow_del().
 */
int lb_flow_evict(struct lb_flow_table *t, uint32_t now);

/**
 * Look at up to budget positions after the last one seen, removing
 * flows that expired before now; also clear the head of the eviction
 * queues of what can no longer be evicted.
 *
 * @return
 *   Number of flows removed.
 */
unsigned int lb_flow_sweep(struct lb_flow_table *t, uint32_t now,
			   unsigned int budget);

/** Ticks a busy worker's sweeper takes to go round its table once. */
#define LB_FLOW_SWEEP_PERIOD 1000

/**
 * Positions for lb_flow_sweep() now, at most max: the table's share of
 * the time since the last call, so that the sweeper goes round the
 * table once per LB_FLOW_SWEEP_PERIOD whatever the packet rate (a
 * worker's loop turns some 400,000 times a second at full load: a fixed
 * budget per turn walked a 1M-flow table five times a second, a cache
 * miss every other position), and max while the table is over 7/8 full
 * (expired flows then take the room new ones need).
 */
static inline unsigned int
lb_flow_sweep_budget(struct lb_flow_table *t, uint32_t now, unsigned int max)
{
	uint32_t dt = now - t->sweep_at;
	unsigned int n;

	if (t->count >= t->capacity - t->capacity / 8)
		return max;
	if (dt != 0) {
		uint64_t owed = (uint64_t)t->n_pos *
			(dt < LB_FLOW_SWEEP_PERIOD ? dt : LB_FLOW_SWEEP_PERIOD) /
			LB_FLOW_SWEEP_PERIOD + t->sweep_credit;

		t->sweep_at = now;
		t->sweep_credit = owed < t->n_pos ? (uint32_t)owed : t->n_pos;
	}
	n = t->sweep_credit < max ? t->sweep_credit : max;
	t->sweep_credit -= n;
	return n;
}

/**
 * Close the batch of positions deleted since the last call (one QSBR
 * token) and recycle the key slots of batches every reader has passed.
 * The owner calls it once per loop iteration, before it reports its own
 * quiescent state. Never blocks.
 *
 * @return
 *   Key slots recycled.
 */
unsigned int lb_flow_reclaim(struct lb_flow_table *t);

/** What lb_flow_audit() found. */
struct lb_flow_audit {
	uint32_t count;       /**< the table's count of its flows */
	uint32_t keys;        /**< keys in the hash */
	uint32_t in_use;      /**< entries with a state */
	uint32_t slots_used;  /**< key slots not free (rte_hash_count()) */
	uint32_t limbo;       /**< deleted, waiting for a grace period */
	uint32_t counted;     /**< sum of the per-member counts */
	uint32_t svc_counted; /**< sum of the per-service counts */
	uint32_t no_key;      /**< entries in use with no key at their position */
	uint32_t no_entry;    /**< keys whose entry is free */
};

/**
 * Check a table's bookkeeping (tests and fuzzing; walks every position,
 * so never on the data path): every flow is one key in the hash and one
 * entry in use at the key's position, counted once in count and once
 * under its member and service, and every key slot is either a key, a
 * deleted position waiting in limbo or free (none freed twice). Only
 * the owner may be writing the table meanwhile, and not concurrently.
 *
 * @param a
 *   Out: what was found (may be NULL).
 * @return
 *   0 if all of it holds, -EFAULT if not.
 */
int lb_flow_audit(const struct lb_flow_table *t, struct lb_flow_audit *a);

/** Deleted positions whose key slots still wait for a grace period
 *  (readable from another thread: a count a moment old). */
static inline uint32_t
lb_flow_limbo(const struct lb_flow_table *t)
{
	return __atomic_load_n(&t->limbo_tail, __ATOMIC_RELAXED) -
	       __atomic_load_n(&t->limbo_head, __ATOMIC_RELAXED);
}

/** True if an entry is in use and expired at tick now. */
static inline int
lb_flow_expired(const struct lb_flow_entry *e, uint32_t now)
{
	return (int32_t)(now - e->expire) >= 0;
}

/* Stores of the fields other lcores read (lb_flow_peek). Only the
 * owner writes; state, member and service go through the table, which
 * counts its flows per member and per service, by class. */
static inline void
lb_flow_mcount_add(struct lb_flow_mcount *c, uint8_t state, int32_t delta)
{
	uint32_t *n = lb_flow_active_state(state) ? &c->active : &c->inactive;

	__atomic_store_n(n, *n + (uint32_t)delta, __ATOMIC_RELAXED);
}

/* Where a flow of member slot member, generation gen, counts: the slot's
 * count if gen is the generation counted there; else, for a flow being
 * counted in (add), a newer generation takes the slot, what the earlier
 * one still had moving to the stale count; any other flow of an earlier
 * generation counts as stale. */
static inline struct lb_flow_mcount *
lb_flow_mcount_of(struct lb_flow_table *t, uint16_t member, uint32_t gen,
		  bool add)
{
	struct lb_flow_mcount *c = &t->mcount[member];

	if (likely(c->gen == gen))
		return c;
	if (add && (int32_t)(gen - c->gen) > 0) {
		__atomic_store_n(&t->stale.active,
				 t->stale.active + c->active, __ATOMIC_RELAXED);
		__atomic_store_n(&t->stale.inactive,
				 t->stale.inactive + c->inactive,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&c->active, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&c->inactive, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&c->gen, gen, __ATOMIC_RELAXED);
		return c;
	}
	return &t->stale;
}

/** Set an entry's state (0 frees it from the counts). */
static inline void
lb_flow_set_state(struct lb_flow_table *t, struct lb_flow_entry *e,
		  uint8_t state)
{
	uint8_t old = e->state;

	if (old == 0 || state == 0 ||
	    lb_flow_active_state(old) != lb_flow_active_state(state)) {
		if (old != 0) {
			lb_flow_mcount_add(lb_flow_mcount_of(t, e->member,
							     e->member_gen,
							     false), old, -1);
			lb_flow_mcount_add(&t->scount[e->svc], old, -1);
		}
		if (state != 0) {
			lb_flow_mcount_add(lb_flow_mcount_of(t, e->member,
							     e->member_gen,
							     old == 0), state,
					   1);
			lb_flow_mcount_add(&t->scount[e->svc], state, 1);
		}
	}
	__atomic_store_n(&e->state, state, __ATOMIC_RELAXED);
}

static inline void
lb_flow_set_expire(struct lb_flow_entry *e, uint32_t expire)
{
	__atomic_store_n(&e->expire, expire, __ATOMIC_RELAXED);
}

/**
 * Fill the entry of a new flow: a fresh one (state 0, from
 * lb_flow_add()), or an expired one taken in place, whose counts it
 * leaves. Other lcores may be reading it: field by field, state last.
 */
static inline void
lb_flow_fill(struct lb_flow_table *t, struct lb_flow_entry *e,
	     uint16_t member, uint32_t gen, uint16_t svc, uint8_t state,
	     uint32_t expire)
{
	if (e->state != 0) {
		lb_flow_mcount_add(lb_flow_mcount_of(t, e->member,
						     e->member_gen, false),
				   e->state, -1);
		lb_flow_mcount_add(&t->scount[e->svc], e->state, -1);
	}
	lb_flow_mcount_add(lb_flow_mcount_of(t, member, gen, true), state, 1);
	lb_flow_mcount_add(&t->scount[svc], state, 1);
	__atomic_store_n(&e->member, member, __ATOMIC_RELAXED);
	__atomic_store_n(&e->member_gen, gen, __ATOMIC_RELAXED);
	__atomic_store_n(&e->svc, (uint8_t)svc, __ATOMIC_RELAXED);
	__atomic_store_n(&e->expire, expire, __ATOMIC_RELAXED);
	__atomic_store_n(&e->state, state, __ATOMIC_RELAXED);
}

/** Set an entry's member; its count moves with it. */
static inline void
lb_flow_set_member(struct lb_flow_table *t, struct lb_flow_entry *e,
		   uint16_t member, uint32_t gen)
{
	if (e->state != 0 && (e->member != member || e->member_gen != gen)) {
		lb_flow_mcount_add(lb_flow_mcount_of(t, e->member,
						     e->member_gen, false),
				   e->state, -1);
		lb_flow_mcount_add(lb_flow_mcount_of(t, member, gen, true),
				   e->state, 1);
	}
	__atomic_store_n(&e->member, member, __ATOMIC_RELAXED);
	__atomic_store_n(&e->member_gen, gen, __ATOMIC_RELAXED);
}

/** Set an entry's service; its count moves with it. */
static inline void
lb_flow_set_svc(struct lb_flow_table *t, struct lb_flow_entry *e,
		uint16_t svc)
{
	if (e->state != 0 && e->svc != svc) {
		lb_flow_mcount_add(&t->scount[e->svc], e->state, -1);
		lb_flow_mcount_add(&t->scount[svc], e->state, 1);
	}
	__atomic_store_n(&e->svc, (uint8_t)svc, __ATOMIC_RELAXED);
}

/**
 * A member's flows in a table, from any thread (each count a moment
 * old): the member of generation gen in that slot, not an earlier one. Per worker: IPVS counts per balancer, RSS spreads a member's
 * flows over the workers. An expired flow counts until the sweeper (or
 * a new flow of its key) takes it.
 */
static inline void
lb_flow_member_flows(const struct lb_flow_table *t, uint16_t member,
		     uint32_t gen, uint32_t *active, uint32_t *inactive)
{
	const struct lb_flow_mcount *c = &t->mcount[member];
	bool mine = __atomic_load_n(&c->gen, __ATOMIC_RELAXED) == gen;

	*active = mine ? __atomic_load_n(&c->active, __ATOMIC_RELAXED) : 0;
	*inactive = mine ? __atomic_load_n(&c->inactive, __ATOMIC_RELAXED) :
		    0;
}

/** A service's flows in a table, as lb_flow_member_flows(). */
static inline void
lb_flow_service_flows(const struct lb_flow_table *t, uint16_t svc,
		      uint32_t *active, uint32_t *inactive)
{
	const struct lb_flow_mcount *c = &t->scount[svc];

	*active = __atomic_load_n(&c->active, __ATOMIC_RELAXED);
	*inactive = __atomic_load_n(&c->inactive, __ATOMIC_RELAXED);
}

/**
 * Advance a TCP flow's state for a packet with the given flags and set
 * its expiry. The ACK after a SYN, or a second packet of a flow made
 * mid-stream, confirms it. A SYN on a closing flow, or on one made from
 * a stray mid-stream packet, starts a new connection in LB_FLOW_TCP_SYN
 * and returns LB_FLOW_REUSE so the caller schedules it; the first FIN or
 * RST returns LB_FLOW_CLOSED.
 */
static inline enum lb_flow_tcp_event
lb_flow_tcp_update(struct lb_flow_table *t, struct lb_flow_entry *e,
		   uint8_t flags, uint32_t now, const struct lb_flow_timeouts *to)
{
	enum lb_flow_tcp_event ev = LB_FLOW_KEEP;
	uint8_t st = e->state;

	if (flags & (LB_TCP_RST | LB_TCP_FIN)) {
		if (st != LB_FLOW_TCP_CLOSING)
			ev = LB_FLOW_CLOSED;
		st = LB_FLOW_TCP_CLOSING;
	} else if ((flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN) {
		if (st == LB_FLOW_TCP_CLOSING || st == LB_FLOW_TCP_MID) {
			st = LB_FLOW_TCP_SYN;
			ev = LB_FLOW_REUSE;
		}
	} else if ((st == LB_FLOW_TCP_SYN && (flags & LB_TCP_ACK)) ||
		   st == LB_FLOW_TCP_MID) {
		st = LB_FLOW_TCP_EST;
	}
	if (st != e->state)
		lb_flow_set_state(t, e, st);
	lb_flow_set_expire(e, now + to->t[st]);
	return ev;
}

#endif /* LB_FLOW_H */
