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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "lb_ctl.h"
#include "lb_ctl_api.h"
#include "lb_pkt.h"
#include "agent_internal.h"

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
ports_json(uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == 65535)
		return json_string("any");
	if (lo == hi)
		return json_integer(lo);
	return json_sprintf("%u-%u", lo, hi);
}

/* Flows a member holds in every worker's table: established
 * (active) and the rest (inactive), as ipvsadm counts them; its own,
 * not those of an earlier member of its slot. */
static void
member_conns(const struct lb_agent *ag, unsigned int slot,
	     uint64_t *active, uint64_t *inactive)
{
	const struct lb_core_member *m = lb_core_member(ag->core, slot);
	uint32_t gen = m != NULL ? m->gen : 0;
	unsigned int i;

	*active = *inactive = 0;
	for (i = 0; i < ag->env->n_workers; i++) {
		uint32_t a, in;

		lb_flow_member_flows(ag->env->workers[i].flows, (uint16_t)slot,
				     gen, &a, &in);
		*active += a;
		*inactive += in;
		if (ag->env->workers[i].flows6 == NULL)
			continue;
		lb_flow_member_flows(ag->env->workers[i].flows6,
				     (uint16_t)slot, gen, &a, &in);
		*active += a;
		*inactive += in;
	}
}

uint64_t
lb_agent_member_flows(void *ctx, unsigned int slot)
{
	uint64_t a, in;

	member_conns(ctx, slot, &a, &in);
	return a + in;
}

static json_t *
traffic_json(const struct lb_agent *ag, bool member, unsigned int slot)
{
	uint64_t active = 0, inactive = 0;
	struct lb_dp_traffic t;
	unsigned int m;

	lb_agent_traffic_sum(ag, member, slot, &t);
	if (member) {
		member_conns(ag, slot, &active, &inactive);
	} else {
		for (m = 0; m < ag->env->n_workers; m++) {
			uint32_t a, in;

			lb_flow_service_flows(ag->env->workers[m].flows,
					      (uint16_t)slot, &a, &in);
			active += a;
			inactive += in;
			if (ag->env->workers[m].flows6 == NULL)
				continue;
			lb_flow_service_flows(ag->env->workers[m].flows6,
					      (uint16_t)slot, &a, &in);
			active += a;
			inactive += in;
		}
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "packets",
			 (json_int_t)t.pkts, "bytes", (json_int_t)t.bytes,
			 "flows", (json_int_t)t.flows,
			 "active", (json_int_t)active,
			 "inactive", (json_int_t)inactive);
}

static const char *
cidr_str(uint32_t addr, uint8_t prefix, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	snprintf(buf, size, "%s/%u", lb_conf_ip_str(addr, ip), prefix);
	return buf;
}

/* The HA part of status: the mode, and what it does now. */
static json_t *
ha_status(const struct lb_agent *ag)
{
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;
	char buf[LB_IP_STRLEN];
	json_t *o, *ann;
	unsigned int i;

	o = json_pack("{s:s, s:o}", "mode", lb_ha_mode_names[ha->mode],
		      "sync", lb_agent_sync_status(ag));
	if (o == NULL || ha->mode != LB_HA_ECMP)
		return o;
	ann = json_array();
	for (i = 0; ann != NULL && i < ag->ann.n_announced; i++)
		json_array_append_new(ann, json_string(
			lb_ip_str(&ag->ann.announced[i], buf)));
	json_object_set_new(o, "announce_table",
			    json_integer(ha->announce_table));
	json_object_set_new(o, "announced", ann != NULL ? ann : json_null());
	return o;
}

