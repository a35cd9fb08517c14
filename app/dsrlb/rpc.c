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
#include "lb_pkt.h"
#include "app.h"

/* Every method's ctx is the control API's context; the application's
 * state hangs off it. */
static struct dsrlb_app *
rpc_app(void *ctx)
{
	return ((struct lb_api *)ctx)->app;
}

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

/* Flows a member holds in every worker's table: established
 * (active) and the rest (inactive), as ipvsadm counts them. */
static void
member_conns(const struct dsrlb_app *app, unsigned int slot,
	     uint64_t *active, uint64_t *inactive)
{
	unsigned int i;

	*active = *inactive = 0;
	for (i = 0; i < app->n_workers; i++) {
		uint32_t a, in;

		lb_flow_member_flows(app->workers[i].flows, (uint16_t)slot,
				     &a, &in);
		*active += a;
		*inactive += in;
	}
}

uint64_t
dsrlb_member_flows(void *ctx, unsigned int slot)
{
	uint64_t a, in;

	member_conns(ctx, slot, &a, &in);
	return a + in;
}

static json_t *
traffic_json(const struct dsrlb_app *app, bool member, unsigned int slot)
{
	uint64_t active = 0, inactive = 0;
	struct lb_dp_traffic t;
	unsigned int m;

	dsrlb_traffic_sum(app, member, slot, &t);
	if (member) {
		member_conns(app, slot, &active, &inactive);
	} else {
		for (m = 0; m < app->n_workers; m++) {
			uint32_t a, in;

			lb_flow_service_flows(app->workers[m].flows,
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
ha_status(const struct dsrlb_app *app)
{
	const struct lb_conf_ha *ha = &lb_core_settings(app->core)->ha;
	char buf[INET_ADDRSTRLEN];
	json_t *o, *ann;
	unsigned int i;

	o = json_pack("{s:s, s:o}", "mode", lb_ha_mode_names[ha->mode],
		      "sync", dsrlb_sync_status(app));
	if (o == NULL || ha->mode != LB_HA_ECMP)
		return o;
	ann = json_array();
	for (i = 0; ann != NULL && i < app->n_announced; i++)
		json_array_append_new(ann, json_string(
			lb_conf_ip_str(app->announced[i], buf)));
	json_object_set_new(o, "announce_table",
			    json_integer(ha->announce_table));
	json_object_set_new(o, "announced", ann != NULL ? ann : json_null());
	return o;
}

static json_t *
rpc_status(void *ctx, json_t *params __rte_unused, struct lb_ctl_error *err)
{
	struct dsrlb_app *app = rpc_app(ctx);
	const struct lb_snapshot *s = lb_core_snapshot(app->core);
	json_t *ports = json_array();
	unsigned int i, n_vips, n_m = 0, n_s = 0;
	char mac[DSRLB_MAC_STR], cidr[32];

	lb_core_vips(app->core, &n_vips);
	for (i = 0; i < LB_MAX_MEMBERS; i++)
		n_m += lb_core_member(app->core, i) != NULL;
	for (i = 0; i < LB_MAX_SERVICES; i++)
		n_s += lb_core_service(app->core, i) != NULL;
	for (i = 0; i < lb_core_n_ports(app->core); i++) {
		const struct lb_core_port *cp = lb_core_port(app->core, i);
		const struct lb_conf_port *p = &cp->conf;

		if (!push(ports, json_pack("{s:s, s:i, s:s, s:s, s:i, s:i, s:o}",
			"name", p->name, "dpdk_port", (int)cp->dpdk_port,
			"mac", dsrlb_mac_str(cp->mac, mac),
			"address", cidr_str(p->addr, p->prefix, cidr, sizeof(cidr)),
			"vlan", p->vlan, "mtu", (int)p->mtu,
			"link", dsrlb_link_json(app, i))))
			return list_or_fail(ports, false, err);
	}
	return json_pack("{s:s, s:s, s:i, s:I, s:b, s:o, s:i, s:i, s:i, s:i, s:I, s:s?, s:o, s:o}",
		"version", DSRLB_VERSION, "dpdk", rte_version(),
		"pid", (int)getpid(),
		"uptime", (json_int_t)((dsrlb_now_ms() - app->start_ms) / 1000),
		"active", lb_core_active(app->core), "ports", ports,
		"workers", (int)app->n_workers, "vips", (int)n_vips,
		"members", (int)n_m, "services", (int)n_s,
		"snapshot", (json_int_t)(s != NULL ? s->version : 0),
		"exception_interface", app->kif != NULL ? lb_kif_name(app->kif) : NULL,
		"high_availability", ha_status(app),
		/* ports[0]'s, or less: what the TAP carries */
		"exception_interface_mtu", app->kif != NULL ?
			json_integer(lb_kif_mtu(app->kif)) : json_null());
}

static json_t *
rpc_stats(void *ctx, json_t *params __rte_unused,
	  struct lb_ctl_error *err __rte_unused)
{
	struct dsrlb_app *app = rpc_app(ctx);
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0, mbufs = 0, in_use = 0;
	struct lb_ctl_stats cs = { 0 };
	json_t *control;
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
		json_array_append_new(per, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"lcore", (int)app->workers[i].lcore,
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
			"flows_limbo", (json_int_t)lb_flow_limbo(lw->flows),
			/* a flood fills every worker's table, or only some */
			"flow_evicted", (json_int_t)__atomic_load_n(
				&lw->stats[LB_STAT_FLOW_EVICTED], __ATOMIC_RELAXED),
			"flow_table_full", (json_int_t)__atomic_load_n(
				&lw->stats[LB_STAT_FLOW_TABLE_FULL], __ATOMIC_RELAXED),
			"flow_table_errors", (json_int_t)__atomic_load_n(
				&lw->flows->errors, __ATOMIC_RELAXED)));
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
	if (app->ctl != NULL)
		lb_ctl_stats_get(app->ctl, &cs);
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
		"reloads", (json_int_t)app->api.reloads,
		"reload_errors", (json_int_t)app->api.reload_errors);
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
	struct dsrlb_app *app = rpc_app(ctx);
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < lb_core_n_ports(app->core); i++) {
		const struct lb_core_port *cp = lb_core_port(app->core, i);
		char dev[RTE_ETH_NAME_MAX_LEN] = "";
		struct rte_eth_dev_info info;
		json_t *e, *counters;

		rte_eth_dev_get_name_by_port(cp->dpdk_port, dev);
		if (rte_eth_dev_info_get(cp->dpdk_port, &info) != 0)
			info.driver_name = NULL;
		counters = dsrlb_port_counters_json(app, i);
		e = json_pack("{s:s, s:s, s:s?, s:i, s:i, s:o}",
			"name", cp->conf.name, "device", dev,
			"driver", info.driver_name, "dpdk_port",
			(int)cp->dpdk_port, "mtu", (int)cp->conf.mtu,
			"link", dsrlb_link_json(app, i));
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
member_json(struct dsrlb_app *app, unsigned int slot)
{
	const struct lb_core_member *m = lb_core_member(app->core, slot);
	char mac[DSRLB_MAC_STR];

	return json_pack("{s:s, s:o, s:i, s:s, s:s?, s:s, s:s, s:o?, s:o}",
		"name", m->conf.name, "address", ip_json(m->conf.addr),
		"weight", (int)m->conf.weight,
		"state", m->removing ? "removing" : lb_admin_names[m->conf.state],
		"mac", !lb_mac_known(m->mac_state) ? NULL :
		       dsrlb_mac_str(m->mac, mac),
		"mac_state", lb_mac_state_names[m->mac_state],
		"port", lb_core_port(app->core, m->conf.port)->conf.name,
		"source_ports", m->conf.has_sports ?
			ports_json(m->conf.sport_lo, m->conf.sport_hi) : NULL,
		"traffic", traffic_json(app, true, slot));
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
	struct dsrlb_app *app = rpc_app(ctx);
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < LB_MAX_MEMBERS; i++)
		if (lb_core_member(app->core, i) != NULL)
			ok = push(r, member_json(app, i)) && ok;
	return list_or_fail(r, ok, err);
}

/* The running check of a pair, if it is this pair's (not one left by a
 * member removed from the slot, until the master reconciles). */
static const struct lb_hc_check *
find_check(const struct dsrlb_app *app, unsigned int svc, unsigned int member)
{
	const struct lb_hc_check *c = lb_hc_runner_find(app->hc, (uint16_t)svc,
							(uint16_t)member);
	const struct lb_core_service *s = lb_core_service(app->core, svc);
	const struct lb_core_member *m = lb_core_member(app->core, member);
	struct lb_hc_info info;

	if (c == NULL || s == NULL || m == NULL)
		return NULL;
	lb_hc_check_info(c, &info);
	return info.target->id == dsrlb_pair_id(s, m) ? c : NULL;
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
	struct dsrlb_app *app = rpc_app(ctx);
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
			/* the state as of this request, published with the
			 * next commit (within the pass) */
			uint8_t ms = lb_core_member_mstate(app->core, i, m);

			if (cm == NULL || !s->bound[m])
				continue;
			ok = push(members, json_pack("{s:s, s:s, s:s}",
				"name", cm->conf.name,
				"state", ms == LB_MS_ACTIVE ? "active" :
					 ms == LB_MS_DRAIN ? "drain" :
					 ms == LB_MS_WAIT ? "resolving" :
					 ms == LB_MS_RETIRE ? "removing" : "out",
				"health", check_state(find_check(app, i, m)))) && ok;
		}
		ok = push(r, json_pack("{s:s, s:o, s:s, s:o, s:s, s:b, s:i, s:s, s:o, s:o}",
			"name", c->name,
			"vip", c->vip == 0 ? json_string("*") : ip_json(c->vip),
			"protocol", c->proto == LB_IPPROTO_TCP ? "tcp" : "udp",
			"port", ports_json(c->port_lo, c->port_hi),
			"scheduler", lb_sched_names[c->sched],
			"stateless", c->stateless,
			"persistence", (int)c->persistence,
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
	struct dsrlb_app *app = rpc_app(ctx);
	json_t *r = json_array();
	unsigned int i;
	bool ok = true;

	for (i = 0; i < lb_hc_runner_count(app->hc); i++) {
		const struct lb_hc_check *c = lb_hc_runner_at(app->hc, i);
		struct lb_hc_info in;
		const struct lb_core_service *s;
		const struct lb_core_member *m;

		lb_hc_check_info(c, &in);
		if (find_check(app, in.target->svc, in.target->member) != c)
			continue;   /* the pair left; the next pass stops it */
		s = lb_core_service(app->core, in.target->svc);
		m = lb_core_member(app->core, in.target->member);
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
	struct dsrlb_app *app = rpc_app(ctx);
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
			"port", lb_core_port(app->core, n->port)->conf.name,
			"wanted", n->wanted,
			"age", n->confirmed_ms != 0 ?
				json_integer((json_int_t)((now - n->confirmed_ms) / 1000)) :
				NULL)) && ok;
	}
	return list_or_fail(r, ok, err);
}

/* ---- flows ---- */

#define FLOWS_LIST_DEFAULT 100
#define FLOWS_LIST_MAX 10000
#define FLOWS_SCAN_PER_CALL (1u << 20)  /* table positions per request */

static const char *const flow_state_names[LB_FLOW_STATE_MAX] = {
	[LB_FLOW_TCP_SYN] = "syn", [LB_FLOW_TCP_MID] = "mid",
	[LB_FLOW_TCP_EST] = "established", [LB_FLOW_TCP_CLOSING] = "closing",
	[LB_FLOW_UDP_NEW] = "udp-new", [LB_FLOW_UDP] = "udp",
};

/* A filter from params: names that exist, an address. */
static int
flow_filter(struct dsrlb_app *app, json_t *params,
	    struct lb_dp_flow_filter *f, struct lb_ctl_error *err)
{
	const char *svc = json_string_value(json_object_get(params, "service"));
	const char *mem = json_string_value(json_object_get(params, "member"));
	const char *cl = json_string_value(json_object_get(params, "client"));
	uint8_t prefix;

	*f = (struct lb_dp_flow_filter){ .svc = LB_DP_ANY,
					 .member = LB_DP_ANY };
	if (svc != NULL) {
		f->svc = lb_core_service_find(app->core, svc);
		if (f->svc < 0) {
			lb_ctl_fail(err, LB_CTL_NOT_FOUND,
				    "params.service: no service \"%s\"", svc);
			return -1;
		}
	}
	if (mem != NULL) {
		f->member = lb_core_member_find(app->core, mem);
		if (f->member < 0) {
			lb_ctl_fail(err, LB_CTL_NOT_FOUND,
				    "params.member: no member \"%s\"", mem);
			return -1;
		}
	}
	if (cl != NULL) {
		if (lb_conf_parse_cidr(cl, 8, &f->client, &prefix) != 0) {
			lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				    "params.client: \"%s\" is not an IPv4 address or subnet (/8 to /32)",
				    cl);
			return -1;
		}
		f->client_mask = htonl(~0u << (32 - prefix));
		f->client &= f->client_mask;
	}
	return 0;
}

