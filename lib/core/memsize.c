/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The hugepage memory the core takes for a configuration (snapshots,
 * scheduling tables, persistence records), so that the process can say
 * before it starts whether its memory is enough.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "lb_mem.h"
#include "lb_persist.h"
#include "core_internal.h"

/* The longest wrr sequence a service can have: that of all its members
 * (a subset's period is never longer: its sum is smaller and its gcd
 * no smaller). */
static uint32_t
wrr_len_max(const struct lb_core *core, const struct lb_core_service *cs)
{
	struct lb_sched_backend be[LB_MAX_MEMBERS];
	unsigned int m, n = 0;

	for (m = 0; m < LB_MAX_MEMBERS; m++)
		if (core->members[m].used && cs->bound[m] &&
		    core->members[m].conf.weight > 0)
			be[n++] = (struct lb_sched_backend){
				.id = (uint16_t)m,
				.weight = core->members[m].conf.weight,
			};
	return lb_wrr_len(be, n);
}

/*
 * The configuration is applied to a scratch core, as dsrlb -t does;
 * each service then says what its tables take with the sizes
 * tables_update() allocates (snapshot.c), and the snapshot's arena is
 * sized by the code that sizes it for lb_snap_build().
 */
int
lb_core_memsize(const struct lb_conf *conf, struct lb_mem_heap *h,
		struct lb_core_memsize *m, struct lb_conf_error *err)
{
	struct lb_core_params p = { .qsbr = NULL, .socket_id = -1 };
	struct lb_core *core = lb_core_create(&p);
	unsigned int i;
	size_t arena;
	int rc;

	memset(m, 0, sizeof(*m));
	if (core == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory",
			 conf->source);
		return -ENOMEM;
	}
	core->quiet = true;
	rc = lb_core_apply_conf(core, conf, NULL, NULL, err);
	if (rc != 0)
		goto out;
	arena = lb_snap_size(core);
	if (arena == 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory",
			 conf->source);
		rc = -ENOMEM;
		goto out;
	}
	/* tables_update() then the arena, as lb_snap_build() */
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];

		if (cs == NULL)
			continue;
		m->maglev += lb_mem_malloc_size(
			lb_core_table_bytes(cs->conf.table_size), h);
		if (cs->conf.sched == LB_SCHED_WRR)
			m->wrr += lb_mem_malloc_size(
				lb_core_table_bytes(wrr_len_max(core, cs)), h);
		/* the settled table, while members change state */
		if (h != NULL)
			lb_mem_malloc_size(
				lb_core_table_bytes(cs->conf.table_size), h);
		if (cs->conf.persistence != 0 && !cs->conf.stateless) {
			m->persist += lb_persist_memsize(
				lb_persist_records(core->flows.capacity), h);
			m->n_persist++;
		}
	}
	m->snapshot = lb_mem_malloc_size(arena, h);
	m->peak = 2 * m->snapshot + 4 * m->maglev + 2 * m->wrr +
		  2 * m->persist;
out:
	lb_core_free(core);
	return rc;
}
