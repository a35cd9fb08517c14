/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * metrics: the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector or a scrape wrapper. Every family
 * gets HELP and TYPE once and its samples together; label values are
 * escaped (\\, \", \n). A counter the server does not send is left out,
 * never printed as 0. The output is built in memory and written at
 * once, so a failed call leaves no half exposition behind.
 */

#include <stdlib.h>
#include <string.h>

#include "dsrlbctl.h"

#define LABELS_MAX 512
#define NAME_MAX_LEN 128

/* One metric family; its HELP and TYPE go out before its first sample. */
struct family {
	FILE *f;
	const char *name;
	const char *type;       /* counter or gauge */
	const char *help;
	bool started;
};

static void
put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

static void
family_start(struct family *fm)
{
	if (fm->started)
		return;
	fprintf(fm->f, "# HELP %s ", fm->name);
	put_escaped(fm->f, fm->help, false);
	fprintf(fm->f, "\n# TYPE %s %s\n", fm->name, fm->type);
	fm->started = true;
}

/* One sample; kv: label names and values, NULL-terminated. A negative
 * value (a field the server did not send) is skipped. */
static void
sample(struct family *fm, const char *const *kv, long long v)
{
	unsigned int i;

	if (v < 0)
		return;
	family_start(fm);
	fputs(fm->name, fm->f);
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		fprintf(fm->f, "%s%s=\"", i == 0 ? "{" : ",", kv[i]);
		put_escaped(fm->f, kv[i + 1], true);
		fputc('"', fm->f);
	}
	if (kv != NULL && kv[0] != NULL)
		fputc('}', fm->f);
	fprintf(fm->f, " %lld\n", v);
}

/* A metric name part from a counter name: [a-zA-Z0-9_] only. */
static void
metric_name(char *buf, size_t size, const char *prefix, const char *name,
	    const char *suffix)
{
	size_t n = (size_t)snprintf(buf, size, "%s", prefix), i;

	for (i = 0; name[i] != '\0' && n + 1 < size; i++, n++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		buf[n] = ok ? c : '_';
	}
	buf[n] = '\0';
	snprintf(buf + n, size - n, "%s", suffix);
}

/* Answers of the read methods the exposition is made from. */
struct sources {
	json_t *status, *stats, *services, *members;
	json_t *ports;          /* ports.stats */
};

static void
put_process(FILE *f, const struct sources *s)
{
	struct family up = { f, "dsrlb_up", "gauge",
		"1 if dsrlb answered on its control socket", false };
	struct family act = { f, "dsrlb_active", "gauge",
		"1 if this balancer is active (answers ARP for VIPs, forwards), 0 if standby", false };
	struct family info = { f, "dsrlb_info", "gauge",
		"version of dsrlb and DPDK (always 1)", false };
	struct family upt = { f, "dsrlb_uptime_seconds", "gauge",
		"seconds since dsrlb started", false };
	struct family vips = { f, "dsrlb_vips", "gauge",
		"VIP addresses configured", false };
	const char *kv[] = { "version", ctl_str(s->status, "version", ""),
			     "dpdk", ctl_str(s->status, "dpdk", ""), NULL };

	sample(&up, NULL, 1);
	sample(&act, NULL, json_is_true(json_object_get(s->status, "active")));
	sample(&info, kv, 1);
	sample(&upt, NULL, ctl_int(s->status, "uptime", -1));
	sample(&vips, NULL, ctl_int(s->status, "vips", -1));
}

/* packets_total, bytes_total, flows_new_total, flows_active of each
 * service or member; kvs(e, kv) gives an entry's labels. */