static json_t *
flow_json(const struct dsrlb_app *app, unsigned int worker,
	  const struct lb_dp_flow *fl)
{
	const struct lb_core_service *s = lb_core_service(app->core, fl->svc);
	const struct lb_core_member *m = lb_core_member(app->core, fl->member);

	return json_pack("{s:i, s:o, s:i, s:o, s:i, s:s, s:s?, s:s?, s:s, s:I}",
		"worker", (int)app->workers[worker].lcore,
		"client", ip_json(fl->key.src_ip), "client_port", fl->key.src_port,
		"vip", ip_json(fl->key.dst_ip), "port", fl->key.dst_port,
		"protocol", fl->key.proto == LB_IPPROTO_TCP ? "tcp" : "udp",
		"service", s != NULL ? s->conf.name : NULL,
		/* a member whose slot changed hands is gone: rescheduled
		 * on the flow's next packet */
		"member", m != NULL && m->gen == fl->member_gen ?
			  m->conf.name : NULL,
		"state", fl->state < LB_FLOW_STATE_MAX &&
			 flow_state_names[fl->state] != NULL ?
			 flow_state_names[fl->state] : "?",
		"expires_in", (json_int_t)(fl->expires_in_ms / 1000));
}

/*
 * Pages across workers: the cursor is "worker:position". Bounded work
 * per request (positions looked at), so a filter that matches nothing in
 * 10M flows answers with a cursor instead of holding the master.
 */
