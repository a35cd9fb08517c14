/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "lb_pkt.h"
#include "lb_api.h"

RTE_LOG_REGISTER(lb_api_logtype, dsrlb.api, INFO);
#define API_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_api_logtype, "control: " fmt "\n", \
		##__VA_ARGS__)

json_t *
lb_api_fail(struct lb_api_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

/* A core error as a method's error: its message already names the
 * param. */
static json_t *
core_fail(struct lb_api_error *err, int rc, const struct lb_conf_error *cerr)
{
	int code;

	switch (rc) {
	case -EEXIST:
	case -EBUSY:
		code = LB_API_CONFLICT;
		break;
	case -ENOENT:
		code = LB_API_NOT_FOUND;
		break;
	case -EINVAL:
	case -ERANGE:
		code = LB_API_INVALID_PARAMS;
		break;
	default:
		code = LB_API_FAILED;
		break;
	}
	return lb_api_fail(err, code, "%s", cerr->msg[0] != '\0' ? cerr->msg :
			   strerror(-rc));
}

static const char *
str_param(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

static int
member_slot(struct lb_api *api, json_t *params, struct lb_api_error *err)
{
	const char *name = str_param(params, "name");
	int slot = lb_core_member_find(api->core, name);

	if (slot < 0)
		lb_api_fail(err, LB_API_NOT_FOUND,
			    "params.name: no member \"%s\"", name);
	return slot;
}

json_t *
lb_api_member_json(const struct lb_core *core, unsigned int slot)
{
	const struct lb_core_member *m = lb_core_member(core, slot);
	const struct lb_core_port *p;
	char ip[LB_IP_STRLEN];

	if (m == NULL)
		return NULL;
	p = lb_core_port(core, m->conf.port);
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o?}",
		"name", m->conf.name, "address", lb_ip_str(&m->conf.addr, ip),
		"weight", (int)m->conf.weight,
		"state", m->removing ? "removing" : lb_admin_names[m->conf.state],
		"mac_state", lb_mac_state_names[m->mac_state],
		"port", p != NULL ? p->conf.name : "",
		"source_ports", !m->conf.has_sports ? NULL :
			m->conf.sport_lo == m->conf.sport_hi ?
			json_integer(m->conf.sport_lo) :
			json_sprintf("%u-%u", m->conf.sport_lo, m->conf.sport_hi));
}

/* ---- members ---- */

static json_t *
member_view(const struct lb_api *api, unsigned int slot)
{
	if (api->member_view != NULL)
		return api->member_view(api->app, slot);
	return lb_api_member_json(api->core, slot);
}

static json_t *
api_member_set(struct lb_api *api, json_t *params,
	       struct lb_api_error *err)
{
	json_t *w = json_object_get(params, "weight");
	const char *state = str_param(params, "state");
	json_int_t weight = w != NULL ? json_integer_value(w) : -1;
	int slot, st = -1;

	slot = member_slot(api, params, err);
	if (slot < 0)
		return NULL;
	if (w != NULL && (weight < 0 || weight > 65535))
		return lb_api_fail(err, LB_API_INVALID_PARAMS,
				   "params.weight: %lld is out of range [0, 65535]",
				   (long long)weight);
	if (state != NULL) {
		st = lb_conf_enum(lb_admin_names, LB_ADMIN_STATE_MAX, state);
		if (st < 0)
			return lb_api_fail(err, LB_API_INVALID_PARAMS,
					   "params.state: \"%s\" is not one of: up, drain, disabled",
					   state);
	}
	if (w == NULL && state == NULL)
		return lb_api_fail(err, LB_API_INVALID_PARAMS,
				   "params: give \"weight\", \"state\" or both");
	if (lb_core_member(api->core, (unsigned int)slot)->removing)
		return lb_api_fail(err, LB_API_CONFLICT,
				   "params.name: member \"%s\" is being removed",
				   str_param(params, "name"));
	/* both checked above: neither call can fail half-way */
	if (w != NULL) {
		lb_core_member_set_weight(api->core, (unsigned int)slot,
					  (uint32_t)weight);
		API_LOG(NOTICE, "member %s weight %lld",
			str_param(params, "name"), (long long)weight);
	}
	if (st >= 0) {
		lb_core_member_set_state(api->core, (unsigned int)slot,
					 (uint8_t)st);
		API_LOG(NOTICE, "member %s state %s", str_param(params, "name"),
			state);
	}
	return member_view(api, (unsigned int)slot);
}

