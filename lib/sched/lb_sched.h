/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_SCHED_H
#define LB_SCHED_H

/**
 * @file
 * Member selection: the flow tuples (IPv4, IPv6) and their hashes,
 * weighted Maglev consistent hashing and smooth weighted round robin.
 *
 * Tables are built off the data path into caller-provided arrays and
 * read on it with one load. Everything that decides which member a flow
 * hashes to (the hash function, its seed, the order members are placed
 * in) depends only on the configuration, never on memory addresses or
 * start-up order, so two balancers with the same members pick the same
 * member for the same flow: a restarted or standby balancer keeps
 * established connections where they are.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

/** Table value meaning "no member". */
#define LB_SCHED_NONE UINT16_MAX

/** Default Maglev table size: prime, 1% accuracy up to 655 members. */
#define LB_MAGLEV_DEFAULT_SIZE 65537
/** Largest Maglev table size accepted. */
#define LB_MAGLEV_MAX_SIZE 1048573
/** Longest round-robin sequence; longer periods are approximated. */
#define LB_WRR_MAX_LEN 65536

/** Seed of every data-path hash. Changing it moves every flow. */
#define LB_HASH_SEED 0x9e3779b9u

/** A flow as the balancer sees it: client to VIP. */
struct lb_tuple {
	uint32_t src_ip;   /**< network order */
	uint32_t dst_ip;   /**< network order */
	uint16_t src_port; /**< host order */
	uint16_t dst_port; /**< host order */
	uint8_t proto;
	uint8_t pad[3];    /**< always zero: part of the hashed key */
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct lb_tuple) == 16, "lb_tuple is a 16-byte key");

/**
 * An IPv6 flow: lb_tuple with 16-byte addresses, the same layout rules
 * (addresses as on the wire, ports in host order, pad zero: every byte
 * is part of the key the flow table compares and hashes).
 */
struct lb_tuple6 {
	uint8_t src_ip[16];  /**< network order */
	uint8_t dst_ip[16];  /**< network order */
	uint16_t src_port;   /**< host order */
	uint16_t dst_port;   /**< host order */
	uint8_t proto;
	uint8_t pad[3];      /**< always zero: part of the hashed key */
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct lb_tuple6) == 40, "lb_tuple6 is a 40-byte key");

/** Which tuple fields a stateless service hashes (bit mask). */
#define LB_HASH_F_SRC_IP   0x01
#define LB_HASH_F_SRC_PORT 0x02
#define LB_HASH_F_DST_IP   0x04
#define LB_HASH_F_DST_PORT 0x08
#define LB_HASH_F_DEFAULT  (LB_HASH_F_SRC_IP | LB_HASH_F_SRC_PORT)

/*
 * A tuple is written and read as whole 8-byte words. Written field by
 * field (4-, 2- and 1-byte stores) and then loaded in words by the
 * hash, each load waits for the stores to retire: store-to-load
 * forwarding needs one store that covers the load, and on x86 a load
 * that spans several costs a dozen cycles or more (the profile of
 * stateless UDP showed a third of the classify stage on two such
 * loads). So the data path builds the words in registers
 * (lb_tuple_words()), stores them whole (lb_tuple_set()) and hashes
 * words (lb_tuple_hash_words()); a field mask is applied to the words,
 * not by building a second tuple.
 */

/**
 * The two 8-byte words of a tuple, as struct lb_tuple lays them out in
 * memory (pad zero): w[0] the addresses, w[1] ports and protocol.
 */
static inline void
lb_tuple_words(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
	       uint16_t dst_port, uint8_t proto, uint64_t w[2])
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	w[0] = (uint64_t)src_ip | (uint64_t)dst_ip << 32;
	w[1] = (uint64_t)src_port | (uint64_t)dst_port << 16 |
		(uint64_t)proto << 32;
#else
	w[0] = (uint64_t)src_ip << 32 | (uint64_t)dst_ip;
	w[1] = (uint64_t)src_port << 48 | (uint64_t)dst_port << 32 |
		(uint64_t)proto << 24;
#endif
}

/** Write a tuple's two words (lb_tuple_words()) with two stores. */
static inline void
lb_tuple_store(struct lb_tuple *t, const uint64_t w[2])
{
	memcpy(t, &w[0], 8);
	memcpy((uint8_t *)t + 8, &w[1], 8);
}

/** Fill a tuple (pad zero) with two 8-byte stores. */
static inline void
lb_tuple_set(struct lb_tuple *t, uint32_t src_ip, uint32_t dst_ip,
	     uint16_t src_port, uint16_t dst_port, uint8_t proto)
{
	uint64_t w[2];

	lb_tuple_words(src_ip, dst_ip, src_port, dst_port, proto, w);
	lb_tuple_store(t, w);
}

/** lb_tuple_hash() of a tuple's two words. */
static inline uint32_t
lb_tuple_hash_words(uint64_t a, uint64_t b)
{
	return rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, LB_HASH_SEED));
}

/** CRC32C of the 16-byte tuple; the flow table's hash too. */
static inline uint32_t
lb_tuple_hash(const struct lb_tuple *t)
{
	uint64_t a, b;

	memcpy(&a, t, 8);
	memcpy(&b, (const uint8_t *)t + 8, 8);
	return lb_tuple_hash_words(a, b);
}

/**
 * The mask of a tuple's words that keeps the fields selected by mask
 * (LB_HASH_F_*) and the protocol, and clears the rest and the pad.
 */
