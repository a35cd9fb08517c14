/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_sched.h"

bool
lb_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; (uint64_t)d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* FNV-1a over the name, then splitmix64's finaliser: portable and fixed,
 * so every balancer derives the same permutation from the same name. */
static uint64_t
name_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

struct perm {
	const struct lb_sched_backend *b;
	uint32_t pos;    /* next preferred slot */
	uint32_t skip;
	uint64_t credit;
};

static int
perm_cmp(const void *a, const void *b)
{
	return strcmp(((const struct perm *)a)->b->name,
		      ((const struct perm *)b)->b->name);
}

/*
 * Maglev's population (Eisenbud et al., NSDI 2016, section 3.4) with
 * weights: each round every member earns its weight in credit and takes
 * its next preferred free slot for each full "max weight" of credit, so
 * members fill the table in proportion to their weights while keeping
 * their own fixed preference order.
 */
int
lb_maglev_build(uint16_t *table, uint32_t size,
		const struct lb_sched_backend *b, unsigned int n)
{
	struct perm *p;
	uint32_t filled = 0, wmax = 0;
	unsigned int i;

	if (size > LB_MAGLEV_MAX_SIZE || !lb_is_prime(size))
		return -EINVAL;
	for (i = 0; i < size; i++)
		table[i] = LB_SCHED_NONE;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (b[i].weight == 0)
			return -EINVAL;
		if (b[i].weight > wmax)
			wmax = b[i].weight;
	}

	p = calloc(n, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		p[i].b = &b[i];
		p[i].pos = name_hash(b[i].name, 0) % size;
		p[i].skip = name_hash(b[i].name, 1) % (size - 1) + 1;
	}
	qsort(p, n, sizeof(*p), perm_cmp);

	while (filled < size) {
		for (i = 0; i < n && filled < size; i++) {
			p[i].credit += p[i].b->weight;
			if (p[i].credit < wmax)
				continue;
			p[i].credit -= wmax;
			while (table[p[i].pos] != LB_SCHED_NONE)
				p[i].pos = (uint32_t)(((uint64_t)p[i].pos +
					p[i].skip) % size);
			table[p[i].pos] = p[i].b->id;
			p[i].pos = (uint32_t)(((uint64_t)p[i].pos + p[i].skip) %
				size);
			filled++;
		}
	}
	free(p);
	return 0;
}
