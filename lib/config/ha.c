/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * high_availability: the mode (standalone, vrrp, ecmp), the first
 * state, keepalived's track file, the routers beside the gateways and
 * flow sync with its peers. Peers and routers are on a port's segment,
 * so the ports are decoded first.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "lb_config.h"
#include "config_internal.h"

static const char *const ha_keys[] = {
	"mode", "start", "announce_table", "vrrp_watchdog", "sync", "routers",
	"track_file", "shutdown_grace_ms", "next_hop6", NULL };
static const char *const sync_keys[] = {
	"id", "peers", "port", "bulk_wait_ms", "key_file", NULL };
static const char *const start_names[] = { "standby", "active" };

/* A neighbour on a port's segment (a sync peer, a router): a unicast
 * address in a port's subnet, not ours, listed once in list. what says
 * what it is for in messages. */
static int
parse_onlink(struct conf_ctx *c, json_t *v, uint32_t *list, unsigned int *n,
	     const char *what)
{
	const struct lb_conf *conf = c->conf;
	uint32_t a;
	uint8_t prefix;
	unsigned int i;

	if (!json_is_string(v))
		return conf_fail(c, "expected an address, got %s",
				 conf_type_name(v));
	if (strchr(json_string_value(v), '/') != NULL ||
	    lb_conf_parse_cidr(json_string_value(v), 32, &a, &prefix) != 0)
		return conf_fail(c, "\"%s\" is not an IPv4 address",
				 json_string_value(v));
	if (lb_conf_addr_reserved(a))
		return conf_fail(c, "%s cannot be a %s (reserved or multicast: a unicast address is needed)",
				 json_string_value(v), what);
	for (i = 0; i < conf->n_ports; i++) {
		if (conf->ports[i].addr == a)
			return conf_fail(c, "%s is this balancer's own address (ports[%u])",
					 json_string_value(v), i);
		if (lb_conf_in_subnet(a, conf->ports[i].addr,
				      conf->ports[i].prefix))
			break;
	}
	if (i == conf->n_ports)
		return conf_fail(c, "%s is in no port's subnet: a %s is on a segment the balancer is on",
				 json_string_value(v), what);
	for (i = 0; i < *n; i++)
		if (list[i] == a)
			return conf_fail(c, "%s is listed twice",
					 json_string_value(v));
	list[(*n)++] = a;
	return 0;
}

/* A list of on-link neighbours (1 to max) at key of o. */
static int
parse_onlink_list(struct conf_ctx *c, json_t *o, const char *key,
		  uint32_t *list, unsigned int *n, unsigned int max,
		  const char *what)
{
	json_t *arr, *v;
	size_t i, mark;
	int rc;

	if ((rc = conf_get_array(c, o, key, true, &arr)) != 0)
		return -EINVAL;
	mark = conf_push_key(c, key);
	if (json_array_size(arr) == 0 || json_array_size(arr) > max) {
		rc = conf_fail(c, "expected 1 to %u %s addresses", max, what);
		conf_pop(c, mark);
		return rc;
	}
	json_array_foreach(arr, i, v) {
		size_t m2 = conf_push_index(c, i);

		rc = parse_onlink(c, v, list, n, what);
		conf_pop(c, m2);
		if (rc != 0)
			break;
	}
	conf_pop(c, mark);
	return rc;
}

/* The group's keys: every message is authenticated with them, so the
 * file is required, and read now (--check, a reload) so a bad one is
 * refused with the rest of the configuration, never half-applied. */
static int
parse_key_file(struct conf_ctx *c, json_t *o, struct lb_conf_ha *ha)
{
	char err[LB_PATH_MAX + 160];
	size_t mark;
	int rc = conf_get_string(c, o, "key_file", false, ha->sync_key_file,
				 sizeof(ha->sync_key_file));

	if (rc < 0)
		return rc;
	mark = conf_push_key(c, "key_file");
	if (rc > 0)
		rc = conf_fail(c, "required: a file of the group's keys (one line \"1 <64 hex digits>\", mode 0600; openssl rand -hex 32)");
	else if (ha->sync_key_file[0] != '/')
		rc = conf_fail(c, "\"%s\" is not an absolute path",
			       ha->sync_key_file);
	else if (lb_conf_keys_load(ha->sync_key_file, &ha->sync_keys, err,
				   sizeof(err)) != 0)
		rc = conf_fail(c, "%s", err);
	conf_pop(c, mark);
	return rc;
}

