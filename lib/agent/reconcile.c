/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The master follows the core: when membership changes (lb_core_seq()),
 * the health checks and the ARP targets are rebuilt from the core's
 * members and services, and the runner and the neighbor table keep
 * what did not change. What they find goes back into the core: health
 * verdicts and member MACs, published by the next commit.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_pkt.h"
#include "agent_internal.h"

/* A verdict of the runner: applied only if the pair is still the one
 * the check was started for (a removed member's slot may hold a new
 * member before the next reconcile). */
void
lb_agent_health_changed(void *ctx, const struct lb_hc_target *t, bool up)
{
	struct lb_agent *ag = ctx;
	const struct lb_core_service *s = lb_core_service(ag->core, t->svc);
	const struct lb_core_member *m = lb_core_member(ag->core, t->member);

	if (s == NULL || m == NULL || !s->bound[t->member] ||
	    lb_agent_pair_id(s, m) != t->id)
		return;
	lb_core_health_set(ag->core, t->svc, t->member,
			   up ? LB_HEALTH_UP : LB_HEALTH_DOWN);
}

/* A member's MAC appeared, changed or went away: the core decides
 * whether the member can be selected, the next commit tells workers. */
void
lb_agent_neigh_changed(void *ctx, const struct lb_neigh *n)
{
	struct lb_agent *ag = ctx;
	int slot = lb_core_member_by_addr(ag->core, &n->addr);
	const char *how = lb_ip_is4(&n->addr) ? "ARP" : "Neighbor Discovery";
	const struct lb_core_member *cm;
	char ip[LB_IP_STRLEN], mac[AG_MAC_STR];

	if (slot < 0)
		return;
	lb_ip_str(&n->addr, ip);
	cm = lb_core_member(ag->core, (unsigned int)slot);
	switch (n->state) {
	case LB_NEIGH_STALE:
		/* lost ARP is not a dead member: the flows stay, the
		 * health checks decide (a member new at this address
		 * takes the last MAC too) */
		ag->mstats[LB_STAT_NEIGH_STALE]++;
		AG_LOG(WARNING, "member %s (%s): %s refresh unanswered: keeping its last MAC %s (stale) while health checks decide",
			cm->conf.name, ip, how, lb_agent_mac_str(n->mac, mac));
		lb_core_member_set_mac(ag->core, (unsigned int)slot, n->mac);
		break;
	case LB_NEIGH_FAILED:
		/* stale too long with no check to decide (neigh_sync): out
		 * like a member that never answered, its flows move */
		if (n->unanswered > 0) {
			ag->mstats[LB_STAT_NEIGH_FAILED]++;
			AG_LOG(WARNING, "member %s (%s): %u %s refreshes unanswered and no health check covers it: not selected until it answers",
				cm->conf.name, ip, n->unanswered, how);
		} else {
			ag->mstats[LB_STAT_NEIGH_LOST]++;
			AG_LOG(WARNING, "member %s (%s): no answer to %s: not selected until it answers",
				cm->conf.name, ip, how);
		}
		lb_core_member_set_mac(ag->core, (unsigned int)slot, NULL);
		break;
	default:
		ag->mstats[LB_STAT_NEIGH_RESOLVED]++;
		AG_LOG(NOTICE, "member %s (%s) is at %s", cm->conf.name, ip,
			lb_agent_mac_str(n->mac, mac));
		lb_core_member_set_mac(ag->core, (unsigned int)slot, n->mac);
		break;
	}
}

/* What a check connects to: the check's port, else the service's. */
static void
target_fill(struct lb_hc_target *t, const struct lb_agent *ag,
	    unsigned int s, const struct lb_core_service *cs, unsigned int m,
	    const struct lb_core_member *cm)
{
	const struct lb_conf_check *k = &cs->conf.check;
	const struct lb_conf_port *kp;

	memset(t, 0, sizeof(*t));
	t->svc = (uint16_t)s;
	t->member = (uint16_t)m;
	t->id = lb_agent_pair_id(cs, cm);
	/* the check's own address is the kernel interface's, of the
	 * member's family (the runner fails a target without one) */
	t->addr = cm->conf.addr;
	kp = &lb_core_port(ag->core, ag->kif_port)->conf;
	if (lb_ip_is4(&cm->conf.addr))
		t->src = lb_ip_from4(kp->addr);
	else
		t->src = kp->addr6;
	t->check = *k;
	if (k->type == LB_CHECK_ICMP) {
		t->port = 0;
		t->proto = 0;
	} else {
		t->port = k->port != 0 ? k->port : cs->conf.port_lo;
		t->proto = k->type == LB_CHECK_SIP ? k->sip_proto :
			LB_IPPROTO_TCP;
	}
	t->start_up = cs->health[m] == LB_HEALTH_UP;
	snprintf(t->label, sizeof(t->label), "%s/%s", cs->conf.name,
		 cm->conf.name);
}

/*
 * Checks for every bound pair of a checked service. A pair of a service
 * without a check is healthy: one left down by a check that no longer
 * exists comes back up.
 */