static json_t *
rpc_status(void *ctx, json_t *params __rte_unused, struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	const struct lb_snapshot *s = lb_core_snapshot(ag->core);
	json_t *ports = json_array();
	unsigned int i, n_vips, n_m = 0, n_s = 0;
	char mac[AG_MAC_STR], cidr[32];

	lb_core_vips(ag->core, &n_vips);
	for (i = 0; i < LB_MAX_MEMBERS; i++)
		n_m += lb_core_member(ag->core, i) != NULL;
	for (i = 0; i < LB_MAX_SERVICES; i++)
		n_s += lb_core_service(ag->core, i) != NULL;
	for (i = 0; i < lb_core_n_ports(ag->core); i++) {
		const struct lb_core_port *cp = lb_core_port(ag->core, i);
		const struct lb_conf_port *p = &cp->conf;

		char ip6[LB_IP_STRLEN], cidr6[LB_CIDR_STRLEN];

		if (!lb_ip_is_unset(&p->addr6))
			snprintf(cidr6, sizeof(cidr6), "%s/%u",
				 lb_ip_str(&p->addr6, ip6), p->prefix6);
		if (!push(ports, json_pack("{s:s, s:i, s:s, s:s, s:s?, s:i, s:i, s:o}",
			"name", p->name, "dpdk_port", (int)cp->dpdk_port,
			"mac", lb_agent_mac_str(cp->mac, mac),
			"address", cidr_str(p->addr, p->prefix, cidr, sizeof(cidr)),
			"address6", lb_ip_is_unset(&p->addr6) ? NULL : cidr6,
			"vlan", p->vlan, "mtu", (int)p->mtu,
			"link", lb_agent_link_json(ag, i))))
			return list_or_fail(ports, false, err);
	}
	return json_pack("{s:s, s:s, s:i, s:I, s:b, s:o, s:i, s:i, s:i, s:i, s:I, s:s?, s:o, s:o}",
		"version", ag->env->version, "dpdk", rte_version(),
		"pid", (int)getpid(),
		"uptime", (json_int_t)((lb_agent_now_ms() - ag->start_ms) / 1000),
		"active", lb_core_active(ag->core), "ports", ports,
		"workers", (int)ag->env->n_workers, "vips", (int)n_vips,
		"members", (int)n_m, "services", (int)n_s,
		"snapshot", (json_int_t)(s != NULL ? s->version : 0),
		"exception_interface", ag->kif != NULL ? lb_kif_name(ag->kif) : NULL,
		"high_availability", ha_status(ag),
		/* ports[0]'s, or less: what the TAP carries */
		"exception_interface_mtu", ag->kif != NULL ?
			json_integer(lb_kif_mtu(ag->kif)) : json_null());
}

