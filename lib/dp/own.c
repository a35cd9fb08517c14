/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The balancer's own traffic: ARP, packets to an own address, VRRP.
 * What can be answered is answered here, in place; what the master
 * must see goes to it on one of three lanes (rings: ARP, the trusted
 * classes, everyone else), each class of sender policed on its own so
 * that a flood of one class never takes another's share.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_meter.h>

#include "dp_internal.h"
#include "lb_pkt6.h"

/* A policer of pps packets a second with a hundredth of a second of
 * burst (at least 64): what it lets through fits the master's ring
 * whatever comes at once; pps 0 leaves it off. */
static int
policer_init(struct lb_dp_policer *pol, uint32_t pps)
{
	struct rte_meter_srtcm_params prm = {
		.cir = pps, .cbs = RTE_MAX(pps / 100, 64u), .ebs = 0,
	};

	pol->on = pps != 0;
	if (!pol->on)
		return 0;
	if (rte_meter_srtcm_profile_config(&pol->profile, &prm) != 0 ||
	    rte_meter_srtcm_config(&pol->meter, &pol->profile) != 0)
		return -EINVAL;
	return 0;
}

int
dp_police_init(struct lb_worker *w, const struct lb_dp_params *p)
{
	uint32_t vrrp_pps = p->vrrp_pps != 0 ? p->vrrp_pps : LB_VRRP_PPS;
	unsigned int i;

	if (policer_init(&w->own_police, p->exception_pps) != 0 ||
	    policer_init(&w->member_police, p->member_pps) != 0 ||
	    policer_init(&w->router_police, p->router_pps) != 0 ||
	    policer_init(&w->peer_police, p->peer_pps) != 0 ||
	    policer_init(&w->arp_member, p->arp_pps) != 0 ||
	    policer_init(&w->arp_other, p->arp_pps) != 0 ||
	    policer_init(&w->vrrp, vrrp_pps) != 0)
		return -EINVAL;
	for (i = 0; i < RTE_DIM(w->vrrp_peer); i++)
		if (policer_init(&w->vrrp_peer[i], vrrp_pps) != 0)
			return -EINVAL;
	return 0;
}

uint32_t
lb_dp_rate_share(uint32_t total, unsigned int n_workers)
{
	if (total == 0 || n_workers <= 1)
		return total;
	return RTE_MAX(total / n_workers, 1u);
}

void
lb_dp_expect_set(struct lb_dp_expect *x, uint8_t proto, uint16_t local_port,
		 uint32_t member, uint16_t member_port, bool on)
{
	uint64_t *slot;

	if (proto != LB_IPPROTO_TCP && proto != LB_IPPROTO_UDP)
		return;
	slot = &x->slot[proto == LB_IPPROTO_UDP][local_port];
	__atomic_store_n(slot, on ? lb_dp_expect_key(member, member_port) : 0,
			 __ATOMIC_RELEASE);
}

unsigned int
lb_dp_master_ring_size(uint64_t pps, unsigned int n_policers)
{
	/* each policer's burst is a hundredth of its rate, at least 64 */
	uint64_t need = pps * LB_MASTER_STALL_MS / 1000 + pps / 100 +
			64ull * n_policers + LB_BURST;

	if (need > 65536)
		need = 65536;
	return (unsigned int)rte_align64pow2(RTE_MAX(need, 1024ull));
}

/* One packet against a policer at the burst's clock (w->tsc): true if
 * it may pass. */
static inline bool
policer_pass(const struct lb_worker *w, struct lb_dp_policer *pol)
{
	return !pol->on ||
	       rte_meter_srtcm_color_blind_check(&pol->meter, &pol->profile,
						 w->tsc, 1) ==
	       RTE_COLOR_GREEN;
}

/* The member whose address a packet (or ARP) comes from, if any. */
static inline const struct lb_addr_slot *
member_source(const struct lb_snapshot *s, uint32_t addr)
{
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, addr);

	return a != NULL && a->kind == LB_ADDR_MEMBER ? a : NULL;
}

/*
 * ARP. A request for a VIP (while active) or for the port's own address
 * is answered here, in place, at the rate it comes: the router's ARP for
 * a VIP never waits behind anything the master does, and a flood of
 * requests costs the master nothing. What the master must see (replies
 * to its requests and the kernel's, members' ARP, learning) goes to its
 * priority ring, policed per sender class so a flood of strangers' ARP
 * cannot crowd out the members'.
 */
void
dp_classify_arp(struct lb_worker *w, const struct lb_snapshot *s,
		unsigned int port, uint8_t *data, const struct lb_pkt *pk,
		struct dp_pkt *d)
{
	struct lb_pkt_arp arp;
	const struct lb_addr_slot *a;
	struct lb_dp_policer *pol;

