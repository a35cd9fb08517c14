/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The flow-sync protocol, version 2. The codec: messages written field
 * by field as lb_sync.h's wire format says (FLOWS, all IPv4, and
 * FLOWS6, the rest: IPv6 flows, IPv6 members), their MAC computed here
 * with libsodium directly, compared byte for byte with the encoder;
 * every truncation, every header field, key and MAC check and record
 * rule broken; a storm of random datagrams. Then the rules beyond one
 * message: the replay window, serving a peer's bulk request, our own
 * bulk request, the refresh rule. No EAL. */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <sodium.h>

#include "lb_sync.h"
#include "test_util.h"

#define SYNC_ID 7
#define SEQ UINT64_C(0x0102030405060708)
#define NONCE UINT64_C(0xfedcba9876543210)

/* A group's two keys (1 signs, then 2 during a rotation), a third
 * (id 3), and a different secret under id 1: what a balancer of another
 * group, or one with a stale key file, holds. */
static uint8_t key1[LB_CONF_KEY_LEN], key2[LB_CONF_KEY_LEN],
	key3[LB_CONF_KEY_LEN], key1_other[LB_CONF_KEY_LEN];
/* Rings named by their key ids, the signing key first. */
static struct lb_conf_keys ring1, ring12, ring21, ring2, ring13, ring1_other;

static void
ring_add(struct lb_conf_keys *k, uint8_t id, const uint8_t *key)
{
	k->k[k->n].id = id;
	memcpy(k->k[k->n].key, key, LB_CONF_KEY_LEN);
	k->n++;
}

/* A member address: IPv4 (as lb_ip holds it, IPv4-mapped) or IPv6. */
static struct lb_ip
m4(const char *s)
{
	return lb_ip_from4(ip4(s));
}

static struct lb_ip
m6(const char *s)
{
	struct lb_ip a;

	assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

static int
keys_setup(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < LB_CONF_KEY_LEN; i++) {
		key1[i] = (uint8_t)(i + 1);
		key2[i] = (uint8_t)(0xa0 + i);
		key3[i] = (uint8_t)(0x55 ^ i);
		key1_other[i] = key1[i];
	}
	key1_other[31] ^= 0x80;
	ring_add(&ring1, 1, key1);
	ring_add(&ring12, 1, key1);
	ring_add(&ring12, 2, key2);
	ring_add(&ring21, 2, key2);
	ring_add(&ring21, 1, key1);
	ring_add(&ring2, 2, key2);
	ring_add(&ring13, 1, key1);
	ring_add(&ring13, 3, key3);
	ring_add(&ring1_other, 1, key1_other);
	return 0;
}

/* The records of the reference message: a TCP flow, a UDP flow, a /24
 * persistence record and a TCP flow that ended. */
static void
four_recs(struct lb_sync_rec r[4])
{
	r[0] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 6,
		.state = LB_SYNC_ST_TCP_EST, .client = ip4("203.0.113.5"),
		.vip = ip4("198.51.100.100"), .cport = 40000, .vport = 110,
		.member = m4("198.51.100.11"), .lifetime_ms = 900000 };
	r[1] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 17,
		.state = LB_SYNC_ST_UDP, .client = ip4("203.0.113.6"),
		.vip = ip4("198.51.100.101"), .cport = 5061, .vport = 5060,
		.member = m4("198.51.100.12"), .lifetime_ms = 30000 };
	r[2] = (struct lb_sync_rec){ .kind = LB_SYNC_K_PERSIST, .proto = 6,
		.state = 24, .client = ip4("203.0.113.0"),
		.vip = ip4("198.51.100.100"), .cport = 0, .vport = 443,
		.member = m4("198.51.100.13"), .lifetime_ms = 300000 };
	r[3] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 6,
		.state = LB_SYNC_ST_ENDED, .client = ip4("203.0.113.7"),
		.vip = ip4("198.51.100.100"), .cport = 40001, .vport = 110,
		.member = m4("198.51.100.11"), .lifetime_ms = 0 };
}

static void
put64(struct frame *f, uint64_t v)
{
	put32(f, (uint32_t)(v >> 32));
	put32(f, (uint32_t)v);
}

static void
wire_hdr(struct frame *f, uint8_t type, uint16_t count, uint32_t id,
	 uint8_t key_id, uint64_t seq, uint64_t nonce)
{
	f->len = 0;
	put32(f, 0x44534c53);   /* "DSLS" */
	put8(f, 2);             /* version */
	put8(f, type);
	put16(f, count);
	put32(f, id);
	put8(f, key_id);
	put8(f, 0);             /* reserved, 3 bytes */
	put8(f, 0);
	put8(f, 0);
	put64(f, seq);
	put64(f, nonce);
}

static void
wire_rec(struct frame *f, uint8_t kind, uint8_t proto, uint8_t state,
	 const char *client, const char *vip, uint16_t cport, uint16_t vport,
	 const char *member, uint32_t lifetime_ms)
{
	put8(f, kind);
	put8(f, proto);
	put8(f, state);
	put8(f, 0);             /* reserved */
	put32(f, ntohl(ip4(client)));
	put32(f, ntohl(ip4(vip)));
	put16(f, cport);
	put16(f, vport);
	put32(f, ntohl(ip4(member)));
	put32(f, lifetime_ms);
}

/* The MAC over everything written so far, made here with libsodium and
 * not by the code under test. */
static void
wire_mac(struct frame *f, const uint8_t *key)
{
	crypto_auth_hmacsha512256(f->b + f->len, f->b, f->len, key);
	f->len += LB_SYNC_MAC_LEN;
}

/* Sign again a whole message (its last 32 bytes are the MAC) after its
 * body was changed in place: what a holder of the key could send. */
static void
resign(uint8_t *b, size_t len, const uint8_t *key)
{
	crypto_auth_hmacsha512256(b + len - LB_SYNC_MAC_LEN, b,
				  len - LB_SYNC_MAC_LEN, key);
}

/* four_recs() on the wire, written independently of the encoder. */
static void
wire_four(struct frame *f, uint8_t key_id, const uint8_t *key)
{
	wire_hdr(f, LB_SYNC_FLOWS, 4, SYNC_ID, key_id, SEQ, 0);
	wire_rec(f, 1, 6, 1, "203.0.113.5", "198.51.100.100", 40000, 110,
		 "198.51.100.11", 900000);
	wire_rec(f, 1, 17, 2, "203.0.113.6", "198.51.100.101", 5061, 5060,
		 "198.51.100.12", 30000);
	wire_rec(f, 2, 6, 24, "203.0.113.0", "198.51.100.100", 0, 443,
		 "198.51.100.13", 300000);
	wire_rec(f, 1, 6, 3, "203.0.113.7", "198.51.100.100", 40001, 110,
		 "198.51.100.11", 0);
	wire_mac(f, key);
}

#define FOUR_LEN (32 + 4 * 24 + 32)

static void
assert_rec_equal(const struct lb_sync_rec *a, const struct lb_sync_rec *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->client, b->client);
	assert_int_equal(a->vip, b->vip);
	assert_int_equal(a->cport, b->cport);
	assert_int_equal(a->vport, b->vport);
	assert_memory_equal(a->member.b, b->member.b, 16);
	assert_int_equal(a->lifetime_ms, b->lifetime_ms);
}

#define HDR_PATTERN 0x5a

/* Decode a copy of exactly len bytes at an odd address: ASan sees any
 * read past len, UBSan any unaligned load. h is filled with a pattern
 * first, and every refusal before the MAC passed must leave it so:
 * nothing of an unauthenticated message reaches the caller. */
static int
decode_exact(const uint8_t *p, size_t len, struct lb_sync_hdr *h,
	     struct lb_sync_rec *r, const struct lb_conf_keys *keys)
{
	uint8_t *mem = malloc(len + 1);
	struct lb_sync_hdr pat;
	int rc;

	assert_non_null(mem);
	memcpy(mem + 1, p, len);
	memset(&pat, HDR_PATTERN, sizeof(pat));
	memcpy(h, &pat, sizeof(pat));
	rc = lb_sync_decode(mem + 1, len, h, r, keys);
	free(mem);
	if (rc < 0 && rc >= LB_SYNC_E_MAC && memcmp(h, &pat, sizeof(pat)) != 0)
		fail_msg("decode gave %d (%s) but wrote the header", rc,
			 lb_sync_strerror(rc));
	return rc;
}

/* ---- round trips ---- */

static void
flows_encode_to_the_design_bytes_and_decode_back(void **state)
{
	/* count, key_id and (in FLOWS) nonce are the encoder's to set */
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .count = 99,
		.key_id = 77, .id = SYNC_ID, .seq = SEQ, .nonce = NONCE }, got;
	struct lb_sync_rec r[4], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct frame f;
	unsigned int i;
	size_t len;

	(void)state;
	four_recs(r);
	wire_four(&f, 1, key1);
	assert_int_equal(f.len, FOUR_LEN);
	assert_int_equal(f.len, 160);

	len = lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring1);
	assert_int_equal(len, FOUR_LEN);
	assert_memory_equal(buf, f.b, FOUR_LEN);
	/* the ring's first key signs, whatever else it holds */
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring12),
			 FOUR_LEN);
	assert_memory_equal(buf, f.b, FOUR_LEN);

	memset(out, 0xa5, sizeof(out));
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1), 4);
	assert_int_equal(got.type, LB_SYNC_FLOWS);
	assert_int_equal(got.key_id, 1);
	assert_int_equal(got.count, 4);
	assert_int_equal(got.id, SYNC_ID);
	assert_int_equal(got.seq, SEQ);
	assert_int_equal(got.nonce, 0);
	for (i = 0; i < 4; i++)
		assert_rec_equal(&out[i], &r[i]);
	/* spelled out once, against the design's field order */
	assert_int_equal(out[0].cport, 40000);
	assert_int_equal(out[0].vport, 110);
	assert_int_equal(out[0].lifetime_ms, 900000);
	assert_int_equal(out[1].proto, 17);
	assert_int_equal(out[1].state, LB_SYNC_ST_UDP);
	assert_int_equal(out[2].kind, LB_SYNC_K_PERSIST);
	assert_int_equal(out[2].state, 24);
	assert_int_equal(out[2].client, ip4("203.0.113.0"));
	assert_memory_equal(out[2].member.b, m4("198.51.100.13").b, 16);
	assert_int_equal(out[3].state, LB_SYNC_ST_ENDED);
	assert_int_equal(out[3].lifetime_ms, 0);
}

static void
bulk_messages_round_trip_with_their_nonce(void **state)
{
	static const uint8_t types[] = { LB_SYNC_BULK_REQUEST,
					 LB_SYNC_BULK_END };
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_HDR_LEN + LB_SYNC_MAC_LEN];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(types); i++) {
		struct lb_sync_hdr h = { .type = types[i], .id = 0xfffffffe,
			.seq = UINT64_C(0x8000000000000001), .nonce = NONCE };

		wire_hdr(&f, types[i], 0, 0xfffffffe, 2,
			 UINT64_C(0x8000000000000001), NONCE);
		wire_mac(&f, key2);
		assert_int_equal(f.len, 64);
		/* a header and a MAC's worth of room is enough; r may be
		 * NULL */
		assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, NULL, 0,
						&ring21), 64);
		assert_memory_equal(buf, f.b, 64);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring12),
				 0);
		assert_int_equal(got.type, types[i]);
		assert_int_equal(got.key_id, 2);
		assert_int_equal(got.count, 0);
		assert_int_equal(got.id, 0xfffffffe);
		assert_int_equal(got.seq, UINT64_C(0x8000000000000001));
		assert_int_equal(got.nonce, NONCE);
	}
}

/* The boundary records that are valid: a /0 template of 0.0.0.0, a /32
 * of any address, the highest ports, the longest lifetime, a lifetime
 * of 0 on a live flow (it expires at once), a UDP flow that ended. */
