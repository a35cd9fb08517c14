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

bool
lb_dp_flow6_computable(const struct lb_snapshot *s, uint16_t svc,
		       const struct lb_tuple6 *key, uint16_t member)
{
	const struct lb_snap_service *ss = &s->services[svc];

	if (svc >= s->n_services || !ss->valid || ss->stateless)
		return true;
	return member == lb_maglev_lookup(ss->settled, ss->table_size,
		consistent_sig6(ss, key, lb_tuple6_hash(key)));
}

bool
lb_dp_flow_held(const struct lb_worker *w, const struct lb_tuple *key,
		uint32_t sig)
{
	return w->flows != NULL && lb_flow_holds(w->flows, key, sig);
}

bool
lb_dp_flow6_held(const struct lb_worker *w, const struct lb_tuple6 *key,
		 uint32_t sig)
{
	return w->flows6 != NULL && lb_flow_holds(w->flows6, key, sig);
}

/* The member the consistent hash gives a packet's flow (k6: an IPv6
 * packet's key, or NULL). */
static inline uint16_t
consistent_of(const struct lb_snap_service *svc, const struct dp_pkt *d,
	      const struct lb_tuple6 *k6)
{
	return lb_maglev_lookup(svc->settled, svc->table_size,
				flow_csig(svc, d, k6));
}

/* A staged record's key: the packet's flow, of either family. */
static inline void
stage_key(struct lb_dp_sync *r, const struct dp_pkt *d,
	  const struct lb_tuple6 *k6)
{
	if (k6 == NULL) {
		r->key = d->key;
	} else {
		r->key6 = *k6;
		r->v6 = 1;
	}
}

/* Room for n more staged records, or count them lost. */
static inline struct lb_dp_sync *
stage_slot(struct lb_worker *w, unsigned int n)
{
	if (w->n_sync + n > LB_SYNC_STAGE) {
		w->stats[LB_STAT_SYNC_RING_FULL] += n;
		return NULL;
	}
	return &w->sync[w->n_sync];
}

/*
 * A flow just confirmed (or moved to another member, or taken over from
 * a peer's copy): if a peer could not compute its member from the
 * packet (wrr, wlc, a client's record, a member that went down), stage
 * it for the master to announce; with persistence, the client's record
 * too (always with wrr and wlc, whose next choice for the client a peer
 * could not compute either). Only confirmed flows: a spoofed SYN never
 * gets here. Only flows this balancer carries: a learned entry is the
 * peer's to announce.
 */
void
dp_sync_stage(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct dp_pkt *d, const struct lb_tuple6 *k6,
	      const struct lb_flow_entry *e)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	bool flow = e->member != consistent_of(svc, d, k6);
	/* a client's record: with wrr or wlc a peer would schedule the
	 * client's next connection anew, whatever the hash says */
	bool record = svc->persist != NULL &&
		(flow || svc->sched == LB_SCHED_WRR ||
		 svc->sched == LB_SCHED_WLC) &&
		persist_renewable(s, svc, e->member);
	struct lb_dp_sync *r;

	if ((!flow && !record) || (e->flags & LB_FLOW_F_LEARNED))
		return;
	r = stage_slot(w, (unsigned int)flow + record);
	if (r == NULL)
		return;
	if (flow) {
		*r = (struct lb_dp_sync){
			.member = e->member,
			.member_gen = e->member_gen, .svc = d->svc,
			.kind = LB_DP_SYNC_FLOW, .state = e->state,
		};
		stage_key(r++, d, k6);
		w->n_sync++;
	}
	if (!record)
		return;
	*r = (struct lb_dp_sync){
		.member = e->member, .member_gen = e->member_gen,
		.svc = d->svc, .kind = LB_DP_SYNC_PERSIST, .state = e->state,
	};
	if (k6 == NULL) {
		r->key = (struct lb_tuple){
			.src_ip = d->key.src_ip & svc->persist_mask,
			.dst_ip = d->key.dst_ip, .dst_port = d->key.dst_port,
			.proto = d->key.proto };
	} else {
		/* the record's key, as the table holds it */
		uint32_t key = persist_key6(svc, k6);

		memcpy(r->key6.src_ip, &key, sizeof(key));
		memcpy(r->key6.dst_ip, k6->dst_ip, sizeof(k6->dst_ip));
		r->key6.dst_port = k6->dst_port;
		r->key6.proto = k6->proto;
		r->v6 = 1;
	}
	w->n_sync++;
}

