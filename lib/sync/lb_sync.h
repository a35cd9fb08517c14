/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_SYNC_H
#define LB_SYNC_H

/**
 * @file
 * The flow-sync message: what balancers exchange over UDP so that a
 * peer taking over keeps the connections whose member the consistent
 * hash would not give back (wrr, wlc, persistence, rescheduled flows).
 *
 * Pure C on byte buffers, no EAL, no allocation: the master encodes and
 * decodes on its stack, the unit tests and the fuzzer drive the same
 * code. Every read is bounded by the length passed in; multi-byte
 * fields are loaded with memcpy, so any buffer alignment is fine.
 *
 * Wire format, all fields network byte order. Header, 16 bytes:
 *
 *   off size field
 *     0    4 magic 0x44534c53 ("DSLS")
 *     4    1 version, 1
 *     5    1 type (enum lb_sync_type)
 *     6    2 count of records: 1..LB_SYNC_MAX_RECS for FLOWS, else 0
 *     8    4 sync id
 *    12    4 seq, the sender's message counter
 *
 * then count records of 20 bytes (FLOWS only):
 *
 *   off size field
 *     0    1 kind (enum lb_sync_kind)
 *     1    1 proto, 6 or 17
 *     2    1 flow: enum lb_sync_state; persistence: client prefix length
 *     3    1 reserved, 0
 *     4    4 client address (persistence: the masked client address)
 *     8    4 VIP
 *    12    2 client port (persistence: 0)
 *    14    2 VIP port (persistence: the service's first port)
 *    16    4 member address
 *
 * A message is exactly LB_SYNC_HDR_LEN + LB_SYNC_REC_LEN * count bytes;
 * anything else is malformed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_SYNC_MAGIC 0x44534c53u       /**< "DSLS" */
#define LB_SYNC_VERSION 1
#define LB_SYNC_HDR_LEN 16
#define LB_SYNC_REC_LEN 20
#define LB_SYNC_MAX_RECS 64
/** The longest message: a full FLOWS message, 1296 bytes. */
#define LB_SYNC_MSG_MAX (LB_SYNC_HDR_LEN + LB_SYNC_MAX_RECS * LB_SYNC_REC_LEN)
#define LB_SYNC_PORT_DEFAULT 8848

/** Message types. */
enum lb_sync_type {
	LB_SYNC_FLOWS = 1,        /**< 1..LB_SYNC_MAX_RECS records */
	LB_SYNC_BULK_REQUEST = 2, /**< a starting balancer asks for all */
	LB_SYNC_BULK_END = 3,     /**< the answer to a bulk request is over */
};

/** Record kinds. */
enum lb_sync_kind {
	LB_SYNC_K_FLOW = 1,       /**< a confirmed flow */
	LB_SYNC_K_PERSIST = 2,    /**< a persistence record (template) */
};

/** States of a flow record. */
enum lb_sync_state {
	LB_SYNC_ST_TCP_EST = 1,   /**< TCP, established (proto 6 only) */
	LB_SYNC_ST_UDP = 2,       /**< UDP, confirmed (proto 17 only) */
};

/** A message header, decoded. */
struct lb_sync_hdr {
	uint8_t type;       /**< enum lb_sync_type */
	uint16_t count;     /**< records that follow (set by encode) */
	uint32_t id;        /**< sync id, host order */
	uint32_t seq;       /**< sender's message counter, host order */
};

/**
 * A record, decoded. Addresses in network order, like the rest of
 * dsrlb; ports in host order.
 */
struct lb_sync_rec {
	uint8_t kind;       /**< enum lb_sync_kind */
	uint8_t proto;      /**< 6 (TCP) or 17 (UDP) */
	uint8_t state;      /**< flow: enum lb_sync_state;
			         persistence: client prefix length 0..32 */
	uint32_t client;    /**< network order (persistence: masked) */
	uint32_t vip;       /**< network order */
	uint16_t cport;     /**< host order (0 for persistence) */
	uint16_t vport;     /**< host order */
	uint32_t member;    /**< network order */
};

/**
 * Why lb_sync_decode() refused a message: negative and distinct, so the
 * caller can count each.
 */
enum lb_sync_err {
	LB_SYNC_E_SHORT = -1,   /**< shorter than a header */
	LB_SYNC_E_MAGIC = -2,   /**< not LB_SYNC_MAGIC */
	LB_SYNC_E_VERSION = -3, /**< not LB_SYNC_VERSION */
	LB_SYNC_E_TYPE = -4,    /**< not an enum lb_sync_type */
	LB_SYNC_E_LENGTH = -5,  /**< length != 16 + 20 * count, or count
				     out of range for the type */
	LB_SYNC_E_RECORD = -6,  /**< a record breaks lb_sync_rec_valid() */
};

/**
 * The record rules, shared by encode and decode.
 *
 * Both kinds: proto 6 or 17, vip, vport and member nonzero. A flow:
 * state LB_SYNC_ST_TCP_EST with proto 6 or LB_SYNC_ST_UDP with proto
 * 17, client and cport nonzero. A persistence record: state (the
 * prefix length) 0..32, no client bit beyond the prefix, client
 * nonzero unless the prefix is 0, cport 0.
 *
 * @return
 *   true if r may be sent and installed.
 */
bool lb_sync_rec_valid(const struct lb_sync_rec *r);

/**
 * Write a message: the header (count = n; type, id and seq from h) and
 * n records.
 *
 * @param buf
 *   Where to write; LB_SYNC_MSG_MAX bytes always suffice.
 * @param cap
 *   Bytes writable at buf; nothing past it is written.
 * @param h
 *   type, id and seq to send; h->count is ignored.
 * @param r
 *   n records (may be NULL when n is 0).
 * @param n
 *   Number of records.
 * @return
 *   Bytes written, or 0 (and buf untouched) if the message would not
 *   decode: n > LB_SYNC_MAX_RECS, cap too small, an unknown type, FLOWS
 *   with n == 0, another type with n != 0, or an invalid record.
 */
size_t lb_sync_encode(uint8_t *buf, size_t cap, const struct lb_sync_hdr *h,
		      const struct lb_sync_rec *r, unsigned int n);

/**
 * Read a message.
 *
 * @param buf
 *   The datagram.
 * @param len
 *   Its length; nothing past it is read.
 * @param h
 *   Filled once magic, version and type are right, i.e. also when
 *   LB_SYNC_E_LENGTH or LB_SYNC_E_RECORD is returned (the caller may
 *   then tell a foreign sync id from a malformed message); left alone
 *   on the other errors.
 * @param r
 *   Filled with the records; contents unspecified on error.
 * @return
 *   The number of records (>= 0), or an enum lb_sync_err.
 */
int lb_sync_decode(const uint8_t *buf, size_t len, struct lb_sync_hdr *h,
		   struct lb_sync_rec r[LB_SYNC_MAX_RECS]);

/**
 * @return
 *   A short description of an enum lb_sync_err (or of success, 0 and
 *   positive values), never NULL.
 */
const char *lb_sync_strerror(int err);

#endif /* LB_SYNC_H */
