/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The data path's side of flow sync (lib/sync carries the messages):
 * confirmed flows a peer balancer could not compute are staged per
 * burst and handed to the master; the flows peers announced, which the
 * master passes back, are installed as if this balancer had seen them
 * start.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "dp_internal.h"

bool
lb_dp_flow_computable(const struct lb_snapshot *s, uint16_t svc,
		      const struct lb_tuple *key, uint16_t member)
{
	const struct lb_snap_service *ss = &s->services[svc];

	/* a service removed since (no table), or stateless: nothing to
	 * sync */
	if (svc >= s->n_services || !ss->valid || ss->stateless)
		return true;
	return member == consistent(ss, key, lb_tuple_hash(key));
}

/*
 * A flow just confirmed (or moved to another member): if a peer could
 * not compute its member from the packet (wrr, wlc, a client's record,
 * a member that went down), stage it for the master to announce; with
 * persistence, the client's record too (always with wrr and wlc, whose
 * next choice for the client a peer could not compute either). Only
 * confirmed flows: a spoofed SYN never gets here.
 */
void
dp_sync_stage(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct dp_pkt *d, const struct lb_flow_entry *e)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	bool flow = e->member != consistent(svc, &d->key, d->sig);
	/* a client's record: with wrr or wlc a peer would schedule the
	 * client's next connection anew, whatever the hash says */
	bool record = svc->persist != NULL &&
		(flow || svc->sched == LB_SCHED_WRR ||
		 svc->sched == LB_SCHED_WLC) &&
		persist_renewable(s, svc, e->member);
	struct lb_dp_sync *r;

	if (!flow && !record)
		return;
	if (w->n_sync + 2 > LB_SYNC_STAGE) {
		w->stats[LB_STAT_SYNC_RING_FULL] += (unsigned int)flow + record;
		return;
	}
	if (flow) {
		r = &w->sync[w->n_sync++];
		*r = (struct lb_dp_sync){
			.key = d->key, .member = e->member,
			.member_gen = e->member_gen, .svc = d->svc,
			.kind = LB_DP_SYNC_FLOW, .state = e->state,
		};
	}
	if (!record)
		return;
	r = &w->sync[w->n_sync++];
	*r = (struct lb_dp_sync){
		.key = { .src_ip = d->key.src_ip & svc->persist_mask,
			 .dst_ip = d->key.dst_ip, .dst_port = d->key.dst_port,
			 .proto = d->key.proto },
		.member = e->member, .member_gen = e->member_gen,
		.svc = d->svc, .kind = LB_DP_SYNC_PERSIST, .state = e->state,
	};
}

void
lb_dp_sync_flush(struct lb_worker *w)
{
	unsigned int n;

	if (w->n_sync == 0)
		return;
	if (w->sync_out == NULL) {
		w->stats[LB_STAT_SYNC_RING_FULL] += w->n_sync;
		w->n_sync = 0;
		return;
	}
	n = rte_ring_enqueue_burst_elem(w->sync_out, w->sync,
					sizeof(w->sync[0]), w->n_sync, NULL);
	w->stats[LB_STAT_SYNC_QUEUED] += n;
	w->stats[LB_STAT_SYNC_RING_FULL] += w->n_sync - n;
	w->n_sync = 0;
}

/*
 * A synced flow the master mapped to this balancer: install it as
 * confirmed on its member. A guess this table made meanwhile (a
 * mid-stream packet that came first) gives way; a flow this balancer
 * holds confirmed keeps its member while that member can take it (a
 * refresh of the same flow only pushes its expiry back); one whose
 * member failed follows the peer, which has moved it already.
 */
static void
sync_install_one(struct lb_worker *w, const struct lb_snapshot *s,
		 const struct lb_dp_sync *r)
{
	struct lb_flow_table *ft = w->flows;
	uint32_t sig = lb_tuple_hash(&r->key);
	int32_t pos = lb_flow_lookup(ft, &r->key, sig);
	struct lb_flow_entry *e;

	if (r->svc >= s->n_services || !s->services[r->svc].valid ||
	    s->services[r->svc].stateless || r->member >= LB_MAX_MEMBERS ||
	    r->kind != LB_DP_SYNC_FLOW ||
	    (r->key.proto == LB_IPPROTO_TCP ? r->state != LB_FLOW_TCP_EST :
	     (r->key.proto != LB_IPPROTO_UDP || r->state != LB_FLOW_UDP)) ||
	    s->members[r->member].gen != r->member_gen)
		return;   /* changed since the master mapped it */
	if (pos >= 0) {
		e = &ft->e[pos];
		if (e->state != 0 && !lb_flow_expired(e, w->now) &&
		    !lb_flow_provisional(e->state)) {
			/* a peer's refresh of the same flow keeps our copy
			 * alive as long as the flow lives there */
			uint32_t until = w->now + s->timeouts.t[r->state];

			if (e->member != r->member && e->svc == r->svc &&
			    (s->members[e->member].gen != e->member_gen ||
			     !persist_usable(s, &s->services[e->svc],
					     e->member))) {
				/* ours points at a member that failed, the
				 * peer moved the flow already: follow it */
				lb_flow_set_member(ft, e, r->member,
						   r->member_gen);
				w->stats[LB_STAT_SYNC_INSTALLED]++;
			}
			if (e->state == r->state && e->member == r->member &&
			    e->member_gen == r->member_gen &&
			    (int32_t)(until - e->expire) > 0)
				lb_flow_set_expire(e, until);
			return;
		}
		if (e->state == 0 || lb_flow_expired(e, w->now))
			lb_flow_renew(ft, pos, false);
	} else {
		pos = lb_flow_add(ft, &r->key, sig, false);
		if (pos < 0 && lb_flow_evict(ft, w->now) == 0) {
			w->stats[LB_STAT_FLOW_EVICTED]++;
			pressure_on(w, s);
			pos = lb_flow_add(ft, &r->key, sig, false);
		}
		if (pos < 0) {
			w->stats[LB_STAT_SYNC_INSTALL_FULL]++;
			return;
		}
	}
	e = &ft->e[pos];
	if (e->state == 0)
		e->packets = 0;
	lb_flow_fill(ft, e, r->member, r->member_gen, r->svc, r->state,
		     w->now + s->timeouts.t[r->state]);
	w->stats[LB_STAT_SYNC_INSTALLED]++;
}

unsigned int
lb_dp_sync_install(struct lb_worker *w, const struct lb_snapshot *s,
		   unsigned int budget)
{
	struct lb_dp_sync r[32];
	unsigned int done = 0, n, i;

	if (w->sync_in == NULL)
		return 0;
	while (done < budget) {
		n = rte_ring_sc_dequeue_burst_elem(w->sync_in, r, sizeof(r[0]),
			RTE_MIN(budget - done, (unsigned int)RTE_DIM(r)),
			NULL);
		for (i = 0; i < n; i++)
			sync_install_one(w, s, &r[i]);
		done += n;
		if (n < RTE_DIM(r))
			break;
	}
	return done;
}
