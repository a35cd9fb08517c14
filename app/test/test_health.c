/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Health checks: what answers mean for each kind (good, bad, partial,
 * oversized), the rise/fall machine, the requests sent; the check
 * runner's reconcile and its sockets, against servers on 127.0.0.1,
 * and every kind of check over IPv6 against servers on ::1. No EAL. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_config.h"
#include "lb_hc_runner.h"
#include "lb_health.h"
#include "test_util.h"

struct answer {
	uint8_t type;
	const char *text;
	enum lb_hc_verdict want;
};

static const struct answer answers[] = {
	{ LB_CHECK_SMTP, "220 mx.example ESMTP\r\n", LB_HC_PASS },
	{ LB_CHECK_SMTP, "220-mx.example\r\n220 more\r\n", LB_HC_PASS },
	{ LB_CHECK_SMTP, "220\r\n", LB_HC_PASS },
	{ LB_CHECK_SMTP, "554 5.3.2 no service\r\n", LB_HC_FAIL },
	{ LB_CHECK_SMTP, "2200 odd\r\n", LB_HC_FAIL },
	{ LB_CHECK_SMTP, "220 half a line", LB_HC_MORE },
	{ LB_CHECK_POP3, "+OK fe1 POP3 ready\r\n", LB_HC_PASS },
	{ LB_CHECK_POP3, "-ERR go away\r\n", LB_HC_FAIL },
	{ LB_CHECK_POP3, "+O", LB_HC_MORE },
	{ LB_CHECK_IMAP, "* OK IMAP4rev1 ready\r\n", LB_HC_PASS },
	{ LB_CHECK_IMAP, "* PREAUTH logged in\r\n", LB_HC_PASS },
	{ LB_CHECK_IMAP, "* BYE shutting down\r\n", LB_HC_FAIL },
	{ LB_CHECK_IMAP, "* OK", LB_HC_MORE },
	{ LB_CHECK_HTTP, "HTTP/1.1 200 OK\r\n", LB_HC_PASS },
	{ LB_CHECK_HTTP, "HTTP/1.0 302 Found\r\n", LB_HC_PASS },
	{ LB_CHECK_HTTP, "HTTP/1.1 404 Not Found\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "HTTP/1.1 503 Unavailable\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "HTTP/1.1 2000 x\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "<html>\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "HTTP/1.1 200", LB_HC_MORE },
	{ LB_CHECK_SIP, "SIP/2.0 200 OK\r\n", LB_HC_PASS },
	{ LB_CHECK_SIP, "SIP/2.0 483 Too Many Hops\r\n", LB_HC_PASS },
	{ LB_CHECK_SIP, "SIP/2.0 ABC\r\n", LB_HC_FAIL },
	{ LB_CHECK_SIP, "OPTIONS sip:x SIP/2.0\r\n", LB_HC_FAIL },
	{ LB_CHECK_SIP, "SIP/2.0 2", LB_HC_MORE },
};

/* The runner describes a failed answer with the start of the member's
 * first line. The member's bytes are not NUL-terminated: exact-size
 * copies make ASan see any read past them. */
static void
health_failed_answer_described_within_its_bytes(void **state)
{
	static const struct answer bad[] = {
		{ LB_CHECK_POP3, "-ERR go away\r\n", LB_HC_FAIL },
		{ LB_CHECK_POP3, "-ERR no line end, and longer than forty bytes of text", LB_HC_FAIL },
		{ LB_CHECK_SMTP, "554\r", LB_HC_FAIL },
		{ LB_CHECK_HTTP, "HTTP/1.1 500 \x1b[31mred\x07\r\n", LB_HC_FAIL },
	};
	char msg[LB_HC_MSG];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);
		char *buf = malloc(len);
		enum lb_hc_verdict v;

		assert_non_null(buf);
		memcpy(buf, bad[i].text, len);
		memset(msg, 'x', sizeof(msg));
		/* a first line without LF is judged once the buffer is full */
		v = lb_health_answer(bad[i].type, buf, len, msg, sizeof(msg));
		if (v == LB_HC_MORE) {
			free(buf);
			buf = calloc(LB_HC_BUF, 1);
			assert_non_null(buf);
			memcpy(buf, bad[i].text, len);
			memset(buf + len, 'z', LB_HC_BUF - len);
			len = LB_HC_BUF;
			v = lb_health_answer(bad[i].type, buf, len, msg,
					     sizeof(msg));
		}
		assert_int_equal(v, LB_HC_FAIL);
		assert_non_null(memchr(msg, '\0', sizeof(msg)));
		free(buf);
	}
	/* the description is printable and names the answer */
	assert_int_equal(lb_health_answer(LB_CHECK_POP3, "-ERR go away\r\n", 14,
					  msg, sizeof(msg)), LB_HC_FAIL);
	assert_string_equal(msg, "bad banner \"-ERR go away\"");
	assert_int_equal(lb_health_answer(LB_CHECK_HTTP,
					  "HTTP/1.1 500 \x1b[31m\x07\r\n", 24,
					  msg, sizeof(msg)), LB_HC_FAIL);
	assert_string_equal(msg, "HTTP status not 2xx/3xx \"HTTP/1.1 500 .[31m.\"");
}

static void
health_answers_for_every_kind(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct answer *a = &answers[i];
		size_t len = strlen(a->text);
		char *buf = malloc(len == 0 ? 1 : len);   /* no terminator */
		const char *why;
		enum lb_hc_verdict v;

		memcpy(buf, a->text, len);
		v = lb_health_parse(a->type, buf, len, &why);
		if (v != a->want)
			fail_msg("%s %.30s: verdict %d, want %d",
				 lb_check_names[a->type], a->text, v, a->want);
		if (v == LB_HC_FAIL)
			assert_non_null(why);
		free(buf);
	}
}

static void
health_oversized_first_line_fails(void **state)
{
	char *buf = malloc(LB_HC_BUF);
	const char *why;

	(void)state;
	memset(buf, 'x', LB_HC_BUF);
	memcpy(buf, "+OK", 3);
	assert_int_equal(lb_health_parse(LB_CHECK_POP3, buf, LB_HC_BUF - 1, &why),
			 LB_HC_MORE);
	assert_int_equal(lb_health_parse(LB_CHECK_POP3, buf, LB_HC_BUF, &why),
			 LB_HC_FAIL);
	assert_string_equal(why, "oversized first line");
	free(buf);
}

/* A member starts up (a restart must not empty the service while the
 * first round runs), and one lost check at start (sent before the link
 * was up, say) does not take it out: a member is down only after fall
 * failures in a row, from the first check on, as later. */
