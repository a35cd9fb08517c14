/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The check runner. Every socket is non-blocking and watched by the
 * owner's epoll set; a check is a small state machine (connect, send,
 * read) with a deadline, so no check can stall the owner's loop. A
 * check speaks its member's family: AF_INET or AF_INET6 sockets bound
 * to the own address of that family. ICMP checks share one raw socket
 * per family (ICMP, ICMPv6); a reply finds its check by the (service,
 * member) it carries in the echoed payload.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "lb_health.h"
#include "lb_hc_runner.h"
#include "lb_pkt.h"
#include "lb_pkt6.h"

RTE_LOG_REGISTER(lb_health_logtype, dsrlb.health, INFO);
#define HC_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_health_logtype, "health: " fmt "\n", \
		##__VA_ARGS__)

const char *const lb_hc_status_names[LB_HC_STATUS_MAX] = {
	[LB_HC_UNCHECKED] = "unchecked",
	[LB_HC_UP] = "up",
	[LB_HC_DOWN] = "down",
};

enum phase {
	PH_IDLE = 0,
	PH_CONNECT,   /* TCP connect in progress */
	PH_SEND,      /* request being written */
	PH_READ,      /* waiting for the answer */
	PH_ICMP,      /* echo sent on the shared raw socket */
};

/* The families, as an index of the runner's raw sockets. */
enum { FAM_4, FAM_6, FAM_MAX };

/* What an echo request carries after its header: a marker, then the
 * check's service and member slots (big endian), echoed back. */
#define ECHO_MARK "dsrlb health check"
#define ECHO_MARK_LEN (sizeof(ECHO_MARK) - 1)
#define ECHO_LEN 64

struct lb_hc_check {
	struct lb_hc_target t;
	struct lb_hc_state st;
	int fd;                    /* -1 when not running */
	uint16_t local_port;       /* of fd, host order; 0 = not told */
	uint8_t phase;
	bool kept;                 /* sync: still in the new set */
	bool fresh;                /* sync: created by the running sync */
	const struct lb_hc_target *sync_src; /* sync: its target, if kept */
	uint16_t out_len;
	uint16_t out_off;
	uint16_t in_len;
	uint16_t echo_seq;
	uint64_t next_ms;          /* next start */
	uint64_t deadline_ms;      /* of the running check */
	uint64_t changed_ms;       /* last up/down change */
	uint64_t runs;
	uint64_t failures;
	uint64_t changes;          /* up/down transitions */
	char last[96];             /* last result, for people */
	char out[LB_HC_REQ_MAX];
	char in[LB_HC_BUF];
};

/* The raw socket the icmp checks of one family share; its address is
 * the tag of its epoll events. */
struct hc_icmp {
	int fd;                    /* -1 when not open */
	struct lb_ip src;          /* the address it is bound to */
};

struct lb_hc_runner {
	struct lb_hc_runner_params p;
	char ifname[IF_NAMESIZE];
	struct hc_icmp icmp[FAM_MAX]; /* ICMP, ICMPv6 */
	uint16_t echo_id;
	uint16_t echo_seq;
	uint32_t seq;              /* SIP CSeq and branch */
	struct lb_hc_check **c;    /* sorted by (svc, member) */
	unsigned int n;
};

static unsigned int
family(const struct lb_ip *a)
{
	return lb_ip_is4(a) ? FAM_4 : FAM_6;
}

/* a:port as a socket address of a's family; its length. */
static socklen_t
sockaddr_of(const struct lb_ip *a, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (lb_ip_is4(a)) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = lb_ip_v4(a);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->b, sizeof(a->b));
	return sizeof(*sin6);
}

/* The address and port (host order) of a socket address of either
 * family. */
static struct lb_ip
sockaddr_ip(const struct sockaddr_storage *ss, uint16_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct lb_ip a;

	if (ss->ss_family == AF_INET) {
		*port = ntohs(sin->sin_port);
		return lb_ip_from4(sin->sin_addr.s_addr);
	}
	*port = ntohs(sin6->sin6_port);
	memcpy(a.b, &sin6->sin6_addr, sizeof(a.b));
	return a;
}

/* A check speaks its member's family from an own address of the same
 * family: why a target cannot, or NULL. */
