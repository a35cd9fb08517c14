/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Snapshot building from the core state: the address table, port-range
 * precedence, per-service member states and Maglev tables, publication.
 * Needs the EAL (snapshots live in rte_malloc memory). */

#include <errno.h>
#include <stdio.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lb_core.h"
#include "test_util.h"

static struct lb_core *
core_with(unsigned int n_members)
{
	struct lb_core_params p = { .qsbr = NULL, .socket_id = -1 };
	struct lb_conf_port port = { .name = "lan0", .prefix = 24 };
	struct lb_core *c = lb_core_create(&p);
	uint32_t vips[2] = { ip4("198.51.100.100"), ip4("198.51.100.101") };
	unsigned int i;

	assert_non_null(c);
	port.addr = ip4("198.51.100.2");
	assert_int_equal(lb_core_port_add(c, &port, 0, mac_port), 0);
	assert_int_equal(lb_core_vips_set(c, vips, 2), 0);
	for (i = 0; i < n_members; i++) {
		struct lb_conf_member m = { .weight = 100, .has_mac = true,
			.mac = { 2, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = htonl(0xc6336400u | (11 + i));
		assert_int_equal(lb_core_member_add(c, &m), (int)i);
	}
	return c;
}

static int
add_service(struct lb_core *c, const char *name, uint32_t vip, uint8_t proto,
	    uint16_t lo, uint16_t hi)
{
	struct lb_conf_service s = { .vip = vip, .proto = proto,
		.port_lo = lo, .port_hi = hi, .sched = LB_SCHED_MAGLEV,
		.table_size = 251 };

	snprintf(s.name, sizeof(s.name), "%s", name);
	return lb_core_service_add(c, &s, NULL, 0);
}

static const struct lb_range *
range_at(const struct lb_snapshot *s, const char *vip, unsigned int pidx,
	 uint16_t port)
{
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, ip4(vip));

	assert_non_null(a);
	assert_int_equal(a->kind, LB_ADDR_VIP);
	return lb_snap_range_lookup(s, &s->vips[a->idx], pidx, port);
}

static int
setup(void **state)
{
	(void)state;
	return test_eal_init("test_snapshot");
}

static int
teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static void
snapshot_address_table(void **state)
{
	struct lb_core *c = core_with(2);
	struct lb_snapshot *s = lb_snap_build(c);
	const struct lb_addr_slot *a;

	(void)state;
	assert_non_null(s);
	a = lb_snap_addr_lookup(s, ip4("198.51.100.101"));
	assert_non_null(a);
	assert_int_equal(a->kind, LB_ADDR_VIP);
	assert_int_equal(s->vips[a->idx].addr, ip4("198.51.100.101"));
	a = lb_snap_addr_lookup(s, ip4("198.51.100.2"));
	assert_non_null(a);
	assert_int_equal(a->kind, LB_ADDR_OWN);
	a = lb_snap_addr_lookup(s, ip4("198.51.100.12"));
	assert_non_null(a);
	assert_int_equal(a->kind, LB_ADDR_MEMBER);
	assert_int_equal(a->idx, 1);
	assert_null(lb_snap_addr_lookup(s, ip4("198.51.100.13")));
	assert_null(lb_snap_addr_lookup(s, ip4("203.0.113.1")));
	/* an empty slot holds address 0: 0.0.0.0 must not find it */
	assert_null(lb_snap_addr_lookup(s, 0));
	lb_snap_free(s);
	lb_core_free(c);
}

/* exact port > range > any; a VIP's own service > "*"; a member's
 * source-port range above all. */
static void
snapshot_port_precedence(void **state)
{
	struct lb_core *c = core_with(2);
	struct lb_conf_member m = { .weight = 1, .has_mac = true,
		.has_sports = true, .sport_lo = 33000, .sport_hi = 33999 };
	const struct lb_range *r;
	struct lb_snapshot *s;
	int any, range, exact, vip_exact, member;

	(void)state;
	any = add_service(c, "any", 0, LB_IPPROTO_TCP, 0, 65535);
	range = add_service(c, "range", 0, LB_IPPROTO_TCP, 100, 200);
	exact = add_service(c, "exact", 0, LB_IPPROTO_TCP, 110, 110);
	vip_exact = add_service(c, "vip110", ip4("198.51.100.101"),
				LB_IPPROTO_TCP, 110, 110);
	snprintf(m.name, sizeof(m.name), "fe9");
	m.addr = ip4("198.51.100.19");
	member = lb_core_member_add(c, &m);
	assert_true(any >= 0 && range >= 0 && exact >= 0 && vip_exact >= 0 &&
		    member >= 0);
	s = lb_snap_build(c);
	assert_non_null(s);

	r = range_at(s, "198.51.100.100", LB_PROTO_TCP, 110);
	assert_int_equal(r->target, exact);
	r = range_at(s, "198.51.100.101", LB_PROTO_TCP, 110);
	assert_int_equal(r->target, vip_exact);
	r = range_at(s, "198.51.100.100", LB_PROTO_TCP, 150);
	assert_int_equal(r->target, range);
	r = range_at(s, "198.51.100.100", LB_PROTO_TCP, 8080);
	assert_int_equal(r->target, any);
	r = range_at(s, "198.51.100.100", LB_PROTO_TCP, 33500);
	assert_int_equal(r->kind, LB_RANGE_MEMBER);
	assert_int_equal(r->target, member);
	/* member ranges apply to UDP too; no UDP service otherwise */
	r = range_at(s, "198.51.100.101", LB_PROTO_UDP, 33000);
	assert_non_null(r);
	assert_int_equal(r->kind, LB_RANGE_MEMBER);
	assert_null(range_at(s, "198.51.100.101", LB_PROTO_UDP, 110));
	lb_snap_free(s);
	lb_core_free(c);
}

static void
snapshot_member_states(void **state)
{
	struct lb_core *c = core_with(6);
	struct lb_conf_member nomac = { .weight = 100 };
	const struct lb_snap_service *ss;
	struct lb_snapshot *s;
	int svc, other, m7;
	uint32_t i;

	(void)state;
	svc = add_service(c, "pop3", 0, LB_IPPROTO_TCP, 110, 110);
	other = add_service(c, "smtp", 0, LB_IPPROTO_TCP, 25, 25);
	snprintf(nomac.name, sizeof(nomac.name), "fe7");
	nomac.addr = ip4("198.51.100.17");
	m7 = lb_core_member_add(c, &nomac);
	assert_true(svc >= 0 && other >= 0 && m7 == 6);
	lb_core_member_set_state(c, 1, LB_ADMIN_DRAIN);
	lb_core_member_set_weight(c, 2, 0);
	lb_core_member_set_state(c, 3, LB_ADMIN_DISABLED);
	lb_core_health_set(c, (unsigned int)svc, 4, LB_HEALTH_DOWN);
	s = lb_snap_build(c);
	assert_non_null(s);

	ss = &s->services[svc];
	assert_int_equal(ss->mstate[0], LB_MS_ACTIVE);
	assert_int_equal(ss->mstate[1], LB_MS_DRAIN);     /* drain */
	assert_int_equal(ss->mstate[2], LB_MS_DRAIN);     /* weight 0 */
	assert_int_equal(ss->mstate[3], LB_MS_NONE);      /* disabled */
	assert_int_equal(ss->mstate[4], LB_MS_NONE);      /* health down */
	assert_int_equal(ss->mstate[5], LB_MS_ACTIVE);
	assert_int_equal(ss->mstate[6], LB_MS_WAIT);      /* MAC resolving */
	assert_int_equal(ss->mstate[7], LB_MS_NONE);      /* no member */
	assert_int_equal(ss->n_active, 2);
	for (i = 0; i < ss->table_size; i++)
		assert_true(ss->maglev[i] == 0 || ss->maglev[i] == 5);
	/* the settled table also has fe7, whose MAC is being resolved: not
	 * the members known to be out */
	assert_ptr_not_equal(ss->settled, ss->maglev);
	for (i = 0; i < ss->table_size; i++)
		assert_true(ss->settled[i] == 0 || ss->settled[i] == 5 ||
			    ss->settled[i] == 6);
	/* health is per service: fe5 still works for SMTP */
	assert_int_equal(s->services[other].mstate[4], LB_MS_ACTIVE);
	assert_false(s->members[6].flags & LB_SM_FWD);
	assert_false(s->members[3].flags & LB_SM_FWD);
	assert_true(s->members[4].flags & LB_SM_FWD);
	lb_snap_free(s);

	/* the MAC arrives: fe7 becomes usable, one table again */
	lb_core_member_set_mac(c, 6, mac_client);
	s = lb_snap_build(c);
	assert_int_equal(s->services[svc].mstate[6], LB_MS_ACTIVE);
	assert_ptr_equal(s->services[svc].settled, s->services[svc].maglev);
	lb_snap_free(s);
	/* a member that never answered ARP is out, settled or not */
	assert_true(lb_core_member_add(c, &(struct lb_conf_member){
		.name = "fe9", .weight = 100,
		.addr = ip4("198.51.100.19") }) == 7);
	lb_core_member_set_mac(c, 7, NULL);
	s = lb_snap_build(c);
	assert_int_equal(s->services[svc].mstate[7], LB_MS_NONE);
	assert_ptr_equal(s->services[svc].settled, s->services[svc].maglev);
	lb_snap_free(s);
	lb_core_free(c);
}

static void
snapshot_service_bound_members_only(void **state)
{
	struct lb_core *c = core_with(4);
	struct lb_conf_service s = { .name = "web", .proto = LB_IPPROTO_TCP,
		.port_lo = 80, .port_hi = 80, .table_size = 251 };
	uint16_t bound[2] = { 1, 3 };
	struct lb_snapshot *snap;
	int svc;
	uint32_t i;

	(void)state;
	svc = lb_core_service_add(c, &s, bound, 2);
	assert_true(svc >= 0);
	snap = lb_snap_build(c);
	for (i = 0; i < 251; i++)
		assert_true(snap->services[svc].maglev[i] == 1 ||
			    snap->services[svc].maglev[i] == 3);
	assert_int_equal(snap->services[svc].mstate[0], LB_MS_NONE);
	lb_snap_free(snap);
	lb_core_free(c);
}

static void
core_commit_publishes_on_change_only(void **state)
{
	struct lb_core *c = core_with(2);
	const struct lb_snapshot *s1, *s2;

	(void)state;
	assert_true(add_service(c, "pop3", 0, LB_IPPROTO_TCP, 110, 110) >= 0);
	assert_int_equal(lb_core_commit(c), 1);
	s1 = lb_core_snapshot(c);
	assert_non_null(s1);
	assert_int_equal(lb_core_commit(c), 0);
	lb_core_set_active(c, false);
	assert_int_equal(lb_core_commit(c), 1);
	s2 = lb_core_snapshot(c);
	assert_true(s2->version > s1->version);
	assert_int_equal(s2->active, 0);
	lb_core_free(c);
}

/* A replaced snapshot is freed only once every worker that is online has
 * reported a quiescent state since: with a real rte_rcu_qsbr, two
 * workers, one slow to report; an offline (sleeping) worker holds
 * nothing. The freed snapshot's memory goes back to the heap. */
static void
core_reclaims_snapshot_only_after_every_worker_reported(void **state)
{
	struct rte_rcu_qsbr *v = test_qsbr_online(2);
	struct lb_core_params p = { .socket_id = -1, .qsbr = v };
	struct rte_malloc_socket_stats before, after;
	struct lb_core *c;

	(void)state;
	assert_non_null(v);
	c = lb_core_create(&p);
	assert_non_null(c);
	assert_int_equal(lb_core_port_add(c, &(struct lb_conf_port){
		.name = "lan0", .prefix = 24, .addr = ip4("198.51.100.2") },
		0, mac_port), 0);
	assert_int_equal(lb_core_vips_set(c, (uint32_t[]){ ip4("198.51.100.100") }, 1), 0);
	assert_true(add_service(c, "pop3", 0, LB_IPPROTO_TCP, 110, 110) >= 0);
	assert_int_equal(lb_core_commit(c), 1);
	rte_malloc_get_socket_stats(0, &before);
	/* a change: the first snapshot is replaced and retired */
	lb_core_set_active(c, false);
	assert_int_equal(lb_core_commit(c), 1);
	assert_int_equal(lb_core_retired(c), 1);
	assert_int_equal(lb_core_reclaim(c), 0);       /* nobody reported */
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_core_reclaim(c), 0);       /* worker 1 may read it */
	assert_int_equal(lb_core_retired(c), 1);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_core_reclaim(c), 1);
	assert_int_equal(lb_core_retired(c), 0);
	rte_malloc_get_socket_stats(0, &after);
	assert_true(after.heap_allocsz_bytes < before.heap_allocsz_bytes +
		    4096);
	/* worker 1 asleep (offline): only worker 0 has to report */
	rte_rcu_qsbr_thread_offline(v, 1);
	lb_core_set_active(c, true);
	assert_int_equal(lb_core_commit(c), 1);
	assert_int_equal(lb_core_reclaim(c), 0);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_core_reclaim(c), 1);
	lb_core_free(c);
	rte_free(v);
}

