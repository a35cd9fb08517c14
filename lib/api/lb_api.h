/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_API_H
#define LB_API_H

/**
 * @file
 * The control methods that change the balancer's state: thin adapters
 * between a JSON-RPC request (params already shaped by lib/ctl's
 * dispatcher) and the core API, which holds every rule. Decoding of
 * members and services is lib/config's, so a control request, a file
 * and a reload are read and checked the same way, and an error names
 * the param ("params.port: ...").
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
#include "lb_ctl.h"

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

/** The methods, to register with lib/ctl (ctx: a struct lb_api). */
extern const struct lb_ctl_method lb_api_methods[];
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