static const char *
family_error(const struct lb_hc_target *t)
{
	bool v4 = lb_ip_is4(&t->addr);

	if (lb_ip_is_unset(&t->src))
		return v4 ? "member IPv4, no own IPv4 address" :
			    "member IPv6, no own IPv6 address";
	if (v4 != lb_ip_is4(&t->src))
		return v4 ? "member IPv4, own address IPv6" :
			    "member IPv6, own address IPv4";
	return NULL;
}

/* A socket bound to the own address (and the owner's interface), so a
 * check always leaves through the data port, whatever the host's
 * routes. Its family is the address's. */
static int
check_socket(const struct lb_hc_runner *r, const struct lb_ip *src, int type,
	     int proto)
{
	struct sockaddr_storage sa;
	socklen_t sa_len = sockaddr_of(src, 0, &sa);
	int fd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
			proto);

	if (fd < 0)
		return -errno;
	if ((r->ifname[0] != '\0' &&
	     setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->ifname,
			(socklen_t)strlen(r->ifname)) != 0) ||
	    bind(fd, (struct sockaddr *)&sa, sa_len) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static bool
udp_check(const struct lb_hc_check *c)
{
	return c->t.check.type == LB_CHECK_SIP && c->t.proto == LB_IPPROTO_UDP;
}

/* Tell the owner which of the member's packets answer this check (the
 * workers give them a lane a reflected flood cannot take), or that the
 * socket is gone. */
static void
expect(struct lb_hc_runner *r, struct lb_hc_check *c, bool on)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);

	if (r->p.expect == NULL)
		return;
	if (on) {
		if (getsockname(c->fd, (struct sockaddr *)&local, &len) != 0)
			return;
		sockaddr_ip(&local, &c->local_port);
	} else if (c->local_port == 0) {
		return;
	}
	r->p.expect(r->p.ctx, udp_check(c) ? IPPROTO_UDP : IPPROTO_TCP,
		    &c->t.addr, c->t.port, c->local_port, on);
	if (!on)
		c->local_port = 0;
}

