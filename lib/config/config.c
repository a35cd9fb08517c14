/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lb_pkt.h"
#include "lb_persist.h"
#include "lb_sched.h"
#include "lb_config.h"

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

/* Decoding context: the JSON path of the value being read, so every
 * message can say where the problem is. */
struct ctx {
	const char *source;
	char path[LB_PATH_MAX];
	size_t plen;
	struct lb_conf_error *err;
	struct lb_conf *conf;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct ctx *c, const char *fmt, ...)
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

static size_t
push_key(struct ctx *c, const char *key)
{
	size_t mark = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen,
			 "%s%s", c->plen > 0 ? "." : "", key);

	if (n > 0)
		c->plen = clamp_path(c->plen + (size_t)n, sizeof(c->path));
	return mark;
}

static size_t
push_index(struct ctx *c, size_t i)
{
	size_t mark = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen,
			 "[%zu]", i);

	if (n > 0)
		c->plen = clamp_path(c->plen + (size_t)n, sizeof(c->path));
	return mark;
}

static void
pop(struct ctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

static const char *
type_name(const json_t *v)
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
static int
check_keys(struct ctx *c, json_t *obj, const char *const *allowed)
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
		mark = push_key(c, key);
		fail(c, "unknown key (expected one of: %s)", list);
		pop(c, mark);
		return -EINVAL;
	}
	return 0;
}

/* Each getter pushes the key, checks the type and range, pops. They
 * return 0, 1 when the key is absent and optional, or -EINVAL. */

static int
get_string(struct ctx *c, json_t *obj, const char *key, bool required,
	   char *out, size_t size)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = push_key(c, key);
	int rc = 0;

	if (v == NULL) {
		rc = required ? fail(c, "required") : 1;
	} else if (!json_is_string(v)) {
		rc = fail(c, "expected a string, got %s", type_name(v));
	} else if (json_string_length(v) >= size) {
		rc = fail(c, "longer than %zu characters", size - 1);
	} else if (strlen(json_string_value(v)) != json_string_length(v)) {
		rc = fail(c, "contains a NUL character");
	} else {
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
	}
	pop(c, mark);
	return rc;
}

static int
get_uint(struct ctx *c, json_t *obj, const char *key, uint64_t min,
	 uint64_t max, uint32_t def, uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = push_key(c, key);
	int rc = 0;

	if (v == NULL) {
		*out = def;
		rc = 1;
	} else if (!json_is_integer(v)) {
		rc = fail(c, "expected an integer, got %s", type_name(v));
	} else if (json_integer_value(v) < (json_int_t)min ||
		   (uint64_t)json_integer_value(v) > max) {
		rc = fail(c, "%lld is out of range [%llu, %llu]",
			  (long long)json_integer_value(v),
			  (unsigned long long)min, (unsigned long long)max);
	} else {
		*out = (uint32_t)json_integer_value(v);
	}
	pop(c, mark);
	return rc;
}

/* Durations are seconds, integer or fractional, kept in milliseconds. */
static int
get_seconds_ms(struct ctx *c, json_t *obj, const char *key, uint32_t min_ms,
	       uint32_t max_ms, uint32_t def_ms, uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = push_key(c, key);
	double s, ms;
	int rc = 0;

	if (v == NULL) {
		*out = def_ms;
		rc = 1;
	} else if (!json_is_number(v)) {
		rc = fail(c, "expected seconds (a number), got %s",
			  type_name(v));
	} else {
		s = json_number_value(v);
		ms = s * 1000.0;
		if (!(ms >= min_ms && ms <= max_ms))
			rc = fail(c, "%g s is out of range [%g, %g]", s,
				  min_ms / 1000.0, max_ms / 1000.0);
		else
			*out = (uint32_t)(ms + 0.5);
	}
	pop(c, mark);
	return rc;
}

static int
get_bool(struct ctx *c, json_t *obj, const char *key, bool def, bool *out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = push_key(c, key);
	int rc = 0;

	if (v == NULL) {
		*out = def;
		rc = 1;
	} else if (!json_is_boolean(v)) {
		rc = fail(c, "expected true or false, got %s", type_name(v));
	} else {
		*out = json_is_true(v);
	}
	pop(c, mark);
	return rc;
}

static int
get_enum(struct ctx *c, json_t *obj, const char *key,
	 const char *const *names, unsigned int n, int def, uint8_t *out)
{
	char s[32], list[128] = "";
	unsigned int i;
	size_t mark;
	int rc, e;

	rc = get_string(c, obj, key, false, s, sizeof(s));
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
	mark = push_key(c, key);
	rc = fail(c, "\"%s\" is not one of: %s", s, list);
	pop(c, mark);
	return rc;
}

static int
get_object(struct ctx *c, json_t *obj, const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark;
	int rc;

	*out = v;
	if (v == NULL)
		return 1;
	if (json_is_object(v))
		return 0;
	mark = push_key(c, key);
	rc = fail(c, "expected an object, got %s", type_name(v));
	pop(c, mark);
	return rc;
}

static int
get_array(struct ctx *c, json_t *obj, const char *key, bool required,
	  json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = push_key(c, key);
	int rc = 0;

	*out = v;
	if (v == NULL)
		rc = required ? fail(c, "required") : 1;
	else if (!json_is_array(v))
		rc = fail(c, "expected an array, got %s", type_name(v));
	pop(c, mark);
	return rc;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return true;
}

static int
get_name(struct ctx *c, json_t *obj, char *out)
{
	size_t mark;
	int rc;

	rc = get_string(c, obj, "name", true, out, LB_NAME_MAX);
	if (rc != 0)
		return rc;
	if (valid_name(out))
		return 0;
	mark = push_key(c, "name");
	rc = fail(c, "\"%s\": use letters, digits, '-', '_' and '.'", out);
	pop(c, mark);
	return rc;
}

static int
get_ipv4(struct ctx *c, json_t *obj, const char *key, bool required,
	 uint32_t *out)
{
	char s[64];
	uint8_t prefix;
	size_t mark;
	int rc;

	rc = get_string(c, obj, key, required, s, sizeof(s));
	if (rc != 0)
		return rc;
	if (strchr(s, '/') == NULL &&
	    lb_conf_parse_cidr(s, 32, out, &prefix) == 0)
		return 0;
	mark = push_key(c, key);
	rc = fail(c, "\"%s\" is not an IPv4 address", s);
	pop(c, mark);
	return rc;
}

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* "N", "lo-hi" or N as a number; any == 0-65535 when allow_any. */
static int
get_port_range(struct ctx *c, json_t *obj, const char *key, bool allow_any,
	       uint16_t *lo, uint16_t *hi)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = push_key(c, key);
	unsigned long a, b;
	const char *s;
	char *end;
	int rc = 0;

	if (v == NULL) {
		rc = fail(c, "required");
		goto out;
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < 1 || n > 65535) {
			rc = fail(c, "%lld is not a port (1-65535)",
				  (long long)n);
			goto out;
		}
		*lo = *hi = (uint16_t)n;
		goto out;
	}
	if (!json_is_string(v)) {
		rc = fail(c, "expected a port number or \"lo-hi\"%s, got %s",
			  allow_any ? " or \"any\"" : "", type_name(v));
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
		rc = fail(c, "\"%s\": ports must be 1-65535 and lo <= hi", s);
		goto out;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	goto out;
bad:
	rc = fail(c, "\"%s\" is not a port number or \"lo-hi\" range%s", s,
		  allow_any ? " or \"any\"" : "");
out:
	pop(c, mark);
	return rc;
}

