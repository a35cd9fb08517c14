/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The JSON-RPC 2.0 client: one request per connection, the answer read
 * up to its newline. Every wait is bounded by the one deadline of the
 * call (-t), and the answer by DSRLBCTL_MAX_REPLY, so a server that
 * hangs or talks forever cannot hang a script that runs dsrlbctl.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "dsrlbctl.h"

struct conn {
	const struct ctl *ctl;
	const char *method;
	int fd;
	double deadline;
	char *buf;
	size_t len, size;
};

static int
comm_error(const struct conn *c, const char *what, int err)
{
	if (err != 0)
		fprintf(stderr, "dsrlbctl: %s: %s: %s\n", c->ctl->socket,
			what, strerror(err));
	else
		fprintf(stderr, "dsrlbctl: %s: %s\n", c->ctl->socket, what);
	return CTL_EXIT_COMM;
}

static int
timed_out(const struct conn *c, const char *doing)
{
	char msg[128];

	snprintf(msg, sizeof(msg),
		 "timed out after %.3g s %s \"%s\" (-t sets the limit)",
		 c->ctl->timeout_ms / 1000.0, doing, c->method);
	return comm_error(c, msg, 0);
}

/* Wait for fd to become ready for events before the deadline. */
static int
wait_ready(struct conn *c, short events, const char *doing)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int rc;

	for (;;) {
		double left = c->deadline - ctl_now();

		if (left <= 0)
			return timed_out(c, doing);
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return comm_error(c, "poll", errno);
	}
}

/*
 * Connect before the deadline. A Unix socket whose listen queue is full
 * refuses a non-blocking connect with EAGAIN and leaves the socket
 * unconnected (poll() then reports it writable at once, so there is
 * nothing to wait for on it). A blocking connect() waits in the kernel
 * until dsrlb accepts a queued connection, bounded by SO_SNDTIMEO: that
 * is the wait, set to what is left of the deadline. A busy dsrlb (a
 * burst of clients) makes an administrator wait, never fail.
 */
static int
conn_open(struct conn *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int flags;

	if (strlen(c->ctl->socket) >= sizeof(sun.sun_path))
		return comm_error(c, "socket path too long", ENAMETOOLONG);
	strcpy(sun.sun_path, c->ctl->socket);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return comm_error(c, "socket", errno);
	for (;;) {
		double left = c->deadline - ctl_now();
		struct timeval tv;

		if (left <= 0)
			return timed_out(c, "connecting for");
		tv.tv_sec = (time_t)left;
		tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
		if (tv.tv_sec == 0 && tv.tv_usec == 0)
			tv.tv_usec = 1;   /* 0 would mean no limit */
		if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			       sizeof(tv)) != 0)
			return comm_error(c, "setsockopt", errno);
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EAGAIN)   /* still full when the wait ran out */
			return timed_out(c, "connecting for");
		if (errno != EINTR)
			return comm_error(c, "cannot connect", errno);
	}
	/* the rest is bounded by poll() */
	flags = fcntl(c->fd, F_GETFL);
	if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return comm_error(c, "fcntl", errno);
	return 0;
}

static int
conn_send(struct conn *c, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, text, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_ready(c, POLLOUT, "sending") != 0)
				return CTL_EXIT_COMM;
			continue;
		}
		if (n < 0)
			return comm_error(c, "send", errno);
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the first newline: the answer, NUL-terminated in c->buf. */
static int
conn_recv_line(struct conn *c)
{
	for (;;) {
		char *nl = c->len > 0 ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl != NULL) {
			*nl = '\0';
			return 0;
		}
		if (c->len + 1 >= c->size) {
			size_t size = c->size == 0 ? 65536 : c->size * 2;
			char *p;

			if (c->size >= DSRLBCTL_MAX_REPLY)
				return comm_error(c, "answer larger than 64 MiB", 0);
			p = realloc(c->buf, size + 1);
			if (p == NULL)
				return comm_error(c, "reading the answer", ENOMEM);
			c->buf = p;
			c->size = size;
		}
		n = recv(c->fd, c->buf + c->len, c->size - c->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_ready(c, POLLIN, "waiting for the answer to") != 0)
				return CTL_EXIT_COMM;
			continue;
		}
		if (n < 0)
			return comm_error(c, "recv", errno);
		if (n == 0)
			return comm_error(c, "connection closed before the answer", 0);
		c->len += (size_t)n;
	}
}

/* The answer's result, or its error printed as the server worded it. */
static int
decode_answer(struct conn *c, long long id, json_t **result)
{
	json_error_t jerr;
	json_t *ans = json_loads(c->buf, 0, &jerr), *e, *r;
	json_t *aid;
	int rc = CTL_EXIT_COMM;
	char msg[300];

	if (ans == NULL || !json_is_object(ans)) {
		snprintf(msg, sizeof(msg), "answer is not a JSON object: %s",
			 ans == NULL ? jerr.text : "wrong type");
		comm_error(c, msg, 0);
		goto out;
	}
	e = json_object_get(ans, "error");
	r = json_object_get(ans, "result");
	aid = json_object_get(ans, "id");
	if (e != NULL) {
		const char *m = json_string_value(json_object_get(e, "message"));

		fprintf(stderr, "dsrlbctl: %s: %s\n", c->method,
			m != NULL ? m : "error without a message");
		rc = CTL_EXIT_SERVER;
	} else if (r == NULL || !json_is_integer(aid) ||
		   json_integer_value(aid) != id) {
		comm_error(c, "answer has no result for this request", 0);
	} else {
		*result = json_incref(r);
		rc = 0;
	}
out:
	json_decref(ans);
	return rc;
}

/*
 * Call method with params (a reference stolen; NULL: none). Returns 0
 * and the result (a new reference), CTL_EXIT_SERVER after printing the
 * server's error, or CTL_EXIT_COMM after printing why the socket failed.
 */
int
ctl_call(struct ctl *ctl, const char *method, json_t *params,
	 json_t **result)
{
	struct conn c = { .ctl = ctl, .method = method, .fd = -1,
			  .deadline = ctl_now() + ctl->timeout_ms / 1000.0 };
	long long id = ++ctl->next_id;
	json_t *req;
	char *text = NULL;
	int rc;

	*result = NULL;
	req = json_pack("{s:s, s:s, s:I}", "jsonrpc", "2.0", "method", method,
			"id", (json_int_t)id);
	if (req != NULL && params != NULL)
		json_object_set(req, "params", params);
	json_decref(params);
	if (req != NULL)
		text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		fprintf(stderr, "dsrlbctl: %s: cannot encode the request\n",
			method);
		return CTL_EXIT_COMM;
	}
	rc = conn_open(&c);
	if (rc == 0)
		rc = conn_send(&c, text, strlen(text));
	if (rc == 0)
		rc = conn_send(&c, "\n", 1);
	if (rc == 0)
		rc = conn_recv_line(&c);
	if (rc == 0)
		rc = decode_answer(&c, id, result);
	free(text);
	free(c.buf);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