static int
health_sync(struct lb_agent *ag, uint64_t now)
{
	struct ag_reconcile *rec = &ag->rec;
	unsigned int s, m, n = 0;
	int rc;

	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = lb_core_service(ag->core, s);

		if (cs == NULL)
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			if (!cs->bound[m] || lb_core_member(ag->core, m) == NULL)
				continue;
			if (cs->conf.check.type != LB_CHECK_NONE)
				n++;
			else if (cs->health[m] != LB_HEALTH_UP)
				lb_core_health_set(ag->core, s, m,
						   LB_HEALTH_UP);
		}
	}
	if (n > 0 && ag->kif == NULL) {
		AG_LOG(ERR, "health checks need the exception interface");
		return -EINVAL;
	}
	if (n > rec->targets_cap) {
		struct lb_hc_target *t = realloc(rec->targets, n * sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		rec->targets = t;
		rec->targets_cap = n;
	}
	n = 0;
	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = lb_core_service(ag->core, s);

		if (cs == NULL || cs->conf.check.type == LB_CHECK_NONE)
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			const struct lb_core_member *cm =
				lb_core_member(ag->core, m);

			if (cs->bound[m] && cm != NULL)
				target_fill(&rec->targets[n++], ag, s, cs, m,
					    cm);
		}
	}
	rc = lb_hc_runner_sync(ag->hc, rec->targets, n, now);
	if (rc == -ENOMEM)
		AG_LOG(ERR, "health checks: out of memory for %u checks", n);
	return rc;
}

/*
 * Resolve every member that has no static MAC, and only those. A
 * member new at an address the table already knows (learnt from other
 * ARP, or a removed member's) hears of its MAC now. A member that a
 * health check covers (bound to a checked service) keeps its MAC while
 * ARP goes unanswered, the check decides; one no check covers would
 * keep a dead MAC for ever, so it fails after arp.stale_retries.
 */
static int
neigh_sync(struct lb_agent *ag, uint64_t now)
{
	struct ag_reconcile *rec = &ag->rec;
	uint8_t covered[LB_MAX_MEMBERS] = { 0 };
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;
	uint8_t keep[LB_MAX_MEMBERS + LB_SYNC_PEERS_MAX];
	unsigned int s, m, n = 0;
	int rc;

	for (s = 0; s < LB_MAX_SERVICES; s++) {
		const struct lb_core_service *cs = lb_core_service(ag->core, s);

		if (cs == NULL || cs->conf.check.type == LB_CHECK_NONE)
			continue;
		for (m = 0; m < LB_MAX_MEMBERS; m++)
			covered[m] |= cs->bound[m];
	}
	for (m = 0; m < LB_MAX_MEMBERS; m++) {
		const struct lb_core_member *cm = lb_core_member(ag->core, m);

		if (cm == NULL || cm->mac_state == LB_MAC_STATIC)
			continue;
		rec->addrs[n] = cm->conf.addr;
		keep[n] = covered[m];
		rec->ports[n++] = cm->conf.port;
	}
	/* sync peers: their messages must come from their MAC
	 * (lb_agent_sync_frame_ok), so it is known and kept fresh; a peer
	 * that stops answering keeps its last one */
	for (m = 0; ha->sync && ag->kif != NULL && m < ha->n_peers; m++) {
		rec->addrs[n] = lb_ip_from4(ha->peers[m]);
		keep[n] = 1;
		rec->ports[n++] = (uint8_t)ag->kif_port;
	}
	rc = lb_neigh_sync(&ag->neigh, rec->addrs, rec->ports, keep, n, now);
	if (rc != 0)
		return rc;
	for (m = 0; m < LB_MAX_MEMBERS; m++) {
		const struct lb_core_member *cm = lb_core_member(ag->core, m);

		if (cm == NULL || cm->gen == rec->member_gen[m])
			continue;
		rec->member_gen[m] = cm->gen;
		if (cm->mac_state == LB_MAC_NONE)
			lb_neigh_report(&ag->neigh, &cm->conf.addr,
					&ag->neigh_ops);
	}
	return 0;
}

/*
 * Bring the checks and the ARP targets in line with the core, if its
 * membership changed since the last time. What could not be applied is
 * tried again a second later.
 *
 * Returns 0; -EINVAL (checks without an exception interface) or
 * -ENOMEM, nothing applied; or the error of the ICMP checks' raw
 * socket, all applied but those checks fail until it opens (the caller
 * decides whether that is fatal: at start it is).
 */
int
lb_agent_reconcile(struct lb_agent *ag, uint64_t now)
{
	struct ag_reconcile *rec = &ag->rec;
	uint64_t seq = lb_core_seq(ag->core);
	int rc, rc2;

	if (rec->done && seq == rec->seq)
		return 0;
	if (now < rec->retry_ms)
		return 0;
	rc = health_sync(ag, now);
	if (rc == -ENOMEM || rc == -EINVAL)
		goto retry;
	rc2 = neigh_sync(ag, now);
	if (rc2 != 0) {
		AG_LOG(ERR, "neighbor table: %s", strerror(-rc2));
		rc = rc2;
		goto retry;
	}
	rec->done = true;
	rec->seq = seq;
	rec->retry_ms = 0;
	return rc;
retry:
	rec->retry_ms = now + 1000;
	return rc;
}

void
lb_agent_reconcile_fini(struct lb_agent *ag)
{
	free(ag->rec.targets);
	ag->rec.targets = NULL;
	ag->rec.targets_cap = 0;
}
