# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Health flapping under real traffic in the namespace lab."""

import time

from framework import TestSuite, verify, wait_for
from labnet import Lab

FLAPS = 200


def unexplained_failures(summary, downs):
    """The failed connections of a lab_client.py loop summary that no
    time fe4 went down explains: [(start, end, error)].

    downs: one (t0, t1) per time fe4 went down: t0 before its check was
    made to fail, t1 once every worker had left the snapshots that still
    held fe4 (the master had freed them: a worker on an old snapshot may
    still place a new connection on fe4, which the next snapshot then
    moves). A connection is reset only if it was on fe4 when
    fe4 went out, so a failure is explained only by a flap whose window
    its lifetime (start, to the time the client saw it fail) overlaps,
    and a flap explains at most one: the client has one connection in
    flight at a time, and one that starts after fe4 is out is not on
    it. Failures and windows are each in time order and disjoint, so
    giving each failure the first window it overlaps that no earlier
    failure took is a largest matching."""
    starts = [t for t, server in summary["log"] if server is None]
    failed = [(start, err[0], err[1])
              for start, err in zip(starts, summary["errors"])]
    left, i = [], 0
    for start, end, error in failed:
        while i < len(downs) and downs[i][1] < start:
            i += 1            # this flap was over before it started
        if i < len(downs) and downs[i][0] <= end:
            i += 1            # this flap explains it, and no other
        else:
            left.append((start, end, error))
    return left


class LabFlaps(TestSuite):
    """A member whose check flaps 200 times while clients connect
    without pause: dsrlb publishes a snapshot per change and never
    crashes, and no connection to a healthy member fails."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab()
        self.lab.build()
        checks = {"pop3": {"type": "pop3", "interval": 0.1, "timeout": 0.1,
                           "rise": 1, "fall": 1},
                  "smtp": {"type": "tcp", "interval": 1, "timeout": 0.5}}
        self.lab.start_dsrlb(self.lab.config(checks=checks))
        self.lab.wait_resolved()
        for fe in ("fe1", "fe2", "fe3", "fe4"):
            self.lab.wait_health("pop3", fe, "up")
            self.lab.wait_health("smtp", fe, "up")

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def wait_old_snapshots_freed(self):
        """Until the master has freed every snapshot but the current
        one: each worker has passed a quiescent state since the last
        publication, so none still reads an older one."""
        def done():
            m = self.lab.ctl.call("stats")["master"]
            return m["snapshot_published"] - m["snapshot_freed"] <= 1
        wait_for(done, "the workers on the current snapshot", timeout=30,
                 interval=0.01)

    def test_200_flaps_under_traffic(self):
        """Steps: clients connect to POP3 and to SMTP one connection
        after another, without pause; fe4 then fails its POP3 check
        (it answers the balancer's address with -ERR but keeps serving
        clients) and passes it again, 200 times, each change awaited
        through the control socket.
        Verify: dsrlb is alive and published a snapshot per change;
        no SMTP connection failed (every member stayed healthy for
        SMTP) and SMTP reached all four; POP3 connections failed at most
        once per time fe4 went down (a client has one connection in
        flight, and only a connection on fe4 when it goes down is moved
        to another member, which resets it): every failed POP3
        connection (start and failure time from the client's log) was
        in flight while fe4 went down, at most one per time it did;
        POP3 reached fe1..fe3 throughout."""
        before = self.lab.ctl.call("stats")["master"]["snapshot_published"]
        pop3 = self.lab.traffic(110)
        smtp = self.lab.traffic(25)
        downs = []   # (before checkfail on, after down seen): wall clock,
        try:         # as the client's log (same machine)
            for _ in range(FLAPS):
                t0 = time.time()
                self.lab.fe_command(4, "checkfail on")
                self.lab.wait_health("pop3", "fe4", "down", timeout=30)
                self.wait_old_snapshots_freed()
                downs.append((t0, time.time()))
                self.lab.fe_command(4, "checkfail off")
                self.lab.wait_health("pop3", "fe4", "up", timeout=30)
        finally:
            p = self.lab.stop_traffic(pop3)
            s = self.lab.stop_traffic(smtp)
        print("    POP3 %d ok, %d failed, %s; SMTP %d ok, %d failed, %s"
              % (p["ok"], p["failed"], p["servers"], s["ok"], s["failed"],
                 s["servers"]))
        st = self.lab.ctl.call("stats")
        published = st["master"]["snapshot_published"] - before
        verify(published >= 2 * FLAPS, "%d snapshots for %d changes"
               % (published, 2 * FLAPS))
        verify(s["failed"] == 0, "SMTP connections failed: %s"
               % s["errors"][:5])
        verify(set(s["servers"]) == {"fe1", "fe2", "fe3", "fe4"},
               "SMTP reached %s" % s["servers"])
        verify(len(p["log"]) == p["ok"] + p["failed"] and
               len(p["errors"]) == p["failed"],
               "the POP3 client's log: %d entries, %d errors for %d ok, %d "
               "failed" % (len(p["log"]), len(p["errors"]), p["ok"],
                           p["failed"]))
        odd = unexplained_failures(p, downs)
        verify(not odd, "%d of %d POP3 failures not explained by fe4 "
               "going down (%d times; one connection each at most): "
               "(start, failed at, error) %s" % (
                   len(odd), p["failed"], len(downs), odd[:5]))
        verify({"fe1", "fe2", "fe3"} <= set(p["servers"]) and p["ok"] > 0,
               "POP3 reached %s" % p["servers"])
        verify(st["workers"]["tx_drop"] == 0, "tx_drop %d"
               % st["workers"]["tx_drop"])
