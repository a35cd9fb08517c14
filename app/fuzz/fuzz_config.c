/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the configuration decoder and the core's rules on
 * arbitrary text (what dsrlb -t and a reload run), the file format
 * written back (config.get) read again, and the vipaddrs parser on the
 * same bytes. Inputs naming a
 * vip_file are skipped: the fuzzer must not read files of this machine.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "lb_config.h"
#include "lb_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_conf_error err;
	struct lb_conf *conf;
	unsigned int n;
	uint32_t *vips;
	char *text;

	/* the core logs every member it adds: not per input */
	rte_log_set_global_level(RTE_LOG_WARNING);
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (lb_vipaddrs_parse(text, "fuzz", &vips, &n, &err) == 0)
		free(vips);
	if (memmem(data, size, "vip_file", 8) == NULL) {
		conf = lb_conf_parse(text, "fuzz.json", &err);
		if (conf != NULL && lb_core_conf_check(conf, &err) == 0) {
			/* what decodes and passes writes back as itself */
			json_t *o = lb_conf_encode(conf);
			char *again = o != NULL ? json_dumps(o, 0) : NULL;
			struct lb_conf *c2 = again != NULL ?
				lb_conf_parse(again, "again.json", &err) : NULL;

			if (again != NULL && c2 == NULL)
				abort();
			lb_conf_free(c2);
			free(again);
			json_decref(o);
		}
		lb_conf_free(conf);
	}
	free(text);
	return 0;
}
