/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Members (real servers) and services, from the file or one at a time
 * from a control request. Each is decoded alone: whether a name is
 * free, a VIP exists or a member named by a service exists is the
 * core's question, asked the same way for a file, a reload and a
 * request.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lb_pkt.h"
#include "lb_persist.h"
#include "lb_sched.h"
#include "lb_config.h"
#include "config_internal.h"

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static const char *const member_keys[] = {
	"name", "address", "weight", "mac", "source_ports", "state", NULL };

static int
parse_member(struct conf_ctx *c, json_t *o, struct lb_conf_member *m)
{
	char s[32], buf[LB_IP_STRLEN];
	size_t mark;
	int rc;

	if ((rc = conf_check_keys(c, o, member_keys)) != 0 ||
	    (rc = conf_get_name(c, o, m->name)) != 0 ||
	    (rc = conf_get_ip(c, o, "address", true, &m->addr)) != 0)
		return rc;
	if (lb_ip_reserved(&m->addr)) {
		mark = conf_push_key(c, "address");
		rc = conf_fail(c, "%s cannot be a member (0/8, 127/8, multicast, broadcast, ::, ::1, link-local are refused)",
			       lb_ip_str(&m->addr, buf));
		conf_pop(c, mark);
		return rc;
	}
	if (conf_get_uint(c, o, "weight", 0, 65535, 100, &m->weight) < 0)
		return -EINVAL;

	rc = conf_get_string(c, o, "mac", false, s, sizeof(s));
	if (rc < 0)
		return rc;
	if (rc == 0) {
		mark = conf_push_key(c, "mac");
		if (parse_mac(s, m->mac) != 0 || (m->mac[0] & 1) ||
		    memcmp(m->mac, "\0\0\0\0\0\0", 6) == 0) {
			rc = conf_fail(c, "\"%s\" is not a unicast MAC address (aa:bb:cc:dd:ee:ff)",
				       s);
			conf_pop(c, mark);
			return rc;
		}
		m->has_mac = true;
		conf_pop(c, mark);
	}

	if (json_object_get(o, "source_ports") != NULL) {
		if (conf_get_port_range(c, o, "source_ports", false,
					&m->sport_lo, &m->sport_hi) != 0)
			return -EINVAL;
		m->has_sports = true;
	}

	return conf_get_enum(c, o, "state", lb_admin_names,
			     LB_ADMIN_STATE_MAX, LB_ADMIN_UP, &m->state) < 0 ?
	       -EINVAL : 0;
}

static int
member_elem(struct conf_ctx *c, json_t *o, void *elem, unsigned int idx)
{
	(void)idx;
	return parse_member(c, o, elem);
}

int
conf_parse_members(struct conf_ctx *c, json_t *root)
{
	static const struct conf_obj_array members = {
		.key = "members", .noun = "members", .min = 0,
		.max = LB_MAX_MEMBERS, .size = sizeof(struct lb_conf_member),
		.decode = member_elem,
	};
	void *items = NULL;
	int rc;

	rc = conf_get_object_array(c, root, &members, &items,
				   &c->conf->n_members);
	c->conf->members = items;
	return rc < 0 ? rc : 0;
}

static const char *const hash_field_names[] = {
	"src_ip", "src_port", "dst_ip", "dst_port" };

static int
parse_hash_fields(struct conf_ctx *c, json_t *o, struct lb_conf_service *s)
{
	json_t *arr, *v;
	size_t i, mark;
	int rc;

	s->hash_fields = LB_HASH_F_DEFAULT;
	if ((rc = conf_get_array(c, o, "hash_fields", false, &arr)) < 0)
		return rc;
	if (rc == 1)
		return 0;
	mark = conf_push_key(c, "hash_fields");
	if (!s->stateless) {
		rc = conf_fail(c, "only stateless services hash on chosen fields");
		goto out;
	}
	if (json_array_size(arr) == 0) {
		rc = conf_fail(c, "name at least one of src_ip, src_port, dst_ip, dst_port");
		goto out;
	}
	s->hash_fields = 0;
	json_array_foreach(arr, i, v) {
		size_t m2 = conf_push_index(c, i);
		int f = json_is_string(v) ?
			lb_conf_enum(hash_field_names, 4, json_string_value(v)) :
			-1;

		if (f < 0) {
			rc = conf_fail(c, "expected one of \"src_ip\", \"src_port\", \"dst_ip\", \"dst_port\"");
			goto out;
		}
		s->hash_fields |= (uint8_t)(1u << f);
		conf_pop(c, m2);
	}
	rc = 0;
out:
	conf_pop(c, mark);
	return rc;
}

/* Member names as given: whether they exist is the core's question,
 * asked the same way for a file, a reload and a control request. */
static int
parse_service_members(struct conf_ctx *c, json_t *o,
		      struct lb_conf_service *s)
{
	json_t *arr, *v;
	size_t i, mark;
	unsigned int k;
	int rc;

