/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_meter.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "lb_dp.h"

/* What the classify stage decided for a packet. */
enum dp_act {
	ACT_DROP = 0,    /* free, count d->drop */
	ACT_MASTER,      /* hand to the master lcore, bulk ring */
	ACT_MASTER_PRIO, /* hand to the master lcore, ARP ring */
	ACT_MASTER_CTRL, /* hand to the master lcore, trusted classes' ring */
	ACT_ARP_REPLY,   /* ARP answered in place: back on the input port */
	ACT_REPLY,       /* answered in place: send back on the input port */
	ACT_FWD,         /* send to d->member */
	ACT_FLOW,        /* needs the flow table to pick a member */
	ACT_FRAG,        /* later fragment: follows its first, in order */
	ACT_HELD,        /* later fragment kept until its first is decided */
	ACT_ICMP_FLOW,   /* ICMP error about a flow: looked up in order */
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
};

/* A policer of pps packets a second with a hundredth of a second of
 * burst (at least 64): what it lets through fits the master's ring
 * whatever comes at once; pps 0 leaves it off. */
static int
policer_init(struct lb_dp_policer *pol, uint32_t pps)
{
	struct rte_meter_srtcm_params prm = {
		.cir = pps, .cbs = RTE_MAX(pps / 100, 64u), .ebs = 0,
	};

	pol->on = pps != 0;
	if (!pol->on)
		return 0;
	if (rte_meter_srtcm_profile_config(&pol->profile, &prm) != 0 ||
	    rte_meter_srtcm_config(&pol->meter, &pol->profile) != 0)
		return -EINVAL;
	return 0;
}

uint32_t
lb_dp_rate_share(uint32_t total, unsigned int n_workers)
{
	if (total == 0 || n_workers <= 1)
		return total;
	return RTE_MAX(total / n_workers, 1u);
}

void
lb_dp_expect_set(struct lb_dp_expect *x, uint8_t proto, uint16_t local_port,
		 uint32_t member, uint16_t member_port, bool on)
{
	uint64_t *slot;

	if (proto != LB_IPPROTO_TCP && proto != LB_IPPROTO_UDP)
		return;
	slot = &x->slot[proto == LB_IPPROTO_UDP][local_port];
	__atomic_store_n(slot, on ? lb_dp_expect_key(member, member_port) : 0,
			 __ATOMIC_RELEASE);
}

unsigned int
lb_dp_master_ring_size(uint64_t pps, unsigned int n_policers)
{
	/* each policer's burst is a hundredth of its rate, at least 64 */
	uint64_t need = pps * LB_MASTER_STALL_MS / 1000 + pps / 100 +
			64ull * n_policers + LB_BURST;

	if (need > 65536)
		need = 65536;
	return (unsigned int)rte_align64pow2(RTE_MAX(need, 1024ull));
}

/* One packet against a policer at the burst's clock (w->tsc): true if
 * it may pass. */
static inline bool
policer_pass(const struct lb_worker *w, struct lb_dp_policer *pol)
{
	return !pol->on ||
	       rte_meter_srtcm_color_blind_check(&pol->meter, &pol->profile,
						 w->tsc, 1) ==
	       RTE_COLOR_GREEN;
}

int
lb_dp_worker_init(struct lb_worker *w, const struct lb_dp_params *p)
{
	uint32_t vrrp_pps;
	unsigned int i;

	if (p->n_rxq > LB_MAX_PORTS || p->n_ports > LB_MAX_PORTS ||
	    p->snap == NULL || p->quit == NULL)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->snap = p->snap;
	w->qsbr = p->qsbr;
	w->qsbr_id = p->qsbr_id;
	w->flows = p->flows;
	w->to_master_prio = p->to_master_prio;
	w->to_master_ctrl = p->to_master_ctrl;
	w->to_master = p->to_master;
	w->from_master = p->from_master;
	w->expect = p->expect;
	w->sync_out = p->sync_out;
	w->sync_in = p->sync_in;
	w->idle_sleep_us = p->idle_sleep_us;
	w->idle = p->idle;
	w->wake_fd = -1;
	if (w->idle != LB_DP_IDLE_POLL && w->idle_sleep_us == 0)
		w->idle = LB_DP_IDLE_POLL;   /* nothing to wait for */
	w->frag_hold_ms = p->frag_hold_ms != 0 ? p->frag_hold_ms :
		LB_FRAG_HOLD_MS;
	w->frag_ttl_ms = p->frag_ttl_ms != 0 ? p->frag_ttl_ms : LB_FRAG_TTL_MS;
	w->frag_seed = p->frag_seed != 0 ? p->frag_seed : LB_HASH_SEED;
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
	vrrp_pps = p->vrrp_pps != 0 ? p->vrrp_pps : LB_VRRP_PPS;
	if (policer_init(&w->own_police, p->exception_pps) != 0 ||
	    policer_init(&w->member_police, p->member_pps) != 0 ||
	    policer_init(&w->router_police, p->router_pps) != 0 ||
	    policer_init(&w->peer_police, p->peer_pps) != 0 ||
	    policer_init(&w->arp_member, p->arp_pps) != 0 ||
	    policer_init(&w->arp_other, p->arp_pps) != 0 ||
	    policer_init(&w->vrrp, vrrp_pps) != 0)
		return -EINVAL;
	for (i = 0; i < RTE_DIM(w->vrrp_peer); i++)
		if (policer_init(&w->vrrp_peer[i], vrrp_pps) != 0)
			return -EINVAL;
	/* alone until told otherwise */
	w->self[0] = w;
	w->peers = w->self;
	w->n_peers = 1;
	lb_dp_clock(w);
	return 0;
}

void
lb_dp_set_peers(struct lb_worker *w, struct lb_worker *const *peers,
		unsigned int n)
{
	unsigned int i;

	w->peers = peers;
	w->n_peers = (uint16_t)n;
	w->peer_idx = 0;
	for (i = 0; i < n; i++)
		if (peers[i] == w)
			w->peer_idx = (uint16_t)i;
}

