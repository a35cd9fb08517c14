/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The read commands: one or two read methods each, printed as tables
 * for people, or as the server's JSON with --json for scripts. A field
 * the server does not send (an older dsrlb) prints as "-", never as a
 * made-up zero.
 */

#include <stdlib.h>
#include <string.h>

#include "dsrlbctl.h"

#define FLOWS_PAGE 10000        /* flows.list's largest page */
#define FLOWS_MAX 1000000

/* A command without options or arguments (but --json). */
static int
no_arguments(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { CTL_OPT_JSON, CTL_OPT_END };

	if (ctl_getopt(ctl, argc, argv, ":", opts) != -1)
		return CTL_EXIT_USAGE;
	return ctl_positional(argv[0], argc - optind, argv + optind, 0, 0);
}

/* Call a method without params; print its result as JSON with --json. */
static int
read_method(struct ctl *ctl, const char *method, json_t **result)
{
	int rc = ctl_call(ctl, method, NULL, result);

	if (rc == 0 && ctl->json) {
		rc = ctl_print_json(*result, false);
		json_decref(*result);
		*result = NULL;
	}
	return rc;
}

static void
num_cell(char *buf, size_t size, long long v)
{
	if (v < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%lld", v);
}

/* --- status --- */

/* The high-availability lines of status: the mode, the announced VIPs
 * (ecmp), flow sync. */
static void
print_ha(const json_t *ha)
{
	const json_t *sync, *list, *v;
	size_t i;

	if (ha == NULL)
		return;
	printf("%-12s %s\n", "ha mode", ctl_str(ha, "mode", "?"));
	list = json_object_get(ha, "announced");
	if (json_is_array(list)) {
		printf("%-12s", "announced");
		if (json_array_size(list) == 0)
			printf(" none");
		json_array_foreach(list, i, v)
			printf(" %s", json_string_value(v));
		printf(" (table %lld)\n", ctl_int(ha, "announce_table", -1));
	}
	sync = json_object_get(ha, "sync");
	if (!json_is_object(sync))
		return;
	printf("%-12s id %lld, port %lld, bulk %s%s, peers", "sync",
	       ctl_int(sync, "id", -1), ctl_int(sync, "port", -1),
	       ctl_str(sync, "bulk", "?"),
	       json_is_true(json_object_get(sync, "activate_pending")) ?
	       " (activation waits for it)" : "");
	list = json_object_get(sync, "peers");
	json_array_foreach(list, i, v)
		printf(" %s", json_string_value(v));
	printf("\n");
}

/* A port's link under its line: up or down, its speed, for how long,
 * how many times it went up or down. */
static void
print_link(const json_t *l)
{
	long long speed = ctl_int(l, "speed", -1);
	char age[32];

	if (!json_is_object(l))
		return;
	printf("%-12s link %s", "", json_is_true(json_object_get(l, "up")) ?
	       "up" : "DOWN");
	if (json_is_true(json_object_get(l, "up"))) {
		if (speed > 0 && speed % 1000 == 0)
			printf(", %lld Gb/s", speed / 1000);
		else if (speed > 0)
			printf(", %lld Mb/s", speed);
		printf(", %s duplex", ctl_str(l, "duplex", "?"));
	}
	printf(", for %s, %lld changes\n",
	       ctl_duration(ctl_int(l, "age", -1), age, sizeof(age)),
	       ctl_int(l, "changes", -1));
}

static void
print_status(const json_t *st)
{
	const json_t *ports = json_object_get(st, "ports"), *p;
	char up[32], cidr[64];
	size_t i;

	printf("dsrlb %s, %s, pid %lld, up %s\n",
	       ctl_str(st, "version", "?"), ctl_str(st, "dpdk", "?"),
	       ctl_int(st, "pid", -1),
	       ctl_duration(ctl_int(st, "uptime", -1), up, sizeof(up)));
	printf("%-12s %s\n", "state",
	       json_is_true(json_object_get(st, "active")) ? "active" : "standby");
	printf("%-12s %lld\n", "workers", ctl_int(st, "workers", -1));
	printf("%-12s %lld\n", "services", ctl_int(st, "services", -1));
	printf("%-12s %lld\n", "members", ctl_int(st, "members", -1));
	printf("%-12s %lld\n", "vips", ctl_int(st, "vips", -1));
	printf("%-12s %lld\n", "snapshot", ctl_int(st, "snapshot", -1));
	printf("%-12s %s\n", "exception", ctl_str(st, "exception_interface",
						  "none"));
	print_ha(json_object_get(st, "high_availability"));
	printf("ports\n");
	json_array_foreach(ports, i, p) {
		long long vlan = ctl_int(p, "vlan", 0);

		snprintf(cidr, sizeof(cidr), "%s", ctl_str(p, "address", "-"));
		printf("  %-10s dpdk %-3lld %-17s  %-18s ", ctl_str(p, "name", "?"),
		       ctl_int(p, "dpdk_port", -1), ctl_str(p, "mac", "-"), cidr);
		if (vlan > 0)
			printf("vlan %-5lld", vlan);
		else
			printf("untagged  ");
		printf(" mtu %lld\n", ctl_int(p, "mtu", -1));
		if (json_is_string(json_object_get(p, "address6")))
			printf("  %-10s %s\n", "", ctl_str(p, "address6", "-"));
		print_link(json_object_get(p, "link"));
	}
}

int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	json_t *st = NULL;
	int rc = no_arguments(ctl, argc, argv);

	if (rc == 0)
		rc = read_method(ctl, "status", &st);
	if (rc == 0 && st != NULL) {
		print_status(st);
		json_decref(st);
	}
	return rc;
}

