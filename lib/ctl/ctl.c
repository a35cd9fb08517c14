/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "lb_ctl.h"

/* Buffers larger than this are given back once empty. */
#define KEEP_BUFFER 65536
/* Longest line kept: a request, and its "\r\n". */
#define IN_MAX (LB_CTL_MAX_REQUEST + 2)

struct client {
	int fd;
	bool readonly;        /* accepted on the read-only socket */
	bool readable;        /* the socket may hold bytes (or EOF) to read */
	bool eof;             /* nothing more comes from the client */
	bool gone;            /* it hung up: served this pass, then closed */
	bool closing;         /* close once out is written (oversized) */
	bool backlog;         /* complete requests wait in in */
	bool asked;           /* it has sent a complete request */
	uint32_t watched;     /* epoll events registered */
	uint64_t pass;        /* the pass `served` counts */
	unsigned int served;  /* requests answered in that pass */
	char *in;             /* bytes read: in[in_off, in_len) unanswered */
	size_t in_off;
	size_t in_len;
	size_t in_cap;
	size_t scanned;       /* in[in_off, scanned) holds no newline */
	char *out;            /* answers: out[out_off, out_len) unsent */
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	uint64_t last_ms;     /* accept, last request answered or bytes sent */
	uint64_t partial_ms;  /* first byte of the pending partial request */
	uint64_t full_ms;     /* since unsent answers exceed the cap, or 0 */
	uint64_t read_total;  /* its socket's queue (SIOCOUTQ) at the last look */
	uint64_t read_ms;     /* it was last seen reading (or had nothing to) */
};

/* A client with answers in its socket it has not read for this long
 * is not reading them: first to go when a slot is needed. */
#define NOT_READING_MS 1000

struct listener {
	int fd;
	bool readonly;
	char path[108];
};

