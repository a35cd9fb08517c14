# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Active/standby with keepalived in the namespace lab (issue 8): two
balancers in mode vrrp, keepalived with the shipped configuration and
notify hook on each; the active one is killed under open sessions. The
lab is dual stack (an IPv6 VIP beside the IPv4 one, every service on
both): IPv6 sessions take the same takeovers as IPv4's."""

import json
import os
import signal
import time

from framework import TestFailure, TestSuite, verify, wait_for
from halab import HaLab, VIP, session_servers, wait_vrrp
from hostile import add_attacker, finish_flood, flood, remove_namespace
from labnet import CLIENT6, VIP6, verify_sessions_answered, servers

CHECK = {"interval": 0.5, "timeout": 0.4, "rise": 2, "fall": 3}
CHECKS = {"pop3": dict(CHECK, type="pop3"),
          "imap": dict(CHECK, type="imap")}
FRONTENDS = ("fe1", "fe2", "fe3", "fe4")
SESSIONS = 25           # POP3, and as many IMAP: 50 sessions
SESSIONS6 = 8           # POP3 over IPv6 (with flow sync)
INTERVAL_MS = 200
SYNC_ID = 7
SYNC_PORT = 8848
PRIORITY = {1: 150, 2: 100}
FAKE_MAC = "02:d5:1b:00:99:01"      # the forger's, on no interface
STRANGER = "198.51.100.50"          # in the segment, not a peer
FORGED_CLIENT = "203.0.113.99"      # a client no one else uses
FORGED_CLIENT6 = "2001:db8:c::99"   # and its IPv6 counterpart
NO_MEMBER6 = "2001:db8:5::99"       # an address no member has


