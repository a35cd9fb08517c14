/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The neighbor table: resolution, refresh before expiry, loss, retry,
 * learning and aging, driven with explicit times. No EAL. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "lb_neigh.h"
#include "lb_pkt6.h"
#include "test_util.h"

struct record {
	unsigned int requests;
	unsigned int unicast;
	unsigned int changed;
	bool last_usable;
	uint8_t last_state;
	unsigned int last_unanswered;
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
	r->last_state = n->state;
	r->last_unanswered = n->unanswered;
}

static const struct lb_neigh_params params = LB_NEIGH_PARAMS_DEFAULT;

/* An address of either family as text. */
static struct lb_ip
ipa(const char *s)
{
	struct lb_ip a;
	uint32_t v4;

	if (inet_pton(AF_INET, s, &v4) == 1)
		return lb_ip_from4(v4);
	if (inet_pton(AF_INET6, s, a.b) != 1)
		fail_msg("test address \"%s\" does not parse", s);
	return a;
}

/* An address of either family, for the table's calls: a few live at
 * once (a call may take two). */
static const struct lb_ip *
na(const char *s)
{
	static struct lb_ip ring[8];
	static unsigned int k;
	struct lb_ip *a = &ring[k++ % 8];

	*a = ipa(s);
	return a;
}

/* The same for an IPv4 address in network order. */
static const struct lb_ip *
na4(uint32_t addr)
{
	static struct lb_ip ring[8];
	static unsigned int k;
	struct lb_ip *a = &ring[k++ % 8];

	*a = lb_ip_from4(addr);
	return a;
}
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
	n = lb_neigh_want(&t, na("198.51.100.11"), 0, 1000);
	assert_non_null(n);
	assert_int_equal(n->state, LB_NEIGH_INCOMPLETE);
	lb_neigh_run(&t, 1000, &ops);
	assert_int_equal(r.requests, 1);
	assert_int_equal(r.unicast, 0);
	lb_neigh_run(&t, 1500, &ops);          /* not yet due */
	assert_int_equal(r.requests, 1);
	lb_neigh_run(&t, 2000, &ops);
	assert_int_equal(r.requests, 2);
	lb_neigh_learn(&t, na("198.51.100.11"), mac_a, 0, true, 2100, &ops);
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
	n = lb_neigh_want(&t, na("198.51.100.11"), 0, 0);
	lb_neigh_learn(&t, &n->addr, mac_a, 0, true, 0, &ops);
	r.requests = 0;
	lb_neigh_run(&t, 44999, &ops);
	assert_int_equal(r.requests, 0);
	lb_neigh_run(&t, 45000, &ops);   /* 3/4 of the reachable time */
	assert_int_equal(n->state, LB_NEIGH_PROBE);
	assert_int_equal(r.unicast, 1);
	assert_true(lb_neigh_usable(n));     /* still used while probing */
	lb_neigh_learn(&t, &n->addr, mac_a, 0, true, 45100, &ops);
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
	n = lb_neigh_want(&t, na("198.51.100.11"), 0, 0);
	lb_neigh_learn(&t, &n->addr, mac_a, 0, true, 0, &ops);
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
	lb_neigh_learn(&t, &n->addr, mac_a, 0, true, now, &ops);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);
	assert_int_equal(r.changed, 3);
	/* a stale neighbor that answers from another MAC moves */
	for (now += 45000; n->state != LB_NEIGH_STALE; now += 1000)
		lb_neigh_run(&t, now, &ops);
	lb_neigh_learn(&t, &n->addr, mac_b, 0, true, now, &ops);
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
	n = lb_neigh_want(&t, na("198.51.100.11"), 0, 0);
	for (now = 0; now <= 20000; now += 500)
		lb_neigh_run(&t, now, &ops);
	assert_false(lb_neigh_usable(n));
	assert_int_equal(r.changed, 1);      /* failed: reported once */
	assert_false(r.last_usable);
	assert_int_equal(r.last_unanswered, 0);   /* never had a MAC */
	assert_true(r.requests >= 6);        /* rounds keep going */
	lb_neigh_learn(&t, &n->addr, mac_a, 0, true, now, &ops);
	assert_int_equal(r.changed, 2);
	assert_true(r.last_usable);
	lb_neigh_fini(&t);
}

/* A neighbor confirmed at 0 with default timing is stale at 48000:
 * refreshing starts at 45000, three unicast probes 1 s apart go
 * unanswered. Its broadcast retries are then due every retry_ms. */
#define STALE_AT 48000

static struct lb_neigh *
want_until_stale(struct lb_neigh_table *t, uint8_t keep_stale,
		 const struct lb_neigh_ops *ops, struct record *r)
{
	const struct lb_ip a = ipa("198.51.100.11");
	const uint8_t port = 0;
	struct lb_neigh *n;
	uint64_t now;

	assert_int_equal(lb_neigh_sync(t, &a, &port, &keep_stale, 1, 0), 0);
	n = lb_neigh_find(t, &a);
	lb_neigh_learn(t, &a, mac_a, 0, true, 0, ops);
	for (now = 45000; now <= STALE_AT; now += 1000)
		lb_neigh_run(t, now, ops);
	assert_int_equal(n->state, LB_NEIGH_STALE);
	assert_int_equal(r->changed, 2);     /* resolved, then stale */
	assert_int_equal(n->unanswered, 0);
	r->requests = r->unicast = 0;
	return n;
}

