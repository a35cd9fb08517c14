/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The worker burst function on mbufs: where flows go as members drain,
 * fail, change weight or the table fills, mid-stream packets after a
 * restart, WRR order, source-port ranges, standby, VRRP and ECMP modes,
 * flow sync. Needs the EAL. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "lb_config.h"
#include "lb_core.h"
#include "lb_dp.h"
#include "lb_pkt6.h"
#include "test_util.h"

#define N_MEMBERS 4

static struct rte_mempool *pool;
static uint16_t port_id;
static bool quit;

struct env {
	struct lb_core *core;
	struct lb_worker *w;
	struct lb_flow_table *flows;
	struct rte_ring *prio;      /* rings to the master (env_rings): ARP */
	struct rte_ring *ctrl;      /* members, routers, peers, VRRP */
	struct rte_ring *bulk;
	struct rte_ring *sync_out;  /* flow sync rings (env_sync) */
	struct rte_ring *sync_in;
	int pop3;       /* service slots */
	int smtp;
};

static int
setup(void **state)
{
	(void)state;
	if (test_eal_init("test_dp") != 0 ||
	    rte_dev_probe("net_null0") != 0 ||
	    rte_eth_dev_get_port_by_name("net_null0", &port_id) != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_dp", 8192, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return -1;
	/* started, so lb_dp_flush() can send (net_null frees what it gets) */
	if (rte_eth_dev_configure(port_id, 1, 1,
				  &(struct rte_eth_conf){ 0 }) != 0 ||
	    rte_eth_rx_queue_setup(port_id, 0, 64, SOCKET_ID_ANY, NULL,
				   pool) != 0 ||
	    rte_eth_tx_queue_setup(port_id, 0, 64, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(port_id) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

/* If set, env_init_all()'s port gets this IPv6 address (/64) and the
 * gateway fe80::1. */
static const char *env_port6;

static void env_init_all(struct env *e, uint8_t sched, uint32_t capacity,
			 const uint32_t *w, unsigned int no_mac,
			 uint32_t persist, uint8_t prefix,
			 const struct lb_conf_ha *ha);

static void
env_init(struct env *e, uint8_t sched, uint32_t capacity, const uint32_t *w)
{
	env_init_all(e, sched, capacity, w, 0, 0, 32, NULL);
}

/* As env_init, but the members in the no_mac bit mask have no static MAC
 * and have not answered ARP yet (a balancer that just started). */
static void
env_init_macs(struct env *e, uint8_t sched, uint32_t capacity,
	      const uint32_t *w, unsigned int no_mac)
{
	env_init_all(e, sched, capacity, w, no_mac, 0, 32, NULL);
}

/* As env_init, with persistence of persist seconds per client address
 * under a /prefix netmask on both services. */
static void
env_init_persist(struct env *e, uint8_t sched, const uint32_t *w,
		 uint32_t persist, uint8_t prefix)
{
	env_init_all(e, sched, 4096, w, 0, persist, prefix, NULL);
}

/* As env_init_persist (persist 0: none), with the high_availability
 * settings ha, as a configuration file gives them to the core. */
static void
env_init_ha(struct env *e, uint8_t sched, const uint32_t *w,
	    uint32_t persist, uint8_t prefix, const struct lb_conf_ha *ha)
{
	env_init_all(e, sched, 4096, w, 0, persist, prefix, ha);
}

/* Process settings of an empty core as a configuration gives them
 * (lb_core_apply_conf), with its defaults but for ha. */
static void
core_apply_ha(struct lb_core *core, const struct lb_conf_ha *ha)
{
	struct lb_conf *c = malloc(sizeof(*c));
	struct lb_conf_error err;

	assert_non_null(c);
	*c = *lb_core_settings(core);
	snprintf(c->source, sizeof(c->source), "test_dp");
	c->flows = *lb_core_flows(core);
	c->ha = *ha;
	if (lb_core_apply_conf(core, c, NULL, NULL, &err) != 0)
		fail_msg("lb_core_apply_conf: %s", err.msg);
	free(c);
}

static void
env_init_all(struct env *e, uint8_t sched, uint32_t capacity,
	     const uint32_t *w, unsigned int no_mac, uint32_t persist,
	     uint8_t prefix, const struct lb_conf_ha *ha)
{
	struct lb_core_params cp = { .socket_id = SOCKET_ID_ANY };
	struct lb_conf_port port = { .name = "p0", .prefix = 24 };
	struct lb_conf_service s = { .name = "pop3", .proto = LB_IPPROTO_TCP,
		.port_lo = 110, .port_hi = 110, .sched = sched,
		.table_size = 1009, .persistence = persist,
		.persist_prefix = prefix };
	struct lb_dp_rxq rxq = { 0 };
	uint32_t vip = ip4("198.51.100.100");
	static char name[32];
	static unsigned int n;
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->core = lb_core_create(&cp);
	assert_non_null(e->core);
	if (ha != NULL)
		core_apply_ha(e->core, ha);
	port.addr = ip4("198.51.100.2");
	port.gateway = ip4("198.51.100.1");
	if (env_port6 != NULL) {
		port.addr6 = ipx(env_port6);
		port.prefix6 = 64;
		port.gateway6 = ipx("fe80::1");
	}
	lb_core_port_add(e->core, &port, port_id, mac_port);
	lb_core_vips_set(e->core, (struct lb_ip[]){ lb_ip_from4(vip) }, 1);
	for (i = 0; i < N_MEMBERS; i++) {
		struct lb_conf_member m = { .has_mac = !(no_mac & (1u << i)),
			.weight = w != NULL ? w[i] : 100,
			.mac = { 2, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = lb_ip_from4(htonl(0xc6336400u | (11 + i)));
		if (i == 3) {
			m.has_sports = true;
			m.sport_lo = 33000;
			m.sport_hi = 33999;
		}
		assert_int_equal(lb_core_member_add(e->core, &m), (int)i);
	}
	e->pop3 = lb_core_service_add(e->core, &s, NULL, 0);
	snprintf(s.name, sizeof(s.name), "smtp");
	s.port_lo = s.port_hi = 25;
	e->smtp = lb_core_service_add(e->core, &s, NULL, 0);
	assert_int_equal(lb_core_commit(e->core), 1);

	snprintf(name, sizeof(name), "test_dp_%u", n++);
	e->flows = lb_flow_create(name, capacity, SOCKET_ID_ANY, NULL);
	e->w = rte_zmalloc("w", sizeof(*e->w), RTE_CACHE_LINE_SIZE);
	assert_non_null(e->flows);
	assert_non_null(e->w);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e->core), .flows = e->flows,
			.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id,
			.n_ports = 1, .quit = &quit,
		};

		assert_int_equal(lb_dp_worker_init(e->w, &dp), 0);
	}
}

/* Give the worker its rings to the master and policers. */
static void env_rings_rates(struct env *e, const struct lb_dp_params *rates);

static void
env_rings(struct env *e, uint32_t exception_pps, uint32_t arp_pps)
{
	const struct lb_dp_params rates = { .exception_pps = exception_pps,
					    .arp_pps = arp_pps };

	env_rings_rates(e, &rates);
}

/* As env_rings, with every class's rate (the *_pps of rates). */
static void
env_rings_rates(struct env *e, const struct lb_dp_params *rates)
{
	static unsigned int n;
	struct lb_dp_rxq rxq = { 0 };
	char name[32];
	struct lb_dp_params dp = {
		.snap = lb_core_snapshot_ptr(e->core), .flows = e->flows,
		.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id, .n_ports = 1,
		.quit = &quit, .exception_pps = rates->exception_pps,
		.arp_pps = rates->arp_pps, .member_pps = rates->member_pps,
		.router_pps = rates->router_pps, .peer_pps = rates->peer_pps,
		.vrrp_pps = rates->vrrp_pps,
	};

	snprintf(name, sizeof(name), "t_prio_%u", n);
	e->prio = rte_ring_create(name, 4096, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "t_ctrl_%u", n);
	e->ctrl = rte_ring_create(name, 4096, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "t_bulk_%u", n++);
	e->bulk = rte_ring_create(name, 4096, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(e->prio);
	assert_non_null(e->ctrl);
	assert_non_null(e->bulk);
	dp.to_master_prio = e->prio;
	dp.to_master_ctrl = e->ctrl;
	dp.to_master = e->bulk;
	assert_int_equal(lb_dp_worker_init(e->w, &dp), 0);
}

static unsigned int
ring_empty(struct rte_ring *r)
{
	unsigned int n = 0;
	void *m;

	while (r != NULL && rte_ring_dequeue(r, &m) == 0) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

static void
env_fini(struct env *e)
{
	ring_empty(e->prio);
	ring_empty(e->ctrl);
	ring_empty(e->bulk);
	rte_ring_free(e->prio);
	rte_ring_free(e->ctrl);
	rte_ring_free(e->bulk);
	rte_ring_free(e->sync_out);
	rte_ring_free(e->sync_in);
	lb_flow_free(e->flows);
	rte_free(e->w);
	lb_core_free(e->core);
}

/* A second worker on the same state: a restarted or standby balancer. */
static struct lb_worker *
other_worker(struct env *e, struct lb_flow_table **ft)
{
	struct lb_worker *w = rte_zmalloc("w2", sizeof(*w), RTE_CACHE_LINE_SIZE);
	struct lb_dp_rxq rxq = { 0 };
	struct lb_dp_params dp = {
		.snap = lb_core_snapshot_ptr(e->core), .rxq = &rxq, .n_rxq = 1,
		.port_ids = &port_id, .n_ports = 1, .quit = &quit,
	};

	*ft = lb_flow_create("test_dp_other", 1024, SOCKET_ID_ANY, NULL);
	dp.flows = *ft;
	assert_int_equal(lb_dp_worker_init(w, &dp), 0);
	return w;
}

/* Send one TCP packet of flow i (client 203.0.113.x:port) through w;
 * return the member index it went to, or -1 if nothing left. */
/* A TCP packet of flow i (client 203.0.113.x:port) to VIP:dport. */
static struct rte_mbuf *
tcp_mbuf(uint32_t i, uint16_t dport, uint8_t flags)
{
	struct frame f;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;
	char src[32];

	assert_non_null(m);
	snprintf(src, sizeof(src), "203.0.%u.%u", 113 + (i >> 8) % 4, i & 0xff);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_TCP, src, "198.51.100.100", 5, 20, 0, 0);
	tcp(&f, (uint16_t)(1024 + (i >> 10)), dport, flags, 5);
	d = rte_pktmbuf_append(m, (uint16_t)f.len);
	assert_non_null(d);
	memcpy(d, f.b, f.len);
	return m;
}

/* The member the one packet queued for TX goes to, or -1; the TX
 * buffer is emptied. */
static int
take_one(struct lb_worker *w)
{
	int member = -1;

	if (w->tx[0].n == 1) {
		member = rte_pktmbuf_mtod(w->tx[0].m[0], uint8_t *)[5] - 0x11;
		rte_pktmbuf_free(w->tx[0].m[0]);
	}
	assert_true(w->tx[0].n <= 1);
	w->tx[0].n = 0;
	return member;
}

static int
send_tcp(struct env *e, struct lb_worker *w, uint32_t i, uint16_t dport,
	 uint8_t flags)
{
	struct rte_mbuf *m = tcp_mbuf(i, dport, flags);

	lb_dp_clock(w);
	lb_dp_process(w, lb_core_snapshot(e->core), 0, &m, 1);
	return take_one(w);
}

/* As send_tcp to port 110, with the worker's clock at now_s seconds. */
static int
send_at(struct env *e, struct lb_worker *w, uint32_t i, uint8_t flags,
	uint32_t now_s)
{
	struct rte_mbuf *m = tcp_mbuf(i, 110, flags);

	w->now_s = now_s;
	w->now = now_s * 1000;
	lb_dp_process(w, lb_core_snapshot(e->core), 0, &m, 1);
	return take_one(w);
}

/* What a worker sent: the member of each packet (by destination MAC)
 * and its IP id, in order; the TX buffer is emptied. */
static unsigned int
collect(struct lb_worker *w, int *member, uint16_t *id, unsigned int max)
{
	unsigned int i, n = w->tx[0].n;

	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(w->tx[0].m[i], uint8_t *);

		member[i] = p[5] - 0x11;
		id[i] = lb_load_be16(p + 14 + 4);
		rte_pktmbuf_free(w->tx[0].m[i]);
	}
	w->tx[0].n = 0;
	return n;
}

/* Run pkts through w at a given time (ms), without reading the clock. */
static void
process_at(struct env *e, struct lb_worker *w, struct rte_mbuf **pkts,
	   unsigned int n, uint32_t now)
{
	w->now = now;
	w->tsc = (uint64_t)now * w->tsc_per_ms;   /* the policers' clock */
	lb_dp_process(w, lb_core_snapshot(e->core), 0, pkts, (uint16_t)n);
}

static struct rte_mbuf *
mbuf_of(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)(f->len < 60 ? 60 : f->len));
	assert_non_null(d);
	memset(d, 0, f->len < 60 ? 60 : f->len);
	memcpy(d, f->b, f->len);
	return m;
}

/* Flow id of client c's connection j (tcp_mbuf: 203.0.113.c, port
 * 1024 + j; c up to 255). */
#define CONN(c, j) ((uint32_t)(c) + 1024u * (uint32_t)(j))

static int
syn(struct env *e, uint32_t i)
{
	return send_tcp(e, e->w, i, 110, LB_TCP_SYN);
}

static int
ack(struct env *e, uint32_t i)
{
	return send_tcp(e, e->w, i, 110, LB_TCP_ACK);
}

static void
dp_flows_stay_when_weights_change(void **state)
{
	struct env e;
	int where[300];
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	for (i = 0; i < 300; i++) {
		where[i] = syn(&e, i);
		assert_true(where[i] >= 0 && where[i] < N_MEMBERS);
	}
	lb_core_member_set_weight(e.core, 0, 1000);   /* a new table */
	assert_int_equal(lb_core_commit(e.core), 1);
	for (i = 0; i < 300; i++)
		assert_int_equal(ack(&e, i), where[i]);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], 0);
	env_fini(&e);
}

static void
dp_drained_member_keeps_flows_gets_no_new(void **state)
{
	struct env e;
	int where[200];
	uint32_t i, on1 = 0;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	for (i = 0; i < 200; i++)
		where[i] = syn(&e, i);
	lb_core_member_set_state(e.core, 1, LB_ADMIN_DRAIN);
	lb_core_commit(e.core);
	for (i = 0; i < 200; i++) {
		assert_int_equal(ack(&e, i), where[i]);
		on1 += where[i] == 1;
	}
	assert_true(on1 > 0);
	for (i = 1000; i < 1200; i++)
		assert_int_not_equal(syn(&e, i), 1);
	env_fini(&e);
}

static void
dp_flows_of_failed_member_are_rescheduled(void **state)
{
	struct env e;
	int where[200], moved;
	uint32_t i, n_on2 = 0;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	for (i = 0; i < 200; i++)
		where[i] = syn(&e, i);
	lb_core_health_set(e.core, (unsigned int)e.pop3, 2, LB_HEALTH_DOWN);
	lb_core_commit(e.core);
	for (i = 0; i < 200; i++) {
		moved = ack(&e, i);
		assert_true(moved >= 0);
		if (where[i] == 2) {
			n_on2++;
			assert_int_not_equal(moved, 2);
			/* and it stays where it was moved */
			assert_int_equal(ack(&e, i), moved);
		} else {
			assert_int_equal(moved, where[i]);
		}
	}
	assert_true(n_on2 > 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], n_on2);
	/* SMTP is a different service: fe3 still takes it */
	for (i = 0; i < 200; i++)
		if (send_tcp(&e, e.w, 2000 + i, 25, LB_TCP_SYN) == 2)
			break;
	assert_true(i < 200);
	env_fini(&e);
}

static void
dp_no_member_left_drops_and_counts(void **state)
{
	struct env e;
	unsigned int m;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	for (m = 0; m < N_MEMBERS; m++)
		lb_core_member_set_state(e.core, m, LB_ADMIN_DISABLED);
	lb_core_commit(e.core);
	assert_int_equal(syn(&e, 1), -1);
	assert_int_equal(e.w->stats[LB_STAT_DROP_NO_MEMBER], 1);
	env_fini(&e);
}

/* A SYN of flow i (client 203.0.113.i) to the VIP's port 110 in a frame
 * of frame_len bytes, in as many segments of the test pool as it takes
 * (as net_pcap chains a frame that does not fit one mbuf). */
static struct rte_mbuf *
tcp_mbuf_len(uint32_t i, uint32_t frame_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct frame f;
	uint32_t off = 0;
	char src[32];

	assert_non_null(m);
	snprintf(src, sizeof(src), "203.0.113.%u", i);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_TCP, src, "198.51.100.100", 5,
	     frame_len - LB_ETH_HLEN - 20, 0, 0);
	tcp(&f, (uint16_t)(2000 + i), 110, LB_TCP_SYN, 5);
	while (off < frame_len) {
		struct rte_mbuf *seg = off == 0 ? m : rte_pktmbuf_alloc(pool);
		uint16_t n;
		char *d;

		assert_non_null(seg);
		n = (uint16_t)RTE_MIN((uint32_t)rte_pktmbuf_tailroom(seg),
				      frame_len - off);
		d = rte_pktmbuf_append(seg, n);
		assert_non_null(d);
		memset(d, 0, n);
		if (off < f.len)
			memcpy(d, f.b + off, RTE_MIN((uint32_t)n, f.len - off));
		if (seg != m)
			assert_int_equal(rte_pktmbuf_chain(m, seg), 0);
		off += n;
	}
	assert_int_equal(rte_pktmbuf_pkt_len(m), frame_len);
	return m;
}

/* A port's MTU (1500 when not given) bounds what it takes: a frame of
 * 1500 bytes of IP goes to a member, one byte more is dropped and
 * counted, and so is a jumbo frame in five segments, before anything
 * past its first segment is read. */
static void
dp_frames_over_the_port_mtu_are_dropped_and_counted(void **state)
{
	static const struct { uint32_t len; bool fwd; } cases[] = {
		{ 1514, true }, { 1515, false }, { 8054, false }, { 60, true },
	};
	struct env e;
	unsigned int k, drops = 0;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	assert_int_equal(lb_core_snapshot(e.core)->ports[0].max_frame, 1514);
	for (k = 0; k < RTE_DIM(cases); k++) {
		struct rte_mbuf *m = tcp_mbuf_len(k + 1, cases[k].len);
		int member;

		if (cases[k].len > 2048)
			assert_true(m->nb_segs > 1);
		lb_dp_clock(e.w);
		lb_dp_process(e.w, lb_core_snapshot(e.core), 0, &m, 1);
		member = take_one(e.w);
		drops += !cases[k].fwd;
		if (cases[k].fwd)
			assert_true(member >= 0);
		else
			assert_int_equal(member, -1);
		assert_int_equal(e.w->stats[LB_STAT_DROP_OVERSIZE], drops);
	}
	assert_int_equal(e.w->stats[LB_STAT_FWD], 2);
	env_fini(&e);
}

/* A member on another port than the packet came in on: that port's MTU
 * bounds the IP packet (its tag, added on the way, does not count). In
 * on p0 (mtu 9000, untagged), out on p1 (mtu 1500, VLAN 7). */
static void
dp_packet_over_the_member_port_mtu_is_dropped(void **state)
{
	struct lb_core_params cp = { .socket_id = SOCKET_ID_ANY };
	struct lb_conf_port p0 = { .name = "p0", .prefix = 24, .mtu = 9000 };
	struct lb_conf_port p1 = { .name = "p1", .prefix = 24, .mtu = 1500,
				   .vlan = 7 };
	struct lb_conf_member m = { .name = "fe1", .has_mac = true,
		.weight = 100, .mac = { 2, 0, 0, 0, 0, 0x11 } };
	struct lb_conf_service s = { .name = "pop3", .proto = LB_IPPROTO_TCP,
		.port_lo = 110, .port_hi = 110, .sched = LB_SCHED_MAGLEV,
		.table_size = 1009 };
	static const struct { uint32_t len; bool fwd; } cases[] = {
		{ 1514, true }, { 1515, false }, { 8054, false },
	};
	uint16_t ports[2] = { port_id, port_id };
	uint32_t vip = ip4("198.51.100.100");
	struct lb_dp_rxq rxq = { 0 };
	unsigned int k;
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.core = lb_core_create(&cp);
	assert_non_null(e.core);
	p0.addr = ip4("198.51.100.2");
	p1.addr = ip4("192.0.2.2");
	assert_int_equal(lb_core_port_add(e.core, &p0, port_id, mac_port), 0);
	assert_int_equal(lb_core_port_add(e.core, &p1, port_id, mac_port), 1);
	lb_core_vips_set(e.core, (struct lb_ip[]){ lb_ip_from4(vip) }, 1);
	m.addr = lb_ip_from4(ip4("192.0.2.11"));
	assert_int_equal(lb_core_member_add(e.core, &m), 0);
	assert_true(lb_core_service_add(e.core, &s, NULL, 0) >= 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	e.flows = lb_flow_create("test_dp_mtu_out", 1024, SOCKET_ID_ANY, NULL);
	e.w = rte_zmalloc("w", sizeof(*e.w), RTE_CACHE_LINE_SIZE);
	assert_non_null(e.flows);
	assert_non_null(e.w);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e.core), .flows = e.flows,
			.rxq = &rxq, .n_rxq = 1, .port_ids = ports,
			.n_ports = 2, .quit = &quit,
		};

		assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);
	}
	for (k = 0; k < RTE_DIM(cases); k++) {
		struct rte_mbuf *m0 = tcp_mbuf_len(k + 1, cases[k].len);

		lb_dp_clock(e.w);
		lb_dp_process(e.w, lb_core_snapshot(e.core), 0, &m0, 1);
		assert_int_equal(e.w->tx[0].n, 0);
		assert_int_equal(e.w->tx[1].n, cases[k].fwd ? 1 : 0);
		if (cases[k].fwd) {
			/* the member's segment's tag: 4 bytes more */
			assert_int_equal(rte_pktmbuf_pkt_len(e.w->tx[1].m[0]),
					 cases[k].len + LB_VLAN_HLEN);
			rte_pktmbuf_free(e.w->tx[1].m[0]);
			e.w->tx[1].n = 0;
		}
	}
	assert_int_equal(e.w->stats[LB_STAT_FWD], 1);
	assert_int_equal(e.w->stats[LB_STAT_DROP_OVERSIZE], 2);
	env_fini(&e);
}

/* The table is full of confirmed flows (SYN then ACK): a new flow is
 * still balanced, without state, to the member the consistent hash
 * gives it: where a balancer with an empty table sends a packet of it
 * that finds no entry (with Maglev, also where that balancer's SYN
 * entry puts it), so its later packets, which find no entry either,
 * follow it, whatever the scheduler. New flows are counted as refused,
 * and the flows already in the table keep their member: an established
 * entry is never evicted. */
static void
dp_full_table_balances_statelessly(void **state)
{
	static const uint8_t scheds[] = { LB_SCHED_MAGLEV, LB_SCHED_WRR };
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	int where[1024], m;
	unsigned int s;
	struct env e;
	uint32_t i;

	(void)state;
	for (s = 0; s < RTE_DIM(scheds); s++) {
		env_init(&e, scheds[s], 1024, NULL);
		w2 = other_worker(&e, &ft);   /* same members, empty table */
		for (i = 0; i < 1024; i++) {
			where[i] = send_at(&e, e.w, i, LB_TCP_SYN, 100);
			assert_true(where[i] >= 0);
			assert_int_equal(send_at(&e, e.w, i, LB_TCP_ACK, 100),
					 where[i]);
		}
		assert_int_equal(e.flows->count, 1024);
		for (i = 5000; i < 5100; i++) {
			m = send_at(&e, e.w, i, LB_TCP_SYN, 101);
			/* the empty table: with Maglev the entry its SYN
			 * makes; with WRR (whose SYNs go round) where a
			 * packet that finds no entry goes */
			assert_int_equal(m, send_at(&e, w2, i,
				scheds[s] == LB_SCHED_MAGLEV ? LB_TCP_SYN :
				LB_TCP_ACK, 101));
			/* its ACK finds no entry either: the same member */
			assert_int_equal(send_at(&e, e.w, i, LB_TCP_ACK, 102),
					 m);
		}
		assert_int_equal(e.flows->count, 1024);
		assert_int_equal(e.w->stats[LB_STAT_FLOW_TABLE_FULL], 200);
		assert_int_equal(e.w->stats[LB_STAT_FLOW_EVICTED], 0);
		assert_int_equal(e.w->stats[LB_STAT_FWD], 2048 + 200);
		for (i = 0; i < 1024; i++)
			assert_int_equal(send_at(&e, e.w, i, LB_TCP_ACK, 103),
					 where[i]);
		lb_flow_free(ft);
		rte_free(w2);
		env_fini(&e);
	}
}

/* Spoofed ACKs from random clients each make a provisional entry; they
 * fill the table, but new connections still get entries (the oldest
 * provisional ones are evicted), so WRR keeps meaning something: each
 * new connection's later packets stay on the member its SYN got. */
static void
dp_spoofed_acks_do_not_lock_the_table(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	int where[100];
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 1024, w);
	for (i = 0; i < 1024; i++)
		assert_true(ack(&e, 100000 + i) >= 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 1024);
	for (i = 0; i < 100; i++)
		where[i] = syn(&e, i);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 100);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_EVICTED], 100);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_TABLE_FULL], 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(ack(&e, i), where[i]);
		assert_int_equal(send_tcp(&e, e.w, i, 110, LB_TCP_ACK | 0x08),
				 where[i]);
	}
	env_fini(&e);
}

/* The table's bookkeeping holds: one key, one entry in use and one
 * count per flow, no key slot freed twice. */
#define assert_flow_audit(t) do { \
	struct lb_flow_audit a_; \
	\
	if (lb_flow_audit((t), &a_) != 0) \
		fail_msg("flow table: count %u keys %u in use %u slots %u " \
			 "limbo %u counted %u/%u no key %u no entry %u", \
			 a_.count, a_.keys, a_.in_use, a_.slots_used, \
			 a_.limbo, a_.counted, a_.svc_counted, a_.no_key, \
			 a_.no_entry); \
} while (0)

/* One loop iteration's end for a worker whose table has a grace period:
 * it reports its quiescent state, the deleted slots come back. */
static void
env_quiesce(struct env *e, struct rte_rcu_qsbr *v)
{
	lb_flow_reclaim(e->flows);
	rte_rcu_qsbr_quiescent(v, 0);
	lb_flow_reclaim(e->flows);
}

/*
 * One burst: a SYN that finds the table full and evicts the oldest
 * guessed entry X, then a packet of X. X's position was looked up
 * before the eviction; trusting it refilled a freed entry whose key had
 * left the hash, and the sweeper later freed its key slot a second time
 * and took the count below zero: every later flow refused
 * (flow_table_full) until a restart. With a grace period (qsbr) and
 * without; the same packets in two bursts were always fine.
 */
static void
burst_evicting_a_flow_and_its_packet(bool grace)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_rcu_qsbr *v = NULL;
	struct rte_mbuf *pkts[2];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	uint32_t i, now = 1000;
	struct env e;

	env_init(&e, LB_SCHED_WRR, 8, w);
	if (grace) {
		struct lb_dp_rxq rxq = { 0 };
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e.core), .rxq = &rxq,
			.n_rxq = 1, .port_ids = &port_id, .n_ports = 1,
			.quit = &quit,
		};

		v = test_qsbr_online(1);
		assert_non_null(v);
		lb_flow_free(e.flows);
		e.flows = lb_flow_create("test_dp_grace", 8, SOCKET_ID_ANY, v);
		assert_non_null(e.flows);
		dp.flows = e.flows;
		assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);
	}
	/* 8 spoofed ACKs fill the table with guesses */
	for (i = 0; i < 8; i++) {
		pkts[0] = tcp_mbuf(100000 + i, 110, LB_TCP_ACK);
		process_at(&e, e.w, pkts, 1, now);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
		assert_flow_audit(e.flows);
	}
	assert_int_equal(e.flows->count, 8);
	/* the SYN evicts guess 0; guess 0's next packet in the same burst */
	pkts[0] = tcp_mbuf(1, 110, LB_TCP_SYN);
	pkts[1] = tcp_mbuf(100000, 110, LB_TCP_ACK);
	process_at(&e, e.w, pkts, 2, now);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 2);
	assert_flow_audit(e.flows);
	assert_int_equal(e.flows->count, 8);
	/* the packet of the evicted guess made a new guess, evicting the
	 * next oldest */
	assert_int_equal(e.w->stats[LB_STAT_FLOW_EVICTED], 2);
	if (grace)
		env_quiesce(&e, v);
	assert_flow_audit(e.flows);
	/* every entry expires and is swept */
	now += 1000000;
	lb_flow_sweep(e.flows, now, e.flows->n_pos);
	if (grace)
		env_quiesce(&e, v);
	assert_flow_audit(e.flows);
	assert_int_equal(e.flows->count, 0);
	assert_int_equal(e.flows->errors, 0);
	/* and the table takes new flows again, all 8 */
	for (i = 0; i < 8; i++) {
		pkts[0] = tcp_mbuf(200 + i, 110, LB_TCP_SYN);
		process_at(&e, e.w, pkts, 1, now);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
		assert_flow_audit(e.flows);
	}
	assert_int_equal(e.flows->count, 8);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_TABLE_FULL], 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_GRACE_FULL], 0);
	env_fini(&e);
	rte_free(v);
}

static void
dp_burst_evicting_a_flow_and_its_packet_keeps_the_table(void **state)
{
	(void)state;
	burst_evicting_a_flow_and_its_packet(false);
}

static void
dp_burst_evicting_a_flow_and_its_packet_keeps_the_table_qsbr(void **state)
{
	(void)state;
	burst_evicting_a_flow_and_its_packet(true);
}

/*
 * A reader that never reports a quiescent state (a worker stuck between
 * two of them) holds every key slot deleted since: once LB_FLOW_SLACK
 * deletions wait, a full table can evict nothing, and a new flow is
 * balanced without state where the consistent hash puts it, counted
 * flow_grace_full (not flow_table_full): no entry is made, no slot the
 * reader may hold is reused. Once the reader reports, the slots come
 * back and new flows get entries again.
 */
static void
dp_grace_period_full_balances_statelessly(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const uint32_t spoofed = 8 + LB_FLOW_SLACK;
	struct rte_rcu_qsbr *v = test_qsbr_online(2);   /* 0: e.w, 1: stuck */
	struct rte_mbuf *pkts[LB_BURST];
	struct lb_dp_rxq rxq = { 0 };
	struct lb_dp_params dp = {
		.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id, .n_ports = 1,
		.quit = &quit,
	};
	int member[LB_TXBUF], m;
	uint16_t id[LB_TXBUF];
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	uint32_t i, k, n, adds;
	struct env e;

	(void)state;
	assert_non_null(v);
	env_init(&e, LB_SCHED_WRR, 8, w);
	lb_flow_free(e.flows);
	e.flows = lb_flow_create("test_dp_grace_full", 8, SOCKET_ID_ANY, v);
	assert_non_null(e.flows);
	dp.snap = lb_core_snapshot_ptr(e.core);
	dp.flows = e.flows;
	assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);
	w2 = other_worker(&e, &ft);   /* same members, empty table */
	/* spoofed ACKs: 8 fill the table with guesses, each later one
	 * evicts the oldest; the worker's loop reports its quiescent state
	 * after every burst, the reader never does */
	for (i = 0; i < spoofed; i += n) {
		n = RTE_MIN((uint32_t)LB_BURST, spoofed - i);
		for (k = 0; k < n; k++)
			pkts[k] = tcp_mbuf(100000 + i + k, 110, LB_TCP_ACK);
		process_at(&e, e.w, pkts, n, 1000);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), n);
		lb_flow_reclaim(e.flows);
		rte_rcu_qsbr_quiescent(v, 0);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], spoofed);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_EVICTED], LB_FLOW_SLACK);
	assert_int_equal(lb_flow_limbo(e.flows), LB_FLOW_SLACK);
	assert_int_equal(e.flows->count, 8);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_GRACE_FULL], 0);
	/* new connections: SYN and ACK balanced by the consistent hash,
	 * no entry made */
	adds = e.flows->adds;
	for (i = 0; i < 20; i++) {
		m = send_at(&e, e.w, i, LB_TCP_SYN, 1);
		assert_true(m >= 0);
		assert_int_equal(m, send_at(&e, w2, i, LB_TCP_ACK, 1));
		assert_int_equal(send_at(&e, e.w, i, LB_TCP_ACK, 1), m);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_GRACE_FULL], 40);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_TABLE_FULL], 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_EVICTED], LB_FLOW_SLACK);
	assert_int_equal(e.flows->adds, adds);
	assert_int_equal(e.flows->count, 8);
	assert_int_equal(lb_flow_limbo(e.flows), LB_FLOW_SLACK);
	assert_flow_audit(e.flows);
	/* the reader reports: the slots come back, a new flow evicts a
	 * guess and gets its entry */
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(e.flows), LB_FLOW_SLACK);
	assert_true(send_at(&e, e.w, 20, LB_TCP_SYN, 1) >= 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 1);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_GRACE_FULL], 40);
	assert_int_equal(e.flows->adds, adds + 1);
	assert_int_equal(e.flows->count, 8);
	assert_flow_audit(e.flows);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);
	rte_free(v);
}

/*
 * A SYN flood evicts a real connection's SYN entry before its ACK comes
 * when the table holds less than a round trip's worth of the flood. The
 * ACK then finds no entry and goes by the consistent hash: with wrr or
 * wlc, to another member than the SYN, which answers RST. While a
 * worker is evicting, new flows of every scheduler are placed where the
 * consistent hash puts them (flow_pressure), so a lost entry changes
 * nothing; once no eviction happened for a provisional entry's
 * lifetime, the scheduler decides again.
 */
static void
syn_flood_evicts_syn_entries(uint8_t sched)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_mbuf *pkts[1];
	int member[LB_TXBUF], where[20], first[N_MEMBERS], got;
	uint16_t id[LB_TXBUF];
	uint32_t i, j, now = 1000, flood = 300000;
	struct env e;

	env_init(&e, sched, 64, w);
	/* the flood fills the table and goes on: evicting */
	for (i = 0; i < 80; i++) {
		pkts[0] = tcp_mbuf(flood++, 110, LB_TCP_SYN);
		process_at(&e, e.w, pkts, 1, now);
		collect(e.w, member, id, LB_TXBUF);
	}
	assert_true(e.w->stats[LB_STAT_FLOW_EVICTED] > 0);
	/* 20 connections open, the flood evicts their SYN entries before
	 * their ACKs: each ACK still goes where its SYN went */
	for (i = 0; i < 20; i++) {
		pkts[0] = tcp_mbuf(i, 110, LB_TCP_SYN);
		process_at(&e, e.w, pkts, 1, now);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
		where[i] = member[0];
		for (j = 0; j < 70; j++) {
			pkts[0] = tcp_mbuf(flood++, 110, LB_TCP_SYN);
			process_at(&e, e.w, pkts, 1, now);
			collect(e.w, member, id, LB_TXBUF);
		}
	}
	for (i = 0; i < 20; i++) {
		pkts[0] = tcp_mbuf(i, 110, LB_TCP_ACK);
		process_at(&e, e.w, pkts, 1, now);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
		if (member[0] != where[i])
			fail_msg("connection %u: SYN to fe%d, its ACK to fe%d",
				 i, where[i] + 1, member[0] + 1);
	}
	assert_true(e.w->stats[LB_STAT_FLOW_PRESSURE] >= 20);
	assert_flow_audit(e.flows);
	/* the flood stops; once its entries could all have expired without
	 * an eviction, the scheduler decides again: wrr's turn goes round
	 * the four members, wlc picks the least loaded */
	now += 10000 + 1;
	lb_flow_sweep(e.flows, now, e.flows->n_pos);
	got = (int)e.w->stats[LB_STAT_FLOW_PRESSURE];
	for (i = 0; i < N_MEMBERS; i++) {
		uint64_t oh[N_MEMBERS], least = UINT64_MAX;

		for (j = 0; j < N_MEMBERS; j++) {
			uint32_t a, in;

			lb_flow_member_flows(e.flows, (uint16_t)j,
					     lb_core_snapshot(e.core)->members[j].gen,
					     &a, &in);
			oh[j] = (uint64_t)a * 256 + in;
			least = RTE_MIN(least, oh[j]);
		}
		pkts[0] = tcp_mbuf(1000 + i, 110, LB_TCP_SYN);
		process_at(&e, e.w, pkts, 1, now);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
		first[i] = member[0];
		if (sched == LB_SCHED_WLC)
			assert_true(oh[first[i]] == least);
		else
			for (j = 0; j < i; j++)
				assert_int_not_equal(first[j], first[i]);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_PRESSURE], got);
	env_fini(&e);
}

