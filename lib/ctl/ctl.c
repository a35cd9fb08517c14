/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lb_ctl.h"

struct client {
	int fd;
	char *in;             /* bytes of the request being read */
	size_t in_len;
	size_t in_cap;
	char *out;            /* replies not yet written */
	size_t out_len;
	size_t out_off;
	uint64_t last_ms;     /* last complete request (or accept) */
	uint64_t partial_ms;  /* first byte of the pending request, 0 if none */
	bool closing;         /* close once out is written */
	bool backlog;         /* complete requests wait in in */
};

struct lb_ctl {
	const struct lb_ctl_method *methods;
	unsigned int n_methods;
	void *ctx;
	int listen_fd;
	int ep;
	char path[108];
	unsigned int next_backlog;  /* where serving waiting requests resumes */
	struct client clients[LB_CTL_MAX_CLIENTS];
};

json_t *
lb_ctl_fail(struct lb_ctl_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

/* ---- dispatch ---- */

static json_t *
error_response(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:{s:i, s:s}, s:O}", "jsonrpc", "2.0",
			 "error", "code", code, "message", message,
			 "id", id != NULL ? id : json_null());
}

static const struct lb_ctl_method *
find_method(const struct lb_ctl *ctl, const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl->n_methods; i++)
		if (strcmp(ctl->methods[i].name, name) == 0)
			return &ctl->methods[i];
	return NULL;
}

static const char *const type_names[] = {
	[LB_CTL_STRING] = "a string",
	[LB_CTL_INTEGER] = "an integer",
	[LB_CTL_BOOLEAN] = "a boolean",
	[LB_CTL_OBJECT] = "an object",
	[LB_CTL_ARRAY] = "an array",
};

static const char *const type_short[] = {
	[LB_CTL_STRING] = "string",
	[LB_CTL_INTEGER] = "integer",
	[LB_CTL_BOOLEAN] = "boolean",
	[LB_CTL_OBJECT] = "object",
	[LB_CTL_ARRAY] = "array",
};

static bool
has_type(const json_t *v, uint8_t type)
{
	switch (type) {
	case LB_CTL_STRING: return json_is_string(v);
	case LB_CTL_INTEGER: return json_is_integer(v);
	case LB_CTL_BOOLEAN: return json_is_boolean(v);
	case LB_CTL_OBJECT: return json_is_object(v);
	case LB_CTL_ARRAY: return json_is_array(v);
	default: return false;
	}
}

/* Unknown, missing or mistyped params: the message names the param. */
static int
check_params(const struct lb_ctl_method *m, json_t *params, char *msg,
	     size_t size)
{
	const struct lb_ctl_param *p;
	const char *key;
	json_t *v;

	json_object_foreach(params, key, v) {
		for (p = m->params; p->name != NULL; p++)
			if (strcmp(p->name, key) == 0)
				break;
		if (p->name == NULL) {
			snprintf(msg, size, "params.%.64s: %s takes no such parameter",
				 key, m->name);
			return -1;
		}
		if (!has_type(v, p->type)) {
			snprintf(msg, size, "params.%s: expected %s", key,
				 type_names[p->type]);
			return -1;
		}
	}
	for (p = m->params; p->name != NULL; p++)
		if (p->required && json_object_get(params, p->name) == NULL) {
			snprintf(msg, size, "params.%s: required by %s", p->name,
				 m->name);
			return -1;
		}
	return 0;
}

/* "help": every method, its params and what it does. */
static json_t *
help(const struct lb_ctl *ctl)
{
	json_t *r = json_array();
	unsigned int i;

	for (i = 0; i < ctl->n_methods; i++) {
		const struct lb_ctl_method *m = &ctl->methods[i];
		const struct lb_ctl_param *p;
		json_t *params = json_array();

		for (p = m->params; p->name != NULL; p++)
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:s}",
				"name", p->name, "type", type_short[p->type],
				"required", p->required, "help", p->help));
		json_array_append_new(r, json_pack("{s:s, s:s, s:o}",
			"method", m->name, "help", m->help, "params", params));
	}
	return r;
}

