/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * jansson refuses a number beyond int64 (integers) or double (reals) as
 * a parse error of the whole text. Such a number is the client's
 * mistake in a value, not in the syntax: inside "params" it must be
 * answered as invalid params naming the param. When jansson reports
 * numeric overflow, one pass over the text (syntactically valid up to
 * there) finds every such number, notes where it is (its JSON path),
 * and writes a copy with 0 in its place; the copy is decoded, and each
 * request holding one is answered with invalid params instead of being
 * run. A number out of range anywhere else (the id, outside any
 * request) leaves it a parse error.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"

#define SCAN_DEPTH 32

struct scan_frame {
	bool object;
	bool want_key;
	size_t index;       /* arrays: the current element */
	char key[64];       /* objects: the current member's name */
};

/* A JSON number's exact syntax (RFC 8259): anything else is left to
 * jansson to refuse. */
static bool
number_syntax(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		if (++i >= n || !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	return i == n;
}

/* What jansson refuses as numeric overflow: strtoll's ERANGE for an
 * integer, strtod's for a real that overflows (an underflow is 0). */
static bool
number_overflows(const char *s, size_t n)
{
	bool real = memchr(s, '.', n) != NULL || memchr(s, 'e', n) != NULL ||
		memchr(s, 'E', n) != NULL;
	char *copy = strndup(s, n);
	bool over;

	if (copy == NULL)
		return false;   /* then jansson's parse error stands */
	errno = 0;
	if (real) {
		double d = strtod(copy, NULL);

		over = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
	} else {
		(void)strtoll(copy, NULL, 10);
		over = errno == ERANGE;
	}
	free(copy);
	return over;
}

/* A member name as decoded (escapes included), shortened. */
static void
scan_key(const char *tok, size_t n, char *key, size_t size)
{
	json_t *s;

	if (memchr(tok, '\\', n) == NULL) {
		snprintf(key, size, "%.*s", (int)(n - 2), tok + 1);
		return;
	}
	s = json_loadb(tok, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	snprintf(key, size, "%s", json_is_string(s) ? json_string_value(s) : "?");
	json_decref(s);
}

/* Note the number at the current place of the frames. */
static void
scan_note(struct ctl_ovf *o, const struct scan_frame *f, unsigned int depth,
	  const char *num, size_t n)
{
	unsigned int req, i, kept = depth < SCAN_DEPTH ? depth : SCAN_DEPTH;
	struct ctl_ovf_entry *e;
	size_t len;

	/* the request: the top-level object, or an object in a batch */
	if (depth >= 1 && f[0].object) {
		req = 0;
	} else if (depth >= 2 && !f[0].object && f[1].object) {
		req = 1;
	} else {
		o->outside = true;
		return;
	}
	if (f[req].want_key || strcmp(f[req].key, "params") != 0) {
		o->outside = true;
		return;
	}
	i = req == 0 ? 0 : (unsigned int)f[0].index + 1;
	if (i > LB_CTL_MAX_BATCH)
		return;   /* the batch is refused whole */
	e = &o->e[i];
	if (e->set)
		return;
	e->set = true;
	if (depth > req + 1 && f[req + 1].object)
		snprintf(e->param, sizeof(e->param), "%s", f[req + 1].key);
	snprintf(e->path, sizeof(e->path), "params");
	for (i = req + 1; i < kept; i++) {
		len = strlen(e->path);
		if (f[i].object)
			snprintf(e->path + len, sizeof(e->path) - len, ".%s",
				 f[i].key);
		else
			snprintf(e->path + len, sizeof(e->path) - len, "[%zu]",
				 f[i].index);
	}
	if (depth > kept) {
		len = strlen(e->path);
		snprintf(e->path + len, sizeof(e->path) - len, "...");
	}
	if (n < sizeof(e->num))
		snprintf(e->num, sizeof(e->num), "%.*s", (int)n, num);
	else
		snprintf(e->num, sizeof(e->num), "%.12s...(%zu characters)",
			 num, n % 1000000000);
}

size_t
ctl_scan_numbers(const char *t, size_t len, char *out, struct ctl_ovf *o)
{
	struct scan_frame f[SCAN_DEPTH];
	unsigned int depth = 0;
	size_t i = 0, w = 0, j;

	while (i < len) {
		char c = t[i];
		struct scan_frame *top = depth > 0 && depth <= SCAN_DEPTH ?
			&f[depth - 1] : NULL;

		if (c == '"') {
			for (j = i + 1; j < len && t[j] != '"'; j++)
				if (t[j] == '\\')
					j++;
			if (j >= len)
				break;   /* unterminated: copied below */
			if (top != NULL && top->object && top->want_key) {
				scan_key(t + i, j + 1 - i, top->key,
					 sizeof(top->key));
				top->want_key = false;
			}
			memcpy(out + w, t + i, j + 1 - i);
			w += j + 1 - i;
			i = j + 1;
			continue;
		}
		if (c == '-' || isdigit((unsigned char)c)) {
			for (j = i + 1; j < len &&
			     (isdigit((unsigned char)t[j]) || t[j] == '.' ||
			      t[j] == 'e' || t[j] == 'E' || t[j] == '+' ||
			      t[j] == '-'); j++)
				;
			if (number_syntax(t + i, j - i) &&
			    number_overflows(t + i, j - i)) {
				scan_note(o, f, depth, t + i, j - i);
				out[w++] = '0';
			} else {
				memcpy(out + w, t + i, j - i);
				w += j - i;
			}
			i = j;
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth < SCAN_DEPTH) {
				f[depth].object = c == '{';
				f[depth].want_key = c == '{';
				f[depth].index = 0;
				f[depth].key[0] = '\0';
			}
			depth++;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		} else if (c == ',' && top != NULL) {
			if (top->object)
				top->want_key = true;
			else
				top->index++;
		}
		out[w++] = c;
		i++;
	}
	memcpy(out + w, t + i, len - i);
	return w + len - i;
}
