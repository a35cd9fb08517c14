/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The master lcore: everything that is not per-packet forwarding, as a
 * list of steps repeated in a loop (steps[] below). The behaviour lives
 * in the components: ARP in lib/neigh, the kernel interface in lib/kif,
 * the health checks in lib/health, the state in lib/core, the control
 * server in lib/ctl; the files of lib/agent move packets and events
 * between them (agent_internal.h lists them).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_errno.h>

#include "agent_internal.h"

RTE_LOG_REGISTER(lb_agent_logtype, dsrlb.agent, INFO);

/* ---- the steps of a pass: each returns the work it found ---- */

static unsigned int
step_input(struct lb_agent *ag, uint64_t now)
{
	return lb_agent_input_run(ag, now);
}

static unsigned int
step_kernel(struct lb_agent *ag, uint64_t now __rte_unused)
{
	return lb_agent_kif_poll(ag);
}

static unsigned int
step_links(struct lb_agent *ag, uint64_t now)
{
	lb_agent_links_run(ag, now);
	return 0;
}

static unsigned int
step_sync(struct lb_agent *ag, uint64_t now)
{
	unsigned int work = 0;

	lb_agent_sync_run(ag, now, &work);
	return work;
}

static unsigned int
step_neigh(struct lb_agent *ag, uint64_t now)
{
	lb_neigh_run(&ag->neigh, now, &ag->neigh_ops);
	return 0;
}

static unsigned int
step_reconcile(struct lb_agent *ag, uint64_t now)
{
	lb_agent_reconcile(ag, now);
	return 0;
}

static unsigned int
step_health(struct lb_agent *ag, uint64_t now)
{
	lb_hc_runner_run(ag->hc, now);
	return 0;
}

static unsigned int
step_garp(struct lb_agent *ag, uint64_t now)
{
	return lb_agent_garp_run(ag, now);
}

/* Requests an earlier pass left (each pass answers a bounded number),
 * and stalled and idle clients to drop even without events. */
static unsigned int
step_control(struct lb_agent *ag, uint64_t now)
{
	if (ag->ctl == NULL ||
	    (now < ag->ctl_expire_ms && !lb_ctl_pending(ag->ctl)))
		return 0;
	lb_ctl_poll(ag->ctl, now);
	ag->ctl_expire_ms = now + 1000;
	return 0;
}

/* SIGHUP: what config.reload does, the outcome in the log. */
static unsigned int
step_reload(struct lb_agent *ag, uint64_t now __rte_unused)
{
	struct lb_conf_error err;
	json_t *r;

	if (!*ag->env->reload)
		return 0;
	*ag->env->reload = 0;
	AG_LOG(NOTICE, "SIGHUP: reloading %s", ag->api.config_path);
	r = lb_api_reload(&ag->api, &err);
	json_decref(r);   /* lib/api logged what changed, or why not */
	return 0;
}

/* Members removed with drain go once their flows end. */
static unsigned int
step_removals(struct lb_agent *ag, uint64_t now)
{
	if (now < ag->removals_ms)
		return 0;
	ag->removals_ms = now + 1000;
	lb_api_removals_run(&ag->api, now);
	return 0;
}

/* VIPs added at run time are announced like the ones at start. */
static unsigned int
step_new_vips(struct lb_agent *ag, uint64_t now __rte_unused)
{
	lb_agent_garp_new_vips(ag);
	return 0;
}

static unsigned int
step_watchdog(struct lb_agent *ag, uint64_t now)
{
	lb_agent_vrrp_watchdog(ag, now);
	return 0;
}

/* Publish what changed in this pass (MACs, health, control requests)
 * as one snapshot. */
static unsigned int
step_commit(struct lb_agent *ag, uint64_t now __rte_unused)
{
	int rc = lb_core_commit(ag->core);

	if (rc == 1)
		ag->mstats[LB_STAT_SNAPSHOT_PUBLISHED]++;
	else if (rc < 0 && rc != -EBUSY)
		AG_LOG(ERR, "cannot publish a snapshot: %s", strerror(-rc));
	return 0;
}

static unsigned int
step_announce(struct lb_agent *ag, uint64_t now)
{
	lb_agent_announce_run(ag, now);
	return 0;
}

/* Free the snapshots no worker can see any more. */
static unsigned int
step_reclaim(struct lb_agent *ag, uint64_t now __rte_unused)
{
	ag->mstats[LB_STAT_SNAPSHOT_FREED] += lb_core_reclaim(ag->core);
	return 0;
}

