/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The TAP port and the frames through it. Frames for the kernel lose
 * their VLAN tag and are sent in bursts; frames from the kernel get the
 * port's tag and go to the owner's callback, which puts them on the
 * wire (the owner has the TX queues; the interface does not know them,
 * so nothing here calls back into its owner's code but through it).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "kif_internal.h"
#include "lb_kif.h"

RTE_LOG_REGISTER(lb_kif_logtype, dsrlb.kif, INFO);

#define KIF_VDEV "net_tap_dsrlb"
#define KIF_DESC 512
#define KIF_BURST 32

struct lb_kif {
	struct lb_kif_params p;
	char ifname[IF_NAMESIZE];
	bool created;
	bool started;
	bool rule_added;
	bool rule6_added;
	uint16_t port_id;          /* the TAP's DPDK port */
	uint16_t mtu;              /* the interface's, 0: the kernel's
				      default */
	int ifindex;
	uint16_t n_tx;             /* frames for the kernel, sent in a burst */
	struct rte_mbuf *tx[KIF_BURST];
	struct lb_kif_stats stats;
};

static void
write_proc(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, value, strlen(value)) < 0)
		KIF_LOG(DEBUG, "cannot write %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * The own address, and no IPv6 (the port carries IPv4 only; in ecmp,
 * IPv6 without an address, for the IPv6 VIPs' routes), while the
 * link is still down: a program that opens its sockets as the interface
 * comes up (BIRD's BFD binds to the interface's address) finds the
 * address there. Up first, then the address, and after dsrlb restarts
 * BIRD's BFD failed to bind ("Cannot assign requested address") and
 * stayed down for good, 8 restarts in 12.
 */
static void
ipv6_conf(const struct lb_kif *k, const char *key, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s",
		 k->ifname, key);
	write_proc(path, value);
}

static int
kernel_addr(struct lb_kif *k)
{
	const struct lb_kif_params *p = &k->p;
	int rc;

	k->ifindex = (int)if_nametoindex(k->ifname);
	if (k->ifindex == 0)
		return -ENODEV;
	if (p->prefix6 != 0) {
		/* the configured address only: no router advertisement
		 * or autoconfiguration, and no duplicate address
		 * detection (the workers answer for the address; the
		 * link-local one is the port MAC's, which is ours) */
		ipv6_conf(k, "accept_ra", "0");
		ipv6_conf(k, "autoconf", "0");
		ipv6_conf(k, "accept_dad", "0");
		ipv6_conf(k, "dad_transmits", "0");
		ipv6_conf(k, "disable_ipv6", "0");
	} else if (p->ipv6_routes) {
		/* IPv6 on, for the IPv6 routes only: no address generated
		 * (none sends anything), set before IPv6 comes up */
		ipv6_conf(k, "addr_gen_mode", "1");
		ipv6_conf(k, "accept_ra", "0");
		ipv6_conf(k, "disable_ipv6", "0");
	} else {
		ipv6_conf(k, "disable_ipv6", "1");
	}
	/* the port's MTU (as far as the TAP carries it), so what the
	 * kernel sends fits the wire */
	if (k->mtu != 0) {
		rc = kif_nl_mtu(k->ifindex, k->mtu);
		if (rc != 0) {
			KIF_LOG(ERR, "%s: MTU %u: %s", k->ifname, k->mtu,
				strerror(-rc));
			return rc;
		}
	}
	rc = kif_nl_addr_add(k->ifindex, p->addr, p->prefix);
	if (rc == 0 && p->prefix6 != 0)
		rc = kif_nl_addr6_add(k->ifindex, p->addr6, p->prefix6);
	return rc;
}

static bool
has_gateway6(const struct lb_kif_params *p)
{
	static const uint8_t zero[16];

	return p->prefix6 != 0 && memcmp(p->gateway6, zero, 16) != 0;
}

/* The IPv6 policy route, as IPv4's: answers from the own IPv6 address
 * leave by the interface and its gateway. */
static int
kernel_setup6(struct lb_kif *k)
{
	const struct lb_kif_params *p = &k->p;
	uint8_t net[16];
	unsigned int i;
	int rc;

	if (!has_gateway6(p))
		return 0;
	for (i = 0; i < 16; i++) {
		unsigned int bits = p->prefix6 > i * 8 ? p->prefix6 - i * 8 : 0;

		net[i] = bits >= 8 ? p->addr6[i] :
			(uint8_t)(p->addr6[i] & (0xff00u >> bits));
	}
	while (kif_nl_rule6(RTM_DELRULE, p->addr6, LB_KIF_TABLE,
			    LB_KIF_RULE_PRIO) == 0)
		;
	rc = kif_nl_route6_add(LB_KIF_TABLE, net, p->prefix6, NULL,
			       k->ifindex);
	if (rc == 0)
		rc = kif_nl_route6_add(LB_KIF_TABLE, NULL, 0, p->gateway6,
				       k->ifindex);
	if (rc == 0)
		rc = kif_nl_rule6(RTM_NEWRULE, p->addr6, LB_KIF_TABLE,
				  LB_KIF_RULE_PRIO);
	if (rc == 0)
		k->rule6_added = true;
	return rc;
}

