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
                       write_sync_key,
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
    """What fe1 sends back to an icmp health check: an echo reply from
    its address and MAC to the own address (a TCP or UDP check's answers
    count as such only for a check socket that waits for them, which a
    pcap run has none of)."""
    icmp = struct.pack("!BBHHH", 0, 0, 0, 0x4c42, i & 0xffff) + b"dsrlb-hc"
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    return (mac(PCAP_MAC) + mac(member_mac(1)) + b"\x08\x00" +
            ipv4("198.51.100.11", OWN, 1, icmp))


def member_reflection(i):
    """What fe1 sends the balancer when someone forges SYNs with the
    balancer's address: SYN-ACKs, to ports no check socket has."""
    tcp = struct.pack("!HHIIBBHHH", 110, 1024 + i % 60000, 1000, 2000,
                      5 << 4, 0x12, 65535, 0, 0)
    return (mac(PCAP_MAC) + mac(member_mac(1)) + b"\x08\x00" +
            ipv4("198.51.100.11", OWN, 6, tcp))


def arp_for_vip():
    return (b"\xff" * 6 + mac(ROUTER_MAC) + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(ROUTER_MAC) +
            socket.inet_aton(ROUTER) + b"\x00" * 6 + socket.inet_aton(VIP) +
            b"\x00" * 18)


PEER = "198.51.100.3"
PEER_MAC = "02:00:00:00:00:03"
SYNC_PORT = 8848
VRRP_MAC = "01:00:5e:00:00:12"
LANE_FLOOD = 60000     # frames of the flooded class, over the queues
# frames of every other class, mixed in: fewer than a policer's burst
# (64), so at file speed, whatever the pace, a class within its budget
# loses nothing unless another class takes it
LANE_EACH = 40


def ipv4_ttl(src, dst, proto, payload, ttl):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, ttl,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp_onlink(src_mac, src, dport):
    """A UDP datagram sent on the link (TTL 255) to the own address: BFD
    from the router (3784), flow sync from a peer."""
    return (mac(PCAP_MAC) + mac(src_mac) + b"\x08\x00" +
            ipv4_ttl(src, OWN, 17, struct.pack("!HHHH", 49152, dport, 16, 0) +
                     b"on-link.", 255))


def vrrp_advert(src, src_mac):
    adv = struct.pack("!BBBBHH4s", 0x31, 51, 100, 1, 100, 0,
                      socket.inet_aton(VIP))
    return (mac(VRRP_MAC) + mac(src_mac) + b"\x08\x00" +
            ipv4_ttl(src, "224.0.0.18", 112, adv, 255))


def arp_reply_from(src_mac, src):
    """A member's answer to the master's ARP request."""
    return (mac(PCAP_MAC) + mac(src_mac) + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac(src_mac) +
            socket.inet_aton(src) + mac(PCAP_MAC) + socket.inet_aton(OWN) +
            b"\x00" * 18)


def arp_stranger(i):
    """An ARP request from a stranger for an address nobody has: the
    master would learn from it (policed, arp_other)."""
    sha = bytes([2, 0, 0, 0xee, i >> 8 & 0xff, i & 0xff])
    return (b"\xff" * 6 + sha + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + sha +
            socket.inet_aton("198.51.100.%d" % (150 + i % 100)) +
            b"\x00" * 6 + socket.inet_aton("198.51.100.77") + b"\x00" * 18)


# the classes of the master's lanes: a frame of each (i: a counter), the
# counter its policer drops under
LANES = {
    "stranger": (lambda i: udp_to_own("203.0.113.%d" % (1 + i % 250),
                                      1024 + i % 60000),
                 "drop_own_policed"),
    "member": (member_answer, "drop_member_policed"),
    "reflection": (member_reflection, "drop_own_policed"),
    "router": (lambda i: udp_onlink(ROUTER_MAC, ROUTER, 3784),
               "drop_router_policed"),
    "peer": (lambda i: udp_onlink(PEER_MAC, PEER, SYNC_PORT),
             "drop_peer_policed"),
    "vrrp_peer": (lambda i: vrrp_advert(PEER, PEER_MAC), "drop_vrrp"),
    "vrrp_junk": (lambda i: vrrp_advert("198.51.100.%d" % (150 + i % 100),
                                        "02:00:00:00:0e:%02x" % (i % 256)),
                  "drop_vrrp"),
    "arp_member": (lambda i: arp_reply_from(member_mac(2), "198.51.100.12"),
                   "drop_arp_policed"),
    "arp_stranger": (arp_stranger, "drop_arp_policed"),
}
# what floods: at the own address from anyone, members made to reflect
# SYN-ACKs (anyone's traffic: they answer no check), junk VRRP adverts,
# strangers' ARP
LANE_FLOODS = ("stranger", "reflection", "vrrp_junk", "arp_stranger")


