/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core_internal.h"

RTE_LOG_REGISTER(lb_core_logtype, dsrlb.core, INFO);

const char *const lb_mac_state_names[LB_MAC_STATE_MAX] = {
	[LB_MAC_NONE] = "resolving",
	[LB_MAC_STATIC] = "static",
	[LB_MAC_RESOLVED] = "resolved",
	[LB_MAC_FAILED] = "failed",
};

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
lb_core_free(struct lb_core *core)
{
	unsigned int i;

	if (core == NULL)
		return;
	for (i = 0; i < core->n_retired; i++)
		lb_snap_free(core->retired[i].snap);
	lb_snap_free(core->cur);
	for (i = 0; i < LB_MAX_SERVICES; i++)
		free(core->services[i]);
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
	cp->dpdk_port = dpdk_port;
	memcpy(cp->mac, mac, sizeof(cp->mac));
	core->dirty = true;
	return (int)core->n_ports++;
}

int
lb_core_vips_set(struct lb_core *core, const uint32_t *vips, unsigned int n)
{
	uint32_t *copy = NULL;

	if (n > LB_MAX_VIPS)
		return -ENOSPC;
	if (n > 0) {
		copy = malloc(n * sizeof(*copy));
		if (copy == NULL)
			return -ENOMEM;
		memcpy(copy, vips, n * sizeof(*copy));
	}
	free(core->vips);
	core->vips = copy;
	core->n_vips = n;
	core->dirty = true;
	return 0;
}

void
lb_core_flows_set(struct lb_core *core, const struct lb_conf_flows *f)
{
	core->flows = *f;
	core->dirty = true;
}

static int
port_of(const struct lb_core *core, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < core->n_ports; i++)
		if (lb_conf_in_subnet(addr, core->ports[i].conf.addr,
				      core->ports[i].conf.prefix))
			return (int)i;
	return -EINVAL;
}

int
lb_core_member_add(struct lb_core *core, const struct lb_conf_member *m)
{
	struct lb_core_member *cm = NULL;
	unsigned int i, s;
	int port;

	if (lb_core_member_find(core, m->name) >= 0 ||
	    lb_core_member_by_addr(core, m->addr) >= 0)
		return -EEXIST;
	port = port_of(core, m->addr);
	if (port < 0)
		return port;
	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (!core->members[i].used) {
			cm = &core->members[i];
			break;
		}
	if (cm == NULL)
		return -ENOSPC;

	cm->gen++;   /* flows left on this slot by a removed member move */
	cm->conf = *m;
	cm->conf.port = (uint8_t)port;
	cm->used = 1;
	if (m->has_mac) {
		cm->mac_state = LB_MAC_STATIC;
		memcpy(cm->mac, m->mac, sizeof(cm->mac));
	} else {
		cm->mac_state = LB_MAC_NONE;
		memset(cm->mac, 0, sizeof(cm->mac));
	}
	/* services bound to every member take the new one; its health
	 * starts up until its checks say otherwise */
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		struct lb_core_service *cs = core->services[s];

		if (cs == NULL)
			continue;
		cs->bound[i] = cs->all_members;
		cs->health[i] = LB_HEALTH_UP;
	}
	core->dirty = true;
	CORE_LOG(INFO, "member %s added (slot %u)", m->name, i);
	return (int)i;
}

int
lb_core_member_remove(struct lb_core *core, unsigned int slot)
{
	struct lb_core_member *cm;
	unsigned int s;

	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return -ENOENT;
	cm = &core->members[slot];
	CORE_LOG(INFO, "member %s removed", cm->conf.name);
	cm->used = 0;
	cm->gen++;
	for (s = 0; s < LB_MAX_SERVICES; s++)
		if (core->services[s] != NULL)
			core->services[s]->bound[slot] = 0;
	core->dirty = true;
	return 0;
}

int
lb_core_member_set_weight(struct lb_core *core, unsigned int slot,
			  uint32_t weight)
{
	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return -ENOENT;
	if (weight > 65535)
		return -ERANGE;
	if (core->members[slot].conf.weight != weight) {
		core->members[slot].conf.weight = weight;
		core->dirty = true;
	}
	return 0;
}

