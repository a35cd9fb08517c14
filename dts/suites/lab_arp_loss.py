# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A member whose ARP goes unanswered for a while, in the namespace lab:
dsrlb keeps its last MAC (stale) and its connections."""

import time

from framework import TestSuite, TestFailure, verify, wait_for
from labnet import Lab, sh, verify_sessions_answered

CHECK = {"type": "pop3", "interval": 0.5, "timeout": 0.4, "rise": 2,
         "fall": 3}
# Fast ARP timing, so a refresh round fails within the loss. (The
# reachable time is 4 s, not 3: dsrlb refuses 3 s for 2 probes 0.5 s
# apart, which must fit in its last quarter.)
ARP = {"reachable_time": 4, "probe_interval": 0.5, "probes": 2,
       "retry_interval": 1}
SESSIONS = 16
INTERVAL_MS = 200
LOSS_S = 10        # how long ARP is dropped: the fault's duration
TABLE = "dsrlbtest"


class LabArpLoss(TestSuite):
    """ARP to and from one member is lost for 10 s while it serves
    long-lived POP3 sessions: dsrlb marks its neighbor stale, keeps its
    MAC for the member, and the health checks, not ARP, keep it up; its
    sessions survive, and ARP comes back by itself."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True)
        self.lab.build()
        self.lab.start_dsrlb(self.lab.config(checks={"pop3": CHECK},
                                             arp=ARP))
        self.lab.wait_resolved()
        for i in range(1, 5):
            self.lab.wait_health("pop3", "fe%d" % i, "up")

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        self.unblock()
        rc = self.lab.teardown()
        verify(rc == 0, "dsrlb exited %s on SIGTERM" % rc)

    def nft(self, *args, check=True):
        return sh("ip", "netns", "exec", self.lab.ns_lb, "nft", *args,
                  check=check)

    def block_arp(self, port):
        """Drop every ARP frame the segment's bridge forwards to or from
        its port `port`."""
        self.nft("add", "table", "bridge", TABLE)
        self.nft("add", "chain", "bridge", TABLE, "arploss",
                 "{ type filter hook forward priority 0 ; policy accept ; }")
        self.nft("add", "rule", "bridge", TABLE, "arploss", "ether", "type",
                 "arp", "iifname", port, "counter", "drop")
        self.nft("add", "rule", "bridge", TABLE, "arploss", "ether", "type",
                 "arp", "oifname", port, "counter", "drop")

    def unblock(self):
        if hasattr(self, "lab"):
            self.nft("delete", "table", "bridge", TABLE, check=False)

    def dropped(self):
        """ARP frames the rules dropped: [from the port, to it]."""
        out = self.nft("list", "table", "bridge", TABLE)
        return [int(l.split("packets")[1].split()[0])
                for l in out.splitlines() if "packets" in l]

    def test_arp_loss_keeps_stale_mac_and_sessions(self):
        """Steps: 16 POP3 sessions, a NOOP on each every 200 ms; pick
        feN, the frontend holding most of them; drop every ARP frame to
        and from feN's bridge port with nftables for 10 s (until a stale
        neighbor was seen, at least), polling the control socket the
        whole time; restore ARP; poll until feN's neighbor is reachable
        again; let the sessions run three more rounds; stop them.
        Verify: during the loss, neighbors.list shows feN's address
        stale with its MAC kept, members.list shows feN's MAC at every
        poll, the master counter neigh_stale increased, and no pop3
        check went down (feN's stays up); the rules did drop ARP to
        feN; afterwards feN's neighbor is reachable with the same MAC;
        every session survived, each answered by the frontend that
        greeted it, feN's included."""
        proc, started = self.lab.start_sessions(110, SESSIONS, INTERVAL_MS)
        error = None
        try:
            bad = [s for s in started if "error" in s]
            verify(not bad, "sessions not opened: %s" % bad[:5])
            spread = {}
            for s in started:
                spread[s["server"]] = spread.get(s["server"], 0) + 1
            fe = max(sorted(spread), key=lambda f: spread[f])
            n = int(fe[2:])
            addr, mac = self.lab.fe_addr(n), self.lab.fe_mac(n)
            self.lab.wait_session_rounds(started, 1)
            stale_before = self.lab.ctl.call("stats")["master"]["neigh_stale"]
            seen = {"stale": None, "member_macs": set(), "down": [],
                    "last": None}

            def poll():
                neigh = {x["address"]: x
                         for x in self.lab.ctl.call("neighbors.list")}
                seen["last"] = neigh[addr]
                if neigh[addr]["state"] == "stale" and seen["stale"] is None:
                    seen["stale"] = neigh[addr]
                for m in self.lab.ctl.call("members.list"):
                    if m["name"] == fe:
                        seen["member_macs"].add((m["mac"], m["mac_state"]))
                for c in self.lab.ctl.call("health.list"):
                    if c["state"] != "up":
                        seen["down"].append(c)
                return seen["stale"] is not None

            self.block_arp(fe)
            try:
                start = time.monotonic()
                try:
                    wait_for(poll, "%s's neighbor stale" % fe, timeout=30,
                             interval=0.1)
                except TestFailure as e:
                    raise TestFailure(
                        "%s: last neighbor entry %s, member MACs seen %s, "
                        "checks not up %s" % (e, seen["last"],
                                              seen["member_macs"],
                                              seen["down"][:3])) from e
                while time.monotonic() - start < LOSS_S:  # the fault lasts
                    poll()
                    time.sleep(0.1)
                stats = self.lab.ctl.call("stats")["master"]
                dropped = self.dropped()
            finally:
                self.unblock()
            back = wait_for(
                lambda: [x for x in self.lab.ctl.call("neighbors.list")
                         if x["address"] == addr and
                         x["state"] == "reachable"],
                "%s's neighbor reachable again" % fe)[0]
            self.lab.wait_session_rounds(started, 3)
            health = self.lab.ctl.call("health.list")
        except Exception as e:
            error = e
        summary = self.lab.stop_sessions(proc, error)
        failed = [s for s in summary["sessions"] if s["failed"]]

        print("    %s (%d sessions of %s): stale %s; member MACs seen %s; "
              "neigh_stale +%d; ARP dropped from/to %s; back %s"
              % (fe, spread[fe], spread, seen["stale"],
                 seen["member_macs"], stats["neigh_stale"] - stale_before,
                 dropped, back))
        verify(seen["stale"]["mac"] == mac, "stale neighbor %s lost its MAC"
               " %s" % (seen["stale"], mac))
        verify(seen["member_macs"] == {(mac, "resolved")},
               "members.list showed %s for %s during the loss, not only "
               "its MAC %s" % (seen["member_macs"], fe, mac))
        verify(stats["neigh_stale"] > stale_before, "neigh_stale %d, was %d"
               % (stats["neigh_stale"], stale_before))
        verify(not seen["down"], "checks not up during the loss: %s"
               % seen["down"][:5])
        # feN itself may have had nothing to ask or answer meanwhile
        verify(len(dropped) == 2 and dropped[1] > 0,
               "no ARP to %s dropped (from, to: %s)" % (fe, dropped))
        verify(back["mac"] == mac, "neighbor back as %s" % back)
        verify(all(c["state"] == "up" for c in health),
               "checks after the loss: %s"
               % [c for c in health if c["state"] != "up"])
        verify(not failed, "%d of %d sessions failed (%d on %s): %s"
               % (len(failed), SESSIONS,
                  sum(1 for s in failed if s["server"] == fe), fe,
                  failed[:5]))
        verify_sessions_answered(summary, started)