/* Issue 17: a member no health check covers must not keep a dead MAC
 * for ever. Stale, it is asked stale_retries more times (broadcast,
 * retry_ms apart); when the last one has had its retry_ms unanswered,
 * and not before, it fails: no MAC, reported once with the number of
 * unanswered requests (its owner counts neigh_failed, not neigh_lost). */
static void
neigh_stale_without_keep_fails_after_exactly_n_unanswered_retries(void **state)
{
	static const uint32_t counts[] = { 1, 3, 7 };
	unsigned int k;

	(void)state;
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct lb_neigh_params p = LB_NEIGH_PARAMS_DEFAULT;
		struct lb_neigh_table t;
		struct record r = { 0 };
		struct lb_neigh_ops ops = { on_request, on_changed, &r };
		struct lb_neigh *n;
		uint64_t now, fail_at;
		uint32_t i;

		p.stale_retries = counts[k];
		lb_neigh_init(&t, 16, &p);
		n = want_until_stale(&t, 0, &ops, &r);
		for (i = 1; i <= counts[k]; i++) {
			lb_neigh_run(&t, STALE_AT + i * p.retry_ms, &ops);
			assert_int_equal(r.requests, i);
			assert_int_equal(n->unanswered, i);
			assert_int_equal(n->state, LB_NEIGH_STALE);
		}
		assert_int_equal(r.unicast, 0);
		/* the last request still has its retry_ms */
		fail_at = STALE_AT + (uint64_t)(counts[k] + 1) * p.retry_ms;
		lb_neigh_run(&t, fail_at - 1, &ops);
		assert_int_equal(n->state, LB_NEIGH_STALE);
		assert_true(lb_neigh_usable(n));
		assert_int_equal(r.changed, 2);
		lb_neigh_run(&t, fail_at, &ops);
		if (n->state != LB_NEIGH_FAILED)
			fail_msg("stale_retries %u: %s after %u unanswered requests",
				 counts[k], lb_neigh_state_names[n->state],
				 r.requests);
		assert_false(lb_neigh_usable(n));
		assert_memory_equal(n->mac, (uint8_t [6]){ 0 }, 6);
		assert_int_equal(r.requests, counts[k]);   /* none more */
		assert_int_equal(r.changed, 3);
		assert_int_equal(r.last_state, LB_NEIGH_FAILED);
		assert_false(r.last_usable);
		assert_int_equal(r.last_unanswered, counts[k]);
		/* failed, it is still asked, every retry_ms, reported once */
		for (now = fail_at; now <= fail_at + 4 * p.retry_ms; now += 500)
			lb_neigh_run(&t, now, &ops);
		assert_true(r.requests >= counts[k] + 4);
		assert_int_equal(r.changed, 3);
		lb_neigh_fini(&t);
	}
}

/* A member a health check covers keeps today's behaviour: stale keeps
 * the last MAC however long ARP goes unanswered, the check decides.
 * When the check goes away (keep_stale cleared by the next sync), a
 * neighbor already stale long enough fails at its next retry. */
static void
neigh_stale_kept_by_owner_never_fails(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	const uint8_t port = 0, keep = 0;
	struct lb_neigh *n;
	uint64_t now = STALE_AT;
	unsigned int i;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	n = want_until_stale(&t, 1, &ops, &r);
	for (i = 0; i < 100; i++) {
		now += params.retry_ms;
		lb_neigh_run(&t, now, &ops);
	}
	assert_int_equal(r.requests, 100);
	assert_int_equal(n->state, LB_NEIGH_STALE);
	assert_true(lb_neigh_usable(n));
	assert_memory_equal(n->mac, mac_a, 6);
	assert_int_equal(r.changed, 2);
	/* the check is gone: nothing else will notice a dead member */
	assert_int_equal(lb_neigh_sync(&t, &n->addr, &port, &keep, 1, now), 0);
	assert_int_equal(n->state, LB_NEIGH_STALE);
	lb_neigh_run(&t, now + params.retry_ms, &ops);
	assert_int_equal(n->state, LB_NEIGH_FAILED);
	assert_int_equal(r.changed, 3);
	lb_neigh_fini(&t);
}

/* arp.stale_retries 0 turns failing off: stale is kept as before. */
static void
neigh_stale_retries_zero_never_fails(void **state)
{
	struct lb_neigh_params p = LB_NEIGH_PARAMS_DEFAULT;
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh *n;
	uint64_t now = STALE_AT;
	unsigned int i;

	(void)state;
	p.stale_retries = 0;
	lb_neigh_init(&t, 16, &p);
	n = want_until_stale(&t, 0, &ops, &r);
	for (i = 0; i < 300; i++) {   /* past the count's 255 */
		now += p.retry_ms;
		lb_neigh_run(&t, now, &ops);
	}
	assert_int_equal(r.requests, 300);
	assert_int_equal(n->state, LB_NEIGH_STALE);
	assert_memory_equal(n->mac, mac_a, 6);
	assert_int_equal(r.changed, 2);
	lb_neigh_fini(&t);
}

