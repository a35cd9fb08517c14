#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A fast frame generator for hostile-traffic tests, run inside a lab
namespace:

    flood.py --iface IF --dst-mac MAC KIND [options]

    ip netns exec NS /usr/bin/python3 dts/flood.py --iface eth0 \\
        --dst-mac 02:d5:1b:00:00:02 syn --dst 198.51.100.100 --dport 110

Frames are built beforehand with struct (at most POOL distinct ones,
sent over and over when --count is larger) and sent in a tight loop on
an AF_PACKET socket bound to IF, from IF's own MAC to --dst-mac. At the
end it prints one JSON line: {"kind", "sent", "seconds", "pps",
"refused", "seed"} ("refused": frames the kernel would not send, such as
ones shorter than an Ethernet header); malformed adds "categories"
(frames sent per category) and "refused_categories".

KIND:
    syn        TCP SYN from a random source address and port to
               --dst:--dport (valid IPv4 and TCP checksums); no two of
               the POOL frames built share an address and port
    ack        TCP ACK with random sequence and acknowledgement numbers,
               otherwise like syn
    udp        UDP datagrams with 64 bytes of payload, like syn
    frag1      first fragments of UDP datagrams (MF set, offset 0) whose
               later fragments never come, like udp, each with its own
               IP id
    arp        ARP who-has, Ethernet broadcast (--dst-mac is not used),
               from IF's MAC and a random --src address, for the
               --target addresses in turn (default --dst)
    ns         ICMPv6 Neighbor Solicitations (RFC 4861, hop limit 255,
               a source link-layer option with IF's MAC) for the
               --target addresses in turn, each to its solicited-node
               group and that group's MAC (--dst-mac is not used), from
               a random address of the --src networks (IPv6 ones here;
               any prefix length: addresses are drawn, not listed)
    vrrp       VRRPv3 advertisements for --vrid (default 200) announcing
               --dst, from IF's MAC and a random --src address, to
               224.0.0.18 (its multicast MAC; --dst-mac is not used) at
               TTL 255, as a host on the segment sends them
    malformed  a fixed list of malformed or hostile frames to --dst-mac,
               over and over (IPv4 to --dst, port --dport where it
               applies), each round with fresh frames of random bytes:
               see CATEGORIES

Options:
    --count N       frames to send (default 100000)
    --pps N         pace to N frames/s, in 1 ms batches (default 0: as
                    fast as possible)
    --src CIDR      random source addresses are drawn from these networks
                    (repeatable; default 192.0.2.0/24 and 203.0.113.0/24;
                    their network and broadcast addresses are not used)
    --exclude ADDR  never use ADDR as a source (repeatable)
    --dst ADDR      destination address (default 198.51.100.100, the VIP)
    --dport N       destination port (default 110; 5060 for udp)
    --target ADDR   arp: an address asked for (repeatable)
    --seed N        random seed (default: a random one, printed)

Only documentation addresses are accepted for --src, --dst and --target
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, and 2001:db8::/32 for
the ns kind, the only IPv6 one); the malformed kind's
reserved sources and destinations (0.0.0.0, 127.0.0.1, ...) are fixed.
"""

import argparse
import errno
import ipaddress
import json
import random
import socket
import struct
import sys
import time

POOL = 1 << 17          # distinct frames built at most
RANDOM_PER_ROUND = 32   # malformed: frames of random bytes per round
DOC_NETS = [ipaddress.ip_network(n) for n in
            ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
             "2001:db8::/32")]
DEFAULT_SRC = ["192.0.2.0/24", "203.0.113.0/24"]

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86dd
ETH_VLAN = 0x8100
ETH_QINQ = 0x88a8
IP_DF = 0x4000
IP_MF = 0x2000
TCP_SYN = 0x02
TCP_ACK = 0x10

IPV4 = struct.Struct("!BBHHHBBHII")
TCP = struct.Struct("!HHIIHHHH")
UDP = struct.Struct("!HHHH")

CATEGORIES = """\
    trunc-eth          frames cut at every byte inside the Ethernet
                       header (the kernel refuses these: "refused")
    trunc-vlan         an 802.1Q frame cut inside its tag (a Linux
                       receiver, a bridge port too, drops these when
                       it takes the tag off: they reach no one)
    trunc-ipv4         cut inside the IPv4 header
    trunc-tcp          cut inside the TCP header, with the IPv4 total
                       length left at the full length or cut to match
    trunc-udp          the same for UDP
    ipv4-ihl-short     IHL 0..4
    ipv4-ihl-past      IHL 11..15, past the end of the packet
    ipv4-len-short     total length shorter than the header
    ipv4-len-long      total length longer than the frame
    ipv4-version       version 0, 5, 6, 15 in an IPv4 frame
    ipv4-bad-checksum  a SYN with a wrong IPv4 header checksum
    tcp-doff-short     TCP data offset 0..4
    tcp-doff-past      TCP data offset 6..15 with no options present
    udp-len-short      UDP length 0..7
    udp-len-past       UDP length past the datagram
    frag-tiny          a first fragment holding 8 bytes of the TCP
                       header, then the rest
    frag-overlap       fragments of one datagram overlapping, one of
                       them rewriting the ports
    frag-orphan        later fragments with no first fragment
    qinq               double tags: 88a8+8100, 8100+8100, 9100+8100
    ethertype-unknown  EtherTypes 0000, 05dc (an 802.3 length), 1234,
                       88b5, ffff
    ip-proto           IP protocols 47 (GRE) and 255
    src-reserved       SYN from 0.0.0.0, 127.0.0.1, 224.0.0.1,
                       255.255.255.255
    dst-reserved       SYN to 0.0.0.0 and 127.0.0.1
    random             random bytes, 1..1514 long, to --dst-mac from IF