static void
edge_records_are_valid_and_round_trip(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = 1 }, got;
	struct lb_sync_rec r[6], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	unsigned int i;
	size_t len;

	(void)state;
	four_recs(r);
	r[4] = r[2];
	r[5] = r[1];
	r[2].state = 0;
	r[2].client = 0;
	r[2].lifetime_ms = LB_SYNC_LIFETIME_MAX;
	r[4].state = 32;
	r[4].client = ip4("203.0.113.77");
	r[4].vport = 65535;
	r[4].proto = 17;
	r[0].cport = 65535;
	r[0].client = ip4("255.255.255.255");
	r[0].lifetime_ms = LB_SYNC_LIFETIME_MAX;
	r[1].lifetime_ms = 0;
	r[5].state = LB_SYNC_ST_ENDED;
	r[5].lifetime_ms = 0;
	for (i = 0; i < 6; i++)
		assert_true(lb_sync_rec_valid(&r[i]));
	len = lb_sync_encode(buf, sizeof(buf), &h, r, 6, &ring1);
	assert_int_equal(len, 32 + 6 * 24 + 32);
	assert_int_equal(decode_exact(buf, len, &got, out, &ring1), 6);
	for (i = 0; i < 6; i++)
		assert_rec_equal(&out[i], &r[i]);
}

/* 56 distinct records fill LB_SYNC_MSG_MAX exactly; each comes back in
 * its place. */
static void
max_records_fill_the_largest_message(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = 9, .seq = 3 },
		got;
	struct lb_sync_rec r[LB_SYNC_MAX_RECS + 1], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX + LB_SYNC_REC_LEN];
	struct lb_sync_rec t[4];
	struct frame f;
	unsigned int i;

	(void)state;
	assert_int_equal(LB_SYNC_MAX_RECS, 56);
	assert_int_equal(LB_SYNC_MSG_MAX, 1408);
	wire_hdr(&f, LB_SYNC_FLOWS, LB_SYNC_MAX_RECS, 9, 1, 3, 0);
	four_recs(t);
	for (i = 0; i < LB_SYNC_MAX_RECS + 1; i++) {
		r[i] = t[0];
		r[i].cport = (uint16_t)(1000 + i);
		r[i].client = htonl(0xcb007100 + i + 1);
		r[i].member = lb_ip_from4(htonl(0xc6336400 + (i % 7) + 11));
		r[i].lifetime_ms = 1000 * i;
	}
	for (i = 0; i < LB_SYNC_MAX_RECS; i++) {
		char c[16], m[16];
		struct in_addr a;

		a.s_addr = r[i].client;
		snprintf(c, sizeof(c), "%s", inet_ntoa(a));
		a.s_addr = lb_ip_v4(&r[i].member);
		snprintf(m, sizeof(m), "%s", inet_ntoa(a));
		wire_rec(&f, 1, 6, 1, c, "198.51.100.100",
			 (uint16_t)(1000 + i), 110, m, 1000 * i);
	}
	wire_mac(&f, key1);
	assert_int_equal(f.len, LB_SYNC_MSG_MAX);
	assert_int_equal(lb_sync_encode(buf, LB_SYNC_MSG_MAX, &h, r,
					LB_SYNC_MAX_RECS, &ring1),
			 LB_SYNC_MSG_MAX);
	assert_memory_equal(buf, f.b, LB_SYNC_MSG_MAX);
	assert_int_equal(decode_exact(buf, LB_SYNC_MSG_MAX, &got, out, &ring1),
			 LB_SYNC_MAX_RECS);
	assert_int_equal(got.count, LB_SYNC_MAX_RECS);
	for (i = 0; i < LB_SYNC_MAX_RECS; i++)
		assert_rec_equal(&out[i], &r[i]);
	/* one more never fits, whatever the room */
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r,
					LB_SYNC_MAX_RECS + 1, &ring1), 0);
}

/* ---- keys ---- */

/* A rotation: key 2 is added everywhere (rings {1, 2}), then made the
 * signing one on some balancers ({2, 1}) while others still sign with
 * 1; every message is taken. Only a balancer without key 2 refuses. */
static void
second_key_decodes_during_rotation(void **state)
{
	struct lb_sync_rec r[4], out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = SYNC_ID,
		.seq = SEQ }, got;
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct lb_conf_keys stale;
	struct frame f;
	size_t len;

	(void)state;
	four_recs(r);
	wire_four(&f, 2, key2);
	len = lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring21);
	assert_int_equal(len, FOUR_LEN);
	assert_memory_equal(buf, f.b, FOUR_LEN);

	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring12), 4);
	assert_int_equal(got.key_id, 2);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring21), 4);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring2), 4);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_KEY);
	/* the old key still works where it is held */
	wire_four(&f, 1, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring21), 4);
	assert_int_equal(got.key_id, 1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring2),
			 LB_SYNC_E_KEY);
	/* a ring is its first n keys: a dropped key left behind in the
	 * array is not one of them */
	stale = ring12;
	stale.n = 1;
	wire_four(&f, 2, key2);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &stale),
			 LB_SYNC_E_KEY);
}

/* A key id no ring holds, 0 (never a key), no keys at all. */
static void
unknown_key_id_is_a_key_error(void **state)
{
	static const uint8_t ids[] = { 0, 2, 3, 4, 128, 255 };
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_conf_keys none = { .n = 0 }, zero;
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(ids); i++) {
		/* signed with key 1 under the wrong id: the id decides */
		wire_four(&f, ids[i], key1);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
				 LB_SYNC_E_KEY);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &none),
				 LB_SYNC_E_KEY);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, NULL),
				 LB_SYNC_E_KEY);
	}
	/* a ring holding a key under id 0 (never from a key file) does
	 * not make id 0 valid on the wire */
	zero = ring1;
	zero.k[0].id = 0;
	wire_four(&f, 0, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &zero),
			 LB_SYNC_E_KEY);
	/* bulk messages too */
	wire_hdr(&f, LB_SYNC_BULK_REQUEST, 0, SYNC_ID, 9, SEQ, NONCE);
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring12),
			 LB_SYNC_E_KEY);
}

/* Same id, another secret: a balancer of another group, or a key file
 * not rolled out everywhere. */
static void
another_secret_under_the_same_key_id_is_a_mac_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;

	(void)state;
	wire_four(&f, 1, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1_other),
			 LB_SYNC_E_MAC);
	wire_four(&f, 1, key1_other);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_MAC);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1_other),
			 4);
	/* key 2's MAC under id 1 */
	wire_four(&f, 1, key2);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring12),
			 LB_SYNC_E_MAC);
}

/* ---- malformed messages ---- */

/* Every length short of the whole message: no header -> SHORT, a
 * header whose count the bytes do not match -> LENGTH (a message cut
 * anywhere, its MAC included). */
static void
every_truncation_is_short_or_length(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	uint32_t len;

	(void)state;
	wire_four(&f, 1, key1);
	for (len = 0; len < f.len; len++) {
		int rc = decode_exact(f.b, len, &got, out, &ring1);

		if (len < LB_SYNC_HDR_LEN)
			assert_int_equal(rc, LB_SYNC_E_SHORT);
		else
			assert_int_equal(rc, LB_SYNC_E_LENGTH);
	}
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1), 4);
	/* a bulk request too */
	wire_hdr(&f, LB_SYNC_BULK_REQUEST, 0, SYNC_ID, 1, SEQ, NONCE);
	wire_mac(&f, key1);
	for (len = 0; len < f.len; len++)
		assert_int_equal(decode_exact(f.b, len, &got, out, &ring1),
				 len < LB_SYNC_HDR_LEN ? LB_SYNC_E_SHORT :
							 LB_SYNC_E_LENGTH);
}

/* Bytes after the MAC, even with a MAC that covers them. */
static void
trailing_bytes_are_length_errors(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;

	(void)state;
	wire_four(&f, 1, key1);
	put8(&f, 0);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
	/* a whole fifth record the count does not announce, signed */
	wire_hdr(&f, LB_SYNC_FLOWS, 1, SYNC_ID, 1, SEQ, 0);
	wire_rec(&f, 1, 6, 1, "203.0.113.9", "198.51.100.100", 1, 110,
		 "198.51.100.11", 1000);
	wire_rec(&f, 1, 6, 1, "203.0.113.9", "198.51.100.100", 2, 110,
		 "198.51.100.11", 1000);
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
	/* a bulk request with a byte after its MAC, or a MAC twice */
	wire_hdr(&f, LB_SYNC_BULK_REQUEST, 0, SYNC_ID, 1, SEQ, NONCE);
	wire_mac(&f, key1);
	put8(&f, 0);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
	f.len--;
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
}

/* Each header field wrong on its own, the rest of a valid message kept
 * (and not signed again: the checks before the MAC never need it). */
static void
header_fields_checked_before_the_mac(void **state)
{
	static const struct {
		const char *what;
		unsigned int off;
		uint8_t val;
		int err;
	} cases[] = {
		{ "magic first byte", 0, 0x45, LB_SYNC_E_MAGIC },
		{ "magic last byte", 3, 0x52, LB_SYNC_E_MAGIC },
		{ "version 0", 4, 0, LB_SYNC_E_VERSION },
		{ "version 1 (before keys)", 4, 1, LB_SYNC_E_VERSION },
		{ "version 3", 4, 3, LB_SYNC_E_VERSION },
		{ "version 255", 4, 255, LB_SYNC_E_VERSION },
		{ "type 0", 5, 0, LB_SYNC_E_TYPE },
		{ "type 5", 5, 5, LB_SYNC_E_TYPE },
		/* IPv4 records' bytes under the IPv6 type: 4 records of
		 * 60 bytes would be longer */
		{ "flows as flows6", 5, 4, LB_SYNC_E_LENGTH },
		{ "type 255", 5, 255, LB_SYNC_E_TYPE },
		{ "count high byte", 6, 1, LB_SYNC_E_LENGTH },
		{ "count 3", 7, 3, LB_SYNC_E_LENGTH },
		{ "count 5", 7, 5, LB_SYNC_E_LENGTH },
		{ "flows as bulk request", 5, 2, LB_SYNC_E_LENGTH },
		{ "flows as bulk end", 5, 3, LB_SYNC_E_LENGTH },
		{ "key id 0", 12, 0, LB_SYNC_E_KEY },
		{ "key id 2", 12, 2, LB_SYNC_E_KEY },
		{ "key id 255", 12, 255, LB_SYNC_E_KEY },
		{ "MAC first byte", FOUR_LEN - 32, 0, LB_SYNC_E_MAC },
		{ "MAC last byte", FOUR_LEN - 1, 0, LB_SYNC_E_MAC },
	};
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		int rc;

		wire_four(&f, 1, key1);
		if (f.b[cases[i].off] == cases[i].val)
			f.b[cases[i].off] ^= 0xff;
		else
			f.b[cases[i].off] = cases[i].val;
		rc = decode_exact(f.b, f.len, &got, out, &ring1);
		if (rc != cases[i].err)
			fail_msg("%s: got %d (%s), want %d", cases[i].what, rc,
				 lb_sync_strerror(rc), cases[i].err);
	}
}

/* A message with every field wrong at once, put right one field at a
 * time in wire order: each time the error is the first field still
 * wrong (magic, version, type, length, key, MAC, reserved, record). */