static void
put_traffic(FILE *f, const json_t *list, const char *what,
	    void (*kvs)(const json_t *e, const char **kv, char *buf,
			size_t size))
{
	static const struct { const char *suffix, *key, *type, *help; } t[] = {
		{ "packets_total", "packets", "counter", "packets sent to it" },
		{ "bytes_total", "bytes", "counter", "bytes sent to it (frames as received)" },
		{ "flows_new_total", "flows", "counter", "flows scheduled to it since start" },
		{ "flows_active", "active", "gauge",
		  "its established flows in the workers' tables now" },
		{ "flows_inactive", "inactive", "gauge",
		  "its other flows (opening, closing) in the workers' tables now" },
	};
	char name[NAME_MAX_LEN], help[160], buf[32];
	const char *kv[12];
	const json_t *e;
	unsigned int k;
	size_t i;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct family fm = { f, name, t[k].type, help, false };

		snprintf(name, sizeof(name), "dsrlb_%s_%s", what, t[k].suffix);
		snprintf(help, sizeof(help), "per %s: %s", what, t[k].help);
		json_array_foreach(list, i, e) {
			kvs(e, kv, buf, sizeof(buf));
			sample(&fm, kv, ctl_traffic(e, t[k].key));
		}
	}
}

static void
service_kv(const json_t *e, const char **kv, char *buf, size_t size)
{
	kv[0] = "service";
	kv[1] = ctl_str(e, "name", "");
	kv[2] = "vip";
	kv[3] = ctl_str(e, "vip", "");
	kv[4] = "protocol";
	kv[5] = ctl_str(e, "protocol", "");
	kv[6] = "port";
	kv[7] = ctl_port_str(json_object_get(e, "port"), buf, size);
	kv[8] = NULL;
}

static void
member_kv(const json_t *e, const char **kv, char *buf __attribute__((unused)),
	  size_t size __attribute__((unused)))
{
	kv[0] = "member";
	kv[1] = ctl_str(e, "name", "");
	kv[2] = "address";
	kv[3] = ctl_str(e, "address", "");
	kv[4] = NULL;
}

/* Per service and member: takes new flows, and the health check. */
static void
put_service_members(FILE *f, const json_t *services)
{
	struct family act = { f, "dsrlb_service_member_active", "gauge",
		"1 if the member takes new flows of the service (state active)", false };
	struct family hl = { f, "dsrlb_service_member_health_up", "gauge",
		"health check of the member for the service: 1 up, 0 down (absent: not checked)", false };
	const json_t *svc, *m;
	size_t i, k;

	json_array_foreach(services, i, svc)
		json_array_foreach(json_object_get(svc, "members"), k, m) {
			const char *kv[] = { "service", ctl_str(svc, "name", ""),
					     "member", ctl_str(m, "name", ""), NULL };

			sample(&act, kv, strcmp(ctl_str(m, "state", ""), "active") == 0);
		}
	json_array_foreach(services, i, svc)
		json_array_foreach(json_object_get(svc, "members"), k, m) {
			const char *kv[] = { "service", ctl_str(svc, "name", ""),
					     "member", ctl_str(m, "name", ""), NULL };
			const char *h = ctl_str(m, "health", "");

			if (strcmp(h, "up") == 0 || strcmp(h, "down") == 0)
				sample(&hl, kv, strcmp(h, "up") == 0);
		}
}

static void
put_member_admin(FILE *f, const json_t *members)
{
	static const char *const states[] = { "up", "drain", "disabled", "removing" };
	struct family w = { f, "dsrlb_member_weight", "gauge",
		"the member's weight", false };
	struct family st = { f, "dsrlb_member_state", "gauge",
		"the member's administrative state: 1 for the current one", false };
	const json_t *m;
	unsigned int k;
	size_t i;
	bool known;

	json_array_foreach(members, i, m) {
		const char *kv[] = { "member", ctl_str(m, "name", ""), NULL };

		sample(&w, kv, ctl_int(m, "weight", -1));
	}
	json_array_foreach(members, i, m) {
		const char *cur = ctl_str(m, "state", "");
		const char *kv[] = { "member", ctl_str(m, "name", ""),
				     "state", NULL, NULL };

		known = false;
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			kv[3] = states[k];
			known = known || strcmp(cur, states[k]) == 0;
			sample(&st, kv, strcmp(cur, states[k]) == 0);
		}
		kv[3] = cur;
		if (!known && cur[0] != '\0')
			sample(&st, kv, 1);
	}
}

/* stats.workers: drop_* by reason in one family, the others each in
 * its own (they count different things: a sum would mean nothing). */
