/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <ctype.h>
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

void
dsrlb_traffic_sum(const struct dsrlb_app *app, bool member, unsigned int slot,
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
		dsrlb_traffic_sum(app, false, i, &t);
		APP_LOG(NOTICE, "stats: service %-16s flows %10" PRIu64 " packets %12" PRIu64 " bytes %14" PRIu64,
			s->conf.name, t.flows, t.pkts, t.bytes);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = lb_core_member(app->core, i);
		struct lb_dp_traffic t;

		if (m == NULL)
			continue;
		dsrlb_traffic_sum(app, true, i, &t);
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

/*
 * Telemetry dictionary keys may only hold letters, digits, '_' and '/',
 * and arrays may only hold plain values, so lists of named things are
 * dictionaries keyed by the name with other characters turned into '_'
 * (198.51.100.11 -> 198_51_100_11); each entry carries the real name.
 */
static const char *
tel_key(const char *name, char *buf, size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++)
		buf[i] = isalnum((unsigned char)name[i]) || name[i] == '/' ?
			name[i] : '_';
	buf[i] = '\0';
	return buf;
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
		char buf[INET_ADDRSTRLEN], mac[DSRLB_MAC_STR];
		char key[LB_NAME_MAX];

		if (m == NULL)
			continue;
		md = rte_tel_data_alloc();
		if (md == NULL)
			break;
		rte_tel_data_start_dict(md);
		rte_tel_data_add_dict_string(md, "name", m->conf.name);
		lb_conf_ip_str(m->conf.addr, buf);
		rte_tel_data_add_dict_string(md, "address", buf);
		rte_tel_data_add_dict_u64(md, "weight", m->conf.weight);
		rte_tel_data_add_dict_string(md, "state",
					     lb_admin_names[m->conf.state]);
		rte_tel_data_add_dict_string(md, "mac",
			!lb_mac_known(m->mac_state) ? "unknown" :
			dsrlb_mac_str(m->mac, mac));
		dsrlb_traffic_sum(tel_app, true, i, &t);
		rte_tel_data_add_dict_u64(md, "packets", t.pkts);
		rte_tel_data_add_dict_u64(md, "bytes", t.bytes);
		rte_tel_data_add_dict_u64(md, "flows", t.flows);
		if (rte_tel_data_add_dict_container(d,
				tel_key(m->conf.name, key, sizeof(key)), md, 0) != 0)
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
		char key[LB_NAME_MAX];

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
		rte_tel_data_add_dict_string(sd, "name", s->conf.name);
		rte_tel_data_add_dict_string(sd, "scheduler",
					     lb_sched_names[s->conf.sched]);
		dsrlb_traffic_sum(tel_app, false, i, &t);
		rte_tel_data_add_dict_u64(sd, "packets", t.pkts);
		rte_tel_data_add_dict_u64(sd, "bytes", t.bytes);
		rte_tel_data_add_dict_u64(sd, "flows", t.flows);
		rte_tel_data_add_dict_container(sd, "active", act, 0);
		if (rte_tel_data_add_dict_container(d,
				tel_key(s->conf.name, key, sizeof(key)), sd, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_app->lock);
	return 0;
}

/* /dsrlb/health: per check "service/member", its verdict and last
 * result. */
static int
tel_health(const char *cmd __rte_unused, const char *params __rte_unused,
	   struct rte_tel_data *d)
{
	unsigned int i;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_app->lock);
	for (i = 0; i < lb_hc_runner_count(tel_app->hc); i++) {
		struct lb_hc_info c;
		const struct lb_core_service *s;
		const struct lb_core_member *m;
		struct rte_tel_data *cd;
		char name[2 * LB_NAME_MAX + 2], key[2 * LB_NAME_MAX + 2];

		lb_hc_check_info(lb_hc_runner_at(tel_app->hc, i), &c);
		s = lb_core_service(tel_app->core, c.target->svc);
		m = lb_core_member(tel_app->core, c.target->member);
		/* a pair that left: the next pass stops its check */
		if (s == NULL || m == NULL ||
		    dsrlb_pair_id(s, m) != c.target->id)
			continue;
		cd = rte_tel_data_alloc();
		if (cd == NULL)
			break;
		rte_tel_data_start_dict(cd);
		rte_tel_data_add_dict_string(cd, "service", s->conf.name);
		rte_tel_data_add_dict_string(cd, "member", m->conf.name);
		rte_tel_data_add_dict_string(cd, "type",
					     lb_check_names[c.target->check.type]);
		rte_tel_data_add_dict_string(cd, "state",
					     lb_hc_status_names[c.status]);
		rte_tel_data_add_dict_string(cd, "last", c.last);
		rte_tel_data_add_dict_u64(cd, "runs", c.runs);
		rte_tel_data_add_dict_u64(cd, "failures", c.failures);
		snprintf(name, sizeof(name), "%s/%s", s->conf.name, m->conf.name);
		if (rte_tel_data_add_dict_container(d,
				tel_key(name, key, sizeof(key)), cd, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_app->lock);
	return 0;
}

/* /dsrlb/neighbors: address -> MAC, state, port, wanted. */
static int
tel_neighbors(const char *cmd __rte_unused, const char *params __rte_unused,
	      struct rte_tel_data *d)
{
	const struct lb_neigh_table *t = &tel_app->neigh;
	unsigned int i;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_app->lock);
	for (i = 0; i < t->n; i++) {
		const struct lb_neigh *n = &t->e[i];
		struct rte_tel_data *nd = rte_tel_data_alloc();
		char ip[INET_ADDRSTRLEN], mac[DSRLB_MAC_STR];
		char key[INET_ADDRSTRLEN];

		if (nd == NULL)
			break;
		rte_tel_data_start_dict(nd);
		lb_conf_ip_str(n->addr, ip);
		rte_tel_data_add_dict_string(nd, "address", ip);
		rte_tel_data_add_dict_string(nd, "mac", lb_neigh_usable(n) ?
					     dsrlb_mac_str(n->mac, mac) : "none");
		rte_tel_data_add_dict_string(nd, "state",
					     lb_neigh_state_names[n->state]);
		rte_tel_data_add_dict_string(nd, "port",
			lb_core_port(tel_app->core, n->port)->conf.name);
		rte_tel_data_add_dict_int(nd, "wanted", n->wanted);
		if (rte_tel_data_add_dict_container(d,
				tel_key(ip, key, sizeof(key)), nd, 0) != 0)
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
		"dsrlb services with scheduler, active members, traffic. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/health", tel_health,
		"dsrlb health checks: state and last result per service/member. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/neighbors", tel_neighbors,
		"dsrlb neighbor table: MAC, state, port. No parameters") != 0)
		return -EINVAL;
	return 0;
}
