/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Flow sync (IPVSHelper's -s syncID): the flows a peer balancer could
 * not compute from a packet (wrr, wlc, persistence, rescheduled) go to
 * the configured peers in batched, authenticated UDP messages (lib/sync)
 * from the own address, through the kernel interface; the peers'
 * messages come back the same way and are applied to the workers'
 * tables by the origin rules (lb_dp_sync_install()).
 *
 *  - out: the workers stage the flows they carry when they are
 *    confirmed, move, or end, and their clients' persistence records;
 *    the master maps slots to addresses (slot numbers differ between
 *    balancers) and sends a message once it is full or its first record
 *    is SYNC_BATCH_MS old. A record says how long the peer's copy
 *    lives: what the flow has left here, plus a refresh period. IPv6
 *    flows and records, and those of an IPv6-addressed member, go in
 *    FLOWS6 messages of their own (a batch per message type), and come
 *    back into the workers' tables of their family;
 *  - refresh: a slow walk of every table re-announces the flows this
 *    balancer carries that saw a packet since the previous round (an
 *    idle flow's copy already lives as long as the flow), and the
 *    persistence records used since; never a learned copy (the peer
 *    that carries a flow announces it). Sync traffic follows the
 *    traffic, not the size of the tables;
 *  - bulk: a starting balancer asks its peers for everything
 *    (BULK_REQUEST with a nonce) and holds its activation until each
 *    has answered (BULK_END with that nonce) or
 *    high_availability.sync.bulk_wait_ms has passed; a peer answers
 *    with the same walk, paced, every flow and record it owns;
 *  - in: only from a configured peer, sent on the link (TTL 255, as
 *    VRRP and BGP's GTSM), from the peer's MAC (lb_agent_sync_frame_ok,
 *    on the way to the kernel), with our sync_id, a right MAC under
 *    one of the group's keys, and a sequence number not seen before
 *    (the replay window); a bulk request at most once a second per
 *    peer. The rest is counted and dropped.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <sodium.h>

#include "lb_persist.h"
#include "lb_sync.h"
#include "agent_internal.h"

#define SYNC_BATCH_MS 20          /* a record waits this long at most */
#define SYNC_OUT_BUDGET 2048      /* staged flows taken per worker, per pass */
#define SYNC_IN_MSGS 64           /* messages read per pass */
#define SYNC_WALK_SCAN 4096       /* table positions a walk step reads */
#define SYNC_WALK_MSGS 4          /* messages a walk step may send */
#define SYNC_WALK_STEP_MS 1       /* between two walk steps */

/* One message being filled, for every peer or one: FLOWS (IPv4
 * records to IPv4 members) or FLOWS6 (the rest), each its own batch. */
struct sync_batch {
	unsigned int n;
	unsigned int max;             /* records a message of type holds */
	uint8_t type;
	uint64_t first_ms;            /* when its first record came */
	struct lb_sync_rec r[LB_SYNC_MAX_RECS];
};

/* A VIP, protocol and port that reach a service: what a persistence
 * record from the walk names it by (one of each family). */
struct svc_reach {
	struct lb_ip vip;
	uint16_t port;
	uint8_t proto;
	bool found;
};

struct ag_sync {
	int fd;
	uint32_t id;
	uint16_t port;                /* host order */
	unsigned int n_peers;
	uint32_t peers[LB_SYNC_PEERS_MAX];
	struct lb_sync_peer_rx rx[LB_SYNC_PEERS_MAX];
	uint64_t seq;                 /* last sent */
	/* new, moved and ended flows, to all: [0] FLOWS, [1] FLOWS6 */
	struct sync_batch out[2];
	/* the walk: a refresh round (to all) or a bulk answer (to one) */
	bool walking;
	int walk_peer;                /* index in peers, -1: all */
	uint64_t walk_nonce;          /* the bulk request answered */
	unsigned int walk_worker;     /* then the services' records */
	uint32_t walk_cursor;
	unsigned int walk_svc;
	struct svc_reach walk_reach[2]; /* of walk_svc: IPv4, IPv6 */
	uint64_t walk_next_ms;        /* next step */
	uint64_t walk_since;          /* refresh: flows with a packet since
					 this time (the previous round's
					 start: before its visit of each
					 flow); 0: all (a bulk answer) */
	uint64_t round_ms;            /* start of the last refresh round */
	uint64_t refresh_ms;          /* next refresh round */
	uint64_t refresh_period_ms;
	uint32_t bulk_pending;        /* peers whose request waits */
	struct sync_batch walk[2];    /* [0] FLOWS, [1] FLOWS6 */
	/* our own bulk request at start */
	struct lb_sync_bulk bulk;
	bool activate_pending;        /* activate once the bulk is in */
	uint64_t tsc_per_ms;
};

static uint32_t
now_s(const struct ag_sync *sy)
{
	/* the workers' clock (lb_dp_clock): persistence records compare
	 * against it */
	return (uint32_t)(rte_rdtsc() / sy->tsc_per_ms / 1000);
}

static const struct lb_conf_keys *
keys_of(const struct lb_agent *ag)
{
	/* a reload with new keys replaces them in the settings: the next
	 * message is signed with the new first key */
	return &lb_core_settings(ag->core)->ha.sync_keys;
}

/* ---- sending ---- */

static void
send_to(struct lb_agent *ag, uint32_t peer, const uint8_t *buf, size_t len)
{
	struct ag_sync *sy = ag->sync;
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(sy->port),
		.sin_addr.s_addr = peer,
	};

	if (sendto(sy->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
		   sizeof(sa)) == (ssize_t)len)
		ag->mstats[LB_STAT_SYNC_MSGS_OUT]++;
	else
		ag->mstats[LB_STAT_SYNC_SEND_FAIL]++;
}

/* A message of type t with the batch's records, to one peer or all. */
static void
send_msg(struct lb_agent *ag, uint8_t type, struct sync_batch *b, int peer,
	 uint64_t nonce)
{
	struct ag_sync *sy = ag->sync;
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct lb_sync_hdr h = { .type = type, .id = sy->id,
				 .seq = ++sy->seq, .nonce = nonce };
	unsigned int n = b != NULL ? b->n : 0, i;
	size_t len;

	len = lb_sync_encode(buf, sizeof(buf), &h, b != NULL ? b->r : NULL, n,
			     keys_of(ag));
	if (b != NULL)
		b->n = 0;
	if (len == 0) {
		ag->mstats[LB_STAT_SYNC_SEND_FAIL]++;
		return;
	}
	ag->mstats[LB_STAT_SYNC_FLOWS_OUT] += n;
	if (peer >= 0) {
		send_to(ag, sy->peers[peer], buf, len);
		return;
	}
	for (i = 0; i < sy->n_peers; i++)
		send_to(ag, sy->peers[i], buf, len);
}

/* The IPv6 half of to_rec(). */
static bool
to_rec6(const struct lb_snapshot *s, const struct lb_dp_sync *d,
	const struct lb_ip *member, uint32_t lifetime_ms, struct lb_sync_rec *r)
{
	*r = (struct lb_sync_rec){
		.kind = d->kind == LB_DP_SYNC_PERSIST ? LB_SYNC_K_PERSIST :
			LB_SYNC_K_FLOW,
		.proto = d->key6.proto, .v6 = true,
		.cport = d->key6.src_port, .vport = d->key6.dst_port,
		.member = *member,
		.lifetime_ms = RTE_MIN(lifetime_ms, LB_SYNC_LIFETIME_MAX),
	};
	memcpy(r->vip6, d->key6.dst_ip, sizeof(r->vip6));
	if (r->kind == LB_SYNC_K_PERSIST) {
		/* the record's key, and the prefix it was made from */
		r->cport = 0;
		r->client = lb_dp_sync_key6(d);
		r->state = s->services[d->svc].persist_prefix6;
		return lb_sync_rec_valid(r);
	}
	memcpy(r->client6, d->key6.src_ip, sizeof(r->client6));
	if (d->kind == LB_DP_SYNC_ENDED) {
		r->state = LB_SYNC_ST_ENDED;
		r->lifetime_ms = 0;
	} else {
		r->state = r->proto == LB_IPPROTO_TCP ? LB_SYNC_ST_TCP_EST :
			LB_SYNC_ST_UDP;
	}
	return lb_sync_rec_valid(r);
}

/* A flow or persistence record of a worker (slots) as a message record
 * (addresses), its copy living lifetime_ms; false if its member changed
 * meanwhile. */
static bool
to_rec(struct lb_agent *ag, const struct lb_dp_sync *d, uint32_t lifetime_ms,
       struct lb_sync_rec *r)
{
	const struct lb_core_member *m = lb_core_member(ag->core, d->member);
	const struct lb_snapshot *s = lb_core_snapshot(ag->core);

	/* records name the member by its address, of either family */
	if (m == NULL || m->gen != d->member_gen || s == NULL ||
	    d->svc >= LB_MAX_SERVICES)
		return false;
	if (d->v6)
		return to_rec6(s, d, &m->conf.addr, lifetime_ms, r);
	*r = (struct lb_sync_rec){
		.kind = d->kind == LB_DP_SYNC_PERSIST ? LB_SYNC_K_PERSIST :
			LB_SYNC_K_FLOW,
		.proto = d->key.proto, .client = d->key.src_ip,
		.vip = d->key.dst_ip, .cport = d->key.src_port,
		.vport = d->key.dst_port,
		.member = m->conf.addr,
		.lifetime_ms = RTE_MIN(lifetime_ms, LB_SYNC_LIFETIME_MAX),
	};
	if (r->kind == LB_SYNC_K_PERSIST) {
		r->cport = 0;
		r->state = (uint8_t)__builtin_popcount(
			s->services[d->svc].persist_mask);
		r->client &= s->services[d->svc].persist_mask;
	} else if (d->kind == LB_DP_SYNC_ENDED) {
		r->state = LB_SYNC_ST_ENDED;
		r->lifetime_ms = 0;
	} else {
		r->state = d->key.proto == LB_IPPROTO_TCP ?
			LB_SYNC_ST_TCP_EST : LB_SYNC_ST_UDP;
	}
	return lb_sync_rec_valid(r);
}

/* A persistence record's lifetime at a peer: a second less than it has
 * here, so records passed back and forth never outlive their source. */
static uint32_t
persist_lifetime_ms(uint32_t left_s)
{
	return left_s > 1 ? (left_s - 1) * 1000 : 0;
}

static void
batch_init(struct sync_batch b[2])
{
	b[0] = (struct sync_batch){ .type = LB_SYNC_FLOWS,
				    .max = LB_SYNC_MAX_RECS };
	b[1] = (struct sync_batch){ .type = LB_SYNC_FLOWS6,
				    .max = LB_SYNC_MAX_RECS6 };
}

/* A batch's records, now, if it has any. */
static void
batch_send(struct lb_agent *ag, struct sync_batch *b, int peer)
{
	if (b->n > 0)
		send_msg(ag, b->type, b, peer, 0);
}

/* A record into the batch of its message type (b: the pair). */
static void
batch_add(struct lb_agent *ag, struct sync_batch b[2],
	  const struct lb_sync_rec *r, int peer, uint64_t now)
{
	struct sync_batch *f =
		&b[lb_sync_rec_type(r) == LB_SYNC_FLOWS6 ? 1 : 0];

	if (f->n == 0)
		f->first_ms = now;
	f->r[f->n++] = *r;
	if (f->n == f->max)
		send_msg(ag, f->type, f, peer, 0);
}

/* The worker a record for a flow goes to: the one whose table holds the
 * flow (one entry per flow), else its home (lb_dp: sync_home). */
static unsigned int
target_worker(const struct lb_agent *ag, const struct lb_dp_sync *d)
{
	uint32_t sig = d->v6 ? lb_tuple6_hash(&d->key6) :
			       lb_tuple_hash(&d->key);
	unsigned int i, n = ag->env->n_workers;

	for (i = 0; i < n; i++)
		if (d->v6 ? lb_dp_flow6_held(ag->env->workers[i].w, &d->key6,
					     sig) :
		    lb_dp_flow_held(ag->env->workers[i].w, &d->key, sig))
			return i;
	return sig % n;
}

static void
to_worker(struct lb_agent *ag, unsigned int i, struct lb_dp_sync *d)
{
	if (rte_ring_sp_enqueue_elem(ag->env->workers[i].sync_in, d,
				     sizeof(*d)) != 0) {
		ag->mstats[LB_STAT_SYNC_IN_RING_FULL]++;
		return;
	}
	ag->mstats[LB_STAT_SYNC_FLOWS_ACCEPTED]++;
}

/* One staged record of a worker: to the peers, or (a handoff) to the
 * worker that holds the learned copy. */
static void
out_one(struct lb_agent *ag, const struct lb_snapshot *s,
	const struct lb_dp_sync *d, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	struct lb_sync_rec r;
	uint32_t life;

	if (d->kind == LB_DP_SYNC_HANDOFF) {
		struct lb_dp_sync h = *d;
		unsigned int home = (h.v6 ? lb_tuple6_hash(&h.key6) :
				     lb_tuple_hash(&h.key)) %
				    ag->env->n_workers;

		if (rte_ring_sp_enqueue_elem(ag->env->workers[home].sync_in,
					     &h, sizeof(h)) != 0)
			ag->mstats[LB_STAT_SYNC_IN_RING_FULL]++;
		return;
	}
	if (s == NULL || d->svc >= s->n_services) {
		ag->mstats[LB_STAT_SYNC_STALE]++;
		return;
	}
	if (d->kind == LB_DP_SYNC_PERSIST)
		life = persist_lifetime_ms(s->services[d->svc].persist_s);
	else
		life = s->timeouts.t[d->state < LB_FLOW_STATE_MAX ? d->state :
				     LB_FLOW_TCP_EST] +
		       (uint32_t)sy->refresh_period_ms;
	if (to_rec(ag, d, life, &r))
		batch_add(ag, sy->out, &r, -1, now);
	else
		ag->mstats[LB_STAT_SYNC_STALE]++;
}

/* What the workers staged: to every peer, batched. */
static unsigned int
out_run(struct lb_agent *ag, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_snapshot *s = lb_core_snapshot(ag->core);
	struct lb_dp_sync d[64];
	unsigned int i, k, n, done = 0, got;

	for (i = 0; i < ag->env->n_workers; i++) {
		got = 0;
		while (got < SYNC_OUT_BUDGET) {
			n = rte_ring_sc_dequeue_burst_elem(
				ag->env->workers[i].sync_out, d, sizeof(d[0]),
				RTE_DIM(d), NULL);
			for (k = 0; k < n; k++)
				out_one(ag, s, &d[k], now);
			got += n;
			if (n < RTE_DIM(d))
				break;
		}
		done += got;
	}
	for (i = 0; i < 2; i++)
		if (sy->out[i].n > 0 && now >= sy->out[i].first_ms +
		    SYNC_BATCH_MS)
			batch_send(ag, &sy->out[i], -1);
	return done;
}

/* ---- the walk: refresh rounds, bulk answers ---- */

static void
walk_start(struct ag_sync *sy, int peer, uint64_t nonce, uint64_t now)
{
	sy->walking = true;
	sy->walk_peer = peer;
	sy->walk_nonce = nonce;
	sy->walk_worker = 0;
	sy->walk_cursor = 0;
	sy->walk_svc = 0;
	sy->walk_reach[0].found = sy->walk_reach[1].found = false;
	sy->walk_next_ms = now;
	sy->walk[0].n = sy->walk[1].n = 0;
	if (peer < 0) {
		/* a refresh: what saw traffic since the last round began */
		sy->walk_since = sy->round_ms;
		sy->round_ms = now;
	} else {
		sy->walk_since = 0;   /* a bulk answer: all */
	}
}

/* How far back a flow's last packet may be for the walk to announce
 * it: to the previous round's start (UINT64_MAX: everything). */
static uint64_t
walk_window(const struct ag_sync *sy, uint64_t now)
{
	return sy->walk_since == 0 ? UINT64_MAX : now - sy->walk_since;
}

/* The first VIP port of each family that reaches service si: out[0]
 * IPv4's, out[1] IPv6's. */
static void
reach_of(const struct lb_snapshot *s, unsigned int si, struct svc_reach out[2])
{
	uint32_t v, k;
	unsigned int p;

	out[0].found = out[1].found = false;
	for (v = 0; v < s->n_vips; v++) {
		struct svc_reach *o = &out[lb_ip_is4(&s->vips[v].addr) ? 0 : 1];

		for (p = 0; p < 2 && !o->found; p++) {
			const struct lb_range *r =
				&s->ranges[s->vips[v].first[p]];

			for (k = 0; k < s->vips[v].count[p]; k++)
				if (r[k].kind == LB_RANGE_SERVICE &&
				    r[k].target == si) {
					*o = (struct svc_reach){
						.vip = s->vips[v].addr,
						.port = r[k].lo,
						.proto = p == LB_PROTO_TCP ?
							LB_IPPROTO_TCP :
							LB_IPPROTO_UDP,
						.found = true };
					break;
				}
		}
	}
}

/* Flows of the worker being walked: the ones this balancer carries and
 * a peer could not compute (refresh: with a packet since the round
 * before). *scanned grows by the positions read. */
static void
walk_flows(struct lb_agent *ag, const struct lb_snapshot *s, uint64_t now,
	   unsigned int *scanned)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_worker *w = ag->env->workers[sy->walk_worker].w;
	struct lb_dp_flow f[LB_SYNC_MAX_RECS];
	unsigned int n, i;

	n = lb_dp_flows_walk(w, NULL, &sy->walk_cursor, f, RTE_DIM(f),
			     SYNC_WALK_SCAN / 4);
	*scanned += SYNC_WALK_SCAN / 4;
	for (i = 0; i < n; i++) {
		struct lb_dp_sync d = {
			.member = f[i].member,
			.member_gen = f[i].member_gen, .svc = f[i].svc,
			.kind = LB_DP_SYNC_FLOW, .state = f[i].state,
			.v6 = f[i].v6,
		};
		struct lb_sync_rec r;

		if (f[i].v6)
			d.key6 = f[i].key6;
		else
			d.key = f[i].key;
		if (f[i].learned ||
		    (f[i].state != LB_FLOW_TCP_EST &&
		     f[i].state != LB_FLOW_UDP) ||
		    f[i].svc >= s->n_services ||
		    s->members[f[i].member].gen != f[i].member_gen ||
		    !lb_sync_refresh_due(f[i].expires_in_ms,
					 s->timeouts.t[f[i].state],
					 walk_window(sy, now)) ||
		    (f[i].v6 ? lb_dp_flow6_computable(s, f[i].svc, &f[i].key6,
						      f[i].member) :
		     lb_dp_flow_computable(s, f[i].svc, &f[i].key,
					   f[i].member)) ||
		    !to_rec(ag, &d, f[i].expires_in_ms +
			    (uint32_t)sy->refresh_period_ms, &r))
			continue;
		batch_add(ag, sy->walk, &r, sy->walk_peer, now);
	}
	if (sy->walk_cursor == LB_DP_WALK_END) {
		sy->walk_worker++;
		sy->walk_cursor = 0;
	}
}

/*
 * The walk's persistence record pr of service svc as a worker's record.
 * The table keys an IPv4 client by its masked address and an IPv6
 * client by a hash of its prefix (lib/dp: persist_key6), and cannot
 * tell them apart. A key that is a masked address goes as an IPv4
 * record by an IPv4 VIP of the service (as it always did), any other
 * (an IPv6 client's) as an IPv6 record by an IPv6 VIP, which carries
 * the key as it is. Either way the peer stores the key it came with.
 * False if the service has no VIP for the key's form.
 */
static bool
walk_record(const struct ag_sync *sy, const struct lb_snapshot *s,
	    const struct lb_snap_service *svc, const struct lb_persist_rec *pr,
	    struct lb_dp_sync *d)
{
	const struct svc_reach *r4 = &sy->walk_reach[0];
	const struct svc_reach *r6 = &sy->walk_reach[1];

	*d = (struct lb_dp_sync){
		.member = pr->member,
		.member_gen = s->members[pr->member].gen,
		.svc = (uint16_t)sy->walk_svc, .kind = LB_DP_SYNC_PERSIST,
	};
	if (r4->found && (pr->client & ~svc->persist_mask) == 0) {
		d->key = (struct lb_tuple){
			.src_ip = pr->client, .dst_ip = lb_ip_v4(&r4->vip),
			.dst_port = r4->port, .proto = r4->proto };
		return true;
	}
	if (!r6->found)
		return false;
	memcpy(d->key6.src_ip, &pr->client, sizeof(pr->client));
	memcpy(d->key6.dst_ip, r6->vip.b, sizeof(d->key6.dst_ip));
	d->key6.dst_port = r6->port;
	d->key6.proto = r6->proto;
	d->v6 = 1;
	return true;
}

/* Persistence records of the service being walked (refresh: used since
 * the round before). */
static void
walk_records(struct lb_agent *ag, const struct lb_snapshot *s, uint64_t now,
	     unsigned int *scanned)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_snap_service *svc = &s->services[sy->walk_svc];
	uint32_t ns = now_s(sy), end;
	bool reach;

	if (!svc->valid || svc->persist == NULL || svc->stateless) {
		sy->walk_svc++;
		sy->walk_cursor = 0;
		sy->walk_reach[0].found = sy->walk_reach[1].found = false;
		return;
	}
	if (sy->walk_cursor == 0)
		reach_of(s, sy->walk_svc, sy->walk_reach);
	reach = sy->walk_reach[0].found || sy->walk_reach[1].found;
	end = RTE_MIN(lb_persist_slots(svc->persist),
		      sy->walk_cursor + SYNC_WALK_SCAN / 4);
	for (; reach && sy->walk_cursor < end; sy->walk_cursor++) {
		struct lb_persist_rec pr;
		struct lb_dp_sync d;
		struct lb_sync_rec r;

		if (!lb_persist_read(svc->persist, sy->walk_cursor, ns,
				     svc->persist_s, &pr) ||
		    pr.member >= LB_MAX_MEMBERS ||
		    !lb_persist_gen_matches(pr.gen, s->members[pr.member].gen) ||
		    !lb_sync_refresh_due(pr.left_s * 1000,
					 svc->persist_s * 1000,
					 walk_window(sy, now)) ||
		    !walk_record(sy, s, svc, &pr, &d))
			continue;
		if (persist_lifetime_ms(pr.left_s) > 0 &&
		    to_rec(ag, &d, persist_lifetime_ms(pr.left_s), &r))
			batch_add(ag, sy->walk, &r, sy->walk_peer, now);
	}
	*scanned += SYNC_WALK_SCAN / 4;
	if (!reach || sy->walk_cursor >= lb_persist_slots(svc->persist)) {
		sy->walk_svc++;
		sy->walk_cursor = 0;
		sy->walk_reach[0].found = sy->walk_reach[1].found = false;
	}
}