/* --- samples and rates (list --rate, top) --- */

int
ctl_sample_take(struct ctl *ctl, struct ctl_sample *s, bool stats)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = ctl_call(ctl, "services.list", NULL, &s->services);
	if (rc == 0)
		rc = ctl_call(ctl, "members.list", NULL, &s->members);
	if (rc == 0 && stats)
		rc = ctl_call(ctl, "stats", NULL, &s->stats);
	s->t = ctl_now();
	if (rc != 0)
		ctl_sample_free(s);
	return rc;
}

void
ctl_sample_free(struct ctl_sample *s)
{
	json_decref(s->services);
	json_decref(s->members);
	json_decref(s->stats);
	memset(s, 0, sizeof(*s));
}

/* Per second between two "traffic" objects' key; -1 if either lacks it.
 * A counter that went back (dsrlb restarted) gives 0. */
double
ctl_rate(const json_t *old_obj, const json_t *new_obj, const char *key,
	 double dt)
{
	long long a = ctl_traffic(old_obj, key), b = ctl_traffic(new_obj, key);

	if (a < 0 || b < 0 || dt <= 0)
		return -1;
	return b >= a ? (double)(b - a) / dt : 0;
}

const json_t *
ctl_find_named(const json_t *list, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (strcmp(ctl_str(e, "name", ""), name) == 0)
			return e;
	return NULL;
}

/* --- list --- */

enum list_mode { LIST_PLAIN, LIST_STATS, LIST_RATE };