static int
parse_sync(struct conf_ctx *c, json_t *o, struct lb_conf_ha *ha)
{
	uint32_t port = 0;
	size_t mark;
	int rc;

	if ((rc = conf_check_keys(c, o, sync_keys)) != 0)
		return rc;
	if (conf_get_uint(c, o, "id", 1, UINT32_MAX, 0, &ha->sync_id) != 0) {
		if (json_object_get(o, "id") == NULL) {
			mark = conf_push_key(c, "id");
			rc = conf_fail(c, "required: the sync id every balancer of the group shares");
			conf_pop(c, mark);
		}
		return -EINVAL;
	}
	if (conf_get_uint(c, o, "port", 1, 65535, LB_SYNC_PORT, &port) < 0 ||
	    conf_get_uint(c, o, "bulk_wait_ms", 0, 60000, 3000,
			  &ha->bulk_wait_ms) < 0)
		return -EINVAL;
	ha->sync_port = (uint16_t)port;
	rc = parse_onlink_list(c, o, "peers", ha->peers, &ha->n_peers,
			       LB_SYNC_PEERS_MAX, "peer");
	if (rc == 0)
		rc = parse_key_file(c, o, ha);
	if (rc == 0)
		ha->sync = true;
	return rc;
}

/* keepalived's track_file: an absolute path of a file (keepalived
 * watches its directory), mode vrrp only. */
static int
parse_track_file(struct conf_ctx *c, json_t *o, struct lb_conf_ha *ha)
{
	char *f = ha->track_file;
	const char *base;
	size_t mark;
	int rc = conf_get_string(c, o, "track_file", false, f,
				 sizeof(ha->track_file));

	if (rc != 0)
		return rc < 0 ? rc : 0;
	mark = conf_push_key(c, "track_file");
	base = strrchr(f, '/');
	if (ha->mode != LB_HA_VRRP)
		rc = conf_fail(c, "only for mode \"vrrp\" (keepalived reads it)");
	else if (f[0] != '/' || base[1] == '\0' ||
		 strcmp(base + 1, ".") == 0 || strcmp(base + 1, "..") == 0)
		rc = conf_fail(c, "\"%s\" is not an absolute path of a file",
			       f);
	conf_pop(c, mark);
	return rc;
}

/* next_hop6: an IPv6 unicast address, global (a router takes no
 * link-local next hop from a BGP session over IPv4), not a VIP: this
 * balancer answers Neighbor Solicitations for it. Mode ecmp only. */
static int
parse_next_hop6(struct conf_ctx *c, json_t *o, struct lb_conf_ha *ha)
{
	json_t *v = json_object_get(o, "next_hop6");
	size_t mark;
	uint8_t prefix;
	int rc = 0;

	if (v == NULL)
		return 0;
	mark = conf_push_key(c, "next_hop6");
	if (ha->mode != LB_HA_ECMP)
		rc = conf_fail(c, "only for mode \"ecmp\"");
	else if (!json_is_string(v))
		rc = conf_fail(c, "expected an IPv6 address, got %s",
			       conf_type_name(v));
	else if (strchr(json_string_value(v), '/') != NULL ||
		 lb_ip_parse_cidr(json_string_value(v), 32, 128,
				  &ha->next_hop6, &prefix) != 0 ||
		 lb_ip_is4(&ha->next_hop6))
		rc = conf_fail(c, "\"%s\" is not an IPv6 address",
			       json_string_value(v));
	else if (lb_ip_reserved(&ha->next_hop6))
		rc = conf_fail(c, "%s cannot be a next hop (::, ::1, link-local and multicast are refused: a global unicast address on the router's segment is needed)",
			       json_string_value(v));
	else if (lb_conf_vip_find(c->conf->vips, c->conf->n_vips,
				  &ha->next_hop6))
		rc = conf_fail(c, "%s is a VIP: the next hop is this balancer's own address, one per balancer",
			       json_string_value(v));
	if (rc != 0)
		ha->next_hop6 = (struct lb_ip){ .b = { 0 } };
	conf_pop(c, mark);
	return rc;
}

