/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The JSON-RPC dispatcher: validation before handlers (types, integer
 * ranges, numbers too large to decode), error codes, notifications,
 * batches, the read-only role; and, on real Unix sockets in a scratch
 * directory, the control socket as a hostile boundary: its mode and
 * group, eviction when every slot is taken, the per-client budget of a
 * poll, back-pressure on unread answers, stalled, idle and oversized
 * clients. No EAL. Time is the now_ms given to lb_ctl_poll(): no test
 * sleeps or measures time. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lb_core.h"
#include "lb_ctl.h"
#include "lb_ctl_api.h"
#include "test_util.h"

static int calls;          /* member.set */
static int calls_a;        /* member.set {"name": "a"} */
static int status_calls;
static int big_calls;
static int scan_calls;
static int costly_calls;
static int slow_calls;         /* "slow": calls, resumed ones too */
static int slow_resumed;
static int slow_needs = 3;     /* calls before it is done */

static json_t *
set(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	calls++;
	if (strcmp(json_string_value(json_object_get(params, "name")), "a") == 0)
		calls_a++;
	if (json_integer_value(json_object_get(params, "count")) > 100)
		return lb_ctl_fail(err, LB_CTL_FAILED, "count too big for the test");
	return json_pack("{s:O}", "name", json_object_get(params, "name"));
}

static json_t *
status(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	(void)params;
	(void)err;
	status_calls++;
	return json_pack("{s:b}", "active", true);
}

/* An answer of params.size bytes of 'x'. */
static json_t *
big(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	size_t n = (size_t)json_integer_value(json_object_get(params, "size"));
	char *s = malloc(n + 1);
	json_t *r;

	(void)ctx;
	big_calls++;
	if (s == NULL)
		return lb_ctl_fail(err, LB_CTL_INTERNAL_ERROR, "no memory");
	memset(s, 'x', n);
	s[n] = '\0';
	r = json_string(s);
	free(s);
	return r;
}

/* Work as a walk of params.work positions would charge it. */
static json_t *
scan(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	scan_calls++;
	lb_ctl_charge(err, (uint64_t)json_integer_value(json_object_get(params,
								     "work")));
	return json_pack("{s:b}", "done", true);
}

/* A method of a fixed, large cost. */
static json_t *
costly(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	(void)params;
	(void)err;
	costly_calls++;
	return json_pack("{s:b}", "done", true);
}

/* A method that is done at its slow_needs-th call: until then it
 * waits where it may (LB_CTL_AGAIN) and answers "done": false where it
 * may not. */
static json_t *
slow(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	(void)params;
	slow_calls++;
	slow_resumed += err->resumed;
	if (slow_calls < slow_needs && err->may_wait) {
		err->code = LB_CTL_AGAIN;
		return NULL;
	}
	return json_pack("{s:b}", "done", slow_calls >= slow_needs);
}

static const struct lb_ctl_method methods[] = {
	{ "member.set", "test",
	  { { "name", LB_CTL_STRING, true, "" },
	    { "weight", LB_CTL_INTEGER, false, "", 0, 65535 },
	    { "opts", LB_CTL_OBJECT, false, "" },
	    { "count", LB_CTL_INTEGER, false, "" }, { NULL } },
	  set, LB_CTL_WRITE },
	{ "status", "test", { { NULL } }, status },
	{ "big", "an answer of size bytes",
	  { { "size", LB_CTL_INTEGER, true, "", 1, 8 << 20 }, { NULL } }, big },
	{ .name = "scan", .help = "charges work",
	  .params = { { "work", LB_CTL_INTEGER, true, "", 0, 1 << 30 },
		      { NULL } },
	  .handler = scan },
	{ .name = "costly", .help = "costs half a client's work of a poll",
	  .handler = costly, .cost = LB_CTL_CLIENT_WORK / 2 },
	{ .name = "slow", .help = "done at its third call", .handler = slow },
};

#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static struct lb_ctl *
dispatcher(void)
{
	const struct lb_ctl_params p = {
		.methods = methods, .n_methods = N_METHODS,
	};
	char err[256];
	struct lb_ctl *ctl = lb_ctl_create_params(&p, err);

	assert_non_null(ctl);
	return ctl;
}

static json_t *
parse(char *out)
{
	json_error_t e;
	json_t *r;

	if (out == NULL)
		return NULL;
	r = json_loads(out, 0, &e);
	free(out);
	assert_non_null(r);
	return r;
}

static json_t *
ask(struct lb_ctl *ctl, const char *req)
{
	return parse(lb_ctl_handle(ctl, req, strlen(req)));
}

static json_t *
ask_ro(struct lb_ctl *ctl, const char *req)
{
	return parse(lb_ctl_handle_readonly(ctl, req, strlen(req)));
}

static int
code(json_t *r)
{
	return (int)json_integer_value(json_object_get(json_object_get(r,
		"error"), "code"));
}

static const char *
message(json_t *r)
{
	const char *m = json_string_value(json_object_get(json_object_get(r,
		"error"), "message"));

	return m != NULL ? m : "";
}

/* The answer r is the error code with exactly this message. */
static void
assert_error(json_t *r, int c, const char *msg)
{
	assert_non_null(r);
	assert_int_equal(code(r), c);
	assert_string_equal(message(r), msg);
	json_decref(r);
}

static void
ctl_validates_params_before_the_handler(void **state)
{
	struct lb_ctl *ctl = dispatcher();
	json_t *r;

	(void)state;
	calls = 0;
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":1},\"id\":1}");
	assert_error(r, LB_CTL_INVALID_PARAMS, "params.name: expected a string");
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"weight\":1},\"id\":1}");
	assert_error(r, LB_CTL_INVALID_PARAMS, "params.name: required by member.set");
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"x\":1},\"id\":1}");
	assert_error(r, LB_CTL_INVALID_PARAMS,
		     "params.x: member.set takes no such parameter");
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":[1],\"id\":1}");
	assert_int_equal(code(r), LB_CTL_INVALID_PARAMS);
	json_decref(r);
	assert_int_equal(calls, 0);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"count\":200},\"id\":1}");
	assert_int_equal(calls, 1);
	assert_error(r, LB_CTL_FAILED, "count too big for the test");
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"},\"id\":\"x\"}");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(r, "result"), "name")), "a");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x");
	json_decref(r);
	lb_ctl_free(ctl);
}

/* A declared range is checked before the handler; an integer given as
 * a real (1.0, 1e3) is refused naming the param. */
