/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* The configuration: a valid file decodes to the right values and
 * defaults, and every class of error is refused with a message naming
 * the JSON path (or file:line:column, file:line). No EAL. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_common.h>

#include "lb_config.h"
#include "lb_core.h"
#include "lb_sched.h"
#include "test_util.h"

static const char base[] =
"{\n"
"  \"ports\": [{\"name\": \"lan0\", \"address\": \"198.51.100.2/24\",\n"
"             \"gateway\": \"198.51.100.1\"}],\n"
"  \"exception_interface\": \"dsrlb0\",\n"
"  \"control_socket\": \"/run/dsrlb/control.sock\",\n"
"  \"vips\": [\"198.51.100.100\", \"198.51.100.112/29\"],\n"
"  \"flows\": {\"capacity\": 65536},\n"
"  \"members\": [\n"
"    {\"name\": \"fe1\", \"address\": \"198.51.100.11\", \"mac\": \"02:00:00:00:00:11\"},\n"
"    {\"name\": \"fe2\", \"address\": \"198.51.100.12\", \"weight\": 50,\n"
"     \"source_ports\": \"33000-33999\", \"state\": \"drain\"}\n"
"  ],\n"
"  \"services\": [\n"
"    {\"name\": \"pop3\", \"vip\": \"198.51.100.100\", \"protocol\": \"tcp\", \"port\": 110,\n"
"     \"check\": {\"type\": \"pop3\", \"interval\": 2, \"timeout\": 1, \"rise\": 2, \"fall\": 3}},\n"
"    {\"name\": \"sip\", \"vip\": \"*\", \"protocol\": \"udp\", \"port\": 5060,\n"
"     \"stateless\": true, \"members\": [\"fe1\"]}\n"
"  ]\n"
"}\n";

/* text with the first occurrence of from replaced by to */
static char *
edit_in(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	if (at == NULL)
		fail_msg("test bug: \"%s\" is not in the config", from);
	snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to,
		 at + strlen(from));
	return s;
}

/* base with the first occurrence of from replaced by to */
static char *
edit(const char *from, const char *to)
{
	return edit_in(base, from, to);
}

/* A file is decoded (lib/config) and then checked against the rules of
 * the state (the core), as dsrlb -t and a reload do. */
static struct lb_conf *
load(const char *text, struct lb_conf_error *err)
{
	struct lb_conf *c = lb_conf_parse(text, "t.json", err);

	if (c != NULL && lb_core_conf_check(c, err) != 0) {
		lb_conf_free(c);
		return NULL;
	}
	return c;
}

static void
expect_error(const char *text, const char *where)
{
	struct lb_conf_error err;
	struct lb_conf *c = load(text, &err);

	if (c != NULL) {
		lb_conf_free(c);
		fail_msg("accepted, expected an error at %s", where);
	}
	if (strstr(err.msg, where) == NULL)
		fail_msg("message \"%s\" does not name %s", err.msg, where);
}

static void
expect_edit_error(const char *from, const char *to, const char *where)
{
	char *s = edit(from, to);

	expect_error(s, where);
	free(s);
}

static void
valid_config_decodes(void **state)
{
	struct lb_conf_error err;
	struct lb_conf *c = lb_conf_parse(base, "t.json", &err);
	const struct lb_conf_service *pop3, *sip;

	(void)state;
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->n_ports, 1);
	assert_int_equal(c->ports[0].addr, ip4("198.51.100.2"));
	assert_int_equal(c->ports[0].prefix, 24);
	assert_int_equal(c->ports[0].gateway, ip4("198.51.100.1"));
	assert_string_equal(c->exception_interface, "dsrlb0");
	assert_int_equal(c->n_vips, 1 + 8);      /* /29 expanded */
	assert_ip_equal(c->vips[0], "198.51.100.100");
	assert_ip_equal(c->vips[8], "198.51.100.119");
	assert_int_equal(c->flows.capacity, 65536);
	assert_int_equal(c->flows.capacity6, 16384);   /* a quarter */
	assert_int_equal(c->flows.syn_timeout, 10);
	assert_int_equal(c->flows.tcp_timeout, 900);
	assert_int_equal(c->flows.fin_timeout, 10);
	assert_int_equal(c->flows.udp_timeout, 60);
	assert_int_equal(c->dataplane.frag_hold_ms, 10);
	assert_int_equal(c->dataplane.frag_ttl_ms, 1000);
	assert_int_equal(c->dataplane.exception_pps, 10000);
	assert_int_equal(c->dataplane.arp_pps, 1000);
	assert_int_equal(c->dataplane.member_pps, 5000);
	assert_int_equal(c->dataplane.router_pps, 1000);
	assert_int_equal(c->dataplane.peer_pps, 5000);
	assert_int_equal(c->dataplane.vrrp_pps, 200);
	assert_int_equal(c->arp.reachable_ms, 60000);
	assert_int_equal(c->arp.probe_ms, 1000);
	assert_int_equal(c->arp.probes, 3);
	assert_int_equal(c->arp.retry_ms, 5000);
	assert_int_equal(c->arp.stale_retries, 3);
	assert_int_equal(c->n_members, 2);
	assert_int_equal(c->members[0].weight, 100);
	assert_true(c->members[0].has_mac);
	assert_int_equal(c->members[0].mac[5], 0x11);
	assert_int_equal(c->members[1].weight, 50);
	assert_true(c->members[1].has_sports);
	assert_int_equal(c->members[1].sport_lo, 33000);
	assert_int_equal(c->members[1].sport_hi, 33999);
	assert_int_equal(c->members[1].state, LB_ADMIN_DRAIN);
	assert_int_equal(c->n_services, 2);
	pop3 = &c->services[0];
	assert_int_equal(pop3->proto, LB_IPPROTO_TCP);
	assert_int_equal(pop3->port_lo, 110);
	assert_int_equal(pop3->sched, LB_SCHED_MAGLEV);
	assert_int_equal(pop3->table_size, LB_MAGLEV_DEFAULT_SIZE);
	assert_null(pop3->members);           /* every member */
	assert_int_equal(pop3->check.type, LB_CHECK_POP3);
	assert_int_equal(pop3->check.interval_ms, 2000);
	assert_int_equal(pop3->check.port, 110);
	sip = &c->services[1];
	assert_true(lb_ip_is_unset(&sip->vip));        /* "*" */
	assert_true(sip->stateless);
	assert_int_equal(sip->hash_fields, LB_HASH_F_DEFAULT);
	assert_int_equal(sip->n_members, 1);
	assert_int_equal(sip->check.type, LB_CHECK_NONE);
	lb_conf_free(c);
}

static void
invalid_json_names_line_and_column(void **state)
{
	(void)state;
	expect_error("{\n  \"ports\": [\n  ,]\n}", "t.json:3:");
	expect_error("{\"ports\": [], \"ports\": []}", "t.json:1:");
}

static void
unknown_key_names_its_path(void **state)
{
	(void)state;
	expect_edit_error("\"flows\": {", "\"flows\": {\"capcity\": 1, ",
			  "flows.capcity: unknown key");
	expect_edit_error("\"exception_interface\"", "\"exception_iface\"",
			  "exception_iface: unknown key");
	expect_edit_error("\"rise\": 2", "\"rise\": 2, \"falls\": 1",
			  "services[0].check.falls");
}

static void
wrong_type_names_its_path(void **state)
{
	(void)state;
	expect_edit_error("\"capacity\": 65536", "\"capacity\": \"lots\"",
			  "flows.capacity: expected an integer");
	expect_edit_error("\"stateless\": true", "\"stateless\": 1",
			  "services[1].stateless: expected true or false");
	expect_edit_error("\"weight\": 50", "\"weight\": 5.5",
			  "members[1].weight");
	expect_error("[]", "(top level): expected an object");
}

static void
fragment_timing_refused_when_memory_shorter_than_wait(void **state)
{
	(void)state;
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"frag_hold_ms\": 50, \"frag_ttl_ms\": 40},",
			  "dataplane.frag_ttl_ms: 40 must be longer than frag_hold_ms (50)");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"frag_hold_ms\": 0},",
			  "dataplane.frag_hold_ms");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"member_pps\": 50},",
			  "dataplane.member_pps: 50 is out of range");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"router_pps\": 0},",
			  "dataplane.router_pps: 0 is out of range");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"peer_pps\": \"fast\"},",
			  "dataplane.peer_pps");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"vrrp_pps\": 1000000},",
			  "dataplane.vrrp_pps: 1000000 is out of range");
}

