/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CTL_H
#define LB_CTL_H

/**
 * @file
 * JSON-RPC 2.0 over Unix stream sockets, one request per line: a
 * hostile boundary.
 *
 * Methods register in a table {name, help, params, handler, flags,
 * cost}; the dispatcher validates a request's params against the
 * method's list (names, types, integer ranges, required) before the
 * handler runs (OVS unixctl's habit): unknown, missing, mistyped and
 * out-of-range params are refused with a message naming the param, and
 * handlers only see well-formed ones. A number too large for JSON
 * decoding (2^63, 1e400) inside "params" is refused as invalid params
 * naming it too.
 *
 * Two sockets: the read-write one, and optionally a read-only one where
 * methods flagged LB_CTL_WRITE are refused (LB_CTL_DENIED), so
 * monitoring cannot change anything. Each socket is published with its
 * final mode and group (see lb_ctl_create_params()).
 *
 * Bounds, so that no client can hold the master loop, its memory, or
 * the administrator's access:
 * - framing is explicit: a request ends at a newline and may not exceed
 *   LB_CTL_MAX_REQUEST bytes (the client gets an error and is dropped);
 *   a batch holds at most LB_CTL_MAX_BATCH requests;
 * - one lb_ctl_poll() answers at most LB_CTL_PASS_REQUESTS requests, at
 *   most LB_CTL_CLIENT_REQUESTS of one client, serving clients in turn
 *   (a batch counts as its requests); what is left waits for the next
 *   call (lb_ctl_pending());
 * - and work, not only requests, is budgeted: a call costs its
 *   method's cost (lb_ctl_method.cost; LB_CTL_CALL_WORK if it names
 *   none) plus what its handler charges for work that depends on the
 *   request (lb_ctl_charge(): positions walked, tables built). A client
 *   is served until its work in the poll reaches LB_CTL_CLIENT_WORK,
 *   and the poll until all of it reaches LB_CTL_PASS_WORK; the rest
 *   waits for the next call. So one client's expensive requests take
 *   one at a time from a poll, and the other clients are served in it.
 *   A call is charged after it ran: a handler whose work depends on the
 *   request bounds it per call (in pages), to about LB_CTL_CLIENT_WORK.
 *   A batch stops running its requests once their work reaches
 *   LB_CTL_CLIENT_WORK (the others are answered "not run");
 * - while a client's unsent answers exceed LB_CTL_MAX_OUTPUT, its
 *   requests are not read (back-pressure); it is dropped if that lasts
 *   LB_CTL_STALL_MS. An answer larger than LB_CTL_MAX_ANSWER is replaced
 *   by an error; a batch stops running its requests once its answers
 *   pass LB_CTL_MAX_OUTPUT (the others are answered "not run"). So a
 *   client holds at most LB_CTL_MAX_REQUEST + 2 bytes of input and
 *   2 * LB_CTL_MAX_OUTPUT + LB_CTL_MAX_ANSWER of answers (7 MiB in all);
 *   all clients together: once their buffers pass LB_CTL_MAX_HELD, a
 *   client holding unsent answers gets no more and the others only
 *   answers up to LB_CTL_TIGHT_ANSWER (bigger ones: an error saying to
 *   retry), so the total stays near LB_CTL_MAX_HELD;
 * - half a request pending for LB_CTL_STALL_MS, or no request for
 *   LB_CTL_IDLE_MS: the client is dropped;
 * - a client that hangs up has at most its share of the poll that sees
 *   it; what it sent beyond is not run (one that only shuts down its
 *   sending side gets every answer, in turn);
 * - a connection is never refused (once the listen queue, LB_CTL_BACKLOG,
 *   holds it): with every slot taken, a client is closed to admit the
 *   new one: first one leaving anyway (hung up, closing) or over its
 *   output cap, then one not reading its answers for a second (whatever
 *   else it sends) or stalled on half a request, then one idle that
 *   never asked anything, then one whose answers are in flight, then
 *   one idle that did, last one with a request ready; the one that read
 *   or made progress longest ago among them. Idle or abusive clients
 *   cannot lock an administrator out, nor evict a client that asks and
 *   reads while they are there. At most LB_CTL_PASS_ACCEPTS connections
 *   are accepted per poll, after the poll's events are applied (a slot
 *   given to a new client gets none of the events of the one it held),
 *   and a new one is read at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#define LB_CTL_MAX_REQUEST (1u << 20)   /**< 1 MiB */
