# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Fragmented UDP datagrams through dsrlb in the namespace lab."""

import json
import os
import random

from framework import TestSuite, TestFailure, verify, wait_for
from hostile import SPOOFED, drop_spoofed_at_members, finish_flood, flood
from labnet import CLIENT, CLIENT6, DTS, PY, VIP, VIP6, Lab

SIP_MEMBERS = ("fe1", "fe2")
FRONTENDS = ("fe1", "fe2", "fe3", "fe4")
SIZE = 3000          # SIP message bytes: the datagram is fragmented
COUNT = 40
# tcpdump: IPv4 UDP, and later fragments (which have no UDP header)
CAPTURE = "ip and udp or (ip[6:2] & 0x1fff) != 0"
FRAG_COUNTERS = ("frag_first", "frag_hit", "frag_held", "drop_frag_timeout",
                 "drop_frag_hold_full", "drop_frag_memory_full",
                 "drop_member_unusable", "frag_evicted",
                 "frag6_first", "frag6_hit", "frag6_held",
                 "drop_frag6_timeout", "drop_frag6_hold_full",
                 "drop_frag6_memory_full", "drop_frag6_first_short")
# spoofed first fragments: several times fragment memory (16384 per
# worker) within frag_ttl_ms, at a pace the lab carries
FRAG_FLOOD = 120000
FRAG_PPS = 30000


def ip_key(p):
    from scapy.all import IP
    return (p[IP].src, p[IP].dst, p[IP].proto, p[IP].id)


def is_fragment(p):
    from scapy.all import IP
    return p[IP].flags.MF or p[IP].frag > 0


def whole(frags):
    """Whether fragments (scapy IP packets of one datagram, any order)
    hold the datagram exactly once: offsets contiguous from 0, the last
    without MF."""
    from scapy.all import IP
    parts = sorted((p[IP].frag * 8, len(bytes(p[IP].payload)),
                    bool(p[IP].flags.MF)) for p in frags)
    end = 0
    for i, (off, length, mf) in enumerate(parts):
        if off != end or mf != (i < len(parts) - 1):
            return False
        end = off + length
    return bool(parts)


