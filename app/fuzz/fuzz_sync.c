/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the flow-sync decoder under a group's fixed test
 * keys, on a heap buffer of exactly the message's length (ASan catches
 * any read past it).
 *
 * A fuzzer cannot forge a MAC, so the first input byte picks a mode:
 *   even: the rest is a datagram as received: the framing, key and MAC
 *         checks (it is refused, cleanly, unless it carries a valid MAC,
 *         as the seeds do);
 *   odd:  the rest is a message without its MAC: it is signed here with
 *         the key its header names (key 1 if the ring has no such key)
 *         and then decoded, so the record checks behind the MAC are
 *         reached; a MAC error is then a bug.
 * Either way a message decode accepts must hold only valid records, of
 * the message's type (all-IPv4 in FLOWS, any other in FLOWS6), and
 * encode back to exactly its bytes: the format has one spelling per
 * message, so a peer never installs what the encoder could not have
 * sent. A refusal before the MAC passed must leave the header alone.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lb_sync.h"

/* The group's keys; app/fuzz/make_corpus.py signs its seeds with the
 * same bytes (key 1: 0x01..0x20, key 2: 0xa0..0xbf). */
static struct lb_conf_keys ring12, ring21;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
keys_init(void)
{
	unsigned int i;

	if (ring12.n != 0)
		return;
	ring12.n = 2;
	ring12.k[0].id = 1;
	ring12.k[1].id = 2;
	for (i = 0; i < LB_CONF_KEY_LEN; i++) {
		ring12.k[0].key[i] = (uint8_t)(i + 1);
		ring12.k[1].key[i] = (uint8_t)(0xa0 + i);
	}
	/* the same keys, 2 signing: to encode again what 2 signed */
	ring21.n = 2;
	ring21.k[0] = ring12.k[1];
	ring21.k[1] = ring12.k[0];
}

/* The MAC over body under the key id names, or key 1's. */
static void
sign(uint8_t *mac, const uint8_t *body, size_t len, uint8_t id)
{
	const uint8_t *key = id == 2 ? ring12.k[1].key : ring12.k[0].key;

	crypto_auth_hmacsha512256(mac, body, len, key);
}

static void
check(const uint8_t *buf, size_t len, bool signed_here)
{
	struct lb_sync_rec r[LB_SYNC_MAX_RECS];
	uint8_t again[LB_SYNC_MSG_MAX];
	struct lb_sync_hdr h, pat;
	int rc, i;

	memset(&pat, 0x5a, sizeof(pat));
	h = pat;
	rc = lb_sync_decode(buf, len, &h, r, &ring12);
	if (rc < LB_SYNC_E_RECORD)
		abort();
	if (rc < 0 && rc >= LB_SYNC_E_MAC && memcmp(&h, &pat, sizeof(h)) != 0)
		abort();
	/* signed here with the key the header names: the MAC is right
	 * wherever the framing puts it */
	if (signed_here && rc == LB_SYNC_E_MAC)
		abort();
	if (rc < 0)
		return;
	if (rc != h.count || rc > LB_SYNC_MAX_RECS ||
	    (h.type == LB_SYNC_FLOWS6 && rc > LB_SYNC_MAX_RECS6) ||
	    (h.key_id != 1 && h.key_id != 2))
		abort();
	/* a message's records are of its type (lb_sync_rec_type()) */
	for (i = 0; i < rc; i++)
		if (!lb_sync_rec_valid(&r[i]) ||
		    lb_sync_rec_type(&r[i]) != h.type)
			abort();
	if (lb_sync_encode(again, sizeof(again), &h, r, (unsigned int)rc,
			   h.key_id == 1 ? &ring12 : &ring21) != len ||
	    memcmp(again, buf, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool sign_here;
	uint8_t *buf;
	size_t len;

	if (size == 0 || size > 65536)
		return 0;
	keys_init();
	sign_here = (data[0] & 1) != 0;
	data++;
	size--;
	len = sign_here ? size + LB_SYNC_MAC_LEN : size;
	buf = malloc(len == 0 ? 1 : len);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (sign_here)
		sign(buf + size, buf, size, size > 12 ? buf[12] : 1);
	check(buf, len, sign_here);
	free(buf);
	return 0;
}
