/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>
#include <rte_rcu_qsbr.h>

#include "app.h"

RTE_LOG_REGISTER(dsrlb_logtype, dsrlb.app, INFO);

volatile sig_atomic_t dsrlb_signal_quit;
volatile sig_atomic_t dsrlb_signal_stats;
volatile sig_atomic_t dsrlb_signal_reload;

static struct dsrlb_app app;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		dsrlb_signal_stats = 1;
	else if (sig == SIGHUP)
		dsrlb_signal_reload = 1;
	else
		dsrlb_signal_quit = sig;   /* the agent says which */
}

static void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The PMDs' I/O signals (net_tap's RX trigger: lb_dp_io_signals()) go to
 * the workers, which take them (lb_dp_main_loop); every other thread
 * blocks them, the EAL's too, which inherit this mask: else the kernel
 * hands them to the main thread, and every frame on a TAP wakes the
 * master, which then runs a pass. */
static void
io_signal_block(void)
{
	sigset_t io;

	lb_dp_io_signals(&io);
	pthread_sigmask(SIG_BLOCK, &io, NULL);
}

/* EAL options are the ones before "--" (none if there is no "--"). */
static int
eal_argc(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return 1;
}

/* keepalived -t: validate without touching the machine, by the same
 * rules the core applies at start and on reload; verbose, say what it
 * holds and the hugepages it needs (for the workers the EAL options
 * give). */
static int
check_config(const struct lb_conf *conf, bool verbose, int argc, char **argv)
{
	struct lb_conf_error err;
	struct dsrlb_memory mem;
	char why[160];
	unsigned int workers;

	if (lb_core_conf_check(conf, &err) != 0) {
		fprintf(stderr, "dsrlb: %s\n", err.msg);
		return DSRLB_EXIT_CONFIG;
	}
	if (!verbose)
		return DSRLB_EXIT_OK;
	printf("%s: configuration OK: %u ports, %u VIPs, %u members, %u services\n",
	       conf->source, conf->n_ports, conf->n_vips, conf->n_members,
	       conf->n_services);
	workers = dsrlb_eal_workers(eal_argc(argc, argv), argv, why,
				    sizeof(why));
	if (dsrlb_memory_estimate(conf, workers, &mem, &err) == 0)
		dsrlb_memory_print(stdout, &mem, why);
	else
		printf("memory: cannot estimate: %s\n", err.msg);
	return DSRLB_EXIT_OK;
}

static int
rcu_create(struct dsrlb_app *a)
{
	size_t sz = rte_rcu_qsbr_get_memsize(a->env.n_workers);

	a->qsbr = rte_zmalloc("dsrlb_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (a->qsbr == NULL || rte_rcu_qsbr_init(a->qsbr, a->env.n_workers) != 0) {
		APP_LOG(ERR, "cannot create the RCU QSBR variable");
		return -ENOMEM;
	}
	return 0;
}

/* The core holds the control-plane state; its first snapshot must be
 * published before any worker runs. */
static int
core_create(struct dsrlb_app *a, struct lb_conf_error *err)
{
	struct lb_core_params p = {
		.qsbr = a->qsbr,
		.socket_id = (int)rte_socket_id(),
	};
	int rc;

	a->env.core = lb_core_create(&p);
	if (a->env.core == NULL) {
		snprintf(err->msg, sizeof(err->msg), "cannot create core: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = lb_core_apply_conf(a->env.core, a->conf, a->env.port_ids,
				(const uint8_t (*)[6])a->env.port_macs, err);
	if (rc != 0)
		return rc;
	rc = lb_core_commit(a->env.core);
	if (rc < 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot publish the configuration: %s",
			 strerror(-rc));
		return rc;
	}
	/* from now on, pairs added are checked before they take traffic */
	lb_core_set_started(a->env.core);
	return 0;
}

/* What the control plane borrows: the core, ports and workers just
 * made, the file for reloads, the signal flags. */
