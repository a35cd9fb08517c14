/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The control methods that change the state, on the real core, called
 * from lib/api's table with params of the shapes it lists (what a
 * dispatcher passes on): each method's validation (values, dangling
 * names, conflicts with the state), removal with drain, config.get
 * round trips and config.reload's difference. How lib/ctl serves the
 * table (params checked against it, JSON-RPC codes) is test_ctl's. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_api.h"
#include "lb_config.h"
#include "lb_core.h"
#include "test_util.h"

static const char *base =
"{\n"
"  \"ports\": [{\"name\": \"lan0\", \"address\": \"198.51.100.2/24\",\n"
"             \"gateway\": \"198.51.100.1\"}],\n"
"  \"exception_interface\": \"dsrlb0\",\n"
"  \"vips\": [\"198.51.100.100\", \"198.51.100.112/30\"],\n"
"  \"members\": [\n"
"    {\"name\": \"fe1\", \"address\": \"198.51.100.11\", \"mac\": \"02:00:00:00:00:11\"},\n"
"    {\"name\": \"fe2\", \"address\": \"198.51.100.12\", \"weight\": 50},\n"
"    {\"name\": \"fe3\", \"address\": \"198.51.100.13\", \"source_ports\": \"33000-33999\"}\n"
"  ],\n"
"  \"services\": [\n"
"    {\"name\": \"pop3\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 110,\n"
"     \"check\": {\"type\": \"pop3\"}},\n"
"    {\"name\": \"smtp\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 25,\n"
"     \"scheduler\": \"wrr\", \"persistence\": 0, \"members\": [\"fe1\", \"fe2\"]},\n"
"    {\"name\": \"sip\", \"vip\": \"*\", \"protocol\": \"udp\", \"port\": 5060,\n"
"     \"stateless\": true}\n"
"  ]\n"
"}\n";

struct env {
	struct lb_core *core;
	struct lb_api api;
	uint64_t flows[LB_MAX_MEMBERS];
	char dir[64];
	char path[128];
};

