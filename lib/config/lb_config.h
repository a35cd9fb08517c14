/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CONFIG_H
#define LB_CONFIG_H

/**
 * @file
 * The configuration file (JSON, read with jansson) and the seed's
 * `vipaddrs` format, decoded into plain structures and fully validated.
 *
 * Nothing here touches the running balancer: a configuration is either
 * valid as a whole or rejected with one message that names the place
 * (JSON path, or file:line for vipaddrs). The core API applies a valid
 * one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "lb_ip.h"

#define LB_NAME_MAX 32          /**< names: 1..31 of [A-Za-z0-9_.-] */
#define LB_MAX_PORTS 8
#define LB_MAX_MEMBERS 1024
#define LB_MAX_SERVICES 256
#define LB_MAX_VIPS 65536
#define LB_ERR_MAX 512
#define LB_PATH_MAX 256
#define LB_DEVICE_MAX 128
#define LB_IFNAME_MAX 16        /**< IFNAMSIZ */
#define LB_HTTP_PATH_MAX 128
#define LB_SOCKET_PATH_MAX 108  /**< sun_path */
#define LB_MTU_DEFAULT 1500     /**< ports[].mtu when not given */
#define LB_MTU_MIN 68           /**< IPv4's smallest MTU (RFC 791) */
/** the largest ports[].mtu --check accepts; the NIC's own range is
 *  checked at start */
#define LB_MTU_MAX 16000
/** permission bits of the control sockets (the read-write one's, and
 *  the read-only one's unless control_readonly_mode says otherwise) */
#define LB_CONTROL_MODE 0660


/** Shortest VIP subnets: a /24 holds 256 IPv4 addresses, a /120 as many
 *  IPv6 ones. */
#define LB_VIP_PREFIX4_MIN 24
#define LB_VIP_PREFIX6_MIN 120
#define LB_VIP_PREFIX_RULE \
	"subnet masks must be /24 to /32 (IPv4) or /120 to /128 (IPv6)"
#define LB_VIP_RESERVED_RULE \
	"0/8, 127/8, multicast, broadcast, ::, ::1, fe80::/10 and ff00::/8 are refused"

/** Longest lb_ip_str() text, with its NUL (INET6_ADDRSTRLEN). */
#define LB_IP_STRLEN 46
/** Longest address or subnet text a VIP list takes ("addr/len"). */
#define LB_CIDR_STRLEN (LB_IP_STRLEN + 4)

/** qsort/bsearch order of lb_ip arrays (byte order: numeric). */
int lb_ip_cmp(const void *a, const void *b);

/**
 * Parse an address of either family, optionally "/len". IPv4 is
 * "a.b.c.d" only; IPv6 any RFC 4291 text form except the IPv4-mapped
 * one (an IPv4 address is written as one). len is in the family's bits
 * and must be at least min4 (IPv4) or min6 (IPv6); a bare address has
 * the family's full length.
 *
 * @return
 *   0, -EINVAL (not an address) or -ERANGE (bad length).
 */
int lb_ip_parse_cidr(const char *s, unsigned int min4, unsigned int min6,
		     struct lb_ip *addr, uint8_t *prefix);

/** True if a has no bits set past prefix (in its family's bits). */
bool lb_ip_cidr_aligned(const struct lb_ip *a, uint8_t prefix);

/**
 * True if a can be neither a VIP nor a port's own address: for IPv4 as
 * lb_conf_addr_reserved(); for IPv6 :: (unspecified), ::1 (loopback),
 * link-local (fe80::/10) and multicast (ff00::/8).
 */
bool lb_ip_reserved(const struct lb_ip *a);

/** a as text in buf (LB_IP_STRLEN bytes): a dotted quad for IPv4,
 *  RFC 5952's form for IPv6. */
const char *lb_ip_str(const struct lb_ip *a, char *buf);

/** a with the bits past prefix cleared: its subnet. */
struct lb_ip lb_ip_net(const struct lb_ip *a, uint8_t prefix);

/** The address prefix bits into a (the host part), +i: the i-th
 *  address of an aligned block (i < 2^(bits - prefix) <= 2^32). */
struct lb_ip lb_ip_add(const struct lb_ip *a, uint32_t i);

/** persistence_prefix6 unless given: the client's /64. */
#define LB_PERSIST_PREFIX6_DEFAULT 64

