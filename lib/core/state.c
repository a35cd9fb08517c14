/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The core's state: made, freed, its ports and settings, and the
 * lookups every rule reads. The rules that change members, services
 * and VIPs are in member.c, service.c and vip.c; a whole configuration
 * comes in through conf.c and reload.c; workers see the state through
 * publish.c.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>

#include "core_internal.h"

RTE_LOG_REGISTER(lb_core_logtype, dsrlb.core, INFO);

/* "<where>.<key>: <problem>", or "<where>: <problem>" without a key. */
int
lb_core_fail(struct lb_conf_error *err, int rc, const char *where,
	     const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL)
		return rc;
	if (where == NULL || where[0] == '\0')
		where = "(state)";
	n = key != NULL ?
		snprintf(err->msg, sizeof(err->msg), "%s.%s: ", where, key) :
		snprintf(err->msg, sizeof(err->msg), "%s: ", where);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* The port whose subnet of addr's family holds addr, or -EINVAL. */
int
lb_core_port_of(const struct lb_core *core, const struct lb_ip *addr)
{
	unsigned int i;

	for (i = 0; i < core->n_ports; i++) {
		const struct lb_conf_port *p = &core->ports[i].conf;

		if (lb_ip_is4(addr)) {
			if (lb_conf_in_subnet(lb_ip_v4(addr), p->addr,
					      p->prefix))
				return (int)i;
			continue;
		}
		if (!lb_ip_is_unset(&p->addr6) &&
		    lb_ip_in_net(addr, &p->addr6, p->prefix6))
			return (int)i;
	}
	return -EINVAL;
}

struct lb_core *
lb_core_create(const struct lb_core_params *p)
{
	struct lb_core *core = calloc(1, sizeof(*core));

	if (core == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	core->p = *p;
	core->active = true;
	core->dirty = true;
	core->flows = (struct lb_conf_flows){
		.capacity = 1048576, .syn_timeout = 10, .tcp_timeout = 900,
		.fin_timeout = 10, .udp_timeout = 60,
	};
	return core;
}

void
lb_core_services_free(struct lb_core *core)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		free(core->services[i]);
		core->services[i] = NULL;
	}
}

void
lb_core_free(struct lb_core *core)
{
	if (core == NULL)
		return;
	lb_core_runtime_free(core);
	lb_core_services_free(core);
	free(core->vips);
	free(core);
}

int
lb_core_port_add(struct lb_core *core, const struct lb_conf_port *p,
		 uint16_t dpdk_port, const uint8_t *mac)
{
	struct lb_core_port *cp;

	if (core->n_ports == LB_MAX_PORTS)
		return -ENOSPC;
	cp = &core->ports[core->n_ports];
	cp->conf = *p;
	/* a port built by hand rather than decoded from a file has no
	 * MTU: the file's default */
	if (cp->conf.mtu == 0)
		cp->conf.mtu = LB_MTU_DEFAULT;
	cp->dpdk_port = dpdk_port;
	memcpy(cp->mac, mac, sizeof(cp->mac));
	core->settings.ports[core->n_ports] = cp->conf;
	core->settings.n_ports = core->n_ports + 1;
	core->dirty = true;
	return (int)core->n_ports++;
}

const struct lb_conf_flows *
lb_core_flows(const struct lb_core *core)
{
	return &core->flows;
}

void
lb_core_flows_set(struct lb_core *core, const struct lb_conf_flows *f)
{
	core->flows = *f;
	core->dirty = true;
}

void
lb_core_set_active(struct lb_core *core, bool active)
{
	if (core->active != active) {
		core->active = active;
		core->dirty = true;
	}
}

void
lb_core_set_ha(struct lb_core *core, const struct lb_conf_ha *ha)
{
	core->settings.ha = *ha;
	core->dirty = true;
}

void
lb_core_set_started(struct lb_core *core)
{
	core->started = true;
}

uint64_t
lb_core_seq(const struct lb_core *core)
{
	return core->seq;
}

uint64_t
lb_core_tables_built(const struct lb_core *core)
{
	return core->tables_built;
}

const struct lb_conf *
lb_core_settings(const struct lb_core *core)
{
	return &core->settings;
}

int
lb_core_member_find(const struct lb_core *core, const char *name)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (core->members[i].used &&
		    strcmp(core->members[i].conf.name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int
lb_core_member_by_addr(const struct lb_core *core, const struct lb_ip *addr)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (core->members[i].used &&
		    lb_ip_eq(&core->members[i].conf.addr, addr))
			return (int)i;
	return -ENOENT;
}

int
lb_core_service_find(const struct lb_core *core, const char *name)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_SERVICES; i++)
		if (core->services[i] != NULL &&
		    strcmp(core->services[i]->conf.name, name) == 0)
			return (int)i;
	return -ENOENT;
}

const struct lb_core_member *
lb_core_member(const struct lb_core *core, unsigned int slot)
{
	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return NULL;
	return &core->members[slot];
}

const struct lb_core_service *
lb_core_service(const struct lb_core *core, unsigned int slot)
{
	return slot < LB_MAX_SERVICES ? core->services[slot] : NULL;
}

const struct lb_core_port *
lb_core_port(const struct lb_core *core, unsigned int idx)
{
	return idx < core->n_ports ? &core->ports[idx] : NULL;
}

unsigned int
lb_core_n_ports(const struct lb_core *core)
{
	return core->n_ports;
}

const struct lb_ip *
lb_core_vips(const struct lb_core *core, unsigned int *n)
{
	*n = core->n_vips;
	return core->vips;
}

bool
lb_core_is_vip(const struct lb_core *core, const struct lb_ip *addr)
{
	return lb_conf_vip_find(core->vips, core->n_vips, addr);
}

bool
lb_core_is_vip4(const struct lb_core *core, uint32_t addr)
{
	struct lb_ip a = lb_ip_from4(addr);

	return lb_core_is_vip(core, &a);
}

bool
lb_core_active(const struct lb_core *core)
{
	return core->active;
}

/* An own address or gateway of a port: never a VIP or a member. */
const struct lb_conf_port *
lb_core_own_address(const struct lb_core *core, const struct lb_ip *addr)
{
	unsigned int i;

	for (i = 0; i < core->n_ports; i++) {
		const struct lb_conf_port *p = &core->ports[i].conf;

		if (lb_ip_is4(addr) ?
		    p->addr == lb_ip_v4(addr) || p->gateway == lb_ip_v4(addr) :
		    lb_ip_eq(&p->addr6, addr) || lb_ip_eq(&p->gateway6, addr))
			return p;
	}
	return NULL;
}
