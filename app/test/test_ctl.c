/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The JSON-RPC dispatcher: validation before handlers, error codes,
 * notifications and batches; and, on a real Unix socket, the bound on
 * the work one poll does. No EAL. */

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lb_ctl.h"
#include "test_util.h"

static int calls;

static json_t *
set(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	calls++;
	if (json_integer_value(json_object_get(params, "weight")) > 100)
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params.weight: too big");
	return json_pack("{s:O}", "name", json_object_get(params, "name"));
}

static const struct lb_ctl_method methods[] = {
	{ "member.set", "test",
	  { { "name", LB_CTL_STRING, true, "" },
	    { "weight", LB_CTL_INTEGER, false, "" }, { NULL } }, set },
};

static json_t *
ask(struct lb_ctl *ctl, const char *req)
{
	char *out = lb_ctl_handle(ctl, req, strlen(req));
	json_error_t e;
	json_t *r;

	if (out == NULL)
		return NULL;
	r = json_loads(out, 0, &e);
	free(out);
	assert_non_null(r);
	return r;
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
	return json_string_value(json_object_get(json_object_get(r, "error"),
						 "message"));
}

static void
ctl_validates_params_before_the_handler(void **state)
{
	char err[256];
	struct lb_ctl *ctl = lb_ctl_create(NULL, 0, methods, 1, NULL, err);
	json_t *r;

	(void)state;
	calls = 0;
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":1},\"id\":1}");
	assert_int_equal(code(r), LB_CTL_INVALID_PARAMS);
	assert_non_null(strstr(message(r), "params.name: expected a string"));
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"weight\":1},\"id\":1}");
	assert_non_null(strstr(message(r), "params.name: required"));
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"x\":1},\"id\":1}");
	assert_non_null(strstr(message(r), "params.x:"));
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":[1],\"id\":1}");
	assert_int_equal(code(r), LB_CTL_INVALID_PARAMS);
	json_decref(r);
	assert_int_equal(calls, 0);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\",\"weight\":200},\"id\":1}");
	assert_int_equal(calls, 1);
	assert_non_null(strstr(message(r), "too big"));
	json_decref(r);
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"member.set\",\"params\":{\"name\":\"a\"},\"id\":\"x\"}");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(r, "result"), "name")), "a");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x");
	json_decref(r);
	lb_ctl_free(ctl);
}

static void
ctl_error_codes(void **state)
{
	char err[256];
	struct lb_ctl *ctl = lb_ctl_create(NULL, 0, methods, 1, NULL, err);
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
	r = ask(ctl, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"id\":1}");
	assert_int_equal(json_array_size(json_object_get(r, "result")), 1);
	json_decref(r);
	lb_ctl_free(ctl);
}

static void
ctl_notifications_and_batches(void **state)
{
	char err[256];
	struct lb_ctl *ctl = lb_ctl_create(NULL, 0, methods, 1, NULL, err);
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], err[256], buf[65536], *many;
	unsigned int i, polls = 0, answered = 0, lines = 0, got;
	struct lb_ctl *ctl;
	int fd, fd2;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_ctl.%d.sock", (int)getpid());
	ctl = lb_ctl_create(path, 0600, methods, 1, NULL, err);
	assert_non_null(ctl);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	fd2 = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(connect(fd2, (struct sockaddr *)&sa, sizeof(sa)), 0);
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
	assert_true(polls >= 501 / LB_CTL_PASS_REQUESTS);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ctl_poll_bounded_for_a_streaming_client),
		cmocka_unit_test(ctl_validates_params_before_the_handler),
		cmocka_unit_test(ctl_error_codes),
		cmocka_unit_test(ctl_notifications_and_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
