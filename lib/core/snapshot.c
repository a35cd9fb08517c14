/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The snapshot: everything a worker reads, built from the state off the
 * data path (port ranges flattened for one binary search, the address
 * table, members and services as workers see them). Scheduling tables
 * and persistence records are kept from one snapshot to the next while
 * they still fit; what a build replaces goes to retire.c.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "lb_persist.h"
#include "core_internal.h"

/* Precedence of what may own a destination port, lowest first: a
 * service on every VIP before one on this VIP, "any" port before a
 * range before an exact port, and a member's source-port range above
 * all ("whatever the service"). */
enum {
	PRIO_ANY_ALL = 0,
	PRIO_ANY_VIP,
	PRIO_RANGE_ALL,
	PRIO_RANGE_VIP,
	PRIO_EXACT_ALL,
	PRIO_EXACT_VIP,
	PRIO_MEMBER,
};

struct interval {
	uint32_t lo;
	uint32_t hi;
	uint16_t target;
	uint16_t kind;
	int prio;
};

struct range_buf {
	struct lb_range *r;
	uint32_t n;
	uint32_t cap;
};

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Flatten overlapping intervals into sorted, disjoint runs, each owned
 * by the highest-precedence interval covering it, so the data path
 * needs one binary search. Off the data path, n is small.
 */
static int
flatten(const struct interval *iv, unsigned int n, struct range_buf *out,
	uint16_t *count)
{
	uint32_t *pts, first = out->n;
	unsigned int i, j, np = 0;

	*count = 0;
	if (n == 0)
		return 0;
	pts = malloc(2 * n * sizeof(*pts));
	if (pts == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pts[np++] = iv[i].lo;
		pts[np++] = iv[i].hi + 1;
	}
	qsort(pts, np, sizeof(*pts), u32_cmp);

	for (i = 0; i < np; i++) {
		uint32_t a = pts[i], b;
		int best = -1;

		if (i + 1 < np && pts[i + 1] == a)
			continue;
		if (a > 65535)
			break;
		b = i + 1 < np ? pts[i + 1] - 1 : 65535;
		for (j = 0; j < n; j++)
			if (iv[j].lo <= a && iv[j].hi >= a &&
			    (best < 0 || iv[j].prio > iv[best].prio))
				best = (int)j;
		if (best < 0)
			continue;
		if (out->n > first) {
			struct lb_range *prev = &out->r[out->n - 1];

			if (prev->hi + 1u == a && prev->target == iv[best].target &&
			    prev->kind == iv[best].kind) {
				prev->hi = (uint16_t)b;
				continue;
			}
		}
		if (out->n == out->cap) {
			struct lb_range *g;

			out->cap = out->cap == 0 ? 64 : out->cap * 2;
			g = realloc(out->r, out->cap * sizeof(*g));
			if (g == NULL) {
				free(pts);
				return -ENOMEM;
			}
			out->r = g;
		}
		out->r[out->n++] = (struct lb_range){
			.lo = (uint16_t)a, .hi = (uint16_t)b,
			.target = iv[best].target, .kind = iv[best].kind,
		};
	}
	free(pts);
	*count = (uint16_t)(out->n - first);
	return 0;
}

static int
service_prio(const struct lb_conf_service *s)
{
	int vip = !lb_ip_is_unset(&s->vip);

	if (s->port_lo == s->port_hi)
		return vip ? PRIO_EXACT_VIP : PRIO_EXACT_ALL;
	if (s->port_lo == 0 && s->port_hi == 65535)
		return vip ? PRIO_ANY_VIP : PRIO_ANY_ALL;
	return vip ? PRIO_RANGE_VIP : PRIO_RANGE_ALL;
}

/* Collect the intervals that apply to VIP addr (NULL: services on every
 * VIP only) for one protocol. */
