/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_NEIGH_H
#define LB_NEIGH_H

/**
 * @file
 * The neighbor table: IPv4 and IPv6 addresses to MACs on the balancer's
 * segments, owned by the master lcore (ARP resolves IPv4, Neighbor
 * Discovery IPv6, by the same states and rules). Entries the balancer needs (members without a static
 * MAC) are "wanted": resolved by ARP, refreshed before they go stale,
 * and reported when their MAC is learnt or changes, when resolution
 * fails, and when a refresh goes unanswered. A neighbor that stops
 * answering keeps its last MAC (STALE, as Linux's NUD_STALE): lost ARP
 * is not a dead member, the health checks decide that. Where nothing
 * else decides (the owner did not mark the entry keep_stale), a stale
 * neighbor that leaves stale_retries more requests unanswered fails,
 * as Linux's goes FAILED after its probes. Any other
 * sender seen in ARP on a port's subnet is learnt too, for display and
 * so a member added later starts resolved; those entries age out.
 *
 * The master's ARP input (learn, decide whether the kernel interface
 * gets the frame) and the ARP frames it sends (requests, gratuitous ARP)
 * live here too, on byte buffers.
 *
 * Plain C with the time passed in (milliseconds): the unit tests drive
 * it without EAL or clocks.
 */

#include <stdbool.h>
#include <stdint.h>

#include "lb_ip.h"

/** Neighbor states (RFC 4861's, for IPv4 ARP). */
enum lb_neigh_state {
	LB_NEIGH_INCOMPLETE = 0, /**< resolving: broadcast requests sent */
	LB_NEIGH_REACHABLE,      /**< confirmed within the reachable time */
	LB_NEIGH_PROBE,          /**< refreshing: MAC still used, unicast probes sent */
	LB_NEIGH_FAILED,         /**< no answer: no MAC; retried later (never
				      resolved, or stale too long and not
				      keep_stale) */
	LB_NEIGH_STALE,          /**< refresh unanswered: last MAC kept, retried */
	LB_NEIGH_STATE_MAX,
};

/** Names of the states, for display. */
extern const char *const lb_neigh_state_names[LB_NEIGH_STATE_MAX];

/** Timing of resolution and refresh, in milliseconds. */
struct lb_neigh_params {
	uint32_t reachable_ms;    /**< a confirmed MAC is trusted this long */
	uint32_t probe_ms;        /**< between two requests */
	uint32_t max_probes;      /**< requests before giving up */
	uint32_t retry_ms;        /**< a failed wanted entry is retried after this */
	uint32_t learnt_ttl_ms;   /**< an unwanted entry is forgotten after this */
	uint32_t stale_retries;   /**< requests a stale entry may leave
				       unanswered (retry_ms apart) before it
				       fails, unless keep_stale; 0: never;
				       at most 255 */
};

/** Defaults: 60 s reachable, 1 s between 3 probes, retry after 5 s, a
 *  stale entry fails after 3 unanswered retries (Linux's mcast_solicit). */
#define LB_NEIGH_PARAMS_DEFAULT { \
	.reachable_ms = 60000, .probe_ms = 1000, .max_probes = 3, \
	.retry_ms = 5000, .learnt_ttl_ms = 300000, .stale_retries = 3 }

/** One neighbor. */
struct lb_neigh {
	struct lb_ip addr;     /**< either family: ARP resolves IPv4,
				    Neighbor Discovery IPv6 */
	uint8_t mac[6];        /**< valid in REACHABLE and PROBE */
	uint8_t state;         /**< enum lb_neigh_state */
	uint8_t port;          /**< port index it is reached on */
	uint8_t wanted;        /**< resolved and kept by the balancer */
	uint8_t probes;        /**< requests sent in this round */
	uint8_t reported;      /**< state last reported through changed */
	uint8_t keep_stale;    /**< the owner has its own way to tell the
				    neighbor is dead: STALE never fails */
	uint8_t unanswered;    /**< requests unanswered since it went STALE;
				    kept once it failed (its owner tells this
				    from a never resolved one), 0 once it answers */
	uint64_t confirmed_ms; /**< last ARP from it (0: never) */
	uint64_t next_ms;      /**< next thing to do */
};

/** The table. */
struct lb_neigh_table {
	struct lb_neigh_params p;
	struct lb_neigh *e;
	unsigned int n;
	unsigned int cap;
};

/** What the table asks its owner to do. */
struct lb_neigh_ops {
	/** Send an ARP request for n->addr on n->port; to n->mac if
	 *  unicast, else broadcast. */
	void (*request)(void *ctx, const struct lb_neigh *n, bool unicast);
	/** A wanted entry changed in a way its owner cares about: its MAC
	 *  became usable or moved (REACHABLE), a refresh went unanswered
	 *  (STALE: still usable, same MAC), or resolution failed (FAILED,
	 *  no MAC; unanswered is 0 if it never had one, else it was stale
	 *  for stale_retries requests; reported once until it answers). */
	void (*changed)(void *ctx, const struct lb_neigh *n);
	void *ctx;
};

