/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CORE_H
#define LB_CORE_H

/**
 * @file
 * The core API: the one place that changes the balancer's state. The
 * configuration loader and the control socket only decode requests and
 * call these functions (VPP lb's lb.c / api.c split).
 *
 * All functions run on the master thread. Changes accumulate in the
 * core's private state; lb_core_commit() builds a new snapshot off the
 * data path and publishes it, and lb_core_reclaim() frees replaced
 * snapshots once every worker has passed a quiescent state.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb_config.h"
#include "lb_snap.h"

struct lb_mem_heap;
struct rte_rcu_qsbr;
struct lb_core;

/** Member MAC state. */
enum lb_mac_state {
	LB_MAC_NONE = 0,   /**< not known yet: resolving */
	LB_MAC_STATIC,     /**< from the configuration, never resolved */
	LB_MAC_RESOLVED,   /**< learnt by ARP (kept while ARP goes unanswered) */
	LB_MAC_FAILED,     /**< never answered ARP, or stopped answering with
				no health check covering it: unreachable */
	LB_MAC_STATE_MAX,
};

/** Names of the MAC states, for display. */
extern const char *const lb_mac_state_names[LB_MAC_STATE_MAX];

/** True if a MAC state holds a MAC the data path can send to. */
static inline bool
lb_mac_known(uint8_t mac_state)
{
	return mac_state == LB_MAC_STATIC || mac_state == LB_MAC_RESOLVED;
}

/** Health of a member for one service. */
enum lb_health {
	LB_HEALTH_UP = 0,  /**< passing, or not checked yet */
	LB_HEALTH_DOWN,    /**< failing */
};

/** Core creation parameters. */
struct lb_core_params {
	struct rte_rcu_qsbr *qsbr; /**< workers' QSBR; NULL frees at once */
	int socket_id;             /**< memory for snapshots */
};

/** A member's control-plane view (read-only for callers). */
struct lb_core_member {
	struct lb_conf_member conf;  /**< as configured or last set */
	uint32_t gen;                /**< bumped when the slot is reused
					  (32 bits: it never wraps while a
					  flow of the slot's member lives) */
	uint8_t used;
	uint8_t removing;            /**< removed with drain: takes no new
					  flows, goes once its flows end */
	uint8_t mac_state;           /**< enum lb_mac_state */
	uint8_t mac[6];              /**< valid unless LB_MAC_NONE */
};

/** A service's control-plane view (read-only for callers). */
struct lb_core_service {
	struct lb_conf_service conf; /**< members/n_members unused here */
	uint32_t gen;                /**< bumped when the slot is reused */
	uint8_t used;
	uint8_t all_members;         /**< bound to every member */
	uint8_t bound[LB_MAX_MEMBERS];  /**< member slot is in the service */
	uint8_t health[LB_MAX_MEMBERS]; /**< enum lb_health per member slot */
};

/** A port's control-plane view. */
struct lb_core_port {
	struct lb_conf_port conf;
	uint16_t dpdk_port;
	uint8_t mac[6];
};

/**
 * Create an empty core.
 *
 * @return
 *   The core, or NULL with rte_errno set.
 */
struct lb_core *lb_core_create(const struct lb_core_params *p);

/** Free a core and every snapshot; workers must have stopped. */
void lb_core_free(struct lb_core *core);

/**
 * Apply a decoded configuration to an empty core: ports (with their
 * DPDK port ids and MACs), process settings, VIPs, flow timeouts,
 * members, services, each validated by the same rules as a control
 * request (messages name the file and JSON path). Does not commit.
 *
 * @param dpdk_ports
 *   DPDK port id of each configured port (NULL: 0, 1, ...).
 * @param macs
 *   MAC address of each configured port (NULL: zeros).
 * @return
 *   0, or a negative errno with err set.
 */
int lb_core_apply_conf(struct lb_core *core, const struct lb_conf *conf,
		       const uint16_t *dpdk_ports, const uint8_t (*macs)[6],
		       struct lb_conf_error *err);

/**
 * Validate a decoded configuration as a whole, as lb_core_apply_conf()
 * would (dsrlb -t). Needs no EAL.
 */
int lb_core_conf_check(const struct lb_conf *conf, struct lb_conf_error *err);

/** Hugepage bytes the core takes for a configuration (lb_core_memsize()). */
struct lb_core_memsize {
	size_t snapshot;         /**< one snapshot */
	size_t maglev;           /**< one Maglev table per service */
	size_t wrr;              /**< one sequence per wrr service */
	size_t persist;          /**< one persistence table per service with
				      persistence */
	unsigned int n_persist;  /**< those services */
	/** the most held at once: the snapshot being published beside the
	 *  one it replaces; per service a Maglev table, and a settled one
	 *  while its members change state, each beside the one it
	 *  replaces; wrr sequences and persistence tables beside those of
	 *  the services a reload replaces */
	size_t peak;
};

