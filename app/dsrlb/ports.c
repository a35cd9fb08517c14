/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <numa.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "lb_pkt.h"
#include "app.h"

#define MBUF_CACHE 256

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
			if (app->port_ids[j] == pid) {
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
		app->port_ids[i] = pid;
		memcpy(app->port_macs[i], mac.addr_bytes, 6);
		APP_LOG(INFO, "port %s is DPDK port %u, MAC " RTE_ETHER_ADDR_PRT_FMT,
			p->name, pid, RTE_ETHER_ADDR_BYTES(&mac));
	}
	app->n_ports = conf->n_ports;
	return 0;
}

/* Every lcore but the main one is a worker. */
int
dsrlb_workers_plan(struct dsrlb_app *app)
{
	unsigned int lcore;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dsrlb_worker *dw = &app->workers[app->n_workers++];

		dw->lcore = lcore;
		dw->socket = (int)rte_lcore_to_socket_id(lcore);
	}
	if (app->n_workers == 0) {
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
 * One pool per NUMA socket that has a port or a worker, so descriptors,
 * mbufs and the lcores touching them stay local. Sized for every ring
 * and cache that can hold mbufs at once, with headroom.
 */
int
dsrlb_mempools_create(struct dsrlb_app *app)
{
	const struct lb_conf_dataplane *dp = &app->conf->dataplane;
	bool need[RTE_MAX_NUMA_NODES] = { false };
	struct dsrlb_lanes lanes;
	unsigned int i, n, nodes = (unsigned int)numa_nodes();
	int s;

	for (i = 0; i < app->n_ports; i++)
		need[socket_slot(rte_eth_dev_socket_id(app->port_ids[i]))] = true;
	for (i = 0; i < app->n_workers; i++)
		need[socket_slot(app->workers[i].socket)] = true;
	/* the master builds packets */
	need[socket_slot((int)rte_socket_id())] = true;

	dsrlb_lanes(app, &lanes);
	n = dp->mbufs;
	if (n == 0)
		n = app->n_ports * app->n_workers * (dp->rx_desc + dp->tx_desc) +
		    app->n_workers * (lanes.prio_size + lanes.ctrl_size +
				      lanes.bulk_size + DSRLB_RING_SIZE +
				      LB_BURST + LB_TXBUF * app->n_ports +
				      LB_FRAG_HOLD + MBUF_CACHE) +
		    2 * DSRLB_RING_SIZE + 4096;
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		char name[RTE_MEMPOOL_NAMESIZE];

		if (!need[s])
			continue;
		if ((unsigned int)s >= nodes)
			APP_LOG(WARNING, "socket %d is not a NUMA node libnuma knows (%u nodes)",
				s, nodes);
		snprintf(name, sizeof(name), "dsrlb_mbuf_%d", s);
		app->pools[s] = rte_pktmbuf_pool_create(name, n, MBUF_CACHE, 0,
							RTE_MBUF_DEFAULT_BUF_SIZE,
							s);
		if (app->pools[s] == NULL) {
			APP_LOG(ERR, "cannot create %u mbufs on socket %d: %s (more hugepages, or dataplane.mbufs)",
				n, s, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		APP_LOG(INFO, "socket %d: %u mbufs", s, n);
	}
	return 0;
}

struct rte_mempool *
dsrlb_pool_for_port(struct dsrlb_app *app, unsigned int port)
{
	unsigned int s = socket_slot(rte_eth_dev_socket_id(app->port_ids[port]));

	if (app->pools[s] == NULL)
		s = socket_slot((int)rte_socket_id());
	return app->pools[s];
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
	uint16_t pid = app->port_ids[i], rxd = dp->rx_desc, txd = dp->tx_desc;
	uint16_t nq = (uint16_t)app->n_workers, q;
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
	/* idle workers wait for their queues' RX interrupts (lb_dp falls
	 * back to sleeping where the driver gives none) */
	if (dp->idle == LB_CONF_IDLE_INTERRUPT)
		pc.intr_conf.rxq = 1;
	rc = rte_eth_dev_configure(pid, nq, nq, &pc);
	if (rc != 0) {
		APP_LOG(ERR, "port %s: configure: %s", name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc != 0)
		return rc;
	for (q = 0; q < nq; q++) {
		struct dsrlb_worker *dw = &app->workers[q];
		int qs = socket < 0 ? dw->socket : socket;

		rc = rte_eth_rx_queue_setup(pid, q, rxd, qs, NULL,
					    app->pools[socket_slot(qs)]);
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
	APP_LOG(INFO, "port %s started: %u RX/TX queues of %u/%u descriptors",
		name, nq, rxd, txd);
	return 0;
}

int
dsrlb_ports_start(struct dsrlb_app *app)
{
	unsigned int i;
	int rc;

	for (i = 0; i < app->n_ports; i++) {
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

	for (i = 0; i < app->n_ports; i++) {
		if (!app->port_started[i])
			continue;
		rte_eth_dev_stop(app->port_ids[i]);
		rte_eth_dev_close(app->port_ids[i]);
		app->port_started[i] = false;
	}
}
