/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The flow methods: flows.list pages through every worker's table,
 * flows.flush asks the workers to drop the flows of a service or member.
 */

#include <stdio.h>
#include <stdlib.h>

#include "lb_pkt.h"
#include "agent_internal.h"

#define FLOWS_LIST_DEFAULT 100
#define FLOWS_LIST_MAX 10000
/* table positions one request looks at, at most: a request costs about
 * what the control server lets one client do in a pass (lb_ctl.h) */
#define FLOWS_SCAN_PER_CALL LB_CTL_CLIENT_WORK
/* the widest client subnets a filter takes, per family */
#define FLOWS_CLIENT_PREFIX4_MIN 8
#define FLOWS_CLIENT_PREFIX6_MIN 16

static const char *const flow_state_names[LB_FLOW_STATE_MAX] = {
	[LB_FLOW_TCP_SYN] = "syn", [LB_FLOW_TCP_MID] = "mid",
	[LB_FLOW_TCP_EST] = "established", [LB_FLOW_TCP_CLOSING] = "closing",
	[LB_FLOW_UDP_NEW] = "udp-new", [LB_FLOW_UDP] = "udp",
};

/* A filter from params: names that exist, an address. */
static int
flow_filter(struct lb_agent *ag, json_t *params,
	    struct lb_dp_flow_filter *f, struct lb_ctl_error *err)
{
	const char *svc = json_string_value(json_object_get(params, "service"));
	const char *mem = json_string_value(json_object_get(params, "member"));
	const char *cl = json_string_value(json_object_get(params, "client"));

	*f = (struct lb_dp_flow_filter){ .svc = LB_DP_ANY,
					 .member = LB_DP_ANY };
	if (svc != NULL) {
		f->svc = lb_core_service_find(ag->core, svc);
		if (f->svc < 0) {
			lb_ctl_fail(err, LB_CTL_NOT_FOUND,
				    "params.service: no service \"%s\"", svc);
			return -1;
		}
	}
	if (mem != NULL) {
		f->member = lb_core_member_find(ag->core, mem);
		if (f->member < 0) {
			lb_ctl_fail(err, LB_CTL_NOT_FOUND,
				    "params.member: no member \"%s\"", mem);
			return -1;
		}
	}
	if (cl != NULL) {
		if (lb_ip_parse_cidr(cl, FLOWS_CLIENT_PREFIX4_MIN,
				     FLOWS_CLIENT_PREFIX6_MIN, &f->client,
				     &f->client_prefix) != 0) {
			lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				    "params.client: \"%s\" is not an IPv4 address or subnet (/%u to /32) nor an IPv6 one (/%u to /128)",
				    cl, FLOWS_CLIENT_PREFIX4_MIN,
				    FLOWS_CLIENT_PREFIX6_MIN);
			return -1;
		}
		/* the subnet of the address given: its host bits do not
		 * matter */
		f->client = lb_ip_net(&f->client, f->client_prefix);
	}
	return 0;
}

/* A flow's client (src) or VIP address, either family. */
static json_t *
flow_addr(const struct lb_dp_flow *fl, bool src)
{
	struct lb_ip a = lb_dp_flow_addr(fl, src);

	return lb_agent_addr_json(&a);
}

static json_t *
flow_json(const struct lb_agent *ag, unsigned int worker,
	  const struct lb_dp_flow *fl)
{
	const struct lb_core_service *s = lb_core_service(ag->core, fl->svc);
	const struct lb_core_member *m = lb_core_member(ag->core, fl->member);

	return json_pack("{s:i, s:o, s:i, s:o, s:i, s:s, s:s?, s:s?, s:s, s:I, s:s}",
		"worker", (int)ag->env->workers[worker].lcore,
		"client", flow_addr(fl, true), "client_port", fl->key.src_port,
		"vip", flow_addr(fl, false), "port", fl->key.dst_port,
		"protocol", fl->key.proto == LB_IPPROTO_TCP ? "tcp" : "udp",
		"service", s != NULL ? s->conf.name : NULL,
		/* a member whose slot changed hands is gone: rescheduled
		 * on the flow's next packet */
		"member", m != NULL && m->gen == fl->member_gen ?
			  m->conf.name : NULL,
		"state", fl->state < LB_FLOW_STATE_MAX &&
			 flow_state_names[fl->state] != NULL ?
			 flow_state_names[fl->state] : "?",
		"expires_in", (json_int_t)(fl->expires_in_ms / 1000),
		/* learned from a peer's flow sync (the peer carries it), or
		 * seen here */
		"origin", fl->learned ? "peer" : "local");
}

