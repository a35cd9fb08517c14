/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_API_H
#define LB_API_H

/**
 * @file
 * The control methods that change the balancer's state: thin adapters
 * between a request's params and the core API, which holds every rule.
 * Decoding of members and services is lib/config's, so a control
 * request, a file and a reload are read and checked the same way, and
 * an error names the param ("params.port: ...").
 *
 * The methods are a table, lb_api_methods: each entry names its params
 * (name, type, range, required) and says whether it changes the state.
 * Whoever serves them checks a request's params against the entry
 * before the handler runs (lib/ctl does, for the control socket: see
 * lb_ctl_api.h), so a handler only sees params of the listed names and
 * types. lib/api knows nothing of JSON-RPC: a handler fails with one of
 * its own codes (enum lb_api_code) and a message.
 *
 * Every method runs on the master thread between two passes of its
 * loop and either applies all of a request or nothing; the next commit
 * publishes it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lb_config.h"
#include "lb_core.h"

/** The control API's context: the ctx of every method. */
struct lb_api {
	struct lb_core *core;
	char config_path[LB_PATH_MAX]; /**< re-read by config.reload */
	bool checks_possible;          /**< an exception interface exists */
	void *app;                     /**< the application's own state */
	/** A member as the application shows it (members.list; NULL:
	 *  lb_api_member_json()). */
	json_t *(*member_view)(void *app, unsigned int slot);
	/** Flows a member holds in every worker's table (NULL: none). */
	uint64_t (*member_flows)(void *app, unsigned int slot);
	/** When each member being removed began draining (ms; 0: not seen). */
	uint64_t retire_ms[LB_MAX_MEMBERS];
	uint64_t reloads;              /**< reloads that changed something */
	uint64_t reload_errors;
};

/** Why a method failed; its message says what, naming the param. */
enum lb_api_code {
	LB_API_INVALID_PARAMS = 1, /**< a param is wrong */
	LB_API_NOT_FOUND,          /**< a named object does not exist */
	LB_API_CONFLICT,           /**< the change contradicts the state */
	LB_API_FAILED,             /**< the change could not be applied */
	LB_API_INTERNAL,           /**< out of memory, or an answer not encodable */
};

/** An error a method reports. */
struct lb_api_error {
	int code;                  /**< enum lb_api_code */
	char message[256];
};

/** Set err and return NULL: for handlers. */
json_t *lb_api_fail(struct lb_api_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Types a parameter may have. */
enum lb_api_type {
	LB_API_STRING = 0,
	LB_API_INTEGER,            /**< a JSON integer (not 1.0) */
	LB_API_BOOLEAN,
	LB_API_OBJECT,
	LB_API_ARRAY,
	LB_API_INT_OR_STRING,      /**< a JSON integer or a string ("110", "lo-hi") */
};

/** One named parameter of a method. */
struct lb_api_param {
	const char *name;
	uint8_t type;              /**< enum lb_api_type */
	bool required;
	const char *help;
	int64_t min;               /**< LB_API_INTEGER: allowed range [min, max]; */
	int64_t max;               /**< 0, 0: any */
};

/** Most parameters a method takes. */
#define LB_API_MAX_PARAMS 16

/**
 * A method handler: returns the result (a new reference), or NULL with
 * err set. params is an object of the method's params, each of its type
 * and range, the required ones there (an empty object for none).
 */
typedef json_t *(*lb_api_handler_t)(struct lb_api *api, json_t *params,
				    struct lb_api_error *err);

/** One method. */
struct lb_api_method {
	const char *name;
	const char *help;
	struct lb_api_param params[LB_API_MAX_PARAMS]; /**< end: name NULL */
	lb_api_handler_t handler;
	bool write;                /**< it changes the state */
};

/** The methods. */
extern const struct lb_api_method lb_api_methods[];
/** Number of entries in lb_api_methods. */
extern const unsigned int lb_api_n_methods;

/**
 * Re-read the configuration file and make it the running state (see
 * lb_core_reload()): what config.reload and SIGHUP do.
 *
 * @return
 *   The change (as config.reload answers it), or NULL with err set and
 *   nothing changed.
 */
json_t *lb_api_reload(struct lb_api *api, struct lb_conf_error *err);

/**
 * Finish removals with drain: a member being removed goes once it holds
 * no flow, or once the TCP timeout passed since it began draining (what
 * is left then is idle or gone). Call about once a second.
 *
 * @return
 *   Members removed.
 */
unsigned int lb_api_removals_run(struct lb_api *api, uint64_t now_ms);

/** A member as the control API shows it (without traffic). */
json_t *lb_api_member_json(const struct lb_core *core, unsigned int slot);

#endif /* LB_API_H */