static void
ctl_integer_params_have_a_range_and_no_reals(void **state)
{
	static const struct {
		const char *weight;
		const char *message;   /* NULL: accepted */
	} cases[] = {
		{ "0", NULL },
		{ "65535", NULL },
		{ "65536", "params.weight: 65536 is out of range [0, 65535]" },
		{ "70000", "params.weight: 70000 is out of range [0, 65535]" },
		{ "-1", "params.weight: -1 is out of range [0, 65535]" },
		{ "-9223372036854775808", "params.weight: -9223372036854775808 is out of range [0, 65535]" },
		{ "1.0", "params.weight: expected an integer, not the real number 1.0" },
		{ "1e3", "params.weight: expected an integer, not the real number 1000.0" },
		{ "\"5\"", "params.weight: expected an integer" },
	};
	struct lb_ctl *ctl = dispatcher();
	char req[256];
	unsigned int i;
	json_t *r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		calls = 0;
		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"b\",\"weight\":%s},\"id\":7}",
			 cases[i].weight);
		r = ask(ctl, req);
		if (cases[i].message == NULL) {
			assert_non_null(json_object_get(r, "result"));
			assert_int_equal(calls, 1);
			json_decref(r);
		} else {
			assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
			assert_error(r, LB_CTL_INVALID_PARAMS, cases[i].message);
			assert_int_equal(calls, 0);
		}
	}
	/* no declared range: any integer */
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"b\",\"count\":-9223372036854775808},\"id\":1}");
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	lb_ctl_free(ctl);
}

/* Numbers jansson cannot decode (beyond int64, beyond double) inside
 * params: invalid params naming the param (and its range), the id kept,
 * the handler not run; anywhere else: a parse error. */
static void
ctl_numbers_too_large_are_invalid_params(void **state)
{
	static const struct {
		const char *req;
		int code;
		const char *message;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":9223372036854775808},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.weight: 9223372036854775808 is out of range [0, 65535]" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":1e400},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.weight: 1e400 is out of range [0, 65535]" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":-1.5E+999},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.weight: -1.5E+999 is out of range [0, 65535]" },
		{ "{\"id\":3,\"params\":{\"count\":-99999999999999999999,\"name\":\"a\"},\"method\":\"member.set\",\"jsonrpc\":\"2.0\"}",
		  LB_CTL_INVALID_PARAMS, "params.count: -99999999999999999999 is out of range" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"opts\":{\"deep\":[1,{\"x\":1e999}]}},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.opts.deep[1].x: 1e999 is out of range" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"w\\u0065ight\":1e400},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.weight: 1e400 is out of range [0, 65535]" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"colour\":1e400},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.colour: member.set takes no such parameter" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":100000000000000000000000000000000000000000000000000000000000000000},\"id\":3}",
		  LB_CTL_INVALID_PARAMS, "params.weight: 100000000000...(66 characters) is out of range [0, 65535]" },
		/* the method is checked first */
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"params\":{\"x\":1e400},\"id\":3}",
		  LB_CTL_METHOD_NOT_FOUND, "no method \"nope\" (\"help\" lists them)" },
		/* outside params: the text cannot be decoded */
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1e400}",
		  LB_CTL_PARSE_ERROR, "invalid JSON at column 45: real number overflow near '1e400'" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":99999999999999999999}",
		  LB_CTL_PARSE_ERROR, "invalid JSON at column 60: too big integer near '99999999999999999999'" },
		{ "1e400", LB_CTL_PARSE_ERROR,
		  "invalid JSON at column 5: real number overflow near '1e400'" },
		/* a syntax error after it: still a parse error (the first one) */
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"params\":{\"x\":1e400},\"id\":1,}",
		  LB_CTL_PARSE_ERROR, "invalid JSON at column 54: real number overflow near '1e400'" },
	};
	struct lb_ctl *ctl = dispatcher();
	unsigned int i;
	json_t *r;

	(void)state;
	calls = 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = ask(ctl, cases[i].req);
		if (cases[i].code != LB_CTL_PARSE_ERROR)
			assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
		else
			assert_true(json_is_null(json_object_get(r, "id")));
		assert_error(r, cases[i].code, cases[i].message);
	}
	assert_int_equal(calls, 0);
	/* "1e400" in a string is only a string; a tiny real is 0 */
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"1e400\",\"opts\":{\"t\":1e-400}},\"id\":4}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r,
		"result"), "name")), "1e400");
	json_decref(r);
	assert_int_equal(calls, 1);
	/* a notification: no answer, not run */
	assert_null(ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":1e400}}"));
	/* in a batch, only the request holding it is refused */
	r = ask(ctl, "[{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"},\"id\":1},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":18446744073709551616},\"id\":2},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"c\",\"weight\":5},\"id\":3}]");
	assert_int_equal(json_array_size(r), 3);
	assert_non_null(json_object_get(json_array_get(r, 0), "result"));
	assert_non_null(json_object_get(json_array_get(r, 2), "result"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 1), "id")), 2);
	assert_error(json_incref(json_array_get(r, 1)), LB_CTL_INVALID_PARAMS,
		     "params.weight: 18446744073709551616 is out of range [0, 65535]");
	json_decref(r);
	assert_int_equal(calls, 3);
	lb_ctl_free(ctl);
}

static void
ctl_error_codes(void **state)
{
	struct lb_ctl *ctl = dispatcher();
	json_t *r;

	(void)state;
	r = ask(ctl, "{oops");
	assert_int_equal(code(r), LB_CTL_PARSE_ERROR);
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	r = ask(ctl, "42");
	assert_int_equal(code(r), LB_CTL_INVALID_REQUEST);
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"1.0\",\"method\":\"member.set\",\"id\":1}");
	assert_int_equal(code(r), LB_CTL_INVALID_REQUEST);
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}");
	assert_int_equal(code(r), LB_CTL_METHOD_NOT_FOUND);
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"params\":{\"x\":1},\"id\":1}");
	assert_error(r, LB_CTL_INVALID_PARAMS,
		     "params.x: help takes no such parameter");
	lb_ctl_free(ctl);
}

/* help lists every method, says which are read-only, and the ranges. */
static void
ctl_help_shows_read_only_methods_and_ranges(void **state)
{
	struct lb_ctl *ctl = dispatcher();
	json_t *r, *list, *set_help, *weight;

	(void)state;
	r = ask_ro(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"id\":1}");
	list = json_object_get(r, "result");
	assert_int_equal(json_array_size(list), N_METHODS);
	set_help = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(set_help, "method")),
			    "member.set");
	assert_true(json_is_false(json_object_get(set_help, "read_only")));
	assert_true(json_is_true(json_object_get(json_array_get(list, 1),
						 "read_only")));
	weight = json_array_get(json_object_get(set_help, "params"), 1);
	assert_int_equal(json_integer_value(json_object_get(weight, "min")), 0);
	assert_int_equal(json_integer_value(json_object_get(weight, "max")), 65535);
	assert_null(json_object_get(json_array_get(json_object_get(set_help,
		"params"), 0), "min"));
	json_decref(r);
	lb_ctl_free(ctl);
}

/* On the read-only socket a write method is refused before its params
 * are looked at, and never runs (not even as a notification); read
 * methods answer. */
static void
ctl_read_only_role_refuses_write_methods(void **state)
{
	struct lb_ctl *ctl = dispatcher();
	struct lb_ctl_stats st;
	json_t *r;

	(void)state;
	calls = status_calls = 0;
	r = ask_ro(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":1},\"id\":1}");
	assert_error(r, LB_CTL_DENIED,
		     "permission denied: member.set needs the read-write control socket");
	r = ask_ro(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"bogus\":1},\"id\":1}");
	assert_int_equal(code(r), LB_CTL_DENIED);
	json_decref(r);
	assert_null(ask_ro(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"}}"));
	assert_int_equal(calls, 0);
	r = ask_ro(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}");
	assert_true(json_is_true(json_object_get(json_object_get(r, "result"),
						 "active")));
	json_decref(r);
	assert_int_equal(status_calls, 1);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.denied, 3);
	/* the same request on the read-write role runs */
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":1},\"id\":1}");
	assert_non_null(json_object_get(r, "result"));
	json_decref(r);
	assert_int_equal(calls, 1);
	lb_ctl_free(ctl);
}