static json_t *
rpc_flows_list(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	struct dsrlb_app *app = rpc_app(ctx);
	const char *cur = json_string_value(json_object_get(params, "cursor"));
	json_t *lim = json_object_get(params, "limit");
	unsigned int limit = lim != NULL ? (unsigned int)json_integer_value(lim) :
			     FLOWS_LIST_DEFAULT;
	uint32_t scan = FLOWS_SCAN_PER_CALL, pos = 0;
	struct lb_dp_flow_filter f;
	struct lb_dp_flow *buf;
	unsigned int w = 0, n, k, got = 0;
	json_t *list, *next = json_null();
	char tail;

	if (flow_filter(app, params, &f, err) != 0)
		return NULL;
	if (cur != NULL && (sscanf(cur, "%u:%u%c", &w, &pos, &tail) != 2 ||
			    w >= app->n_workers))
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params.cursor: \"%s\" is not a cursor from an earlier answer",
				   cur);
	buf = malloc(limit * sizeof(*buf));
	list = json_array();
	if (buf == NULL || list == NULL) {
		free(buf);
		json_decref(list);
		return lb_ctl_fail(err, LB_CTL_INTERNAL_ERROR, "out of memory");
	}
	while (w < app->n_workers && got < limit && scan > 0) {
		uint32_t before = pos, seen;

		n = lb_dp_flows_walk(app->workers[w].w, &f, &pos, buf,
				     limit - got, RTE_MIN(scan, 65536u));
		for (k = 0; k < n; k++)
			json_array_append_new(list, flow_json(app, w, &buf[k]));
		got += n;
		/* every call looks at positions: charge at least one, so
		 * the loop ends whatever the walk reports */
		seen = pos == LB_DP_WALK_END ? 65536u :
		       pos > before ? pos - before : 1u;
		scan -= RTE_MIN(scan, seen);
		if (pos == LB_DP_WALK_END) {
			w++;
			pos = 0;
		}
	}
	free(buf);
	if (w < app->n_workers)
		next = json_sprintf("%u:%u", w, pos);
	return json_pack("{s:o, s:o}", "flows", list, "next", next);
}

