/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_telemetry.h>

#include "app.h"

static struct dsrlb_app *tel_app;

/* Workers write their counters without atomics; 64-bit aligned loads
 * see each value whole, and a sum that is a few packets old is fine. */
void
dsrlb_stats_sum(const struct dsrlb_app *app, uint64_t out[LB_STAT_WORKER_MAX])
{
	unsigned int i, k;

	memset(out, 0, LB_STAT_WORKER_MAX * sizeof(*out));
	for (i = 0; i < app->n_workers; i++) {
		const struct lb_worker *w = app->workers[i].w;

		if (w == NULL)
			continue;
		for (k = 0; k < LB_STAT_WORKER_MAX; k++)
			out[k] += __atomic_load_n(&w->stats[k], __ATOMIC_RELAXED);
	}
}

static void
traffic_sum(const struct dsrlb_app *app, bool member, unsigned int slot,
	    struct lb_dp_traffic *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < app->n_workers; i++) {
		const struct lb_worker *w = app->workers[i].w;
		const struct lb_dp_traffic *x;

		if (w == NULL)
			continue;
		x = member ? &w->member[slot] : &w->service[slot];
		t->pkts += __atomic_load_n(&x->pkts, __ATOMIC_RELAXED);
		t->bytes += __atomic_load_n(&x->bytes, __ATOMIC_RELAXED);
		t->flows += __atomic_load_n(&x->flows, __ATOMIC_RELAXED);
	}
}

/* Counters that are not zero, then members and services, in the log. */
void
dsrlb_stats_log(struct dsrlb_app *app)
{
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0;
	unsigned int k, i;

	dsrlb_stats_sum(app, c);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++)
		if (lb_stats_worker_desc[k].kind == 'o')
			rx += c[k];
	APP_LOG(NOTICE, "stats: %" PRIu64 " packets received", rx);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++)
		if (c[k] != 0)
			APP_LOG(NOTICE, "stats: %-24s %12" PRIu64 "  %s",
				lb_stats_worker_desc[k].name, c[k],
				lb_stats_worker_desc[k].help);
	for (k = 0; k < LB_STAT_MASTER_MAX; k++)
		if (app->mstats.c[k] != 0)
			APP_LOG(NOTICE, "stats: %-24s %12" PRIu64 "  %s",
				lb_stats_master_desc[k].name, app->mstats.c[k],
				lb_stats_master_desc[k].help);
	pthread_mutex_lock(&app->lock);
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *s = lb_core_service(app->core, i);
		struct lb_dp_traffic t;

		if (s == NULL)
			continue;
		traffic_sum(app, false, i, &t);
		APP_LOG(NOTICE, "stats: service %-16s flows %10" PRIu64 " packets %12" PRIu64 " bytes %14" PRIu64,
			s->conf.name, t.flows, t.pkts, t.bytes);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = lb_core_member(app->core, i);
		struct lb_dp_traffic t;

		if (m == NULL)
			continue;
		traffic_sum(app, true, i, &t);
		APP_LOG(NOTICE, "stats: member  %-16s flows %10" PRIu64 " packets %12" PRIu64 " bytes %14" PRIu64,
			m->conf.name, t.flows, t.pkts, t.bytes);
	}
	pthread_mutex_unlock(&app->lock);
}

/* /dsrlb/stats: every counter by name, plus "rx" (sum of outcomes). */
static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0;
	unsigned int k;

	dsrlb_stats_sum(tel_app, c);
	rte_tel_data_start_dict(d);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++) {
		if (lb_stats_worker_desc[k].kind == 'o')
			rx += c[k];
		rte_tel_data_add_dict_u64(d, lb_stats_worker_desc[k].name, c[k]);
	}
	for (k = 0; k < LB_STAT_MASTER_MAX; k++)
		rte_tel_data_add_dict_u64(d, lb_stats_master_desc[k].name,
			__atomic_load_n(&tel_app->mstats.c[k], __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "rx", rx);
	return 0;
}

static void
ip_str(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = a };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* /dsrlb/members: per member, its address, MAC state and traffic. */
static int
tel_members(const char *cmd __rte_unused, const char *params __rte_unused,
	    struct rte_tel_data *d)
{
	unsigned int i;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_app->lock);
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = lb_core_member(tel_app->core, i);
		struct rte_tel_data *md;
		struct lb_dp_traffic t;
		char buf[INET_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];

		if (m == NULL)
			continue;
		md = rte_tel_data_alloc();
		if (md == NULL)
			break;
		rte_tel_data_start_dict(md);
		ip_str(m->conf.addr, buf);
		rte_tel_data_add_dict_string(md, "address", buf);
		rte_tel_data_add_dict_u64(md, "weight", m->conf.weight);
		rte_tel_data_add_dict_string(md, "state",
					     lb_admin_names[m->conf.state]);
		rte_ether_format_addr(mac, sizeof(mac),
				      (const struct rte_ether_addr *)m->mac);
		rte_tel_data_add_dict_string(md, "mac",
			m->mac_state == LB_MAC_NONE ? "unknown" : mac);
		traffic_sum(tel_app, true, i, &t);
		rte_tel_data_add_dict_u64(md, "packets", t.pkts);
		rte_tel_data_add_dict_u64(md, "bytes", t.bytes);
		rte_tel_data_add_dict_u64(md, "flows", t.flows);
		if (rte_tel_data_add_dict_container(d, m->conf.name, md, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_app->lock);
	return 0;
}

/* /dsrlb/services: per service, its members taking new flows and
 * traffic. */
static int
tel_services(const char *cmd __rte_unused, const char *params __rte_unused,
	     struct rte_tel_data *d)
{
	unsigned int i, m;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_app->lock);
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *s = lb_core_service(tel_app->core, i);
		struct rte_tel_data *sd, *act;
		struct lb_dp_traffic t;

		if (s == NULL)
			continue;
		sd = rte_tel_data_alloc();
		act = rte_tel_data_alloc();
		if (sd == NULL || act == NULL) {
			rte_tel_data_free(sd);
			rte_tel_data_free(act);
			break;
		}
		rte_tel_data_start_dict(sd);
		rte_tel_data_start_array(act, RTE_TEL_STRING_VAL);
		for (m = 0; m < LB_MAX_MEMBERS; m++)
			if (lb_core_member_usable(tel_app->core, i, m))
				rte_tel_data_add_array_string(act,
					lb_core_member(tel_app->core, m)->conf.name);
		rte_tel_data_add_dict_string(sd, "scheduler",
					     lb_sched_names[s->conf.sched]);
		traffic_sum(tel_app, false, i, &t);
		rte_tel_data_add_dict_u64(sd, "packets", t.pkts);
		rte_tel_data_add_dict_u64(sd, "bytes", t.bytes);
		rte_tel_data_add_dict_u64(sd, "flows", t.flows);
		rte_tel_data_add_dict_container(sd, "active", act, 0);
		if (rte_tel_data_add_dict_container(d, s->conf.name, sd, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_app->lock);
	return 0;
}

int
dsrlb_telemetry_register(struct dsrlb_app *app)
{
	tel_app = app;
	if (rte_telemetry_register_cmd("/dsrlb/stats", tel_stats,
		"dsrlb counters summed over workers. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/members", tel_members,
		"dsrlb members with address, MAC, weight, state, traffic. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/services", tel_services,
		"dsrlb services with scheduler, active members, traffic. No parameters") != 0)
		return -EINVAL;
	return 0;
}
