/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The balancer's own addresses: its data ports (address, subnet,
 * gateway, VLAN, MTU; no two subnets overlap) and its VIPs, from
 * "vips" and from a file in the seed's vipaddrs format.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lb_config.h"
#include "config_internal.h"

static const char *const port_keys[] = {
	"name", "device", "address", "gateway", "vlan", "mtu", NULL };

/* The IPv4 address: "198.51.100.2/24" (/8 to /30), not the subnet's
 * network or broadcast address, no subnet overlapping an earlier
 * port's. The path is at the string. */
static int
port_addr4(struct conf_ctx *c, const char *s, uint32_t addr, uint8_t prefix,
	   struct lb_conf_port *p, unsigned int idx)
{
	uint32_t host, mask;
	unsigned int j;

	if (prefix < 8 || prefix > 30)
		return conf_fail(c, "\"%s\": an IPv4 port address takes a subnet length of /8 to /30",
				 s);
	if (lb_conf_addr_reserved(addr))
		return conf_fail(c, "\"%s\": 0/8, 127/8, multicast and broadcast cannot be the port's address",
				 s);
	mask = ~0u << (32 - prefix);
	host = ntohl(addr) & ~mask;
	if (host == 0 || host == ~mask)
		return conf_fail(c, "\"%s\" is the subnet's network or broadcast address",
				 s);
	for (j = 0; j < idx; j++) {
		const struct lb_conf_port *q = &c->conf->ports[j];
		uint8_t pl = prefix < q->prefix ? prefix : q->prefix;

		if (lb_conf_in_subnet(addr, q->addr, pl))
			return conf_fail(c, "subnet of \"%s\" overlaps port \"%s\" (ports[%u])",
					 s, q->name, j);
	}
	p->addr = addr;
	p->prefix = prefix;
	return 0;
}

/* The IPv6 address: "2001:db8:5::2/64" (/16 to /127), global or unique
 * local, not the subnet-router anycast address (host part 0), no subnet
 * overlapping an earlier port's. */
static int
port_addr6(struct conf_ctx *c, const char *s, const struct lb_ip *a,
	   uint8_t prefix, struct lb_conf_port *p, unsigned int idx)
{
	unsigned int j;

	if (prefix < 16 || prefix > 127)
		return conf_fail(c, "\"%s\": an IPv6 port address takes a subnet length of /16 to /127",
				 s);
	if (lb_ip_reserved(a))
		return conf_fail(c, "\"%s\": ::, ::1, link-local and multicast addresses cannot be the port's address",
				 s);
	if (lb_ip_cidr_aligned(a, prefix))
		return conf_fail(c, "\"%s\" is the subnet-router anycast address (host part 0)",
				 s);
	for (j = 0; j < idx; j++) {
		const struct lb_conf_port *q = &c->conf->ports[j];
		uint8_t pl = prefix < q->prefix6 ? prefix : q->prefix6;
		struct lb_ip x, y;

		if (lb_ip_is_unset(&q->addr6))
			continue;
		x = lb_ip_net(a, pl);
		y = lb_ip_net(&q->addr6, pl);
		if (lb_ip_eq(&x, &y))
			return conf_fail(c, "subnet of \"%s\" overlaps port \"%s\" (ports[%u])",
					 s, q->name, j);
	}
	p->addr6 = *a;
	p->prefix6 = prefix;
	return 0;
}

/* One "address" string: either family, at most one of each. */
static int
port_address(struct conf_ctx *c, const char *s, struct lb_conf_port *p,
	     unsigned int idx)
{
	struct lb_ip a;
	uint8_t prefix;

	if (strchr(s, '/') == NULL || lb_ip_parse_cidr(s, 0, 0, &a, &prefix) != 0)
		return conf_fail(c, "\"%s\": expected the port's address with its subnet length, such as 198.51.100.2/24 or 2001:db8:5::2/64",
				 s);
	if (lb_ip_is4(&a)) {
		if (p->addr != 0)
			return conf_fail(c, "\"%s\": the port has an IPv4 address already (one per family)",
					 s);
		return port_addr4(c, s, lb_ip_v4(&a), prefix, p, idx);
	}
	if (!lb_ip_is_unset(&p->addr6))
		return conf_fail(c, "\"%s\": the port has an IPv6 address already (one per family)",
				 s);
	return port_addr6(c, s, &a, prefix, p, idx);
}

