/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * IPv6 fragments (RFC 8200's Fragment header), by frag.c's rules: a
 * datagram's later fragments go where its first fragment went, never to
 * a guess. The worker that decides a first fragment remembers the
 * decision in its IPv6 fragment memory, which every worker reads under
 * a sequence count per slot; a later fragment that comes before its
 * first waits in an IPv6 waiting room, a bounded number for a bounded
 * time (the IPv4 ones: LB_FRAG_HOLD, frag_hold_ms), and is sent once
 * the decision exists anywhere, or dropped and counted.
 *
 * The memory and the waiting room are IPv6's own, so IPv4's slots keep
 * their size and IPv4's path its speed: a datagram is keyed by both
 * 16-byte addresses, the 32-bit Identification and the upper-layer
 * protocol. The parser has made sure a first fragment carries the
 * whole header chain up to its ports (RFC 7112).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "dp_internal.h"

/* A datagram's key, as the slots hold it. */
struct frag6_key {
	uint64_t src[2];
	uint64_t dst[2];
	uint32_t id;
	uint8_t proto;
};

static inline void
key_of(struct frag6_key *k, const struct lb_tuple6 *k6, uint32_t id,
       uint8_t proto)
{
	memcpy(k->src, k6->src_ip, sizeof(k->src));
	memcpy(k->dst, k6->dst_ip, sizeof(k->dst));
	k->id = id;
	k->proto = proto;
}

static inline uint32_t
frag6_hash(uint32_t seed, const struct frag6_key *k)
{
	uint32_t h = rte_hash_crc_8byte(k->src[0], seed);

	h = rte_hash_crc_8byte(k->src[1], h);
	h = rte_hash_crc_8byte(k->dst[0], h);
	h = rte_hash_crc_8byte(k->dst[1], h);
	h = rte_hash_crc_4byte(k->id, h);
	return rte_hash_crc_1byte(k->proto, h);
}

static inline struct lb_frag6_slot *
frag6_bucket(struct lb_frag6_slot *frag, uint32_t h)
{
	return &frag[(h & (LB_FRAG_BUCKETS - 1)) * LB_FRAG_WAYS];
}

/* A consistent copy of a slot another worker may be rewriting: false if
 * it was being written (the caller tries again later). */
static inline bool
frag6_read(const struct lb_frag6_slot *f, struct lb_frag6_slot *v)
{
	uint32_t seq = __atomic_load_n(&f->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	v->src[0] = __atomic_load_n(&f->src[0], __ATOMIC_RELAXED);
	v->src[1] = __atomic_load_n(&f->src[1], __ATOMIC_RELAXED);
	v->dst[0] = __atomic_load_n(&f->dst[0], __ATOMIC_RELAXED);
	v->dst[1] = __atomic_load_n(&f->dst[1], __ATOMIC_RELAXED);
	v->id = __atomic_load_n(&f->id, __ATOMIC_RELAXED);
	v->expire = __atomic_load_n(&f->expire, __ATOMIC_RELAXED);
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
frag6_write(struct lb_frag6_slot *f, const struct lb_frag6_slot *v)
{
	uint32_t seq = f->seq;

	__atomic_store_n(&f->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&f->src[0], v->src[0], __ATOMIC_RELAXED);
	__atomic_store_n(&f->src[1], v->src[1], __ATOMIC_RELAXED);
	__atomic_store_n(&f->dst[0], v->dst[0], __ATOMIC_RELAXED);
	__atomic_store_n(&f->dst[1], v->dst[1], __ATOMIC_RELAXED);
	__atomic_store_n(&f->id, v->id, __ATOMIC_RELAXED);
	__atomic_store_n(&f->expire, v->expire, __ATOMIC_RELAXED);
	__atomic_store_n(&f->member, v->member, __ATOMIC_RELAXED);
	__atomic_store_n(&f->gen, v->gen, __ATOMIC_RELAXED);
	__atomic_store_n(&f->svc, v->svc, __ATOMIC_RELAXED);
	__atomic_store_n(&f->proto, v->proto, __ATOMIC_RELAXED);
	__atomic_store_n(&f->has_svc, v->has_svc, __ATOMIC_RELAXED);
	f->confirmed = v->confirmed;   /* the owner's alone */
	__atomic_store_n(&f->seq, seq + 2, __ATOMIC_RELEASE);
}

static inline bool
frag6_same(const struct lb_frag6_slot *v, const struct frag6_key *k)
{
	return v->proto == k->proto && v->id == k->id &&
	       ((v->src[0] ^ k->src[0]) | (v->src[1] ^ k->src[1]) |
		(v->dst[0] ^ k->dst[0]) | (v->dst[1] ^ k->dst[1])) == 0;
}

/*
 * Remember a first fragment's decision, as dp_frag_remember() does: in
 * a free or expired slot (or the one holding this datagram); a full
 * bucket gives up its oldest unconfirmed slot. False if every slot of
 * the bucket is live and confirmed.
 */
bool
dp_frag6_remember(struct lb_worker *w, const struct lb_snapshot *s,
		  struct dp_pkt *d, const struct lb_tuple6 *k6)
{
	struct frag6_key k;
	struct lb_frag6_slot *b, *f = NULL, *old = NULL;
	unsigned int i;

	key_of(&k, k6, *dp_frag6_id(d), d->key.proto);
	b = frag6_bucket(w->frag6, frag6_hash(w->frag_seed, &k));
	for (i = 0; i < LB_FRAG_WAYS; i++) {
		if (b[i].proto != 0 && frag6_same(&b[i], &k)) {
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
		w->stats[LB_STAT_FRAG6_EVICTED]++;
	}
	frag6_write(f, &(struct lb_frag6_slot){
		.src = { k.src[0], k.src[1] }, .dst = { k.dst[0], k.dst[1] },
		.id = k.id, .proto = k.proto, .member = d->member,
		.gen = s->members[d->member].gen, .svc = d->svc,
		.has_svc = d->counted_svc, .expire = w->now + w->frag_ttl_ms,
	});
	__atomic_store_n(&w->frag6_writes, w->frag6_writes + 1,
			 __ATOMIC_RELAXED);
	w->stats[LB_STAT_FRAG6_FIRST]++;
	return true;
}

/* The decision for a datagram, in any worker's memory; a slot of our
 * own that a later fragment follows is confirmed. */
static inline bool
frag6_find(struct lb_worker *w, const struct frag6_key *k,
	   struct lb_frag6_slot *v)
{
	uint32_t h = frag6_hash(w->frag_seed, k);
	unsigned int p, i;

	for (p = 0; p < w->n_peers; p++) {
		struct lb_frag6_slot *b = frag6_bucket(w->peers[p]->frag6, h);

		for (i = 0; i < LB_FRAG_WAYS; i++)
			if (frag6_read(&b[i], v) && frag6_same(v, k) &&
			    (int32_t)(w->now - v->expire) < 0) {
				if (w->peers[p] == w)
					b[i].confirmed = 1;
				return true;
			}
	}
	return false;
}

/* An IPv6 later fragment, in arrival order after the packets before it
 * in its burst: follow its first fragment, or wait for it. */
void
dp_frag6_later(struct lb_worker *w, const struct lb_snapshot *s,
	       unsigned int port, struct rte_mbuf *m, struct dp_pkt *d,
	       const struct lb_tuple6 *k6)
{
	struct lb_frag6_slot v;
	struct lb_frag6_held *h;
	struct frag6_key k;

	key_of(&k, k6, *dp_frag6_id(d), d->key.proto);
	if (frag6_find(w, &k, &v)) {
		w->stats[LB_STAT_FRAG6_HIT]++;
		dp_frag_follow(s, v.member, v.gen, v.svc, v.has_svc, d);
		return;
	}
	if (w->held6_tail - w->held6_head == LB_FRAG_HOLD) {
		drop(d, LB_STAT_DROP_FRAG6_HOLD_FULL);
		return;
	}
	h = &w->held6[w->held6_tail++ % LB_FRAG_HOLD];
	*h = (struct lb_frag6_held){
		.m = m, .src = { k.src[0], k.src[1] },
		.dst = { k.dst[0], k.dst[1] }, .id = k.id, .proto = k.proto,
		.port = (uint8_t)port, .deadline = w->now + w->frag_hold_ms,
	};
	w->held6_live++;
	w->stats[LB_STAT_FRAG6_HELD]++;
	d->act = ACT_HELD;
}

/* A waiting fragment whose first fragment has been decided: sent (or
 * dropped if its member left). False if there is no decision yet. */
static bool
held6_try(struct lb_worker *w, const struct lb_snapshot *s,
	  const struct lb_frag6_held *h)
{
	struct frag6_key k = {
		.src = { h->src[0], h->src[1] },
		.dst = { h->dst[0], h->dst[1] },
		.id = h->id, .proto = h->proto,
	};
	struct dp_pkt d = { .act = ACT_DROP };
	struct lb_frag6_slot v;

	if (!frag6_find(w, &k, &v))
		return false;
	w->stats[LB_STAT_FRAG6_HIT]++;
	dp_frag_follow(s, v.member, v.gen, v.svc, v.has_svc, &d);
	dp_tx_burst(w, s, h->port, &h->m, &d, 1);
	return true;
}

/* lb_dp_frag_release()'s rules: waiting fragments looked at again when
 * some worker has remembered a new IPv6 first fragment since the last
 * look, LB_FRAG_SCAN per call; the oldest dropped once they have waited
 * frag_hold_ms (after one last look). */
unsigned int
dp_frag6_release(struct lb_worker *w, const struct lb_snapshot *s)
{
	unsigned int p, budget = LB_FRAG_SCAN, done = 0;
	uint32_t writes = 0;

	if (w->held6_live == 0) {
		w->held6_head = w->held6_scan = w->held6_tail;
		return 0;
	}
	for (p = 0; p < w->n_peers; p++)
		writes += __atomic_load_n(&w->peers[p]->frag6_writes,
					  __ATOMIC_RELAXED);
	if (writes != w->held6_seen) {
		w->held6_seen = writes;
		w->held6_scan = w->held6_head;
	}
	while (w->held6_head != w->held6_tail) {
		struct lb_frag6_held *h =
			&w->held6[w->held6_head % LB_FRAG_HOLD];

		if (h->m != NULL) {
			if ((int32_t)(w->now - h->deadline) < 0)
				break;
			if (!held6_try(w, s, h)) {
				w->stats[LB_STAT_DROP_FRAG6_TIMEOUT]++;
				rte_pktmbuf_free(h->m);
			}
			h->m = NULL;
			w->held6_live--;
			done++;
		}
		w->held6_head++;
	}
	if ((int32_t)(w->held6_scan - w->held6_head) < 0)
		w->held6_scan = w->held6_head;
	while (budget-- > 0 && w->held6_scan != w->held6_tail) {
		struct lb_frag6_held *h =
			&w->held6[w->held6_scan++ % LB_FRAG_HOLD];

		if (h->m != NULL && held6_try(w, s, h)) {
			h->m = NULL;
			w->held6_live--;
			done++;
		}
	}
	return done;
}

void
dp_frag6_fini(struct lb_worker *w)
{
	for (; w->held6_head != w->held6_tail; w->held6_head++) {
		struct lb_frag6_held *h =
			&w->held6[w->held6_head % LB_FRAG_HOLD];

		if (h->m != NULL) {
			w->stats[LB_STAT_DROP_FRAG6_TIMEOUT]++;
			rte_pktmbuf_free(h->m);
			h->m = NULL;
		}
	}
	w->held6_live = 0;
	w->held6_scan = w->held6_head;
}
