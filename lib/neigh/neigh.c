/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_neigh.h"
#include "lb_pkt.h"
#include "lb_pkt6.h"

const char *const lb_neigh_state_names[LB_NEIGH_STATE_MAX] = {
	[LB_NEIGH_INCOMPLETE] = "incomplete",
	[LB_NEIGH_REACHABLE] = "reachable",
	[LB_NEIGH_PROBE] = "probe",
	[LB_NEIGH_FAILED] = "failed",
	[LB_NEIGH_STALE] = "stale",
};

int
lb_neigh_init(struct lb_neigh_table *t, unsigned int cap,
	      const struct lb_neigh_params *p)
{
	memset(t, 0, sizeof(*t));
	t->e = calloc(cap, sizeof(*t->e));
	if (t->e == NULL)
		return -ENOMEM;
	t->cap = cap;
	t->p = *p;
	return 0;
}

void
lb_neigh_fini(struct lb_neigh_table *t)
{
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}

struct lb_neigh *
lb_neigh_find(struct lb_neigh_table *t, const struct lb_ip *addr)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (lb_ip_eq(&t->e[i].addr, addr))
			return &t->e[i];
	return NULL;
}

/* A free slot: the end, or the least recently confirmed entry nobody
 * wants. */
static struct lb_neigh *
slot(struct lb_neigh_table *t)
{
	struct lb_neigh *victim = NULL;
	unsigned int i;

	if (t->n < t->cap)
		return &t->e[t->n++];
	for (i = 0; i < t->n; i++)
		if (!t->e[i].wanted &&
		    (victim == NULL || t->e[i].confirmed_ms < victim->confirmed_ms))
			victim = &t->e[i];
	return victim;
}

static void
remove_at(struct lb_neigh_table *t, unsigned int i)
{
	t->e[i] = t->e[--t->n];
}

/* When a confirmed entry starts being refreshed: early enough that a
 * few probes fit before the reachable time runs out. */
static uint64_t
refresh_at(const struct lb_neigh_table *t, uint64_t confirmed)
{
	return confirmed + t->p.reachable_ms / 4 * 3;
}

/* Wanted from now on; one wanted already keeps its state and timers. */
static void
want_entry(struct lb_neigh *n, uint8_t port, uint8_t keep_stale,
	   uint64_t now)
{
	n->port = port;
	n->keep_stale = keep_stale;
	if (n->wanted)
		return;
	n->wanted = 1;
	if (!lb_neigh_usable(n)) {
		n->state = LB_NEIGH_INCOMPLETE;
		n->probes = 0;
		n->unanswered = 0;   /* a new owner: resolving from scratch */
		n->next_ms = now;
	}
}

static struct lb_neigh *
want_new(struct lb_neigh_table *t, const struct lb_ip *addr, uint8_t port,
	 uint8_t keep_stale, uint64_t now)
{
	struct lb_neigh *n = slot(t);

	if (n == NULL)
		return NULL;
	*n = (struct lb_neigh){
		.addr = *addr, .port = port, .wanted = 1,
		.keep_stale = keep_stale,
		.state = LB_NEIGH_INCOMPLETE, .next_ms = now,
	};
	return n;
}

/* Nobody needs it: no requests, no reports; it ages out like a learnt
 * entry (lb_neigh_run() drops one without a confirmed MAC at once). */
static void
unwant_entry(struct lb_neigh *n)
{
	n->wanted = 0;
	n->keep_stale = 0;
	n->reported = LB_NEIGH_INCOMPLETE;
}

struct lb_neigh *
lb_neigh_want(struct lb_neigh_table *t, const struct lb_ip *addr, uint8_t port,
	      uint64_t now)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);

	if (n != NULL) {
		want_entry(n, port, n->keep_stale, now);
		return n;
	}
	return want_new(t, addr, port, 0, now);
}

void
lb_neigh_unwant(struct lb_neigh_table *t, const struct lb_ip *addr)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);

	if (n != NULL)
		unwant_entry(n);
}