static void
ctl_notifications_and_batches(void **state)
{
	struct lb_ctl *ctl = dispatcher();
	char *req, *p;
	unsigned int i;
	json_t *r;

	(void)state;
	calls = 0;
	assert_null(ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"}}"));
	assert_int_equal(calls, 1);
	r = ask(ctl, "[{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"},\"id\":1},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"b\"}},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2}]");
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 2);
	assert_int_equal(code(json_array_get(r, 1)), LB_CTL_METHOD_NOT_FOUND);
	json_decref(r);
	r = ask(ctl, "[]");
	assert_int_equal(code(r), LB_CTL_INVALID_REQUEST);
	json_decref(r);
	assert_null(ask(ctl, "[{\"jsonrpc\":\"2.0\",\"method\":\"status\"}]"));
	/* a batch larger than LB_CTL_MAX_BATCH is refused whole */
	req = malloc((LB_CTL_MAX_BATCH + 1) * 64 + 2);
	assert_non_null(req);
	p = req;
	*p++ = '[';
	for (i = 0; i <= LB_CTL_MAX_BATCH; i++)
		p += sprintf(p, "%s{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":%u}",
			     i > 0 ? "," : "", i);
	strcpy(p, "]");
	status_calls = 0;
	r = ask(ctl, req);
	free(req);
	assert_error(r, LB_CTL_INVALID_REQUEST, "a batch of 65 requests: at most 64");
	assert_int_equal(status_calls, 0);
	lb_ctl_free(ctl);
}

/* A batch stops running requests once its answers pass
 * LB_CTL_MAX_OUTPUT (the others are answered "not run"); one answer
 * over LB_CTL_MAX_ANSWER is replaced by an error. */
static void
ctl_batch_and_answer_sizes_are_bounded(void **state)
{
	struct lb_ctl *ctl = dispatcher();
	char req[4096], *p = req;
	unsigned int i, run = 0, not_run = 0;
	json_t *r, *e;
	size_t k;

	(void)state;
	*p++ = '[';
	for (i = 0; i < 20; i++)
		p += sprintf(p, "%s{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"size\":100000},\"id\":%u}",
			     i > 0 ? "," : "", i);
	strcpy(p, "]");
	big_calls = 0;
	r = ask(ctl, req);
	assert_int_equal(json_array_size(r), 20);
	json_array_foreach(r, k, e) {
		assert_int_equal(json_integer_value(json_object_get(e, "id")), k);
		if (json_object_get(e, "result") != NULL) {
			run++;
			assert_int_equal(not_run, 0);   /* in order */
		} else {
			assert_string_equal(message(e), "not run: the answers to this batch already exceed 1 MiB");
			not_run++;
		}
	}
	json_decref(r);
	/* 11 answers of 100 kB pass 1 MiB */
	assert_int_equal(run, 11);
	assert_int_equal(big_calls, 11);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"size\":5000000},\"id\":9}");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
	assert_error(r, LB_CTL_INTERNAL_ERROR, "the answer is 5000036 bytes, more than the 4194304 a client may be sent at once: ask for less");
	lb_ctl_free(ctl);
}

/* ---- lib/api's methods (lb_ctl_api.h) ---- */

static const char api_conf[] =
"{\"ports\": [{\"name\": \"lan0\", \"address\": \"198.51.100.2/24\"}],"
" \"vips\": [\"198.51.100.100\"],"
" \"members\": [{\"name\": \"fe1\", \"address\": \"198.51.100.11\"}],"
" \"services\": [{\"name\": \"smtp\", \"vip\": \"*\", \"protocol\": \"tcp\","
"  \"port\": 25, \"members\": [\"fe1\"]}]}";

#define API_REQ(m, p) "{\"jsonrpc\":\"2.0\",\"method\":\"" m "\",\"params\":" p ",\"id\":1}"

/* The answer text to req, as the read-write socket sends it (without
 * its newline), is want. */