static void
member_slot_generation_changes_on_reuse(void **state)
{
	struct lb_core *c = core_with(2);
	struct lb_conf_member m = { .weight = 100, .has_mac = true,
				    .mac = { 2, 0, 0, 0, 0, 0x99 } };
	uint16_t gen;

	(void)state;
	gen = lb_core_member(c, 1)->gen;
	assert_int_equal(lb_core_member_remove(c, 1), 0);
	assert_null(lb_core_member(c, 1));
	snprintf(m.name, sizeof(m.name), "fe9");
	m.addr = ip4("198.51.100.19");
	assert_int_equal(lb_core_member_add(c, &m), 1);   /* slot reused */
	assert_int_not_equal(lb_core_member(c, 1)->gen, gen);
	/* names and addresses stay unique */
	assert_int_equal(lb_core_member_add(c, &m), -EEXIST);
	m.addr = ip4("192.0.2.9");
	snprintf(m.name, sizeof(m.name), "far");
	assert_int_equal(lb_core_member_add(c, &m), -EINVAL);
	lb_core_free(c);
}


/* A commit rebuilds only the tables whose members changed: 64 services,
 * one weight changed, one service's table built again; the others are
 * the very same tables. */
static void
unchanged_services_keep_their_tables(void **state)
{
	struct lb_core *c = core_with(8);
	const struct lb_snapshot *s;
	const uint16_t *before[64];
	uint64_t built;
	unsigned int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		struct lb_conf_service svc = { .vip = 0, .proto = LB_IPPROTO_TCP,
			.port_lo = (uint16_t)(1000 + i), .port_hi = (uint16_t)(1000 + i),
			.sched = i % 2 ? LB_SCHED_WRR : LB_SCHED_MAGLEV,
			.table_size = 251 };
		uint16_t bound[2] = { (uint16_t)(i % 8), (uint16_t)((i + 1) % 8) };

		snprintf(svc.name, sizeof(svc.name), "s%u", i);
		assert_int_equal(lb_core_service_add(c, &svc, bound, 2), (int)i);
	}
	assert_int_equal(lb_core_commit(c), 1);
	built = lb_core_tables_built(c);
	assert_int_equal(built, 64 + 32);       /* Maglev each, wrr half */
	s = lb_core_snapshot(c);
	for (i = 0; i < 64; i++)
		before[i] = s->services[i].maglev;

	/* member 3 is in services 2, 3 (and 10, 11, ...: i % 8 in {2, 3}) */
	assert_int_equal(lb_core_member_set_weight(c, 3, 300), 0);
	assert_int_equal(lb_core_commit(c), 1);
	s = lb_core_snapshot(c);
	for (i = 0; i < 64; i++) {
		bool hit = i % 8 == 2 || i % 8 == 3;

		if (hit)
			assert_ptr_not_equal(s->services[i].maglev, before[i]);
		else
			assert_ptr_equal(s->services[i].maglev, before[i]);
	}
	/* 16 services hold member 3: their Maglev and (odd ones) wrr */
	assert_int_equal(lb_core_tables_built(c) - built, 16 + 8);
	/* a change that touches no table (activity) builds none */
	built = lb_core_tables_built(c);
	lb_core_set_active(c, false);
	assert_int_equal(lb_core_commit(c), 1);
	assert_int_equal(lb_core_tables_built(c), built);
	lb_core_free(c);
}