int
conf_parse_ha(struct conf_ctx *c, json_t *root)
{
	struct lb_conf_ha *ha = &c->conf->ha;
	bool kif = c->conf->exception_interface[0] != '\0';
	uint8_t start = 1;
	json_t *o, *so;
	size_t mark, m2;
	int rc;

	if ((rc = conf_get_object(c, root, "high_availability", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = conf_push_key(c, "high_availability");
	rc = conf_check_keys(c, o, ha_keys);
	if (rc == 0 &&
	    (conf_get_enum(c, o, "mode", lb_ha_mode_names, LB_HA_MODE_MAX,
			   LB_HA_STANDALONE, &ha->mode) < 0 ||
	     conf_get_uint(c, o, "announce_table", 1, UINT32_MAX,
			   LB_HA_ANNOUNCE_TABLE, &ha->announce_table) < 0 ||
	     conf_get_seconds_ms(c, o, "vrrp_watchdog", 0, 60000, 3000,
				 &ha->vrrp_watchdog_ms) < 0))
		rc = -EINVAL;
	if (rc == 0 && ha->vrrp_watchdog_ms != 0 &&
	    ha->vrrp_watchdog_ms < 1000) {
		m2 = conf_push_key(c, "vrrp_watchdog");
		rc = conf_fail(c, "%g s is too short: keepalived advertises once a second (0 turns it off)",
			       ha->vrrp_watchdog_ms / 1000.0);
		conf_pop(c, m2);
	}
	if (rc == 0 && json_object_get(o, "vrrp_watchdog") != NULL &&
	    ha->mode != LB_HA_VRRP) {
		m2 = conf_push_key(c, "vrrp_watchdog");
		rc = conf_fail(c, "only for mode \"vrrp\"");
		conf_pop(c, m2);
	}
	/* a stop hands over to a peer first: a standalone balancer has
	 * none, and would only be slower to stop */
	if (rc == 0 &&
	    conf_get_uint(c, o, "shutdown_grace_ms", 0, 60000,
			  ha->mode == LB_HA_STANDALONE ? 0 : 3000,
			  &ha->shutdown_grace_ms) < 0)
		rc = -EINVAL;
	if (rc == 0 && json_object_get(o, "shutdown_grace_ms") != NULL &&
	    ha->mode == LB_HA_STANDALONE) {
		m2 = conf_push_key(c, "shutdown_grace_ms");
		rc = conf_fail(c, "only for modes \"vrrp\" and \"ecmp\" (a standalone balancer hands over to no one)");
		conf_pop(c, m2);
	}
	/* after a reboot a VRRP balancer waits for keepalived: two never
	 * answer for a VIP at once */
	if (rc == 0 &&
	    conf_get_enum(c, o, "start", start_names, 2,
			  ha->mode == LB_HA_VRRP ? 0 : 1, &start) < 0)
		rc = -EINVAL;
	ha->start_standby = start == 0;
	if (rc == 0 && json_object_get(o, "announce_table") != NULL &&
	    ha->mode != LB_HA_ECMP) {
		m2 = conf_push_key(c, "announce_table");
		rc = conf_fail(c, "only for mode \"ecmp\"");
		conf_pop(c, m2);
	}
	if (rc == 0 && (ha->announce_table >= 253 && ha->announce_table <= 255)) {
		m2 = conf_push_key(c, "announce_table");
		rc = conf_fail(c, "%u is one of the kernel's own tables (default, main, local)",
			       ha->announce_table);
		conf_pop(c, m2);
	}
	if (rc == 0 && ha->announce_table == LB_KIF_POLICY_TABLE) {
		m2 = conf_push_key(c, "announce_table");
		rc = conf_fail(c, "%u is the exception interface's policy table",
			       ha->announce_table);
		conf_pop(c, m2);
	}
	if (rc == 0 && ha->mode != LB_HA_STANDALONE && !kif) {
		m2 = conf_push_key(c, "mode");
		rc = conf_fail(c, "\"%s\" needs an exception_interface (keepalived and BGP run on it)",
			       lb_ha_mode_names[ha->mode]);
		conf_pop(c, m2);
	}
	if (rc == 0)
		rc = parse_track_file(c, o, ha);
	if (rc == 0)
		rc = parse_next_hop6(c, o, ha);
	if (rc == 0 && json_object_get(o, "routers") != NULL)
		rc = parse_onlink_list(c, o, "routers", ha->routers,
				       &ha->n_routers, LB_ROUTERS_MAX,
				       "router");
	if (rc == 0 && conf_get_object(c, o, "sync", &so) == 0) {
		m2 = conf_push_key(c, "sync");
		if (!kif)
			rc = conf_fail(c, "needs an exception_interface (sync messages are UDP from the own address)");
		else
			rc = parse_sync(c, so, ha);
		conf_pop(c, m2);
	} else if (rc == 0 && json_object_get(o, "sync") != NULL) {
		rc = -EINVAL;
	}
	conf_pop(c, mark);
	json_decref(o);
	return rc;
}

