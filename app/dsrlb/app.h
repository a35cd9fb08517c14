/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef DSRLB_APP_H
#define DSRLB_APP_H

#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_log.h>

#include "lb_api.h"
#include "lb_config.h"
#include "lb_core.h"
#include "lb_ctl.h"
#include "lb_dp.h"
#include "lb_hc_runner.h"
#include "lb_kif.h"
#include "lb_neigh.h"
#include "lb_stats.h"

extern int dsrlb_logtype;
#define APP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, dsrlb_logtype, "dsrlb: " fmt "\n", \
		##__VA_ARGS__)

/* Exit statuses: 2 is "the configuration is wrong", as keepalived -t. */
#define DSRLB_EXIT_OK 0
#define DSRLB_EXIT_FAIL 1
#define DSRLB_EXIT_CONFIG 2

#define DSRLB_RING_SIZE 1024
#define DSRLB_SYNC_RING_SIZE 16384   /* flows for sync, each way, per worker */

#ifndef DSRLB_VERSION
#define DSRLB_VERSION "unknown"
#endif

/* epoll tag of the control socket in the master's event set (the
 * other events are the health-check runner's) */
#define DSRLB_EV_CTL ((void *)1)

/* Command line after "--". */
struct dsrlb_args {
	const char *config;
	bool check;
};

/* One worker lcore and what it owns. */
struct dsrlb_worker {
	unsigned int lcore;
	int socket;
	struct lb_worker *w;
	struct lb_flow_table *flows;
	struct rte_ring *to_master_prio;  /* ARP */
	struct rte_ring *to_master_ctrl;  /* members, routers, peers, VRRP */
	struct rte_ring *to_master;       /* anyone else */
	struct rte_ring *from_master;
	struct rte_ring *sync_out;   /* flows to announce (flow sync) */
	struct rte_ring *sync_in;    /* flows peers announced, to install */
	uint32_t flush_seq;        /* the last flows.flush asked of it */
};

/* The master's copy of what it last reconciled from the core. */
struct dsrlb_reconcile {
	bool done;                   /* at least once */
	uint64_t seq;                /* lb_core_seq() then */
	uint64_t retry_ms;           /* after a failure: when to try again */
	struct lb_hc_target *targets;   /* scratch list of checks */
	unsigned int targets_cap;
	uint32_t addrs[LB_MAX_MEMBERS]; /* scratch list of ARP targets */
	uint8_t ports[LB_MAX_MEMBERS];
	uint16_t member_gen[LB_MAX_MEMBERS]; /* member last seen per slot */
};

/* Master-side counters (enum lb_stat_master). */
struct dsrlb_master_stats {
	uint64_t c[LB_STAT_MASTER_MAX];
};

/* A data port's link as the master last read it (link.c). */
struct dsrlb_link {
	bool known;               /* read at least once */
	bool up;
	bool full_duplex;
	bool autoneg;
	uint32_t speed;           /* Mb/s; RTE_ETH_SPEED_NUM_UNKNOWN */
	uint64_t changes;         /* up/down transitions since the start */
	uint64_t changed_ms;      /* dsrlb_now_ms() of the last one (or of
				     the first reading) */
	int64_t changed_at;       /* the same as Unix time, seconds */
};

struct dsrlb_served;
struct dsrlb_sync;
struct lb_mem_heap;
struct rte_eth_xstat_name;

struct dsrlb_app {
	struct dsrlb_args args;
	struct lb_conf *conf;
	struct lb_core *core;
	struct rte_rcu_qsbr *qsbr;

	/* data ports, indexed like conf->ports */
	unsigned int n_ports;
	uint16_t port_ids[LB_MAX_PORTS];
	uint8_t port_macs[LB_MAX_PORTS][6];
	bool port_started[LB_MAX_PORTS];
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	uint16_t mbuf_room;       /* data room of every mbuf: the largest
				     frame of any port's MTU, whole */
	/* the NICs' extended counters: their names, read once at start */
	struct rte_eth_xstat_name *xstat_names[LB_MAX_PORTS];
	unsigned int n_xstats[LB_MAX_PORTS];
	/* each port's link (link.c) */
	struct dsrlb_link links[LB_MAX_PORTS];
	unsigned int links_down;  /* ports whose link is down now */
	uint64_t links_next_ms;   /* next reading */
	bool kif_carrier;         /* the exception interface's carrier */
	int links_tracked;        /* links_down in the track file; < 0: not
				     written yet, or the last write failed */

