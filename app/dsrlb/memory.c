/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The hugepages a configuration needs, said by dsrlb --check before
 * anything starts: each part from the size function beside its
 * allocator (lib/mem, lb_flow_memsize(), lb_core_memsize(), the pool and
 * the workers' functions), which app/test/test_memsize.c holds to real
 * allocations; only the EAL's and the drivers' own use is an allowance.
 */

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_pdump.h>
#include <rte_rcu_qsbr.h>

#include "lb_mem.h"
#include "app.h"

#define MIB (1024.0 * 1024.0)
#define PAGE_2M (2ull << 20)
#define PAGE_1G (1ull << 30)

/*
 * What the NIC drivers take per RX/TX queue pair: i40e, ice and ixgbe
 * (DPDK 22.11) reserve each descriptor ring for 4096 descriptors
 * whatever rx_desc and tx_desc say (64 to 128 KiB for RX, 64 KiB for TX)
 * and keep a software ring of 8 to 24 bytes per descriptor: 170 to 250
 * KiB a pair with the defaults.
 */
#define NIC_QUEUE_PAIR (256u << 10)
#define NIC_PER_DESC 32u

/*
 * Room the estimate leaves for what it does not see: the EAL's and the
 * drivers' own allocations beyond the queues above (with net_null they
 * were 0.2 to 0.5 MiB; a NIC's driver takes more), then a share of what
 * is counted for changes at run time (a snapshot grows with the VIPs and
 * members added, a freed table leaves a hole a larger one may not fit).
 * Both are taken as allocations of ROOM_PIECE bytes, the first before
 * anything else and the second after, so they fill pages the large
 * allocations left part free before new pages are counted for them.
 */
#define EAL_ROOM (16u << 20)
#define MARGIN_PERCENT 5
#define ROOM_PIECE (64u << 10)

/* Room for bytes more, in small allocations. */
static size_t
room(struct lb_mem_heap *h, size_t bytes)
{
	size_t done;

	for (done = 0; done < bytes; done += ROOM_PIECE)
		lb_mem_malloc_size(ROOM_PIECE, h);
	return done;
}

/* Mark the ids of "a" or "a-b" at *p; false if it is not one. */
static bool
id_range(const char **p, bool *seen)
{
	char *end;
	unsigned long lo = strtoul(*p, &end, 10), hi = lo;

	if (end == *p)
		return false;
	*p = end;
	if (**p == '-') {
		(*p)++;
		hi = strtoul(*p, &end, 10);
		if (end == *p)
			return false;
		*p = end;
	}
	if (hi < lo || hi >= RTE_MAX_LCORE)
		return false;
	for (; lo <= hi; lo++)
		seen[lo] = true;
	return true;
}

/*
 * The lcores of an EAL list: -l's "0-2", "0,1,2", "1-3,5"; with
 * lcores_syntax, --lcores' groups and CPU sets too: "(0-2)@(0-1),3@4"
 * names lcores 0, 1, 2 and 3 (the sets after '@' are CPUs). -1 if
 * malformed.
 */
static int
lcore_list_count(const char *s, bool lcores_syntax)
{
	bool seen[RTE_MAX_LCORE] = { false };
	const char *p = s;
	int i, n = 0;

	while (*p != '\0') {
		if (lcores_syntax && *p == '(') {
			p++;
			while (id_range(&p, seen) && *p == ',')
				p++;
			if (*p++ != ')')
				return -1;
		} else if (!id_range(&p, seen)) {
			return -1;
		}
		if (lcores_syntax && *p == '@' && p[1] == '(') {
			const char *close = strchr(p, ')');

			if (close == NULL)
				return -1;
			p = close + 1;
		} else if (lcores_syntax && *p == '@') {
			for (p++; isdigit((unsigned char)*p); p++)
				;
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
	}
	for (i = 0; i < RTE_MAX_LCORE; i++)
		n += seen[i];
	return n;
}

/* Lcores in -c's hexadecimal mask; -1 if malformed. */
static int
lcore_mask_count(const char *s)
{
	int n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		int c = tolower((unsigned char)*s);

		if (!isxdigit(c))
			return -1;
		n += __builtin_popcount((unsigned int)(isdigit(c) ? c - '0' :
							c - 'a' + 10));
	}
	return n;
}

/* The value of an option at argv[*i]: "-l 0-2", "-l0-2",
 * "--lcores 0-2" or "--lcores=0-2"; NULL if argv[*i] is not it. */
static const char *
option_value(int argc, char **argv, int *i, const char *shrt,
	     const char *lng)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if ((shrt != NULL && strcmp(a, shrt) == 0) || strcmp(a, lng) == 0)
		return *i + 1 < argc ? argv[++*i] : NULL;
	if (shrt != NULL && strncmp(a, shrt, 2) == 0 && a[2] != '\0' &&
	    a[1] != '-')
		return a + 2;
	if (strncmp(a, lng, n) == 0 && a[n] == '=')
		return a + n + 1;
	return NULL;
}

