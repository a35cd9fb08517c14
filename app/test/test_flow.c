/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The per-lcore flow table: capacity, lookups, deletion, the sweeper,
 * TCP state aging, admission (provisional entries, eviction order),
 * reads from other lcores and key slots recycled only after a grace
 * period of a real rte_rcu_qsbr. Needs the EAL (rte_hash, rte_malloc). */

#include <errno.h>

#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "lb_flow.h"
#include "test_util.h"

static struct lb_tuple
key(uint32_t i)
{
	return (struct lb_tuple){ .src_ip = htonl(0xcb007100u + i),
		.dst_ip = ip4("198.51.100.100"), .src_port = (uint16_t)(1024 + i),
		.dst_port = 110, .proto = LB_IPPROTO_TCP };
}

static const struct lb_flow_timeouts timeouts = { .t = {
	[LB_FLOW_TCP_SYN] = 10000, [LB_FLOW_TCP_MID] = 10000,
	[LB_FLOW_TCP_EST] = 900000, [LB_FLOW_TCP_CLOSING] = 10000,
	[LB_FLOW_UDP_NEW] = 10000, [LB_FLOW_UDP] = 60000 } };

/* Add flow i in a state, expiring at expire. */
static int32_t
add_in_state(struct lb_flow_table *t, uint32_t i, uint8_t st, uint32_t expire)
{
	struct lb_tuple k = key(i);
	int32_t pos = lb_flow_add(t, &k, lb_tuple_hash(&k),
				  st == LB_FLOW_TCP_MID);

	assert_true(pos >= 0);
	lb_flow_set_state(t, lb_flow_at(t, pos), st);
	lb_flow_at(t, pos)->expire = expire;
	return pos;
}

/* A table for the tests of one entry's state machine. */
static struct lb_flow_table *one;
static uint32_t one_next;

/* A fresh entry of that table in a state. */
static struct lb_flow_entry *
entry(uint8_t st)
{
	return lb_flow_at(one, add_in_state(one, one_next++, st, 0));
}

static bool
present(struct lb_flow_table *t, uint32_t i)
{
	struct lb_tuple k = key(i);

	return lb_flow_lookup(t, &k, lb_tuple_hash(&k)) >= 0;
}

static int
setup(void **state)
{
	(void)state;
	if (test_eal_init("test_flow") != 0)
		return -1;
	one = lb_flow_create("t_one", 1024, SOCKET_ID_ANY, NULL);
	return one == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	lb_flow_free(one);
	rte_eal_cleanup();
	return 0;
}

static void
flow_table_add_lookup_delete(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_basic", 1024, SOCKET_ID_ANY, NULL);
	struct lb_tuple k = key(1), other = key(2);
	int32_t pos;

	(void)state;
	assert_non_null(t);
	assert_true(lb_flow_lookup(t, &k, lb_tuple_hash(&k)) < 0);
	pos = lb_flow_add(t, &k, lb_tuple_hash(&k), false);
	assert_true(pos >= 0 && (uint32_t)pos < t->n_pos);
	lb_flow_set_state(t, lb_flow_at(t, pos), LB_FLOW_TCP_EST);
	assert_int_equal(lb_flow_lookup(t, &k, lb_tuple_hash(&k)), pos);
	assert_true(lb_flow_lookup(t, &other, lb_tuple_hash(&other)) < 0);
	assert_int_equal(t->count, 1);
	lb_flow_del(t, pos);
	assert_int_equal(t->count, 0);
	assert_true(lb_flow_lookup(t, &k, lb_tuple_hash(&k)) < 0);
	lb_flow_free(t);
}

static void
flow_table_bulk_lookup(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_bulk", 1024, SOCKET_ID_ANY, NULL);
	struct lb_tuple keys[32];
	const void *kp[32];
	uint32_t sig[32];
	int32_t added[32], pos[32];
	unsigned int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 32; i++) {
		keys[i] = key(i);
		kp[i] = &keys[i];
		sig[i] = lb_tuple_hash(&keys[i]);
		added[i] = i % 2 == 0 ? lb_flow_add(t, &keys[i], sig[i], false) : -1;
	}
	lb_flow_lookup_bulk(t, kp, sig, 32, pos);
	for (i = 0; i < 32; i++)
		if (i % 2 == 0)
			assert_int_equal(pos[i], added[i]);
		else
			assert_true(pos[i] < 0);
	lb_flow_free(t);
}

/* The table holds exactly its capacity (extendable buckets): the next
 * add fails with -ENOSPC, which the data path turns into stateless
 * balancing. */
