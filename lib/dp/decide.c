/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The flow decision: the member of each packet that needs the flow
 * table. An entry that lives keeps its flow where it is (unless its
 * member left); a new flow is placed by its service's scheduler
 * (consistent hash, wrr, wlc) or its client's persistence record; a
 * flow that did not start here goes where the consistent hash, a
 * synced entry or another worker's entry says. The flows a peer could
 * not compute are staged for sync (dp_sync.c).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "dp_internal.h"

/* ---- schedulers ---- */

/*
 * Weighted least connections, as IPVS: the member taking new flows with
 * the least overhead / weight, overhead = active * 256 + inactive flows
 * in this worker's table (RSS gives each worker its share of clients,
 * so per-worker counts balance the whole). Ratios are compared
 * cross-multiplied; the scan starts one member further each time, so
 * ties (an idle worker: every count 0) go round the members instead of
 * all to the first.
 */
/* A member's overhead in one table: its flows, active ones weighing 256
 * times more; none if the table's counts are an earlier member's of the
 * slot. */
static inline uint64_t
overhead(const struct lb_flow_table *t, const struct lb_snapshot *s,
	 uint16_t m)
{
	const struct lb_flow_mcount *mc = &t->mcount[m];

	return mc->gen != s->members[m].gen ? 0 :
		(uint64_t)mc->active * 256 + mc->inactive;
}

static __rte_noinline uint16_t
wlc(struct lb_worker *w, const struct lb_snapshot *s, unsigned int slot,
    const struct lb_snap_service *svc)
{
	unsigned int n = svc->n_active, i, k;
	uint64_t best_oh = 0, best_wt = 1;
	uint16_t best = LB_SCHED_NONE;

	if (n == 0)
		return LB_SCHED_NONE;
	k = w->wrr_pos[slot];
	if (k >= n)
		k = 0;
	w->wrr_pos[slot] = k + 1;
	for (i = 0; i < n; i++, k = k + 1 == n ? 0 : k + 1) {
		uint16_t m = svc->active_list[k];
		uint64_t wt = svc->weight[m];
		/* a member's flows of both families */
		uint64_t oh = overhead(w->flows, s, m) +
			(w->flows6 != NULL ? overhead(w->flows6, s, m) : 0);

		if (wt == 0)
			continue;
		if (best == LB_SCHED_NONE || oh * best_wt < best_oh * wt) {
			best = m;
			best_oh = oh;
			best_wt = wt;
		}
	}
	return best;
}

/*
 * A full table evicts provisional entries, a real connection's SYN
 * entry too when the table holds less than a round trip's worth of a
 * flood. Its next packet then finds no entry and goes by the consistent
 * hash: with wrr or wlc, to another member than its SYN, which resets
 * it. So while the table is evicting, new wrr and wlc flows are placed
 * by that hash too, where a lost entry would put them again; the
 * schedulers decide again once no eviction happened for a provisional
 * entry's lifetime (every entry placed meanwhile is confirmed or gone).
 */
static inline bool
under_pressure(struct lb_worker *w)
{
	if (likely(!w->pressure))
		return false;
	if ((int32_t)(w->now - w->pressure_until) < 0)
		return true;
	w->pressure = false;
	return false;
}

static __rte_always_inline uint16_t
schedule(struct lb_worker *w, const struct lb_snapshot *s, unsigned int slot,
	 const struct lb_snap_service *svc, const struct dp_pkt *d,
	 const struct lb_tuple6 *k6)
{
	uint32_t p;

	if (svc->sched != LB_SCHED_WRR && svc->sched != LB_SCHED_WLC)
		return consistent_new(svc, flow_csig(svc, d, k6));
	if (unlikely(under_pressure(w))) {
		w->stats[LB_STAT_FLOW_PRESSURE]++;
		return consistent_new(svc, flow_csig(svc, d, k6));
	}
	if (svc->sched == LB_SCHED_WLC)
		return wlc(w, s, slot, svc);
	if (svc->wrr_len == 0)
		return LB_SCHED_NONE;
	/* a cursor from an older, longer sequence starts over */
	p = w->wrr_pos[slot];
	if (p >= svc->wrr_len)
		p = 0;
	w->wrr_pos[slot] = p + 1;
	return svc->wrr[p];
}

