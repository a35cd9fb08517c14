/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * A datagram's later fragments carry no ports: they go where its first
 * fragment went, never to a guess. The worker that decides a first
 * fragment remembers the decision in its fragment memory, which every
 * worker reads (RSS may send the fragments of one datagram to several).
 * A later fragment that comes before its first waits, a bounded number
 * for a bounded time, and is sent once the decision exists anywhere, or
 * dropped and counted.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "dp_internal.h"

static inline uint32_t
frag_hash(uint32_t seed, uint32_t src, uint32_t dst, uint16_t id,
	  uint8_t proto)
{
	uint32_t h = rte_hash_crc_4byte(src, seed);

	h = rte_hash_crc_4byte(dst, h);
	return rte_hash_crc_4byte(((uint32_t)id << 8) | proto, h);
}

static inline struct lb_frag_slot *
frag_bucket(struct lb_frag_slot *frag, uint32_t h)
{
	return &frag[(h & (LB_FRAG_BUCKETS - 1)) * LB_FRAG_WAYS];
}

/* A consistent copy of a slot another worker may be rewriting: false if
 * it was being written (the caller tries again later). */
static inline bool
frag_read(const struct lb_frag_slot *f, struct lb_frag_slot *v)
{
	uint32_t seq = __atomic_load_n(&f->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	v->src = __atomic_load_n(&f->src, __ATOMIC_RELAXED);
	v->dst = __atomic_load_n(&f->dst, __ATOMIC_RELAXED);
	v->expire = __atomic_load_n(&f->expire, __ATOMIC_RELAXED);
	v->id = __atomic_load_n(&f->id, __ATOMIC_RELAXED);
	v->member = __atomic_load_n(&f->member, __ATOMIC_RELAXED);
	v->gen = __atomic_load_n(&f->gen, __ATOMIC_RELAXED);
	v->svc = __atomic_load_n(&f->svc, __ATOMIC_RELAXED);
	v->proto = __atomic_load_n(&f->proto, __ATOMIC_RELAXED);
	v->has_svc = __atomic_load_n(&f->has_svc, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&f->seq, __ATOMIC_RELAXED) == seq;
}

/* Only the owner writes: readers see seq odd meanwhile. */
static inline void
frag_write(struct lb_frag_slot *f, const struct lb_frag_slot *v)
{
	uint32_t seq = f->seq;

	__atomic_store_n(&f->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&f->src, v->src, __ATOMIC_RELAXED);
	__atomic_store_n(&f->dst, v->dst, __ATOMIC_RELAXED);
	__atomic_store_n(&f->expire, v->expire, __ATOMIC_RELAXED);
	__atomic_store_n(&f->id, v->id, __ATOMIC_RELAXED);
	__atomic_store_n(&f->member, v->member, __ATOMIC_RELAXED);
	__atomic_store_n(&f->gen, v->gen, __ATOMIC_RELAXED);
	__atomic_store_n(&f->svc, v->svc, __ATOMIC_RELAXED);
	__atomic_store_n(&f->proto, v->proto, __ATOMIC_RELAXED);
	__atomic_store_n(&f->has_svc, v->has_svc, __ATOMIC_RELAXED);
	f->confirmed = v->confirmed;   /* the owner's alone */
	__atomic_store_n(&f->seq, seq + 2, __ATOMIC_RELEASE);
}

static inline bool
frag_same(const struct lb_frag_slot *v, uint32_t src, uint32_t dst,
	  uint16_t id, uint8_t proto)
{
	return v->proto == proto && v->src == src && v->dst == dst &&
	       v->id == id;
}

/*
 * Remember a first fragment's decision, in a free or expired slot (or
 * the one holding this datagram). A full bucket gives up its oldest
 * unconfirmed slot: a datagram none of whose later fragments has come
 * (what a flood of spoofed first fragments leaves, which never has any)
 * yields to the new one; a real datagram's later fragments come within
 * moments of its first, and one already followed is never taken. False
 * if every slot of the bucket is live and confirmed.
 */
bool
dp_frag_remember(struct lb_worker *w, const struct lb_snapshot *s,
		 const struct dp_pkt *d)
{
	struct lb_frag_slot *b = frag_bucket(w->frag, frag_hash(w->frag_seed,
		d->key.src_ip, d->key.dst_ip, d->ip_id, d->key.proto));
	struct lb_frag_slot *f = NULL, *old = NULL;
	unsigned int i;

	for (i = 0; i < LB_FRAG_WAYS; i++) {
		if (b[i].proto != 0 && frag_same(&b[i], d->key.src_ip,
						  d->key.dst_ip, d->ip_id,
						  d->key.proto)) {
			f = &b[i];     /* the same datagram again */
			break;
		}
		if (f == NULL && (b[i].proto == 0 ||
				  (int32_t)(w->now - b[i].expire) >= 0))
			f = &b[i];
		else if (!b[i].confirmed &&
			 (old == NULL ||
			  (int32_t)(b[i].expire - old->expire) < 0))
			old = &b[i];
	}
	if (f == NULL) {
		if (old == NULL)
			return false;
		f = old;
		w->stats[LB_STAT_FRAG_EVICTED]++;
	}
	frag_write(f, &(struct lb_frag_slot){
		.src = d->key.src_ip, .dst = d->key.dst_ip, .id = d->ip_id,
		.proto = d->key.proto, .member = d->member,
		.gen = s->members[d->member].gen, .svc = d->svc,
		.has_svc = d->counted_svc, .expire = w->now + w->frag_ttl_ms,
	});
	__atomic_store_n(&w->frag_writes, w->frag_writes + 1,
			 __ATOMIC_RELAXED);
	w->stats[LB_STAT_FRAG_FIRST]++;
	return true;
}

/* The decision for a datagram, in any worker's memory; a slot of our
 * own that a later fragment follows is confirmed (kept from eviction). */
static inline bool
frag_find(struct lb_worker *w, uint32_t src, uint32_t dst, uint16_t id,
	  uint8_t proto, struct lb_frag_slot *v)
{
	uint32_t h = frag_hash(w->frag_seed, src, dst, id, proto);
	unsigned int p, i;

	for (p = 0; p < w->n_peers; p++) {
		struct lb_frag_slot *b = frag_bucket(w->peers[p]->frag, h);

		for (i = 0; i < LB_FRAG_WAYS; i++)
			if (frag_read(&b[i], v) &&
			    frag_same(v, src, dst, id, proto) &&
			    (int32_t)(w->now - v->expire) < 0) {
				if (w->peers[p] == w)
					b[i].confirmed = 1;
				return true;
			}
	}
	return false;
}

/* Send a later fragment where the decision says, if that member can
 * still take it. */
static inline void
frag_follow(const struct lb_snapshot *s, const struct lb_frag_slot *v,
	    struct dp_pkt *d)
{
	dp_frag_follow(s, v->member, v->gen, v->svc, v->has_svc, d);
}

/* A later fragment, in arrival order after the packets before it in its
 * burst: follow its first fragment, or wait for it. */
void
dp_frag_later(struct lb_worker *w, const struct lb_snapshot *s,
	      unsigned int port, struct rte_mbuf *m, struct dp_pkt *d)
{
	struct lb_frag_slot v;
	struct lb_frag_held *h;

	if (frag_find(w, d->key.src_ip, d->key.dst_ip, d->ip_id,
		      d->key.proto, &v)) {
		w->stats[LB_STAT_FRAG_HIT]++;
		frag_follow(s, &v, d);
		return;
	}
	if (w->held_tail - w->held_head == LB_FRAG_HOLD) {
		drop(d, LB_STAT_DROP_FRAG_HOLD_FULL);
		return;
	}
	h = &w->held[w->held_tail++ % LB_FRAG_HOLD];
	*h = (struct lb_frag_held){
		.m = m, .src = d->key.src_ip, .dst = d->key.dst_ip,
		.id = d->ip_id, .proto = d->key.proto, .port = (uint8_t)port,
		.deadline = w->now + w->frag_hold_ms,
	};
	w->held_live++;
	w->stats[LB_STAT_FRAG_HELD]++;
	d->act = ACT_HELD;
}

/* A waiting fragment whose first fragment has been decided: sent (or
 * dropped if its member left). False if there is no decision yet. */
static bool
held_try(struct lb_worker *w, const struct lb_snapshot *s,
	 const struct lb_frag_held *h)
{
	struct dp_pkt d = { .act = ACT_DROP };
	struct lb_frag_slot v;

	if (!frag_find(w, h->src, h->dst, h->id, h->proto, &v))
		return false;
	w->stats[LB_STAT_FRAG_HIT]++;
	frag_follow(s, &v, &d);
	dp_tx_burst(w, s, h->port, &h->m, &d, 1);
	return true;
}

/*
 * Waiting fragments are looked at again when some worker has remembered
 * a new first fragment since the last look, a bounded number per call,
 * so a flood of orphan fragments costs little; the oldest are dropped
 * once they have waited frag_hold_ms (after one last look).
 */
static unsigned int
frag_release4(struct lb_worker *w, const struct lb_snapshot *s)
{
	unsigned int p, budget = LB_FRAG_SCAN, done = 0;
	uint32_t writes = 0;

	if (w->held_live == 0) {
		w->held_head = w->held_scan = w->held_tail;
		return 0;
	}
	for (p = 0; p < w->n_peers; p++)
		writes += __atomic_load_n(&w->peers[p]->frag_writes,
					  __ATOMIC_RELAXED);
	if (writes != w->held_seen) {
		w->held_seen = writes;
		w->held_scan = w->held_head;
	}
	while (w->held_head != w->held_tail) {
		struct lb_frag_held *h = &w->held[w->held_head % LB_FRAG_HOLD];

		if (h->m != NULL) {
			if ((int32_t)(w->now - h->deadline) < 0)
				break;
			if (!held_try(w, s, h)) {
				w->stats[LB_STAT_DROP_FRAG_TIMEOUT]++;
				rte_pktmbuf_free(h->m);
			}
			h->m = NULL;
			w->held_live--;
			done++;
		}
		w->held_head++;
	}
	if ((int32_t)(w->held_scan - w->held_head) < 0)
		w->held_scan = w->held_head;
	while (budget-- > 0 && w->held_scan != w->held_tail) {
		struct lb_frag_held *h = &w->held[w->held_scan++ % LB_FRAG_HOLD];

		if (h->m != NULL && held_try(w, s, h)) {
			h->m = NULL;
			w->held_live--;
			done++;
		}
	}
	return done;
}

unsigned int
lb_dp_frag_release(struct lb_worker *w, const struct lb_snapshot *s)
{
	unsigned int done = frag_release4(w, s);

	if (unlikely(w->held6_live > 0 || w->held6_head != w->held6_tail))
		done += dp_frag6_release(w, s);
	return done;
}
