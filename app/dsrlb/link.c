/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The data ports' links. The master reads each one every LINK_POLL_MS
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
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "app.h"

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
track_file_update(struct dsrlb_app *app)
{
	const char *path = lb_core_settings(app->core)->ha.track_file;
	int rc;

	if (path[0] == '\0' || app->links_tracked == (int)app->links_down)
		return;
	rc = track_file_write(path, app->links_down);
	if (rc != 0) {
		/* said once, tried again at every reading */
		if (app->links_tracked != TRACK_FAILING)
			APP_LOG(ERR, "high_availability.track_file %s: %s: keepalived does not learn how many ports are down (%u now; trying again)",
				path, strerror(-rc), app->links_down);
		app->links_tracked = TRACK_FAILING;
		return;
	}
	app->links_tracked = (int)app->links_down;
	APP_LOG(INFO, "high_availability.track_file %s: %u", path,
		app->links_down);
}

/* The exception interface's carrier follows the link of the port it
 * stands for. */
static void
kif_carrier_update(struct dsrlb_app *app)
{
	bool up = app->links[app->kif_port].up;

	if (app->kif == NULL || app->kif_carrier == up)
		return;
	if (lb_kif_carrier_set(app->kif, up) == 0)
		app->kif_carrier = up;
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
link_read(struct dsrlb_app *app, unsigned int i, uint64_t now)
{
	struct dsrlb_link *k = &app->links[i];
	const char *name = lb_core_port(app->core, i)->conf.name;
	char dev[RTE_ETH_NAME_MAX_LEN] = "?", txt[32];
	struct rte_eth_link l;
	bool first = !k->known, was = k->up;
	int rc;

	rc = rte_eth_link_get_nowait(app->port_ids[i], &l);
	if (rc != 0) {
		if (first) {
			/* nothing better to go by: taken as up, or the
			 * balancer would be out for a driver's silence */
			APP_LOG(WARNING, "port %s: its link cannot be read (%s): taken as up",
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
	rte_eth_dev_get_name_by_port(app->port_ids[i], dev);
	if (k->up)
		APP_LOG(NOTICE, "port %s (%s): link up, %s, %s duplex%s", name,
			dev, speed_str(k->speed, txt, sizeof(txt)),
			k->full_duplex ? "full" : "half",
			k->autoneg ? ", autonegotiated" : "");
	else
		APP_LOG(WARNING, "port %s (%s): link down%s", name, dev,
			first ? " at start" : "");
	return true;
}

/* What the links being as they are means (after any change). */
static void
links_apply(struct dsrlb_app *app, unsigned int was_down)
{
	const struct lb_conf_ha *ha = &lb_core_settings(app->core)->ha;

	kif_carrier_update(app);
	track_file_update(app);
	if (ha->mode == LB_HA_ECMP && (was_down == 0) != (app->links_down == 0)) {
		APP_LOG(NOTICE, "mode ecmp: %s", app->links_down == 0 ?
			"every link up: announcing the VIPs again" :
			"a link is down: withdrawing the VIPs");
		app->announce_ms = 0;   /* announce.c looks at once */
	}
}

/* The first reading, at start, before anything is announced: the
 * exception interface's carrier and the track file say it from the
 * beginning. */
void
dsrlb_links_init(struct dsrlb_app *app)
{
	uint64_t now = dsrlb_now_ms();
	unsigned int i;

	app->kif_carrier = true;   /* a TAP starts with one */
	app->links_tracked = TRACK_UNWRITTEN;
	app->links_down = 0;
	for (i = 0; i < app->n_ports; i++) {
		link_read(app, i, now);
		app->links_down += !app->links[i].up;
	}
	app->links_next_ms = now + LINK_POLL_MS;
	links_apply(app, 0);
}

void
dsrlb_links_run(struct dsrlb_app *app, uint64_t now)
{
	unsigned int i, down = 0, was_down = app->links_down;
	bool changed = false, came_up = false;

	if (now < app->links_next_ms)
		return;
	app->links_next_ms = now + LINK_POLL_MS;
	for (i = 0; i < app->n_ports; i++) {
		if (link_read(app, i, now)) {
			changed = true;
			came_up = came_up || app->links[i].up;
		}
		down += !app->links[i].up;
	}
	app->links_down = down;
	if (!changed) {
		track_file_update(app);   /* a failed write, again */
		return;
	}
	links_apply(app, was_down);
	if (came_up && lb_core_active(app->core))
		dsrlb_garp_start(app);
}

json_t *
dsrlb_link_json(const struct dsrlb_app *app, unsigned int i)
{
	const struct dsrlb_link *k = &app->links[i];

	return json_pack("{s:b, s:o, s:s, s:b, s:I, s:I, s:I}",
		"up", k->up,
		"speed", k->speed == RTE_ETH_SPEED_NUM_UNKNOWN ? json_null() :
			 json_integer(k->speed),
		"duplex", k->full_duplex ? "full" : "half",
		"autoneg", k->autoneg,
		"changes", (json_int_t)k->changes,
		"last_change", (json_int_t)k->changed_at,
		"age", (json_int_t)((dsrlb_now_ms() - k->changed_ms) / 1000));
}
