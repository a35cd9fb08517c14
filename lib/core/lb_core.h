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
#include <stdint.h>

#include "lb_config.h"
#include "lb_snap.h"

struct rte_rcu_qsbr;
struct lb_core;

/** Member MAC state. */
enum lb_mac_state {
	LB_MAC_NONE = 0,   /**< not known yet: resolving */
	LB_MAC_STATIC,     /**< from the configuration, never resolved */
	LB_MAC_RESOLVED,   /**< learnt by ARP (kept while ARP goes unanswered) */
	LB_MAC_FAILED,     /**< never answered ARP: unreachable */
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
	uint16_t gen;
	uint8_t used;
	uint8_t mac_state;           /**< enum lb_mac_state */
	uint8_t mac[6];              /**< valid unless LB_MAC_NONE */
};

/** A service's control-plane view (read-only for callers). */
struct lb_core_service {
	struct lb_conf_service conf; /**< members/n_members unused here */
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
 * Apply a whole validated configuration to an empty core: ports (with
 * their DPDK port ids and MACs), VIPs, flow timeouts, members, services.
 * Does not commit.
 *
 * @param dpdk_ports
 *   DPDK port id of each configured port.
 * @param macs
 *   MAC address of each configured port.
 * @return
 *   0, or a negative errno with err set.
 */
int lb_core_apply_conf(struct lb_core *core, const struct lb_conf *conf,
		       const uint16_t *dpdk_ports, const uint8_t (*macs)[6],
		       struct lb_conf_error *err);

/** Add a port; its index, or a negative errno. */
int lb_core_port_add(struct lb_core *core, const struct lb_conf_port *p,
		     uint16_t dpdk_port, const uint8_t *mac);

/** Replace the VIP set (network order, unique, sorted by lb_conf_vip_cmp). */
int lb_core_vips_set(struct lb_core *core, const uint32_t *vips,
		     unsigned int n);

/** Set the flow timeouts (seconds). */
void lb_core_flows_set(struct lb_core *core, const struct lb_conf_flows *f);

/**
 * Add a member. Its port is the one whose subnet holds its address.
 *
 * @return
 *   The member slot, or -EEXIST (name or address taken), -ENOSPC,
 *   -EINVAL (address on no port).
 */
int lb_core_member_add(struct lb_core *core, const struct lb_conf_member *m);

/** Remove a member; its flows are rescheduled. */
int lb_core_member_remove(struct lb_core *core, unsigned int slot);

/** Set a member's weight (0..65535). */
int lb_core_member_set_weight(struct lb_core *core, unsigned int slot,
			      uint32_t weight);

/** Set a member's administrative state (enum lb_admin_state). */
int lb_core_member_set_state(struct lb_core *core, unsigned int slot,
			     uint8_t state);

/**
 * Set a member's resolved MAC, or (NULL) record that it never answered
 * ARP (LB_MAC_FAILED: unreachable, its flows move). A member whose ARP
 * refresh goes unanswered keeps its MAC: the caller does not call this.
 * A static MAC is never replaced. Marks the core dirty only on a change.
 */
void lb_core_member_set_mac(struct lb_core *core, unsigned int slot,
			    const uint8_t *mac);

/**
 * Add a service. conf->members names member indexes of the conf the
 * caller validated against; pass bound_slots instead to bind by slot
 * (NULL with n_members == 0 binds every member, present and future).
 *
 * @return
 *   The service slot, or a negative errno.
 */
int lb_core_service_add(struct lb_core *core, const struct lb_conf_service *s,
			const uint16_t *bound_slots, unsigned int n_bound);

/** Remove a service. */
int lb_core_service_remove(struct lb_core *core, unsigned int slot);

/** Set a member's health for a service. */
void lb_core_health_set(struct lb_core *core, unsigned int svc,
			unsigned int member, enum lb_health h);

/** Enter or leave standby. */
void lb_core_set_active(struct lb_core *core, bool active);

/** Slot of a member by name, or -ENOENT. */
int lb_core_member_find(const struct lb_core *core, const char *name);

/** Slot of a service by name, or -ENOENT. */
int lb_core_service_find(const struct lb_core *core, const char *name);

/** Slot of the member with this address, or -ENOENT. */
int lb_core_member_by_addr(const struct lb_core *core, uint32_t addr);

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
const uint32_t *lb_core_vips(const struct lb_core *core, unsigned int *n);

/** True if addr (network order) is a VIP. */
bool lb_core_is_vip(const struct lb_core *core, uint32_t addr);

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
 * Build a snapshot from the current state. Used by lb_core_commit(), and
 * directly by tests and the benchmark.
 *
 * @return
 *   A snapshot to free with lb_snap_free(), or NULL with rte_errno set.
 */
struct lb_snapshot *lb_snap_build(const struct lb_core *core);

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
