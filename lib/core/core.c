/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The core's state and every rule about it. A configuration file, a
 * reload and a control request all change the state through these
 * functions, so they get the same checks and the same messages: each
 * takes the place of the object ("t.json: members[2]", "params") and
 * names the key that is wrong.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lb_pkt.h"
#include "core_internal.h"

RTE_LOG_REGISTER(lb_core_logtype, dsrlb.core, INFO);

const char *const lb_mac_state_names[LB_MAC_STATE_MAX] = {
	[LB_MAC_NONE] = "resolving",
	[LB_MAC_STATIC] = "static",
	[LB_MAC_RESOLVED] = "resolved",
	[LB_MAC_FAILED] = "failed",
};

/* "<where>.<key>: <problem>", or "<where>: <problem>" without a key. */
static int __attribute__((format(printf, 5, 6)))
fail(struct lb_conf_error *err, int rc, const char *where, const char *key,
     const char *fmt, ...)
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

static void
services_free(struct lb_core *core)
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
	unsigned int i;

	if (core == NULL)
		return;
	for (i = 0; i < core->n_garbage; i++)
		lb_core_garbage_free(&core->garbage[i]);
	for (i = 0; i < core->n_pending; i++)
		lb_core_garbage_free(&core->pending[i]);
	lb_snap_free(core->cur);
	for (i = 0; i < LB_MAX_SERVICES; i++)
		lb_core_rt_free(core, i);
	services_free(core);
	free(core->garbage);
	free(core->pending);
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

/* ---- rules ---- */

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

/* An own address or gateway of a port: never a VIP or a member. */
static const struct lb_conf_port *
own_address(const struct lb_core *core, uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < core->n_ports; i++)
		if (core->ports[i].conf.addr == addr ||
		    core->ports[i].conf.gateway == addr)
			return &core->ports[i].conf;
	return NULL;
}

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
static bool
sports_hit_service(const struct lb_conf_member *m,
		   const struct lb_conf_service *s)
{
	return m->has_sports && port_class(s) != 0 &&
	       m->sport_lo <= s->port_hi && s->port_lo <= m->sport_hi;
}

/* Check a member against the state; skip is its own slot (or -1). */
static int
member_check(const struct lb_core *core, const struct lb_conf_member *m,
	     int skip, const char *where, struct lb_conf_error *err,
	     uint8_t *port_out)
{
	char buf[INET_ADDRSTRLEN];
	const struct lb_conf_port *own;
	unsigned int i;
	int port;

	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *q = &core->members[i];

		if (!q->used || (int)i == skip)
			continue;
		if (strcmp(q->conf.name, m->name) == 0)
			return fail(err, -EEXIST, where, "name",
				    "a member named \"%s\" exists%s", m->name,
				    q->removing ? " (being removed)" : "");
		if (q->conf.addr == m->addr)
			return fail(err, -EEXIST, where, "address",
				    "%s is also member \"%s\"",
				    lb_conf_ip_str(m->addr, buf), q->conf.name);
	}
	port = port_of(core, m->addr);
	if (port < 0)
		return fail(err, -EINVAL, where, "address",
			    "%s is not in the subnet of any port: DSR needs members on the balancer's own segment",
			    lb_conf_ip_str(m->addr, buf));
	{
		const struct lb_conf_port *p = &core->ports[port].conf;
		uint32_t mask = ~0u << (32 - p->prefix);
		uint32_t host = ntohl(m->addr) & ~mask;

		own = own_address(core, m->addr);
		if (own != NULL || host == 0 || host == ~mask)
			return fail(err, -EINVAL, where, "address",
				    "%s is the address, gateway, network or broadcast address of port \"%s\"",
				    lb_conf_ip_str(m->addr, buf), p->name);
	}
	if (lb_core_is_vip(core, m->addr))
		return fail(err, -EINVAL, where, "address", "%s is a VIP",
			    lb_conf_ip_str(m->addr, buf));
	if (m->has_sports) {
		for (i = 0; i < LB_MAX_MEMBERS; i++) {
			const struct lb_core_member *q = &core->members[i];

			if (!q->used || (int)i == skip || !q->conf.has_sports ||
			    m->sport_hi < q->conf.sport_lo ||
			    q->conf.sport_hi < m->sport_lo)
				continue;
			return fail(err, -EINVAL, where, "source_ports",
				    "%u-%u overlaps the range of member \"%s\" (%u-%u)",
				    m->sport_lo, m->sport_hi, q->conf.name,
				    q->conf.sport_lo, q->conf.sport_hi);
		}
		for (i = 0; i < LB_MAX_SERVICES; i++) {
			const struct lb_core_service *s = core->services[i];

			if (s != NULL && sports_hit_service(m, &s->conf))
				return fail(err, -EINVAL, where, "source_ports",
					    "%u-%u includes the port of service \"%s\" (%u-%u)",
					    m->sport_lo, m->sport_hi,
					    s->conf.name, s->conf.port_lo,
					    s->conf.port_hi);
		}
	}
	if (port_out != NULL)
		*port_out = (uint8_t)port;
	return 0;
}

