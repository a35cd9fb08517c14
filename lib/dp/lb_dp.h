/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_DP_H
#define LB_DP_H

/**
 * @file
 * The worker data path: burst RX, parse, classify, select, rewrite, TX.
 *
 * Each worker lcore owns one struct lb_worker: its RX queues, its TX
 * queue on every port, its flow table, its fragment memory, its
 * counters. Only its owner writes it (but for a flows.flush request the
 * master leaves in a cache line of its own), so the fast path takes no
 * locks and no atomic read-modify-writes; it reads the current snapshot
 * through RCU. RSS sends an ICMP error, or a datagram's later fragments,
 * to whichever worker their own headers hash to, not necessarily the one
 * that saw the flow: on that slow path a worker reads the other
 * workers' flow tables (lock-free rte_hash readers) and fragment memory
 * (a sequence count per slot).
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_epoll.h>
#include <rte_mbuf.h>
#include <rte_meter.h>

#include "lb_config.h"
#include "lb_flow.h"
#include "lb_snap.h"
#include "lb_stats.h"

#define LB_BURST 32            /**< RX burst size */
#define LB_TXBUF 64            /**< per-port TX buffer */
#define LB_FRAG_WAYS 4         /**< slots per bucket of fragment memory */
#define LB_FRAG_BUCKETS 4096   /**< per lcore: 16384 datagrams in flight */
#define LB_FRAG_HOLD 256       /**< later fragments waiting, per lcore */
#define LB_FRAG_SCAN 32        /**< waiting fragments looked at per pass */
#define LB_FRAG_HOLD_MS 10     /**< default: how long one may wait */
#define LB_FRAG_TTL_MS 1000    /**< default: how long a first is remembered */
#define LB_SWEEP_BUDGET 16     /**< flow positions aged per loop */
#define LB_SWEEP_IDLE_BUDGET 512 /**< more, each time a worker idles */
#define LB_IDLE_POLLS 256      /**< empty polls before a worker sleeps */
/** empty polls, at least, before it waits for an RX interrupt (and its
 *  adaptive spin after its last packet): a wait is a system call and its
 *  wake-up costs tens of microseconds on a VM (doc/lab-cps.md) */
#define LB_IDLE_POLLS_INTR 32
/** interrupt: the adaptive spin's first step, and its least (below it,
 *  no spin) */
#define LB_IDLE_SPIN_START_US 10
#define LB_FLUSH_BUDGET 1024   /**< flow positions a flush looks at per loop */
#define LB_DP_ANY (-1)         /**< any service or member (flush, walk) */
#define LB_DP_WALK_END UINT32_MAX /**< lb_dp_flows_walk(): table done */
#define LB_HDR_MAX 192u        /**< header bytes that must be contiguous */
#define LB_VRRP_PPS 200        /**< per worker and source: VRRP adverts to the master */
#define LB_SYNC_STAGE 64       /**< flows to sync a burst may make, per worker */
#define LB_SYNC_INSTALL_BUDGET 256 /**< synced flows a worker installs per loop */

/** What a flow record for sync is about (struct lb_dp_sync::kind). */
enum lb_dp_sync_kind {
	LB_DP_SYNC_FLOW = 1,     /**< a flow and its member */
	LB_DP_SYNC_PERSIST,      /**< a client's persistence record */
	LB_DP_SYNC_ENDED,        /**< a synced flow ended: out, one of ours
				      closed (peers drop their copies); in,
				      a peer's ended (our copy closes) */
	LB_DP_SYNC_HANDOFF,      /**< a worker took a flow from the learned
				      copy in another worker's table (state
				      LB_FLOW_TCP_EST), or saw it end there
				      (LB_FLOW_TCP_CLOSING): the master
				      passes it to that worker, whose copy
				      goes (or closes), one entry per flow */
};