	lb_pkt_arp_read(data, pk, &arp);
	if ((arp.op != LB_ARP_OP_REQUEST && arp.op != LB_ARP_OP_REPLY) ||
	    (arp.sha[0] & 1) || memcmp(arp.sha, "\0\0\0\0\0\0", 6) == 0) {
		drop(d, LB_STAT_DROP_ARP_BAD);
		return;
	}
	if (arp.op == LB_ARP_OP_REQUEST && arp.spa != arp.tpa) {
		a = lb_snap_addr_lookup(s, arp.tpa);
		if (a != NULL && ((a->kind == LB_ADDR_VIP && s->vip_arp) ||
				  (a->kind == LB_ADDR_OWN && a->idx == port))) {
			lb_pkt_arp_reply(data, pk, &arp, s->ports[port].mac);
			d->act = ACT_ARP_REPLY;
			return;
		}
	}
	pol = member_source(s, arp.spa) != NULL ? &w->arp_member :
		&w->arp_other;
	if (!policer_pass(w, pol)) {
		drop(d, LB_STAT_DROP_ARP_POLICED);
		return;
	}
	d->act = ACT_MASTER_PRIO;
}

/*
 * A Neighbor Advertisement the master must see: for a member or a
 * gateway (resolving them, or their unsolicited news of a new MAC), or
 * to the port's own address (the kernel interface's own resolution).
 * Policed as ARP is, members' apart. The master checks it (RFC 4861
 * 7.1.2); the rest (others' advertisements) is dropped here.
 */
void
dp_classify_na(struct lb_worker *w, const struct lb_snapshot *s,
	    unsigned int port, const uint8_t *data, const struct lb_pkt6 *pk,
	    struct dp_pkt *d)
{
	const struct lb_addr6_slot *t, *to;
	struct lb_dp_policer *pol;

	if (pk->l4_len < 24) {
		drop(d, LB_STAT_DROP_NDP_BAD);
		return;
	}
	/* unicast: to us (a segment that floods another host's frames
	 * here, as a bridge may, is not ours to learn from) */
	if (!(pk->flags & LB_PKT_F_L2_MCAST) &&
	    !lb_mac_eq(lb_pkt_eth_dst(data), s->ports[port].mac)) {
		drop(d, LB_STAT_DROP_NOT_FOR_US);
		return;
	}
	t = lb_snap_addr6_lookup(s, data + pk->l4_off + 8);
	to = (pk->flags & LB_PKT_F_L2_MCAST) ? NULL :
		lb_snap_addr6_lookup(s, pk->dst);
	if (!((t != NULL && (t->kind == LB_ADDR_MEMBER ||
			     t->kind == LB_ADDR_ROUTER)) ||
	      (to != NULL && to->kind == LB_ADDR_OWN && to->idx == port))) {
		drop(d, LB_STAT_DROP_NDP_OTHER);
		return;
	}
	pol = t != NULL && t->kind == LB_ADDR_MEMBER ? &w->arp_member :
		&w->arp_other;
	if (!policer_pass(w, pol)) {
		drop(d, LB_STAT_DROP_ARP_POLICED);
		return;
	}
	d->act = ACT_MASTER_PRIO;
}

/*
 * A member's packet to an own address is a health check's answer if a
 * check socket waits for it (TCP or UDP, by its local port and the
 * member's address and port), or an ICMP echo reply (the icmp checks);
 * anything else a member sends there, such as the SYN-ACKs of a flood
 * it is made to reflect (SYNs forged with our address), is anyone's.
 * Without the table every member packet counts as an answer.
 */
static inline bool
check_answer(const struct lb_worker *w, uint8_t proto, bool echo_reply,
	     uint16_t local_port, uint64_t key)
{
	const struct lb_dp_expect *x = w->expect;

	if (x == NULL)
		return true;
	if (proto == LB_IPPROTO_ICMP)
		return echo_reply;
	if (proto != LB_IPPROTO_TCP && proto != LB_IPPROTO_UDP)
		return false;
	return __atomic_load_n(&x->slot[proto == LB_IPPROTO_UDP][local_port],
			       __ATOMIC_RELAXED) == key;
}

/*
 * A packet for an own address: the kernel interface's (health-check
 * answers, ssh, ping, BGP). Each class of sender has a policer of its
 * own, so a flood of one class costs the master a bounded amount and
 * never another class's packets: members' answers to health checks
 * (from a member's address and its MAC, which nobody beyond the router
 * can forge, to a check's socket: check_answer()), routers (a port's
 * gateway or a configured router) and sync peers, both only at TTL 255
 * (RFC 5082: sent on the link, not forwarded; BFD always is, BGP with
 * "ttl security"), whose packets take the trusted classes' ring; and
 * everyone else (dataplane.exception_pps), on a ring of its own.
 */
/* The lane of a packet to an own address from a source of kind (0:
 * anyone), as dp_classify_own() says; answer: a member's, from its MAC,
 * to a check's socket. */