static void
dp_syn_flood_evicting_syn_entries_wrr_acks_follow(void **state)
{
	(void)state;
	syn_flood_evicts_syn_entries(LB_SCHED_WRR);
}

static void
dp_syn_flood_evicting_syn_entries_wlc_acks_follow(void **state)
{
	(void)state;
	syn_flood_evicts_syn_entries(LB_SCHED_WLC);
}

/* A SYN flood fills the table with SYN-only entries: a connection that
 * completes its handshake is confirmed and stays, whatever follows. */
static void
dp_syn_flood_cannot_evict_confirmed_flows(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	int where[50];
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 1024, w);
	for (i = 0; i < 50; i++) {
		where[i] = syn(&e, i);
		assert_int_equal(ack(&e, i), where[i]);
	}
	for (i = 0; i < 5000; i++)
		assert_true(syn(&e, 200000 + i) >= 0);
	assert_true(e.w->stats[LB_STAT_FLOW_EVICTED] >= 5000 - 1024);
	for (i = 0; i < 50; i++)
		assert_int_equal(ack(&e, i), where[i]);
	env_fini(&e);
}

/* A restarted balancer has no flow entries: a mid-stream packet goes
 * where the consistent hash says, which with Maglev is where the flow
 * already was. */
static void
dp_restarted_balancer_keeps_maglev_flows(void **state)
{
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	w2 = other_worker(&e, &ft);
	for (i = 0; i < 300; i++)
		assert_int_equal(send_tcp(&e, w2, i, 110, LB_TCP_ACK),
				 syn(&e, i));
	assert_int_equal(w2->stats[LB_STAT_FLOW_MIDSTREAM], 300);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);
}

static void
dp_wrr_new_flows_in_weight_order(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 2, 1, 1, 1 };
	static const int want[] = { 0, 1, 2, 3, 0 };
	struct env e;
	uint32_t i;
	int got;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	/* smooth WRR of 2,1,1,1: a b c d a, then again (nginx's order) */
	for (i = 0; i < 2 * sizeof(want) / sizeof(want[0]); i++) {
		got = syn(&e, i);
		if (got != want[i % 5])
			fail_msg("flow %u went to %d, want %d", i, got,
				 want[i % 5]);
	}
	env_fini(&e);
}

static void
dp_source_port_range_goes_to_its_member(void **state)
{
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	/* fe4 owns 33000-33999: even when down for every service */
	lb_core_health_set(e.core, (unsigned int)e.pop3, 3, LB_HEALTH_DOWN);
	lb_core_commit(e.core);
	for (i = 0; i < 50; i++)
		assert_int_equal(send_tcp(&e, e.w, i, 33000 + (uint16_t)i,
					  LB_TCP_SYN | LB_TCP_ACK), 3);
	assert_int_equal(e.w->stats[LB_STAT_SOURCE_PORT], 50);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 0);
	/* ... but not when disabled */
	lb_core_member_set_state(e.core, 3, LB_ADMIN_DISABLED);
	lb_core_commit(e.core);
	assert_int_equal(send_tcp(&e, e.w, 1, 33001, LB_TCP_ACK), -1);
	assert_int_equal(e.w->stats[LB_STAT_DROP_MEMBER_UNUSABLE], 1);
	env_fini(&e);
}

static void
dp_standby_forwards_nothing(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	lb_core_set_active(e.core, false);
	lb_core_commit(e.core);
	assert_int_equal(syn(&e, 1), -1);
	assert_int_equal(e.w->stats[LB_STAT_DROP_STANDBY], 1);
	lb_core_set_active(e.core, true);
	lb_core_commit(e.core);
	assert_true(syn(&e, 1) >= 0);
	env_fini(&e);
}

static void
dp_syn_after_fin_is_scheduled_again(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	int first, second;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	first = syn(&e, 7);
	ack(&e, 7);
	send_tcp(&e, e.w, 7, 110, LB_TCP_FIN | LB_TCP_ACK);
	second = syn(&e, 7);               /* port reused: a new connection */
	assert_int_equal(e.w->stats[LB_STAT_FLOW_REUSED], 1);
	assert_int_not_equal(first, second);   /* WRR moved on */
	env_fini(&e);
}

/* A FIN or RST of a flow the table does not know (its entry expired,
 * or the balancer restarted) is passed on where the consistent hash
 * puts the flow, as its other packets without an entry would be, never
 * to the scheduler's next pick; it is counted stateless and makes no
 * entry (nor a persistence record) for a connection that is ending.
 * With persistence, the client's record decides. */
static void
dp_fin_or_rst_for_unknown_flow_forwarded_statelessly(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint8_t ends[] = { LB_TCP_FIN | LB_TCP_ACK, LB_TCP_RST,
		LB_TCP_RST | LB_TCP_ACK };
	unsigned int used[N_MEMBERS] = { 0 }, moved = 0;
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	int m, hashed, rec;
	struct env e;
	uint32_t i, c;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	w2 = other_worker(&e, &ft);   /* same members, empty table */
	for (i = 0; i < 60; i++) {
		m = send_at(&e, e.w, i, ends[i % RTE_DIM(ends)], 100);
		assert_true(m >= 0);
		used[m]++;
		/* where a packet of the flow that finds no entry goes */
		assert_int_equal(m, send_at(&e, w2, i, LB_TCP_ACK, 100));
	}
	for (m = 0; m < N_MEMBERS; m++)
		assert_true(used[m] > 0);   /* hashed: spread */
	assert_int_equal(e.w->stats[LB_STAT_STATELESS], 60);
	assert_int_equal(e.w->stats[LB_STAT_FWD], 60);
	assert_int_equal(e.flows->count, 0);
	assert_int_equal(e.flows->adds, 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW] +
			 e.w->stats[LB_STAT_FLOW_MIDSTREAM], 0);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);

	/* persistence: a client's record, once there is one, decides */
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	for (c = 1; c <= 40; c++) {
		/* no record: the hash of the client */
		hashed = send_at(&e, e.w, CONN(c, 1), LB_TCP_RST, 100);
		assert_true(hashed >= 0);
		/* a new connection makes one (WRR) */
		rec = send_at(&e, e.w, CONN(c, 0), LB_TCP_SYN, 100);
		assert_true(rec >= 0);
		assert_int_equal(send_at(&e, e.w, CONN(c, 2),
					 LB_TCP_FIN | LB_TCP_ACK, 101), rec);
		assert_int_equal(send_at(&e, e.w, CONN(c, 3), LB_TCP_RST, 101),
				 rec);
		moved += rec != hashed;
	}
	/* the record and the hash differ for some clients (had the first
	 * RST made a record, they would not) */
	assert_true(moved > 0);
	assert_int_equal(e.w->stats[LB_STAT_STATELESS], 120);
	assert_int_equal(e.flows->count, 40);   /* the SYNs' */
	env_fini(&e);
}

/* ---- fragments ---- */

#define FRAG_DATA 1000   /* IP payload bytes of each fragment */

/* Two UDP services on one VIP with different members: SIP (stateless)
 * on fe1 and fe2, DNS on fe3 and fe4. */
static void
frag_env_init(struct env *e)
{
	struct lb_conf_service sip = { .name = "sip", .proto = LB_IPPROTO_UDP,
		.port_lo = 5060, .port_hi = 5060, .stateless = true,
		.hash_fields = LB_HASH_F_SRC_IP | LB_HASH_F_SRC_PORT,
		.table_size = 1009 };
	struct lb_conf_service dns = { .name = "dns", .proto = LB_IPPROTO_UDP,
		.port_lo = 53, .port_hi = 53, .table_size = 1009 };
	static const uint16_t sip_members[] = { 0, 1 }, dns_members[] = { 2, 3 };

	env_init(e, LB_SCHED_MAGLEV, 4096, NULL);
	assert_true(lb_core_service_add(e->core, &sip, sip_members, 2) >= 0);
	assert_true(lb_core_service_add(e->core, &dns, dns_members, 2) >= 0);
	assert_int_equal(lb_core_commit(e->core), 1);
}

/* Fragment k of n of a UDP datagram from client i to VIP:dport. */
static struct rte_mbuf *
udp_fragment(uint32_t i, uint16_t dport, uint16_t id, unsigned int k,
	     unsigned int n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t frag = (uint16_t)((k * FRAG_DATA / 8) |
				   (k + 1 < n ? 0x2000 : 0));
	struct frame f;
	char src[32];
	char *d;

	assert_non_null(m);
	snprintf(src, sizeof(src), "203.0.113.%u", 1 + i % 250);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_UDP, src, "198.51.100.100", 5, FRAG_DATA, 0, frag);
	lb_store_be16(f.b + f.ip_off + 4, id);
	if (k == 0) {
		udp(&f, (uint16_t)(20000 + i), dport, (uint16_t)(n * FRAG_DATA));
		memset(f.b + f.len, 'v', FRAG_DATA - 8);
	} else {
		memset(f.b + f.len, 'w', FRAG_DATA);
	}
	f.len = f.ip_off + 20 + FRAG_DATA;
	d = rte_pktmbuf_append(m, (uint16_t)f.len);
	assert_non_null(d);
	memcpy(d, f.b, f.len);
	return m;
}


/* Later fragments that come first are never guessed: whatever the order
 * inside a burst, every fragment of a datagram lands on the member its
 * first fragment went to, a member of the datagram's own service. */
static void
dp_reversed_fragments_stay_in_their_service(void **state)
{
	struct rte_mbuf *pkts[LB_BURST];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct env e;
	unsigned int d, k, n;

	(void)state;
	frag_env_init(&e);
	for (d = 0; d < 50; d++) {
		int first = -1;

		for (k = 0; k < 3; k++)   /* last fragment first */
			pkts[k] = udp_fragment(d, 5060, (uint16_t)(100 + d),
					       2 - k, 3);
		lb_dp_clock(e.w);
		lb_dp_process(e.w, lb_core_snapshot(e.core), 0, pkts, 3);
		n = collect(e.w, member, id, LB_TXBUF);
		assert_int_equal(n, 3);
		for (k = 0; k < n; k++) {
			if (member[k] != 0 && member[k] != 1)
				fail_msg("datagram %u: a fragment went to fe%d, outside the SIP service",
					 d, member[k] + 1);
			if (first < 0)
				first = member[k];
			assert_int_equal(member[k], first);
		}
	}
	env_fini(&e);
}


/* Every order of a datagram's fragments inside one burst, with its
 * first fragment or a later one twice: all on one member. */
static void
dp_fragments_in_any_order_and_duplicates(void **state)
{
	static const unsigned int orders[][5] = {
		{ 0, 1, 2, 3, 4 }, { 1, 0, 2, 3, 4 }, { 2, 1, 0, 4, 3 },
		{ 4, 3, 2, 1, 0 }, { 3, 0, 4, 1, 2 }, { 0, 0, 1, 2, 3 },
		{ 1, 2, 0, 0, 2 },
	};
	struct rte_mbuf *pkts[8];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct env e;
	unsigned int o, k, n;

	(void)state;
	frag_env_init(&e);
	for (o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		for (k = 0; k < 5; k++)
			pkts[k] = udp_fragment(o, 5060, (uint16_t)(500 + o),
					       orders[o][k],
					       orders[o][0] == 0 &&
					       orders[o][1] == 0 ? 4 : 5);
		process_at(&e, e.w, pkts, 5, 1000);
		n = collect(e.w, member, id, LB_TXBUF);
		assert_int_equal(n, 5);
		for (k = 1; k < n; k++)
			assert_int_equal(member[k], member[0]);
		assert_true(member[0] == 0 || member[0] == 1);
		assert_int_equal(e.w->held_live, 0);
	}
	assert_true(e.w->stats[LB_STAT_FRAG_HELD] > 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_TIMEOUT], 0);
	env_fini(&e);
}

/* A later fragment waits, bursts long, for its first fragment. */
static void
dp_later_fragment_waits_for_first_across_bursts(void **state)
{
	struct rte_mbuf *pkts[4];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct env e;

	(void)state;
	frag_env_init(&e);
	pkts[0] = udp_fragment(9, 5060, 77, 2, 3);
	pkts[1] = udp_fragment(9, 5060, 77, 1, 3);
	process_at(&e, e.w, pkts, 2, 1000);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 0);
	assert_int_equal(e.w->held_live, 2);
	/* another datagram passes meanwhile */
	pkts[0] = udp_fragment(10, 5060, 78, 0, 1);
	process_at(&e, e.w, pkts, 1, 1003);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
	assert_int_equal(e.w->held_live, 2);
	pkts[0] = udp_fragment(9, 5060, 77, 0, 3);
	process_at(&e, e.w, pkts, 1, 1005);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 3);
	assert_int_equal(member[1], member[0]);
	assert_int_equal(member[2], member[0]);
	assert_int_equal(e.w->held_live, 0);
	assert_int_equal(e.w->stats[LB_STAT_FRAG_HIT], 2);
	env_fini(&e);
}

/* Later fragments whose first never comes are dropped after the hold
 * time, counted, and their mbufs returned; the waiting room is bounded. */
static void
dp_orphan_fragments_dropped_and_counted(void **state)
{
	struct rte_mbuf *pkts[LB_BURST];
	unsigned int in_use = rte_mempool_in_use_count(pool);
	uint32_t i, k, sent = 0;
	struct env e;

	(void)state;
	frag_env_init(&e);
	for (i = 0; sent < LB_FRAG_HOLD + 44; i++) {
		for (k = 0; k < 4; k++)
			pkts[k] = udp_fragment(i, 5060, (uint16_t)(1000 + i * 4 + k),
					       1, 2);
		process_at(&e, e.w, pkts, 4, 2000);
		sent += 4;
	}
	assert_int_equal(e.w->held_live, LB_FRAG_HOLD);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_HOLD_FULL],
			 sent - LB_FRAG_HOLD);
	assert_int_equal(e.w->tx[0].n, 0);
	/* before the hold time: still waiting */
	e.w->now = 2000 + e.w->frag_hold_ms - 1;
	lb_dp_frag_release(e.w, lb_core_snapshot(e.core));
	assert_int_equal(e.w->held_live, LB_FRAG_HOLD);
	e.w->now = 2000 + e.w->frag_hold_ms;
	lb_dp_frag_release(e.w, lb_core_snapshot(e.core));
	assert_int_equal(e.w->held_live, 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_TIMEOUT], LB_FRAG_HOLD);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
	env_fini(&e);
}

/* Live slots of a worker's fragment memory. */
static uint32_t
frag_used(const struct lb_worker *w, uint32_t now)
{
	uint32_t i, used = 0;

	for (i = 0; i < LB_FRAG_BUCKETS * LB_FRAG_WAYS; i++)
		used += w->frag[i].proto != 0 &&
			(int32_t)(now - w->frag[i].expire) < 0;
	return used;
}

/*
 * A flood of spoofed first fragments (random sources, never followed by
 * a later fragment) larger than fragment memory: each is remembered in
 * the place of the oldest unconfirmed slot of its bucket (frag_evicted)
 * and none is dropped, so a real datagram that comes during the flood
 * is remembered and its later fragments follow it; a datagram one of
 * whose later fragments has come (confirmed) is never evicted: all its
 * later fragments find it. Before, a slot was never given up while
 * live: the flood took all memory for frag_ttl_ms and every real
 * fragmented datagram's first fragment was dropped
 * (drop_frag_memory_full).
 */
static void
dp_fragment_flood_evicts_only_unconfirmed_datagrams(void **state)
{
	struct rte_mbuf *pkts[LB_BURST];
	int member[LB_TXBUF], first[64];
	uint16_t id[LB_TXBUF];
	uint32_t i, k, n;
	uint32_t flood = LB_FRAG_BUCKETS * LB_FRAG_WAYS + 4096;
	struct env e;

	(void)state;
	frag_env_init(&e);
	/* 64 real datagrams of three fragments: the first two come */
	for (i = 0; i < 64; i++) {
		pkts[0] = udp_fragment(i, 5060, (uint16_t)i, 0, 3);
		pkts[1] = udp_fragment(i, 5060, (uint16_t)i, 1, 3);
		process_at(&e, e.w, pkts, 2, 5000);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 2);
		assert_int_equal(member[1], member[0]);
		first[i] = member[0];
	}
	/* the flood: more first fragments than slots, none followed */
	for (i = 0; i < flood; i += 16) {
		for (k = 0; k < 16; k++)
			pkts[k] = udp_fragment(1000 + i + k, 5060,
					       (uint16_t)(10000 + i + k), 0, 2);
		process_at(&e, e.w, pkts, 16, 5000);
		n = collect(e.w, member, id, LB_TXBUF);
		assert_int_equal(n, 16);
		/* a real datagram in the middle of it */
		if (i == flood / 2) {
			pkts[0] = udp_fragment(500, 5060, 555, 0, 2);
			process_at(&e, e.w, pkts, 1, 5000);
			assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
			first[0] = member[0];   /* datagram 0's was checked */
			pkts[0] = udp_fragment(500, 5060, 555, 1, 2);
			process_at(&e, e.w, pkts, 1, 5000);
			assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
			assert_int_equal(member[0], first[0]);
			first[0] = -1;
		}
	}
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_MEMORY_FULL], 0);
	assert_int_equal(e.w->stats[LB_STAT_FRAG_FIRST], 64 + flood + 1);
	/* every first fragment is in memory or was evicted for another */
	assert_int_equal(e.w->stats[LB_STAT_FRAG_EVICTED],
			 64 + flood + 1 - frag_used(e.w, 5000));
	assert_true(e.w->stats[LB_STAT_FRAG_EVICTED] >= 4096);
	/* the confirmed datagrams' last fragments all follow their first */
	for (i = 1; i < 64; i++) {
		pkts[0] = udp_fragment(i, 5060, (uint16_t)i, 2, 3);
		process_at(&e, e.w, pkts, 1, 5001);
		if (collect(e.w, member, id, LB_TXBUF) != 1 ||
		    member[0] != first[i])
			fail_msg("datagram %u: its last fragment did not follow its first (fe%d)",
				 i, first[i] + 1);
	}
	assert_int_equal(e.w->stats[LB_STAT_FRAG_HIT], 64 + 1 + 63);
	assert_int_equal(e.w->stats[LB_STAT_FRAG_HELD], 0);
	assert_int_equal(e.w->held_live, 0);
	lb_dp_worker_fini(e.w);
	env_fini(&e);
}

/* More datagrams in flight than fragment memory, every one confirmed
 * (its first two fragments come together): a first fragment whose
 * bucket holds only live, confirmed datagrams is dropped (its datagram
 * would be split), never written over one of them; as many remembered
 * as slots, the rest dropped; slots come back when they expire. */
static void
dp_first_fragment_memory_full_of_confirmed_drops_first(void **state)
{
	struct rte_mbuf *pkts[LB_BURST];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	uint32_t i, k, n, sent = 0;
	uint32_t total = LB_FRAG_BUCKETS * LB_FRAG_WAYS + 4096;
	struct env e;

	(void)state;
	frag_env_init(&e);
	for (i = 0; i < total; i += 8) {
		for (k = 0; k < 8; k++) {
			pkts[2 * k] = udp_fragment(i + k, 5060,
						   (uint16_t)(i + k), 0, 3);
			pkts[2 * k + 1] = udp_fragment(i + k, 5060,
						       (uint16_t)(i + k), 1, 3);
		}
		process_at(&e, e.w, pkts, 16, 5000);
		n = collect(e.w, member, id, LB_TXBUF);
		sent += n;
		lb_dp_worker_fini(e.w);   /* later fragments of dropped firsts */
	}
	assert_int_equal(e.w->stats[LB_STAT_FRAG_EVICTED], 0);
	assert_int_equal(e.w->stats[LB_STAT_FRAG_FIRST], frag_used(e.w, 5000));
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_MEMORY_FULL],
			 total - frag_used(e.w, 5000));
	assert_true(e.w->stats[LB_STAT_DROP_FRAG_MEMORY_FULL] > 0);
	/* each remembered datagram sent both fragments, no other was sent */
	assert_int_equal(sent, 2 * frag_used(e.w, 5000));
	/* expired slots are taken again */
	pkts[0] = udp_fragment(7, 5060, 60000, 0, 2);
	pkts[1] = udp_fragment(7, 5060, 60000, 1, 2);
	process_at(&e, e.w, pkts, 2, 5000 + e.w->frag_ttl_ms);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 2);
	assert_int_equal(member[1], member[0]);
	lb_dp_worker_fini(e.w);
	env_fini(&e);
}

/* A second worker sharing the first one's state, as the app wires them:
 * each can read the other's flow table and fragment memory. */
static struct lb_worker *peers2[2];

static struct lb_worker *
peer_worker(struct env *e, struct lb_flow_table **ft, bool wire)
{
	struct lb_worker *w2 = other_worker(e, ft);

	if (wire) {
		peers2[0] = e->w;
		peers2[1] = w2;
		lb_dp_set_peers(e->w, peers2, 2);
		lb_dp_set_peers(w2, peers2, 2);
	}
	return w2;
}

/* RSS gives a datagram's first fragment to one worker and its later
 * fragments to the other, in either order: one member for all. */
static void
dp_fragments_split_over_workers(void **state)
{
	struct rte_mbuf *pkts[4];
	int m1[LB_TXBUF], m2[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	struct env e;
	uint32_t d;

	(void)state;
	frag_env_init(&e);
	w2 = peer_worker(&e, &ft, true);
	for (d = 0; d < 40; d++) {
		/* later fragments first on w2, then the first on w1 */
		pkts[0] = udp_fragment(d, 5060, (uint16_t)(3000 + d), 2, 3);
		pkts[1] = udp_fragment(d, 5060, (uint16_t)(3000 + d), 1, 3);
		process_at(&e, w2, pkts, 2, 7000);
		assert_int_equal(collect(w2, m2, id, LB_TXBUF), 0);
		pkts[0] = udp_fragment(d, 5060, (uint16_t)(3000 + d), 0, 3);
		process_at(&e, e.w, pkts, 1, 7000);
		assert_int_equal(collect(e.w, m1, id, LB_TXBUF), 1);
		lb_dp_frag_release(w2, lb_core_snapshot(e.core));
		assert_int_equal(collect(w2, m2, id, LB_TXBUF), 2);
		assert_int_equal(m2[0], m1[0]);
		assert_int_equal(m2[1], m1[0]);
		/* and the other way round: first on w2, later on w1 */
		pkts[0] = udp_fragment(d, 5060, (uint16_t)(4000 + d), 0, 2);
		process_at(&e, w2, pkts, 1, 7000);
		assert_int_equal(collect(w2, m2, id, LB_TXBUF), 1);
		pkts[0] = udp_fragment(d, 5060, (uint16_t)(4000 + d), 1, 2);
		process_at(&e, e.w, pkts, 1, 7000);
		assert_int_equal(collect(e.w, m1, id, LB_TXBUF), 1);
		assert_int_equal(m1[0], m2[0]);
	}
	assert_int_equal(w2->stats[LB_STAT_DROP_FRAG_TIMEOUT] +
			 e.w->stats[LB_STAT_DROP_FRAG_TIMEOUT], 0);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);
}

/* A whole UDP datagram of client i (as udp_fragment's) to VIP:dport. */
static struct rte_mbuf *
udp_whole(uint32_t i, uint16_t dport)
{
	struct frame f;
	char src[32];

	snprintf(src, sizeof(src), "203.0.113.%u", 1 + i % 250);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_UDP, src, "198.51.100.100", 5, 8 + 100, 0, 0);
	udp(&f, (uint16_t)(20000 + i), dport, 8 + 100);
	memset(f.b + f.len, 'u', 100);
	f.len += 100;
	return mbuf_of(&f);
}

/*
 * A stateful UDP flow scheduled by wrr or wlc whose datagrams are
 * sometimes fragmented: RSS sends its whole datagrams (hashed with the
 * ports) to one worker and its fragments (hashed on the addresses) to
 * another. The other worker has no entry for the flow: it takes the
 * member of the entry the first worker holds (flow_peer), for the first
 * fragment and, through the fragment memory, the later ones; and the
 * other way round when a fragmented datagram comes first. Before, it
 * scheduled the flow again: its fragmented datagrams went to the next
 * member in wrr's turn.
 */
static void
stateful_udp_fragments_follow_the_flow(uint8_t sched)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint16_t all[N_MEMBERS] = { 0, 1, 2, 3 };
	struct lb_conf_service game = { .name = "game",
		.proto = LB_IPPROTO_UDP, .port_lo = 7000, .port_hi = 7000,
		.sched = sched, .table_size = 1009 };
	struct rte_mbuf *pkts[2];
	int m1[LB_TXBUF], m2[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	struct env e;
	uint32_t i;

	env_init(&e, sched, 4096, w);
	assert_true(lb_core_service_add(e.core, &game, all, N_MEMBERS) >= 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	w2 = peer_worker(&e, &ft, true);
	/* w2's turn one member on from w1's: the two workers' own choices
	 * for a flow differ */
	pkts[0] = udp_whole(999, 7000);
	process_at(&e, w2, pkts, 1, 5000);
	assert_int_equal(collect(w2, m2, id, LB_TXBUF), 1);
	for (i = 0; i < 40; i++) {
		/* whole datagrams on w1 first */
		pkts[0] = udp_whole(i, 7000);
		process_at(&e, e.w, pkts, 1, 5000);
		assert_int_equal(collect(e.w, m1, id, LB_TXBUF), 1);
		/* a fragmented one on w2: both fragments to the flow's member */
		pkts[0] = udp_fragment(i, 7000, (uint16_t)(6000 + i), 0, 2);
		pkts[1] = udp_fragment(i, 7000, (uint16_t)(6000 + i), 1, 2);
		process_at(&e, w2, pkts, 2, 5000);
		assert_int_equal(collect(w2, m2, id, LB_TXBUF), 2);
		if (m2[0] != m1[0] || m2[1] != m1[0])
			fail_msg("flow %u: whole datagrams to fe%d, its fragments to fe%d and fe%d",
				 i, m1[0] + 1, m2[0] + 1, m2[1] + 1);
		/* and whole again on w1 */
		pkts[0] = udp_whole(i, 7000);
		process_at(&e, e.w, pkts, 1, 5000);
		assert_int_equal(collect(e.w, m1 + 1, id, LB_TXBUF), 1);
		assert_int_equal(m1[1], m1[0]);
	}
	for (i = 100; i < 140; i++) {
		/* a fragmented datagram first, on w2; then whole on w1 */
		pkts[0] = udp_fragment(i, 7000, (uint16_t)(7000 + i), 0, 2);
		pkts[1] = udp_fragment(i, 7000, (uint16_t)(7000 + i), 1, 2);
		process_at(&e, w2, pkts, 2, 5000);
		assert_int_equal(collect(w2, m2, id, LB_TXBUF), 2);
		assert_int_equal(m2[1], m2[0]);
		pkts[0] = udp_whole(i, 7000);
		process_at(&e, e.w, pkts, 1, 5000);
		assert_int_equal(collect(e.w, m1, id, LB_TXBUF), 1);
		assert_int_equal(m1[0], m2[0]);
	}
	assert_int_equal(w2->stats[LB_STAT_FLOW_PEER], 40);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_PEER], 40);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);
}

static void
dp_stateful_udp_fragments_follow_the_flow_wrr(void **state)
{
	(void)state;
	stateful_udp_fragments_follow_the_flow(LB_SCHED_WRR);
}

static void
dp_stateful_udp_fragments_follow_the_flow_wlc(void **state)
{
	(void)state;
	stateful_udp_fragments_follow_the_flow(LB_SCHED_WLC);
}

/* What a router sends to the VIP when flow i's answer was too big. */
static struct rte_mbuf *
frag_needed(uint32_t i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char client[32];
	struct frame f;
	uint32_t inner;
	char *d;

	assert_non_null(m);
	snprintf(client, sizeof(client), "203.0.%u.%u", 113 + (i >> 8) % 4,
		 i & 0xff);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_ICMP, "198.51.100.1", "198.51.100.100", 5,
	     8 + 20 + 8, 0, 0);
	icmp(&f, LB_ICMP_DEST_UNREACH, 4);
	inner = f.len;
	ipv4(&f, LB_IPPROTO_TCP, "198.51.100.100", client, 5, 1480, 0, 0x4000);
	put16(&f, 110);
	put16(&f, (uint16_t)(1024 + (i >> 10)));
	put32(&f, 0);
	(void)inner;
	d = rte_pktmbuf_append(m, (uint16_t)f.len);
	assert_non_null(d);
	memcpy(d, f.b, f.len);
	return m;
}

/* ICMP errors are hashed by RSS on (router, VIP): a worker that never
 * saw the flow must still send the error to the flow's member, which
 * with WRR the consistent hash does not know. */
static void
dp_icmp_error_reaches_flow_member_from_other_worker(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	int where[200], member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	unsigned int wrong = 0;
	struct rte_mbuf *m;
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	for (i = 0; i < 200; i++) {
		where[i] = syn(&e, i);
		assert_int_equal(ack(&e, i), where[i]);
	}
	/* unwired, the second worker can only guess */
	w2 = peer_worker(&e, &ft, false);
	for (i = 0; i < 200; i++) {
		m = frag_needed(i);
		process_at(&e, w2, &m, 1, e.w->now);
		assert_int_equal(collect(w2, member, id, LB_TXBUF), 1);
		wrong += member[0] != where[i];
	}
	assert_true(wrong > 0);
	lb_flow_free(ft);
	rte_free(w2);
	/* wired as the app does: every error reaches its flow's member */
	w2 = peer_worker(&e, &ft, true);
	for (i = 0; i < 200; i++) {
		m = frag_needed(i);
		process_at(&e, w2, &m, 1, e.w->now);
		assert_int_equal(collect(w2, member, id, LB_TXBUF), 1);
		assert_int_equal(member[0], where[i]);
	}
	assert_int_equal(w2->stats[LB_STAT_ICMP_ERROR], 200);
	assert_int_equal(w2->stats[LB_STAT_FLOW_NEW], 0);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);
}

/* A restarted balancer learns its members one at a time (ARP, first
 * checks). Meanwhile, packets of existing connections go where the full
 * membership says (or wait, dropped and counted, while that member's MAC
 * is unknown), never to whichever member happens to be ready first, and
 * no entry pins them there. */
static void
dp_restart_converging_keeps_existing_connections(void **state)
{
	static const uint8_t mac3[6] = { 2, 0, 0, 0, 0, 0x13 };
	static const uint8_t mac4[6] = { 2, 0, 0, 0, 0, 0x14 };
	int where[300], got;
	struct env before, after;
	unsigned int waited = 0;
	uint32_t i;

	(void)state;
	env_init(&before, LB_SCHED_MAGLEV, 4096, NULL);
	for (i = 0; i < 300; i++)
		where[i] = syn(&before, i);
	env_fini(&before);

	/* restarted: fe3 and fe4 have not answered ARP yet */
	env_init_macs(&after, LB_SCHED_MAGLEV, 4096, NULL, 0x0c);
	for (i = 0; i < 300; i++) {
		got = ack(&after, i);
		if (got < 0) {
			waited++;
			assert_true(where[i] == 2 || where[i] == 3);
		} else {
			assert_int_equal(got, where[i]);
		}
	}
	assert_true(waited > 0);
	assert_int_equal(after.w->stats[LB_STAT_DROP_MEMBER_UNRESOLVED],
			 waited);
	/* new connections meanwhile go to members that are ready */
	for (i = 1000; i < 1100; i++) {
		got = syn(&after, i);
		assert_true(got == 0 || got == 1);
	}
	/* the MACs come: every connection is where it was */
	lb_core_member_set_mac(after.core, 2, mac3);
	lb_core_member_set_mac(after.core, 3, mac4);
	assert_int_equal(lb_core_commit(after.core), 1);
	for (i = 0; i < 300; i++)
		assert_int_equal(ack(&after, i), where[i]);
	assert_int_equal(after.w->stats[LB_STAT_FLOW_RESCHEDULED], 0);
	env_fini(&after);
}

/* A member that never answers ARP is unreachable: its connections move
 * instead of waiting for it forever (and Maglev moves few others). */
static void
dp_member_that_never_answers_arp_loses_its_flows(void **state)
{
	int where[300], got;
	struct env e;
	uint32_t i;
	unsigned int moved = 0, others = 0, disturbed = 0;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	for (i = 0; i < 300; i++)
		where[i] = syn(&e, i);
	env_fini(&e);
	env_init_macs(&e, LB_SCHED_MAGLEV, 4096, NULL, 0x08);
	lb_core_member_set_mac(e.core, 3, NULL);     /* resolution failed */
	assert_int_equal(lb_core_commit(e.core), 1);
	for (i = 0; i < 300; i++) {
		got = ack(&e, i);
		assert_true(got >= 0 && got != 3);
		if (where[i] == 3) {
			moved++;
		} else {
			others++;
			disturbed += got != where[i];
		}
	}
	assert_true(moved > 0);
	/* Maglev's minimal disruption: a few percent at most */
	if (disturbed * 20 > others)
		fail_msg("%u of %u connections of other members moved",
			 disturbed, others);
	env_fini(&e);
}

/* An ICMP error right behind its flow's SYN, in the same burst, finds
 * the flow the SYN just made. */
static void
dp_icmp_error_in_same_burst_as_its_syn(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_mbuf *pkts[LB_BURST];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	for (i = 0; i < 16; i++) {
		pkts[2 * i] = tcp_mbuf(i, 110, LB_TCP_SYN);
		pkts[2 * i + 1] = frag_needed(i);
	}
	process_at(&e, e.w, pkts, 32, 100);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 32);
	for (i = 0; i < 16; i++)
		assert_int_equal(member[2 * i + 1], member[2 * i]);
	env_fini(&e);
}

/* ---- ARP and the master's traffic ---- */

static struct rte_mbuf *
arp_request(const uint8_t *sha, const char *spa, const char *tpa)
{
	struct frame f;

	f.len = lb_pkt_arp_build(f.b, mac_bcast, LB_ARP_OP_REQUEST, sha,
				 ip4(spa), mac_bcast, ip4(tpa));
	return mbuf_of(&f);
}

/* The router's ARP for a VIP, and anyone's for the own address, is
 * answered by the worker in place, never by way of the master; a
 * standby balancer does not answer for VIPs. */
static void
dp_arp_for_vip_and_own_address_answered_in_place(void **state)
{
	static const uint8_t router[6] = { 2, 0, 0, 0, 0, 0xaa };
	struct lb_pkt_arp a;
	struct lb_pkt pk;
	struct rte_mbuf *m;
	struct env e;
	const uint8_t *p;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	env_rings(&e, 0, 0);
	m = arp_request(router, "198.51.100.1", "198.51.100.100");
	process_at(&e, e.w, &m, 1, 10);
	assert_int_equal(e.w->tx[0].n, 1);
	p = rte_pktmbuf_mtod(e.w->tx[0].m[0], const uint8_t *);
	assert_int_equal(lb_pkt_parse(p, 60, &pk), LB_PKT_ARP);
	lb_pkt_arp_read(p, &pk, &a);
	assert_int_equal(a.op, LB_ARP_OP_REPLY);
	assert_int_equal(a.spa, ip4("198.51.100.100"));
	assert_memory_equal(a.sha, mac_port, 6);
	assert_int_equal(a.tpa, ip4("198.51.100.1"));
	assert_memory_equal(p, router, 6);
	rte_pktmbuf_free(e.w->tx[0].m[0]);
	e.w->tx[0].n = 0;
	m = arp_request(router, "198.51.100.1", "198.51.100.2");
	process_at(&e, e.w, &m, 1, 10);
	assert_int_equal(e.w->tx[0].n, 1);
	rte_pktmbuf_free(e.w->tx[0].m[0]);
	e.w->tx[0].n = 0;
	assert_int_equal(e.w->stats[LB_STAT_ARP_REPLY_OUT], 2);
	assert_int_equal(rte_ring_count(e.prio), 0);
	/* standby: the VIP is not ours to answer for; the master sees it */
	lb_core_set_active(e.core, false);
	lb_core_commit(e.core);
	m = arp_request(router, "198.51.100.1", "198.51.100.100");
	process_at(&e, e.w, &m, 1, 10);
	assert_int_equal(e.w->tx[0].n, 0);
	assert_int_equal(ring_empty(e.prio), 1);
	/* a gratuitous ARP asks nothing: to the master, for learning */
	m = arp_request(router, "198.51.100.1", "198.51.100.1");
	process_at(&e, e.w, &m, 1, 10);
	assert_int_equal(e.w->tx[0].n, 0);
	assert_int_equal(ring_empty(e.prio), 1);
	env_fini(&e);
}

