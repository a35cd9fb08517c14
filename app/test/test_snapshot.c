/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Snapshot building from the core state: the address table, port-range
 * precedence, per-service member states and Maglev tables, publication.
 * Needs the EAL (snapshots live in rte_malloc memory). */

#include <errno.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lb_config.h"
#include "lb_core.h"
#include "test_util.h"

static struct lb_core *
core_with(unsigned int n_members)
{
	struct lb_core_params p = { .qsbr = NULL, .socket_id = -1 };
	struct lb_conf_port port = { .name = "lan0", .prefix = 24 };
	struct lb_core *c = lb_core_create(&p);
	struct lb_ip vips[2] = { ipx("198.51.100.100"), ipx("198.51.100.101") };
	unsigned int i;

	assert_non_null(c);
	port.addr = ip4("198.51.100.2");
	assert_int_equal(lb_core_port_add(c, &port, 0, mac_port), 0);
	assert_int_equal(lb_core_vips_set(c, vips, 2), 0);
	for (i = 0; i < n_members; i++) {
		struct lb_conf_member m = { .weight = 100, .has_mac = true,
			.mac = { 2, 0, 0, 0, 0, (uint8_t)(0x11 + i) } };

		snprintf(m.name, sizeof(m.name), "fe%u", i + 1);
		m.addr = lb_ip_from4(htonl(0xc6336400u | (11 + i)));
		assert_int_equal(lb_core_member_add(c, &m), (int)i);
	}
	return c;
}

static int
add_service(struct lb_core *c, const char *name, uint32_t vip, uint8_t proto,
	    uint16_t lo, uint16_t hi)
{
	struct lb_conf_service s = {
		.vip = vip != 0 ? lb_ip_from4(vip) : (struct lb_ip){ { 0 } },
		.proto = proto,
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
	assert_ip_equal(s->vips[a->idx].addr, "198.51.100.101");
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

/* IPv6 VIPs: in the IPv6 address table (never the IPv4 one), with the
 * port ranges of services on every VIP, or of their own service */
static void
snapshot_ipv6_vips(void **state)
{
	struct lb_core *c = core_with(2);
	struct lb_ip v6 = ipx("2001:db8::100"), v6b = ipx("2001:db8::101");
	struct lb_conf_error err;
	struct lb_conf_service svc = { .vip = v6, .proto = LB_IPPROTO_TCP,
		.port_lo = 143, .port_hi = 143, .sched = LB_SCHED_MAGLEV,
		.table_size = 251 };
	const struct lb_addr6_slot *a;
	const struct lb_range *r;
	struct lb_snapshot *s;
	int all, own;

	(void)state;
	assert_int_equal(lb_core_vip_add(c, &v6, 127, "t", &err), 2);
	all = add_service(c, "pop3", 0, LB_IPPROTO_TCP, 110, 110);
	snprintf(svc.name, sizeof(svc.name), "imap6");
	own = lb_core_service_add(c, &svc, NULL, 0);
	assert_true(all >= 0 && own >= 0);
	s = lb_snap_build(c);
	assert_non_null(s);
	a = lb_snap_addr6_lookup(s, v6.b);
	assert_non_null(a);
	assert_int_equal(a->kind, LB_ADDR_VIP);
	assert_ip_equal(s->vips[a->idx].addr, "2001:db8::100");
	/* the service on every VIP reaches the IPv6 VIPs too */
	r = lb_snap_range_lookup(s, &s->vips[a->idx], LB_PROTO_TCP, 110);
	assert_non_null(r);
	assert_int_equal(r->target, all);
	r = lb_snap_range_lookup(s, &s->vips[a->idx], LB_PROTO_TCP, 143);
	assert_non_null(r);
	assert_int_equal(r->target, own);
	/* ::101 has no service of its own */
	a = lb_snap_addr6_lookup(s, v6b.b);
	assert_non_null(a);
	assert_null(lb_snap_range_lookup(s, &s->vips[a->idx], LB_PROTO_TCP,
					 143));
	assert_non_null(lb_snap_range_lookup(s, &s->vips[a->idx],
					     LB_PROTO_TCP, 110));
	/* its IPv4 image is no address of ours, and the last four bytes
	 * of an IPv4 VIP are no IPv6 VIP */
	assert_null(lb_snap_addr_lookup(s, lb_ip_v4(&v6)));
	v6b = lb_ip_from4(ip4("198.51.100.100"));
	assert_null(lb_snap_addr6_lookup(s, v6b.b));
	v6b = ipx("2001:db8::102");
	assert_null(lb_snap_addr6_lookup(s, v6b.b));
	assert_null(lb_snap_addr6_lookup(s, (const uint8_t[16]){ 0 }));
	lb_snap_free(s);
	/* a VIP a service names stays; the block goes with the service */
	assert_int_equal(lb_core_vip_remove(c, &v6, 127, "t", &err), -EBUSY);
	assert_non_null(strstr(err.msg, "2001:db8::100 is the VIP of service \"imap6\""));
	assert_int_equal(lb_core_service_remove(c, (unsigned int)own), 0);
	assert_int_equal(lb_core_vip_remove(c, &v6, 127, "t", &err), 2);
	assert_false(lb_core_is_vip(c, &v6));
	assert_true(lb_core_is_vip4(c, ip4("198.51.100.100")));
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
	m.addr = lb_ip_from4(ip4("198.51.100.19"));
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
	nomac.addr = lb_ip_from4(ip4("198.51.100.17"));
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
		.addr = ipx("198.51.100.19") }) == 7);
	lb_core_member_set_mac(c, 7, NULL);
	s = lb_snap_build(c);
	assert_int_equal(s->services[svc].mstate[7], LB_MS_NONE);
	assert_ptr_equal(s->services[svc].settled, s->services[svc].maglev);
	lb_snap_free(s);
	lb_core_free(c);
}

