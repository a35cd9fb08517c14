# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A flood at the balancer's own address, at file speed (net_pcap), with
the exception interface on: the master must not go blind."""

import os
import random
import socket
import struct
import subprocess

from scapy.all import ARP, rdpcap

from framework import (PCAP_MAC, WORKERS, Dsrlb, TestSuite, base_config,
                       four_members, member_mac, pcap_port, scratch_dir,
                       verify)

VIP = "198.51.100.100"
OWN = "198.51.100.2"
ROUTER = "198.51.100.1"
ROUTER_MAC = "02:00:00:00:00:aa"
CLIENT_MAC = "02:00:00:00:00:01"
FLOOD = 200000
ARPS = 200
ANSWERS = 200


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp_to_own(src, sport):
    return (mac(PCAP_MAC) + mac(CLIENT_MAC) + b"\x08\x00" +
            ipv4(src, OWN, 17, struct.pack("!HHHH", sport, 9, 16, 0) +
                 b"flood..."))


def member_answer(i):
    """What fe1 sends back to a health check: a SYN-ACK from its address
    and MAC to the own address."""
    tcp = struct.pack("!HHIIBBHHH", 110, 40000 + i, 1000, 2000, 5 << 4,
                      0x12, 65535, 0, 0)
    return (mac(PCAP_MAC) + mac(member_mac(1)) + b"\x08\x00" +
            ipv4("198.51.100.11", OWN, 6, tcp))


def arp_for_vip():
    return (b"\xff" * 6 + mac(ROUTER_MAC) + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(ROUTER_MAC) +
            socket.inet_aton(ROUTER) + b"\x00" * 6 + socket.inet_aton(VIP) +
            b"\x00" * 18)


def write_pcap(path, frames):
    """A pcap of Ethernet frames, without scapy (200k frames)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, b in enumerate(frames):
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(b),
                                len(b)))
            f.write(b)


class PcapMasterFlood(TestSuite):
    """dsrlb on net_pcap, its exception interface (a TAP in a namespace
    of the test's) on, gets 200,000 UDP datagrams for its own address at
    file speed, far more than the kernel interface takes; the router's
    ARP requests for the VIP and a member's answers to health checks are
    mixed in. Before the fix the master's one ring per worker filled
    with the flood: ARP for the VIP went unanswered (the router loses
    the VIP) and health-check answers were lost (members marked down)."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.ns = "dts-mflood-%d" % os.getpid()
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"],
                       check=True)

    def tear_down_suite(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    def test_own_address_flood_at_file_speed(self):
        """Steps: per worker queue a pcap of the flood's datagrams (from
        random clients and ports), with, evenly among them, ARP requests
        for the VIP from the router (on queue 0, where ARP goes) and
        SYN-ACKs from member fe1 (its address and MAC) to the own
        address.
        Verify: every ARP request for the VIP is answered (200 replies
        saying the VIP is at the port's MAC, to the router); nothing was
        lost at the master's rings (drop_master_ring_full and
        drop_master_prio_full 0), so every member answer reached the
        master; the flood was policed before
        the master (drop_own_policed) and every own-address packet is
        accounted for: policed, or handed to the master."""
        wd = scratch_dir("mflood")
        rnd = random.Random(7)
        nq = WORKERS
        queues = [[] for _ in range(nq)]
        for i in range(FLOOD):
            queues[i % nq].append(udp_to_own(
                "203.0.113.%d" % rnd.randrange(1, 255),
                rnd.randrange(1024, 65536)))
        step = len(queues[0]) // ARPS
        for i in range(ARPS):
            queues[0].insert(i * (step + 1), arp_for_vip())
        for i in range(ANSWERS):
            q = queues[i % nq]
            q.insert((i // nq) * (len(q) // (ANSWERS // nq)),
                     member_answer(i))
        rx = [os.path.join(wd, "in%d.pcap" % q) for q in range(nq)]
        tx = [os.path.join(wd, "out%d.pcap" % q) for q in range(nq)]
        for path, frames in zip(rx, queues):
            write_pcap(path, frames)
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["exception_interface"] = "dsrlb0"
        d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)], name="mflood",
                  workdir=wd, netns=self.ns, memory=512, workers=nq)
        d.start()
        total = FLOOD + ARPS + ANSWERS
        try:
            st = d.wait_stats(lambda s: s["rx"] >= total,
                              "every packet accounted for", timeout=120)
        finally:
            rc = d.stop()
        verify(rc == 0, "dsrlb exited %s" % rc)
        replies = [p for f in tx if os.path.getsize(f) > 24
                   for p in rdpcap(f)
                   if ARP in p and p[ARP].op == 2 and p[ARP].psrc == VIP]
        print("    %d of %d ARP requests answered; drop_master_ring_full "
              "%d, drop_own_policed %d, to_master %d"
              % (len(replies), ARPS, st.get("drop_master_ring_full", -1),
                 st.get("drop_own_policed", -1), st.get("to_master", -1)))
        verify(len(replies) == ARPS, "%d of %d ARP requests for the VIP "
               "answered" % (len(replies), ARPS))
        for r in replies:
            verify(r[ARP].hwsrc == PCAP_MAC and r[ARP].pdst == ROUTER and
                   r.dst == ROUTER_MAC, "reply %s" % r.summary())
        lost = st["drop_master_ring_full"] + \
            st.get("drop_master_prio_full", 0)
        verify(lost == 0, "%d packets lost at the master's rings (%d of "
               "them ARP or members' answers)"
               % (lost, st.get("drop_master_prio_full", lost)))
        verify(st["drop_own_policed"] > 0, "the flood was not policed")
        verify(st["drop_own_policed"] + st["to_master"] ==
               FLOOD + ANSWERS,
               "own-address packets: %d policed + %d to the master != %d"
               % (st["drop_own_policed"], st["to_master"],
                  FLOOD + ANSWERS))
