# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The namespace lab without static MACs: ARP resolution, the exception
path, health checks and failover with real traffic."""

from framework import verify, wait_for, TestSuite
from labnet import OWN, VIP, Lab, SERVICES, servers

# generous timeouts: the cases' verdicts (every check up and passing,
# fe2 down only by its refused checks, fe2 still serving SMTP) must not
# depend on a frontend answering within a fraction of a second on a
# loaded machine; a check failed by a timeout here means an answer
# took a second
CHECK = {"interval": 1, "timeout": 1, "rise": 2, "fall": 3}
CHECKS = {"pop3": dict(CHECK, type="pop3"),
          "imap": dict(CHECK, type="imap"),
          "smtp": dict(CHECK, type="smtp"),
          "http": dict(CHECK, type="http", path="/"),
          "sip-udp": dict(CHECK, type="sip"),
          "sip-tcp": dict(CHECK, type="sip"),     # OPTIONS over TCP
          "echo": dict(CHECK, type="icmp")}
ALL = {"fe1", "fe2", "fe3", "fe4"}


class LabHealth(TestSuite):
    """dsrlb resolves its members by ARP, holds its own address through
    the exception interface, and moves traffic off members whose checks
    fail, service by service, without disturbing the healthy ones."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True)
        self.lab.build()
        self.lab.start_dsrlb(self.lab.config(checks=CHECKS))
        self.lab.wait_resolved()
        for svc in CHECKS:
            for fe in sorted(ALL):
                self.lab.wait_health(svc, fe, "up")

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def checks_of(self, service, member):
        for c in self.lab.ctl.call("health.list"):
            if c["service"] == service and c["member"] == member:
                return c
        raise AssertionError("no check %s/%s" % (service, member))

    def watch_transition(self, service, member, state, base, in_a_row, n):
        """Poll the check of service/member (health.list) until it says
        state, and verify every sample taken on the way against the
        rise/fall machine: it says state exactly when in_a_row(sample,
        base), the results in a row since base that lead there, is at
        least n. health.list reads runs, failures and state together
        (the master updates them in one step), so this holds for
        whatever samples the polling happens to get: no bound on how
        many checks ran meanwhile. Returns the sample that says
        state."""
        samples = []

        def reached():
            c = self.checks_of(service, member)
            samples.append(c)
            return c["state"] == state and c
        last = wait_for(reached, "%s/%s %s" % (service, member, state),
                        timeout=60, interval=0.05)
        odd = [(c["state"], in_a_row(c, base), c["runs"], c["last"])
               for c in samples
               if (c["state"] == state) != (in_a_row(c, base) >= n)]
        verify(not odd, "%s/%s: %s, not after %d in a row: (state, in a "
               "row, runs, last) %s" % (service, member, state, n,
                                         odd[:5]))
        print("    %s/%s %s after %d in a row (%d samples, %d runs)"
              % (service, member, state, in_a_row(last, base),
                 len(samples), last["runs"] - base["runs"]))
        return last

    def test_every_check_kind_passes(self):
        """Steps: dsrlb checks every member with pop3, imap, smtp, http,
        sip over UDP, sip over TCP and icmp.
        Verify: every check ran and passed, and the frontends saw the
        balancer's own address probe them (POP3 goodbye, SIP over both
        transports)."""
        checks = self.lab.ctl.call("health.list")
        verify(len(checks) == 4 * len(CHECKS), "%d checks" % len(checks))
        for c in checks:
            verify(c["state"] == "up" and c["last"] == "passed" and
                   c["runs"] > 0, "check %s" % c)
        served = self.lab.fe_stats(1)
        for k in ("pop3-from-balancer", "sip-from-balancer",
                  "smtp-from-balancer", "imap-from-balancer",
                  "http-from-balancer"):
            verify(served.get(k, 0) > 0, "fe1 saw no %s: %s" % (k, served))

    def test_members_resolved_by_arp(self):
        """Steps: dsrlb started without any member MAC.
        Verify: every member has the MAC of its frontend's eth0, learnt
        by ARP ("resolved"), and its neighbor entry is wanted and
        reachable; traffic reaches all four."""
        for m in self.lab.ctl.call("members.list"):
            i = int(m["name"][2:])
            verify(m["mac"] == self.lab.fe_mac(i) and
                   m["mac_state"] == "resolved", "member %s" % m)
        neigh = {n["address"]: n for n in self.lab.ctl.call("neighbors.list")}
        for i in range(1, 5):
            n = neigh[self.lab.fe_addr(i)]
            verify(n["wanted"] and n["state"] in ("reachable", "probe"),
                   "neighbor %s" % n)
        seen = servers(self.lab.connect(110, 60))
        verify(set(seen) == ALL, "POP3 reached %s" % seen)

    def test_ping_own_address_and_vip(self):
        """Steps: from the client behind the router, ping the balancer's
        own address and the VIP.
        Verify: both answer: the own address by the kernel through the
        exception interface (and the policy route back via the router),
        the VIP by dsrlb itself."""
        before = self.lab.dsrlb.stats()
        verify(self.lab.ping(self.lab.ns_client, OWN) == 0,
               "no answer from the own address")
        verify(self.lab.ping(self.lab.ns_client, VIP) == 0,
               "no answer from the VIP")
        after = self.lab.dsrlb.stats()
        verify(after["icmp_echo_reply"] >= before["icmp_echo_reply"] + 3,
               "VIP echo not answered by dsrlb")
        verify(after["kernel_rx"] > before["kernel_rx"] and
               after["kernel_tx"] > before["kernel_tx"],
               "own address did not go through the kernel")

    def test_sip_check_sends_route_header(self):
        """Steps: capture on fe2's eth0 the SIP sent by the balancer's
        own address.
        Verify: the health check is "OPTIONS sip:198.51.100.12:5060
        SIP/2.0" with "Route: <sip:198.51.100.12:5060;lr>", from
        198.51.100.2."""
        from scapy.all import IP, UDP
        seen = self.lab.fe_stats(2).get("sip-route", 0)
        cap = self.lab.capture(self.lab.ns_fe[1], "eth0",
                               "udp dst port 5060 and src host %s" % OWN)
        wait_for(lambda: self.lab.fe_stats(2).get("sip-route", 0) > seen + 1,
                 "two SIP checks at fe2")
        pkts = [p for p in self.lab.stop_capture(cap, at_least=1)
                if UDP in p]
        verify(pkts, "no SIP check captured")
        text = bytes(pkts[0][UDP].payload).decode()
        lines = text.split("\r\n")
        verify(pkts[0][IP].src == OWN and pkts[0][UDP].dport == 5060,
               "from %s" % pkts[0][IP].src)
        verify(lines[0] == "OPTIONS sip:198.51.100.12:5060 SIP/2.0",
               "request line %r" % lines[0])
        verify("Route: <sip:198.51.100.12:5060;lr>" in lines,
               "no Route header in:\n%s" % text)

    def test_dead_pop3_fails_over_smtp_stays(self):
        """Steps: stop fe2's POP3 server (connections refused), wait for
        the check to say down; make POP3 and SMTP connections; start it
        again, wait for up; POP3 connections again.
        Verify: fe2 goes down exactly when `fall` checks in a row have
        failed, and comes back exactly when `rise` in a row have passed
        (counted from health.list's runs and failures in every sample
        taken while waiting, not timed: however many checks ran between
        two samples); the checks that took it down were refused; while
        down no POP3 connection reaches fe2 and all succeed, while SMTP
        still reaches fe2; back, it gets POP3 connections again."""
        def passing():
            c = self.checks_of("pop3", "fe2")
            return c["last"] == "passed" and c
        # from a pass: no failure before the stop is in the streak
        before = wait_for(passing, "pop3/fe2 passing", timeout=60)
        self.lab.fe_command(2, "stop 110")
        # every check after the stop is refused; one in flight at the
        # stop may still pass, before the first failure: the failures
        # since before are the failures in a row
        down = self.watch_transition(
            "pop3", "fe2", "down", before,
            lambda c, b: c["failures"] - b["failures"], CHECK["fall"])
        verify(down["last"] == "refused", "reason %r" % down["last"])
        pop3 = self.lab.connect(110, 60)
        verify(all(r["ok"] for r in pop3), "POP3 failed while fe2 down: %s"
               % [r for r in pop3 if not r["ok"]][:3])
        verify("fe2" not in servers(pop3), "POP3 still reached fe2")
        smtp = servers(self.lab.connect(25, 60))
        verify("fe2" in smtp, "SMTP no longer reaches fe2: %s" % smtp)
        # down, every check failed: no pass in a row before the start;
        # after it, one in flight may still be refused, then every one
        # passes: the passes since are the passes in a row
        base = self.checks_of("pop3", "fe2")
        verify(base["state"] == "down" and base["last"] == "refused",
               "pop3/fe2 before its server starts: %s" % base)
        self.lab.fe_command(2, "start 110")
        self.watch_transition(
            "pop3", "fe2", "up", base,
            lambda c, b: (c["runs"] - c["failures"]) -
            (b["runs"] - b["failures"]), CHECK["rise"])
        seen = servers(self.lab.connect(110, 60))
        verify("fe2" in seen, "fe2 did not come back: %s" % seen)

    def test_link_down_moves_every_service(self):
        """Steps: take fe3's link to the segment down; wait until every
        check of fe3 says down; connect to every service; bring the link
        up, wait until every check says up.
        Verify: while down, every TCP connection and SIP request
        succeeds and none reaches fe3; afterwards fe3 serves again."""
        self.lab.link_down(3)
        try:
            for svc in CHECKS:
                self.lab.wait_health(svc, "fe3", "down")
            for _, port, _ in SERVICES:
                res = self.lab.connect(port, 40)
                verify(all(r["ok"] for r in res),
                       "VIP:%d failed with fe3 down" % port)
                verify("fe3" not in servers(res), "VIP:%d reached fe3"
                       % port)
            sip = self.lab.sip(40)
            verify(all(r["ok"] for r in sip) and
                   "fe3" not in {r["server"] for r in sip},
                   "SIP with fe3 down: %s" % sip[:3])
        finally:
            self.lab.link_up(3)
        for svc in CHECKS:
            self.lab.wait_health(svc, "fe3", "up")
        verify("fe3" in servers(self.lab.connect(143, 60)),
               "fe3 did not come back")
