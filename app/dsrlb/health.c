/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Health checks, run by the master through kernel sockets bound to the
 * balancer's own address on the exception interface. Every socket is
 * non-blocking and watched by one epoll set; a check is a small state
 * machine (connect, send, read) with a deadline, so no check can stall
 * the master loop. Results go through the rise/fall machine of
 * lib/health; a change is applied with lb_core_health_set() and reaches
 * the workers with the next snapshot.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lb_pkt.h"
#include "app.h"

enum phase {
	PH_IDLE = 0,
	PH_CONNECT,   /* TCP connect in progress */
	PH_SEND,      /* request being written */
	PH_READ,      /* waiting for the answer */
	PH_ICMP,      /* echo sent on the shared raw socket */
};


uint64_t
dsrlb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
svc_name(struct dsrlb_app *app, const struct dsrlb_check *c)
{
	const struct lb_core_service *s = lb_core_service(app->core, c->svc);

	return s != NULL ? s->conf.name : "?";
}

static const char *
member_name(struct dsrlb_app *app, const struct dsrlb_check *c)
{
	const struct lb_core_member *m = lb_core_member(app->core, c->member);

	return m != NULL ? m->conf.name : "?";
}

static uint32_t
member_addr(struct dsrlb_app *app, const struct dsrlb_check *c)
{
	const struct lb_core_member *m = lb_core_member(app->core, c->member);

	return m != NULL ? m->conf.addr : 0;
}

static uint32_t
own_addr(struct dsrlb_app *app)
{
	return app->conf->ports[app->exc.data_port].addr;
}

/* A socket bound to the own address and the exception interface, so a
 * check always leaves through the data port, whatever the host's routes. */
static int
check_socket(struct dsrlb_app *app, int type, int proto)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = own_addr(app) };
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, app->exc.ifname,
		       (socklen_t)strlen(app->exc.ifname)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static void