/* One "gateway" string: another address in the port's subnet of its
 * family (an IPv6 gateway may be link-local, as routers advertise
 * themselves), at most one per family. */
static int
port_gateway(struct conf_ctx *c, const char *s, struct lb_conf_port *p,
	     unsigned int idx)
{
	struct lb_ip a;
	uint8_t prefix;

	(void)idx;
	if (strchr(s, '/') != NULL || lb_ip_parse_cidr(s, 0, 0, &a, &prefix) != 0)
		return conf_fail(c, "\"%s\" is not an IPv4 or IPv6 address", s);
	if (lb_ip_is4(&a)) {
		uint32_t gw = lb_ip_v4(&a);

		if (p->gateway != 0)
			return conf_fail(c, "\"%s\": the port has an IPv4 gateway already (one per family)",
					 s);
		if (p->addr == 0 || !lb_conf_in_subnet(gw, p->addr, p->prefix) ||
		    gw == p->addr)
			return conf_fail(c, "%s is not another address in the port's IPv4 subnet",
					 s);
		p->gateway = gw;
		return 0;
	}
	if (!lb_ip_is_unset(&p->gateway6))
		return conf_fail(c, "\"%s\": the port has an IPv6 gateway already (one per family)",
				 s);
	if (lb_ip_is_unset(&p->addr6))
		return conf_fail(c, "%s: the port has no IPv6 address", s);
	if (!lb_ip_link_local(&a) &&
	    (!lb_ip_in_net(&a, &p->addr6, p->prefix6) ||
	     lb_ip_eq(&a, &p->addr6) ||
	     lb_ip_reserved(&a) || lb_ip_cidr_aligned(&a, p->prefix6)))
		return conf_fail(c, "%s is neither another address in the port's IPv6 subnet nor link-local",
				 s);
	p->gateway6 = a;
	return 0;
}

/* key: one string, or an array of one string per family; each goes to
 * fn with the path at it. */
static int
port_each(struct conf_ctx *c, json_t *o, const char *key, bool required,
	  struct lb_conf_port *p, unsigned int idx,
	  int (*fn)(struct conf_ctx *, const char *, struct lb_conf_port *,
		    unsigned int))
{
	json_t *v = json_object_get(o, key), *e;
	size_t mark, m2;
	char s[LB_CIDR_STRLEN];
	size_t i;
	int rc = 0;

	if (v == NULL || json_is_string(v)) {
		rc = conf_get_string(c, o, key, required, s, sizeof(s));
		if (rc != 0)
			return rc;
		mark = conf_push_key(c, key);
		rc = fn(c, s, p, idx);
		conf_pop(c, mark);
		return rc;
	}
	mark = conf_push_key(c, key);
	if (!json_is_array(v) || json_array_size(v) < 1 ||
	    json_array_size(v) > 2) {
		rc = conf_fail(c, "expected a string or an array of one per family (IPv4, IPv6), got %s",
			       json_is_array(v) ? "an array of another length" :
			       conf_type_name(v));
		conf_pop(c, mark);
		return rc;
	}
	json_array_foreach(v, i, e) {
		m2 = conf_push_index(c, i);
		if (!json_is_string(e))
			rc = conf_fail(c, "expected a string, got %s",
				       conf_type_name(e));
		else if (json_string_length(e) >= sizeof(s))
			rc = conf_fail(c, "longer than %zu characters",
				       sizeof(s) - 1);
		else
			rc = fn(c, json_string_value(e), p, idx);
		conf_pop(c, m2);
		if (rc != 0)
			break;
	}
	conf_pop(c, mark);
	return rc;
}