static unsigned int
collect(const struct lb_core *core, const struct lb_ip *addr, uint8_t proto,
	struct interval *iv)
{
	unsigned int i, n = 0;

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];

		if (cs == NULL || cs->conf.proto != proto ||
		    (!lb_ip_is_unset(&cs->conf.vip) &&
		     (addr == NULL || !lb_ip_eq(&cs->conf.vip, addr))))
			continue;
		iv[n++] = (struct interval){
			.lo = cs->conf.port_lo, .hi = cs->conf.port_hi,
			.target = (uint16_t)i, .kind = LB_RANGE_SERVICE,
			.prio = service_prio(&cs->conf),
		};
	}
	for (i = 0; i < LB_MAX_MEMBERS; i++) {
		const struct lb_core_member *m = &core->members[i];

		if (!m->used || !m->conf.has_sports)
			continue;
		iv[n++] = (struct interval){
			.lo = m->conf.sport_lo, .hi = m->conf.sport_hi,
			.target = (uint16_t)i, .kind = LB_RANGE_MEMBER,
			.prio = PRIO_MEMBER,
		};
	}
	return n;
}

static bool
has_vip_service(const struct lb_core *core, const struct lb_ip *addr)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_SERVICES; i++)
		if (core->services[i] != NULL &&
		    lb_ip_eq(&core->services[i]->conf.vip, addr))
			return true;
	return false;
}

static const uint8_t proto_of_idx[2] = {
	[LB_PROTO_TCP] = LB_IPPROTO_TCP,
	[LB_PROTO_UDP] = LB_IPPROTO_UDP,
};

/* Port ranges of every VIP. VIPs without a service of their own share
 * the list built for services on every VIP. */
static int
build_ranges(const struct lb_core *core, struct lb_snap_vip *vips,
	     struct range_buf *rb)
{
	struct interval *iv;
	uint32_t shared_first[2];
	uint16_t shared_count[2];
	unsigned int i, p, n;
	int rc = 0;

	iv = malloc((LB_MAX_SERVICES + LB_MAX_MEMBERS) * sizeof(*iv));
	if (iv == NULL)
		return -ENOMEM;
	for (p = 0; p < 2 && rc == 0; p++) {
		shared_first[p] = rb->n;
		n = collect(core, NULL, proto_of_idx[p], iv);
		rc = flatten(iv, n, rb, &shared_count[p]);
	}
	for (i = 0; i < core->n_vips && rc == 0; i++) {
		vips[i].addr = core->vips[i];
		for (p = 0; p < 2 && rc == 0; p++) {
			if (!has_vip_service(core, &core->vips[i])) {
				vips[i].first[p] = shared_first[p];
				vips[i].count[p] = shared_count[p];
				continue;
			}
			vips[i].first[p] = rb->n;
			n = collect(core, &core->vips[i], proto_of_idx[p], iv);
			rc = flatten(iv, n, rb, &vips[i].count[p]);
		}
	}
	free(iv);
	return rc;
}

bool
lb_core_member_settled(const struct lb_core *core, unsigned int svc,
		       unsigned int member)
{
	const struct lb_core_service *cs;
	const struct lb_core_member *m;

	if (svc >= LB_MAX_SERVICES || member >= LB_MAX_MEMBERS)
		return false;
	cs = core->services[svc];
	m = &core->members[member];
	return cs != NULL && m->used && !m->removing && cs->bound[member] &&
	       m->mac_state != LB_MAC_FAILED &&
	       m->conf.state == LB_ADMIN_UP && m->conf.weight > 0 &&
	       cs->health[member] == LB_HEALTH_UP;
}

bool
lb_core_member_usable(const struct lb_core *core, unsigned int svc,
		      unsigned int member)
{
	return lb_core_member_settled(core, svc, member) &&
	       lb_mac_known(core->members[member].mac_state);
}

/* A member keeps the flows it has if it is still bound, healthy, not
 * disabled and not unreachable: draining or weight 0 only stop new ones,
 * and a MAC being resolved only makes its packets wait. */
static uint8_t member_state(const struct lb_core *core, unsigned int svc,
			    unsigned int member);

uint8_t
lb_core_member_mstate(const struct lb_core *core, unsigned int svc,
		      unsigned int member)
{
	if (svc >= LB_MAX_SERVICES || core->services[svc] == NULL ||
	    member >= LB_MAX_MEMBERS)
		return LB_MS_NONE;
	return member_state(core, svc, member);
}

