/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the configuration decoder and the core's rules on
 * arbitrary text (what dsrlb -t and a reload run), the file format
 * written back (config.get) read again, and the vipaddrs parser on the
 * same bytes. Inputs naming a vip_file are skipped: the fuzzer must not
 * read files of this machine.
 *
 * For every configuration the decoder accepts it asserts (abort()
 * otherwise) that the encoder writes it (lb_conf_encode() is NULL only
 * without memory), that the decoder accepts what was written, and that
 * encode(decode(encode(conf))) is byte for byte encode(conf): the
 * file format has one spelling of each configuration, so config.get,
 * then a reload of its answer, changes nothing. One the core accepts
 * is accepted by the core again once written back.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "lb_config.h"
#include "lb_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Name the broken invariant: the reproducer alone says only "abort". */
#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_config: %s:%d: invariant failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static char *
encode_text(const struct lb_conf *conf)
{
	json_t *o = lb_conf_encode(conf);
	char *text;

	REQUIRE(o != NULL);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	REQUIRE(text != NULL);
	return text;
}

/* conf written, read back and written again: the same text. Returns
 * the configuration read back. */
static struct lb_conf *
check_round_trip(const struct lb_conf *conf)
{
	struct lb_conf_error err;
	struct lb_conf *again;
	char *first, *second;

	first = encode_text(conf);
	again = lb_conf_parse(first, "again.json", &err);
	if (again == NULL)
		fprintf(stderr, "fuzz_config: %s\nrefused: %s\n", err.msg,
			first);
	REQUIRE(again != NULL);
	second = encode_text(again);
	if (strcmp(first, second) != 0)
		fprintf(stderr, "fuzz_config: written: %s\nread back and written: %s\n",
			first, second);
	REQUIRE(strcmp(first, second) == 0);
	free(second);
	free(first);
	return again;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_conf *conf, *again;
	struct lb_conf_error err;
	unsigned int n;
	struct lb_ip *vips;
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
		if (conf != NULL) {
			again = check_round_trip(conf);
			/* config.get's answer must reload */
			if (lb_core_conf_check(conf, &err) == 0 &&
			    lb_core_conf_check(again, &err) != 0) {
				fprintf(stderr, "fuzz_config: written back: %s\n",
					err.msg);
				REQUIRE(!"core refuses what it accepted");
			}
			lb_conf_free(again);
		}
		lb_conf_free(conf);
	}
	free(text);
	return 0;
}