static json_t *
api_member_add(struct lb_api *api, json_t *params,
	       struct lb_api_error *err)
{
	json_t *services = json_object_get(params, "services");
	json_t *obj = json_copy(params);
	struct lb_conf_error cerr = { .msg = "" };
	struct lb_conf_member m;
	int svc[LB_MAX_SERVICES];
	json_t *v;
	size_t i;
	int rc, slot;

	if (obj == NULL)
		return lb_api_fail(err, LB_API_INTERNAL, "out of memory");
	json_object_del(obj, "services");
	rc = lb_conf_decode_member(obj, "params", &m, &cerr);
	json_decref(obj);
	if (rc != 0)
		return lb_api_fail(err, LB_API_INVALID_PARAMS, "%s", cerr.msg);
	/* the services to join must exist and list their members: check
	 * all before adding anything */
	if (json_array_size(services) > LB_MAX_SERVICES)
		return lb_api_fail(err, LB_API_INVALID_PARAMS,
				   "params.services: more than %d services",
				   LB_MAX_SERVICES);
	json_array_foreach(services, i, v) {
		char where[48];

		if (!json_is_string(v))
			return lb_api_fail(err, LB_API_INVALID_PARAMS,
					   "params.services[%zu]: expected a service name",
					   i);
		svc[i] = lb_core_service_find(api->core, json_string_value(v));
		if (svc[i] < 0)
			return lb_api_fail(err, LB_API_NOT_FOUND,
					   "params.services[%zu]: no service \"%s\"",
					   i, json_string_value(v));
		snprintf(where, sizeof(where), "params.services[%zu]", i);
		rc = lb_core_service_can_bind(api->core, (unsigned int)svc[i],
					      &m, where, &cerr);
		if (rc != 0)
			return core_fail(err, rc, &cerr);
	}
	slot = lb_core_member_create(api->core, &m, "params", &cerr);
	if (slot < 0)
		return core_fail(err, slot, &cerr);
	/* the core has the last word on each join: one it refuses all the
	 * same takes the member out again before anything is published,
	 * so the request changes nothing */
	json_array_foreach(services, i, v) {
		rc = lb_core_service_bind(api->core, (unsigned int)svc[i],
					  (unsigned int)slot);
		if (rc != 0) {
			lb_core_member_remove(api->core, (unsigned int)slot);
			return lb_api_fail(err, rc == -EINVAL ?
					   LB_API_INVALID_PARAMS : LB_API_FAILED,
					   "params.services[%zu]: service \"%s\" refused the member: %s",
					   i, json_string_value(v),
					   strerror(-rc));
		}
	}
	API_LOG(NOTICE, "member %s added", m.name);
	return member_view(api, (unsigned int)slot);
}

static uint64_t
member_flows(const struct lb_api *api, unsigned int slot)
{
	return api->member_flows != NULL ? api->member_flows(api->app, slot) : 0;
}

static json_t *
api_member_remove(struct lb_api *api, json_t *params,
		  struct lb_api_error *err)
{
	bool force = json_is_true(json_object_get(params, "force"));
	const char *name = str_param(params, "name");
	uint64_t flows;
	int slot;

	slot = member_slot(api, params, err);
	if (slot < 0)
		return NULL;
	flows = member_flows(api, (unsigned int)slot);
	if (force || flows == 0) {
		lb_core_member_remove(api->core, (unsigned int)slot);
		API_LOG(NOTICE, "member %s removed%s (%llu flows)", name,
			force ? " with force: its flows move" : "",
			(unsigned long long)flows);
		return json_pack("{s:s, s:b, s:b, s:I}", "name", name,
				 "removed", true, "draining", false,
				 "active_flows", (json_int_t)flows);
	}
	lb_core_member_retire(api->core, (unsigned int)slot);
	api->retire_ms[slot] = 0;   /* the next removals pass starts the clock */
	API_LOG(NOTICE, "member %s removing with drain: %llu flows to end",
		name, (unsigned long long)flows);
	return json_pack("{s:s, s:b, s:b, s:I}", "name", name, "removed", false,
			 "draining", true, "active_flows", (json_int_t)flows);
}

