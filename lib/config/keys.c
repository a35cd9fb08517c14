/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The group's sync keys, from a file only its owner can read. The file
 * is text an operator writes with `openssl rand -hex 32`: one "ID HEX"
 * per line, the first signs.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lb_config.h"

#define KEY_FILE_MAX 4096

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line (without its newline): "ID HEX", blank or a comment. 1 for a
 * key, 0 for nothing, -1 with err set. */
static int
parse_line(const char *p, size_t n, unsigned int line, uint8_t *id,
	   uint8_t key[LB_CONF_KEY_LEN], char *err, size_t errlen)
{
	size_t i = 0, k;
	unsigned int v = 0, digits = 0;
	uint8_t any = 0;

	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 4) {
		v = v * 10 + (unsigned int)(p[i++] - '0');
		digits++;
	}
	if (digits == 0 || v < 1 || v > 255 || i == n || !is_blank(p[i])) {
		snprintf(err, errlen, "line %u: a key id 1..255, a space, "
			 "then 64 hex digits expected", line);
		return -1;
	}
	while (i < n && is_blank(p[i]))
		i++;
	for (k = 0; k < LB_CONF_KEY_LEN; k++) {
		int hi = i + 1 < n ? hexval(p[i]) : -1;
		int lo = i + 1 < n ? hexval(p[i + 1]) : -1;

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "line %u: key %u: 64 hex digits "
				 "expected", line, v);
			return -1;
		}
		key[k] = (uint8_t)(hi << 4 | lo);
		any |= key[k];
		i += 2;
	}
	while (i < n && is_blank(p[i]))
		i++;
	if (i != n) {
		snprintf(err, errlen, "line %u: key %u: 64 hex digits "
			 "expected, then the end of the line", line, v);
		return -1;
	}
	if (any == 0) {
		snprintf(err, errlen, "line %u: key %u is all zeroes", line,
			 v);
		return -1;
	}
	*id = (uint8_t)v;
	return 1;
}

int
lb_conf_keys_parse(const char *text, size_t len, struct lb_conf_keys *keys,
		   char *err, size_t errlen)
{
	struct lb_conf_keys k = { .n = 0 };
	size_t pos = 0;
	unsigned int line = 0, i;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		uint8_t id, key[LB_CONF_KEY_LEN];
		int rc;

		line++;
		rc = parse_line(text + pos, n, line, &id, key, err, errlen);
		pos += n + 1;
		if (rc < 0)
			goto fail;
		if (rc == 0)
			continue;
		if (k.n == LB_CONF_KEYS_MAX) {
			snprintf(err, errlen, "line %u: more than %u keys",
				 line, LB_CONF_KEYS_MAX);
			goto fail;
		}
		for (i = 0; i < k.n; i++)
			if (k.k[i].id == id) {
				snprintf(err, errlen, "line %u: key id %u "
					 "given twice", line, id);
				goto fail;
			}
		k.k[k.n].id = id;
		memcpy(k.k[k.n].key, key, sizeof(key));
		explicit_bzero(key, sizeof(key));
		k.n++;
	}
	if (k.n == 0) {
		snprintf(err, errlen, "no key (a line \"1 <64 hex digits>\", "
			 "e.g. from openssl rand -hex 32)");
		goto fail;
	}
	*keys = k;
	explicit_bzero(&k, sizeof(k));
	return 0;
fail:
	explicit_bzero(&k, sizeof(k));
	return -1;
}

int
lb_conf_keys_load(const char *path, struct lb_conf_keys *keys, char *err,
		  size_t errlen)
{
	char buf[KEY_FILE_MAX + 1], why[160];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %04o: a key file must be "
			 "readable by its owner only (chmod 600)", path,
			 (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by this "
			 "process's user (uid %u)", path,
			 (unsigned int)st.st_uid, (unsigned int)geteuid());
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > KEY_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) :
			 "longer than 4 KiB");
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	rc = lb_conf_keys_parse(buf, (size_t)n, keys, why, sizeof(why));
	explicit_bzero(buf, sizeof(buf));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

bool
lb_conf_keys_equal(const struct lb_conf_keys *a, const struct lb_conf_keys *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n && i < LB_CONF_KEYS_MAX; i++)
		if (a->k[i].id != b->k[i].id ||
		    memcmp(a->k[i].key, b->k[i].key, LB_CONF_KEY_LEN) != 0)
			return false;
	return true;
}