/**
 * A flow for flow sync, between a worker and the master, both ways:
 * a worker hands over the flows a peer balancer could not compute (its
 * member is not the consistent hash's), the master hands a worker the
 * flows peers announced (mapped to this balancer's slots). Ring
 * elements (rte_ring_*_elem), 56 bytes (the tuple is 8-byte aligned).
 * An IPv4 flow's key is key, an IPv6 flow's key6 (v6 set): the worker
 * applies it to its IPv6 table. An IPv6 persistence record has the
 * record's key (persist_key6) in key6.src_ip's first 4 bytes, host
 * order, and the rest of src_ip zero.
 */
struct lb_dp_sync {
	union {
		struct lb_tuple key;   /**< persistence: src_ip is the client */
		struct lb_tuple6 key6; /**< v6 */
	};
	uint32_t member_gen;     /**< its generation */
	uint16_t member;         /**< member slot */
	uint16_t svc;            /**< service slot */
	uint8_t kind;            /**< enum lb_dp_sync_kind */
	uint8_t state;           /**< LB_FLOW_TCP_EST or LB_FLOW_UDP (a
				      handoff: see LB_DP_SYNC_HANDOFF) */
	uint8_t v6;              /**< an IPv6 flow (key6) */
	uint8_t pad;
	uint32_t lifetime_ms;    /**< in (from a peer): how long the copy
				      lives; out: unused, 0 */
};

_Static_assert(sizeof(struct lb_dp_sync) == 56, "sync record is 56 bytes");

/** An IPv6 persistence record's key, out of a struct lb_dp_sync. */
static inline uint32_t
lb_dp_sync_key6(const struct lb_dp_sync *r)
{
	uint32_t k;

	memcpy(&k, r->key6.src_ip, sizeof(k));
	return k;
}

struct rte_ring;
struct rte_rcu_qsbr;

/** What a worker does when its queues are empty (after LB_IDLE_POLLS
 *  empty polls, LB_IDLE_POLLS_INTR in interrupt mode). */
enum lb_dp_idle {
	LB_DP_IDLE_POLL = 0,     /**< go on polling: a core at 100% */
	LB_DP_IDLE_SLEEP,        /**< sleep idle_sleep_us */
	LB_DP_IDLE_INTERRUPT,    /**< poll on a while after the last
				      packet (the adaptive spin, up to
				      idle_spin_us), then wait for an RX
				      interrupt of its queues,
				      idle_sleep_us at most */
};

/** One RX queue a worker polls. */
struct lb_dp_rxq {
	uint8_t port;    /**< our port index */
	uint16_t queue;
};

/** Packets waiting for one port. */
struct lb_dp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[LB_TXBUF];
};

/**
 * Where a datagram's later fragments go: what its first fragment chose.
 * Written only by the worker that decided the first fragment, read by
 * every worker: seq is odd while the owner rewrites the slot, and a
 * reader that sees it change reads again later. A slot is reused only
 * once it has expired: never while a datagram may still need it.
 */
struct lb_frag_slot {
	uint32_t seq;
	uint32_t src;
	uint32_t dst;
	uint32_t expire;
	uint32_t gen;       /**< member slot generation */
	uint16_t id;
	uint16_t member;
	uint16_t svc;
	uint8_t proto;      /**< 0 = never used */
	uint8_t has_svc;    /**< svc counts the datagram's traffic */
	/** a later fragment followed it here (the owner's own view; a
	 *  full bucket evicts only unconfirmed slots) */
	uint8_t confirmed;
	uint8_t pad[3];
};

/** A later fragment waiting for its first fragment's decision. */
struct lb_frag_held {
	struct rte_mbuf *m;  /**< NULL once sent or dropped */
	uint32_t src;
	uint32_t dst;
	uint32_t deadline;
	uint16_t id;
	uint8_t proto;
	uint8_t port;        /**< our index of the port it came in on */
};

/**
 * struct lb_frag_slot for IPv6 datagrams, in memory of its own (the
 * IPv4 slot stays 32 bytes): the key is both 16-byte addresses, the
 * 32-bit Identification of the Fragment header and the upper-layer
 * protocol. The same rules: written by its owner only, under seq.
 */