/* Checked services need their members on ports[0]: checks leave from
 * the exception interface, which stands for it. */
static int
check_reachable(const struct lb_core *core, const struct lb_conf_service *s,
		unsigned int member, const char *where,
		struct lb_conf_error *err)
{
	const struct lb_core_member *m = &core->members[member];

	if (s->check.type == LB_CHECK_NONE || m->conf.port == 0)
		return 0;
	return fail(err, -EINVAL, where, "check",
		    "member \"%s\" is on port \"%s\", but checks run from the exception interface of ports[0] (\"%s\")",
		    m->conf.name, core->ports[m->conf.port].conf.name,
		    core->ports[0].conf.name);
}

/* Check a service against the state; skip is its own slot (or -1).
 * Fills bound[] with the member slots it names (n_bound), or sets *all. */
static int
service_check(const struct lb_core *core, const struct lb_conf_service *s,
	      int skip, const char *where, struct lb_conf_error *err,
	      uint8_t *bound, bool *all)
{
	char buf[INET_ADDRSTRLEN], key[32];
	unsigned int i;
	int rc, m;

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *q = core->services[i];

		if (q == NULL || (int)i == skip)
			continue;
		if (strcmp(q->conf.name, s->name) == 0)
			return fail(err, -EEXIST, where, "name",
				    "a service named \"%s\" exists", s->name);
	}
	if (s->vip == 0 && core->n_vips == 0)
		return fail(err, -EINVAL, where, "vip",
			    "\"*\" means every VIP, but no VIPs are configured (\"vips\", \"vip_file\")");
	if (s->vip != 0 && !lb_core_is_vip(core, s->vip))
		return fail(err, -EINVAL, where, "vip",
			    "%s is not one of the VIPs (\"vips\", \"vip_file\")",
			    lb_conf_ip_str(s->vip, buf));
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *q = core->services[i];

		if (q == NULL || (int)i == skip || q->conf.proto != s->proto ||
		    q->conf.vip != s->vip ||
		    port_class(&q->conf) != port_class(s) ||
		    s->port_hi < q->conf.port_lo || q->conf.port_hi < s->port_lo)
			continue;
		return fail(err, -EINVAL, where, "port",
			    "overlaps service \"%s\" on the same VIP and protocol",
			    q->conf.name);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *q = &core->members[i];

		if (q->used && sports_hit_service(&q->conf, s))
			return fail(err, -EINVAL, where, "port",
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
			return fail(err, -ENOENT, where, key,
				    "no member is named \"%s\"", s->members[i]);
		if (core->members[m].removing)
			return fail(err, -ENOENT, where, key,
				    "member \"%s\" is being removed", s->members[i]);
		rc = check_reachable(core, s, (unsigned int)m, where, err);
		if (rc != 0)
			return rc;
		bound[m] = 1;
	}
	return 0;
}

/* ---- members ---- */

/* The health a (service, member) pair starts with: up at boot, so a
 * restarted balancer keeps its flows; once running, down until the
 * first check passes when the service is checked. */
static uint8_t
start_health(const struct lb_core *core, const struct lb_core_service *cs)
{
	return core->started && cs->conf.check.type != LB_CHECK_NONE ?
		LB_HEALTH_DOWN : LB_HEALTH_UP;
}

int
lb_core_member_create(struct lb_core *core, const struct lb_conf_member *m,
		      const char *where, struct lb_conf_error *err)
{
	struct lb_core_member *cm = NULL;
	unsigned int i, s;
	uint8_t port = 0;
	int rc;

	rc = member_check(core, m, -1, where, err, &port);
	if (rc != 0)
		return rc;
	/* services that list members and are checked need the member on
	 * ports[0]; "every member" services take it too */
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = core->services[s];

		if (cs != NULL && cs->all_members &&
		    cs->conf.check.type != LB_CHECK_NONE && port != 0)
			return fail(err, -EINVAL, where, "address",
				    "is on port \"%s\", but service \"%s\" (every member) is checked from the exception interface of ports[0]",
				    core->ports[port].conf.name, cs->conf.name);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (!core->members[i].used) {
			cm = &core->members[i];
			break;
		}
	if (cm == NULL)
		return fail(err, -ENOSPC, where, NULL, "already %d members",
			    LB_MAX_MEMBERS);

	cm->gen++;   /* flows left on this slot by a removed member move */
	cm->conf = *m;
	cm->conf.port = port;
	cm->used = 1;
	cm->removing = 0;
	if (m->has_mac) {
		cm->mac_state = LB_MAC_STATIC;
		memcpy(cm->mac, m->mac, sizeof(cm->mac));
	} else {
		cm->mac_state = LB_MAC_NONE;
		memset(cm->mac, 0, sizeof(cm->mac));
	}
	/* services bound to every member take the new one */
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		struct lb_core_service *cs = core->services[s];

		if (cs == NULL)
			continue;
		cs->bound[i] = cs->all_members;
		cs->health[i] = start_health(core, cs);
	}
	core->dirty = true;
	core->seq++;
	CORE_SAY(core, INFO, "member %s added (slot %u)", m->name, i);
	return (int)i;
}

