/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The memory models dsrlb --check sizes hugepages with, held to real
 * allocations: each case creates the structure (a flow table, rte_hash
 * with other flags, a persistence table, an mbuf pool, the core's
 * snapshot and tables) and compares the heap bytes it took
 * (rte_malloc_get_socket_stats(), heap_allocsz_bytes before and after)
 * with what the size function says. Needs the EAL (--no-huge: the heap
 * is the same allocator, on 4 KiB pages). */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "lb_config.h"
#include "lb_core.h"
#include "lb_flow.h"
#include "lb_mem.h"
#include "lb_persist.h"
#include "test_util.h"

/*
 * How far a model may be from the bytes measured: 0.5%. The models
 * follow DPDK allocation by allocation, so they are off only by what the
 * heap adds at random (an element it does not split because the rest
 * would be too small to hold one, at most a few hundred bytes); a
 * missing term is far outside it: the smallest per-flow term of a flow
 * table (the ring of free extendable buckets, 2 bytes of ~100 per flow)
 * is 2%.
 */
#define TOLERANCE 0.005

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i),
						&st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

/* The model against the bytes taken, within TOLERANCE (printed, so a
 * run shows how close it is). */
static void
assert_model(const char *what, size_t model, size_t measured)
{
	double diff = ((double)model - (double)measured) / (double)measured;

	print_message("%-40s model %10zu measured %10zu (%+.3f%%)\n", what,
		      model, measured, diff * 100);
	if (diff > TOLERANCE || diff < -TOLERANCE)
		fail_msg("%s: model %zu bytes, measured %zu (%+.2f%%, tolerance %.1f%%)",
			 what, model, measured, diff * 100, TOLERANCE * 100);
}

static int
setup(void **state)
{
	(void)state;
	return test_eal_init("test_memsize");
}

static int
teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

/* The heap's own cost: an element header per allocation, sizes in
 * cache lines. Everything else is built on it. */
static void
memsize_malloc_counts_header_and_cache_lines(void **state)
{
	static const size_t sizes[] = { 1, 64, 65, 1000, 100000, 1 << 22 };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(sizes); i++) {
		size_t before = heap_used(), after;
		void *p = rte_malloc_socket("t", sizes[i], RTE_CACHE_LINE_SIZE,
					    SOCKET_ID_ANY);
		char what[64];

		assert_non_null(p);
		after = heap_used();
		snprintf(what, sizeof(what), "rte_malloc(%zu)", sizes[i]);
		assert_model(what, lb_mem_malloc_size(sizes[i], NULL), after - before);
		rte_free(p);
	}
}

static void
check_flow_table_family(uint32_t capacity, enum lb_flow_family family)
{
	size_t before = heap_used(), after;
	struct lb_flow_table *t = lb_flow_create_family("t_memsize", capacity,
							family, SOCKET_ID_ANY,
							NULL);
	char what[64];

	assert_non_null(t);
	after = heap_used();
	snprintf(what, sizeof(what), "%s flow table of %u",
		 family == LB_FLOW_IPV6 ? "IPv6" : "IPv4", capacity);
	assert_model(what, lb_flow_memsize_family(capacity, family, NULL),
		     after - before);
	/* the entry array follows the hash's key ids */
	assert_int_equal(t->n_pos, (uint32_t)rte_hash_max_key_id(t->h) + 1);
	lb_flow_free(t);
}

static void
check_flow_table(uint32_t capacity)
{
	check_flow_table_family(capacity, LB_FLOW_IPV4);
	/* the IPv4 entry points are the IPv4 family's */
	assert_int_equal(lb_flow_memsize(capacity, NULL),
			 lb_flow_memsize_family(capacity, LB_FLOW_IPV4, NULL));
}

/* A worker's table: 2^n flows (the hash rounds capacity + slack up to
 * twice that), and sizes that are not powers of two. */
static void
memsize_flow_table_matches_allocation(void **state)
{
	(void)state;
	check_flow_table(262144);
	check_flow_table(1048576);
	check_flow_table(1000000);
	check_flow_table(1024);
	assert_int_equal(lb_flow_memsize(4, NULL), 0);
}

/* An IPv6 table's key store holds 40-byte keys (48 bytes a slot with
 * the hash's pointer, against 32 for IPv4): the model follows, within
 * the tolerance, which is far tighter than that difference. */
static void
memsize_flow6_table_matches_allocation(void **state)
{
	(void)state;
	check_flow_table_family(262144, LB_FLOW_IPV6);
	check_flow_table_family(1000000, LB_FLOW_IPV6);
	check_flow_table_family(1024, LB_FLOW_IPV6);
	assert_true(lb_flow_memsize_family(262144, LB_FLOW_IPV6, NULL) >
		    lb_flow_memsize_family(262144, LB_FLOW_IPV4, NULL));
	assert_int_equal(lb_flow_memsize_family(4, LB_FLOW_IPV6, NULL), 0);
	assert_int_equal(lb_flow_memsize_family(1024, (enum lb_flow_family)2,
						NULL), 0);
}