/*
 * The worker lcores dsrlb will have: every lcore the EAL options give
 * (-l, --lcores or -c, the last one wins as in the EAL) but the main
 * one; without them, the EAL takes every CPU the process may run on.
 * argc counts the EAL's options only (those before "--"). why says
 * where the number came from.
 */
unsigned int
dsrlb_eal_workers(int argc, char **argv, char *why, size_t len)
{
	int i, n = -1;
	cpu_set_t cpus;

	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *v;
		int c;

		v = option_value(argc, argv, &i, "-l", "--lcores");
		if (v != NULL) {
			c = lcore_list_count(v, opt[1] == '-');
		} else {
			v = option_value(argc, argv, &i, "-c", "--coremask");
			if (v == NULL)
				continue;
			c = lcore_mask_count(v);
		}
		/* the option as given: "-l 0-2" or "-l0-2" */
		if (v == argv[i])
			snprintf(why, len, "%s %s", opt, v);
		else
			snprintf(why, len, "%s", opt);
		if (c <= 0) {
			snprintf(why + strlen(why), len - strlen(why),
				 " not understood: 1 worker");
			return 1;
		}
		n = c;
	}
	if (n < 0) {
		CPU_ZERO(&cpus);
		n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ?
		    CPU_COUNT(&cpus) : 1;
		snprintf(why, len, "no -l, -c or --lcores: the EAL takes the %d CPUs dsrlb may run on",
			 n);
	}
	if (n < 2) {
		snprintf(why + strlen(why), len - strlen(why),
			 "; dsrlb needs two lcores, so 1 worker");
		return 1;
	}
	return (unsigned int)n - 1;
}

/*
 * Every part at its peak, on one NUMA node, allocated in the order
 * dsrlb starts (main()) on a heap that grows by pages of page_size: room
 * for the EAL, the RCU variable, one mbuf pool, the core's first
 * commit, the workers' flow tables, rings and contexts, the NICs'
 * queues, packet capture's counters (rte_pdump_init()), a commit that
 * replaces every table while the first ones wait for their grace
 * period, and the margin. The total is the pages the heap maps.
 */
