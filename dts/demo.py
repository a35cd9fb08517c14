#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The demo lab: dsrlb balancing real traffic to four frontends, over
IPv4 and IPv6.

Builds the dual-stack namespace lab (see dts/labnet.py), starts dsrlb
with health checks and without static MACs, shows the router finding
the IPv6 VIP by Neighbor Discovery and a POP3 session of each family in
dsrlbctl flows, sends real POP3, IMAP, SMTP, HTTP and SIP traffic from
the client behind the router to both VIPs, and prints where the
connections went; then stops fe2's POP3 server and shows the traffic
moving. Everything is torn down at the end.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from framework import BUILD  # noqa: E402
from labnet import (CLIENT, CLIENT6, OWN, VIP, VIP6, Lab,  # noqa: E402
                    servers)

N = 100
CHECK = {"interval": 1, "timeout": 0.5, "rise": 2, "fall": 2}
CHECKS = {"pop3": dict(CHECK, type="pop3"), "imap": dict(CHECK, type="imap"),
          "smtp": dict(CHECK, type="smtp"),
          "http": dict(CHECK, type="http", path="/"),
          "sip-udp": dict(CHECK, type="sip")}
FES = ["fe1", "fe2", "fe3", "fe4"]
FAMILIES = (("IPv4", VIP), ("IPv6", VIP6))


def row(name, family, seen, failed):
    print("%-10s %-5s %s  %6d" % (name, family,
                                  " ".join("%6d" % seen.get(f, 0)
                                           for f in FES), failed))


def table(lab, title):
    print("\n%s\n%s" % (title, "-" * len(title)))
    print("%-10s %-5s %s  %s" % ("service", "", " ".join("%6s" % f
                                                         for f in FES),
                                 "failed"))
    for name, port in (("pop3", 110), ("imap", 143), ("smtp", 25),
                       ("http", 8100)):
        for family, vip in FAMILIES:
            res = lab.connect(port, N, addr=vip)
            row("%s:%d" % (name, port), family, servers(res),
                sum(1 for r in res if not r["ok"]))
    for family, vip in FAMILIES:
        # answered from the VIP, or it failed (DSR: the frontend
        # answers the client directly)
        res = [r for r in lab.client("sip", vip, N)
               if r["ok"] and r["source"] == vip]
        row("sip:5060", family, servers(res), N - len(res))
    print("\ndsrlb's own view (members.list, both families):")
    for m in lab.ctl.call("members.list"):
        print("  %-4s %-14s mac %-17s (%s)  flows %6d  packets %7d" % (
            m["name"], m["address"], m["mac"] or "-", m["mac_state"],
            m["traffic"]["flows"], m["traffic"]["packets"]))


def dsrlbctl(lab, *args):
    """Run dsrlbctl against the lab's dsrlb; print its command line
    and output."""
    print("\n$ dsrlbctl %s" % " ".join(args))
    p = subprocess.run([os.path.join(BUILD, "app", "dsrlbctl", "dsrlbctl"),
                        "--socket", lab.dsrlb.config["control_socket"]] +
                       list(args), capture_output=True, text=True)
    sys.stdout.write(p.stdout + p.stderr)


def sessions(lab):
    """A POP3 session of each family, held open while dsrlbctl lists
    the flows: the client's, and its IPv6 ones."""
    held = [lab.start_sessions(110, 1, 500, addr=vip)[0]
            for _, vip in FAMILIES]
    try:
        dsrlbctl(lab, "flows", "--service", "pop3")
        dsrlbctl(lab, "flows", "--client", CLIENT6)
    finally:
        for p in held:
            lab.stop_sessions(p)


def main():
    lab = Lab(ipv6=True)
    try:
        print("building the lab: client %s and %s -> router -> segment "
              "198.51.100.0/24 and 2001:db8:5::/64; VIPs %s and %s on "
              "fe1..fe4's lo" % (CLIENT, CLIENT6, VIP, VIP6))
        lab.build()
        lab.start_dsrlb(lab.config(checks=CHECKS))
        print("dsrlb runs on a TAP port in the segment, own address %s "
              "(exception interface dsrlb0)" % OWN)
        lab.wait_resolved()
        for svc in CHECKS:
            for fe in FES:
                lab.wait_health(svc, fe, "up")
        print("members resolved by ARP, every health check up")
        sessions(lab)
        print("\nthe router found %s by Neighbor Discovery (dsrlb's "
              "workers answered):\n  %s" % (VIP6, lab.ns(
                  lab.ns_router, "ip", "-6", "neigh", "show", VIP6).strip()))
        table(lab, "%d connections per service and family from the client, "
              "and %d SIP OPTIONS each" % (N, N))

        print("\nstopping fe2's POP3 server ...")
        lab.fe_command(2, "stop 110")
        c = lab.wait_health("pop3", "fe2", "down")
        print("dsrlb: health pop3/fe2 down (%s)" % c["last"])
        table(lab, "the same traffic with fe2's POP3 down (its other "
              "services stay)")
        st = lab.ctl.call("stats")
        w = st["workers"]
        print("\ncounters: rx %d, fwd %d, flows %d, snapshots published %d"
              % (st["rx"], w["fwd"], w["flow_new"],
                 st["master"]["snapshot_published"]))
        print("  IPv6: packets %d, Neighbor Solicitations answered %d, "
              "flows in the tables now %d"
              % (w["ipv6"], w["ndp_reply_out"],
                 sum(p["flows_ipv6"] for p in st["per_worker"])))
    finally:
        rc = lab.teardown()
        print("\nlab torn down, dsrlb exited %d" % rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
