/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_SNAP_H
#define LB_SNAP_H

/**
 * @file
 * The snapshot: everything a worker reads to forward a packet, built by
 * the master from the control-plane state, immutable once published.
 *
 * Workers load the current snapshot pointer once per burst and report a
 * quiescent state after it; the master frees a replaced snapshot only
 * when every worker has reported one since the replacement (rte_rcu_qsbr).
 * Only hot, compact tables live here; names and other metadata stay in
 * the core's private state.
 */

#include <stdint.h>

#include "lb_config.h"
#include "lb_flow.h"
#include "lb_pkt.h"
#include "lb_persist.h"
#include "lb_sched.h"

/** Kinds of entries in the address table. */
#define LB_ADDR_VIP 1    /**< a VIP: idx is its index in lb_snapshot::vips */
#define LB_ADDR_OWN 2    /**< a port's own address: idx is the port index */
#define LB_ADDR_MEMBER 3 /**< a member's address: idx is its slot (a
			      packet's source: trusted on the exception path) */
#define LB_ADDR_ROUTER 4 /**< a port's gateway or a high_availability
			      router (a source: BGP, BFD) */
#define LB_ADDR_PEER 5   /**< a sync peer: idx is its index in
			      high_availability.sync.peers (a source: flow
			      sync, VRRP) */

/** Open-addressing table of every address the balancer owns, and its
 *  members' addresses. */
struct lb_addr_slot {
	uint32_t addr;  /**< network order */
	uint16_t idx;
	uint8_t kind;   /**< LB_ADDR_*; 0 = empty slot */
	uint8_t pad;
};

/** The same for IPv6 addresses (lb_snapshot::addrs6). */
struct lb_addr6_slot {
	uint8_t addr[16];
	uint16_t idx;
	uint8_t kind;   /**< LB_ADDR_*; 0 = empty slot */
	uint8_t pad;
};

/** Range targets. */
#define LB_RANGE_SERVICE 1 /**< target is a service slot */
#define LB_RANGE_MEMBER  2 /**< target is the member owning the ports */

/** A run of destination ports on one VIP and protocol. Sorted, disjoint. */
struct lb_range {
	uint16_t lo;
	uint16_t hi;
	uint16_t target;
	uint16_t kind;  /**< LB_RANGE_* */
};

/** Index into lb_snap_vip::list by protocol. */
#define LB_PROTO_TCP 0
#define LB_PROTO_UDP 1

/** Where a VIP's port ranges are, per protocol. */
struct lb_snap_vip {
	struct lb_ip addr;
	uint32_t first[2];  /**< first range in lb_snapshot::ranges */
	uint16_t count[2];  /**< number of ranges */
};

/** Member flags. */
#define LB_SM_VALID 0x01  /**< slot in use */
#define LB_SM_FWD   0x02  /**< has a MAC and is not disabled: may receive */

/** A member as workers see it. */
struct lb_snap_member {
	uint8_t mac[LB_ETH_ALEN];
	uint8_t port;      /**< index of the port holding it */
	uint8_t flags;     /**< LB_SM_* */
	uint32_t gen;      /**< bumped when the slot is reused */
};

/** What a service may do with a member (lb_snap_service::mstate). */
#define LB_MS_NONE   0 /**< not bound, down, disabled, or never answered ARP */
#define LB_MS_ACTIVE 1 /**< takes new and existing flows */
#define LB_MS_DRAIN  2 /**< keeps existing flows only */
#define LB_MS_WAIT   3 /**< keeps its flows, but its MAC is not known yet:
			    their packets wait (are dropped) */
#define LB_MS_RETIRE 4 /**< being removed with drain: keeps its flows,
			    takes no new ones, and no longer holds its
			    persistent clients (drain does) */