static void
close_fd(struct lb_hc_runner *r, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(r->p.epoll_fd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* The raw socket of src's family: ICMP, or ICMPv6 letting only echo
 * replies through (the kernel sums ICMPv6 itself). */
static int
icmp_open(struct lb_hc_runner *r, const struct lb_ip *src)
{
	struct hc_icmp *ic = &r->icmp[family(src)];
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ic };
	bool v4 = lb_ip_is4(src);
	struct icmp6_filter filter;
	int fd = check_socket(r, src, SOCK_RAW,
			      v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);

	if (fd < 0)
		return fd;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
	if ((!v4 && setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
			       sizeof(filter)) != 0) ||
	    epoll_ctl(r->p.epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	ic->fd = fd;
	ic->src = *src;
	return 0;
}

static void
finish(struct lb_hc_runner *r, struct lb_hc_check *c, bool ok,
       const char *why, uint64_t now)
{
	const char *bye = ok ? lb_health_goodbye(c->t.check.type) : NULL;
	bool first = !c->st.checked;

	if (c->fd >= 0) {
		if (bye != NULL && send(c->fd, bye, strlen(bye),
					MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			HC_LOG(DEBUG, "%s: goodbye not sent", c->t.label);
		expect(r, c, false);
		close_fd(r, &c->fd);
	}
	c->phase = PH_IDLE;
	c->runs++;
	if (!ok)
		c->failures++;
	snprintf(c->last, sizeof(c->last), "%s", ok ? "passed" : why);
	if (!lb_health_update(&c->st, ok, c->t.check.rise, c->t.check.fall)) {
		if (first && c->st.up)
			HC_LOG(INFO, "%s: up (first check %s)", c->t.label,
			       ok ? "passed" : "failed, not taken out for one");
		else if (first)
			HC_LOG(INFO, "%s: down (first check failed; up after %u passes in a row)",
			       c->t.label, c->t.check.rise);
		return;
	}
	c->changed_ms = now;
	c->changes++;
	if (c->st.up)
		HC_LOG(NOTICE, "%s: up (%s)", c->t.label,
		       first ? "first check passed" : "rise reached");
	else
		HC_LOG(WARNING, "%s: down: %s (fall reached)", c->t.label, why);
	r->p.changed(r->p.ctx, &c->t, c->st.up);
}

static int
watch(struct lb_hc_runner *r, struct lb_hc_check *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	int op = c->phase == PH_IDLE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	return epoll_ctl(r->p.epoll_fd, op, c->fd, &ev);
}


/* The request a check sends once connected, if any. */
static void
prepare_request(struct lb_hc_runner *r, struct lb_hc_check *c)
{
	char member[LB_HC_HOST_MAX], own[LB_HC_HOST_MAX];
	char host[LB_HC_HOST_MAX + sizeof(":65535")];
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	uint16_t local_port = 0;
	int n = 0;

	lb_health_uri_host(&c->t.addr, member);
	lb_health_uri_host(&c->t.src, own);
	if (c->t.check.type == LB_CHECK_HTTP) {
		/* an IPv6 member's Host is its IP-literal and port
		 * ("[2001:db8::1]:80"); an IPv4 one's the address alone,
		 * as it always was */
		if (lb_ip_is4(&c->t.addr))
			snprintf(host, sizeof(host), "%s", member);
		else
			snprintf(host, sizeof(host), "%s:%u", member,
				 c->t.port);
		n = lb_health_http_get(c->out, sizeof(c->out), c->t.check.path,
				       host);
	} else if (c->t.check.type == LB_CHECK_SIP) {
		memset(&local, 0, sizeof(local));
		if (getsockname(c->fd, (struct sockaddr *)&local, &len) == 0)
			sockaddr_ip(&local, &local_port);
		n = lb_health_sip_options(c->out, sizeof(c->out), member,
			c->t.port, own, local_port,
			udp_check(c) ? "UDP" : "TCP", ++r->seq);
	}
	c->out_len = n > 0 ? (uint16_t)n : 0;
	c->out_off = 0;
	c->in_len = 0;
}

static void
send_request(struct lb_hc_runner *r, struct lb_hc_check *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->phase = PH_SEND;
				watch(r, c, EPOLLOUT);
				return;
			}
			finish(r, c, false, errno == ECONNREFUSED ?
			       "refused" : "send failed", now);
			return;
		}
		c->out_off += (uint16_t)n;
	}
	if (watch(r, c, EPOLLIN) != 0) {
		finish(r, c, false, "epoll", now);
		return;
	}
	c->phase = PH_READ;
}

/* An echo request of the member's family (ICMP, or ICMPv6 whose
 * checksum the kernel fills in) on the family's shared socket. */
static void
send_icmp(struct lb_hc_runner *r, struct lb_hc_check *c, uint64_t now)
{
	struct sockaddr_storage to;
	socklen_t to_len = sockaddr_of(&c->t.addr, 0, &to);
	bool v4 = lb_ip_is4(&c->t.addr);
	uint8_t pkt[ECHO_LEN] = { 0 };

	c->echo_seq = ++r->echo_seq;
	pkt[0] = v4 ? LB_ICMP_ECHO_REQUEST : LB_ICMP6_ECHO_REQUEST;
	lb_store_be16(pkt + 4, r->echo_id);
	lb_store_be16(pkt + 6, c->echo_seq);
	memcpy(pkt + 8, ECHO_MARK, ECHO_MARK_LEN);
	lb_store_be16(pkt + 8 + ECHO_MARK_LEN, c->t.svc);
	lb_store_be16(pkt + 10 + ECHO_MARK_LEN, c->t.member);
	if (v4)
		lb_store_be16(pkt + 2,
			      (uint16_t)~lb_pkt_cksum(pkt, sizeof(pkt), 0));
	if (sendto(r->icmp[family(&c->t.addr)].fd, pkt, sizeof(pkt), 0,
		   (struct sockaddr *)&to, to_len) < 0) {
		finish(r, c, false, "cannot send echo", now);
		return;
	}
	c->phase = PH_ICMP;
}

/* Connected (or a UDP socket ready): a plain TCP check has passed, the
 * others send their request. */
static void
established(struct lb_hc_runner *r, struct lb_hc_check *c, uint64_t now)
{
	if (c->t.check.type == LB_CHECK_TCP) {
		finish(r, c, true, NULL, now);
		return;
	}
	prepare_request(r, c);
	send_request(r, c, now);
}

static void
start(struct lb_hc_runner *r, struct lb_hc_check *c, uint64_t now)
{
	struct sockaddr_storage to;
	socklen_t to_len = sockaddr_of(&c->t.addr, c->t.port, &to);
	const char *why = family_error(&c->t);
	int rc;

	c->deadline_ms = now + c->t.check.timeout_ms;
	c->in_len = 0;
	if (why != NULL) {
		finish(r, c, false, why, now);
		return;
	}
	if (c->t.check.type == LB_CHECK_ICMP) {
		/* a socket that could not be opened is tried again */
		if (r->icmp[family(&c->t.addr)].fd < 0 &&
		    icmp_open(r, &c->t.src) != 0) {
			finish(r, c, false, "no ICMP socket", now);
			return;
		}
		send_icmp(r, c, now);
		return;
	}
	c->fd = check_socket(r, &c->t.src, udp_check(c) ? SOCK_DGRAM :
			     SOCK_STREAM, 0);
	if (c->fd < 0) {
		c->fd = -1;
		finish(r, c, false, "no socket", now);
		return;
	}
	/* bound: its port is known before anything is sent */
	expect(r, c, true);
	rc = connect(c->fd, (struct sockaddr *)&to, to_len);
	if (rc != 0 && errno != EINPROGRESS) {
		finish(r, c, false, errno == ECONNREFUSED ? "refused" :
		       errno == ENETUNREACH || errno == EHOSTUNREACH ?
		       "unreachable" : "connect failed", now);
		return;
	}
	if (rc != 0) {
		if (watch(r, c, EPOLLOUT) != 0) {
			finish(r, c, false, "epoll", now);
			return;
		}
		c->phase = PH_CONNECT;
		return;
	}
	/* UDP, or an immediate TCP connect */
	c->phase = PH_IDLE;
	if (watch(r, c, EPOLLIN) != 0) {
		finish(r, c, false, "epoll", now);
		return;
	}
	c->phase = PH_READ;
	established(r, c, now);
}

static void
connected(struct lb_hc_runner *r, struct lb_hc_check *c, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		finish(r, c, false, err == ECONNREFUSED ? "refused" :
		       err == ETIMEDOUT ? "timeout" :
		       err == EHOSTUNREACH || err == ENETUNREACH ?
		       "unreachable" : "connect failed", now);
		return;
	}
	established(r, c, now);
}