static void
arp_timing_refused_when_probes_do_not_fit(void **state)
{
	(void)state;
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"arp\": {\"reachable_time\": 4, \"probes\": 3},",
			  "arp.reachable_time: 4 s is too short for 3 probes 1 s apart");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"arp\": {\"probe_interval\": \"1\"},",
			  "arp.probe_interval: expected seconds");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"arp\": {\"reachable\": 30},",
			  "arp.reachable");
}

/* Issue 17: how many unanswered retries a stale member no check covers
 * gets before it fails; 0 turns that off, the bounds name the path. */
static void
arp_stale_retries_bounded(void **state)
{
	static const char flows[] = "\"flows\": {\"capacity\": 65536},";
	struct lb_conf_error err;
	struct lb_conf *c;
	char *text;

	(void)state;
	text = edit(flows, "\"flows\": {\"capacity\": 65536}, \"arp\": {\"stale_retries\": 0},");
	c = load(text, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->arp.stale_retries, 0);
	lb_conf_free(c);
	free(text);
	text = edit(flows, "\"flows\": {\"capacity\": 65536}, \"arp\": {\"stale_retries\": 100},");
	c = load(text, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->arp.stale_retries, 100);
	lb_conf_free(c);
	free(text);
	expect_edit_error(flows,
			  "\"flows\": {\"capacity\": 65536}, \"arp\": {\"stale_retries\": 101},",
			  "arp.stale_retries: 101 is out of range [0, 100]");
	expect_edit_error(flows,
			  "\"flows\": {\"capacity\": 65536}, \"arp\": {\"stale_retries\": -1},",
			  "arp.stale_retries: -1 is out of range [0, 100]");
	expect_edit_error(flows,
			  "\"flows\": {\"capacity\": 65536}, \"arp\": {\"stale_retries\": true},",
			  "arp.stale_retries: expected an integer");
}

static void
missing_required_names_its_path(void **state)
{
	(void)state;
	expect_edit_error("\"protocol\": \"tcp\", ", "",
			  "services[0].protocol: required");
	expect_edit_error("\"name\": \"fe1\", \"address\": \"198.51.100.11\"",
			  "\"name\": \"fe1\"", "members[0].address: required");
}

static void
bad_address_names_its_path(void **state)
{
	(void)state;
	expect_edit_error("\"198.51.100.11\"", "\"198.51.100.311\"",
			  "members[0].address");
	expect_edit_error("\"198.51.100.2/24\"", "\"198.51.100.2\"",
			  "ports[0].address");
	expect_edit_error("\"198.51.100.11\"", "\"192.0.2.11\"",
			  "members[0].address: 192.0.2.11 is not in the subnet");
	expect_edit_error("\"02:00:00:00:00:11\"", "\"01:00:00:00:00:11\"",
			  "members[0].mac");
	expect_edit_error("\"gateway\": \"198.51.100.1\"",
			  "\"gateway\": \"192.0.2.1\"", "ports[0].gateway");
}

static void
vip_mask_under_24_refused(void **state)
{
	(void)state;
	expect_edit_error("\"198.51.100.112/29\"", "\"198.51.100.0/23\"",
			  "vips[1]: \"198.51.100.0/23\": subnet masks must be /24 to /32 (IPv4) or /120 to /128 (IPv6)");
	expect_edit_error("\"198.51.100.112/29\"", "\"2001:db8::/119\"",
			  "vips[1]: \"2001:db8::/119\": subnet masks must be /24 to /32 (IPv4) or /120 to /128 (IPv6)");
	expect_edit_error("\"198.51.100.112/29\"", "\"2001:db8::4/124\"",
			  "vips[1]: \"2001:db8::4/124\" has host bits set");
	expect_edit_error("\"198.51.100.112/29\"", "\"198.51.100.114/29\"",
			  "vips[1]: \"198.51.100.114/29\" has host bits set");
}

/* addresses that can never be a VIP: the data path would match an empty
 * address-table slot, or the kernel would never route them */
static void
reserved_vip_refused(void **state)
{
	(void)state;
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"0.0.0.0\", \"198.51.100.112/29\"",
			  "vips[0]: 0.0.0.0 cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"127.0.0.1\", \"198.51.100.112/29\"",
			  "vips[0]: 127.0.0.1 cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"224.0.0.18\", \"198.51.100.112/29\"",
			  "vips[0]: 224.0.0.18 cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"255.255.255.255\", \"198.51.100.112/29\"",
			  "vips[0]: 255.255.255.255 cannot be a VIP");
	expect_edit_error("\"198.51.100.2/24\"", "\"127.0.0.2/8\"",
			  "ports[0].address: \"127.0.0.2/8\": 0/8, 127/8");
	/* IPv6: unspecified, loopback, link-local, multicast; and the
	 * IPv4-mapped form, which is an IPv4 address written otherwise */
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"::\", \"198.51.100.112/29\"",
			  "vips[0]: :: cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"::1\", \"198.51.100.112/29\"",
			  "vips[0]: ::1 cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"fe80::1\", \"198.51.100.112/29\"",
			  "vips[0]: fe80::1 cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"ff02::1:ff00:1\", \"198.51.100.112/29\"",
			  "vips[0]: ff02::1:ff00:1 cannot be a VIP");
	expect_edit_error("\"198.51.100.100\", \"198.51.100.112/29\"",
			  "\"::ffff:198.51.100.100\", \"198.51.100.112/29\"",
			  "vips[0]: \"::ffff:198.51.100.100\" is not an IPv4 or IPv6 address");
	expect_edit_error("\"vip\": \"198.51.100.100\"",
			  "\"vip\": \"2001:db8::/128\"",
			  "services[0].vip: \"2001:db8::/128\" is not an IPv4 or IPv6 address or \"*\"");
	expect_edit_error("\"vip\": \"198.51.100.100\"",
			  "\"vip\": \"2001:db8::99\"",
			  "services[0].vip: 2001:db8::99 is not one of the VIPs");
}

/* IPv6 VIPs beside IPv4 ones: in "vips" and in a service's "vip", and
 * written back in the largest /120 to /128 blocks they fill */