/* Seconds come from the same 64-bit count of milliseconds as now, so
 * they do not jump when now wraps (every 49 days). */
void
lb_dp_clock(struct lb_worker *w)
{
	uint64_t ms;

	w->tsc = rte_rdtsc();
	ms = w->tsc / w->tsc_per_ms;
	w->now = (uint32_t)ms;
	w->now_s = (uint32_t)(ms / 1000);
}

static inline void
drop(struct dp_pkt *d, enum lb_stat_worker why)
{
	d->act = ACT_DROP;
	d->drop = why;
}

/* ---- member selection ---- */

_Static_assert(LB_FLOW_MEMBERS == LB_MAX_MEMBERS &&
	       LB_FLOW_SERVICES == LB_MAX_SERVICES,
	       "flow tables count every member and service slot");
_Static_assert(LB_PERSIST_MEMBERS == LB_MAX_MEMBERS,
	       "persistence records name every member slot");

/* The hash a service's consistent choices use: the 5-tuple's; the
 * client address's for sh; with persistence, the masked client
 * address's, so that every connection of a client hashes to one member,
 * on any balancer and after a restart (the records then only matter
 * when the membership changes). */
static inline uint32_t
consistent_sig(const struct lb_snap_service *svc, const struct lb_tuple *k,
	       uint32_t sig)
{
	if (likely(svc->persist_s == 0))
		return svc->sched == LB_SCHED_SH ?
			lb_tuple_hash_fields(k, LB_HASH_F_SRC_IP) : sig;
	return lb_tuple_hash(&(struct lb_tuple){
		.src_ip = k->src_ip & svc->persist_mask, .proto = k->proto });
}

/* The member an existing connection without an entry hashes to: the
 * same on every balancer with the same members, which is what keeps
 * flows in place across a restart or a standby taking over. The settled
 * membership decides, so a balancer that is still resolving its members
 * does not put connections where the few it knows happen to be; the
 * caller checks wait_for_mac(). */
static inline uint16_t
consistent(const struct lb_snap_service *svc, const struct lb_tuple *k,
	   uint32_t sig)
{
	return lb_maglev_lookup(svc->settled, svc->table_size,
				consistent_sig(svc, k, sig));
}

/* True if member m's MAC is not known yet (it keeps its flows, their
 * packets wait): only while a service has not converged. */
static inline bool
wait_for_mac(const struct lb_snap_service *svc, uint16_t m)
{
	return unlikely(svc->settled != svc->maglev) && m != LB_SCHED_NONE &&
	       svc->mstate[m] == LB_MS_WAIT;
}

/* A new flow, hashed: where the settled membership puts it, unless that
 * member's MAC is not known yet; then among the members that are
 * ready. */
static inline uint16_t
consistent_new(const struct lb_snap_service *svc, uint32_t sig)
{
	uint16_t m = lb_maglev_lookup(svc->settled, svc->table_size, sig);

	if (wait_for_mac(svc, m))
		m = lb_maglev_lookup(svc->maglev, svc->table_size, sig);
	return m;
}

/*
 * Weighted least connections, as IPVS: the member taking new flows with
 * the least overhead / weight, overhead = active * 256 + inactive flows
 * in this worker's table (RSS gives each worker its share of clients,
 * so per-worker counts balance the whole). Ratios are compared
 * cross-multiplied; the scan starts one member further each time, so
 * ties (an idle worker: every count 0) go round the members instead of
 * all to the first.
 */