/* ports[idx]: checked against the ports before it */
static int
parse_port(struct conf_ctx *c, json_t *o, void *elem, unsigned int idx)
{
	struct lb_conf_port *p = elem;
	uint32_t vlan, mtu;
	unsigned int j;
	size_t mark;
	int rc;

	if ((rc = conf_check_keys(c, o, port_keys)) != 0 ||
	    (rc = conf_get_name(c, o, p->name)) != 0)
		return rc;
	for (j = 0; j < idx; j++)
		if (strcmp(c->conf->ports[j].name, p->name) == 0) {
			mark = conf_push_key(c, "name");
			rc = conf_fail(c, "duplicate port name \"%s\" (also ports[%u])",
				       p->name, j);
			conf_pop(c, mark);
			return rc;
		}
	if (conf_get_string(c, o, "device", false, p->device,
			    sizeof(p->device)) < 0)
		return -EINVAL;

	if ((rc = port_each(c, o, "address", true, p, idx, port_address)) != 0)
		return rc;
	if (p->addr == 0) {
		/* IPv6-only ports are not done: ARP, the kernel interface
		 * and health checks of IPv4 members need the address */
		mark = conf_push_key(c, "address");
		rc = conf_fail(c, "the port needs an IPv4 address (an IPv6 one may come beside it)");
		conf_pop(c, mark);
		return rc;
	}
	if ((rc = port_each(c, o, "gateway", false, p, idx, port_gateway)) < 0)
		return rc;
	if (conf_get_uint(c, o, "vlan", 1, 4094, 0, &vlan) < 0)
		return -EINVAL;
	p->vlan = (uint16_t)vlan;
	/* the NIC's own range is known only once it is probed (start) */
	if (conf_get_uint(c, o, "mtu", LB_MTU_MIN, LB_MTU_MAX, LB_MTU_DEFAULT,
			  &mtu) < 0)
		return -EINVAL;
	p->mtu = (uint16_t)mtu;
	return 0;
}

int
conf_parse_ports(struct conf_ctx *c, json_t *root)
{
	static const struct conf_obj_array ports = {
		.key = "ports", .noun = "ports", .min = 1,
		.max = LB_MAX_PORTS, .size = sizeof(struct lb_conf_port),
		.decode = parse_port,
	};
	void *items = c->conf->ports;

	return conf_get_object_array(c, root, &ports, &items,
				     &c->conf->n_ports);
}

/* Slots of a VIP array holding n addresses (and one more): a power of
 * two, so adding a /24 address by address copies the array a few
 * times, not once per address. */
static unsigned int
vips_room(unsigned int n)
{
	unsigned int room = 16;

	while (room < n + 1)
		room *= 2;
	return room;
}

static int
add_vips(struct conf_ctx *c, const struct lb_ip *v, unsigned int n)
{
	struct lb_conf *conf = c->conf;
	struct lb_ip *grown;

	if (conf->n_vips + n > LB_MAX_VIPS)
		return conf_fail(c, "more than %d VIP addresses", LB_MAX_VIPS);
	if (conf->vips == NULL ||
	    vips_room(conf->n_vips + n) > vips_room(conf->n_vips)) {
		grown = realloc(conf->vips, vips_room(conf->n_vips + n) *
				sizeof(*grown));
		if (grown == NULL)
			return conf_fail(c, "out of memory");
		conf->vips = grown;
	}
	memcpy(conf->vips + conf->n_vips, v, n * sizeof(*v));
	conf->n_vips += n;
	return 0;
}

/* A relative vip_file is found next to the configuration file, so a
 * configuration and its vipaddrs can move together. */
static void
resolve_relative(const char *source, const char *file, char *out, size_t size)
{
	const char *slash = strrchr(source, '/');

	if (file[0] == '/' || slash == NULL)
		snprintf(out, size, "%s", file);
	else
		snprintf(out, size, "%.*s/%s", (int)(slash - source), source,
			 file);
}

/* vip_file: the seed's vipaddrs format, next to the configuration
 * file when relative */