static uint64_t
flows_of(void *app, unsigned int slot)
{
	return ((struct env *)app)->flows[slot];
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A core as dsrlb builds it at start, from a file. */
static void
env_boot(struct env *e, const char *text)
{
	struct lb_core_params p = { .qsbr = NULL, .socket_id = -1 };
	struct lb_conf_error err;
	struct lb_conf *conf;

	write_file(e->path, text);
	conf = lb_conf_load(e->path, &err);
	if (conf == NULL)
		fail_msg("%s", err.msg);
	e->core = lb_core_create(&p);
	assert_non_null(e->core);
	if (lb_core_apply_conf(e->core, conf, NULL, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	lb_conf_free(conf);
	lb_core_set_started(e->core);
	e->api.core = e->core;
	snprintf(e->api.config_path, sizeof(e->api.config_path), "%s", e->path);
	e->api.checks_possible = true;
	e->api.app = e;
	e->api.member_flows = flows_of;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_api.XXXXXX");
	if (mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/dsrlb.json", e->dir);
	env_boot(e, base);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	lb_core_free(e->core);
	unlink(e->path);
	rmdir(e->dir);
	free(e);
	return 0;
}

/* Call method with params (JSON text, of the shapes its entry lists):
 * its result, or NULL with err set. */
static json_t *
call(struct env *e, const char *method, const char *params,
     struct lb_api_error *err)
{
	const struct lb_api_method *m = NULL;
	json_t *p, *r;
	unsigned int i;

	for (i = 0; i < lb_api_n_methods; i++)
		if (strcmp(lb_api_methods[i].name, method) == 0)
			m = &lb_api_methods[i];
	if (m == NULL)
		fail_msg("test bug: no method %s", method);
	p = json_loads(params, 0, NULL);
	if (p == NULL)
		fail_msg("test bug: params not JSON: %s", params);
	err->code = 0;
	err->message[0] = '\0';
	r = m->handler(&e->api, p, err);
	json_decref(p);
	return r;
}

/* The call succeeds; its result (a new reference). */
static json_t *
ok(struct env *e, const char *method, const char *params)
{
	struct lb_api_error err;
	json_t *r = call(e, method, params, &err);

	if (r == NULL)
		fail_msg("%s %s: %d %s", method, params, err.code, err.message);
	return r;
}

/* The call fails with code, and the message holds text. */
static void
refused(struct env *e, const char *method, const char *params, int code,
	const char *text)
{
	struct lb_api_error err;
	json_t *r = call(e, method, params, &err);

	if (r != NULL)
		fail_msg("%s %s: accepted", method, params);
	if (err.code != code || strstr(err.message, text) == NULL)
		fail_msg("%s %s: got %d \"%s\", expected %d \"%s\"", method,
			 params, err.code, err.message, code, text);
}

static void
member_add_validation(void **state)
{
	struct env *e = *state;
	json_t *r;
	int slot;

	refused(e, "member.add", "{\"name\": \"fe 9\", \"address\": \"198.51.100.20\"}",
		LB_API_INVALID_PARAMS, "params.name");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"192.0.2.20\"}",
		LB_API_INVALID_PARAMS, "params.address: 192.0.2.20 is not in the subnet of any port");
	/* IPv6: the test's port has no IPv6 subnet; link-local is no one's */
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"2001:db8:5::20\"}",
		LB_API_INVALID_PARAMS, "params.address: 2001:db8:5::20 is not in the subnet of any port");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"fe80::20\"}",
		LB_API_INVALID_PARAMS, "params.address: fe80::20 cannot be a member");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.1\"}",
		LB_API_INVALID_PARAMS, "params.address: 198.51.100.1 is the address, gateway");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.100\"}",
		LB_API_INVALID_PARAMS, "params.address: 198.51.100.100 is a VIP");
	refused(e, "member.add", "{\"name\": \"fe1\", \"address\": \"198.51.100.20\"}",
		LB_API_CONFLICT, "params.name: a member named \"fe1\" exists");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.12\"}",
		LB_API_CONFLICT, "params.address: 198.51.100.12 is also member \"fe2\"");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.20\", \"source_ports\": \"33500-34500\"}",
		LB_API_INVALID_PARAMS, "params.source_ports: 33500-34500 overlaps the range of member \"fe3\"");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.20\", \"source_ports\": \"20-30\"}",
		LB_API_INVALID_PARAMS, "includes the port of service \"smtp\"");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.20\", \"services\": [\"nope\"]}",
		LB_API_NOT_FOUND, "params.services[0]: no service \"nope\"");
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.20\", \"services\": [\"pop3\"]}",
		LB_API_INVALID_PARAMS, "takes every member already");
	/* nothing of the refused requests stayed */
	assert_int_equal(lb_core_member_find(e->core, "fe9"), -ENOENT);

	r = ok(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.20\", \"weight\": 7, \"services\": [\"smtp\"]}");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "up");
	json_decref(r);
	slot = lb_core_member_find(e->core, "fe9");
	assert_true(slot >= 0);
	assert_int_equal(lb_core_member(e->core, slot)->conf.weight, 7);
	/* joined smtp (a list), and pop3 (every member) */
	assert_true(lb_core_service(e->core, lb_core_service_find(e->core, "smtp"))->bound[slot]);
	assert_true(lb_core_service(e->core, lb_core_service_find(e->core, "pop3"))->bound[slot]);
	/* added at run time to a checked service: down until checked */
	assert_int_equal(lb_core_service(e->core, lb_core_service_find(e->core, "pop3"))->health[slot],
			 LB_HEALTH_DOWN);
	assert_int_equal(lb_core_service(e->core, lb_core_service_find(e->core, "smtp"))->health[slot],
			 LB_HEALTH_UP);
}

/* Two ports; imap is checked (from ports[0]'s exception interface),
 * smtp is not; both list their members. */
static const char *two_ports =
"{\n"
"  \"ports\": [{\"name\": \"lan0\", \"address\": \"198.51.100.2/24\"},\n"
"            {\"name\": \"lan1\", \"address\": \"203.0.113.2/24\"}],\n"
"  \"exception_interface\": \"dsrlb0\",\n"
"  \"vips\": [\"198.51.100.100\"],\n"
"  \"members\": [{\"name\": \"fe1\", \"address\": \"198.51.100.11\"}],\n"
"  \"services\": [\n"
"    {\"name\": \"smtp\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 25,\n"
"     \"members\": [\"fe1\"]},\n"
"    {\"name\": \"imap\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 143,\n"
"     \"members\": [\"fe1\"], \"check\": {\"type\": \"imap\"}}\n"
"  ]\n"
"}\n";

