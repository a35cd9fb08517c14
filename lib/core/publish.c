/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Publication: a new snapshot is built off the data path when the state
 * changed, swapped in for the workers with one atomic store, and the
 * one it replaced is handed to retire.c until no worker can read it.
 */

#include <errno.h>

#include <rte_errno.h>

#include "core_internal.h"

int
lb_core_commit(struct lb_core *core)
{
	struct lb_snapshot *s, *old;

	if (!core->dirty)
		return 0;
	/* a worker that never reaches a quiescent state would make us
	 * hold snapshots forever: refuse to pile up more */
	lb_core_reclaim(core);
	if (core->n_retired >= LB_RETIRE_MAX) {
		CORE_LOG(WARNING, "%u snapshots wait for a grace period; change deferred",
			 core->n_retired);
		return -EBUSY;
	}
	s = lb_snap_build(core);
	if (s == NULL) {
		CORE_LOG(ERR, "cannot build snapshot: %s",
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	s->version = ++core->version;
	old = core->cur;
	__atomic_store_n(&core->cur, s, __ATOMIC_RELEASE);
	lb_core_retire(core, old);
	core->dirty = false;
	return 1;
}

const struct lb_snapshot *
lb_core_snapshot(const struct lb_core *core)
{
	return __atomic_load_n(&core->cur, __ATOMIC_ACQUIRE);
}

struct lb_snapshot *const *
lb_core_snapshot_ptr(const struct lb_core *core)
{
	return &core->cur;
}