static uint8_t
member_state(const struct lb_core *core, unsigned int svc, unsigned int member)
{
	const struct lb_core_service *cs = core->services[svc];
	const struct lb_core_member *m = &core->members[member];

	if (lb_core_member_usable(core, svc, member))
		return LB_MS_ACTIVE;
	if (!m->used || !cs->bound[member] || m->mac_state == LB_MAC_FAILED ||
	    m->conf.state == LB_ADMIN_DISABLED ||
	    cs->health[member] != LB_HEALTH_UP)
		return LB_MS_NONE;
	if (!lb_mac_known(m->mac_state))
		return LB_MS_WAIT;
	return m->removing ? LB_MS_RETIRE : LB_MS_DRAIN;
}

static bool converged(const struct lb_core *core, unsigned int svc);

/* Members of a service in a set, as Maglev backends and as the key
 * that says whether a kept table still fits; their count. */
static unsigned int
backends(const struct lb_core *core, unsigned int svc, bool settled,
	 struct lb_sched_backend *be, struct lb_core_be *key)
{
	unsigned int m, n = 0;

	for (m = 0; m < LB_MAX_MEMBERS; m++)
		if (settled ? lb_core_member_settled(core, svc, m) :
			      lb_core_member_usable(core, svc, m)) {
			be[n] = (struct lb_sched_backend){
				.name = core->members[m].conf.name,
				.id = (uint16_t)m,
				.weight = core->members[m].conf.weight,
			};
			key[n] = (struct lb_core_be){
				.slot = (uint16_t)m, .gen = core->members[m].gen,
				.weight = core->members[m].conf.weight,
			};
			n++;
		}
	return n;
}

enum table_kind { TABLE_MAGLEV, TABLE_WRR };

/*
 * A table for a member list: the kept one if it was built from the same
 * list (same members, generations and weights, same size), else a new
 * one; the replaced one is retired after the next publication.
 */
static int
table_get(struct lb_core *core, struct lb_core_table *t, enum table_kind kind,
	  uint32_t size, const struct lb_sched_backend *be,
	  const struct lb_core_be *key, unsigned int n)
{
	struct lb_core_be *k = NULL;
	uint16_t *tab;
	uint32_t len = size;

	if (t->t != NULL && t->n_key == n &&
	    (kind == TABLE_WRR || t->size == size) &&
	    (n == 0 || memcmp(t->key, key, n * sizeof(*key)) == 0))
		return 0;
	if (kind == TABLE_WRR)
		len = lb_wrr_len(be, n);
	tab = rte_malloc_socket("lb_table", lb_core_table_bytes(len),
				RTE_CACHE_LINE_SIZE, core->p.socket_id);
	if (n > 0) {
		k = malloc(n * sizeof(*k));
		if (k != NULL)
			memcpy(k, key, n * sizeof(*k));
	}
	if (tab == NULL || (n > 0 && k == NULL)) {
		rte_free(tab);
		free(k);
		return -ENOMEM;
	}
	if (kind == TABLE_MAGLEV) {
		int rc = lb_maglev_build(tab, size, be, n);

		if (rc != 0) {
			rte_free(tab);
			free(k);
			return rc;
		}
	} else if (len > 0 && lb_wrr_build(tab, be, n) != len) {
		rte_free(tab);
		free(k);
		return -ENOMEM;
	}
	lb_core_table_drop(core, t, false);
	t->t = tab;
	t->size = len;
	t->key = k;
	t->n_key = n;
	core->tables_built++;
	return 0;
}

/* Persistence records of a service: kept while the service (slot and
 * generation) keeps persistence on. */
static int
persist_get(struct lb_core *core, unsigned int svc,
	    const struct lb_core_service *cs)
{
	struct lb_core_rt *rt = &core->rt[svc];
	uint32_t n;

	if (cs->conf.persistence == 0 || cs->conf.stateless) {
		if (rt->persist != NULL)
			lb_core_defer(core, rt->persist, LB_GARBAGE_PERSIST);
		rt->persist = NULL;
		return 0;
	}
	if (rt->persist != NULL)
		return 0;
	n = lb_persist_records(core->flows.capacity);
	rt->persist = lb_persist_create(n, core->p.socket_id);
	return rt->persist != NULL ? 0 : -ENOMEM;
}

/* Bring the kept tables of every service slot in line with the state:
 * drop those of removed or replaced services, build what changed. */
