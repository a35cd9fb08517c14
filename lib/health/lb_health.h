/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_HEALTH_H
#define LB_HEALTH_H

/**
 * @file
 * Health checks: what a member's answer means, the rise/fall state
 * machine, and the requests sent. Plain C on buffers; the check runner
 * (lb_hc_runner.h) feeds it what it reads.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb_config.h"

/** Bytes of a response examined; a first line longer than this fails. */
#define LB_HC_BUF 2048

/** What the bytes received so far say. */
enum lb_hc_verdict {
	LB_HC_MORE = 0, /**< no complete first line yet */
	LB_HC_PASS,     /**< the expected answer */
	LB_HC_FAIL,     /**< a wrong answer, or none that fits */
};

/**
 * Judge a member's answer for a check type (enum lb_check_type):
 * smtp "220", pop3 "+OK", imap "* OK" or "* PREAUTH", http a 2xx or 3xx
 * status line, sip any "SIP/2.0 nnn" status line. Only the first line
 * counts; it must end (LF) within LB_HC_BUF bytes.
 *
 * @param why
 *   On LB_HC_FAIL, a static description ("bad banner", "oversized").
 */
enum lb_hc_verdict lb_health_parse(uint8_t type, const char *buf, size_t len,
				   const char **why);

/** Room for lb_health_answer()'s description of a failed answer. */
#define LB_HC_MSG 96

/**
 * What the check runner does with the bytes a member sent so far: the
 * verdict of lb_health_parse() and, on LB_HC_FAIL, a one-line
 * description for people in msg: the reason and the start of the
 * member's first line, quoted. The bytes are the member's: buf is not
 * NUL-terminated and is read only within len.
 *
 * @param msg
 *   At least LB_HC_MSG bytes; set only on LB_HC_FAIL.
 */
enum lb_hc_verdict lb_health_answer(uint8_t type, const char *buf, size_t len,
				    char *msg, size_t msg_size);

/** Rise/fall state of one (service, member) check. */
struct lb_hc_state {
	uint8_t up;        /**< the verdict in force */
	uint8_t checked;   /**< a result has been seen */
	uint8_t ok_run;    /**< consecutive passes */
	uint8_t fail_run;  /**< consecutive failures */
};

/** A check before its first result: up, so a restart does not empty
 *  the service while the first round runs. */
#define LB_HC_STATE_INIT { .up = 1 }

/**
 * Account one result: a member goes down after fall consecutive
 * failures and up after rise consecutive passes. From the first check
 * on: a member starts up (LB_HC_STATE_INIT), so one check lost at start
 * (sent before the link was up, say) does not take it out, and a member
 * dead at start goes down after fall checks.
 *
 * @return
 *   true if s->up changed.
 */
bool lb_health_update(struct lb_hc_state *s, bool ok, uint8_t rise,
		      uint8_t fall);

/** Room for the longest request a check sends: a SIP OPTIONS between
 *  two IPv6 addresses of the longest form, an HTTP GET of the longest
 *  path. */
#define LB_HC_REQ_MAX 640

/** Room for lb_health_uri_host()'s text, with its NUL. */
#define LB_HC_HOST_MAX (LB_IP_STRLEN + 2)

/**
 * An address as the host part of a URI (RFC 3986 3.2.2), as SIP URIs
 * and Via (RFC 3261 25.1, RFC 5118) and HTTP's Host header write it: a
 * dotted quad for IPv4, an IPv6 address in brackets ("[2001:db8::1]").
 *
 * @param buf
 *   LB_HC_HOST_MAX bytes.
 * @return
 *   buf.
 */
const char *lb_health_uri_host(const struct lb_ip *a, char *buf);

/**
 * The SIP OPTIONS request the seed prescribes for "pinging" a SIP farm
 * member: Request-URI and Route header name the member itself
 * (Route: <sip:MEMBER:PORT;lr>) so no other member answers for it.
 *
 * @param member
 *   The member's host as lb_health_uri_host() writes it (an IPv6
 *   address in brackets: Route: <sip:[2001:db8::1]:5060;lr>).
 * @param own
 *   The own address, the same way (Via sent-by, From, Call-ID,
 *   Contact).
 * @param transport
 *   "UDP" or "TCP" (the Via transport).
 * @return
 *   Length written (without NUL), or -1 if size is too small.
 */
int lb_health_sip_options(char *buf, size_t size, const char *member,
			  uint16_t port, const char *own, uint16_t own_port,
			  const char *transport, uint32_t seq);

/** "GET path HTTP/1.0" with Host (host as given: a bracketed IPv6
 *  address with its port for IPv6) and Connection: close. Length or
 *  -1. */
int lb_health_http_get(char *buf, size_t size, const char *path,
		       const char *host);

/** What to send before closing after a banner check ("QUIT", ...), or
 *  NULL. */
const char *lb_health_goodbye(uint8_t type);

#endif /* LB_HEALTH_H */
