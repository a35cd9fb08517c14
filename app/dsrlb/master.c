/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_cycles.h>
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
#define PASS_BULK_PER_WORKER 128

extern volatile sig_atomic_t dsrlb_signal_quit;
extern volatile sig_atomic_t dsrlb_signal_stats;

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

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
	return 0;
}

/* Build an ARP frame for a port, tagged if the port is on a VLAN and
 * padded to the Ethernet minimum. */
static struct rte_mbuf *
arp_frame(struct dsrlb_app *app, unsigned int port, const uint8_t *eth_dst,
	  uint16_t op, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	uint16_t vlan = app->conf->ports[port].vlan;
	struct rte_mbuf *m;
	uint8_t buf[64] = { 0 };
	uint32_t len;
	char *p;

	len = lb_pkt_arp_build(buf, eth_dst, op, app->port_macs[port], spa,
			       tha, tpa);
	if (vlan != 0) {
		memmove(buf + 16, buf + 12, len - 12);
		lb_store_be16(buf + 12, LB_ETHERTYPE_VLAN);
		lb_store_be16(buf + 14, vlan);
		len += LB_VLAN_HLEN;
	}
	if (len < 60)
		len = 60;
	m = rte_pktmbuf_alloc(dsrlb_pool_for_port(app, port));
	if (m == NULL) {
		app->mstats.c[LB_STAT_ALLOC_FAIL]++;
		return NULL;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p, buf, len);
	return m;
}

/* ---- neighbors ---- */

static void
neigh_request(void *ctx, const struct lb_neigh *n, bool unicast)
{
	struct dsrlb_app *app = ctx;
	struct rte_mbuf *m;

	m = arp_frame(app, n->port, unicast ? n->mac : bcast_mac,
		      LB_ARP_OP_REQUEST, app->conf->ports[n->port].addr,
		      zero_mac, n->addr);
	if (m != NULL && dsrlb_master_send(app, n->port, m, false) == 0)
		app->mstats.c[LB_STAT_ARP_REQUEST_OUT]++;
}

/* A member's MAC appeared, changed or went away: the core decides
 * whether the member can be selected, the next commit tells workers. */
static void
neigh_changed(void *ctx, const struct lb_neigh *n)
{
	struct dsrlb_app *app = ctx;
	int slot = lb_core_member_by_addr(app->core, n->addr);
	const struct lb_core_member *cm;
	char ip[INET_ADDRSTRLEN], mac[DSRLB_MAC_STR];

	lb_conf_ip_str(n->addr, ip);
	if (slot < 0)
		return;
	cm = lb_core_member(app->core, (unsigned int)slot);
	switch (n->state) {
	case LB_NEIGH_STALE:
		/* lost ARP is not a dead member: the flows stay, the
		 * health checks decide */
		app->mstats.c[LB_STAT_NEIGH_STALE]++;
		APP_LOG(WARNING, "member %s (%s): ARP refresh unanswered: keeping its last MAC %s (stale) while health checks decide",
			cm->conf.name, ip, dsrlb_mac_str(n->mac, mac));
		break;
	case LB_NEIGH_FAILED:
		app->mstats.c[LB_STAT_NEIGH_LOST]++;
		APP_LOG(WARNING, "member %s (%s): no answer to ARP: not selected until it answers",
			cm->conf.name, ip);
		lb_core_member_set_mac(app->core, (unsigned int)slot, NULL);
		break;
	default:
		app->mstats.c[LB_STAT_NEIGH_RESOLVED]++;
		APP_LOG(NOTICE, "member %s (%s) is at %s", cm->conf.name, ip,
			dsrlb_mac_str(n->mac, mac));
		lb_core_member_set_mac(app->core, (unsigned int)slot, n->mac);
		break;
	}
}

static struct lb_neigh_ops neigh_ops(struct dsrlb_app *app)
{
	return (struct lb_neigh_ops){
		.request = neigh_request, .changed = neigh_changed, .ctx = app,
	};
}

/* Resolve every member that has no static MAC. */
static int
neigh_init(struct dsrlb_app *app)
{
	struct lb_neigh_params np = LB_NEIGH_PARAMS_DEFAULT;
	uint64_t now = dsrlb_now_ms();
	unsigned int i;

	np.reachable_ms = app->conf->arp.reachable_ms;
	np.probe_ms = app->conf->arp.probe_ms;
	np.max_probes = app->conf->arp.probes;
	np.retry_ms = app->conf->arp.retry_ms;
	if (lb_neigh_init(&app->neigh, NEIGH_CAP, &np) != 0)
		return -ENOMEM;
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = lb_core_member(app->core, i);

		if (m == NULL || m->mac_state == LB_MAC_STATIC)
			continue;
		if (lb_neigh_want(&app->neigh, m->conf.addr, m->conf.port,
				  now) == NULL)
			return -ENOSPC;
	}
	return 0;
}

/* ---- input from the workers ---- */

/*
 * ARP the workers did not answer themselves (they answer requests for
 * VIPs and own addresses): learn the sender (on its port's subnet), and
 * give the kernel the replies to its own requests.
 */
