/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The rules of members: a member is added, changed, drained and
 * removed here, and checked against the ports, the VIPs, the other
 * members and the services whose ports its source ports could take.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core_internal.h"

const char *const lb_mac_state_names[LB_MAC_STATE_MAX] = {
	[LB_MAC_NONE] = "resolving",
	[LB_MAC_STATIC] = "static",
	[LB_MAC_RESOLVED] = "resolved",
	[LB_MAC_FAILED] = "failed",
};

/* Check a member against the state; skip is its own slot (or -1). */
static int
member_check(const struct lb_core *core, const struct lb_conf_member *m,
	     int skip, const char *where, struct lb_conf_error *err,
	     uint8_t *port_out)
{
	char buf[LB_IP_STRLEN];
	const struct lb_conf_port *own, *p;
	unsigned int i;
	bool edge;
	int port;

	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *q = &core->members[i];

		if (!q->used || (int)i == skip)
			continue;
		if (strcmp(q->conf.name, m->name) == 0)
			return lb_core_fail(err, -EEXIST, where, "name",
					    "a member named \"%s\" exists%s",
					    m->name,
					    q->removing ?
					    " (being removed)" : "");
		if (lb_ip_eq(&q->conf.addr, &m->addr))
			return lb_core_fail(err, -EEXIST, where, "address",
					    "%s is also member \"%s\"",
					    lb_ip_str(&m->addr, buf),
					    q->conf.name);
	}
	port = lb_core_port_of(core, &m->addr);
	if (port < 0)
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s is not in the subnet of any port: DSR needs members on the balancer's own segment",
				    lb_ip_str(&m->addr, buf));
	p = &core->ports[port].conf;
	if (lb_ip_is4(&m->addr)) {
		uint32_t mask = ~0u << (32 - p->prefix);
		uint32_t host = ntohl(lb_ip_v4(&m->addr)) & ~mask;

		edge = host == 0 || host == ~mask;
	} else {
		edge = lb_ip_cidr_aligned(&m->addr, p->prefix6);
	}
	own = lb_core_own_address(core, &m->addr);
	if (own != NULL || edge)
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s is the address, gateway, network, broadcast or subnet-router address of port \"%s\"",
				    lb_ip_str(&m->addr, buf), p->name);
	if (lb_core_is_vip(core, &m->addr))
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s is a VIP",
				    lb_ip_str(&m->addr, buf));
	if (m->has_sports) {
		for (i = 0; i < LB_MAX_MEMBERS; i++) {
			const struct lb_core_member *q = &core->members[i];

			if (!q->used || (int)i == skip || !q->conf.has_sports ||
			    m->sport_hi < q->conf.sport_lo ||
			    q->conf.sport_hi < m->sport_lo)
				continue;
			return lb_core_fail(err, -EINVAL, where, "source_ports",
					    "%u-%u overlaps the range of member \"%s\" (%u-%u)",
					    m->sport_lo, m->sport_hi,
					    q->conf.name, q->conf.sport_lo,
					    q->conf.sport_hi);
		}
		for (i = 0; i < LB_MAX_SERVICES; i++) {
			const struct lb_core_service *s = core->services[i];

			if (s != NULL &&
			    lb_core_sports_hit_service(m, &s->conf))
				return lb_core_fail(err, -EINVAL, where,
						    "source_ports",
						    "%u-%u includes the port of service \"%s\" (%u-%u)",
						    m->sport_lo, m->sport_hi,
						    s->conf.name,
						    s->conf.port_lo,
						    s->conf.port_hi);
		}
	}
	if (port_out != NULL)
		*port_out = (uint8_t)port;
	return 0;
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
			return lb_core_fail(err, -EINVAL, where, "address",
					    "is on port \"%s\", but service \"%s\" (every member) is checked from the exception interface of ports[0]",
					    core->ports[port].conf.name,
					    cs->conf.name);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (!core->members[i].used) {
			cm = &core->members[i];
			break;
		}
	if (cm == NULL)
		return lb_core_fail(err, -ENOSPC, where, NULL,
				    "already %d members", LB_MAX_MEMBERS);

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
		cs->health[i] = lb_core_start_health(core, cs);
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
		return lb_core_fail(err, -ENOENT, where, "name",
				    "no member \"%s\"", m->name);
	cm = &core->members[slot];
	if (strcmp(cm->conf.name, m->name) != 0 ||
	    !lb_ip_eq(&cm->conf.addr, &m->addr))
		return lb_core_fail(err, -EINVAL, where, "address",
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
