/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_telemetry.h>

#include "agent_internal.h"


/* Workers write their counters without atomics; 64-bit aligned loads
 * see each value whole, and a sum that is a few packets old is fine. */
void
lb_agent_stats_sum(const struct lb_agent *ag, uint64_t out[LB_STAT_WORKER_MAX])
{
	unsigned int i, k;

	memset(out, 0, LB_STAT_WORKER_MAX * sizeof(*out));
	for (i = 0; i < ag->env->n_workers; i++) {
		const struct lb_worker *w = ag->env->workers[i].w;

		if (w == NULL)
			continue;
		for (k = 0; k < LB_STAT_WORKER_MAX; k++)
			out[k] += __atomic_load_n(&w->stats[k], __ATOMIC_RELAXED);
	}
}

void
lb_agent_traffic_sum(const struct lb_agent *ag, bool member, unsigned int slot,
		  struct lb_dp_traffic *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < ag->env->n_workers; i++) {
		const struct lb_worker *w = ag->env->workers[i].w;
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
lb_agent_stats_log(struct lb_agent *ag)
{
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0;
	unsigned int k, i;

	lb_agent_stats_sum(ag, c);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++)
		if (lb_stats_worker_desc[k].kind == 'o')
			rx += c[k];
	AG_LOG(NOTICE, "stats: %" PRIu64 " packets received", rx);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++)
		if (c[k] != 0)
			AG_LOG(NOTICE, "stats: %-24s %12" PRIu64 "  %s",
				lb_stats_worker_desc[k].name, c[k],
				lb_stats_worker_desc[k].help);
	for (k = 0; k < LB_STAT_MASTER_MAX; k++)
		if (ag->mstats[k] != 0)
			AG_LOG(NOTICE, "stats: %-24s %12" PRIu64 "  %s",
				lb_stats_master_desc[k].name, ag->mstats[k],
				lb_stats_master_desc[k].help);
	pthread_mutex_lock(&ag->lock);
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *s = lb_core_service(ag->core, i);
		struct lb_dp_traffic t;

		if (s == NULL)
			continue;
		lb_agent_traffic_sum(ag, false, i, &t);
		AG_LOG(NOTICE, "stats: service %-16s flows %10" PRIu64 " packets %12" PRIu64 " bytes %14" PRIu64,
			s->conf.name, t.flows, t.pkts, t.bytes);
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = lb_core_member(ag->core, i);
		struct lb_dp_traffic t;

		if (m == NULL)
			continue;
		lb_agent_traffic_sum(ag, true, i, &t);
		AG_LOG(NOTICE, "stats: member  %-16s flows %10" PRIu64 " packets %12" PRIu64 " bytes %14" PRIu64,
			m->conf.name, t.flows, t.pkts, t.bytes);
	}
	pthread_mutex_unlock(&ag->lock);
}

/* /dsrlb/stats: every counter by name, plus "rx" (sum of outcomes). */
static int
stats_fill(struct lb_agent *tel_ag, unsigned int from __rte_unused,
	   struct rte_tel_data *d)
{
	uint64_t c[LB_STAT_WORKER_MAX], rx = 0;
	unsigned int k;