/*
 * One pass, in this order: what the workers and the kernel handed over
 * first (ARP answers feed the neighbors, the peers' flows the sync),
 * then the timers, then the control requests; what all of them changed
 * is published as one snapshot, then announced; old snapshots freed
 * last.
 */
static const struct {
	const char *name;
	unsigned int (*run)(struct lb_agent *ag, uint64_t now);
} steps[] = {
	{ "input", step_input },          /* the workers' rings (input.c) */
	{ "kernel", step_kernel },        /* what the kernel sends (kernel.c) */
	{ "links", step_links },          /* the data ports' links (links.c) */
	{ "sync", step_sync },            /* flow sync (sync.c) */
	{ "neighbors", step_neigh },      /* ARP timers (lib/neigh) */
	{ "reconcile", step_reconcile },  /* checks and ARP targets (reconcile.c) */
	{ "health", step_health },        /* check timers (lib/health) */
	{ "garp", step_garp },            /* gratuitous ARP (active.c) */
	{ "control", step_control },      /* requests left over (lib/ctl) */
	{ "reload", step_reload },        /* SIGHUP (lib/api) */
	{ "removals", step_removals },    /* drained members (lib/api) */
	{ "new-vips", step_new_vips },    /* (active.c) */
	{ "watchdog", step_watchdog },    /* VRRP (active.c) */
	{ "commit", step_commit },        /* one snapshot (lib/core) */
	{ "announce", step_announce },    /* VIP routes (announce.c) */
	{ "reclaim", step_reclaim },      /* (lib/core) */
};

/* ---- events between passes ---- */

static bool
ctl_pending(const struct lb_agent *ag)
{
	return ag->ctl != NULL && lb_ctl_pending(ag->ctl);
}

/* SIGUSR1: counters to the log. */
static void
stats_signal(struct lb_agent *ag)
{
	if (!*ag->env->stats_log)
		return;
	*ag->env->stats_log = 0;
	lb_agent_stats_log(ag);
}

/* Register the control socket's events in the epoll set. */
static int
watch_ctl(struct lb_agent *ag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = AG_EV_CTL };

	if (ag->ctl == NULL)
		return 0;
	return epoll_ctl(ag->ep, EPOLL_CTL_ADD, lb_ctl_fd(ag->ctl), &ev);
}

/* Sleep until a socket is ready or timeout_ms passes, then handle what
 * is ready: control requests and health-check sockets. */
static void
wait_events(struct lb_agent *ag, int timeout_ms)
{
	struct epoll_event ev[64];
	uint64_t now;
	int i, n;

	n = epoll_wait(ag->ep, ev, 64, timeout_ms);
	if (n <= 0)
		return;
	now = lb_agent_now_ms();
	pthread_mutex_lock(&ag->lock);
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr == AG_EV_CTL)
			lb_ctl_poll(ag->ctl, now);
		else
			lb_hc_runner_event(ag->hc, ev[i].data.ptr, now);
	}
	pthread_mutex_unlock(&ag->lock);
}

/* SIGTERM, SIGINT: the first starts the stop (stop.c), which may go on
 * for a grace; a second ends it. The flag is cleared so that a second
 * is seen. false: stop now. */
static bool
go_on(struct lb_agent *ag, uint64_t now)
{
	int sig = *ag->env->quit;

	if (sig != 0) {
		*ag->env->quit = 0;
		if (!lb_agent_stop_signal(ag, sig, now))
			return false;
	}
	return !lb_agent_stop_over(ag, now);
}

/*
 * Each pass runs the steps, then waits on the sockets for at most 1 ms
 * (not at all if the pass found work), so rings are drained promptly
 * and the loop never blocks. Asked to stop, it hands over and runs on
 * for the grace; then the parts that send stop, while the workers still
 * run.
 */
void
lb_agent_run(struct lb_agent *ag)
{
	unsigned int i;

	for (;;) {
		uint64_t now = lb_agent_now_ms();
		unsigned int work = 0;

		pthread_mutex_lock(&ag->lock);
		if (!go_on(ag, now))
			break;
		for (i = 0; i < RTE_DIM(steps); i++)
			work += steps[i].run(ag, now);
		pthread_mutex_unlock(&ag->lock);
		stats_signal(ag);
		wait_events(ag, work > 0 || ctl_pending(ag) ? 0 : 1);
	}
	lb_agent_stop_finish(ag);
	pthread_mutex_unlock(&ag->lock);
}

