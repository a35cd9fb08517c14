/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The rules of services and of the members bound to them: a service is
 * added, changed and removed here, checked against the VIPs, the other
 * services on the same ports and the members it names; a binding and
 * its health start here.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

/* Port specificity: an exact port beats a range, a range beats any. */
static int
port_class(const struct lb_conf_service *s)
{
	if (s->port_lo == s->port_hi)
		return 2;
	return s->port_lo == 0 && s->port_hi == 65535 ? 0 : 1;
}

/* Member source-port ranges take a port away from every service on
 * every VIP, so an overlap with a named port or range would silently
 * steal that service's traffic. Services on "any" port are meant to be
 * cut. */
bool
lb_core_sports_hit_service(const struct lb_conf_member *m,
			   const struct lb_conf_service *s)
{
	return m->has_sports && port_class(s) != 0 &&
	       m->sport_lo <= s->port_hi && s->port_lo <= m->sport_hi;
}

/* The health a (service, member) pair starts with: up at boot, so a
 * restarted balancer keeps its flows; once running, down until the
 * first check passes when the service is checked. */
uint8_t
lb_core_start_health(const struct lb_core *core,
		     const struct lb_core_service *cs)
{
	return core->started && cs->conf.check.type != LB_CHECK_NONE ?
		LB_HEALTH_DOWN : LB_HEALTH_UP;
}

/* Checked services need their members on ports[0]: checks leave from
 * the exception interface, which stands for it. */
static int
reachable(const struct lb_core *core, const struct lb_conf_service *s,
	  const char *name, int port, const char *where, const char *key,
	  struct lb_conf_error *err)
{
	if (s->check.type == LB_CHECK_NONE || port <= 0)
		return 0;
	return lb_core_fail(err, -EINVAL, where, key,
			    "service \"%s\" is checked from the exception interface of ports[0] (\"%s\"), which cannot reach member \"%s\" on port \"%s\"",
			    s->name, core->ports[0].conf.name, name,
			    core->ports[port].conf.name);
}

static int
check_reachable(const struct lb_core *core, const struct lb_conf_service *s,
		unsigned int member, const char *where,
		struct lb_conf_error *err)
{
	const struct lb_core_member *m = &core->members[member];

	return reachable(core, s, m->conf.name, m->conf.port, where, "check",
			 err);
}

int
lb_core_service_can_bind(const struct lb_core *core, unsigned int svc,
			 const struct lb_conf_member *m, const char *where,
			 struct lb_conf_error *err)
{
	const struct lb_core_service *cs;

	if (svc >= LB_MAX_SERVICES || core->services[svc] == NULL)
		return -ENOENT;
	cs = core->services[svc];
	if (cs->all_members)
		return lb_core_fail(err, -EINVAL, where, NULL,
				    "service \"%s\" takes every member already",
				    cs->conf.name);
	return reachable(core, &cs->conf, m->name,
			 lb_core_port_of(core, &m->addr), where, NULL, err);
}

/* Check a service against the state; skip is its own slot (or -1).
 * Fills bound[] with the member slots it names (n_bound), or sets *all. */
static int
service_check(const struct lb_core *core, const struct lb_conf_service *s,
	      int skip, const char *where, struct lb_conf_error *err,
	      uint8_t *bound, bool *all)
{
	char buf[LB_IP_STRLEN], key[32];
	unsigned int i;
	int rc, m;

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *q = core->services[i];

		if (q == NULL || (int)i == skip)
			continue;
		if (strcmp(q->conf.name, s->name) == 0)
			return lb_core_fail(err, -EEXIST, where, "name",
					    "a service named \"%s\" exists",
					    s->name);
	}
	if (lb_ip_is_unset(&s->vip) && core->n_vips == 0)
		return lb_core_fail(err, -EINVAL, where, "vip",
				    "\"*\" means every VIP, but no VIPs are configured (\"vips\", \"vip_file\")");
	if (!lb_ip_is_unset(&s->vip) && !lb_core_is_vip(core, &s->vip))
		return lb_core_fail(err, -EINVAL, where, "vip",
				    "%s is not one of the VIPs (\"vips\", \"vip_file\")",
				    lb_ip_str(&s->vip, buf));
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *q = core->services[i];

		if (q == NULL || (int)i == skip || q->conf.proto != s->proto ||
		    !lb_ip_eq(&q->conf.vip, &s->vip) ||
		    port_class(&q->conf) != port_class(s) ||
		    s->port_hi < q->conf.port_lo || q->conf.port_hi < s->port_lo)
			continue;
		return lb_core_fail(err, -EINVAL, where, "port",
				    "overlaps service \"%s\" on the same VIP and protocol",
				    q->conf.name);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *q = &core->members[i];

		if (q->used && lb_core_sports_hit_service(&q->conf, s))
			return lb_core_fail(err, -EINVAL, where, "port",
					    "includes ports of member \"%s\"'s source-port range (%u-%u)",
					    q->conf.name, q->conf.sport_lo,
					    q->conf.sport_hi);
	}
	memset(bound, 0, LB_MAX_MEMBERS);
	*all = s->members == NULL;
	if (*all) {
		for (i = 0; i < LB_MAX_MEMBERS; i++) {
			if (!core->members[i].used)
				continue;
			rc = check_reachable(core, s, i, where, err);
			if (rc != 0)
				return rc;
			bound[i] = 1;
		}
		return 0;
	}
	for (i = 0; i < s->n_members; i++) {
		m = lb_core_member_find(core, s->members[i]);
		snprintf(key, sizeof(key), "members[%u]", i);
		if (m < 0)
			return lb_core_fail(err, -ENOENT, where, key,
					    "no member is named \"%s\"",
					    s->members[i]);
		if (core->members[m].removing)
			return lb_core_fail(err, -ENOENT, where, key,
					    "member \"%s\" is being removed", s->members[i]);
		rc = check_reachable(core, s, (unsigned int)m, where, err);
		if (rc != 0)
			return rc;
		bound[m] = 1;
	}
	return 0;
}