/* ---- persistence ---- */

/* Refresh a client's record: its last activity was now. */
static inline void
persist_touch(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct lb_snap_service *svc, uint32_t client, uint16_t m)
{
	if (persist_renewable(s, svc, m))
		lb_persist_store(svc->persist, client, m,
				 s->members[m].gen, w->now_s, svc->persist_s);
}

/*
 * A new flow (or a mid-stream guess, fresh == false) of a service with
 * persistence: the member the client used within the timeout, if it can
 * still take it (whichever worker wrote the record: RSS spreads one
 * client's connections over workers), else the scheduler's choice, which
 * the record then remembers. The record is refreshed either way, so the
 * timeout counts from the client's last new flow (or closed one),
 * unless its member drains: then it lapses.
 */
static __rte_always_inline uint16_t
persist_pick(struct lb_worker *w, const struct lb_snapshot *s,
	     unsigned int slot, const struct lb_snap_service *svc,
	     const struct dp_pkt *d, const struct lb_tuple6 *k6, bool fresh)
{
	uint32_t client = client_key(svc, d, k6);
	uint16_t m = persist_find(w, s, svc, client);

	if (m == LB_SCHED_NONE) {
		m = fresh ? schedule(w, s, slot, svc, d, k6) :
			lb_maglev_lookup(svc->settled, svc->table_size,
					 flow_csig(svc, d, k6));
		if (m == LB_SCHED_NONE || !persist_usable(s, svc, m))
			return m;   /* no member, or one whose MAC is awaited */
	}
	if (!persist_renewable(s, svc, m))
		return m;           /* draining: the record lapses */
	lb_persist_store(svc->persist, client, m, s->members[m].gen, w->now_s,
			 svc->persist_s);
	return m;
}

/* ---- entries elsewhere: synced, or in a peer worker's table ---- */

/*
 * A packet without an entry here, with flow sync on: the master
 * installs a synced flow in one worker's table (its home, by the flow's
 * hash), while RSS may bring its packets to another. Look there before
 * guessing; copy what is found.
 */
static __rte_always_inline bool
sync_home(struct lb_worker *w, const struct lb_snapshot *s,
	  const struct lb_snap_service *svc, struct dp_pkt *d,
	  const struct lb_tuple6 *k6, struct lb_flow_entry *out)
{
	const struct lb_worker *o;
	const struct lb_flow_table *t;

	if (likely(!s->sync) || w->n_peers < 2)
		return false;
	o = w->peers[d->sig % w->n_peers];
	t = k6 == NULL ? o->flows : o->flows6;
	if (o == w || t == NULL ||
	    !lb_flow_peek(t, k6 == NULL ? (const void *)&d->key :
			  (const void *)k6, d->sig, w->now, out) ||
	    lb_flow_provisional(out->state) ||
	    out->state == LB_FLOW_TCP_CLOSING ||
	    svc->mstate[out->member] == LB_MS_NONE ||
	    s->members[out->member].gen != out->member_gen)
		return false;
	w->stats[LB_STAT_SYNC_HOME_HIT]++;
	return true;
}

/*
 * A UDP flow's datagrams reach several workers when some of them are
 * fragmented: RSS hashes fragments on the addresses alone, whole
 * datagrams on the ports too (and a TCP flow's fragments likewise). With
 * wrr or wlc, a new entry here would schedule the flow again, onto
 * another member: it takes the member of a live entry another worker
 * holds for the same flow instead, as ICMP errors find theirs.
 */
static __rte_always_inline bool
flow_elsewhere(const struct lb_worker *w, const struct lb_snapshot *s,
	       const struct lb_snap_service *svc, const struct dp_pkt *d,
	       const struct lb_tuple6 *k6, struct lb_flow_entry *out)
{
	unsigned int p;

	for (p = 0; p < w->n_peers; p++) {
		const struct lb_worker *o = w->peers[p];
		const struct lb_flow_table *t = k6 == NULL ? o->flows :
						o->flows6;

		if (o == w || t == NULL ||
		    !lb_flow_peek(t, k6 == NULL ? (const void *)&d->key :
				  (const void *)k6, d->sig, w->now, out))
			continue;
		if (out->state != LB_FLOW_TCP_CLOSING &&
		    svc->mstate[out->member] != LB_MS_NONE &&
		    s->members[out->member].gen == out->member_gen)
			return true;
	}
	return false;
}

