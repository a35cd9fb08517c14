/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The flow-sync codec: messages written field by field as the design's
 * wire format says and compared byte for byte with the encoder, every
 * truncation, every header and record rule broken, and a storm of
 * random datagrams. No EAL. */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "lb_sync.h"
#include "test_util.h"

#define SYNC_ID 7

/* The records of the reference message: a TCP flow, a UDP flow and a
 * /24 persistence record. */
static void
three_recs(struct lb_sync_rec r[3])
{
	r[0] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 6,
		.state = LB_SYNC_ST_TCP_EST, .client = ip4("203.0.113.5"),
		.vip = ip4("198.51.100.100"), .cport = 40000, .vport = 110,
		.member = ip4("198.51.100.11") };
	r[1] = (struct lb_sync_rec){ .kind = LB_SYNC_K_FLOW, .proto = 17,
		.state = LB_SYNC_ST_UDP, .client = ip4("203.0.113.6"),
		.vip = ip4("198.51.100.101"), .cport = 5061, .vport = 5060,
		.member = ip4("198.51.100.12") };
	r[2] = (struct lb_sync_rec){ .kind = LB_SYNC_K_PERSIST, .proto = 6,
		.state = 24, .client = ip4("203.0.113.0"),
		.vip = ip4("198.51.100.100"), .cport = 0, .vport = 443,
		.member = ip4("198.51.100.13") };
}

static void
wire_hdr(struct frame *f, uint8_t type, uint16_t count, uint32_t id,
	 uint32_t seq)
{
	f->len = 0;
	put32(f, 0x44534c53);   /* "DSLS" */
	put8(f, 1);             /* version */
	put8(f, type);
	put16(f, count);
	put32(f, id);
	put32(f, seq);
}

static void
wire_rec(struct frame *f, uint8_t kind, uint8_t proto, uint8_t state,
	 const char *client, const char *vip, uint16_t cport, uint16_t vport,
	 const char *member)
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
}

/* three_recs() on the wire, written independently of the encoder. */
static void
wire_three(struct frame *f)
{
	wire_hdr(f, LB_SYNC_FLOWS, 3, SYNC_ID, 0x01020304);
	wire_rec(f, 1, 6, 1, "203.0.113.5", "198.51.100.100", 40000, 110,
		 "198.51.100.11");
	wire_rec(f, 1, 17, 2, "203.0.113.6", "198.51.100.101", 5061, 5060,
		 "198.51.100.12");
	wire_rec(f, 2, 6, 24, "203.0.113.0", "198.51.100.100", 0, 443,
		 "198.51.100.13");
}

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
	assert_int_equal(a->member, b->member);
}

/* Decode a copy of exactly len bytes at an odd address: ASan sees any
 * read past len, UBSan any unaligned load. */
static int
decode_exact(const uint8_t *p, size_t len, struct lb_sync_hdr *h,
	     struct lb_sync_rec *r)
{
	uint8_t *mem = malloc(len + 1);
	int rc;

	assert_non_null(mem);
	memcpy(mem + 1, p, len);
	rc = lb_sync_decode(mem + 1, len, h, r);
	free(mem);
	return rc;
}

/* ---- round trips ---- */

static void
flows_encode_to_the_design_bytes_and_decode_back(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .count = 99,
		.id = SYNC_ID, .seq = 0x01020304 }, got;
	struct lb_sync_rec r[3], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	struct frame f;
	unsigned int i;
	size_t len;

	(void)state;
	three_recs(r);
	wire_three(&f);
	assert_int_equal(f.len, 76);

	len = lb_sync_encode(buf, sizeof(buf), &h, r, 3);
	assert_int_equal(len, 76);
	assert_memory_equal(buf, f.b, 76);

	memset(&got, 0xa5, sizeof(got));
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(decode_exact(f.b, f.len, &got, out), 3);
	assert_int_equal(got.type, LB_SYNC_FLOWS);
	assert_int_equal(got.count, 3);
	assert_int_equal(got.id, SYNC_ID);
	assert_int_equal(got.seq, 0x01020304);
	for (i = 0; i < 3; i++)
		assert_rec_equal(&out[i], &r[i]);
	/* spelled out once, against the design's field order */
	assert_int_equal(out[0].cport, 40000);
	assert_int_equal(out[0].vport, 110);
	assert_int_equal(out[1].proto, 17);
	assert_int_equal(out[1].state, LB_SYNC_ST_UDP);
	assert_int_equal(out[2].kind, LB_SYNC_K_PERSIST);
	assert_int_equal(out[2].state, 24);
	assert_int_equal(out[2].client, ip4("203.0.113.0"));
	assert_int_equal(out[2].member, ip4("198.51.100.13"));
}