/* A running balancer's service whose check changes, by a reload or a
 * service.update: its members keep their verdicts (lib/health decides
 * again from them), whether the schedule or the probe changed; none is
 * reset to "down until checked", which moved their flows. */
static void
core_check_change_keeps_member_health(void **state)
{
	struct lb_core *c = core_with(4);
	struct lb_conf_service s = { .name = "pop3", .proto = LB_IPPROTO_TCP,
		.port_lo = 110, .port_hi = 110, .sched = LB_SCHED_MAGLEV,
		.table_size = 251,
		.check = { .type = LB_CHECK_TCP, .rise = 2, .fall = 3,
			   .interval_ms = 2000, .timeout_ms = 1000 } };
	struct lb_conf_error err = { 0 };
	const struct lb_core_service *cs;
	unsigned int m, round;
	int svc;

	(void)state;
	lb_core_set_started(c);
	svc = lb_core_service_create(c, &s, "test", &err);
	assert_true(svc >= 0);
	cs = lb_core_service(c, (unsigned int)svc);
	/* started and checked: every member down until its check passes */
	for (m = 0; m < 4; m++)
		assert_int_equal(cs->health[m], LB_HEALTH_DOWN);
	for (m = 0; m < 4; m++)
		if (m != 2)
			lb_core_health_set(c, (unsigned int)svc, m,
					   LB_HEALTH_UP);
	for (round = 0; round < 3; round++) {
		if (round == 0)        /* the schedule */
			s.check.interval_ms = 3000;
		else if (round == 1)   /* the probe */
			s.check.type = LB_CHECK_POP3;
		else                   /* the port it connects to */
			s.check.port = 995;
		assert_int_equal(lb_core_service_update(c, (unsigned int)svc,
							&s, "test", &err), 0);
		cs = lb_core_service(c, (unsigned int)svc);
		for (m = 0; m < 4; m++)
			assert_int_equal(cs->health[m], m == 2 ?
					 LB_HEALTH_DOWN : LB_HEALTH_UP);
	}
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
	assert_int_equal(lb_core_vips_set(c, (struct lb_ip[]){ ipx("198.51.100.100") }, 1), 0);
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
	uint32_t gen;

	(void)state;
	gen = lb_core_member(c, 1)->gen;
	assert_int_equal(lb_core_member_remove(c, 1), 0);
	assert_null(lb_core_member(c, 1));
	snprintf(m.name, sizeof(m.name), "fe9");
	m.addr = lb_ip_from4(ip4("198.51.100.19"));
	assert_int_equal(lb_core_member_add(c, &m), 1);   /* slot reused */
	assert_int_not_equal(lb_core_member(c, 1)->gen, gen);
	/* names and addresses stay unique */
	assert_int_equal(lb_core_member_add(c, &m), -EEXIST);
	m.addr = lb_ip_from4(ip4("192.0.2.9"));
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
		struct lb_conf_service svc = { .proto = LB_IPPROTO_TCP,
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

/* ---- the same tables on every balancer (issue 8, ECMP) ----
 *
 * Behind an ECMP router any packet of a flow may reach any balancer, and
 * one without the flow's entry sends it where the consistent hash says:
 * every balancer with the same configuration must build the same tables,
 * whatever order members and services were added, changed or removed in.
 * Table entries are member slots, which differ from one balancer to the
 * next: the tables are compared by member name.
 */

/* Members of the pool by name: the address is part of the name's
 * configuration, so a name has the same address on every balancer. */
static uint32_t
ha_addr(const char *name)
{
	static const char *const names[] = {
		"x", "y", "z", "w", "v", "t", "tmp1", "tmp2", "tmp3", "tmp4",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(names); i++)
		if (strcmp(names[i], name) == 0)
			return htonl(0xc6336400u | (20 + i));
	fail_msg("no address for member %s", name);
	return 0;
}

/* Add a member; resolving: no static MAC (its MAC is being resolved). */
static int
ha_member(struct lb_core *c, const char *name, uint32_t weight, bool resolving)
{
	struct lb_conf_member m = { .weight = weight, .has_mac = !resolving };
	int slot;

	snprintf(m.name, sizeof(m.name), "%s", name);
	m.addr = lb_ip_from4(ha_addr(name));
	m.mac[0] = 2;
	m.mac[5] = (uint8_t)(ntohl(ha_addr(name)) & 0xff);
	slot = lb_core_member_add(c, &m);
	assert_true(slot >= 0);
	return slot;
}

static int
ha_find(const struct lb_core *c, const char *name)
{
	int slot = lb_core_member_find(c, name);

	assert_true(slot >= 0);
	return slot;
}

/* The services of the configuration, the same settings on every
 * balancer; their members are bound by ha_service(). */
enum { HA_WEB, HA_ALL, HA_PERS, HA_SH, HA_DNS, HA_SERVICES };

static struct lb_conf_service
ha_service_conf(unsigned int which)
{
	static const struct lb_conf_service conf[HA_SERVICES] = {
		[HA_WEB] = { .name = "web", .proto = LB_IPPROTO_TCP,
			.port_lo = 80, .port_hi = 80, .sched = LB_SCHED_MAGLEV,
			.table_size = 1009 },
		[HA_ALL] = { .name = "all", .proto = LB_IPPROTO_TCP,
			.port_lo = 443, .port_hi = 443,
			.sched = LB_SCHED_MAGLEV, .table_size = 251 },
		[HA_PERS] = { .name = "pers", .proto = LB_IPPROTO_TCP,
			.port_lo = 8080, .port_hi = 8080,
			.sched = LB_SCHED_MAGLEV, .table_size = 1009,
			.persistence = 300, .persist_prefix = 24 },
		[HA_SH] = { .name = "sh", .proto = LB_IPPROTO_UDP,
			.port_lo = 5060, .port_hi = 5060, .sched = LB_SCHED_SH,
			.table_size = 1009 },
		[HA_DNS] = { .name = "dns", .proto = LB_IPPROTO_UDP,
			.port_lo = 53, .port_hi = 53, .sched = LB_SCHED_MAGLEV,
			.stateless = true,
			.hash_fields = LB_HASH_F_SRC_IP | LB_HASH_F_SRC_PORT,
			.table_size = 251 },
	};

	return conf[which];
}

/* Create (slot < 0) or update a service with a member list given as a
 * string of names separated by spaces ("" none, NULL every member). */
static int
ha_service(struct lb_core *c, unsigned int which, const char *members)
{
	struct lb_conf_service s = ha_service_conf(which);
	char list[16][LB_NAME_MAX];
	char buf[128], *save = NULL, *tok;
	struct lb_conf_error err = { 0 };
	unsigned int n = 0;
	int slot, rc;

	if (members != NULL) {
		snprintf(buf, sizeof(buf), "%s", members);
		for (tok = strtok_r(buf, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save))
			snprintf(list[n++], LB_NAME_MAX, "%s", tok);
		s.members = list;
		s.n_members = (uint16_t)n;   /* "": a list of none */
	}
	slot = lb_core_service_find(c, s.name);
	if (slot < 0)
		rc = lb_core_service_create(c, &s, "test", &err);
	else
		rc = lb_core_service_update(c, (unsigned int)slot, &s, "test",
					    &err);
	if (rc < 0)
		fail_msg("service %s: %s", s.name, err.msg);
	return slot < 0 ? rc : slot;
}

static void
ha_health(struct lb_core *c, unsigned int which, const char *member,
	  enum lb_health h)
{
	int svc = lb_core_service_find(c, ha_service_conf(which).name);

	assert_true(svc >= 0);
	lb_core_health_set(c, (unsigned int)svc,
			   (unsigned int)ha_find(c, member), h);
}

static void
ha_commit(struct lb_core *c)
{
	assert_true(lb_core_commit(c) >= 0);
}

static const char *
slot_name(const struct lb_core *c, uint16_t slot)
{
	const struct lb_core_member *m;

	if (slot == LB_SCHED_NONE)
		return "(none)";
	m = lb_core_member(c, slot);
	if (m == NULL)
		fail_msg("table entry %u is no member", slot);
	return m->conf.name;
}

/* Add to diff the entries of two tables naming different members; the
 * first difference of a comparison is printed. */
static void
table_diff(const char *what, const struct lb_core *ca, const uint16_t *ta,
	   const struct lb_core *cb, const uint16_t *tb, uint32_t size,
	   unsigned int *diff)
{
	unsigned int i;

	for (i = 0; i < size; i++) {
		const char *a = slot_name(ca, ta[i]);
		const char *b = slot_name(cb, tb[i]);

		if (strcmp(a, b) == 0)
			continue;
		if (*diff == 0)
			print_message("%s: entry %u is %s (slot %u) and %s (slot %u)\n",
				      what, i, a, ta[i], b, tb[i]);
		(*diff)++;
	}
}

/* The flows the tuple comparison sends: 8 clients per /24, so that a
 * persistence service (client prefix 24) sees several per record. */
enum { HA_TUPLES = 4000 };

static struct lb_tuple
ha_tuple(unsigned int i, const struct lb_conf_service *cs, uint32_t vip)
{
	return (struct lb_tuple){
		.src_ip = htonl(0x0a000000u | (i / 8) << 8 |
				((i * 37u + 11) & 0xff)),
		.dst_ip = lb_ip_is_unset(&cs->vip) ? vip : lb_ip_v4(&cs->vip),
		.src_port = (uint16_t)(1024 + (i * 7919u) % 64000),
		.dst_port = cs->port_lo,
		.proto = cs->proto,
	};
}

/* The hash the data path looks a flow up with (lib/dp/dp_internal.h,
 * classify_l4() and consistent_sig(): a stateless service's hash_fields;
 * else the masked client with persistence, the client for sh, the whole
 * tuple otherwise). */
static uint32_t
ha_sig(const struct lb_snap_service *ss, const struct lb_tuple *k)
{
	if (ss->stateless)
		return lb_tuple_hash_fields(k, ss->hash_fields);
	if (ss->persist_s != 0)
		return lb_tuple_hash(&(struct lb_tuple){
			.src_ip = k->src_ip & ss->persist_mask,
			.proto = k->proto });
	if (ss->sched == LB_SCHED_SH)
		return lb_tuple_hash_fields(k, LB_HASH_F_SRC_IP);
	return lb_tuple_hash(k);
}

/*
 * Compare what two cores publish, service by service (by name): the
 * Maglev table and the settled one entry by entry, and the member
 * HA_TUPLES flows go to, by member name. Returns the number of
 * differences (0: a flow reaches the same member through either).
 */
static unsigned int
snapshots_diff(const struct lb_core *ca, const struct lb_core *cb)
{
	const struct lb_snapshot *sa = lb_core_snapshot(ca);
	const struct lb_snapshot *sb = lb_core_snapshot(cb);
	uint32_t vip = ip4("198.51.100.100");
	unsigned int w, i, diff = 0;

	assert_non_null(sa);
	assert_non_null(sb);
	for (w = 0; w < HA_SERVICES; w++) {
		struct lb_conf_service conf = ha_service_conf(w);
		int a = lb_core_service_find(ca, conf.name);
		int b = lb_core_service_find(cb, conf.name);
		const struct lb_snap_service *xa, *xb;
		char what[64];

		assert_true(a >= 0 && b >= 0);
		xa = &sa->services[a];
		xb = &sb->services[b];
		assert_true(xa->valid && xb->valid);
		assert_int_equal(xa->table_size, conf.table_size);
		assert_int_equal(xb->table_size, conf.table_size);
		assert_int_equal(xa->persist_s, xb->persist_s);
		assert_int_equal(xa->persist_mask, xb->persist_mask);
		snprintf(what, sizeof(what), "service %s, maglev", conf.name);
		table_diff(what, ca, xa->maglev, cb, xb->maglev,
			   conf.table_size, &diff);
		snprintf(what, sizeof(what), "service %s, settled", conf.name);
		table_diff(what, ca, xa->settled, cb, xb->settled,
			   conf.table_size, &diff);
		for (i = 0; i < HA_TUPLES; i++) {
			struct lb_tuple k = ha_tuple(i, &conf, vip);
			uint32_t sig_a = ha_sig(xa, &k), sig_b = ha_sig(xb, &k);
			const char *na, *nb;

			assert_int_equal(sig_a, sig_b);
			na = slot_name(ca, lb_maglev_lookup(xa->settled,
					xa->table_size, sig_a));
			nb = slot_name(cb, lb_maglev_lookup(xb->settled,
					xb->table_size, sig_b));
			if (strcmp(na, nb) != 0) {
				if (diff == 0)
					print_message("service %s: flow %u goes to %s and %s\n",
						      conf.name, i, na, nb);
				diff++;
			}
			na = slot_name(ca, lb_maglev_lookup(xa->maglev,
					xa->table_size, sig_a));
			nb = slot_name(cb, lb_maglev_lookup(xb->maglev,
					xb->table_size, sig_b));
			diff += strcmp(na, nb) != 0;
		}
	}
	return diff;
}

/* The configuration every history below reaches:
 *   members x (weight 200), y (50), z, w (MAC being resolved), v, t
 *   (drain), weight 100 unless said;
 *   web: x y z w v; all: every member; pers: x y z (persistence /24);
 *   sh: every member (sh); dns: y z w (stateless UDP);
 *   v's health down in web and all. */

/* A: the natural order. x, y, services, then z, then the rest; x's
 * weight changed before y's; x is disabled for a while. */
static struct lb_core *
ha_history_a(void)
{
	struct lb_core *c = core_with(0);

	ha_member(c, "x", 100, false);
	ha_member(c, "y", 100, false);
	ha_service(c, HA_WEB, "x y");
	ha_service(c, HA_ALL, NULL);
	ha_service(c, HA_PERS, "x y");
	ha_service(c, HA_SH, NULL);
	ha_service(c, HA_DNS, "y");
	ha_commit(c);
	ha_member(c, "z", 100, false);
	ha_service(c, HA_WEB, "x y z");
	ha_service(c, HA_PERS, "x y z");
	ha_service(c, HA_DNS, "y z");
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "x"),
						   200), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "y"),
						   50), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_state(c, (unsigned int)ha_find(c, "x"),
						  LB_ADMIN_DISABLED), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_state(c, (unsigned int)ha_find(c, "x"),
						  LB_ADMIN_UP), 0);
	ha_commit(c);
	ha_member(c, "w", 100, true);
	ha_member(c, "v", 100, false);
	ha_member(c, "t", 100, false);
	ha_service(c, HA_WEB, "x y z w v");
	ha_service(c, HA_DNS, "y z w");
	assert_int_equal(lb_core_member_set_state(c, (unsigned int)ha_find(c, "t"),
						  LB_ADMIN_DRAIN), 0);
	ha_health(c, HA_WEB, "v", LB_HEALTH_DOWN);
	ha_health(c, HA_ALL, "v", LB_HEALTH_DOWN);
	ha_commit(c);
	return c;
}