static void
ipv6_vips_decode_and_round_trip(void **state)
{
	struct lb_conf_error err;
	char *text = edit("\"vips\": [\"198.51.100.100\", \"198.51.100.112/29\"]",
			  "\"vips\": [\"2001:DB8::10\", \"198.51.100.100\", "
			  "\"2001:db8:0:1::/124\", \"198.51.100.112/29\", "
			  "\"2001:db8::10\"]");
	char *t2 = NULL, *one, *two;
	struct lb_conf *c, *c2;
	json_t *o;

	(void)state;
	c = load(text, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	/* 1 + 8 IPv4, 1 + 16 IPv6 (the duplicate once): IPv4 first */
	assert_int_equal(c->n_vips, 26);
	assert_ip_equal(c->vips[0], "198.51.100.100");
	assert_ip_equal(c->vips[8], "198.51.100.119");
	assert_ip_equal(c->vips[9], "2001:db8::10");
	assert_ip_equal(c->vips[10], "2001:db8:0:1::");
	assert_ip_equal(c->vips[25], "2001:db8:0:1::f");
	o = lb_conf_encode(c);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(strstr(one, "\"2001:db8::10\", \"2001:db8:0:1::/124\""));
	c2 = lb_conf_parse(one, "t2.json", &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	o = lb_conf_encode(c2);
	two = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_string_equal(one, two);
	assert_memory_equal(c2->vips, c->vips, c->n_vips * sizeof(*c->vips));
	lb_conf_free(c2);
	lb_conf_free(c);
	free(one);
	free(two);

	/* a service on one IPv6 VIP, written back as given */
	t2 = malloc(strlen(text) + 64);
	snprintf(t2, strlen(text) + 64, "%s", text);
	free(text);
	text = strstr(t2, "\"vip\": \"198.51.100.100\"");
	assert_non_null(text);
	memcpy(text, "\"vip\": \"2001:db8::10\"  ", strlen("\"vip\": \"198.51.100.100\""));
	c = load(t2, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_ip_equal(c->services[0].vip, "2001:db8::10");
	o = lb_conf_encode(c);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(strstr(one, "\"vip\": \"2001:db8::10\""));
	free(one);
	lb_conf_free(c);
	free(t2);
}

static void
duplicate_names_refused(void **state)
{
	(void)state;
	expect_edit_error("\"name\": \"fe2\"", "\"name\": \"fe1\"",
			  "members[1].name: a member named \"fe1\" exists");
	expect_edit_error("\"name\": \"sip\"", "\"name\": \"pop3\"",
			  "services[1].name: a service named");
	expect_edit_error("\"198.51.100.12\"", "\"198.51.100.11\"",
			  "members[1].address");
}

static void
dangling_references_refused(void **state)
{
	(void)state;
	expect_edit_error("\"vip\": \"198.51.100.100\"",
			  "\"vip\": \"198.51.100.99\"",
			  "services[0].vip: 198.51.100.99 is not one of the VIPs");
	expect_edit_error("\"members\": [\"fe1\"]", "\"members\": [\"fe9\"]",
			  "services[1].members[0]: no member is named \"fe9\"");
}

static void
conflicts_refused(void **state)
{
	(void)state;
	/* a member that is a VIP */
	expect_edit_error("\"198.51.100.12\"", "\"198.51.100.100\"",
			  "members[1].address: 198.51.100.100 is a VIP");
	/* overlapping source-port ranges */
	expect_edit_error("\"mac\": \"02:00:00:00:00:11\"",
			  "\"mac\": \"02:00:00:00:00:11\", \"source_ports\": \"33500-34000\"",
			  "members[1].source_ports");
	/* a source-port range holding a service's port */
	expect_edit_error("\"33000-33999\"", "\"5000-5100\"",
			  "services[1].port: includes ports of member \"fe2\"'s source-port range (5000-5100)");
	/* two services on the same VIP, protocol and port */
	expect_edit_error("\"members\": [\"fe1\"]}",
			  "\"members\": [\"fe1\"]}, {\"name\": \"sip2\", \"vip\": \"*\", "
			  "\"protocol\": \"udp\", \"port\": 5060}",
			  "services[2].port: overlaps service \"sip\" on the same VIP and protocol");
	/* ... but an exact port inside another service's range is fine */
	{
		char *t = edit("\"members\": [\"fe1\"]}",
			       "\"members\": [\"fe1\"]}, {\"name\": \"sip2\", \"vip\": \"*\", "
			       "\"protocol\": \"udp\", \"port\": \"5000-5100\"}");
		struct lb_conf_error err;
		struct lb_conf *c = lb_conf_parse(t, "t.json", &err);

		if (c == NULL)
			fail_msg("%s", err.msg);
		lb_conf_free(c);
		free(t);
	}
}

/* persistence_prefix6: IPv6 clients' prefix, /64 unless given */
static void
persistence_prefix6(void **state)
{
	struct lb_conf_error err;
	char *t = edit("\"port\": 110,", "\"port\": 110, \"persistence_prefix6\": 56,");
	struct lb_conf *c = load(t, &err);
	json_t *o;
	char *text;

	(void)state;
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->services[0].persist_prefix6, 56);
	o = lb_conf_encode(c);
	text = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(strstr(text, "\"persistence_prefix6\": 56"));
	free(text);
	lb_conf_free(c);
	free(t);
	expect_edit_error("\"capacity\": 65536", "\"capacity\": 65536, \"ipv6_capacity\": 100",
			  "flows.ipv6_capacity");
	expect_edit_error("\"port\": 110,", "\"port\": 110, \"persistence_prefix6\": 129,",
			  "services[0].persistence_prefix6");
	expect_edit_error("\"port\": 110,", "\"port\": 110, \"persistence_prefix6\": 8,",
			  "services[0].persistence_prefix6");
	expect_edit_error("\"port\": 110,",
			  "\"port\": 110, \"persistence\": 0, \"persistence_prefix6\": 48,",
			  "services[0].persistence_prefix6: persistence is off (0)");
}

static void
service_values_refused(void **state)
{
	(void)state;
	expect_edit_error("\"port\": 110", "\"port\": \"pop\"",
			  "services[0].port");
	expect_edit_error("\"port\": 110", "\"port\": \"120-110\"",
			  "services[0].port");
	expect_edit_error("\"port\": 110", "\"port\": 110, \"table_size\": 65536",
			  "services[0].table_size: 65536 is not prime");
	expect_edit_error("\"protocol\": \"tcp\", \"port\": 110",
			  "\"protocol\": \"tcp\", \"port\": 110, \"stateless\": true",
			  "services[0].stateless: only UDP");
	expect_edit_error("\"port\": 110", "\"port\": 110, \"hash_fields\": [\"src_ip\"]",
			  "services[0].hash_fields");
	expect_edit_error("\"port\": 110", "\"port\": 110, \"scheduler\": \"lc\"",
			  "services[0].scheduler: \"lc\" is not one of");
	/* persistence: stateless services hash instead; a netmask needs it */
	expect_edit_error("\"stateless\": true", "\"stateless\": true, \"persistence\": 15",
			  "services[1].persistence: stateless services keep a client");
	expect_edit_error("\"port\": 110", "\"port\": 110, \"persistence\": 0, "
			  "\"persistence_netmask\": \"255.255.255.0\"",
			  "services[0].persistence_netmask: persistence is off");
	expect_edit_error("\"port\": 110", "\"port\": 110, "
			  "\"persistence_netmask\": \"255.0.255.0\"",
			  "services[0].persistence_netmask: \"255.0.255.0\" is not a netmask");
	expect_edit_error("\"port\": 110", "\"port\": 110, \"persistence\": 86401",
			  "services[0].persistence: 86401 is out of range");
}

static void
check_values_refused(void **state)
{
	(void)state;
	expect_edit_error("\"timeout\": 1", "\"timeout\": 3",
			  "services[0].check.timeout: 3 s is longer than the interval");
	expect_edit_error("\"type\": \"pop3\"", "\"type\": \"http\", \"path\": \"/a b\"",
			  "services[0].check.path");
	expect_edit_error("\"type\": \"pop3\"", "\"type\": \"pop3\", \"path\": \"/\"",
			  "services[0].check.path: only http");
	expect_edit_error("\"exception_interface\": \"dsrlb0\",", "",
			  "services[0].check.type: health checks run from the balancer's own address");
	expect_edit_error("\"port\": 110", "\"port\": \"any\"",
			  "services[0].check: the service has a port range");
}

static void
vip_file_errors_name_file_and_line(void **state)
{
	char path[] = "/tmp/dsrlb-test-vipaddrs-XXXXXX";
	char from[128], *text;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "# VIPs\n198.51.100.100\n198.51.100.0/23\n");
	fclose(f);
	snprintf(from, sizeof(from), "\"vip_file\": \"%s\", \"vips\"", path);
	text = edit("\"vips\"", from);
	expect_error(text, ":3: \"198.51.100.0/23\": subnet masks");
	free(text);
	unlink(path);
	text = edit("\"vips\"", "\"vip_file\": \"/nonexistent/vipaddrs\", \"vips\"");
	expect_error(text, "vip_file: cannot read \"/nonexistent/vipaddrs\"");
	free(text);
}

static void
vip_file_merges_with_vips(void **state)
{
	char path[] = "/tmp/dsrlb-test-vipaddrs-XXXXXX";
	char from[128], *text;
	struct lb_conf_error err;
	struct lb_conf *c;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "198.51.100.100\n198.51.100.200/32\n");
	fclose(f);
	snprintf(from, sizeof(from), "\"vip_file\": \"%s\", \"vips\"", path);
	text = edit("\"vips\"", from);
	c = lb_conf_parse(text, "t.json", &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->n_vips, 10);   /* .100 counted once */
	lb_conf_free(c);
	free(text);
	unlink(path);
}


/* The file format written back (config.get) reads as the same
 * configuration; persistence defaults to the seed's 15 s for stateful
 * services. */
static void
encode_round_trips(void **state)
{
	struct lb_conf_error err;
	struct lb_conf *c = lb_conf_parse(base, "t.json", &err), *c2;
	char *one, *two;
	json_t *o;

	(void)state;
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->services[0].persistence, 15);
	assert_int_equal(c->services[0].persist_prefix, 32);
	assert_int_equal(c->services[0].persist_prefix6, 64);
	assert_int_equal(c->services[1].persistence, 0);   /* stateless */
	o = lb_conf_encode(c);
	assert_non_null(o);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	c2 = lb_conf_parse(one, "t2.json", &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	o = lb_conf_encode(c2);
	two = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_string_equal(one, two);
	assert_int_equal(c2->n_vips, c->n_vips);
	assert_memory_equal(c2->vips, c->vips, c->n_vips * sizeof(*c->vips));
	assert_string_equal(c2->services[1].members[0], "fe1");
	/* the /29 is written back as one block */
	assert_non_null(strstr(one, "\"198.51.100.112/29\""));
	assert_non_null(strstr(one, "\"stale_retries\": 3"));
	free(one);
	free(two);
	lb_conf_free(c);
	lb_conf_free(c2);
}

