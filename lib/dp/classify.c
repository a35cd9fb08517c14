/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The classify stage: what each packet of a burst is, from the parser's
 * view of it and the snapshot. A packet to a VIP's service ends here
 * (ACT_FLOW, for the flow table; ACT_FWD, stateless); the exceptions go
 * to their own files: ARP and own addresses (own.c), ICMP (icmp.c).
 */

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dp_internal.h"
#include "lb_pkt6.h"

static inline void
classify(struct lb_worker *w, const struct lb_snapshot *s, unsigned int port,
	 struct rte_mbuf *m, struct dp_pkt *d, struct lb_tuple6 *k6)
{
	const struct lb_snap_port *sp = &s->ports[port];
	const struct lb_addr_slot *a;
	const struct lb_snap_vip *v;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	struct lb_pkt pk;
	enum lb_pkt_kind kind;

	d->svc = 0;
	d->counted_svc = 0;
	d->frag_first = 0;
	/* a NIC drops what its MTU does not allow; a virtual port (a pcap
	 * file, a ring) passes anything, in as many segments as it takes */
	if (unlikely(len > sp->max_frame)) {
		drop(d, LB_STAT_DROP_OVERSIZE);
		return;
	}
	/* the parser reads at most LB_HDR_MAX bytes of headers: they must
	 * be in the first segment */
	if (unlikely(m->nb_segs > 1 &&
		     rte_pktmbuf_data_len(m) < RTE_MIN(len, LB_HDR_MAX))) {
		drop(d, LB_STAT_DROP_HDR_SPLIT);
		return;
	}
	kind = lb_pkt_parse(data, len, &pk);
	if (unlikely(kind == LB_PKT_DROP)) {
		/* neither IPv4 nor ARP: IPv6, if its parser says so */
		if (pk.drop == LB_STAT_DROP_ETHERTYPE)
			dp_classify6(w, s, port, m, d, k6);
		else
			drop(d, pk.drop);
		return;
	}
	if (unlikely((pk.flags & LB_PKT_F_VLAN) ||
		     sp->vlan != 0)) {
		if (!(pk.flags & LB_PKT_F_VLAN) ||
		    (pk.vlan_tci & 0x0fff) != sp->vlan) {
			drop(d, LB_STAT_DROP_VLAN_MISMATCH);
			return;
		}
		w->stats[LB_STAT_VLAN_TAGGED]++;
	}
	if (unlikely(kind == LB_PKT_ARP)) {
		if (!(pk.flags & LB_PKT_F_L2_BCAST) &&
		    !lb_mac_eq(lb_pkt_eth_dst(data), sp->mac))
			drop(d, LB_STAT_DROP_NOT_FOR_US);
		else
			dp_classify_arp(w, s, port, data, &pk, d);
		return;
	}
	if (unlikely(pk.flags & (LB_PKT_F_L2_BCAST | LB_PKT_F_L2_MCAST))) {
		if (kind == LB_PKT_VRRP)
			dp_classify_vrrp(w, s, sp, &pk, d);
		else
			drop(d, LB_STAT_DROP_L2_MULTICAST);
		return;
	}
	if (unlikely(!lb_mac_eq(lb_pkt_eth_dst(data), sp->mac))) {
		drop(d, LB_STAT_DROP_NOT_FOR_US);
		return;
	}
	a = lb_snap_addr_lookup(s, pk.dst_ip);
	if (unlikely(a == NULL || (a->kind != LB_ADDR_VIP &&
				   a->kind != LB_ADDR_OWN))) {
		drop(d, LB_STAT_DROP_NO_VIP);
		return;
	}
	if (unlikely(a->kind == LB_ADDR_OWN)) {
		dp_classify_own(w, s, data, &pk, d);
		return;
	}
	if (unlikely(!s->active)) {
		drop(d, LB_STAT_DROP_STANDBY);
		return;
	}
	if (unlikely(pk.flags & LB_PKT_F_IP_OPTIONS))
		w->stats[LB_STAT_IP_OPTIONS]++;
	v = &s->vips[a->idx];

	switch (pk.proto) {
	case LB_IPPROTO_TCP:
	case LB_IPPROTO_UDP:
		break;
	case LB_IPPROTO_ICMP:
		/* read within the first segment only (an echo reply may sum
		 * the message): a longer one is not answered */
		dp_classify_icmp(w, s, v, data, rte_pktmbuf_data_len(m), &pk,
				 d);
		return;
	default:
		drop(d, LB_STAT_DROP_IP_PROTO);
		return;
	}

