/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The exception interface (lib/kif): what the kernel sends goes out
 * through a worker; its counters are the master's. */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "lb_pkt.h"
#include "lb_pkt6.h"
#include "agent_internal.h"

/* Multicast the kernel may send on the wire: VRRP's advertisements
 * (keepalived's), in mode vrrp, and its Neighbor Solicitations and
 * Advertisements (IPv6's ARP); no other (IGMP and MLD reports, router
 * solicitations and the like stay in). Broadcast (the kernel's ARP)
 * and unicast go. */
static bool
kif_multicast_ok(struct lb_agent *ag, struct rte_mbuf *m)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct lb_pkt6 pk6;
	struct lb_pkt pk;

	if (rte_pktmbuf_data_len(m) < 6 || !(data[0] & 1) ||
	    memcmp(data, bcast, 6) == 0)
		return true;
	if (lb_pkt_parse6(data, rte_pktmbuf_data_len(m), &pk6) == LB_PKT_IPV6)
		return pk6.proto == LB_IPPROTO_ICMPV6 &&
		       (pk6.icmp_type == LB_ICMP6_NEIGH_SOLICIT ||
			pk6.icmp_type == LB_ICMP6_NEIGH_ADVERT);
	if (lb_core_settings(ag->core)->ha.mode != LB_HA_VRRP ||
	    lb_pkt_parse(data, rte_pktmbuf_data_len(m), &pk) != LB_PKT_VRRP)
		return false;
	/* only the VRRP master advertises: ours still is */
	ag->act.vrrp_sent_ms = lb_agent_now_ms();
	return true;
}

/* lb_kif_params::to_wire: what the kernel sends leaves through the
 * port whose address it holds. */
static int
kif_to_wire(void *ctx, struct rte_mbuf *m)
{
	struct lb_agent *ag = ctx;

	if (!kif_multicast_ok(ag, m)) {
		rte_pktmbuf_free(m);
		return -EPERM;
	}
	return lb_agent_send(ag, ag->kif_port, m, true);
}

/* The interface holds the first port's address (process set-up: the
 * boot configuration names it). */
int
lb_agent_kif_create(struct lb_agent *ag)
{
	const char *ifname = lb_core_settings(ag->core)->exception_interface;
	const struct lb_conf_port *p;
	struct lb_kif_params kp;

	if (ifname[0] == '\0')
		return 0;
	ag->kif_port = 0;
	p = lb_agent_port_conf(ag, ag->kif_port);
	kp = (struct lb_kif_params){
		.ifname = ifname,
		.mac = ag->env->port_macs[ag->kif_port],
		.addr = p->addr, .prefix = p->prefix, .gateway = p->gateway,
		.prefix6 = lb_ip_is_unset(&p->addr6) ? 0 : p->prefix6,
		.vlan = p->vlan, .mtu = p->mtu,
		.pool = ag->env->port_pools[ag->kif_port],
		.socket_id = (int)rte_socket_id(),
		.to_wire = kif_to_wire, .ctx = ag,
		/* ecmp announces IPv6 VIPs by routes on it too */
		.ipv6_routes = lb_core_settings(ag->core)->ha.mode ==
			       LB_HA_ECMP,
	};
	memcpy(kp.addr6, p->addr6.b, sizeof(kp.addr6));
	memcpy(kp.gateway6, p->gateway6.b, sizeof(kp.gateway6));
	ag->kif = lb_kif_create(&kp);
	if (ag->kif == NULL) {
		AG_LOG(ERR, "exception_interface %s: %s", kp.ifname,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	AG_LOG(INFO, "exception interface %s holds %s's address", kp.ifname,
		p->name);
	return 0;
}

/* The interface's counters, as master counters. */
void
lb_agent_kif_stats(struct lb_agent *ag)
{
	struct lb_kif_stats s;

	lb_kif_stats_get(ag->kif, &s);
	ag->mstats[LB_STAT_KERNEL_RX] = s.to_kernel;
	ag->mstats[LB_STAT_KERNEL_TX] = s.from_kernel;
	ag->mstats[LB_STAT_KERNEL_DROP] = s.drop;
}

/* Frames the kernel sent, to the wire. */
unsigned int
lb_agent_kif_poll(struct lb_agent *ag)
{
	unsigned int n;

	if (ag->kif == NULL)
		return 0;
	n = lb_kif_poll(ag->kif);
	lb_agent_kif_stats(ag);
	return n;
}