int
lb_core_member_add(struct lb_core *core, const struct lb_conf_member *m)
{
	return lb_core_member_create(core, m, "member", NULL);
}

int
lb_core_member_update(struct lb_core *core, unsigned int slot,
		      const struct lb_conf_member *m, const char *where,
		      struct lb_conf_error *err)
{
	struct lb_core_member *cm;
	uint8_t port;
	int rc;

	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return fail(err, -ENOENT, where, "name", "no member \"%s\"",
			    m->name);
	cm = &core->members[slot];
	if (strcmp(cm->conf.name, m->name) != 0 || cm->conf.addr != m->addr)
		return fail(err, -EINVAL, where, "address",
			    "a member's name and address cannot change; remove it and add it again");
	rc = member_check(core, m, (int)slot, where, err, &port);
	if (rc != 0)
		return rc;
	if (m->has_mac != (cm->mac_state == LB_MAC_STATIC) ||
	    (m->has_mac && memcmp(m->mac, cm->mac, 6) != 0)) {
		if (m->has_mac) {
			cm->mac_state = LB_MAC_STATIC;
			memcpy(cm->mac, m->mac, sizeof(cm->mac));
		} else {
			cm->mac_state = LB_MAC_NONE;
			memset(cm->mac, 0, sizeof(cm->mac));
		}
		core->seq++;   /* resolve it, or stop resolving it */
	}
	cm->conf = *m;
	cm->conf.port = port;
	if (cm->removing) {
		cm->removing = 0;
		CORE_SAY(core, NOTICE, "member %s kept: its removal is cancelled",
			 m->name);
	}
	core->dirty = true;
	return 0;
}

int
lb_core_member_remove(struct lb_core *core, unsigned int slot)
{
	struct lb_core_member *cm;
	unsigned int s;

	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return -ENOENT;
	cm = &core->members[slot];
	CORE_SAY(core, INFO, "member %s removed", cm->conf.name);
	cm->used = 0;
	cm->removing = 0;
	cm->gen++;
	for (s = 0; s < LB_MAX_SERVICES; s++)
		if (core->services[s] != NULL)
			core->services[s]->bound[slot] = 0;
	core->dirty = true;
	core->seq++;
	return 0;
}

