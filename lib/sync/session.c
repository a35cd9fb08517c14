/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The protocol's rules beyond one message, with the time passed in: a
 * peer's replay window (RFC 4303's sliding window, over the 64-bit
 * counter every message carries), how often a peer's bulk request is
 * served, and this balancer's own bulk request: which peers still owe
 * an answer, and which answers are answers (the nonce of our request,
 * once per peer).
 */

#include <stdbool.h>
#include <stdint.h>

#include "lb_sync.h"

_Static_assert(LB_SYNC_REPLAY_WINDOW == 64, "the window is one word");

bool
lb_sync_replay_take(struct lb_sync_peer_rx *p, uint64_t seq)
{
	uint64_t back;

	if (!p->seen) {
		p->seen = true;
		p->top = seq;
		p->bits = 1;
		return true;
	}
	if (seq > p->top) {
		uint64_t ahead = seq - p->top;

		p->bits = ahead >= 64 ? 0 : p->bits << ahead;
		p->bits |= 1;
		p->top = seq;
		return true;
	}
	back = p->top - seq;
	if (back >= LB_SYNC_REPLAY_WINDOW ||
	    (p->bits & (UINT64_C(1) << back)) != 0)
		return false;
	p->bits |= UINT64_C(1) << back;
	return true;
}

enum lb_sync_bulk_verdict
lb_sync_bulk_request(struct lb_sync_peer_rx *p, uint64_t nonce, bool serving,
		     uint64_t now_ms)
{
	bool recent = p->bulk_served_ms != 0 &&
		now_ms < p->bulk_served_ms + LB_SYNC_BULK_SERVE_MIN_MS;

	if (serving && nonce == p->bulk_nonce)
		return LB_SYNC_BULK_SERVING;
	if (recent)
		return nonce == p->bulk_nonce ? LB_SYNC_BULK_SERVING :
						LB_SYNC_BULK_LIMITED;
	p->bulk_nonce = nonce;
	p->bulk_served_ms = now_ms != 0 ? now_ms : 1;
	return LB_SYNC_BULK_SERVE;
}

void
lb_sync_bulk_begin(struct lb_sync_bulk *b, unsigned int n_peers,
		   uint64_t nonce, uint64_t now_ms, uint64_t wait_ms)
{
	*b = (struct lb_sync_bulk){
		.waiting = n_peers > 0,
		.nonce = nonce,
		.all = n_peers >= 32 ? UINT32_MAX : (1u << n_peers) - 1,
		.deadline_ms = now_ms + wait_ms,
		.retry_ms = now_ms,
	};
}

enum lb_sync_end_verdict
lb_sync_bulk_end(struct lb_sync_bulk *b, unsigned int peer, uint64_t nonce)
{
	uint32_t bit = peer < 32 ? 1u << peer : 0;

	if (!b->waiting || nonce != b->nonce || (b->all & bit) == 0 ||
	    (b->answered & bit) != 0)
		return LB_SYNC_END_UNSOLICITED;
	b->answered |= bit;
	if (b->answered != b->all)
		return LB_SYNC_END_TAKEN;
	b->waiting = false;
	return LB_SYNC_END_ALL;
}

uint32_t
lb_sync_bulk_due(struct lb_sync_bulk *b, uint64_t now_ms, bool *expired)
{
	*expired = false;
	if (!b->waiting)
		return 0;
	if (now_ms >= b->deadline_ms) {
		b->waiting = false;
		*expired = true;
		return 0;
	}
	if (now_ms < b->retry_ms)
		return 0;
	b->retry_ms = now_ms + LB_SYNC_BULK_RETRY_MS;
	return b->all & ~b->answered;
}