#define FLUSH_WAIT_MS 50

static json_t *
rpc_flows_flush(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	struct dsrlb_app *app = rpc_app(ctx);
	struct lb_dp_flow_filter f;
	uint32_t seq[RTE_MAX_LCORE];
	uint64_t flushed = 0, deadline;
	unsigned int i, done = 0;

	if (flow_filter(app, params, &f, err) != 0)
		return NULL;
	if (json_object_get(params, "client") != NULL)
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params.client: flushes go by service and member");
	if (f.svc == LB_DP_ANY && f.member == LB_DP_ANY)
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params: give \"service\", \"member\" or both");
	/* a worker takes the newest request only: one flush at a time */
	for (i = 0; i < app->n_workers; i++) {
		uint32_t nf;

		if (app->workers[i].flush_seq != 0 &&
		    !lb_dp_flows_flush_done(app->workers[i].w,
					    app->workers[i].flush_seq, &nf))
			return lb_ctl_fail(err, LB_CTL_CONFLICT,
					   "a flush is still running on worker %u: retry in a moment",
					   app->workers[i].lcore);
	}
	for (i = 0; i < app->n_workers; i++) {
		seq[i] = lb_dp_flows_flush_request(app->workers[i].w, f.svc,
						   f.member);
		app->workers[i].flush_seq = seq[i];
	}
	/* workers take it on their next loop iteration and walk their
	 * table in bounded steps: wait a moment for their counts, never
	 * long (ARP and checks wait for the master meanwhile) */
	deadline = dsrlb_now_ms() + FLUSH_WAIT_MS;
	for (;;) {
		done = 0;
		flushed = 0;
		for (i = 0; i < app->n_workers; i++) {
			uint32_t nf = 0;

			if (lb_dp_flows_flush_done(app->workers[i].w, seq[i], &nf)) {
				done++;
				flushed += nf;
			}
		}
		if (done == app->n_workers || dsrlb_now_ms() >= deadline)
			break;
		rte_delay_us_sleep(200);
	}
	APP_LOG(NOTICE, "control: flows flushed%s%s%s%s: %llu",
		f.svc >= 0 ? " of service " : "",
		f.svc >= 0 ? lb_core_service(app->core, f.svc)->conf.name : "",
		f.member >= 0 ? " of member " : "",
		f.member >= 0 ? lb_core_member(app->core, f.member)->conf.name : "",
		(unsigned long long)flushed);
	return json_pack("{s:I, s:b}", "flushed", (json_int_t)flushed,
			 "done", done == app->n_workers);
}