static void
assert_answer(struct lb_ctl *ctl, const char *req, const char *want)
{
	char *out = lb_ctl_handle(ctl, req, strlen(req));

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

/* lib/api's table served by the dispatcher: its params checked from
 * the table before a handler runs, its write methods refused on the
 * read-only socket, help built from it, each lib/api error code
 * answered with its JSON-RPC code and the handler's message, byte for
 * byte. */
static void
ctl_serves_lib_api_methods(void **state)
{
	struct lb_core_params cp = { .qsbr = NULL, .socket_id = -1 };
	struct lb_ctl_method m[32];
	struct lb_ctl_params p = { .methods = m, .ctx = NULL };
	struct lb_conf_error cerr;
	struct lb_api api = { 0 };
	struct lb_conf *conf;
	struct lb_ctl *ctl;
	json_t *r, *add = NULL, *v;
	char err[256];
	size_t i;

	(void)state;
	assert_true(lb_api_n_methods <= 32);
	conf = lb_conf_parse(api_conf, "t.json", &cerr);
	if (conf == NULL)
		fail_msg("%s", cerr.msg);
	api.core = lb_core_create(&cp);
	assert_non_null(api.core);
	if (lb_core_apply_conf(api.core, conf, NULL, NULL, &cerr) != 0)
		fail_msg("%s", cerr.msg);
	lb_conf_free(conf);
	lb_core_set_started(api.core);
	p.n_methods = lb_ctl_api_methods(m);
	assert_int_equal(p.n_methods, lb_api_n_methods);
	p.ctx = &api;
	ctl = lb_ctl_create_params(&p, err);
	assert_non_null(ctl);

	/* params, checked from lib/api's table */
	assert_answer(ctl, API_REQ("member.add", "{\"address\":\"198.51.100.20\"}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.name: required by member.add\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.add", "{\"name\":\"fe9\",\"address\":7}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.address: expected a string\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.add", "{\"name\":\"fe9\",\"address\":\"198.51.100.20\",\"colour\":1}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.colour: member.add takes no such parameter\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.add", "{\"name\":\"fe9\",\"address\":\"198.51.100.20\",\"weight\":70000}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.weight: 70000 is out of range [0, 65535]\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.set", "{\"name\":\"fe1\",\"weight\":\"1\"}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.weight: expected an integer\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.remove", "{\"name\":\"fe1\",\"force\":1}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.force: expected a boolean\"},\"id\":1}");
	assert_answer(ctl, API_REQ("service.add", "{\"name\":\"imap\",\"vip\":\"*\",\"protocol\":\"tcp\",\"port\":true}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.port: expected an integer or a string\"},\"id\":1}");
	assert_answer(ctl, API_REQ("vip.add", "{}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.address: required by vip.add\"},\"id\":1}");
	/* each of lib/api's codes */
	assert_answer(ctl, API_REQ("member.add", "{\"name\":\"fe9\",\"address\":\"192.0.2.20\"}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"params.address: 192.0.2.20 is not in the subnet of any port: DSR needs members on the balancer's own segment\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.set", "{\"name\":\"nope\",\"weight\":1}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"params.name: no member \\\"nope\\\"\"},\"id\":1}");
	assert_answer(ctl, API_REQ("member.add", "{\"name\":\"fe1\",\"address\":\"198.51.100.20\"}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32002,\"message\":\"params.name: a member named \\\"fe1\\\" exists\"},\"id\":1}");
	assert_answer(ctl, API_REQ("config.reload", "{}"),
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32003,\"message\":\"started without a configuration file\"},\"id\":1}");
	assert_answer(ctl, API_REQ("vip.add", "{\"address\":\"203.0.113.0/30\"}"),
		      "{\"jsonrpc\":\"2.0\",\"result\":{\"added\":4},\"id\":1}");
	/* the read-only socket: write methods refused, config.get served */
	r = ask_ro(ctl, API_REQ("member.add", "{\"name\":\"fe9\",\"address\":\"198.51.100.20\"}"));
	assert_error(r, LB_CTL_DENIED,
		     "permission denied: member.add needs the read-write control socket");
	assert_int_equal(lb_core_member_find(api.core, "fe9"), -ENOENT);
	r = ask_ro(ctl, API_REQ("config.get", "{}"));
	assert_non_null(json_object_get(json_object_get(r, "result"), "members"));
	json_decref(r);
	/* help, from the table */
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"id\":1}");
	json_array_foreach(json_object_get(r, "result"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "method")),
			   "member.add") == 0)
			add = v;
	assert_non_null(add);
	assert_true(json_is_false(json_object_get(add, "read_only")));
	v = json_array_get(json_object_get(add, "params"), 2);
	assert_string_equal(json_string_value(json_object_get(v, "name")), "weight");
	assert_int_equal(json_integer_value(json_object_get(v, "max")), 65535);
	json_decref(r);
	lb_ctl_free(ctl);
	lb_core_free(api.core);
}

/* ---- real sockets ---- */

static char scratch[64];

static int
group_setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/test_ctl.XXXXXX");
	return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	return system(cmd) == 0 ? 0 : -1;
}

static struct lb_ctl *
server(const char *name, const char *ro_name)
{
	static char path[108], ro_path[108];
	struct lb_ctl_params p = {
		.path = path, .methods = methods, .n_methods = N_METHODS,
	};
	char err[256];
	struct lb_ctl *ctl;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	if (ro_name != NULL) {
		snprintf(ro_path, sizeof(ro_path), "%s/%s", scratch, ro_name);
		p.ro_path = ro_path;
	}
	ctl = lb_ctl_create_params(&p, err);
	if (ctl == NULL)
		fail_msg("lb_ctl_create_params: %s", err);
	return ctl;
}

/* A blocking client; reads time out after 5 s (a bound on a hang, not
 * something a test measures). */
static int
client(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", scratch, name);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
send_text(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Lines already sent to fd (none if nothing is there yet). */
static unsigned int
count_lines(int fd)
{
	char buf[65536];
	unsigned int lines = 0;
	ssize_t n, i;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	return lines;
}

/* One line of at most size - 1 bytes, already sent. */
static void
read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = recv(fd, buf + n, 1, MSG_DONTWAIT);

		assert_true(r == 1);
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
}

static bool
closed_by_server(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);

	return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* The caller of lb_ctl_poll() would not sleep: requests are buffered,
 * or its fd is readable. */
static bool
has_work(struct lb_ctl *ctl)
{
	struct pollfd pfd = { .fd = lb_ctl_fd(ctl), .events = POLLIN };

	return lb_ctl_pending(ctl) || poll(&pfd, 1, 0) > 0;
}

static const char status_req[] =
	"{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}\n";

/* Mode and group are the final ones when the socket appears, the
 * directories made for it have the group and the traversal rights the
 * mode gives, nothing is left beside it, and the umask is untouched. A
 * live socket, anything else at the path, and an unknown group are
 * errors naming them; a stale socket is replaced. */
static void
ctl_socket_mode_group_and_directory(void **state)
{
	char path[108], ro_path[108], dir[108], err[256], group[64];
	struct lb_ctl_params p = {
		.path = path, .ro_path = ro_path, .mode = 0660,
		.ro_mode = 0666, .ro_group = "4243",
		.methods = methods, .n_methods = N_METHODS,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lb_ctl *ctl, *other;
	struct group *gr;
	gid_t gid = 4242;
	struct dirent *de;
	struct stat st;
	mode_t old;
	DIR *d;
	int fd;

	(void)state;
	/* a group by name if the system has one besides ours, else a number */
	snprintf(group, sizeof(group), "4242");
	setgrent();
	while ((gr = getgrent()) != NULL)
		if (gr->gr_gid != getegid() && gr->gr_gid != 0) {
			snprintf(group, sizeof(group), "%s", gr->gr_name);
			gid = gr->gr_gid;
			break;
		}
	endgrent();
	p.group = group;
	snprintf(path, sizeof(path), "%s/run/ctl.sock", scratch);
	snprintf(ro_path, sizeof(ro_path), "%s/ro/ctl.sock", scratch);
	old = umask(022);
	ctl = lb_ctl_create_params(&p, err);
	if (ctl == NULL)
		fail_msg("%s", err);
	assert_int_equal(umask(old), 022);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(lstat(ro_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	assert_int_equal(st.st_gid, 4243);
	snprintf(dir, sizeof(dir), "%s/run", scratch);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_gid, gid);
	snprintf(dir, sizeof(dir), "%s/ro", scratch);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_gid, 4243);
	/* no private directory left behind */
	snprintf(dir, sizeof(dir), "%s/run", scratch);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		assert_true(strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    strcmp(de->d_name, "ctl.sock") == 0);
	closedir(d);
	fd = client("run/ctl.sock");
	close(fd);
	fd = client("ro/ctl.sock");
	close(fd);

	/* someone listens there */
	p.ro_path = NULL;
	other = lb_ctl_create_params(&p, err);
	assert_null(other);
	assert_non_null(strstr(err, "another process is listening there"));
	assert_non_null(strstr(err, path));
	lb_ctl_free(ctl);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(ro_path, F_OK), -1);

	/* a stale socket is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ctl = lb_ctl_create_params(&p, err);
	assert_non_null(ctl);
	lb_ctl_free(ctl);

	/* anything else is not */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(lb_ctl_create_params(&p, err));
	assert_non_null(strstr(err, "exists and is not a socket"));
	unlink(path);

	p.group = "no-such-group-dsrlb";
	assert_null(lb_ctl_create_params(&p, err));
	assert_string_equal(err, "group \"no-such-group-dsrlb\": no such group");
	assert_int_equal(access(path, F_OK), -1);
}

/* A socket whose private directory's path would not fit in sun_path is
 * bound through /proc/self/fd. */
static void
ctl_socket_long_path(void **state)
{
	char path[108], dir[108], err[256];
	struct lb_ctl_params p = {
		.path = path, .methods = methods, .n_methods = N_METHODS,
	};
	struct lb_ctl *ctl;
	struct stat st;
	size_t n;
	int fd;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)state;
	n = (size_t)snprintf(dir, sizeof(dir), "%s/", scratch);
	memset(dir + n, 'd', 100 - n);
	dir[100] = '\0';
	snprintf(path, sizeof(path), "%.100s/s", dir);
	assert_int_equal(strlen(path), 102);
	ctl = lb_ctl_create_params(&p, err);
	if (ctl == NULL)
		fail_msg("%s", err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	lb_ctl_free(ctl);
	rmdir(dir);
}

/* On the read-only socket, write methods are refused; the read-write
 * one serves them. */
static void
ctl_read_only_socket(void **state)
{
	struct lb_ctl *ctl = server("rw.sock", "ro.sock");
	int ro = client("ro.sock"), rw = client("rw.sock");
	char line[512];

	(void)state;
	calls = 0;
	lb_ctl_poll(ctl, 1);
	send_text(ro, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"},\"id\":1}\n");
	send_text(rw, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"},\"id\":1}\n");
	lb_ctl_poll(ctl, 2);
	read_line(ro, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32004,\"message\":\"permission denied: member.set needs the read-write control socket\"},\"id\":1}\n");
	read_line(rw, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"name\":\"a\"},\"id\":1}\n");
	assert_int_equal(calls, 1);
	send_text(ro, status_req);
	lb_ctl_poll(ctl, 3);
	read_line(ro, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\""));
	close(ro);
	close(rw);
	lb_ctl_free(ctl);
}

/* A client streaming requests cannot hold the poll: each answers at
 * most LB_CTL_PASS_REQUESTS, the rest wait (lb_ctl_pending) and all
 * are answered, in order, over the following polls; another client is
 * served meanwhile. */
static void
ctl_poll_bounded_for_a_streaming_client(void **state)
{
	static const char req[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"fe1\"},\"id\":1}\n";
	char buf[65536], *many;
	unsigned int i, polls = 0, answered = 0, lines = 0, got;
	struct lb_ctl *ctl = server("stream.sock", NULL);
	int fd, fd2;
	ssize_t n;

	(void)state;
	fd = client("stream.sock");
	fd2 = client("stream.sock");
	lb_ctl_poll(ctl, 1);   /* accept */
	calls = 0;
	/* 500 requests in one write: they arrive together */
	many = malloc(500 * (sizeof(req) - 1));
	assert_non_null(many);
	for (i = 0; i < 500; i++)
		memcpy(many + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	assert_int_equal(write(fd, many, 500 * (sizeof(req) - 1)),
			 (ssize_t)(500 * (sizeof(req) - 1)));
	free(many);
	assert_int_equal(write(fd2, req, sizeof(req) - 1),
			 (ssize_t)sizeof(req) - 1);
	while (answered < 501) {
		got = lb_ctl_poll(ctl, 2);
		assert_true(got <= LB_CTL_PASS_REQUESTS);
		answered += got;
		assert_true(++polls < 1000);
		if (answered < 501)
			assert_true(lb_ctl_pending(ctl) || got > 0);
	}
	assert_true(polls >= 500 / LB_CTL_CLIENT_REQUESTS);
	assert_false(lb_ctl_pending(ctl));
	assert_int_equal(calls, 501);
	/* every answer arrived */
	while (lines < 500 && (n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < (unsigned int)n; i++)
			lines += buf[i] == '\n';
	assert_int_equal(lines, 500);
	n = read(fd2, buf, sizeof(buf));
	assert_true(n > 0 && buf[n - 1] == '\n');
	close(fd);
	close(fd2);
	lb_ctl_free(ctl);
}

/* One client streaming notifications gets at most
 * LB_CTL_CLIENT_REQUESTS per poll: a second client's request is
 * answered in the same poll (with one global budget, the first client
 * took the whole poll). */
static void
ctl_one_client_cannot_take_a_whole_poll(void **state)
{
	static const char note[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"}}\n";
	struct lb_ctl *ctl = server("budget.sock", NULL);
	int flood = client("budget.sock"), admin = client("budget.sock");
	char *many, line[256];
	unsigned int i, n = 1000, got;

	(void)state;
	lb_ctl_poll(ctl, 1);
	many = malloc(n * (sizeof(note) - 1));
	assert_non_null(many);
	for (i = 0; i < n; i++)
		memcpy(many + i * (sizeof(note) - 1), note, sizeof(note) - 1);
	assert_int_equal(write(flood, many, n * (sizeof(note) - 1)),
			 (ssize_t)(n * (sizeof(note) - 1)));
	free(many);
	send_text(admin, status_req);
	calls_a = status_calls = 0;
	got = lb_ctl_poll(ctl, 2);
	assert_int_equal(status_calls, 1);
	assert_int_equal(calls_a, LB_CTL_CLIENT_REQUESTS);
	assert_int_equal(got, LB_CTL_CLIENT_REQUESTS + 1);
	read_line(admin, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"active\":true},\"id\":1}\n");
	/* the rest follows, a bounded share per poll */
	while (calls_a < (int)n) {
		int before = calls_a;

		assert_true(has_work(ctl));
		lb_ctl_poll(ctl, 3);
		assert_true(calls_a - before <= LB_CTL_CLIENT_REQUESTS);
		assert_true(calls_a > before);
	}
	assert_false(lb_ctl_pending(ctl));
	close(flood);
	close(admin);
	lb_ctl_free(ctl);
}

/* Work, not only requests, is budgeted: a call charging a client's
 * whole share of a poll is answered, and that client's next one waits
 * for the next poll, while another client is served in this one; a
 * method's own cost counts the same way; the poll stops once all
 * clients' work reaches LB_CTL_PASS_WORK, the rest served in the next
 * one; a batch stops running its requests past a client's share. */
static void
ctl_work_is_budgeted_per_client_and_per_poll(void **state)
{
	static const char heavy_req[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"scan\",\"params\":{\"work\":262144},\"id\":1}\n";
	static const char costly_req[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"costly\",\"id\":1}\n";
	struct lb_ctl *ctl = server("work.sock", NULL);
	int heavy = client("work.sock"), admin = client("work.sock");
	int many[8], i, fit;
	struct lb_ctl_stats st;
	char line[512];
	uint64_t w;
	json_t *r;

	(void)state;
	assert_int_equal(LB_CTL_CLIENT_WORK, 262144);
	lb_ctl_poll(ctl, 1);
	for (i = 0; i < 3; i++)
		send_text(heavy, heavy_req);
	send_text(admin, status_req);
	scan_calls = status_calls = 0;
	assert_int_equal(lb_ctl_poll(ctl, 2), 2);
	assert_int_equal(scan_calls, 1);
	assert_int_equal(status_calls, 1);
	read_line(admin, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"active\":true},\"id\":1}\n");
	assert_int_equal(count_lines(heavy), 1);
	assert_true(lb_ctl_pending(ctl));
	/* one a poll, the admin served beside it each time */
	send_text(admin, status_req);
	assert_int_equal(lb_ctl_poll(ctl, 3), 2);
	assert_int_equal(scan_calls, 2);
	read_line(admin, line, sizeof(line));
	assert_int_equal(lb_ctl_poll(ctl, 4), 1);
	assert_int_equal(scan_calls, 3);
	assert_int_equal(count_lines(heavy), 2);
	assert_false(lb_ctl_pending(ctl));
	lb_ctl_stats_get(ctl, &st);
	assert_true(st.work >= 3 * (uint64_t)LB_CTL_CLIENT_WORK);

	/* a method's cost: half a client's share, two a poll */
	for (i = 0; i < 5; i++)
		send_text(heavy, costly_req);
	costly_calls = 0;
	lb_ctl_poll(ctl, 5);
	assert_int_equal(costly_calls, 2);
	lb_ctl_poll(ctl, 6);
	assert_int_equal(costly_calls, 4);
	lb_ctl_poll(ctl, 7);
	assert_int_equal(costly_calls, 5);
	assert_int_equal(count_lines(heavy), 5);

	/* the poll's share: as many heavy clients as fit in
	 * LB_CTL_PASS_WORK, the others in the next poll */
	for (w = 0, fit = 0; w < LB_CTL_PASS_WORK; fit++)
		w += LB_CTL_CLIENT_WORK + LB_CTL_CALL_WORK;
	assert_true(fit < 8);
	for (i = 0; i < 8; i++)
		many[i] = client("work.sock");
	lb_ctl_poll(ctl, 8);
	for (i = 0; i < 8; i++)
		send_text(many[i], heavy_req);
	scan_calls = 0;
	lb_ctl_poll(ctl, 9);
	assert_int_equal(scan_calls, fit);
	while (scan_calls < 8) {
		int before = scan_calls;

		assert_true(has_work(ctl));
		lb_ctl_poll(ctl, 10);
		assert_true(scan_calls > before);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(count_lines(many[i]), 1);
		close(many[i]);
	}
	close(heavy);
	close(admin);
	lb_ctl_free(ctl);

	/* a batch: its first request runs, the ones past the share not */
	ctl = dispatcher();
	scan_calls = 0;
	r = ask(ctl, "[{\"jsonrpc\":\"2.0\",\"method\":\"scan\",\"params\":{\"work\":262144},\"id\":1},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"scan\",\"params\":{\"work\":1},\"id\":2},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":3}]");
	assert_int_equal(scan_calls, 1);
	assert_int_equal(json_array_size(r), 3);
	assert_non_null(json_object_get(json_array_get(r, 0), "result"));
	assert_error(json_incref(json_array_get(r, 1)), LB_CTL_INTERNAL_ERROR,
		     "not run: this batch already did the work a client is given at once: send it again");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 2), "id")), 3);
	json_decref(r);
	lb_ctl_free(ctl);
}

/* A client that hangs up leaves its slot in the poll that sees it,
 * with at most its share of that poll run (what it sent beyond is
 * not); one that only shuts down its sending side gets every answer. */
static void
ctl_waiting_request_answered_later_in_order(void **state)
{
	static const char slow_req[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"slow\",\"id\":7}\n";
	struct lb_ctl *ctl = server("wait.sock", NULL);
	int c = client("wait.sock"), admin = client("wait.sock");
	char line[512];
	json_t *r;

	(void)state;
	lb_ctl_poll(ctl, 1);
	/* the slow request, then a status on the same connection */
	send_text(c, slow_req);
	send_text(c, status_req);
	send_text(admin, status_req);
	slow_calls = slow_resumed = status_calls = 0;
	lb_ctl_poll(ctl, 2);
	/* not done: no answer, the status behind it waits, the other
	 * client is served, and the server says it has more to do */
	assert_int_equal(slow_calls, 1);
	assert_int_equal(status_calls, 1);
	assert_int_equal(count_lines(c), 0);
	read_line(admin, line, sizeof(line));
	assert_true(lb_ctl_pending(ctl));
	lb_ctl_poll(ctl, 3);
	assert_int_equal(slow_calls, 2);
	assert_int_equal(count_lines(c), 0);
	lb_ctl_poll(ctl, 4);
	/* done at the third call, resumed twice; then the status */
	assert_int_equal(slow_calls, 3);
	assert_int_equal(slow_resumed, 2);
	read_line(c, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"done\":true},\"id\":7}\n");
	read_line(c, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"active\":true},\"id\":1}\n");
	assert_int_equal(status_calls, 2);
	assert_false(lb_ctl_pending(ctl));
	close(c);
	close(admin);
	lb_ctl_free(ctl);

	/* in a batch, or through lb_ctl_handle(), it may not wait: it
	 * answers at once */
	ctl = dispatcher();
	slow_calls = slow_resumed = 0;
	r = ask(ctl, "[{\"jsonrpc\":\"2.0\",\"method\":\"slow\",\"id\":1}]");
	assert_int_equal(slow_calls, 1);
	assert_int_equal(slow_resumed, 0);
	assert_true(json_is_false(json_object_get(json_object_get(
		json_array_get(r, 0), "result"), "done")));
	json_decref(r);
	lb_ctl_free(ctl);
}

static void
ctl_hang_up_and_half_close(void **state)
{
	static const char note[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"}}\n";
	struct lb_ctl *ctl = server("hangup.sock", NULL);
	int quitter = client("hangup.sock"), half = client("hangup.sock");
	unsigned int i, n = 1000, lines = 0;
	struct lb_ctl_stats st;
	char *many;

	(void)state;
	lb_ctl_poll(ctl, 1);
	many = malloc(n * (sizeof(note) - 1));
	assert_non_null(many);
	for (i = 0; i < n; i++)
		memcpy(many + i * (sizeof(note) - 1), note, sizeof(note) - 1);
	assert_int_equal(write(quitter, many, n * (sizeof(note) - 1)),
			 (ssize_t)(n * (sizeof(note) - 1)));
	free(many);
	close(quitter);
	calls_a = 0;
	lb_ctl_poll(ctl, 2);
	assert_true(calls_a <= LB_CTL_CLIENT_REQUESTS);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.clients, 1);
	assert_false(lb_ctl_pending(ctl));

	for (i = 0; i < 20; i++)
		send_text(half, status_req);
	shutdown(half, SHUT_WR);
	for (i = 0; i < 10; i++)
		lb_ctl_poll(ctl, 3);
	lines = count_lines(half);
	assert_int_equal(lines, 20);
	assert_true(closed_by_server(half));
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.clients, 0);
	close(half);
	lb_ctl_free(ctl);
}

/* With every slot taken by idle clients, a new client is admitted by
 * closing one (told why) and its status is answered at once: first the
 * client stalled on half a request, then the idle ones that never asked
 * anything, oldest first; a client that asked and read its answer
 * survives even though it is older than some of those. */
static void
ctl_full_table_evicts_the_longest_inactive(void **state)
{
	struct lb_ctl *ctl = server("full.sock", NULL);
	int fds[LB_CTL_MAX_CLIENTS], extra[10], admin, i;
	struct lb_ctl_stats st;
	char line[512];

	(void)state;
	/* client 5 asks something as it connects, the others nothing */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		fds[i] = client("full.sock");
		if (i == 5)
			send_text(fds[i], status_req);
		lb_ctl_poll(ctl, 1000 + (uint64_t)i);
	}
	read_line(fds[5], line, sizeof(line));
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.clients, LB_CTL_MAX_CLIENTS);
	/* client 0 stalls on half a request */
	send_text(fds[0], "{\"jsonrpc\":\"2.0\",\"meth");
	lb_ctl_poll(ctl, 2000);
	/* the administrator */
	status_calls = 0;
	admin = client("full.sock");
	send_text(admin, status_req);
	lb_ctl_poll(ctl, 3000);
	read_line(admin, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"active\":true},\"id\":1}\n");
	assert_int_equal(status_calls, 1);
	read_line(fds[0], line, sizeof(line));
	assert_non_null(strstr(line, "closed to admit a new client"));
	assert_true(closed_by_server(fds[0]));
	close(fds[0]);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.clients, LB_CTL_MAX_CLIENTS);
	/* ten more: the idle ones that never asked go, oldest first (1,
	 * 2, 3, 4, 6, ... 11), not 5, older than 6 to 11 */
	for (i = 0; i < 10; i++) {
		extra[i] = client("full.sock");
		send_text(extra[i], status_req);
		lb_ctl_poll(ctl, 3001 + (uint64_t)i);
		read_line(extra[i], line, sizeof(line));
		assert_non_null(strstr(line, "\"result\""));
	}
	for (i = 1; i <= 11; i++) {
		if (i == 5)
			continue;
		assert_int_equal(count_lines(fds[i]), 1);
		assert_true(closed_by_server(fds[i]));
	}
	send_text(fds[5], status_req);
	lb_ctl_poll(ctl, 4000);
	read_line(fds[5], line, sizeof(line));
	assert_non_null(strstr(line, "\"result\""));
	assert_false(closed_by_server(fds[5]));
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.evicted, 11);
	for (i = 1; i < LB_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	for (i = 0; i < 10; i++)
		close(extra[i]);
	close(admin);
	lb_ctl_free(ctl);
}

/* With every slot taken, the client closed to admit a new one may have
 * events of its own in the same epoll batch as the new connection (here
 * it hangs up just after the newcomer connects): none of them is
 * applied to the newcomer that takes its slot. The newcomer's request
 * is answered and it stays connected; the one that hung up is the one
 * that goes, not a live client. */
static void
ctl_eviction_leaves_no_stale_event_to_the_newcomer(void **state)
{
	struct lb_ctl *ctl = server("stale.sock", NULL);
	int fds[LB_CTL_MAX_CLIENTS], admin, i;
	struct lb_ctl_stats st;
	char line[512];

	(void)state;
	/* idle clients, client 0 the oldest: the first to go */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		fds[i] = client("stale.sock");
		lb_ctl_poll(ctl, 1000 + (uint64_t)i);
	}
	lb_ctl_poll(ctl, 2000);
	/* the new connection is ready, then client 0 hangs up: one
	 * batch */
	admin = client("stale.sock");
	send_text(admin, status_req);
	close(fds[0]);
	status_calls = 0;
	lb_ctl_poll(ctl, 3000);
	assert_int_equal(status_calls, 1);
	read_line(admin, line, sizeof(line));
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"active\":true},\"id\":1}\n");
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.clients, LB_CTL_MAX_CLIENTS);
	/* every other client is still there */
	for (i = 1; i < LB_CTL_MAX_CLIENTS; i++) {
		assert_int_equal(count_lines(fds[i]), 0);
		assert_false(closed_by_server(fds[i]));
	}
	/* and so is the newcomer, served again */
	send_text(admin, status_req);
	lb_ctl_poll(ctl, 3001);
	read_line(admin, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\""));
	assert_false(closed_by_server(admin));
	for (i = 1; i < LB_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	close(admin);
	lb_ctl_free(ctl);
}

