# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""DSR forwarding on net_pcap: what leaves, and where flows go."""

import random
from collections import Counter, defaultdict

from scapy.all import IP, TCP, UDP, Dot1Q, Ether, raw

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       match_by_content, member_mac, run_pcap, verify)

VIP = "198.51.100.100"
CLIENT_MAC = "02:00:00:00:00:01"


def tcp(src, sport, dport=110, flags="A", payload=b""):
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
            IP(src=src, dst=VIP, ttl=57, id=random.randrange(65536)) /
            TCP(sport=sport, dport=dport, flags=flags, seq=1000) / payload)


class PcapForwarding(TestSuite):
    """A VIP packet leaves with only its Ethernet header changed, and a
    flow's packets stay on one member.

    Runs with the default workers and steering (a flow on one queue, the
    flows spread over the workers); each case first checks that the
    packets were spread over several queues (verify_spread). Outputs are
    matched to inputs by content, never by position."""

    GROUP = "pcap"

    def set_up_suite(self):
        random.seed(2)
        self.members = four_members()
        self.macs = {member_mac(i): "fe%d" % i for i in range(1, 5)}
        # no persistence (dsrlb's default is 15 s): these cases spread
        # flows, several from one client address, one by one
        self.config = base_config(self.members, [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110,
             "persistence": 0},
            {"name": "smtp", "vip": VIP, "protocol": "tcp", "port": 25,
             "persistence": 0},
            {"name": "dns", "vip": VIP, "protocol": "udp", "port": 53,
             "persistence": 0},
        ])

    def test_only_ethernet_header_changes(self):
        """Steps: send TCP (with and without payload, with IP options)
        and UDP packets to VIP services, spread over the workers.
        Verify: each leaves exactly once (outputs matched to inputs by
        their bytes after the Ethernet header, as a multiset: every
        packet sent has one output and no output is left over); source
        MAC is the port's, the destination MAC is a member's, every
        byte after the Ethernet header (TTL, checksums, options,
        payload) is unchanged."""
        sent = []
        for i in range(50):
            sent.append(tcp("203.0.113.%d" % (i + 1), 2000 + i, 110, "S"))
            sent.append(tcp("203.0.113.%d" % (i + 1), 3000 + i, 25, "PA",
                            b"EHLO client.example\r\n"))
        sent.append(Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                    IP(src="203.0.113.77", dst=VIP,
                       options=b"\x94\x04\x00\x00") /
                    TCP(sport=4000, dport=110, flags="S"))
        for i in range(20):
            sent.append(Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                        IP(src="192.0.2.%d" % (i + 1), dst=VIP) /
                        UDP(sport=5000 + i, dport=53) / (b"q" * i))
        run = run_pcap("fwd_bytes", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent),
               "sent %d, %d left" % (len(sent), len(out)))
        verify(run.stats["fwd"] == len(sent), "fwd counter %d != %d"
               % (run.stats["fwd"], len(sent)))
        verify(run.stats["ip_options"] == 1, "ip_options not counted")
        pairs, missing, extra = match_by_content(sent, out)
        verify(not missing and not extra,
               "bytes after the Ethernet header changed: %d sent without "
               "an identical output (%s), %d outputs matching nothing "
               "sent (%s)" % (len(missing), [p.summary() for p in missing][:3],
                              len(extra), [p.summary() for p in extra][:3]))
        for s, o in pairs:
            verify(o.src == PCAP_MAC, "source MAC %s is not the port's"
                   % o.src)
            verify(o.dst in self.macs, "destination MAC %s is no member's"
                   % o.dst)

    def test_tcp_flow_stays_on_one_member(self):
        """Steps: open 200 TCP flows (SYN, then ACK and data packets,
        then FIN), interleaved; each flow on one queue (default
        steering), so its worker sees its packets in order, and the
        flows spread over every worker.
        Verify: every packet of a flow goes to the same member, the
        flows use every member, and each flow made one flow entry
        (flow_new, summed over the workers)."""
        flows = [("203.0.113.%d" % (i % 200 + 1), 10000 + i)
                 for i in range(200)]
        sent = []
        for flags in ("S", "A", "PA", "PA", "FA", "A"):
            for src, sport in flows:
                sent.append(tcp(src, sport, 110, flags))
        run = run_pcap("fwd_flows", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        where = defaultdict(set)
        for o in out:
            where[(o[IP].src, o[TCP].sport)].add(o.dst)
        moved = [f for f, d in where.items() if len(d) != 1]
        verify(not moved, "flows split across members: %s" % moved[:5])
        used = Counter(next(iter(d)) for d in where.values())
        verify(len(used) == 4, "only %d members used: %s" % (len(used),
                                                              used))
        verify(run.stats["flow_new"] == len(flows),
               "flow_new %d != %d" % (run.stats["flow_new"], len(flows)))

    def test_weights_spread_10000_flows(self):
        """Steps: members weighted 100, 100, 100, 200; send the SYNs of
        10,000 flows from random clients, spread over the workers.
        Verify: each member's share of flows is within 5% of its weight's
        share (20%, 20%, 20%, 40%)."""
        weights = (100, 100, 100, 200)
        cfg = base_config(four_members(weights), self.config["services"])
        rnd = random.Random(10000)
        sent = [tcp("203.0.113.%d" % rnd.randrange(1, 255),
                    rnd.randrange(1024, 65536), 110, "S")
                for _ in range(10000)]
        run = run_pcap("fwd_weights", cfg, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        got = Counter(self.macs[o.dst] for o in out)
        print("    shares: %s" % sorted(got.items()))
        for i, w in enumerate(weights, 1):
            want = len(sent) * w / sum(weights)
            have = got["fe%d" % i]
            verify(abs(have - want) <= 0.05 * want,
                   "fe%d got %d flows, expected %.0f +- 5%% (%s)"
                   % (i, have, want, dict(got)))

    def test_vlan_tag_kept(self):
        """Steps: a port on VLAN 100; send tagged TCP to the VIP (ten
        flows, spread over the workers by their inner IPv4 header).
        Verify: each leaves once with the same tag, only the MACs
        changed (outputs matched to inputs by their bytes after the
        MACs, as a multiset)."""
        cfg = base_config(self.members, self.config["services"])
        cfg["ports"][0]["vlan"] = 100
        sent = [Ether(src=CLIENT_MAC, dst=PCAP_MAC) / Dot1Q(vlan=100, prio=5) /
                IP(src="203.0.113.9", dst=VIP) /
                TCP(sport=999 + i, dport=110, flags="S") for i in range(10)]
        run = run_pcap("fwd_vlan", cfg, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        for o in out:
            verify(Dot1Q in o and o[Dot1Q].vlan == 100 and o[Dot1Q].prio == 5,
                   "tag lost or changed: %s" % o.summary())
        _, missing, extra = match_by_content(sent, out,
                                             key=lambda p: raw(p)[12:])
        verify(not missing and not extra, "bytes after MACs changed: %s"
               % [p.summary() for p in extra][:3])
        verify(run.stats["vlan_tagged"] == len(sent), "vlan_tagged not "
               "counted")
