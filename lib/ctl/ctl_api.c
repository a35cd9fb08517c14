/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * lib/api's table served by lib/ctl. lib/api is below the control
 * socket and knows nothing of it; this file is the one place that
 * knows both: it copies each method's description and answers its
 * errors with JSON-RPC's codes.
 */

#include <stdio.h>
#include <string.h>

#include "lb_ctl_api.h"

_Static_assert(LB_API_MAX_PARAMS <= LB_CTL_MAX_PARAMS,
	       "a method of lib/api has more params than lib/ctl holds");

static const uint8_t ctl_type[] = {
	[LB_API_STRING] = LB_CTL_STRING,
	[LB_API_INTEGER] = LB_CTL_INTEGER,
	[LB_API_BOOLEAN] = LB_CTL_BOOLEAN,
	[LB_API_OBJECT] = LB_CTL_OBJECT,
	[LB_API_ARRAY] = LB_CTL_ARRAY,
	[LB_API_INT_OR_STRING] = LB_CTL_INT_OR_STRING,
};

static int
ctl_code(int code)
{
	switch (code) {
	case LB_API_INVALID_PARAMS:
		return LB_CTL_INVALID_PARAMS;
	case LB_API_NOT_FOUND:
		return LB_CTL_NOT_FOUND;
	case LB_API_CONFLICT:
		return LB_CTL_CONFLICT;
	case LB_API_FAILED:
		return LB_CTL_FAILED;
	default:
		return LB_CTL_INTERNAL_ERROR;
	}
}

/* Every lib/api method: arg is its entry, ctx the struct lb_api. */
static json_t *
api_call(void *ctx, const void *arg, json_t *params, struct lb_ctl_error *err)
{
	const struct lb_api_method *m = arg;
	struct lb_api_error e = { .code = LB_API_INTERNAL };
	json_t *r = m->handler(ctx, params, &e);

	if (r == NULL) {
		err->code = ctl_code(e.code);
		snprintf(err->message, sizeof(err->message), "%s", e.message);
	}
	return r;
}

unsigned int
lb_ctl_api_methods(struct lb_ctl_method *out)
{
	unsigned int i, j;

	for (i = 0; i < lb_api_n_methods; i++) {
		const struct lb_api_method *a = &lb_api_methods[i];
		struct lb_ctl_method *m = &out[i];

		memset(m, 0, sizeof(*m));
		m->name = a->name;
		m->help = a->help;
		m->flags = a->write ? LB_CTL_WRITE : 0;
		m->handler_arg = api_call;
		m->arg = a;
		for (j = 0; j < LB_API_MAX_PARAMS && a->params[j].name != NULL;
		     j++) {
			const struct lb_api_param *ap = &a->params[j];

			m->params[j] = (struct lb_ctl_param){
				.name = ap->name, .type = ctl_type[ap->type],
				.required = ap->required, .help = ap->help,
				.min = ap->min, .max = ap->max,
			};
		}
	}
	return lb_api_n_methods;
}
