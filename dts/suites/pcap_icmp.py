# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""ICMP on net_pcap: echo to a VIP, errors routed by their inner flow."""

import socket
import struct

from scapy.all import ICMP, IP, TCP, UDP, Ether, raw

from framework import (PCAP_MAC, WORKERS, TestSuite, base_config,
                       flow_queue, four_members, match_by_content,
                       member_mac, run_pcap, rss_queue, verify)

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


def quoted_flow(packet):
    """The flow (client, VIP, proto, client port, VIP port) that an
    untagged ICMP error quotes (the quote is the member's reply, VIP ->
    client), or None if packet is no such error or its quote has no
    ports."""
    b = bytes(packet)
    if len(b) >= 34 and b[12:14] == b"\x08\x00" and b[23] == 1:
        icmp = b[14 + (b[14] & 0x0f) * 4:]
        quote = icmp[8:]
        if icmp[:1] in (b"\x03", b"\x0b", b"\x0c") and len(quote) >= 20:
            ihl = (quote[0] & 0x0f) * 4
            if quote[9] in (6, 17) and len(quote) >= ihl + 4:
                vport, cport = struct.unpack("!HH", quote[ihl:ihl + 4])
                return (socket.inet_ntoa(quote[16:20]),
                        socket.inet_ntoa(quote[12:16]), quote[9], cport,
                        vport)
    return None


def error_with_its_flow(packet, n_queues):
    """Steer: an ICMP error goes to the queue of the flow it quotes
    (client -> VIP, as rss_queue steers that flow), so the worker that
    holds that flow sees it, after the flow's earlier packets; an error
    whose quote has no ports, and every other packet, as rss_queue
    does."""
    flow = quoted_flow(packet)
    if flow is not None:
        return flow_queue(*flow, n_queues)
    return rss_queue(packet, n_queues)


class PcapIcmp(TestSuite):
    """dsrlb answers pings to VIPs itself, and sends ICMP errors about a
    VIP flow (path MTU discovery) to the member that owns the flow.

    Flow entries belong to one worker, so the error cases steer each
    ICMP error onto the queue of the flow it quotes, after that flow's
    packets (custom steers); the echo and frag-needed cases first check
    that the packets were spread over several queues (verify_spread).
    Outputs are matched to inputs by content, never by position."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.macs = {member_mac(i): "fe%d" % i for i in range(1, 5)}

    def test_echo_to_vip_answered(self):
        """Steps: ICMP echo requests to the VIP with payloads, from five
        clients (spread over the workers by default steering).
        Verify: each is answered once by dsrlb (a reply matched to its
        request by sequence number): reply from the VIP to the client,
        same id/seq/payload, valid IP and ICMP checksums, back to the
        requester's MAC from the port's MAC."""
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        sent = [Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IP(src="203.0.113.%d" % (i + 10), dst=VIP, ttl=50) /
                ICMP(type=8, id=0x1234, seq=i) / (b"ping-%d" % i * 10)
                for i in range(5)]
        run = run_pcap("icmp_echo", cfg, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == 5 and run.stats["icmp_echo_reply"] == 5,
               "%d replies, counter %d" % (len(out),
                                           run.stats["icmp_echo_reply"]))
        by_seq = {o[ICMP].seq: o for o in out if ICMP in o}
        verify(sorted(by_seq) == [s[ICMP].seq for s in sent],
               "replies for seq %s" % sorted(by_seq))
        for s in sent:
            o = by_seq[s[ICMP].seq]
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
        of its tuple would give); open 40 TCP flows per worker; then a
        router's "fragmentation needed" about each flow's reply. A
        custom steer deals the flows round-robin over the queues and
        puts each error on its flow's queue: every queue gets 40 SYNs,
        then the 40 errors about them, so the worker holding a flow
        sees its error after its SYN and in a later burst (at least 40
        packets later; a burst is at most 32), as a real error comes a
        round trip after the flow's first packet. (dsrlb classifies a
        whole burst before it adds the burst's new flows: an error in
        the same burst as its flow's SYN would not find the flow.)
        Verify: each ICMP error reaches the member its flow went to,
        unchanged after the Ethernet header (every output matched to
        what was sent by content), counted as icmp_error."""
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110,
             "scheduler": "wrr"}])
        flows = [("203.0.113.%d" % (20 + i % 200), 40000 + i)
                 for i in range(40 * WORKERS)]
        sent = [Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IP(src=c, dst=VIP) / TCP(sport=p, dport=110, flags="S")
                for c, p in flows]
        errors = [frag_needed(c, p) for c, p in flows]
        index = {f: i for i, f in enumerate(flows)}

        def round_robin(pkt, n_queues):
            flow = quoted_flow(pkt)
            key = (flow[0], flow[3]) if flow else (pkt[IP].src,
                                                   pkt[TCP].sport)
            return index[key] % n_queues
        run = run_pcap("icmp_fragneeded", cfg, sent + errors,
                       steer=round_robin)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent) + len(errors), "%d of %d left"
               % (len(out), len(sent) + len(errors)))
        pairs, missing, extra = match_by_content(sent + errors, out)
        verify(not missing and not extra, "changed: %d sent without an "
               "identical output: %s" % (len(missing),
                                         [m.summary() for m in missing][:3]))
        out_of = {id(s): o for s, o in pairs}
        owner = {f: out_of[id(s)].dst for f, s in zip(flows, sent)}
        verify(len(set(owner.values())) == 4, "WRR did not use 4 members")
        for (c, p), e in zip(flows, errors):
            o = out_of[id(e)]
            verify(ICMP in o and o[ICMP].type == 3,
                   "expected the ICMP error: %s" % o.summary())
            verify(o.dst == owner[(c, p)],
                   "error about %s:%d went to %s, its flow to %s"
                   % (c, p, self.macs.get(o.dst), self.macs[owner[(c, p)]]))
        verify(run.stats["icmp_error"] == len(errors), "icmp_error %d"
               % run.stats["icmp_error"])

    def test_error_for_stateless_and_unknown_flows(self):
        """Steps: ICMP errors quoting a stateless UDP (SIP) flow, and a
        TCP flow never seen (maglev), each steered onto the queue of the
        flow it quotes (error_with_its_flow): the SIP error after the
        client's datagram, the TCP error before the mid-stream packet
        of its flow (so that worker has no entry for it yet).
        Verify: exactly the datagram, the mid-stream packets and the
        two errors leave, unchanged after the Ethernet header (matched
        by content); the SIP error goes where the client's datagrams
        go; the unknown TCP one where a mid-stream packet of that flow
        would go; errors about a non-VIP source or with a truncated
        quote are dropped as drop_icmp."""
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
        sent = [sip, mid, err_sip, err_tcp, mid2, bad_src, short]
        run = run_pcap("icmp_other", cfg, sent, steer=error_with_its_flow)
        out = run.non_arp()
        verify(len(out) == 5, "%d left: %s" % (len(out),
                                               [o.summary() for o in out]))
        pairs, missing, extra = match_by_content(sent, out)
        verify(not extra and {id(m) for m in missing} ==
               {id(bad_src), id(short)},
               "left (changed or dropped): %s, unmatched %s"
               % ([m.summary() for m in missing],
                  [o.summary() for o in extra]))
        out_of = {id(s): o for s, o in pairs}
        verify(out_of[id(err_sip)].dst == out_of[id(sip)].dst,
               "SIP error not with its client")
        verify(out_of[id(err_tcp)].dst == out_of[id(mid2)].dst,
               "unknown-flow error not where the flow hashes")
        verify(run.stats["drop_icmp"] == 2, "drop_icmp %d"
               % run.stats["drop_icmp"])