/* One paced step of the walk: flows in table order, then persistence
 * records, SYNC_WALK_MSGS messages at most. */
static void
walk_step(struct lb_agent *ag, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_snapshot *s = lb_core_snapshot(ag->core);
	uint32_t msgs_before = (uint32_t)ag->mstats[LB_STAT_SYNC_MSGS_OUT];
	unsigned int scanned = 0;

	if (!sy->walking) {
		if (sy->bulk_pending != 0) {
			int p = __builtin_ctz(sy->bulk_pending);

			sy->bulk_pending &= ~(1u << p);
			walk_start(sy, p, sy->rx[p].bulk_nonce, now);
		} else if (now >= sy->refresh_ms) {
			sy->refresh_ms = now + sy->refresh_period_ms;
			walk_start(sy, -1, 0, now);
		} else {
			return;
		}
	}
	if (now < sy->walk_next_ms || s == NULL)
		return;
	sy->walk_next_ms = now + SYNC_WALK_STEP_MS;
	while (scanned < SYNC_WALK_SCAN &&
	       (uint32_t)ag->mstats[LB_STAT_SYNC_MSGS_OUT] - msgs_before <
	       SYNC_WALK_MSGS * (sy->walk_peer < 0 ? sy->n_peers : 1)) {
		if (sy->walk_worker < ag->env->n_workers)
			walk_flows(ag, s, now, &scanned);
		else if (sy->walk_svc < s->n_services)
			walk_records(ag, s, now, &scanned);
		else
			break;
	}
	if (sy->walk_worker < ag->env->n_workers ||
	    sy->walk_svc < s->n_services)
		return;
	/* the round is over */
	batch_send(ag, &sy->walk[0], sy->walk_peer);
	batch_send(ag, &sy->walk[1], sy->walk_peer);
	if (sy->walk_peer >= 0) {
		char buf[INET_ADDRSTRLEN];

		send_msg(ag, LB_SYNC_BULK_END, NULL, sy->walk_peer,
			 sy->walk_nonce);
		ag->mstats[LB_STAT_SYNC_BULK_SENT]++;
		AG_LOG(NOTICE, "flow sync: bulk sync to %s sent",
			lb_conf_ip_str(sy->peers[sy->walk_peer], buf));
	}
	sy->walking = false;
}

