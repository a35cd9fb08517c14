/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Active/active (high_availability.mode "ecmp"): the VIPs this balancer
 * can serve, as "VIP/32 dev <exception interface>" routes (IPv6 VIPs:
 * "VIP/128") in a kernel table that no lookup uses. A BGP speaker on
 * the exception interface (BIRD: its kernel protocols learn the table)
 * announces them to the ECMP router with this balancer's own address as
 * next hop (IPv6: high_availability.next_hop6).
 *
 * A VIP is in the table while this balancer is active, every data
 * port's link is up, and at least one service on it (a "*" service is
 * on every VIP) has a member taking new flows. Deactivating, stopping
 * (first thing, while the workers still forward: stop.c), a link going
 * down and losing a VIP's last member withdraw it; a
 * balancer that dies takes its interface, and the kernel the routes,
 * with it (and the BGP session, which BFD notices).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"

/* Look again once a second, and soon after the core changed (at most
 * ten times a second: a burst of changes costs one look). */
#define ANNOUNCE_RECHECK_MS 1000
#define ANNOUNCE_MIN_MS 100

/* Which VIPs have a service with a member taking new flows: every VIP
 * if a "*" service has one, else those listed in served. */
struct ag_served {
	bool all;
	unsigned int n;
	struct lb_ip vip[LB_MAX_SERVICES];
};

static void
served_get(const struct lb_agent *ag, struct ag_served *sv)
{
	unsigned int s, m;

	sv->all = false;
	sv->n = 0;
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = lb_core_service(ag->core, s);

		if (cs == NULL || !cs->used ||
		    (lb_ip_is_unset(&cs->conf.vip) && sv->all))
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++)
			if (cs->bound[m] &&
			    lb_core_member_usable(ag->core, s, m))
				break;
		if (m == LB_MAX_MEMBERS)
			continue;
		if (lb_ip_is_unset(&cs->conf.vip))
			sv->all = true;
		else
			sv->vip[sv->n++] = cs->conf.vip;
	}
}

static bool
served_has(const struct ag_served *sv, const struct lb_ip *vip)
{
	unsigned int i;

	if (sv->all)
		return true;
	for (i = 0; i < sv->n; i++)
		if (lb_ip_eq(&sv->vip[i], vip))
			return true;
	return false;
}

/* Whether a VIP can be announced: an IPv6 one only with a next hop to
 * announce it by (the router's IPv6 routes cannot go by an IPv4 one). */
static bool
routable(const struct lb_agent *ag, const struct lb_ip *vip)
{
	return lb_ip_is4(vip) ||
	       !lb_ip_is_unset(&lb_core_settings(ag->core)->ha.next_hop6);
}

/* Put one VIP in the table or take it out; the log says which. */
static int
announce_one(struct lb_agent *ag, const struct lb_ip *vip, bool present)
{
	uint32_t table = lb_core_settings(ag->core)->ha.announce_table;
	char buf[LB_IP_STRLEN];
	int rc = lb_ip_is4(vip) ?
		lb_kif_route_set(ag->kif, table, lb_ip_v4(vip), present) :
		lb_kif_route6_set(ag->kif, table, vip->b, present);

	if (!present && rc == -ESRCH)
		rc = 0;   /* gone with the interface already */
	if (rc != 0) {
		AG_LOG(ERR, "cannot %s the route of VIP %s in table %u: %s",
			present ? "add" : "remove", lb_ip_str(vip, buf),
			table, strerror(-rc));
		return rc;
	}
	AG_LOG(NOTICE, "%s VIP %s (table %u)",
		present ? "announcing" : "withdrawing",
		lb_ip_str(vip, buf), table);
	return 0;
}

/* The routes the state asks for: added, removed. ag->ann.announced is
 * sorted like the core's VIP list. */
