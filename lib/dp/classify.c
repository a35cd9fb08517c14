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

void
dp_classify_burst(struct lb_worker *w, const struct lb_snapshot *s,
		  unsigned int port, struct rte_mbuf **pkts, uint16_t n,
		  struct dp_burst *b)
{
	struct dp_pkt *d = b->d;
	unsigned int i, nf = 0, nf6 = 0;
	bool in_order = false;

	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
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