class LabFragments(TestSuite):
    """A fragmented datagram reaches one member of its own service,
    whole, whatever order its fragments come in: a stateless SIP service
    on fe1 and fe2 and a stateful DNS service on fe3 and fe4 share the
    VIP, and dsrlb never guesses where a later fragment goes. The lab is
    dual stack: the SIP service is on the IPv6 VIP too, for IPv6
    fragments."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True, ipv6=True)
        self.lab.build()
        cfg = self.lab.config()
        services = [s for s in cfg["services"] if s["name"] != "sip-udp"]
        services.append({"name": "sip-udp", "vip": "*", "protocol": "udp",
                         "port": 5060, "stateless": True,
                         "members": list(SIP_MEMBERS)})
        services.append({"name": "dns", "vip": VIP, "protocol": "udp",
                         "port": 53, "members": ["fe3", "fe4"]})
        cfg["services"] = services
        # a later fragment that comes first waits for its first fragment
        # up to frag_hold_ms: long enough here that drop_frag_timeout
        # says "its first fragment never came", never "the lab's shared
        # CPUs delayed the next frame" (no assertion on timing)
        cfg["dataplane"] = dict(cfg["dataplane"], frag_hold_ms=1000,
                                frag_ttl_ms=5000)
        self.lab.start_dsrlb(cfg)
        self.lab.wait_resolved()
        drop_spoofed_at_members(self.lab)

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def frag_stats(self):
        w = self.lab.ctl.call("stats")["workers"]
        return {k: w[k] for k in FRAG_COUNTERS}

    def capture_all(self):
        return {"fe%d" % i: self.lab.capture(ns, "eth0", CAPTURE)
                for i, ns in enumerate(self.lab.ns_fe, 1)}

    def datagrams_at(self, caps, at_least):
        """Stop the captures once they hold at_least fragments from the
        client (tcpdump may write a packet after its receiver saw it);
        {fe: {ip key: [fragments]}} of the client's fragmented datagrams
        addressed to each frontend's MAC."""
        from scapy.all import IP, rdpcap

        def frags(path, fe):
            mac = self.lab.fe_mac(int(fe[2:]))
            try:
                pkts = rdpcap(path) if os.path.getsize(path) > 24 else []
            except Exception:
                return None    # a record being written
            return [p for p in pkts if IP in p and p.dst == mac and
                    p[IP].src == CLIENT and is_fragment(p)]

        def enough():
            n = [frags(cap[1], fe) for fe, cap in caps.items()]
            return None not in n and sum(len(x) for x in n) >= at_least
        try:
            wait_for(enough, "%d fragments captured" % at_least, timeout=20,
                     interval=0.2)
        except TestFailure:
            pass                    # the verification says what is missing
        out = {}
        for fe in list(caps):
            mac = self.lab.fe_mac(int(fe[2:]))
            pkts = self.lab.stop_capture(caps.pop(fe))
            by = {}
            for p in pkts:
                if IP in p and p.dst == mac and p[IP].src == CLIENT and \
                        is_fragment(p):
                    by.setdefault(ip_key(p), []).append(p)
            out[fe] = by
        return out

    @staticmethod
    def placement(at):
        """{ip key: [frontends holding fragments of it]}."""
        where = {}
        for fe, by in at.items():
            for k in by:
                where.setdefault(k, []).append(fe)
        return where

    @staticmethod
    def first_sport(frags):
        from scapy.all import IP, UDP
        for p in frags:
            if p[IP].frag == 0 and UDP in p:
                return p[UDP].sport
        return None

    def test_first_fragment_flood_sip_still_answered(self):
        """Steps: from the client, behind the router, 4 s of spoofed
        first fragments of UDP datagrams to VIP:5060 (random sources,
        ports and IP ids; their later fragments never come) at 30,000 a
        second, over seven times the fragment memory (16384 per worker)
        within frag_ttl_ms; meanwhile 40 SIP OPTIONS of 3000 bytes from
        the client, each fragmented in three by its kernel.
        Verify: every OPTIONS is answered, by fe1 or fe2; no first
        fragment was dropped for want of memory (drop_frag_memory_full):
        the flood's datagrams, never confirmed by a later fragment, gave
        way to new ones (frag_evicted). Before, slots were kept until
        they expired: the flood held all memory, and every real
        fragmented datagram's first fragment was dropped."""
        before = self.frag_stats()
        gw = self.lab.mac_of(self.lab.ns_router, "cli0")
        f = flood(self.lab.ns_client, "eth0", gw, "frag1", "--dst", VIP,
                  "--dport", 5060, "--src", SPOOFED, "--pps", FRAG_PPS,
                  "--count", FRAG_FLOOD)
        try:
            # the flood first fills the memory
            wait_for(lambda: self.frag_stats()["frag_evicted"] >
                     before["frag_evicted"], "the memory full, evicting",
                     timeout=30)
            res = self.lab.client("bigsip", VIP, COUNT, SIZE)
        finally:
            summary = finish_flood(f)
        after = self.frag_stats()
        delta = {k: after[k] - before[k] for k in FRAG_COUNTERS}
        print("    %d first fragments in %.1fs; %s" % (
            summary["sent"], summary["seconds"], delta))
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d of %d requests failed: %s"
               % (len(bad), COUNT, bad[:3]))
        verify({r["server"] for r in res} <= set(SIP_MEMBERS),
               "answered by %s" % {r["server"] for r in res})
        verify(delta["drop_frag_memory_full"] == 0,
               "drop_frag_memory_full %d" % delta["drop_frag_memory_full"])
        verify(delta["frag_evicted"] > 0, "nothing was evicted")

    def test_kernel_fragments_follow_first(self):
        """Steps: capture on every frontend's eth0; from the client, 40
        SIP OPTIONS over UDP of 3000 bytes each (lab_client.py bigsip),
        each from its own source port: the client's kernel fragments
        each into three (MTU 1500).
        Verify: every request is answered "SIP/2.0 200" from the VIP,
        by fe1 or fe2 only; each datagram arrived whole (all its
        fragments) at exactly one frontend, the one that answered it;
        dsrlb remembered 40 first fragments, sent every later fragment
        after its first (frag_hit), and dropped none (no timeout, no
        member unusable, no memory full)."""
        from scapy.all import IP
        before = self.frag_stats()
        caps = self.capture_all()
        try:
            res = self.lab.client("bigsip", VIP, COUNT, SIZE)
            # the client's kernel fragments at its MTU, 1500
            per = -(-(SIZE + 8) // 1480)
            at = self.datagrams_at(caps, COUNT * per)
        finally:
            for p, _ in caps.values():
                p.kill()
                p.wait()
        after = self.frag_stats()
        delta = {k: after[k] - before[k] for k in FRAG_COUNTERS}
        bad = [r for r in res if not r["ok"] or r.get("size") != SIZE]
        verify(not bad, "%d of %d requests failed: %s"
               % (len(bad), COUNT, bad[:3]))
        verify(all(r["source"] == VIP for r in res),
               "answers not from the VIP: %s" % {r["source"] for r in res})
        answered = {r["port"]: r["server"] for r in res}
        verify(set(answered.values()) <= set(SIP_MEMBERS),
               "answered by %s" % set(answered.values()))

        where = self.placement(at)
        seen = {}
        for k, fes in where.items():
            frags = [p for fe in fes for p in at[fe][k]]
            sport = self.first_sport(frags)
            verify(len(fes) == 1, "datagram %s (port %s) split over %s"
                   % (k, sport, fes))
            verify(whole(frags), "datagram %s (port %s) at %s: not whole: "
                   "%s" % (k, sport, fes, [(p[IP].frag, p[IP].flags.MF,
                                           len(p[IP])) for p in frags]))
            seen[sport] = fes[0]
        verify(seen == answered,
               "captured at / answered by differ: %s"
               % {p: (seen.get(p), answered.get(p))
                  for p in set(seen) | set(answered)
                  if seen.get(p) != answered.get(p)})
        n_frags = sum(len(x) for by in at.values() for x in by.values())
        print("    answered by %s; fragments per datagram %s; %s"
              % ({fe: list(answered.values()).count(fe)
                  for fe in SIP_MEMBERS}, n_frags / COUNT, delta))
        verify(delta["frag_first"] == COUNT and
               delta["frag_hit"] == n_frags - COUNT,
               "frag_first %d frag_hit %d for %d datagrams of %d fragments"
               % (delta["frag_first"], delta["frag_hit"], COUNT, n_frags))
        for k in ("drop_frag_timeout", "drop_frag_hold_full",
                  "drop_frag_memory_full", "drop_member_unusable"):
            verify(delta[k] == 0, "%s %d" % (k, delta[k]))
        verify(after["drop_frag_timeout"] == 0, "drop_frag_timeout %d"
               % after["drop_frag_timeout"])

    def test_reordered_fragments_held_for_first(self):
        """Steps: capture on every frontend's eth0; in the client's
        namespace, scapy builds 40 SIP OPTIONS of 3000 bytes (valid UDP
        checksum, distinct IP ids, each from its own source port, a UDP
        socket bound to each for the answer), fragments each with
        fragsize 1000 (four fragments) and sends them to the router's
        MAC: the fragments of 20 datagrams last first (reversed), of the
        other 20 shuffled.
        Verify: each datagram arrived whole at exactly one frontend,
        fe1 or fe2, and that frontend answered it "SIP/2.0 200" from the
        VIP; dsrlb remembered 40 first fragments and sent all 120 later
        ones after them (frag_hit), held later fragments that came
        before their first (frag_held > 0, at most the number sent
        before their first), and dropped none (drop_frag_timeout 0)."""
        from scapy.all import IP, UDP, Ether, Raw, fragment
        client_mac = self.lab.mac_of(self.lab.ns_client, "eth0")
        router_mac = self.lab.mac_of(self.lab.ns_router, "cli0")
        rnd = random.Random(5060)
        frames, ports, ids, early = [], [], {}, 0
        for i in range(COUNT):
            sport, ip_id = 41000 + i, 0x5100 + i
            head = ("OPTIONS sip:%s SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKfrag%d\r\n"
                    "From: <sip:lab@%s>;tag=%d\r\nTo: <sip:%s>\r\n"
                    "Call-ID: frag%d@lab\r\nCSeq: 1 OPTIONS\r\n"
                    % (VIP, CLIENT, sport, i, CLIENT, i, VIP, i)).encode()
            tail = b"Content-Length: 0\r\n\r\n"
            pad = SIZE - len(head) - len(tail) - len(b"X-Pad: \r\n")
            sip = head + b"X-Pad: " + b"x" * pad + b"\r\n" + tail
            assert len(sip) == SIZE
            # built whole once, so the UDP checksum covers the datagram
            dgram = IP(bytes(IP(src=CLIENT, dst=VIP, id=ip_id, ttl=64) /
                             UDP(sport=sport, dport=5060) / Raw(sip)))
            frags = fragment(dgram, fragsize=1000)
            if i % 2 == 0:
                order = frags[::-1]
            else:
                order = list(frags)
                rnd.shuffle(order)
            # later fragments sent before their first
            early += next(n for n, f in enumerate(order) if f.frag == 0)
            frames += [Ether(src=client_mac, dst=router_mac) / f
                       for f in order]
            ports.append(sport)
            ids[(CLIENT, VIP, 17, ip_id)] = (sport, len(frags))
        before = self.frag_stats()
        caps = self.capture_all()
        try:
            out = self.lab.send_frames(self.lab.ns_client, "eth0", frames,
                                       udp_ports=ports)
            at = self.datagrams_at(caps, len(frames))
        finally:
            for p, _ in caps.values():
                p.kill()
                p.wait()
        # every later fragment ends sent (frag_hit) or dropped
        fates = ("frag_hit", "drop_frag_timeout", "drop_frag_hold_full",
                 "drop_member_unusable")
        try:
            after = wait_for(
                lambda: (lambda s: s if sum(s[k] - before[k] for k in fates)
                         >= len(frames) - COUNT else None)(self.frag_stats()),
                "dsrlb to decide every later fragment")
        except TestFailure as e:
            now = self.frag_stats()
            raise TestFailure("%s: %s" % (e, {k: now[k] - before[k]
                                               for k in FRAG_COUNTERS}))
        delta = {k: after[k] - before[k] for k in FRAG_COUNTERS}
        verify(out["sent"] == len(frames), "sent %s of %d frames"
               % (out["sent"], len(frames)))

        where = self.placement(at)
        problems = []
        for k, (sport, n) in sorted(ids.items()):
            fes = where.get(k, [])
            frags = [p for fe in fes for p in at[fe][k]]
            if len(fes) != 1:
                problems.append("port %d: fragments at %s" % (sport, fes))
            elif fes[0] not in SIP_MEMBERS:
                problems.append("port %d: at %s, not a SIP member"
                                % (sport, fes[0]))
            elif len(frags) != n or not whole(frags):
                problems.append("port %d at %s: %d of %d fragments %s"
                                % (sport, fes[0], len(frags), n,
                                   [(p[IP].frag, p[IP].flags.MF)
                                    for p in frags]))
            ans = out["answers"].get(str(sport))
            if ans is None:
                problems.append("port %d: no answer" % sport)
            elif not ans["status"].startswith("SIP/2.0 200") or \
                    ans["source"] != VIP or fes[:1] != [ans["server"]]:
                problems.append("port %d: answer %s, fragments at %s"
                                % (sport, ans, fes))
        stray = set(where) - set(ids)
        print("    answered by %s; %d later fragments sent before their "
              "first; %s"
              % ({fe: [a["server"] for a in out["answers"].values()]
                  .count(fe) for fe in SIP_MEMBERS}, early, delta))
        verify(not problems and not stray, "%d of %d datagrams wrong: %s%s"
               % (len(problems), COUNT, problems[:8],
                  "; unknown datagrams %s" % sorted(stray) if stray else ""))
        later = len(frames) - COUNT
        verify(delta["frag_first"] == COUNT and delta["frag_hit"] == later,
               "frag_first %d frag_hit %d for %d datagrams, %d later "
               "fragments" % (delta["frag_first"], delta["frag_hit"],
                              COUNT, later))
        verify(0 < delta["frag_held"] <= early,
               "frag_held %d with %d later fragments sent before their "
               "first" % (delta["frag_held"], early))
        for k in ("drop_frag_timeout", "drop_frag_hold_full",
                  "drop_frag_memory_full", "drop_member_unusable"):
            verify(delta[k] == 0, "%s %d" % (k, delta[k]))
        verify(after["drop_frag_timeout"] == 0, "drop_frag_timeout %d"
               % after["drop_frag_timeout"])

    @staticmethod
    def wait_captured(caps, at_least):
        """Until the captures hold at_least IPv6 fragments (tcpdump may
        write a packet after its receiver saw it); the verification says
        what is missing if they never do."""
        from scapy.all import IPv6ExtHdrFragment, rdpcap

        def enough():
            n = 0
            for _, path in caps.values():
                try:
                    n += sum(1 for p in rdpcap(path)
                             if IPv6ExtHdrFragment in p) \
                        if os.path.getsize(path) > 24 else 0
                except Exception:
                    return False    # a record being written
            return n >= at_least
        try:
            wait_for(enough, "%d fragments captured" % at_least, timeout=20,
                     interval=0.2)
        except TestFailure:
            pass

    def test_ipv6_kernel_fragments_reordered_held_for_first(self):
        """Steps: capture IPv6 on every frontend's eth0; in the client's
        namespace, 40 SIP OPTIONS of 3000 bytes to the IPv6 VIP from
        their own UDP sockets, fragmented by the client's kernel (its
        Fragment header, its 32-bit Identification, three fragments at
        MTU 1500), then reordered on the way (lab_kernel_frags.py: the
        kernel sends them to a veth that goes nowhere, a packet socket
        takes them and puts them on the wire to the router, 20
        datagrams last fragment first, 20 shuffled; this kernel has no
        netem to reorder them in). A ping first has the router resolve
        the VIP.
        Verify: every request is answered "SIP/2.0 200" from the IPv6
        VIP by the frontend that holds all its fragments, fe1 or fe2
        (the SIP service's); dsrlb remembered 40 IPv6 first fragments
        (frag6_first) and sent every later one after its first
        (frag6_hit), held those that came first (0 < frag6_held <= the
        number sent before their first), dropped none. Before, every
        IPv6 fragment was dropped (drop_ip6_fragment) and no request
        was answered."""
        from scapy.all import IPv6, IPv6ExtHdrFragment
        router_mac = self.lab.mac_of(self.lab.ns_router, "cli0")
        c = self.lab.ns_client
        # the router resolves the VIP first (a burst to an address it is
        # still resolving overflows its neighbour queue)
        verify(self.lab.ping(c, VIP6, count=1) == 0, "no ping to %s" % VIP6)
        self.lab.ns(c, "ip", "link", "add", "kf0", "type", "veth", "peer",
                    "name", "kf1")
        try:
            for dev in ("kf0", "kf1"):
                self.lab.ns(c, "ip", "link", "set", dev, "up")
            self.lab.ns(c, "ip", "-6", "route", "add", VIP6 + "/128", "dev",
                        "kf0")
            self.lab.ns(c, "ip", "-6", "neigh", "add", VIP6, "lladdr",
                        router_mac, "dev", "kf0", "nud", "permanent")
            before = self.frag_stats()
            caps = {"fe%d" % i: self.lab.capture(ns, "eth0", "ip6")
                    for i, ns in enumerate(self.lab.ns_fe, 1)}
            try:
                res = json.loads(self.lab.ns(
                    c, PY, os.path.join(DTS, "lab_kernel_frags.py"), "kf0",
                    "eth0", router_mac, VIP6, str(COUNT), str(SIZE),
                    "6060"))
                later = sum(d["fragments"] - 1 for d in res["datagrams"])
                fates = ("frag6_hit", "drop_frag6_timeout",
                         "drop_frag6_hold_full", "drop_member_unusable")
                try:
                    after = wait_for(
                        lambda: (lambda s: s if sum(s[k] - before[k]
                                                    for k in fates) >= later
                                 else None)(self.frag_stats()),
                        "dsrlb to decide every later IPv6 fragment")
                except TestFailure as e:
                    now = self.frag_stats()
                    raise TestFailure("%s: %s; %d datagrams, %d frames, "
                                      "%d answers" % (
                                          e, {k: now[k] - before[k]
                                              for k in FRAG_COUNTERS},
                                          len(res["datagrams"]),
                                          res["sent"], len(res["answers"])))
                self.wait_captured(caps, res["sent"])
                at = {}
                for fe in list(caps):
                    mac = self.lab.fe_mac(int(fe[2:]))
                    for p in self.lab.stop_capture(caps.pop(fe)):
                        if IPv6 in p and IPv6ExtHdrFragment in p and \
                                p.dst == mac and p[IPv6].src == CLIENT6:
                            at.setdefault(p[IPv6ExtHdrFragment].id,
                                          {}).setdefault(fe, []).append(p)
            finally:
                for p, _ in caps.values():
                    p.kill()
                    p.wait()
        finally:
            self.lab.ns(c, "ip", "link", "del", "kf0", check=False)
        delta = {k: after[k] - before[k] for k in FRAG_COUNTERS}
        early = sum(d["early"] for d in res["datagrams"])
        print("    answered by %s; %d later fragments, %d sent before "
              "their first; %s"
              % ({fe: [a["server"] for a in res["answers"].values()]
                  .count(fe) for fe in SIP_MEMBERS}, later, early,
                 {k: v for k, v in delta.items() if v}))
        verify(len(res["datagrams"]) == COUNT and
               all(d["fragments"] == 3 and d["port"] for d in
                   res["datagrams"]),
               "the kernel's fragments: %d datagrams %s"
               % (len(res["datagrams"]),
                  [d for d in res["datagrams"]
                   if d["fragments"] != 3 or not d["port"]][:4]))
        problems = []
        for d in res["datagrams"]:
            fes = at.get(d["id"], {})
            ans = res["answers"].get(str(d["port"]))
            frags = [p for ps in fes.values() for p in ps]
            offs = sorted(p[IPv6ExtHdrFragment].offset for p in frags)
            if len(fes) != 1 or len(frags) != d["fragments"] or \
                    offs[0] != 0:
                problems.append("id %#x: %s" % (d["id"], {
                    fe: len(ps) for fe, ps in fes.items()}))
            elif ans is None:
                problems.append("id %#x: no answer" % d["id"])
            elif not ans["status"].startswith("SIP/2.0 200") or \
                    ans["source"] != VIP6 or \
                    ans["server"] not in SIP_MEMBERS or \
                    list(fes) != [ans["server"]]:
                problems.append("id %#x: answer %s, fragments at %s"
                                % (d["id"], ans, list(fes)))
        verify(not problems, "%d of %d datagrams wrong: %s"
               % (len(problems), COUNT, problems[:8]))
        verify(delta["frag6_first"] == COUNT and delta["frag6_hit"] == later,
               "frag6_first %d frag6_hit %d for %d datagrams, %d later "
               "fragments" % (delta["frag6_first"], delta["frag6_hit"],
                              COUNT, later))
        verify(0 < delta["frag6_held"] <= early,
               "frag6_held %d with %d later fragments sent before their "
               "first" % (delta["frag6_held"], early))
        for k in ("drop_frag6_timeout", "drop_frag6_hold_full",
                  "drop_frag6_memory_full", "drop_frag6_first_short",
                  "drop_member_unusable"):
            verify(delta[k] == 0, "%s %d" % (k, delta[k]))
