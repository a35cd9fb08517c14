/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <stdio.h>
#include <string.h>

#include "lb_config.h"
#include "lb_health.h"

static bool
prefix(const char *line, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && memcmp(line, p, n) == 0;
}

/* "XYZ/n.n ddd": three digits after the protocol and one space. */
static int
status_code(const char *line, size_t len, const char *proto)
{
	size_t n = strlen(proto);
	int i, code = 0;

	if (len < n + 4 || memcmp(line, proto, n) != 0 || line[n] != ' ')
		return -1;
	for (i = 1; i <= 3; i++) {
		char c = line[n + i];

		if (c < '0' || c > '9')
			return -1;
		code = code * 10 + (c - '0');
	}
	if (len > n + 4 && line[n + 4] != ' ' && line[n + 4] != '\r' &&
	    line[n + 4] != '\n')
		return -1;
	return code;
}

enum lb_hc_verdict
lb_health_parse(uint8_t type, const char *buf, size_t len, const char **why)
{
	const char *eol = memchr(buf, '\n', len < LB_HC_BUF ? len : LB_HC_BUF);
	size_t line;
	int code;

	*why = NULL;
	if (eol == NULL) {
		if (len >= LB_HC_BUF) {
			*why = "oversized first line";
			return LB_HC_FAIL;
		}
		return LB_HC_MORE;
	}
	line = (size_t)(eol - buf) + 1;
	switch (type) {
	case LB_CHECK_SMTP:
		/* "220 text" or the first line of "220-" continuations */
		if (prefix(buf, line, "220 ") || prefix(buf, line, "220-") ||
		    prefix(buf, line, "220\r") || prefix(buf, line, "220\n"))
			return LB_HC_PASS;
		break;
	case LB_CHECK_POP3:
		if (prefix(buf, line, "+OK"))
			return LB_HC_PASS;
		break;
	case LB_CHECK_IMAP:
		if (prefix(buf, line, "* OK") || prefix(buf, line, "* PREAUTH"))
			return LB_HC_PASS;
		break;
	case LB_CHECK_HTTP:
		code = status_code(buf, line, "HTTP/1.1");
		if (code < 0)
			code = status_code(buf, line, "HTTP/1.0");
		if (code >= 200 && code < 400)
			return LB_HC_PASS;
		if (code >= 0) {
			*why = "HTTP status not 2xx/3xx";
			return LB_HC_FAIL;
		}
		break;
	case LB_CHECK_SIP:
		/* any response at all: the member's SIP stack is alive */
		if (status_code(buf, line, "SIP/2.0") >= 100)
			return LB_HC_PASS;
		break;
	default:
		*why = "no answer expected";
		return LB_HC_FAIL;
	}
	*why = "bad banner";
	return LB_HC_FAIL;
}

enum lb_hc_verdict
lb_health_answer(uint8_t type, const char *buf, size_t len, char *msg,
		 size_t msg_size)
{
	char line[41];
	enum lb_hc_verdict v;
	const char *why;
	size_t i;

	v = lb_health_parse(type, buf, len, &why);
	if (v != LB_HC_FAIL)
		return v;
	/* The start of the first line, for people: within the bytes
	 * received, and made printable, since they go to the log. */
	for (i = 0; i < len && i < sizeof(line) - 1; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\r' || ch == '\n')
			break;
		line[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
	}
	line[i] = '\0';
	snprintf(msg, msg_size, "%s \"%s\"", why, line);
	return v;
}

bool
lb_health_update(struct lb_hc_state *s, bool ok, uint8_t rise, uint8_t fall)
{
	uint8_t was = s->up;

	s->checked = 1;
	if (ok) {
		s->fail_run = 0;
		if (s->ok_run < UINT8_MAX)
			s->ok_run++;
		if (!s->up && s->ok_run >= rise)
			s->up = 1;
	} else {
		s->ok_run = 0;
		if (s->fail_run < UINT8_MAX)
			s->fail_run++;
		if (s->up && s->fail_run >= fall)
			s->up = 0;
	}
	return s->up != was;
}

const char *
lb_health_uri_host(const struct lb_ip *a, char *buf)
{
	char ip[LB_IP_STRLEN];

	if (lb_ip_is4(a))
		return lb_ip_str(a, buf);
	snprintf(buf, LB_HC_HOST_MAX, "[%s]", lb_ip_str(a, ip));
	return buf;
}

int
lb_health_sip_options(char *buf, size_t size, const char *member,
		      uint16_t port, const char *own, uint16_t own_port,
		      const char *transport, uint32_t seq)
{
	int n = snprintf(buf, size,
		"OPTIONS sip:%s:%u SIP/2.0\r\n"
		"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-dsrlb-%08x;rport\r\n"
		"Route: <sip:%s:%u;lr>\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:dsrlb@%s>;tag=dsrlb%08x\r\n"
		"To: <sip:%s:%u>\r\n"
		"Call-ID: dsrlb-%08x@%s\r\n"
		"CSeq: %u OPTIONS\r\n"
		"Contact: <sip:dsrlb@%s:%u>\r\n"
		"Accept: application/sdp\r\n"
		"User-Agent: dsrlb health check\r\n"
		"Content-Length: 0\r\n"
		"\r\n",
		member, port, transport, own, own_port, seq, member, port,
		own, seq, member, port, seq, own, seq, own, own_port);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int
lb_health_http_get(char *buf, size_t size, const char *path, const char *host)
{
	int n = snprintf(buf, size,
			 "GET %s HTTP/1.0\r\n"
			 "Host: %s\r\n"
			 "User-Agent: dsrlb health check\r\n"
			 "Connection: close\r\n"
			 "\r\n", path, host);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

const char *
lb_health_goodbye(uint8_t type)
{
	switch (type) {
	case LB_CHECK_SMTP:
	case LB_CHECK_POP3:
		return "QUIT\r\n";
	case LB_CHECK_IMAP:
		return "a LOGOUT\r\n";
	default:
		return NULL;
	}
}
