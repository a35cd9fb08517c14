/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * libFuzzer target: the packet parser and the helpers that read past
 * the first headers (ICMP inner header, ARP fields, echo reply), on a
 * buffer of exactly the input's length so ASan catches any read past
 * it.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_pkt_inner inner;
	struct lb_pkt_arp arp;
	struct lb_pkt pk;
	uint8_t *buf;

	if (size > 65535)
		return 0;
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	switch (lb_pkt_parse(buf, (uint32_t)size, &pk)) {
	case LB_PKT_ARP:
		lb_pkt_arp_read(buf, &pk, &arp);
		break;
	case LB_PKT_IPV4:
		if (pk.proto == LB_IPPROTO_ICMP) {
			if (lb_pkt_icmp_is_error(pk.icmp_type))
				lb_pkt_icmp_inner(buf, (uint32_t)size, &pk,
						  &inner);
			else
				lb_pkt_icmp_echo_reply(buf, (uint32_t)size, &pk);
		}
		break;
	default:
		break;
	}
	free(buf);
	return 0;
}
