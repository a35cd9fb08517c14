/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* libFuzzer target: what the check runner does with a member's answer,
 * for every check kind: the verdict, and the description of a failed
 * answer (which quotes the member's bytes), from an exact-size copy
 * without a terminator. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_config.h"
#include "lb_health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[LB_HC_MSG];
	const char *why;
	uint8_t type;
	char *buf;

	if (size > 2 * LB_HC_BUF)
		return 0;
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	for (type = 0; type < LB_CHECK_TYPE_MAX; type++) {
		enum lb_hc_verdict v = lb_health_parse(type, buf, size, &why);

		if (lb_health_answer(type, buf, size, msg, sizeof(msg)) != v)
			abort();
		if (v == LB_HC_FAIL && memchr(msg, '\0', sizeof(msg)) == NULL)
			abort();
	}
	free(buf);
	return 0;
}