static __rte_noinline uint16_t
wlc(struct lb_worker *w, unsigned int slot, const struct lb_snap_service *svc)
{
	const struct lb_flow_mcount *mc = w->flows->mcount;
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
		uint64_t oh = (uint64_t)mc[m].active * 256 + mc[m].inactive;

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

/* A provisional entry was evicted: the pressure lasts as long as the
 * longest provisional entry made now can live. */
static inline void
pressure_on(struct lb_worker *w, const struct lb_snapshot *s)
{
	const uint32_t *t = s->timeouts.t;
	uint32_t hold = RTE_MAX(t[LB_FLOW_TCP_SYN], t[LB_FLOW_TCP_MID]);

	w->pressure = true;
	w->pressure_until = w->now + RTE_MAX(hold, t[LB_FLOW_UDP_NEW]);
}

static __rte_always_inline uint16_t
schedule(struct lb_worker *w, unsigned int slot,
	 const struct lb_snap_service *svc, const struct lb_tuple *k,
	 uint32_t sig)
{
	uint32_t p;

	if (svc->sched != LB_SCHED_WRR && svc->sched != LB_SCHED_WLC)
		return consistent_new(svc, consistent_sig(svc, k, sig));
	if (unlikely(under_pressure(w))) {
		w->stats[LB_STAT_FLOW_PRESSURE]++;
		return consistent_new(svc, consistent_sig(svc, k, sig));
	}
	if (svc->sched == LB_SCHED_WLC)
		return wlc(w, slot, svc);
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

/* A member a client's record may send new flows to: one taking flows
 * (drain keeps persistence, down and disabled break it) with a MAC. */
static inline bool
persist_usable(const struct lb_snapshot *s, const struct lb_snap_service *svc,
	       uint16_t m)
{
	return (svc->mstate[m] == LB_MS_ACTIVE ||
		svc->mstate[m] == LB_MS_DRAIN) &&
	       (s->members[m].flags & LB_SM_FWD);
}

/* A member a client's record may be written or renewed for: one taking
 * new clients. A draining (or weight 0) member's records still send
 * their clients to it, but nothing renews them, so they lapse one
 * timeout after the client's last activity before the drain: drain
 * means no new clients, even for a busy NAT address. */
static inline bool
persist_renewable(const struct lb_snapshot *s,
		  const struct lb_snap_service *svc, uint16_t m)
{
	return svc->mstate[m] == LB_MS_ACTIVE &&
	       (s->members[m].flags & LB_SM_FWD);
}

/* Refresh a client's record: its last activity was now. */
static inline void
persist_touch(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct lb_snap_service *svc, uint32_t src, uint16_t m)
{
	if (persist_renewable(s, svc, m))
		lb_persist_store(svc->persist, src & svc->persist_mask, m,
				 w->now_s, svc->persist_s);
}

/* The member a client's record names, if it may take the client's
 * flows; LB_SCHED_NONE if none. */
static inline uint16_t
persist_find(const struct lb_worker *w, const struct lb_snapshot *s,
	     const struct lb_snap_service *svc, uint32_t src)
{
	int r = lb_persist_lookup(svc->persist, src & svc->persist_mask,
				  w->now_s, svc->persist_s);

	return r >= 0 && persist_usable(s, svc, (uint16_t)r) ?
		(uint16_t)r : LB_SCHED_NONE;
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
static uint16_t
persist_pick(struct lb_worker *w, const struct lb_snapshot *s,
	     unsigned int slot, const struct lb_snap_service *svc,
	     const struct dp_pkt *d, bool fresh)
{
	uint16_t m = persist_find(w, s, svc, d->key.src_ip);

	if (m == LB_SCHED_NONE) {
		m = fresh ? schedule(w, slot, svc, &d->key, d->sig) :
			consistent(svc, &d->key, d->sig);
		if (m == LB_SCHED_NONE || !persist_usable(s, svc, m))
			return m;   /* no member, or one whose MAC is awaited */
	}
	if (!persist_renewable(s, svc, m))
		return m;           /* draining: the record lapses */
	lb_persist_store(svc->persist, d->key.src_ip & svc->persist_mask, m,
			 w->now_s, svc->persist_s);
	return m;
}

/* ---- fragments ---- */

/*
 * A datagram's later fragments carry no ports: they go where its first
 * fragment went, never to a guess. The worker that decides a first
 * fragment remembers the decision in its fragment memory, which every
 * worker reads (RSS may send the fragments of one datagram to several).
 * A later fragment that comes before its first waits, a bounded number
 * for a bounded time, and is sent once the decision exists anywhere, or
 * dropped and counted.
 */

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
static inline bool
frag_remember(struct lb_worker *w, const struct lb_snapshot *s,
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
	const struct lb_snap_member *sm = &s->members[v->member];

	if (sm->gen != v->gen || !(sm->flags & LB_SM_FWD)) {
		drop(d, LB_STAT_DROP_MEMBER_UNUSABLE);
		return;
	}
	d->member = v->member;
	d->svc = v->svc;
	d->counted_svc = v->has_svc;
	d->act = ACT_FWD;
}

/* A later fragment, in arrival order after the packets before it in its
 * burst: follow its first fragment, or wait for it. */
static inline void
frag_later(struct lb_worker *w, const struct lb_snapshot *s,
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
		d->member = consistent_new(svc,
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
	struct lb_pkt_inner in;

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
	/* the flow is looked up in arrival order, after the packets before
	 * it in this burst (which may have made it) */
	if (d->act == ACT_FLOW)
		d->act = ACT_ICMP_FLOW;
}

/*
 * The member of the flow an ICMP error is about. Never creates or ages a
 * flow. RSS hashed the error on (router, VIP), not on the flow it
 * quotes: the flow may be in any worker's table, ours first.
 */
static inline void
icmp_flow(struct lb_worker *w, const struct lb_snapshot *s, struct dp_pkt *d)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	unsigned int p;

	for (p = 0; p < w->n_peers; p++) {
		const struct lb_worker *o = w->peers[(w->peer_idx + p) %
						     w->n_peers];
		struct lb_flow_entry e;

		if (o->flows != NULL &&
		    lb_flow_peek(o->flows, &d->key, d->sig, w->now, &e) &&
		    svc->mstate[e.member] != LB_MS_NONE &&
		    s->members[e.member].gen == e.member_gen) {
			d->member = e.member;
			goto found;
		}
	}
	/* no entry anywhere: the client's record, else the hash */
	d->member = LB_SCHED_NONE;
	if (unlikely(svc->persist != NULL))
		d->member = persist_find(w, s, svc, d->key.src_ip);
	if (d->member == LB_SCHED_NONE)
		d->member = consistent(svc, &d->key, d->sig);
	if (d->member == LB_SCHED_NONE) {
		drop(d, LB_STAT_DROP_ICMP);
		return;
	}
found:
	/* a member whose MAC is not known yet: execute() counts it */
	d->act = ACT_FWD;
}

/* ---- the master's traffic ---- */

/* The member whose address a packet (or ARP) comes from, if any. */
static inline const struct lb_addr_slot *
member_source(const struct lb_snapshot *s, uint32_t addr)
{
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, addr);

	return a != NULL && a->kind == LB_ADDR_MEMBER ? a : NULL;
}

/*
 * ARP. A request for a VIP (while active) or for the port's own address
 * is answered here, in place, at the rate it comes: the router's ARP for
 * a VIP never waits behind anything the master does, and a flood of
 * requests costs the master nothing. What the master must see (replies
 * to its requests and the kernel's, members' ARP, learning) goes to its
 * priority ring, policed per sender class so a flood of strangers' ARP
 * cannot crowd out the members'.
 */
static inline void
classify_arp(struct lb_worker *w, const struct lb_snapshot *s,
	     unsigned int port, uint8_t *data, const struct lb_pkt *pk,
	     struct dp_pkt *d)
{
	struct lb_pkt_arp arp;
	const struct lb_addr_slot *a;
	struct lb_dp_policer *pol;

	lb_pkt_arp_read(data, pk, &arp);
	if ((arp.op != LB_ARP_OP_REQUEST && arp.op != LB_ARP_OP_REPLY) ||
	    (arp.sha[0] & 1) || memcmp(arp.sha, "\0\0\0\0\0\0", 6) == 0) {
		drop(d, LB_STAT_DROP_ARP_BAD);
		return;
	}
	if (arp.op == LB_ARP_OP_REQUEST && arp.spa != arp.tpa) {
		a = lb_snap_addr_lookup(s, arp.tpa);
		if (a != NULL && ((a->kind == LB_ADDR_VIP && s->vip_arp) ||
				  (a->kind == LB_ADDR_OWN && a->idx == port))) {
			lb_pkt_arp_reply(data, pk, &arp, s->ports[port].mac);
			d->act = ACT_ARP_REPLY;
			return;
		}
	}
	pol = member_source(s, arp.spa) != NULL ? &w->arp_member :
		&w->arp_other;
	if (!policer_pass(w, pol)) {
		drop(d, LB_STAT_DROP_ARP_POLICED);
		return;
	}
	d->act = ACT_MASTER_PRIO;
}

/*
 * A member's packet to an own address is a health check's answer if a
 * check socket waits for it (TCP or UDP, by its local port and the
 * member's address and port), or an ICMP echo reply (the icmp checks);
 * anything else a member sends there, such as the SYN-ACKs of a flood
 * it is made to reflect (SYNs forged with our address), is anyone's.
 * Without the table every member packet counts as an answer.
 */
static inline bool
check_answer(const struct lb_worker *w, const struct lb_pkt *pk)
{
	const struct lb_dp_expect *x = w->expect;

	if (x == NULL)
		return true;
	if (pk->proto == LB_IPPROTO_ICMP)
		return pk->icmp_type == LB_ICMP_ECHO_REPLY;
	if (pk->proto != LB_IPPROTO_TCP && pk->proto != LB_IPPROTO_UDP)
		return false;
	return __atomic_load_n(&x->slot[pk->proto == LB_IPPROTO_UDP]
					[pk->dst_port], __ATOMIC_RELAXED) ==
	       lb_dp_expect_key(pk->src_ip, pk->src_port);
}

/*
 * A packet for an own address: the kernel interface's (health-check
 * answers, ssh, ping, BGP). Each class of sender has a policer of its
 * own, so a flood of one class costs the master a bounded amount and
 * never another class's packets: members' answers to health checks
 * (from a member's address and its MAC, which nobody beyond the router
 * can forge, to a check's socket: check_answer()), routers (a port's
 * gateway or a configured router) and sync peers, both only at TTL 255
 * (RFC 5082: sent on the link, not forwarded; BFD always is, BGP with
 * "ttl security"), whose packets take the trusted classes' ring; and
 * everyone else (dataplane.exception_pps), on a ring of its own.
 */
static inline void
classify_own(struct lb_worker *w, const struct lb_snapshot *s,
	     const uint8_t *data, const struct lb_pkt *pk, struct dp_pkt *d)
{
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, pk->src_ip);
	struct lb_dp_policer *pol = &w->own_police;
	uint16_t why = LB_STAT_DROP_OWN_POLICED;
	uint8_t act = ACT_MASTER;

	if (a != NULL) {
		const struct lb_snap_member *sm;
		bool on_link = data[pk->l3_off + 8] == 255;

		switch (a->kind) {
		case LB_ADDR_MEMBER:
			sm = &s->members[a->idx];
			if ((sm->flags & LB_SM_FWD) &&
			    lb_mac_eq(lb_pkt_eth_src(data), sm->mac) &&
			    check_answer(w, pk)) {
				pol = &w->member_police;
				why = LB_STAT_DROP_MEMBER_POLICED;
				act = ACT_MASTER_CTRL;
			}
			break;
		case LB_ADDR_ROUTER:
			if (on_link) {
				pol = &w->router_police;
				why = LB_STAT_DROP_ROUTER_POLICED;
				act = ACT_MASTER_CTRL;
			}
			break;
		case LB_ADDR_PEER:
			if (on_link) {
				pol = &w->peer_police;
				why = LB_STAT_DROP_PEER_POLICED;
				act = ACT_MASTER_CTRL;
			}
			break;
		default:
			break;
		}
	}
	if (!policer_pass(w, pol)) {
		drop(d, why);
		return;
	}
	d->act = act;
}

/*
 * A VRRP advertisement (the parser checked group, MAC, TTL 255): for
 * keepalived on the kernel interface, in mode vrrp only (in any other
 * mode it is multicast like the rest, dropped). From the port's own
 * subnet, through the priority ring, policed: a flood of forged
 * adverts costs the master a bounded amount and never its ARP.
 */
static inline void
classify_vrrp(struct lb_worker *w, const struct lb_snapshot *s,
	      const struct lb_snap_port *sp, const struct lb_pkt *pk,
	      struct dp_pkt *d)
{
	if (!s->vrrp) {
		drop(d, LB_STAT_DROP_L2_MULTICAST);
		return;
	}
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, pk->src_ip);
	struct lb_dp_policer *pol = &w->vrrp;

	/* another balancer's adverts are policed on their own: junk from
	 * other sources cannot crowd them out (and make its standby take
	 * over) */
	if (a != NULL && a->kind == LB_ADDR_PEER &&
	    a->idx < RTE_DIM(w->vrrp_peer))
		pol = &w->vrrp_peer[a->idx];
	if (((pk->src_ip ^ sp->addr) & sp->mask) != 0 ||
	    pk->src_ip == sp->addr || !policer_pass(w, pol)) {
		drop(d, LB_STAT_DROP_VRRP);
		return;
	}
	w->stats[LB_STAT_VRRP_IN]++;
	if (pol != &w->vrrp)
		w->stats[LB_STAT_VRRP_PEER_IN]++;
	d->act = ACT_MASTER_CTRL;
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
			classify_arp(w, s, port, data, &pk, d);
		return;
	}
	if (unlikely(pk.flags & (LB_PKT_F_L2_BCAST | LB_PKT_F_L2_MCAST))) {
		if (kind == LB_PKT_VRRP)
			classify_vrrp(w, s, sp, &pk, d);
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
		classify_own(w, s, data, &pk, d);
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
		 * in this very burst) has been decided */
		d->act = ACT_FRAG;
		return;
	}
	d->frag_first = (pk.flags & LB_PKT_F_FRAG) != 0;
	classify_l4(w, s, v, d);
}