static const char *const port_keys[] = {
	"name", "device", "address", "gateway", "vlan", "mtu", NULL };

static int
parse_port(struct ctx *c, json_t *o, unsigned int idx)
{
	struct lb_conf_port *p = &c->conf->ports[idx];
	char s[64], buf[INET_ADDRSTRLEN];
	uint32_t vlan, mtu, host, mask;
	unsigned int j;
	size_t mark;
	int rc;

	if ((rc = check_keys(c, o, port_keys)) != 0 ||
	    (rc = get_name(c, o, p->name)) != 0)
		return rc;
	for (j = 0; j < idx; j++)
		if (strcmp(c->conf->ports[j].name, p->name) == 0) {
			mark = push_key(c, "name");
			rc = fail(c, "duplicate port name \"%s\" (also ports[%u])",
				  p->name, j);
			pop(c, mark);
			return rc;
		}
	if (get_string(c, o, "device", false, p->device, sizeof(p->device)) < 0)
		return -EINVAL;

	rc = get_string(c, o, "address", true, s, sizeof(s));
	if (rc != 0)
		return rc;
	mark = push_key(c, "address");
	if (strchr(s, '/') == NULL ||
	    lb_conf_parse_cidr(s, 8, &p->addr, &p->prefix) != 0 ||
	    p->prefix > 30) {
		rc = fail(c, "\"%s\": expected the port's address with its subnet length, such as 198.51.100.2/24 (/8 to /30)",
			  s);
		pop(c, mark);
		return rc;
	}
	if (lb_conf_addr_reserved(p->addr)) {
		rc = fail(c, "\"%s\": 0/8, 127/8, multicast and broadcast cannot be the port's address",
			  s);
		pop(c, mark);
		return rc;
	}
	mask = ~0u << (32 - p->prefix);
	host = ntohl(p->addr) & ~mask;
	if (host == 0 || host == ~mask) {
		rc = fail(c, "\"%s\" is the subnet's network or broadcast address",
			  s);
		pop(c, mark);
		return rc;
	}
	for (j = 0; j < idx; j++) {
		const struct lb_conf_port *q = &c->conf->ports[j];
		uint8_t pl = p->prefix < q->prefix ? p->prefix : q->prefix;

		if (lb_conf_in_subnet(p->addr, q->addr, pl)) {
			rc = fail(c, "subnet of \"%s\" overlaps port \"%s\" (ports[%u])",
				  s, q->name, j);
			pop(c, mark);
			return rc;
		}
	}
	pop(c, mark);

	rc = get_ipv4(c, o, "gateway", false, &p->gateway);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		mark = push_key(c, "gateway");
		if (!lb_conf_in_subnet(p->gateway, p->addr, p->prefix) ||
		    p->gateway == p->addr) {
			rc = fail(c, "%s is not another address in the port's subnet",
				  lb_conf_ip_str(p->gateway, buf));
			pop(c, mark);
			return rc;
		}
		pop(c, mark);
	}
	if (get_uint(c, o, "vlan", 1, 4094, 0, &vlan) < 0)
		return -EINVAL;
	p->vlan = (uint16_t)vlan;
	/* the NIC's own range is known only once it is probed (start) */
	if (get_uint(c, o, "mtu", LB_MTU_MIN, LB_MTU_MAX, LB_MTU_DEFAULT,
		     &mtu) < 0)
		return -EINVAL;
	p->mtu = (uint16_t)mtu;
	return 0;
}

static int
parse_ports(struct ctx *c, json_t *root)
{
	json_t *arr, *o;
	size_t i, mark;
	int rc;

	if ((rc = get_array(c, root, "ports", true, &arr)) != 0)
		return rc;
	mark = push_key(c, "ports");
	if (json_array_size(arr) == 0 || json_array_size(arr) > LB_MAX_PORTS) {
		rc = fail(c, "expected 1 to %d ports", LB_MAX_PORTS);
		pop(c, mark);
		return rc;
	}
	json_array_foreach(arr, i, o) {
		size_t m2 = push_index(c, i);

		if (!json_is_object(o))
			rc = fail(c, "expected an object, got %s", type_name(o));
		else
			rc = parse_port(c, o, (unsigned int)i);
		if (rc != 0) {
			pop(c, mark);
			return rc;
		}
		pop(c, m2);
		c->conf->n_ports++;
	}
	pop(c, mark);
	return 0;
}

static int
add_vips(struct ctx *c, const uint32_t *v, unsigned int n)
{
	uint32_t *grown;

	if (c->conf->n_vips + n > LB_MAX_VIPS)
		return fail(c, "more than %d VIP addresses", LB_MAX_VIPS);
	grown = realloc(c->conf->vips,
			(c->conf->n_vips + n + 1) * sizeof(*grown));
	if (grown == NULL)
		return fail(c, "out of memory");
	memcpy(grown + c->conf->n_vips, v, n * sizeof(*v));
	c->conf->vips = grown;
	c->conf->n_vips += n;
	return 0;
}

static char *
read_file(const char *path, int *err)
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

/* A relative vip_file is found next to the configuration file, so a
 * configuration and its vipaddrs can move together. */
static void
resolve_relative(const char *source, const char *file, char *out, size_t size)
{
	const char *slash = strrchr(source, '/');

	if (file[0] == '/' || slash == NULL)
		snprintf(out, size, "%s", file);
	else
		snprintf(out, size, "%.*s/%s", (int)(slash - source), source,
			 file);
}

/* VIPs come from "vips" and from the seed's vipaddrs file; the union,
 * without duplicates, is the set the balancer answers ARP for. */