/**
 * What lb_core_commit() allocates for a configuration (snapshots,
 * scheduling tables, persistence records, on the core's socket),
 * computed from the state lb_core_apply_conf() makes of it with the
 * sizes the allocations use. The peak assumes a grace period ends before
 * the next commit (workers that run). Needs no EAL.
 *
 * @param h
 *   Unless NULL, a heap (lb_mem.h) that gets the allocations of one
 *   commit that builds every table: per service its Maglev table, wrr
 *   sequence, settled table and persistence table, then the snapshot.
 *
 * @return
 *   0, or a negative errno with err set (an invalid configuration, as
 *   lb_core_conf_check()).
 */
int lb_core_memsize(const struct lb_conf *conf, struct lb_mem_heap *h,
		    struct lb_core_memsize *m, struct lb_conf_error *err);

/** What a reload changed (names). */
struct lb_core_diff {
	unsigned int n[8];           /**< per LB_DIFF_* */
	char (*names[8])[LB_NAME_MAX]; /**< malloc'ed lists, per LB_DIFF_* */
	struct lb_ip *vips[2];       /**< added, removed */
	unsigned int n_vips[2];
};

enum {
	LB_DIFF_MEMBER_ADDED = 0,
	LB_DIFF_MEMBER_REMOVED,
	LB_DIFF_MEMBER_CHANGED,
	LB_DIFF_SERVICE_ADDED,
	LB_DIFF_SERVICE_REMOVED,
	LB_DIFF_SERVICE_CHANGED,
	LB_DIFF_KINDS,
};

/** Release the lists of a diff. */
void lb_core_diff_free(struct lb_core_diff *d);

/**
 * Make the running state that of a decoded configuration, as one
 * change: compute the difference (VIPs, members and services by name;
 * flow timeouts), validate it on a copy of the state and, only if all
 * of it is valid, apply it. Members that are gone are removed with
 * drain. Ports and process settings cannot change at run time: a
 * configuration that changes them is refused (a restart applies it).
 * Does not commit.
 *
 * @param diff
 *   Out (may be NULL): what changed; release with lb_core_diff_free().
 * @return
 *   0 (state replaced, or nothing to change), or a negative errno with
 *   err naming the place; the state is then untouched.
 */
int lb_core_reload(struct lb_core *core, const struct lb_conf *conf,
		   struct lb_core_diff *diff, struct lb_conf_error *err);

/**
 * The running state as a configuration in the file format's structures
 * (lb_conf_encode() writes it): what a reload of it leaves unchanged.
 * Members being removed are left out.
 *
 * @return
 *   A configuration to release with lb_conf_free(), or NULL.
 */
struct lb_conf *lb_core_to_conf(const struct lb_core *core);

/** Process settings the core was configured with (ports, interface,
 *  sockets, dataplane, ARP; no lists). */
const struct lb_conf *lb_core_settings(const struct lb_core *core);

/** Add a port; its index, or a negative errno. */
int lb_core_port_add(struct lb_core *core, const struct lb_conf_port *p,
		     uint16_t dpdk_port, const uint8_t *mac);

/** Replace the VIP set (unique, sorted by lb_ip_cmp). */
int lb_core_vips_set(struct lb_core *core, const struct lb_ip *vips,
		     unsigned int n);

/** The flow settings (timeouts in seconds). */
const struct lb_conf_flows *lb_core_flows(const struct lb_core *core);

/** Set the flow timeouts (seconds). */
void lb_core_flows_set(struct lb_core *core, const struct lb_conf_flows *f);

/**
 * Add a member after checking it against the state: name and address
 * unique, address on a port's subnet (its port) and not a VIP or an own,
 * gateway, network or broadcast address, source ports overlapping no
 * other member's range and no service's port.
 *
 * @param where
 *   The object's place for messages ("t.json: members[2]", "params").
 * @param err
 *   "<where>.<key>: <problem>" on failure (may be NULL).
 * @return
 *   The member slot, or -EEXIST (name or address taken), -ENOSPC,
 *   -EINVAL (anything else).
 */
int lb_core_member_create(struct lb_core *core, const struct lb_conf_member *m,
			  const char *where, struct lb_conf_error *err);

/** lb_core_member_create() without a message. */
int lb_core_member_add(struct lb_core *core, const struct lb_conf_member *m);