int
lb_core_member_retire(struct lb_core *core, unsigned int slot)
{
	if (slot >= LB_MAX_MEMBERS || !core->members[slot].used)
		return -ENOENT;
	if (!core->members[slot].removing) {
		core->members[slot].removing = 1;
		core->dirty = true;
		CORE_SAY(core, NOTICE, "member %s: removing, with drain: no new flows, kept until its flows end",
			 core->members[slot].conf.name);
	}
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
		CORE_SAY(core, NOTICE, "member %s: %s -> %s",
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

/* ---- services ---- */

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
			cs->health[i] = start_health(core, cs);
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
		return fail(err, -ENOMEM, where, NULL, "out of memory");
	rc = service_check(core, s, -1, where, err, bound, &all);
	if (rc != 0)
		goto out;
	for (slot = 0; slot < LB_MAX_SERVICES; slot++)
		if (core->services[slot] == NULL)
			break;
	if (slot == LB_MAX_SERVICES) {
		rc = fail(err, -ENOSPC, where, NULL, "already %d services",
			  LB_MAX_SERVICES);
		goto out;
	}
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL) {
		rc = fail(err, -ENOMEM, where, NULL, "out of memory");
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
		return fail(err, -ENOENT, where, "name", "no service \"%s\"",
			    s->name);
	cs = core->services[slot];
	if (strcmp(cs->conf.name, s->name) != 0)
		return fail(err, -EINVAL, where, "name",
			    "a service's name cannot change");
	bound = malloc(LB_MAX_MEMBERS);
	if (bound == NULL)
		return fail(err, -ENOMEM, where, NULL, "out of memory");
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
	cs->health[member] = start_health(core, cs);
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

/* ---- VIPs ---- */

static int
vips_insert(struct lb_core *core, const uint32_t *add, unsigned int n_add)
{
	uint32_t *v;
	unsigned int i, j, k;

	if (core->n_vips + n_add > LB_MAX_VIPS)
		return -ENOSPC;
	v = malloc((core->n_vips + n_add + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	/* merge two sorted lists */
	for (i = 0, j = 0, k = 0; i < core->n_vips || j < n_add;) {
		if (j == n_add || (i < core->n_vips &&
		    lb_conf_vip_cmp(&core->vips[i], &add[j]) < 0))
			v[k++] = core->vips[i++];
		else
			v[k++] = add[j++];
	}
	free(core->vips);
	core->vips = v;
	core->n_vips = k;
	core->dirty = true;
	return 0;
}

static int
vip_block(uint32_t addr, uint8_t prefix, const char *where,
	  struct lb_conf_error *err, uint32_t *first, uint32_t *count)
{
	char buf[INET_ADDRSTRLEN];

	if (prefix < 24 || prefix > 32)
		return fail(err, -EINVAL, where, "address",
			    "subnet masks must be /24 to /32");
	if (!lb_conf_cidr_aligned(addr, prefix))
		return fail(err, -EINVAL, where, "address", "%s/%u has host bits set",
			    lb_conf_ip_str(addr, buf), prefix);
	if (lb_conf_addr_reserved(addr))
		return fail(err, -EINVAL, where, "address",
			    "%s cannot be a VIP (0/8, 127/8, multicast and broadcast are refused)",
			    lb_conf_ip_str(addr, buf));
	*first = ntohl(addr);
	*count = 1u << (32 - prefix);
	return 0;
}

int
lb_core_vip_add(struct lb_core *core, uint32_t addr, uint8_t prefix,
		const char *where, struct lb_conf_error *err)
{
	char buf[INET_ADDRSTRLEN];
	const struct lb_conf_port *own;
	uint32_t first, count, i, n = 0, *add;
	int rc, m;

	rc = vip_block(addr, prefix, where, err, &first, &count);
	if (rc != 0)
		return rc;
	add = malloc(count * sizeof(*add));
	if (add == NULL)
		return fail(err, -ENOMEM, where, NULL, "out of memory");
	for (i = 0; i < count; i++) {
		uint32_t a = htonl(first + i);

		own = own_address(core, a);
		if (own != NULL) {
			free(add);
			return fail(err, -EINVAL, where, "address",
				    "%s is also the address or gateway of port \"%s\"",
				    lb_conf_ip_str(a, buf), own->name);
		}
		m = lb_core_member_by_addr(core, a);
		if (m >= 0) {
			free(add);
			return fail(err, -EINVAL, where, "address",
				    "%s is member \"%s\"", lb_conf_ip_str(a, buf),
				    core->members[m].conf.name);
		}
		if (!lb_core_is_vip(core, a))
			add[n++] = a;
	}
	rc = n > 0 ? vips_insert(core, add, n) : 0;
	free(add);
	if (rc != 0)
		return fail(err, rc, where, "address", "%s",
			    rc == -ENOSPC ? "too many VIPs" : "out of memory");
	if (n > 0) {
		core->seq++;
		CORE_SAY(core, INFO, "%u VIPs added (%s/%u)", n,
			 lb_conf_ip_str(addr, buf), prefix);
	}
	return (int)n;
}

int
lb_core_vip_remove(struct lb_core *core, uint32_t addr, uint8_t prefix,
		   const char *where, struct lb_conf_error *err)
{
	char buf[INET_ADDRSTRLEN];
	uint32_t first, count, a;
	unsigned int i, k, n = 0;
	bool any_service = false;
	int rc;

	rc = vip_block(addr, prefix, where, err, &first, &count);
	if (rc != 0)
		return rc;
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];

		if (cs == NULL)
			continue;
		if (cs->conf.vip == 0)
			any_service = true;
		else if (ntohl(cs->conf.vip) - first < count)
			return fail(err, -EBUSY, where, "address",
				    "%s is the VIP of service \"%s\": remove the service first",
				    lb_conf_ip_str(cs->conf.vip, buf),
				    cs->conf.name);
	}
	for (i = 0; i < core->n_vips; i++)
		n += ntohl(core->vips[i]) - first < count;
	if (n == core->n_vips && n > 0 && any_service)
		return fail(err, -EBUSY, where, "address",
			    "services on every VIP (\"*\") would be left without any");
	for (i = 0, k = 0; i < core->n_vips; i++) {
		a = core->vips[i];
		if (ntohl(a) - first >= count)
			core->vips[k++] = a;
	}
	core->n_vips = k;
	if (n > 0) {
		core->dirty = true;
		core->seq++;
		CORE_SAY(core, INFO, "%u VIPs removed (%s/%u)", n,
			 lb_conf_ip_str(addr, buf), prefix);
	}
	return (int)n;
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

/* ---- whole configurations ---- */

static int
vips_check_ports(const struct lb_core *core, const uint32_t *vips,
		 unsigned int n, const char *where, struct lb_conf_error *err)
{
	char buf[INET_ADDRSTRLEN];
	const struct lb_conf_port *own;
	unsigned int i;

	for (i = 0; i < n; i++) {
		own = own_address(core, vips[i]);
		if (own != NULL)
			return fail(err, -EINVAL, where, "vips",
				    "%s is also the address or gateway of port \"%s\"",
				    lb_conf_ip_str(vips[i], buf), own->name);
	}
	return 0;
}

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
			return fail(err, rc, conf->source, NULL,
				    "ports[%u]: %s", i, strerror(-rc));
	}
	settings_take(&core->settings, conf);
	core->active = !conf->ha.start_standby;
	snprintf(where, sizeof(where), "%s: (top level)", conf->source);
	rc = vips_check_ports(core, conf->vips, conf->n_vips, where, err);
	if (rc != 0)
		return rc;
	rc = lb_core_vips_set(core, conf->vips, conf->n_vips);
	if (rc < 0)
		return fail(err, rc, conf->source, NULL, "vips: %s",
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
		return fail(err, -ENOMEM, conf->source, NULL, "out of memory");
	core->quiet = true;
	rc = lb_core_apply_conf(core, conf, NULL, NULL, err);
	lb_core_free(core);
	return rc;
}

/* A copy of the state, to try a reload on; no snapshots, no tables. */
static struct lb_core *
state_clone(const struct lb_core *core)
{
	struct lb_core *c = calloc(1, sizeof(*c));
	unsigned int i;

	if (c == NULL)
		return NULL;
	memcpy(c->ports, core->ports, sizeof(c->ports));
	c->n_ports = core->n_ports;
	c->settings = core->settings;
	c->flows = core->flows;
	memcpy(c->members, core->members, sizeof(c->members));
	memcpy(c->svc_gen, core->svc_gen, sizeof(c->svc_gen));
	c->active = core->active;
	c->started = core->started;
	c->quiet = true;
	c->seq = core->seq;
	if (core->n_vips > 0) {
		c->vips = malloc(core->n_vips * sizeof(*c->vips));
		if (c->vips == NULL)
			goto fail;
		memcpy(c->vips, core->vips, core->n_vips * sizeof(*c->vips));
	}
	c->n_vips = core->n_vips;
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		if (core->services[i] == NULL)
			continue;
		c->services[i] = malloc(sizeof(*c->services[i]));
		if (c->services[i] == NULL)
			goto fail;
		*c->services[i] = *core->services[i];
	}
	return c;
fail:
	services_free(c);
	free(c->vips);
	free(c);
	return NULL;
}

/* Take a tried state: members, services, VIPs, timeouts. */
static void
state_adopt(struct lb_core *core, struct lb_core *c)
{
	unsigned int i;

	memcpy(core->members, c->members, sizeof(core->members));
	services_free(core);
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		core->services[i] = c->services[i];
		c->services[i] = NULL;
	}
	memcpy(core->svc_gen, c->svc_gen, sizeof(core->svc_gen));
	free(core->vips);
	core->vips = c->vips;
	core->n_vips = c->n_vips;
	c->vips = NULL;
	core->flows = c->flows;
	core->seq = c->seq + 1;
	core->dirty = true;
}

