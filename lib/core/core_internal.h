/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CORE_INTERNAL_H
#define LB_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "lb_core.h"

extern int lb_core_logtype;
#define CORE_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_core_logtype, "core: " fmt "\n", \
		##__VA_ARGS__)

/* Snapshots replaced but perhaps still read by a worker. */
#define LB_RETIRE_MAX 64

struct lb_retired {
	struct lb_snapshot *snap;
	uint64_t token;
};

struct lb_core {
	struct lb_core_params p;
	struct lb_core_port ports[LB_MAX_PORTS];
	unsigned int n_ports;
	uint32_t *vips;
	unsigned int n_vips;
	struct lb_conf_flows flows;
	struct lb_core_member members[LB_MAX_MEMBERS];
	struct lb_core_service *services[LB_MAX_SERVICES];
	bool active;
	bool dirty;
	uint64_t version;
	struct lb_snapshot *cur;  /* read by workers: atomic accesses */
	struct lb_retired retired[LB_RETIRE_MAX];
	unsigned int n_retired;
};

#endif /* LB_CORE_INTERNAL_H */