struct lb_ctl {
	const struct lb_ctl_method *methods;
	unsigned int n_methods;
	void *ctx;
	int ep;
	uint64_t pass;
	unsigned int next;          /* where serving resumes */
	struct lb_ctl_stats st;
	struct listener listeners[2];  /* read-write, read-only */
	struct client clients[LB_CTL_MAX_CLIENTS];
	bool tight;                 /* buffers past LB_CTL_MAX_HELD: small answers only */
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

/* ---- numbers too large to decode ---- */

/*
 * jansson refuses a number beyond int64 (integers) or double (reals) as
 * a parse error of the whole text. Such a number is the client's
 * mistake in a value, not in the syntax: inside "params" it must be
 * answered as invalid params naming the param. When jansson reports
 * numeric overflow, one pass over the text (syntactically valid up to
 * there) finds every such number, notes where it is (its JSON path),
 * and writes a copy with 0 in its place; the copy is decoded, and each
 * request holding one is answered with invalid params instead of being
 * run. A number out of range anywhere else (the id, outside any
 * request) leaves it a parse error.
 */

#define SCAN_DEPTH 32

struct ovf_entry {          /* the first such number of one request */
	bool set;
	char param[64];     /* the top-level param holding it, "" if params itself */
	char path[192];     /* "params.members[2].weight" */
	char num[40];       /* the number as written, shortened */
};

struct ovf {
	bool outside;       /* one is outside any "params" */
	struct ovf_entry e[LB_CTL_MAX_BATCH + 1];  /* by batch index; [0] alone */
};

struct scan_frame {
	bool object;
	bool want_key;
	size_t index;       /* arrays: the current element */
	char key[64];       /* objects: the current member's name */
};

/* A JSON number's exact syntax (RFC 8259): anything else is left to
 * jansson to refuse. */
static bool
number_syntax(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		if (++i >= n || !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	return i == n;
}

/* What jansson refuses as numeric overflow: strtoll's ERANGE for an
 * integer, strtod's for a real that overflows (an underflow is 0). */
static bool
number_overflows(const char *s, size_t n)
{
	bool real = memchr(s, '.', n) != NULL || memchr(s, 'e', n) != NULL ||
		memchr(s, 'E', n) != NULL;
	char *copy = strndup(s, n);
	bool over;

	if (copy == NULL)
		return false;   /* then jansson's parse error stands */
	errno = 0;
	if (real) {
		double d = strtod(copy, NULL);

		over = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
	} else {
		(void)strtoll(copy, NULL, 10);
		over = errno == ERANGE;
	}
	free(copy);
	return over;
}

/* A member name as decoded (escapes included), shortened. */
static void
scan_key(const char *tok, size_t n, char *key, size_t size)
{
	json_t *s;

	if (memchr(tok, '\\', n) == NULL) {
		snprintf(key, size, "%.*s", (int)(n - 2), tok + 1);
		return;
	}
	s = json_loadb(tok, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	snprintf(key, size, "%s", json_is_string(s) ? json_string_value(s) : "?");
	json_decref(s);
}

/* Note the number at the current place of the frames. */
static void
scan_note(struct ovf *o, const struct scan_frame *f, unsigned int depth,
	  const char *num, size_t n)
{
	unsigned int req, i, kept = depth < SCAN_DEPTH ? depth : SCAN_DEPTH;
	struct ovf_entry *e;
	size_t len;

	/* the request: the top-level object, or an object in a batch */
	if (depth >= 1 && f[0].object) {
		req = 0;
	} else if (depth >= 2 && !f[0].object && f[1].object) {
		req = 1;
	} else {
		o->outside = true;
		return;
	}
	if (f[req].want_key || strcmp(f[req].key, "params") != 0) {
		o->outside = true;
		return;
	}
	i = req == 0 ? 0 : (unsigned int)f[0].index + 1;
	if (i > LB_CTL_MAX_BATCH)
		return;   /* the batch is refused whole */
	e = &o->e[i];
	if (e->set)
		return;
	e->set = true;
	if (depth > req + 1 && f[req + 1].object)
		snprintf(e->param, sizeof(e->param), "%s", f[req + 1].key);
	snprintf(e->path, sizeof(e->path), "params");
	for (i = req + 1; i < kept; i++) {
		len = strlen(e->path);
		if (f[i].object)
			snprintf(e->path + len, sizeof(e->path) - len, ".%s",
				 f[i].key);
		else
			snprintf(e->path + len, sizeof(e->path) - len, "[%zu]",
				 f[i].index);
	}
	if (depth > kept) {
		len = strlen(e->path);
		snprintf(e->path + len, sizeof(e->path) - len, "...");
	}
	if (n < sizeof(e->num))
		snprintf(e->num, sizeof(e->num), "%.*s", (int)n, num);
	else
		snprintf(e->num, sizeof(e->num), "%.12s...(%zu characters)",
			 num, n % 1000000000);
}

/*
 * One pass over text: out receives it with every number out of range
 * replaced by 0 (out has room for len bytes); o notes where they were.
 * Robust to any input: a syntax error is left as it is, for jansson.
 */
static size_t
scan_numbers(const char *t, size_t len, char *out, struct ovf *o)
{
	struct scan_frame f[SCAN_DEPTH];
	unsigned int depth = 0;
	size_t i = 0, w = 0, j;

	while (i < len) {
		char c = t[i];
		struct scan_frame *top = depth > 0 && depth <= SCAN_DEPTH ?
			&f[depth - 1] : NULL;

		if (c == '"') {
			for (j = i + 1; j < len && t[j] != '"'; j++)
				if (t[j] == '\\')
					j++;
			if (j >= len)
				break;   /* unterminated: copied below */
			if (top != NULL && top->object && top->want_key) {
				scan_key(t + i, j + 1 - i, top->key,
					 sizeof(top->key));
				top->want_key = false;
			}
			memcpy(out + w, t + i, j + 1 - i);
			w += j + 1 - i;
			i = j + 1;
			continue;
		}
		if (c == '-' || isdigit((unsigned char)c)) {
			for (j = i + 1; j < len &&
			     (isdigit((unsigned char)t[j]) || t[j] == '.' ||
			      t[j] == 'e' || t[j] == 'E' || t[j] == '+' ||
			      t[j] == '-'); j++)
				;
			if (number_syntax(t + i, j - i) &&
			    number_overflows(t + i, j - i)) {
				scan_note(o, f, depth, t + i, j - i);
				out[w++] = '0';
			} else {
				memcpy(out + w, t + i, j - i);
				w += j - i;
			}
			i = j;
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth < SCAN_DEPTH) {
				f[depth].object = c == '{';
				f[depth].want_key = c == '{';
				f[depth].index = 0;
				f[depth].key[0] = '\0';
			}
			depth++;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		} else if (c == ',' && top != NULL) {
			if (top->object)
				top->want_key = true;
			else
				top->index++;
		}
		out[w++] = c;
		i++;
	}
	memcpy(out + w, t + i, len - i);
	return w + len - i;
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

static const struct lb_ctl_param *
find_param(const struct lb_ctl_method *m, const char *name)
{
	const struct lb_ctl_param *p;

	for (p = m->params; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static const char *const type_names[] = {
	[LB_CTL_STRING] = "a string",
	[LB_CTL_INTEGER] = "an integer",
	[LB_CTL_BOOLEAN] = "a boolean",
	[LB_CTL_OBJECT] = "an object",
	[LB_CTL_ARRAY] = "an array",
	[LB_CTL_INT_OR_STRING] = "an integer or a string",
};

static const char *const type_short[] = {
	[LB_CTL_STRING] = "string",
	[LB_CTL_INTEGER] = "integer",
	[LB_CTL_BOOLEAN] = "boolean",
	[LB_CTL_OBJECT] = "object",
	[LB_CTL_ARRAY] = "array",
	[LB_CTL_INT_OR_STRING] = "integer or string",
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
	case LB_CTL_INT_OR_STRING:
		return json_is_integer(v) || json_is_string(v);
	default: return false;
	}
}

static bool
has_range(const struct lb_ctl_param *p)
{
	return p->type == LB_CTL_INTEGER && (p->min != 0 || p->max != 0);
}

/* Unknown, missing, mistyped or out-of-range params: the message names
 * the param. */
static int
check_params(const struct lb_ctl_method *m, json_t *params, char *msg,
	     size_t size)
{
	const struct lb_ctl_param *p;
	const char *key;
	json_t *v;

	json_object_foreach(params, key, v) {
		p = find_param(m, key);
		if (p == NULL) {
			snprintf(msg, size, "params.%.64s: %s takes no such parameter",
				 key, m->name);
			return -1;
		}
		if (!has_type(v, p->type)) {
			char *text = p->type == LB_CTL_INTEGER &&
				json_is_real(v) ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

			if (text != NULL)
				snprintf(msg, size, "params.%s: expected an integer, not the real number %s",
					 key, text);
			else
				snprintf(msg, size, "params.%s: expected %s", key,
					 type_names[p->type]);
			free(text);
			return -1;
		}
		if (has_range(p) && (json_integer_value(v) < p->min ||
				     json_integer_value(v) > p->max)) {
			snprintf(msg, size, "params.%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
				 key, (int64_t)json_integer_value(v), p->min,
				 p->max);
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

/* A number too large to decode, inside params: an unknown param is
 * named as such, a known one as out of range (with its range when the
 * number is the param itself). m is NULL for "help". */
static void
overflow_message(const struct lb_ctl_method *m, const char *name,
		 const struct ovf_entry *e, char *msg, size_t size)
{
	const struct lb_ctl_param *p = m != NULL && e->param[0] != '\0' ?
		find_param(m, e->param) : NULL;
	char direct[80];

	snprintf(direct, sizeof(direct), "params.%s", e->param);
	if (e->param[0] != '\0' && p == NULL)
		snprintf(msg, size, "params.%.64s: %s takes no such parameter",
			 e->param, name);
	else if (p != NULL && has_range(p) && strcmp(e->path, direct) == 0)
		snprintf(msg, size, "%s: %s is out of range [%" PRId64 ", %" PRId64 "]",
			 e->path, e->num, p->min, p->max);
	else
		snprintf(msg, size, "%s: %s is out of range", e->path, e->num);
}

/* "help": every method, whether it is read-only, its params and what it
 * does. */
static json_t *
help(const struct lb_ctl *ctl)
{
	json_t *r = json_array();
	unsigned int i;

	for (i = 0; i < ctl->n_methods; i++) {
		const struct lb_ctl_method *m = &ctl->methods[i];
		const struct lb_ctl_param *p;
		json_t *params = json_array();

		for (p = m->params; p->name != NULL; p++) {
			json_t *e = json_pack("{s:s, s:s, s:b, s:s}",
				"name", p->name, "type", type_short[p->type],
				"required", p->required, "help", p->help);

			if (e != NULL && has_range(p)) {
				json_object_set_new(e, "min", json_integer(p->min));
				json_object_set_new(e, "max", json_integer(p->max));
			}
			json_array_append_new(params, e);
		}
		json_array_append_new(r, json_pack("{s:s, s:s, s:b, s:o}",
			"method", m->name, "help", m->help,
			"read_only", !(m->flags & LB_CTL_WRITE),
			"params", params));
	}
	return r;
}

/* One request object: a response object, or NULL for a notification. */
static json_t *
dispatch(struct lb_ctl *ctl, json_t *req, bool readonly,
	 const struct ovf_entry *ovf)
{
	struct lb_ctl_error err = { .code = LB_CTL_INTERNAL_ERROR };
	const struct lb_ctl_method *m;
	json_t *id, *params, *result, *version, *method;
	const char *name;
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

	name = json_string_value(method);

	/* "help" is built in; any other name must be registered */
	m = strcmp(name, "help") == 0 ? NULL : find_method(ctl, name);
	if (m == NULL && strcmp(name, "help") != 0) {
		snprintf(msg, sizeof(msg), "no method \"%.200s\" (\"help\" lists them)",
			 name);
		return id != NULL ? error_response(id, LB_CTL_METHOD_NOT_FOUND,
						   msg) : NULL;
	}
	if (m != NULL && readonly && (m->flags & LB_CTL_WRITE)) {
		ctl->st.denied++;
		snprintf(msg, sizeof(msg), "permission denied: %s needs the read-write control socket",
			 m->name);
		return id != NULL ? error_response(id, LB_CTL_DENIED, msg) : NULL;
	}
	if (params != NULL && !json_is_object(params))
		return id != NULL ? error_response(id, LB_CTL_INVALID_PARAMS,
			"params: expected an object of named parameters") : NULL;
	if (ovf != NULL) {
		overflow_message(m, name, ovf, msg, sizeof(msg));
		return id != NULL ? error_response(id, LB_CTL_INVALID_PARAMS,
						   msg) : NULL;
	}
	if (m == NULL) {
		const char *key;
		json_t *v;

		json_object_foreach(params, key, v) {
			snprintf(msg, sizeof(msg), "params.%.64s: help takes no such parameter",
				 key);
			return id != NULL ? error_response(id,
				LB_CTL_INVALID_PARAMS, msg) : NULL;
		}
		result = help(ctl);
		goto done;
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

/* The largest answer a client may be sent now: while every client's
 * buffers together pass LB_CTL_MAX_HELD, only small ones (what the
 * server holds then grows by at most that per client served). */
static size_t
answer_limit(const struct lb_ctl *ctl)
{
	return ctl->tight ? LB_CTL_TIGHT_ANSWER : LB_CTL_MAX_ANSWER;
}

/* A response as text; one larger than a client may be sent at once is
 * replaced by an error saying so. */
static char *
dump_response(const struct lb_ctl *ctl, json_t *resp)
{
	char *out = json_dumps(resp, JSON_COMPACT);
	size_t n;

	if (out == NULL || (n = strlen(out)) <= answer_limit(ctl)) {
		json_decref(resp);
		return out;
	}
	free(out);
	{
		char msg[160];
		json_t *e;

		snprintf(msg, sizeof(msg), ctl->tight ?
			 "the answer is %zu bytes, more than the %zu sent while the server holds much for unread clients: retry in a moment" :
			 "the answer is %zu bytes, more than the %zu a client may be sent at once: ask for less",
			 n, answer_limit(ctl));
		e = error_response(json_object_get(resp, "id"),
				   LB_CTL_INTERNAL_ERROR, msg);
		out = json_dumps(e, JSON_COMPACT);
		json_decref(e);
	}
	json_decref(resp);
	return out;
}

/* Append text to the batch answer buf (a "[" already there). */
static bool
batch_append(char **buf, size_t *len, const char *text)
{
	size_t n = strlen(text);
	char *g = realloc(*buf, *len + n + 3);

	if (g == NULL)
		return false;
	*buf = g;
	if (*len > 1)
		g[(*len)++] = ',';
	memcpy(g + *len, text, n + 1);
	*len += n;
	return true;
}

/* A batch: its answers joined as they are made, so that once they pass
 * LB_CTL_MAX_OUTPUT the requests left are not run (each answered so). */
static char *
handle_batch(struct lb_ctl *ctl, json_t *req, bool readonly,
	     const struct ovf *ovf, unsigned int *count)
{
	size_t i, len = 1;
	char *buf = strdup("["), *text;
	json_t *r, *one;
	bool full = false;

	if (buf == NULL)
		return NULL;
	json_array_foreach(req, i, r) {
		const struct ovf_entry *e = ovf != NULL && ovf->e[i + 1].set ?
			&ovf->e[i + 1] : NULL;

		if (full) {
			json_t *id = json_is_object(r) ?
				json_object_get(r, "id") : NULL;

			if (id == NULL)
				continue;
			one = error_response(id, LB_CTL_INTERNAL_ERROR,
					     "not run: the answers to this batch already exceed 1 MiB");
		} else {
			one = dispatch(ctl, r, readonly, e);
			(*count)++;
		}
		if (one == NULL)
			continue;
		text = dump_response(ctl, one);
		if (text == NULL || !batch_append(&buf, &len, text)) {
			free(text);
			free(buf);
			return NULL;
		}
		free(text);
		full = len > LB_CTL_MAX_OUTPUT;
	}
	if (len == 1) {   /* notifications only */
		free(buf);
		return NULL;
	}
	buf[len++] = ']';
	buf[len] = '\0';
	return buf;
}

/* Decode, and, if jansson refused a number too large, decode again with
 * those numbers noted (*ovf, to free) and replaced. */
static json_t *
decode(const char *text, size_t len, json_error_t *jerr, struct ovf **ovf)
{
	const size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
	json_t *req = json_loadb(text, len, flags, jerr);
	json_error_t again;
	char *fixed;
	size_t n;

	*ovf = NULL;
	if (req != NULL || json_error_code(jerr) != json_error_numeric_overflow)
		return req;
	fixed = malloc(len + 1);
	*ovf = calloc(1, sizeof(**ovf));
	if (fixed == NULL || *ovf == NULL)
		goto fail;
	n = scan_numbers(text, len, fixed, *ovf);
	if ((*ovf)->outside)
		goto fail;
	req = json_loadb(fixed, n, flags, &again);
	free(fixed);
	if (req == NULL) {
		/* another error too: the first one stands (its column is
		 * the text's) */
		free(*ovf);
		*ovf = NULL;
	}
	return req;
fail:
	free(fixed);
	free(*ovf);
	*ovf = NULL;
	return NULL;
}

/* Answer one request line; *count: requests it held (batch entries). */
static char *
handle(struct lb_ctl *ctl, const char *text, size_t len, bool readonly,
       unsigned int *count)
{
	json_t *req, *resp = NULL;
	json_error_t jerr;
	struct ovf *ovf;
	char *out = NULL;

	*count = 1;
	req = decode(text, len, &jerr, &ovf);
	if (req == NULL) {
		char msg[320];

		snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s",
			 jerr.column, jerr.text);
		resp = error_response(NULL, LB_CTL_PARSE_ERROR, msg);
	} else if (json_is_array(req)) {
		char msg[96];

		if (json_array_size(req) == 0) {
			resp = error_response(NULL, LB_CTL_INVALID_REQUEST,
					      "empty batch");
		} else if (json_array_size(req) > LB_CTL_MAX_BATCH) {
			snprintf(msg, sizeof(msg), "a batch of %zu requests: at most %u",
				 json_array_size(req), LB_CTL_MAX_BATCH);
			resp = error_response(NULL, LB_CTL_INVALID_REQUEST,
					      msg);
		} else {
			*count = 0;
			out = handle_batch(ctl, req, readonly, ovf, count);
		}
	} else {
		resp = dispatch(ctl, req, readonly,
				ovf != NULL && ovf->e[0].set ? &ovf->e[0] : NULL);
	}
	json_decref(req);
	free(ovf);
	if (resp != NULL)
		out = dump_response(ctl, resp);
	return out;
}

char *
lb_ctl_handle(struct lb_ctl *ctl, const char *text, size_t len)
{
	unsigned int count;

	return handle(ctl, text, len, false, &count);
}

char *
lb_ctl_handle_readonly(struct lb_ctl *ctl, const char *text, size_t len)
{
	unsigned int count;

	return handle(ctl, text, len, true, &count);
}

/* ---- connections ---- */

static size_t
unsent(const struct client *c)
{
	return c->out_len - c->out_off;
}

/* Back-pressure: its answers wait to be read, its requests wait too. */
/* Memory a client holds: its buffers. */
static size_t
client_held(const struct client *c)
{
	return c->in_cap + c->out_cap;
}

static bool
over_cap(const struct client *c)
{
	return !c->gone && unsent(c) > LB_CTL_MAX_OUTPUT;
}

/* Requests of the client are ready to be answered now. */
static bool
waiting(const struct client *c)
{
	return (c->backlog || (c->readable && !c->eof)) && !c->closing &&
		!over_cap(c);
}

static void
client_close(struct lb_ctl *ctl, struct client *c)
{
	epoll_ctl(ctl->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	ctl->st.clients--;
}

/* Watch for what the client's state needs: no EPOLLIN while its input
 * is not read (back-pressure, EOF, closing), which would wake the
 * master for nothing. */
static void
client_watch(struct lb_ctl *ctl, struct client *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = (c->eof || c->closing || over_cap(c) ? 0 : EPOLLIN) |
		(unsent(c) > 0 && !c->gone ? EPOLLOUT : 0);
	if (ev.events != c->watched &&
	    epoll_ctl(ctl->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->watched = ev.events;
}

/* The clocks that follow the output: over the cap since when; leaving
 * it restarts the partial-request clock (the client was waiting for
 * us, not stalling). */
static void
client_clocks(struct client *c, uint64_t now)
{
	if (over_cap(c)) {
		if (c->full_ms == 0)
			c->full_ms = now;
	} else if (c->full_ms != 0) {
		c->full_ms = 0;
		if (c->partial_ms != 0)
			c->partial_ms = now;
	}
}

static bool
queue_reply(struct client *c, const char *text)
{
	size_t n = strlen(text);

	if (c->gone)
		return true;   /* nobody reads: discarded */
	/* what was sent is dropped only when room is needed: a client
	 * reading slowly does not cost a copy of its backlog per answer */
	if (c->out_len + n + 1 > c->out_cap && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, unsent(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = c->out_cap == 0 ? 4096 : c->out_cap;
		char *g;

		while (cap < c->out_len + n + 1)
			cap *= 2;
		/* past the cap, few answers are added: no slack */
		if (cap > LB_CTL_MAX_OUTPUT)
			cap = c->out_len + n + 1;
		g = realloc(c->out, cap);
		if (g == NULL)
			return false;
		c->out = g;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return true;
}

/* Send what the socket takes. */
static void
client_write(struct client *c, uint64_t now)
{
	while (unsent(c) > 0 && !c->gone) {
		ssize_t n = send(c->fd, c->out + c->out_off, unsent(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			c->gone = true;   /* it hung up */
			break;
		}
		c->out_off += (size_t)n;
		c->last_ms = now;
	}
	if (unsent(c) == 0 || c->gone) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > KEEP_BUFFER) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	client_clocks(c, now);
}

static void
reply_error(struct client *c, int code, const char *message)
{
	json_t *e = error_response(NULL, code, message);
	char *r = json_dumps(e, JSON_COMPACT);

	json_decref(e);
	if (r != NULL)
		queue_reply(c, r);
	free(r);
}

/* A line longer than any request may be: say so, read no more, close
 * once that is sent. */
static void
client_oversized(struct lb_ctl *ctl, struct client *c)
{
	ctl->st.dropped_oversized++;
	reply_error(c, LB_CTL_INVALID_REQUEST, "request larger than 1 MiB");
	c->closing = true;
	c->in_off = c->in_len = c->scanned = 0;
}

/* Answer complete lines of the input buffer while the budget and the
 * output cap allow; note whether more are complete (backlog). */
static unsigned int
client_requests(struct lb_ctl *ctl, struct client *c, uint64_t now,
		unsigned int budget)
{
	unsigned int answered = 0, count;
	char *nl;

	c->backlog = false;
	while (!c->closing && answered < budget && !over_cap(c) &&
	       c->in_off < c->in_len) {
		size_t len;
		char *resp;

		if (c->scanned < c->in_off)
			c->scanned = c->in_off;
		nl = memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);
		if (nl == NULL) {
			c->scanned = c->in_len;
			break;
		}
		len = (size_t)(nl - (c->in + c->in_off));
		if (len > 0 && c->in[c->in_off + len - 1] == '\r')
			len--;
		if (len > LB_CTL_MAX_REQUEST) {
			client_oversized(ctl, c);
			break;
		}
		if (len > 0) {
			resp = handle(ctl, c->in + c->in_off, len, c->readonly,
				      &count);
			answered += count;
			if (resp != NULL && !queue_reply(c, resp))
				c->closing = true;   /* out of memory */
			free(resp);
			c->last_ms = now;
			c->asked = true;
		}
		c->in_off = (size_t)(nl - c->in) + 1;
		c->scanned = c->in_off;
	}
	if (c->in_off == c->in_len) {
		c->in_off = c->in_len = c->scanned = 0;
		if (c->in_cap > KEEP_BUFFER) {
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
	}
	c->backlog = !c->closing && c->in_len > c->in_off &&
		memchr(c->in + c->scanned, '\n', c->in_len - c->scanned) != NULL;
	/* the stall clock runs from the first byte of the request now
	 * pending: a client making progress, or waiting for us, is never
	 * dropped */
	if (c->in_len == c->in_off || c->backlog)
		c->partial_ms = 0;
	else if (answered > 0 || c->partial_ms == 0)
		c->partial_ms = now;
	client_clocks(c, now);
	ctl->st.requests += answered;
	return answered;
}

/* Room to read into: the pending partial line moved to the start, the
 * buffer grown up to IN_MAX. False if it is full: a line longer than
 * any request may be. */
static bool
client_room(struct client *c)
{
	size_t cap;
	char *g;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->scanned -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len < c->in_cap)
		return true;
	if (c->in_cap >= IN_MAX)
		return false;
	cap = c->in_cap == 0 ? 4096 : c->in_cap * 2;
	if (cap > IN_MAX)
		cap = IN_MAX;
	g = realloc(c->in, cap);
	if (g == NULL)
		return false;
	c->in = g;
	c->in_cap = cap;
	return true;
}

/* Read and answer, up to budget requests: what is left stays in the
 * socket or the buffer for the next pass. */
static void client_reading(struct client *c, uint64_t now);

static unsigned int
client_serve(struct lb_ctl *ctl, struct client *c, uint64_t now,
	     unsigned int budget)
{
	unsigned int answered;

	/* before this pass adds answers: did it read the last ones? */
	client_reading(c, now);
	answered = client_requests(ctl, c, now, budget);

	while (answered < budget && !c->backlog && !c->closing &&
	       !over_cap(c) && c->readable && !c->eof) {
		ssize_t n;

		if (!client_room(c)) {
			client_oversized(ctl, c);
			break;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->readable = false;
			break;
		}
		if (n <= 0) {
			/* the complete requests left are answered, in
			 * turn, then the client is closed */
			c->eof = true;
			c->gone = n < 0;
			c->readable = false;
			break;
		}
		c->in_len += (size_t)n;
		answered += client_requests(ctl, c, now, budget - answered);
	}
	client_write(c, now);
	return answered;
}

/*
 * Whether a client reads its answers. What a Unix socket holds for its
 * reader is charged to the writer (SIOCOUTQ, in buffer units, not
 * bytes), so: an empty queue, or a queue smaller than at the last look
 * (our answers only add to it), means the client read; a queue that
 * never empties or shrinks for NOT_READING_MS means it does not. A
 * client that asks and never reads keeps its queue growing until the
 * socket takes no more, so the answers we hold (unsent) are no sign of
 * it before then.
 */
static void
client_reading(struct client *c, uint64_t now)
{
	int queued = 0;

	if (ioctl(c->fd, SIOCOUTQ, &queued) != 0 || queued < 0)
		queued = 0;
	if (c->read_ms == 0 || queued == 0 ||
	    (uint64_t)queued < c->read_total)
		c->read_ms = now;
	c->read_total = (uint64_t)queued;
}

/* Answers wait in its socket (or with us) now. */
static bool
unread(const struct client *c)
{
	return unsent(c) > 0 || c->read_total > 0;
}

/* Close a client that is done, or stalled, or idle too long. */
static void
client_expire(struct lb_ctl *ctl, struct client *c, uint64_t now)
{
	/* a client that hung up had this pass's share of what it sent
	 * before; one that only shut its side down gets every answer */
	if (c->gone || (c->eof && !c->backlog && unsent(c) == 0) ||
	    (c->closing && unsent(c) == 0)) {
		client_close(ctl, c);
	} else if (c->full_ms != 0 && now > c->full_ms + LB_CTL_STALL_MS) {
		ctl->st.dropped_unread++;
		client_close(ctl, c);
	} else if (c->partial_ms != 0 && c->full_ms == 0 && !c->eof &&
		   now > c->partial_ms + LB_CTL_STALL_MS) {
		ctl->st.dropped_stalled++;
		client_close(ctl, c);
	} else if (now > c->last_ms + LB_CTL_IDLE_MS) {
		ctl->st.dropped_idle++;
		client_close(ctl, c);
	}
}

/* Which clients go first when a slot is needed, and in each class who
 * first (the smaller key):
 *  0 those holding the server up (answers over the cap, closing);
 *  1 those with answers they have not read for NOT_READING_MS, and
 *    those stalled on half a request (whatever else they send): by the
 *    time they last read, or began the half request;
 *  2 idle ones that never asked anything, by their last activity;
 *  3 those with answers in flight, read a moment ago: by that moment;
 *  4 idle ones that asked and read, by their last activity;
 *  5 those with a request ready, by their last activity.
 * A client that asks and reads goes only when every other does too. */
static unsigned int
evict_rank(const struct client *c, uint64_t now, uint64_t *key)
{
	*key = c->last_ms;
	if (over_cap(c) || c->closing || c->eof)
		return 0;
	if (c->partial_ms != 0) {
		*key = c->partial_ms;
		return 1;
	}
	if (unread(c)) {
		*key = c->read_ms;
		return now > c->read_ms + NOT_READING_MS ? 1 : 3;
	}
	if (waiting(c))
		return 5;
	return c->asked ? 4 : 2;
}

/*
 * Every slot is taken: close the client of the lowest rank that made
 * progress longest ago. It is told why if nothing else is queued for
 * it. A client that asks and reads its answers is closed only when
 * every other one does too.
 */
static struct client *
evict(struct lb_ctl *ctl, uint64_t now)
{
	static const char why[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"closed to admit a new client: every slot was taken and this one had been inactive longest\"},\"id\":null}\n";
	struct client *victim = NULL;
	unsigned int i, rank = 0;
	uint64_t vkey = 0;

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];
		unsigned int r;
		uint64_t key;

		if (c->fd < 0)
			continue;
		client_reading(c, now);
		r = evict_rank(c, now, &key);
		if (victim == NULL || r < rank || (r == rank && key < vkey)) {
			victim = c;
			rank = r;
			vkey = key;
		}
	}
	if (unsent(victim) == 0 && !victim->gone &&
	    send(victim->fd, why, sizeof(why) - 1,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;   /* closing anyway */
	ctl->st.evicted++;
	client_close(ctl, victim);
	return victim;
}

static void
accept_clients(struct lb_ctl *ctl, const struct listener *l, uint64_t now,
	       unsigned int *left)
{
	while (*left > 0) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c = NULL;
		unsigned int i;

		if (fd < 0)
			return;
		(*left)--;
		for (i = 0; i < LB_CTL_MAX_CLIENTS && c == NULL; i++)
			if (ctl->clients[i].fd < 0)
				c = &ctl->clients[i];
		if (c == NULL)
			c = evict(ctl, now);
		c->fd = fd;
		c->readonly = l->readonly;
		c->readable = true;   /* its request may be there already */
		c->last_ms = now;
		c->watched = EPOLLIN;
		ctl->st.accepted++;
		ctl->st.clients++;
		ev.data.ptr = c;
		if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			client_close(ctl, c);
	}
}

unsigned int
lb_ctl_poll(struct lb_ctl *ctl, uint64_t now)
{
	struct epoll_event ev[LB_CTL_MAX_CLIENTS + 2];
	unsigned int answered = 0, accepts = LB_CTL_PASS_ACCEPTS, i, k;
	size_t held = 0;
	int n, e;

	ctl->pass++;
	n = epoll_wait(ctl->ep, ev, (int)(sizeof(ev) / sizeof(ev[0])), 0);
	for (e = 0; e < n; e++) {
		void *p = ev[e].data.ptr;
		struct client *c = p;

		if (p == &ctl->listeners[0] || p == &ctl->listeners[1]) {
			accept_clients(ctl, p, now, &accepts);
			continue;
		}
		if (c->fd < 0)
			continue;
		if (ev[e].events & (EPOLLHUP | EPOLLERR))
			c->gone = true;
		if (ev[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			c->readable = true;
		if (ev[e].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			client_write(c, now);
	}
	/* what every client holds: past LB_CTL_MAX_HELD, a client that has
	 * answers still to send gets no more until they are gone (one that
	 * has read everything is served: an administrator gets in) */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			held += client_held(&ctl->clients[i]);
	/* the clients in turn, from where the last pass stopped, each at
	 * most LB_CTL_CLIENT_REQUESTS */
	for (i = 0, k = ctl->next; i < LB_CTL_MAX_CLIENTS;
	     i++, k = (k + 1) % LB_CTL_MAX_CLIENTS) {
		struct client *c = &ctl->clients[k];
		unsigned int budget, got;
		size_t before;

		if (c->fd < 0 || !waiting(c))
			continue;
		ctl->tight = held > LB_CTL_MAX_HELD;
		if (ctl->tight && unsent(c) > 0) {
			ctl->st.held_back++;
			continue;
		}
		if (answered >= LB_CTL_PASS_REQUESTS)
			break;
		if (c->pass != ctl->pass) {
			c->pass = ctl->pass;
			c->served = 0;
		}
		if (c->served >= LB_CTL_CLIENT_REQUESTS)
			continue;
		budget = LB_CTL_CLIENT_REQUESTS - c->served;
		if (budget > LB_CTL_PASS_REQUESTS - answered)
			budget = LB_CTL_PASS_REQUESTS - answered;
		before = client_held(c);
		got = client_serve(ctl, c, now, budget);
		held = held - before + (c->fd >= 0 ? client_held(c) : 0);
		ctl->tight = false;
		c->served += got;
		answered += got;
	}
	ctl->next = k;
	/* done, stalled, unread and idle clients go; the others are
	 * watched for what they need */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		if (c->fd < 0)
			continue;
		client_expire(ctl, c, now);
		if (c->fd >= 0) {
			client_reading(c, now);
			client_watch(ctl, c);
		}
	}
	return answered;
}

/* ---- the sockets ---- */

/* A group name, or a number. */
static int
group_id(const char *group, gid_t *gid, char *err)
{
	struct group gr, *res = NULL;
	size_t size = 16384;
	char *buf = NULL, *end;
	unsigned long v;
	int rc;

	for (;;) {
		char *g = realloc(buf, size);

		if (g == NULL) {
			free(buf);
			snprintf(err, 256, "group \"%.64s\": out of memory", group);
			return -ENOMEM;
		}
		buf = g;
		rc = getgrnam_r(group, &gr, buf, size, &res);
		if (rc != ERANGE || size >= (1u << 22))
			break;
		size *= 2;
	}
	if (res != NULL)
		*gid = res->gr_gid;
	free(buf);
	if (res != NULL)
		return 0;
	errno = 0;
	v = strtoul(group, &end, 10);
	if (isdigit((unsigned char)group[0]) && *end == '\0' && errno == 0 &&
	    v < (gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	if (rc != 0)
		snprintf(err, 256, "group \"%.64s\": %s", group, strerror(rc));
	else
		snprintf(err, 256, "group \"%.64s\": no such group", group);
	return -ENOENT;
}

/* Traversal rights of a directory made for a socket: whoever may use
 * the socket may reach it (0750 for 0660). */
static mode_t
dir_mode(unsigned int mode)
{
	return 0700 | (mode & 0060 ? 0050 : 0) |
		(mode & 0006 ? 0005 : 0);
}

/* The directory of path: made if missing (one level), owned by the
 * group; left as it is if it exists. */
static int
make_dir(const char *dir, unsigned int mode, bool set_gid, gid_t gid,
	 char *err)
{
	struct stat st;
	int fd, rc = 0;

	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, 256, "%s: cannot create the directory: %s", dir,
			 strerror(errno));
		return -errno;
	}
	/* by its fd: what is set up is what was made (or an error) */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		rc = -errno;
	else if (st.st_uid != geteuid())
		rc = -EPERM;
	else if ((set_gid && fchown(fd, (uid_t)-1, gid) != 0) ||
		 fchmod(fd, dir_mode(mode)) != 0)
		rc = -errno;
	if (rc != 0)
		snprintf(err, 256, "%s: cannot set up the directory made for the socket: %s",
			 dir, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Something at path: a stale socket (nobody listening) is removed;
 * a live one, or anything else, is an error. */
static int
clear_stale(const char *path, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, 256, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, 256, "socket: %s", strerror(errno));
		return -errno;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	if (rc == 0 || rc == EAGAIN || rc == EINPROGRESS) {
		snprintf(err, 256, "%s: another process is listening there",
			 path);
		return -EADDRINUSE;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, 256, "%s: cannot remove the stale socket: %s",
			 path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Bind in a private directory, set group and mode there, listen, then
 * publish by a hard link that replaces nothing (see lb_ctl_create_params). */
static int
listen_on(const char *path, unsigned int mode, const char *group, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[108], dir[108], base[108], priv[160];
	int fd = -1, pfd = -1, rc;
	bool set_gid = group != NULL && group[0] != '\0';
	gid_t gid = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, 256, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	if (set_gid && (rc = group_id(group, &gid, err)) != 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(base, sizeof(base), "%s", basename(tmp));
	rc = make_dir(dir, mode, set_gid, gid, err);
	if (rc != 0)
		return rc;
	rc = clear_stale(path, err);
	if (rc != 0)
		return rc;
	errno = ENAMETOOLONG;
	if ((size_t)snprintf(priv, sizeof(priv), "%s/.%.32s.XXXXXX", dir,
			     base) >= sizeof(priv) || mkdtemp(priv) == NULL) {
		snprintf(err, 256, "%s: cannot make a private directory beside it: %s",
			 path, strerror(errno));
		return -errno;
	}
	pfd = open(priv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pfd < 0 || fd < 0) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	/* a private path too long for sun_path is reached through /proc */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s",
			     priv) >= sizeof(sa.sun_path))
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/s",
			 pfd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, 256, "%s: bind: %s", path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	if ((set_gid && fchownat(pfd, "s", (uid_t)-1, gid,
				 AT_SYMLINK_NOFOLLOW) != 0)) {
		snprintf(err, 256, "%s: cannot give it the group \"%s\": %s",
			 path, group, strerror(errno));
		rc = -errno;
		goto fail;
	}
	if (fchmodat(pfd, "s", mode, 0) != 0 || listen(fd, 64) != 0) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	if (linkat(pfd, "s", AT_FDCWD, path, 0) != 0) {
		snprintf(err, 256, errno == EEXIST ?
			 "%s: something appeared there meanwhile" : "%s: %s",
			 path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	unlinkat(pfd, "s", 0);
	close(pfd);
	rmdir(priv);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (pfd >= 0) {
		unlinkat(pfd, "s", 0);
		close(pfd);
	}
	rmdir(priv);
	return rc;
}

struct lb_ctl *
lb_ctl_create_params(const struct lb_ctl_params *p, char *err)
{
	struct lb_ctl *ctl = calloc(1, sizeof(*ctl));
	unsigned int i, mode = p->mode != 0 ? p->mode : 0660;

	if (ctl == NULL) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	ctl->methods = p->methods;
	ctl->n_methods = p->n_methods;
	ctl->ctx = p->ctx;
	ctl->ep = -1;
	for (i = 0; i < 2; i++) {
		ctl->listeners[i].fd = -1;
		ctl->listeners[i].readonly = i == 1;
	}
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	if (p->path == NULL)
		return ctl;   /* dispatcher only (tests) */
	ctl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->ep < 0) {
		snprintf(err, 256, "epoll: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		struct listener *l = &ctl->listeners[i];
		const char *path = i == 0 ? p->path : p->ro_path;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };

		if (path == NULL || path[0] == '\0')
			continue;
		l->fd = i == 0 ? listen_on(path, mode, p->group, err) :
			listen_on(path, p->ro_mode != 0 ? p->ro_mode : mode,
				  p->ro_group != NULL && p->ro_group[0] != '\0' ?
				  p->ro_group : p->group, err);
		if (l->fd < 0)
			goto fail;
		snprintf(l->path, sizeof(l->path), "%s", path);
		if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, l->fd, &ev) != 0) {
			snprintf(err, 256, "epoll: %s", strerror(errno));
			goto fail;
		}
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

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		const struct client *c = &ctl->clients[i];

		if (c->fd >= 0 && c->backlog && !c->closing && !over_cap(c))
			return true;
	}
	return false;
}

void
lb_ctl_stats_get(const struct lb_ctl *ctl, struct lb_ctl_stats *st)
{
	unsigned int i;

	*st = ctl->st;
	st->buffered = 0;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			st->buffered += ctl->clients[i].in_cap +
				ctl->clients[i].out_cap;
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
	for (i = 0; i < 2; i++)
		if (ctl->listeners[i].fd >= 0) {
			close(ctl->listeners[i].fd);
			unlink(ctl->listeners[i].path);
		}
	if (ctl->ep >= 0)
		close(ctl->ep);
	free(ctl);
}