unsigned int
lb_api_removals_run(struct lb_api *api, uint64_t now_ms)
{
	uint64_t limit = 1000ull * lb_core_flows(api->core)->tcp_timeout;
	unsigned int slot, done = 0;

	for (slot = 0; slot < LB_MAX_MEMBERS; slot++) {
		const struct lb_core_member *m = lb_core_member(api->core, slot);
		uint64_t flows;

		if (m == NULL || !m->removing) {
			api->retire_ms[slot] = 0;
			continue;
		}
		if (api->retire_ms[slot] == 0)
			api->retire_ms[slot] = now_ms;
		flows = member_flows(api, slot);
		if (flows > 0 && now_ms - api->retire_ms[slot] < limit)
			continue;
		API_LOG(NOTICE, "member %s: drained (%llu flows left), removed",
			m->conf.name, (unsigned long long)flows);
		lb_core_member_remove(api->core, slot);
		api->retire_ms[slot] = 0;
		done++;
	}
	return done;
}

/* ---- services ---- */

static json_t *
service_json(const struct lb_core *core, unsigned int slot)
{
	const struct lb_core_service *cs = lb_core_service(core, slot);
	struct lb_conf conf;
	json_t *all, *one;

	/* the file format's encoding of one service */
	memset(&conf, 0, sizeof(conf));
	conf.services = (struct lb_conf_service *)(uintptr_t)&cs->conf;
	conf.n_services = 1;
	all = lb_conf_encode(&conf);
	one = json_incref(json_array_get(json_object_get(all, "services"), 0));
	json_decref(all);
	return one;
}

static json_t *
api_service_add(struct lb_api *api, json_t *params,
		struct lb_api_error *err)
{
	struct lb_conf_error cerr = { .msg = "" };
	struct lb_conf_service s;
	int slot;

	if (lb_conf_decode_service(params, "params", api->checks_possible, &s,
				   &cerr) != 0)
		return lb_api_fail(err, LB_API_INVALID_PARAMS, "%s", cerr.msg);
	slot = lb_core_service_create(api->core, &s, "params", &cerr);
	lb_conf_service_clear(&s);
	if (slot < 0)
		return core_fail(err, slot, &cerr);
	API_LOG(NOTICE, "service %s added", s.name);
	return service_json(api->core, (unsigned int)slot);
}

static json_t *
api_service_remove(struct lb_api *api, json_t *params,
		   struct lb_api_error *err)
{
	const char *name = str_param(params, "name");
	int slot = lb_core_service_find(api->core, name);

	if (slot < 0)
		return lb_api_fail(err, LB_API_NOT_FOUND,
				   "params.name: no service \"%s\"", name);
	lb_core_service_remove(api->core, (unsigned int)slot);
	API_LOG(NOTICE, "service %s removed", name);
	return json_pack("{s:s, s:b}", "name", name, "removed", true);
}

/* ---- VIPs ---- */

static json_t *
api_vip(struct lb_api *api, json_t *params, struct lb_api_error *err,
	bool add)
{
	struct lb_conf_error cerr = { .msg = "" };
	const char *text = str_param(params, "address");
	struct lb_ip addr;
	uint8_t prefix;
	int rc;

	rc = lb_ip_parse_cidr(text, LB_VIP_PREFIX4_MIN, LB_VIP_PREFIX6_MIN,
			      &addr, &prefix);
	if (rc == -ERANGE)
		return lb_api_fail(err, LB_API_INVALID_PARAMS,
				   "params.address: \"%s\": %s", text,
				   LB_VIP_PREFIX_RULE);
	if (rc != 0)
		return lb_api_fail(err, LB_API_INVALID_PARAMS,
				   "params.address: \"%s\" is not an IPv4 or IPv6 address or subnet",
				   text);
	rc = add ? lb_core_vip_add(api->core, &addr, prefix, "params", &cerr) :
		   lb_core_vip_remove(api->core, &addr, prefix, "params", &cerr);
	if (rc < 0)
		return core_fail(err, rc, &cerr);
	API_LOG(NOTICE, "VIP %s %s (%d addresses)", text,
		add ? "added" : "removed", rc);
	return json_pack("{s:i}", add ? "added" : "removed", rc);
}

