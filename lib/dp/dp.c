/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "lb_dp.h"

/* What the classify stage decided for a packet. */
enum dp_act {
	ACT_DROP = 0,  /* free, count d->drop */
	ACT_MASTER,    /* hand to the master lcore */
	ACT_REPLY,     /* answered in place: send back on the input port */
	ACT_FWD,       /* send to d->member */
	ACT_FLOW,      /* needs the flow table to pick a member */
	ACT_FRAG,      /* later fragment: follows its first, decided in order */
};

/* Per-packet scratch for one burst. */
struct dp_pkt {
	struct lb_tuple key;
	uint32_t sig;
	uint16_t svc;
	uint16_t member;
	uint16_t drop;
	uint16_t ip_id;
	uint8_t act;
	uint8_t tcp_flags;
	uint8_t frag_first;  /* remember the member for later fragments */
	uint8_t counted_svc; /* svc is set: count traffic against it */
	uint16_t vip;        /* VIP index (later fragments) */
};

int
lb_dp_worker_init(struct lb_worker *w, const struct lb_dp_params *p)
{
	unsigned int i;

	if (p->n_rxq > LB_MAX_PORTS || p->n_ports > LB_MAX_PORTS ||
	    p->snap == NULL || p->quit == NULL)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->snap = p->snap;
	w->qsbr = p->qsbr;
	w->qsbr_id = p->qsbr_id;
	w->flows = p->flows;
	w->to_master = p->to_master;
	w->from_master = p->from_master;
	w->idle_sleep_us = p->idle_sleep_us;
	w->quit = p->quit;
	w->txq = p->txq;
	w->n_rxq = (uint16_t)p->n_rxq;
	w->n_ports = (uint16_t)p->n_ports;
	memcpy(w->rxq, p->rxq, p->n_rxq * sizeof(*w->rxq));
	memset(w->port_idx, 0xff, sizeof(w->port_idx));
	for (i = 0; i < p->n_ports; i++) {
		if (p->port_ids[i] >= RTE_MAX_ETHPORTS)
			return -EINVAL;
		w->port_ids[i] = p->port_ids[i];
		w->port_idx[p->port_ids[i]] = (uint8_t)i;
	}
	w->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (w->tsc_per_ms == 0)
		w->tsc_per_ms = 1;
	lb_dp_clock(w);
	return 0;
}

void
lb_dp_clock(struct lb_worker *w)
{
	w->now = (uint32_t)(rte_rdtsc() / w->tsc_per_ms);
}

static inline void
drop(struct dp_pkt *d, enum lb_stat_worker why)
{
	d->act = ACT_DROP;
	d->drop = why;
}

/* ---- member selection ---- */

/* The member a flow hashes to: the same on every balancer with the same
 * members, which is what keeps flows in place across a restart or a
 * standby taking over, and what stateless fallbacks use. */
static inline uint16_t
consistent(const struct lb_snap_service *svc, const struct lb_tuple *k,
	   uint32_t sig)
{
	if (svc->sched == LB_SCHED_SH)
		sig = lb_tuple_hash_fields(k, LB_HASH_F_SRC_IP);
	return lb_maglev_lookup(svc->maglev, svc->table_size, sig);
}

static inline uint16_t
schedule(struct lb_worker *w, unsigned int slot,
	 const struct lb_snap_service *svc, const struct lb_tuple *k,
	 uint32_t sig)
{
	uint32_t p;

	if (svc->sched != LB_SCHED_WRR)
		return consistent(svc, k, sig);
	if (svc->wrr_len == 0)
		return LB_SCHED_NONE;
	/* a cursor from an older, longer sequence starts over */
	p = w->wrr_pos[slot];
	if (p >= svc->wrr_len)
		p = 0;
	w->wrr_pos[slot] = p + 1;
	return svc->wrr[p];
}

/* ---- fragments ---- */