/* B: the reverse. z first, then t, v, w, y, x; services created in
 * another order (other service slots) with their lists in other orders;
 * x's weight set twice, y's before it; v goes down service by service. */
static struct lb_core *
ha_history_b(void)
{
	struct lb_core *c = core_with(0);

	ha_member(c, "z", 100, false);
	ha_member(c, "t", 100, false);
	ha_service(c, HA_DNS, "z");
	ha_service(c, HA_SH, NULL);
	ha_commit(c);
	ha_member(c, "v", 100, false);
	ha_member(c, "w", 100, true);
	ha_member(c, "y", 100, false);
	ha_member(c, "x", 100, false);
	ha_service(c, HA_PERS, "z y x");
	ha_service(c, HA_ALL, NULL);
	ha_service(c, HA_WEB, "v w z y x");
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "y"),
						   50), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "x"),
						   300), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "x"),
						   200), 0);
	ha_service(c, HA_DNS, "w z y");
	ha_health(c, HA_ALL, "v", LB_HEALTH_DOWN);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_state(c, (unsigned int)ha_find(c, "t"),
						  LB_ADMIN_DRAIN), 0);
	ha_health(c, HA_WEB, "v", LB_HEALTH_DOWN);
	ha_commit(c);
	return c;
}

/* C: churn. Members come and go so slots are reused by other members
 * (with other generations) without a commit in between: y takes tmp1's
 * slot, and last of all z takes tmp3's, same weight, same services,
 * nothing published in between and nothing changed after (a kept table
 * must not be taken for the new member's). x's weight goes through 0; y
 * goes down in web and comes back; services start with members that
 * later go. */