	lb_agent_stats_sum(tel_ag, c);
	rte_tel_data_start_dict(d);
	for (k = 0; k < LB_STAT_WORKER_MAX; k++) {
		if (lb_stats_worker_desc[k].kind == 'o')
			rx += c[k];
		rte_tel_data_add_dict_u64(d, lb_stats_worker_desc[k].name, c[k]);
	}
	for (k = 0; k < LB_STAT_MASTER_MAX; k++)
		rte_tel_data_add_dict_u64(d, lb_stats_master_desc[k].name,
			__atomic_load_n(&tel_ag->mstats[k], __ATOMIC_RELAXED));
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

/*
 * A list is paged: a page holds up to `page` entries and, when more may
 * follow, "/next": the number to give for the next page
 * ("/dsrlb/members,48"). No name holds a '/', so no entry is called
 * that. A page fits in what DPDK's telemetry sends at most (16 KiB;
 * beyond it an answer is cut short without a word): the sizes below
 * are for entries with the longest names. A service's entry lists its
 * active members, so its pages are counted in bytes (TEL_BYTES), and
 * one service lists at most TEL_ACTIVE_BYTES of names ("active_count"
 * says how many are active in all).
 */
#define TEL_PAGE_MEMBERS 48
#define TEL_PAGE_NEIGHBORS 64
#define TEL_PAGE_HEALTH 32
#define TEL_BYTES 14000
#define TEL_ACTIVE_BYTES 6000
#define TEL_SERVICE_BYTES 300     /* a service's entry but its names */

static bool
page_full(struct rte_tel_data *d, unsigned int *shown, unsigned int page,
	  unsigned int i)
{
	if (*shown < page) {
		(*shown)++;
		return false;
	}
	rte_tel_data_add_dict_u64(d, "/next", i);
	return true;
}

/* /dsrlb/members: per member, its address, MAC state and traffic. */
static int
members_fill(struct lb_agent *tel_ag, unsigned int from, struct rte_tel_data *d)
{
	unsigned int i, shown = 0;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_ag->lock);
	for (i = from; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = lb_core_member(tel_ag->core, i);
		struct rte_tel_data *md;
		struct lb_dp_traffic t;
		char buf[LB_IP_STRLEN], mac[AG_MAC_STR];
		char key[LB_NAME_MAX];

		if (m == NULL)
			continue;
		if (page_full(d, &shown, TEL_PAGE_MEMBERS, i))
			break;
		md = rte_tel_data_alloc();
		if (md == NULL)
			break;
		rte_tel_data_start_dict(md);
		rte_tel_data_add_dict_string(md, "name", m->conf.name);
		lb_ip_str(&m->conf.addr, buf);
		rte_tel_data_add_dict_string(md, "address", buf);
		rte_tel_data_add_dict_u64(md, "weight", m->conf.weight);
		rte_tel_data_add_dict_string(md, "state",
					     lb_admin_names[m->conf.state]);
		rte_tel_data_add_dict_string(md, "mac",
			!lb_mac_known(m->mac_state) ? "unknown" :
			lb_agent_mac_str(m->mac, mac));
		lb_agent_traffic_sum(tel_ag, true, i, &t);
		rte_tel_data_add_dict_u64(md, "packets", t.pkts);
		rte_tel_data_add_dict_u64(md, "bytes", t.bytes);
		rte_tel_data_add_dict_u64(md, "flows", t.flows);
		if (rte_tel_data_add_dict_container(d,
				tel_key(m->conf.name, key, sizeof(key)), md, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_ag->lock);
	return 0;
}

/* /dsrlb/services: per service, its members taking new flows and
 * traffic. */
static int
services_fill(struct lb_agent *tel_ag, unsigned int from, struct rte_tel_data *d)
{
	size_t used = 0;
	unsigned int i, m;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_ag->lock);
	for (i = from; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *s = lb_core_service(tel_ag->core, i);
		struct rte_tel_data *sd, *act;
		struct lb_dp_traffic t;
		char key[LB_NAME_MAX];
		unsigned int n_active = 0, listed = 0;
		size_t names = 0;

		if (s == NULL)
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++)
			if (lb_core_member_usable(tel_ag->core, i, m)) {
				n_active++;
				names += strlen(lb_core_member(tel_ag->core,
							       m)->conf.name) + 3;
			}
		names = RTE_MIN(names, (size_t)TEL_ACTIVE_BYTES);
		if (used > 0 && used + TEL_SERVICE_BYTES + names > TEL_BYTES) {
			rte_tel_data_add_dict_u64(d, "/next", i);
			break;
		}
		used += TEL_SERVICE_BYTES + names;
		sd = rte_tel_data_alloc();
		act = rte_tel_data_alloc();
		if (sd == NULL || act == NULL) {
			rte_tel_data_free(sd);
			rte_tel_data_free(act);
			break;
		}
		rte_tel_data_start_dict(sd);
		rte_tel_data_start_array(act, RTE_TEL_STRING_VAL);
		names = 0;
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			const char *name;

			if (!lb_core_member_usable(tel_ag->core, i, m))
				continue;
			name = lb_core_member(tel_ag->core, m)->conf.name;
			names += strlen(name) + 3;
			if (names > TEL_ACTIVE_BYTES ||
			    listed == RTE_TEL_MAX_ARRAY_ENTRIES)
				break;
			rte_tel_data_add_array_string(act, name);
			listed++;
		}
		rte_tel_data_add_dict_string(sd, "name", s->conf.name);
		rte_tel_data_add_dict_string(sd, "scheduler",
					     lb_sched_names[s->conf.sched]);
		lb_agent_traffic_sum(tel_ag, false, i, &t);
		rte_tel_data_add_dict_u64(sd, "packets", t.pkts);
		rte_tel_data_add_dict_u64(sd, "bytes", t.bytes);
		rte_tel_data_add_dict_u64(sd, "flows", t.flows);
		rte_tel_data_add_dict_u64(sd, "active_count", n_active);
		rte_tel_data_add_dict_container(sd, "active", act, 0);
		if (rte_tel_data_add_dict_container(d,
				tel_key(s->conf.name, key, sizeof(key)), sd, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_ag->lock);
	return 0;
}

/* /dsrlb/health: per check "service/member", its verdict and last
 * result. */
static int
health_fill(struct lb_agent *tel_ag, unsigned int from, struct rte_tel_data *d)
{
	unsigned int i, shown = 0;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_ag->lock);
	for (i = from; i < lb_hc_runner_count(tel_ag->hc); i++) {
		struct lb_hc_info c;
		const struct lb_core_service *s;
		const struct lb_core_member *m;
		struct rte_tel_data *cd;
		char name[2 * LB_NAME_MAX + 2], key[2 * LB_NAME_MAX + 2];

		lb_hc_check_info(lb_hc_runner_at(tel_ag->hc, i), &c);
		s = lb_core_service(tel_ag->core, c.target->svc);
		m = lb_core_member(tel_ag->core, c.target->member);
		/* a pair that left: the next pass stops its check */
		if (s == NULL || m == NULL ||
		    lb_agent_pair_id(s, m) != c.target->id)
			continue;
		if (page_full(d, &shown, TEL_PAGE_HEALTH, i))
			break;
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
	pthread_mutex_unlock(&tel_ag->lock);
	return 0;
}

/* /dsrlb/neighbors: address -> MAC, state, port, wanted. */
static int
neighbors_fill(struct lb_agent *tel_ag, unsigned int from, struct rte_tel_data *d)
{
	const struct lb_neigh_table *t = &tel_ag->neigh;
	unsigned int i, shown = 0;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_ag->lock);
	for (i = from; i < t->n; i++) {
		const struct lb_neigh *n = &t->e[i];
		struct rte_tel_data *nd;
		char ip[LB_IP_STRLEN], mac[AG_MAC_STR];
		char key[INET_ADDRSTRLEN];

		if (page_full(d, &shown, TEL_PAGE_NEIGHBORS, i))
			break;
		nd = rte_tel_data_alloc();
		if (nd == NULL)
			break;
		rte_tel_data_start_dict(nd);
		lb_ip_str(&n->addr, ip);
		rte_tel_data_add_dict_string(nd, "address", ip);
		rte_tel_data_add_dict_string(nd, "mac", lb_neigh_usable(n) ?
					     lb_agent_mac_str(n->mac, mac) : "none");
		rte_tel_data_add_dict_string(nd, "state",
					     lb_neigh_state_names[n->state]);
		rte_tel_data_add_dict_string(nd, "port",
			lb_core_port(tel_ag->core, n->port)->conf.name);
		rte_tel_data_add_dict_int(nd, "wanted", n->wanted);
		if (rte_tel_data_add_dict_container(d,
				tel_key(ip, key, sizeof(key)), nd, 0) != 0)
			break;
	}
	pthread_mutex_unlock(&tel_ag->lock);
	return 0;
}

