/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Reading JSON values for the decoder: the path kept for messages, one
 * getter per kind of value (each checks type and range and names the
 * key when it refuses), the decoder of arrays of objects, and the names
 * of enum values.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lb_config.h"
#include "config_internal.h"

const char *const lb_sched_names[LB_SCHED_KIND_MAX] = {
	[LB_SCHED_MAGLEV] = "maglev",
	[LB_SCHED_WRR] = "wrr",
	[LB_SCHED_SH] = "sh",
	[LB_SCHED_WLC] = "wlc",
};

const char *const lb_admin_names[LB_ADMIN_STATE_MAX] = {
	[LB_ADMIN_UP] = "up",
	[LB_ADMIN_DRAIN] = "drain",
	[LB_ADMIN_DISABLED] = "disabled",
};

const char *const lb_check_names[LB_CHECK_TYPE_MAX] = {
	[LB_CHECK_NONE] = "none",
	[LB_CHECK_TCP] = "tcp",
	[LB_CHECK_SMTP] = "smtp",
	[LB_CHECK_POP3] = "pop3",
	[LB_CHECK_IMAP] = "imap",
	[LB_CHECK_HTTP] = "http",
	[LB_CHECK_SIP] = "sip",
	[LB_CHECK_ICMP] = "icmp",
};

const char *const lb_idle_names[LB_CONF_IDLE_MAX] = {
	[LB_CONF_IDLE_POLL] = "poll",
	[LB_CONF_IDLE_SLEEP] = "sleep",
	[LB_CONF_IDLE_INTERRUPT] = "interrupt",
};

const char *const lb_ha_mode_names[LB_HA_MODE_MAX] = {
	[LB_HA_STANDALONE] = "standalone",
	[LB_HA_VRRP] = "vrrp",
	[LB_HA_ECMP] = "ecmp",
};

int
lb_conf_enum(const char *const *names, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
conf_fail(struct conf_ctx *c, const char *fmt, ...)
{
	size_t size = sizeof(c->err->msg);
	va_list ap;
	int n;

	/* a file names itself first; a control request is its params */
	if (c->source != NULL)
		n = snprintf(c->err->msg, size, "%s: %s: ", c->source,
			     c->plen > 0 ? c->path : "(top level)");
	else
		n = snprintf(c->err->msg, size, "%s: ", c->path);
	if (n < 0 || (size_t)n >= size)
		return -EINVAL;   /* the place alone fills the message */
	va_start(ap, fmt);
	vsnprintf(c->err->msg + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static size_t
clamp_path(size_t len, size_t size)
{
	return len < size ? len : size - 1;
}

size_t
conf_push_key(struct conf_ctx *c, const char *key)
{
	size_t mark = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen,
			 "%s%s", c->plen > 0 ? "." : "", key);

	if (n > 0)
		c->plen = clamp_path(c->plen + (size_t)n, sizeof(c->path));
	return mark;
}

size_t
conf_push_index(struct conf_ctx *c, size_t i)
{
	size_t mark = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen,
			 "[%zu]", i);

	if (n > 0)
		c->plen = clamp_path(c->plen + (size_t)n, sizeof(c->path));
	return mark;
}

void
conf_pop(struct conf_ctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

const char *
conf_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Unknown keys are errors: a misspelt key silently ignored is a
 * setting the operator thinks is on. */
int
conf_check_keys(struct conf_ctx *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *const *a;
		char list[256] = "";
		size_t mark;

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a != NULL)
			continue;
		for (a = allowed; *a != NULL; a++) {
			strncat(list, *a, sizeof(list) - strlen(list) - 1);
			if (a[1] != NULL)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		}
		mark = conf_push_key(c, key);
		conf_fail(c, "unknown key (expected one of: %s)", list);
		conf_pop(c, mark);
		return -EINVAL;
	}
	return 0;
}

/* Each getter pushes the key, checks the type and range, pops. They
 * return 0, 1 when the key is absent and optional, or -EINVAL. */

int
conf_get_string(struct conf_ctx *c, json_t *obj, const char *key, bool required,
		char *out, size_t size)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = conf_push_key(c, key);
	int rc = 0;

	if (v == NULL) {
		rc = required ? conf_fail(c, "required") : 1;
	} else if (!json_is_string(v)) {
		rc = conf_fail(c, "expected a string, got %s",
			       conf_type_name(v));
	} else if (json_string_length(v) >= size) {
		rc = conf_fail(c, "longer than %zu characters", size - 1);
	} else if (strlen(json_string_value(v)) != json_string_length(v)) {
		rc = conf_fail(c, "contains a NUL character");
	} else {
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
	}
	conf_pop(c, mark);
	return rc;
}

