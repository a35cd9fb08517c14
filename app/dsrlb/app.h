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

#include "lb_config.h"
#include "lb_core.h"
#include "lb_ctl.h"
#include "lb_dp.h"
#include "lb_health.h"
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

#ifndef DSRLB_VERSION
#define DSRLB_VERSION "unknown"
#endif

/* epoll tags of the master's event set (other events carry a check) */
#define DSRLB_EV_CTL ((void *)1)
#define DSRLB_EV_ICMP ((void *)2)

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
	struct rte_ring *to_master_prio;
	struct rte_ring *to_master;
	struct rte_ring *from_master;
};

/* Policy routing for the own address (exception path). */
#define DSRLB_EXC_TABLE 25715      /* 0x6473, "ds" */
#define DSRLB_EXC_RULE_PRIO 1000

/* The kernel interface holding a port's own address. */
struct dsrlb_exception {
	bool created;
	bool started;
	bool active;
	bool rule_added;
	uint16_t port_id;          /* the TAP's DPDK port */
	unsigned int data_port;    /* our index of the port it stands for */
	int ifindex;
	char ifname[LB_IFNAME_MAX];
	uint16_t n_tx;             /* frames for the kernel, sent in a burst */
	struct rte_mbuf *tx[LB_BURST];
};

/* One health check: a (service, member) pair. */
struct dsrlb_check {
	uint16_t svc;
	uint16_t member;
	struct lb_conf_check conf;
	struct lb_hc_state st;
	int fd;                    /* -1 when not running */
	uint8_t phase;
	uint16_t out_len;
	uint16_t out_off;
	uint16_t in_len;
	uint16_t echo_seq;
	uint64_t next_ms;          /* next start */
	uint64_t deadline_ms;      /* of the running check */
	uint64_t changed_ms;       /* last up/down change */
	uint64_t runs;
	uint64_t failures;
	uint64_t changes;          /* up/down transitions */
	char last[96];             /* last result, for people */
	char out[640];
	char in[LB_HC_BUF];
};

struct dsrlb_health {
	int icmp_fd;               /* raw socket shared by icmp checks */
	uint16_t echo_id;
	struct dsrlb_check *checks;
	unsigned int n;
	uint32_t seq;
};

/* Master-side counters (enum lb_stat_master). */
struct dsrlb_master_stats {
	uint64_t c[LB_STAT_MASTER_MAX];
};

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

	unsigned int n_workers;
	struct dsrlb_worker workers[RTE_MAX_LCORE];
	struct lb_worker *peers[RTE_MAX_LCORE];  /* every worker's context */

	/* master state */
	struct dsrlb_master_stats mstats;
	struct dsrlb_exception exc;
	struct lb_neigh_table neigh;
	struct dsrlb_health health;
	struct lb_ctl *ctl;
	int ep;                   /* epoll: check sockets and the control socket */
	uint64_t start_ms;
	uint64_t ctl_expire_ms;   /* next stall/idle sweep of control clients */
	uint64_t garp_next_ms;    /* next gratuitous ARP round */
	unsigned int garp_rounds; /* rounds sent so far */
	unsigned int garp_cursor; /* next VIP of the current round */
	bool garp_active;

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
void dsrlb_usage(const char *prog);

/* ports.c */
int dsrlb_ports_probe(struct dsrlb_app *app, struct lb_conf_error *err);
int dsrlb_workers_plan(struct dsrlb_app *app);
int dsrlb_mempools_create(struct dsrlb_app *app);
int dsrlb_ports_start(struct dsrlb_app *app);
void dsrlb_ports_stop(struct dsrlb_app *app);
struct rte_mempool *dsrlb_pool_for_port(struct dsrlb_app *app,
					unsigned int port);

/* workers.c */
int dsrlb_workers_create(struct dsrlb_app *app);
int dsrlb_workers_launch(struct dsrlb_app *app);
void dsrlb_workers_stop(struct dsrlb_app *app);
void dsrlb_workers_free(struct dsrlb_app *app);

/* master.c */
int dsrlb_master_init(struct dsrlb_app *app);
void dsrlb_garp_start(struct dsrlb_app *app);
void dsrlb_master_fini(struct dsrlb_app *app);
void dsrlb_master_loop(struct dsrlb_app *app);
int dsrlb_master_send(struct dsrlb_app *app, unsigned int port,
		      struct rte_mbuf *m, bool bulk);
int dsrlb_port_index(const struct dsrlb_app *app, uint16_t dpdk_port);

/* exception.c */
int dsrlb_exception_init(struct dsrlb_app *app);
void dsrlb_exception_fini(struct dsrlb_app *app);
bool dsrlb_exception_port(const struct dsrlb_app *app, unsigned int port);
void dsrlb_exception_to_kernel(struct dsrlb_app *app, struct rte_mbuf *m);
void dsrlb_exception_flush(struct dsrlb_app *app);
unsigned int dsrlb_exception_poll(struct dsrlb_app *app);

/* health.c */
int dsrlb_health_init(struct dsrlb_app *app);
void dsrlb_health_fini(struct dsrlb_app *app);
void dsrlb_health_run(struct dsrlb_app *app, uint64_t now_ms);
void dsrlb_health_event(struct dsrlb_app *app, void *tag, uint64_t now_ms);
uint64_t dsrlb_now_ms(void);

/* rpc.c */
int dsrlb_rpc_init(struct dsrlb_app *app);
void dsrlb_rpc_fini(struct dsrlb_app *app);

/* stats.c */
void dsrlb_stats_sum(const struct dsrlb_app *app,
		     uint64_t out[LB_STAT_WORKER_MAX]);
void dsrlb_traffic_sum(const struct dsrlb_app *app, bool member,
		       unsigned int slot, struct lb_dp_traffic *t);
void dsrlb_stats_log(struct dsrlb_app *app);
int dsrlb_telemetry_register(struct dsrlb_app *app);

#endif /* DSRLB_APP_H */
