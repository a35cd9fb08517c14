/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CTL_H
#define LB_CTL_H

/**
 * @file
 * JSON-RPC 2.0 over a Unix stream socket, one request per line.
 *
 * Methods register in a table {name, help, params, handler}; the
 * dispatcher validates a request's params against the method's list
 * (names, types, required) before the handler runs (OVS unixctl's
 * habit): unknown, missing and mistyped params are refused with a
 * message naming the param, and handlers only see well-formed ones. Framing is explicit: a
 * request ends at a newline and may not exceed LB_CTL_MAX_REQUEST bytes.
 * Everything is non-blocking; a client that sends half a request and
 * stalls is dropped after LB_CTL_STALL_MS, and cannot delay anyone else.
 * One lb_ctl_poll() answers at most LB_CTL_PASS_REQUESTS requests, so a
 * client streaming requests cannot hold the master loop: what is left
 * waits for the next call (lb_ctl_pending()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define LB_CTL_MAX_REQUEST (1u << 20)   /**< 1 MiB */
#define LB_CTL_MAX_OUTPUT (16u << 20)   /**< unread replies before a drop */
#define LB_CTL_STALL_MS 10000           /**< half a request this long: drop */
#define LB_CTL_IDLE_MS 300000           /**< idle connection: drop */
#define LB_CTL_MAX_CLIENTS 64
#define LB_CTL_PASS_REQUESTS 64         /**< requests answered per lb_ctl_poll() */

/** JSON-RPC 2.0 error codes, and ours (-32000 and below). */
enum lb_ctl_code {
	LB_CTL_PARSE_ERROR = -32700,
	LB_CTL_INVALID_REQUEST = -32600,
	LB_CTL_METHOD_NOT_FOUND = -32601,
	LB_CTL_INVALID_PARAMS = -32602,
	LB_CTL_INTERNAL_ERROR = -32603,
	LB_CTL_NOT_FOUND = -32001,      /**< a named object does not exist */
	LB_CTL_CONFLICT = -32002,       /**< the change contradicts the state */
	LB_CTL_FAILED = -32003,         /**< the change could not be applied */
};

/** An error a handler reports. */
struct lb_ctl_error {
	int code;
	char message[256];
};

/**
 * A method handler: returns the result (a new reference), or NULL with
 * err set. params is the validated params object (an empty object when
 * the request had none).
 */
typedef json_t *(*lb_ctl_handler_t)(void *ctx, json_t *params,
				    struct lb_ctl_error *err);

/** Types a parameter may have. */
enum lb_ctl_type {
	LB_CTL_STRING = 0,
	LB_CTL_INTEGER,
	LB_CTL_BOOLEAN,
	LB_CTL_OBJECT,
	LB_CTL_ARRAY,
};

/** One named parameter of a method. */
struct lb_ctl_param {
	const char *name;
	uint8_t type;        /**< enum lb_ctl_type */
	bool required;
	const char *help;    /**< for "help" */
};

/** Most parameters a method takes. */
#define LB_CTL_MAX_PARAMS 8

/** One method. */
struct lb_ctl_method {
	const char *name;
	const char *help;
	struct lb_ctl_param params[LB_CTL_MAX_PARAMS]; /**< end: name NULL */
	lb_ctl_handler_t handler;
};

struct lb_ctl;

/**
 * Listen on a Unix socket.
 *
 * @param path
 *   Socket path; a stale socket there is replaced, a missing parent
 *   directory created (0750).
 * @param mode
 *   Permissions of the socket, e.g. 0660.
 * @param err
 *   On failure, why (256 bytes).
 * @return
 *   The server, or NULL.
 */
struct lb_ctl *lb_ctl_create(const char *path, unsigned int mode,
			     const struct lb_ctl_method *methods,
			     unsigned int n_methods, void *ctx, char *err);

/** An epoll fd that is readable when lb_ctl_poll() has work. */
int lb_ctl_fd(const struct lb_ctl *ctl);

/**
 * Accept, read, answer and write what is ready, without blocking and at
 * most LB_CTL_PASS_REQUESTS requests (clients served in turn); drop
 * stalled and idle clients.
 *
 * @return
 *   Number of requests answered.
 */
unsigned int lb_ctl_poll(struct lb_ctl *ctl, uint64_t now_ms);

/** True if complete requests wait for the next lb_ctl_poll() (the
 *  caller should not sleep before it). */
bool lb_ctl_pending(const struct lb_ctl *ctl);

/** Close every client and the socket, and unlink it. */
void lb_ctl_free(struct lb_ctl *ctl);

/**
 * Answer one request text (without newline) as the server would: the
 * response text to send (malloc'ed, no newline), or NULL for a
 * notification. Exposed for tests.
 */
char *lb_ctl_handle(struct lb_ctl *ctl, const char *req, size_t len);

/** Set err and return NULL: for handlers. */
json_t *lb_ctl_fail(struct lb_ctl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* LB_CTL_H */
