/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The exception path: a TAP interface (net_tap) that carries the
 * balancer's own address and MAC, so kernel sockets on that address
 * work through the data port: health checks, ssh, ping. The master moves
 * frames between it and the port; the kernel sees an ordinary Ethernet
 * interface on the segment.
 *
 * The interface is set up over rtnetlink: the port's address, link up,
 * no IPv6, and (with a gateway) a source-address policy route, so
 * answers from the own address leave through the data port even when
 * the host's default route points at a management interface.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "lb_pkt.h"
#include "app.h"

#define EXC_VDEV "net_tap_dsrlb"
#define EXC_DESC 512

/* ---- rtnetlink ---- */

struct nl_req {
	struct nlmsghdr h;
	char buf[256];
};

static void
nl_attr(struct nl_req *r, uint16_t type, const void *data, uint16_t len)
{
	size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
	struct rtattr a = { .rta_type = type,
			    .rta_len = (uint16_t)RTA_LENGTH(len) };
	char *base = (char *)r;

	if (off + RTA_ALIGN(a.rta_len) > sizeof(*r))
		return;   /* cannot happen with the requests below */
	memcpy(base + off, &a, sizeof(a));
	memcpy(base + off + RTA_LENGTH(0), data, len);
	r->h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(a.rta_len));
}

static void *
nl_start(struct nl_req *r, uint16_t type, uint16_t flags, size_t body)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->h);
}

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int
nl_talk(struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char reply[1024];
	int fd, rc;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = -EIO;
	n = recv(fd, reply, sizeof(reply), 0);
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)reply;

		if (h->nlmsg_type == NLMSG_ERROR)
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(fd);
	return rc;
}

static int
nl_link_up(int ifindex)
{
	struct nl_req r;
	struct ifinfomsg *ifi = nl_start(&r, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(&r);
}

static int
nl_addr_add(int ifindex, uint32_t addr, uint8_t prefix)
{
	struct nl_req r;
	struct ifaddrmsg *ifa = nl_start(&r, RTM_NEWADDR,
					 NLM_F_CREATE | NLM_F_REPLACE,
					 sizeof(*ifa));
	uint32_t bcast = htonl(ntohl(addr) | ~(~0u << (32 - prefix)));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = (uint32_t)ifindex;
	nl_attr(&r, IFA_LOCAL, &addr, 4);
	nl_attr(&r, IFA_ADDRESS, &addr, 4);
	nl_attr(&r, IFA_BROADCAST, &bcast, 4);
	return nl_talk(&r);
}

static int
nl_rule(uint16_t type, uint32_t src, uint32_t table, uint32_t prio)
{
	struct nl_req r;
	struct fib_rule_hdr *fr = nl_start(&r, type,
		type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0,
		sizeof(*fr));

	fr->family = AF_INET;
	fr->src_len = 32;
	fr->action = FR_ACT_TO_TBL;
	fr->table = RT_TABLE_UNSPEC;
	nl_attr(&r, FRA_SRC, &src, 4);
	nl_attr(&r, FRA_TABLE, &table, 4);
	nl_attr(&r, FRA_PRIORITY, &prio, 4);
	return nl_talk(&r);
}

static int
nl_route_add(uint32_t table, uint32_t dst, uint8_t dst_len, uint32_t gw,
	     int ifindex)
{
	struct nl_req r;
	struct rtmsg *rt = nl_start(&r, RTM_NEWROUTE,
				    NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;

	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = dst_len;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = gw != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_TABLE, &table, 4);
	if (dst_len > 0)
		nl_attr(&r, RTA_DST, &dst, 4);
	if (gw != 0)
		nl_attr(&r, RTA_GATEWAY, &gw, 4);
	nl_attr(&r, RTA_OIF, &oif, 4);
	return nl_talk(&r);
}

static void
write_proc(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, value, strlen(value)) < 0)
		APP_LOG(DEBUG, "cannot write %s: %s", path, strerror(errno));
	close(fd);
}

/* Address, link, no IPv6 (the port carries IPv4 only), and the policy
 * route for answers from the own address. */
static int
kernel_setup(struct dsrlb_app *app)
{
	struct dsrlb_exception *x = &app->exc;
	const struct lb_conf_port *p = &app->conf->ports[x->data_port];
	uint32_t net = htonl(ntohl(p->addr) & (~0u << (32 - p->prefix)));
	char path[128];
	int rc;

	x->ifindex = (int)if_nametoindex(x->ifname);
	if (x->ifindex == 0)
		return -ENODEV;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 x->ifname);
	write_proc(path, "1");
	rc = nl_addr_add(x->ifindex, p->addr, p->prefix);
	if (rc == 0)
		rc = nl_link_up(x->ifindex);
	if (rc != 0 || p->gateway == 0)
		return rc;
	/* a stale rule from a crashed run: remove before adding */
	while (nl_rule(RTM_DELRULE, p->addr, DSRLB_EXC_TABLE,
		       DSRLB_EXC_RULE_PRIO) == 0)
		;
	rc = nl_route_add(DSRLB_EXC_TABLE, net, p->prefix, 0, x->ifindex);
	if (rc == 0)
		rc = nl_route_add(DSRLB_EXC_TABLE, 0, 0, p->gateway,
				  x->ifindex);
	if (rc == 0)
		rc = nl_rule(RTM_NEWRULE, p->addr, DSRLB_EXC_TABLE,
			     DSRLB_EXC_RULE_PRIO);
	if (rc == 0)
		x->rule_added = true;
	return rc;
}

/* ---- the TAP port ---- */

