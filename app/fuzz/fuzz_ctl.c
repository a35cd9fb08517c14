/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the JSON-RPC dispatcher (framing aside) with a
 * method table exercising every parameter type, an integer range and
 * two write methods, each input answered as the read-write and as the
 * read-only socket would (numbers too large to decode take the re-scan
 * path).
 *
 * It asserts (abort() otherwise):
 * - no write handler runs for the read-only socket, and a write method
 *   called there with an id is answered LB_CTL_DENIED;
 * - a handler only sees params its table entry allows: an object of
 *   known names, each of its type and range, the required ones there;
 * - every answer is JSON-RPC 2.0: an object (or, for a batch, a
 *   non-empty array of them) holding "jsonrpc": "2.0", an id and
 *   exactly one of result and error, an error an integer code and a
 *   string message;
 * - where the input decodes as JSON, each request gets exactly one
 *   answer, in order, unless it is a valid notification (which gets
 *   none), and its id echoes the request's (null where the request had
 *   no usable id); an input that does not decode gets a parse error
 *   with id null, or (numbers too large) well-formed answers;
 * - an input that calls no write method gets the same answer from both
 *   sockets.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Name the broken invariant: the reproducer alone says only "abort". */
#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_ctl: %s:%d: invariant failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Which socket the request being handled came in on. */
static struct {
	bool readonly;
} state;

/* Each handler checks its params against its own table entry; the write
 * ones also that the read-only socket did not reach them. */
static json_t *echo(void *ctx, json_t *params, struct lb_ctl_error *err);
static json_t *none(void *ctx, json_t *params, struct lb_ctl_error *err);
static json_t *write_one(void *ctx, json_t *params,
			 struct lb_ctl_error *err);
static json_t *reset(void *ctx, json_t *params, struct lb_ctl_error *err);

enum { M_ECHO, M_NONE, M_WRITE, M_RESET };

static const struct lb_ctl_method methods[] = {
	[M_ECHO] = { "echo", "returns its params",
	  { { "s", LB_CTL_STRING, true, "" }, { "i", LB_CTL_INTEGER, false, "" },
	    { "b", LB_CTL_BOOLEAN, false, "" }, { "o", LB_CTL_OBJECT, false, "" },
	    { "a", LB_CTL_ARRAY, false, "" }, { "fail", LB_CTL_BOOLEAN, false, "" },
	    { "r", LB_CTL_INTEGER, false, "", -5, 65535 },
	    { "p", LB_CTL_INT_OR_STRING, false, "" },
	    { NULL } }, echo },
	[M_NONE] = { "none", "no params", { { NULL } }, none },
	[M_WRITE] = { "write", "a write method",
		      { { "i", LB_CTL_INTEGER, false, "", 1, 10 },
			{ NULL } }, write_one, LB_CTL_WRITE },
	[M_RESET] = { "reset", "a write method without params", { { NULL } },
		      reset, LB_CTL_WRITE },
};

#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

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

/* The dispatcher promises handlers params of their table's shape. */
static void
check_params(const struct lb_ctl_method *m, json_t *params)
{
	const struct lb_ctl_param *p;
	const char *key;
	json_t *v;

	REQUIRE(json_is_object(params));
	json_object_foreach(params, key, v) {
		for (p = m->params; p->name != NULL; p++)
			if (strcmp(p->name, key) == 0)
				break;
		REQUIRE(p->name != NULL);
		REQUIRE(has_type(v, p->type));
		REQUIRE(p->type != LB_CTL_INTEGER ||
			(p->min == 0 && p->max == 0) ||
			(json_integer_value(v) >= p->min &&
			 json_integer_value(v) <= p->max));
	}
	for (p = m->params; p->name != NULL; p++)
		REQUIRE(!p->required ||
			json_object_get(params, p->name) != NULL);
}

static json_t *
echo(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	check_params(&methods[M_ECHO], params);
	if (json_object_get(params, "fail") != NULL)
		return lb_ctl_fail(err, LB_CTL_FAILED, "failed as asked");
	return json_deep_copy(params);
}

static json_t *
none(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	(void)err;
	check_params(&methods[M_NONE], params);
	return json_deep_copy(params);
}

static json_t *
write_one(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	(void)err;
	REQUIRE(!state.readonly);
	check_params(&methods[M_WRITE], params);
	return json_deep_copy(params);
}

static json_t *
reset(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	(void)err;
	REQUIRE(!state.readonly);
	check_params(&methods[M_RESET], params);
	return json_true();
}

/* ---- what a request must be answered ---- */

