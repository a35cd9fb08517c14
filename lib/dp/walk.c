/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * flows.list and flows.flush: the master reads a worker's flow table
 * while the worker runs (lock-free), and asks it to delete flows, which
 * only the worker may do, a bounded number of positions per loop.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>

#include "lb_dp.h"

static inline bool
flow_matches(const struct lb_dp_flow_filter *f, const struct lb_dp_flow *fl,
	     const struct lb_flow_entry *e)
{
	struct lb_ip client;

	if (f == NULL)
		return true;
	if ((f->svc != LB_DP_ANY && e->svc != f->svc) ||
	    (f->member != LB_DP_ANY && e->member != f->member))
		return false;
	if (f->client_prefix == 0)
		return true;
	/* a client subnet of one family: the other family's flows are
	 * never in it */
	client = lb_dp_flow_addr(fl, true);
	return lb_ip_in_net(&client, &f->client, f->client_prefix);
}

/* The positions of a worker's tables in one cursor: the IPv4 table's,
 * then the IPv6 table's. */
static inline uint32_t
walk_end(const struct lb_worker *w)
{
	return (w->flows != NULL ? w->flows->n_pos : 0) +
	       (w->flows6 != NULL ? w->flows6->n_pos : 0);
}

unsigned int
lb_dp_flows_walk(const struct lb_worker *w, const struct lb_dp_flow_filter *f,
		 uint32_t *cursor, struct lb_dp_flow *out, unsigned int max,
		 uint32_t scan)
{
	uint32_t n4 = w->flows != NULL ? w->flows->n_pos : 0;
	uint32_t end = walk_end(w);
	/* the worker's clock, read here: the same TSC */
	uint32_t now = (uint32_t)(rte_rdtsc() / w->tsc_per_ms);
	uint32_t pos = *cursor;
	unsigned int n = 0;

	for (; pos < end && n < max && scan > 0; pos++, scan--) {
		struct lb_dp_flow fl = { .v6 = pos >= n4 };
		struct lb_flow_entry e;

		if (!fl.v6 ? !lb_flow_read(w->flows, pos, now, &fl.key, &e) :
		    !lb_flow_read(w->flows6, pos - n4, now, &fl.key6, &e))
			continue;
		if (fl.v6)
			fl.key = (struct lb_tuple){
				.src_port = fl.key6.src_port,
				.dst_port = fl.key6.dst_port,
				.proto = fl.key6.proto };
		if (!flow_matches(f, &fl, &e))
			continue;
		fl.expires_in_ms = e.expire - now;
		fl.svc = e.svc;
		fl.member = e.member;
		fl.member_gen = e.member_gen;
		fl.state = e.state;
		fl.learned = (e.flags & LB_FLOW_F_LEARNED) != 0;
		out[n++] = fl;
	}
	*cursor = pos >= end ? LB_DP_WALK_END : pos;
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
	struct lb_flow_table *t;
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
	for (pos = w->flush_pos; pos < walk_end(w) && budget > 0;
	     pos++, budget--) {
		/* the IPv4 table, then the IPv6 one */
		uint32_t n4 = w->flows != NULL ? w->flows->n_pos : 0;
		uint32_t at = pos < n4 ? pos : pos - n4;
		const struct lb_flow_entry *e;

		t = pos < n4 ? w->flows : w->flows6;
		e = lb_flow_at(t, at);
		bool live;
		int rc;

		if (e->state == 0 ||
		    (w->flush_svc != FLUSH_ANY && e->svc != w->flush_svc) ||
		    (w->flush_member != FLUSH_ANY &&
		     e->member != w->flush_member))
			continue;
		live = !lb_flow_expired(e, w->now);
		rc = lb_flow_del(t, (int32_t)at);
		if (rc == -EBUSY)
			break;   /* deletions wait for a grace period: later */
		if (rc == 0 && live) {
			w->flush_count++;
			w->stats[LB_STAT_FLOWS_FLUSHED]++;
			removed++;
		}
	}
	w->flush_pos = pos;
	if (pos >= walk_end(w)) {
		w->flush_on = false;
		__atomic_store_n(&w->flush_done,
				 (uint64_t)w->flush_seq << 32 | w->flush_count,
				 __ATOMIC_RELEASE);
	}
	return removed;
}