static void
bulk_messages_round_trip_without_records(void **state)
{
	static const uint8_t types[] = { LB_SYNC_BULK_REQUEST,
					 LB_SYNC_BULK_END };
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_HDR_LEN];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(types); i++) {
		struct lb_sync_hdr h = { .type = types[i], .id = 0xfffffffe,
			.seq = 0x80000001 };

		wire_hdr(&f, types[i], 0, 0xfffffffe, 0x80000001);
		/* a header's worth of room is enough; r may be NULL */
		assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, NULL, 0),
				 16);
		assert_memory_equal(buf, f.b, 16);
		memset(&got, 0, sizeof(got));
		assert_int_equal(decode_exact(f.b, f.len, &got, out), 0);
		assert_int_equal(got.type, types[i]);
		assert_int_equal(got.count, 0);
		assert_int_equal(got.id, 0xfffffffe);
		assert_int_equal(got.seq, 0x80000001);
	}
}

/* The boundary records that are valid: a /0 template of 0.0.0.0, a /32
 * of any address, the highest ports. */
static void
edge_records_are_valid_and_round_trip(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = 1 }, got;
	struct lb_sync_rec r[4], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX];
	unsigned int i;
	size_t len;

	(void)state;
	three_recs(r);
	r[3] = r[2];
	r[2].state = 0;
	r[2].client = 0;
	r[3].state = 32;
	r[3].client = ip4("203.0.113.77");
	r[3].vport = 65535;
	r[0].cport = 65535;
	r[0].client = ip4("255.255.255.255");
	r[1].state = LB_SYNC_ST_UDP;
	for (i = 0; i < 4; i++)
		assert_true(lb_sync_rec_valid(&r[i]));
	len = lb_sync_encode(buf, sizeof(buf), &h, r, 4);
	assert_int_equal(len, 16 + 4 * 20);
	assert_int_equal(decode_exact(buf, len, &got, out), 4);
	for (i = 0; i < 4; i++)
		assert_rec_equal(&out[i], &r[i]);
}

/* 64 distinct records fill LB_SYNC_MSG_MAX exactly; each comes back in
 * its place. */
static void
max_records_fill_the_largest_message(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = 9, .seq = 3 },
		got;
	struct lb_sync_rec r[LB_SYNC_MAX_RECS + 1], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX + LB_SYNC_REC_LEN];
	struct lb_sync_rec t[3];
	struct frame f;
	unsigned int i;

	(void)state;
	assert_int_equal(LB_SYNC_MSG_MAX, 1296);
	wire_hdr(&f, LB_SYNC_FLOWS, LB_SYNC_MAX_RECS, 9, 3);
	three_recs(t);
	for (i = 0; i < LB_SYNC_MAX_RECS + 1; i++) {
		r[i] = t[0];
		r[i].cport = (uint16_t)(1000 + i);
		r[i].client = htonl(0xcb007100 + i + 1);
		r[i].member = htonl(0xc6336400 + (i % 7) + 11);
	}
	for (i = 0; i < LB_SYNC_MAX_RECS; i++) {
		char c[16], m[16];
		struct in_addr a;

		a.s_addr = r[i].client;
		snprintf(c, sizeof(c), "%s", inet_ntoa(a));
		a.s_addr = r[i].member;
		snprintf(m, sizeof(m), "%s", inet_ntoa(a));
		wire_rec(&f, 1, 6, 1, c, "198.51.100.100",
			 (uint16_t)(1000 + i), 110, m);
	}
	assert_int_equal(f.len, LB_SYNC_MSG_MAX);
	assert_int_equal(lb_sync_encode(buf, LB_SYNC_MSG_MAX, &h, r,
					LB_SYNC_MAX_RECS), LB_SYNC_MSG_MAX);
	assert_memory_equal(buf, f.b, LB_SYNC_MSG_MAX);
	assert_int_equal(decode_exact(buf, LB_SYNC_MSG_MAX, &got, out),
			 LB_SYNC_MAX_RECS);
	assert_int_equal(got.count, LB_SYNC_MAX_RECS);
	for (i = 0; i < LB_SYNC_MAX_RECS; i++)
		assert_rec_equal(&out[i], &r[i]);
	/* one more never fits, whatever the room */
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &h, r,
					LB_SYNC_MAX_RECS + 1), 0);
}

