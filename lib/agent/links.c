/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The data ports: their links, and the NICs' counters for ports.stats.
 * The master reads each one every LINK_POLL_MS
 * without waiting (rte_eth_link_get_nowait(): a register read, or a
 * system call for a TAP; a PMD that had to ask firmware would still not
 * be asked more than ten times a second) and acts on a change:
 *
 * - the log says it (NOTICE up, WARNING down), with the port's device;
 * - the exception interface mirrors ports[0]'s link as its carrier, so
 *   the kernel's programs on it see it go: keepalived turns its VRRP
 *   instance FAULT (its hook deactivates dsrlb, it stops advertising),
 *   BIRD takes the interface down with its BGP and BFD sessions;
 * - mode vrrp with high_availability.track_file: the number of ports
 *   whose link is down is written there (keepalived's track_file, weight
 *   0: anything but 0 is FAULT), so a port other than ports[0] counts
 *   too;
 * - mode ecmp: announce.c withdraws every VIP while a link is down, and
 *   announces them again once all are up;
 * - a link that comes back while active: gratuitous ARP again (the
 *   switch may have forgotten where the VIPs are).
 *
 * dsrlb does not deactivate itself over a link. In mode vrrp keepalived
 * owns the active state: its FAULT runs the hook that deactivates
 * dsrlb, and when the link is back it decides (BACKUP, with nopreempt,
 * while the peer is MASTER); a second owner deciding on its own would
 * have to guess the peer's state when the link returns. Without
 * keepalived (standalone) there is no one to take over: staying active
 * loses nothing. (And should the hook not run, the VRRP watchdog still
 * turns a balancer whose keepalived stopped advertising standby.)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "agent_internal.h"

#define LINK_POLL_MS 100
#define TRACK_UNWRITTEN (-1)   /* links_tracked before the first write */
#define TRACK_FAILING (-2)     /* ... after a failed one */

/* The number and a newline, what keepalived's track_file reads, put
 * in place whole. */
static int
track_file_write(const char *path, unsigned int down)
{
	char tmp[LB_PATH_MAX + 8], buf[16];
	int fd, n, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "%u\n", down);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, buf, (size_t)n) != n)
		rc = errno != 0 ? -errno : -EIO;   /* short: a full disk */
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	/* keepalived watches the directory: it reads the file once it is
	 * renamed in whole, never half written */
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Mode vrrp with a track file: the number of ports down, when it is
 * not what the file says (a failed write is tried again next time). */
static void
track_file_update(struct lb_agent *ag)
{
	const char *path = lb_core_settings(ag->core)->ha.track_file;
	int rc;

	if (path[0] == '\0' || ag->ports.links_tracked == (int)ag->ports.links_down)
		return;
	rc = track_file_write(path, ag->ports.links_down);
	if (rc != 0) {
		/* said once, tried again at every reading */
		if (ag->ports.links_tracked != TRACK_FAILING)
			AG_LOG(ERR, "high_availability.track_file %s: %s: keepalived does not learn how many ports are down (%u now; trying again)",
				path, strerror(-rc), ag->ports.links_down);
		ag->ports.links_tracked = TRACK_FAILING;
		return;
	}
	ag->ports.links_tracked = (int)ag->ports.links_down;
	AG_LOG(INFO, "high_availability.track_file %s: %u", path,
		ag->ports.links_down);
}

/* The exception interface's carrier follows the link of the port it
 * stands for. */
static void
kif_carrier_update(struct lb_agent *ag)
{
	bool up = ag->ports.links[ag->kif_port].up;

	if (ag->kif == NULL || ag->ports.kif_carrier == up)
		return;
	if (lb_kif_carrier_set(ag->kif, up) == 0)
		ag->ports.kif_carrier = up;
}

static const char *
speed_str(uint32_t mbps, char *buf, size_t size)
{
	if (mbps == RTE_ETH_SPEED_NUM_UNKNOWN || mbps == RTE_ETH_SPEED_NUM_NONE)
		snprintf(buf, size, "speed unknown");
	else if (mbps % 1000 == 0)
		snprintf(buf, size, "%u Gb/s", mbps / 1000);
	else
		snprintf(buf, size, "%u Mb/s", mbps);
	return buf;
}