def queue_pcaps(wd, queues):
    """One input pcap per queue of frames in wd, and the output pcaps
    beside: (rx paths, tx paths)."""
    rx = [os.path.join(wd, "in%d.pcap" % q) for q in range(len(queues))]
    tx = [os.path.join(wd, "out%d.pcap" % q) for q in range(len(queues))]
    for path, frames in zip(rx, queues):
        write_pcap(path, frames)
    return rx, tx


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
        echo replies from member fe1 (its address and MAC: the answers
        of icmp checks) to the own address.
        Verify: every ARP request for the VIP is answered (200 replies
        saying the VIP is at the port's MAC, to the router); nothing was
        lost at the master's rings (drop_master_ring_full,
        drop_master_prio_full, drop_master_ctrl_full 0), so every member
        answer reached the master, and nothing it passed was lost on the
        way to the kernel or the wire (kernel_drop, tx_ring_full 0); the
        flood was policed before
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
        rx, tx = queue_pcaps(wd, queues)
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["exception_interface"] = "dsrlb0"
        # the member's 200 answers come within milliseconds at file
        # speed: a members' lane whose burst (a hundredth of the rate
        # per worker) holds them, so any loss is the flood's doing
        cfg["dataplane"] = {"member_pps": 100000}
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
        lost = st["drop_master_ring_full"] + st["drop_master_prio_full"] + \
            st["drop_master_ctrl_full"]
        verify(lost == 0, "%d packets lost at the master's rings (%d of "
               "them ARP, %d members' answers)"
               % (lost, st["drop_master_prio_full"],
                  st["drop_master_ctrl_full"]))
        # what the policers passed reached the kernel interface, and the
        # master's own frames (ARP) found room in the workers' queues
        verify(st["kernel_drop"] == 0 and st["tx_ring_full"] == 0,
               "kernel_drop %d, tx_ring_full %d"
               % (st["kernel_drop"], st["tx_ring_full"]))
        verify(st["drop_own_policed"] > 0, "the flood was not policed")
        verify(st["drop_member_policed"] == 0, "%d member answers policed"
               % st["drop_member_policed"])
        verify(st["drop_own_policed"] + st["to_master"] ==
               FLOOD + ANSWERS,
               "own-address packets: %d policed + %d to the master != %d"
               % (st["drop_own_policed"], st["to_master"],
                  FLOOD + ANSWERS))

    def test_each_class_flooded_takes_nothing_of_another(self):
        """Steps: for each of four floods at file speed (UDP at the own
        address from anyone, SYN-ACKs members are made to reflect, junk
        VRRP adverts from the segment, strangers' ARP), a pcap per worker
        queue of the flood with, evenly among it, 40 frames of every
        other class the master must see (40: within each policer's
        burst, whatever the pace): BFD from the gateway and sync
        from a peer at TTL 255, VRRP adverts of that peer, health-check
        answers (echo replies) of a member, ARP replies of a member and of
        strangers, and the router's ARP requests for the VIP; mode vrrp
        with flow sync.
        Verify: the flooded class was policed (its counter grew); every
        other class lost nothing: its policer's counter did not move
        (VRRP: the junk and the peer share drop_vrrp, so every one of the
        peer's adverts must be in vrrp_peer_in; ARP: strangers and the
        member share drop_arp_policed, so the master must have all 40
        of the member's replies, arp_reply_in), no ring to the
        master overflowed, every ARP request for the VIP was answered."""
        for flood in LANE_FLOODS:
            self.lane_flood(flood)

    def lane_flood(self, flood):
        wd = scratch_dir("lanes-" + flood)
        nq = WORKERS
        queues = [[] for _ in range(nq)]
        make, _ = LANES[flood]
        for i in range(LANE_FLOOD):
            queues[i % nq].append(make(i))
        others = [c for c in LANES if c != flood and
                  not (flood.startswith("vrrp") and c.startswith("vrrp"))]
        mixed = [(c, i) for i in range(LANE_EACH) for c in others] + \
            [("arp_vip", i) for i in range(LANE_EACH)]
        placed = {}
        for k, (c, i) in enumerate(mixed):
            # ARP goes to queue 0 (RSS does not hash it); each other
            # class half on each worker (classes that share a policer,
            # strangers and reflection, then stay within its burst);
            # evenly placed in the flood
            placed[c] = placed.get(c, 0) + 1
            q = queues[0 if c.startswith("arp") else placed[c] % nq]
            pos = (k * len(q)) // len(mixed)
            q.insert(pos, arp_for_vip() if c == "arp_vip" else
                     LANES[c][0](i))
        if flood.startswith("vrrp"):
            # the peer's adverts ride along a junk flood: counted on
            # the kernel interface
            for i in range(LANE_EACH):
                q = queues[i % nq]
                q.insert((i * len(q)) // LANE_EACH,
                         vrrp_advert(PEER, PEER_MAC))
        rx, tx = queue_pcaps(wd, queues)
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["exception_interface"] = "dsrlb0"
        cfg["high_availability"] = {
            # no keepalived to hand over to: a stop need not wait
            "mode": "vrrp", "start": "active", "vrrp_watchdog": 0,
            "shutdown_grace_ms": 0,
            "sync": {"id": 1, "peers": [PEER], "port": SYNC_PORT,
                     "bulk_wait_ms": 0, "key_file": write_sync_key(wd)}}
        d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                  name="lanes-" + flood, workdir=wd, netns=self.ns,
                  memory=512, workers=nq)
        d.start()
        total = sum(len(q) for q in queues)
        try:
            st = d.wait_stats(lambda s: s["rx"] >= total,
                              "every packet accounted for", timeout=120)
            # the member's ARP replies share drop_arp_policed with the
            # strangers' ARP: the master counts what it got of them
            st = d.wait_stats(lambda s: s["arp_reply_in"] >= LANE_EACH,
                              "the member's ARP replies at the master",
                              timeout=30)
        finally:
            rc = d.stop()
        verify(rc == 0, "dsrlb exited %s" % rc)
        replies = [p for f in tx if os.path.getsize(f) > 24
                   for p in rdpcap(f)
                   if ARP in p and p[ARP].op == 2 and p[ARP].psrc == VIP]
        drops = {c: st[LANES[c][1]] for c in LANES}
        print("    %s flood: %s; ARP for the VIP %d/%d answered"
              % (flood, {k: v for k, v in drops.items() if v},
                 len(replies), LANE_EACH))
        verify(drops[flood] > 0, "the %s flood was not policed" % flood)
        for c in others:
            if LANES[c][1] != LANES[flood][1]:
                verify(drops[c] == 0, "a %s flood: %d %s dropped (%s)"
                       % (flood, drops[c], c, LANES[c][1]))
        for ring in ("drop_master_ring_full", "drop_master_prio_full",
                     "drop_master_ctrl_full"):
            verify(st[ring] == 0, "a %s flood: %s %d" % (flood, ring,
                                                         st[ring]))
        verify(len(replies) == LANE_EACH, "a %s flood: %d of %d ARP "
               "requests for the VIP answered" % (flood, len(replies),
                                                  LANE_EACH))
        verify(st["arp_reply_in"] == LANE_EACH,
               "a %s flood: %d of %d ARP replies of the member reached the "
               "master" % (flood, st["arp_reply_in"], LANE_EACH))
        # the peer's adverts: among the others, or riding a junk flood
        verify(st["vrrp_peer_in"] == LANE_EACH,
               "a %s flood: %d of %d VRRP adverts of the peer reached the "
               "master" % (flood, st["vrrp_peer_in"], LANE_EACH))