static json_t *
set_active(struct dsrlb_app *app, bool active)
{
	/* a balancer still learning its peers' flows activates once it
	 * has them (or gave up waiting) */
	if (dsrlb_sync_hold_activation(app, active)) {
		APP_LOG(NOTICE, "control: activation held until the peers' flows are in (bulk sync)");
		return json_pack("{s:b, s:s}", "active", false, "pending",
				 "bulk sync: activates once the peers' flows are in");
	}
	dsrlb_set_active(app, active, "control");
	return json_pack("{s:b}", "active", active);
}

static json_t *
rpc_activate(void *ctx, json_t *params __rte_unused,
	     struct lb_ctl_error *err __rte_unused)
{
	return set_active(rpc_app(ctx), true);
}

static json_t *
rpc_deactivate(void *ctx, json_t *params __rte_unused,
	       struct lb_ctl_error *err __rte_unused)
{
	return set_active(rpc_app(ctx), false);
}

#define P(n, t, h) { .name = (n), .type = (t), .help = (h) }

/* The application's methods (what needs workers, checks, neighbors);
 * the ones that change the state are lib/api's. */
static const struct lb_ctl_method methods[] = {
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
	{ .name = "flows.list", .help = "flows of every worker, filtered, in pages",
	  .params = { P("service", LB_CTL_STRING, "service name"),
		      P("member", LB_CTL_STRING, "member name"),
		      P("client", LB_CTL_STRING, "client address or subnet"),
		      { .name = "limit", .type = LB_CTL_INTEGER,
			.help = "flows per page, default 100", .min = 1,
			.max = FLOWS_LIST_MAX },
		      P("cursor", LB_CTL_STRING, "\"next\" of the previous page") },
	  .handler = rpc_flows_list },
	{ .name = "flows.flush", .help = "remove the flows of a service and/or member: their next packets are scheduled anew",
	  .flags = LB_CTL_WRITE,
	  .params = { P("service", LB_CTL_STRING, "service name"),
		      P("member", LB_CTL_STRING, "member name") },
	  .handler = rpc_flows_flush },
	{ .name = "activate", .help = "become the active balancer: answer ARP for VIPs, forward, announce VIPs",
	  .flags = LB_CTL_WRITE, .handler = rpc_activate },
	{ .name = "deactivate", .help = "become standby: no ARP for VIPs, forward nothing for them, keep checking health",
	  .flags = LB_CTL_WRITE, .handler = rpc_deactivate },
};

