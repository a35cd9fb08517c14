# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Runtime control in the namespace lab, with real traffic: weights,
drain, a frontend and a service added and removed under load, reload,
persistence across workers, dsrlbctl against a running balancer."""

import json
import os
import signal
import subprocess
import time

import prom
from framework import ROOT, TestFailure, verify, wait_for
from labnet import CLIENT, VIP, servers, verify_sessions_answered
from runtime_lab import (DSRLBCTL, FRONTENDS, PERSISTENCE, VIP2,
                         RuntimeLab, dsrlbctl, failures, http_service,
                         show)


class LabRuntime(RuntimeLab):
    """Runtime control with real traffic in the namespace lab (2
    workers): weights and weight 0, drain with a long-lived session, a
    fifth frontend and a service added and removed under continuous
    traffic, reload of broken and good files, persistence across
    workers, and every dsrlbctl command against the running balancer.

    Set-up: the lab with members resolved by ARP and the exception
    interface; checks on pop3, imap, smtp (interval 1 s); pop3 and
    imap Maglev, smtp wrr, none with persistence; pop3-persist (wrr,
    persistence 15 s) on a second VIP; a fifth frontend namespace
    (fe5, 198.51.100.15) built and serving but not in the
    configuration. Each case starts from the boot state, put back by
    control requests."""

    # ---- 1: weights ----

    @staticmethod
    def verify_shares(counts, weights, what):
        """Each member's share of the connections is its weight's share
        within 5 %, read as an operator reads "weights 1:1:2:4 within 5 %
        per member": 5 % of the member's own expected share (weight 1 of
        8: 12.5 % +- 0.625 points), not 5 percentage points (which would
        let a weight-1 member take anything from 7.5 % to 17.5 %, +-40 %
        of its share). A member of weight 0 gets none."""
        total = sum(counts.values())
        wsum = sum(weights.values())
        for fe, w in sorted(weights.items()):
            expected = w / wsum
            share = counts.get(fe, 0) / total
            verify(abs(share - expected) <= 0.05 * expected,
                   "%s: %s of weight %d has %.2f %% of %d connections, "
                   "expected %.2f %% +- 5 %% of it (all: %s)"
                   % (what, fe, w, 100 * share, total, 100 * expected,
                      counts))
        verify(set(counts) <= set(weights), "%s: reached %s" % (what, counts))

    def test_weights_share_and_weight_zero(self):
        """Steps: member.set the weights of fe1..fe4 to 1, 1, 2, 4; 800
        SMTP connections (wrr, no persistence) from the client; then
        fe4's weight 0, 400 SMTP and 200 POP3 (Maglev) connections.
        The shares are measured on wrr, whose sequence gives each member
        exactly its weight's share (per worker; RSS splits the
        connections between two sequences): with Maglev, 800 connections
        of one client are a random draw whose spread (about 9 % of a
        weight-1 share) would test luck, not weights.
        Verify: every connection succeeds; with 1:1:2:4 each member's
        share of the 800 is its weight's share within 5 % of it (see
        verify_shares); with fe4 at 0, fe4 gets none of either service
        and fe1..fe3 share the SMTP ones 1:1:2 within 5 %."""
        weights = {"fe1": 1, "fe2": 1, "fe3": 2, "fe4": 4}
        for fe, w in weights.items():
            r = self.ctl.call("member.set", {"name": fe, "weight": w})
            verify(r["weight"] == w, "member.set answered %s" % r)
        self.settle()
        counts = self.connect_ok(25, 800)
        print("    weights 1:1:2:4, 800 connections: %s" % counts)
        self.verify_shares(counts, weights, "1:1:2:4")

        self.ctl.call("member.set", {"name": "fe4", "weight": 0})
        weights["fe4"] = 0
        self.settle()
        counts = self.connect_ok(25, 400)
        pop3 = self.connect_ok(110, 200)
        print("    fe4 weight 0: SMTP %s, POP3 %s" % (counts, pop3))
        verify("fe4" not in counts and "fe4" not in pop3,
               "fe4 of weight 0 got connections: SMTP %s, POP3 %s"
               % (counts, pop3))
        self.verify_shares(counts, {k: w for k, w in weights.items() if w},
                           "1:1:2:0")

    # ---- 2: drain ----

    def test_drain_keeps_sessions_new_connections_avoid(self):
        """Steps: 16 long-lived POP3 sessions (Maglev), a NOOP on each
        every 200 ms; after two rounds, member.set the frontend holding
        most of them to drain; 100 new POP3 and 100 SMTP connections;
        three more rounds; the sessions end; member back up.
        Verify: the drained member shows "drain" in members.list and in
        the services, and keeps its flows (active) while its sessions
        live; every session, the drained member's included, answered
        every NOOP by the frontend that greeted it; no new connection
        went to the drained member, and all succeeded; once the
        sessions ended, the drained member holds no flow."""
        proc, started = self.lab.start_sessions(110, 16)
        error = None
        try:
            verify(all("error" not in s for s in started),
                   "sessions not opened: %s" % started)
            per = {}
            for s in started:
                per[s["server"]] = per.get(s["server"], 0) + 1
            target = max(sorted(per), key=lambda k: per[k])
            self.lab.wait_session_rounds(started, 2)
            r = self.ctl.call("member.set", {"name": target,
                                             "state": "drain"})
            verify(r["state"] == "drain", "member.set answered %s" % r)
            self.settle()
            m = self.members()[target]
            verify(m["state"] == "drain" and
                   m["traffic"]["active"] >= per[target],
                   "drained %s holding %d sessions: %s"
                   % (target, per[target], m))
            for svc in ("pop3", "smtp", "imap"):
                sm = self.service_member(svc, target)
                verify(sm["state"] == "drain", "%s shows %s" % (svc, sm))
            pop3 = self.connect_ok(110, 100)
            smtp = self.connect_ok(25, 100)
            print("    sessions %s; %s drained: new POP3 %s, SMTP %s"
                  % (per, target, pop3, smtp))
            verify(target not in pop3 and target not in smtp,
                   "new connections went to drained %s: POP3 %s, SMTP %s"
                   % (target, pop3, smtp))
            self.lab.wait_session_rounds(started, 3)
        except Exception as e:   # the sessions say more: stop them first
            error = e
        summary = self.lab.stop_sessions(proc, error)
        failed = [s for s in summary["sessions"] if s["failed"]]
        verify(not failed, "%d sessions failed while %s drained: %s"
               % (len(failed), target, failed[:5]))
        verify_sessions_answered(summary, started)
        wait_for(lambda: self.members()[target]["traffic"]["active"] +
                 self.members()[target]["traffic"]["inactive"] == 0,
                 "the drained member's flows to end", timeout=60,
                 interval=0.2)

    # ---- 3: a fifth frontend and a service at run time ----

    def test_add_fifth_frontend_and_service_under_traffic(self):
        """Steps: a client opens SMTP (wrr) connections one after
        another all along; member.add fe5 (the fifth frontend, not in
        the configuration) and service.add http (VIP:8100, checked,
        every member); wait until fe5 is resolved and every check of fe5
        and of http is up; 300 HTTP connections; until fe5 served 20 of
        the loop's SMTP connections; 60 IMAP sessions, a NOOP each every
        200 ms; member.remove fe5 (drain); 100 SMTP and 100 HTTP
        connections; three more NOOP rounds; the sessions end; until fe5
        is gone; service.remove http.
        Verify: not one connection of the loop failed, from before the
        add (fe5 must not get one before it is resolved) to after the
        removal; once up, fe5 got its share: at least half of a fifth of
        the loop's connections (wrr) and of the 300 HTTP ones (Maglev),
        which reached all five; member.remove answered
        draining with fe5's flows; while removing, fe5 is "removing" in
        members.list, got none of the connections started after the
        change was published, and every session, fe5's included,
        answered every NOOP; fe5 left members.list and health.list once
        its flows ended; http left services.list."""
        lab = self.lab
        fe5 = "fe%d" % self.fe5
        loop = self.start_loop(25)
        sessions = None
        try:
            t_add = time.time()
            m = self.ctl.call("member.add", {"name": fe5,
                                             "address": lab.fe_addr(5)})
            verify(m["name"] == fe5 and m["state"] == "up" and
                   m["weight"] == 100, "member.add answered %s" % m)
            svc = self.ctl.call("service.add", http_service())
            verify(svc["name"] == "http" and svc["port"] == 8100,
                   "service.add answered %s" % svc)
            self.wait_ready(FRONTENDS + (fe5,))
            t_up = time.time()
            http = self.connect_ok(8100, 300)
            print("    http after the add: %s" % http)
            verify(set(http) == set(FRONTENDS) | {fe5} and
                   http[fe5] >= 300 / 5 / 2,
                   "300 HTTP connections reached %s" % http)
            base = lab.fe_stats(5).get("smtp", 0)
            wait_for(lambda: lab.fe_stats(5).get("smtp", 0) >= base + 20,
                     "fe5 serving the loop's SMTP connections",
                     timeout=60, interval=0.2)

            sessions, started = lab.start_sessions(143, 60)
            verify(all("error" not in s for s in started),
                   "sessions not opened: %s" % started)
            on5 = sum(1 for s in started if s["server"] == fe5)
            verify(on5 > 0, "none of 60 IMAP sessions on %s: %s"
                   % (fe5, started))
            lab.wait_session_rounds(started, 2, key="imap-noop")
            r = self.ctl.call("member.remove", {"name": fe5})
            verify(r["removed"] is False and r["draining"] is True and
                   r["active_flows"] >= on5,
                   "member.remove of %s holding %d sessions: %s"
                   % (fe5, on5, r))
            wait_for(lambda: self.service_member("smtp", fe5)["state"] !=
                     "active", "%s out of the published services" % fe5,
                     timeout=10, interval=0.02)
            t_removed = time.time()
            verify(self.members()[fe5]["state"] == "removing",
                   "members.list: %s" % self.members()[fe5])
            smtp = self.connect_ok(25, 100)
            http = self.connect_ok(8100, 100)
            verify(fe5 not in smtp and fe5 not in http,
                   "new connections went to removing %s: SMTP %s, "
                   "HTTP %s" % (fe5, smtp, http))
            lab.wait_session_rounds(started, 3, key="imap-noop")
            verify(fe5 in self.members(), "%s gone with %d sessions open"
                   % (fe5, on5))
            summary = lab.stop_sessions(sessions)
            sessions = None
            bad = [s for s in summary["sessions"] if s["failed"]]
            verify(not bad, "%d sessions failed (%d on %s): %s"
                   % (len(bad), on5, fe5, bad[:5]))
            verify_sessions_answered(summary, started)
            wait_for(lambda: fe5 not in self.members(),
                     "%s removed once its flows ended" % fe5, timeout=60,
                     interval=0.2)
            verify(not [c for c in self.ctl.call("health.list")
                        if c["member"] == fe5],
                   "checks of %s left" % fe5)
            r = self.ctl.call("service.remove", {"name": "http"})
            verify(r == {"name": "http", "removed": True},
                   "service.remove answered %s" % r)
            verify("http" not in self.services(), "http still listed")
        finally:
            if sessions is not None:
                lab.stop_sessions(sessions)
            conns = self.stop_loop(loop)
        verify(conns["failed"] == 0, "the SMTP loop: %s" % failures(conns))
        log = conns["log"]
        during = [s for t, s in log if t_up <= t < t_removed]
        after = [s for t, s in log if t >= t_removed]
        print("    loop: %d connections, %d before the add, %d while fe5 "
              "up (%d on fe5), %d after its removal"
              % (len(log), sum(1 for t, _ in log if t < t_add),
                 len(during), during.count(fe5), len(after)))
        verify(during and during.count(fe5) >= len(during) / 5 / 2,
               "%s served %d of the %d loop connections while up"
               % (fe5, during.count(fe5), len(during)))
        verify(fe5 not in after, "%d loop connections went to %s after "
               "its removal was published" % (after.count(fe5), fe5))

    # ---- 4: reload ----

    def write_config(self, text):
        with open(self.lab.dsrlb.config_path, "w") as f:
            f.write(text)

    def log_count(self, text):
        return self.lab.dsrlb.output().count(text)

    def sighup(self):
        os.kill(self.ctl.call("status")["pid"], signal.SIGHUP)

    def test_reload_broken_then_good_file(self):
        """Steps: config.get written to the configuration file,
        config.reload; then, while a client opens SMTP connections one
        after another and 16 POP3 sessions talk: a file with invalid
        JSON (line 3), config.reload and SIGHUP; a file whose service
        names a member that does not exist, config.reload and SIGHUP; a
        file that changes fe2's weight to 50 and adds the http service,
        config.reload; three NOOP rounds; the first file back, SIGHUP.
        Verify: config.get's file reloads as a no-op (changed false,
        every list empty); each broken file is refused with an error
        naming the file and the place (file:3: for the JSON, the file
        and services[N].members[1] for the name), SIGHUP logs the same
        error, and config.get is unchanged after each; the good file's
        answer lists exactly fe2 changed and http added; fe2 then has
        weight 50 and http answers; SIGHUP with the first file takes
        both back; no connection of the loop failed and every session
        answered every NOOP by the frontend that greeted it."""
        path = self.lab.dsrlb.config_path
        with open(path) as f:
            boot_text = f.read()
        loop = sessions = None
        try:
            base = self.ctl.call("config.get")
            self.write_config(json.dumps(base, indent=2) + "\n")
            r = self.ctl.call("config.reload")
            empty = {k: [] for k in r if k != "changed"}
            verify(r == dict(empty, changed=False) and len(empty) == 8,
                   "config.get reloaded changed something: %s" % r)
            verify(self.ctl.call("config.get") == base,
                   "config.get differs after a no-op reload")

            loop = self.start_loop(25)
            sessions, started = self.lab.start_sessions(110, 16)
            verify(all("error" not in s for s in started),
                   "sessions not opened: %s" % started)
            lines = json.dumps(base, indent=2).split("\n")
            lines.insert(2, '  "ports" [],')     # line 3: no colon
            svc_i = [s["name"] for s in base["services"]].index("imap")
            dangling = json.loads(json.dumps(base))
            dangling["services"][svc_i]["members"] = ["fe1", "fe9"]
            broken = [("\n".join(lines) + "\n", ["%s:3:" % path]),
                      (json.dumps(dangling, indent=2) + "\n",
                       [path, "services[%d].members[1]" % svc_i, "fe9"])]
            for text, names in broken:
                self.write_config(text)
                e = self.ctl.request("config.reload")
                verify("error" in e and e["error"]["code"] == -32003,
                       "config.reload of a broken file answered %s" % e)
                msg = e["error"]["message"]
                print("    refused: %s" % msg)
                for n in names:
                    verify(n in msg, "the error does not name %r: %s"
                           % (n, msg))
                verify(self.ctl.call("config.get") == base,
                       "a refused reload changed the running state")
                before = self.log_count(msg)
                self.sighup()
                wait_for(lambda: self.log_count(msg) > before,
                         "SIGHUP to log %r" % msg, timeout=10,
                         interval=0.1)
                self.verify_alive()
                verify(self.ctl.call("config.get") == base,
                       "a refused SIGHUP reload changed the running state")

            good = json.loads(json.dumps(base))
            for m in good["members"]:
                if m["name"] == "fe2":
                    m["weight"] = 50
            good["services"].append(http_service())
            self.write_config(json.dumps(good, indent=2) + "\n")
            r = self.ctl.call("config.reload")
            verify(r == dict(empty, changed=True, members_changed=["fe2"],
                             services_added=["http"]),
                   "reload answered %s" % r)
            verify(self.members()["fe2"]["weight"] == 50, "fe2's weight")
            self.wait_ready()
            self.connect_ok(8100, 40)
            self.lab.wait_session_rounds(started, 3)

            self.write_config(json.dumps(base, indent=2) + "\n")
            self.sighup()
            wait_for(lambda: self.ctl.call("config.get") == base,
                     "SIGHUP to reload the first file", timeout=10,
                     interval=0.1)
            verify("http" not in self.services() and
                   self.members()["fe2"]["weight"] == 100,
                   "SIGHUP did not take the change back")
            self.lab.wait_session_rounds(started, 2)
            summary = self.lab.stop_sessions(sessions)
            sessions = None
            bad = [s for s in summary["sessions"] if s["failed"]]
            verify(not bad, "%d sessions failed over the reloads: %s"
                   % (len(bad), bad[:5]))
            verify_sessions_answered(summary, started)
        finally:
            if sessions is not None:
                self.lab.stop_sessions(sessions)
            conns = self.stop_loop(loop)
            self.write_config(boot_text)
        verify(conns["failed"] == 0, "the SMTP loop over the reloads: %s"
               % failures(conns))
        print("    loop: %d connections during the reloads" % conns["ok"])

    def test_reload_changing_a_check_keeps_sessions(self):
        """Steps: 20 POP3 sessions (Maglev), a NOOP on each every 200
        ms; the file's pop3 check interval changed from 1 to 3,
        config.reload; three rounds; then its type changed from pop3 to
        tcp, config.reload; three rounds; the first file back,
        config.reload; the sessions end.
        Verify: each reload answers pop3 changed; after the interval
        change every pop3 pair keeps its state and its runs and changes
        go on (a new schedule, not a new check); after the type change
        every pair is still up (a new check, whose first result
        decides, passes); every session answered every NOOP by the
        frontend that greeted it: none was moved or reset (a reload
        that touched a check used to put every member down until its
        first check, and 2 of 20 sessions were reset)."""
        path = self.lab.dsrlb.config_path
        with open(path) as f:
            boot_text = f.read()
        sessions = None
        try:
            base = self.ctl.call("config.get")
            sessions, started = self.lab.start_sessions(110, 20)
            verify(all("error" not in s for s in started),
                   "sessions not opened: %s" % started)
            self.lab.wait_session_rounds(started, 2)

            def pop3_health():
                return {c["member"]: c for c in self.ctl.call("health.list")
                        if c["service"] == "pop3"}
            before = pop3_health()
            verify(len(before) == 4 and
                   all(c["state"] == "up" for c in before.values()),
                   "pop3 checks before: %s" % before)
            slower = json.loads(json.dumps(base))
            pop3 = next(x for x in slower["services"]
                        if x["name"] == "pop3")
            pop3["check"]["interval"] = 3
            self.write_config(json.dumps(slower, indent=2) + "\n")
            r = self.ctl.call("config.reload")
            verify(r.get("services_changed") == ["pop3"],
                   "reload answered %s" % r)
            after = pop3_health()
            for fe, c in after.items():
                b = before[fe]
                verify(c["state"] == "up" and c["runs"] >= b["runs"] and
                       c["changes"] == b["changes"],
                       "%s: %s before the interval change, %s after"
                       % (fe, b, c))
            self.lab.wait_session_rounds(started, 3)

            pop3["check"]["type"] = "tcp"
            self.write_config(json.dumps(slower, indent=2) + "\n")
            r = self.ctl.call("config.reload")
            verify(r.get("services_changed") == ["pop3"],
                   "reload answered %s" % r)
            wait_for(lambda: all(c["runs"] >= 1 for c in
                                 pop3_health().values()),
                     "every new tcp check to run once", timeout=30,
                     interval=0.2)
            after = pop3_health()
            verify(all(c["state"] == "up" and c["type"] == "tcp"
                       for c in after.values()),
                   "after the type change: %s" % after)
            verify(all(m["state"] == "active"
                       for s in self.ctl.call("services.list")
                       if s["name"] == "pop3" for m in s["members"]),
                   "a pop3 member stopped taking flows")
            self.lab.wait_session_rounds(started, 3)

            self.write_config(json.dumps(base, indent=2) + "\n")
            r = self.ctl.call("config.reload")
            verify(r.get("services_changed") == ["pop3"],
                   "reload of the first file answered %s" % r)
            self.lab.wait_session_rounds(started, 2)
            summary = self.lab.stop_sessions(sessions)
            sessions = None
            bad = [x for x in summary["sessions"] if x["failed"]]
            verify(not bad, "%d of 20 sessions failed over the check "
                   "changes: %s" % (len(bad), bad[:5]))
            verify_sessions_answered(summary, started)
            print("    20 of 20 sessions kept over an interval change and "
                  "a type change of their service's check")
        finally:
            if sessions is not None:
                self.lab.stop_sessions(sessions)
            self.write_config(boot_text)
            self.ctl.request("config.reload")

    # ---- 5: persistence ----

    PROBES = 8     # RSTs per look at the client's persistence record

    def record_names(self, member):
        """Whether the client's persistence record for pop3-persist
        still names member, read without renewing it (a new connection
        would renew it): PROBES bare RSTs from the client's address to
        VIP2:110, from source ports no connection uses (privileged
        ones), sent by the client's namespace through the router. A
        packet that ends a flow dsrlb does not know is forwarded without
        state (it keeps no entry) to the member the client's record
        names, by a lookup that does not refresh the record; with no
        record, by the consistent hash of each flow (any member, the
        drained one too: several ports). True if every probe reached
        member (its forwarded packets), once all are forwarded (the
        members' packets summed; nothing else runs meanwhile)."""
        from scapy.all import IP, TCP, Ether
        lab = self.lab
        gw = lab.mac_of(lab.ns_router, "cli0")
        own = lab.mac_of(lab.ns_client, "eth0")
        frames = [Ether(src=own, dst=gw) / IP(src=CLIENT, dst=VIP2) /
                  TCP(sport=700 + i, dport=110, flags="R", seq=1000)
                  for i in range(self.PROBES)]
        base = {n: m["traffic"]["packets"] for n, m in self.members().items()}
        lab.send_frames(lab.ns_client, "eth0", frames, wait=0)

        def forwarded():
            now = {n: m["traffic"]["packets"] - base.get(n, 0)
                   for n, m in self.members().items()}
            return sum(now.values()) >= self.PROBES and now
        got = wait_for(forwarded, "%d probes forwarded" % self.PROBES,
                       timeout=30, interval=0.1)
        return got.get(member, 0) >= self.PROBES

    MANY = 32      # clients (addresses) of the spreading case

    def probes_all_reach(self, sources, member):
        """record_names() for many clients at once: a bare RST from each
        of sources to VIP2:110; True if every one reached member (each
        client's record names it)."""
        from scapy.all import IP, TCP, Ether
        lab = self.lab
        gw = lab.mac_of(lab.ns_router, "cli0")
        own = lab.mac_of(lab.ns_client, "eth0")
        frames = [Ether(src=own, dst=gw) / IP(src=src, dst=VIP2) /
                  TCP(sport=700 + i, dport=110, flags="R", seq=1000)
                  for i, src in enumerate(sources)]
        base = {n: m["traffic"]["packets"] for n, m in self.members().items()}
        lab.send_frames(lab.ns_client, "eth0", frames, wait=0)

        def forwarded():
            now = {n: m["traffic"]["packets"] - base.get(n, 0)
                   for n, m in self.members().items()}
            return sum(now.values()) >= len(frames) and now
        got = wait_for(forwarded, "%d probes forwarded" % len(frames),
                       timeout=30, interval=0.1)
        return got.get(member, 0) >= len(frames)

    def test_persistence_many_clients_spread_after_timeout(self):
        """Steps: the client gets 32 more addresses (203.0.113.100-131);
        fe2..fe4 drained; one connection from each to pop3-persist (wrr,
        persistence 15 s): all to fe1; fe2..fe4 back up, their weights
        changed and set back, fe5 added and removed (the slots churn
        under the records); one more connection from each; then the
        records read without renewing them (a bare RST from each
        address, forwarded by its record while it lives) until they no
        longer all name fe1, and the persistence timeout passed since
        the last connection of the round (the records were renewed one
        by one as it went); one more connection from each.
        Verify: the first two rounds went all to fe1 (the records hold
        across the churn); once the records lapsed, the 32 clients
        spread over the four members as wrr shares them (each took some,
        none more than half); every connection succeeded."""
        lab = self.lab
        sources = ["203.0.113.%d" % (100 + i) for i in range(self.MANY)]
        for src in sources:
            lab.ns(lab.ns_client, "ip", "addr", "add", src + "/24", "dev",
                   "eth0")
        try:
            for fe in ("fe2", "fe3", "fe4"):
                self.ctl.call("member.set", {"name": fe, "state": "drain"})
            self.settle()
            first = self.connect_from(sources)
            verify(first == {"fe1": self.MANY},
                   "with fe2-fe4 drained: %s" % first)
            for fe in ("fe2", "fe3", "fe4"):
                self.ctl.call("member.set", {"name": fe, "state": "up",
                                             "weight": 50})
                self.ctl.call("member.set", {"name": fe, "weight": 100})
            fe5 = "fe%d" % self.fe5
            self.ctl.call("member.add", {"name": fe5,
                                         "address": lab.fe_addr(self.fe5)})
            self.ctl.call("member.remove", {"name": fe5, "force": True})
            self.settle()
            kept = self.connect_from(sources)
            t0 = time.monotonic()
            verify(kept == {"fe1": self.MANY},
                   "the records did not hold across the churn: %s" % kept)
            wait_for(lambda: not self.probes_all_reach(sources, "fe1"),
                     "the records naming fe1 to lapse",
                     timeout=PERSISTENCE + 120, interval=1.0)
            print("    the first record lapsed after %.1f s (not asserted)"
                  % (time.monotonic() - t0))
            # the round renewed each record as it went (a slow build
            # takes seconds over 32 connections), so the first lapse
            # says nothing of the last: that one was renewed before t0
            # and has lapsed PERSISTENCE s later, a second rounded up
            rest = t0 + PERSISTENCE + 2 - time.monotonic()
            if rest > 0:
                time.sleep(rest)
            later = self.connect_from(sources)
            print("    after the timeout: %s" % later)
            verify(set(later) == set(FRONTENDS) and
                   max(later.values()) <= self.MANY // 2,
                   "after the timeout the clients did not spread: %s"
                   % later)
        finally:
            for src in sources:
                lab.ns(lab.ns_client, "ip", "addr", "del", src + "/24",
                       "dev", "eth0", check=False)

    def connect_from(self, sources):
        """One connection from each address to pop3-persist, each of
        which must succeed; {frontend: connections}."""
        res = self.lab.client("tcp-from", VIP2, 110, *sources)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d of %d connections failed: %s"
               % (len(bad), len(res), bad[:3]))
        return servers(res)

    def test_persistence_one_member_then_expiry(self):
        """Steps: 50 connections from the client to pop3-persist (wrr,
        persistence 15 s) on VIP2, within a few seconds; member.set the
        member that took them to drain; 10 more; look at the client's
        record without renewing it (record_names: bare RSTs from the
        client, forwarded by the record if it lives) until it no longer
        names that member (bounded by a timeout, not waited out); 50
        more; the member back up.
        Verify: the 50 all landed on one member M, while both workers
        forwarded some of them (RSS spreads one client's connections
        over the workers: the record is shared); the 10 after the drain
        still went to M (drain keeps persistence while the record
        lives), and right after them the record still names M (the
        probes see it); once the probes say it is gone, the 50 went to
        another member, again all to one; every connection succeeded.
        With persistence still on, one client's later connections
        spread over members only as records expire: here M, then
        another."""
        before = self.ctl.call("stats")["per_worker"]
        first = self.connect_ok(110, 50, addr=VIP2)
        after = self.ctl.call("stats")["per_worker"]
        fwd = [a["fwd"] - b["fwd"] for a, b in zip(after, before)]
        print("    first 50: %s; forwarded per worker %s" % (first, fwd))
        verify(len(first) == 1, "50 connections of one client within "
               "the persistence went to %s" % first)
        verify(len(fwd) == 2 and all(n > 0 for n in fwd),
               "the connections did not reach both workers: forwarded "
               "per worker %s" % fwd)
        (target,) = first
        self.ctl.call("member.set", {"name": target, "state": "drain"})
        self.settle()
        kept = self.connect_ok(110, 10, addr=VIP2)
        verify(kept == {target: 10}, "while its record lives, the client "
               "left drained %s: %s" % (target, kept))
        # the probes read the record: it names the target now
        verify(self.record_names(target), "right after the 10, the "
               "probes did not all reach %s: they do not read the "
               "client's record" % target)
        # until it expires (PERSISTENCE after the last connection),
        # read by the probes, not by the clock; the timeout only
        # bounds a hang
        t0 = time.monotonic()
        wait_for(lambda: not self.record_names(target),
                 "the client's record naming %s to expire" % target,
                 timeout=PERSISTENCE + 120, interval=1.0)
        print("    the record expired after %.1f s (not asserted)"
              % (time.monotonic() - t0))
        later = self.connect_ok(110, 50, addr=VIP2)
        print("    %s drained; after the timeout: %s" % (target, later))
        verify(target not in later, "after the timeout the client still "
               "went to drained %s: %s" % (target, later))
        verify(len(later) == 1, "the new record did not hold: %s" % later)

    def test_drain_with_persistence_lapses_under_steady_clients(self):
        """Steps: 5 connections from the client to pop3-persist (wrr,
        persistence 15 s) on VIP2: all to one member M; connections one
        after another from then on (a client that never pauses, as a
        busy NAT address); member.set M drain; while they go on, read
        the client's record (record_names: bare RSTs, which renew
        nothing) until it no longer names M, bounded by a timeout of
        PERSISTENCE + 60 s; 30 more connections beside the loop; stop;
        M back up.
        Verify: the loop reached M after the drain (the record is
        honoured while it lives), the record stops naming M although
        the client never paused (new and closing connections no longer
        renew a draining member's record: on a balancer that renews it,
        the wait times out), no connection started after that went to
        M, the 30 all went to one other member, and every connection
        succeeded."""
        first = self.connect_ok(110, 5, addr=VIP2)
        verify(len(first) == 1, "5 connections of one client within "
               "the persistence went to %s" % first)
        (target,) = first
        loop = self.start_loop(110, addr=VIP2)
        drained_at = time.time()
        self.ctl.call("member.set", {"name": target, "state": "drain"})
        self.settle()
        wait_for(lambda: not self.record_names(target),
                 "the record naming drained %s to lapse while the client "
                 "keeps connecting" % target,
                 timeout=PERSISTENCE + 60, interval=1.0)
        gone_at = time.time()
        later = self.connect_ok(110, 30, addr=VIP2)
        summary = self.stop_loop(loop)
        verify(summary["failed"] == 0, "the loop's connections failed: %s"
               % summary["errors"][:3])
        during = [srv for t, srv in summary["log"]
                  if drained_at + 1 < t < gone_at - 1]
        after = [srv for t, srv in summary["log"] if t > gone_at]
        print("    %s drained: %d of %d loop connections went to it while "
              "its record lived (%.1f s); %d after, to %s; then %s"
              % (target, during.count(target), len(during),
                 gone_at - drained_at, len(after), sorted(set(after)),
                 later))
        verify(target in during, "the loop never reached drained %s while "
               "its record lived: %s" % (target, sorted(set(during))))
        verify(after and target not in after, "after the record lapsed, "
               "connections went to %s: %s" % (target, after))
        verify(len(later) == 1 and target not in later,
               "after the record lapsed: %s" % later)

    # ---- 7: metrics over HTTP ----

    METRICS_PORT = 9199

    def scrape(self, request, port=None):
        """Send request (bytes) to the metrics endpoint from the client
        namespace, as Prometheus would from the management network; the
        raw answer (status line, headers, body)."""
        code = ("import socket,sys\n"
                "s=socket.create_connection(('127.0.0.1',%d),timeout=30)\n"
                "s.sendall(sys.stdin.buffer.read())\n"
                "d=b''\n"
                "while True:\n"
                "    b=s.recv(65536)\n"
                "    if not b: break\n"
                "    d+=b\n"
                "sys.stdout.buffer.write(d)\n"
                % (port or self.METRICS_PORT))
        p = subprocess.run(["ip", "netns", "exec", self.lab.ns_client,
                            "/usr/bin/python3", "-c", code], input=request,
                           capture_output=True, timeout=60)
        verify(p.returncode == 0, "scrape: %s" % p.stderr.decode())
        head, _, body = p.stdout.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = dict(ln.split(": ", 1) for ln in lines[1:])
        return lines[0], headers, body.decode()

    def socket_activate(self, port, sock):
        """`dsrlbctl -s sock metrics --http` behind systemd's socket
        activation (Accept=yes, as dsrlb-metrics.socket does), listening
        on 127.0.0.1:port in the client namespace."""
        p = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.ns_client,
             "systemd-socket-activate", "--inetd", "--accept",
             "--listen", "127.0.0.1:%d" % port,
             DSRLBCTL, "-s", sock, "metrics", "--http"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.activators.append(p)

        def listening():
            out = subprocess.run(["ip", "netns", "exec", self.lab.ns_client,
                                  "ss", "-Htln", "sport = :%d" % port],
                                 capture_output=True, text=True).stdout
            return str(port) in out
        wait_for(listening, "the metrics socket to listen", timeout=20,
                 interval=0.1)

    @staticmethod
    def verify_shipped_queries(families):
        """Every dsrlb metric the shipped alert rules
        (config/dsrlb-alerts.yml) and Grafana dashboard
        (config/grafana-dsrlb.json) query is in the scrape: a renamed or
        missing family would leave an alert that never fires and an
        empty panel."""
        import re
        used = {}
        for name in ("dsrlb-alerts.yml", "grafana-dsrlb.json"):
            with open(os.path.join(ROOT, "config", name)) as f:
                text = f.read()
            if name.endswith(".json"):
                exprs = [t["expr"] for p in json.loads(text)["panels"]
                         for t in p.get("targets", [])]
            else:
                exprs = [ln for ln in text.splitlines()
                         if not ln.lstrip().startswith("#")]
            for e in exprs:
                for m in re.findall(r"\bdsrlb_[a-z0-9_]+", e):
                    if m != "dsrlb_pair":      # a label, not a metric
                        used.setdefault(m, name)
        missing = sorted(m for m in used if m not in families)
        verify(not missing, "queried but not exported: %s"
               % ["%s (%s)" % (m, used[m]) for m in missing])
        print("    %d metrics the alerts and the dashboard use, all "
              "exported" % len(used))

    def test_metrics_scraped_over_http(self):
        """Steps: the metrics endpoint as dsrlb-metrics.socket runs it
        (systemd-socket-activate --inetd --accept starting `dsrlbctl
        metrics --http` per connection) in the client namespace;
        connections to smtp and pop3 flowing; GET /metrics twice, HEAD,
        GET /, an unknown path, POST, a request that is not HTTP; a
        second endpoint pointed at a socket where nothing listens.
        Verify: /metrics answers 200 with the exposition content type,
        a Content-Length that matches, and a body a strict Prometheus
        parser accepts with every family the lab's metrics test checks
        (members, services, drops, both workers) and counters that grow
        between the two scrapes; HEAD has the headers and no body; / is
        200; the unknown path 404, POST 405 with Allow, the garbage 400;
        the endpoint without dsrlb answers 200 with dsrlb_up 0 (the
        scrape worked, dsrlb is down)."""
        self.activators = []
        loops = [self.start_loop(25), self.start_loop(110)]
        try:
            self.socket_activate(self.METRICS_PORT, self.sock)
            get = b"GET /metrics HTTP/1.1\r\nHost: lb\r\n" \
                b"Accept: text/plain\r\n\r\n"
            status, hdr, body = self.scrape(get)
            verify(status == "HTTP/1.1 200 OK", "GET /metrics: %s" % status)
            verify(hdr.get("Content-Type", "").startswith(
                "text/plain; version=0.0.4"), "content type: %s" % hdr)
            verify(int(hdr["Content-Length"]) == len(body.encode()),
                   "Content-Length %s for %d bytes"
                   % (hdr["Content-Length"], len(body.encode())))
            first = prom.value(prom.parse(body), "dsrlb_rx_packets_total")
            wait_for(lambda: self.ctl.call("stats")["rx"] > first,
                     "more packets", timeout=30, interval=0.2)
            status, hdr, body = self.scrape(get)
            verify(status == "HTTP/1.1 200 OK", "GET /metrics: %s" % status)
            self.verify_metrics(body)
            n_families = len(prom.parse(body))
            self.verify_shipped_queries(prom.parse(body))
            second = prom.value(prom.parse(body), "dsrlb_rx_packets_total")
            verify(second > first, "rx did not grow between scrapes: %s, "
                   "%s" % (first, second))

            status, hdr, body = self.scrape(
                b"HEAD /metrics HTTP/1.0\r\n\r\n")
            verify(status == "HTTP/1.1 200 OK" and body == "" and
                   int(hdr["Content-Length"]) > 1000,
                   "HEAD: %s %s %r" % (status, hdr, body[:80]))
            status, _, body = self.scrape(b"GET / HTTP/1.1\r\n\r\n")
            verify(status == "HTTP/1.1 200 OK" and "/metrics" in body,
                   "GET /: %s %s" % (status, body))
            status, _, _ = self.scrape(b"GET /secrets HTTP/1.1\r\n\r\n")
            verify(status == "HTTP/1.1 404 Not Found", "GET /secrets: %s"
                   % status)
            status, hdr, _ = self.scrape(
                b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            verify(status == "HTTP/1.1 405 Method Not Allowed" and
                   hdr.get("Allow") == "GET, HEAD", "POST: %s %s"
                   % (status, hdr))
            status, _, _ = self.scrape(b"\x16\x03\x01 hello\r\n\r\n")
            verify(status == "HTTP/1.1 400 Bad Request", "garbage: %s"
                   % status)

            nowhere = os.path.join(self.lab.dir, "nothing-here.sock")
            self.socket_activate(self.METRICS_PORT + 1, nowhere)
            status, _, body = self.scrape(get, port=self.METRICS_PORT + 1)
            fam = prom.parse(body)
            verify(status == "HTTP/1.1 200 OK" and
                   prom.value(fam, "dsrlb_up") == 0,
                   "without dsrlb: %s %s" % (status, body))
        finally:
            for p in self.activators:
                p.terminate()
                p.wait(timeout=30)
            for loop in loops:
                summary = self.stop_loop(loop)
                verify(summary is None or summary["failed"] == 0,
                       "connections failed while scraping: %s"
                       % (summary and summary["errors"][:3]))
        print("    scraped over HTTP: %d families; rx %d, then %d"
              % (n_families, first, second))

    # ---- 8: dsrlbctl ----

    def ctl_ok(self, *args, json_out=False):
        p = dsrlbctl(self.sock, *args)
        verify(p.returncode == 0 and p.stdout, show(p))
        if json_out:
            try:
                return json.loads(p.stdout)
            except ValueError as e:
                raise TestFailure("%s: not JSON: %s" % (show(p), e))
        return p.stdout

    def ctl_fails(self, args, message):
        """dsrlbctl args must fail (non-zero) printing message on
        stderr."""
        p = dsrlbctl(self.sock, *args)
        verify(p.returncode != 0 and message in p.stderr,
               "expected a failure saying %r: %s" % (message, show(p)))
        return p

    def test_dsrlbctl_every_command(self):
        """Steps: with 8 POP3 sessions open and a client opening SMTP
        connections all along, every dsrlbctl command against the
        running lab: status, list, list --stats, list --rate, members,
        health, neighbors, flows (all, and --service/--member), top -n
        2, metrics, call, each read also with --json; the sessions end;
        set-weight, drain, enable, disable, add-member (fe5),
        remove-member, add-service, remove-service, reload, deactivate,
        activate; commands that must fail: set-weight of an unknown
        member, weight out of range, remove-service of an unknown
        service, call with a bad param.
        Verify: each exits 0 with output naming what it shows (the
        services, members with their addresses and MACs, checks up,
        flows of the sessions, the workers); --json output equals the
        methods' results where they do not move; each change shows in
        members.list/services.list and traffic follows it (a disabled
        member gets no connection, a new member and service answer);
        metrics parses as Prometheus text (dts/prom.py) with packets,
        bytes and flows per service and member, drops by reason and
        per-worker counters, consistent with members.list; the failures
        exit non-zero with the server's message; no connection of the
        loop failed."""
        verify(os.access(DSRLBCTL, os.X_OK), "no dsrlbctl at %s" % DSRLBCTL)
        lab = self.lab
        loop = self.start_loop(25)
        sessions = None
        try:
            sessions, started = lab.start_sessions(110, 8)
            verify(all("error" not in s for s in started),
                   "sessions not opened: %s" % started)
            lab.wait_session_rounds(started, 1)
            self.dsrlbctl_reads(started)
            summary = lab.stop_sessions(sessions)
            sessions = None
            verify(not [s for s in summary["sessions"] if s["failed"]],
                   "sessions failed: %s" % summary)
            self.dsrlbctl_writes()
        finally:
            if sessions is not None:
                lab.stop_sessions(sessions)
            conns = self.stop_loop(loop)
        verify(conns["failed"] == 0, "the SMTP loop: %s" % failures(conns))
        # what breaks connections by design: disable moves a member's
        # flows, standby forwards nothing: after the loop
        self.dsrlbctl_disruptive()
        self.dsrlbctl_errors()

    def dsrlbctl_reads(self, started):
        out = self.ctl_ok("status")
        verify(out.startswith("dsrlb ") and "active" in out and
               "workers      2" in out, "status:\n%s" % out)
        st = self.ctl_ok("--json", "status", json_out=True)
        want = self.ctl.call("status")
        verify(st["pid"] == want["pid"] and st["members"] == 4 and
               st["active"] is True and st["workers"] == 2,
               "status --json: %s" % st)

        names = set(self.services())
        for args in (["list"], ["list", "--stats"],
                     ["list", "--rate", "-i", "0.5"]):
            out = self.ctl_ok(*args)
            first = {ln.split()[0] for ln in out.splitlines() if ln.split()}
            verify(names <= first, "%s lacks services %s:\n%s"
                   % (args, names - first, out))
            verify(all("-> %s" % fe in out for fe in FRONTENDS),
                   "%s lacks members:\n%s" % (args, out))
        doc = self.ctl_ok("--json", "list", json_out=True)
        verify({s["name"] for s in doc["services"]} == names and
               {m["name"] for m in doc["members"]} == set(FRONTENDS),
               "list --json: %s" % doc)
        rate = self.ctl_ok("--json", "list", "--rate", "-i", "0.5",
                           json_out=True)
        smtp = [s for s in rate["services"] if s["name"] == "smtp"]
        verify(smtp and smtp[0]["flows_per_s"] > 0,
               "list --rate with an SMTP loop running: %s" % rate)

        out = self.ctl_ok("members")
        for i, fe in enumerate(FRONTENDS, 1):
            row = [ln.split() for ln in out.splitlines()
                   if ln.split()[:1] == [fe]]
            verify(row and self.lab.fe_addr(i) in row[0] and
                   self.lab.fe_mac(i) in row[0], "members: %s:\n%s"
                   % (fe, out))
        ms = self.ctl_ok("--json", "members", json_out=True)
        verify([m["name"] for m in ms] == list(FRONTENDS) and
               [m["mac"] for m in ms] ==
               [self.lab.fe_mac(i) for i in range(1, 5)],
               "members --json: %s" % ms)

        out = self.ctl_ok("health")
        checks = self.ctl.call("health.list")
        verify(len(checks) == 4 * len(self.checked_services()),
               "health.list: %s" % checks)
        for c in checks:
            verify(any(ln.split()[:2] == [c["service"], c["member"]] and
                       "up" in ln.split() for ln in out.splitlines()),
                   "health lacks %s/%s up:\n%s" % (c["service"],
                                                   c["member"], out))
        hj = self.ctl_ok("--json", "health", json_out=True)
        verify({(c["service"], c["member"], c["state"]) for c in hj} ==
               {(c["service"], c["member"], "up") for c in checks},
               "health --json: %s" % hj)

        out = self.ctl_ok("neighbors")
        for i in range(1, 5):
            verify(any(ln.split()[:2] == [self.lab.fe_addr(i),
                                          self.lab.fe_mac(i)]
                       for ln in out.splitlines()),
                   "neighbors lacks fe%d:\n%s" % (i, out))
        nj = self.ctl_ok("--json", "neighbors", json_out=True)
        verify({self.lab.fe_addr(i) for i in range(1, 5)} <=
               {n["address"] for n in nj}, "neighbors --json: %s" % nj)

        # flows: the sessions' are in the tables (established)
        ports = {s["sport"] for s in started}
        out = self.ctl_ok("flows", "--service", "pop3", "--limit", "1000")
        listed = {int(ln.split()[1].rsplit(":", 1)[1])
                  for ln in out.splitlines()
                  if ln.split()[1:2] and ":" in ln.split()[1] and
                  ln.split()[0].isdigit()}
        verify(ports <= listed, "flows --service pop3 lacks sessions %s:"
               "\n%s" % (sorted(ports - listed), out))
        fj = self.ctl_ok("--json", "flows", "--client", "203.0.113.10",
                         "--limit", "10000", json_out=True)
        fl = fj["flows"] if isinstance(fj, dict) else fj
        mine = {f["client_port"]: f for f in fl if f["port"] == 110 and
                f["service"] == "pop3"}
        for s in started:
            f = mine.get(s["sport"])
            verify(f is not None and f["member"] == s["server"] and
                   f["state"] == "established",
                   "flows --json: session %s: %s" % (s, f))
        one = started[0]["server"]
        fm = self.ctl_ok("--json", "flows", "--member", one, json_out=True)
        fm = fm["flows"] if isinstance(fm, dict) else fm
        verify(fm and all(f["member"] == one for f in fm),
               "flows --member %s: %s" % (one, fm))
        workers = {f["worker"] for f in fl}
        print("    flows: sessions on workers %s" % sorted(workers))

        out = self.ctl_ok("top", "-n", "2", "-i", "0.5")
        verify("smtp" in out and "fe1" in out, "top:\n%s" % out)
        out = self.ctl_ok("--json", "top", "-n", "2", "-i", "0.5")
        frames = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
        verify(len(frames) == 2, "top --json -n 2 gave %d lines:\n%s"
               % (len(frames), out))

        self.verify_metrics()

        st = self.ctl_ok("call", "status", json_out=True)
        verify(st["pid"] == want["pid"], "call status: %s" % st)
        st = self.ctl_ok("call", "stats", "{}", json_out=True)
        verify(len(st["per_worker"]) == 2, "call stats: %s" % st)

    def verify_metrics(self, text=None):
        if text is None:
            text = self.ctl_ok("metrics")
        try:
            fam = prom.parse(text)
        except prom.ParseError as e:
            raise TestFailure("metrics do not parse: %s" % e)
        members = self.members()
        services = self.services()
        verify(prom.value(fam, "dsrlb_up") == 1, "dsrlb_up")
        for name in ("packets_total", "bytes_total", "flows_new_total",
                     "flows_active"):
            for s in services:
                prom.value(fam, "dsrlb_service_" + name, service=s)
            for m in members:
                prom.value(fam, "dsrlb_member_" + name, member=m)
        for m, e in members.items():
            v = prom.value(fam, "dsrlb_member_packets_total", member=m)
            verify(0 < v <= e["traffic"]["packets"],
                   "%s: %s packets in metrics, %d after" %
                   (m, v, e["traffic"]["packets"]))
        smtp = prom.value(fam, "dsrlb_service_flows_new_total",
                          service="smtp")
        verify(smtp > 0, "smtp flows %s" % smtp)
        drops = prom.samples(fam, "dsrlb_drops_total")
        reasons = {s.labels.get("reason") for s in drops}
        verify({"no_service", "no_member"} <= reasons,
               "drop reasons: %s" % sorted(reasons))
        for name in ("dsrlb_worker_rx_total", "dsrlb_worker_tx_total",
                     "dsrlb_worker_busy_cycles_total"):
            w = prom.samples(fam, name)
            verify(len(w) == 2 and len({s.labels["lcore"] for s in w}) == 2,
                   "%s: %s" % (name, w))
        rx = prom.samples(fam, "dsrlb_worker_rx_total")
        verify(all(s.value > 0 for s in rx), "a worker got nothing: %s"
               % rx)
        print("    metrics: %d families, %d samples" % (
            len(fam), sum(len(f.samples) for f in fam.values())))

    def dsrlbctl_writes(self):
        fe5 = "fe%d" % self.fe5
        self.ctl_ok("set-weight", "fe1", "50")
        verify(self.members()["fe1"]["weight"] == 50, "set-weight")
        m = self.ctl_ok("--json", "set-weight", "fe1", "100", json_out=True)
        verify(m["weight"] == 100 and m["name"] == "fe1",
               "set-weight --json: %s" % m)
        self.ctl_ok("drain", "fe2")
        verify(self.members()["fe2"]["state"] == "drain" and
               self.service_member("pop3", "fe2")["state"] == "drain",
               "drain")
        self.ctl_ok("enable", "fe2")
        verify(self.members()["fe2"]["state"] == "up", "enable")
        out = self.ctl_ok("add-member", fe5, self.lab.fe_addr(5),
                          "--weight", "100")
        verify(fe5 in out, "add-member: %s" % out)
        self.wait_ready(FRONTENDS + (fe5,))
        out = self.ctl_ok("add-service", "http", VIP, "tcp", "8100",
                          "--scheduler", "wrr", "--persistence", "0",
                          "--check", "http")
        verify("http" in out, "add-service: %s" % out)
        self.wait_ready(FRONTENDS + (fe5,))
        seen = self.connect_ok(8100, 50)
        verify(set(seen) == set(FRONTENDS) | {fe5},
               "http (wrr) with fe5: %s" % seen)
        self.ctl_ok("remove-service", "http")
        verify("http" not in self.services(), "remove-service")
        self.ctl_ok("remove-member", fe5)
        wait_for(lambda: fe5 not in self.members(), "%s removed" % fe5,
                 timeout=60, interval=0.2)

    def dsrlbctl_disruptive(self):
        self.ctl_ok("disable", "fe3")
        verify(self.members()["fe3"]["state"] == "disabled" and
               self.service_member("pop3", "fe3")["state"] == "out",
               "disable")
        self.settle()
        seen = self.connect_ok(110, 40)
        verify("fe3" not in seen, "disabled fe3 got %s" % seen)
        self.ctl_ok("enable", "fe3")
        verify(self.members()["fe3"]["state"] == "up", "enable fe3")
        out = self.ctl_ok("reload")
        verify("reloaded" in out, "reload: %s" % out)
        self.ctl_ok("deactivate")
        verify(self.ctl.call("status")["active"] is False, "deactivate")
        self.ctl_ok("activate")
        verify(self.ctl.call("status")["active"] is True, "activate")
        self.settle()
        self.connect_ok(110, 20)

    def dsrlbctl_errors(self):
        self.ctl_fails(["set-weight", "fe9", "5"], 'no member "fe9"')
        self.ctl_fails(["set-weight", "fe1", "70000"], "70000")
        self.ctl_fails(["remove-service", "nosuch"], 'no service "nosuch"')
        self.ctl_fails(["call", "member.set", '{"name": "fe1", '
                        '"weight": "heavy"}'], "params.weight")
        self.ctl_fails(["--json", "remove-member", "fe9"], 'no member "fe9"')