static json_t *
rpc_stats(void *ctx, json_t *params __rte_unused,
	  struct lb_ctl_error *err __rte_unused)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0, mbufs = 0, in_use = 0;
	struct lb_ctl_stats cs = { 0 };
	json_t *control;
	json_t *w = json_object(), *m = json_object(), *per = json_array();
	unsigned int i, k;

	/* each worker's share: RSS spreads flows, and an operator (or a
	 * test) sees whether it does */
	for (i = 0; i < ag->env->n_workers; i++) {
		const struct lb_worker *lw = ag->env->workers[i].w;
		uint64_t wrx = 0;

		for (k = 0; k < LB_STAT_WORKER_MAX; k++)
			if (lb_stats_worker_desc[k].kind == 'o')
				wrx += __atomic_load_n(&lw->stats[k],
						       __ATOMIC_RELAXED);
		json_array_append_new(per, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"lcore", (int)ag->env->workers[i].lcore,
			"rx", (json_int_t)wrx,
			"tx", (json_int_t)__atomic_load_n(&lw->stats[LB_STAT_TX],
							  __ATOMIC_RELAXED),
			"busy_cycles", (json_int_t)__atomic_load_n(
				&lw->stats[LB_STAT_BUSY_CYCLES], __ATOMIC_RELAXED),
			"cycles", (json_int_t)__atomic_load_n(
				&lw->stats[LB_STAT_CYCLES], __ATOMIC_RELAXED),
			"fwd", (json_int_t)__atomic_load_n(&lw->stats[LB_STAT_FWD],
							   __ATOMIC_RELAXED),
			"flows", (json_int_t)__atomic_load_n(&lw->flows->count,
							     __ATOMIC_RELAXED),
			"flows_ipv6", (json_int_t)(lw->flows6 == NULL ? 0 :
				__atomic_load_n(&lw->flows6->count,
						__ATOMIC_RELAXED)),
			"flows_limbo", (json_int_t)lb_flow_limbo(lw->flows),
			/* a flood fills every worker's table, or only some */
			"flow_evicted", (json_int_t)__atomic_load_n(
				&lw->stats[LB_STAT_FLOW_EVICTED], __ATOMIC_RELAXED),
			"flow_table_full", (json_int_t)__atomic_load_n(
				&lw->stats[LB_STAT_FLOW_TABLE_FULL], __ATOMIC_RELAXED),
			"flow_table_errors", (json_int_t)(__atomic_load_n(
				&lw->flows->errors, __ATOMIC_RELAXED) +
				(lw->flows6 == NULL ? 0 : __atomic_load_n(
					&lw->flows6->errors, __ATOMIC_RELAXED)))));
	}
	/* mbufs held anywhere (queues, rings, waiting fragments, the
	 * kernel path): back at its steady level when a flood is over */
	for (k = 0; k < RTE_MAX_NUMA_NODES; k++)
		if (ag->env->pools[k] != NULL) {
			mbufs += ag->env->pools[k]->size;
			in_use += rte_mempool_in_use_count(ag->env->pools[k]);
		}
	lb_agent_stats_sum(ag, c);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++) {
		if (lb_stats_worker_desc[k].kind == 'o')
			rx += c[k];
		json_object_set_new(w, lb_stats_worker_desc[k].name,
				    json_integer((json_int_t)c[k]));
	}
	for (k = 0; k < LB_STAT_MASTER_MAX; k++)
		json_object_set_new(m, lb_stats_master_desc[k].name,
				    json_integer((json_int_t)ag->mstats[k]));
	if (ag->ctl != NULL)
		lb_ctl_stats_get(ag->ctl, &cs);
	control = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:I}",
		"accepted", (json_int_t)cs.accepted,
		"requests", (json_int_t)cs.requests,
		"denied", (json_int_t)cs.denied,
		"evicted", (json_int_t)cs.evicted,
		"dropped_stalled", (json_int_t)cs.dropped_stalled,
		"dropped_unread", (json_int_t)cs.dropped_unread,
		"dropped_idle", (json_int_t)cs.dropped_idle,
		"dropped_oversized", (json_int_t)cs.dropped_oversized,
		"held_back", (json_int_t)cs.held_back,
		"clients", (int)cs.clients, "buffered", (json_int_t)cs.buffered,
		"reloads", (json_int_t)ag->api.reloads,
		"reload_errors", (json_int_t)ag->api.reload_errors);
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:{s:I, s:I}}", "rx",
			 (json_int_t)rx, "tsc_hz", (json_int_t)rte_get_tsc_hz(),
			 "control", control,
			 "workers", w, "per_worker", per,
			 "master", m, "mbufs", "size", (json_int_t)mbufs,
			 "in_use", (json_int_t)in_use);
}

/* Each port as its NIC sees it: the link, the basic counters and every
 * extended one the driver has, read now (one driver call per port). */
static json_t *
rpc_ports_stats(void *ctx, json_t *params __rte_unused,
		struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < lb_core_n_ports(ag->core); i++) {
		const struct lb_core_port *cp = lb_core_port(ag->core, i);
		char dev[RTE_ETH_NAME_MAX_LEN] = "";
		struct rte_eth_dev_info info;
		json_t *e, *counters;

		rte_eth_dev_get_name_by_port(cp->dpdk_port, dev);
		if (rte_eth_dev_info_get(cp->dpdk_port, &info) != 0)
			info.driver_name = NULL;
		counters = lb_agent_port_counters_json(ag, i);
		e = json_pack("{s:s, s:s, s:s?, s:i, s:i, s:o}",
			"name", cp->conf.name, "device", dev,
			"driver", info.driver_name, "dpdk_port",
			(int)cp->dpdk_port, "mtu", (int)cp->conf.mtu,
			"link", lb_agent_link_json(ag, i));
		if (e == NULL || counters == NULL ||
		    json_object_update(e, counters) != 0) {
			json_decref(e);
			ok = false;
		} else {
			ok = push(r, e) && ok;
		}
		json_decref(counters);
	}
	return list_or_fail(r, ok, err);
}

