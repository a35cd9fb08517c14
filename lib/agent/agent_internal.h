/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_AGENT_INTERNAL_H
#define LB_AGENT_INTERNAL_H

/*
 * The agent's components and what they share. Files, from the bottom:
 *   io.c         the clock, ports by DPDK id, frames out through a worker
 *   stats.c      counters summed over the workers, the log, telemetry
 *   kernel.c     the exception interface (lib/kif) and what it sends
 *   active.c     active or standby, gratuitous ARP, the VRRP watchdog
 *   links.c      the data ports' links and NIC counters
 *   sync.c       flow sync with the peers (lib/sync)
 *   announce.c   VIP routes for the BGP speaker (mode ecmp)
 *   reconcile.c  checks and ARP targets following the core
 *   input.c      what the workers hand over: ARP, own-address traffic
 *   rpc.c, rpc_flows.c   the read methods, flows, activation
 *   stop.c       a normal stop: hand over, the grace, the last frames
 *   loop.c       create, free, and the loop as a list of steps
 * A file calls only into the files above it in this list.
 */

#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "lb_agent.h"
#include "lb_api.h"
#include "lb_core.h"
#include "lb_ctl.h"
#include "lb_dp.h"
#include "lb_hc_runner.h"
#include "lb_kif.h"
#include "lb_neigh.h"
#include "lb_stats.h"

extern int lb_agent_logtype;
#define AG_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_agent_logtype, "dsrlb: " fmt "\n", \
		##__VA_ARGS__)

/* epoll tag of the control socket in the agent's event set (the
 * other events are the health-check runner's) */
#define AG_EV_CTL ((void *)1)

/* What the master last reconciled from the core (reconcile.c). */
struct ag_reconcile {
	bool done;                   /* at least once */
	uint64_t seq;                /* lb_core_seq() then */
	uint64_t retry_ms;           /* after a failure: when to try again */
	struct lb_hc_target *targets;   /* scratch list of checks */
	unsigned int targets_cap;
	/* scratch list of ARP targets: members, then sync peers */
	struct lb_ip addrs[LB_MAX_MEMBERS + LB_SYNC_PEERS_MAX];
	uint8_t ports[LB_MAX_MEMBERS + LB_SYNC_PEERS_MAX];
	uint32_t member_gen[LB_MAX_MEMBERS]; /* member last seen per slot */
};

/* A data port's link as last read (links.c). */
struct ag_link {
	bool known;               /* read at least once */
	bool up;
	bool full_duplex;
	bool autoneg;
	uint32_t speed;           /* Mb/s; RTE_ETH_SPEED_NUM_UNKNOWN */
	uint64_t changes;         /* up/down transitions since the start */
	uint64_t changed_ms;      /* lb_agent_now_ms() of the last one (or
				     of the first reading) */
	int64_t changed_at;       /* the same as Unix time, seconds */
};

/* The data ports (links.c): links and the NICs' counters. */
struct ag_ports {
	struct ag_link links[LB_MAX_PORTS];
	unsigned int links_down;  /* ports whose link is down now */
	uint64_t next_ms;         /* next reading */
	bool kif_carrier;         /* the exception interface's carrier */
	int links_tracked;        /* links_down in the track file; < 0: not
				     written yet, or the last write failed */
	/* the NICs' extended counters: their names, read when the list
	 * changes (first use) */
	struct rte_eth_xstat_name *xstat_names[LB_MAX_PORTS];
	unsigned int n_xstats[LB_MAX_PORTS];
};

/* Gratuitous ARP rounds and the activity watchdog (active.c). */
struct ag_active {
	uint64_t garp_next_ms;    /* next gratuitous ARP round */
	unsigned int garp_rounds; /* rounds sent so far */
	unsigned int garp_cursor; /* next VIP of the current round */
	bool garp_on;
	unsigned int garp_vips;   /* VIPs when the last round started */
	uint64_t vrrp_sent_ms;    /* our keepalived's last VRRP advert (or
				     the activation) */
};