/* A rate for a table: whole units, "-" where the server has no counter. */
void
ctl_rate_cell(char *buf, size_t size, double r)
{
	if (r < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.0f", r);
}

/* The columns after the address for a service or member line. */
static void
traffic_tail(enum list_mode mode, const json_t *old_obj, const json_t *obj,
	     double dt, char *buf, size_t size)
{
	char a[24], b[24], c[24], d[24];

	if (mode == LIST_STATS) {
		num_cell(a, sizeof(a), ctl_traffic(obj, "flows"));
		num_cell(b, sizeof(b), ctl_traffic(obj, "packets"));
		num_cell(c, sizeof(c), ctl_traffic(obj, "bytes"));
		num_cell(d, sizeof(d), ctl_traffic(obj, "active"));
		snprintf(buf, size, "%10s %12s %14s %10s", a, b, c, d);
	} else {
		ctl_rate_cell(a, sizeof(a), ctl_rate(old_obj, obj, "flows", dt));
		ctl_rate_cell(b, sizeof(b), ctl_rate(old_obj, obj, "packets", dt));
		ctl_rate_cell(c, sizeof(c), ctl_rate(old_obj, obj, "bytes", dt));
		snprintf(buf, size, "%10s %12s %14s", a, b, c);
	}
}

/* The scheduler and ipvsadm-like flags: persistent N, stateless, check. */
static void
service_flags(const json_t *svc, char *buf, size_t size)
{
	long long persist = ctl_int(svc, "persistence", 0);
	const char *check = ctl_str(svc, "check", "none");
	size_t n;

	n = (size_t)snprintf(buf, size, "%-9s", ctl_str(svc, "scheduler", "?"));
	if (persist > 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " persistent %lld",
				      persist);
	if (json_is_true(json_object_get(svc, "stateless")) && n < size)
		n += (size_t)snprintf(buf + n, size - n, " stateless");
	if (strcmp(check, "none") != 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " check %s", check);
	while (n > 0 && n < size && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

void
ctl_print_service_line(const json_t *svc, const char *tail)
{
	char ep[96], proto[8];
	size_t i;

	snprintf(proto, sizeof(proto), "%s", ctl_str(svc, "protocol", "?"));
	for (i = 0; proto[i] != '\0'; i++)
		if (proto[i] >= 'a' && proto[i] <= 'z')
			proto[i] = (char)(proto[i] - 'a' + 'A');
	printf("%-16s %-4s %-22s %s\n", ctl_str(svc, "name", "?"), proto,
	       ctl_endpoint(json_object_get(svc, "vip"),
			    json_object_get(svc, "port"), ep, sizeof(ep)),
	       tail);
}

static void
print_member_line(const json_t *sm, const json_t *m, const char *tail)
{
	char name[64];

	snprintf(name, sizeof(name), "  -> %s", ctl_str(sm, "name", "?"));
	printf("%-16s %-4s %-22s %s\n", name, "", ctl_str(m, "address", "-"),
	       tail);
}

static void
list_header(enum list_mode mode)
{
	if (mode == LIST_PLAIN) {
		printf("%-16s %-4s %-22s %s\n", "Service", "Prot",
		       "LocalAddress:Port", "Scheduler Flags");
		printf("%-16s %-4s %-22s %6s %-9s %-9s %11s %11s\n",
		       "  -> Member", "", "RemoteAddress", "Weight", "State",
		       "Health", "ActiveFlows", "InActFlows");
	} else if (mode == LIST_STATS) {
		printf("%-16s %-4s %-22s %10s %12s %14s %10s\n", "Service", "Prot",
		       "LocalAddress:Port", "Flows", "Packets", "Bytes", "Active");
		printf("%-16s %-4s %s\n", "  -> Member", "", "RemoteAddress");
	} else {
		printf("%-16s %-4s %-22s %10s %12s %14s\n", "Service", "Prot",
		       "LocalAddress:Port", "FlowsPS", "PacketsPS", "BytesPS");
		printf("%-16s %-4s %s\n", "  -> Member", "", "RemoteAddress");
	}
}

static void
print_list(enum list_mode mode, const struct ctl_sample *old_s,
	   const struct ctl_sample *s)
{
	double dt = old_s != NULL ? s->t - old_s->t : 0;
	const json_t *svc, *sm;
	char tail[160], act[24], inact[24], w[24];
	size_t i, k;

	list_header(mode);
	json_array_foreach(s->services, i, svc) {
		const json_t *osvc = old_s == NULL ? NULL :
			ctl_find_named(old_s->services, ctl_str(svc, "name", ""));

		if (mode == LIST_PLAIN)
			service_flags(svc, tail, sizeof(tail));
		else
			traffic_tail(mode, osvc, svc, dt, tail, sizeof(tail));
		ctl_print_service_line(svc, tail);
		json_array_foreach(json_object_get(svc, "members"), k, sm) {
			const char *name = ctl_str(sm, "name", "");
			const json_t *m = ctl_find_named(s->members, name);
			const json_t *om = old_s == NULL ? NULL :
				ctl_find_named(old_s->members, name);

			if (mode == LIST_PLAIN) {
				num_cell(w, sizeof(w), ctl_int(m, "weight", -1));
				num_cell(act, sizeof(act),
					 ctl_traffic(m, "active"));
				num_cell(inact, sizeof(inact),
					 ctl_traffic(m, "inactive"));
				snprintf(tail, sizeof(tail), "%6s %-9s %-9s %11s %11s",
					 w, ctl_str(sm, "state", "?"),
					 ctl_str(sm, "health", "?"), act, inact);
			} else {
				traffic_tail(mode, om, m, dt, tail, sizeof(tail));
			}
			print_member_line(sm, m, tail);
		}
	}
}

/* A rate for JSON: null where the server gave no counter. */
json_t *
ctl_rate_json(double r)
{
	return r < 0 ? json_null() : json_real(r);
}

/* --rate --json: the rates as one document. */
json_t *
ctl_rates_json(const json_t *old_list, const json_t *list, double dt)
{
	json_t *r = json_array();
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *name = ctl_str(e, "name", "");
		const json_t *o = ctl_find_named(old_list, name);

		json_array_append_new(r, json_pack("{s:s, s:o, s:o, s:o}",
			"name", name,
			"flows_per_s", ctl_rate_json(ctl_rate(o, e, "flows", dt)),
			"packets_per_s", ctl_rate_json(ctl_rate(o, e, "packets", dt)),
			"bytes_per_s", ctl_rate_json(ctl_rate(o, e, "bytes", dt))));
	}
	return r;
}

static int
list_rate(struct ctl *ctl, double interval)
{
	struct ctl_sample a, b;
	json_t *doc;
	int rc;

	rc = ctl_sample_take(ctl, &a, false);
	if (rc != 0)
		return rc;
	if (ctl_sleep(interval) == 0)
		rc = ctl_sample_take(ctl, &b, false);
	else
		rc = CTL_EXIT_SERVER;
	if (rc == 0 && ctl->json) {
		doc = json_pack("{s:f, s:o, s:o}", "interval", b.t - a.t,
				"services", ctl_rates_json(a.services, b.services,
						       b.t - a.t),
				"members", ctl_rates_json(a.members, b.members,
						      b.t - a.t));
		rc = ctl_print_json(doc, false);
		json_decref(doc);
	} else if (rc == 0) {
		print_list(LIST_RATE, &a, &b);
	}
	ctl_sample_free(&a);
	if (rc == 0)
		ctl_sample_free(&b);
	return rc;
}

int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 'S' },
		{ "rate", no_argument, NULL, 'R' },
		{ "interval", required_argument, NULL, 'i' },
		CTL_OPT_JSON, CTL_OPT_END,
	};
	enum list_mode mode = LIST_PLAIN;
	struct ctl_sample s;
	double interval = 1;
	json_t *doc;
	int c, rc;

	while ((c = ctl_getopt(ctl, argc, argv, ":i:", opts)) != -1) {
		if (c == 'S' || c == 'R') {
			if (mode != LIST_PLAIN)
				return ctl_usage_error(argv[0],
						       "--stats and --rate exclude each other");
			mode = c == 'S' ? LIST_STATS : LIST_RATE;
		} else if (c == 'i') {
			if (ctl_parse_seconds(argv[0], "-i SECONDS", optarg,
					      &interval) != 0)
				return CTL_EXIT_USAGE;
		} else {
			return CTL_EXIT_USAGE;
		}
	}
	rc = ctl_positional(argv[0], argc - optind, argv + optind, 0, 0);
	if (rc != 0)
		return rc;
	if (mode == LIST_RATE)
		return list_rate(ctl, interval);
	rc = ctl_sample_take(ctl, &s, false);
	if (rc != 0)
		return rc;
	if (ctl->json) {
		doc = json_pack("{s:O, s:O}", "services", s.services,
				"members", s.members);
		rc = ctl_print_json(doc, false);
		json_decref(doc);
	} else {
		print_list(mode, NULL, &s);
	}
	ctl_sample_free(&s);
	return rc;
}