class LabHaVrrp(TestSuite):
    """Two dsrlb in mode "vrrp" on one segment, keepalived (shipped
    config/keepalived-dsrlb.conf, priorities 150 and 100, nopreempt) and
    the shipped config/dsrlb-vrrp-notify on each. Without VRRP passed
    between the wire and dsrlb0, both keepalived become MASTER and both
    dsrlb active: no case gets past its first wait."""

    GROUP = "lab"

    def set_up_suite(self):
        # fe3 and fe4 are members by their IPv6 addresses: flow sync
        # carries the flows to them (of both families)
        self.lab = HaLab(n_balancers=2, ipv6=True, ipv6_members=True)
        self.lab.build()

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "a dsrlb exited %s on SIGTERM" % rc)

    def tear_down_test(self):
        """Each case starts its own balancers: stop the last case's.
        An active dsrlb is made standby first, as keepalived's STOP
        hook makes it (deactivate); then keepalived is killed, so no
        hook races the stop (stopped by SIGTERM, it takes a second:
        test_stop_keepalived_first_hands_over tests that stop); then
        both dsrlb get SIGTERM at once."""
        for b in self.lab.lbs:
            try:
                if b.running() and b.active():
                    b.call("deactivate")
            except Exception:
                pass        # it stops all the same, after its grace
        for b in self.lab.lbs:
            b.kill_keepalived()
        rcs = self.lab.stop_balancers()
        verify(all(rc in (0, None) for rc in rcs.values()),
               "exit status on SIGTERM: %s" % rcs)

    # ---- helpers ----

    def configs(self, scheduler, sync):
        cfgs = []
        for b in self.lab.lbs:
            # the shipped keepalived configuration tracks the file
            ha = {"mode": "vrrp", "track_file": b.track_file}
            if sync:
                ha["sync"] = self.lab.sync_conf(b)
            cfgs.append(self.lab.balancer_config(
                b, ha=ha, checks=CHECKS, scheduler=scheduler))
        return cfgs

    def wait_ready(self, b):
        """Members resolved, every check up and passed: on a standby
        too (health checks go on while standby)."""
        b.wait_resolved()
        for svc in CHECKS:
            for fe in FRONTENDS:
                b.wait_health(svc, fe, "up")

    def start_pair(self, scheduler, sync, hear=True):
        """Both dsrlb (standby, as mode vrrp starts), ready, then
        keepalived on both; until one is active and (hear) the other
        has heard its adverts: (active, standby). hear False: the case
        verifies that (verify_standby_hears, since vrrp_in() read at
        once) after first steps that need not wait for it."""
        for b, cfg in zip(self.lab.lbs, self.configs(scheduler, sync)):
            b.start(cfg)
        for b in self.lab.lbs:
            st = b.status()
            verify(st["active"] is False, "%s started active in mode vrrp: "
                   "%s" % (b.name, st))
            verify(st.get("high_availability", {}).get("mode") == "vrrp",
                   "%s: status high_availability %s" % (
                       b.name, st.get("high_availability")))
        for b in self.lab.lbs:
            self.wait_ready(b)
        for b in self.lab.lbs:
            b.start_keepalived(PRIORITY[b.k])
        active = wait_vrrp(self.lab.lbs)
        standby = [b for b in self.lab.lbs if b is not active][0]
        if hear:
            self.verify_standby_hears(standby, active)
        return active, standby

    @staticmethod
    def vrrp_in(b):
        """VRRP adverts b's dsrlb passed to its kernel (vrrp_in)."""
        return b.stats()["workers"]["vrrp_in"]

    def verify_standby_hears(self, standby, active, adverts=4, since=None):
        """The standby's dsrlb passes the active's adverts to its kernel
        (vrrp_in) for longer than keepalived's master-down interval,
        and the pair stays as it is. since: the standby's vrrp_in() to
        count from, read before steps that need not wait for the
        adverts (they take their time meanwhile); default now."""
        base = self.vrrp_in(standby) if since is None else since
        wait_for(lambda: self.vrrp_in(standby) >= base + adverts,
                 "%s: %d more VRRP adverts passed to dsrlb0"
                 % (standby.name, adverts), timeout=30, interval=0.2)
        verify(wait_vrrp(self.lab.lbs) is active,
               "the active balancer changed while both ran")

    def router_vip_mac(self, vip=VIP):
        out = self.lab.ns(self.lab.ns_router, "ip", "-j", "neigh", "show",
                          vip)
        entries = json.loads(out or "[]")
        return entries[0].get("lladdr") if entries else None

    def garp_seen(self, cap, mac):
        """The gratuitous ARPs for the VIP from mac in the capture so
        far."""
        from scapy.all import rdpcap, ARP
        _, path = cap
        try:
            pkts = rdpcap(path) if os.path.getsize(path) > 24 else []
        except Exception:      # a record being written
            return []
        return [p for p in pkts if ARP in p and p[ARP].psrc == VIP and
                p[ARP].pdst == VIP and p[ARP].hwsrc == mac and
                p.src == mac]

    def failover(self, scheduler, sync):
        """The case: see test_failover_maglev. Returns (active, standby,
        its stats before and after it took over, the sessions it held
        synced flows of before: {(port, client port): {member}})."""
        lab = self.lab
        active, standby = self.start_pair(scheduler, sync, hear=False)
        heard = self.vrrp_in(standby)
        # the active answers for the VIP (ICMP echo included)
        verify(lab.ping(lab.ns_router, VIP) == 0, "the router cannot ping "
               "the VIP")
        verify(self.router_vip_mac() == active.dp_mac,
               "the router has %s for the VIP, not the active %s's %s"
               % (self.router_vip_mac(), active.name, active.dp_mac))
        sets = self.lab.open_session_sets(SESSIONS, INTERVAL_MS)
        # with flow sync, IPv6 sessions too: flow sync carries them, and
        # the VIP6 follows the takeover (unsolicited Neighbor
        # Advertisements)
        sets6 = []
        if sync:
            p6, started6 = lab.start_sessions(110, SESSIONS6, INTERVAL_MS,
                                              addr=VIP6)
            sets6 = [(110, p6, started6)]
            verify(not [s for s in started6 if "error" in s],
                   "IPv6 sessions not opened: %s" % started6[:3])
        greeted6 = session_servers(sets6)
        synced6 = carried6 = {}
        error = None
        held = []
        cap = None
        garps = []
        try:
            self.lab.wait_session_sets(sets, 2)
            if sync:
                # the active announces the sessions the standby could
                # not compute (wrr); they are installed there
                wait_for(lambda: standby.stats()["master"][
                    "sync_flows_in"] > 0, "%s: synced flows in"
                    % standby.name, timeout=30)
                self.lab.wait_session_sets(sets, 2)
                # of the IPv6 sessions too (wrr placed about 3 in 4
                # elsewhere than the hash would)
                synced6 = wait_for(
                    lambda: standby.session_flows(sets6, client=CLIENT6),
                    "%s: synced flows of the IPv6 sessions"
                    % standby.name, timeout=30)
                wrong = {k: v for k, v in synced6.items()
                         if v != {greeted6[k]}}
                verify(not wrong, "%s: IPv6 sessions synced to another "
                       "frontend than the one that greeted them: %s"
                       % (standby.name, sorted(wrong.items())[:5]))
                verify(self.router_vip_mac(VIP6) == active.dp_mac,
                       "the router has %s for %s, not the active %s's %s"
                       % (self.router_vip_mac(VIP6), VIP6, active.name,
                          active.dp_mac))
            self.verify_standby_hears(standby, active, since=heard)
            greeted = session_servers(sets)
            before = standby.stats()
            # what the standby knows of the sessions before the kill: a
            # standby drops traffic to the VIP before any flow table
            # (drop_standby), so only flow sync can have put them there
            synced = standby.session_flows(sets)
            if sync:
                # wrr placed about 3 in 4 sessions elsewhere than the
                # Maglev hash would: those were synced, none at all
                # means no sync (the wait above is for a counter only)
                verify(synced, "%s holds no synced flow of the %d sessions"
                       % (standby.name, len(greeted)))
            if sync and lab.ipv6_members:
                # wrr put about half the sessions on fe3 and fe4, IPv6
                # members: their flows are synced too
                to6 = [k for k, v in list(synced.items()) +
                       list(synced6.items()) if v & {"fe3", "fe4"}]
                verify(to6, "%s holds no synced flow to the IPv6 members "
                       "fe3 and fe4: %s" % (standby.name,
                                            sorted(synced.items())[:8]))
            wrong = {k: v for k, v in synced.items() if v != {greeted[k]}}
            verify(not wrong if sync else not synced,
                   "%s holds flows of sessions before the takeover (%s): %s"
                   % (standby.name, "synced to another frontend than the "
                      "one that greeted them" if sync else "with no sync",
                      sorted((wrong if sync else synced).items())[:5]))
            cap = lab.capture(lab.ns_seg, "seg", "arp")
            t0 = time.monotonic()
            rc = self.crash(active)
            verify(rc == -signal.SIGKILL, "%s exited %s, not killed"
                   % (active.name, rc))
            wait_for(standby.active, "%s activated by keepalived"
                     % standby.name, timeout=30, interval=0.1)
            times = {"takeover": time.monotonic() - t0}
            wait_for(lambda: self.garp_seen(cap, standby.dp_mac),
                     "a gratuitous ARP for the VIP from %s (%s)"
                     % (standby.name, standby.dp_mac), timeout=10)
            if sync:
                # the IPv6 VIP moved with it: the router's neighbour
                # entry is the new active's MAC
                wait_for(lambda: self.router_vip_mac(VIP6) ==
                         standby.dp_mac, "the router's entry for %s: %s's"
                         " MAC" % (VIP6, standby.name), timeout=10)
            self.lab.wait_session_sets(sets + sets6, 3)
            self.verify_new_connections()
            took_over = standby.stats()

            # every session has an entry on the survivor once one of its
            # packets came through it: a synced one at once, one the hash
            # places at its next NOOP. The rounds above count the
            # frontends' NOOPs of all sessions of a port together (IPv4
            # and IPv6 on 110), so they do not prove that each session
            # sent one; its entry does. Which member it names is what is
            # asserted below.
            def holds_every_session():
                c = standby.session_flows(sets)
                c6 = standby.session_flows(sets6, client=CLIENT6)
                return (c, c6) if set(c) >= set(greeted) and \
                    set(c6) >= set(greeted6) else None
            try:
                carried, carried6 = wait_for(
                    holds_every_session, "%s: an entry for each of the %d"
                    " sessions" % (standby.name,
                                   len(greeted) + len(greeted6)),
                    timeout=30, interval=0.2)
            except TestFailure as e:
                missing = set(greeted) - set(standby.session_flows(sets))
                raise TestFailure("%s; its flows of the client ports of "
                                  "IPv4 sessions it has none for: %s" % (
                                      e, self.flows_of_ports(standby, {
                                          k[1] for k in missing})[:10]))
            # for the diagnosis, while the survivor lives (it is killed
            # below): every flow it holds of a session it does not
            # carry as greeted, whatever its state
            held = self.flows_of_ports(standby, {
                k[1] for k, srv in greeted.items()
                if carried.get(k) != {srv}})
            # the old active comes back, as standby
            t0 = time.monotonic()
            self.come_back(active)
            times["back as BACKUP"] = time.monotonic() - t0
            heard = self.vrrp_in(active)
            if sync:
                # it asked its peer for every flow to sync (bulk sync on
                # start) and has them
                # for the sessions too: the survivor's flows that the
                # hash cannot recompute are those that were synced to it
                # before (the members did not change), so the bulk sync
                # gives back every one of them, to the same frontend
                def bulk_done():
                    if (active.ha_status().get("sync") or {}).get(
                            "bulk") != "done":
                        return False
                    has = active.session_flows(sets)
                    has.update({("6", k): v for k, v in active.session_flows(
                        sets6, client=CLIENT6).items()})
                    return all(has.get(k) == v for k, v in synced.items()) \
                        and all(has.get(("6", k)) == v
                                for k, v in synced6.items())
                wait_for(bulk_done, "%s: the bulk sync from %s, with the "
                         "%d synced sessions' flows" % (
                             active.name, standby.name, len(synced)),
                         timeout=30)
            self.lab.wait_session_sets(sets, 3)
            self.verify_standby_hears(active, standby, since=heard)
            # and takes over in turn (with what the bulk sync gave it)
            t0 = time.monotonic()
            rc = self.crash(standby)
            verify(rc == -signal.SIGKILL, "%s exited %s, not killed"
                   % (standby.name, rc))
            wait_for(active.active, "%s activated by keepalived again"
                     % active.name, timeout=30, interval=0.1)
            times["takeover back"] = time.monotonic() - t0
            wait_for(lambda: self.garp_seen(cap, active.dp_mac),
                     "a gratuitous ARP for the VIP from %s (%s)"
                     % (active.name, active.dp_mac), timeout=10)
            self.lab.wait_session_sets(sets, 3)
            self.verify_new_connections()
        except Exception as e:
            error = e
        finally:
            if cap is not None:
                garps = lab.stop_capture(cap)
        summaries = self.lab.stop_session_sets(sets + sets6, error)
        garps = [p for p in garps if p.src == standby.dp_mac and
                 p.psrc == VIP]
        w0, w1 = before["workers"], took_over["workers"]
        m1 = took_over["master"]
        print("    %s took over: flow_midstream %d -> %d, sync_flows_in %s,"
              " GARPs %d; seconds (not asserted): %s; notify log of %s:"
              "\n      %s" % (
                  standby.name, w0["flow_midstream"], w1["flow_midstream"],
                  m1.get("sync_flows_in"), len(garps), ", ".join(
                      "%s %.1f" % kv for kv in times.items()), standby.name,
                  standby.notify_output().strip().replace("\n", "\n      ")))
        for port, summary, started in summaries:
            failed = [s for s in summary["sessions"] if s["failed"]]
            verify(not failed, "port %d: %d of %d sessions failed across "
                   "the takeovers: %s" % (port, len(failed), len(started),
                                          failed[:5]))
            verify(len(summary["sessions"]) == len(started), "%d sessions"
                   % len(summary["sessions"]))
            verify_sessions_answered(summary, started)
            spread = servers([dict(s, ok=True) for s in started])
            verify(len(spread) >= 2, "port %d: sessions all on %s"
                   % (port, spread))
        # the survivor carried every one of the 2 * SESSIONS sessions
        # from the takeover on: each is in its tables, bound to the
        # frontend that greeted it (sessions that answer could also go
        # there statelessly, by the hash: this is the state)
        lost = sorted((k, carried.get(k), srv) for k, srv in greeted.items()
                      if carried.get(k) != {srv})
        detail = ""
        if lost:
            # what the survivor held for those client ports, unfiltered,
            # and what it held before the takeover
            ports = {k[1] for k, _, _ in lost}
            detail = "; its flows of those client ports: %s; synced " \
                "before the takeover: %s" % (held[:10], sorted(
                    (k, v) for k, v in synced.items() if k[1] in ports))
        verify(len(greeted) == 2 * SESSIONS and not lost,
               "%s carries %d of %d sessions as greeted; (port, sport), "
               "its members, greeted by: %s%s" % (
                   standby.name, len(greeted) - len(lost), len(greeted),
                   lost[:5], detail))
        # and the IPv6 ones, in its IPv6 tables
        lost6 = sorted((k, carried6.get(k), srv)
                       for k, srv in greeted6.items()
                       if carried6.get(k) != {srv})
        verify(not lost6, "%s carries %d of %d IPv6 sessions as greeted: "
               "%s" % (standby.name, len(greeted6) - len(lost6),
                       len(greeted6), lost6[:5]))
        if sync:
            print("    IPv6: %d of %d sessions synced before the takeover, "
                  "%d carried after it" % (len(synced6), len(greeted6),
                                           len(carried6)))
        # and made an entry mid-stream (no SYN: the consistent hash, or
        # a copy of a synced flow from its home worker) for every
        # session it held no synced flow of: with Maglev and no sync,
        # all 2 * SESSIONS. A synced flow whose home is the worker RSS
        # gives it needs none, hence >= only for those
        grew = w1["flow_midstream"] - w0["flow_midstream"]
        verify(grew >= 2 * SESSIONS - len(synced),
               "%s: flow_midstream grew %d over the takeover, for %d "
               "sessions of which %d were synced" % (
                   standby.name, grew, 2 * SESSIONS, len(synced)))
        return active, standby, before, took_over, synced

    @staticmethod
    def flows_of_ports(b, ports):
        """Every flow b holds from one of the client ports, in any
        state (none asked for: no call)."""
        if not ports:
            return []
        return [f for f in b.call("flows.list", {"limit": 10000})["flows"]
                if f["client_port"] in ports]

    def verify_new_connections(self):
        """New POP3 and IMAP connections through the active balancer."""
        for port in (110, 143):
            res = self.lab.connect(port, 8)
            verify(all(r["ok"] for r in res),
                   "new connections to port %d: %s"
                   % (port, [r for r in res if not r["ok"]][:3]))

    @staticmethod
    def crash(b):
        """kill -9 b's dsrlb; its keepalived stops with it (as systemd
        stops it, config/keepalived-dsrlb.service.conf). dsrlb's exit
        status."""
        rc = b.kill()
        b.stop_keepalived()
        return rc

    def come_back(self, b):
        """Start b's dsrlb again, then its keepalived (as systemd does):
        dsrlb starts standby, keepalived BACKUP (nopreempt)."""
        b.start()
        verify(not b.active(), "%s came back active" % b.name)
        self.wait_ready(b)
        b.start_keepalived(PRIORITY[b.k])
        wait_for(lambda: b.vrrp_state() == "BACKUP", "%s: keepalived BACKUP"
                 % b.name, timeout=30, interval=0.2)
        verify(not b.active(), "%s came back active" % b.name)

    def stop_active(self, keepalived_first):
        """The case: see test_stop_keepalived_first_hands_over (and
        test_stop_dsrlb_first_hands_over, keepalived_first False)."""
        from scapy.all import IP
        from scapy.layers.vrrp import VRRP
        lab = self.lab
        active, standby = self.start_pair("maglev", sync=False, hear=False)
        heard = self.vrrp_in(standby)
        sets = lab.open_session_sets(10, INTERVAL_MS)
        error = None
        caps = {}
        adverts = []
        took = log = ""
        try:
            lab.wait_session_sets(sets, 2)
            self.verify_standby_hears(standby, active, since=heard)
            caps["vrrp"] = lab.capture(lab.ns_seg, "seg", "ip proto 112")
            caps["arp"] = lab.capture(lab.ns_seg, "seg", "arp")
            # the standby's keepalived log from here on
            mark = len(standby.keepalived_output())
            if keepalived_first:
                # systemd: keepalived is After=dsrlb, so it stops (and
                # has exited) before dsrlb is sent SIGTERM
                active.stop_keepalived()
                active.send_signal(signal.SIGTERM)
            else:
                active.send_signal(signal.SIGTERM)
                active.stop_keepalived()
            rc, log = active.wait_exit()
            active.stop()
            verify(rc == 0, "%s exited %s on SIGTERM" % (active.name, rc))
            wait_for(standby.active, "%s activated by keepalived"
                     % standby.name, timeout=30, interval=0.1)
            wait_for(lambda: self.garp_seen(caps["arp"], standby.dp_mac),
                     "a gratuitous ARP for the VIP from %s" % standby.name,
                     timeout=10)
            took = standby.keepalived_output()[mark:]
            lab.wait_session_sets(sets, 3)
            self.verify_new_connections()
        except Exception as e:
            error = e
        finally:
            for name, cap in caps.items():
                pkts = lab.stop_capture(cap)
                if name == "vrrp":
                    adverts = pkts
        summaries = lab.stop_session_sets(sets, error)
        zero = [p for p in adverts if VRRP in p and
                p[IP].src == active.addr and p[VRRP].priority == 0]
        print("    %s: %d VRRP adverts on the segment, %d of priority 0 "
              "from %s; %s's keepalived:\n      %s\n    %s's dsrlb:"
              "\n      %s" % (
                  "keepalived first" if keepalived_first else "dsrlb first",
                  len(adverts), len(zero), active.name, standby.name,
                  "\n      ".join(line for line in took.splitlines()
                                   if "(dsrlb)" in line), active.name,
                  "\n      ".join(line for line in log.splitlines()
                                   if "stopping" in line or
                                   "deactivated" in line)))
        for port, summary, started in summaries:
            failed = [s for s in summary["sessions"] if s["failed"]]
            verify(not failed, "port %d: %d sessions failed across the "
                   "stop: %s" % (port, len(failed), failed[:5]))
            verify_sessions_answered(summary, started)
        # the cause: the stopping keepalived's last advert, priority 0,
        # reached the wire and the standby took over on it (after the
        # skew time), not after three adverts missed
        verify(zero, "no VRRP advert of priority 0 from %s on the segment "
               "(%d adverts captured)" % (active.name, len(adverts)))
        heard = took.find("Backup received priority 0 advertisement")
        master = took.find("Entering MASTER STATE")
        verify(0 <= heard < master,
               "%s's keepalived did not take over on a priority-0 advert:"
               "\n%s" % (standby.name, took))

    # ---- cases ----

    def test_failover_maglev(self):
        """Steps: both dsrlb start (mode vrrp: standby) with health
        checks on POP3 and IMAP, then keepalived on each; the elected
        one is active, the other has passed four of its adverts to
        dsrlb0 and stayed standby; 25 POP3 and 25 IMAP sessions through
        the active (maglev), a NOOP on each every 200 ms; capture ARP on
        the segment; kill -9 the active dsrlb (its keepalived stops with
        it, as systemd's BindsTo does); its peer's keepalived takes over
        and the hook activates dsrlb; new POP3 and IMAP connections; the
        killed dsrlb starts again, then its keepalived; then the new
        active is killed the same way, and the returned one takes over.
        Verify: exactly one active balancer, the router's ARP entry for
        the VIP is the active's MAC; after each kill the other becomes
        active and a gratuitous ARP for the VIP from its MAC is on the
        segment, and new connections work; the returned dsrlb is
        standby (status active false) with keepalived BACKUP, and passes
        the active's adverts to its kernel; every session answers every
        NOOP from the frontend that greeted it, across both takeovers.
        The standby held no flow of the sessions before the first kill;
        after it, its tables hold all 50, each bound to the frontend
        that greeted it, and flow_midstream grew by at least 50 (every
        session taken over mid-stream)."""
        self.failover("maglev", sync=False)

    def test_failover_wrr_sync(self):
        """Steps: as test_failover_maglev with the wrr scheduler and flow
        sync between the two balancers (sync id 7, each the other's
        peer), the first kill once the standby has taken synced flows
        in, the second once the returned balancer has finished its bulk
        sync (its peer's flows, asked for at start).
        Verify: as test_failover_maglev, except that before the first
        kill the standby holds synced flows of sessions (at least one,
        each bound to the frontend that greeted it, some of them to fe3
        or fe4, members by their IPv6 addresses; sync_flows_in at
        least as many) and flow_midstream grew by at least 50 less
        those; it dropped none of its peer's messages; the returned
        balancer's bulk sync is done and gave it every one of those
        synced session flows, bound to the same frontend. The wrr flows that
        Maglev would put elsewhere survive the two takeovers only so.
        IPv6 too: 8 POP3 sessions to the IPv6 VIP beside them; before the
        first kill the standby holds synced flows of some (each bound to
        the frontend that greeted it) and the router's neighbour entry
        for the IPv6 VIP is the active's MAC; after it, that entry is the
        new active's MAC (its unsolicited Neighbor Advertisement), it
        carries every IPv6 session as greeted, the bulk sync gives the
        returned one the synced IPv6 flows back, and every IPv6 session
        answers every NOOP across both takeovers."""
        active, standby, before, took, synced = self.failover("wrr",
                                                              sync=True)
        m = took["master"]
        # every synced session flow it held came in a record (this
        # dsrlb started in this case), up to 64 records a message
        verify(m["sync_flows_in"] >= len(synced) > 0 and
               m["sync_msgs_in"] >= (len(synced) + 63) // 64,
               "%s held %d synced session flows, from sync_flows_in %d, "
               "sync_msgs_in %d" % (standby.name, len(synced),
                                    m["sync_flows_in"], m["sync_msgs_in"]))
        verify(m["sync_drop_source"] == 0 and m["sync_drop_id"] == 0 and
               m["sync_drop_malformed"] == 0,
               "%s dropped its peer's sync messages: %s" % (standby.name, m))

    def test_keepalived_dies(self):
        """Steps: both dsrlb and keepalived started as in
        test_failover_maglev; 10 POP3 sessions through the active; kill
        -9 keepalived (all its processes: no hook runs) on the active
        balancer, its dsrlb left running; then keepalived started there
        again.
        Verify: the other balancer becomes active (its keepalived MASTER,
        a gratuitous ARP seen); the balancer whose keepalived died turns
        standby by itself (dsrlb's VRRP watchdog: no advert of its own
        seen leaving) so that only one is active; every session keeps
        answering; its new keepalived comes up BACKUP and its dsrlb
        stays standby, hearing the active's adverts."""
        lab = self.lab
        active, standby = self.start_pair("maglev", sync=False, hear=False)
        heard = self.vrrp_in(standby)
        proc, started = lab.start_sessions(110, 10, INTERVAL_MS)
        error = None
        try:
            verify(not [s for s in started if "error" in s],
                   "sessions not opened: %s" % started)
            lab.wait_session_rounds(started, 2)
            self.verify_standby_hears(standby, active, since=heard)
            cap = lab.capture(lab.ns_seg, "seg", "arp")
            active.kill_keepalived()
            wait_for(standby.active, "%s activated by keepalived"
                     % standby.name, timeout=30, interval=0.1)
            wait_for(lambda: self.garp_seen(cap, standby.dp_mac),
                     "a gratuitous ARP for the VIP from %s" % standby.name,
                     timeout=10)
            lab.stop_capture(cap)
            wait_for(lambda: not active.active(), "%s standby by its VRRP "
                     "watchdog" % active.name, timeout=30, interval=0.1)
            lab.wait_session_rounds(started, 3)
            self.verify_new_connections()
            active.start_keepalived(PRIORITY[active.k])
            wait_for(lambda: active.vrrp_state() == "BACKUP",
                     "%s: keepalived BACKUP" % active.name, timeout=30)
            heard = self.vrrp_in(active)
            lab.wait_session_rounds(started, 2)
            self.verify_standby_hears(active, standby, since=heard)
        except Exception as e:
            error = e
        summary = lab.stop_sessions(proc, error)
        failed = [s for s in summary["sessions"] if s["failed"]]
        verify(not failed, "%d sessions failed: %s" % (len(failed),
                                                      failed[:5]))
        verify_sessions_answered(summary, started)

    def test_stop_keepalived_first_hands_over(self):
        """Steps: both dsrlb and keepalived started as in
        test_failover_maglev; 10 POP3 and 10 IMAP sessions through the
        active; VRRP and ARP captured on the segment; the active stopped
        as systemd stops it with the shipped drop-in
        (config/keepalived-dsrlb.service.conf: keepalived is ordered
        After=dsrlb, so it stops first): SIGTERM to its keepalived, and
        once that has exited, SIGTERM to its dsrlb.
        Verify: a VRRP advert of priority 0 from the active's address
        is on the segment, and the standby's keepalived took over on it
        (its log: "Backup received priority 0 advertisement" before
        "Entering MASTER STATE"), not after the master-down interval;
        its dsrlb is active and a gratuitous ARP for the VIP from it is
        on the segment; the stopped dsrlb exited 0; every session
        answers every NOOP from the frontend that greeted it, and new
        connections work."""
        self.stop_active(keepalived_first=True)

    def test_stop_dsrlb_first_hands_over(self):
        """Steps: as test_stop_keepalived_first_hands_over, but SIGTERM
        to the active's dsrlb first and to its keepalived right after
        (no ordering: both stopped at once, as at a shutdown without the
        drop-in, or dsrlb stopped by hand).
        Verify: as test_stop_keepalived_first_hands_over: dsrlb, still
        active, goes on forwarding for its grace
        (high_availability.shutdown_grace_ms), so keepalived's
        priority-0 advert leaves through it and the standby takes over
        on it; every session answers. Before, dsrlb stopped its workers
        at once: the advert never left, and the standby took over only
        when the master-down interval ran out."""
        self.stop_active(keepalived_first=False)

    def test_data_link_down_hands_over(self):
        """Steps: both dsrlb and keepalived started as in
        test_failover_maglev (each dsrlb with a track_file, keepalived
        tracking it as shipped); 10 POP3 sessions through the active;
        the carrier of the active's data port (its TAP) turned off, as
        a pulled cable; later on again.
        Verify: with the link down, the old active's status shows
        ports[0].link up false (one change), its dsrlb0 has no carrier,
        its track file says 1, its keepalived is FAULT (its log shows
        both: the tracked file and dsrlb0 down) and the hook made dsrlb
        standby (dsrlbctl status says link DOWN, standby); the peer becomes active (keepalived MASTER, a
        gratuitous ARP for the VIP), new connections work through it
        and every session keeps answering. With the link back: link up
        (two changes), dsrlb0's carrier on, the track file 0, keepalived
        BACKUP (nopreempt) and dsrlb standby, hearing the new active's
        adverts, which stays active; the sessions still answer. Before,
        dsrlb saw no link: the old active stayed active and its
        keepalived MASTER (its own adverts went out into nothing), and
        when the link came back the two MASTERs met and the one of lower
        priority gave way, whichever had the connections."""
        lab = self.lab
        active, standby = self.start_pair("maglev", sync=False, hear=False)
        heard = self.vrrp_in(standby)
        for b in lab.lbs:
            verify(b.track_value() == "0" and b.kif_carrier() and
                   b.port_link()["up"] and b.port_link()["changes"] == 0,
                   "%s at start: track file %r, dsrlb0 carrier %s, link %s"
                   % (b.name, b.track_value(), b.kif_carrier(),
                      b.port_link()))
        proc, started = lab.start_sessions(110, 10, INTERVAL_MS)
        error = None
        cable_out = False
        cap = None
        try:
            verify(not [s for s in started if "error" in s],
                   "sessions not opened: %s" % started)
            lab.wait_session_rounds(started, 2)
            self.verify_standby_hears(standby, active, since=heard)
            cap = lab.capture(lab.ns_seg, "seg", "arp")
            active.set_carrier(False)
            cable_out = True
            wait_for(lambda: not active.port_link()["up"],
                     "%s: its link seen down" % active.name, timeout=10,
                     interval=0.1)
            wait_for(lambda: active.vrrp_state() == "FAULT",
                     "%s: keepalived FAULT" % active.name, timeout=30,
                     interval=0.1)
            wait_for(lambda: not active.active(), "%s standby (the FAULT "
                     "hook)" % active.name, timeout=30, interval=0.1)
            wait_for(standby.active, "%s activated by keepalived"
                     % standby.name, timeout=30, interval=0.1)
            wait_for(lambda: self.garp_seen(cap, standby.dp_mac),
                     "a gratuitous ARP for the VIP from %s" % standby.name,
                     timeout=10)
            lab.stop_capture(cap)
            cap = None
            link = active.port_link()
            verify(link["changes"] == 1 and not active.kif_carrier() and
                   active.track_value() == "1",
                   "%s with its link down: link %s, dsrlb0 carrier %s, "
                   "track file %r" % (active.name, link,
                                      active.kif_carrier(),
                                      active.track_value()))
            # keepalived went FAULT by both: the track file, and dsrlb0
            # losing its carrier
            wait_for(lambda: "tracked file dsrlb_links now FAULT" in
                     active.keepalived_output() and
                     "Netlink reports dsrlb0 down" in
                     active.keepalived_output(),
                     "%s: keepalived saw the track file and dsrlb0 go down"
                     % active.name, timeout=10, interval=0.1)
            shown = active.dsrlbctl("status")
            verify("link DOWN" in shown and "standby" in shown,
                   "dsrlbctl status:\n%s" % shown)
            lab.wait_session_rounds(started, 3)
            self.verify_new_connections()
            # the cable back: the old active stays standby
            active.set_carrier(True)
            cable_out = False
            wait_for(lambda: active.port_link()["up"], "%s: its link seen "
                     "up" % active.name, timeout=10, interval=0.1)
            wait_for(lambda: active.vrrp_state() == "BACKUP",
                     "%s: keepalived BACKUP" % active.name, timeout=30,
                     interval=0.1)
            heard = self.vrrp_in(active)
            link = active.port_link()
            verify(link["changes"] == 2 and active.kif_carrier() and
                   active.track_value() == "0",
                   "%s with its link back: link %s, dsrlb0 carrier %s, "
                   "track file %r" % (active.name, link,
                                      active.kif_carrier(),
                                      active.track_value()))
            lab.wait_session_rounds(started, 2)
            self.verify_standby_hears(active, standby, since=heard)
            verify(not active.active() and standby.active(),
                   "after the link came back: %s active %s, %s active %s"
                   % (active.name, active.active(), standby.name,
                      standby.active()))
            self.verify_new_connections()
        except Exception as e:
            error = e
        finally:
            if cap is not None:
                lab.stop_capture(cap)
            if cable_out:
                active.set_carrier(True)
        summary = lab.stop_sessions(proc, error)
        failed = [s for s in summary["sessions"] if s["failed"]]
        verify(not failed, "%d sessions failed: %s" % (len(failed),
                                                      failed[:5]))
        verify_sessions_answered(summary, started)
        print("    notify log of %s:\n      %s" % (
            active.name, active.notify_output().strip().replace(
                "\n", "\n      ")))

    def test_junk_adverts_cause_no_takeover(self):
        """Steps: the pair with flow sync (each the other's peer), active
        and standby settled; from a host on the segment, 5 s of VRRP
        adverts (another VRID, TTL 255, to 224.0.0.18) from random
        sources of the segment at 20,000 a second: what every balancer
        on the segment receives.
        Verify: throughout, the active stays active and the standby
        standby (polled every 0.2 s); afterwards the standby still hears
        the active's adverts; the junk was policed (drop_vrrp) while
        every advert of the peer passed in its own bucket (vrrp_peer_in
        grew by about one a second). Before the per-peer buckets, one
        bucket of 200 a second per worker took the junk and the active's
        adverts alike: the standby's keepalived missed them and took
        over, and both answered for the VIP."""
        lab = self.lab
        active, standby = self.start_pair("maglev", sync=True)
        st0 = standby.stats()["workers"]
        atk = add_attacker(lab)
        flips = []
        try:
            args = ["--src", "198.51.100.0/24", "--dst", VIP, "--pps",
                    20000, "--count", 100000]
            for b in lab.lbs:
                args += ["--exclude", b.addr]
            f = flood(atk, "eth0", "ff:ff:ff:ff:ff:ff", "vrrp", *args)
            while f.poll() is None:
                if not active.active() or standby.active():
                    flips.append({b.name: b.active() for b in lab.lbs})
                time.sleep(0.2)
            summary = finish_flood(f)
        finally:
            remove_namespace(atk)
        st1 = standby.stats()["workers"]
        print("    %d junk adverts in %.1fs; the standby: drop_vrrp +%d, "
              "vrrp_peer_in +%d" % (
                  summary["sent"], summary["seconds"],
                  st1["drop_vrrp"] - st0["drop_vrrp"],
                  st1.get("vrrp_peer_in", 0) - st0.get("vrrp_peer_in", 0)))
        verify(not flips, "the pair changed under the junk: %s" % flips[:3])
        verify(st1["drop_vrrp"] - st0["drop_vrrp"] > 0,
               "the junk was not policed")
        self.verify_standby_hears(standby, active)
        verify(st1["vrrp_peer_in"] - st0["vrrp_peer_in"] >=
               int(summary["seconds"]) - 1,
               "the active's adverts did not all pass: vrrp_peer_in +%d in "
               "%.1f s" % (st1["vrrp_peer_in"] - st0["vrrp_peer_in"],
                           summary["seconds"]))

    def test_sync_forged(self):
        """Steps: both balancers in mode vrrp with flow sync (the lab's
        key), no keepalived; once their bulk sync is over, sync messages
        to balancer 1 (UDP 8848) each about one flow of client
        203.0.113.99: from 198.51.100.50 (not a peer); from the peer's
        address and MAC at TTL 254; with sync id 8; truncated; signed
        with another key; signed as key id 9, which no one holds; from
        the peer's address but another MAC (the router's namespace);
        then the right message from the peer's address and MAC, and the
        same message again (a replay).
        Verify: each forged one is dropped and counted once under its
        own counter (sync_drop_source twice, sync_drop_id,
        sync_drop_malformed, sync_drop_auth, sync_drop_key,
        sync_drop_mac_address), none is accepted (sync_msgs_in and
        sync_flows_in unchanged) and the flow is not installed; the
        right one is accepted and its flow installed, learned from the
        peer ("origin": "peer"), bound to the member it named; its
        replay is dropped (sync_drop_replay +1) and changes nothing.
        Then a FLOWS6 message from the peer: an IPv4 flow to fe3 and an
        IPv6 flow to fe4, each naming its member by its IPv6 address,
        and an IPv4 flow to an address no member has: the first two are
        installed (in the tables of their family) bound to fe3 and fe4,
        the third counted sync_unknown; a FLOWS6 message whose flow has
        an IPv4-mapped client and the IPv6 VIP is dropped whole
        (sync_drop_malformed) and installs nothing."""
        from scapy.all import Ether, IP, UDP
        lab = self.lab
        for b, cfg in zip(lab.lbs, self.configs("wrr", sync=True)):
            b.start(cfg)
        target, peer = lab.lbs
        for b in lab.lbs:
            b.wait_resolved()
        # the start-up bulk sync between the two is over
        wait_for(lambda: all((b.ha_status().get("sync") or {}).get("bulk") !=
                             "waiting" for b in lab.lbs),
                 "bulk sync done", timeout=30)
        record = (1, 6, 1, FORGED_CLIENT, VIP, 40001, 110, lab.fe_addr(2),
                  60000)

        def frame(src, payload, mac=FAKE_MAC, ttl=255):
            return (Ether(src=mac, dst=target.dp_mac) /
                    IP(src=src, dst=target.addr, ttl=ttl) /
                    UDP(sport=SYNC_PORT, dport=SYNC_PORT) / payload)

        def forged_flows():
            return target.call("flows.list", {"client": FORGED_CLIENT})[
                "flows"]

        def send(fr, counter, ns=lab.ns_router, iface="seg0"):
            base = target.stats()["master"]
            lab.send_frames(ns, iface, [fr], wait=0)
            m = target.wait_stats_master(counter, base)
            return base, m

        # from the peer's own namespace, on its segment link (not its
        # bridge): the segment sees the peer's MAC where it is
        from_peer = {"ns": peer.ns, "iface": "up0"}
        good = lab.sync_message(records=[record])
        other_key = bytes(range(32))
        cases = [
            ("a non-peer source", frame(STRANGER, good), "sync_drop_source",
             {}),
            ("TTL 254", frame(peer.addr, good, mac=peer.dp_mac, ttl=254),
             "sync_drop_source", from_peer),
            ("another sync id", frame(peer.addr, lab.sync_message(
                records=[record], sync_id=SYNC_ID + 1), mac=peer.dp_mac),
             "sync_drop_id", from_peer),
            ("a truncated message", frame(peer.addr, good[:-3],
                                          mac=peer.dp_mac),
             "sync_drop_malformed", from_peer),
            ("another key", frame(peer.addr, lab.sync_message(
                records=[record], key=other_key), mac=peer.dp_mac),
             "sync_drop_auth", from_peer),
            ("a key id no one holds", frame(peer.addr, lab.sync_message(
                records=[record], key=other_key, key_id=9),
                mac=peer.dp_mac), "sync_drop_key", from_peer),
            ("the peer's address from another MAC", frame(peer.addr, good),
             "sync_drop_mac_address", {}),
        ]
        for what, fr, counter, where in cases:
            base, m = send(fr, counter, **where)
            # one forged frame, one drop: the peer itself is silent (no
            # flows, the bulk sync over)
            verify(m[counter] == base[counter] + 1, "%s: %s went %d -> %d "
                   "for one message" % (what, counter, base[counter],
                                        m[counter]))
            for k in ("sync_msgs_in", "sync_flows_in"):
                verify(m[k] == base[k], "%s: %s went %d -> %d" % (
                    what, k, base[k], m[k]))
            verify(not forged_flows(), "%s: the flow was installed: %s"
                   % (what, forged_flows()))
            print("    %s: %s %d -> %d" % (what, counter, base[counter],
                                           m[counter]))
        # the path itself works: from the peer, signed, fresh
        right = frame(peer.addr, good, mac=peer.dp_mac)
        send(right, "sync_msgs_in", **from_peer)
        fl = wait_for(forged_flows, "the synced flow installed", timeout=10)
        verify(len(fl) == 1 and fl[0]["member"] == "fe2" and
               fl[0]["client_port"] == 40001 and fl[0]["port"] == 110 and
               fl[0].get("origin") == "peer",
               "synced flow: %s" % fl)
        # and only once
        base, m = send(right, "sync_drop_replay", **from_peer)
        verify(m["sync_drop_replay"] == base["sync_drop_replay"] + 1 and
               m["sync_msgs_in"] == base["sync_msgs_in"],
               "the replay: %s" % {k: (base[k], m[k]) for k in (
                   "sync_drop_replay", "sync_msgs_in")})
        print("    the replay: sync_drop_replay %d -> %d" % (
            base["sync_drop_replay"], m["sync_drop_replay"]))
        if not lab.ipv6_members:
            return
        # FLOWS6: members named by their IPv6 addresses, flows of both
        # families
        def flows6():
            return target.call("flows.list", {"client": FORGED_CLIENT6})[
                "flows"]
        six = lab.sync_message(mtype=4, records=[
            (1, 6, 1, FORGED_CLIENT, VIP, 40002, 110, lab.fe_addr6(3),
             60000),
            (1, 6, 1, FORGED_CLIENT6, VIP6, 40003, 110, lab.fe_addr6(4),
             60000),
            (1, 6, 1, FORGED_CLIENT, VIP, 40004, 110, NO_MEMBER6, 60000)])
        base, m = send(frame(peer.addr, six, mac=peer.dp_mac),
                       "sync_msgs_in", **from_peer)
        verify(m["sync_flows_in"] == base["sync_flows_in"] + 3 and
               m["sync_unknown"] == base["sync_unknown"] + 1,
               "FLOWS6: %s" % {k: (base[k], m[k]) for k in (
                   "sync_flows_in", "sync_unknown")})
        fl = wait_for(lambda: [f for f in forged_flows()
                               if f["client_port"] != 40001],
                      "the IPv4 flow of the FLOWS6 message", timeout=10)
        verify(len(fl) == 1 and fl[0]["member"] == "fe3" and
               fl[0]["client_port"] == 40002 and
               fl[0].get("origin") == "peer",
               "the IPv4 flow to fe3 by its IPv6 address: %s" % fl)
        fl = wait_for(flows6, "the IPv6 flow of the FLOWS6 message",
                      timeout=10)
        verify(len(fl) == 1 and fl[0]["member"] == "fe4" and
               fl[0]["client_port"] == 40003 and
               fl[0].get("origin") == "peer",
               "the IPv6 flow to fe4 by its IPv6 address: %s" % fl)
        # a client of the other family than its VIP: malformed
        mixed = lab.sync_message(mtype=4, records=[
            (1, 6, 1, "::ffff:" + FORGED_CLIENT, VIP6, 40005, 110,
             lab.fe_addr6(3), 60000)])
        base, m = send(frame(peer.addr, mixed, mac=peer.dp_mac),
                       "sync_drop_malformed", **from_peer)
        verify(m["sync_drop_malformed"] == base["sync_drop_malformed"] + 1
               and m["sync_flows_in"] == base["sync_flows_in"] and
               len(forged_flows()) == 2 and len(flows6()) == 1,
               "the mixed record: %s; flows %s %s" % (
                   {k: (base[k], m[k]) for k in (
                       "sync_drop_malformed", "sync_flows_in")},
                   forged_flows(), flows6()))
        print("    FLOWS6: IPv4 flow to fe3, IPv6 flow to fe4 installed, "
              "an unknown member and a mixed record counted")

    def test_sync_forged_bulk_end_at_start(self):
        """Steps: balancer 1 alone with flow sync and bulk_wait_ms 20 s
        (its peer is not running: no genuine answer comes), told to
        activate; a BULK_END from the peer's address and MAC signed with
        another key; one signed with the group's key for another
        request (an old answer replayed: not our request's nonce).
        Verify: both are dropped and counted (sync_drop_auth,
        sync_drop_bulk_end); the balancer still waits for the bulk sync
        (status sync.bulk "waiting", activation pending, not active)."""
        from scapy.all import Ether, IP, UDP
        lab = self.lab
        target, peer = lab.lbs
        cfg = self.configs("wrr", sync=True)[0]
        cfg["high_availability"]["sync"]["bulk_wait_ms"] = 20000
        target.start(cfg)
        target.wait_resolved()
        target.call("activate")
        st = target.ha_status().get("sync") or {}
        verify(st.get("bulk") == "waiting" and st.get("activate_pending"),
               "the bulk sync is not awaited: %s" % st)
        # the peer's MAC as ARP will find it: the peer's segment link
        # answers for the peer's address while its dsrlb is down
        lab.ns(peer.ns, "ip", "addr", "add", peer.addr + "/24", "dev",
               "br0")
        try:
            cases = [
                ("a BULK_END with another key", lab.sync_message(
                    mtype=3, nonce=1, key=bytes(range(32))),
                 "sync_drop_auth"),
                ("a BULK_END for another request", lab.sync_message(
                    mtype=3, nonce=0x1234), "sync_drop_bulk_end"),
            ]
            for what, payload, counter in cases:
                fr = (Ether(src=peer.bridge_mac, dst=target.dp_mac) /
                      IP(src=peer.addr, dst=target.addr, ttl=255) /
                      UDP(sport=SYNC_PORT, dport=SYNC_PORT) / payload)
                base = target.stats()["master"]
                deadline = time.monotonic() + 15
                # until the peer's MAC is resolved, the MAC check drops
                # it first: send again until it reaches the sync socket
                while True:
                    lab.send_frames(peer.ns, "up0", [fr], wait=0)
                    try:
                        m = target.wait_stats_master(counter, base,
                                                     timeout=2)
                        break
                    except TestFailure:
                        if time.monotonic() > deadline:
                            raise
                verify(m["sync_msgs_in"] == base["sync_msgs_in"] or
                       counter == "sync_drop_bulk_end",
                       "%s accepted" % what)
                st = target.ha_status().get("sync") or {}
                verify(st.get("bulk") == "waiting" and
                       not target.active(),
                       "%s: the balancer stopped waiting: %s, active %s"
                       % (what, st, target.active()))
                print("    %s: %s %d -> %d, still waiting" % (
                    what, counter, base[counter], m[counter]))
        finally:
            lab.ns(peer.ns, "ip", "addr", "del", peer.addr + "/24", "dev",
                   "br0", check=False)

