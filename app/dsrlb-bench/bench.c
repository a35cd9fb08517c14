/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * dsrlb-bench: the worker's burst function (lb_dp_process, the code the
 * workers run) on synthetic mbufs, on one lcore, without a NIC.
 *
 * Every scenario runs the same loop: a generator stamps the next flow's
 * addresses and ports into a burst of pre-built mbufs, the burst goes
 * through the data path (or, for the baseline, a plain MAC swap), and
 * the packets queued for TX are taken back instead of being sent. So
 * the figures exclude the PMD's RX/TX, include the generator, and the
 * baseline shows what the generator and touching the packet cost alone.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lb_config.h"
#include "lb_core.h"
#include "lb_dp.h"
#include "lb_flow.h"
#include "lb_pkt.h"

#define N_MBUFS 1024
#define PKT_LEN 64

static const uint8_t port_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

struct opts {
	uint32_t flows;        /* established flows in the table */
	uint32_t new_flows;    /* flows created in the new-flow run */
	uint64_t packets;      /* packets per throughput run */
	uint32_t memtest;      /* flows for the memory measurement, 0 = off */
};

struct bench {
	struct rte_mempool *pool;
	struct rte_mbuf *m[N_MBUFS];
	struct lb_core *core;
	struct lb_worker *w;
	struct rte_ring *sync_out;   /* flows for sync, drained as the master */
	uint64_t synced;
	uint16_t port_id;
	bool quit;
};

/* A 64-byte TCP or UDP packet from the client to the VIP. */
static int
build_packet(struct rte_mbuf *m, uint8_t proto, uint16_t dport)
{
	char *d = rte_pktmbuf_append(m, PKT_LEN);
	uint8_t *p, *ip, *l4;
	uint32_t vip = inet_addr("198.51.100.100");

	if (d == NULL)
		return -ENOSPC;
	p = (uint8_t *)d;
	ip = p + LB_ETH_HLEN;
	l4 = ip + 20;
	memset(p, 0, PKT_LEN);
	memcpy(p, port_mac, 6);
	memcpy(p + 6, client_mac, 6);
	lb_store_be16(p + 12, LB_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	lb_store_be16(ip + 2, PKT_LEN - LB_ETH_HLEN);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 16, &vip, 4);
	lb_store_be16(l4 + 2, dport);
	if (proto == LB_IPPROTO_TCP) {
		l4[12] = 5 << 4;
		l4[13] = LB_TCP_ACK;
	} else {
		lb_store_be16(l4 + 4, PKT_LEN - LB_ETH_HLEN - 20);
	}
	return 0;
}

/* Flow i's client: 203.0.x.y / port, from a 32-bit id (distinct ids,
 * distinct tuples). */
static inline void
stamp(uint8_t *p, uint32_t id, uint8_t tcp_flags)
{
	uint32_t src = htonl(0xcb000000u | (id >> 8));   /* 203.x.y.z */
	uint16_t sport = (uint16_t)(1024 + (id & 0xff));

	memcpy(p, port_mac, 6);             /* undo the previous rewrite */
	memcpy(p + LB_ETH_HLEN + 12, &src, 4);
	lb_store_be16(p + LB_ETH_HLEN + 20, sport);
	p[LB_ETH_HLEN + 20 + 13] = tcp_flags;
}