/* --- members, health, neighbors --- */

static void
print_members(const json_t *list)
{
	const json_t *m;
	char sp[32], pk[24], by[24], fl[24], ac[24], in[24];
	size_t i;

	printf("%-12s %-16s %6s %-9s %-17s %-10s %-8s %-12s %12s %14s %10s %8s %8s\n",
	       "Name", "Address", "Weight", "State", "MAC", "MACState", "Port",
	       "SourcePorts", "Packets", "Bytes", "Flows", "Active", "InAct");
	json_array_foreach(list, i, m) {
		json_t *src = json_object_get(m, "source_ports");

		num_cell(pk, sizeof(pk), ctl_traffic(m, "packets"));
		num_cell(by, sizeof(by), ctl_traffic(m, "bytes"));
		num_cell(fl, sizeof(fl), ctl_traffic(m, "flows"));
		num_cell(ac, sizeof(ac), ctl_traffic(m, "active"));
		num_cell(in, sizeof(in), ctl_traffic(m, "inactive"));
		printf("%-12s %-16s %6lld %-9s %-17s %-10s %-8s %-12s %12s %14s %10s %8s %8s\n",
		       ctl_str(m, "name", "?"), ctl_str(m, "address", "-"),
		       ctl_int(m, "weight", -1), ctl_str(m, "state", "?"),
		       ctl_str(m, "mac", "-"), ctl_str(m, "mac_state", "-"),
		       ctl_str(m, "port", "-"),
		       src != NULL ? ctl_port_str(src, sp, sizeof(sp)) : "-",
		       pk, by, fl, ac, in);
	}
}