static void
readable(struct lb_hc_runner *r, struct lb_hc_check *c, uint64_t now)
{
	char msg[LB_HC_MSG];
	enum lb_hc_verdict v;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		finish(r, c, false, errno == ECONNREFUSED ? "refused" :
		       errno == ECONNRESET ? "reset" : "receive failed", now);
		return;
	}
	if (n == 0) {
		finish(r, c, false, "closed without an answer", now);
		return;
	}
	c->in_len += (uint16_t)n;
	/* a full buffer is always judged (lb_health_parse fails an
	 * oversized first line), so the next recv has room */
	v = lb_health_answer(c->t.check.type, c->in, c->in_len, msg,
			     sizeof(msg));
	if (v == LB_HC_MORE)
		return;
	if (v == LB_HC_FAIL) {
		finish(r, c, false, msg, now);
		return;
	}
	finish(r, c, true, NULL, now);
}

static int
key_cmp(uint16_t svc_a, uint16_t member_a, uint16_t svc_b, uint16_t member_b)
{
	if (svc_a != svc_b)
		return svc_a < svc_b ? -1 : 1;
	if (member_a != member_b)
		return member_a < member_b ? -1 : 1;
	return 0;
}

static struct lb_hc_check *
find(const struct lb_hc_runner *r, uint16_t svc, uint16_t member)
{
	unsigned int lo = 0, hi = r->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct lb_hc_target *t = &r->c[mid]->t;
		int d = key_cmp(svc, member, t->svc, t->member);

		if (d == 0)
			return r->c[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* An echo reply on a shared raw socket: find its check by the slots
 * its payload carries, and accept it only from the member, for the
 * echo in flight. An ICMP socket reads the IPv4 header too; an ICMPv6
 * one starts at the ICMPv6 header. */
static void
icmp_readable(struct lb_hc_runner *r, const struct hc_icmp *ic, uint64_t now)
{
	bool v4 = ic == &r->icmp[FAM_4];
	uint8_t buf[1500];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(ic->fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen)) > 0) {
		const uint8_t *icmp, *payload;
		struct lb_hc_check *c;
		struct lb_ip src;
		uint16_t port;
		uint32_t ihl = 0;

		flen = sizeof(from);
		if (v4) {
			if (n < 20)
				continue;
			ihl = (uint32_t)(buf[0] & 0x0f) * 4;
			if (ihl < 20)
				continue;
		}
		if ((size_t)n < ihl + 8 + ECHO_MARK_LEN + 4)
			continue;
		icmp = buf + ihl;
		payload = icmp + 8;
		if (icmp[0] != (v4 ? LB_ICMP_ECHO_REPLY : LB_ICMP6_ECHO_REPLY) ||
		    lb_load_be16(icmp + 4) != r->echo_id ||
		    memcmp(payload, ECHO_MARK, ECHO_MARK_LEN) != 0)
			continue;
		c = find(r, lb_load_be16(payload + ECHO_MARK_LEN),
			 lb_load_be16(payload + ECHO_MARK_LEN + 2));
		src = sockaddr_ip(&from, &port);
		if (c != NULL && c->phase == PH_ICMP &&
		    lb_load_be16(icmp + 6) == c->echo_seq &&
		    lb_ip_eq(&src, &c->t.addr))
			finish(r, c, true, NULL, now);
	}
}

