/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The process and its tuning: the exception interface, the flow table,
 * the workers (dataplane), ARP refresh, and the control sockets. These
 * are set at start; a reload that changes one is refused by the core.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lb_config.h"
#include "config_internal.h"

int
conf_parse_exception_interface(struct conf_ctx *c, json_t *root)
{
	struct lb_conf *conf = c->conf;
	const char *p;
	size_t mark;
	int rc;

	rc = conf_get_string(c, root, "exception_interface", false,
			     conf->exception_interface,
			     sizeof(conf->exception_interface));
	if (rc < 0)
		return rc;
	for (p = conf->exception_interface; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*p == '\0' && (rc == 1 || conf->exception_interface[0] != '\0'))
		return 0;
	mark = conf_push_key(c, "exception_interface");
	rc = conf_fail(c, "\"%s\" is not a valid interface name",
		       conf->exception_interface);
	conf_pop(c, mark);
	return rc;
}

static const char *const flows_keys[] = {
	"capacity", "ipv6_capacity", "syn_timeout", "tcp_timeout", "fin_timeout",
	"udp_timeout", NULL };

int
conf_parse_flows(struct conf_ctx *c, json_t *root)
{
	struct lb_conf_flows *f = &c->conf->flows;
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = conf_get_object(c, root, "flows", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();  /* all defaults */
	else
		json_incref(o);
	mark = conf_push_key(c, "flows");
	rc = conf_check_keys(c, o, flows_keys);
	if (rc == 0 &&
	    (conf_get_uint(c, o, "capacity", 1024, 1u << 28, 1048576,
			   &f->capacity) < 0 ||
	     /* IPv6's table is its own: a quarter of the flows unless
	      * told (an IPv6 flow's key is 40 bytes, an IPv4 one's 16) */
	     conf_get_uint(c, o, "ipv6_capacity", 1024, 1u << 26,
			   f->capacity / 4 > 1024 ? f->capacity / 4 : 1024,
			   &f->capacity6) < 0 ||
	     conf_get_uint(c, o, "syn_timeout", 1, 86400, 10,
			   &f->syn_timeout) < 0 ||
	     conf_get_uint(c, o, "tcp_timeout", 1, 7 * 86400, 900,
			   &f->tcp_timeout) < 0 ||
	     conf_get_uint(c, o, "fin_timeout", 1, 86400, 10,
			   &f->fin_timeout) < 0 ||
	     conf_get_uint(c, o, "udp_timeout", 1, 86400, 60,
			   &f->udp_timeout) < 0))
		rc = -EINVAL;
	conf_pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const dataplane_keys[] = {
	"idle", "idle_sleep_us", "idle_spin_us", "rx_desc", "tx_desc", "mbufs", "frag_hold_ms",
	"frag_ttl_ms", "exception_pps", "arp_pps", "member_pps", "router_pps",
	"peer_pps", "vrrp_pps", NULL };

/* What an idle worker does: "poll", "sleep" idle_sleep_us, or poll on
 * idle_spin_us after its last packet and then wait for an RX interrupt
 * idle_sleep_us at most. Without "idle", a sleep set means "sleep", as
 * before the key existed. */
static int
parse_idle(struct conf_ctx *c, json_t *o, struct lb_conf_dataplane *d)
{
	bool has_us = json_object_get(o, "idle_sleep_us") != NULL;
	bool has_spin = json_object_get(o, "idle_spin_us") != NULL;
	size_t mark;
	int rc;

	rc = conf_get_enum(c, o, "idle", lb_idle_names, LB_CONF_IDLE_MAX,
			   d->idle_sleep_us > 0 ? LB_CONF_IDLE_SLEEP :
			   LB_CONF_IDLE_POLL, &d->idle);
	if (rc < 0)
		return rc;
	if (d->idle != LB_CONF_IDLE_INTERRUPT && d->idle_spin_us > 0) {
		mark = conf_push_key(c, "idle_spin_us");
		rc = conf_fail(c, "%u: only idle \"interrupt\" polls on before it waits (idle is \"%s\")",
			       d->idle_spin_us, lb_idle_names[d->idle]);
		conf_pop(c, mark);
		return rc;
	}
	if (d->idle == LB_CONF_IDLE_INTERRUPT && !has_spin)
		d->idle_spin_us = LB_CONF_IDLE_SPIN_US;
	if (d->idle == LB_CONF_IDLE_POLL && d->idle_sleep_us > 0) {
		mark = conf_push_key(c, "idle_sleep_us");
		rc = conf_fail(c, "%u: a worker that polls never sleeps (idle \"sleep\" or \"interrupt\" use it)",
			       d->idle_sleep_us);
		conf_pop(c, mark);
		return rc;
	}
	if (d->idle != LB_CONF_IDLE_POLL && d->idle_sleep_us == 0) {
		if (has_us) {
			mark = conf_push_key(c, "idle_sleep_us");
			rc = conf_fail(c, "0: idle \"%s\" needs a sleep or longest wait",
				       lb_idle_names[d->idle]);
			conf_pop(c, mark);
			return rc;
		}
		/* an interrupt wait ends at a packet: it may be long */
		d->idle_sleep_us =
			d->idle == LB_CONF_IDLE_INTERRUPT ? 1000 : 100;
	}
	return 0;
}

int
conf_parse_dataplane(struct conf_ctx *c, json_t *root)
{
	struct lb_conf_dataplane *d = &c->conf->dataplane;
	uint32_t rx = 0, tx = 0;
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = conf_get_object(c, root, "dataplane", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = conf_push_key(c, "dataplane");
	rc = conf_check_keys(c, o, dataplane_keys);
	if (rc == 0 &&
	    (conf_get_uint(c, o, "idle_sleep_us", 0, 100000, 0,
			   &d->idle_sleep_us) < 0 ||
	     conf_get_uint(c, o, "idle_spin_us", 0, 10000, 0,
			   &d->idle_spin_us) < 0 ||
	     conf_get_uint(c, o, "rx_desc", 64, 16384, 1024, &rx) < 0 ||
	     conf_get_uint(c, o, "tx_desc", 64, 16384, 1024, &tx) < 0 ||
	     conf_get_uint(c, o, "mbufs", 0, 1u << 24, 0, &d->mbufs) < 0 ||
	     conf_get_uint(c, o, "frag_hold_ms", 1, 1000, 10,
			   &d->frag_hold_ms) < 0 ||
	     conf_get_uint(c, o, "frag_ttl_ms", 10, 60000, 1000,
			   &d->frag_ttl_ms) < 0 ||
	     conf_get_uint(c, o, "exception_pps", 100, 10000000, 10000,
			   &d->exception_pps) < 0 ||
	     conf_get_uint(c, o, "arp_pps", 10, 1000000, 1000,
			   &d->arp_pps) < 0 ||
	     conf_get_uint(c, o, "member_pps", 100, 10000000, 5000,
			   &d->member_pps) < 0 ||
	     conf_get_uint(c, o, "router_pps", 10, 1000000, 1000,
			   &d->router_pps) < 0 ||
	     conf_get_uint(c, o, "peer_pps", 10, 1000000, 5000,
			   &d->peer_pps) < 0 ||
	     conf_get_uint(c, o, "vrrp_pps", 10, 100000, 200,
			   &d->vrrp_pps) < 0))
		rc = -EINVAL;
	d->rx_desc = (uint16_t)rx;
	d->tx_desc = (uint16_t)tx;
	if (rc == 0)
		rc = parse_idle(c, o, d);
	if (rc == 0 && d->frag_ttl_ms <= d->frag_hold_ms) {
		size_t m2 = conf_push_key(c, "frag_ttl_ms");

		rc = conf_fail(c, "%u must be longer than frag_hold_ms (%u): a first fragment is remembered at least as long as its later fragments wait",
			       d->frag_ttl_ms, d->frag_hold_ms);
		conf_pop(c, m2);
	}
	if (rc == 0 && d->mbufs != 0 && d->mbufs < 2048) {
		size_t m2 = conf_push_key(c, "mbufs");

		rc = conf_fail(c, "%u is too few: use 0 (sized automatically) or at least 2048",
			       d->mbufs);
		conf_pop(c, m2);
	}
	conf_pop(c, mark);
	json_decref(o);
	return rc;
}

static const char *const arp_keys[] = {
	"reachable_time", "probe_interval", "probes", "retry_interval",
	"stale_retries", NULL };

int
conf_parse_arp(struct conf_ctx *c, json_t *root)
{
	struct lb_conf_arp *a = &c->conf->arp;
	json_t *o;
	size_t mark;
	int rc;

	if ((rc = conf_get_object(c, root, "arp", &o)) < 0)
		return rc;
	if (rc == 1)
		o = json_object();
	else
		json_incref(o);
	mark = conf_push_key(c, "arp");
	rc = conf_check_keys(c, o, arp_keys);
	if (rc == 0 &&
	    (conf_get_seconds_ms(c, o, "reachable_time", 1000, 3600000, 60000,
				 &a->reachable_ms) < 0 ||
	     conf_get_seconds_ms(c, o, "probe_interval", 100, 60000, 1000,
				 &a->probe_ms) < 0 ||
	     conf_get_uint(c, o, "probes", 1, 10, 3, &a->probes) < 0 ||
	     conf_get_seconds_ms(c, o, "retry_interval", 100, 3600000, 5000,
				 &a->retry_ms) < 0 ||
	     conf_get_uint(c, o, "stale_retries", 0, 100, 3,
			   &a->stale_retries) < 0))
		rc = -EINVAL;
	/* refreshing starts at 3/4 of the reachable time: the probes must
	 * fit in the last quarter, or a MAC goes stale while confirmed */
	if (rc == 0 && (uint64_t)a->probe_ms * a->probes > a->reachable_ms / 4) {
		size_t m2 = conf_push_key(c, "reachable_time");

		rc = conf_fail(c, "%g s is too short for %u probes %g s apart (refreshing starts at 3/4 of it)",
			       a->reachable_ms / 1000.0, a->probes,
			       a->probe_ms / 1000.0);
		conf_pop(c, m2);
	}
	conf_pop(c, mark);
	json_decref(o);
	return rc;
}

/* A Unix socket path: absolute, and short enough for sun_path. */
static int
get_socket_path(struct conf_ctx *c, json_t *root, const char *key, char *out)
{
	int rc = conf_get_string(c, root, key, false, out, LB_SOCKET_PATH_MAX);
	size_t mark;

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (out[0] == '/')
		return 0;
	mark = conf_push_key(c, key);
	rc = conf_fail(c, "\"%s\" is not an absolute path", out);
	conf_pop(c, mark);
	return rc;
}

/* A group of a socket: a name or a number, as chown(1) takes it. */
static int
get_group(struct conf_ctx *c, json_t *root, const char *key, char *out)
{
	int rc = conf_get_string(c, root, key, false, out, LB_NAME_MAX);
	size_t mark;

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (conf_valid_name(out))
		return 0;
	mark = conf_push_key(c, key);
	rc = conf_fail(c, "\"%s\" is not a group name or number", out);
	conf_pop(c, mark);
	return rc;
}

/*
 * A socket's permission bits, written as a string of octal digits
 * ("0660"): JSON has no octal numbers, and 660 read as a decimal number
 * would be another mode. Only read and write bits (execute means
 * nothing on a socket; setuid, setgid and sticky neither), and the
 * owner, the balancer's own user, keeps both.
 */
static int
get_socket_mode(struct conf_ctx *c, json_t *root, const char *key,
		uint32_t def, uint32_t *out)
{
	json_t *v = json_object_get(root, key);
	unsigned long mode;
	const char *s, *p;
	size_t mark;
	int rc = 0;

	*out = def;
	if (v == NULL)
		return 0;
	mark = conf_push_key(c, key);
	if (!json_is_string(v)) {
		rc = conf_fail(c, "expected a string of octal digits such as \"0660\" (JSON has no octal numbers), got %s",
			       conf_type_name(v));
		goto out;
	}
	s = json_string_value(v);
	for (p = s; *p >= '0' && *p <= '7'; p++)
		;
	if (p == s || *p != '\0' || strlen(s) != json_string_length(v)) {
		rc = conf_fail(c, "\"%s\" is not an octal mode (e.g. \"0660\")",
			       s);
		goto out;
	}
	mode = strtoul(s, NULL, 8);
	if (mode > 0777)
		rc = conf_fail(c, "\"%s\" is outside 0 to 0777: setuid, setgid and sticky bits mean nothing on a socket",
			       s);
	else if ((mode & 0111) != 0)
		rc = conf_fail(c, "\"%s\" grants execute, which means nothing on a socket: use bits within 0666",
			       s);
	else if ((mode & 0600) != 0600)
		rc = conf_fail(c, "\"%s\" takes read or write from the owner: the owner needs 0600",
			       s);
	else
		*out = (uint32_t)mode;
out:
	conf_pop(c, mark);
	return rc;
}

/* keys that only say something about the read-only socket */
static const char *const readonly_keys[] = {
	"control_readonly_group", "control_readonly_mode", NULL };

/* The control sockets: read-write, read-only, the group owning them,
 * and the read-only one's own group and mode. */
int
conf_parse_control(struct conf_ctx *c, json_t *root)
{
	struct lb_conf *conf = c->conf;
	const char *const *k;
	size_t mark;
	int rc;

	if ((rc = get_socket_path(c, root, "control_socket",
				  conf->control_socket)) != 0 ||
	    (rc = get_socket_path(c, root, "control_socket_readonly",
				  conf->control_socket_ro)) != 0)
		return -EINVAL;
	if (conf->control_socket_ro[0] != '\0' &&
	    strcmp(conf->control_socket_ro, conf->control_socket) == 0) {
		mark = conf_push_key(c, "control_socket_readonly");
		rc = conf_fail(c, "the read-only socket needs a path of its own");
		conf_pop(c, mark);
		return rc;
	}
	if ((rc = get_group(c, root, "control_group",
			    conf->control_group)) != 0 ||
	    (rc = get_group(c, root, "control_readonly_group",
			    conf->control_group_ro)) != 0 ||
	    (rc = get_socket_mode(c, root, "control_readonly_mode",
				  LB_CONTROL_MODE,
				  &conf->control_mode_ro)) != 0)
		return rc;
	/* a setting of no socket is a mistake, not a default */
	for (k = readonly_keys; *k != NULL; k++) {
		if (json_object_get(root, *k) == NULL ||
		    conf->control_socket_ro[0] != '\0')
			continue;
		mark = conf_push_key(c, *k);
		rc = conf_fail(c, "needs control_socket_readonly (there is no read-only socket to apply it to)");
		conf_pop(c, mark);
		return rc;
	}
	return 0;
}
