/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the flow-sync decoder on a buffer of exactly the
 * input's length (ASan catches any read past it). A message it accepts
 * must hold only valid records and encode back to exactly its bytes:
 * the format has one spelling per message, so a peer never installs
 * something the encoder could not have sent.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_sync_rec r[LB_SYNC_MAX_RECS];
	uint8_t again[LB_SYNC_MSG_MAX];
	struct lb_sync_hdr h;
	uint8_t *buf;
	int rc, i;

	if (size > 65535)
		return 0;
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = lb_sync_decode(buf, size, &h, r);
	if (rc >= 0) {
		if (rc != h.count || rc > LB_SYNC_MAX_RECS)
			abort();
		for (i = 0; i < rc; i++)
			if (!lb_sync_rec_valid(&r[i]))
				abort();
		if (lb_sync_encode(again, sizeof(again), &h, r,
				   (unsigned int)rc) != size ||
		    memcmp(again, buf, size) != 0)
			abort();
	} else if (rc < LB_SYNC_E_RECORD) {
		abort();
	}
	free(buf);
	return 0;
}