/* A port's IPv6 address and gateway in the same keys as IPv4's (an
 * array of one per family), and members of either family: decoded,
 * checked against the ports' subnets, written back as given. */
static void
ipv6_ports_and_members(void **state)
{
	static const char from[] =
		"\"address\": \"198.51.100.2/24\",\n"
		"             \"gateway\": \"198.51.100.1\"}";
	static const char dual[] =
		"\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/64\"],\n"
		"             \"gateway\": [\"198.51.100.1\", \"fe80::1\"]}";
	struct lb_conf_error err;
	struct lb_conf *c, *c2;
	char *text, *t2, *one;
	json_t *o;

	(void)state;
	text = edit(from, dual);
	t2 = malloc(strlen(text) + 200);
	{
		/* fe2 moves to IPv6 */
		const char *at = strstr(text, "\"198.51.100.12\"");

		assert_non_null(at);
		sprintf(t2, "%.*s\"2001:db8:5::12\"%s", (int)(at - text), text,
			at + strlen("\"198.51.100.12\""));
	}
	c = load(t2, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(c->ports[0].addr, ip4("198.51.100.2"));
	assert_ip_equal(c->ports[0].addr6, "2001:db8:5::2");
	assert_int_equal(c->ports[0].prefix6, 64);
	assert_ip_equal(c->ports[0].gateway6, "fe80::1");
	assert_int_equal(c->ports[0].gateway, ip4("198.51.100.1"));
	assert_ip_equal(c->members[0].addr, "198.51.100.11");
	assert_ip_equal(c->members[1].addr, "2001:db8:5::12");
	o = lb_conf_encode(c);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(strstr(one, "\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/64\"]"));
	assert_non_null(strstr(one, "\"gateway\": [\"198.51.100.1\", \"fe80::1\"]"));
	assert_non_null(strstr(one, "\"address\": \"2001:db8:5::12\""));
	c2 = load(one, &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	assert_true(lb_ip_eq(&c2->ports[0].addr6, &c->ports[0].addr6));
	assert_true(lb_ip_eq(&c2->members[1].addr, &c->members[1].addr));
	free(one);
	lb_conf_free(c2);
	lb_conf_free(c);

	/* errors name the path, down to the array element */
#define PORT_ERR(to, where) expect_edit_error(from, to, where)
	PORT_ERR("\"address\": [\"2001:db8:5::2/64\"]}",
		 "ports[0].address: the port needs an IPv4 address");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"198.51.100.3/24\"]}",
		 "ports[0].address[1]: \"198.51.100.3/24\": the port has an IPv4 address already");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/64\", \"2001:db8:6::2/64\"]}",
		 "ports[0].address: expected a string or an array of one per family");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", 7]}",
		 "ports[0].address[1]: expected a string, got an integer");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::/64\"]}",
		 "ports[0].address[1]: \"2001:db8:5::/64\" is the subnet-router anycast address");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/128\"]}",
		 "ports[0].address[1]: \"2001:db8:5::2/128\": an IPv6 port address takes a subnet length of /16 to /127");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"fe80::2/64\"]}",
		 "ports[0].address[1]: \"fe80::2/64\": ::, ::1, link-local and multicast");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2\"]}",
		 "ports[0].address[1]: \"2001:db8:5::2\": expected the port's address with its subnet length");
	PORT_ERR("\"address\": \"198.51.100.2/24\", \"gateway\": [\"198.51.100.1\", \"2001:db8:5::1\"]}",
		 "ports[0].gateway[1]: 2001:db8:5::1: the port has no IPv6 address");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/64\"], \"gateway\": \"2001:db8:6::1\"}",
		 "ports[0].gateway: 2001:db8:6::1 is neither another address in the port's IPv6 subnet nor link-local");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/64\"], \"gateway\": \"2001:db8:5::2\"}",
		 "ports[0].gateway: 2001:db8:5::2 is neither another address");
	PORT_ERR("\"address\": [\"198.51.100.2/24\", \"2001:db8:5::2/64\"], \"gateway\": [\"fe80::1\", \"fe80::2\"]}",
		 "ports[0].gateway[1]: \"fe80::2\": the port has an IPv6 gateway already");
#undef PORT_ERR
	/* a member outside every IPv6 subnet, or one that is the port's */
	expect_edit_error("\"198.51.100.12\"", "\"2001:db8:5::12\"",
			  "members[1].address: 2001:db8:5::12 is not in the subnet of any port");
	free(text);
	text = edit(from, dual);
	{
		char *t3;
		const char *at = strstr(text, "\"198.51.100.12\"");

		t3 = malloc(strlen(text) + 64);
		sprintf(t3, "%.*s\"2001:db8:5::2\"%s", (int)(at - text), text,
			at + strlen("\"198.51.100.12\""));
		expect_error(t3, "members[1].address: 2001:db8:5::2 is the address, gateway");
		sprintf(t3, "%.*s\"fe80::12\"%s", (int)(at - text), text,
			at + strlen("\"198.51.100.12\""));
		expect_error(t3, "members[1].address: fe80::12 cannot be a member");
		free(t3);
	}
	free(text);
	free(t2);
}

/* high_availability: the modes, their first state, sync peers */
static struct lb_conf *
load_ha(const char *ha)
{
	char to[1024];
	struct lb_conf_error err;
	struct lb_conf *c;
	char *text;

	snprintf(to, sizeof(to), "\"flows\": {\"capacity\": 65536}, \"high_availability\": %s,",
		 ha);
	text = edit("\"flows\": {\"capacity\": 65536},", to);
	c = load(text, &err);
	free(text);
	if (c == NULL)
		fail_msg("%s: %s", ha, err.msg);
	return c;
}

static void
expect_ha_error(const char *ha, const char *where)
{
	char to[1024];

	snprintf(to, sizeof(to), "\"flows\": {\"capacity\": 65536}, \"high_availability\": %s,",
		 ha);
	expect_edit_error("\"flows\": {\"capacity\": 65536},", to, where);
}

/* A key file for high_availability.sync.key_file (made once, 0600). */
static const char *
sync_key_file(void)
{
	static char path[] = "/tmp/dsrlb-test-keyXXXXXX";
	static bool made;
	int fd;

	if (!made) {
		fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "1 00112233445566778899aabbccddeeff"
				       "00112233445566778899aabbccddeeff\n", 67),
				 67);
		close(fd);
		made = true;
	}
	return path;
}

/* high_availability with the key file in place of the "%s" in fmt. */
static struct lb_conf *__rte_format_printf(1, 0)
load_ha_sync(const char *fmt, ...)
{
	char ha[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ha, sizeof(ha), fmt, ap);
	va_end(ap);
	return load_ha(ha);
}