/* ---- malformed messages ---- */

/* Every length short of the whole message: no header -> SHORT, a
 * header whose count the bytes do not match -> LENGTH. */
static void
every_truncation_is_short_or_length(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	uint32_t len;

	(void)state;
	wire_three(&f);
	for (len = 0; len < f.len; len++) {
		int rc = decode_exact(f.b, len, &got, out);

		if (len < LB_SYNC_HDR_LEN)
			assert_int_equal(rc, LB_SYNC_E_SHORT);
		else
			assert_int_equal(rc, LB_SYNC_E_LENGTH);
	}
	assert_int_equal(decode_exact(f.b, f.len, &got, out), 3);
}

static void
trailing_bytes_are_length_errors(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;

	(void)state;
	wire_three(&f);
	put8(&f, 0);
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
	/* a whole fourth record the count does not announce */
	wire_three(&f);
	wire_rec(&f, 1, 6, 1, "203.0.113.9", "198.51.100.100", 1, 110,
		 "198.51.100.11");
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
	/* a bulk request with a byte after its header */
	wire_hdr(&f, LB_SYNC_BULK_REQUEST, 0, SYNC_ID, 1);
	put8(&f, 0);
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
}

/* Each header field wrong on its own, the rest of a valid message kept;
 * the header is reported only once magic, version and type are right. */
static void
header_fields_checked_in_order(void **state)
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
		{ "version 2", 4, 2, LB_SYNC_E_VERSION },
		{ "version 255", 4, 255, LB_SYNC_E_VERSION },
		{ "type 0", 5, 0, LB_SYNC_E_TYPE },
		{ "type 4", 5, 4, LB_SYNC_E_TYPE },
		{ "type 255", 5, 255, LB_SYNC_E_TYPE },
		{ "count high byte", 6, 1, LB_SYNC_E_LENGTH },
		{ "count 2", 7, 2, LB_SYNC_E_LENGTH },
		{ "count 4", 7, 4, LB_SYNC_E_LENGTH },
		{ "flows as bulk request", 5, 2, LB_SYNC_E_LENGTH },
		{ "flows as bulk end", 5, 3, LB_SYNC_E_LENGTH },
	};
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		int rc;

		wire_three(&f);
		f.b[cases[i].off] = cases[i].val;
		memset(&got, 0x5a, sizeof(got));
		rc = decode_exact(f.b, f.len, &got, out);
		if (rc != cases[i].err)
			fail_msg("%s: got %d (%s), want %d", cases[i].what, rc,
				 lb_sync_strerror(rc), cases[i].err);
		if (cases[i].err == LB_SYNC_E_LENGTH) {
			assert_int_equal(got.type, f.b[5]);
			assert_int_equal(got.id, SYNC_ID);
			assert_int_equal(got.seq, 0x01020304);
		} else {
			assert_int_equal(got.id, 0x5a5a5a5a);
		}
	}
}

static void
flows_without_records_is_a_length_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;

	(void)state;
	wire_hdr(&f, LB_SYNC_FLOWS, 0, SYNC_ID, 1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
	assert_int_equal(got.count, 0);
}

/* 65 records, their bytes all there and each valid: still too many. */
static void
count_over_the_maximum_is_a_length_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	static struct frame f;
	struct lb_sync_hdr got;
	unsigned int i;

	(void)state;
	wire_hdr(&f, LB_SYNC_FLOWS, LB_SYNC_MAX_RECS + 1, SYNC_ID, 1);
	for (i = 0; i < LB_SYNC_MAX_RECS + 1; i++)
		wire_rec(&f, 1, 6, 1, "203.0.113.5", "198.51.100.100",
			 (uint16_t)(1000 + i), 110, "198.51.100.11");
	assert_int_equal(f.len, 16 + 65 * 20);
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
	assert_int_equal(got.count, 65);
	/* the largest count a header can say, on a short datagram */
	wire_hdr(&f, LB_SYNC_FLOWS, 0xffff, SYNC_ID, 1);
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
	/* a bulk end that claims a record */
	wire_hdr(&f, LB_SYNC_BULK_END, 1, SYNC_ID, 1);
	wire_rec(&f, 1, 6, 1, "203.0.113.5", "198.51.100.100", 1000, 110,
		 "198.51.100.11");
	assert_int_equal(decode_exact(f.b, f.len, &got, out),
			 LB_SYNC_E_LENGTH);
}

/* ---- the record rules ---- */

