/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "lb_flow.h"

struct lb_flow_table *
lb_flow_create(const char *name, uint32_t capacity, int socket_id)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct lb_tuple),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = LB_HASH_SEED,
		.socket_id = socket_id,
		/* every slot usable: a full table means exactly capacity */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct lb_flow_table *t;
	int32_t max_id;

	if (capacity < 8) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE,
			       socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;
	max_id = rte_hash_max_key_id(t->h);
	if (max_id < 0) {
		rte_errno = EINVAL;
		goto fail_hash;
	}
	t->n_pos = (uint32_t)max_id + 1;
	t->e = rte_zmalloc_socket(name, (size_t)t->n_pos * sizeof(*t->e),
				  RTE_CACHE_LINE_SIZE, socket_id);
	if (t->e == NULL) {
		rte_errno = ENOMEM;
		goto fail_hash;
	}
	t->capacity = capacity;
	return t;

fail_hash:
	rte_hash_free(t->h);
fail:
	rte_free(t);
	return NULL;
}

void
lb_flow_free(struct lb_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->e);
	rte_free(t);
}

void
lb_flow_flush(struct lb_flow_table *t)
{
	rte_hash_reset(t->h);
	memset(t->e, 0, (size_t)t->n_pos * sizeof(*t->e));
	t->count = 0;
}

void
lb_flow_lookup_bulk(struct lb_flow_table *t, const struct lb_tuple **keys,
		    uint32_t *sig, unsigned int n, int32_t *pos)
{
	unsigned int i;

	if (rte_hash_lookup_with_hash_bulk(t->h, (const void **)keys, sig, n,
					   pos) != 0)
		for (i = 0; i < n; i++)
			pos[i] = -ENOENT;
	for (i = 0; i < n; i++)
		if (pos[i] >= 0)
			rte_prefetch0(&t->e[pos[i]]);
}

int32_t
lb_flow_lookup(struct lb_flow_table *t, const struct lb_tuple *key,
	       uint32_t sig)
{
	return rte_hash_lookup_with_hash(t->h, key, sig);
}

int32_t
lb_flow_add(struct lb_flow_table *t, const struct lb_tuple *key, uint32_t sig)
{
	int32_t pos = rte_hash_add_key_with_hash(t->h, key, sig);

	if (pos < 0)
		return -ENOSPC;
	if ((uint32_t)pos >= t->n_pos) {
		/* cannot happen with our parameters; never index past e[] */
		rte_hash_del_key_with_hash(t->h, key, sig);
		return -ENOSPC;
	}
	if (t->e[pos].state == 0)
		t->count++;
	memset(&t->e[pos], 0, sizeof(t->e[pos]));
	return pos;
}

void
lb_flow_del(struct lb_flow_table *t, int32_t pos)
{
	void *key;

	if (pos < 0 || (uint32_t)pos >= t->n_pos || t->e[pos].state == 0)
		return;
	if (rte_hash_get_key_with_position(t->h, pos, &key) == 0)
		rte_hash_del_key_with_hash(t->h, key,
					   lb_tuple_hash((const struct lb_tuple *)key));
	t->e[pos].state = 0;
	t->count--;
}

/*
 * Incremental: a few positions per call keeps the cost per burst small
 * and bounded, and walking the entry array in order lets the hardware
 * prefetcher hide most of it. Expired flows a lookup meets first are
 * reused in place by the caller, so the sweeper only has to keep the
 * table from filling with dead flows.
 */
unsigned int
lb_flow_sweep(struct lb_flow_table *t, uint32_t now, unsigned int budget)
{
	unsigned int removed = 0;
	uint32_t pos = t->sweep_pos;

	while (budget-- > 0) {
		struct lb_flow_entry *e = &t->e[pos];

		if (e->state != 0 && lb_flow_expired(e, now)) {
			lb_flow_del(t, (int32_t)pos);
			removed++;
		}
		if (++pos == t->n_pos)
			pos = 0;
	}
	t->sweep_pos = pos;
	return removed;
}