/* With every slot taken, a client that keeps asking but has not read
 * its answers for a second (they sit in its socket, the server holds
 * nothing) goes before clients that ask and read, however recently it
 * asked: the hammering client, not the administrator's tools. */
static void
ctl_full_table_evicts_who_does_not_read(void **state)
{
	struct lb_ctl *ctl = server("deaf.sock", NULL);
	int fds[LB_CTL_MAX_CLIENTS], admin, i, j;
	struct lb_ctl_stats st;
	char line[512];

	(void)state;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		fds[i] = client("deaf.sock");
		lb_ctl_poll(ctl, 1000);
	}
	/* every client asks and reads, client 9 asks and never reads */
	for (j = 0; j < 3; j++) {
		for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
			send_text(fds[i], status_req);
		for (i = 0; i < 4; i++)
			lb_ctl_poll(ctl, 2000 + (uint64_t)j * 1000);
		for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
			if (i != 9)
				read_line(fds[i], line, sizeof(line));
	}
	/* client 9 asked last of all, and still holds 3 unread answers */
	send_text(fds[9], status_req);
	lb_ctl_poll(ctl, 4500);
	admin = client("deaf.sock");
	send_text(admin, status_req);
	lb_ctl_poll(ctl, 4600);
	read_line(admin, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\""));
	/* its four answers, still unread, and why it was closed */
	assert_int_equal(count_lines(fds[9]), 5);
	assert_true(closed_by_server(fds[9]));
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		if (i == 9)
			continue;
		send_text(fds[i], status_req);
	}
	for (i = 0; i < 10; i++)
		lb_ctl_poll(ctl, 4700);
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		if (i == 9)
			continue;
		read_line(fds[i], line, sizeof(line));
		assert_non_null(strstr(line, "\"result\""));
	}
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.evicted, 1);
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	close(admin);
	lb_ctl_free(ctl);
}