static struct lb_core *
ha_history_c(void)
{
	struct lb_core *c = core_with(0);
	int tmp1, tmp3, y, z;

	tmp1 = ha_member(c, "tmp1", 50, false);
	ha_member(c, "x", 100, false);
	ha_member(c, "tmp2", 100, false);
	tmp3 = ha_member(c, "tmp3", 100, false);
	ha_service(c, HA_WEB, "tmp1 x");
	ha_service(c, HA_ALL, NULL);
	ha_service(c, HA_PERS, "x tmp2");
	ha_service(c, HA_SH, NULL);
	ha_service(c, HA_DNS, "");
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "x"),
						   0), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_set_weight(c, (unsigned int)ha_find(c, "x"),
						   200), 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_remove(c, (unsigned int)tmp1), 0);
	y = ha_member(c, "y", 50, false);
	assert_int_equal(y, tmp1);
	ha_service(c, HA_WEB, "x y tmp3");
	ha_service(c, HA_DNS, "y tmp3");
	ha_commit(c);
	/* tmp2 drains, then goes */
	assert_int_equal(lb_core_member_retire(c, (unsigned int)ha_find(c, "tmp2")),
			 0);
	ha_commit(c);
	assert_int_equal(lb_core_member_remove(c, (unsigned int)ha_find(c, "tmp2")),
			 0);
	ha_service(c, HA_PERS, "x y tmp3");
	ha_commit(c);
	/* a member that stays only a while */
	ha_member(c, "tmp4", 100, false);
	ha_commit(c);
	ha_health(c, HA_WEB, "y", LB_HEALTH_DOWN);
	ha_commit(c);
	ha_health(c, HA_WEB, "y", LB_HEALTH_UP);
	ha_commit(c);
	ha_member(c, "t", 100, false);
	ha_member(c, "v", 100, false);
	assert_int_equal(lb_core_member_remove(c, (unsigned int)ha_find(c, "tmp4")),
			 0);
	ha_member(c, "w", 100, true);
	ha_service(c, HA_WEB, "tmp3 w y v x");
	ha_service(c, HA_DNS, "tmp3 w y");
	ha_health(c, HA_WEB, "v", LB_HEALTH_DOWN);
	ha_health(c, HA_ALL, "v", LB_HEALTH_DOWN);
	assert_int_equal(lb_core_member_set_state(c, (unsigned int)ha_find(c, "t"),
						  LB_ADMIN_DRAIN), 0);
	ha_commit(c);
	/* z replaces tmp3 in its slot and in every service */
	assert_int_equal(lb_core_member_remove(c, (unsigned int)tmp3), 0);
	z = ha_member(c, "z", 100, false);
	assert_int_equal(z, tmp3);
	ha_service(c, HA_WEB, "z w y v x");
	ha_service(c, HA_PERS, "x y z");
	ha_service(c, HA_DNS, "z w y");
	ha_commit(c);
	return c;
}

