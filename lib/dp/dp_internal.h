/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_DP_INTERNAL_H
#define LB_DP_INTERNAL_H

/*
 * What the files of lib/dp share. A burst goes through stages, each a
 * loop over the burst in a file of its own:
 *
 *   worker.c    the worker: set up, torn down, its lcore loop; a
 *               burst's stages in order (process_burst)
 *   classify.c  parse glue and classification: what each packet is
 *   classify6.c the same for IPv6 (NDP answered in place there)
 *   own.c       ARP and own-address traffic: answered in place, or
 *               policed onto the master's lanes
 *   icmp.c      ICMP: echo answered, an error sent to its flow's member
 *   decide.c    the flow decision: flow table, schedulers, persistence
 *   dp_sync.c   flow sync: confirmed flows staged, peers' installed
 *   frag.c      fragments: later ones follow their first
 *   frag6.c     the same for IPv6 fragments, in memory of their own
 *   tx.c        transmit: rewrite, retag, TX buffers, traffic counters
 *   walk.c      flows.list and flows.flush, for the master
 *
 * Calls go one way: worker.c calls the stages; classify.c calls own.c and
 * icmp.c, decide.c calls dp_sync.c, frag.c and frag6.c call tx.c (a
 * waiting fragment sent at last); no file calls back into one that calls it.
 * What several files need per packet is static inline here, so a
 * forwarded packet makes no call from one file to another; only the
 * exceptions do (ARP, own addresses, ICMP, fragments, flow sync).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>

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
	ACT_NDP_REPLY,   /* NDP answered in place: back on the input port */
	ACT_FLOW6,       /* ACT_FLOW in the IPv6 flow table (key in
			    dp_burst::keys6) */
	ACT_ICMP_FLOW6,  /* ACT_ICMP_FLOW of an ICMPv6 error (the same) */
	ACT_FRAG6,       /* ACT_FRAG of an IPv6 later fragment (its
			    addresses in dp_burst::keys6) */
};

/* dp_pkt::frag_first: which fragment memory remembers a first fragment */
#define DP_FRAG_FIRST4 1     /* classify.c sets it as a bool */
#define DP_FRAG_FIRST6 2

/* Per-packet scratch for one burst. */
struct dp_pkt {
	/* the flow; of an IPv6 packet, only its protocol and ports (its
	 * addresses are in dp_burst::keys6), and of an IPv6 fragment its
	 * 32-bit Identification in src_ip (dp_frag6_id()) */
	struct lb_tuple key;
	uint32_t sig;
	uint16_t svc;
	uint16_t member;
	uint16_t drop;
	uint16_t ip_id;
	uint8_t act;
	uint8_t tcp_flags;
	uint8_t frag_first;  /* remember the member for later fragments:
				DP_FRAG_FIRST4 or DP_FRAG_FIRST6 */
	uint8_t counted_svc; /* svc is set: count traffic against it */
};

/* A burst between its stages: classify fills d and lists the packets
 * that need the flow table (keys, sigs, idx: nf of them) for decide. */
struct dp_burst {
	struct dp_pkt d[LB_BURST];
	const void *keys[LB_BURST];      /* struct lb_tuple *, for lb_flow */
	uint32_t sigs[LB_BURST];
	uint8_t idx[LB_BURST];
	uint16_t nf;
	/* the same for IPv6 packets (ACT_FLOW6), their keys by packet */
	uint16_t nf6;
	const void *keys6p[LB_BURST];
	uint32_t sigs6[LB_BURST];
	uint8_t idx6[LB_BURST];
	struct lb_tuple6 keys6[LB_BURST];
	/* a later or first fragment, or an ICMP error about a flow: some
	 * packet is decided in arrival order (process_burst) */
	bool in_order;
};

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
	uint64_t w[2];

	if (likely(svc->persist_s == 0))
		return svc->sched == LB_SCHED_SH ?
			lb_tuple_hash_fields(k, LB_HASH_F_SRC_IP) : sig;
	lb_tuple_words(k->src_ip & svc->persist_mask, 0, 0, 0, k->proto, w);
	return lb_tuple_hash_words(w[0], w[1]);
}

/* The first prefix bits of an IPv6 address (16 bytes) into out. */
static inline void
ip6_prefix(const uint8_t *a, unsigned int prefix, uint8_t *out)
{
	unsigned int full = prefix / 8;

	memcpy(out, a, full);
	if (full < 16) {
		out[full] = (uint8_t)(a[full] & (0xff00 >> (prefix % 8)));
		memset(out + full + 1, 0, 16 - full - 1);
	}
}

/* consistent_sig() of an IPv6 flow: with persistence, the hash of the
 * client's prefix (persistence_prefix6). */
static inline uint32_t
consistent_sig6(const struct lb_snap_service *svc, const struct lb_tuple6 *k,
		uint32_t sig)
{
	struct lb_tuple6 c = { .proto = k->proto };

	if (likely(svc->persist_s == 0))
		return svc->sched == LB_SCHED_SH ?
			lb_tuple6_hash_fields(k, LB_HASH_F_SRC_IP) : sig;
	ip6_prefix(k->src_ip, svc->persist_prefix6, c.src_ip);
	return lb_tuple6_hash(&c);
}