int
cmd_members(struct ctl *ctl, int argc, char **argv)
{
	json_t *r = NULL;
	int rc = no_arguments(ctl, argc, argv);

	if (rc == 0)
		rc = read_method(ctl, "members.list", &r);
	if (rc == 0 && r != NULL) {
		print_members(r);
		json_decref(r);
	}
	return rc;
}

static void
print_health(const json_t *list)
{
	const json_t *c;
	size_t i;

	printf("%-16s %-12s %-6s %5s %-9s %8s %8s %7s  %s\n", "Service",
	       "Member", "Type", "Port", "State", "Runs", "Failures",
	       "Changes", "Last");
	json_array_foreach(list, i, c)
		printf("%-16s %-12s %-6s %5lld %-9s %8lld %8lld %7lld  %s\n",
		       ctl_str(c, "service", "?"), ctl_str(c, "member", "?"),
		       ctl_str(c, "type", "?"), ctl_int(c, "port", -1),
		       ctl_str(c, "state", "?"), ctl_int(c, "runs", -1),
		       ctl_int(c, "failures", -1), ctl_int(c, "changes", -1),
		       ctl_str(c, "last", ""));
	if (json_array_size(list) == 0)
		printf("(no health checks)\n");
}

int
cmd_health(struct ctl *ctl, int argc, char **argv)
{
	json_t *r = NULL;
	int rc = no_arguments(ctl, argc, argv);

	if (rc == 0)
		rc = read_method(ctl, "health.list", &r);
	if (rc == 0 && r != NULL) {
		print_health(r);
		json_decref(r);
	}
	return rc;
}

static void
print_neighbors(const json_t *list)
{
	const json_t *n;
	char age[24];
	size_t i;

	printf("%-16s %-17s %-10s %-8s %-6s %s\n", "Address", "MAC", "State",
	       "Port", "Wanted", "Age");
	json_array_foreach(list, i, n) {
		num_cell(age, sizeof(age), ctl_int(n, "age", -1));
		printf("%-16s %-17s %-10s %-8s %-6s %s\n",
		       ctl_str(n, "address", "?"), ctl_str(n, "mac", "-"),
		       ctl_str(n, "state", "?"), ctl_str(n, "port", "-"),
		       json_is_true(json_object_get(n, "wanted")) ? "yes" : "no",
		       age);
	}
	if (json_array_size(list) == 0)
		printf("(no neighbors)\n");
}

int
cmd_neighbors(struct ctl *ctl, int argc, char **argv)
{
	json_t *r = NULL;
	int rc = no_arguments(ctl, argc, argv);

	if (rc == 0)
		rc = read_method(ctl, "neighbors.list", &r);
	if (rc == 0 && r != NULL) {
		print_neighbors(r);
		json_decref(r);
	}
	return rc;
}

/* --- flows --- */

struct flows_query {
	json_t *filter;         /* service, member, client */
	unsigned long long limit;
};

/* Pages of flows.list until limit flows or the last page; all flows
 * in one array, and the cursor to go on from (or null). */
static int
flows_fetch(struct ctl *ctl, const struct flows_query *q, json_t *all,
	    json_t **next)
{
	json_t *cursor = json_null(), *r, *params;
	int rc = 0;

	while (json_array_size(all) < q->limit) {
		unsigned long long want = q->limit - json_array_size(all);
		json_t *page;

		params = json_deep_copy(q->filter);
		json_object_set_new(params, "limit", json_integer(
			(json_int_t)(want < FLOWS_PAGE ? want : FLOWS_PAGE)));
		if (json_is_string(cursor))
			json_object_set(params, "cursor", cursor);
		rc = ctl_call(ctl, "flows.list", params, &r);
		if (rc != 0)
			break;
		page = json_object_get(r, "flows");
		if (!json_is_array(page)) {
			fprintf(stderr, "dsrlbctl: flows.list: answer without \"flows\"\n");
			json_decref(r);
			rc = CTL_EXIT_COMM;
			break;
		}
		json_array_extend(all, page);
		json_decref(cursor);
		cursor = json_incref(json_object_get(r, "next"));
		json_decref(r);
		if (!json_is_string(cursor))
			break;
	}
	if (cursor == NULL)
		cursor = json_null();
	*next = cursor;
	return rc;
}

