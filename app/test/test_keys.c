/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Flow sync's key files: the text (ids, hex, comments, every mistake an
 * operator makes, each named by its line) and the file (only its owner
 * may read it, no symlink, no directory). No EAL. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_config.h"

#define HEX_A "000102030405060708090a0b0c0d0e0f" \
	      "101112131415161718191a1b1c1d1e1f"
#define HEX_B "F0E1D2C3B4A5968778695A4B3C2D1E0F" \
	      "ffeeddccbbaa99887766554433221100"

static const uint8_t key_a[LB_CONF_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const uint8_t key_b[LB_CONF_KEY_LEN] = {
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
	0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
	0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
	0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
};

/* Parse a copy of exactly strlen(text) bytes, no NUL after it: ASan
 * sees any read past the length. */
static int
parse(const char *text, struct lb_conf_keys *k, char *err, size_t errlen)
{
	size_t len = strlen(text);
	char *mem = malloc(len == 0 ? 1 : len);
	int rc;

	assert_non_null(mem);
	memcpy(mem, text, len);
	rc = lb_conf_keys_parse(mem, len, k, err, errlen);
	free(mem);
	return rc;
}

/* ---- the text ---- */

static void
keys_parse_one_key(void **state)
{
	static const char *const texts[] = {
		"1 " HEX_A "\n",
		"1 " HEX_A,                       /* no newline at the end */
		"1 " HEX_A "\r\n",                /* written on Windows */
		"  1\t\t" HEX_A "  \n",           /* spaces and tabs */
		"001 " HEX_A "\n",                /* leading zeroes */
	};
	struct lb_conf_keys k;
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&k, 0xee, sizeof(k));
		err[0] = '\0';
		if (parse(texts[i], &k, err, sizeof(err)) != 0)
			fail_msg("text %u refused: %s", i, err);
		assert_int_equal(k.n, 1);
		assert_int_equal(k.k[0].id, 1);
		assert_memory_equal(k.k[0].key, key_a, LB_CONF_KEY_LEN);
	}
	/* the highest id, upper-case hex */
	assert_int_equal(parse("255 " HEX_B "\n", &k, err, sizeof(err)), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.k[0].id, 255);
	assert_memory_equal(k.k[0].key, key_b, LB_CONF_KEY_LEN);
}

static void
keys_parse_skips_comments_and_blank_lines(void **state)
{
	struct lb_conf_keys k;
	char err[256];

	(void)state;
	assert_int_equal(parse("# dsrlb flow-sync keys: id, 64 hex digits\n"
			       "\n"
			       "   \n"
			       "\t# an indented comment, 1 " HEX_B "\n"
			       "7 " HEX_A "\n"
			       "\n"
			       "# the end\n", &k, err, sizeof(err)), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.k[0].id, 7);
	assert_memory_equal(k.k[0].key, key_a, LB_CONF_KEY_LEN);
}

/* The first key signs: the order of the file is kept. */
static void
keys_parse_keeps_the_order_of_two_keys(void **state)
{
	struct lb_conf_keys k;
	char err[256];

	(void)state;
	assert_int_equal(parse("2 " HEX_B "\n1 " HEX_A "\n", &k, err,
			       sizeof(err)), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.k[0].id, 2);
	assert_memory_equal(k.k[0].key, key_b, LB_CONF_KEY_LEN);
	assert_int_equal(k.k[1].id, 1);
	assert_memory_equal(k.k[1].key, key_a, LB_CONF_KEY_LEN);
	/* the same key under two ids is the operator's business */
	assert_int_equal(parse("1 " HEX_A "\n9 " HEX_A "\n", &k, err,
			       sizeof(err)), 0);
	assert_int_equal(k.n, 2);
	/* as many as a file may hold */
	assert_int_equal(parse("4 " HEX_A "\n3 " HEX_B "\n2 " HEX_A "\n"
			       "1 " HEX_B "\n", &k, err, sizeof(err)), 0);
	assert_int_equal(k.n, LB_CONF_KEYS_MAX);
	assert_int_equal(k.k[0].id, 4);
	assert_int_equal(k.k[3].id, 1);
}

/* Each mistake, the message naming its line (or saying there is no
 * key); the keys passed in are left as they were. */
