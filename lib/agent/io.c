/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The clock, the ports by DPDK id, frames out through a worker. */

#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "agent_internal.h"

uint64_t
lb_agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
lb_agent_port_index(const struct lb_agent *ag, uint16_t dpdk_port)
{
	unsigned int i;

	for (i = 0; i < ag->env->n_ports; i++)
		if (ag->env->port_ids[i] == dpdk_port)
			return (int)i;
	return -ENOENT;
}

/* The master has no TX queue of its own: a worker sends for it, which
 * keeps one writer per TX queue. What the kernel sends (bulk) may use
 * only half of the worker's queue, so ARP and gratuitous ARP always find
 * room. */
int
lb_agent_send(struct lb_agent *ag, unsigned int port, struct rte_mbuf *m,
	      bool bulk)
{
	struct rte_ring *r = ag->env->workers[0].from_master;

	m->port = ag->env->port_ids[port];
	if ((bulk && rte_ring_free_count(r) < rte_ring_get_capacity(r) / 2) ||
	    rte_ring_sp_enqueue(r, m) != 0) {
		ag->mstats[LB_STAT_TX_RING_FULL]++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	lb_dp_wake(ag->env->workers[0].w);
	return 0;
}

const struct lb_conf_port *
lb_agent_port_conf(const struct lb_agent *ag, unsigned int port)
{
	return &lb_core_port(ag->core, port)->conf;
}

/* A frame built by lib/neigh, out of a port. */
int
lb_agent_send_frame(struct lb_agent *ag, unsigned int port,
		    const uint8_t *buf, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ag->env->port_pools[port]);
	char *p;

	if (m == NULL) {
		ag->mstats[LB_STAT_ALLOC_FAIL]++;
		return -ENOMEM;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memcpy(p, buf, len);
	return lb_agent_send(ag, port, m, false);
}