static void
health_one_lost_first_check_does_not_take_member_out(void **state)
{
	struct lb_hc_state s = LB_HC_STATE_INIT;
	struct lb_hc_state t = LB_HC_STATE_INIT;

	(void)state;
	assert_true(s.up);
	assert_false(lb_health_update(&s, false, 2, 3));  /* lost at start */
	assert_true(s.up && s.checked);
	assert_false(lb_health_update(&s, true, 2, 3));
	assert_true(s.up);
	/* dead at start: down after fall checks, not rise x interval later */
	assert_false(lb_health_update(&t, false, 2, 3));
	assert_false(lb_health_update(&t, false, 2, 3));
	assert_true(lb_health_update(&t, false, 2, 3));
	assert_false(t.up);
}

static void
health_goes_down_after_fall_and_up_after_rise(void **state)
{
	struct lb_hc_state s = LB_HC_STATE_INIT;

	(void)state;
	lb_health_update(&s, true, 2, 3);
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, true, 2, 3));    /* run broken */
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_true(lb_health_update(&s, false, 2, 3));    /* third in a row */
	assert_false(s.up);
	assert_false(lb_health_update(&s, true, 2, 3));
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, true, 2, 3));
	assert_true(lb_health_update(&s, true, 2, 3));     /* rise 2 */
	assert_true(s.up);
}

static void
health_sip_options_as_the_seed_says(void **state)
{
	char buf[640];
	int n;

	(void)state;
	n = lb_health_sip_options(buf, sizeof(buf), "198.51.100.11", 5060,
				  "198.51.100.2", 40000, "UDP", 7);
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_true(strncmp(buf, "OPTIONS sip:198.51.100.11:5060 SIP/2.0\r\n",
			    40) == 0);
	assert_non_null(strstr(buf, "\r\nRoute: <sip:198.51.100.11:5060;lr>\r\n"));
	assert_non_null(strstr(buf, "\r\nVia: SIP/2.0/UDP 198.51.100.2:40000;"));
	assert_non_null(strstr(buf, "\r\nCSeq: 7 OPTIONS\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(lb_health_sip_options(buf, 64, "198.51.100.11", 5060,
					       "198.51.100.2", 1, "TCP", 1), -1);
}

static void
health_http_get_and_goodbyes(void **state)
{
	char buf[256];

	(void)state;
	assert_true(lb_health_http_get(buf, sizeof(buf), "/status",
				       "198.51.100.11") > 0);
	assert_true(strncmp(buf, "GET /status HTTP/1.0\r\nHost: 198.51.100.11\r\n",
			    43) == 0);
	assert_non_null(strstr(buf, "Connection: close\r\n\r\n"));
	assert_string_equal(lb_health_goodbye(LB_CHECK_POP3), "QUIT\r\n");
	assert_string_equal(lb_health_goodbye(LB_CHECK_IMAP), "a LOGOUT\r\n");
	assert_null(lb_health_goodbye(LB_CHECK_TCP));
}

static struct lb_ip
ip6(const char *text)
{
	struct lb_ip a;

	assert_int_equal(inet_pton(AF_INET6, text, a.b), 1);
	return a;
}

/* IPv6 hosts in a SIP request are IPv6 references (RFC 3261 25.1, RFC
 * 5118): bracketed in the Request-URI, Route, Via sent-by, From, To,
 * Call-ID and Contact; the longest of them fit the runner's buffer. */
static void
health_sip_options_bracket_ipv6_hosts(void **state)
{
	struct lb_ip v4 = lb_ip_from4(htonl(0xc6336402)); /* 198.51.100.2 */
	struct lb_ip member = ip6("2001:db8::11"), own = ip6("2001:db8::2");
	/* text only: the longest an IPv6 address is written */
	struct lb_ip longest = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	char m[LB_HC_HOST_MAX], o[LB_HC_HOST_MAX], buf[LB_HC_REQ_MAX];
	int n;

	(void)state;
	assert_string_equal(lb_health_uri_host(&v4, o), "198.51.100.2");
	assert_string_equal(lb_health_uri_host(&member, m), "[2001:db8::11]");
	assert_string_equal(lb_health_uri_host(&own, o), "[2001:db8::2]");
	n = lb_health_sip_options(buf, sizeof(buf), m, 5060, o, 40000, "UDP",
				  7);
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_true(strncmp(buf, "OPTIONS sip:[2001:db8::11]:5060 SIP/2.0\r\n",
			    strlen("OPTIONS sip:[2001:db8::11]:5060 SIP/2.0\r\n")) == 0);
	assert_non_null(strstr(buf, "\r\nVia: SIP/2.0/UDP [2001:db8::2]:40000;branch="));
	assert_non_null(strstr(buf, "\r\nRoute: <sip:[2001:db8::11]:5060;lr>\r\n"));
	assert_non_null(strstr(buf, "\r\nFrom: <sip:dsrlb@[2001:db8::2]>;tag="));
	assert_non_null(strstr(buf, "\r\nTo: <sip:[2001:db8::11]:5060>\r\n"));
	assert_non_null(strstr(buf, "\r\nCall-ID: dsrlb-00000007@[2001:db8::2]\r\n"));
	assert_non_null(strstr(buf, "\r\nContact: <sip:dsrlb@[2001:db8::2]:40000>\r\n"));
	/* both ends of the longest form, the widest numbers */
	lb_health_uri_host(&longest, m);
	assert_int_equal(strlen(m), 41);
	assert_true(lb_health_sip_options(buf, sizeof(buf), m, 65535, m, 65535,
					  "TCP", UINT32_MAX) > 0);
}

/* ---- the check runner, against real sockets on 127.0.0.1 ---- */

struct changes {
	unsigned int n;
	uint16_t svc;
	uint16_t member;
	bool up;
};

static void
on_changed(void *ctx, const struct lb_hc_target *t, bool up)
{
	struct changes *c = ctx;

	c->n++;
	c->svc = t->svc;
	c->member = t->member;
	c->up = up;
}

struct rig {
	int ep;
	struct lb_hc_runner *r;
	struct changes ch;
};

static void
rig_open(struct rig *g)
{
	struct lb_hc_runner_params p = { .changed = on_changed };

	memset(g, 0, sizeof(*g));
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(g->ep >= 0);
	p.epoll_fd = g->ep;
	p.ctx = &g->ch;
	g->r = lb_hc_runner_create(&p);
	assert_non_null(g->r);
}

static void
rig_close(struct rig *g)
{
	lb_hc_runner_free(g->r);
	close(g->ep);
}

/* A socket of type on 127.0.0.1 or ::1: a TCP one listening (connects
 * complete in the kernel's backlog, nothing is ever sent) or only bound
 * (connects are refused), or a UDP one. */
static int
server_on(bool v6, int type, bool listening, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr *a = v6 ? (struct sockaddr *)&sa6 :
				  (struct sockaddr *)&sa;
	socklen_t len = v6 ? sizeof(sa6) : sizeof(sa);
	int fd = socket(a->sa_family, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, a, len), 0);
	if (listening)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, a, &len), 0);
	*port = ntohs(v6 ? sa6.sin6_port : sa.sin_port);
	return fd;
}

static int
tcp_server(bool listening, uint16_t *port)
{
	return server_on(false, SOCK_STREAM, listening, port);
}

