# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Helpers of the hostile-traffic suites: an attacker on the balancer's
segment, floods (dts/flood.py) from it or from the client behind the
router, the router asking for the VIP by ARP (dts/arp_probe.py), and
dsrlb's own view of what it received. Sessions: labnet.Lab.

Only documentation addresses, only inside the lab's namespaces.
"""

import json
import os
import subprocess

from framework import verify, wait_for
from labnet import DTS, PY, ROUTER, VIP, sh

ATTACKER = "198.51.100.66"
ATTACKER_MAC = "02:00:00:00:0a:66"
# the address the router's ARP probes come from (its interface, its
# MAC): distinct from the router's own, so its kernel's ARP traffic is
# never taken for an answer to a probe
PROBE_SRC = "198.51.100.250"


def add_attacker(lab):
    """A namespace on the segment (a host the attacker owns there): for
    ARP floods and frames a router would not forward. Its name."""
    ns = lab.id + "a"
    sh("ip", "netns", "add", ns)
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    lab.sysctl(ns, "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
    lab.link(ns, "eth0", lab.ns_lb, "atk")
    sh("ip", "-n", ns, "link", "set", "eth0", "address", ATTACKER_MAC)
    sh("ip", "-n", ns, "addr", "add", ATTACKER + "/24", "dev", "eth0")
    sh("ip", "-n", ns, "link", "set", "eth0", "up")
    sh("ip", "-n", lab.ns_lb, "link", "set", "atk", "master", "seg", "up")
    return ns


# the sources of the TCP floods: spoofed, outside any namespace's
# addresses and routes
SPOOFED = "192.0.2.0/24"


def quiet_spoofed_replies(lab):
    """The frontends drop what they would answer to the spoofed sources
    (SYN-ACKs, resets and their retransmissions) at once: a real member's
    answers leave through the router, never through the balancer, and
    here they would only bury the lab's router and share its CPUs."""
    for ns in lab.ns_fe:
        sh("ip", "-n", ns, "route", "add", "blackhole", SPOOFED)


def drop_spoofed_at_members(lab):
    """The frontends drop everything from the spoofed sources as it comes
    in (nftables, netdev ingress), as a server filtering bogons would:
    a flood of first fragments would otherwise fill their kernels' IP
    reassembly memory for ipfrag_time (30 s), and the next test's real
    fragments with it. dsrlb's own handling is what the suites look at."""
    for ns in lab.ns_fe:
        lab.ns(ns, "nft", "add table netdev spoofed")
        lab.ns(ns, "nft", "add chain netdev spoofed in { type filter hook "
               "ingress device eth0 priority 0; }")
        lab.ns(ns, "nft", "add rule netdev spoofed in ip saddr %s drop"
               % SPOOFED)


def tap_kernel_drops(lab):
    """Frames the kernel could not queue to dsrlb's TAP (its TX drops):
    lost before dsrlb, when the lab's CPUs cannot keep up."""
    st = json.loads(sh("ip", "-n", lab.ns_lb, "-j", "-s", "link", "show",
                       "dp0"))[0]["stats64"]
    return st["tx"]["dropped"]


def forward_path_drops(lab):
    """Frames the kernel dropped on the way from dsrlb's TAP to the
    frontends (the TAP, the segment bridge's ports, the frontends'
    interfaces; received or sent): {"ns/iface rx|tx": count}. A flood
    on the lab's two CPUs can overrun a backlog there. The TAP's TX
    drops are not among them: those are tap_kernel_drops(), before
    dsrlb."""
    out = {}
    for ns in [lab.ns_lb] + lab.ns_fe:
        for link in json.loads(sh("ip", "-n", ns, "-j", "-s", "link",
                                  "show")):
            for way in ("rx", "tx"):
                if ns == lab.ns_lb and link["ifname"] == "dp0" and \
                        way == "tx":
                    continue
                out["%s/%s %s" % (ns, link["ifname"], way)] = \
                    link["stats64"][way]["dropped"]
    return out


def drops_since(before, after):
    """The counters of forward_path_drops() that grew, with how much."""
    return {k: v - before.get(k, 0) for k, v in after.items()
            if v > before.get(k, 0)}


def remove_namespace(ns):
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def flood(ns, iface, dst_mac, kind, *args):
    """Start dts/flood.py in a namespace; finish_flood() waits for it."""
    cmd = ["ip", "netns", "exec", ns, PY, os.path.join(DTS, "flood.py"),
           "--iface", iface, "--dst-mac", dst_mac, kind] + \
        [str(a) for a in args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_flood(p):
    out, err = p.communicate(timeout=600)
    verify(p.returncode == 0, "flood.py: exit %d: %s" % (p.returncode, err))
    return json.loads(out.strip().splitlines()[-1])


def arp_probe(lab, count, interval=0.1):
    """The router asks for the VIP count times; finish_probe() says
    which requests went unanswered."""
    cmd = ["ip", "netns", "exec", lab.ns_router, PY,
           os.path.join(DTS, "arp_probe.py"), "--iface", "seg0",
           "--src", PROBE_SRC, "--target", VIP, "--count", str(count),
           "--interval", str(interval)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_probe(p):
    out, err = p.communicate(timeout=600)
    verify(p.returncode == 0, "arp_probe.py: %s" % err)
    return json.loads(out)


def port_ipackets(dsrlb, port=0):
    """Packets the DPDK port received (what dsrlb must account for)."""
    st = dsrlb.telemetry.query("/ethdev/stats,%d" % port)
    return st["ipackets"]


def wait_accounted(lab):
    """Until every packet the port received is in exactly one outcome
    counter (rx): nothing is in flight, nothing unexplained. The stats
    result."""
    def done():
        st = lab.ctl.call("stats")
        return st if st["rx"] == port_ipackets(lab.dsrlb) else None
    return wait_for(done, "every received packet counted", timeout=60)


def health_state(lab):
    """{service/member: (state, changes)}"""
    return {"%s/%s" % (c["service"], c["member"]):
            (c["state"], c.get("changes"))
            for c in lab.ctl.call("health.list")}


def router_client_mac(lab):
    """The MAC the client sends to (its gateway, the router)."""
    return lab.mac_of(lab.ns_router, "cli0")


__all__ = ["ATTACKER", "ROUTER", "SPOOFED", "add_attacker", "arp_probe",
           "drop_spoofed_at_members", "drops_since", "forward_path_drops",
           "finish_flood", "finish_probe", "flood", "health_state",
           "port_ipackets", "quiet_spoofed_replies", "remove_namespace",
           "router_client_mac", "tap_kernel_drops", "wait_accounted"]