/* An address as a constant, network order. */
#define A(a, b, c, d) \
	RTE_BE32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
		 (uint32_t)(c) << 8 | (uint32_t)(d))
#define CL A(203, 0, 113, 5)
#define VIP A(198, 51, 100, 100)
#define FE A(198, 51, 100, 11)

/* Records that each break one rule, the rest of a valid TCP flow, UDP
 * flow or /24 persistence record kept. */
static const struct {
	const char *what;
	struct lb_sync_rec r;   /* kind, proto, state, client, vip, cport,
				   vport, member */
} bad_recs[] = {
	{ "kind 0", { 0, 6, 1, CL, VIP, 40000, 110, FE } },
	{ "kind 3", { 3, 6, 1, CL, VIP, 40000, 110, FE } },
	{ "kind 255", { 255, 17, 2, CL, VIP, 40000, 110, FE } },
	{ "flow proto ICMP", { 1, 1, 1, CL, VIP, 40000, 110, FE } },
	{ "flow proto 0", { 1, 0, 2, CL, VIP, 40000, 110, FE } },
	{ "persist proto ICMP", { 2, 1, 24, A(203, 0, 113, 0), VIP, 0, 443,
				  FE } },
	{ "TCP state 0", { 1, 6, 0, CL, VIP, 40000, 110, FE } },
	{ "TCP in UDP state", { 1, 6, 2, CL, VIP, 40000, 110, FE } },
	{ "TCP state 3", { 1, 6, 3, CL, VIP, 40000, 110, FE } },
	{ "UDP in TCP state", { 1, 17, 1, CL, VIP, 5061, 5060, FE } },
	{ "UDP state 0", { 1, 17, 0, CL, VIP, 5061, 5060, FE } },
	{ "UDP state 3", { 1, 17, 3, CL, VIP, 5061, 5060, FE } },
	{ "flow client 0", { 1, 6, 1, 0, VIP, 40000, 110, FE } },
	{ "flow vip 0", { 1, 6, 1, CL, 0, 40000, 110, FE } },
	{ "flow member 0", { 1, 17, 2, CL, VIP, 5061, 5060, 0 } },
	{ "flow cport 0", { 1, 6, 1, CL, VIP, 0, 110, FE } },
	{ "flow vport 0", { 1, 17, 2, CL, VIP, 5061, 0, FE } },
	{ "prefix 33", { 2, 6, 33, A(203, 0, 113, 0), VIP, 0, 443, FE } },
	{ "prefix 255", { 2, 6, 255, A(203, 0, 113, 0), VIP, 0, 443, FE } },
	{ "prefix 33 of 128/1", { 2, 6, 33, A(128, 0, 0, 0), VIP, 0, 443,
				  FE } },
	{ "host bits in /24", { 2, 6, 24, A(203, 0, 113, 1), VIP, 0, 443,
				FE } },
	{ "bit 25 in /24", { 2, 6, 24, A(203, 0, 113, 128), VIP, 0, 443,
			     FE } },
	{ "bit 32 in /31", { 2, 17, 31, A(203, 0, 113, 1), VIP, 0, 443,
			     FE } },
	{ "client in /0", { 2, 6, 0, A(0, 0, 0, 1), VIP, 0, 443, FE } },
	{ "top bit in /0", { 2, 6, 0, A(128, 0, 0, 0), VIP, 0, 443, FE } },
	{ "client 0 in /1", { 2, 6, 1, 0, VIP, 0, 443, FE } },
	{ "client 0 in /32", { 2, 6, 32, 0, VIP, 0, 443, FE } },
	{ "persist cport", { 2, 6, 24, A(203, 0, 113, 0), VIP, 1, 443, FE } },
	{ "persist vip 0", { 2, 6, 24, A(203, 0, 113, 0), 0, 0, 443, FE } },
	{ "persist vport 0", { 2, 6, 24, A(203, 0, 113, 0), VIP, 0, 0, FE } },
	{ "persist member 0", { 2, 17, 24, A(203, 0, 113, 0), VIP, 0, 443,
				0 } },
};

/* Each bad record is refused by lb_sync_rec_valid(), by the encoder
 * wherever it stands, and by the decoder as the middle record of an
 * otherwise valid message. */
