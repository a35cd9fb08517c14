/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The configuration in the file format: what config.get answers and a
 * reload reads back. Every value the decoder has a default for is
 * written anyway, so the document says what runs without knowing the
 * defaults.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lb_pkt.h"
#include "lb_sched.h"
#include "lb_config.h"

static const char *const hash_field_names[] = {
	"src_ip", "src_port", "dst_ip", "dst_port" };

/* Keys are added in one place so a failed allocation is seen once. */
static bool
put(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

static json_t *
ip(uint32_t addr)
{
	char buf[INET_ADDRSTRLEN];

	return json_string(lb_conf_ip_str(addr, buf));
}

static json_t *
ip_any(const struct lb_ip *a)
{
	char buf[LB_IP_STRLEN];

	return json_string(lb_ip_str(a, buf));
}

static json_t *
port_range(uint16_t lo, uint16_t hi, bool allow_any)
{
	if (allow_any && lo == 0 && hi == 65535)
		return json_string("any");
	if (lo == hi)
		return json_integer(lo);
	return json_sprintf("%u-%u", lo, hi);
}

static json_t *
seconds(uint32_t ms)
{
	if (ms % 1000 == 0)
		return json_integer(ms / 1000);
	return json_real(ms / 1000.0);
}

/* A port's "address" or "gateway" of both families: [IPv4, IPv6]. */
static json_t *
one_per_family(json_t *v4, json_t *v6)
{
	json_t *a = json_array();

	if (a == NULL || v4 == NULL || v6 == NULL ||
	    json_array_append(a, v4) != 0 || json_array_append(a, v6) != 0) {
		json_decref(a);
		a = NULL;
	}
	json_decref(v4);
	json_decref(v6);
	return a;
}

static json_t *
encode_port(const struct lb_conf_port *p)
{
	char buf[INET_ADDRSTRLEN], buf6[LB_IP_STRLEN];
	json_t *o = json_object(), *addr, *gw;
	bool ok = o != NULL;

	ok = ok && put(o, "name", json_string(p->name));
	if (p->device[0] != '\0')
		ok = ok && put(o, "device", json_string(p->device));
	addr = json_sprintf("%s/%u", lb_conf_ip_str(p->addr, buf), p->prefix);
	if (!lb_ip_is_unset(&p->addr6))
		addr = one_per_family(addr, json_sprintf("%s/%u",
				lb_ip_str(&p->addr6, buf6), p->prefix6));
	ok = ok && put(o, "address", addr);
	gw = p->gateway != 0 ? ip(p->gateway) : NULL;
	if (!lb_ip_is_unset(&p->gateway6))
		gw = gw == NULL ? ip_any(&p->gateway6) :
			one_per_family(gw, ip_any(&p->gateway6));
	if (gw != NULL)
		ok = ok && put(o, "gateway", gw);
	if (p->vlan != 0)
		ok = ok && put(o, "vlan", json_integer(p->vlan));
	if (p->mtu != LB_MTU_DEFAULT)
		ok = ok && put(o, "mtu", json_integer(p->mtu));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* VIPs (sorted) in the largest aligned blocks they fill: /24 to /32
 * for IPv4, /120 to /128 for IPv6 (both hold up to 256 addresses). */
static json_t *
encode_vips(const struct lb_ip *vips, unsigned int n)
{
	json_t *a = json_array();
	char buf[LB_IP_STRLEN];
	unsigned int i = 0, len;

	while (a != NULL && i < n) {
		unsigned int bits = lb_ip_bits(&vips[i]);
		json_t *v;

		for (len = 8; len > 0; len--) {
			uint32_t size = 1u << len, k;

			if (!lb_ip_cidr_aligned(&vips[i], bits - len) ||
			    i + size > n)
				continue;
			for (k = 1; k < size; k++) {
				struct lb_ip want = lb_ip_add(&vips[i], k);

				if (!lb_ip_eq(&vips[i + k], &want))
					break;
			}
			if (k == size)
				break;
		}
		v = len == 0 ? json_string(lb_ip_str(&vips[i], buf)) :
			json_sprintf("%s/%u", lb_ip_str(&vips[i], buf),
				     bits - len);
		if (v == NULL || json_array_append_new(a, v) != 0) {
			json_decref(a);
			return NULL;
		}
		i += 1u << len;
	}
	return a;
}

static json_t *
encode_member(const struct lb_conf_member *m)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && put(o, "name", json_string(m->name));
	ok = ok && put(o, "address", ip_any(&m->addr));
	ok = ok && put(o, "weight", json_integer(m->weight));
	if (m->has_mac)
		ok = ok && put(o, "mac", json_sprintf(
			"%02x:%02x:%02x:%02x:%02x:%02x", m->mac[0], m->mac[1],
			m->mac[2], m->mac[3], m->mac[4], m->mac[5]));
	if (m->has_sports)
		ok = ok && put(o, "source_ports",
			       port_range(m->sport_lo, m->sport_hi, false));
	ok = ok && put(o, "state", json_string(lb_admin_names[m->state]));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
encode_check(const struct lb_conf_service *s)
{
	const struct lb_conf_check *k = &s->check;
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && put(o, "type", json_string(lb_check_names[k->type]));
	ok = ok && put(o, "interval", seconds(k->interval_ms));
	ok = ok && put(o, "timeout", seconds(k->timeout_ms));
	ok = ok && put(o, "rise", json_integer(k->rise));
	ok = ok && put(o, "fall", json_integer(k->fall));
	/* the decoder fills the service's port in for an exact port */
	if (k->port != 0 && !(s->port_lo == s->port_hi && k->port == s->port_lo))
		ok = ok && put(o, "port", json_integer(k->port));
	if (k->type == LB_CHECK_HTTP)
		ok = ok && put(o, "path", json_string(k->path));
	if (k->type == LB_CHECK_SIP)
		ok = ok && put(o, "transport", json_string(
			k->sip_proto == LB_IPPROTO_TCP ? "tcp" : "udp"));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
encode_service(const struct lb_conf_service *s)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	unsigned int i;

	ok = ok && put(o, "name", json_string(s->name));
	ok = ok && put(o, "vip", lb_ip_is_unset(&s->vip) ?
				   json_string("*") : ip_any(&s->vip));
	ok = ok && put(o, "protocol", json_string(
		s->proto == LB_IPPROTO_TCP ? "tcp" : "udp"));
	ok = ok && put(o, "port", port_range(s->port_lo, s->port_hi, true));
	ok = ok && put(o, "scheduler", json_string(lb_sched_names[s->sched]));
	ok = ok && put(o, "stateless", json_boolean(s->stateless));
	ok = ok && put(o, "persistence", json_integer(s->persistence));
	if (s->persistence != 0 &&
	    s->persist_prefix6 != LB_PERSIST_PREFIX6_DEFAULT)
		ok = ok && put(o, "persistence_prefix6",
			       json_integer(s->persist_prefix6));
	if (s->persistence != 0 && s->persist_prefix < 32)
		ok = ok && put(o, "persistence_netmask",
			       ip(htonl(~0u << (32 - s->persist_prefix))));
	if (s->stateless) {
		json_t *f = json_array();

		for (i = 0; f != NULL && i < 4; i++)
			if (s->hash_fields & (1u << i))
				json_array_append_new(f,
					json_string(hash_field_names[i]));
		ok = ok && put(o, "hash_fields", f);
	}
	ok = ok && put(o, "table_size", json_integer(s->table_size));
	if (s->members != NULL) {
		json_t *m = json_array();

		for (i = 0; m != NULL && i < s->n_members; i++)
			if (json_array_append_new(m,
					json_string(s->members[i])) != 0) {
				json_decref(m);
				m = NULL;
			}
		ok = ok && put(o, "members", m);
	}
	ok = ok && put(o, "check", encode_check(s));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
encode_list(const void *items, size_t size, unsigned int n,
	    json_t *(*one)(const void *))
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, one((const uint8_t *)items +
						  i * size)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
port_one(const void *p)
{
	return encode_port(p);
}

static json_t *
member_one(const void *p)
{
	return encode_member(p);
}

static json_t *
service_one(const void *p)
{
	return encode_service(p);
}

/* A list of addresses; NULL if out of memory. */
static json_t *
encode_addrs(const uint32_t *a, unsigned int n)
{
	json_t *arr = json_array();
	unsigned int i;

	for (i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, ip(a[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	return arr;
}

static json_t *
encode_ha(const struct lb_conf_ha *ha)
{
	json_t *o, *peers;
	bool ok;

	o = json_pack("{s:s, s:s}", "mode", lb_ha_mode_names[ha->mode],
		      "start", ha->start_standby ? "standby" : "active");
	ok = o != NULL;
	if (ok && ha->mode == LB_HA_ECMP)
		ok = put(o, "announce_table",
			 json_integer(ha->announce_table));
	if (ok && ha->mode == LB_HA_VRRP)
		ok = put(o, "vrrp_watchdog",
			 seconds(ha->vrrp_watchdog_ms));
	if (ok && ha->mode != LB_HA_STANDALONE)
		ok = put(o, "shutdown_grace_ms",
			 json_integer(ha->shutdown_grace_ms));
	if (ok && ha->track_file[0] != '\0')
		ok = put(o, "track_file", json_string(ha->track_file));
	if (ok && !lb_ip_is_unset(&ha->next_hop6)) {
		char buf[LB_IP_STRLEN];

		ok = put(o, "next_hop6",
			 json_string(lb_ip_str(&ha->next_hop6, buf)));
	}
	if (ok && ha->n_routers > 0)
		ok = put(o, "routers", encode_addrs(ha->routers,
						    ha->n_routers));
	if (ok && ha->sync) {
		peers = encode_addrs(ha->peers, ha->n_peers);
		ok = peers != NULL && put(o, "sync", json_pack(
			"{s:I, s:o, s:i, s:i, s:s}", "id", (json_int_t)ha->sync_id,
			"peers", peers, "port", (int)ha->sync_port,
			"bulk_wait_ms", (int)ha->bulk_wait_ms,
			"key_file", ha->sync_key_file));
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
lb_conf_encode(const struct lb_conf *conf)
{
	const struct lb_conf_dataplane *d = &conf->dataplane;
	const struct lb_conf_flows *f = &conf->flows;
	const struct lb_conf_arp *a = &conf->arp;
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && put(o, "ports", encode_list(conf->ports,
		sizeof(conf->ports[0]), conf->n_ports, port_one));
	if (conf->exception_interface[0] != '\0')
		ok = ok && put(o, "exception_interface",
			       json_string(conf->exception_interface));
	if (conf->control_socket[0] != '\0')
		ok = ok && put(o, "control_socket",
			       json_string(conf->control_socket));
	if (conf->control_socket_ro[0] != '\0')
		ok = ok && put(o, "control_socket_readonly",
			       json_string(conf->control_socket_ro));
	if (conf->control_group[0] != '\0')
		ok = ok && put(o, "control_group",
			       json_string(conf->control_group));
	if (conf->control_group_ro[0] != '\0')
		ok = ok && put(o, "control_readonly_group",
			       json_string(conf->control_group_ro));
	/* the mode says something only of a read-only socket: written
	 * whenever there is one, in the octal digits the file takes */
	if (conf->control_socket_ro[0] != '\0') {
		char mode[8];

		snprintf(mode, sizeof(mode), "0%03o",
			 (unsigned int)(conf->control_mode_ro & 0777));
		ok = ok && put(o, "control_readonly_mode", json_string(mode));
	}
	ok = ok && put(o, "vips", encode_vips(conf->vips, conf->n_vips));
	ok = ok && put(o, "flows", json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}",
		"capacity", (int)f->capacity,
		"ipv6_capacity", (int)f->capacity6,
		"syn_timeout", (int)f->syn_timeout,
		"tcp_timeout", (int)f->tcp_timeout,
		"fin_timeout", (int)f->fin_timeout,
		"udp_timeout", (int)f->udp_timeout));
	ok = ok && put(o, "dataplane", json_pack(
		"{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i,"
		" s:i}",
		"idle", lb_idle_names[d->idle],
		"idle_sleep_us", (int)d->idle_sleep_us,
		"idle_spin_us", (int)d->idle_spin_us,
		"rx_desc", (int)d->rx_desc, "tx_desc", (int)d->tx_desc,
		"mbufs", (int)d->mbufs, "frag_hold_ms", (int)d->frag_hold_ms,
		"frag_ttl_ms", (int)d->frag_ttl_ms,
		"exception_pps", (int)d->exception_pps,
		"arp_pps", (int)d->arp_pps, "member_pps", (int)d->member_pps,
		"router_pps", (int)d->router_pps, "peer_pps", (int)d->peer_pps,
		"vrrp_pps", (int)d->vrrp_pps));
	ok = ok && put(o, "arp", json_pack("{s:o, s:o, s:i, s:o, s:i}",
		"reachable_time", seconds(a->reachable_ms),
		"probe_interval", seconds(a->probe_ms),
		"probes", (int)a->probes,
		"retry_interval", seconds(a->retry_ms),
		"stale_retries", (int)a->stale_retries));
	ok = ok && put(o, "high_availability", encode_ha(&conf->ha));
	ok = ok && put(o, "members", encode_list(conf->members,
		sizeof(conf->members[0]), conf->n_members, member_one));
	ok = ok && put(o, "services", encode_list(conf->services,
		sizeof(conf->services[0]), conf->n_services, service_one));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}