static void
header_fields_checked_in_order(void **state)
{
	static const int want[] = { LB_SYNC_E_MAGIC, LB_SYNC_E_VERSION,
		LB_SYNC_E_TYPE, LB_SYNC_E_LENGTH, LB_SYNC_E_KEY, LB_SYNC_E_MAC,
		LB_SYNC_E_RECORD, LB_SYNC_E_RECORD, LB_SYNC_E_RECORD, 4 };
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame good, f;
	unsigned int step;

	(void)state;
	wire_four(&good, 1, key1);
	f = good;
	f.b[0] = 'X';                    /* magic */
	f.b[4] = 1;                      /* version */
	f.b[5] = 9;                      /* type */
	f.b[7] = 5;                      /* count */
	f.b[12] = 9;                     /* key id */
	f.b[FOUR_LEN - 1] ^= 1;          /* MAC */
	f.b[14] = 1;                     /* header reserved */
	f.b[31] = 1;                     /* nonce in FLOWS */
	f.b[32 + 24 + 16] = 0;           /* second record's member ... */
	f.b[32 + 24 + 17] = 0;
	f.b[32 + 24 + 18] = 0;
	f.b[32 + 24 + 19] = 0;           /* ... is 0.0.0.0 */
	for (step = 0; step < RTE_DIM(want); step++) {
		int rc = decode_exact(f.b, f.len, &got, out, &ring1);

		if (rc != want[step])
			fail_msg("step %u: got %d (%s), want %d", step, rc,
				 lb_sync_strerror(rc), want[step]);
		switch (step) {
		case 0:
			f.b[0] = good.b[0];
			break;
		case 1:
			f.b[4] = good.b[4];
			break;
		case 2:
			f.b[5] = good.b[5];
			break;
		case 3:
			f.b[7] = good.b[7];
			break;
		case 4:
			f.b[12] = good.b[12];
			break;
		case 5:
			resign(f.b, f.len, key1);
			break;
		case 6:
			f.b[14] = 0;
			resign(f.b, f.len, key1);
			break;
		case 7:
			f.b[31] = 0;
			resign(f.b, f.len, key1);
			break;
		case 8:
			memcpy(f.b + 32 + 24 + 16, good.b + 32 + 24 + 16, 4);
			resign(f.b, f.len, key1);
			break;
		}
	}
	assert_memory_equal(f.b, good.b, good.len);
}

static void
flows_without_records_is_a_length_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;

	(void)state;
	wire_hdr(&f, LB_SYNC_FLOWS, 0, SYNC_ID, 1, SEQ, 0);
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
}

/* 57 records, their bytes all there, each valid, the MAC right: still
 * too many. */
static void
count_over_the_maximum_is_a_length_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	static struct frame f;
	struct lb_sync_hdr got;
	unsigned int i;

	(void)state;
	wire_hdr(&f, LB_SYNC_FLOWS, LB_SYNC_MAX_RECS + 1, SYNC_ID, 1, SEQ, 0);
	for (i = 0; i < LB_SYNC_MAX_RECS + 1; i++)
		wire_rec(&f, 1, 6, 1, "203.0.113.5", "198.51.100.100",
			 (uint16_t)(1000 + i), 110, "198.51.100.11", 1000);
	wire_mac(&f, key1);
	assert_int_equal(f.len, 32 + 57 * 24 + 32);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
	/* the largest count a header can say, on a short datagram */
	wire_hdr(&f, LB_SYNC_FLOWS, 0xffff, SYNC_ID, 1, SEQ, 0);
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
	/* a bulk end that claims a record */
	wire_hdr(&f, LB_SYNC_BULK_END, 1, SYNC_ID, 1, SEQ, NONCE);
	wire_rec(&f, 1, 6, 1, "203.0.113.5", "198.51.100.100", 1000, 110,
		 "198.51.100.11", 1000);
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
}

/* ---- authentication ---- */

/* Every bit the MAC covers after the framing fields (sync id, reserved,
 * seq, nonce, each record) and every bit of the MAC: flipped alone, the
 * message is refused as altered and nothing of it is reported. The key
 * id has a test of its own. */
static void
any_flipped_bit_after_the_length_is_a_mac_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	unsigned int off, bit;
	struct frame f;

	(void)state;
	for (off = 8; off < FOUR_LEN; off++) {
		if (off == 12)
			continue;
		for (bit = 0; bit < 8; bit++) {
			int rc;

			wire_four(&f, 1, key1);
			f.b[off] ^= (uint8_t)(1u << bit);
			rc = decode_exact(f.b, f.len, &got, out, &ring1);
			if (rc != LB_SYNC_E_MAC)
				fail_msg("byte %u bit %u: got %d (%s)", off,
					 bit, rc, lb_sync_strerror(rc));
		}
	}
	/* a bulk request's nonce and seq too */
	for (off = 8; off < 64; off++) {
		if (off == 12)
			continue;
		wire_hdr(&f, LB_SYNC_BULK_REQUEST, 0, SYNC_ID, 1, SEQ, NONCE);
		wire_mac(&f, key1);
		f.b[off] ^= 0x10;
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
				 LB_SYNC_E_MAC);
	}
}

/* The key id is covered too: flipped to an id the ring holds (1 -> 3),
 * that key's MAC does not match; to any other, the key is unknown. */
static void
flipped_key_id_is_a_key_or_mac_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int bit;

	(void)state;
	for (bit = 0; bit < 8; bit++) {
		wire_four(&f, 1, key1);
		f.b[12] ^= (uint8_t)(1u << bit);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring13),
				 f.b[12] == 3 ? LB_SYNC_E_MAC : LB_SYNC_E_KEY);
	}
}

/* A reserved header byte, or a nonce in FLOWS, from a holder of the
 * key: authentic, so reported (as RECORD, with the header), but
 * refused. The same bytes without the key's MAC: MAC. */
static void
reserved_header_or_flows_nonce_is_a_record_error(void **state)
{
	static const unsigned int offs[] = { 13, 14, 15, 24, 27, 31 };
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i, bit;

	(void)state;
	for (i = 0; i < RTE_DIM(offs); i++) {
		for (bit = 0; bit < 8; bit++) {
			wire_four(&f, 1, key1);
			f.b[offs[i]] ^= (uint8_t)(1u << bit);
			assert_int_equal(decode_exact(f.b, f.len, &got, out,
						      &ring1), LB_SYNC_E_MAC);
			resign(f.b, f.len, key1);
			assert_int_equal(decode_exact(f.b, f.len, &got, out,
						      &ring1),
					 LB_SYNC_E_RECORD);
			assert_int_equal(got.id, SYNC_ID);
			assert_int_equal(got.key_id, 1);
			assert_int_equal(got.seq, SEQ);
			assert_int_equal(got.count, 4);
		}
	}
	/* a bulk message's reserved bytes too; its nonce is its own */
	wire_hdr(&f, LB_SYNC_BULK_END, 0, SYNC_ID, 1, SEQ, NONCE);
	f.b[15] = 0x80;
	wire_mac(&f, key1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
			 LB_SYNC_E_RECORD);
	assert_int_equal(got.nonce, NONCE);
}

/* The reserved byte exists only on the wire: any bit set in it, in any
 * record, makes an authentic message malformed. */
static void
reserved_record_byte_set_is_a_record_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int rec, bit;

	(void)state;
	for (rec = 0; rec < 4; rec++) {
		for (bit = 0; bit < 8; bit++) {
			wire_four(&f, 1, key1);
			f.b[32 + rec * 24 + 3] = (uint8_t)(1u << bit);
			resign(f.b, f.len, key1);
			assert_int_equal(decode_exact(f.b, f.len, &got, out,
						      &ring1),
					 LB_SYNC_E_RECORD);
		}
	}
}

/* ---- the record rules ---- */

/* An address as a constant, network order. */
#define A(a, b, c, d) \
	RTE_BE32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
		 (uint32_t)(c) << 8 | (uint32_t)(d))
#define CL A(203, 0, 113, 5)
#define VIP A(198, 51, 100, 100)
#define FE4 A(198, 51, 100, 11)
/* A member as a struct lb_ip initializer: IPv4-mapped, 0.0.0.0 too. */
#define MA(a, b, c, d) \
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d } }
#define FE MA(198, 51, 100, 11)
#define M0 MA(0, 0, 0, 0)
#define NET A(203, 0, 113, 0)
#define L 60000                         /* a lifetime */
#define LMAX LB_SYNC_LIFETIME_MAX

/* Records that each break one rule, the rest of a valid TCP flow, UDP
 * flow, ended flow or /24 persistence record kept. */
static const struct {
	const char *what;
	struct lb_sync_rec r;   /* kind, proto, state, client, vip, cport,
				   vport, member, lifetime_ms */
} bad_recs[] = {
	{ "kind 0", { 0, 6, 1, CL, VIP, 40000, 110, FE, L } },
	{ "kind 3", { 3, 6, 1, CL, VIP, 40000, 110, FE, L } },
	{ "kind 255", { 255, 17, 2, CL, VIP, 40000, 110, FE, L } },
	{ "flow proto ICMP", { 1, 1, 1, CL, VIP, 40000, 110, FE, L } },
	{ "flow proto 0", { 1, 0, 2, CL, VIP, 40000, 110, FE, L } },
	{ "persist proto ICMP", { 2, 1, 24, NET, VIP, 0, 443, FE, L } },
	{ "TCP state 0", { 1, 6, 0, CL, VIP, 40000, 110, FE, L } },
	{ "TCP in UDP state", { 1, 6, 2, CL, VIP, 40000, 110, FE, L } },
	{ "TCP state 4", { 1, 6, 4, CL, VIP, 40000, 110, FE, L } },
	{ "TCP state 255", { 1, 6, 255, CL, VIP, 40000, 110, FE, L } },
	{ "UDP in TCP state", { 1, 17, 1, CL, VIP, 5061, 5060, FE, L } },
	{ "UDP state 0", { 1, 17, 0, CL, VIP, 5061, 5060, FE, L } },
	{ "UDP state 4", { 1, 17, 4, CL, VIP, 5061, 5060, FE, L } },
	{ "flow client 0", { 1, 6, 1, 0, VIP, 40000, 110, FE, L } },
	{ "flow vip 0", { 1, 6, 1, CL, 0, 40000, 110, FE, L } },
	{ "flow member 0", { 1, 17, 2, CL, VIP, 5061, 5060, M0, L } },
	{ "flow cport 0", { 1, 6, 1, CL, VIP, 0, 110, FE, L } },
	{ "flow vport 0", { 1, 17, 2, CL, VIP, 5061, 0, FE, L } },
	{ "flow lifetime over the maximum", { 1, 6, 1, CL, VIP, 40000, 110,
					      FE, LMAX + 1 } },
	{ "flow lifetime 2^32-1", { 1, 17, 2, CL, VIP, 5061, 5060, FE,
				    UINT32_MAX } },
	{ "ended TCP with lifetime 1", { 1, 6, 3, CL, VIP, 40000, 110, FE,
					 1 } },
	{ "ended UDP with a lifetime", { 1, 17, 3, CL, VIP, 5061, 5060, FE,
					 L } },
	{ "ended with the longest lifetime", { 1, 6, 3, CL, VIP, 40000, 110,
					       FE, LMAX } },
	{ "ended proto ICMP", { 1, 1, 3, CL, VIP, 40000, 110, FE, 0 } },
	{ "ended client 0", { 1, 6, 3, 0, VIP, 40000, 110, FE, 0 } },
	{ "ended vip 0", { 1, 6, 3, CL, 0, 40000, 110, FE, 0 } },
	{ "ended cport 0", { 1, 17, 3, CL, VIP, 0, 5060, FE, 0 } },
	{ "ended vport 0", { 1, 6, 3, CL, VIP, 40000, 0, FE, 0 } },
	{ "ended member 0", { 1, 6, 3, CL, VIP, 40000, 110, M0, 0 } },
	{ "prefix 33", { 2, 6, 33, NET, VIP, 0, 443, FE, L } },
	{ "prefix 255", { 2, 6, 255, NET, VIP, 0, 443, FE, L } },
	{ "prefix 33 of 128/1", { 2, 6, 33, A(128, 0, 0, 0), VIP, 0, 443, FE,
				  L } },
	{ "host bits in /24", { 2, 6, 24, A(203, 0, 113, 1), VIP, 0, 443, FE,
				L } },
	{ "bit 25 in /24", { 2, 6, 24, A(203, 0, 113, 128), VIP, 0, 443, FE,
			     L } },
	{ "bit 32 in /31", { 2, 17, 31, A(203, 0, 113, 1), VIP, 0, 443, FE,
			     L } },
	{ "client in /0", { 2, 6, 0, A(0, 0, 0, 1), VIP, 0, 443, FE, L } },
	{ "top bit in /0", { 2, 6, 0, A(128, 0, 0, 0), VIP, 0, 443, FE, L } },
	{ "client 0 in /1", { 2, 6, 1, 0, VIP, 0, 443, FE, L } },
	{ "client 0 in /32", { 2, 6, 32, 0, VIP, 0, 443, FE, L } },
	{ "persist cport", { 2, 6, 24, NET, VIP, 1, 443, FE, L } },
	{ "persist vip 0", { 2, 6, 24, NET, 0, 0, 443, FE, L } },
	{ "persist vport 0", { 2, 6, 24, NET, VIP, 0, 0, FE, L } },
	{ "persist member 0", { 2, 17, 24, NET, VIP, 0, 443, M0, L } },
	{ "persist lifetime over the maximum", { 2, 6, 24, NET, VIP, 0, 443,
						 FE, LMAX + 1 } },
};

