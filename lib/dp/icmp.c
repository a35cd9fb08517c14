/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * ICMP to a VIP. An echo request is answered in place; an error (a
 * router's "fragmentation needed", "time exceeded") quotes a packet a
 * member sent from the VIP and goes to that member: its flow is found
 * in arrival order, in any worker's table, without making or ageing
 * one. Anything else is dropped.
 */

#include <stdint.h>

#include <rte_branch_prediction.h>

#include "dp_internal.h"

/* An ICMP error quotes a packet a member sent from the VIP: send it to
 * the member that owns that flow, so path MTU discovery works. */
static inline void
classify_icmp_error(struct lb_worker *w, const struct lb_snapshot *s,
		    const struct lb_snap_vip *v, const uint8_t *data,
		    uint32_t len, const struct lb_pkt *pk, struct dp_pkt *d)
{
	struct lb_pkt_inner in;

	if (lb_pkt_icmp_inner(data, len, pk, &in) != 0 ||
	    in.vip != pk->dst_ip) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
	lb_tuple_set(&d->key, in.client_ip, in.vip, in.client_port,
		     in.vip_port, in.proto);
	classify_l4(w, s, v, d, NULL);
	if (d->act == ACT_DROP) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
	w->stats[LB_STAT_ICMP_ERROR]++;
	/* the flow is looked up in arrival order, after the packets before
	 * it in this burst (which may have made it) */
	if (d->act == ACT_FLOW)
		d->act = ACT_ICMP_FLOW;
}

void
dp_classify_icmp(struct lb_worker *w, const struct lb_snapshot *s,
		 const struct lb_snap_vip *v, uint8_t *data, uint32_t len,
		 const struct lb_pkt *pk, struct dp_pkt *d)
{
	if (pk->flags & LB_PKT_F_FRAG) {
		drop(d, LB_STAT_DROP_ICMP);
	} else if (pk->icmp_type == LB_ICMP_ECHO_REQUEST) {
		if (lb_pkt_icmp_echo_reply(data, len, pk) == 0)
			d->act = ACT_REPLY;
		else
			drop(d, LB_STAT_DROP_ICMP);
	} else if (lb_pkt_icmp_is_error(pk->icmp_type)) {
		classify_icmp_error(w, s, v, data, len, pk, d);
	} else {
		drop(d, LB_STAT_DROP_ICMP);
	}
}

/*
 * The member of the flow an ICMP error is about (k6: an ICMPv6 error's
 * IPv6 flow, or NULL). Never creates or ages a flow. RSS hashed the
 * error on (router, VIP), not on the flow it quotes: the flow may be in
 * any worker's table, ours first.
 */
static __rte_always_inline void
icmp_flow(struct lb_worker *w, const struct lb_snapshot *s,
	  struct dp_pkt *d, const struct lb_tuple6 *k6)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	const void *key = k6 == NULL ? (const void *)&d->key :
				       (const void *)k6;
	unsigned int p;

	for (p = 0; p < w->n_peers; p++) {
		const struct lb_worker *o = w->peers[(w->peer_idx + p) %
						     w->n_peers];
		const struct lb_flow_table *t = k6 == NULL ? o->flows :
						o->flows6;
		struct lb_flow_entry e;

		if (t != NULL && lb_flow_peek(t, key, d->sig, w->now, &e) &&
		    svc->mstate[e.member] != LB_MS_NONE &&
		    s->members[e.member].gen == e.member_gen) {
			d->member = e.member;
			d->act = ACT_FWD;
			return;
		}
	}
	/* no entry anywhere: the client's record, else the hash */
	d->member = LB_SCHED_NONE;
	if (unlikely(svc->persist != NULL))
		d->member = persist_find(w, s, svc, client_key(svc, d, k6));
	if (d->member == LB_SCHED_NONE)
		d->member = lb_maglev_lookup(svc->settled, svc->table_size,
					     flow_csig(svc, d, k6));
	if (d->member == LB_SCHED_NONE)
		drop(d, LB_STAT_DROP_ICMP);
	else
		d->act = ACT_FWD;   /* execute() counts a member without MAC */
}

void
dp_icmp_flow(struct lb_worker *w, const struct lb_snapshot *s,
	     struct dp_pkt *d)
{
	icmp_flow(w, s, d, NULL);
}

void
dp_icmp_flow6(struct lb_worker *w, const struct lb_snapshot *s,
	      struct dp_pkt *d, const struct lb_tuple6 *k6)
{
	icmp_flow(w, s, d, k6);
}
