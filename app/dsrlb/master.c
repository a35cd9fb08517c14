/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The master lcore: everything that is not per-packet forwarding, as a
 * list of steps repeated in a loop (dsrlb_master_loop()). The behaviour
 * lives in lib/: ARP in lib/neigh, the kernel interface in lib/kif, the
 * health checks in lib/health, the state in lib/core; this file moves
 * packets and events between them.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lb_pkt.h"
#include "app.h"

#define GARP_ROUNDS 3
#define GARP_INTERVAL_MS 1000
#define GARP_PER_LOOP 256
#define NEIGH_CAP 4096

/* Work per pass of the master loop, per source: whatever floods one
 * source, the others (and the timers) get their turn every pass. The
 * priority rings (ARP, members' answers) are policed by the workers and
 * drained deepest. */
#define PASS_PRIO_PER_WORKER 512
#define PASS_CTRL_PER_WORKER 512
#define PASS_BULK_PER_WORKER 128

extern volatile sig_atomic_t dsrlb_signal_quit;
extern volatile sig_atomic_t dsrlb_signal_stats;
extern volatile sig_atomic_t dsrlb_signal_reload;

uint64_t
dsrlb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
dsrlb_port_index(const struct dsrlb_app *app, uint16_t dpdk_port)
{
	unsigned int i;

	for (i = 0; i < app->n_ports; i++)
		if (app->port_ids[i] == dpdk_port)
			return (int)i;
	return -ENOENT;
}

/* The master has no TX queue of its own: a worker sends for it, which
 * keeps one writer per TX queue. What the kernel sends (bulk) may use
 * only half of the worker's queue, so ARP and gratuitous ARP always find
 * room. */
int
dsrlb_master_send(struct dsrlb_app *app, unsigned int port,
		  struct rte_mbuf *m, bool bulk)
{
	struct rte_ring *r = app->workers[0].from_master;

	m->port = app->port_ids[port];
	if ((bulk && rte_ring_free_count(r) < DSRLB_RING_SIZE / 2) ||
	    rte_ring_sp_enqueue(r, m) != 0) {
		app->mstats.c[LB_STAT_TX_RING_FULL]++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	lb_dp_wake(app->workers[0].w);
	return 0;
}

static const struct lb_conf_port *
port_conf(const struct dsrlb_app *app, unsigned int port)
{
	return &lb_core_port(app->core, port)->conf;
}

/* A frame built by lib/neigh, out of a port. */
static int
send_frame(struct dsrlb_app *app, unsigned int port, const uint8_t *buf,
	   uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dsrlb_pool_for_port(app, port));
	char *p;

	if (m == NULL) {
		app->mstats.c[LB_STAT_ALLOC_FAIL]++;
		return -ENOMEM;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memcpy(p, buf, len);
	return dsrlb_master_send(app, port, m, false);
}

/* lb_neigh_ops::request: resolve or refresh a member. */
static void
neigh_request(void *ctx, const struct lb_neigh *n, bool unicast)
{
	struct dsrlb_app *app = ctx;
	const struct lb_conf_port *p = port_conf(app, n->port);
	uint8_t buf[LB_NEIGH_FRAME_MAX];
	uint32_t len;

	len = lb_neigh_request_frame(buf, p->vlan, app->port_macs[n->port],
				     p->addr, n, unicast);
	if (send_frame(app, n->port, buf, len) == 0)
		app->mstats.c[LB_STAT_ARP_REQUEST_OUT]++;
}

/* ---- the kernel interface ---- */

/* Multicast the kernel may send on the wire: VRRP's advertisements
 * (keepalived's), in mode vrrp; no other (IGMP reports and the like
 * stay in). Broadcast (the kernel's ARP) and unicast go. */
static bool
kif_multicast_ok(struct dsrlb_app *app, struct rte_mbuf *m)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct lb_pkt pk;