/* One request object: a response object, or NULL for a notification. */
static json_t *
dispatch(struct lb_ctl *ctl, json_t *req)
{
	struct lb_ctl_error err = { .code = LB_CTL_INTERNAL_ERROR };
	const struct lb_ctl_method *m;
	json_t *id, *params, *result, *version, *method;
	char msg[320];

	if (!json_is_object(req))
		return error_response(NULL, LB_CTL_INVALID_REQUEST,
				      "a request is a JSON object");
	id = json_object_get(req, "id");
	version = json_object_get(req, "jsonrpc");
	method = json_object_get(req, "method");
	params = json_object_get(req, "params");
	if (id != NULL && !json_is_string(id) && !json_is_integer(id) &&
	    !json_is_null(id))
		return error_response(NULL, LB_CTL_INVALID_REQUEST,
				      "\"id\" must be a string, an integer or null");
	if (!json_is_string(version) ||
	    strcmp(json_string_value(version), "2.0") != 0)
		return error_response(id, LB_CTL_INVALID_REQUEST,
				      "\"jsonrpc\" must be \"2.0\"");
	if (!json_is_string(method))
		return error_response(id, LB_CTL_INVALID_REQUEST,
				      "\"method\" must be a string");
	if (params != NULL && !json_is_object(params))
		return error_response(id, LB_CTL_INVALID_PARAMS,
				      "params: expected an object of named parameters");

	if (strcmp(json_string_value(method), "help") == 0) {
		result = help(ctl);
		goto done;
	}
	m = find_method(ctl, json_string_value(method));
	if (m == NULL) {
		snprintf(msg, sizeof(msg), "no method \"%.200s\" (\"help\" lists them)",
			 json_string_value(method));
		return id != NULL ? error_response(id, LB_CTL_METHOD_NOT_FOUND,
						   msg) : NULL;
	}
	params = params != NULL ? json_incref(params) : json_object();
	/* the shape of params is checked here, once, for every method */
	if (check_params(m, params, msg, sizeof(msg)) != 0) {
		json_decref(params);
		return id != NULL ? error_response(id, LB_CTL_INVALID_PARAMS,
						   msg) : NULL;
	}
	result = m->handler(ctl->ctx, params, &err);
	json_decref(params);

	if (result == NULL)
		return id != NULL ? error_response(id, err.code, err.message) :
			NULL;
done:
	if (id == NULL) {   /* a notification: no answer */
		json_decref(result);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "result",
			 result, "id", id);
}

char *
lb_ctl_handle(struct lb_ctl *ctl, const char *text, size_t len)
{
	json_t *req, *resp = NULL;
	json_error_t jerr;
	char *out;

	req = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			 &jerr);
	if (req == NULL) {
		char msg[320];

		snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s",
			 jerr.column, jerr.text);
		resp = error_response(NULL, LB_CTL_PARSE_ERROR, msg);
	} else if (json_is_array(req)) {
		size_t i;
		json_t *r;

		if (json_array_size(req) == 0) {
			resp = error_response(NULL, LB_CTL_INVALID_REQUEST,
					      "empty batch");
		} else {
			resp = json_array();
			json_array_foreach(req, i, r) {
				json_t *one = dispatch(ctl, r);

				if (one != NULL)
					json_array_append_new(resp, one);
			}
			if (json_array_size(resp) == 0) {
				json_decref(resp);
				resp = NULL;
			}
		}
	} else {
		resp = dispatch(ctl, req);
	}
	json_decref(req);
	if (resp == NULL)
		return NULL;
	out = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	return out;
}

/* ---- connections ---- */