static int
server6(int type, bool listening, uint16_t *port)
{
	return server_on(true, type, listening, port);
}

/* The IPv6 cases need ::1; a host without IPv6 skips them. */
static void
need_ipv6(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 &&
		  bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	if (fd >= 0)
		close(fd);
	if (!ok)
		skip();
}

/* A connection's peer is the runner's socket bound to ::1. */
static int
accept6(int srv, uint16_t *peer_port)
{
	struct sockaddr_in6 peer;
	socklen_t len = sizeof(peer);
	int conn = accept(srv, (struct sockaddr *)&peer, &len);

	assert_true(conn >= 0);
	assert_int_equal(peer.sin6_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr));
	if (peer_port != NULL)
		*peer_port = ntohs(peer.sin6_port);
	return conn;
}

static struct lb_hc_target
target(uint16_t svc, uint16_t member, uint8_t type, uint16_t port)
{
	struct lb_hc_target t = {
		.svc = svc, .member = member, .id = 1,
		.addr = lb_ip_from4(htonl(INADDR_LOOPBACK)),
		.src = lb_ip_from4(htonl(INADDR_LOOPBACK)),
		.port = port, .proto = LB_IPPROTO_TCP, .start_up = true,
		.check = { .type = type, .rise = 1, .fall = 1,
			   .sip_proto = LB_IPPROTO_TCP, .interval_ms = 1000,
			   .timeout_ms = 500, .port = port },
	};

	snprintf(t.label, sizeof(t.label), "s%u/m%u", svc, member);
	if (type == LB_CHECK_HTTP)
		strcpy(t.check.path, "/status");
	return t;
}

/* A target whose member and own address are ::1. */
static struct lb_hc_target
target6(uint16_t svc, uint16_t member, uint8_t type, uint16_t port)
{
	struct lb_hc_target t = target(svc, member, type, port);

	t.addr = t.src = ip6("::1");
	return t;
}

static struct lb_hc_info
info_of(const struct rig *g, uint16_t svc, uint16_t member)
{
	const struct lb_hc_check *c = lb_hc_runner_find(g->r, svc, member);
	struct lb_hc_info i;

	assert_non_null(c);
	lb_hc_check_info(c, &i);
	return i;
}

/* Hand the runner the events of its sockets until the check of (svc,
 * member) has run `runs` times. The clock does not move, so no check
 * times out while the kernel works; a lost event fails the test after
 * 50 empty waits of 100 ms. */
static void
pump_until_runs(struct rig *g, uint16_t svc, uint16_t member, uint64_t runs,
		uint64_t now)
{
	unsigned int idle = 0;

	while (info_of(g, svc, member).runs < runs) {
		struct epoll_event ev[8];
		int i, n = epoll_wait(g->ep, ev, 8, 100);

		if (n <= 0 && ++idle == 50)
			fail_msg("check s%u/m%u: no result", svc, member);
		for (i = 0; i < n; i++)
			lb_hc_runner_event(g->r, ev[i].data.ptr, now);
	}
}

/* Read a request up to its empty line from a member's side of the
 * connection, handing the runner its events while it sends. */
static void
read_request(struct rig *g, int conn, char *buf, size_t size, uint64_t now)
{
	unsigned int idle = 0;
	size_t len = 0;

	buf[0] = '\0';
	while (strstr(buf, "\r\n\r\n") == NULL) {
		struct epoll_event ev[8];
		ssize_t n = recv(conn, buf + len, size - 1 - len, MSG_DONTWAIT);
		int i, k;

		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			continue;
		}
		assert_true(n < 0 && errno == EAGAIN && len < size - 1);
		k = epoll_wait(g->ep, ev, 8, 100);
		if (k <= 0 && ++idle == 50)
			fail_msg("no request: \"%s\"", buf);
		for (i = 0; i < k; i++)
			lb_hc_runner_event(g->r, ev[i].data.ptr, now);
	}
}

static unsigned int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A reconcile that keeps a pair's check keeps its verdict, counters and
 * schedule; a new pair starts soon; the order of the targets does not
 * matter. */
static void
runner_sync_keeps_unchanged_checks_and_starts_new_ones(void **state)
{
	struct lb_hc_target t[3];
	const struct lb_hc_check *ca, *cb;
	struct lb_hc_info a, b, c;
	struct rig g;
	uint16_t up_port, refused_port;
	int up_fd, refused_fd;

	(void)state;
	rig_open(&g);
	up_fd = tcp_server(true, &up_port);
	refused_fd = tcp_server(false, &refused_port);
	t[0] = target(0, 0, LB_CHECK_TCP, up_port);
	t[1] = target(0, 1, LB_CHECK_TCP, refused_port);
	assert_int_equal(lb_hc_runner_sync(g.r, t, 2, 0), 0);
	assert_int_equal(lb_hc_runner_count(g.r), 2);
	/* first runs spread over the interval: 0 and 500 ms */
	assert_int_equal(info_of(&g, 0, 0).next_ms, 0);
	assert_int_equal(info_of(&g, 0, 1).next_ms, 500);
	assert_string_equal(info_of(&g, 0, 0).last, "not run yet");
	assert_int_equal(info_of(&g, 0, 0).status, LB_HC_UNCHECKED);

	lb_hc_runner_run(g.r, 0);
	pump_until_runs(&g, 0, 0, 1, 0);
	lb_hc_runner_run(g.r, 500);
	pump_until_runs(&g, 0, 1, 1, 500);
	a = info_of(&g, 0, 0);
	b = info_of(&g, 0, 1);
	assert_int_equal(a.status, LB_HC_UP);
	assert_string_equal(a.last, "passed");
	assert_int_equal(b.status, LB_HC_DOWN);
	assert_string_equal(b.last, "refused");
	assert_int_equal(b.changes, 1);
	assert_int_equal(g.ch.n, 1);          /* b went down, a stayed up */
	assert_true(g.ch.svc == 0 && g.ch.member == 1 && !g.ch.up);

	/* a third pair, the list in another order, a's label renamed */
	ca = lb_hc_runner_find(g.r, 0, 0);
	cb = lb_hc_runner_find(g.r, 0, 1);
	t[2] = t[0];
	strcpy(t[2].label, "web/fe1");
	t[0] = target(1, 0, LB_CHECK_TCP, up_port);
	assert_int_equal(lb_hc_runner_sync(g.r, t, 3, 600), 0);
	assert_int_equal(lb_hc_runner_count(g.r), 3);
	assert_ptr_equal(lb_hc_runner_find(g.r, 0, 0), ca);
	assert_ptr_equal(lb_hc_runner_find(g.r, 0, 1), cb);
	a = info_of(&g, 0, 0);
	b = info_of(&g, 0, 1);
	assert_true(a.status == LB_HC_UP && a.runs == 1 && a.next_ms == 1000);
	assert_string_equal(a.target->label, "web/fe1");
	assert_true(b.status == LB_HC_DOWN && b.runs == 1 && b.failures == 1 &&
		    b.changes == 1 && b.next_ms == 1500);
	c = info_of(&g, 1, 0);
	assert_true(c.status == LB_HC_UNCHECKED && c.runs == 0 &&
		    c.next_ms == 600);
	/* ordered by service, then member */
	lb_hc_check_info(lb_hc_runner_at(g.r, 2), &c);
	assert_int_equal(c.target->svc, 1);
	assert_null(lb_hc_runner_at(g.r, 3));
	assert_int_equal(g.ch.n, 1);          /* a reconcile reports nothing */

	rig_close(&g);
	close(up_fd);
	close(refused_fd);
}