static json_t *
member_json(struct lb_agent *ag, unsigned int slot)
{
	const struct lb_core_member *m = lb_core_member(ag->core, slot);
	char mac[AG_MAC_STR];

	return json_pack("{s:s, s:o, s:i, s:s, s:s?, s:s, s:s, s:o?, s:o}",
		"name", m->conf.name, "address", lb_agent_addr_json(&m->conf.addr),
		"weight", (int)m->conf.weight,
		"state", m->removing ? "removing" : lb_admin_names[m->conf.state],
		"mac", !lb_mac_known(m->mac_state) ? NULL :
		       lb_agent_mac_str(m->mac, mac),
		"mac_state", lb_mac_state_names[m->mac_state],
		"port", lb_core_port(ag->core, m->conf.port)->conf.name,
		"source_ports", m->conf.has_sports ?
			ports_json(m->conf.sport_lo, m->conf.sport_hi) : NULL,
		"traffic", traffic_json(ag, true, slot));
}

/* The view lib/api answers member.set and member.add with. */
static json_t *
member_view(void *ctx, unsigned int slot)
{
	return member_json(ctx, slot);
}

static json_t *
rpc_members_list(void *ctx, json_t *params __rte_unused,
		 struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (lb_core_member(ag->core, i) != NULL)
			ok = push(r, member_json(ag, i)) && ok;
	return list_or_fail(r, ok, err);
}

/* The running check of a pair, if it is this pair's (not one left by a
 * member removed from the slot, until the master reconciles). */
static const struct lb_hc_check *
find_check(const struct lb_agent *ag, unsigned int svc, unsigned int member)
{
	const struct lb_hc_check *c = lb_hc_runner_find(ag->hc, (uint16_t)svc,
							(uint16_t)member);
	const struct lb_core_service *s = lb_core_service(ag->core, svc);
	const struct lb_core_member *m = lb_core_member(ag->core, member);
	struct lb_hc_info info;

	if (c == NULL || s == NULL || m == NULL)
		return NULL;
	lb_hc_check_info(c, &info);
	return info.target->id == lb_agent_pair_id(s, m) ? c : NULL;
}

static const char *
check_state(const struct lb_hc_check *c)
{
	struct lb_hc_info info;

	if (c == NULL)
		return "none";
	lb_hc_check_info(c, &info);
	return lb_hc_status_names[info.status];
}

static json_t *
rpc_services_list(void *ctx, json_t *params __rte_unused,
		  struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	json_t *r = json_array();
	unsigned int i, m;
	bool ok = true;

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *s = lb_core_service(ag->core, i);
		const struct lb_conf_service *c;
		json_t *members;

		if (s == NULL)
			continue;
		c = &s->conf;
		members = json_array();
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			const struct lb_core_member *cm = lb_core_member(ag->core, m);
			/* the state as of this request, published with the
			 * next commit (within the pass) */
			uint8_t ms = lb_core_member_mstate(ag->core, i, m);

			if (cm == NULL || !s->bound[m])
				continue;
			ok = push(members, json_pack("{s:s, s:s, s:s}",
				"name", cm->conf.name,
				"state", ms == LB_MS_ACTIVE ? "active" :
					 ms == LB_MS_DRAIN ? "drain" :
					 ms == LB_MS_WAIT ? "resolving" :
					 ms == LB_MS_RETIRE ? "removing" : "out",
				"health", check_state(find_check(ag, i, m)))) && ok;
		}
		ok = push(r, json_pack("{s:s, s:o, s:s, s:o, s:s, s:b, s:i, s:s, s:o, s:o}",
			"name", c->name,
			"vip", lb_ip_is_unset(&c->vip) ? json_string("*") :
			       lb_agent_addr_json(&c->vip),
			"protocol", c->proto == LB_IPPROTO_TCP ? "tcp" : "udp",
			"port", ports_json(c->port_lo, c->port_hi),
			"scheduler", lb_sched_names[c->sched],
			"stateless", c->stateless,
			"persistence", (int)c->persistence,
			"check", lb_check_names[c->check.type],
			"members", members,
			"traffic", traffic_json(ag, false, i))) && ok;
	}
	return list_or_fail(r, ok, err);
}

