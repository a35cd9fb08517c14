/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* What the workers hand over: ARP (lib/neigh learns from it) and
 * traffic to an own address (the kernel interface gets it). */

#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lb_pkt.h"
#include "lb_pkt6.h"
#include "agent_internal.h"

#define NEIGH_CAP 4096

/* Work per pass of the master loop, per source: whatever floods one
 * source, the others (and the timers) get their turn every pass. The
 * priority rings (ARP, members' answers) are policed by the workers and
 * drained deepest. */
#define PASS_PRIO_PER_WORKER 512
#define PASS_CTRL_PER_WORKER 512
#define PASS_BULK_PER_WORKER 128

/* lb_neigh_ops::request: resolve or refresh a member. */
static void
neigh_request(void *ctx, const struct lb_neigh *n, bool unicast)
{
	struct lb_agent *ag = ctx;
	const struct lb_conf_port *p = lb_agent_port_conf(ag, n->port);
	uint8_t buf[LB_NEIGH_FRAME_MAX];
	uint32_t len;

	if (!lb_ip_is4(&n->addr)) {
		/* the core keeps IPv6 members on ports with an IPv6 subnet */
		if (lb_ip_is_unset(&p->addr6))
			return;
		len = lb_neigh_ns_frame(buf, p->vlan,
					ag->env->port_macs[n->port], &p->addr6,
					n, unicast);
		if (lb_agent_send_frame(ag, n->port, buf, len) == 0)
			ag->mstats[LB_STAT_NDP_SOLICIT_OUT]++;
		return;
	}
	len = lb_neigh_request_frame(buf, p->vlan, ag->env->port_macs[n->port],
				     p->addr, n, unicast);
	if (lb_agent_send_frame(ag, n->port, buf, len) == 0)
		ag->mstats[LB_STAT_ARP_REQUEST_OUT]++;
}

static bool
is_vip(const void *core, uint32_t addr)
{
	return lb_core_is_vip4(core, addr);
}

/* ARP the workers did not answer themselves: lib/neigh learns from it
 * and says whether the kernel gets it. */
static bool
arp_input(struct lb_agent *ag, unsigned int port, const uint8_t *data,
	  uint32_t len, uint64_t now)
{
	const struct lb_conf_port *cp = lb_agent_port_conf(ag, port);
	const struct lb_neigh_port np = {
		.addr = cp->addr, .prefix = cp->prefix, .index = (uint8_t)port,
		.kernel = ag->kif != NULL && port == ag->kif_port,
	};

	switch (lb_neigh_arp_input(&ag->neigh, &np, data, len, is_vip,
				   ag->core, now, &ag->neigh_ops)) {
	case LB_NEIGH_ARP_KERNEL:
		ag->mstats[LB_STAT_ARP_REPLY_IN]++;
		return true;
	case LB_NEIGH_ARP_REPLY:
		ag->mstats[LB_STAT_ARP_REPLY_IN]++;
		return false;
	case LB_NEIGH_ARP_REQUEST:
		/* gratuitous, for another host, or for a VIP while standby */
		ag->mstats[LB_STAT_ARP_REQUEST_IN]++;
		ag->mstats[LB_STAT_ARP_IGNORED]++;
		return false;
	default:
		ag->mstats[LB_STAT_ARP_BAD]++;
		return false;
	}
}

static bool
is_vip6(const void *core, const struct lb_ip *addr)
{
	return lb_core_is_vip(core, addr);
}

/* IPv6 a worker handed over: Neighbor Discovery (lib/neigh learns from
 * advertisements) and traffic to the own IPv6 address; true if the
 * kernel interface gets it. */
static bool
ip6_input(struct lb_agent *ag, unsigned int port, const uint8_t *data,
	  uint32_t len, uint64_t now)
{
	const struct lb_conf_port *cp = lb_agent_port_conf(ag, port);
	const struct lb_neigh_port np = {
		.addr = cp->addr, .prefix = cp->prefix, .index = (uint8_t)port,
		.kernel = ag->kif != NULL && port == ag->kif_port,
		.addr6 = cp->addr6, .prefix6 = cp->prefix6,
	};
	struct lb_pkt6 pk;

	if (lb_pkt_parse6(data, len, &pk) != LB_PKT_IPV6)
		return false;
	if (pk.proto != LB_IPPROTO_ICMPV6 ||
	    (pk.icmp_type != LB_ICMP6_NEIGH_ADVERT &&
	     pk.icmp_type != LB_ICMP6_NEIGH_SOLICIT))
		return np.kernel;
	switch (lb_neigh_ndp_input(&ag->neigh, &np, data, len, is_vip6,
				   ag->core, now, &ag->neigh_ops)) {
	case LB_NEIGH_ARP_KERNEL:
		ag->mstats[LB_STAT_NDP_ADVERT_IN]++;
		return true;
	case LB_NEIGH_ARP_REPLY:
		ag->mstats[LB_STAT_NDP_ADVERT_IN]++;
		return false;
	case LB_NEIGH_ARP_REQUEST:
		return false;
	default:
		ag->mstats[LB_STAT_NDP_BAD]++;
		return false;
	}
}