/* The bytes of r, written as the wire format says. */
static void
splice_rec(uint8_t *p, const struct lb_sync_rec *r)
{
	p[0] = r->kind;
	p[1] = r->proto;
	p[2] = r->state;
	p[3] = 0;
	memcpy(p + 4, &r->client, 4);
	memcpy(p + 8, &r->vip, 4);
	lb_store_be16(p + 12, r->cport);
	lb_store_be16(p + 14, r->vport);
	memcpy(p + 16, &r->member.b[12], 4);
	lb_store_be16(p + 20, (uint16_t)(r->lifetime_ms >> 16));
	lb_store_be16(p + 22, (uint16_t)r->lifetime_ms);
}

/* Each bad record is refused by lb_sync_rec_valid(), by the encoder
 * wherever it stands, and by the decoder in each place of an otherwise
 * valid message properly signed; unsigned, the same bytes are a MAC
 * error (the MAC is checked before any record is looked at). */
static void
each_record_rule_broken_is_a_record_error(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = SYNC_ID,
		.seq = SEQ }, got;
	struct lb_sync_rec r[4], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX], good[LB_SYNC_MSG_MAX];
	unsigned int i, at;
	size_t len;

	(void)state;
	four_recs(r);
	len = lb_sync_encode(good, sizeof(good), &h, r, 4, &ring1);
	assert_int_equal(len, FOUR_LEN);
	for (i = 0; i < RTE_DIM(bad_recs); i++) {
		const struct lb_sync_rec *bad = &bad_recs[i].r;
		const char *what = bad_recs[i].what;
		struct lb_sync_rec four[4];
		int rc;

		if (lb_sync_rec_valid(bad))
			fail_msg("%s: record accepted", what);
		for (at = 0; at < 4; at++) {
			memcpy(four, r, sizeof(four));
			four[at] = *bad;
			memset(buf, 0xee, sizeof(buf));
			if (lb_sync_encode(buf, sizeof(buf), &h, four, 4,
					   &ring1) != 0)
				fail_msg("%s: encoded at %u", what, at);
			assert_int_equal(buf[0], 0xee);

			/* the good message's bytes with the bad record
			 * spliced in */
			memcpy(buf, good, len);
			splice_rec(buf + 32 + at * 24, bad);
			rc = decode_exact(buf, len, &got, out, &ring1);
			if (rc != LB_SYNC_E_MAC)
				fail_msg("%s at %u, unsigned: decode gave %d",
					 what, at, rc);
			resign(buf, len, key1);
			rc = decode_exact(buf, len, &got, out, &ring1);
			if (rc != LB_SYNC_E_RECORD)
				fail_msg("%s at %u: decode gave %d", what, at,
					 rc);
			/* the header was authentic: reported */
			assert_int_equal(got.id, SYNC_ID);
			assert_int_equal(got.count, 4);
			assert_int_equal(got.key_id, 1);
		}
	}
}

/* ---- the encoder's refusals ---- */

static void
encoder_refuses_what_would_not_decode(void **state)
{
	struct lb_sync_hdr flows = { .type = LB_SYNC_FLOWS, .id = 1 };
	struct lb_sync_hdr breq = { .type = LB_SYNC_BULK_REQUEST, .id = 1 };
	struct lb_sync_hdr bend = { .type = LB_SYNC_BULK_END, .id = 1 };
	struct lb_sync_hdr t0 = { .type = 0, .id = 1 };
	struct lb_sync_hdr t4 = { .type = 5, .id = 1 };
	struct lb_sync_rec r[LB_SYNC_MAX_RECS + 1];
	uint8_t buf[LB_SYNC_MSG_MAX + 64], ref[sizeof(buf)];
	struct lb_conf_keys none = { .n = 0 }, zero;
	unsigned int i;

	(void)state;
	four_recs(r);
	for (i = 4; i < LB_SYNC_MAX_RECS + 1; i++)
		r[i] = r[i % 4];
	memset(buf, 0xee, sizeof(buf));
	memcpy(ref, buf, sizeof(buf));

	/* no key to sign with, or a key id 0 first (never on the wire) */
	zero = ring12;
	zero.k[0].id = 0;
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 4, NULL),
			 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 4,
					&none), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 4,
					&zero), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &breq, NULL, 0,
					&zero), 0);
	/* counts and types */
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 0,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r,
					LB_SYNC_MAX_RECS + 1, &ring1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &breq, r, 1,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &bend, r, 1,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &t0, NULL, 0,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &t4, NULL, 0,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &t4, r, 1, &ring1),
			 0);
	/* one byte short of room: the MAC must fit too */
	assert_int_equal(lb_sync_encode(buf, 63, &breq, NULL, 0, &ring1), 0);
	assert_int_equal(lb_sync_encode(buf, LB_SYNC_HDR_LEN, &bend, NULL, 0,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, 0, &bend, NULL, 0, &ring1), 0);
	assert_int_equal(lb_sync_encode(buf, FOUR_LEN - 1, &flows, r, 4,
					&ring1), 0);
	assert_int_equal(lb_sync_encode(buf, FOUR_LEN - LB_SYNC_MAC_LEN,
					&flows, r, 4, &ring1), 0);
	assert_int_equal(lb_sync_encode(buf, LB_SYNC_MSG_MAX - 1, &flows, r,
					LB_SYNC_MAX_RECS, &ring1), 0);
	/* an invalid last record */
	r[3].lifetime_ms = 1;
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 4,
					&ring1), 0);
	assert_memory_equal(buf, ref, sizeof(buf));

	/* and the exact room is enough */
	r[3].lifetime_ms = 0;
	assert_int_equal(lb_sync_encode(buf, FOUR_LEN, &flows, r, 4, &ring1),
			 FOUR_LEN);
	assert_int_equal(buf[FOUR_LEN], 0xee);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(lb_sync_encode(buf, 64, &breq, NULL, 0, &ring1), 64);
	assert_int_equal(buf[64], 0xee);
}

/* ---- IPv6 records (FLOWS6) ---- */

static void
ip6_put(uint8_t *out, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* The IPv6 reference records: a TCP flow, a UDP flow, a persistence
 * record (its key, a /64) and a TCP flow that ended; the UDP flow and
 * the persistence record to IPv6-addressed members. */
#define KEY6 UINT32_C(0x8badf00d)

static void
four_recs6(struct lb_sync_rec r[4])
{
	r[0] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 6,
		.state = LB_SYNC_ST_TCP_EST, .v6 = true, .cport = 40000,
		.vport = 110, .member = m4("198.51.100.11"),
		.lifetime_ms = 900000 };
	ip6_put(r[0].client6, "2001:db8:c::10");
	ip6_put(r[0].vip6, "2001:db8:5::100");
	r[1] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 17,
		.state = LB_SYNC_ST_UDP, .v6 = true, .cport = 5061,
		.vport = 5060, .member = m6("2001:db8:1::12"),
		.lifetime_ms = 30000 };
	ip6_put(r[1].client6, "2001:db8:c::11");
	ip6_put(r[1].vip6, "2001:db8:5::101");
	r[2] = (struct lb_sync_rec){ .kind = LB_SYNC_K_PERSIST, .proto = 6,
		.state = 64, .v6 = true, .client = KEY6, .vport = 443,
		.member = m6("2001:db8:1::13"), .lifetime_ms = 300000 };
	ip6_put(r[2].vip6, "2001:db8:5::100");
	r[3] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 6,
		.state = LB_SYNC_ST_ENDED, .v6 = true, .cport = 40001,
		.vport = 110, .member = m4("198.51.100.11") };
	ip6_put(r[3].client6, "2001:db8:c::12");
	ip6_put(r[3].vip6, "2001:db8:5::100");
}

static void
wire_rec6(struct frame *f, uint8_t kind, uint8_t proto, uint8_t state,
	  const char *client, const char *vip, uint16_t cport, uint16_t vport,
	  const char *member, uint32_t lifetime_ms)
{
	uint8_t a[16];

	put8(f, kind);
	put8(f, proto);
	put8(f, state);
	put8(f, 0);             /* reserved */
	ip6_put(a, client);
	put(f, a, 16);
	ip6_put(a, vip);
	put(f, a, 16);
	put16(f, cport);
	put16(f, vport);
	ip6_put(a, member);
	put(f, a, 16);
	put32(f, lifetime_ms);
}

/* four_recs6() on the wire, written independently of the encoder: the
 * persistence record's key is its first 4 client bytes, big endian. */
static void
wire_four6(struct frame *f, const uint8_t *key)
{
	wire_hdr(f, LB_SYNC_FLOWS6, 4, SYNC_ID, 1, SEQ, 0);
	wire_rec6(f, 1, 6, 1, "2001:db8:c::10", "2001:db8:5::100", 40000, 110,
		  "::ffff:198.51.100.11", 900000);
	wire_rec6(f, 1, 17, 2, "2001:db8:c::11", "2001:db8:5::101", 5061,
		  5060, "2001:db8:1::12", 30000);
	wire_rec6(f, 2, 6, 64, "8bad:f00d::", "2001:db8:5::100", 0, 443,
		  "2001:db8:1::13", 300000);
	wire_rec6(f, 1, 6, 3, "2001:db8:c::12", "2001:db8:5::100", 40001, 110,
		  "::ffff:198.51.100.11", 0);
	wire_mac(f, key);
}

#define FOUR6_LEN (32 + 4 * 60 + 32)

static void
assert_rec6_equal(const struct lb_sync_rec *a, const struct lb_sync_rec *b)
{
	assert_rec_equal(a, b);
	assert_int_equal(a->v6, b->v6);
	assert_memory_equal(a->client6, b->client6, 16);
	assert_memory_equal(a->vip6, b->vip6, 16);
}

static void
flows6_encode_to_the_design_bytes_and_decode_back(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS6, .id = SYNC_ID,
		.seq = SEQ, .nonce = NONCE }, got;
	struct lb_sync_rec r[4], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct frame f;
	unsigned int i;

	(void)state;
	four_recs6(r);
	wire_four6(&f, key1);
	assert_int_equal(f.len, FOUR6_LEN);
	assert_int_equal(f.len, 304);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring1),
			 FOUR6_LEN);
	assert_memory_equal(buf, f.b, FOUR6_LEN);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1), 4);
	assert_int_equal(got.type, LB_SYNC_FLOWS6);
	assert_int_equal(got.nonce, 0);
	for (i = 0; i < 4; i++)
		assert_rec6_equal(&out[i], &r[i]);
	/* the persistence record's key, the flows' IPv4 fields empty */
	assert_int_equal(out[2].client, KEY6);
	assert_int_equal(out[2].state, 64);
	assert_int_equal(out[0].client, 0);
	assert_int_equal(out[0].vip, 0);
	/* the members, of either family, at offset 40 */
	assert_memory_equal(out[0].member.b, m4("198.51.100.11").b, 16);
	assert_memory_equal(out[1].member.b, m6("2001:db8:1::12").b, 16);
	assert_memory_equal(f.b + 32 + 60 + 40, m6("2001:db8:1::12").b, 16);
	assert_int_equal(f.b[32 + 60 + 59], 30000 & 0xff);
}