/* A flood of strangers' ARP is policed on its own: the members' ARP
 * (their answers to our requests) still reaches the master. Each class
 * has a bucket of a hundredth of a second of arp_pps, at least 64, and
 * the worker's clock stands still here (process_at): of the flood
 * exactly that many pass; then every one of fe2's 10 answers passes,
 * and none of the strangers' requests beside them. */
static void
dp_arp_flood_policed_members_still_heard(void **state)
{
	static const uint8_t stranger[6] = { 2, 0, 0, 0, 0, 0xee };
	static const uint8_t fe2[6] = { 2, 0, 0, 0, 0, 0x12 };
	const uint32_t burst = RTE_MAX(100 / 100, 64);   /* arp_pps 100 */
	struct rte_mbuf *pkts[LB_BURST];
	struct lb_pkt_arp a;
	struct lb_pkt pk;
	struct env e;
	uint32_t i, k;
	char spa[32];
	void *m;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	env_rings(&e, 0, 100);
	for (i = 0; i < 2048; i += LB_BURST) {
		for (k = 0; k < LB_BURST; k++) {
			snprintf(spa, sizeof(spa), "198.51.100.%u",
				 150 + (i + k) % 100);
			pkts[k] = arp_request(stranger, spa, "198.51.100.77");
		}
		process_at(&e, e.w, pkts, LB_BURST, 10);
	}
	assert_int_equal(e.w->stats[LB_STAT_DROP_ARP_POLICED], 2048 - burst);
	assert_int_equal(ring_empty(e.prio), burst);
	/* fe2 answers our request, in the middle of the flood */
	for (k = 0; k < 10; k++) {
		struct frame f;

		f.len = lb_pkt_arp_build(f.b, mac_port, LB_ARP_OP_REPLY, fe2,
					 ip4("198.51.100.12"), mac_port,
					 ip4("198.51.100.2"));
		pkts[0] = mbuf_of(&f);
		pkts[1] = arp_request(stranger, "198.51.100.99",
				      "198.51.100.77");
		process_at(&e, e.w, pkts, 2, 10);
	}
	assert_int_equal(e.w->stats[LB_STAT_DROP_ARP_POLICED],
			 2048 - burst + 10);
	for (k = 0; rte_ring_dequeue(e.prio, &m) == 0; k++) {
		const uint8_t *p = rte_pktmbuf_mtod((struct rte_mbuf *)m,
						    const uint8_t *);

		assert_int_equal(lb_pkt_parse(p, 60, &pk), LB_PKT_ARP);
		lb_pkt_arp_read(p, &pk, &a);
		assert_memory_equal(a.sha, fe2, 6);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(k, 10);
	env_fini(&e);
}

static struct rte_mbuf *
to_own(const uint8_t *src_mac, const char *src, uint8_t proto)
{
	struct frame f;

	f.len = 0;
	put(&f, mac_port, 6);
	put(&f, src_mac, 6);
	put16(&f, LB_ETHERTYPE_IPV4);
	ipv4(&f, proto, src, "198.51.100.2", 5, proto == LB_IPPROTO_TCP ?
	     20 : 8, 0, 0);
	if (proto == LB_IPPROTO_TCP)
		tcp(&f, 110, 40000, LB_TCP_SYN | LB_TCP_ACK, 5);
	else
		udp(&f, 40000, 9, 8);
	return mbuf_of(&f);
}

/* A flood at the own address is policed before it reaches the master;
 * a member's answers to health checks (its address and its MAC) are
 * policed on their own (unpoliced here) and take the trusted classes'
 * ring; a stranger borrowing a member's address without its MAC is
 * policed like anyone. */
static void
dp_own_address_flood_policed_member_answers_pass(void **state)
{
	static const uint8_t fe1[6] = { 2, 0, 0, 0, 0, 0x11 };
	struct rte_mbuf *pkts[LB_BURST];
	struct env e;
	uint64_t before;
	uint32_t i, k;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	env_rings(&e, 100, 0);
	for (i = 0; i < 2048; i += LB_BURST) {
		for (k = 0; k < LB_BURST; k++)
			pkts[k] = to_own(mac_client, "203.0.113.9",
					 LB_IPPROTO_UDP);
		process_at(&e, e.w, pkts, LB_BURST, 10);
	}
	assert_true(e.w->stats[LB_STAT_DROP_OWN_POLICED] >= 2048 - 100);
	assert_int_equal(ring_empty(e.bulk),
			 2048 - e.w->stats[LB_STAT_DROP_OWN_POLICED]);
	before = e.w->stats[LB_STAT_DROP_OWN_POLICED];
	for (k = 0; k < 20; k++) {
		pkts[0] = to_own(fe1, "198.51.100.11", LB_IPPROTO_TCP);
		pkts[1] = to_own(mac_client, "198.51.100.11", LB_IPPROTO_TCP);
		pkts[2] = to_own(mac_client, "203.0.113.9", LB_IPPROTO_UDP);
		process_at(&e, e.w, pkts, 3, 10);
	}
	/* every member answer passed, on the trusted ring; the 40 others
	 * were policed (the bucket is empty) */
	assert_int_equal(ring_empty(e.ctrl), 20);
	assert_int_equal(ring_empty(e.prio), 0);
	assert_int_equal(ring_empty(e.bulk) +
			 e.w->stats[LB_STAT_DROP_OWN_POLICED] - before, 40);
	env_fini(&e);
}

/* dataplane.exception_pps and arp_pps are rates for the whole balancer:
 * the workers' policers share them, so the master's load does not grow
 * with the number of workers, and no share is 0 (a policer switched
 * off) however many workers split a small rate. */
static void
dp_policed_rates_are_shared_by_the_workers(void **state)
{
	static const uint32_t totals[] = { 100, 999, 1000, 10000, 10000000 };
	unsigned int i, n;

	(void)state;
	assert_int_equal(lb_dp_rate_share(0, 4), 0);
	for (i = 0; i < RTE_DIM(totals); i++) {
		assert_int_equal(lb_dp_rate_share(totals[i], 1), totals[i]);
		for (n = 2; n <= 128; n++) {
			uint32_t share = lb_dp_rate_share(totals[i], n);

			assert_true(share >= 1);
			if (n <= totals[i])
				assert_true((uint64_t)share * n <= totals[i]);
		}
	}
	assert_int_equal(lb_dp_rate_share(10000, 2), 5000);
	assert_int_equal(lb_dp_rate_share(100, 128), 1);
}

/* ---- persistence ---- */

/* With persistence, new connections of a client go to the member it
 * used last, whichever worker receives them; after the timeout they are
 * scheduled again (and WRR spreads them). */
static void
dp_persistence_one_member_per_client_across_workers(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	unsigned int used[N_MEMBERS] = { 0 }, again[N_MEMBERS] = { 0 };
	struct lb_flow_table *ft;
	struct lb_worker *w2;
	struct env e;
	uint32_t c, j;
	int first, m;

	(void)state;
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	w2 = peer_worker(&e, &ft, true);
	for (c = 1; c <= 40; c++) {
		first = send_at(&e, e.w, CONN(c, 0), LB_TCP_SYN, 100);
		assert_true(first >= 0);
		used[first]++;
		for (j = 1; j <= 10; j++) {
			m = send_at(&e, j % 2 ? w2 : e.w, CONN(c, j),
				    LB_TCP_SYN, 100 + j);
			if (m != first)
				fail_msg("client %u: connection %u went to fe%d, its first to fe%d",
					 c, j, m + 1, first + 1);
		}
	}
	for (m = 0; m < N_MEMBERS; m++)
		assert_int_equal(used[m], 10);   /* WRR between clients */
	/* each new connection 16 s after the last: the record has expired
	 * every time, WRR goes round */
	for (j = 20; j < 28; j++) {
		m = send_at(&e, e.w, CONN(1, j), LB_TCP_SYN, 1000 + 16 * j);
		assert_true(m >= 0);
		again[m]++;
	}
	for (m = 0; m < N_MEMBERS; m++)
		assert_int_equal(again[m], 2);
	lb_flow_free(ft);
	rte_free(w2);
	env_fini(&e);
}

/* A draining member keeps its clients' new connections; a member that
 * goes down or is disabled loses them, and the record follows the
 * client to its new member. */
static void
dp_persistence_drain_keeps_down_and_disabled_break(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	uint32_t c, j;
	int a, b, d;

	(void)state;
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	a = send_at(&e, e.w, CONN(1, 0), LB_TCP_SYN, 100);
	assert_true(a >= 0);
	lb_core_member_set_state(e.core, (unsigned int)a, LB_ADMIN_DRAIN);
	assert_int_equal(lb_core_commit(e.core), 1);
	for (j = 1; j <= 5; j++)
		assert_int_equal(send_at(&e, e.w, CONN(1, j), LB_TCP_SYN,
					 100 + j), a);
	for (c = 2; c <= 20; c++)
		assert_int_not_equal(send_at(&e, e.w, CONN(c, 0), LB_TCP_SYN,
					     106), a);
	lb_core_member_set_state(e.core, (unsigned int)a, LB_ADMIN_UP);
	lb_core_health_set(e.core, (unsigned int)e.pop3, (unsigned int)a,
			   LB_HEALTH_DOWN);
	assert_int_equal(lb_core_commit(e.core), 1);
	b = send_at(&e, e.w, CONN(1, 10), LB_TCP_SYN, 110);
	assert_true(b >= 0 && b != a);
	lb_core_health_set(e.core, (unsigned int)e.pop3, (unsigned int)a,
			   LB_HEALTH_UP);
	assert_int_equal(lb_core_commit(e.core), 1);
	assert_int_equal(send_at(&e, e.w, CONN(1, 11), LB_TCP_SYN, 111), b);
	lb_core_member_set_state(e.core, (unsigned int)b, LB_ADMIN_DISABLED);
	assert_int_equal(lb_core_commit(e.core), 1);
	d = send_at(&e, e.w, CONN(1, 12), LB_TCP_SYN, 112);
	assert_true(d >= 0 && d != b);
	assert_int_equal(send_at(&e, e.w, CONN(1, 13), LB_TCP_SYN, 113), d);
	env_fini(&e);
}

/* Drain means no new clients even with persistence: a draining (or
 * weight 0) member's records still send their clients to it, but
 * nothing renews them (not a new connection, not a closing one), so
 * they lapse one timeout after the client's last activity before the
 * drain (IPVS needs expire_quiescent_template for this). */
static void
dp_persistence_drain_records_lapse(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	int a, b, c;

	(void)state;
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	a = send_at(&e, e.w, CONN(1, 0), LB_TCP_SYN, 100);
	assert_true(a >= 0);
	assert_int_equal(send_at(&e, e.w, CONN(1, 0), LB_TCP_ACK, 100), a);
	b = send_at(&e, e.w, CONN(2, 0), LB_TCP_SYN, 100);
	assert_true(b >= 0 && b != a);
	lb_core_member_set_state(e.core, (unsigned int)a, LB_ADMIN_DRAIN);
	lb_core_member_set_weight(e.core, (unsigned int)b, 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	/* within the record's life the clients still go where they went,
	 * a new connection every few seconds and a closing one */
	assert_int_equal(send_at(&e, e.w, CONN(1, 1), LB_TCP_SYN, 105), a);
	assert_int_equal(send_at(&e, e.w, CONN(2, 1), LB_TCP_SYN, 105), b);
	assert_int_equal(send_at(&e, e.w, CONN(1, 0), LB_TCP_FIN | LB_TCP_ACK,
				 110), a);
	assert_int_equal(send_at(&e, e.w, CONN(1, 2), LB_TCP_SYN, 114), a);
	assert_int_equal(send_at(&e, e.w, CONN(2, 2), LB_TCP_SYN, 114), b);
	/* 15 s after the last activity before the drain: elsewhere, and
	 * the new member's record holds from then on */
	c = send_at(&e, e.w, CONN(1, 3), LB_TCP_SYN, 116);
	assert_true(c >= 0 && c != a && c != b);
	assert_int_equal(send_at(&e, e.w, CONN(1, 4), LB_TCP_SYN, 117), c);
	c = send_at(&e, e.w, CONN(2, 3), LB_TCP_SYN, 116);
	assert_true(c >= 0 && c != a && c != b);
	/* the open connections stay on their drained members */
	assert_int_equal(send_at(&e, e.w, CONN(1, 2), LB_TCP_ACK, 118), a);
	assert_int_equal(send_at(&e, e.w, CONN(2, 2), LB_TCP_ACK, 118), b);
	env_fini(&e);
}

/* A member being removed with drain keeps its flows, takes no new ones,
 * and loses its persistent clients (as a real server deleted from IPVS
 * loses its templates), even if its flows' FINs come later. */
static void
dp_persistence_broken_by_removal_with_drain(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	int a, b;

	(void)state;
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	a = send_at(&e, e.w, CONN(1, 0), LB_TCP_SYN, 100);
	assert_true(a >= 0);
	assert_int_equal(send_at(&e, e.w, CONN(1, 0), LB_TCP_ACK, 100), a);
	assert_int_equal(lb_core_member_retire(e.core, (unsigned int)a), 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	/* the open connection stays, and its FIN refreshes nothing */
	assert_int_equal(send_at(&e, e.w, CONN(1, 0), LB_TCP_ACK, 101), a);
	assert_int_equal(send_at(&e, e.w, CONN(1, 0), LB_TCP_FIN | LB_TCP_ACK,
				 102), a);
	/* the client's next connections go elsewhere, and stay together */
	b = send_at(&e, e.w, CONN(1, 1), LB_TCP_SYN, 103);
	assert_true(b >= 0 && b != a);
	assert_int_equal(send_at(&e, e.w, CONN(1, 2), LB_TCP_SYN, 104), b);
	env_fini(&e);
}

/* A member that takes a removed member's slot inherits none of its
 * clients, even from a record a worker on the old snapshot wrote after
 * the removal (nothing sweeps the tables: the record names the
 * generation). The newcomer has weight 0 here, so only an inherited
 * record could send the client to it. */
static void
dp_persistence_reused_slot_inherits_no_client(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_member nm = { .name = "fe9", .weight = 0,
		.has_mac = true, .mac = { 2, 0, 0, 0, 0, 0 } };
	const struct lb_snap_service *svc;
	struct env e;
	uint32_t gen;
	int a, b, i;

	(void)state;
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	a = send_at(&e, e.w, CONN(1, 0), LB_TCP_SYN, 100);
	assert_true(a >= 0);
	gen = lb_core_snapshot(e.core)->members[a].gen;
	assert_int_equal(lb_core_member_remove(e.core, (unsigned int)a), 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	/* the service's table outlives snapshots */
	svc = &lb_core_snapshot(e.core)->services[e.pop3];
	/* a late write of the old member's record, as a worker still on
	 * the snapshot before the removal makes it */
	lb_persist_store(svc->persist, ip4("203.0.113.1"), (uint16_t)a,
			 gen, 101, 15);
	nm.addr = lb_ip_from4(ip4("198.51.100.19"));
	nm.mac[5] = (uint8_t)(0x11 + a);   /* take_one() names it a */
	assert_int_equal(lb_core_member_add(e.core, &nm), a);
	assert_int_equal(lb_core_commit(e.core), 1);
	assert_int_not_equal(lb_core_snapshot(e.core)->members[a].gen, gen);
	for (i = 1; i <= 4; i++) {
		b = send_at(&e, e.w, CONN(1, i), LB_TCP_SYN, 102);
		assert_true(b >= 0);
		assert_int_not_equal(b, a);
	}
	env_fini(&e);
}

/* The timeout counts from the client's last activity: a new connection
 * or the end of one (its FIN), not every packet (no shared write per
 * packet). */
static void
dp_persistence_refreshed_by_new_and_closing_flows(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	uint32_t t;
	int a;

	(void)state;
	env_init_persist(&e, LB_SCHED_WRR, w, 15, 32);
	a = send_at(&e, e.w, CONN(1, 0), LB_TCP_SYN, 100);
	for (t = 101; t < 115; t++)
		assert_int_equal(send_at(&e, e.w, CONN(1, 0), LB_TCP_ACK, t), a);
	/* ACKs did not refresh it: expired at 115, WRR moves on */
	assert_int_not_equal(send_at(&e, e.w, CONN(1, 1), LB_TCP_SYN, 116), a);

	a = send_at(&e, e.w, CONN(2, 0), LB_TCP_SYN, 200);
	assert_int_equal(send_at(&e, e.w, CONN(2, 0), LB_TCP_ACK, 201), a);
	assert_int_equal(send_at(&e, e.w, CONN(2, 0), LB_TCP_FIN | LB_TCP_ACK,
				 210), a);
	/* the FIN at 210 keeps it until 225 */
	assert_int_equal(send_at(&e, e.w, CONN(2, 1), LB_TCP_SYN, 224), a);
	/* and that SYN until 239 */
	assert_int_equal(send_at(&e, e.w, CONN(2, 2), LB_TCP_SYN, 238), a);
	env_fini(&e);
}

/* Maglev with persistence hashes the (masked) client, not the
 * connection: every connection of a client, or of its /24, lands on one
 * member, and a restarted balancer (no flows, no records) puts a
 * connection it never saw where it was. */
static void
dp_persistence_maglev_hashes_the_client(void **state)
{
	struct env e, r;
	int where[64], m;
	uint32_t c;

	(void)state;
	env_init_persist(&e, LB_SCHED_MAGLEV, NULL, 15, 24);
	for (c = 1; c < 64; c++) {
		/* 203.0.113.c and, from c = 32, 203.0.114.c */
		uint32_t i = c < 32 ? CONN(c, 0) : CONN(256 + c, 0);

		where[c] = send_at(&e, e.w, i, LB_TCP_SYN, 100);
		assert_true(where[c] >= 0);
		assert_int_equal(where[c], where[c < 32 ? 1 : 32]);
	}
	env_init_persist(&r, LB_SCHED_MAGLEV, NULL, 15, 24);
	for (c = 1; c < 64; c++) {
		uint32_t i = c < 32 ? CONN(c, 7) : CONN(256 + c, 7);

		m = send_at(&r, r.w, i, LB_TCP_ACK, 5000);
		assert_int_equal(m, where[c]);
	}
	assert_int_equal(r.w->stats[LB_STAT_FLOW_MIDSTREAM], 63);
	env_fini(&r);
	env_fini(&e);
}

/* A new Maglev table (a weight changed) would move some clients; their
 * records keep them where they were while they are active. */
static void
dp_persistence_keeps_clients_when_the_table_changes(void **state)
{
	struct env e, r;
	int where[200];
	uint32_t c, moved = 0;

	(void)state;
	env_init_persist(&e, LB_SCHED_MAGLEV, NULL, 15, 32);
	env_init_persist(&r, LB_SCHED_MAGLEV, NULL, 15, 32);
	for (c = 1; c < 200; c++)
		where[c] = send_at(&e, e.w, CONN(c, 0), LB_TCP_SYN, 100);
	lb_core_member_set_weight(e.core, 0, 1000);
	lb_core_member_set_weight(r.core, 0, 1000);
	assert_int_equal(lb_core_commit(e.core), 1);
	assert_int_equal(lb_core_commit(r.core), 1);
	for (c = 1; c < 200; c++) {
		assert_int_equal(send_at(&e, e.w, CONN(c, 1), LB_TCP_SYN, 105),
				 where[c]);
		/* the same configuration without the records */
		moved += send_at(&r, r.w, CONN(c, 1), LB_TCP_SYN, 105) !=
			 where[c];
	}
	assert_true(moved > 0);
	env_fini(&r);
	env_fini(&e);
}

/* Stateful UDP: the first datagram of each new flow (source port) of a
 * client goes where the client's last one went. */
static void
dp_persistence_udp_flows_of_a_client(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_service dns = { .name = "dns", .proto = LB_IPPROTO_UDP,
		.port_lo = 53, .port_hi = 53, .sched = LB_SCHED_WRR,
		.table_size = 1009, .persistence = 15, .persist_prefix = 32 };
	int member[LB_TXBUF], first[5];
	uint16_t id[LB_TXBUF];
	struct rte_mbuf *m;
	struct env e;
	uint32_t c, k;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	assert_true(lb_core_service_add(e.core, &dns, NULL, 0) >= 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	for (k = 0; k < 6; k++)
		for (c = 1; c <= 4; c++) {
			/* client 203.0.113.(c + 1), source port 20000 + i */
			m = udp_fragment(c + 250 * k, 53, (uint16_t)k, 0, 1);
			e.w->now_s = 100 + k;
			process_at(&e, e.w, &m, 1, (100 + k) * 1000);
			assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
			if (k == 0)
				first[c] = member[0];
			else
				assert_int_equal(member[0], first[c]);
		}
	/* WRR spread the clients themselves */
	for (c = 2; c <= 4; c++)
		assert_int_not_equal(first[c], first[1]);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 24);
	env_fini(&e);
}

/* ---- wlc and the per-member counts ---- */

/* The counts of a worker's table as its entries say, checked against
 * what it publishes. */
static void
check_member_counts(const struct lb_flow_table *t)
{
	uint32_t act[N_MEMBERS] = { 0 }, inact[N_MEMBERS] = { 0 }, a, in, p;
	uint32_t svc[LB_MAX_SERVICES][2] = { { 0 } }, stale[2] = { 0 };
	uint16_t m;

	for (p = 0; p < t->n_pos; p++) {
		const struct lb_flow_entry *e = lb_flow_at(t, p);

		if (e->state == 0)
			continue;
		assert_true(e->member < N_MEMBERS);
		svc[e->svc][lb_flow_active_state(e->state)]++;
		/* a flow of an earlier member of its slot counts as stale */
		if (e->member_gen != t->mcount[e->member].gen)
			stale[lb_flow_active_state(e->state)]++;
		else if (lb_flow_active_state(e->state))
			act[e->member]++;
		else
			inact[e->member]++;
	}
	for (m = 0; m < LB_MAX_MEMBERS; m++) {
		lb_flow_member_flows(t, m, t->mcount[m].gen, &a, &in);
		if (m >= N_MEMBERS) {
			assert_int_equal(a + in, 0);
			continue;
		}
		if (a != act[m] || in != inact[m])
			fail_msg("fe%u: %u active %u inactive counted, %u and %u in the table",
				 m + 1, a, in, act[m], inact[m]);
	}
	assert_int_equal(t->stale.active, stale[1]);
	assert_int_equal(t->stale.inactive, stale[0]);
	for (m = 0; m < LB_MAX_SERVICES; m++) {
		lb_flow_service_flows(t, m, &a, &in);
		assert_int_equal(a, svc[m][1]);
		assert_int_equal(in, svc[m][0]);
	}
}

/* wlc sends established connections in proportion to the weights (the
 * least active flows per weight first). */
static void
dp_wlc_follows_weights(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 2, 4 };
	struct env e;
	uint32_t i, a, in;
	uint16_t m;

	(void)state;
	env_init(&e, LB_SCHED_WLC, 4096, w);
	for (i = 0; i < 800; i++) {
		int got = syn(&e, i);

		assert_true(got >= 0);
		assert_int_equal(ack(&e, i), got);
	}
	for (m = 0; m < N_MEMBERS; m++) {
		lb_flow_member_flows(e.flows, m,
			     lb_core_snapshot(e.core)->members[m].gen, &a, &in);
		assert_int_equal(in, 0);
		if (a + 2 < 100 * w[m] || a > 100 * w[m] + 2)
			fail_msg("fe%u (weight %u) has %u of 800 connections",
				 m + 1, w[m], a);
	}
	check_member_counts(e.flows);
	env_fini(&e);
}

/* An established flow weighs 256 flows being opened (IPVS): a member
 * with one established flow gets new ones before a member with 100 SYNs
 * does not, and after it has 300. */
static void
dp_wlc_weighs_established_flows_256_times(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WLC, 4096, w);
	/* fe1 and fe2 only; flows steered by draining the other */
	lb_core_member_set_state(e.core, 2, LB_ADMIN_DISABLED);
	lb_core_member_set_state(e.core, 3, LB_ADMIN_DISABLED);
	lb_core_member_set_state(e.core, 1, LB_ADMIN_DRAIN);
	lb_core_commit(e.core);
	assert_int_equal(syn(&e, 0), 0);
	assert_int_equal(ack(&e, 0), 0);            /* fe1: 256 */
	lb_core_member_set_state(e.core, 1, LB_ADMIN_UP);
	lb_core_member_set_state(e.core, 0, LB_ADMIN_DRAIN);
	lb_core_commit(e.core);
	for (i = 1; i <= 100; i++)
		assert_int_equal(syn(&e, i), 1);    /* fe2: 100 */
	lb_core_member_set_state(e.core, 0, LB_ADMIN_UP);
	lb_core_commit(e.core);
	assert_int_equal(syn(&e, 101), 1);          /* 101 < 256 */
	lb_core_member_set_state(e.core, 0, LB_ADMIN_DRAIN);
	lb_core_commit(e.core);
	for (i = 102; i <= 300; i++)
		assert_int_equal(syn(&e, i), 1);    /* fe2: 300 */
	lb_core_member_set_state(e.core, 0, LB_ADMIN_UP);
	lb_core_commit(e.core);
	assert_int_equal(syn(&e, 301), 0);          /* 256 < 300 */
	check_member_counts(e.flows);
	env_fini(&e);
}

/* On an idle worker every count is 0 between connections: ties go
 * round the members, not all to the first. */
static void
dp_wlc_ties_go_round_the_members(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	unsigned int got[N_MEMBERS] = { 0 };
	struct env e;
	uint32_t i, seq;
	int m;

	(void)state;
	env_init(&e, LB_SCHED_WLC, 4096, w);
	for (i = 0; i < 8; i++) {
		m = syn(&e, i);
		assert_true(m >= 0);
		got[m]++;
		/* the connection is gone before the next one comes */
		seq = lb_dp_flows_flush_request(e.w, LB_DP_ANY, LB_DP_ANY);
		while (!lb_dp_flows_flush_done(e.w, seq, NULL))
			lb_dp_flows_flush_step(e.w, LB_FLUSH_BUDGET);
	}
	for (m = 0; m < N_MEMBERS; m++)
		assert_int_equal(got[m], 2);
	env_fini(&e);
}

/* Whatever happens to flows in the data path (opened, confirmed,
 * closed, reused, rescheduled off a member that went down, evicted,
 * expired, swept), the per-member counts equal what the table holds,
 * and come back to zero when every flow has gone. */
static void
dp_member_counts_follow_flows(void **state)
{
	static const uint8_t flags[] = { LB_TCP_SYN, LB_TCP_ACK, LB_TCP_ACK,
		LB_TCP_FIN | LB_TCP_ACK, LB_TCP_RST };
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct env e;
	uint32_t i, now = 1000, a, in, x = 7;
	uint16_t m;

	(void)state;
	env_init(&e, LB_SCHED_WLC, 1024, w);
	for (i = 0; i < 30000; i++) {
		x = x * 1103515245u + 12345u;
		send_at(&e, e.w, (x >> 8) % 3000, flags[(x >> 20) % 5], now);
		if (i % 64 == 0) {
			now++;
			lb_flow_sweep(e.flows, now * 1000, LB_SWEEP_BUDGET);
		}
		if (i % 5000 == 2500) {   /* a member fails, then recovers */
			lb_core_health_set(e.core, (unsigned int)e.pop3,
					   (i / 5000) % N_MEMBERS,
					   LB_HEALTH_DOWN);
			lb_core_commit(e.core);
		} else if (i % 5000 == 4999) {
			lb_core_health_set(e.core, (unsigned int)e.pop3,
					   (i / 5000) % N_MEMBERS,
					   LB_HEALTH_UP);
			lb_core_commit(e.core);
		}
		if (i % 1000 == 0)
			check_member_counts(e.flows);
	}
	check_member_counts(e.flows);
	assert_true(e.w->stats[LB_STAT_FLOW_EVICTED] > 0);
	assert_true(e.w->stats[LB_STAT_FLOW_RESCHEDULED] > 0);
	assert_true(e.w->stats[LB_STAT_FLOW_REUSED] > 0);
	/* everything expires and is swept */
	for (i = 0; i < e.flows->n_pos; i += LB_SWEEP_BUDGET)
		lb_flow_sweep(e.flows, (now + 100000) * 1000, LB_SWEEP_BUDGET);
	assert_int_equal(e.flows->count, 0);
	for (m = 0; m < LB_MAX_MEMBERS; m++) {
		lb_flow_member_flows(e.flows, m,
			     lb_core_snapshot(e.core)->members[m].gen, &a, &in);
		assert_int_equal(a + in, 0);
	}
	env_fini(&e);
}

/* A member removed and its slot reused by a new member: the old
 * member's flows move once, their counts with them, and stay where they
 * moved (also when the new member in the same slot took them). */
static void
dp_flows_of_retired_slot_move_once(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_member nm = { .name = "fe9", .weight = 1,
		.has_mac = true, .mac = { 2, 0, 0, 0, 0, 0x13 } };
	int where[200], moved[200];
	unsigned int on2 = 0;
	struct env e;
	uint32_t i, a, in;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	for (i = 0; i < 200; i++) {
		where[i] = syn(&e, i);
		assert_int_equal(ack(&e, i), where[i]);
		on2 += where[i] == 2;
	}
	assert_true(on2 > 0);
	assert_int_equal(lb_core_member_remove(e.core, 2), 0);
	nm.addr = lb_ip_from4(ip4("198.51.100.19"));
	assert_int_equal(lb_core_member_add(e.core, &nm), 2);
	assert_int_equal(lb_core_commit(e.core), 1);
	for (i = 0; i < 200; i++) {
		moved[i] = ack(&e, i);
		assert_true(moved[i] >= 0);
		if (where[i] != 2)
			assert_int_equal(moved[i], where[i]);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], on2);
	for (i = 0; i < 200; i++)
		assert_int_equal(ack(&e, i), moved[i]);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], on2);
	check_member_counts(e.flows);
	lb_flow_member_flows(e.flows, 2,
			     lb_core_snapshot(e.core)->members[2].gen, &a, &in);
	for (i = 0, on2 = 0; i < 200; i++)
		on2 += moved[i] == 2;
	assert_int_equal(a, on2);
	env_fini(&e);
}

/* wlc counts a member's own flows: one that takes a removed member's
 * slot starts at none, though the removed one's flows are still in the
 * table (they go when their next packets reschedule them), so it takes
 * the new flows until it has its share. */
static void
dp_wlc_new_member_in_reused_slot_counts_from_zero(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_member nm = { .name = "fe9", .weight = 1,
		.has_mac = true, .mac = { 2, 0, 0, 0, 0, 0x13 } };
	struct env e;
	uint32_t i, a, in, old2 = 0;
	int got[N_MEMBERS] = { 0 };

	(void)state;
	env_init(&e, LB_SCHED_WLC, 4096, w);
	for (i = 0; i < 200; i++) {
		int m = syn(&e, i);

		assert_int_equal(ack(&e, i), m);
		old2 += m == 2;
	}
	assert_true(old2 >= 40);
	assert_int_equal(lb_core_member_remove(e.core, 2), 0);
	nm.addr = lb_ip_from4(ip4("198.51.100.19"));
	assert_int_equal(lb_core_member_add(e.core, &nm), 2);
	assert_int_equal(lb_core_commit(e.core), 1);
	/* the removed member's flows still count, as stale */
	lb_flow_member_flows(e.flows, 2, lb_core_snapshot(e.core)->members[2].gen,
			     &a, &in);
	assert_int_equal(a + in, 0);
	check_member_counts(e.flows);
	/* the next 40 new connections: fe9 takes as many as wlc gives the
	 * least loaded, all of them until it catches up */
	for (i = 200; i < 240; i++) {
		int m = syn(&e, i);

		assert_true(m >= 0);
		got[m]++;
		assert_int_equal(ack(&e, i), m);
	}
	assert_int_equal(got[2], 40);
	check_member_counts(e.flows);
	env_fini(&e);
}

/* Member generations are 32 bits: a slot reused more than 65,536 times
 * still keeps its flows where they are, counts them as its member's and
 * its persistence records (a 16-bit generation anywhere on the way
 * would reschedule every packet's flow). */
static void
dp_member_generation_past_16_bits(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_member nm = { .name = "fe3", .weight = 1,
		.has_mac = true, .mac = { 2, 0, 0, 0, 0, 0x13 } };
	struct env e;
	uint32_t i, a, in, on2 = 0;
	int where[100];

	(void)state;
	env_init_persist(&e, LB_SCHED_WLC, w, 15, 32);
	nm.addr = lb_ip_from4(ip4("198.51.100.13"));
	for (i = 0; i < 70000; i++) {
		assert_int_equal(lb_core_member_remove(e.core, 2), 0);
		assert_int_equal(lb_core_member_add(e.core, &nm), 2);
	}
	assert_int_equal(lb_core_commit(e.core), 1);
	assert_true(lb_core_snapshot(e.core)->members[2].gen > 65536);
	for (i = 0; i < 100; i++) {
		where[i] = send_at(&e, e.w, CONN(1 + i, 0), LB_TCP_SYN, 100);
		assert_true(where[i] >= 0);
		on2 += where[i] == 2;
	}
	assert_true(on2 > 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(send_at(&e, e.w, CONN(1 + i, 0), LB_TCP_ACK,
					 101), where[i]);
		/* the client's record names the member: its next one too */
		assert_int_equal(send_at(&e, e.w, CONN(1 + i, 1), LB_TCP_SYN,
					 102), where[i]);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], 0);
	lb_flow_member_flows(e.flows, 2,
			     lb_core_snapshot(e.core)->members[2].gen, &a, &in);
	assert_int_equal(a + in, 2 * on2);
	check_member_counts(e.flows);
	env_fini(&e);
}

/* ---- flows.flush and flows.list ---- */

/* 100 established flows of each service; where[i] their members. */
static void
two_services_of_flows(struct env *e, int *pop3, int *smtp)
{
	uint32_t i;

	for (i = 0; i < 100; i++) {
		pop3[i] = syn(e, i);
		assert_int_equal(ack(e, i), pop3[i]);
		smtp[i] = send_tcp(e, e->w, 500 + i, 25, LB_TCP_SYN);
		assert_int_equal(send_tcp(e, e->w, 500 + i, 25, LB_TCP_ACK),
				 smtp[i]);
	}
}

/* Run a worker's side of a flush until request seq is done; the number
 * of steps it took. */
static unsigned int
flush_until_done(struct lb_worker *w, uint32_t seq, uint32_t budget)
{
	unsigned int steps = 0;

	while (!lb_dp_flows_flush_done(w, seq, NULL)) {
		lb_dp_flows_flush_step(w, budget);
		assert_true(++steps < 100000);
	}
	return steps;
}

/* The master asks, the worker removes the flows of a service, a bounded
 * number of positions per loop, and says how many; the other service's
 * flows stay; the flushed flows' next packets are scheduled anew. */
static void
dp_flows_flush_by_service(void **state)
{
	int pop3[100], smtp[100];
	uint32_t seq, n = 12345, i, a, in;
	unsigned int steps;
	struct env e;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	two_services_of_flows(&e, pop3, smtp);
	seq = lb_dp_flows_flush_request(e.w, e.pop3, LB_DP_ANY);
	assert_true(seq != 0);
	assert_false(lb_dp_flows_flush_done(e.w, seq, &n));
	assert_int_equal(n, 12345);
	steps = flush_until_done(e.w, seq, 256);
	assert_true(steps >= e.flows->n_pos / 256);
	assert_true(lb_dp_flows_flush_done(e.w, seq, &n));
	assert_int_equal(n, 100);
	assert_int_equal(e.w->stats[LB_STAT_FLOWS_FLUSHED], 100);
	assert_int_equal(e.flows->count, 100);
	check_member_counts(e.flows);
	for (i = 0; i < 100; i++)
		assert_int_equal(send_tcp(&e, e.w, 500 + i, 25, LB_TCP_ACK),
				 smtp[i]);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 0);
	for (i = 0; i < 100; i++)   /* Maglev: where they were */
		assert_int_equal(ack(&e, i), pop3[i]);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 100);
	/* nothing more to do: the worker does not walk again */
	assert_int_equal(lb_dp_flows_flush_step(e.w, LB_FLUSH_BUDGET), 0);
	assert_int_equal(e.w->flush_pos, e.flows->n_pos);
	lb_flow_member_flows(e.flows, 0,
			     lb_core_snapshot(e.core)->members[0].gen, &a, &in);
	assert_true(a > 0);
	env_fini(&e);
}