/**
 * Create a table of at most cap entries.
 *
 * @return
 *   0, or -ENOMEM.
 */
int lb_neigh_init(struct lb_neigh_table *t, unsigned int cap,
		  const struct lb_neigh_params *p);

/** Free the entries. */
void lb_neigh_fini(struct lb_neigh_table *t);

/** The entry for addr, or NULL. */
struct lb_neigh *lb_neigh_find(struct lb_neigh_table *t,
			       const struct lb_ip *addr);

/**
 * Resolve and keep addr (reached on port). An entry already learnt keeps
 * its MAC; one already wanted keeps its state, timers and keep_stale
 * (only its port follows); a new one is not keep_stale. Resolution
 * starts at the next lb_neigh_run().
 *
 * @return
 *   The entry, or NULL if the table is full of wanted entries.
 */
struct lb_neigh *lb_neigh_want(struct lb_neigh_table *t,
			       const struct lb_ip *addr, uint8_t port,
			       uint64_t now);

/**
 * Stop resolving and refreshing addr (no member uses it any more): no
 * more requests, no more reports; the entry then ages out like any
 * learnt one (at once if it holds no confirmed MAC).
 */
void lb_neigh_unwant(struct lb_neigh_table *t, const struct lb_ip *addr);

/**
 * Reconcile the wanted set: want each addrs[i] (on ports[i]) and unwant
 * every other wanted entry. Entries wanted before and after keep their
 * state and timers; duplicates in addrs are wanted once. Nothing
 * changes on failure.
 *
 * @param addrs
 *   Addresses of either family, in any order.
 * @param ports
 *   Port index of each address.
 * @param keep_stale
 *   Per address, non-zero if a STALE entry must keep its MAC however
 *   long it stays unanswered (something else, a health check, decides
 *   whether the neighbor is dead); NULL: none. An entry stale for
 *   stale_retries requests already fails at its next retry once its
 *   flag is cleared.
 * @return
 *   0, -ENOSPC (more addresses than the table holds) or -ENOMEM.
 */
int lb_neigh_sync(struct lb_neigh_table *t, const struct lb_ip *addrs,
		  const uint8_t *ports, const uint8_t *keep_stale,
		  unsigned int n, uint64_t now);

/**
 * Tell ops->changed what the table knows of a wanted addr now (its MAC,
 * staleness, or a failed resolution), whatever it said before; nothing
 * while it is still resolving. For an owner whose user of the address
 * is new (a member added at an address already learnt, or where a
 * removed member was): it hears at once, and not again until the entry
 * changes.
 */
void lb_neigh_report(struct lb_neigh_table *t, const struct lb_ip *addr,
		     const struct lb_neigh_ops *ops);

/**
 * An ARP packet or a Neighbor Advertisement said addr is at mac on port. Confirms or updates an
 * entry (a wanted entry's change is reported through ops->changed), or
 * creates one if create is set, evicting the oldest unwanted entry when
 * full.
 */
void lb_neigh_learn(struct lb_neigh_table *t, const struct lb_ip *addr,
		    const uint8_t *mac, uint8_t port, bool create,
		    uint64_t now, const struct lb_neigh_ops *ops);

/**
 * Run timers: send due requests, give up on silent neighbors (a stale
 * one without keep_stale after stale_retries unanswered requests),
 * retry failed ones, forget old learnt ones.
 *
 * @return
 *   Milliseconds until the next thing to do (capped at 1000).
 */
uint64_t lb_neigh_run(struct lb_neigh_table *t, uint64_t now,
		      const struct lb_neigh_ops *ops);

/** Room for a frame built by lb_neigh_arp_frame() (tagged, padded) or
 *  lb_neigh_ns_frame(). */
#define LB_NEIGH_FRAME_MAX 96

/**
 * Build an Ethernet ARP frame into buf: with an 802.1Q tag if vlan is
 * not 0, padded to the Ethernet minimum (60 bytes without FCS).
 *
 * @param buf
 *   At least LB_NEIGH_FRAME_MAX bytes.
 * @param vlan
 *   Tag control information of the port, 0 for untagged.
 * @param eth_dst
 *   Ethernet destination (broadcast for requests and gratuitous ARP).
 * @param op
 *   LB_ARP_OP_REQUEST or LB_ARP_OP_REPLY.
 * @param sha, spa, tha, tpa
 *   Sender and target addresses; sha is also the Ethernet source.
 * @return
 *   Frame length.
 */
uint32_t lb_neigh_arp_frame(uint8_t *buf, uint16_t vlan,
			    const uint8_t *eth_dst, uint16_t op,
			    const uint8_t *sha, uint32_t spa,
			    const uint8_t *tha, uint32_t tpa);