	if (rte_pktmbuf_data_len(m) < 6 || !(data[0] & 1) ||
	    memcmp(data, bcast, 6) == 0)
		return true;
	if (lb_core_settings(app->core)->ha.mode != LB_HA_VRRP ||
	    lb_pkt_parse(data, rte_pktmbuf_data_len(m), &pk) != LB_PKT_VRRP)
		return false;
	/* only the VRRP master advertises: ours still is */
	app->vrrp_sent_ms = dsrlb_now_ms();
	return true;
}

/* lb_kif_params::to_wire: what the kernel sends leaves through the
 * port whose address it holds. */
static int
kif_to_wire(void *ctx, struct rte_mbuf *m)
{
	struct dsrlb_app *app = ctx;

	if (!kif_multicast_ok(app, m)) {
		rte_pktmbuf_free(m);
		return -EPERM;
	}
	return dsrlb_master_send(app, app->kif_port, m, true);
}

/* The interface holds the first port's address (process set-up: the
 * boot configuration names it). */
static int
kif_create(struct dsrlb_app *app)
{
	const struct lb_conf_port *p;
	struct lb_kif_params kp;

	if (app->conf->exception_interface[0] == '\0')
		return 0;
	app->kif_port = 0;
	p = port_conf(app, app->kif_port);
	kp = (struct lb_kif_params){
		.ifname = app->conf->exception_interface,
		.mac = app->port_macs[app->kif_port],
		.addr = p->addr, .prefix = p->prefix, .gateway = p->gateway,
		.vlan = p->vlan, .mtu = p->mtu,
		.pool = dsrlb_pool_for_port(app, app->kif_port),
		.socket_id = (int)rte_socket_id(),
		.to_wire = kif_to_wire, .ctx = app,
	};
	app->kif = lb_kif_create(&kp);
	if (app->kif == NULL) {
		APP_LOG(ERR, "exception_interface %s: %s", kp.ifname,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	APP_LOG(INFO, "exception interface %s holds %s's address", kp.ifname,
		p->name);
	return 0;
}

/* The interface's counters, as master counters. */
static void
kif_stats(struct dsrlb_app *app)
{
	struct lb_kif_stats s;

	lb_kif_stats_get(app->kif, &s);
	app->mstats.c[LB_STAT_KERNEL_RX] = s.to_kernel;
	app->mstats.c[LB_STAT_KERNEL_TX] = s.from_kernel;
	app->mstats.c[LB_STAT_KERNEL_DROP] = s.drop;
}

/* Frames the kernel sent, to the wire. */
static unsigned int
kif_poll(struct dsrlb_app *app)
{
	unsigned int n;

	if (app->kif == NULL)
		return 0;
	n = lb_kif_poll(app->kif);
	kif_stats(app);
	return n;
}

/* ---- input from the workers ---- */

static bool
is_vip(const void *core, uint32_t addr)
{
	return lb_core_is_vip(core, addr);
}

/* ARP the workers did not answer themselves: lib/neigh learns from it
 * and says whether the kernel gets it. */
static bool
arp_input(struct dsrlb_app *app, unsigned int port, const uint8_t *data,
	  uint32_t len, uint64_t now)
{
	const struct lb_conf_port *cp = port_conf(app, port);
	const struct lb_neigh_port np = {
		.addr = cp->addr, .prefix = cp->prefix, .index = (uint8_t)port,
		.kernel = app->kif != NULL && port == app->kif_port,
	};

	switch (lb_neigh_arp_input(&app->neigh, &np, data, len, is_vip,
				   app->core, now, &app->neigh_ops)) {
	case LB_NEIGH_ARP_KERNEL:
		app->mstats.c[LB_STAT_ARP_REPLY_IN]++;
		return true;
	case LB_NEIGH_ARP_REPLY:
		app->mstats.c[LB_STAT_ARP_REPLY_IN]++;
		return false;
	case LB_NEIGH_ARP_REQUEST:
		/* gratuitous, for another host, or for a VIP while standby */
		app->mstats.c[LB_STAT_ARP_REQUEST_IN]++;
		app->mstats.c[LB_STAT_ARP_IGNORED]++;
		return false;
	default:
		app->mstats.c[LB_STAT_ARP_BAD]++;
		return false;
	}
}

/* Packets a worker handed over: ARP, and traffic to an own address. */
static void
master_input(struct dsrlb_app *app, struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	int port = dsrlb_port_index(app, m->port);
	bool to_kernel = false;
	struct lb_pkt pk;
	enum lb_pkt_kind kind;

	if (port < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	kind = lb_pkt_parse(data, rte_pktmbuf_pkt_len(m), &pk);
	if (kind == LB_PKT_ARP)
		to_kernel = arp_input(app, (unsigned int)port, data,
				      rte_pktmbuf_data_len(m), now);
	else if (kind == LB_PKT_IPV4 || kind == LB_PKT_VRRP)
		to_kernel = app->kif != NULL &&
			    (unsigned int)port == app->kif_port;
	if (to_kernel) {
		lb_kif_to_kernel(app->kif, m);
		return;
	}
	if (kind == LB_PKT_IPV4 || kind == LB_PKT_VRRP)
		app->mstats.c[LB_STAT_OWN_DROP]++;
	rte_pktmbuf_free(m);
}

/* Up to budget packets of one worker ring. */
static unsigned int
drain_ring(struct dsrlb_app *app, struct rte_ring *r, unsigned int budget,
	   uint64_t now)
{
	struct rte_mbuf *pkts[LB_BURST];
	unsigned int done = 0, k, n;

	while (done < budget) {
		n = rte_ring_sc_dequeue_burst(r, (void **)pkts,
					      RTE_MIN(budget - done,
						      (unsigned int)LB_BURST),
					      NULL);
		for (k = 0; k < n; k++)
			master_input(app, pkts[k], now);
		done += n;
		if (n < LB_BURST)
			break;
	}
	return done;
}

/* What the workers handed over: ARP first, then the trusted classes
 * (members, routers, peers, VRRP), then everyone else, each a bounded
 * amount per pass; what goes to the kernel leaves in one burst. */
static unsigned int
drain_workers(struct dsrlb_app *app, uint64_t now)
{
	unsigned int i, work = 0;

	for (i = 0; i < app->n_workers; i++)
		work += drain_ring(app, app->workers[i].to_master_prio,
				   PASS_PRIO_PER_WORKER, now);
	for (i = 0; i < app->n_workers; i++)
		work += drain_ring(app, app->workers[i].to_master_ctrl,
				   PASS_CTRL_PER_WORKER, now);
	for (i = 0; i < app->n_workers; i++)
		work += drain_ring(app, app->workers[i].to_master,
				   PASS_BULK_PER_WORKER, now);
	if (app->kif != NULL) {
		lb_kif_flush(app->kif);
		kif_stats(app);
	}
	return work;
}

/* ---- gratuitous ARP ---- */

/* Announce every VIP on the ports whose subnet holds it, GARP_ROUNDS
 * times a second apart, a bounded number per loop so a /24 of VIPs
 * does not overrun the worker's queue. */
static unsigned int
garp_run(struct dsrlb_app *app, uint64_t now)
{
	unsigned int n_vips, sent = 0, p;
	const uint32_t *vips = lb_core_vips(app->core, &n_vips);
	struct rte_ring *r = app->workers[0].from_master;

	if (!app->garp_active || now < app->garp_next_ms ||
	    !lb_core_active(app->core) ||
	    lb_core_settings(app->core)->ha.mode == LB_HA_ECMP)
		return 0;
	/* a VIP set that shrank under the cursor */
	if (app->garp_cursor > n_vips)
		app->garp_cursor = n_vips;
	while (app->garp_cursor < n_vips && sent < GARP_PER_LOOP &&
	       rte_ring_free_count(r) > 2 * LB_MAX_PORTS) {
		uint32_t vip = vips[app->garp_cursor++];

		for (p = 0; p < app->n_ports; p++) {
			const struct lb_conf_port *cp = port_conf(app, p);
			uint8_t buf[LB_NEIGH_FRAME_MAX];
			uint32_t len;

			if (!lb_conf_in_subnet(vip, cp->addr, cp->prefix))
				continue;
			len = lb_neigh_garp_frame(buf, cp->vlan,
						  app->port_macs[p], vip);
			if (send_frame(app, p, buf, len) == 0)
				app->mstats.c[LB_STAT_GARP_OUT]++;
			sent++;
		}
	}
	if (app->garp_cursor == n_vips) {
		app->garp_cursor = 0;
		if (++app->garp_rounds == GARP_ROUNDS)
			app->garp_active = false;
		app->garp_next_ms = now + GARP_INTERVAL_MS;
	}
	return sent;
}

/* Start announcing the VIPs (at start, and on activation). */
void
dsrlb_garp_start(struct dsrlb_app *app)
{
	app->garp_active = true;
	app->garp_rounds = 0;
	app->garp_cursor = 0;
	app->garp_next_ms = 0;
	lb_core_vips(app->core, &app->garp_vips);
}

/* Active or standby, for an operator, keepalived's hook or the end of
 * the bulk sync: the log says which and why. */
void
dsrlb_set_active(struct dsrlb_app *app, bool active, const char *why)
{
	if (lb_core_active(app->core) == active)
		return;
	lb_core_set_active(app->core, active);
	APP_LOG(NOTICE, "%s: %s", why, active ?
		(lb_core_settings(app->core)->ha.mode == LB_HA_ECMP ?
		 "activated: forwarding, announcing VIPs with members" :
		 "activated: answering ARP for VIPs and forwarding") :
		"deactivated (standby): nothing forwarded for VIPs, no ARP or route for them");
	if (active) {
		dsrlb_garp_start(app);
		app->vrrp_sent_ms = dsrlb_now_ms();
	}
}

/*
 * Mode vrrp: keepalived decides, through its notify hook. Should it die
 * while we are active (kill -9: no hook runs), the standby's keepalived
 * takes over and two balancers would answer for the VIPs. Only the VRRP
 * master sends advertisements, and ours leave through us: active without
 * one for high_availability.vrrp_watchdog means we are not the master
 * any more.
 */
static void
vrrp_watchdog(struct dsrlb_app *app, uint64_t now)
{
	const struct lb_conf_ha *ha = &lb_core_settings(app->core)->ha;

	if (ha->mode != LB_HA_VRRP || ha->vrrp_watchdog_ms == 0 ||
	    !lb_core_active(app->core) ||
	    now < app->vrrp_sent_ms + ha->vrrp_watchdog_ms)
		return;
	APP_LOG(WARNING, "no VRRP advertisement from keepalived on %s for %g s: it is not the VRRP master (or not running)",
		app->kif != NULL ? lb_kif_name(app->kif) : "(none)",
		ha->vrrp_watchdog_ms / 1000.0);
	dsrlb_set_active(app, false, "VRRP watchdog");
}

/* ---- control, publication ---- */

static bool
ctl_pending(const struct dsrlb_app *app)
{
	return app->ctl != NULL && lb_ctl_pending(app->ctl);
}

/* Requests an earlier pass left (each pass answers a bounded number),
 * and stalled and idle clients to drop even without events. */
static void
ctl_run(struct dsrlb_app *app, uint64_t now)
{
	if (app->ctl == NULL ||
	    (now < app->ctl_expire_ms && !lb_ctl_pending(app->ctl)))
		return;
	lb_ctl_poll(app->ctl, now);
	app->ctl_expire_ms = now + 1000;
}

/* Publish what changed in this pass (MACs, health, control requests)
 * as one snapshot. */
static void
commit(struct dsrlb_app *app)
{
	int rc = lb_core_commit(app->core);

	if (rc == 1)
		app->mstats.c[LB_STAT_SNAPSHOT_PUBLISHED]++;
	else if (rc < 0 && rc != -EBUSY)
		APP_LOG(ERR, "cannot publish a snapshot: %s", strerror(-rc));
}

/* Free the snapshots no worker can see any more. */
static void
reclaim(struct dsrlb_app *app)
{
	app->mstats.c[LB_STAT_SNAPSHOT_FREED] += lb_core_reclaim(app->core);
}

/* SIGUSR1: counters to the log. */
static void
stats_signal(struct dsrlb_app *app)
{
	if (!dsrlb_signal_stats)
		return;
	dsrlb_signal_stats = 0;
	dsrlb_stats_log(app);
}

/* Register the control socket's events in the master's epoll set. */
static int
watch_ctl(struct dsrlb_app *app)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = DSRLB_EV_CTL };

	if (app->ctl == NULL)
		return 0;
	return epoll_ctl(app->ep, EPOLL_CTL_ADD, lb_ctl_fd(app->ctl), &ev);
}

/* Sleep until a socket is ready or timeout_ms passes, then handle what
 * is ready: control requests and health-check sockets. */
static void
wait_events(struct dsrlb_app *app, int timeout_ms)
{
	struct epoll_event ev[64];
	uint64_t now;
	int i, n;

	n = epoll_wait(app->ep, ev, 64, timeout_ms);
	if (n <= 0)
		return;
	now = dsrlb_now_ms();
	pthread_mutex_lock(&app->lock);
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr == DSRLB_EV_CTL)
			lb_ctl_poll(app->ctl, now);
		else
			lb_hc_runner_event(app->hc, ev[i].data.ptr, now);
	}
	pthread_mutex_unlock(&app->lock);
}

