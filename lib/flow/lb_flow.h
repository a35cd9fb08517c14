/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_FLOW_H
#define LB_FLOW_H

/**
 * @file
 * Per-lcore flow table: an rte_hash keyed by the 5-tuple, whose
 * positions index a compact array of 16-byte entries. Only its own lcore
 * writes it, so it needs no locks. Entries age out by TCP state; a
 * sweeper walks a few positions per loop, and a lookup that finds an
 * expired entry treats the flow as new.
 *
 * Times are in ticks of 1 ms (LB_FLOW_HZ), 32 bits, compared with
 * wrap-around arithmetic.
 */

#include <stdint.h>

#include "lb_pkt.h"
#include "lb_sched.h"

#define LB_FLOW_HZ 1000

/** Connection state as seen from the client side only. */
enum lb_flow_state {
	LB_FLOW_TCP_SYN = 1,     /**< SYN seen, nothing after it yet */
	LB_FLOW_TCP_EST,         /**< data or ACK seen */
	LB_FLOW_TCP_CLOSING,     /**< FIN or RST seen */
	LB_FLOW_UDP,             /**< stateful UDP */
	LB_FLOW_STATE_MAX,
};

/** Per-state timeouts, in ticks. */
struct lb_flow_timeouts {
	uint32_t t[LB_FLOW_STATE_MAX];
};

/** One flow. Written only by the owning lcore. */
struct lb_flow_entry {
	uint32_t expire;     /**< tick after which the flow is gone */
	uint32_t packets;    /**< packets forwarded (wraps) */
	uint16_t member;     /**< member slot */
	uint16_t member_gen; /**< slot generation when chosen */
	uint16_t svc;        /**< service slot */
	uint8_t state;       /**< enum lb_flow_state; 0 = free */
	uint8_t pad;
};

_Static_assert(sizeof(struct lb_flow_entry) == 16, "flow entry is 16 bytes");

/** What a TCP packet does to its flow. */
enum lb_flow_tcp_event {
	LB_FLOW_KEEP = 0,  /**< same connection */
	LB_FLOW_REUSE,     /**< SYN on a closing flow: a new connection */
};

struct rte_hash;

/** A per-lcore flow table. */
struct lb_flow_table {
	struct rte_hash *h;
	struct lb_flow_entry *e; /**< indexed by rte_hash position */
	uint32_t n_pos;          /**< entries in e */
	uint32_t capacity;
	uint32_t sweep_pos;      /**< next position the sweeper looks at */
	uint32_t count;          /**< flows in the table */
};

/**
 * Create a flow table.
 *
 * @param name
 *   Unique name (the rte_hash name).
 * @param capacity
 *   Maximum number of flows (>= 8).
 * @param socket_id
 *   NUMA socket for the memory.
 * @return
 *   The table, or NULL with rte_errno set.
 */
struct lb_flow_table *lb_flow_create(const char *name, uint32_t capacity,
				     int socket_id);

/** Free a table and every entry. */
void lb_flow_free(struct lb_flow_table *t);

/** Remove every flow. */
void lb_flow_flush(struct lb_flow_table *t);

/**
 * Look up n keys (n <= 64) with precomputed lb_tuple_hash() values.
 *
 * @param pos
 *   Out: position of each key, or a negative value if absent.
 */
void lb_flow_lookup_bulk(struct lb_flow_table *t,
			 const struct lb_tuple **keys, uint32_t *sig,
			 unsigned int n, int32_t *pos);

/** Look up one key; the position or a negative value. */
int32_t lb_flow_lookup(struct lb_flow_table *t, const struct lb_tuple *key,
		       uint32_t sig);

/**
 * Add a flow; the caller fills the entry at the returned position.
 *
 * @return
 *   The position, or -ENOSPC when the table is full.
 */
int32_t lb_flow_add(struct lb_flow_table *t, const struct lb_tuple *key,
		    uint32_t sig);

/** Remove the flow at a position. */
void lb_flow_del(struct lb_flow_table *t, int32_t pos);

/**
 * Look at up to budget positions after the last one seen, removing
 * flows that expired before now.
 *
 * @return
 *   Number of flows removed.
 */
unsigned int lb_flow_sweep(struct lb_flow_table *t, uint32_t now,
			   unsigned int budget);

/** True if an entry is in use and expired at tick now. */
static inline int
lb_flow_expired(const struct lb_flow_entry *e, uint32_t now)
{
	return (int32_t)(now - e->expire) >= 0;
}

/**
 * Advance a TCP flow's state for a packet with the given flags and set
 * its expiry. A SYN on a closing flow starts over in LB_FLOW_TCP_SYN and
 * returns LB_FLOW_REUSE so the caller schedules it as a new connection.
 */
static inline enum lb_flow_tcp_event
lb_flow_tcp_update(struct lb_flow_entry *e, uint8_t flags, uint32_t now,
		   const struct lb_flow_timeouts *to)
{
	enum lb_flow_tcp_event ev = LB_FLOW_KEEP;

	if (flags & (LB_TCP_RST | LB_TCP_FIN)) {
		e->state = LB_FLOW_TCP_CLOSING;
	} else if ((flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN) {
		if (e->state == LB_FLOW_TCP_CLOSING) {
			e->state = LB_FLOW_TCP_SYN;
			ev = LB_FLOW_REUSE;
		}
	} else if (e->state == LB_FLOW_TCP_SYN && (flags & LB_TCP_ACK)) {
		e->state = LB_FLOW_TCP_EST;
	}
	e->expire = now + to->t[e->state];
	return ev;
}

#endif /* LB_FLOW_H */