/*
 * The key of an IPv6 client's persistence record: the hash of its
 * prefix, in the 32 bits the records are keyed by (a record holds a
 * member, not the address). Two prefixes with one hash share a record,
 * one chance in 2^32 per pair: both are sent where the record says,
 * a member of the service that takes their flows.
 */
static inline uint32_t
persist_key6(const struct lb_snap_service *svc, const struct lb_tuple6 *k)
{
	uint8_t p[16];

	ip6_prefix(k->src_ip, svc->persist_prefix6, p);
	return lb_snap_addr6_hash(p);
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

/* consistent() of a packet of either family (k6: IPv6's key, or NULL). */
static __rte_always_inline uint32_t
flow_csig(const struct lb_snap_service *svc, const struct dp_pkt *d,
	  const struct lb_tuple6 *k6)
{
	return k6 == NULL ? consistent_sig(svc, &d->key, d->sig) :
		consistent_sig6(svc, k6, d->sig);
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

/* The key of a client's persistence record: its masked address
 * (IPv4), or persist_key6(). */
static __rte_always_inline uint32_t
client_key(const struct lb_snap_service *svc, const struct dp_pkt *d,
	   const struct lb_tuple6 *k6)
{
	return k6 == NULL ? d->key.src_ip & svc->persist_mask :
		persist_key6(svc, k6);
}

/* The member a client's record names (client: client_key()), if it is
 * still the member of that slot (not one that took a removed member's
 * slot) and may take the client's flows; LB_SCHED_NONE if none. */
static inline uint16_t
persist_find(const struct lb_worker *w, const struct lb_snapshot *s,
	     const struct lb_snap_service *svc, uint32_t client)
{
	uint32_t gen = 0;
	int r = lb_persist_lookup(svc->persist, client,
				  w->now_s, svc->persist_s, &gen);

	return r >= 0 &&
	       lb_persist_gen_matches(gen, s->members[r].gen) &&
	       persist_usable(s, svc, (uint16_t)r) ?
		(uint16_t)r : LB_SCHED_NONE;
}

/* ---- classification ---- */

/* The IPv6 flow client -> VIP in k6; in d what the decision reads of
 * any flow: its protocol and ports (the addresses are k6's). Ports,
 * protocol and pad in one 8-byte store each, as the hash loads them
 * (lb_tuple_words()). */
static inline void
dp_flow6_set(struct dp_pkt *d, struct lb_tuple6 *k6, const uint8_t *client,
	     const uint8_t *vip, uint16_t client_port, uint16_t vip_port,
	     uint8_t proto)
{
	uint64_t w[2];

	lb_tuple_words(0, 0, client_port, vip_port, proto, w);
	memcpy(k6->src_ip, client, 16);
	memcpy(k6->dst_ip, vip, 16);
	memcpy((uint8_t *)k6 + offsetof(struct lb_tuple6, src_port), &w[1],
	       sizeof(w[1]));
	lb_tuple_store(&d->key, w);
}

/* Destination port owned by a member's source-port range, by a service,
 * or by nothing. Sets d->act to FWD, FLOW or DROP. k6: an IPv6 packet's
 * key, or NULL. */
static __rte_always_inline void
classify_l4(struct lb_worker *w, const struct lb_snapshot *s,
	    const struct lb_snap_vip *v, struct dp_pkt *d,
	    const struct lb_tuple6 *k6)
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
		d->member = consistent_new(svc, k6 == NULL ?
			lb_tuple_hash_fields(&d->key, svc->hash_fields) :
			lb_tuple6_hash_fields(k6, svc->hash_fields));
		if (d->member == LB_SCHED_NONE)
			drop(d, LB_STAT_DROP_NO_MEMBER);
		else
			d->act = ACT_FWD;
		return;
	}
	d->sig = k6 == NULL ? lb_tuple_hash(&d->key) : lb_tuple6_hash(k6);
	d->act = ACT_FLOW;
}

/* classify.c */

/* Classify a burst: d of every packet, the list of those that need the
 * flow table. */
void dp_classify_burst(struct lb_worker *w, const struct lb_snapshot *s,
		       unsigned int port, struct rte_mbuf **pkts, uint16_t n,
		       struct dp_burst *b);

/* classify6.c */

/* Classify an IPv6 frame (lb_pkt_parse() found no IPv4 or ARP in it):
 * d, and k6 for ACT_FLOW6. */
void dp_classify6(struct lb_worker *w, const struct lb_snapshot *s,
		  unsigned int port, struct rte_mbuf *m, struct dp_pkt *d,
		  struct lb_tuple6 *k6);

/* own.c */

/* The policers of the lanes to the master, from the parameters:
 * 0 or -EINVAL. */
int dp_police_init(struct lb_worker *w, const struct lb_dp_params *p);
void dp_classify_arp(struct lb_worker *w, const struct lb_snapshot *s,
		     unsigned int port, uint8_t *data, const struct lb_pkt *pk,
		     struct dp_pkt *d);