static void
print_flows(const json_t *flows, const json_t *next)
{
	const json_t *f;
	char client[64], vip[96];
	size_t i;

	printf("%-6s %-22s %-22s %-5s %-16s %-12s %-11s %-7s %s\n", "Worker",
	       "Client", "VIP:Port", "Prot", "Service", "Member", "State",
	       "Expires", "Origin");
	json_array_foreach(flows, i, f) {
		const char *c = ctl_str(f, "client", "?");

		/* an IPv6 address is bracketed before its port */
		snprintf(client, sizeof(client),
			 strchr(c, ':') != NULL ? "[%s]:%lld" : "%s:%lld", c,
			 ctl_int(f, "client_port", -1));
		printf("%-6lld %-22s %-22s %-5s %-16s %-12s %-11s %-7lld %s\n",
		       ctl_int(f, "worker", -1), client,
		       ctl_endpoint(json_object_get(f, "vip"),
				    json_object_get(f, "port"), vip, sizeof(vip)),
		       ctl_str(f, "protocol", "?"), ctl_str(f, "service", "-"),
		       ctl_str(f, "member", "-"), ctl_str(f, "state", "?"),
		       ctl_int(f, "expires_in", -1),
		       ctl_str(f, "origin", "-"));
	}
	printf("%zu flow%s%s\n", json_array_size(flows),
	       json_array_size(flows) == 1 ? "" : "s",
	       json_is_string(next) ? " (more: raise --limit)" : "");
}

static int
flows_options(struct ctl *ctl, int argc, char **argv, struct flows_query *q)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 'S' },
		{ "member", required_argument, NULL, 'M' },
		{ "client", required_argument, NULL, 'C' },
		{ "limit", required_argument, NULL, 'n' },
		CTL_OPT_JSON, CTL_OPT_END,
	};
	int c;

	while ((c = ctl_getopt(ctl, argc, argv, ":n:", opts)) != -1) {
		switch (c) {
		case 'S':
			json_object_set_new(q->filter, "service", json_string(optarg));
			break;
		case 'M':
			json_object_set_new(q->filter, "member", json_string(optarg));
			break;
		case 'C':
			if (ctl_parse_ip_subnet(argv[0], "--client", optarg) != 0)
				return CTL_EXIT_USAGE;
			json_object_set_new(q->filter, "client", json_string(optarg));
			break;
		case 'n':
			if (ctl_parse_uint(argv[0], "--limit", optarg, FLOWS_MAX,
					   &q->limit) != 0)
				return CTL_EXIT_USAGE;
			if (q->limit == 0)
				return ctl_usage_error(argv[0], "--limit: 0 flows asked");
			break;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	return ctl_positional(argv[0], argc - optind, argv + optind, 0, 0);
}

int
cmd_flows(struct ctl *ctl, int argc, char **argv)
{
	struct flows_query q = { .filter = json_object(), .limit = 100 };
	json_t *all = json_array(), *next = NULL, *doc;
	int rc;

	rc = flows_options(ctl, argc, argv, &q);
	if (rc == 0)
		rc = flows_fetch(ctl, &q, all, &next);
	if (rc == 0 && ctl->json) {
		doc = json_pack("{s:O, s:O}", "flows", all, "next", next);
		rc = ctl_print_json(doc, false);
		json_decref(doc);
	} else if (rc == 0) {
		print_flows(all, next);
	}
	json_decref(next);
	json_decref(all);
	json_decref(q.filter);
	return rc;
}

/* --- call --- */

int
cmd_call(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { CTL_OPT_JSON, CTL_OPT_END };
	json_t *params = NULL, *r;
	json_error_t jerr;
	char **args;
	int rc;

	if (ctl_getopt(ctl, argc, argv, ":", opts) != -1)
		return CTL_EXIT_USAGE;
	args = argv + optind;
	rc = ctl_positional(argv[0], argc - optind, args, 1, 2);
	if (rc != 0)
		return rc;
	if (argc - optind == 2) {
		params = json_loads(args[1], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return ctl_usage_error(argv[0], "PARAMS: not JSON: %s (column %d)",
					       jerr.text, jerr.column);
		if (!json_is_object(params) && !json_is_array(params)) {
			json_decref(params);
			return ctl_usage_error(argv[0], "PARAMS: expected a JSON object");
		}
	}
	rc = ctl_call(ctl, args[0], params, &r);
	if (rc == 0) {
		rc = ctl_print_json(r, false);
		json_decref(r);
	}
	return rc;
}