static inline struct lb_frag_slot *
frag_slot(struct lb_worker *w, uint32_t src, uint32_t dst, uint16_t id,
	  uint8_t proto)
{
	uint32_t h = rte_hash_crc_4byte(src, LB_HASH_SEED);

	h = rte_hash_crc_4byte(dst, h);
	h = rte_hash_crc_4byte(((uint32_t)id << 8) | proto, h);
	return &w->frag[h & (LB_FRAG_SLOTS - 1)];
}

static inline void
frag_remember(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct dp_pkt *d)
{
	struct lb_frag_slot *f = frag_slot(w, d->key.src_ip, d->key.dst_ip,
					   d->ip_id, d->key.proto);

	*f = (struct lb_frag_slot){
		.src = d->key.src_ip, .dst = d->key.dst_ip, .id = d->ip_id,
		.proto = d->key.proto, .member = d->member,
		.gen = s->members[d->member].gen, .valid = 1,
		.expire = w->now + LB_FRAG_TIMEOUT_MS,
	};
	w->stats[LB_STAT_FRAG_FIRST]++;
}

/* A later fragment has no ports: it follows its first fragment if that
 * came first, else it is hashed on the source address alone in the
 * VIP's first service for its protocol (SPEC: counted). */
static inline void
classify_later_fragment(struct lb_worker *w, const struct lb_snapshot *s,
			struct dp_pkt *d)
{
	struct lb_frag_slot *f = frag_slot(w, d->key.src_ip, d->key.dst_ip,
					   d->ip_id, d->key.proto);
	const struct lb_snap_vip *v = &s->vips[d->vip];
	unsigned int pidx = d->key.proto == LB_IPPROTO_TCP ?
		LB_PROTO_TCP : LB_PROTO_UDP;
	const struct lb_range *r = &s->ranges[v->first[pidx]];
	unsigned int i;

	if (f->valid && f->src == d->key.src_ip && f->dst == d->key.dst_ip &&
	    f->id == d->ip_id && f->proto == d->key.proto &&
	    (int32_t)(w->now - f->expire) < 0 &&
	    s->members[f->member].gen == f->gen &&
	    (s->members[f->member].flags & LB_SM_FWD)) {
		w->stats[LB_STAT_FRAG_HIT]++;
		d->member = f->member;
		d->act = ACT_FWD;
		return;
	}
	w->stats[LB_STAT_FRAG_UNMATCHED]++;
	for (i = 0; i < v->count[pidx]; i++)
		if (r[i].kind == LB_RANGE_SERVICE)
			break;
	if (i == v->count[pidx]) {
		drop(d, LB_STAT_DROP_NO_SERVICE);
		return;
	}
	d->svc = r[i].target;
	d->counted_svc = 1;
	d->member = lb_maglev_lookup(s->services[d->svc].maglev,
				     s->services[d->svc].table_size,
				     lb_tuple_hash_fields(&d->key,
							  LB_HASH_F_SRC_IP));
	if (d->member == LB_SCHED_NONE)
		drop(d, LB_STAT_DROP_NO_MEMBER);
	else
		d->act = ACT_FWD;
}

/* ---- classification ---- */

/* Destination port owned by a member's source-port range, by a service,
 * or by nothing. Sets d->act to FWD, FLOW or DROP. */