static void
client_close(struct lb_ctl *ctl, struct client *c)
{
	epoll_ctl(ctl->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int
client_watch(struct lb_ctl *ctl, struct client *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0),
		.data.ptr = c,
	};

	return epoll_ctl(ctl->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static bool
queue_reply(struct client *c, const char *text)
{
	size_t n = strlen(text);

	if (c->out_len - c->out_off + n + 1 > LB_CTL_MAX_OUTPUT)
		return false;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	{
		char *g = realloc(c->out, c->out_len + n + 1);

		if (g == NULL)
			return false;
		c->out = g;
	}
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return true;
}

static void
client_write(struct lb_ctl *ctl, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(ctl, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_close(ctl, c);
			return;
		}
	}
	client_watch(ctl, c);
}

/* Answer up to budget complete lines of the input buffer; the client
 * has a backlog if more are complete. */
static unsigned int
client_requests(struct lb_ctl *ctl, struct client *c, uint64_t now,
		unsigned int budget)
{
	unsigned int answered = 0;
	size_t start = 0;
	char *nl;

	c->backlog = false;
	if (c->in_len == 0)
		return 0;
	while (!c->closing && answered < budget &&
	       (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));
		char *resp;

		if (len > 0 && c->in[start + len - 1] == '\r')
			len--;
		if (len > 0) {
			resp = lb_ctl_handle(ctl, c->in + start, len);
			answered++;
			if (resp != NULL) {
				if (!queue_reply(c, resp))
					c->closing = true;  /* not reading */
				free(resp);
			}
		}
		start = (size_t)(nl - c->in) + 1;
		c->last_ms = now;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	c->backlog = !c->closing && c->in_len > 0 &&
		memchr(c->in, '\n', c->in_len) != NULL;
	/* the stall clock runs from the first byte of the request now
	 * pending: a client making progress, or waiting for us, is never
	 * dropped */
	if (c->in_len == 0 || c->backlog)
		c->partial_ms = 0;
	else if (start > 0 || c->partial_ms == 0)
		c->partial_ms = now;
	return answered;
}

/* Read and answer, up to budget requests: what is left stays in the
 * socket or the buffer for the next pass. */
static unsigned int
client_read(struct lb_ctl *ctl, struct client *c, uint64_t now,
	    unsigned int budget)
{
	unsigned int answered = client_requests(ctl, c, now, budget);

	while (answered < budget && !c->backlog && !c->closing) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap == 0 ? 8192 : c->in_cap * 2;
			char *g;

			if (cap > LB_CTL_MAX_REQUEST + 4096)
				cap = LB_CTL_MAX_REQUEST + 4096;
			if (cap <= c->in_cap) {
				/* a line longer than any request may be */
				json_t *e = error_response(NULL,
					LB_CTL_INVALID_REQUEST,
					"request larger than 1 MiB");
				char *r = json_dumps(e, JSON_COMPACT);

				json_decref(e);
				if (r != NULL) {
					queue_reply(c, r);
					free(r);
				}
				c->closing = true;
				c->in_len = 0;
				break;
			}
			g = realloc(c->in, cap);
			if (g == NULL) {
				client_close(ctl, c);
				return answered;
			}
			c->in = g;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* answer what is complete (every request: the
			 * client is gone, nothing more comes), then go */
			answered += client_requests(ctl, c, now, UINT32_MAX);
			c->closing = true;
			break;
		}
		c->in_len += (size_t)n;
		answered += client_requests(ctl, c, now, budget - answered);
	}
	client_write(ctl, c);
	return answered;
}