static inline void
own_lane(struct lb_worker *w, uint8_t kind, bool answer, bool on_link,
	 struct dp_pkt *d)
{
	struct lb_dp_policer *pol = &w->own_police;
	uint16_t why = LB_STAT_DROP_OWN_POLICED;
	uint8_t act = ACT_MASTER;

	switch (kind) {
	case LB_ADDR_MEMBER:
		if (answer) {
			pol = &w->member_police;
			why = LB_STAT_DROP_MEMBER_POLICED;
			act = ACT_MASTER_CTRL;
		}
		break;
	case LB_ADDR_ROUTER:
		if (on_link) {
			pol = &w->router_police;
			why = LB_STAT_DROP_ROUTER_POLICED;
			act = ACT_MASTER_CTRL;
		}
		break;
	case LB_ADDR_PEER:
		if (on_link) {
			pol = &w->peer_police;
			why = LB_STAT_DROP_PEER_POLICED;
			act = ACT_MASTER_CTRL;
		}
		break;
	default:
		break;
	}
	if (!policer_pass(w, pol)) {
		drop(d, why);
		return;
	}
	d->act = act;
}

/* The frame comes from member idx's MAC, and the member is one the data
 * path sends to (a check socket's answers come from there). */
static inline bool
from_member(const struct lb_snapshot *s, uint16_t idx, const uint8_t *data)
{
	const struct lb_snap_member *sm = &s->members[idx];

	return (sm->flags & LB_SM_FWD) &&
	       lb_mac_eq(lb_pkt_eth_src(data), sm->mac);
}

void
dp_classify_own(struct lb_worker *w, const struct lb_snapshot *s,
		const uint8_t *data, const struct lb_pkt *pk, struct dp_pkt *d)
{
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, pk->src_ip);
	uint8_t kind = a != NULL ? a->kind : 0;
	bool answer = kind == LB_ADDR_MEMBER &&
		      from_member(s, a->idx, data) &&
		      check_answer(w, pk->proto,
				   pk->icmp_type == LB_ICMP_ECHO_REPLY,
				   pk->dst_port,
				   lb_dp_expect_key(pk->src_ip, pk->src_port));

	own_lane(w, kind, answer, data[pk->l3_off + 8] == 255, d);
}

/*
 * A packet for the own IPv6 address, the peer of dp_classify_own():
 * the same lanes, the same rules (hop limit 255 for on-link routers).
 * Neighbor Discovery never comes here (classify6.c answers
 * solicitations and hands advertisements over).
 */
void
dp_classify_own6(struct lb_worker *w, const struct lb_snapshot *s,
		 const uint8_t *data, const struct lb_pkt6 *pk,
		 struct dp_pkt *d)
{
	const struct lb_addr6_slot *a = lb_snap_addr6_lookup(s, pk->src);
	uint8_t kind = a != NULL ? a->kind : 0;
	bool answer = kind == LB_ADDR_MEMBER &&
		      from_member(s, a->idx, data) &&
		      check_answer(w, pk->proto == LB_IPPROTO_ICMPV6 ?
				   LB_IPPROTO_ICMP : pk->proto,
				   pk->icmp_type == LB_ICMP6_ECHO_REPLY,
				   pk->dst_port,
				   lb_dp_expect_key(lb_dp_expect_addr6(pk->src),
						    pk->src_port));

	own_lane(w, kind, answer, pk->hop_limit == 255, d);
}

/*
 * A VRRP advertisement (the parser checked group, MAC, TTL 255): for
 * keepalived on the kernel interface, in mode vrrp only (in any other
 * mode it is multicast like the rest, dropped). From the port's own
 * subnet, through the priority ring, policed: a flood of forged
 * adverts costs the master a bounded amount and never its ARP.
 */
void
dp_classify_vrrp(struct lb_worker *w, const struct lb_snapshot *s,
		 const struct lb_snap_port *sp, const struct lb_pkt *pk,
		 struct dp_pkt *d)
{
	if (!s->vrrp) {
		drop(d, LB_STAT_DROP_L2_MULTICAST);
		return;
	}
	const struct lb_addr_slot *a = lb_snap_addr_lookup(s, pk->src_ip);
	struct lb_dp_policer *pol = &w->vrrp;

	/* another balancer's adverts are policed on their own: junk from
	 * other sources cannot crowd them out (and make its standby take
	 * over) */
	if (a != NULL && a->kind == LB_ADDR_PEER &&
	    a->idx < RTE_DIM(w->vrrp_peer))
		pol = &w->vrrp_peer[a->idx];
	if (((pk->src_ip ^ sp->addr) & sp->mask) != 0 ||
	    pk->src_ip == sp->addr || !policer_pass(w, pol)) {
		drop(d, LB_STAT_DROP_VRRP);
		return;
	}
	w->stats[LB_STAT_VRRP_IN]++;
	if (pol != &w->vrrp)
		w->stats[LB_STAT_VRRP_PEER_IN]++;
	d->act = ACT_MASTER_CTRL;
}
