/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the whole worker burst function (lb_dp_process) on
 * arbitrary frames, with a configuration that exercises every path:
 * Maglev, WRR, SH and WLC TCP services, persistence (per client and per
 * /24), stateful and stateless UDP, a member source-port range, a
 * VLAN-less port, a small flow table that fills up. After every burst
 * the per-member flow counts must equal what the table holds, and now
 * and then a flows.flush must empty the table and the counts.
 *
 * Input: records of [length (2 bytes, big endian)] [split (1 byte)]
 * [frame]; split > 0 puts the frame in two chained mbufs, the first of
 * split bytes. Up to 64 records make one burst.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lb_core.h"
#include "lb_dp.h"
#include "lb_flow.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;
static struct lb_core *core;
static struct lb_worker *w;
static struct rte_ring *to_master, *to_master_prio, *sync_ring;
static bool quit;
static unsigned int runs;

static const uint8_t port_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };

static void
add_service(const char *name, uint8_t proto, uint16_t lo, uint16_t hi,
	    uint8_t sched, bool stateless, uint32_t persist, uint8_t prefix)
{
	struct lb_conf_service s = {
		.proto = proto, .port_lo = lo, .port_hi = hi, .sched = sched,
		.stateless = stateless, .hash_fields = LB_HASH_F_DEFAULT,
		.table_size = 251, .persistence = persist,
		.persist_prefix = prefix,
	};

	snprintf(s.name, sizeof(s.name), "%s", name);
	if (lb_core_service_add(core, &s, NULL, 0) < 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { (*argv)[0], "--no-huge", "-m", "256", "--no-pci",
			"--no-shconf", "--file-prefix", "fuzz_dp", "-l", "0",
			"--vdev", "net_null0", "--log-level", "*:error" };
	struct lb_core_params cp = { .socket_id = SOCKET_ID_ANY };
	struct lb_conf_port port = { .name = "p0", .prefix = 24 };
	struct lb_dp_rxq rxq = { 0 };
	uint16_t pid;
	uint32_t vips[2];
	unsigned int i;

	(void)argc;
	if (rte_eal_init(RTE_DIM(eal), eal) < 0 ||
	    rte_eth_dev_get_port_by_name("net_null0", &pid) != 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz", 4096, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	to_master = rte_ring_create("fuzz_master", 1024, SOCKET_ID_ANY,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	to_master_prio = rte_ring_create("fuzz_master_prio", 1024,
					 SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	core = lb_core_create(&cp);
	if (pool == NULL || to_master == NULL || to_master_prio == NULL ||
	    core == NULL)
		abort();
	port.addr = inet_addr("198.51.100.2");
	lb_core_port_add(core, &port, pid, port_mac);
	vips[0] = inet_addr("198.51.100.100");
	vips[1] = inet_addr("198.51.100.101");
	lb_core_vips_set(core, vips, 2);
	for (i = 0; i < 4; i++) {
		struct lb_conf_member m = { .weight = 100 * (i + 1),
			.has_mac = i != 3,
			.mac = { 0x02, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = htonl(0xc6336400u | (11 + i));
		if (i == 0) {
			m.has_sports = true;
			m.sport_lo = 33000;
			m.sport_hi = 33999;
		}
		if (lb_core_member_add(core, &m) < 0)
			abort();
	}
	add_service("pop3", 6, 110, 110, LB_SCHED_MAGLEV, false, 15, 32);
	add_service("smtp", 6, 25, 25, LB_SCHED_WRR, false, 0, 32);
	add_service("imap", 6, 143, 143, LB_SCHED_WLC, false, 30, 24);
	add_service("web", 6, 8000, 8100, LB_SCHED_SH, false, 0, 32);
	add_service("sip", 17, 5060, 5060, LB_SCHED_MAGLEV, true, 0, 32);
	add_service("any", 17, 0, 65535, LB_SCHED_WLC, false, 0, 32);
	/* mode vrrp (VRRP adverts pass) with flow sync: the worker stages
	 * flows, and what it staged is installed back */
	lb_core_set_ha(core, &(struct lb_conf_ha){ .mode = LB_HA_VRRP,
						   .sync = true });
	if (lb_core_commit(core) != 1)
		abort();
	sync_ring = rte_ring_create_elem("fuzz_sync", sizeof(struct lb_dp_sync),
					 1024, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (sync_ring == NULL)
		abort();

	w = rte_zmalloc("fuzz_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL)
		abort();
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(core),
			.flows = lb_flow_create("fuzz_flows", 1024, SOCKET_ID_ANY, NULL),
			.to_master = to_master, .to_master_prio = to_master_prio,
			.exception_pps = 1000, .arp_pps = 1000,
			.rxq = &rxq, .n_rxq = 1,
			.port_ids = &pid, .n_ports = 1, .quit = &quit,
			.sync_out = sync_ring, .sync_in = sync_ring,
		};

		if (dp.flows == NULL || lb_dp_worker_init(w, &dp) != 0)
			abort();
	}
	return 0;
}

static struct rte_mbuf *
frame(const uint8_t *p, uint16_t len, uint8_t split)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *tail;
	char *d;

	if (m == NULL)
		return NULL;
	if (split == 0 || split >= len) {
		d = rte_pktmbuf_append(m, len);
		if (d == NULL)
			goto fail;
		memcpy(d, p, len);
		return m;
	}
	d = rte_pktmbuf_append(m, split);
	tail = rte_pktmbuf_alloc(pool);
	if (d == NULL || tail == NULL) {
		rte_pktmbuf_free(tail);
		goto fail;
	}
	memcpy(d, p, split);
	d = rte_pktmbuf_append(tail, (uint16_t)(len - split));
	if (d == NULL || rte_pktmbuf_chain(m, tail) != 0) {
		rte_pktmbuf_free(tail);
		goto fail;
	}
	memcpy(d, p + split, len - split);
	return m;
fail:
	rte_pktmbuf_free(m);
	return NULL;
}

/* The per-member and per-service counts equal what the flow table
 * holds. */
static void
check_counts(void)
{
	static struct lb_flow_mcount want[LB_FLOW_MEMBERS];
	static struct lb_flow_mcount want_svc[LB_FLOW_SERVICES];
	const struct lb_flow_table *t = w->flows;
	uint32_t p, a, in;
	uint16_t m;

	memset(want, 0, sizeof(want));
	memset(want_svc, 0, sizeof(want_svc));
	for (p = 0; p < t->n_pos; p++) {
		const struct lb_flow_entry *e = &t->e[p];

		if (e->state == 0)
			continue;
		if (e->member >= LB_FLOW_MEMBERS || e->svc >= LB_FLOW_SERVICES)
			abort();
		if (lb_flow_active_state(e->state)) {
			want[e->member].active++;
			want_svc[e->svc].active++;
		} else {
			want[e->member].inactive++;
			want_svc[e->svc].inactive++;
		}
	}
	for (m = 0; m < LB_FLOW_MEMBERS; m++) {
		lb_flow_member_flows(t, m, &a, &in);
		if (a != want[m].active || in != want[m].inactive)
			abort();
	}
	for (m = 0; m < LB_FLOW_SERVICES; m++) {
		lb_flow_service_flows(t, m, &a, &in);
		if (a != want_svc[m].active || in != want_svc[m].inactive)
			abort();
	}
}

/* What the worker staged for sync: well-formed records. */
static void
check_sync(void)
{
	struct lb_dp_sync r[64];
	unsigned int n, i;

	n = rte_ring_count(sync_ring);
	for (i = 0; i < n && i < RTE_DIM(r); i++) {
		if (rte_ring_sc_dequeue_elem(sync_ring, &r[i], sizeof(r[i])) != 0)
			abort();
		if (r[i].member >= LB_MAX_MEMBERS ||
		    r[i].svc >= LB_MAX_SERVICES ||
		    (r[i].kind != LB_DP_SYNC_FLOW &&
		     r[i].kind != LB_DP_SYNC_PERSIST) ||
		    (r[i].state != LB_FLOW_TCP_EST && r[i].state != LB_FLOW_UDP))
			abort();
	}
	/* the flows go back in, persistence records stay out (the master
	 * stores those itself) */
	n = i;
	for (i = 0; i < n; i++)
		if (r[i].kind == LB_DP_SYNC_FLOW &&
		    rte_ring_sp_enqueue_elem(sync_ring, &r[i], sizeof(r[i])) != 0)
			abort();
}

/* Sum of the outcome counters: what rx is. */
static uint64_t
outcomes(void)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < LB_STAT_WORKER_MAX; i++)
		if (lb_stats_worker_desc[i].kind == 'o')
			sum += w->stats[i];
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[64];
	uint16_t n = 0, i;
	uint64_t before;
	void *obj;

	while (size >= 3 && n < RTE_DIM(pkts)) {
		uint16_t len = (uint16_t)(data[0] << 8 | data[1]);
		uint8_t split = data[2];

		data += 3;
		size -= 3;
		if (len > size)
			len = (uint16_t)size;
		if (len > 2000)
			len = 2000;
		pkts[n] = frame(data, len, split);
		if (pkts[n] != NULL)
			n++;
		data += len;
		size -= len;
	}
	before = outcomes();
	lb_dp_clock(w);
	lb_dp_process(w, lb_core_snapshot(core), 0, pkts, n);
	/* fragments still waiting for their first are dropped now */
	lb_dp_worker_fini(w);
	/* every packet ends in exactly one outcome counter */
	if (outcomes() - before != n)
		abort();
	for (i = 0; i < w->tx[0].n; i++)
		rte_pktmbuf_free(w->tx[0].m[i]);
	w->tx[0].n = 0;
	while (rte_ring_dequeue(to_master, &obj) == 0)
		rte_pktmbuf_free(obj);
	while (rte_ring_dequeue(to_master_prio, &obj) == 0)
		rte_pktmbuf_free(obj);
	/* and no mbuf is left behind */
	if (rte_mempool_in_use_count(pool) != 0)
		abort();
	check_counts();
	/* flows staged for sync name a real flow of a confirmed state;
	 * installed back (as a peer's would be), the counts still hold */
	check_sync();
	lb_dp_sync_install(w, lb_core_snapshot(core), 1024);
	check_counts();
	/* now and then the master flushes everything */
	if (++runs % 256 == 0) {
		uint32_t seq = lb_dp_flows_flush_request(w, LB_DP_ANY,
							 LB_DP_ANY);

		while (!lb_dp_flows_flush_done(w, seq, NULL))
			lb_dp_flows_flush_step(w, LB_FLUSH_BUDGET);
		if (w->flows->count != 0)
			abort();
		check_counts();
	}
	return 0;
}
