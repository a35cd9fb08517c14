# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""VRRP on net_pcap (issue 8): in mode vrrp the balancer hands its
peers' advertisements to the exception interface, where keepalived
runs, and nothing else of the multicast it receives; in any other mode
VRRP is multicast like the rest, dropped."""

import os
import signal
import subprocess

from scapy.all import IP, UDP, Ether, Raw, rdpcap
from scapy.layers.vrrp import VRRPv3

from framework import (WORKERS, Ctl, Dsrlb, TestSuite, base_config,
                       four_members, l3_bytes, match_by_content, pcap_port,
                       scratch_dir, verify, wait_for, write_queue_pcaps)

VIP = "198.51.100.100"
OWN = "198.51.100.2"
PEERS = {"198.51.100.3": "02:00:00:00:00:03",
         "198.51.100.4": "02:00:00:00:00:04"}
STRANGER = "192.0.2.3"            # outside the port's 198.51.100.0/24
VRRP_MAC = "01:00:5e:00:00:12"
OSPF_MAC = "01:00:5e:00:00:05"
KIF = "dsrlb0"

# Captures, in the test's namespace, every frame the kernel receives on
# the exception interface (one hex line each): a packet socket bound to
# no interface sees those of interfaces made after it (dsrlb's TAP).
SNIFFER = r"""
import signal, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
out = open(sys.argv[1], "w")
print("ready", flush=True)
while True:
    b, addr = s.recvfrom(65535)
    if addr[0] == sys.argv[2] and addr[2] != socket.PACKET_OUTGOING:
        out.write(b.hex() + "\n")
        out.flush()
