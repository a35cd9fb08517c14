/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Reload by difference: the new file is tried on a copy of the state
 * with the same rules as a control request, and taken only if all of
 * it holds; what stays the same keeps its slots, tables and flows.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "core_internal.h"

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
	lb_core_services_free(c);
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
	lb_core_services_free(core);
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
	lb_core_services_free(c);
	free(c->vips);
	free(c);
}

/* The HA settings a restart takes; shutdown_grace_ms is not one of
 * them: it is read when the stop comes. */
static bool
ha_same(const struct lb_conf_ha *a, const struct lb_conf_ha *b)
{
	return a->mode == b->mode && a->start_standby == b->start_standby &&
	       a->announce_table == b->announce_table &&
	       a->vrrp_watchdog_ms == b->vrrp_watchdog_ms && a->sync == b->sync &&
	       strcmp(a->track_file, b->track_file) == 0 &&
	       lb_ip_eq(&a->next_hop6, &b->next_hop6) &&
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
	if (a->addr != b->addr || a->prefix != b->prefix ||
	    !lb_ip_eq(&a->addr6, &b->addr6) || a->prefix6 != b->prefix6)
		return "address";
	if (a->gateway != b->gateway || !lb_ip_eq(&a->gateway6, &b->gateway6))
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
	if (strcmp(conf->control_group_ro, s->control_group_ro) != 0)
		return "control_readonly_group";
	if (conf->control_mode_ro != s->control_mode_ro)
		return "control_readonly_mode";
	if (memcmp(&conf->dataplane, &s->dataplane, sizeof(s->dataplane)) != 0)
		return "dataplane";
	if (memcmp(&conf->arp, &s->arp, sizeof(s->arp)) != 0)
		return "arp";
	if (!ha_same(&conf->ha, &s->ha))
		return "high_availability";
	if (conf->flows.capacity != core->flows.capacity)
		return "flows.capacity";
	if (conf->flows.capacity6 != core->flows.capacity6)
		return "flows.ipv6_capacity";
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

	if (!lb_ip_eq(&r->vip, &s->vip) || r->proto != s->proto || r->sched != s->sched ||
	    r->stateless != s->stateless || r->hash_fields != s->hash_fields ||
	    r->port_lo != s->port_lo || r->port_hi != s->port_hi ||
	    r->persistence != s->persistence ||
	    r->persist_prefix != s->persist_prefix ||
	    r->persist_prefix6 != s->persist_prefix6 ||
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
	struct lb_ip *add;
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
				return lb_core_fail(err, -ENOENT, conf->source,
						    NULL,
						    "services[%u].members[%u]: no member is named \"%s\"",
						    i, j,
						    conf->services[i].members[j]);

	/* VIPs that are new: before the members and services using them */
	snprintf(where, sizeof(where), "%s: (top level)", conf->source);
	rc = lb_core_vips_check_ports(c, conf->vips, conf->n_vips, where, err);
	if (rc != 0)
		return rc;
	add = malloc((conf->n_vips + 1) * sizeof(*add));
	if (add == NULL)
		return -ENOMEM;
	for (i = 0, n = 0; i < conf->n_vips; i++) {
		char buf[LB_IP_STRLEN];

		slot = lb_core_member_by_addr(c, &conf->vips[i]);
		if (slot >= 0) {
			free(add);
			return lb_core_fail(err, -EINVAL, conf->source, NULL,
					    "vips: %s is member \"%s\"%s",
					    lb_ip_str(&conf->vips[i], buf),
					    c->members[slot].conf.name,
					    c->members[slot].removing ?
					    " (being removed: reload once it is gone)" : "");
		}
		if (!lb_core_is_vip(c, &conf->vips[i]))
			add[n++] = conf->vips[i];
	}
	rc = n > 0 ? lb_core_vips_insert(c, add, n) : 0;
	if (rc == 0 && d != NULL && n > 0) {
		d->vips[0] = add;
		d->n_vips[0] = n;
		add = NULL;
	}
	free(add);
	if (rc != 0)
		return lb_core_fail(err, rc, conf->source, NULL, "vips: %s",
				    strerror(-rc));

	/* members: changed in place, or new */
	for (i = 0; i < conf->n_members; i++) {
		const struct lb_conf_member *m = &conf->members[i];

		snprintf(where, sizeof(where), "%s: members[%u]", conf->source, i);
		slot = lb_core_member_find(c, m->name);
		if (slot >= 0 && !lb_ip_eq(&c->members[slot].conf.addr, &m->addr)) {
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
		n += !lb_conf_vip_find(conf->vips, conf->n_vips, &c->vips[i]);
	if (n > 0) {
		struct lb_ip *gone = malloc(n * sizeof(*gone));
		char buf[LB_IP_STRLEN];

		if (gone == NULL)
			return -ENOMEM;
		for (i = 0, j = 0; i < c->n_vips; i++)
			if (!lb_conf_vip_find(conf->vips, conf->n_vips,
					      &c->vips[i]))
				gone[j++] = c->vips[i];
		for (i = 0; i < LB_MAX_SERVICES; i++) {
			const struct lb_core_service *cs = c->services[i];

			if (cs == NULL || lb_ip_is_unset(&cs->conf.vip) ||
			    !lb_conf_vip_find(gone, n, &cs->conf.vip))
				continue;
			free(gone);
			return lb_core_fail(err, -EINVAL, conf->source, NULL,
					    "vips: %s is gone, but service \"%s\" uses it",
					    lb_ip_str(&cs->conf.vip, buf),
					    cs->conf.name);
		}
		for (i = 0, j = 0; i < c->n_vips; i++)
			if (lb_conf_vip_find(conf->vips, conf->n_vips,
					     &c->vips[i]))
				c->vips[j++] = c->vips[i];
		c->n_vips = j;
		if (d != NULL) {
			d->vips[1] = gone;
			d->n_vips[1] = n;
		} else {
			free(gone);
		}
		for (i = 0; i < LB_MAX_SERVICES; i++)
			if (c->services[i] != NULL &&
			    lb_ip_is_unset(&c->services[i]->conf.vip) &&
			    c->n_vips == 0)
				return lb_core_fail(err, -EINVAL, conf->source,
						    NULL,
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
		return lb_core_fail(err, -EINVAL, conf->source, NULL,
				    "%s: changed, and this takes a restart (the running value stays)",
				    key);
	c = state_clone(core);
	if (c == NULL)
		return lb_core_fail(err, -ENOMEM, conf->source, NULL,
				    "out of memory");
	rc = reload_on(c, conf, &local, err);
	if (rc != 0) {
		if (rc == -ENOMEM && err != NULL && err->msg[0] == '\0')
			lb_core_fail(err, rc, conf->source, NULL,
				     "out of memory");
		state_free(c);
		lb_core_diff_free(&local);
		return rc;
	}
	changed = local.n_vips[0] + local.n_vips[1] > 0 ||
		  memcmp(&c->flows, &core->flows, sizeof(c->flows)) != 0;
	if (conf->ha.shutdown_grace_ms != core->settings.ha.shutdown_grace_ms) {
		CORE_LOG(NOTICE, "%s: high_availability.shutdown_grace_ms %u -> %u, for the next stop",
			 conf->source, core->settings.ha.shutdown_grace_ms,
			 conf->ha.shutdown_grace_ms);
		core->settings.ha.shutdown_grace_ms = conf->ha.shutdown_grace_ms;
	}
	if (conf->ha.sync &&
	    (strcmp(conf->ha.sync_key_file, core->settings.ha.sync_key_file) != 0 ||
	     !lb_conf_keys_equal(&conf->ha.sync_keys,
				 &core->settings.ha.sync_keys))) {
		/* a key rotation: flow sync signs with the new first key
		 * from its next message, and accepts all of them */
		CORE_LOG(NOTICE, "%s: high_availability.sync.key_file %s: %u key(s), sending with key %u",
			 conf->source, conf->ha.sync_key_file,
			 conf->ha.sync_keys.n, conf->ha.sync_keys.k[0].id);
		memcpy(core->settings.ha.sync_key_file, conf->ha.sync_key_file,
		       sizeof(conf->ha.sync_key_file));
		core->settings.ha.sync_keys = conf->ha.sync_keys;
	}
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