/** Schedulers. */
enum lb_sched_kind {
	LB_SCHED_MAGLEV = 0, /**< weighted Maglev consistent hashing */
	LB_SCHED_WRR,        /**< smooth weighted round robin */
	LB_SCHED_SH,         /**< consistent hash of the client address */
	LB_SCHED_WLC,        /**< weighted least connections (per worker) */
	LB_SCHED_KIND_MAX,
};

/** Administrative member states (health is separate). */
enum lb_admin_state {
	LB_ADMIN_UP = 0,   /**< takes new flows while healthy */
	LB_ADMIN_DRAIN,    /**< keeps its flows, gets no new ones */
	LB_ADMIN_DISABLED, /**< no traffic at all; its flows move */
	LB_ADMIN_STATE_MAX,
};

/** Health check kinds. */
enum lb_check_type {
	LB_CHECK_NONE = 0, /**< always up */
	LB_CHECK_TCP,      /**< connect */
	LB_CHECK_SMTP,     /**< banner 220 */
	LB_CHECK_POP3,     /**< banner +OK */
	LB_CHECK_IMAP,     /**< banner * OK */
	LB_CHECK_HTTP,     /**< GET path, 2xx or 3xx */
	LB_CHECK_SIP,      /**< OPTIONS with Route, any SIP response */
	LB_CHECK_ICMP,     /**< echo */
	LB_CHECK_TYPE_MAX,
};

/** A data port. */
struct lb_conf_port {
	char name[LB_NAME_MAX];
	char device[LB_DEVICE_MAX]; /**< DPDK device name; "" = by index */
	uint32_t addr;              /**< own address, network order */
	uint8_t prefix;             /**< subnet length */
	uint32_t gateway;           /**< network order, 0 = none */
	struct lb_ip addr6;         /**< own IPv6 address, unset = none */
	uint8_t prefix6;            /**< its subnet length */
	struct lb_ip gateway6;      /**< unset = none (may be link-local) */
	uint16_t vlan;              /**< 802.1Q id, 0 = untagged */
	uint16_t mtu;               /**< largest IPv4 packet, bytes: the
					 frame is this plus its Ethernet
					 header and tag */
};

/** A real server. */
struct lb_conf_member {
	char name[LB_NAME_MAX];
	struct lb_ip addr;          /**< either family: resolved by ARP or
					 Neighbor Discovery, checked over it */
	uint32_t weight;            /**< 0..65535 */
	uint8_t mac[6];
	bool has_mac;               /**< static MAC: never resolved */
	uint16_t sport_lo;          /**< source-port range, host order */
	uint16_t sport_hi;
	bool has_sports;
	uint8_t state;              /**< enum lb_admin_state */
	uint8_t port;               /**< index of the port holding it (set
					 by the core: the port whose subnet
					 holds the address) */
};

/** A health check. Times in milliseconds. */
struct lb_conf_check {
	uint8_t type;               /**< enum lb_check_type */
	uint8_t rise;
	uint8_t fall;
	uint8_t sip_proto;          /**< LB_IPPROTO_UDP or _TCP for sip */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint16_t port;              /**< host order; the service port if 0 */
	char path[LB_HTTP_PATH_MAX];/**< http */
};

/** A virtual service. */
struct lb_conf_service {
	char name[LB_NAME_MAX];
	struct lb_ip vip;           /**< unset (::) = every VIP of both
					 families ("*") */
	uint8_t proto;              /**< LB_IPPROTO_TCP or _UDP */
	uint8_t sched;              /**< enum lb_sched_kind */
	bool stateless;             /**< UDP without flow entries */
	uint8_t hash_fields;        /**< LB_HASH_F_* for stateless */
	uint16_t port_lo;           /**< host order, inclusive */
	uint16_t port_hi;
	uint32_t persistence;       /**< seconds, 0 = off */
	uint8_t persist_prefix;     /**< client netmask length for persistence */
	uint8_t persist_prefix6;    /**< the same for IPv6 clients (a /64 is
					 one site's, usually one host's) */
	uint32_t table_size;        /**< Maglev table size, prime */
	char (*members)[LB_NAME_MAX]; /**< member names; NULL = all */
	uint16_t n_members;
	struct lb_conf_check check;
};

/** Flow-table settings. Timeouts in seconds. */
struct lb_conf_flows {
	uint32_t capacity;          /**< total, split across workers */
	uint32_t capacity6;         /**< IPv6 flows, the same way */
	uint32_t syn_timeout;
	uint32_t tcp_timeout;
	uint32_t fin_timeout;
	uint32_t udp_timeout;
};