void dp_classify_own(struct lb_worker *w, const struct lb_snapshot *s,
		     const uint8_t *data, const struct lb_pkt *pk,
		     struct dp_pkt *d);
struct lb_pkt6;
void dp_classify_na(struct lb_worker *w, const struct lb_snapshot *s,
		    unsigned int port, const uint8_t *data,
		    const struct lb_pkt6 *pk, struct dp_pkt *d);
void dp_classify_own6(struct lb_worker *w, const struct lb_snapshot *s,
		      const uint8_t *data, const struct lb_pkt6 *pk,
		      struct dp_pkt *d);
void dp_classify_vrrp(struct lb_worker *w, const struct lb_snapshot *s,
		      const struct lb_snap_port *sp, const struct lb_pkt *pk,
		      struct dp_pkt *d);

/* icmp.c */

/* An ICMP packet to a VIP: an echo request answered in place, an error
 * about a flow (ACT_ICMP_FLOW, or ACT_FWD for a stateless service or a
 * member's source port), or a drop. */
void dp_classify_icmp(struct lb_worker *w, const struct lb_snapshot *s,
		      const struct lb_snap_vip *v, uint8_t *data, uint32_t len,
		      const struct lb_pkt *pk, struct dp_pkt *d);
void dp_icmp_flow(struct lb_worker *w, const struct lb_snapshot *s,
		  struct dp_pkt *d);
/* The same for an ICMPv6 error about the IPv6 flow k6. */
void dp_icmp_flow6(struct lb_worker *w, const struct lb_snapshot *s,
		   struct dp_pkt *d, const struct lb_tuple6 *k6);

/* decide.c */

/* The member of every packet of the burst that needs the flow table. */
void dp_decide_burst(struct lb_worker *w, const struct lb_snapshot *s,
		     struct dp_burst *b);
/* The same for the IPv6 packets (ACT_FLOW6), in the IPv6 table. */
void dp_decide6_burst(struct lb_worker *w, const struct lb_snapshot *s,
		      struct dp_burst *b);

/* dp_sync.c */

/* k6: an IPv6 packet's key, or NULL (its flow is then d->key) */
void dp_sync_stage(struct lb_worker *w, const struct lb_snapshot *s,
		   const struct dp_pkt *d, const struct lb_tuple6 *k6,
		   const struct lb_flow_entry *e);
void dp_sync_stage_ended(struct lb_worker *w, const struct lb_snapshot *s,
			 const struct dp_pkt *d, const struct lb_tuple6 *k6,
			 const struct lb_flow_entry *e);
void dp_sync_stage_handoff(struct lb_worker *w, const struct dp_pkt *d,
			   const struct lb_tuple6 *k6, uint8_t state);

/* frag.c */

void dp_frag_later(struct lb_worker *w, const struct lb_snapshot *s,
		   unsigned int port, struct rte_mbuf *m, struct dp_pkt *d);
bool dp_frag_remember(struct lb_worker *w, const struct lb_snapshot *s,
		      const struct dp_pkt *d);

/* Send a later fragment where its first fragment's decision (member of
 * generation gen, service svc counted if has_svc) says, if that member
 * can still take it. */
static inline void
dp_frag_follow(const struct lb_snapshot *s, uint16_t member, uint32_t gen,
	       uint16_t svc, uint8_t has_svc, struct dp_pkt *d)
{
	const struct lb_snap_member *sm = &s->members[member];

	if (sm->gen != gen || !(sm->flags & LB_SM_FWD)) {
		drop(d, LB_STAT_DROP_MEMBER_UNUSABLE);
		return;
	}
	d->member = member;
	d->svc = svc;
	d->counted_svc = has_svc;
	d->act = ACT_FWD;
}

/* frag6.c */

/* Where an IPv6 fragment's 32-bit Identification is kept (dp_pkt). */
static inline uint32_t *
dp_frag6_id(struct dp_pkt *d)
{
	return &d->key.src_ip;
}

/* The IPv6 peers of dp_frag_later() and dp_frag_remember(): k6 holds
 * the datagram's addresses. */
void dp_frag6_later(struct lb_worker *w, const struct lb_snapshot *s,
		    unsigned int port, struct rte_mbuf *m, struct dp_pkt *d,
		    const struct lb_tuple6 *k6);
bool dp_frag6_remember(struct lb_worker *w, const struct lb_snapshot *s,
		       struct dp_pkt *d, const struct lb_tuple6 *k6);
/* lb_dp_frag_release() of the IPv6 waiting room. */
unsigned int dp_frag6_release(struct lb_worker *w,
			      const struct lb_snapshot *s);
/* Free what waits in it (lb_dp_worker_fini()). */
void dp_frag6_fini(struct lb_worker *w);

/* tx.c */

/* Send, hand to the master or free every packet of a burst (or a
 * waiting fragment, a burst of one), as d says: the packets queued for
 * TX. */
uint16_t dp_tx_burst(struct lb_worker *w, const struct lb_snapshot *s,
		     unsigned int port, struct rte_mbuf *const *pkts,
		     const struct dp_pkt *d, uint16_t n);

#endif /* LB_DP_INTERNAL_H */