static json_t *
rpc_health_list(void *ctx, json_t *params __rte_unused,
		struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < lb_hc_runner_count(ag->hc); i++) {
		const struct lb_hc_check *c = lb_hc_runner_at(ag->hc, i);
		struct lb_hc_info in;
		const struct lb_core_service *s;
		const struct lb_core_member *m;

		lb_hc_check_info(c, &in);
		if (find_check(ag, in.target->svc, in.target->member) != c)
			continue;   /* the pair left; the next pass stops it */
		s = lb_core_service(ag->core, in.target->svc);
		m = lb_core_member(ag->core, in.target->member);
		ok = push(r, json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:I}",
			"service", s->conf.name, "member", m->conf.name,
			"type", lb_check_names[in.target->check.type],
			"port", in.target->port,
			"state", lb_hc_status_names[in.status],
			"last", in.last, "runs", (json_int_t)in.runs,
			"failures", (json_int_t)in.failures,
			"changes", (json_int_t)in.changes)) && ok;
	}
	return list_or_fail(r, ok, err);
}

static json_t *
rpc_neighbors_list(void *ctx, json_t *params __rte_unused,
		   struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	uint64_t now = lb_agent_now_ms();
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ag->neigh.n; i++) {
		const struct lb_neigh *n = &ag->neigh.e[i];
		char mac[AG_MAC_STR];

		ok = push(r, json_pack("{s:o, s:s?, s:s, s:s, s:b, s:o?}",
			"address", lb_agent_addr_json(&n->addr),
			"mac", lb_neigh_usable(n) ? lb_agent_mac_str(n->mac, mac) : NULL,
			"state", lb_neigh_state_names[n->state],
			"port", lb_core_port(ag->core, n->port)->conf.name,
			"wanted", n->wanted,
			"age", n->confirmed_ms != 0 ?
				json_integer((json_int_t)((now - n->confirmed_ms) / 1000)) :
				NULL)) && ok;
	}
	return list_or_fail(r, ok, err);
}

/* ---- flows ---- */

static json_t *
set_active(struct lb_agent *ag, bool active)
{
	/* a balancer still learning its peers' flows activates once it
	 * has them (or gave up waiting) */
	if (lb_agent_sync_hold_activation(ag, active)) {
		AG_LOG(NOTICE, "control: activation held until the peers' flows are in (bulk sync)");
		return json_pack("{s:b, s:s}", "active", false, "pending",
				 "bulk sync: activates once the peers' flows are in");
	}
	lb_agent_set_active(ag, active, "control");
	return json_pack("{s:b}", "active", active);
}

static json_t *
rpc_activate(void *ctx, json_t *params __rte_unused,
	     struct lb_ctl_error *err __rte_unused)
{
	return set_active(lb_agent_of(ctx), true);
}

static json_t *
rpc_deactivate(void *ctx, json_t *params __rte_unused,
	       struct lb_ctl_error *err __rte_unused)
{
	return set_active(lb_agent_of(ctx), false);
}

#define P(n, t, h) { .name = (n), .type = (t), .help = (h) }

/* The agent's methods (what needs workers, checks, neighbors); the ones
 * that change the state are lib/api's. First the read methods... */