/** dataplane.idle_spin_us's default (idle "interrupt"): none, the
 *  worker waits after 32 empty polls; in the lab (2 workers on 2 CPUs
 *  shared with the clients and servers) no spin, adaptive or fixed, was
 *  better beyond the noise (doc/lab-cps.md) */
#define LB_CONF_IDLE_SPIN_US 0

/** What an idle worker does (dataplane.idle; lb_dp's enum lb_dp_idle). */
enum lb_conf_idle {
	LB_CONF_IDLE_POLL = 0,      /**< polls on: a core at 100% */
	LB_CONF_IDLE_SLEEP,         /**< sleeps idle_sleep_us */
	LB_CONF_IDLE_INTERRUPT,     /**< waits for an RX interrupt */
	LB_CONF_IDLE_MAX,
};

/** Process and queue tuning. */
struct lb_conf_dataplane {
	uint32_t idle_sleep_us;     /**< sleep, or longest interrupt wait */
	/** interrupt: the most a worker polls on after its last packet
	 *  before it waits (how long it does adapts: lb_dp_idle_due()) */
	uint32_t idle_spin_us;
	uint8_t idle;               /**< enum lb_conf_idle */
	uint32_t frag_hold_ms;      /**< a later fragment waits for its first */
	uint32_t frag_ttl_ms;       /**< a first fragment's member is remembered */
	uint32_t exception_pps;     /**< all workers together: own-address
					 packets from anyone but a member, to
					 the master */
	uint32_t arp_pps;           /**< all workers together, per class: ARP
					 the master must see (not answered by
					 the worker) */
	uint32_t member_pps;        /**< all workers together: own-address
					 packets from members (health-check
					 answers) */
	uint32_t router_pps;        /**< all workers together: from the
					 gateways and ha.routers, TTL 255
					 (BGP, BFD) */
	uint32_t peer_pps;          /**< all workers together: from sync
					 peers, TTL 255 (flow sync) */
	uint32_t vrrp_pps;          /**< all workers together, per source:
					 VRRP advertisements (mode vrrp) */
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint32_t mbufs;             /**< per socket, 0 = computed */
};

/** ARP resolution and refresh of members. Times in milliseconds. */
struct lb_conf_arp {
	uint32_t reachable_ms;      /**< a confirmed MAC is trusted this long */
	uint32_t probe_ms;          /**< between two requests */
	uint32_t probes;            /**< requests per round */
	uint32_t retry_ms;          /**< between rounds once unanswered */
	uint32_t stale_retries;     /**< unanswered retries after which a stale
					 member no health check covers fails
					 (0: never) */
};

/** How this balancer shares its VIPs with others (high_availability). */
enum lb_ha_mode {
	LB_HA_STANDALONE = 0, /**< alone; activate/deactivate by hand */
	LB_HA_VRRP,           /**< active/standby driven by keepalived */
	LB_HA_ECMP,           /**< active/active: VIP routes for a BGP speaker */
	LB_HA_MODE_MAX,
};

#define LB_SYNC_PEERS_MAX 16
/** Keys a sync key file may hold: the one sent with, and others
 *  accepted (a rotation). */
#define LB_CONF_KEYS_MAX 4
#define LB_CONF_KEY_LEN 32

/** Flow sync's keys (high_availability.sync.key_file): k[0] signs what
 *  this balancer sends; every one is accepted. A rotation adds the new
 *  key to every balancer first, then makes it the first, then drops the
 *  old one: no message is refused on the way. */
struct lb_conf_keys {
	unsigned int n;
	struct {
		uint8_t id;                      /**< 1..255 */
		uint8_t key[LB_CONF_KEY_LEN];
	} k[LB_CONF_KEYS_MAX];
};

/**
 * Read a key file's text: one key per line, "ID HEX" with ID 1..255
 * and HEX 64 hex digits (32 bytes; `openssl rand -hex 32`); blank lines
 * and lines starting with '#' are skipped. The first key signs, every
 * key is accepted.
 *
 * @return
 *   0 with keys filled, or -1 with err saying what is wrong on which
 *   line (no key, more than LB_CONF_KEYS_MAX, an id out of range or
 *   repeated, a key not 64 hex digits, a key of all zeroes); keys is
 *   then untouched.
 */
int lb_conf_keys_parse(const char *text, size_t len, struct lb_conf_keys *keys,
		       char *err, size_t errlen);

