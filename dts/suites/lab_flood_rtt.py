# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A SYN flood against a flow table that holds less than a client's
round trip of it, with wrr and wlc: no legitimate connection is reset."""

from framework import TestSuite, verify, wait_for
from hostile import (SPOOFED, finish_flood, flood, quiet_spoofed_replies,
                     wait_accounted)
from labnet import DP_MAC, VIP, Lab

CHECK = {"interval": 1, "timeout": 0.9, "rise": 2, "fall": 3}
# each way between the client and the router: a 50 ms round trip
DELAY_MS = 25
RTT_MS = 2 * DELAY_MS
# the smallest table dsrlb takes (512 flows per worker), and a flood
# that turns it over well within a round trip: a SYN entry lives about
# 512 / 20000 s = 26 ms before the flood evicts it, and its ACK comes
# 50 ms after it
TABLE = 1024
PPS = 40000
FLOOD = 160000


class LabFloodRtt(TestSuite):
    """A client 50 ms away (a delay line between it and the router, as
    netem would make) opens POP3 connections (wrr) and IMAP connections
    (wlc) one after another, from the first eviction to the end of a
    SYN flood from random sources at the same service, sent from the
    router's side of the segment, that evicts SYN entries faster than
    the client's ACKs come. Before
    flow_pressure, such an ACK found no entry, went by the consistent
    hash to another member than its SYN, and that member reset the
    connection (ConnectionResetError on a fresh machine). 2 workers."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=True, exception=True,
                       client_delay_ms=DELAY_MS)
        self.lab.build()
        quiet_spoofed_replies(self.lab)
        checks = {"pop3": dict(CHECK, type="pop3"),
                  "imap": dict(CHECK, type="imap")}
        cfg = self.lab.config(checks=checks)
        for s in cfg["services"]:
            if s["name"] == "pop3":
                s["scheduler"] = "wrr"
            elif s["name"] == "imap":
                s["scheduler"] = "wlc"
        cfg["flows"] = {"capacity": TABLE, "syn_timeout": 2,
                        "fin_timeout": 2}
        self.lab.start_dsrlb(cfg)
        for svc in checks:
            for fe in ("fe1", "fe2", "fe3", "fe4"):
                self.lab.wait_health(svc, fe, "up")
        # the flood leaves from the router's own port on the segment,
        # to dsrlb's MAC, as the router would forward it: the delay
        # line carries only the client's traffic
        self.router_mac = self.lab.mac_of(self.lab.ns_router, "seg0")

    def tear_down_suite(self):
        if hasattr(self, "lab"):
            rc = self.lab.teardown()
            verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def flood_with_client(self, port):
        """A SYN flood at VIP:port while the client opens connections
        to it; (connections summary, counters before, counters after)."""
        lab = self.lab
        before = wait_accounted(lab)
        f = flood(lab.ns_router, "seg0", DP_MAC, "syn", "--dst", VIP,
                  "--dport", port, "--src", SPOOFED, "--pps", PPS,
                  "--count", FLOOD)
        loop = None
        try:
            # the client starts once the table is evicting: a SYN that
            # came before the first eviction was placed by the
            # scheduler, and a flood that turns the table over within
            # its round trip may evict it (the documented limit of
            # flow_pressure, doc/robustness.md); a client that started
            # first raced against that
            wait_for(lambda: lab.ctl.call("stats")["workers"].get(
                "flow_evicted", 0) > before["workers"].get(
                    "flow_evicted", 0) or f.poll() is not None,
                "the flood to make the table evict", timeout=60,
                interval=0.02)
            verify(f.poll() is None, "the flood ended before the table "
                   "evicted")
            loop = lab.traffic(port)
        finally:
            summary = finish_flood(f)
            conns = lab.stop_traffic(loop) if loop else None
        after = wait_accounted(lab)
        grew = {k: after["workers"].get(k, 0) - before["workers"].get(k, 0)
                for k in ("flow_evicted", "flow_pressure", "flow_new",
                          "flow_table_full", "flow_table_errors")}
        print("    syn flood at %d: %d sent in %.1fs; %d connections ok, "
              "%d failed; %s" % (port, summary["sent"], summary["seconds"],
                                 conns["ok"], conns["failed"], grew))
        verify(lab.dsrlb.proc.poll() is None, "dsrlb died")
        verify(grew["flow_evicted"] > 2 * TABLE,
               "the flood did not turn the table over: %s" % grew)
        verify(conns["ok"] > 0, "no connection was made: %s" % conns)
        verify(conns["failed"] == 0,
               "%d of %d connections failed (a SYN's entry evicted before "
               "its ACK, the ACK sent to another member): %s"
               % (conns["failed"], conns["failed"] + conns["ok"],
                  conns["errors"][:3]))
        verify(grew["flow_pressure"] >= conns["ok"] // 2,
               "connections were not placed by the consistent hash "
               "while the table was evicting: %s" % grew)
        verify(grew["flow_table_errors"] == 0, "flow table errors: %s" % grew)
        return conns, before, after

    def test_syn_flood_wrr_rtt_no_reset(self):
        """Steps: the SYN flood at VIP:110 (pop3, wrr) while the client
        50 ms away opens connections one after another.
        Verify: no connection failed; the flood turned the table over
        (flow_evicted more than twice the table); the connections made
        while it did were placed by the consistent hash (flow_pressure)."""
        self.flood_with_client(110)

    def test_syn_flood_wlc_rtt_no_reset(self):
        """Steps and Verify: as for wrr, at VIP:143 (imap, wlc)."""
        self.flood_with_client(143)