int
conf_get_uint(struct conf_ctx *c, json_t *obj, const char *key, uint64_t min,
	      uint64_t max, uint32_t def, uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = conf_push_key(c, key);
	int rc = 0;

	if (v == NULL) {
		*out = def;
		rc = 1;
	} else if (!json_is_integer(v)) {
		rc = conf_fail(c, "expected an integer, got %s",
			       conf_type_name(v));
	} else if (json_integer_value(v) < (json_int_t)min ||
		   (uint64_t)json_integer_value(v) > max) {
		rc = conf_fail(c, "%lld is out of range [%llu, %llu]",
			       (long long)json_integer_value(v),
			       (unsigned long long)min,
			       (unsigned long long)max);
	} else {
		*out = (uint32_t)json_integer_value(v);
	}
	conf_pop(c, mark);
	return rc;
}

/* Durations are seconds, integer or fractional, kept in milliseconds. */
int
conf_get_seconds_ms(struct conf_ctx *c, json_t *obj, const char *key,
		    uint32_t min_ms, uint32_t max_ms, uint32_t def_ms,
		    uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = conf_push_key(c, key);
	double s, ms;
	int rc = 0;

	if (v == NULL) {
		*out = def_ms;
		rc = 1;
	} else if (!json_is_number(v)) {
		rc = conf_fail(c, "expected seconds (a number), got %s",
			       conf_type_name(v));
	} else {
		s = json_number_value(v);
		ms = s * 1000.0;
		if (!(ms >= min_ms && ms <= max_ms))
			rc = conf_fail(c, "%g s is out of range [%g, %g]", s,
				       min_ms / 1000.0, max_ms / 1000.0);
		else
			*out = (uint32_t)(ms + 0.5);
	}
	conf_pop(c, mark);
	return rc;
}

int
conf_get_bool(struct conf_ctx *c, json_t *obj, const char *key, bool def,
	      bool *out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = conf_push_key(c, key);
	int rc = 0;

	if (v == NULL) {
		*out = def;
		rc = 1;
	} else if (!json_is_boolean(v)) {
		rc = conf_fail(c, "expected true or false, got %s",
			       conf_type_name(v));
	} else {
		*out = json_is_true(v);
	}
	conf_pop(c, mark);
	return rc;
}

int
conf_get_enum(struct conf_ctx *c, json_t *obj, const char *key,
	      const char *const *names, unsigned int n, int def, uint8_t *out)
{
	char s[32], list[128] = "";
	unsigned int i;
	size_t mark;
	int rc, e;

	rc = conf_get_string(c, obj, key, false, s, sizeof(s));
	if (rc == 1) {
		*out = (uint8_t)def;
		return 1;
	}
	if (rc < 0)
		return rc;
	e = lb_conf_enum(names, n, s);
	if (e >= 0) {
		*out = (uint8_t)e;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
		if (i + 1 < n)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
	}
	mark = conf_push_key(c, key);
	rc = conf_fail(c, "\"%s\" is not one of: %s", s, list);
	conf_pop(c, mark);
	return rc;
}

int
conf_get_object(struct conf_ctx *c, json_t *obj, const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark;
	int rc;

	*out = v;
	if (v == NULL)
		return 1;
	if (json_is_object(v))
		return 0;
	mark = conf_push_key(c, key);
	rc = conf_fail(c, "expected an object, got %s", conf_type_name(v));
	conf_pop(c, mark);
	return rc;
}

int
conf_get_array(struct conf_ctx *c, json_t *obj, const char *key, bool required,
	       json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = conf_push_key(c, key);
	int rc = 0;

	*out = v;
	if (v == NULL)
		rc = required ? conf_fail(c, "required") : 1;
	else if (!json_is_array(v))
		rc = conf_fail(c, "expected an array, got %s",
			       conf_type_name(v));
	conf_pop(c, mark);
	return rc;
}

/* The one decoder of arrays of objects (ports, members, services): the
 * bounds on the length, "[i]" on the path, the check that each element
 * is an object and the count of decoded slots are the same for all. */
