/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The control socket's methods: thin adapters that decode params (the
 * dispatcher has already validated their shape), call the core API, and
 * encode the answer. They run on the master lcore, with the state lock
 * held, between two passes of the master loop.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_mempool.h>
#include <rte_version.h>

#include "lb_ctl.h"
#include "lb_pkt.h"
#include "app.h"

/* Append an entry built by json_pack; a NULL (a format bug, or out of
 * memory) must not silently shorten a list. */
static bool
push(json_t *list, json_t *entry)
{
	return entry != NULL && json_array_append_new(list, entry) == 0;
}

static json_t *
list_or_fail(json_t *list, bool ok, struct lb_ctl_error *err)
{
	if (ok)
		return list;
	json_decref(list);
	return lb_ctl_fail(err, LB_CTL_INTERNAL_ERROR,
			   "could not encode the answer");
}

static json_t *
ip_json(uint32_t addr)
{
	char buf[INET_ADDRSTRLEN];

	return json_string(lb_conf_ip_str(addr, buf));
}

static json_t *
ports_json(uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == 65535)
		return json_string("any");
	if (lo == hi)
		return json_integer(lo);
	return json_sprintf("%u-%u", lo, hi);
}

static json_t *
traffic_json(const struct dsrlb_app *app, bool member, unsigned int slot)
{
	struct lb_dp_traffic t;

	dsrlb_traffic_sum(app, member, slot, &t);
	return json_pack("{s:I, s:I, s:I}", "packets", (json_int_t)t.pkts,
			 "bytes", (json_int_t)t.bytes,
			 "flows", (json_int_t)t.flows);
}

static const char *
cidr_str(uint32_t addr, uint8_t prefix, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	snprintf(buf, size, "%s/%u", lb_conf_ip_str(addr, ip), prefix);
	return buf;
}

static json_t *
rpc_status(void *ctx, json_t *params __rte_unused, struct lb_ctl_error *err)
{
	struct dsrlb_app *app = ctx;
	const struct lb_snapshot *s = lb_core_snapshot(app->core);
	json_t *ports = json_array();
	unsigned int i, n_vips, n_m = 0, n_s = 0;
	char mac[DSRLB_MAC_STR], cidr[32];

	lb_core_vips(app->core, &n_vips);
	for (i = 0; i < LB_MAX_MEMBERS; i++)
		n_m += lb_core_member(app->core, i) != NULL;
	for (i = 0; i < LB_MAX_SERVICES; i++)
		n_s += lb_core_service(app->core, i) != NULL;
	for (i = 0; i < app->n_ports; i++) {
		const struct lb_conf_port *p = &app->conf->ports[i];

		if (!push(ports, json_pack("{s:s, s:i, s:s, s:s, s:i}",
			"name", p->name, "dpdk_port", (int)app->port_ids[i],
			"mac", dsrlb_mac_str(app->port_macs[i], mac),
			"address", cidr_str(p->addr, p->prefix, cidr, sizeof(cidr)),
			"vlan", p->vlan)))
			return list_or_fail(ports, false, err);
	}
	return json_pack("{s:s, s:s, s:i, s:I, s:b, s:o, s:i, s:i, s:i, s:i, s:I, s:s?}",
		"version", DSRLB_VERSION, "dpdk", rte_version(),
		"pid", (int)getpid(),
		"uptime", (json_int_t)((dsrlb_now_ms() - app->start_ms) / 1000),
		"active", lb_core_active(app->core), "ports", ports,
		"workers", (int)app->n_workers, "vips", (int)n_vips,
		"members", (int)n_m, "services", (int)n_s,
		"snapshot", (json_int_t)(s != NULL ? s->version : 0),
		"exception_interface", app->exc.active ? app->exc.ifname : NULL);
}

static json_t *
rpc_stats(void *ctx, json_t *params __rte_unused,
	  struct lb_ctl_error *err __rte_unused)
{
	struct dsrlb_app *app = ctx;
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0, mbufs = 0, in_use = 0;
	json_t *w = json_object(), *m = json_object(), *per = json_array();
	unsigned int i, k;

