/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef CTL_INTERNAL_H
#define CTL_INTERNAL_H

/*
 * What the files of lib/ctl share. From the bottom:
 *   ctl_numbers.c   numbers too large to decode: found, noted, replaced
 *   ctl_dispatch.c  one request text answered: methods, params, batches
 *   ctl_client.c    the clients: reading, answering, writing, bounds,
 *                   eviction, and lb_ctl_poll()
 *   ctl_socket.c    the listening sockets, lb_ctl_create_params()
 *   ctl_api.c       lib/api's table as lb_ctl methods (lb_ctl_api.h)
 * A file calls only into the files above it in this list.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lb_ctl.h"

/* One connection. */
struct ctl_client {
	int fd;
	bool readonly;        /* accepted on the read-only socket */
	bool readable;        /* the socket may hold bytes (or EOF) to read */
	bool eof;             /* nothing more comes from the client */
	bool gone;            /* it hung up: served this pass, then closed */
	bool closing;         /* close once out is written (oversized) */
	bool backlog;         /* complete requests wait in in */
	bool asked;           /* it has sent a complete request */
	bool waiting;         /* the request at in_off was answered
				 LB_CTL_AGAIN: handled again next pass */
	uint32_t watched;     /* epoll events registered */
	uint64_t pass;        /* the pass `served` and `worked` count */
	unsigned int served;  /* requests answered in that pass */
	uint64_t worked;      /* their work */
	char *in;             /* bytes read: in[in_off, in_len) unanswered */
	size_t in_off;
	size_t in_len;
	size_t in_cap;
	size_t scanned;       /* in[in_off, scanned) holds no newline */
	char *out;            /* answers: out[out_off, out_len) unsent */
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	uint64_t last_ms;     /* accept, last request answered or bytes sent */
	uint64_t partial_ms;  /* first byte of the pending partial request */
	uint64_t full_ms;     /* since unsent answers exceed the cap, or 0 */
	uint64_t read_total;  /* its socket's queue (SIOCOUTQ) at the last look */
	uint64_t read_ms;     /* it was last seen reading (or had nothing to) */
};

struct ctl_listener {
	int fd;
	bool readonly;
	char path[108];
};

struct lb_ctl {
	const struct lb_ctl_method *methods;
	unsigned int n_methods;
	void *ctx;
	int ep;
	uint64_t pass;
	unsigned int next;          /* where serving resumes */
	struct lb_ctl_stats st;
	struct ctl_listener listeners[2];  /* read-write, read-only */
	struct ctl_client clients[LB_CTL_MAX_CLIENTS];
	bool tight;                 /* buffers past LB_CTL_MAX_HELD: small answers only */
};

/* ---- ctl_numbers.c ---- */

/* A number too large to decode, the first of one request. */
struct ctl_ovf_entry {
	bool set;
	char param[64];     /* the top-level param holding it, "" if params itself */
	char path[192];     /* "params.members[2].weight" */
	char num[40];       /* the number as written, shortened */
};

struct ctl_ovf {
	bool outside;       /* one is outside any "params" */
	struct ctl_ovf_entry e[LB_CTL_MAX_BATCH + 1];  /* by batch index; [0] alone */
};

/*
 * One pass over text: out receives it with every number out of range
 * replaced by 0 (out has room for len bytes); o notes where they were.
 * Robust to any input: a syntax error is left as it is, for jansson.
 */
size_t ctl_scan_numbers(const char *t, size_t len, char *out,
			struct ctl_ovf *o);

/* ---- ctl_dispatch.c ---- */

/* A JSON-RPC error object (id NULL: null). */
json_t *ctl_error_response(json_t *id, int code, const char *message);

/* Answer one request line as the socket (readonly or not) would: the
 * response text (malloc'ed), or NULL for notifications only; *count:
 * the requests it held (batch entries), *work: what they cost. With
 * wait non-NULL a request on its own may be answered later: *wait set
 * on input says it was before (resumed), on output that it is not done
 * (nothing to send yet, see LB_CTL_AGAIN). */
char *ctl_handle(struct lb_ctl *ctl, const char *text, size_t len,
		 bool readonly, unsigned int *count, uint64_t *work,
		 bool *wait);

/* ---- ctl_client.c ---- */

/* Close a client and free its slot. */
void ctl_client_close(struct lb_ctl *ctl, struct ctl_client *c);

#endif /* CTL_INTERNAL_H */