/* byte order is numeric order, IPv4 (::ffff:0:0/96) first */
static int
ip_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct lb_ip));
}

struct want {
	struct lb_ip addr;
	uint8_t port;
	uint8_t keep_stale;
};

static int
want_cmp(const void *a, const void *b)
{
	return ip_cmp(&((const struct want *)a)->addr,
		      &((const struct want *)b)->addr);
}

/*
 * Sorted copies make this O((n + entries) log n), not n x entries: the
 * master reconciles on every membership change, and a table of 4096
 * entries against 1024 members would cost millions of comparisons each
 * time. Present entries are wanted before missing ones are created, so
 * creating one never evicts an entry the list still names.
 */
int
lb_neigh_sync(struct lb_neigh_table *t, const struct lb_ip *addrs,
	      const uint8_t *ports, const uint8_t *keep_stale,
	      unsigned int n, uint64_t now)
{
	struct want *w = NULL;
	struct lb_ip *have = NULL;
	unsigned int i, n_w = 0, n_have = 0;

	if (n > t->cap)
		return -ENOSPC;
	if (n > 0) {
		w = malloc(n * sizeof(*w));
		have = malloc((t->n > 0 ? t->n : 1) * sizeof(*have));
		if (w == NULL || have == NULL) {
			free(w);
			free(have);
			return -ENOMEM;
		}
	}
	for (i = 0; i < n; i++)
		w[i] = (struct want){
			.addr = addrs[i], .port = ports[i],
			.keep_stale = keep_stale != NULL && keep_stale[i] != 0,
		};
	if (n > 1)
		qsort(w, n, sizeof(*w), want_cmp);
	for (i = 0; i < n; i++)   /* duplicates: the first one counts */
		if (n_w == 0 || !lb_ip_eq(&w[n_w - 1].addr, &w[i].addr))
			w[n_w++] = w[i];

	/* unwant what the list does not name, want what it names */
	for (i = 0; i < t->n; i++) {
		struct lb_neigh *e = &t->e[i];
		const struct want key = { .addr = e->addr };
		const struct want *hit = n_w == 0 ? NULL :
			bsearch(&key, w, n_w, sizeof(*w), want_cmp);

		if (hit == NULL) {
			if (e->wanted)
				unwant_entry(e);
			continue;
		}
		want_entry(e, hit->port, hit->keep_stale, now);
	}
	/* then create the missing ones: those not among the addresses the
	 * table held before */
	for (i = 0; n > 0 && i < t->n; i++)
		have[n_have++] = t->e[i].addr;
	if (n_have > 1)
		qsort(have, n_have, sizeof(*have), ip_cmp);
	for (i = 0; i < n_w; i++) {
		if (n_have > 0 && bsearch(&w[i].addr, have, n_have,
					  sizeof(*have), ip_cmp) != NULL)
			continue;
		/* fewer than n_w <= cap entries are wanted: there is a slot */
		want_new(t, &w[i].addr, w[i].port, w[i].keep_stale, now);
	}
	free(w);
	free(have);
	return 0;
}

/* Tell the owner of a wanted entry what it needs to know, once per
 * change: a new or moved MAC, staleness, a failed resolution. */
static void
report(struct lb_neigh *n, bool moved, const struct lb_neigh_ops *ops)
{
	uint8_t what = n->state == LB_NEIGH_PROBE ? LB_NEIGH_REACHABLE :
		n->state;

	if (!n->wanted || ops == NULL || (what == n->reported && !moved))
		return;
	if (what == LB_NEIGH_INCOMPLETE)
		return;   /* resolving: nothing to say yet */
	n->reported = what;
	ops->changed(ops->ctx, n);
}

void
lb_neigh_report(struct lb_neigh_table *t, const struct lb_ip *addr,
		const struct lb_neigh_ops *ops)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);

	if (n == NULL || !n->wanted)
		return;
	n->reported = LB_NEIGH_INCOMPLETE;
	report(n, false, ops);
}