	/* each worker's share: RSS spreads flows, and an operator (or a
	 * test) sees whether it does */
	for (i = 0; i < app->n_workers; i++) {
		const struct lb_worker *lw = app->workers[i].w;
		uint64_t wrx = 0;

		for (k = 0; k < LB_STAT_WORKER_MAX; k++)
			if (lb_stats_worker_desc[k].kind == 'o')
				wrx += __atomic_load_n(&lw->stats[k],
						       __ATOMIC_RELAXED);
		json_array_append_new(per, json_pack("{s:i, s:I, s:I, s:I, s:I}",
			"lcore", (int)app->workers[i].lcore,
			"rx", (json_int_t)wrx,
			"fwd", (json_int_t)__atomic_load_n(&lw->stats[LB_STAT_FWD],
							   __ATOMIC_RELAXED),
			"flows", (json_int_t)__atomic_load_n(&lw->flows->count,
							     __ATOMIC_RELAXED),
			"flows_limbo", (json_int_t)lb_flow_limbo(lw->flows)));
	}
	/* mbufs held anywhere (queues, rings, waiting fragments, the
	 * kernel path): back at its steady level when a flood is over */
	for (k = 0; k < RTE_MAX_NUMA_NODES; k++)
		if (app->pools[k] != NULL) {
			mbufs += app->pools[k]->size;
			in_use += rte_mempool_in_use_count(app->pools[k]);
		}
	dsrlb_stats_sum(app, c);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++) {
		if (lb_stats_worker_desc[k].kind == 'o')
			rx += c[k];
		json_object_set_new(w, lb_stats_worker_desc[k].name,
				    json_integer((json_int_t)c[k]));
	}
	for (k = 0; k < LB_STAT_MASTER_MAX; k++)
		json_object_set_new(m, lb_stats_master_desc[k].name,
				    json_integer((json_int_t)app->mstats.c[k]));
	return json_pack("{s:I, s:o, s:o, s:o, s:{s:I, s:I}}", "rx",
			 (json_int_t)rx, "workers", w, "per_worker", per,
			 "master", m, "mbufs", "size", (json_int_t)mbufs,
			 "in_use", (json_int_t)in_use);
}

static json_t *
member_json(struct dsrlb_app *app, unsigned int slot)
{
	const struct lb_core_member *m = lb_core_member(app->core, slot);
	char mac[DSRLB_MAC_STR];

	return json_pack("{s:s, s:o, s:i, s:s, s:s?, s:s, s:s, s:o?, s:o}",
		"name", m->conf.name, "address", ip_json(m->conf.addr),
		"weight", (int)m->conf.weight,
		"state", lb_admin_names[m->conf.state],
		"mac", !lb_mac_known(m->mac_state) ? NULL :
		       dsrlb_mac_str(m->mac, mac),
		"mac_state", lb_mac_state_names[m->mac_state],
		"port", app->conf->ports[m->conf.port].name,
		"source_ports", m->conf.has_sports ?
			ports_json(m->conf.sport_lo, m->conf.sport_hi) : NULL,
		"traffic", traffic_json(app, true, slot));
}

static json_t *
rpc_members_list(void *ctx, json_t *params __rte_unused,
		 struct lb_ctl_error *err)
{
	struct dsrlb_app *app = ctx;
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (lb_core_member(app->core, i) != NULL)
			ok = push(r, member_json(app, i)) && ok;
	return list_or_fail(r, ok, err);
}

static const struct dsrlb_check *
find_check(const struct dsrlb_app *app, unsigned int svc, unsigned int member)
{
	unsigned int i;

	for (i = 0; i < app->health.n; i++)
		if (app->health.checks[i].svc == svc &&
		    app->health.checks[i].member == member)
			return &app->health.checks[i];
	return NULL;
}

static const char *
check_state(const struct dsrlb_check *c)
{
	if (c == NULL)
		return "none";
	return !c->st.checked ? "unchecked" : c->st.up ? "up" : "down";
}

