# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A port's MTU (ports[].mtu) on net_pcap: jumbo frames forwarded whole
with a larger MTU, dropped and counted with the default one, the
exception interface following it (as far as its TAP can), and an MTU the
NIC cannot take refused at start."""

import json
import os
import random
import subprocess

from scapy.all import IP, TCP, UDP, Dot1Q, Ether, raw, rdpcap

from framework import (PCAP_MAC, Ctl, Dsrlb, TestSuite, base_config,
                       four_members, match_by_content, member_mac, pcap_port,
                       run_pcap, scratch_dir, verify, write_queue_pcaps)

VIP = "198.51.100.100"
CLIENT_MAC = "02:00:00:00:00:01"
JUMBO_PAYLOAD = 8000     # TCP payload: an 8054-byte frame
# fewer mbufs than dsrlb would size for itself (9.2 KiB each with an MTU
# of 9000): the suite's dsrlb runs in 256 MiB without hugepages
MBUFS = 8192


def tcp(i, size, flags="PA", vlan=None):
    """A TCP packet of flow i to the VIP's POP3 port with size bytes of
    payload that tells where it came from (every output matched by its
    bytes)."""
    payload = (b"%05d" % i) * (size // 5) + b"x" * (size % 5)
    eth = Ether(src=CLIENT_MAC, dst=PCAP_MAC)
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan)
    return (eth / IP(src="203.0.113.%d" % (i % 250 + 1), dst=VIP, ttl=57,
                     id=random.randrange(65536)) /
            TCP(sport=20000 + i, dport=110, flags=flags, seq=1000) / payload)


def ip_size(p):
    return len(raw(p[IP]))


class PcapMtu(TestSuite):
    """ports[].mtu bounds the IP packets a port takes (and gives), 1500
    unless set. dsrlb sizes its mbufs for the largest MTU so that a frame
    is one mbuf; a frame over the MTU (net_pcap passes anything, chained
    over several mbufs) is dropped as drop_oversize before it is parsed.
    """

    GROUP = "pcap"

    def set_up_suite(self):
        random.seed(9000)
        self.macs = {member_mac(i) for i in range(1, 5)}
        self.services = [{"name": "pop3", "vip": VIP, "protocol": "tcp",
                          "port": 110, "persistence": 0}]

    def config(self, mtu=None, vlan=None):
        cfg = base_config(four_members(), self.services,
                          dataplane={"mbufs": MBUFS})
        if mtu is not None:
            cfg["ports"][0]["mtu"] = mtu
        if vlan is not None:
            cfg["ports"][0]["vlan"] = vlan
        return cfg

    def verify_forwarded_whole(self, sent, out):
        """Each of sent left once, every byte after the Ethernet header
        unchanged (lengths too), from the port's MAC to a member's."""
        verify(len(out) == len(sent), "sent %d, %d left (sizes out: %s)"
               % (len(sent), len(out), sorted(len(o) for o in out)[:10]))
        pairs, missing, extra = match_by_content(sent, out)
        verify(not missing and not extra,
               "changed past the Ethernet header: %d sent without an "
               "identical output (sizes %s), %d outputs matching nothing "
               "(sizes %s)" % (len(missing), [len(p) for p in missing][:5],
                               len(extra), [len(p) for p in extra][:5]))
        for s, o in pairs:
            verify(o.src == PCAP_MAC and o.dst in self.macs,
                   "%d-byte frame: MACs %s -> %s" % (len(o), o.src, o.dst))
            verify(len(o) == len(s), "%d-byte frame left with %d bytes"
                   % (len(s), len(o)))

    def test_jumbo_forwarded_whole_with_mtu_9000(self):
        """Steps: ports[0].mtu 9000; twenty flows each send a SYN and a
        data packet of 8000 bytes of TCP payload (8054-byte frames),
        one packet of exactly 9000 bytes of IP, one of 9001, spread over
        both workers.
        Verify: every packet but the 9001-byte one leaves once, whole
        (same length, every byte after the Ethernet header the same),
        from the port's MAC to a member's; the 9001-byte one is dropped
        and counted (drop_oversize 1, the only drop). Without the MTU
        (mbufs of 2 KiB, no size check), the jumbo frames left chained
        or not at all, and the 9001-byte one was forwarded."""
        jumbo = []
        for i in range(20):
            jumbo.append(tcp(i, 0, "S"))
            jumbo.append(tcp(i, JUMBO_PAYLOAD))
        at_mtu = tcp(100, 9000 - 40)
        over = tcp(101, 9001 - 40)
        verify(ip_size(at_mtu) == 9000 and ip_size(over) == 9001,
               "test bug: sizes %d, %d" % (ip_size(at_mtu), ip_size(over)))
        sent = jumbo + [at_mtu, over]
        run = run_pcap("mtu9000", self.config(mtu=9000), sent)
        run.verify_spread()
        self.verify_forwarded_whole(jumbo + [at_mtu], run.non_arp())
        drops = {k: v for k, v in run.stats.items()
                 if k.startswith("drop_") and v}
        verify(drops == {"drop_oversize": 1}, "drops %s" % drops)
        verify(run.stats["fwd"] == len(jumbo) + 1, "fwd %d"
               % run.stats["fwd"])

    def test_jumbo_dropped_and_counted_with_mtu_1500(self):
        """Steps: no mtu (1500); the same twenty 8054-byte frames (which
        net_pcap chains over four mbufs), their SYNs, one packet of
        exactly 1500 bytes of IP and one of 1501.
        Verify: none of the jumbo frames leaves and each is counted in
        drop_oversize, as is the 1501-byte one (21 in all, the only
        drops); the SYNs and the 1500-byte packet leave whole. Without
        the size check, the chained frames were forwarded (or, with a
        NIC, half-sent)."""
        syns = [tcp(i, 0, "S") for i in range(20)]
        jumbo = [tcp(i, JUMBO_PAYLOAD) for i in range(20)]
        at_mtu = tcp(100, 1500 - 40)
        over = tcp(101, 1501 - 40)
        sent = syns + jumbo + [at_mtu, over]
        run = run_pcap("mtu1500", self.config(), sent)
        run.verify_spread()
        self.verify_forwarded_whole(syns + [at_mtu], run.non_arp())
        drops = {k: v for k, v in run.stats.items()
                 if k.startswith("drop_") and v}
        verify(drops == {"drop_oversize": len(jumbo) + 1}, "drops %s"
               % drops)

    def test_vlan_port_takes_mtu_plus_its_tag(self):
        """Steps: a port on VLAN 100 with mtu 9000; tagged frames of
        9000 and 9001 bytes of IP (9018 and 9019 bytes on the wire).
        Verify: the 9000-byte one leaves whole with its tag, the other
        is dropped as drop_oversize: the tag does not count against the
        MTU."""
        ok = [tcp(i, 9000 - 40, vlan=100) for i in range(4)]
        over = tcp(50, 9001 - 40, vlan=100)
        verify(len(ok[0]) == 9018 and len(over) == 9019,
               "test bug: frames of %d, %d bytes" % (len(ok[0]), len(over)))
        run = run_pcap("mtu_vlan", self.config(mtu=9000, vlan=100),
                       ok + [over])
        out = run.non_arp()
        verify(len(out) == len(ok), "sent %d fitting, %d left"
               % (len(ok), len(out)))
        _, missing, extra = match_by_content(
            ok, out, key=lambda p: raw(p)[12:])
        verify(not missing and not extra, "changed past the MACs")
        verify(run.stats["drop_oversize"] == 1, "drop_oversize %d"
               % run.stats["drop_oversize"])

    def kif_run(self, mtu, frames, from_kernel=None):
        """dsrlb with ports[0].mtu mtu and the exception interface, in a
        namespace of the test's, fed frames; from_kernel(ns) runs in the
        namespace once the kernel has them. Returns (stats, status,
        dsrlb0 as ip -s -j link shows it, what left on the wire)."""
        ns = "dts-mtu-%d" % os.getpid()
        wd = scratch_dir("mtu_kif")
        rx, tx, _ = write_queue_pcaps(wd, frames, 1)
        cfg = self.config(mtu=mtu)
        cfg["exception_interface"] = "dsrlb0"
        cfg["control_socket"] = os.path.join(wd, "ctl.sock")
        subprocess.run(["ip", "netns", "add", ns], check=True)
        d = None

        def link():
            return json.loads(subprocess.run(
                ["ip", "-n", ns, "-s", "-j", "link", "show", "dsrlb0"],
                capture_output=True, text=True, check=True).stdout)[0]
        try:
            d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)], name="mtu_kif",
                      workdir=wd, netns=ns, workers=1)
            d.start()
            st = d.wait_stats(lambda s: s["rx"] >= len(frames) and
                              s["kernel_rx"] + s["kernel_drop"] >=
                              len(frames), "every frame to the kernel")
            if from_kernel is not None:
                base = st["kernel_tx"]
                from_kernel(ns)
                st = d.wait_stats(lambda s: s["kernel_tx"] > base,
                                  "the kernel's packets sent")
            ctl = Ctl(cfg["control_socket"])
            try:
                status = ctl.call("status")
            finally:
                ctl.close()
            kif = link()
        finally:
            rc = d.stop() if d is not None else 0
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        verify(rc == 0, "dsrlb exited %s:\n%s" % (rc, d.output()))
        out = [p for f in tx if os.path.getsize(f) > 24 for p in rdpcap(f)]
        return st, status, kif, out

    @staticmethod
    def to_own(size):
        """A UDP datagram of size bytes of IP to the own address."""
        return (Ether(src=member_mac(2), dst=PCAP_MAC) /
                IP(src="198.51.100.12", dst="198.51.100.2") /
                UDP(sport=4000, dport=9) / (b"u" * (size - 28)))

    def test_exception_interface_takes_the_mtu(self):
        """Steps: mtu 1400 and the exception interface, dsrlb in a
        namespace of the test's; a frame of 1400 bytes of IP to the own
        address; from the kernel, a ping of 1400 bytes (1428 of IP,
        fragmentation allowed) to fe1, its MAC a static neighbour entry.
        Verify: dsrlb0's MTU is 1400 (status exception_interface_mtu
        too); the frame reaches the kernel (kernel_rx 1, no kernel_drop,
        dsrlb0 received its bytes); the kernel fragments the echo
        request to fit: it leaves as two fragments, no packet over 1400
        bytes of IP, from the port's MAC to fe1's. At the kernel's
        default of 1500 it would have left whole, too long for the
        segment."""
        fe1 = "198.51.100.11"

        def ping(ns):
            subprocess.run(["ip", "-n", ns, "neigh", "replace", fe1,
                            "lladdr", member_mac(1), "dev", "dsrlb0",
                            "nud", "permanent"], check=True)
            subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "1",
                            "-M", "dont", "-s", "1400", "-W", "1", fe1],
                           capture_output=True)
        st, status, kif, out = self.kif_run(1400, [self.to_own(1400)],
                                            ping)
        verify(kif["mtu"] == 1400 and
               status["exception_interface_mtu"] == 1400,
               "dsrlb0's MTU %s, status %s" % (
                   kif["mtu"], status["exception_interface_mtu"]))
        verify(st["kernel_rx"] == 1 and st["kernel_drop"] == 0 and
               kif["stats64"]["rx"]["bytes"] >= 1414,
               "to the kernel: kernel_rx %d, kernel_drop %d, dsrlb0 rx %s"
               % (st["kernel_rx"], st["kernel_drop"],
                  kif["stats64"]["rx"]))
        frags = [p for p in out if IP in p and p[IP].dst == fe1 and
                 p[IP].proto == 1]
        verify(len(frags) == 2 and
               all(len(raw(p[IP])) <= 1400 for p in frags) and
               sum(len(raw(p[IP])) - 20 for p in frags) == 1408 and
               all(p.src == PCAP_MAC and p.dst == member_mac(1)
                   for p in frags),
               "the echo request on the wire: %s" % [
                   (len(raw(p[IP])), p.summary()) for p in frags])

    def test_exception_interface_mtu_capped_by_the_tap(self):
        """Steps: mtu 9000 and the exception interface (net_tap); frames
        to the own address of 1504 and 8028 bytes of IP.
        Verify: dsrlb0's MTU is 1504, what net_tap (DPDK 22.11: frames of
        at most 1522 bytes) carries, and status says so; the 1504-byte
        one reaches the kernel, the 8028-byte one is dropped on the way
        and counted (kernel_drop 1), not sent anywhere."""
        st, status, kif, out = self.kif_run(
            9000, [self.to_own(1504), self.to_own(8028)])
        verify(kif["mtu"] == 1504 and
               status["exception_interface_mtu"] == 1504,
               "dsrlb0's MTU %s, status %s" % (
                   kif["mtu"], status["exception_interface_mtu"]))
        verify(st["kernel_rx"] == 1 and st["kernel_drop"] == 1 and
               st["to_master"] == 2,
               "to_master %d, kernel_rx %d, kernel_drop %d" % (
                   st["to_master"], st["kernel_rx"], st["kernel_drop"]))
        verify(not [p for p in out if UDP in p],
               "a datagram left: %s" % [p.summary() for p in out])

    def test_mtu_the_nic_cannot_take_refused_at_start(self):
        """Steps: a net_memif port (its frames at most 1518 bytes: MTU
        46 to 1500, as ethdev reckons it) with mtu 1501, then 1500.
        Verify: with 1501 dsrlb exits 2 before starting anything, its
        message naming ports[0].mtu, the value and the NIC's range;
        --check (no NIC to ask) accepts it; with 1500 it starts."""
        wd = scratch_dir("mtu_nic")
        sock = os.path.join(wd, "memif.sock")
        cfg = self.config(mtu=1501)
        cfg["ports"][0]["device"] = "net_memif0"
        d = Dsrlb(cfg, ["net_memif0,role=server,socket=%s" % sock],
                  name="mtu_nic", workdir=wd)
        rc, out = d.check()
        verify(rc == 0, "--check refused mtu 1501 (%d): %s" % (rc, out))
        d.write_config()
        p = subprocess.run(d.command(), capture_output=True, text=True,
                           cwd=wd, timeout=120)
        msg = p.stdout + p.stderr
        verify(p.returncode == 2, "dsrlb exited %d:\n%s" % (p.returncode,
                                                          msg))
        verify("ports[0].mtu: 1501 is out of range for DPDK port 0 "
               "(net_memif): [46, 1500]" in msg, "message:\n%s" % msg)
        cfg["ports"][0]["mtu"] = 1500
        d.start()
        rc = d.stop()
        verify(rc == 0, "dsrlb with mtu 1500 exited %s:\n%s"
               % (rc, d.output()))