void
lb_hc_runner_event(struct lb_hc_runner *r, void *tag, uint64_t now)
{
	struct lb_hc_check *c = tag;
	unsigned int f;

	for (f = 0; f < FAM_MAX; f++)
		if (tag == &r->icmp[f]) {
			if (r->icmp[f].fd >= 0)
				icmp_readable(r, &r->icmp[f], now);
			return;
		}
	if (c->fd < 0)
		return;
	if (c->phase == PH_CONNECT)
		connected(r, c, now);
	else if (c->phase == PH_SEND)
		send_request(r, c, now);
	else if (c->phase == PH_READ)
		readable(r, c, now);
}

void
lb_hc_runner_run(struct lb_hc_runner *r, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		struct lb_hc_check *c = r->c[i];

		if (c->phase != PH_IDLE && now >= c->deadline_ms)
			finish(r, c, false, "timeout", now);
		if (c->phase == PH_IDLE && now >= c->next_ms) {
			c->next_ms += c->t.check.interval_ms;
			if (c->next_ms <= now)
				c->next_ms = now + c->t.check.interval_ms;
			start(r, c, now);
		}
	}
}

/* ---- the set of checks ---- */

static bool
same_check(const struct lb_conf_check *a, const struct lb_conf_check *b)
{
	return a->type == b->type && a->rise == b->rise &&
	       a->fall == b->fall && a->sip_proto == b->sip_proto &&
	       a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->port == b->port &&
	       strncmp(a->path, b->path, sizeof(a->path)) == 0;
}

/* The same probe of the same pair: what is sent where and what counts
 * as an answer; only the schedule (interval, timeout, rise, fall) may
 * differ. */
static bool
same_probe(const struct lb_hc_target *a, const struct lb_hc_target *b)
{
	return a->svc == b->svc && a->member == b->member && a->id == b->id &&
	       lb_ip_eq(&a->addr, &b->addr) && lb_ip_eq(&a->src, &b->src) &&
	       a->port == b->port &&
	       a->proto == b->proto && a->check.type == b->check.type &&
	       a->check.sip_proto == b->check.sip_proto &&
	       a->check.port == b->check.port &&
	       strncmp(a->check.path, b->check.path,
		       sizeof(a->check.path)) == 0;
}

/* The same check of the same pair: it keeps running as it is. */
static bool
same_target(const struct lb_hc_target *a, const struct lb_hc_target *b)
{
	return a->svc == b->svc && a->member == b->member && a->id == b->id &&
	       lb_ip_eq(&a->addr, &b->addr) && lb_ip_eq(&a->src, &b->src) &&
	       a->port == b->port &&
	       a->proto == b->proto && same_check(&a->check, &b->check);
}