static void
flow_table_full_at_capacity(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_full", 4096, SOCKET_ID_ANY, NULL);
	struct lb_tuple k;
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 4096; i++) {
		k = key(i);
		assert_true(lb_flow_add(t, &k, lb_tuple_hash(&k), false) >= 0);
	}
	k = key(5000);
	assert_int_equal(lb_flow_add(t, &k, lb_tuple_hash(&k), false), -ENOSPC);
	assert_int_equal(t->count, 4096);
	lb_flow_flush(t);
	assert_int_equal(t->count, 0);
	assert_true(lb_flow_add(t, &k, lb_tuple_hash(&k), false) >= 0);
	lb_flow_free(t);
}

static void
flow_table_sweeper_removes_only_expired(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_sweep", 1024, SOCKET_ID_ANY, NULL);
	uint32_t i, now = 50000, removed = 0, start;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 100; i++) {
		struct lb_tuple k = key(i);
		int32_t pos = lb_flow_add(t, &k, lb_tuple_hash(&k), false);

		assert_true(pos >= 0);
		lb_flow_set_state(t, lb_flow_at(t, pos), LB_FLOW_TCP_EST);
		lb_flow_at(t, pos)->expire = i % 2 ? now - 1 : now + 1000;
	}
	start = t->sweep_pos;
	removed += lb_flow_sweep(t, now, 16);
	assert_int_equal(t->sweep_pos, (start + 16) % t->n_pos);
	while (t->sweep_pos != start)
		removed += lb_flow_sweep(t, now, 16);
	assert_int_equal(removed, 50);
	assert_int_equal(t->count, 50);
	for (i = 0; i < 100; i++) {
		struct lb_tuple k = key(i);

		assert_int_equal(lb_flow_lookup(t, &k, lb_tuple_hash(&k)) >= 0,
				 i % 2 == 0);
	}
	lb_flow_free(t);
}

/* The sweeper's pace: the table's share of the time since the last
 * ask, so it goes round once per LB_FLOW_SWEEP_PERIOD however often it
 * is asked (never more than the caller's most per ask, never more owed
 * than the table), and the caller's most while the table is over 7/8
 * full. */
static void
flow_sweep_budget_paced_by_time(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_pace", 1024, SOCKET_ID_ANY,
						 NULL);
	uint32_t now = 7000, got = 0, tenth, i;
	unsigned int n;

	(void)state;
	assert_non_null(t);
	tenth = t->n_pos * 100 / LB_FLOW_SWEEP_PERIOD;
	(void)lb_flow_sweep_budget(t, now, 16);
	while (lb_flow_sweep_budget(t, now, 16) != 0)
		;
	/* the same tick again and again: nothing more */
	assert_int_equal(lb_flow_sweep_budget(t, now, 16), 0);
	/* a tenth of the period later: a tenth of the table, 16 at most per ask */
	now += LB_FLOW_SWEEP_PERIOD / 10;
	while ((n = lb_flow_sweep_budget(t, now, 16)) != 0) {
		assert_true(n <= 16);
		got += n;
	}
	assert_int_equal(got, tenth);
	/* a long pause owes one round, not more */
	now += 50 * LB_FLOW_SWEEP_PERIOD;
	for (got = 0; (n = lb_flow_sweep_budget(t, now, 1000)) != 0;)
		got += n;
	assert_int_equal(got, t->n_pos);
	/* a table over 7/8 full: the most, every time */
	for (i = 0; i < 1024 - 1024 / 8; i++)
		add_in_state(t, i, LB_FLOW_TCP_EST, now + 100000);
	assert_int_equal(lb_flow_sweep_budget(t, now, 16), 16);
	assert_int_equal(lb_flow_sweep_budget(t, now, 16), 16);
	lb_flow_free(t);
}

static void
flow_tcp_syn_then_ack_is_established(void **state)
{
	struct lb_flow_entry *e = entry(LB_FLOW_TCP_SYN);

	(void)state;
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_SYN, 100, &timeouts),
			 LB_FLOW_KEEP);
	assert_int_equal(e->state, LB_FLOW_TCP_SYN);
	assert_int_equal(e->expire, 100 + 10000);
	lb_flow_tcp_update(one, e, LB_TCP_ACK, 200, &timeouts);
	assert_int_equal(e->state, LB_FLOW_TCP_EST);
	assert_int_equal(e->expire, 200 + 900000);
}

static void
flow_table_expires_fin_after_timeout(void **state)
{
	struct lb_flow_entry *e = entry(LB_FLOW_TCP_EST);

	(void)state;
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_FIN | LB_TCP_ACK,
					    1000, &timeouts), LB_FLOW_CLOSED);
	assert_int_equal(e->state, LB_FLOW_TCP_CLOSING);
	assert_int_equal(e->expire, 1000 + 10000);
	/* the last ACK of a closing connection keeps it closing */
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_ACK, 2000,
					    &timeouts), LB_FLOW_KEEP);
	assert_int_equal(e->state, LB_FLOW_TCP_CLOSING);
	assert_false(lb_flow_expired(e, 2000 + 9999));
	assert_true(lb_flow_expired(e, 2000 + 10000));
	/* the other side's FIN ends nothing more */
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_FIN | LB_TCP_ACK,
					    2500, &timeouts), LB_FLOW_KEEP);
	lb_flow_set_state(one, e, LB_FLOW_TCP_EST);
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_RST, 3000,
					    &timeouts), LB_FLOW_CLOSED);
	assert_int_equal(e->state, LB_FLOW_TCP_CLOSING);
}

