/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * What the files of the core share. A file calls only files on the
 * lines below its own:
 *
 *   memsize.c          the hugepage memory a configuration takes
 *   reload.c, conf.c   a configuration by difference; one in and out
 *   member.c           the rules of members
 *   service.c, vip.c   the rules of services and bindings; of VIPs
 *   state.c            the state: made, freed, settings, lookups
 *   publish.c          commit: build a snapshot, swap it in
 *   snapshot.c         the snapshot and the tables kept between two
 *   retire.c           what was replaced, freed after a grace period
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
	uint32_t gen;
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
	struct lb_ip *vips;          /* sorted by lb_ip_cmp */
	unsigned int n_vips;
	struct lb_conf_flows flows;
	struct lb_core_member members[LB_MAX_MEMBERS];
	struct lb_core_service *services[LB_MAX_SERVICES];
	uint32_t svc_gen[LB_MAX_SERVICES];
	bool active;
	bool started;
	bool quiet;               /* a scratch copy: no log per change */
	uint64_t seq;
	/* ---- runtime ---- */
	bool dirty;
	uint64_t version;
	uint64_t tables_built;    /* Maglev/wrr tables built, ever */
	struct lb_core_rt rt[LB_MAX_SERVICES];
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

/* state.c */
int lb_core_port_of(const struct lb_core *core, const struct lb_ip *addr);
/* Fill err with "<where>.<key>: <problem>" (or "<where>: <problem>"
 * without a key); return rc. */
int lb_core_fail(struct lb_conf_error *err, int rc, const char *where,
		 const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The port whose own address or gateway addr is, or NULL. */
const struct lb_conf_port *lb_core_own_address(const struct lb_core *core,
						const struct lb_ip *addr);
void lb_core_services_free(struct lb_core *core);

/* service.c */
/* Would member m's source ports take ports of service s? */
bool lb_core_sports_hit_service(const struct lb_conf_member *m,
				const struct lb_conf_service *s);
/* The health a member bound to cs starts with. */
uint8_t lb_core_start_health(const struct lb_core *core,
			     const struct lb_core_service *cs);

/* vip.c */
/* Merge a sorted list of new VIPs into the state's. */
int lb_core_vips_insert(struct lb_core *core, const struct lb_ip *add,
			unsigned int n_add);
/* Refuse a VIP that is a port's own address or gateway. */
int lb_core_vips_check_ports(const struct lb_core *core,
			     const struct lb_ip *vips,
			     unsigned int n, const char *where,
			     struct lb_conf_error *err);

/* snapshot.c */
/* The bytes lb_snap_build() would allocate for the arena of a snapshot
 * of this state; 0 if out of memory. */
size_t lb_snap_size(const struct lb_core *core);

/* retire.c */
/* Set memory a build replaced aside until the next publication's grace
 * period (lb_core_retire()); -ENOMEM: leaked, never freed under a
 * reader. */
int lb_core_defer(struct lb_core *core, void *p, uint8_t kind);
/* Let a kept table go: at once (now), or deferred. */
void lb_core_table_drop(struct lb_core *core, struct lb_core_table *t,
			bool now);
/* Let go, deferred, of all that a service slot keeps. */
void lb_core_rt_retire(struct lb_core *core, unsigned int svc);
/* After a publication: the replaced snapshot old and all deferred
 * memory wait for the workers' grace period (or go at once without
 * QSBR). */
void lb_core_retire(struct lb_core *core, struct lb_snapshot *old);
/* Free at once the published snapshot, the kept tables and all that
 * waits (no worker runs any more). */
void lb_core_runtime_free(struct lb_core *core);

#endif /* LB_CORE_INTERNAL_H */