/* A hundred clients asking for large answers and never reading: each
 * stops being served at its own cap, and past LB_CTL_MAX_HELD in all,
 * those holding unsent answers get none more, so what the server holds
 * stays near LB_CTL_MAX_HELD instead of a hundred caps; an
 * administrator that reads is still answered. */
static void
ctl_all_clients_held_memory_bounded(void **state)
{
	static const char req[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"size\":300000},\"id\":1}\n";
	enum { N = 100 };
	struct lb_ctl *ctl = server("held.sock", NULL);
	int fds[N], admin, i, j;
	struct lb_ctl_stats st;
	size_t most = 0;
	char line[512];

	(void)state;
	for (i = 0; i < N; i++) {
		fds[i] = client("held.sock");
		for (j = 0; j < 16; j++)
			send_text(fds[i], req);
		lb_ctl_poll(ctl, 500);   /* accept it: the backlog is short */
	}
	for (j = 0; j < 60; j++) {
		lb_ctl_poll(ctl, 1000 + (uint64_t)j);
		lb_ctl_stats_get(ctl, &st);
		if (st.buffered > most)
			most = st.buffered;
	}
	assert_int_equal(st.clients, N);
	assert_true(st.held_back > 0);
	/* one pass of the clients that had nothing unsent may add to the
	 * total beyond the cap; a hundred caps would be ~200 MiB */
	if (most >= LB_CTL_MAX_HELD + (24u << 20))
		fail_msg("held %zu bytes at most, held back %llu", most,
			 (unsigned long long)st.held_back);
	admin = client("held.sock");
	send_text(admin, status_req);
	lb_ctl_poll(ctl, 2000);
	read_line(admin, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\""));
	close(admin);
	for (i = 0; i < N; i++)
		close(fds[i]);
	lb_ctl_free(ctl);
}

