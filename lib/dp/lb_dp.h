/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_DP_H
#define LB_DP_H

/**
 * @file
 * The worker data path: burst RX, parse, classify, select, rewrite, TX.
 *
 * Each worker lcore owns one struct lb_worker: its RX queues, its TX
 * queue on every port, its flow table, its counters. Nothing in it is
 * shared, so the fast path takes no locks and no atomics; the only
 * shared thing it reads is the current snapshot, through RCU.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "lb_config.h"
#include "lb_flow.h"
#include "lb_snap.h"
#include "lb_stats.h"

#define LB_BURST 32            /**< RX burst size */
#define LB_TXBUF 64            /**< per-port TX buffer */
#define LB_FRAG_SLOTS 4096     /**< first-fragment memory, per lcore */
#define LB_FRAG_TIMEOUT_MS 5000
#define LB_SWEEP_BUDGET 16     /**< flow positions aged per loop */
#define LB_HDR_MAX 192u        /**< header bytes that must be contiguous */

struct rte_ring;
struct rte_rcu_qsbr;

/** One RX queue a worker polls. */
struct lb_dp_rxq {
	uint8_t port;    /**< our port index */
	uint16_t queue;
};

/** Packets waiting for one port. */
struct lb_dp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[LB_TXBUF];
};

/** Where a later fragment goes: what its first fragment chose. */
struct lb_frag_slot {
	uint32_t src;
	uint32_t dst;
	uint32_t expire;
	uint16_t id;
	uint16_t member;
	uint16_t gen;
	uint8_t proto;
	uint8_t valid;
};

/** Per-member and per-service traffic counters of one worker. */
struct lb_dp_traffic {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t flows;   /**< new flows (or stateless first packets) */
};

/** Worker parameters. */
struct lb_dp_params {
	struct lb_snapshot *const *snap;   /**< current snapshot pointer */
	struct rte_rcu_qsbr *qsbr;
	unsigned int qsbr_id;
	struct lb_flow_table *flows;
	struct rte_ring *to_master;        /**< ARP, own-address traffic */
	struct rte_ring *from_master;      /**< packets to send for master */
	const struct lb_dp_rxq *rxq;
	unsigned int n_rxq;
	uint16_t txq;                      /**< our TX queue on every port */
	const uint16_t *port_ids;          /**< DPDK port id per port index */
	unsigned int n_ports;
	uint32_t idle_sleep_us;
	const volatile bool *quit;
};

/** Everything one worker lcore owns. */
struct lb_worker {
	struct lb_snapshot *const *snap;
	struct rte_rcu_qsbr *qsbr;
	unsigned int qsbr_id;
	struct lb_flow_table *flows;
	struct rte_ring *to_master;
	struct rte_ring *from_master;
	uint64_t tsc_per_ms;
	uint32_t now;                      /**< ms, refreshed per loop */
	uint32_t idle_sleep_us;
	const volatile bool *quit;
	uint16_t txq;
	uint16_t n_rxq;
	uint16_t n_ports;
	struct lb_dp_rxq rxq[LB_MAX_PORTS];
	uint16_t port_ids[LB_MAX_PORTS];
	uint8_t port_idx[RTE_MAX_ETHPORTS]; /**< DPDK port id -> our index */
	struct lb_dp_txbuf tx[LB_MAX_PORTS];
	uint32_t wrr_pos[LB_MAX_SERVICES];
	uint64_t stats[LB_STAT_WORKER_MAX];
	struct lb_dp_traffic member[LB_MAX_MEMBERS];
	struct lb_dp_traffic service[LB_MAX_SERVICES];
	struct lb_frag_slot frag[LB_FRAG_SLOTS];
} __rte_cache_aligned;

/**
 * Initialise a worker.
 *
 * @return
 *   0 or -EINVAL.
 */
int lb_dp_worker_init(struct lb_worker *w, const struct lb_dp_params *p);

/**
 * Run a burst received on one port through the data path. Forwarded and
 * answered packets land in w->tx; packets for the master go to its
 * ring; everything else is freed and counted.
 *
 * @param s
 *   The snapshot loaded for this burst.
 * @param port
 *   Our index of the port the burst came from.
 * @return
 *   Number of packets queued for TX.
 */
uint16_t lb_dp_process(struct lb_worker *w, const struct lb_snapshot *s,
		       unsigned int port, struct rte_mbuf **pkts, uint16_t n);

/** Move packets the master wants sent into the TX buffers. */
unsigned int lb_dp_drain_master(struct lb_worker *w);

/** Send every TX buffer; what a port refuses is freed and counted. */
void lb_dp_flush(struct lb_worker *w);

/** Refresh w->now from the TSC. */
void lb_dp_clock(struct lb_worker *w);

/**
 * The lcore loop: poll every RX queue, process, drain the master's
 * queue, flush, age some flows, report a quiescent state; sleep after
 * idle polls if idle_sleep_us is set. Returns when *quit is set.
 */
int lb_dp_main_loop(void *worker);

#endif /* LB_DP_H */