/**
 * The request lb_neigh_ops::request asks for: "who has n->addr, tell
 * addr", broadcast, or unicast to the MAC in use when refreshing.
 *
 * @param mac, addr
 *   The port's own MAC and address (network order).
 * @return
 *   Frame length.
 */
uint32_t lb_neigh_request_frame(uint8_t *buf, uint16_t vlan,
				const uint8_t *mac, uint32_t addr,
				const struct lb_neigh *n, bool unicast);

/**
 * A gratuitous ARP announcing that addr is at mac: a broadcast request
 * from and for addr (what Linux's arping -U sends).
 *
 * @return
 *   Frame length.
 */
uint32_t lb_neigh_garp_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
			     uint32_t addr);

/**
 * The request lb_neigh_ops::request asks for when n->addr is IPv6: a
 * Neighbor Solicitation from src (the port's own IPv6 address) to the
 * target's solicited-node group, or to the MAC in use when refreshing.
 *
 * @return
 *   Frame length.
 */
uint32_t lb_neigh_ns_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
			   const struct lb_ip *src, const struct lb_neigh *n,
			   bool unicast);

/** The port an ARP or NDP packet came in on, as lb_neigh_arp_input()
 *  and lb_neigh_ndp_input() need it. */
struct lb_neigh_port {
	uint32_t addr;    /**< own address, network order */
	uint8_t prefix;   /**< its subnet length */
	uint8_t index;    /**< port index, recorded in learnt entries */
	bool kernel;      /**< a kernel interface holds the own addresses */
	struct lb_ip addr6; /**< own IPv6 address, unset: none */
	uint8_t prefix6;  /**< its subnet length */
};

/** What to do with ARP the workers handed over (they answer requests
 *  for VIPs and own addresses themselves). */
enum lb_neigh_arp_verdict {
	LB_NEIGH_ARP_BAD = 0,  /**< not ARP, unknown opcode, or a multicast or
				    zero sender MAC: drop */
	LB_NEIGH_ARP_REQUEST,  /**< a request (gratuitous, for another host,
				    or for a VIP while standby): drop */
	LB_NEIGH_ARP_REPLY,    /**< a reply: drop */
	LB_NEIGH_ARP_KERNEL,   /**< a reply to the own address while a kernel
				    interface holds it: give it the frame */
};

/**
 * The master's ARP input: validate the frame, learn its sender if it is
 * on the port's subnet (not a probe from 0.0.0.0, not the own address,
 * not a VIP), and say where the frame goes. Learnt entries of wanted
 * neighbors are reported through ops->changed.
 *
 * @param frame, len
 *   The Ethernet frame (read within len only).
 * @param is_vip
 *   True if an address is a VIP (never learnt: another balancer's
 *   announcement is not a neighbor).
 * @return
 *   The verdict.
 */
enum lb_neigh_arp_verdict
lb_neigh_arp_input(struct lb_neigh_table *t, const struct lb_neigh_port *port,
		   const uint8_t *frame, uint32_t len,
		   bool (*is_vip)(const void *ctx, uint32_t addr),
		   const void *vip_ctx, uint64_t now,
		   const struct lb_neigh_ops *ops);

/**
 * The master's Neighbor Discovery input, the peer of
 * lb_neigh_arp_input() for the advertisements the workers hand over
 * (they answer solicitations for VIPs and own addresses themselves): a
 * Neighbor Advertisement (RFC 4861's checks, lb_pkt_ndp_na()) teaches
 * its target's MAC (its option's, else the frame's source) if the
 * target is on the port's IPv6 subnet or link-local, not the own
 * address and not a VIP; one without Override never moves a usable
 * entry to another MAC (7.2.5). A solicitation's sender is learnt from
 * its source link-layer option likewise.
 *
 * @return
 *   LB_NEIGH_ARP_BAD (not NDP, or failed the checks), _REQUEST (a
 *   solicitation), _REPLY (an advertisement), or _KERNEL (an
 *   advertisement to the own IPv6 address while a kernel interface
 *   holds it: give it the frame).
 */
enum lb_neigh_arp_verdict
lb_neigh_ndp_input(struct lb_neigh_table *t, const struct lb_neigh_port *port,
		   const uint8_t *frame, uint32_t len,
		   bool (*is_vip6)(const void *ctx, const struct lb_ip *addr),
		   const void *vip_ctx, uint64_t now,
		   const struct lb_neigh_ops *ops);

/** True if the entry has a MAC the data path may use. */
static inline bool
lb_neigh_usable(const struct lb_neigh *n)
{
	return n->state == LB_NEIGH_REACHABLE || n->state == LB_NEIGH_PROBE ||
	       n->state == LB_NEIGH_STALE;
}

#endif /* LB_NEIGH_H */
