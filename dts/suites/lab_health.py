# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The namespace lab without static MACs: ARP resolution, the exception
path, health checks and failover with real traffic."""

from framework import verify, wait_for, TestSuite
from labnet import OWN, VIP, Lab, SERVICES, servers

CHECK = {"interval": 0.5, "timeout": 0.4, "rise": 2, "fall": 3}
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
        Verify: fe2 goes down after `fall` failed checks (counted, not
        timed: the checks run every interval, so this is interval x
        fall plus the check in flight); then no POP3 connection reaches
        fe2 and all succeed, while SMTP still reaches fe2; fe2 comes back
        after `rise` passes and gets POP3 connections again."""
        before = self.checks_of("pop3", "fe2")
        self.lab.fe_command(2, "stop 110")
        down = self.lab.wait_health("pop3", "fe2", "down")
        failed = down["failures"] - before["failures"]
        verify(failed == CHECK["fall"], "down after %d failures" % failed)
        verify(down["runs"] - before["runs"] <= CHECK["fall"] + 1,
               "down after %d checks" % (down["runs"] - before["runs"]))
        verify(down["last"] == "refused", "reason %r" % down["last"])
        pop3 = self.lab.connect(110, 60)
        verify(all(r["ok"] for r in pop3), "POP3 failed while fe2 down: %s"
               % [r for r in pop3 if not r["ok"]][:3])
        verify("fe2" not in servers(pop3), "POP3 still reached fe2")
        smtp = servers(self.lab.connect(25, 60))
        verify("fe2" in smtp, "SMTP no longer reaches fe2: %s" % smtp)
        self.lab.fe_command(2, "start 110")
        up = self.lab.wait_health("pop3", "fe2", "up")
        verify(up["runs"] - down["runs"] >= CHECK["rise"],
               "up after %d checks" % (up["runs"] - down["runs"]))
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