/* By member (every service), by service and member; a newer request
 * replaces one the worker has not finished. */
static void
dp_flows_flush_by_member_and_newer_request_wins(void **state)
{
	int pop3[100], smtp[100];
	uint32_t seq1, seq2, n, i, want = 0, a, in;
	unsigned int early;
	struct env e;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	two_services_of_flows(&e, pop3, smtp);
	for (i = 0; i < 100; i++)
		want += (pop3[i] == 1) + (smtp[i] == 1);
	seq1 = lb_dp_flows_flush_request(e.w, LB_DP_ANY, 1);
	flush_until_done(e.w, seq1, LB_FLUSH_BUDGET);
	assert_true(lb_dp_flows_flush_done(e.w, seq1, &n));
	assert_int_equal(n, want);
	lb_flow_member_flows(e.flows, 1,
			     lb_core_snapshot(e.core)->members[1].gen, &a, &in);
	assert_int_equal(a + in, 0);
	check_member_counts(e.flows);

	/* pop3 of fe1, then (before the worker is done) everything of fe3 */
	seq1 = lb_dp_flows_flush_request(e.w, e.pop3, 0);
	early = lb_dp_flows_flush_step(e.w, 16);
	seq2 = lb_dp_flows_flush_request(e.w, LB_DP_ANY, 2);
	assert_int_equal(seq2, seq1 + 1);
	flush_until_done(e.w, seq2, LB_FLUSH_BUDGET);
	n = 12345;
	assert_true(lb_dp_flows_flush_done(e.w, seq1, &n));
	assert_int_equal(n, 12345);         /* replaced: no count of its own */
	for (i = 0, want = 0; i < 100; i++)
		want += (pop3[i] == 2) + (smtp[i] == 2);
	assert_true(lb_dp_flows_flush_done(e.w, seq2, &n));
	assert_int_equal(n, want);
	lb_flow_member_flows(e.flows, 0,
			     lb_core_snapshot(e.core)->members[0].gen, &a, &in);
	for (i = 0, want = 0; i < 100; i++)
		want += (pop3[i] == 0) + (smtp[i] == 0);
	/* fe1's pop3 flows after the first 16 positions stayed */
	assert_true(early < want);
	assert_int_equal(a, want - early);
	check_member_counts(e.flows);
	env_fini(&e);
}

/* The master reads a worker's flows page by page with a cursor, with
 * filters; every flow once, with its service, member and state. */
static void
dp_flows_walk_pages_and_filters(void **state)
{
	int pop3[100], smtp[100], seen[1000] = { 0 };
	struct lb_dp_flow out[7];
	struct lb_dp_flow_filter f = { .svc = LB_DP_ANY, .member = LB_DP_ANY };
	uint32_t cursor = 0, total = 0, n, k, i;
	struct env e;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	two_services_of_flows(&e, pop3, smtp);
	send_tcp(&e, e.w, 7, 110, LB_TCP_FIN | LB_TCP_ACK);
	while (cursor != LB_DP_WALK_END) {
		n = lb_dp_flows_walk(e.w, NULL, &cursor, out, 7, UINT32_MAX);
		assert_true(n <= 7);
		for (k = 0; k < n; k++) {
			const struct lb_dp_flow *fl = &out[k];

			i = (ntohl(fl->key.src_ip) & 0xff) |
			    ((ntohl(fl->key.src_ip) >> 8 & 0xff) - 113) << 8;
			assert_true(i < 1000);
			seen[i]++;
			assert_int_equal(fl->key.dst_ip, ip4("198.51.100.100"));
			assert_int_equal(fl->key.proto, LB_IPPROTO_TCP);
			if (fl->key.dst_port == 110) {
				assert_int_equal(fl->svc, e.pop3);
				assert_int_equal(fl->member, pop3[i]);
			} else {
				assert_int_equal(fl->key.dst_port, 25);
				assert_int_equal(fl->svc, e.smtp);
				assert_int_equal(fl->member, smtp[i - 500]);
			}
			assert_int_equal(fl->state, i == 7 ?
					 LB_FLOW_TCP_CLOSING : LB_FLOW_TCP_EST);
			assert_true(fl->expires_in_ms <= (i == 7 ? 10000u :
							   900000u));
			total++;
		}
	}
	assert_int_equal(total, 200);
	for (i = 0; i < 100; i++) {
		assert_int_equal(seen[i], 1);
		assert_int_equal(seen[500 + i], 1);
	}
	/* filters: a service, a member, a client */
	f.svc = e.smtp;
	f.member = smtp[0];
	for (i = 0, k = 0; i < 100; i++)
		k += smtp[i] == smtp[0];
	cursor = 0;
	total = 0;
	while (cursor != LB_DP_WALK_END) {
		n = lb_dp_flows_walk(e.w, &f, &cursor, out, 7, 100);
		for (i = 0; i < n; i++) {
			assert_int_equal(out[i].svc, e.smtp);
			assert_int_equal(out[i].member, smtp[0]);
		}
		total += n;
	}
	assert_int_equal(total, k);
	f = (struct lb_dp_flow_filter){ .svc = LB_DP_ANY, .member = LB_DP_ANY,
		.client = ipx("203.0.113.9"), .client_prefix = 32 };
	cursor = 0;
	n = 0;
	while (cursor != LB_DP_WALK_END)
		n += lb_dp_flows_walk(e.w, &f, &cursor, out, 7, UINT32_MAX);
	assert_int_equal(n, 1);
	/* the scan bound holds whatever the filter finds */
	cursor = 0;
	f.client = ipx("192.0.2.1");
	assert_int_equal(lb_dp_flows_walk(e.w, &f, &cursor, out, 7, 10), 0);
	assert_int_equal(cursor, 10);
	env_fini(&e);
}

/* Packets the port accepted are counted as sent, per burst. */
static void
dp_tx_counts_what_the_port_took(void **state)
{
	struct rte_mbuf *pkts[10];
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	for (i = 0; i < 10; i++)
		pkts[i] = tcp_mbuf(i, 110, LB_TCP_SYN);
	process_at(&e, e.w, pkts, 10, 10);
	assert_int_equal(e.w->stats[LB_STAT_TX], 0);
	lb_dp_flush(e.w);
	assert_int_equal(e.w->stats[LB_STAT_TX], 10);
	assert_int_equal(e.w->stats[LB_STAT_FWD], 10);
	env_fini(&e);
}

/* ---- high availability: VRRP, ECMP ---- */

static const uint8_t mac_vrrp[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12 };
static const uint8_t mac_ospf[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x05 };

/* A VRRPv3 advertisement (VRID 51, priority 100, the VIP) from src, to
 * group at dmac, with the given protocol and TTL. */
static struct rte_mbuf *
vrrp_mbuf(const char *src, const uint8_t *dmac, uint8_t proto,
	  const char *group, uint8_t ttl)
{
	struct frame f;

	eth(&f, dmac, LB_ETHERTYPE_IPV4);
	ipv4(&f, proto, src, group, 5, 12, 0, 0);
	f.b[f.ip_off + 8] = ttl;
	put32(&f, 0x31336401);   /* v3 advertisement, VRID 51, prio 100, 1 */
	put32(&f, 0x00640000);   /* 1 s interval, checksum */
	put32(&f, 0xc6336464);   /* 198.51.100.100 */
	return mbuf_of(&f);
}

static struct rte_mbuf *
vrrp_good(const char *src)
{
	return vrrp_mbuf(src, mac_vrrp, LB_IPPROTO_VRRP, "224.0.0.18", 255);
}

/* Process one packet; nothing may be sent back for it. */
static void
one_silent(struct env *e, struct rte_mbuf *m)
{
	process_at(e, e->w, &m, 1, 10);
	assert_int_equal(e->w->tx[0].n, 0);
}

/* Mode vrrp: an advertisement from a peer on the port's segment goes to
 * the master (for keepalived on the kernel interface) on the trusted
 * classes' ring, standby or active; one from elsewhere, or carrying the port's
 * own address, is dropped as drop_vrrp; other multicast stays dropped.
 * Once active the balancer answers ARP for the VIP itself. */
static void
dp_vrrp_adverts_reach_the_master_in_mode_vrrp(void **state)
{
	static const uint8_t router[6] = { 2, 0, 0, 0, 0, 0xaa };
	const struct lb_conf_ha ha = { .mode = LB_HA_VRRP,
		.start_standby = true };
	struct rte_mbuf *m;
	struct env e;

	(void)state;
	env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha);
	env_rings(&e, 0, 0);
	assert_false(lb_core_active(e.core));
	assert_int_equal(lb_core_snapshot(e.core)->vrrp, 1);
	/* standby: keepalived must hear its peers to take over */
	one_silent(&e, vrrp_good("198.51.100.3"));
	assert_int_equal(e.w->stats[LB_STAT_VRRP_IN], 1);
	assert_int_equal(e.w->stats[LB_STAT_TO_MASTER], 1);
	assert_int_equal(rte_ring_count(e.ctrl), 1);
	assert_int_equal(rte_ring_count(e.prio) + rte_ring_count(e.bulk), 0);
	assert_int_equal(ring_empty(e.ctrl), 1);
	/* from outside the port's subnet, from the port's own address */
	one_silent(&e, vrrp_good("192.0.2.3"));
	one_silent(&e, vrrp_good("198.51.101.3"));
	one_silent(&e, vrrp_good("198.51.100.2"));
	assert_int_equal(e.w->stats[LB_STAT_DROP_VRRP], 3);
	/* not sent on this link; another group; another protocol */
	one_silent(&e, vrrp_mbuf("198.51.100.3", mac_vrrp, LB_IPPROTO_VRRP,
				 "224.0.0.18", 64));
	assert_int_equal(e.w->stats[LB_STAT_DROP_IP_DST_BCAST], 1);
	one_silent(&e, vrrp_mbuf("198.51.100.3", mac_ospf, 89, "224.0.0.5",
				 1));
	assert_int_equal(e.w->stats[LB_STAT_DROP_IP_DST_BCAST], 2);
	assert_int_equal(e.w->stats[LB_STAT_VRRP_IN], 1);
	assert_int_equal(e.w->stats[LB_STAT_DROP_VRRP], 3);
	assert_int_equal(rte_ring_count(e.prio) + rte_ring_count(e.ctrl) +
			 rte_ring_count(e.bulk), 0);
	/* standby: no ARP for the VIP; active: answered in place */
	m = arp_request(router, "198.51.100.1", "198.51.100.100");
	one_silent(&e, m);
	assert_int_equal(ring_empty(e.prio), 1);
	lb_core_set_active(e.core, true);
	assert_int_equal(lb_core_commit(e.core), 1);
	m = arp_request(router, "198.51.100.1", "198.51.100.100");
	process_at(&e, e.w, &m, 1, 10);
	assert_int_equal(e.w->tx[0].n, 1);
	assert_int_equal(e.w->stats[LB_STAT_ARP_REPLY_OUT], 1);
	rte_pktmbuf_free(e.w->tx[0].m[0]);
	e.w->tx[0].n = 0;
	/* adverts still pass while active */
	one_silent(&e, vrrp_good("198.51.100.4"));
	assert_int_equal(e.w->stats[LB_STAT_VRRP_IN], 2);
	assert_int_equal(ring_empty(e.ctrl), 1);
	env_fini(&e);
}

/* A flood of forged advertisements costs the master the VRRP policer's
 * burst (a hundredth of a second of LB_VRRP_PPS, at least 64), then its
 * rate: the bucket refills as the worker's clock moves, not with the
 * packets. At one instant exactly 64 of 4096 pass and the rest are
 * counted drop_vrrp; a second later the bucket is full again and
 * exactly 64 of the next 4096 pass. */
static void
dp_vrrp_flood_policed(void **state)
{
	const struct lb_conf_ha ha = { .mode = LB_HA_VRRP };
	const uint32_t burst = RTE_MAX(LB_VRRP_PPS / 100, 64);
	struct rte_mbuf *pkts[LB_BURST];
	uint32_t flood, i, k;
	struct env e;

	(void)state;
	env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha);
	env_rings(&e, 0, 0);
	for (flood = 1; flood <= 2; flood++) {
		for (i = 0; i < 4096; i += LB_BURST) {
			for (k = 0; k < LB_BURST; k++)
				pkts[k] = vrrp_good("198.51.100.3");
			process_at(&e, e.w, pkts, LB_BURST, 1000 * flood);
		}
		assert_int_equal(e.w->stats[LB_STAT_VRRP_IN], burst * flood);
		assert_int_equal(e.w->stats[LB_STAT_DROP_VRRP],
				 (4096 - burst) * flood);
		assert_int_equal(ring_empty(e.ctrl), burst);
	}
	env_fini(&e);
}

/* ---- the master's lanes ---- */

/* The classes of traffic the master must see, each policed on its own:
 * a test packet of each, and where it must land. */
enum lane_class {
	LC_STRANGER,     /* own address, anyone else: bulk ring */
	LC_MEMBER,       /* own address, a member (address and MAC) */
	LC_ROUTER,       /* own address, the gateway at TTL 255 (BFD) */
	LC_PEER,         /* own address, a sync peer at TTL 255 (sync) */
	LC_VRRP_PEER,    /* VRRP advert of a sync peer */
	LC_VRRP_OTHER,   /* VRRP advert of another source */
	LC_ARP_OTHER,    /* ARP for the master, not from a member */
	LC_ARP_MEMBER,   /* ARP reply of a member */
	LC_MAX,
};

static const char *const lane_names[LC_MAX] = {
	"stranger", "member", "router", "peer", "vrrp_peer", "vrrp_other",
	"arp_other", "arp_member",
};

/* Which counter each class's policer drops under. */
static const enum lb_stat_worker lane_drop[LC_MAX] = {
	LB_STAT_DROP_OWN_POLICED, LB_STAT_DROP_MEMBER_POLICED,
	LB_STAT_DROP_ROUTER_POLICED, LB_STAT_DROP_PEER_POLICED,
	LB_STAT_DROP_VRRP, LB_STAT_DROP_VRRP, LB_STAT_DROP_ARP_POLICED,
	LB_STAT_DROP_ARP_POLICED,
};

static struct rte_mbuf *
lane_packet(enum lane_class c, unsigned int i)
{
	static const uint8_t fe1[6] = { 2, 0, 0, 0, 0, 0x11 };
	static const uint8_t fe2[6] = { 2, 0, 0, 0, 0, 0x12 };
	static const uint8_t gw[6] = { 2, 0, 0, 0, 0, 0xaa };
	static const uint8_t peer[6] = { 2, 0, 0, 0, 0, 0x03 };
	static const uint8_t stranger[6] = { 2, 0, 0, 0, 0, 0xee };
	struct rte_mbuf *m = NULL;
	struct frame f;
	char spa[32];

	switch (c) {
	case LC_STRANGER:
		return to_own(mac_client, "203.0.113.9", LB_IPPROTO_UDP);
	case LC_MEMBER:
		return to_own(fe1, "198.51.100.11", LB_IPPROTO_TCP);
	case LC_ROUTER:
	case LC_PEER:
		m = to_own(c == LC_ROUTER ? gw : peer, c == LC_ROUTER ?
			   "198.51.100.1" : "198.51.100.3", LB_IPPROTO_UDP);
		rte_pktmbuf_mtod(m, uint8_t *)[14 + 8] = 255;
		return m;
	case LC_VRRP_PEER:
		return vrrp_good("198.51.100.3");
	case LC_VRRP_OTHER:
		snprintf(spa, sizeof(spa), "198.51.100.%u", 150 + i % 100);
		return vrrp_good(spa);
	case LC_ARP_OTHER:
		snprintf(spa, sizeof(spa), "198.51.100.%u", 150 + i % 100);
		return arp_request(stranger, spa, "198.51.100.77");
	case LC_ARP_MEMBER:
		f.len = lb_pkt_arp_build(f.b, mac_port, LB_ARP_OP_REPLY, fe2,
					 ip4("198.51.100.12"), mac_port,
					 ip4("198.51.100.2"));
		return mbuf_of(&f);
	default:
		fail();
	}
	return NULL;
}

/* The class of a packet the master got, from what it carries. */
static enum lane_class
lane_of(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct lb_pkt_arp arp;
	struct lb_pkt pk;
	uint32_t src;

	if (lb_pkt_parse(p, rte_pktmbuf_pkt_len(m), &pk) == LB_PKT_ARP) {
		lb_pkt_arp_read(p, &pk, &arp);
		return arp.spa == ip4("198.51.100.12") ? LC_ARP_MEMBER :
			LC_ARP_OTHER;
	}
	src = lb_load_u32(p + 14 + 12);   /* network order */
	if (p[14 + 9] == LB_IPPROTO_VRRP)
		return src == ip4("198.51.100.3") ? LC_VRRP_PEER :
			LC_VRRP_OTHER;
	if (src == ip4("198.51.100.11"))
		return LC_MEMBER;
	if (src == ip4("198.51.100.1"))
		return LC_ROUTER;
	if (src == ip4("198.51.100.3"))
		return LC_PEER;
	return LC_STRANGER;
}

/* Empty a ring, counting its packets by class; each class must be on
 * the ring of its lane. */
static void
lane_census(struct rte_ring *r, int ring, unsigned int *got)
{
	static const int lane_ring[LC_MAX] = { 2, 1, 1, 1, 1, 1, 0, 0 };
	void *m;

	while (rte_ring_dequeue(r, &m) == 0) {
		enum lane_class c = lane_of(m);

		if (lane_ring[c] != ring)
			fail_msg("%s packet on ring %d", lane_names[c], ring);
		got[c]++;
		rte_pktmbuf_free(m);
	}
}

/*
 * Every class of traffic to the master has its own policer, and a ring
 * the others share only if they are policed too: a flood of any one
 * class, at file speed, takes none of another class's packets. Each
 * class is flooded in turn (its policer's bucket, 64, passes; the rest
 * is dropped under its own counter) while 24 packets of every other
 * class come in the same bursts: all 24 reach the master. Before the
 * lanes, members' answers and VRRP shared the ARP ring and one
 * bucket policed every other own-address sender: a flood at the own
 * address dropped the routers' BFD and the peers' sync.
 */
static void
dp_master_lanes_a_flood_of_one_class_takes_nothing_of_another(void **state)
{
	const struct lb_conf_ha ha = { .mode = LB_HA_VRRP, .sync = true,
		.sync_id = 1, .sync_port = 8848, .n_peers = 1,
		.peers = { ip4("198.51.100.3") } };
	const struct lb_dp_params rates = { .exception_pps = 100,
		.arp_pps = 100, .member_pps = 100, .router_pps = 100,
		.peer_pps = 100, .vrrp_pps = 100 };
	unsigned int flood, c, i, k, got[LC_MAX];
	struct rte_mbuf *pkts[LB_BURST];

	(void)state;
	for (flood = 0; flood < LC_MAX; flood++) {
		struct env e;
		unsigned int n_flood = 0;

		env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha);
		env_rings_rates(&e, &rates);
		memset(got, 0, sizeof(got));
		for (i = 0; i < 24; i++) {
			/* one of every other class, the rest of the flood */
			for (k = 0, c = 0; c < LC_MAX; c++)
				if (c != flood)
					pkts[k++] = lane_packet(c, i);
			for (; k < LB_BURST; k++, n_flood++)
				pkts[k] = lane_packet(flood, n_flood);
			process_at(&e, e.w, pkts, LB_BURST, 10);
			assert_int_equal(e.w->tx[0].n, 0);
		}
		lane_census(e.prio, 0, got);
		lane_census(e.ctrl, 1, got);
		lane_census(e.bulk, 2, got);
		for (c = 0; c < LC_MAX; c++) {
			if (c == flood)
				continue;
			if (got[c] != 24)
				fail_msg("a %s flood: %u of 24 %s packets reached the master",
					 lane_names[flood], got[c],
					 lane_names[c]);
		}
		/* the flood: its bucket passed, the rest dropped as its own */
		assert_int_equal(got[flood], 64);
		assert_int_equal(e.w->stats[lane_drop[flood]], n_flood - 64);
		assert_int_equal(e.w->stats[LB_STAT_DROP_MASTER_FULL] +
				 e.w->stats[LB_STAT_DROP_MASTER_PRIO_FULL] +
				 e.w->stats[LB_STAT_DROP_MASTER_CTRL_FULL], 0);
		env_fini(&e);
	}
}

/* An NA from src at mac for target to dst (to its MAC, or all nodes'
 * if dst is ff02::1), Override set, Solicited if unicast. */
static struct rte_mbuf *
na6(const uint8_t *mac, const char *src, const char *dst, const char *target)
{
	uint8_t t[16], d[16], a[16];
	struct frame f;
	uint8_t *ip, *m;

	addr6(t, target);
	addr6(d, dst);
	addr6(a, src);
	f.len = lb_pkt_ndp_unsolicited_na(f.b, 0, mac, t);
	ip = f.b + 14;
	m = ip + 40;
	memcpy(ip + 8, a, 16);
	memcpy(ip + 24, d, 16);
	if (d[0] != 0xff) {
		memcpy(f.b, mac_port, 6);
		m[4] |= LB_NDP_NA_SOLICITED;
	}
	lb_store_be16(m + 2, 0);
	lb_store_be16(m + 2, lb_pkt_icmp6_cksum(a, d, m, LB_NDP_NA_LEN));
	return mbuf_of(&f);
}

/* UDP (or TCP) to the port's own IPv6 address from src at mac, hop
 * limit hop. */
static struct rte_mbuf *
to_own6(const uint8_t *mac, const char *src, uint8_t proto, uint8_t hop)
{
	struct frame f;

	f.len = 0;
	put(&f, mac_port, 6);
	put(&f, mac, 6);
	put16(&f, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, proto, src, "2001:db8:5::2");
	f.b[f.ip_off + 7] = hop;
	if (proto == LB_IPPROTO_TCP)
		tcp(&f, 110, 40007, LB_TCP_SYN | LB_TCP_ACK, 5);
	else
		udp(&f, 40000, 9, 8);
	if (proto == LB_IPPROTO_UDP)
		lb_store_be16(f.b + f.l4_off + 6, 0x1234);  /* IPv6 needs one */
	ip6_done(&f, 0);
	return mbuf_of(&f);
}

/*
 * The port's own IPv6 address, as IPv4's: its Neighbor Solicitations
 * (and those for the kernel interface's link-local address, the port
 * MAC's) answered by the worker; advertisements for a member or the
 * gateway, or to the own address, handed to the master's ARP lane and
 * others' dropped; packets to it in the master's lanes by sender (a
 * member's check answer from its MAC, the gateway at hop limit 255,
 * anyone else); a member with an IPv6 address is found by it.
 */
static void
dp_ipv6_own_address_ndp_and_lanes(void **state)
{
	static const uint8_t fe5[6] = { 2, 0, 0, 0, 0, 0x15 };
	static const uint8_t gw[6] = { 2, 0, 0, 0, 0, 0xaa };
	static const uint8_t stranger[6] = { 2, 0, 0, 0, 0, 0xee };
	struct lb_conf_member m5 = { .name = "fe5", .weight = 100,
				     .has_mac = true,
				     .mac = { 2, 0, 0, 0, 0, 0x15 } };
	struct lb_dp_expect *x = rte_zmalloc("x", sizeof(*x), 0);
	struct lb_ip ll = lb_ip_link_local_of(mac_port);
	struct rte_mbuf *pkts[8];
	struct lb_dp_rxq rxq = { 0 };
	struct lb_dp_params dp;
	struct lb_pkt6 pk;
	struct lb_ndp_na na;
	struct frame f;
	unsigned int i;
	struct env e;

	(void)state;
	assert_non_null(x);
	env_port6 = "2001:db8:5::2";
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	env_port6 = NULL;
	m5.addr = ipx("2001:db8:5::15");
	assert_int_equal(lb_core_member_add(e.core, &m5), 4);
	assert_int_equal(lb_core_commit(e.core), 1);
	env_rings(&e, 100, 100);
	dp = (struct lb_dp_params){
		.snap = lb_core_snapshot_ptr(e.core), .flows = e.flows,
		.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id, .n_ports = 1,
		.quit = &quit, .exception_pps = 100, .arp_pps = 100,
		.member_pps = 100, .router_pps = 100,
		.to_master_prio = e.prio, .to_master_ctrl = e.ctrl,
		.to_master = e.bulk, .expect = x,
	};
	assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);

	/* solicitations for the own address and its link-local one, from
	 * the router's solicited-node query and a unicast probe */
	f.len = lb_pkt_ndp_ns_frame(f.b, 0, gw, ipx("fe80::1").b,
				    ipx("2001:db8:5::2").b, NULL);
	pkts[0] = mbuf_of(&f);
	f.len = lb_pkt_ndp_ns_frame(f.b, 0, gw, ipx("2001:db8:5::1").b,
				    ll.b, NULL);
	pkts[1] = mbuf_of(&f);
	f.len = lb_pkt_ndp_ns_frame(f.b, 0, gw, ipx("fe80::1").b,
				    ipx("2001:db8:5::2").b, mac_port);
	pkts[2] = mbuf_of(&f);
	/* for a member's address: not ours to answer */
	f.len = lb_pkt_ndp_ns_frame(f.b, 0, gw, ipx("fe80::1").b,
				    ipx("2001:db8:5::15").b, NULL);
	pkts[3] = mbuf_of(&f);
	process_at(&e, e.w, pkts, 4, 10);
	assert_int_equal(e.w->tx[0].n, 3);
	assert_int_equal(e.w->stats[LB_STAT_NDP_REPLY_OUT], 3);
	assert_int_equal(e.w->stats[LB_STAT_DROP_NDP_OTHER], 1);
	for (i = 0; i < 3; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(e.w->tx[0].m[i],
						    const uint8_t *);

		assert_int_equal(lb_pkt_parse6(p, rte_pktmbuf_pkt_len(
					e.w->tx[0].m[i]), &pk), LB_PKT_IPV6);
		assert_int_equal(lb_pkt_ndp_na(p, &pk, &na), 0);
		assert_memory_equal(na.target, i == 1 ? ll.b :
				    ipx("2001:db8:5::2").b, 16);
		assert_memory_equal(p, gw, 6);
		assert_true(na.has_tlla);
		assert_memory_equal(na.tlla, mac_port, 6);
		rte_pktmbuf_free(e.w->tx[0].m[i]);
	}
	e.w->tx[0].n = 0;

	/* advertisements: the member's answer to the own address, the
	 * gateway's to all nodes, a stranger's answer to the kernel's
	 * query (to the own address) to the master; a stranger's news to
	 * all nodes dropped */
	pkts[0] = na6(fe5, "2001:db8:5::15", "2001:db8:5::2", "2001:db8:5::15");
	pkts[1] = na6(gw, "fe80::1", "ff02::1", "fe80::1");
	pkts[2] = na6(stranger, "2001:db8:5::99", "2001:db8:5::2",
		      "2001:db8:5::99");
	pkts[3] = na6(stranger, "2001:db8:5::98", "ff02::1", "2001:db8:5::98");
	/* the member's answer to another host's MAC (a flooding bridge):
	 * not for us */
	pkts[4] = na6(fe5, "2001:db8:5::15", "2001:db8:5::2", "2001:db8:5::15");
	rte_pktmbuf_mtod(pkts[4], uint8_t *)[5] = 0x77;
	process_at(&e, e.w, pkts, 5, 20);
	assert_int_equal(ring_empty(e.prio), 3);
	assert_int_equal(e.w->stats[LB_STAT_DROP_NDP_OTHER], 2);
	assert_int_equal(e.w->stats[LB_STAT_DROP_NOT_FOR_US], 1);

	/* to the own address: a stranger's UDP (bulk); the gateway's at
	 * hop limit 255 (trusted lane), at 64 anyone's; the member's
	 * answer to a check from its MAC (trusted), without the check
	 * anyone's; an NDP message other than NS/NA to it, dropped */
	lb_dp_expect_set(x, LB_IPPROTO_TCP, 40007,
			 lb_dp_expect_addr6(ipx("2001:db8:5::15").b), 110, true);
	pkts[0] = to_own6(stranger, "2001:db8:5::99", LB_IPPROTO_UDP, 64);
	pkts[1] = to_own6(gw, "fe80::1", LB_IPPROTO_UDP, 255);
	pkts[2] = to_own6(gw, "fe80::1", LB_IPPROTO_UDP, 64);
	pkts[3] = to_own6(fe5, "2001:db8:5::15", LB_IPPROTO_TCP, 64);
	pkts[4] = to_own6(stranger, "2001:db8:5::15", LB_IPPROTO_TCP, 64);
	process_at(&e, e.w, pkts, 5, 30);
	assert_int_equal(ring_empty(e.ctrl), 2);
	assert_int_equal(ring_empty(e.bulk), 3);
	lb_dp_expect_set(x, LB_IPPROTO_TCP, 40007, 0, 0, false);
	one_silent(&e, to_own6(fe5, "2001:db8:5::15", LB_IPPROTO_TCP, 64));
	assert_int_equal(ring_empty(e.ctrl), 0);
	assert_int_equal(ring_empty(e.bulk), 1);
	env_fini(&e);
	rte_free(x);
}

/*
 * A flood members are made to reflect (SYNs to a member forged with the
 * balancer's address: its SYN-ACKs come back) takes nothing of the
 * health checks' answers: a member's packet to the own address is in
 * the members' lane only if a check socket waits for it (the master's
 * answer table: its local port, the member's address and port); the
 * reflection is anyone's traffic, policed with everyone else's.
 */
static void
dp_master_lanes_reflected_flood_takes_no_check_answer(void **state)
{
	static const uint8_t fe1[6] = { 2, 0, 0, 0, 0, 0x11 };
	const struct lb_dp_params rates = { .exception_pps = 100,
		.member_pps = 100 };
	struct lb_dp_expect *x = rte_zmalloc("x", sizeof(*x), 0);
	struct rte_mbuf *pkts[LB_BURST];
	struct lb_dp_rxq rxq = { 0 };
	struct lb_dp_params dp;
	unsigned int i, k, answers = 0;
	struct env e;

	(void)state;
	assert_non_null(x);
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	env_rings_rates(&e, &rates);
	/* the worker again, with the table */
	dp = (struct lb_dp_params){
		.snap = lb_core_snapshot_ptr(e.core), .flows = e.flows,
		.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id, .n_ports = 1,
		.quit = &quit, .exception_pps = 100, .member_pps = 100,
		.to_master_prio = e.prio, .to_master_ctrl = e.ctrl,
		.to_master = e.bulk, .expect = x,
	};
	assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);
	/* fe1's check on port 110 from our port 40007 (to_own: the
	 * member's port 110, ours 40000 + i) */
	lb_dp_expect_set(x, LB_IPPROTO_TCP, 40007, ip4("198.51.100.11"), 110,
			 true);
	for (i = 0; i < 64; i++) {
		for (k = 0; k < LB_BURST; k++) {
			struct frame f;

			f.len = 0;
			put(&f, mac_port, 6);
			put(&f, fe1, 6);
			put16(&f, LB_ETHERTYPE_IPV4);
			ipv4(&f, LB_IPPROTO_TCP, "198.51.100.11",
			     "198.51.100.2", 5, 20, 0, 0);
			/* one answer to the check per burst, the rest a
			 * reflection to random ports */
			tcp(&f, 110, k == 0 ? 40007 : (uint16_t)(1024 + i * 37 +
							      k),
			    LB_TCP_SYN | LB_TCP_ACK, 5);
			pkts[k] = mbuf_of(&f);
		}
		answers++;
		process_at(&e, e.w, pkts, LB_BURST, 10);
	}
	/* every answer in the members' lane, the reflection policed as
	 * anyone's (its bucket: 64) */
	assert_int_equal(ring_empty(e.ctrl), answers);
	assert_int_equal(e.w->stats[LB_STAT_DROP_MEMBER_POLICED], 0);
	assert_int_equal(ring_empty(e.bulk), 64);
	assert_int_equal(e.w->stats[LB_STAT_DROP_OWN_POLICED],
			 64 * (LB_BURST - 1) - 64);
	/* the check is over: its port is anyone's again; a UDP check on
	 * the same port is another socket */
	lb_dp_expect_set(x, LB_IPPROTO_TCP, 40007, 0, 0, false);
	lb_dp_expect_set(x, LB_IPPROTO_UDP, 40007, ip4("198.51.100.11"), 110,
			 true);
	one_silent(&e, to_own(fe1, "198.51.100.11", LB_IPPROTO_TCP));
	assert_int_equal(ring_empty(e.ctrl), 0);
	env_fini(&e);
	rte_free(x);
}

/* The router and peer lanes trust an address only at TTL 255 (sent on
 * the link, RFC 5082): a flood from the Internet that borrows the
 * gateway's or a peer's address arrives routed, TTL below 255, and is
 * policed with everyone else's. */
static void
dp_master_lanes_trust_routers_and_peers_only_on_link(void **state)
{
	const struct lb_conf_ha ha = { .mode = LB_HA_VRRP, .sync = true,
		.sync_id = 1, .sync_port = 8848, .n_peers = 1,
		.peers = { ip4("198.51.100.3") }, .n_routers = 1,
		.routers = { ip4("198.51.100.5") } };
	const struct lb_dp_params rates = { .exception_pps = 100,
		.router_pps = 100, .peer_pps = 100 };
	static const char *const srcs[] = { "198.51.100.1", "198.51.100.5",
					    "198.51.100.3" };
	struct rte_mbuf *m;
	struct env e;
	unsigned int i;

	(void)state;
	env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha);
	env_rings_rates(&e, &rates);
	for (i = 0; i < RTE_DIM(srcs); i++) {
		m = to_own(mac_client, srcs[i], LB_IPPROTO_UDP);   /* TTL 64 */
		one_silent(&e, m);
		assert_int_equal(ring_empty(e.bulk), 1);
		m = to_own(mac_client, srcs[i], LB_IPPROTO_UDP);
		rte_pktmbuf_mtod(m, uint8_t *)[14 + 8] = 255;
		one_silent(&e, m);
		assert_int_equal(ring_empty(e.ctrl), 1);
	}
	/* a member's address without its MAC is anyone */
	one_silent(&e, to_own(mac_client, "198.51.100.11", LB_IPPROTO_TCP));
	assert_int_equal(ring_empty(e.bulk), 1);
	assert_int_equal(ring_empty(e.ctrl) + ring_empty(e.prio), 0);
	/* and a router's or peer's address is no destination of ours */
	for (i = 0; i < RTE_DIM(srcs); i++) {
		struct frame f;

		eth(&f, mac_port, LB_ETHERTYPE_IPV4);
		ipv4(&f, LB_IPPROTO_UDP, "203.0.113.9", srcs[i], 5, 8, 0, 0);
		udp(&f, 40000, 179, 8);
		one_silent(&e, mbuf_of(&f));
	}
	assert_int_equal(e.w->stats[LB_STAT_DROP_NO_VIP], RTE_DIM(srcs));
	env_fini(&e);
}

/* Mode standalone (and ecmp): VRRP is multicast like any other, dropped
 * as drop_l2_multicast before the master. */
static void
dp_vrrp_dropped_as_multicast_unless_mode_vrrp(void **state)
{
	static const uint8_t modes[] = { LB_HA_STANDALONE, LB_HA_ECMP };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(modes); i++) {
		const struct lb_conf_ha ha = { .mode = modes[i] };
		struct env e;

		env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha);
		env_rings(&e, 0, 0);
		assert_int_equal(lb_core_snapshot(e.core)->vrrp, 0);
		one_silent(&e, vrrp_good("198.51.100.3"));
		one_silent(&e, vrrp_good("192.0.2.3"));
		one_silent(&e, vrrp_good("198.51.100.2"));
		assert_int_equal(e.w->stats[LB_STAT_DROP_L2_MULTICAST], 3);
		assert_int_equal(e.w->stats[LB_STAT_VRRP_IN], 0);
		assert_int_equal(e.w->stats[LB_STAT_DROP_VRRP], 0);
		assert_int_equal(rte_ring_count(e.prio) +
				 rte_ring_count(e.ctrl) +
				 rte_ring_count(e.bulk), 0);
		env_fini(&e);
	}
}

