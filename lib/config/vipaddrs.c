/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_config.h"

bool
lb_conf_vip_find(const struct lb_ip *vips, unsigned int n,
		 const struct lb_ip *addr)
{
	return n > 0 && bsearch(addr, vips, n, sizeof(*addr),
				lb_ip_cmp) != NULL;
}

/*
 * The seed's ifvip-utils reads this format with `grep -v '^#'` and bash
 * arithmetic, which lets a mask under /24 through to the loop it just
 * refused, and walks past .255 for unaligned subnets. Here the whole
 * file is validated before anything is used, each error names its line,
 * and a subnet must be aligned to its mask.
 */
int
lb_vipaddrs_parse(const char *text, const char *source, struct lb_ip **vips,
		  unsigned int *n, struct lb_conf_error *err)
{
	struct lb_ip *out = NULL;
	unsigned int count = 0, cap = 0, lineno = 0;
	const char *p = text;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t llen = eol != NULL ? (size_t)(eol - p) : strlen(p);
		char line[LB_CIDR_STRLEN + 16];
		char *s, *e;
		struct lb_ip addr;
		uint32_t i, span;
		uint8_t prefix;
		int rc;

		lineno++;
		/* trim leading and trailing blanks (and a CR) */
		while (llen > 0 && isspace((unsigned char)*p)) {
			p++;
			llen--;
		}
		while (llen > 0 && isspace((unsigned char)p[llen - 1]))
			llen--;
		if (llen == 0 || p[0] == '#')
			goto next;
		if (llen >= sizeof(line)) {
			snprintf(err->msg, sizeof(err->msg),
				 "%s:%u: line too long", source, lineno);
			goto fail;
		}
		memcpy(line, p, llen);
		line[llen] = '\0';
		s = line;
		/* one entry per line, as in the seed; a trailing comment is
		 * allowed */
		e = strpbrk(s, " \t#");
		if (e != NULL) {
			char *rest = e;

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest != '\0' && *rest != '#') {
				snprintf(err->msg, sizeof(err->msg),
					 "%s:%u: one address or subnet per line, got \"%s\"",
					 source, lineno, line);
				goto fail;
			}
			*e = '\0';
		}

		rc = lb_ip_parse_cidr(s, LB_VIP_PREFIX4_MIN, LB_VIP_PREFIX6_MIN,
				      &addr, &prefix);
		if (rc == 0 && !lb_ip_cidr_aligned(&addr, prefix))
			rc = -EDOM;
		if (rc == -EINVAL) {
			snprintf(err->msg, sizeof(err->msg),
				 "%s:%u: \"%s\" is not an IPv4 or IPv6 address or subnet",
				 source, lineno, s);
			goto fail;
		} else if (rc == -ERANGE) {
			snprintf(err->msg, sizeof(err->msg),
				 "%s:%u: \"%s\": %s", source, lineno, s,
				 LB_VIP_PREFIX_RULE);
			goto fail;
		} else if (rc == -EDOM) {
			char nbuf[LB_IP_STRLEN];
			struct lb_ip net = lb_ip_net(&addr, prefix);

			snprintf(err->msg, sizeof(err->msg),
				 "%s:%u: \"%s\" has host bits set (the subnet is %s/%u)",
				 source, lineno, s, lb_ip_str(&net, nbuf),
				 prefix);
			goto fail;
		}

		/* a subnet is reserved as a whole: its first address decides */
		if (lb_ip_reserved(&addr)) {
			char abuf[LB_IP_STRLEN];

			snprintf(err->msg, sizeof(err->msg),
				 "%s:%u: %s cannot be a VIP (%s)", source,
				 lineno, lb_ip_str(&addr, abuf),
				 LB_VIP_RESERVED_RULE);
			goto fail;
		}
		span = 1u << (lb_ip_bits(&addr) - prefix);
		if (count + span > LB_MAX_VIPS) {
			snprintf(err->msg, sizeof(err->msg),
				 "%s:%u: more than %u VIP addresses",
				 source, lineno, LB_MAX_VIPS);
			goto fail;
		}
		if (count + span > cap) {
			struct lb_ip *grown;

			cap = (count + span) * 2;
			grown = realloc(out, cap * sizeof(*out));
			if (grown == NULL) {
				snprintf(err->msg, sizeof(err->msg),
					 "%s:%u: out of memory", source, lineno);
				goto fail;
			}
			out = grown;
		}
		for (i = 0; i < span; i++)
			out[count++] = lb_ip_add(&addr, i);
next:
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	*vips = out;
	*n = count;
	return 0;

fail:
	free(out);
	return -EINVAL;
}