static void
set_label(struct lb_hc_target *dst, const struct lb_hc_target *src)
{
	memcpy(dst->label, src->label, sizeof(dst->label));
	dst->label[sizeof(dst->label) - 1] = '\0';
}

static int
check_cmp(const void *a, const void *b)
{
	const struct lb_hc_target *x = &(*(struct lb_hc_check *const *)a)->t;
	const struct lb_hc_target *y = &(*(struct lb_hc_check *const *)b)->t;

	return key_cmp(x->svc, x->member, y->svc, y->member);
}

static void
check_free(struct lb_hc_runner *r, struct lb_hc_check *c)
{
	if (c->fd >= 0)
		expect(r, c, false);
	close_fd(r, &c->fd);
	free(c);
}

/*
 * Everything that can fail happens first (the new array, the new
 * checks, the duplicate test); only then are removed checks stopped
 * and the array swapped, so a failure leaves the running set as it
 * was.
 */
int
lb_hc_runner_sync(struct lb_hc_runner *r, const struct lb_hc_target *t,
		  unsigned int n, uint64_t now)
{
	static const char *const icmp_names[FAM_MAX] = { "ICMP", "ICMPv6" };
	struct lb_ip icmp_src[FAM_MAX];
	bool icmp[FAM_MAX] = { false, false };
	struct lb_hc_check **nc;
	unsigned int i, k, f, n_new = 0, started = 0, stopped = 0;
	int rc = 0;

	nc = calloc(n > 0 ? n : 1, sizeof(*nc));
	if (nc == NULL)
		return -ENOMEM;
	for (i = 0; i < r->n; i++)
		r->c[i]->kept = false;
	for (i = 0; i < n; i++) {
		struct lb_hc_check *old = find(r, t[i].svc, t[i].member);

		if (old != NULL && !old->kept && same_target(&old->t, &t[i])) {
			old->kept = true;
			old->sync_src = &t[i];
			nc[i] = old;
		} else {
			n_new++;
		}
	}
	for (i = 0, k = 0; i < n; i++) {
		struct lb_hc_check *c, *old;

		if (nc[i] != NULL)
			continue;
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			rc = -ENOMEM;
			goto undo;
		}
		c->t = t[i];
		set_label(&c->t, &t[i]);
		old = find(r, t[i].svc, t[i].member);
		if (old != NULL && old->kept)
			old = NULL;
		if (old != NULL && old->t.id != t[i].id)
			old = NULL;     /* another member in the slot */
		if (old != NULL && same_probe(&old->t, &t[i])) {
			/* only the schedule changed: the pair's verdict and
			 * its runs of passes and failures go on */
			c->st = old->st;
			c->runs = old->runs;
			c->failures = old->failures;
			c->changes = old->changes;
			c->changed_ms = old->changed_ms;
			memcpy(c->last, old->last, sizeof(c->last));
		} else if (old != NULL) {
			/* another probe of a pair already judged: a new
			 * check (its counters from 0), but the verdict
			 * stays until its first result, which decides
			 * (nothing learnt from the old probe counts) */
			c->st = (struct lb_hc_state){
				.up = t[i].start_up ? 1 : 0,
				.ok_run = t[i].check.rise == 0 ? 0 :
					  t[i].check.rise - 1,
				.fail_run = t[i].check.fall == 0 ? 0 :
					    t[i].check.fall - 1,
			};
			snprintf(c->last, sizeof(c->last), "not run yet");
		} else {
			/* believed down (added at runtime): up at the first
			 * pass, as HAProxy's init-state down; believed up:
			 * as at boot */
			c->st = (struct lb_hc_state){
				.up = t[i].start_up ? 1 : 0,
				.ok_run = t[i].start_up ||
					  t[i].check.rise == 0 ? 0 :
					  t[i].check.rise - 1,
			};
			snprintf(c->last, sizeof(c->last), "not run yet");
		}
		c->fd = -1;
		c->fresh = true;
		/* first runs spread over one interval */
		c->next_ms = now + (uint64_t)t[i].check.interval_ms * k++ /
			n_new;
		nc[i] = c;
	}
	if (n > 1)
		qsort(nc, n, sizeof(*nc), check_cmp);
	for (i = 1; i < n; i++)
		if (check_cmp(&nc[i - 1], &nc[i]) == 0) {
			rc = -EINVAL;
			goto undo;
		}

	/* commit */
	for (i = 0; i < r->n; i++)
		if (!r->c[i]->kept) {
			check_free(r, r->c[i]);
			stopped++;
		}
	for (i = 0; i < n; i++) {
		struct lb_hc_check *c = nc[i];

		const char *why = family_error(&c->t);

		if (c->fresh) {
			c->fresh = false;
			started++;
			if (why != NULL)
				HC_LOG(ERR, "%s: cannot be checked: %s",
				       c->t.label, why);
		} else {
			c->kept = false;
			set_label(&c->t, c->sync_src);
			c->sync_src = NULL;
		}
		f = family(&c->t.addr);
		if (c->t.check.type == LB_CHECK_ICMP && why == NULL &&
		    !icmp[f]) {
			icmp[f] = true;
			icmp_src[f] = c->t.src;
		}
	}
	free(r->c);
	r->c = nc;
	r->n = n;
	/* a raw socket per family that icmp checks use, bound to the own
	 * address of the first of them */
	for (f = 0; f < FAM_MAX; f++) {
		struct hc_icmp *ic = &r->icmp[f];
		int err;

		if (ic->fd >= 0 &&
		    (!icmp[f] || !lb_ip_eq(&ic->src, &icmp_src[f])))
			close_fd(r, &ic->fd);
		if (!icmp[f] || ic->fd >= 0)
			continue;
		err = icmp_open(r, &icmp_src[f]);
		if (err != 0) {
			HC_LOG(ERR, "icmp checks: %s raw socket: %s (they fail until it opens)",
			       icmp_names[f], strerror(-err));
			if (rc == 0)
				rc = err;
		}
	}
	if (started > 0 || stopped > 0)
		HC_LOG(INFO, "%u checks: %u started, %u stopped%s%s", n,
		       started, stopped, r->ifname[0] != '\0' ? ", from " : "",
		       r->ifname);
	return rc;