	if ((rc = conf_get_array(c, o, "members", false, &arr)) < 0)
		return rc;
	if (rc == 1)
		return 0;      /* every member */
	mark = conf_push_key(c, "members");
	if (json_array_size(arr) > LB_MAX_MEMBERS) {
		rc = conf_fail(c, "more than %d members", LB_MAX_MEMBERS);
		goto out;
	}
	s->members = calloc(json_array_size(arr) + 1, sizeof(*s->members));
	if (s->members == NULL) {
		rc = conf_fail(c, "out of memory");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		size_t m2 = conf_push_index(c, i);

		if (!json_is_string(v) ||
		    json_string_length(v) >= LB_NAME_MAX ||
		    !conf_valid_name(json_string_value(v))) {
			rc = conf_fail(c, "expected a member name");
			goto out;
		}
		for (k = 0; k < s->n_members; k++)
			if (strcmp(s->members[k], json_string_value(v)) == 0) {
				rc = conf_fail(c, "\"%s\" is listed twice",
					       json_string_value(v));
				goto out;
			}
		strcpy(s->members[s->n_members++], json_string_value(v));
		conf_pop(c, m2);
	}
	rc = 0;
out:
	conf_pop(c, mark);
	return rc;
}

static const char *const service_keys[] = {
	"name", "vip", "protocol", "port", "scheduler", "persistence",
	"persistence_netmask", "persistence_prefix6", "stateless", "hash_fields", "table_size",
	"members", "check", NULL };

/* The seed's IPVSHelper -p default: a client sticks to its member for
 * 15 s after its last connection. */
#define LB_PERSIST_DEFAULT 15

static int
parse_persist_mask(struct conf_ctx *c, json_t *o, struct lb_conf_service *s)
{
	char buf[INET_ADDRSTRLEN + 1];
	uint32_t mask, host;
	uint8_t prefix;
	size_t mark;
	int rc;

	s->persist_prefix = 32;
	s->persist_prefix6 = LB_PERSIST_PREFIX6_DEFAULT;
	if (json_object_get(o, "persistence_prefix6") != NULL) {
		uint32_t p6;

		rc = conf_get_uint(c, o, "persistence_prefix6", 16, 128,
				   LB_PERSIST_PREFIX6_DEFAULT, &p6);
		if (rc != 0)
			return rc;
		if (s->persistence == 0) {
			mark = conf_push_key(c, "persistence_prefix6");
			rc = conf_fail(c, "persistence is off (0): a prefix means nothing");
			conf_pop(c, mark);
			return rc;
		}
		s->persist_prefix6 = (uint8_t)p6;
	}
	rc = conf_get_string(c, o, "persistence_netmask", false, buf,
			     sizeof(buf));
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mark = conf_push_key(c, "persistence_netmask");
	if (strchr(buf, '/') != NULL ||
	    lb_conf_parse_cidr(buf, 32, &mask, &prefix) != 0) {
		rc = conf_fail(c, "\"%s\" is not a netmask such as 255.255.255.0",
			       buf);
		goto out;
	}
	host = ntohl(mask);
	for (prefix = 0; prefix < 32 && (host & (1u << (31 - prefix))); prefix++)
		;
	if (prefix < 8 || (prefix < 32 && (host << prefix) != 0)) {
		rc = conf_fail(c, "\"%s\" is not a netmask of 8 to 32 leading ones",
			       buf);
		goto out;
	}
	if (s->persistence == 0) {
		rc = conf_fail(c, "persistence is off (0): a netmask means nothing");
		goto out;
	}
	s->persist_prefix = prefix;
	rc = 0;
out:
	conf_pop(c, mark);
	return rc;
}

/* One service, decoded: whether its VIP exists, its port is free and
 * its members exist is the core's question. */
