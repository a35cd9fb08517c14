/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CORE_INTERNAL_H
#define LB_CORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_log.h>

#include "lb_core.h"

extern int lb_core_logtype;
#define CORE_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_core_logtype, "core: " fmt "\n", \
		##__VA_ARGS__)

/* What a change did, unless the core is a scratch copy (a reload being
 * tried, a configuration being checked): those report as a whole. */
#define CORE_SAY(core, level, fmt, ...) do { \
	if (!(core)->quiet) \
		CORE_LOG(level, fmt, ##__VA_ARGS__); \
} while (0)

/* Snapshots replaced but perhaps still read by a worker. */
#define LB_RETIRE_MAX 64

/* What a piece of retired memory is. */
enum lb_garbage_kind {
	LB_GARBAGE_SNAPSHOT = 0,
	LB_GARBAGE_RTE,           /* rte_free() */
	LB_GARBAGE_PERSIST,       /* lb_persist_free() */
};

struct lb_garbage {
	void *p;
	uint8_t kind;
	uint64_t token;
};

/* One member as a table was built from it: the same list builds the
 * same table (names are fixed for a slot's generation). */
struct lb_core_be {
	uint16_t slot;
	uint16_t gen;
	uint32_t weight;
};

/* A scheduling table kept from one commit to the next while its
 * members and weights stay the same. */
struct lb_core_table {
	uint16_t *t;              /* rte_malloc'ed; NULL: not built */
	uint32_t size;            /* entries in t */
	struct lb_core_be *key;   /* what it was built from */
	unsigned int n_key;
};

/* Per service slot: what outlives one snapshot. */
struct lb_core_rt {
	uint16_t gen;             /* service generation these belong to */
	struct lb_core_table maglev;
	struct lb_core_table settled;
	struct lb_core_table wrr;
	struct lb_persist *persist;
};

struct lb_core {
	struct lb_core_params p;
	/* ---- state: what a reload replaces as a whole ---- */
	struct lb_core_port ports[LB_MAX_PORTS];
	unsigned int n_ports;
	struct lb_conf settings;  /* process settings; no lists */
	uint32_t *vips;
	unsigned int n_vips;
	struct lb_conf_flows flows;
	struct lb_core_member members[LB_MAX_MEMBERS];
	struct lb_core_service *services[LB_MAX_SERVICES];
	uint16_t svc_gen[LB_MAX_SERVICES];
	bool active;
	bool started;
	bool quiet;               /* a scratch copy: no log per change */
	uint64_t seq;
	/* ---- runtime ---- */
	bool dirty;
	uint64_t version;
	uint64_t tables_built;    /* Maglev/wrr tables built, ever */
	struct lb_core_rt rt[LB_MAX_SERVICES];
	uint16_t persist_gen[LB_MAX_MEMBERS]; /* member gens the persistence
						 records were last cleared at */
	struct lb_snapshot *cur;  /* read by workers: atomic accesses */
	/* replaced memory waiting for a grace period (snapshots, tables) */
	struct lb_garbage *garbage;
	unsigned int n_garbage;
	unsigned int cap_garbage;
	unsigned int n_retired;   /* snapshots among them */
	/* replaced by a build, not yet given a token */
	struct lb_garbage *pending;
	unsigned int n_pending;
	unsigned int cap_pending;
};

/* Bytes of a scheduling table of len entries (one spare). */
static inline size_t
lb_core_table_bytes(uint32_t len)
{
	return ((size_t)len + 1) * sizeof(uint16_t);
}

/* snapshot.c */
/* The bytes lb_snap_build() would allocate for the arena of a snapshot
 * of this state; 0 if out of memory. */
size_t lb_snap_size(const struct lb_core *core);
int lb_core_defer(struct lb_core *core, void *p, uint8_t kind);
void lb_core_garbage_free(struct lb_garbage *g);
void lb_core_rt_free(struct lb_core *core, unsigned int svc);

#endif /* LB_CORE_INTERNAL_H */