/* A member that cannot join one of the services it names (on lan1,
 * where a check from ports[0] cannot reach it) is refused naming that
 * service, and the request changes nothing: no member, no join to the
 * services before it in the list, no new state to publish. On lan0 it
 * joins both. */
static void
member_add_joins_every_service_or_none(void **state)
{
	struct env *e = *state;
	int smtp, imap, slot;
	uint64_t seq;

	lb_core_free(e->core);
	env_boot(e, two_ports);
	smtp = lb_core_service_find(e->core, "smtp");
	imap = lb_core_service_find(e->core, "imap");
	seq = lb_core_seq(e->core);
	refused(e, "member.add", "{\"name\": \"fe9\", \"address\": \"203.0.113.20\", \"services\": [\"smtp\", \"imap\"]}",
		LB_API_INVALID_PARAMS, "params.services[1]: service \"imap\"");
	assert_int_equal(lb_core_member_find(e->core, "fe9"), -ENOENT);
	assert_int_equal(lb_core_member_by_addr(e->core, ipxp("203.0.113.20")),
			 -ENOENT);
	for (slot = 0; slot < LB_MAX_MEMBERS; slot++)
		assert_int_equal(lb_core_service(e->core, smtp)->bound[slot],
				 slot == lb_core_member_find(e->core, "fe1"));
	assert_int_equal(lb_core_seq(e->core), seq);
	/* it may join the unchecked one from lan1 */
	json_decref(ok(e, "member.add", "{\"name\": \"fe9\", \"address\": \"203.0.113.20\", \"services\": [\"smtp\"]}"));
	slot = lb_core_member_find(e->core, "fe9");
	assert_true(slot >= 0);
	assert_true(lb_core_service(e->core, smtp)->bound[slot]);
	assert_false(lb_core_service(e->core, imap)->bound[slot]);
	/* and both from lan0 */
	json_decref(ok(e, "member.add", "{\"name\": \"fe8\", \"address\": \"198.51.100.18\", \"services\": [\"smtp\", \"imap\"]}"));
	slot = lb_core_member_find(e->core, "fe8");
	assert_true(lb_core_service(e->core, smtp)->bound[slot]);
	assert_true(lb_core_service(e->core, imap)->bound[slot]);
	assert_int_equal(lb_core_service(e->core, imap)->health[slot],
			 LB_HEALTH_DOWN);
}

static void
member_set_and_remove(void **state)
{
	struct env *e = *state;
	int slot = lb_core_member_find(e->core, "fe2");
	json_t *r;

	refused(e, "member.set", "{\"name\": \"nope\", \"weight\": 1}",
		LB_API_NOT_FOUND, "params.name: no member \"nope\"");
	refused(e, "member.set", "{\"name\": \"fe2\", \"weight\": 65536}",
		LB_API_INVALID_PARAMS, "params.weight: 65536 is out of range [0, 65535]");
	refused(e, "member.set", "{\"name\": \"fe2\"}",
		LB_API_INVALID_PARAMS, "params: give \"weight\", \"state\" or both");
	refused(e, "member.set", "{\"name\": \"fe2\", \"state\": \"asleep\"}",
		LB_API_INVALID_PARAMS, "params.state");
	json_decref(ok(e, "member.set", "{\"name\": \"fe2\", \"weight\": 0, \"state\": \"drain\"}"));
	assert_int_equal(lb_core_member(e->core, slot)->conf.weight, 0);
	assert_int_equal(lb_core_member(e->core, slot)->conf.state, LB_ADMIN_DRAIN);

	/* with flows: drained, then removed once they end */
	e->flows[slot] = 5;
	r = ok(e, "member.remove", "{\"name\": \"fe2\"}");
	assert_true(json_is_true(json_object_get(r, "draining")));
	assert_int_equal(json_integer_value(json_object_get(r, "active_flows")), 5);
	json_decref(r);
	assert_true(lb_core_member(e->core, slot)->removing);
	refused(e, "member.set", "{\"name\": \"fe2\", \"weight\": 3}",
		LB_API_CONFLICT, "being removed");
	assert_int_equal(lb_api_removals_run(&e->api, 1000), 0);
	assert_int_equal(lb_api_removals_run(&e->api, 2000), 0);
	e->flows[slot] = 0;
	assert_int_equal(lb_api_removals_run(&e->api, 3000), 1);
	assert_null(lb_core_member(e->core, slot));
	/* with force: now */
	slot = lb_core_member_find(e->core, "fe3");
	e->flows[slot] = 9;
	r = ok(e, "member.remove", "{\"name\": \"fe3\", \"force\": true}");
	assert_true(json_is_true(json_object_get(r, "removed")));
	json_decref(r);
	assert_null(lb_core_member(e->core, slot));
}

