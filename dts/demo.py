#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The demo lab: dsrlb balancing real traffic to four frontends.

Builds the namespace lab (see dts/labnet.py), starts dsrlb with health
checks and without static MACs, sends real POP3, IMAP, SMTP, HTTP and
SIP traffic from the client behind the router, and prints where the
connections went; then stops fe2's POP3 server and shows the traffic
moving. Everything is torn down at the end.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from labnet import OWN, VIP, Lab, servers  # noqa: E402

N = 100
CHECK = {"interval": 1, "timeout": 0.5, "rise": 2, "fall": 2}
CHECKS = {"pop3": dict(CHECK, type="pop3"), "imap": dict(CHECK, type="imap"),
          "smtp": dict(CHECK, type="smtp"),
          "http": dict(CHECK, type="http", path="/"),
          "sip-udp": dict(CHECK, type="sip")}
FES = ["fe1", "fe2", "fe3", "fe4"]


def table(lab, title):
    print("\n%s\n%s" % (title, "-" * len(title)))
    print("%-10s %s  %s" % ("service", " ".join("%6s" % f for f in FES),
                            "failed"))
    for name, port in (("pop3", 110), ("imap", 143), ("smtp", 25),
                       ("http", 8100)):
        res = lab.connect(port, N)
        seen = servers(res)
        print("%-10s %s  %6d" % ("%s:%d" % (name, port),
                                 " ".join("%6d" % seen.get(f, 0) for f in FES),
                                 sum(1 for r in res if not r["ok"])))
    res = lab.sip(N)
    seen = {}
    for r in res:
        if r["ok"]:
            seen[r["server"]] = seen.get(r["server"], 0) + 1
    print("%-10s %s  %6d" % ("sip:5060", " ".join("%6d" % seen.get(f, 0)
                                                  for f in FES),
                             sum(1 for r in res if not r["ok"])))
    print("\ndsrlb's own view (members.list):")
    for m in lab.ctl.call("members.list"):
        print("  %-4s %-14s mac %-17s (%s)  flows %6d  packets %7d" % (
            m["name"], m["address"], m["mac"] or "-", m["mac_state"],
            m["traffic"]["flows"], m["traffic"]["packets"]))


def main():
    lab = Lab()
    try:
        print("building the lab: client 203.0.113.10 -> router -> "
              "segment 198.51.100.0/24; VIP %s on fe1..fe4's lo" % VIP)
        lab.build()
        lab.start_dsrlb(lab.config(checks=CHECKS))
        print("dsrlb runs on a TAP port in the segment, own address %s "
              "(exception interface dsrlb0)" % OWN)
        lab.wait_resolved()
        for svc in CHECKS:
            for fe in FES:
                lab.wait_health(svc, fe, "up")
        print("members resolved by ARP, every health check up")
        table(lab, "%d connections per service from the client, and %d "
              "SIP OPTIONS" % (N, N))

        print("\nstopping fe2's POP3 server ...")
        lab.fe_command(2, "stop 110")
        c = lab.wait_health("pop3", "fe2", "down")
        print("dsrlb: health pop3/fe2 down (%s)" % c["last"])
        table(lab, "the same traffic with fe2's POP3 down (its other "
              "services stay)")
        st = lab.ctl.call("stats")
        print("\ncounters: rx %d, fwd %d, flows %d, snapshots published %d"
              % (st["rx"], st["workers"]["fwd"], st["workers"]["flow_new"],
                 st["master"]["snapshot_published"]))
    finally:
        rc = lab.teardown()
        print("\nlab torn down, dsrlb exited %d" % rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