static int
tables_update(struct lb_core *core, struct lb_sched_backend *be,
	      struct lb_core_be *key)
{
	unsigned int i, n;
	int rc;

	/* a member slot that changes hands leaves no client behind: a
	 * record names its member's generation too (lb_persist.h), so
	 * nothing needs forgetting here */
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];
		struct lb_core_rt *rt = &core->rt[i];

		if (cs == NULL || rt->gen != cs->gen) {
			lb_core_rt_retire(core, i);
			rt->gen = cs != NULL ? cs->gen : 0;
		}
		if (cs == NULL)
			continue;
		n = backends(core, i, false, be, key);
		rc = table_get(core, &rt->maglev, TABLE_MAGLEV,
			       cs->conf.table_size, be, key, n);
		if (rc == 0 && cs->conf.sched == LB_SCHED_WRR)
			rc = table_get(core, &rt->wrr, TABLE_WRR, 0, be, key, n);
		else if (rc == 0)
			lb_core_table_drop(core, &rt->wrr, false);
		if (rc == 0 && converged(core, i)) {
			lb_core_table_drop(core, &rt->settled, false);
		} else if (rc == 0) {
			n = backends(core, i, true, be, key);
			rc = table_get(core, &rt->settled, TABLE_MAGLEV,
				       cs->conf.table_size, be, key, n);
		}
		if (rc == 0)
			rc = persist_get(core, i, cs);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* True if every settled member of a service is usable: one table. */
static bool
converged(const struct lb_core *core, unsigned int svc)
{
	unsigned int m;

	for (m = 0; m < LB_MAX_MEMBERS; m++)
		if (lb_core_member_settled(core, svc, m) &&
		    !lb_core_member_usable(core, svc, m))
			return false;
	return true;
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

static void
addr_insert(struct lb_addr_slot *t, uint32_t mask, uint32_t addr,
	    uint8_t kind, uint16_t idx)
{
	uint32_t i = rte_hash_crc_4byte(addr, LB_HASH_SEED) & mask;

	while (t[i].kind != 0 && t[i].addr != addr)
		i = (i + 1) & mask;
	t[i] = (struct lb_addr_slot){ .addr = addr, .kind = kind, .idx = idx };
}

static void
addr6_insert(struct lb_addr6_slot *t, uint32_t mask, const struct lb_ip *addr,
	     uint8_t kind, uint16_t idx)
{
	uint32_t i = lb_snap_addr6_hash(addr->b) & mask;

	while (t[i].kind != 0 && memcmp(t[i].addr, addr->b, 16) != 0)
		i = (i + 1) & mask;
	memcpy(t[i].addr, addr->b, 16);
	t[i].kind = kind;
	t[i].idx = idx;
}

static uint32_t
vips6_of(const struct lb_core *core)
{
	uint32_t i, n = 0;

	for (i = 0; i < core->n_vips; i++)
		n += !lb_ip_is4(&core->vips[i]);
	return n;
}

/* Slots of the address tables: a power of two, at most half full. */
static uint32_t
addr_slots_of(const struct lb_core *core)
{
	uint32_t m, n_members = 0;

	for (m = 0; m < LB_MAX_MEMBERS; m++)
		n_members += core->members[m].used;
	return pow2_at_least(2 * (core->n_vips - vips6_of(core) +
				  2 * core->n_ports + n_members +
				  LB_ROUTERS_MAX + LB_SYNC_PEERS_MAX) + 1);
}

static uint32_t
addr6_slots_of(const struct lb_core *core)
{
	uint32_t m, n_members = 0;

	for (m = 0; m < LB_MAX_MEMBERS; m++)
		n_members += core->members[m].used;
	return pow2_at_least(2 * (vips6_of(core) + 3 * core->n_ports +
				  n_members + 1) + 1);
}

/* The one allocation a snapshot's small parts are carved from. */
static size_t
arena_size(const struct lb_core *core, uint32_t n_ranges)
{
	size_t size;
	unsigned int i;

	size = RTE_ALIGN_CEIL(sizeof(struct lb_snapshot), RTE_CACHE_LINE_SIZE);
	size += RTE_ALIGN_CEIL(addr_slots_of(core) * sizeof(struct lb_addr_slot),
			       RTE_CACHE_LINE_SIZE);
	size += RTE_ALIGN_CEIL(addr6_slots_of(core) *
			       sizeof(struct lb_addr6_slot),
			       RTE_CACHE_LINE_SIZE);
	size += RTE_ALIGN_CEIL((core->n_vips + 1) * sizeof(struct lb_snap_vip),
			       RTE_CACHE_LINE_SIZE);
	size += RTE_ALIGN_CEIL((n_ranges + 1) * sizeof(struct lb_range),
			       RTE_CACHE_LINE_SIZE);
	for (i = 0; i < LB_MAX_SERVICES; i++)
		if (core->services[i] != NULL)
			size += RTE_ALIGN_CEIL(LB_MAX_MEMBERS, RTE_CACHE_LINE_SIZE) +
				2 * RTE_ALIGN_CEIL(LB_MAX_MEMBERS * sizeof(uint16_t),
						   RTE_CACHE_LINE_SIZE);
	return size;
}

size_t
lb_snap_size(const struct lb_core *core)
{
	struct lb_snap_vip *vips_tmp = calloc(core->n_vips + 1,
					      sizeof(*vips_tmp));
	struct range_buf rb = { 0 };
	size_t size = 0;

	if (vips_tmp != NULL && build_ranges(core, vips_tmp, &rb) == 0)
		size = arena_size(core, rb.n);
	free(rb.r);
	free(vips_tmp);
	return size;
}

/* Carve aligned pieces out of one allocation. */
static void *
carve(uint8_t **cursor, size_t size)
{
	void *p = *cursor;

	*cursor += RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE);
	return p;
}

