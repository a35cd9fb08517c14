# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The namespace lab in dual stack: IPv6 clients through a Linux router
to frontends holding the IPv6 VIP on lo, beside IPv4."""

import os
import re
import shutil
import signal
import subprocess

from framework import BUILD, TestSuite, verify, wait_for
from hostile import (add_attacker, finish_flood, flood, remove_namespace,
                     tap_kernel_drops, wait_accounted)
from labnet import (CLIENT, CLIENT6, DP_MAC, DTS, OWN6, ROUTER6, VIP, VIP6,
                    Lab, servers, sh, verify_sessions_answered, wait_seconds)

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
    connections and SIP datagrams (also SIPp's) from a client behind a
    Linux router (which finds the VIP by Neighbor Discovery: dsrlb's
    workers answer, also amid a flood of solicitations from the segment)
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

    def dsrlbctl_flows(self, *args):
        """dsrlbctl flows with args: its rows, split in columns."""
        cli = subprocess.run(
            [os.path.join(BUILD, "app", "dsrlbctl", "dsrlbctl"),
             "--socket", self.lab.dsrlb.config["control_socket"],
             "flows", "--limit", "1000"] + list(args),
            capture_output=True, text=True)
        lines = cli.stdout.splitlines()
        # a header, a line a flow, and "N flows": all of them
        verify(cli.returncode == 0 and len(lines) >= 2 and
               re.match(r"^%d flows?$" % (len(lines) - 2), lines[-1]),
               "dsrlbctl flows %s: %s %s" % (" ".join(args),
                                             cli.stdout[-800:], cli.stderr))
        return [ln.split() for ln in lines[1:-1]]

    def test_router_finds_the_vip_by_ndp_and_flows_are_listed(self):
        """Steps: the router forgets its neighbour entry for VIP6; then
        connections to VIP6:110 held open (POP3 sessions), and to the
        IPv4 VIP from the same client; read the router's neighbour
        entry for VIP6, dsrlb's counters and flows.list, and dsrlbctl
        flows --client with the client's IPv6 address, its /64, and its
        IPv4 address.
        Verify: the router found VIP6 again: its entry names dsrlb's
        MAC, learnt from a Neighbor Advertisement a worker sent
        (ndp_reply_out grew); flows.list shows the sessions' flows with
        the client's IPv6 address, the VIP6 and a member, established;
        dsrlbctl --client CLIENT6 (and its /64) prints exactly the
        client's IPv6 flows, as [client]:port and [VIP6]:port, none of
        its IPv4 ones, and --client with its IPv4 address only those."""
        self.lab.ns(self.lab.ns_router, "ip", "-6", "neigh", "del", VIP6,
                    "dev", "seg0", check=False)
        before = self.lab.dsrlb.stats()["ndp_reply_out"]
        p, started = self.lab.start_sessions(110, 8, addr=VIP6)
        p4, started4 = self.lab.start_sessions(110, 4, addr=VIP)
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
                mine4 = [f for f in fl if f["client"] == CLIENT and
                         f["state"] == "established"]
                return len(mine) >= len(started) and \
                    len(mine4) >= len(started4) and fl
            fl = wait_for(listed, "the sessions' flows in flows.list",
                          timeout=20)
            # dsrlbctl --client with the client's IPv6 address (or its
            # /64) lists its IPv6 flows, each address bracketed before
            # its port: every session's, and none of the same client's
            # IPv4 flows (flows.list has them); with its IPv4 address,
            # the IPv4 ones only
            v6 = sorted(f["client_port"] for f in fl
                        if f["client"] == CLIENT6)
            for arg in (CLIENT6, "2001:db8:c::/64"):
                rows = self.dsrlbctl_flows("--client", arg)
                verify(all(r[1].startswith("[%s]:" % CLIENT6) and
                           r[2].startswith("[%s]:" % VIP6) for r in rows),
                       "dsrlbctl flows --client %s: %s" % (arg, rows))
                ports = [int(r[1].rsplit(":", 1)[1]) for r in rows
                         if r[2] == "[%s]:110" % VIP6 and
                         r[6] == "established"]
                verify(all(s["sport"] in ports for s in started
                           if "error" not in s),
                       "--client %s: established at [VIP6]:110 from "
                       "ports %s, the sessions %s, flows.list's %s"
                       % (arg, ports, started, v6))
            rows = self.dsrlbctl_flows("--client", CLIENT)
            verify(len(rows) >= len(started4) and
                   all(r[1].startswith(CLIENT + ":") for r in rows),
                   "dsrlbctl flows --client %s: %s" % (CLIENT, rows))
        finally:
            self.lab.stop_sessions(p4)
            self.lab.stop_sessions(p)

    def test_sipp_over_ipv6_answered_from_vip(self):
        """Steps: SIPp (Debian's sip-tester) in the client's namespace
        runs 48 calls of dts/sipp/options.xml at [VIP6]:5060 over UDP,
        each an OPTIONS from a socket of its own (-t un: its own source
        port), 100 a second; the client's eth0 is captured meanwhile.
        Verify: SIPp ends with every call successful (exit 0) and has
        logged each call's answer with the frontend that gave it (its
        Server header): 48, from more than one frontend, each counted
        by that frontend; every answer on the wire came from VIP6:5060
        (the frontend answered the client directly, from the VIP)."""
        lab, calls = self.lab, 48
        sipp = shutil.which("sipp")
        verify(sipp is not None, "no sipp: dts/setup.sh installs "
               "sip-tester")
        log = os.path.join(lab.dir, "sipp-calls.log")
        before = lab.fe_counts("sip")
        cap = lab.capture(lab.ns_client, "eth0", "udp and src port 5060")
        p = subprocess.run(
            ["ip", "netns", "exec", lab.ns_client, sipp,
             "-sf", os.path.join(DTS, "sipp", "options.xml"),
             "-t", "un", "-max_socket", "100", "-i", CLIENT6,
             "-m", str(calls), "-r", "100", "-l", str(calls),
             "-nostdin", "-timeout", "60", "-timeout_error",
             "-trace_logs", "-log_file", log,
             "-trace_err", "-error_file", log + ".errors",
             "[%s]:5060" % VIP6],
            capture_output=True, text=True, cwd=lab.dir, timeout=120)
        answers = lab.stop_capture(cap, at_least=calls)
        errors = open(log + ".errors").read() \
            if os.path.exists(log + ".errors") else ""
        verify(p.returncode == 0, "sipp exit %d: %s %s %s"
               % (p.returncode, p.stdout[-800:], p.stderr[-800:],
                  errors[-800:]))
        by = {}
        with open(log) as f:
            for ln in f:
                w = ln.split()
                if w[:1] == ["answered"]:
                    by.setdefault(w[-1] if len(w) == 4 else "?",
                                  set()).add(w[1])
        counts = {fe: len(ids) for fe, ids in by.items()}
        verify(sum(counts.values()) == calls and set(counts) <= FRONTENDS
               and len(counts) > 1, "SIPp's calls answered by %s" % counts)
        grew = {fe: n - before[fe] for fe, n in lab.fe_counts("sip").items()}
        verify(all(grew[fe] >= n for fe, n in counts.items()),
               "SIPp says %s, the frontends counted %s" % (counts, grew))
        src = {(a["IPv6"].src, a["UDP"].sport) for a in answers
               if a.haslayer("IPv6")}
        verify(len(answers) >= calls and src == {(VIP6, 5060)},
               "%d answers, from %s" % (len(answers), src))

    def test_ns_flood_from_the_segment_router_keeps_the_vip(self):
        """Steps: the router checks its neighbour entry for VIP6 often
        (reachable 500 ms, then unicast probes 100 ms apart, 3 before it
        fails); a host on the segment floods Neighbor Solicitations,
        10,000 a second, 20,000 in all, half for VIP6 and half for an
        address nobody has, each from a random address of the segment's
        /64; meanwhile the client keeps opening POP3 connections to
        VIP6 through the router, and every 0.3 s or so the router's
        entry for VIP6 is read and set to PROBE (a unicast Neighbor
        Solicitation to VIP6 at once, among the flood's); after it,
        new connections.
        Verify: the router's entry for VIP6 was never FAILED or
        INCOMPLETE (read, and as ip monitor saw it) and always named
        dsrlb's MAC; it went from PROBE back to REACHABLE during the
        flood (the router's own solicitations were answered amid the
        flood's); no connection failed, during or after; every
        solicitation for VIP6 that reached dsrlb was answered by a
        worker in place (ndp_reply_out: like ARP for a VIP, never
        policed), every one for the other address dropped by the
        workers (drop_ndp_other); the master's rings never overflowed;
        every received packet is accounted for."""
        lab, count, nobody = self.lab, 20000, "2001:db8:5::77"
        router = lab.ns_router
        neigh = ["ip", "-n", router, "-6", "neigh"]
        timers = {"base_reachable_time_ms": 500, "delay_first_probe_time": 1,
                  "ucast_solicit": 3, "retrans_time_ms": 100}
        keys = ["net.ipv6.neigh.seg0.%s" % k for k in timers]
        saved = {k: lab.ns(router, "sysctl", "-n", k).strip() for k in keys}
        attacker = add_attacker(lab)
        mon = loop = None
        try:
            lab.sysctl(router, *["%s=%d" % (k, v) for k, v in
                                 zip(keys, timers.values())])
            # the router has an entry for VIP6 (the connections made it)
            verify(all(r["ok"] for r in lab.connect(110, 2, addr=VIP6)),
                   "no connection to VIP6 before the flood")
            wait_for(lambda: DP_MAC in sh(*neigh, "show", VIP6, "dev",
                                          "seg0"),
                     "the router's entry for VIP6")
            before = wait_accounted(lab)
            kdrops = tap_kernel_drops(lab)
            mon = subprocess.Popen(["ip", "-n", router, "monitor", "neigh"],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
            loop = lab.traffic(110, addr=VIP6)
            # sources: the segment's /64 but for the lab's own addresses
            args = ["--src", "2001:db8:5::/64", "--target", VIP6,
                    "--target", nobody, "--pps", 10000, "--count", count]
            for a in [ROUTER6, VIP6] + ["2001:db8:5::%d" % (10 + i) for i
                                        in range(1, len(lab.ns_fe) + 1)]:
                args += ["--exclude", a]
            f = flood(attacker, "eth0", "ff:ff:ff:ff:ff:ff", "ns", *args)
            seen, probes = [], 0
            while f.poll() is None:
                seen.append(sh(*neigh, "show", VIP6, "dev",
                               "seg0").strip())
                if len(seen) % 3 == 1:
                    sh(*neigh, "change", VIP6, "dev", "seg0", "lladdr",
                       DP_MAC, "nud", "probe")
                    probes += 1
                wait_seconds(0.1)
            summary = finish_flood(f)
            conns = lab.stop_traffic(loop)
            after_flood = lab.connect(110, 8, addr=VIP6)
            # the last probe answered before the watch ends
            wait_for(lambda: "REACHABLE" in sh(*neigh, "show", VIP6, "dev",
                                               "seg0"),
                     "the router's entry for VIP6 reachable")
        finally:
            if loop is not None and loop.poll() is None:
                loop.kill()
            events = []
            if mon is not None:
                mon.terminate()
                events = [ln for ln in mon.communicate(timeout=30)[0]
                          .splitlines() if ln.split()[:1] == [VIP6]]
            remove_namespace(attacker)
            lab.sysctl(router, *["%s=%s" % kv for kv in saved.items()])
        lost = tap_kernel_drops(lab) - kdrops
        print("    %d solicitations in %.1fs (%d lost in the kernel before "
              "dsrlb); the router's entry set to PROBE %d times; %d "
              "connections" % (summary["sent"], summary["seconds"], lost,
                               probes, conns["ok"]))
        verify(lab.dsrlb.proc.poll() is None, "dsrlb died:\n%s"
               % lab.dsrlb.output()[-3000:])
        bad = [e for e in seen + events if "FAILED" in e or
               "INCOMPLETE" in e or DP_MAC not in e]
        verify(seen and not bad, "the router's entry for VIP6: %s"
               % (bad[:5] or "never read"))
        verify(any("PROBE" in a and "REACHABLE" in b
                   for a, b in zip(events, events[1:])),
               "the router's entry was never probed and confirmed: %s"
               % events[:10])
        verify(conns["failed"] == 0 and conns["ok"] > 0,
               "%d of %d connections to VIP6 failed during the flood: %s"
               % (conns["failed"], conns["failed"] + conns["ok"],
                  conns["errors"][:3]))
        verify(all(r["ok"] for r in after_flood),
               "connections failed after the flood: %s"
               % [r for r in after_flood if not r["ok"]][:3])
        after = wait_accounted(lab)

        def grew(k):
            return after["workers"][k] - before["workers"][k]
        half = summary["sent"] // 2
        verify(grew("ndp_reply_out") >= half - lost and
               grew("drop_ndp_other") >= half - lost,
               "of %d solicitations for VIP6 and %d for %s (%d lost "
               "before dsrlb): ndp_reply_out grew %d, drop_ndp_other %d"
               % (half, half, nobody, lost, grew("ndp_reply_out"),
                  grew("drop_ndp_other")))
        for ring in ("drop_master_ring_full", "drop_master_prio_full"):
            verify(grew(ring) == 0, "the master's rings overflowed: %s %d"
                   % (ring, grew(ring)))

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