static void
flow_syn_on_closing_flow_is_a_new_connection(void **state)
{
	struct lb_flow_entry *e = entry(LB_FLOW_TCP_CLOSING);

	(void)state;
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_SYN, 10, &timeouts),
			 LB_FLOW_REUSE);
	assert_int_equal(e->state, LB_FLOW_TCP_SYN);
	/* a SYN retransmitted on an established flow changes nothing */
	lb_flow_set_state(one, e, LB_FLOW_TCP_EST);
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_SYN, 20, &timeouts),
			 LB_FLOW_KEEP);
	assert_int_equal(e->state, LB_FLOW_TCP_EST);
}

static void
flow_expiry_survives_clock_wrap(void **state)
{
	struct lb_flow_entry *e = entry(LB_FLOW_TCP_SYN);
	uint32_t now = UINT32_MAX - 5000;

	(void)state;
	lb_flow_tcp_update(one, e, LB_TCP_SYN, now, &timeouts);
	assert_true(e->expire < now);          /* wrapped */
	assert_false(lb_flow_expired(e, now + 9999));
	assert_true(lb_flow_expired(e, now + 10000));
	assert_true(lb_flow_expired(e, now + 20000));
}

/* A full table makes room by evicting its oldest provisional entries,
 * skipping confirmed ones; full of confirmed flows, it refuses. */
static void
flow_evict_takes_oldest_provisional_never_confirmed(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_evict", 16, SOCKET_ID_ANY,
						 NULL);
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 16; i++)
		add_in_state(t, i, i % 2 ? LB_FLOW_TCP_MID : LB_FLOW_TCP_EST,
			     1000000);
	assert_int_equal(lb_flow_add(t, &(struct lb_tuple){ .src_ip = 1 },
				     99, false), -ENOSPC);
	/* flow 1 is the oldest provisional (flow 0 is confirmed) */
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_true(present(t, 0));
	assert_false(present(t, 1));
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_false(present(t, 3));
	assert_int_equal(t->count, 14);
	/* UDP and SYN-only entries are provisional too: every provisional
	 * entry goes, every confirmed one stays */
	add_in_state(t, 100, LB_FLOW_UDP_NEW, 1000000);
	add_in_state(t, 101, LB_FLOW_TCP_SYN, 1000000);
	for (i = 0; i < 8; i++)
		assert_int_equal(lb_flow_evict(t, 0), 0);
	for (i = 0; i < 16; i += 2)
		assert_true(present(t, i));
	assert_false(present(t, 100));
	assert_false(present(t, 101));
	assert_int_equal(t->count, 8);
	/* only confirmed flows left: nothing is evicted */
	for (i = 200; i < 208; i++)
		add_in_state(t, i, LB_FLOW_TCP_EST, 1000000);
	while (lb_flow_evict(t, 0) == 0)
		fail_msg("a confirmed flow was evicted");
	assert_int_equal(t->count, 16);
	lb_flow_free(t);
}

/* Entries made without SYN (what a spoofed-ACK flood makes) go before
 * older SYN entries (a real connection's, until its ACK). */
static void
flow_evict_takes_guesses_before_syn_entries(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_evict2", 16, SOCKET_ID_ANY,
						 NULL);
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 8; i++)
		add_in_state(t, i, LB_FLOW_TCP_SYN, 1000000);
	for (i = 8; i < 16; i++)
		add_in_state(t, i, LB_FLOW_TCP_MID, 1000000);
	for (i = 0; i < 8; i++)
		assert_int_equal(lb_flow_evict(t, 0), 0);
	for (i = 0; i < 8; i++)
		assert_true(present(t, i));
	for (i = 8; i < 16; i++)
		assert_false(present(t, i));
	/* then the SYN entries, oldest first */
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_false(present(t, 0));
	assert_true(present(t, 1));
	lb_flow_free(t);
}

/* Long-lived confirmed flows, and flows long gone, sit at the head of
 * the eviction queue: when a flood fills the table, its provisional
 * entries must still be found, without refusing flows meanwhile. The
 * sweeper, run once per burst as by a worker, trims the head. */
