/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "lb_sync.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

/* Header offsets. */
#define H_MAGIC 0
#define H_VERSION 4
#define H_TYPE 5
#define H_COUNT 6
#define H_ID 8
#define H_SEQ 12

/* Record offsets. */
#define R_KIND 0
#define R_PROTO 1
#define R_STATE 2
#define R_RESERVED 3
#define R_CLIENT 4
#define R_VIP 8
#define R_CPORT 12
#define R_VPORT 14
#define R_MEMBER 16

_Static_assert(LB_SYNC_MSG_MAX == 1296, "the design's largest message");
_Static_assert(R_MEMBER + 4 == LB_SYNC_REC_LEN, "record layout");
_Static_assert(H_SEQ + 4 == LB_SYNC_HDR_LEN, "header layout");

static inline uint16_t
ld16(const uint8_t *p)
{
	rte_be16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline uint32_t
ld32(const uint8_t *p)
{
	rte_be32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/* An address: kept in network order, copied as is. */
static inline uint32_t
ldaddr(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
st16(uint8_t *p, uint16_t v)
{
	rte_be16_t b = rte_cpu_to_be_16(v);

	memcpy(p, &b, sizeof(b));
}

static inline void
st32(uint8_t *p, uint32_t v)
{
	rte_be32_t b = rte_cpu_to_be_32(v);

	memcpy(p, &b, sizeof(b));
}

static inline void
staddr(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* How many records a type carries: [lo, hi]; false for unknown types. */
static bool
count_range(uint8_t type, unsigned int *lo, unsigned int *hi)
{
	switch (type) {
	case LB_SYNC_FLOWS:
		*lo = 1;
		*hi = LB_SYNC_MAX_RECS;
		return true;
	case LB_SYNC_BULK_REQUEST:
	case LB_SYNC_BULK_END:
		*lo = 0;
		*hi = 0;
		return true;
	default:
		return false;
	}
}

/* A persistence record's client is the masked address: it may carry no
 * bit beyond the prefix, and only a /0 template may be 0.0.0.0. */
static bool
persist_client_valid(uint32_t client_be, uint8_t prefix)
{
	uint32_t client = rte_be_to_cpu_32(client_be);
	uint32_t mask;

	if (prefix > 32)
		return false;
	mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
	if ((client & ~mask) != 0)
		return false;
	return client != 0 || prefix == 0;
}

bool
lb_sync_rec_valid(const struct lb_sync_rec *r)
{
	if (r->proto != PROTO_TCP && r->proto != PROTO_UDP)
		return false;
	if (r->vip == 0 || r->vport == 0 || r->member == 0)
		return false;
	switch (r->kind) {
	case LB_SYNC_K_FLOW:
		if (r->state != (r->proto == PROTO_TCP ? LB_SYNC_ST_TCP_EST :
							 LB_SYNC_ST_UDP))
			return false;
		return r->client != 0 && r->cport != 0;
	case LB_SYNC_K_PERSIST:
		return r->cport == 0 &&
		       persist_client_valid(r->client, r->state);
	default:
		return false;
	}
}

/* The record at p, or false if its reserved byte is set or it breaks
 * the record rules. */
static bool
rec_read(const uint8_t *p, struct lb_sync_rec *r)
{
	if (p[R_RESERVED] != 0)
		return false;
	r->kind = p[R_KIND];
	r->proto = p[R_PROTO];
	r->state = p[R_STATE];
	r->client = ldaddr(p + R_CLIENT);
	r->vip = ldaddr(p + R_VIP);
	r->cport = ld16(p + R_CPORT);
	r->vport = ld16(p + R_VPORT);
	r->member = ldaddr(p + R_MEMBER);
	return lb_sync_rec_valid(r);
}

static void
rec_write(uint8_t *p, const struct lb_sync_rec *r)
{
	p[R_KIND] = r->kind;
	p[R_PROTO] = r->proto;
	p[R_STATE] = r->state;
	p[R_RESERVED] = 0;
	staddr(p + R_CLIENT, r->client);
	staddr(p + R_VIP, r->vip);
	st16(p + R_CPORT, r->cport);
	st16(p + R_VPORT, r->vport);
	staddr(p + R_MEMBER, r->member);
}

/* Everything is checked before the first byte is written, so a refused
 * message leaves buf as it was. */
size_t
lb_sync_encode(uint8_t *buf, size_t cap, const struct lb_sync_hdr *h,
	       const struct lb_sync_rec *r, unsigned int n)
{
	unsigned int lo, hi, i;
	size_t len;

	if (!count_range(h->type, &lo, &hi) || n < lo || n > hi)
		return 0;
	len = LB_SYNC_HDR_LEN + (size_t)n * LB_SYNC_REC_LEN;
	if (cap < len)
		return 0;
	for (i = 0; i < n; i++)
		if (!lb_sync_rec_valid(&r[i]))
			return 0;

	st32(buf + H_MAGIC, LB_SYNC_MAGIC);
	buf[H_VERSION] = LB_SYNC_VERSION;
	buf[H_TYPE] = h->type;
	st16(buf + H_COUNT, (uint16_t)n);
	st32(buf + H_ID, h->id);
	st32(buf + H_SEQ, h->seq);
	for (i = 0; i < n; i++)
		rec_write(buf + LB_SYNC_HDR_LEN + i * LB_SYNC_REC_LEN, &r[i]);
	return len;
}

/* Checks in wire order: the header's fixed fields, then the length the
 * count implies, then each record. */
int
lb_sync_decode(const uint8_t *buf, size_t len, struct lb_sync_hdr *h,
	       struct lb_sync_rec r[LB_SYNC_MAX_RECS])
{
	unsigned int lo, hi, count, i;

	if (len < LB_SYNC_HDR_LEN)
		return LB_SYNC_E_SHORT;
	if (ld32(buf + H_MAGIC) != LB_SYNC_MAGIC)
		return LB_SYNC_E_MAGIC;
	if (buf[H_VERSION] != LB_SYNC_VERSION)
		return LB_SYNC_E_VERSION;
	if (!count_range(buf[H_TYPE], &lo, &hi))
		return LB_SYNC_E_TYPE;
	count = ld16(buf + H_COUNT);
	h->type = buf[H_TYPE];
	h->count = (uint16_t)count;
	h->id = ld32(buf + H_ID);
	h->seq = ld32(buf + H_SEQ);
	if (count < lo || count > hi ||
	    len != LB_SYNC_HDR_LEN + (size_t)count * LB_SYNC_REC_LEN)
		return LB_SYNC_E_LENGTH;
	for (i = 0; i < count; i++)
		if (!rec_read(buf + LB_SYNC_HDR_LEN + i * LB_SYNC_REC_LEN,
			      &r[i]))
			return LB_SYNC_E_RECORD;
	return (int)count;
}

const char *
lb_sync_strerror(int err)
{
	switch (err) {
	case LB_SYNC_E_SHORT:
		return "shorter than a sync header";
	case LB_SYNC_E_MAGIC:
		return "bad sync magic";
	case LB_SYNC_E_VERSION:
		return "unsupported sync version";
	case LB_SYNC_E_TYPE:
		return "unknown sync message type";
	case LB_SYNC_E_LENGTH:
		return "sync message length does not match its record count";
	case LB_SYNC_E_RECORD:
		return "invalid sync record";
	default:
		return err >= 0 ? "success" : "unknown sync error";
	}
}