static json_t *
rpc_services_list(void *ctx, json_t *params __rte_unused,
		  struct lb_ctl_error *err)
{
	struct dsrlb_app *app = ctx;
	const struct lb_snapshot *snap = lb_core_snapshot(app->core);
	json_t *r = json_array();
	unsigned int i, m;
	bool ok = true;

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *s = lb_core_service(app->core, i);
		const struct lb_conf_service *c;
		json_t *members;

		if (s == NULL)
			continue;
		c = &s->conf;
		members = json_array();
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			const struct lb_core_member *cm = lb_core_member(app->core, m);
			uint8_t ms = snap->services[i].valid ?
				snap->services[i].mstate[m] : LB_MS_NONE;

			if (cm == NULL || !s->bound[m])
				continue;
			ok = push(members, json_pack("{s:s, s:s, s:s}",
				"name", cm->conf.name,
				"state", ms == LB_MS_ACTIVE ? "active" :
					 ms == LB_MS_DRAIN ? "drain" :
					 ms == LB_MS_WAIT ? "resolving" : "out",
				"health", check_state(find_check(app, i, m)))) && ok;
		}
		ok = push(r, json_pack("{s:s, s:o, s:s, s:o, s:s, s:b, s:s, s:o, s:o}",
			"name", c->name,
			"vip", c->vip == 0 ? json_string("*") : ip_json(c->vip),
			"protocol", c->proto == LB_IPPROTO_TCP ? "tcp" : "udp",
			"port", ports_json(c->port_lo, c->port_hi),
			"scheduler", lb_sched_names[c->sched],
			"stateless", c->stateless,
			"check", lb_check_names[c->check.type],
			"members", members,
			"traffic", traffic_json(app, false, i))) && ok;
	}
	return list_or_fail(r, ok, err);
}

static json_t *
rpc_health_list(void *ctx, json_t *params __rte_unused,
		struct lb_ctl_error *err)
{
	struct dsrlb_app *app = ctx;
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < app->health.n; i++) {
		const struct dsrlb_check *c = &app->health.checks[i];
		const struct lb_core_service *s = lb_core_service(app->core, c->svc);
		const struct lb_core_member *m = lb_core_member(app->core, c->member);

		if (s == NULL || m == NULL)
			continue;
		ok = push(r, json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:I}",
			"service", s->conf.name, "member", m->conf.name,
			"type", lb_check_names[c->conf.type],
			"port", c->conf.port, "state", check_state(c),
			"last", c->last, "runs", (json_int_t)c->runs,
			"failures", (json_int_t)c->failures,
			"changes", (json_int_t)c->changes)) && ok;
	}
	return list_or_fail(r, ok, err);
}

static json_t *
rpc_neighbors_list(void *ctx, json_t *params __rte_unused,
		   struct lb_ctl_error *err)
{
	struct dsrlb_app *app = ctx;
	uint64_t now = dsrlb_now_ms();
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < app->neigh.n; i++) {
		const struct lb_neigh *n = &app->neigh.e[i];
		char mac[DSRLB_MAC_STR];

		ok = push(r, json_pack("{s:o, s:s?, s:s, s:s, s:b, s:o?}",
			"address", ip_json(n->addr),
			"mac", lb_neigh_usable(n) ? dsrlb_mac_str(n->mac, mac) : NULL,
			"state", lb_neigh_state_names[n->state],
			"port", app->conf->ports[n->port].name,
			"wanted", n->wanted,
			"age", n->confirmed_ms != 0 ?
				json_integer((json_int_t)((now - n->confirmed_ms) / 1000)) :
				NULL)) && ok;
	}
	return list_or_fail(r, ok, err);
}