/**
 * Replace a member's settings (weight, state, MAC, source ports; the
 * name and address stay), checked as lb_core_member_create().
 */
int lb_core_member_update(struct lb_core *core, unsigned int slot,
			  const struct lb_conf_member *m, const char *where,
			  struct lb_conf_error *err);

/**
 * Whether a member yet to be created (m, its address on a port) may join
 * service svc: one that lists its members, and, if checked, a member on
 * ports[0] (checks leave from the exception interface, which stands for
 * it). 0, or -ENOENT (no such service) or -EINVAL with err naming
 * where; lb_core_service_bind() then succeeds once m is created.
 */
int lb_core_service_can_bind(const struct lb_core *core, unsigned int svc,
			     const struct lb_conf_member *m, const char *where,
			     struct lb_conf_error *err);

/** Join a member to a service that lists its members. */
int lb_core_service_bind(struct lb_core *core, unsigned int svc,
			 unsigned int member);

/** Remove a member now; its flows are rescheduled. */
int lb_core_member_remove(struct lb_core *core, unsigned int slot);

/**
 * Remove a member with drain: it takes no new flows and keeps the ones
 * it has; the caller removes it (lb_core_member_remove()) once they end.
 * Its name and address stay taken meanwhile.
 */
int lb_core_member_retire(struct lb_core *core, unsigned int slot);

/** Set a member's weight (0..65535). */
int lb_core_member_set_weight(struct lb_core *core, unsigned int slot,
			      uint32_t weight);

/** Set a member's administrative state (enum lb_admin_state). */
int lb_core_member_set_state(struct lb_core *core, unsigned int slot,
			     uint8_t state);

/**
 * Set a member's resolved MAC, or (NULL) record that it never answered
 * ARP (LB_MAC_FAILED: unreachable, its flows move). A member whose ARP
 * refresh goes unanswered keeps its MAC while a health check covers it
 * (the check decides); one no check covers fails after
 * arp.stale_retries unanswered requests (the caller passes NULL then).
 * A static MAC is never replaced. Marks the core dirty only on a change.
 */
void lb_core_member_set_mac(struct lb_core *core, unsigned int slot,
			    const uint8_t *mac);

/**
 * Add a service after checking it against the state: name unique, VIP
 * configured ("*": at least one VIP), port overlapping no service of the
 * same VIP, protocol and kind (exact, range, any), no member's source
 * ports, members (s->members names, NULL: every member, present and
 * future) existing and, when checked, on the port the checks leave from.
 *
 * @return
 *   The service slot, or -EEXIST, -ENOENT (a member does not exist),
 *   -ENOSPC, -EINVAL, with err "<where>.<key>: <problem>".
 */
int lb_core_service_create(struct lb_core *core,
			   const struct lb_conf_service *s, const char *where,
			   struct lb_conf_error *err);

/**
 * Add a service bound to member slots (bound_slots NULL: every member,
 * present and future), checked as lb_core_service_create(); for tests
 * and the benchmark.
 */
int lb_core_service_add(struct lb_core *core, const struct lb_conf_service *s,
			const uint16_t *bound_slots, unsigned int n_bound);

/**
 * Replace a service's settings (name stays; s->members as in
 * lb_core_service_create()), keeping its slot so its flows stay.
 */
int lb_core_service_update(struct lb_core *core, unsigned int slot,
			   const struct lb_conf_service *s, const char *where,
			   struct lb_conf_error *err);

/** Remove a service. */
int lb_core_service_remove(struct lb_core *core, unsigned int slot);

/**
 * Add VIPs: addr/prefix (prefix 24..32 for IPv4, 120..128 for IPv6)
 * expands to every address. Not an own address, gateway or member.
 *
 * @return
 *   The number of addresses added (0: all there already), or a negative
 *   errno with err set.
 */
int lb_core_vip_add(struct lb_core *core, const struct lb_ip *addr,
		    uint8_t prefix,
		    const char *where, struct lb_conf_error *err);

/**
 * Remove VIPs (as lb_core_vip_add()); refused (-EBUSY) while a service
 * names one of them, or if it would leave services on every VIP ("*")
 * without any.
 *
 * @return
 *   The number of addresses removed, or a negative errno.
 */
int lb_core_vip_remove(struct lb_core *core, const struct lb_ip *addr,
		       uint8_t prefix,
		       const char *where, struct lb_conf_error *err);

/** Scheduling tables (Maglev, wrr) built since creation: an unchanged
 *  service reuses its tables from one commit to the next. */
uint64_t lb_core_tables_built(const struct lb_core *core);

