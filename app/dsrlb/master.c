/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lb_pkt.h"
#include "app.h"

#define GARP_ROUNDS 3
#define GARP_PER_LOOP 256
#define MASTER_IDLE_US 500

extern volatile sig_atomic_t dsrlb_signal_quit;
extern volatile sig_atomic_t dsrlb_signal_stats;

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
 * keeps one writer per TX queue. */
int
dsrlb_master_send(struct dsrlb_app *app, unsigned int port,
		  struct rte_mbuf *m)
{
	m->port = app->port_ids[port];
	if (rte_ring_sp_enqueue(app->workers[0].from_master, m) != 0) {
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
	uint8_t *p;

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
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(p, buf, len);
	return m;
}

static bool
is_vip(const struct lb_core *core, uint32_t addr)
{
	unsigned int n, lo = 0, hi;
	const uint32_t *v = lb_core_vips(core, &n);
	uint32_t key = ntohl(addr);

	hi = n;
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		uint32_t x = ntohl(v[mid]);

		if (x == key)
			return true;
		if (x < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void
arp_input(struct dsrlb_app *app, unsigned int port, const uint8_t *data,
	  const struct lb_pkt *pk)
{
	static const uint8_t zero[6];
	const struct lb_conf_port *cp = &app->conf->ports[port];
	struct lb_pkt_arp a;
	struct rte_mbuf *r;
	bool ours;

	lb_pkt_arp_read(data, pk, &a);
	if (a.op == LB_ARP_OP_REPLY) {
		app->mstats.c[LB_STAT_ARP_REPLY_IN]++;
		return;
	}
	if (a.op != LB_ARP_OP_REQUEST || (a.sha[0] & 1) ||
	    memcmp(a.sha, zero, 6) == 0) {
		app->mstats.c[LB_STAT_ARP_BAD]++;
		return;
	}
	app->mstats.c[LB_STAT_ARP_REQUEST_IN]++;
	/* a gratuitous request announces the sender; it asks nothing */
	if (a.spa == a.tpa) {
		app->mstats.c[LB_STAT_ARP_IGNORED]++;
		return;
	}
	ours = a.tpa == cp->addr ||
	       (lb_core_active(app->core) && is_vip(app->core, a.tpa));
	if (!ours) {
		app->mstats.c[LB_STAT_ARP_IGNORED]++;
		return;
	}
	r = arp_frame(app, port, a.sha, LB_ARP_OP_REPLY, a.tpa, a.sha, a.spa);
	if (r != NULL && dsrlb_master_send(app, port, r) == 0)
		app->mstats.c[LB_STAT_ARP_REPLY_OUT]++;
}

/* Packets a worker handed over: ARP, and traffic to an own address. */
static void
master_input(struct dsrlb_app *app, struct rte_mbuf *m)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	int port = dsrlb_port_index(app, m->port);
	struct lb_pkt pk;
	enum lb_pkt_kind kind;

	if (port < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	kind = lb_pkt_parse(data, rte_pktmbuf_pkt_len(m), &pk);
	if (kind == LB_PKT_ARP)
		arp_input(app, (unsigned int)port, data, &pk);
	else
		app->mstats.c[LB_STAT_OWN_DROP]++;
	rte_pktmbuf_free(m);
}

static bool
in_port_subnet(const struct lb_conf_port *p, uint32_t addr)
{
	uint32_t mask = ~0u << (32 - p->prefix);

	return ((ntohl(addr) ^ ntohl(p->addr)) & mask) == 0;
}

/* Announce every VIP on the ports whose subnet holds it, GARP_ROUNDS
 * times a second apart, a bounded number per loop so a /24 of VIPs
 * does not overrun the worker's queue. */
static unsigned int
garp_run(struct dsrlb_app *app, uint64_t now)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	unsigned int n_vips, sent = 0, p;
	const uint32_t *vips = lb_core_vips(app->core, &n_vips);
	struct rte_ring *r = app->workers[0].from_master;

	if (!app->garp_active || now < app->garp_next_tsc ||
	    !lb_core_active(app->core))
		return 0;
	while (app->garp_cursor < n_vips && sent < GARP_PER_LOOP &&
	       rte_ring_free_count(r) > 2 * LB_MAX_PORTS) {
		uint32_t vip = vips[app->garp_cursor++];

		for (p = 0; p < app->n_ports; p++) {
			struct rte_mbuf *m;

			if (!in_port_subnet(&app->conf->ports[p], vip))
				continue;
			m = arp_frame(app, p, bcast, LB_ARP_OP_REQUEST, vip,
				      zero, vip);
			if (m != NULL && dsrlb_master_send(app, p, m) == 0)
				app->mstats.c[LB_STAT_GARP_OUT]++;
			sent++;
		}
	}
	if (app->garp_cursor == n_vips) {
		app->garp_cursor = 0;
		if (++app->garp_rounds == GARP_ROUNDS)
			app->garp_active = false;
		app->garp_next_tsc = now + rte_get_tsc_hz();
	}
	return sent;
}

/* Start announcing the VIPs (at start, and on activation). */
static void
garp_start(struct dsrlb_app *app)
{
	app->garp_active = true;
	app->garp_rounds = 0;
	app->garp_cursor = 0;
	app->garp_next_tsc = 0;
}

/*
 * The master lcore: everything that is not per-packet forwarding. It
 * never blocks for long: each pass handles what is ready and sleeps
 * briefly only when nothing was.
 */
void
dsrlb_master_loop(struct dsrlb_app *app)
{
	struct rte_mbuf *pkts[LB_BURST];

	garp_start(app);
	while (!dsrlb_signal_quit) {
		uint64_t now = rte_get_tsc_cycles();
		unsigned int i, k, n, work = 0;

		for (i = 0; i < app->n_workers; i++) {
			n = rte_ring_sc_dequeue_burst(app->workers[i].to_master,
						      (void **)pkts, LB_BURST,
						      NULL);
			pthread_mutex_lock(&app->lock);
			for (k = 0; k < n; k++)
				master_input(app, pkts[k]);
			pthread_mutex_unlock(&app->lock);
			work += n;
		}
		work += garp_run(app, now);
		app->mstats.c[LB_STAT_SNAPSHOT_FREED] +=
			lb_core_reclaim(app->core);
		if (dsrlb_signal_stats) {
			dsrlb_signal_stats = 0;
			dsrlb_stats_log(app);
		}
		if (work == 0)
			usleep(MASTER_IDLE_US);
	}
}
