/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_CTL_API_H
#define LB_CTL_API_H

/**
 * @file
 * lib/api's methods on the control socket. Each entry of lb_api_methods
 * becomes an lb_ctl method: its params, as lib/api lists them, are
 * checked by the dispatcher before the handler runs; a write method is
 * refused on the read-only socket; an error is answered with the
 * JSON-RPC code of its lib/api code and the handler's message as it is:
 *
 *   LB_API_INVALID_PARAMS  -32602 (LB_CTL_INVALID_PARAMS)
 *   LB_API_NOT_FOUND       -32001 (LB_CTL_NOT_FOUND)
 *   LB_API_CONFLICT        -32002 (LB_CTL_CONFLICT)
 *   LB_API_FAILED          -32003 (LB_CTL_FAILED)
 *   LB_API_INTERNAL        -32603 (LB_CTL_INTERNAL_ERROR)
 *
 * The server's ctx (lb_ctl_params.ctx) must be the struct lb_api.
 */

#include "lb_api.h"
#include "lb_ctl.h"

/**
 * Write lib/api's methods as lb_ctl methods.
 *
 * @param out
 *   Room for lb_api_n_methods entries.
 * @return
 *   The number written: lb_api_n_methods.
 */
unsigned int lb_ctl_api_methods(struct lb_ctl_method *out);

#endif /* LB_CTL_API_H */