static int
estimate(const struct lb_conf *conf, const struct dsrlb_app *plan,
	 size_t page_size, struct dsrlb_memory *m, struct lb_conf_error *err)
{
	const struct lb_conf_dataplane *dp = &conf->dataplane;
	size_t workers_other, nic, i, pairs;
	struct lb_core_memsize core;
	struct lb_mem_heap *h;
	int rc;

	memset(m, 0, sizeof(*m));
	h = malloc(sizeof(*h));
	if (h == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	lb_mem_heap_init(h, page_size);
	m->n_workers = plan->env.n_workers;
	m->flows = dsrlb_flows_per_worker(conf, plan->env.n_workers);
	m->n_mbufs = dsrlb_pool_mbufs(plan);
	m->mbuf_room = dsrlb_mbuf_room(conf);

	m->eal = room(h, EAL_ROOM);
	m->other = lb_mem_malloc_size(
		rte_rcu_qsbr_get_memsize(plan->env.n_workers), h);
	m->mbufs = dsrlb_pool_memsize(plan, page_size, h);
	rc = lb_core_memsize(conf, h, &core, err);
	if (rc != 0)
		goto out;
	dsrlb_workers_memsize(plan, h, &m->flow_tables, &workers_other);
	m->other += workers_other;
	pairs = (size_t)conf->n_ports * plan->env.n_workers;
	nic = NIC_QUEUE_PAIR +
	      NIC_PER_DESC * ((size_t)dp->rx_desc + dp->tx_desc);
	for (i = 0; i < pairs; i++)
		m->other += lb_mem_malloc_size(nic, h);
	m->other += lb_mem_malloc_size(2 * sizeof(struct rte_pdump_stats) *
				       RTE_MAX_ETHPORTS *
				       RTE_MAX_QUEUES_PER_PORT, h);
	rc = lb_core_memsize(conf, h, &core, err);
	if (rc != 0)
		goto out;
	m->persist = 2 * core.persist;
	m->n_persist = core.n_persist;
	m->maglev = 4 * core.maglev;
	m->other += 2 * core.snapshot + 2 * core.wrr;
	m->counted = h->allocated - m->eal;
	m->eal += room(h, m->counted * MARGIN_PERCENT / 100);
	m->total = h->mapped;
out:
	free(h);
	return rc;
}

/* On 2 MiB pages, and the total on 1 GiB pages. */
int
dsrlb_memory_estimate(const struct lb_conf *conf, unsigned int n_workers,
		      struct dsrlb_memory *m, struct lb_conf_error *err)
{
	struct dsrlb_memory on_1g;
	struct dsrlb_app *plan;
	int rc;

	/* what the process will be: the functions that size its parts
	 * take the application */
	plan = calloc(1, sizeof(*plan));
	if (plan == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	plan->conf = (struct lb_conf *)(uintptr_t)conf;
	plan->env.n_ports = conf->n_ports;
	plan->env.n_workers = n_workers;
	rc = estimate(conf, plan, PAGE_2M, m, err);
	if (rc == 0)
		rc = estimate(conf, plan, PAGE_1G, &on_1g, err);
	m->total_1g = on_1g.total;
	free(plan);
	return rc;
}

void
dsrlb_memory_print(FILE *f, const struct dsrlb_memory *m, const char *assumed)
{
	fprintf(f, "memory: flow tables %.1f MiB (%u flows), persistence %.1f MiB (%u services), Maglev %.1f MiB, mbufs %.1f MiB (%u mbufs), other %.1f MiB; total %.1f MiB of hugepages on the NIC's NUMA node(s): reserve at least %llu 2 MiB pages (or %llu 1 GiB pages)\n",
		m->flow_tables / MIB, m->flows * m->n_workers,
		m->persist / MIB, m->n_persist, m->maglev / MIB,
		m->mbufs / MIB, m->n_mbufs, m->other / MIB, m->total / MIB,
		(unsigned long long)(m->total / PAGE_2M),
		(unsigned long long)(m->total_1g / PAGE_1G));
	fprintf(f, "memory: assumes %u worker%s of %u flows (%s), every lcore and port on one NUMA node (a node with workers of its own needs their flow tables and a pool of mbufs of %u bytes), a commit's peak (snapshots, Maglev and persistence tables beside those they replace); the total is the 2 MiB pages the heap maps for the %.1f MiB counted, %.1f MiB for the EAL and the drivers and %u%% more\n",
		m->n_workers, m->n_workers == 1 ? "" : "s", m->flows, assumed,
		m->mbuf_room, m->counted / MIB, EAL_ROOM / MIB, MARGIN_PERCENT);
}