static void
state_free(struct lb_core *c)
{
	services_free(c);
	free(c->vips);
	free(c);
}

static bool
ha_same(const struct lb_conf_ha *a, const struct lb_conf_ha *b)
{
	return a->mode == b->mode && a->start_standby == b->start_standby &&
	       a->announce_table == b->announce_table &&
	       a->vrrp_watchdog_ms == b->vrrp_watchdog_ms && a->sync == b->sync &&
	       strcmp(a->track_file, b->track_file) == 0 &&
	       (!a->sync || (a->sync_id == b->sync_id &&
			     a->sync_port == b->sync_port &&
			     a->bulk_wait_ms == b->bulk_wait_ms &&
			     a->n_peers == b->n_peers &&
			     memcmp(a->peers, b->peers,
				    a->n_peers * sizeof(a->peers[0])) == 0));
}

/* The first key of a port that differs, or NULL. A port is the NIC
 * and the kernel interface as they were set up at start. */
static const char *
port_changed(const struct lb_conf_port *a, const struct lb_conf_port *b)
{
	if (strcmp(a->name, b->name) != 0)
		return "name";
	if (strcmp(a->device, b->device) != 0)
		return "device";
	if (a->addr != b->addr || a->prefix != b->prefix)
		return "address";
	if (a->gateway != b->gateway)
		return "gateway";
	if (a->vlan != b->vlan)
		return "vlan";
	if (a->mtu != b->mtu)
		return "mtu";
	return NULL;
}

/* Settings that need a restart: name the first that differs (buf holds
 * a port's key). */
static const char *
settings_changed(const struct lb_core *core, const struct lb_conf *conf,
		 char *buf, size_t size)
{
	const struct lb_conf *s = &core->settings;
	unsigned int i;

	if (conf->n_ports != core->n_ports)
		return "ports";
	for (i = 0; i < conf->n_ports; i++) {
		const char *key = port_changed(&conf->ports[i],
					       &core->ports[i].conf);

		if (key != NULL) {
			snprintf(buf, size, "ports[%u].%s", i, key);
			return buf;
		}
	}
	if (strcmp(conf->exception_interface, s->exception_interface) != 0)
		return "exception_interface";
	if (strcmp(conf->control_socket, s->control_socket) != 0)
		return "control_socket";
	if (strcmp(conf->control_socket_ro, s->control_socket_ro) != 0)
		return "control_socket_readonly";
	if (strcmp(conf->control_group, s->control_group) != 0)
		return "control_group";
	if (memcmp(&conf->dataplane, &s->dataplane, sizeof(s->dataplane)) != 0)
		return "dataplane";
	if (memcmp(&conf->arp, &s->arp, sizeof(s->arp)) != 0)
		return "arp";
	if (!ha_same(&conf->ha, &s->ha))
		return "high_availability";
	if (conf->flows.capacity != core->flows.capacity)
		return "flows.capacity";
	return NULL;
}