static void
flow_evict_finds_provisional_behind_long_lived_flows(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_quiet", 1024, SOCKET_ID_ANY,
						 NULL);
	uint32_t i, now = 100, refused = 0;

	(void)state;
	assert_non_null(t);
	/* 700 long-lived sessions, then 300 short flows that end */
	for (i = 0; i < 1000; i++)
		add_in_state(t, i, LB_FLOW_TCP_EST, i < 700 ? 1000000 : 50);
	/* a quiet while: the worker loop runs, and sweeps, without work */
	for (i = 0; i < 100; i++)
		lb_flow_sweep(t, now, 16);
	/* a flood fills the table and goes on */
	for (i = 10000; i < 30000; i++) {
		struct lb_tuple k = key(i);
		int32_t pos = lb_flow_add(t, &k, lb_tuple_hash(&k), false);

		if (pos < 0 && lb_flow_evict(t, now) == 0)
			pos = lb_flow_add(t, &k, lb_tuple_hash(&k), false);
		if (pos < 0) {
			refused++;
		} else {
			lb_flow_set_state(t, lb_flow_at(t, pos), LB_FLOW_TCP_SYN);
			lb_flow_at(t, pos)->expire = now + 10000;
		}
		if (i % 32 == 31)
			lb_flow_sweep(t, now, 16);
	}
	assert_int_equal(refused, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(present(t, i), i < 700);
	lb_flow_free(t);
}

/* Other lcores read the table between their quiescent states: a deleted
 * flow's key slot is given to no other key until every one of them has
 * reported one since the deletion, however many flows come and go
 * meanwhile; then it is given again. */
static void
flow_deleted_slot_reused_only_after_grace_period(void **state)
{
	/* thread 0 owns the table, thread 1 reads it */
	struct rte_rcu_qsbr *v = test_qsbr_online(2);
	struct lb_flow_table *t;
	struct lb_flow_entry seen;
	struct lb_tuple k = key(7);
	uint8_t *held;   /* positions deleted while the reader held on */
	uint32_t i, n_held = 0, fillers;
	int32_t pos, last;
	int rc;

	(void)state;
	assert_non_null(v);
	t = lb_flow_create("t_grace", 8, SOCKET_ID_ANY, v);
	assert_non_null(t);
	held = rte_zmalloc("t_grace_held", t->n_pos, 0);
	assert_non_null(held);
	pos = add_in_state(t, 7, LB_FLOW_TCP_EST, 1000);
	lb_flow_set_member(t, lb_flow_at(t, pos), 3, 0);
	/* the reader finds the flow */
	assert_true(lb_flow_peek(t, &k, lb_tuple_hash(&k), 10, &seen));
	assert_int_equal(seen.member, 3);
	assert_false(lb_flow_peek(t, &k, lb_tuple_hash(&k), 1000, &seen));
	assert_int_equal(lb_flow_del(t, pos), 0);
	assert_false(present(t, 7));
	assert_int_equal(lb_flow_limbo(t), 1);
	/* the owner's loop ends: the batch gets its token */
	assert_int_equal(lb_flow_reclaim(t), 0);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_flow_reclaim(t), 0);   /* the reader has not */
	assert_int_equal(lb_flow_limbo(t), 1);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(t), 1);
	assert_int_equal(lb_flow_limbo(t), 0);

	/* the reader now stays between two quiescent states while the
	 * owner's loop goes round, a flow made and deleted each time: no
	 * new key is given a slot the reader may still see, and once the
	 * slack is used up deletions wait (the flow stays) */
	for (i = 0; i < 2 * t->n_pos; i++) {
		pos = add_in_state(t, 1000 + i, LB_FLOW_TCP_EST, 1000);
		if (held[pos])
			fail_msg("flow %u was given position %d, deleted while the reader could still see it",
				 1000 + i, pos);
		rc = lb_flow_del(t, pos);
		if (rc == -EBUSY)
			break;
		assert_int_equal(rc, 0);
		held[pos] = 1;
		n_held++;
		assert_int_equal(lb_flow_reclaim(t), 0);
		rte_rcu_qsbr_quiescent(v, 0);
	}
	last = pos;
	assert_int_equal(n_held, LB_FLOW_SLACK);
	assert_int_equal(lb_flow_limbo(t), LB_FLOW_SLACK);
	assert_true(present(t, 1000 + i));
	/* every slot is a key or waits, none was freed early */
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(t), LB_FLOW_SLACK);
	assert_int_equal(lb_flow_limbo(t), 0);
	assert_int_equal(lb_flow_audit(t, NULL), 0);

	/* an offline reader holds nothing */
	pos = add_in_state(t, 8, LB_FLOW_TCP_EST, 1000);
	assert_int_equal(lb_flow_del(t, pos), 0);
	lb_flow_reclaim(t);
	rte_rcu_qsbr_thread_offline(v, 1);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_flow_reclaim(t), 1);

	/* the reader is back; other keys take every free slot of the hash
	 * (behind the table's back), so the only one a new flow could get
	 * is the one the last flow leaves: refused until the reader has
	 * passed a quiescent state, then given exactly that one */
	rte_rcu_qsbr_thread_online(v, 1);
	for (fillers = 0;; fillers++) {
		/* a key of the hash is 8 bytes of entry and the tuple */
		struct {
			uint8_t e[8];
			struct lb_tuple k;
		} f = { .k = key(100000 + fillers) };

		if (rte_hash_add_key_with_hash(t->h, &f, lb_tuple_hash(&f.k)) < 0)
			break;
	}
	/* the hash has capacity + slack slots; the last flow holds one */
	assert_int_equal(fillers, t->capacity + LB_FLOW_SLACK - 1);
	assert_int_equal(lb_flow_del(t, last), 0);
	k = key(9);
	assert_int_equal(lb_flow_add(t, &k, lb_tuple_hash(&k), false), -ENOSPC);
	lb_flow_reclaim(t);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(lb_flow_reclaim(t), 0);
	assert_int_equal(lb_flow_add(t, &k, lb_tuple_hash(&k), false), -ENOSPC);
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(lb_flow_reclaim(t), 1);
	assert_int_equal(lb_flow_add(t, &k, lb_tuple_hash(&k), false), last);
	rte_free(held);
	lb_flow_free(t);
	rte_free(v);
}