static json_t *
rpc_member_set(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	struct dsrlb_app *app = ctx;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *w = json_object_get(params, "weight");
	json_t *sv = json_object_get(params, "state");
	const char *state = sv != NULL ? json_string_value(sv) : NULL;
	json_int_t weight = w != NULL ? json_integer_value(w) : -1;
	int slot, st = -1, rc;

	slot = lb_core_member_find(app->core, name);
	if (slot < 0)
		return lb_ctl_fail(err, LB_CTL_NOT_FOUND,
				   "params.name: no member \"%s\"", name);
	if (w != NULL && (weight < 0 || weight > 65535))
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params.weight: %lld is out of range [0, 65535]",
				   (long long)weight);
	if (state != NULL) {
		st = lb_conf_enum(lb_admin_names, LB_ADMIN_STATE_MAX, state);
		if (st < 0)
			return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
					   "params.state: \"%s\" is not one of: up, drain, disabled",
					   state);
	}
	if (w == NULL && state == NULL)
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params: give \"weight\", \"state\" or both");
	/* both checked above: neither call can fail half-way */
	if (w != NULL) {
		rc = lb_core_member_set_weight(app->core, (unsigned int)slot,
					       (uint32_t)weight);
		if (rc != 0)
			return lb_ctl_fail(err, LB_CTL_FAILED, "%s", strerror(-rc));
	}
	if (st >= 0)
		lb_core_member_set_state(app->core, (unsigned int)slot,
					 (uint8_t)st);
	if (w != NULL)
		APP_LOG(NOTICE, "control: member %s weight %lld", name,
			(long long)weight);
	if (state != NULL)
		APP_LOG(NOTICE, "control: member %s state %s", name, state);
	return member_json(app, (unsigned int)slot);
}

static json_t *
set_active(struct dsrlb_app *app, bool active)
{
	if (lb_core_active(app->core) != active) {
		lb_core_set_active(app->core, active);
		APP_LOG(NOTICE, "control: %s", active ?
			"activated: answering ARP for VIPs and forwarding" :
			"deactivated (standby): no ARP for VIPs, nothing forwarded for them");
		if (active)
			dsrlb_garp_start(app);
	}
	return json_pack("{s:b}", "active", active);
}

static json_t *
rpc_activate(void *ctx, json_t *params __rte_unused,
	     struct lb_ctl_error *err __rte_unused)
{
	return set_active(ctx, true);
}

static json_t *
rpc_deactivate(void *ctx, json_t *params __rte_unused,
	       struct lb_ctl_error *err __rte_unused)
{
	return set_active(ctx, false);
}

static const struct lb_ctl_method methods[] = {
	{ "status", "version, uptime, ports, counts, active/standby",
	  { { NULL } }, rpc_status },
	{ "stats", "every counter, summed over the workers; rx = sum of outcomes",
	  { { NULL } }, rpc_stats },
	{ "members.list", "members: address, weight, state, MAC, traffic",
	  { { NULL } }, rpc_members_list },
	{ "services.list", "services: VIP, protocol, port, scheduler, members and their state",
	  { { NULL } }, rpc_services_list },
	{ "health.list", "health checks: state and last result per service and member",
	  { { NULL } }, rpc_health_list },
	{ "neighbors.list", "the neighbor (ARP) table",
	  { { NULL } }, rpc_neighbors_list },
	{ "member.set", "set a member's weight and/or state",
	  { { "name", LB_CTL_STRING, true, "member name" },
	    { "weight", LB_CTL_INTEGER, false, "0-65535 (0: no new flows)" },
	    { "state", LB_CTL_STRING, false, "up, drain or disabled" },
	    { NULL } },
	  rpc_member_set },
	{ "activate", "become the active balancer: answer ARP for VIPs, forward, announce VIPs",
	  { { NULL } }, rpc_activate },
	{ "deactivate", "become standby: no ARP for VIPs, forward nothing for them, keep checking health",
	  { { NULL } }, rpc_deactivate },
};

int
dsrlb_rpc_init(struct dsrlb_app *app)
{
	char err[256];

	if (app->conf->control_socket[0] == '\0')
		return 0;
	app->ctl = lb_ctl_create(app->conf->control_socket, 0660, methods,
				 RTE_DIM(methods), app, err);
	if (app->ctl == NULL) {
		APP_LOG(ERR, "control_socket: %s", err);
		return -EINVAL;
	}
	APP_LOG(INFO, "control socket %s (JSON-RPC 2.0, one request per line)",
		app->conf->control_socket);
	return 0;
}

void
dsrlb_rpc_fini(struct dsrlb_app *app)
{
	lb_ctl_free(app->ctl);
	app->ctl = NULL;
}
