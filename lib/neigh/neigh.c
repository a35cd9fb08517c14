/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_neigh.h"

const char *const lb_neigh_state_names[LB_NEIGH_STATE_MAX] = {
	[LB_NEIGH_INCOMPLETE] = "incomplete",
	[LB_NEIGH_REACHABLE] = "reachable",
	[LB_NEIGH_PROBE] = "probe",
	[LB_NEIGH_FAILED] = "failed",
	[LB_NEIGH_STALE] = "stale",
};

int
lb_neigh_init(struct lb_neigh_table *t, unsigned int cap,
	      const struct lb_neigh_params *p)
{
	memset(t, 0, sizeof(*t));
	t->e = calloc(cap, sizeof(*t->e));
	if (t->e == NULL)
		return -ENOMEM;
	t->cap = cap;
	t->p = *p;
	return 0;
}

void
lb_neigh_fini(struct lb_neigh_table *t)
{
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}

struct lb_neigh *
lb_neigh_find(struct lb_neigh_table *t, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].addr == addr)
			return &t->e[i];
	return NULL;
}

/* A free slot: the end, or the least recently confirmed entry nobody
 * wants. */
static struct lb_neigh *
slot(struct lb_neigh_table *t)
{
	struct lb_neigh *victim = NULL;
	unsigned int i;

	if (t->n < t->cap)
		return &t->e[t->n++];
	for (i = 0; i < t->n; i++)
		if (!t->e[i].wanted &&
		    (victim == NULL || t->e[i].confirmed_ms < victim->confirmed_ms))
			victim = &t->e[i];
	return victim;
}

static void
remove_at(struct lb_neigh_table *t, unsigned int i)
{
	t->e[i] = t->e[--t->n];
}

/* When a confirmed entry starts being refreshed: early enough that a
 * few probes fit before the reachable time runs out. */
static uint64_t
refresh_at(const struct lb_neigh_table *t, uint64_t confirmed)
{
	return confirmed + t->p.reachable_ms / 4 * 3;
}

struct lb_neigh *
lb_neigh_want(struct lb_neigh_table *t, uint32_t addr, uint8_t port,
	      uint64_t now)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);

	if (n != NULL) {
		n->wanted = 1;
		n->port = port;
		if (!lb_neigh_usable(n)) {
			n->state = LB_NEIGH_INCOMPLETE;
			n->probes = 0;
			n->next_ms = now;
		}
		return n;
	}
	n = slot(t);
	if (n == NULL)
		return NULL;
	*n = (struct lb_neigh){
		.addr = addr, .port = port, .wanted = 1,
		.state = LB_NEIGH_INCOMPLETE, .next_ms = now,
	};
	return n;
}

void
lb_neigh_unwant(struct lb_neigh_table *t, uint32_t addr)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);

	if (n != NULL)
		n->wanted = 0;
}

/* Tell the owner of a wanted entry what it needs to know, once per
 * change: a new or moved MAC, staleness, a failed resolution. */
static void
report(struct lb_neigh *n, bool moved, const struct lb_neigh_ops *ops)
{
	uint8_t what = n->state == LB_NEIGH_PROBE ? LB_NEIGH_REACHABLE :
		n->state;

	if (!n->wanted || ops == NULL || (what == n->reported && !moved))
		return;
	if (what == LB_NEIGH_INCOMPLETE)
		return;   /* resolving: nothing to say yet */
	n->reported = what;
	ops->changed(ops->ctx, n);
}

void
lb_neigh_learn(struct lb_neigh_table *t, uint32_t addr, const uint8_t *mac,
	       uint8_t port, bool create, uint64_t now,
	       const struct lb_neigh_ops *ops)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);
	bool moved;

	if (n == NULL) {
		if (!create || (n = slot(t)) == NULL)
			return;
		*n = (struct lb_neigh){ .addr = addr };
	}
	moved = lb_neigh_usable(n) && memcmp(n->mac, mac, sizeof(n->mac)) != 0;
	memcpy(n->mac, mac, sizeof(n->mac));
	n->port = port;
	n->state = LB_NEIGH_REACHABLE;
	n->probes = 0;
	n->confirmed_ms = now;
	n->next_ms = refresh_at(t, now);
	report(n, moved, ops);
}

/* No answer to a round of requests. A neighbor that had a MAC keeps it
 * and stays in use (STALE); one that never had one has failed. Either
 * way requests go on, broadcast, every retry_ms. */
static void
unanswered(struct lb_neigh_table *t, struct lb_neigh *n, uint64_t now,
	   const struct lb_neigh_ops *ops)
{
	n->state = lb_neigh_usable(n) ? LB_NEIGH_STALE : LB_NEIGH_FAILED;
	if (n->state == LB_NEIGH_FAILED)
		memset(n->mac, 0, sizeof(n->mac));
	n->probes = 0;
	n->next_ms = now + t->p.retry_ms;
	report(n, false, ops);
}

/*
 * One pass over the table. Wanted entries cycle INCOMPLETE -> REACHABLE
 * -> PROBE -> REACHABLE on answers. A silent neighbor goes PROBE ->
 * STALE (MAC kept) or INCOMPLETE -> FAILED (no MAC), and is asked again
 * every retry_ms until it answers; learnt entries only age out.
 */
uint64_t
lb_neigh_run(struct lb_neigh_table *t, uint64_t now,
	     const struct lb_neigh_ops *ops)
{
	uint64_t wait = 1000;
	unsigned int i = 0;

	while (i < t->n) {
		struct lb_neigh *n = &t->e[i];

		if (!n->wanted) {
			if (n->state != LB_NEIGH_REACHABLE ||
			    now >= n->confirmed_ms + t->p.learnt_ttl_ms) {
				remove_at(t, i);
				continue;
			}
			i++;
			continue;
		}
		if (now >= n->next_ms) {
			switch (n->state) {
			case LB_NEIGH_REACHABLE:
				n->state = LB_NEIGH_PROBE;
				n->probes = 0;
				/* probe now */
				/* fall through */
			case LB_NEIGH_PROBE:
			case LB_NEIGH_INCOMPLETE:
				if (n->probes >= t->p.max_probes) {
					unanswered(t, n, now, ops);
					break;
				}
				n->probes++;
				n->next_ms = now + t->p.probe_ms;
				ops->request(ops->ctx, n,
					     n->state == LB_NEIGH_PROBE);
				break;
			case LB_NEIGH_FAILED:
				n->state = LB_NEIGH_INCOMPLETE;
				n->probes = 1;
				n->next_ms = now + t->p.probe_ms;
				ops->request(ops->ctx, n, false);
				break;
			case LB_NEIGH_STALE:
				n->next_ms = now + t->p.retry_ms;
				ops->request(ops->ctx, n, false);
				break;
			default:
				break;
			}
		}
		if (n->next_ms > now && n->next_ms - now < wait)
			wait = n->next_ms - now;
		i++;
	}
	return wait;
}