static struct lb_ctl_method all_methods[RTE_DIM(methods) + 16];

int
dsrlb_rpc_init(struct dsrlb_app *app)
{
	const struct lb_conf *st = lb_core_settings(app->core);
	struct lb_ctl_params p = {
		.path = st->control_socket, .ro_path = st->control_socket_ro,
		.mode = 0660, .group = st->control_group,
		.methods = all_methods, .ctx = &app->api,
	};
	char err[256];

	RTE_BUILD_BUG_ON(RTE_DIM(all_methods) < RTE_DIM(methods) + 9);
	app->api.core = app->core;
	app->api.app = app;
	app->api.member_flows = dsrlb_member_flows;
	app->api.member_view = member_view;
	app->api.checks_possible = app->kif != NULL;
	snprintf(app->api.config_path, sizeof(app->api.config_path), "%s",
		 app->args.config);
	if (st->control_socket[0] == '\0')
		return 0;
	memcpy(all_methods, methods, sizeof(methods));
	memcpy(all_methods + RTE_DIM(methods), lb_api_methods,
	       lb_api_n_methods * sizeof(lb_api_methods[0]));
	p.n_methods = RTE_DIM(methods) + lb_api_n_methods;
	app->ctl = lb_ctl_create_params(&p, err);
	if (app->ctl == NULL) {
		APP_LOG(ERR, "control_socket: %s", err);
		return -EINVAL;
	}
	APP_LOG(INFO, "control socket %s%s%s (JSON-RPC 2.0, one request per line)",
		st->control_socket, st->control_socket_ro[0] != '\0' ?
		", read-only " : "", st->control_socket_ro);
	return 0;
}

void
dsrlb_rpc_fini(struct dsrlb_app *app)
{
	lb_ctl_free(app->ctl);
	app->ctl = NULL;
}