static void
high_availability_decodes(void **state)
{
	struct lb_conf_error err;
	struct lb_conf *c = lb_conf_parse(base, "t.json", &err), *c2;
	char *one, *two;
	json_t *o;

	(void)state;
	/* none: standalone, active at start */
	assert_non_null(c);
	assert_int_equal(c->ha.mode, LB_HA_STANDALONE);
	assert_false(c->ha.start_standby);
	assert_false(c->ha.sync);
	lb_conf_free(c);
	/* vrrp starts standby: keepalived decides */
	c = load_ha("{\"mode\": \"vrrp\"}");
	assert_int_equal(c->ha.mode, LB_HA_VRRP);
	assert_true(c->ha.start_standby);
	assert_int_equal(c->ha.vrrp_watchdog_ms, 3000);
	lb_conf_free(c);
	c = load_ha("{\"mode\": \"vrrp\", \"start\": \"active\", \"vrrp_watchdog\": 0}");
	assert_false(c->ha.start_standby);
	assert_int_equal(c->ha.vrrp_watchdog_ms, 0);
	lb_conf_free(c);
	/* a stop hands over for 3 s unless told; standalone has no one
	 * to hand over to */
	c = load_ha("{\"mode\": \"vrrp\"}");
	assert_int_equal(c->ha.shutdown_grace_ms, 3000);
	lb_conf_free(c);
	c = load_ha("{\"mode\": \"ecmp\", \"shutdown_grace_ms\": 0}");
	assert_int_equal(c->ha.shutdown_grace_ms, 0);
	lb_conf_free(c);
	c = load_ha("{\"mode\": \"vrrp\", \"shutdown_grace_ms\": 60000}");
	assert_int_equal(c->ha.shutdown_grace_ms, 60000);
	o = lb_conf_encode(c);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(o, "high_availability"), "shutdown_grace_ms")),
		60000);
	json_decref(o);
	lb_conf_free(c);
	c = load_ha("{}");
	assert_int_equal(c->ha.shutdown_grace_ms, 0);
	lb_conf_free(c);
	/* ecmp starts active, its routes in the default table */
	c = load_ha("{\"mode\": \"ecmp\"}");
	assert_false(c->ha.start_standby);
	assert_int_equal(c->ha.announce_table, LB_HA_ANNOUNCE_TABLE);
	lb_conf_free(c);
	c = load_ha_sync("{\"mode\": \"ecmp\", \"announce_table\": 300, \"sync\": {\"id\": 7, \"peers\": [\"198.51.100.3\", \"198.51.100.4\"], \"port\": 9000, \"bulk_wait_ms\": 0, \"key_file\": \"%s\"}}",
			 sync_key_file());
	assert_int_equal(c->ha.announce_table, 300);
	assert_true(c->ha.sync);
	assert_int_equal(c->ha.sync_id, 7);
	assert_int_equal(c->ha.sync_port, 9000);
	assert_int_equal(c->ha.bulk_wait_ms, 0);
	assert_int_equal(c->ha.n_peers, 2);
	assert_int_equal(c->ha.peers[1], htonl(0xc6336404));
	/* and back */
	o = lb_conf_encode(c);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	c2 = lb_conf_parse(one, "t2.json", &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	o = lb_conf_encode(c2);
	two = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_string_equal(one, two);
	assert_int_equal(c2->ha.sync_id, 7);
	assert_int_equal(c2->ha.n_peers, 2);
	free(one);
	free(two);
	lb_conf_free(c);
	lb_conf_free(c2);
	c = load_ha_sync("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"], \"key_file\": \"%s\"}}",
			 sync_key_file());
	assert_int_equal(c->ha.sync_port, LB_SYNC_PORT);
	assert_int_equal(c->ha.bulk_wait_ms, 3000);
	assert_int_equal(c->ha.n_routers, 0);
	lb_conf_free(c);
	/* routers besides the gateway (BGP, BFD neighbours), and back */
	c = load_ha("{\"mode\": \"ecmp\", \"routers\": [\"198.51.100.5\", \"198.51.100.6\"]}");
	assert_int_equal(c->ha.n_routers, 2);
	assert_int_equal(c->ha.routers[1], ip4("198.51.100.6"));
	o = lb_conf_encode(c);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(strstr(one, "\"routers\": [\"198.51.100.5\", \"198.51.100.6\"]"));
	c2 = lb_conf_parse(one, "t2.json", &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	assert_int_equal(c2->ha.n_routers, 2);
	free(one);
	lb_conf_free(c);
	lb_conf_free(c2);
}

/* the MTU of a port: 1500 unless given, any in the static range
 * decodes (the NIC's own range is checked at start), written back only
 * when not the default */
static void
port_mtu_decodes_and_round_trips(void **state)
{
	static const struct { const char *mtu; uint16_t want; } ok[] = {
		{ "", LB_MTU_DEFAULT },
		{ ", \"mtu\": 9000", 9000 },
		{ ", \"mtu\": 68", LB_MTU_MIN },
		{ ", \"mtu\": 16000", LB_MTU_MAX },
		{ ", \"mtu\": 1500", LB_MTU_DEFAULT },
	};
	struct lb_conf_error err;
	unsigned int i;
	char to[128];

	(void)state;
	for (i = 0; i < RTE_DIM(ok); i++) {
		struct lb_conf *c, *c2;
		char *text, *one;
		json_t *o;

		snprintf(to, sizeof(to), "\"gateway\": \"198.51.100.1\"%s",
			 ok[i].mtu);
		text = edit("\"gateway\": \"198.51.100.1\"", to);
		c = load(text, &err);
		free(text);
		if (c == NULL)
			fail_msg("%s: %s", ok[i].mtu, err.msg);
		assert_int_equal(c->ports[0].mtu, ok[i].want);
		o = lb_conf_encode(c);
		one = json_dumps(o, JSON_SORT_KEYS);
		json_decref(o);
		/* the default is not written: a file without mtu stays so */
		assert_true((strstr(one, "\"mtu\"") != NULL) ==
			    (ok[i].want != LB_MTU_DEFAULT));
		c2 = lb_conf_parse(one, "t2.json", &err);
		if (c2 == NULL)
			fail_msg("%s: %s", err.msg, one);
		assert_int_equal(c2->ports[0].mtu, ok[i].want);
		free(one);
		lb_conf_free(c);
		lb_conf_free(c2);
	}
}

static void
port_mtu_out_of_range_names_its_path(void **state)
{
	(void)state;
	expect_edit_error("\"gateway\": \"198.51.100.1\"",
			  "\"gateway\": \"198.51.100.1\", \"mtu\": 67",
			  "ports[0].mtu: 67 is out of range [68, 16000]");
	expect_edit_error("\"gateway\": \"198.51.100.1\"",
			  "\"gateway\": \"198.51.100.1\", \"mtu\": 16001",
			  "ports[0].mtu: 16001 is out of range [68, 16000]");
	expect_edit_error("\"gateway\": \"198.51.100.1\"",
			  "\"gateway\": \"198.51.100.1\", \"mtu\": \"9000\"",
			  "ports[0].mtu: expected an integer, got a string");
	expect_edit_error("\"gateway\": \"198.51.100.1\"",
			  "\"gateway\": \"198.51.100.1\", \"mtu\": 1500.5",
			  "ports[0].mtu: expected an integer, got a number");
	/* the second port's own path */
	expect_edit_error("\"gateway\": \"198.51.100.1\"}",
			  "\"gateway\": \"198.51.100.1\"}, {\"name\": \"lan1\", "
			  "\"address\": \"192.0.2.2/24\", \"mtu\": 0}",
			  "ports[1].mtu: 0 is out of range [68, 16000]");
}

