/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* libFuzzer target: the JSON-RPC dispatcher (framing aside) with a
 * method table exercising every parameter type, an integer range and a
 * write method, each input answered as the read-write and as the
 * read-only socket would (numbers too large to decode take the re-scan
 * path). */

#include <stdint.h>
#include <stdlib.h>

#include "lb_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *
echo(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	(void)ctx;
	if (json_object_get(params, "fail") != NULL)
		return lb_ctl_fail(err, LB_CTL_FAILED, "failed as asked");
	return json_deep_copy(params);
}

static const struct lb_ctl_method methods[] = {
	{ "echo", "returns its params",
	  { { "s", LB_CTL_STRING, true, "" }, { "i", LB_CTL_INTEGER, false, "" },
	    { "b", LB_CTL_BOOLEAN, false, "" }, { "o", LB_CTL_OBJECT, false, "" },
	    { "a", LB_CTL_ARRAY, false, "" }, { "fail", LB_CTL_BOOLEAN, false, "" },
	    { "r", LB_CTL_INTEGER, false, "", -5, 65535 },
	    { NULL } }, echo },
	{ "none", "no params", { { NULL } }, echo },
	{ "write", "a write method", { { "i", LB_CTL_INTEGER, false, "", 1, 10 },
				       { NULL } }, echo, LB_CTL_WRITE },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_ctl *ctl;
	const struct lb_ctl_params p = {
		.methods = methods,
		.n_methods = sizeof(methods) / sizeof(methods[0]),
	};
	char err[256];

	if (ctl == NULL)
		ctl = lb_ctl_create_params(&p, err);
	free(lb_ctl_handle(ctl, (const char *)data, size));
	free(lb_ctl_handle_readonly(ctl, (const char *)data, size));
	return 0;
}
