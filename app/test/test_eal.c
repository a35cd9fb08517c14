/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdio.h>

#include <rte_eal.h>

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
