# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Stateless UDP (SIP) on net_pcap: consistent hashing and fragments."""

from collections import Counter, defaultdict

from scapy.all import IP, UDP, Ether, fragment, raw

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       member_mac, run_pcap, verify)

VIP = "198.51.100.100"
CLIENT_MAC = "02:00:00:00:00:01"


def sip(src, sport, size=200, ident=1):
    body = b"OPTIONS sip:198.51.100.100 SIP/2.0\r\n" + b"X" * size
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
            IP(src=src, dst=VIP, id=ident) / UDP(sport=sport, dport=5060) /
            body)


class PcapStatelessUdp(TestSuite):
    """Stateless UDP services spread clients by a hash of source address
    and port, keep each client on one member without flow entries, and
    keep the fragments of a datagram together."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.macs = {member_mac(i): "fe%d" % i for i in range(1, 5)}
        self.config = base_config(four_members(), [
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True}])

    def test_spread_and_sticky_without_flows(self):
        """Steps: 400 clients (address, port) each send 3 datagrams.
        Verify: each client's datagrams reach one member, all members
        get clients, and no flow entry was made (flow_new == 0,
        stateless counted per packet)."""
        clients = [("203.0.113.%d" % (i % 250 + 1), 5060 + i // 250 * 7 + i)
                   for i in range(400)]
        sent = [sip(s, p, 50) for _ in range(3) for s, p in clients]
        run = run_pcap("udp_spread", self.config, sent)
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        where = defaultdict(set)
        for o in out:
            where[(o[IP].src, o[UDP].sport)].add(o.dst)
        verify(all(len(d) == 1 for d in where.values()),
               "a client's datagrams went to several members")
        spread = Counter(self.macs[next(iter(d))] for d in where.values())
        verify(len(spread) == 4 and min(spread.values()) >= 50,
               "clients not spread over the members: %s" % dict(spread))
        verify(run.stats["flow_new"] == 0, "stateless made flow entries")
        verify(run.stats["stateless"] == len(sent), "stateless %d != %d"
               % (run.stats["stateless"], len(sent)))

    def test_hash_fields_source_address_only(self):
        """Steps: hash_fields ["src_ip"]; one client address sends from
        50 ports.
        Verify: all reach the same member."""
        cfg = base_config(four_members(), [
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True, "hash_fields": ["src_ip"]}])
        sent = [sip("203.0.113.7", 20000 + i, 10) for i in range(50)]
        run = run_pcap("udp_srcip", cfg, sent)
        dsts = {o.dst for o in run.non_arp()}
        verify(len(run.non_arp()) == 50 and len(dsts) == 1,
               "one address went to %d members" % len(dsts))

    def test_fragments_follow_first_fragment(self):
        """Steps: 100 clients send a 3000-byte datagram in fragments
        (first fragment first).
        Verify: all fragments of a datagram reach the member its first
        fragment reached, which is the member an unfragmented datagram
        from the same client reaches; every fragment is forwarded
        unchanged after the Ethernet header."""
        sent = []
        for i in range(100):
            src, sport = "198.51.100.%d" % (150 + i % 100), 40000 + i
            sent.append(sip(src, sport, 10, ident=i + 1))
            sent.extend(fragment(sip(src, sport, 3000, ident=5000 + i),
                                 fragsize=1000))
        run = run_pcap("udp_frag", self.config, sent)
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        for s, o in zip(sent, out):
            verify(raw(o)[14:] == raw(s)[14:], "fragment changed")
        member_of_client = {}
        by_datagram = defaultdict(set)
        for o in out:
            ip = o[IP]
            if ip.id <= 100:
                member_of_client[ip.src] = o.dst
            else:
                by_datagram[(ip.src, ip.id)].add(o.dst)
        for (src, ident), dsts in by_datagram.items():
            verify(len(dsts) == 1, "datagram %s/%d split over %s"
                   % (src, ident, dsts))
            verify(dsts == {member_of_client[src]},
                   "datagram %s/%d went to %s, its client to %s"
                   % (src, ident, dsts, member_of_client[src]))
        later = sum(1 for p in sent if p[IP].frag > 0)
        verify(run.stats["frag_first"] == 100 and
               run.stats["frag_hit"] == later,
               "frag_first %d frag_hit %d" % (run.stats["frag_first"],
                                              run.stats["frag_hit"]))

    def test_later_fragment_first_hashed_on_source(self):
        """Steps: send a datagram's later fragments before its first.
        Verify: they are forwarded (hashed on the source address alone)
        and counted as frag_unmatched; nothing is dropped."""
        frags = fragment(sip("203.0.113.99", 33333, 3000, ident=77),
                         fragsize=1000)
        sent = list(reversed(frags))
        run = run_pcap("udp_frag_rev", self.config, sent)
        verify(len(run.non_arp()) == len(sent), "fragments dropped")
        verify(run.stats["frag_unmatched"] == len(sent) - 1,
               "frag_unmatched %d" % run.stats["frag_unmatched"])
