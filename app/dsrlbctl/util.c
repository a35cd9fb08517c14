/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Argument checks and output helpers shared by the commands. A bad
 * argument is refused before anything is sent, with a message naming
 * it: the server would refuse it too, but a script's author should
 * learn which argument of which command was wrong.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsrlbctl.h"

int
ctl_parse_uint(const char *cmd, const char *what, const char *s,
	       unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return ctl_usage_error(cmd, "%s: \"%s\" is not a number",
				       what, s);
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end != '\0')
		return ctl_usage_error(cmd, "%s: \"%s\" is not a number",
				       what, s);
	if (errno == ERANGE || *v > max)
		return ctl_usage_error(cmd, "%s: %s is out of range [0, %llu]",
				       what, s, max);
	return 0;
}

/* A positive number of seconds, fractions allowed, at most a day. */
int
ctl_parse_seconds(const char *cmd, const char *what, const char *s,
		  double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(*v) ||
	    isspace((unsigned char)s[0]))
		return ctl_usage_error(cmd, "%s: \"%s\" is not a number of seconds",
				       what, s);
	if (*v < 0.01 || *v > 86400)
		return ctl_usage_error(cmd, "%s: %s is out of range [0.01, 86400] seconds",
				       what, s);
	return 0;
}

int
ctl_parse_ipv4(const char *cmd, const char *what, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return ctl_usage_error(cmd, "%s: \"%s\" is not an IPv4 address (a.b.c.d)",
				       what, s);
	return 0;
}

int
ctl_parse_ip(const char *cmd, const char *what, const char *s)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) != 1 && inet_pton(AF_INET6, s, a) != 1)
		return ctl_usage_error(cmd, "%s: \"%s\" is not an IPv4 or IPv6 address",
				       what, s);
	return 0;
}

int
ctl_parse_ip_subnet(const char *cmd, const char *what, const char *s)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	char addr[INET6_ADDRSTRLEN];
	unsigned long bits = 0, len;
	uint8_t a[16];
	char *end;

	if (alen > 0 && alen < sizeof(addr)) {
		memcpy(addr, s, alen);
		addr[alen] = '\0';
		bits = inet_pton(AF_INET, addr, a) == 1 ? 32 :
		       inet_pton(AF_INET6, addr, a) == 1 ? 128 : 0;
	}
	if (bits == 0)
		return ctl_usage_error(cmd, "%s: \"%s\" is not an IPv4 or IPv6 address or subnet",
				       what, s);
	if (slash == NULL)
		return 0;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end != '\0' || errno != 0 ||
	    len > bits)
		return ctl_usage_error(cmd, "%s: \"%s\": the prefix length must be 0 to %lu",
				       what, s, bits);
	return 0;
}

int
ctl_parse_mac(const char *cmd, const char *what, const char *s)
{
	unsigned int i;

	for (i = 0; i < 17; i++) {
		bool colon = i % 3 == 2;

		if (colon ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			break;
	}
	if (i != 17 || s[17] != '\0')
		return ctl_usage_error(cmd, "%s: \"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
				       what, s);
	return 0;
}

/* A port, "lo-hi", or (if allowed) "any": as the server takes it. */
int
ctl_parse_ports(const char *cmd, const char *what, const char *s,
		bool allow_any, json_t **v)
{
	unsigned long long lo, hi;
	const char *dash = strchr(s, '-');
	char lo_s[16];

	*v = NULL;
	if (allow_any && strcmp(s, "any") == 0) {
		*v = json_string("any");
		return 0;
	}
	if (dash == NULL) {
		if (ctl_parse_uint(cmd, what, s, 65535, &lo) != 0)
			return CTL_EXIT_USAGE;
		*v = json_integer((json_int_t)lo);
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(lo_s))
		return ctl_usage_error(cmd, "%s: \"%s\" is not a port range (lo-hi)",
				       what, s);
	memcpy(lo_s, s, (size_t)(dash - s));
	lo_s[dash - s] = '\0';
	if (ctl_parse_uint(cmd, what, lo_s, 65535, &lo) != 0 ||
	    ctl_parse_uint(cmd, what, dash + 1, 65535, &hi) != 0)
		return CTL_EXIT_USAGE;
	if (lo > hi)
		return ctl_usage_error(cmd, "%s: \"%s\": the range ends before it starts",
				       what, s);
	*v = json_sprintf("%llu-%llu", lo, hi);
	return 0;
}

/* n positional arguments left (args[0..n)); between min and max. */
int
ctl_positional(const char *cmd, int n, char **args, int min, int max)
{
	if (n < min)
		return ctl_usage_error(cmd, "missing argument");
	if (n > max)
		return ctl_usage_error(cmd, "unexpected argument \"%s\"",
				       args[max]);
	return 0;
}

long long
ctl_int(const json_t *obj, const char *key, long long dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

const char *
ctl_str(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : dflt;
}

/* A counter of an object's "traffic", or -1 if the server has none. */
long long
ctl_traffic(const json_t *obj, const char *key)
{
	return ctl_int(json_object_get(obj, "traffic"), key, -1);
}

/* A port as the server gives it: a number, "lo-hi" or "any". */
const char *
ctl_port_str(const json_t *port, char *buf, size_t size)
{
	if (json_is_integer(port))
		snprintf(buf, size, "%lld", (long long)json_integer_value(port));
	else
		snprintf(buf, size, "%s", json_is_string(port) ?
			 json_string_value(port) : "-");
	return buf;
}

/* VIP:port, ipvsadm's LocalAddress:Port; "*" is every VIP. */
const char *
ctl_endpoint(const json_t *vip, const json_t *port, char *buf, size_t size)
{
	const char *v = json_is_string(vip) ? json_string_value(vip) : "?";
	char p[32];

	/* an IPv6 address is bracketed before its port (RFC 3986) */
	snprintf(buf, size, strchr(v, ':') != NULL ? "[%s]:%s" : "%s:%s", v,
		 ctl_port_str(port, p, sizeof(p)));
	return buf;
}

const char *
ctl_duration(long long s, char *buf, size_t size)
{
	if (s < 0)
		snprintf(buf, size, "-");
	else if (s >= 86400)
		snprintf(buf, size, "%lldd %02lld:%02lld:%02lld", s / 86400,
			 s % 86400 / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", s / 3600,
			 s % 3600 / 60, s % 60);
	return buf;
}

/* A result as it came: pretty (one document) or compact (one line). */
int
ctl_print_json(const json_t *j, bool compact)
{
	size_t flags = JSON_ENCODE_ANY |
		(compact ? JSON_COMPACT : JSON_INDENT(2));

	if (json_dumpf(j, stdout, flags) != 0 || putchar('\n') == EOF)
		return CTL_EXIT_SERVER;
	return 0;
}

double
ctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep the whole interval, even if a signal (SIGWINCH) interrupts. */
int
ctl_sleep(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};

	while (nanosleep(&ts, &ts) != 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}
