# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""ARP on net_pcap: the balancer owns the VIPs on the wire."""

import os

from scapy.all import ARP, Dot1Q, Ether, rdpcap

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       run_pcap, verify, wait_for)

VIPS = ["198.51.100.100", "198.51.100.101"]
OWN = "198.51.100.2"
ASKER_MAC = "02:00:00:00:00:aa"
ASKER_IP = "198.51.100.1"


def is_garp(p):
    return ARP in p and p[ARP].op == 1 and p[ARP].psrc == p[ARP].pdst


def garps_written(path):
    """The gratuitous ARPs net_pcap has written to path so far (it
    flushes the file after every burst); 0 while a record is being
    written."""
    try:
        return sum(1 for p in rdpcap(path) if is_garp(p)) \
            if os.path.getsize(path) > 24 else 0
    except Exception:    # noqa: B902 - a record half written
        return 0


def who_has(target, vlan=None):
    p = Ether(src=ASKER_MAC, dst="ff:ff:ff:ff:ff:ff")
    if vlan is not None:
        p = p / Dot1Q(vlan=vlan)
    return p / ARP(op=1, hwsrc=ASKER_MAC, psrc=ASKER_IP, pdst=target)


class PcapArp(TestSuite):
    """ARP replies for VIPs and the own address, nothing for others, and
    gratuitous ARP for every VIP at start.

    Runs with the default workers: ARP is received on queue 0 (default
    steering puts non-IP there) and handed to the master lcore, whose
    replies and announcements leave through worker 0; replies are
    matched to requests by the address asked, never by position."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.config = base_config(four_members(), [
            {"name": "pop3", "vip": "*", "protocol": "tcp", "port": 110}],
            vips=VIPS)

    def replies(self, run):
        return [p for p in run.arp() if p[ARP].op == 2]

    def test_reply_for_vip_and_own_address(self):
        """Steps: ARP requests for both VIPs and for the port's address.
        Verify: one reply each (matched by the address asked: each asked
        address answered exactly once, nothing else answered), from the
        port MAC, saying the asked address is at the port MAC, sent to
        the asker; answered by the workers in place (arp_reply_out), so
        none of them went to the master lcore (to_master 0)."""
        sent = [who_has(VIPS[0]), who_has(VIPS[1]), who_has(OWN)]
        run = run_pcap("arp_reply", self.config, sent,
                       until=lambda s: s["arp_reply_out"] >= 3)
        rep = self.replies(run)
        verify(len(rep) == 3, "expected 3 replies, got %d: %s"
               % (len(rep), [p.summary() for p in rep]))
        answered = sorted(r[ARP].psrc for r in rep)
        verify(answered == sorted([VIPS[0], VIPS[1], OWN]),
               "answered for %s" % answered)
        for r in rep:
            verify(r.src == PCAP_MAC and r.dst == ASKER_MAC,
                   "reply Ethernet %s -> %s" % (r.src, r.dst))
            a = r[ARP]
            verify(a.hwsrc == PCAP_MAC,
                   "reply says %s is at %s" % (a.psrc, a.hwsrc))
            verify(a.hwdst == ASKER_MAC and a.pdst == ASKER_IP,
                   "reply target %s/%s" % (a.pdst, a.hwdst))
        verify(run.stats["to_master"] == 0 and
               run.stats["arp_reply_out"] == 3,
               "to_master %d, arp_reply_out %d"
               % (run.stats["to_master"], run.stats["arp_reply_out"]))

    def test_no_reply_for_other_addresses(self):
        """Steps: ARP requests for a member, an unused address, and the
        gateway.
        Verify: no reply; each counted as ignored."""
        sent = [who_has("198.51.100.11"), who_has("198.51.100.200"),
                who_has("198.51.100.1")]
        run = run_pcap("arp_other", self.config, sent,
                       until=lambda s: s["arp_ignored"] >= 3)
        verify(not self.replies(run), "replied: %s"
               % [p.summary() for p in self.replies(run)])
        verify(run.stats["arp_request_in"] == 3, "arp_request_in %d"
               % run.stats["arp_request_in"])

    def test_gratuitous_arp_at_start(self):
        """Steps: start dsrlb with two VIPs on the port's subnet; wait
        until it has counted 6 gratuitous ARPs (garp_out: queued to
        worker 0) and worker 0's output pcap holds 6 (sent), then stop
        it (stopping frees frames still queued: waiting for the counter
        alone compared frames queued with frames written).
        Verify: three rounds of gratuitous ARP (sender = target = VIP,
        sender MAC = port MAC, broadcast) for each VIP, every one
        counted sent: the ARP requests in the output are exactly those
        6 and garp_out is 6."""
        def written(d):
            out0 = os.path.join(d.workdir, "out0.pcap")
            wait_for(lambda: garps_written(out0) >= 6,
                     "6 gratuitous ARPs in %s" % out0, timeout=30)
        run = run_pcap("arp_garp", self.config, [],
                       until=lambda s: s["garp_out"] >= 6,
                       what="three rounds of gratuitous ARP",
                       inspect=written)
        garps = [p for p in run.arp() if p[ARP].op == 1]
        verify(len(garps) == 6 and all(is_garp(p) for p in garps) and
               run.stats["garp_out"] == len(garps),
               "expected 6 gratuitous ARPs, got %d ARP requests (%s), "
               "garp_out %d" % (len(garps), [p.summary() for p in garps],
                                run.stats["garp_out"]))
        for g in garps:
            a = g[ARP]
            verify(g.dst == "ff:ff:ff:ff:ff:ff" and g.src == PCAP_MAC,
                   "not broadcast from the port: %s" % g.summary())
            verify(a.psrc == a.pdst and a.psrc in VIPS and
                   a.hwsrc == PCAP_MAC, "not a VIP announcement: %s"
                   % g.summary())
        for v in VIPS:
            n = sum(1 for g in garps if g[ARP].psrc == v)
            verify(n == 3, "%s announced %d times" % (v, n))

    def test_vlan_port_replies_tagged(self):
        """Steps: port on VLAN 42; ARP request for a VIP tagged 42, and
        one untagged.
        Verify: the tagged one gets a reply tagged 42; the untagged one
        is dropped as a VLAN mismatch."""
        cfg = base_config(four_members(), self.config["services"],
                          vips=VIPS)
        cfg["ports"][0]["vlan"] = 42
        sent = [who_has(VIPS[0], vlan=42), who_has(VIPS[0])]
        run = run_pcap("arp_vlan", cfg, sent,
                       until=lambda s: s["arp_reply_out"] >= 1)
        rep = self.replies(run)
        verify(len(rep) == 1 and Dot1Q in rep[0] and rep[0][Dot1Q].vlan == 42,
               "expected one reply tagged 42: %s" % [p.summary() for p in rep])
        verify(run.stats["drop_vlan_mismatch"] == 1,
               "drop_vlan_mismatch %d" % run.stats["drop_vlan_mismatch"])