static inline void
classify_l4(struct lb_worker *w, const struct lb_snapshot *s,
	    const struct lb_snap_vip *v, struct dp_pkt *d)
{
	unsigned int pidx = d->key.proto == LB_IPPROTO_TCP ?
		LB_PROTO_TCP : LB_PROTO_UDP;
	const struct lb_range *r;
	const struct lb_snap_service *svc;

	r = lb_snap_range_lookup(s, v, pidx, d->key.dst_port);
	if (r == NULL) {
		drop(d, LB_STAT_DROP_NO_SERVICE);
		return;
	}
	if (r->kind == LB_RANGE_MEMBER) {
		/* replies to a connection the member opened from the VIP:
		 * only that member can take them, healthy or not */
		if (!(s->members[r->target].flags & LB_SM_FWD)) {
			drop(d, LB_STAT_DROP_MEMBER_UNUSABLE);
			return;
		}
		w->stats[LB_STAT_SOURCE_PORT]++;
		d->member = r->target;
		d->act = ACT_FWD;
		return;
	}
	d->svc = r->target;
	d->counted_svc = 1;
	svc = &s->services[d->svc];
	if (svc->stateless) {
		w->stats[LB_STAT_STATELESS]++;
		d->member = lb_maglev_lookup(svc->maglev, svc->table_size,
			lb_tuple_hash_fields(&d->key, svc->hash_fields));
		if (d->member == LB_SCHED_NONE)
			drop(d, LB_STAT_DROP_NO_MEMBER);
		else
			d->act = ACT_FWD;
		return;
	}
	d->sig = lb_tuple_hash(&d->key);
	d->act = ACT_FLOW;
}

/* An ICMP error quotes a packet a member sent from the VIP: send it to
 * the member that owns that flow, so path MTU discovery works. */
static inline void
classify_icmp_error(struct lb_worker *w, const struct lb_snapshot *s,
		    const struct lb_snap_vip *v, const uint8_t *data,
		    uint32_t len, const struct lb_pkt *pk, struct dp_pkt *d)
{
	const struct lb_snap_service *svc;
	struct lb_pkt_inner in;
	int32_t pos;

	if (lb_pkt_icmp_inner(data, len, pk, &in) != 0 ||
	    in.vip != pk->dst_ip) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
	d->key = (struct lb_tuple){
		.src_ip = in.client_ip, .dst_ip = in.vip,
		.src_port = in.client_port, .dst_port = in.vip_port,
		.proto = in.proto,
	};
	classify_l4(w, s, v, d);
	if (d->act == ACT_DROP) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
	w->stats[LB_STAT_ICMP_ERROR]++;
	if (d->act != ACT_FLOW)
		return;
	/* never create or age a flow for an ICMP error */
	svc = &s->services[d->svc];
	pos = lb_flow_lookup(w->flows, &d->key, d->sig);
	if (pos >= 0 && (uint32_t)pos < w->flows->n_pos) {
		const struct lb_flow_entry *e = &w->flows->e[pos];

		if (e->state != 0 && !lb_flow_expired(e, w->now) &&
		    svc->mstate[e->member] != LB_MS_NONE &&
		    s->members[e->member].gen == e->member_gen) {
			d->member = e->member;
			d->act = ACT_FWD;
			return;
		}
	}
	d->member = consistent(svc, &d->key, d->sig);
	if (d->member == LB_SCHED_NONE)
		drop(d, LB_STAT_DROP_ICMP);
	else
		d->act = ACT_FWD;
}

static inline void
classify(struct lb_worker *w, const struct lb_snapshot *s, unsigned int port,
	 struct rte_mbuf *m, struct dp_pkt *d)
{
	const struct lb_snap_port *sp = &s->ports[port];
	const struct lb_addr_slot *a;
	const struct lb_snap_vip *v;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	struct lb_pkt pk;
	enum lb_pkt_kind kind;