/* A pair that left the core stops: its socket is closed (and so out of
 * the epoll set), its check gone, nothing reported for it. */
static void
runner_sync_stops_removed_checks_and_closes_their_sockets(void **state)
{
	struct lb_hc_target t[2];
	struct rig g;
	uint16_t port;
	unsigned int fds;
	int srv;

	(void)state;
	rig_open(&g);
	srv = tcp_server(true, &port);   /* connects, never greets */
	t[0] = target(0, 0, LB_CHECK_POP3, port);
	t[1] = target(0, 1, LB_CHECK_POP3, port);
	assert_int_equal(lb_hc_runner_sync(g.r, t, 2, 0), 0);
	fds = open_fds();
	lb_hc_runner_run(g.r, 0);             /* (0, 0) waits for a banner */
	assert_int_equal(open_fds(), fds + 1);
	assert_int_equal(lb_hc_runner_sync(g.r, &t[1], 1, 10), 0);
	assert_int_equal(open_fds(), fds);
	assert_null(lb_hc_runner_find(g.r, 0, 0));
	assert_int_equal(lb_hc_runner_count(g.r), 1);
	assert_int_equal(info_of(&g, 0, 1).runs, 0);
	assert_int_equal(lb_hc_runner_sync(g.r, NULL, 0, 20), 0);
	assert_int_equal(lb_hc_runner_count(g.r), 0);
	assert_int_equal(g.ch.n, 0);
	rig_close(&g);
	close(srv);
}

/* What the runner said it expects: the owner's side of the workers'
 * answer table. */
struct expects {
	unsigned int on, off;
	unsigned int changed;  /* verdicts reported (on_changed_expects) */
	uint8_t proto;
	struct lb_ip member;
	uint16_t member_port, local_port;
	bool live;
};

static void
on_expect(void *ctx, uint8_t proto, const struct lb_ip *member,
	  uint16_t member_port, uint16_t local_port, bool on)
{
	struct expects *x = ctx;

	if (on) {
		x->on++;
		x->proto = proto;
		x->member = *member;
		x->member_port = member_port;
		x->local_port = local_port;
	} else {
		x->off++;
		assert_int_equal(local_port, x->local_port);
	}
	x->live = on;
}

/* A check's socket is announced (protocol, member, its port, the
 * socket's own port) before its first packet leaves, so the workers can
 * tell the member's answers from a flood the member is made to reflect,
 * and withdrawn when the socket closes, whether the check passed or
 * was stopped. For an IPv4 member (127.0.0.1), or an IPv6 one (::1). */
static void
expects_case(bool v6)
{
	struct lb_hc_runner_params p = { .changed = on_changed,
					 .expect = on_expect };
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	struct lb_hc_target t;
	struct lb_ip member;
	struct expects x = { 0 };
	uint16_t port, peer_port;
	int srv, conn, ep;
	struct lb_hc_runner *r;

	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	p.epoll_fd = ep;
	p.ctx = &x;
	r = lb_hc_runner_create(&p);
	assert_non_null(r);
	srv = v6 ? server6(SOCK_STREAM, true, &port) : tcp_server(true, &port);
	t = v6 ? target6(0, 0, LB_CHECK_POP3, port) :
		 target(0, 0, LB_CHECK_POP3, port);
	member = t.addr;
	assert_int_equal(lb_hc_runner_sync(r, &t, 1, 0), 0);
	lb_hc_runner_run(r, 0);
	/* connecting: announced, with the socket's real port */
	assert_int_equal(x.on, 1);
	assert_true(x.live);
	assert_int_equal(x.proto, IPPROTO_TCP);
	if (!v6)
		assert_int_equal(lb_ip_v4(&x.member), htonl(INADDR_LOOPBACK));
	assert_true(lb_ip_eq(&x.member, &member));
	assert_int_equal(x.member_port, port);
	if (v6) {
		conn = accept6(srv, &peer_port);
	} else {
		conn = accept(srv, (struct sockaddr *)&peer, &len);
		assert_true(conn >= 0);
		peer_port = ntohs(peer.sin_port);
	}
	assert_int_equal(peer_port, x.local_port);
	/* stopped (the pair leaves): withdrawn */
	assert_int_equal(lb_hc_runner_sync(r, NULL, 0, 10), 0);
	assert_int_equal(x.off, 1);
	assert_false(x.live);
	lb_hc_runner_free(r);
	close(conn);
	close(srv);
	close(ep);
}

static void
runner_tells_which_answers_it_expects(void **state)
{
	(void)state;
	expects_case(false);
}

static void
runner_tells_which_ipv6_answers_it_expects(void **state)
{
	(void)state;
	need_ipv6();
	expects_case(true);
}

/* Another pair in the same slots (a new generation), or another check
 * of the pair, is a new check: it starts over from what the owner
 * believes, and reports relative to that. */
static void
runner_sync_restarts_a_changed_check_from_the_owners_belief(void **state)
{
	struct lb_hc_target t;
	struct lb_hc_info i;
	struct rig g;
	uint16_t port;
	int srv;

	(void)state;
	rig_open(&g);
	srv = tcp_server(true, &port);
	t = target(3, 7, LB_CHECK_TCP, port);
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 0), 0);
	lb_hc_runner_run(g.r, 0);
	pump_until_runs(&g, 3, 7, 1, 0);
	assert_int_equal(g.ch.n, 0);          /* started up, passed */

	/* a member added at runtime in the slot: believed down, up at its
	 * first pass whatever rise says */
	t.id = 2;
	t.start_up = false;
	t.check.rise = 3;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 100), 0);
	i = info_of(&g, 3, 7);
	assert_true(i.runs == 0 && i.status == LB_HC_UNCHECKED &&
		    i.next_ms == 100);
	lb_hc_runner_run(g.r, 100);
	pump_until_runs(&g, 3, 7, 1, 100);
	assert_int_equal(info_of(&g, 3, 7).status, LB_HC_UP);
	assert_true(g.ch.n == 1 && g.ch.up && g.ch.svc == 3 &&
		    g.ch.member == 7);

	/* added down and failing first: then rise passes in a row */
	close(srv);
	srv = tcp_server(false, &port);       /* refuses */
	t.id = 3;
	t.check.port = t.port = port;
	t.check.rise = 2;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 200), 0);
	lb_hc_runner_run(g.r, 200);
	pump_until_runs(&g, 3, 7, 1, 200);
	assert_int_equal(info_of(&g, 3, 7).status, LB_HC_DOWN);
	assert_int_equal(g.ch.n, 1);          /* down, as believed */
	assert_int_equal(listen(srv, 16), 0); /* the member comes up */
	lb_hc_runner_run(g.r, 1200);
	pump_until_runs(&g, 3, 7, 2, 1200);
	assert_int_equal(info_of(&g, 3, 7).status, LB_HC_DOWN);
	lb_hc_runner_run(g.r, 2200);
	pump_until_runs(&g, 3, 7, 3, 2200);
	assert_int_equal(info_of(&g, 3, 7).status, LB_HC_UP);
	assert_true(g.ch.n == 2 && g.ch.up);  /* rise 2 reached */

	/* the check's port changes: a new check, believed up now */
	t.check.port = t.port = 1;
	t.start_up = true;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 1200), 0);
	i = info_of(&g, 3, 7);
	assert_true(i.runs == 0 && i.changes == 0);
	rig_close(&g);
	close(srv);
}

