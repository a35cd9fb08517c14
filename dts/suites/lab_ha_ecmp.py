# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Active/active with BGP and ECMP in the namespace lab (issue 8): two
balancers in mode ecmp, BIRD with the shipped configuration on each and
on the router (multipath, BFD); a balancer is killed, or stopped, under
open sessions. The lab is dual stack: the IPv6 VIP is announced as a
/128 by each balancer's IPv6 next hop (high_availability.next_hop6)."""

import copy
import signal
import time

from framework import TestSuite, verify, wait_for
from halab import HaLab, ANNOUNCE_TABLE, VIP, session_servers
from hostile import SPOOFED, finish_flood, flood
from labnet import VIP6, verify_sessions_answered, servers

SESSIONS = 50           # POP3, and as many IMAP: 100 sessions
SESSIONS6 = 10          # POP3 over IPv6, beside them
# the own-address flood: twice what the policers let through in all
FLOOD_PPS = 40000
FLOOD = 160000
INTERVAL_MS = 250


class LabHaEcmp(TestSuite):
    """Two dsrlb in mode "ecmp" on one segment, each with BIRD (shipped
    config/bird-balancer.conf) announcing the VIP /32 that dsrlb puts in
    kernel table 25716; BIRD on the router (shipped
    config/bird-router.conf: dynamic BGP, merge paths, BFD) with the L4
    multipath hash. The VIP is reachable only through BGP: dsrlb answers
    no ARP for it in mode ecmp (the router's connected /24 would
    otherwise ARP for it)."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = HaLab(n_balancers=2, ipv6=True)
        self.lab.build()
        self.lab.start_router_bird()
        for b in self.lab.lbs:
            # balancer 2 keeps the default grace: test_g stops it
            b.start(self.lab.balancer_config(b, ha=self.ha(
                grace=b is self.lab.lbs[1])))
        for b in self.lab.lbs:
            b.start_bird()
        for b in self.lab.lbs:
            self.wait_announcing(b)
        self.wait_all_next_hops(self.lab.lbs)

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "a dsrlb exited %s on SIGTERM" % rc)

    # ---- helpers ----

    @staticmethod
    def ha(grace=False, **kw):
        """high_availability: mode ecmp and kw, with no shutdown grace
        unless grace. Only test_g tests the graceful stop; any other
        stop of an active balancer (test_h's restart, the tear-down)
        would wait out the default 3 s for nothing."""
        ha = dict(mode="ecmp", **kw)
        if not grace:
            ha["shutdown_grace_ms"] = 0
        return ha

    def wait_announcing(self, b):
        """dsrlb is active, every member resolved, and its VIP routes
        are in table 25716, the IPv4 VIP's /32 and the IPv6 VIP's /128
        (status lists both as announced)."""
        b.wait_resolved()
        verify(b.active(), "%s not active (mode ecmp starts active)"
               % b.name)

        def announced(vip, family):
            routes = [r for r in b.announced(family) if r.get("dst") == vip]
            return routes and routes[0].get("dev") == "dsrlb0" and routes
        for vip, family in ((VIP, 4), (VIP6, 6)):
            wait_for(lambda: announced(vip, family),
                     "%s: %s dev dsrlb0 in table %d" % (
                         b.name, vip, ANNOUNCE_TABLE), timeout=30)
        ha = b.ha_status()
        verify(ha.get("mode") == "ecmp" and VIP in ha.get("announced", [])
               and VIP6 in ha.get("announced", []),
               "%s: status high_availability %s" % (b.name, ha))

    def wait_all_next_hops(self, lbs):
        """The router routes the IPv4 VIP by the balancers lbs' own
        addresses, the IPv6 VIP by their IPv6 next hops."""
        self.lab.wait_next_hops([b.addr for b in lbs])
        self.lab.wait_next_hops([b.addr6 for b in lbs], vip=VIP6)

    @staticmethod
    def wait_bulk_sync(b):
        """With flow sync, a starting balancer stays standby (announces
        nothing) until its peers' flows are in or bulk_wait_ms passed."""
        wait_for(lambda: (b.ha_status().get("sync") or {}).get("bulk") not in
                 (None, "waiting"), "%s: its bulk sync over" % b.name,
                 timeout=30)

    def flow_new(self):
        return {b.name: b.stats()["workers"]["flow_new"]
                for b in self.lab.lbs}

    def verify_sessions(self, summaries):
        for port, summary, started in summaries:
            failed = [s for s in summary["sessions"] if s["failed"]]
            verify(not failed, "port %d: %d of %d sessions failed: %s"
                   % (port, len(failed), SESSIONS, failed[:5]))
            verify(len(summary["sessions"]) == SESSIONS, "%d sessions"
                   % len(summary["sessions"]))
            verify_sessions_answered(summary, started)

    def kill_and_return(self, victim, config=None):
        """The case: see test_b_kill_one_balancer. The victim comes back
        with config (default: the one it ran with)."""
        lab = self.lab
        others = [b for b in lab.lbs if b is not victim]
        self.wait_all_next_hops(lab.lbs)
        base = self.flow_new()
        sets = self.lab.open_session_sets(SESSIONS, INTERVAL_MS)
        # IPv6 sessions beside them, through the /128's next hops
        p6, started6 = lab.start_sessions(110, SESSIONS6, INTERVAL_MS,
                                          addr=VIP6)
        sets6 = [(110, p6, started6)]
        verify(not [s for s in started6 if "error" in s],
               "IPv6 sessions not opened: %s" % started6[:3])
        error = None
        try:
            self.lab.wait_session_sets(sets, 2)
            opened = self.flow_new()
            spread = {n: opened[n] - base[n] for n in opened}
            greeted = session_servers(sets)
            held = {b.name: b.session_flows(sets) for b in lab.lbs}
            # each of the 2 * SESSIONS sessions is in exactly one
            # balancer's table (the router's L4 hash picks one, there is
            # no sync), bound to the frontend that greeted it; each
            # balancer holds some (the spread) and made new flows
            where = {}
            for name, fl in held.items():
                for k, members in fl.items():
                    where.setdefault(k, []).append((name, members))
            odd = sorted((k, where.get(k), srv) for k, srv in greeted.items()
                         if [m for _, m in where.get(k, [])] != [{srv}])
            verify(len(greeted) == 2 * SESSIONS and not odd,
                   "sessions not in exactly one balancer bound to the "
                   "frontend that greeted them ((port, sport), where, "
                   "greeted by): %d of %d: %s" % (len(odd), len(greeted),
                                                   odd[:5]))
            verify(all(held[n] and spread[n] > 0 for n in spread),
                   "sessions did not spread over the balancers: sessions "
                   "held %s, new flows %s" % (
                       {n: len(v) for n, v in held.items()}, spread))
            on_victim = held[victim.name]
            mid0 = {b.name: b.stats()["workers"]["flow_midstream"]
                    for b in others}
            t0 = time.monotonic()
            rc = victim.kill()
            verify(rc == -signal.SIGKILL, "%s exited %s, not killed"
                   % (victim.name, rc))
            # BFD (or the hold timer) drops the session: one next hop less,
            # for the /32 and the /128 alike
            self.wait_all_next_hops(others)
            times = {"withdrawn": time.monotonic() - t0}
            proto = lab.router_birdc("show", "route", "for", VIP, "all")
            verify(victim.addr not in proto, "the router's BIRD still has "
                   "a route via %s:\n%s" % (victim.addr, proto))
            proto = lab.router_birdc("show", "route", "for", VIP6, "all")
            verify(victim.addr6 not in proto and
                   all(b.addr6 in proto for b in others),
                   "the router's BIRD for %s after the kill:\n%s"
                   % (VIP6, proto))
            self.lab.wait_session_sets(sets, 3)
            took = {b.name: b.stats()["workers"]["flow_midstream"] -
                    mid0[b.name] for b in others}
            # every session the victim held moved to the others, which
            # had no entry for it: one mid-stream entry each at least
            # (>=: a stray late packet of an ended connection makes one
            # too); and they now hold every session, as greeted
            verify(sum(took.values()) >= len(on_victim),
                   "%d sessions were on %s, flow_midstream grew %s" % (
                       len(on_victim), victim.name, took))
            now = {}
            for b in others:
                for k, members in b.session_flows(sets).items():
                    now.setdefault(k, set()).update(members)
            lost = sorted((k, now.get(k), srv) for k, srv in greeted.items()
                          if now.get(k) != {srv})
            verify(not lost, "%s do not hold %d of %d sessions as greeted "
                   "((port, sport), members, greeted by): %s" % (
                       [b.name for b in others], len(lost), len(greeted),
                       lost[:5]))
            # back: the same dsrlb, announcing again through its BIRD
            t0 = time.monotonic()
            victim.start(config)
            times["started"] = time.monotonic() - t0
            self.wait_announcing(victim)
            times["announcing"] = time.monotonic() - t0
            self.wait_all_next_hops(lab.lbs)
            times["next hop back"] = time.monotonic() - t0
            # and BFD with it again: BIRD's BFD binds to the address of
            # the new dsrlb0 as it comes up (before dsrlb gave the
            # address before the link, 8 restarts in 12 left it down)
            self.wait_bfd_up()
            self.lab.wait_session_sets(sets, 3)
        except Exception as e:
            error = e
        summaries = self.lab.stop_session_sets(sets + sets6, error)
        self.verify_sessions(summaries[:-1])
        # the IPv6 sessions too, across the kill and the return (Maglev
        # puts each back on its member on whichever balancer gets it)
        _, summary6, _ = summaries[-1]
        failed6 = [s for s in summary6["sessions"] if s["failed"]]
        verify(not failed6 and len(summary6["sessions"]) == SESSIONS6,
               "IPv6: %d of %d sessions failed: %s" % (
                   len(failed6), len(summary6["sessions"]), failed6[:5]))
        verify_sessions_answered(summary6, started6)
        summaries = summaries[:-1]
        print("    new flows per balancer %s; taken over mid-stream %s; "
              "seconds (not asserted): %s" % (spread, took, ", ".join(
                  "%s %.1f" % kv for kv in times.items())))
        return summaries

    # ---- cases ----

    def test_a_spread(self):
        """Steps: 40 POP3 connections from the client, one at a time,
        each from a new source port.
        Verify: every one is served; both balancers created flows for
        them (flow_new grew on each: the router spreads by the L4
        hash; by at least 40 in all); the router's route for the VIP
        has both balancers as next hops. Then the same over IPv6: the
        router's BIRD has the IPv6 VIP's /128 from both balancers and its
        kernel route both IPv6 next hops; 40 connections to the IPv6 VIP
        are all served, by more than one frontend, and made new flows on
        both balancers."""
        lab = self.lab
        verify(lab.vip_next_hops() == sorted(b.addr for b in lab.lbs),
               "next hops %s" % lab.vip_next_hops())
        base = self.flow_new()
        res = lab.connect(110, 40)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d of 40 connections failed: %s" % (len(bad),
                                                              bad[:3]))
        now = self.flow_new()
        spread = {n: now[n] - base[n] for n in now}
        print("    new flows per balancer %s, servers %s"
              % (spread, servers(res)))
        # each connection is a new flow on one balancer (a connect the
        # client retried is one more): 40 in all, on both
        verify(all(v > 0 for v in spread.values()) and
               sum(spread.values()) >= 40,
               "40 connections made new flows %s on the balancers" % spread)
        # IPv6: the router's BIRD learned the /128 from both balancers,
        # its kernel route has both IPv6 next hops (multipath), and 40
        # connections to the IPv6 VIP spread over both and reach the
        # frontends
        proto = lab.router_birdc("show", "route", "for", VIP6, "all")
        verify(all(b.addr6 in proto for b in lab.lbs),
               "the router's BIRD for %s:\n%s" % (VIP6, proto))
        verify(lab.vip_next_hops(VIP6) == sorted(b.addr6 for b in lab.lbs),
               "next hops for %s: %s" % (VIP6, lab.vip_next_hops(VIP6)))
        base = self.flow_new()
        res = lab.connect(110, 40, addr=VIP6)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "IPv6: %d of 40 connections failed: %s" % (
            len(bad), bad[:3]))
        now = self.flow_new()
        spread = {n: now[n] - base[n] for n in now}
        print("    IPv6: new flows per balancer %s, servers %s"
              % (spread, servers(res)))
        verify(all(v > 0 for v in spread.values()) and
               sum(spread.values()) >= 40 and len(servers(res)) >= 2,
               "40 IPv6 connections made new flows %s on the balancers, "
               "servers %s" % (spread, servers(res)))

    def test_b_kill_one_balancer(self):
        """Steps: 50 POP3 and 50 IMAP sessions (maglev), a NOOP on each
        every 250 ms; kill -9 balancer 2; then start it again.
        Verify: the sessions spread over both balancers: each of the 100
        is in exactly one balancer's flow table (flows.list), bound to
        the frontend that greeted it, and both hold some; after the kill,
        the router's kernel route for the VIP has one next hop less and
        its BIRD no route via the killed balancer; the other balancer
        takes over mid-stream every session the killed one held
        (flow_midstream grew by at least that many) and then holds all
        100, as greeted; every session answers every
        NOOP, from the frontend that greeted it, across the kill and
        the return (which puts the balancer back as a next hop). IPv6
        beside it: 10 POP3 sessions to the IPv6 VIP; after the kill the
        router's route for the IPv6 VIP has the other balancer's IPv6 next
        hop only and its BIRD no route by the killed one's; back after the
        return; every IPv6 session answers every NOOP throughout."""
        self.kill_and_return(self.lab.lbs[1])

    def test_c_member_add_orders(self):
        """Steps: two more frontends (fe5, fe6) are built; member.add
        puts them into balancer 1 as fe5 then fe6, into balancer 2 as
        fe6 then fe5 (dsrlbctl add-member); then as
        test_b_kill_one_balancer, killing balancer 1.
        Verify: both balancers list both new members, resolved; the
        sessions reach the new members too; every session survives the
        kill and the return: the two balancers built the same Maglev
        tables from different histories, so a session moved from one to
        the other reaches the same member."""
        lab = self.lab
        b1, b2 = lab.lbs
        new = [lab.add_frontend(), lab.add_frontend()]
        names = ["fe%d" % i for i in new]
        for b, order in ((b1, new), (b2, list(reversed(new)))):
            for i in order:
                b.dsrlbctl("add-member", "fe%d" % i, lab.fe_addr(i))
        for b in lab.lbs:
            ms = {m["name"]: m for m in b.wait_resolved()}
            verify(all(n in ms for n in names), "%s members %s"
                   % (b.name, sorted(ms)))
        # b1 comes back with them in its configuration file (fe6 first)
        cfg = copy.deepcopy(b1.config)
        cfg["members"] += [{"name": "fe%d" % i, "address": lab.fe_addr(i)}
                           for i in reversed(new)]
        summaries = self.kill_and_return(b1, cfg)
        reached = set()
        for _, _, started in summaries:
            reached |= {s["server"] for s in started}
        verify(reached & set(names), "no session reached %s: %s"
               % (names, sorted(reached)))

    def test_d_withdraw_on_deactivate_and_no_member(self):
        """Steps: dsrlbctl deactivate on balancer 2, then activate; then
        every member of balancer 2 disabled (dsrlbctl disable), then
        enabled again. New connections meanwhile.
        Verify: deactivated, balancer 2 has no route in table 25716 (the
        IPv6 VIP's /128 gone too) and the router's routes for the VIPs
        have balancer 1 only; activated, both again; with no usable member the route is withdrawn the same
        way, and back once a member is; connections keep working through
        balancer 1 while balancer 2 is out."""
        lab = self.lab
        b1, b2 = lab.lbs

        def out_and_back(leave, come_back, what):
            leave()
            # the IPv6 VIP's /128 by the same rules as the /32
            for vip, family in ((VIP, 4), (VIP6, 6)):
                wait_for(lambda: not [r for r in b2.announced(family)
                                      if r.get("dst") == vip],
                         "%s: %s: its route for %s gone from table %d"
                         % (b2.name, what, vip, ANNOUNCE_TABLE), timeout=30)
            self.wait_all_next_hops([b1])
            res = lab.connect(110, 10)
            verify(all(r["ok"] for r in res), "%s: connections failed: %s"
                   % (what, [r for r in res if not r["ok"]][:3]))
            come_back()
            self.wait_announcing(b2)
            self.wait_all_next_hops(lab.lbs)

        self.wait_all_next_hops(lab.lbs)
        out_and_back(lambda: b2.dsrlbctl("deactivate"),
                     lambda: b2.dsrlbctl("activate"), "deactivated")
        members = [m["name"] for m in b2.call("members.list")]
        out_and_back(lambda: [b2.dsrlbctl("disable", m) for m in members],
                     lambda: [b2.dsrlbctl("enable", m) for m in members],
                     "every member disabled")

    def test_f_link_down_withdraws(self):
        """Steps: both balancers announcing; the carrier of balancer 2's
        data port (its TAP) turned off, as a pulled cable; new
        connections; the carrier on again; new connections.
        Verify: with the link down, balancer 2's status shows ports[0]
        link up false, its dsrlb0 has no carrier, it withdrew its VIP
        route from table 25716 (status announced empty) and the router's
        route for the VIP has balancer 1 only; it stays active (mode
        ecmp: withdrawn, not deactivated); connections work through
        balancer 1. With the link back, balancer 2 announces again, the
        router has both next hops and both BFD sessions are up, and
        connections work. Before, dsrlb kept its route in the table with
        its link down (BFD alone took the router's next hop away) and
        dsrlb0 kept its carrier."""
        lab = self.lab
        b1, b2 = lab.lbs
        both = [b1.addr, b2.addr]
        lab.wait_next_hops(both)
        self.wait_bfd_up()
        changes = b2.port_link()["changes"]
        cable_out = True
        b2.set_carrier(False)
        try:
            wait_for(lambda: not b2.port_link()["up"], "%s: its link seen "
                     "down" % b2.name, timeout=10, interval=0.1)
            wait_for(lambda: not [r for r in b2.announced()
                                  if r.get("dst") == VIP],
                     "%s: its route gone from table %d" % (
                         b2.name, ANNOUNCE_TABLE), timeout=10)
            lab.wait_next_hops([b1.addr])
            st = b2.status()
            verify(st["active"] and
                   st["high_availability"].get("announced") == [] and
                   st["ports"][0]["link"]["changes"] == changes + 1 and
                   not b2.kif_carrier(),
                   "%s with its link down: active %s, announced %s, link "
                   "%s, dsrlb0 carrier %s" % (
                       b2.name, st["active"],
                       st["high_availability"].get("announced"),
                       st["ports"][0]["link"], b2.kif_carrier()))
            res = lab.connect(110, 10)
            verify(all(r["ok"] for r in res), "connections with %s's link "
                   "down: %s" % (b2.name, [r for r in res if not r["ok"]][:3]))
            b2.set_carrier(True)
            cable_out = False
            wait_for(lambda: b2.port_link()["up"], "%s: its link seen up"
                     % b2.name, timeout=10, interval=0.1)
            verify(b2.kif_carrier() and
                   b2.port_link()["changes"] == changes + 2,
                   "%s with its link back: dsrlb0 carrier %s, link %s" % (
                       b2.name, b2.kif_carrier(), b2.port_link()))
            self.wait_announcing(b2)
            lab.wait_next_hops(both)
            self.wait_bfd_up()
            res = lab.connect(110, 10)
            verify(all(r["ok"] for r in res), "connections with %s back: %s"
                   % (b2.name, [r for r in res if not r["ok"]][:3]))
        finally:
            if cable_out:
                b2.set_carrier(True)

    def test_g_sigterm_withdraws_first(self):
        """Steps: 50 POP3 and 50 IMAP sessions (maglev) over both
        balancers, a NOOP on each every 250 ms; SIGTERM to balancer 2's
        dsrlb (a normal stop, as systemctl stop sends, with the default
        shutdown grace), the router's BIRD read until its route via
        balancer 2 is gone; once that dsrlb has exited by itself, it
        starts again (without the grace, as balancer 1 runs).
        Verify: the route left the router by a BGP withdrawal: in the
        same reading of the router's BIRD that first lacks it, the BGP
        session with balancer 2 is still Established and has received
        a route withdrawal more than before the SIGTERM (not BFD, nor
        the hold timer, taking the session and its route down); dsrlb
        exited 0; balancer 1 took over mid-stream every session
        balancer 2 held (flow_midstream) and holds all 100, each bound
        to the frontend that greeted it; every session answers every
        NOOP, from that frontend, across the stop and the return.
        Before, dsrlb stopped its workers first: BIRD's withdrawal never
        left the box, and the router lost the route only with the
        session, when BFD declared it down."""
        lab = self.lab
        b1, victim = lab.lbs
        lab.wait_next_hops([b.addr for b in lab.lbs])
        self.wait_bfd_up()
        sets = lab.open_session_sets(SESSIONS, INTERVAL_MS)
        error = None
        took, on_victim, left, log = None, {}, {"session": None}, ""
        try:
            lab.wait_session_sets(sets, 2)
            greeted = session_servers(sets)
            on_victim = victim.session_flows(sets)
            verify(on_victim and b1.session_flows(sets),
                   "sessions not over both balancers")
            mid0 = b1.stats()["workers"]["flow_midstream"]
            # it comes back as it runs (members added at run time by
            # test_c included): the balancers' configurations must agree
            config = victim.call("config.get")
            before = lab.router_bgp_session(victim.addr)
            verify(before is not None and before["state"] == "Established"
                   and before["routes"] >= 1,
                   "the router's BGP session with %s before: %s"
                   % (victim.name, before))
            victim.send_signal(signal.SIGTERM)

            def route_gone():
                s = lab.router_bgp_session(victim.addr)
                return (s is None or s["routes"] == 0) and {"session": s}
            left = wait_for(route_gone, "the router's route via %s gone"
                            % victim.name, timeout=30, interval=0.05)
            rc, log = victim.wait_exit()
            victim.stop()
            verify(rc == 0, "%s exited %s on SIGTERM" % (victim.name, rc))
            s = left["session"]
            verify(s is not None and s["state"] == "Established" and
                   s["withdraws"] > before["withdraws"],
                   "the route via %s left the router with its BGP session "
                   "%s (withdrawals received before: %d): not by a BGP "
                   "withdrawal\n%s" % (
                       victim.name, s, before["withdraws"],
                       "\n".join(line for line in log.splitlines()
                                 if "stopping" in line or
                                 "withdraw" in line)))
            lab.wait_next_hops([b1.addr])
            lab.wait_session_sets(sets, 3)
            took = b1.stats()["workers"]["flow_midstream"] - mid0
            verify(took >= len(on_victim), "%d sessions were on %s, "
                   "flow_midstream of %s grew %d" % (
                       len(on_victim), victim.name, b1.name, took))
            held = b1.session_flows(sets)
            lost = sorted((k, held.get(k), srv) for k, srv in greeted.items()
                          if held.get(k) != {srv})
            verify(not lost, "%s does not hold %d of %d sessions as greeted "
                   "((port, sport), members, greeted by): %s" % (
                       b1.name, len(lost), len(greeted), lost[:5]))
            # its graceful stop tested, it comes back without the grace,
            # as balancer 1 runs (see ha())
            config["high_availability"]["shutdown_grace_ms"] = 0
            victim.start(config)
            self.wait_announcing(victim)
            lab.wait_next_hops([b.addr for b in lab.lbs])
            self.wait_bfd_up()
            lab.wait_session_sets(sets, 2)
        except Exception as e:
            error = e
        summaries = lab.stop_session_sets(sets, error)
        self.verify_sessions(summaries)
        print("    %d sessions on %s, taken over mid-stream %d; the router's "
              "session when the route left: %s; %s's dsrlb:\n      %s" % (
                  len(on_victim), victim.name, took, left["session"],
                  victim.name, "\n      ".join(
                      line for line in log.splitlines()
                      if "stopping" in line or "withdraw" in line)))

    def test_h_wrr_sync_kill(self):
        """Steps: both balancers restarted with the wrr scheduler and
        flow sync (id 7, each the other's peer); 50 POP3 and 50 IMAP
        sessions over both, a NOOP on each every 250 ms; kill -9
        balancer 2; then it starts again.
        Verify: the sessions spread over both balancers (flow_new grew
        on each); before the kill, each sent the other flows to sync
        (sync_flows_out, sync_flows_in) and every session flow balancer
        1 holds, its own and the copies, is bound to the frontend that
        greeted the session; after the kill the router has balancer 1
        only and balancer 1 holds all 100 sessions, each bound to the
        frontend that greeted it; every session answers every NOOP,
        from that frontend, across the kill and the return. wrr puts
        about 3 sessions in 4 elsewhere than the Maglev hash would:
        without sync, those of the killed balancer are reset (the other
        sends them where Maglev says)."""
        lab = self.lab
        b1, victim = lab.lbs
        # both at once: each waits for the other's bulk sync at start
        for b in lab.lbs:
            b.send_signal(signal.SIGTERM)
        for b in lab.lbs:
            b.wait_exit()
            verify(b.stop() == 0, "%s exited non-zero on SIGTERM" % b.name)
        for b in lab.lbs:
            b.start(lab.balancer_config(
                b, ha=self.ha(sync=lab.sync_conf(b)), scheduler="wrr"))
        for b in lab.lbs:
            self.wait_bulk_sync(b)
            self.wait_announcing(b)
        lab.wait_next_hops([b.addr for b in lab.lbs])
        self.wait_bfd_up()
        base = self.flow_new()
        sets = lab.open_session_sets(SESSIONS, INTERVAL_MS)
        error = None
        spread, sync = {}, {}
        try:
            lab.wait_session_sets(sets, 2)
            opened = self.flow_new()
            spread = {n: opened[n] - base[n] for n in opened}
            verify(all(v > 0 for v in spread.values()),
                   "sessions did not spread over the balancers: new flows "
                   "%s" % spread)
            greeted = session_servers(sets)

            def synced():
                m = {b.name: b.stats()["master"] for b in lab.lbs}
                return all(m[b.name]["sync_flows_out"] > 0 and
                           m[b.name]["sync_flows_in"] > 0
                           for b in lab.lbs) and m
            m = wait_for(synced, "flows synced both ways", timeout=30)
            sync = {n: (v["sync_flows_out"], v["sync_flows_in"])
                    for n, v in m.items()}
            lab.wait_session_sets(sets, 1)
            held = b1.session_flows(sets)
            wrong = sorted((k, v, greeted[k]) for k, v in held.items()
                           if v != {greeted[k]})
            verify(not wrong, "%s holds session flows bound to another "
                   "frontend than the one that greeted them ((port, "
                   "sport), members, greeted by): %s"
                   % (b1.name, wrong[:5]))
            rc = victim.kill()
            verify(rc == -signal.SIGKILL, "%s exited %s, not killed"
                   % (victim.name, rc))
            lab.wait_next_hops([b1.addr])
            lab.wait_session_sets(sets, 3)
            held = b1.session_flows(sets)
            lost = sorted((k, held.get(k), srv) for k, srv in greeted.items()
                          if held.get(k) != {srv})
            verify(not lost, "%s does not hold %d of %d sessions as greeted "
                   "((port, sport), members, greeted by): %s" % (
                       b1.name, len(lost), len(greeted), lost[:5]))
            victim.start()
            self.wait_bulk_sync(victim)
            self.wait_announcing(victim)
            lab.wait_next_hops([b.addr for b in lab.lbs])
            self.wait_bfd_up()
            lab.wait_session_sets(sets, 2)
        except Exception as e:
            error = e
        summaries = lab.stop_session_sets(sets, error)
        self.verify_sessions(summaries)
        print("    new flows per balancer %s; sync (flows out, in) before "
              "the kill %s" % (spread, sync))

    def wait_bfd_up(self):
        """Until the router's BFD sessions with every balancer are Up
        (a BGP session comes up before its BFD session does); them."""
        def all_up():
            s = self.bfd_sessions()
            return s if len(s) == len(self.lab.lbs) and \
                all(st == "Up" for st, _ in s.values()) else None
        return wait_for(all_up, "the router's BFD sessions up", timeout=30)

    def bfd_sessions(self):
        """The router's BFD sessions: {address: (state, since)}."""
        out = self.lab.router_birdc("show", "bfd", "sessions")
        sessions = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 4 and f[0].count(".") == 3:
                sessions[f[0]] = (f[2], f[3])
        return sessions

    def test_e_bfd_stays_up_under_own_address_flood(self):
        """Steps: both balancers announcing; from the client, behind the
        router, 4 s of UDP at 40,000 a second to balancer 1's own
        address from random spoofed sources (the Internet at the
        balancer itself), as many as the lab carries.
        Verify: the router's BFD sessions with both balancers stay Up
        throughout (polled every 0.1 s; BFD declares a neighbour down
        after 300 ms without its packets) and never restart (their
        "since" unchanged), both stay next hops for the VIP; on
        balancer 1 the flood was policed (drop_own_policed) and not one
        of the router's packets (TTL 255: BFD, BGP with ttl security)
        was (drop_router_policed 0). Before the lanes, BFD and BGP from
        the gateway shared one bucket with the flood: BFD went down and
        the router withdrew the balancer."""
        lab = self.lab
        b1 = lab.lbs[0]
        lab.wait_next_hops([b.addr for b in lab.lbs])
        before = self.wait_bfd_up()
        w0 = b1.stats()["workers"]
        gw = lab.mac_of(lab.ns_router, "cli0")
        f = flood(lab.ns_client, "eth0", gw, "udp", "--dst", b1.addr,
                  "--dport", 9, "--src", SPOOFED, "--pps", FLOOD_PPS,
                  "--count", FLOOD)
        downs = []
        while f.poll() is None:
            now = self.bfd_sessions()
            if now.keys() != before.keys() or \
                    any(st != "Up" for st, _ in now.values()):
                downs.append(now)
            time.sleep(0.1)
        summary = finish_flood(f)
        after = self.bfd_sessions()
        w1 = b1.stats()["workers"]
        grew = {k: w1[k] - w0[k] for k in ("drop_own_policed",
                                            "drop_router_policed",
                                            "drop_master_ring_full",
                                            "drop_master_ctrl_full")}
        print("    %d datagrams in %.1fs at %s; %s" % (
            summary["sent"], summary["seconds"], b1.addr, grew))
        verify(not downs, "BFD went down under the flood: %s" % downs[:3])
        verify(after == before, "BFD sessions restarted: %s -> %s"
               % (before, after))
        verify(lab.vip_next_hops() == sorted(b.addr for b in lab.lbs),
               "next hops after the flood: %s" % lab.vip_next_hops())
        verify(grew["drop_own_policed"] > 0, "the flood was not policed")
        verify(grew["drop_router_policed"] == 0 and
               grew["drop_master_ctrl_full"] == 0,
               "the router's packets were dropped: %s" % grew)