	d->counted_svc = 0;
	d->frag_first = 0;
	/* the parser reads at most LB_HDR_MAX bytes of headers: they must
	 * be in the first segment */
	if (unlikely(m->nb_segs > 1 &&
		     rte_pktmbuf_data_len(m) < RTE_MIN(len, LB_HDR_MAX))) {
		drop(d, LB_STAT_DROP_HDR_SPLIT);
		return;
	}
	kind = lb_pkt_parse(data, len, &pk);
	if (unlikely(kind == LB_PKT_DROP)) {
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
			d->act = ACT_MASTER;
		return;
	}
	if (unlikely(pk.flags & (LB_PKT_F_L2_BCAST | LB_PKT_F_L2_MCAST))) {
		drop(d, LB_STAT_DROP_L2_MULTICAST);
		return;
	}
	if (unlikely(!lb_mac_eq(lb_pkt_eth_dst(data), sp->mac))) {
		drop(d, LB_STAT_DROP_NOT_FOR_US);
		return;
	}
	a = lb_snap_addr_lookup(s, pk.dst_ip);
	if (unlikely(a == NULL)) {
		drop(d, LB_STAT_DROP_NO_VIP);
		return;
	}
	if (unlikely(a->kind == LB_ADDR_OWN)) {
		d->act = ACT_MASTER;
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
		if (pk.flags & LB_PKT_F_FRAG) {
			drop(d, LB_STAT_DROP_ICMP);
		} else if (pk.icmp_type == LB_ICMP_ECHO_REQUEST) {
			if (lb_pkt_icmp_echo_reply(data, len, &pk) == 0)
				d->act = ACT_REPLY;
			else
				drop(d, LB_STAT_DROP_ICMP);
		} else if (lb_pkt_icmp_is_error(pk.icmp_type)) {
			classify_icmp_error(w, s, v, data, len, &pk, d);
		} else {
			drop(d, LB_STAT_DROP_ICMP);
		}
		return;
	default:
		drop(d, LB_STAT_DROP_IP_PROTO);
		return;
	}

	d->key = (struct lb_tuple){
		.src_ip = pk.src_ip, .dst_ip = pk.dst_ip,
		.src_port = pk.src_port, .dst_port = pk.dst_port,
		.proto = pk.proto,
	};
	d->ip_id = pk.ip_id;
	d->tcp_flags = pk.tcp_flags;
	if (unlikely(pk.flags & LB_PKT_F_FRAG_LATER)) {
		/* decided in arrival order, after its first fragment (maybe
		 * in this very burst) has been sent */
		d->vip = a->idx;
		d->act = ACT_FRAG;
		return;
	}
	d->frag_first = (pk.flags & LB_PKT_F_FRAG) != 0;
	classify_l4(w, s, v, d);
}

/* ---- flow table ---- */

static inline void
flow_init(struct lb_worker *w, const struct lb_snapshot *s,
	  struct lb_flow_entry *e, const struct dp_pkt *d)
{
	if (d->key.proto == LB_IPPROTO_UDP)
		e->state = LB_FLOW_UDP;
	else if ((d->tcp_flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN)
		e->state = LB_FLOW_TCP_SYN;
	else if (d->tcp_flags & LB_TCP_FIN)
		e->state = LB_FLOW_TCP_CLOSING;
	else
		e->state = LB_FLOW_TCP_EST;
	e->expire = w->now + s->timeouts.t[e->state];
	e->member = d->member;
	e->member_gen = s->members[d->member].gen;
	e->svc = d->svc;
	e->packets = 1;
	w->service[d->svc].flows++;
	w->member[d->member].flows++;
}

/* Existing flow: advance its state; move it if its member can no longer
 * take it (down, disabled, removed) or a SYN reopens a closed one. */
static inline void
flow_existing(struct lb_worker *w, const struct lb_snapshot *s,
	      struct lb_flow_entry *e, struct dp_pkt *d)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	enum lb_flow_tcp_event ev = LB_FLOW_KEEP;
	uint16_t m = e->member;

	if (d->key.proto == LB_IPPROTO_TCP)
		ev = lb_flow_tcp_update(e, d->tcp_flags, w->now, &s->timeouts);
	else
		e->expire = w->now + s->timeouts.t[LB_FLOW_UDP];