static void
put_datapath(FILE *f, const json_t *stats)
{
	struct family rx = { f, "dsrlb_rx_packets_total", "counter",
		"packets the workers received (sum of every outcome)", false };
	struct family drops = { f, "dsrlb_drops_total", "counter",
		"packets dropped by the workers, by reason", false };
	const json_t *w = json_object_get(stats, "workers"), *v;
	char name[NAME_MAX_LEN], help[160];
	const char *key;

	sample(&rx, NULL, ctl_int(stats, "rx", -1));
	json_object_foreach((json_t *)w, key, v) {
		const char *kv[] = { "reason", key + 5, NULL };

		if (strncmp(key, "drop_", 5) == 0 && json_is_integer(v))
			sample(&drops, kv, (long long)json_integer_value(v));
	}
	json_object_foreach((json_t *)w, key, v) {
		struct family fm = { f, name, "counter", help, false };

		if (strncmp(key, "drop_", 5) == 0 || !json_is_integer(v))
			continue;
		metric_name(name, sizeof(name), "dsrlb_datapath_", key, "_total");
		snprintf(help, sizeof(help),
			 "data-path counter %s, summed over the workers", key);
		sample(&fm, NULL, (long long)json_integer_value(v));
	}
}

static void
put_master(FILE *f, const json_t *stats)
{
	const json_t *m = json_object_get(stats, "master"), *v;
	char name[NAME_MAX_LEN], help[160];
	const char *key;

	json_object_foreach((json_t *)m, key, v) {
		struct family fm = { f, name, "counter", help, false };

		if (!json_is_integer(v))
			continue;
		metric_name(name, sizeof(name), "dsrlb_master_", key, "_total");
		snprintf(help, sizeof(help), "master lcore counter %s", key);
		sample(&fm, NULL, (long long)json_integer_value(v));
	}
}

static void
put_workers(FILE *f, const json_t *stats)
{
	static const struct { const char *key, *name, *type, *help; } t[] = {
		{ "rx", "dsrlb_worker_rx_total", "counter",
		  "packets received by the worker" },
		{ "tx", "dsrlb_worker_tx_total", "counter",
		  "packets sent by the worker" },
		{ "fwd", "dsrlb_worker_fwd_total", "counter",
		  "packets the worker forwarded to members" },
		{ "busy_cycles", "dsrlb_worker_busy_cycles_total", "counter",
		  "TSC cycles of loop iterations that had packets" },
		{ "cycles", "dsrlb_worker_cycles_total", "counter",
		  "TSC cycles since the worker started" },
		{ "flows", "dsrlb_worker_flows", "gauge",
		  "flows in the worker's table" },
		{ "flows_limbo", "dsrlb_worker_flows_limbo", "gauge",
		  "deleted flows waiting for a quiescent state" },
		{ "flow_evicted", "dsrlb_worker_flow_evicted_total", "counter",
		  "provisional flow entries the worker evicted for new flows" },
		{ "flow_table_full", "dsrlb_worker_flow_table_full_total",
		  "counter", "new flows the worker's full table refused" },
		{ "flow_table_errors", "dsrlb_worker_flow_table_errors_total",
		  "counter", "flow entries found without their key (should stay 0)" },
	};
	const json_t *per = json_object_get(stats, "per_worker"), *w;
	struct family hz = { f, "dsrlb_tsc_hz", "gauge",
		"TSC ticks per second (to turn cycles into seconds)", false };
	char lcore[24];
	unsigned int k;
	size_t i;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct family fm = { f, t[k].name, t[k].type, t[k].help, false };

		json_array_foreach(per, i, w) {
			const char *kv[] = { "lcore", lcore, NULL };

			snprintf(lcore, sizeof(lcore), "%lld", ctl_int(w, "lcore", -1));
			sample(&fm, kv, ctl_int(w, t[k].key, -1));
		}
	}
	sample(&hz, NULL, ctl_int(stats, "tsc_hz", -1));
}

static void
put_mbufs(FILE *f, const json_t *stats)
{
	const json_t *mb = json_object_get(stats, "mbufs");
	struct family size = { f, "dsrlb_mbufs", "gauge",
		"mbufs in the packet pools", false };
	struct family use = { f, "dsrlb_mbufs_in_use", "gauge",
		"mbufs held anywhere now (queues, rings, fragments, kernel path)", false };

	sample(&size, NULL, ctl_int(mb, "size", -1));
	sample(&use, NULL, ctl_int(mb, "in_use", -1));
}