static int
parse_vip_file(struct conf_ctx *c, json_t *root)
{
	struct lb_conf *conf = c->conf;
	char path[2 * LB_PATH_MAX];
	unsigned int n;
	struct lb_ip *fv;
	size_t mark;
	char *text;
	int rc, err = 0;

	rc = conf_get_string(c, root, "vip_file", false, conf->vip_file,
			     sizeof(conf->vip_file));
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mark = conf_push_key(c, "vip_file");
	resolve_relative(c->source, conf->vip_file, path, sizeof(path));
	text = conf_read_file(path, &err);
	if (text == NULL) {
		rc = conf_fail(c, "cannot read \"%s\": %s", conf->vip_file,
			       err == EILSEQ ? "contains a NUL byte" :
			       strerror(err));
		conf_pop(c, mark);
		return rc;
	}
	rc = lb_vipaddrs_parse(text, path, &fv, &n, c->err);
	free(text);
	if (rc == 0) {
		rc = add_vips(c, fv, n);
		free(fv);
	}
	conf_pop(c, mark);
	return rc;
}

/* One entry of "vips": an address, or an aligned /24 to /32 (IPv4) or
 * /120 to /128 (IPv6), expanded */
static int
parse_vip_entry(struct conf_ctx *c, json_t *v)
{
	char buf[LB_IP_STRLEN];
	struct lb_ip addr, a;
	uint32_t i;
	uint8_t prefix;
	int rc;

	if (!json_is_string(v))
		return conf_fail(c, "expected an address or subnet string, got %s",
				 conf_type_name(v));
	rc = lb_ip_parse_cidr(json_string_value(v), LB_VIP_PREFIX4_MIN,
			      LB_VIP_PREFIX6_MIN, &addr, &prefix);
	if (rc == -ERANGE)
		return conf_fail(c, "\"%s\": %s", json_string_value(v),
				 LB_VIP_PREFIX_RULE);
	if (rc != 0)
		return conf_fail(c, "\"%s\" is not an IPv4 or IPv6 address or subnet",
				 json_string_value(v));
	if (!lb_ip_cidr_aligned(&addr, prefix))
		return conf_fail(c, "\"%s\" has host bits set",
				 json_string_value(v));
	if (lb_ip_reserved(&addr))
		return conf_fail(c, "%s cannot be a VIP (%s)",
				 lb_ip_str(&addr, buf), LB_VIP_RESERVED_RULE);
	for (i = 0; i < (1u << (lb_ip_bits(&addr) - prefix)); i++) {
		a = lb_ip_add(&addr, i);
		if ((rc = add_vips(c, &a, 1)) != 0)
			return rc;
	}
	return 0;
}

/* VIPs come from "vips" and from the seed's vipaddrs file; the union,
 * without duplicates, is the set the balancer answers ARP for (the core
 * keeps it off the ports' addresses). */
int
conf_parse_vips(struct conf_ctx *c, json_t *root)
{
	struct lb_conf *conf = c->conf;
	unsigned int i, n;
	size_t idx, mark;
	json_t *arr, *v;
	int rc;

	if ((rc = parse_vip_file(c, root)) != 0)
		return rc;
	rc = conf_get_array(c, root, "vips", false, &arr);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		mark = conf_push_key(c, "vips");
		json_array_foreach(arr, idx, v) {
			size_t m2 = conf_push_index(c, idx);

			rc = parse_vip_entry(c, v);
			conf_pop(c, m2);
			if (rc != 0)
				break;
		}
		conf_pop(c, mark);
		if (rc != 0)
			return rc;
	}

	if (conf->n_vips > 0)
		qsort(conf->vips, conf->n_vips, sizeof(*conf->vips),
		      lb_ip_cmp);
	for (i = 0, n = 0; i < conf->n_vips; i++)
		if (n == 0 || !lb_ip_eq(&conf->vips[n - 1], &conf->vips[i]))
			conf->vips[n++] = conf->vips[i];
	conf->n_vips = n;
	return 0;
}