/* Mode ecmp: the VIPs routed for the BGP speaker (announce.c). */
struct ag_served;
struct ag_announce {
	struct lb_ip *announced;  /* sorted (lb_ip_cmp), LB_MAX_VIPS */
	unsigned int n_announced;
	struct ag_served *served;
	uint64_t seq;             /* snapshot version at the last look */
	uint64_t next_ms;         /* next look anyway */
	uint64_t min_ms;          /* no look before */
	bool withdrawn;           /* stopping: every route out, for good */
};

/* A normal stop under way (stop.c): handed over, forwarding on for the
 * grace. */
struct ag_stop {
	bool on;                  /* the grace runs */
	const char *why;          /* "SIGTERM", "SIGINT" */
	uint64_t start_ms;
	uint64_t until_ms;        /* its end */
};

struct ag_sync;

struct lb_agent {
	const struct lb_agent_env *env;
	struct lb_core *core;     /* env->core */
	uint64_t mstats[LB_STAT_MASTER_MAX];   /* enum lb_stat_master */
	uint64_t start_ms;
	int ep;                   /* epoll: check sockets, control socket */

	struct lb_kif *kif;       /* the kernel interface, NULL without one */
	unsigned int kif_port;    /* the data port it holds the address of */
	struct ag_ports ports;
	struct ag_active act;
	struct lb_neigh_table neigh;
	struct lb_neigh_ops neigh_ops;
	struct lb_hc_runner *hc;  /* health checks, following the core */
	struct ag_reconcile rec;
	struct ag_announce ann;
	struct ag_stop stop;
	struct ag_sync *sync;     /* flow sync, NULL without */
	bool sync_bulk_requested; /* a bulk sync was asked for at start */

	struct lb_ctl *ctl;       /* the control server, NULL without */
	struct lb_api api;        /* the state-changing methods' context */
	uint64_t ctl_expire_ms;   /* next stall/idle sweep of its clients */
	uint64_t removals_ms;     /* next look at members removed with drain */
	uint32_t flush_seq[RTE_MAX_LCORE]; /* each worker's last flows.flush */
	uint64_t flush_deadline_ms;   /* when it is answered without them */
	int flush_svc, flush_member;  /* what it flushes (LB_DP_ANY: any) */

	/* telemetry threads read the state: the loop holds this while it
	 * runs a pass */
	pthread_mutex_t lock;
};

#define AG_MAC_STR 18

/* "aa:bb:cc:dd:ee:ff" without casting bytes to struct rte_ether_addr
 * (which needs 2-byte alignment). */