/* The IPv4 reference records (four_recs()) to IPv6-addressed members:
 * a TCP flow, a UDP flow, a /24 persistence record and an ended flow. */
static void
four_recs46(struct lb_sync_rec r[4])
{
	four_recs(r);
	r[0].member = m6("2001:db8:1::11");
	r[1].member = m6("2001:db8:1::12");
	r[2].member = m6("2001:db8:1::13");
	r[3].member = m6("2001:db8:1::11");
}

/* four_recs46() on the wire: client and VIP IPv4-mapped, the
 * persistence record's client its masked address. */
static void
wire_four46(struct frame *f, const uint8_t *key)
{
	wire_hdr(f, LB_SYNC_FLOWS6, 4, SYNC_ID, 1, SEQ, 0);
	wire_rec6(f, 1, 6, 1, "::ffff:203.0.113.5", "::ffff:198.51.100.100",
		  40000, 110, "2001:db8:1::11", 900000);
	wire_rec6(f, 1, 17, 2, "::ffff:203.0.113.6", "::ffff:198.51.100.101",
		  5061, 5060, "2001:db8:1::12", 30000);
	wire_rec6(f, 2, 6, 24, "::ffff:203.0.113.0", "::ffff:198.51.100.100",
		  0, 443, "2001:db8:1::13", 300000);
	wire_rec6(f, 1, 6, 3, "::ffff:203.0.113.7", "::ffff:198.51.100.100",
		  40001, 110, "2001:db8:1::11", 0);
	wire_mac(f, key);
}

/* IPv4 flows to IPv6 members go in FLOWS6, their addresses
 * IPv4-mapped, and come back as IPv4 records (v6 false); not in FLOWS,
 * which has no room for the member. */
static void
flows6_carries_ipv4_flows_to_ipv6_members(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS6, .id = SYNC_ID,
		.seq = SEQ }, h4 = h, got;
	struct lb_sync_rec r[4], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct frame f;
	unsigned int i;

	(void)state;
	four_recs46(r);
	h4.type = LB_SYNC_FLOWS;
	for (i = 0; i < 4; i++) {
		assert_true(lb_sync_rec_valid(&r[i]));
		assert_int_equal(lb_sync_rec_type(&r[i]), LB_SYNC_FLOWS6);
	}
	wire_four46(&f, key1);
	assert_int_equal(f.len, FOUR6_LEN);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring1),
			 FOUR6_LEN);
	assert_memory_equal(buf, f.b, FOUR6_LEN);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1), 4);
	assert_int_equal(got.type, LB_SYNC_FLOWS6);
	for (i = 0; i < 4; i++) {
		assert_false(out[i].v6);
		assert_rec6_equal(&out[i], &r[i]);
	}
	assert_int_equal(out[0].client, ip4("203.0.113.5"));
	assert_int_equal(out[0].vip, ip4("198.51.100.100"));
	assert_int_equal(out[2].client, ip4("203.0.113.0"));
	assert_int_equal(out[2].state, 24);
	/* not in FLOWS */
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h4, r, 4, &ring1),
			 0);
	/* an all-IPv4 record goes in FLOWS only */
	four_recs(r);
	assert_int_equal(lb_sync_rec_type(&r[0]), LB_SYNC_FLOWS);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring1),
			 0);
	/* a /0 template: client ::ffff:0.0.0.0 */
	four_recs46(r);
	r[2].state = 0;
	r[2].client = 0;
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r, 4, &ring1),
			 FOUR6_LEN);
	assert_memory_equal(buf + 32 + 2 * 60 + 4, m4("0.0.0.0").b, 16);
	assert_int_equal(decode_exact(buf, FOUR6_LEN, &got, out, &ring1), 4);
	assert_rec6_equal(&out[2], &r[2]);
}

/* FLOWS6 records whose families do not hold together, each spliced
 * into four_recs46()'s or four_recs6()'s signed message in place of its
 * record at: a record error. */
static void
flows6_mixed_families_are_record_errors(void **state)
{
	static const struct {
		const char *what;
		bool v4;        /* into four_recs46()'s message */
		unsigned int at, off;
		const char *addr; /* written at off of record at */
	} cases[] = {
		{ "IPv4 flow, IPv6 client", true, 0, 4, "2001:db8:c::10" },
		{ "IPv4 flow, client ::", true, 0, 4, "::" },
		{ "IPv6 flow, IPv4-mapped client", false, 0, 4,
		  "::ffff:203.0.113.5" },
		{ "IPv4 VIP, IPv6 client (ended)", true, 3, 4,
		  "2001:db8:c::12" },
		{ "IPv6 flow, IPv4-mapped VIP", false, 1, 20,
		  "::ffff:198.51.100.101" },
		{ "IPv4 persistence, a key for a client", true, 2, 4,
		  "8bad:f00d::" },
		{ "IPv6 persistence, an IPv4-mapped client", false, 2, 4,
		  "::ffff:203.0.113.0" },
		{ "IPv6 persistence, IPv4-mapped VIP", false, 2, 20,
		  "::ffff:198.51.100.100" },
		{ "IPv4 persistence, host bits", true, 2, 4,
		  "::ffff:203.0.113.1" },
		{ "IPv4 flow, VIP 0.0.0.0", true, 0, 20, "::ffff:0.0.0.0" },
		{ "IPv4 flow, IPv4 member: all IPv4", true, 0, 40,
		  "::ffff:198.51.100.11" },
		{ "IPv4 persistence, IPv4 member: all IPv4", true, 2, 40,
		  "::ffff:198.51.100.13" },
		{ "member ::", true, 1, 40, "::" },
		{ "member 0.0.0.0", false, 0, 40, "::ffff:0.0.0.0" },
		{ "IPv6 member ::", false, 1, 40, "::" },
	};
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		int rc;

		if (cases[i].v4)
			wire_four46(&f, key1);
		else
			wire_four6(&f, key1);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
				 4);
		ip6_put(f.b + 32 + cases[i].at * 60 + cases[i].off,
			cases[i].addr);
		resign(f.b, f.len, key1);
		rc = decode_exact(f.b, f.len, &got, out, &ring1);
		if (rc != LB_SYNC_E_RECORD)
			fail_msg("%s: decode gave %d", cases[i].what, rc);
	}
	/* the same refused by the rules: an IPv6 flow's client IPv4-mapped */
	four_recs6(out);
	ip6_put(out[0].client6, "::ffff:203.0.113.5");
	assert_false(lb_sync_rec_valid(&out[0]));
	four_recs6(out);
	out[1].member = m6("::");
	assert_false(lb_sync_rec_valid(&out[1]));
	out[1].member = m4("0.0.0.0");
	assert_false(lb_sync_rec_valid(&out[1]));
}

/* A FLOWS message and a FLOWS6 message one after the other decode to
 * records of their own family; a message carries one family only. */
static void
mixed_families_go_in_messages_of_their_own(void **state)
{
	struct lb_sync_hdr h4 = { .type = LB_SYNC_FLOWS, .id = SYNC_ID,
		.seq = 1 }, h6 = { .type = LB_SYNC_FLOWS6, .id = SYNC_ID,
		.seq = 2 }, got;
	struct lb_sync_rec r4[4], r6[4], mix[4], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	unsigned int i, at;
	size_t len;

	(void)state;
	four_recs(r4);
	four_recs6(r6);
	len = lb_sync_encode(buf, sizeof(buf), &h4, r4, 4, &ring1);
	assert_int_equal(len, FOUR_LEN);
	assert_int_equal(decode_exact(buf, len, &got, out, &ring1), 4);
	for (i = 0; i < 4; i++) {
		assert_false(out[i].v6);
		assert_rec6_equal(&out[i], &r4[i]);
	}
	len = lb_sync_encode(buf, sizeof(buf), &h6, r6, 4, &ring1);
	assert_int_equal(len, FOUR6_LEN);
	assert_int_equal(decode_exact(buf, len, &got, out, &ring1), 4);
	for (i = 0; i < 4; i++) {
		assert_true(out[i].v6);
		assert_rec6_equal(&out[i], &r6[i]);
	}
	/* one record of the other family anywhere: nothing written */
	for (at = 0; at < 4; at++) {
		memset(buf, 0xee, sizeof(buf));
		memcpy(mix, r4, sizeof(mix));
		mix[at] = r6[at];
		assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h4, mix, 4,
						&ring1), 0);
		memcpy(mix, r6, sizeof(mix));
		mix[at] = r4[at];
		assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h6, mix, 4,
						&ring1), 0);
		assert_int_equal(buf[0], 0xee);
	}
	/* an IPv6 message's bytes under the IPv4 type: its length says
	 * otherwise */
	len = lb_sync_encode(buf, sizeof(buf), &h6, r6, 4, &ring1);
	buf[5] = LB_SYNC_FLOWS;
	assert_int_equal(decode_exact(buf, len, &got, out, &ring1),
			 LB_SYNC_E_LENGTH);
	/* 8 FLOWS6 records are as long as 20 IPv4 ones: the type says which,
	 * and IPv6 bytes read as IPv4 records break their rules */
	{
		struct lb_sync_rec e8[8];

		for (i = 0; i < 8; i++)
			e8[i] = r6[i % 4];
		len = lb_sync_encode(buf, sizeof(buf), &h6, e8, 8, &ring1);
		assert_int_equal(len, 32 + 8 * 60 + 32);
		buf[5] = LB_SYNC_FLOWS;
		buf[7] = 20;
		resign(buf, len, key1);
		assert_int_equal(decode_exact(buf, len, &got, out, &ring1),
				 LB_SYNC_E_RECORD);
	}
}

static void
flows6_every_truncation_is_short_or_length(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	uint32_t len;
	unsigned int m;

	(void)state;
	/* IPv6 flows, then IPv4 flows to IPv6 members */
	for (m = 0; m < 2; m++) {
		if (m == 0)
			wire_four6(&f, key1);
		else
			wire_four46(&f, key1);
		for (len = 0; len < f.len; len++)
			assert_int_equal(decode_exact(f.b, len, &got, out,
						      &ring1),
					 len < LB_SYNC_HDR_LEN ?
					 LB_SYNC_E_SHORT : LB_SYNC_E_LENGTH);
		/* a byte more, signed or not */
		f.b[f.len] = 0;
		assert_int_equal(decode_exact(f.b, f.len + 1, &got, out,
					      &ring1), LB_SYNC_E_LENGTH);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
				 4);
	}
}

/* 22 FLOWS6 records make the largest FLOWS6 message, within
 * LB_SYNC_MSG_MAX (a 23rd would not fit); 23 never go. */
