/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Active or standby, gratuitous ARP for the VIPs, and the VRRP
 * watchdog. */

#include <rte_ring.h>

#include "lb_neigh.h"
#include "lb_pkt6.h"
#include "agent_internal.h"

#define GARP_ROUNDS 3
#define GARP_INTERVAL_MS 1000
#define GARP_PER_LOOP 256

/* Announce every VIP GARP_ROUNDS times a second apart: an IPv4 VIP by
 * gratuitous ARP on the ports whose subnet holds it, an IPv6 VIP by an
 * unsolicited Neighbor Advertisement on every port; a bounded number
 * per loop so a /24 of VIPs does not overrun the worker's queue. */
unsigned int
lb_agent_garp_run(struct lb_agent *ag, uint64_t now)
{
	unsigned int n_vips, sent = 0, p;
	const struct lb_ip *vips = lb_core_vips(ag->core, &n_vips);
	struct rte_ring *r = ag->env->workers[0].from_master;

	if (!ag->act.garp_on || now < ag->act.garp_next_ms ||
	    !lb_core_active(ag->core) ||
	    lb_core_settings(ag->core)->ha.mode == LB_HA_ECMP)
		return 0;
	/* a VIP set that shrank under the cursor */
	if (ag->act.garp_cursor > n_vips)
		ag->act.garp_cursor = n_vips;
	while (ag->act.garp_cursor < n_vips && sent < GARP_PER_LOOP &&
	       rte_ring_free_count(r) > 2 * LB_MAX_PORTS) {
		const struct lb_ip *va = &vips[ag->act.garp_cursor++];
		uint32_t vip;

		/* IPv6: an unsolicited Neighbor Advertisement on every port
		 * (ports have no IPv6 subnet: a neighbour that holds no
		 * entry for the VIP ignores it) */
		if (!lb_ip_is4(va)) {
			for (p = 0; p < ag->env->n_ports; p++) {
				const struct lb_conf_port *cp =
					lb_agent_port_conf(ag, p);
				uint8_t na[LB_NDP_UNSOL_NA_MAX];
				uint32_t len = lb_pkt_ndp_unsolicited_na(na,
					cp->vlan, ag->env->port_macs[p], va->b);

				if (lb_agent_send_frame(ag, p, na, len) == 0)
					ag->mstats[LB_STAT_UNSOL_NA_OUT]++;
				sent++;
			}
			continue;
		}
		vip = lb_ip_v4(va);

		for (p = 0; p < ag->env->n_ports; p++) {
			const struct lb_conf_port *cp = lb_agent_port_conf(ag, p);
			uint8_t buf[LB_NEIGH_FRAME_MAX];
			uint32_t len;

			if (!lb_conf_in_subnet(vip, cp->addr, cp->prefix))
				continue;
			len = lb_neigh_garp_frame(buf, cp->vlan,
						  ag->env->port_macs[p], vip);
			if (lb_agent_send_frame(ag, p, buf, len) == 0)
				ag->mstats[LB_STAT_GARP_OUT]++;
			sent++;
		}
	}
	if (ag->act.garp_cursor == n_vips) {
		ag->act.garp_cursor = 0;
		if (++ag->act.garp_rounds == GARP_ROUNDS)
			ag->act.garp_on = false;
		ag->act.garp_next_ms = now + GARP_INTERVAL_MS;
	}
	return sent;
}

/* Start announcing the VIPs (at start, and on activation). */
void
lb_agent_garp_start(struct lb_agent *ag)
{
	ag->act.garp_on = true;
	ag->act.garp_rounds = 0;
	ag->act.garp_cursor = 0;
	ag->act.garp_next_ms = 0;
	lb_core_vips(ag->core, &ag->act.garp_vips);
}

/* Active or standby, for an operator, keepalived's hook or the end of
 * the bulk sync: the log says which and why. */
void
lb_agent_set_active(struct lb_agent *ag, bool active, const char *why)
{
	if (lb_core_active(ag->core) == active)
		return;
	lb_core_set_active(ag->core, active);
	AG_LOG(NOTICE, "%s: %s", why, active ?
		(lb_core_settings(ag->core)->ha.mode == LB_HA_ECMP ?
		 "activated: forwarding, announcing VIPs with members" :
		 "activated: answering ARP for VIPs and forwarding") :
		"deactivated (standby): nothing forwarded for VIPs, no ARP or route for them");
	if (active) {
		lb_agent_garp_start(ag);
		ag->act.vrrp_sent_ms = lb_agent_now_ms();
	}
}

/*
 * Mode vrrp: keepalived decides, through its notify hook. Should it die
 * while we are active (kill -9: no hook runs), the standby's keepalived
 * takes over and two balancers would answer for the VIPs. Only the VRRP
 * master sends advertisements, and ours leave through us: active without
 * one for high_availability.vrrp_watchdog means we are not the master
 * any more.
 */
void
lb_agent_vrrp_watchdog(struct lb_agent *ag, uint64_t now)
{
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;

	if (ha->mode != LB_HA_VRRP || ha->vrrp_watchdog_ms == 0 ||
	    !lb_core_active(ag->core) ||
	    now < ag->act.vrrp_sent_ms + ha->vrrp_watchdog_ms)
		return;
	AG_LOG(WARNING, "no VRRP advertisement from keepalived on %s for %g s: it is not the VRRP master (or not running)",
		ag->kif != NULL ? lb_kif_name(ag->kif) : "(none)",
		ha->vrrp_watchdog_ms / 1000.0);
	lb_agent_set_active(ag, false, "VRRP watchdog");
}

/* VIPs added at run time are announced like the ones at start. */
void
lb_agent_garp_new_vips(struct lb_agent *ag)
{
	unsigned int n;

	lb_core_vips(ag->core, &n);
	if (n > ag->act.garp_vips)
		lb_agent_garp_start(ag);
	ag->act.garp_vips = n;
}