int
lb_core_member_set_state(struct lb_core *core, unsigned int slot,
			 uint8_t state)
{
	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return -ENOENT;
	if (state >= LB_ADMIN_STATE_MAX)
		return -EINVAL;
	if (core->members[slot].conf.state != state) {
		CORE_LOG(NOTICE, "member %s: %s -> %s",
			 core->members[slot].conf.name,
			 lb_admin_names[core->members[slot].conf.state],
			 lb_admin_names[state]);
		core->members[slot].conf.state = state;
		core->dirty = true;
	}
	return 0;
}

void
lb_core_member_set_mac(struct lb_core *core, unsigned int slot,
		       const uint8_t *mac)
{
	struct lb_core_member *cm;

	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return;
	cm = &core->members[slot];
	if (cm->mac_state == LB_MAC_STATIC)
		return;
	if (mac == NULL) {
		if (cm->mac_state == LB_MAC_FAILED)
			return;
		cm->mac_state = LB_MAC_FAILED;
		memset(cm->mac, 0, sizeof(cm->mac));
	} else {
		if (cm->mac_state == LB_MAC_RESOLVED &&
		    memcmp(cm->mac, mac, sizeof(cm->mac)) == 0)
			return;
		cm->mac_state = LB_MAC_RESOLVED;
		memcpy(cm->mac, mac, sizeof(cm->mac));
	}
	core->dirty = true;
}

int
lb_core_service_add(struct lb_core *core, const struct lb_conf_service *s,
		    const uint16_t *bound_slots, unsigned int n_bound)
{
	struct lb_core_service *cs;
	unsigned int i, slot;

	if (lb_core_service_find(core, s->name) >= 0)
		return -EEXIST;
	for (slot = 0; slot < LB_MAX_SERVICES; slot++)
		if (core->services[slot] == NULL)
			break;
	if (slot == LB_MAX_SERVICES)
		return -ENOSPC;
	for (i = 0; i < n_bound; i++)
		if (bound_slots[i] >= LB_MAX_MEMBERS ||
		    !core->members[bound_slots[i]].used)
			return -ENOENT;
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return -ENOMEM;
	cs->conf = *s;
	cs->conf.members = NULL;
	cs->conf.n_members = 0;
	cs->used = 1;
	cs->all_members = bound_slots == NULL;
	if (cs->all_members) {
		for (i = 0; i < LB_MAX_MEMBERS; i++)
			cs->bound[i] = core->members[i].used;
	} else {
		for (i = 0; i < n_bound; i++)
			cs->bound[bound_slots[i]] = 1;
	}
	core->services[slot] = cs;
	core->dirty = true;
	return (int)slot;
}

int
lb_core_service_remove(struct lb_core *core, unsigned int slot)
{
	if (slot >= LB_MAX_SERVICES || core->services[slot] == NULL)
		return -ENOENT;
	free(core->services[slot]);
	core->services[slot] = NULL;
	core->dirty = true;
	return 0;
}

void
lb_core_health_set(struct lb_core *core, unsigned int svc, unsigned int member,
		   enum lb_health h)
{
	struct lb_core_service *cs;

