# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""dsrlb restarted (crashed, or stopped) under continuous traffic in the
namespace lab."""

import signal

from framework import TestSuite, verify
from labnet import Lab, verify_sessions_answered

CHECK = {"interval": 0.5, "timeout": 0.4, "rise": 2, "fall": 3}
CHECKS = {"pop3": dict(CHECK, type="pop3"),
          "imap": dict(CHECK, type="imap"),
          "smtp": dict(CHECK, type="smtp"),
          "http": dict(CHECK, type="http", path="/")}
FRONTENDS = ("fe1", "fe2", "fe3", "fe4")
SESSIONS = 24
INTERVAL_MS = 200
ROUNDS_BEFORE = 2   # NOOP rounds through the first dsrlb
ROUNDS_AFTER = 3    # and through the restarted one (2 whole ones at least)


class LabRestart(TestSuite):
    """A restarted dsrlb under continuous traffic keeps every maglev
    connection of healthy members: members resolved by ARP, health
    checks on every TCP service, the default (Maglev) scheduler; the
    restarted balancer has no flow entries and finds every connection
    mid-stream, and must send it where it was."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True)
        self.lab.build()
        self.config = self.lab.config(checks=CHECKS)
        self.lab.start_dsrlb(self.config)
        self.wait_ready()

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def wait_ready(self):
        """Every member resolved by ARP, every check up with its last run
        passed (Lab.wait_health)."""
        self.lab.wait_resolved()
        for svc in CHECKS:
            for fe in FRONTENDS:
                self.lab.wait_health(svc, fe, "up")

    def restart_under_sessions(self, sig):
        """Open the sessions, restart dsrlb with sig while they run, wait
        until it is ready and the sessions ran more rounds through it;
        the sessions' summary, what they started with, the new dsrlb's
        stats and the stopped one's exit status."""
        proc, started = self.lab.start_sessions(110, SESSIONS, INTERVAL_MS)
        error = None
        try:
            bad = [s for s in started if "error" in s]
            verify(not bad, "sessions not opened: %s" % bad[:5])
            self.lab.wait_session_rounds(started, ROUNDS_BEFORE)
            rc = self.lab.restart_dsrlb(sig, self.config)
            self.wait_ready()
            self.lab.wait_session_rounds(started, ROUNDS_AFTER)
            stats = self.lab.ctl.call("stats")
        except Exception as e:    # the sessions say more: stop them first
            error = e
        summary = self.lab.stop_sessions(proc, error)
        return summary, started, stats, rc

    def verify_sessions_kept(self, summary, started, stats):
        spread = {}
        for s in started:
            spread[s["server"]] = spread.get(s["server"], 0) + 1
        w = stats["workers"]
        print("    sessions per frontend %s; %d rounds; restarted dsrlb: "
              "flow_midstream %d, drop_member_unresolved %d, per worker %s"
              % (spread, summary["rounds"], w["flow_midstream"],
                 w["drop_member_unresolved"], stats["per_worker"]))
        failed = [s for s in summary["sessions"] if s["failed"]]
        verify(not failed, "%d of %d sessions failed across the restart: %s"
               % (len(failed), SESSIONS, failed[:5]))
        verify(len(summary["sessions"]) == SESSIONS, "%d sessions"
               % len(summary["sessions"]))
        verify_sessions_answered(summary, started)
        verify(len(spread) >= 2, "sessions all on %s" % spread)
        verify(len(stats["per_worker"]) == 2 and
               all(p["rx"] > 0 and p["fwd"] > 0 and p["flows"] > 0
                   for p in stats["per_worker"]),
               "a worker of the restarted dsrlb got no session: %s"
               % stats["per_worker"])
        # the new process knew none of them: each was found mid-stream
        verify(w["flow_midstream"] >= SESSIONS, "flow_midstream %d for %d "
               "sessions" % (w["flow_midstream"], SESSIONS))

    def test_restart_after_sigkill(self):
        """Steps: 24 POP3 sessions from the client, a NOOP on each every
        200 ms; after two rounds, dsrlb is killed with SIGKILL (its TAP
        interfaces vanish, its runtime directory is removed) while the
        sessions keep sending, and started again with the same
        configuration; wait until every member is resolved and every
        check is up and passed, then until the frontends answered three
        more rounds of the sessions; stop the sessions.
        Verify: every session survived (no error, every NOOP answered),
        each answered by the frontend that greeted it; the sessions
        spread over at least two frontends; both workers of the new
        dsrlb received and forwarded packets and hold flows; the new
        dsrlb took up every session mid-stream."""
        summary, started, stats, rc = self.restart_under_sessions(
            signal.SIGKILL)
        verify(rc == -signal.SIGKILL, "dsrlb exited %s, not killed" % rc)
        self.verify_sessions_kept(summary, started, stats)

    def test_restart_after_sigterm(self):
        """Steps: as the SIGKILL case, but dsrlb is stopped with SIGTERM
        (a clean stop) before it is started again.
        Verify: the old dsrlb exited 0; every session survived, each
        answered by the frontend that greeted it; the sessions spread
        over at least two frontends; both workers of the new dsrlb got
        packets and hold flows; the new dsrlb took up every session
        mid-stream."""
        summary, started, stats, rc = self.restart_under_sessions(
            signal.SIGTERM)
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)
        self.verify_sessions_kept(summary, started, stats)