#define LB_CTL_MAX_OUTPUT (1u << 20)    /**< unsent answers: stop reading */
#define LB_CTL_MAX_ANSWER (4u << 20)    /**< one answer (flows.list at its limit fits) */
#define LB_CTL_STALL_MS 10000           /**< half a request, or output over the cap, this long: drop */
#define LB_CTL_IDLE_MS 300000           /**< idle connection: drop */
#define LB_CTL_MAX_CLIENTS 128       /**< a hundred monitoring and admin clients fit */
#define LB_CTL_MAX_HELD (64u << 20)  /**< all clients' buffers: past it, clients
					  holding unsent answers get no more, the
					  others small answers only */
#define LB_CTL_TIGHT_ANSWER (16u << 10) /**< the largest answer past LB_CTL_MAX_HELD */
#define LB_CTL_PASS_REQUESTS 64         /**< requests answered per lb_ctl_poll() */
#define LB_CTL_CLIENT_REQUESTS 8        /**< of them, per client */
/** Work is counted in units of about 10 ns of the master's time (one
 *  flow-table position looked at). */
#define LB_CTL_CALL_WORK 1000           /**< a call of a method naming no cost */
#define LB_CTL_CLIENT_WORK (1u << 18)   /**< work of one client per lb_ctl_poll() */
#define LB_CTL_PASS_WORK (1u << 20)     /**< work per lb_ctl_poll() */
#define LB_CTL_PASS_ACCEPTS 16          /**< connections accepted per lb_ctl_poll() */
/** The listen queue: what arrives between two accepts. The kernel caps
 *  it at net.core.somaxconn (4096 on Debian 12); past it, a blocking
 *  connect() waits (dsrlbctl does) and a non-blocking one gets EAGAIN.
 *  A burst of clients (monitoring agents started together, a script's
 *  loop) queues here instead of being turned away. */
#define LB_CTL_BACKLOG SOMAXCONN
#define LB_CTL_MAX_BATCH 64             /**< requests in one batch */

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
	LB_CTL_DENIED = -32004,         /**< a write method on the read-only socket */
};

/**
 * err->code of a handler that is not done yet (it asked the workers for
 * something and waits for their answer): return NULL with it, and only
 * when err->may_wait. The request stays where it is, the client waits
 * (its later requests too, so answers keep their order), and the same
 * request is handled again in the next lb_ctl_poll() with err->resumed
 * set. The master's loop runs on meanwhile: a handler never sleeps.
 */
#define LB_CTL_AGAIN 1

/** What a handler reports besides its result: why it failed, and
 *  the work it did beyond its method's cost; and what the dispatcher
 *  tells it. */
struct lb_ctl_error {
	int code;
	char message[256];
	uint64_t work;       /**< 0 when the handler is called; see lb_ctl_charge() */
	bool may_wait;       /**< set: the handler may answer LB_CTL_AGAIN (a
				  request on its own; not in a batch, not
				  lb_ctl_handle()) */
	bool resumed;        /**< set: this request was answered
				  LB_CTL_AGAIN before */
};

/**
 * A method handler: returns the result (a new reference), or NULL with
 * err set. params is the validated params object (an empty object when
 * the request had none).
 */
typedef json_t *(*lb_ctl_handler_t)(void *ctx, json_t *params,
				    struct lb_ctl_error *err);

/**
 * A handler given its method's arg (lb_ctl_method.arg): one function
 * serving the methods of another table (lb_ctl_api.h).
 */
typedef json_t *(*lb_ctl_handler_arg_t)(void *ctx, const void *arg,
					json_t *params,
					struct lb_ctl_error *err);

/** Types a parameter may have. */
enum lb_ctl_type {
	LB_CTL_STRING = 0,
	LB_CTL_INTEGER,      /**< a JSON integer: 1.0 and 1e3 are refused */
	LB_CTL_BOOLEAN,
	LB_CTL_OBJECT,
	LB_CTL_ARRAY,
	LB_CTL_INT_OR_STRING, /**< a JSON integer or a string ("110", "lo-hi") */
};

/** One named parameter of a method. */
struct lb_ctl_param {
	const char *name;
	uint8_t type;        /**< enum lb_ctl_type */
	bool required;
	const char *help;    /**< for "help" */
	int64_t min;         /**< LB_CTL_INTEGER: allowed range [min, max], */
	int64_t max;         /**< checked before the handler; 0, 0: any */
};

/** Most parameters a method takes. */
#define LB_CTL_MAX_PARAMS 16

/** lb_ctl_method.flags: the method changes state (refused on the
 *  read-only socket). */
#define LB_CTL_WRITE 0x1

/** One method. */
struct lb_ctl_method {
	const char *name;
	const char *help;
	struct lb_ctl_param params[LB_CTL_MAX_PARAMS]; /**< end: name NULL */
	lb_ctl_handler_t handler;
	uint8_t flags;       /**< LB_CTL_WRITE */
	lb_ctl_handler_arg_t handler_arg; /**< instead of handler: called with arg */
	const void *arg;
	uint32_t cost;       /**< work of a call (0: LB_CTL_CALL_WORK); see lb_ctl_charge() */
};