/*
 * Pages across workers: the cursor is "worker:position". Bounded work
 * per request (positions looked at, charged to the client: it is served
 * again in the next pass), so a filter that matches nothing in 10M flows
 * answers with a cursor, perhaps with no flow, instead of holding the
 * master: the walk goes on where the client's next request says.
 */
static json_t *
rpc_flows_list(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	const char *cur = json_string_value(json_object_get(params, "cursor"));
	json_t *lim = json_object_get(params, "limit");
	unsigned int limit = lim != NULL ? (unsigned int)json_integer_value(lim) :
			     FLOWS_LIST_DEFAULT;
	uint32_t scan = FLOWS_SCAN_PER_CALL, pos = 0;
	struct lb_dp_flow_filter f;
	struct lb_dp_flow *buf;
	unsigned int w = 0, n, k, got = 0;
	json_t *list, *next = json_null();
	char tail;

	if (flow_filter(ag, params, &f, err) != 0)
		return NULL;
	if (cur != NULL && (sscanf(cur, "%u:%u%c", &w, &pos, &tail) != 2 ||
			    w >= ag->env->n_workers))
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params.cursor: \"%s\" is not a cursor from an earlier answer",
				   cur);
	buf = malloc(limit * sizeof(*buf));
	list = json_array();
	if (buf == NULL || list == NULL) {
		free(buf);
		json_decref(list);
		return lb_ctl_fail(err, LB_CTL_INTERNAL_ERROR, "out of memory");
	}
	while (w < ag->env->n_workers && got < limit && scan > 0) {
		uint32_t before = pos, seen;

		n = lb_dp_flows_walk(ag->env->workers[w].w, &f, &pos, buf,
				     limit - got, RTE_MIN(scan, 65536u));
		for (k = 0; k < n; k++)
			json_array_append_new(list, flow_json(ag, w, &buf[k]));
		got += n;
		/* every call looks at positions: charge at least one, so
		 * the loop ends whatever the walk reports */
		seen = pos == LB_DP_WALK_END ? 65536u :
		       pos > before ? pos - before : 1u;
		scan -= RTE_MIN(scan, seen);
		lb_ctl_charge(err, seen);
		if (pos == LB_DP_WALK_END) {
			w++;
			pos = 0;
		}
	}
	free(buf);
	if (w < ag->env->n_workers)
		next = json_sprintf("%u:%u", w, pos);
	return json_pack("{s:o, s:o}", "flows", list, "next", next);
}

/* how long a flush waits for the workers' counts before it answers
 * without them ("done": false) */
#define FLUSH_WAIT_MS 50

/* The flush under way: whether every worker has taken it, and the flows
 * they removed. */
static bool
flush_done(struct lb_agent *ag, uint64_t *flushed)
{
	unsigned int i, done = 0;

	*flushed = 0;
	for (i = 0; i < ag->env->n_workers; i++) {
		uint32_t nf = 0;

		if (lb_dp_flows_flush_done(ag->env->workers[i].w,
					   ag->flush_seq[i], &nf)) {
			done++;
			*flushed += nf;
		}
	}
	return done == ag->env->n_workers;
}

/*
 * Each worker takes the newest request and walks its table in bounded
 * steps. The request is answered once they all have (or after
 * FLUSH_WAIT_MS): the master does not wait for them, it answers
 * LB_CTL_AGAIN and runs its loop, and the control server asks again in
 * its next pass. One flush at a time: a request for the same flows
 * while one runs joins it (and is answered with its count).
 */
