/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* libFuzzer target: health-check answer parsing for every check kind. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_config.h"
#include "lb_health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	uint8_t type;
	char *buf;

	if (size > 2 * LB_HC_BUF)
		return 0;
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	for (type = 0; type < LB_CHECK_TYPE_MAX; type++)
		lb_health_parse(type, buf, size, &why);
	free(buf);
	return 0;
}