"""


def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def word_sum(data):
    """The unfolded sum of data's 16-bit words (odd length: zero pad)."""
    if len(data) % 2:
        data += b"\0"
    return sum(struct.unpack("!%dH" % (len(data) // 2), data))


def checksum(data):
    return ~fold(word_sum(data)) & 0xffff


def words32(x):
    return (x >> 16) + (x & 0xffff)


def mac_bytes(text):
    b = bytes(int(x, 16) for x in text.split(":"))
    if len(b) != 6:
        raise argparse.ArgumentTypeError("not a MAC address: %s" % text)
    return b


def doc_addr(text):
    a = ipaddress.ip_address(text)
    if not any(a in n for n in DOC_NETS if n.version == a.version):
        raise argparse.ArgumentTypeError(
            "%s is not a documentation address" % text)
    return a


def doc_net(text):
    n = ipaddress.ip_network(text, strict=False)
    if not any(n.subnet_of(d) for d in DOC_NETS if n.version == d.version):
        raise argparse.ArgumentTypeError(
            "%s is not inside a documentation network" % text)
    return n


class Sources6:
    """Random IPv6 source addresses of the networks, minus excluded:
    drawn (a /64 has too many to list), never the subnet-router anycast
    address (the network's own)."""

    def __init__(self, nets, exclude, rng):
        self.nets = nets
        self.exclude = set(exclude)
        self.rng = rng

    def draw(self):
        while True:
            n = self.nets[self.rng.randrange(len(self.nets))]
            a = int(n.network_address) + \
                self.rng.randrange(1, n.num_addresses)
            if a not in self.exclude:
                return a


class Sources:
    """Random source addresses: hosts of the networks minus excluded."""

    def __init__(self, nets, exclude, rng):
        ex = set(exclude)
        self.addrs = sorted({int(a) for n in nets for a in n.hosts()} - ex)
        if not self.addrs:
            sys.exit("flood.py: no source address left after --exclude")
        self.rng = rng

    def draw(self):
        return self.addrs[self.rng.randrange(len(self.addrs))]

    def draw_flow(self, used):
        """A source address and port (1024-65535) not in used, which
        takes it: every frame of a flood its own flow. Two frames of
        one random tuple (a birthday collision: some hundreds in 120k
        draws) would make a confirmed flow entry, which lives
        tcp_timeout, not a provisional one."""
        while True:
            pair = (self.draw(), 1024 + self.rng.randrange(64512))
            if pair not in used:
                used.add(pair)
                return pair


# ---- the bulk kinds: a base checksum, the varying words added per frame

def build_tcp(eth, src, dst, dport, flags, n, rng):
    """n TCP frames (SYN or ACK) from random sources and ports."""
    ip_base = word_sum(IPV4.pack(0x45, 0, 40, 0, IP_DF, 64, 6, 0, 0, dst))
    tcp_base = (words32(dst) + 6 + 20 +
                word_sum(TCP.pack(0, dport, 0, 0, (5 << 12) | flags, 64240,
                                  0, 0)))
    rand = rng.getrandbits
    out = []
    used = set()
    for _ in range(n):
        s, sport = src.draw_flow(used)
        ident = rand(16)
        seq = rand(32)
        ack = rand(32) if flags & TCP_ACK else 0
        ip_c = ~fold(ip_base + ident + words32(s)) & 0xffff
        tcp_c = ~fold(tcp_base + words32(s) + sport + words32(seq) +
                      words32(ack)) & 0xffff
        out.append(eth + IPV4.pack(0x45, 0, 40, ident, IP_DF, 64, 6, ip_c,
                                   s, dst) +
                   TCP.pack(sport, dport, seq, ack, (5 << 12) | flags,
                            64240, tcp_c, 0))
    return out


def build_udp(eth, src, dst, dport, n, rng):
    """n UDP datagrams, 64 bytes of payload, random sources and ports."""
    payload = bytes(range(64))
    ulen = 8 + len(payload)
    ip_base = word_sum(IPV4.pack(0x45, 0, 20 + ulen, 0, IP_DF, 64, 17, 0, 0,
                                 dst))
    udp_base = (words32(dst) + 17 + ulen + dport + ulen + word_sum(payload))
    rand = rng.getrandbits
    out = []
    used = set()
    for _ in range(n):
        s, sport = src.draw_flow(used)
        ident = rand(16)
        ip_c = ~fold(ip_base + ident + words32(s)) & 0xffff
        udp_c = ~fold(udp_base + words32(s) + sport) & 0xffff or 0xffff
        out.append(eth + IPV4.pack(0x45, 0, 20 + ulen, ident, IP_DF, 64, 17,
                                   ip_c, s, dst) +
                   UDP.pack(sport, dport, ulen, udp_c) + payload)
    return out


def build_frag1(eth, src, dst, dport, n, rng):
    """n first fragments of UDP datagrams (MF set, offset 0) from random
    sources, ports and IP ids: each a datagram whose later fragments
    never come."""
    payload = bytes(range(64))
    ulen = 8 + 1400               # what the whole datagram would hold
    out = []
    used = set()
    for _ in range(n):
        s, sport = src.draw_flow(used)
        ident = rng.getrandbits(16)
        ip = IPV4.pack(0x45, 0, 20 + 8 + len(payload), ident, IP_MF, 64, 17,
                       0, s, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        out.append(eth + ip + UDP.pack(sport, dport, ulen, 0) + payload)
    return out


VRRP_GROUP = 0xe0000012          # 224.0.0.18
VRRP_MAC = bytes.fromhex("01005e000012")


def build_vrrp(own_mac, src, vrid, vip, n):
    """n VRRPv3 advertisements for vrid (announcing vip) from random
    sources of the segment, sent on the link (TTL 255) to 224.0.0.18."""
    eth = VRRP_MAC + own_mac + struct.pack("!H", ETH_IPV4)
    out = []
    for i in range(n):
        s = src.draw()
        adv = struct.pack("!BBBBHHI", 0x31, vrid, 100, 1, 100, 0, vip)
        # the VRRPv3 checksum covers the IPv4 pseudo-header
        c = checksum(struct.pack("!IIBBH", s, VRRP_GROUP, 0, 112,
                                 len(adv)) + adv)
        adv = adv[:6] + struct.pack("!H", c) + adv[8:]
        ip = IPV4.pack(0x45, 0, 20 + len(adv), i & 0xffff, 0, 255, 112, 0,
                       s, VRRP_GROUP)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        out.append(eth + ip + adv)
    return out


def build_arp(own_mac, src, targets, n):
    """n who-has requests, broadcast, asking for targets in turn."""
    eth = b"\xff" * 6 + own_mac + struct.pack("!H", ETH_ARP)
    head = struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, 1) + own_mac
    return [eth + head + struct.pack("!I", src.draw()) + b"\0" * 6 +
            struct.pack("!I", targets[i % len(targets)]) for i in range(n)]


ICMP6_NS = 135


def solicited_node(target):
    """The solicited-node group of an IPv6 address (int) and its MAC."""
    group = (0xff02 << 112) | (0x1ff << 24) | (target & 0xffffff)
    return group, b"\x33\x33" + group.to_bytes(16, "big")[12:]


def build_ns(own_mac, src, targets, n):
    """n Neighbor Solicitations for targets in turn, each to the
    target's solicited-node group, from random sources, with a source
    link-layer address option (own_mac): as a host resolving the target
    sends them."""
    out = []
    for i in range(n):
        t = targets[i % len(targets)]
        group, group_mac = solicited_node(t)
        s = src.draw().to_bytes(16, "big")
        d = group.to_bytes(16, "big")
        ns = struct.pack("!BBHI", ICMP6_NS, 0, 0, 0) + \
            t.to_bytes(16, "big") + b"\x01\x01" + own_mac
        # the ICMPv6 checksum covers the IPv6 pseudo-header
        c = checksum(s + d + struct.pack("!IxxxB", len(ns), 58) + ns)
        ns = ns[:2] + struct.pack("!H", c) + ns[4:]
        ip = struct.pack("!IHBB", 6 << 28, len(ns), 58, 255) + s + d
        out.append(group_mac + own_mac + struct.pack("!H", ETH_IPV6) +
                   ip + ns)
    return out


# ---- malformed: general builders with every field settable

def ipv4(src, dst, proto, payload, ihl=5, ver=4, tot_len=None, ident=0,
         frag=IP_DF, csum=None):
    """An IPv4 packet (a 20-byte header whatever IHL says)."""
    tl = 20 + len(payload) if tot_len is None else tot_len
    h = IPV4.pack((ver << 4) | ihl, 0, tl, ident, frag, 64, proto, 0, src,
                  dst)
    c = checksum(h) if csum is None else csum
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def tcp(src, dst, sport, dport, flags=TCP_SYN, doff=5, payload=b""):
    """A TCP segment (a 20-byte header whatever doff says), checksum
    over the segment as built."""
    h = TCP.pack(sport, dport, 1000, 0, (doff << 12) | flags, 64240, 0, 0)
    pseudo = struct.pack("!IIBBH", src, dst, 0, 6, len(h) + len(payload))
    c = checksum(pseudo + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def udp(src, dst, sport, dport, payload, length=None):
    ulen = 8 + len(payload) if length is None else length
    h = UDP.pack(sport, dport, ulen, 0)
    pseudo = struct.pack("!IIBBH", src, dst, 0, 17, 8 + len(payload))
    c = checksum(pseudo + h + payload) or 0xffff
    return h[:6] + struct.pack("!H", c) + payload


def ip_addr(text):
    return int(ipaddress.ip_address(text))


def malformed_list(dst_mac, own_mac, src, dst, dport):
    """[(category, frame)]: the fixed part of the malformed storm."""
    def eth(ethertype=ETH_IPV4):
        return dst_mac + own_mac + struct.pack("!H", ethertype)

    def syn(s=None, d=dst, **kw):
        s = src.draw() if s is None else s
        return ipv4(s, d, 6, tcp(s, d, 40000, dport), **kw)

    out = []

    def add(cat, frames):
        out.extend((cat, f) for f in frames)

    s = src.draw()
    seg = tcp(s, dst, 40001, dport)
    dgram = udp(s, dst, 40002, dport, b"u" * 16)
    tcp_frame = eth() + ipv4(s, dst, 6, seg)
    udp_frame = eth() + ipv4(s, dst, 17, dgram)
    vlan_frame = (dst_mac + own_mac + struct.pack("!HHH", ETH_VLAN, 7,
                                                  ETH_IPV4) +
                  ipv4(s, dst, 6, seg))
    # truncations: every length inside each header
    add("trunc-eth", [tcp_frame[:n] for n in range(1, 14)])
    add("trunc-vlan", [vlan_frame[:n] for n in range(14, 18)])
    add("trunc-ipv4", [tcp_frame[:n] for n in range(14, 34)])
    add("trunc-tcp", [tcp_frame[:n] for n in range(34, 54)])
    add("trunc-tcp", [eth() + ipv4(s, dst, 6, seg[:k]) for k in range(20)])
    add("trunc-udp", [udp_frame[:n] for n in range(34, 42)])
    add("trunc-udp", [eth() + ipv4(s, dst, 17, dgram[:k]) for k in range(8)])
    # IPv4 header fields
    add("ipv4-ihl-short", [eth() + syn(ihl=i) for i in range(5)])
    add("ipv4-ihl-past", [eth() + syn(ihl=i) for i in range(11, 16)])
    add("ipv4-len-short", [eth() + syn(tot_len=n) for n in (0, 1, 19)] +
        [eth() + syn(ihl=6, tot_len=20)])
    add("ipv4-len-long", [eth() + syn(tot_len=n) for n in (41, 1500, 65535)])
    add("ipv4-version", [eth() + syn(ver=v) for v in (0, 5, 6, 15)])
    good = syn()
    bad = struct.unpack("!H", good[10:12])[0] ^ 0x5a5a
    add("ipv4-bad-checksum", [eth() + good[:10] + struct.pack("!H", bad) +
                              good[12:]])
    # TCP and UDP header fields
    add("tcp-doff-short", [eth() + ipv4(s, dst, 6, tcp(s, dst, 40003, dport,
                                                         doff=d))
                           for d in range(5)])
    add("tcp-doff-past", [eth() + ipv4(s, dst, 6, tcp(s, dst, 40004, dport,
                                                        doff=d))
                          for d in range(6, 16)])
    add("udp-len-short", [eth() + ipv4(s, dst, 17, udp(s, dst, 40005, dport,
                                                         b"u" * 16, length=n))
                          for n in range(8)])
    add("udp-len-past", [eth() + ipv4(s, dst, 17, udp(s, dst, 40006, dport,
                                                        b"u" * 16, length=n))
                         for n in (25, 100, 65535)])
    # fragments (offsets in 8-byte units)
    whole = tcp(s, dst, 40007, dport, payload=b"f" * 16)
    add("frag-tiny", [
        eth() + ipv4(s, dst, 6, whole[:8], ident=0x1001, frag=IP_MF),
        eth() + ipv4(s, dst, 6, whole[8:], ident=0x1001, frag=1)])
    other = tcp(s, dst, 40008, dport + 1, payload=b"g" * 16)
    add("frag-overlap", [
        eth() + ipv4(s, dst, 6, whole[:16], ident=0x1002, frag=IP_MF),
        eth() + ipv4(s, dst, 6, whole[8:], ident=0x1002, frag=1),
        eth() + ipv4(s, dst, 6, whole[:24], ident=0x1003, frag=IP_MF),
        eth() + ipv4(s, dst, 6, other, ident=0x1003, frag=0)])
    add("frag-orphan", [
        eth() + ipv4(s, dst, 6, b"o" * 16, ident=0x1100 + i,
                     frag=off | (IP_MF if mf else 0))
        for i, (off, mf) in enumerate([(1, True), (1, False), (8, True),
                                       (185, False), (8191, False)])])
    # link layer
    inner = ipv4(s, dst, 6, seg)
    add("qinq", [dst_mac + own_mac + struct.pack("!HHHH", outer, 5, ETH_VLAN,
                                                 7) +
                 struct.pack("!H", ETH_IPV4) + inner
                 for outer in (ETH_QINQ, ETH_VLAN, 0x9100)])
    add("ethertype-unknown", [eth(t) + bytes(range(46))
                              for t in (0x0000, 0x05dc, 0x1234, 0x88b5,
                                        0xffff)])
    gre = struct.pack("!HH", 0, ETH_IPV4) + inner
    add("ip-proto", [eth() + ipv4(s, dst, 47, gre),
                     eth() + ipv4(s, dst, 255, b"p" * 16)])
    # reserved addresses
    add("src-reserved", [eth() + syn(s=ip_addr(a)) for a in
                         ("0.0.0.0", "127.0.0.1", "224.0.0.1",
                          "255.255.255.255")])
    add("dst-reserved", [eth() + syn(d=ip_addr(a))
                         for a in ("0.0.0.0", "127.0.0.1")])
    return out


def build_malformed(dst_mac, own_mac, src, dst, dport, n, rng):
    """n frames: the fixed list and RANDOM_PER_ROUND frames of random
    bytes per round; (frames, category of each)."""
    fixed = malformed_list(dst_mac, own_mac, src, dst, dport)
    head = dst_mac + own_mac
    frames, cats = [], []
    while len(frames) < n:
        for cat, f in fixed:
            frames.append(f)
            cats.append(cat)
        for _ in range(RANDOM_PER_ROUND):
            size = rng.randint(1, 1514)
            frames.append((head + rng.randbytes(max(0, size - 12)))[:size])
            cats.append("random")
    return frames[:n], cats[:n]


# ---- sending

def blast(sock, frames, count, pps):
    """Send count frames, cycling over frames; (seconds, refused by
    index)."""
    send = sock.send
    n = len(frames)
    batch = n if pps <= 0 else max(1, pps // 1000)
    refused = {}
    done = pos = 0
    t0 = time.perf_counter()
    while done < count:
        end = pos + min(batch, count - done, n - pos)
        for i in range(pos, end):
            try:
                send(frames[i])
            except OSError as e:
                if not resend(send, frames[i], e):
                    refused[i] = refused.get(i, 0) + 1
        done += end - pos
        pos = 0 if end == n else end
        if pps > 0:
            ahead = t0 + done / pps - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
    return time.perf_counter() - t0, refused


def resend(send, frame, err):
    """Retry a frame the kernel had no room for; False if refused."""
    while err.errno in (errno.ENOBUFS, errno.EAGAIN):
        time.sleep(0.0002)
        try:
            send(frame)
            return True
        except OSError as e:
            err = e
    return False


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Send hostile traffic from a lab namespace.",
        epilog="malformed categories:\n" + CATEGORIES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface", required=True)
    p.add_argument("--dst-mac", required=True, type=mac_bytes)
    p.add_argument("kind", choices=("syn", "ack", "udp", "frag1", "arp",
                                    "ns", "vrrp", "malformed"))
    p.add_argument("--vrid", type=int, default=200)
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--pps", type=int, default=0)
    p.add_argument("--src", action="append", type=doc_net)
    p.add_argument("--exclude", action="append", type=doc_addr, default=[])
    p.add_argument("--dst", type=doc_addr, default=doc_addr("198.51.100.100"))
    p.add_argument("--dport", type=int)
    p.add_argument("--target", action="append", type=doc_addr)
    p.add_argument("--seed", type=int)
    a = p.parse_args(argv)
    if a.count < 1:
        p.error("--count must be at least 1")
    if a.dport is None:
        a.dport = 5060 if a.kind in ("udp", "frag1") else 110
    if not 0 <= a.dport <= 0xffff:
        p.error("--dport out of range")
    # IPv6 for ns, IPv4 for every other kind
    version = 6 if a.kind == "ns" else 4
    if a.kind == "ns" and (a.src is None or a.target is None):
        p.error("ns needs --src and --target")
    if a.src is None:
        a.src = [doc_net(n) for n in DEFAULT_SRC]
    if any(x.version != version for x in
           a.src + (a.target or []) + a.exclude +
           ([a.dst] if a.kind != "ns" else [])):
        p.error("%s takes IPv%d addresses only" % (a.kind, version))
    a.dst = int(a.dst)
    a.exclude = [int(x) for x in a.exclude]
    if a.target is not None:
        a.target = [int(x) for x in a.target]
    if a.seed is None:
        a.seed = random.SystemRandom().getrandbits(32)
    return a


def main(argv):
    a = parse_args(argv)
    rng = random.Random(a.seed)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.bind((a.iface, 0))
    own_mac = sock.getsockname()[4]
    src = (Sources6 if a.kind == "ns" else Sources)(a.src, a.exclude, rng)
    n = min(a.count, POOL)
    eth = a.dst_mac + own_mac + struct.pack("!H", ETH_IPV4)
    cats = None
    if a.kind in ("syn", "ack"):
        frames = build_tcp(eth, src, a.dst, a.dport,
                           TCP_SYN if a.kind == "syn" else TCP_ACK, n, rng)
    elif a.kind == "udp":
        frames = build_udp(eth, src, a.dst, a.dport, n, rng)
    elif a.kind == "frag1":
        frames = build_frag1(eth, src, a.dst, a.dport, n, rng)
    elif a.kind == "arp":
        frames = build_arp(own_mac, src, a.target or [a.dst], n)
    elif a.kind == "ns":
        frames = build_ns(own_mac, src, a.target, n)
    elif a.kind == "vrrp":
        frames = build_vrrp(own_mac, src, a.vrid, a.dst, n)
    else:
        frames, cats = build_malformed(a.dst_mac, own_mac, src, a.dst,
                                       a.dport, n, rng)
    seconds, refused = blast(sock, frames, a.count, a.pps)
    sock.close()
    n_refused = sum(refused.values())
    out = {"kind": a.kind, "sent": a.count - n_refused,
           "seconds": round(seconds, 3),
           "pps": int((a.count - n_refused) / seconds) if seconds else 0,
           "refused": n_refused, "seed": a.seed}
    if cats is not None:
        rounds, rest = divmod(a.count, len(frames))
        sent, ref = {}, {}
        for i, c in enumerate(cats):
            sent[c] = sent.get(c, 0) + rounds + (i < rest) - refused.get(i, 0)
            if refused.get(i):
                ref[c] = ref.get(c, 0) + refused[i]
        out["categories"] = sent
        out["refused_categories"] = ref
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
