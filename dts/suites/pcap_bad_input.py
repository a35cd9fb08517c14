# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Bad and foreign input on net_pcap: nothing leaves, every drop counted."""

from collections import Counter

from scapy.all import (ARP, GRE, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether,
                       IPv6, Raw, raw)

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       match_by_content, run_pcap, verify)

VIP = "198.51.100.100"
CLIENT = "203.0.113.5"
CLIENT_MAC = "02:00:00:00:00:01"


def eth(dst=PCAP_MAC):
    return Ether(src=CLIENT_MAC, dst=dst)


def good_tcp():
    return eth() / IP(src=CLIENT, dst=VIP) / TCP(sport=1234, dport=110)


def cut(pkt, length):
    """The first length bytes of pkt, as a raw frame."""
    return Raw(raw(pkt)[:length])


def ip_bytes(pkt, offset, value):
    """pkt with one byte of its IP header (offset from the IP header)
    replaced, checksum left as built."""
    b = bytearray(raw(pkt))
    b[14 + offset] = value
    return Raw(bytes(b))


def patch(pkt, offset, data):
    """pkt as raw bytes with data written at offset."""
    b = bytearray(raw(pkt))
    b[offset:offset + len(data)] = data
    return Raw(bytes(b))


def tcp_doff(pkt, doff):
    b = bytearray(raw(pkt))
    b[14 + 20 + 12] = doff << 4
    return Raw(bytes(b))


# (description, frame, counter that must count it)
CASES = [
    ("TCP to an address that is not a VIP",
     eth() / IP(src=CLIENT, dst="198.51.100.50") / TCP(dport=110),
     "drop_no_vip"),
    ("TCP to a VIP port without a service",
     eth() / IP(src=CLIENT, dst=VIP) / TCP(dport=9999), "drop_no_service"),
    ("UDP to a VIP port without a service",
     eth() / IP(src=CLIENT, dst=VIP) / UDP(dport=110), "drop_no_service"),
    ("GRE to a VIP", eth() / IP(src=CLIENT, dst=VIP) / GRE(),
     "drop_ip_proto"),
    ("ICMP timestamp request to a VIP",
     eth() / IP(src=CLIENT, dst=VIP) / ICMP(type=13), "drop_icmp"),
    ("unicast frame for another MAC",
     eth("02:00:00:00:00:99") / IP(src=CLIENT, dst=VIP) / TCP(dport=110),
     "drop_not_for_us"),
    ("IPv4 in an Ethernet broadcast",
     eth("ff:ff:ff:ff:ff:ff") / IP(src=CLIENT, dst=VIP) / TCP(dport=110),
     "drop_l2_multicast"),
    ("IPv4 to a VIP in an Ethernet multicast",
     eth("01:00:5e:00:00:05") / IP(src=CLIENT, dst=VIP) / TCP(dport=110),
     "drop_l2_multicast"),
    ("IPv4 multicast destination to our MAC",
     eth() / IP(src=CLIENT, dst="224.0.0.5") / UDP(), "drop_ip_broadcast"),
    ("limited broadcast destination to our MAC",
     eth() / IP(src=CLIENT, dst="255.255.255.255") / UDP(),
     "drop_ip_broadcast"),
    ("loopback source", eth() / IP(src="127.0.0.1", dst=VIP) / TCP(dport=110),
     "drop_ip_src"),
    ("zero source", eth() / IP(src="0.0.0.0", dst=VIP) / TCP(dport=110),
     "drop_ip_src"),
    ("IPv6 to an address that is no VIP",
     eth() / IPv6(dst="2001:db8::1") / TCP(dport=110), "drop_no_vip"),
    ("EtherType neither IPv4, ARP nor IPv6 (LLDP)",
     Ether(src="02:00:00:00:00:01", dst=PCAP_MAC, type=0x88cc) /
     Raw(b"\x02\x07\x04" + b"\0" * 40), "drop_ethertype"),
    ("10-byte frame", Raw(b"\x02" * 10), "drop_truncated_eth"),
    ("frame ends inside the VLAN tag", cut(eth() / Dot1Q(vlan=1) /
                                           IP(dst=VIP), 16),
     "drop_truncated_vlan"),
    ("two VLAN tags", eth() / Dot1Q(vlan=1) / Dot1Q(vlan=2) /
     IP(src=CLIENT, dst=VIP) / TCP(dport=110), "drop_vlan_nested"),
    ("802.1ad service tag", eth() / Dot1AD(vlan=1) / Dot1Q(vlan=2) /
     IP(src=CLIENT, dst=VIP) / TCP(dport=110), "drop_vlan_nested"),
    ("VLAN tag on an untagged port", eth() / Dot1Q(vlan=7) /
     IP(src=CLIENT, dst=VIP) / TCP(dport=110), "drop_vlan_mismatch"),
    ("frame ends inside the IPv4 header", cut(good_tcp(), 14 + 12),
     "drop_truncated_ip"),
    ("frame ends inside the IP options",
     cut(eth() / IP(src=CLIENT, dst=VIP, options=b"\x01" * 8) /
         TCP(dport=110), 14 + 24), "drop_truncated_ip"),
    ("IP version 6 in an IPv4 EtherType", ip_bytes(good_tcp(), 0, 0x65),
     "drop_ip_version"),
    ("IHL 4", ip_bytes(good_tcp(), 0, 0x44), "drop_ip_ihl"),
    ("total length past the frame", eth() / IP(src=CLIENT, dst=VIP,
                                               len=200) / TCP(dport=110),
     "drop_ip_length"),
    ("total length shorter than the header",
     eth() / IP(src=CLIENT, dst=VIP, len=16) / TCP(dport=110),
     "drop_ip_length"),
    ("TCP header cut by the IP total length",
     eth() / IP(src=CLIENT, dst=VIP, len=30) / TCP(dport=110),
     "drop_truncated_l4"),
    ("TCP data offset 4", tcp_doff(good_tcp(), 4), "drop_tcp_header"),
    ("TCP data offset past the packet", tcp_doff(good_tcp(), 15),
     "drop_tcp_header"),
    ("UDP length 4", eth() / IP(src=CLIENT, dst=VIP) /
     UDP(dport=5060, len=4), "drop_udp_length"),
    ("UDP length past the packet", eth() / IP(src=CLIENT, dst=VIP) /
     UDP(dport=5060, len=400), "drop_udp_length"),
    ("ICMP cut short", eth() / IP(src=CLIENT, dst=VIP, proto=1) /
     Raw(b"\x08\x00"), "drop_truncated_l4"),
    ("ARP cut short", cut(eth("ff:ff:ff:ff:ff:ff") /
                          ARP(pdst=VIP), 14 + 20), "drop_truncated_arp"),
    ("ARP for another protocol type",
     patch(eth("ff:ff:ff:ff:ff:ff") / ARP(psrc=CLIENT, pdst=VIP), 14 + 2,
           b"\x86\xdd"), "drop_truncated_arp"),
]


