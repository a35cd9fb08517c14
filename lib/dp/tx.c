/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The transmit stage: what the earlier stages decided is done, packet by
 * packet in arrival order. A forwarded frame gets its member's MAC (and
 * the member's VLAN tag) and is counted against its member and service;
 * an answer goes back where it came from; the master's packets go on
 * their lane's ring; the rest is freed and counted. TX buffers, one per
 * port, are sent when full and at the end of each loop (lb_dp_flush).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_internal.h"

static inline void
tx_push(struct lb_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct lb_dp_txbuf *b = &w->tx[port];

	if (unlikely(b->n == LB_TXBUF)) {
		uint16_t sent = rte_eth_tx_burst(w->port_ids[port], w->txq,
						 b->m, b->n);

		w->stats[LB_STAT_TX] += sent;
		if (sent < b->n) {
			w->stats[LB_STAT_TX_DROP] += b->n - sent;
			rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		}
		b->n = 0;
	}
	b->m[b->n++] = m;
}

/* Members on another port may sit on another VLAN: retag, add or remove
 * the tag so the frame arrives as the member's segment expects. */
static inline int
retag(struct rte_mbuf *m, uint16_t in_vlan, uint16_t out_vlan)
{
	uint8_t *p;

	if (in_vlan != 0 && out_vlan != 0) {
		p = rte_pktmbuf_mtod(m, uint8_t *);
		lb_store_be16(p + 14, (uint16_t)((lb_load_be16(p + 14) & 0xf000) |
						 out_vlan));
	} else if (in_vlan != 0) {
		p = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(p + LB_VLAN_HLEN, p, 2 * LB_ETH_ALEN);
		rte_pktmbuf_adj(m, LB_VLAN_HLEN);
	} else {
		p = (uint8_t *)rte_pktmbuf_prepend(m, LB_VLAN_HLEN);
		if (p == NULL)
			return -ENOSPC;
		memmove(p, p + LB_VLAN_HLEN, 2 * LB_ETH_ALEN);
		lb_store_be16(p + 12, LB_ETHERTYPE_VLAN);
		lb_store_be16(p + 14, out_vlan);
	}
	return 0;
}

/* Send or hand over one packet as decided; 1 if it went to a TX buffer.
 * Forwarded packets are counted in *fwd, the caller's, added to the
 * worker's count once a burst. */
static inline uint16_t
execute(struct lb_worker *w, const struct lb_snapshot *s, unsigned int port,
	struct rte_mbuf *m, const struct dp_pkt *d, uint64_t *fwd)
{
	const struct lb_snap_member *sm;
	unsigned int out;

	switch (d->act) {
	case ACT_FWD:
		sm = &s->members[d->member];
		if (unlikely(!(sm->flags & LB_SM_FWD))) {
			/* never send to a MAC we do not have: a member still
			 * being resolved keeps its flows, their packets wait */
			w->stats[LB_STAT_DROP_MEMBER_UNRESOLVED]++;
			rte_pktmbuf_free(m);
			return 0;
		}
		out = sm->port;
		/* a member on another port: its segment's MTU holds for the
		 * IP packet (the tag may change, the IP packet does not) */
		if (unlikely(out != port) &&
		    unlikely(rte_pktmbuf_pkt_len(m) -
			     (uint32_t)(s->ports[port].max_frame -
					s->ports[port].mtu) >
			     s->ports[out].mtu)) {
			w->stats[LB_STAT_DROP_OVERSIZE]++;
			rte_pktmbuf_free(m);
			return 0;
		}
		(*fwd)++;
		w->member[d->member].pkts++;
		w->member[d->member].bytes += rte_pktmbuf_pkt_len(m);
		if (d->counted_svc) {
			w->service[d->svc].pkts++;
			w->service[d->svc].bytes += rte_pktmbuf_pkt_len(m);
		}
		if (unlikely(s->ports[out].vlan != s->ports[port].vlan) &&
		    retag(m, s->ports[port].vlan, s->ports[out].vlan) != 0) {
			w->stats[LB_STAT_TX_NO_HEADROOM]++;
			rte_pktmbuf_free(m);
			return 0;
		}
		lb_pkt_set_macs(rte_pktmbuf_mtod(m, uint8_t *), sm->mac,
				s->ports[out].mac);
		tx_push(w, out, m);
		return 1;
	case ACT_REPLY:
		w->stats[LB_STAT_ICMP_ECHO_REPLY]++;
		tx_push(w, port, m);
		return 1;
	case ACT_ARP_REPLY:
		w->stats[LB_STAT_ARP_REPLY_OUT]++;
		tx_push(w, port, m);
		return 1;
	case ACT_NDP_REPLY:
		w->stats[LB_STAT_NDP_REPLY_OUT]++;
		tx_push(w, port, m);
		return 1;
	case ACT_HELD:
		return 0;     /* a later fragment waits: still ours */
	case ACT_MASTER:
	case ACT_MASTER_PRIO:
	case ACT_MASTER_CTRL: {
		/* a lane per class of traffic: ARP, the trusted classes,
		 * everyone else; none can fill another's ring */
		struct rte_ring *r = w->to_master;
		uint16_t full = LB_STAT_DROP_MASTER_FULL;

		if (d->act == ACT_MASTER_PRIO) {
			r = w->to_master_prio;
			full = LB_STAT_DROP_MASTER_PRIO_FULL;
		} else if (d->act == ACT_MASTER_CTRL) {
			r = w->to_master_ctrl;
			full = LB_STAT_DROP_MASTER_CTRL_FULL;
		}
		if (r != NULL && rte_ring_sp_enqueue(r, m) == 0) {
			w->stats[LB_STAT_TO_MASTER]++;
			return 0;
		}
		w->stats[full]++;
		rte_pktmbuf_free(m);
		return 0;
	}
	default:
		w->stats[d->drop]++;
		rte_pktmbuf_free(m);
		return 0;
	}
}

uint16_t
dp_tx_burst(struct lb_worker *w, const struct lb_snapshot *s,
	    unsigned int port, struct rte_mbuf *const *pkts,
	    const struct dp_pkt *d, uint16_t n)
{
	unsigned int i;
	uint16_t sent = 0;
	uint64_t fwd = 0;

	for (i = 0; i < n; i++)
		sent += execute(w, s, port, pkts[i], &d[i], &fwd);
	w->stats[LB_STAT_FWD] += fwd;
	return sent;
}

unsigned int
lb_dp_drain_master(struct lb_worker *w)
{
	struct rte_mbuf *m[LB_BURST];
	unsigned int i, n;

	if (w->from_master == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(w->from_master, (void **)m, LB_BURST,
				      NULL);
	for (i = 0; i < n; i++) {
		uint8_t idx = m[i]->port < RTE_MAX_ETHPORTS ?
			w->port_idx[m[i]->port] : 0xff;

		if (idx >= w->n_ports) {
			w->stats[LB_STAT_TX_DROP]++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		w->stats[LB_STAT_MASTER_TX]++;
		tx_push(w, idx, m[i]);
	}
	return n;
}

void
lb_dp_flush(struct lb_worker *w)
{
	unsigned int p;

	for (p = 0; p < w->n_ports; p++) {
		struct lb_dp_txbuf *b = &w->tx[p];
		uint16_t sent;

		if (b->n == 0)
			continue;
		sent = rte_eth_tx_burst(w->port_ids[p], w->txq, b->m, b->n);
		w->stats[LB_STAT_TX] += sent;
		if (unlikely(sent < b->n)) {
			w->stats[LB_STAT_TX_DROP] += b->n - sent;
			rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		}
		b->n = 0;
	}
}
