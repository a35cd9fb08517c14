/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "lb_mem.h"
#include "lb_pkt.h"
#include "lb_kif.h"
#include "app.h"

#define MBUF_CACHE 256
#define MBUF_ROOM_ALIGN 1024   /* NICs size receive buffers in KiB */

/* The MTU the configuration gives a port, against what its NIC takes:
 * the rule rte_eth_dev_configure() applies (the MTU plus what the
 * driver says its frames add, or an Ethernet header and CRC, within
 * max_rx_pktlen; min_mtu to max_mtu), said with the key before anything
 * is set up. */
static int
mtu_check(const struct lb_conf *conf, unsigned int i, uint16_t pid,
	  struct lb_conf_error *err)
{
	uint16_t mtu = conf->ports[i].mtu;
	struct rte_eth_dev_info info;
	uint32_t max;
	int rc = rte_eth_dev_info_get(pid, &info);

	if (rc != 0) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: ports[%u]: cannot read what DPDK port %u can do: %s",
			 conf->source, i, pid, rte_strerror(-rc));
		return rc;
	}
	max = lb_eth_max_mtu(&info);
	if (mtu >= info.min_mtu && mtu <= max)
		return 0;
	snprintf(err->msg, sizeof(err->msg),
		 "%s: ports[%u].mtu: %u is out of range for DPDK port %u (%s): [%u, %u]",
		 conf->source, i, mtu, pid, info.driver_name, info.min_mtu,
		 max);
	return -ERANGE;
}

/* Map each configured port to a DPDK port: by device name, or the i-th
 * probed port when no device is named. */
int
dsrlb_ports_probe(struct dsrlb_app *app, struct lb_conf_error *err)
{
	const struct lb_conf *conf = app->conf;
	uint16_t avail[RTE_MAX_ETHPORTS], n_avail = 0, pid;
	unsigned int i, j;

	RTE_ETH_FOREACH_DEV(pid)
		avail[n_avail++] = pid;
	for (i = 0; i < conf->n_ports; i++) {
		const struct lb_conf_port *p = &conf->ports[i];
		struct rte_ether_addr mac;
		int rc;

		if (p->device[0] != '\0') {
			if (rte_eth_dev_get_port_by_name(p->device, &pid) != 0) {
				snprintf(err->msg, sizeof(err->msg),
					 "%s: ports[%u].device: no DPDK port \"%s\" (probed: %u ports; check the EAL -a/--vdev options)",
					 conf->source, i, p->device, n_avail);
				return -ENODEV;
			}
		} else if (i < n_avail) {
			pid = avail[i];
		} else {
			snprintf(err->msg, sizeof(err->msg),
				 "%s: ports[%u]: only %u DPDK ports were probed; name one with \"device\"",
				 conf->source, i, n_avail);
			return -ENODEV;
		}
		for (j = 0; j < i; j++)
			if (app->env.port_ids[j] == pid) {
				snprintf(err->msg, sizeof(err->msg),
					 "%s: ports[%u]: DPDK port %u is also ports[%u]",
					 conf->source, i, pid, j);
				return -EEXIST;
			}
		rc = rte_eth_macaddr_get(pid, &mac);
		if (rc != 0) {
			snprintf(err->msg, sizeof(err->msg),
				 "%s: ports[%u]: cannot read the MAC of DPDK port %u: %s",
				 conf->source, i, pid, rte_strerror(-rc));
			return rc;
		}
		rc = mtu_check(conf, i, pid, err);
		if (rc != 0)
			return rc;
		app->env.port_ids[i] = pid;
		memcpy(app->env.port_macs[i], mac.addr_bytes, 6);
		APP_LOG(INFO, "port %s is DPDK port %u, MAC " RTE_ETHER_ADDR_PRT_FMT ", MTU %u",
			p->name, pid, RTE_ETHER_ADDR_BYTES(&mac), p->mtu);
	}
	app->env.n_ports = conf->n_ports;
	return 0;
}

/* Every lcore but the main one is a worker. */
int
dsrlb_workers_plan(struct dsrlb_app *app)
{
	unsigned int lcore;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct lb_agent_worker *dw = &app->env.workers[app->env.n_workers++];

		dw->lcore = lcore;
		dw->socket = (int)rte_lcore_to_socket_id(lcore);
	}
	if (app->env.n_workers == 0) {
		APP_LOG(ERR, "no worker lcore: give the EAL at least two lcores (-l 0-1); the main lcore runs ARP, health checks and control");
		return -EINVAL;
	}
	return 0;
}

/* The pool slot for a NUMA socket id. A device or lcore not tied to one
 * node has SOCKET_ID_ANY (the main lcore, when its CPU set spans nodes):
 * it uses socket 0's pool, as does anything past the table. */
static unsigned int
socket_slot(int s)
{
	return s < 0 || s >= RTE_MAX_NUMA_NODES ? 0 : (unsigned int)s;
}

static int
numa_nodes(void)
{
	if (numa_available() < 0)
		return 1;
	return numa_max_node() + 1;
}

