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
 * Every message is authenticated: an HMAC-SHA-512-256 (libsodium's
 * crypto_auth) under a key the balancers of a group share, over
 * everything before it. Nothing of a message is used before its MAC is
 * checked but the fields that say how long it is and which key made it.
 *
 * Wire format (version 2), all fields network byte order. Header, 32
 * bytes:
 *
 *   off size field
 *     0    4 magic 0x44534c53 ("DSLS")
 *     4    1 version, 2
 *     5    1 type (enum lb_sync_type)
 *     6    2 count of records: 1..LB_SYNC_MAX_RECS for FLOWS,
 *            1..LB_SYNC_MAX_RECS6 for FLOWS6, else 0
 *     8    4 sync id
 *    12    1 key id: which of the group's keys made the MAC (1..255)
 *    13    3 reserved, 0
 *    16    8 seq: the sender's message counter, never repeated (it
 *            starts at the sender's start time in microseconds)
 *    24    8 nonce: BULK_REQUEST: the request's (random); BULK_END:
 *            the request it ends; FLOWS and FLOWS6: 0
 *
 * then count records of 24 bytes (FLOWS only):
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
 *    16    4 member address (an IPv4 member)
 *    20    4 lifetime: how long the receiver's copy lives, in ms
 *            (an ended flow: 0)
 *
 * then the MAC, 32 bytes. A message is exactly LB_SYNC_HDR_LEN +
 * record length * count + LB_SYNC_MAC_LEN bytes; anything else is
 * malformed. The largest fits a 1500-byte MTU with IP and UDP.
 *
 * Every other record (an IPv6 client and VIP, or an IPv6-addressed
 * member) travels in messages of its own, type FLOWS6 (the same header,
 * version 2), of 1..LB_SYNC_MAX_RECS6 records of 60 bytes, its
 * addresses 16 bytes each, an IPv4 one IPv4-mapped (::ffff:a.b.c.d):
 *
 *   off size field
 *     0    1 kind (enum lb_sync_kind)
 *     1    1 proto, 6 or 17
 *     2    1 flow: enum lb_sync_state; persistence: the client prefix
 *            length: 0..32 by an IPv4 VIP, 0..128 (persistence_prefix6)
 *            by an IPv6 one
 *     3    1 reserved, 0
 *     4   16 client address, of the VIP's family (persistence by an
 *            IPv4 VIP: the masked client address, IPv4-mapped; by an
 *            IPv6 VIP: the record's key, 4 bytes, then 12 zero bytes;
 *            see below)
 *    20   16 VIP
 *    36    2 client port (persistence: 0)
 *    38    2 VIP port (persistence: the service's first port)
 *    40   16 member address
 *    56    4 lifetime in ms, as above
 *
 * A record whose client, VIP and member are all IPv4 goes in FLOWS,
 * never in FLOWS6: such a FLOWS6 record is malformed, as is one whose
 * client (a flow's, or a persistence record's by an IPv4 VIP) is of
 * the other family than its VIP. The largest FLOWS6 message, 22
 * records, is 1384 bytes.
 *
 * An IPv6 client's persistence record is kept under a 32-bit key, the
 * CRC32C of its prefix (lib/dp: persist_key6), not under its address,
 * so that is what a record carries: every balancer with the same
 * persistence_prefix6 computes the same key for the same client. A
 * balancer of a version without FLOWS6 drops such a message as an
 * unknown type (sync_drop_malformed) and goes on taking the FLOWS
 * messages, whose records are unchanged: in a group being upgraded, the
 * IPv4 flows to IPv4 members keep their sync and the rest waits for the
 * upgrade.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb_config.h"   /* struct lb_conf_keys: the group's keys */

#define LB_SYNC_MAGIC 0x44534c53u       /**< "DSLS" */
#define LB_SYNC_VERSION 2
#define LB_SYNC_HDR_LEN 32
#define LB_SYNC_REC_LEN 24
#define LB_SYNC_MAC_LEN 32
#define LB_SYNC_MAX_RECS 56
#define LB_SYNC_REC6_LEN 60             /**< a FLOWS6 record */
#define LB_SYNC_MAX_RECS6 22            /**< records of a FLOWS6 message */
/** The longest message: a full FLOWS message, 1408 bytes. */
#define LB_SYNC_MSG_MAX (LB_SYNC_HDR_LEN + LB_SYNC_MAX_RECS * LB_SYNC_REC_LEN \
			 + LB_SYNC_MAC_LEN)