/** Set a member's health for a service. */
void lb_core_health_set(struct lb_core *core, unsigned int svc,
			unsigned int member, enum lb_health h);

/** Enter or leave standby. */
void lb_core_set_active(struct lb_core *core, bool active);

/**
 * Set the high-availability settings of a core built without
 * lb_core_apply_conf() (tests, the benchmark); the next commit
 * publishes what they change for the workers (VIP ARP, VRRP, sync).
 */
void lb_core_set_ha(struct lb_core *core, const struct lb_conf_ha *ha);

/** Slot of a member by name, or -ENOENT. */
int lb_core_member_find(const struct lb_core *core, const char *name);

/** Slot of a service by name, or -ENOENT. */
int lb_core_service_find(const struct lb_core *core, const char *name);

/** Slot of the member with this address, or -ENOENT. */
int lb_core_member_by_addr(const struct lb_core *core,
			   const struct lb_ip *addr);

/** A member slot's state, or NULL if unused. */
const struct lb_core_member *lb_core_member(const struct lb_core *core,
					    unsigned int slot);

/** A service slot's state, or NULL if unused. */
const struct lb_core_service *lb_core_service(const struct lb_core *core,
					      unsigned int slot);

/** A port's state, or NULL. */
const struct lb_core_port *lb_core_port(const struct lb_core *core,
					unsigned int idx);

/** Number of ports. */
unsigned int lb_core_n_ports(const struct lb_core *core);

/** The VIPs (network order, sorted). */
const struct lb_ip *lb_core_vips(const struct lb_core *core, unsigned int *n);

/** True if addr (network order) is a VIP. */
bool lb_core_is_vip(const struct lb_core *core, const struct lb_ip *addr);

/** lb_core_is_vip() of an IPv4 address (network order). */
bool lb_core_is_vip4(const struct lb_core *core, uint32_t addr);

/**
 * A number that changes whenever members or services are added,
 * removed or changed in a way their health checks and neighbor
 * resolution depend on (address, check, binding): the master
 * reconciles its checks and ARP targets when it changes.
 */
uint64_t lb_core_seq(const struct lb_core *core);

/**
 * Mark the boot configuration applied. From then on, a (service,
 * member) pair that is added starts down when the service is checked,
 * and takes traffic once its first check passes; at boot every pair
 * starts up so a restarted balancer keeps its flows.
 */
void lb_core_set_started(struct lb_core *core);

/** True while active (not standby). */
bool lb_core_active(const struct lb_core *core);

/** True if a member takes new flows of a service in the current state. */
bool lb_core_member_usable(const struct lb_core *core, unsigned int svc,
			   unsigned int member);

/**
 * True if a member is in a service's settled membership: usable, or
 * only waiting for its MAC (resolving). Not known to be out: not down,
 * disabled, drained, weight 0, or failing to answer ARP.
 */
bool lb_core_member_settled(const struct lb_core *core, unsigned int svc,
			    unsigned int member);

/**
 * What a service may do with a member now (LB_MS_*, as the next
 * snapshot will say): for display, ahead of the commit.
 */
uint8_t lb_core_member_mstate(const struct lb_core *core, unsigned int svc,
			      unsigned int member);

/**
 * Build a snapshot from the current state. Used by lb_core_commit(), and
 * directly by tests and the benchmark.
 *
 * @return
 *   A snapshot to free with lb_snap_free(), or NULL with rte_errno set.
 */
struct lb_snapshot *lb_snap_build(struct lb_core *core);

/** Free a snapshot that no worker can see. */
void lb_snap_free(struct lb_snapshot *s);

/**
 * Publish the state if it changed since the last commit: build a
 * snapshot, swap it in, and retire the old one until the workers have
 * passed a quiescent state. On failure the running snapshot stays.
 *
 * @return
 *   1 if a new snapshot was published, 0 if nothing changed, or a
 *   negative errno.
 */
int lb_core_commit(struct lb_core *core);

/** The current snapshot (for workers: once per burst). */
const struct lb_snapshot *lb_core_snapshot(const struct lb_core *core);

/** Address of the current-snapshot pointer, for workers to load. */
struct lb_snapshot *const *lb_core_snapshot_ptr(const struct lb_core *core);

/**
 * Free retired snapshots that no worker can still see. Never blocks.
 *
 * @return
 *   Number of snapshots freed.
 */
unsigned int lb_core_reclaim(struct lb_core *core);

/** Number of retired snapshots still waiting for a grace period. */
unsigned int lb_core_retired(const struct lb_core *core);

#endif /* LB_CORE_H */