/* ---- receiving ---- */

/* The service a record is about, as a packet of it would find it; -1 if
 * none here. */
static int
rec_service(const struct lb_snapshot *s, const struct lb_sync_rec *r)
{
	const struct lb_range *rg;
	unsigned int vi;

	if (r->v6) {
		const struct lb_addr6_slot *a6 =
			lb_snap_addr6_lookup(s, r->vip6);

		if (a6 == NULL || a6->kind != LB_ADDR_VIP)
			return -1;
		vi = a6->idx;
	} else {
		const struct lb_addr_slot *a = lb_snap_addr_lookup(s, r->vip);

		if (a == NULL || a->kind != LB_ADDR_VIP)
			return -1;
		vi = a->idx;
	}
	rg = lb_snap_range_lookup(s, &s->vips[vi],
				  r->proto == LB_IPPROTO_TCP ? LB_PROTO_TCP :
				  LB_PROTO_UDP, r->vport);
	if (rg == NULL || rg->kind != LB_RANGE_SERVICE)
		return -1;
	return rg->target;
}

/* The slot of the member a record names, by the address table of its
 * family; -1 if no member here has that address. */
static int
rec_member(const struct lb_snapshot *s, const struct lb_sync_rec *r)
{
	unsigned int kind, idx;

	if (lb_ip_is4(&r->member)) {
		const struct lb_addr_slot *a =
			lb_snap_addr_lookup(s, lb_ip_v4(&r->member));

		if (a == NULL)
			return -1;
		kind = a->kind;
		idx = a->idx;
	} else {
		const struct lb_addr6_slot *a6 =
			lb_snap_addr6_lookup(s, r->member.b);

		if (a6 == NULL)
			return -1;
		kind = a6->kind;
		idx = a6->idx;
	}
	return kind == LB_ADDR_MEMBER && idx < LB_MAX_MEMBERS ? (int)idx : -1;
}

