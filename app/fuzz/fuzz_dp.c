/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the whole worker burst function (lb_dp_process) on
 * arbitrary frames, with a configuration that exercises every path:
 * Maglev, WRR, SH and WLC TCP services, persistence (per client and per
 * /24), stateful and stateless UDP, a member source-port range, a
 * VLAN-less port, an IPv6 VIP beside the IPv4 ones, and flow tables of
 * 64 flows (IPv4 and IPv6) with a real grace period (rte_rcu_qsbr) that
 * a single input fills, so admission, eviction, expiry, sweeping and
 * flushing all run in both families. The clock is the input's: it
 * moves only when the input says.
 *
 * After every burst: every packet ended in exactly one outcome counter,
 * no mbuf is left behind, every frame sent carries the port's source
 * MAC and a member's destination MAC (or, an answer, the asker's), and
 * the flow table's bookkeeping holds (lb_flow_audit(): one key, one
 * entry in use and one count per flow, no key slot freed twice, no
 * entry without its key); the per-member and per-service counts equal
 * what the table holds. An answer goes to the frame's sender: its MAC,
 * its ARP sender or NDP source link-layer address, or all nodes for an
 * IPv6 duplicate address detection.
 *
 * Input: a sequence of records.
 *   [length (2 bytes, big endian) < 0xffff] [split (1 byte)] [frame]
 *     a frame for the current burst; split > 0 puts it in two chained
 *     mbufs, the first of split bytes
 *   [0xff 0xff] [op] [arg] [flags]: op % 4 is
 *     0  copy: the input's frame number arg again (modulo the frames so
 *        far), its TCP flags set to flags if it is a plain TCP frame: a
 *        flow's later packets in the same burst as what evicts it
 *     1  end the burst here (it is processed)
 *     2  end the burst, move the clock on by arg * 64 ms and sweep
 *        (flags + 1) * 16 positions
 *     3  end the burst, flush the flows of member arg % 5 (4: any) and
 *        service flags % 8 (7 or more: any)
 * A burst is processed when it ends or holds 64 frames.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "lb_core.h"
#include "lb_dp.h"
#include "lb_flow.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;
static struct lb_core *core;
static struct lb_worker *w;
static struct rte_ring *to_master, *to_master_prio, *to_master_ctrl;
static struct rte_ring *sync_ring;
static struct rte_rcu_qsbr *qsbr;
static bool quit;
static unsigned int runs;
static uint32_t vnow = 1000000;   /* the input's clock, ms */

#define FLOW_CAPACITY 64
#define MAX_FRAMES 512            /* frames one input may make */

/* What this process saw: a short run reached what it was meant to */
static struct {
	uint64_t bursts, max_count, full_bursts, full_bursts6, sweeps,
		flushes;
} seen;

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