/* keepalived's track file: a file's absolute path, mode vrrp only */
static void
track_file_decodes_in_vrrp_only(void **state)
{
	struct lb_conf_error err;
	struct lb_conf *c, *c2;
	char *one;
	json_t *o;

	(void)state;
	c = load_ha("{\"mode\": \"vrrp\"}");
	assert_string_equal(c->ha.track_file, "");
	lb_conf_free(c);
	c = load_ha("{\"mode\": \"vrrp\", \"track_file\": \"/run/dsrlb/ports-down\"}");
	assert_string_equal(c->ha.track_file, "/run/dsrlb/ports-down");
	o = lb_conf_encode(c);
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	c2 = lb_conf_parse(one, "t2.json", &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	assert_string_equal(c2->ha.track_file, "/run/dsrlb/ports-down");
	free(one);
	lb_conf_free(c);
	lb_conf_free(c2);
	expect_ha_error("{\"mode\": \"ecmp\", \"track_file\": \"/run/dsrlb/ports-down\"}",
			"high_availability.track_file: only for mode \"vrrp\"");
	expect_ha_error("{\"track_file\": \"/run/dsrlb/ports-down\"}",
			"high_availability.track_file: only for mode \"vrrp\"");
	expect_ha_error("{\"mode\": \"vrrp\", \"track_file\": \"ports-down\"}",
			"high_availability.track_file: \"ports-down\" is not an absolute path of a file");
	expect_ha_error("{\"mode\": \"vrrp\", \"track_file\": \"/run/dsrlb/\"}",
			"high_availability.track_file: \"/run/dsrlb/\" is not an absolute path of a file");
	expect_ha_error("{\"mode\": \"vrrp\", \"track_file\": \"/run/..\"}",
			"high_availability.track_file: \"/run/..\" is not an absolute path of a file");
	expect_ha_error("{\"mode\": \"vrrp\", \"track_file\": \"\"}",
			"high_availability.track_file: \"\" is not an absolute path of a file");
	expect_ha_error("{\"mode\": \"vrrp\", \"track_file\": 1}",
			"high_availability.track_file: expected a string");
}

/* high_availability.next_hop6: ecmp's IPv6 next hop, written back as
 * read; each refusal names its path. */
static void
high_availability_next_hop6(void **state)
{
	struct lb_conf_error err;
	struct lb_conf *c, *c2;
	struct lb_ip want = ipx("2001:db8:5::2");
	char *one, *text;
	json_t *o;

	(void)state;
	c = load_ha("{\"mode\": \"ecmp\"}");
	assert_true(lb_ip_is_unset(&c->ha.next_hop6));
	o = lb_conf_encode(c);
	assert_null(json_object_get(json_object_get(o, "high_availability"),
				    "next_hop6"));
	json_decref(o);
	lb_conf_free(c);
	c = load_ha("{\"mode\": \"ecmp\", \"next_hop6\": \"2001:DB8:5::2\"}");
	assert_true(lb_ip_eq(&c->ha.next_hop6, &want));
	o = lb_conf_encode(c);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		o, "high_availability"), "next_hop6")), "2001:db8:5::2");
	one = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	c2 = lb_conf_parse(one, "t2.json", &err);
	if (c2 == NULL)
		fail_msg("%s: %s", err.msg, one);
	assert_true(lb_ip_eq(&c2->ha.next_hop6, &want));
	free(one);
	lb_conf_free(c);
	lb_conf_free(c2);
	expect_ha_error("{\"mode\": \"vrrp\", \"next_hop6\": \"2001:db8:5::2\"}",
			"high_availability.next_hop6: only for mode \"ecmp\"");
	expect_ha_error("{\"next_hop6\": \"2001:db8:5::2\"}",
			"high_availability.next_hop6: only for mode \"ecmp\"");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": \"198.51.100.2\"}",
			"high_availability.next_hop6: \"198.51.100.2\" is not an IPv6 address");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": \"2001:db8:5::/64\"}",
			"high_availability.next_hop6: \"2001:db8:5::/64\" is not an IPv6 address");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": \"::ffff:198.51.100.2\"}",
			"high_availability.next_hop6: \"::ffff:198.51.100.2\" is not an IPv6 address");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": 6}",
			"high_availability.next_hop6: expected an IPv6 address");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": \"fe80::1\"}",
			"high_availability.next_hop6: fe80::1 cannot be a next hop");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": \"ff02::1\"}",
			"high_availability.next_hop6: ff02::1 cannot be a next hop");
	expect_ha_error("{\"mode\": \"ecmp\", \"next_hop6\": \"::\"}",
			"high_availability.next_hop6: :: cannot be a next hop");
	/* not a VIP */
	text = edit("\"vips\": [\"198.51.100.100\", \"198.51.100.112/29\"]",
		    "\"vips\": [\"198.51.100.100\", \"2001:db8:5::100\"]");
	{
		char *t2 = edit_in(text, "\"flows\": {\"capacity\": 65536},",
				   "\"flows\": {\"capacity\": 65536}, \"high_availability\": {\"mode\": \"ecmp\", \"next_hop6\": \"2001:db8:5::100\"},");

		c = load(t2, &err);
		assert_null(c);
		assert_non_null(strstr(err.msg,
			"high_availability.next_hop6: 2001:db8:5::100 is a VIP"));
		free(t2);
	}
	free(text);
}

static void
high_availability_errors_name_their_path(void **state)
{
	(void)state;
	expect_ha_error("{\"mode\": \"carp\"}",
			"high_availability.mode: \"carp\" is not one of: standalone, vrrp, ecmp");
	expect_ha_error("{\"start\": \"maybe\"}", "high_availability.start");
	expect_ha_error("{\"mode\": \"vrrp\", \"announce_table\": 300}",
			"high_availability.announce_table: only for mode \"ecmp\"");
	expect_ha_error("{\"mode\": \"ecmp\", \"announce_table\": 254}",
			"high_availability.announce_table: 254 is one of the kernel's own tables");
	expect_ha_error("{\"mode\": \"ecmp\", \"announce_table\": 25715}",
			"high_availability.announce_table: 25715 is the exception interface's policy table");
	expect_ha_error("{\"mode\": \"ecmp\", \"vrrp_watchdog\": 3}",
			"high_availability.vrrp_watchdog: only for mode \"vrrp\"");
	expect_ha_error("{\"mode\": \"vrrp\", \"vrrp_watchdog\": 0.5}",
			"high_availability.vrrp_watchdog: 0.5 s is too short");
	expect_ha_error("{\"mode\": \"ecmp\", \"shutdown_grace_ms\": 60001}",
			"high_availability.shutdown_grace_ms: 60001 is out of range [0, 60000]");
	expect_ha_error("{\"mode\": \"vrrp\", \"shutdown_grace_ms\": 1.5}",
			"high_availability.shutdown_grace_ms: expected an integer");
	expect_ha_error("{\"shutdown_grace_ms\": 3000}",
			"high_availability.shutdown_grace_ms: only for modes \"vrrp\" and \"ecmp\"");
	expect_ha_error("{\"sync\": {\"peers\": [\"198.51.100.3\"]}}",
			"high_availability.sync.id: required");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"]}}",
			"high_availability.sync.key_file: required");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"], \"key_file\": \"sync.key\"}}",
			"high_availability.sync.key_file: \"sync.key\" is not an absolute path");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"], \"key_file\": \"/nonexistent/sync.key\"}}",
			"high_availability.sync.key_file: /nonexistent/sync.key: No such file or directory");
	expect_ha_error("{\"sync\": {\"id\": 0, \"peers\": [\"198.51.100.3\"]}}",
			"high_availability.sync.id: 0 is out of range");
	expect_ha_error("{\"sync\": {\"id\": 1}}",
			"high_availability.sync.peers: required");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": []}}",
			"high_availability.sync.peers: expected 1 to 16");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.2\"]}}",
			"high_availability.sync.peers[0]: 198.51.100.2 is this balancer's own address");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\", \"203.0.113.7\"]}}",
			"high_availability.sync.peers[1]: 203.0.113.7 is in no port's subnet");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\", \"198.51.100.3\"]}}",
			"high_availability.sync.peers[1]: 198.51.100.3 is listed twice");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"224.0.0.18\"]}}",
			"high_availability.sync.peers[0]: 224.0.0.18 cannot be a peer");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3/32\"]}}",
			"high_availability.sync.peers[0]: \"198.51.100.3/32\" is not an IPv4 address");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"], \"port\": 70000}}",
			"high_availability.sync.port: 70000 is out of range");
	expect_ha_error("{\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"], \"group\": \"x\"}}",
			"high_availability.sync.group: unknown key");
	expect_ha_error("{\"sync\": []}",
			"high_availability.sync: expected an object");
	expect_ha_error("{\"routers\": []}",
			"high_availability.routers: expected 1 to 16 router addresses");
	expect_ha_error("{\"routers\": [\"198.51.100.5\", \"192.0.2.1\"]}",
			"high_availability.routers[1]: 192.0.2.1 is in no port's subnet");
	expect_ha_error("{\"routers\": [\"198.51.100.2\"]}",
			"high_availability.routers[0]: 198.51.100.2 is this balancer's own address");
	expect_ha_error("{\"routers\": [\"198.51.100.5\", \"198.51.100.5\"]}",
			"high_availability.routers[1]: 198.51.100.5 is listed twice");
	expect_ha_error("{\"routers\": \"198.51.100.5\"}",
			"high_availability.routers: expected an array");
	/* the modes and sync need the kernel interface */
	expect_edit_error("\"exception_interface\": \"dsrlb0\",\n",
			  "\"high_availability\": {\"mode\": \"ecmp\"},\n",
			  "high_availability.mode: \"ecmp\" needs an exception_interface");
	expect_edit_error("\"exception_interface\": \"dsrlb0\",\n",
			  "\"high_availability\": {\"sync\": {\"id\": 1, \"peers\": [\"198.51.100.3\"]}},\n",
			  "high_availability.sync: needs an exception_interface");
}

/* dataplane.idle: what an idle worker does, its sleep or longest wait,
 * and how long an interrupt worker polls on after its last packet */