/* The link up, and the policy route for answers from the own
 * address. */
static int
kernel_setup(struct lb_kif *k)
{
	const struct lb_kif_params *p = &k->p;
	uint32_t net = htonl(ntohl(p->addr) & (~0u << (32 - p->prefix)));
	int rc;

	rc = kif_nl_link_up(k->ifindex);
	if (rc == 0)
		rc = kernel_setup6(k);
	if (rc != 0 || p->gateway == 0)
		return rc;
	/* a stale rule from a crashed run: remove before adding */
	while (kif_nl_rule(RTM_DELRULE, p->addr, LB_KIF_TABLE,
			   LB_KIF_RULE_PRIO) == 0)
		;
	rc = kif_nl_route_add(LB_KIF_TABLE, net, p->prefix, 0, k->ifindex);
	if (rc == 0)
		rc = kif_nl_route_add(LB_KIF_TABLE, 0, 0, p->gateway,
				      k->ifindex);
	if (rc == 0)
		rc = kif_nl_rule(RTM_NEWRULE, p->addr, LB_KIF_TABLE,
				 LB_KIF_RULE_PRIO);
	if (rc == 0)
		k->rule_added = true;
	return rc;
}

/*
 * The MTU the interface gets: the data port's, but no more than the TAP
 * driver carries. net_tap (DPDK 22.11) takes frames of at most 1522
 * bytes and sends none longer than its MTU allows: with a jumbo port,
 * the kernel's own traffic (BGP, ssh, health checks, whose TCP MSS
 * follows) uses packets of that size, and a longer frame for the own
 * address is dropped (kernel_drop).
 */
uint32_t
lb_eth_max_mtu(const struct rte_eth_dev_info *info)
{
	/* ethdev's rule (rte_eth_dev_configure): what the driver says its
	 * frames add to the MTU, or an Ethernet header and CRC */
	uint32_t overhead = info->max_mtu != UINT16_MAX &&
			    info->max_rx_pktlen > info->max_mtu ?
			    info->max_rx_pktlen - info->max_mtu :
			    RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	uint32_t max = info->max_rx_pktlen > overhead ?
		       info->max_rx_pktlen - overhead : 0;

	return RTE_MIN(max, (uint32_t)info->max_mtu);
}

static uint16_t
tap_mtu(struct lb_kif *k)
{
	struct rte_eth_dev_info info;
	uint32_t max;

	if (k->p.mtu == 0 || rte_eth_dev_info_get(k->port_id, &info) != 0)
		return k->p.mtu;
	max = lb_eth_max_mtu(&info);
	if (k->p.mtu <= max)
		return k->p.mtu;
	KIF_LOG(WARNING, "%s: MTU %u, not the port's %u: the TAP driver (%s) carries no longer frames; the kernel's own traffic uses packets of at most %u bytes",
		k->ifname, max, k->p.mtu, info.driver_name, max);
	return (uint16_t)max;
}