/* Mode ecmp: the router reaches the VIPs by the routes BGP gives it,
 * never by ARP: an active balancer answers ARP for its own address, not
 * for the VIP (the request goes on to the master, which learns from it),
 * and forwards the VIP's traffic. */
static void
dp_ecmp_no_arp_for_vips(void **state)
{
	static const uint8_t router[6] = { 2, 0, 0, 0, 0, 0xaa };
	const struct lb_conf_ha ha = { .mode = LB_HA_ECMP };
	struct lb_pkt_arp a;
	struct lb_pkt pk;
	struct rte_mbuf *m;
	struct env e;
	const uint8_t *p;

	(void)state;
	env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha);
	env_rings(&e, 0, 0);
	assert_true(lb_core_active(e.core));
	assert_int_equal(lb_core_snapshot(e.core)->vip_arp, 0);
	m = arp_request(router, "198.51.100.1", "198.51.100.100");
	one_silent(&e, m);
	assert_int_equal(e.w->stats[LB_STAT_ARP_REPLY_OUT], 0);
	assert_int_equal(ring_empty(e.prio), 1);
	m = arp_request(router, "198.51.100.1", "198.51.100.2");
	process_at(&e, e.w, &m, 1, 10);
	assert_int_equal(e.w->tx[0].n, 1);
	p = rte_pktmbuf_mtod(e.w->tx[0].m[0], const uint8_t *);
	assert_int_equal(lb_pkt_parse(p, 60, &pk), LB_PKT_ARP);
	lb_pkt_arp_read(p, &pk, &a);
	assert_int_equal(a.op, LB_ARP_OP_REPLY);
	assert_int_equal(a.spa, ip4("198.51.100.2"));
	rte_pktmbuf_free(e.w->tx[0].m[0]);
	e.w->tx[0].n = 0;
	assert_int_equal(e.w->stats[LB_STAT_ARP_REPLY_OUT], 1);
	/* active: the VIP's traffic is forwarded */
	assert_true(syn(&e, 1) >= 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_STANDBY], 0);
	env_fini(&e);
}

/* ---- flow sync ---- */

static const struct lb_conf_ha ha_sync = {
	.mode = LB_HA_STANDALONE, .sync = true, .sync_id = 7,
	.sync_port = 8848, .n_peers = 1, .peers = { 0x036433c6 },
};

/* An element ring of flow sync records, as the app makes them. */
static struct rte_ring *
sync_ring(unsigned int count)
{
	static unsigned int n;
	struct rte_ring *r;
	char name[32];

	snprintf(name, sizeof(name), "t_sync_%u", n++);
	r = rte_ring_create_elem(name, sizeof(struct lb_dp_sync), count,
				 SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(r);
	return r;
}

/* (Re)initialise worker w on table ft with flow sync rings. */
static void
sync_worker_init(struct env *e, struct lb_worker *w, struct lb_flow_table *ft,
		 struct rte_ring *out, struct rte_ring *in)
{
	struct lb_dp_rxq rxq = { 0 };
	struct lb_dp_params dp = {
		.snap = lb_core_snapshot_ptr(e->core), .flows = ft,
		.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id, .n_ports = 1,
		.quit = &quit, .sync_out = out, .sync_in = in,
	};

	assert_int_equal(lb_dp_worker_init(w, &dp), 0);
}

/* Give the env's worker its flow sync rings (out of out_count slots). */
static void
env_sync(struct env *e, unsigned int out_count)
{
	e->sync_out = sync_ring(out_count);
	e->sync_in = sync_ring(1024);
	sync_worker_init(e, e->w, e->flows, e->sync_out, e->sync_in);
}

/* The key of tcp_mbuf(i, dport). */
static struct lb_tuple
tcp_key(uint32_t i, uint16_t dport)
{
	char src[32];

	snprintf(src, sizeof(src), "203.0.%u.%u", 113 + (i >> 8) % 4, i & 0xff);
	return (struct lb_tuple){ .src_ip = ip4(src),
		.dst_ip = ip4("198.51.100.100"),
		.src_port = (uint16_t)(1024 + (i >> 10)), .dst_port = dport,
		.proto = LB_IPPROTO_TCP };
}

static unsigned int
sync_take(struct rte_ring *r, struct lb_dp_sync *out, unsigned int max)
{
	return rte_ring_sc_dequeue_burst_elem(r, out, sizeof(*out), max,
					      NULL);
}

static void
check_rec(const struct lb_dp_sync *r, const struct env *e,
	  const struct lb_tuple *key, int member, uint16_t svc, uint8_t kind,
	  uint8_t state)
{
	const struct lb_snapshot *s = lb_core_snapshot(e->core);

	assert_memory_equal(&r->key, key, sizeof(*key));
	assert_int_equal(r->member, member);
	assert_int_equal(r->member_gen, s->members[member].gen);
	assert_int_equal(r->svc, svc);
	assert_int_equal(r->kind, kind);
	assert_int_equal(r->state, state);
}

/* WRR: a flow is handed over for sync when it is confirmed (its ACK,
 * not its SYN), once, and only if a peer could not compute its member;
 * a flow moved off a failed member likewise. */
static void
dp_sync_stages_confirmed_flows_peers_cannot_compute(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const struct lb_snapshot *s;
	struct lb_dp_sync r[4];
	unsigned int staged = 0, moved = 0, n;
	int where[64], m;
	struct env e;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	assert_int_equal(s->sync, 1);
	for (i = 0; i < 64; i++) {
		struct lb_tuple k = tcp_key(i, 110);

		where[i] = syn(&e, i);
		assert_true(where[i] >= 0);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
		assert_int_equal(ack(&e, i), where[i]);
		n = sync_take(e.sync_out, r, 4);
		if (lb_dp_flow_computable(s, (uint16_t)e.pop3, &k,
					  (uint16_t)where[i])) {
			assert_int_equal(n, 0);
		} else {
			assert_int_equal(n, 1);
			check_rec(&r[0], &e, &k, where[i], (uint16_t)e.pop3,
				  LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST);
			staged++;
		}
		/* established already: nothing new to tell */
		assert_int_equal(ack(&e, i), where[i]);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
	}
	/* WRR ignores the hash: most flows, not all */
	assert_true(staged > 0 && staged < 64);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED], staged);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_RING_FULL], 0);
	/* fe2 fails: its flows move, and where WRR moved them is news */
	lb_core_health_set(e.core, (unsigned int)e.pop3, 1, LB_HEALTH_DOWN);
	assert_int_equal(lb_core_commit(e.core), 1);
	s = lb_core_snapshot(e.core);
	staged = 0;
	for (i = 0; i < 64; i++) {
		struct lb_tuple k = tcp_key(i, 110);

		m = ack(&e, i);
		n = sync_take(e.sync_out, r, 4);
		if (where[i] != 1) {
			assert_int_equal(m, where[i]);
			assert_int_equal(n, 0);
			continue;
		}
		moved++;
		assert_true(m >= 0 && m != 1);
		if (lb_dp_flow_computable(s, (uint16_t)e.pop3, &k,
					  (uint16_t)m)) {
			assert_int_equal(n, 0);
		} else {
			assert_int_equal(n, 1);
			check_rec(&r[0], &e, &k, m, (uint16_t)e.pop3,
				  LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST);
			staged++;
		}
	}
	assert_true(moved > 0 && staged > 0);
	env_fini(&e);
}

/* A UDP datagram of flow i (client 203.0.113.x:port as tcp_mbuf) to
 * VIP:dport, and its key. */
static struct rte_mbuf *
udp_mbuf(uint32_t i, uint16_t dport, struct lb_tuple *key)
{
	struct frame f;
	char src[32];

	snprintf(src, sizeof(src), "203.0.%u.%u", 113 + (i >> 8) % 4, i & 0xff);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_UDP, src, "198.51.100.100", 5, 12, 0, 0);
	udp(&f, (uint16_t)(1024 + (i >> 10)), dport, 12);
	put32(&f, i);
	*key = tcp_key(i, dport);
	key->proto = LB_IPPROTO_UDP;
	return mbuf_of(&f);
}

static int
send_udp(struct env *e, uint32_t i, uint16_t dport, struct lb_tuple *key)
{
	struct rte_mbuf *m = udp_mbuf(i, dport, key);

	lb_dp_clock(e->w);
	lb_dp_process(e->w, lb_core_snapshot(e->core), 0, &m, 1);
	return take_one(e->w);
}

/* A flow's packets that all come in its first burst (a SYN, its
 * retransmission and the handshake's ACK; a UDP client's first two
 * datagrams) make one entry between them, not one each: with wrr, a
 * second entry would have scheduled the flow again, onto the next
 * member. */
static void
dp_new_flow_twice_in_one_burst_makes_one_entry(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint16_t all[N_MEMBERS] = { 0, 1, 2, 3 };
	struct lb_conf_service dns = { .name = "dns",
		.proto = LB_IPPROTO_UDP, .port_lo = 53, .port_hi = 53,
		.sched = LB_SCHED_WRR, .table_size = 1009 };
	struct rte_mbuf *pkts[LB_BURST];
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];
	struct lb_tuple k;
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	assert_true(lb_core_service_add(e.core, &dns, all, N_MEMBERS) >= 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	for (i = 0; i < 4; i++) {
		pkts[6 * i] = tcp_mbuf(i, 110, LB_TCP_SYN);
		pkts[6 * i + 1] = udp_mbuf(100 + i, 53, &k);
		pkts[6 * i + 2] = tcp_mbuf(i, 110, LB_TCP_SYN);
		pkts[6 * i + 3] = udp_mbuf(100 + i, 53, &k);
		pkts[6 * i + 4] = tcp_mbuf(i, 110, LB_TCP_ACK);
		pkts[6 * i + 5] = tcp_mbuf(i, 110, LB_TCP_ACK | 0x08); /* PSH */
	}
	process_at(&e, e.w, pkts, 24, 100);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 24);
	for (i = 0; i < 4; i++) {
		assert_true(member[6 * i] >= 0);
		assert_int_equal(member[6 * i + 2], member[6 * i]);
		assert_int_equal(member[6 * i + 4], member[6 * i]);
		assert_int_equal(member[6 * i + 5], member[6 * i]);
		assert_true(member[6 * i + 1] >= 0);
		assert_int_equal(member[6 * i + 3], member[6 * i + 1]);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 8);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 0);
	assert_int_equal(e.flows->count, 8);
	env_fini(&e);
}

/* A TCP packet from IPv6 client src, port 1024, to
 * 2001:db8:100::100's dport. */
static struct rte_mbuf *
tcp6_mbuf_from(const char *src, uint16_t dport, uint8_t flags)
{
	struct frame f;

	eth(&f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_TCP, src, "2001:db8:100::100");
	tcp(&f, 1024, dport, flags, 5);
	ip6_done(&f, 0);
	return mbuf_of(&f);
}

/* A TCP packet of IPv6 flow i (client 2001:db8:c::i+1, port 1024) to
 * 2001:db8:100::100's dport. */
static struct rte_mbuf *
tcp6_mbuf(uint32_t i, uint16_t dport, uint8_t flags)
{
	char src[64];

	snprintf(src, sizeof(src), "2001:db8:c::%x", i + 1);
	return tcp6_mbuf_from(src, dport, flags);
}

/* The IPv6 VIP 2001:db8:100::100 added to e's core, and the worker
 * given an IPv6 flow table of capacity flows (its own IPv4 one kept):
 * the table, for the caller to free. */
static struct lb_flow_table *
env_ipv6(struct env *e, uint32_t capacity)
{
	struct lb_ip v6 = ipx("2001:db8:100::100");
	struct lb_conf_error err;
	struct lb_dp_rxq rxq = { 0 };
	struct lb_flow_table *ft6;
	static unsigned int n;
	char name[32];

	assert_int_equal(lb_core_vip_add(e->core, &v6, 128, "t", &err), 1);
	assert_int_equal(lb_core_commit(e->core), 1);
	snprintf(name, sizeof(name), "test_dp_v6_%u", n++);
	ft6 = lb_flow_create_family(name, capacity, LB_FLOW_IPV6,
				    SOCKET_ID_ANY, NULL);
	assert_non_null(ft6);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e->core), .flows = e->flows,
			.flows6 = ft6, .rxq = &rxq, .n_rxq = 1,
			.port_ids = &port_id, .n_ports = 1, .quit = &quit,
		};

		assert_int_equal(lb_dp_worker_init(e->w, &dp), 0);
	}
	return ft6;
}

/* IPv6 flows follow IPv4's rules, in a table of their own: a flow's
 * first packets in one burst make one entry (with wrr, a second would
 * have scheduled it again), a full table evicts the oldest provisional
 * entry and never a confirmed one, entries age out, and the member of
 * a flow without an entry is the one the consistent hash of its IPv6
 * tuple names, as for IPv4. */
static void
dp_ipv6_flows_follow_the_ipv4_rules(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_mbuf *pkts[LB_BURST];
	struct lb_flow_table *ft6;
	const struct lb_snapshot *s;
	int member[LB_TXBUF], first[8];
	uint16_t id[LB_TXBUF];
	struct lb_tuple6 k6 = { .src_port = 1024, .dst_port = 110,
				.proto = LB_IPPROTO_TCP };
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	ft6 = env_ipv6(&e, 8);
	/* one burst: SYN, its retransmission, the ACK of four flows */
	for (i = 0; i < 4; i++) {
		pkts[3 * i] = tcp6_mbuf(i, 110, LB_TCP_SYN);
		pkts[3 * i + 1] = tcp6_mbuf(i, 110, LB_TCP_SYN);
		pkts[3 * i + 2] = tcp6_mbuf(i, 110, LB_TCP_ACK);
	}
	process_at(&e, e.w, pkts, 12, 100);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 12);
	for (i = 0; i < 4; i++) {
		first[i] = member[3 * i];
		assert_true(first[i] >= 0);
		assert_int_equal(member[3 * i + 1], first[i]);
		assert_int_equal(member[3 * i + 2], first[i]);
	}
	/* wrr, weights 1: four flows, four members */
	assert_true(first[0] != first[1] && first[0] != first[2] &&
		    first[0] != first[3] && first[1] != first[2] &&
		    first[1] != first[3] && first[2] != first[3]);
	assert_int_equal(ft6->count, 4);
	assert_int_equal(e.flows->count, 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_NEW], 4);
	assert_int_equal(e.w->stats[LB_STAT_IPV6], 12);

	/* four SYNs fill the table (8); the next evicts the oldest of
	 * them, never a confirmed flow */
	for (i = 4; i < 9; i++) {
		pkts[0] = tcp6_mbuf(i, 110, LB_TCP_SYN);
		process_at(&e, e.w, pkts, 1, 200 + i);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_EVICTED], 1);
	assert_int_equal(ft6->count, 8);
	for (i = 0; i < 4; i++) {
		pkts[0] = tcp6_mbuf(i, 110, LB_TCP_ACK);
		process_at(&e, e.w, pkts, 1, 300);
		assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
		assert_int_equal(member[0], first[i]);
	}
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 0);

	/* an ACK without an entry: the consistent hash of its tuple */
	s = lb_core_snapshot(e.core);
	addr6(k6.src_ip, "2001:db8:c::64");
	addr6(k6.dst_ip, "2001:db8:100::100");
	pkts[0] = tcp6_mbuf(99, 110, LB_TCP_ACK);
	process_at(&e, e.w, pkts, 1, 400);
	assert_int_equal(collect(e.w, member, id, LB_TXBUF), 1);
	assert_int_equal(member[0],
			 lb_maglev_lookup(s->services[e.pop3].settled,
					  s->services[e.pop3].table_size,
					  lb_tuple6_hash(&k6)));
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 1);

	/* aged out by the sweeper once their timeouts pass */
	assert_true(lb_flow_sweep(ft6, 400 + 1000 * 86400, 1u << 20) > 0);
	assert_int_equal(ft6->count, 0);
	assert_int_equal(lb_flow_audit(ft6, NULL), 0);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* The flows of the clients in subnet (NULL: every flow), over both
 * tables: how many, checking each is of the subnet's family. */
static unsigned int
walk_clients(const struct env *e, const char *subnet)
{
	struct lb_dp_flow_filter f = { .svc = LB_DP_ANY, .member = LB_DP_ANY };
	struct lb_dp_flow out[4];
	uint32_t cursor = 0;
	unsigned int n = 0, k, got;
	struct lb_ip a;

	if (subnet != NULL &&
	    lb_ip_parse_cidr(subnet, 0, 0, &f.client, &f.client_prefix) != 0)
		fail_msg("test subnet \"%s\" does not parse", subnet);
	while (cursor != LB_DP_WALK_END) {
		got = lb_dp_flows_walk(e->w, &f, &cursor, out, RTE_DIM(out),
				       UINT32_MAX);
		for (k = 0; k < got; k++) {
			a = lb_dp_flow_addr(&out[k], true);
			assert_true(subnet == NULL ||
				    lb_ip_is4(&a) == lb_ip_is4(&f.client));
			assert_true(subnet == NULL ||
				    lb_ip_in_net(&a, &f.client,
						 f.client_prefix));
		}
		n += got;
	}
	return n;
}

/* An echo request of 400 bytes to VIP (IPv4) or VIP6 in two segments:
 * the first 256 bytes (every header, with room to spare), the rest in a
 * second one; the rest is also left in the first segment's tailroom, so
 * a reply summing past the segment's data would find its bytes there and
 * answer. */
static struct rte_mbuf *
echo_split(bool v6)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *seg;
	struct frame f;
	uint32_t l4, i;
	char *d;

	assert_non_null(m);
	eth(&f, mac_port, v6 ? LB_ETHERTYPE_IPV6 : LB_ETHERTYPE_IPV4);
	if (v6)
		ipv6_hdr(&f, LB_IPPROTO_ICMPV6, "2001:db8:c::7",
			 "2001:db8:100::100");
	else
		ipv4(&f, LB_IPPROTO_ICMP, "203.0.113.7", "198.51.100.100", 5,
		     400 - LB_ETH_HLEN - 20, 0, 0);
	l4 = f.len;
	put8(&f, v6 ? LB_ICMP6_ECHO_REQUEST : LB_ICMP_ECHO_REQUEST);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0x00010001);
	for (i = f.len; i < 400; i++)
		put8(&f, (uint8_t)i);
	if (v6) {
		ip6_done(&f, 0);
		lb_store_be16(f.b + l4 + 2, lb_pkt_icmp6_cksum(
			f.b + f.ip_off + 8, f.b + f.ip_off + 24, f.b + l4,
			f.len - l4));
	} else {
		/* one's complement sum, inverted; the test's IPv4 helper
		 * wrote the header's */
		uint32_t sum = 0;

		for (i = l4; i + 1 < f.len; i += 2)
			sum += (uint32_t)f.b[i] << 8 | f.b[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		lb_store_be16(f.b + l4 + 2, (uint16_t)~sum);
	}
	d = rte_pktmbuf_append(m, 256);
	assert_non_null(d);
	memcpy(d, f.b, f.len);          /* the rest in the tailroom too */
	seg = rte_pktmbuf_alloc(pool);
	assert_non_null(seg);
	d = rte_pktmbuf_append(seg, (uint16_t)(f.len - 256));
	memcpy(d, f.b + 256, f.len - 256);
	assert_int_equal(rte_pktmbuf_chain(m, seg), 0);
	return m;
}

/* An echo request longer than its first segment is not answered (and
 * counted), in either family: the reply is built and summed in place,
 * within the first segment only, never from bytes past its data. */
static void
dp_echo_past_the_first_segment_not_answered(void **state)
{
	struct lb_flow_table *ft6;
	struct rte_mbuf *m;
	struct env e;
	int v6;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	ft6 = env_ipv6(&e, 64);
	for (v6 = 0; v6 < 2; v6++) {
		uint64_t before = e.w->stats[LB_STAT_DROP_ICMP];

		m = echo_split(v6);
		assert_int_equal(m->nb_segs, 2);
		lb_dp_clock(e.w);
		lb_dp_process(e.w, lb_core_snapshot(e.core), 0, &m, 1);
		if (e.w->tx[0].n != 0)
			fail_msg("%s echo past the first segment answered",
				 v6 ? "IPv6" : "IPv4");
		assert_int_equal(e.w->stats[LB_STAT_DROP_ICMP], before + 1);
	}
	lb_flow_free(ft6);
	env_fini(&e);
}

/* flows.list's client filter is a subnet of either family: an IPv6
 * one reports the IPv6 flows of its clients, from the IPv6 table, and
 * no IPv4 flow, whatever its prefix (the IPv4-mapped form of an IPv4
 * client is inside ::/16), and an IPv4 one no IPv6 flow. */
static void
dp_flows_walk_filters_clients_of_both_families(void **state)
{
	struct rte_mbuf *pkts[16];
	struct lb_flow_table *ft6;
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 4096, NULL);
	ft6 = env_ipv6(&e, 64);
	/* IPv4 clients 203.0.113.1-5, IPv6 clients 2001:db8:c::1-6 and
	 * 2001:db8:d::1 */
	for (i = 0; i < 5; i++)
		pkts[i] = tcp_mbuf(i + 1, 110, LB_TCP_SYN);
	for (i = 0; i < 6; i++)
		pkts[5 + i] = tcp6_mbuf(i, 110, LB_TCP_SYN);
	pkts[11] = tcp6_mbuf_from("2001:db8:d::1", 110, LB_TCP_SYN);
	/* the worker's clock is the one the walk reads */
	lb_dp_clock(e.w);
	lb_dp_process(e.w, lb_core_snapshot(e.core), 0, pkts, 12);
	lb_dp_flush(e.w);
	assert_int_equal(e.flows->count, 5);
	assert_int_equal(ft6->count, 7);

	assert_int_equal(walk_clients(&e, NULL), 12);
	assert_int_equal(walk_clients(&e, "2001:db8:c::3"), 1);
	assert_int_equal(walk_clients(&e, "2001:db8:c::/64"), 6);
	/* a prefix inside a byte: ::0 to ::3 */
	assert_int_equal(walk_clients(&e, "2001:db8:c::/126"), 3);
	assert_int_equal(walk_clients(&e, "2001:db8::/32"), 7);
	assert_int_equal(walk_clients(&e, "2001:db8:e::/48"), 0);
	assert_int_equal(walk_clients(&e, "::/16"), 0);
	assert_int_equal(walk_clients(&e, "203.0.113.0/24"), 5);
	assert_int_equal(walk_clients(&e, "203.0.113.4"), 1);
	assert_int_equal(walk_clients(&e, "0.0.0.0/8"), 0);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* ---- IPv6 fragments ---- */

#define VIP6_FRAG "2001:db8:100::100"

/* The services of e on an IPv6 VIP too, its worker with an IPv6 flow
 * table (*ft6). */
static void
env_add_ipv6(struct env *e, struct lb_flow_table **ft6)
{
	struct lb_ip v6 = ipx(VIP6_FRAG);
	struct lb_conf_error err;
	struct lb_dp_rxq rxq = { 0 };
	static unsigned int n;
	char name[32];

	assert_int_equal(lb_core_vip_add(e->core, &v6, 128, "t", &err), 1);
	assert_int_equal(lb_core_commit(e->core), 1);
	snprintf(name, sizeof(name), "test_dp_f6_%u", n++);
	*ft6 = lb_flow_create_family(name, 1024, LB_FLOW_IPV6, SOCKET_ID_ANY,
				     NULL);
	assert_non_null(*ft6);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e->core), .flows = e->flows,
			.flows6 = *ft6, .rxq = &rxq, .n_rxq = 1,
			.port_ids = &port_id, .n_ports = 1, .quit = &quit,
		};

		assert_int_equal(lb_dp_worker_init(e->w, &dp), 0);
	}
}

/* frag_env_init's services (SIP stateless on fe1, fe2; DNS on fe3, fe4)
 * on an IPv6 VIP too (env_add_ipv6). */
static void
frag6_env_init(struct env *e, struct lb_flow_table **ft6)
{
	frag_env_init(e);
	env_add_ipv6(e, ft6);
}

/* A second worker with tables of its own (*ft, *ft6), wired to the
 * first as the app wires them. */
static struct lb_worker *
frag6_peer(struct env *e, struct lb_flow_table **ft,
	   struct lb_flow_table **ft6)
{
	struct lb_worker *w2 = rte_zmalloc("w2", sizeof(*w2),
					   RTE_CACHE_LINE_SIZE);
	struct lb_dp_rxq rxq = { 0 };
	static unsigned int n;
	char name[32];

	assert_non_null(w2);
	snprintf(name, sizeof(name), "test_dp_p4_%u", n);
	*ft = lb_flow_create(name, 1024, SOCKET_ID_ANY, NULL);
	snprintf(name, sizeof(name), "test_dp_p6_%u", n++);
	*ft6 = lb_flow_create_family(name, 1024, LB_FLOW_IPV6, SOCKET_ID_ANY,
				     NULL);
	assert_non_null(*ft);
	assert_non_null(*ft6);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e->core), .flows = *ft,
			.flows6 = *ft6, .rxq = &rxq, .n_rxq = 1,
			.port_ids = &port_id, .n_ports = 1, .quit = &quit,
		};

		assert_int_equal(lb_dp_worker_init(w2, &dp), 0);
	}
	peers2[0] = e->w;
	peers2[1] = w2;
	lb_dp_set_peers(e->w, peers2, 2);
	lb_dp_set_peers(w2, peers2, 2);
	return w2;
}

/* Fragment k of n of a UDP datagram (identification id) from IPv6
 * client i (2001:db8:c:0::i+1 up to 65535, port 20000 + i) to the
 * VIP's dport: each
 * carries FRAG_DATA bytes of it after an 8-byte Fragment header. */
static struct rte_mbuf *
udp6_fragment(uint32_t i, uint16_t dport, uint32_t id, unsigned int k,
	      unsigned int n)
{
	struct frame f;
	char src[64];

	snprintf(src, sizeof(src), "2001:db8:c:%x::%x", (i + 1) >> 16,
		 (i + 1) & 0xffff);
	eth(&f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_FRAGMENT, src, VIP6_FRAG);
	put8(&f, LB_IPPROTO_UDP);
	put8(&f, 0);
	put16(&f, (uint16_t)(k * FRAG_DATA | (k + 1 < n ? 1 : 0)));
	put32(&f, id);
	if (k == 0) {
		udp(&f, (uint16_t)(20000 + i), dport,
		    (uint16_t)(n * FRAG_DATA));
		lb_store_be16(f.b + f.len - 2, 0x1234);  /* not 0: IPv6 */
		memset(f.b + f.len, 'v', FRAG_DATA - 8);
		f.len += FRAG_DATA - 8;
	} else {
		memset(f.b + f.len, 'w', FRAG_DATA);
		f.len += FRAG_DATA;
	}
	ip6_done(&f, 0);
	return mbuf_of(&f);
}

/* The members of what w sent, in order (the TX buffer emptied). */
static unsigned int
members_out(struct lb_worker *w, int *member)
{
	uint16_t id[LB_TXBUF];

	return collect(w, member, id, LB_TXBUF);
}

/*
 * A datagram's fragments in every order, each fragment given to one of
 * two workers by every split of them (RSS may spread them), one at a
 * time in turn, each worker then looking at what waits: every fragment
 * leaves once, all of a datagram on one member of its own service (SIP
 * stateless on fe1/fe2, DNS with flows on fe3/fe4); a later fragment
 * that came before its first waited for it (frag6_held) and followed it
 * (frag6_hit); nothing dropped, nothing counted as IPv4's. Before,
 * every IPv6 fragment was dropped (drop_ip6_fragment).
 */
static void
dp_ipv6_fragments_in_every_order_over_two_workers(void **state)
{
	static const unsigned int perms[24][4] = {
		{0,1,2,3},{0,1,3,2},{0,2,1,3},{0,2,3,1},{0,3,1,2},{0,3,2,1},
		{1,0,2,3},{1,0,3,2},{1,2,0,3},{1,2,3,0},{1,3,0,2},{1,3,2,0},
		{2,0,1,3},{2,0,3,1},{2,1,0,3},{2,1,3,0},{2,3,0,1},{2,3,1,0},
		{3,0,1,2},{3,0,2,1},{3,1,0,2},{3,1,2,0},{3,2,0,1},{3,2,1,0},
	};
	static const uint16_t ports[2] = { 5060, 53 };
	struct lb_flow_table *ft6, *ft, *ft6b;
	struct lb_worker *w2, *ws[2];
	struct rte_mbuf *m;
	uint32_t datagrams = 0, later = 0, id = 0x80000000u;
	unsigned int p, o, split, k, n, i;
	struct env e;

	(void)state;
	frag6_env_init(&e, &ft6);
	w2 = frag6_peer(&e, &ft, &ft6b);
	ws[0] = e.w;
	ws[1] = w2;
	for (p = 0; p < 2; p++)
		for (o = 0; o < 24; o++)
			for (split = 0; split < 16; split++) {
				int got[4], first = -1;
				unsigned int c = datagrams % 200;

				n = 0;
				for (k = 0; k < 4; k++) {
					struct lb_worker *w =
						ws[(split >> k) & 1];

					m = udp6_fragment(c, ports[p], id,
							  perms[o][k], 4);
					process_at(&e, w, &m, 1, 1000);
					n += members_out(w, got + n);
				}
				for (i = 0; i < 2; i++) {
					lb_dp_frag_release(ws[i],
						lb_core_snapshot(e.core));
					n += members_out(ws[i], got + n);
				}
				if (n != 4)
					fail_msg("port %u order %u split %#x: %u of 4 fragments left",
						 ports[p], o, split, n);
				for (k = 0; k < 4; k++) {
					if (first < 0)
						first = got[k];
					if (got[k] != first ||
					    got[k] / 2 != (int)p)
						fail_msg("port %u order %u split %#x: fragments to fe%d and fe%d",
							 ports[p], o, split,
							 first + 1, got[k] + 1);
				}
				datagrams++;
				later += 3;
				id++;
			}
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_FIRST] +
			 w2->stats[LB_STAT_FRAG6_FIRST], datagrams);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_HIT] +
			 w2->stats[LB_STAT_FRAG6_HIT], later);
	assert_true(e.w->stats[LB_STAT_FRAG6_HELD] > 0 &&
		    w2->stats[LB_STAT_FRAG6_HELD] > 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(ws[i]->held6_live, 0);
		assert_int_equal(ws[i]->stats[LB_STAT_DROP_FRAG6_TIMEOUT], 0);
		assert_int_equal(ws[i]->stats[LB_STAT_DROP_FRAG6_HOLD_FULL], 0);
		assert_int_equal(ws[i]->stats[LB_STAT_FRAG_FIRST] +
				 ws[i]->stats[LB_STAT_FRAG_HIT] +
				 ws[i]->stats[LB_STAT_FRAG_HELD], 0);
	}
	/* the DNS datagrams made flow entries in the IPv6 tables, the SIP
	 * ones none */
	assert_true(ft6->count + ft6b->count > 0);
	assert_int_equal(e.flows->count + ft->count, 0);
	lb_flow_free(ft6b);
	lb_flow_free(ft);
	rte_free(w2);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* A whole UDP datagram of IPv6 client i (as udp6_fragment's) to the
 * VIP's dport. */
static struct rte_mbuf *
udp6_whole(uint32_t i, uint16_t dport)
{
	struct frame f;
	char src[64];

	snprintf(src, sizeof(src), "2001:db8:c:%x::%x", (i + 1) >> 16,
		 (i + 1) & 0xffff);
	eth(&f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_UDP, src, VIP6_FRAG);
	udp(&f, (uint16_t)(20000 + i), dport, 8 + 100);
	lb_store_be16(f.b + f.len - 2, 0x1234);
	memset(f.b + f.len, 'u', 100);
	f.len += 100;
	ip6_done(&f, 0);
	return mbuf_of(&f);
}

/* stateful_udp_fragments_follow_the_flow for IPv6 (wrr): a flow's whole
 * datagrams on one worker, its fragmented ones on the other, which has
 * no entry: the first fragment takes the member of the entry in the
 * other worker's IPv6 table (flow_peer), its later fragment follows it;
 * and the other way round. */
static void
dp_ipv6_stateful_udp_fragments_follow_the_flow(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint16_t all[N_MEMBERS] = { 0, 1, 2, 3 };
	struct lb_conf_service game = { .name = "game",
		.proto = LB_IPPROTO_UDP, .port_lo = 7000, .port_hi = 7000,
		.sched = LB_SCHED_WRR, .table_size = 1009 };
	struct lb_flow_table *ft6, *ft, *ft6b;
	struct rte_mbuf *pkts[2];
	int m1[LB_TXBUF], m2[LB_TXBUF];
	struct lb_worker *w2;
	struct env e;
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_WRR, 4096, w);
	assert_true(lb_core_service_add(e.core, &game, all, N_MEMBERS) >= 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	env_add_ipv6(&e, &ft6);
	w2 = frag6_peer(&e, &ft, &ft6b);
	/* w2's turn one member on from w1's */
	pkts[0] = udp6_whole(999, 7000);
	process_at(&e, w2, pkts, 1, 5000);
	assert_int_equal(members_out(w2, m2), 1);
	for (i = 0; i < 40; i++) {
		pkts[0] = udp6_whole(i, 7000);
		process_at(&e, e.w, pkts, 1, 5000);
		assert_int_equal(members_out(e.w, m1), 1);
		pkts[0] = udp6_fragment(i, 7000, 6000 + i, 0, 2);
		pkts[1] = udp6_fragment(i, 7000, 6000 + i, 1, 2);
		process_at(&e, w2, pkts, 2, 5000);
		assert_int_equal(members_out(w2, m2), 2);
		if (m2[0] != m1[0] || m2[1] != m1[0])
			fail_msg("flow %u: whole datagrams to fe%d, its fragments to fe%d and fe%d",
				 i, m1[0] + 1, m2[0] + 1, m2[1] + 1);
	}
	for (i = 100; i < 140; i++) {
		pkts[0] = udp6_fragment(i, 7000, 7000 + i, 0, 2);
		pkts[1] = udp6_fragment(i, 7000, 7000 + i, 1, 2);
		process_at(&e, w2, pkts, 2, 5000);
		assert_int_equal(members_out(w2, m2), 2);
		assert_int_equal(m2[1], m2[0]);
		pkts[0] = udp6_whole(i, 7000);
		process_at(&e, e.w, pkts, 1, 5000);
		assert_int_equal(members_out(e.w, m1), 1);
		assert_int_equal(m1[0], m2[0]);
	}
	assert_int_equal(w2->stats[LB_STAT_FLOW_PEER], 40);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_PEER], 40);
	assert_int_equal(w2->stats[LB_STAT_FRAG6_HIT], 80);
	lb_flow_free(ft6b);
	lb_flow_free(ft);
	rte_free(w2);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* Later fragments on one worker before their first: held, nothing
 * sent, until the first fragment is decided on the other worker; then
 * the next look sends them where it went. In one burst, any order, the
 * same without waiting past the burst. */
