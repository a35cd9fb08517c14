/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The classify stage for IPv6, the peer of classify.c: a Neighbor
 * Solicitation for a VIP answered in place (as ARP is), an echo request
 * to a VIP answered, TCP and UDP to a VIP's service sent on to the flow
 * table (ACT_FLOW6) or, stateless, to its member, an ICMPv6 error to
 * the member of the flow it quotes (ACT_ICMP_FLOW6: Packet Too Big for
 * path MTU discovery). A fragmented datagram lands whole on one member,
 * as IPv4's does: its first fragment is decided like a whole packet and
 * remembered (DP_FRAG_FIRST6), its later fragments follow it in arrival
 * order (ACT_FRAG6, frag6.c). A solicitation for the port's own IPv6
 * address is answered too, advertisements the master needs handed over,
 * other packets to the own address sent to the master's lanes (own.c).
 * The rest is dropped and counted.
 */

#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "dp_internal.h"
#include "lb_pkt6.h"

/*
 * A Neighbor Solicitation: answered in place for a VIP while VIPs are
 * ours to answer for (active, not ECMP), whoever asks, as ARP is; and
 * for high_availability.next_hop6 (ECMP) whenever asked, as ARP for the
 * own address is. RFC
 * 4861's checks first (lb_pkt_ndp_ns()); then the frame must be for the
 * target: to its solicited-node group (address and MAC), or unicast to
 * us and to the target itself (a reachability probe).
 */
