# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""IPv6 on net_pcap: VIPs balanced beside IPv4 ones, NDP, bad input.

Addresses from 2001:db8::/32 (RFC 3849) only."""

import itertools
import os
import random
from collections import Counter, defaultdict

from scapy.all import (ARP, IP, TCP, UDP, Ether, ICMPv6EchoReply,
                       ICMPv6MLReport2, ICMPv6PacketTooBig, rdpcap,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6ND_RA, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, fragment6, in6_getnsma,
                       in6_getnsmac, inet_pton, raw, socket)

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       match_by_content, member_mac, run_pcap, verify,
                       wait_for)

VIP4 = "198.51.100.100"
VIP6 = "2001:db8:100::100"
VIP6_SIP = "2001:db8:100::5060"
CLIENT_MAC = "02:00:00:00:00:01"


def client6(i):
    return "2001:db8:c::%x" % (i + 1)


def tcp6(src, sport, dport=110, flags="A", payload=b"", dst=VIP6):
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
            IPv6(src=src, dst=dst, hlim=57) /
            TCP(sport=sport, dport=dport, flags=flags, seq=1000) / payload)


def udp6(src, sport, dport=5060, payload=b"x", dst=VIP6):
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
            IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) /
            payload)


def tcp4(src, sport, dport=110, flags="A"):
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) / IP(src=src, dst=VIP4) /
            TCP(sport=sport, dport=dport, flags=flags, seq=1000))


def unsolicited(p):
    """An unsolicited Neighbor Advertisement (or the answer to a DAD
    solicitation: the same frame)."""
    return ICMPv6ND_NA in p and p[IPv6].dst == "ff02::1"


def unsolicited_written(path):
    """Those net_pcap has written to path so far (0 while a record is
    being written)."""
    try:
        return sum(1 for p in rdpcap(path) if unsolicited(p)) \
            if os.path.getsize(path) > 24 else 0
    except Exception:    # noqa: B902 - a record half written
        return 0


def ns(target, src="2001:db8:1::1", dst=None, hlim=255, mac_dst=None,
       slla=CLIENT_MAC):
    """A Neighbor Solicitation for target, to its solicited-node group
    unless dst says otherwise."""
    group_n = in6_getnsma(inet_pton(socket.AF_INET6, target))
    group = socket.inet_ntop(socket.AF_INET6, group_n)
    p = (Ether(src=CLIENT_MAC, dst=mac_dst or in6_getnsmac(group_n)) /
         IPv6(src=src, dst=dst or group, hlim=hlim) /
         ICMPv6ND_NS(tgt=target))
    if slla is not None:
        p = p / ICMPv6NDOptSrcLLAddr(lladdr=slla)
    return p


class PcapIpv6(TestSuite):
    """IPv6 VIPs beside IPv4 ones, with two workers: TCP and UDP leave
    with only their Ethernet header changed, a flow stays on one member,
    members are chosen by the same rules in both families, stateless
    UDP hashes, Neighbor Solicitations for VIPs are answered in place,
    echo requests too, and bad or unsupported IPv6 is dropped and
    counted."""

    GROUP = "pcap"

    def set_up_suite(self):
        random.seed(6)
        self.macs = {member_mac(i): "fe%d" % i for i in range(1, 5)}
        self.config = base_config(four_members(), [
            {"name": "pop3", "vip": "*", "protocol": "tcp", "port": 110,
             "persistence": 0},
            {"name": "imap6", "vip": VIP6, "protocol": "tcp", "port": 143,
             "scheduler": "wrr", "persistence": 0},
            {"name": "dns", "vip": "*", "protocol": "udp", "port": 53,
             "persistence": 0},
            {"name": "sip", "vip": "*", "protocol": "udp", "port": 5060,
             "stateless": True},
        ], vips=(VIP4, VIP6, VIP6_SIP))

    def test_forwarding_only_ethernet_header_changes(self):
        """Steps: send IPv6 TCP (with payload, with a destination
        options header) and UDP to the IPv6 VIPs' services, and IPv4
        beside them, spread over the workers.
        Verify: each packet leaves exactly once with every byte after
        the Ethernet header unchanged (outputs matched to inputs as a
        multiset), from the port's MAC to a member's; fwd and ipv6 count
        them."""
        sent6 = []
        for i in range(60):
            sent6.append(tcp6(client6(i), 2000 + i, 110, "S"))
            sent6.append(tcp6(client6(i), 3000 + i, 143, "PA",
                              b"a1 LOGIN x y\r\n"))
            sent6.append(udp6(client6(i), 4000 + i, 53, b"q" * (i % 7)))
        sent6.append(Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                     IPv6(src=client6(99), dst=VIP6) /
                     IPv6ExtHdrDestOpt() /
                     TCP(sport=5999, dport=110, flags="S"))
        sent4 = [tcp4("203.0.113.%d" % (i + 1), 6000 + i, 110, "S")
                 for i in range(20)]
        sent = sent6 + sent4
        random.shuffle(sent)
        run = run_pcap("ipv6_bytes", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        verify(run.stats["fwd"] == len(sent), "fwd %d != %d"
               % (run.stats["fwd"], len(sent)))
        verify(run.stats["ipv6"] == len(sent6), "ipv6 %d != %d"
               % (run.stats["ipv6"], len(sent6)))
        pairs, missing, extra = match_by_content(sent, out)
        verify(not missing and not extra,
               "bytes after the Ethernet header changed: %d sent without "
               "an identical output (%s), %d outputs matching nothing sent"
               % (len(missing), [p.summary() for p in missing][:3],
                  len(extra)))
        for _, o in pairs:
            verify(o.src == PCAP_MAC, "source MAC %s is not the port's"
                   % o.src)
            verify(o.dst in self.macs, "destination MAC %s is no member's"
                   % o.dst)

    def test_flows_stay_on_one_member_and_spread(self):
        """Steps: open 160 IPv6 TCP connections (SYN, ACK, data, FIN)
        to the Maglev service and 40 to the wrr one, interleaved and
        spread over the workers, and 40 UDP flows of three datagrams.
        Verify: every packet of a flow goes to one member, the flows use
        every member, each flow made one entry (flow_new), and wrr gave
        the 40 connections evenly (each worker goes round the members on
        its own)."""
        flows = [(client6(i % 80), 10000 + i, 110) for i in range(160)]
        flows += [(client6(i), 20000 + i, 143) for i in range(40)]
        sent = []
        for flags in ("S", "A", "PA", "FA", "A"):
            for src, sport, dport in flows:
                sent.append(tcp6(src, sport, dport, flags))
        udp_flows = [(client6(i), 30000 + i) for i in range(40)]
        for k in range(3):
            for src, sport in udp_flows:
                sent.append(udp6(src, sport, 53, b"%d" % k))
        run = run_pcap("ipv6_flows", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        where = defaultdict(set)
        for o in out:
            l4 = o[TCP] if TCP in o else o[UDP]
            where[(o[IPv6].src, l4.sport, l4.dport)].add(o.dst)
        moved = [f for f, d in where.items() if len(d) != 1]
        verify(not moved, "flows split across members: %s" % moved[:5])
        used = Counter(next(iter(d)) for f, d in where.items()
                       if f[2] == 110)
        verify(len(used) == 4, "only %d members used: %s"
               % (len(used), used))
        wrr = Counter(next(iter(d)) for f, d in where.items()
                      if f[2] == 143)
        # each worker goes round the members on its own: within one
        # connection per worker of an even share
        verify(len(wrr) == 4 and max(wrr.values()) - min(wrr.values()) <=
               len(run.out_by_queue),
               "wrr shares %s, not even" % dict(wrr))
        verify(run.stats["flow_new"] == len(flows) + len(udp_flows),
               "flow_new %d != %d" % (run.stats["flow_new"],
                                      len(flows) + len(udp_flows)))

    def test_stateless_udp_hashes_client_address_and_port(self):
        """Steps: SIP over UDP (a stateless service) from 200 IPv6
        clients, each sending three datagrams from one port, spread over
        the workers.
        Verify: a client's datagrams go to one member, the clients use
        every member, and no flow entry is made (stateless counts
        them)."""
        sent = []
        for k in range(3):
            for i in range(200):
                sent.append(udp6(client6(i), 5060 + (i % 3), 5060,
                                 b"OPTIONS %d" % k, dst=VIP6_SIP))
        run = run_pcap("ipv6_stateless", self.config, sent)
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        where = defaultdict(set)
        for o in out:
            where[(o[IPv6].src, o[UDP].sport)].add(o.dst)
        verify(all(len(d) == 1 for d in where.values()),
               "a client's datagrams split across members")
        used = Counter(next(iter(d)) for d in where.values())
        verify(len(used) == 4, "only %d members used: %s"
               % (len(used), used))
        verify(run.stats["stateless"] == len(sent) and
               run.stats["flow_new"] == 0,
               "stateless %d, flow_new %d" % (run.stats["stateless"],
                                              run.stats["flow_new"]))

    def test_neighbor_solicitations_for_vips_answered(self):
        """Steps: Neighbor Solicitations for the IPv6 VIP to its
        solicited-node group (with and without the sender's link-layer
        option), a unicast one (reachability), a DAD one from ::, one
        for an address that is no VIP, and broken ones (hop limit 64,
        bad checksum, a multicast target, sent to another node's group);
        an echo request to the VIP; a Router Advertisement; then wait
        until the start's unsolicited advertisements are all written
        (three rounds for each IPv6 VIP, unsolicited_na_out).
        Verify: each solicitation for the VIP gets one Neighbor
        Advertisement from the VIP to its sender (all nodes for DAD),
        Solicited set except for DAD, Override set, the port's MAC as
        target link-layer address, a right checksum, hop limit 255; the
        echo request its reply; each IPv6 VIP is announced three times
        to all nodes the same way (Solicited clear); nothing else
        leaves, and ndp_reply_out, unsolicited_na_out, drop_ndp_bad and
        drop_ndp_other count them."""
        good = [ns(VIP6, src="2001:db8:1::1"),
                ns(VIP6, src="2001:db8:1::2", slla=None),
                ns(VIP6, src="2001:db8:1::3", dst=VIP6, mac_dst=PCAP_MAC)]
        dad = ns(VIP6, src="::", slla=None)
        other = [ns("2001:db8:100::99", src="2001:db8:1::4"),
                 ns(VIP6, src="2001:db8:1::5",
                    dst="ff02::1:ff00:99",
                    mac_dst="33:33:ff:00:00:99")]
        bad = [ns(VIP6, src="2001:db8:1::6", hlim=64)]
        broken = ns(VIP6, src="2001:db8:1::7")
        raw_b = bytearray(raw(broken))
        raw_b[14 + 40 + 2] ^= 0xff           # the ICMPv6 checksum
        bad.append(Ether(bytes(raw_b)))
        echo = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IPv6(src="2001:db8:1::8", dst=VIP6) /
                ICMPv6EchoRequest(id=7, seq=1, data=b"ping6"))
        ra = (Ether(src=CLIENT_MAC, dst="33:33:00:00:00:01") /
              IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA())
        sent = good + [dad] + other + bad + [echo, ra]

        def announced(d):
            out0 = os.path.join(d.workdir, "out0.pcap")
            # 3 rounds for 2 VIPs, and the answer to DAD
            wait_for(lambda: unsolicited_written(out0) >= 7,
                     "unsolicited advertisements in %s" % out0, timeout=30)
        run = run_pcap("ipv6_ndp", self.config, sent,
                       until=lambda s: s["unsolicited_na_out"] >= 6,
                       what="three rounds of unsolicited advertisements",
                       inspect=announced)
        out = [p for p in run.out if ARP not in p]
        nas = [p for p in out if ICMPv6ND_NA in p]
        replies = [p for p in out if ICMPv6EchoReply in p]
        verify(len(nas) == len(good) + 1 + 6 and len(replies) == 1 and
               len(out) == len(nas) + 1,
               "%d advertisements, %d echo replies, %d frames out: %s"
               % (len(nas), len(replies), len(out),
                  [p.summary() for p in out]))
        asked = {p[IPv6].src for p in good}
        for p in nas:
            na = p[ICMPv6ND_NA]
            verify(p[IPv6].src == na.tgt and na.tgt in (VIP6, VIP6_SIP),
                   "advertisement for %s from %s" % (na.tgt, p[IPv6].src))
            verify(p.src == PCAP_MAC and p[IPv6].hlim == 255 and
                   na.O == 1 and na.R == 0,
                   "advertisement fields: %s" % p.summary())
            verify(p[ICMPv6NDOptDstLLAddr].lladdr == PCAP_MAC,
                   "target link-layer address %s"
                   % p[ICMPv6NDOptDstLLAddr].lladdr)
            chk = na.cksum
            del na.cksum
            verify(IPv6(raw(p[IPv6]))[ICMPv6ND_NA].cksum == chk,
                   "advertisement checksum wrong")
            if p[IPv6].dst == "ff02::1":
                verify(na.S == 0 and p.dst == "33:33:00:00:00:01",
                       "DAD answer or announcement: S %d to %s"
                       % (na.S, p.dst))
            else:
                verify(na.S == 1 and p[IPv6].dst in asked and
                       p.dst == CLIENT_MAC,
                       "answer to %s at %s, S %d" % (p[IPv6].dst, p.dst,
                                                     na.S))
                asked.discard(p[IPv6].dst)
        verify(not asked, "solicitations without an answer: %s" % asked)
        to_all = Counter(p[ICMPv6ND_NA].tgt for p in nas
                         if p[IPv6].dst == "ff02::1")
        verify(to_all == {VIP6: 3 + 1, VIP6_SIP: 3},
               "to all nodes: %s (3 announcements each, and VIP6's "
               "answer to DAD)" % dict(to_all))
        r = replies[0]
        verify(r[IPv6].src == VIP6 and r[IPv6].dst == "2001:db8:1::8" and
               r[ICMPv6EchoReply].data == b"ping6" and r.dst == CLIENT_MAC,
               "echo reply: %s" % r.summary())
        st = run.stats
        verify(st["ndp_reply_out"] == len(good) + 1,
               "ndp_reply_out %d" % st["ndp_reply_out"])
        verify(st["drop_ndp_bad"] == len(bad),
               "drop_ndp_bad %d != %d" % (st["drop_ndp_bad"], len(bad)))
        verify(st["drop_ndp_other"] == len(other) + 1,   # and the RA
               "drop_ndp_other %d != %d" % (st["drop_ndp_other"],
                                            len(other) + 1))
        verify(st["icmp_echo_reply"] == 1, "icmp_echo_reply %d"
               % st["icmp_echo_reply"])
        verify(st["unsolicited_na_out"] == 6, "unsolicited_na_out %d"
               % st["unsolicited_na_out"])

    def test_bad_and_unsupported_ipv6_dropped_and_counted(self):
        """Steps: IPv6 to an address that is no VIP, a first fragment
        without its UDP header (destination options, the UDP header in
        the next fragment: RFC 7112), UDP with checksum 0, a chain of
        five destination options headers, a truncated IPv6 header, an
        unknown protocol and a multicast listener report, among good
        packets.
        Verify: only the good packets leave, each bad one under its own
        counter."""
        good = [tcp6(client6(i), 7000 + i, 110, "S") for i in range(10)]
        frag = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                IPv6(src=client6(1), dst=VIP6) /
                IPv6ExtHdrFragment(id=5, m=1, offset=0, nh=60) /
                IPv6ExtHdrDestOpt(nh=17))
        zero = udp6(client6(2), 5555, 53, b"zz")
        zb = bytearray(raw(zero))
        zb[14 + 40 + 6:14 + 40 + 8] = b"\x00\x00"
        chain = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                 IPv6(src=client6(3), dst=VIP6) /
                 IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
                 IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
                 IPv6ExtHdrDestOpt() / TCP(sport=1, dport=110))
        novip = tcp6(client6(4), 7100, 110, "S", dst="2001:db8:100::101")
        trunc = Ether(raw(tcp6(client6(5), 7200, 110, "S"))[:14 + 30])
        proto = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                 IPv6(src=client6(6), dst=VIP6, nh=132) / (b"\0" * 12))
        # a multicast listener report: multicast, not Neighbor Discovery
        mld = (Ether(src=CLIENT_MAC, dst="33:33:00:00:00:16") /
               IPv6(src="fe80::1", dst="ff02::16", hlim=1) /
               ICMPv6MLReport2())
        bad = [frag, Ether(bytes(zb)), chain, novip, trunc, proto, mld]
        sent = good + bad
        run = run_pcap("ipv6_bad", self.config, sent)
        out = run.non_arp()
        pairs, missing, extra = match_by_content(good, out)
        verify(not missing and not extra,
               "good packets lost (%d) or bad ones forwarded (%d)"
               % (len(missing), len(extra)))
        st = run.stats
        for counter in ("drop_frag6_first_short", "drop_udp6_zero_checksum",
                        "drop_ip6_ext_chain", "drop_no_vip",
                        "drop_truncated_ip6", "drop_ip_proto",
                        "drop_l2_multicast"):
            verify(st[counter] == 1, "%s %d, not 1" % (counter, st[counter]))

    def test_packet_too_big_goes_to_the_flow_owner(self):
        """Steps: a wrr service (a flow's member is not what a hash of
        its tuple gives); 40 IPv6 TCP flows per worker; then a router's
        Packet Too Big about each flow's reply (VIP6 -> client, 1280
        bytes of it quoted), and one quoting a packet from another
        address. A steer deals the flows round-robin over the queues
        and puts each error on its flow's queue after its SYN, in a
        later burst, as a real error comes a round trip later.
        Verify: each Packet Too Big reaches the member its flow went to,
        unchanged after the Ethernet header, counted as icmp_error; the
        one about another address is dropped (drop_icmp)."""
        flows = [(client6(i % 200), 41000 + i) for i in range(80)]
        sent = [tcp6(c, p, 143, "S") for c, p in flows]

        def ptb(c, p, src=VIP6):
            quote = (IPv6(src=src, dst=c) /
                     TCP(sport=143, dport=p, flags="PA") / (b"d" * 1400))
            return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                    IPv6(src="2001:db8:ff::1", dst=VIP6) /
                    ICMPv6PacketTooBig(mtu=1280) / raw(quote)[:1232])
        errors = [ptb(c, p) for c, p in flows]
        stranger = ptb(flows[0][0], flows[0][1], src="2001:db8:100::77")
        index = {f: i for i, f in enumerate(flows)}

        def round_robin(pkt, n_queues):
            if ICMPv6PacketTooBig in pkt:
                q = IPv6(bytes(pkt[ICMPv6PacketTooBig].payload))
                return index.get((q.dst, q[TCP].dport), 0) % n_queues
            return index[(pkt[IPv6].src, pkt[TCP].sport)] % n_queues
        run = run_pcap("ipv6_ptb", self.config, sent + errors + [stranger],
                       steer=round_robin)
        run.verify_spread()
        out = run.non_arp()
        pairs, missing, extra = match_by_content(sent + errors, out)
        verify(not missing and not extra,
               "%d sent without an identical output (%s), %d extra"
               % (len(missing), [m.summary() for m in missing][:3],
                  len(extra)))
        out_of = {id(x): o for x, o in pairs}
        owner = {f: out_of[id(x)].dst for f, x in zip(flows, sent)}
        verify(len(set(owner.values())) == 4, "wrr did not use 4 members")
        for f, e in zip(flows, errors):
            verify(out_of[id(e)].dst == owner[f],
                   "Packet Too Big about %s went to %s, its flow to %s"
                   % (f, self.macs.get(out_of[id(e)].dst),
                      self.macs[owner[f]]))
        st = run.stats
        verify(st["icmp_error"] == len(errors) and st["drop_icmp"] == 1,
               "icmp_error %d, drop_icmp %d" % (st["icmp_error"],
                                                st["drop_icmp"]))

    def test_fragments_in_every_order_over_two_workers_land_whole(self):
        """Steps: frag_hold_ms 1000 (as PcapStatelessUdp: a timeout then
        means a first fragment that never came, not a preempted
        worker); IPv6 datagrams of 3000 bytes in fragments (RFC 8200's
        Fragment header, four each): 48 to the stateless SIP service and
        24 to the DNS service (flow entries), each DNS flow's whole
        datagram first, each fragmented datagram's fragments in another
        of their 24 orders, its first fragment on one worker's queue
        and its later fragments on the other's (half the datagrams one
        way, half the other), so the workers get them concurrently, in
        whatever order they get to them.
        Verify: every fragment leaves once, unchanged after the Ethernet
        header; all fragments of a datagram reach one member, the DNS
        flow's member (where its whole datagram went); every first
        fragment was remembered (frag6_first) and every later fragment
        followed it (frag6_hit), whether it waited (frag6_held) or not;
        nothing dropped (drop_frag6_timeout, drop_frag6_hold_full 0),
        nothing counted as IPv4's fragments. Before, every IPv6
        fragment was dropped (drop_ip6_fragment)."""
        cfg = base_config(four_members(), self.config["services"],
                          vips=(VIP4, VIP6, VIP6_SIP),
                          dataplane={"frag_hold_ms": 1000,
                                     "frag_ttl_ms": 5000})
        orders = list(itertools.permutations(range(4)))
        sent, wholes, queue_of, later = [], {}, {}, 0
        for i in range(72):
            sip = i < 48
            src, sport = client6(200 + i), 42000 + i
            dgram = (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
                     IPv6(src=src, dst=VIP6_SIP if sip else VIP6) /
                     IPv6ExtHdrFragment(id=0x60000 + i) /
                     UDP(sport=sport, dport=5060 if sip else 53) /
                     (b"%02d" % i * 1500))
            frags = fragment6(dgram, 1000)
            verify(len(frags) == 4, "%d fragments, not 4" % len(frags))
            if not sip:
                whole = udp6(src, sport, 53, b"whole %d" % i, dst=VIP6)
                wholes[0x60000 + i] = whole
                queue_of[id(whole)] = 0
                sent.append(whole)
            first_q = i % 2
            for k in orders[i % 24]:
                f = frags[k]
                queue_of[id(f)] = first_q if k == 0 else 1 - first_q
                sent.append(f)
            later += 3

        def two_workers(p, n):
            return queue_of[id(p)] if n == 2 else queue_of[id(p)] * (n - 1)
        run = run_pcap("ipv6_frags", cfg, sent, steer=two_workers,
                       until=lambda s: s["frag6_hit"] +
                       s["drop_frag6_timeout"] + s["drop_frag6_hold_full"]
                       >= later, what="every later fragment decided")
        run.verify_spread()
        out = run.non_arp()
        pairs, missing, extra = match_by_content(sent, out)
        verify(not missing and not extra,
               "%d sent without an identical output (%s), %d extra"
               % (len(missing), [m.summary() for m in missing][:3],
                  len(extra)))
        out_of = {id(x): o for x, o in pairs}
        where = defaultdict(set)
        for x in sent:
            if IPv6ExtHdrFragment in x:
                where[x[IPv6ExtHdrFragment].id].add(out_of[id(x)].dst)
        verify(len(where) == 72, "%d datagrams" % len(where))
        for ident, dsts in where.items():
            verify(len(dsts) == 1, "datagram %#x reached %s" % (
                ident, [self.macs[d] for d in dsts]))
            if ident in wholes:
                flow = out_of[id(wholes[ident])].dst
                verify(dsts == {flow}, "datagram %#x to %s, its flow to %s"
                       % (ident, self.macs[next(iter(dsts))],
                          self.macs[flow]))
        st = run.stats
        verify(st["frag6_first"] == 72 and st["frag6_hit"] == later,
               "frag6_first %d frag6_hit %d, not 72 and %d"
               % (st["frag6_first"], st["frag6_hit"], later))
        verify(st["drop_frag6_timeout"] == 0 and
               st["drop_frag6_hold_full"] == 0 and
               st["drop_frag6_memory_full"] == 0, "fragments dropped")
        verify(st["frag_first"] == 0 and st["frag_hit"] == 0,
               "IPv6 fragments counted as IPv4's")
        print("    %d later fragments: %d waited for their first"
              % (later, st["frag6_held"]))