/*
 * Every frame in one mbuf: its data room holds the longest frame any
 * port's MTU allows (with a tag and the CRC), in whole KiB, at least
 * DPDK's default. The data path, the kernel interface and the NICs then
 * never see a chain (no scattered RX, no multi-segment TX), at the cost
 * of memory: an MTU of 9000 makes each mbuf 9.2 KiB instead of 2.1.
 */
uint16_t
dsrlb_mbuf_room(const struct lb_conf *conf)
{
	uint32_t frame = 0, room;
	unsigned int i;

	for (i = 0; i < conf->n_ports; i++)
		frame = RTE_MAX(frame, (uint32_t)conf->ports[i].mtu +
				RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN +
				RTE_ETHER_CRC_LEN);
	room = RTE_ALIGN_CEIL(frame, MBUF_ROOM_ALIGN);
	room = RTE_MAX(room, (uint32_t)RTE_MBUF_DEFAULT_DATAROOM);
	return (uint16_t)(room + RTE_PKTMBUF_HEADROOM);
}

/* The mbufs of each socket's pool: dataplane.mbufs, or enough for every
 * ring and cache that can hold mbufs at once, with headroom. */
unsigned int
dsrlb_pool_mbufs(const struct dsrlb_app *app)
{
	const struct lb_conf_dataplane *dp = &app->conf->dataplane;
	struct dsrlb_lanes lanes;

	if (dp->mbufs != 0)
		return dp->mbufs;
	dsrlb_lanes(app, &lanes);
	return app->env.n_ports * app->env.n_workers * (dp->rx_desc + dp->tx_desc) +
	       app->env.n_workers * (lanes.prio_size + lanes.ctrl_size +
				 lanes.bulk_size + DSRLB_RING_SIZE +
				 LB_BURST + LB_TXBUF * app->env.n_ports +
				 LB_FRAG_HOLD + MBUF_CACHE) +
	       2 * DSRLB_RING_SIZE + 4096;
}

/* Hugepage bytes of one socket's pool as dsrlb_mempools_create() makes
 * it, its mbufs laid out on pages of page_size bytes; added to h unless
 * it is NULL (lb_mem.h). */
size_t
dsrlb_pool_memsize(const struct dsrlb_app *app, size_t page_size,
		   struct lb_mem_heap *h)
{
	return lb_mem_pktmbuf_pool_size(dsrlb_pool_mbufs(app), MBUF_CACHE, 0,
					dsrlb_mbuf_room(app->conf), page_size,
					h);
}

/*
 * One pool per NUMA socket that has a port or a worker, so descriptors,
 * mbufs and the lcores touching them stay local. Sized for every ring
 * and cache that can hold mbufs at once, with headroom.
 */
