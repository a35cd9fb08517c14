/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The rules of VIPs: the list (both families, struct lb_ip) is kept
 * sorted and is added to and taken from by blocks (/24 to /32 for IPv4,
 * /120 to /128 for IPv6); no VIP is an own address, a gateway or a
 * member, and a VIP a service names stays until the service goes.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

int
lb_core_vips_set(struct lb_core *core, const struct lb_ip *vips,
		 unsigned int n)
{
	struct lb_ip *copy = NULL;

	if (n > LB_MAX_VIPS)
		return -ENOSPC;
	if (n > 0) {
		copy = malloc(n * sizeof(*copy));
		if (copy == NULL)
			return -ENOMEM;
		memcpy(copy, vips, n * sizeof(*copy));
	}
	free(core->vips);
	core->vips = copy;
	core->n_vips = n;
	core->dirty = true;
	return 0;
}

int
lb_core_vips_insert(struct lb_core *core, const struct lb_ip *add,
		    unsigned int n_add)
{
	struct lb_ip *v;
	unsigned int i, j, k;

	if (core->n_vips + n_add > LB_MAX_VIPS)
		return -ENOSPC;
	v = malloc((core->n_vips + n_add + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	/* merge two sorted lists */
	for (i = 0, j = 0, k = 0; i < core->n_vips || j < n_add;) {
		if (j == n_add || (i < core->n_vips &&
		    lb_ip_cmp(&core->vips[i], &add[j]) < 0))
			v[k++] = core->vips[i++];
		else
			v[k++] = add[j++];
	}
	free(core->vips);
	core->vips = v;
	core->n_vips = k;
	core->dirty = true;
	return 0;
}

int
lb_core_vips_check_ports(const struct lb_core *core, const struct lb_ip *vips,
			 unsigned int n, const char *where,
			 struct lb_conf_error *err)
{
	char buf[LB_IP_STRLEN];
	const struct lb_conf_port *own;
	unsigned int i;

	for (i = 0; i < n; i++) {
		own = lb_core_own_address(core, &vips[i]);
		if (own != NULL)
			return lb_core_fail(err, -EINVAL, where, "vips",
					    "%s is also the address or gateway of port \"%s\"",
					    lb_ip_str(&vips[i], buf),
					    own->name);
	}
	return 0;
}

/* A block of VIPs: addr/prefix, aligned, not reserved; the number of
 * addresses it holds in *count (at most 256). */
static int
vip_block(const struct lb_ip *addr, uint8_t prefix, const char *where,
	  struct lb_conf_error *err, uint32_t *count)
{
	char buf[LB_IP_STRLEN];
	unsigned int bits = lb_ip_bits(addr);

	if (prefix > bits || prefix < (bits == 32 ? LB_VIP_PREFIX4_MIN :
				       LB_VIP_PREFIX6_MIN))
		return lb_core_fail(err, -EINVAL, where, "address", "%s",
				    LB_VIP_PREFIX_RULE);
	if (!lb_ip_cidr_aligned(addr, prefix))
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s/%u has host bits set",
				    lb_ip_str(addr, buf), prefix);
	if (lb_ip_reserved(addr))
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s cannot be a VIP (%s)",
				    lb_ip_str(addr, buf), LB_VIP_RESERVED_RULE);
	*count = 1u << (bits - prefix);
	return 0;
}

/* True if a is in the block net/prefix (of a's family). */
static bool
in_block(const struct lb_ip *a, const struct lb_ip *net, uint8_t prefix)
{
	struct lb_ip an;

	if (lb_ip_is4(a) != lb_ip_is4(net))
		return false;
	an = lb_ip_net(a, prefix);
	return lb_ip_eq(&an, net);
}

int
lb_core_vip_add(struct lb_core *core, const struct lb_ip *addr,
		uint8_t prefix, const char *where, struct lb_conf_error *err)
{
	char buf[LB_IP_STRLEN];
	const struct lb_conf_port *own;
	struct lb_ip *add;
	uint32_t count, i, n = 0;
	int rc, m;

	rc = vip_block(addr, prefix, where, err, &count);
	if (rc != 0)
		return rc;
	add = malloc(count * sizeof(*add));
	if (add == NULL)
		return lb_core_fail(err, -ENOMEM, where, NULL, "out of memory");
	for (i = 0; i < count; i++) {
		struct lb_ip a = lb_ip_add(addr, i);

		own = lb_core_own_address(core, &a);
		if (own != NULL) {
			free(add);
			return lb_core_fail(err, -EINVAL, where, "address",
					    "%s is also the address or gateway of port \"%s\"",
					    lb_ip_str(&a, buf), own->name);
		}
		m = lb_core_member_by_addr(core, &a);
		if (m >= 0) {
			free(add);
			return lb_core_fail(err, -EINVAL, where, "address",
					    "%s is member \"%s\"",
					    lb_ip_str(&a, buf),
					    core->members[m].conf.name);
		}
		if (!lb_core_is_vip(core, &a))
			add[n++] = a;
	}
	rc = n > 0 ? lb_core_vips_insert(core, add, n) : 0;
	free(add);
	if (rc != 0)
		return lb_core_fail(err, rc, where, "address", "%s",
				    rc == -ENOSPC ? "too many VIPs" :
				    "out of memory");
	if (n > 0) {
		core->seq++;
		CORE_SAY(core, INFO, "%u VIPs added (%s/%u)", n,
			 lb_ip_str(addr, buf), prefix);
	}
	return (int)n;
}

int
lb_core_vip_remove(struct lb_core *core, const struct lb_ip *addr,
		   uint8_t prefix, const char *where,
		   struct lb_conf_error *err)
{
	char buf[LB_IP_STRLEN];
	unsigned int i, k, n = 0;
	bool any_service = false;
	uint32_t count;
	int rc;

	rc = vip_block(addr, prefix, where, err, &count);
	if (rc != 0)
		return rc;
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];

		if (cs == NULL)
			continue;
		if (lb_ip_is_unset(&cs->conf.vip))
			any_service = true;
		else if (in_block(&cs->conf.vip, addr, prefix))
			return lb_core_fail(err, -EBUSY, where, "address",
					    "%s is the VIP of service \"%s\": remove the service first",
					    lb_ip_str(&cs->conf.vip, buf),
					    cs->conf.name);
	}
	for (i = 0; i < core->n_vips; i++)
		n += in_block(&core->vips[i], addr, prefix);
	if (n == core->n_vips && n > 0 && any_service)
		return lb_core_fail(err, -EBUSY, where, "address",
				    "services on every VIP (\"*\") would be left without any");
	for (i = 0, k = 0; i < core->n_vips; i++)
		if (!in_block(&core->vips[i], addr, prefix))
			core->vips[k++] = core->vips[i];
	core->n_vips = k;
	if (n > 0) {
		core->dirty = true;
		core->seq++;
		CORE_SAY(core, INFO, "%u VIPs removed (%s/%u)", n,
			 lb_ip_str(addr, buf), prefix);
	}
	return (int)n;
}