#define LB_SYNC_PORT_DEFAULT 8848
/** A record's lifetime is at most this (a day and a bit): a peer cannot
 *  make an entry outlive what any timeout allows. */
#define LB_SYNC_LIFETIME_MAX (90000u * 1000u)

/** Message types. */
enum lb_sync_type {
	LB_SYNC_FLOWS = 1,        /**< 1..LB_SYNC_MAX_RECS records */
	LB_SYNC_BULK_REQUEST = 2, /**< a starting balancer asks for all */
	LB_SYNC_BULK_END = 3,     /**< the answer to a bulk request is over */
	LB_SYNC_FLOWS6 = 4,       /**< 1..LB_SYNC_MAX_RECS6 records with an
				       IPv6 address (client and VIP, or
				       member) */
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
	LB_SYNC_ST_ENDED = 3,     /**< the flow ended at its owner (closed,
				       flushed): drop the copy */
};

/** A message header, decoded. */
struct lb_sync_hdr {
	uint8_t type;       /**< enum lb_sync_type */
	uint8_t key_id;     /**< set by encode (the ring's first key) */
	uint16_t count;     /**< records that follow (set by encode) */
	uint32_t id;        /**< sync id, host order */
	uint64_t seq;       /**< sender's message counter, host order */
	uint64_t nonce;     /**< bulk request/end; 0 in FLOWS */
};

/**
 * A record, decoded. Addresses in network order, like the rest of
 * dsrlb; ports in host order. A record of an IPv4 flow (v6 false) uses
 * client and vip, one of an IPv6 flow (v6 true) client6 and vip6, but
 * for a persistence record, whose key is in client. The member is of
 * either family. Which message a record goes in: lb_sync_rec_type().
 */
struct lb_sync_rec {
	uint8_t kind;       /**< enum lb_sync_kind */
	uint8_t proto;      /**< 6 (TCP) or 17 (UDP) */
	uint8_t state;      /**< flow: enum lb_sync_state;
			         persistence: client prefix length 0..32
			         (IPv4), 0..128 (IPv6) */
	uint32_t client;    /**< IPv4: network order (persistence: masked);
			         IPv6 persistence: the record's key (host
			         order, as the persistence table holds it);
			         IPv6 flow: 0 */
	uint32_t vip;       /**< IPv4: network order; IPv6: 0 */
	uint16_t cport;     /**< host order (0 for persistence) */
	uint16_t vport;     /**< host order */
	struct lb_ip member; /**< either family (IPv4: IPv4-mapped) */
	uint32_t lifetime_ms; /**< the copy's lifetime; 0 when ended */
	bool v6;            /**< an IPv6 flow or record: client and VIP
			         IPv6 */
	uint8_t client6[16]; /**< IPv6 flow: the client; else zero */
	uint8_t vip6[16];   /**< IPv6: the VIP; IPv4: zero */
};

/**
 * The message type a record goes in: LB_SYNC_FLOWS if its client, VIP
 * and member are all IPv4, else LB_SYNC_FLOWS6.
 */
static inline uint8_t
lb_sync_rec_type(const struct lb_sync_rec *r)
{
	return !r->v6 && lb_ip_is4(&r->member) ? LB_SYNC_FLOWS :
						 LB_SYNC_FLOWS6;
}

/**
 * Why lb_sync_decode() refused a message: negative and distinct, so the
 * caller can count each.
 */