static void
drained_member_goes_after_the_tcp_timeout(void **state)
{
	struct env *e = *state;
	int slot = lb_core_member_find(e->core, "fe2");

	e->flows[slot] = 1;     /* one idle flow that never ends */
	json_decref(ok(e, "member.remove", "{\"name\": \"fe2\"}"));
	assert_int_equal(lb_api_removals_run(&e->api, 10000), 0);
	assert_int_equal(lb_api_removals_run(&e->api, 10000 + 899000), 0);
	assert_int_equal(lb_api_removals_run(&e->api, 10000 + 900000), 1);
}

static void
service_add_validation(void **state)
{
	struct env *e = *state;
	json_t *r;
	int slot;

	refused(e, "service.add", "{\"name\": \"imap\", \"vip\": \"198.51.100.100\", \"protocol\": \"sctp\", \"port\": 143}",
		LB_API_INVALID_PARAMS, "params.protocol: \"sctp\" is not one of: tcp, udp");
	refused(e, "service.add", "{\"name\": \"imap\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 70000}",
		LB_API_INVALID_PARAMS, "params.port");
	refused(e, "service.add", "{\"name\": \"imap\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 143, \"check\": {\"type\": \"imap\", \"rise\": 0}}",
		LB_API_INVALID_PARAMS, "params.check.rise");
	refused(e, "service.add", "{\"name\": \"imap\", \"vip\": \"198.51.100.99\", \"protocol\": \"tcp\", \"port\": 143}",
		LB_API_INVALID_PARAMS, "params.vip: 198.51.100.99 is not one of the VIPs");
	refused(e, "service.add", "{\"name\": \"imap\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 143, \"members\": [\"fe1\", \"ghost\"]}",
		LB_API_NOT_FOUND, "params.members[1]: no member is named \"ghost\"");
	refused(e, "service.add", "{\"name\": \"pop3\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 143}",
		LB_API_CONFLICT, "params.name: a service named \"pop3\" exists");
	refused(e, "service.add", "{\"name\": \"smtp2\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 25}",
		LB_API_INVALID_PARAMS, "params.port: overlaps service \"smtp\"");
	refused(e, "service.add", "{\"name\": \"x\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 33100}",
		LB_API_INVALID_PARAMS, "params.port: includes ports of member \"fe3\"");
	refused(e, "service.add", "{\"name\": \"x\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 40, \"table_size\": 100}",
		LB_API_INVALID_PARAMS, "params.table_size: 100 is not prime");
	assert_int_equal(lb_core_service_find(e->core, "imap"), -ENOENT);

	r = ok(e, "service.add", "{\"name\": \"imap\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 143, \"scheduler\": \"wlc\", \"members\": [\"fe1\", \"fe2\"], \"check\": {\"type\": \"imap\", \"interval\": 1, \"timeout\": 0.5}}");
	assert_string_equal(json_string_value(json_object_get(r, "scheduler")), "wlc");
	/* persistence defaults to the seed's 15 s */
	assert_int_equal(json_integer_value(json_object_get(r, "persistence")), 15);
	json_decref(r);
	slot = lb_core_service_find(e->core, "imap");
	assert_true(slot >= 0);
	assert_int_equal(lb_core_service(e->core, slot)->health[0], LB_HEALTH_DOWN);

	refused(e, "service.remove", "{\"name\": \"nope\"}", LB_API_NOT_FOUND,
		"params.name: no service \"nope\"");
	json_decref(ok(e, "service.remove", "{\"name\": \"imap\"}"));
	assert_int_equal(lb_core_service_find(e->core, "imap"), -ENOENT);
}

