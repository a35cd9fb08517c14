/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * dsrlb-bench: the worker loop (lb_dp_main_loop, unchanged: RX burst,
 * lb_dp_process, lb_dp_flush's TX burst, sweeper, grace periods) through
 * a real PMD, against an I/O baseline measured in the same run.
 *
 * The port is net_null (size=64, copy=0). Its RX burst takes mbufs from
 * the pool and its TX burst frees them, one by one, as a NIC PMD's RX
 * refill and TX completion do, and nothing else. net_ring would only
 * move pointers between rings (no mbuf ever allocated or freed), and a
 * generator would have to move them back: less than a NIC costs.
 *
 * A generator registered as an RX callback writes each received packet
 * (what the NIC's DMA would have written): a 64-byte template, then the
 * source address and port, destination and TCP flags of the next flow of
 * a precomputed sequence. The baseline runs the same RX burst and
 * generator, a MAC swap and the TX burst (testpmd's macswap forwarding);
 * the generator scenario the same RX burst and generator, then frees the
 * mbufs in bulk (no TX): what making the packets costs. Every other
 * scenario runs lb_dp_main_loop. Cycles are TSC ticks from the RX
 * callback of one loop iteration to that of another, after a warm-up;
 * each scenario prints Mpps, cycles per packet and their ratio to the
 * baseline's, and the ratio of the two without the generator's cost
 * (scenario - generator) / (baseline - generator).
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_version.h>

#include "lb_config.h"
#include "lb_core.h"
#include "lb_dp.h"
#include "lb_flow.h"
#include "lb_pkt.h"
#include "lb_pkt6.h"

#define PKT_LEN 64
/* an IPv6 TCP packet without options: the shortest a client sends */
#define PKT_LEN6 (LB_ETH_HLEN + 40 + 20)
#define N_MBUFS 8191
#define MBUF_CACHE 256
#define N_DESC 1024
#define N_LANES 2
/*
 * net_null keeps each queue's packet count in a 40-byte struct, in an
 * array, and adds to it with a locked instruction every burst: queues 0
 * and 1 share a cache line, which two lcores would then pass back and
 * forth. A NIC's queues share nothing; the second worker takes queue 4.
 */
#define LANE1_QUEUE 4
#define N_QUEUES (LANE1_QUEUE + 1)
#define MASTER_RING_SIZE 1024
#define SYNC_RING_SIZE 16384

/* A sequence element: kind << SEQ_KIND_SHIFT | flow id. */
#define SEQ_KIND_SHIFT 28
#define SEQ_ID_MASK ((1u << SEQ_KIND_SHIFT) - 1)
#define SEQ_MAX (1u << 24)          /* longest sequence: it wraps */
#define FLOOD_BASE (1u << 27)       /* ids of random sources, never a table's */
#define FLOOD_MUL 0x9e3779b1u       /* odd: a bijection mod 2^27 */
#define CLIENT_NET 0x0b000000u      /* clients: 11.0.0.0/8 */
#define SCRAMBLE 2654435761u        /* prime: rank -> flow, a bijection mod n */
#define ZIPF_S 1.0
#define REAL_VIPS 16
#define REAL_SERVICES 64
#define REAL_MEMBERS_PER 8
#define REAL_TARGETS 1024           /* (VIP, port, protocol) of the flows */
#define MAX_RESULTS 32

enum seq_kind { K_ACK = 0, K_SYN, K_RST };

static const uint8_t kind_flags[4] = {
	LB_TCP_ACK, LB_TCP_SYN, LB_TCP_RST, LB_TCP_ACK,
};

/* Offsets in the untagged IPv4 frame. */
#define OFF_SRC (LB_ETH_HLEN + 12)
#define OFF_DST (LB_ETH_HLEN + 16)
#define OFF_SPORT (LB_ETH_HLEN + 20)
#define OFF_DPORT (LB_ETH_HLEN + 22)
#define OFF_TCP_FLAGS (LB_ETH_HLEN + 20 + 13)   /* UDP: a payload byte */

static const uint8_t port_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

struct opts {
	uint32_t flows;        /* established flows */
	uint32_t flows_large;  /* the large case, 0 = skip */
	uint32_t conns;        /* connections per wrr run */
	uint64_t packets;      /* timed packets per scenario */
	uint32_t memtest;      /* flows for the memory measurement, 0 = off */
	uint32_t memtest6;     /* the same for an IPv6 table */
	bool quick;
	bool json;
	const char *only;      /* comma-separated scenario ids, NULL = all */
};

/* Where the packets of a flow go: its id picks one (id & mask). */
struct target {
	uint32_t dst;          /* network order */
	uint16_t dport;        /* network order */
	uint8_t udp;
	uint8_t v6;            /* to dst6, from 2001:db8:b::/96 */
	uint8_t dst6[16];
};

enum gen_phase { GEN_OFF = 0, GEN_START, GEN_WARM, GEN_TIMED, GEN_DONE };

/* Lanes of one run start together. */
struct start_line {
	uint32_t ready;
	uint32_t n;
};

/* The generator of one RX queue, run by its RX callback. */
struct gen {
	const uint32_t *seq;
	uint64_t len;
	uint64_t k;            /* next element */
	const struct target *tgt;
	uint32_t tgt_mask;
	uint32_t phase;        /* enum gen_phase */
	uint64_t rx;           /* packets written */
	uint64_t warm;         /* untimed packets first */
	uint64_t target;       /* then timed ones */
	uint64_t rx0, rx1, t0, t1;
	uint64_t cpu0, cpu1;   /* this thread's CPU time, ns */
	struct start_line *start;
	volatile bool *stop;   /* one lane is done: all stop timing */
	volatile bool *quit;   /* this lane's loop */
	struct rte_ring *drain; /* flows for sync, taken as the master would */
	uint64_t drained;
	const uint32_t *watch; /* a count to follow while timed (table fill) */
	uint32_t wmin, wmax;
	/* by udp | v6 << 1 */
	uint8_t tmpl[4][RTE_ALIGN_CEIL(PKT_LEN6, 16)]
		__rte_aligned(RTE_CACHE_LINE_SIZE);
} __rte_cache_aligned;

/* What polls a lane's queue pair. */
enum lane_mode {
	LANE_WORKER = 0,       /* lb_dp_main_loop */
	LANE_MACSWAP,          /* the I/O baseline */
	LANE_GEN_ONLY,         /* RX (the generator), free, no TX */
};

/* One queue pair and the worker (or MAC swap loop) that polls it. */
struct lane {
	struct gen g;
	struct lb_worker *w;
	uint16_t port_id;
	uint16_t queue;
	unsigned int lcore;
	unsigned int qsbr_id;
	volatile bool quit;
	enum lane_mode mode;
	uint64_t base_tx;      /* sent by the MAC swap loop, freed by the
				* generator's */
	struct rte_ring *to_master;
	struct rte_ring *to_master_prio;
	struct rte_ring *from_master;
	struct rte_ring *sync_out;
	struct rte_ring *sync_in;
};

struct result {
	char id[40];
	char name[80];
	uint32_t flows;        /* in the table at the start, 0 = none */
	uint64_t packets;      /* timed */
	uint64_t cycles;
	uint64_t received;     /* all the run's packets, warm-up included */
	uint64_t forwarded;    /* of them, accepted by the TX burst */
	double cpp;
	double mpps;
	double ratio;
	double ratio_io;       /* both less the generator's cpp: (cpp -
				* gen_cpp) / (base_cpp - gen_cpp) */
	bool has_io;           /* ratio_io is known */
	bool is_gen;           /* the generator scenario itself */
	double per_flow;       /* packets per flow, 0 = not a per-flow figure */
	double cpu_share;      /* of the timed wall time, the lcore ran */
	bool skipped;
	char note[256];
};

struct bench {
	struct opts o;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;
	uint16_t port_id;
	int socket;
	struct lb_core *core;      /* one VIP, three services */
	struct lb_core *real;      /* 16 VIPs, 64 services, 512 members */
	struct lane lane[N_LANES];
	struct lb_worker *peers[N_LANES];
	unsigned int n_lanes;      /* lanes with an lcore to run on */
	struct target t_tcp;       /* the minimal services */
	struct target t_udp;
	struct target t_wrr;
	struct target t_tcp6;      /* the same services on an IPv6 VIP */
	struct target t_udp6;
	struct target t_real[REAL_TARGETS];
	unsigned int n_tables;
	struct result res[MAX_RESULTS];
	unsigned int n_res;
	double base_cpp;
	double gen_cpp;            /* the generator scenario's */
	double io_cpp;             /* base_cpp - gen_cpp; <= 0: unknown */
	double scaling;            /* two workers over one, 0 = not run */
	double memtest_bytes;
	double memtest6_bytes;
	FILE *out;                 /* human output */
	int failed;
};

/* ---- generator ---- */

/* The CPU time this thread has had: a run whose lcore shared its CPU
 * with another process shows less than its wall time. */
static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A 64-byte TCP or UDP packet from a client to a VIP; the generator
 * writes the flow's fields over it. */
static void
build_template(uint8_t *p, bool udp)
{
	uint8_t *ip = p + LB_ETH_HLEN, *l4 = ip + 20;

	memset(p, 0, PKT_LEN);
	memcpy(p, port_mac, 6);
	memcpy(p + 6, client_mac, 6);
	lb_store_be16(p + 12, LB_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	lb_store_be16(ip + 2, PKT_LEN - LB_ETH_HLEN);
	ip[8] = 64;
	ip[9] = udp ? LB_IPPROTO_UDP : LB_IPPROTO_TCP;
	if (udp) {
		lb_store_be16(l4 + 4, PKT_LEN - LB_ETH_HLEN - 20);
	} else {
		l4[12] = 5 << 4;
		l4[13] = LB_TCP_ACK;
	}
}

/* An IPv6 TCP (PKT_LEN6 bytes) or UDP packet (its payload padded to
 * the same length) from a client to a VIP. */
static void
build_template6(uint8_t *p, bool udp)
{
	uint8_t *ip = p + LB_ETH_HLEN, *l4 = ip + 40;

	memset(p, 0, PKT_LEN6);
	memcpy(p, port_mac, 6);
	memcpy(p + 6, client_mac, 6);
	lb_store_be16(p + 12, LB_ETHERTYPE_IPV6);
	ip[0] = 0x60;
	lb_store_be16(ip + 4, PKT_LEN6 - LB_ETH_HLEN - 40);
	ip[6] = udp ? LB_IPPROTO_UDP : LB_IPPROTO_TCP;
	ip[7] = 64;
	ip[8] = 0x20;               /* 2001:db8:b::/96 */
	ip[9] = 0x01;
	ip[10] = 0x0d;
	ip[11] = 0xb8;
	ip[13] = 0x0b;
	if (udp) {
		lb_store_be16(l4 + 4, PKT_LEN6 - LB_ETH_HLEN - 40);
		lb_store_be16(l4 + 6, 0xffff);  /* checksum 0 is refused */
	} else {
		l4[12] = 5 << 4;
		l4[13] = LB_TCP_ACK;
	}
}

/* Flow id's packet: client 11.x.y.z (IPv6: 2001:db8:b::x.y.z), port
 * 1024 + the id's low byte; its length. */
static inline uint16_t
gen_packet(uint8_t *p, const struct gen *g, uint32_t e)
{
	uint32_t id = e & SEQ_ID_MASK;
	const struct target *t = &g->tgt[id & g->tgt_mask];
	uint32_t src = rte_cpu_to_be_32(CLIENT_NET | id >> 8);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(1024 + (id & 0xff)));

	if (unlikely(t->v6)) {
		uint8_t *ip = p + LB_ETH_HLEN;

		memcpy(p, g->tmpl[t->udp | 2], PKT_LEN6);
		memcpy(ip + 20, &src, 4);
		memcpy(ip + 24, t->dst6, 16);
		memcpy(ip + 40, &sport, 2);
		memcpy(ip + 42, &t->dport, 2);
		ip[40 + 13] = kind_flags[e >> SEQ_KIND_SHIFT];
		return PKT_LEN6;
	}
	memcpy(p, g->tmpl[t->udp], PKT_LEN);
	memcpy(p + OFF_SRC, &src, 4);
	memcpy(p + OFF_DST, &t->dst, 4);
	memcpy(p + OFF_SPORT, &sport, 2);
	memcpy(p + OFF_DPORT, &t->dport, 2);
	p[OFF_TCP_FLAGS] = kind_flags[e >> SEQ_KIND_SHIFT];
	return PKT_LEN;
}

/* What the master does with the flows staged for sync. */
static unsigned int
drain_sync(struct rte_ring *r)
{
	struct lb_dp_sync d[64];
	unsigned int n, all = 0;

	do {
		n = rte_ring_sc_dequeue_burst_elem(r, d, sizeof(d[0]),
						   RTE_DIM(d), NULL);
		all += n;
	} while (n == RTE_DIM(d));
	return all;
}

static void
gen_phase(struct gen *g)
{
	switch (g->phase) {
	case GEN_START:
		__atomic_add_fetch(&g->start->ready, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&g->start->ready, __ATOMIC_ACQUIRE) <
		       g->start->n)
			rte_pause();
		g->phase = GEN_WARM;
		/* fall through */
	case GEN_WARM:
		if (g->rx >= g->warm) {
			g->cpu0 = thread_cpu_ns();
			g->t0 = rte_rdtsc();
			g->rx0 = g->rx;
			g->phase = GEN_TIMED;
		}
		break;
	case GEN_TIMED:
		if (g->rx - g->rx0 >= g->target || *g->stop) {
			g->t1 = rte_rdtsc();
			g->cpu1 = thread_cpu_ns();
			g->rx1 = g->rx;
			g->phase = GEN_DONE;
			*g->stop = true;
			*g->quit = true;
		}
		break;
	default:
		break;
	}
}

/*
 * The RX callback: runs inside rte_eth_rx_burst, once per loop
 * iteration, so the time between two calls is one iteration of the
 * loop. The burst that ends the timing is still processed (the loop
 * sees quit after it), not counted.
 */
static uint16_t
gen_rx(uint16_t port __rte_unused, uint16_t queue __rte_unused,
       struct rte_mbuf **pkts, uint16_t n, uint16_t max __rte_unused,
       void *arg)
{
	struct gen *g = arg;
	uint16_t i;

	if (unlikely(g->phase == GEN_OFF))
		return n;
	gen_phase(g);
	for (i = 0; i < n; i++) {
		uint16_t len = gen_packet(rte_pktmbuf_mtod(pkts[i], uint8_t *),
					  g, g->seq[g->k]);

		/* net_null made it PKT_LEN bytes */
		if (unlikely(len != PKT_LEN))
			pkts[i]->data_len = pkts[i]->pkt_len = len;
		if (unlikely(++g->k == g->len))
			g->k = 0;
	}
	g->rx += n;
	if (g->drain != NULL)
		g->drained += drain_sync(g->drain);
	if (g->watch != NULL && g->phase == GEN_TIMED) {
		uint32_t c = *g->watch;

		g->wmin = RTE_MIN(g->wmin, c);
		g->wmax = RTE_MAX(g->wmax, c);
	}
	return n;
}

/* ---- sequences of flows ---- */

static uint32_t *
seq_alloc(uint64_t len)
{
	uint32_t *v = malloc(len * sizeof(*v));

	if (v == NULL)
		fprintf(stderr, "dsrlb-bench: no memory for a sequence of %" PRIu64 " packets\n",
			len);
	return v;
}

/* Packets a run takes from its sequence, bounded: the sequence wraps. */
static uint64_t
seq_len(uint64_t warm, uint64_t packets)
{
	return RTE_MIN(warm + packets + 2 * LB_BURST, (uint64_t)SEQ_MAX);
}

static inline uint32_t
elem(enum seq_kind k, uint32_t id)
{
	return (uint32_t)k << SEQ_KIND_SHIFT | id;
}

/* Open n flows from id base: a burst of SYNs, then a burst of their
 * ACKs (the ACK confirms the flow), block after block. */
static void
seq_open(uint32_t *v, uint32_t base, uint32_t n)
{
	uint32_t i, j, k = 0;

	for (i = 0; i < n; i += LB_BURST) {
		uint32_t m = RTE_MIN((uint32_t)LB_BURST, n - i);

		for (j = 0; j < m; j++)
			v[k++] = elem(K_SYN, base + i + j);
		for (j = 0; j < m; j++)
			v[k++] = elem(K_ACK, base + i + j);
	}
}

/* ACKs of flows drawn uniformly (independently) from base..base+n-1. */
static void
seq_uniform(uint32_t *v, uint64_t len, uint32_t base, uint32_t n)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		v[i] = elem(K_ACK, base + (uint32_t)rte_rand_max(n));
}

static inline double
rand01(void)
{
	return (double)(rte_rand() >> 11) * 0x1.0p-53;
}

/*
 * Zipf ranks by rejection-inversion (Hörmann and Derflinger, 1996; as
 * Apache Commons RNG): exact, O(1) per sample, no table of n weights.
 */
struct zipf {
	double s, n, hx1, hn, sq;
};

static inline double
zipf_helper1(double x)   /* log1p(x) / x */
{
	return fabs(x) > 1e-8 ? log1p(x) / x :
		1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static inline double
zipf_helper2(double x)   /* expm1(x) / x */
{
	return fabs(x) > 1e-8 ? expm1(x) / x :
		1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

static inline double
zipf_H(const struct zipf *z, double x)
{
	double lx = log(x);

	return zipf_helper2((1 - z->s) * lx) * lx;
}

static inline double
zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static inline double
zipf_Hinv(const struct zipf *z, double x)
{
	double t = x * (1 - z->s);

	if (t < -1)
		t = -1;
	return exp(zipf_helper1(t) * x);
}

static void
zipf_init(struct zipf *z, double s, uint32_t n)
{
	z->s = s;
	z->n = n;
	z->hx1 = zipf_H(z, 1.5) - 1;
	z->hn = zipf_H(z, n + 0.5);
	z->sq = 2 - zipf_Hinv(z, zipf_H(z, 2.5) - zipf_h(z, 2));
}

/* A rank, 1..n. */
static inline uint32_t
zipf_sample(const struct zipf *z)
{
	for (;;) {
		double u = z->hn + rand01() * (z->hx1 - z->hn);
		double x = zipf_Hinv(z, u);
		double k = floor(x + 0.5);

		if (k < 1)
			k = 1;
		else if (k > z->n)
			k = z->n;
		if (k - x <= z->sq || u >= zipf_H(z, k + 0.5) - zipf_h(z, k))
			return (uint32_t)k;
	}
}

/* ACKs of flows by Zipf popularity; rank r is flow r * SCRAMBLE mod n,
 * so the popular flows are scattered over the insertion order. */
static void
seq_zipf(uint32_t *v, uint64_t len, uint32_t base, uint32_t n, double s)
{
	struct zipf z;
	uint64_t i;

	zipf_init(&z, s, n);
	for (i = 0; i < len; i++) {
		uint32_t r = zipf_sample(&z) - 1;

		v[i] = elem(K_ACK,
			    base + (uint32_t)((uint64_t)r * SCRAMBLE % n));
	}
}

/* The j-th random source: distinct for every j < 2^27. */
static inline uint32_t
flood_id(uint64_t j)
{
	return FLOOD_BASE | ((uint32_t)j * FLOOD_MUL & (FLOOD_BASE - 1));
}

/* ACKs of established flows (uniform), pct in 100 of them replaced by
 * SYNs from sources never seen. */
static void
seq_syn_mix(uint32_t *v, uint64_t len, uint32_t base, uint32_t n,
	    unsigned int pct, uint64_t *flood)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		v[i] = rte_rand_max(100) < pct ?
			elem(K_SYN, flood_id((*flood)++)) :
			elem(K_ACK, base + (uint32_t)rte_rand_max(n));
}

/*
 * New connections in steady state, steps of three packets: a new flow's
 * SYN; the ACK of the flow opened 64 steps (two bursts) before, which
 * then joins the w confirmed open flows; the RST of one of these drawn
 * at random (exponential lifetimes of mean w steps, as connections'
 * lifetimes vary; a fixed lifetime would close flows in the order the
 * table handed out their positions, which is the order the sweeper
 * walks, and the closed ones would then wait for it in clusters).
 * Flows 0 .. w + 63 must be open first.
 */
static int
seq_steady(uint32_t *v, uint64_t steps, uint32_t w)
{
	uint32_t *open = malloc(w * sizeof(*open)), id = w + 64;
	uint64_t s, k = 0;

	if (open == NULL)
		return -ENOMEM;
	for (s = 0; s < w; s++)
		open[s] = (uint32_t)s;
	for (s = 0; s < steps; s++, id++) {
		uint32_t j = (uint32_t)rte_rand_max(w);

		v[k++] = elem(K_SYN, id);
		v[k++] = elem(K_ACK, id - 64);
		v[k++] = elem(K_RST, open[j]);
		open[j] = id - 64;
	}
	free(open);
	return 0;
}

/* ---- lanes and runs ---- */

/* testpmd's macswap forwarding: the I/O baseline. */
static int
macswap_loop(struct lane *l)
{
	struct rte_mbuf *pkts[LB_BURST];

	while (!l->quit) {
		uint16_t n = rte_eth_rx_burst(l->port_id, l->queue, pkts,
					      LB_BURST);
		uint16_t i, sent;

		for (i = 0; i < n; i++) {
			struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i],
				struct rte_ether_hdr *);
			struct rte_ether_addr t = eh->dst_addr;

			eh->dst_addr = eh->src_addr;
			eh->src_addr = t;
		}
		sent = rte_eth_tx_burst(l->port_id, l->queue, pkts, n);
		l->base_tx += sent;
		if (unlikely(sent < n))
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return 0;
}

/*
 * The generator alone: the same RX burst (the generator writes every
 * packet in its callback), then the mbufs go back to the pool in bulk;
 * no TX. rte_eth_rx_burst calls the callback through a pointer and
 * rte_pktmbuf_free_bulk is a library function: neither can be dropped
 * by the compiler, and the callback counts the packets as in every other
 * scenario.
 */
static int
gen_only_loop(struct lane *l)
{
	struct rte_mbuf *pkts[LB_BURST];

	while (!l->quit) {
		uint16_t n = rte_eth_rx_burst(l->port_id, l->queue, pkts,
					      LB_BURST);

		if (n > 0) {
			rte_pktmbuf_free_bulk(pkts, n);
			l->base_tx += n;
		}
	}
	return 0;
}

static int
lane_loop(void *arg)
{
	struct lane *l = arg;

	switch (l->mode) {
	case LANE_MACSWAP:
		return macswap_loop(l);
	case LANE_GEN_ONLY:
		return gen_only_loop(l);
	case LANE_WORKER:
	default:
		return lb_dp_main_loop(l->w);
	}
}

/* What one lane does in a run. */
struct plan {
	const uint32_t *seq;
	uint64_t len;
	const struct target *tgt;
	uint32_t tgt_mask;
	uint64_t warm;
	uint64_t packets;
	bool drain;            /* take flows for sync off the worker's ring */
	const uint32_t *watch; /* follow this count while timed */
};

static void
lane_arm(struct lane *l, const struct plan *p, struct start_line *sl,
	 volatile bool *stop)
{
	struct gen *g = &l->g;

	g->seq = p->seq;
	g->len = p->len;
	g->k = 0;
	g->tgt = p->tgt;
	g->tgt_mask = p->tgt_mask;
	g->rx = 0;
	g->warm = p->warm;
	g->target = p->packets;
	g->rx0 = g->rx1 = g->t0 = g->t1 = g->cpu0 = g->cpu1 = 0;
	g->start = sl;
	g->stop = stop;
	g->quit = &l->quit;
	g->drain = p->drain ? l->sync_out : NULL;
	g->drained = 0;
	g->watch = p->watch;
	g->wmin = UINT32_MAX;
	g->wmax = 0;
	l->quit = false;
	l->base_tx = 0;
	__atomic_store_n(&g->phase, GEN_START, __ATOMIC_RELEASE);
}

/* Run lanes 0..n-1 at once (lane 0 on this lcore), each until it has
 * timed its packets or, together, until one has; r[i] gets lane i's
 * figures. */
static int
run_lanes(struct bench *b, unsigned int n, const struct plan *p,
	  struct result *r, bool together)
{
	struct start_line sl = { .ready = 0, .n = n };
	volatile bool stop[N_LANES] = { false };
	uint64_t tx0[N_LANES] = { 0 };
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		struct lane *l = &b->lane[i];

		lane_arm(l, &p[i], &sl, &stop[together ? 0 : i]);
		if (l->mode == LANE_WORKER)
			tx0[i] = l->w->stats[LB_STAT_TX];
	}
	for (i = 1; i < n; i++) {
		rc = rte_eal_remote_launch(lane_loop, &b->lane[i],
					   b->lane[i].lcore);
		if (rc != 0) {
			fprintf(stderr, "dsrlb-bench: cannot launch lcore %u: %s\n",
				b->lane[i].lcore, rte_strerror(-rc));
			return rc;
		}
	}
	lane_loop(&b->lane[0]);
	for (i = 1; i < n; i++)
		rte_eal_wait_lcore(b->lane[i].lcore);
	for (i = 0; i < n; i++) {
		struct lane *l = &b->lane[i];
		struct gen *g = &l->g;

		__atomic_store_n(&g->phase, GEN_OFF, __ATOMIC_RELEASE);
		r[i].packets = g->rx1 - g->rx0;
		r[i].cycles = g->t1 - g->t0;
		r[i].received = g->rx;
		r[i].forwarded = l->mode != LANE_WORKER ? l->base_tx :
			l->w->stats[LB_STAT_TX] - tx0[i];
		r[i].cpp = r[i].packets > 0 ?
			(double)r[i].cycles / r[i].packets : 0;
		r[i].mpps = r[i].cycles > 0 ? r[i].packets /
			((double)r[i].cycles / rte_get_tsc_hz()) / 1e6 : 0;
		r[i].cpu_share = r[i].cycles > 0 ? (g->cpu1 - g->cpu0) /
			((double)r[i].cycles / rte_get_tsc_hz() * 1e9) : 0;
		if (l->sync_out != NULL)   /* what the last burst staged */
			g->drained += drain_sync(l->sync_out);
	}
	return 0;
}

