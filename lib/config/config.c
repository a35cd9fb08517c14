/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The configuration file: read, decoded section by section (the
 * sections live in ports.c, settings.c, ha.c, services.c and
 * checks.c), released.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lb_config.h"
#include "config_internal.h"

static const char *const top_keys[] = {
	"ports", "exception_interface", "control_socket",
	"control_socket_readonly", "control_group", "control_readonly_group",
	"control_readonly_mode", "vip_file", "vips", "flows", "dataplane",
	"arp", "high_availability", "members", "services", NULL };

/* The sections in order: a later one may look at an earlier one (the
 * health checks and HA at the exception interface, sync peers at the
 * ports), and the first error found is the one reported. */
static int
parse_top(struct conf_ctx *c, json_t *root)
{
	if (!json_is_object(root))
		return conf_fail(c, "expected an object, got %s",
				 conf_type_name(root));
	if (conf_check_keys(c, root, top_keys) != 0 ||
	    conf_parse_exception_interface(c, root) != 0 ||
	    conf_parse_ports(c, root) != 0 ||
	    conf_parse_vips(c, root) != 0 ||
	    conf_parse_flows(c, root) != 0 ||
	    conf_parse_dataplane(c, root) != 0 ||
	    conf_parse_arp(c, root) != 0 ||
	    conf_parse_ha(c, root) != 0 ||
	    conf_parse_members(c, root) != 0 ||
	    conf_parse_services(c, root) != 0 ||
	    conf_parse_control(c, root) != 0)
		return -EINVAL;
	return 0;
}

struct lb_conf *
lb_conf_parse(const char *text, const char *source, struct lb_conf_error *err)
{
	struct conf_ctx c = { .source = source, .err = err };
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
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory",
			 source);
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

struct lb_conf *
lb_conf_load(const char *path, struct lb_conf_error *err)
{
	struct lb_conf *conf;
	char *text;
	int e = 0;

	text = conf_read_file(path, &e);
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

