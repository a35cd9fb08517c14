/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdio.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "test_util.h"

/* No hugepages, no PCI, no shared runtime files, no telemetry: tests run
 * in parallel and on machines without DPDK set-up. */
int
test_eal_init(const char *prefix)
{
	char p[64];
	char *argv[] = { "test", "--no-huge", "-m", "256", "--no-pci",
			 "--no-shconf", "--no-telemetry", "-l", "0",
			 "--file-prefix", p, "--log-level", "*:error" };

	snprintf(p, sizeof(p), "%s", prefix);
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0 ?
		-1 : 0;
}

struct rte_rcu_qsbr *
test_qsbr_online(unsigned int n)
{
	struct rte_rcu_qsbr *v = rte_zmalloc("test_qsbr",
					     rte_rcu_qsbr_get_memsize(n),
					     RTE_CACHE_LINE_SIZE);
	unsigned int i;

	if (v == NULL || rte_rcu_qsbr_init(v, n) != 0) {
		rte_free(v);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		rte_rcu_qsbr_thread_register(v, i);
		rte_rcu_qsbr_thread_online(v, i);
	}
	return v;
}