static int
parse_vips(struct ctx *c, json_t *root)
{
	struct lb_conf *conf = c->conf;
	char buf[INET_ADDRSTRLEN];
	unsigned int i, n;
	json_t *arr, *v;
	size_t idx, mark;
	int rc;

	rc = get_string(c, root, "vip_file", false, conf->vip_file,
			sizeof(conf->vip_file));
	if (rc < 0)
		return rc;
	if (rc == 0) {
		char path[2 * LB_PATH_MAX];
		uint32_t *fv;
		char *text;
		int err = 0;

		mark = push_key(c, "vip_file");
		resolve_relative(c->source, conf->vip_file, path, sizeof(path));
		text = read_file(path, &err);
		if (text == NULL) {
			rc = fail(c, "cannot read \"%s\": %s", conf->vip_file,
				  err == EILSEQ ? "contains a NUL byte" :
				  strerror(err));
			pop(c, mark);
			return rc;
		}
		rc = lb_vipaddrs_parse(text, path, &fv, &n, c->err);
		free(text);
		if (rc == 0) {
			rc = add_vips(c, fv, n);
			free(fv);
		}
		pop(c, mark);
		if (rc != 0)
			return rc;
	}

	rc = get_array(c, root, "vips", false, &arr);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		mark = push_key(c, "vips");
		json_array_foreach(arr, idx, v) {
			size_t m2 = push_index(c, idx);
			uint32_t addr, host;
			uint8_t prefix;

			if (!json_is_string(v)) {
				rc = fail(c, "expected an address or subnet string, got %s",
					  type_name(v));
				goto vips_out;
			}
			rc = lb_conf_parse_cidr(json_string_value(v), 24,
						&addr, &prefix);
			if (rc == -ERANGE) {
				rc = fail(c, "\"%s\": subnet masks must be /24 to /32",
					  json_string_value(v));
				goto vips_out;
			} else if (rc != 0) {
				rc = fail(c, "\"%s\" is not an IPv4 address or subnet",
					  json_string_value(v));
				goto vips_out;
			} else if (!lb_conf_cidr_aligned(addr, prefix)) {
				rc = fail(c, "\"%s\" has host bits set",
					  json_string_value(v));
				goto vips_out;
			}
			if (lb_conf_addr_reserved(addr)) {
				rc = fail(c, "%s cannot be a VIP (0/8, 127/8, multicast and broadcast are refused)",
					  lb_conf_ip_str(addr, buf));
				goto vips_out;
			}
			host = ntohl(addr);
			for (i = 0; i < (1u << (32 - prefix)); i++) {
				uint32_t a = htonl(host + i);

				if ((rc = add_vips(c, &a, 1)) != 0)
					goto vips_out;
			}
			pop(c, m2);
		}
		pop(c, mark);
	}

	/* sort, drop duplicates, and keep VIPs off our own addresses */
	if (conf->n_vips > 0)
		qsort(conf->vips, conf->n_vips, sizeof(*conf->vips), lb_conf_vip_cmp);
	for (i = 0, n = 0; i < conf->n_vips; i++)
		if (n == 0 || conf->vips[n - 1] != conf->vips[i])
			conf->vips[n++] = conf->vips[i];
	conf->n_vips = n;
	return 0;
vips_out:
	pop(c, mark);
	return rc;
}

static const char *const flows_keys[] = {
	"capacity", "syn_timeout", "tcp_timeout", "fin_timeout",
	"udp_timeout", NULL };