static json_t *
rpc_flows_flush(void *ctx, json_t *params, struct lb_ctl_error *err)
{
	struct lb_agent *ag = lb_agent_of(ctx);
	struct lb_dp_flow_filter f;
	uint64_t flushed = 0;
	unsigned int i;
	bool done;

	if (flow_filter(ag, params, &f, err) != 0)
		return NULL;
	if (json_object_get(params, "client") != NULL)
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params.client: flushes go by service and member");
	if (f.svc == LB_DP_ANY && f.member == LB_DP_ANY)
		return lb_ctl_fail(err, LB_CTL_INVALID_PARAMS,
				   "params: give \"service\", \"member\" or both");
	if (!err->resumed) {
		bool running = false;

		/* a worker takes the newest request only: a flush of the
		 * same flows under way is joined, another one waited for */
		for (i = 0; i < ag->env->n_workers; i++) {
			uint32_t nf;

			if (ag->flush_seq[i] != 0 &&
			    !lb_dp_flows_flush_done(ag->env->workers[i].w,
						    ag->flush_seq[i], &nf)) {
				running = true;
				break;
			}
		}
		if (running && (ag->flush_svc != f.svc ||
				ag->flush_member != f.member))
			return lb_ctl_fail(err, LB_CTL_CONFLICT,
					   "a flush of other flows is still running on worker %u: retry in a moment",
					   ag->env->workers[i].lcore);
		if (!running) {
			for (i = 0; i < ag->env->n_workers; i++)
				ag->flush_seq[i] = lb_dp_flows_flush_request(
					ag->env->workers[i].w, f.svc,
					f.member);
			ag->flush_svc = f.svc;
			ag->flush_member = f.member;
			ag->flush_deadline_ms = lb_agent_now_ms() +
						FLUSH_WAIT_MS;
		}
	}
	done = flush_done(ag, &flushed);
	if (!done && err->may_wait &&
	    lb_agent_now_ms() < ag->flush_deadline_ms) {
		err->code = LB_CTL_AGAIN;
		return NULL;
	}
	AG_LOG(NOTICE, "control: flows flushed%s%s%s%s: %llu%s",
		f.svc >= 0 ? " of service " : "",
		f.svc >= 0 ? lb_core_service(ag->core, f.svc)->conf.name : "",
		f.member >= 0 ? " of member " : "",
		f.member >= 0 ? lb_core_member(ag->core, f.member)->conf.name : "",
		(unsigned long long)flushed,
		done ? "" : " so far (the workers go on)");
	return json_pack("{s:I, s:b}", "flushed", (json_int_t)flushed,
			 "done", done);
}

#define P(n, t, h) { .name = (n), .type = (t), .help = (h) }

const struct lb_ctl_method lb_agent_flow_methods[] = {
	{ .name = "flows.list", .help = "flows of every worker, filtered, in pages",
	  .params = { P("service", LB_CTL_STRING, "service name"),
		      P("member", LB_CTL_STRING, "member name"),
		      P("client", LB_CTL_STRING, "client address or subnet, IPv4 or IPv6"),
		      { .name = "limit", .type = LB_CTL_INTEGER,
			.help = "flows per page, default 100", .min = 1,
			.max = FLOWS_LIST_MAX },
		      P("cursor", LB_CTL_STRING, "\"next\" of the previous page") },
	  .handler = rpc_flows_list },
	{ .name = "flows.flush", .help = "remove the flows of a service and/or member: their next packets are scheduled anew",
	  .flags = LB_CTL_WRITE,
	  .params = { P("service", LB_CTL_STRING, "service name"),
		      P("member", LB_CTL_STRING, "member name") },
	  .handler = rpc_flows_flush },
};

const unsigned int lb_agent_n_flow_methods = RTE_DIM(lb_agent_flow_methods);
