/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * A whole configuration into the state and back: the file at start
 * (lb_core_apply_conf()), a file only checked (dsrlb -t), and the
 * running state written as a file (config.get).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static void
settings_take(struct lb_conf *dst, const struct lb_conf *conf)
{
	*dst = *conf;
	dst->vips = NULL;
	dst->n_vips = 0;
	dst->members = NULL;
	dst->n_members = 0;
	dst->services = NULL;
	dst->n_services = 0;
}

int
lb_core_apply_conf(struct lb_core *core, const struct lb_conf *conf,
		   const uint16_t *dpdk_ports, const uint8_t (*macs)[6],
		   struct lb_conf_error *err)
{
	static const uint8_t no_mac[6];
	char where[LB_PATH_MAX + 32];
	unsigned int i;
	int rc;

	for (i = 0; i < conf->n_ports; i++) {
		rc = lb_core_port_add(core, &conf->ports[i],
				      dpdk_ports != NULL ? dpdk_ports[i] :
				      (uint16_t)i,
				      macs != NULL ? macs[i] : no_mac);
		if (rc < 0)
			return lb_core_fail(err, rc, conf->source, NULL,
					    "ports[%u]: %s", i, strerror(-rc));
	}
	settings_take(&core->settings, conf);
	core->active = !conf->ha.start_standby;
	snprintf(where, sizeof(where), "%s: (top level)", conf->source);
	rc = lb_core_vips_check_ports(core, conf->vips, conf->n_vips, where,
				      err);
	if (rc != 0)
		return rc;
	rc = lb_core_vips_set(core, conf->vips, conf->n_vips);
	if (rc < 0)
		return lb_core_fail(err, rc, conf->source, NULL, "vips: %s",
				    strerror(-rc));
	lb_core_flows_set(core, &conf->flows);
	for (i = 0; i < conf->n_members; i++) {
		snprintf(where, sizeof(where), "%s: members[%u]", conf->source, i);
		rc = lb_core_member_create(core, &conf->members[i], where, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < conf->n_services; i++) {
		snprintf(where, sizeof(where), "%s: services[%u]", conf->source, i);
		rc = lb_core_service_create(core, &conf->services[i], where, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
lb_core_conf_check(const struct lb_conf *conf, struct lb_conf_error *err)
{
	struct lb_core_params p = { .qsbr = NULL, .socket_id = -1 };
	struct lb_core *core = lb_core_create(&p);
	int rc;

	if (core == NULL)
		return lb_core_fail(err, -ENOMEM, conf->source, NULL,
				    "out of memory");
	core->quiet = true;
	rc = lb_core_apply_conf(core, conf, NULL, NULL, err);
	lb_core_free(core);
	return rc;
}

struct lb_conf *
lb_core_to_conf(const struct lb_core *core)
{
	struct lb_conf *conf = calloc(1, sizeof(*conf));
	unsigned int i, m, n;

	if (conf == NULL)
		return NULL;
	settings_take(conf, &core->settings);
	for (i = 0; i < core->n_ports; i++)
		conf->ports[i] = core->ports[i].conf;
	conf->n_ports = core->n_ports;
	snprintf(conf->source, sizeof(conf->source), "running state");
	conf->flows = core->flows;
	conf->vips = malloc((core->n_vips + 1) * sizeof(*conf->vips));
	conf->members = calloc(LB_MAX_MEMBERS, sizeof(*conf->members));
	conf->services = calloc(LB_MAX_SERVICES, sizeof(*conf->services));
	if (conf->vips == NULL || conf->members == NULL ||
	    conf->services == NULL)
		goto fail;
	memcpy(conf->vips, core->vips, core->n_vips * sizeof(*conf->vips));
	conf->n_vips = core->n_vips;
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *cm = &core->members[i];

		if (!cm->used || cm->removing)
			continue;
		conf->members[conf->n_members] = cm->conf;
		conf->members[conf->n_members].port = 0;
		if (cm->mac_state == LB_MAC_STATIC)
			memcpy(conf->members[conf->n_members].mac, cm->mac, 6);
		conf->n_members++;
	}
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];
		struct lb_conf_service *s;

		if (cs == NULL)
			continue;
		s = &conf->services[conf->n_services++];
		*s = cs->conf;
		s->members = NULL;
		s->n_members = 0;
		if (cs->all_members)
			continue;
		s->members = calloc(LB_MAX_MEMBERS + 1, sizeof(*s->members));
		if (s->members == NULL)
			goto fail;
		for (m = 0, n = 0; m < LB_MAX_MEMBERS; m++)
			if (cs->bound[m] && core->members[m].used &&
			    !core->members[m].removing)
				strcpy(s->members[n++], core->members[m].conf.name);
		s->n_members = (uint16_t)n;
	}
	return conf;
fail:
	lb_conf_free(conf);
	return NULL;
}