	if (unlikely(ev == LB_FLOW_REUSE)) {
		m = schedule(w, d->svc, svc, &d->key, d->sig);
		w->stats[LB_STAT_FLOW_REUSED]++;
	} else if (unlikely(svc->mstate[m] == LB_MS_NONE ||
			    s->members[m].gen != e->member_gen)) {
		m = schedule(w, d->svc, svc, &d->key, d->sig);
		w->stats[LB_STAT_FLOW_RESCHEDULED]++;
	}
	if (unlikely(m == LB_SCHED_NONE)) {
		drop(d, LB_STAT_DROP_NO_MEMBER);
		return;
	}
	if (unlikely(m != e->member || e->svc != d->svc)) {
		e->member = m;
		e->member_gen = s->members[m].gen;
		e->svc = d->svc;
		w->member[m].flows++;
	}
	e->packets++;
	d->member = m;
	d->act = ACT_FWD;
}

static inline void
flow_decide(struct lb_worker *w, const struct lb_snapshot *s,
	    struct dp_pkt *d, int32_t pos, unsigned int *added)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	struct lb_flow_table *ft = w->flows;
	struct lb_flow_entry *e;
	bool syn_only;

	/* a flow added earlier in this burst was not there for the bulk
	 * lookup */
	if (pos < 0 && *added > 0)
		pos = lb_flow_lookup(ft, &d->key, d->sig);
	if (pos >= 0) {
		e = &ft->e[pos];
		if (likely(e->state != 0 && !lb_flow_expired(e, w->now))) {
			flow_existing(w, s, e, d);
			return;
		}
		w->stats[LB_STAT_FLOW_EXPIRED]++;  /* reused in place */
	}

	syn_only = d->key.proto == LB_IPPROTO_UDP ||
		(d->tcp_flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN;
	if (unlikely(d->key.proto == LB_IPPROTO_TCP &&
		     (d->tcp_flags & LB_TCP_RST))) {
		/* a reset for a flow we do not know: pass it on, keep no
		 * state for it */
		d->member = consistent(svc, &d->key, d->sig);
		w->stats[LB_STAT_STATELESS]++;
		goto out;
	}
	/* A flow that did not start here (we restarted, or it moved from
	 * another balancer) goes where the consistent hash says: with
	 * Maglev that is where it already was. */
	d->member = syn_only ? schedule(w, d->svc, svc, &d->key, d->sig) :
		consistent(svc, &d->key, d->sig);
	if (unlikely(d->member == LB_SCHED_NONE))
		goto out;
	if (pos < 0) {
		pos = lb_flow_add(ft, &d->key, d->sig);
		if (unlikely(pos < 0)) {
			/* full: balance without state; flows already in the
			 * table are untouched */
			w->stats[LB_STAT_FLOW_TABLE_FULL]++;
			d->member = consistent(svc, &d->key, d->sig);
			goto out;
		}
		(*added)++;
	}
	w->stats[syn_only ? LB_STAT_FLOW_NEW : LB_STAT_FLOW_MIDSTREAM]++;
	flow_init(w, s, &ft->e[pos], d);
out:
	if (d->member == LB_SCHED_NONE)
		drop(d, LB_STAT_DROP_NO_MEMBER);
	else
		d->act = ACT_FWD;
}

/* ---- output ---- */