static const struct lb_ctl_method reads[] = {
	{ .name = "status", .help = "version, uptime, ports and their links, counts, active/standby",
	  .handler = rpc_status },
	{ .name = "stats", .help = "every counter, summed over the workers; rx = sum of outcomes",
	  .handler = rpc_stats },
	{ .name = "ports.stats", .help = "data ports: link, MTU, the NIC's counters and extended counters (xstats)",
	  .handler = rpc_ports_stats },
	{ .name = "members.list", .help = "members: address, weight, state, MAC, traffic",
	  .handler = rpc_members_list },
	{ .name = "services.list", .help = "services: VIP, protocol, port, scheduler, members and their state",
	  .handler = rpc_services_list },
	{ .name = "health.list", .help = "health checks: state and last result per service and member",
	  .handler = rpc_health_list },
	{ .name = "neighbors.list", .help = "the neighbor (ARP) table",
	  .handler = rpc_neighbors_list },
};

/* ... then flows.list and flows.flush (rpc_flows.c), then these */
static const struct lb_ctl_method activity[] = {
	{ .name = "activate", .help = "become the active balancer: answer ARP for VIPs, forward, announce VIPs",
	  .flags = LB_CTL_WRITE, .handler = rpc_activate },
	{ .name = "deactivate", .help = "become standby: no ARP for VIPs, forward nothing for them, keep checking health",
	  .flags = LB_CTL_WRITE, .handler = rpc_deactivate },
};

#define N_OWN (RTE_DIM(reads) + RTE_DIM(activity))

static struct lb_ctl_method all_methods[N_OWN + 2 + 16];

int
lb_agent_rpc_init(struct lb_agent *ag)
{
	const struct lb_conf *st = lb_core_settings(ag->core);
	struct lb_ctl_params p = {
		.path = st->control_socket, .ro_path = st->control_socket_ro,
		.mode = LB_CONTROL_MODE, .group = st->control_group,
		.ro_mode = st->control_mode_ro, .ro_group = st->control_group_ro,
		.methods = all_methods, .ctx = &ag->api,
	};
	unsigned int n = 0;
	char err[256];

	RTE_BUILD_BUG_ON(RTE_DIM(all_methods) < N_OWN + 2 + 9);
	ag->api.core = ag->core;
	ag->api.app = ag;
	ag->api.member_flows = lb_agent_member_flows;
	ag->api.member_view = member_view;
	ag->api.checks_possible = ag->kif != NULL;
	snprintf(ag->api.config_path, sizeof(ag->api.config_path), "%s",
		 ag->env->config_path);
	if (st->control_socket[0] == '\0')
		return 0;
	if (lb_agent_n_flow_methods + lb_api_n_methods >
	    RTE_DIM(all_methods) - N_OWN) {
		AG_LOG(ERR, "control_socket: more methods than the table holds");
		return -ENOSPC;
	}
	memcpy(all_methods, reads, sizeof(reads));
	n += RTE_DIM(reads);
	memcpy(all_methods + n, lb_agent_flow_methods,
	       lb_agent_n_flow_methods * sizeof(lb_agent_flow_methods[0]));
	n += lb_agent_n_flow_methods;
	memcpy(all_methods + n, activity, sizeof(activity));
	n += RTE_DIM(activity);
	n += lb_ctl_api_methods(all_methods + n);
	p.n_methods = n;
	ag->ctl = lb_ctl_create_params(&p, err);
	if (ag->ctl == NULL) {
		AG_LOG(ERR, "control_socket: %s", err);
		return -EINVAL;
	}
	AG_LOG(INFO, "control socket %s%s%s (JSON-RPC 2.0, one request per line)",
		st->control_socket, st->control_socket_ro[0] != '\0' ?
		", read-only " : "", st->control_socket_ro);
	return 0;
}

void
lb_agent_rpc_fini(struct lb_agent *ag)
{
	lb_ctl_free(ag->ctl);
	ag->ctl = NULL;
}