/* A lookup's answer is stale once the table changed the way that could
 * falsify it: an absence by an add of a key of its signature bit (the
 * same flow, earlier in the burst); a found position by its own flow's
 * delete, or, in a table without grace periods, by any delete (the slot
 * may be another key's at once). A mark starts the record of adds over. */
static void
flow_lookup_stale_after_delete_or_add(void **state)
{
	struct rte_rcu_qsbr *v = test_qsbr_online(1);
	struct lb_flow_table *t = lb_flow_create("t_stale", 8, SOCKET_ID_ANY,
						 NULL);
	struct lb_flow_table *g = lb_flow_create("t_stale_g", 8,
						 SOCKET_ID_ANY, v);
	struct lb_tuple k1 = key(1), k2 = key(2), k3 = key(3);
	uint32_t s1 = lb_tuple_hash(&k1), s2 = lb_tuple_hash(&k2);
	uint32_t s3 = lb_tuple_hash(&k3), other = s3 ^ (1u << 24);
	struct lb_flow_mark m;
	int32_t p1, p2, p3, q1, q3;

	(void)state;
	assert_non_null(t);
	assert_non_null(g);
	p1 = add_in_state(t, 1, LB_FLOW_TCP_EST, 1000);
	m = lb_flow_mark(t);
	assert_false(lb_flow_lookup_stale(t, m, p1, s1));
	assert_false(lb_flow_lookup_stale(t, m, -ENOENT, s3));
	/* an add falsifies absences of its signature's bit only */
	p3 = add_in_state(t, 3, LB_FLOW_TCP_EST, 1000);
	assert_false(lb_flow_lookup_stale(t, m, p1, s1));
	assert_true(lb_flow_lookup_stale(t, m, -ENOENT, s3));
	assert_false(lb_flow_lookup_stale(t, m, -ENOENT, other));
	/* a new mark, a new record */
	m = lb_flow_mark(t);
	assert_false(lb_flow_lookup_stale(t, m, -ENOENT, s3));
	/* without grace periods a delete falsifies every position found */
	assert_int_equal(lb_flow_del(t, p1), 0);
	assert_true(lb_flow_lookup_stale(t, m, p1, s1));
	assert_true(lb_flow_lookup_stale(t, m, p3, s3));
	assert_true(lb_flow_lookup(t, &k1, s1) < 0);
	/* and a failed delete changes nothing */
	m = lb_flow_mark(t);
	assert_int_equal(lb_flow_del(t, p1), 0);
	assert_false(lb_flow_lookup_stale(t, m, p3, s3));
	p2 = lb_flow_add(t, &k2, s2, false);
	assert_true(lb_flow_lookup_stale(t, m, -ENOENT, s2));
	assert_false(lb_flow_lookup_stale(t, m, p2, s2));
	/* with grace periods, the deleted flow's position only: no other
	 * key takes it before the owner's next quiescent state */
	q1 = add_in_state(g, 1, LB_FLOW_TCP_EST, 1000);
	q3 = add_in_state(g, 3, LB_FLOW_TCP_EST, 1000);
	m = lb_flow_mark(g);
	assert_int_equal(lb_flow_del(g, q1), 0);
	assert_true(lb_flow_lookup_stale(g, m, q1, s1));
	assert_false(lb_flow_lookup_stale(g, m, q3, s3));
	assert_int_equal(lb_flow_lookup(g, &k3, s3), q3);
	lb_flow_free(t);
	lb_flow_free(g);
	rte_free(v);
}