/* A client that never reads its answers: once LB_CTL_MAX_OUTPUT is
 * unsent its requests are not read (the server holds at most about
 * the cap and one answer, not every answer), nothing wakes the caller
 * for it, others are served, and it is dropped after LB_CTL_STALL_MS. A
 * client that reads late gets every answer. */
static void
ctl_unread_answers_are_bounded(void **state)
{
	static const char req[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"size\":100000},\"id\":1}\n";
	const size_t answer = 100000 + 40;
	struct lb_ctl *ctl = server("unread.sock", NULL);
	int deaf = client("unread.sock"), other = client("unread.sock"), late;
	struct pollfd pfd = { .fd = lb_ctl_fd(ctl), .events = POLLIN };
	struct lb_ctl_stats st;
	unsigned int i, lines = 0;
	char line[256];
	int after;

	(void)state;
	lb_ctl_poll(ctl, 1);
	for (i = 0; i < 60; i++)
		send_text(deaf, req);
	big_calls = 0;
	for (i = 0; i < 50; i++)
		lb_ctl_poll(ctl, 10);
	after = big_calls;
	/* what the socket holds (about 200 kB) and the cap */
	assert_true(after < 60);
	assert_true((size_t)after * answer > LB_CTL_MAX_OUTPUT);
	lb_ctl_stats_get(ctl, &st);
	assert_true(st.buffered <= 2 * (LB_CTL_MAX_OUTPUT + answer) + 8192);
	assert_false(lb_ctl_pending(ctl));
	assert_int_equal(poll(&pfd, 1, 0), 0);   /* nothing to wake for */
	/* others are served meanwhile */
	send_text(other, status_req);
	lb_ctl_poll(ctl, 20);
	read_line(other, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\""));
	assert_int_equal(big_calls, after);
	/* still over the cap after LB_CTL_STALL_MS: dropped */
	lb_ctl_poll(ctl, 10 + LB_CTL_STALL_MS);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.dropped_unread, 0);
	lb_ctl_poll(ctl, 11 + LB_CTL_STALL_MS);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.dropped_unread, 1);
	assert_int_equal(st.clients, 1);
	close(deaf);

	/* reading late: every answer comes */
	late = client("unread.sock");
	lb_ctl_poll(ctl, 20000);
	for (i = 0; i < 30; i++)
		send_text(late, req);
	for (i = 0; i < 10000 && lines < 30; i++) {
		lb_ctl_poll(ctl, 20001);
		if (i % 4 == 3)
			lines += count_lines(late);
	}
	assert_int_equal(lines, 30);
	close(late);
	close(other);
	lb_ctl_free(ctl);
}