static void
dp_ipv6_later_fragments_held_then_released(void **state)
{
	struct lb_flow_table *ft6, *ft, *ft6b;
	struct rte_mbuf *pkts[4];
	int m1[LB_TXBUF], m2[LB_TXBUF];
	struct lb_worker *w2;
	struct env e;

	(void)state;
	frag6_env_init(&e, &ft6);
	w2 = frag6_peer(&e, &ft, &ft6b);
	pkts[0] = udp6_fragment(7, 5060, 0xfeedf00d, 2, 3);
	pkts[1] = udp6_fragment(7, 5060, 0xfeedf00d, 1, 3);
	process_at(&e, w2, pkts, 2, 3000);
	assert_int_equal(members_out(w2, m2), 0);
	assert_int_equal(w2->held6_live, 2);
	assert_int_equal(w2->held_live, 0);
	assert_int_equal(w2->stats[LB_STAT_FRAG6_HELD], 2);
	/* another datagram with the same addresses and protocol, another
	 * Identification: not theirs */
	pkts[0] = udp6_fragment(7, 5060, 0xfeedf00e, 0, 2);
	process_at(&e, e.w, pkts, 1, 3001);
	assert_int_equal(members_out(e.w, m1), 1);
	lb_dp_frag_release(w2, lb_core_snapshot(e.core));
	assert_int_equal(members_out(w2, m2), 0);
	assert_int_equal(w2->held6_live, 2);
	/* their first, on the other worker */
	pkts[0] = udp6_fragment(7, 5060, 0xfeedf00d, 0, 3);
	process_at(&e, e.w, pkts, 1, 3002);
	assert_int_equal(members_out(e.w, m1), 1);
	w2->now = 3003;
	lb_dp_frag_release(w2, lb_core_snapshot(e.core));
	assert_int_equal(members_out(w2, m2), 2);
	assert_int_equal(m2[0], m1[0]);
	assert_int_equal(m2[1], m1[0]);
	assert_int_equal(w2->held6_live, 0);
	assert_int_equal(w2->stats[LB_STAT_FRAG6_HIT], 2);
	/* one burst, last fragment first: sent in the burst */
	pkts[0] = udp6_fragment(8, 53, 5, 2, 3);
	pkts[1] = udp6_fragment(8, 53, 5, 0, 3);
	pkts[2] = udp6_fragment(8, 53, 5, 1, 3);
	process_at(&e, e.w, pkts, 3, 3004);
	assert_int_equal(members_out(e.w, m1), 3);
	assert_true(m1[0] == 2 || m1[0] == 3);
	assert_int_equal(m1[1], m1[0]);
	assert_int_equal(m1[2], m1[0]);
	assert_int_equal(e.w->held6_live, 0);
	lb_flow_free(ft6b);
	lb_flow_free(ft);
	rte_free(w2);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* Later fragments whose first never comes: the waiting room holds
 * LB_FRAG_HOLD (then drop_frag6_hold_full), each is dropped once it has
 * waited frag_hold_ms (drop_frag6_timeout), never guessed, its mbuf
 * returned; IPv4's waiting room is not IPv6's. */
static void
dp_ipv6_orphan_fragments_held_until_timeout_then_dropped(void **state)
{
	struct rte_mbuf *pkts[LB_BURST];
	unsigned int in_use = rte_mempool_in_use_count(pool);
	struct lb_flow_table *ft6;
	uint32_t i, k, sent = 0;
	struct env e;

	(void)state;
	frag6_env_init(&e, &ft6);
	for (i = 0; sent < LB_FRAG_HOLD + 44; i++) {
		for (k = 0; k < 4; k++)
			pkts[k] = udp6_fragment(i, 5060, 1000 + i * 4 + k, 1,
						2);
		process_at(&e, e.w, pkts, 4, 2000);
		sent += 4;
	}
	assert_int_equal(e.w->held6_live, LB_FRAG_HOLD);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_HELD], LB_FRAG_HOLD);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_HOLD_FULL],
			 sent - LB_FRAG_HOLD);
	assert_int_equal(e.w->tx[0].n, 0);
	/* IPv4's waiting room is still free */
	assert_int_equal(e.w->held_live, 0);
	pkts[0] = udp_fragment(3, 5060, 33, 1, 2);
	process_at(&e, e.w, pkts, 1, 2000);
	assert_int_equal(e.w->held_live, 1);
	/* before the hold time: still waiting */
	e.w->now = 2000 + e.w->frag_hold_ms - 1;
	lb_dp_frag_release(e.w, lb_core_snapshot(e.core));
	assert_int_equal(e.w->held6_live, LB_FRAG_HOLD);
	e.w->now = 2000 + e.w->frag_hold_ms;
	lb_dp_frag_release(e.w, lb_core_snapshot(e.core));
	assert_int_equal(e.w->held6_live, 0);
	assert_int_equal(e.w->held_live, 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_TIMEOUT], LB_FRAG_HOLD);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_TIMEOUT], 1);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_HIT], 0);
	assert_int_equal(e.w->tx[0].n, 0);
	/* the room is free again */
	pkts[0] = udp6_fragment(1, 5060, 77, 1, 2);
	process_at(&e, e.w, pkts, 1, 2100);
	assert_int_equal(e.w->held6_live, 1);
	lb_dp_worker_fini(e.w);
	assert_int_equal(e.w->held6_live, 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_TIMEOUT],
			 LB_FRAG_HOLD + 1);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* Live slots of a worker's IPv6 fragment memory. */
static uint32_t
frag6_used(const struct lb_worker *w, uint32_t now)
{
	uint32_t i, used = 0;

	for (i = 0; i < LB_FRAG_BUCKETS * LB_FRAG_WAYS; i++)
		used += w->frag6[i].proto != 0 &&
			(int32_t)(now - w->frag6[i].expire) < 0;
	return used;
}

/*
 * The IPv6 fragment memory's bounds, IPv4's rules: more confirmed
 * datagrams in flight than slots (16384 per worker): the first
 * fragments that find a bucket of live confirmed datagrams are dropped
 * (drop_frag6_memory_full), never written over one; a flood of first
 * fragments never followed takes the oldest unconfirmed slots
 * (frag6_evicted) and drops none; slots come back when they expire.
 */
static void
dp_ipv6_fragment_memory_bounds(void **state)
{
	struct rte_mbuf *pkts[LB_BURST];
	struct lb_flow_table *ft6;
	int member[LB_TXBUF];
	uint32_t i, k, sent = 0, used;
	uint32_t total = LB_FRAG_BUCKETS * LB_FRAG_WAYS + 4096;
	struct env e;

	(void)state;
	frag6_env_init(&e, &ft6);
	for (i = 0; i < total; i += 8) {
		for (k = 0; k < 8; k++) {
			pkts[2 * k] = udp6_fragment(i + k, 5060, i + k, 0, 3);
			pkts[2 * k + 1] = udp6_fragment(i + k, 5060, i + k, 1,
							3);
		}
		process_at(&e, e.w, pkts, 16, 5000);
		sent += members_out(e.w, member);
		lb_dp_worker_fini(e.w);   /* later fragments of dropped firsts */
	}
	used = frag6_used(e.w, 5000);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_EVICTED], 0);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_FIRST], used);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_MEMORY_FULL],
			 total - used);
	assert_true(e.w->stats[LB_STAT_DROP_FRAG6_MEMORY_FULL] > 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG_MEMORY_FULL], 0);
	assert_int_equal(sent, 2 * used);
	/* expired slots are taken again; a flood of unconfirmed first
	 * fragments then evicts its own kind, never a confirmed datagram */
	pkts[0] = udp6_fragment(7, 5060, 70000, 0, 3);
	pkts[1] = udp6_fragment(7, 5060, 70000, 1, 3);
	process_at(&e, e.w, pkts, 2, 5000 + e.w->frag_ttl_ms);
	assert_int_equal(members_out(e.w, member), 2);
	assert_int_equal(member[1], member[0]);
	for (i = 0; i < total; i += 16) {
		for (k = 0; k < 16; k++)
			pkts[k] = udp6_fragment(100000 + i + k, 5060,
						100000 + i + k, 0, 2);
		process_at(&e, e.w, pkts, 16, 5000 + e.w->frag_ttl_ms);
		assert_int_equal(members_out(e.w, member + 2), 16);
	}
	assert_true(e.w->stats[LB_STAT_FRAG6_EVICTED] >= 4096);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_MEMORY_FULL],
			 total - used);
	pkts[0] = udp6_fragment(7, 5060, 70000, 2, 3);
	process_at(&e, e.w, pkts, 1, 5001 + e.w->frag_ttl_ms);
	assert_int_equal(members_out(e.w, member + 2), 1);
	assert_int_equal(member[2], member[0]);
	lb_dp_worker_fini(e.w);
	lb_flow_free(ft6);
	env_fini(&e);
}

/*
 * A first fragment that does not carry the whole header chain up to its
 * ports (RFC 7112: here destination options, the UDP header in the next
 * fragment) is dropped and counted (drop_frag6_first_short); its later
 * fragments find no decision and are never guessed: they wait and are
 * dropped (drop_frag6_timeout). An atomic fragment (offset 0, no more)
 * is just the packet.
 */
static void
dp_ipv6_first_fragment_without_ports_dropped(void **state)
{
	struct lb_flow_table *ft6;
	struct rte_mbuf *pkts[2];
	int member[LB_TXBUF];
	struct frame f;
	struct env e;

	(void)state;
	frag6_env_init(&e, &ft6);
	eth(&f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_FRAGMENT, "2001:db8:c::9", VIP6_FRAG);
	put8(&f, LB_IPPROTO_DSTOPTS);
	put8(&f, 0);
	put16(&f, 1);                   /* offset 0, more to come */
	put32(&f, 99);
	put8(&f, LB_IPPROTO_UDP);       /* 8 bytes of options, no UDP */
	put8(&f, 0);
	put8(&f, 1);
	put8(&f, 4);
	put32(&f, 0);
	ip6_done(&f, 0);
	pkts[0] = mbuf_of(&f);
	/* its second fragment: offset 8 */
	eth(&f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_FRAGMENT, "2001:db8:c::9", VIP6_FRAG);
	put8(&f, LB_IPPROTO_DSTOPTS);
	put8(&f, 0);
	put16(&f, 8);
	put32(&f, 99);
	udp(&f, 20000, 5060, 8 + 8);
	lb_store_be16(f.b + f.len - 2, 0x1234);
	ip6_done(&f, 0);
	pkts[1] = mbuf_of(&f);
	process_at(&e, e.w, pkts, 2, 4000);
	assert_int_equal(members_out(e.w, member), 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_FIRST_SHORT], 1);
	/* a later fragment of DSTOPTS: not TCP or UDP, as IPv4's */
	assert_int_equal(e.w->stats[LB_STAT_DROP_IP_PROTO], 1);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_FIRST], 0);
	/* a later UDP fragment of that datagram waits, then is dropped */
	pkts[0] = udp6_fragment(8, 5060, 99, 1, 2);
	process_at(&e, e.w, pkts, 1, 4000);
	assert_int_equal(e.w->held6_live, 1);
	e.w->now = 4000 + e.w->frag_hold_ms;
	lb_dp_frag_release(e.w, lb_core_snapshot(e.core));
	assert_int_equal(members_out(e.w, member), 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_FRAG6_TIMEOUT], 1);
	/* an atomic fragment: forwarded, nothing remembered */
	eth(&f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_FRAGMENT, "2001:db8:c::9", VIP6_FRAG);
	put8(&f, LB_IPPROTO_UDP);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 100);
	udp(&f, 20000, 5060, 8 + 4);
	lb_store_be16(f.b + f.len - 2, 0x1234);
	put32(&f, 0x61626364);
	ip6_done(&f, 0);
	pkts[0] = mbuf_of(&f);
	process_at(&e, e.w, pkts, 1, 4100);
	assert_int_equal(members_out(e.w, member), 1);
	assert_true(member[0] == 0 || member[0] == 1);
	assert_int_equal(e.w->stats[LB_STAT_FRAG6_FIRST], 0);
	assert_int_equal(e.w->held6_live, 0);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* An ICMPv6 error quoting the first fragment of a datagram a member sent
 * from the VIP (its stack fragmented it) reaches the member of that
 * flow, as IPv4's does; one quoting a later fragment is dropped. */
static void
dp_ipv6_icmp_error_quoting_a_first_fragment(void **state)
{
	struct lb_flow_table *ft6;
	struct rte_mbuf *m;
	int member[LB_TXBUF], owner;
	unsigned int later;
	struct frame f;
	struct env e;

	(void)state;
	frag6_env_init(&e, &ft6);
	/* the flow: client 2001:db8:c::5:20004 -> VIP:53 (DNS, an entry) */
	m = udp6_fragment(4, 53, 1, 0, 1);
	process_at(&e, e.w, &m, 1, 1000);
	assert_int_equal(members_out(e.w, member), 1);
	owner = member[0];
	for (later = 0; later < 2; later++) {
		eth(&f, mac_port, LB_ETHERTYPE_IPV6);
		ipv6_hdr(&f, LB_IPPROTO_ICMPV6, "2001:db8:ff::1", VIP6_FRAG);
		icmp(&f, LB_ICMP6_DEST_UNREACH, 4);
		/* the quote: VIP:53 -> client:20004, a fragment */
		ipv6_hdr(&f, LB_IPPROTO_FRAGMENT, VIP6_FRAG, "2001:db8:c::5");
		lb_store_be16(f.b + f.len - 40 + 4, 1240);
		put8(&f, LB_IPPROTO_UDP);
		put8(&f, 0);
		put16(&f, later ? 1232 | 1 : 1);
		put32(&f, 0xabcdef);
		udp(&f, 53, 20004, 3000);
		put32(&f, 0);
		f.ip_off = 14;
		ip6_done(&f, 0);
		m = mbuf_of(&f);
		process_at(&e, e.w, &m, 1, 1001);
		if (later) {
			assert_int_equal(members_out(e.w, member), 0);
		} else {
			assert_int_equal(members_out(e.w, member), 1);
			assert_int_equal(member[0], owner);
		}
	}
	assert_int_equal(e.w->stats[LB_STAT_ICMP_ERROR], 1);
	assert_int_equal(e.w->stats[LB_STAT_DROP_ICMP], 1);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* UDP: a flow is confirmed by its second datagram, and handed over
 * then, if a peer could not compute its member. */
static void
dp_sync_stages_udp_flows_at_their_second_datagram(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint16_t all[N_MEMBERS] = { 0, 1, 2, 3 };
	struct lb_conf_service dns = { .name = "dns",
		.proto = LB_IPPROTO_UDP, .port_lo = 53, .port_hi = 53,
		.sched = LB_SCHED_WRR, .table_size = 1009 };
	const struct lb_snapshot *s;
	struct lb_dp_sync r[4];
	unsigned int staged = 0, n;
	struct lb_tuple k;
	struct env e;
	int svc, m;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	svc = lb_core_service_add(e.core, &dns, all, N_MEMBERS);
	assert_true(svc >= 0);
	assert_int_equal(lb_core_commit(e.core), 1);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	for (i = 0; i < 32; i++) {
		m = send_udp(&e, i, 53, &k);
		assert_true(m >= 0);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
		assert_int_equal(send_udp(&e, i, 53, &k), m);
		n = sync_take(e.sync_out, r, 4);
		if (lb_dp_flow_computable(s, (uint16_t)svc, &k, (uint16_t)m)) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 1);
		check_rec(&r[0], &e, &k, m, (uint16_t)svc, LB_DP_SYNC_FLOW,
			  LB_FLOW_UDP);
		staged++;
		/* a third datagram: nothing new */
		assert_int_equal(send_udp(&e, i, 53, &k), m);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
	}
	assert_true(staged > 0);
	env_fini(&e);
}

/* The consistent hash needs no sync: a Maglev service hands nothing
 * over; nor does a balancer without flow sync configured, even WRR. */
static void
dp_sync_nothing_for_maglev_or_without_sync(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const struct lb_conf_ha no_sync = { .mode = LB_HA_VRRP };
	struct env e;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_MAGLEV, NULL, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	for (i = 0; i < 64; i++) {
		int m = syn(&e, i);

		assert_true(m >= 0);
		assert_int_equal(ack(&e, i), m);
	}
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED], 0);
	env_fini(&e);

	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &no_sync);
	env_sync(&e, 1024);
	assert_int_equal(lb_core_snapshot(e.core)->sync, 0);
	for (i = 0; i < 64; i++) {
		int m = syn(&e, i);

		assert_true(m >= 0);
		assert_int_equal(ack(&e, i), m);
	}
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED] +
			 e.w->stats[LB_STAT_SYNC_RING_FULL], 0);
	env_fini(&e);
}

/* With persistence, a flow handed over brings its client's record: the
 * masked client, the VIP and port, the member; with wrr the record goes
 * even for a flow a peer could compute. */
static void
dp_sync_persistence_record_follows_its_flow(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const struct lb_snapshot *s;
	struct lb_dp_sync r[4];
	unsigned int clients = 0, records = 0, n;
	struct env e;
	uint32_t c;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 300, 24, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	/* four clients 203.0.113-116.7 (four /24s) */
	for (c = 0; c < 4; c++) {
		uint32_t i = 7 + 256 * c;
		struct lb_tuple k = tcp_key(i, 110);
		struct lb_tuple pk = {
			.src_ip = k.src_ip & ip4("255.255.255.0"),
			.dst_ip = k.dst_ip, .dst_port = 110,
			.proto = LB_IPPROTO_TCP };
		int m = syn(&e, i);

		assert_true(m >= 0);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
		assert_int_equal(ack(&e, i), m);
		n = sync_take(e.sync_out, r, 4);
		if (lb_dp_flow_computable(s, (uint16_t)e.pop3, &k,
					  (uint16_t)m)) {
			/* wrr: a peer would schedule the client's next
			 * connection anew, so its record goes anyway */
			assert_int_equal(n, 1);
			check_rec(&r[0], &e, &pk, m, (uint16_t)e.pop3,
				  LB_DP_SYNC_PERSIST, LB_FLOW_TCP_EST);
			records++;
			continue;
		}
		assert_int_equal(n, 2);
		check_rec(&r[0], &e, &k, m, (uint16_t)e.pop3,
			  LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST);
		check_rec(&r[1], &e, &pk, m, (uint16_t)e.pop3,
			  LB_DP_SYNC_PERSIST, LB_FLOW_TCP_EST);
		clients++;
	}
	assert_true(clients > 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED],
			 2 * clients + records);
	env_fini(&e);
}

/* A draining member's records are not renewed through a peer either: a
 * client's new connection to it announces its flow (if a peer could not
 * compute it) but no record, so the standby's copy lapses as ours does. */
static void
dp_sync_no_record_for_a_draining_member(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const struct lb_snapshot *s;
	struct lb_dp_sync r[4];
	struct lb_tuple k;
	unsigned int n, i;
	struct env e;
	int m;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 300, 24, &ha_sync);
	env_sync(&e, 1024);
	m = syn(&e, 7);
	assert_true(m >= 0);
	assert_int_equal(ack(&e, 7), m);
	assert_true(sync_take(e.sync_out, r, 4) >= 1);
	lb_core_member_set_state(e.core, (unsigned int)m, LB_ADMIN_DRAIN);
	assert_int_equal(lb_core_commit(e.core), 1);
	s = lb_core_snapshot(e.core);
	/* the same client, other source ports: still its member */
	for (i = 7 + 1024; i <= 7 + 3 * 1024; i += 1024) {
		assert_int_equal(syn(&e, i), m);
		assert_int_equal(ack(&e, i), m);
		k = tcp_key(i, 110);
		n = sync_take(e.sync_out, r, 4);
		if (lb_dp_flow_computable(s, (uint16_t)e.pop3, &k,
					  (uint16_t)m)) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 1);
		check_rec(&r[0], &e, &k, m, (uint16_t)e.pop3,
			  LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST);
	}
	env_fini(&e);
}

/* What the master's sync queue cannot take is counted, not lost
 * silently; the data path goes on. */
static void
dp_sync_full_queue_counted(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const struct lb_snapshot *s;
	unsigned int want = 0;
	struct env e;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 4);    /* room for 3 records */
	s = lb_core_snapshot(e.core);
	for (i = 0; i < 64; i++) {
		struct lb_tuple k = tcp_key(i, 110);
		int m = syn(&e, i);

		assert_int_equal(ack(&e, i), m);
		want += !lb_dp_flow_computable(s, (uint16_t)e.pop3, &k,
					       (uint16_t)m);
	}
	assert_true(want > 3);
	assert_int_equal(rte_ring_count(e.sync_out), 3);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED], 3);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_RING_FULL], want - 3);
	env_fini(&e);
}

/* A member for flow k of service svc that a peer could not compute
 * (not the consistent hash's), and the one it could. */
static int
member_not_computed_in(const struct env *e, int svc, const struct lb_tuple *k,
		       int *consistent_m)
{
	const struct lb_snapshot *s = lb_core_snapshot(e->core);
	int m, other = -1;

	*consistent_m = -1;
	for (m = 0; m < N_MEMBERS; m++) {
		if (lb_dp_flow_computable(s, (uint16_t)svc, k, (uint16_t)m))
			*consistent_m = m;
		else if (other < 0)
			other = m;
	}
	assert_true(*consistent_m >= 0 && other >= 0);
	return other;
}

/* As member_not_computed_in, for flow i of pop3. */
static int
member_not_computed(const struct env *e, uint32_t i, int *consistent_m)
{
	struct lb_tuple k = tcp_key(i, 110);

	return member_not_computed_in(e, e->pop3, &k, consistent_m);
}

/* A peer's record for flow k of service svc as the master hands it to a
 * worker: mapped to this balancer's member slot (the snapshot's
 * generation), living lifetime_ms. */
static struct lb_dp_sync
peer_rec(const struct env *e, const struct lb_tuple *k, int svc, int member,
	 uint8_t kind, uint8_t state, uint32_t lifetime_ms)
{
	const struct lb_snapshot *s = lb_core_snapshot(e->core);

	return (struct lb_dp_sync){
		.key = *k, .member = (uint16_t)member,
		.member_gen = s->members[member].gen, .svc = (uint16_t)svc,
		.kind = kind, .state = state, .lifetime_ms = lifetime_ms,
	};
}

/* Flow i of pop3 announced established on member (generation moved on
 * by gen_delta: a record mapped before the slot changed), living what
 * an established flow lives. */
static void
sync_put(struct rte_ring *r, const struct env *e, uint32_t i, int member,
	 uint32_t gen_delta)
{
	const struct lb_snapshot *s = lb_core_snapshot(e->core);
	struct lb_tuple k = tcp_key(i, 110);
	struct lb_dp_sync d = peer_rec(e, &k, e->pop3, member,
				       LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
				       s->timeouts.t[LB_FLOW_TCP_EST]);

	d.member_gen += gen_delta;
	assert_int_equal(rte_ring_sp_enqueue_elem(r, &d, sizeof(d)), 0);
}

/* The master hands w record d on its ring in; w applies it at now (ms),
 * as its loop would. */
static void
install_at(const struct env *e, struct lb_worker *w, struct rte_ring *in,
	   const struct lb_dp_sync *d, uint32_t now)
{
	struct lb_dp_sync copy = *d;

	assert_int_equal(rte_ring_sp_enqueue_elem(in, &copy, sizeof(copy)), 0);
	w->now = now;
	w->now_s = now / 1000;
	assert_int_equal(lb_dp_sync_install(w, lb_core_snapshot(e->core), 64),
			 1);
}

/* Send one IPv6 TCP packet of flow i to port 110 at now: its member,
 * or -1 if it was not forwarded. */
static int
send6_at(struct env *e, uint32_t i, uint8_t flags, uint32_t now)
{
	struct rte_mbuf *m = tcp6_mbuf(i, 110, flags);
	int member[LB_TXBUF];
	uint16_t id[LB_TXBUF];

	process_at(e, e->w, &m, 1, now);
	return collect(e->w, member, id, LB_TXBUF) == 1 ? member[0] : -1;
}

/* The key of tcp6_mbuf(i, 110). */
static struct lb_tuple6
tcp6_key(uint32_t i)
{
	struct lb_tuple6 k = { .src_port = 1024, .dst_port = 110,
			       .proto = LB_IPPROTO_TCP };
	char src[64];

	snprintf(src, sizeof(src), "2001:db8:c::%x", i + 1);
	addr6(k.src_ip, src);
	addr6(k.dst_ip, "2001:db8:100::100");
	return k;
}

/* IPv6 flows take part in flow sync as IPv4's do: a confirmed flow a
 * peer could not compute is staged with its IPv6 key (v6), its end too;
 * a peer's IPv6 record is installed in the IPv6 table as a learned
 * entry, and the flow's next packet goes to the announced member (not
 * the hash's): a takeover keeps it. A worker without an IPv6 table
 * counts the record it cannot place. */
static void
dp_sync_ipv6_flows_staged_and_installed(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_ip v6 = ipx("2001:db8:100::100");
	struct lb_dp_rxq rxq = { 0 };
	struct lb_conf_error err;
	const struct lb_snapshot *s;
	struct lb_flow_table *ft6;
	struct lb_dp_sync r[4], d;
	const struct lb_flow_entry *fe;
	unsigned int staged = 0, n;
	int where[32], cm, m, ended = -1;
	struct lb_tuple6 k;
	struct env e;
	int32_t pos;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	assert_int_equal(lb_core_vip_add(e.core, &v6, 128, "t", &err), 1);
	assert_int_equal(lb_core_commit(e.core), 1);
	s = lb_core_snapshot(e.core);
	ft6 = lb_flow_create_family("test_dp_sync6", 256, LB_FLOW_IPV6,
				    SOCKET_ID_ANY, NULL);
	assert_non_null(ft6);
	e.sync_out = sync_ring(1024);
	e.sync_in = sync_ring(1024);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e.core), .flows = e.flows,
			.flows6 = ft6, .rxq = &rxq, .n_rxq = 1,
			.port_ids = &port_id, .n_ports = 1, .quit = &quit,
			.sync_out = e.sync_out, .sync_in = e.sync_in,
		};

		assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);
	}
	for (i = 0; i < 32; i++) {
		k = tcp6_key(i);
		where[i] = send6_at(&e, i, LB_TCP_SYN, 100);
		assert_true(where[i] >= 0);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
		assert_int_equal(send6_at(&e, i, LB_TCP_ACK, 101), where[i]);
		n = sync_take(e.sync_out, r, 4);
		if (lb_dp_flow6_computable(s, (uint16_t)e.pop3, &k,
					   (uint16_t)where[i])) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 1);
		assert_int_equal(r[0].v6, 1);
		assert_memory_equal(&r[0].key6, &k, sizeof(k));
		assert_int_equal(r[0].member, where[i]);
		assert_int_equal(r[0].kind, LB_DP_SYNC_FLOW);
		assert_int_equal(r[0].state, LB_FLOW_TCP_EST);
		staged++;
		if (ended < 0)
			ended = (int)i;
	}
	assert_true(staged > 0 && staged < 32);
	assert_int_equal(e.flows->count, 0);
	/* the end of a staged flow is news too */
	assert_int_equal(send6_at(&e, (uint32_t)ended,
				  LB_TCP_FIN | LB_TCP_ACK, 102),
			 where[ended]);
	assert_int_equal(sync_take(e.sync_out, r, 4), 1);
	k = tcp6_key((uint32_t)ended);
	assert_int_equal(r[0].v6, 1);
	assert_memory_equal(&r[0].key6, &k, sizeof(k));
	assert_int_equal(r[0].kind, LB_DP_SYNC_ENDED);

	/* a peer's flow: installed in the IPv6 table, learned, on the
	 * member the peer chose (one the hash does not give) */
	k = tcp6_key(200);
	cm = lb_maglev_lookup(s->services[e.pop3].settled,
			      s->services[e.pop3].table_size,
			      lb_tuple6_hash(&k));
	m = (cm + 1) % N_MEMBERS;
	d = (struct lb_dp_sync){
		.key6 = k, .v6 = 1, .member = (uint16_t)m,
		.member_gen = s->members[m].gen, .svc = (uint16_t)e.pop3,
		.kind = LB_DP_SYNC_FLOW, .state = LB_FLOW_TCP_EST,
		.lifetime_ms = s->timeouts.t[LB_FLOW_TCP_EST],
	};
	install_at(&e, e.w, e.sync_in, &d, 200);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 1);
	assert_int_equal(e.flows->count, 0);
	pos = lb_flow_lookup(ft6, &k, lb_tuple6_hash(&k));
	assert_true(pos >= 0);
	fe = lb_flow_at(ft6, pos);
	assert_int_equal(fe->member, m);
	assert_int_equal(fe->flags, LB_FLOW_F_LEARNED);
	/* the takeover: the flow's next packet, no SYN seen here, goes
	 * where the peer had it, and the flow is ours now */
	assert_int_equal(send6_at(&e, 200, LB_TCP_ACK, 300), m);
	assert_int_equal(fe->flags, 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_MIDSTREAM], 0);
	/* ours and not the hash's: announced to the peers in turn */
	assert_int_equal(sync_take(e.sync_out, r, 4), 1);
	assert_memory_equal(&r[0].key6, &k, sizeof(k));
	assert_int_equal(r[0].member, m);

	/* the same record for a worker without an IPv6 table: counted */
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e.core), .flows = e.flows,
			.rxq = &rxq, .n_rxq = 1, .port_ids = &port_id,
			.n_ports = 1, .quit = &quit,
			.sync_out = e.sync_out, .sync_in = e.sync_in,
		};

		assert_int_equal(lb_dp_worker_init(e.w, &dp), 0);
	}
	install_at(&e, e.w, e.sync_in, &d, 400);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALL_FULL], 1);
	assert_int_equal(e.flows->count, 0);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* A Neighbor Solicitation from the router (2001:db8:5::1, its link
 * address 02:aa:00:00:00:07) for target, to target's solicited-node
 * group, hop limit 255, checksum right. */
static struct rte_mbuf *
ns_mbuf(const char *target)
{
	static const uint8_t router_mac[6] = { 0x02, 0xaa, 0, 0, 0, 0x07 };
	uint8_t tgt[16], dst[16], dmac[6] = { 0x33, 0x33, 0xff };
	char group[64];
	uint32_t sum = 0, i, m0;
	struct frame f;

	addr6(tgt, target);
	snprintf(group, sizeof(group), "ff02::1:ff%02x:%02x%02x", tgt[13],
		 tgt[14], tgt[15]);
	addr6(dst, group);
	memcpy(dmac + 3, tgt + 13, 3);
	eth(&f, dmac, LB_ETHERTYPE_IPV6);
	ipv6_hdr(&f, LB_IPPROTO_ICMPV6, "2001:db8:5::1", group);
	f.b[f.ip_off + 7] = 255;          /* hop limit: on the link */
	m0 = f.len;
	put8(&f, LB_ICMP6_NEIGH_SOLICIT);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0);
	put(&f, tgt, 16);
	put8(&f, LB_NDP_OPT_SLLA);
	put8(&f, 1);
	put(&f, router_mac, 6);
	ip6_done(&f, 0);
	/* the checksum over the pseudo-header and the message */
	for (i = 0; i < 32; i += 2)
		sum += (uint32_t)(f.b[f.ip_off + 8 + i] << 8 |
				  f.b[f.ip_off + 9 + i]);
	sum += (f.len - m0) + LB_IPPROTO_ICMPV6;
	for (i = m0; i + 1 < f.len; i += 2)
		sum += (uint32_t)(f.b[i] << 8 | f.b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	lb_store_be16(f.b + m0 + 2, (uint16_t)~sum);
	return mbuf_of(&f);
}

/* Mode ecmp: the router resolves the balancer's IPv6 next hop
 * (high_availability.next_hop6) by Neighbor Discovery, and the workers
 * answer for it, with the port's MAC as the target's link address,
 * though they answer for no VIP in that mode; without a next hop, that
 * address is nobody's. */
static void
dp_ecmp_next_hop6_answers_neighbor_solicitations(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_ha ha = { .mode = LB_HA_ECMP,
				 .announce_table = LB_HA_ANNOUNCE_TABLE };
	struct lb_ip v6 = ipx("2001:db8:5::100");
	struct lb_conf_error err;
	struct rte_mbuf *m;
	struct env e;
	const uint8_t *p;
	uint8_t nh[16];

	(void)state;
	ha.next_hop6 = ipx("2001:db8:5::2");
	env_init_ha(&e, LB_SCHED_MAGLEV, w, 0, 32, &ha);
	assert_int_equal(lb_core_vip_add(e.core, &v6, 128, "t", &err), 1);
	assert_int_equal(lb_core_commit(e.core), 1);
	assert_int_equal(lb_core_snapshot(e.core)->vip_arp, 0);
	m = ns_mbuf("2001:db8:5::2");
	process_at(&e, e.w, &m, 1, 100);
	assert_int_equal(e.w->tx[0].n, 1);
	assert_int_equal(e.w->stats[LB_STAT_NDP_REPLY_OUT], 1);
	p = rte_pktmbuf_mtod(e.w->tx[0].m[0], const uint8_t *);
	addr6(nh, "2001:db8:5::2");
	assert_int_equal(p[14 + 40], LB_ICMP6_NEIGH_ADVERT);
	assert_memory_equal(p + 14 + 8, nh, 16);          /* from it */
	assert_memory_equal(p + 14 + 40 + 8, nh, 16);     /* about it */
	assert_memory_equal(p + 14 + 40 + 26, mac_port, 6);
	rte_pktmbuf_free(e.w->tx[0].m[0]);
	e.w->tx[0].n = 0;
	/* the VIP: no answer in ecmp */
	m = ns_mbuf("2001:db8:5::100");
	process_at(&e, e.w, &m, 1, 101);
	assert_int_equal(e.w->tx[0].n, 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_NDP_OTHER], 1);
	env_fini(&e);

	/* no next hop configured: nobody's */
	ha.next_hop6 = (struct lb_ip){ .b = { 0 } };
	env_init_ha(&e, LB_SCHED_MAGLEV, w, 0, 32, &ha);
	m = ns_mbuf("2001:db8:5::2");
	process_at(&e, e.w, &m, 1, 100);
	assert_int_equal(e.w->tx[0].n, 0);
	assert_int_equal(e.w->stats[LB_STAT_DROP_NDP_OTHER], 1);
	env_fini(&e);
}

/* Flow k's entry in table ft (live or not), NULL if it holds none. */
static const struct lb_flow_entry *
entry_of(struct lb_flow_table *ft, const struct lb_tuple *k)
{
	int32_t pos = lb_flow_lookup(ft, k, lb_tuple_hash(k));

	return pos < 0 ? NULL : lb_flow_at(ft, pos);
}

/* A TCP packet of flow i to pop3 through w at now (ms): the member it
 * went to, or -1. The worker's clock is the test's, never the TSC's. */
static int
tcp_at(struct env *e, struct lb_worker *w, uint32_t i, uint8_t flags,
       uint32_t now)
{
	struct rte_mbuf *m = tcp_mbuf(i, 110, flags);

	w->now_s = now / 1000;
	process_at(e, w, &m, 1, now);
	return take_one(w);
}

/* A datagram of flow i to dns (port 53) through w at now (ms). */
static int
udp_at(struct env *e, struct lb_worker *w, uint32_t i, uint32_t now)
{
	struct lb_tuple k;
	struct rte_mbuf *m = udp_mbuf(i, 53, &k);

	w->now_s = now / 1000;
	process_at(e, w, &m, 1, now);
	return take_one(w);
}

/* The key of udp_mbuf(i, 53). */
static struct lb_tuple
udp_key(uint32_t i)
{
	struct lb_tuple k = tcp_key(i, 53);

	k.proto = LB_IPPROTO_UDP;
	return k;
}

/* Add the UDP service dns (port 53, wrr over every member): its slot. */
static int
env_add_dns(struct env *e)
{
	static const uint16_t all[N_MEMBERS] = { 0, 1, 2, 3 };
	struct lb_conf_service dns = { .name = "dns",
		.proto = LB_IPPROTO_UDP, .port_lo = 53, .port_hi = 53,
		.sched = LB_SCHED_WRR, .table_size = 1009 };
	int svc = lb_core_service_add(e->core, &dns, all, N_MEMBERS);

	assert_true(svc >= 0);
	assert_int_equal(lb_core_commit(e->core), 1);
	return svc;
}

/* A handoff a worker staged: the flow's key and service and what
 * became of it there; no member (the master sends it to the worker
 * that holds the flow, by its key), no lifetime. */
static void
check_handoff(const struct lb_dp_sync *r, const struct lb_tuple *key,
	      int svc, uint8_t state)
{
	assert_memory_equal(&r->key, key, sizeof(*key));
	assert_int_equal(r->svc, svc);
	assert_int_equal(r->kind, LB_DP_SYNC_HANDOFF);
	assert_int_equal(r->state, state);
	assert_int_equal(r->lifetime_ms, 0);
}

/* Empty a ring of staged records. */
static void
sync_drain(struct rte_ring *r)
{
	struct lb_dp_sync rec[16];

	while (sync_take(r, rec, RTE_DIM(rec)) > 0)
		;
}

/* The state of flow i in a table, 0 if absent. */
static uint8_t
flow_state(struct lb_flow_table *ft, uint32_t i)
{
	struct lb_tuple k = tcp_key(i, 110);
	int32_t pos = lb_flow_lookup(ft, &k, lb_tuple_hash(&k));

	return pos < 0 ? 0 : lb_flow_at(ft, pos)->state;
}

/* A flow a peer announced is installed as a learned copy, confirmed, on
 * the announced member for the record's lifetime: its mid-stream packets
 * go there, not where the hash would guess; a guess made before the
 * announcement gives way; a flow this balancer confirmed itself stays
 * as it is; a record whose member slot changed meanwhile is ignored.
 * The first packet of a copy makes the flow ours: announced then, once. */