/* A member failed after going stale comes back as soon as it answers:
 * reachable, usable, reported, its count of unanswered requests reset
 * (a later failure is counted anew). */
static void
neigh_failed_after_stale_comes_back_when_it_answers(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh *n;
	uint64_t now;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	n = want_until_stale(&t, 0, &ops, &r);
	for (now = STALE_AT; n->state == LB_NEIGH_STALE &&
	     now < STALE_AT + 100 * params.retry_ms; now += 500)
		lb_neigh_run(&t, now, &ops);
	assert_int_equal(n->state, LB_NEIGH_FAILED);
	assert_int_equal(r.changed, 3);
	/* an answer during the failed entry's resolution rounds */
	for (; r.requests < params.stale_retries + 2; now += 500)
		lb_neigh_run(&t, now, &ops);
	lb_neigh_learn(&t, &n->addr, mac_b, 0, true, now, &ops);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);
	assert_true(lb_neigh_usable(n));
	assert_memory_equal(n->mac, mac_b, 6);
	assert_int_equal(n->unanswered, 0);
	assert_int_equal(r.changed, 4);
	assert_true(r.last_usable);
	assert_int_equal(r.last_state, LB_NEIGH_REACHABLE);
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
	lb_neigh_want(&t, na("198.51.100.11"), 0, 0);
	lb_neigh_learn(&t, na("198.51.100.11"), mac_a, 0, true, 10, &ops);
	lb_neigh_learn(&t, na("198.51.100.11"), mac_b, 0, true, 20, &ops);
	assert_int_equal(r.changed, 2);
	assert_memory_equal(lb_neigh_find(&t, na("198.51.100.11"))->mac,
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
	lb_neigh_want(&t, na("198.51.100.11"), 0, 0);
	for (i = 0; i < 5; i++)   /* one more than fits: the oldest goes */
		lb_neigh_learn(&t, na4(htonl(0xc6336450u + i)), mac_a, 0, true,
			       100 + i, &ops);
	assert_int_equal(t.n, 4);
	assert_non_null(lb_neigh_find(&t, na("198.51.100.11")));  /* wanted */
	assert_null(lb_neigh_find(&t, na4(htonl(0xc6336450u))));
	assert_int_equal(r.changed, 0);      /* unwanted: nothing reported */
	lb_neigh_run(&t, 100 + params.learnt_ttl_ms + 10, &ops);
	assert_int_equal(t.n, 1);
	/* create=false does not add */
	lb_neigh_learn(&t, na("198.51.100.99"), mac_a, 0, false, 0, &ops);
	assert_null(lb_neigh_find(&t, na("198.51.100.99")));
	lb_neigh_fini(&t);
}

/* Reconcile keeps what stays, starts what is new, stops what went:
 * an entry wanted before and after keeps its MAC and timers. */
static void
neigh_sync_wants_new_unwants_gone_and_keeps_the_rest(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	const struct lb_ip a = ipa("198.51.100.11"), b = ipa("198.51.100.12");
	const struct lb_ip c = ipa("198.51.100.13");
	const struct lb_ip first[] = { a, b }, second[] = { c, b };
	const uint8_t ports[] = { 0, 0 };
	struct lb_neigh *nb, before;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	assert_int_equal(lb_neigh_sync(&t, first, ports, NULL, 2, 0), 0);
	assert_int_equal(t.n, 2);
	lb_neigh_run(&t, 0, &ops);
	assert_int_equal(r.requests, 2);
	lb_neigh_learn(&t, &b, mac_b, 0, true, 100, &ops);
	nb = lb_neigh_find(&t, &b);
	before = *nb;

	assert_int_equal(lb_neigh_sync(&t, second, ports, NULL, 2, 200), 0);
	assert_false(lb_neigh_find(&t, &a)->wanted);
	nb = lb_neigh_find(&t, &b);
	assert_true(nb->wanted);
	assert_int_equal(nb->state, LB_NEIGH_REACHABLE);
	assert_memory_equal(nb->mac, mac_b, 6);
	assert_true(nb->next_ms == before.next_ms &&
		    nb->confirmed_ms == before.confirmed_ms);
	assert_true(lb_neigh_find(&t, &c)->wanted);
	assert_int_equal(lb_neigh_find(&t, &c)->state, LB_NEIGH_INCOMPLETE);

	/* the next run asks for c only; a, never resolved, is forgotten */
	r.requests = 0;
	lb_neigh_run(&t, 200, &ops);
	assert_int_equal(r.requests, 1);
	assert_null(lb_neigh_find(&t, &a));
	assert_int_equal(t.n, 2);
	lb_neigh_fini(&t);
}

/* A wanted entry that failed keeps its retry timer across a reconcile
 * that still names it: no burst of requests on every change. */
