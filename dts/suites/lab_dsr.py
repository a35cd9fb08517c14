# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The namespace lab: real clients, real frontends, DSR through dsrlb."""

import os
import signal

from framework import TestSuite, verify, wait_for
from labnet import VIP, Lab, servers

FRONTENDS = {"fe1", "fe2", "fe3", "fe4"}
BANNER = {110: "+OK", 143: "* OK", 25: "220", 8100: "HTTP/1.0 200"}


class LabDsr(TestSuite):
    """dsrlb on a TAP port in a bridged segment balances real TCP
    connections and SIP datagrams to four frontends that answer the
    client directly (members with static MACs, no exception path)."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=True, exception=False)
        self.lab.build()
        self.lab.start_dsrlb()

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def test_tcp_services_answer_with_frontend_banners(self):
        """Steps: from the client (behind the router), 40 connections
        each to VIP:110, 143, 25 and 8100.
        Verify: every connection completes (greeting, goodbye, close)
        with the greeting of the right protocol from a real frontend,
        and each service reaches more than one frontend."""
        for port in (110, 143, 25, 8100):
            res = self.lab.connect(port, 40)
            bad = [r for r in res if not r["ok"]]
            verify(not bad, "VIP:%d: %d of 40 failed: %s" % (port, len(bad),
                                                           bad[:3]))
            for r in res:
                verify(r["banner"].startswith(BANNER[port]),
                       "VIP:%d greeting %r" % (port, r["banner"]))
            seen = servers(res)
            verify(set(seen) <= FRONTENDS and len(seen) > 1,
                   "VIP:%d reached %s" % (port, seen))

    def test_sip_options_answered_from_vip(self):
        """Steps: 40 SIP OPTIONS over UDP to VIP:5060, each from a new
        source port.
        Verify: each gets "SIP/2.0 200" from a frontend, with the VIP as
        the source address (the frontend's VIP-bound socket answered
        directly), and more than one frontend answers."""
        res = self.lab.sip(40)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d of 40 OPTIONS failed: %s" % (len(bad), bad[:3]))
        verify(all(r["source"] == VIP for r in res),
               "answers not from the VIP: %s" %
               {r["source"] for r in res})
        seen = {r["server"] for r in res}
        verify(seen <= FRONTENDS and len(seen) > 1, "answered by %s" % seen)

    def test_counters_match_traffic(self):
        """Steps: read dsrlb's counters and members, 100 POP3
        connections, read them again.
        Verify (growth over the case's traffic, so other cases' traffic
        neither helps nor hurts): at least 100 flows were created and at
        least 3 packets per connection forwarded (SYN, handshake ACK,
        QUIT), no counter of a drop that would mean a bug (malformed, no
        service, no member, standby, TX) grew, and every member forwarded
        packets of these connections; afterwards, idle, the workers wait
        for the RX interrupt (idle_waits grows)."""
        drops = ("drop_no_service", "drop_no_member", "drop_standby",
                 "drop_ip_length", "drop_truncated_ip", "drop_tcp_header",
                 "drop_member_unusable", "tx_drop", "drop_master_ring_full",
                 "drop_master_prio_full")
        before = self.lab.dsrlb.stats()
        members_before = self.lab.dsrlb.members()
        res = self.lab.connect(110, 100)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d of 100 connections failed: %s"
               % (len(bad), bad[:3]))
        st = self.lab.dsrlb.stats()
        grew = {k: st[k] - before[k] for k in ("fwd", "flow_new") + drops}
        # each connection is a new flow (a connect retried on a lost SYN
        # is another source port: another flow, hence >=)
        verify(grew["flow_new"] >= 100 and grew["fwd"] >= 3 * 100,
               "for 100 connections: fwd grew %d, flow_new grew %d"
               % (grew["fwd"], grew["flow_new"]))
        for k in drops:
            verify(grew[k] == 0, "%s grew by %d" % (k, grew[k]))
        members = self.lab.dsrlb.members()
        quiet = [n for n in sorted(FRONTENDS)
                 if members[n]["packets"] <= members_before[n]["packets"]]
        verify(not quiet, "members forwarded none of the 100 connections' "
               "packets: %s" % quiet)
        # the lab's idle mode: once the traffic stops, the workers wait
        # for the TAP's RX interrupt (each wait that runs out is counted
        # again), they do not poll on
        wait_for(lambda: self.lab.dsrlb.stats()["idle_waits"] >
                 st["idle_waits"], "an idle worker waits")

    def test_only_workers_take_the_tap_signal(self):
        """Steps: read the signal masks of dsrlb's threads
        (/proc/PID/task/*/status).
        Verify: the PMDs' I/O signals (SIGIO, and SIGRTMIN+1 to
        SIGRTMAX: net_tap's RX trigger is the first free one) are all
        blocked in the main thread (the master) and in the EAL's
        threads, and none in any worker (rte-worker-N): a frame on the
        TAP never wakes the master, and the worker that polls sees it at
        once."""
        pid = self.lab.dsrlb.proc.pid
        bit = 1 << (signal.SIGIO - 1)
        for sig in range(signal.SIGRTMIN + 1, signal.SIGRTMAX + 1):
            bit |= 1 << (sig - 1)
        blocked, workers = {}, 0
        for tid in os.listdir("/proc/%d/task" % pid):
            base = "/proc/%d/task/%s/" % (pid, tid)
            try:
                with open(base + "comm") as f:
                    name = f.read().strip()
                with open(base + "status") as f:
                    mask = [int(line.split()[1], 16) for line in f
                            if line.startswith("SigBlk:")][0]
            except (FileNotFoundError, ProcessLookupError):
                # a short-lived thread ended meanwhile: never the
                # master or a worker, which live as long as dsrlb
                continue
            blocked[name] = "all" if mask & bit == bit else \
                "none" if mask & bit == 0 else "some"
            workers += name.startswith("rte-worker-")
        verify(workers > 0, "no worker thread among %s" % sorted(blocked))
        wrong = sorted(n for n, b in blocked.items()
                       if b != ("none" if n.startswith("rte-worker-")
                                else "all"))
        verify(not wrong, "I/O signals blocked in a worker or taken by "
               "another thread: %s (blocked: %s)" % (wrong, blocked))
