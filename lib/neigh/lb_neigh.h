/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_NEIGH_H
#define LB_NEIGH_H

/**
 * @file
 * The neighbor table: IPv4 to MAC on the balancer's segments, owned by
 * the master lcore. Entries the balancer needs (members without a static
 * MAC) are "wanted": resolved by ARP, refreshed before they go stale,
 * and reported when their MAC is learnt or changes, when resolution
 * fails, and when a refresh goes unanswered. A neighbor that stops
 * answering keeps its last MAC (STALE, as Linux's NUD_STALE): lost ARP
 * is not a dead member, the health checks decide that. Any other
 * sender seen in ARP on a port's subnet is learnt too, for display and
 * so a member added later starts resolved; those entries age out.
 *
 * Plain C with the time passed in (milliseconds): the unit tests drive
 * it without EAL or clocks.
 */

#include <stdbool.h>
#include <stdint.h>

/** Neighbor states (RFC 4861's, for IPv4 ARP). */
enum lb_neigh_state {
	LB_NEIGH_INCOMPLETE = 0, /**< resolving: broadcast requests sent */
	LB_NEIGH_REACHABLE,      /**< confirmed within the reachable time */
	LB_NEIGH_PROBE,          /**< refreshing: MAC still used, unicast probes sent */
	LB_NEIGH_FAILED,         /**< no answer: no MAC; retried later */
	LB_NEIGH_STALE,          /**< refresh unanswered: last MAC kept, retried */
	LB_NEIGH_STATE_MAX,
};

/** Names of the states, for display. */
extern const char *const lb_neigh_state_names[LB_NEIGH_STATE_MAX];

/** Timing of resolution and refresh, in milliseconds. */
struct lb_neigh_params {
	uint32_t reachable_ms;    /**< a confirmed MAC is trusted this long */
	uint32_t probe_ms;        /**< between two requests */
	uint32_t max_probes;      /**< requests before giving up */
	uint32_t retry_ms;        /**< a failed wanted entry is retried after this */
	uint32_t learnt_ttl_ms;   /**< an unwanted entry is forgotten after this */
};

/** Defaults: 60 s reachable, 1 s between 3 probes, retry after 5 s. */
#define LB_NEIGH_PARAMS_DEFAULT { \
	.reachable_ms = 60000, .probe_ms = 1000, .max_probes = 3, \
	.retry_ms = 5000, .learnt_ttl_ms = 300000 }

/** One neighbor. */
struct lb_neigh {
	uint32_t addr;         /**< network order */
	uint8_t mac[6];        /**< valid in REACHABLE and PROBE */
	uint8_t state;         /**< enum lb_neigh_state */
	uint8_t port;          /**< port index it is reached on */
	uint8_t wanted;        /**< resolved and kept by the balancer */
	uint8_t probes;        /**< requests sent in this round */
	uint8_t reported;      /**< state last reported through changed */
	uint64_t confirmed_ms; /**< last ARP from it (0: never) */
	uint64_t next_ms;      /**< next thing to do */
};

/** The table. */
struct lb_neigh_table {
	struct lb_neigh_params p;
	struct lb_neigh *e;
	unsigned int n;
	unsigned int cap;
};

/** What the table asks its owner to do. */
struct lb_neigh_ops {
	/** Send an ARP request for n->addr on n->port; to n->mac if
	 *  unicast, else broadcast. */
	void (*request)(void *ctx, const struct lb_neigh *n, bool unicast);
	/** A wanted entry changed in a way its owner cares about: its MAC
	 *  became usable or moved (REACHABLE), a refresh went unanswered
	 *  (STALE: still usable, same MAC), or resolution failed without
	 *  ever finding a MAC (FAILED; reported once until it resolves). */
	void (*changed)(void *ctx, const struct lb_neigh *n);
	void *ctx;
};

/**
 * Create a table of at most cap entries.
 *
 * @return
 *   0, or -ENOMEM.
 */
int lb_neigh_init(struct lb_neigh_table *t, unsigned int cap,
		  const struct lb_neigh_params *p);

/** Free the entries. */
void lb_neigh_fini(struct lb_neigh_table *t);

/** The entry for addr, or NULL. */
struct lb_neigh *lb_neigh_find(struct lb_neigh_table *t, uint32_t addr);

/**
 * Resolve and keep addr (reached on port). An entry already learnt keeps
 * its MAC. Resolution starts at the next lb_neigh_run().
 *
 * @return
 *   The entry, or NULL if the table is full of wanted entries.
 */
struct lb_neigh *lb_neigh_want(struct lb_neigh_table *t, uint32_t addr,
			       uint8_t port, uint64_t now);

/** Stop keeping addr; the entry then ages out like any learnt one. */
void lb_neigh_unwant(struct lb_neigh_table *t, uint32_t addr);

/**
 * An ARP packet said addr is at mac on port. Confirms or updates an
 * entry (a wanted entry's change is reported through ops->changed), or
 * creates one if create is set, evicting the oldest unwanted entry when
 * full.
 */
void lb_neigh_learn(struct lb_neigh_table *t, uint32_t addr,
		    const uint8_t *mac, uint8_t port, bool create,
		    uint64_t now, const struct lb_neigh_ops *ops);

/**
 * Run timers: send due requests, give up on silent neighbors, retry
 * failed ones, forget old learnt ones.
 *
 * @return
 *   Milliseconds until the next thing to do (capped at 1000).
 */
uint64_t lb_neigh_run(struct lb_neigh_table *t, uint64_t now,
		      const struct lb_neigh_ops *ops);

/** True if the entry has a MAC the data path may use. */
static inline bool
lb_neigh_usable(const struct lb_neigh *n)
{
	return n->state == LB_NEIGH_REACHABLE || n->state == LB_NEIGH_PROBE ||
	       n->state == LB_NEIGH_STALE;
}

#endif /* LB_NEIGH_H */
