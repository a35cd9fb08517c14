# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Health flapping under real traffic in the namespace lab."""

from framework import TestSuite, verify
from labnet import Lab

FLAPS = 200


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
        to another member, which resets it); POP3 reached fe1..fe3
        throughout."""
        before = self.lab.ctl.call("stats")["master"]["snapshot_published"]
        pop3 = self.lab.traffic(110)
        smtp = self.lab.traffic(25)
        try:
            for _ in range(FLAPS):
                self.lab.fe_command(4, "checkfail on")
                self.lab.wait_health("pop3", "fe4", "down", timeout=30)
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
        verify(p["failed"] <= FLAPS, "%d POP3 failures for %d flaps: %s"
               % (p["failed"], FLAPS, p["errors"][:5]))
        verify({"fe1", "fe2", "fe3"} <= set(p["servers"]) and p["ok"] > 0,
               "POP3 reached %s" % p["servers"])
        verify(st["workers"]["tx_drop"] == 0, "tx_drop %d"
               % st["workers"]["tx_drop"])
