# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The control plane under stress in the namespace lab, with real
traffic: 60,000 changes paced at a thousand a second (a minute), each
answered, and a hundred clients hammering the control socket. Meant to
run with dsrlb built with ASan/UBSan too (DSRLB_BUILD=build-asan,
ASAN_OPTIONS=detect_leaks=1): the suite's tear-down fails on a non-zero
exit or a sanitizer report."""

import json
import os
import random
import subprocess
import threading
import time

from framework import Ctl, TestFailure, unix_connect, verify
from labnet import DTS, verify_sessions_answered
from runtime_lab import DSRLBCTL, FRONTENDS, RuntimeLab, failures

# changes made and answered, in all: a minute at the rate aimed at (the
# issue asks for 60 s); fewer for a quick look. The case ends when they
# have all been answered, however long that takes: the count is what it
# asserts, the rate is only printed
CHURN_CHANGES = int(os.environ.get("DSRLB_CHURN_CHANGES", "60000"))
CHURN_RATE = 1000           # changes per second aimed at, in all
# control connections the changes are spread over: dsrlb answers a
# bounded number of one client's requests per pass of its master loop
# (lib/ctl), and publishes them once per pass: several connections make
# several changes one snapshot, as several operators' tools would
CHURN_CONNECTIONS = 8
BATCH = 10                  # changes sent before reading their answers
# how long the fifth member stays each time: in changes of its
# connection (3 s at the rate aimed at), so that the number of its add
# and remove cycles follows from the count, not from the clock
FE5_UP_CHANGES = 3 * CHURN_RATE // CHURN_CONNECTIONS
# the second connection also adds and removes a VIP and a service on it
# (Maglev, unchecked), one step every EXTRA_EVERY changes of its own:
# VIP in, service in, service out, VIP out, again
EXTRA_EVERY = 25
VIP3 = "198.51.100.103"
EXTRA_STEPS = [
    ("vip.add", {"address": VIP3}),
    ("service.add", {"name": "churn-web", "vip": VIP3, "protocol": "tcp",
                     "port": 8100, "persistence": 0, "scheduler": "maglev",
                     "check": {"type": "none"}}),
    ("service.remove", {"name": "churn-web"}),
    ("vip.remove", {"address": VIP3}),
]
HAMMER_SECONDS = 20
HAMMER = {"valid": 30, "invalid": 20, "oversized": 10, "slow": 10,
          "never-read": 20, "idle": 10}
# what the valid hammering clients ask besides the read methods: the
# costly ones. flows.list with a filter no flow matches walks the whole
# tables (FLOW_CAPACITY positions) in pages; flows.flush of the
# persistent service, which has no traffic in these cases, waits for
# every worker; config.reload of the unchanged file parses, checks and
# compares all of it
HAMMER_CALLS = [
    "flows.list=" + json.dumps({"client": "192.0.2.254", "limit": 10000}),
    "flows.flush=" + json.dumps({"service": "pop3-persist"}),
    "config.reload",
]
# flow tables of a million positions: a walk of them all takes the
# master tens of milliseconds unless it is cut in pages
FLOW_CAPACITY = 1 << 20


class Pipe:
    """A control-socket client that pipelines: send a batch of
    requests, then read their answers (one line each, in order)."""

    def __init__(self, path):
        self.sock = unix_connect(path, 30)
        self.buf = b""
        self.next_id = 1

    def batch(self, calls):
        """[(method, params)] -> their responses, in order."""
        ids, out = [], []
        for method, params in calls:
            ids.append(self.next_id)
            out.append(json.dumps({"jsonrpc": "2.0", "id": self.next_id,
                                   "method": method, "params": params}))
            self.next_id += 1
        self.sock.sendall(("\n".join(out) + "\n").encode())
        answers = []
        while len(answers) < len(ids):
            while b"\n" not in self.buf:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    raise TestFailure("control socket closed with %d of %d "
                                      "answers" % (len(answers), len(ids)))
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\n")
            r = json.loads(line)
            verify(r.get("id") == ids[len(answers)],
                   "answer %s for request %d" % (str(r)[:200],
                                                 ids[len(answers)]))
            answers.append(r)
        return answers

    def close(self):
        self.sock.close()


class Churn:
    """A fixed number of changes on one connection, in batches, paced at
    a steady rate (rate a second, aimed at: a slower dsrlb only makes it
    take longer): weights and drain/up of the members, and (if fe5 is
    given: one Churn only) the fifth member added, kept for
    FE5_UP_CHANGES changes, removed (with drain) and, once gone, added
    again. fe1 is never drained nor given weight 0, so every service
    always has a member to take new connections: every connection must
    succeed. changes counts the change requests answered (with a result
    or an error: errors lists the first of those)."""

    def __init__(self, path, fe5, fe5_addr, rate, seed=7, extras=False):
        self.p = Pipe(path)
        self.extras = extras
        self.extra_next = 0             # index in EXTRA_STEPS
        self.extra_since = 0            # changes answered at the last one
        self.extra_done = {}
        self.rnd = random.Random(seed)
        self.rate = rate
        self.fe5 = fe5
        self.fe5_addr = fe5_addr
        self.fe5_state = "absent"       # present, removing
        self.fe5_since = 0              # changes answered at its add
        self.changes = 0
        self.refused = 0
        self.by_method = {}
        self.errors = []
        self.failure = None
        self.elapsed = 0.0
        self.cycles = 0
        self.removed_at_once = 0

    def change(self, present):
        """One random change of a present member's weight or state."""
        name = self.rnd.choice(present)
        if name == "fe1":
            return "member.set", {"name": name,
                                  "weight": self.rnd.randint(1, 200)}
        if self.rnd.random() < 0.6:
            return "member.set", {"name": name,
                                  "weight": self.rnd.randint(0, 200)}
        return "member.set", {"name": name,
                              "state": self.rnd.choice(["drain", "up"])}

    def fe5_step(self):
        """The fifth member's next request, if one is due."""
        if self.fe5 is None:
            return None
        if self.fe5_state == "absent":
            return "member.add", {"name": self.fe5, "address": self.fe5_addr,
                                  "weight": self.rnd.randint(1, 200)}
        if self.fe5_state == "present" and \
                self.changes - self.fe5_since >= FE5_UP_CHANGES:
            return "member.remove", {"name": self.fe5}
        return None

    def extra_step(self):
        """The next VIP or service change, if one is due."""
        if not self.extras or \
                self.changes - self.extra_since < EXTRA_EVERY:
            return None
        return EXTRA_STEPS[self.extra_next]

    def run(self, count):
        """count changes, each answered (Pipe.batch fails on a lost or
        misplaced answer)."""
        start = time.monotonic()
        next_batch = start
        next_poll = start
        while self.changes < count:
            now = time.monotonic()
            if now < next_batch:
                time.sleep(next_batch - now)
                continue
            next_batch += BATCH / self.rate
            if next_batch < now - 1.0:      # fell behind: do not burst
                next_batch = now
            present = list(FRONTENDS)
            if self.fe5_state == "present":
                present.append(self.fe5)
            n = min(BATCH, count - self.changes)
            calls = [self.change(present) for _ in range(n - 1)]
            last = self.fe5_step() or self.extra_step()
            calls.append(last or self.change(present))
            if self.fe5_state == "removing" and now >= next_poll:
                calls.append(("members.list", {}))
                next_poll = now + 0.2
            answers = self.p.batch(calls)
            for (method, params), a in zip(calls, answers):
                if method == "members.list":
                    if "result" in a and self.fe5 not in \
                            [m["name"] for m in a["result"]]:
                        self.fe5_state = "absent"
                    continue
                self.changes += 1
                self.by_method[method] = self.by_method.get(method, 0) + 1
                if "error" in a:
                    self.refused += 1
                    if len(self.errors) < 20:
                        self.errors.append((method, params, a["error"]))
                    continue
                if method in ("vip.add", "vip.remove", "service.add",
                              "service.remove"):
                    self.extra_done[method] = \
                        self.extra_done.get(method, 0) + 1
                    self.extra_next = (self.extra_next + 1) % \
                        len(EXTRA_STEPS)
                    self.extra_since = self.changes
                elif method == "member.add":
                    self.fe5_state = "present"
                    self.fe5_since = self.changes
                    self.cycles += 1
                elif method == "member.remove":
                    if a["result"]["removed"]:
                        self.fe5_state = "absent"
                        self.removed_at_once += 1
                    else:
                        self.fe5_state = "removing"
        self.elapsed = time.monotonic() - start
        self.p.close()

    def run_safe(self, count):
        """run() for a thread: an exception is kept for the test."""
        start = time.monotonic()
        try:
            self.run(count)
        except Exception as e:   # noqa: B902 - reported by the test
            self.failure = e
            self.elapsed = time.monotonic() - start
            self.p.close()