	lb_tuple_set(&d->key, pk.src_ip, pk.dst_ip, pk.src_port, pk.dst_port,
		     pk.proto);
	d->ip_id = pk.ip_id;
	d->tcp_flags = pk.tcp_flags;
	if (unlikely(pk.flags & LB_PKT_F_FRAG_LATER)) {
		/* decided in arrival order, after its first fragment (maybe
		 * in this very burst) has been decided */
		d->act = ACT_FRAG;
		return;
	}
	d->frag_first = (pk.flags & LB_PKT_F_FRAG) != 0;   /* DP_FRAG_FIRST4 */
	classify_l4(w, s, v, d, NULL);
}

/*
 * The common packet, in as few loads, branches and stores as it takes:
 * one segment, untagged unicast IPv4 (no options, not a fragment) or
 * IPv6 (no extension header) TCP or UDP to our MAC and to a VIP, on a
 * port without VLAN, while active. lb_pkt_fast4() and lb_pkt_fast6()
 * accept only packets that lb_pkt_parse() and lb_pkt_parse6() parse
 * the same way with no flag set, so what is done here is what
 * classify() and dp_classify6() do with them, step for step, with the
 * same counters; any other packet (false) is classified by them from
 * the start. lb_dp_set_full_parse() turns this path off, so the tests
 * can compare the two.
 */
static __rte_always_inline bool
classify_fast(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct lb_snap_port *sp, struct rte_mbuf *m,
	      struct dp_pkt *d, struct lb_tuple6 *k6)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const struct lb_addr6_slot *a6;
	const struct lb_addr_slot *a;
	struct lb_pkt_fast f;

	if (m->nb_segs != 1 || len > sp->max_frame ||
	    !lb_mac_eq(lb_pkt_eth_dst(data), sp->mac))
		return false;
	if (likely(lb_pkt_fast4(data, len, &f))) {
		a = lb_snap_addr_lookup(s, f.dst_ip);
		if (unlikely(a == NULL || a->kind != LB_ADDR_VIP ||
			     !s->active))
			return false;
		d->svc = 0;
		d->counted_svc = 0;
		d->frag_first = 0;
		lb_tuple_set(&d->key, f.src_ip, f.dst_ip, f.src_port,
			     f.dst_port, f.proto);
		d->ip_id = f.ip_id;
		d->tcp_flags = f.tcp_flags;
		classify_l4(w, s, &s->vips[a->idx], d, NULL);
		return true;
	}
	if (!lb_pkt_fast6(data, len, &f))
		return false;
	a6 = lb_snap_addr6_lookup(s, data + LB_PKT6_FAST_ADDRS + 16);
	if (unlikely(a6 == NULL || a6->kind != LB_ADDR_VIP || !s->active))
		return false;
	w->stats[LB_STAT_IPV6]++;
	d->svc = 0;
	d->counted_svc = 0;
	d->frag_first = 0;
	dp_flow6_set(d, k6, data + LB_PKT6_FAST_ADDRS,
		     data + LB_PKT6_FAST_ADDRS + 16, f.src_port, f.dst_port,
		     f.proto);
	d->tcp_flags = f.tcp_flags;
	classify_l4(w, s, &s->vips[a6->idx], d, k6);
	if (d->act == ACT_FLOW) {
		if (likely(w->flows6 != NULL))
			d->act = ACT_FLOW6;
		else
			drop(d, LB_STAT_DROP_NO_SERVICE);
	}
	return true;
}

void
lb_dp_set_full_parse(struct lb_worker *w, bool on)
{
	w->full_parse = on;
}

void
dp_classify_burst(struct lb_worker *w, const struct lb_snapshot *s,
		  unsigned int port, struct rte_mbuf **pkts, uint16_t n,
		  struct dp_burst *b)
{
	const struct lb_snap_port *sp = &s->ports[port];
	bool fast = !w->full_parse && sp->vlan == 0;
	struct dp_pkt *d = b->d;
	unsigned int i, nf = 0, nf6 = 0;
	bool in_order = false;

	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		if (!(fast && classify_fast(w, s, sp, pkts[i], &d[i],
					    &b->keys6[i])))
			classify(w, s, port, pkts[i], &d[i], &b->keys6[i]);
		if (d[i].act == ACT_FLOW) {
			b->keys[nf] = &d[i].key;
			b->sigs[nf] = d[i].sig;
			b->idx[nf++] = (uint8_t)i;
		} else if (unlikely(d[i].act == ACT_FLOW6)) {
			b->keys6p[nf6] = &b->keys6[i];
			b->sigs6[nf6] = d[i].sig;
			b->idx6[nf6++] = (uint8_t)i;
		}
		in_order |= d[i].frag_first || d[i].act == ACT_FRAG ||
			    d[i].act == ACT_ICMP_FLOW ||
			    d[i].act == ACT_ICMP_FLOW6 ||
			    d[i].act == ACT_FRAG6;
	}
	b->nf = (uint16_t)nf;
	b->nf6 = (uint16_t)nf6;
	b->in_order = in_order;
}