/* A peer's record, applied through one view: the published snapshot
 * says which slot holds the member (its address index), in which state,
 * of which generation. */
static void
rec_input(struct lb_agent *ag, const struct lb_snapshot *s,
	  const struct lb_sync_rec *r)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_snap_service *svc;
	struct lb_dp_sync d;
	int si = rec_service(s, r);
	int m = rec_member(s, r);
	unsigned int mi;

	if (si < 0 || m < 0 || s->services[si].mstate[m] == LB_MS_NONE) {
		ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
		return;
	}
	mi = (unsigned int)m;
	svc = &s->services[si];
	if (r->kind == LB_SYNC_K_PERSIST) {
		if (svc->persist == NULL) {
			ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
			return;
		}
		/* drain renews no record (nor does a member on its way
		 * out); one whose MAC is awaited takes its clients back */
		if (svc->mstate[mi] == LB_MS_DRAIN ||
		    svc->mstate[mi] == LB_MS_RETIRE) {
			ag->mstats[LB_STAT_SYNC_PERSIST_DRAINING]++;
			return;
		}
		/* an IPv6 client's record: its key, as it came, if it was
		 * made from the prefix length this service uses */
		if (r->v6 && r->state != svc->persist_prefix6) {
			ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
			return;
		}
		lb_persist_merge(svc->persist, r->v6 ? r->client :
				 r->client & svc->persist_mask,
				 (uint16_t)mi, s->members[mi].gen, now_s(sy),
				 svc->persist_s, r->lifetime_ms / 1000);
		ag->mstats[LB_STAT_SYNC_FLOWS_ACCEPTED]++;
		return;
	}
	if (svc->stateless) {
		ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
		return;
	}
	d = (struct lb_dp_sync){
		.member = (uint16_t)mi, .member_gen = s->members[mi].gen,
		.svc = (uint16_t)si,
		.kind = r->state == LB_SYNC_ST_ENDED ? LB_DP_SYNC_ENDED :
			LB_DP_SYNC_FLOW,
		.state = r->proto == LB_IPPROTO_TCP ? LB_FLOW_TCP_EST :
			 LB_FLOW_UDP,
		.v6 = r->v6,
		.lifetime_ms = r->lifetime_ms,
	};
	if (r->v6) {
		memcpy(d.key6.src_ip, r->client6, sizeof(d.key6.src_ip));
		memcpy(d.key6.dst_ip, r->vip6, sizeof(d.key6.dst_ip));
		d.key6.src_port = r->cport;
		d.key6.dst_port = r->vport;
		d.key6.proto = r->proto;
	} else {
		d.key = (struct lb_tuple){
			.src_ip = r->client, .dst_ip = r->vip,
			.src_port = r->cport, .dst_port = r->vport,
			.proto = r->proto };
	}
	to_worker(ag, target_worker(ag, &d), &d);
}