/* dts/fuzz.sh checks that the run filled the table, swept and flushed */
static void
report(void)
{
	fprintf(stderr, "fuzz_dp: %" PRIu64 " bursts, table full after %"
		PRIu64 ", at most %" PRIu64 " flows, %" PRIu64 " evicted, %"
		PRIu64 " refused, %" PRIu64 " sweeps, %" PRIu64 " flushes, %"
		PRIu64 " table errors; %" PRIu64 " IPv6 packets, IPv6 table "
		"full after %" PRIu64 "\n",
		seen.bursts, seen.full_bursts, seen.max_count,
		w->stats[LB_STAT_FLOW_EVICTED],
		w->stats[LB_STAT_FLOW_TABLE_FULL], seen.sweeps, seen.flushes,
		(uint64_t)w->flows->errors + w->flows6->errors,
		w->stats[LB_STAT_IPV6], seen.full_bursts6);
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
	size_t qsz = rte_rcu_qsbr_get_memsize(1);
	uint16_t pid;
	struct lb_ip vips[3];
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
	to_master_ctrl = rte_ring_create("fuzz_master_ctrl", 1024,
					 SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	core = lb_core_create(&cp);
	if (pool == NULL || to_master == NULL || to_master_prio == NULL ||
	    to_master_ctrl == NULL || core == NULL)
		abort();
	port.addr = inet_addr("198.51.100.2");
	port.gateway = inet_addr("198.51.100.1");
	/* and an IPv6 address: Neighbor Discovery for it, advertisements
	 * to the master, its lanes */
	inet_pton(AF_INET6, "2001:db8:100::2", port.addr6.b);
	port.prefix6 = 64;
	inet_pton(AF_INET6, "fe80::1", port.gateway6.b);
	lb_core_port_add(core, &port, pid, port_mac);
	vips[0] = lb_ip_from4(inet_addr("198.51.100.100"));
	vips[1] = lb_ip_from4(inet_addr("198.51.100.101"));
	/* an IPv6 VIP too: sorted after the IPv4 ones */
	inet_pton(AF_INET6, "2001:db8:100::100", vips[2].b);
	lb_core_vips_set(core, vips, 3);
	for (i = 0; i < 4; i++) {
		struct lb_conf_member m = { .weight = 100 * (i + 1),
			.has_mac = i != 3,
			.mac = { 0x02, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = lb_ip_from4(htonl(0xc6336400u | (11 + i)));
		if (i == 2)   /* a member by its IPv6 address */
			inet_pton(AF_INET6, "2001:db8:100::13", m.addr.b);
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
	qsbr = rte_zmalloc("fuzz_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (w == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0 ||
	    rte_rcu_qsbr_thread_register(qsbr, 0) != 0)
		abort();
	rte_rcu_qsbr_thread_online(qsbr, 0);
	{
		struct lb_dp_params dp = {
			.snap = lb_core_snapshot_ptr(core),
			.flows = lb_flow_create("fuzz_flows", FLOW_CAPACITY,
						SOCKET_ID_ANY, qsbr),
			.flows6 = lb_flow_create_family("fuzz_flows6",
							FLOW_CAPACITY,
							LB_FLOW_IPV6,
							SOCKET_ID_ANY, qsbr),
			.to_master = to_master, .to_master_prio = to_master_prio,
			.to_master_ctrl = to_master_ctrl,
			.exception_pps = 1000, .arp_pps = 1000,
			.member_pps = 1000, .router_pps = 1000,
			.peer_pps = 1000, .vrrp_pps = 1000,
			.rxq = &rxq, .n_rxq = 1,
			.port_ids = &pid, .n_ports = 1, .quit = &quit,
			.sync_out = sync_ring, .sync_in = sync_ring,
		};

		if (dp.flows == NULL || dp.flows6 == NULL ||
		    lb_dp_worker_init(w, &dp) != 0)
			abort();
	}
	atexit(report);
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
check_counts(const struct lb_flow_table *t)
{
	static struct lb_flow_mcount want[LB_FLOW_MEMBERS];
	static struct lb_flow_mcount want_svc[LB_FLOW_SERVICES];
	struct lb_flow_mcount want_stale = { 0 }, *wm;
	uint32_t p, a, in;
	uint16_t m;

	memset(want, 0, sizeof(want));
	memset(want_svc, 0, sizeof(want_svc));
	for (p = 0; p < t->n_pos; p++) {
		const struct lb_flow_entry *e = lb_flow_at(t, p);

		if (e->state == 0)
			continue;
		/* (a service slot is a byte: LB_FLOW_SERVICES holds any) */
		if (e->member >= LB_FLOW_MEMBERS)
			abort();
		/* a flow of an earlier member of its slot counts as
		 * stale (lb_flow_mcount_of()) */
		wm = e->member_gen == t->mcount[e->member].gen ?
			&want[e->member] : &want_stale;
		if (lb_flow_active_state(e->state)) {
			wm->active++;
			want_svc[e->svc].active++;
		} else {
			wm->inactive++;
			want_svc[e->svc].inactive++;
		}
	}
	for (m = 0; m < LB_FLOW_MEMBERS; m++) {
		lb_flow_member_flows(t, m, t->mcount[m].gen, &a, &in);
		if (a != want[m].active || in != want[m].inactive)
			abort();
	}
	if (t->stale.active != want_stale.active ||
	    t->stale.inactive != want_stale.inactive)
		abort();
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
	uint8_t proto;

	n = rte_ring_count(sync_ring);
	for (i = 0; i < n && i < RTE_DIM(r); i++) {
		if (rte_ring_sc_dequeue_elem(sync_ring, &r[i], sizeof(r[i])) != 0)
			abort();
		if (r[i].member >= LB_MAX_MEMBERS ||
		    r[i].svc >= LB_MAX_SERVICES || r[i].lifetime_ms != 0 ||
		    r[i].v6 > 1)
			abort();
		/* an IPv6 flow's record carries its IPv6 key, whole */
		proto = r[i].v6 ? r[i].key6.proto : r[i].key.proto;
		if ((proto != LB_IPPROTO_TCP && proto != LB_IPPROTO_UDP) ||
		    (r[i].v6 && (r[i].key6.pad[0] | r[i].key6.pad[1] |
				 r[i].key6.pad[2]) != 0))
			abort();
		switch (r[i].kind) {
		case LB_DP_SYNC_FLOW:
		case LB_DP_SYNC_PERSIST:
			/* confirmed flows only */
			if (r[i].state != LB_FLOW_TCP_EST &&
			    r[i].state != LB_FLOW_UDP)
				abort();
			break;
		case LB_DP_SYNC_ENDED:
			/* the first FIN or RST of a TCP flow */
			if (r[i].state != LB_FLOW_TCP_CLOSING ||
			    proto != LB_IPPROTO_TCP)
				abort();
			break;
		case LB_DP_SYNC_HANDOFF:
			if (r[i].state != LB_FLOW_TCP_EST &&
			    r[i].state != LB_FLOW_TCP_CLOSING)
				abort();
			break;
		default:
			abort();
		}
	}
	/* flows, ends and handoffs go back in, as a peer's records (a
	 * lifetime from the key's bytes 8-9: an IPv4 flow's client port,
	 * bytes of an IPv6 client; short and long) and our own
	 * handoffs; persistence records stay out (the master stores
	 * those itself) */
	n = i;
	for (i = 0; i < n; i++) {
		if (r[i].kind == LB_DP_SYNC_PERSIST)
			continue;
		if (r[i].kind == LB_DP_SYNC_FLOW)
			r[i].lifetime_ms = r[i].key.src_port & 0xfffu;
		if (rte_ring_sp_enqueue_elem(sync_ring, &r[i],
					     sizeof(r[i])) != 0)
			abort();
	}
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

/* The frames of a burst, with the source MAC each came with and, for
 * ARP, the sender's hardware address: an answer goes back to one of
 * them. */
static struct {
	const struct rte_mbuf *m;
	uint8_t src[6];
	uint8_t sha[6];
} sent_by[MAX_FRAMES];
static unsigned int n_sent_by;

/* Where an answer to a Neighbor Solicitation may go besides the frame's
 * source: the solicitation's source link-layer option (first option,
 * as dsrlb reads it), or all nodes for duplicate address detection. */
static void
ndp_sender(const uint8_t *p, uint16_t len, uint8_t *sha)
{
	static const uint8_t all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t zero[16];
	unsigned int ip = 14;

	if (len >= 18 && p[12] == 0x81 && p[13] == 0x00)
		ip = 18;
	if (len < ip + 40 + 24 || p[ip - 2] != 0x86 || p[ip - 1] != 0xdd ||
	    p[ip + 6] != 58 || p[ip + 40] != 135)
		return;
	if (memcmp(p + ip + 8, zero, 16) == 0)
		memcpy(sha, all_nodes, 6);
	else if (len >= ip + 40 + 32 && p[ip + 64] == 1)
		memcpy(sha, p + ip + 66, 6);
}

static void
remember(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	unsigned int arp = 0;

	sent_by[n_sent_by].m = m;
	memcpy(sent_by[n_sent_by].src, p + 6, 6);
	memset(sent_by[n_sent_by].sha, 0xff, 6);   /* matches no answer */
	if (len >= 14 && p[12] == 0x08 && p[13] == 0x06)
		arp = 14;
	else if (len >= 18 && p[12] == 0x81 && p[13] == 0x00 &&
		 p[16] == 0x08 && p[17] == 0x06)
		arp = 18;
	if (arp != 0 && len >= arp + 14)
		memcpy(sent_by[n_sent_by].sha, p + arp + 8, 6);
	ndp_sender(p, len, sent_by[n_sent_by].sha);
	n_sent_by++;
}

/* Every frame the worker sent: from the port's MAC, to a member that
 * has a MAC, or an answer to the frame's sender. */
static void
check_tx(void)
{
	unsigned int i, k;

	for (i = 0; i < w->tx[0].n; i++) {
		const struct rte_mbuf *m = w->tx[0].m[i];
		const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
		bool member = eth[0] == 0x02 && memcmp(eth + 1,
			"\0\0\0\0", 4) == 0 && eth[5] >= 0x11 && eth[5] <= 0x13;

		if (rte_pktmbuf_data_len(m) < 14 ||
		    memcmp(eth + 6, port_mac, 6) != 0)
			abort();
		if (member)
			continue;
		for (k = 0; k < n_sent_by; k++)
			if (sent_by[k].m == m)
				break;
		if (k == n_sent_by || (memcmp(eth, sent_by[k].src, 6) != 0 &&
					memcmp(eth, sent_by[k].sha, 6) != 0))
			abort();
	}
	for (i = 0; i < w->tx[0].n; i++)
		rte_pktmbuf_free(w->tx[0].m[i]);
	w->tx[0].n = 0;
}

/* The flow table's bookkeeping, and the counts against the entries. */
static void
check_one_table(const struct lb_flow_table *t)
{
	struct lb_flow_audit a;

	if (lb_flow_audit(t, &a) != 0) {
		fprintf(stderr, "fuzz_dp: flow table: count %u keys %u in use "
			"%u slots %u limbo %u counted %u/%u no key %u no "
			"entry %u\n", a.count, a.keys, a.in_use, a.slots_used,
			a.limbo, a.counted, a.svc_counted, a.no_key,
			a.no_entry);
		abort();
	}
	if (t->errors != 0)
		abort();
	check_counts(t);
	if (a.count > seen.max_count)
		seen.max_count = a.count;
}

static void
check_table(void)
{
	static uint64_t ipv6 = UINT64_MAX;
	static uint32_t adds6 = UINT32_MAX, dels6;

	check_one_table(w->flows);
	/* the IPv6 table, as often as it can change: its keys and slots
	 * (the audit) when an entry was made or deleted (packets, sweeps,
	 * flushes), its counts when an IPv6 packet came too (a state that
	 * moved moves a count) */
	if (w->flows6->adds != adds6 || w->flows6->dels != dels6) {
		check_one_table(w->flows6);
		adds6 = w->flows6->adds;
		dels6 = w->flows6->dels;
		ipv6 = w->stats[LB_STAT_IPV6];
	} else if (w->stats[LB_STAT_IPV6] != ipv6) {
		check_counts(w->flows6);
		ipv6 = w->stats[LB_STAT_IPV6];
	}
}

/* The end of a worker loop iteration: deleted slots come back after
 * the (only) reader's quiescent state. */
static void
quiesce(void)
{
	lb_flow_reclaim(w->flows);
	lb_flow_reclaim(w->flows6);
	rte_rcu_qsbr_quiescent(qsbr, 0);
	lb_flow_reclaim(w->flows);
	lb_flow_reclaim(w->flows6);
}

static void
run_burst(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t before = outcomes();
	void *obj;

	if (n == 0)
		return;
	seen.bursts++;
	lb_dp_clock(w);   /* the TSC, for the policers */
	w->now = vnow;
	w->now_s = vnow / 1000;
	lb_dp_process(w, lb_core_snapshot(core), 0, pkts, n);
	check_tx();
	/* fragments still waiting for their first are dropped now */
	lb_dp_worker_fini(w);
	/* every packet ends in exactly one outcome counter */
	if (outcomes() - before != n)
		abort();
	while (rte_ring_dequeue(to_master, &obj) == 0)
		rte_pktmbuf_free(obj);
	while (rte_ring_dequeue(to_master_prio, &obj) == 0)
		rte_pktmbuf_free(obj);
	while (rte_ring_dequeue(to_master_ctrl, &obj) == 0)
		rte_pktmbuf_free(obj);
	/* and no mbuf is left behind */
	if (rte_mempool_in_use_count(pool) != 0)
		abort();
	check_table();
	if (w->flows->count == FLOW_CAPACITY)
		seen.full_bursts++;
	if (w->flows6->count == FLOW_CAPACITY)
		seen.full_bursts6++;
	/* flows staged for sync name a real flow of a confirmed state;
	 * installed back (as a peer's would be), the table still holds */
	check_sync();
	lb_dp_sync_install(w, lb_core_snapshot(core), 1024);
	quiesce();
	check_table();
	n_sent_by = 0;
}

static void
flush(int member, int svc)
{
	uint32_t seq = lb_dp_flows_flush_request(w, svc, member);
	uint32_t p;

	while (!lb_dp_flows_flush_done(w, seq, NULL)) {
		lb_dp_flows_flush_step(w, LB_FLUSH_BUDGET);
		quiesce();
	}
	check_table();
	seen.flushes++;
	for (p = 0; p < w->flows->n_pos + w->flows6->n_pos; p++) {
		const struct lb_flow_entry *e = p < w->flows->n_pos ?
			lb_flow_at(w->flows, p) : lb_flow_at(w->flows6, p - w->flows->n_pos);

		if (e->state != 0 && (member < 0 || e->member == member) &&
		    (svc < 0 || e->svc == svc))
			abort();
	}
}

/* Raw bytes of the frames of this input, for copies. */
static struct {
	const uint8_t *p;
	uint16_t len;
} frames[MAX_FRAMES];

/* A copy of an earlier frame of the input, with other TCP flags. */
static struct rte_mbuf *
copy(unsigned int n_frames, uint8_t which, uint8_t flags)
{
	static uint8_t buf[2048];
	unsigned int k = which % n_frames;
	uint16_t len = frames[k].len;
	unsigned int l4;

	memcpy(buf, frames[k].p, len);
	if (len >= 14 + 20 && buf[12] == 0x08 && buf[13] == 0x00 &&
	    buf[14 + 9] == 6) {
		l4 = 14 + (buf[14] & 0xf) * 4u;
		if (l4 + 14 <= len)
			buf[l4 + 13] = flags;
	} else if (len >= 14 + 40 + 14 && buf[12] == 0x86 &&
		   buf[13] == 0xdd && buf[14 + 6] == 6) {
		buf[14 + 40 + 13] = flags;    /* IPv6 TCP, no extension */
	}
	return frame(buf, len, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[64];
	unsigned int n_frames = 0;
	uint16_t n = 0;

	n_sent_by = 0;
	while (size >= 3) {
		struct rte_mbuf *m = NULL;
		uint16_t len = (uint16_t)(data[0] << 8 | data[1]);

		if (len == 0xffff) {
			uint8_t op, arg, flags;

			if (size < 5)
				break;
			op = data[2] % 4;
			arg = data[3];
			flags = data[4];
			data += 5;
			size -= 5;
			if (op == 0) {
				if (n_frames > 0)
					m = copy(n_frames, arg, flags);
			} else {
				run_burst(pkts, n);
				n = 0;
				if (op == 2) {
					vnow += arg * 64u;
					lb_flow_sweep(w->flows, vnow,
						      (flags + 1u) * 16);
					lb_flow_sweep(w->flows6, vnow,
						      (flags + 1u) * 16);
					seen.sweeps++;
					quiesce();
					check_table();
				} else if (op == 3) {
					flush(arg % 5 == 4 ? -1 : arg % 5,
					      flags % 8 >= 7 ? -1 : flags % 8);
				}
			}
		} else {
			uint8_t split = data[2];

			data += 3;
			size -= 3;
			if (len > size)
				len = (uint16_t)size;
			if (len > 2000)
				len = 2000;
			if (n_frames < MAX_FRAMES) {
				frames[n_frames].p = data;
				frames[n_frames++].len = len;
			}
			m = frame(data, len, split);
			data += len;
			size -= len;
		}
		if (m == NULL)
			continue;
		if (n_sent_by < MAX_FRAMES && rte_pktmbuf_data_len(m) >= 12)
			remember(m);
		pkts[n++] = m;
		if (n == RTE_DIM(pkts)) {
			run_burst(pkts, n);
			n = 0;
		}
	}
	run_burst(pkts, n);
	/* now and then the master flushes everything */
	if (++runs % 256 == 0)
		flush(-1, -1);
	return 0;
}