/* ---- flow sync ---- */

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
static __rte_noinline void
sync_stage(struct lb_worker *w, const struct lb_snapshot *s,
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

/*
 * A packet without an entry here, with flow sync on: the master
 * installs a synced flow in one worker's table (its home, by the flow's
 * hash), while RSS may bring its packets to another. Look there before
 * guessing; copy what is found.
 */
static inline bool
sync_home(struct lb_worker *w, const struct lb_snapshot *s,
	  const struct lb_snap_service *svc, struct dp_pkt *d,
	  struct lb_flow_entry *out)
{
	const struct lb_worker *o;

	if (likely(!s->sync) || w->n_peers < 2)
		return false;
	o = w->peers[d->sig % w->n_peers];
	if (o == w || o->flows == NULL ||
	    !lb_flow_peek(o->flows, &d->key, d->sig, w->now, out) ||
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
static inline bool
flow_elsewhere(const struct lb_worker *w, const struct lb_snapshot *s,
	       const struct lb_snap_service *svc, const struct dp_pkt *d,
	       struct lb_flow_entry *out)
{
	unsigned int p;

	for (p = 0; p < w->n_peers; p++) {
		const struct lb_worker *o = w->peers[p];

		if (o == w || o->flows == NULL ||
		    !lb_flow_peek(o->flows, &d->key, d->sig, w->now, out))
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
	  struct lb_flow_entry *e, const struct dp_pkt *d)
{
	uint8_t st;

	if (d->key.proto == LB_IPPROTO_UDP)
		st = LB_FLOW_UDP_NEW;
	else if ((d->tcp_flags & (LB_TCP_SYN | LB_TCP_ACK)) == LB_TCP_SYN)
		st = LB_FLOW_TCP_SYN;
	else
		st = LB_FLOW_TCP_MID;
	e->packets = 1;
	lb_flow_fill(w->flows, e, d->member, s->members[d->member].gen, d->svc,
		     st, w->now + s->timeouts.t[st]);
	w->service[d->svc].flows++;
	w->member[d->member].flows++;
}

/* Existing flow: advance its state; move it if its member can no longer
 * take it (down, disabled, removed: its slot's generation moved on) or a
 * SYN reopens a closed one. Its counts move with it. */
static inline void
flow_existing(struct lb_worker *w, const struct lb_snapshot *s,
	      struct lb_flow_entry *e, struct dp_pkt *d)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	enum lb_flow_tcp_event ev = LB_FLOW_KEEP;
	uint16_t m = e->member;
	uint8_t before = e->state;
	bool moved = false;

	if (d->key.proto == LB_IPPROTO_TCP) {
		ev = lb_flow_tcp_update(w->flows, e, d->tcp_flags, w->now,
					&s->timeouts);
	} else {
		if (e->state != LB_FLOW_UDP)   /* a second datagram */
			lb_flow_set_state(w->flows, e, LB_FLOW_UDP);
		lb_flow_set_expire(e, w->now + s->timeouts.t[LB_FLOW_UDP]);
	}

	if (unlikely(ev == LB_FLOW_REUSE)) {
		m = unlikely(svc->persist != NULL) ?
			persist_pick(w, s, d->svc, svc, d, true) :
			schedule(w, d->svc, svc, &d->key, d->sig);
		w->stats[LB_STAT_FLOW_REUSED]++;
	} else if (unlikely(svc->mstate[m] == LB_MS_NONE ||
			    s->members[m].gen != e->member_gen)) {
		m = unlikely(svc->persist != NULL) ?
			persist_pick(w, s, d->svc, svc, d, true) :
			schedule(w, d->svc, svc, &d->key, d->sig);
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
		lb_flow_set_member(w->flows, e, m, s->members[m].gen);
		lb_flow_set_svc(w->flows, e, d->svc);
		w->member[m].flows++;
		moved = true;
	}
stay:
	/* the end of a connection counts as its client's last activity */
	if (unlikely(ev == LB_FLOW_CLOSED) && svc->persist != NULL)
		persist_touch(w, s, svc, d->key.src_ip, m);
	e->packets++;
	d->member = m;
	d->act = ACT_FWD;
	/* confirmed now, or moved: peers may need to know */
	if (unlikely(s->sync) && (e->state != before || moved) &&
	    (e->state == LB_FLOW_TCP_EST || e->state == LB_FLOW_UDP))
		sync_stage(w, s, d, e);
}

/* A new flow needs an entry: when the table is full, the oldest
 * provisional entry makes room; a table full of confirmed flows refuses
 * (the caller balances the flow without state). */
static inline int32_t
flow_admit(struct lb_worker *w, const struct lb_snapshot *s,
	   const struct dp_pkt *d, bool guessed)
{
	struct lb_flow_table *ft = w->flows;
	int32_t pos = lb_flow_add(ft, &d->key, d->sig, guessed);
	int rc;

	if (likely(pos >= 0))
		return pos;
	rc = lb_flow_evict(ft, w->now);
	if (rc != 0)
		return rc;
	w->stats[LB_STAT_FLOW_EVICTED]++;
	pressure_on(w, s);
	return lb_flow_add(ft, &d->key, d->sig, guessed);
}

static inline void
flow_decide(struct lb_worker *w, const struct lb_snapshot *s,
	    struct dp_pkt *d, int32_t pos, struct lb_flow_mark mark)
{
	const struct lb_snap_service *svc = &s->services[d->svc];
	struct lb_flow_table *ft = w->flows;
	struct lb_flow_entry home = { .state = 0 }, peer;
	struct lb_flow_entry *e;
	bool syn_only;

	/* the bulk lookup was made before the burst's earlier packets
	 * added flows (this one may be among them) or evicted some (this
	 * one's position may be free, or another key's by now) */
	if (unlikely(lb_flow_lookup_stale(ft, mark, pos)))
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
		     (d->tcp_flags & (LB_TCP_RST | LB_TCP_FIN)))) {
		/* the end of a flow we do not know: pass it on, keep no
		 * state for it; its client's record says where it was */
		d->member = LB_SCHED_NONE;
		if (unlikely(s->sync) && sync_home(w, s, svc, d, &home))
			d->member = home.member;   /* a synced flow */
		else if (unlikely(svc->persist != NULL))
			d->member = persist_find(w, s, svc, d->key.src_ip);
		if (d->member == LB_SCHED_NONE)
			d->member = consistent(svc, &d->key, d->sig);
		w->stats[LB_STAT_STATELESS]++;
		goto out;
	}
	/* A flow that did not start here (we restarted, or it moved from
	 * another balancer) goes where the consistent hash says: with
	 * Maglev that is where it already was. If that member's MAC is not
	 * known yet, the packet waits and no entry pins the flow anywhere
	 * else. With persistence, the client's record decides first. */
	if (unlikely(s->sync) &&
	    (!syn_only || d->key.proto == LB_IPPROTO_UDP) &&
	    sync_home(w, s, svc, d, &home))
		d->member = home.member;   /* a synced flow */
	else if (unlikely(svc->persist != NULL))
		d->member = persist_pick(w, s, d->svc, svc, d, syn_only);
	else if (unlikely(w->n_peers > 1) &&
		 (d->key.proto == LB_IPPROTO_UDP || d->frag_first) &&
		 (svc->sched == LB_SCHED_WRR || svc->sched == LB_SCHED_WLC) &&
		 flow_elsewhere(w, s, svc, d, &peer)) {
		d->member = peer.member;
		w->stats[LB_STAT_FLOW_PEER]++;
	} else {
		d->member = syn_only ?
			schedule(w, d->svc, svc, &d->key, d->sig) :
			consistent(svc, &d->key, d->sig);
	}
	if (unlikely(d->member == LB_SCHED_NONE) ||
	    unlikely(!syn_only && wait_for_mac(svc, d->member)))
		goto out;
	if (pos < 0) {
		pos = flow_admit(w, s, d, !syn_only && home.state == 0);
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
				consistent_sig(svc, &d->key, d->sig));
			goto out;
		}
	} else {
		lb_flow_renew(ft, pos, !syn_only);
	}
	w->stats[syn_only ? LB_STAT_FLOW_NEW : LB_STAT_FLOW_MIDSTREAM]++;
	flow_init(w, s, &ft->e[pos], d);
	if (unlikely(home.state != 0)) {
		/* confirmed where it was synced: confirmed here */
		lb_flow_set_state(ft, &ft->e[pos], home.state);
		lb_flow_set_expire(&ft->e[pos],
				   w->now + s->timeouts.t[home.state]);
	}