static inline void
tx_push(struct lb_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct lb_dp_txbuf *b = &w->tx[port];

	if (unlikely(b->n == LB_TXBUF)) {
		uint16_t sent = rte_eth_tx_burst(w->port_ids[port], w->txq,
						 b->m, b->n);

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

static inline uint16_t
execute(struct lb_worker *w, const struct lb_snapshot *s, unsigned int port,
	struct rte_mbuf *m, const struct dp_pkt *d)
{
	const struct lb_snap_member *sm;
	unsigned int out;

	switch (d->act) {
	case ACT_FWD:
		sm = &s->members[d->member];
		out = sm->port;
		w->stats[LB_STAT_FWD]++;
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
	case ACT_MASTER:
		if (w->to_master != NULL &&
		    rte_ring_sp_enqueue(w->to_master, m) == 0) {
			w->stats[LB_STAT_TO_MASTER]++;
			return 0;
		}
		w->stats[LB_STAT_DROP_MASTER_FULL]++;
		rte_pktmbuf_free(m);
		return 0;
	default:
		w->stats[d->drop]++;
		rte_pktmbuf_free(m);
		return 0;
	}
}

/*
 * Three passes over the burst: classify every packet (prefetching the
 * next ones), look up all flow keys in one bulk call so their cache
 * misses overlap, then decide and send in arrival order.
 */
static uint16_t
process_burst(struct lb_worker *w, const struct lb_snapshot *s,
	      unsigned int port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_pkt d[LB_BURST];
	const struct lb_tuple *keys[LB_BURST];
	uint32_t sigs[LB_BURST];
	int32_t pos[LB_BURST];
	uint8_t idx[LB_BURST];
	unsigned int i, nf = 0, added = 0;
	uint16_t sent = 0;

	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		classify(w, s, port, pkts[i], &d[i]);
		if (d[i].act == ACT_FLOW) {
			keys[nf] = &d[i].key;
			sigs[nf] = d[i].sig;
			idx[nf++] = (uint8_t)i;
		}
	}
	if (nf > 0) {
		lb_flow_lookup_bulk(w->flows, keys, sigs, nf, pos);
		for (i = 0; i < nf; i++)
			flow_decide(w, s, &d[idx[i]], pos[i], &added);
	}
	for (i = 0; i < n; i++) {
		if (unlikely(d[i].act == ACT_FRAG))
			classify_later_fragment(w, s, &d[i]);
		else if (unlikely(d[i].frag_first && d[i].act == ACT_FWD))
			frag_remember(w, s, &d[i]);
		sent += execute(w, s, port, pkts[i], &d[i]);
	}
	return sent;
}

uint16_t
lb_dp_process(struct lb_worker *w, const struct lb_snapshot *s,
	      unsigned int port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t done = 0, sent = 0;

	while (done < n) {
		uint16_t k = RTE_MIN((uint16_t)(n - done), (uint16_t)LB_BURST);

		sent += process_burst(w, s, port, pkts + done, k);
		done += k;
	}
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
		if (unlikely(sent < b->n)) {
			w->stats[LB_STAT_TX_DROP] += b->n - sent;
			rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		}
		b->n = 0;
	}
}

/* Polls without work before an idle worker sleeps. */
#define LB_IDLE_POLLS 256

int
lb_dp_main_loop(void *arg)
{
	struct lb_worker *w = arg;
	struct rte_mbuf *pkts[LB_BURST];
	unsigned int idle = 0;

	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_register(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	while (!*w->quit) {
		const struct lb_snapshot *s =
			__atomic_load_n(w->snap, __ATOMIC_ACQUIRE);
		unsigned int q, work = 0;

		lb_dp_clock(w);
		for (q = 0; q < w->n_rxq; q++) {
			const struct lb_dp_rxq *rq = &w->rxq[q];
			uint16_t n = rte_eth_rx_burst(w->port_ids[rq->port],
						      rq->queue, pkts, LB_BURST);

			if (n == 0)
				continue;
			work += n;
			lb_dp_process(w, s, rq->port, pkts, n);
		}
		work += lb_dp_drain_master(w);
		lb_dp_flush(w);
		w->stats[LB_STAT_FLOW_EXPIRED] +=
			lb_flow_sweep(w->flows, w->now, LB_SWEEP_BUDGET);
		if (w->qsbr != NULL)
			rte_rcu_qsbr_quiescent(w->qsbr, w->qsbr_id);

		if (work > 0 || w->idle_sleep_us == 0) {
			idle = 0;
			continue;
		}
		if (++idle < LB_IDLE_POLLS)
			continue;
		/* asleep we hold no snapshot: do not delay grace periods */
		if (w->qsbr != NULL)
			rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		rte_delay_us_sleep(w->idle_sleep_us);
		if (w->qsbr != NULL)
			rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	/* the master has stopped: send what it left for us */
	while (lb_dp_drain_master(w) > 0)
		lb_dp_flush(w);
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_unregister(w->qsbr, w->qsbr_id);
	}
	return 0;
}