/* Give a lane's worker a configuration and a flow table (and with sync,
 * the rings a worker of a balancer with flow sync has). */
static int
lane_attach6(struct bench *b, struct lane *l, struct lb_core *core,
	     struct lb_flow_table *ft, struct lb_flow_table *ft6, bool sync)
{
	struct lb_dp_rxq rxq = { .port = 0, .queue = l->queue };
	struct lb_dp_params dp = {
		.snap = lb_core_snapshot_ptr(core),
		.qsbr = b->qsbr,
		.qsbr_id = l->qsbr_id,
		.flows = ft,
		.flows6 = ft6,
		.to_master_prio = l->to_master_prio,
		.to_master = l->to_master,
		.from_master = l->from_master,
		.sync_out = sync ? l->sync_out : NULL,
		.sync_in = sync ? l->sync_in : NULL,
		.rxq = &rxq,
		.n_rxq = 1,
		.txq = l->queue,
		.port_ids = &b->port_id,
		.n_ports = 1,
		.idle = LB_DP_IDLE_POLL,   /* the generator never lets it idle */
		.quit = &l->quit,
	};
	int rc = lb_dp_worker_init(l->w, &dp);

	if (rc != 0)
		fprintf(stderr, "dsrlb-bench: worker init: %s\n", strerror(-rc));
	return rc;
}

