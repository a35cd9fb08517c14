/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Deferred freeing. What a commit replaces (the snapshot, and the
 * tables and persistence records its build set aside) may still be read
 * by a worker: it waits here with the QSBR token of that publication
 * until every worker has passed a quiescent state. Without a QSBR
 * variable (tests, a scratch core) no worker reads it: it goes at once.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lb_persist.h"
#include "core_internal.h"

void
lb_snap_free(struct lb_snapshot *s)
{
	if (s != NULL)
		rte_free(s->arena);
}

static void
garbage_free(struct lb_garbage *g)
{
	switch (g->kind) {
	case LB_GARBAGE_SNAPSHOT:
		lb_snap_free(g->p);
		break;
	case LB_GARBAGE_PERSIST:
		lb_persist_free(g->p);
		break;
	default:
		rte_free(g->p);
		break;
	}
	g->p = NULL;
}

static int
garbage_push(struct lb_garbage **list, unsigned int *n, unsigned int *cap,
	     const struct lb_garbage *g)
{
	if (*n == *cap) {
		unsigned int c = *cap == 0 ? 64 : *cap * 2;
		struct lb_garbage *l = realloc(*list, c * sizeof(*l));

		if (l == NULL)
			return -ENOMEM;
		*list = l;
		*cap = c;
	}
	(*list)[(*n)++] = *g;
	return 0;
}

int
lb_core_defer(struct lb_core *core, void *p, uint8_t kind)
{
	struct lb_garbage g = { .p = p, .kind = kind };

	if (p == NULL)
		return 0;
	if (garbage_push(&core->pending, &core->n_pending, &core->cap_pending,
			 &g) == 0)
		return 0;
	/* cannot even remember it: leak rather than free under a reader */
	CORE_LOG(ERR, "out of memory: a replaced table is leaked");
	return -ENOMEM;
}

void
lb_core_table_drop(struct lb_core *core, struct lb_core_table *t, bool now)
{
	if (now)
		rte_free(t->t);
	else
		lb_core_defer(core, t->t, LB_GARBAGE_RTE);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

/* Retire what a service slot keeps once no snapshot needs it. */
void
lb_core_rt_retire(struct lb_core *core, unsigned int svc)
{
	struct lb_core_rt *rt = &core->rt[svc];

	lb_core_table_drop(core, &rt->maglev, false);
	lb_core_table_drop(core, &rt->settled, false);
	lb_core_table_drop(core, &rt->wrr, false);
	if (rt->persist != NULL)
		lb_core_defer(core, rt->persist, LB_GARBAGE_PERSIST);
	rt->persist = NULL;
}

/* Replaced memory waits for every worker to pass a quiescent state. */
void
lb_core_retire(struct lb_core *core, struct lb_snapshot *old)
{
	struct lb_garbage g = { .p = old, .kind = LB_GARBAGE_SNAPSHOT };
	uint64_t token = 0;
	unsigned int i;

	if (core->p.qsbr == NULL) {
		lb_snap_free(old);
		for (i = 0; i < core->n_pending; i++)
			garbage_free(&core->pending[i]);
		core->n_pending = 0;
		return;
	}
	token = rte_rcu_qsbr_start(core->p.qsbr);
	if (old != NULL) {
		g.token = token;
		if (garbage_push(&core->garbage, &core->n_garbage,
				 &core->cap_garbage, &g) == 0)
			core->n_retired++;
		else
			CORE_LOG(ERR, "out of memory: a replaced snapshot is leaked");
	}
	for (i = 0; i < core->n_pending; i++) {
		core->pending[i].token = token;
		if (garbage_push(&core->garbage, &core->n_garbage,
				 &core->cap_garbage, &core->pending[i]) != 0)
			CORE_LOG(ERR, "out of memory: a replaced table is leaked");
	}
	core->n_pending = 0;
}

unsigned int
lb_core_reclaim(struct lb_core *core)
{
	unsigned int i = 0, freed = 0;

	if (core->p.qsbr == NULL)
		return 0;
	/* tokens grow in order: stop at the first that is not done */
	while (i < core->n_garbage &&
	       rte_rcu_qsbr_check(core->p.qsbr, core->garbage[i].token,
				  false) == 1) {
		if (core->garbage[i].kind == LB_GARBAGE_SNAPSHOT) {
			freed++;
			core->n_retired--;
		}
		garbage_free(&core->garbage[i]);
		i++;
	}
	if (i > 0) {
		memmove(core->garbage, core->garbage + i,
			(core->n_garbage - i) * sizeof(core->garbage[0]));
		core->n_garbage -= i;
	}
	return freed;
}

unsigned int
lb_core_retired(const struct lb_core *core)
{
	return core->n_retired;
}

/* Free what a service slot keeps, at once (no worker runs). */
static void
rt_free(struct lb_core *core, unsigned int svc)
{
	struct lb_core_rt *rt = &core->rt[svc];

	lb_core_table_drop(core, &rt->maglev, true);
	lb_core_table_drop(core, &rt->settled, true);
	lb_core_table_drop(core, &rt->wrr, true);
	lb_persist_free(rt->persist);
	rt->persist = NULL;
}

void
lb_core_runtime_free(struct lb_core *core)
{
	unsigned int i;

	for (i = 0; i < core->n_garbage; i++)
		garbage_free(&core->garbage[i]);
	for (i = 0; i < core->n_pending; i++)
		garbage_free(&core->pending[i]);
	lb_snap_free(core->cur);
	for (i = 0; i < LB_MAX_SERVICES; i++)
		rt_free(core, i);
	free(core->garbage);
	free(core->pending);
}