finish(struct dsrlb_app *app, struct dsrlb_check *c, bool ok,
       const char *why, uint64_t now)
{
	const char *bye = ok ? lb_health_goodbye(c->conf.type) : NULL;
	bool first = !c->st.checked;

	if (c->fd >= 0) {
		if (bye != NULL && send(c->fd, bye, strlen(bye),
					MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			APP_LOG(DEBUG, "health %s/%s: goodbye not sent",
				svc_name(app, c), member_name(app, c));
		epoll_ctl(app->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->phase = PH_IDLE;
	c->runs++;
	if (!ok)
		c->failures++;
	snprintf(c->last, sizeof(c->last), "%s", ok ? "passed" : why);
	if (!lb_health_update(&c->st, ok, c->conf.rise, c->conf.fall)) {
		if (first)
			APP_LOG(INFO, "health %s/%s: up (first check %s)",
				svc_name(app, c), member_name(app, c),
				ok ? "passed" : "failed, not taken out for one");
		return;
	}
	c->changed_ms = now;
	c->changes++;
	if (c->st.up)
		APP_LOG(NOTICE, "health %s/%s: up (rise reached)",
			svc_name(app, c), member_name(app, c));
	else
		APP_LOG(WARNING, "health %s/%s: down: %s (fall reached)",
			svc_name(app, c), member_name(app, c), why);
	lb_core_health_set(app->core, c->svc, c->member,
			   c->st.up ? LB_HEALTH_UP : LB_HEALTH_DOWN);
}

static int
watch(struct dsrlb_app *app, struct dsrlb_check *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	int op = c->phase == PH_IDLE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	return epoll_ctl(app->ep, op, c->fd, &ev);
}

/* The request a check sends once connected, if any. */
static void
prepare_request(struct dsrlb_app *app, struct dsrlb_check *c)
{
	char member[INET_ADDRSTRLEN], own[INET_ADDRSTRLEN];
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	int n = 0;

	lb_conf_ip_str(member_addr(app, c), member);
	lb_conf_ip_str(own_addr(app), own);
	if (c->conf.type == LB_CHECK_HTTP) {
		n = lb_health_http_get(c->out, sizeof(c->out), c->conf.path,
				       member);
	} else if (c->conf.type == LB_CHECK_SIP) {
		memset(&local, 0, sizeof(local));
		getsockname(c->fd, (struct sockaddr *)&local, &len);
		n = lb_health_sip_options(c->out, sizeof(c->out), member,
			c->conf.port, own, ntohs(local.sin_port),
			c->conf.sip_proto == LB_IPPROTO_UDP ? "UDP" : "TCP",
			++app->health.seq);
	}
	c->out_len = n > 0 ? (uint16_t)n : 0;
	c->out_off = 0;
	c->in_len = 0;
}

static void
send_request(struct dsrlb_app *app, struct dsrlb_check *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->phase = PH_SEND;
				watch(app, c, EPOLLOUT);
				return;
			}
			finish(app, c, false, errno == ECONNREFUSED ?
			       "refused" : "send failed", now);
			return;
		}
		c->out_off += (uint16_t)n;
	}
	if (watch(app, c, EPOLLIN) != 0) {
		finish(app, c, false, "epoll", now);
		return;
	}
	c->phase = PH_READ;
}

static void
send_icmp(struct dsrlb_app *app, struct dsrlb_check *c, uint64_t now)
{
	struct dsrlb_health *h = &app->health;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_addr.s_addr = member_addr(app, c) };
	uint8_t pkt[64] = { 0 };

	c->echo_seq = (uint16_t)(c - h->checks);
	pkt[0] = LB_ICMP_ECHO_REQUEST;
	lb_store_be16(pkt + 4, h->echo_id);
	lb_store_be16(pkt + 6, c->echo_seq);
	memcpy(pkt + 8, "dsrlb health check", 18);
	lb_store_be16(pkt + 2, (uint16_t)~lb_pkt_cksum(pkt, sizeof(pkt), 0));
	if (sendto(h->icmp_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0) {
		finish(app, c, false, "cannot send echo", now);
		return;
	}
	c->phase = PH_ICMP;
}

/* Connected (or a UDP socket ready): a plain TCP check has passed, the
 * others send their request. */
static void
established(struct dsrlb_app *app, struct dsrlb_check *c, uint64_t now)
{
	if (c->conf.type == LB_CHECK_TCP) {
		finish(app, c, true, NULL, now);
		return;
	}
	prepare_request(app, c);
	send_request(app, c, now);
}

static void
start(struct dsrlb_app *app, struct dsrlb_check *c, uint64_t now)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(c->conf.port),
				  .sin_addr.s_addr = member_addr(app, c) };
	bool udp = c->conf.type == LB_CHECK_SIP &&
		   c->conf.sip_proto == LB_IPPROTO_UDP;
	int rc;

	c->deadline_ms = now + c->conf.timeout_ms;
	c->in_len = 0;
	if (c->conf.type == LB_CHECK_ICMP) {
		if (app->health.icmp_fd < 0) {
			finish(app, c, false, "no ICMP socket", now);
			return;
		}
		send_icmp(app, c, now);
		return;
	}
	c->fd = check_socket(app, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (c->fd < 0) {
		snprintf(c->last, sizeof(c->last), "socket: %s", strerror(-c->fd));
		c->fd = -1;
		finish(app, c, false, "no socket", now);
		return;
	}
	rc = connect(c->fd, (struct sockaddr *)&to, sizeof(to));
	if (rc != 0 && errno != EINPROGRESS) {
		finish(app, c, false, errno == ECONNREFUSED ? "refused" :
		       errno == ENETUNREACH || errno == EHOSTUNREACH ?
		       "unreachable" : "connect failed", now);
		return;
	}
	if (rc != 0) {
		if (watch(app, c, EPOLLOUT) != 0) {
			finish(app, c, false, "epoll", now);
			return;
		}
		c->phase = PH_CONNECT;
		return;
	}
	/* UDP, or an immediate TCP connect */
	c->phase = PH_IDLE;
	if (watch(app, c, EPOLLIN) != 0) {
		finish(app, c, false, "epoll", now);
		return;
	}
	c->phase = PH_READ;
	established(app, c, now);
}

static void
connected(struct dsrlb_app *app, struct dsrlb_check *c, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		finish(app, c, false, err == ECONNREFUSED ? "refused" :
		       err == ETIMEDOUT ? "timeout" :
		       err == EHOSTUNREACH || err == ENETUNREACH ?
		       "unreachable" : "connect failed", now);
		return;
	}
	established(app, c, now);
}

static void
readable(struct dsrlb_app *app, struct dsrlb_check *c, uint64_t now)
{
	char msg[LB_HC_MSG];
	enum lb_hc_verdict v;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		finish(app, c, false, errno == ECONNREFUSED ? "refused" :
		       errno == ECONNRESET ? "reset" : "receive failed", now);
		return;
	}
	if (n == 0) {
		finish(app, c, false, "closed without an answer", now);
		return;
	}
	c->in_len += (uint16_t)n;
	v = lb_health_answer(c->conf.type, c->in, c->in_len, msg, sizeof(msg));
	if (v == LB_HC_MORE)
		return;
	if (v == LB_HC_FAIL) {
		finish(app, c, false, msg, now);
		return;
	}
	finish(app, c, true, NULL, now);
}