static bool
arp_input(struct dsrlb_app *app, unsigned int port, const uint8_t *data,
	  const struct lb_pkt *pk, uint64_t now)
{
	const struct lb_conf_port *cp = &app->conf->ports[port];
	const struct lb_neigh_ops ops = neigh_ops(app);
	bool kernel = dsrlb_exception_port(app, port);
	struct lb_pkt_arp a;

	lb_pkt_arp_read(data, pk, &a);
	if ((a.op != LB_ARP_OP_REQUEST && a.op != LB_ARP_OP_REPLY) ||
	    (a.sha[0] & 1) || memcmp(a.sha, zero_mac, 6) == 0) {
		app->mstats.c[LB_STAT_ARP_BAD]++;
		return false;
	}
	/* senders on our subnet (not probes from 0.0.0.0, not ourselves) */
	if (a.spa != 0 && a.spa != cp->addr && lb_conf_in_subnet(a.spa, cp->addr, cp->prefix) &&
	    !lb_core_is_vip(app->core, a.spa))
		lb_neigh_learn(&app->neigh, a.spa, a.sha, (uint8_t)port, true,
			       now, &ops);

	if (a.op == LB_ARP_OP_REPLY) {
		app->mstats.c[LB_STAT_ARP_REPLY_IN]++;
		return kernel && a.tpa == cp->addr;
	}
	/* gratuitous, for another host, or for a VIP while standby */
	app->mstats.c[LB_STAT_ARP_REQUEST_IN]++;
	app->mstats.c[LB_STAT_ARP_IGNORED]++;
	return false;
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
		to_kernel = arp_input(app, (unsigned int)port, data, &pk, now);
	else if (kind == LB_PKT_IPV4)
		to_kernel = dsrlb_exception_port(app, (unsigned int)port);
	if (to_kernel) {
		dsrlb_exception_to_kernel(app, m);
		return;
	}
	if (kind == LB_PKT_IPV4)
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

/* What the workers handed over: the priority rings first and deepest,
 * then the rest, each a bounded amount per pass; what goes to the
 * kernel leaves in one burst. */
static unsigned int
workers_input(struct dsrlb_app *app, uint64_t now)
{
	unsigned int i, work = 0;

	for (i = 0; i < app->n_workers; i++)
		work += drain_ring(app, app->workers[i].to_master_prio,
				   PASS_PRIO_PER_WORKER, now);
	for (i = 0; i < app->n_workers; i++)
		work += drain_ring(app, app->workers[i].to_master,
				   PASS_BULK_PER_WORKER, now);
	dsrlb_exception_flush(app);
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
	    !lb_core_active(app->core))
		return 0;
	while (app->garp_cursor < n_vips && sent < GARP_PER_LOOP &&
	       rte_ring_free_count(r) > 2 * LB_MAX_PORTS) {
		uint32_t vip = vips[app->garp_cursor++];

		for (p = 0; p < app->n_ports; p++) {
			struct rte_mbuf *m;

			if (!lb_conf_in_subnet(vip, app->conf->ports[p].addr,
					       app->conf->ports[p].prefix))
				continue;
			m = arp_frame(app, p, bcast_mac, LB_ARP_OP_REQUEST, vip,
				      zero_mac, vip);
			if (m != NULL && dsrlb_master_send(app, p, m, false) == 0)
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
}

/* Publish what changed in this pass (MACs, health) as one snapshot. */
static void
commit(struct dsrlb_app *app)
{
	int rc = lb_core_commit(app->core);

	if (rc == 1)
		app->mstats.c[LB_STAT_SNAPSHOT_PUBLISHED]++;
	else if (rc < 0 && rc != -EBUSY)
		APP_LOG(ERR, "cannot publish a snapshot: %s", strerror(-rc));
}

int
dsrlb_master_init(struct dsrlb_app *app)
{
	int rc;

	app->start_ms = dsrlb_now_ms();
	app->ep = epoll_create1(EPOLL_CLOEXEC);
	if (app->ep < 0) {
		APP_LOG(ERR, "epoll: %s", strerror(errno));
		return -errno;
	}
	rc = neigh_init(app);
	if (rc != 0) {
		APP_LOG(ERR, "neighbor table: %s", strerror(-rc));
		return rc;
	}
	dsrlb_garp_start(app);
	return 0;
}

void
dsrlb_master_fini(struct dsrlb_app *app)
{
	lb_neigh_fini(&app->neigh);
	if (app->ep >= 0)
		close(app->ep);
	app->ep = -1;
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
			dsrlb_health_event(app, ev[i].data.ptr, now);
	}
	pthread_mutex_unlock(&app->lock);
}

/*
 * The master lcore: everything that is not per-packet forwarding. Each
 * pass handles what is ready — packets from the workers and the kernel,
 * due ARP and health timers — publishes one snapshot if anything
 * changed, then waits on the health-check sockets for at most 1 ms (not
 * at all if the pass found work), so rings are drained promptly and the
 * loop never blocks.
 */
void
dsrlb_master_loop(struct dsrlb_app *app)
{
	const struct lb_neigh_ops ops = neigh_ops(app);

	if (watch_ctl(app) != 0)
		APP_LOG(ERR, "control socket not watched: %s", strerror(errno));
	while (!dsrlb_signal_quit) {
		uint64_t now = dsrlb_now_ms();
		unsigned int work = 0;

		pthread_mutex_lock(&app->lock);
		work += workers_input(app, now);
		work += dsrlb_exception_poll(app);
		lb_neigh_run(&app->neigh, now, &ops);
		dsrlb_health_run(app, now);
		work += garp_run(app, now);
		if (app->ctl != NULL && (now >= app->ctl_expire_ms ||
					 lb_ctl_pending(app->ctl))) {
			/* requests an earlier pass left (each pass answers
			 * a bounded number), and stalled and idle clients
			 * to drop even without events */
			lb_ctl_poll(app->ctl, now);
			app->ctl_expire_ms = now + 1000;
		}
		commit(app);
		app->mstats.c[LB_STAT_SNAPSHOT_FREED] +=
			lb_core_reclaim(app->core);
		pthread_mutex_unlock(&app->lock);
		if (dsrlb_signal_stats) {
			dsrlb_signal_stats = 0;
			dsrlb_stats_log(app);
		}
		wait_events(app, work > 0 || (app->ctl != NULL &&
					      lb_ctl_pending(app->ctl)) ? 0 : 1);
	}
}