/* ---- set-up ---- */

/* A check socket opened or closed: the workers let its member's
 * answers into the members' lane, and only those. */
static void
health_expect(void *ctx, uint8_t proto, const struct lb_ip *member,
	      uint16_t member_port, uint16_t local_port, bool on)
{
	struct lb_agent *ag = ctx;

	/* an IPv6 member by its folded address (own.c keys it so) */
	if (ag->env->expect != NULL)
		lb_dp_expect_set(ag->env->expect, proto, local_port,
				 lb_ip_is4(member) ? lb_ip_v4(member) :
				 lb_dp_expect_addr6(member->b),
				 member_port, on);
}

static int
health_init(struct lb_agent *ag)
{
	struct lb_hc_runner_params hp = {
		.changed = lb_agent_health_changed, .expect = health_expect,
		.ctx = ag, .epoll_fd = ag->ep,
		.ifname = ag->kif != NULL ? lb_kif_name(ag->kif) : NULL,
	};

	ag->hc = lb_hc_runner_create(&hp);
	if (ag->hc == NULL) {
		AG_LOG(ERR, "health checks: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

/*
 * The components in the order they depend on each other: the epoll
 * set, the kernel interface, links, neighbors and the check runner,
 * then a first reconcile from the core (which starts resolving members
 * and checking them), route announcement, flow sync, the control
 * server. Any failure stops the start.
 */
static int
agent_init(struct lb_agent *ag)
{
	int rc;

	ag->start_ms = lb_agent_now_ms();
	ag->act.vrrp_sent_ms = ag->start_ms;   /* "start": "active": a grace */
	/* the process published the first snapshot */
	ag->mstats[LB_STAT_SNAPSHOT_PUBLISHED] = 1;
	ag->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ag->ep < 0) {
		AG_LOG(ERR, "epoll: %s", strerror(errno));
		return -errno;
	}
	rc = lb_agent_kif_create(ag);
	if (rc != 0)
		return rc;
	lb_agent_links_init(ag);
	rc = lb_agent_neigh_init(ag);
	if (rc != 0) {
		AG_LOG(ERR, "neighbor table: %s", strerror(-rc));
		return rc;
	}
	rc = health_init(ag);
	if (rc != 0)
		return rc;
	rc = lb_agent_reconcile(ag, lb_agent_now_ms());
	if (rc != 0)
		return rc;
	if (lb_hc_runner_count(ag->hc) > 0)
		AG_LOG(INFO, "%u health checks from %s",
			lb_hc_runner_count(ag->hc), lb_kif_name(ag->kif));
	rc = lb_agent_announce_init(ag);
	if (rc != 0) {
		AG_LOG(ERR, "VIP announcement: %s", strerror(-rc));
		return rc;
	}
	rc = lb_agent_sync_init(ag);
	if (rc != 0)
		return rc;
	lb_agent_garp_start(ag);
	rc = lb_agent_rpc_init(ag);
	if (rc != 0)
		return rc;
	if (watch_ctl(ag) != 0) {
		AG_LOG(ERR, "control socket not watched: %s", strerror(errno));
		return -errno;
	}
	if (lb_agent_telemetry_register(ag) != 0)
		AG_LOG(WARNING, "telemetry commands not registered");
	return 0;
}

struct lb_agent *
lb_agent_create(const struct lb_agent_env *env)
{
	struct lb_agent *ag = calloc(1, sizeof(*ag));

	if (ag == NULL) {
		AG_LOG(ERR, "control plane: out of memory");
		return NULL;
	}
	ag->env = env;
	ag->core = env->core;
	ag->ep = -1;
	pthread_mutex_init(&ag->lock, NULL);
	if (agent_init(ag) != 0) {
		lb_agent_free(ag);
		return NULL;
	}
	return ag;
}

void
lb_agent_free(struct lb_agent *ag)
{
	if (ag == NULL)
		return;
	lb_agent_telemetry_unregister(ag);
	lb_agent_rpc_fini(ag);
	lb_agent_announce_fini(ag);
	lb_agent_sync_fini(ag);
	lb_hc_runner_free(ag->hc);
	ag->hc = NULL;
	lb_agent_reconcile_fini(ag);
	lb_neigh_fini(&ag->neigh);
	lb_kif_free(ag->kif);
	ag->kif = NULL;
	lb_agent_ports_fini(ag);
	if (ag->ep >= 0)
		close(ag->ep);
	pthread_mutex_destroy(&ag->lock);
	free(ag);
}