class LabControlStress(RuntimeLab):
    """The control plane under stress while traffic flows (2 workers,
    the runtime lab: checks on pop3, imap and smtp; a fifth frontend
    namespace, fe5, that the cases add and remove): 60,000 changes
    paced at a thousand a second, each answered; a hundred clients
    hammering the control socket. Run it with an ASan build as well:
    tear-down fails if dsrlb does not exit 0 or its log has a sanitizer
    report (leaks are reported at exit with
    ASAN_OPTIONS=detect_leaks=1)."""

    def configure(self, cfg):
        cfg["flows"]["capacity"] = FLOW_CAPACITY
        return cfg

    def traffic(self):
        """A client opening SMTP (wrr) connections one after another,
        another POP3 (Maglev) ones, and 16 IMAP sessions (Maglev), a
        NOOP each every 200 ms: (loops, sessions process, started)."""
        loops = [self.start_loop(25), self.start_loop(110)]
        sessions, started = self.lab.start_sessions(143, 16)
        verify(all("error" not in s for s in started),
               "sessions not opened: %s" % started)
        self.lab.wait_session_rounds(started, 1, key="imap-noop")
        return loops, sessions, started

    def end_traffic(self, loops, sessions, started, what):
        """Stop the traffic; verify no connection failed and every
        session answered every NOOP. Returns the loops' summaries."""
        self.lab.wait_session_rounds(started, 2, key="imap-noop")
        summary = self.lab.stop_sessions(sessions)
        conns = [self.stop_loop(p) for p in loops]
        for port, c in zip((25, 110), conns):
            verify(c["failed"] == 0, "%s: connections to port %d: %s"
                   % (what, port, failures(c)))
        bad = [s for s in summary["sessions"] if s["failed"]]
        verify(not bad, "%s: %d sessions failed: %s"
               % (what, len(bad), bad[:5]))
        verify_sessions_answered(summary, started)
        return conns

    def test_churn_1000_changes_per_second(self):
        """Steps: while the traffic runs (SMTP and POP3 connections one
        after another, 16 IMAP sessions), 60,000 changes
        (DSRLB_CHURN_CHANGES) over 8 control connections, 7,500 each,
        10 per batch, paced at 1,000 a second in all (a minute if dsrlb
        keeps up): random weights (0-200; fe1 1-200) and drain/up
        (fe2..fe4, and fe5 while it is there: never fe1), and fe5,
        backed by its frontend namespace, added, kept for 375 changes
        of its connection (3 s at that pace), removed with drain, added
        again once gone (its slot reused); on a second connection, every
        25 of its changes, in turn: VIP 198.51.100.103 added, a Maglev
        service on it added, the service removed, the VIP removed; each
        connection stops once its share is answered; then the boot
        state back, members checked.
        Verify: every connection had each of its changes answered, in
        order (exactly its share: 60,000 in all), every one with a
        result (no error, no lost answer); dsrlb is alive; not one
        connection failed (fe1 is always up with a weight, the other
        members only drained or weighted: nothing takes a flow from a
        healthy member) and every session answered every NOOP; fe5 went
        through several add and remove cycles, the VIP and the service
        too. The rate achieved is printed, not asserted: the suite has no
        timing assertions (a loaded CI machine would make them fail at
        random); dsrlb-bench measures speed."""
        lab = self.lab
        fe5 = "fe%d" % self.fe5
        loops, sessions, started = self.traffic()
        stats0 = self.ctl.call("stats")
        share = CHURN_CHANGES // CHURN_CONNECTIONS
        churns = [Churn(self.sock, fe5 if i == 0 else None,
                        lab.fe_addr(self.fe5),
                        CHURN_RATE / CHURN_CONNECTIONS, seed=7 + i,
                        extras=i == 1)
                  for i in range(CHURN_CONNECTIONS)]
        threads = [threading.Thread(target=c.run_safe, args=(share,),
                                    daemon=True)
                   for c in churns]
        for t in threads:
            t.start()
        # only bounds a hang: ten times the paced duration, and more
        deadline = time.monotonic() + 10 * CHURN_CHANGES / CHURN_RATE + 120
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        churn = churns[0]
        for c, t in zip(churns, threads):
            verify(not t.is_alive(), "a churn connection hangs with %d of "
                   "%d changes answered" % (c.changes, share))
            verify(c.failure is None, "a churn connection failed: %r"
                   % c.failure)
        self.verify_alive()
        stats1 = self.ctl.call("stats")
        snap = self.ctl.call("status")["snapshot"]
        # the VIP and its service may be left in: out (errors are fine:
        # they may be out already)
        self.ctl.request("service.remove", {"name": "churn-web"})
        self.ctl.request("vip.remove", {"address": VIP3})
        # fe5 may be left draining: let it go, then everything back
        self.reset()
        conns = self.end_traffic(loops, sessions, started, "churn")
        w0, w1 = stats0["workers"], stats1["workers"]
        changes = sum(c.changes for c in churns)
        elapsed = max(c.elapsed for c in churns)
        by_method = {}
        for c in churns:
            for k, v in c.by_method.items():
                by_method[k] = by_method.get(k, 0) + v
        errors = [e for c in churns for e in c.errors]
        print("    %d changes in %.1f s: %.0f a second (%s); fe5 added %d "
              "times (%d removed at once); snapshot %d; connections %d "
              "SMTP, %d POP3; flow_rescheduled %d, drop_no_member %d"
              % (changes, elapsed, changes / elapsed, by_method,
                 churn.cycles, churn.removed_at_once, snap,
                 conns[0]["ok"], conns[1]["ok"],
                 w1["flow_rescheduled"] - w0["flow_rescheduled"],
                 w1["drop_no_member"] - w0["drop_no_member"]))
        # each connection stopped at its share, every change answered
        # (Pipe.batch fails on a lost or misplaced answer) and none
        # refused: the count made is the count answered
        answered = [c.changes for c in churns]
        verify(answered == [share] * CHURN_CONNECTIONS and
               changes == share * CHURN_CONNECTIONS,
               "changes answered per connection %s, not %d each"
               % (answered, share))
        refused = sum(c.refused for c in churns)
        verify(refused == 0, "%d of %d changes refused: %s"
               % (refused, changes, errors[:5]))
        verify(churn.cycles >= 2, "fe5 added only %d times" % churn.cycles)
        extra = churns[1].extra_done
        print("    VIP and service changes: %s" % extra)
        verify(all(extra.get(m, 0) >= 2 for m, _ in EXTRA_STEPS),
               "VIP and service added and removed too few times: %s"
               % extra)

    def test_socket_hammered_by_100_clients(self):
        """Steps: while the traffic runs, dts/ctl_hammer.py for 20 s
        with 100 clients: 30 sending well-formed requests, 20
        ill-formed ones (bad JSON, wrong types, unknown methods and
        params, numbers out of range), each reading its answers; 10
        sending more than 1 MiB without a newline; 10 sending requests
        a byte at a time; 20 asking for long answers and never reading
        them; 10 connecting and doing nothing. The well-formed requests
        include the costly ones: flows.list with a filter no flow
        matches over tables of 2^20 positions, flows.flush of a service,
        config.reload. Meanwhile, an
        administrator runs dsrlbctl status and dsrlbctl set-weight fe1
        every 200 ms (a new connection each; a burst of clients fills
        the listen queue, and dsrlbctl must wait its turn, not fail).
        Verify: every request of the well-behaved clients (well-formed
        or not) was answered, none lost; the administrator's every
        status and member.set was answered; no connection of the
        traffic failed and every session answered every NOOP; no health
        check changed state (the master kept its timers); dsrlb is
        alive and answers."""
        hammer = os.path.join(DTS, "ctl_hammer.py")
        verify(os.path.exists(hammer), "no %s" % hammer)
        loops, sessions, started = self.traffic()
        changes = {(c["service"], c["member"]): c["changes"]
                   for c in self.ctl.call("health.list")}
        args = ["/usr/bin/python3", hammer, "--socket", self.sock,
                "--duration", str(HAMMER_SECONDS)]
        for kind, n in HAMMER.items():
            args += ["--" + kind, str(n)]
        for call in HAMMER_CALLS:
            args += ["--call", call]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        admin = {"status": 0, "member.set": 0, "errors": []}
        stop = threading.Event()

        def ask(method, *args):
            """dsrlbctl itself: a new connection per request, which
            waits its turn when the listen queue is full."""
            p = subprocess.run([DSRLBCTL, "-s", self.sock, "-t", "30"] +
                               list(args), capture_output=True, text=True,
                               timeout=60)
            if p.returncode == 0:
                admin[method] += 1
            else:
                admin["errors"].append("dsrlbctl %s: exit %d: %s"
                                       % (" ".join(args), p.returncode,
                                          p.stderr.strip()[-300:]))

        def administrator():
            while not stop.is_set():
                try:
                    ask("status", "status")
                    ask("member.set", "set-weight", "fe1",
                        "100" if admin["member.set"] % 2 else "99")
                except (OSError, subprocess.TimeoutExpired) as e:
                    admin["errors"].append(repr(e))
                stop.wait(0.2)
        t = threading.Thread(target=administrator, daemon=True)
        t.start()
        try:
            out, err = proc.communicate(timeout=HAMMER_SECONDS + 120)
        finally:
            stop.set()
            t.join(timeout=60)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        verify(proc.returncode == 0, "ctl_hammer.py exited %d: %s"
               % (proc.returncode, err[-2000:]))
        report = json.loads(out.strip().splitlines()[-1])
        self.verify_alive()
        # the suite's own connection sat idle meanwhile: with every slot
        # taken, dsrlb may close an idle client to admit a new one (by
        # design, lib/ctl/lb_ctl.h): a new connection
        self.lab.ctl.close()
        self.lab.ctl = self.ctl = Ctl(self.sock)
        st = self.ctl.call("status")
        verify(st["active"] is True, "status after the hammering: %s" % st)
        self.ctl.call("member.set", {"name": "fe1", "weight": 100})
        self.end_traffic(loops, sessions, started, "hammering")
        after = {(c["service"], c["member"]): c["changes"]
                 for c in self.ctl.call("health.list")}
        k = report["kinds"]
        print("    hammer (connections, sent, answered, closed by dsrlb, "
              "connects refused by a full listen queue): "
              "%s; administrator: %d status, %d member.set, %d errors %s"
              % ({n: (v["connections"], v["sent"], v["answered"],
                      v["closed_by_server"], v.get("connect_retries", 0))
                  for n, v in k.items()},
                 admin["status"], admin["member.set"],
                 len(admin["errors"]), admin["errors"][:2]))
        verify(report["well_behaved_all_answered"] and
               not report["failures"],
               "well-behaved clients not all answered: %s; %s"
               % (report["failures"][:5],
                  {n: k[n] for n in ("valid", "invalid")}))
        verify(k["valid"]["answered"] > 0 and k["invalid"]["answered"] > 0,
               "the well-behaved clients got nothing through: %s" % k)
        verify(not admin["errors"] and admin["status"] > 0 and
               admin["member.set"] > 0,
               "the administrator: %d status, %d member.set, errors %s"
               % (admin["status"], admin["member.set"],
                  admin["errors"][:5]))
        verify(after == changes, "health checks changed state while "
               "the socket was hammered: %s -> %s" % (changes, after))