static int
peer_index(const struct ag_sync *sy, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < sy->n_peers; i++)
		if (sy->peers[i] == addr)
			return (int)i;
	return -1;
}

static void bulk_done(struct lb_agent *ag, const char *why);

/* Why a message did not decode, as a counter. */
static unsigned int
decode_drop(int err)
{
	switch (err) {
	case LB_SYNC_E_KEY:
		return LB_STAT_SYNC_DROP_KEY;
	case LB_SYNC_E_MAC:
		return LB_STAT_SYNC_DROP_AUTH;
	default:
		return LB_STAT_SYNC_DROP_MALFORMED;
	}
}

static void
msg_input(struct lb_agent *ag, const uint8_t *buf, size_t len,
	  uint32_t from, int ttl, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	struct lb_sync_rec r[LB_SYNC_MAX_RECS];
	const struct lb_snapshot *s;
	struct lb_sync_hdr h;
	int p = peer_index(sy, from), n, i;

	if (p < 0 || ttl != 255) {
		ag->mstats[LB_STAT_SYNC_DROP_SOURCE]++;
		return;
	}
	n = lb_sync_decode(buf, len, &h, r, keys_of(ag));
	if (n < 0) {
		ag->mstats[decode_drop(n)]++;
		return;
	}
	if (h.id != sy->id) {
		ag->mstats[LB_STAT_SYNC_DROP_ID]++;
		return;
	}
	if (!lb_sync_replay_take(&sy->rx[p], h.seq)) {
		ag->mstats[LB_STAT_SYNC_DROP_REPLAY]++;
		return;
	}
	ag->mstats[LB_STAT_SYNC_MSGS_IN]++;
	switch (h.type) {
	case LB_SYNC_FLOWS:
	case LB_SYNC_FLOWS6:
		s = lb_core_snapshot(ag->core);
		ag->mstats[LB_STAT_SYNC_FLOWS_IN] += (uint64_t)n;
		for (i = 0; s != NULL && i < n; i++)
			rec_input(ag, s, &r[i]);
		break;
	case LB_SYNC_BULK_REQUEST:
		switch (lb_sync_bulk_request(&sy->rx[p], h.nonce,
					     sy->walking && sy->walk_peer == p,
					     now)) {
		case LB_SYNC_BULK_SERVE:
			if (sy->walking && sy->walk_peer == p)
				sy->walking = false;   /* a newer request */
			sy->bulk_pending |= 1u << p;
			break;
		case LB_SYNC_BULK_SERVING:
			break;
		case LB_SYNC_BULK_LIMITED:
			ag->mstats[LB_STAT_SYNC_DROP_BULK_RATE]++;
			break;
		}
		break;
	case LB_SYNC_BULK_END:
		switch (lb_sync_bulk_end(&sy->bulk, (unsigned int)p, h.nonce)) {
		case LB_SYNC_END_ALL:
			bulk_done(ag, "every peer answered");
			break;
		case LB_SYNC_END_TAKEN:
			break;
		case LB_SYNC_END_UNSOLICITED:
			ag->mstats[LB_STAT_SYNC_DROP_BULK_END]++;
			break;
		}
		break;
	default:
		break;
	}
}