static void
dp_sync_install_takes_the_announced_member(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	int r1, c1, r2, c2, r3, c3, own, r4, c4, other;
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	struct lb_tuple k1 = tcp_key(1, 110), k2 = tcp_key(2, 110);
	struct lb_tuple k3 = tcp_key(3, 110);
	struct lb_dp_sync rec[4];
	uint32_t est, own_expire;
	uint64_t queued;
	struct env e;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	/* flow 1: announced before any packet */
	r1 = member_not_computed(&e, 1, &c1);
	sync_put(e.sync_in, &e, 1, r1, 0);
	/* flow 2: a mid-stream packet came first (a guess, on c2) */
	r2 = member_not_computed(&e, 2, &c2);
	assert_int_equal(ack(&e, 2), c2);
	assert_int_equal(flow_state(e.flows, 2), LB_FLOW_TCP_MID);
	sync_put(e.sync_in, &e, 2, r2, 0);
	/* flow 3: confirmed here on own, announced elsewhere */
	own = syn(&e, 3);
	assert_int_equal(ack(&e, 3), own);
	r3 = member_not_computed(&e, 3, &c3);
	if (r3 == own)
		r3 = c3 != own ? c3 : (own + 1) % N_MEMBERS;
	sync_put(e.sync_in, &e, 3, r3, 0);
	own_expire = entry_of(e.flows, &k3)->expire;
	/* flow 4: its member's slot changed since it was mapped */
	r4 = member_not_computed(&e, 4, &c4);
	sync_put(e.sync_in, &e, 4, r4, 1);
	/* flow 3 may have been news of ours: not what is tested here */
	sync_drain(e.sync_out);
	queued = e.w->stats[LB_STAT_SYNC_QUEUED];

	lb_dp_clock(e.w);
	assert_int_equal(lb_dp_sync_install(e.w, s, LB_SYNC_INSTALL_BUDGET),
			 4);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 2);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_OWNED], 1);
	/* learned copies, living the record's lifetime from now */
	fe = entry_of(e.flows, &k1);
	assert_non_null(fe);
	assert_int_equal(fe->state, LB_FLOW_TCP_EST);
	assert_int_equal(fe->flags, LB_FLOW_F_LEARNED);
	assert_int_equal(fe->expire, e.w->now + est);
	fe = entry_of(e.flows, &k2);
	assert_non_null(fe);
	assert_int_equal(fe->state, LB_FLOW_TCP_EST);
	assert_int_equal(fe->flags, LB_FLOW_F_LEARNED);
	assert_int_equal(fe->expire, e.w->now + est);
	/* ours, untouched by the peer's record */
	fe = entry_of(e.flows, &k3);
	assert_int_equal(fe->member, own);
	assert_int_equal(fe->flags, 0);
	assert_int_equal(fe->expire, own_expire);
	assert_int_equal(flow_state(e.flows, 4), 0);
	/* installing is no news of ours */
	assert_int_equal(rte_ring_count(e.sync_out), 0);

	/* mid-stream packets: to the announced members; the first one
	 * makes the copy ours, and ours to announce (once) */
	assert_int_equal(ack(&e, 1), r1);
	assert_int_equal(sync_take(e.sync_out, rec, 4), 1);
	check_rec(&rec[0], &e, &k1, r1, (uint16_t)e.pop3, LB_DP_SYNC_FLOW,
		  LB_FLOW_TCP_EST);
	assert_int_equal(ack(&e, 1), r1);
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	assert_int_equal(ack(&e, 2), r2);
	assert_int_equal(sync_take(e.sync_out, rec, 4), 1);
	check_rec(&rec[0], &e, &k2, r2, (uint16_t)e.pop3, LB_DP_SYNC_FLOW,
		  LB_FLOW_TCP_EST);
	assert_int_equal(entry_of(e.flows, &k1)->flags, 0);
	assert_int_equal(entry_of(e.flows, &k2)->flags, 0);
	assert_int_equal(ack(&e, 3), own);
	/* the stale record made nothing: the hash's guess */
	assert_int_equal(ack(&e, 4), c4);
	assert_int_equal(flow_state(e.flows, 1), LB_FLOW_TCP_EST);
	/* and a flow nobody announced goes by the hash, for contrast */
	member_not_computed(&e, 5, &other);
	assert_int_equal(ack(&e, 5), other);
	/* flows 3, 4 and 5 were no news */
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED], queued + 2);
	env_fini(&e);
}

/* Two workers with flow sync rings, wired as peers: ws[0] is the env's
 * (e->sync_out, e->sync_in), ws[1] has table *ft2 and rings out2, in2. */
static void
sync_two_workers(struct env *e, struct lb_worker **ws,
		 struct lb_flow_table **ft2, struct rte_ring *out2,
		 struct rte_ring *in2)
{
	env_sync(e, 1024);
	ws[0] = e->w;
	ws[1] = rte_zmalloc("w2", sizeof(*ws[1]), RTE_CACHE_LINE_SIZE);
	assert_non_null(ws[1]);
	*ft2 = lb_flow_create("test_dp_home", 1024, SOCKET_ID_ANY, NULL);
	assert_non_null(*ft2);
	sync_worker_init(e, ws[1], *ft2, out2, in2);
	peers2[0] = ws[0];
	peers2[1] = ws[1];
	lb_dp_set_peers(ws[0], peers2, 2);
	lb_dp_set_peers(ws[1], peers2, 2);
}

/* The master installs a synced flow in its home worker (by the flow's
 * hash); RSS may give its packets to the other worker, which finds it
 * there and goes to the announced member. The flow is that worker's
 * now, confirmed: it announces the flow, and hands the home's copy
 * off, which the master passes home, where the copy goes: one entry
 * per flow. */
static void
dp_sync_other_worker_finds_the_flow_at_home(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_ring *in2 = sync_ring(1024), *out2 = sync_ring(1024);
	struct rte_ring *ins[2], *outs[2];
	const struct lb_snapshot *s;
	struct lb_worker *ws[2], *home, *away;
	struct lb_flow_table *ft2;
	unsigned int hits[2] = { 0, 0 }, handoffs[2] = { 0, 0 };
	struct lb_dp_sync rec[4];
	struct env e;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	sync_two_workers(&e, ws, &ft2, out2, in2);
	s = lb_core_snapshot(e.core);
	ins[0] = e.sync_in;
	ins[1] = in2;
	outs[0] = e.sync_out;
	outs[1] = out2;
	for (i = 100; i < 116; i++) {
		struct lb_tuple k = tcp_key(i, 110);
		unsigned int h = lb_tuple_hash(&k) % 2;
		int c, r = member_not_computed(&e, i, &c);

		home = ws[h];
		away = ws[1 - h];
		sync_put(ins[h], &e, i, r, 0);
		lb_dp_clock(home);
		assert_int_equal(lb_dp_sync_install(home, s, 64), 1);
		/* the packet reaches the worker without the record */
		assert_int_equal(send_tcp(&e, away, i, 110, LB_TCP_ACK), r);
		hits[1 - h]++;
		assert_int_equal(away->stats[LB_STAT_SYNC_HOME_HIT],
				 hits[1 - h]);
		assert_int_equal(flow_state(away->flows, i), LB_FLOW_TCP_EST);
		assert_int_equal(entry_of(away->flows, &k)->flags, 0);
		/* the home's copy goes; the flow, ours, is news for peers
		 * (its member is not the hash's) */
		assert_int_equal(sync_take(outs[1 - h], rec, 4), 2);
		check_handoff(&rec[0], &k, e.pop3, LB_FLOW_TCP_EST);
		check_rec(&rec[1], &e, &k, r, (uint16_t)e.pop3,
			  LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST);
		/* its own entry now: no second look, nothing new */
		assert_int_equal(send_tcp(&e, away, i, 110, LB_TCP_ACK), r);
		assert_int_equal(away->stats[LB_STAT_SYNC_HOME_HIT],
				 hits[1 - h]);
		assert_int_equal(rte_ring_count(outs[1 - h]), 0);
		/* the master passes the handoff home: the copy goes */
		assert_true(lb_dp_flow_held(home, &k, lb_tuple_hash(&k)));
		assert_int_equal(rte_ring_sp_enqueue_elem(ins[h], &rec[0],
							  sizeof(rec[0])), 0);
		lb_dp_clock(home);
		assert_int_equal(lb_dp_sync_install(home, s, 64), 1);
		handoffs[h]++;
		assert_int_equal(home->stats[LB_STAT_SYNC_HANDOFF],
				 handoffs[h]);
		assert_false(lb_dp_flow_held(home, &k, lb_tuple_hash(&k)));
		assert_true(lb_dp_flow_held(away, &k, lb_tuple_hash(&k)));
		assert_int_equal(send_tcp(&e, away, i, 110, LB_TCP_ACK), r);
	}
	/* both ways round: each worker was home for some flows */
	assert_true(hits[0] > 0 && hits[1] > 0);
	assert_int_equal(ws[0]->stats[LB_STAT_SYNC_HOME_HIT] +
			 ws[1]->stats[LB_STAT_SYNC_HOME_HIT], 16);
	assert_int_equal(ws[0]->stats[LB_STAT_SYNC_RING_FULL] +
			 ws[1]->stats[LB_STAT_SYNC_RING_FULL], 0);
	assert_int_equal(lb_flow_audit(e.flows, NULL), 0);
	assert_int_equal(lb_flow_audit(ft2, NULL), 0);
	lb_flow_free(ft2);
	rte_free(ws[1]);
	rte_ring_free(in2);
	rte_ring_free(out2);
	env_fini(&e);
}

/* The first packet of a synced flow at the worker that is not its home
 * may end it (FIN or RST, say after a failover): it goes to the
 * announced member too, not where the hash would guess; that worker
 * keeps no entry, and hands the end off to the home, whose copy
 * closes. */
static void
dp_sync_fin_at_other_worker_goes_to_the_synced_member(void **state)
{
	static const uint8_t ends[] = { LB_TCP_FIN | LB_TCP_ACK, LB_TCP_RST };
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_ring *in2 = sync_ring(1024), *out2 = sync_ring(1024);
	struct rte_ring *ins[2], *outs[2];
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	struct lb_flow_table *ft2;
	struct lb_dp_sync rec[4];
	struct lb_worker *ws[2];
	struct env e;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	sync_two_workers(&e, ws, &ft2, out2, in2);
	s = lb_core_snapshot(e.core);
	ins[0] = e.sync_in;
	ins[1] = in2;
	outs[0] = e.sync_out;
	outs[1] = out2;
	for (i = 200; i < 216; i++) {
		struct lb_tuple k = tcp_key(i, 110);
		unsigned int h = lb_tuple_hash(&k) % 2;
		int c, r = member_not_computed(&e, i, &c);

		sync_put(ins[h], &e, i, r, 0);
		lb_dp_clock(ws[h]);
		assert_int_equal(lb_dp_sync_install(ws[h], s, 64), 1);
		assert_int_equal(send_tcp(&e, ws[1 - h], i, 110, ends[i % 2]),
				 r);
		assert_int_equal(flow_state(ws[1 - h]->flows, i), 0);
		assert_int_equal(sync_take(outs[1 - h], rec, 4), 1);
		check_handoff(&rec[0], &k, e.pop3, LB_FLOW_TCP_CLOSING);
		/* passed home: the copy closes, keeping its member for the
		 * flow's late packets */
		assert_int_equal(rte_ring_sp_enqueue_elem(ins[h], &rec[0],
							  sizeof(rec[0])), 0);
		lb_dp_clock(ws[h]);
		assert_int_equal(lb_dp_sync_install(ws[h], s, 64), 1);
		fe = entry_of(ws[h]->flows, &k);
		assert_non_null(fe);
		assert_int_equal(fe->state, LB_FLOW_TCP_CLOSING);
		assert_int_equal(fe->member, r);
		assert_int_equal(fe->expire, ws[h]->now +
				 s->timeouts.t[LB_FLOW_TCP_CLOSING]);
	}
	assert_int_equal(ws[0]->stats[LB_STAT_SYNC_HOME_HIT] +
			 ws[1]->stats[LB_STAT_SYNC_HOME_HIT], 16);
	assert_int_equal(ws[0]->stats[LB_STAT_SYNC_ENDED] +
			 ws[1]->stats[LB_STAT_SYNC_ENDED], 16);
	assert_int_equal(ws[0]->stats[LB_STAT_SYNC_HANDOFF] +
			 ws[1]->stats[LB_STAT_SYNC_HANDOFF], 0);
	lb_flow_free(ft2);
	rte_free(ws[1]);
	rte_ring_free(in2);
	rte_ring_free(out2);
	env_fini(&e);
}

/* ---- flow sync's origin rules: learned copies and flows of ours ----
 *
 * The worker's clock is set by the tests (install_at, tcp_at, udp_at),
 * from T0 on, so lifetimes and timeouts are checked to the tick. */

#define T0 1000000u

/* Flows learned from peers are never announced again (the peer that
 * carries a flow does): installing, refreshing, ending or handing off
 * copies stages nothing, and the master's walk marks them learned, so
 * its bulk answer to a starting peer leaves them out
 * (lib/agent/sync.c). Guards dp_sync.c sync_install_one(), which never
 * stages, and walk.c lb_dp_flows_walk() ".learned = (e.flags &
 * LB_FLOW_F_LEARNED) != 0"; dp_sync_stage()'s own LB_FLOW_F_LEARNED test
 * is a second fence no packet reaches (flow_existing() clears the flag
 * before it stages). */
static void
dp_sync_learned_entry_is_never_announced(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_dp_flow out[64];
	const struct lb_snapshot *s;
	unsigned int n, j, learned = 0, mine = 0;
	uint32_t i, est, cursor = 0;
	struct lb_dp_sync d;
	struct lb_tuple k;
	struct env e;
	int r, c;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	/* the walk reads the TSC's clock: so does the worker here */
	lb_dp_clock(e.w);
	for (i = 600; i < 616; i++) {
		k = tcp_key(i, 110);
		r = member_not_computed(&e, i, &c);
		/* some on the member a peer could not compute, some on
		 * the hash's */
		d = peer_rec(&e, &k, e.pop3, i % 2 ? r : c, LB_DP_SYNC_FLOW,
			     LB_FLOW_TCP_EST, est);
		install_at(&e, e.w, e.sync_in, &d, e.w->now);
		/* refreshed, on another member */
		d = peer_rec(&e, &k, e.pop3, i % 2 ? c : r, LB_DP_SYNC_FLOW,
			     LB_FLOW_TCP_EST, est);
		install_at(&e, e.w, e.sync_in, &d, e.w->now);
	}
	/* one ends at its peer, one is handed off to another worker */
	k = tcp_key(600, 110);
	d = (struct lb_dp_sync){ .key = k, .svc = (uint16_t)e.pop3,
		.kind = LB_DP_SYNC_HANDOFF, .state = LB_FLOW_TCP_EST };
	install_at(&e, e.w, e.sync_in, &d, e.w->now);
	k = tcp_key(601, 110);
	d = peer_rec(&e, &k, e.pop3, entry_of(e.flows, &k)->member,
		     LB_DP_SYNC_ENDED, LB_FLOW_TCP_CLOSING, 0);
	install_at(&e, e.w, e.sync_in, &d, e.w->now);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 16);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_REFRESHED], 16);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_HANDOFF], 1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 1);
	/* nothing of it is news of ours */
	lb_dp_sync_flush(e.w);
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED] +
			 e.w->stats[LB_STAT_SYNC_RING_FULL], 0);
	/* a packet makes flow 603 ours: the walk says so */
	k = tcp_key(603, 110);
	r = entry_of(e.flows, &k)->member;
	assert_int_equal(send_tcp(&e, e.w, 603, 110, LB_TCP_ACK), r);
	do {
		n = lb_dp_flows_walk(e.w, NULL, &cursor, out, RTE_DIM(out),
				     UINT32_MAX);
		for (j = 0; j < n; j++) {
			bool ours = out[j].key.src_ip == k.src_ip &&
				    out[j].key.src_port == k.src_port;

			assert_int_equal(out[j].learned, !ours);
			learned += out[j].learned;
			mine += ours;
		}
	} while (cursor != LB_DP_WALK_END);
	/* 16 installed, one handed off (601, closed, is still a copy),
	 * one ours now */
	assert_int_equal(learned, 14);
	assert_int_equal(mine, 1);
	env_fini(&e);
}

/* An established flow (and a UDP one) of ours that went idle past its
 * timeout here is gone for us: a peer's record for it (the peer carries
 * it now) is installed in its place as a learned copy on the peer's
 * member, living the record's lifetime. Guards dp_sync.c
 * sync_install_one(): "live && !lb_flow_provisional(e->state)" sends
 * only live entries to sync_update() (where ours would stay as it was:
 * SYNC_OWNED), and "if (e->state == 0 || !live) lb_flow_renew()" takes
 * the expired one in place. */
static void
dp_sync_expired_idle_flow_taken_again(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple k = tcp_key(40, 110), u = udp_key(41);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	uint32_t est, udp, t1, count;
	struct lb_dp_sync d;
	int own, uown, r, ur, dns;
	struct env e;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	dns = env_add_dns(&e);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	udp = s->timeouts.t[LB_FLOW_UDP];
	own = tcp_at(&e, e.w, 40, LB_TCP_SYN, T0);
	assert_int_equal(tcp_at(&e, e.w, 40, LB_TCP_ACK, T0), own);
	uown = udp_at(&e, e.w, 41, T0);
	assert_int_equal(udp_at(&e, e.w, 41, T0), uown);
	assert_int_equal(entry_of(e.flows, &k)->state, LB_FLOW_TCP_EST);
	assert_int_equal(entry_of(e.flows, &u)->state, LB_FLOW_UDP);
	sync_drain(e.sync_out);
	count = e.flows->count;
	r = (own + 1) % N_MEMBERS;
	ur = (uown + 1) % N_MEMBERS;

	/* idle here past both timeouts: the peer's records take them */
	t1 = T0 + (est > udp ? est : udp) + 1000;
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     est);
	install_at(&e, e.w, e.sync_in, &d, t1);
	d = peer_rec(&e, &u, dns, ur, LB_DP_SYNC_FLOW, LB_FLOW_UDP, udp);
	install_at(&e, e.w, e.sync_in, &d, t1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 2);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_OWNED], 0);
	fe = entry_of(e.flows, &k);
	assert_int_equal(fe->state, LB_FLOW_TCP_EST);
	assert_int_equal(fe->member, r);
	assert_int_equal(fe->member_gen, s->members[r].gen);
	assert_int_equal(fe->flags, LB_FLOW_F_LEARNED);
	assert_int_equal(fe->expire, t1 + est);
	fe = entry_of(e.flows, &u);
	assert_int_equal(fe->state, LB_FLOW_UDP);
	assert_int_equal(fe->member, ur);
	assert_int_equal(fe->flags, LB_FLOW_F_LEARNED);
	assert_int_equal(fe->expire, t1 + udp);
	/* taken in place: still one entry each */
	assert_int_equal(e.flows->count, count);
	check_member_counts(e.flows);
	assert_int_equal(lb_flow_audit(e.flows, NULL), 0);
	/* the flows' next packets go to the peer's members */
	assert_int_equal(tcp_at(&e, e.w, 40, LB_TCP_ACK, t1 + 1), r);
	assert_int_equal(udp_at(&e, e.w, 41, t1 + 1), ur);
	env_fini(&e);
}

/* A learned copy follows its peer's records: another member (the peer
 * moved the flow), and the lifetime each record gives, shorter than
 * the copy had too (the peer's flow went idle). Guards dp_sync.c
 * sync_update(): the lb_flow_fill() of a copy whose member changed, and
 * "lb_flow_set_expire(e, copy_until(w, s, r))" that sets, not extends. */
static void
dp_sync_learned_copy_follows_and_may_shorten(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple k = tcp_key(42, 110);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	struct lb_dp_sync d;
	struct env e;
	uint32_t est;
	int r, c;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	r = member_not_computed(&e, 42, &c);
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST, est);
	install_at(&e, e.w, e.sync_in, &d, T0);
	fe = entry_of(e.flows, &k);
	assert_int_equal(fe->member, r);
	assert_int_equal(fe->expire, T0 + est);
	/* moved to c at the peer, which gives it 5 s more: shorter */
	d = peer_rec(&e, &k, e.pop3, c, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     5000);
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	assert_int_equal(fe->member, c);
	assert_int_equal(fe->member_gen, s->members[c].gen);
	assert_int_equal(fe->svc, e.pop3);
	assert_int_equal(fe->state, LB_FLOW_TCP_EST);
	assert_int_equal(fe->flags, LB_FLOW_F_LEARNED);
	assert_int_equal(fe->expire, T0 + 6000);
	check_member_counts(e.flows);
	/* the same member, a shorter lifetime still */
	d.lifetime_ms = 2000;
	install_at(&e, e.w, e.sync_in, &d, T0 + 2000);
	assert_int_equal(fe->member, c);
	assert_int_equal(fe->expire, T0 + 4000);
	/* and longer again, as the peer's flow shows life */
	d.lifetime_ms = est;
	install_at(&e, e.w, e.sync_in, &d, T0 + 3000);
	assert_int_equal(fe->expire, T0 + 3000 + est);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_REFRESHED], 3);
	assert_int_equal(e.flows->count, 1);
	check_member_counts(e.flows);
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	env_fini(&e);
}

/* A flow of ours is never extended by a peer's record, whatever
 * lifetime it gives, nor moved while its member serves; only when its
 * member failed does it take the member the peer moved it to, keeping
 * its own expiry. Guards dp_sync.c sync_update()'s
 * "if (!(e->flags & LB_FLOW_F_LEARNED))" branch. */
static void
dp_sync_peer_never_extends_our_flow(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple k = tcp_key(43, 110);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	uint32_t est, expire;
	struct lb_dp_sync d;
	struct env e;
	int own, r;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	own = tcp_at(&e, e.w, 43, LB_TCP_SYN, T0);
	assert_int_equal(tcp_at(&e, e.w, 43, LB_TCP_ACK, T0), own);
	fe = entry_of(e.flows, &k);
	expire = fe->expire;
	assert_int_equal(expire, T0 + est);
	r = (own + 1) % N_MEMBERS;
	/* the longest lifetime a peer may give, on another member */
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     2 * est);
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	/* and on our own */
	d = peer_rec(&e, &k, e.pop3, own, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     2 * est);
	install_at(&e, e.w, e.sync_in, &d, T0 + 2000);
	assert_int_equal(fe->member, own);
	assert_int_equal(fe->flags, 0);
	assert_int_equal(fe->expire, expire);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_OWNED], 2);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 0);
	/* our member fails: the peer has moved the flow to r already */
	lb_core_health_set(e.core, (unsigned int)e.pop3, (unsigned int)own,
			   LB_HEALTH_DOWN);
	assert_int_equal(lb_core_commit(e.core), 1);
	s = lb_core_snapshot(e.core);
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     2 * est);
	install_at(&e, e.w, e.sync_in, &d, T0 + 3000);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 1);
	assert_int_equal(fe->member, r);
	assert_int_equal(fe->member_gen, s->members[r].gen);
	assert_int_equal(fe->flags, 0);
	assert_int_equal(fe->expire, expire);
	check_member_counts(e.flows);
	/* its next packet stays there: no second choice */
	assert_int_equal(tcp_at(&e, e.w, 43, LB_TCP_ACK, T0 + 4000), r);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], 0);
	env_fini(&e);
}

/* A member replaced in its slot is a failed member too: the slot's
 * generation moved. A flow of ours on the replaced member takes the
 * member the peer moved it to, though that is the new member of the
 * same slot (the peer chose it: its generation is the slot's now).
 * Guards dp_sync.c sync_update(): a flow of ours follows the record
 * when "s->members[e->member].gen != e->member_gen". */
static void
dp_sync_our_flow_follows_the_peer_off_a_replaced_member(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_conf_member nm = { .name = "fe9", .weight = 1,
		.has_mac = true, .mac = { 2, 0, 0, 0, 0, 0 } };
	struct lb_tuple k = tcp_key(44, 110);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	uint32_t est, expire, gen;
	struct lb_dp_sync d;
	struct env e;
	int own;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	own = tcp_at(&e, e.w, 44, LB_TCP_SYN, T0);
	assert_int_equal(tcp_at(&e, e.w, 44, LB_TCP_ACK, T0), own);
	fe = entry_of(e.flows, &k);
	expire = fe->expire;
	gen = fe->member_gen;
	assert_int_equal(lb_core_member_remove(e.core, (unsigned int)own), 0);
	nm.addr = lb_ip_from4(ip4("198.51.100.19"));
	nm.mac[5] = (uint8_t)(0x11 + own);   /* take_one() names it own */
	assert_int_equal(lb_core_member_add(e.core, &nm), own);
	assert_int_equal(lb_core_commit(e.core), 1);
	s = lb_core_snapshot(e.core);
	assert_int_not_equal(s->members[own].gen, gen);
	/* the peer moved the flow to the slot's new member */
	d = peer_rec(&e, &k, e.pop3, own, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     est);
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	assert_int_equal(fe->member, own);
	assert_int_equal(fe->member_gen, s->members[own].gen);
	assert_int_equal(fe->flags, 0);
	assert_int_equal(fe->expire, expire);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_OWNED], 0);
	/* so its next packet is not scheduled again */
	assert_int_equal(tcp_at(&e, e.w, 44, LB_TCP_ACK, T0 + 2000), own);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_RESCHEDULED], 0);
	env_fini(&e);
}

/* A closing entry, ours or a copy, live or expired, is never made
 * established again by a peer's record (the peer missed the end; a new
 * SYN reopens the flow). Guards dp_sync.c sync_install_one():
 * "if (e != NULL && e->state == LB_FLOW_TCP_CLOSING)". */
static void
dp_sync_closing_never_reinstalled_established(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple k = tcp_key(45, 110), kc = tcp_key(46, 110);
	const struct lb_flow_entry *fe, *fc;
	const struct lb_snapshot *s;
	uint32_t est, fin, t;
	struct lb_dp_sync d;
	struct env e;
	int own, r, c;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	fin = s->timeouts.t[LB_FLOW_TCP_CLOSING];
	/* ours, closed at T0 */
	own = tcp_at(&e, e.w, 45, LB_TCP_SYN, T0);
	assert_int_equal(tcp_at(&e, e.w, 45, LB_TCP_ACK, T0), own);
	assert_int_equal(tcp_at(&e, e.w, 45, LB_TCP_FIN | LB_TCP_ACK, T0),
			 own);
	fe = entry_of(e.flows, &k);
	assert_int_equal(fe->state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(fe->expire, T0 + fin);
	/* a copy, closed by its peer's end at T0 */
	r = member_not_computed(&e, 46, &c);
	d = peer_rec(&e, &kc, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     est);
	install_at(&e, e.w, e.sync_in, &d, T0 - 1000);
	d.kind = LB_DP_SYNC_ENDED;
	d.state = LB_FLOW_TCP_CLOSING;
	install_at(&e, e.w, e.sync_in, &d, T0);
	fc = entry_of(e.flows, &kc);
	assert_int_equal(fc->state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(fc->expire, T0 + fin);
	/* records that the flows are established: live, then expired */
	for (t = T0 + 1000; t <= T0 + fin + 1000; t += fin) {
		d = peer_rec(&e, &k, e.pop3, (own + 1) % N_MEMBERS,
			     LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST, est);
		install_at(&e, e.w, e.sync_in, &d, t);
		d = peer_rec(&e, &kc, e.pop3, c, LB_DP_SYNC_FLOW,
			     LB_FLOW_TCP_EST, est);
		install_at(&e, e.w, e.sync_in, &d, t);
		assert_int_equal(fe->state, LB_FLOW_TCP_CLOSING);
		assert_int_equal(fe->member, own);
		assert_int_equal(fe->flags, 0);
		assert_int_equal(fe->expire, T0 + fin);
		assert_int_equal(fc->state, LB_FLOW_TCP_CLOSING);
		assert_int_equal(fc->member, r);
		assert_int_equal(fc->expire, T0 + fin);
	}
	assert_true(lb_flow_expired(fe, T0 + fin + 1000));
	assert_int_equal(e.w->stats[LB_STAT_SYNC_CLOSED], 4);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_REFRESHED] +
			 e.w->stats[LB_STAT_SYNC_OWNED], 0);
	env_fini(&e);
}

/* A peer's end closes a live learned copy: a TCP one keeps its member
 * for the closing timeout (late packets), a UDP one, which has no
 * close, expires at once. Never a flow of ours, which ends here when it
 * ends. Guards dp_sync.c sync_install_one()'s LB_DP_SYNC_ENDED branch
 * "live && (e->flags & LB_FLOW_F_LEARNED) && ..." and copy_end(). */
static void
dp_sync_ended_closes_learned_not_owned(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple kl = tcp_key(47, 110), ko = tcp_key(48, 110);
	struct lb_tuple ul = udp_key(49), uo = udp_key(50);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	uint32_t est, fin, udp;
	struct lb_dp_sync d;
	int own, uown, r, c, dns;
	struct env e;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	dns = env_add_dns(&e);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	fin = s->timeouts.t[LB_FLOW_TCP_CLOSING];
	udp = s->timeouts.t[LB_FLOW_UDP];

	/* TCP, learned: closes */
	r = member_not_computed(&e, 47, &c);
	d = peer_rec(&e, &kl, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     est);
	install_at(&e, e.w, e.sync_in, &d, T0);
	d = peer_rec(&e, &kl, e.pop3, r, LB_DP_SYNC_ENDED,
		     LB_FLOW_TCP_CLOSING, 0);
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	fe = entry_of(e.flows, &kl);
	assert_int_equal(fe->state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(fe->member, r);
	assert_int_equal(fe->expire, T0 + 1000 + fin);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 1);
	/* once: a second end changes nothing */
	install_at(&e, e.w, e.sync_in, &d, T0 + 2000);
	assert_int_equal(fe->expire, T0 + 1000 + fin);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 1);
	/* a late packet still reaches its member */
	assert_int_equal(tcp_at(&e, e.w, 47, LB_TCP_ACK, T0 + 3000), r);

	/* TCP, ours: untouched */
	own = tcp_at(&e, e.w, 48, LB_TCP_SYN, T0);
	assert_int_equal(tcp_at(&e, e.w, 48, LB_TCP_ACK, T0), own);
	d = peer_rec(&e, &ko, e.pop3, own, LB_DP_SYNC_ENDED,
		     LB_FLOW_TCP_CLOSING, 0);
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	fe = entry_of(e.flows, &ko);
	assert_int_equal(fe->state, LB_FLOW_TCP_EST);
	assert_int_equal(fe->expire, T0 + est);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 1);

	/* UDP, learned: gone at once */
	d = peer_rec(&e, &ul, dns, 2, LB_DP_SYNC_FLOW, LB_FLOW_UDP, udp);
	install_at(&e, e.w, e.sync_in, &d, T0);
	fe = entry_of(e.flows, &ul);
	assert_false(lb_flow_expired(fe, T0 + 1000));
	d.kind = LB_DP_SYNC_ENDED;
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	assert_true(lb_flow_expired(fe, T0 + 1000));
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 2);

	/* UDP, ours: untouched */
	uown = udp_at(&e, e.w, 50, T0);
	assert_int_equal(udp_at(&e, e.w, 50, T0), uown);
	d = peer_rec(&e, &uo, dns, uown, LB_DP_SYNC_ENDED, LB_FLOW_UDP, 0);
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	fe = entry_of(e.flows, &uo);
	assert_int_equal(fe->state, LB_FLOW_UDP);
	assert_int_equal(fe->expire, T0 + udp);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 2);
	check_member_counts(e.flows);
	env_fini(&e);
}

/* The first packet this balancer forwards for a learned copy makes the
 * flow its own (the peer's copy, idle there, ages out): it lives this
 * balancer's timeout from then on and is announced, once, if a peer
 * could not compute it. Guards decide.c flow_existing():
 * "if (unlikely(e->flags & LB_FLOW_F_LEARNED))", which clears the flag
 * and counts the flow as moved. */
static void
dp_sync_packet_makes_learned_ours_and_announces(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple k = tcp_key(51, 110), kc = tcp_key(52, 110);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	struct lb_dp_sync d, rec[4];
	struct env e;
	uint32_t est;
	int r, c, cc;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	r = member_not_computed(&e, 51, &c);
	member_not_computed(&e, 52, &cc);
	/* copies on the 5 s the peer gave them */
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     5000);
	install_at(&e, e.w, e.sync_in, &d, T0);
	d = peer_rec(&e, &kc, e.pop3, cc, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     5000);
	install_at(&e, e.w, e.sync_in, &d, T0);
	assert_int_equal(rte_ring_count(e.sync_out), 0);

	assert_int_equal(tcp_at(&e, e.w, 51, LB_TCP_ACK, T0 + 1000), r);
	fe = entry_of(e.flows, &k);
	assert_int_equal(fe->flags, 0);
	assert_int_equal(fe->state, LB_FLOW_TCP_EST);
	assert_int_equal(fe->expire, T0 + 1000 + est);
	assert_int_equal(sync_take(e.sync_out, rec, 4), 1);
	check_rec(&rec[0], &e, &k, r, (uint16_t)e.pop3, LB_DP_SYNC_FLOW,
		  LB_FLOW_TCP_EST);
	/* once */
	assert_int_equal(tcp_at(&e, e.w, 51, LB_TCP_ACK, T0 + 2000), r);
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	/* ours now: the peer's records no longer set its life */
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     1000);
	install_at(&e, e.w, e.sync_in, &d, T0 + 3000);
	assert_int_equal(fe->expire, T0 + 2000 + est);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_OWNED], 1);

	/* a copy on the hash's member: ours too, no news for anyone */
	assert_int_equal(tcp_at(&e, e.w, 52, LB_TCP_ACK, T0 + 1000), cc);
	assert_int_equal(entry_of(e.flows, &kc)->flags, 0);
	assert_int_equal(rte_ring_count(e.sync_out), 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_QUEUED], 1);
	env_fini(&e);
}

/* The first FIN or RST of a flow of ours that a peer could not compute
 * is announced as its end (the peers close their copies now, not when
 * their lifetime runs out), once; a flow a peer computes is not (no
 * peer holds a copy of it). A copy whose first packet here is its FIN
 * is ours, and its end announced. Guards decide.c flow_existing():
 * "if (unlikely(ev == LB_FLOW_CLOSED)) dp_sync_stage_ended()", and
 * dp_sync_stage_ended()'s test of the consistent hash's member. */
static void
dp_sync_fin_on_our_synced_flow_announces_end(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint8_t ends[] = { LB_TCP_FIN | LB_TCP_ACK, LB_TCP_RST };
	unsigned int announced = 0, computed = 0, n;
	const struct lb_snapshot *s;
	struct lb_dp_sync d, rec[4];
	struct lb_tuple k;
	struct env e;
	int m, r, c;
	uint32_t i;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	for (i = 60; i < 92; i++) {
		k = tcp_key(i, 110);
		m = tcp_at(&e, e.w, i, LB_TCP_SYN, T0);
		assert_int_equal(tcp_at(&e, e.w, i, LB_TCP_ACK, T0), m);
		sync_drain(e.sync_out);
		assert_int_equal(tcp_at(&e, e.w, i, ends[i % 2], T0 + 1000),
				 m);
		n = sync_take(e.sync_out, rec, 4);
		if (lb_dp_flow_computable(s, (uint16_t)e.pop3, &k,
					  (uint16_t)m)) {
			assert_int_equal(n, 0);
			computed++;
		} else {
			assert_int_equal(n, 1);
			check_rec(&rec[0], &e, &k, m, (uint16_t)e.pop3,
				  LB_DP_SYNC_ENDED, LB_FLOW_TCP_CLOSING);
			announced++;
		}
		/* the end is told once */
		assert_int_equal(tcp_at(&e, e.w, i, ends[i % 2], T0 + 2000),
				 m);
		assert_int_equal(rte_ring_count(e.sync_out), 0);
	}
	/* WRR ignores the hash: most flows, not all */
	assert_true(announced > 0 && computed > 0);
	/* a copy whose first packet here is its FIN */
	k = tcp_key(95, 110);
	r = member_not_computed(&e, 95, &c);
	d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     s->timeouts.t[LB_FLOW_TCP_EST]);
	install_at(&e, e.w, e.sync_in, &d, T0);
	assert_int_equal(tcp_at(&e, e.w, 95, LB_TCP_FIN | LB_TCP_ACK,
				T0 + 1000), r);
	assert_int_equal(entry_of(e.flows, &k)->flags, 0);
	assert_int_equal(sync_take(e.sync_out, rec, 4), 1);
	check_rec(&rec[0], &e, &k, r, (uint16_t)e.pop3, LB_DP_SYNC_ENDED,
		  LB_FLOW_TCP_CLOSING);
	env_fini(&e);
}

