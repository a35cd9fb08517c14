/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef DSRLB_APP_H
#define DSRLB_APP_H

#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_log.h>

#include "lb_agent.h"
#include "lb_config.h"
#include "lb_core.h"
#include "lb_dp.h"

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

/* Command line after "--". */
struct dsrlb_args {
	const char *config;
	bool check;
};

struct lb_mem_heap;

/* The process: what it probed, made and started. The control plane
 * (lib/agent) borrows env. */
struct dsrlb_app {
	struct dsrlb_args args;
	struct lb_conf *conf;         /* the file, until the agent runs */
	struct rte_rcu_qsbr *qsbr;

	/* ports, workers and the core, for the agent (indexed like
	 * conf->ports) */
	struct lb_agent_env env;
	struct lb_worker *peers[RTE_MAX_LCORE];  /* every worker's context */
	bool port_started[LB_MAX_PORTS];
	uint16_t mbuf_room;       /* data room of every mbuf: the largest
				     frame of any port's MTU, whole */
	struct lb_agent *agent;   /* the control plane */
	volatile bool quit;       /* the workers stop */
};

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
/** The same for the IPv6 tables (flows.ipv6_capacity). */
uint32_t dsrlb_flows6_per_worker(const struct lb_conf *conf,
				 unsigned int n_workers);
void dsrlb_workers_memsize(const struct dsrlb_app *app, struct lb_mem_heap *h,
			   size_t *flows, size_t *other);

int dsrlb_workers_create(struct dsrlb_app *app);
int dsrlb_workers_launch(struct dsrlb_app *app);
void dsrlb_workers_stop(struct dsrlb_app *app);
void dsrlb_workers_free(struct dsrlb_app *app);

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

#endif /* DSRLB_APP_H */