void
lb_neigh_learn(struct lb_neigh_table *t, const struct lb_ip *addr,
	       const uint8_t *mac,
	       uint8_t port, bool create, uint64_t now,
	       const struct lb_neigh_ops *ops)
{
	struct lb_neigh *n = lb_neigh_find(t, addr);
	bool moved;

	if (n == NULL) {
		if (!create || (n = slot(t)) == NULL)
			return;
		*n = (struct lb_neigh){ .addr = *addr };
	}
	moved = lb_neigh_usable(n) && memcmp(n->mac, mac, sizeof(n->mac)) != 0;
	memcpy(n->mac, mac, sizeof(n->mac));
	n->port = port;
	n->state = LB_NEIGH_REACHABLE;
	n->probes = 0;
	n->unanswered = 0;
	n->confirmed_ms = now;
	n->next_ms = refresh_at(t, now);
	report(n, moved, ops);
}

/* No answer to a round of requests. A neighbor that had a MAC keeps it
 * and stays in use (STALE); one that never had one has failed. Either
 * way requests go on, broadcast, every retry_ms. */
static void
unanswered(struct lb_neigh_table *t, struct lb_neigh *n, uint64_t now,
	   const struct lb_neigh_ops *ops)
{
	n->state = lb_neigh_usable(n) ? LB_NEIGH_STALE : LB_NEIGH_FAILED;
	if (n->state == LB_NEIGH_FAILED)
		memset(n->mac, 0, sizeof(n->mac));
	n->probes = 0;
	n->next_ms = now + t->p.retry_ms;
	report(n, false, ops);
}

/*
 * A stale neighbor asked again every retry_ms. Keeping a MAC nobody
 * confirms is right while something else (a health check) would notice
 * a dead neighbor; where nothing would, a MAC that answers nothing for
 * stale_retries requests is dropped, or traffic would go to a dead
 * host for ever. The last request had its retry_ms to be answered.
 */
static void
stale_retry(struct lb_neigh_table *t, struct lb_neigh *n, uint64_t now,
	    const struct lb_neigh_ops *ops)
{
	if (t->p.stale_retries != 0 && !n->keep_stale &&
	    n->unanswered >= t->p.stale_retries) {
		n->state = LB_NEIGH_FAILED;
		memset(n->mac, 0, sizeof(n->mac));
		n->probes = 0;
		n->next_ms = now + t->p.retry_ms;
		report(n, false, ops);
		return;
	}
	if (n->unanswered < UINT8_MAX)
		n->unanswered++;
	n->next_ms = now + t->p.retry_ms;
	ops->request(ops->ctx, n, false);
}

/*
 * One pass over the table. Wanted entries cycle INCOMPLETE -> REACHABLE
 * -> PROBE -> REACHABLE on answers. A silent neighbor goes PROBE ->
 * STALE (MAC kept) or INCOMPLETE -> FAILED (no MAC), and is asked again
 * every retry_ms until it answers; a STALE one not keep_stale goes
 * FAILED after stale_retries of those. Learnt entries only age out.
 */
uint64_t
lb_neigh_run(struct lb_neigh_table *t, uint64_t now,
	     const struct lb_neigh_ops *ops)
{
	uint64_t wait = 1000;
	unsigned int i = 0;

	while (i < t->n) {
		struct lb_neigh *n = &t->e[i];

		if (!n->wanted) {
			if (n->state != LB_NEIGH_REACHABLE ||
			    now >= n->confirmed_ms + t->p.learnt_ttl_ms) {
				remove_at(t, i);
				continue;
			}
			i++;
			continue;
		}
		if (now >= n->next_ms) {
			switch (n->state) {
			case LB_NEIGH_REACHABLE:
				n->state = LB_NEIGH_PROBE;
				n->probes = 0;
				/* probe now */
				/* fall through */
			case LB_NEIGH_PROBE:
			case LB_NEIGH_INCOMPLETE:
				if (n->probes >= t->p.max_probes) {
					unanswered(t, n, now, ops);
					break;
				}
				n->probes++;
				n->next_ms = now + t->p.probe_ms;
				ops->request(ops->ctx, n,
					     n->state == LB_NEIGH_PROBE);
				break;
			case LB_NEIGH_FAILED:
				n->state = LB_NEIGH_INCOMPLETE;
				n->probes = 1;
				n->next_ms = now + t->p.probe_ms;
				ops->request(ops->ctx, n, false);
				break;
			case LB_NEIGH_STALE:
				stale_retry(t, n, now, ops);
				break;
			default:
				break;
			}
		}
		if (n->next_ms > now && n->next_ms - now < wait)
			wait = n->next_ms - now;
		i++;
	}
	return wait;
}