void
lb_agent_announce_run(struct lb_agent *ag, uint64_t now)
{
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;
	const struct lb_snapshot *snap = lb_core_snapshot(ag->core);
	uint64_t seq = snap != NULL ? snap->version : 0;
	/* a balancer with a link down cannot serve: withdrawn (link.c
	 * makes this look at once when that changes); nor one stopping */
	bool active = lb_core_active(ag->core) && ag->ports.links_down == 0 &&
		      !ag->ann.withdrawn;
	struct ag_served *sv = ag->ann.served;
	unsigned int n, i, k, old;
	const struct lb_ip *vips;

	if (ha->mode != LB_HA_ECMP || ag->kif == NULL ||
	    ag->ann.announced == NULL)
		return;
	if (now < ag->ann.next_ms &&
	    (seq == ag->ann.seq || now < ag->ann.min_ms))
		return;
	ag->ann.seq = seq;
	ag->ann.next_ms = now + ANNOUNCE_RECHECK_MS;
	ag->ann.min_ms = now + ANNOUNCE_MIN_MS;
	vips = lb_core_vips(ag->core, &n);
	served_get(ag, sv);
	/* withdraw first (a VIP gone from the configuration too); one that
	 * cannot be withdrawn stays listed, to try again */
	for (i = 0, k = 0; i < ag->ann.n_announced; i++) {
		const struct lb_ip *v = &ag->ann.announced[i];
		bool keep = active && lb_core_is_vip(ag->core, v) &&
			    served_has(sv, v);

		if (keep || announce_one(ag, v, false) != 0)
			ag->ann.announced[k++] = *v;
	}
	ag->ann.n_announced = k;
	if (!active)
		return;
	/* both lists sorted: walked together */
	old = ag->ann.n_announced;
	for (i = 0, k = 0; i < n; i++) {
		const struct lb_ip *v = &vips[i];

		while (k < old && lb_ip_cmp(&ag->ann.announced[k], v) < 0)
			k++;
		if ((k < old && lb_ip_eq(&ag->ann.announced[k], v)) ||
		    !served_has(sv, v) || !routable(ag, v))
			continue;
		if (ag->ann.n_announced < LB_MAX_VIPS &&
		    announce_one(ag, v, true) == 0)
			ag->ann.announced[ag->ann.n_announced++] = *v;
	}
	if (ag->ann.n_announced != old)
		qsort(ag->ann.announced, ag->ann.n_announced,
		      sizeof(ag->ann.announced[0]), lb_ip_cmp);
}

/* A stop begins (stop.c): every route out now, and none again, while
 * the workers go on forwarding what the router sends until BGP has told
 * it. The number withdrawn. */
unsigned int
lb_agent_announce_withdraw(struct lb_agent *ag, uint64_t now)
{
	unsigned int before = ag->ann.n_announced;

	ag->ann.withdrawn = true;
	ag->ann.next_ms = 0;
	lb_agent_announce_run(ag, now);
	return before - ag->ann.n_announced;
}

/* The list of announced VIPs, in mode ecmp. */
int
lb_agent_announce_init(struct lb_agent *ag)
{
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;
	const struct lb_ip *vips;
	unsigned int n, i;

	if (ha->mode != LB_HA_ECMP)
		return 0;
	vips = lb_core_vips(ag->core, &n);
	for (i = 0; lb_ip_is_unset(&ha->next_hop6) && i < n; i++)
		if (!lb_ip_is4(&vips[i])) {
			AG_LOG(WARNING, "mode ecmp: no high_availability.next_hop6: the IPv6 VIPs are not announced (a router routes IPv6 by an IPv6 next hop only)");
			break;
		}
	ag->ann.announced = calloc(LB_MAX_VIPS, sizeof(*ag->ann.announced));
	if (ag->ann.announced == NULL)
		return -ENOMEM;
	ag->ann.served = calloc(1, sizeof(*ag->ann.served));
	if (ag->ann.served == NULL)
		return -ENOMEM;
	return 0;
}

/* Stopping: withdraw everything, before the interface goes. */
void
lb_agent_announce_fini(struct lb_agent *ag)
{
	unsigned int i;

	if (ag->kif == NULL || ag->ann.announced == NULL)
		return;
	for (i = 0; i < ag->ann.n_announced; i++)
		announce_one(ag, &ag->ann.announced[i], false);
	ag->ann.n_announced = 0;
	free(ag->ann.announced);
	ag->ann.announced = NULL;
	free(ag->ann.served);
	ag->ann.served = NULL;
}