static void
idle_modes(void **state)
{
	static const struct {
		const char *dp;
		uint8_t idle;
		uint32_t us;
		uint32_t spin;
	} ok[] = {
		{ "{}", LB_CONF_IDLE_POLL, 0, 0 },
		{ "{\"idle_sleep_us\": 100}", LB_CONF_IDLE_SLEEP, 100, 0 },
		{ "{\"idle\": \"poll\"}", LB_CONF_IDLE_POLL, 0, 0 },
		{ "{\"idle\": \"sleep\"}", LB_CONF_IDLE_SLEEP, 100, 0 },
		{ "{\"idle\": \"interrupt\"}", LB_CONF_IDLE_INTERRUPT, 1000,
		  LB_CONF_IDLE_SPIN_US },
		{ "{\"idle\": \"interrupt\", \"idle_sleep_us\": 5000}",
		  LB_CONF_IDLE_INTERRUPT, 5000, LB_CONF_IDLE_SPIN_US },
		{ "{\"idle\": \"interrupt\", \"idle_spin_us\": 0}",
		  LB_CONF_IDLE_INTERRUPT, 1000, 0 },
		{ "{\"idle\": \"interrupt\", \"idle_spin_us\": 10000}",
		  LB_CONF_IDLE_INTERRUPT, 1000, 10000 },
		/* what config.get writes back for a poller reads again */
		{ "{\"idle\": \"poll\", \"idle_spin_us\": 0}",
		  LB_CONF_IDLE_POLL, 0, 0 },
	};
	char to[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(ok); i++) {
		struct lb_conf_error err;
		struct lb_conf *c;
		char *text;

		snprintf(to, sizeof(to), "\"flows\": {\"capacity\": 65536}, \"dataplane\": %s,",
			 ok[i].dp);
		text = edit("\"flows\": {\"capacity\": 65536},", to);
		c = load(text, &err);
		free(text);
		if (c == NULL)
			fail_msg("%s: %s", ok[i].dp, err.msg);
		assert_int_equal(c->dataplane.idle, ok[i].idle);
		assert_int_equal(c->dataplane.idle_sleep_us, ok[i].us);
		assert_int_equal(c->dataplane.idle_spin_us, ok[i].spin);
		lb_conf_free(c);
	}
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"idle\": \"sleep\", \"idle_spin_us\": 50},",
			  "dataplane.idle_spin_us: 50: only idle \"interrupt\" polls on before it waits (idle is \"sleep\")");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"idle_spin_us\": 50},",
			  "dataplane.idle_spin_us: 50: only idle \"interrupt\" polls on before it waits (idle is \"poll\")");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"idle\": \"interrupt\", \"idle_spin_us\": 10001},",
			  "dataplane.idle_spin_us: ");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"idle\": \"poll\", \"idle_sleep_us\": 50},",
			  "dataplane.idle_sleep_us: 50: a worker that polls never sleeps");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"idle\": \"interrupt\", \"idle_sleep_us\": 0},",
			  "dataplane.idle_sleep_us: 0: idle \"interrupt\" needs");
	expect_edit_error("\"flows\": {\"capacity\": 65536},",
			  "\"flows\": {\"capacity\": 65536}, \"dataplane\": {\"idle\": \"nap\"},",
			  "dataplane.idle: \"nap\" is not one of: poll, sleep, interrupt");
}

/* text with n copies of one array element (joined by commas) in place
 * of from */
static char *
edit_repeat(const char *from, const char *prefix, const char *elem,
	    unsigned int n, const char *suffix)
{
	size_t size = strlen(prefix) + n * (strlen(elem) + 2) +
		      strlen(suffix) + 1;
	char *to = malloc(size), *text;
	size_t len;
	unsigned int i;

	assert_non_null(to);
	len = (size_t)snprintf(to, size, "%s", prefix);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(to + len, size - len, "%s%s",
					i > 0 ? ", " : "", elem);
	snprintf(to + len, size - len, "%s", suffix);
	text = edit(from, to);
	free(to);
	return text;
}

/* ports, members and services go through one decoder of arrays of
 * objects: its length bounds and element checks name the array */
static void
object_arrays_name_length_and_element(void **state)
{
	static const char ports[] =
		"\"ports\": [{\"name\": \"lan0\", \"address\": \"198.51.100.2/24\",\n"
		"             \"gateway\": \"198.51.100.1\"}],";
	struct lb_conf_error err;
	struct lb_conf_member m;
	struct lb_conf_service sv;
	char *text;
	json_t *v;

	(void)state;
	expect_edit_error(ports, "\"ports\": [],",
			  "t.json: ports: expected 1 to 8 ports");
	text = edit_repeat(ports, "\"ports\": [",
			   "{\"name\": \"p\", \"address\": \"10.0.0.1/8\"}", 9,
			   "],");
	expect_error(text, "t.json: ports: expected 1 to 8 ports");
	free(text);
	expect_edit_error(ports, "\"ports\": {},",
			  "t.json: ports: expected an array, got an object");
	expect_edit_error(ports, "", "t.json: ports: required");
	expect_edit_error(ports, "\"ports\": [[]],",
			  "t.json: ports[0]: expected an object, got an array");
	expect_edit_error("\"members\": [\n", "\"members\": [7,\n",
			  "t.json: members[0]: expected an object, got an integer");
	expect_edit_error("\"services\": [\n", "\"services\": [\"pop3\",\n",
			  "t.json: services[0]: expected an object, got a string");
	/* the base's two and as many more as make one too many */
	text = edit_repeat("\"members\": [\n", "\"members\": [",
			   "{\"name\": \"m\", \"address\": \"198.51.100.9\"}",
			   LB_MAX_MEMBERS - 1, ",\n");
	expect_error(text, "t.json: members: more than 1024 members");
	free(text);
	text = edit_repeat("\"services\": [\n", "\"services\": [",
			   "{\"name\": \"s\", \"vip\": \"*\", \"protocol\": \"tcp\", \"port\": 1}",
			   LB_MAX_SERVICES - 1, ",\n");
	expect_error(text, "t.json: services: more than 256 services");
	free(text);
	/* a service refused after its member list was read: released */
	expect_edit_error("\"members\": [\"fe1\"]}",
			  "\"members\": [\"fe1\"], \"check\": {\"rise\": 0}}",
			  "t.json: services[1].check.rise: 0 is out of range");
	/* one object alone (a control request) is named by its params */
	v = json_integer(1);
	assert_int_equal(lb_conf_decode_member(v, "params", &m, &err),
			 -EINVAL);
	assert_string_equal(err.msg,
			    "params: expected an object, got an integer");
	assert_int_equal(lb_conf_decode_service(v, "params", true, &sv, &err),
			 -EINVAL);
	assert_string_equal(err.msg,
			    "params: expected an object, got an integer");
	json_decref(v);
}

/* the read-only control socket's group and mode: the control keys of
 * the base with extra ones after control_socket */
static struct lb_conf *
load_control(const char *extra)
{
	static const char from[] = "\"control_socket\": \"/run/dsrlb/control.sock\",";
	struct lb_conf_error err;
	struct lb_conf *c;
	char to[512];
	char *text;

	snprintf(to, sizeof(to), "%s %s", from, extra);
	text = edit(from, to);
	c = load(text, &err);
	free(text);
	if (c == NULL)
		fail_msg("%s: %s", extra, err.msg);
	return c;
}

static void
expect_control_error(const char *extra, const char *msg)
{
	static const char from[] = "\"control_socket\": \"/run/dsrlb/control.sock\",";
	char to[512];

	snprintf(to, sizeof(to), "%s %s", from, extra);
	expect_edit_error(from, to, msg);
}

#define RO_SOCKET "\"control_socket_readonly\": \"/run/dsrlb/monitor.sock\","