/* ---- set-up ---- */

static int
neigh_init(struct dsrlb_app *app)
{
	struct lb_neigh_params np = LB_NEIGH_PARAMS_DEFAULT;

	np.reachable_ms = app->conf->arp.reachable_ms;
	np.probe_ms = app->conf->arp.probe_ms;
	np.max_probes = app->conf->arp.probes;
	np.retry_ms = app->conf->arp.retry_ms;
	np.stale_retries = app->conf->arp.stale_retries;
	app->neigh_ops = (struct lb_neigh_ops){
		.request = neigh_request, .changed = dsrlb_neigh_changed,
		.ctx = app,
	};
	return lb_neigh_init(&app->neigh, NEIGH_CAP, &np);
}

/*
 * The master's state: its epoll set, the kernel interface, the
 * neighbor table and the check runner, then a first reconcile from the
 * core, which starts resolving members and checking them. Any failure
 * stops the start.
 */
/* A check socket opened or closed: the workers let its member's
 * answers into the members' lane, and only those. */
static void
health_expect(void *ctx, uint8_t proto, uint32_t member, uint16_t member_port,
	      uint16_t local_port, bool on)
{
	struct dsrlb_app *app = ctx;

	if (app->expect != NULL)
		lb_dp_expect_set(app->expect, proto, local_port, member,
				 member_port, on);
}

