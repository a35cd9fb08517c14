/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_KIF_H
#define LB_KIF_H

/**
 * @file
 * The kernel interface (exception path): a TAP interface (net_tap) that
 * carries a data port's own address and MAC, so kernel sockets on that
 * address work through the data port: health checks, ssh, ping. Its
 * owner hands it the frames from the wire that are for the kernel and
 * polls it for the frames the kernel sends, which leave through the
 * owner's callback; the kernel sees an ordinary Ethernet interface on
 * the segment.
 *
 * The interface is set up over rtnetlink: the address, link up, no
 * IPv6, and (with a gateway) a source-address policy route in table
 * LB_KIF_TABLE, so answers from the own address leave through the data
 * port even when the host's default route points at a management
 * interface.
 *
 * One interface per process; every call on one thread (the master).
 */

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;

/** Routing table of the policy route for the own address. */
#define LB_KIF_TABLE 25715      /* 0x6473, "ds" */
/** Priority of the rule sending the own address to LB_KIF_TABLE. */
#define LB_KIF_RULE_PRIO 1000

/** What the kernel interface stands for, and where its frames go. */
struct lb_kif_params {
	const char *ifname;        /**< kernel interface name (< IFNAMSIZ) */
	const uint8_t *mac;        /**< the data port's MAC, given to the TAP */
	uint32_t addr;             /**< own address, network order */
	uint8_t prefix;            /**< its subnet length */
	uint32_t gateway;          /**< network order; 0: no policy route */
	uint8_t addr6[16];         /**< own IPv6 address, if prefix6 */
	uint8_t prefix6;           /**< its subnet length; 0: no IPv6 */
	uint8_t gateway6[16];      /**< all zero: no IPv6 policy route */
	uint16_t vlan;             /**< the data port's 802.1Q tag, 0: none */
	uint16_t mtu;              /**< the data port's MTU, given to the
					interface as far as the TAP driver
					carries it; 0: the kernel's default */
	struct rte_mempool *pool;  /**< mbufs for the frames the kernel sends */
	int socket_id;             /**< for the TAP's queues */
	/** Send a frame the kernel sent (tagged for the port) to the wire.
	 *  Returns 0, or a negative errno after freeing the frame. */
	int (*to_wire)(void *ctx, struct rte_mbuf *m);
	void *ctx;
	/** IPv6 on the interface, without an address of its own (no
	 *  link-local, so nothing of IPv6 is sent from it): only for the
	 *  IPv6 routes lb_kif_route6_set() keeps (ecmp) */
	bool ipv6_routes;
};

/** Frames through the interface. */
struct lb_kif_stats {
	uint64_t to_kernel;        /**< frames handed to the kernel */
	uint64_t from_kernel;      /**< frames the kernel sent, sent on */
	uint64_t drop;             /**< frames either way that were dropped */
};

struct lb_kif;

/**
 * Create the TAP interface, start it and set the kernel side up.
 *
 * @return
 *   The interface, or NULL with rte_errno set (the reason is logged);
 *   nothing is left behind.
 */
struct lb_kif *lb_kif_create(const struct lb_kif_params *p);

/** Remove the policy rule, stop and remove the TAP interface, free
 *  frames not yet given to the kernel. NULL is a no-op. */
void lb_kif_free(struct lb_kif *k);

/**
 * Add or remove a route "addr/32 dev <interface> proto static" in a
 * kernel routing table no lookup uses: a BGP speaker on the interface
 * (BIRD's kernel protocol, learning the table) announces what it holds.
 * The kernel removes the routes itself when the interface goes, so a
 * balancer that dies stops being announced.
 *
 * @return
 *   0, or a negative errno (removing a route that is not there is
 *   -ESRCH; adding one that is there replaces it).
 */
int lb_kif_route_set(struct lb_kif *k, uint32_t table, uint32_t addr,
		     bool present);

/**
 * lb_kif_route_set() for an IPv6 address (16 bytes): "addr/128 dev
 * <interface> proto static". Needs lb_kif_params::ipv6_routes.
 */
int lb_kif_route6_set(struct lb_kif *k, uint32_t table, const uint8_t *addr,
		      bool present);

/**
 * Mirror the data port's link on the interface: its carrier on or off,
 * as a cable would (the link stays administratively up, addresses and
 * routes stay). Kernel programs on it see the link go: keepalived turns
 * its VRRP instance FAULT, BIRD takes the interface, its BGP and BFD
 * sessions down.
 *
 * @return
 *   0, or a negative errno (-EOPNOTSUPP before Linux 5.0).
 */
int lb_kif_carrier_set(struct lb_kif *k, bool on);

/** The kernel interface's name. */
const char *lb_kif_name(const struct lb_kif *k);

/** The interface's MTU: the port's, or less where the TAP driver
 *  carries no longer frames (0: the kernel's default). */
unsigned int lb_kif_mtu(const struct lb_kif *k);

/**
 * A frame from the wire for the kernel. Its VLAN tag, which the kernel
 * interface does not know about, is removed; it is gathered and given
 * to the kernel with the others at the next lb_kif_flush() (or when a
 * burst is full). Takes the mbuf.
 */
void lb_kif_to_kernel(struct lb_kif *k, struct rte_mbuf *m);

/** Give the kernel the frames gathered, in one burst. */
void lb_kif_flush(struct lb_kif *k);

/**
 * Move one burst of frames the kernel sent to the wire, tagged with the
 * port's VLAN if it has one.
 *
 * @return
 *   Frames read from the kernel.
 */
unsigned int lb_kif_poll(struct lb_kif *k);

/** The interface's counters. */
void lb_kif_stats_get(const struct lb_kif *k, struct lb_kif_stats *s);

struct rte_eth_dev_info;

/**
 * The largest MTU a DPDK port takes: rte_eth_dev_configure()'s rule
 * (max_rx_pktlen less what the driver says its frames add to the MTU,
 * or an Ethernet header and CRC; at most max_mtu). The data ports' mtu
 * is checked against it, and the TAP's is held to it.
 */
uint32_t lb_eth_max_mtu(const struct rte_eth_dev_info *info);

#endif /* LB_KIF_H */
