/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_AGENT_H
#define LB_AGENT_H

/**
 * @file
 * The control plane: everything the master lcore does that is not
 * per-packet forwarding, as a library.
 *
 * The process (app/dsrlb) probes the ports, creates the workers and
 * publishes the first snapshot; it then hands the agent what it made
 * (struct lb_agent_env) and runs lb_agent_run() on the master lcore until
 * it is told to stop. The agent owns its components, each with its state
 * and a step the loop runs every pass (lib/agent/loop.c lists them):
 * the workers' hand-over rings and the kernel interface, the data ports'
 * links, flow sync, neighbors, the reconcile of checks and ARP targets
 * with the core, the health checks, gratuitous ARP, the control server,
 * publication and reclamation of snapshots, route announcements.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>

#include "lb_config.h"

struct lb_core;
struct lb_dp_expect;
struct lb_flow_table;
struct lb_worker;
struct rte_mempool;
struct rte_ring;

/** One worker lcore, as the agent sees it: the rings between them. */
struct lb_agent_worker {
	unsigned int lcore;
	int socket;
	struct lb_worker *w;
	struct lb_flow_table *flows;
	struct lb_flow_table *flows6;   /**< IPv6's */
	struct rte_ring *to_master_prio;  /**< ARP */
	struct rte_ring *to_master_ctrl;  /**< members, routers, peers, VRRP */
	struct rte_ring *to_master;       /**< anyone else */
	struct rte_ring *from_master;     /**< frames the master sends */
	struct rte_ring *sync_out;        /**< flows to announce (flow sync) */
	struct rte_ring *sync_in;         /**< flows peers announced */
};

/** What the process made, lent to the agent for its lifetime. */
struct lb_agent_env {
	const char *version;            /**< dsrlb's, for status */
	const char *config_path;        /**< the file config.reload reads */
	struct lb_core *core;           /**< first snapshot published */
	unsigned int n_ports;
	uint16_t port_ids[LB_MAX_PORTS];
	uint8_t port_macs[LB_MAX_PORTS][6];
	/** every mbuf pool (NULL where none), for the counts in stats */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	/** the pool of each port, for the frames the master builds */
	struct rte_mempool *port_pools[LB_MAX_PORTS];
	unsigned int n_workers;
	struct lb_agent_worker workers[RTE_MAX_LCORE];
	/** the check sockets' answers the workers let in (lib/dp) */
	struct lb_dp_expect *expect;
	/** set by the process's signal handlers: stop (the signal's
	 * number, SIGTERM or SIGINT), reload the file (SIGHUP), counters
	 * to the log (SIGUSR1); the agent clears each when it has acted
	 * (a second stop signal cuts the stop's grace short) */
	volatile sig_atomic_t *quit;
	volatile sig_atomic_t *reload;
	volatile sig_atomic_t *stats_log;
};

struct lb_agent;

/**
 * Create the control plane: epoll set, kernel interface, links,
 * neighbors, health checks (a first reconcile from the core), route
 * announcement, flow sync, the control socket, telemetry commands.
 *
 * @return NULL on failure (logged, naming the part and the reason).
 */
struct lb_agent *lb_agent_create(const struct lb_agent_env *env);

/**
 * The master loop: pass after pass until *env->quit, then the stop:
 * active in mode ecmp or vrrp, it hands over (VIP routes withdrawn;
 * keepalived, stopped first, sends its last advert) and runs on for
 * high_availability.shutdown_grace_ms, then sends what is left (the
 * last flow sync batch, the kernel interface's frames). The workers
 * must run until it returns: they carry all of that.
 */
void lb_agent_run(struct lb_agent *ag);

/** Every counter that is not zero, members and services, to the log. */
void lb_agent_stats_log(struct lb_agent *ag);

/** Close everything (NULL: nothing). The workers must be stopped. */
void lb_agent_free(struct lb_agent *ag);

/** Milliseconds of CLOCK_MONOTONIC: the agent's clock. */
uint64_t lb_agent_now_ms(void);

#endif /* LB_AGENT_H */