/*
 * Everything a worker needs. The small per-snapshot parts sit in one
 * allocation, freed in one call; the scheduling tables are kept from
 * one snapshot to the next while their members do not change (a commit
 * after a weight change in one service rebuilds that service's tables
 * only), and persistence records live as long as their service.
 * Members and services keep their slots, so flow entries (which hold
 * member slots) stay meaningful from one snapshot to the next.
 */
struct lb_snapshot *
lb_snap_build(struct lb_core *core)
{
	struct lb_sched_backend *be = NULL;
	struct lb_core_be *key = NULL;
	struct range_buf rb = { 0 };
	struct lb_snap_vip *vips_tmp = NULL;
	struct lb_snapshot *s = NULL;
	struct lb_addr_slot *addrs;
	struct lb_addr6_slot *addrs6;
	uint32_t addr_slots, addr6_slots, i, m;
	size_t size;
	uint8_t *cur;
	int rc;

	be = malloc(LB_MAX_MEMBERS * sizeof(*be));
	key = malloc(LB_MAX_MEMBERS * sizeof(*key));
	vips_tmp = calloc(core->n_vips + 1, sizeof(*vips_tmp));
	if (be == NULL || key == NULL || vips_tmp == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = build_ranges(core, vips_tmp, &rb);
	if (rc == 0)
		rc = tables_update(core, be, key);
	if (rc != 0)
		goto fail;

	addr_slots = addr_slots_of(core);
	addr6_slots = addr6_slots_of(core);
	size = arena_size(core, rb.n);
	cur = rte_zmalloc_socket("lb_snapshot", size, RTE_CACHE_LINE_SIZE,
				 core->p.socket_id);
	if (cur == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	s = carve(&cur, sizeof(*s));
	s->arena = s;
	s->active = core->active;
	s->vip_arp = core->active && core->settings.ha.mode != LB_HA_ECMP;
	s->vrrp = core->settings.ha.mode == LB_HA_VRRP;
	s->sync = core->settings.ha.sync;
	s->n_ports = (uint8_t)core->n_ports;

	s->addr_mask = addr_slots - 1;
	addrs = carve(&cur, addr_slots * sizeof(*addrs));
	/* sources the own-address lanes trust, first: a VIP, own address
	 * or member of the same address takes the slot over */
	for (i = 0; i < core->n_ports; i++)
		if (core->ports[i].conf.gateway != 0)
			addr_insert(addrs, s->addr_mask,
				    core->ports[i].conf.gateway,
				    LB_ADDR_ROUTER, (uint16_t)i);
	for (i = 0; i < core->settings.ha.n_routers; i++)
		addr_insert(addrs, s->addr_mask, core->settings.ha.routers[i],
			    LB_ADDR_ROUTER, (uint16_t)i);
	for (i = 0; core->settings.ha.sync && i < core->settings.ha.n_peers;
	     i++)
		addr_insert(addrs, s->addr_mask, core->settings.ha.peers[i],
			    LB_ADDR_PEER, (uint16_t)i);
	for (i = 0; i < core->n_vips; i++)
		if (lb_ip_is4(&core->vips[i]))
			addr_insert(addrs, s->addr_mask,
				    lb_ip_v4(&core->vips[i]), LB_ADDR_VIP,
				    (uint16_t)i);
	for (i = 0; i < core->n_ports; i++)
		addr_insert(addrs, s->addr_mask, core->ports[i].conf.addr,
			    LB_ADDR_OWN, (uint16_t)i);
	/* members cannot be VIPs or own addresses (the core refuses it):
	 * no slot is shared */
	for (m = 0; m < LB_MAX_MEMBERS; m++)
		if (core->members[m].used &&
		    lb_ip_is4(&core->members[m].conf.addr))
			addr_insert(addrs, s->addr_mask,
				    lb_ip_v4(&core->members[m].conf.addr),
				    LB_ADDR_MEMBER, (uint16_t)m);
	s->addrs = addrs;

	/* IPv6, in the same order: gateways, VIPs, own addresses, members */
	s->addr6_mask = addr6_slots - 1;
	addrs6 = carve(&cur, addr6_slots * sizeof(*addrs6));
	for (i = 0; i < core->n_ports; i++)
		if (!lb_ip_is_unset(&core->ports[i].conf.gateway6))
			addr6_insert(addrs6, s->addr6_mask,
				     &core->ports[i].conf.gateway6,
				     LB_ADDR_ROUTER, (uint16_t)i);
	/* the ecmp next hop (the workers answer Neighbor Solicitations
	 * for it), which a VIP of the same address (added at runtime)
	 * replaces */
	if (!lb_ip_is_unset(&core->settings.ha.next_hop6))
		addr6_insert(addrs6, s->addr6_mask,
			     &core->settings.ha.next_hop6, LB_ADDR_OWN, 0);
	for (i = 0; i < core->n_vips; i++)
		if (!lb_ip_is4(&core->vips[i]))
			addr6_insert(addrs6, s->addr6_mask, &core->vips[i],
				     LB_ADDR_VIP, (uint16_t)i);
	for (i = 0; i < core->n_ports; i++) {
		struct lb_ip ll;

		if (lb_ip_is_unset(&core->ports[i].conf.addr6))
			continue;
		addr6_insert(addrs6, s->addr6_mask, &core->ports[i].conf.addr6,
			     LB_ADDR_OWN, (uint16_t)i);
		/* the kernel interface's link-local address (the port's
		 * MAC's, RFC 4291 2.5.6): its Neighbor Discovery and a
		 * router's link-local next hop use it */
		ll = lb_ip_link_local_of(core->ports[i].mac);
		addr6_insert(addrs6, s->addr6_mask, &ll, LB_ADDR_OWN,
			     (uint16_t)i);
	}
	for (m = 0; m < LB_MAX_MEMBERS; m++)
		if (core->members[m].used &&
		    !lb_ip_is4(&core->members[m].conf.addr))
			addr6_insert(addrs6, s->addr6_mask,
				     &core->members[m].conf.addr,
				     LB_ADDR_MEMBER, (uint16_t)m);
	s->addrs6 = addrs6;

	s->vips = carve(&cur, (core->n_vips + 1) * sizeof(*s->vips));
	memcpy((void *)(uintptr_t)s->vips, vips_tmp,
	       core->n_vips * sizeof(*s->vips));
	s->n_vips = core->n_vips;
	s->ranges = carve(&cur, (rb.n + 1) * sizeof(*s->ranges));
	if (rb.n > 0)
		memcpy((void *)(uintptr_t)s->ranges, rb.r,
		       rb.n * sizeof(*s->ranges));

	/* syn_timeout is the timeout of every provisional entry */
	s->timeouts.t[LB_FLOW_TCP_SYN] = core->flows.syn_timeout * LB_FLOW_HZ;
	s->timeouts.t[LB_FLOW_TCP_MID] = core->flows.syn_timeout * LB_FLOW_HZ;
	s->timeouts.t[LB_FLOW_UDP_NEW] = core->flows.syn_timeout * LB_FLOW_HZ;
	s->timeouts.t[LB_FLOW_TCP_EST] = core->flows.tcp_timeout * LB_FLOW_HZ;
	s->timeouts.t[LB_FLOW_TCP_CLOSING] = core->flows.fin_timeout * LB_FLOW_HZ;
	s->timeouts.t[LB_FLOW_UDP] = core->flows.udp_timeout * LB_FLOW_HZ;

	for (i = 0; i < core->n_ports; i++) {
		const struct lb_core_port *p = &core->ports[i];

		memcpy(s->ports[i].mac, p->mac, LB_ETH_ALEN);
		s->ports[i].vlan = p->conf.vlan;
		s->ports[i].dpdk_port = p->dpdk_port;
		s->ports[i].mtu = p->conf.mtu;
		s->ports[i].max_frame = (uint16_t)(p->conf.mtu + LB_ETH_HLEN +
						   (p->conf.vlan != 0 ?
						    LB_VLAN_HLEN : 0));
		s->ports[i].addr = p->conf.addr;
		s->ports[i].mask = htonl(~0u << (32 - p->conf.prefix));
	}

	for (m = 0; m < LB_MAX_MEMBERS; m++) {
		const struct lb_core_member *cm = &core->members[m];
		struct lb_snap_member *sm = &s->members[m];

		sm->gen = cm->gen;
		if (!cm->used)
			continue;
		sm->flags = LB_SM_VALID;
		if (lb_mac_known(cm->mac_state) &&
		    cm->conf.state != LB_ADMIN_DISABLED)
			sm->flags |= LB_SM_FWD;
		memcpy(sm->mac, cm->mac, LB_ETH_ALEN);
		sm->port = cm->conf.port;
	}

	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];
		const struct lb_core_rt *rt = &core->rt[i];
		struct lb_snap_service *ss = &s->services[i];
		uint16_t *weight, *active;
		uint8_t *mstate;
		unsigned int n = 0;

		if (cs == NULL)
			continue;
		s->n_services = (uint16_t)(i + 1);
		ss->valid = 1;
		ss->proto = cs->conf.proto;
		ss->sched = cs->conf.sched;
		ss->stateless = cs->conf.stateless;
		ss->hash_fields = cs->conf.hash_fields;
		ss->table_size = cs->conf.table_size;
		ss->maglev = rt->maglev.t;
		ss->settled = rt->settled.t != NULL ? rt->settled.t :
			      rt->maglev.t;
		ss->wrr = rt->wrr.t;
		ss->wrr_len = rt->wrr.t != NULL ? rt->wrr.size : 0;
		ss->persist = rt->persist;
		ss->persist_s = rt->persist != NULL ? cs->conf.persistence : 0;
		ss->persist_mask = htonl(cs->conf.persist_prefix == 0 ? 0 :
					 ~0u << (32 - cs->conf.persist_prefix));
		ss->persist_prefix6 = cs->conf.persist_prefix6;

		mstate = carve(&cur, LB_MAX_MEMBERS);
		weight = carve(&cur, LB_MAX_MEMBERS * sizeof(*weight));
		active = carve(&cur, LB_MAX_MEMBERS * sizeof(*active));
		for (m = 0; m < LB_MAX_MEMBERS; m++) {
			mstate[m] = member_state(core, i, m);
			weight[m] = (uint16_t)core->members[m].conf.weight;
			if (mstate[m] == LB_MS_ACTIVE)
				active[n++] = (uint16_t)m;
		}
		ss->mstate = mstate;
		ss->weight = weight;
		ss->active_list = active;
		ss->n_active = (uint16_t)n;
	}

	free(rb.r);
	free(vips_tmp);
	free(key);
	free(be);
	return s;

fail:
	free(rb.r);
	free(vips_tmp);
	free(key);
	free(be);
	rte_errno = -rc;
	return NULL;
}