static json_t *
api_vip_add(struct lb_api *api, json_t *params,
	    struct lb_api_error *err)
{
	return api_vip(api, params, err, true);
}

static json_t *
api_vip_remove(struct lb_api *api, json_t *params,
	       struct lb_api_error *err)
{
	return api_vip(api, params, err, false);
}

/* ---- configuration ---- */

static json_t *
api_config_get(struct lb_api *api, json_t *params __rte_unused,
	       struct lb_api_error *err)
{
	struct lb_conf *conf = lb_core_to_conf(api->core);
	json_t *o = conf != NULL ? lb_conf_encode(conf) : NULL;

	lb_conf_free(conf);
	if (o == NULL)
		return lb_api_fail(err, LB_API_INTERNAL, "out of memory");
	return o;
}

static json_t *
names_json(const struct lb_core_diff *d, unsigned int kind)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a != NULL && i < d->n[kind]; i++)
		json_array_append_new(a, json_string(d->names[kind][i]));
	return a;
}

static json_t *
vips_json(const struct lb_ip *v, unsigned int n)
{
	char buf[LB_IP_STRLEN];
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(lb_ip_str(&v[i], buf)));
	return a;
}

json_t *
lb_api_reload(struct lb_api *api, struct lb_conf_error *err)
{
	struct lb_core_diff d = { 0 };
	struct lb_conf *conf;
	bool changed;
	json_t *r;
	int rc;
	unsigned int k;

	err->msg[0] = '\0';
	if (api->config_path[0] == '\0') {
		snprintf(err->msg, sizeof(err->msg), "started without a configuration file");
		return NULL;
	}
	conf = lb_conf_load(api->config_path, err);
	if (conf == NULL) {
		api->reload_errors++;
		API_LOG(ERR, "reload refused, nothing changed: %s", err->msg);
		return NULL;
	}
	rc = lb_core_reload(api->core, conf, &d, err);
	lb_conf_free(conf);
	if (rc != 0) {
		api->reload_errors++;
		API_LOG(ERR, "reload refused, nothing changed: %s", err->msg);
		return NULL;
	}
	changed = d.n_vips[0] + d.n_vips[1] > 0;
	for (k = 0; k < LB_DIFF_KINDS; k++)
		changed = changed || d.n[k] > 0;
	if (changed)
		api->reloads++;
	else
		API_LOG(INFO, "%s: reloaded: nothing changed", api->config_path);
	r = json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"changed", changed,
		"vips_added", vips_json(d.vips[0], d.n_vips[0]),
		"vips_removed", vips_json(d.vips[1], d.n_vips[1]),
		"members_added", names_json(&d, LB_DIFF_MEMBER_ADDED),
		"members_removed", names_json(&d, LB_DIFF_MEMBER_REMOVED),
		"members_changed", names_json(&d, LB_DIFF_MEMBER_CHANGED),
		"services_added", names_json(&d, LB_DIFF_SERVICE_ADDED),
		"services_removed", names_json(&d, LB_DIFF_SERVICE_REMOVED),
		"services_changed", names_json(&d, LB_DIFF_SERVICE_CHANGED));
	lb_core_diff_free(&d);
	if (r != NULL && changed) {
		char *text = json_dumps(r, JSON_COMPACT);

		API_LOG(NOTICE, "%s: reloaded: %s", api->config_path,
			text != NULL ? text : "(changes not printable)");
		free(text);
	}
	if (r == NULL)
		snprintf(err->msg, sizeof(err->msg),
			 "applied, but the answer could not be encoded");
	return r;
}

