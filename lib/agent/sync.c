/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Flow sync (IPVSHelper's -s syncID): the flows a peer balancer could
 * not compute from a packet (wrr, wlc, persistence, rescheduled) go to
 * the configured peers in batched UDP messages (lib/sync) from the own
 * address, through the kernel interface; the peers' messages come back
 * the same way and their flows are installed in the workers' tables.
 *
 *  - out: the workers stage such flows when they are confirmed or move
 *    (lb_dp sync_out rings); the master maps slots to addresses (slot
 *    numbers differ between balancers) and sends a message once it is
 *    full or its first record is SYNC_BATCH_MS old;
 *  - refresh: a slow walk of every table re-announces the flows that
 *    still need it, so a peer's copy does not age out while the flow
 *    lives here (a third of the shortest timeout per round);
 *  - bulk: a starting balancer asks its peers for everything
 *    (BULK_REQUEST) and holds its activation until each has answered
 *    (BULK_END) or high_availability.sync.bulk_wait_ms has passed; a
 *    peer answers with the same walk, paced;
 *  - in: only from a configured peer, sent on the link (TTL 255, as
 *    VRRP and BGP's GTSM), with our sync_id; the rest is counted and
 *    dropped.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lb_persist.h"
#include "lb_sync.h"
#include "agent_internal.h"

#define SYNC_BATCH_MS 20          /* a record waits this long at most */
#define SYNC_OUT_BUDGET 2048      /* staged flows taken per worker, per pass */
#define SYNC_IN_MSGS 64           /* messages read per pass */
#define SYNC_WALK_SCAN 4096       /* table positions a walk step reads */
#define SYNC_WALK_MSGS 4          /* messages a walk step may send */
#define SYNC_WALK_STEP_MS 1       /* between two walk steps */
#define SYNC_BULK_RETRY_MS 500    /* a bulk request unanswered: again */

/* One message being filled, for every peer or one. */
struct sync_batch {
	unsigned int n;
	uint64_t first_ms;            /* when its first record came */
	struct lb_sync_rec r[LB_SYNC_MAX_RECS];
};

struct ag_sync {
	int fd;
	uint32_t id;
	uint16_t port;                /* host order */
	unsigned int n_peers;
	uint32_t peers[LB_SYNC_PEERS_MAX];
	uint32_t seq;
	struct sync_batch out;        /* new and moved flows, to all */
	/* the walk: a refresh round (to all) or a bulk answer (to one) */
	bool walking;
	int walk_peer;                /* index in peers, -1: all */
	unsigned int walk_worker;
	uint32_t walk_cursor;
	uint64_t walk_next_ms;        /* next step */
	uint64_t refresh_ms;          /* next refresh round */
	uint64_t refresh_period_ms;
	uint32_t bulk_pending;        /* peers that asked while we walked */
	struct sync_batch walk;
	/* our own bulk request at start */
	bool bulk_waiting;
	uint32_t bulk_answered;       /* bit per peer */
	uint64_t bulk_deadline_ms;
	uint64_t bulk_retry_ms;
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
send_msg(struct lb_agent *ag, uint8_t type, struct sync_batch *b, int peer)
{
	struct ag_sync *sy = ag->sync;
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct lb_sync_hdr h = { .type = type, .id = sy->id, .seq = ++sy->seq };
	unsigned int n = b != NULL ? b->n : 0, i;
	size_t len;

	len = lb_sync_encode(buf, sizeof(buf), &h, b != NULL ? b->r : NULL, n);
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

/* A flow or persistence record of a worker (slots) as a message record
 * (addresses); false if its member changed meanwhile. */
static bool
to_rec(struct lb_agent *ag, const struct lb_dp_sync *d,
       struct lb_sync_rec *r)
{
	const struct lb_core_member *m = lb_core_member(ag->core, d->member);
	const struct lb_snapshot *s = lb_core_snapshot(ag->core);

	if (m == NULL || m->gen != d->member_gen || s == NULL ||
	    d->svc >= LB_MAX_SERVICES)
		return false;
	*r = (struct lb_sync_rec){
		.kind = d->kind == LB_DP_SYNC_PERSIST ? LB_SYNC_K_PERSIST :
			LB_SYNC_K_FLOW,
		.proto = d->key.proto, .client = d->key.src_ip,
		.vip = d->key.dst_ip, .cport = d->key.src_port,
		.vport = d->key.dst_port, .member = m->conf.addr,
	};
	if (r->kind == LB_SYNC_K_PERSIST) {
		r->cport = 0;
		r->state = (uint8_t)__builtin_popcount(
			s->services[d->svc].persist_mask);
		r->client &= s->services[d->svc].persist_mask;
	} else {
		r->state = d->key.proto == LB_IPPROTO_TCP ?
			LB_SYNC_ST_TCP_EST : LB_SYNC_ST_UDP;
	}
	return lb_sync_rec_valid(r);
}

static void
batch_add(struct lb_agent *ag, struct sync_batch *b, const struct lb_sync_rec *r,
	  int peer, uint64_t now)
{
	if (b->n == 0)
		b->first_ms = now;
	b->r[b->n++] = *r;
	if (b->n == LB_SYNC_MAX_RECS)
		send_msg(ag, LB_SYNC_FLOWS, b, peer);
}

/* What the workers staged: to every peer, batched. */
static unsigned int
out_run(struct lb_agent *ag, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	struct lb_dp_sync d[64];
	struct lb_sync_rec r;
	unsigned int i, k, n, done = 0, got;

	for (i = 0; i < ag->env->n_workers; i++) {
		got = 0;
		while (got < SYNC_OUT_BUDGET) {
			n = rte_ring_sc_dequeue_burst_elem(
				ag->env->workers[i].sync_out, d, sizeof(d[0]),
				RTE_DIM(d), NULL);
			for (k = 0; k < n; k++) {
				if (to_rec(ag, &d[k], &r))
					batch_add(ag, &sy->out, &r, -1, now);
				else
					ag->mstats[LB_STAT_SYNC_STALE]++;
			}
			got += n;
			if (n < RTE_DIM(d))
				break;
		}
		done += got;
	}
	if (sy->out.n > 0 && now >= sy->out.first_ms + SYNC_BATCH_MS)
		send_msg(ag, LB_SYNC_FLOWS, &sy->out, -1);
	return done;
}

/* ---- the walk: refresh rounds, bulk answers ---- */

static void
walk_start(struct ag_sync *sy, int peer, uint64_t now)
{
	sy->walking = true;
	sy->walk_peer = peer;
	sy->walk_worker = 0;
	sy->walk_cursor = 0;
	sy->walk_next_ms = now;
	sy->walk.n = 0;
}

/* One paced step of the walk: the flows that need sync, from table
 * order, SYNC_WALK_MSGS messages at most. */
static void
walk_step(struct lb_agent *ag, uint64_t now)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_snapshot *s = lb_core_snapshot(ag->core);
	struct lb_dp_flow f[LB_SYNC_MAX_RECS];
	uint32_t msgs_before = (uint32_t)ag->mstats[LB_STAT_SYNC_MSGS_OUT];
	unsigned int n, i, scanned = 0;

	if (!sy->walking) {
		if (sy->bulk_pending != 0) {
			int p = __builtin_ctz(sy->bulk_pending);

			sy->bulk_pending &= ~(1u << p);
			walk_start(sy, p, now);
		} else if (now >= sy->refresh_ms) {
			sy->refresh_ms = now + sy->refresh_period_ms;
			walk_start(sy, -1, now);
		} else {
			return;
		}
	}
	if (now < sy->walk_next_ms || s == NULL)
		return;
	sy->walk_next_ms = now + SYNC_WALK_STEP_MS;
	while (sy->walk_worker < ag->env->n_workers && scanned < SYNC_WALK_SCAN &&
	       (uint32_t)ag->mstats[LB_STAT_SYNC_MSGS_OUT] - msgs_before <
	       SYNC_WALK_MSGS * (sy->walk_peer < 0 ? sy->n_peers : 1)) {
		const struct lb_worker *w = ag->env->workers[sy->walk_worker].w;

		n = lb_dp_flows_walk(w, NULL, &sy->walk_cursor, f, RTE_DIM(f),
				     SYNC_WALK_SCAN / 4);
		scanned += SYNC_WALK_SCAN / 4;
		for (i = 0; i < n; i++) {
			struct lb_dp_sync d = {
				.key = f[i].key, .member = f[i].member,
				.member_gen = f[i].member_gen, .svc = f[i].svc,
				.kind = LB_DP_SYNC_FLOW, .state = f[i].state,
			};
			struct lb_sync_rec r;

			if ((f[i].state != LB_FLOW_TCP_EST &&
			     f[i].state != LB_FLOW_UDP) ||
			    f[i].svc >= s->n_services ||
			    s->members[f[i].member].gen != f[i].member_gen ||
			    lb_dp_flow_computable(s, f[i].svc, &f[i].key,
						  f[i].member) ||
			    !to_rec(ag, &d, &r))
				continue;
			batch_add(ag, &sy->walk, &r, sy->walk_peer, now);
		}
		if (sy->walk_cursor == LB_DP_WALK_END) {
			sy->walk_worker++;
			sy->walk_cursor = 0;
		}
	}
	if (sy->walk_worker < ag->env->n_workers)
		return;
	/* the round is over */
	if (sy->walk.n > 0)
		send_msg(ag, LB_SYNC_FLOWS, &sy->walk, sy->walk_peer);
	if (sy->walk_peer >= 0) {
		char buf[INET_ADDRSTRLEN];

		send_msg(ag, LB_SYNC_BULK_END, NULL, sy->walk_peer);
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
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, r->vip);
	const struct lb_range *rg;

	if (a == NULL || a->kind != LB_ADDR_VIP)
		return -1;
	rg = lb_snap_range_lookup(s, &s->vips[a->idx],
				  r->proto == LB_IPPROTO_TCP ? LB_PROTO_TCP :
				  LB_PROTO_UDP, r->vport);
	if (rg == NULL || rg->kind != LB_RANGE_SERVICE)
		return -1;
	return rg->target;
}

static void
rec_input(struct lb_agent *ag, const struct lb_snapshot *s,
	  const struct lb_sync_rec *r)
{
	struct ag_sync *sy = ag->sync;
	const struct lb_snap_service *svc;
	struct lb_dp_sync d;
	int si, mi;
	unsigned int home;

	si = rec_service(s, r);
	mi = lb_core_member_by_addr(ag->core, r->member);
	if (si < 0 || mi < 0 ||
	    s->services[si].mstate[mi] == LB_MS_NONE) {
		ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
		return;
	}
	svc = &s->services[si];
	if (r->kind == LB_SYNC_K_PERSIST) {
		if (svc->persist == NULL) {
			ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
			return;
		}
		if (svc->mstate[mi] == LB_MS_DRAIN) {
			ag->mstats[LB_STAT_SYNC_PERSIST_DRAINING]++;
			return;
		}
		lb_persist_store(svc->persist, r->client & svc->persist_mask,
				 (uint16_t)mi, s->members[mi].gen, now_s(sy),
				 svc->persist_s);
		ag->mstats[LB_STAT_SYNC_FLOWS_ACCEPTED]++;
		return;
	}
	if (svc->stateless) {
		ag->mstats[LB_STAT_SYNC_UNKNOWN]++;
		return;
	}
	d = (struct lb_dp_sync){
		.key = { .src_ip = r->client, .dst_ip = r->vip,
			 .src_port = r->cport, .dst_port = r->vport,
			 .proto = r->proto },
		.member = (uint16_t)mi, .member_gen = s->members[mi].gen,
		.svc = (uint16_t)si, .kind = LB_DP_SYNC_FLOW,
		.state = r->proto == LB_IPPROTO_TCP ? LB_FLOW_TCP_EST :
			 LB_FLOW_UDP,
	};
	/* the worker whose table a worker without the flow looks in
	 * (lb_dp: sync_home) */
	home = lb_tuple_hash(&d.key) % ag->env->n_workers;
	if (rte_ring_sp_enqueue_elem(ag->env->workers[home].sync_in, &d,
				     sizeof(d)) != 0) {
		ag->mstats[LB_STAT_SYNC_IN_RING_FULL]++;
		return;
	}
	ag->mstats[LB_STAT_SYNC_FLOWS_ACCEPTED]++;
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
	n = lb_sync_decode(buf, len, &h, r);
	if (n < 0) {
		ag->mstats[LB_STAT_SYNC_DROP_MALFORMED]++;
		return;
	}
	if (h.id != sy->id) {
		ag->mstats[LB_STAT_SYNC_DROP_ID]++;
		return;
	}
	ag->mstats[LB_STAT_SYNC_MSGS_IN]++;
	switch (h.type) {
	case LB_SYNC_FLOWS:
		s = lb_core_snapshot(ag->core);
		ag->mstats[LB_STAT_SYNC_FLOWS_IN] += (uint64_t)n;
		for (i = 0; s != NULL && i < n; i++)
			rec_input(ag, s, &r[i]);
		break;
	case LB_SYNC_BULK_REQUEST:
		if (!(sy->walking && sy->walk_peer == p))
			sy->bulk_pending |= 1u << p;
		break;
	case LB_SYNC_BULK_END:
		if (sy->bulk_waiting) {
			sy->bulk_answered |= 1u << p;
			if (sy->bulk_answered == (1u << sy->n_peers) - 1)
				bulk_done(ag, "every peer answered");
		}
		break;
	default:
		break;
	}
	(void)now;
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

/* ---- bulk sync at start ---- */

static void
bulk_done(struct lb_agent *ag, const char *why)
{
	struct ag_sync *sy = ag->sync;

	sy->bulk_waiting = false;
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
	unsigned int i;

	if (!sy->bulk_waiting)
		return;
	if (now >= sy->bulk_deadline_ms) {
		bulk_done(ag, "high_availability.sync.bulk_wait_ms passed");
		return;
	}
	if (now < sy->bulk_retry_ms)
		return;
	sy->bulk_retry_ms = now + SYNC_BULK_RETRY_MS;
	for (i = 0; i < sy->n_peers; i++)
		if (!(sy->bulk_answered & (1u << i)))
			send_msg(ag, LB_SYNC_BULK_REQUEST, NULL, (int)i);
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

	if (sy == NULL || !sy->bulk_waiting)
		return false;
	sy->activate_pending = active;
	return active;
}

json_t *
lb_agent_sync_status(const struct lb_agent *ag)
{
	const struct ag_sync *sy = ag->sync;
	char buf[INET_ADDRSTRLEN];
	json_t *peers;
	unsigned int i;

	if (sy == NULL)
		return json_null();
	peers = json_array();
	for (i = 0; i < sy->n_peers; i++)
		json_array_append_new(peers, json_string(
			lb_conf_ip_str(sy->peers[i], buf)));
	return json_pack("{s:I, s:i, s:o, s:s, s:b, s:b}",
		"id", (json_int_t)sy->id, "port", (int)sy->port,
		"peers", peers,
		"bulk", sy->bulk_waiting ? "waiting" :
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
	uint64_t now = lb_agent_now_ms(), shortest;
	int one = 1, ttl = 255;

	if (!ha->sync || ag->kif == NULL)
		return 0;
	port = &lb_core_port(ag->core, ag->kif_port)->conf;
	sy = calloc(1, sizeof(*sy));
	if (sy == NULL)
		return -ENOMEM;
	sy->id = ha->sync_id;
	sy->port = ha->sync_port;
	sy->n_peers = ha->n_peers;
	memcpy(sy->peers, ha->peers, sizeof(sy->peers));
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
	if (setsockopt(sy->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0 ||
	    setsockopt(sy->fd, IPPROTO_IP, IP_RECVTTL, &one,
		       sizeof(one)) != 0 ||
	    bind(sy->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int rc = -errno;
		char buf[INET_ADDRSTRLEN];

		AG_LOG(ERR, "high_availability.sync: cannot bind %s:%u: %s",
			lb_conf_ip_str(port->addr, buf), sy->port,
			strerror(-rc));
		close(sy->fd);
		free(sy);
		return rc;
	}
	ag->sync = sy;
	if (ha->bulk_wait_ms > 0) {
		/* learn the peers' flows before taking traffic */
		sy->bulk_waiting = true;
		sy->bulk_deadline_ms = now + ha->bulk_wait_ms;
		ag->sync_bulk_requested = true;
		if (lb_core_active(ag->core)) {
			lb_core_set_active(ag->core, false);
			sy->activate_pending = true;
		}
	}
	AG_LOG(INFO, "flow sync: id %u, UDP port %u, %u peer(s)%s", sy->id,
		sy->port, sy->n_peers, sy->bulk_waiting ?
		", asking them for their flows first" : "");
	return 0;
}

void
lb_agent_sync_fini(struct lb_agent *ag)
{
	struct ag_sync *sy = ag->sync;

	if (sy == NULL)
		return;
	if (sy->out.n > 0)
		send_msg(ag, LB_SYNC_FLOWS, &sy->out, -1);
	close(sy->fd);
	free(sy);
	ag->sync = NULL;
}
