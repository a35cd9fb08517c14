/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * cps_client: the lab's connection-rate client (dts/cps.py builds and
 * runs it in the client namespace).
 *
 *     cps_client ADDR PORT SECONDS CONCURRENCY WARMUP [PACE_US]
 *
 * Keeps CONCURRENCY TCP connections to ADDR:PORT in flight, each one
 * whole: connect, for port 8100 send "GET / HTTP/1.0" and read the
 * answer to the end, otherwise read the greeting, say goodbye (QUIT /
 * LOGOUT) and read until the server closes; then close. A connection
 * counts as ok only if all of that worked and the answer was the
 * expected one ("HTTP/1.0 200", "+OK", "* OK", "220"). The server closes
 * first, so the client keeps no TIME_WAIT and reuses its ports. With
 * PACE_US, each of the CONCURRENCY slots starts a connection no sooner
 * than PACE_US after its last one began (at least 1000: the loop's clock
 * is epoll's millisecond): light, spaced traffic instead of back to back.
 *
 * The first WARMUP seconds are not counted; then for SECONDS the
 * connections that complete are counted; then no new ones are opened,
 * those in flight are finished (and a failure among them is still a
 * failure). One thread, epoll, non-blocking sockets: a few microseconds
 * of CPU per connection, so the client is not what limits the rate.
 *
 * Prints one JSON object: ok, failed, errors by kind, cps (ok in the
 * measured window / SECONDS), servers (connections per frontend name)
 * and latency percentiles (connect to close, microseconds).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONC	256
#define BUF_SIZE	1024
#define CONN_TIMEOUT_NS	(3ULL * 1000000000ULL)
#define HIST_STEP_US	10
#define HIST_SLOTS	(3000000 / HIST_STEP_US + 1)
#define MAX_SERVERS	16
#define MAX_ERRORS	16

enum phase { IDLE, CONNECTING, SENT, GOODBYE };

struct conn {
	int fd;
	enum phase phase;
	uint64_t start;
	uint64_t next;          /* no new connection in this slot before */
	size_t len;
	char buf[BUF_SIZE];
};

struct named {
	char name[32];
	uint64_t n;
};

static struct sockaddr_in dst;
static int port;
static int epfd;
static uint64_t window_start, window_end;
static uint64_t ok_total, ok_window, failed;
static struct named servers[MAX_SERVERS];
static struct named errors[MAX_ERRORS];
static uint32_t hist[HIST_SLOTS];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
count_name(struct named *tab, int max, const char *name)
{
	int i;

	for (i = 0; i < max && tab[i].name[0] != '\0'; i++)
		if (strcmp(tab[i].name, name) == 0)
			break;
	if (i == max)
		i = max - 1;	/* the last slot collects the rest */
	if (tab[i].name[0] == '\0')
		snprintf(tab[i].name, sizeof(tab[i].name), "%s", name);
	tab[i].n++;
}

static const char *
expected(void)
{
	switch (port) {
	case 8100: return "HTTP/1.0 200";
	case 110: return "+OK";
	case 143: return "* OK";
	case 25: return "220";
	default: return "";
	}
}

static const char *
goodbye(void)
{
	return port == 143 ? "a LOGOUT\r\n" : "QUIT\r\n";
}

static void
finish(struct conn *c, const char *error)
{
	uint64_t t = now_ns();

	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->phase = IDLE;
	if (error != NULL) {
		failed++;
		count_name(errors, MAX_ERRORS, error);
		return;
	}
	ok_total++;
	if (t >= window_start && t < window_end) {
		uint64_t us = (t - c->start) / 1000;

		ok_window++;
		hist[us / HIST_STEP_US < HIST_SLOTS ? us / HIST_STEP_US :
		     HIST_SLOTS - 1]++;
	}
}

/* The frontend's name: the Server header (HTTP), else the greeting's
 * second word (third for IMAP's "* OK name"). */
static void
note_server(struct conn *c)
{
	char name[32] = "?";
	char *p;

	c->buf[c->len] = '\0';
	if (port == 8100) {
		p = strstr(c->buf, "\r\nServer: ");
		if (p != NULL)
			sscanf(p + 10, "%31[^\r\n]", name);
	} else if (port == 143) {
		sscanf(c->buf, "%*s %*s %31s", name);
	} else {
		sscanf(c->buf, "%*s %31s", name);
	}
	count_name(servers, MAX_SERVERS, name);
}

static void
start(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("cps_client: socket");
		exit(1);
	}
	c->fd = fd;
	c->start = now_ns();
	c->len = 0;
	c->phase = CONNECTING;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("cps_client: epoll_ctl");
		exit(1);
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	    errno != EINPROGRESS)
		finish(c, strerror(errno));
}

static void
on_writable(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	int err = 0;
	socklen_t len = sizeof(err);
	static const char get[] = "GET / HTTP/1.0\r\nHost: lab\r\n\r\n";

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		finish(c, strerror(err));
		return;
	}
	if (port == 8100 &&
	    send(c->fd, get, sizeof(get) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(get) - 1)) {
		finish(c, "send failed");
		return;
	}
	c->phase = SENT;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