class PcapBadInput(TestSuite):
    """Malformed, foreign and unserved packets are dropped, never
    forwarded, each counted under its own reason.

    Runs with the default workers and steering (read from the frame's
    bytes, so malformed IPv4 spreads over the workers too; frames that
    are not IPv4 go to queue 0); each case first checks that the frames
    were spread over several queues (verify_spread). Counters are summed
    over the workers and outputs matched to inputs by content."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.config = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110},
            {"name": "sip", "vip": VIP, "protocol": "udp", "port": 5060}])

    def test_every_case_dropped_and_counted(self):
        """Steps: send every frame of the table (each three times).
        Verify: nothing but gratuitous ARP leaves; each drop counter
        equals the number of frames the table gives it; rx equals
        the number of frames sent and fwd is 0."""
        sent = [c[1] for c in CASES for _ in range(3)]
        want = Counter()
        for c in CASES:
            want[c[2]] += 3
        run = run_pcap("bad_input", self.config, sent)
        run.verify_spread()
        verify(not run.non_arp(), "forwarded: %s"
               % [p.summary() for p in run.non_arp()][:5])
        verify(run.stats["rx"] == len(sent), "rx %d != %d"
               % (run.stats["rx"], len(sent)))
        verify(run.stats["fwd"] == 0, "fwd %d" % run.stats["fwd"])
        wrong = {k: (run.stats[k], v) for k, v in want.items()
                 if run.stats[k] != v}
        verify(not wrong, "counter (got, want): %s" % wrong)

    def test_good_packet_still_forwarded_among_bad(self):
        """Steps: interleave one valid SYN (each its own flow) after
        each bad frame.
        Verify: exactly the valid SYNs leave, each once and unchanged
        after the Ethernet header (outputs matched to the SYNs by their
        bytes after the Ethernet header, as a multiset)."""
        sent, good = [], []
        for i, c in enumerate(CASES):
            sent.append(c[1])
            g = eth() / IP(src=CLIENT, dst=VIP) / TCP(sport=20000 + i,
                                                      dport=110, flags="S")
            sent.append(g)
            good.append(g)
        run = run_pcap("bad_mixed", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(good), "%d valid sent, %d left"
               % (len(good), len(out)))
        _, missing, extra = match_by_content(good, out)
        verify(not missing and not extra, "valid packet changed: %s"
               % [o.summary() for o in extra][:3])