static int
parse_service(struct conf_ctx *c, json_t *o, struct lb_conf_service *s)
{
	char vip[LB_IP_STRLEN + 1], proto[8];
	uint32_t persist;
	size_t mark;
	int rc;

	if ((rc = conf_check_keys(c, o, service_keys)) != 0 ||
	    (rc = conf_get_name(c, o, s->name)) != 0)
		return rc;

	if ((rc = conf_get_string(c, o, "vip", true, vip, sizeof(vip))) != 0)
		return rc;
	if (strcmp(vip, "*") == 0) {
		memset(&s->vip, 0, sizeof(s->vip));
	} else {
		uint8_t prefix;

		if (strchr(vip, '/') != NULL ||
		    lb_ip_parse_cidr(vip, 32, 128, &s->vip, &prefix) != 0 ||
		    lb_ip_reserved(&s->vip)) {
			mark = conf_push_key(c, "vip");
			rc = conf_fail(c, "\"%s\" is not an IPv4 or IPv6 address or \"*\"",
				       vip);
			conf_pop(c, mark);
			return rc;
		}
	}

	if ((rc = conf_get_string(c, o, "protocol", true, proto,
				  sizeof(proto))) != 0)
		return rc;
	if (strcmp(proto, "tcp") == 0) {
		s->proto = LB_IPPROTO_TCP;
	} else if (strcmp(proto, "udp") == 0) {
		s->proto = LB_IPPROTO_UDP;
	} else {
		mark = conf_push_key(c, "protocol");
		rc = conf_fail(c, "\"%s\" is not one of: tcp, udp", proto);
		conf_pop(c, mark);
		return rc;
	}

	if (conf_get_port_range(c, o, "port", true, &s->port_lo,
				&s->port_hi) != 0)
		return -EINVAL;
	if (conf_get_enum(c, o, "scheduler", lb_sched_names, LB_SCHED_KIND_MAX,
			  LB_SCHED_MAGLEV, &s->sched) < 0 ||
	    conf_get_bool(c, o, "stateless", false, &s->stateless) < 0 ||
	    conf_get_uint(c, o, "table_size", 7, LB_MAGLEV_MAX_SIZE,
			  LB_MAGLEV_DEFAULT_SIZE, &s->table_size) < 0)
		return -EINVAL;
	rc = conf_get_uint(c, o, "persistence", 0, LB_PERSIST_MAX_TIMEOUT,
			   s->stateless ? 0 : LB_PERSIST_DEFAULT, &persist);
	if (rc < 0)
		return rc;
	s->persistence = persist;
	if (rc == 0 && persist != 0 && s->stateless) {
		mark = conf_push_key(c, "persistence");
		rc = conf_fail(c, "stateless services keep a client on one member by hashing (\"hash_fields\"); set 0 or remove the key");
		conf_pop(c, mark);
		return rc;
	}
	if (parse_persist_mask(c, o, s) != 0)
		return -EINVAL;
	if (!lb_is_prime(s->table_size)) {
		mark = conf_push_key(c, "table_size");
		rc = conf_fail(c, "%u is not prime (Maglev needs a prime table size, such as 65537)",
			       s->table_size);
		conf_pop(c, mark);
		return rc;
	}
	if (s->stateless) {
		mark = conf_push_key(c, "stateless");
		rc = 0;
		if (s->proto != LB_IPPROTO_UDP)
			rc = conf_fail(c, "only UDP services can be stateless");
		else if (s->sched != LB_SCHED_MAGLEV)
			rc = conf_fail(c, "stateless services are balanced by consistent hashing; \"scheduler\" must be maglev");
		conf_pop(c, mark);
		if (rc != 0)
			return rc;
	}
	if (parse_hash_fields(c, o, s) != 0 ||
	    parse_service_members(c, o, s) != 0 ||
	    conf_parse_check(c, o, s) != 0)
		return -EINVAL;
	return 0;
}

static int
service_elem(struct conf_ctx *c, json_t *o, void *elem, unsigned int idx)
{
	(void)idx;
	return parse_service(c, o, elem);
}

int
conf_parse_services(struct conf_ctx *c, json_t *root)
{
	static const struct conf_obj_array services = {
		.key = "services", .noun = "services", .min = 0,
		.max = LB_MAX_SERVICES, .size = sizeof(struct lb_conf_service),
		.decode = service_elem,
	};
	void *items = NULL;
	int rc;

	/* a service that failed is counted: lb_conf_free() releases what
	 * it holds */
	rc = conf_get_object_array(c, root, &services, &items,
				   &c->conf->n_services);
	c->conf->services = items;
	return rc < 0 ? rc : 0;
}

static int
decode_one(json_t *o, const char *where, struct lb_conf *conf,
	   struct lb_conf_error *err, bool service, void *out)
{
	struct conf_ctx c = { .source = NULL, .err = err, .conf = conf };
	int rc;

	err->msg[0] = '\0';
	snprintf(c.path, sizeof(c.path), "%s", where);
	c.plen = strlen(c.path);
	if (!json_is_object(o))
		return conf_fail(&c, "expected an object, got %s",
				 conf_type_name(o));
	rc = service ? parse_service(&c, o, out) : parse_member(&c, o, out);
	return rc != 0 ? -EINVAL : 0;
}

int
lb_conf_decode_member(json_t *o, const char *where,
		      struct lb_conf_member *m, struct lb_conf_error *err)
{
	memset(m, 0, sizeof(*m));
	return decode_one(o, where, NULL, err, false, m);
}

int
lb_conf_decode_service(json_t *o, const char *where, bool checks_possible,
		       struct lb_conf_service *s, struct lb_conf_error *err)
{
	struct lb_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	/* only whether checks can run matters to a service */
	if (checks_possible)
		strcpy(conf.exception_interface, "kif");
	memset(s, 0, sizeof(*s));
	rc = decode_one(o, where, &conf, err, true, s);
	if (rc != 0)
		lb_conf_service_clear(s);
	return rc;
}

void
lb_conf_service_clear(struct lb_conf_service *s)
{
	free(s->members);
	s->members = NULL;
	s->n_members = 0;
}