	if (svc >= LB_MAX_SERVICES || member >= LB_MAX_MEMBERS)
		return;
	cs = core->services[svc];
	if (cs == NULL || cs->health[member] == h)
		return;
	cs->health[member] = (uint8_t)h;
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
lb_core_member_by_addr(const struct lb_core *core, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (core->members[i].used && core->members[i].conf.addr == addr)
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

const uint32_t *
lb_core_vips(const struct lb_core *core, unsigned int *n)
{
	*n = core->n_vips;
	return core->vips;
}

bool
lb_core_is_vip(const struct lb_core *core, uint32_t addr)
{
	return lb_conf_vip_find(core->vips, core->n_vips, addr);
}

bool
lb_core_active(const struct lb_core *core)
{
	return core->active;
}

int
lb_core_apply_conf(struct lb_core *core, const struct lb_conf *conf,
		   const uint16_t *dpdk_ports, const uint8_t (*macs)[6],
		   struct lb_conf_error *err)
{
	uint16_t slots[LB_MAX_MEMBERS];
	uint16_t bound[LB_MAX_MEMBERS];
	unsigned int i, j;
	int rc;

	for (i = 0; i < conf->n_ports; i++) {
		rc = lb_core_port_add(core, &conf->ports[i], dpdk_ports[i],
				      macs[i]);
		if (rc < 0) {
			snprintf(err->msg, sizeof(err->msg), "%s: ports[%u]: %s",
				 conf->source, i, strerror(-rc));
			return rc;
		}
	}
	rc = lb_core_vips_set(core, conf->vips, conf->n_vips);
	if (rc < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: vips: %s",
			 conf->source, strerror(-rc));
		return rc;
	}
	lb_core_flows_set(core, &conf->flows);
	for (i = 0; i < conf->n_members; i++) {
		rc = lb_core_member_add(core, &conf->members[i]);
		if (rc < 0) {
			snprintf(err->msg, sizeof(err->msg), "%s: members[%u]: %s",
				 conf->source, i, strerror(-rc));
			return rc;
		}
		slots[i] = (uint16_t)rc;
	}
	for (i = 0; i < conf->n_services; i++) {
		const struct lb_conf_service *s = &conf->services[i];

		for (j = 0; j < s->n_members; j++)
			bound[j] = slots[s->members[j]];
		rc = lb_core_service_add(core, s,
					 s->members != NULL ? bound : NULL,
					 s->n_members);
		if (rc < 0) {
			snprintf(err->msg, sizeof(err->msg), "%s: services[%u]: %s",
				 conf->source, i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
retire(struct lb_core *core, struct lb_snapshot *old)
{
	struct lb_retired *r;

	if (old == NULL)
		return;
	if (core->p.qsbr == NULL) {
		lb_snap_free(old);
		return;
	}
	r = &core->retired[core->n_retired++];
	r->snap = old;
	r->token = rte_rcu_qsbr_start(core->p.qsbr);
}

int
lb_core_commit(struct lb_core *core)
{
	struct lb_snapshot *s, *old;

	if (!core->dirty)
		return 0;
	/* a worker that never reaches a quiescent state would make us
	 * hold snapshots forever: refuse to pile up more */
	lb_core_reclaim(core);
	if (core->n_retired == LB_RETIRE_MAX) {
		CORE_LOG(WARNING, "%u snapshots wait for a grace period; change deferred",
			 core->n_retired);
		return -EBUSY;
	}
	s = lb_snap_build(core);
	if (s == NULL) {
		CORE_LOG(ERR, "cannot build snapshot: %s",
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	s->version = ++core->version;
	old = core->cur;
	__atomic_store_n(&core->cur, s, __ATOMIC_RELEASE);
	retire(core, old);
	core->dirty = false;
	return 1;
}

const struct lb_snapshot *
lb_core_snapshot(const struct lb_core *core)
{
	return __atomic_load_n(&core->cur, __ATOMIC_ACQUIRE);
}

struct lb_snapshot *const *
lb_core_snapshot_ptr(const struct lb_core *core)
{
	return &core->cur;
}

unsigned int
lb_core_reclaim(struct lb_core *core)
{
	unsigned int i = 0, freed = 0;

	/* tokens grow in order: stop at the first that is not done */
	while (i < core->n_retired &&
	       rte_rcu_qsbr_check(core->p.qsbr, core->retired[i].token,
				  false) == 1) {
		lb_snap_free(core->retired[i].snap);
		i++;
		freed++;
	}
	if (freed > 0) {
		memmove(core->retired, core->retired + freed,
			(core->n_retired - freed) * sizeof(core->retired[0]));
		core->n_retired -= freed;
	}
	return freed;
}

unsigned int
lb_core_retired(const struct lb_core *core)
{
	return core->n_retired;
}