"""


def advert(src, ttl=255, prio=100):
    """A VRRPv3 advertisement of VRID 51 for the VIP, from src."""
    return (Ether(src=PEERS.get(src, "02:00:00:00:00:99"), dst=VRRP_MAC) /
            IP(src=src, dst="224.0.0.18", ttl=ttl) /
            VRRPv3(vrid=51, priority=prio, ipcount=1, addrlist=[VIP],
                   adv=100))


def ospf_hello(i):
    """OSPF to AllSPFRouters: multicast nobody asked dsrlb to pass."""
    return (Ether(src="02:00:00:00:00:05", dst=OSPF_MAC) /
            IP(src="198.51.100.5", dst="224.0.0.5", ttl=1, proto=89) /
            Raw(bytes([2, 1, 0, 44]) + bytes(40 + i)))


def udp_in_multicast_frame(i):
    """A datagram for the VIP in a frame to the VRRP MAC: not VRRP."""
    return (Ether(src="02:00:00:00:00:01", dst=VRRP_MAC) /
            IP(src="203.0.113.%d" % (10 + i), dst=VIP) /
            UDP(sport=4000 + i, dport=53) / Raw(b"q" * 12))


def frames():
    """What a balancer's port hears on a segment shared with keepalived
    peers and an OSPF router, and its expected outcome; interleaved."""
    good = [advert(src, prio=100 if src.endswith(".3") else 90)
            for _ in range(5) for src in sorted(PEERS)]
    ttl64 = [advert("198.51.100.3", ttl=64) for _ in range(3)]
    outside = [advert(STRANGER) for _ in range(3)]
    own = [advert(OWN) for _ in range(2)]
    ospf = [ospf_hello(i) for i in range(3)]
    mcast = [udp_in_multicast_frame(i) for i in range(2)]
    groups = [good, ttl64, outside, own, ospf, mcast]
    out = []
    while any(groups):
        for g in groups:
            if g:
                out.append(g.pop(0))
    return out


class PcapVrrp(TestSuite):
    """dsrlb on net_pcap with its exception interface (a TAP in a
    namespace of the test's) gets VRRP advertisements of two peers on
    its segment, advertisements that were routed (TTL 64), come from
    outside the segment or carry its own address, OSPF hellos and a
    datagram in a multicast frame. Mode vrrp: the peers' adverts, and
    only those, reach the kernel (where keepalived listens); mode
    standalone: nothing does. Before issue 8 every one of them was
    dropped: two keepalived never heard each other and both became
    MASTER."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.ns = "dts-vrrp-%d" % os.getpid()
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"],
                       check=True)

    def tear_down_suite(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    def run_mode(self, mode):
        """Feed frames() to a dsrlb in mode `mode` while a sniffer in its
        namespace records what the kernel receives on the exception
        interface. Returns (stats, status result, frames the kernel got,
        frames dsrlb sent on the wire, frames fed)."""
        wd = scratch_dir("vrrp-" + mode)
        sent = frames()
        rx, tx, _ = write_queue_pcaps(wd, sent, WORKERS)
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["exception_interface"] = KIF
        cfg["high_availability"] = {"mode": mode}
        sock = os.path.join(wd, "dsrlb.sock")
        cfg["control_socket"] = sock
        cap = os.path.join(wd, "kernel.hex")
        sniffer = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "/usr/bin/python3", "-c",
             SNIFFER, cap, KIF], stdout=subprocess.PIPE, text=True)
        d = None

        def captured():
            with open(cap) as f:
                return [Ether(bytes.fromhex(line))
                        for line in f if line.strip()]
        try:
            verify(sniffer.stdout.readline().strip() == "ready",
                   "sniffer did not start")
            d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                      name="vrrp_" + mode, workdir=wd, netns=self.ns,
                      workers=WORKERS)
            d.start()
            want_kernel = 10 if mode == "vrrp" else 0
            st = d.wait_stats(
                lambda s: s["rx"] >= len(sent) and
                s["kernel_rx"] >= want_kernel,
                "every frame accounted for")
            ctl = Ctl(sock)
            try:
                status = ctl.call("status")
            finally:
                ctl.close()
            # what the kernel was given, it has received: wait for the
            # sniffer to have read it all
            wait_for(lambda: len(captured()) >= want_kernel,
                     "%d frames at the kernel" % want_kernel)
            st = d.stats()
        finally:
            rc = d.stop() if d is not None else 0
            sniffer.send_signal(signal.SIGTERM)
            sniffer.wait(timeout=30)
        verify(rc == 0, "dsrlb exited %s:\n%s" % (rc, d.output()))
        kernel = captured()
        wire = [Ether(bytes(p)) for f in tx if os.path.getsize(f) > 24
                for p in rdpcap(f)]
        print("    mode %s: vrrp_in %d drop_vrrp %d drop_l2_multicast %d "
              "drop_ip_broadcast %d to_master %d kernel_rx %d; the "
              "kernel received %d frames on %s"
              % (mode, st["vrrp_in"], st["drop_vrrp"],
                 st["drop_l2_multicast"], st["drop_ip_broadcast"],
                 st["to_master"], st["kernel_rx"], len(kernel), KIF))
        return st, status, kernel, wire, sent

    def verify_nothing_reflected(self, wire, sent):
        """dsrlb sends none of the frames it received back on the wire,
        and no VRRP of its own (no keepalived runs here)."""
        pairs, _, _ = match_by_content(sent, wire)
        verify(not pairs, "received frames sent back on the wire: %s"
               % [o.summary() for _, o in pairs])
        vrrp_out = [p for p in wire if IP in p and p[IP].proto == 112]
        verify(not vrrp_out, "VRRP on the wire: %s"
               % [p.summary() for p in vrrp_out])

    def test_mode_vrrp_passes_peer_adverts_to_the_kernel(self):
        """Steps: mode vrrp, exception interface dsrlb0; 10 adverts from
        the peers 198.51.100.3 and .4, 3 with TTL 64, 3 from 192.0.2.3
        (outside the segment), 2 carrying the port's own address, 3 OSPF
        hellos to 224.0.0.5, 2 datagrams for the VIP in frames to the
        VRRP MAC, interleaved.
        Verify: dsrlb starts standby (status active false: keepalived
        decides); the 10 peer adverts are counted vrrp_in and handed to
        the master (to_master 10), which passes them to the kernel
        (kernel_rx 10), and the kernel received exactly those 10 on
        dsrlb0, unchanged; the 5 from outside or from the own address
        are drop_vrrp; the TTL 64 adverts and the OSPF hellos
        drop_ip_broadcast; the 2 datagrams drop_l2_multicast; nothing
        is sent back on the wire."""
        st, status, kernel, wire, sent = self.run_mode("vrrp")
        verify(status["active"] is False,
               "mode vrrp started active: %s" % status)
        verify(status["high_availability"]["mode"] == "vrrp",
               "status says mode %s" % status["high_availability"])
        want = {"vrrp_in": 10, "to_master": 10, "kernel_rx": 10,
                "drop_vrrp": 5, "drop_ip_broadcast": 6,
                "drop_l2_multicast": 2}
        got = {k: st[k] for k in want}
        verify(got == want, "counters %s, want %s" % (got, want))
        good = [p for p in sent if VRRPv3 in p and p[IP].ttl == 255 and
                p[IP].src in PEERS]
        verify(len(good) == 10, "test bug: %d good adverts" % len(good))
        pairs, missing, extra = match_by_content(good, kernel)
        verify(not missing and not extra,
               "the kernel got %d of the 10 peer adverts; missing %s; "
               "other frames %s" % (len(pairs),
                                    [p.summary() for p in missing],
                                    [p.summary() for p in extra]))
        for s, k in pairs:
            verify(bytes(k) == bytes(s) and k[IP].ttl == 255,
                   "advert changed on its way to the kernel: %s -> %s"
                   % (bytes(s).hex(), bytes(k).hex()))
        self.verify_nothing_reflected(wire, sent)

    def test_mode_standalone_passes_no_vrrp(self):
        """Steps: the same frames, mode standalone.
        Verify: dsrlb starts active; every advert that reached the
        multicast check (the peers', the stranger's, the own address's)
        and the 2 datagrams are drop_l2_multicast (17), the TTL 64
        adverts and the OSPF hellos drop_ip_broadcast (6); vrrp_in,
        drop_vrrp, to_master and kernel_rx 0, and the kernel received
        nothing on dsrlb0."""
        st, status, kernel, wire, sent = self.run_mode("standalone")
        verify(status["active"] is True,
               "mode standalone started standby: %s" % status)
        want = {"vrrp_in": 0, "to_master": 0, "kernel_rx": 0,
                "drop_vrrp": 0, "drop_ip_broadcast": 6,
                "drop_l2_multicast": 17}
        got = {k: st[k] for k in want}
        verify(got == want, "counters %s, want %s" % (got, want))
        verify(not kernel, "the kernel received %s"
               % [p.summary() for p in kernel])
        self.verify_nothing_reflected(wire, sent)