static void
classify_ns(const struct lb_snapshot *s, unsigned int port, struct rte_mbuf *m, uint8_t *data,
	    const struct lb_pkt6 *pk, struct dp_pkt *d)
{
	const struct lb_snap_port *sp = &s->ports[port];
	const struct lb_addr6_slot *a;
	uint8_t group[LB_IP6_ALEN], group_mac[LB_ETH_ALEN];
	struct lb_ndp_ns ns;
	uint32_t len;

	if (lb_pkt_ndp_ns(data, pk, &ns) != 0) {
		drop(d, LB_STAT_DROP_NDP_BAD);
		return;
	}
	lb_ip6_solicited_node(ns.target, group, group_mac);
	if (pk->flags & LB_PKT_F_L2_MCAST ?
	    !lb_mac_eq(lb_pkt_eth_dst(data), group_mac) ||
	    memcmp(pk->dst, group, LB_IP6_ALEN) != 0 :
	    !lb_mac_eq(lb_pkt_eth_dst(data), sp->mac) ||
	    (memcmp(pk->dst, group, LB_IP6_ALEN) != 0 &&
	     memcmp(pk->dst, ns.target, LB_IP6_ALEN) != 0)) {
		drop(d, LB_STAT_DROP_NDP_OTHER);
		return;
	}
	a = lb_snap_addr6_lookup(s, ns.target);
	/* a VIP while we answer for VIPs; an own address (the port's, its
	 * link-local one, the ecmp next hop: port 0's) on its port always */
	if (a == NULL ||
	    !((a->kind == LB_ADDR_VIP && s->vip_arp) ||
	      (a->kind == LB_ADDR_OWN && a->idx == port))) {
		drop(d, LB_STAT_DROP_NDP_OTHER);
		return;
	}
	len = lb_pkt_ndp_na_reply(data, rte_pktmbuf_data_len(m) +
				  rte_pktmbuf_tailroom(m), pk, &ns, sp->mac);
	if (len == 0) {
		drop(d, LB_STAT_DROP_NDP_BAD);
		return;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	d->act = ACT_NDP_REPLY;
}

/* Neighbor Discovery (RFC 4861: router solicitations and
 * advertisements, neighbor solicitations and advertisements, redirects) */
static inline bool
is_ndp(const struct lb_pkt6 *pk)
{
	return pk->proto == LB_IPPROTO_ICMPV6 &&
	       pk->icmp_type >= LB_ICMP6_ROUTER_SOLICIT &&
	       pk->icmp_type <= LB_ICMP6_REDIRECT;
}

/*
 * An ICMPv6 error quotes a packet a member sent from the VIP (a
 * router's Packet Too Big, a time exceeded): it goes to the member of
 * that flow, found in arrival order in any worker's table, as IPv4's
 * errors do (icmp.c). Never creates or ages a flow.
 */
static void
classify_icmp6_error(struct lb_worker *w, const struct lb_snapshot *s,
		     const struct lb_snap_vip *v, const uint8_t *data,
		     uint32_t len, const struct lb_pkt6 *pk, struct dp_pkt *d,
		     struct lb_tuple6 *k6)
{
	struct lb_pkt_inner6 in;

	if ((pk->flags & LB_PKT_F_FRAG) ||
	    lb_pkt_icmp6_inner(data, len, pk, &in) != 0 ||
	    memcmp(in.vip, pk->dst, LB_IP6_ALEN) != 0) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
	dp_flow6_set(d, k6, in.client, in.vip, in.client_port, in.vip_port,
		 in.proto);
	classify_l4(w, s, v, d, k6);
	if (d->act == ACT_DROP) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
	w->stats[LB_STAT_ICMP_ERROR]++;
	if (d->act == ACT_FLOW)
		d->act = ACT_ICMP_FLOW6;
}

/* ICMPv6 to a VIP: echo answered, errors to their flow's member;
 * Neighbor Discovery messages other than a solicitation
 * (advertisements, router messages: ignored, as a host that routes
 * nothing ignores them) and the rest dropped. */
static void
classify_icmp6(struct lb_worker *w, const struct lb_snapshot *s,
	       const struct lb_snap_vip *v, uint8_t *data, uint32_t len,
	       const struct lb_pkt6 *pk, struct dp_pkt *d,
	       struct lb_tuple6 *k6)
{
	if (pk->icmp_type == LB_ICMP6_ECHO_REQUEST &&
	    lb_pkt_icmp6_echo_reply(data, len, pk) == 0)
		d->act = ACT_REPLY;
	else if (lb_pkt_icmp6_is_error(pk->icmp_type))
		classify_icmp6_error(w, s, v, data, len, pk, d, k6);
	else if (is_ndp(pk))
		drop(d, LB_STAT_DROP_NDP_OTHER);
	else
		drop(d, LB_STAT_DROP_ICMP);
}

void
dp_classify6(struct lb_worker *w, const struct lb_snapshot *s,
	     unsigned int port, struct rte_mbuf *m, struct dp_pkt *d,
	     struct lb_tuple6 *k6)
{
	const struct lb_snap_port *sp = &s->ports[port];
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const struct lb_addr6_slot *a;
	struct lb_pkt6 pk;

	if (lb_pkt_parse6(data, len, &pk) == LB_PKT_DROP) {
		drop(d, pk.drop);
		return;
	}
	w->stats[LB_STAT_IPV6]++;
	if (unlikely((pk.flags & LB_PKT_F_VLAN) || sp->vlan != 0)) {
		if (!(pk.flags & LB_PKT_F_VLAN) ||
		    (pk.vlan_tci & 0x0fff) != sp->vlan) {
			drop(d, LB_STAT_DROP_VLAN_MISMATCH);
			return;
		}
		w->stats[LB_STAT_VLAN_TAGGED]++;
	}
	if (unlikely(pk.proto == LB_IPPROTO_ICMPV6 &&
		     (pk.icmp_type == LB_ICMP6_NEIGH_SOLICIT ||
		      pk.icmp_type == LB_ICMP6_NEIGH_ADVERT))) {
		/* their options and checksum are read whole: in one
		 * segment only (no neighbour sends a longer one) */
		if (m->nb_segs != 1)
			drop(d, LB_STAT_DROP_NDP_BAD);
		else if (pk.icmp_type == LB_ICMP6_NEIGH_SOLICIT)
			classify_ns(s, port, m, data, &pk, d);
		else
			dp_classify_na(w, s, port, data, &pk, d);
		return;
	}
	if (unlikely(pk.flags & (LB_PKT_F_L2_BCAST | LB_PKT_F_L2_MCAST))) {
		drop(d, is_ndp(&pk) ? LB_STAT_DROP_NDP_OTHER :
		     LB_STAT_DROP_L2_MULTICAST);
		return;
	}
	if (unlikely(!lb_mac_eq(lb_pkt_eth_dst(data), sp->mac))) {
		drop(d, LB_STAT_DROP_NOT_FOR_US);
		return;
	}
	a = lb_snap_addr6_lookup(s, pk.dst);
	if (unlikely(a == NULL || (a->kind != LB_ADDR_VIP &&
				   a->kind != LB_ADDR_OWN))) {
		drop(d, LB_STAT_DROP_NO_VIP);
		return;
	}
	if (unlikely(a->kind == LB_ADDR_OWN)) {
		if (is_ndp(&pk))
			drop(d, LB_STAT_DROP_NDP_OTHER);
		else
			dp_classify_own6(w, s, data, &pk, d);
		return;
	}
	if (unlikely(!s->active)) {
		drop(d, LB_STAT_DROP_STANDBY);
		return;
	}
	switch (pk.proto) {
	case LB_IPPROTO_TCP:
	case LB_IPPROTO_UDP:
		break;
	case LB_IPPROTO_ICMPV6:
		/* read within the first segment only (the echo reply sums
		 * the message): a longer one is not answered */
		classify_icmp6(w, s, &s->vips[a->idx], data,
			       rte_pktmbuf_data_len(m), &pk, d, k6);
		return;
	default:
		drop(d, LB_STAT_DROP_IP_PROTO);
		return;
	}
	dp_flow6_set(d, k6, pk.src, pk.dst, pk.src_port, pk.dst_port, pk.proto);
	if (unlikely(pk.flags & LB_PKT_F_FRAG)) {
		*dp_frag6_id(d) = pk.frag_id;
		if (pk.flags & LB_PKT_F_FRAG_LATER) {
			/* no ports: decided in arrival order, after its first
			 * fragment (maybe in this very burst) */
			d->act = ACT_FRAG6;
			return;
		}
		d->frag_first = DP_FRAG_FIRST6;
	}
	d->tcp_flags = pk.tcp_flags;
	classify_l4(w, s, &s->vips[a->idx], d, k6);
	if (d->act == ACT_FLOW) {
		if (likely(w->flows6 != NULL))
			d->act = ACT_FLOW6;
		else
			drop(d, LB_STAT_DROP_NO_SERVICE);
	}
}