undo:
	for (i = 0; i < n; i++)
		if (nc[i] != NULL && nc[i]->fresh)
			free(nc[i]);
	free(nc);
	return rc;
}

struct lb_hc_runner *
lb_hc_runner_create(const struct lb_hc_runner_params *p)
{
	struct lb_hc_runner *r;

	if (p->changed == NULL || p->epoll_fd < 0 ||
	    (p->ifname != NULL && strlen(p->ifname) >= IF_NAMESIZE)) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->p = *p;
	if (p->ifname != NULL)
		snprintf(r->ifname, sizeof(r->ifname), "%s", p->ifname);
	r->p.ifname = r->ifname;
	r->icmp[FAM_4].fd = -1;
	r->icmp[FAM_6].fd = -1;
	r->echo_id = (uint16_t)(getpid() ^ 0x6473);
	return r;
}

void
lb_hc_runner_free(struct lb_hc_runner *r)
{
	unsigned int i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		check_free(r, r->c[i]);
	close_fd(r, &r->icmp[FAM_4].fd);
	close_fd(r, &r->icmp[FAM_6].fd);
	free(r->c);
	free(r);
}

unsigned int
lb_hc_runner_count(const struct lb_hc_runner *r)
{
	return r != NULL ? r->n : 0;
}

const struct lb_hc_check *
lb_hc_runner_at(const struct lb_hc_runner *r, unsigned int i)
{
	return r != NULL && i < r->n ? r->c[i] : NULL;
}

const struct lb_hc_check *
lb_hc_runner_find(const struct lb_hc_runner *r, uint16_t svc,
		  uint16_t member)
{
	return r != NULL ? find(r, svc, member) : NULL;
}

void
lb_hc_check_info(const struct lb_hc_check *c, struct lb_hc_info *info)
{
	*info = (struct lb_hc_info){
		.target = &c->t,
		.status = !c->st.checked ? LB_HC_UNCHECKED :
			  c->st.up ? LB_HC_UP : LB_HC_DOWN,
		.last = c->last,
		.runs = c->runs,
		.failures = c->failures,
		.changes = c->changes,
		.changed_ms = c->changed_ms,
		.next_ms = c->next_ms,
	};
}