/* Every history reaches the configuration: the states the tables
 * depend on, checked by name, so the comparison compares the same
 * configuration. */
static void
ha_check_state(const struct lb_core *c)
{
	const struct lb_snapshot *s = lb_core_snapshot(c);
	int web = lb_core_service_find(c, "web");
	int all = lb_core_service_find(c, "all");
	const uint16_t *t;
	bool seen_w = false;
	unsigned int i;

	assert_non_null(s);
	assert_true(web >= 0 && all >= 0);
	assert_int_equal(lb_core_member(c, (unsigned int)ha_find(c, "x"))->conf.weight,
			 200);
	assert_int_equal(lb_core_member(c, (unsigned int)ha_find(c, "y"))->conf.weight,
			 50);
	assert_int_equal(lb_core_member_find(c, "tmp1"), -ENOENT);
	assert_int_equal(lb_core_member_find(c, "tmp4"), -ENOENT);
	assert_int_equal(s->services[web].n_active, 3);   /* x y z */
	assert_int_equal(s->services[all].n_active, 3);
	assert_int_equal(s->services[web].mstate[ha_find(c, "v")], LB_MS_NONE);
	assert_int_equal(s->services[web].mstate[ha_find(c, "w")], LB_MS_WAIT);
	/* w's MAC is awaited: it is in the settled table only */
	assert_ptr_not_equal(s->services[web].settled, s->services[web].maglev);
	t = s->services[web].settled;
	for (i = 0; i < s->services[web].table_size; i++) {
		assert_int_not_equal(t[i], ha_find(c, "v"));
		assert_int_not_equal(t[i], ha_find(c, "t"));
		assert_int_not_equal(s->services[web].maglev[i], ha_find(c, "w"));
		seen_w |= t[i] == ha_find(c, "w");
	}
	assert_true(seen_w);
}