static void
control_readonly_group_and_mode_decode(void **state)
{
	static const struct {
		const char *extra;
		const char *group_ro;
		uint32_t mode_ro;
	} ok[] = {
		/* absent: the group of both sockets, mode 0660 as before */
		{ "", "", LB_CONTROL_MODE },
		{ RO_SOCKET, "", LB_CONTROL_MODE },
		{ RO_SOCKET " \"control_group\": \"dsrlb\",", "", 0660 },
		{ RO_SOCKET " \"control_readonly_group\": \"monitor\",",
		  "monitor", 0660 },
		{ RO_SOCKET " \"control_readonly_group\": \"1001\",", "1001",
		  0660 },
		{ RO_SOCKET " \"control_readonly_mode\": \"0666\",", "", 0666 },
		{ RO_SOCKET " \"control_readonly_mode\": \"0600\",", "", 0600 },
		{ RO_SOCKET " \"control_readonly_mode\": \"640\",", "", 0640 },
		{ RO_SOCKET " \"control_readonly_mode\": \"00620\",", "", 0620 },
		{ RO_SOCKET " \"control_group\": \"dsrlb\", "
		  "\"control_readonly_group\": \"adm\", "
		  "\"control_readonly_mode\": \"0660\",", "adm", 0660 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(ok); i++) {
		struct lb_conf *c = load_control(ok[i].extra);

		assert_string_equal(c->control_group_ro, ok[i].group_ro);
		assert_int_equal(c->control_mode_ro, ok[i].mode_ro);
		lb_conf_free(c);
	}
	assert_int_equal(LB_CONTROL_MODE, 0660);
}

static void
control_readonly_group_and_mode_refused(void **state)
{
	static const struct {
		const char *extra;
		const char *msg;
	} bad[] = {
		/* JSON numbers are decimal: 660 would be another mode */
		{ RO_SOCKET " \"control_readonly_mode\": 660,",
		  "t.json: control_readonly_mode: expected a string of octal digits such as \"0660\" (JSON has no octal numbers), got an integer" },
		{ RO_SOCKET " \"control_readonly_mode\": null,",
		  "t.json: control_readonly_mode: expected a string of octal digits such as \"0660\" (JSON has no octal numbers), got null" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0759\",",
		  "t.json: control_readonly_mode: \"0759\" is not an octal mode (e.g. \"0660\")" },
		{ RO_SOCKET " \"control_readonly_mode\": \"\",",
		  "t.json: control_readonly_mode: \"\" is not an octal mode (e.g. \"0660\")" },
		{ RO_SOCKET " \"control_readonly_mode\": \"rw-rw----\",",
		  "t.json: control_readonly_mode: \"rw-rw----\" is not an octal mode (e.g. \"0660\")" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0o660\",",
		  "t.json: control_readonly_mode: \"0o660\" is not an octal mode (e.g. \"0660\")" },
		{ RO_SOCKET " \"control_readonly_mode\": \" 0660\",",
		  "t.json: control_readonly_mode: \" 0660\" is not an octal mode (e.g. \"0660\")" },
		{ RO_SOCKET " \"control_readonly_mode\": \"-660\",",
		  "t.json: control_readonly_mode: \"-660\" is not an octal mode (e.g. \"0660\")" },
		{ RO_SOCKET " \"control_readonly_mode\": \"1660\",",
		  "t.json: control_readonly_mode: \"1660\" is outside 0 to 0777" },
		{ RO_SOCKET " \"control_readonly_mode\": \"4000660\",",
		  "t.json: control_readonly_mode: \"4000660\" is outside 0 to 0777" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0770\",",
		  "t.json: control_readonly_mode: \"0770\" grants execute, which means nothing on a socket: use bits within 0666" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0761\",",
		  "t.json: control_readonly_mode: \"0761\" grants execute" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0460\",",
		  "t.json: control_readonly_mode: \"0460\" takes read or write from the owner: the owner needs 0600" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0066\",",
		  "t.json: control_readonly_mode: \"0066\" takes read or write from the owner" },
		{ RO_SOCKET " \"control_readonly_mode\": \"0\",",
		  "t.json: control_readonly_mode: \"0\" takes read or write from the owner" },
		{ RO_SOCKET " \"control_readonly_group\": \"a b\",",
		  "t.json: control_readonly_group: \"a b\" is not a group name or number" },
		{ RO_SOCKET " \"control_readonly_group\": \"\",",
		  "t.json: control_readonly_group: \"\" is not a group name or number" },
		{ RO_SOCKET " \"control_readonly_group\": 1001,",
		  "t.json: control_readonly_group: expected a string, got an integer" },
		{ RO_SOCKET " \"control_readonly_group\": \"abcdefghijklmnopqrstuvwxyz0123456\",",
		  "t.json: control_readonly_group: longer than 31 characters" },
		/* a setting of a socket that is not there */
		{ "\"control_readonly_group\": \"monitor\",",
		  "t.json: control_readonly_group: needs control_socket_readonly" },
		{ "\"control_readonly_mode\": \"0660\",",
		  "t.json: control_readonly_mode: needs control_socket_readonly" },
		/* a wrong value is named before the missing socket */
		{ "\"control_readonly_mode\": \"0777\",",
		  "t.json: control_readonly_mode: \"0777\" grants execute" },
		{ RO_SOCKET " \"control_readonly_moed\": \"0660\",",
		  "t.json: control_readonly_moed: unknown key" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(bad); i++)
		expect_control_error(bad[i].extra, bad[i].msg);
}

/* written back: the group when given, the mode whenever there is a
 * read-only socket (in octal digits), neither without one */
static void
control_readonly_group_and_mode_round_trip(void **state)
{
	static const struct {
		const char *extra;
		const char *group;   /* in the encoding, NULL: absent */
		const char *mode;
	} cases[] = {
		{ "", NULL, NULL },
		{ RO_SOCKET, NULL, "0660" },
		{ RO_SOCKET " \"control_readonly_mode\": \"600\",", NULL,
		  "0600" },
		{ RO_SOCKET " \"control_readonly_group\": \"monitor\", "
		  "\"control_readonly_mode\": \"0666\",", "monitor", "0666" },
	};
	struct lb_conf_error err;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		struct lb_conf *c = load_control(cases[i].extra), *c2;
		char *one, *two;
		json_t *o, *v;

		o = lb_conf_encode(c);
		assert_non_null(o);
		v = json_object_get(o, "control_readonly_group");
		if (cases[i].group == NULL)
			assert_null(v);
		else
			assert_string_equal(json_string_value(v),
					    cases[i].group);
		v = json_object_get(o, "control_readonly_mode");
		if (cases[i].mode == NULL)
			assert_null(v);
		else
			assert_string_equal(json_string_value(v),
					    cases[i].mode);
		one = json_dumps(o, JSON_SORT_KEYS);
		json_decref(o);
		c2 = lb_conf_parse(one, "t2.json", &err);
		if (c2 == NULL)
			fail_msg("%s: %s", err.msg, one);
		assert_string_equal(c2->control_group_ro, c->control_group_ro);
		assert_int_equal(c2->control_mode_ro, c->control_mode_ro);
		o = lb_conf_encode(c2);
		two = json_dumps(o, JSON_SORT_KEYS);
		json_decref(o);
		assert_string_equal(one, two);
		free(one);
		free(two);
		lb_conf_free(c);
		lb_conf_free(c2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_config_decodes),
		cmocka_unit_test(invalid_json_names_line_and_column),
		cmocka_unit_test(unknown_key_names_its_path),
		cmocka_unit_test(wrong_type_names_its_path),
		cmocka_unit_test(missing_required_names_its_path),
		cmocka_unit_test(bad_address_names_its_path),
		cmocka_unit_test(vip_mask_under_24_refused),
		cmocka_unit_test(reserved_vip_refused),
		cmocka_unit_test(fragment_timing_refused_when_memory_shorter_than_wait),
		cmocka_unit_test(arp_timing_refused_when_probes_do_not_fit),
		cmocka_unit_test(arp_stale_retries_bounded),
		cmocka_unit_test(duplicate_names_refused),
		cmocka_unit_test(encode_round_trips),
		cmocka_unit_test(ipv6_vips_decode_and_round_trip),
		cmocka_unit_test(ipv6_ports_and_members),
		cmocka_unit_test(persistence_prefix6),
		cmocka_unit_test(high_availability_decodes),
		cmocka_unit_test(idle_modes),
		cmocka_unit_test(high_availability_errors_name_their_path),
		cmocka_unit_test(high_availability_next_hop6),
		cmocka_unit_test(port_mtu_decodes_and_round_trips),
		cmocka_unit_test(port_mtu_out_of_range_names_its_path),
		cmocka_unit_test(track_file_decodes_in_vrrp_only),
		cmocka_unit_test(dangling_references_refused),
		cmocka_unit_test(conflicts_refused),
		cmocka_unit_test(service_values_refused),
		cmocka_unit_test(check_values_refused),
		cmocka_unit_test(vip_file_errors_name_file_and_line),
		cmocka_unit_test(vip_file_merges_with_vips),
		cmocka_unit_test(object_arrays_name_length_and_element),
		cmocka_unit_test(control_readonly_group_and_mode_decode),
		cmocka_unit_test(control_readonly_group_and_mode_refused),
		cmocka_unit_test(control_readonly_group_and_mode_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