/* Half a request for LB_CTL_STALL_MS, or nothing for LB_CTL_IDLE_MS:
 * dropped; a request of exactly LB_CTL_MAX_REQUEST bytes is answered,
 * a longer line gets an error and the client is dropped. */
static void
ctl_stalled_idle_and_oversized_clients(void **state)
{
	struct lb_ctl *ctl = server("limits.sock", NULL);
	int slow = client("limits.sock"), idle = client("limits.sock");
	int max = client("limits.sock"), over = client("limits.sock");
	const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1,\"pad\":\"";
	size_t len = LB_CTL_MAX_REQUEST, sent, total;
	struct lb_ctl_stats st;
	char *text, line[256];
	unsigned int i;

	(void)state;
	lb_ctl_poll(ctl, 100);
	send_text(slow, "{\"jsonrpc\":");
	lb_ctl_poll(ctl, 200);
	lb_ctl_poll(ctl, 200 + LB_CTL_STALL_MS);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.dropped_stalled, 0);
	lb_ctl_poll(ctl, 201 + LB_CTL_STALL_MS);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.dropped_stalled, 1);
	assert_true(closed_by_server(slow));
	close(slow);

	/* exactly LB_CTL_MAX_REQUEST bytes, then "\r\n"; then one more */
	text = malloc(len + 3);
	assert_non_null(text);
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'p', len - (sizeof(head) - 1) - 2);
	memcpy(text + len - 2, "\"}\r\n", 5);
	for (i = 0; i < 2; i++) {
		int fd = i == 0 ? max : over;

		if (i == 1)
			memcpy(text + len - 2, "p\"}\n", 5);
		total = strlen(text);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		for (sent = 0; sent < total;) {
			ssize_t n = send(fd, text + sent, total - sent,
					 MSG_NOSIGNAL);

			if (n < 0) {
				assert_true(errno == EAGAIN || i == 1);
				if (errno != EAGAIN)
					break;
			} else {
				sent += (size_t)n;
			}
			lb_ctl_poll(ctl, 300);
		}
		lb_ctl_poll(ctl, 300);
		fcntl(fd, F_SETFL, 0);
		read_line(fd, line, sizeof(line));
		if (i == 0) {
			assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":{\"active\":true},\"id\":1}\n");
		} else {
			assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"request larger than 1 MiB\"},\"id\":null}\n");
			assert_true(closed_by_server(fd));
		}
	}
	free(text);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.dropped_oversized, 1);
	/* the big buffers are given back once empty */
	assert_true(st.buffered < 2 * 65536);

	/* idle: max answered at 300, idle since 100 */
	lb_ctl_poll(ctl, 100 + LB_CTL_IDLE_MS + 1);
	lb_ctl_stats_get(ctl, &st);
	assert_int_equal(st.dropped_idle, 1);
	assert_true(closed_by_server(idle));
	assert_false(closed_by_server(max));
	close(idle);
	close(max);
	close(over);
	lb_ctl_free(ctl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ctl_validates_params_before_the_handler),
		cmocka_unit_test(ctl_integer_params_have_a_range_and_no_reals),
		cmocka_unit_test(ctl_numbers_too_large_are_invalid_params),
		cmocka_unit_test(ctl_error_codes),
		cmocka_unit_test(ctl_help_shows_read_only_methods_and_ranges),
		cmocka_unit_test(ctl_read_only_role_refuses_write_methods),
		cmocka_unit_test(ctl_notifications_and_batches),
		cmocka_unit_test(ctl_batch_and_answer_sizes_are_bounded),
		cmocka_unit_test(ctl_serves_lib_api_methods),
		cmocka_unit_test(ctl_socket_mode_group_and_directory),
		cmocka_unit_test(ctl_socket_long_path),
		cmocka_unit_test(ctl_read_only_socket),
		cmocka_unit_test(ctl_poll_bounded_for_a_streaming_client),
		cmocka_unit_test(ctl_one_client_cannot_take_a_whole_poll),
		cmocka_unit_test(ctl_work_is_budgeted_per_client_and_per_poll),
		cmocka_unit_test(ctl_waiting_request_answered_later_in_order),
		cmocka_unit_test(ctl_hang_up_and_half_close),
		cmocka_unit_test(ctl_full_table_evicts_the_longest_inactive),
		cmocka_unit_test(ctl_full_table_evicts_who_does_not_read),
		cmocka_unit_test(ctl_eviction_leaves_no_stale_event_to_the_newcomer),
		cmocka_unit_test(ctl_all_clients_held_memory_bounded),
		cmocka_unit_test(ctl_unread_answers_are_bounded),
		cmocka_unit_test(ctl_stalled_idle_and_oversized_clients),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