enum lb_sync_err {
	LB_SYNC_E_SHORT = -1,   /**< shorter than a header */
	LB_SYNC_E_MAGIC = -2,   /**< not LB_SYNC_MAGIC */
	LB_SYNC_E_VERSION = -3, /**< not LB_SYNC_VERSION */
	LB_SYNC_E_TYPE = -4,    /**< not an enum lb_sync_type */
	LB_SYNC_E_LENGTH = -5,  /**< length does not match count, or count
				     out of range for the type */
	LB_SYNC_E_KEY = -6,     /**< a key id this balancer does not hold */
	LB_SYNC_E_MAC = -7,     /**< the MAC does not match */
	LB_SYNC_E_RECORD = -8,  /**< authentic, but a record breaks
				     lb_sync_rec_valid() or a reserved
				     field is set */
};

/**
 * The record rules, shared by encode and decode.
 *
 * Both kinds: proto 6 or 17, vip, vport and member nonzero (a member
 * neither :: nor ::ffff:0.0.0.0), lifetime at most LB_SYNC_LIFETIME_MAX. A flow: state LB_SYNC_ST_TCP_EST with
 * proto 6, LB_SYNC_ST_UDP with proto 17, or LB_SYNC_ST_ENDED with
 * either and lifetime 0; client and cport nonzero. A persistence
 * record: state (the prefix length) 0..32, no client bit beyond the
 * prefix, client nonzero unless the prefix is 0, cport 0.
 *
 * An IPv6 record: the same with vip6 for vip (neither :: nor an
 * IPv4-mapped address) and, for a flow, client6 for client (neither ::
 * nor an IPv4-mapped address);
 * client and vip 0 but a persistence record's key (client, any value),
 * whose prefix length is 0..128; an IPv4 record has client6 and vip6
 * zero.
 *
 * @return
 *   true if r may be sent and installed.
 */
bool lb_sync_rec_valid(const struct lb_sync_rec *r);

/**
 * Write a message: the header (count = n, key_id = keys->k[0].id; type,
 * id, seq and nonce from h), n records, and the MAC under keys->k[0].
 * Each record goes in the type lb_sync_rec_type() gives it.
 *
 * @param buf
 *   Where to write; LB_SYNC_MSG_MAX bytes always suffice.
 * @param cap
 *   Bytes writable at buf; nothing past it is written.
 * @param h
 *   type, id, seq and nonce to send; h->count and h->key_id ignored.
 * @param r
 *   n records (may be NULL when n is 0).
 * @param n
 *   Number of records.
 * @param keys
 *   The group's keys; at least one.
 * @return
 *   Bytes written, or 0 (and buf untouched) if the message would not
 *   decode: no key, n above the type's maximum, cap too small, an
 *   unknown type, FLOWS or FLOWS6 with n == 0, another type with n != 0,
 *   a record of the other type, or an invalid record.
 */
size_t lb_sync_encode(uint8_t *buf, size_t cap, const struct lb_sync_hdr *h,
		      const struct lb_sync_rec *r, unsigned int n,
		      const struct lb_conf_keys *keys);

/**
 * Read a message: its framing, then its MAC under the key it names,
 * then its records.
 *
 * @param buf
 *   The datagram.
 * @param len
 *   Its length; nothing past it is read.
 * @param h
 *   Filled once the MAC is right (LB_SYNC_E_RECORD and success); left
 *   alone otherwise: nothing of an unauthenticated message is trusted.
 * @param r
 *   Filled with the records; contents unspecified on error.
 * @param keys
 *   The keys accepted.
 * @return
 *   The number of records (>= 0), or an enum lb_sync_err.
 */
int lb_sync_decode(const uint8_t *buf, size_t len, struct lb_sync_hdr *h,
		   struct lb_sync_rec r[LB_SYNC_MAX_RECS],
		   const struct lb_conf_keys *keys);

/**
 * @return
 *   A short description of an enum lb_sync_err (or of success, 0 and
 *   positive values), never NULL.
 */
const char *lb_sync_strerror(int err);

/* ---- the protocol's state, per peer and for this balancer ---- */

/** Width of the replay window: a message may arrive this many behind
 *  the newest one seen and still be taken, once. */
#define LB_SYNC_REPLAY_WINDOW 64
/** A peer's bulk request is served at most this often: a peer (or a
 *  replay of it, which the window already stops) cannot make this
 *  balancer walk its tables again and again. */
