#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Write seed corpora for the libFuzzer targets: make_corpus.py DIR

Seeds are valid inputs of every kind the targets understand, so the
fuzzers start from deep inside the parsers instead of from noise.
"""

import hashlib
import hmac
import json
import os
import socket
import struct
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig,
                       IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, fragment, fragment6, raw)

PORT_MAC = "02:70:63:61:70:00"   # fuzz_dp's port
VIP = "198.51.100.100"
C = "203.0.113.9"
VIP6 = "2001:db8:100::100"
C6 = "2001:db8:1::9"


def frames():
    e = Ether(src="02:00:00:00:00:01", dst=PORT_MAC)
    yield e / IP(src=C, dst=VIP) / TCP(sport=1000, dport=110, flags="S")
    yield e / IP(src=C, dst=VIP) / TCP(sport=1000, dport=110, flags="A")
    yield e / IP(src=C, dst=VIP) / TCP(sport=1000, dport=110, flags="FA")
    yield e / IP(src=C, dst=VIP) / TCP(sport=1001, dport=25, flags="S")
    yield e / IP(src=C, dst=VIP) / TCP(sport=1002, dport=8080, flags="S")
    yield e / IP(src=C, dst=VIP) / TCP(sport=1003, dport=33333, flags="SA")
    yield e / IP(src=C, dst=VIP) / UDP(sport=5060, dport=5060) / b"OPTIONS"
    yield e / IP(src=C, dst=VIP) / UDP(sport=9, dport=53) / b"q"
    yield e / IP(src=C, dst=VIP, options=b"\x94\x04\x00\x00") / TCP(dport=110)
    yield e / Dot1Q(vlan=5) / IP(src=C, dst=VIP) / TCP(dport=110)
    yield e / IP(src=C, dst=VIP) / ICMP(type=8) / b"ping"
    inner = IP(src=VIP, dst=C) / TCP(sport=110, dport=1000)
    yield e / IP(src="203.0.113.1", dst=VIP) / ICMP(type=3, code=4) / \
        raw(inner)[:28]
    yield e / IP(src=C, dst="198.51.100.2") / TCP(dport=22)
    yield Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / \
        ARP(psrc="198.51.100.1", pdst=VIP)
    # a VRRP advertisement from a segment neighbor (mode vrrp passes it)
    yield Ether(src="02:00:00:00:00:03", dst="01:00:5e:00:00:12") / \
        IP(src="198.51.100.3", dst="224.0.0.18", proto=112, ttl=255) / \
        bytes([0x21, 51, 100, 0, 0, 1, 0, 0])
    for f in fragment(e / IP(src=C, dst=VIP, id=7) / UDP(dport=5060) /
                      (b"x" * 1200), fragsize=400):
        yield f


def record(frame, split=0):
    b = raw(frame)
    return struct.pack(">HB", len(b), split) + b


def directive(op, arg=0, flags=0):
    """fuzz_dp: a copy of an earlier frame (op 0), the end of a burst (1),
    the clock moved on and a sweep (2), a flush (3)."""
    return struct.pack(">HBBB", 0xffff, op, arg, flags)


def main():
    out = sys.argv[1]
    fr = list(frames())
    dirs = {t: os.path.join(out, t) for t in
            ("fuzz_pkt", "fuzz_dp", "fuzz_config", "fuzz_health",
             "fuzz_ctl", "fuzz_sync")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    for i, f in enumerate(fr):
        with open(os.path.join(dirs["fuzz_pkt"], "f%02d" % i), "wb") as fh:
            fh.write(raw(f))
        with open(os.path.join(dirs["fuzz_dp"], "f%02d" % i), "wb") as fh:
            fh.write(record(f, 20 if i % 3 == 0 else 0))
    with open(os.path.join(dirs["fuzz_dp"], "burst"), "wb") as fh:
        fh.write(b"".join(record(f) for f in fr))
    # a datagram's fragments last first, and one without its first: the
    # waiting room and its drops
    frags = [f for f in fr if IP in f and f[IP].id == 7]
    with open(os.path.join(dirs["fuzz_dp"], "frag_reversed"), "wb") as fh:
        fh.write(b"".join(record(f) for f in reversed(frags)))
    with open(os.path.join(dirs["fuzz_dp"], "frag_orphans"), "wb") as fh:
        fh.write(b"".join(record(f) for f in frags[1:]))
    # wrr and wlc connections opened and confirmed: staged for flow sync
    e = Ether(src="02:00:00:00:00:01", dst=PORT_MAC)
    opened = []
    for sport in range(2000, 2016):
        for port in (25, 143):
            opened.append(e / IP(src=C, dst=VIP) /
                          TCP(sport=sport, dport=port, flags="S"))
            opened.append(e / IP(src=C, dst=VIP) /
                          TCP(sport=sport, dport=port, flags="A"))
    with open(os.path.join(dirs["fuzz_dp"], "sync_confirmed"), "wb") as fh:
        fh.write(b"".join(record(f) for f in opened))
    # spoofed ACKs fill fuzz_dp's table (64 flows); then in one burst a
    # SYN that evicts the oldest guess and a packet of that guess (a
    # copy of frame 0 with flags ACK): the burst that once corrupted
    # the table. Then the clock moves past every timeout, the sweeper
    # empties the table and new connections must get entries again.
    acks = [e / IP(src="203.0.113.%d" % (1 + i // 50), dst=VIP) /
            TCP(sport=3000 + i, dport=25, flags="A") for i in range(70)]
    syns = [e / IP(src=C, dst=VIP) / TCP(sport=4000 + i, dport=25,
                                         flags="S") for i in range(8)]
    with open(os.path.join(dirs["fuzz_dp"], "table_full_evict"), "wb") as fh:
        fh.write(b"".join(record(f) for f in acks) +
                 directive(1) + record(syns[0]) + directive(0, 0, 0x10) +
                 directive(0, 1, 0x10) + directive(1) +
                 directive(2, 255, 255) + directive(2, 255, 255) +
                 b"".join(record(f) for f in syns[1:]))
    # IPv6: connections to each service, stateless SIP, the NDP and echo
    # answers, and a table of 64 IPv6 flows filled and evicted (a
    # quarter of the guesses hash to fe4, whose MAC is unknown: they
    # wait, without an entry)
    e6 = e / IPv6(src=C6, dst=VIP6)
    v6 = [e6 / TCP(sport=1000, dport=110, flags="S"),
          e6 / TCP(sport=1000, dport=110, flags="A"),
          e6 / TCP(sport=1000, dport=110, flags="FA"),
          e6 / TCP(sport=1001, dport=25, flags="S"),
          e6 / TCP(sport=1002, dport=143, flags="S"),
          e6 / UDP(sport=5060, dport=5060) / b"OPTIONS",
          e6 / UDP(sport=9, dport=53) / b"q",
          e6 / ICMPv6EchoRequest(id=1, seq=1) / b"ping",
          e / IPv6(src="2001:db8:ff::1", dst=VIP6) /
          ICMPv6PacketTooBig(mtu=1280) /
          raw(IPv6(src=VIP6, dst=C6) / TCP(sport=110, dport=1000) /
              (b"d" * 64)),
          Ether(src="02:00:00:00:00:01", dst="33:33:ff:00:01:00") /
          IPv6(src=C6, dst="ff02::1:ff00:100", hlim=255) /
          ICMPv6ND_NS(tgt=VIP6) /
          ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")]
    with open(os.path.join(dirs["fuzz_dp"], "ipv6"), "wb") as fh:
        fh.write(b"".join(record(f) for f in v6))
    # the port's own IPv6 address: solicitations for it and its
    # link-local address, a member's and a stranger's advertisements,
    # a health check's answer from the IPv6 member, anyone's UDP
    own6 = "2001:db8:100::2"
    fe3 = Ether(src="02:00:00:00:00:13", dst=PORT_MAC)
    with open(os.path.join(dirs["fuzz_dp"], "ipv6_own"), "wb") as fh:
        fh.write(b"".join(record(f) for f in [
            Ether(src="02:00:00:00:00:aa", dst="33:33:ff:00:00:02") /
            IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) /
            ICMPv6ND_NS(tgt=own6) /
            ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:aa"),
            Ether(src="02:00:00:00:00:aa", dst=PORT_MAC) /
            IPv6(src="fe80::1", dst="fe80::70:63ff:fe61:7000", hlim=255) /
            ICMPv6ND_NS(tgt="fe80::70:63ff:fe61:7000"),
            fe3 / IPv6(src="2001:db8:100::13", dst=own6, hlim=255) /
            ICMPv6ND_NA(tgt="2001:db8:100::13", R=0, S=1, O=1) /
            ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:13"),
            Ether(src="02:00:00:00:00:13", dst="33:33:00:00:00:01") /
            IPv6(src="2001:db8:100::13", dst="ff02::1", hlim=255) /
            ICMPv6ND_NA(tgt="2001:db8:100::13", R=0, S=0, O=1) /
            ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:13"),
            fe3 / IPv6(src="2001:db8:100::13", dst=own6) /
            TCP(sport=110, dport=40000, flags="SA"),
            e / IPv6(src=C6, dst=own6) / UDP(sport=9, dport=9) / b"x",
            e / IPv6(src=C6, dst=own6) / ICMPv6EchoRequest() / b"p"]))
    acks6 = [Ether(src="02:00:00:00:00:01", dst=PORT_MAC) /
             IPv6(src="2001:db8:1::%x" % (1 + i // 50), dst=VIP6) /
             TCP(sport=3000 + i, dport=25, flags="A") for i in range(120)]
    with open(os.path.join(dirs["fuzz_dp"], "ipv6_table_full"), "wb") as fh:
        fh.write(b"".join(record(f) for f in acks6) + directive(1) +
                 record(v6[3]) + directive(0, 0, 0x10) + directive(1) +
                 directive(2, 255, 255) + directive(3, 4, 7) +
                 b"".join(record(f) for f in v6))
    # IPv6 fragments: a SIP (stateless) and a DNS (flow) datagram in
    # fragments, last first in one burst; later ones whose first never
    # comes; later ones in one burst and their first in the next (the
    # waiting room, then its drops); a first fragment without its UDP
    # header (RFC 7112); an ICMPv6 error quoting a member's first
    # fragment
    def frags6(dport, ident, src=C6):
        return fragment6(e / IPv6(src=src, dst=VIP6) /
                         IPv6ExtHdrFragment(id=ident) /
                         UDP(sport=5062, dport=dport) / (b"y" * 1200), 500)
    sip6, dns6 = frags6(5060, 0x10000007), frags6(53, 8)
    with open(os.path.join(dirs["fuzz_dp"], "ipv6_frag_reversed"),
              "wb") as fh:
        fh.write(b"".join(record(f) for f in reversed(sip6 + dns6)))
    with open(os.path.join(dirs["fuzz_dp"], "ipv6_frag_orphans"),
              "wb") as fh:
        fh.write(b"".join(record(f) for f in sip6[1:] + dns6[1:]))
    with open(os.path.join(dirs["fuzz_dp"], "ipv6_frag_first_later"),
              "wb") as fh:
        fh.write(b"".join(record(f) for f in sip6[1:]) + directive(1) +
                 record(sip6[0]) + directive(1) +
                 b"".join(record(f) for f in dns6))
    short6 = (e / IPv6(src=C6, dst=VIP6) /
              IPv6ExtHdrFragment(nh=60, m=1, id=9) /
              IPv6ExtHdrDestOpt(nh=17))
    quote6 = raw(IPv6(src=VIP6, dst=C6) /
                 IPv6ExtHdrFragment(m=1, id=11) /
                 UDP(sport=53, dport=5062) / (b"d" * 64))
    err6 = (e / IPv6(src="2001:db8:ff::1", dst=VIP6) /
            ICMPv6PacketTooBig(mtu=1280) / quote6)
    with open(os.path.join(dirs["fuzz_dp"], "ipv6_frag_short_and_error"),
              "wb") as fh:
        fh.write(record(short6) + record(dns6[0]) + record(err6) +
                 b"".join(record(f) for f in dns6[1:]))
    with open(os.path.join(dirs["fuzz_dp"], "flush_member"), "wb") as fh:
        fh.write(b"".join(record(f) for f in opened) + directive(3, 1, 7) +
                 b"".join(record(f) for f in opened) + directive(3, 4, 1))
    cfg = {
        "ports": [{"name": "lan0", "address": "198.51.100.2/24",
                   "gateway": "198.51.100.1", "vlan": 7}],
        "exception_interface": "dsrlb0",
        "vips": ["198.51.100.100", "198.51.100.112/29", "2001:db8:100::/126"],
        "flows": {"capacity": 65536, "tcp_timeout": 900},
        "dataplane": {"idle_sleep_us": 10},
        "members": [{"name": "fe1", "address": "198.51.100.11",
                     "mac": "02:00:00:00:00:11", "weight": 10,
                     "source_ports": "33000-33999", "state": "drain"},
                    {"name": "fe2", "address": "198.51.100.12"}],
        "services": [{"name": "pop3", "vip": "*", "protocol": "tcp",
                      "port": 110, "scheduler": "wrr",
                      "members": ["fe1", "fe2"],
                      "check": {"type": "pop3", "interval": 2,
                                "timeout": 1, "rise": 2, "fall": 3}},
                     {"name": "sip", "vip": VIP, "protocol": "udp",
                      "port": "5060-5061", "stateless": True,
                      "hash_fields": ["src_ip"],
                      "check": {"type": "sip", "port": 5060,
                                "transport": "udp"}},
                     {"name": "web", "vip": VIP, "protocol": "tcp",
                      "port": "any", "table_size": 251,
                      "check": {"type": "http", "port": 80,
                                "path": "/health"}}],
    }
    with open(os.path.join(dirs["fuzz_config"], "full.json"), "w") as fh:
        json.dump(cfg, fh)
    # persistence, wlc, the read-only socket: what config.get writes
    cfg2 = dict(cfg)
    cfg2["control_socket"] = "/run/dsrlb/control.sock"
    cfg2["control_socket_readonly"] = "/run/dsrlb/monitor.sock"
    cfg2["control_group"] = "dsrlb"
    cfg2["services"] = [dict(cfg["services"][0], scheduler="wlc",
                             persistence=300,
                             persistence_netmask="255.255.255.0")]
    with open(os.path.join(dirs["fuzz_config"], "persist.json"), "w") as fh:
        json.dump(cfg2, fh)
    with open(os.path.join(dirs["fuzz_config"], "vipaddrs"), "w") as fh:
        fh.write("# c\n198.51.100.100\n198.51.100.112/29  # x\n")
    answers = [b"220 mx ESMTP\r\n", b"+OK ready\r\n", b"* OK IMAP4\r\n",
               b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 503 x\r\n",
               b"SIP/2.0 200 OK\r\n", b"-ERR\r\n", b"220-a\r\n220 b\r\n"]
    reqs = ['{"jsonrpc":"2.0","method":"echo","params":{"s":"x","i":1,'
            '"b":true,"o":{},"a":[]},"id":1}',
            '[{"jsonrpc":"2.0","method":"none","id":"a"},'
            '{"jsonrpc":"2.0","method":"echo","params":{"s":"y"}}]',
            '{"jsonrpc":"2.0","method":"help","id":null}',
            # numbers past int64 and double, inside params and out
            '{"jsonrpc":"2.0","method":"echo","params":{"s":"x",'
            '"r":99999999999999999999,"o":{"z":[1e400]}},"id":1}',
            '[{"jsonrpc":"2.0","method":"write","params":{"i":1e999},'
            '"id":2}]']
    for i, r in enumerate(reqs):
        with open(os.path.join(dirs["fuzz_ctl"], "r%d" % i), "w") as fh:
            fh.write(r)
    # flow-sync messages (lib/sync, version 2), under fuzz_sync's
    # fixed keys: bulk request and end, FLOWS with a TCP flow, a UDP
    # flow, a /24 persistence record and an ended flow, the largest
    # FLOWS (56 records), one signed with the group's second key, and
    # the same four as IPv6 records (FLOWS6, two of them to IPv6
    # members), the four IPv4 ones to IPv6 members (FLOWS6, IPv4-mapped
    # client and VIP) and the largest FLOWS6 (22). The first byte is fuzz_sync's mode: odd seeds are bodies the target
    # signs itself (the record checks behind the MAC), even ones whole
    # datagrams, MAC included (valid ones, and a wrong MAC and an
    # unknown key for the refusals)
    sync_keys = {1: bytes(range(1, 33)),
                 2: bytes(0xa0 + i for i in range(32))}

    def sync_hdr(t, n, key=1, nonce=0):
        return struct.pack(">IBBHIB3xQQ", 0x44534c53, 2, t, n, 7, key,
                           1767225600000000, nonce)

    def sync_rec(kind, proto, state, client, cport, vport, member,
                 lifetime):
        return struct.pack(">BBBB4s4sHH4sI", kind, proto, state, 0,
                           socket.inet_aton(client), socket.inet_aton(VIP),
                           cport, vport, socket.inet_aton(member), lifetime)

    def sync_mac(body, key=1):
        # libsodium's crypto_auth_hmacsha512256: HMAC-SHA-512, the
        # first 32 bytes
        return hmac.new(sync_keys[key], body, hashlib.sha512).digest()[:32]
    recs = [sync_rec(1, 6, 1, C, 40000, 110, "198.51.100.11", 900000),
            sync_rec(1, 17, 2, C, 5061, 5060, "198.51.100.12", 30000),
            sync_rec(2, 6, 24, "203.0.113.0", 0, 443, "198.51.100.13",
                     300000),
            sync_rec(1, 6, 3, C, 40001, 110, "198.51.100.11", 0)]
    # FLOWS6 (type 4): records of 60 bytes, every address 16 bytes (an
    # IPv4 one IPv4-mapped), an IPv6 client's persistence record
    # carrying its key (4 bytes) and 12 zero bytes in the client field

    def a16(a):
        return socket.inet_pton(socket.AF_INET6,
                                a if ":" in a else "::ffff:" + a)

    def sync_rec6(kind, proto, state, client, cport, vport, member,
                  lifetime, vip="2001:db8:5::100"):
        return struct.pack(">BBBB16s16sHH16sI", kind, proto, state, 0,
                           client, a16(vip), cport, vport, a16(member),
                           lifetime)
    SC6 = a16("2001:db8:c::10")
    recs6 = [sync_rec6(1, 6, 1, SC6, 40000, 110, "198.51.100.11", 900000),
             sync_rec6(1, 17, 2, SC6, 5061, 5060, "2001:db8:1::12", 30000),
             sync_rec6(2, 6, 64, bytes.fromhex("8badf00d") + bytes(12), 0,
                       443, "2001:db8:1::13", 300000),
             sync_rec6(1, 6, 3, SC6, 40001, 110, "198.51.100.11", 0)]
    recs46 = [sync_rec6(1, 6, 1, a16(C), 40000, 110, "2001:db8:1::11",
                        900000, VIP),
              sync_rec6(1, 17, 2, a16(C), 5061, 5060, "2001:db8:1::12",
                        30000, VIP),
              sync_rec6(2, 6, 24, a16("203.0.113.0"), 0, 443,
                        "2001:db8:1::13", 300000, VIP),
              sync_rec6(1, 6, 3, a16(C), 40001, 110, "2001:db8:1::11", 0,
                        VIP)]
    bodies = {"bulk_request": sync_hdr(2, 0, nonce=0x0123456789abcdef),
              "bulk_end": sync_hdr(3, 0, nonce=0x0123456789abcdef),
              "flows4": sync_hdr(1, 4) + b"".join(recs),
              "flows56": sync_hdr(1, 56) + b"".join(recs[i % 4]
                                                    for i in range(56)),
              "flows4_key2": sync_hdr(1, 4, key=2) + b"".join(recs),
              "flows6_4": sync_hdr(4, 4) + b"".join(recs6),
              "flows6_46": sync_hdr(4, 4) + b"".join(recs46),
              "flows6_22": sync_hdr(4, 22) + b"".join((recs6 + recs46)[i % 8]
                                                     for i in range(22))}
    sync = {}
    for n, b in bodies.items():
        key = b[12]
        sync["body_" + n] = b"\x01" + b
        sync["msg_" + n] = b"\x00" + b + sync_mac(b, key)
    b = bodies["flows4"]
    sync["msg_bad_mac"] = b"\x00" + b + sync_mac(b, 2)
    b = sync_hdr(1, 4, key=9) + b"".join(recs)
    sync["msg_unknown_key"] = b"\x00" + b + sync_mac(b)
    for n, b in sync.items():
        with open(os.path.join(dirs["fuzz_sync"], n), "wb") as fh:
            fh.write(b)
    for i, a in enumerate(answers):
        with open(os.path.join(dirs["fuzz_health"], "a%d" % i), "wb") as fh:
            fh.write(a)
    # fuzz_pkt: what its bounds checks look at: a tagged ARP, TCP
    # options, a first UDP fragment shorter than its UDP length, a later
    # fragment, an ICMP error quoting a header with options, an echo
    # request with IP options and an odd payload (checksums of the reply)
    e = Ether(src="02:00:00:00:00:01", dst=PORT_MAC)
    inner = raw(IP(src=VIP, dst=C, options=b"\x01\x01\x01\x00") /
                UDP(sport=5060, dport=5062))
    pkt_seeds = {
        "arp_vlan": Ether(src="02:00:00:00:00:01",
                          dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=7) /
        ARP(psrc="198.51.100.1", pdst=VIP),
        "tcp_options": e / IP(src=C, dst=VIP) /
        TCP(sport=1000, dport=110, flags="S",
            options=[("MSS", 1460), ("WScale", 7), ("SAckOK", b"")]),
        "udp_first_frag": e / IP(src=C, dst=VIP, flags="MF", id=9) /
        UDP(sport=5060, dport=5060, len=1208) / (b"y" * 32),
        "tcp_later_frag": e / IP(src=C, dst=VIP, frag=3, proto=6) /
        (b"z" * 24),
        "icmp_error_options": e / IP(src="203.0.113.1", dst=VIP) /
        ICMP(type=11, code=0) / inner[:32],
        "echo_options": e / IP(src=C, dst=VIP, options=b"\x01\x01\x01\x00") /
        ICMP(type=8, id=0x1234, seq=7) / b"odd",
        # every other ICMP word 0: the reply's checksum is 0xffff, which
        # the incremental update alone made 0x0000
        "echo_minus_zero": e / IP(src=C, dst=VIP) / ICMP(type=8, id=0, seq=0),
    }
    # fuzz_pkt, IPv6: each upper layer, an extension header chain
    # ending in a first fragment (24 bytes after it: a multiple of 8),
    # a later fragment, a routing header with no segment left, a tag
    ip6 = IPv6(src=C6, dst=VIP6)
    pkt_seeds.update({
        "ip6_tcp_syn": e / ip6 / TCP(sport=1000, dport=110, flags="S"),
        "ip6_udp": e / ip6 / UDP(sport=5060, dport=5060) / b"OPTIONS",
        "ip6_icmp_echo": e / ip6 / ICMPv6EchoRequest(id=0x1234, seq=7) /
        b"ping",
        "ip6_ext_chain": e / ip6 / IPv6ExtHdrHopByHop() /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(m=1, id=7) /
        TCP(sport=1000, dport=110, flags="S") / b"abcd",
        "ip6_first_frag_short": e / ip6 /
        IPv6ExtHdrFragment(nh=60, m=1, id=9) / IPv6ExtHdrDestOpt(nh=6),
        "ip6_later_frag": e / ip6 /
        IPv6ExtHdrFragment(nh=17, offset=185, m=1, id=7) / (b"z" * 16),
        "ip6_routing": e / ip6 / IPv6ExtHdrRouting(segleft=0,
                                                   addresses=[VIP6]) /
        UDP(sport=53, dport=53) / b"q",
        "ip6_vlan": e / Dot1Q(vlan=7) / ip6 /
        TCP(sport=1000, dport=110, flags="S"),
    })
    # fuzz_pkt, the fast paths of the common packet: each check they
    # make, one frame on either side of it (the parsers decide)
    tcp = TCP(sport=1000, dport=110, flags="A")
    udp = UDP(sport=5060, dport=5060) / b"OPTIONS"
    fast = {
        "src_0": IP(src="0.1.2.3", dst=VIP) / tcp,
        "src_127": IP(src="127.0.0.1", dst=VIP) / tcp,
        "src_223": IP(src="223.255.255.254", dst=VIP) / tcp,
        "src_224": IP(src="224.0.0.1", dst=VIP) / tcp,
        "dst_0": IP(src=C, dst="0.0.0.1") / tcp,
        "dst_127": IP(src=C, dst="127.0.0.2") / tcp,
        "dst_224": IP(src=C, dst="224.0.0.5") / udp,
        "df": IP(src=C, dst=VIP, flags="DF") / tcp,
        "mf": IP(src=C, dst=VIP, flags="MF") / udp,
        "offset": IP(src=C, dst=VIP, frag=1, proto=17) / (b"u" * 16),
        "evil_bit": IP(src=C, dst=VIP, flags="evil") / tcp,
        "padded": IP(src=C, dst=VIP) / udp / (b"\0" * 20),
        "tcp_doff_15": IP(src=C, dst=VIP) /
        TCP(sport=1000, dport=110, dataofs=15) / (b"o" * 40),
        "tcp_doff_4": IP(src=C, dst=VIP) / TCP(dataofs=4, dport=110),
        "udp_len_8": IP(src=C, dst=VIP) / UDP(sport=1, dport=5060),
        "udp_len_7": IP(src=C, dst=VIP) / UDP(dport=5060, len=7),
        "udp_len_past": IP(src=C, dst=VIP) / UDP(dport=5060, len=17) /
        b"12345678",
    }
    for n, f in fast.items():
        pkt_seeds["fast4_" + n] = e / f
    ip6_fast = {
        "src_zero64": IPv6(src="::1:2:3:4", dst=VIP6) / tcp,
        "src_mcast": IPv6(src="ff02::1", dst=VIP6) / tcp,
        "dst_mcast": IPv6(src=C6, dst="ff02::1") / udp,
        "dst_mapped": IPv6(src=C6, dst="::ffff:198.51.100.100") / tcp,
        "unspec": IPv6(src="::", dst=VIP6) / udp,
        "udp_csum0": IPv6(src=C6, dst=VIP6) /
        UDP(sport=5060, dport=5060, chksum=0) / b"x",
        "tcp_doff_6": IPv6(src=C6, dst=VIP6) /
        TCP(sport=1000, dport=110, dataofs=6) / b"oooo",
        "padded": IPv6(src=C6, dst=VIP6) / udp / (b"\0" * 8),
    }
    for n, f in ip6_fast.items():
        pkt_seeds["fast6_" + n] = e / f
    for n, f in pkt_seeds.items():
        with open(os.path.join(dirs["fuzz_pkt"], n), "wb") as fh:
            fh.write(raw(f))
    # fuzz_ctl: the write methods on both sockets (a call, a
    # notification, in a batch beside reads), and a batch whose answers
    # skip its valid notifications and answer the invalid ones with id
    # null
    ctl_seeds = {
        "write": '{"jsonrpc":"2.0","method":"write","params":{"i":3},'
                 '"id":7}',
        "reset_note": '{"jsonrpc":"2.0","method":"reset"}',
        "mixed": '[{"jsonrpc":"2.0","method":"reset","id":"r"},'
                 '{"jsonrpc":"2.0","method":"write"},5,'
                 '{"jsonrpc":"1.0","method":"none"}]',
        "int_or_string": '{"jsonrpc":"2.0","method":"echo","params":'
                         '{"s":"","p":"1-2","r":-5},"id":-1}',
    }
    for n, r in ctl_seeds.items():
        with open(os.path.join(dirs["fuzz_ctl"], n), "w") as fh:
            fh.write(r)
    # fuzz_config: what the encoder writes differently from how it was
    # given (fractional seconds, a /26 of VIPs, a port written as a
    # string, an icmp check's port equal to the service's, a /32
    # persistence netmask, defaults left out), high availability with
    # flow sync, and ecmp
    cfg3 = {
        "ports": [{"name": "lan0", "device": "0000:00:08.0",
                   "address": "198.51.100.2/24", "gateway": "198.51.100.1"},
                  {"name": "lan1", "address": "192.0.2.2/25", "vlan": 4094}],
        "exception_interface": "dsrlb0",
        "vips": ["198.51.100.128/26", "198.51.100.100", "192.0.2.100"],
        "flows": {"capacity": 1024, "syn_timeout": 1, "udp_timeout": 1},
        "dataplane": {"idle": "interrupt", "rx_desc": 64, "mbufs": 2048,
                      "frag_hold_ms": 1, "frag_ttl_ms": 60000},
        "arp": {"reachable_time": 30.5, "probe_interval": 0.25,
                "probes": 10, "retry_interval": 0.1},
        "high_availability": {"mode": "vrrp", "start": "active",
                              "vrrp_watchdog": 1.5,
                              "sync": {"id": 4294967295, "port": 1,
                                       "peers": ["198.51.100.3",
                                                 "192.0.2.3"],
                                       "bulk_wait_ms": 0}},
        "members": [{"name": "a.b-c_d", "address": "192.0.2.10",
                     "weight": 0, "source_ports": 40000,
                     "state": "disabled"},
                    {"name": "m2", "address": "198.51.100.12",
                     "weight": 65535, "mac": "02:aa:bb:cc:dd:ee"}],
        "services": [{"name": "ping", "vip": VIP, "protocol": "tcp",
                      "port": "7", "scheduler": "sh", "members": [],
                      "persistence": 0,
                      "check": {"type": "icmp", "port": 7,
                                "interval": 0.1234, "timeout": 0.1,
                                "rise": 100, "fall": 1}},
                     {"name": "dns", "vip": "*", "protocol": "udp",
                      "port": 53, "stateless": True, "table_size": 7,
                      "hash_fields": ["dst_port", "src_ip"]},
                     {"name": "smtp", "vip": "192.0.2.100",
                      "protocol": "tcp", "port": "25-26",
                      "persistence": 86400,
                      "persistence_netmask": "255.255.255.255",
                      "members": ["m2"],
                      "check": {"type": "smtp", "port": 25,
                                "interval": 3600, "timeout": 3600}},
                     {"name": "sip", "vip": VIP, "protocol": "udp",
                      "port": 5060, "scheduler": "wlc", "members": ["m2"],
                      "check": {"type": "sip", "transport": "tcp"}}],
    }
    with open(os.path.join(dirs["fuzz_config"], "ha_sync.json"), "w") as fh:
        json.dump(cfg3, fh)
    cfg4 = {
        "ports": [{"name": "p", "address": "10.0.0.1/8"}],
        "exception_interface": "kif",
        "vips": ["10.1.0.0/24"],
        "dataplane": {"idle": "poll"},
        "high_availability": {"mode": "ecmp", "start": "standby",
                              "announce_table": 4294967295},
        "members": [{"name": "x", "address": "10.0.0.9"}],
        "services": [{"name": "web", "vip": "10.1.0.1", "protocol": "tcp",
                      "port": "80-81",
                      "check": {"type": "http", "port": 80,
                                "path": "/a?b=c"}}],
    }
    with open(os.path.join(dirs["fuzz_config"], "ecmp.json"), "w") as fh:
        json.dump(cfg4, fh)


if __name__ == "__main__":
    main()