static void
check_hash(const char *what, uint32_t entries, uint32_t key_len,
	   uint8_t flags)
{
	struct rte_hash_parameters hp = {
		.name = "t_hash", .entries = entries, .key_len = key_len,
		.hash_func = rte_hash_crc, .socket_id = SOCKET_ID_ANY,
		.extra_flag = flags,
	};
	size_t before = heap_used(), after;
	struct rte_hash *h = rte_hash_create(&hp);

	assert_non_null(h);
	after = heap_used();
	assert_model(what, lb_mem_hash_size(&hp, NULL), after - before);
	assert_int_equal(rte_hash_max_key_id(h), lb_mem_hash_max_key_id(&hp));
	rte_hash_free(h);
}

/* The other branches of the rte_hash model. */
static void
memsize_hash_flags_match_allocation(void **state)
{
	(void)state;
	check_hash("hash, no flags", 100000, 16, 0);
	check_hash("hash, 13-byte keys", 65536, 13, 0);
	check_hash("hash, ext table", 100000, 16,
		   RTE_HASH_EXTRA_FLAGS_EXT_TABLE);
	check_hash("hash, rw concurrency", 100000, 16,
		   RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY);
	check_hash("hash, multi-writer", 100000, 40,
		   RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD);
}

static void
memsize_persist_table_matches_allocation(void **state)
{
	static const uint32_t n[] = { 4096, 65536, 262144, 1000000 };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(n); i++) {
		size_t before = heap_used(), after;
		struct lb_persist *p = lb_persist_create(n[i], SOCKET_ID_ANY);
		char what[64];

		assert_non_null(p);
		after = heap_used();
		snprintf(what, sizeof(what), "persistence table of %u", n[i]);
		assert_model(what, lb_persist_memsize(n[i], NULL), after - before);
		lb_persist_free(p);
	}
	assert_int_equal(lb_persist_records(1048576), 65536);
	assert_int_equal(lb_persist_records(1024), 4096);
}

static void
check_pool(unsigned int n, uint16_t room, size_t page_size)
{
	size_t before = heap_used(), after;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("t_pool", n, 256, 0,
							 room, SOCKET_ID_ANY);
	char what[64];

	assert_non_null(mp);
	after = heap_used();
	snprintf(what, sizeof(what), "%u mbufs of %u bytes", n, room);
	assert_model(what, lb_mem_pktmbuf_pool_size(n, 256, 0, room,
						    page_size, NULL),
		     after - before);
	rte_mempool_free(mp);
}

/* Without hugepages the pool lays mbufs out on the system's pages, none
 * across two: the page term of the model is exercised hard (one 2.3 KiB
 * mbuf per 4 KiB page, a 9.3 KiB one on three). */
static void
memsize_mbuf_pool_matches_allocation(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)state;
	assert_false(rte_eal_has_hugepages());
	check_pool(8192, RTE_MBUF_DEFAULT_BUF_SIZE, page);
	check_pool(10000, 2048 + RTE_PKTMBUF_HEADROOM, page);
	check_pool(2048, 9216 + RTE_PKTMBUF_HEADROOM, page);
}

/*
 * The heap model: an allocation of two pages and a header makes the
 * heap map three pages (try_expand_heap_primary() rounds the request and
 * its header up), and allocates from their end; the rest of the third
 * page serves smaller allocations, never a larger one. Without growth
 * (no hugepages) what is mapped is what is allocated.
 */
static void
memsize_heap_maps_whole_pages(void **state)
{
	const size_t page = 2u << 20;
	struct lb_mem_heap h, flat;
	unsigned int i;

	(void)state;
	lb_mem_heap_init(&h, page);
	lb_mem_malloc_size(2 * page, &h);
	assert_int_equal(h.mapped, 3 * page);
	/* 2 MiB less a header's worth left: a 1 MiB table fits in it */
	lb_mem_malloc_size(1u << 20, &h);
	assert_int_equal(h.mapped, 3 * page);
	/* a page and a header does not fit in what is left (1 MiB less
	 * two headers): two more pages, whose rest is a second piece */
	lb_mem_malloc_size(page, &h);
	assert_int_equal(h.mapped, 5 * page);
	/* the best fitting piece takes a small allocation */
	for (i = 0; i < 8; i++)
		lb_mem_malloc_size(100000, &h);
	assert_int_equal(h.mapped, 5 * page);
	assert_int_equal(h.allocated, lb_mem_malloc_size(2 * page, NULL) +
			 lb_mem_malloc_size(1u << 20, NULL) +
			 lb_mem_malloc_size(page, NULL) +
			 8 * lb_mem_malloc_size(100000, NULL));

	lb_mem_heap_init(&flat, 0);
	lb_mem_malloc_size(2 * page, &flat);
	lb_mem_malloc_size(100, &flat);
	assert_int_equal(flat.mapped, flat.allocated);
}