static bool
is_str(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* The id an answer must carry; NULL: null (the request has none the
 * answer can echo). */
static const json_t *
expected_id(const json_t *q)
{
	const json_t *id = json_is_object(q) ? json_object_get(q, "id") : NULL;

	if (json_is_string(id) || json_is_integer(id) || json_is_null(id))
		return id;
	return NULL;
}

/* An object with an id of a valid type (if any), "jsonrpc": "2.0" and a
 * method name: what the dispatcher looks the method up for. */
static bool
valid_call(const json_t *q)
{
	const json_t *id = json_is_object(q) ? json_object_get(q, "id") : NULL;

	return json_is_object(q) && (id == NULL || expected_id(q) != NULL) &&
	       is_str(json_object_get(q, "jsonrpc"), "2.0") &&
	       json_is_string(json_object_get(q, "method"));
}

/* A valid notification is never answered, whatever becomes of it. */
static bool
answered(const json_t *q)
{
	return !valid_call(q) || json_object_get(q, "id") != NULL;
}

static bool
calls_write(const json_t *q)
{
	const json_t *name = json_is_object(q) ?
		json_object_get(q, "method") : NULL;
	unsigned int i;

	for (i = 0; i < N_METHODS; i++)
		if ((methods[i].flags & LB_CTL_WRITE) &&
		    is_str(name, methods[i].name))
			return true;
	return false;
}

static bool
input_calls_write(const json_t *req)
{
	size_t i;
	json_t *q;

	if (!json_is_array(req))
		return calls_write(req);
	json_array_foreach(req, i, q)
		if (calls_write(q))
			return true;
	return false;
}

/* JSON-RPC 2.0's response object. */
static void
check_shape(const json_t *r)
{
	const json_t *id, *e;

	REQUIRE(json_is_object(r));
	REQUIRE(is_str(json_object_get(r, "jsonrpc"), "2.0"));
	id = json_object_get(r, "id");
	REQUIRE(json_is_string(id) || json_is_integer(id) || json_is_null(id));
	e = json_object_get(r, "error");
	REQUIRE((json_object_get(r, "result") != NULL) != (e != NULL));
	REQUIRE(json_object_size(r) == 3);
	if (e != NULL) {
		REQUIRE(json_is_object(e));
		REQUIRE(json_is_integer(json_object_get(e, "code")));
		REQUIRE(json_is_string(json_object_get(e, "message")));
		REQUIRE(json_object_size(e) ==
			2 + (json_object_get(e, "data") != NULL));
	}
}

static json_int_t
error_code(const json_t *r)
{
	return json_integer_value(json_object_get(json_object_get(r, "error"),
						  "code"));
}

/* The answer to one request q. */
static void
check_one(const json_t *r, const json_t *q, bool readonly)
{
	const json_t *want = expected_id(q), *id;

	check_shape(r);
	id = json_object_get(r, "id");
	REQUIRE(want == NULL ? json_is_null(id) : json_equal(id, want));
	if (readonly && valid_call(q) && calls_write(q))
		REQUIRE(error_code(r) == LB_CTL_DENIED);
}

/* The answer text out to the input, decoded here as req (NULL if it
 * does not decode). */
static void
check_answer(const json_t *req, const char *out, bool readonly)
{
	json_t *ans, *r, *q;
	size_t i, k;

	if (out == NULL) {
		/* nothing but valid notifications: the input decoded, or
		 * only its numbers were too large */
		if (req == NULL)
			return;
		if (!json_is_array(req)) {
			REQUIRE(!answered(req));
			return;
		}
		REQUIRE(json_array_size(req) >= 1 &&
			json_array_size(req) <= LB_CTL_MAX_BATCH);
		json_array_foreach(req, i, q)
			REQUIRE(!answered(q));
		return;
	}
	ans = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
	REQUIRE(ans != NULL);
	if (req == NULL) {
		if (json_is_array(ans)) {
			REQUIRE(json_array_size(ans) > 0);
			json_array_foreach(ans, i, r)
				check_shape(r);
		} else {
			check_shape(ans);
			REQUIRE(error_code(ans) != LB_CTL_PARSE_ERROR ||
				json_is_null(json_object_get(ans, "id")));
		}
	} else if (!json_is_array(req)) {
		REQUIRE(answered(req));
		check_one(ans, req, readonly);
	} else if (json_array_size(req) == 0 ||
		   json_array_size(req) > LB_CTL_MAX_BATCH) {
		check_shape(ans);
		REQUIRE(error_code(ans) == LB_CTL_INVALID_REQUEST);
		REQUIRE(json_is_null(json_object_get(ans, "id")));
	} else if (strlen(out) > LB_CTL_MAX_OUTPUT) {
		/* past it, the rest of a batch is "not run", and invalid
		 * notifications among them get no answer */
		REQUIRE(json_is_array(ans) && json_array_size(ans) > 0);
		json_array_foreach(ans, i, r)
			check_shape(r);
	} else {
		/* answers in request order, one per answered request */
		REQUIRE(json_is_array(ans) && json_array_size(ans) > 0);
		k = 0;
		json_array_foreach(req, i, q) {
			if (!answered(q))
				continue;
			REQUIRE(k < json_array_size(ans));
			check_one(json_array_get(ans, k++), q, readonly);
		}
		REQUIRE(k == json_array_size(ans));
	}
	json_decref(ans);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_ctl *ctl;
	const struct lb_ctl_params p = {
		.methods = methods,
		.n_methods = N_METHODS,
	};
	char err[256], *rw, *ro;
	json_t *req;

	if (ctl == NULL)
		ctl = lb_ctl_create_params(&p, err);
	state.readonly = false;
	rw = lb_ctl_handle(ctl, (const char *)data, size);
	state.readonly = true;
	ro = lb_ctl_handle_readonly(ctl, (const char *)data, size);

	/* as the dispatcher decodes it */
	req = json_loadb((const char *)data, size,
			 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	check_answer(req, rw, false);
	/* the same text passes the same checks: decode it once */
	if (req != NULL && !input_calls_write(req))
		REQUIRE(rw == NULL ? ro == NULL :
			ro != NULL && strcmp(rw, ro) == 0);
	else
		check_answer(req, ro, true);
	json_decref(req);
	free(rw);
	free(ro);
	return 0;
}