/*
 * The telemetry threads find the agent here, under tel_mu: freeing the
 * agent clears it first (DPDK cannot unregister a command), so a late
 * request gets an error, never freed memory.
 */
static pthread_mutex_t tel_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lb_agent *tel_agent;

typedef int (*tel_fill_t)(struct lb_agent *ag, unsigned int from,
			  struct rte_tel_data *d);

/* params: empty, or the number a previous page gave as "/next" */
static int
tel_run(tel_fill_t fill, const char *params, struct rte_tel_data *d)
{
	unsigned long from = 0;
	char *end;
	int rc;

	if (params != NULL && params[0] != '\0') {
		if (!isdigit((unsigned char)params[0]))
			return -EINVAL;
		errno = 0;
		from = strtoul(params, &end, 10);
		if (errno != 0 || *end != '\0' || from > UINT32_MAX)
			return -EINVAL;
	}
	pthread_mutex_lock(&tel_mu);
	rc = tel_agent != NULL ? fill(tel_agent, (unsigned int)from, d) :
	     -ENODEV;
	pthread_mutex_unlock(&tel_mu);
	return rc;
}

#define TEL_CMD(what) \
static int \
tel_ ## what(const char *cmd __rte_unused, const char *params, \
	     struct rte_tel_data *d) \
{ \
	return tel_run(what ## _fill, params, d); \
}

TEL_CMD(stats)
TEL_CMD(members)
TEL_CMD(services)
TEL_CMD(health)
TEL_CMD(neighbors)

void
lb_agent_telemetry_unregister(struct lb_agent *ag)
{
	pthread_mutex_lock(&tel_mu);
	if (tel_agent == ag)
		tel_agent = NULL;
	pthread_mutex_unlock(&tel_mu);
}

int
lb_agent_telemetry_register(struct lb_agent *ag)
{
	pthread_mutex_lock(&tel_mu);
	tel_agent = ag;
	pthread_mutex_unlock(&tel_mu);
	if (rte_telemetry_register_cmd("/dsrlb/stats", tel_stats,
		"dsrlb counters summed over workers. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/members", tel_members,
		"dsrlb members: address, MAC, weight, state, traffic. Paged: parameter \"/next\" of the page before") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/services", tel_services,
		"dsrlb services: scheduler, active members, traffic. Paged: parameter \"/next\" of the page before") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/health", tel_health,
		"dsrlb health checks: state, last result per service/member. Paged: parameter \"/next\" of the page before") != 0 ||
	    rte_telemetry_register_cmd("/dsrlb/neighbors", tel_neighbors,
		"dsrlb neighbor table: MAC, state, port. Paged: parameter \"/next\" of the page before") != 0)
		return -EINVAL;
	return 0;
}