static void
agent_env(struct dsrlb_app *a)
{
	unsigned int i;

	a->env.version = DSRLB_VERSION;
	a->env.config_path = a->args.config;
	for (i = 0; i < a->env.n_ports; i++)
		a->env.port_pools[i] = dsrlb_pool_for_port(a, i);
	a->env.quit = &dsrlb_signal_quit;
	a->env.reload = &dsrlb_signal_reload;
	a->env.stats_log = &dsrlb_signal_stats;
}

int
main(int argc, char **argv)
{
	struct lb_conf_error err = { .msg = "" };
	int rc, status = DSRLB_EXIT_FAIL;

	rc = dsrlb_args_parse(argc, argv, &app.args);
	if (rc != 0)
		return rc > 0 ? DSRLB_EXIT_OK : DSRLB_EXIT_CONFIG;
	app.conf = lb_conf_load(app.args.config, &err);
	if (app.conf == NULL) {
		fprintf(stderr, "dsrlb: %s\n", err.msg);
		return DSRLB_EXIT_CONFIG;
	}
	/* the rules between objects are the core's: checked before
	 * anything starts, as -t does */
	status = check_config(app.conf, app.args.check, argc, argv);
	if (app.args.check || status != DSRLB_EXIT_OK) {
		lb_conf_free(app.conf);
		return status;
	}
	status = DSRLB_EXIT_FAIL;

	dsrlb_log_init();
	io_signal_block();
	rte_errno = 0;
	if (rte_eal_init(eal_argc(argc, argv), argv) < 0) {
		/* the EAL has said why on stderr ("EAL: FATAL: ..."); it does
		 * not always set rte_errno (a locked --file-prefix leaves 0,
		 * which reads "Success"), so its code is only added when set */
		if (rte_errno != 0)
			fprintf(stderr, "dsrlb: EAL initialisation failed (%s): the EAL's reason is above\n",
				rte_strerror(rte_errno));
		else
			fprintf(stderr, "dsrlb: EAL initialisation failed: the EAL's reason is above\n");
		lb_conf_free(app.conf);
		return DSRLB_EXIT_FAIL;
	}
	signals_install();

	if (dsrlb_ports_probe(&app, &err) != 0) {
		status = DSRLB_EXIT_CONFIG;
		goto fail_msg;
	}
	if (dsrlb_workers_plan(&app) != 0 || rcu_create(&app) != 0 ||
	    dsrlb_mempools_create(&app) != 0)
		goto cleanup;
	if (core_create(&app, &err) != 0)
		goto fail_msg;
	if (dsrlb_workers_create(&app) != 0 || dsrlb_ports_start(&app) != 0)
		goto cleanup;
	agent_env(&app);
	app.agent = lb_agent_create(&app.env);
	if (app.agent == NULL)
		goto cleanup;
	if (rte_pdump_init() != 0)
		APP_LOG(WARNING, "packet capture (dpdk-dumpcap) unavailable: %s",
			rte_strerror(rte_errno));
	if (dsrlb_workers_launch(&app) != 0)
		goto stop;

	APP_LOG(NOTICE, "running: %u ports, %u workers, %u VIPs, %u members, %u services",
		app.env.n_ports, app.env.n_workers, app.conf->n_vips,
		app.conf->n_members, app.conf->n_services);
	/* from here on the core is the one source of truth: the file is
	 * read again only by a reload */
	lb_conf_free(app.conf);
	app.conf = NULL;
	/* returns once it has handed over: the workers carried that */
	lb_agent_run(app.agent);
	APP_LOG(NOTICE, "shutting down");
	status = DSRLB_EXIT_OK;
stop:
	dsrlb_workers_stop(&app);
	lb_agent_stats_log(app.agent);
	rte_pdump_uninit();
	goto cleanup;
fail_msg:
	fprintf(stderr, "dsrlb: %s\n", err.msg);
cleanup:
	app.quit = true;
	lb_agent_free(app.agent);
	app.agent = NULL;
	dsrlb_ports_stop(&app);
	dsrlb_workers_free(&app);
	lb_core_free(app.env.core);
	rte_free(app.qsbr);
	lb_conf_free(app.conf);
	rte_eal_cleanup();
	return status;
}