/** Where and how to listen. */
struct lb_ctl_params {
	/** The read-write socket; NULL: none (dispatcher only, for tests). */
	const char *path;
	/** The read-only socket; NULL or "": none. */
	const char *ro_path;
	/** Permissions of the read-write socket; 0: 0660. */
	unsigned int mode;
	/** Its group: a name or a number; NULL or "": the process's. */
	const char *group;
	/** Permissions of the read-only socket; 0: the same as mode. */
	unsigned int ro_mode;
	/** Its group; NULL or "": the same as group. */
	const char *ro_group;
	const struct lb_ctl_method *methods;
	unsigned int n_methods;
	void *ctx;           /**< passed to the handlers */
};

/** Counters of the control server (totals since creation, and now). */
struct lb_ctl_stats {
	uint64_t accepted;           /**< connections accepted */
	uint64_t requests;           /**< requests answered (batch entries each) */
	uint64_t work;               /**< their work (LB_CTL_CALL_WORK's units) */
	uint64_t denied;             /**< write methods refused on the read-only socket */
	uint64_t evicted;            /**< clients closed to admit a new one */
	uint64_t dropped_stalled;    /**< half a request for LB_CTL_STALL_MS */
	uint64_t dropped_unread;     /**< answers unread for LB_CTL_STALL_MS */
	uint64_t dropped_idle;       /**< no request for LB_CTL_IDLE_MS */
	uint64_t dropped_oversized;  /**< a request over LB_CTL_MAX_REQUEST */
	uint64_t held_back;          /**< a client not served in a poll: every
					  client's buffers past LB_CTL_MAX_HELD */
	unsigned int clients;        /**< connected now */
	size_t buffered;             /**< bytes held in client buffers now */
};

struct lb_ctl;

/**
 * Listen on the control socket(s).
 *
 * A socket is never visible with other permissions than its final ones:
 * it is bound in a private directory (mkdtemp, 0700) next to its path,
 * given its group (fchownat, AT_SYMLINK_NOFOLLOW) and mode (fchmodat)
 * there, made to listen, then hard-linked to its path (which fails
 * rather than replace anything) and the private directory removed. No
 * one but root can reach it before it is published, no path is changed
 * after it is published, and the process-wide umask is left alone
 * (other threads may be creating files). A missing parent directory is
 * created, owned by the group, with the traversal rights the socket's
 * mode gives (0750 for 0660); an existing one is left as it is. A stale
 * socket at the path (nobody listening) is replaced; anything else there
 * is an error.
 *
 * @param p
 *   Where and how; see struct lb_ctl_params.
 * @param err
 *   On failure, why, naming the path or the group (256 bytes).
 * @return
 *   The server, or NULL.
 */
struct lb_ctl *lb_ctl_create_params(const struct lb_ctl_params *p, char *err);

/** An epoll fd that is readable when lb_ctl_poll() has work. */
int lb_ctl_fd(const struct lb_ctl *ctl);

/**
 * Accept, read, answer and write what is ready, without blocking and
 * within the bounds above; drop stalled, unread and idle clients.
 *
 * @return
 *   Number of requests answered.
 */
unsigned int lb_ctl_poll(struct lb_ctl *ctl, uint64_t now_ms);

/** True if complete requests wait for the next lb_ctl_poll() (the
 *  caller should not sleep before it). */
bool lb_ctl_pending(const struct lb_ctl *ctl);

/** The counters. */
void lb_ctl_stats_get(const struct lb_ctl *ctl, struct lb_ctl_stats *st);

/** Close every client and the sockets, and unlink them. */
void lb_ctl_free(struct lb_ctl *ctl);

/**
 * Answer one request text (without newline) as the read-write socket
 * would: the response text to send (malloc'ed, no newline), or NULL for
 * a notification. Exposed for tests.
 */
char *lb_ctl_handle(struct lb_ctl *ctl, const char *req, size_t len);

/** The same, as the read-only socket would. */
char *lb_ctl_handle_readonly(struct lb_ctl *ctl, const char *req, size_t len);

/**
 * Charge the call being handled work beyond its method's cost, for work
 * that depends on the request (positions walked, tables built), in the
 * units of LB_CTL_CALL_WORK (about 10 ns): for handlers. What a client
 * is charged decides when it is served again (see the bounds above).
 */
static inline void
lb_ctl_charge(struct lb_ctl_error *err, uint64_t work)
{
	err->work += work;
}

/** Set err and return NULL: for handlers. */
json_t *lb_ctl_fail(struct lb_ctl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* LB_CTL_H */