/* ---- ARP frames and input ---- */

static const uint8_t bcast_mac[LB_ETH_ALEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[LB_ETH_ALEN];

uint32_t
lb_neigh_arp_frame(uint8_t *buf, uint16_t vlan, const uint8_t *eth_dst,
		   uint16_t op, const uint8_t *sha, uint32_t spa,
		   const uint8_t *tha, uint32_t tpa)
{
	uint32_t len;

	memset(buf, 0, LB_NEIGH_FRAME_MAX);
	len = lb_pkt_arp_build(buf, eth_dst, op, sha, spa, tha, tpa);
	if (vlan != 0) {
		memmove(buf + 12 + LB_VLAN_HLEN, buf + 12, len - 12);
		lb_store_be16(buf + 12, LB_ETHERTYPE_VLAN);
		lb_store_be16(buf + 14, vlan);
		len += LB_VLAN_HLEN;
	}
	return len < 60 ? 60 : len;
}

uint32_t
lb_neigh_request_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
		       uint32_t addr, const struct lb_neigh *n, bool unicast)
{
	return lb_neigh_arp_frame(buf, vlan, unicast ? n->mac : bcast_mac,
				  LB_ARP_OP_REQUEST, mac, addr, zero_mac,
				  lb_ip_v4(&n->addr));
}

uint32_t
lb_neigh_garp_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
		    uint32_t addr)
{
	return lb_neigh_arp_frame(buf, vlan, bcast_mac, LB_ARP_OP_REQUEST,
				  mac, addr, zero_mac, addr);
}

/* The one subnet test the table needs; lb_conf_in_subnet() is the
 * configuration's, and the table does not depend on the configuration. */
static bool
in_subnet(uint32_t addr, uint32_t net, uint8_t prefix)
{
	uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);

	return ((ntohl(addr) ^ ntohl(net)) & mask) == 0;
}

enum lb_neigh_arp_verdict
lb_neigh_arp_input(struct lb_neigh_table *t, const struct lb_neigh_port *port,
		   const uint8_t *frame, uint32_t len,
		   bool (*is_vip)(const void *ctx, uint32_t addr),
		   const void *vip_ctx, uint64_t now,
		   const struct lb_neigh_ops *ops)
{
	struct lb_pkt pk;
	struct lb_pkt_arp a;

	if (lb_pkt_parse(frame, len, &pk) != LB_PKT_ARP)
		return LB_NEIGH_ARP_BAD;
	lb_pkt_arp_read(frame, &pk, &a);
	if ((a.op != LB_ARP_OP_REQUEST && a.op != LB_ARP_OP_REPLY) ||
	    (a.sha[0] & 1) || memcmp(a.sha, zero_mac, LB_ETH_ALEN) == 0)
		return LB_NEIGH_ARP_BAD;
	/* senders on our subnet (not probes from 0.0.0.0, not ourselves,
	 * not a VIP another balancer announces) */
	if (a.spa != 0 && a.spa != port->addr &&
	    in_subnet(a.spa, port->addr, port->prefix) &&
	    (is_vip == NULL || !is_vip(vip_ctx, a.spa))) {
		const struct lb_ip spa = lb_ip_from4(a.spa);

		lb_neigh_learn(t, &spa, a.sha, port->index, true, now, ops);
	}
	if (a.op == LB_ARP_OP_REQUEST)
		return LB_NEIGH_ARP_REQUEST;
	return port->kernel && a.tpa == port->addr ? LB_NEIGH_ARP_KERNEL :
		LB_NEIGH_ARP_REPLY;
}