/* An echo reply on the shared raw socket: find its check. */
static void
icmp_readable(struct dsrlb_app *app, uint64_t now)
{
	struct dsrlb_health *h = &app->health;
	uint8_t buf[1500];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(h->icmp_fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen)) > 0) {
		uint32_t ihl;
		uint16_t id, seq;
		struct dsrlb_check *c;

		if (n < 20)
			continue;
		ihl = (uint32_t)(buf[0] & 0x0f) * 4;
		if (ihl < 20 || (size_t)n < ihl + 8 ||
		    buf[ihl] != LB_ICMP_ECHO_REPLY)
			continue;
		id = lb_load_be16(buf + ihl + 4);
		seq = lb_load_be16(buf + ihl + 6);
		if (id != h->echo_id || seq >= h->n)
			continue;
		c = &h->checks[seq];
		if (c->phase == PH_ICMP &&
		    from.sin_addr.s_addr == member_addr(app, c))
			finish(app, c, true, NULL, now);
		flen = sizeof(from);
	}
}

/* A check socket (or the shared ICMP socket) is ready. */
void
dsrlb_health_event(struct dsrlb_app *app, void *tag, uint64_t now)
{
	struct dsrlb_check *c = tag;

	if (tag == DSRLB_EV_ICMP) {
		icmp_readable(app, now);
		return;
	}
	if (c->fd < 0)
		return;
	if (c->phase == PH_CONNECT)
		connected(app, c, now);
	else if (c->phase == PH_SEND)
		send_request(app, c, now);
	else if (c->phase == PH_READ)
		readable(app, c, now);
}

/* Start the checks that are due, time out the ones that ran too long. */
void
dsrlb_health_run(struct dsrlb_app *app, uint64_t now)
{
	struct dsrlb_health *h = &app->health;
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		struct dsrlb_check *c = &h->checks[i];

		if (c->phase != PH_IDLE && now >= c->deadline_ms)
			finish(app, c, false, "timeout", now);
		if (c->phase == PH_IDLE && now >= c->next_ms) {
			c->next_ms += c->conf.interval_ms;
			if (c->next_ms <= now)
				c->next_ms = now + c->conf.interval_ms;
			start(app, c, now);
		}
	}
}

/* One check per service and bound member, unless the service's check
 * is "none". First runs are spread over one interval. */
int
dsrlb_health_init(struct dsrlb_app *app)
{
	struct dsrlb_health *h = &app->health;
	uint64_t now = dsrlb_now_ms();
	unsigned int s, m, n = 0;

	h->icmp_fd = -1;
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = lb_core_service(app->core, s);

		if (cs == NULL || cs->conf.check.type == LB_CHECK_NONE)
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++)
			n += cs->bound[m] && lb_core_member(app->core, m) != NULL;
	}
	if (n == 0)
		return 0;
	if (!app->exc.active) {
		APP_LOG(ERR, "health checks need the exception interface");
		return -EINVAL;
	}
	h->checks = calloc(n, sizeof(*h->checks));
	if (h->checks == NULL)
		return -ENOMEM;
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = lb_core_service(app->core, s);

		if (cs == NULL || cs->conf.check.type == LB_CHECK_NONE)
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			struct dsrlb_check *c;

			if (!cs->bound[m] || lb_core_member(app->core, m) == NULL)
				continue;
			c = &h->checks[h->n];
			c->svc = (uint16_t)s;
			c->member = (uint16_t)m;
			c->conf = cs->conf.check;
			c->st = (struct lb_hc_state)LB_HC_STATE_INIT;
			c->fd = -1;
			c->next_ms = now + (uint64_t)c->conf.interval_ms * h->n / n;
			snprintf(c->last, sizeof(c->last), "not run yet");
			h->n++;
		}
	}
	for (m = 0; m < h->n; m++)
		if (h->checks[m].conf.type == LB_CHECK_ICMP)
			break;
	if (m < h->n) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = DSRLB_EV_ICMP };

		h->icmp_fd = check_socket(app, SOCK_RAW, IPPROTO_ICMP);
		h->echo_id = (uint16_t)(getpid() ^ 0x6473);
		if (h->icmp_fd < 0 ||
		    epoll_ctl(app->ep, EPOLL_CTL_ADD, h->icmp_fd, &ev) != 0) {
			APP_LOG(ERR, "icmp checks: raw socket: %s",
				strerror(h->icmp_fd < 0 ? -h->icmp_fd : errno));
			return -EPERM;
		}
	}
	APP_LOG(INFO, "%u health checks from %s", h->n, app->exc.ifname);
	return 0;
}

void
dsrlb_health_fini(struct dsrlb_app *app)
{
	struct dsrlb_health *h = &app->health;
	unsigned int i;

	for (i = 0; i < h->n; i++)
		if (h->checks[i].fd >= 0)
			close(h->checks[i].fd);
	if (h->icmp_fd >= 0)
		close(h->icmp_fd);
	free(h->checks);
	memset(h, 0, sizeof(*h));
	h->icmp_fd = -1;
}