static int
parse_flows(struct ctx *c, json_t *root)
{
	struct lb_conf_flows *f = &c->conf->flows;
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = get_object(c, root, "flows", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();  /* all defaults */
	else
		json_incref(o);
	mark = push_key(c, "flows");
	rc = check_keys(c, o, flows_keys);
	if (rc == 0 &&
	    (get_uint(c, o, "capacity", 1024, 1u << 28, 1048576, &f->capacity) < 0 ||
	     get_uint(c, o, "syn_timeout", 1, 86400, 10, &f->syn_timeout) < 0 ||
	     get_uint(c, o, "tcp_timeout", 1, 7 * 86400, 900, &f->tcp_timeout) < 0 ||
	     get_uint(c, o, "fin_timeout", 1, 86400, 10, &f->fin_timeout) < 0 ||
	     get_uint(c, o, "udp_timeout", 1, 86400, 60, &f->udp_timeout) < 0))
		rc = -EINVAL;
	pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const dataplane_keys[] = {
	"idle", "idle_sleep_us", "rx_desc", "tx_desc", "mbufs", "frag_hold_ms",
	"frag_ttl_ms", "exception_pps", "arp_pps", "member_pps", "router_pps",
	"peer_pps", "vrrp_pps", NULL };

/* What an idle worker does: "poll", "sleep" idle_sleep_us, or wait for
 * an RX interrupt idle_sleep_us at most. Without "idle", a sleep set
 * means "sleep", as before the key existed. */
static int
parse_idle(struct ctx *c, json_t *o, struct lb_conf_dataplane *d)
{
	bool has_us = json_object_get(o, "idle_sleep_us") != NULL;
	size_t mark;
	int rc;

	rc = get_enum(c, o, "idle", lb_idle_names, LB_CONF_IDLE_MAX,
		      d->idle_sleep_us > 0 ? LB_CONF_IDLE_SLEEP :
		      LB_CONF_IDLE_POLL, &d->idle);
	if (rc < 0)
		return rc;
	if (d->idle == LB_CONF_IDLE_POLL && d->idle_sleep_us > 0) {
		mark = push_key(c, "idle_sleep_us");
		rc = fail(c, "%u: a worker that polls never sleeps (idle \"sleep\" or \"interrupt\" use it)",
			  d->idle_sleep_us);
		pop(c, mark);
		return rc;
	}
	if (d->idle != LB_CONF_IDLE_POLL && d->idle_sleep_us == 0) {
		if (has_us) {
			mark = push_key(c, "idle_sleep_us");
			rc = fail(c, "0: idle \"%s\" needs a sleep or longest wait",
				  lb_idle_names[d->idle]);
			pop(c, mark);
			return rc;
		}
		/* an interrupt wait ends at a packet: it may be long */
		d->idle_sleep_us = d->idle == LB_CONF_IDLE_INTERRUPT ? 1000 : 100;
	}
	return 0;
}

static int
parse_dataplane(struct ctx *c, json_t *root)
{
	struct lb_conf_dataplane *d = &c->conf->dataplane;
	uint32_t rx = 0, tx = 0;
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = get_object(c, root, "dataplane", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = push_key(c, "dataplane");
	rc = check_keys(c, o, dataplane_keys);
	if (rc == 0 &&
	    (get_uint(c, o, "idle_sleep_us", 0, 100000, 0, &d->idle_sleep_us) < 0 ||
	     get_uint(c, o, "rx_desc", 64, 16384, 1024, &rx) < 0 ||
	     get_uint(c, o, "tx_desc", 64, 16384, 1024, &tx) < 0 ||
	     get_uint(c, o, "mbufs", 0, 1u << 24, 0, &d->mbufs) < 0 ||
	     get_uint(c, o, "frag_hold_ms", 1, 1000, 10, &d->frag_hold_ms) < 0 ||
	     get_uint(c, o, "frag_ttl_ms", 10, 60000, 1000, &d->frag_ttl_ms) < 0 ||
	     get_uint(c, o, "exception_pps", 100, 10000000, 10000,
		      &d->exception_pps) < 0 ||
	     get_uint(c, o, "arp_pps", 10, 1000000, 1000, &d->arp_pps) < 0 ||
	     get_uint(c, o, "member_pps", 100, 10000000, 5000,
		      &d->member_pps) < 0 ||
	     get_uint(c, o, "router_pps", 10, 1000000, 1000,
		      &d->router_pps) < 0 ||
	     get_uint(c, o, "peer_pps", 10, 1000000, 5000, &d->peer_pps) < 0 ||
	     get_uint(c, o, "vrrp_pps", 10, 100000, 200, &d->vrrp_pps) < 0))
		rc = -EINVAL;
	d->rx_desc = (uint16_t)rx;
	d->tx_desc = (uint16_t)tx;
	if (rc == 0)
		rc = parse_idle(c, o, d);
	if (rc == 0 && d->frag_ttl_ms <= d->frag_hold_ms) {
		size_t m2 = push_key(c, "frag_ttl_ms");

		rc = fail(c, "%u must be longer than frag_hold_ms (%u): a first fragment is remembered at least as long as its later fragments wait",
			  d->frag_ttl_ms, d->frag_hold_ms);
		pop(c, m2);
	}
	if (rc == 0 && d->mbufs != 0 && d->mbufs < 2048) {
		size_t m2 = push_key(c, "mbufs");

		rc = fail(c, "%u is too few: use 0 (sized automatically) or at least 2048",
			  d->mbufs);
		pop(c, m2);
	}
	pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const arp_keys[] = {
	"reachable_time", "probe_interval", "probes", "retry_interval",
	"stale_retries", NULL };

static int
parse_arp(struct ctx *c, json_t *root)
{
	struct lb_conf_arp *a = &c->conf->arp;
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = get_object(c, root, "arp", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = push_key(c, "arp");
	rc = check_keys(c, o, arp_keys);
	if (rc == 0 &&
	    (get_seconds_ms(c, o, "reachable_time", 1000, 3600000, 60000,
			    &a->reachable_ms) < 0 ||
	     get_seconds_ms(c, o, "probe_interval", 100, 60000, 1000,
			    &a->probe_ms) < 0 ||
	     get_uint(c, o, "probes", 1, 10, 3, &a->probes) < 0 ||
	     get_seconds_ms(c, o, "retry_interval", 100, 3600000, 5000,
			    &a->retry_ms) < 0 ||
	     get_uint(c, o, "stale_retries", 0, 100, 3,
		      &a->stale_retries) < 0))
		rc = -EINVAL;
	/* refreshing starts at 3/4 of the reachable time: the probes must
	 * fit in the last quarter, or a MAC goes stale while confirmed */
	if (rc == 0 && (uint64_t)a->probe_ms * a->probes > a->reachable_ms / 4) {
		size_t m2 = push_key(c, "reachable_time");

		rc = fail(c, "%g s is too short for %u probes %g s apart (refreshing starts at 3/4 of it)",
			  a->reachable_ms / 1000.0, a->probes,
			  a->probe_ms / 1000.0);
		pop(c, m2);
	}
	pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const ha_keys[] = {
	"mode", "start", "announce_table", "vrrp_watchdog", "sync", "routers",
	"track_file", NULL };
static const char *const sync_keys[] = {
	"id", "peers", "port", "bulk_wait_ms", NULL };
static const char *const start_names[] = { "standby", "active" };

/* A neighbour on a port's segment (a sync peer, a router): a unicast
 * address in a port's subnet, not ours, listed once in list. what says
 * what it is for in messages. */
static int
parse_onlink(struct ctx *c, json_t *v, uint32_t *list, unsigned int *n,
	     const char *what)
{
	const struct lb_conf *conf = c->conf;
	uint32_t a;
	uint8_t prefix;
	unsigned int i;

	if (!json_is_string(v))
		return fail(c, "expected an address, got %s", type_name(v));
	if (strchr(json_string_value(v), '/') != NULL ||
	    lb_conf_parse_cidr(json_string_value(v), 32, &a, &prefix) != 0)
		return fail(c, "\"%s\" is not an IPv4 address",
			    json_string_value(v));
	if (lb_conf_addr_reserved(a))
		return fail(c, "%s cannot be a %s (reserved or multicast: a unicast address is needed)",
			    json_string_value(v), what);
	for (i = 0; i < conf->n_ports; i++) {
		if (conf->ports[i].addr == a)
			return fail(c, "%s is this balancer's own address (ports[%u])",
				    json_string_value(v), i);
		if (lb_conf_in_subnet(a, conf->ports[i].addr,
				      conf->ports[i].prefix))
			break;
	}
	if (i == conf->n_ports)
		return fail(c, "%s is in no port's subnet: a %s is on a segment the balancer is on",
			    json_string_value(v), what);
	for (i = 0; i < *n; i++)
		if (list[i] == a)
			return fail(c, "%s is listed twice",
				    json_string_value(v));
	list[(*n)++] = a;
	return 0;
}

/* A list of on-link neighbours (1 to max) at key of o. */
static int
parse_onlink_list(struct ctx *c, json_t *o, const char *key, uint32_t *list,
		  unsigned int *n, unsigned int max, const char *what)
{
	json_t *arr, *v;
	size_t i, mark;
	int rc;

	if ((rc = get_array(c, o, key, true, &arr)) != 0)
		return -EINVAL;
	mark = push_key(c, key);
	if (json_array_size(arr) == 0 || json_array_size(arr) > max) {
		rc = fail(c, "expected 1 to %u %s addresses", max, what);
		pop(c, mark);
		return rc;
	}
	json_array_foreach(arr, i, v) {
		size_t m2 = push_index(c, i);

		rc = parse_onlink(c, v, list, n, what);
		pop(c, m2);
		if (rc != 0)
			break;
	}
	pop(c, mark);
	return rc;
}

static int
parse_sync(struct ctx *c, json_t *o, struct lb_conf_ha *ha)
{
	uint32_t port = 0;
	size_t mark;
	int rc;

	if ((rc = check_keys(c, o, sync_keys)) != 0)
		return rc;
	if (get_uint(c, o, "id", 1, UINT32_MAX, 0, &ha->sync_id) != 0) {
		if (json_object_get(o, "id") == NULL) {
			mark = push_key(c, "id");
			rc = fail(c, "required: the sync id every balancer of the group shares");
			pop(c, mark);
		}
		return -EINVAL;
	}
	if (get_uint(c, o, "port", 1, 65535, LB_SYNC_PORT, &port) < 0 ||
	    get_uint(c, o, "bulk_wait_ms", 0, 60000, 3000,
		     &ha->bulk_wait_ms) < 0)
		return -EINVAL;
	ha->sync_port = (uint16_t)port;
	rc = parse_onlink_list(c, o, "peers", ha->peers, &ha->n_peers,
			       LB_SYNC_PEERS_MAX, "peer");
	if (rc == 0)
		ha->sync = true;
	return rc;
}

/* keepalived's track_file: an absolute path of a file (keepalived
 * watches its directory), mode vrrp only. */
static int
parse_track_file(struct ctx *c, json_t *o, struct lb_conf_ha *ha)
{
	char *f = ha->track_file;
	const char *base;
	size_t mark;
	int rc = get_string(c, o, "track_file", false, f,
			    sizeof(ha->track_file));

	if (rc != 0)
		return rc < 0 ? rc : 0;
	mark = push_key(c, "track_file");
	base = strrchr(f, '/');
	if (ha->mode != LB_HA_VRRP)
		rc = fail(c, "only for mode \"vrrp\" (keepalived reads it)");
	else if (f[0] != '/' || base[1] == '\0' ||
		 strcmp(base + 1, ".") == 0 || strcmp(base + 1, "..") == 0)
		rc = fail(c, "\"%s\" is not an absolute path of a file", f);
	pop(c, mark);
	return rc;
}

static int
parse_ha(struct ctx *c, json_t *root)
{
	struct lb_conf_ha *ha = &c->conf->ha;
	bool kif = c->conf->exception_interface[0] != '\0';
	uint8_t start = 1;
	json_t *o, *so;
	size_t mark, m2;
	int rc;

	if ((rc = get_object(c, root, "high_availability", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = push_key(c, "high_availability");
	rc = check_keys(c, o, ha_keys);
	if (rc == 0 &&
	    (get_enum(c, o, "mode", lb_ha_mode_names, LB_HA_MODE_MAX,
		      LB_HA_STANDALONE, &ha->mode) < 0 ||
	     get_uint(c, o, "announce_table", 1, UINT32_MAX,
		      LB_HA_ANNOUNCE_TABLE, &ha->announce_table) < 0 ||
	     get_seconds_ms(c, o, "vrrp_watchdog", 0, 60000, 3000,
			    &ha->vrrp_watchdog_ms) < 0))
		rc = -EINVAL;
	if (rc == 0 && ha->vrrp_watchdog_ms != 0 &&
	    ha->vrrp_watchdog_ms < 1000) {
		m2 = push_key(c, "vrrp_watchdog");
		rc = fail(c, "%g s is too short: keepalived advertises once a second (0 turns it off)",
			  ha->vrrp_watchdog_ms / 1000.0);
		pop(c, m2);
	}
	if (rc == 0 && json_object_get(o, "vrrp_watchdog") != NULL &&
	    ha->mode != LB_HA_VRRP) {
		m2 = push_key(c, "vrrp_watchdog");
		rc = fail(c, "only for mode \"vrrp\"");
		pop(c, m2);
	}
	/* after a reboot a VRRP balancer waits for keepalived: two never
	 * answer for a VIP at once */
	if (rc == 0 &&
	    get_enum(c, o, "start", start_names, 2,
		     ha->mode == LB_HA_VRRP ? 0 : 1, &start) < 0)
		rc = -EINVAL;
	ha->start_standby = start == 0;
	if (rc == 0 && json_object_get(o, "announce_table") != NULL &&
	    ha->mode != LB_HA_ECMP) {
		m2 = push_key(c, "announce_table");
		rc = fail(c, "only for mode \"ecmp\"");
		pop(c, m2);
	}
	if (rc == 0 && (ha->announce_table >= 253 && ha->announce_table <= 255)) {
		m2 = push_key(c, "announce_table");
		rc = fail(c, "%u is one of the kernel's own tables (default, main, local)",
			  ha->announce_table);
		pop(c, m2);
	}
	if (rc == 0 && ha->announce_table == LB_KIF_POLICY_TABLE) {
		m2 = push_key(c, "announce_table");
		rc = fail(c, "%u is the exception interface's policy table",
			  ha->announce_table);
		pop(c, m2);
	}
	if (rc == 0 && ha->mode != LB_HA_STANDALONE && !kif) {
		m2 = push_key(c, "mode");
		rc = fail(c, "\"%s\" needs an exception_interface (keepalived and BGP run on it)",
			  lb_ha_mode_names[ha->mode]);
		pop(c, m2);
	}
	if (rc == 0)
		rc = parse_track_file(c, o, ha);
	if (rc == 0 && json_object_get(o, "routers") != NULL)
		rc = parse_onlink_list(c, o, "routers", ha->routers,
				       &ha->n_routers, LB_ROUTERS_MAX,
				       "router");
	if (rc == 0 && get_object(c, o, "sync", &so) == 0) {
		m2 = push_key(c, "sync");
		if (!kif)
			rc = fail(c, "needs an exception_interface (sync messages are UDP from the own address)");
		else
			rc = parse_sync(c, so, ha);
		pop(c, m2);
	} else if (rc == 0 && json_object_get(o, "sync") != NULL) {
		rc = -EINVAL;
	}
	pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const member_keys[] = {
	"name", "address", "weight", "mac", "source_ports", "state", NULL };

static int
parse_member(struct ctx *c, json_t *o, struct lb_conf_member *m)
{
	char s[32], buf[INET_ADDRSTRLEN];
	size_t mark;
	int rc;

	if ((rc = check_keys(c, o, member_keys)) != 0 ||
	    (rc = get_name(c, o, m->name)) != 0 ||
	    (rc = get_ipv4(c, o, "address", true, &m->addr)) != 0)
		return rc;
	if (lb_conf_addr_reserved(m->addr)) {
		mark = push_key(c, "address");
		rc = fail(c, "%s cannot be a member (0/8, 127/8, multicast and broadcast are refused)",
			  lb_conf_ip_str(m->addr, buf));
		pop(c, mark);
		return rc;
	}
	if (get_uint(c, o, "weight", 0, 65535, 100, &m->weight) < 0)
		return -EINVAL;

	rc = get_string(c, o, "mac", false, s, sizeof(s));
	if (rc < 0)
		return rc;
	if (rc == 0) {
		mark = push_key(c, "mac");
		if (parse_mac(s, m->mac) != 0 || (m->mac[0] & 1) ||
		    memcmp(m->mac, "\0\0\0\0\0\0", 6) == 0) {
			rc = fail(c, "\"%s\" is not a unicast MAC address (aa:bb:cc:dd:ee:ff)",
				  s);
			pop(c, mark);
			return rc;
		}
		m->has_mac = true;
		pop(c, mark);
	}

	if (json_object_get(o, "source_ports") != NULL) {
		if (get_port_range(c, o, "source_ports", false, &m->sport_lo,
				   &m->sport_hi) != 0)
			return -EINVAL;
		m->has_sports = true;
	}

	return get_enum(c, o, "state", lb_admin_names, LB_ADMIN_STATE_MAX,
			LB_ADMIN_UP, &m->state) < 0 ? -EINVAL : 0;
}

static int
parse_members(struct ctx *c, json_t *root)
{
	json_t *arr, *o;
	size_t i, mark;
	int rc;

	if ((rc = get_array(c, root, "members", false, &arr)) < 0)
		return rc;
	if (rc == 1)
		return 0;
	mark = push_key(c, "members");
	if (json_array_size(arr) > LB_MAX_MEMBERS) {
		rc = fail(c, "more than %d members", LB_MAX_MEMBERS);
		pop(c, mark);
		return rc;
	}
	c->conf->members = calloc(json_array_size(arr) + 1,
				  sizeof(*c->conf->members));
	if (c->conf->members == NULL) {
		rc = fail(c, "out of memory");
		pop(c, mark);
		return rc;
	}
	json_array_foreach(arr, i, o) {
		size_t m2 = push_index(c, i);

		if (!json_is_object(o))
			rc = fail(c, "expected an object, got %s", type_name(o));
		else
			rc = parse_member(c, o, &c->conf->members[i]);
		if (rc != 0) {
			pop(c, mark);
			return rc;
		}
		pop(c, m2);
		c->conf->n_members++;
	}
	pop(c, mark);
	return 0;
}

static const char *const check_keys_list[] = {
	"type", "interval", "timeout", "rise", "fall", "port", "path",
	"transport", NULL };

static int
parse_check(struct ctx *c, json_t *svc_obj, struct lb_conf_service *s)
{
	struct lb_conf_check *k = &s->check;
	uint32_t rise, fall, port;
	char transport[8];
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = get_object(c, svc_obj, "check", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = push_key(c, "check");
	if ((rc = check_keys(c, o, check_keys_list)) != 0)
		goto out;
	rc = -EINVAL;
	/* checks are explicit, as in keepalived and haproxy: without one
	 * a member is taken as healthy */
	if (get_enum(c, o, "type", lb_check_names, LB_CHECK_TYPE_MAX,
		     LB_CHECK_NONE, &k->type) < 0 ||
	    get_seconds_ms(c, o, "interval", 100, 3600000, 2000,
			   &k->interval_ms) < 0 ||
	    get_seconds_ms(c, o, "timeout", 100, 3600000, 1000,
			   &k->timeout_ms) < 0 ||
	    get_uint(c, o, "rise", 1, 100, 2, &rise) < 0 ||
	    get_uint(c, o, "fall", 1, 100, 3, &fall) < 0 ||
	    get_uint(c, o, "port", 1, 65535, 0, &port) < 0)
		goto out;
	k->rise = (uint8_t)rise;
	k->fall = (uint8_t)fall;
	k->port = (uint16_t)port;
	if (k->type != LB_CHECK_NONE &&
	    c->conf->exception_interface[0] == '\0') {
		size_t m2 = push_key(c, "type");

		fail(c, "health checks run from the balancer's own address, which needs \"exception_interface\"");
		pop(c, m2);
		goto out;
	}
	if (k->timeout_ms > k->interval_ms) {
		size_t m2 = push_key(c, "timeout");

		fail(c, "%g s is longer than the interval (%g s)",
		     k->timeout_ms / 1000.0, k->interval_ms / 1000.0);
		pop(c, m2);
		goto out;
	}
	if (k->port == 0 && k->type != LB_CHECK_NONE &&
	    k->type != LB_CHECK_ICMP) {
		if (s->port_lo != s->port_hi) {
			fail(c, "the service has a port range, so the check needs a \"port\"");
			goto out;
		}
		k->port = s->port_lo;
	}

	if (get_string(c, o, "path", false, k->path, sizeof(k->path)) < 0)
		goto out;
	if (k->path[0] != '\0') {
		const char *p;
		size_t m2 = push_key(c, "path");

		if (k->type != LB_CHECK_HTTP) {
			fail(c, "only http checks take a path");
			pop(c, m2);
			goto out;
		}
		for (p = k->path; *p != '\0'; p++)
			if (!isgraph((unsigned char)*p))
				break;
		if (k->path[0] != '/' || *p != '\0') {
			fail(c, "\"%s\": an absolute path without spaces or control characters",
			     k->path);
			pop(c, m2);
			goto out;
		}
		pop(c, m2);
	} else if (k->type == LB_CHECK_HTTP) {
		strcpy(k->path, "/");
	}

	k->sip_proto = s->proto;
	rc = get_string(c, o, "transport", false, transport, sizeof(transport));
	if (rc < 0)
		goto out;
	if (rc == 0) {
		size_t m2 = push_key(c, "transport");

		rc = -EINVAL;
		if (k->type != LB_CHECK_SIP) {
			fail(c, "only sip checks take a transport");
		} else if (strcmp(transport, "udp") == 0) {
			k->sip_proto = LB_IPPROTO_UDP;
			rc = 0;
		} else if (strcmp(transport, "tcp") == 0) {
			k->sip_proto = LB_IPPROTO_TCP;
			rc = 0;
		} else {
			fail(c, "\"%s\" is not one of: udp, tcp", transport);
		}
		pop(c, m2);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const hash_field_names[] = {
	"src_ip", "src_port", "dst_ip", "dst_port" };

static int
parse_hash_fields(struct ctx *c, json_t *o, struct lb_conf_service *s)
{
	json_t *arr, *v;
	size_t i, mark;
	int rc;

	s->hash_fields = LB_HASH_F_DEFAULT;
	if ((rc = get_array(c, o, "hash_fields", false, &arr)) < 0)
		return rc;
	if (rc == 1)
		return 0;
	mark = push_key(c, "hash_fields");
	if (!s->stateless) {
		rc = fail(c, "only stateless services hash on chosen fields");
		goto out;
	}
	if (json_array_size(arr) == 0) {
		rc = fail(c, "name at least one of src_ip, src_port, dst_ip, dst_port");
		goto out;
	}
	s->hash_fields = 0;
	json_array_foreach(arr, i, v) {
		size_t m2 = push_index(c, i);
		int f = json_is_string(v) ?
			lb_conf_enum(hash_field_names, 4, json_string_value(v)) :
			-1;

		if (f < 0) {
			rc = fail(c, "expected one of \"src_ip\", \"src_port\", \"dst_ip\", \"dst_port\"");
			goto out;
		}
		s->hash_fields |= (uint8_t)(1u << f);
		pop(c, m2);
	}
	rc = 0;
out:
	pop(c, mark);
	return rc;
}

/* Member names as given: whether they exist is the core's question,
 * asked the same way for a file, a reload and a control request. */
static int
parse_service_members(struct ctx *c, json_t *o, struct lb_conf_service *s)
{
	json_t *arr, *v;
	size_t i, mark;
	unsigned int k;
	int rc;

	if ((rc = get_array(c, o, "members", false, &arr)) < 0)
		return rc;
	if (rc == 1)
		return 0;      /* every member */
	mark = push_key(c, "members");
	if (json_array_size(arr) > LB_MAX_MEMBERS) {
		rc = fail(c, "more than %d members", LB_MAX_MEMBERS);
		goto out;
	}
	s->members = calloc(json_array_size(arr) + 1, sizeof(*s->members));
	if (s->members == NULL) {
		rc = fail(c, "out of memory");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		size_t m2 = push_index(c, i);

		if (!json_is_string(v) ||
		    json_string_length(v) >= LB_NAME_MAX ||
		    !valid_name(json_string_value(v))) {
			rc = fail(c, "expected a member name");
			goto out;
		}
		for (k = 0; k < s->n_members; k++)
			if (strcmp(s->members[k], json_string_value(v)) == 0) {
				rc = fail(c, "\"%s\" is listed twice",
					  json_string_value(v));
				goto out;
			}
		strcpy(s->members[s->n_members++], json_string_value(v));
		pop(c, m2);
	}
	rc = 0;
out:
	pop(c, mark);
	return rc;
}

static const char *const service_keys[] = {
	"name", "vip", "protocol", "port", "scheduler", "persistence",
	"persistence_netmask", "stateless", "hash_fields", "table_size",
	"members", "check", NULL };

/* The seed's IPVSHelper -p default: a client sticks to its member for
 * 15 s after its last connection. */
#define LB_PERSIST_DEFAULT 15

static int
parse_persist_mask(struct ctx *c, json_t *o, struct lb_conf_service *s)
{
	char buf[INET_ADDRSTRLEN + 1];
	uint32_t mask, host;
	uint8_t prefix;
	size_t mark;
	int rc;

	s->persist_prefix = 32;
	rc = get_string(c, o, "persistence_netmask", false, buf, sizeof(buf));
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mark = push_key(c, "persistence_netmask");
	if (strchr(buf, '/') != NULL ||
	    lb_conf_parse_cidr(buf, 32, &mask, &prefix) != 0) {
		rc = fail(c, "\"%s\" is not a netmask such as 255.255.255.0",
			  buf);
		goto out;
	}
	host = ntohl(mask);
	for (prefix = 0; prefix < 32 && (host & (1u << (31 - prefix))); prefix++)
		;
	if (prefix < 8 || (prefix < 32 && (host << prefix) != 0)) {
		rc = fail(c, "\"%s\" is not a netmask of 8 to 32 leading ones",
			  buf);
		goto out;
	}
	if (s->persistence == 0) {
		rc = fail(c, "persistence is off (0): a netmask means nothing");
		goto out;
	}
	s->persist_prefix = prefix;
	rc = 0;
out:
	pop(c, mark);
	return rc;
}

/* One service, decoded: whether its VIP exists, its port is free and
 * its members exist is the core's question. */
static int
parse_service(struct ctx *c, json_t *o, struct lb_conf_service *s)
{
	char vip[INET_ADDRSTRLEN + 1], proto[8];
	uint32_t persist;
	size_t mark;
	int rc;

	if ((rc = check_keys(c, o, service_keys)) != 0 ||
	    (rc = get_name(c, o, s->name)) != 0)
		return rc;

	if ((rc = get_string(c, o, "vip", true, vip, sizeof(vip))) != 0)
		return rc;
	if (strcmp(vip, "*") == 0) {
		s->vip = 0;
	} else {
		uint8_t prefix;

		if (strchr(vip, '/') != NULL ||
		    lb_conf_parse_cidr(vip, 32, &s->vip, &prefix) != 0 ||
		    s->vip == 0) {
			mark = push_key(c, "vip");
			rc = fail(c, "\"%s\" is not an IPv4 address or \"*\"",
				  vip);
			pop(c, mark);
			return rc;
		}
	}

	if ((rc = get_string(c, o, "protocol", true, proto, sizeof(proto))) != 0)
		return rc;
	if (strcmp(proto, "tcp") == 0) {
		s->proto = LB_IPPROTO_TCP;
	} else if (strcmp(proto, "udp") == 0) {
		s->proto = LB_IPPROTO_UDP;
	} else {
		mark = push_key(c, "protocol");
		rc = fail(c, "\"%s\" is not one of: tcp, udp", proto);
		pop(c, mark);
		return rc;
	}

	if (get_port_range(c, o, "port", true, &s->port_lo, &s->port_hi) != 0)
		return -EINVAL;
	if (get_enum(c, o, "scheduler", lb_sched_names, LB_SCHED_KIND_MAX,
		     LB_SCHED_MAGLEV, &s->sched) < 0 ||
	    get_bool(c, o, "stateless", false, &s->stateless) < 0 ||
	    get_uint(c, o, "table_size", 7, LB_MAGLEV_MAX_SIZE,
		     LB_MAGLEV_DEFAULT_SIZE, &s->table_size) < 0)
		return -EINVAL;
	rc = get_uint(c, o, "persistence", 0, LB_PERSIST_MAX_TIMEOUT,
		      s->stateless ? 0 : LB_PERSIST_DEFAULT, &persist);
	if (rc < 0)
		return rc;
	s->persistence = persist;
	if (rc == 0 && persist != 0 && s->stateless) {
		mark = push_key(c, "persistence");
		rc = fail(c, "stateless services keep a client on one member by hashing (\"hash_fields\"); set 0 or remove the key");
		pop(c, mark);
		return rc;
	}
	if (parse_persist_mask(c, o, s) != 0)
		return -EINVAL;
	if (!lb_is_prime(s->table_size)) {
		mark = push_key(c, "table_size");
		rc = fail(c, "%u is not prime (Maglev needs a prime table size, such as 65537)",
			  s->table_size);
		pop(c, mark);
		return rc;
	}
	if (s->stateless) {
		mark = push_key(c, "stateless");
		rc = 0;
		if (s->proto != LB_IPPROTO_UDP)
			rc = fail(c, "only UDP services can be stateless");
		else if (s->sched != LB_SCHED_MAGLEV)
			rc = fail(c, "stateless services are balanced by consistent hashing; \"scheduler\" must be maglev");
		pop(c, mark);
		if (rc != 0)
			return rc;
	}
	if (parse_hash_fields(c, o, s) != 0 ||
	    parse_service_members(c, o, s) != 0 ||
	    parse_check(c, o, s) != 0)
		return -EINVAL;
	return 0;
}

static int
parse_services(struct ctx *c, json_t *root)
{
	json_t *arr, *o;
	size_t i, mark;
	int rc;

	if ((rc = get_array(c, root, "services", false, &arr)) < 0)
		return rc;
	if (rc == 1)
		return 0;
	mark = push_key(c, "services");
	if (json_array_size(arr) > LB_MAX_SERVICES) {
		rc = fail(c, "more than %d services", LB_MAX_SERVICES);
		pop(c, mark);
		return rc;
	}
	c->conf->services = calloc(json_array_size(arr) + 1,
				   sizeof(*c->conf->services));
	if (c->conf->services == NULL) {
		rc = fail(c, "out of memory");
		pop(c, mark);
		return rc;
	}
	json_array_foreach(arr, i, o) {
		size_t m2 = push_index(c, i);

		if (!json_is_object(o))
			rc = fail(c, "expected an object, got %s", type_name(o));
		else
			rc = parse_service(c, o, &c->conf->services[i]);
		c->conf->n_services++;  /* so lb_conf_free() sees it */
		if (rc != 0) {
			pop(c, mark);
			return rc;
		}
		pop(c, m2);
	}
	pop(c, mark);
	return 0;
}

/* A Unix socket path: absolute, and short enough for sun_path. */
static int
get_socket_path(struct ctx *c, json_t *root, const char *key, char *out)
{
	int rc = get_string(c, root, key, false, out, LB_SOCKET_PATH_MAX);
	size_t mark;

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (out[0] == '/')
		return 0;
	mark = push_key(c, key);
	rc = fail(c, "\"%s\" is not an absolute path", out);
	pop(c, mark);
	return rc;
}

static const char *const top_keys[] = {
	"ports", "exception_interface", "control_socket",
	"control_socket_readonly", "control_group", "vip_file", "vips",
	"flows", "dataplane", "arp", "high_availability", "members",
	"services", NULL };

static int
parse_top(struct ctx *c, json_t *root)
{
	struct lb_conf *conf = c->conf;
	const char *p;
	int rc;

	if (!json_is_object(root))
		return fail(c, "expected an object, got %s", type_name(root));
	if ((rc = check_keys(c, root, top_keys)) != 0)
		return -EINVAL;
	rc = get_string(c, root, "exception_interface", false,
			conf->exception_interface,
			sizeof(conf->exception_interface));
	if (rc < 0)
		return rc;
	for (p = conf->exception_interface; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*p != '\0' || (rc == 0 && conf->exception_interface[0] == '\0')) {
		size_t mark = push_key(c, "exception_interface");

		rc = fail(c, "\"%s\" is not a valid interface name",
			  conf->exception_interface);
		pop(c, mark);
		return rc;
	}
	if ((rc = parse_ports(c, root)) != 0 ||
	    (rc = parse_vips(c, root)) != 0 ||
	    (rc = parse_flows(c, root)) != 0 ||
	    (rc = parse_dataplane(c, root)) != 0 ||
	    (rc = parse_arp(c, root)) != 0 ||
	    (rc = parse_ha(c, root)) != 0 ||
	    (rc = parse_members(c, root)) != 0 ||
	    (rc = parse_services(c, root)) != 0)
		return -EINVAL;

	if ((rc = get_socket_path(c, root, "control_socket",
				  conf->control_socket)) != 0 ||
	    (rc = get_socket_path(c, root, "control_socket_readonly",
				  conf->control_socket_ro)) != 0)
		return -EINVAL;
	if (conf->control_socket_ro[0] != '\0' &&
	    strcmp(conf->control_socket_ro, conf->control_socket) == 0) {
		size_t mark = push_key(c, "control_socket_readonly");

		rc = fail(c, "the read-only socket needs a path of its own");
		pop(c, mark);
		return rc;
	}
	rc = get_string(c, root, "control_group", false, conf->control_group,
			sizeof(conf->control_group));
	if (rc < 0)
		return rc;
	if (rc == 0 && !valid_name(conf->control_group)) {
		size_t mark = push_key(c, "control_group");

		rc = fail(c, "\"%s\" is not a group name or number",
			  conf->control_group);
		pop(c, mark);
		return rc;
	}
	return 0;
}

struct lb_conf *
lb_conf_parse(const char *text, const char *source, struct lb_conf_error *err)
{
	struct ctx c = { .source = source, .err = err };
	json_error_t jerr;
	json_t *root;

	err->msg[0] = '\0';
	/* reject duplicate keys: the second would silently win */
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: invalid JSON: %s",
			 source, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	c.conf = calloc(1, sizeof(*c.conf));
	if (c.conf == NULL) {
		json_decref(root);
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", source);
		return NULL;
	}
	snprintf(c.conf->source, sizeof(c.conf->source), "%s", source);
	if (parse_top(&c, root) != 0) {
		json_decref(root);
		lb_conf_free(c.conf);
		return NULL;
	}
	json_decref(root);
	return c.conf;
}

static int
decode_one(json_t *o, const char *where, struct lb_conf *conf,
	   struct lb_conf_error *err, bool service, void *out)
{
	struct ctx c = { .source = NULL, .err = err, .conf = conf };
	int rc;

	err->msg[0] = '\0';
	snprintf(c.path, sizeof(c.path), "%s", where);
	c.plen = strlen(c.path);
	if (!json_is_object(o))
		return fail(&c, "expected an object, got %s", type_name(o));
	rc = service ? parse_service(&c, o, out) : parse_member(&c, o, out);
	return rc != 0 ? -EINVAL : 0;
}

int
lb_conf_decode_member(json_t *o, const char *where,
		      struct lb_conf_member *m, struct lb_conf_error *err)
{
	memset(m, 0, sizeof(*m));
	return decode_one(o, where, NULL, err, false, m);
}

int
lb_conf_decode_service(json_t *o, const char *where, bool checks_possible,
		       struct lb_conf_service *s, struct lb_conf_error *err)
{
	struct lb_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	/* only whether checks can run matters to a service */
	if (checks_possible)
		strcpy(conf.exception_interface, "kif");
	memset(s, 0, sizeof(*s));
	rc = decode_one(o, where, &conf, err, true, s);
	if (rc != 0)
		lb_conf_service_clear(s);
	return rc;
}

void
lb_conf_service_clear(struct lb_conf_service *s)
{
	free(s->members);
	s->members = NULL;
	s->n_members = 0;
}

struct lb_conf *
lb_conf_load(const char *path, struct lb_conf_error *err)
{
	struct lb_conf *conf;
	char *text;
	int e = 0;

	text = read_file(path, &e);
	if (text == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: cannot read: %s",
			 path, e == EILSEQ ? "contains a NUL byte" : strerror(e));
		return NULL;
	}
	conf = lb_conf_parse(text, path, err);
	free(text);
	return conf;
}

void
lb_conf_free(struct lb_conf *conf)
{
	unsigned int i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->n_services; i++)
		lb_conf_service_clear(&conf->services[i]);
	free(conf->services);
	free(conf->members);
	free(conf->vips);
	free(conf);
}