/* An entry in use at a position the hash no longer holds (what trusting
 * a stale position made): deleting it frees no key slot a second time
 * and never takes the count below the flows there are; it is cleared
 * from the counts and counted as an error, and the table goes on. */
static void
flow_del_of_entry_without_key_frees_nothing(bool grace)
{
	struct rte_rcu_qsbr *v = grace ? test_qsbr_online(1) : NULL;
	struct lb_flow_table *t = lb_flow_create(grace ? "t_orphan_q" :
						 "t_orphan", 8, SOCKET_ID_ANY,
						 v);
	struct lb_flow_audit a;
	int32_t pos, p2;
	uint32_t i;

	assert_non_null(t);
	pos = add_in_state(t, 1, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(lb_flow_del(t, pos), 0);
	/* refilled behind the table's back */
	lb_flow_fill(t, lb_flow_at(t, pos), 2, 0, 0, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(lb_flow_audit(t, &a), -EFAULT);
	assert_int_equal(a.no_key, 1);
	assert_int_equal(t->count, 0);
	assert_int_equal(lb_flow_del(t, pos), -ENOENT);
	assert_int_equal(t->errors, 1);
	assert_int_equal(t->count, 0);
	assert_int_equal(lb_flow_audit(t, &a), 0);
	if (grace) {
		assert_int_equal(lb_flow_limbo(t), 1);
		lb_flow_reclaim(t);
		rte_rcu_qsbr_quiescent(v, 0);
		lb_flow_reclaim(t);
	}
	assert_int_equal(lb_flow_audit(t, &a), 0);
	assert_int_equal(a.slots_used, 0);
	/* the sweeper and eviction meet such an entry and go on */
	p2 = add_in_state(t, 2, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(lb_flow_del(t, p2), 0);
	lb_flow_fill(t, lb_flow_at(t, p2), 2, 0, 0, LB_FLOW_TCP_MID, 1000);
	for (i = 0; i < 8; i++)
		add_in_state(t, 10 + i, LB_FLOW_TCP_MID, 1000);
	assert_int_equal(t->count, 8);
	assert_int_equal(lb_flow_evict(t, 0), 0);
	assert_int_equal(t->count, 7);
	assert_int_equal(lb_flow_sweep(t, 2000, t->n_pos), 7);
	assert_int_equal(t->count, 0);
	assert_int_equal(t->errors, 2);
	if (grace) {
		lb_flow_reclaim(t);
		rte_rcu_qsbr_quiescent(v, 0);
		lb_flow_reclaim(t);
	}
	assert_int_equal(lb_flow_audit(t, &a), 0);
	assert_int_equal(a.slots_used, 0);
	for (i = 0; i < 8; i++)
		add_in_state(t, 20 + i, LB_FLOW_TCP_EST, 1000);
	assert_int_equal(lb_flow_audit(t, NULL), 0);
	lb_flow_free(t);
	rte_free(v);
}

static void
flow_del_of_entry_without_key(void **state)
{
	(void)state;
	flow_del_of_entry_without_key_frees_nothing(false);
}

static void
flow_del_of_entry_without_key_qsbr(void **state)
{
	(void)state;
	flow_del_of_entry_without_key_frees_nothing(true);
}

static void
flow_midstream_entry_confirmed_by_second_packet(void **state)
{
	struct lb_flow_entry *e = entry(LB_FLOW_TCP_MID);

	(void)state;
	assert_true(lb_flow_provisional(e->state));
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_ACK, 100, &timeouts),
			 LB_FLOW_KEEP);
	assert_int_equal(e->state, LB_FLOW_TCP_EST);
	assert_false(lb_flow_provisional(e->state));
	assert_int_equal(e->expire, 100 + 900000);
	/* a real SYN on a guessed entry is a new connection */
	lb_flow_set_state(one, e, LB_FLOW_TCP_MID);
	assert_int_equal(lb_flow_tcp_update(one, e, LB_TCP_SYN, 200, &timeouts),
			 LB_FLOW_REUSE);
	assert_int_equal(e->state, LB_FLOW_TCP_SYN);
	assert_true(lb_flow_provisional(e->state));
	assert_int_equal(e->expire, 200 + 10000);
}

/* The counts as the entries say: every entry in use, once, under its
 * member and class, and under its service. */
static void
check_counts(const struct lb_flow_table *t, const char *after)
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
	for (m = 0; m < LB_FLOW_SERVICES; m++) {
		lb_flow_service_flows(t, m, &a, &in);
		if (a != want_svc[m].active || in != want_svc[m].inactive)
			fail_msg("after %s: service %u counted %u active %u inactive, the table holds %u and %u",
				 after, m, a, in, want_svc[m].active,
				 want_svc[m].inactive);
	}
	if (t->stale.active != want_stale.active ||
	    t->stale.inactive != want_stale.inactive)
		fail_msg("after %s: %u active %u inactive counted stale, the table holds %u and %u",
			 after, t->stale.active, t->stale.inactive,
			 want_stale.active, want_stale.inactive);
	for (m = 0; m < LB_FLOW_MEMBERS; m++) {
		lb_flow_member_flows(t, m, t->mcount[m].gen, &a, &in);
		if (a != want[m].active || in != want[m].inactive)
			fail_msg("after %s: member %u counted %u active %u inactive, the table holds %u and %u",
				 after, m, a, in, want[m].active,
				 want[m].inactive);
	}
}