/* Per data port (status.ports): its link and MTU. */
static void
put_port_links(FILE *f, const json_t *status)
{
	struct family up = { f, "dsrlb_port_link_up", "gauge",
		"1 if the port's link is up, 0 if down", false };
	struct family chg = { f, "dsrlb_port_link_changes_total", "counter",
		"times the port's link went up or down since dsrlb started", false };
	struct family at = { f, "dsrlb_port_link_last_change_timestamp_seconds",
		"gauge", "Unix time of the port's last link change (of the start if none)",
		false };
	struct family speed = { f, "dsrlb_port_link_speed_bytes", "gauge",
		"the port's link speed, bytes a second (absent when unknown)", false };
	struct family mtu = { f, "dsrlb_port_mtu_bytes", "gauge",
		"the port's MTU (largest IP packet)", false };
	const json_t *ports = json_object_get(status, "ports"), *p;
	size_t i;

	json_array_foreach(ports, i, p) {
		const json_t *l = json_object_get(p, "link");
		const char *kv[] = { "port", ctl_str(p, "name", ""), NULL };

		if (json_is_object(l))
			sample(&up, kv, json_is_true(json_object_get(l, "up")));
	}
	json_array_foreach(ports, i, p) {
		const char *kv[] = { "port", ctl_str(p, "name", ""), NULL };

		sample(&chg, kv, ctl_int(json_object_get(p, "link"), "changes", -1));
	}
	json_array_foreach(ports, i, p) {
		const char *kv[] = { "port", ctl_str(p, "name", ""), NULL };

		sample(&at, kv, ctl_int(json_object_get(p, "link"),
					"last_change", -1));
	}
	json_array_foreach(ports, i, p) {
		const char *kv[] = { "port", ctl_str(p, "name", ""), NULL };
		long long mbps = ctl_int(json_object_get(p, "link"), "speed", -1);

		if (mbps > 0)
			sample(&speed, kv, mbps * 125000);
	}
	json_array_foreach(ports, i, p) {
		const char *kv[] = { "port", ctl_str(p, "name", ""), NULL };

		sample(&mtu, kv, ctl_int(p, "mtu", -1));
	}
}

/* ports.stats: the ethdev counters each in a family of its own, and
 * every extended counter the driver has in one family, by name (the
 * names differ between drivers; each is a counter). */
static void
put_port_stats(FILE *f, const json_t *ports)
{
	static const struct { const char *key, *name, *help; } t[] = {
		{ "ipackets", "dsrlb_port_rx_packets_total",
		  "packets the port received" },
		{ "opackets", "dsrlb_port_tx_packets_total",
		  "packets the port sent" },
		{ "ibytes", "dsrlb_port_rx_bytes_total",
		  "bytes the port received" },
		{ "obytes", "dsrlb_port_tx_bytes_total", "bytes the port sent" },
		{ "imissed", "dsrlb_port_imissed_total",
		  "packets the NIC dropped: its RX rings were full (workers too slow or too few)" },
		{ "ierrors", "dsrlb_port_ierrors_total",
		  "received packets the NIC found in error" },
		{ "oerrors", "dsrlb_port_oerrors_total",
		  "packets the NIC failed to send" },
		{ "rx_nombuf", "dsrlb_port_rx_nombuf_total",
		  "packets the NIC could not receive: no mbuf to put them in" },
	};
	struct family xs = { f, "dsrlb_port_xstats_total", "counter",
		"the driver's extended counters (rte_eth_xstats), by xstat name", false };
	const json_t *p, *v;
	const char *key;
	unsigned int k;
	size_t i;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct family fm = { f, t[k].name, "counter", t[k].help, false };

		json_array_foreach(ports, i, p) {
			const char *kv[] = { "port", ctl_str(p, "name", ""), NULL };

			sample(&fm, kv, ctl_int(json_object_get(p, "stats"),
						t[k].key, -1));
		}
	}
	json_array_foreach(ports, i, p) {
		json_object_foreach(json_object_get(p, "xstats"), key, v) {
			const char *kv[] = { "port", ctl_str(p, "name", ""),
					     "xstat", key, NULL };

			if (json_is_integer(v))
				sample(&xs, kv, (long long)json_integer_value(v));
		}
	}
}