/**
 * Load a key file: a regular file (not a symlink) owned by this
 * process's user that no one else may read or write (0600 or 0400), at
 * most 4 KiB; then lb_conf_keys_parse().
 *
 * @return
 *   0, or -1 with err naming the file and the problem.
 */
int lb_conf_keys_load(const char *path, struct lb_conf_keys *keys,
		      char *err, size_t errlen);

/** Whether a and b hold the same keys in the same order. */
bool lb_conf_keys_equal(const struct lb_conf_keys *a,
			const struct lb_conf_keys *b);
#define LB_ROUTERS_MAX 16
#define LB_HA_ANNOUNCE_TABLE 25716   /**< default kernel table of VIP routes */
#define LB_SYNC_PORT 8848            /**< default flow sync UDP port */
/** The exception interface's own policy table (LB_KIF_TABLE): no VIP
 *  routes there. */
#define LB_KIF_POLICY_TABLE 25715

/** High availability: the mode, the first state, flow sync. */
struct lb_conf_ha {
	uint8_t mode;               /**< enum lb_ha_mode */
	bool start_standby;         /**< standby at start (else active) */
	uint32_t announce_table;    /**< ecmp: kernel table of VIP /32 routes */
	uint32_t vrrp_watchdog_ms;  /**< vrrp: active without our keepalived's
					 adverts this long: standby; 0 = off */
	/** vrrp, ecmp: how long a stop (SIGTERM) keeps forwarding after
	 *  it handed over (routes withdrawn, keepalived's last advert),
	 *  so what is in flight still reaches the members; 0 = none */
	uint32_t shutdown_grace_ms;
	bool sync;                  /**< flow sync configured */
	uint32_t sync_id;
	uint16_t sync_port;         /**< host order */
	uint32_t bulk_wait_ms;      /**< at start, 0 = no bulk request */
	uint32_t peers[LB_SYNC_PEERS_MAX]; /**< network order */
	unsigned int n_peers;
	/** the file the keys came from, and the keys as read when the
	 *  configuration was (a reload reads it again) */
	char sync_key_file[LB_PATH_MAX];
	struct lb_conf_keys sync_keys;
	/** on-link routers besides the ports' gateways (BGP, BFD
	 *  neighbours): their TTL 255 packets to an own address take a
	 *  lane of their own; network order */
	uint32_t routers[LB_ROUTERS_MAX];
	unsigned int n_routers;
	/** vrrp: keepalived's track_file, "0" while every port's link is
	 *  up, the number of ports down otherwise; "" = none */
	char track_file[LB_PATH_MAX];
	/** ecmp: this balancer's IPv6 next hop, the address BGP announces
	 *  its IPv6 VIPs by (the router's IPv6 routes cannot have an IPv4
	 *  next hop); the workers answer Neighbor Solicitations for it.
	 *  :: (lb_ip_is_unset) = none */
	struct lb_ip next_hop6;
};

/** A whole, valid configuration. */
struct lb_conf {
	char source[LB_PATH_MAX];   /**< file it came from, for messages */
	struct lb_conf_port ports[LB_MAX_PORTS];
	unsigned int n_ports;
	char exception_interface[LB_IFNAME_MAX];
	char control_socket[LB_SOCKET_PATH_MAX];    /**< read-write */
	char control_socket_ro[LB_SOCKET_PATH_MAX]; /**< read-only, "" = none */
	char control_group[LB_NAME_MAX]; /**< group of the sockets, "" = ours */
	/** group of the read-only socket, "" = control_group */
	char control_group_ro[LB_NAME_MAX];
	/** permission bits of the read-only socket (LB_CONTROL_MODE unless
	 *  given): within 0666, with the owner's 0600 */
	uint32_t control_mode_ro;
	char vip_file[LB_PATH_MAX];
	struct lb_ip *vips;         /**< both families, sorted (lb_ip_cmp),
					 unique */
	unsigned int n_vips;
	struct lb_conf_member *members;
	unsigned int n_members;
	struct lb_conf_service *services;
	unsigned int n_services;
	struct lb_conf_flows flows;
	struct lb_conf_dataplane dataplane;
	struct lb_conf_arp arp;
	struct lb_conf_ha ha;
};

/** Where a configuration was rejected and why. */
struct lb_conf_error {
	char msg[LB_ERR_MAX];
};

/**
 * Read and validate a configuration file.
 *
 * @param path
 *   JSON file.
 * @param err
 *   On failure, one line naming the file and the JSON path (or
 *   file:line:column for invalid JSON, file:line for vipaddrs).
 * @return
 *   A configuration to release with lb_conf_free(), or NULL.
 */