/* Packets a worker handed over: ARP, and traffic to an own address. */
static void
master_input(struct lb_agent *ag, struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	int port = lb_agent_port_index(ag, m->port);
	bool to_kernel = false;
	struct lb_pkt pk;
	enum lb_pkt_kind kind;

	if (port < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	kind = lb_pkt_parse(data, rte_pktmbuf_pkt_len(m), &pk);
	if (kind == LB_PKT_ARP)
		to_kernel = arp_input(ag, (unsigned int)port, data,
				      rte_pktmbuf_data_len(m), now);
	else if (kind == LB_PKT_IPV4 || kind == LB_PKT_VRRP)
		to_kernel = ag->kif != NULL &&
			    (unsigned int)port == ag->kif_port &&
			    (kind != LB_PKT_IPV4 ||
			     lb_agent_sync_frame_ok(ag, data, &pk));
	else if (kind == LB_PKT_DROP && pk.drop == LB_STAT_DROP_ETHERTYPE)
		to_kernel = ip6_input(ag, (unsigned int)port, data,
				      rte_pktmbuf_data_len(m), now);
	if (to_kernel) {
		lb_kif_to_kernel(ag->kif, m);
		return;
	}
	if (kind == LB_PKT_IPV4 || kind == LB_PKT_VRRP)
		ag->mstats[LB_STAT_OWN_DROP]++;
	rte_pktmbuf_free(m);
}

/* Up to budget packets of one worker ring. */
static unsigned int
drain_ring(struct lb_agent *ag, struct rte_ring *r, unsigned int budget,
	   uint64_t now)
{
	struct rte_mbuf *pkts[LB_BURST];
	unsigned int done = 0, k, n;

	while (done < budget) {
		n = rte_ring_sc_dequeue_burst(r, (void **)pkts,
					      RTE_MIN(budget - done,
						      (unsigned int)LB_BURST),
					      NULL);
		for (k = 0; k < n; k++)
			master_input(ag, pkts[k], now);
		done += n;
		if (n < LB_BURST)
			break;
	}
	return done;
}

/* What the workers handed over: ARP first, then the trusted classes
 * (members, routers, peers, VRRP), then everyone else, each a bounded
 * amount per pass; what goes to the kernel leaves in one burst. */
unsigned int
lb_agent_input_run(struct lb_agent *ag, uint64_t now)
{
	unsigned int i, work = 0;

	for (i = 0; i < ag->env->n_workers; i++)
		work += drain_ring(ag, ag->env->workers[i].to_master_prio,
				   PASS_PRIO_PER_WORKER, now);
	for (i = 0; i < ag->env->n_workers; i++)
		work += drain_ring(ag, ag->env->workers[i].to_master_ctrl,
				   PASS_CTRL_PER_WORKER, now);
	for (i = 0; i < ag->env->n_workers; i++)
		work += drain_ring(ag, ag->env->workers[i].to_master,
				   PASS_BULK_PER_WORKER, now);
	if (ag->kif != NULL) {
		lb_kif_flush(ag->kif);
		lb_agent_kif_stats(ag);
	}
	return work;
}

/* The neighbor table, with the timers of the file's "arp" section. */
int
lb_agent_neigh_init(struct lb_agent *ag)
{
	const struct lb_conf_arp *arp = &lb_core_settings(ag->core)->arp;
	struct lb_neigh_params np = LB_NEIGH_PARAMS_DEFAULT;

	np.reachable_ms = arp->reachable_ms;
	np.probe_ms = arp->probe_ms;
	np.max_probes = arp->probes;
	np.retry_ms = arp->retry_ms;
	np.stale_retries = arp->stale_retries;
	ag->neigh_ops = (struct lb_neigh_ops){
		.request = neigh_request, .changed = lb_agent_neigh_changed,
		.ctx = ag,
	};
	return lb_neigh_init(&ag->neigh, NEIGH_CAP, &np);
}