static void
service_bind(struct lb_core *core, struct lb_core_service *cs,
	     const uint8_t *bound, bool all, bool fresh)
{
	unsigned int i;

	cs->all_members = all;
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		/* a member being removed keeps its services until it goes */
		uint8_t b = (bound[i] || (cs->bound[i] &&
					  core->members[i].removing)) &&
			    core->members[i].used;

		if (b && (fresh || !cs->bound[i]))
			cs->health[i] = lb_core_start_health(core, cs);
		cs->bound[i] = b;
	}
}

int
lb_core_service_create(struct lb_core *core, const struct lb_conf_service *s,
		       const char *where, struct lb_conf_error *err)
{
	struct lb_core_service *cs;
	uint8_t *bound;
	unsigned int slot;
	bool all;
	int rc;

	bound = malloc(LB_MAX_MEMBERS);
	if (bound == NULL)
		return lb_core_fail(err, -ENOMEM, where, NULL, "out of memory");
	rc = service_check(core, s, -1, where, err, bound, &all);
	if (rc != 0)
		goto out;
	for (slot = 0; slot < LB_MAX_SERVICES; slot++)
		if (core->services[slot] == NULL)
			break;
	if (slot == LB_MAX_SERVICES) {
		rc = lb_core_fail(err, -ENOSPC, where, NULL,
				  "already %d services", LB_MAX_SERVICES);
		goto out;
	}
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL) {
		rc = lb_core_fail(err, -ENOMEM, where, NULL, "out of memory");
		goto out;
	}
	cs->conf = *s;
	cs->conf.members = NULL;
	cs->conf.n_members = 0;
	cs->used = 1;
	cs->gen = ++core->svc_gen[slot];
	service_bind(core, cs, bound, all, true);
	core->services[slot] = cs;
	core->dirty = true;
	core->seq++;
	rc = (int)slot;
out:
	free(bound);
	return rc;
}

int
lb_core_service_add(struct lb_core *core, const struct lb_conf_service *s,
		    const uint16_t *bound_slots, unsigned int n_bound)
{
	struct lb_conf_service copy = *s;
	unsigned int i;
	int rc;

	copy.members = NULL;
	copy.n_members = 0;
	if (bound_slots != NULL) {
		copy.members = calloc(n_bound + 1, sizeof(*copy.members));
		if (copy.members == NULL)
			return -ENOMEM;
		for (i = 0; i < n_bound; i++) {
			if (bound_slots[i] >= LB_MAX_MEMBERS ||
			    !core->members[bound_slots[i]].used) {
				free(copy.members);
				return -ENOENT;
			}
			strcpy(copy.members[i],
			       core->members[bound_slots[i]].conf.name);
		}
		copy.n_members = (uint16_t)n_bound;
	}
	rc = lb_core_service_create(core, &copy, "service", NULL);
	free(copy.members);
	return rc;
}

int
lb_core_service_update(struct lb_core *core, unsigned int slot,
		       const struct lb_conf_service *s, const char *where,
		       struct lb_conf_error *err)
{
	struct lb_core_service *cs;
	uint8_t *bound;
	bool all;
	int rc;

	if (slot >= LB_MAX_SERVICES || core->services[slot] == NULL)
		return lb_core_fail(err, -ENOENT, where, "name",
				    "no service \"%s\"", s->name);
	cs = core->services[slot];
	if (strcmp(cs->conf.name, s->name) != 0)
		return lb_core_fail(err, -EINVAL, where, "name",
				    "a service's name cannot change");
	bound = malloc(LB_MAX_MEMBERS);
	if (bound == NULL)
		return lb_core_fail(err, -ENOMEM, where, NULL, "out of memory");
	rc = service_check(core, s, (int)slot, where, err, bound, &all);
	if (rc == 0) {
		cs->conf = *s;
		cs->conf.members = NULL;
		cs->conf.n_members = 0;
		/* members joining start over; the others keep their
		 * verdict whatever the check became: a new schedule goes
		 * on from it, a new probe decides at its first result
		 * (lib/health: lb_hc_runner_sync), so a reload that
		 * touches a check moves no connection */
		service_bind(core, cs, bound, all, false);
		core->dirty = true;
		core->seq++;
	}
	free(bound);
	return rc;
}

int
lb_core_service_bind(struct lb_core *core, unsigned int svc,
		     unsigned int member)
{
	struct lb_core_service *cs;

	if (svc >= LB_MAX_SERVICES || core->services[svc] == NULL ||
	    member >= LB_MAX_MEMBERS || !core->members[member].used)
		return -ENOENT;
	cs = core->services[svc];
	if (cs->bound[member])
		return 0;
	if (check_reachable(core, &cs->conf, member, NULL, NULL) != 0)
		return -EINVAL;
	cs->bound[member] = 1;
	cs->health[member] = lb_core_start_health(core, cs);
	core->dirty = true;
	core->seq++;
	return 0;
}

int
lb_core_service_remove(struct lb_core *core, unsigned int slot)
{
	if (slot >= LB_MAX_SERVICES || core->services[slot] == NULL)
		return -ENOENT;
	CORE_SAY(core, INFO, "service %s removed", core->services[slot]->conf.name);
	free(core->services[slot]);
	core->services[slot] = NULL;
	core->dirty = true;
	core->seq++;
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
