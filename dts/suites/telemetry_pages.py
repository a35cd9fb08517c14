# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""DPDK telemetry lists in pages: every member and every service, each
page whole."""

from framework import (Dsrlb, TestSuite, WORKERS, base_config, pcap_port,
                       scratch_dir, verify, write_queue_pcaps)

VIP = "198.51.100.100"
N_SERVICES = 256     # LB_MAX_SERVICES
N_MEMBERS = 250      # 198.51.100.3-252 but the VIP's address


def members():
    addrs = [a for a in range(3, 254) if a != 100][:N_MEMBERS]
    return [{"name": "m%03d" % a, "address": "198.51.100.%d" % a,
             "mac": "02:00:00:00:01:%02x" % a} for a in addrs]


class TelemetryPages(TestSuite):
    """/dsrlb/services and /dsrlb/members with more entries than one
    answer holds: 256 services (the most a balancer has) of 250
    members each, 250 members.

    Set-up: one dsrlb on net_pcap0 (no traffic)."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("tel")
        cfg = base_config(members(), [
            {"name": "s%03d" % i, "vip": VIP, "protocol": "tcp",
             "port": 1000 + i} for i in range(N_SERVICES)])
        rx, tx, _ = write_queue_pcaps(self.dir, [], WORKERS)
        self.d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                       name="tel", workdir=self.dir,
                       workers=WORKERS).start()

    def tear_down_suite(self):
        if hasattr(self, "d"):
            rc = self.d.stop()
            verify(rc == 0, "dsrlb exited %s" % rc)

    def walk(self, command, key):
        """Every page of command: [(entries, next)], following "/next"
        until a page has none."""
        pages, params = [], ""
        while len(pages) <= 300:
            page = self.d.telemetry.query(command + params)
            nxt = page.pop("/next", None)
            pages.append(([e[key] for e in page.values()], nxt))
            if nxt is None:
                return pages
            params = ",%d" % nxt
        raise AssertionError("%s: more than 300 pages" % command)

    def test_services_in_pages(self):
        """Steps: /dsrlb/services, then with each page's "/next".
        Verify: every page but the last says "/next"; each page holds
        whole entries, each listing its 250 active members; the pages
        together hold each of the 256 services once."""
        pages = self.walk("/dsrlb/services", "name")
        names = [n for entries, _ in pages for n in entries]
        verify(len(pages) > 1, "one page of %d services" % len(names))
        verify(sorted(names) == ["s%03d" % i for i in range(N_SERVICES)],
               "services over %d pages: %d, %d distinct"
               % (len(pages), len(names), len(set(names))))
        verify(all(nxt is not None for _, nxt in pages[:-1]),
               "a page before the last without /next")
        first = self.d.telemetry.query("/dsrlb/services")
        first.pop("/next", None)
        verify(all(len(s["active"]) == N_MEMBERS and
                   s["active_count"] == N_MEMBERS for s in first.values()),
               "a service's active members cut short: %s"
               % [(len(s["active"]), s["active_count"])
                  for s in first.values()])

    def test_members_in_pages(self):
        """Steps: /dsrlb/members page by page, and through the suite
        framework's helper. Verify: each of the 250 members once, on
        more than one page; the helper sees them all."""
        pages = self.walk("/dsrlb/members", "name")
        names = [n for entries, _ in pages for n in entries]
        verify(len(pages) > 1, "one page of %d members" % len(names))
        verify(sorted(names) == sorted(m["name"] for m in members()),
               "members over %d pages: %d, %d distinct"
               % (len(pages), len(names), len(set(names))))
        verify(len(self.d.members()) == N_MEMBERS,
               "framework helper: %d members" % len(self.d.members()))

    def test_bad_page_parameter(self):
        """Verify: a parameter that is not a number is refused; one past
        the end gives an empty page."""
        empty = self.d.telemetry.query("/dsrlb/members,99999")
        verify(empty == {} or empty == [],
               "past the end: %d entries" % len(empty or ()))
        bad = self.d.telemetry.query("/dsrlb/members,next")
        verify(bad is None, "a bad parameter: %s" % bad)