/* A member removed with drain keeps its flows (retire), takes no new
 * ones, and stays out of the settled table. */
static void
retired_member_drains(void **state)
{
	struct lb_core *c = core_with(3);
	const struct lb_snapshot *s;
	int svc = add_service(c, "pop3", 0, LB_IPPROTO_TCP, 110, 110);
	unsigned int i;

	(void)state;
	assert_int_equal(lb_core_member_retire(c, 1), 0);
	assert_int_equal(lb_core_commit(c), 1);
	s = lb_core_snapshot(c);
	assert_int_equal(s->services[svc].mstate[1], LB_MS_RETIRE);
	assert_int_equal(s->services[svc].n_active, 2);
	for (i = 0; i < s->services[svc].table_size; i++) {
		assert_int_not_equal(s->services[svc].maglev[i], 1);
		assert_int_not_equal(s->services[svc].settled[i], 1);
	}
	assert_int_equal(s->services[svc].active_list[0], 0);
	assert_int_equal(s->services[svc].active_list[1], 2);
	/* persistence off: no records */
	assert_null(s->services[svc].persist);
	assert_int_equal(s->services[svc].persist_s, 0);
	lb_core_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_address_table),
		cmocka_unit_test(snapshot_port_precedence),
		cmocka_unit_test(snapshot_member_states),
		cmocka_unit_test(snapshot_service_bound_members_only),
		cmocka_unit_test(core_commit_publishes_on_change_only),
		cmocka_unit_test(core_reclaims_snapshot_only_after_every_worker_reported),
		cmocka_unit_test(member_slot_generation_changes_on_reuse),
		cmocka_unit_test(unchanged_services_keep_their_tables),
		cmocka_unit_test(retired_member_drains),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