static inline const char *
lb_agent_mac_str(const uint8_t *mac, char buf[AG_MAC_STR])
{
	snprintf(buf, AG_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/* The identity of a (service, member) pair: another pair in the same
 * slots has another one (lb_hc_target::id). */
static inline uint64_t
lb_agent_pair_id(const struct lb_core_service *s,
		 const struct lb_core_member *m)
{
	return (uint64_t)s->gen << 32 | m->gen;
}

/* The control methods' ctx is lib/api's context; the agent hangs off
 * it. */
static inline struct lb_agent *
lb_agent_of(void *ctx)
{
	return ((struct lb_api *)ctx)->app;
}

static inline json_t *
lb_agent_ip_json(uint32_t addr)
{
	char buf[INET_ADDRSTRLEN];

	return json_string(lb_conf_ip_str(addr, buf));
}

static inline json_t *
lb_agent_addr_json(const struct lb_ip *a)
{
	char buf[LB_IP_STRLEN];

	return json_string(lb_ip_str(a, buf));
}

/* io.c */
int lb_agent_port_index(const struct lb_agent *ag, uint16_t dpdk_port);
const struct lb_conf_port *lb_agent_port_conf(const struct lb_agent *ag,
					      unsigned int port);
int lb_agent_send(struct lb_agent *ag, unsigned int port, struct rte_mbuf *m,
		  bool bulk);
int lb_agent_send_frame(struct lb_agent *ag, unsigned int port,
			const uint8_t *buf, uint32_t len);

/* stats.c */
void lb_agent_stats_sum(const struct lb_agent *ag,
			uint64_t out[LB_STAT_WORKER_MAX]);
void lb_agent_traffic_sum(const struct lb_agent *ag, bool member,
			  unsigned int slot, struct lb_dp_traffic *t);
int lb_agent_telemetry_register(struct lb_agent *ag);
void lb_agent_telemetry_unregister(struct lb_agent *ag);

/* kernel.c */
int lb_agent_kif_create(struct lb_agent *ag);
unsigned int lb_agent_kif_poll(struct lb_agent *ag);
void lb_agent_kif_stats(struct lb_agent *ag);

/* active.c */
void lb_agent_garp_start(struct lb_agent *ag);
unsigned int lb_agent_garp_run(struct lb_agent *ag, uint64_t now);
void lb_agent_garp_new_vips(struct lb_agent *ag);
void lb_agent_set_active(struct lb_agent *ag, bool active, const char *why);
void lb_agent_vrrp_watchdog(struct lb_agent *ag, uint64_t now);

/* links.c */
void lb_agent_links_init(struct lb_agent *ag);
void lb_agent_links_run(struct lb_agent *ag, uint64_t now);
json_t *lb_agent_link_json(const struct lb_agent *ag, unsigned int port);
json_t *lb_agent_port_counters_json(struct lb_agent *ag, unsigned int port);
void lb_agent_ports_fini(struct lb_agent *ag);

/* sync.c */
int lb_agent_sync_init(struct lb_agent *ag);
void lb_agent_sync_run(struct lb_agent *ag, uint64_t now, unsigned int *work);
/* While the bulk sync at start is awaited, an activation waits for it:
 * true if it was held (deactivating cancels one held). */
bool lb_agent_sync_hold_activation(struct lb_agent *ag, bool active);
json_t *lb_agent_sync_status(const struct lb_agent *ag);
/* A frame for the kernel: false (counted) if it is a sync message from a
 * peer's address but not from the peer's resolved MAC. */
bool lb_agent_sync_frame_ok(struct lb_agent *ag, const uint8_t *data,
			    const struct lb_pkt *pk);
void lb_agent_sync_fini(struct lb_agent *ag);

/* announce.c */
int lb_agent_announce_init(struct lb_agent *ag);
void lb_agent_announce_run(struct lb_agent *ag, uint64_t now);
unsigned int lb_agent_announce_withdraw(struct lb_agent *ag, uint64_t now);
void lb_agent_announce_fini(struct lb_agent *ag);

/* reconcile.c */
int lb_agent_reconcile(struct lb_agent *ag, uint64_t now_ms);
void lb_agent_reconcile_fini(struct lb_agent *ag);
void lb_agent_health_changed(void *ctx, const struct lb_hc_target *t,
			     bool up);
void lb_agent_neigh_changed(void *ctx, const struct lb_neigh *n);

/* input.c */
int lb_agent_neigh_init(struct lb_agent *ag);
unsigned int lb_agent_input_run(struct lb_agent *ag, uint64_t now);

/* rpc.c, rpc_flows.c */
int lb_agent_rpc_init(struct lb_agent *ag);
void lb_agent_rpc_fini(struct lb_agent *ag);
uint64_t lb_agent_member_flows(void *ag, unsigned int slot);
extern const struct lb_ctl_method lb_agent_flow_methods[];
extern const unsigned int lb_agent_n_flow_methods;

/* stop.c */
bool lb_agent_stop_signal(struct lb_agent *ag, int sig, uint64_t now);
bool lb_agent_stop_over(struct lb_agent *ag, uint64_t now);
void lb_agent_stop_finish(struct lb_agent *ag);

#endif /* LB_AGENT_INTERNAL_H */
