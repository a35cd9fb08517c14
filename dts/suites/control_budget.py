# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""flows.list walks a bounded number of table positions a request."""

import os

from framework import (Ctl, Dsrlb, TestSuite, WORKERS, base_config,
                       four_members, pcap_port, scratch_dir, verify,
                       write_queue_pcaps)

VIP = "198.51.100.100"
CAPACITY = 1 << 20           # flows in all: at least as many positions
PER_REQUEST = 1 << 18        # positions one request looks at (lb_ctl.h)


class ControlBudget(TestSuite):
    """A flows.list whose filter matches nothing, over tables of 2^20
    positions, answers a page at a time instead of walking them all in
    one request (which would hold the master for tens of milliseconds).

    Set-up: one dsrlb on net_pcap0, flows.capacity 2^20, no traffic."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("budget")
        self.sock = os.path.join(self.dir, "run", "dsrlb.sock")
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["flows"] = {"capacity": CAPACITY}
        cfg["control_socket"] = self.sock
        rx, tx, _ = write_queue_pcaps(self.dir, [], WORKERS)
        self.d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                       name="budget", workdir=self.dir,
                       workers=WORKERS).start()
        self.c = Ctl(self.sock)

    def tear_down_suite(self):
        if not hasattr(self, "d"):
            return
        if hasattr(self, "c"):
            self.c.close()
        rc = self.d.stop()
        verify(rc == 0, "dsrlb exited %s" % rc)

    def test_walk_in_bounded_requests(self):
        """Steps: flows.list with a client filter no flow matches, then
        with each answer's cursor until it says null.
        Verify: every answer holds no flow; it takes at least
        2^20 / 2^18 = 4 requests (each looks at 2^18 positions at
        most), and the walk ends (a bound on the requests)."""
        params = {"client": "192.0.2.254", "limit": 10000}
        calls, nxt = 0, None
        while calls < 1000:
            p = dict(params)
            if nxt is not None:
                p["cursor"] = nxt
            r = self.c.call("flows.list", p)
            calls += 1
            verify(r["flows"] == [], "flows matched: %s" % r["flows"][:3])
            nxt = r["next"]
            if nxt is None:
                break
        verify(nxt is None, "the walk did not end in 1000 requests")
        verify(calls >= CAPACITY // PER_REQUEST,
               "the walk took %d requests: more than 2^18 positions in "
               "one" % calls)