static void
vip_validation(void **state)
{
	struct env *e = *state;
	json_t *r;
	unsigned int n;

	refused(e, "vip.add", "{\"address\": \"300.1.1.1\"}",
		LB_API_INVALID_PARAMS, "params.address: \"300.1.1.1\" is not");
	refused(e, "vip.add", "{\"address\": \"203.0.113.0/23\"}",
		LB_API_INVALID_PARAMS, "/24 to /32");
	refused(e, "vip.add", "{\"address\": \"203.0.113.1/24\"}",
		LB_API_INVALID_PARAMS, "host bits");
	refused(e, "vip.add", "{\"address\": \"127.0.0.1\"}",
		LB_API_INVALID_PARAMS, "cannot be a VIP");
	refused(e, "vip.add", "{\"address\": \"198.51.100.2\"}",
		LB_API_INVALID_PARAMS, "is also the address or gateway of port \"lan0\"");
	refused(e, "vip.add", "{\"address\": \"198.51.100.11\"}",
		LB_API_INVALID_PARAMS, "is member \"fe1\"");
	lb_core_vips(e->core, &n);
	assert_int_equal(n, 5);
	r = ok(e, "vip.add", "{\"address\": \"203.0.113.8/30\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "added")), 4);
	json_decref(r);
	r = ok(e, "vip.add", "{\"address\": \"203.0.113.9\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "added")), 0);
	json_decref(r);
	assert_true(lb_core_is_vip4(e->core, ip4("203.0.113.10")));
	refused(e, "vip.remove", "{\"address\": \"198.51.100.100\"}",
		LB_API_CONFLICT, "is the VIP of service \"pop3\"");
	r = ok(e, "vip.remove", "{\"address\": \"203.0.113.8/30\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "removed")), 4);
	json_decref(r);
	lb_core_vips(e->core, &n);
	assert_int_equal(n, 5);
	/* IPv6, the same way */
	refused(e, "vip.add", "{\"address\": \"2001:db8::/119\"}",
		LB_API_INVALID_PARAMS, "/120 to /128 (IPv6)");
	refused(e, "vip.add", "{\"address\": \"fe80::1\"}",
		LB_API_INVALID_PARAMS, "fe80::1 cannot be a VIP");
	refused(e, "vip.add", "{\"address\": \"2001:db8::1/126\"}",
		LB_API_INVALID_PARAMS, "host bits");
	r = ok(e, "vip.add", "{\"address\": \"2001:db8::4/126\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "added")), 4);
	json_decref(r);
	assert_true(lb_core_is_vip(e->core, (struct lb_ip[]){ ipx("2001:db8::7") }));
	assert_false(lb_core_is_vip(e->core, (struct lb_ip[]){ ipx("2001:db8::8") }));
	r = ok(e, "vip.remove", "{\"address\": \"2001:db8::6/127\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "removed")), 2);
	json_decref(r);
	lb_core_vips(e->core, &n);
	assert_int_equal(n, 7);
}

/* config.get, written to the file and reloaded, changes nothing; and
 * what it says is the running state, runtime changes included. */
static void
config_get_round_trips(void **state)
{
	struct env *e = *state;
	json_t *conf, *r;
	char *text;

	json_decref(ok(e, "member.add", "{\"name\": \"fe9\", \"address\": \"198.51.100.20\"}"));
	json_decref(ok(e, "member.set", "{\"name\": \"fe1\", \"state\": \"drain\"}"));
	json_decref(ok(e, "vip.add", "{\"address\": \"203.0.113.5\"}"));
	conf = ok(e, "config.get", "{}");
	text = json_dumps(conf, JSON_INDENT(2));
	write_file(e->path, text);
	free(text);
	json_decref(conf);
	r = ok(e, "config.reload", "{}");
	if (!json_is_false(json_object_get(r, "changed"))) {
		text = json_dumps(r, 0);
		fail_msg("reload of config.get changed: %s", text);
	}
	json_decref(r);
	/* and the same again from the reloaded state */
	conf = ok(e, "config.get", "{}");
	assert_true(lb_core_is_vip4(e->core, ip4("203.0.113.5")));
	assert_int_equal(lb_core_member(e->core, lb_core_member_find(e->core, "fe1"))->conf.state,
			 LB_ADMIN_DRAIN);
	json_decref(conf);
}

static bool
listed(json_t *r, const char *key, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, key), i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

static char *
edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	if (at == NULL)
		fail_msg("test bug: \"%s\" is not in the text", from);
	snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return s;
}

static void
reload_applies_the_difference(void **state)
{
	struct env *e = *state;
	int fe1 = lb_core_member_find(e->core, "fe1");
	int pop3 = lb_core_service_find(e->core, "pop3");
	uint16_t gen1 = lb_core_member(e->core, fe1)->gen;
	char *a, *b, *c, *d;
	json_t *r;

	/* fe2 gone, fe4 new, fe1 weight changed; smtp gone, imap new, pop3
	 * changed; a VIP block gone and one new */
	a = edit(base, "    {\"name\": \"fe2\", \"address\": \"198.51.100.12\", \"weight\": 50},\n",
		 "    {\"name\": \"fe4\", \"address\": \"198.51.100.14\"},\n");
	b = edit(a, "\"mac\": \"02:00:00:00:00:11\"}", "\"mac\": \"02:00:00:00:00:11\", \"weight\": 200}");
	c = edit(b, "    {\"name\": \"smtp\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 25,\n"
		 "     \"scheduler\": \"wrr\", \"persistence\": 0, \"members\": [\"fe1\", \"fe2\"]},\n",
		 "    {\"name\": \"imap\", \"vip\": \"198.51.100.113\", \"protocol\": \"tcp\", \"port\": 143},\n");
	d = edit(c, "\"198.51.100.112/30\"", "\"198.51.100.112/31\", \"203.0.113.7\"");
	free(a);
	a = edit(d, "\"check\": {\"type\": \"pop3\"}", "\"check\": {\"type\": \"pop3\"}, \"scheduler\": \"wrr\"");
	write_file(e->path, a);
	free(a);
	free(b);
	free(c);
	free(d);

	r = ok(e, "config.reload", "{}");
	assert_true(json_is_true(json_object_get(r, "changed")));
	assert_true(listed(r, "members_added", "fe4"));
	assert_true(listed(r, "members_removed", "fe2"));
	assert_true(listed(r, "members_changed", "fe1"));
	assert_false(listed(r, "members_changed", "fe3"));
	assert_true(listed(r, "services_added", "imap"));
	assert_true(listed(r, "services_removed", "smtp"));
	assert_true(listed(r, "services_changed", "pop3"));
	assert_false(listed(r, "services_changed", "sip"));
	assert_true(listed(r, "vips_added", "203.0.113.7"));
	assert_true(listed(r, "vips_removed", "198.51.100.114"));
	assert_true(listed(r, "vips_removed", "198.51.100.115"));
	json_decref(r);
	/* changed in place: same slots, same generations, flows stay */
	assert_int_equal(lb_core_member_find(e->core, "fe1"), fe1);
	assert_int_equal(lb_core_member(e->core, fe1)->gen, gen1);
	assert_int_equal(lb_core_member(e->core, fe1)->conf.weight, 200);
	assert_int_equal(lb_core_service_find(e->core, "pop3"), pop3);
	assert_int_equal(lb_core_service(e->core, pop3)->conf.sched, LB_SCHED_WRR);
	/* the member that went is drained (no flow counter here: 0 flows) */
	assert_true(lb_core_member(e->core, lb_core_member_find(e->core, "fe2"))->removing);
	assert_int_equal(lb_api_removals_run(&e->api, 1), 1);
	assert_int_equal(lb_core_member_find(e->core, "fe2"), -ENOENT);
	assert_int_equal(lb_core_service_find(e->core, "smtp"), -ENOENT);
	assert_false(lb_core_is_vip4(e->core, ip4("198.51.100.115")));
	/* the same file again: nothing */
	r = ok(e, "config.reload", "{}");
	assert_true(json_is_false(json_object_get(r, "changed")));
	json_decref(r);
}

/* high_availability.shutdown_grace_ms is read when a stop comes: a
 * reload that changes it is taken, for the next stop, while the rest of
 * the section still takes a restart. */
static void
reload_sets_the_shutdown_grace(void **state)
{
	struct env *e = *state;
	char *ha, *t;
	json_t *r;

	lb_core_free(e->core);
	ha = edit(base, "\"exception_interface\": \"dsrlb0\",\n",
		  "\"exception_interface\": \"dsrlb0\",\n"
		  "  \"high_availability\": {\"mode\": \"ecmp\"},\n");
	env_boot(e, ha);
	assert_int_equal(lb_core_settings(e->core)->ha.shutdown_grace_ms, 3000);
	t = edit(ha, "{\"mode\": \"ecmp\"}",
		 "{\"mode\": \"ecmp\", \"shutdown_grace_ms\": 500}");
	write_file(e->path, t);
	free(t);
	r = ok(e, "config.reload", "{}");
	json_decref(r);
	assert_int_equal(lb_core_settings(e->core)->ha.shutdown_grace_ms, 500);
	t = edit(ha, "{\"mode\": \"ecmp\"}",
		 "{\"mode\": \"ecmp\", \"announce_table\": 300}");
	write_file(e->path, t);
	free(t);
	refused(e, "config.reload", "{}", LB_API_FAILED,
		"high_availability: changed, and this takes a restart");
	/* refused as a whole: the grace in that file (the default) is not
	 * taken either */
	assert_int_equal(lb_core_settings(e->core)->ha.shutdown_grace_ms, 500);
	free(ha);
}

static void
broken_reload_changes_nothing(void **state)
{
	struct env *e = *state;
	uint64_t seq = lb_core_seq(e->core);
	char *t;

	/* not JSON */
	write_file(e->path, "{\"ports\": [");
	refused(e, "config.reload", "{}", LB_API_FAILED, "dsrlb.json:1:");
	/* decodes, but a service names a member that is gone */
	t = edit(base, "    {\"name\": \"fe2\", \"address\": \"198.51.100.12\", \"weight\": 50},\n", "");
	write_file(e->path, t);
	free(t);
	refused(e, "config.reload", "{}", LB_API_FAILED,
		"services[1].members[1]: no member is named \"fe2\"");
	/* a new member collides, after other valid changes */
	t = edit(base, "\"weight\": 50}", "\"weight\": 60}, {\"name\": \"fe5\", \"address\": \"198.51.100.11\"}");
	write_file(e->path, t);
	free(t);
	refused(e, "config.reload", "{}", LB_API_FAILED,
		"members[2].address: 198.51.100.11 is also member \"fe1\"");
	/* a port changed: needs a restart */
	t = edit(base, "198.51.100.2/24", "198.51.100.3/24");
	write_file(e->path, t);
	free(t);
	refused(e, "config.reload", "{}", LB_API_FAILED,
		"dsrlb.json: ports[0].address: changed, and this takes a restart");
	/* the MTU too: the NIC, its buffers and the kernel interface are
	 * set up at start */
	t = edit(base, "\"gateway\": \"198.51.100.1\"",
		 "\"gateway\": \"198.51.100.1\", \"mtu\": 9000");
	write_file(e->path, t);
	free(t);
	refused(e, "config.reload", "{}", LB_API_FAILED,
		"dsrlb.json: ports[0].mtu: changed, and this takes a restart");
	/* nothing of it was applied */
	assert_int_equal(lb_core_seq(e->core), seq);
	assert_int_equal(lb_core_member(e->core, lb_core_member_find(e->core, "fe2"))->conf.weight, 50);
	assert_int_equal(lb_core_member_find(e->core, "fe5"), -ENOENT);
	assert_int_equal(e->api.reload_errors, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(member_add_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(member_add_joins_every_service_or_none, setup, teardown),
		cmocka_unit_test_setup_teardown(member_set_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(drained_member_goes_after_the_tcp_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(service_add_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(vip_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(config_get_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_applies_the_difference, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_sets_the_shutdown_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_reload_changes_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