static void
accept_clients(struct lb_ctl *ctl, uint64_t now)
{
	for (;;) {
		int fd = accept4(ctl->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev;
		struct client *c = NULL;
		unsigned int i;

		if (fd < 0)
			return;
		for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
			if (ctl->clients[i].fd < 0) {
				c = &ctl->clients[i];
				break;
			}
		if (c == NULL) {
			static const char busy[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"too many clients\"},\"id\":null}\n";

			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;  /* closing anyway */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->last_ms = now;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			client_close(ctl, c);
	}
}

unsigned int
lb_ctl_poll(struct lb_ctl *ctl, uint64_t now)
{
	struct epoll_event ev[16];
	unsigned int answered = 0, i;
	int n, k;

	n = epoll_wait(ctl->ep, ev, 16, 0);
	for (k = 0; k < n; k++) {
		struct client *c = ev[k].data.ptr;

		if (c == NULL) {
			accept_clients(ctl, now);
			continue;
		}
		if (c->fd < 0)
			continue;
		if ((ev[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
		    answered < LB_CTL_PASS_REQUESTS)
			answered += client_read(ctl, c, now,
				LB_CTL_PASS_REQUESTS - answered);
		else if (ev[k].events & EPOLLOUT)
			client_write(ctl, c);
	}
	/* requests already read that an earlier pass left: the clients in
	 * turn, starting after the last one served */
	for (i = 0, k = (int)ctl->next_backlog;
	     i < LB_CTL_MAX_CLIENTS && answered < LB_CTL_PASS_REQUESTS;
	     i++, k = (k + 1) % LB_CTL_MAX_CLIENTS) {
		struct client *c = &ctl->clients[k];

		if (c->fd < 0 || !c->backlog)
			continue;
		answered += client_read(ctl, c, now,
					LB_CTL_PASS_REQUESTS - answered);
		ctl->next_backlog = (unsigned int)(k + 1) % LB_CTL_MAX_CLIENTS;
	}
	/* a client may not hold a half request, nor sit idle, for ever */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		if (c->fd < 0)
			continue;
		if ((c->partial_ms != 0 && now - c->partial_ms > LB_CTL_STALL_MS) ||
		    now - c->last_ms > LB_CTL_IDLE_MS)
			client_close(ctl, c);
	}
	return answered;
}

/* ---- the socket ---- */

static int
listen_on(struct lb_ctl *ctl, const char *path, unsigned int mode, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, 256, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0750) != 0 && errno != EEXIST) {
		snprintf(err, 256, "%s: cannot create its directory: %s", path,
			 strerror(errno));
		return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, 256, "socket: %s", strerror(errno));
		return -errno;
	}
	/* a socket left by a previous run: replace it if nobody listens */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, 256, "%s exists and is not a socket", path);
			close(fd);
			return -EEXIST;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			snprintf(err, 256, "%s: another dsrlb is listening there",
				 path);
			close(fd);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, mode) != 0 || listen(fd, 16) != 0) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		close(fd);
		return -errno;
	}
	return fd;
}

struct lb_ctl *
lb_ctl_create(const char *path, unsigned int mode,
	      const struct lb_ctl_method *methods, unsigned int n_methods,
	      void *ctx, char *err)
{
	struct lb_ctl *ctl = calloc(1, sizeof(*ctl));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	unsigned int i;

	if (ctl == NULL) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	ctl->methods = methods;
	ctl->n_methods = n_methods;
	ctl->ctx = ctx;
	ctl->listen_fd = -1;
	ctl->ep = -1;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	if (path == NULL)
		return ctl;   /* dispatcher only (tests) */
	ctl->listen_fd = listen_on(ctl, path, mode, err);
	if (ctl->listen_fd < 0)
		goto fail;
	ctl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->ep < 0 ||
	    epoll_ctl(ctl->ep, EPOLL_CTL_ADD, ctl->listen_fd, &ev) != 0) {
		snprintf(err, 256, "epoll: %s", strerror(errno));
		goto fail;
	}
	return ctl;
fail:
	lb_ctl_free(ctl);
	return NULL;
}

bool
lb_ctl_pending(const struct lb_ctl *ctl)
{
	unsigned int i;

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0 && ctl->clients[i].backlog)
			return true;
	return false;
}

int
lb_ctl_fd(const struct lb_ctl *ctl)
{
	return ctl->ep;
}

void
lb_ctl_free(struct lb_ctl *ctl)
{
	unsigned int i;

	if (ctl == NULL)
		return;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			client_close(ctl, &ctl->clients[i]);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(ctl->path);
	}
	if (ctl->ep >= 0)
		close(ctl->ep);
	free(ctl);
}
