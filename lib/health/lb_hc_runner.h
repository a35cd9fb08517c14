/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_HC_RUNNER_H
#define LB_HC_RUNNER_H

/**
 * @file
 * The health-check runner: kernel sockets bound to the balancer's own
 * address, one non-blocking state machine per (service, member) check
 * (connect, send, read, with a deadline), ICMP echo on one shared raw
 * socket per family, every socket registered in the owner's epoll set.
 * A check runs over the family of its member's address: IPv4 (AF_INET,
 * ICMP) or IPv6 (AF_INET6, ICMPv6), from an own address of the same
 * family. Results go through the rise/fall machine of lb_health.h; a
 * change of verdict is reported through a callback.
 *
 * The set of checks follows the core: the owner passes the whole list
 * of targets whenever membership changes (lb_hc_runner_sync()), and the
 * runner keeps the checks that did not change, stops the ones that went
 * and starts the new ones. Single-threaded: every call on the owner's
 * thread.
 */

#include <stdbool.h>
#include <stdint.h>

#include "lb_config.h"
#include "lb_ip.h"

/** Room for a check's label ("service/member") in log lines. */
#define LB_HC_LABEL_MAX (2 * LB_NAME_MAX)

/** One check to run: a bound (service, member) pair and its check. */
struct lb_hc_target {
	uint16_t svc;          /**< service slot */
	uint16_t member;       /**< member slot */
	uint64_t id;           /**< (service gen << 32) | member gen: a change
				    means another pair in the same slots */
	struct lb_ip addr;     /**< member address */
	struct lb_ip src;      /**< own address to bind, of addr's family:
				    a check whose src is of the other family
				    (or unset, for an IPv6 member) fails
				    ("member IPv6, own address IPv4", ...) */
	uint16_t port;         /**< host order: check.port, else the service's
				    first port (0 for icmp) */
	uint8_t proto;         /**< LB_IPPROTO_TCP or _UDP the check uses
				    (0 for icmp) */
	bool start_up;         /**< what the owner believes before the first
				    result (the core's health of the pair):
				    up, down after fall failures in a row
				    from the first check on; down, up at the
				    first pass (after a failure, rise passes
				    in a row) */
	struct lb_conf_check check;
	char label[LB_HC_LABEL_MAX]; /**< "service/member", for log lines */
};

/** What the runner needs from its owner. */
struct lb_hc_runner_params {
	int epoll_fd;          /**< sockets are registered here; the event's
				    data.ptr goes back to lb_hc_runner_event() */
	const char *ifname;    /**< interface every socket is bound to
				    (SO_BINDTODEVICE); NULL or "" for none */
	/** A check's verdict changed relative to what its owner believes
	 *  (target->start_up, then the last reported verdict). Called from
	 *  lb_hc_runner_run() and _event(); must not call _sync(). */
	void (*changed)(void *ctx, const struct lb_hc_target *t, bool up);
	/** Optional: a check's socket is about to talk to (on) or is done
	 *  with (off) member:member_port (host order) from local_port of
	 *  the own address, over proto (IPPROTO_TCP or _UDP): what the
	 *  member sends back to it is a check's answer. Called before the
	 *  first packet leaves, and when the socket closes; member is the
	 *  target's addr, of either family. */
	void (*expect)(void *ctx, uint8_t proto, const struct lb_ip *member,
		       uint16_t member_port, uint16_t local_port, bool on);
	void *ctx;
};

struct lb_hc_runner;

/** Opaque view of one running check (lb_hc_runner_at(), _find()). */
struct lb_hc_check;

/** What a check says about its member. */
enum lb_hc_status {
	LB_HC_UNCHECKED = 0,   /**< no result yet */
	LB_HC_UP,
	LB_HC_DOWN,
	LB_HC_STATUS_MAX,
};

/** "unchecked", "up", "down". */
extern const char *const lb_hc_status_names[LB_HC_STATUS_MAX];

/** A check's state, for people (health.list, telemetry). */
struct lb_hc_info {
	const struct lb_hc_target *target;
	uint8_t status;        /**< enum lb_hc_status */
	const char *last;      /**< last result ("passed", "timeout", ...) */
	uint64_t runs;
	uint64_t failures;
	uint64_t changes;      /**< up/down transitions */
	uint64_t changed_ms;   /**< time of the last transition, 0 if none */
	uint64_t next_ms;      /**< when the check starts next */
};

/**
 * Create a runner without checks.
 *
 * @return
 *   The runner, or NULL with rte_errno set (ENOMEM, EINVAL).
 */
struct lb_hc_runner *lb_hc_runner_create(const struct lb_hc_runner_params *p);

/** Stop every check, close every socket and free the runner. */
void lb_hc_runner_free(struct lb_hc_runner *r);

/**
 * Reconcile the running checks with the targets. A check whose (svc,
 * member, id, addr, src, port, proto, check) is unchanged keeps its
 * state, counters and schedule; a check not in t stops (socket closed,
 * out of the epoll set); a new one starts from t->start_up with its
 * first run within its interval, new checks spread over it so many do
 * not fire at once. Labels are refreshed.
 *
 * @param t
 *   Targets, in any order, at most one per (svc, member).
 * @return
 *   0; -EINVAL (a pair twice) or -ENOMEM, and then nothing changed.
 *   If icmp checks need a raw socket (ICMP for IPv4 members, ICMPv6
 *   for IPv6 ones) and it cannot be opened, the set is applied, those
 *   checks fail with "no ICMP socket" (the socket is tried again when
 *   they run), and the socket's -errno is returned.
 */
int lb_hc_runner_sync(struct lb_hc_runner *r, const struct lb_hc_target *t,
		      unsigned int n, uint64_t now_ms);

/** Start the checks that are due, time out the ones that ran too long. */
void lb_hc_runner_run(struct lb_hc_runner *r, uint64_t now_ms);

/**
 * An event of the owner's epoll set that is not the owner's own: a
 * check socket, or a shared ICMP (ICMPv6) socket, is ready.
 *
 * @param tag
 *   The event's data.ptr.
 */
void lb_hc_runner_event(struct lb_hc_runner *r, void *tag, uint64_t now_ms);

/** Number of checks (0 for a NULL runner). */
unsigned int lb_hc_runner_count(const struct lb_hc_runner *r);

/** The i-th check, ordered by service then member slot; NULL past the
 *  end. Valid until the next lb_hc_runner_sync(). */
const struct lb_hc_check *lb_hc_runner_at(const struct lb_hc_runner *r,
					  unsigned int i);

/** The check of a (service, member) pair, or NULL. */
const struct lb_hc_check *lb_hc_runner_find(const struct lb_hc_runner *r,
					    uint16_t svc, uint16_t member);

/** A check's state. */
void lb_hc_check_info(const struct lb_hc_check *c, struct lb_hc_info *info);

#endif /* LB_HC_RUNNER_H */
