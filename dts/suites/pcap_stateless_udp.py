# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Stateless UDP (SIP) on net_pcap: consistent hashing and fragments."""

from collections import Counter, defaultdict

from scapy.all import IP, UDP, Ether, fragment

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       match_by_content, member_mac, run_pcap, verify)

VIP = "198.51.100.100"
CLIENT_MAC = "02:00:00:00:00:01"


def sip(src, sport, size=200, ident=1):
    body = b"OPTIONS sip:198.51.100.100 SIP/2.0\r\n" + b"X" * size
    return (Ether(src=CLIENT_MAC, dst=PCAP_MAC) /
            IP(src=src, dst=VIP, id=ident) / UDP(sport=sport, dport=5060) /
            body)


class PcapStatelessUdp(TestSuite):
    """Stateless UDP services spread clients by a hash of source address
    and port, keep each client on one member without flow entries, and
    keep the fragments of a datagram together.

    Runs with the default workers; the default steering puts every
    fragment of a datagram on one queue (by source and destination
    address), so one worker sees a datagram's fragments in the order
    sent. Cases with many clients first check that the packets were
    spread over several queues (verify_spread). Outputs are matched to
    inputs by content, never by position."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.macs = {member_mac(i): "fe%d" % i for i in range(1, 5)}
        self.config = base_config(four_members(), [
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True}])

    def test_spread_and_sticky_without_flows(self):
        """Steps: 400 clients (address, port) each send 3 datagrams,
        spread over the workers.
        Verify: each client's datagrams reach one member, all members
        get clients, and no flow entry was made (flow_new == 0,
        stateless counted per packet)."""
        clients = [("203.0.113.%d" % (i % 250 + 1), 5060 + i // 250 * 7 + i)
                   for i in range(400)]
        sent = [sip(s, p, 50) for _ in range(3) for s, p in clients]
        run = run_pcap("udp_spread", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        where = defaultdict(set)
        for o in out:
            where[(o[IP].src, o[UDP].sport)].add(o.dst)
        verify(all(len(d) == 1 for d in where.values()),
               "a client's datagrams went to several members")
        spread = Counter(self.macs[next(iter(d))] for d in where.values())
        verify(len(spread) == 4 and min(spread.values()) >= 50,
               "clients not spread over the members: %s" % dict(spread))
        verify(run.stats["flow_new"] == 0, "stateless made flow entries")
        verify(run.stats["stateless"] == len(sent), "stateless %d != %d"
               % (run.stats["stateless"], len(sent)))

    def test_hash_fields_source_address_only(self):
        """Steps: hash_fields ["src_ip"]; one client address sends from
        50 ports (so both workers get some).
        Verify: all reach the same member."""
        cfg = base_config(four_members(), [
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True, "hash_fields": ["src_ip"]}])
        sent = [sip("203.0.113.7", 20000 + i, 10) for i in range(50)]
        run = run_pcap("udp_srcip", cfg, sent)
        run.verify_spread()
        dsts = {o.dst for o in run.non_arp()}
        verify(len(run.non_arp()) == 50 and len(dsts) == 1,
               "one address went to %d members" % len(dsts))

    def test_fragments_follow_first_fragment(self):
        """Steps: 100 clients send a small datagram, then a 3000-byte
        datagram in fragments (first fragment first); default steering:
        all fragments of a datagram on one queue, in order (the
        datagrams spread over the workers).
        Verify: all fragments of a datagram reach the member its first
        fragment reached, which is the member an unfragmented datagram
        from the same client reaches; every packet sent is forwarded
        once, unchanged after the Ethernet header (matched by content,
        as a multiset); every later fragment found its first
        (frag_first 100, frag_hit = later fragments, summed over the
        workers)."""
        sent = []
        for i in range(100):
            src, sport = "198.51.100.%d" % (150 + i % 100), 40000 + i
            sent.append(sip(src, sport, 10, ident=i + 1))
            sent.extend(fragment(sip(src, sport, 3000, ident=5000 + i),
                                 fragsize=1000))
        run = run_pcap("udp_frag", self.config, sent)
        run.verify_spread()
        out = run.non_arp()
        verify(len(out) == len(sent), "sent %d, %d left"
               % (len(sent), len(out)))
        _, missing, extra = match_by_content(sent, out)
        verify(not missing and not extra, "fragment changed: %s"
               % [o.summary() for o in extra][:3])
        member_of_client = {}
        by_datagram = defaultdict(set)
        for o in out:
            ip = o[IP]
            if ip.id <= 100:
                member_of_client[ip.src] = o.dst
            else:
                by_datagram[(ip.src, ip.id)].add(o.dst)
        for (src, ident), dsts in by_datagram.items():
            verify(len(dsts) == 1, "datagram %s/%d split over %s"
                   % (src, ident, dsts))
            verify(dsts == {member_of_client[src]},
                   "datagram %s/%d went to %s, its client to %s"
                   % (src, ident, dsts, member_of_client[src]))
        later = sum(1 for p in sent if p[IP].frag > 0)
        verify(run.stats["frag_first"] == 100 and
               run.stats["frag_hit"] == later,
               "frag_first %d frag_hit %d" % (run.stats["frag_first"],
                                              run.stats["frag_hit"]))

    def sip_dns_config(self):
        """DNS/53 on fe3, fe4 and SIP/5060 (stateless) on fe1, fe2: one
        VIP, two UDP services with different members.

        A later fragment that comes before its first waits for it up to
        frag_hold_ms: 1000 here (the most allowed, as in LabFragments),
        not the default 10, so that drop_frag_timeout means "its first
        fragment never came", never "a worker was preempted for 10 ms"
        on a loaded machine. A held fragment is an outcome (rx) only
        once it is sent or dropped, so run_pcap's wait for rx is a wait
        for every one of them to be decided, and the case decides by
        the counters (frag_hit, drop_frag_timeout)."""
        return base_config(four_members(), [
            {"name": "dns", "vip": VIP, "protocol": "udp", "port": 53,
             "members": ["fe3", "fe4"]},
            {"name": "sip-udp", "vip": VIP, "protocol": "udp",
             "port": 5060, "stateless": True,
             "members": ["fe1", "fe2"]}],
            dataplane={"frag_hold_ms": 1000, "frag_ttl_ms": 5000})

    @staticmethod
    def out_of_order_datagrams(n, ident0):
        """n SIP datagrams of 3000 bytes in fragments, every other one
        last fragment first, the others shuffled."""
        import random
        rnd = random.Random(ident0)
        sent = []
        for i in range(n):
            frags = list(fragment(sip("203.0.113.%d" % (100 + i),
                                      30000 + i, 3000, ident=ident0 + i),
                                  fragsize=1000))
            if i % 2:
                frags.reverse()
            else:
                rnd.shuffle(frags)
            sent.extend(frags)
        return sent

    def verify_datagrams_whole(self, sent, run):
        """Every fragment forwarded unchanged, each datagram on one
        member, fe1 or fe2 (the SIP service's), nothing dropped."""
        out = run.non_arp()
        pairs, missing, extra = match_by_content(sent, out)
        verify(not missing and not extra,
               "%d fragments lost, %d unexpected" % (len(missing),
                                                     len(extra)))
        by_datagram = defaultdict(set)
        for o in out:
            by_datagram[o[IP].id].add(self.macs[o.dst])
        for ident, members in by_datagram.items():
            verify(len(members) == 1 and members <= {"fe1", "fe2"},
                   "datagram %d reached %s" % (ident, members))
        later = sum(1 for p in sent if p[IP].frag > 0)
        st = run.stats
        verify(st["frag_hit"] == later and
               st["frag_first"] == len(by_datagram),
               "frag_first %d frag_hit %d" % (st["frag_first"],
                                              st["frag_hit"]))
        verify(st["drop_frag_timeout"] == 0 and
               st["drop_frag_hold_full"] == 0, "fragments dropped")

    def test_later_fragments_first_wait_in_their_service(self):
        """Steps: the DNS and SIP services on one VIP (sip_dns_config);
        60 SIP datagrams of 3000 bytes, each in fragments last first or
        shuffled, all steered to queue 0 so one worker sees them in the
        order sent.
        Verify: every fragment is forwarded unchanged and all fragments
        of a datagram reach one member, fe1 or fe2 (never a DNS member,
        which the old guess picked); later fragments that came before
        their first waited (frag_held) and followed it (frag_hit);
        nothing was dropped."""
        sent = self.out_of_order_datagrams(60, 900)
        run = run_pcap("udp_frag_order", self.sip_dns_config(), sent,
                       steer=lambda p, n: 0)
        self.verify_datagrams_whole(sent, run)
        verify(run.stats["frag_held"] > 0, "no fragment waited")

    def test_fragments_split_over_workers_stay_together(self):
        """Steps: as above, but a custom steer gives every first
        fragment to queue 0 and every later fragment to the last queue,
        so each datagram is split over two workers that run
        concurrently, in whatever order they get to it.
        Verify: every fragment is forwarded unchanged, each datagram on
        one member of the SIP service, nothing dropped (whether a later
        fragment had to wait depends on the workers' timing, and either
        way it must follow its first: frag_hold_ms is 1000, so a wait
        cut short by a preempted worker is not what drops one); every
        later fragment is accounted for as following its first
        (frag_hit), whether it waited (frag_held) or not."""
        sent = self.out_of_order_datagrams(60, 1900)
        later = sum(1 for p in sent if p[IP].frag > 0)
        run = run_pcap("udp_frag_split", self.sip_dns_config(), sent,
                       steer=lambda p, n: 0 if p[IP].frag == 0 else n - 1,
                       until=lambda s: s["frag_hit"] +
                       s["drop_frag_timeout"] + s["drop_frag_hold_full"]
                       >= later,
                       what="every later fragment decided")
        run.verify_spread()
        self.verify_datagrams_whole(sent, run)
        print("    %d later fragments: %d waited for their first"
              % (later, run.stats["frag_held"]))

    def test_orphan_later_fragments_dropped_and_counted(self):
        """Steps: 50 later fragments of datagrams whose first fragment
        never comes (with the default steering).
        Verify: none is forwarded (no guess), and each is counted as
        drop_frag_timeout once it has waited frag_hold_ms."""
        sent = []
        for i in range(50):
            frags = fragment(sip("203.0.113.%d" % (10 + i), 31000 + i,
                                 3000, ident=100 + i), fragsize=1000)
            sent.extend(frags[1:])
        run = run_pcap("udp_frag_orphans", self.config, sent,
                       until=lambda s: s["drop_frag_timeout"] >= len(sent),
                       what="every orphan fragment dropped")
        verify(run.non_arp() == [], "%d orphans forwarded"
               % len(run.non_arp()))
        verify(run.stats["drop_frag_timeout"] == len(sent) and
               run.stats["frag_hit"] == 0,
               "drop_frag_timeout %d" % run.stats["drop_frag_timeout"])