/* A check whose schedule changes (interval, timeout, rise, fall) goes
 * on with the pair's verdict and its runs. A check
 * whose probe changes (type, port, path) is a new check whose first
 * result decides: up and failing goes down at once, down and passing
 * comes up at once, whatever rise and fall say. */
static void
runner_sync_keeps_the_verdict_when_a_check_changes(void **state)
{
	struct lb_hc_target t;
	struct lb_hc_info i;
	struct rig g;
	uint16_t port, dead;
	int srv, refuse;

	(void)state;
	rig_open(&g);
	srv = tcp_server(true, &port);
	refuse = tcp_server(false, &dead);
	/* up (believed, and passing), 2 runs */
	t = target(2, 4, LB_CHECK_TCP, port);
	t.start_up = true;
	t.check.rise = 3;
	t.check.fall = 3;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 0), 0);
	lb_hc_runner_run(g.r, 0);
	pump_until_runs(&g, 2, 4, 1, 0);
	lb_hc_runner_run(g.r, 1000);
	pump_until_runs(&g, 2, 4, 2, 1000);
	assert_int_equal(info_of(&g, 2, 4).status, LB_HC_UP);

	/* only the schedule changes: the same verdict, runs go on */
	t.check.interval_ms = 3000;
	t.check.timeout_ms = 2000;
	t.check.fall = 2;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 1500), 0);
	i = info_of(&g, 2, 4);
	assert_true(i.status == LB_HC_UP && i.runs == 2);
	lb_hc_runner_run(g.r, 1500);
	pump_until_runs(&g, 2, 4, 3, 1500);
	assert_int_equal(info_of(&g, 2, 4).status, LB_HC_UP);
	assert_int_equal(g.ch.n, 0);

	/* the probe changes to a port that refuses: a new check (runs
	 * from 0), up until its first result, which takes it down
	 * although fall is 2 */
	t.check.port = t.port = dead;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 2000), 0);
	i = info_of(&g, 2, 4);
	assert_true(i.status == LB_HC_UNCHECKED && i.runs == 0);
	assert_int_equal(g.ch.n, 0);          /* the owner's verdict stays */
	lb_hc_runner_run(g.r, 2000);
	pump_until_runs(&g, 2, 4, 1, 2000);
	assert_int_equal(info_of(&g, 2, 4).status, LB_HC_DOWN);
	assert_true(g.ch.n == 1 && !g.ch.up);

	/* the owner believes it down; the schedule changes: still down,
	 * and one more failure keeps it so */
	t.start_up = false;
	t.check.interval_ms = 1000;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 2500), 0);
	i = info_of(&g, 2, 4);
	assert_true(i.status == LB_HC_DOWN && i.runs == 1);

	/* the probe changes back to the listening port: its first pass
	 * brings it up although rise is 3 */
	t.check.port = t.port = port;
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 3000), 0);
	lb_hc_runner_run(g.r, 3000);
	pump_until_runs(&g, 2, 4, 1, 3000);
	assert_int_equal(info_of(&g, 2, 4).status, LB_HC_UP);
	assert_true(g.ch.n == 2 && g.ch.up);
	rig_close(&g);
	close(srv);
	close(refuse);
}

/* A list naming a pair twice is refused whole: the running checks,
 * their state and sockets stay as they were. */
static void
runner_sync_refuses_a_pair_twice_and_changes_nothing(void **state)
{
	struct lb_hc_target t[3];
	const struct lb_hc_check *c0;
	struct rig g;
	uint16_t port;
	int srv;

	(void)state;
	rig_open(&g);
	srv = tcp_server(true, &port);
	t[0] = target(0, 0, LB_CHECK_TCP, port);
	assert_int_equal(lb_hc_runner_sync(g.r, t, 1, 0), 0);
	lb_hc_runner_run(g.r, 0);
	pump_until_runs(&g, 0, 0, 1, 0);
	c0 = lb_hc_runner_find(g.r, 0, 0);
	t[1] = target(0, 5, LB_CHECK_TCP, port);
	t[2] = t[1];
	t[2].id = 9;
	assert_int_equal(lb_hc_runner_sync(g.r, t, 3, 10), -EINVAL);
	assert_int_equal(lb_hc_runner_count(g.r), 1);
	assert_ptr_equal(lb_hc_runner_find(g.r, 0, 0), c0);
	assert_null(lb_hc_runner_find(g.r, 0, 5));
	assert_int_equal(info_of(&g, 0, 0).runs, 1);
	assert_int_equal(info_of(&g, 0, 0).next_ms, 1000);
	rig_close(&g);
	close(srv);
}

/* 1000 pairs added at once do not all fire in the same millisecond:
 * their first runs spread over one interval. A pair added later starts
 * at once, and the others keep their schedule. */
static void
runner_new_checks_spread_over_their_interval(void **state)
{
	enum { N = 1000 };
	struct lb_hc_target *t = calloc(N + 1, sizeof(*t));
	uint8_t *used = calloc(2000, 1);
	struct rig g;
	unsigned int i;

	(void)state;
	assert_non_null(t);
	assert_non_null(used);
	rig_open(&g);
	for (i = 0; i <= N; i++) {
		t[i] = target((uint16_t)(i / 100), (uint16_t)(i % 100),
			      LB_CHECK_TCP, 9);
		t[i].check.interval_ms = 2000;
	}
	assert_int_equal(lb_hc_runner_sync(g.r, t, N, 10000), 0);
	for (i = 0; i < N; i++) {
		struct lb_hc_info in;

		lb_hc_check_info(lb_hc_runner_at(g.r, i), &in);
		assert_true(in.next_ms >= 10000 && in.next_ms < 12000);
		if (used[in.next_ms - 10000]++ != 0)
			fail_msg("two first runs at %" PRIu64, in.next_ms);
	}
	assert_int_equal(lb_hc_runner_sync(g.r, t, N + 1, 10500), 0);
	assert_int_equal(info_of(&g, t[N].svc, t[N].member).next_ms, 10500);
	for (i = 0; i < N; i++) {
		struct lb_hc_info in;

		lb_hc_check_info(lb_hc_runner_at(g.r, i), &in);
		assert_true(in.next_ms >= 10000 && in.next_ms < 12000);
	}
	rig_close(&g);
	free(t);
	free(used);
}

