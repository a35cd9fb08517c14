/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * metrics --http: Prometheus' scrape endpoint, one request per process,
 * inetd style. systemd's dsrlb-metrics.socket (Accept=yes) accepts the
 * connection and starts `dsrlbctl metrics --http` with it on stdin and
 * stdout; so does systemd-socket-activate --inetd, or inetd. dsrlbctl
 * reads one request, answers it and exits: nothing listens inside dsrlb
 * and no long-lived server process holds the control socket open.
 *
 * GET (or HEAD) /metrics answers 200 with the exposition (dsrlb_up 0
 * alone if dsrlb cannot be reached: the scrape itself worked); / points
 * to /metrics; any other path 404, another method 405, a request that
 * is not HTTP/1.x or larger than REQ_MAX 400, one that takes longer
 * than REQ_TIMEOUT_MS to arrive 408. The query string is ignored. The
 * exit status is 0 whenever an answer went out (a 404 is not a failure
 * of the unit), CTL_EXIT_COMM when it could not be written.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsrlbctl.h"

#define REQ_MAX 8192
#define REQ_TIMEOUT_MS 5000
#define EXPOSITION_TYPE "text/plain; version=0.0.4; charset=utf-8"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The request head (up to its blank line) from fd 0 into buf; its
 * length, -408 on timeout, -400 if too large or cut short. */
static int
read_head(char *buf, size_t size)
{
	long long deadline = now_ms() + REQ_TIMEOUT_MS;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n"))
			return (int)len;
		if (len + 1 >= size)
			return -400;
		if (left <= 0)
			return -408;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -408 : -400;
		n = read(STDIN_FILENO, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -400;
		if (memchr(buf + len, '\0', (size_t)n) != NULL)
			return -400;
		len += (size_t)n;
	}
}

static int
write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
answer(int code, const char *reason, const char *type, const char *extra,
       const char *body, size_t len, bool head)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
		     code, reason, type, len, extra);
	if (n < 0 || (size_t)n >= sizeof(hdr) ||
	    write_all(hdr, (size_t)n) != 0 ||
	    (!head && write_all(body, len) != 0))
		return CTL_EXIT_COMM;
	return 0;
}

static int
answer_text(int code, const char *reason, const char *extra, const char *body,
	    bool head)
{
	return answer(code, reason, "text/plain; charset=utf-8", extra, body,
		      strlen(body), head);
}

int
metrics_http(struct ctl *ctl,
	     int (*render)(struct ctl *ctl, char **text, size_t *len))
{
	char req[REQ_MAX], *method, *target, *version, *end, *save;
	size_t len;
	char *text;
	bool head;
	int n, rc;

	n = read_head(req, sizeof(req));
	if (n == -408)
		return answer_text(408, "Request Timeout", "",
				   "the request did not come in time\n", false);
	if (n < 0)
		return answer_text(400, "Bad Request", "",
				   "not an HTTP request (or larger than 8 KiB)\n",
				   false);
	end = strpbrk(req, "\r\n");
	*end = '\0';
	method = strtok_r(req, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (method == NULL || target == NULL || version == NULL ||
	    strtok_r(NULL, " ", &save) != NULL ||
	    strncmp(version, "HTTP/1.", 7) != 0)
		return answer_text(400, "Bad Request", "",
				   "not an HTTP/1.x request line\n", false);
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0)
		return answer_text(405, "Method Not Allowed",
				   "Allow: GET, HEAD\r\n",
				   "only GET and HEAD\n", false);
	target[strcspn(target, "?#")] = '\0';
	if (strcmp(target, "/") == 0)
		return answer_text(200, "OK", "",
				   "dsrlb: Prometheus metrics at /metrics\n",
				   head);
	if (strcmp(target, "/metrics") != 0)
		return answer_text(404, "Not Found", "",
				   "no such page: metrics are at /metrics\n",
				   head);
	rc = render(ctl, &text, &len);
	if (text == NULL)
		return answer_text(503, "Service Unavailable", "",
				   "dsrlb answered with an error: see "
				   "dsrlbctl metrics\n", head);
	if (rc != 0)
		fprintf(stderr, "dsrlbctl: metrics --http: %s: dsrlb cannot be "
			"reached, answering dsrlb_up 0\n", ctl->socket);
	n = answer(200, "OK", EXPOSITION_TYPE, "", text, len, head);
	free(text);
	return n;
}
