/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "lb_mem.h"
#include "app.h"

_Static_assert((int)LB_CONF_IDLE_POLL == (int)LB_DP_IDLE_POLL &&
	       (int)LB_CONF_IDLE_SLEEP == (int)LB_DP_IDLE_SLEEP &&
	       (int)LB_CONF_IDLE_INTERRUPT == (int)LB_DP_IDLE_INTERRUPT,
	       "dataplane.idle maps onto lb_dp's idle modes");

/*
 * The dataplane rates are for the whole balancer: each worker polices
 * its share, so the master's load does not grow with the workers. Each
 * ring to the master holds what its policers let through while the
 * master falls behind LB_MASTER_STALL_MS: what a policer passes is
 * never lost at a ring (lb_dp_master_ring_size()).
 */
void
dsrlb_lanes(const struct dsrlb_app *app, struct dsrlb_lanes *l)
{
	const struct lb_conf_dataplane *d = &app->conf->dataplane;
	const struct lb_conf_ha *ha = &app->conf->ha;
	unsigned int n = app->env.n_workers, vrrp_sources;
	struct lb_dp_params *r = &l->rates;

	memset(l, 0, sizeof(*l));
	r->exception_pps = lb_dp_rate_share(d->exception_pps, n);
	r->arp_pps = lb_dp_rate_share(d->arp_pps, n);
	r->member_pps = lb_dp_rate_share(d->member_pps, n);
	r->router_pps = lb_dp_rate_share(d->router_pps, n);
	r->peer_pps = lb_dp_rate_share(d->peer_pps, n);
	r->vrrp_pps = lb_dp_rate_share(d->vrrp_pps, n);
	/* adverts of each sync peer, and of everyone else */
	vrrp_sources = ha->mode == LB_HA_VRRP ?
		1 + (ha->sync ? ha->n_peers : 0) : 0;
	l->prio_size = lb_dp_master_ring_size(2ull * r->arp_pps, 2);
	l->ctrl_size = lb_dp_master_ring_size((uint64_t)r->member_pps +
		r->router_pps + r->peer_pps +
		(uint64_t)vrrp_sources * r->vrrp_pps, 3 + vrrp_sources);
	l->bulk_size = lb_dp_master_ring_size(r->exception_pps, 1);
}

/* Flows each worker's table holds: an equal share, at least 1024. */
uint32_t
dsrlb_flows_per_worker(const struct lb_conf *conf, unsigned int n_workers)
{
	uint32_t n = conf->flows.capacity / n_workers;

	return n < 1024 ? 1024 : n;
}

uint32_t
dsrlb_flows6_per_worker(const struct lb_conf *conf, unsigned int n_workers)
{
	uint32_t n = conf->flows.capacity6 / n_workers;

	return n < 1024 ? 1024 : n;
}

/*
 * Hugepage bytes dsrlb_workers_create() takes, from the sizes it
 * allocates, added to h in its order (lb_mem.h): *flows for the
 * workers' flow tables; *other for their contexts (each with its
 * fragment memory), their rings and the health checks' answer table.
 */
void
dsrlb_workers_memsize(const struct dsrlb_app *app, struct lb_mem_heap *h,
		      size_t *flows, size_t *other)
{
	uint32_t per_worker = dsrlb_flows_per_worker(app->conf, app->env.n_workers);
	uint32_t per_worker6 = dsrlb_flows6_per_worker(app->conf,
						       app->env.n_workers);
	struct dsrlb_lanes lanes;
	unsigned int i;

	dsrlb_lanes(app, &lanes);
	*flows = 0;
	*other = lb_mem_malloc_size(sizeof(struct lb_dp_expect), h);
	for (i = 0; i < app->env.n_workers; i++) {
		*flows += lb_flow_memsize(per_worker, h);
		*flows += lb_flow_memsize_family(per_worker6, LB_FLOW_IPV6, h);
		*other += lb_mem_ring_size(sizeof(void *), lanes.bulk_size, h);
		*other += lb_mem_ring_size(sizeof(void *), lanes.prio_size, h);
		*other += lb_mem_ring_size(sizeof(void *), lanes.ctrl_size, h);
		*other += lb_mem_ring_size(sizeof(void *), DSRLB_RING_SIZE, h);
		if (app->conf->ha.sync)
			*other += 2 * lb_mem_ring_size(sizeof(struct lb_dp_sync),
						       DSRLB_SYNC_RING_SIZE, h);
		*other += lb_mem_malloc_size(sizeof(struct lb_worker), h);
	}
}

