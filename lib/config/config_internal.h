/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CONFIG_INTERNAL_H
#define LB_CONFIG_INTERNAL_H

/*
 * What the files of lib/config share. decode.c reads JSON values and
 * keeps the path for messages; each section file (ports.c, settings.c,
 * ha.c, services.c, checks.c) decodes its part with it; config.c reads
 * the file and calls the sections in order. Calls go one way only:
 * config.c -> the sections (services.c -> checks.c) -> decode.c, and
 * vipaddrs.c below them all; encode.c is the way back.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lb_config.h"

/* Decoding context: the JSON path of the value being read, so every
 * message can say where the problem is. source is NULL for a control
 * request (the path then starts with its params). */
struct conf_ctx {
	const char *source;
	char path[LB_PATH_MAX];
	size_t plen;
	struct lb_conf_error *err;
	struct lb_conf *conf;
};

/* decode.c: messages and the path. */

/* Set the message "<source>: <path>: <fmt>"; returns -EINVAL. */
int conf_fail(struct conf_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append ".key" or "[i]" to the path; the mark returned undoes it. */
size_t conf_push_key(struct conf_ctx *c, const char *key);
size_t conf_push_index(struct conf_ctx *c, size_t i);
void conf_pop(struct conf_ctx *c, size_t mark);
/* "an object", "a string", ... for "expected X, got Y" */
const char *conf_type_name(const json_t *v);

/* decode.c: the getters. Each reads key of obj with the key on the
 * path, checks type and range and returns 0, 1 when the key is absent
 * and optional (out set to the default where there is one), or
 * -EINVAL. */

/* Unknown keys are errors: allowed ends with NULL. */
int conf_check_keys(struct conf_ctx *c, json_t *obj,
		    const char *const *allowed);
int conf_get_string(struct conf_ctx *c, json_t *obj, const char *key,
		    bool required, char *out, size_t size);
int conf_get_uint(struct conf_ctx *c, json_t *obj, const char *key,
		  uint64_t min, uint64_t max, uint32_t def, uint32_t *out);
/* seconds (integer or fractional) kept in milliseconds */
int conf_get_seconds_ms(struct conf_ctx *c, json_t *obj, const char *key,
			uint32_t min_ms, uint32_t max_ms, uint32_t def_ms,
			uint32_t *out);
int conf_get_bool(struct conf_ctx *c, json_t *obj, const char *key, bool def,
		  bool *out);
int conf_get_enum(struct conf_ctx *c, json_t *obj, const char *key,
		  const char *const *names, unsigned int n, int def,
		  uint8_t *out);
/* *out is NULL when absent */
int conf_get_object(struct conf_ctx *c, json_t *obj, const char *key,
		    json_t **out);
int conf_get_array(struct conf_ctx *c, json_t *obj, const char *key,
		   bool required, json_t **out);
/* "name": required, 1..31 of [A-Za-z0-9_.-] */
int conf_get_name(struct conf_ctx *c, json_t *obj, char *out);
/* a bare IPv4 address (no length) */
/* an address of either family (a dotted quad for IPv4) */
int conf_get_ip(struct conf_ctx *c, json_t *obj, const char *key,
		bool required, struct lb_ip *out);
int conf_get_ipv4(struct conf_ctx *c, json_t *obj, const char *key,
		  bool required, uint32_t *out);
/* "N", "lo-hi" or N; "any" (0-65535) when allow_any; required */
int conf_get_port_range(struct conf_ctx *c, json_t *obj, const char *key,
			bool allow_any, uint16_t *lo, uint16_t *hi);
bool conf_valid_name(const char *s);

/* An array of objects under one key (ports, members, services): its
 * length checked, then each element, with "[i]" on the path, checked
 * to be an object and given to decode with its slot. */
struct conf_obj_array {
	const char *key;
	const char *noun;       /* plural, for the length message */
	unsigned int min;       /* 0: the key may be absent */
	unsigned int max;
	size_t size;            /* bytes of one decoded element */
	/* decode o into elem, the idx-th slot */
	int (*decode)(struct conf_ctx *c, json_t *o, void *elem,
		      unsigned int idx);
};

/*
 * Decode the array a->key of obj. *items is where the elements go: a
 * NULL *items is allocated (length + 1 zeroed slots, the caller frees
 * it). *n counts the slots handed to decode, the one that failed
 * included (it may hold memory to release). Returns 0, 1 when the key
 * is absent and optional, or -EINVAL.
 */
int conf_get_object_array(struct conf_ctx *c, json_t *obj,
			  const struct conf_obj_array *a, void **items,
			  unsigned int *n);

/* The whole file as a string; NULL with *err an errno (EILSEQ: it
 * holds a NUL byte). */
char *conf_read_file(const char *path, int *err);

/* ports.c: the balancer's addresses. */
int conf_parse_ports(struct conf_ctx *c, json_t *root);
int conf_parse_vips(struct conf_ctx *c, json_t *root);

/* settings.c: process and tuning settings. */
int conf_parse_exception_interface(struct conf_ctx *c, json_t *root);
int conf_parse_flows(struct conf_ctx *c, json_t *root);
int conf_parse_dataplane(struct conf_ctx *c, json_t *root);
int conf_parse_arp(struct conf_ctx *c, json_t *root);
int conf_parse_control(struct conf_ctx *c, json_t *root);

/* ha.c */
int conf_parse_ha(struct conf_ctx *c, json_t *root);

/* services.c: members and services (one at a time for a control
 * request: lb_conf_decode_member(), lb_conf_decode_service()). */
int conf_parse_members(struct conf_ctx *c, json_t *root);
int conf_parse_services(struct conf_ctx *c, json_t *root);

/* checks.c: a service's "check" */
int conf_parse_check(struct conf_ctx *c, json_t *svc_obj,
		     struct lb_conf_service *s);

#endif /* LB_CONFIG_INTERNAL_H */