static json_t *
api_config_reload(struct lb_api *api, json_t *params __rte_unused,
		  struct lb_api_error *err)
{
	struct lb_conf_error cerr;
	json_t *r = lb_api_reload(api, &cerr);

	if (r == NULL)
		return lb_api_fail(err, LB_API_FAILED, "%s", cerr.msg);
	return r;
}

#define P(n, t, r, h) { .name = (n), .type = (t), .required = (r), .help = (h) }

const struct lb_api_method lb_api_methods[] = {
	{ .name = "member.set", .help = "set a member's weight and/or state",
	  .write = true,
	  .params = { P("name", LB_API_STRING, true, "member name"),
		      { .name = "weight", .type = LB_API_INTEGER,
			.help = "0-65535 (0: no new flows)", .min = 0, .max = 65535 },
		      P("state", LB_API_STRING, false, "up, drain or disabled") },
	  .handler = api_member_set },
	{ .name = "member.add", .help = "add a member (a real server); it takes traffic once resolved and checked",
	  .write = true,
	  .params = { P("name", LB_API_STRING, true, "member name"),
		      P("address", LB_API_STRING, true, "IPv4 address on a port's subnet"),
		      { .name = "weight", .type = LB_API_INTEGER,
			.help = "0-65535, default 100", .min = 0, .max = 65535 },
		      P("mac", LB_API_STRING, false, "static MAC (never resolved)"),
		      P("source_ports", LB_API_INT_OR_STRING, false, "\"lo-hi\": VIP ports it owns"),
		      P("state", LB_API_STRING, false, "up, drain or disabled"),
		      P("services", LB_API_ARRAY, false, "services listing members to join") },
	  .handler = api_member_add },
	{ .name = "member.remove", .help = "remove a member: with drain (default), or now with force",
	  .write = true,
	  .params = { P("name", LB_API_STRING, true, "member name"),
		      P("force", LB_API_BOOLEAN, false, "true: remove now, its flows move") },
	  .handler = api_member_remove },
	{ .name = "service.add", .help = "add a service: params as one entry of \"services\" in the file",
	  .write = true,
	  .params = { P("name", LB_API_STRING, true, "service name"),
		      P("vip", LB_API_STRING, true, "a VIP or \"*\""),
		      P("protocol", LB_API_STRING, true, "tcp or udp"),
		      P("port", LB_API_INT_OR_STRING, true, "port, \"lo-hi\" or \"any\""),
		      P("scheduler", LB_API_STRING, false, "maglev, wrr, sh or wlc"),
		      P("persistence", LB_API_INTEGER, false, "seconds, 0 off"),
		      P("persistence_netmask", LB_API_STRING, false, "client netmask"),
		      P("stateless", LB_API_BOOLEAN, false, "UDP without flow entries"),
		      P("hash_fields", LB_API_ARRAY, false, "stateless hash fields"),
		      P("table_size", LB_API_INTEGER, false, "Maglev table size (prime)"),
		      P("members", LB_API_ARRAY, false, "member names (default: all)"),
		      P("check", LB_API_OBJECT, false, "health check") },
	  .handler = api_service_add },
	{ .name = "service.remove", .help = "remove a service; its flows end",
	  .write = true,
	  .params = { P("name", LB_API_STRING, true, "service name") },
	  .handler = api_service_remove },
	{ .name = "vip.add", .help = "add a VIP or a subnet of VIPs (/24 to /32)",
	  .write = true,
	  .params = { P("address", LB_API_STRING, true, "a.b.c.d or a.b.c.d/len") },
	  .handler = api_vip_add },
	{ .name = "vip.remove", .help = "remove a VIP or a subnet of VIPs no service names",
	  .write = true,
	  .params = { P("address", LB_API_STRING, true, "a.b.c.d or a.b.c.d/len") },
	  .handler = api_vip_remove },
	{ .name = "config.get", .help = "the running state in the configuration file's format",
	  .handler = api_config_get },
	{ .name = "config.reload", .help = "re-read the configuration file and apply the difference, all or nothing",
	  .write = true, .handler = api_config_reload },
};

const unsigned int lb_api_n_methods = RTE_DIM(lb_api_methods);