static void
ha_tables_independent_of_history(void **state)
{
	struct lb_core *c[3] = { ha_history_a(), ha_history_b(), ha_history_c() };
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++)
		ha_check_state(c[i]);
	/* the slots differ, so equal tables are no accident of numbering */
	assert_int_not_equal(ha_find(c[0], "x"), ha_find(c[1], "x"));
	assert_int_not_equal(ha_find(c[0], "z"), ha_find(c[1], "z"));
	assert_int_not_equal(ha_find(c[0], "y"), ha_find(c[2], "y"));
	assert_int_not_equal(lb_core_service_find(c[0], "web"),
			     lb_core_service_find(c[1], "web"));
	assert_int_equal(snapshots_diff(c[0], c[1]), 0);
	assert_int_equal(snapshots_diff(c[0], c[2]), 0);
	assert_int_equal(snapshots_diff(c[1], c[2]), 0);
	for (i = 0; i < 3; i++)
		lb_core_free(c[i]);
}

/* The comparison sees a difference where there is one (one weight, one
 * member's health on one balancer), and none once the change is undone:
 * the kept tables after the round trip are again the others'. */
static void
ha_tables_differ_when_membership_differs(void **state)
{
	struct lb_core *a = ha_history_a(), *b = ha_history_b();
	unsigned int y = (unsigned int)ha_find(b, "y");
	int web = lb_core_service_find(b, "web");

	(void)state;
	assert_int_equal(snapshots_diff(a, b), 0);
	assert_int_equal(lb_core_member_set_weight(b, y, 51), 0);
	ha_commit(b);
	assert_true(snapshots_diff(a, b) > 0);
	assert_int_equal(lb_core_member_set_weight(b, y, 50), 0);
	ha_commit(b);
	assert_int_equal(snapshots_diff(a, b), 0);
	lb_core_health_set(b, (unsigned int)web, y, LB_HEALTH_DOWN);
	ha_commit(b);
	assert_true(snapshots_diff(a, b) > 0);
	lb_core_health_set(b, (unsigned int)web, y, LB_HEALTH_UP);
	ha_commit(b);
	assert_int_equal(snapshots_diff(a, b), 0);
	lb_core_free(a);
	lb_core_free(b);
}