/* The runner's requests and its reading of answers, end to end: a
 * banner, a wrong banner (quoted from the member's bytes), an HTTP
 * request and status, a SIP OPTIONS over UDP with the member's Route
 * header. */
static void
runner_requests_and_answers_over_real_sockets(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct lb_hc_target t[3];
	char req[1024], want[64];
	struct rig g;
	uint16_t pop_port, http_port, sip_port;
	int pop, http, sip, conn;
	unsigned int i;
	ssize_t n;

	(void)state;
	rig_open(&g);
	pop = tcp_server(true, &pop_port);
	http = tcp_server(true, &http_port);
	sip = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(sip, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(sip, (struct sockaddr *)&sa, &len), 0);
	sip_port = ntohs(sa.sin_port);
	t[0] = target(0, 0, LB_CHECK_POP3, pop_port);
	t[1] = target(1, 0, LB_CHECK_HTTP, http_port);
	t[2] = target(2, 0, LB_CHECK_SIP, sip_port);
	t[2].proto = t[2].check.sip_proto = LB_IPPROTO_UDP;
	for (i = 0; i < 3; i++)
		t[i].check.interval_ms = 3;   /* all due by 3 */
	assert_int_equal(lb_hc_runner_sync(g.r, t, 3, 0), 0);
	lb_hc_runner_run(g.r, 3);

	conn = accept(pop, NULL, NULL);
	assert_true(conn >= 0);
	assert_int_equal(write(conn, "+OK ready\r\n", 11), 11);
	pump_until_runs(&g, 0, 0, 1, 3);
	assert_string_equal(info_of(&g, 0, 0).last, "passed");
	close(conn);

	conn = accept(http, NULL, NULL);
	assert_true(conn >= 0);
	read_request(&g, conn, req, sizeof(req), 3);
	assert_true(strncmp(req, "GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n",
			    39) == 0);
	assert_int_equal(write(conn, "HTTP/1.1 503 Busy\r\n", 19), 19);
	pump_until_runs(&g, 1, 0, 1, 3);
	assert_string_equal(info_of(&g, 1, 0).last,
			    "HTTP status not 2xx/3xx \"HTTP/1.1 503 Busy\"");
	close(conn);

	len = sizeof(sa);
	n = recvfrom(sip, req, sizeof(req) - 1, 0, (struct sockaddr *)&sa, &len);
	assert_true(n > 0);
	req[n] = '\0';
	snprintf(want, sizeof(want), "\r\nRoute: <sip:127.0.0.1:%u;lr>\r\n",
		 sip_port);
	assert_non_null(strstr(req, want));
	assert_non_null(strstr(req, "\r\nVia: SIP/2.0/UDP 127.0.0.1:"));
	assert_int_equal(sendto(sip, "SIP/2.0 200 OK\r\n", 16, 0,
				(struct sockaddr *)&sa, len), 16);
	pump_until_runs(&g, 2, 0, 1, 3);
	assert_string_equal(info_of(&g, 2, 0).last, "passed");

	rig_close(&g);
	close(pop);
	close(http);
	close(sip);
}

/* A kernel that ignores echo (of the family whose sysctl this is)
 * cannot answer: skip. */
static void
need_echo(const char *ignore_path)
{
	FILE *f = fopen(ignore_path, "r");
	int ignore = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &ignore) != 1)
			ignore = 0;
		fclose(f);
	}
	if (ignore != 0)
		skip();
}

/* ICMP checks share one raw socket; each reply finds its own check by
 * the slots it echoes, even for two checks of one address. Needs the
 * right to open a raw socket, and a kernel that answers echo. */
static void
runner_icmp_replies_find_their_checks(void **state)
{
	struct lb_hc_target t[2];
	struct rig g;
	int rc;

	(void)state;
	need_echo("/proc/sys/net/ipv4/icmp_echo_ignore_all");
	rig_open(&g);
	t[0] = target(0, 0, LB_CHECK_ICMP, 0);
	t[1] = target(4, 2, LB_CHECK_ICMP, 0);
	t[0].proto = t[1].proto = 0;
	rc = lb_hc_runner_sync(g.r, t, 2, 0);
	if (rc == -EPERM || rc == -EACCES) {
		/* applied all the same: the checks fail for want of it */
		assert_int_equal(lb_hc_runner_count(g.r), 2);
		rig_close(&g);
		skip();
	}
	assert_int_equal(rc, 0);
	lb_hc_runner_run(g.r, 500);
	pump_until_runs(&g, 0, 0, 1, 500);
	pump_until_runs(&g, 4, 2, 1, 500);
	assert_string_equal(info_of(&g, 0, 0).last, "passed");
	assert_string_equal(info_of(&g, 4, 2).last, "passed");
	assert_int_equal(info_of(&g, 4, 2).failures, 0);
	rig_close(&g);
}

/* ---- every kind of check over IPv6, against real sockets on ::1 ---- */

/* One run of a banner check (or a plain TCP one) of an IPv6 member. */
struct banner_case {
	uint8_t type;
	bool listening;       /* else the port refuses */
	const char *banner;   /* what the member says; NULL: nothing */
	const char *last;     /* the result */
};

static const struct banner_case banner_cases[] = {
	{ LB_CHECK_TCP, true, NULL, "passed" },
	{ LB_CHECK_TCP, false, NULL, "refused" },
	{ LB_CHECK_SMTP, true, "220 mx.example ESMTP\r\n", "passed" },
	{ LB_CHECK_SMTP, true, "554 go away\r\n", "bad banner \"554 go away\"" },
	{ LB_CHECK_SMTP, false, NULL, "refused" },
	{ LB_CHECK_POP3, true, "+OK ready\r\n", "passed" },
	{ LB_CHECK_POP3, true, NULL, "timeout" },
	{ LB_CHECK_IMAP, true, "* OK IMAP4rev1\r\n", "passed" },
	{ LB_CHECK_IMAP, true, "* BYE\r\n", "bad banner \"* BYE\"" },
	{ LB_CHECK_IMAP, true, NULL, "timeout" },
};

/* TCP, SMTP, POP3 and IMAP checks of an IPv6 member connect over IPv6
 * from the own IPv6 address, and pass or fail as over IPv4: a refused
 * port, a wrong banner (quoted), silence until the deadline. */