out:
	if (d->member == LB_SCHED_NONE)
		drop(d, LB_STAT_DROP_NO_MEMBER);
	else
		d->act = ACT_FWD;   /* execute() refuses a member without MAC */
}

/* ---- output ---- */

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

static inline uint16_t
execute(struct lb_worker *w, const struct lb_snapshot *s, unsigned int port,
	struct rte_mbuf *m, const struct dp_pkt *d)
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
	case ACT_ARP_REPLY:
		w->stats[LB_STAT_ARP_REPLY_OUT]++;
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
	struct lb_flow_mark mark;
	unsigned int i, nf = 0;
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
		mark = lb_flow_mark(w->flows);
		lb_flow_lookup_bulk(w->flows, keys, sigs, nf, pos);
		for (i = 0; i < nf; i++)
			flow_decide(w, s, &d[idx[i]], pos[i], mark);
	}
	for (i = 0; i < n; i++) {
		if (unlikely(d[i].act == ACT_FRAG))
			frag_later(w, s, port, pkts[i], &d[i]);
		else if (unlikely(d[i].act == ACT_ICMP_FLOW))
			icmp_flow(w, s, &d[i]);
		else if (unlikely(d[i].frag_first && d[i].act == ACT_FWD) &&
			 !frag_remember(w, s, &d[i]))
			/* its later fragments could not follow it: the
			 * member would only hold a partial datagram */
			drop(&d[i], LB_STAT_DROP_FRAG_MEMORY_FULL);
		sent += execute(w, s, port, pkts[i], &d[i]);
	}
	if (unlikely(w->n_sync != 0))
		lb_dp_sync_flush(w);
	return sent;
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
	execute(w, s, h->port, h->m, &d);
	return true;
}