static int
diff_push(struct lb_core_diff *d, unsigned int kind, const char *name)
{
	char (*g)[LB_NAME_MAX];

	if (d == NULL)
		return 0;
	g = realloc(d->names[kind], (d->n[kind] + 1) * sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	d->names[kind] = g;
	snprintf(g[d->n[kind]++], LB_NAME_MAX, "%s", name);
	return 0;
}

void
lb_core_diff_free(struct lb_core_diff *d)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(d->names); i++)
		free(d->names[i]);
	free(d->vips[0]);
	free(d->vips[1]);
	memset(d, 0, sizeof(*d));
}

static bool
member_differs(const struct lb_core_member *cm, const struct lb_conf_member *m)
{
	const struct lb_conf_member *c = &cm->conf;

	return cm->removing || c->weight != m->weight || c->state != m->state ||
	       c->has_mac != m->has_mac ||
	       (m->has_mac && memcmp(c->mac, m->mac, 6) != 0) ||
	       c->has_sports != m->has_sports ||
	       (m->has_sports && (c->sport_lo != m->sport_lo ||
				  c->sport_hi != m->sport_hi));
}

/* Does the service as configured differ from the running one? */
static bool
service_differs(const struct lb_core *c, const struct lb_core_service *cs,
		const struct lb_conf_service *s)
{
	const struct lb_conf_service *r = &cs->conf;
	unsigned int i;
	int m;

	if (r->vip != s->vip || r->proto != s->proto || r->sched != s->sched ||
	    r->stateless != s->stateless || r->hash_fields != s->hash_fields ||
	    r->port_lo != s->port_lo || r->port_hi != s->port_hi ||
	    r->persistence != s->persistence ||
	    r->persist_prefix != s->persist_prefix ||
	    r->table_size != s->table_size ||
	    memcmp(&r->check, &s->check, sizeof(r->check)) != 0 ||
	    cs->all_members != (s->members == NULL))
		return true;
	if (s->members == NULL)
		return false;
	/* the same members, removing ones aside */
	for (i = 0, m = 0; i < LB_MAX_MEMBERS; i++)
		m += cs->bound[i] && c->members[i].used &&
		     !c->members[i].removing;
	if ((unsigned int)m != s->n_members)
		return true;
	for (i = 0; i < s->n_members; i++) {
		m = lb_core_member_find(c, s->members[i]);
		if (m < 0 || !cs->bound[m])
			return true;
	}
	return false;
}

static bool
conf_has_member(const struct lb_conf *conf, const char *name)
{
	unsigned int i;

	for (i = 0; i < conf->n_members; i++)
		if (strcmp(conf->members[i].name, name) == 0)
			return true;
	return false;
}

static bool
conf_has_service(const struct lb_conf *conf, const char *name)
{
	unsigned int i;

	for (i = 0; i < conf->n_services; i++)
		if (strcmp(conf->services[i].name, name) == 0)
			return true;
	return false;
}

/* Apply a configuration to a copy of the state; see lb_core_reload(). */
static int
reload_on(struct lb_core *c, const struct lb_conf *conf,
	  struct lb_core_diff *d, struct lb_conf_error *err)
{
	char where[LB_PATH_MAX + 32];
	uint32_t *add;
	unsigned int i, j, n;
	int rc, slot;

	/* services and members that are gone */
	for (i = 0; i < LB_MAX_SERVICES; i++)
		if (c->services[i] != NULL &&
		    !conf_has_service(conf, c->services[i]->conf.name)) {
			if (diff_push(d, LB_DIFF_SERVICE_REMOVED,
				      c->services[i]->conf.name) != 0)
				return -ENOMEM;
			lb_core_service_remove(c, i);
		}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		struct lb_core_member *cm = &c->members[i];