/* Five services: Maglev with persistence, wrr, a 1048573-entry table,
 * stateless UDP (no persistence), persistence off. Static MACs and no
 * checks: every member usable, so no service keeps a settled table. */
static const char core_conf[] =
"{\n"
"  \"ports\": [{\"name\": \"lan0\", \"address\": \"198.51.100.2/24\"}],\n"
"  \"vips\": [\"198.51.100.100\", \"198.51.100.112/29\"],\n"
"  \"flows\": {\"capacity\": 4194304},\n"
"  \"members\": [\n"
"    {\"name\": \"fe1\", \"address\": \"198.51.100.11\", \"mac\": \"02:00:00:00:00:11\"},\n"
"    {\"name\": \"fe2\", \"address\": \"198.51.100.12\", \"mac\": \"02:00:00:00:00:12\",\n"
"     \"weight\": 35, \"source_ports\": \"33000-33999\"},\n"
"    {\"name\": \"fe3\", \"address\": \"198.51.100.13\", \"mac\": \"02:00:00:00:00:13\",\n"
"     \"weight\": 7}\n"
"  ],\n"
"  \"services\": [\n"
"    {\"name\": \"pop3\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 110},\n"
"    {\"name\": \"imap\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\",\n"
"     \"port\": 143, \"scheduler\": \"wrr\"},\n"
"    {\"name\": \"http\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": \"8000-8100\",\n"
"     \"table_size\": 1048573},\n"
"    {\"name\": \"sip\", \"vip\": \"*\", \"protocol\": \"udp\", \"port\": 5060,\n"
"     \"stateless\": true},\n"
"    {\"name\": \"smtp\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 25,\n"
"     \"persistence\": 0}\n"
"  ]\n"
"}\n";

static struct lb_core *
core_from(const struct lb_conf *conf, struct rte_rcu_qsbr *qsbr)
{
	struct lb_core_params p = { .qsbr = qsbr, .socket_id = SOCKET_ID_ANY };
	struct lb_core *core = lb_core_create(&p);
	struct lb_conf_error err;

	assert_non_null(core);
	if (lb_core_apply_conf(core, conf, NULL, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	return core;
}

/* One commit: a snapshot, a Maglev table per service, the wrr
 * service's sequence, the persistence tables of three services. */
static void
memsize_core_commit_matches_allocation(void **state)
{
	struct lb_core_memsize m;
	struct lb_conf_error err;
	struct lb_conf *conf = lb_conf_parse(core_conf, "t.json", &err);
	struct lb_core *core;
	size_t before, after;

	(void)state;
	if (conf == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(lb_core_memsize(conf, NULL, &m, &err), 0);
	assert_int_equal(m.n_persist, 3);
	assert_true(m.wrr > 0);
	core = core_from(conf, NULL);
	before = heap_used();
	assert_int_equal(lb_core_commit(core), 1);
	after = heap_used();
	assert_model("core: one commit", m.snapshot + m.maglev + m.wrr +
		     m.persist, after - before);
	assert_true(m.peak == 2 * m.snapshot + 4 * m.maglev + 2 * m.wrr +
		    2 * m.persist);
	lb_core_free(core);
	lb_conf_free(conf);
}

/* While a worker has not passed a quiescent state, a commit that
 * changes every weight holds two snapshots and two sets of tables: the
 * doubling the peak counts. */
static void
memsize_core_holds_replaced_tables_until_grace_period(void **state)
{
	struct rte_rcu_qsbr *q = test_qsbr_online(1);
	struct lb_core_memsize m;
	struct lb_conf_error err;
	struct lb_conf *conf = lb_conf_parse(core_conf, "t.json", &err);
	struct lb_core *core;
	size_t before, after;
	unsigned int i;

	(void)state;
	assert_non_null(q);
	if (conf == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(lb_core_memsize(conf, NULL, &m, &err), 0);
	core = core_from(conf, q);
	before = heap_used();
	assert_int_equal(lb_core_commit(core), 1);
	for (i = 0; i < conf->n_members; i++)
		assert_int_equal(lb_core_member_set_weight(core, i,
			conf->members[i].weight * 2), 0);
	assert_int_equal(lb_core_commit(core), 1);
	after = heap_used();
	assert_model("core: two commits, no grace period",
		     2 * m.snapshot + 2 * m.maglev + 2 * m.wrr + m.persist,
		     after - before);
	lb_core_free(core);
	lb_conf_free(conf);
	rte_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memsize_malloc_counts_header_and_cache_lines),
		cmocka_unit_test(memsize_flow_table_matches_allocation),
		cmocka_unit_test(memsize_flow6_table_matches_allocation),
		cmocka_unit_test(memsize_hash_flags_match_allocation),
		cmocka_unit_test(memsize_persist_table_matches_allocation),
		cmocka_unit_test(memsize_mbuf_pool_matches_allocation),
		cmocka_unit_test(memsize_heap_maps_whole_pages),
		cmocka_unit_test(memsize_core_commit_matches_allocation),
		cmocka_unit_test(memsize_core_holds_replaced_tables_until_grace_period),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
