/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The neighbor table: resolution, refresh before expiry, loss, retry,
 * learning and aging, driven with explicit times. No EAL. */

#include "lb_neigh.h"
#include "test_util.h"

struct record {
	unsigned int requests;
	unsigned int unicast;
	unsigned int changed;
	bool last_usable;
};

static void
on_request(void *ctx, const struct lb_neigh *n, bool unicast)
{
	struct record *r = ctx;

	(void)n;
	r->requests++;
	r->unicast += unicast;
}

static void
on_changed(void *ctx, const struct lb_neigh *n)
{
	struct record *r = ctx;

	r->changed++;
	r->last_usable = lb_neigh_usable(n);
}

static const struct lb_neigh_params params = LB_NEIGH_PARAMS_DEFAULT;
static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0xb };

static void
neigh_resolves_with_broadcast_requests(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh *n;

	(void)state;
	assert_int_equal(lb_neigh_init(&t, 16, &params), 0);
	n = lb_neigh_want(&t, ip4("198.51.100.11"), 0, 1000);
	assert_non_null(n);
	assert_int_equal(n->state, LB_NEIGH_INCOMPLETE);
	lb_neigh_run(&t, 1000, &ops);
	assert_int_equal(r.requests, 1);
	assert_int_equal(r.unicast, 0);
	lb_neigh_run(&t, 1500, &ops);          /* not yet due */
	assert_int_equal(r.requests, 1);
	lb_neigh_run(&t, 2000, &ops);
	assert_int_equal(r.requests, 2);
	lb_neigh_learn(&t, ip4("198.51.100.11"), mac_a, 0, true, 2100, &ops);
	assert_int_equal(r.changed, 1);
	assert_true(r.last_usable);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);
	assert_memory_equal(n->mac, mac_a, 6);
	lb_neigh_fini(&t);
}

static void
neigh_refreshes_before_expiry_with_unicast(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh *n;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	n = lb_neigh_want(&t, ip4("198.51.100.11"), 0, 0);
	lb_neigh_learn(&t, n->addr, mac_a, 0, true, 0, &ops);
	r.requests = 0;
	lb_neigh_run(&t, 44999, &ops);
	assert_int_equal(r.requests, 0);
	lb_neigh_run(&t, 45000, &ops);   /* 3/4 of the reachable time */
	assert_int_equal(n->state, LB_NEIGH_PROBE);
	assert_int_equal(r.unicast, 1);
	assert_true(lb_neigh_usable(n));     /* still used while probing */
	lb_neigh_learn(&t, n->addr, mac_a, 0, true, 45100, &ops);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);
	assert_int_equal(r.changed, 1);      /* same MAC: no change reported */
	lb_neigh_fini(&t);
}

/* Linux's NUD_STALE habit: a neighbor that stops answering ARP keeps
 * its last MAC, and the data path keeps using it, while requests go on;
 * the health checks, not ARP, decide whether the member is down. */
static void
neigh_unanswered_refresh_keeps_mac_as_stale(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh *n;
	uint64_t now;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	n = lb_neigh_want(&t, ip4("198.51.100.11"), 0, 0);
	lb_neigh_learn(&t, n->addr, mac_a, 0, true, 0, &ops);
	assert_int_equal(r.changed, 1);
	for (now = 45000; now <= 48000; now += 1000)
		lb_neigh_run(&t, now, &ops);
	assert_int_equal(n->state, LB_NEIGH_STALE);
	assert_true(lb_neigh_usable(n));
	assert_memory_equal(n->mac, mac_a, 6);
	assert_int_equal(r.changed, 2);      /* staleness is reported once */
	assert_true(r.last_usable);
	/* requests go on, broadcast (the MAC may have moved) */
	r.requests = r.unicast = 0;
	for (now = 48000; now <= 48000 + 3 * params.retry_ms; now += 500)
		lb_neigh_run(&t, now, &ops);
	assert_int_equal(r.requests, 3);
	assert_int_equal(r.unicast, 0);
	assert_int_equal(n->state, LB_NEIGH_STALE);
	assert_int_equal(r.changed, 2);
	/* an answer makes it reachable again, reported */
	lb_neigh_learn(&t, n->addr, mac_a, 0, true, now, &ops);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);
	assert_int_equal(r.changed, 3);
	/* a stale neighbor that answers from another MAC moves */
	for (now += 45000; n->state != LB_NEIGH_STALE; now += 1000)
		lb_neigh_run(&t, now, &ops);
	lb_neigh_learn(&t, n->addr, mac_b, 0, true, now, &ops);
	assert_memory_equal(n->mac, mac_b, 6);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);
	lb_neigh_fini(&t);
}

/* A neighbor that never answered has no MAC: its owner is told once
 * that resolution failed, and requests go on. */
static void
neigh_unresolved_fails_once_and_retries(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh *n;
	uint64_t now;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	n = lb_neigh_want(&t, ip4("198.51.100.11"), 0, 0);
	for (now = 0; now <= 20000; now += 500)
		lb_neigh_run(&t, now, &ops);
	assert_false(lb_neigh_usable(n));
	assert_int_equal(r.changed, 1);      /* failed: reported once */
	assert_false(r.last_usable);
	assert_true(r.requests >= 6);        /* rounds keep going */
	lb_neigh_learn(&t, n->addr, mac_a, 0, true, now, &ops);
	assert_int_equal(r.changed, 2);
	assert_true(r.last_usable);
	lb_neigh_fini(&t);
}

static void
neigh_mac_change_is_reported(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };

	(void)state;
	lb_neigh_init(&t, 16, &params);
	lb_neigh_want(&t, ip4("198.51.100.11"), 0, 0);
	lb_neigh_learn(&t, ip4("198.51.100.11"), mac_a, 0, true, 10, &ops);
	lb_neigh_learn(&t, ip4("198.51.100.11"), mac_b, 0, true, 20, &ops);
	assert_int_equal(r.changed, 2);
	assert_memory_equal(lb_neigh_find(&t, ip4("198.51.100.11"))->mac,
			    mac_b, 6);
	lb_neigh_fini(&t);
}

static void
neigh_learnt_entries_age_out_and_make_room(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	uint32_t i;

	(void)state;
	lb_neigh_init(&t, 4, &params);
	lb_neigh_want(&t, ip4("198.51.100.11"), 0, 0);
	for (i = 0; i < 5; i++)   /* one more than fits: the oldest goes */
		lb_neigh_learn(&t, htonl(0xc6336450u + i), mac_a, 0, true,
			       100 + i, &ops);
	assert_int_equal(t.n, 4);
	assert_non_null(lb_neigh_find(&t, ip4("198.51.100.11")));  /* wanted */
	assert_null(lb_neigh_find(&t, htonl(0xc6336450u)));
	assert_int_equal(r.changed, 0);      /* unwanted: nothing reported */
	lb_neigh_run(&t, 100 + params.learnt_ttl_ms + 10, &ops);
	assert_int_equal(t.n, 1);
	/* create=false does not add */
	lb_neigh_learn(&t, ip4("198.51.100.99"), mac_a, 0, false, 0, &ops);
	assert_null(lb_neigh_find(&t, ip4("198.51.100.99")));
	lb_neigh_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(neigh_resolves_with_broadcast_requests),
		cmocka_unit_test(neigh_refreshes_before_expiry_with_unicast),
		cmocka_unit_test(neigh_unanswered_refresh_keeps_mac_as_stale),
		cmocka_unit_test(neigh_unresolved_fails_once_and_retries),
		cmocka_unit_test(neigh_mac_change_is_reported),
		cmocka_unit_test(neigh_learnt_entries_age_out_and_make_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