int
dsrlb_mempools_create(struct dsrlb_app *app)
{
	bool need[RTE_MAX_NUMA_NODES] = { false };
	unsigned int i, n, nodes = (unsigned int)numa_nodes();
	int s;

	for (i = 0; i < app->env.n_ports; i++)
		need[socket_slot(rte_eth_dev_socket_id(app->env.port_ids[i]))] = true;
	for (i = 0; i < app->env.n_workers; i++)
		need[socket_slot(app->env.workers[i].socket)] = true;
	/* the master builds packets */
	need[socket_slot((int)rte_socket_id())] = true;

	n = dsrlb_pool_mbufs(app);
	app->mbuf_room = dsrlb_mbuf_room(app->conf);
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		char name[RTE_MEMPOOL_NAMESIZE];

		if (!need[s])
			continue;
		if ((unsigned int)s >= nodes)
			APP_LOG(WARNING, "socket %d is not a NUMA node libnuma knows (%u nodes)",
				s, nodes);
		snprintf(name, sizeof(name), "dsrlb_mbuf_%d", s);
		app->env.pools[s] = rte_pktmbuf_pool_create(name, n, MBUF_CACHE, 0,
							app->mbuf_room, s);
		if (app->env.pools[s] == NULL) {
			APP_LOG(ERR, "cannot create %u mbufs of %u bytes on socket %d: %s (more hugepages, or dataplane.mbufs, or a smaller MTU)",
				n, app->mbuf_room, s, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		APP_LOG(INFO, "socket %d: %u mbufs of %u bytes (%" PRIu64 " MiB)",
			s, n, app->mbuf_room,
			((uint64_t)n * (app->mbuf_room +
					sizeof(struct rte_mbuf))) >> 20);
	}
	return 0;
}

struct rte_mempool *
dsrlb_pool_for_port(struct dsrlb_app *app, unsigned int port)
{
	unsigned int s = socket_slot(rte_eth_dev_socket_id(app->env.port_ids[port]));

	if (app->env.pools[s] == NULL)
		s = socket_slot((int)rte_socket_id());
	return app->env.pools[s];
}

/* Mode vrrp: the NIC must let VRRP's multicast MAC in (the workers
 * check everything else about an advertisement). Its multicast filter
 * if it has one, else all multicast. */
static void
vrrp_multicast(uint16_t pid, const char *name)
{
	struct rte_ether_addr mac = { .addr_bytes = { LB_VRRP_MAC_BYTES } };
	int filter = rte_eth_dev_set_mc_addr_list(pid, &mac, 1), rc;

	if (filter == 0)
		return;
	rc = rte_eth_allmulticast_enable(pid);
	if (rc == 0)
		APP_LOG(INFO, "port %s: no multicast filter (%s): all multicast let in for VRRP; the workers drop the rest",
			name, rte_strerror(-filter));
	else
		APP_LOG(WARNING, "port %s lets no multicast in (%s): VRRP advertisements may not reach keepalived",
			name, rte_strerror(-rc));
}

static int
port_start(struct dsrlb_app *app, unsigned int i)
{
	const struct lb_conf_dataplane *dp = &app->conf->dataplane;
	const char *name = app->conf->ports[i].name;
	uint16_t pid = app->env.port_ids[i], rxd = dp->rx_desc, txd = dp->tx_desc;
	uint16_t nq = (uint16_t)app->env.n_workers, q;
	uint16_t mtu = app->conf->ports[i].mtu;
	struct rte_eth_conf pc = { 0 };
	struct rte_eth_dev_info info;
	int rc, socket = rte_eth_dev_socket_id(pid);

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0)
		return rc;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		APP_LOG(ERR, "port %s (%s) has %u RX and %u TX queues; %u workers need one of each: use fewer worker lcores",
			name, info.driver_name, info.max_rx_queues,
			info.max_tx_queues, nq);
		return -EINVAL;
	}
	if (nq > 1) {
		/* spread flows over the workers; a flow stays on one */
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP |
			RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
		if (pc.rx_adv_conf.rss_conf.rss_hf == 0) {
			/* virtual ports such as net_pcap (one file per
			 * queue) and net_ring fill each queue themselves;
			 * a NIC without RSS would fill only queue 0 */
			pc.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
			APP_LOG(WARNING, "port %s (%s) cannot hash flows over its queues (no RSS): each worker gets what the driver puts in its queue",
				name, info.driver_name);
		}
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	/* checked against the NIC's range at probe; a frame of it fits
	 * one mbuf, so no scattered RX */
	pc.rxmode.mtu = mtu;
	/* idle workers wait for their queues' RX interrupts (lb_dp falls
	 * back to sleeping where the driver gives none) */
	if (dp->idle == LB_CONF_IDLE_INTERRUPT)
		pc.intr_conf.rxq = 1;
	rc = rte_eth_dev_configure(pid, nq, nq, &pc);
	if (rc != 0) {
		APP_LOG(ERR, "port %s: configure: %s", name, rte_strerror(-rc));
		return rc;
	}
	/* configure recorded the MTU; a driver with an MTU operation (a
	 * TAP's kernel side) applies it there. Without one (pcap, ring)
	 * the recorded value is all there is. */
	rc = rte_eth_dev_set_mtu(pid, mtu);
	if (rc != 0 && rc != -ENOTSUP) {
		APP_LOG(ERR, "port %s: MTU %u: %s", name, mtu,
			rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc != 0)
		return rc;
	for (q = 0; q < nq; q++) {
		struct lb_agent_worker *dw = &app->env.workers[q];
		int qs = socket < 0 ? dw->socket : socket;

		rc = rte_eth_rx_queue_setup(pid, q, rxd, qs, NULL,
					    app->env.pools[socket_slot(qs)]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, txd, qs, NULL);
		if (rc != 0) {
			APP_LOG(ERR, "port %s: queue %u: %s", name, q,
				rte_strerror(-rc));
			return rc;
		}
		if (socket >= 0 && dw->socket >= 0 && socket != dw->socket)
			APP_LOG(WARNING, "port %s is on socket %d but worker lcore %u on socket %d: packets cross sockets",
				name, socket, dw->lcore, dw->socket);
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		APP_LOG(ERR, "port %s: start: %s", name, rte_strerror(-rc));
		return rc;
	}
	app->port_started[i] = true;
	/* ARP requests and gratuitous ARP are broadcast; nothing else
	 * needs promiscuous mode, and the parser refuses foreign MACs */
	rte_eth_allmulticast_disable(pid);
	if (app->conf->ha.mode == LB_HA_VRRP)
		vrrp_multicast(pid, name);
	APP_LOG(INFO, "port %s started: %u RX/TX queues of %u/%u descriptors, MTU %u",
		name, nq, rxd, txd, mtu);
	return 0;
}

int
dsrlb_ports_start(struct dsrlb_app *app)
{
	unsigned int i;
	int rc;

	for (i = 0; i < app->env.n_ports; i++) {
		rc = port_start(app, i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
dsrlb_ports_stop(struct dsrlb_app *app)
{
	unsigned int i;

	for (i = 0; i < app->env.n_ports; i++) {
		if (!app->port_started[i])
			continue;
		rte_eth_dev_stop(app->env.port_ids[i]);
		rte_eth_dev_close(app->env.port_ids[i]);
		app->port_started[i] = false;
	}
}