static unsigned int
in_run(struct lb_agent *ag, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	uint8_t buf[LB_SYNC_MSG_MAX + 1];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	unsigned int done;

	for (done = 0; done < SYNC_IN_MSGS; done++) {
		struct sockaddr_in from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct cmsghdr *c;
		ssize_t len;
		int ttl = -1;

		len = recvmsg(sy->fd, &mh, MSG_DONTWAIT);
		if (len < 0)
			break;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_TTL &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
		/* longer than the longest message: malformed, whatever
		 * the truncated part says */
		if ((mh.msg_flags & MSG_TRUNC) || (size_t)len > LB_SYNC_MSG_MAX)
			len = LB_SYNC_MSG_MAX + 1;
		msg_input(ag, buf, (size_t)len, from.sin_addr.s_addr, ttl,
			  now);
	}
	return done;
}

/* The peer's MAC as ARP resolved it: a host on the segment that takes
 * a peer's address for a moment cannot pass its messages to the socket.
 * Only sync messages are held to it (UDP to the own address's sync
 * port from a peer); the rest goes to the kernel as before. */
bool
lb_agent_sync_frame_ok(struct lb_agent *ag, const uint8_t *data,
		       const struct lb_pkt *pk)
{
	const struct ag_sync *sy = ag->sync;
	const struct lb_neigh *n;
	struct lb_ip src;

	if (sy == NULL || pk->proto != LB_IPPROTO_UDP ||
	    pk->dst_port != sy->port || peer_index(sy, pk->src_ip) < 0)
		return true;
	src = lb_ip_from4(pk->src_ip);
	n = lb_neigh_find(&ag->neigh, &src);
	if (n != NULL && lb_neigh_usable(n) &&
	    lb_mac_eq(lb_pkt_eth_src(data), n->mac))
		return true;
	ag->mstats[LB_STAT_SYNC_DROP_MAC_ADDR]++;
	return false;
}

