/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <string.h>

#include "lb_stats.h"

#define LB_STAT_DESC(id, k, n, h) [LB_STAT_##id] = { .name = n, .help = h, .kind = #k[0] },

const struct lb_stat_desc lb_stats_worker_desc[LB_STAT_WORKER_MAX] = {
	LB_STATS_WORKER(LB_STAT_DESC)
};

const struct lb_stat_desc lb_stats_master_desc[LB_STAT_MASTER_MAX] = {
	LB_STATS_MASTER(LB_STAT_DESC)
};

int
lb_stats_worker_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < LB_STAT_WORKER_MAX; i++)
		if (strcmp(lb_stats_worker_desc[i].name, name) == 0)
			return i;
	return -ENOENT;
}
