# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""ICMP on net_pcap: echo to a VIP, errors routed by their inner flow."""

from scapy.all import ICMP, IP, TCP, UDP, Ether, raw

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       member_mac, run_pcap, verify)

VIP = "198.51.100.100"
CLIENT_MAC = "02:00:00:00:00:01"
ROUTER = "203.0.113.1"


def frag_needed(client, cport, proto=TCP, vport=110, mtu=1400):
    """What a router sends back when a member's reply (VIP -> client)
    is too big: addressed to the VIP, quoting the reply's headers."""
    inner = IP(src=VIP, dst=client, flags="DF") / proto(sport=vport,
                                                       dport=cport)
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
            IP(src=ROUTER, dst=VIP) / ICMP(type=3, code=4, nexthopmtu=mtu) /
            raw(inner)[:28])


class PcapIcmp(TestSuite):
    """dsrlb answers pings to VIPs itself, and sends ICMP errors about a
    VIP flow (path MTU discovery) to the member that owns the flow."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.macs = {member_mac(i): "fe%d" % i for i in range(1, 5)}

    def test_echo_to_vip_answered(self):
        """Steps: ICMP echo requests to the VIP with payloads.
        Verify: each is answered by dsrlb: reply from the VIP to the
        client, same id/seq/payload, valid IP and ICMP checksums, back
        to the requester's MAC from the port's MAC."""
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        sent = [Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IP(src="203.0.113.%d" % (i + 10), dst=VIP, ttl=50) /
                ICMP(type=8, id=0x1234, seq=i) / (b"ping-%d" % i * 10)
                for i in range(5)]
        run = run_pcap("icmp_echo", cfg, sent)
        out = run.non_arp()
        verify(len(out) == 5 and run.stats["icmp_echo_reply"] == 5,
               "%d replies, counter %d" % (len(out),
                                           run.stats["icmp_echo_reply"]))
        for s, o in zip(sent, out):
            verify(o.src == PCAP_MAC and o.dst == CLIENT_MAC,
                   "reply Ethernet %s -> %s" % (o.src, o.dst))
            verify(o[IP].src == VIP and o[IP].dst == s[IP].src,
                   "reply %s -> %s" % (o[IP].src, o[IP].dst))
            ic = o[ICMP]
            verify(ic.type == 0 and ic.id == 0x1234 and ic.seq == s[ICMP].seq
                   and raw(ic.payload) == raw(s[ICMP].payload),
                   "not the matching echo reply: %s" % o.summary())
            chk = IP(raw(o[IP]))
            ip_sum, icmp_sum = chk.chksum, chk[ICMP].chksum
            del chk.chksum
            del chk[ICMP].chksum
            rebuilt = IP(raw(chk))
            verify(ip_sum == rebuilt.chksum and icmp_sum == rebuilt[ICMP].chksum,
                   "bad checksum in the reply")

    def test_frag_needed_goes_to_flow_owner(self):
        """Steps: a WRR service (so a flow's member is not what a hash
        of its tuple would give); open 40 TCP flows; then a router's
        "fragmentation needed" about each flow's reply.
        Verify: each ICMP error reaches the member its flow went to,
        unchanged after the Ethernet header, counted as icmp_error."""
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110,
             "scheduler": "wrr"}])
        flows = [("203.0.113.%d" % (i + 20), 40000 + i) for i in range(40)]
        sent = [Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IP(src=c, dst=VIP) / TCP(sport=p, dport=110, flags="S")
                for c, p in flows]
        errors = [frag_needed(c, p) for c, p in flows]
        run = run_pcap("icmp_fragneeded", cfg, sent + errors)
        out = run.non_arp()
        verify(len(out) == len(sent) + len(errors), "%d of %d left"
               % (len(out), len(sent) + len(errors)))
        owner = {(o[IP].src, o[TCP].sport): o.dst for o in out[:len(sent)]}
        verify(len(set(owner.values())) == 4, "WRR did not use 4 members")
        for (c, p), e, o in zip(flows, errors, out[len(sent):]):
            verify(ICMP in o and o[ICMP].type == 3,
                   "expected the ICMP error: %s" % o.summary())
            verify(o.dst == owner[(c, p)],
                   "error about %s:%d went to %s, its flow to %s"
                   % (c, p, self.macs.get(o.dst), self.macs[owner[(c, p)]]))
            verify(raw(o)[14:] == raw(e)[14:], "ICMP error changed")
        verify(run.stats["icmp_error"] == len(errors), "icmp_error %d"
               % run.stats["icmp_error"])

    def test_error_for_stateless_and_unknown_flows(self):
        """Steps: ICMP errors quoting a stateless UDP (SIP) flow, and a
        TCP flow never seen (maglev).
        Verify: the SIP one goes where the client's datagrams go; the
        unknown TCP one where a mid-stream packet of that flow would
        go; errors about a non-VIP source or with a truncated quote
        are dropped as drop_icmp."""
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110},
            {"name": "sip", "vip": VIP, "protocol": "udp", "port": 5060,
             "stateless": True}])
        sip = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
               IP(src="203.0.113.77", dst=VIP) / UDP(sport=5070, dport=5060)
               / b"OPTIONS")
        mid = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
               IP(src="203.0.113.78", dst=VIP) /
               TCP(sport=5555, dport=110, flags="A"))
        err_sip = frag_needed("203.0.113.77", 5070, UDP, 5060)
        err_tcp = frag_needed("203.0.113.79", 6666)
        mid2 = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IP(src="203.0.113.79", dst=VIP) /
                TCP(sport=6666, dport=110, flags="A"))
        bad_src = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                   IP(src=ROUTER, dst=VIP) / ICMP(type=3, code=4) /
                   raw(IP(src="198.51.100.50", dst="203.0.113.5") /
                       TCP(sport=110, dport=999))[:28])
        short = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                 IP(src=ROUTER, dst=VIP) / ICMP(type=11) /
                 raw(IP(src=VIP, dst="203.0.113.5"))[:16])
        run = run_pcap("icmp_other", cfg,
                       [sip, mid, err_sip, err_tcp, mid2, bad_src, short])
        out = run.non_arp()
        verify(len(out) == 5, "%d left: %s" % (len(out),
                                               [o.summary() for o in out]))
        verify(out[2].dst == out[0].dst, "SIP error not with its client")
        verify(out[3].dst == out[4].dst,
               "unknown-flow error not where the flow hashes")
        verify(run.stats["drop_icmp"] == 2, "drop_icmp %d"
               % run.stats["drop_icmp"])
