/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_KIF_INTERNAL_H
#define LB_KIF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

extern int lb_kif_logtype;
#define KIF_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_kif_logtype, "kif: " fmt "\n", \
		##__VA_ARGS__)

/* rtnetlink requests (netlink.c): each waits for its acknowledgement
 * and returns 0 or -errno. Addresses in network order. */
int kif_nl_link_up(int ifindex);
int kif_nl_mtu(int ifindex, uint32_t mtu);
int kif_nl_carrier(int ifindex, bool on);
int kif_nl_addr_add(int ifindex, uint32_t addr, uint8_t prefix);
int kif_nl_rule(uint16_t type, uint32_t src, uint32_t table, uint32_t prio);
int kif_nl_addr6_add(int ifindex, const uint8_t *addr, uint8_t prefix);
int kif_nl_rule6(uint16_t type, const uint8_t *src, uint32_t table,
		 uint32_t prio);
int kif_nl_route6_add(uint32_t table, const uint8_t *dst, uint8_t dst_len,
		      const uint8_t *gw, int ifindex);
int kif_nl_route_del(uint32_t table, uint32_t dst, uint8_t dst_len,
		     int ifindex);
int kif_nl_route_add(uint32_t table, uint32_t dst, uint8_t dst_len,
		     uint32_t gw, int ifindex);
int kif_nl_route6_set(uint32_t table, const uint8_t *dst, bool present,
		      int ifindex);

#endif /* LB_KIF_INTERNAL_H */
