/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * A normal stop (SIGTERM, SIGINT) hands over before it goes. A balancer
 * that just stopped forwarding would be noticed only when something
 * times out (the router's BFD, the standby's VRRP master-down
 * interval), as a crash is, and what leaves through its workers would
 * stay in: BGP's withdrawal, keepalived's last advert, the last batch
 * of synced flows. So, while active in mode ecmp or vrrp:
 *
 *   1. hand over: mode ecmp withdraws every VIP route, and BIRD tells
 *      the router over its BGP session, which stays up; in mode vrrp
 *      keepalived hands over, stopped before dsrlb
 *      (config/keepalived-dsrlb.service.conf orders it so): its
 *      priority-0 advert makes the standby take over at once;
 *   2. the grace, high_availability.shutdown_grace_ms: the loop goes
 *      on, the workers forward what the router still sends before it
 *      has heard, the kernel interface passes BGP, VRRP and sync. It
 *      ends early on a second signal, or once standby (keepalived's
 *      hook: the peer has taken over and nothing is forwarded for the
 *      VIPs any more);
 *   3. what sends stops: routes left are withdrawn, flow sync sends
 *      its last batch, and what the kernel still has for the wire goes
 *      out through worker 0;
 *
 * then the process stops the workers. Standby, standalone or with no
 * grace, 3 follows at once.
 */

#include <inttypes.h>
#include <signal.h>
#include <time.h>

#include <rte_ring.h>

#include "agent_internal.h"

/* Step 3 reads the kernel interface until it has been quiet this long
 * and worker 0 has taken every frame, at most STOP_DRAIN_MS: a sendto()
 * puts its frame there at once, and BIRD answers a route gone within a
 * millisecond or two. */
#define STOP_QUIET_MS 5
#define STOP_DRAIN_MS 100

static const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	default:
		return "stop signal";
	}
}

/* Step 1, on the first signal: true while a grace runs. */
static bool
stop_begin(struct lb_agent *ag, uint64_t now)
{
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;
	unsigned int withdrawn = lb_agent_announce_withdraw(ag, now);
	const char *why = ag->stop.why;

	ag->stop.start_ms = now;
	if (ha->mode == LB_HA_STANDALONE) {
		AG_LOG(NOTICE, "%s: stopping", why);
		return false;
	}
	if (!lb_core_active(ag->core)) {
		AG_LOG(NOTICE, "%s: stopping now: standby, nothing to hand over",
			why);
		return false;
	}
	if (ha->mode == LB_HA_ECMP && withdrawn == 0) {
		AG_LOG(NOTICE, "%s: stopping now: no VIP was announced, the router sends nothing here",
			why);
		return false;
	}
	if (ha->shutdown_grace_ms == 0) {
		AG_LOG(NOTICE, "%s: stopping now (high_availability.shutdown_grace_ms 0)%s",
			why, withdrawn > 0 ? ": VIPs withdrawn" : "");
		return false;
	}
	ag->stop.on = true;
	ag->stop.until_ms = now + ha->shutdown_grace_ms;
	if (ha->mode == LB_HA_ECMP)
		AG_LOG(NOTICE, "%s: stopping: VIPs withdrawn (%u route%s, BGP tells the router), forwarding for %u ms more; a second SIGTERM or SIGINT stops at once",
			why, withdrawn, withdrawn == 1 ? "" : "s",
			ha->shutdown_grace_ms);
	else
		AG_LOG(NOTICE, "%s: stopping: still active, forwarding for up to %u ms more while keepalived hands over (stopping, it sends a priority-0 advert, then its hook deactivates this balancer); a second SIGTERM or SIGINT stops at once",
			why, ha->shutdown_grace_ms);
	return true;
}

/* A signal asked for a stop: the first hands over, a second during the
 * grace cuts it short. false: stop now. */
bool
lb_agent_stop_signal(struct lb_agent *ag, int sig, uint64_t now)
{
	if (!ag->stop.on) {
		ag->stop.why = signal_name(sig);
		return stop_begin(ag, now);
	}
	AG_LOG(NOTICE, "%s again: stopping now, %" PRIu64 " ms into the grace",
		signal_name(sig), now - ag->stop.start_ms);
	ag->stop.on = false;
	return false;
}

/* Step 2: whether the grace is over. */
bool
lb_agent_stop_over(struct lb_agent *ag, uint64_t now)
{
	if (!ag->stop.on)
		return false;
	if (!lb_core_active(ag->core))
		AG_LOG(NOTICE, "stopping: standby after %" PRIu64 " ms of the grace (deactivated: keepalived's hook, or by hand): nothing is forwarded for the VIPs any more",
			now - ag->stop.start_ms);
	else if (now >= ag->stop.until_ms)
		AG_LOG(NOTICE, "stopping: the grace is over (%" PRIu64 " ms)",
			now - ag->stop.start_ms);
	else
		return false;
	ag->stop.on = false;
	return true;
}

/* Out through worker 0 before the workers stop: what the kernel
 * interface still has (the last sync batch, BGP's last update). */
static void
kernel_drain(struct lb_agent *ag)
{
	const struct timespec pause = { .tv_nsec = 200 * 1000 };
	struct rte_ring *r = ag->env->workers[0].from_master;
	uint64_t start = lb_agent_now_ms(), quiet = start, now = start;

	while (now < start + STOP_DRAIN_MS) {
		if (lb_agent_kif_poll(ag) > 0)
			quiet = now;
		else if (now >= quiet + STOP_QUIET_MS && rte_ring_empty(r))
			break;
		nanosleep(&pause, NULL);
		now = lb_agent_now_ms();
	}
}

/* Step 3: the parts that send stop while the workers still run; the
 * rest goes with lb_agent_free(). */
void
lb_agent_stop_finish(struct lb_agent *ag)
{
	uint64_t sync_out = ag->mstats[LB_STAT_SYNC_MSGS_OUT];
	bool sync = ag->sync != NULL;

	lb_agent_announce_fini(ag);
	lb_agent_sync_fini(ag);
	kernel_drain(ag);
	AG_LOG(NOTICE, "stopping: %sthe kernel interface drained; stopping the workers",
		!sync ? "" :
		ag->mstats[LB_STAT_SYNC_MSGS_OUT] > sync_out ?
		"the last sync batch sent, " : "no sync batch left, ");
}