/* ---- bulk sync at start ---- */

static void
bulk_done(struct lb_agent *ag, const char *why)
{
	struct ag_sync *sy = ag->sync;

	AG_LOG(NOTICE, "flow sync: bulk sync over (%s)", why);
	if (sy->activate_pending) {
		sy->activate_pending = false;
		lb_agent_set_active(ag, true, "after the bulk sync");
	}
}

static void
bulk_run(struct lb_agent *ag, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	bool expired;
	uint32_t due = lb_sync_bulk_due(&sy->bulk, now, &expired);
	unsigned int i;

	if (expired) {
		char buf[INET_ADDRSTRLEN];

		ag->mstats[LB_STAT_SYNC_BULK_TIMEOUT]++;
		for (i = 0; i < sy->n_peers; i++)
			if (!(sy->bulk.answered & (1u << i)))
				AG_LOG(WARNING, "flow sync: %s did not answer the bulk request within high_availability.sync.bulk_wait_ms: its flows come only as they are refreshed",
					lb_conf_ip_str(sy->peers[i], buf));
		bulk_done(ag, "high_availability.sync.bulk_wait_ms passed");
		return;
	}
	for (i = 0; i < sy->n_peers; i++)
		if (due & (1u << i))
			send_msg(ag, LB_SYNC_BULK_REQUEST, NULL, (int)i,
				 sy->bulk.nonce);
}

/* ---- the master's step, set-up ---- */

void
lb_agent_sync_run(struct lb_agent *ag, uint64_t now, unsigned int *work)
{
	if (ag->sync == NULL)
		return;
	*work += in_run(ag, now);
	*work += out_run(ag, now);
	walk_step(ag, now);
	bulk_run(ag, now);
}

bool
lb_agent_sync_hold_activation(struct lb_agent *ag, bool active)
{
	struct ag_sync *sy = ag->sync;

	if (sy == NULL || !sy->bulk.waiting)
		return false;
	sy->activate_pending = active;
	return active;
}

