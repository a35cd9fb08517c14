/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the configuration parser and validator on arbitrary
 * text, and the vipaddrs parser on the same bytes. Inputs naming a
 * vip_file are skipped: the fuzzer must not read files of this machine.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_conf_error err;
	struct lb_conf *conf;
	unsigned int n;
	uint32_t *vips;
	char *text;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (lb_vipaddrs_parse(text, "fuzz", &vips, &n, &err) == 0)
		free(vips);
	if (memmem(data, size, "vip_file", 8) == NULL) {
		conf = lb_conf_parse(text, "fuzz.json", &err);
		lb_conf_free(conf);
	}
	free(text);
	return 0;
}