static void
flows6_max_records_fill_the_largest_message(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS6, .id = 9, .seq = 3 },
		got;
	struct lb_sync_rec r[LB_SYNC_MAX_RECS6 + 1], t[4],
		out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX + LB_SYNC_REC6_LEN];
	unsigned int i;
	size_t len;

	(void)state;
	assert_int_equal(LB_SYNC_MAX_RECS6, 22);
	assert_int_equal(LB_SYNC_REC6_LEN, 60);
	four_recs6(t);
	for (i = 0; i < LB_SYNC_MAX_RECS6 + 1; i++) {
		r[i] = t[i % 2];
		r[i].cport = (uint16_t)(1000 + i);
		r[i].client6[15] = (uint8_t)(i + 1);
		r[i].member.b[15] = (uint8_t)(i + 1);
	}
	len = lb_sync_encode(buf, sizeof(buf), &h, r, LB_SYNC_MAX_RECS6,
			     &ring1);
	assert_int_equal(len, 1384);
	assert_true(len <= LB_SYNC_MSG_MAX);
	assert_true(len + LB_SYNC_REC6_LEN > LB_SYNC_MSG_MAX);
	assert_int_equal(decode_exact(buf, len, &got, out, &ring1),
			 LB_SYNC_MAX_RECS6);
	for (i = 0; i < LB_SYNC_MAX_RECS6; i++)
		assert_rec6_equal(&out[i], &r[i]);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r,
					LB_SYNC_MAX_RECS6 + 1, &ring1), 0);
	/* 23 records on the wire, each valid, the MAC right: too many */
	{
		struct frame f;

		wire_hdr(&f, LB_SYNC_FLOWS6, LB_SYNC_MAX_RECS6 + 1, 9, 1, 3, 0);
		for (i = 0; i < LB_SYNC_MAX_RECS6 + 1; i++)
			wire_rec6(&f, 1, 6, 1, "2001:db8:c::10",
				  "2001:db8:5::100", (uint16_t)(1000 + i), 110,
				  "2001:db8:1::11", 1000);
		wire_mac(&f, key1);
		assert_int_equal(decode_exact(f.b, f.len, &got, out, &ring1),
				 LB_SYNC_E_LENGTH);
	}
}

/* IPv6 records that each break one rule; kind, proto, state, cport,
 * vport, lifetime and the addresses as text (NULL: ::), client the
 * IPv4 field (a persistence record's key). */
static const struct {
	const char *what;
	uint8_t kind, proto, state;
	const char *client6, *vip6;
	uint32_t client;
	uint16_t cport, vport;
	struct lb_ip member;
	uint32_t lifetime;
} bad6[] = {
	{ "kind 0", 0, 6, 1, "2001:db8:c::10", "2001:db8:5::100", 0, 40000,
	  110, FE, L },
	{ "kind 3", 3, 6, 1, "2001:db8:c::10", "2001:db8:5::100", 0, 40000,
	  110, FE, L },
	{ "proto ICMPv6", 1, 58, 1, "2001:db8:c::10", "2001:db8:5::100", 0,
	  40000, 110, FE, L },
	{ "TCP in UDP state", 1, 6, 2, "2001:db8:c::10", "2001:db8:5::100", 0,
	  40000, 110, FE, L },
	{ "UDP state 4", 1, 17, 4, "2001:db8:c::10", "2001:db8:5::100", 0,
	  5061, 5060, FE, L },
	{ "flow client ::", 1, 6, 1, NULL, "2001:db8:5::100", 0, 40000, 110,
	  FE, L },
	{ "flow with an IPv4 client too", 1, 6, 1, "2001:db8:c::10",
	  "2001:db8:5::100", CL, 40000, 110, FE, L },
	{ "vip ::", 1, 6, 1, "2001:db8:c::10", NULL, 0, 40000, 110, FE, L },
	{ "vip IPv4-mapped", 1, 6, 1, "2001:db8:c::10", "::ffff:198.51.100.100",
	  0, 40000, 110, FE, L },
	{ "persist vip IPv4-mapped", 2, 6, 64, NULL, "::ffff:198.51.100.100",
	  KEY6, 0, 443, FE, L },
	{ "flow cport 0", 1, 6, 1, "2001:db8:c::10", "2001:db8:5::100", 0, 0,
	  110, FE, L },
	{ "flow vport 0", 1, 17, 2, "2001:db8:c::10", "2001:db8:5::100", 0,
	  5061, 0, FE, L },
	{ "flow member 0", 1, 6, 1, "2001:db8:c::10", "2001:db8:5::100", 0,
	  40000, 110, M0, L },
	{ "flow member ::", 1, 6, 1, "2001:db8:c::10", "2001:db8:5::100", 0,
	  40000, 110, { { 0 } }, L },
	{ "flow client IPv4-mapped", 1, 6, 1, "::ffff:203.0.113.5",
	  "2001:db8:5::100", 0, 40000, 110, FE, L },
	{ "flow lifetime over the maximum", 1, 6, 1, "2001:db8:c::10",
	  "2001:db8:5::100", 0, 40000, 110, FE, LMAX + 1 },
	{ "ended with a lifetime", 1, 6, 3, "2001:db8:c::10",
	  "2001:db8:5::100", 0, 40000, 110, FE, 1 },
	{ "prefix 129", 2, 6, 129, NULL, "2001:db8:5::100", KEY6, 0, 443, FE,
	  L },
	{ "persist cport", 2, 6, 64, NULL, "2001:db8:5::100", KEY6, 1, 443,
	  FE, L },
	{ "persist vport 0", 2, 6, 64, NULL, "2001:db8:5::100", KEY6, 0, 0,
	  FE, L },
	{ "persist member 0", 2, 17, 64, NULL, "2001:db8:5::100", KEY6, 0,
	  443, M0, L },
};

static void
bad6_rec(unsigned int i, struct lb_sync_rec *r)
{
	*r = (struct lb_sync_rec){ .kind = bad6[i].kind,
		.proto = bad6[i].proto, .state = bad6[i].state, .v6 = true,
		.client = bad6[i].client, .cport = bad6[i].cport,
		.vport = bad6[i].vport, .member = bad6[i].member,
		.lifetime_ms = bad6[i].lifetime };
	if (bad6[i].client6 != NULL)
		ip6_put(r->client6, bad6[i].client6);
	if (bad6[i].vip6 != NULL)
		ip6_put(r->vip6, bad6[i].vip6);
}

/* The bytes of an IPv6 record, as the wire format says. */
static void
splice_rec6(uint8_t *p, const struct lb_sync_rec *r)
{
	p[0] = r->kind;
	p[1] = r->proto;
	p[2] = r->state;
	p[3] = 0;
	if (r->kind == LB_SYNC_K_PERSIST) {
		memset(p + 4, 0, 16);
		lb_store_be16(p + 4, (uint16_t)(r->client >> 16));
		lb_store_be16(p + 6, (uint16_t)r->client);
	} else {
		memcpy(p + 4, r->client6, 16);
	}
	memcpy(p + 20, r->vip6, 16);
	lb_store_be16(p + 36, r->cport);
	lb_store_be16(p + 38, r->vport);
	memcpy(p + 40, r->member.b, 16);
	lb_store_be16(p + 56, (uint16_t)(r->lifetime_ms >> 16));
	lb_store_be16(p + 58, (uint16_t)r->lifetime_ms);
}

/* Each bad IPv6 record: refused by the rules and the encoder; spliced
 * into a signed message, a record error; so are a persistence record
 * with bytes after its key and a record's reserved byte set. */
static void
flows6_each_record_rule_broken_is_a_record_error(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS6, .id = SYNC_ID,
		.seq = SEQ }, got;
	struct lb_sync_rec r[4], four[4], bad, out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	unsigned int i, at;
	struct frame f;

	(void)state;
	four_recs6(r);
	wire_four6(&f, key1);
	for (i = 0; i < RTE_DIM(bad6); i++) {
		bad6_rec(i, &bad);
		if (lb_sync_rec_valid(&bad))
			fail_msg("%s: record accepted", bad6[i].what);
		for (at = 0; at < 4; at++) {
			memcpy(four, r, sizeof(four));
			four[at] = bad;
			memset(buf, 0xee, sizeof(buf));
			if (lb_sync_encode(buf, sizeof(buf), &h, four, 4,
					   &ring1) != 0)
				fail_msg("%s: encoded at %u", bad6[i].what, at);
			/* an IPv6 flow's IPv4 client has no place on the
			 * wire: only the encoder can refuse it */
			if (bad.kind == LB_SYNC_K_FLOW && bad.client != 0)
				continue;
			memcpy(buf, f.b, f.len);
			splice_rec6(buf + 32 + at * 60, &bad);
			resign(buf, f.len, key1);
			if (decode_exact(buf, f.len, &got, out, &ring1) !=
			    LB_SYNC_E_RECORD)
				fail_msg("%s at %u: decoded", bad6[i].what, at);
		}
	}
	/* wire-only rules: the bytes after a persistence key, the reserved
	 * byte */
	for (i = 4; i < 20; i++) {
		memcpy(buf, f.b, f.len);
		buf[32 + 2 * 60 + i] ^= 0x01;
		resign(buf, f.len, key1);
		assert_int_equal(decode_exact(buf, f.len, &got, out, &ring1),
				 i < 8 ? 4 : LB_SYNC_E_RECORD);
	}
	for (at = 0; at < 4; at++) {
		memcpy(buf, f.b, f.len);
		buf[32 + at * 60 + 3] = 1;
		resign(buf, f.len, key1);
		assert_int_equal(decode_exact(buf, f.len, &got, out, &ring1),
				 LB_SYNC_E_RECORD);
	}
	/* the IPv6 fields of an IPv4 record are its own to keep empty */
	four_recs(four);
	four[1].vip6[15] = 1;
	assert_false(lb_sync_rec_valid(&four[1]));
}

static void
errors_are_distinct_and_described(void **state)
{
	static const int errs[] = { LB_SYNC_E_SHORT, LB_SYNC_E_MAGIC,
		LB_SYNC_E_VERSION, LB_SYNC_E_TYPE, LB_SYNC_E_LENGTH,
		LB_SYNC_E_KEY, LB_SYNC_E_MAC, LB_SYNC_E_RECORD };
	unsigned int i, j;

	(void)state;
	/* the values counters and logs are keyed by */
	assert_int_equal(LB_SYNC_E_KEY, -6);
	assert_int_equal(LB_SYNC_E_MAC, -7);
	assert_int_equal(LB_SYNC_E_RECORD, -8);
	for (i = 0; i < RTE_DIM(errs); i++) {
		const char *s = lb_sync_strerror(errs[i]);

		assert_true(errs[i] < 0);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, lb_sync_strerror(-100));
		for (j = 0; j < i; j++) {
			assert_int_not_equal(errs[i], errs[j]);
			assert_string_not_equal(s, lb_sync_strerror(errs[j]));
		}
	}
	assert_non_null(lb_sync_strerror(-100));
	assert_non_null(lb_sync_strerror(0));
	assert_non_null(lb_sync_strerror(3));
}

/* ---- a storm of garbage ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/* A record from a small alphabet of likely values, valid now and
 * then. */
static void
random_rec(uint8_t *p)
{
	static const uint8_t kinds[] = { 0, 1, 1, 2 };
	static const uint8_t protos[] = { 0, 6, 17, 6 };
	static const uint32_t lifetimes[] = { 0, 0, 1, 30000, LMAX,
					      LMAX + 1 };
	uint32_t c, life;

	p[0] = kinds[rnd() % 4];
	p[1] = protos[rnd() % 4];
	p[2] = (uint8_t)(rnd() % 4 == 0 ? rnd() % 34 : 1 + rnd() % 3);
	p[3] = rnd() % 16 == 0 ? 1 : 0;
	life = rnd() % 8 == 0 ? rnd() : lifetimes[rnd() % 6];
	lb_store_be16(p + 20, (uint16_t)(life >> 16));
	lb_store_be16(p + 22, (uint16_t)life);
	if (p[0] != LB_SYNC_K_PERSIST)
		return;
	/* a masked client and no client port, usually */
	c = rnd();
	if (p[2] <= 32 && rnd() % 4 != 0)
		c = p[2] == 0 ? 0 : c & (UINT32_MAX << (32 - p[2]));
	c = htonl(c);
	memcpy(p + 4, &c, 4);
	if (rnd() % 4 != 0)
		lb_store_be16(p + 12, 0);
}

/* 16 random bytes of an IPv6 address: never IPv4-mapped nor :: */
static void
random6(uint8_t *p)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		p[i] = (uint8_t)rnd();
	p[0] = 0x20;
}

/* A FLOWS6 record from the same alphabet (random_rec()'s fields), its
 * addresses of either family: an IPv4 flow (IPv4-mapped), an IPv6 one,
 * or the families mixed; a member of either family or ::. */
