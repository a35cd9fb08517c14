/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The worker burst function on mbufs: where flows go as members drain,
 * fail, change weight or the table fills, mid-stream packets after a
 * restart, WRR order, source-port ranges, standby. Needs the EAL. */

#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "lb_core.h"
#include "lb_dp.h"
#include "test_util.h"

#define N_MEMBERS 4

static struct rte_mempool *pool;
static uint16_t port_id;
static bool quit;

struct env {
	struct lb_core *core;
	struct lb_worker *w;
	struct lb_flow_table *flows;
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
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

static void
env_init(struct env *e, uint8_t sched, uint32_t capacity, const uint32_t *w)
{
	struct lb_core_params cp = { .socket_id = SOCKET_ID_ANY };
	struct lb_conf_port port = { .name = "p0", .prefix = 24 };
	struct lb_conf_service s = { .name = "pop3", .proto = LB_IPPROTO_TCP,
		.port_lo = 110, .port_hi = 110, .sched = sched,
		.table_size = 1009 };
	struct lb_dp_rxq rxq = { 0 };
	uint32_t vip = ip4("198.51.100.100");
	static char name[32];
	static unsigned int n;
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->core = lb_core_create(&cp);
	assert_non_null(e->core);
	port.addr = ip4("198.51.100.2");
	lb_core_port_add(e->core, &port, port_id, mac_port);
	lb_core_vips_set(e->core, &vip, 1);
	for (i = 0; i < N_MEMBERS; i++) {
		struct lb_conf_member m = { .has_mac = true,
			.weight = w != NULL ? w[i] : 100,
			.mac = { 2, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = htonl(0xc6336400u | (11 + i));
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
	e->flows = lb_flow_create(name, capacity, SOCKET_ID_ANY);
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

static void
env_fini(struct env *e)
{
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

	*ft = lb_flow_create("test_dp_other", 1024, SOCKET_ID_ANY);
	dp.flows = *ft;
	assert_int_equal(lb_dp_worker_init(w, &dp), 0);
	return w;
}

/* Send one TCP packet of flow i (client 203.0.113.x:port) through w;
 * return the member index it went to, or -1 if nothing left. */
static int
send_tcp(struct env *e, struct lb_worker *w, uint32_t i, uint16_t dport,
	 uint8_t flags)
{
	struct frame f;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;
	int member = -1;
	char src[32];

	assert_non_null(m);
	snprintf(src, sizeof(src), "203.0.%u.%u", 113 + (i >> 8) % 4, i & 0xff);
	eth(&f, mac_port, LB_ETHERTYPE_IPV4);
	ipv4(&f, LB_IPPROTO_TCP, src, "198.51.100.100", 5, 20, 0, 0);
	tcp(&f, (uint16_t)(1024 + (i >> 10)), dport, flags, 5);
	d = rte_pktmbuf_append(m, (uint16_t)f.len);
	assert_non_null(d);
	memcpy(d, f.b, f.len);
	lb_dp_clock(w);
	lb_dp_process(w, lb_core_snapshot(e->core), 0, &m, 1);
	if (w->tx[0].n == 1) {
		member = rte_pktmbuf_mtod(w->tx[0].m[0], uint8_t *)[5] - 0x11;
		rte_pktmbuf_free(w->tx[0].m[0]);
	}
	assert_true(w->tx[0].n <= 1);
	w->tx[0].n = 0;
	return member;
}

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

/* The table is full: new flows are still balanced (by the consistent
 * hash), counted, and the flows already in the table keep their member. */
static void
dp_full_table_balances_statelessly(void **state)
{
	struct env e;
	int where[1024];
	uint32_t i;

	(void)state;
	env_init(&e, LB_SCHED_MAGLEV, 1024, NULL);
	for (i = 0; i < 1024; i++)
		where[i] = syn(&e, i);
	for (i = 5000; i < 5100; i++)
		assert_true(syn(&e, i) >= 0);
	assert_int_equal(e.w->stats[LB_STAT_FLOW_TABLE_FULL], 100);
	assert_int_equal(e.w->stats[LB_STAT_FWD], 1124);
	for (i = 0; i < 1024; i++)
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dp_flows_stay_when_weights_change),
		cmocka_unit_test(dp_drained_member_keeps_flows_gets_no_new),
		cmocka_unit_test(dp_flows_of_failed_member_are_rescheduled),
		cmocka_unit_test(dp_no_member_left_drops_and_counts),
		cmocka_unit_test(dp_full_table_balances_statelessly),
		cmocka_unit_test(dp_restarted_balancer_keeps_maglev_flows),
		cmocka_unit_test(dp_wrr_new_flows_in_weight_order),
		cmocka_unit_test(dp_source_port_range_goes_to_its_member),
		cmocka_unit_test(dp_standby_forwards_nothing),
		cmocka_unit_test(dp_syn_after_fin_is_scheduled_again),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