struct lb_frag6_slot {
	uint32_t seq;
	uint32_t id;
	uint64_t src[2];    /**< the address as on the wire */
	uint64_t dst[2];
	uint32_t expire;
	uint32_t gen;       /**< member slot generation */
	uint16_t member;
	uint16_t svc;
	uint8_t proto;      /**< 0 = never used */
	uint8_t has_svc;
	uint8_t confirmed;  /**< the owner's own view, as IPv4's */
	uint8_t pad;
};

_Static_assert(sizeof(struct lb_frag6_slot) == 56,
	       "an IPv6 fragment slot is 56 bytes");

/** An IPv6 later fragment waiting for its first fragment's decision. */
struct lb_frag6_held {
	struct rte_mbuf *m;  /**< NULL once sent or dropped */
	uint64_t src[2];
	uint64_t dst[2];
	uint32_t id;
	uint32_t deadline;
	uint8_t proto;
	uint8_t port;        /**< our index of the port it came in on */
};

/** Per-member and per-service traffic counters of one worker. */
struct lb_dp_traffic {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t flows;   /**< new flows (or stateless first packets) */
};

/**
 * The answers the master's health checks wait for: per protocol (TCP,
 * UDP) and check socket local port (host order), the member address
 * (network order) and port (host order) they come from. The master
 * writes it (lb_dp_expect_set()), the workers read it: a member's packet
 * to an own address that answers a check takes the members' lane; what
 * else a member sends there (a flood it is made to reflect) does not.
 */
struct lb_dp_expect {
	uint64_t slot[2][65536];   /**< [0] TCP, [1] UDP; 0 = no check */
};

static inline uint64_t
lb_dp_expect_key(uint32_t member, uint16_t member_port)
{
	return (uint64_t)member << 32 | (uint64_t)member_port << 16 | 1;
}

/** An IPv6 member's address as the expect table keys it: folded to 32
 *  bits (the table picks a lane, it lets nothing in by itself). */