int
dsrlb_exception_init(struct dsrlb_app *app)
{
	struct dsrlb_exception *x = &app->exc;
	struct rte_eth_conf pc = { 0 };
	struct rte_mempool *pool;
	char args[128], mac[DSRLB_MAC_STR];
	int rc;

	if (app->conf->exception_interface[0] == '\0')
		return 0;
	x->data_port = 0;
	snprintf(x->ifname, sizeof(x->ifname), "%s",
		 app->conf->exception_interface);
	dsrlb_mac_str(app->port_macs[x->data_port], mac);
	snprintf(args, sizeof(args), "iface=%s,mac=%s", x->ifname, mac);
	rc = rte_eal_hotplug_add("vdev", EXC_VDEV, args);
	if (rc == 0)
		rc = rte_eth_dev_get_port_by_name(EXC_VDEV, &x->port_id);
	if (rc != 0) {
		APP_LOG(ERR, "exception_interface %s: cannot create the TAP interface: %s",
			x->ifname, rte_strerror(-rc));
		return rc;
	}
	x->created = true;
	pool = dsrlb_pool_for_port(app, x->data_port);
	rc = rte_eth_dev_configure(x->port_id, 1, 1, &pc);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(x->port_id, 0, EXC_DESC,
					    rte_socket_id(), NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(x->port_id, 0, EXC_DESC,
					    rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(x->port_id);
	if (rc != 0) {
		APP_LOG(ERR, "exception_interface %s: %s", x->ifname,
			rte_strerror(-rc));
		return rc;
	}
	x->started = true;
	rc = kernel_setup(app);
	if (rc != 0) {
		APP_LOG(ERR, "exception_interface %s: kernel set-up: %s",
			x->ifname, strerror(-rc));
		return rc;
	}
	x->active = true;
	APP_LOG(INFO, "exception interface %s holds %s's address, MAC %s%s",
		x->ifname, app->conf->ports[x->data_port].name, mac,
		x->rule_added ? ", policy route via the gateway" : "");
	return 0;
}

void
dsrlb_exception_fini(struct dsrlb_app *app)
{
	struct dsrlb_exception *x = &app->exc;

	if (x->n_tx > 0) {
		rte_pktmbuf_free_bulk(x->tx, x->n_tx);
		x->n_tx = 0;
	}
	if (x->rule_added)
		nl_rule(RTM_DELRULE, app->conf->ports[x->data_port].addr,
			DSRLB_EXC_TABLE, DSRLB_EXC_RULE_PRIO);
	if (x->started)
		rte_eth_dev_stop(x->port_id);
	if (x->created) {
		rte_eth_dev_close(x->port_id);
		rte_eal_hotplug_remove("vdev", EXC_VDEV);
	}
	memset(x, 0, sizeof(*x));
}

bool
dsrlb_exception_port(const struct dsrlb_app *app, unsigned int port)
{
	return app->exc.active && port == app->exc.data_port;
}

/* Hand the kernel the frames gathered in this pass, in one burst. */
void
dsrlb_exception_flush(struct dsrlb_app *app)
{
	struct dsrlb_exception *x = &app->exc;
	uint16_t sent;

	if (x->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(x->port_id, 0, x->tx, x->n_tx);
	app->mstats.c[LB_STAT_KERNEL_RX] += sent;
	if (sent < x->n_tx) {
		app->mstats.c[LB_STAT_KERNEL_DROP] += x->n_tx - sent;
		rte_pktmbuf_free_bulk(x->tx + sent, x->n_tx - sent);
	}
	x->n_tx = 0;
}

/* A frame from the wire for the kernel: without the port's VLAN tag,
 * which the kernel interface does not know about. Gathered, and sent
 * with the others of this pass. */
void
dsrlb_exception_to_kernel(struct dsrlb_app *app, struct rte_mbuf *m)
{
	struct dsrlb_exception *x = &app->exc;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	if (rte_pktmbuf_data_len(m) >= LB_ETH_HLEN + LB_VLAN_HLEN &&
	    lb_load_be16(p + 12) == LB_ETHERTYPE_VLAN) {
		memmove(p + LB_VLAN_HLEN, p, 2 * LB_ETH_ALEN);
		rte_pktmbuf_adj(m, LB_VLAN_HLEN);
	}
	if (x->n_tx == RTE_DIM(x->tx))
		dsrlb_exception_flush(app);
	x->tx[x->n_tx++] = m;
}

/* Frames the kernel sends go out the data port, tagged if it is on a
 * VLAN. */
unsigned int
dsrlb_exception_poll(struct dsrlb_app *app)
{
	struct dsrlb_exception *x = &app->exc;
	uint16_t vlan = app->conf->ports[x->data_port].vlan;
	struct rte_mbuf *m[LB_BURST];
	uint16_t i, n;

	if (!x->active)
		return 0;
	n = rte_eth_rx_burst(x->port_id, 0, m, LB_BURST);
	for (i = 0; i < n; i++) {
		if (vlan != 0) {
			uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m[i],
								    LB_VLAN_HLEN);

			if (p == NULL || rte_pktmbuf_data_len(m[i]) <
			    LB_ETH_HLEN + LB_VLAN_HLEN) {
				app->mstats.c[LB_STAT_KERNEL_DROP]++;
				rte_pktmbuf_free(m[i]);
				continue;
			}
			memmove(p, p + LB_VLAN_HLEN, 2 * LB_ETH_ALEN);
			lb_store_be16(p + 12, LB_ETHERTYPE_VLAN);
			lb_store_be16(p + 14, vlan);
		}
		if (dsrlb_master_send(app, x->data_port, m[i], true) == 0)
			app->mstats.c[LB_STAT_KERNEL_TX]++;
		else
			app->mstats.c[LB_STAT_KERNEL_DROP]++;
	}
	return n;
}