/* One entry per flow among a balancer's workers: worker B holds the
 * learned copy (it is the flow's home), RSS brings the flow's packets
 * to worker A, which takes the flow and hands B's copy off; once the
 * master has passed the handoff on and B has installed it, only A's
 * table holds the flow, as its own. Guards decide.c flow_decide()'s
 * "dp_sync_stage_handoff(w, d, LB_FLOW_TCP_EST)" and dp_sync.c
 * sync_install_one()'s LB_DP_SYNC_HANDOFF branch (lb_flow_del()). */
static void
dp_sync_handoff_removes_the_copy_one_entry_per_flow(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct rte_ring *in2 = sync_ring(1024), *out2 = sync_ring(1024);
	struct rte_ring *ins[2], *outs[2];
	unsigned int flows[2] = { 0, 0 };
	const struct lb_snapshot *s;
	struct lb_flow_table *ft2;
	struct lb_dp_sync d, rec[4];
	struct lb_worker *ws[2];
	struct env e;
	uint32_t i, est;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	sync_two_workers(&e, ws, &ft2, out2, in2);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	ins[0] = e.sync_in;
	ins[1] = in2;
	outs[0] = e.sync_out;
	outs[1] = out2;
	for (i = 700; i < 716; i++) {
		struct lb_tuple k = tcp_key(i, 110);
		uint32_t sig = lb_tuple_hash(&k);
		unsigned int b = sig % 2, a = 1 - b;
		const struct lb_flow_entry *fe;
		int c, r = member_not_computed(&e, i, &c);

		/* B, the flow's home, learns it */
		d = peer_rec(&e, &k, e.pop3, r, LB_DP_SYNC_FLOW,
			     LB_FLOW_TCP_EST, est);
		install_at(&e, ws[b], ins[b], &d, T0);
		assert_true(lb_dp_flow_held(ws[b], &k, sig));
		/* A gets the flow's packet: takes the flow from B's copy */
		ws[b]->now = T0 + 1000;
		assert_int_equal(tcp_at(&e, ws[a], i, LB_TCP_ACK, T0 + 1000),
				 r);
		assert_int_equal(sync_take(outs[a], rec, 4), 2);
		check_handoff(&rec[0], &k, e.pop3, LB_FLOW_TCP_EST);
		check_rec(&rec[1], &e, &k, r, (uint16_t)e.pop3,
			  LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST);
		/* both hold it until the master passes the handoff to B */
		assert_true(lb_dp_flow_held(ws[a], &k, sig));
		assert_true(lb_dp_flow_held(ws[b], &k, sig));
		install_at(&e, ws[b], ins[b], &rec[0], T0 + 1000);
		flows[b]++;
		assert_int_equal(ws[b]->stats[LB_STAT_SYNC_HANDOFF], flows[b]);
		assert_false(lb_dp_flow_held(ws[b], &k, sig));
		assert_true(lb_dp_flow_held(ws[a], &k, sig));
		fe = entry_of(ws[a]->flows, &k);
		assert_int_equal(fe->flags, 0);
		assert_int_equal(fe->member, r);
		assert_int_equal(fe->state, LB_FLOW_TCP_EST);
		assert_int_equal(fe->expire, T0 + 1000 + est);
		/* a handoff passed twice finds nothing to remove */
		install_at(&e, ws[b], ins[b], &rec[0], T0 + 1000);
		assert_int_equal(ws[b]->stats[LB_STAT_SYNC_HANDOFF], flows[b]);
		/* A's entry carries the flow now */
		assert_int_equal(tcp_at(&e, ws[a], i, LB_TCP_ACK, T0 + 2000),
				 r);
		assert_int_equal(rte_ring_count(outs[a]), 0);
	}
	assert_true(flows[0] > 0 && flows[1] > 0);
	assert_int_equal(e.flows->count + ft2->count, 16);
	assert_int_equal(lb_flow_audit(e.flows, NULL), 0);
	assert_int_equal(lb_flow_audit(ft2, NULL), 0);
	lb_flow_free(ft2);
	rte_free(ws[1]);
	rte_ring_free(in2);
	rte_ring_free(out2);
	env_fini(&e);
}

/* A handoff of the flow's end closes a learned copy (late packets keep
 * their member); a handoff never touches a flow of ours. Guards dp_sync.c
 * sync_install_one()'s LB_DP_SYNC_HANDOFF branch: "!live ||
 * !(e->flags & LB_FLOW_F_LEARNED)" and copy_end() for the closing one. */
static void
dp_sync_handoff_closes_the_copy_never_ours(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	static const uint8_t states[] = { LB_FLOW_TCP_EST,
					  LB_FLOW_TCP_CLOSING };
	struct lb_tuple kl = tcp_key(53, 110), ko = tcp_key(54, 110);
	const struct lb_flow_entry *fe;
	const struct lb_snapshot *s;
	struct lb_dp_sync d;
	uint32_t est, fin;
	unsigned int j;
	struct env e;
	int own, r, c;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	fin = s->timeouts.t[LB_FLOW_TCP_CLOSING];
	r = member_not_computed(&e, 53, &c);
	d = peer_rec(&e, &kl, e.pop3, r, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     est);
	install_at(&e, e.w, e.sync_in, &d, T0);
	d = (struct lb_dp_sync){ .key = kl, .svc = (uint16_t)e.pop3,
		.kind = LB_DP_SYNC_HANDOFF, .state = LB_FLOW_TCP_CLOSING };
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	fe = entry_of(e.flows, &kl);
	assert_non_null(fe);
	assert_int_equal(fe->state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(fe->member, r);
	assert_int_equal(fe->expire, T0 + 1000 + fin);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_HANDOFF], 0);

	own = tcp_at(&e, e.w, 54, LB_TCP_SYN, T0);
	assert_int_equal(tcp_at(&e, e.w, 54, LB_TCP_ACK, T0), own);
	for (j = 0; j < RTE_DIM(states); j++) {
		d = (struct lb_dp_sync){ .key = ko, .svc = (uint16_t)e.pop3,
			.kind = LB_DP_SYNC_HANDOFF, .state = states[j] };
		install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
		fe = entry_of(e.flows, &ko);
		assert_non_null(fe);
		assert_int_equal(fe->state, LB_FLOW_TCP_EST);
		assert_int_equal(fe->member, own);
		assert_int_equal(fe->flags, 0);
		assert_int_equal(fe->expire, T0 + est);
	}
	assert_int_equal(e.w->stats[LB_STAT_SYNC_ENDED], 1);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_HANDOFF], 0);
	env_fini(&e);
}

/* A copy lives the record's lifetime, never more than twice its
 * state's timeout (a peer adds its refresh period to what is left, no
 * more): a peer's bad or hostile lifetime cannot pin a flow. Guards
 * dp_sync.c copy_until(): "RTE_MIN(r->lifetime_ms, cap)". */
static void
dp_sync_lifetime_capped_at_twice_the_timeout(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	struct lb_tuple k = tcp_key(55, 110), u = udp_key(56);
	const struct lb_flow_entry *fe, *fu;
	const struct lb_snapshot *s;
	uint32_t est, udp;
	struct lb_dp_sync d;
	struct env e;
	int dns;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	dns = env_add_dns(&e);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	est = s->timeouts.t[LB_FLOW_TCP_EST];
	udp = s->timeouts.t[LB_FLOW_UDP];
	d = peer_rec(&e, &k, e.pop3, 1, LB_DP_SYNC_FLOW, LB_FLOW_TCP_EST,
		     UINT32_MAX);
	install_at(&e, e.w, e.sync_in, &d, T0);
	fe = entry_of(e.flows, &k);
	assert_int_equal(fe->expire, T0 + 2 * est);
	assert_false(lb_flow_expired(fe, T0 + 2 * est - 1));
	assert_true(lb_flow_expired(fe, T0 + 2 * est));
	/* a refresh is capped too */
	d.lifetime_ms = 10 * est;
	install_at(&e, e.w, e.sync_in, &d, T0 + 1000);
	assert_int_equal(fe->expire, T0 + 1000 + 2 * est);
	/* just under the cap: as given */
	d.lifetime_ms = 2 * est - 1;
	install_at(&e, e.w, e.sync_in, &d, T0 + 2000);
	assert_int_equal(fe->expire, T0 + 2000 + 2 * est - 1);
	/* UDP: its own timeout's */
	d = peer_rec(&e, &u, dns, 2, LB_DP_SYNC_FLOW, LB_FLOW_UDP, UINT32_MAX);
	install_at(&e, e.w, e.sync_in, &d, T0);
	fu = entry_of(e.flows, &u);
	assert_int_equal(fu->expire, T0 + 2 * udp);
	env_fini(&e);
}

/* A flow of a service slot that is not (or no longer) valid: nothing a
 * peer needs, and a record for it is not installed, wherever it came
 * from. Neither touches the missing tables. */
static void
dp_sync_invalid_service_ignored(void **state)
{
	static const uint32_t w[N_MEMBERS] = { 1, 1, 1, 1 };
	const struct lb_snapshot *s;
	struct lb_tuple k = tcp_key(300, 110);
	struct lb_dp_sync d;
	struct env e;

	(void)state;
	env_init_ha(&e, LB_SCHED_WRR, w, 0, 32, &ha_sync);
	env_sync(&e, 1024);
	s = lb_core_snapshot(e.core);
	assert_true(s->n_services < LB_MAX_SERVICES);
	assert_false(s->services[s->n_services].valid);
	assert_true(lb_dp_flow_computable(s, (uint16_t)s->n_services, &k, 0));
	assert_true(lb_dp_flow_computable(s, LB_MAX_SERVICES - 1, &k, 1));
	/* a record for the slot past the last valid one */
	d = (struct lb_dp_sync){
		.key = k, .member = 0, .member_gen = s->members[0].gen,
		.svc = (uint16_t)s->n_services, .kind = LB_DP_SYNC_FLOW,
		.state = LB_FLOW_TCP_EST,
	};
	assert_int_equal(rte_ring_sp_enqueue_elem(e.sync_in, &d, sizeof(d)), 0);
	lb_dp_clock(e.w);
	assert_int_equal(lb_dp_sync_install(e.w, s, 64), 1);
	assert_int_equal(flow_state(e.w->flows, 300), 0);
	assert_int_equal(e.w->stats[LB_STAT_SYNC_INSTALLED], 0);
	env_fini(&e);
}

/* ---- the fast path of the common packet ---- */

/* A frame in one mbuf of exactly its length. */
static struct rte_mbuf *
mbuf_exact(const uint8_t *b, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, b, len);
	return m;
}

/* The frame through the fast path (e's worker) and the full parser
 * (full): afterwards both have every counter, every member's and
 * service's traffic and their tables' flow counts equal, and sent the
 * same frames. Whether the fast path's worker forwarded it. */
static bool
fast_and_full_agree(struct env *e, struct lb_worker *full,
		    const char *name, const uint8_t *b, uint32_t len,
		    uint32_t now)
{
	struct rte_mbuf *m1 = mbuf_exact(b, len), *m2 = mbuf_exact(b, len);
	uint64_t fwd = e->w->stats[LB_STAT_FWD];
	unsigned int i;

	process_at(e, e->w, &m1, 1, now);
	process_at(e, full, &m2, 1, now);
	for (i = 0; i < LB_STAT_WORKER_MAX; i++)
		if (e->w->stats[i] != full->stats[i])
			fail_msg("%s (%u bytes): %s %" PRIu64 " on the fast path, %" PRIu64 " by the full parser",
				 name, len, lb_stats_worker_desc[i].name,
				 e->w->stats[i], full->stats[i]);
	if (memcmp(e->w->member, full->member, sizeof(full->member)) != 0 ||
	    memcmp(e->w->service, full->service, sizeof(full->service)) != 0)
		fail_msg("%s (%u bytes): member or service traffic differs",
			 name, len);
	assert_int_equal(e->w->flows->count, full->flows->count);
	assert_int_equal(e->w->flows6->count, full->flows6->count);
	assert_int_equal(e->w->tx[0].n, full->tx[0].n);
	for (i = 0; i < full->tx[0].n; i++) {
		struct rte_mbuf *a = e->w->tx[0].m[i], *c = full->tx[0].m[i];

		assert_int_equal(rte_pktmbuf_pkt_len(a), rte_pktmbuf_pkt_len(c));
		assert_memory_equal(rte_pktmbuf_mtod(a, void *),
				    rte_pktmbuf_mtod(c, void *),
				    rte_pktmbuf_data_len(a));
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(c);
	}
	e->w->tx[0].n = 0;
	full->tx[0].n = 0;
	return e->w->stats[LB_STAT_FWD] != fwd;
}

typedef void (*fast_frame_fn)(struct frame *f);

static void
ff_tcp_syn(struct frame *f)
{
	tcp_syn(f);
}

static void
ff_tcp_ack_smtp(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.6", "198.51.100.100", 5, 20, 0,
	     0x4000);
	tcp(f, 1234, 25, LB_TCP_ACK, 5);
}

static void
ff_udp_sip(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_UDP, "203.0.113.7", "198.51.100.100", 5, 12, 0, 0);
	udp(f, 5060, 5060, 12);
	put32(f, 0x4f505449);
}

static void
ff_udp_dns(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_UDP, "203.0.113.8", "198.51.100.100", 5, 12, 0, 0);
	udp(f, 4000, 53, 12);
	put32(f, 0x12345678);
}

static void
ff_member_source_port(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.9", "198.51.100.100", 5, 20, 0, 0);
	tcp(f, 443, 33500, LB_TCP_SYN | LB_TCP_ACK, 5);
}

static void
ff_no_service(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.10", "198.51.100.100", 5, 20, 0, 0);
	tcp(f, 1234, 111, LB_TCP_SYN, 5);
}

static void
ff_own_address(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.11", "198.51.100.2", 5, 20, 0, 0);
	tcp(f, 1234, 22, LB_TCP_SYN, 5);
}

static void
ff_first_fragment(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_UDP, "203.0.113.12", "198.51.100.100", 5, 16, 0,
	     0x2000);
	udp(f, 5060, 5060, 100);
	put32(f, 1);
	put32(f, 2);
}

static void
ff_ip_options(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.13", "198.51.100.100", 6, 20, 0, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
}

static void
ff_vlan(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_VLAN);
	vlan(f, 7, LB_ETHERTYPE_IPV4);
	ipv4(f, LB_IPPROTO_TCP, "203.0.113.14", "198.51.100.100", 5, 20, 0, 0);
	tcp(f, 1234, 110, LB_TCP_SYN, 5);
}

static void
ff_arp(struct frame *f)
{
	f->len = lb_pkt_arp_build(f->b, mac_bcast, LB_ARP_OP_REQUEST,
				  mac_client, ip4("198.51.100.1"), mac_bcast,
				  ip4("198.51.100.100"));
}

static void
ff_tcp6(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_TCP, "2001:db8:c::1", VIP6_FRAG);
	tcp(f, 1024, 110, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

static void
ff_udp6_sip(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_UDP, "2001:db8:c::2", VIP6_FRAG);
	put16(f, 5060);
	put16(f, 5060);
	put16(f, 12);
	put16(f, 0xbeef);
	put32(f, 0x4f505449);
	ip6_done(f, 0);
}

static void
ff_udp6_dns(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_UDP, "2001:db8:c::3", VIP6_FRAG);
	put16(f, 4000);
	put16(f, 53);
	put16(f, 12);
	put16(f, 0x1234);
	put32(f, 0x12345678);
	ip6_done(f, 0);
}

static void
ff_tcp6_no_service(struct frame *f)
{
	eth(f, mac_port, LB_ETHERTYPE_IPV6);
	ipv6_hdr(f, LB_IPPROTO_TCP, "2001:db8:c::4", VIP6_FRAG);
	tcp(f, 1024, 111, LB_TCP_SYN, 5);
	ip6_done(f, 0);
}

/*
 * The fast path of the common packet gives the full parser's verdict
 * and counters for every input. Two workers on one snapshot, each with
 * tables of its own, one with the fast path, one with the full parser
 * alone (lb_dp_set_full_parse()), get the same frames: TCP and UDP to
 * the VIPs of both families (stateful, stateless, a member's source
 * ports, no service), to the own address, a first fragment, options, a
 * tag, ARP, each cut at every length and with each of its first 80
 * bytes changed in turn (to 0, to 0xff, each bit flipped); active,
 * then standby. After every frame their counters, traffic, flow counts
 * and the frames they sent are the same.
 */
static void
dp_fast_path_gives_the_full_parsers_verdicts_and_counters(void **state)
{
	static const fast_frame_fn frames[] = { ff_tcp_syn, ff_tcp_ack_smtp,
		ff_udp_sip, ff_udp_dns, ff_member_source_port, ff_no_service,
		ff_own_address, ff_first_fragment, ff_ip_options, ff_vlan,
		ff_arp, ff_tcp6, ff_udp6_sip, ff_udp6_dns, ff_tcp6_no_service };
	static const uint8_t sets[] = { 0x00, 0xff };
	struct lb_flow_table *ft6, *full_ft, *full_ft6;
	struct lb_dp_rxq rxq = { 0 };
	struct lb_worker *full;
	unsigned int i, round, fwd = 0, n = 0;
	uint32_t now = 1000;
	struct env e;

	(void)state;
	frag_env_init(&e);
	env_add_ipv6(&e, &ft6);
	full = rte_zmalloc("full", sizeof(*full), RTE_CACHE_LINE_SIZE);
	full_ft = lb_flow_create("test_dp_full", 4096, SOCKET_ID_ANY, NULL);
	full_ft6 = lb_flow_create_family("test_dp_full6", 1024, LB_FLOW_IPV6,
					 SOCKET_ID_ANY, NULL);
	assert_non_null(full);
	assert_non_null(full_ft);
	assert_non_null(full_ft6);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(e.core), .flows = full_ft,
			.flows6 = full_ft6, .rxq = &rxq, .n_rxq = 1,
			.port_ids = &port_id, .n_ports = 1, .quit = &quit,
		};

		assert_int_equal(lb_dp_worker_init(full, &dp), 0);
	}
	lb_dp_set_full_parse(full, true);

	for (round = 0; round < 2; round++) {
		if (round == 1) {
			lb_core_set_active(e.core, false);
			assert_int_equal(lb_core_commit(e.core), 1);
		}
		for (i = 0; i < RTE_DIM(frames); i++) {
			struct frame f = { .len = 0 };
			uint32_t len, pos, v;

			frames[i](&f);
			fwd += fast_and_full_agree(&e, full, "frame", f.b,
						   f.len, now++);
			for (len = 0; len < f.len; len++)
				fast_and_full_agree(&e, full, "cut frame",
						    f.b, len, now++);
			for (pos = 0; pos < f.len && pos < 80; pos++) {
				uint8_t orig = f.b[pos];

				for (v = 0; v < 2 + 8; v++) {
					f.b[pos] = v < 2 ? sets[v] :
						(uint8_t)(orig ^ (1u << (v - 2)));
					fwd += fast_and_full_agree(&e, full,
						"changed frame", f.b, f.len,
						now++);
					n++;
				}
				f.b[pos] = orig;
			}
		}
	}
	/* both saw every kind of outcome, and many forwarded frames */
	assert_true(fwd > n / 10);
	assert_true(e.w->stats[LB_STAT_STATELESS] > 0);
	assert_true(e.w->stats[LB_STAT_SOURCE_PORT] > 0);
	assert_true(e.w->stats[LB_STAT_IPV6] > 0);
	assert_true(e.w->stats[LB_STAT_DROP_STANDBY] > 0);
	assert_true(e.w->stats[LB_STAT_DROP_NO_VIP] > 0);
	assert_true(e.w->stats[LB_STAT_DROP_NOT_FOR_US] > 0);
	assert_true(e.w->stats[LB_STAT_DROP_NO_SERVICE] > 0);
	assert_true(e.w->stats[LB_STAT_FLOW_NEW] > 0);
	lb_flow_free(full_ft);
	lb_flow_free(full_ft6);
	rte_free(full);
	lb_flow_free(ft6);
	env_fini(&e);
}

/* A worker of idle mode `idle` (sleep 1000 us, spin spin_us), alone and
 * with no queue: lb_dp_idle_due() is a rule on w->tsc, which the test
 * sets (no clock, no time measured). */
static struct lb_worker *
idle_worker(uint8_t idle, uint32_t spin_us)
{
	static struct lb_snapshot *no_snap;
	struct lb_worker *w = rte_zmalloc("idle", sizeof(*w),
					  RTE_CACHE_LINE_SIZE);
	struct lb_dp_params dp = {
		.snap = &no_snap, .port_ids = &port_id, .n_ports = 1,
		.quit = &quit, .idle = idle,
		.idle_sleep_us = idle == LB_DP_IDLE_POLL ? 0 : 1000,
		.idle_spin_us = spin_us,
	};

	assert_non_null(w);
	assert_int_equal(lb_dp_worker_init(w, &dp), 0);
	return w;
}

/* The worker idles as the loop makes it: empty polls at the time its
 * spin ends (none sooner would wait) until lb_dp_idle_due() says wait,
 * then the wait; then work comes `gap` ticks after the last work. */
static void
idle_then_work(struct lb_worker *w, uint64_t gap)
{
	uint64_t last = w->idle_since;
	unsigned int i;

	w->tsc = last + w->idle_spin_tsc;
	for (i = 0; i < LB_IDLE_POLLS_INTR; i++)
		if (lb_dp_idle_due(w, 0))
			break;
	assert_int_equal(i, LB_IDLE_POLLS_INTR - 1);
	lb_dp_idle_waited(w);
	w->tsc = last + gap;
	assert_false(lb_dp_idle_due(w, 1));
}

/* Mode interrupt: the spin starts at 0 and adapts. Work that a wait met
 * within idle_spin_us of the work before it doubles the spin, from
 * LB_IDLE_SPIN_START_US up to idle_spin_us (each an idle_spin_miss);
 * work that came later halves it, to 0 below the start. */
static void
dp_idle_spin_adapts_to_the_gaps(void **state)
{
	struct lb_worker *w = idle_worker(LB_DP_IDLE_INTERRUPT, 200);
	uint64_t max = w->idle_spin_max, start = w->idle_spin_start;
	uint64_t want;

	(void)state;
	assert_true(start > 0 && start * 16 < max);
	assert_int_equal(w->idle_spin_tsc, 0);
	w->tsc = 1000000000;
	assert_false(lb_dp_idle_due(w, 1));
	/* packets 50 us apart, each after a wait: a 50 us spin would have
	 * caught them: 10, 20, 40, 80, 160 us, then the most, 200 us */
	for (want = start; want < max; want *= 2) {
		idle_then_work(w, max / 4);
		assert_int_equal(w->idle_spin_tsc, want);
	}
	idle_then_work(w, max / 4);
	assert_int_equal(w->idle_spin_tsc, max);
	idle_then_work(w, max);           /* within it, just */
	assert_int_equal(w->idle_spin_tsc, max);
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_MISS], 7);
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 0);
	/* a packet the spin catches leaves it as it is */
	w->tsc = w->idle_since + max / 2;
	assert_false(lb_dp_idle_due(w, 0));
	assert_false(lb_dp_idle_due(w, 1));
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 1);
	assert_int_equal(w->idle_spin_tsc, max);
	/* packets 1 ms apart: no spin up to 200 us would catch one; each
	 * halves it: 100, 50, 25, 12.5, then under 10 us: none */
	for (want = max / 2; want >= start; want /= 2) {
		idle_then_work(w, 5 * max);
		assert_int_equal(w->idle_spin_tsc, want);
	}
	idle_then_work(w, 5 * max);
	assert_int_equal(w->idle_spin_tsc, 0);
	idle_then_work(w, 5 * max);
	assert_int_equal(w->idle_spin_tsc, 0);
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_MISS], 7);
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 1);
	rte_free(w);
}

/* Mode interrupt, the spin grown to idle_spin_us: after a packet the
 * worker polls on for it, however many empty polls that takes (the rule
 * before the spin was 32 polls, a few microseconds), and a packet in
 * that time is a spin hit; once the time is up it waits after
 * LB_IDLE_POLLS_INTR empty polls; after a wait no packet ended it waits
 * again without a new spin. */
static void
dp_idle_interrupt_polls_on_after_a_packet(void **state)
{
	struct lb_worker *w = idle_worker(LB_DP_IDLE_INTERRUPT, 200);
	uint64_t spin = w->idle_spin_max, t0 = 1000000000;
	unsigned int i;

	(void)state;
	assert_true(spin > 0);
	w->tsc = t0;
	assert_false(lb_dp_idle_due(w, 1));           /* a packet */
	while (w->idle_spin_tsc < spin)       /* trains 100 us apart */
		idle_then_work(w, spin / 2);
	t0 = w->tsc;
	for (i = 0; i < 100 * LB_IDLE_POLLS_INTR; i++) {
		w->tsc = t0 + spin * i / (100 * LB_IDLE_POLLS_INTR);
		assert_false(lb_dp_idle_due(w, 0));
	}
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 0);
	/* the next packet, still within the spin: caught, the spin starts
	 * again from it */
	t0 = w->tsc;
	assert_false(lb_dp_idle_due(w, 2));
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 1);
	w->tsc = t0 + spin - 1;
	for (i = 0; i < 10 * LB_IDLE_POLLS_INTR; i++)
		assert_false(lb_dp_idle_due(w, 0));
	/* time is up: LB_IDLE_POLLS_INTR empty polls since the packet were
	 * made long ago, the next empty poll waits */
	w->tsc = t0 + spin;
	assert_true(lb_dp_idle_due(w, 0));
	lb_dp_idle_waited(w);
	/* the wait ran out: the next wait after LB_IDLE_POLLS_INTR polls */
	w->tsc += 1000;
	for (i = 1; i < LB_IDLE_POLLS_INTR; i++)
		assert_false(lb_dp_idle_due(w, 0));
	assert_true(lb_dp_idle_due(w, 0));
	lb_dp_idle_waited(w);
	/* a packet ended the wait: the wait caught it, not the spin */
	assert_false(lb_dp_idle_due(w, 1));
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 1);
	rte_free(w);
}

/* idle_spin_us 0: the worker waits after LB_IDLE_POLLS_INTR empty polls,
 * as it did before the spin; poll never waits; sleep sleeps after
 * LB_IDLE_POLLS, whatever the time, and counts no spin hits. */
static void
dp_idle_modes_without_spin(void **state)
{
	struct lb_worker *w = idle_worker(LB_DP_IDLE_INTERRUPT, 0);
	unsigned int i;

	(void)state;
	w->tsc = 5;
	assert_false(lb_dp_idle_due(w, 1));
	for (i = 1; i < LB_IDLE_POLLS_INTR; i++)
		assert_false(lb_dp_idle_due(w, 0));
	assert_true(lb_dp_idle_due(w, 0));
	/* and never learns one */
	lb_dp_idle_waited(w);
	w->tsc += 100;
	assert_false(lb_dp_idle_due(w, 1));
	assert_int_equal(w->idle_spin_tsc, 0);
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_MISS], 0);
	rte_free(w);

	w = idle_worker(LB_DP_IDLE_POLL, 0);
	for (i = 0; i < 10 * LB_IDLE_POLLS; i++)
		assert_false(lb_dp_idle_due(w, 0));
	rte_free(w);

	w = idle_worker(LB_DP_IDLE_SLEEP, 0);
	assert_int_equal(w->idle_spin_tsc, 0);
	assert_false(lb_dp_idle_due(w, 1));
	for (i = 1; i < LB_IDLE_POLLS; i++)
		assert_false(lb_dp_idle_due(w, 0));
	assert_true(lb_dp_idle_due(w, 0));
	lb_dp_idle_waited(w);
	assert_false(lb_dp_idle_due(w, 0));
	assert_false(lb_dp_idle_due(w, 3));
	assert_int_equal(w->stats[LB_STAT_IDLE_SPIN_HIT], 0);
	rte_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dp_idle_spin_adapts_to_the_gaps),
		cmocka_unit_test(dp_idle_interrupt_polls_on_after_a_packet),
		cmocka_unit_test(dp_idle_modes_without_spin),
		cmocka_unit_test(dp_flows_stay_when_weights_change),
		cmocka_unit_test(dp_drained_member_keeps_flows_gets_no_new),
		cmocka_unit_test(dp_flows_of_failed_member_are_rescheduled),
		cmocka_unit_test(dp_no_member_left_drops_and_counts),
		cmocka_unit_test(dp_frames_over_the_port_mtu_are_dropped_and_counted),
		cmocka_unit_test(dp_packet_over_the_member_port_mtu_is_dropped),
		cmocka_unit_test(dp_full_table_balances_statelessly),
		cmocka_unit_test(dp_spoofed_acks_do_not_lock_the_table),
		cmocka_unit_test(dp_syn_flood_evicting_syn_entries_wrr_acks_follow),
		cmocka_unit_test(dp_syn_flood_evicting_syn_entries_wlc_acks_follow),
		cmocka_unit_test(dp_burst_evicting_a_flow_and_its_packet_keeps_the_table),
		cmocka_unit_test(dp_burst_evicting_a_flow_and_its_packet_keeps_the_table_qsbr),
		cmocka_unit_test(dp_grace_period_full_balances_statelessly),
		cmocka_unit_test(dp_syn_flood_cannot_evict_confirmed_flows),
		cmocka_unit_test(dp_restarted_balancer_keeps_maglev_flows),
		cmocka_unit_test(dp_restart_converging_keeps_existing_connections),
		cmocka_unit_test(dp_member_that_never_answers_arp_loses_its_flows),
		cmocka_unit_test(dp_wrr_new_flows_in_weight_order),
		cmocka_unit_test(dp_source_port_range_goes_to_its_member),
		cmocka_unit_test(dp_standby_forwards_nothing),
		cmocka_unit_test(dp_syn_after_fin_is_scheduled_again),
		cmocka_unit_test(dp_fin_or_rst_for_unknown_flow_forwarded_statelessly),
		cmocka_unit_test(dp_reversed_fragments_stay_in_their_service),
		cmocka_unit_test(dp_fragments_in_any_order_and_duplicates),
		cmocka_unit_test(dp_later_fragment_waits_for_first_across_bursts),
		cmocka_unit_test(dp_orphan_fragments_dropped_and_counted),
		cmocka_unit_test(dp_fragment_flood_evicts_only_unconfirmed_datagrams),
		cmocka_unit_test(dp_first_fragment_memory_full_of_confirmed_drops_first),
		cmocka_unit_test(dp_fragments_split_over_workers),
		cmocka_unit_test(dp_stateful_udp_fragments_follow_the_flow_wrr),
		cmocka_unit_test(dp_stateful_udp_fragments_follow_the_flow_wlc),
		cmocka_unit_test(dp_icmp_error_reaches_flow_member_from_other_worker),
		cmocka_unit_test(dp_icmp_error_in_same_burst_as_its_syn),
		cmocka_unit_test(dp_new_flow_twice_in_one_burst_makes_one_entry),
		cmocka_unit_test(dp_ipv6_flows_follow_the_ipv4_rules),
		cmocka_unit_test(dp_ipv6_own_address_ndp_and_lanes),
		cmocka_unit_test(dp_echo_past_the_first_segment_not_answered),
		cmocka_unit_test(dp_sync_ipv6_flows_staged_and_installed),
		cmocka_unit_test(
			dp_ecmp_next_hop6_answers_neighbor_solicitations),
		cmocka_unit_test(dp_ipv6_fragments_in_every_order_over_two_workers),
		cmocka_unit_test(dp_ipv6_later_fragments_held_then_released),
		cmocka_unit_test(dp_ipv6_stateful_udp_fragments_follow_the_flow),
		cmocka_unit_test(dp_ipv6_orphan_fragments_held_until_timeout_then_dropped),
		cmocka_unit_test(dp_ipv6_fragment_memory_bounds),
		cmocka_unit_test(dp_ipv6_first_fragment_without_ports_dropped),
		cmocka_unit_test(dp_ipv6_icmp_error_quoting_a_first_fragment),
		cmocka_unit_test(dp_arp_for_vip_and_own_address_answered_in_place),
		cmocka_unit_test(dp_arp_flood_policed_members_still_heard),
		cmocka_unit_test(dp_own_address_flood_policed_member_answers_pass),
		cmocka_unit_test(dp_policed_rates_are_shared_by_the_workers),
		cmocka_unit_test(dp_master_lanes_a_flood_of_one_class_takes_nothing_of_another),
		cmocka_unit_test(dp_master_lanes_trust_routers_and_peers_only_on_link),
		cmocka_unit_test(dp_master_lanes_reflected_flood_takes_no_check_answer),
		cmocka_unit_test(dp_persistence_one_member_per_client_across_workers),
		cmocka_unit_test(dp_persistence_drain_keeps_down_and_disabled_break),
		cmocka_unit_test(dp_persistence_drain_records_lapse),
		cmocka_unit_test(dp_persistence_broken_by_removal_with_drain),
		cmocka_unit_test(dp_persistence_reused_slot_inherits_no_client),
		cmocka_unit_test(dp_persistence_refreshed_by_new_and_closing_flows),
		cmocka_unit_test(dp_persistence_maglev_hashes_the_client),
		cmocka_unit_test(dp_persistence_keeps_clients_when_the_table_changes),
		cmocka_unit_test(dp_persistence_udp_flows_of_a_client),
		cmocka_unit_test(dp_wlc_follows_weights),
		cmocka_unit_test(dp_wlc_weighs_established_flows_256_times),
		cmocka_unit_test(dp_wlc_ties_go_round_the_members),
		cmocka_unit_test(dp_member_counts_follow_flows),
		cmocka_unit_test(dp_flows_of_retired_slot_move_once),
		cmocka_unit_test(dp_wlc_new_member_in_reused_slot_counts_from_zero),
		cmocka_unit_test(dp_member_generation_past_16_bits),
		cmocka_unit_test(dp_flows_flush_by_service),
		cmocka_unit_test(dp_flows_flush_by_member_and_newer_request_wins),
		cmocka_unit_test(dp_flows_walk_pages_and_filters),
		cmocka_unit_test(dp_flows_walk_filters_clients_of_both_families),
		cmocka_unit_test(dp_tx_counts_what_the_port_took),
		cmocka_unit_test(dp_vrrp_adverts_reach_the_master_in_mode_vrrp),
		cmocka_unit_test(dp_vrrp_flood_policed),
		cmocka_unit_test(dp_vrrp_dropped_as_multicast_unless_mode_vrrp),
		cmocka_unit_test(dp_ecmp_no_arp_for_vips),
		cmocka_unit_test(dp_sync_stages_confirmed_flows_peers_cannot_compute),
		cmocka_unit_test(dp_sync_stages_udp_flows_at_their_second_datagram),
		cmocka_unit_test(dp_sync_nothing_for_maglev_or_without_sync),
		cmocka_unit_test(dp_sync_persistence_record_follows_its_flow),
		cmocka_unit_test(dp_sync_no_record_for_a_draining_member),
		cmocka_unit_test(dp_sync_full_queue_counted),
		cmocka_unit_test(dp_sync_install_takes_the_announced_member),
		cmocka_unit_test(dp_sync_other_worker_finds_the_flow_at_home),
		cmocka_unit_test(dp_sync_fin_at_other_worker_goes_to_the_synced_member),
		cmocka_unit_test(dp_sync_invalid_service_ignored),
		cmocka_unit_test(dp_sync_learned_entry_is_never_announced),
		cmocka_unit_test(dp_sync_expired_idle_flow_taken_again),
		cmocka_unit_test(dp_sync_learned_copy_follows_and_may_shorten),
		cmocka_unit_test(dp_sync_peer_never_extends_our_flow),
		cmocka_unit_test(dp_sync_our_flow_follows_the_peer_off_a_replaced_member),
		cmocka_unit_test(dp_sync_closing_never_reinstalled_established),
		cmocka_unit_test(dp_sync_ended_closes_learned_not_owned),
		cmocka_unit_test(dp_sync_packet_makes_learned_ours_and_announces),
		cmocka_unit_test(dp_sync_fin_on_our_synced_flow_announces_end),
		cmocka_unit_test(dp_sync_handoff_removes_the_copy_one_entry_per_flow),
		cmocka_unit_test(dp_sync_handoff_closes_the_copy_never_ours),
		cmocka_unit_test(dp_sync_lifetime_capped_at_twice_the_timeout),
		cmocka_unit_test(dp_fast_path_gives_the_full_parsers_verdicts_and_counters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