	unsigned int n_workers;
	struct dsrlb_worker workers[RTE_MAX_LCORE];
	struct lb_worker *peers[RTE_MAX_LCORE];  /* every worker's context */
	/* the health checks' answers, for the workers' members lane: the
	 * master writes it as check sockets open and close */
	struct lb_dp_expect *expect;

	/* master state */
	struct dsrlb_master_stats mstats;
	struct lb_kif *kif;       /* the kernel interface, NULL without one */
	unsigned int kif_port;    /* the data port it holds the address of */
	struct lb_neigh_table neigh;
	struct lb_neigh_ops neigh_ops;
	struct lb_hc_runner *hc;  /* health checks, following the core */
	struct dsrlb_reconcile rec;
	struct lb_ctl *ctl;
	struct lb_api api;        /* the control methods' context */
	int ep;                   /* epoll: check sockets and the control socket */
	uint64_t start_ms;
	uint64_t ctl_expire_ms;   /* next stall/idle sweep of control clients */
	uint64_t garp_next_ms;    /* next gratuitous ARP round */
	unsigned int garp_rounds; /* rounds sent so far */
	unsigned int garp_cursor; /* next VIP of the current round */
	bool garp_active;
	unsigned int garp_vips;   /* VIPs when the last round started */
	uint64_t removals_ms;     /* next look at members removed with drain */
	uint64_t vrrp_sent_ms;    /* our keepalived's last VRRP advert (or
				     the activation) */
	/* mode ecmp: the VIPs routed for the BGP speaker (announce.c) */
	uint32_t *announced;      /* sorted, LB_MAX_VIPS */
	unsigned int n_announced;
	struct dsrlb_served *served;
	/* flow sync (sync.c), NULL without */
	struct dsrlb_sync *sync;
	bool sync_bulk_requested; /* a bulk sync was asked for at start */
	uint64_t announce_seq;    /* snapshot version at the last look */
	uint64_t announce_ms;     /* next look anyway */
	uint64_t announce_min_ms; /* no look before */

	/* the control plane state is read by telemetry threads */
	pthread_mutex_t lock;
	volatile bool quit;
};

#define DSRLB_MAC_STR 18

/* "aa:bb:cc:dd:ee:ff" without casting bytes to struct rte_ether_addr
 * (which needs 2-byte alignment). */