		if (!cm->used || cm->removing ||
		    conf_has_member(conf, cm->conf.name))
			continue;
		if (diff_push(d, LB_DIFF_MEMBER_REMOVED, cm->conf.name) != 0)
			return -ENOMEM;
		lb_core_member_retire(c, i);
	}
	/* a service may only name members of the file */
	for (i = 0; i < conf->n_services; i++)
		for (j = 0; conf->services[i].members != NULL &&
			    j < conf->services[i].n_members; j++)
			if (!conf_has_member(conf, conf->services[i].members[j]))
				return fail(err, -ENOENT, conf->source, NULL,
					    "services[%u].members[%u]: no member is named \"%s\"",
					    i, j, conf->services[i].members[j]);

	/* VIPs that are new: before the members and services using them */
	snprintf(where, sizeof(where), "%s: (top level)", conf->source);
	rc = vips_check_ports(c, conf->vips, conf->n_vips, where, err);
	if (rc != 0)
		return rc;
	add = malloc((conf->n_vips + 1) * sizeof(*add));
	if (add == NULL)
		return -ENOMEM;
	for (i = 0, n = 0; i < conf->n_vips; i++) {
		char buf[INET_ADDRSTRLEN];

		slot = lb_core_member_by_addr(c, conf->vips[i]);
		if (slot >= 0) {
			free(add);
			return fail(err, -EINVAL, conf->source, NULL,
				    "vips: %s is member \"%s\"%s",
				    lb_conf_ip_str(conf->vips[i], buf),
				    c->members[slot].conf.name,
				    c->members[slot].removing ?
				    " (being removed: reload once it is gone)" : "");
		}
		if (!lb_core_is_vip(c, conf->vips[i]))
			add[n++] = conf->vips[i];
	}
	rc = n > 0 ? vips_insert(c, add, n) : 0;
	if (rc == 0 && d != NULL && n > 0) {
		d->vips[0] = add;
		d->n_vips[0] = n;
		add = NULL;
	}
	free(add);
	if (rc != 0)
		return fail(err, rc, conf->source, NULL, "vips: %s",
			    strerror(-rc));

	/* members: changed in place, or new */
	for (i = 0; i < conf->n_members; i++) {
		const struct lb_conf_member *m = &conf->members[i];

		snprintf(where, sizeof(where), "%s: members[%u]", conf->source, i);
		slot = lb_core_member_find(c, m->name);
		if (slot >= 0 && c->members[slot].conf.addr != m->addr) {
			/* moved: the old one goes now, its flows move */
			lb_core_member_remove(c, (unsigned int)slot);
			slot = -1;
		}
		if (slot >= 0) {
			if (!member_differs(&c->members[slot], m))
				continue;
			rc = lb_core_member_update(c, (unsigned int)slot, m,
						   where, err);
			if (rc == 0)
				rc = diff_push(d, LB_DIFF_MEMBER_CHANGED, m->name);
		} else {
			rc = lb_core_member_create(c, m, where, err);
			if (rc >= 0)
				rc = diff_push(d, LB_DIFF_MEMBER_ADDED, m->name);
		}
		if (rc < 0)
			return rc;
	}
	/* services: changed in place (their flows stay), or new */
	for (i = 0; i < conf->n_services; i++) {
		const struct lb_conf_service *s = &conf->services[i];

		snprintf(where, sizeof(where), "%s: services[%u]", conf->source, i);
		slot = lb_core_service_find(c, s->name);
		if (slot >= 0) {
			if (!service_differs(c, c->services[slot], s))
				continue;
			rc = lb_core_service_update(c, (unsigned int)slot, s,
						    where, err);
			if (rc == 0)
				rc = diff_push(d, LB_DIFF_SERVICE_CHANGED, s->name);
		} else {
			rc = lb_core_service_create(c, s, where, err);
			if (rc >= 0)
				rc = diff_push(d, LB_DIFF_SERVICE_ADDED, s->name);
		}
		if (rc < 0)
			return rc;
	}

	/* VIPs that are gone: no service may still name one */
	for (i = 0, n = 0; i < c->n_vips; i++)
		n += !lb_conf_vip_find(conf->vips, conf->n_vips, c->vips[i]);
	if (n > 0) {
		uint32_t *gone = malloc(n * sizeof(*gone));
		char buf[INET_ADDRSTRLEN];

		if (gone == NULL)
			return -ENOMEM;
		for (i = 0, j = 0; i < c->n_vips; i++)
			if (!lb_conf_vip_find(conf->vips, conf->n_vips,
					      c->vips[i]))
				gone[j++] = c->vips[i];
		for (i = 0; i < LB_MAX_SERVICES; i++) {
			const struct lb_core_service *cs = c->services[i];

			if (cs == NULL || cs->conf.vip == 0 ||
			    !lb_conf_vip_find(gone, n, cs->conf.vip))
				continue;
			free(gone);
			return fail(err, -EINVAL, conf->source, NULL,
				    "vips: %s is gone, but service \"%s\" uses it",
				    lb_conf_ip_str(cs->conf.vip, buf),
				    cs->conf.name);
		}
		for (i = 0, j = 0; i < c->n_vips; i++)
			if (lb_conf_vip_find(conf->vips, conf->n_vips, c->vips[i]))
				c->vips[j++] = c->vips[i];
		c->n_vips = j;
		if (d != NULL) {
			d->vips[1] = gone;
			d->n_vips[1] = n;
		} else {
			free(gone);
		}
		for (i = 0; i < LB_MAX_SERVICES; i++)
			if (c->services[i] != NULL && c->services[i]->conf.vip == 0 &&
			    c->n_vips == 0)
				return fail(err, -EINVAL, conf->source, NULL,
					    "vips: none left for service \"%s\" on every VIP (\"*\")",
					    c->services[i]->conf.name);
	}
	if (memcmp(&c->flows, &conf->flows, sizeof(c->flows)) != 0)
		c->flows = conf->flows;
	return 0;
}