static void
each_record_rule_broken_is_a_record_error(void **state)
{
	struct lb_sync_hdr h = { .type = LB_SYNC_FLOWS, .id = SYNC_ID,
		.seq = 0x01020304 }, got;
	struct lb_sync_rec r[3], out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX], good[LB_SYNC_MSG_MAX];
	unsigned int i, at;
	size_t len;

	(void)state;
	three_recs(r);
	len = lb_sync_encode(good, sizeof(good), &h, r, 3);
	assert_int_equal(len, 76);
	for (i = 0; i < RTE_DIM(bad_recs); i++) {
		const struct lb_sync_rec *bad = &bad_recs[i].r;
		const char *what = bad_recs[i].what;
		struct lb_sync_rec three[3];
		uint8_t *p = buf + 16 + 20;
		int rc;

		if (lb_sync_rec_valid(bad))
			fail_msg("%s: record accepted", what);
		for (at = 0; at < 3; at++) {
			memcpy(three, r, sizeof(three));
			three[at] = *bad;
			memset(buf, 0xee, sizeof(buf));
			if (lb_sync_encode(buf, sizeof(buf), &h, three, 3) != 0)
				fail_msg("%s: encoded at %u", what, at);
			assert_int_equal(buf[0], 0xee);
		}
		/* the good message's bytes with the bad record spliced in */
		memcpy(buf, good, len);
		p[0] = bad->kind;
		p[1] = bad->proto;
		p[2] = bad->state;
		memcpy(p + 4, &bad->client, 4);
		memcpy(p + 8, &bad->vip, 4);
		lb_store_be16(p + 12, bad->cport);
		lb_store_be16(p + 14, bad->vport);
		memcpy(p + 16, &bad->member, 4);
		memset(&got, 0, sizeof(got));
		rc = decode_exact(buf, len, &got, out);
		if (rc != LB_SYNC_E_RECORD)
			fail_msg("%s: decode gave %d", what, rc);
		/* the header was right: reported */
		assert_int_equal(got.id, SYNC_ID);
		assert_int_equal(got.count, 3);
	}
}

/* The reserved byte exists only on the wire: any bit set in it, in the
 * first, middle or last record, makes the message malformed. */
static void
reserved_byte_set_is_a_record_error(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	struct lb_sync_hdr got;
	struct frame f;
	unsigned int rec, bit;

	(void)state;
	for (rec = 0; rec < 3; rec++) {
		for (bit = 0; bit < 8; bit++) {
			wire_three(&f);
			f.b[16 + rec * 20 + 3] = (uint8_t)(1u << bit);
			assert_int_equal(decode_exact(f.b, f.len, &got, out),
					 LB_SYNC_E_RECORD);
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
	struct lb_sync_hdr t4 = { .type = 4, .id = 1 };
	struct lb_sync_rec r[LB_SYNC_MAX_RECS + 1];
	uint8_t buf[LB_SYNC_MSG_MAX + 64], ref[sizeof(buf)];
	unsigned int i;

	(void)state;
	three_recs(r);
	for (i = 3; i < LB_SYNC_MAX_RECS + 1; i++)
		r[i] = r[i % 3];
	memset(buf, 0xee, sizeof(buf));
	memcpy(ref, buf, sizeof(buf));

	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 0), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r,
					LB_SYNC_MAX_RECS + 1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &breq, r, 1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &bend, r, 1), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &t0, NULL, 0), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &t4, NULL, 0), 0);
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &t4, r, 1), 0);
	/* one byte short of room, for a header and for records */
	assert_int_equal(lb_sync_encode(buf, 15, &breq, NULL, 0), 0);
	assert_int_equal(lb_sync_encode(buf, 0, &bend, NULL, 0), 0);
	assert_int_equal(lb_sync_encode(buf, 75, &flows, r, 3), 0);
	assert_int_equal(lb_sync_encode(buf, LB_SYNC_MSG_MAX - 1, &flows, r,
					LB_SYNC_MAX_RECS), 0);
	/* an invalid last record */
	r[2].member = 0;
	assert_int_equal(lb_sync_encode(buf, sizeof(buf), &flows, r, 3), 0);
	assert_memory_equal(buf, ref, sizeof(buf));

	/* and the exact room is enough */
	r[2].member = ip4("198.51.100.13");
	assert_int_equal(lb_sync_encode(buf, 76, &flows, r, 3), 76);
	assert_int_equal(buf[76], 0xee);
	assert_int_equal(lb_sync_encode(buf, 16, &breq, NULL, 0), 16);
}