int
conf_get_object_array(struct conf_ctx *c, json_t *obj,
		      const struct conf_obj_array *a, void **items,
		      unsigned int *n)
{
	size_t i, len, mark;
	json_t *arr, *o;
	int rc;

	rc = conf_get_array(c, obj, a->key, a->min > 0, &arr);
	if (rc != 0)
		return rc;
	mark = conf_push_key(c, a->key);
	len = json_array_size(arr);
	if (len < a->min || len > a->max) {
		if (a->min == 0)
			rc = conf_fail(c, "more than %u %s", a->max, a->noun);
		else
			rc = conf_fail(c, "expected %u to %u %s", a->min,
				       a->max, a->noun);
		goto out;
	}
	if (*items == NULL) {
		*items = calloc(len + 1, a->size);
		if (*items == NULL) {
			rc = conf_fail(c, "out of memory");
			goto out;
		}
	}
	json_array_foreach(arr, i, o) {
		size_t m2 = conf_push_index(c, i);

		/* counted first: a slot that failed may hold memory */
		(*n)++;
		if (!json_is_object(o))
			rc = conf_fail(c, "expected an object, got %s",
				       conf_type_name(o));
		else
			rc = a->decode(c, o, (char *)*items + i * a->size,
				       (unsigned int)i);
		if (rc != 0)
			goto out;
		conf_pop(c, m2);
	}
out:
	conf_pop(c, mark);
	return rc;
}

bool
conf_valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return true;
}

int
conf_get_name(struct conf_ctx *c, json_t *obj, char *out)
{
	size_t mark;
	int rc;

	rc = conf_get_string(c, obj, "name", true, out, LB_NAME_MAX);
	if (rc != 0)
		return rc;
	if (conf_valid_name(out))
		return 0;
	mark = conf_push_key(c, "name");
	rc = conf_fail(c, "\"%s\": use letters, digits, '-', '_' and '.'", out);
	conf_pop(c, mark);
	return rc;
}

int
conf_get_ipv4(struct conf_ctx *c, json_t *obj, const char *key, bool required,
	      uint32_t *out)
{
	char s[64];
	uint8_t prefix;
	size_t mark;
	int rc;

	rc = conf_get_string(c, obj, key, required, s, sizeof(s));
	if (rc != 0)
		return rc;
	if (strchr(s, '/') == NULL &&
	    lb_conf_parse_cidr(s, 32, out, &prefix) == 0)
		return 0;
	mark = conf_push_key(c, key);
	rc = conf_fail(c, "\"%s\" is not an IPv4 address", s);
	conf_pop(c, mark);
	return rc;
}

int
conf_get_ip(struct conf_ctx *c, json_t *obj, const char *key, bool required,
	    struct lb_ip *out)
{
	char s[LB_IP_STRLEN];
	uint8_t prefix;
	size_t mark;
	int rc;

	rc = conf_get_string(c, obj, key, required, s, sizeof(s));
	if (rc != 0)
		return rc;
	if (strchr(s, '/') == NULL &&
	    lb_ip_parse_cidr(s, 0, 0, out, &prefix) == 0)
		return 0;
	mark = conf_push_key(c, key);
	rc = conf_fail(c, "\"%s\" is not an IPv4 or IPv6 address", s);
	conf_pop(c, mark);
	return rc;
}

/* "N", "lo-hi" or N as a number; any == 0-65535 when allow_any. */
int
conf_get_port_range(struct conf_ctx *c, json_t *obj, const char *key,
		    bool allow_any, uint16_t *lo, uint16_t *hi)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = conf_push_key(c, key);
	unsigned long a, b;
	const char *s;
	char *end;
	int rc = 0;

	if (v == NULL) {
		rc = conf_fail(c, "required");
		goto out;
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < 1 || n > 65535) {
			rc = conf_fail(c, "%lld is not a port (1-65535)",
				       (long long)n);
			goto out;
		}
		*lo = *hi = (uint16_t)n;
		goto out;
	}
	if (!json_is_string(v)) {
		rc = conf_fail(c, "expected a port number or \"lo-hi\"%s, got %s",
			       allow_any ? " or \"any\"" : "",
			       conf_type_name(v));
		goto out;
	}
	s = json_string_value(v);
	if (allow_any && strcmp(s, "any") == 0) {
		*lo = 0;
		*hi = 65535;
		goto out;
	}
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			goto bad;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0')
		goto bad;
	if (a < 1 || b > 65535 || a > b) {
		rc = conf_fail(c, "\"%s\": ports must be 1-65535 and lo <= hi",
			       s);
		goto out;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	goto out;
bad:
	rc = conf_fail(c, "\"%s\" is not a port number or \"lo-hi\" range%s", s,
		       allow_any ? " or \"any\"" : "");
out:
	conf_pop(c, mark);
	return rc;
}

char *
conf_read_file(const char *path, int *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (f == NULL) {
		*err = errno;
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *g;

			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > 16 << 20) {
				*err = EFBIG;
				goto fail;
			}
			g = realloc(buf, cap);
			if (g == NULL) {
				*err = ENOMEM;
				goto fail;
			}
			buf = g;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		*err = EIO;
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		*err = EILSEQ;
		return NULL;
	}
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