static int
tap_start(struct lb_kif *k)
{
	struct rte_eth_conf pc = { 0 };
	char args[128];
	int rc;

	snprintf(args, sizeof(args), "iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT,
		 k->ifname, k->p.mac[0], k->p.mac[1], k->p.mac[2],
		 k->p.mac[3], k->p.mac[4], k->p.mac[5]);
	rc = rte_eal_hotplug_add("vdev", KIF_VDEV, args);
	if (rc == 0)
		rc = rte_eth_dev_get_port_by_name(KIF_VDEV, &k->port_id);
	if (rc != 0) {
		KIF_LOG(ERR, "%s: cannot create the TAP interface: %s",
			k->ifname, rte_strerror(-rc));
		return rc;
	}
	k->created = true;
	k->mtu = tap_mtu(k);
	/* what the driver lets through to the kernel (0: its default) */
	pc.rxmode.mtu = k->mtu;
	/* starting the port brings the link up: the address first */
	rc = kernel_addr(k);
	if (rc != 0) {
		KIF_LOG(ERR, "%s: the own address: %s", k->ifname,
			strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_configure(k->port_id, 1, 1, &pc);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(k->port_id, 0, KIF_DESC,
					    (unsigned int)k->p.socket_id, NULL,
					    k->p.pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(k->port_id, 0, KIF_DESC,
					    (unsigned int)k->p.socket_id, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(k->port_id);
	if (rc != 0) {
		KIF_LOG(ERR, "%s: %s", k->ifname, rte_strerror(-rc));
		return rc;
	}
	k->started = true;
	return 0;
}

struct lb_kif *
lb_kif_create(const struct lb_kif_params *p)
{
	struct lb_kif *k;
	int rc;

	if (p->ifname == NULL || p->ifname[0] == '\0' ||
	    strlen(p->ifname) >= IF_NAMESIZE || p->mac == NULL ||
	    p->pool == NULL || p->to_wire == NULL || p->prefix > 32 ||
	    p->prefix6 > 128) {
		rte_errno = EINVAL;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	k->p = *p;
	snprintf(k->ifname, sizeof(k->ifname), "%s", p->ifname);
	k->p.ifname = k->ifname;
	rc = tap_start(k);
	if (rc == 0) {
		rc = kernel_setup(k);
		if (rc != 0)
			KIF_LOG(ERR, "%s: kernel set-up: %s", k->ifname,
				strerror(-rc));
	}
	if (rc != 0) {
		lb_kif_free(k);
		rte_errno = -rc;
		return NULL;
	}
	KIF_LOG(INFO, "%s holds the own address, MAC " RTE_ETHER_ADDR_PRT_FMT "%s",
		k->ifname, p->mac[0], p->mac[1], p->mac[2], p->mac[3],
		p->mac[4], p->mac[5],
		k->rule_added ? ", policy route via the gateway" : "");
	return k;
}

void
lb_kif_free(struct lb_kif *k)
{
	if (k == NULL)
		return;
	if (k->n_tx > 0)
		rte_pktmbuf_free_bulk(k->tx, k->n_tx);
	if (k->rule_added)
		kif_nl_rule(RTM_DELRULE, k->p.addr, LB_KIF_TABLE,
			    LB_KIF_RULE_PRIO);
	if (k->rule6_added)
		kif_nl_rule6(RTM_DELRULE, k->p.addr6, LB_KIF_TABLE,
			     LB_KIF_RULE_PRIO);
	if (k->started)
		rte_eth_dev_stop(k->port_id);
	if (k->created) {
		rte_eth_dev_close(k->port_id);
		rte_eal_hotplug_remove("vdev", KIF_VDEV);
	}
	free(k);
}

int
lb_kif_carrier_set(struct lb_kif *k, bool on)
{
	int rc = kif_nl_carrier(k->ifindex, on);

	if (rc != 0)
		KIF_LOG(ERR, "%s: cannot turn its carrier %s: %s", k->ifname,
			on ? "on" : "off", strerror(-rc));
	else
		KIF_LOG(NOTICE, "%s: carrier %s", k->ifname, on ? "on" : "off");
	return rc;
}

const char *
lb_kif_name(const struct lb_kif *k)
{
	return k->ifname;
}

unsigned int
lb_kif_mtu(const struct lb_kif *k)
{
	return k->mtu;
}

void
lb_kif_flush(struct lb_kif *k)
{
	uint16_t sent;

	if (k->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(k->port_id, 0, k->tx, k->n_tx);
	k->stats.to_kernel += sent;
	if (sent < k->n_tx) {
		k->stats.drop += k->n_tx - sent;
		rte_pktmbuf_free_bulk(k->tx + sent, k->n_tx - sent);
	}
	k->n_tx = 0;
}

void
lb_kif_to_kernel(struct lb_kif *k, struct rte_mbuf *m)
{
	/* rte_vlan_strip() reads the tag without looking at the length */
	if (rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
		rte_vlan_strip(m);
	if (k->n_tx == RTE_DIM(k->tx))
		lb_kif_flush(k);
	k->tx[k->n_tx++] = m;
}

unsigned int
lb_kif_poll(struct lb_kif *k)
{
	struct rte_mbuf *m[KIF_BURST];
	uint16_t i, n;

	n = rte_eth_rx_burst(k->port_id, 0, m, KIF_BURST);
	for (i = 0; i < n; i++) {
		if (k->p.vlan != 0) {
			/* a whole Ethernet header, or the tag lands in it */
			m[i]->vlan_tci = k->p.vlan;
			if (rte_pktmbuf_data_len(m[i]) < RTE_ETHER_HDR_LEN ||
			    rte_vlan_insert(&m[i]) != 0) {
				k->stats.drop++;
				rte_pktmbuf_free(m[i]);
				continue;
			}
		}
		if (k->p.to_wire(k->p.ctx, m[i]) == 0)
			k->stats.from_kernel++;
		else
			k->stats.drop++;
	}
	return n;
}

int
lb_kif_route_set(struct lb_kif *k, uint32_t table, uint32_t addr,
		 bool present)
{
	return present ? kif_nl_route_add(table, addr, 32, 0, k->ifindex) :
		kif_nl_route_del(table, addr, 32, k->ifindex);
}

int
lb_kif_route6_set(struct lb_kif *k, uint32_t table, const uint8_t *addr,
		  bool present)
{
	return kif_nl_route6_set(table, addr, present, k->ifindex);
}

void
lb_kif_stats_get(const struct lb_kif *k, struct lb_kif_stats *s)
{
	*s = k->stats;
}