int
lb_core_reload(struct lb_core *core, const struct lb_conf *conf,
	       struct lb_core_diff *diff, struct lb_conf_error *err)
{
	char port_key[32];
	const char *key = settings_changed(core, conf, port_key,
					   sizeof(port_key));
	struct lb_core_diff local = { 0 };
	struct lb_core *c;
	bool changed;
	unsigned int k;
	int rc;

	if (key != NULL)
		return fail(err, -EINVAL, conf->source, NULL,
			    "%s: changed, and this takes a restart (the running value stays)",
			    key);
	c = state_clone(core);
	if (c == NULL)
		return fail(err, -ENOMEM, conf->source, NULL, "out of memory");
	rc = reload_on(c, conf, &local, err);
	if (rc != 0) {
		if (rc == -ENOMEM && err != NULL && err->msg[0] == '\0')
			fail(err, rc, conf->source, NULL, "out of memory");
		state_free(c);
		lb_core_diff_free(&local);
		return rc;
	}
	changed = local.n_vips[0] + local.n_vips[1] > 0 ||
		  memcmp(&c->flows, &core->flows, sizeof(c->flows)) != 0;
	for (k = 0; k < LB_DIFF_KINDS; k++)
		changed = changed || local.n[k] > 0;
	if (changed) {
		state_adopt(core, c);
		CORE_LOG(NOTICE, "%s: reloaded: members +%u -%u ~%u, services +%u -%u ~%u, VIPs +%u -%u",
			 conf->source, local.n[LB_DIFF_MEMBER_ADDED],
			 local.n[LB_DIFF_MEMBER_REMOVED],
			 local.n[LB_DIFF_MEMBER_CHANGED],
			 local.n[LB_DIFF_SERVICE_ADDED],
			 local.n[LB_DIFF_SERVICE_REMOVED],
			 local.n[LB_DIFF_SERVICE_CHANGED],
			 local.n_vips[0], local.n_vips[1]);
	}
	state_free(c);
	if (diff != NULL)
		*diff = local;
	else
		lb_core_diff_free(&local);
	return 0;
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

/* ---- publication ---- */

static int
garbage_push(struct lb_garbage **list, unsigned int *n, unsigned int *cap,
	     const struct lb_garbage *g)
{
	if (*n == *cap) {
		unsigned int c = *cap == 0 ? 64 : *cap * 2;
		struct lb_garbage *l = realloc(*list, c * sizeof(*l));

		if (l == NULL)
			return -ENOMEM;
		*list = l;
		*cap = c;
	}
	(*list)[(*n)++] = *g;
	return 0;
}

int
lb_core_defer(struct lb_core *core, void *p, uint8_t kind)
{
	struct lb_garbage g = { .p = p, .kind = kind };

	if (p == NULL)
		return 0;
	if (garbage_push(&core->pending, &core->n_pending, &core->cap_pending,
			 &g) == 0)
		return 0;
	/* cannot even remember it: leak rather than free under a reader */
	CORE_LOG(ERR, "out of memory: a replaced table is leaked");
	return -ENOMEM;
}

/* Replaced memory waits for every worker to pass a quiescent state. */
static void
retire(struct lb_core *core, struct lb_snapshot *old)
{
	struct lb_garbage g = { .p = old, .kind = LB_GARBAGE_SNAPSHOT };
	uint64_t token = 0;
	unsigned int i;

	if (core->p.qsbr == NULL) {
		lb_snap_free(old);
		for (i = 0; i < core->n_pending; i++)
			lb_core_garbage_free(&core->pending[i]);
		core->n_pending = 0;
		return;
	}
	token = rte_rcu_qsbr_start(core->p.qsbr);
	if (old != NULL) {
		g.token = token;
		if (garbage_push(&core->garbage, &core->n_garbage,
				 &core->cap_garbage, &g) == 0)
			core->n_retired++;
		else
			CORE_LOG(ERR, "out of memory: a replaced snapshot is leaked");
	}
	for (i = 0; i < core->n_pending; i++) {
		core->pending[i].token = token;
		if (garbage_push(&core->garbage, &core->n_garbage,
				 &core->cap_garbage, &core->pending[i]) != 0)
			CORE_LOG(ERR, "out of memory: a replaced table is leaked");
	}
	core->n_pending = 0;
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
	if (core->n_retired >= LB_RETIRE_MAX) {
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

	if (core->p.qsbr == NULL)
		return 0;
	/* tokens grow in order: stop at the first that is not done */
	while (i < core->n_garbage &&
	       rte_rcu_qsbr_check(core->p.qsbr, core->garbage[i].token,
				  false) == 1) {
		if (core->garbage[i].kind == LB_GARBAGE_SNAPSHOT) {
			freed++;
			core->n_retired--;
		}
		lb_core_garbage_free(&core->garbage[i]);
		i++;
	}
	if (i > 0) {
		memmove(core->garbage, core->garbage + i,
			(core->n_garbage - i) * sizeof(core->garbage[0]));
		core->n_garbage -= i;
	}
	return freed;
}

unsigned int
lb_core_retired(const struct lb_core *core)
{
	return core->n_retired;
}
