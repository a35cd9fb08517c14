/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * top: `ipvsadm --rate` in a loop. Each refresh shows the rates over the
 * last interval (from two samples, divided by the time really elapsed
 * between them, not the nominal interval) per service, member and
 * worker; -n bounds the refreshes so scripts and tests can run it.
 */

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsrlbctl.h"

#define TOP_MAX_COUNT 1000000000ull

struct top_opts {
	double interval;
	unsigned long long count;       /* 0: until interrupted */
};

static void
rates_tail(const json_t *o, const json_t *e, double dt, char *buf,
	   size_t size)
{
	char f[24], p[24], b[24], a[24];
	long long active = ctl_traffic(e, "active");

	ctl_rate_cell(f, sizeof(f), ctl_rate(o, e, "flows", dt));
	ctl_rate_cell(p, sizeof(p), ctl_rate(o, e, "packets", dt));
	ctl_rate_cell(b, sizeof(b), ctl_rate(o, e, "bytes", dt));
	if (active < 0)
		snprintf(a, sizeof(a), "-");
	else
		snprintf(a, sizeof(a), "%lld", active);
	snprintf(buf, size, "%10s %12s %14s %10s", f, p, b, a);
}

/* A per_worker field's rate; -1 where the server has no such field. */
static double
worker_rate(const json_t *o, const json_t *w, const char *key, double dt)
{
	long long a = ctl_int(o, key, -1), b = ctl_int(w, key, -1);

	if (a < 0 || b < 0 || dt <= 0)
		return -1;
	return b >= a ? (double)(b - a) / dt : 0;
}

/* Share of the TSC ticks spent on iterations with packets; -1 if the
 * server does not count cycles. */
static double
worker_busy(const json_t *o, const json_t *w)
{
	double busy = worker_rate(o, w, "busy_cycles", 1);
	double all = worker_rate(o, w, "cycles", 1);

	if (busy < 0 || all <= 0)
		return -1;
	return busy * 100 / all;
}

static const json_t *
per_worker(const struct ctl_sample *s)
{
	return json_object_get(s->stats, "per_worker");
}

static void
print_frame(const struct ctl_sample *a, const struct ctl_sample *b,
	    bool active, double interval)
{
	double dt = b->t - a->t;
	const json_t *e, *ow = per_worker(a);
	char tail[128], when[32], r[24], t[24], busy[24];
	time_t now = time(NULL);
	size_t i;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	printf("dsrlb top: %s, every %g s, %s\n\n",
	       active ? "active" : "standby", interval, when);
	printf("%-16s %-4s %-22s %10s %12s %14s %10s\n", "Service", "Prot",
	       "LocalAddress:Port", "FlowsPS", "PacketsPS", "BytesPS", "Active");
	json_array_foreach(b->services, i, e) {
		rates_tail(ctl_find_named(a->services, ctl_str(e, "name", "")),
			   e, dt, tail, sizeof(tail));
		ctl_print_service_line(e, tail);
	}
	printf("\n%-16s %-16s %6s %-9s %10s %12s %14s %10s\n", "Member",
	       "Address", "Weight", "State", "FlowsPS", "PacketsPS", "BytesPS",
	       "Active");
	json_array_foreach(b->members, i, e) {
		rates_tail(ctl_find_named(a->members, ctl_str(e, "name", "")),
			   e, dt, tail, sizeof(tail));
		printf("%-16s %-16s %6lld %-9s %s\n", ctl_str(e, "name", "?"),
		       ctl_str(e, "address", "-"), ctl_int(e, "weight", -1),
		       ctl_str(e, "state", "?"), tail);
	}
	printf("\n%-8s %12s %12s %7s %10s\n", "Worker", "RxPS", "TxPS",
	       "Busy%", "Flows");
	json_array_foreach(per_worker(b), i, e) {
		const json_t *o = json_array_get(ow, i);
		double bz = worker_busy(o, e);

		ctl_rate_cell(r, sizeof(r), worker_rate(o, e, "rx", dt));
		ctl_rate_cell(t, sizeof(t), worker_rate(o, e, "tx", dt));
		if (bz < 0)
			snprintf(busy, sizeof(busy), "-");
		else
			snprintf(busy, sizeof(busy), "%.1f", bz);
		printf("%-8lld %12s %12s %7s %10lld\n", ctl_int(e, "lcore", -1),
		       r, t, busy, ctl_int(e, "flows", -1));
	}
}