/* Read one port's link; true if it went up or down (or this is the
 * first reading). */
static bool
link_read(struct lb_agent *ag, unsigned int i, uint64_t now)
{
	struct ag_link *k = &ag->ports.links[i];
	const char *name = lb_core_port(ag->core, i)->conf.name;
	char dev[RTE_ETH_NAME_MAX_LEN] = "?", txt[32];
	struct rte_eth_link l;
	bool first = !k->known, was = k->up;
	int rc;

	rc = rte_eth_link_get_nowait(ag->env->port_ids[i], &l);
	if (rc != 0) {
		if (first) {
			/* nothing better to go by: taken as up, or the
			 * balancer would be out for a driver's silence */
			AG_LOG(WARNING, "port %s: its link cannot be read (%s): taken as up",
				name, rte_strerror(-rc));
			k->known = true;
			k->up = true;
			k->speed = RTE_ETH_SPEED_NUM_UNKNOWN;
			k->changed_ms = now;
			k->changed_at = (int64_t)time(NULL);
		}
		return first;
	}
	k->up = l.link_status == RTE_ETH_LINK_UP;
	k->speed = l.link_speed;
	k->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	k->autoneg = l.link_autoneg == RTE_ETH_LINK_AUTONEG;
	if (!first && k->up == was)
		return false;
	k->known = true;
	if (!first)
		k->changes++;
	k->changed_ms = now;
	k->changed_at = (int64_t)time(NULL);
	rte_eth_dev_get_name_by_port(ag->env->port_ids[i], dev);
	if (k->up)
		AG_LOG(NOTICE, "port %s (%s): link up, %s, %s duplex%s", name,
			dev, speed_str(k->speed, txt, sizeof(txt)),
			k->full_duplex ? "full" : "half",
			k->autoneg ? ", autonegotiated" : "");
	else
		AG_LOG(WARNING, "port %s (%s): link down%s", name, dev,
			first ? " at start" : "");
	return true;
}

/* What the links being as they are means (after any change). */
static void
links_apply(struct lb_agent *ag, unsigned int was_down)
{
	const struct lb_conf_ha *ha = &lb_core_settings(ag->core)->ha;

	kif_carrier_update(ag);
	track_file_update(ag);
	if (ha->mode == LB_HA_ECMP && (was_down == 0) != (ag->ports.links_down == 0)) {
		AG_LOG(NOTICE, "mode ecmp: %s", ag->ports.links_down == 0 ?
			"every link up: announcing the VIPs again" :
			"a link is down: withdrawing the VIPs");
		ag->ann.next_ms = 0;   /* announce.c looks at once */
	}
}

/* The first reading, at start, before anything is announced: the
 * exception interface's carrier and the track file say it from the
 * beginning. */
void
lb_agent_links_init(struct lb_agent *ag)
{
	uint64_t now = lb_agent_now_ms();
	unsigned int i;

	ag->ports.kif_carrier = true;   /* a TAP starts with one */
	ag->ports.links_tracked = TRACK_UNWRITTEN;
	ag->ports.links_down = 0;
	for (i = 0; i < ag->env->n_ports; i++) {
		link_read(ag, i, now);
		ag->ports.links_down += !ag->ports.links[i].up;
	}
	ag->ports.next_ms = now + LINK_POLL_MS;
	links_apply(ag, 0);
}

void
lb_agent_links_run(struct lb_agent *ag, uint64_t now)
{
	unsigned int i, down = 0, was_down = ag->ports.links_down;
	bool changed = false, came_up = false;

	if (now < ag->ports.next_ms)
		return;
	ag->ports.next_ms = now + LINK_POLL_MS;
	for (i = 0; i < ag->env->n_ports; i++) {
		if (link_read(ag, i, now)) {
			changed = true;
			came_up = came_up || ag->ports.links[i].up;
		}
		down += !ag->ports.links[i].up;
	}
	ag->ports.links_down = down;
	if (!changed) {
		track_file_update(ag);   /* a failed write, again */
		return;
	}
	links_apply(ag, was_down);
	if (came_up && lb_core_active(ag->core))
		lb_agent_garp_start(ag);
}

