# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Member MAC resolution on net_pcap: ARP requests out, replies learnt."""

from scapy.all import ARP, IP, TCP, Ether

from framework import (PCAP_MAC, TestSuite, base_config, four_members,
                       run_pcap, verify)

VIP = "198.51.100.100"
OWN = "198.51.100.2"


def members_without_macs():
    ms = four_members()
    for m in ms:
        del m["mac"]
    return ms


def reply_from(i, mac=None):
    mac = mac or "02:00:00:00:01:%02x" % i
    return (Ether(src=mac, dst=PCAP_MAC) /
            ARP(op=2, hwsrc=mac, psrc="198.51.100.%d" % (10 + i),
                hwdst=PCAP_MAC, pdst=OWN))


class PcapNeigh(TestSuite):
    """Members without a static MAC are resolved by ARP through the data
    port; until then they are not selected; answers and other ARP seen
    on the wire are learnt.

    Runs with the default workers: ARP is received on queue 0 (default
    steering puts non-IP there) and handed to the master lcore, whose
    requests leave through worker 0; the cases check sets and counters
    (summed over the workers), never an order across queues."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.services = [{"name": "pop3", "vip": VIP, "protocol": "tcp",
                          "port": 110}]

    def test_requests_for_unresolved_members(self):
        """Steps: four members without MACs, nothing answers.
        Verify: dsrlb broadcasts "who-has MEMBER tell OWN" from the
        port MAC for each member, repeats (up to 3 each round), and a
        SYN to the VIP is dropped as drop_no_member."""
        syn = (Ether(src="02:00:00:00:00:01", dst=PCAP_MAC) /
               IP(src="203.0.113.5", dst=VIP) / TCP(dport=110, flags="S"))
        run = run_pcap("neigh_req", base_config(members_without_macs(),
                                                self.services), [syn],
                       until=lambda s: s["arp_request_out"] >= 8,
                       what="two requests per member")
        reqs = [p for p in run.arp() if p[ARP].op == 1 and
                p[ARP].psrc == OWN]
        asked = {p[ARP].pdst for p in reqs}
        verify(asked == {"198.51.100.%d" % (10 + i) for i in range(1, 5)},
               "asked for %s" % sorted(asked))
        for p in reqs:
            verify(p.dst == "ff:ff:ff:ff:ff:ff" and p.src == PCAP_MAC and
                   p[ARP].hwsrc == PCAP_MAC, "bad request %s" % p.summary())
        verify(run.stats["drop_no_member"] == 1 and run.stats["fwd"] == 0,
               "unresolved member selected: %s" % run.stats)

    def test_replies_resolve_members(self):
        """Steps: four members without MACs; ARP replies from two of
        them.
        Verify: those two get their MACs (telemetry), their neighbor
        entries are reachable and wanted, the other two stay unresolved
        (incomplete or failed, no MAC)."""
        got = {}

        def inspect(d):
            got["members"] = d.members()
            got["neigh"] = d.neighbors()
        run_pcap("neigh_reply", base_config(members_without_macs(),
                                            self.services),
                 [reply_from(1), reply_from(3)],
                 until=lambda s: s["neigh_resolved"] >= 2,
                 what="two members resolved", inspect=inspect)
        m = got["members"]
        verify(m["fe1"]["mac"] == "02:00:00:00:01:01" and
               m["fe3"]["mac"] == "02:00:00:00:01:03", "MACs %s" % m)
        verify(m["fe2"]["mac"] == "unknown" and m["fe4"]["mac"] == "unknown",
               "unanswered members have MACs: %s" % m)
        n = got["neigh"]
        verify(n["198.51.100.11"]["state"] == "reachable" and
               n["198.51.100.11"]["wanted"] == 1, "neighbor %s" % n)
        verify(n["198.51.100.12"]["mac"] == "none", "neighbor %s" % n)

    def test_stale_member_without_check_fails(self):
        """Steps: four members without MACs, a service without a health
        check, short ARP timing (reachable 1 s, 2 probes 0.1 s apart,
        retries 0.1 s apart, arp.stale_retries 2); ARP replies from fe1
        and fe3 once, then silence.
        Verify: fe1 and fe3 resolve, go stale and then fail (issue 17):
        neigh_failed counts exactly those two (fe2 and fe4, never
        resolved, count as neigh_lost instead); their neighbor entries
        have no MAC and are still being resolved (failed or
        incomplete), and the members' MACs are unknown (not selected)."""
        got = {}

        def inspect(d):
            got["members"] = d.members()
            got["neigh"] = d.neighbors()
        cfg = base_config(members_without_macs(), self.services,
                          arp={"reachable_time": 1, "probe_interval": 0.1,
                               "probes": 2, "retry_interval": 0.1,
                               "stale_retries": 2})
        run = run_pcap("neigh_stale_fail", cfg, [reply_from(1), reply_from(3)],
                       until=lambda s: s["neigh_failed"] >= 2,
                       what="two stale members failed", inspect=inspect)
        st = run.stats
        verify(st["neigh_failed"] == 2 and st["neigh_stale"] >= 2 and
               st["neigh_resolved"] >= 2 and st["neigh_lost"] >= 2,
               "counters %s" % {k: st[k] for k in (
                   "neigh_failed", "neigh_stale", "neigh_resolved",
                   "neigh_lost")})
        n = got["neigh"]
        for a in ("198.51.100.11", "198.51.100.13"):
            verify(n[a]["mac"] == "none" and
                   n[a]["state"] in ("failed", "incomplete") and
                   n[a]["wanted"] == 1, "neighbor %s: %s" % (a, n[a]))
        m = got["members"]
        verify(m["fe1"]["mac"] == "unknown" and m["fe3"]["mac"] == "unknown",
               "failed members keep MACs: %s" % m)
        verify(run.stats["arp_request_out"] > 8, "probing stopped")

    def test_learns_from_arp_on_the_wire(self):
        """Steps: an ARP request from a host on the segment asking for
        someone else, and one from outside the port's subnet.
        Verify: the segment host is in the neighbor table with its MAC
        (not wanted); the outsider is not."""
        got = {}
        req = (Ether(src="02:00:00:00:00:77", dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc="02:00:00:00:00:77", psrc="198.51.100.77",
                   pdst="198.51.100.78"))
        outsider = (Ether(src="02:00:00:00:00:88", dst="ff:ff:ff:ff:ff:ff") /
                    ARP(op=1, hwsrc="02:00:00:00:00:88", psrc="192.0.2.8",
                        pdst="198.51.100.78"))

        def inspect(d):
            got["neigh"] = d.neighbors()
        run_pcap("neigh_learn", base_config(four_members(), self.services),
                 [req, outsider], until=lambda s: s["arp_ignored"] >= 2,
                 inspect=inspect)
        n = got["neigh"]
        verify("198.51.100.77" in n and
               n["198.51.100.77"]["mac"] == "02:00:00:00:00:77" and
               n["198.51.100.77"]["wanted"] == 0, "not learnt: %s" % n)
        verify("192.0.2.8" not in n, "learnt an off-subnet sender: %s" % n)

    def test_static_mac_not_replaced(self):
        """Steps: members with static MACs; an ARP reply claims fe1's
        address is at another MAC.
        Verify: fe1 keeps its configured MAC and no request is sent for
        any member."""
        got = {}

        def inspect(d):
            got["members"] = d.members()
        run = run_pcap("neigh_static", base_config(four_members(),
                                                   self.services),
                       [reply_from(1, "02:00:00:00:66:66")],
                       until=lambda s: s["arp_reply_in"] >= 1,
                       inspect=inspect)
        verify(got["members"]["fe1"]["mac"] == "02:00:00:00:00:11",
               "static MAC replaced: %s" % got["members"]["fe1"])
        verify(run.stats["arp_request_out"] == 0, "resolved a static member")