uint32_t
lb_neigh_ns_frame(uint8_t *buf, uint16_t vlan, const uint8_t *mac,
		  const struct lb_ip *src, const struct lb_neigh *n,
		  bool unicast)
{
	return lb_pkt_ndp_ns_frame(buf, vlan, mac, src->b, n->addr.b,
				   unicast ? n->mac : NULL);
}

/* On the port's IPv6 subnet, or link-local (a router may be known by
 * its link-local address only) */
static bool
on_link6(const struct lb_neigh_port *port, const struct lb_ip *a)
{
	return lb_ip_link_local(a) ||
	       (!lb_ip_is_unset(&port->addr6) &&
		lb_ip_in_net(a, &port->addr6, port->prefix6));
}

enum lb_neigh_arp_verdict
lb_neigh_ndp_input(struct lb_neigh_table *t, const struct lb_neigh_port *port,
		   const uint8_t *frame, uint32_t len,
		   bool (*is_vip6)(const void *ctx, const struct lb_ip *addr),
		   const void *vip_ctx, uint64_t now,
		   const struct lb_neigh_ops *ops)
{
	struct lb_ip who;
	const uint8_t *mac;
	struct lb_neigh *n;
	struct lb_ndp_ns ns;
	struct lb_ndp_na na;
	struct lb_pkt6 pk;
	bool advert;

	if (lb_pkt_parse6(frame, len, &pk) != LB_PKT_IPV6 ||
	    pk.proto != LB_IPPROTO_ICMPV6)
		return LB_NEIGH_ARP_BAD;
	if (pk.icmp_type == LB_ICMP6_NEIGH_ADVERT) {
		if (lb_pkt_ndp_na(frame, &pk, &na) != 0)
			return LB_NEIGH_ARP_BAD;
		memcpy(who.b, na.target, sizeof(who.b));
		mac = na.has_tlla ? na.tlla : lb_pkt_eth_src(frame);
		advert = true;
	} else if (pk.icmp_type == LB_ICMP6_NEIGH_SOLICIT) {
		if (lb_pkt_ndp_ns(frame, &pk, &ns) != 0)
			return LB_NEIGH_ARP_BAD;
		memcpy(who.b, pk.src, sizeof(who.b));
		mac = ns.has_slla ? ns.slla : NULL;
		advert = false;
	} else {
		return LB_NEIGH_ARP_BAD;
	}
	if (mac != NULL && !(mac[0] & 1) &&
	    memcmp(mac, zero_mac, LB_ETH_ALEN) != 0 &&
	    !lb_ip_is_unset(&who) && !lb_ip_eq(&who, &port->addr6) &&
	    on_link6(port, &who) &&
	    (is_vip6 == NULL || !is_vip6(vip_ctx, &who))) {
		n = lb_neigh_find(t, &who);
		/* without Override, an advertisement confirms the MAC in
		 * use but never moves it (RFC 4861 7.2.5) */
		if (!(advert && !(na.flags & LB_NDP_NA_OVERRIDE) &&
		      n != NULL && lb_neigh_usable(n) &&
		      memcmp(n->mac, mac, LB_ETH_ALEN) != 0))
			lb_neigh_learn(t, &who, mac, port->index, true, now,
				       ops);
	}
	if (!advert)
		return LB_NEIGH_ARP_REQUEST;
	return port->kernel && !lb_ip_is_unset(&port->addr6) &&
	       memcmp(pk.dst, port->addr6.b, LB_IP6_ALEN) == 0 ?
	       LB_NEIGH_ARP_KERNEL : LB_NEIGH_ARP_REPLY;
}