struct lb_conf *lb_conf_load(const char *path, struct lb_conf_error *err);

/**
 * Same as lb_conf_load() on a string; source names it in messages. A
 * relative vip_file is read from the directory part of source (the
 * configuration file's directory), or the working directory if source
 * has none.
 */
struct lb_conf *lb_conf_parse(const char *text, const char *source,
			      struct lb_conf_error *err);

/** Release a configuration. */
void lb_conf_free(struct lb_conf *conf);

/**
 * Decode one member object (as in "members") from a control request or
 * another document. Only the object itself is checked: whether its name
 * and address are free is the core's question.
 *
 * @param where
 *   JSON path of the object for messages, e.g. "params".
 * @return
 *   0, or -EINVAL with err set to "<where>.<key>: <problem>".
 */
int lb_conf_decode_member(json_t *o, const char *where,
			  struct lb_conf_member *m, struct lb_conf_error *err);

/**
 * Decode one service object (as in "services"); as
 * lb_conf_decode_member(). checks_possible: the balancer has an
 * exception interface to run health checks from. Release with
 * lb_conf_service_clear().
 */
int lb_conf_decode_service(json_t *o, const char *where, bool checks_possible,
			   struct lb_conf_service *s, struct lb_conf_error *err);

/** Free what a decoded service holds (its member names). */
void lb_conf_service_clear(struct lb_conf_service *s);

/**
 * Encode a configuration in the file format: what lb_conf_parse()
 * decodes into the same configuration. VIPs are written as "vips" (in
 * the largest aligned blocks), never as a vip_file.
 *
 * @return
 *   A new JSON object, or NULL when out of memory.
 */
json_t *lb_conf_encode(const struct lb_conf *conf);

/**
 * Parse the seed's vipaddrs format: one address or subnet (IPv4 /24 to
 * /32, IPv6 /120 to /128) per line, lines starting with '#' ignored, blank lines ignored.
 * Subnets expand to every address they hold.
 *
 * @param text
 *   File contents (NUL-terminated).
 * @param source
 *   File name for messages ("file:line: ...").
 * @param vips
 *   Out: malloc'ed array of addresses, in file order.
 * @param n
 *   Out: number of addresses.
 * @return
 *   0, or -EINVAL with err set.
 */
int lb_vipaddrs_parse(const char *text, const char *source, struct lb_ip **vips,
		      unsigned int *n, struct lb_conf_error *err);

/**
 * Parse "a.b.c.d" or "a.b.c.d/len" with len in [min_prefix, 32]; a bare
 * address has length 32.
 *
 * @return
 *   0, -EINVAL (not an address) or -ERANGE (bad length).
 */
int lb_conf_parse_cidr(const char *s, unsigned int min_prefix, uint32_t *addr,
		       uint8_t *prefix);

/** True if addr (network order) has no bits set past prefix. */
bool lb_conf_cidr_aligned(uint32_t addr, uint8_t prefix);

/** True if addr is in the subnet net/prefix (addresses network order). */
bool lb_conf_in_subnet(uint32_t addr, uint32_t net, uint8_t prefix);

/** True if addr is in a VIP list sorted by lb_ip_cmp (lb_conf::vips). */
bool lb_conf_vip_find(const struct lb_ip *vips, unsigned int n,
		      const struct lb_ip *addr);

/**
 * True if addr (network order) can be neither a VIP nor a port's own
 * address: 0/8 ("this
 * network", and the data path's empty address slot), 127/8 (loopback),
 * 224/4 and above (multicast, reserved, broadcast).
 */
bool lb_conf_addr_reserved(uint32_t addr);

/** addr (network order) as a dotted quad in buf (INET_ADDRSTRLEN bytes). */
const char *lb_conf_ip_str(uint32_t addr, char *buf);

/** Names of enum values, for messages and the control API. */
extern const char *const lb_sched_names[LB_SCHED_KIND_MAX];
extern const char *const lb_admin_names[LB_ADMIN_STATE_MAX];
extern const char *const lb_check_names[LB_CHECK_TYPE_MAX];
extern const char *const lb_ha_mode_names[LB_HA_MODE_MAX];
extern const char *const lb_idle_names[LB_CONF_IDLE_MAX];

/** Look a name up in one of the tables above; index or -1. */
int lb_conf_enum(const char *const *names, unsigned int n, const char *s);

#endif /* LB_CONFIG_H */
