/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The dispatcher: one request text (a request or a batch) answered as
 * the read-write or the read-only socket would. Methods come from the
 * table; params are checked against the method's list before its
 * handler runs; "help" is built in.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"

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

json_t *
ctl_error_response(json_t *id, int code, const char *message)
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
		 const struct ctl_ovf_entry *e, char *msg, size_t size)
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

/* One request object: a response object, or NULL for a notification;
 * *work: what it cost (its method's cost and what the handler charged,
 * LB_CTL_CALL_WORK if no handler ran). */
static json_t *
dispatch(struct lb_ctl *ctl, json_t *req, bool readonly,
	 const struct ctl_ovf_entry *ovf, uint64_t *work, bool resumed,
	 bool *wait)
{
	struct lb_ctl_error err = {
		.code = LB_CTL_INTERNAL_ERROR,
		.may_wait = wait != NULL,
		.resumed = resumed,
	};
	const struct lb_ctl_method *m;
	json_t *id, *params, *result, *version, *method;
	const char *name;
	char msg[320];

	*work = LB_CTL_CALL_WORK;
	if (!json_is_object(req))
		return ctl_error_response(NULL, LB_CTL_INVALID_REQUEST,
					  "a request is a JSON object");
	id = json_object_get(req, "id");
	version = json_object_get(req, "jsonrpc");
	method = json_object_get(req, "method");
	params = json_object_get(req, "params");
	if (id != NULL && !json_is_string(id) && !json_is_integer(id) &&
	    !json_is_null(id))
		return ctl_error_response(NULL, LB_CTL_INVALID_REQUEST,
					  "\"id\" must be a string, an integer or null");
	if (!json_is_string(version) ||
	    strcmp(json_string_value(version), "2.0") != 0)
		return ctl_error_response(id, LB_CTL_INVALID_REQUEST,
					  "\"jsonrpc\" must be \"2.0\"");
	if (!json_is_string(method))
		return ctl_error_response(id, LB_CTL_INVALID_REQUEST,
					  "\"method\" must be a string");

	name = json_string_value(method);

	/* "help" is built in; any other name must be registered */
	m = strcmp(name, "help") == 0 ? NULL : find_method(ctl, name);
	if (m == NULL && strcmp(name, "help") != 0) {
		snprintf(msg, sizeof(msg), "no method \"%.200s\" (\"help\" lists them)",
			 name);
		return id != NULL ? ctl_error_response(id, LB_CTL_METHOD_NOT_FOUND,
						       msg) : NULL;
	}
	if (m != NULL && readonly && (m->flags & LB_CTL_WRITE)) {
		ctl->st.denied++;
		snprintf(msg, sizeof(msg), "permission denied: %s needs the read-write control socket",
			 m->name);
		return id != NULL ? ctl_error_response(id, LB_CTL_DENIED, msg) : NULL;
	}
	if (params != NULL && !json_is_object(params))
		return id != NULL ? ctl_error_response(id, LB_CTL_INVALID_PARAMS,
			"params: expected an object of named parameters") : NULL;
	if (ovf != NULL) {
		overflow_message(m, name, ovf, msg, sizeof(msg));
		return id != NULL ? ctl_error_response(id, LB_CTL_INVALID_PARAMS,
						       msg) : NULL;
	}
	if (m == NULL) {
		const char *key;
		json_t *v;

		json_object_foreach(params, key, v) {
			snprintf(msg, sizeof(msg), "params.%.64s: help takes no such parameter",
				 key);
			return id != NULL ? ctl_error_response(id,
				LB_CTL_INVALID_PARAMS, msg) : NULL;
		}
		result = help(ctl);
		goto done;
	}
	params = params != NULL ? json_incref(params) : json_object();
	/* the shape of params is checked here, once, for every method */
	if (check_params(m, params, msg, sizeof(msg)) != 0) {
		json_decref(params);
		return id != NULL ? ctl_error_response(id, LB_CTL_INVALID_PARAMS,
						       msg) : NULL;
	}
	result = m->handler_arg != NULL ?
		m->handler_arg(ctl->ctx, m->arg, params, &err) :
		m->handler(ctl->ctx, params, &err);
	json_decref(params);
	*work = (m->cost != 0 ? m->cost : LB_CTL_CALL_WORK) + err.work;
	if (result == NULL && err.code == LB_CTL_AGAIN) {
		if (wait != NULL) {
			*wait = true;
			return NULL;
		}
		snprintf(err.message, sizeof(err.message),
			 "%s cannot wait here: send it on its own", m->name);
		err.code = LB_CTL_INTERNAL_ERROR;
	}
	if (result == NULL)
		return id != NULL ? ctl_error_response(id, err.code, err.message) :
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
		e = ctl_error_response(json_object_get(resp, "id"),
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
 * LB_CTL_MAX_OUTPUT, or their work LB_CTL_CLIENT_WORK, the requests left
 * are not run (each answered so). */
static char *
handle_batch(struct lb_ctl *ctl, json_t *req, bool readonly,
	     const struct ctl_ovf *ovf, unsigned int *count, uint64_t *work)
{
	size_t i, len = 1;
	char *buf = strdup("["), *text;
	json_t *r, *one;
	bool full = false;
	uint64_t w;

	if (buf == NULL)
		return NULL;
	json_array_foreach(req, i, r) {
		const struct ctl_ovf_entry *e = ovf != NULL && ovf->e[i + 1].set ?
			&ovf->e[i + 1] : NULL;

		if (full || *work >= LB_CTL_CLIENT_WORK) {
			json_t *id = json_is_object(r) ?
				json_object_get(r, "id") : NULL;

			if (id == NULL)
				continue;
			one = ctl_error_response(id, LB_CTL_INTERNAL_ERROR, full ?
						 "not run: the answers to this batch already exceed 1 MiB" :
						 "not run: this batch already did the work a client is given at once: send it again");
		} else {
			one = dispatch(ctl, r, readonly, e, &w, false, NULL);
			(*count)++;
			*work += w;
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
decode(const char *text, size_t len, json_error_t *jerr, struct ctl_ovf **ovf)
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
	n = ctl_scan_numbers(text, len, fixed, *ovf);
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

char *
ctl_handle(struct lb_ctl *ctl, const char *text, size_t len, bool readonly,
	   unsigned int *count, uint64_t *work, bool *wait)
{
	bool resumed = wait != NULL && *wait;
	json_t *req, *resp = NULL;
	json_error_t jerr;
	struct ctl_ovf *ovf;
	char *out = NULL;

	if (wait != NULL)
		*wait = false;
	*count = 1;
	*work = LB_CTL_CALL_WORK;
	req = decode(text, len, &jerr, &ovf);
	if (req == NULL) {
		char msg[320];

		snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s",
			 jerr.column, jerr.text);
		resp = ctl_error_response(NULL, LB_CTL_PARSE_ERROR, msg);
	} else if (json_is_array(req)) {
		char msg[96];

		if (json_array_size(req) == 0) {
			resp = ctl_error_response(NULL, LB_CTL_INVALID_REQUEST,
						  "empty batch");
		} else if (json_array_size(req) > LB_CTL_MAX_BATCH) {
			snprintf(msg, sizeof(msg), "a batch of %zu requests: at most %u",
				 json_array_size(req), LB_CTL_MAX_BATCH);
			resp = ctl_error_response(NULL, LB_CTL_INVALID_REQUEST,
						  msg);
		} else {
			*count = 0;
			*work = 0;
			out = handle_batch(ctl, req, readonly, ovf, count,
					   work);
		}
	} else {
		resp = dispatch(ctl, req, readonly,
				ovf != NULL && ovf->e[0].set ? &ovf->e[0] : NULL,
				work, resumed, wait);
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
	uint64_t work;

	return ctl_handle(ctl, text, len, false, &count, &work, NULL);
}

char *
lb_ctl_handle_readonly(struct lb_ctl *ctl, const char *text, size_t len)
{
	unsigned int count;
	uint64_t work;

	return ctl_handle(ctl, text, len, true, &count, &work, NULL);
}