static void
keys_parse_errors_name_the_line(void **state)
{
	static const struct {
		const char *what;
		const char *text;
		const char *want;       /* the start of the message */
	} cases[] = {
		{ "id 0", "0 " HEX_A "\n", "line 1: " },
		{ "id 256", "256 " HEX_A "\n", "line 1: " },
		{ "id 1000", "1000 " HEX_A "\n", "line 1: " },
		{ "id 00001", "00001 " HEX_A "\n", "line 1: " },
		{ "id negative", "-1 " HEX_A "\n", "line 1: " },
		{ "no id", HEX_A "\n", "line 1: " },
		{ "id only", "# keys\n1\n", "line 2: " },
		{ "id and a space only", "1 \n", "line 1: " },
		{ "no space after the id", "1" HEX_A "\n", "line 1: " },
		{ "repeated id", "1 " HEX_A "\n\n1 " HEX_B "\n",
		  "line 3: key id 1 given twice" },
		{ "65 hex digits", "1 " HEX_A "0\n", "line 1: key 1: " },
		{ "non-hex digit", "1 000102030405060708090a0b0c0d0e0f"
				   "101112131415161718191a1b1c1d1e1g\n",
		  "line 1: key 1: 64 hex digits expected" },
		{ "a space inside the key",
		  "1 00010203040506070809 0a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f\n",
		  "line 1: key 1: 64 hex digits expected" },
		{ "0x prefix", "1 0x" HEX_A "\n", "line 1: key 1: " },
		{ "a comment after the key", "1 " HEX_A " # new\n",
		  "line 1: key 1: " },
		{ "all-zero key", "# x\n\n5 0000000000000000000000000000000"
				  "000000000000000000000000000000000\n",
		  "line 3: key 5 is all zeroes" },
		{ "more than the maximum", "1 " HEX_A "\n2 " HEX_A "\n3 " HEX_A
		  "\n4 " HEX_A "\n# a fifth\n5 " HEX_A "\n",
		  "line 6: more than 4 keys" },
		{ "no key: empty", "", "no key" },
		{ "no key: comments", "# 1 " HEX_A "\n\n", "no key" },
		{ "no key: blank", " \n\t\n\r\n", "no key" },
	};
	struct lb_conf_keys k, before;
	char err[256];
	unsigned int i;

	(void)state;
	memset(&before, 0xee, sizeof(before));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want = cases[i].want;
		int rc;

		memcpy(&k, &before, sizeof(k));
		err[0] = '\0';
		rc = parse(cases[i].text, &k, err, sizeof(err));
		if (rc != -1)
			fail_msg("%s: accepted", cases[i].what);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: \"%s\", want \"%s...\"", cases[i].what,
				 err, want);
		assert_memory_equal(&k, &before, sizeof(k));
	}
}

/* 63 hex digits: the line ends one digit short, with or without its
 * newline; the second line, so the count is right. */
static void
keys_parse_refuses_63_hex_digits(void **state)
{
	struct lb_conf_keys k;
	char text[160], err[256];

	(void)state;

	snprintf(text, sizeof(text), "1 %s\n3 %.63s\n", HEX_B, HEX_A);
	assert_int_equal(parse(text, &k, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: key 3: 64 hex digits expected");
	/* and without its newline: the end of the text is the end */
	snprintf(text, sizeof(text), "1 %s\n3 %.63s", HEX_B, HEX_A);
	assert_int_equal(parse(text, &k, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: key 3: 64 hex digits expected");
}

/* A short error buffer is cut, never overrun. */
static void
keys_parse_error_fits_a_short_buffer(void **state)
{
	struct lb_conf_keys k;
	char err[12];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("0 " HEX_A "\n", &k, err, 8), -1);
	assert_string_equal(err, "line 1:");
	assert_int_equal(err[8], 'x');
}

static void
keys_equal_compares_ids_keys_and_order(void **state)
{
	struct lb_conf_keys a, b;
	char err[256];

	(void)state;
	assert_int_equal(parse("1 " HEX_A "\n2 " HEX_B "\n", &a, err,
			       sizeof(err)), 0);
	assert_int_equal(parse("# same\n1 " HEX_A "\n2 " HEX_B "\n", &b, err,
			       sizeof(err)), 0);
	assert_true(lb_conf_keys_equal(&a, &b));
	assert_int_equal(parse("2 " HEX_B "\n1 " HEX_A "\n", &b, err,
			       sizeof(err)), 0);
	assert_false(lb_conf_keys_equal(&a, &b));
	assert_int_equal(parse("1 " HEX_A "\n", &b, err, sizeof(err)), 0);
	assert_false(lb_conf_keys_equal(&a, &b));
	assert_int_equal(parse("1 " HEX_A "\n3 " HEX_B "\n", &b, err,
			       sizeof(err)), 0);
	assert_false(lb_conf_keys_equal(&a, &b));
	assert_int_equal(parse("1 " HEX_A "\n2 " HEX_A "\n", &b, err,
			       sizeof(err)), 0);
	assert_false(lb_conf_keys_equal(&a, &b));
}

/* ---- the file ---- */

/* A key file in /tmp with text and mode; its path in path. */
static void
key_file(char path[64], const char *text, mode_t mode)
{
	int fd;

	snprintf(path, 64, "/tmp/dsrlb-test-keys.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
keys_load_accepts_0600_and_0400(void **state)
{
	static const mode_t modes[] = { 0600, 0400 };
	struct lb_conf_keys k;
	char path[64], err[512];
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		key_file(path, "# keys\n2 " HEX_B "\n1 " HEX_A "\n", modes[i]);
		err[0] = '\0';
		if (lb_conf_keys_load(path, &k, err, sizeof(err)) != 0)
			fail_msg("mode %04o refused: %s", modes[i], err);
		assert_int_equal(k.n, 2);
		assert_int_equal(k.k[0].id, 2);
		assert_memory_equal(k.k[1].key, key_a, LB_CONF_KEY_LEN);
		unlink(path);
	}
}

/* Anyone but the owner able to read or write it: refused, saying how
 * to fix it. */
static void
keys_load_refuses_a_file_others_may_read(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0602, 0610,
					0601, 0666 };
	struct lb_conf_keys k, before;
	char path[64], err[512];
	unsigned int i;

	(void)state;
	memset(&before, 0xee, sizeof(before));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		key_file(path, "1 " HEX_A "\n", modes[i]);
		memcpy(&k, &before, sizeof(k));
		assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)),
				 -1);
		if (strncmp(err, path, strlen(path)) != 0 ||
		    strstr(err, "chmod 600") == NULL)
			fail_msg("mode %04o: \"%s\"", modes[i], err);
		assert_memory_equal(&k, &before, sizeof(k));
		unlink(path);
	}
}