static uint32_t rnd_state = 12345;

static uint32_t
rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* Every way an entry comes, changes and goes, in a random order, on a
 * small table that fills: the per-member counts always equal what the
 * entries say, and come back to zero once every flow has gone. */
static void
flow_member_counts_balance_through_every_change(void **state)
{
	static const uint8_t first[] = { LB_FLOW_TCP_SYN, LB_FLOW_TCP_MID,
					 LB_FLOW_UDP_NEW };
	static const uint8_t flags[] = { LB_TCP_SYN, LB_TCP_ACK,
		LB_TCP_FIN | LB_TCP_ACK, LB_TCP_RST, LB_TCP_SYN | LB_TCP_ACK };
	static const char *const what[] = { "a new flow", "a packet",
		"a move to another member", "a delete", "a sweep",
		"an eviction", "a reuse in place", "an add of a present key" };
	struct lb_flow_table *t = lb_flow_create("t_counts", 64, SOCKET_ID_ANY,
						 NULL);
	uint32_t now = 1000, i, a, in;
	uint64_t seen[8] = { 0 };
	/* each slot's member generation: bumped as another member takes
	 * the slot; a flow of an earlier one counts as stale */
	uint16_t gens[8] = { 0 }, m;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 20000; i++) {
		struct lb_tuple k = key(rnd(200));
		uint32_t sig = lb_tuple_hash(&k), op = rnd(8);
		int32_t pos = lb_flow_lookup(t, &k, sig);
		struct lb_flow_entry *e = pos >= 0 ? lb_flow_at(t, pos) : NULL;

		now += rnd(50);
		switch (op) {
		case 0:   /* a new flow: the table may have to make room */
			if (e != NULL)
				break;
			pos = lb_flow_add(t, &k, sig, false);
			if (pos < 0 && lb_flow_evict(t, now) == 0)
				pos = lb_flow_add(t, &k, sig, false);
			if (pos < 0)
				break;
			e = lb_flow_at(t, pos);
			m = (uint16_t)rnd(8);
			if (rnd(2) == 0) {
				lb_flow_fill(t, e, m, gens[m],
					     (uint16_t)rnd(4), first[rnd(3)],
					     now + 200 + rnd(3000));
			} else {
				lb_flow_set_member(t, e, m, gens[m]);
				lb_flow_set_svc(t, e, (uint16_t)rnd(4));
				lb_flow_set_expire(e, now + 200 + rnd(3000));
				lb_flow_set_state(t, e, first[rnd(3)]);
			}
			seen[op]++;
			break;
		case 1:   /* a packet of the flow */
			if (e == NULL)
				break;
			if (e->state == LB_FLOW_UDP_NEW || e->state == LB_FLOW_UDP)
				lb_flow_set_state(t, e, LB_FLOW_UDP);
			else
				lb_flow_tcp_update(t, e, flags[rnd(5)], now,
						   &timeouts);
			seen[op]++;
			break;
		case 2:   /* rescheduled: its member went down, or its
			   * port moved to another service */
			if (e == NULL)
				break;
			m = (uint16_t)rnd(8);
			if (rnd(4) == 0)
				gens[m]++;   /* another member in slot m */
			lb_flow_set_member(t, e, m, gens[m]);
			if (rnd(4) == 0)
				lb_flow_set_svc(t, e, (uint16_t)rnd(4));
			seen[op]++;
			break;
		case 3:
			if (e == NULL)
				break;
			assert_int_equal(lb_flow_del(t, pos), 0);
			seen[op]++;
			break;
		case 4:
			seen[op] += lb_flow_sweep(t, now, 16);
			break;
		case 5:
			seen[op] += lb_flow_evict(t, now) == 0;
			break;
		case 6:   /* an expired entry taken by a new flow of its key */
			if (e == NULL || !lb_flow_expired(e, now))
				break;
			m = (uint16_t)rnd(8);
			lb_flow_fill(t, e, m, gens[m],
				     (uint16_t)rnd(4), first[rnd(3)], now + 1000);
			seen[op]++;
			break;
		case 7:   /* the entry is made again from scratch */
			if (e == NULL)
				break;
			assert_int_equal(lb_flow_add(t, &k, sig, false), pos);
			m = (uint16_t)rnd(8);
			lb_flow_set_member(t, e, m, gens[m]);
			lb_flow_set_svc(t, e, (uint16_t)rnd(4));
			lb_flow_set_expire(e, now + 1000);
			lb_flow_set_state(t, e, LB_FLOW_TCP_SYN);
			seen[op]++;
			break;
		}
		check_counts(t, what[op]);
	}
	for (i = 0; i < 8; i++)
		if (seen[i] == 0)
			fail_msg("the random run never did %s", what[i]);
	/* everything expires and is swept */
	for (i = 0; i < t->n_pos; i += 16)
		lb_flow_sweep(t, now + 2000000, 16);
	assert_int_equal(t->count, 0);
	for (m = 0; m < LB_FLOW_MEMBERS; m++) {
		lb_flow_member_flows(t, m, t->mcount[m].gen, &a, &in);
		assert_int_equal(a + in, 0);
	}
	for (m = 0; m < LB_FLOW_SERVICES; m++) {
		lb_flow_service_flows(t, m, &a, &in);
		assert_int_equal(a + in, 0);
	}
	/* and a flush forgets what it removes */
	for (i = 0; i < 40; i++)
		add_in_state(t, i, i % 2 ? LB_FLOW_TCP_EST : LB_FLOW_TCP_SYN,
			     now);
	/* of slot 0's first member, generation 0: its own counts if the
	 * slot has not gone to another, else stale ones */
	lb_flow_member_flows(t, 0, 0, &a, &in);
	assert_int_equal(a + t->stale.active, 20);
	assert_int_equal(in + t->stale.inactive, 20);
	lb_flow_flush(t);
	check_counts(t, "a flush");
	lb_flow_member_flows(t, 0, t->mcount[0].gen, &a, &in);
	assert_int_equal(a + in, 0);
	lb_flow_free(t);
}