/* ---- flow table ---- */

/* A new entry is provisional until the flow shows more life (its ACK,
 * its second packet or datagram): a spoofed packet, which never has a
 * follower, leaves an entry that times out soon and that a full table
 * evicts first. Other lcores may be reading the entry (an expired one
 * reused in place): field by field. */
static inline void
flow_init(struct lb_worker *w, const struct lb_snapshot *s,
	  struct lb_flow_table *ft, struct lb_flow_entry *e,
	  const struct dp_pkt *d)
{
	uint8_t st;

	if (d->key.proto == LB_IPPROTO_UDP)
		st = LB_FLOW_UDP_NEW;
	else if ((d->tcp_flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN)
		st = LB_FLOW_TCP_SYN;
	else
		st = LB_FLOW_TCP_MID;
	e->packets = 1;
	__atomic_store_n(&e->flags, 0, __ATOMIC_RELAXED);   /* ours */
	lb_flow_fill(ft, e, d->member, s->members[d->member].gen, d->svc,
		     st, w->now + s->timeouts.t[st]);
	w->service[d->svc].flows++;
	w->member[d->member].flows++;
}

/* Existing flow: advance its state; move it if its member can no longer
 * take it (down, disabled, removed: its slot's generation moved on) or a
 * SYN reopens a closed one. Its counts move with it. */
static __rte_always_inline void
flow_existing(struct lb_worker *w, const struct lb_snapshot *s,
	      struct lb_flow_table *ft, struct lb_flow_entry *e,
	      struct dp_pkt *d, const struct lb_tuple6 *k6)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	enum lb_flow_tcp_event ev = LB_FLOW_KEEP;
	uint16_t m = e->member;
	uint8_t before = e->state;
	bool moved = false;

	if (d->key.proto == LB_IPPROTO_TCP) {
		ev = lb_flow_tcp_update(ft, e, d->tcp_flags, w->now,
					&s->timeouts);
	} else {
		if (e->state != LB_FLOW_UDP)   /* a second datagram */
			lb_flow_set_state(ft, e, LB_FLOW_UDP);
		lb_flow_set_expire(e, w->now + s->timeouts.t[LB_FLOW_UDP]);
	}

	if (unlikely(ev == LB_FLOW_REUSE)) {
		m = unlikely(svc->persist != NULL) ?
			persist_pick(w, s, d->svc, svc, d, k6, true) :
			schedule(w, s, d->svc, svc, d, k6);
		w->stats[LB_STAT_FLOW_REUSED]++;
	} else if (unlikely(svc->mstate[m] == LB_MS_NONE ||
			    s->members[m].gen != e->member_gen)) {
		m = unlikely(svc->persist != NULL) ?
			persist_pick(w, s, d->svc, svc, d, k6, true) :
			schedule(w, s, d->svc, svc, d, k6);
		w->stats[LB_STAT_FLOW_RESCHEDULED]++;
	} else if (likely(e->svc == d->svc)) {
		goto stay;
	}
	if (unlikely(m == LB_SCHED_NONE)) {
		drop(d, LB_STAT_DROP_NO_MEMBER);
		return;
	}
	/* a member still resolving keeps the flow (LB_MS_WAIT): execute()
	 * drops its packets until the MAC comes. A retired slot's new
	 * member may be chosen again: its generation is the new one. */
	if (m != e->member || e->member_gen != s->members[m].gen ||
	    e->svc != d->svc) {
		lb_flow_set_member(ft, e, m, s->members[m].gen);
		lb_flow_set_svc(ft, e, d->svc);
		w->member[m].flows++;
		moved = true;
	}
stay:
	/* the end of a connection counts as its client's last activity */
	if (unlikely(ev == LB_FLOW_CLOSED) && svc->persist != NULL)
		persist_touch(w, s, svc, client_key(svc, d, k6), m);
	e->packets++;
	d->member = m;
	d->act = ACT_FWD;
	if (likely(!s->sync))
		return;
	if (unlikely(e->flags & LB_FLOW_F_LEARNED)) {
		/* a peer's flow now passes here: ours to announce (the
		 * peer's copy, idle there, ages out) */
		__atomic_store_n(&e->flags, 0, __ATOMIC_RELAXED);
		moved = true;
	}
	if (unlikely(ev == LB_FLOW_CLOSED))
		dp_sync_stage_ended(w, s, d, k6, e);
	/* confirmed now, or moved: peers may need to know */
	else if ((e->state != before || moved) &&
		 (e->state == LB_FLOW_TCP_EST || e->state == LB_FLOW_UDP))
		dp_sync_stage(w, s, d, k6, e);
}