/*
 * Waiting fragments are looked at again when some worker has remembered
 * a new first fragment since the last look, a bounded number per call,
 * so a flood of orphan fragments costs little; the oldest are dropped
 * once they have waited frag_hold_ms (after one last look).
 */
unsigned int
lb_dp_frag_release(struct lb_worker *w, const struct lb_snapshot *s)
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

void
lb_dp_worker_fini(struct lb_worker *w)
{
	for (; w->held_head != w->held_tail; w->held_head++) {
		struct lb_frag_held *h = &w->held[w->held_head % LB_FRAG_HOLD];

		if (h->m != NULL) {
			w->stats[LB_STAT_DROP_FRAG_TIMEOUT]++;
			rte_pktmbuf_free(h->m);
			h->m = NULL;
		}
	}
	w->held_live = 0;
	w->held_scan = w->held_head;
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
	/* fragments that waited for a first fragment of this burst */
	if (unlikely(w->held_live > 0))
		lb_dp_frag_release(w, s);
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

/* ---- flows.list and flows.flush ---- */

static inline bool
flow_matches(const struct lb_dp_flow_filter *f, const struct lb_tuple *k,
	     const struct lb_flow_entry *e)
{
	return f == NULL ||
	       ((f->svc == LB_DP_ANY || e->svc == f->svc) &&
		(f->member == LB_DP_ANY || e->member == f->member) &&
		((k->src_ip ^ f->client) & f->client_mask) == 0);
}

unsigned int
lb_dp_flows_walk(const struct lb_worker *w, const struct lb_dp_flow_filter *f,
		 uint32_t *cursor, struct lb_dp_flow *out, unsigned int max,
		 uint32_t scan)
{
	const struct lb_flow_table *t = w->flows;
	/* the worker's clock, read here: the same TSC */
	uint32_t now = (uint32_t)(rte_rdtsc() / w->tsc_per_ms);
	uint32_t pos = *cursor;
	unsigned int n = 0;

	if (t == NULL) {
		*cursor = LB_DP_WALK_END;
		return 0;
	}
	for (; pos < t->n_pos && n < max && scan > 0; pos++, scan--) {
		struct lb_flow_entry e;
		struct lb_tuple k;

		if (!lb_flow_read(t, pos, now, &k, &e) ||
		    !flow_matches(f, &k, &e))
			continue;
		out[n++] = (struct lb_dp_flow){
			.key = k, .expires_in_ms = e.expire - now,
			.svc = e.svc, .member = e.member,
			.member_gen = e.member_gen, .state = e.state,
		};
	}
	*cursor = pos >= t->n_pos ? LB_DP_WALK_END : pos;
	return n;
}

#define FLUSH_ANY UINT16_MAX

uint32_t
lb_dp_flows_flush_request(struct lb_worker *w, int svc, int member)
{
	uint64_t req = __atomic_load_n(&w->flush_req, __ATOMIC_RELAXED);
	uint32_t seq = (uint32_t)(req >> 32) + 1;

	if (seq == 0)
		seq = 1;
	req = (uint64_t)seq << 32 |
	      (uint64_t)(svc < 0 ? FLUSH_ANY : (uint16_t)svc) << 16 |
	      (member < 0 ? FLUSH_ANY : (uint16_t)member);
	__atomic_store_n(&w->flush_req, req, __ATOMIC_RELEASE);
	return seq;
}

bool
lb_dp_flows_flush_done(const struct lb_worker *w, uint32_t seq,
		       uint32_t *flushed)
{
	uint64_t done = __atomic_load_n(&w->flush_done, __ATOMIC_ACQUIRE);
	uint32_t dseq = (uint32_t)(done >> 32);

	if (dseq == 0 || (int32_t)(dseq - seq) < 0)
		return false;
	if (flushed != NULL && dseq == seq)
		*flushed = (uint32_t)done;
	return true;
}

/*
 * The master cannot delete from a worker's table (one writer), so it
 * leaves a request the worker takes at its own pace: a bounded number
 * of positions per loop iteration, like the sweeper, deleting through
 * lb_flow_del() so the counts and the grace period stay right.
 */
unsigned int
lb_dp_flows_flush_step(struct lb_worker *w, uint32_t budget)
{
	uint64_t req = __atomic_load_n(&w->flush_req, __ATOMIC_ACQUIRE);
	struct lb_flow_table *t = w->flows;
	unsigned int removed = 0;
	uint32_t pos;

	if (unlikely((uint32_t)(req >> 32) != w->flush_seq)) {
		/* a new request replaces the one being done */
		w->flush_seq = (uint32_t)(req >> 32);
		w->flush_svc = (uint16_t)(req >> 16);
		w->flush_member = (uint16_t)req;
		w->flush_pos = 0;
		w->flush_count = 0;
		w->flush_on = true;
	}
	if (likely(!w->flush_on))
		return 0;
	for (pos = w->flush_pos; t != NULL && pos < t->n_pos && budget > 0;
	     pos++, budget--) {
		const struct lb_flow_entry *e = &t->e[pos];
		bool live;
		int rc;

		if (e->state == 0 ||
		    (w->flush_svc != FLUSH_ANY && e->svc != w->flush_svc) ||
		    (w->flush_member != FLUSH_ANY &&
		     e->member != w->flush_member))
			continue;
		live = !lb_flow_expired(e, w->now);
		rc = lb_flow_del(t, (int32_t)pos);
		if (rc == -EBUSY)
			break;   /* deletions wait for a grace period: later */
		if (rc == 0 && live) {
			w->flush_count++;
			w->stats[LB_STAT_FLOWS_FLUSHED]++;
			removed++;
		}
	}
	w->flush_pos = pos;
	if (t == NULL || pos >= t->n_pos) {
		w->flush_on = false;
		__atomic_store_n(&w->flush_done,
				 (uint64_t)w->flush_seq << 32 | w->flush_count,
				 __ATOMIC_RELEASE);
	}
	return removed;
}

RTE_LOG_REGISTER(lb_dp_logtype, dsrlb.dp, INFO);
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_dp_logtype, "dp: " fmt "\n", \
		##__VA_ARGS__)

/* The RX interrupts of the worker's queues, in this thread's epoll set.
 * False (logged) if a port cannot give them: the worker sleeps. */
static bool
idle_intr_setup(struct lb_worker *w)
{
	unsigned int q;
	int rc;

	for (q = 0; q < w->n_rxq; q++) {
		const struct lb_dp_rxq *rq = &w->rxq[q];

		rc = rte_eth_dev_rx_intr_ctl_q(w->port_ids[rq->port],
					       rq->queue, RTE_EPOLL_PER_THREAD,
					       RTE_INTR_EVENT_ADD, NULL);
		if (rc != 0) {
			DP_LOG(WARNING, "lcore %u: port %u queue %u gives no RX interrupt (%s): sleeping %u us when idle instead",
			       rte_lcore_id(), w->port_ids[rq->port],
			       rq->queue, rte_strerror(-rc), w->idle_sleep_us);
			return false;
		}
	}
	/* the master's frames for this worker to send wake it too */
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->wake_ev = (struct rte_epoll_event){ .epdata.event = EPOLLIN };
	if (w->wake_fd >= 0 &&
	    rte_epoll_ctl(RTE_EPOLL_PER_THREAD, EPOLL_CTL_ADD, w->wake_fd,
			  &w->wake_ev) != 0) {
		close(w->wake_fd);
		w->wake_fd = -1;
	}
	if (w->wake_fd < 0)
		DP_LOG(WARNING, "lcore %u: no wake-up event (%s): the master's frames wait up to %u us",
		       rte_lcore_id(), strerror(errno), w->idle_sleep_us);
	return true;
}

void
lb_dp_wake(struct lb_worker *w)
{
	static const uint64_t one = 1;

	/* the ring's enqueue before the look at waiting (pairs with the
	 * worker's store of waiting before its look at the ring) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->waiting, __ATOMIC_RELAXED) &&
	    w->wake_fd >= 0 && write(w->wake_fd, &one, sizeof(one)) < 0)
		return;   /* the counter is full: it is awake already */
}

/* Wait until a packet comes to one of the queues (its interrupt) or the
 * longest wait passes. The interrupt is armed only for the wait: while
 * busy, a worker polls. */
static void
idle_intr_wait(struct lb_worker *w)
{
	struct rte_epoll_event ev[LB_MAX_PORTS + 1];
	int timeout_ms = (int)((w->idle_sleep_us + 999) / 1000), n, i;
	unsigned int q;
	uint64_t v;

	for (q = 0; q < w->n_rxq; q++)
		rte_eth_dev_rx_intr_enable(w->port_ids[w->rxq[q].port],
					   w->rxq[q].queue);
	__atomic_store_n(&w->waiting, 1, __ATOMIC_SEQ_CST);
	/* frames the master queued before it could see us waiting */
	if (w->from_master == NULL || rte_ring_count(w->from_master) == 0)
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev,
				   (int)RTE_DIM(ev),
				   timeout_ms > 0 ? timeout_ms : 1);
	else
		n = 0;
	__atomic_store_n(&w->waiting, 0, __ATOMIC_RELAXED);
	if (w->wake_fd >= 0 && read(w->wake_fd, &v, sizeof(v)) < 0)
		v = 0;   /* nothing written: a packet or the time woke us */
	for (q = 0; q < w->n_rxq; q++)
		rte_eth_dev_rx_intr_disable(w->port_ids[w->rxq[q].port],
					    w->rxq[q].queue);
	/* a packet, not the master's wake-up nor the time, ended it */
	for (i = 0; i < n; i++)
		if (ev[i].fd != w->wake_fd) {
			w->stats[LB_STAT_IDLE_RX_WAKE]++;
			break;
		}
}