static void
neigh_sync_does_not_restart_a_wanted_entry(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	const struct lb_ip a = ipa("198.51.100.11");
	const uint8_t port = 0;
	struct lb_neigh *n;
	uint64_t now, next;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	lb_neigh_sync(&t, &a, &port, NULL, 1, 0);
	for (now = 0; now <= 4000; now += 500)
		lb_neigh_run(&t, now, &ops);
	n = lb_neigh_find(&t, &a);
	assert_int_equal(n->state, LB_NEIGH_FAILED);
	next = n->next_ms;
	r.requests = 0;
	assert_int_equal(lb_neigh_sync(&t, &a, &port, NULL, 1, now), 0);
	assert_int_equal(n->state, LB_NEIGH_FAILED);
	assert_int_equal(n->next_ms, next);
	lb_neigh_run(&t, now, &ops);
	assert_int_equal(r.requests, 0);
	/* lb_neigh_want() on a wanted entry leaves it alone too */
	assert_ptr_equal(lb_neigh_want(&t, &a, 0, now), n);
	assert_int_equal(n->next_ms, next);
	lb_neigh_fini(&t);
}

/* An unwanted neighbor is no longer refreshed nor reported; it ages out
 * like a learnt one. Wanted again later, its owner hears of its MAC at
 * the next answer. */
static void
neigh_unwant_stops_refresh_and_reports(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	const struct lb_ip a = ipa("198.51.100.11");
	struct lb_neigh *n;
	uint64_t now;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	lb_neigh_want(&t, &a, 0, 0);
	lb_neigh_learn(&t, &a, mac_a, 0, true, 0, &ops);
	assert_int_equal(r.changed, 1);
	lb_neigh_unwant(&t, &a);
	r.requests = 0;
	for (now = 0; now <= 60000; now += 1000)
		lb_neigh_run(&t, now, &ops);
	assert_int_equal(r.requests, 0);            /* no refresh */
	n = lb_neigh_find(&t, &a);
	assert_non_null(n);                         /* kept while young */
	lb_neigh_learn(&t, &a, mac_b, 0, true, now, &ops);
	assert_int_equal(r.changed, 1);             /* not reported */
	assert_ptr_equal(lb_neigh_want(&t, &a, 0, now), n);
	assert_int_equal(n->state, LB_NEIGH_REACHABLE);   /* starts resolved */
	lb_neigh_learn(&t, &a, mac_b, 0, true, now + 10, &ops);
	assert_int_equal(r.changed, 2);             /* its owner is told */
	lb_neigh_unwant(&t, &a);
	lb_neigh_run(&t, now + 10 + params.learnt_ttl_ms, &ops);
	assert_null(lb_neigh_find(&t, &a));
	lb_neigh_fini(&t);
}

/* A member added where the table already knows the address hears of
 * its MAC at once, once; one still resolving hears nothing yet. */
static void
neigh_report_tells_a_new_owner_once(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	const struct lb_ip a = ipa("198.51.100.11"), b = ipa("198.51.100.12");

	(void)state;
	lb_neigh_init(&t, 16, &params);
	lb_neigh_learn(&t, &a, mac_a, 0, true, 0, &ops);   /* learnt, unwanted */
	lb_neigh_report(&t, &a, &ops);
	assert_int_equal(r.changed, 0);                   /* nobody wants it */
	lb_neigh_want(&t, &a, 0, 10);
	lb_neigh_want(&t, &b, 0, 10);
	lb_neigh_report(&t, &a, &ops);
	lb_neigh_report(&t, &b, &ops);
	assert_int_equal(r.changed, 1);
	assert_true(r.last_usable);
	lb_neigh_learn(&t, &a, mac_a, 0, true, 20, &ops);
	assert_int_equal(r.changed, 1);                   /* said already */
	lb_neigh_report(&t, &a, &ops);                     /* a new owner */
	assert_int_equal(r.changed, 2);
	lb_neigh_fini(&t);
}

static void
neigh_sync_fails_whole_and_makes_room(void **state)
{
	struct lb_neigh_table t;
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_ip addrs[5];
	uint8_t ports[5] = { 0 };
	unsigned int i;

	(void)state;
	lb_neigh_init(&t, 4, &params);
	for (i = 0; i < 4; i++)   /* a full table of learnt entries */
		lb_neigh_learn(&t, na4(htonl(0xc6336450u + i)), mac_a, 0, true,
			       i, &ops);
	for (i = 0; i < 5; i++)
		addrs[i] = lb_ip_from4(htonl(0xc6336460u + i));
	assert_int_equal(lb_neigh_sync(&t, addrs, ports, NULL, 5, 10), -ENOSPC);
	assert_int_equal(t.n, 4);
	for (i = 0; i < 4; i++)
		assert_false(t.e[i].wanted);
	/* four fit: learnt entries make room; a duplicate counts once */
	addrs[3] = addrs[0];
	assert_int_equal(lb_neigh_sync(&t, addrs, ports, NULL, 4, 10), 0);
	assert_int_equal(t.n, 4);
	for (i = 0; i < 3; i++)
		assert_true(lb_neigh_find(&t, &addrs[i])->wanted);
	assert_int_equal(lb_neigh_sync(&t, NULL, NULL, NULL, 0, 20), 0);
	for (i = 0; i < t.n; i++)
		assert_false(t.e[i].wanted);
	lb_neigh_fini(&t);
}