static inline void
lb_tuple_fields_mask(uint8_t mask, uint64_t m[2])
{
	lb_tuple_words(mask & LB_HASH_F_SRC_IP ? UINT32_MAX : 0,
		       mask & LB_HASH_F_DST_IP ? UINT32_MAX : 0,
		       mask & LB_HASH_F_SRC_PORT ? UINT16_MAX : 0,
		       mask & LB_HASH_F_DST_PORT ? UINT16_MAX : 0,
		       UINT8_MAX, m);
}

/**
 * Hash of the fields selected by mask (LB_HASH_F_*) and the protocol:
 * lb_tuple_hash() of the tuple with the other fields zero.
 */
static inline uint32_t
lb_tuple_hash_fields(const struct lb_tuple *t, uint8_t mask)
{
	uint64_t a, b, m[2];

	memcpy(&a, t, 8);
	memcpy(&b, (const uint8_t *)t + 8, 8);
	lb_tuple_fields_mask(mask, m);
	return lb_tuple_hash_words(a & m[0], b & m[1]);
}

/** The last 8-byte word of an IPv6 tuple: ports, protocol and pad, laid
 *  out as the second word of an IPv4 one (lb_tuple_words()). */
static inline uint64_t
lb_tuple6_word4(uint16_t src_port, uint16_t dst_port, uint8_t proto)
{
	uint64_t w[2];

	lb_tuple_words(0, 0, src_port, dst_port, proto, w);
	return w[1];
}

/** lb_tuple6_hash() of an IPv6 tuple's five words. */
static inline uint32_t
lb_tuple6_hash_words(const uint64_t w[5])
{
	uint32_t h;

	h = rte_hash_crc_8byte(w[0], LB_HASH_SEED);
	h = rte_hash_crc_8byte(w[1], h);
	h = rte_hash_crc_8byte(w[2], h);
	h = rte_hash_crc_8byte(w[3], h);
	return rte_hash_crc_8byte(w[4], h);
}

/**
 * CRC32C of the 40-byte IPv6 tuple, in 8-byte words from LB_HASH_SEED
 * as lb_tuple_hash(): what rte_hash_crc() gives for the same bytes, so
 * the flow table's own hash function agrees with the signatures the
 * data path passes in.
 */
static inline uint32_t
lb_tuple6_hash(const struct lb_tuple6 *t)
{
	uint64_t w[5];
	uint32_t h;

	memcpy(w, t, sizeof(w));
	h = rte_hash_crc_8byte(w[0], LB_HASH_SEED);
	h = rte_hash_crc_8byte(w[1], h);
	h = rte_hash_crc_8byte(w[2], h);
	h = rte_hash_crc_8byte(w[3], h);
	return rte_hash_crc_8byte(w[4], h);
}

/** lb_tuple_hash_fields() for an IPv6 tuple: the fields selected by mask
 *  (LB_HASH_F_*) and the protocol, the words masked as IPv4's are. */
static inline uint32_t
lb_tuple6_hash_fields(const struct lb_tuple6 *t, uint8_t mask)
{
	uint64_t src = mask & LB_HASH_F_SRC_IP ? UINT64_MAX : 0;
	uint64_t dst = mask & LB_HASH_F_DST_IP ? UINT64_MAX : 0;
	uint64_t w[5], m[2];

	memcpy(w, t, sizeof(w));
	lb_tuple_fields_mask(mask, m);
	w[0] &= src;
	w[1] &= src;
	w[2] &= dst;
	w[3] &= dst;
	w[4] &= m[1];
	return lb_tuple6_hash_words(w);
}

/** One member as a scheduler sees it. */
struct lb_sched_backend {
	const char *name; /**< seeds the Maglev permutation */
	uint16_t id;      /**< value stored in the table (member slot) */
	uint32_t weight;  /**< relative weight, > 0 */
};

/** True if n is prime. */
bool lb_is_prime(uint32_t n);

/**
 * Fill a weighted Maglev lookup table. Each member's share of the
 * entries is proportional to its weight; removing a member moves only
 * about its own share of the entries. Members are placed in name order,
 * so the table does not depend on the order of the array.
 *
 * @param table
 *   size entries, written completely.
 * @param size
 *   Prime, at most LB_MAGLEV_MAX_SIZE.
 * @param b
 *   Members; weights must be > 0 and names distinct.
 * @param n
 *   Number of members; 0 fills the table with LB_SCHED_NONE.
 * @return
 *   0, -EINVAL for a bad size or weight, -ENOMEM.
 */
int lb_maglev_build(uint16_t *table, uint32_t size,
		    const struct lb_sched_backend *b, unsigned int n);

/** Member for a hash: one multiply and one load. */
static inline uint16_t
lb_maglev_lookup(const uint16_t *table, uint32_t size, uint32_t hash)
{
	/* murmur3's finaliser spreads the CRC before the range reduction */
	hash ^= hash >> 16;
	hash *= 0x85ebca6bu;
	hash ^= hash >> 13;
	hash *= 0xc2b2ae35u;
	hash ^= hash >> 16;
	return table[((uint64_t)hash * size) >> 32];
}

/**
 * Length of one period of the smooth weighted round-robin sequence:
 * sum of weights / their gcd, capped at LB_WRR_MAX_LEN.
 */
uint32_t lb_wrr_len(const struct lb_sched_backend *b, unsigned int n);

/**
 * Fill the smooth weighted round-robin sequence (nginx's interleaving:
 * weights 5,1,1 give a a b a c a a). Members appear in array order
 * when they tie.
 *
 * @param seq
 *   lb_wrr_len(b, n) entries.
 * @return
 *   The number of entries written, 0 when n == 0.
 */
uint32_t lb_wrr_build(uint16_t *seq, const struct lb_sched_backend *b,
		      unsigned int n);

#endif /* LB_SCHED_H */