static struct rte_ring *
lane_create(const char *what, unsigned int lcore, unsigned int size,
	    int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "dsrlb_%s_%u", what, lcore);
	return rte_ring_create(name, size, socket,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/* Flow tables, rings and contexts on each worker's own socket. */
int
dsrlb_workers_create(struct dsrlb_app *app)
{
	uint32_t per_worker = dsrlb_flows_per_worker(app->conf, app->env.n_workers);
	uint32_t per_worker6 = dsrlb_flows6_per_worker(app->conf,
						       app->env.n_workers);
	struct lb_dp_rxq rxq[LB_MAX_PORTS];
	struct dsrlb_lanes lanes;
	uint32_t frag_seed;
	unsigned int i, p;

	dsrlb_lanes(app, &lanes);
	/* one key for every worker's fragment memory (they read each
	 * other's), drawn at start */
	frag_seed = (uint32_t)rte_rand() | 1;
	app->env.expect = rte_zmalloc_socket("dsrlb_expect", sizeof(*app->env.expect),
					 RTE_CACHE_LINE_SIZE,
					 (int)rte_socket_id());
	if (app->env.expect == NULL) {
		APP_LOG(ERR, "the health checks' answer table: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < app->env.n_workers; i++) {
		struct lb_agent_worker *dw = &app->env.workers[i];
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(app->env.core),
			.qsbr = app->qsbr,
			.qsbr_id = i,
			.rxq = rxq,
			.n_rxq = app->env.n_ports,
			.txq = (uint16_t)i,
			.port_ids = app->env.port_ids,
			.n_ports = app->env.n_ports,
			.idle_sleep_us = app->conf->dataplane.idle_sleep_us,
			.idle_spin_us = app->conf->dataplane.idle_spin_us,
			.idle = app->conf->dataplane.idle,
			.frag_hold_ms = app->conf->dataplane.frag_hold_ms,
			.frag_ttl_ms = app->conf->dataplane.frag_ttl_ms,
			.frag_seed = frag_seed,
			.exception_pps = lanes.rates.exception_pps,
			.arp_pps = lanes.rates.arp_pps,
			.member_pps = lanes.rates.member_pps,
			.router_pps = lanes.rates.router_pps,
			.peer_pps = lanes.rates.peer_pps,
			.vrrp_pps = lanes.rates.vrrp_pps,
			.quit = &app->quit,
		};
		char name[RTE_RING_NAMESIZE];
		int rc;

		snprintf(name, sizeof(name), "dsrlb_flows_%u", dw->lcore);
		dw->flows = lb_flow_create(name, per_worker, dw->socket,
					   app->qsbr);
		if (dw->flows == NULL) {
			APP_LOG(ERR, "lcore %u: flow table of %u: %s (flows.capacity, hugepages)",
				dw->lcore, per_worker, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "dsrlb_flows6_%u", dw->lcore);
		dw->flows6 = lb_flow_create_family(name, per_worker6,
						   LB_FLOW_IPV6, dw->socket,
						   app->qsbr);
		if (dw->flows6 == NULL) {
			APP_LOG(ERR, "lcore %u: IPv6 flow table of %u: %s (flows.ipv6_capacity, hugepages)",
				dw->lcore, per_worker6, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		dw->to_master = lane_create("to_master", dw->lcore,
					    lanes.bulk_size, dw->socket);
		dw->to_master_prio = lane_create("master_arp", dw->lcore,
						 lanes.prio_size, dw->socket);
		dw->to_master_ctrl = lane_create("master_ctrl", dw->lcore,
						 lanes.ctrl_size, dw->socket);
		snprintf(name, sizeof(name), "dsrlb_from_master_%u", dw->lcore);
		dw->from_master = rte_ring_create(name, DSRLB_RING_SIZE,
						  dw->socket,
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (app->conf->ha.sync) {
			snprintf(name, sizeof(name), "dsrlb_sync_out_%u",
				 dw->lcore);
			dw->sync_out = rte_ring_create_elem(name,
				sizeof(struct lb_dp_sync), DSRLB_SYNC_RING_SIZE,
				dw->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "dsrlb_sync_in_%u",
				 dw->lcore);
			dw->sync_in = rte_ring_create_elem(name,
				sizeof(struct lb_dp_sync), DSRLB_SYNC_RING_SIZE,
				dw->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (dw->sync_out == NULL || dw->sync_in == NULL) {
				APP_LOG(ERR, "lcore %u: flow sync queues: %s",
					dw->lcore, rte_strerror(rte_errno));
				return -ENOMEM;
			}
		}
		dw->w = rte_zmalloc_socket("lb_worker", sizeof(*dw->w),
					   RTE_CACHE_LINE_SIZE, dw->socket);
		if (dw->to_master == NULL || dw->to_master_prio == NULL ||
		    dw->to_master_ctrl == NULL || dw->from_master == NULL ||
		    dw->w == NULL) {
			APP_LOG(ERR, "lcore %u: out of memory", dw->lcore);
			return -ENOMEM;
		}
		for (p = 0; p < app->env.n_ports; p++)
			rxq[p] = (struct lb_dp_rxq){ .port = (uint8_t)p,
						     .queue = (uint16_t)i };
		dp.flows = dw->flows;
		dp.flows6 = dw->flows6;
		dp.to_master = dw->to_master;
		dp.to_master_prio = dw->to_master_prio;
		dp.to_master_ctrl = dw->to_master_ctrl;
		dp.from_master = dw->from_master;
		dp.expect = app->env.expect;
		dp.sync_out = dw->sync_out;
		dp.sync_in = dw->sync_in;
		rc = lb_dp_worker_init(dw->w, &dp);
		if (rc != 0)
			return rc;
		app->peers[i] = dw->w;
		APP_LOG(INFO, "worker lcore %u (socket %d): RX queue %u of every port, %u flows; to the master: ARP ring %u, trusted %u, others %u",
			dw->lcore, dw->socket, i, per_worker, lanes.prio_size,
			lanes.ctrl_size, lanes.bulk_size);
	}
	/* ICMP errors and fragments may reach another worker than their
	 * flow: each may read the others' flow tables and fragment memory */
	for (i = 0; i < app->env.n_workers; i++)
		lb_dp_set_peers(app->env.workers[i].w, app->peers, app->env.n_workers);
	return 0;
}

int
dsrlb_workers_launch(struct dsrlb_app *app)
{
	unsigned int i;
	int rc;

	for (i = 0; i < app->env.n_workers; i++) {
		rc = rte_eal_remote_launch(lb_dp_main_loop, app->env.workers[i].w,
					   app->env.workers[i].lcore);
		if (rc != 0) {
			APP_LOG(ERR, "cannot launch lcore %u: %s",
				app->env.workers[i].lcore, rte_strerror(-rc));
			app->quit = true;
			return rc;
		}
	}
	return 0;
}

void
dsrlb_workers_stop(struct dsrlb_app *app)
{
	app->quit = true;
	rte_eal_mp_wait_lcore();
}

static void
ring_drain_free(struct rte_ring *r)
{
	void *m;

	while (r != NULL && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void
dsrlb_workers_free(struct dsrlb_app *app)
{
	unsigned int i;

	for (i = 0; i < app->env.n_workers; i++) {
		struct lb_agent_worker *dw = &app->env.workers[i];

		ring_drain_free(dw->to_master);
		ring_drain_free(dw->to_master_prio);
		ring_drain_free(dw->to_master_ctrl);
		ring_drain_free(dw->from_master);
		rte_ring_free(dw->to_master);
		rte_ring_free(dw->to_master_prio);
		rte_ring_free(dw->to_master_ctrl);
		rte_ring_free(dw->from_master);
		rte_ring_free(dw->sync_out);
		rte_ring_free(dw->sync_in);
		dw->sync_out = dw->sync_in = NULL;
		lb_flow_free(dw->flows);
		lb_flow_free(dw->flows6);
		rte_free(dw->w);
		dw->to_master = dw->to_master_prio = dw->from_master = NULL;
		dw->to_master_ctrl = NULL;
		dw->flows = NULL;
		dw->flows6 = NULL;
		dw->w = NULL;
	}
	rte_free(app->env.expect);
	app->env.expect = NULL;
}
