# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The namespace lab in dual stack: IPv6 clients through a Linux router
to frontends holding the IPv6 VIP on lo, beside IPv4."""

import os
import signal
import subprocess

from framework import BUILD, TestSuite, verify, wait_for
from labnet import (CLIENT6, DP_MAC, OWN6, ROUTER6, VIP, VIP6, Lab,
                    servers, verify_sessions_answered)

FRONTENDS = {"fe1", "fe2", "fe3", "fe4"}
# checked over each member's own family: fe1 and fe2 over IPv4, fe3 and
# fe4 over IPv6 (their addresses in the configuration)
CHECK = {"interval": 1, "timeout": 1, "rise": 2, "fall": 2}
CHECKS = {"pop3": dict(CHECK, type="pop3"),
          "sip-udp": dict(CHECK, type="sip"),
          "echo": dict(CHECK, type="icmp")}
BANNER = {110: "+OK", 143: "* OK", 25: "220", 8100: "HTTP/1.0 200"}


class LabIpv6(TestSuite):
    """dsrlb, with two workers on a TAP port, balances real IPv6 TCP
    connections and SIP datagrams from a client behind a Linux router
    (which finds the VIP by Neighbor Discovery: dsrlb's workers answer)
    to four frontends set up by dsrlb-realserver from the same vipaddrs
    file, IPv4 beside it. The port holds an IPv6 address too; fe1 and
    fe2 are members by their IPv4 addresses (found by ARP), fe3 and fe4
    by their IPv6 ones (found by Neighbor Discovery, checked over
    IPv6); every member takes both families' flows."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(ipv6=True)
        self.lab.build()
        self.lab.start_dsrlb(self.lab.config(checks=CHECKS))
        self.lab.wait_resolved()
        for svc in CHECKS:
            for i in range(1, 5):
                self.lab.wait_health(svc, "fe%d" % i, "up")

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def test_tcp_services_over_ipv6(self):
        """Steps: from the client, 24 connections each to VIP6:110, 143,
        25 and 8100, then 24 to the IPv4 VIP's POP3.
        Verify: every connection completes with the greeting of its
        protocol from a real frontend (the frontend answered from the
        IPv6 VIP: the client's kernel accepts nothing else), each
        service reaches more than one frontend, and IPv4 beside it works
        as before."""
        for port in (110, 143, 25, 8100):
            res = self.lab.connect(port, 24, addr=VIP6)
            bad = [r for r in res if not r["ok"]]
            verify(not bad, "[VIP6]:%d: %d of 24 failed: %s"
                   % (port, len(bad), bad[:3]))
            for r in res:
                verify(r["banner"].startswith(BANNER[port]),
                       "[VIP6]:%d greeting %r" % (port, r["banner"]))
            seen = servers(res)
            verify(set(seen) <= FRONTENDS and len(seen) > 1,
                   "[VIP6]:%d reached %s" % (port, seen))
        res = self.lab.connect(110, 24, addr=VIP)
        verify(all(r["ok"] for r in res), "IPv4 beside IPv6: %s"
               % [r for r in res if not r["ok"]][:3])

    def test_sip_options_over_ipv6_answered_from_vip(self):
        """Steps: 24 SIP OPTIONS over UDP to [VIP6]:5060 (the stateless
        service), each from a new source port, a bracketed IPv6 URI.
        Verify: each gets "SIP/2.0 200" with VIP6 as its source (the
        frontend's VIP6-bound socket answered the client directly), from
        more than one frontend."""
        res = self.lab.client("sip", VIP6, 24)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d of 24 OPTIONS failed: %s" % (len(bad), bad[:3]))
        verify(all(r["source"] == VIP6 for r in res),
               "answers not from the VIP: %s" % {r["source"] for r in res})
        seen = {r["server"] for r in res}
        verify(seen <= FRONTENDS and len(seen) > 1, "answered by %s" % seen)

    def test_router_finds_the_vip_by_ndp_and_flows_are_listed(self):
        """Steps: the router forgets its neighbour entry for VIP6; then
        connections to VIP6:110 held open (POP3 sessions); read the
        router's neighbour entry for VIP6, dsrlb's counters and
        flows.list, and dsrlbctl flows.
        Verify: the router found VIP6 again: its entry names dsrlb's
        MAC, learnt from a Neighbor Advertisement a worker sent
        (ndp_reply_out grew); flows.list shows the sessions' flows with
        the client's IPv6 address, the VIP6 and a member, established;
        dsrlbctl prints them as [client]:port and [VIP6]:110."""
        self.lab.ns(self.lab.ns_router, "ip", "-6", "neigh", "del", VIP6,
                    "dev", "seg0", check=False)
        before = self.lab.dsrlb.stats()["ndp_reply_out"]
        p, started = self.lab.start_sessions(110, 8, addr=VIP6)
        try:
            neigh = self.lab.ns(self.lab.ns_router, "ip", "-6", "neigh",
                                "show", VIP6)
            verify(DP_MAC in neigh, "the router's entry for %s: %r"
                   % (VIP6, neigh))
            st = self.lab.dsrlb.stats()
            verify(st["ndp_reply_out"] > before,
                   "ndp_reply_out %d, %d before the router forgot VIP6"
                   % (st["ndp_reply_out"], before))

            def listed():
                fl = self.lab.ctl.call("flows.list",
                                       {"limit": 1000})["flows"]
                mine = [f for f in fl if f["client"] == CLIENT6 and
                        f["vip"] == VIP6 and f["port"] == 110 and
                        f["state"] == "established" and f["member"]]
                return len(mine) >= len(started) and mine
            wait_for(listed, "the sessions' IPv6 flows in flows.list",
                     timeout=20)
            # and dsrlbctl shows them, each address bracketed before
            # its port
            cli = subprocess.run(
                [os.path.join(BUILD, "app", "dsrlbctl", "dsrlbctl"),
                 "--socket", self.lab.dsrlb.config["control_socket"],
                 "flows", "--limit", "1000"],
                capture_output=True, text=True)
            rows = [ln.split() for ln in cli.stdout.splitlines()
                    if "[%s]:110" % VIP6 in ln]
            verify(cli.returncode == 0 and len(rows) >= len(started) and
                   all(r[1].startswith("[%s]:" % CLIENT6) for r in rows),
                   "dsrlbctl flows: %s %s" % (cli.stdout[-800:],
                                              cli.stderr))
        finally:
            self.lab.stop_sessions(p)

    def test_restart_keeps_ipv6_sessions(self):
        """Steps: 16 POP3 sessions over IPv6 from the client, a NOOP on
        each every 200 ms; after two rounds dsrlb is killed (SIGKILL)
        and started again with the same configuration while they keep
        sending; wait until every member is resolved, then for three
        more rounds; stop the sessions.
        Verify: every session survived (every NOOP answered, by the
        frontend that greeted it): the new process knew none of them
        and found each mid-stream where Maglev had put it, in its IPv6
        flow table (flow_midstream, flows_ipv6)."""
        proc, started = self.lab.start_sessions(110, 16, 200, addr=VIP6)
        error = stats = None
        try:
            bad = [s for s in started if "error" in s]
            verify(not bad, "sessions not opened: %s" % bad[:5])
            self.lab.wait_session_rounds(started, 2)
            self.lab.restart_dsrlb(signal.SIGKILL)
            self.lab.wait_resolved()
            self.lab.wait_session_rounds(started, 3)
            stats = self.lab.ctl.call("stats")
        except Exception as e:    # the sessions say more: stop them first
            error = e
        summary = self.lab.stop_sessions(proc, error)
        failed = [s for s in summary["sessions"] if s["failed"]]
        verify(not failed and len(summary["sessions"]) == 16,
               "%d of 16 IPv6 sessions failed across the restart: %s"
               % (len(failed), failed[:5]))
        verify_sessions_answered(summary, started)
        w = stats["workers"]
        verify(w["flow_midstream"] >= 16 and
               sum(p["flows_ipv6"] for p in stats["per_worker"]) >= 16,
               "flow_midstream %d, IPv6 flows per worker %s"
               % (w["flow_midstream"],
                  [p["flows_ipv6"] for p in stats["per_worker"]]))

    def test_ipv6_members_found_by_ndp_checked_over_ipv6(self):
        """Steps: read members.list, neighbors.list, health.list and the
        counters; ping the port's own IPv6 address from the client
        behind the router.
        Verify: fe3 and fe4, members by IPv6 address, have their
        frontends' MACs, learnt by Neighbor Discovery (the master's
        solicitations out, advertisements in); every check of theirs
        (POP3, SIP OPTIONS, ICMPv6 echo) ran over IPv6 and passed, and
        the frontends saw the balancer's own IPv6 address probe them;
        the own IPv6 address answers echo through the kernel interface
        and its IPv6 policy route back via the router."""
        by_name = {m["name"]: m for m in self.lab.ctl.call("members.list")}
        for i in (3, 4):
            m = by_name["fe%d" % i]
            verify(m["address"] == self.lab.fe_addr6(i) and
                   m["mac"] == self.lab.fe_mac(i) and
                   m["mac_state"] == "resolved", "member %s" % m)
        neigh = {n["address"]: n for n in
                 self.lab.ctl.call("neighbors.list")}
        for i in (3, 4):
            n = neigh.get(self.lab.fe_addr6(i))
            verify(n is not None and n["wanted"] and
                   n["state"] in ("reachable", "probe"),
                   "neighbor %s" % n)
        st = self.lab.dsrlb.stats()
        verify(st["ndp_solicit_out"] > 0 and st["ndp_advert_in"] > 0,
               "ndp_solicit_out %d, ndp_advert_in %d"
               % (st["ndp_solicit_out"], st["ndp_advert_in"]))
        for c in self.lab.ctl.call("health.list"):
            verify(c["state"] == "up" and c["last"] == "passed" and
                   c["runs"] > 0, "check %s" % c)
        served = self.lab.fe_stats(3)
        for k in ("pop3-from-balancer", "sip-from-balancer"):
            verify(served.get(k, 0) > 0, "fe3 saw no %s: %s" % (k, served))
        before = self.lab.dsrlb.stats()
        verify(self.lab.ping(self.lab.ns_client, OWN6) == 0,
               "no answer from the own IPv6 address %s" % OWN6)
        after = self.lab.dsrlb.stats()
        verify(after["kernel_rx"] > before["kernel_rx"] and
               after["kernel_tx"] > before["kernel_tx"],
               "the own IPv6 address did not go through the kernel")
        route = self.lab.ns(self.lab.ns_lb, "ip", "-6", "route", "show",
                            "table", "all", "default")
        verify(ROUTER6 in route, "no IPv6 policy route: %r" % route)

    def test_health_failover_over_ipv6(self):
        """Steps: stop fe4's POP3 server (connections refused); wait for
        pop3/fe4 to go down; 24 POP3 connections over each family;
        start it again, wait for up; connections again.
        Verify: fe4, checked over IPv6, goes down on refused checks;
        while down every connection succeeds and none reaches fe4 over
        either family; back up, it gets connections again."""
        self.lab.fe_command(4, "stop 110")
        try:
            self.lab.wait_health("pop3", "fe4", "down")
            c = [x for x in self.lab.ctl.call("health.list")
                 if x["service"] == "pop3" and x["member"] == "fe4"][0]
            verify(c["last"] == "refused", "pop3/fe4: %s" % c)
            for addr in (VIP6, VIP):
                res = self.lab.connect(110, 24, addr=addr)
                verify(all(r["ok"] for r in res),
                       "%s:110 failed while fe4 down: %s"
                       % (addr, [r for r in res if not r["ok"]][:3]))
                verify("fe4" not in servers(res),
                       "%s:110 still reached fe4" % addr)
        finally:
            self.lab.fe_command(4, "start 110")
        self.lab.wait_health("pop3", "fe4", "up")
        seen = servers(self.lab.connect(110, 40, addr=VIP6))
        verify("fe4" in seen, "fe4 did not come back: %s" % seen)