static int
lane_attach(struct bench *b, struct lane *l, struct lb_core *core,
	    struct lb_flow_table *ft, bool sync)
{
	return lane_attach6(b, l, core, ft, NULL, sync);
}

static struct lb_flow_table *
table_new_family(struct bench *b, uint32_t capacity,
		 enum lb_flow_family family)
{
	char name[32];
	struct lb_flow_table *t;

	snprintf(name, sizeof(name), "bench_flows_%u", b->n_tables++);
	t = lb_flow_create_family(name, capacity, family, b->socket, b->qsbr);
	if (t == NULL)
		fprintf(b->out, "  flow table of %u flows not created: %s\n", capacity,
			rte_strerror(rte_errno));
	return t;
}

static struct lb_flow_table *
table_new(struct bench *b, uint32_t capacity)
{
	return table_new_family(b, capacity, LB_FLOW_IPV4);
}

/* Establish flows base[i]..base[i]+n[i]-1 in the tables of lanes
 * 0..k-1, through the data path (SYN, then ACK), lanes in parallel. */
static int
open_flows(struct bench *b, unsigned int k, const uint32_t *base,
	   const uint32_t *n, const struct target *tgt, uint32_t tgt_mask)
{
	struct plan p[N_LANES] = { 0 };
	struct result r[N_LANES] = { 0 };
	uint32_t *seq[N_LANES] = { NULL };
	uint64_t start = rte_rdtsc();
	unsigned int i;
	int rc = -ENOMEM;

	for (i = 0; i < k; i++) {
		seq[i] = seq_alloc(2 * (uint64_t)n[i]);
		if (seq[i] == NULL)
			goto out;
		seq_open(seq[i], base[i], n[i]);
		p[i] = (struct plan){ .seq = seq[i], .len = 2 * (uint64_t)n[i],
			.tgt = tgt, .tgt_mask = tgt_mask, .warm = 0,
			.packets = 2 * (uint64_t)n[i] };
	}
	rc = run_lanes(b, k, p, r, false);
	for (i = 0; rc == 0 && i < k; i++)
		fprintf(b->out, "  opened %u flows (SYN, ACK) in %.2f s: %u in the table\n",
			n[i], (double)(rte_rdtsc() - start) / rte_get_tsc_hz(),
			tgt->v6 ? b->lane[i].w->flows6->count :
			b->lane[i].w->flows->count);
out:
	for (i = 0; i < k; i++)
		free(seq[i]);
	return rc;
}

/* ---- results ---- */

/* --only: a list of scenario ids or prefixes. With group, also true if
 * a requested id lies in the group (the group's set-up must run). */
static bool
selected(const struct bench *b, const char *id, bool group)
{
	const char *s = b->o.only;
	size_t len = strlen(id);

	if (s == NULL || strncmp(id, "io_baseline", 11) == 0 ||
	    strcmp(id, "generator") == 0)
		return true;
	while (*s != '\0') {
		const char *e = strchr(s, ',');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);

		if (n > 0 && strncmp(s, id, RTE_MIN(n, len)) == 0 &&
		    (n <= len || group))
			return true;
		s += n;
		if (*s == ',')
			s++;
	}
	return false;
}

static bool
wanted(const struct bench *b, const char *id)
{
	return selected(b, id, false);
}

static bool
wanted_group(const struct bench *b, const char *prefix)
{
	return selected(b, prefix, true);
}

static struct result *
result_add(struct bench *b, const char *id, uint32_t flows,
	   const char *fmt, ...) __rte_format_printf(4, 5);