int
lb_dp_main_loop(void *arg)
{
	struct lb_worker *w = arg;
	struct rte_mbuf *pkts[LB_BURST];
	unsigned int idle = 0;
	bool busy = false, intr;
	uint64_t last;

	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_register(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	intr = w->idle == LB_DP_IDLE_INTERRUPT && idle_intr_setup(w);
	last = rte_rdtsc();
	while (!*w->quit) {
		const struct lb_snapshot *s =
			__atomic_load_n(w->snap, __ATOMIC_ACQUIRE);
		unsigned int q, work = 0;

		/* the previous iteration's ticks, from the clock read that
		 * starts this one: no extra TSC read */
		lb_dp_clock(w);
		w->stats[LB_STAT_CYCLES] += w->tsc - last;
		if (busy)
			w->stats[LB_STAT_BUSY_CYCLES] += w->tsc - last;
		last = w->tsc;
		for (q = 0; q < w->n_rxq; q++) {
			const struct lb_dp_rxq *rq = &w->rxq[q];
			uint16_t n = rte_eth_rx_burst(w->port_ids[rq->port],
						      rq->queue, pkts, LB_BURST);

			if (n == 0)
				continue;
			work += n;
			lb_dp_process(w, s, rq->port, pkts, n);
		}
		work += lb_dp_frag_release(w, s);
		if (unlikely(w->sync_in != NULL))
			work += lb_dp_sync_install(w, s,
						   LB_SYNC_INSTALL_BUDGET);
		work += lb_dp_drain_master(w);
		lb_dp_flush(w);
		busy = work > 0;
		w->stats[LB_STAT_FLOW_EXPIRED] +=
			lb_flow_sweep(w->flows, w->now, LB_SWEEP_BUDGET);
		lb_dp_flows_flush_step(w, LB_FLUSH_BUDGET);
		w->stats[LB_STAT_FLOW_TABLE_ERROR] = w->flows->errors;
		lb_flow_reclaim(w->flows);
		if (w->qsbr != NULL)
			rte_rcu_qsbr_quiescent(w->qsbr, w->qsbr_id);

		if (work > 0 || w->idle == LB_DP_IDLE_POLL) {
			idle = 0;
			continue;
		}
		if (++idle < (intr ? LB_IDLE_POLLS_INTR : LB_IDLE_POLLS))
			continue;
		/* about to idle: time to spare, age more (a table a flood
		 * filled empties in idle milliseconds, not at the pace of
		 * the waits) */
		w->stats[LB_STAT_FLOW_EXPIRED] +=
			lb_flow_sweep(w->flows, w->now, LB_SWEEP_IDLE_BUDGET);
		/* asleep we hold no snapshot: do not delay grace periods */
		if (w->qsbr != NULL)
			rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		w->stats[LB_STAT_IDLE_WAIT]++;
		if (intr)
			idle_intr_wait(w);
		else
			rte_delay_us_sleep(w->idle_sleep_us);
		if (w->qsbr != NULL)
			rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	/* the master has stopped: send what it left for us */
	while (lb_dp_drain_master(w) > 0)
		lb_dp_flush(w);
	if (w->wake_fd >= 0) {
		rte_epoll_ctl(RTE_EPOLL_PER_THREAD, EPOLL_CTL_DEL, w->wake_fd,
			      &w->wake_ev);
		close(w->wake_fd);
		w->wake_fd = -1;
	}
	lb_dp_worker_fini(w);
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_unregister(w->qsbr, w->qsbr_id);
	}
	return 0;
}