static void
random_rec6(uint8_t *p)
{
	struct lb_ip a;
	uint8_t q[24];
	/* 0-2: IPv4, 3-5: IPv6, 6 and 7: mixed */
	unsigned int i, form = rnd() % 8;
	bool c4 = form <= 2 || form == 6, v4 = form <= 2 || form == 7;

	for (i = 0; i < sizeof(q); i++)
		q[i] = (uint8_t)rnd();
	random_rec(q);
	memcpy(p, q, 4);
	memcpy(p + 36, q + 12, 4);      /* the ports */
	memcpy(p + 56, q + 20, 4);      /* the lifetime */
	if (c4) {
		memcpy(&a, m4("0.0.0.0").b, 16);
		memcpy(&a.b[12], q + 4, 4);
		memcpy(p + 4, a.b, 16);
	} else if (p[0] == LB_SYNC_K_PERSIST && rnd() % 4 != 0) {
		memset(p + 4, 0, 16);   /* a key */
		memcpy(p + 4, q + 4, 4);
	} else {
		random6(p + 4);
	}
	if (v4) {
		memcpy(&a, m4("0.0.0.0").b, 16);
		memcpy(&a.b[12], q + 8, 4);
		memcpy(p + 20, a.b, 16);
	} else {
		random6(p + 20);
	}
	if (!v4 && p[0] == LB_SYNC_K_PERSIST)
		p[2] = (uint8_t)(rnd() % 130);
	switch (rnd() % 16) {
	case 0:
		memset(p + 40, 0, 16);
		break;
	case 1:
	case 2:
	case 3:
		memcpy(&a, m4("0.0.0.0").b, 16);
		memcpy(&a.b[12], q + 16, 4);
		memcpy(p + 40, a.b, 16);
		break;
	default:
		random6(p + 40);
	}
}

/* Random datagrams, most of them with a believable header and the
 * right MAC so the checks after it run too: decode never reads past
 * the bytes, and either refuses with one of its errors (the header
 * untouched until the MAC passed) or yields valid records that encode
 * back to exactly the input. Every outcome must occur. */
static void
random_datagrams_decode_or_fail_cleanly(void **state)
{
	static const struct lb_conf_keys *by_id[] = { NULL, &ring12, &ring21 };
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX + 8], again[LB_SYNC_MSG_MAX];
	unsigned int iter, ok = 0, ok_flows = 0, ok_flows6 = 0, ok_v4in6 = 0,
		errs[9] = { 0 };
	struct lb_sync_hdr got;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		unsigned int mode = rnd() % 4, count, i;
		size_t len, rlen = LB_SYNC_REC_LEN;
		int rc;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rnd();
		if (mode == 0) {
			/* pure noise of any length */
			len = rnd() % sizeof(buf);
		} else {
			/* a right header, mostly; records from a small
			 * alphabet of likely values; now and then a wrong
			 * length, an unknown key or a wrong MAC */
			count = mode == 1 ? 0 : 1 + rnd() % 4;
			memcpy(buf, "DSLS", 4);
			buf[4] = 2;
			buf[5] = count == 0 ? (uint8_t)(2 + rnd() % 2) :
				 rnd() % 3 == 0 ? LB_SYNC_FLOWS6 :
					      LB_SYNC_FLOWS;
			rlen = buf[5] == LB_SYNC_FLOWS6 ? LB_SYNC_REC6_LEN :
							  LB_SYNC_REC_LEN;
			lb_store_be16(buf + 6, (uint16_t)count);
			buf[12] = (uint8_t)(rnd() % 16 == 0 ? 3 :
					    1 + rnd() % 2);
			if (rnd() % 8 != 0)
				memset(buf + 13, 0, 3);
			if (count > 0 && rnd() % 8 != 0)
				memset(buf + 24, 0, 8);
			for (i = 0; i < count; i++) {
				if (rlen == LB_SYNC_REC6_LEN)
					random_rec6(buf + 32 + i * rlen);
				else
					random_rec(buf + 32 + i * rlen);
			}
			len = 32 + count * rlen + LB_SYNC_MAC_LEN;
			if (rnd() % 16 != 0)
				resign(buf, len, buf[12] == 2 ? key2 : key1);
			if (rnd() % 16 == 0)
				len = rnd() % sizeof(buf);
		}
		rc = decode_exact(buf, len, &got, out, &ring12);
		if (rc >= 0) {
			assert_int_equal(len, 32 + (size_t)rc *
					 (got.type == LB_SYNC_FLOWS6 ?
					  LB_SYNC_REC6_LEN : LB_SYNC_REC_LEN) +
					 32);
			assert_int_equal(got.count, rc);
			assert_true(got.key_id == 1 || got.key_id == 2);
			for (i = 0; i < (unsigned int)rc; i++) {
				assert_true(lb_sync_rec_valid(&out[i]));
				assert_int_equal(lb_sync_rec_type(&out[i]),
						 got.type);
				if (!out[i].v6 && got.type == LB_SYNC_FLOWS6)
					ok_v4in6++;
			}
			/* signed again with the key that signed it */
			assert_int_equal(lb_sync_encode(again, sizeof(again),
							&got, out,
							(unsigned int)rc,
							by_id[got.key_id]),
					 len);
			assert_memory_equal(again, buf, len);
			ok++;
			if (rc > 0 && got.type == LB_SYNC_FLOWS6)
				ok_flows6++;
			else if (rc > 0)
				ok_flows++;
		} else {
			assert_true(rc >= LB_SYNC_E_RECORD);
			errs[-rc]++;
		}
	}
	/* the storm reached every outcome */
	assert_true(ok > 100);
	assert_true(ok_flows > 100);
	printf("storm: %u FLOWS6 messages taken, %u IPv4 records in them\n",
	       ok_flows6, ok_v4in6);
	assert_true(ok_flows6 > 50);
	assert_true(ok_v4in6 > 20);
	assert_true(errs[-LB_SYNC_E_SHORT] > 0);
	assert_true(errs[-LB_SYNC_E_MAGIC] > 0);
	assert_true(errs[-LB_SYNC_E_LENGTH] > 0);
	assert_true(errs[-LB_SYNC_E_KEY] > 0);
	assert_true(errs[-LB_SYNC_E_MAC] > 0);
	assert_true(errs[-LB_SYNC_E_RECORD] > 100);
}

/* ---- the replay window ---- */

/* The first authentic message from a peer sets the window, whatever
 * its counter (a peer's counter starts at its start time, any value). */
static void
replay_window_takes_the_first_message_whatever_its_seq(void **state)
{
	static const uint64_t firsts[] = { 0, 1, 63, 64,
		UINT64_C(1767225600000000), UINT64_MAX };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(firsts); i++) {
		struct lb_sync_peer_rx p = { .seen = false };

		assert_true(lb_sync_replay_take(&p, firsts[i]));
		assert_true(p.seen);
		assert_int_equal(p.top, firsts[i]);
		assert_false(lb_sync_replay_take(&p, firsts[i]));
		if (firsts[i] > 0)
			assert_true(lb_sync_replay_take(&p, firsts[i] - 1));
	}
}

static void
replay_window_takes_in_order_messages_once(void **state)
{
	struct lb_sync_peer_rx p = { .seen = false };
	uint64_t seq, base = UINT64_C(1767225600000000);

	(void)state;
	for (seq = base; seq < base + 1000; seq++)
		assert_true(lb_sync_replay_take(&p, seq));
	/* every one of them again: the last 64 are duplicates, the rest
	 * older than the window */
	for (seq = base; seq < base + 1000; seq++)
		assert_false(lb_sync_replay_take(&p, seq));
	assert_int_equal(p.top, base + 999);
	/* gaps are fine */
	assert_true(lb_sync_replay_take(&p, base + 1002));
	assert_true(lb_sync_replay_take(&p, base + 1010));
}

/* Messages overtaking each other by up to 63 are each taken once. */
static void
replay_window_takes_reordered_messages_within_64_once(void **state)
{
	struct lb_sync_peer_rx p = { .seen = false };
	uint64_t i;

	(void)state;
	assert_true(lb_sync_replay_take(&p, 1000));
	/* the newest first, then the 63 before it in reverse */
	assert_true(lb_sync_replay_take(&p, 1063));
	for (i = 1062; i > 1000; i--)
		assert_true(lb_sync_replay_take(&p, i));
	for (i = 1000; i <= 1063; i++)
		assert_false(lb_sync_replay_take(&p, i));
	assert_int_equal(p.top, 1063);
	/* odd ones first, then even ones, interleaved with new ones */
	for (i = 1065; i < 1128; i += 2)
		assert_true(lb_sync_replay_take(&p, i));
	for (i = 1064; i < 1128; i += 2) {
		assert_true(lb_sync_replay_take(&p, i));
		assert_false(lb_sync_replay_take(&p, i));
	}
	assert_int_equal(p.top, 1127);
	assert_int_equal(p.bits, UINT64_MAX);
}

/* The window is 64 wide: top - 63 is still in it, top - 64 is not, even
 * if never seen. */
static void
replay_window_refuses_messages_older_than_the_window(void **state)
{
	struct lb_sync_peer_rx p = { .seen = false };

	(void)state;
	assert_true(lb_sync_replay_take(&p, 1000));
	assert_true(lb_sync_replay_take(&p, 1100));
	assert_false(lb_sync_replay_take(&p, 1100 - 64));
	assert_false(lb_sync_replay_take(&p, 1100 - 65));
	assert_false(lb_sync_replay_take(&p, 1000));
	assert_false(lb_sync_replay_take(&p, 0));
	assert_true(lb_sync_replay_take(&p, 1100 - 63));
	assert_false(lb_sync_replay_take(&p, 1100 - 63));
	/* refusals do not move the window */
	assert_int_equal(p.top, 1100);
}

/* A jump of 64 or more leaves nothing of the old window: every seq
 * between the old top and the new one is new (none was taken); a jump
 * of 63 keeps the old top in the window as taken. */
static void
replay_jump_of_64_or_more_clears_the_window(void **state)
{
	static const uint64_t jumps[] = { 64, 65, 1000, UINT64_C(1) << 40 };
	unsigned int i;
	uint64_t s;

	(void)state;
	for (i = 0; i < RTE_DIM(jumps); i++) {
		struct lb_sync_peer_rx p = { .seen = false };
		uint64_t top = 5000 + jumps[i];

		for (s = 4900; s <= 5000; s++)
			assert_true(lb_sync_replay_take(&p, s));
		assert_true(lb_sync_replay_take(&p, top));
		assert_int_equal(p.bits, 1);
		for (s = top - 63; s < top; s++)
			if (!lb_sync_replay_take(&p, s))
				fail_msg("jump %" PRIu64 ": seq top-%" PRIu64
					 " refused", jumps[i], top - s);
		assert_false(lb_sync_replay_take(&p, top - 64));
		assert_false(lb_sync_replay_take(&p, 5000));
	}
	/* 63: the old top (and the 62 below it that fit) stay taken */
	{
		struct lb_sync_peer_rx p = { .seen = false };

		for (s = 4900; s <= 5000; s++)
			assert_true(lb_sync_replay_take(&p, s));
		assert_true(lb_sync_replay_take(&p, 5063));
		assert_false(lb_sync_replay_take(&p, 5000));
		for (s = 5001; s < 5063; s++)
			assert_true(lb_sync_replay_take(&p, s));
		assert_int_equal(p.bits, UINT64_MAX);
	}
}

/* ---- serving a peer's bulk request ---- */