static json_t *
frame_json(const struct ctl_sample *a, const struct ctl_sample *b,
	   bool active)
{
	double dt = b->t - a->t, bz;
	json_t *workers = json_array();
	const json_t *e, *ow = per_worker(a);
	size_t i;

	json_array_foreach(per_worker(b), i, e) {
		const json_t *o = json_array_get(ow, i);

		bz = worker_busy(o, e);
		json_array_append_new(workers, json_pack("{s:I, s:o, s:o, s:o}",
			"lcore", (json_int_t)ctl_int(e, "lcore", -1),
			"rx_per_s", ctl_rate_json(worker_rate(o, e, "rx", dt)),
			"tx_per_s", ctl_rate_json(worker_rate(o, e, "tx", dt)),
			"busy_percent", ctl_rate_json(bz)));
	}
	return json_pack("{s:f, s:b, s:o, s:o, s:o}", "interval", dt,
			 "active", active,
			 "services", ctl_rates_json(a->services, b->services, dt),
			 "members", ctl_rates_json(a->members, b->members, dt),
			 "workers", workers);
}

static int
top_options(struct ctl *ctl, int argc, char **argv, struct top_opts *o)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		CTL_OPT_JSON, CTL_OPT_END,
	};
	int c;

	while ((c = ctl_getopt(ctl, argc, argv, ":i:n:", opts)) != -1) {
		if (c == 'i') {
			if (ctl_parse_seconds(argv[0], "-i SECONDS", optarg,
					      &o->interval) != 0)
				return CTL_EXIT_USAGE;
		} else if (c == 'n') {
			if (ctl_parse_uint(argv[0], "-n COUNT", optarg,
					   TOP_MAX_COUNT, &o->count) != 0)
				return CTL_EXIT_USAGE;
			if (o->count == 0)
				return ctl_usage_error(argv[0], "-n COUNT: 0 refreshes asked");
		} else {
			return CTL_EXIT_USAGE;
		}
	}
	return ctl_positional(argv[0], argc - optind, argv + optind, 0, 0);
}

/* One refresh: a new sample, its rates against the last one printed. */
static int
refresh(struct ctl *ctl, const struct top_opts *o, struct ctl_sample *last,
	bool clear)
{
	struct ctl_sample s;
	json_t *st, *doc;
	bool active;
	int rc;

	rc = ctl_call(ctl, "status", NULL, &st);
	if (rc != 0)
		return rc;
	active = json_is_true(json_object_get(st, "active"));
	json_decref(st);
	rc = ctl_sample_take(ctl, &s, true);
	if (rc != 0)
		return rc;
	if (ctl->json) {
		doc = frame_json(last, &s, active);
		rc = ctl_print_json(doc, true);
		json_decref(doc);
	} else {
		if (clear)
			fputs("\033[H\033[2J", stdout);
		print_frame(last, &s, active, o->interval);
	}
	fflush(stdout);
	ctl_sample_free(last);
	*last = s;
	return rc;
}

int
cmd_top(struct ctl *ctl, int argc, char **argv)
{
	struct top_opts o = { .interval = 1 };
	struct ctl_sample last;
	unsigned long long n;
	bool clear;
	int rc;

	rc = top_options(ctl, argc, argv, &o);
	if (rc != 0)
		return rc;
	clear = !ctl->json && isatty(STDOUT_FILENO);
	rc = ctl_sample_take(ctl, &last, true);
	for (n = 0; rc == 0 && (o.count == 0 || n < o.count); n++) {
		if (ctl_sleep(o.interval) != 0)
			break;
		rc = refresh(ctl, &o, &last, clear);
	}
	ctl_sample_free(&last);
	return rc;
}