/* A new flow needs an entry: when the table is full, the oldest
 * provisional entry makes room; a table full of confirmed flows refuses
 * (the caller balances the flow without state). */
static inline int32_t
flow_admit(struct lb_worker *w, const struct lb_snapshot *s,
	   struct lb_flow_table *ft, const void *key, const struct dp_pkt *d,
	   bool guessed)
{
	int32_t pos = lb_flow_add(ft, key, d->sig, guessed);
	int rc;

	if (likely(pos >= 0))
		return pos;
	rc = lb_flow_evict(ft, w->now);
	if (rc != 0)
		return rc;
	w->stats[LB_STAT_FLOW_EVICTED]++;
	pressure_on(w, s);
	return lb_flow_add(ft, key, d->sig, guessed);
}

/* The member of a packet that needs the flow table: an IPv4 one (k6
 * NULL) in w->flows, an IPv6 one in w->flows6, by the same rules, flow
 * sync and its home workers included. */
static __rte_always_inline void
flow_decide(struct lb_worker *w, const struct lb_snapshot *s,
	    struct dp_pkt *d, const struct lb_tuple6 *k6, int32_t pos,
	    struct lb_flow_mark mark)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	struct lb_flow_table *ft = k6 == NULL ? w->flows : w->flows6;
	const void *key = k6 == NULL ? (const void *)&d->key :
				       (const void *)k6;
	bool sync = unlikely(s->sync);
	struct lb_flow_entry home = { .state = 0 }, peer;
	struct lb_flow_entry *e;
	bool syn_only;

	/* the bulk lookup was made before the burst's earlier packets
	 * added flows (this one may be among them) or evicted some (this
	 * one's position may be free, or another key's by now) */
	if (unlikely(lb_flow_lookup_stale(ft, mark, pos, d->sig)))
		pos = lb_flow_lookup(ft, key, d->sig);
	if (pos >= 0) {
		e = lb_flow_at(ft, pos);
		if (likely(e->state != 0 && !lb_flow_expired(e, w->now))) {
			flow_existing(w, s, ft, e, d, k6);
			return;
		}
		w->stats[LB_STAT_FLOW_EXPIRED]++;  /* reused in place */
	}

	syn_only = d->key.proto == LB_IPPROTO_UDP ||
		(d->tcp_flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN;
	if (unlikely(d->key.proto == LB_IPPROTO_TCP &&
		     (d->tcp_flags & (LB_TCP_RST | LB_TCP_FIN)))) {
		/* the end of a flow we do not know: pass it on, keep no
		 * state for it; its client's record says where it was */
		d->member = LB_SCHED_NONE;
		if (sync && sync_home(w, s, svc, d, k6, &home)) {
			d->member = home.member;   /* a synced flow */
			dp_sync_stage_handoff(w, d, k6, LB_FLOW_TCP_CLOSING);
		} else if (unlikely(svc->persist != NULL))
			d->member = persist_find(w, s, svc,
						 client_key(svc, d, k6));
		if (d->member == LB_SCHED_NONE)
			d->member = lb_maglev_lookup(svc->settled,
						     svc->table_size,
						     flow_csig(svc, d, k6));
		w->stats[LB_STAT_STATELESS]++;
		goto out;
	}
	/* A flow that did not start here (we restarted, or it moved from
	 * another balancer) goes where the consistent hash says: with
	 * Maglev that is where it already was. If that member's MAC is not
	 * known yet, the packet waits and no entry pins the flow anywhere
	 * else. With persistence, the client's record decides first. */
	if (sync && (!syn_only || d->key.proto == LB_IPPROTO_UDP) &&
	    sync_home(w, s, svc, d, k6, &home))
		d->member = home.member;   /* a synced flow */
	else if (unlikely(svc->persist != NULL))
		d->member = persist_pick(w, s, d->svc, svc, d, k6, syn_only);
	else if (unlikely(w->n_peers > 1) &&
		 (d->key.proto == LB_IPPROTO_UDP || d->frag_first) &&
		 (svc->sched == LB_SCHED_WRR || svc->sched == LB_SCHED_WLC) &&
		 flow_elsewhere(w, s, svc, d, k6, &peer)) {
		d->member = peer.member;
		w->stats[LB_STAT_FLOW_PEER]++;
	} else {
		d->member = syn_only ? schedule(w, s, d->svc, svc, d, k6) :
			lb_maglev_lookup(svc->settled, svc->table_size,
					 flow_csig(svc, d, k6));
	}
	if (unlikely(d->member == LB_SCHED_NONE) ||
	    unlikely(!syn_only && wait_for_mac(svc, d->member)))
		goto out;
	if (pos < 0) {
		pos = flow_admit(w, s, ft, key, d,
				 !syn_only && home.state == 0);
		if (unlikely(pos < 0)) {
			/* full of confirmed flows (or, -EBUSY, of slots
			 * that wait for a grace period): balance without
			 * state; flows in the table are untouched. Its later
			 * packets will find no entry either: they go by the
			 * consistent hash, or by the client's record, which
			 * now names the member chosen. */
			w->stats[pos == -EBUSY ? LB_STAT_FLOW_GRACE_FULL :
				 LB_STAT_FLOW_TABLE_FULL]++;
			if (!syn_only || svc->persist != NULL)
				goto out;
			d->member = consistent_new(svc,
						   flow_csig(svc, d, k6));
			goto out;
		}
	} else {
		lb_flow_renew(ft, pos, !syn_only);
	}
	w->stats[syn_only ? LB_STAT_FLOW_NEW : LB_STAT_FLOW_MIDSTREAM]++;
	flow_init(w, s, ft, lb_flow_at(ft, pos), d);
	if (unlikely(home.state != 0)) {
		/* confirmed where it was synced: confirmed here, ours now,
		 * and the copy there goes (one entry per flow) */
		lb_flow_set_state(ft, lb_flow_at(ft, pos), home.state);
		lb_flow_set_expire(lb_flow_at(ft, pos),
				   w->now + s->timeouts.t[home.state]);
		dp_sync_stage_handoff(w, d, k6, LB_FLOW_TCP_EST);
		dp_sync_stage(w, s, d, k6, lb_flow_at(ft, pos));
	}
out:
	if (d->member == LB_SCHED_NONE)
		drop(d, LB_STAT_DROP_NO_MEMBER);
	else
		d->act = ACT_FWD;   /* execute() refuses a member without MAC */
}

void
dp_decide_burst(struct lb_worker *w, const struct lb_snapshot *s,
		struct dp_burst *b)
{
	struct lb_flow_mark mark = lb_flow_mark(w->flows);
	int32_t pos[LB_BURST];
	unsigned int i;

	lb_flow_lookup_bulk(w->flows, b->keys, b->sigs, b->nf, pos);
	for (i = 0; i < b->nf; i++)
		flow_decide(w, s, &b->d[b->idx[i]], NULL, pos[i], mark);
}

void
dp_decide6_burst(struct lb_worker *w, const struct lb_snapshot *s,
		 struct dp_burst *b)
{
	struct lb_flow_mark mark = lb_flow_mark(w->flows6);
	int32_t pos[LB_BURST];
	unsigned int i;

	lb_flow_lookup_bulk(w->flows6, b->keys6p, b->sigs6, b->nf6, pos);
	for (i = 0; i < b->nf6; i++)
		flow_decide(w, s, &b->d[b->idx6[i]], &b->keys6[b->idx6[i]],
			    pos[i], mark);
}