on_readable(struct conn *c)
{
	ssize_t n;
	const char *want = expected();

	for (;;) {
		char sink[BUF_SIZE];
		char *to = c->len < BUF_SIZE - 1 ? c->buf + c->len : sink;
		size_t room = c->len < BUF_SIZE - 1 ?
			BUF_SIZE - 1 - c->len : sizeof(sink);

		n = recv(c->fd, to, room, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			finish(c, strerror(errno));
			return;
		}
		if (n == 0)
			break;
		if (to == c->buf + c->len)
			c->len += (size_t)n;
		if (c->phase == SENT && port != 8100 &&
		    memchr(c->buf, '\n', c->len) != NULL) {
			/* the greeting: check it, say goodbye, read to EOF */
			if (strncmp(c->buf, want, strlen(want)) != 0) {
				finish(c, "unexpected greeting");
				return;
			}
			note_server(c);
			if (send(c->fd, goodbye(), strlen(goodbye()),
				 MSG_NOSIGNAL) != (ssize_t)strlen(goodbye())) {
				finish(c, "send failed");
				return;
			}
			c->phase = GOODBYE;
		}
	}
	/* the server closed */
	if (port == 8100) {
		if (c->len < strlen(want) ||
		    strncmp(c->buf, want, strlen(want)) != 0) {
			finish(c, c->len == 0 ? "closed without an answer" :
			       "unexpected answer");
			return;
		}
		note_server(c);
	} else if (c->phase != GOODBYE) {
		finish(c, "closed before the greeting");
		return;
	}
	finish(c, NULL);
}

static uint64_t
percentile(uint64_t total, double q)
{
	uint64_t need = (uint64_t)(q * (double)total), seen = 0;
	int i;

	for (i = 0; i < HIST_SLOTS; i++) {
		seen += hist[i];
		if (seen > need)
			return (uint64_t)i * HIST_STEP_US;
	}
	return (uint64_t)(HIST_SLOTS - 1) * HIST_STEP_US;
}

static void
print_names(const char *key, const struct named *tab, int max)
{
	int i;

	printf("\"%s\": {", key);
	for (i = 0; i < max && tab[i].name[0] != '\0'; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", tab[i].name,
		       (unsigned long long)tab[i].n);
	printf("}");
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CONC];
	struct epoll_event evs[MAX_CONC];
	double seconds, warmup;
	int conc, i, n, busy;
	uint64_t t, pace_ns = 0;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: %s ADDR PORT SECONDS CONCURRENCY WARMUP [PACE_US]\n",
			argv[0]);
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "cps_client: bad address %s\n", argv[1]);
		return 2;
	}
	port = atoi(argv[2]);
	dst.sin_port = htons((uint16_t)port);
	seconds = atof(argv[3]);
	conc = atoi(argv[4]);
	warmup = atof(argv[5]);
	if (argc == 7) {
		char *end;
		unsigned long long us = strtoull(argv[6], &end, 10);

		if (*end != '\0' || (us != 0 && us < 1000) || us > 10000000) {
			fprintf(stderr, "cps_client: PACE_US: 1000..10000000, or 0\n");
			return 2;
		}
		pace_ns = us * 1000;
	}
	if (port <= 0 || port > 65535 || seconds <= 0 || warmup < 0 ||
	    conc < 1 || conc > MAX_CONC || expected()[0] == '\0') {
		fprintf(stderr, "cps_client: bad arguments (PORT one of 8100, 110, 143, 25; CONCURRENCY 1..%d)\n",
			MAX_CONC);
		return 2;
	}
	epfd = epoll_create1(0);
	if (epfd < 0) {
		perror("cps_client: epoll_create1");
		return 1;
	}
	t = now_ns();
	window_start = t + (uint64_t)(warmup * 1e9);
	window_end = window_start + (uint64_t)(seconds * 1e9);
	for (i = 0; i < conc; i++) {
		conns[i].fd = -1;
		conns[i].phase = IDLE;
		conns[i].next = 0;
	}
	for (;;) {
		t = now_ns();
		busy = 0;
		for (i = 0; i < conc; i++) {
			struct conn *c = &conns[i];

			if (c->phase != IDLE && t - c->start > CONN_TIMEOUT_NS)
				finish(c, "timeout");
			if (c->phase == IDLE && t < window_end &&
			    t >= c->next) {
				start(c);
				c->next = t + pace_ns;
			}
			busy += c->phase != IDLE;
		}
		if (busy == 0 && t >= window_end)
			break;
		n = epoll_wait(epfd, evs, MAX_CONC, pace_ns != 0 ? 1 : 10);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->phase == CONNECTING)
				on_writable(c);
			else
				on_readable(c);
		}
	}
	printf("{\"ok\": %llu, \"ok_window\": %llu, \"failed\": %llu, "
	       "\"seconds\": %.3f, \"concurrency\": %d, \"cps\": %.1f, ",
	       (unsigned long long)ok_total, (unsigned long long)ok_window,
	       (unsigned long long)failed, seconds, conc,
	       (double)ok_window / seconds);
	print_names("servers", servers, MAX_SERVERS);
	printf(", ");
	print_names("errors", errors, MAX_ERRORS);
	printf(", \"latency_us\": {\"p50\": %llu, \"p90\": %llu, "
	       "\"p99\": %llu}}\n",
	       (unsigned long long)percentile(ok_window, 0.50),
	       (unsigned long long)percentile(ok_window, 0.90),
	       (unsigned long long)percentile(ok_window, 0.99));
	return 0;
}