static inline const char *
dsrlb_mac_str(const uint8_t *mac, char buf[DSRLB_MAC_STR])
{
	snprintf(buf, DSRLB_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/* args.c */
int dsrlb_args_parse(int argc, char **argv, struct dsrlb_args *args);

/* log.c: under systemd, each log line once in the journal at its level */
void dsrlb_log_init(void);
void dsrlb_usage(const char *prog);

/* ports.c */
int dsrlb_ports_probe(struct dsrlb_app *app, struct lb_conf_error *err);
int dsrlb_workers_plan(struct dsrlb_app *app);
int dsrlb_mempools_create(struct dsrlb_app *app);
int dsrlb_ports_start(struct dsrlb_app *app);
void dsrlb_ports_stop(struct dsrlb_app *app);
struct rte_mempool *dsrlb_pool_for_port(struct dsrlb_app *app,
					unsigned int port);
uint16_t dsrlb_mbuf_room(const struct lb_conf *conf);
unsigned int dsrlb_pool_mbufs(const struct dsrlb_app *app);
size_t dsrlb_pool_memsize(const struct dsrlb_app *app, size_t page_size,
			  struct lb_mem_heap *h);
json_t *dsrlb_port_counters_json(struct dsrlb_app *app, unsigned int port);

/* link.c */
void dsrlb_links_init(struct dsrlb_app *app);
void dsrlb_links_run(struct dsrlb_app *app, uint64_t now);
json_t *dsrlb_link_json(const struct dsrlb_app *app, unsigned int port);

/* workers.c */
/* What each worker's policers let through to the master, per class
 * (its share of the configured rates), and the rings that hold it. */
struct dsrlb_lanes {
	struct lb_dp_params rates;   /* only the *_pps fields */
	unsigned int prio_size;      /* ARP */
	unsigned int ctrl_size;      /* the trusted classes */
	unsigned int bulk_size;      /* anyone else */
};

void dsrlb_lanes(const struct dsrlb_app *app, struct dsrlb_lanes *l);
uint32_t dsrlb_flows_per_worker(const struct lb_conf *conf,
				unsigned int n_workers);
void dsrlb_workers_memsize(const struct dsrlb_app *app, struct lb_mem_heap *h,
			   size_t *flows, size_t *other);

int dsrlb_workers_create(struct dsrlb_app *app);
int dsrlb_workers_launch(struct dsrlb_app *app);
void dsrlb_workers_stop(struct dsrlb_app *app);
void dsrlb_workers_free(struct dsrlb_app *app);

/* master.c */
int dsrlb_master_init(struct dsrlb_app *app);
void dsrlb_garp_start(struct dsrlb_app *app);
void dsrlb_set_active(struct dsrlb_app *app, bool active, const char *why);
void dsrlb_master_fini(struct dsrlb_app *app);
void dsrlb_master_loop(struct dsrlb_app *app);
int dsrlb_master_send(struct dsrlb_app *app, unsigned int port,
		      struct rte_mbuf *m, bool bulk);
int dsrlb_port_index(const struct dsrlb_app *app, uint16_t dpdk_port);
uint64_t dsrlb_now_ms(void);

/* announce.c */
int dsrlb_announce_init(struct dsrlb_app *app);
void dsrlb_announce_run(struct dsrlb_app *app, uint64_t now);
void dsrlb_announce_fini(struct dsrlb_app *app);

/* sync.c */
int dsrlb_sync_init(struct dsrlb_app *app);
void dsrlb_sync_run(struct dsrlb_app *app, uint64_t now, unsigned int *work);
/* While the bulk sync at start is awaited, an activation waits for it:
 * true if it was held (deactivating cancels one held). */
bool dsrlb_sync_hold_activation(struct dsrlb_app *app, bool active);
json_t *dsrlb_sync_status(const struct dsrlb_app *app);
void dsrlb_sync_fini(struct dsrlb_app *app);

/* reconcile.c */
int dsrlb_reconcile(struct dsrlb_app *app, uint64_t now_ms);
void dsrlb_reconcile_fini(struct dsrlb_app *app);
void dsrlb_health_changed(void *ctx, const struct lb_hc_target *t, bool up);
void dsrlb_neigh_changed(void *ctx, const struct lb_neigh *n);

/* The identity of a (service, member) pair: another pair in the same
 * slots has another one (lb_hc_target::id). */
static inline uint32_t
dsrlb_pair_id(const struct lb_core_service *s, const struct lb_core_member *m)
{
	return (uint32_t)s->gen << 16 | m->gen;
}

/* memory.c: the hugepages a configuration needs, for --check */
struct dsrlb_memory {
	unsigned int n_workers;     /* assumed (dsrlb_eal_workers()) */
	uint32_t flows;             /* per worker */
	size_t flow_tables;         /* every worker's */
	size_t persist;             /* at the peak of a commit */
	unsigned int n_persist;     /* services with persistence */
	size_t maglev;              /* at the peak of a commit */
	size_t mbufs;               /* one pool */
	unsigned int n_mbufs;
	uint16_t mbuf_room;
	size_t other;               /* workers' contexts and rings,
				       snapshots, wrr, RCU, packet capture,
				       the NICs' queues */
	size_t counted;             /* all of the above */
	size_t eal;                 /* room for the EAL, the drivers and a
				       margin */
	size_t total;               /* the 2 MiB pages the heap maps */
	size_t total_1g;            /* the 1 GiB pages it maps */
};

unsigned int dsrlb_eal_workers(int argc, char **argv, char *why,
			       size_t len);
int dsrlb_memory_estimate(const struct lb_conf *conf, unsigned int n_workers,
			  struct dsrlb_memory *m, struct lb_conf_error *err);
void dsrlb_memory_print(FILE *f, const struct dsrlb_memory *m,
			const char *assumed);

/* rpc.c */
int dsrlb_rpc_init(struct dsrlb_app *app);
uint64_t dsrlb_member_flows(void *app, unsigned int slot);
void dsrlb_rpc_fini(struct dsrlb_app *app);

/* stats.c */
void dsrlb_stats_sum(const struct dsrlb_app *app,
		     uint64_t out[LB_STAT_WORKER_MAX]);
void dsrlb_traffic_sum(const struct dsrlb_app *app, bool member,
		       unsigned int slot, struct lb_dp_traffic *t);
void dsrlb_stats_log(struct dsrlb_app *app);
int dsrlb_telemetry_register(struct dsrlb_app *app);

#endif /* DSRLB_APP_H */