/* A symlink, even to a good key file: refused (whoever may change the
 * link chooses the keys). */
static void
keys_load_refuses_a_symlink(void **state)
{
	struct lb_conf_keys k;
	char path[64], link[80], err[512];

	(void)state;
	key_file(path, "1 " HEX_A "\n", 0600);
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), 0);
	snprintf(link, sizeof(link), "%s.link", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(lb_conf_keys_load(link, &k, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, link, strlen(link)), 0);
	unlink(link);
	unlink(path);
}

static void
keys_load_refuses_a_directory(void **state)
{
	char dir[64] = "/tmp/dsrlb-test-keys.XXXXXX", err[512];
	struct lb_conf_keys k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(lb_conf_keys_load(dir, &k, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, dir, strlen(dir)), 0);
	assert_non_null(strstr(err, "not a regular file"));
	rmdir(dir);
}

static void
keys_load_names_the_missing_file_and_why(void **state)
{
	const char *path = "/tmp/dsrlb-test-keys.missing/none.key";
	struct lb_conf_keys k;
	char err[512], want[256];

	(void)state;
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

/* A mistake in the text: the file and the line. */
static void
keys_load_names_the_file_and_the_line(void **state)
{
	struct lb_conf_keys k;
	char path[64], err[512], want[256];

	(void)state;
	key_file(path, "1 " HEX_A "\n1 " HEX_B "\n", 0600);
	snprintf(want, sizeof(want), "%s: line 2: key id 1 given twice",
		 path);
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	unlink(path);
	key_file(path, "", 0600);
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "no key"));
	unlink(path);
}

/* 4 KiB at most: a key after 4 KiB of comments is not looked for. */
static void
keys_load_reads_at_most_4_kib(void **state)
{
	char path[64], err[512], text[4200];
	struct lb_conf_keys k;
	size_t len;

	(void)state;
	/* exactly 4096 bytes, the key last */
	snprintf(text, sizeof(text), "1 %s\n", HEX_A);
	len = strlen(text);
	memset(text, '#', 4096 - len - 1);
	text[4096 - len - 1] = '\n';
	snprintf(text + 4096 - len, sizeof(text) - (4096 - len), "1 %s\n",
		 HEX_A);
	assert_int_equal(strlen(text), 4096);
	key_file(path, text, 0600);
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), 0);
	assert_int_equal(k.n, 1);
	unlink(path);
	/* one byte more */
	memmove(text + 1, text, 4097);
	text[0] = '#';
	assert_int_equal(strlen(text), 4097);
	key_file(path, text, 0600);
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "4 KiB"));
	unlink(path);
}

/* Owned by another user: refused (they could change it). Only root
 * can hand a file to someone else; elsewhere the case is skipped. */
static void
keys_load_refuses_a_file_of_another_user(void **state)
{
	struct lb_conf_keys k;
	char path[64], err[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	key_file(path, "1 " HEX_A "\n", 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(lb_conf_keys_load(path, &k, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "uid 65534"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_parse_one_key),
		cmocka_unit_test(keys_parse_skips_comments_and_blank_lines),
		cmocka_unit_test(keys_parse_keeps_the_order_of_two_keys),
		cmocka_unit_test(keys_parse_errors_name_the_line),
		cmocka_unit_test(keys_parse_refuses_63_hex_digits),
		cmocka_unit_test(keys_parse_error_fits_a_short_buffer),
		cmocka_unit_test(keys_equal_compares_ids_keys_and_order),
		cmocka_unit_test(keys_load_accepts_0600_and_0400),
		cmocka_unit_test(keys_load_refuses_a_file_others_may_read),
		cmocka_unit_test(keys_load_refuses_a_symlink),
		cmocka_unit_test(keys_load_refuses_a_directory),
		cmocka_unit_test(keys_load_names_the_missing_file_and_why),
		cmocka_unit_test(keys_load_names_the_file_and_the_line),
		cmocka_unit_test(keys_load_reads_at_most_4_kib),
		cmocka_unit_test(keys_load_refuses_a_file_of_another_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