/* ARP frames the master sends, byte by byte. */
static void
neigh_frames_tagged_and_padded(void **state)
{
	static const uint8_t own[6] = { 2, 0, 0, 0, 0, 2 };
	const uint32_t addr = ip4("198.51.100.2");
	struct lb_neigh n = { .addr = ipa("198.51.100.11") };
	uint8_t buf[LB_NEIGH_FRAME_MAX];
	struct lb_pkt pk;
	struct lb_pkt_arp a;
	uint32_t len;
	unsigned int i;

	(void)state;
	memcpy(n.mac, mac_a, 6);
	len = lb_neigh_request_frame(buf, 0, own, addr, &n, false);
	assert_int_equal(len, 60);
	assert_memory_equal(buf, mac_bcast, 6);
	assert_memory_equal(buf + 6, own, 6);
	assert_int_equal(lb_load_be16(buf + 12), LB_ETHERTYPE_ARP);
	for (i = 42; i < 60; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(lb_pkt_parse(buf, len, &pk), LB_PKT_ARP);
	lb_pkt_arp_read(buf, &pk, &a);
	assert_int_equal(a.op, LB_ARP_OP_REQUEST);
	assert_memory_equal(a.sha, own, 6);
	assert_true(a.spa == addr && a.tpa == lb_ip_v4(&n.addr));

	/* unicast refresh on VLAN 100 */
	len = lb_neigh_request_frame(buf, 100, own, addr, &n, true);
	assert_int_equal(len, 60);
	assert_memory_equal(buf, mac_a, 6);
	assert_int_equal(lb_load_be16(buf + 12), LB_ETHERTYPE_VLAN);
	assert_int_equal(lb_load_be16(buf + 14), 100);
	assert_int_equal(lb_load_be16(buf + 16), LB_ETHERTYPE_ARP);
	assert_int_equal(lb_pkt_parse(buf, len, &pk), LB_PKT_ARP);
	assert_int_equal(pk.vlan_tci, 100);
	lb_pkt_arp_read(buf, &pk, &a);
	assert_true(a.spa == addr && a.tpa == lb_ip_v4(&n.addr));

	/* gratuitous ARP: a broadcast request from and for the VIP */
	len = lb_neigh_garp_frame(buf, 0, own, ip4("198.51.100.100"));
	assert_int_equal(len, 60);
	assert_memory_equal(buf, mac_bcast, 6);
	assert_int_equal(lb_pkt_parse(buf, len, &pk), LB_PKT_ARP);
	lb_pkt_arp_read(buf, &pk, &a);
	assert_int_equal(a.op, LB_ARP_OP_REQUEST);
	assert_true(a.spa == ip4("198.51.100.100") && a.tpa == a.spa);

	/* a reply, tagged: 46 bytes of frame, no padding needed */
	len = lb_neigh_arp_frame(buf, 7, mac_a, LB_ARP_OP_REPLY, own, addr,
				 mac_a, lb_ip_v4(&n.addr));
	assert_int_equal(len, 60);
	assert_int_equal(lb_pkt_parse(buf, len, &pk), LB_PKT_ARP);
	lb_pkt_arp_read(buf, &pk, &a);
	assert_int_equal(a.op, LB_ARP_OP_REPLY);
	assert_memory_equal(a.tha, mac_a, 6);
}

static bool
vip_test(const void *ctx, uint32_t addr)
{
	(void)ctx;
	return addr == ip4("198.51.100.100");
}

struct arp_case {
	const char *what;
	uint16_t vlan;          /* 0: untagged */
	uint16_t op;
	const uint8_t *sha;
	const char *spa;
	const char *tpa;
	bool kernel;            /* the port's address is on a kernel interface */
	uint32_t cut;           /* bytes cut off the end */
	enum lb_neigh_arp_verdict want;
	bool learnt;
};

static const uint8_t mac_mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
static const uint8_t mac_zero[6];

static const struct arp_case arp_cases[] = {
	{ "reply from a member", 0, LB_ARP_OP_REPLY, mac_a, "198.51.100.11",
	  "198.51.100.2", false, 0, LB_NEIGH_ARP_REPLY, true },
	{ "reply to the kernel's request", 0, LB_ARP_OP_REPLY, mac_a,
	  "198.51.100.11", "198.51.100.2", true, 0, LB_NEIGH_ARP_KERNEL, true },
	{ "reply to another address", 0, LB_ARP_OP_REPLY, mac_a,
	  "198.51.100.11", "198.51.100.3", true, 0, LB_NEIGH_ARP_REPLY, true },
	{ "tagged reply", 100, LB_ARP_OP_REPLY, mac_a, "198.51.100.11",
	  "198.51.100.2", true, 0, LB_NEIGH_ARP_KERNEL, true },
	{ "request for another host", 0, LB_ARP_OP_REQUEST, mac_a,
	  "198.51.100.11", "198.51.100.50", true, 0, LB_NEIGH_ARP_REQUEST, true },
	{ "probe from 0.0.0.0", 0, LB_ARP_OP_REQUEST, mac_a, "0.0.0.0",
	  "198.51.100.11", true, 0, LB_NEIGH_ARP_REQUEST, false },
	{ "sender off the subnet", 0, LB_ARP_OP_REPLY, mac_a, "203.0.113.9",
	  "198.51.100.2", true, 0, LB_NEIGH_ARP_KERNEL, false },
	{ "sender claims the own address", 0, LB_ARP_OP_REPLY, mac_a,
	  "198.51.100.2", "198.51.100.2", false, 0, LB_NEIGH_ARP_REPLY, false },
	{ "another balancer announcing a VIP", 0, LB_ARP_OP_REQUEST, mac_a,
	  "198.51.100.100", "198.51.100.100", false, 0, LB_NEIGH_ARP_REQUEST,
	  false },
	{ "unknown opcode", 0, 3, mac_a, "198.51.100.11", "198.51.100.2",
	  true, 0, LB_NEIGH_ARP_BAD, false },
	{ "multicast sender MAC", 0, LB_ARP_OP_REPLY, mac_mcast,
	  "198.51.100.11", "198.51.100.2", true, 0, LB_NEIGH_ARP_BAD, false },
	{ "zero sender MAC", 0, LB_ARP_OP_REPLY, mac_zero, "198.51.100.11",
	  "198.51.100.2", true, 0, LB_NEIGH_ARP_BAD, false },
	{ "truncated", 0, LB_ARP_OP_REPLY, mac_a, "198.51.100.11",
	  "198.51.100.2", true, 1, LB_NEIGH_ARP_BAD, false },
};

/* The master's ARP input, as a table: where each frame goes, and
 * whether its sender is learnt. Frames end where ARP ends (no padding),
 * so a read past them shows under ASan. */
static void
neigh_arp_input_verdicts_and_learning(void **state)
{
	const struct lb_neigh_port port = {
		.addr = ip4("198.51.100.2"), .prefix = 24, .index = 1,
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(arp_cases) / sizeof(arp_cases[0]); i++) {
		const struct arp_case *c = &arp_cases[i];
		struct lb_neigh_port p = port;
		struct lb_neigh_table t;
		struct frame f;
		struct lb_neigh *n;
		uint8_t *copy;
		enum lb_neigh_arp_verdict v;

		p.kernel = c->kernel;
		eth(&f, mac_bcast, c->vlan != 0 ? LB_ETHERTYPE_VLAN :
			LB_ETHERTYPE_ARP);
		if (c->vlan != 0)
			vlan(&f, c->vlan, LB_ETHERTYPE_ARP);
		put16(&f, 1);
		put16(&f, LB_ETHERTYPE_IPV4);
		put8(&f, 6);
		put8(&f, 4);
		put16(&f, c->op);
		put(&f, c->sha, 6);
		put32(&f, ntohl(ip4(c->spa)));
		put(&f, mac_zero, 6);
		put32(&f, ntohl(ip4(c->tpa)));
		copy = malloc(f.len - c->cut);
		assert_non_null(copy);
		memcpy(copy, f.b, f.len - c->cut);
		lb_neigh_init(&t, 16, &params);
		v = lb_neigh_arp_input(&t, &p, copy, f.len - c->cut, vip_test,
				       NULL, 5, NULL);
		if (v != c->want)
			fail_msg("%s: verdict %d, want %d", c->what, v, c->want);
		n = lb_neigh_find(&t, na(c->spa));
		if ((n != NULL) != c->learnt)
			fail_msg("%s: %slearnt", c->what, n != NULL ? "" : "not ");
		if (n != NULL) {
			assert_memory_equal(n->mac, c->sha, 6);
			assert_int_equal(n->port, 1);
			assert_int_equal(n->state, LB_NEIGH_REACHABLE);
		}
		lb_neigh_fini(&t);
		free(copy);
	}
}

/* An NA as specified: to dst (its multicast MAC if ff..), target, flags,
 * hop limit, with the target link-layer option unless tlla is NULL;
 * the checksum right unless bad_cksum. */
struct na_case {
	const char *what;
	const char *src, *dst, *target;
	uint8_t flags, hop;
	const uint8_t *tlla;
	bool bad_cksum;
	uint32_t cut;
	bool kernel;
	enum lb_neigh_arp_verdict want;
	const uint8_t *learnt;   /* the MAC the target has after; NULL: none */
};

#define S_ LB_NDP_NA_SOLICITED
#define O_ LB_NDP_NA_OVERRIDE

static const struct na_case na_cases[] = {
	{ "solicited answer to the own address", "2001:db8:5::11",
	  "2001:db8:5::2", "2001:db8:5::11", S_ | O_, 255, mac_a, false, 0,
	  false, LB_NEIGH_ARP_REPLY, mac_a },
	{ "the same while the kernel holds the address", "2001:db8:5::11",
	  "2001:db8:5::2", "2001:db8:5::11", S_ | O_, 255, mac_a, false, 0,
	  true, LB_NEIGH_ARP_KERNEL, mac_a },
	{ "no target option: the frame's source", "2001:db8:5::11",
	  "2001:db8:5::2", "2001:db8:5::11", S_ | O_, 255, NULL, false, 0,
	  false, LB_NEIGH_ARP_REPLY, mac_b },
	{ "unsolicited, to all nodes", "2001:db8:5::11", "ff02::1",
	  "2001:db8:5::11", O_, 255, mac_a, false, 0, true,
	  LB_NEIGH_ARP_REPLY, mac_a },
	{ "a link-local router", "fe80::1", "2001:db8:5::2", "fe80::1",
	  S_ | O_ | LB_NDP_NA_ROUTER, 255, mac_a, false, 0, false,
	  LB_NEIGH_ARP_REPLY, mac_a },
	{ "target off the subnet", "2001:db8:6::11", "2001:db8:5::2",
	  "2001:db8:6::11", S_ | O_, 255, mac_a, false, 0, false,
	  LB_NEIGH_ARP_REPLY, NULL },
	{ "target is the own address", "2001:db8:5::2", "2001:db8:5::2",
	  "2001:db8:5::2", S_ | O_, 255, mac_a, false, 0, false,
	  LB_NEIGH_ARP_REPLY, NULL },
	{ "target is a VIP", "2001:db8:5::100", "ff02::1",
	  "2001:db8:5::100", O_, 255, mac_a, false, 0, false,
	  LB_NEIGH_ARP_REPLY, NULL },
	{ "hop limit 254: forwarded, forged", "2001:db8:5::11",
	  "2001:db8:5::2", "2001:db8:5::11", S_ | O_, 254, mac_a, false, 0,
	  true, LB_NEIGH_ARP_BAD, NULL },
	{ "bad checksum", "2001:db8:5::11", "2001:db8:5::2",
	  "2001:db8:5::11", S_ | O_, 255, mac_a, true, 0, true,
	  LB_NEIGH_ARP_BAD, NULL },
	{ "solicited, to a group", "2001:db8:5::11", "ff02::1",
	  "2001:db8:5::11", S_ | O_, 255, mac_a, false, 0, true,
	  LB_NEIGH_ARP_BAD, NULL },
	{ "multicast target", "2001:db8:5::11", "2001:db8:5::2", "ff02::1",
	  S_ | O_, 255, mac_a, false, 0, true, LB_NEIGH_ARP_BAD, NULL },
	{ "truncated", "2001:db8:5::11", "2001:db8:5::2", "2001:db8:5::11",
	  S_ | O_, 255, mac_a, false, 1, true, LB_NEIGH_ARP_BAD, NULL },
};

static void
na_frame(struct frame *f, const struct na_case *c)
{
	uint8_t src[16], dst[16], dmac[6] = { 0x33, 0x33 };
	uint32_t m0;
	uint16_t ck;

	addr6(dst, c->dst);
	addr6(src, c->src);
	if (dst[0] == 0xff)
		memcpy(dmac + 2, dst + 12, 4);
	else
		memcpy(dmac, mac_port, 6);
	eth(f, dmac, LB_ETHERTYPE_IPV6);
	memcpy(f->b + 6, mac_b, 6);      /* the frame's source */
	ipv6_hdr(f, LB_IPPROTO_ICMPV6, c->src, c->dst);
	f->b[f->ip_off + 7] = c->hop;
	m0 = f->len;
	put8(f, LB_ICMP6_NEIGH_ADVERT);
	put8(f, 0);
	put16(f, 0);
	put8(f, c->flags);
	put8(f, 0);
	put16(f, 0);
	addr6(dst, c->target);
	put(f, dst, 16);
	if (c->tlla != NULL) {
		put8(f, LB_NDP_OPT_TLLA);
		put8(f, 1);
		put(f, c->tlla, 6);
	}
	ip6_done(f, 0);
	addr6(dst, c->dst);
	ck = lb_pkt_icmp6_cksum(src, dst, f->b + m0, f->len - m0);
	if (c->bad_cksum)
		ck ^= 0x0100;
	lb_store_be16(f->b + m0 + 2, ck);
}

static bool
vip6_test(const void *ctx, const struct lb_ip *a)
{
	(void)ctx;
	return lb_ip_eq(a, na("2001:db8:5::100"));
}

/* The master's Neighbor Discovery input, as a table: where each
 * advertisement goes, and what its target is learnt at. Frames end
 * where the message ends, so a read past them shows under ASan. */
static void
neigh_ndp_input_verdicts_and_learning(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(na_cases) / sizeof(na_cases[0]); i++) {
		const struct na_case *c = &na_cases[i];
		struct lb_neigh_port p = {
			.addr = ip4("198.51.100.2"), .prefix = 24, .index = 1,
			.kernel = c->kernel, .addr6 = ipa("2001:db8:5::2"),
			.prefix6 = 64,
		};
		struct record r = { 0 };
		struct lb_neigh_ops ops = { on_request, on_changed, &r };
		struct lb_neigh_table t;
		struct lb_neigh *n;
		struct frame f;
		uint8_t *copy;
		enum lb_neigh_arp_verdict v;

		na_frame(&f, c);
		copy = malloc(f.len - c->cut);
		memcpy(copy, f.b, f.len - c->cut);
		lb_neigh_init(&t, 16, &params);
		lb_neigh_want(&t, na(c->target), 1, 0);
		v = lb_neigh_ndp_input(&t, &p, copy, f.len - c->cut, vip6_test,
				       NULL, 100, &ops);
		if (v != c->want)
			fail_msg("%s: verdict %d, not %d", c->what, v, c->want);
		n = lb_neigh_find(&t, na(c->target));
		if (c->learnt != NULL) {
			if (n == NULL || n->state != LB_NEIGH_REACHABLE ||
			    memcmp(n->mac, c->learnt, 6) != 0)
				fail_msg("%s: not learnt", c->what);
			if (r.changed != 1 || n->port != 1)
				fail_msg("%s: reported %u times, port %u",
					 c->what, r.changed, n->port);
		} else if (n != NULL && n->state != LB_NEIGH_INCOMPLETE) {
			fail_msg("%s: learnt", c->what);
		}
		free(copy);
		lb_neigh_fini(&t);
	}
}