json_t *
lb_agent_sync_status(const struct lb_agent *ag)
{
	const struct ag_sync *sy = ag->sync;
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;
	char buf[INET_ADDRSTRLEN];
	json_t *peers, *keys;
	unsigned int i;

	if (sy == NULL)
		return json_null();
	peers = json_array();
	for (i = 0; i < sy->n_peers; i++)
		json_array_append_new(peers, json_string(
			lb_conf_ip_str(sy->peers[i], buf)));
	keys = json_array();
	for (i = 0; i < ha->sync_keys.n; i++)
		json_array_append_new(keys,
				      json_integer(ha->sync_keys.k[i].id));
	return json_pack("{s:I, s:i, s:o, s:s, s:o, s:i, s:s, s:b, s:b}",
		"id", (json_int_t)sy->id, "port", (int)sy->port,
		"peers", peers, "key_file", ha->sync_key_file,
		"key_ids", keys, "sending_key", (int)ha->sync_keys.k[0].id,
		"bulk", sy->bulk.waiting ? "waiting" :
			ag->sync_bulk_requested ? "done" : "off",
		"activate_pending", sy->activate_pending,
		"walking", sy->walking);
}

int
lb_agent_sync_init(struct lb_agent *ag)
{
	const struct lb_conf *conf = lb_core_settings(ag->core);
	const struct lb_conf_ha *ha = &conf->ha;
	const struct lb_conf_port *port;
	struct ag_sync *sy;
	struct sockaddr_in sa;
	struct timespec ts;
	uint64_t now = lb_agent_now_ms(), shortest;
	int one = 1, ttl = 255;

	if (!ha->sync || ag->kif == NULL)
		return 0;
	if (sodium_init() < 0) {
		AG_LOG(ERR, "high_availability.sync: libsodium did not initialise");
		return -EIO;
	}
	port = &lb_core_port(ag->core, ag->kif_port)->conf;
	sy = calloc(1, sizeof(*sy));
	if (sy == NULL)
		return -ENOMEM;
	sy->id = ha->sync_id;
	sy->port = ha->sync_port;
	batch_init(sy->out);
	batch_init(sy->walk);
	sy->n_peers = ha->n_peers;
	memcpy(sy->peers, ha->peers, sizeof(sy->peers));
	/* the sequence starts at the wall clock in microseconds: a restart
	 * continues above what the peers saw before it (unless the clock
	 * went back, or a million messages a second were sent) */
	clock_gettime(CLOCK_REALTIME, &ts);
	sy->seq = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	sy->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (sy->tsc_per_ms == 0)
		sy->tsc_per_ms = 1;
	shortest = RTE_MIN(conf->flows.tcp_timeout, conf->flows.udp_timeout);
	sy->refresh_period_ms = RTE_MAX(shortest * 1000 / 3, (uint64_t)1000);
	sy->refresh_ms = now + sy->refresh_period_ms;
	sy->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sy->fd < 0) {
		free(sy);
		return -errno;
	}
	sa = (struct sockaddr_in){ .sin_family = AF_INET,
		.sin_port = htons(sy->port), .sin_addr.s_addr = port->addr };
	/* bound to the kernel interface too: a message from a peer's
	 * address that came in another interface of the host is not one */
	if (setsockopt(sy->fd, SOL_SOCKET, SO_BINDTODEVICE,
		       conf->exception_interface,
		       (socklen_t)strlen(conf->exception_interface)) != 0 ||
	    setsockopt(sy->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0 ||
	    setsockopt(sy->fd, IPPROTO_IP, IP_RECVTTL, &one,
		       sizeof(one)) != 0 ||
	    bind(sy->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int rc = -errno;
		char buf[INET_ADDRSTRLEN];

		AG_LOG(ERR, "high_availability.sync: cannot bind %s:%u on %s: %s",
			lb_conf_ip_str(port->addr, buf), sy->port,
			conf->exception_interface, strerror(-rc));
		close(sy->fd);
		free(sy);
		return rc;
	}
	ag->sync = sy;
	if (ha->bulk_wait_ms > 0 && sy->n_peers > 0) {
		uint64_t nonce;

		/* learn the peers' flows before taking traffic; the nonce
		 * tells their answers from a replay of older ones */
		randombytes_buf(&nonce, sizeof(nonce));
		lb_sync_bulk_begin(&sy->bulk, sy->n_peers, nonce, now,
				   ha->bulk_wait_ms);
		ag->sync_bulk_requested = true;
		if (lb_core_active(ag->core)) {
			lb_core_set_active(ag->core, false);
			sy->activate_pending = true;
		}
	}
	AG_LOG(INFO, "flow sync: id %u, UDP port %u on %s, %u peer(s), %u key(s), sending with key %u%s",
		sy->id, sy->port, conf->exception_interface, sy->n_peers,
		ha->sync_keys.n, ha->sync_keys.k[0].id, sy->bulk.waiting ?
		", asking them for their flows first" : "");
	return 0;
}

void
lb_agent_sync_fini(struct lb_agent *ag)
{
	struct ag_sync *sy = ag->sync;

	if (sy == NULL)
		return;
	batch_send(ag, &sy->out[0], -1);
	batch_send(ag, &sy->out[1], -1);
	close(sy->fd);
	free(sy);
	ag->sync = NULL;
}