/*
 * A flow of ours that a peer may hold a copy of ended here (its first
 * FIN or RST): the peers drop their copies now rather than when their
 * lifetime runs out.
 */
void
dp_sync_stage_ended(struct lb_worker *w, const struct lb_snapshot *s,
		    const struct dp_pkt *d, const struct lb_tuple6 *k6,
		    const struct lb_flow_entry *e)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	struct lb_dp_sync *r;

	if ((e->flags & LB_FLOW_F_LEARNED) || svc->stateless ||
	    e->member == consistent_of(svc, d, k6))
		return;
	r = stage_slot(w, 1);
	if (r == NULL)
		return;
	*r = (struct lb_dp_sync){
		.member = e->member,
		.member_gen = e->member_gen, .svc = d->svc,
		.kind = LB_DP_SYNC_ENDED, .state = LB_FLOW_TCP_CLOSING,
	};
	stage_key(r, d, k6);
	w->n_sync++;
}

/*
 * This worker took a flow whose learned copy is in another worker's
 * table (sync_home: RSS brought the flow here), or saw it end there:
 * that worker's copy must go, or close, so the flow has one entry. The
 * master passes the record on (one writer per table).
 */
void
dp_sync_stage_handoff(struct lb_worker *w, const struct dp_pkt *d,
		      const struct lb_tuple6 *k6, uint8_t state)
{
	struct lb_dp_sync *r = stage_slot(w, 1);

	if (r == NULL)
		return;
	*r = (struct lb_dp_sync){
		.svc = d->svc, .kind = LB_DP_SYNC_HANDOFF, .state = state,
	};
	stage_key(r, d, k6);
	w->n_sync++;
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

/* A record's protocol, of either family. */
static inline uint8_t
rec_proto(const struct lb_dp_sync *r)
{
	return r->v6 ? r->key6.proto : r->key.proto;
}

/* A learned copy ends: a TCP flow keeps its member for late packets
 * for the closing timeout, as a flow closed here does; a UDP flow has
 * no close, its copy is gone at once. */
static void
copy_end(struct lb_worker *w, const struct lb_snapshot *s,
	 struct lb_flow_table *ft, const struct lb_dp_sync *r, int32_t pos)
{
	struct lb_flow_entry *e = lb_flow_at(ft, pos);

	if (rec_proto(r) == LB_IPPROTO_TCP) {
		lb_flow_set_state(ft, e, LB_FLOW_TCP_CLOSING);
		lb_flow_set_expire(e, w->now +
				   s->timeouts.t[LB_FLOW_TCP_CLOSING]);
	} else {
		lb_flow_set_expire(e, w->now);
	}
	w->stats[LB_STAT_SYNC_ENDED]++;
}

/* How long a peer's copy lives here: the record's lifetime, never past
 * twice the state's own timeout (a peer adds its refresh period, not
 * more). */
static inline uint32_t
copy_until(const struct lb_worker *w, const struct lb_snapshot *s,
	   const struct lb_dp_sync *r)
{
	uint32_t cap = 2 * s->timeouts.t[r->state];

	return w->now + RTE_MIN(r->lifetime_ms, cap);
}

/* A peer's record for a flow this table holds live, confirmed. */
static void
sync_update(struct lb_worker *w, const struct lb_snapshot *s,
	    struct lb_flow_table *ft, const struct lb_dp_sync *r,
	    struct lb_flow_entry *e)
{

	if (!(e->flags & LB_FLOW_F_LEARNED)) {
		/* ours: the peer's refresh never extends it. Only if ours
		 * points at a member that failed does it follow the peer,
		 * which has moved the flow already */
		if ((e->member != r->member ||
		     e->member_gen != r->member_gen) && e->svc == r->svc &&
		    (s->members[e->member].gen != e->member_gen ||
		     !persist_usable(s, &s->services[e->svc], e->member))) {
			lb_flow_set_member(ft, e, r->member, r->member_gen);
			w->stats[LB_STAT_SYNC_INSTALLED]++;
		} else {
			w->stats[LB_STAT_SYNC_OWNED]++;
		}
		return;
	}
	/* a copy: the peer carries the flow, the copy follows it */
	if (e->member != r->member || e->member_gen != r->member_gen ||
	    e->svc != r->svc)
		lb_flow_fill(ft, e, r->member, r->member_gen, r->svc, r->state,
			     copy_until(w, s, r));
	else if (e->state != r->state)
		lb_flow_set_state(ft, e, r->state);
	lb_flow_set_expire(e, copy_until(w, s, r));
	w->stats[LB_STAT_SYNC_REFRESHED]++;
}

/*
 * A peer's record, mapped by the master to this balancer's slots and
 * sent to the worker that holds the flow (or its home): applied by the
 * origin rules (lb_dp_sync_install()).
 */
static void
sync_install_one(struct lb_worker *w, const struct lb_snapshot *s,
		 const struct lb_dp_sync *r)
{
	/* an IPv6 flow goes to the IPv6 table */
	struct lb_flow_table *ft = r->v6 ? w->flows6 : w->flows;
	const void *key = r->v6 ? (const void *)&r->key6 :
				  (const void *)&r->key;
	uint32_t sig;
	int32_t pos;
	struct lb_flow_entry *e;
	bool live;
	uint8_t proto = rec_proto(r);

	if (unlikely(ft == NULL)) {
		/* no IPv6 table (flows.ipv6_capacity 0): nowhere to go */
		w->stats[LB_STAT_SYNC_INSTALL_FULL]++;
		return;
	}
	sig = r->v6 ? lb_tuple6_hash(&r->key6) : lb_tuple_hash(&r->key);
	pos = lb_flow_lookup(ft, key, sig);
	e = pos >= 0 ? lb_flow_at(ft, pos) : NULL;
	live = e != NULL && e->state != 0 && !lb_flow_expired(e, w->now);

	if (r->kind == LB_DP_SYNC_HANDOFF) {
		/* another worker of ours took the flow (or saw it end) */
		if (!live || !(e->flags & LB_FLOW_F_LEARNED))
			return;
		if (r->state == LB_FLOW_TCP_CLOSING) {
			copy_end(w, s, ft, r, pos);
		} else if (lb_flow_del(ft, pos) == 0) {
			w->stats[LB_STAT_SYNC_HANDOFF]++;
		}
		return;
	}
	if (r->svc >= s->n_services || !s->services[r->svc].valid ||
	    s->services[r->svc].stateless || r->member >= LB_MAX_MEMBERS ||
	    s->members[r->member].gen != r->member_gen)
		return;   /* changed since the master mapped it */
	if (r->kind == LB_DP_SYNC_ENDED) {
		if (live && (e->flags & LB_FLOW_F_LEARNED) &&
		    e->state != LB_FLOW_TCP_CLOSING)
			copy_end(w, s, ft, r, pos);
		return;
	}
	if (r->kind != LB_DP_SYNC_FLOW ||
	    (proto == LB_IPPROTO_TCP ? r->state != LB_FLOW_TCP_EST :
	     (proto != LB_IPPROTO_UDP || r->state != LB_FLOW_UDP)))
		return;
	if (e != NULL && e->state == LB_FLOW_TCP_CLOSING) {
		/* closed here (live or just expired): a peer's established
		 * copy never brings it back; a new SYN will */
		w->stats[LB_STAT_SYNC_CLOSED]++;
		return;
	}
	if (live && !lb_flow_provisional(e->state)) {
		sync_update(w, s, ft, r, e);
		return;
	}
	if (e != NULL) {
		/* a guess made meanwhile gives way; an expired entry (idle
		 * here) is taken in place */
		if (e->state == 0 || !live)
			lb_flow_renew(ft, pos, false);
	} else {
		pos = lb_flow_add(ft, key, sig, false);
		if (pos < 0 && lb_flow_evict(ft, w->now) == 0) {
			w->stats[LB_STAT_FLOW_EVICTED]++;
			pressure_on(w, s);
			pos = lb_flow_add(ft, key, sig, false);
		}
		if (pos < 0) {
			w->stats[LB_STAT_SYNC_INSTALL_FULL]++;
			return;
		}
	}
	e = lb_flow_at(ft, pos);
	if (e->state == 0)
		e->packets = 0;
	lb_flow_fill(ft, e, r->member, r->member_gen, r->svc, r->state,
		     copy_until(w, s, r));
	__atomic_store_n(&e->flags, LB_FLOW_F_LEARNED, __ATOMIC_RELAXED);
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