static int
setup_core(struct bench *b, struct lb_flow_table *ft)
{
	struct lb_core_params cp = { .qsbr = NULL, .socket_id = (int)rte_socket_id() };
	struct lb_conf_port port = { .name = "bench0", .prefix = 24 };
	struct lb_conf_service svc[3] = {
		{ .name = "pop3", .proto = LB_IPPROTO_TCP, .port_lo = 110,
		  .port_hi = 110, .sched = LB_SCHED_MAGLEV,
		  .table_size = LB_MAGLEV_DEFAULT_SIZE },
		{ .name = "sip", .proto = LB_IPPROTO_UDP, .port_lo = 5060,
		  .port_hi = 5060, .sched = LB_SCHED_MAGLEV, .stateless = true,
		  .hash_fields = LB_HASH_F_DEFAULT,
		  .table_size = LB_MAGLEV_DEFAULT_SIZE },
		{ .name = "imap", .proto = LB_IPPROTO_TCP, .port_lo = 143,
		  .port_hi = 143, .sched = LB_SCHED_WRR,
		  .table_size = LB_MAGLEV_DEFAULT_SIZE },
	};
	struct lb_dp_rxq rxq = { .port = 0, .queue = 0 };
	struct lb_dp_params dp = {
		.rxq = &rxq, .n_rxq = 1, .txq = 0, .port_ids = &b->port_id,
		.n_ports = 1, .quit = &b->quit, .flows = ft,
		.sync_out = b->sync_out,
	};
	uint32_t vip = inet_addr("198.51.100.100");
	unsigned int i;

	port.addr = inet_addr("198.51.100.2");
	b->core = lb_core_create(&cp);
	if (b->core == NULL)
		return -ENOMEM;
	lb_core_port_add(b->core, &port, b->port_id, port_mac);
	lb_core_vips_set(b->core, &vip, 1);
	for (i = 0; i < 4; i++) {
		struct lb_conf_member m = { .weight = 100, .has_mac = true,
			.mac = { 0x02, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = htonl(0xc6336400u | (11 + i));   /* 198.51.100.11+ */
		if (lb_core_member_add(b->core, &m) < 0)
			return -EINVAL;
	}
	for (i = 0; i < RTE_DIM(svc); i++) {
		svc[i].vip = vip;
		if (lb_core_service_add(b->core, &svc[i], NULL, 0) < 0)
			return -EINVAL;
	}
	if (lb_core_commit(b->core) != 1)
		return -EINVAL;
	dp.snap = lb_core_snapshot_ptr(b->core);
	b->w = rte_zmalloc("bench_worker", sizeof(*b->w), RTE_CACHE_LINE_SIZE);
	if (b->w == NULL)
		return -ENOMEM;
	return lb_dp_worker_init(b->w, &dp);
}

/* Take back what the data path queued for TX. */
static inline unsigned int
take_tx(struct lb_worker *w)
{
	unsigned int n = w->tx[0].n;

	w->tx[0].n = 0;
	return n;
}

/* What the master does with the flows staged for sync: take them off
 * the ring (the master's side, counted here too). */
static inline unsigned int
drain_sync(struct bench *b)
{
	struct lb_dp_sync d[64];

	return rte_ring_sc_dequeue_burst_elem(b->sync_out, d, sizeof(d[0]),
					      RTE_DIM(d), NULL);
}

struct result {
	uint64_t packets;
	uint64_t cycles;
	uint64_t out;
};

/* One throughput run: ids[] gives the flow of each packet in turn. */
static void
run(struct bench *b, const uint32_t *ids, uint64_t n_ids, uint64_t packets,
    uint8_t tcp_flags, bool baseline, struct result *r)
{
	const struct lb_snapshot *s = lb_core_snapshot(b->core);
	uint64_t done = 0, k = 0, start;
	unsigned int next = 0;

	r->out = 0;
	start = rte_rdtsc();
	while (done < packets) {
		struct rte_mbuf **burst = &b->m[next];
		unsigned int i;

		for (i = 0; i < LB_BURST; i++) {
			uint8_t *p = rte_pktmbuf_mtod(burst[i], uint8_t *);

			stamp(p, ids[k], tcp_flags);
			if (++k == n_ids)
				k = 0;
		}
		if (baseline) {
			for (i = 0; i < LB_BURST; i++) {
				uint8_t *p = rte_pktmbuf_mtod(burst[i], uint8_t *);
				uint8_t t[6];

				memcpy(t, p, 6);
				memcpy(p, p + 6, 6);
				memcpy(p + 6, t, 6);
			}
			r->out += LB_BURST;
		} else {
			lb_dp_clock(b->w);
			lb_dp_process(b->w, s, 0, burst, LB_BURST);
			r->out += take_tx(b->w);
			if (s->sync)
				b->synced += drain_sync(b);
			b->w->stats[LB_STAT_FLOW_EXPIRED] +=
				lb_flow_sweep(b->w->flows, b->w->now,
					      LB_SWEEP_BUDGET);
		}
		done += LB_BURST;
		next += LB_BURST;
		if (next == N_MBUFS)
			next = 0;
	}
	r->cycles = rte_rdtsc() - start;
	r->packets = done;
}

static void
report(const char *name, const struct result *r)
{
	double secs = (double)r->cycles / rte_get_tsc_hz();

	printf("%-38s %8.2f Mpps %8.1f cycles/packet  (%" PRIu64 " packets, %" PRIu64 " forwarded)\n",
	       name, r->packets / secs / 1e6,
	       (double)r->cycles / r->packets, r->packets, r->out);
	fflush(stdout);
}

static uint32_t *
shuffled_ids(uint32_t n, uint32_t offset)
{
	uint32_t *ids = malloc(n * sizeof(*ids)), i;

	if (ids == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		ids[i] = offset + i;
	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rte_rand() % (i + 1)), t = ids[i];

		ids[i] = ids[j];
		ids[j] = t;
	}
	return ids;
}

/* Heap bytes one flow table of n flows takes. */
static int
memtest(uint32_t n)
{
	struct rte_malloc_socket_stats before, after;
	struct lb_flow_table *t;
	int socket = (int)rte_socket_id();

	rte_malloc_get_socket_stats(socket, &before);
	t = lb_flow_create("bench_memtest", n, socket, NULL);
	if (t == NULL) {
		printf("flow table of %u flows: %s\n", n, rte_strerror(rte_errno));
		return -1;
	}
	rte_malloc_get_socket_stats(socket, &after);
	printf("flow table of %u flows: %.1f MiB (%.1f bytes/flow)\n", n,
	       (after.heap_allocsz_bytes - before.heap_allocsz_bytes) /
	       1048576.0,
	       (double)(after.heap_allocsz_bytes - before.heap_allocsz_bytes) / n);
	lb_flow_free(t);
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "new-flows", required_argument, NULL, 'n' },
		{ "packets", required_argument, NULL, 'p' },
		{ "memtest", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:n:p:m:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': o->new_flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p': o->packets = strtoull(optarg, NULL, 0); break;
		case 'm': o->memtest = (uint32_t)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: dsrlb-bench [EAL options] -- [--flows N (1048576)] [--new-flows N (2000000)] [--packets N (50000000)] [--memtest N]\n");
			return -1;
		}
	}
	if (o->flows < 1024 || o->new_flows < 1024 || o->packets < N_MBUFS) {
		fprintf(stderr, "dsrlb-bench: --flows and --new-flows >= 1024, --packets >= %u\n",
			N_MBUFS);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .flows = 1 << 20, .new_flows = 2000000,
			  .packets = 50000000 };
	struct bench b = { 0 };
	struct lb_flow_table *ft;
	struct result r;
	uint32_t *est_ids, *new_ids, *wrr_ids, *sync_ids;
	struct lb_conf_ha ha = { .sync = true };
	struct result syn, ack;
	unsigned int i;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "dsrlb-bench: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_opts(argc - n, argv + n, &o) != 0)
		return 2;
	if (rte_dev_probe("net_null0") != 0 ||
	    rte_eth_dev_get_port_by_name("net_null0", &b.port_id) != 0) {
		fprintf(stderr, "dsrlb-bench: cannot create net_null0\n");
		return 1;
	}
	b.pool = rte_pktmbuf_pool_create("bench", N_MBUFS * 2, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	ft = lb_flow_create("bench_flows", o.flows + 3 * o.new_flows,
			    (int)rte_socket_id(), NULL);
	b.sync_out = rte_ring_create_elem("bench_sync", sizeof(struct lb_dp_sync),
					  16384, (int)rte_socket_id(),
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (b.pool == NULL || ft == NULL || b.sync_out == NULL ||
	    rte_pktmbuf_alloc_bulk(b.pool, b.m, N_MBUFS) != 0 ||
	    setup_core(&b, ft) != 0) {
		fprintf(stderr, "dsrlb-bench: setup failed (memory? try -m 2048 or hugepages)\n");
		return 1;
	}
	est_ids = shuffled_ids(o.flows, 0);
	new_ids = shuffled_ids(o.new_flows, o.flows);
	wrr_ids = shuffled_ids(o.new_flows, o.flows + o.new_flows);
	sync_ids = shuffled_ids(o.new_flows, o.flows + 2 * o.new_flows);
	if (est_ids == NULL || new_ids == NULL || wrr_ids == NULL ||
	    sync_ids == NULL)
		return 1;

	printf("dsrlb-bench: lcore %u, TSC %.2f GHz, burst %u, %u-byte packets, %u mbufs\n",
	       rte_lcore_id(), rte_get_tsc_hz() / 1e9, LB_BURST, PKT_LEN,
	       N_MBUFS);

	for (i = 0; i < N_MBUFS; i++)
		if (build_packet(b.m[i], LB_IPPROTO_TCP, 110) != 0)
			return 1;
	run(&b, est_ids, o.flows, o.packets, LB_TCP_ACK, true, &r);
	report("baseline: generator + MAC swap", &r);

	/* fill the table: one SYN per flow, then steady state on ACKs */
	run(&b, est_ids, o.flows, o.flows, LB_TCP_SYN, false, &r);
	printf("%-38s %u flows in the table\n", "setup:", ft->count);
	run(&b, est_ids, o.flows, o.packets, LB_TCP_ACK, false, &r);
	report("established TCP (table of flows)", &r);

	run(&b, new_ids, o.new_flows, o.new_flows, LB_TCP_SYN, false, &r);
	report("new TCP flows (SYN, insert)", &r);
	printf("%-38s %u flows in the table, %" PRIu64 " new, %" PRIu64 " table full\n",
	       "", ft->count, b.w->stats[LB_STAT_FLOW_NEW],
	       b.w->stats[LB_STAT_FLOW_TABLE_FULL]);

	/* flow sync's cost on the worker: wrr connections opened (SYN,
	 * then the ACK that confirms them and stages them for sync), with
	 * sync off and on; the ring is drained as the master would */
	for (i = 0; i < N_MBUFS; i++) {
		rte_pktmbuf_reset(b.m[i]);
		if (build_packet(b.m[i], LB_IPPROTO_TCP, 143) != 0)
			return 1;
	}
	run(&b, wrr_ids, o.new_flows, o.new_flows, LB_TCP_SYN, false, &syn);
	run(&b, wrr_ids, o.new_flows, o.new_flows, LB_TCP_ACK, false, &ack);
	syn.cycles += ack.cycles;
	syn.out += ack.out;
	syn.packets += ack.packets;
	report("wrr connections (SYN+ACK), no sync", &syn);
	lb_core_set_ha(b.core, &ha);
	if (lb_core_commit(b.core) != 1)
		return 1;
	run(&b, sync_ids, o.new_flows, o.new_flows, LB_TCP_SYN, false, &syn);
	run(&b, sync_ids, o.new_flows, o.new_flows, LB_TCP_ACK, false, &ack);
	syn.cycles += ack.cycles;
	syn.out += ack.out;
	syn.packets += ack.packets;
	report("wrr connections (SYN+ACK), flow sync", &syn);
	printf("%-38s %" PRIu64 " flows staged for sync, %" PRIu64 " queue full\n",
	       "", b.w->stats[LB_STAT_SYNC_QUEUED],
	       b.w->stats[LB_STAT_SYNC_RING_FULL]);
	if (b.synced == 0) {
		fprintf(stderr, "dsrlb-bench: no flow was staged for sync\n");
		return 1;
	}
	ha.sync = false;
	lb_core_set_ha(b.core, &ha);
	if (lb_core_commit(b.core) != 1)
		return 1;

	for (i = 0; i < N_MBUFS; i++) {
		rte_pktmbuf_reset(b.m[i]);
		if (build_packet(b.m[i], LB_IPPROTO_UDP, 5060) != 0)
			return 1;
	}
	run(&b, est_ids, o.flows, o.packets, 0, false, &r);
	report("stateless UDP (consistent hash)", &r);

	if (b.w->stats[LB_STAT_FWD] == 0) {
		fprintf(stderr, "dsrlb-bench: nothing was forwarded\n");
		return 1;
	}
	if (o.memtest > 0)
		memtest(o.memtest);
	return 0;
}