/* Persistence hashes the masked client: every client of a /24 goes to
 * one member, the same on every balancer, and a client of another /24
 * may go elsewhere. */
static void
ha_persistence_same_member_per_prefix(void **state)
{
	struct lb_core *a = ha_history_a(), *c = ha_history_c();
	struct lb_conf_service conf = ha_service_conf(HA_PERS);
	const struct lb_snapshot *sa = lb_core_snapshot(a);
	const struct lb_snapshot *sc = lb_core_snapshot(c);
	const struct lb_snap_service *xa, *xc;
	uint32_t vip = ip4("198.51.100.100");
	unsigned int i, seen[3] = { 0 };
	const char *first = NULL;

	(void)state;
	xa = &sa->services[lb_core_service_find(a, "pers")];
	xc = &sc->services[lb_core_service_find(c, "pers")];
	assert_int_equal(xa->persist_s, 300);
	for (i = 0; i < HA_TUPLES; i++) {
		struct lb_tuple k = ha_tuple(i, &conf, vip);
		const char *na = slot_name(a, lb_maglev_lookup(xa->settled,
				xa->table_size, ha_sig(xa, &k)));
		const char *nc = slot_name(c, lb_maglev_lookup(xc->settled,
				xc->table_size, ha_sig(xc, &k)));

		assert_string_equal(na, nc);
		if (i % 8 == 0)
			first = na;
		else
			assert_string_equal(na, first);   /* same /24 */
		seen[na[0] == 'x' ? 0 : na[0] == 'y' ? 1 : 2]++;
	}
	/* x, y and z all get clients */
	for (i = 0; i < 3; i++)
		assert_true(seen[i] > 0);
	lb_core_free(a);
	lb_core_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_address_table),
		cmocka_unit_test(snapshot_ipv6_vips),
		cmocka_unit_test(snapshot_port_precedence),
		cmocka_unit_test(snapshot_member_states),
		cmocka_unit_test(snapshot_service_bound_members_only),
		cmocka_unit_test(core_check_change_keeps_member_health),
		cmocka_unit_test(core_commit_publishes_on_change_only),
		cmocka_unit_test(core_reclaims_snapshot_only_after_every_worker_reported),
		cmocka_unit_test(member_slot_generation_changes_on_reuse),
		cmocka_unit_test(unchanged_services_keep_their_tables),
		cmocka_unit_test(retired_member_drains),
		cmocka_unit_test(ha_tables_independent_of_history),
		cmocka_unit_test(ha_tables_differ_when_membership_differs),
		cmocka_unit_test(ha_persistence_same_member_per_prefix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