static void
errors_are_distinct_and_described(void **state)
{
	static const int errs[] = { LB_SYNC_E_SHORT, LB_SYNC_E_MAGIC,
		LB_SYNC_E_VERSION, LB_SYNC_E_TYPE, LB_SYNC_E_LENGTH,
		LB_SYNC_E_RECORD };
	unsigned int i, j;

	(void)state;
	for (i = 0; i < RTE_DIM(errs); i++) {
		const char *s = lb_sync_strerror(errs[i]);

		assert_true(errs[i] < 0);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		for (j = 0; j < i; j++) {
			assert_int_not_equal(errs[i], errs[j]);
			assert_string_not_equal(s, lb_sync_strerror(errs[j]));
		}
	}
	assert_non_null(lb_sync_strerror(-100));
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
	static const uint8_t kinds[] = { 0, 1, 2, 3 };
	static const uint8_t protos[] = { 0, 6, 17, 1 };
	uint32_t c;

	p[0] = kinds[rnd() % 4];
	p[1] = protos[rnd() % 4];
	p[2] = (uint8_t)(rnd() % 4 == 0 ? rnd() % 34 : 1 + rnd() % 2);
	p[3] = rnd() % 8 == 0 ? 1 : 0;
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

/* Random datagrams, most of them with a believable header so the
 * record checks run too: decode never reads past the bytes, and either
 * refuses with one of its errors or yields valid records that encode
 * back to exactly the input. Both outcomes must occur. */
static void
random_datagrams_decode_or_fail_cleanly(void **state)
{
	struct lb_sync_rec out[LB_SYNC_MAX_RECS];
	uint8_t buf[LB_SYNC_MSG_MAX + 8], again[LB_SYNC_MSG_MAX];
	unsigned int iter, ok = 0, ok_flows = 0, errs[7] = { 0 };
	struct lb_sync_hdr got;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		unsigned int mode = rnd() % 4, count, i;
		size_t len;
		int rc;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rnd();
		if (mode == 0) {
			/* pure noise of any length */
			len = rnd() % sizeof(buf);
		} else {
			/* a right header; records from a small alphabet
			 * of likely values; now and then a wrong length */
			count = mode == 1 ? 0 : 1 + rnd() % 4;
			lb_store_be16(buf + 6, (uint16_t)count);
			memcpy(buf, "DSLS", 4);
			buf[4] = 1;
			buf[5] = count == 0 ? (uint8_t)(2 + rnd() % 2) :
					      LB_SYNC_FLOWS;
			for (i = 0; i < count; i++)
				random_rec(buf + 16 + i * 20);
			len = 16 + count * 20;
			if (rnd() % 8 == 0)
				len = rnd() % sizeof(buf);
		}
		rc = decode_exact(buf, len, &got, out);
		if (rc >= 0) {
			assert_int_equal(len, 16 + (size_t)rc * 20);
			assert_int_equal(got.count, rc);
			for (i = 0; i < (unsigned int)rc; i++)
				assert_true(lb_sync_rec_valid(&out[i]));
			assert_int_equal(lb_sync_encode(again, sizeof(again),
							&got, out,
							(unsigned int)rc), len);
			assert_memory_equal(again, buf, len);
			ok++;
			if (rc > 0)
				ok_flows++;
		} else {
			assert_true(rc >= LB_SYNC_E_RECORD);
			errs[-rc]++;
		}
	}
	/* the storm reached every outcome */
	assert_true(ok > 100);
	assert_true(ok_flows > 100);
	assert_true(errs[-LB_SYNC_E_SHORT] > 0);
	assert_true(errs[-LB_SYNC_E_MAGIC] > 0);
	assert_true(errs[-LB_SYNC_E_LENGTH] > 0);
	assert_true(errs[-LB_SYNC_E_RECORD] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			flows_encode_to_the_design_bytes_and_decode_back),
		cmocka_unit_test(bulk_messages_round_trip_without_records),
		cmocka_unit_test(edge_records_are_valid_and_round_trip),
		cmocka_unit_test(max_records_fill_the_largest_message),
		cmocka_unit_test(every_truncation_is_short_or_length),
		cmocka_unit_test(trailing_bytes_are_length_errors),
		cmocka_unit_test(header_fields_checked_in_order),
		cmocka_unit_test(flows_without_records_is_a_length_error),
		cmocka_unit_test(count_over_the_maximum_is_a_length_error),
		cmocka_unit_test(each_record_rule_broken_is_a_record_error),
		cmocka_unit_test(reserved_byte_set_is_a_record_error),
		cmocka_unit_test(encoder_refuses_what_would_not_decode),
		cmocka_unit_test(errors_are_distinct_and_described),
		cmocka_unit_test(random_datagrams_decode_or_fail_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
