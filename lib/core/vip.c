/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The rules of VIPs: the list is kept sorted and is added to and taken
 * from by blocks (/24 to /32); no VIP is an own address, a gateway or a
 * member, and a VIP a service names stays until the service goes.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

int
lb_core_vips_set(struct lb_core *core, const uint32_t *vips, unsigned int n)
{
	uint32_t *copy = NULL;

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
lb_core_vips_insert(struct lb_core *core, const uint32_t *add,
		    unsigned int n_add)
{
	uint32_t *v;
	unsigned int i, j, k;

	if (core->n_vips + n_add > LB_MAX_VIPS)
		return -ENOSPC;
	v = malloc((core->n_vips + n_add + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	/* merge two sorted lists */
	for (i = 0, j = 0, k = 0; i < core->n_vips || j < n_add;) {
		if (j == n_add || (i < core->n_vips &&
		    lb_conf_vip_cmp(&core->vips[i], &add[j]) < 0))
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
lb_core_vips_check_ports(const struct lb_core *core, const uint32_t *vips,
			 unsigned int n, const char *where,
			 struct lb_conf_error *err)
{
	char buf[INET_ADDRSTRLEN];
	const struct lb_conf_port *own;
	unsigned int i;

	for (i = 0; i < n; i++) {
		own = lb_core_own_address(core, vips[i]);
		if (own != NULL)
			return lb_core_fail(err, -EINVAL, where, "vips",
					    "%s is also the address or gateway of port \"%s\"",
					    lb_conf_ip_str(vips[i], buf),
					    own->name);
	}
	return 0;
}

static int
vip_block(uint32_t addr, uint8_t prefix, const char *where,
	  struct lb_conf_error *err, uint32_t *first, uint32_t *count)
{
	char buf[INET_ADDRSTRLEN];

	if (prefix < 24 || prefix > 32)
		return lb_core_fail(err, -EINVAL, where, "address",
				    "subnet masks must be /24 to /32");
	if (!lb_conf_cidr_aligned(addr, prefix))
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s/%u has host bits set",
				    lb_conf_ip_str(addr, buf), prefix);
	if (lb_conf_addr_reserved(addr))
		return lb_core_fail(err, -EINVAL, where, "address",
				    "%s cannot be a VIP (0/8, 127/8, multicast and broadcast are refused)",
				    lb_conf_ip_str(addr, buf));
	*first = ntohl(addr);
	*count = 1u << (32 - prefix);
	return 0;
}

int
lb_core_vip_add(struct lb_core *core, uint32_t addr, uint8_t prefix,
		const char *where, struct lb_conf_error *err)
{
	char buf[INET_ADDRSTRLEN];
	const struct lb_conf_port *own;
	uint32_t first, count, i, n = 0, *add;
	int rc, m;

	rc = vip_block(addr, prefix, where, err, &first, &count);
	if (rc != 0)
		return rc;
	add = malloc(count * sizeof(*add));
	if (add == NULL)
		return lb_core_fail(err, -ENOMEM, where, NULL, "out of memory");
	for (i = 0; i < count; i++) {
		uint32_t a = htonl(first + i);

		own = lb_core_own_address(core, a);
		if (own != NULL) {
			free(add);
			return lb_core_fail(err, -EINVAL, where, "address",
					    "%s is also the address or gateway of port \"%s\"",
					    lb_conf_ip_str(a, buf), own->name);
		}
		m = lb_core_member_by_addr(core, a);
		if (m >= 0) {
			free(add);
			return lb_core_fail(err, -EINVAL, where, "address",
					    "%s is member \"%s\"", lb_conf_ip_str(a, buf),
					    core->members[m].conf.name);
		}
		if (!lb_core_is_vip(core, a))
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
			 lb_conf_ip_str(addr, buf), prefix);
	}
	return (int)n;
}

int
lb_core_vip_remove(struct lb_core *core, uint32_t addr, uint8_t prefix,
		   const char *where, struct lb_conf_error *err)
{
	char buf[INET_ADDRSTRLEN];
	uint32_t first, count, a;
	unsigned int i, k, n = 0;
	bool any_service = false;
	int rc;

	rc = vip_block(addr, prefix, where, err, &first, &count);
	if (rc != 0)
		return rc;
	for (i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_core_service *cs = core->services[i];

		if (cs == NULL)
			continue;
		if (cs->conf.vip == 0)
			any_service = true;
		else if (ntohl(cs->conf.vip) - first < count)
			return lb_core_fail(err, -EBUSY, where, "address",
					    "%s is the VIP of service \"%s\": remove the service first",
					    lb_conf_ip_str(cs->conf.vip, buf),
					    cs->conf.name);
	}
	for (i = 0; i < core->n_vips; i++)
		n += ntohl(core->vips[i]) - first < count;
	if (n == core->n_vips && n > 0 && any_service)
		return lb_core_fail(err, -EBUSY, where, "address",
				    "services on every VIP (\"*\") would be left without any");
	for (i = 0, k = 0; i < core->n_vips; i++) {
		a = core->vips[i];
		if (ntohl(a) - first >= count)
			core->vips[k++] = a;
	}
	core->n_vips = k;
	if (n > 0) {
		core->dirty = true;
		core->seq++;
		CORE_SAY(core, INFO, "%u VIPs removed (%s/%u)", n,
			 lb_conf_ip_str(addr, buf), prefix);
	}
	return (int)n;
}