json_t *
lb_agent_link_json(const struct lb_agent *ag, unsigned int i)
{
	const struct ag_link *k = &ag->ports.links[i];

	return json_pack("{s:b, s:o, s:s, s:b, s:I, s:I, s:I}",
		"up", k->up,
		"speed", k->speed == RTE_ETH_SPEED_NUM_UNKNOWN ? json_null() :
			 json_integer(k->speed),
		"duplex", k->full_duplex ? "full" : "half",
		"autoneg", k->autoneg,
		"changes", (json_int_t)k->changes,
		"last_change", (json_int_t)k->changed_at,
		"age", (json_int_t)((lb_agent_now_ms() - k->changed_ms) / 1000));
}

/* The names of a port's extended counters, read at the first request
 * and again only if the driver's list changes: a request then reads the
 * values only. A port whose driver gives none just has none. */
static void
xstat_names_read(struct lb_agent *ag, unsigned int i)
{
	uint16_t pid = ag->env->port_ids[i];
	int n = rte_eth_xstats_get_names(pid, NULL, 0);

	free(ag->ports.xstat_names[i]);
	ag->ports.xstat_names[i] = NULL;
	ag->ports.n_xstats[i] = 0;
	if (n <= 0)
		return;
	ag->ports.xstat_names[i] = calloc((size_t)n, sizeof(*ag->ports.xstat_names[i]));
	if (ag->ports.xstat_names[i] == NULL)
		return;
	n = rte_eth_xstats_get_names(pid, ag->ports.xstat_names[i], (unsigned int)n);
	ag->ports.n_xstats[i] = n > 0 ? (unsigned int)n : 0;
}

/*
 * A port's counters as the NIC keeps them, read now (a control-path
 * call, on the master): {"stats": the basic ones, "xstats": every
 * extended one by name}. NULL if it cannot encode them.
 */
json_t *
lb_agent_port_counters_json(struct lb_agent *ag, unsigned int i)
{
	uint16_t pid = ag->env->port_ids[i];
	struct rte_eth_xstat *vals = NULL;
	struct rte_eth_stats st;
	json_t *stats, *xs = json_object();
	unsigned int k;
	int n;

	if (rte_eth_stats_get(pid, &st) != 0)
		memset(&st, 0, sizeof(st));
	stats = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"ipackets", (json_int_t)st.ipackets,
		"opackets", (json_int_t)st.opackets,
		"ibytes", (json_int_t)st.ibytes,
		"obytes", (json_int_t)st.obytes,
		"imissed", (json_int_t)st.imissed,
		"ierrors", (json_int_t)st.ierrors,
		"oerrors", (json_int_t)st.oerrors,
		"rx_nombuf", (json_int_t)st.rx_nombuf);
	n = rte_eth_xstats_get(pid, NULL, 0);
	if (n > 0 && (unsigned int)n != ag->ports.n_xstats[i])
		xstat_names_read(ag, i);   /* the driver changed its list */
	if (n > 0)
		vals = calloc((size_t)n, sizeof(*vals));
	if (vals != NULL)
		n = rte_eth_xstats_get(pid, vals, (unsigned int)n);
	for (k = 0; vals != NULL && xs != NULL && n > 0 &&
	     k < (unsigned int)n; k++)
		if (vals[k].id < ag->ports.n_xstats[i])
			json_object_set_new(xs,
				ag->ports.xstat_names[i][vals[k].id].name,
				json_integer((json_int_t)vals[k].value));
	free(vals);
	if (stats == NULL || xs == NULL) {
		json_decref(stats);
		json_decref(xs);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "stats", stats, "xstats", xs);
}


void
lb_agent_ports_fini(struct lb_agent *ag)
{
	unsigned int i;

	for (i = 0; i < LB_MAX_PORTS; i++) {
		free(ag->ports.xstat_names[i]);
		ag->ports.xstat_names[i] = NULL;
		ag->ports.n_xstats[i] = 0;
	}
}