static void
put_all(FILE *f, const struct sources *s)
{
	put_process(f, s);
	put_port_links(f, s->status);
	put_port_stats(f, s->ports);
	put_traffic(f, s->services, "service", service_kv);
	put_service_members(f, s->services);
	put_traffic(f, s->members, "member", member_kv);
	put_member_admin(f, s->members);
	put_datapath(f, s->stats);
	put_master(f, s->stats);
	put_workers(f, s->stats);
	put_mbufs(f, s->stats);
}

static int
fetch(struct ctl *ctl, struct sources *s)
{
	int rc = ctl_call(ctl, "status", NULL, &s->status);

	if (rc == 0)
		rc = ctl_call(ctl, "stats", NULL, &s->stats);
	if (rc == 0)
		rc = ctl_call(ctl, "services.list", NULL, &s->services);
	if (rc == 0)
		rc = ctl_call(ctl, "members.list", NULL, &s->members);
	if (rc == 0)
		rc = ctl_call(ctl, "ports.stats", NULL, &s->ports);
	return rc;
}

/* The exposition of dsrlb's state in *text (malloc'd, *len bytes), or
 * of dsrlb_up 0 alone when dsrlb cannot be reached (CTL_EXIT_COMM).
 * Another failure leaves *text NULL. */
int
metrics_render(struct ctl *ctl, char **text, size_t *len)
{
	struct sources s = { NULL };
	FILE *f;
	int rc;

	*text = NULL;
	*len = 0;
	rc = fetch(ctl, &s);
	if (rc != 0 && rc != CTL_EXIT_COMM)
		goto out;
	f = open_memstream(text, len);
	if (f == NULL) {
		perror("dsrlbctl: metrics");
		rc = CTL_EXIT_SERVER;
		goto out;
	}
	if (rc == 0)
		put_all(f, &s);
	else    /* a scraper still learns that dsrlb is down */
		fputs("# HELP dsrlb_up 1 if dsrlb answered on its control socket\n"
		      "# TYPE dsrlb_up gauge\ndsrlb_up 0\n", f);
	if (fclose(f) != 0) {
		perror("dsrlbctl: metrics");
		free(*text);
		*text = NULL;
		*len = 0;
		rc = CTL_EXIT_SERVER;
	}
out:
	json_decref(s.status);
	json_decref(s.stats);
	json_decref(s.services);
	json_decref(s.members);
	json_decref(s.ports);
	return rc;
}

int
cmd_metrics(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_OPT_JSON, { "http", no_argument, NULL, 'H' }, CTL_OPT_END };
	struct sources s = { NULL };
	bool http = false;
	size_t len;
	char *text;
	json_t *doc;
	int c, rc;

	while ((c = ctl_getopt(ctl, argc, argv, ":", opts)) != -1) {
		if (c != 'H')
			return CTL_EXIT_USAGE;
		http = true;
	}
	rc = ctl_positional(argv[0], argc - optind, argv + optind, 0, 0);
	if (rc != 0)
		return rc;
	if (http && ctl->json)
		return ctl_usage_error(argv[0], "--http and --json exclude each other");
	if (http)
		return metrics_http(ctl, metrics_render);
	if (!ctl->json) {
		rc = metrics_render(ctl, &text, &len);
		if (text != NULL && fwrite(text, 1, len, stdout) != len &&
		    rc == 0)
			rc = CTL_EXIT_SERVER;
		free(text);
		return rc;
	}
	rc = fetch(ctl, &s);
	if (rc == 0) {
		doc = json_pack("{s:O, s:O, s:O, s:O, s:O}", "status",
				s.status, "stats", s.stats, "services",
				s.services, "members", s.members, "ports",
				s.ports);
		rc = ctl_print_json(doc, false);
		json_decref(doc);
	}
	json_decref(s.status);
	json_decref(s.stats);
	json_decref(s.services);
	json_decref(s.members);
	json_decref(s.ports);
	return rc;
}
