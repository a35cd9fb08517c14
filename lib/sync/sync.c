/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <sodium.h>

#include "lb_sync.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

/* Header offsets. */
#define H_MAGIC 0
#define H_VERSION 4
#define H_TYPE 5
#define H_COUNT 6
#define H_ID 8
#define H_KEY 12
#define H_RESERVED 13
#define H_SEQ 16
#define H_NONCE 24

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
#define R_LIFETIME 20

/* IPv6 record offsets (FLOWS6). */
#define R6_CLIENT 4
#define R6_VIP 20
#define R6_CPORT 36
#define R6_VPORT 38
#define R6_MEMBER 40
#define R6_LIFETIME 56

_Static_assert(LB_SYNC_MSG_MAX == 1408, "the design's largest message");
_Static_assert(LB_SYNC_MSG_MAX + 20 + 8 <= 1500, "a message fits the MTU");
_Static_assert(R_LIFETIME + 4 == LB_SYNC_REC_LEN, "record layout");
_Static_assert(H_NONCE + 8 == LB_SYNC_HDR_LEN, "header layout");
_Static_assert(R6_LIFETIME + 4 == LB_SYNC_REC6_LEN, "IPv6 record layout");
_Static_assert(LB_SYNC_HDR_LEN + LB_SYNC_MAX_RECS6 * LB_SYNC_REC6_LEN +
	       LB_SYNC_MAC_LEN <= LB_SYNC_MSG_MAX, "FLOWS6 fits the buffer");
_Static_assert(LB_SYNC_HDR_LEN + (LB_SYNC_MAX_RECS6 + 1) * LB_SYNC_REC6_LEN +
	       LB_SYNC_MAC_LEN > LB_SYNC_MSG_MAX, "FLOWS6 as long as it fits");
_Static_assert(LB_SYNC_MAX_RECS6 <= LB_SYNC_MAX_RECS, "decode's array");
_Static_assert(crypto_auth_hmacsha512256_BYTES == LB_SYNC_MAC_LEN, "MAC");
_Static_assert(crypto_auth_hmacsha512256_KEYBYTES == LB_CONF_KEY_LEN, "key");

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

static inline uint64_t
ld64(const uint8_t *p)
{
	rte_be64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_64(v);
}