/* Another thread reads the table position by position: live flows with
 * their key and fields, not deleted or expired ones. */
static void
flow_read_reports_live_flows_only(void **state)
{
	struct lb_flow_table *t = lb_flow_create("t_read", 64, SOCKET_ID_ANY,
						 NULL);
	struct lb_flow_entry e;
	struct lb_tuple k, want;
	uint32_t i, pos, found = 0;
	int32_t p[10];

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 10; i++) {
		p[i] = add_in_state(t, i, LB_FLOW_TCP_EST, i == 9 ? 50 : 5000);
		lb_flow_set_member(t, lb_flow_at(t, p[i]), (uint16_t)(100 + i), 7);
		lb_flow_set_svc(t, lb_flow_at(t, p[i]), (uint16_t)i);
	}
	assert_int_equal(lb_flow_del(t, p[3]), 0);
	assert_false(lb_flow_read(t, t->n_pos, 100, &k, &e));
	for (pos = 0; pos < t->n_pos; pos++) {
		if (!lb_flow_read(t, pos, 100, &k, &e))
			continue;
		found++;
		i = e.svc;
		assert_true(i < 10 && i != 3 && i != 9);
		assert_int_equal((int32_t)pos, p[i]);
		want = key(i);
		assert_memory_equal(&k, &want, sizeof(k));
		assert_int_equal(e.member, 100 + i);
		assert_int_equal(e.member_gen, 7);
		assert_int_equal(e.state, LB_FLOW_TCP_EST);
		assert_int_equal(e.expire, 5000);
	}
	assert_int_equal(found, 8);
	lb_flow_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flow_table_add_lookup_delete),
		cmocka_unit_test(flow_table_bulk_lookup),
		cmocka_unit_test(flow_table_full_at_capacity),
		cmocka_unit_test(flow_table_sweeper_removes_only_expired),
		cmocka_unit_test(flow_sweep_budget_paced_by_time),
		cmocka_unit_test(flow_tcp_syn_then_ack_is_established),
		cmocka_unit_test(flow_table_expires_fin_after_timeout),
		cmocka_unit_test(flow_syn_on_closing_flow_is_a_new_connection),
		cmocka_unit_test(flow_expiry_survives_clock_wrap),
		cmocka_unit_test(flow_evict_takes_oldest_provisional_never_confirmed),
		cmocka_unit_test(flow_evict_takes_guesses_before_syn_entries),
		cmocka_unit_test(flow_evict_finds_provisional_behind_long_lived_flows),
		cmocka_unit_test(flow_deleted_slot_reused_only_after_grace_period),
		cmocka_unit_test(flow_lookup_stale_after_delete_or_add),
		cmocka_unit_test(flow_del_of_entry_without_key),
		cmocka_unit_test(flow_del_of_entry_without_key_qsbr),
		cmocka_unit_test(flow_midstream_entry_confirmed_by_second_packet),
		cmocka_unit_test(flow_member_counts_balance_through_every_change),
		cmocka_unit_test(flow_read_reports_live_flows_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
