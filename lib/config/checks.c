/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * A service's health check: its kind, timing, port, and what some kinds
 * take (an http path, a sip transport).
 */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "lb_pkt.h"
#include "lb_config.h"
#include "config_internal.h"

static const char *const check_keys_list[] = {
	"type", "interval", "timeout", "rise", "fall", "port", "path",
	"transport", NULL };

/* The check of service s (svc_obj): without one, the members are taken
 * as healthy. Its port defaults to the service's. */
int
conf_parse_check(struct conf_ctx *c, json_t *svc_obj,
		 struct lb_conf_service *s)
{
	struct lb_conf_check *k = &s->check;
	uint32_t rise, fall, port;
	char transport[8];
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = conf_get_object(c, svc_obj, "check", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = conf_push_key(c, "check");
	if ((rc = conf_check_keys(c, o, check_keys_list)) != 0)
		goto out;
	rc = -EINVAL;
	/* checks are explicit, as in keepalived and haproxy: without one
	 * a member is taken as healthy */
	if (conf_get_enum(c, o, "type", lb_check_names, LB_CHECK_TYPE_MAX,
			  LB_CHECK_NONE, &k->type) < 0 ||
	    conf_get_seconds_ms(c, o, "interval", 100, 3600000, 2000,
				&k->interval_ms) < 0 ||
	    conf_get_seconds_ms(c, o, "timeout", 100, 3600000, 1000,
				&k->timeout_ms) < 0 ||
	    conf_get_uint(c, o, "rise", 1, 100, 2, &rise) < 0 ||
	    conf_get_uint(c, o, "fall", 1, 100, 3, &fall) < 0 ||
	    conf_get_uint(c, o, "port", 1, 65535, 0, &port) < 0)
		goto out;
	k->rise = (uint8_t)rise;
	k->fall = (uint8_t)fall;
	k->port = (uint16_t)port;
	if (k->type != LB_CHECK_NONE &&
	    c->conf->exception_interface[0] == '\0') {
		size_t m2 = conf_push_key(c, "type");

		conf_fail(c, "health checks run from the balancer's own address, which needs \"exception_interface\"");
		conf_pop(c, m2);
		goto out;
	}
	if (k->timeout_ms > k->interval_ms) {
		size_t m2 = conf_push_key(c, "timeout");

		conf_fail(c, "%g s is longer than the interval (%g s)",
			  k->timeout_ms / 1000.0, k->interval_ms / 1000.0);
		conf_pop(c, m2);
		goto out;
	}
	if (k->port == 0 && k->type != LB_CHECK_NONE &&
	    k->type != LB_CHECK_ICMP) {
		if (s->port_lo != s->port_hi) {
			conf_fail(c, "the service has a port range, so the check needs a \"port\"");
			goto out;
		}
		k->port = s->port_lo;
	}

	if (conf_get_string(c, o, "path", false, k->path, sizeof(k->path)) < 0)
		goto out;
	if (k->path[0] != '\0') {
		const char *p;
		size_t m2 = conf_push_key(c, "path");

		if (k->type != LB_CHECK_HTTP) {
			conf_fail(c, "only http checks take a path");
			conf_pop(c, m2);
			goto out;
		}
		for (p = k->path; *p != '\0'; p++)
			if (!isgraph((unsigned char)*p))
				break;
		if (k->path[0] != '/' || *p != '\0') {
			conf_fail(c, "\"%s\": an absolute path without spaces or control characters",
				  k->path);
			conf_pop(c, m2);
			goto out;
		}
		conf_pop(c, m2);
	} else if (k->type == LB_CHECK_HTTP) {
		strcpy(k->path, "/");
	}

	k->sip_proto = s->proto;
	rc = conf_get_string(c, o, "transport", false, transport,
			     sizeof(transport));
	if (rc < 0)
		goto out;
	if (rc == 0) {
		size_t m2 = conf_push_key(c, "transport");

		rc = -EINVAL;
		if (k->type != LB_CHECK_SIP) {
			conf_fail(c, "only sip checks take a transport");
		} else if (strcmp(transport, "udp") == 0) {
			k->sip_proto = LB_IPPROTO_UDP;
			rc = 0;
		} else if (strcmp(transport, "tcp") == 0) {
			k->sip_proto = LB_IPPROTO_TCP;
			rc = 0;
		} else {
			conf_fail(c, "\"%s\" is not one of: udp, tcp",
				  transport);
		}
		conf_pop(c, m2);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	conf_pop(c, mark);
	json_decref(o);
	return rc;
}

