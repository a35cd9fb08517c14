# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Floods and storms in the namespace lab, with legitimate traffic
running during and after each."""

import subprocess

from framework import TestFailure, TestSuite, verify, wait_for
from hostile import (ATTACKER, SPOOFED, add_attacker, arp_probe,
                     drops_since, finish_flood, finish_probe, flood,
                     forward_path_drops, health_state, port_ipackets,
                     quiet_spoofed_replies, remove_namespace,
                     router_client_mac, tap_kernel_drops, wait_accounted)
from labnet import (DP_MAC, OWN, ROUTER, VIP, Lab,
                    verify_sessions_answered)

CHECK = {"interval": 0.5, "timeout": 0.4, "rise": 2, "fall": 3}
# Packets per flood: more than the table holds, and fewer than the
# distinct frames flood.py builds (131072), so no spoofed tuple comes
# twice: a second packet confirms a flow (see doc/robustness.md).
FLOOD = 120000
PROBES = 30             # the router's ARP requests for the VIP per flood
TABLE = 16384           # flows in all: 8192 per worker
# Every flood is paced below what this machine's TAP path carries
# (measured when the suite starts: half of what reached dsrlb of a
# flood sent as fast as the client can), at most 40k packets a second:
# 4 to 40 times what the master and its rings are allowed to take.
# Beyond it the kernel drops frames before dsrlb sees them, and the
# lab, not dsrlb, is what would be measured; frames it drops anyway
# neither fail nor pass a case (the ARP judgement counts them).
MAX_PPS = 40000
CALIBRATE = 60000


class LabFloods(TestSuite):
    """dsrlb under floods: at its own address (UDP), of ARP requests
    from the segment, of spoofed ACKs and SYNs from random sources at
    VIP:110 filling a small flow table, and a storm of malformed frames.
    Each runs while a client keeps opening POP3 connections, eight
    long-lived POP3 sessions keep talking, the router keeps asking for
    the VIP by ARP and the health checks run; after it, new connections
    are made and the sessions talk on. Then: no legitimate connection
    or session failed, every ARP request for the VIP was answered, no
    member flapped, dsrlb is alive, and every packet its port received
    is in exactly one outcome counter, the flood's under the reason it
    was dropped for.

    The POP3 service uses wrr, so a new connection needs a flow entry
    for the scheduler to mean anything: the flow-table cases check that
    no new flow was refused one (flow_table_full) and that every
    legitimate connection made one. Members are resolved by
    ARP; 2 workers. Every flood is paced below what the lab's TAP path
    carries (measured at the start); pcap_master_flood.py floods the
    master at full speed.
    """

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True)
        self.lab.build()
        self.attacker = add_attacker(self.lab)
        quiet_spoofed_replies(self.lab)
        checks = {"pop3": dict(CHECK, type="pop3"),
                  "imap": dict(CHECK, type="imap"),
                  "smtp": dict(CHECK, type="smtp")}
        cfg = self.lab.config(checks=checks)
        for s in cfg["services"]:
            if s["name"] == "pop3":
                s["scheduler"] = "wrr"
        # a table the legitimate load fits in (the connection loop makes
        # hundreds of connections a second, each closing entry stays
        # fin_timeout) and the floods fill many times over; short
        # provisional and closing entries, so they are gone soon after
        cfg["flows"] = {"capacity": TABLE, "syn_timeout": 2,
                        "fin_timeout": 2}
        self.lab.start_dsrlb(cfg)
        self.lab.wait_resolved()
        for svc in checks:
            for fe in ("fe1", "fe2", "fe3", "fe4"):
                self.lab.wait_health(svc, fe, "up")
        self.gw = router_client_mac(self.lab)
        # the router checks the VIP's neighbour entry as often as a
        # flood's few seconds allow: reachable for half a second, then
        # three unicast probes 100 ms apart before it goes FAILED
        for k, v in (("base_reachable_time_ms", 500),
                     ("delay_first_probe_time", 1), ("ucast_solicit", 3),
                     ("retrans_time_ms", 100)):
            self.lab.sysctl(self.lab.ns_router,
                            "net.ipv4.neigh.seg0.%s=%d" % (k, v))
        self.pps = self.calibrate()
        self.arp_pps = self.pps // 2

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        try:
            rc = self.lab.teardown()
        finally:
            if hasattr(self, "attacker"):
                remove_namespace(self.attacker)
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def calibrate(self):
        """The pace of the floods: half of what reached dsrlb, per
        second, of a UDP flood at a VIP port no service has, sent as
        fast as the client can (at most MAX_PPS)."""
        lab = self.lab
        before = port_ipackets(lab.dsrlb)
        s = finish_flood(flood(lab.ns_client, "eth0", self.gw, "udp",
                               "--dst", VIP, "--dport", 9, "--src", SPOOFED,
                               "--count", CALIBRATE))
        wait_accounted(lab)
        got = port_ipackets(lab.dsrlb) - before
        carried = got / max(s["seconds"], 0.001)
        pps = int(min(MAX_PPS, carried / 2))
        print("    the TAP path carried %d of %d frames in %.2fs: floods "
              "at %d a second" % (got, CALIBRATE, s["seconds"], pps))
        verify(pps >= 2000, "the lab carries too little to flood: %d/s"
               % carried)
        return pps

    def router_neigh_watch(self):
        """Start watching the router's neighbour entries (ip monitor)."""
        return subprocess.Popen(["ip", "-n", self.lab.ns_router, "monitor",
                                 "neigh"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)

    @staticmethod
    def router_neigh_failed(p):
        """Stop the watch; the router's neighbour events for the VIP
        that said FAILED (or INCOMPLETE: it asked and got no answer)."""
        p.terminate()
        out, _ = p.communicate(timeout=30)
        return [ln for ln in out.splitlines()
                if ln.split()[:1] == [VIP] and
                ("FAILED" in ln or "INCOMPLETE" in ln)]

    def under(self, start_flood):
        """Run a flood (start_flood() returns its process) with the
        legitimate traffic around it; verify what every case verifies;
        return (flood summary, counters before, counters after); the
        connection loop's summary is left in self.conns."""
        lab = self.lab
        before = wait_accounted(lab)
        kdrops = tap_kernel_drops(lab)
        health = health_state(lab)
        sess, opened = lab.start_sessions(110, 8)
        verify(all("error" not in s for s in opened),
               "sessions did not open: %s" % opened)
        loop = lab.traffic(110)
        neigh = self.router_neigh_watch()
        probe = arp_probe(lab, PROBES)
        try:
            f = start_flood()
            summary = finish_flood(f)
            arp = finish_probe(probe)
            conns = lab.stop_traffic(loop)
            # and after the flood: new connections, sessions talking on
            after_flood = lab.connect(110, 20)
            lab.wait_session_rounds(opened, 2)
        finally:
            for p in (probe, loop):
                if p.poll() is None:
                    p.kill()
            failed = self.router_neigh_failed(neigh)
            talk = lab.stop_sessions(sess)
        self.conns = conns
        lost = tap_kernel_drops(lab) - kdrops
        print("    %s: %d sent in %.1fs (%d lost in the kernel before "
              "dsrlb); %d connections ok, %d failed; ARP %d/%d answered"
              % (summary["kind"], summary["sent"], summary["seconds"],
                 lost, conns["ok"],
                 conns["failed"], arp["answered"], arp["sent"]))
        verify(lab.dsrlb.proc.poll() is None, "dsrlb died:\n%s"
               % lab.dsrlb.output()[-3000:])
        # the router's view: its entry for the VIP never failed
        verify(not failed, "the router's neighbour entry for the VIP "
               "failed: %s" % failed[:3])
        # every request that reached dsrlb was answered: those that
        # went unanswered are at most the frames the kernel dropped
        # before dsrlb (those neither fail nor pass the case)
        unanswered = len(arp["unanswered"])
        verify(unanswered <= lost,
               "the router's ARP for the VIP went unanswered %d of %d "
               "times (requests %s) and the kernel dropped %d frames "
               "before dsrlb: dsrlb missed some" % (
                   unanswered, arp["sent"], arp["unanswered"], lost))
        verify(arp["answered_by"] == [DP_MAC.lower()],
               "the VIP was said to be at %s" % arp["answered_by"])
        verify(conns["failed"] == 0 and conns["ok"] > 0,
               "%d connections failed during the flood: %s"
               % (conns["failed"], conns["errors"][:3]))
        verify(all(r["ok"] for r in after_flood),
               "connections failed after the flood: %s"
               % [r for r in after_flood if not r["ok"]][:3])
        bad = [s for s in talk["sessions"] if s["failed"]]
        verify(not bad, "sessions failed: %s" % bad[:3])
        verify_sessions_answered(talk, opened)
        verify(health_state(lab) == health,
               "a member flapped: %s -> %s" % (health, health_state(lab)))
        after = wait_accounted(lab)
        for ring in ("drop_master_ring_full", "drop_master_prio_full"):
            verify(after["workers"][ring] == before["workers"][ring],
                   "the master's rings overflowed: %s %d"
                   % (ring, after["workers"][ring] - before["workers"][ring]))
        return summary, before, after

    @staticmethod
    def grew(before, after, name):
        return after["workers"][name] - before["workers"][name]

    def tcp_flood(self, kind, *extra):
        """A flood of TCP kind (syn, ack) at VIP:110 from the client,
        from random spoofed sources and ports; extra flood.py options."""
        return flood(self.lab.ns_client, "eth0", self.gw, kind, "--dst",
                     VIP, "--dport", 110, "--src", SPOOFED, "--pps",
                     self.pps, "--count", FLOOD, *extra)

    def verify_table_admitted(self, s, b, a, made_by):
        """The flood (whose entries count in made_by) filled the table
        many times over, its entries made room, and no new flow was
        refused one."""
        made = self.grew(b, a, made_by)
        verify(made > 2 * TABLE, "the flood made %d entries" % made)
        verify(self.grew(b, a, "flow_evicted") > 0, "nothing evicted")
        verify(self.grew(b, a, "flow_table_full") == 0,
               "%d new flows refused an entry; workers %s"
               % (self.grew(b, a, "flow_table_full"), a["per_worker"]))

    def test_own_address_udp_flood(self):
        """Steps: from the client, behind the router, a flood of UDP
        datagrams at the balancer's own address (the kernel interface's)
        from random sources.
        Verify: as the suite says; the flood is policed before it
        reaches the master (drop_own_policed), and the health checks,
        whose answers also go to the own address, did not suffer."""
        s, b, a = self.under(lambda: flood(
            self.lab.ns_client, "eth0", self.gw, "udp", "--dst", OWN,
            "--dport", 9, "--pps", self.pps, "--count", FLOOD))
        verify(self.grew(b, a, "drop_own_policed") > 0,
               "nothing was policed")

    def test_reflected_syn_ack_flood(self):
        """Steps: from a host on the segment, SYNs to frontend fe1's
        POP3 port forged with the balancer's own address as source, from
        random ports: fe1 answers each with SYN-ACKs (and retransmits
        them) to the balancer, from its address and MAC, exactly as it
        answers a health check.
        Verify: as the suite says: no check changed state (fe1's own
        checks included), so the checks' answers were not lost among the
        reflection; the reflection, which answers no check socket, was
        policed as anyone's traffic (drop_own_policed), the checks'
        answers never (drop_member_policed 0)."""
        lab = self.lab
        s, b, a = self.under(lambda: flood(
            self.attacker, "eth0", lab.fe_mac(1), "syn", "--src",
            OWN + "/32", "--dst", lab.fe_addr(1), "--dport", 110,
            "--pps", self.pps, "--count", FLOOD // 2))
        verify(self.grew(b, a, "drop_own_policed") > 0,
               "the reflection was not policed")
        verify(self.grew(b, a, "drop_member_policed") == 0,
               "%d answers of health checks policed"
               % self.grew(b, a, "drop_member_policed"))

    def test_arp_request_flood_from_the_segment(self):
        """Steps: from a host on the segment, a flood of ARP requests
        for the VIP, the own address and an address nobody has, from
        random senders of the segment (the lab's hosts excluded).
        Verify: as the suite says: the router's requests for the VIP,
        among the flood's, are all answered (by the workers, in place);
        the requests that only the master would learn from are policed
        (drop_arp_policed); the members stay resolved."""
        excl = [OWN, ROUTER, VIP, ATTACKER] + \
            [self.lab.fe_addr(i) for i in range(1, 5)]
        args = ["--src", "198.51.100.0/24", "--target", VIP, "--target", OWN,
                "--target", "198.51.100.77", "--pps", self.arp_pps,
                "--count", FLOOD // 2]
        for e in excl:
            args += ["--exclude", e]
        s, b, a = self.under(lambda: flood(
            self.attacker, "eth0", "ff:ff:ff:ff:ff:ff", "arp", *args))
        verify(self.grew(b, a, "arp_reply_out") > 0, "no ARP answered")
        verify(self.grew(b, a, "drop_arp_policed") > 0,
               "nothing was policed")
        verify(all(m["mac"] for m in self.lab.ctl.call("members.list")),
               "a member lost its MAC")

    def test_spoofed_ack_flood_fills_table_legit_flows_get_entries(self):
        """Steps: from the client, a flood of ACKs at VIP:110 from random
        source addresses and ports (each a flow the table has never
        seen), more than the table holds.
        Verify: as the suite says; the table filled with the flood's
        provisional entries and they made room (flow_evicted) for the
        legitimate connections: no new flow was refused an entry
        (flow_table_full), every connection made one (flow_new); the
        established sessions kept theirs."""
        s, b, a = self.under(lambda: self.tcp_flood("ack"))
        self.verify_table_admitted(s, b, a, "flow_midstream")
        # the flood's ACKs make no flow by a SYN: the connections' SYNs
        # do (a new entry, or one of a closing connection on the same
        # client port made new again)
        by_syn = self.grew(b, a, "flow_new") + self.grew(b, a, "flow_reused")
        verify(by_syn >= self.conns["ok"],
               "%d connections, %d flows made by a SYN"
               % (self.conns["ok"], by_syn))
        self.verify_table_recovers(b, a)

    def verify_table_recovers(self, b, a):
        """Both workers' tables were full and evicting; once the flood's
        entries expire, each worker's flow count is back to the
        legitimate level (nothing: the sessions are closed) and new
        connections get entries again. A burst that evicted a flow with
        that flow's next packet in it once corrupted a worker's table
        for good: its count wrapped, and it refused every new flow."""
        lab = self.lab
        for wb, wa in zip(b["per_worker"], a["per_worker"]):
            verify(wa["flow_evicted"] > wb["flow_evicted"],
                   "worker %d never evicted: the flood did not fill its "
                   "table" % wa["lcore"])

        last = {}

        def drained():
            st = lab.ctl.call("stats")
            last["per_worker"] = st["per_worker"]
            return st if all(w["flows"] == 0 for w in st["per_worker"]) \
                else None
        try:
            st = wait_for(drained, "every worker's flows expired", timeout=60)
        except TestFailure as e:
            raise TestFailure("%s: workers %s, flows %s" % (
                e, last.get("per_worker"),
                lab.ctl.call("flows.list", {"limit": 5}))) from e
        verify(all(w["flow_table_errors"] == 0 for w in st["per_worker"]),
               "flow table errors: %s" % st["per_worker"])
        res = lab.connect(110, 20)
        verify(all(r["ok"] for r in res), "connections failed: %s"
               % [r for r in res if not r["ok"]][:3])
        after = lab.ctl.call("stats")
        for k, want in (("flow_new", 20), ("flow_table_full", 0)):
            got = after["workers"][k] - st["workers"][k]
            verify(got == want, "after the flood's entries expired: %s "
                   "grew by %d for 20 connections" % (k, got))

    def test_syn_flood_fills_table_established_flows_survive(self):
        """Steps: from the client, a flood of SYNs at VIP:110 from random
        sources, more than the table holds.
        Verify: as the suite says; SYN-only entries made room for one
        another (flow_evicted), and the established sessions, confirmed
        entries, were never evicted: they all kept talking to the
        frontend that greeted them; no new flow was refused an entry,
        every connection made one."""
        s, b, a = self.under(lambda: self.tcp_flood("syn"))
        self.verify_table_admitted(s, b, a, "flow_new")
        self.verify_table_recovers(b, a)

    def test_malformed_frame_storm(self):
        """Steps: from a host on the segment, a storm of malformed
        frames at dsrlb's MAC: cut inside every header, bad IHL and
        lengths, bad TCP offsets and UDP lengths, tiny, overlapping and
        orphan fragments, QinQ, odd EtherTypes and protocols, reserved
        addresses, random bytes.
        Verify: as the suite says; the storm's frames are counted under
        their reasons (truncated, version, IHL, lengths, TCP offset, UDP
        length, nested tags, EtherType, reserved addresses, orphan
        fragments waiting then timing out); the only ones forwarded are
        those whose fault only the member's own stack judges: a bad IP
        checksum (dsrlb leaves checksums alone), and the pieces of
        overlapping fragmented datagrams (reassembly is the member's)."""
        from scapy.all import IP, raw
        lab = self.lab
        # what reaches the frontends from the storm's sources
        caps = [lab.capture(ns, "eth0", "src net %s" % SPOOFED)
                for ns in lab.ns_fe]
        try:
            kd = tap_kernel_drops(lab)
            pd = forward_path_drops(lab)
            s, b, a = self.under(lambda: flood(
                self.attacker, "eth0", DP_MAC, "malformed", "--dst", VIP,
                "--dport", 110, "--src", SPOOFED, "--pps", self.pps,
                "--count", 60000))
            lost = tap_kernel_drops(lab) - kd
            # and after dsrlb: what it could not send, what the kernel
            # dropped between its TAP and the frontends
            lost_after = drops_since(pd, forward_path_drops(lab))
        finally:
            got = [p for c in caps for p in lab.stop_capture(c)]
        # what the captures themselves missed (tcpdump's own count)
        cap_lost = sum(lab.capture_drops(c) for c in caps)
        tx_lost = self.grew(b, a, "tx_drop")
        for name in ("drop_truncated_ip", "drop_ip_version", "drop_ip_ihl",
                     "drop_ip_length", "drop_truncated_l4",
                     "drop_tcp_header", "drop_udp_length",
                     "drop_vlan_nested", "drop_ethertype", "drop_ip_src",
                     "drop_ip_dst_reserved", "drop_ip_proto",
                     "drop_frag_timeout"):
            verify(self.grew(b, a, name) > 0, "%s did not grow" % name)
        cat = s["categories"]
        bad_sum, frags, other = 0, 0, []
        for p in got:
            if IP not in p:
                other.append(p.summary())
                continue
            hdr = raw(p[IP])[:p[IP].ihl * 4]
            words = sum(int.from_bytes(hdr[k:k + 2], "big")
                        for k in range(0, len(hdr), 2))
            while words >> 16:
                words = (words & 0xffff) + (words >> 16)
            if p[IP].flags.MF or p[IP].frag > 0:
                frags += 1
            elif words != 0xffff:
                bad_sum += 1
            else:
                other.append(p.summary())
        print("    at the frontends: %d with a bad IP checksum (of %d "
              "sent), %d fragments (of %d overlapping or tiny), %d else"
              % (bad_sum, cat["ipv4-bad-checksum"], frags,
                 cat["frag-overlap"] + cat["frag-tiny"], len(other)))
        # the only frames forwarded are those the member's stack judges
        verify(not other, "malformed frames forwarded: %s" % other[:5])
        verify(bad_sum > 0 and frags > 0,
               "none forwarded of what the members must judge: %d bad "
               "checksums, %d fragments" % (bad_sum, frags))
        verify(frags <= cat["frag-overlap"] + cat["frag-tiny"],
               "%d fragments forwarded, %d sent" % (
                   frags, cat["frag-overlap"] + cat["frag-tiny"]))
        # a bad checksum is forwarded like a good one: all of them, but
        # for what the lab's CPUs lost of the storm on its way (any
        # frame, counted, not only these: a bound, not an exemption)
        missed = lost + tx_lost + sum(lost_after.values()) + cap_lost
        print("    lost on the way: %d before dsrlb, %d not sent by it, %d "
              "after it %s, %d by the captures; dsrlb's counters: %s" % (
                  lost, tx_lost, sum(lost_after.values()), lost_after,
                  cap_lost, {k: self.grew(b, a, k) for k in a["workers"]
                             if (k.startswith("drop") or k == "fwd") and
                             self.grew(b, a, k) > 0}))
        verify(bad_sum <= cat["ipv4-bad-checksum"] and
               bad_sum + missed >= cat["ipv4-bad-checksum"],
               "%d of %d frames with a bad IP checksum forwarded, %d "
               "frames of the storm lost on the way" % (
                   bad_sum, cat["ipv4-bad-checksum"], missed))

    def test_repeated_floods_leave_memory_steady(self):
        """Steps: three SYN floods in a row; after each, wait until the
        flood's provisional flows have expired and been swept.
        Verify: after each, the flow tables are empty again, the mbufs
        in use back to their level before the floods, and the process's
        resident memory stays within what the floods may touch once (the
        mbuf pool and 8 MiB) of its level before the first flood, and
        does not grow from the second flood to the third (a leak would;
        with an ASan build, whose quarantine holds freed memory,
        LeakSanitizer at exit decides instead)."""
        lab = self.lab
        pid = lab.ctl.call("status")["pid"]

        def rss():
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
            return 0

        def settled():
            st = lab.ctl.call("stats")
            return st if sum(w["flows"] for w in st["per_worker"]) == 0 \
                else None

        st0 = wait_for(settled, "no flows", timeout=60)
        base = st0["mbufs"]["in_use"]
        rss0 = rss()
        # what the floods may touch for the first time, and so add to
        # the resident set once: every mbuf of the pool (2.5 KiB each
        # with its header and headroom; dsrlb runs without hugepages
        # here, so its memory is ordinary pages), and 8 MiB of heap
        bound = st0["mbufs"]["size"] * 5 // 2 + 8 * 1024
        sizes, mbufs = [], []
        for i in range(3):
            finish_flood(self.tcp_flood("syn", "--seed", i + 1))
            st = wait_for(settled, "the flood's flows expired", timeout=60)
            mbufs.append(st["mbufs"]["in_use"])
            sizes.append(rss())
        print("    after each flood: mbufs in use %s (%d before), "
              "resident memory %s KiB" % (mbufs, base, sizes))
        # a descriptor ring may hold a few more or fewer at any moment;
        # a leak holds one per packet, and grows from flood to flood
        verify(max(mbufs) <= base + 64 and mbufs[2] <= mbufs[0] + 8,
               "mbufs in use %s, %d before the floods" % (mbufs, base))
        with open("/proc/%d/maps" % pid) as f:
            sanitized = "libasan" in f.read()
        if sanitized:
            # ASan keeps freed memory in quarantine (up to 256 MiB), so
            # resident memory grows with any malloc; LeakSanitizer
            # checks for leaks when dsrlb exits (its exit status)
            print("    (ASan: resident memory not compared)")
        else:
            verify(max(sizes) <= rss0 + bound,
                   "resident memory %s KiB after the floods, %d KiB before "
                   "them: more than the %d KiB they may touch once"
                   % (sizes, rss0, bound))
            verify(sizes[2] <= sizes[1] + 1024,
                   "resident memory grew from flood to flood: %s KiB"
                   % sizes)
        verify(lab.dsrlb.proc.poll() is None, "dsrlb died")
        verify(port_ipackets(lab.dsrlb) >= 3 * FLOOD // 2,
               "the floods did not reach dsrlb")