int
dsrlb_master_init(struct dsrlb_app *app)
{
	struct lb_hc_runner_params hp = {
		.changed = dsrlb_health_changed, .expect = health_expect,
		.ctx = app,
	};
	int rc;

	app->start_ms = dsrlb_now_ms();
	app->vrrp_sent_ms = app->start_ms;   /* "start": "active": a grace */
	app->ep = epoll_create1(EPOLL_CLOEXEC);
	if (app->ep < 0) {
		APP_LOG(ERR, "epoll: %s", strerror(errno));
		return -errno;
	}
	rc = kif_create(app);
	if (rc != 0)
		return rc;
	dsrlb_links_init(app);
	rc = neigh_init(app);
	if (rc != 0) {
		APP_LOG(ERR, "neighbor table: %s", strerror(-rc));
		return rc;
	}
	hp.epoll_fd = app->ep;
	hp.ifname = app->kif != NULL ? lb_kif_name(app->kif) : NULL;
	app->hc = lb_hc_runner_create(&hp);
	if (app->hc == NULL) {
		APP_LOG(ERR, "health checks: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	rc = dsrlb_reconcile(app, dsrlb_now_ms());
	if (rc != 0)
		return rc;
	if (lb_hc_runner_count(app->hc) > 0)
		APP_LOG(INFO, "%u health checks from %s",
			lb_hc_runner_count(app->hc), lb_kif_name(app->kif));
	rc = dsrlb_announce_init(app);
	if (rc != 0) {
		APP_LOG(ERR, "VIP announcement: %s", strerror(-rc));
		return rc;
	}
	rc = dsrlb_sync_init(app);
	if (rc != 0)
		return rc;
	dsrlb_garp_start(app);
	return 0;
}

void
dsrlb_master_fini(struct dsrlb_app *app)
{
	dsrlb_announce_fini(app);
	dsrlb_sync_fini(app);
	lb_hc_runner_free(app->hc);
	app->hc = NULL;
	dsrlb_reconcile_fini(app);
	lb_neigh_fini(&app->neigh);
	lb_kif_free(app->kif);
	app->kif = NULL;
	if (app->ep >= 0)
		close(app->ep);
	app->ep = -1;
}

/*
 * The master lcore. Each pass handles what is ready, publishes one
 * snapshot if anything changed, then waits on its sockets for at most
 * 1 ms (not at all if the pass found work), so rings are drained
 * promptly and the loop never blocks.
 */
/* SIGHUP: what config.reload does, the outcome in the log. */
static void
reload_signal(struct dsrlb_app *app)
{
	struct lb_conf_error err;
	json_t *r;

	if (!dsrlb_signal_reload)
		return;
	dsrlb_signal_reload = 0;
	APP_LOG(NOTICE, "SIGHUP: reloading %s", app->api.config_path);
	r = lb_api_reload(&app->api, &err);
	json_decref(r);   /* lib/api logged what changed, or why not */
}

/* Members removed with drain go once their flows end. */
static void
removals_run(struct dsrlb_app *app, uint64_t now)
{
	if (now < app->removals_ms)
		return;
	app->removals_ms = now + 1000;
	lb_api_removals_run(&app->api, now);
}

/* VIPs added at run time are announced like the ones at start. */
static void
garp_new_vips(struct dsrlb_app *app)
{
	unsigned int n;

	lb_core_vips(app->core, &n);
	if (n > app->garp_vips)
		dsrlb_garp_start(app);
	app->garp_vips = n;
}

void
dsrlb_master_loop(struct dsrlb_app *app)
{
	if (watch_ctl(app) != 0)
		APP_LOG(ERR, "control socket not watched: %s", strerror(errno));
	while (!dsrlb_signal_quit) {
		uint64_t now = dsrlb_now_ms();
		unsigned int work = 0;

		pthread_mutex_lock(&app->lock);
		work += drain_workers(app, now);
		work += kif_poll(app);
		dsrlb_links_run(app, now);
		dsrlb_sync_run(app, now, &work);
		lb_neigh_run(&app->neigh, now, &app->neigh_ops);
		dsrlb_reconcile(app, now);
		lb_hc_runner_run(app->hc, now);
		work += garp_run(app, now);
		ctl_run(app, now);
		reload_signal(app);
		removals_run(app, now);
		garp_new_vips(app);
		vrrp_watchdog(app, now);
		commit(app);
		dsrlb_announce_run(app, now);
		reclaim(app);
		pthread_mutex_unlock(&app->lock);
		stats_signal(app);
		wait_events(app, work > 0 || ctl_pending(app) ? 0 : 1);
	}
}