static inline uint32_t
lb_dp_expect_addr6(const uint8_t *a)
{
	uint32_t w[4];

	memcpy(w, a, sizeof(w));
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

/** Expect (on) or stop expecting the answers of a check's socket. */
void lb_dp_expect_set(struct lb_dp_expect *x, uint8_t proto,
		      uint16_t local_port, uint32_t member,
		      uint16_t member_port, bool on);

/** Worker parameters. */
struct lb_dp_params {
	struct lb_snapshot *const *snap;   /**< current snapshot pointer */
	struct rte_rcu_qsbr *qsbr;
	unsigned int qsbr_id;
	struct lb_flow_table *flows;
	/** the IPv6 flow table (LB_FLOW_IPV6); NULL: IPv6 flows that need
	 *  one are dropped (drop_no_service), stateless ones still go */
	struct lb_flow_table *flows6;
	/** ARP the master must see: a ring nothing else uses */
	struct rte_ring *to_master_prio;
	/** own-address packets of the trusted classes, each policed on its
	 *  own (members' health-check answers, routers' BGP and BFD, sync
	 *  peers, VRRP adverts): a ring strangers cannot fill */
	struct rte_ring *to_master_ctrl;
	struct rte_ring *to_master;        /**< other own-address traffic */
	struct rte_ring *from_master;      /**< packets to send for master */
	/** health checks' answers (NULL: every member packet is one) */
	const struct lb_dp_expect *expect;
	/** flow sync (NULL without): flows to announce, to the master;
	 *  flows peers announced, from the master (struct lb_dp_sync) */
	struct rte_ring *sync_out;
	struct rte_ring *sync_in;
	const struct lb_dp_rxq *rxq;
	unsigned int n_rxq;
	uint16_t txq;                      /**< our TX queue on every port */
	const uint16_t *port_ids;          /**< DPDK port id per port index */
	unsigned int n_ports;
	uint32_t idle_sleep_us;            /**< sleep, or longest interrupt wait */
	/** interrupt: how long it may poll on after its last packet, at
	 *  most (each packet that comes meanwhile needs no wake-up); how
	 *  long it does adapts to the traffic (lb_dp_idle_due()) */
	uint32_t idle_spin_us;
	uint8_t idle;                      /**< enum lb_dp_idle */
	uint32_t frag_hold_ms;             /**< 0: LB_FRAG_HOLD_MS */
	uint32_t frag_ttl_ms;              /**< 0: LB_FRAG_TTL_MS */
	/** the fragment memory's hash key, the same for every worker (they
	 *  read each other's): random per process, so no one can aim a
	 *  flood at a bucket; 0: LB_HASH_SEED */
	uint32_t frag_seed;
	/* this worker's share of each class's rate (lb_dp_rate_share());
	 * 0 leaves a class unpoliced, but vrrp_pps, whose 0 means
	 * LB_VRRP_PPS */
	uint32_t exception_pps;            /**< own address, anyone else */
	uint32_t arp_pps;                  /**< ARP to the master, per class */
	uint32_t member_pps;               /**< own address, from members */
	uint32_t router_pps;               /**< own address, from routers */
	uint32_t peer_pps;                 /**< own address, from sync peers */
	uint32_t vrrp_pps;                 /**< VRRP adverts, per source */
	const volatile bool *quit;
};

/** A packet-rate policer: rte_meter's srTCM counting packets as bytes. */
struct lb_dp_policer {
	struct rte_meter_srtcm_profile profile;
	struct rte_meter_srtcm meter;
	bool on;
};

struct lb_worker;

/** Everything one worker lcore owns. */
struct lb_worker {
	struct lb_snapshot *const *snap;
	struct rte_rcu_qsbr *qsbr;
	unsigned int qsbr_id;
	struct lb_flow_table *flows;
	struct lb_flow_table *flows6;      /**< IPv6's, or NULL */
	struct rte_ring *to_master_prio;
	struct rte_ring *to_master_ctrl;
	struct rte_ring *to_master;
	struct rte_ring *from_master;
	const struct lb_dp_expect *expect;
	struct rte_ring *sync_out;
	struct rte_ring *sync_in;
	uint16_t n_sync;                   /**< records staged in sync */
	struct lb_dp_sync sync[LB_SYNC_STAGE];
	uint64_t tsc_per_ms;
	uint64_t tsc;                      /**< TSC when now was read */
	uint32_t now;                      /**< ms, refreshed per loop */
	uint32_t now_s;                    /**< seconds, the same instant */
	uint32_t idle_sleep_us;
	uint8_t idle;                      /**< enum lb_dp_idle */
	uint64_t idle_spin_tsc;            /**< the spin now, in TSC ticks */
	uint64_t idle_spin_max;            /**< idle_spin_us in TSC ticks */
	uint64_t idle_spin_start;          /**< LB_IDLE_SPIN_START_US, at most
					        idle_spin_max */
	uint64_t idle_since;               /**< TSC of the last work found */
	uint32_t idle_polls;               /**< empty polls since, or since
					        the last wait */
	uint8_t idle_waited;               /**< waited since the last work */
	/** waiting for an RX interrupt: lb_dp_wake() must write wake_fd */
	uint8_t waiting;
	int wake_fd;                       /**< eventfd in its epoll set, or -1 */
	struct rte_epoll_event wake_ev;    /**< its registration (the epoll
					        set points to it) */
	uint32_t frag_hold_ms;
	uint32_t frag_ttl_ms;
	uint32_t frag_seed;
	const volatile bool *quit;
	struct lb_worker *const *peers;    /**< every worker, this one too */
	uint16_t n_peers;
	uint16_t peer_idx;                 /**< this worker in peers */
	struct lb_worker *self[1];         /**< peers of a worker alone */
	/* what reaches the master is policed per worker, per class: a
	 * flood of one class cannot take another's share */
	struct lb_dp_policer own_police;   /**< own address, anyone else */
	struct lb_dp_policer member_police; /**< own address, from members */
	struct lb_dp_policer router_police; /**< own address, from routers */
	struct lb_dp_policer peer_police;  /**< own address, from sync peers */
	struct lb_dp_policer arp_member;   /**< ARP from members' addresses */
	struct lb_dp_policer arp_other;    /**< ARP from anyone else */
	struct lb_dp_policer vrrp;         /**< VRRP adverts, unknown sources */
	/** VRRP adverts from each sync peer (another balancer) */
	struct lb_dp_policer vrrp_peer[LB_SYNC_PEERS_MAX];
	uint16_t txq;
	uint16_t n_rxq;
	uint16_t n_ports;
	struct lb_dp_rxq rxq[LB_MAX_PORTS];
	uint16_t port_ids[LB_MAX_PORTS];
	uint8_t port_idx[RTE_MAX_ETHPORTS]; /**< DPDK port id -> our index */
	struct lb_dp_txbuf tx[LB_MAX_PORTS];
	uint32_t wrr_pos[LB_MAX_SERVICES];  /**< wrr cursor, wlc tie breaker */
	/** the flow table evicted a provisional entry less than a
	 *  provisional lifetime ago (until pressure_until): new wrr and wlc
	 *  flows are placed by the consistent hash meanwhile */
	bool pressure;
	uint32_t pressure_until;
	/** every packet through the full parser (lb_dp_set_full_parse()) */
	bool full_parse;
	uint64_t stats[LB_STAT_WORKER_MAX];
	struct lb_dp_traffic member[LB_MAX_MEMBERS];
	struct lb_dp_traffic service[LB_MAX_SERVICES];
	/* later fragments that came before their first: a ring in arrival
	 * order (so deadlines come in order) */
	uint32_t held_head;
	uint32_t held_tail;
	uint32_t held_live;
	uint32_t held_scan;                /**< next entry the scan looks at */
	uint32_t held_seen;                /**< peers' frag_writes at the scan */
	struct lb_frag_held held[LB_FRAG_HOLD];
	/* the same for IPv6 later fragments: a ring of their own */
	uint32_t held6_head;
	uint32_t held6_tail;
	uint32_t held6_live;
	uint32_t held6_scan;
	uint32_t held6_seen;               /**< peers' frag6_writes, at scan */
	struct lb_frag6_held held6[LB_FRAG_HOLD];
	/* a flows.flush being done: a copy of the master's request */
	uint32_t flush_seq;                /**< request seen last */
	uint32_t flush_pos;                /**< next position, while on */
	uint32_t flush_count;              /**< live flows removed so far */
	uint16_t flush_svc;                /**< slot, or UINT16_MAX for any */
	uint16_t flush_member;
	bool flush_on;
	/** the master's flush request: seq << 32 | svc << 16 | member (one
	 *  word, so a request is read whole; a line of its own) */
	uint64_t flush_req __rte_cache_aligned;
	/** the worker's answer: seq << 32 | live flows removed */
	uint64_t flush_done __rte_cache_aligned;
	/* fragment memory, read by the other workers */
	uint32_t frag_writes __rte_cache_aligned; /**< first fragments remembered */
	struct lb_frag_slot frag[LB_FRAG_BUCKETS * LB_FRAG_WAYS];
	/* IPv6 fragment memory, read by the other workers: as many
	 * datagrams as IPv4's */
	/** IPv6 first fragments remembered */
	uint32_t frag6_writes __rte_cache_aligned;
	struct lb_frag6_slot frag6[LB_FRAG_BUCKETS * LB_FRAG_WAYS];
} __rte_cache_aligned;

/** A flow as lb_dp_flows_walk() reports it. */
struct lb_dp_flow {
	struct lb_tuple key;  /**< an IPv6 flow's: protocol and ports */
	struct lb_tuple6 key6; /**< an IPv6 flow's key (v6) */
	bool v6;              /**< from the IPv6 table */
	uint32_t expires_in_ms;
	uint16_t svc;         /**< service slot */
	uint16_t member;      /**< member slot */
	uint32_t member_gen;  /**< the slot's generation when chosen: a flow
				   whose member_gen is not the slot's now
				   is rescheduled on its next packet */
	uint8_t state;        /**< enum lb_flow_state */
	bool learned;         /**< from a peer's flow sync, not seen here */
};

/** A reported flow's client (src) or VIP address, of its family. */
static inline struct lb_ip
lb_dp_flow_addr(const struct lb_dp_flow *fl, bool src)
{
	struct lb_ip a;

	if (!fl->v6)
		return lb_ip_from4(src ? fl->key.src_ip : fl->key.dst_ip);
	memcpy(a.b, src ? fl->key6.src_ip : fl->key6.dst_ip, sizeof(a.b));
	return a;
}

/** Which flows lb_dp_flows_walk() reports. */
struct lb_dp_flow_filter {
	int32_t svc;          /**< service slot or LB_DP_ANY */
	int32_t member;       /**< member slot or LB_DP_ANY */
	/** client subnet, either family: the flows of that family whose
	 *  client is in it (an IPv4 subnet matches no IPv6 flow, and the
	 *  other way round) ... */
	struct lb_ip client;
	/** ... of this length in the family's bits; 0 = any client */
	uint8_t client_prefix;
};

/**
 * Initialise a worker.
 *
 * @return
 *   0 or -EINVAL.
 */
int lb_dp_worker_init(struct lb_worker *w, const struct lb_dp_params *p);

/**
 * A worker's share of a rate the configuration sets for the whole
 * balancer (dataplane.exception_pps, dataplane.arp_pps): what n_workers
 * policers let through together is at most total, so the master's load
 * does not grow with the number of workers. Never 0 for a total that is
 * not (0 leaves a policer off).
 */
uint32_t lb_dp_rate_share(uint32_t total, unsigned int n_workers);

/** How long the master may fall behind (a descheduled thread on a busy
 *  host) with no policed packet lost at its rings. */
#define LB_MASTER_STALL_MS 200

/**
 * Size of a ring to the master that holds what policers of pps packets
 * a second in all (n_policers of them, each with its burst) let through
 * while the master does not drain it for LB_MASTER_STALL_MS: what the
 * policers pass is never lost at the ring. A power of two, 1024 to
 * 65536 (beyond, the stall the ring absorbs shrinks).
 */
unsigned int lb_dp_master_ring_size(uint64_t pps, unsigned int n_policers);

/**
 * Classify every packet with the full parser, none by the fast path of
 * the common packet (untagged IPv4 or IPv6 TCP and UDP to a VIP). The
 * two give the same verdicts and counters; this one is the reference
 * the tests compare the fast path with. Off after lb_dp_worker_init().
 */
void lb_dp_set_full_parse(struct lb_worker *w, bool on);

/**
 * Let a worker read the other workers' flow tables and fragment memory
 * (ICMP errors and fragments that RSS sent elsewhere than their flow).
 * Set before the workers run; peers holds every worker, w included.
 */
void lb_dp_set_peers(struct lb_worker *w, struct lb_worker *const *peers,
		     unsigned int n);

/** Free what a stopped worker still holds (waiting fragments, counted
 *  as dropped). */
void lb_dp_worker_fini(struct lb_worker *w);

/**
 * Send the waiting later fragments whose first fragment has been
 * decided (by any worker), drop those that waited too long. Looks at no
 * more than LB_FRAG_SCAN of them per call, of each family.
 *
 * @return
 *   Fragments sent or dropped.
 */
unsigned int lb_dp_frag_release(struct lb_worker *w,
				const struct lb_snapshot *s);

/**
 * Run a burst received on one port through the data path. Forwarded and
 * answered packets (ICMP echo, ARP for a VIP or own address) land in
 * w->tx; packets for the master go to one of its rings, policed; later
 * fragments may wait (lb_dp_frag_release); everything else is freed and
 * counted.
 *
 * @param s
 *   The snapshot loaded for this burst.
 * @param port
 *   Our index of the port the burst came from.
 * @return
 *   Number of packets queued for TX.
 */
uint16_t lb_dp_process(struct lb_worker *w, const struct lb_snapshot *s,
		       unsigned int port, struct rte_mbuf **pkts, uint16_t n);

/**
 * Apply up to budget records the master took from peers' sync messages
 * (w->sync_in), by the origin rules:
 *  - a flow this table does not hold, holds as a guess, or holds
 *    expired from an idle established state, becomes a learned entry
 *    (LB_FLOW_F_LEARNED) on the announced member, living the record's
 *    lifetime;
 *  - a learned entry follows the record: member, state and lifetime
 *    (the peer carries the flow; shorter too);
 *  - an entry this balancer owns is never extended by a peer; it only
 *    follows the peer's member when its own member failed;
 *  - a closing entry, live or expired, is never made established again;
 *  - an ended record closes a learned entry, never an owned one;
 *  - a handoff (another worker took the flow) removes the learned copy,
 *    or closes it.
 *
 * @return
 *   Records taken from the ring.
 */
unsigned int lb_dp_sync_install(struct lb_worker *w,
				const struct lb_snapshot *s,
				unsigned int budget);

/**
 * Hand the flows staged for sync by the bursts processed since the
 * last call to the master (lb_dp_process() calls it); what the ring
 * cannot take is counted.
 */
void lb_dp_sync_flush(struct lb_worker *w);

/**
 * True if a flow's member is the one every balancer with the same
 * configuration computes for a packet of it without an entry (the
 * consistent hash over the settled membership): such a flow needs no
 * sync. True also for a service slot no longer valid, or stateless.
 */
bool lb_dp_flow_computable(const struct lb_snapshot *s, uint16_t svc,
			   const struct lb_tuple *key, uint16_t member);

/** lb_dp_flow_computable() of an IPv6 flow. */
bool lb_dp_flow6_computable(const struct lb_snapshot *s, uint16_t svc,
			    const struct lb_tuple6 *key, uint16_t member);

/**
 * Whether w's table holds an entry for key (in any state, expired too):
 * the master sends a peer's record for the flow to that worker, so one
 * flow never has two entries. From any lcore (a lock-free lookup).
 */
bool lb_dp_flow_held(const struct lb_worker *w, const struct lb_tuple *key,
		     uint32_t sig);

/** lb_dp_flow_held() in w's IPv6 table. */
bool lb_dp_flow6_held(const struct lb_worker *w, const struct lb_tuple6 *key,
		      uint32_t sig);

/**
 * Wake a worker waiting for an RX interrupt (dataplane.idle interrupt)
 * after putting packets on its from_master ring, so the master's frames
 * do not wait for the end of the wait. From the master's thread; a
 * system call only when the worker is waiting.
 */
void lb_dp_wake(struct lb_worker *w);

/**
 * The signals a PMD may send for its queues' I/O: SIGIO, and the
 * real-time signals above SIGRTMIN (net_tap in DPDK 22.11 takes the
 * first free one, SIGRTMIN+1 here, with F_SETSIG, one signal queued per
 * readable frame; its handler marks the queues readable). They are for
 * the workers, which poll the queues: the process blocks them before
 * the EAL makes its threads (app/dsrlb), lb_dp_main_loop() takes them,
 * so the kernel never wakes the master (or an EAL thread) for a packet.
 */
void lb_dp_io_signals(sigset_t *set);

/** Move packets the master wants sent into the TX buffers. */
unsigned int lb_dp_drain_master(struct lb_worker *w);

/** Send every TX buffer; what a port refuses is freed and counted. */
void lb_dp_flush(struct lb_worker *w);

/** Refresh w->tsc, w->now and w->now_s from the TSC. */
void lb_dp_clock(struct lb_worker *w);

/**
 * The lcore loop's idle rule, after an iteration that found work
 * packets (received, released, from the master) at time w->tsc: whether
 * the worker waits or sleeps now. Mode poll: never. Sleep: after
 * LB_IDLE_POLLS empty polls. Interrupt: once the spin (w->idle_spin_tsc)
 * has passed since the last work and LB_IDLE_POLLS_INTR empty polls at
 * least have been made since it (or since the last wait); work found
 * after an empty poll and before a wait counts idle_spin_hits.
 *
 * The spin adapts as KVM's halt polling does: work that a wait met, but
 * that came within idle_spin_us of the work before it, doubles the spin
 * (from LB_IDLE_SPIN_START_US, at most idle_spin_us: a spin that long
 * would have caught it, idle_spin_misses); work that came later than
 * that halves it (no spin would have paid; below the start it is 0). A
 * worker whose traffic comes in trains polls through their gaps; one
 * whose packets are rare waits at once and spends no core on them.
 */
bool lb_dp_idle_due(struct lb_worker *w, unsigned int work);

/** The loop's note that the worker waited or slept: its empty polls
 *  start again from 0 (and a wait that no packet ended is followed by
 *  another one after LB_IDLE_POLLS_INTR polls, not after a spin). */
void lb_dp_idle_waited(struct lb_worker *w);

/**
 * Read flows of a worker's table, from another thread (the master; no
 * QSBR registration needed): memory-safe while the worker runs, each
 * flow as the worker last wrote it, a moment old. Flows come in table
 * order; a flow may be missed or seen twice if it is deleted and made
 * again during a walk.
 *
 * @param f
 *   Which flows; NULL for all.
 * @param cursor
 *   In: where to start (0 the first time); out: where to go on, or
 *   LB_DP_WALK_END once the table has been walked to its end.
 * @param out
 *   Up to max flows.
 * @param scan
 *   Positions to look at, at most: bounds the caller's time whatever
 *   the filter (a load for a free position, two hash lookups for a
 *   flow).
 * @return
 *   Flows written to out.
 */
unsigned int lb_dp_flows_walk(const struct lb_worker *w,
			      const struct lb_dp_flow_filter *f,
			      uint32_t *cursor, struct lb_dp_flow *out,
			      unsigned int max, uint32_t scan);

/**
 * Ask a worker to remove the flows of a service and/or a member, from
 * the master (the worker alone deletes from its table). The worker
 * takes the request on its next loop iteration and removes the matching
 * flows LB_FLUSH_BUDGET positions per iteration, through the normal
 * deletion (counts, grace period); their next packets are scheduled
 * anew. A newer request replaces one not yet done: ask again only once
 * the previous one is done, or ask for the union.
 *
 * @param svc
 *   Service slot, or LB_DP_ANY.
 * @param member
 *   Member slot, or LB_DP_ANY.
 * @return
 *   The request's sequence number (never 0), for lb_dp_flows_flush_done().
 */
uint32_t lb_dp_flows_flush_request(struct lb_worker *w, int svc, int member);

/**
 * True once the worker has done request seq (or a newer one).
 *
 * @param flushed
 *   If not NULL and the request seq itself is done: the flows it
 *   removed that had not expired yet.
 */
bool lb_dp_flows_flush_done(const struct lb_worker *w, uint32_t seq,
			    uint32_t *flushed);

/**
 * The worker's side of a flush: take a new request, then remove the
 * matching flows among the next budget positions; publish the result
 * once the whole table has been walked. The lcore loop calls it with
 * LB_FLUSH_BUDGET.
 *
 * @return
 *   Flows removed by this call.
 */
unsigned int lb_dp_flows_flush_step(struct lb_worker *w, uint32_t budget);

/**
 * The lcore loop: poll every RX queue, process, send or drop waiting
 * fragments, drain the master's queue, flush, age some flows, recycle
 * flow slots, report a quiescent state; when lb_dp_idle_due() says
 * so, sleep or wait for an RX interrupt (params idle). The RX
 * interrupts of its queues are registered from the lcore itself (a
 * per-thread epoll set); a port that cannot give them makes the worker
 * sleep instead, once said in the log. Returns when *quit is set.
 */
int lb_dp_main_loop(void *worker);

#endif /* LB_DP_H */