#define LB_SYNC_BULK_SERVE_MIN_MS 1000

/** What a peer has sent: the replay window and its bulk requests. */
struct lb_sync_peer_rx {
	bool seen;               /**< any authentic message yet */
	uint64_t top;            /**< highest seq taken */
	uint64_t bits;           /**< bit i: top - i taken */
	uint64_t bulk_nonce;     /**< the request being served or last served */
	uint64_t bulk_served_ms; /**< when serving it started; 0: never */
};

/**
 * Take seq from a peer if it is new: above the window, or in it and not
 * seen. Only an authentic message's seq is passed (after
 * lb_sync_decode()), or the window would move for a forger.
 *
 * @return
 *   true if taken (and the window moved), false for a replay or a seq
 *   older than the window.
 */
bool lb_sync_replay_take(struct lb_sync_peer_rx *p, uint64_t seq);

/** What to do with a peer's authentic bulk request. */
enum lb_sync_bulk_verdict {
	LB_SYNC_BULK_SERVE = 0,  /**< walk the tables for it */
	LB_SYNC_BULK_SERVING,    /**< the same request again: it is being or
				      was just served (its end may have been
				      lost: serve again once allowed) */
	LB_SYNC_BULK_LIMITED,    /**< too soon after the last: drop, count */
};

/**
 * A peer's bulk request with nonce at now_ms: serve it, or not.
 * serving says whether a walk for this peer is under way.
 */
enum lb_sync_bulk_verdict lb_sync_bulk_request(struct lb_sync_peer_rx *p,
					       uint64_t nonce, bool serving,
					       uint64_t now_ms);

/** This balancer's own bulk request at start. */
struct lb_sync_bulk {
	bool waiting;            /**< asked, not all answered, not timed out */
	uint64_t nonce;          /**< of the request */
	uint32_t answered;       /**< bit per peer */
	uint32_t all;            /**< bits of every peer */
	uint64_t deadline_ms;
	uint64_t retry_ms;       /**< next (re)send */
};

/** Start waiting for n_peers peers' answers to a request with nonce. */
void lb_sync_bulk_begin(struct lb_sync_bulk *b, unsigned int n_peers,
			uint64_t nonce, uint64_t now_ms, uint64_t wait_ms);

/** What a peer's authentic BULK_END did. */
enum lb_sync_end_verdict {
	LB_SYNC_END_TAKEN = 0,   /**< answers our request; others still due */
	LB_SYNC_END_ALL,         /**< the last answer: the bulk sync is over */
	LB_SYNC_END_UNSOLICITED, /**< no request outstanding, another nonce,
				      or that peer answered already: drop */
};

/** A BULK_END with nonce from peer index peer. */
enum lb_sync_end_verdict lb_sync_bulk_end(struct lb_sync_bulk *b,
					  unsigned int peer, uint64_t nonce);

/**
 * The peers to send (again) the request to at now_ms, as a bit set (0:
 * none now); LB_SYNC_BULK_RETRY_MS apart. *expired is set (and waiting
 * cleared) once the deadline passed with answers missing.
 */
#define LB_SYNC_BULK_RETRY_MS 500
uint32_t lb_sync_bulk_due(struct lb_sync_bulk *b, uint64_t now_ms,
			  bool *expired);

/**
 * The refresh rule: whether a flow (or persistence record) this
 * balancer owns needs announcing again in a refresh round, from how
 * long it has left and its full timeout: only one that saw a packet
 * since the previous round started (since_round_ms ago). An idle flow's
 * copy at the peers already lives as long as it does here (plus a
 * refresh period), so an idle table costs no sync traffic.
 */
static inline bool
lb_sync_refresh_due(uint32_t left_ms, uint32_t timeout_ms,
		    uint64_t since_round_ms)
{
	/* the flow's last packet was timeout - left ago */
	uint64_t idle = timeout_ms > left_ms ? timeout_ms - left_ms : 0;

	return idle <= since_round_ms;
}

#endif /* LB_SYNC_H */