/** A service as workers see it. */
struct lb_snap_service {
	uint8_t valid;
	uint8_t proto;       /**< LB_IPPROTO_TCP/UDP */
	uint8_t sched;       /**< enum lb_sched_kind */
	uint8_t stateless;
	uint8_t hash_fields; /**< LB_HASH_F_* */
	uint8_t persist_prefix6; /**< IPv6 client prefix for persistence */
	uint16_t n_active;   /**< members taking new flows */
	uint32_t table_size; /**< Maglev table size */
	uint32_t wrr_len;
	uint32_t persist_s;  /**< persistence timeout in seconds, 0 = off */
	uint32_t persist_mask; /**< client address mask, network order */
	/** the service's persistence records, shared by every worker and
	 *  written by them (NULL when persist_s is 0); owned by the core,
	 *  freed after a grace period once no snapshot points to it */
	struct lb_persist *persist;
	const uint16_t *weight; /**< LB_MAX_MEMBERS member weights (wlc) */
	const uint16_t *active_list; /**< the n_active member slots that take
					  new flows, in slot order */
	/** table_size member slots: the members that take new flows now */
	const uint16_t *maglev;
	/**
	 * table_size member slots: the members that will take new flows
	 * once every one is resolved, i.e. all but those known to be out
	 * (down, disabled, drained, never answering ARP). Where existing
	 * connections without an entry are: while a balancer converges
	 * after a start, this is not where the partial membership of the
	 * first seconds would put them. The same table as maglev when
	 * every member is resolved.
	 */
	const uint16_t *settled;
	const uint16_t *wrr;    /**< wrr_len entries of member slots */
	const uint8_t *mstate;  /**< LB_MAX_MEMBERS entries of LB_MS_* */
};

/** A port as workers see it. */
struct lb_snap_port {
	uint8_t mac[LB_ETH_ALEN];
	uint16_t vlan;       /**< 0 = untagged */
	uint16_t dpdk_port;
	uint16_t mtu;        /**< largest IPv4 packet on the segment */
	uint32_t addr;       /**< network order */
	uint32_t mask;       /**< network order */
	/** the longest frame the port takes: mtu, the Ethernet header and
	 *  the port's tag */
	uint16_t max_frame;
	uint16_t pad;
};

/** One immutable view of the configuration and state. */
struct lb_snapshot {
	uint64_t version;
	uint8_t active;         /**< 0: standby, forward nothing for VIPs */
	uint8_t n_ports;
	uint16_t n_services;    /**< highest service slot + 1 */
	uint8_t vip_arp;        /**< answer ARP for VIPs: active, and not
				     ECMP (the router routes VIPs to us) */
	uint8_t vrrp;           /**< pass VRRP to the master (mode vrrp) */
	uint16_t sync;          /**< hand flows to sync to the master */
	uint32_t addr_mask;     /**< addrs has addr_mask + 1 slots */
	const struct lb_addr_slot *addrs;
	uint32_t addr6_mask;    /**< addrs6 has addr6_mask + 1 slots */
	const struct lb_addr6_slot *addrs6;
	const struct lb_snap_vip *vips;
	uint32_t n_vips;
	const struct lb_range *ranges;
	struct lb_flow_timeouts timeouts;
	struct lb_snap_port ports[LB_MAX_PORTS];
	struct lb_snap_member members[LB_MAX_MEMBERS];
	struct lb_snap_service services[LB_MAX_SERVICES];
	void *arena;            /**< one allocation behind the arrays */
};

/** Find an address; the slot or NULL. */
static inline const struct lb_addr_slot *
lb_snap_addr_lookup(const struct lb_snapshot *s, uint32_t addr)
{
	uint32_t i = rte_hash_crc_4byte(addr, LB_HASH_SEED) & s->addr_mask;

	for (;;) {
		const struct lb_addr_slot *a = &s->addrs[i];

		/* kind, not addr, marks an empty slot: 0.0.0.0 finds none */
		if (a->kind == 0)
			return NULL;
		if (a->addr == addr)
			return a;
		i = (i + 1) & s->addr_mask;
	}
}

/** The hash of an IPv6 address in the address table. */
static inline uint32_t
lb_snap_addr6_hash(const uint8_t *addr)
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, LB_HASH_SEED));
}

/** Find an IPv6 address (16 bytes); the slot or NULL. */
static inline const struct lb_addr6_slot *
lb_snap_addr6_lookup(const struct lb_snapshot *s, const uint8_t *addr)
{
	uint32_t i = lb_snap_addr6_hash(addr) & s->addr6_mask;

	for (;;) {
		const struct lb_addr6_slot *a = &s->addrs6[i];

		if (a->kind == 0)
			return NULL;
		if (memcmp(a->addr, addr, 16) == 0)
			return a;
		i = (i + 1) & s->addr6_mask;
	}
}

/** Find the range holding port on a VIP; NULL if none. */
static inline const struct lb_range *
lb_snap_range_lookup(const struct lb_snapshot *s, const struct lb_snap_vip *v,
		     unsigned int proto_idx, uint16_t port)
{
	const struct lb_range *r = &s->ranges[v->first[proto_idx]];
	uint32_t lo = 0, hi = v->count[proto_idx];

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (port > r[mid].hi)
			lo = mid + 1;
		else if (port < r[mid].lo)
			hi = mid;
		else
			return &r[mid];
	}
	return NULL;
}

#endif /* LB_SNAP_H */