static void
runner_tcp_checks_over_ipv6_pass_and_fail(void **state)
{
	unsigned int i;

	(void)state;
	need_ipv6();
	for (i = 0; i < sizeof(banner_cases) / sizeof(banner_cases[0]); i++) {
		const struct banner_case *bc = &banner_cases[i];
		bool pass = strcmp(bc->last, "passed") == 0;
		struct lb_hc_target t;
		struct lb_hc_info in;
		struct rig g;
		uint16_t port;
		int srv, conn = -1;

		rig_open(&g);
		srv = server6(SOCK_STREAM, bc->listening, &port);
		t = target6(0, 0, bc->type, port);
		assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 0), 0);
		lb_hc_runner_run(g.r, 0);
		if (bc->listening && bc->type != LB_CHECK_TCP) {
			conn = accept6(srv, NULL);
			if (bc->banner != NULL)
				assert_int_equal(write(conn, bc->banner,
						       strlen(bc->banner)),
						 (ssize_t)strlen(bc->banner));
		}
		if (bc->listening && bc->banner == NULL &&
		    bc->type != LB_CHECK_TCP)
			lb_hc_runner_run(g.r, t.check.timeout_ms);
		else
			pump_until_runs(&g, 0, 0, 1, 0);
		in = info_of(&g, 0, 0);
		if (strcmp(in.last, bc->last) != 0)
			fail_msg("%s case %u: \"%s\", want \"%s\"",
				 lb_check_names[bc->type], i, in.last,
				 bc->last);
		assert_int_equal(in.status, pass ? LB_HC_UP : LB_HC_DOWN);
		assert_int_equal(g.ch.n, pass ? 0 : 1);
		rig_close(&g);
		if (conn >= 0)
			close(conn);
		close(srv);
	}
}

/* An HTTP check of an IPv6 member names it in Host as an IP-literal
 * with its port (RFC 3986 3.2.2), and judges the status as over IPv4. */
static void
runner_http_check_over_ipv6_brackets_the_host(void **state)
{
	char req[1024], want[96];
	struct lb_hc_target t;
	struct rig g;
	uint16_t port;
	int srv, conn;

	(void)state;
	need_ipv6();
	rig_open(&g);
	srv = server6(SOCK_STREAM, true, &port);
	t = target6(0, 0, LB_CHECK_HTTP, port);
	assert_int_equal(lb_hc_runner_sync(g.r, &t, 1, 0), 0);

	lb_hc_runner_run(g.r, 0);
	conn = accept6(srv, NULL);
	read_request(&g, conn, req, sizeof(req), 0);
	snprintf(want, sizeof(want),
		 "GET /status HTTP/1.0\r\nHost: [::1]:%u\r\n", port);
	assert_true(strncmp(req, want, strlen(want)) == 0);
	assert_int_equal(write(conn, "HTTP/1.1 200 OK\r\n", 17), 17);
	pump_until_runs(&g, 0, 0, 1, 0);
	assert_string_equal(info_of(&g, 0, 0).last, "passed");
	close(conn);

	lb_hc_runner_run(g.r, 1000);
	conn = accept6(srv, NULL);
	read_request(&g, conn, req, sizeof(req), 1000);
	assert_int_equal(write(conn, "HTTP/1.1 503 Busy\r\n", 19), 19);
	pump_until_runs(&g, 0, 0, 2, 1000);
	assert_string_equal(info_of(&g, 0, 0).last,
			    "HTTP status not 2xx/3xx \"HTTP/1.1 503 Busy\"");
	assert_int_equal(info_of(&g, 0, 0).status, LB_HC_DOWN);
	close(conn);
	rig_close(&g);
	close(srv);
}

/* The OPTIONS an IPv6 SIP member receives: every address of it an
 * IPv6 reference (RFC 5118), the Via's port the socket's own. */