static struct result *
result_add(struct bench *b, const char *id, uint32_t flows,
	   const char *fmt, ...)
{
	struct result *r;
	va_list ap;

	if (b->n_res == MAX_RESULTS)
		rte_panic("dsrlb-bench: too many results\n");
	r = &b->res[b->n_res++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->flows = flows;
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	return r;
}

static void
note(struct result *r, const char *fmt, ...) __rte_format_printf(2, 3);

static void
note(struct result *r, const char *fmt, ...)
{
	size_t len = strlen(r->note);
	va_list ap;

	if (len > 0 && len + 2 < sizeof(r->note)) {
		strcat(r->note, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + len, sizeof(r->note) - len, fmt, ap);
	va_end(ap);
}

/* The measurement of a run made into another result. */
static void
result_take(struct result *dst, const struct result *src)
{
	dst->packets = src->packets;
	dst->cycles = src->cycles;
	dst->received = src->received;
	dst->forwarded = src->forwarded;
	dst->cpp = src->cpp;
	dst->mpps = src->mpps;
	dst->cpu_share = src->cpu_share;
}

static void
print_header(const struct bench *b)
{
	fprintf(b->out, "\n%-46s %7s %10s %10s %7s %10s %6s %4s\n", "scenario",
		"Mpps", "cycles/pkt", "x baseline", "x I/O", "packets", "fwd",
		"cpu");
}

/* A "x I/O" cell: "-" where there is no such ratio. */
static const char *
io_str(const struct result *r, double per, char *buf, size_t size)
{
	if (r->has_io)
		snprintf(buf, size, "%.2f", r->ratio_io * per);
	else
		snprintf(buf, size, "-");
	return buf;
}

/* Print a result as it comes: the ratios need the baseline and the
 * generator, which run first. A run that forwarded nothing (for the
 * generator: freed nothing) fails the benchmark. */
static void
report(struct bench *b, struct result *r)
{
	char io[16];

	if (r->skipped) {
		fprintf(b->out, "%-46s skipped: %s\n", r->name, r->note);
		return;
	}
	r->ratio = b->base_cpp > 0 ? r->cpp / b->base_cpp : 0;
	r->has_io = !r->is_gen && b->io_cpp > 0;
	r->ratio_io = r->has_io ? (r->cpp - b->gen_cpp) / b->io_cpp : 0;
	fprintf(b->out, "%-46s %7.2f %10.1f %10.2f %7s %10" PRIu64 " %5.1f%% %3.0f%%%s\n",
		r->name, r->mpps, r->cpp, r->ratio,
		io_str(r, 1, io, sizeof(io)), r->packets,
		r->received > 0 ? 100.0 * r->forwarded / r->received : 0,
		100 * r->cpu_share, r->cpu_share < 0.97 ? " (shared CPU)" : "");
	if (r->per_flow > 0)
		fprintf(b->out, "%-46s %7.2f M flows/s, %.0f cycles/flow (%.2f x baseline, %s x I/O)\n",
			"", r->mpps / r->per_flow, r->cpp * r->per_flow,
			r->ratio * r->per_flow,
			io_str(r, r->per_flow, io, sizeof(io)));
	if (r->note[0] != '\0')
		fprintf(b->out, "%-46s %s\n", "", r->note);
	fflush(b->out);
	if (r->forwarded == 0 || r->packets == 0) {
		fprintf(stderr, "dsrlb-bench: %s: nothing forwarded\n", r->name);
		b->failed = 1;
	}
}

static struct result *
skip(struct bench *b, const char *id, const char *name, const char *why)
{
	struct result *r = result_add(b, id, 0, "%s", name);

	r->skipped = true;
	snprintf(r->note, sizeof(r->note), "%s", why);
	report(b, r);
	return r;
}

/* "1.05M", "65.5K": table sizes in names. */
static const char *
count_str(uint32_t n, char *buf, size_t size)
{
	if (n >= 1000000)
		snprintf(buf, size, "%.3gM", n / 1e6);
	else if (n >= 1000)
		snprintf(buf, size, "%.3gK", n / 1e3);
	else
		snprintf(buf, size, "%u", n);
	return buf;
}

static uint64_t
warm_of(const struct bench *b)
{
	return b->o.packets / 16;
}

/* One lane, one sequence, one result. */
static int
run_one(struct bench *b, struct result *r, uint32_t *seq, uint64_t len,
	const struct target *tgt, uint32_t tgt_mask, uint64_t warm,
	uint64_t packets, bool drain)
{
	struct plan p = { .seq = seq, .len = len, .tgt = tgt,
			  .tgt_mask = tgt_mask, .warm = warm,
			  .packets = packets, .drain = drain };

	return run_lanes(b, 1, &p, r, false);
}

/* ---- scenarios ---- */

/*
 * The I/O baseline, then the generator alone on the same sequence (the
 * same packets, warm-up and count): the baseline less the generator is
 * what the I/O costs beyond making the packets, the second ratio of every
 * scenario. The baseline runs again at the end (again); its ratio to the
 * first says how much the machine drifted during the run.
 */
static int
scn_baseline(struct bench *b, bool again)
{
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	uint32_t *seq = seq_alloc(len);
	struct result *r, *g = NULL;
	int rc;

	if (seq == NULL)
		return -ENOMEM;
	seq_uniform(seq, len, 0, b->o.flows);
	r = again ? result_add(b, "io_baseline_end", 0,
			       "I/O baseline again, at the end") :
		result_add(b, "io_baseline", 0,
			   "I/O baseline (RX, MAC swap, TX)");
	b->lane[0].mode = LANE_MACSWAP;
	rc = run_one(b, r, seq, len, &b->t_tcp, 0, warm, b->o.packets, false);
	if (rc == 0 && !again) {
		g = result_add(b, "generator", 0,
			       "generator alone (RX, free, no TX)");
		g->is_gen = true;
		b->lane[0].mode = LANE_GEN_ONLY;
		rc = run_one(b, g, seq, len, &b->t_tcp, 0, warm, b->o.packets,
			     false);
	}
	b->lane[0].mode = LANE_WORKER;
	free(seq);
	if (rc != 0)
		return rc;
	if (!again) {
		b->base_cpp = r->cpp;
		b->gen_cpp = g->cpp;
		b->io_cpp = r->cpp - g->cpp;
		if (b->io_cpp <= 0)
			note(r, "the generator alone cost as much as the baseline: no ratio to the I/O without it");
		else
			note(r, "without the generator (baseline - generator): %.1f cycles/packet",
			     b->io_cpp);
		note(g, "mbufs freed in bulk (rte_pktmbuf_free_bulk); fwd: freed");
	}
	report(b, r);
	if (g != NULL)
		report(b, g);
	return 0;
}

/* Established flows in random order, uniform and Zipf. */
static int
est_runs(struct bench *b, const char *id, const char *label, uint32_t n,
	 struct lb_flow_table *ft)
{
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	uint32_t *seq = seq_alloc(len);
	char rid[40];
	struct result *r;
	int rc = 0;

	if (seq == NULL)
		return -ENOMEM;
	snprintf(rid, sizeof(rid), "%s_uniform", id);
	if (wanted(b, rid)) {
		seq_uniform(seq, len, 0, n);
		r = result_add(b, rid, ft->count,
			       "established TCP, %s flows, uniform", label);
		rc = run_one(b, r, seq, len, &b->t_tcp, 0, warm, b->o.packets,
			     false);
		if (rc != 0)
			goto out;
		report(b, r);
	}
	snprintf(rid, sizeof(rid), "%s_zipf", id);
	if (wanted(b, rid)) {
		seq_zipf(seq, len, 0, n, ZIPF_S);
		r = result_add(b, rid, ft->count,
			       "established TCP, %s flows, Zipf s=%.1f", label,
			       ZIPF_S);
		rc = run_one(b, r, seq, len, &b->t_tcp, 0, warm, b->o.packets,
			     false);
		if (rc != 0)
			goto out;
		report(b, r);
	}
out:
	free(seq);
	return rc;
}

/* Established flows mixed with SYNs from random sources: a table with
 * room for a quarter more flows fills with their provisional entries,
 * then evicts the oldest. */
static int
syn_mix_runs(struct bench *b, const char *label, uint32_t n,
	     struct lb_flow_table *ft)
{
	static const unsigned int pct[] = { 10, 50 };
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	uint32_t *seq = seq_alloc(len);
	uint64_t flood = 0;
	unsigned int i;
	int rc = 0;

	if (seq == NULL)
		return -ENOMEM;
	for (i = 0; i < RTE_DIM(pct); i++) {
		uint64_t *st = b->lane[0].w->stats;
		uint64_t ev = st[LB_STAT_FLOW_EVICTED],
			full = st[LB_STAT_FLOW_TABLE_FULL],
			nw = st[LB_STAT_FLOW_NEW];
		char rid[40];
		struct result *r;

		snprintf(rid, sizeof(rid), "syn_mix_%u", pct[i]);
		if (!wanted(b, rid))
			continue;
		seq_syn_mix(seq, len, 0, n, pct[i], &flood);
		r = result_add(b, rid, ft->count,
			       "established, %s flows, +%u%% new-source SYNs",
			       label, pct[i]);
		rc = run_one(b, r, seq, len, &b->t_tcp, 0, warm, b->o.packets,
			     false);
		if (rc != 0)
			break;
		note(r, "%" PRIu64 " new flows, %" PRIu64 " evicted, %" PRIu64 " refused; table %u of %u",
		     st[LB_STAT_FLOW_NEW] - nw, st[LB_STAT_FLOW_EVICTED] - ev,
		     st[LB_STAT_FLOW_TABLE_FULL] - full, ft->count,
		     ft->capacity);
		report(b, r);
	}
	free(seq);
	return rc;
}

static int
udp_run(struct bench *b, uint32_t n)
{
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	uint32_t *seq;
	struct result *r;
	int rc;

	if (!wanted(b, "udp_stateless"))
		return 0;
	seq = seq_alloc(len);
	if (seq == NULL)
		return -ENOMEM;
	seq_uniform(seq, len, 0, n);
	r = result_add(b, "udp_stateless", 0,
		       "stateless UDP (consistent hash)");
	rc = run_one(b, r, seq, len, &b->t_udp, 0, warm, b->o.packets, false);
	free(seq);
	if (rc == 0) {
		note(r, "from %u clients, no flow entry", n);
		report(b, r);
	}
	return rc;
}

/* The minimal configuration with a table of n flows (a quarter more
 * room); with mix, the SYN-flood mixes and stateless UDP too. */
static int
scn_established(struct bench *b, const char *id, uint32_t n, bool mix)
{
	static const char *const mixed[] = {
		"syn_mix_10", "syn_mix_50", "udp_stateless",
	};
	struct lb_flow_table *ft;
	uint32_t base = 0;
	char label[16], name[80];
	unsigned int i;
	bool any;
	int rc;

	snprintf(name, sizeof(name), "%s_uniform", id);
	any = wanted(b, name);
	snprintf(name, sizeof(name), "%s_zipf", id);
	any |= wanted(b, name);
	for (i = 0; mix && i < RTE_DIM(mixed); i++)
		any |= wanted(b, mixed[i]);
	if (!any)
		return 0;
	count_str(n, label, sizeof(label));
	fprintf(b->out, "  table of %s flows (%u slots)\n", label, n + n / 4);
	ft = table_new(b, n + n / 4);
	if (ft == NULL) {
		snprintf(name, sizeof(name), "established TCP, %s flows", label);
		skip(b, id, name, "no memory for the flow table (hugepages?)");
		return 0;
	}
	rc = lane_attach(b, &b->lane[0], b->core, ft, false);
	if (rc == 0)
		rc = open_flows(b, 1, &base, &n, &b->t_tcp, 0);
	if (rc == 0)
		rc = est_runs(b, id, label, n, ft);
	if (rc == 0 && mix)
		rc = syn_mix_runs(b, label, n, ft);
	if (rc == 0 && mix)
		rc = udp_run(b, n);
	lb_flow_free(ft);
	return rc;
}

/* IPv6 beside IPv4: established TCP in the IPv6 table (uniform order,
 * as established_uniform) and stateless UDP, on the same services on
 * an IPv6 VIP; the packets are 74 bytes (64 for IPv4). */
static int
scn_ipv6(struct bench *b)
{
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	uint32_t n = b->o.flows, base = 0;
	struct lb_flow_table *ft = NULL, *ft6 = NULL;
	uint32_t *seq = NULL;
	struct result *r;
	char label[16];
	int rc = 0;

	if (!wanted(b, "established6_uniform") && !wanted(b, "udp_stateless6"))
		return 0;
	count_str(n, label, sizeof(label));
	ft = table_new(b, 1024);
	ft6 = table_new_family(b, n + n / 4, LB_FLOW_IPV6);
	seq = seq_alloc(len);
	if (ft == NULL || ft6 == NULL || seq == NULL) {
		skip(b, "established6_uniform", "established TCP over IPv6",
		     "no memory for the flow tables (hugepages?)");
		goto out;
	}
	fprintf(b->out, "  IPv6 table of %s flows (%u slots)\n", label,
		n + n / 4);
	rc = lane_attach6(b, &b->lane[0], b->core, ft, ft6, false);
	if (rc == 0 && wanted(b, "established6_uniform")) {
		rc = open_flows(b, 1, &base, &n, &b->t_tcp6, 0);
		if (rc == 0) {
			seq_uniform(seq, len, 0, n);
			r = result_add(b, "established6_uniform", ft6->count,
				       "established TCP over IPv6, %s flows, uniform",
				       label);
			rc = run_one(b, r, seq, len, &b->t_tcp6, 0, warm,
				     b->o.packets, false);
			if (rc == 0)
				report(b, r);
		}
	}
	if (rc == 0 && wanted(b, "udp_stateless6")) {
		seq_uniform(seq, len, 0, n);
		r = result_add(b, "udp_stateless6", 0,
			       "stateless UDP over IPv6 (consistent hash)");
		rc = run_one(b, r, seq, len, &b->t_udp6, 0, warm,
			     b->o.packets, false);
		if (rc == 0) {
			note(r, "from %u clients, no flow entry", n);
			report(b, r);
		}
	}
out:
	free(seq);
	lb_flow_free(ft6);
	lb_flow_free(ft);
	return rc;
}

/* A table full of confirmed flows: every SYN of a new source is refused
 * an entry and balanced without state. */
static int
scn_table_full(struct bench *b)
{
	uint32_t n = b->o.flows, base = 0;
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets), i;
	uint64_t *st = b->lane[0].w->stats, full;
	struct lb_flow_table *ft;
	uint32_t *seq;
	struct result *r;
	char label[16];
	int rc;

	if (!wanted(b, "table_full"))
		return 0;
	count_str(n, label, sizeof(label));
	ft = table_new(b, n);
	if (ft == NULL) {
		skip(b, "table_full", "table full", "no memory for the flow table");
		return 0;
	}
	seq = seq_alloc(len);
	rc = seq == NULL ? -ENOMEM : lane_attach(b, &b->lane[0], b->core, ft,
						 false);
	if (rc == 0)
		rc = open_flows(b, 1, &base, &n, &b->t_tcp, 0);
	if (rc != 0)
		goto out;
	for (i = 0; i < len; i++)
		seq[i] = elem(K_SYN, flood_id(i));
	full = st[LB_STAT_FLOW_TABLE_FULL];
	r = result_add(b, "table_full", ft->count,
		       "table full (%s confirmed), new-source SYNs", label);
	rc = run_one(b, r, seq, len, &b->t_tcp, 0, warm, b->o.packets, false);
	if (rc == 0) {
		note(r, "%" PRIu64 " SYNs refused an entry (stateless fallback); table %u of %u",
		     st[LB_STAT_FLOW_TABLE_FULL] - full, ft->count,
		     ft->capacity);
		report(b, r);
	}
out:
	free(seq);
	lb_flow_free(ft);
	return rc;
}

/* Publish a change; no worker runs between runs, so the snapshot it
 * replaces can go at once. */
static int
commit(struct lb_core *core)
{
	int rc = lb_core_commit(core);

	lb_core_reclaim(core);
	return rc < 0 ? rc : 0;
}

/* Set the time a closed flow stays (seconds) and publish it. */
static int
set_fin_timeout(struct lb_core *core, uint32_t s)
{
	struct lb_conf_flows f = *lb_core_flows(core);

	f.fin_timeout = s;
	lb_core_flows_set(core, &f);
	return commit(core);
}

/*
 * New connections in steady state: each flow a SYN (insert), an ACK,
 * and a RST that closes it; the sweeper deletes it. Half the table's
 * capacity is open connections, the closed ones wait for the sweeper
 * (16 positions per busy loop iteration): the table stays 83-84%
 * full. fin_timeout is 0 here (the file's minimum is 1 s: at millions of
 * connections a second the table would hold millions of closed flows
 * and need seconds to settle), so a closed flow expires at once and goes
 * when the sweeper passes: the deletion the product does, sooner. The
 * sequence does not wrap (ids only grow).
 */
static int
scn_steady(struct bench *b)
{
	uint32_t c = b->o.flows, w = c / 2, base = 0, n_open = w + 64;
	uint64_t warm = RTE_MAX(warm_of(b), 4 * (uint64_t)c);
	uint64_t steps = (warm + b->o.packets + 4 * LB_BURST) / 3 + 1;
	uint64_t *st, len = 3 * steps, nw, ev, full, exp0;
	struct lb_flow_table *ft;
	struct plan p;
	uint32_t *seq;
	struct result *r;
	char label[16];
	int rc;

	if (!wanted(b, "new_flows_steady"))
		return 0;
	if (n_open + steps >= FLOOD_BASE) {
		skip(b, "new_flows_steady", "new flows, steady state",
		     "too many packets: flow ids would run out");
		return 0;
	}
	count_str(c, label, sizeof(label));
	ft = table_new(b, c);
	if (ft == NULL) {
		skip(b, "new_flows_steady", "new flows, steady state",
		     "no memory for the flow table");
		return 0;
	}
	seq = seq_alloc(len);
	rc = seq == NULL ? -ENOMEM : seq_steady(seq, steps, w);
	if (rc == 0)
		rc = set_fin_timeout(b->core, 0);
	if (rc != 0)
		goto out;
	rc = lane_attach(b, &b->lane[0], b->core, ft, false);
	if (rc == 0)
		rc = open_flows(b, 1, &base, &n_open, &b->t_tcp, 0);
	if (rc != 0)
		goto restore;
	st = b->lane[0].w->stats;
	nw = st[LB_STAT_FLOW_NEW];
	ev = st[LB_STAT_FLOW_EVICTED];
	full = st[LB_STAT_FLOW_TABLE_FULL];
	exp0 = st[LB_STAT_FLOW_EXPIRED];
	r = result_add(b, "new_flows_steady", ft->count,
		       "new flows, steady state (%s table)", label);
	r->per_flow = 3;
	/* the warm-up runs the sweeper round the table twice */
	p = (struct plan){ .seq = seq, .len = len, .tgt = &b->t_tcp,
			   .warm = warm, .packets = b->o.packets,
			   .watch = &ft->count };
	rc = run_lanes(b, 1, &p, r, false);
	if (rc == 0) {
		struct gen *g = &b->lane[0].g;

		note(r, "SYN+ACK+RST per flow; %u open; table %.0f-%.0f%% full while timed; %" PRIu64 " new, %" PRIu64 " expired, %" PRIu64 " evicted, %" PRIu64 " refused",
		     w, 100.0 * g->wmin / ft->capacity,
		     100.0 * g->wmax / ft->capacity,
		     st[LB_STAT_FLOW_NEW] - nw, st[LB_STAT_FLOW_EXPIRED] - exp0,
		     st[LB_STAT_FLOW_EVICTED] - ev,
		     st[LB_STAT_FLOW_TABLE_FULL] - full);
		report(b, r);
	}
restore:
	if (set_fin_timeout(b->core, 10) != 0 && rc == 0)
		rc = -EINVAL;
out:
	free(seq);
	lb_flow_free(ft);
	return rc;
}

/* Established flows over the realistic configuration: 64 services on
 * 16 VIPs, each flow to one of 1024 (VIP, port) pairs. */
static int
scn_realistic(struct bench *b)
{
	uint32_t n = b->o.flows, base = 0;
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	struct lb_flow_table *ft;
	uint32_t *seq;
	struct result *r;
	char label[16];
	int rc;

	if (!wanted(b, "realistic"))
		return 0;
	count_str(n, label, sizeof(label));
	ft = table_new(b, n + n / 4);
	if (ft == NULL) {
		skip(b, "realistic", "realistic configuration",
		     "no memory for the flow table");
		return 0;
	}
	seq = seq_alloc(len);
	rc = seq == NULL ? -ENOMEM : lane_attach(b, &b->lane[0], b->real, ft,
						 false);
	if (rc == 0)
		rc = open_flows(b, 1, &base, &n, b->t_real, REAL_TARGETS - 1);
	if (rc != 0)
		goto out;
	seq_uniform(seq, len, 0, n);
	r = result_add(b, "realistic", ft->count,
		       "realistic config, %s flows, uniform", label);
	rc = run_one(b, r, seq, len, b->t_real, REAL_TARGETS - 1, warm,
		     b->o.packets, false);
	if (rc == 0) {
		note(r, "%u VIPs, %u services (TCP and UDP, port ranges; maglev, wrr, sh, wlc; 1 in 8 stateless), %u members; %u flows in the table",
		     REAL_VIPS, REAL_SERVICES,
		     REAL_SERVICES * REAL_MEMBERS_PER, ft->count);
		report(b, r);
	}
out:
	free(seq);
	lb_flow_free(ft);
	return rc;
}

/*
 * Flow sync's cost on the worker: new connections to a wrr service (a
 * SYN, then the ACK that confirms it and stages it for sync), without
 * and with flow sync; the ring is drained as the master would, in the
 * RX callback, inside the timing. Per packet, two per connection.
 */
static int
scn_wrr(struct bench *b)
{
	static const char *const ids[2] = { "wrr_no_sync", "wrr_sync" };
	uint32_t n = b->o.conns;
	uint64_t len = 2 * (uint64_t)n;
	struct lb_conf_ha ha = { .sync = false };
	uint32_t *seq;
	unsigned int i;
	int rc = 0;

	if (!wanted_group(b, "wrr"))
		return 0;
	seq = seq_alloc(len);
	if (seq == NULL)
		return -ENOMEM;
	seq_open(seq, 0, n);
	for (i = 0; i < 2 && rc == 0; i++) {
		bool sync = i == 1;
		uint64_t *st, q, full;
		struct lb_flow_table *ft;
		struct result *r;

		if (!wanted(b, ids[i]))
			continue;
		ft = table_new(b, n + n / 4);
		if (ft == NULL) {
			skip(b, ids[i], ids[i], "no memory for the flow table");
			continue;
		}
		ha.sync = sync;
		lb_core_set_ha(b->core, &ha);
		rc = commit(b->core);
		if (rc == 0)
			rc = lane_attach(b, &b->lane[0], b->core, ft, sync);
		if (rc != 0) {
			lb_flow_free(ft);
			break;
		}
		st = b->lane[0].w->stats;
		q = st[LB_STAT_SYNC_QUEUED];
		full = st[LB_STAT_SYNC_RING_FULL];
		r = result_add(b, ids[i], 0, "wrr connections (SYN+ACK), %s",
			       sync ? "flow sync" : "no sync");
		rc = run_one(b, r, seq, len, &b->t_wrr, 0, 0, len, sync);
		if (rc == 0) {
			note(r, "%u connections", n);
			if (sync) {
				note(r, "%" PRIu64 " flows staged for sync, %" PRIu64 " taken by the master, %" PRIu64 " ring full",
				     st[LB_STAT_SYNC_QUEUED] - q,
				     b->lane[0].g.drained,
				     st[LB_STAT_SYNC_RING_FULL] - full);
				if (st[LB_STAT_SYNC_QUEUED] == q) {
					fprintf(stderr, "dsrlb-bench: no flow was staged for sync\n");
					b->failed = 1;
				}
			}
			report(b, r);
		}
		lb_flow_free(ft);
	}
	ha.sync = false;
	lb_core_set_ha(b->core, &ha);
	if (lb_core_commit(b->core) < 0 && rc == 0)
		rc = -EINVAL;
	lb_core_reclaim(b->core);
	free(seq);
	return rc;
}

/*
 * Two workers on two lcores, each polling its own queue pair with its
 * own flow table (half the flows each, as RSS would split them), over
 * the same snapshot and QSBR variable, each other's peers. Worker 0
 * runs alone first, then both together: the scaling is the sum of their
 * Mpps over worker 0's alone.
 */
static int
scn_two_workers(struct bench *b)
{
	uint32_t half = b->o.flows / 2, base[N_LANES] = { 0, half },
		n[N_LANES] = { half, half };
	uint64_t warm = warm_of(b), len = seq_len(warm, b->o.packets);
	struct lb_flow_table *ft[N_LANES] = { NULL };
	uint32_t *seq[N_LANES] = { NULL };
	struct plan p[N_LANES];
	struct result rr[N_LANES] = { 0 }, *r;
	char label[16];
	unsigned int i;
	int rc = 0;

	if (!wanted_group(b, "two_workers"))
		return 0;
	if (b->n_lanes < 2) {
		skip(b, "two_workers", "two workers",
		     "needs a second lcore (-l 0-1)");
		return 0;
	}
	count_str(half, label, sizeof(label));
	for (i = 0; i < N_LANES; i++) {
		ft[i] = table_new(b, half + half / 4);
		seq[i] = seq_alloc(len);
		if (ft[i] == NULL || seq[i] == NULL) {
			skip(b, "two_workers", "two workers",
			     "no memory for the flow tables");
			goto out;
		}
		rc = lane_attach(b, &b->lane[i], b->core, ft[i], false);
		if (rc != 0)
			goto out;
		b->peers[i] = b->lane[i].w;
	}
	for (i = 0; i < N_LANES; i++)
		lb_dp_set_peers(b->lane[i].w, b->peers, N_LANES);
	rc = open_flows(b, N_LANES, base, n, &b->t_tcp, 0);
	if (rc != 0)
		goto out;
	for (i = 0; i < N_LANES; i++) {
		seq_uniform(seq[i], len, base[i], n[i]);
		p[i] = (struct plan){ .seq = seq[i], .len = len,
			.tgt = &b->t_tcp, .tgt_mask = 0, .warm = warm,
			.packets = b->o.packets };
	}
	r = result_add(b, "two_workers_alone", ft[0]->count,
		       "1 of 2 workers alone, %s flows, uniform", label);
	rc = run_lanes(b, 1, p, r, false);
	if (rc != 0)
		goto out;
	report(b, r);
	rc = run_lanes(b, N_LANES, p, rr, true);
	if (rc != 0)
		goto out;
	for (i = 0; i < N_LANES; i++) {
		struct result *ri = result_add(b, i == 0 ? "two_workers_w0" :
					       "two_workers_w1", ft[i]->count,
					       "2 workers: worker %u (lcore %u), %s flows",
					       i, b->lane[i].lcore, label);

		result_take(ri, &rr[i]);
		if (i == N_LANES - 1) {
			b->scaling = (rr[0].mpps + rr[1].mpps) / r->mpps;
			note(ri, "together %.2f Mpps: %.2f x one worker alone (%ld CPUs on this machine)",
			     rr[0].mpps + rr[1].mpps, b->scaling,
			     sysconf(_SC_NPROCESSORS_ONLN));
		}
		report(b, ri);
	}
out:
	for (i = 0; i < N_LANES; i++) {
		free(seq[i]);
		lb_flow_free(ft[i]);
	}
	return rc;
}

/* Heap bytes one flow table of n flows of a family takes, in *bytes. */
static int
memtest(struct bench *b, uint32_t n, enum lb_flow_family family,
	double *bytes)
{
	const char *what = family == LB_FLOW_IPV6 ? "IPv6 " : "";
	struct rte_malloc_socket_stats before, after;
	struct lb_flow_table *t;

	rte_malloc_get_socket_stats(b->socket, &before);
	t = lb_flow_create_family("bench_memtest", n, family, b->socket,
				  NULL);
	if (t == NULL) {
		fprintf(b->out, "%sflow table of %u flows: %s\n", what, n,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rte_malloc_get_socket_stats(b->socket, &after);
	*bytes = (double)(after.heap_allocsz_bytes -
			  before.heap_allocsz_bytes);
	fprintf(b->out, "\n%sflow table of %u flows: %.1f MiB (%.1f bytes/flow)\n",
		what, n, *bytes / 1048576.0, *bytes / n);
	lb_flow_free(t);
	return 0;
}

/* ---- configurations ---- */

/* One VIP, four members, Maglev on TCP 110, stateless UDP on 5060, wrr
 * on TCP 143. */
static struct lb_core *
core_minimal(struct bench *b)
{
	struct lb_core_params cp = { .qsbr = b->qsbr, .socket_id = b->socket };
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
	uint32_t vip = rte_cpu_to_be_32(0xc6336464);   /* 198.51.100.100 */
	struct lb_ip vips[2] = { lb_ip_from4(vip),
		{ .b = { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, [14] = 0x01 } } };
	struct lb_core *core;
	unsigned int i;

	port.addr = rte_cpu_to_be_32(0xc6336402);      /* 198.51.100.2 */
	core = lb_core_create(&cp);
	if (core == NULL)
		return NULL;
	if (lb_core_port_add(core, &port, b->port_id, port_mac) < 0 ||
	    lb_core_vips_set(core, vips, 2) != 0)   /* 2001:db8:100::100 */
		goto fail;
	for (i = 0; i < 4; i++) {
		struct lb_conf_member m = { .weight = 100, .has_mac = true,
			.mac = { 0x02, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = lb_ip_from4(rte_cpu_to_be_32(0xc6336400u | (11 + i)));
		if (lb_core_member_add(core, &m) < 0)
			goto fail;
	}
	for (i = 0; i < RTE_DIM(svc); i++) {
		svc[i].vip = vips[0];
		if (lb_core_service_add(core, &svc[i], NULL, 0) < 0)
			goto fail;
	}
	/* pop3 and sip again on the IPv6 VIP */
	for (i = 0; i < 2; i++) {
		snprintf(svc[i].name, sizeof(svc[i].name), "%s6",
			 i == 0 ? "pop3" : "sip");
		svc[i].vip = vips[1];
		if (lb_core_service_add(core, &svc[i], NULL, 0) < 0)
			goto fail;
	}
	if (lb_core_commit(core) != 1)
		goto fail;
	b->t_tcp = (struct target){ .dst = vip,
				    .dport = rte_cpu_to_be_16(110) };
	b->t_udp = (struct target){ .dst = vip, .dport = rte_cpu_to_be_16(5060),
				    .udp = 1 };
	b->t_wrr = (struct target){ .dst = vip,
				    .dport = rte_cpu_to_be_16(143) };
	b->t_tcp6 = (struct target){ .dport = rte_cpu_to_be_16(110),
				     .v6 = 1 };
	memcpy(b->t_tcp6.dst6, vips[1].b, 16);
	b->t_udp6 = b->t_tcp6;
	b->t_udp6.dport = rte_cpu_to_be_16(5060);
	b->t_udp6.udp = 1;
	return core;
fail:
	fprintf(stderr, "dsrlb-bench: minimal configuration refused\n");
	lb_core_free(core);
	return NULL;
}

/*
 * 16 VIPs with four services each: TCP 80-89, TCP 443, TCP 8000-8099,
 * UDP 5060-5069 (stateless on every other VIP); the TCP schedulers turn
 * through maglev, wrr, sh and wlc; each service its own 8 members, of
 * 512 on a /16. The flows' 1024 (VIP, port) pairs cover every service.
 */
static struct lb_core *
core_realistic(struct bench *b)
{
	static const struct {
		uint16_t lo, hi;
		bool udp;
	} kinds[4] = {
		{ 80, 89, false }, { 443, 443, false }, { 8000, 8099, false },
		{ 5060, 5069, true },
	};
	static const uint8_t scheds[4] = {
		LB_SCHED_MAGLEV, LB_SCHED_WRR, LB_SCHED_SH, LB_SCHED_WLC,
	};
	struct lb_core_params cp = { .qsbr = b->qsbr, .socket_id = b->socket };
	struct lb_conf_port port = { .name = "bench0", .prefix = 16 };
	struct lb_ip vips[REAL_VIPS];
	uint16_t slots[REAL_MEMBERS_PER];
	struct lb_core *core;
	unsigned int i, j;
	int rc;

	port.addr = rte_cpu_to_be_32(0x0a010002);      /* 10.1.0.2/16 */
	core = lb_core_create(&cp);
	if (core == NULL)
		return NULL;
	for (i = 0; i < REAL_VIPS; i++)                /* 198.51.100.100+ */
		vips[i] = lb_ip_from4(rte_cpu_to_be_32(0xc6336464 + i));
	qsort(vips, REAL_VIPS, sizeof(vips[0]), lb_ip_cmp);
	if (lb_core_port_add(core, &port, b->port_id, port_mac) < 0 ||
	    lb_core_vips_set(core, vips, REAL_VIPS) != 0)
		goto fail;
	for (i = 0; i < REAL_SERVICES; i++) {
		unsigned int v = i / 4, k = i % 4;
		struct lb_conf_service s = {
			.vip = lb_ip_from4(rte_cpu_to_be_32(0xc6336464 + v)),
			.proto = kinds[k].udp ? LB_IPPROTO_UDP : LB_IPPROTO_TCP,
			.port_lo = kinds[k].lo, .port_hi = kinds[k].hi,
			.sched = kinds[k].udp ? LB_SCHED_MAGLEV :
				scheds[(v + k) % 4],
			.stateless = kinds[k].udp && v % 2 == 0,
			.hash_fields = LB_HASH_F_DEFAULT,
			.table_size = LB_MAGLEV_DEFAULT_SIZE,
		};

		snprintf(s.name, sizeof(s.name), "svc%u", i);
		for (j = 0; j < REAL_MEMBERS_PER; j++) {
			unsigned int id = i * REAL_MEMBERS_PER + j;
			struct lb_conf_member m = { .weight = 100 + j * 10,
				.has_mac = true,
				.mac = { 0x02, 0, 0, 1, (uint8_t)(id >> 8),
					 (uint8_t)id } };

			snprintf(m.name, sizeof(m.name), "m%u", id);
			/* 10.1.1.0 + id, 10.1.1.0 to 10.1.2.255 */
			m.addr = lb_ip_from4(rte_cpu_to_be_32(0x0a010100 + id));
			rc = lb_core_member_add(core, &m);
			if (rc < 0)
				goto fail;
			slots[j] = (uint16_t)rc;
		}
		if (lb_core_service_add(core, &s, slots, REAL_MEMBERS_PER) < 0)
			goto fail;
	}
	if (lb_core_commit(core) != 1)
		goto fail;
	for (i = 0; i < REAL_TARGETS; i++) {
		unsigned int svc = i % REAL_SERVICES, k = svc % 4;
		unsigned int span = kinds[k].hi - kinds[k].lo + 1u;

		b->t_real[i] = (struct target){
			.dst = rte_cpu_to_be_32(0xc6336464 + svc / 4),
			.dport = rte_cpu_to_be_16((uint16_t)(kinds[k].lo +
				(i / REAL_SERVICES) % span)),
			.udp = kinds[k].udp,
		};
	}
	return core;
fail:
	fprintf(stderr, "dsrlb-bench: realistic configuration refused\n");
	lb_core_free(core);
	return NULL;
}

/* ---- set-up ---- */

/* A single-producer, single-consumer ring of a lane: of mbuf pointers
 * (esize 0, the master's rings) or of flow sync records. */
static struct rte_ring *
ring(struct bench *b, const char *prefix, unsigned int lane, size_t esize)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%s%u", prefix, lane);
	if (esize == 0)
		return rte_ring_create(name, MASTER_RING_SIZE, b->socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	return rte_ring_create_elem(name, (unsigned int)esize, SYNC_RING_SIZE,
				    b->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/* net_null with one queue pair per lane, the generator on each RX
 * queue a lane polls, and each lane's worker context and rings. */
static int
port_setup(struct bench *b)
{
	struct rte_eth_conf conf = { 0 };
	unsigned int i, lcore;
	uint16_t q;
	int rc;

	rc = rte_dev_probe("net_null0,size=64,copy=0");
	if (rc != 0 || rte_eth_dev_get_port_by_name("net_null0", &b->port_id) != 0) {
		fprintf(stderr, "dsrlb-bench: cannot create net_null0 (%s)\n",
			rte_strerror(-rc));
		return -ENODEV;
	}
	rc = rte_eth_dev_configure(b->port_id, N_QUEUES, N_QUEUES, &conf);
	for (q = 0; rc == 0 && q < N_QUEUES; q++) {
		rc = rte_eth_rx_queue_setup(b->port_id, q, N_DESC, b->socket,
					    NULL, b->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(b->port_id, q, N_DESC,
						    b->socket, NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(b->port_id);
	if (rc != 0) {
		fprintf(stderr, "dsrlb-bench: net_null0 set-up: %s\n",
			rte_strerror(-rc));
		return rc;
	}
	b->n_lanes = 1;
	lcore = rte_lcore_id();
	for (i = 0; i < N_LANES; i++) {
		struct lane *l = &b->lane[i];
		if (i > 0) {
			lcore = rte_get_next_lcore(lcore, 1, 0);
			if (lcore >= RTE_MAX_LCORE)
				break;
			b->n_lanes++;
		}
		l->lcore = lcore;
		l->port_id = b->port_id;
		l->queue = i == 0 ? 0 : LANE1_QUEUE;
		l->qsbr_id = i;
		build_template(l->g.tmpl[0], false);
		build_template(l->g.tmpl[1], true);
		build_template6(l->g.tmpl[2], false);
		build_template6(l->g.tmpl[3], true);
		l->w = rte_zmalloc_socket("bench_worker", sizeof(*l->w),
					  RTE_CACHE_LINE_SIZE, b->socket);
		l->to_master = ring(b, "bench_tm", i, 0);
		l->to_master_prio = ring(b, "bench_tmp", i, 0);
		l->from_master = ring(b, "bench_fm", i, 0);
		l->sync_out = ring(b, "bench_so", i, sizeof(struct lb_dp_sync));
		l->sync_in = ring(b, "bench_si", i, sizeof(struct lb_dp_sync));
		if (l->w == NULL || l->to_master == NULL ||
		    l->to_master_prio == NULL || l->from_master == NULL ||
		    l->sync_out == NULL || l->sync_in == NULL) {
			fprintf(stderr, "dsrlb-bench: out of memory (lane %u)\n", i);
			return -ENOMEM;
		}
		if (rte_eth_add_rx_callback(b->port_id, l->queue, gen_rx,
					    &l->g) == NULL) {
			fprintf(stderr, "dsrlb-bench: RX callback: %s\n",
				rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

static int
setup(struct bench *b)
{
	size_t sz = rte_rcu_qsbr_get_memsize(N_LANES);

	b->socket = (int)rte_socket_id();
	b->pool = rte_pktmbuf_pool_create("bench_mbufs", N_MBUFS, MBUF_CACHE,
					  0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  b->socket);
	b->qsbr = rte_zmalloc("bench_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (b->pool == NULL || b->qsbr == NULL ||
	    rte_rcu_qsbr_init(b->qsbr, N_LANES) != 0) {
		fprintf(stderr, "dsrlb-bench: out of memory (hugepages? --no-huge -m 3072)\n");
		return -ENOMEM;
	}
	if (port_setup(b) != 0)
		return -ENODEV;
	b->core = core_minimal(b);
	b->real = core_realistic(b);
	return b->core != NULL && b->real != NULL ? 0 : -EINVAL;
}

static void
teardown(struct bench *b)
{
	unsigned int i;

	if (b->port_id != RTE_MAX_ETHPORTS) {
		rte_eth_dev_stop(b->port_id);
		rte_eth_dev_close(b->port_id);
	}
	for (i = 0; i < N_LANES; i++) {
		struct lane *l = &b->lane[i];

		rte_ring_free(l->to_master);
		rte_ring_free(l->to_master_prio);
		rte_ring_free(l->from_master);
		rte_ring_free(l->sync_out);
		rte_ring_free(l->sync_in);
		rte_free(l->w);
	}
	lb_core_free(b->real);
	lb_core_free(b->core);
	rte_mempool_free(b->pool);
	rte_free(b->qsbr);
	rte_eal_cleanup();
}

/* ---- output ---- */

/* "model name (family F, model M)" from /proc/cpuinfo: a VM may show
 * a generic name, the family and model still say which core it is. */
static void
cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], name[128] = "unknown", family[16] = "?", model[16] = "?";

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *c = strchr(line, ':');

			if (line[0] == '\n')
				break;   /* the first CPU is enough */
			if (c == NULL)
				continue;
			c += strspn(c + 1, " \t") + 1;
			c[strcspn(c, "\n")] = '\0';
			if (strncmp(line, "model name", 10) == 0)
				snprintf(name, sizeof(name), "%s", c);
			else if (strncmp(line, "cpu family", 10) == 0)
				snprintf(family, sizeof(family), "%s", c);
			else if (strncmp(line, "model\t", 6) == 0)
				snprintf(model, sizeof(model), "%s", c);
		}
		fclose(f);
	}
	snprintf(buf, size, "%s (family %s, model %s)", name, family, model);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A number, or null if there is none. */
static void
json_num(FILE *f, bool have, double v)
{
	if (have)
		fprintf(f, "%.3f", v);
	else
		fprintf(f, "null");
}

/* The targets of the performance issue, as ratios to the baseline. */
enum goal_kind { GOAL_RATIO, GOAL_SCALING, GOAL_MEMORY };

struct goal {
	enum goal_kind kind;
	const char *id;        /* GOAL_RATIO: the result */
	const char *what;
	double limit;
	bool at_most;
	double per;            /* GOAL_RATIO: packets per unit (per flow) */
};

static const struct goal goals[] = {
	{ GOAL_RATIO, "established_uniform",
	  "established TCP, uniform, 1M flows: <= 4x", 4, true, 1 },
	{ GOAL_RATIO, "established_large_uniform",
	  "established TCP, uniform, 10M flows: <= 6x", 6, true, 1 },
	{ GOAL_RATIO, "udp_stateless", "stateless UDP: <= 3x", 3, true, 1 },
	{ GOAL_RATIO, "new_flows_steady",
	  "new flows, steady state: <= 10x per flow", 10, true, 3 },
	{ GOAL_SCALING, NULL, "2 workers: >= 1.8x one worker's Mpps", 1.8,
	  false, 1 },
	{ GOAL_MEMORY, NULL, "10M flows in <= 1.5 GiB (--memtest 10000000)",
	  1.5, true, 1 },
};

static const struct result *
find(const struct bench *b, const char *id)
{
	unsigned int i;

	for (i = 0; i < b->n_res; i++)
		if (strcmp(b->res[i].id, id) == 0 && !b->res[i].skipped)
			return &b->res[i];
	return NULL;
}

/* The value a goal is judged on; false if not measured in this run. */
static bool
goal_value(const struct bench *b, const struct goal *g, double *v)
{
	const struct result *r;

	switch (g->kind) {
	case GOAL_RATIO:
		r = find(b, g->id);
		if (r == NULL)
			return false;
		*v = r->ratio * g->per;
		return true;
	case GOAL_SCALING:
		*v = b->scaling;
		return b->scaling > 0;
	case GOAL_MEMORY:
	default:
		if (b->o.memtest != 10000000 || b->memtest_bytes == 0)
			return false;
		*v = b->memtest_bytes / (1024.0 * 1024 * 1024);
		return true;
	}
}

/* A ratio goal's value to the I/O without the generator; false if there
 * is none (not a ratio goal, not measured, no such ratio). */
static bool
goal_value_io(const struct bench *b, const struct goal *g, double *v)
{
	const struct result *r;

	if (g->kind != GOAL_RATIO)
		return false;
	r = find(b, g->id);
	if (r == NULL || !r->has_io)
		return false;
	*v = r->ratio_io * g->per;
	return true;
}

static void
print_goals(const struct bench *b)
{
	unsigned int i;
	char n[16];

	fprintf(b->out, "\ntargets (ratios to the I/O baseline of this run; met or not on that ratio; \"x I/O\": (scenario - generator) / (baseline - generator)):\n");
	for (i = 0; i < RTE_DIM(goals); i++) {
		const struct goal *g = &goals[i];
		double v, vio = 0;
		const char *met;

		if (!goal_value(b, g, &v)) {
			fprintf(b->out, "  %-46s not measured\n", g->what);
			continue;
		}
		met = (g->at_most ? v <= g->limit : v >= g->limit) ?
			"met" : "NOT met";
		if (goal_value_io(b, g, &vio))
			fprintf(b->out, "  %-46s %6.2f  %-7s %6.2f x I/O",
				g->what, v, met, vio);
		else
			fprintf(b->out, "  %-46s %6.2f  %s", g->what, v, met);
		if (g->kind == GOAL_RATIO && g->per == 1 &&
		    find(b, g->id)->flows > 0)
			fprintf(b->out, " (table of %s flows)",
				count_str(find(b, g->id)->flows, n, sizeof(n)));
		fputc('\n', b->out);
	}
}

static void
print_json(const struct bench *b, const char *cpu)
{
	struct utsname u;
	unsigned int i;
	FILE *f = stdout;

	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	fprintf(f, "{\n  \"machine\": {\"cpu\": ");
	json_str(f, cpu);
	fprintf(f, ", \"cpus\": %ld, \"tsc_hz\": %" PRIu64 ", \"dpdk\": ",
		sysconf(_SC_NPROCESSORS_ONLN), rte_get_tsc_hz());
	json_str(f, rte_version());
	fprintf(f, ", \"kernel\": ");
	json_str(f, u.release);
	fprintf(f, ", \"compiler\": ");
	json_str(f, __VERSION__);
	fprintf(f, ", \"hugepages\": %s, \"lcores\": %u},\n",
		rte_eal_has_hugepages() ? "true" : "false", rte_lcore_count());
	fprintf(f, "  \"method\": {\"pmd\": \"net_null size=64,copy=0\", \"burst\": %u, \"packet_bytes\": %u, \"cycles\": \"TSC ticks\"},\n",
		LB_BURST, PKT_LEN);
	fprintf(f, "  \"options\": {\"flows\": %u, \"flows_large\": %u, \"new_flows\": %u, \"packets\": %" PRIu64 ", \"memtest\": %u, \"quick\": %s, \"zipf_s\": %.2f},\n",
		b->o.flows, b->o.flows_large, b->o.conns, b->o.packets,
		b->o.memtest, b->o.quick ? "true" : "false", ZIPF_S);
	fprintf(f, "  \"baseline\": {\"cycles_per_packet\": %.2f, \"generator_cycles_per_packet\": %.2f, \"io_cycles_per_packet\": ",
		b->base_cpp, b->gen_cpp);
	json_num(f, b->io_cpp > 0, b->io_cpp);
	fprintf(f, "},\n");
	fprintf(f, "  \"scenarios\": [");
	for (i = 0; i < b->n_res; i++) {
		const struct result *r = &b->res[i];

		fprintf(f, "%s\n    {\"id\": ", i > 0 ? "," : "");
		json_str(f, r->id);
		fprintf(f, ", \"name\": ");
		json_str(f, r->name);
		if (r->skipped) {
			fprintf(f, ", \"skipped\": true, \"note\": ");
			json_str(f, r->note);
			fputc('}', f);
			continue;
		}
		fprintf(f, ", \"flows\": %u, \"packets\": %" PRIu64 ", \"cycles\": %" PRIu64 ", \"cycles_per_packet\": %.2f, \"mpps\": %.3f, \"ratio_to_baseline\": %.3f, \"ratio_to_io\": ",
			r->flows, r->packets, r->cycles, r->cpp, r->mpps,
			r->ratio);
		json_num(f, r->has_io, r->ratio_io);
		fprintf(f, ", \"received\": %" PRIu64 ", \"forwarded\": %" PRIu64 ", \"cpu_share\": %.3f, \"cycles_per_packet_on_cpu\": %.2f",
			r->received, r->forwarded, r->cpu_share,
			r->cpp * r->cpu_share);
		if (r->per_flow > 0) {
			fprintf(f, ", \"packets_per_flow\": %.0f, \"cycles_per_flow\": %.1f, \"flow_ratio_to_baseline\": %.3f, \"flow_ratio_to_io\": ",
				r->per_flow, r->cpp * r->per_flow,
				r->ratio * r->per_flow);
			json_num(f, r->has_io, r->ratio_io * r->per_flow);
		}
		fprintf(f, ", \"note\": ");
		json_str(f, r->note);
		fputc('}', f);
	}
	if (b->scaling > 0)
		fprintf(f, "\n  ],\n  \"scaling_two_workers\": %.3f,\n",
			b->scaling);
	else
		fprintf(f, "\n  ],\n  \"scaling_two_workers\": null,\n");
	if (b->memtest_bytes > 0)
		fprintf(f, "  \"memtest\": {\"flows\": %u, \"bytes\": %.0f, \"bytes_per_flow\": %.1f},\n",
			b->o.memtest, b->memtest_bytes,
			b->memtest_bytes / b->o.memtest);
	if (b->memtest6_bytes > 0)
		fprintf(f, "  \"memtest6\": {\"flows\": %u, \"bytes\": %.0f, \"bytes_per_flow\": %.1f},\n",
			b->o.memtest6, b->memtest6_bytes,
			b->memtest6_bytes / b->o.memtest6);
	fprintf(f, "  \"targets\": [");
	for (i = 0; i < RTE_DIM(goals); i++) {
		const struct goal *g = &goals[i];
		double v, vio = 0;
		bool have = goal_value(b, g, &v);
		bool have_io = goal_value_io(b, g, &vio);

		fprintf(f, "%s\n    {\"target\": ", i > 0 ? "," : "");
		json_str(f, g->what);
		if (have)
			fprintf(f, ", \"value\": %.3f, \"met\": %s", v,
				(g->at_most ? v <= g->limit : v >= g->limit) ?
				"true" : "false");
		else
			fprintf(f, ", \"value\": null, \"met\": null");
		fprintf(f, ", \"value_io\": ");
		json_num(f, have_io, vio);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"ok\": %s\n}\n", b->failed ? "false" : "true");
}

/* ---- main ---- */

static void
usage(void)
{
	fprintf(stderr,
		"usage: dsrlb-bench [EAL options] -- [options]\n"
		"  --flows N        established flows (1048576)\n"
		"  --flows-large N  the large table (10000000; 0 skips it)\n"
		"  --new-flows N    connections per wrr run (2000000)\n"
		"  --packets N      timed packets per scenario (20000000)\n"
		"  --memtest N      memory of a flow table of N flows\n"
		"  --memtest6 N     memory of an IPv6 flow table of N flows\n"
		"  --only IDS       comma-separated scenario ids or prefixes\n"
		"                   (io_baseline and generator always run)\n"
		"  --quick          small tables, few packets: a smoke test\n"
		"  --json           one JSON object on stdout\n"
		"EAL: --no-pci -l 1 (one worker); -l 0-1 adds the two-worker case\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "flows-large", required_argument, NULL, 'L' },
		{ "new-flows", required_argument, NULL, 'n' },
		{ "packets", required_argument, NULL, 'p' },
		{ "memtest", required_argument, NULL, 'm' },
		{ "memtest6", required_argument, NULL, '6' },
		{ "only", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool set[4] = { false };
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->flows = (uint32_t)strtoul(optarg, NULL, 0);
			set[0] = true;
			break;
		case 'L':
			o->flows_large = (uint32_t)strtoul(optarg, NULL, 0);
			set[1] = true;
			break;
		case 'n':
			o->conns = (uint32_t)strtoul(optarg, NULL, 0);
			set[2] = true;
			break;
		case 'p':
			o->packets = strtoull(optarg, NULL, 0);
			set[3] = true;
			break;
		case 'm':
			o->memtest = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case '6':
			o->memtest6 = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			o->only = optarg;
			break;
		case 'q':
			o->quick = true;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			usage();
			return -1;
		}
	}
	if (o->quick) {   /* what was not given explicitly */
		if (!set[0])
			o->flows = 1 << 16;
		if (!set[1])
			o->flows_large = 1 << 18;
		if (!set[2])
			o->conns = 1 << 16;
		if (!set[3])
			o->packets = 1 << 20;
	}
	if (o->flows < 1024 || o->flows > FLOOD_BASE / 4 ||
	    o->flows_large > FLOOD_BASE || o->conns < 1024 ||
	    o->conns > FLOOD_BASE || o->packets < 64 * LB_BURST) {
		fprintf(stderr, "dsrlb-bench: --flows 1024..%u, --flows-large 0..%u, --new-flows 1024..%u, --packets >= %u\n",
			FLOOD_BASE / 4, FLOOD_BASE, FLOOD_BASE, 64 * LB_BURST);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct bench b = {
		.o = { .flows = 1 << 20, .flows_large = 10000000,
		       .conns = 2000000, .packets = 20000000 },
		.port_id = RTE_MAX_ETHPORTS,
	};
	char cpu[128];
	int n, rc;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "dsrlb-bench: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_opts(argc - n, argv + n, &b.o) != 0)
		return 2;
	/* logs never mix with the JSON; the core's per-member lines (512
	 * for the realistic configuration) are noise here */
	rte_openlog_stream(stderr);
	rte_log_set_level_pattern("dsrlb.core", RTE_LOG_WARNING);
	b.out = b.o.json ? stderr : stdout;
	if (setup(&b) != 0) {
		teardown(&b);
		return 1;
	}

	cpu_model(cpu, sizeof(cpu));
	fprintf(b.out, "dsrlb-bench: %s, %ld CPUs, TSC %.3f GHz (cycles are TSC ticks), %s, %s, lcores:",
		cpu, sysconf(_SC_NPROCESSORS_ONLN), rte_get_tsc_hz() / 1e9,
		rte_version(), rte_eal_has_hugepages() ? "hugepages" :
		"no hugepages");
	for (n = 0; n < (int)b.n_lanes; n++)
		fprintf(b.out, " %u", b.lane[n].lcore);
	fprintf(b.out, "\nI/O: net_null (size=64, copy=0) RX and TX bursts of %u, generator in the RX callback; %" PRIu64 " timed packets per scenario after %" PRIu64 " to warm up\n"
		"x baseline: cycles/packet over the I/O baseline's; x I/O: both less the generator's, (scenario - generator) / (baseline - generator)\n",
		LB_BURST, b.o.packets, warm_of(&b));
	print_header(&b);

	rc = scn_baseline(&b, false);
	if (rc == 0)
		rc = scn_established(&b, "established", b.o.flows, true);
	if (rc == 0)
		rc = scn_ipv6(&b);
	if (rc == 0)
		rc = scn_table_full(&b);
	if (rc == 0)
		rc = scn_steady(&b);
	if (rc == 0)
		rc = scn_realistic(&b);
	if (rc == 0)
		rc = scn_wrr(&b);
	if (rc == 0)
		rc = scn_two_workers(&b);
	if (rc == 0 && b.o.flows_large > 0)
		rc = scn_established(&b, "established_large", b.o.flows_large,
				     false);
	else if (rc == 0 && wanted_group(&b, "established_large"))
		skip(&b, "established_large", "established TCP, large table",
		     "--flows-large 0");
	if (rc == 0)
		rc = scn_baseline(&b, true);
	if (rc == 0 && b.o.memtest > 0 &&
	    memtest(&b, b.o.memtest, LB_FLOW_IPV4, &b.memtest_bytes) != 0)
		b.failed = 1;
	if (rc == 0 && b.o.memtest6 > 0 &&
	    memtest(&b, b.o.memtest6, LB_FLOW_IPV6, &b.memtest6_bytes) != 0)
		b.failed = 1;
	if (rc != 0) {
		fprintf(stderr, "dsrlb-bench: a run failed (%s)\n", strerror(-rc));
		b.failed = 1;
	} else {
		print_goals(&b);
		if (b.o.json)
			print_json(&b, cpu);
	}
	teardown(&b);
	return b.failed ? 1 : 0;
}