static inline void
st64(uint8_t *p, uint64_t v)
{
	rte_be64_t b = rte_cpu_to_be_64(v);

	memcpy(p, &b, sizeof(b));
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
	case LB_SYNC_FLOWS6:
		*lo = 1;
		*hi = LB_SYNC_MAX_RECS6;
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

/* The length of a record of a message type. */
static size_t
rec_len(uint8_t type)
{
	return type == LB_SYNC_FLOWS6 ? LB_SYNC_REC6_LEN : LB_SYNC_REC_LEN;
}

static bool
zero16(const uint8_t *a)
{
	static const uint8_t z[16];

	return memcmp(a, z, sizeof(z)) == 0;
}

/* ::ffff:0:0/96: IPv4, which travels in IPv4 records. */
static bool
mapped4(const uint8_t *a)
{
	static const uint8_t m[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, m, sizeof(m)) == 0;
}

/* A member address: neither :: nor ::ffff:0.0.0.0. */
static bool
member_valid(const struct lb_ip *m)
{
	return lb_ip_is4(m) ? lb_ip_v4(m) != 0 : !lb_ip_is_unset(m);
}

/* The IPv6 record rules (lb_sync_rec_valid()). */
/* A flow record's state: ended (and then no lifetime), or the
 * confirmed state of its protocol. */
static bool
flow_state_valid(const struct lb_sync_rec *r)
{
	if (r->state == LB_SYNC_ST_ENDED)
		return r->lifetime_ms == 0;
	return r->state == (r->proto == PROTO_TCP ? LB_SYNC_ST_TCP_EST :
			    LB_SYNC_ST_UDP);
}

static bool
rec6_valid(const struct lb_sync_rec *r)
{
	if (r->vip != 0 || zero16(r->vip6) || mapped4(r->vip6))
		return false;
	switch (r->kind) {
	case LB_SYNC_K_FLOW:
		return flow_state_valid(r) && r->client == 0 &&
		       !zero16(r->client6) &&
		       !mapped4(r->client6) && r->cport != 0;
	case LB_SYNC_K_PERSIST:
		return r->cport == 0 && r->state <= 128 && zero16(r->client6);
	default:
		return false;
	}
}

bool
lb_sync_rec_valid(const struct lb_sync_rec *r)
{
	if (r->proto != PROTO_TCP && r->proto != PROTO_UDP)
		return false;
	if (r->vport == 0 || !member_valid(&r->member) ||
	    r->lifetime_ms > LB_SYNC_LIFETIME_MAX)
		return false;
	if (r->v6)
		return rec6_valid(r);
	if (r->vip == 0 || !zero16(r->client6) || !zero16(r->vip6))
		return false;
	switch (r->kind) {
	case LB_SYNC_K_FLOW:
		return flow_state_valid(r) && r->client != 0 && r->cport != 0;
	case LB_SYNC_K_PERSIST:
		return r->cport == 0 &&
		       persist_client_valid(r->client, r->state);
	default:
		return false;
	}
}

/* The IPv4 address of an IPv4-mapped field at p, or false. */
static bool
ldmapped(const uint8_t *p, uint32_t *v)
{
	if (!mapped4(p))
		return false;
	*v = ldaddr(p + 12);
	return true;
}

/* The FLOWS6 record at p (rec_read()): the VIP's family says the
 * flow's; the client must be of it. */
static bool
rec6_read(const uint8_t *p, struct lb_sync_rec *r)
{
	*r = (struct lb_sync_rec){
		.kind = p[R_KIND], .proto = p[R_PROTO], .state = p[R_STATE],
		.cport = ld16(p + R6_CPORT), .vport = ld16(p + R6_VPORT),
		.lifetime_ms = ld32(p + R6_LIFETIME),
	};
	memcpy(r->member.b, p + R6_MEMBER, 16);
	if (ldmapped(p + R6_VIP, &r->vip)) {
		/* an IPv4 flow (or record): its client IPv4-mapped too */
		if (!ldmapped(p + R6_CLIENT, &r->client))
			return false;
	} else {
		r->v6 = true;
		memcpy(r->vip6, p + R6_VIP, 16);
		if (r->kind == LB_SYNC_K_PERSIST) {
			/* the key, then nothing */
			static const uint8_t z[12];

			if (memcmp(p + R6_CLIENT + 4, z, sizeof(z)) != 0)
				return false;
			r->client = ld32(p + R6_CLIENT);
		} else {
			memcpy(r->client6, p + R6_CLIENT, 16);
		}
	}
	/* an all-IPv4 record goes in FLOWS */
	return lb_sync_rec_type(r) == LB_SYNC_FLOWS6 && lb_sync_rec_valid(r);
}

/* The record at p of a message of type, or false if its reserved byte
 * is set or it breaks the record rules. */
static bool
rec_read(uint8_t type, const uint8_t *p, struct lb_sync_rec *r)
{
	if (p[R_RESERVED] != 0)
		return false;
	if (type == LB_SYNC_FLOWS6)
		return rec6_read(p, r);
	memset(r, 0, sizeof(*r));
	r->kind = p[R_KIND];
	r->proto = p[R_PROTO];
	r->state = p[R_STATE];
	r->client = ldaddr(p + R_CLIENT);
	r->vip = ldaddr(p + R_VIP);
	r->cport = ld16(p + R_CPORT);
	r->vport = ld16(p + R_VPORT);
	r->member = lb_ip_from4(ldaddr(p + R_MEMBER));
	r->lifetime_ms = ld32(p + R_LIFETIME);
	return lb_sync_rec_valid(r);
}

/* An IPv4 address (network order) IPv4-mapped at p. */
static void
stmapped(uint8_t *p, uint32_t v)
{
	struct lb_ip a = lb_ip_from4(v);

	memcpy(p, a.b, sizeof(a.b));
}

/* A record into a message of lb_sync_rec_type(r). */
static void
rec_write(uint8_t *p, const struct lb_sync_rec *r)
{
	p[R_KIND] = r->kind;
	p[R_PROTO] = r->proto;
	p[R_STATE] = r->state;
	p[R_RESERVED] = 0;
	if (lb_sync_rec_type(r) == LB_SYNC_FLOWS6) {
		if (!r->v6) {
			stmapped(p + R6_CLIENT, r->client);
			stmapped(p + R6_VIP, r->vip);
		} else {
			if (r->kind == LB_SYNC_K_PERSIST) {
				memset(p + R6_CLIENT, 0, 16);
				st32(p + R6_CLIENT, r->client);
			} else {
				memcpy(p + R6_CLIENT, r->client6, 16);
			}
			memcpy(p + R6_VIP, r->vip6, 16);
		}
		st16(p + R6_CPORT, r->cport);
		st16(p + R6_VPORT, r->vport);
		memcpy(p + R6_MEMBER, r->member.b, 16);
		st32(p + R6_LIFETIME, r->lifetime_ms);
		return;
	}
	staddr(p + R_CLIENT, r->client);
	staddr(p + R_VIP, r->vip);
	st16(p + R_CPORT, r->cport);
	st16(p + R_VPORT, r->vport);
	staddr(p + R_MEMBER, lb_ip_v4(&r->member));
	st32(p + R_LIFETIME, r->lifetime_ms);
}

static const uint8_t *
key_of(const struct lb_conf_keys *keys, uint8_t id)
{
	unsigned int i;

	for (i = 0; i < keys->n && i < LB_CONF_KEYS_MAX; i++)
		if (keys->k[i].id == id)
			return keys->k[i].key;
	return NULL;
}

/* Everything is checked before the first byte is written, so a refused
 * message leaves buf as it was. */
size_t
lb_sync_encode(uint8_t *buf, size_t cap, const struct lb_sync_hdr *h,
	       const struct lb_sync_rec *r, unsigned int n,
	       const struct lb_conf_keys *keys)
{
	unsigned int lo, hi, i;
	size_t body;

	if (keys == NULL || keys->n == 0 || keys->k[0].id == 0)
		return 0;
	if (!count_range(h->type, &lo, &hi) || n < lo || n > hi)
		return 0;
	body = LB_SYNC_HDR_LEN + (size_t)n * rec_len(h->type);
	if (cap < body + LB_SYNC_MAC_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (lb_sync_rec_type(&r[i]) != h->type ||
		    !lb_sync_rec_valid(&r[i]))
			return 0;

	st32(buf + H_MAGIC, LB_SYNC_MAGIC);
	buf[H_VERSION] = LB_SYNC_VERSION;
	buf[H_TYPE] = h->type;
	st16(buf + H_COUNT, (uint16_t)n);
	st32(buf + H_ID, h->id);
	buf[H_KEY] = keys->k[0].id;
	memset(buf + H_RESERVED, 0, 3);
	st64(buf + H_SEQ, h->seq);
	st64(buf + H_NONCE, h->type == LB_SYNC_FLOWS ||
			    h->type == LB_SYNC_FLOWS6 ? 0 : h->nonce);
	for (i = 0; i < n; i++)
		rec_write(buf + LB_SYNC_HDR_LEN + i * rec_len(h->type), &r[i]);
	crypto_auth_hmacsha512256(buf + body, buf, body, keys->k[0].key);
	return body + LB_SYNC_MAC_LEN;
}

/* Checks in wire order: the header's fixed fields and the length the
 * count implies (what says where the MAC is), the MAC, then the rest of
 * the header and each record. */
int
lb_sync_decode(const uint8_t *buf, size_t len, struct lb_sync_hdr *h,
	       struct lb_sync_rec r[LB_SYNC_MAX_RECS],
	       const struct lb_conf_keys *keys)
{
	unsigned int lo, hi, count, i;
	const uint8_t *key;
	size_t body;

	if (len < LB_SYNC_HDR_LEN)
		return LB_SYNC_E_SHORT;
	if (ld32(buf + H_MAGIC) != LB_SYNC_MAGIC)
		return LB_SYNC_E_MAGIC;
	if (buf[H_VERSION] != LB_SYNC_VERSION)
		return LB_SYNC_E_VERSION;
	if (!count_range(buf[H_TYPE], &lo, &hi))
		return LB_SYNC_E_TYPE;
	count = ld16(buf + H_COUNT);
	body = LB_SYNC_HDR_LEN + (size_t)count * rec_len(buf[H_TYPE]);
	if (count < lo || count > hi || len != body + LB_SYNC_MAC_LEN)
		return LB_SYNC_E_LENGTH;
	key = keys != NULL ? key_of(keys, buf[H_KEY]) : NULL;
	if (key == NULL || buf[H_KEY] == 0)
		return LB_SYNC_E_KEY;
	if (crypto_auth_hmacsha512256_verify(buf + body, buf, body, key) != 0)
		return LB_SYNC_E_MAC;
	h->type = buf[H_TYPE];
	h->key_id = buf[H_KEY];
	h->count = (uint16_t)count;
	h->id = ld32(buf + H_ID);
	h->seq = ld64(buf + H_SEQ);
	h->nonce = ld64(buf + H_NONCE);
	if (buf[H_RESERVED] != 0 || buf[H_RESERVED + 1] != 0 ||
	    buf[H_RESERVED + 2] != 0 ||
	    ((h->type == LB_SYNC_FLOWS || h->type == LB_SYNC_FLOWS6) &&
	     h->nonce != 0))
		return LB_SYNC_E_RECORD;
	for (i = 0; i < count; i++)
		if (!rec_read(h->type, buf + LB_SYNC_HDR_LEN +
			      i * rec_len(h->type), &r[i]))
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
	case LB_SYNC_E_KEY:
		return "sync message made with a key this balancer does not hold";
	case LB_SYNC_E_MAC:
		return "sync message fails authentication (wrong key or altered)";
	case LB_SYNC_E_RECORD:
		return "invalid sync record";
	default:
		return err >= 0 ? "success" : "unknown sync error";
	}
}