static void
bulk_request_is_served_then_limited(void **state)
{
	const uint64_t t = 50000, min = LB_SYNC_BULK_SERVE_MIN_MS;
	struct lb_sync_peer_rx p = { .seen = false };

	(void)state;
	assert_int_equal(lb_sync_bulk_request(&p, 11, false, t),
			 LB_SYNC_BULK_SERVE);
	/* the same request again while its walk runs, however late */
	assert_int_equal(lb_sync_bulk_request(&p, 11, true, t + 1),
			 LB_SYNC_BULK_SERVING);
	assert_int_equal(lb_sync_bulk_request(&p, 11, true, t + 10 * min),
			 LB_SYNC_BULK_SERVING);
	/* the same request soon after its walk: its end may be on the
	 * way; not served again yet */
	assert_int_equal(lb_sync_bulk_request(&p, 11, false, t + min - 1),
			 LB_SYNC_BULK_SERVING);
	/* another request too soon: dropped, while serving or not */
	assert_int_equal(lb_sync_bulk_request(&p, 12, false, t + 1),
			 LB_SYNC_BULK_LIMITED);
	assert_int_equal(lb_sync_bulk_request(&p, 12, true, t + 1),
			 LB_SYNC_BULK_LIMITED);
	assert_int_equal(lb_sync_bulk_request(&p, 12, false, t + min - 1),
			 LB_SYNC_BULK_LIMITED);
	/* a refusal did not move the clock: at the minimum, served */
	assert_int_equal(lb_sync_bulk_request(&p, 12, false, t + min),
			 LB_SYNC_BULK_SERVE);
	assert_int_equal(p.bulk_nonce, 12);
	/* the same request once allowed again (its end was lost) */
	assert_int_equal(lb_sync_bulk_request(&p, 12, false, t + 2 * min),
			 LB_SYNC_BULK_SERVE);
}

/* A request at clock 0 still counts as served (0 means never). */
static void
bulk_request_at_time_zero_still_limits(void **state)
{
	struct lb_sync_peer_rx p = { .seen = false };

	(void)state;
	assert_int_equal(lb_sync_bulk_request(&p, 1, false, 0),
			 LB_SYNC_BULK_SERVE);
	assert_int_equal(lb_sync_bulk_request(&p, 2, false, 500),
			 LB_SYNC_BULK_LIMITED);
	assert_int_equal(lb_sync_bulk_request(&p, 2, false,
					      LB_SYNC_BULK_SERVE_MIN_MS + 1),
			 LB_SYNC_BULK_SERVE);
}

/* ---- our own bulk request ---- */

static void
bulk_end_counts_each_peer_once_for_our_nonce(void **state)
{
	struct lb_sync_bulk b;

	(void)state;
	/* nothing asked yet */
	memset(&b, 0, sizeof(b));
	assert_int_equal(lb_sync_bulk_end(&b, 0, 0), LB_SYNC_END_UNSOLICITED);

	lb_sync_bulk_begin(&b, 3, NONCE, 1000, 5000);
	assert_true(b.waiting);
	assert_int_equal(lb_sync_bulk_end(&b, 0, NONCE + 1),
			 LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, 0, 0), LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, 0, NONCE), LB_SYNC_END_TAKEN);
	assert_int_equal(lb_sync_bulk_end(&b, 0, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	/* a peer index beyond the peers, or beyond the bit set */
	assert_int_equal(lb_sync_bulk_end(&b, 3, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, 31, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, 32, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, UINT32_MAX, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, 2, NONCE), LB_SYNC_END_TAKEN);
	assert_true(b.waiting);
	assert_int_equal(lb_sync_bulk_end(&b, 1, NONCE), LB_SYNC_END_ALL);
	assert_false(b.waiting);
	/* over: any further end, even a repeated one, is unsolicited */
	assert_int_equal(lb_sync_bulk_end(&b, 1, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	assert_int_equal(lb_sync_bulk_end(&b, 0, NONCE),
			 LB_SYNC_END_UNSOLICITED);

	/* one peer: its answer is all */
	lb_sync_bulk_begin(&b, 1, 5, 0, 100);
	assert_int_equal(lb_sync_bulk_end(&b, 0, 5), LB_SYNC_END_ALL);
	/* no peers: nothing to wait for */
	lb_sync_bulk_begin(&b, 0, 5, 0, 100);
	assert_false(b.waiting);
	assert_int_equal(lb_sync_bulk_end(&b, 0, 5), LB_SYNC_END_UNSOLICITED);
	/* the most peers the bit set holds */
	lb_sync_bulk_begin(&b, 32, 5, 0, 100);
	assert_int_equal(b.all, UINT32_MAX);
	lb_sync_bulk_begin(&b, LB_SYNC_PEERS_MAX, 5, 0, 100);
	assert_int_equal(b.all, (1u << LB_SYNC_PEERS_MAX) - 1);
	assert_int_equal(lb_sync_bulk_end(&b, LB_SYNC_PEERS_MAX - 1, 5),
			 LB_SYNC_END_TAKEN);
}

/* The request goes to every peer at once, then every
 * LB_SYNC_BULK_RETRY_MS to those that did not answer. */
static void
bulk_due_sends_to_all_then_retries_the_unanswered(void **state)
{
	const uint64_t retry = LB_SYNC_BULK_RETRY_MS;
	struct lb_sync_bulk b;
	bool expired = true;

	(void)state;
	lb_sync_bulk_begin(&b, 3, NONCE, 1000, 5000);
	assert_int_equal(lb_sync_bulk_due(&b, 1000, &expired), 0x7);
	assert_false(expired);
	assert_int_equal(lb_sync_bulk_due(&b, 1000, &expired), 0);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + retry - 1, &expired), 0);
	assert_int_equal(lb_sync_bulk_end(&b, 1, NONCE), LB_SYNC_END_TAKEN);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + retry, &expired), 0x5);
	assert_false(expired);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + retry, &expired), 0);
	/* a late call: the next retry counts from it */
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + 2 * retry + 200,
					  &expired), 0x5);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + 3 * retry + 199,
					  &expired), 0);
	assert_int_equal(lb_sync_bulk_end(&b, 0, NONCE), LB_SYNC_END_TAKEN);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + 3 * retry + 200,
					  &expired), 0x4);
	/* all answered: nothing due, never expired */
	assert_int_equal(lb_sync_bulk_end(&b, 2, NONCE), LB_SYNC_END_ALL);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + 4 * retry + 200,
					  &expired), 0);
	assert_false(expired);
	assert_int_equal(lb_sync_bulk_due(&b, 1000 + 100000, &expired), 0);
	assert_false(expired);
}

/* Past the deadline with answers missing: expired, once; the request
 * is over (late answers are unsolicited). */
static void
bulk_due_expires_once_at_the_deadline(void **state)
{
	struct lb_sync_bulk b;
	bool expired = false;

	(void)state;
	lb_sync_bulk_begin(&b, 2, NONCE, 1000, 5000);
	assert_int_equal(lb_sync_bulk_due(&b, 1000, &expired), 0x3);
	assert_int_equal(lb_sync_bulk_end(&b, 0, NONCE), LB_SYNC_END_TAKEN);
	assert_int_equal(lb_sync_bulk_due(&b, 5999, &expired), 0x2);
	assert_false(expired);
	assert_int_equal(lb_sync_bulk_due(&b, 6000, &expired), 0);
	assert_true(expired);
	assert_false(b.waiting);
	assert_int_equal(lb_sync_bulk_due(&b, 6000, &expired), 0);
	assert_false(expired);
	assert_int_equal(lb_sync_bulk_due(&b, 60000, &expired), 0);
	assert_false(expired);
	assert_int_equal(lb_sync_bulk_end(&b, 1, NONCE),
			 LB_SYNC_END_UNSOLICITED);
	/* a wait of 0: expired at the first look, nothing sent */
	lb_sync_bulk_begin(&b, 2, NONCE, 1000, 0);
	assert_int_equal(lb_sync_bulk_due(&b, 1000, &expired), 0);
	assert_true(expired);
}

/* ---- the refresh rule ---- */

/* A flow whose last packet came after the previous round started is
 * announced again; an idle one is not (its copy lives as long). */
static void
refresh_due_only_with_a_packet_since_the_last_round(void **state)
{
	const uint32_t to = 900000;        /* a TCP timeout */
	const uint64_t round = 10000;

	(void)state;
	/* a packet just now */
	assert_true(lb_sync_refresh_due(to, to, round));
	/* idle for less than, exactly, and more than the round */
	assert_true(lb_sync_refresh_due(to - 1, to, round));
	assert_true(lb_sync_refresh_due(to - round + 1, to, round));
	assert_true(lb_sync_refresh_due(to - round, to, round));
	assert_false(lb_sync_refresh_due(to - round - 1, to, round));
	assert_false(lb_sync_refresh_due(100000, to, round));
	assert_false(lb_sync_refresh_due(0, to, round));
	/* more left than its timeout (the timeout was just lowered by a
	 * reload): counts as fresh */
	assert_true(lb_sync_refresh_due(to + 5, to, round));
	/* the first round (since_round_ms 0): only a packet this
	 * millisecond */
	assert_true(lb_sync_refresh_due(to, to, 0));
	assert_false(lb_sync_refresh_due(to - 1, to, 0));
	/* a round longer than any timeout: everything is due */
	assert_true(lb_sync_refresh_due(0, to, UINT64_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			flows_encode_to_the_design_bytes_and_decode_back),
		cmocka_unit_test(bulk_messages_round_trip_with_their_nonce),
		cmocka_unit_test(edge_records_are_valid_and_round_trip),
		cmocka_unit_test(max_records_fill_the_largest_message),
		cmocka_unit_test(second_key_decodes_during_rotation),
		cmocka_unit_test(unknown_key_id_is_a_key_error),
		cmocka_unit_test(
			another_secret_under_the_same_key_id_is_a_mac_error),
		cmocka_unit_test(every_truncation_is_short_or_length),
		cmocka_unit_test(
			flows6_encode_to_the_design_bytes_and_decode_back),
		cmocka_unit_test(mixed_families_go_in_messages_of_their_own),
		cmocka_unit_test(flows6_carries_ipv4_flows_to_ipv6_members),
		cmocka_unit_test(flows6_mixed_families_are_record_errors),
		cmocka_unit_test(flows6_every_truncation_is_short_or_length),
		cmocka_unit_test(flows6_max_records_fill_the_largest_message),
		cmocka_unit_test(
			flows6_each_record_rule_broken_is_a_record_error),
		cmocka_unit_test(trailing_bytes_are_length_errors),
		cmocka_unit_test(header_fields_checked_before_the_mac),
		cmocka_unit_test(header_fields_checked_in_order),
		cmocka_unit_test(flows_without_records_is_a_length_error),
		cmocka_unit_test(count_over_the_maximum_is_a_length_error),
		cmocka_unit_test(
			any_flipped_bit_after_the_length_is_a_mac_error),
		cmocka_unit_test(flipped_key_id_is_a_key_or_mac_error),
		cmocka_unit_test(
			reserved_header_or_flows_nonce_is_a_record_error),
		cmocka_unit_test(reserved_record_byte_set_is_a_record_error),
		cmocka_unit_test(each_record_rule_broken_is_a_record_error),
		cmocka_unit_test(encoder_refuses_what_would_not_decode),
		cmocka_unit_test(errors_are_distinct_and_described),
		cmocka_unit_test(random_datagrams_decode_or_fail_cleanly),
		cmocka_unit_test(
			replay_window_takes_the_first_message_whatever_its_seq),
		cmocka_unit_test(replay_window_takes_in_order_messages_once),
		cmocka_unit_test(
			replay_window_takes_reordered_messages_within_64_once),
		cmocka_unit_test(
			replay_window_refuses_messages_older_than_the_window),
		cmocka_unit_test(replay_jump_of_64_or_more_clears_the_window),
		cmocka_unit_test(bulk_request_is_served_then_limited),
		cmocka_unit_test(bulk_request_at_time_zero_still_limits),
		cmocka_unit_test(bulk_end_counts_each_peer_once_for_our_nonce),
		cmocka_unit_test(
			bulk_due_sends_to_all_then_retries_the_unanswered),
		cmocka_unit_test(bulk_due_expires_once_at_the_deadline),
		cmocka_unit_test(
			refresh_due_only_with_a_packet_since_the_last_round),
	};

	return cmocka_run_group_tests(tests, keys_setup, NULL);
}