static void
assert_sip_options6(const char *req, const char *transport, uint16_t port,
		    uint16_t local_port)
{
	char want[128];

	snprintf(want, sizeof(want), "OPTIONS sip:[::1]:%u SIP/2.0\r\n", port);
	assert_true(strncmp(req, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "\r\nVia: SIP/2.0/%s [::1]:%u;branch=",
		 transport, local_port);
	assert_non_null(strstr(req, want));
	snprintf(want, sizeof(want), "\r\nRoute: <sip:[::1]:%u;lr>\r\n", port);
	assert_non_null(strstr(req, want));
	assert_non_null(strstr(req, "\r\nFrom: <sip:dsrlb@[::1]>;tag="));
	snprintf(want, sizeof(want), "\r\nTo: <sip:[::1]:%u>\r\n", port);
	assert_non_null(strstr(req, want));
	snprintf(want, sizeof(want), "\r\nContact: <sip:dsrlb@[::1]:%u>\r\n",
		 local_port);
	assert_non_null(strstr(req, want));
}

/* SIP checks of an IPv6 member, over UDP and TCP: the OPTIONS text
 * with bracketed addresses, a response passes; a UDP port nobody
 * listens on is refused (ICMPv6 port unreachable). */
static void
runner_sip_checks_over_ipv6_bracket_every_address(void **state)
{
	struct sockaddr_in6 from;
	socklen_t len = sizeof(from);
	struct lb_hc_target t[2];
	char req[1024];
	struct rig g;
	uint16_t udp_port, tcp_port, peer_port;
	int udp, tcp, conn;
	ssize_t n;

	(void)state;
	need_ipv6();
	rig_open(&g);
	udp = server6(SOCK_DGRAM, false, &udp_port);
	tcp = server6(SOCK_STREAM, true, &tcp_port);
	t[0] = target6(0, 0, LB_CHECK_SIP, udp_port);
	t[0].proto = t[0].check.sip_proto = LB_IPPROTO_UDP;
	t[1] = target6(1, 0, LB_CHECK_SIP, tcp_port);
	t[0].check.interval_ms = t[1].check.interval_ms = 3;
	assert_int_equal(lb_hc_runner_sync(g.r, t, 2, 0), 0);
	lb_hc_runner_run(g.r, 3);

	n = recvfrom(udp, req, sizeof(req) - 1, 0, (struct sockaddr *)&from,
		     &len);
	assert_true(n > 0);
	req[n] = '\0';
	assert_int_equal(from.sin6_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
	assert_sip_options6(req, "UDP", udp_port, ntohs(from.sin6_port));
	assert_int_equal(sendto(udp, "SIP/2.0 200 OK\r\n", 16, 0,
				(struct sockaddr *)&from, len), 16);
	pump_until_runs(&g, 0, 0, 1, 3);
	assert_string_equal(info_of(&g, 0, 0).last, "passed");

	conn = accept6(tcp, &peer_port);
	read_request(&g, conn, req, sizeof(req), 3);
	assert_sip_options6(req, "TCP", tcp_port, peer_port);
	assert_int_equal(write(conn, "SIP/2.0 404 Not Here\r\n", 22), 22);
	pump_until_runs(&g, 1, 0, 1, 3);
	assert_string_equal(info_of(&g, 1, 0).last, "passed");
	close(conn);

	/* the member's SIP stack is gone */
	close(udp);
	lb_hc_runner_run(g.r, 6);
	pump_until_runs(&g, 0, 0, 2, 6);
	assert_string_equal(info_of(&g, 0, 0).last, "refused");
	assert_int_equal(info_of(&g, 0, 0).status, LB_HC_DOWN);
	rig_close(&g);
	close(tcp);
}

/* ICMP checks of IPv6 members share one raw ICMPv6 socket beside the
 * IPv4 one: each echo reply finds its own check by the slots it
 * echoes, two checks of ::1 and one of 127.0.0.1 all pass; an echo
 * never answered times out. */
static void
runner_icmpv6_echo_replies_find_their_checks(void **state)
{
	struct lb_hc_target t[3];
	struct rig g;
	unsigned int fds;
	int rc;

	(void)state;
	need_ipv6();
	need_echo("/proc/sys/net/ipv4/icmp_echo_ignore_all");
	need_echo("/proc/sys/net/ipv6/icmp/echo_ignore_all");
	rig_open(&g);
	fds = open_fds();
	t[0] = target6(0, 0, LB_CHECK_ICMP, 0);
	t[1] = target6(4, 2, LB_CHECK_ICMP, 0);
	t[2] = target(5, 0, LB_CHECK_ICMP, 0);
	t[0].proto = t[1].proto = t[2].proto = 0;
	rc = lb_hc_runner_sync(g.r, t, 3, 0);
	if (rc == -EPERM || rc == -EACCES) {
		rig_close(&g);
		skip();
	}
	assert_int_equal(rc, 0);
	assert_int_equal(open_fds(), fds + 2);   /* one socket per family */
	lb_hc_runner_run(g.r, 700);              /* first runs 0, 333, 666 */
	pump_until_runs(&g, 0, 0, 1, 700);
	pump_until_runs(&g, 4, 2, 1, 700);
	pump_until_runs(&g, 5, 0, 1, 700);
	assert_string_equal(info_of(&g, 0, 0).last, "passed");
	assert_string_equal(info_of(&g, 4, 2).last, "passed");
	assert_string_equal(info_of(&g, 5, 0).last, "passed");
	assert_int_equal(g.ch.n, 0);

	/* sent at 1000, its reply not read by the deadline */
	lb_hc_runner_run(g.r, 1000);
	lb_hc_runner_run(g.r, 1500);
	assert_string_equal(info_of(&g, 0, 0).last, "timeout");
	assert_int_equal(info_of(&g, 0, 0).status, LB_HC_DOWN);

	/* no IPv6 icmp check left: its socket closes, IPv4's stays */
	assert_int_equal(lb_hc_runner_sync(g.r, &t[2], 1, 2000), 0);
	assert_int_equal(open_fds(), fds + 1);
	rig_close(&g);
}

/* A verdict reported to a runner whose context is a struct expects. */
static void
on_changed_expects(void *ctx, const struct lb_hc_target *t, bool up)
{
	struct expects *x = ctx;

	(void)t;
	(void)up;
	x->changed++;
}

/* A target is one family: a member of one family with an own address
 * of the other (or none) fails at every run, with the reason, and
 * nothing is opened for it (not even a raw socket). */
static void
runner_family_mismatch_fails_with_its_reason(void **state)
{
	static const struct lb_ip unset;
	struct lb_hc_target t[4];
	struct expects x = { 0 };
	struct lb_hc_runner_params p = { .changed = on_changed_expects,
					 .expect = on_expect, .ctx = &x };
	struct lb_hc_runner *r;
	unsigned int fds, i;
	int ep;

	(void)state;
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	p.epoll_fd = ep;
	r = lb_hc_runner_create(&p);
	assert_non_null(r);
	t[0] = target6(0, 0, LB_CHECK_TCP, 9);
	t[0].src = lb_ip_from4(htonl(INADDR_LOOPBACK));
	t[1] = target(0, 1, LB_CHECK_HTTP, 9);
	t[1].src = ip6("::1");
	t[2] = target6(0, 2, LB_CHECK_SIP, 9);
	t[2].src = unset;
	t[3] = target6(0, 3, LB_CHECK_ICMP, 0);
	t[3].src = lb_ip_from4(htonl(INADDR_LOOPBACK));
	t[3].proto = 0;
	for (i = 0; i < 4; i++)
		t[i].check.interval_ms = 4;   /* all due by 4 */
	fds = open_fds();
	assert_int_equal(lb_hc_runner_sync(r, t, 4, 0), 0);
	lb_hc_runner_run(r, 4);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(x.on, 0);
	for (i = 0; i < 4; i++) {
		const struct lb_hc_check *c = lb_hc_runner_find(r, 0,
							(uint16_t)i);
		static const char *const want[] = {
			"member IPv6, own address IPv4",
			"member IPv4, own address IPv6",
			"member IPv6, no own IPv6 address",
			"member IPv6, own address IPv4",
		};
		struct lb_hc_info in;

		lb_hc_check_info(c, &in);
		assert_string_equal(in.last, want[i]);
		assert_true(in.status == LB_HC_DOWN && in.runs == 1);
	}
	assert_int_equal(x.changed, 4);           /* each went down */
	lb_hc_runner_free(r);
	close(ep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_answers_for_every_kind),
		cmocka_unit_test(health_failed_answer_described_within_its_bytes),
		cmocka_unit_test(health_oversized_first_line_fails),
		cmocka_unit_test(health_one_lost_first_check_does_not_take_member_out),
		cmocka_unit_test(health_goes_down_after_fall_and_up_after_rise),
		cmocka_unit_test(health_sip_options_as_the_seed_says),
		cmocka_unit_test(health_http_get_and_goodbyes),
		cmocka_unit_test(health_sip_options_bracket_ipv6_hosts),
		cmocka_unit_test(runner_sync_keeps_unchanged_checks_and_starts_new_ones),
		cmocka_unit_test(runner_sync_stops_removed_checks_and_closes_their_sockets),
		cmocka_unit_test(runner_tells_which_answers_it_expects),
		cmocka_unit_test(runner_sync_restarts_a_changed_check_from_the_owners_belief),
		cmocka_unit_test(runner_sync_keeps_the_verdict_when_a_check_changes),
		cmocka_unit_test(runner_sync_refuses_a_pair_twice_and_changes_nothing),
		cmocka_unit_test(runner_new_checks_spread_over_their_interval),
		cmocka_unit_test(runner_requests_and_answers_over_real_sockets),
		cmocka_unit_test(runner_icmp_replies_find_their_checks),
		cmocka_unit_test(runner_tells_which_ipv6_answers_it_expects),
		cmocka_unit_test(runner_tcp_checks_over_ipv6_pass_and_fail),
		cmocka_unit_test(runner_http_check_over_ipv6_brackets_the_host),
		cmocka_unit_test(runner_sip_checks_over_ipv6_bracket_every_address),
		cmocka_unit_test(runner_icmpv6_echo_replies_find_their_checks),
		cmocka_unit_test(runner_family_mismatch_fails_with_its_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
