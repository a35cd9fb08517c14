# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""ICMP errors about DSR connections in the namespace lab: each reaches
the member that owns the connection, whichever worker holds its flow."""

import os

from framework import TestSuite, TestFailure, verify, wait_for
from labnet import CLIENT, DP_MAC, ROUTER, VIP, Lab

SESSIONS = 200
INTERVAL_MS = 1000
MTU = 1400
FRONTENDS = ("fe1", "fe2", "fe3", "fe4")


class LabIcmp(TestSuite):
    """frag-needed with 2 workers and wrr: 200 of 200 reach the flow's
    member. A router's ICMP errors about the members' answers are hashed
    (RSS, here the TAP's queue choice) on router and VIP, not on the
    connection they quote, so most land on a worker that does not hold
    the connection's flow; with wrr, which is not a consistent hash, a
    worker that guesses sends the error to the wrong member."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True)
        self.lab.build()
        cfg = self.lab.config()
        for s in cfg["services"]:
            if s["name"] == "pop3":
                s["scheduler"] = "wrr"
        self.lab.start_dsrlb(cfg)
        self.lab.wait_resolved()

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def frag_needed(self, router_mac, sport, n):
        """A router's frag-needed (next-hop MTU 1400) about what a member
        sent the client on the session from sport: the first 28 bytes
        of that packet (IP header, TCP ports and sequence number)."""
        from scapy.all import ICMP, IP, TCP, Ether, Raw
        inner = IP(src=VIP, dst=CLIENT, id=n, ttl=63) / \
            TCP(sport=110, dport=sport, flags="PA", seq=1000 + n) / \
            Raw(b"+OK noop\r\n" + b"x" * 1500)
        return Ether(src=router_mac, dst=DP_MAC) / \
            IP(src=ROUTER, dst=VIP, id=n) / \
            ICMP(type=3, code=4, nexthopmtu=MTU) / Raw(bytes(inner)[:28])

    @staticmethod
    def quoted_dport(p):
        """The quoted client port of a frag-needed about a session, or
        None for any other packet."""
        from scapy.all import ICMP, IP
        if ICMP not in p or p[ICMP].type != 3 or p[ICMP].code != 4 or \
                p[IP].src != ROUTER or p[IP].dst != VIP:
            return None
        q = bytes(p[ICMP].payload)
        if len(q) < 28 or q[9] != 6 or q[12:16] != bytes(
                int(x) for x in VIP.split(".")):
            return None
        return int.from_bytes(q[22:24], "big")

    def handled(self, before):
        """dsrlb's worker counters once it has forwarded or dropped the
        errors sent since before, else None."""
        w = self.lab.ctl.call("stats")["workers"]
        done = w["icmp_error"] + w["drop_icmp"] - before["icmp_error"] - \
            before["drop_icmp"]
        return w if done >= SESSIONS else None

    @staticmethod
    def captured(cap):
        """The packets a running capture wrote so far (None while a
        record is half written)."""
        from scapy.all import rdpcap
        path = cap[1]
        try:
            return list(rdpcap(path)) if os.path.getsize(path) > 24 else []
        except Exception:
            return None

    def errors_at(self, fe, pkts):
        """The session ports quoted by the frag-needed errors among pkts
        that were addressed to frontend fe's MAC."""
        mac = self.lab.fe_mac(int(fe[2:]))
        return [d for d in (self.quoted_dport(p) for p in pkts
                            if p.dst == mac) if d is not None]

    def test_frag_needed_reaches_flow_member(self):
        """Steps: 200 long-lived POP3 sessions (wrr over fe1..fe4, a NOOP
        on each every second); capture ICMP on every frontend's eth0;
        from the router's namespace, one frag-needed (type 3 code 4,
        next-hop MTU 1400) per session to the VIP, from the router's
        address to dsrlb's MAC, quoting what the member sent the client
        (inner IP from the VIP to 203.0.113.10, TCP from port 110 to the
        session's port, 28 bytes); stop the sessions.
        Verify: both workers hold some of the sessions' flows; each of
        the 200 errors arrived at exactly the frontend that serves its
        session (addressed to its MAC), once, and none arrived anywhere
        else; dsrlb counted icmp_error 200 and dropped no ICMP; every
        session survived."""
        proc, started = self.lab.start_sessions(110, SESSIONS, INTERVAL_MS)
        error = None
        caps = {}
        try:
            bad = [s for s in started if "error" in s]
            verify(not bad, "sessions not opened: %s" % bad[:5])
            server = {s["sport"]: s["server"] for s in started}
            verify(len(server) == SESSIONS, "source ports repeat")
            # the sessions' flows confirmed: a whole NOOP round ran
            self.lab.wait_session_rounds(started, 2)
            per_worker = self.lab.ctl.call("stats")["per_worker"]
            for i, ns in enumerate(self.lab.ns_fe, 1):
                caps["fe%d" % i] = self.lab.capture(ns, "eth0", "icmp")
            router_mac = self.lab.mac_of(self.lab.ns_router, "seg0")
            before = self.lab.ctl.call("stats")["workers"]
            frames = [self.frag_needed(router_mac, sport, n)
                      for n, sport in enumerate(sorted(server), 1)]
            sent = self.lab.send_frames(self.lab.ns_router, "seg0", frames)
            verify(sent["sent"] == SESSIONS, "sent %s" % sent)
            try:
                after = wait_for(lambda: self.handled(before),
                                 "dsrlb to forward or drop the errors")
            except TestFailure as e:
                w = self.lab.ctl.call("stats")["workers"]
                raise TestFailure("%s; counters since sending: %s" % (e, {
                    k: w[k] - before[k] for k in w
                    if w[k] != before[k]})) from e

            def arrived_count():
                n = 0
                for fe, cap in caps.items():
                    pkts = self.captured(cap)
                    if pkts is None:
                        return False   # a record being written
                    n += len(self.errors_at(fe, pkts))
                return n >= SESSIONS
            try:    # tcpdump may write a packet after its receiver saw it
                wait_for(arrived_count, "the errors captured", timeout=20,
                         interval=0.2)
            except TestFailure:
                pass                   # the verification says which
            got = {fe: self.lab.stop_capture(caps.pop(fe))
                   for fe in FRONTENDS}
        except Exception as e:
            error = e
        finally:
            for p, _ in caps.values():
                p.kill()
                p.wait()
        summary = self.lab.stop_sessions(proc, error)
        failed = [s for s in summary["sessions"] if s["failed"]]

        arrived = {}     # session port -> frontends the error reached
        for fe, pkts in got.items():
            for dport in self.errors_at(fe, pkts):
                arrived.setdefault(dport, []).append(fe)
        wrong = {d: (server.get(d), fes) for d, fes in arrived.items()
                 if fes != [server.get(d)]}
        missing = sorted(set(server) - set(arrived))
        spread = {}
        for s in server.values():
            spread[s] = spread.get(s, 0) + 1
        print("    sessions per frontend %s, flows per worker %s; "
              "icmp_error %d, drop_icmp %d"
              % (spread, [p["flows"] for p in per_worker],
                 after["icmp_error"] - before["icmp_error"],
                 after["drop_icmp"] - before["drop_icmp"]))
        verify(all(p["flows"] > 0 for p in per_worker) and
               len(per_worker) == 2,
               "the sessions' flows are not on both workers: %s"
               % per_worker)
        verify(not wrong and not missing,
               "%d of %d errors reached another frontend than their "
               "session's or several (port: (session's, reached)): %s; "
               "%d never arrived: %s"
               % (len(wrong), SESSIONS, dict(list(wrong.items())[:8]),
                  len(missing), missing[:8]))
        verify(after["icmp_error"] - before["icmp_error"] == SESSIONS and
               after["drop_icmp"] == before["drop_icmp"],
               "icmp_error %d, drop_icmp %d"
               % (after["icmp_error"] - before["icmp_error"],
                  after["drop_icmp"] - before["drop_icmp"]))
        verify(not failed, "%d of %d sessions failed: %s"
               % (len(failed), SESSIONS, failed[:5]))
