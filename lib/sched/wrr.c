/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdint.h>
#include <stdlib.h>

#include "lb_sched.h"

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

uint32_t
lb_wrr_len(const struct lb_sched_backend *b, unsigned int n)
{
	uint64_t sum = 0;
	uint32_t g = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		sum += b[i].weight;
		g = gcd(b[i].weight, g);
	}
	if (g == 0)
		return 0;
	sum /= g;
	return sum > LB_WRR_MAX_LEN ? LB_WRR_MAX_LEN : (uint32_t)sum;
}

/*
 * nginx's smooth weighted round robin, run once for a whole period and
 * stored: the data path then only advances a per-lcore cursor. Every
 * step each member gains its weight, the richest is picked and pays the
 * total, which spreads heavy members evenly instead of in runs.
 */
uint32_t
lb_wrr_build(uint16_t *seq, const struct lb_sched_backend *b, unsigned int n)
{
	uint32_t len = lb_wrr_len(b, n), k, g = 0;
	int64_t *cur, total = 0;
	unsigned int i;

	if (len == 0)
		return 0;
	cur = calloc(n, sizeof(*cur));
	if (cur == NULL)
		return 0;
	for (i = 0; i < n; i++)
		g = gcd(b[i].weight, g);
	for (i = 0; i < n; i++)
		total += b[i].weight / g;

	for (k = 0; k < len; k++) {
		unsigned int best = 0;

		for (i = 0; i < n; i++) {
			cur[i] += b[i].weight / g;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total;
		seq[k] = b[best].id;
	}
	free(cur);
	return len;
}