/* An advertisement without Override confirms the MAC in use but never
 * moves it (RFC 4861 7.2.5); with Override it does. A solicitation's
 * sender is learnt from its source link-layer option. */
static void
neigh_ndp_override_and_solicitations(void **state)
{
	struct lb_neigh_port p = {
		.addr = ip4("198.51.100.2"), .prefix = 24, .index = 0,
		.addr6 = ipa("2001:db8:5::2"), .prefix6 = 64,
	};
	struct na_case c = na_cases[0];
	struct record r = { 0 };
	struct lb_neigh_ops ops = { on_request, on_changed, &r };
	struct lb_neigh_table t;
	struct lb_neigh *n;
	struct frame f;
	uint32_t len;

	(void)state;
	lb_neigh_init(&t, 16, &params);
	n = lb_neigh_want(&t, na("2001:db8:5::11"), 0, 0);
	na_frame(&f, &c);
	lb_neigh_ndp_input(&t, &p, f.b, f.len, NULL, NULL, 10, &ops);
	assert_memory_equal(n->mac, mac_a, 6);
	c.flags = LB_NDP_NA_SOLICITED;        /* no Override */
	c.tlla = mac_b;
	na_frame(&f, &c);
	lb_neigh_ndp_input(&t, &p, f.b, f.len, NULL, NULL, 20, &ops);
	assert_memory_equal(n->mac, mac_a, 6);
	assert_int_equal(r.changed, 1);
	c.flags = LB_NDP_NA_SOLICITED | LB_NDP_NA_OVERRIDE;
	na_frame(&f, &c);
	lb_neigh_ndp_input(&t, &p, f.b, f.len, NULL, NULL, 30, &ops);
	assert_memory_equal(n->mac, mac_b, 6);
	assert_int_equal(r.changed, 2);

	/* the table's own solicitation, read back as a neighbor reads it:
	 * a member's answer to it, and a member's own solicitation */
	len = lb_neigh_ns_frame(f.b, 0, mac_port, na("2001:db8:5::2"), n,
				false);
	{
		struct lb_pkt6 pk;
		struct lb_ndp_ns ns;
		uint8_t group[16];

		assert_int_equal(lb_pkt_parse6(f.b, len, &pk), LB_PKT_IPV6);
		assert_int_equal(lb_pkt_ndp_ns(f.b, &pk, &ns), 0);
		assert_memory_equal(ns.target, n->addr.b, 16);
		assert_true(ns.has_slla);
		assert_memory_equal(ns.slla, mac_port, 6);
		addr6(group, "ff02::1:ff00:11");
		assert_memory_equal(pk.dst, group, 16);
		assert_int_equal(f.b[0], 0x33);
		assert_int_equal(pk.hop_limit, 255);
		/* from a member: learnt from its option */
		lb_neigh_unwant(&t, na("2001:db8:5::11"));
		len = lb_pkt_ndp_ns_frame(f.b, 0, mac_a, na("2001:db8:5::12")->b,
					  na("2001:db8:5::2")->b, mac_port);
		assert_int_equal(lb_neigh_ndp_input(&t, &p, f.b, len, NULL, NULL,
						    40, &ops),
				 LB_NEIGH_ARP_REQUEST);
		assert_non_null(lb_neigh_find(&t, na("2001:db8:5::12")));
		assert_memory_equal(lb_neigh_find(&t, na("2001:db8:5::12"))->mac,
				    mac_a, 6);
	}
	/* the unicast probe goes to the MAC in use, to the target itself */
	len = lb_neigh_ns_frame(f.b, 7, mac_port, na("2001:db8:5::2"), n, true);
	assert_memory_equal(f.b, mac_b, 6);
	assert_int_equal(lb_load_be16(f.b + 12), LB_ETHERTYPE_VLAN);
	assert_memory_equal(f.b + 18 + 24, n->addr.b, 16);
	assert_int_equal(len, 18 + 40 + LB_NDP_NS_LEN);
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
		cmocka_unit_test(neigh_stale_without_keep_fails_after_exactly_n_unanswered_retries),
		cmocka_unit_test(neigh_stale_kept_by_owner_never_fails),
		cmocka_unit_test(neigh_stale_retries_zero_never_fails),
		cmocka_unit_test(neigh_failed_after_stale_comes_back_when_it_answers),
		cmocka_unit_test(neigh_mac_change_is_reported),
		cmocka_unit_test(neigh_learnt_entries_age_out_and_make_room),
		cmocka_unit_test(neigh_sync_wants_new_unwants_gone_and_keeps_the_rest),
		cmocka_unit_test(neigh_sync_does_not_restart_a_wanted_entry),
		cmocka_unit_test(neigh_unwant_stops_refresh_and_reports),
		cmocka_unit_test(neigh_report_tells_a_new_owner_once),
		cmocka_unit_test(neigh_sync_fails_whole_and_makes_room),
		cmocka_unit_test(neigh_frames_tagged_and_padded),
		cmocka_unit_test(neigh_arp_input_verdicts_and_learning),
		cmocka_unit_test(neigh_ndp_input_verdicts_and_learning),
		cmocka_unit_test(neigh_ndp_override_and_solicitations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
