# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Flow sync that holds over days (issue 20), in the namespace lab: two
balancers in mode vrrp (no keepalived: the cases switch them with
activate/deactivate), wrr, flow sync with the lab's key, short timeouts
so what ages out does so within a case."""

import os
import time

from framework import TestFailure, TestSuite, verify, wait_for
from halab import HaLab, VIP
from labnet import CLIENT

UDP_TIMEOUT = 3
TCP_TIMEOUT = 12
FIN_TIMEOUT = 2
# the refresh period: a third of the shortest timeout, at least 1 s
REFRESH = max(min(TCP_TIMEOUT, UDP_TIMEOUT) / 3.0, 1.0)
# what a wait for something to age out allows beyond its bound: the
# sweeper, the control socket's view, a loaded CI machine (the old
# behaviour is "never", so the bound still tells them apart)
SLACK = 10
ECHO_PORT = 7
UDP_SPORT = 41007
IDLE_MS = 3600 * 1000        # sessions that say nothing after opening


class LabHaSync(TestSuite):
    """Two dsrlb, wrr and flow sync; one active. Verifies the origin
    rules end to end: learned copies are never announced back, a peer
    never extends a flow this balancer carries, closed flows stay
    closed, copies live as long as the flow plus a refresh period; sync
    traffic follows traffic, not table size; persistence records reach
    a restarted standby."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = HaLab(n_balancers=2)
        self.lab.build()

    def tear_down_suite(self):
        if hasattr(self, "lab"):
            self.lab.teardown()

    def tear_down_test(self):
        for b in self.lab.lbs:
            b.stop()

    # ---- helpers ----

    def config(self, b, persistence=0):
        lab = self.lab
        ha = {"mode": "vrrp", "sync": lab.sync_conf(b)}
        if not os.environ.get("DSRLB_SYNC_KEYLESS"):
            ha["shutdown_grace_ms"] = 0     # (an older build knows none)
        cfg = lab.balancer_config(b, ha=ha, scheduler="wrr",
                                  persistence=persistence)
        cfg["flows"] = {"capacity": 65536, "udp_timeout": UDP_TIMEOUT,
                        "tcp_timeout": TCP_TIMEOUT,
                        "fin_timeout": FIN_TIMEOUT}
        cfg["services"].append({"name": "echo", "vip": VIP,
                                "protocol": "udp", "port": ECHO_PORT,
                                "scheduler": "wrr"})
        return cfg

    def start_pair(self, persistence=0):
        """Both started (standby), resolved, their bulk sync over; the
        first activated: (active, standby)."""
        for b in self.lab.lbs:
            b.start(self.config(b, persistence))
        for b in self.lab.lbs:
            b.wait_resolved()
        wait_for(lambda: all((b.ha_status().get("sync") or {}).get("bulk")
                             != "waiting" for b in self.lab.lbs),
                 "bulk sync done", timeout=30)
        active, standby = self.lab.lbs
        active.call("activate")
        wait_for(active.active, "%s active" % active.name, timeout=10)
        return active, standby

    @staticmethod
    def flows(b, port=None):
        """The client's flows in b's tables (to port, if given)."""
        out, params = [], {"client": CLIENT, "limit": 10000}
        while True:
            r = b.call("flows.list", params)
            out += [f for f in r["flows"]
                    if port is None or f["port"] == port]
            if not r.get("next"):
                return out
            params["cursor"] = r["next"]

    def udp_datagrams(self, count):
        """count UDP datagrams of one flow from the client to VIP:7."""
        from scapy.all import IP, UDP, Ether
        lab = self.lab
        gw = lab.mac_of(lab.ns_router, "cli0")
        own = lab.mac_of(lab.ns_client, "eth0")
        frames = [Ether(src=own, dst=gw) / IP(src=CLIENT, dst=VIP) /
                  UDP(sport=UDP_SPORT, dport=ECHO_PORT) / b"sync-test"
                  for _ in range(count)]
        lab.send_frames(lab.ns_client, "eth0", frames, wait=0)

    def wait_gone(self, b, sports, what, bound):
        """Until b holds none of the client's flows from sports (a
        set of (port, client port)); at most bound seconds."""
        t0 = time.monotonic()
        wait_for(lambda: not {(f["port"], f["client_port"])
                              for f in self.flows(b)} & sports,
                 "%s: %s gone" % (b.name, what), timeout=bound,
                 interval=0.2)
        return time.monotonic() - t0

    def verify_stays_gone(self, sports, what, seconds):
        """For seconds (two refresh periods: a peer's refresh would
        have come), neither balancer gets any of them back."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for b in self.lab.lbs:
                back = [f for f in self.flows(b)
                        if (f["port"], f["client_port"]) in sports]
                verify(not back, "%s: %s back: %s" % (b.name, what,
                                                      back[:3]))
            time.sleep(0.2)

    # ---- cases ----

    def test_idle_udp_and_closed_tcp_flows_leave_both_tables(self):
        """Steps: a UDP flow to the wrr echo service (two datagrams, then
        silence); 8 POP3 sessions, idle after the greeting; once the
        standby holds copies (origin "peer") of what it could not
        compute, the sessions QUIT (FIN).
        Verify: the standby's copies are learned, never announced back;
        the closed sessions leave both tables within the closing timeout
        plus a refresh period (and SLACK), and the idle UDP flow within
        its timeout plus a refresh period (and SLACK); for two refresh
        periods after, neither balancer gets any back (the old refresh
        re-announced each other's copies: the UDP flow stayed on both,
        closed sessions came back as established)."""
        lab = self.lab
        active, standby = self.start_pair()
        self.udp_datagrams(2)
        udp = {(ECHO_PORT, UDP_SPORT)}
        wait_for(lambda: any(f["state"] == "udp" for f in
                             self.flows(active, ECHO_PORT)),
                 "the UDP flow confirmed on %s" % active.name, timeout=10)
        t_udp = time.monotonic()
        p, started = lab.start_sessions(110, 8, interval_ms=IDLE_MS)
        sports = {(110, s["sport"]) for s in started if "error" not in s}
        verify(len(sports) == 8, "sessions: %s" % started)
        try:
            # wrr placed most of them where the hash would not
            copies = wait_for(lambda: [f for f in self.flows(standby, 110)
                                       if (110, f["client_port"]) in
                                       sports] or None,
                              "%s: copies of the sessions" % standby.name,
                              timeout=20)
            verify(all(f["origin"] == "peer" for f in copies),
                   "copies not learned: %s" % copies[:3])
            verify(all(f["origin"] == "local"
                       for f in self.flows(active, 110)),
                   "%s learned its own sessions back: %s" % (
                       active.name, self.flows(active, 110)[:3]))
            print("    %d of 8 sessions copied to %s" % (len(copies),
                                                       standby.name))
        finally:
            lab.stop_sessions(p)
        took = {b.name: self.wait_gone(b, sports, "the closed sessions",
                                       FIN_TIMEOUT + REFRESH + SLACK)
                for b in lab.lbs}
        print("    closed sessions gone after %s s (bound %.0f s)" % (
            {k: round(v, 1) for k, v in took.items()},
            FIN_TIMEOUT + REFRESH + SLACK))
        self.verify_stays_gone(sports, "closed sessions", 2 * REFRESH)
        left = UDP_TIMEOUT + REFRESH + SLACK - (time.monotonic() - t_udp)
        took = {b.name: self.wait_gone(b, udp, "the idle UDP flow",
                                       max(left, 1)) for b in lab.lbs}
        print("    idle UDP flow gone %.1f s after its last datagram"
              % (time.monotonic() - t_udp))
        self.verify_stays_gone(udp, "the idle UDP flow", 2 * REFRESH)

    def test_idle_table_sends_nothing_and_a_flush_holds(self):
        """Steps: 40 POP3 sessions, idle after the greeting; once the
        standby holds its copies and a refresh period passed, sync
        messages of both balancers counted over three refresh periods;
        flows.flush on the active only; two refresh periods; then
        flows.flush on the standby too; two refresh periods.
        Verify: neither balancer sent a sync message while the table sat
        idle (the old refresh walk re-announced every synced flow each
        round); the flushed active gets none of the sessions back from
        its peer (the old standby re-announced its copies); after both
        flushes neither holds any."""
        lab = self.lab
        active, standby = self.start_pair()
        p, started = lab.start_sessions(110, 40, interval_ms=IDLE_MS)
        sports = {(110, s["sport"]) for s in started if "error" not in s}
        try:
            wait_for(lambda: any((110, f["client_port"]) in sports
                                 for f in self.flows(standby, 110)),
                     "%s: copies of the sessions" % standby.name,
                     timeout=20)
            # the round after the one that saw them start re-announces
            # what saw a packet since: let it pass
            time.sleep(2 * REFRESH)
            base = {b.name: b.stats()["master"]["sync_msgs_out"]
                    for b in lab.lbs}
            time.sleep(3 * REFRESH)
            sent = {b.name: b.stats()["master"]["sync_msgs_out"] -
                    base[b.name] for b in lab.lbs}
            print("    sync messages over %.0f s of an idle table: %s" % (
                3 * REFRESH, sent))
            verify(all(n == 0 for n in sent.values()),
                   "sync messages while nothing happened: %s" % sent)
            active.call("flows.flush", {"service": "pop3"})
            verify(not [f for f in self.flows(active, 110)
                        if (110, f["client_port"]) in sports],
                   "%s: the flush left flows" % active.name)
            time.sleep(2 * REFRESH)
            back = [f for f in self.flows(active, 110)
                    if (110, f["client_port"]) in sports]
            verify(not back, "%s: its peer put flushed flows back: %s"
                   % (active.name, back[:3]))
            standby.call("flows.flush", {"service": "pop3"})
            time.sleep(2 * REFRESH)
            for b in lab.lbs:
                held = [f for f in self.flows(b, 110)
                        if (110, f["client_port"]) in sports]
                verify(not held, "%s after both flushes: %s" % (b.name,
                                                              held[:3]))
        finally:
            # their flows are gone from both tables: nothing may answer
            # their goodbyes, which the client would wait 5 s for, and
            # the case does not look at them: end it at once
            lab.kill_sessions(p)

    def test_persistence_survives_restart_and_takeover(self):
        """Steps: pop3 with persistence 60 s; 8 client addresses
        (203.0.113.100-107) each connect once to the active; the standby
        restarts (its records are gone: it learns them from its peer's
        bulk answer); the active hands over (deactivate, then activate
        the other); each address connects again.
        Verify: every address's second connection lands on the member of
        its first (the old bulk sync carried no persistence records: wrr
        would have spread them)."""
        lab = self.lab
        active, standby = self.start_pair(persistence=60)
        sources = ["203.0.113.%d" % (100 + i) for i in range(8)]
        for src in sources:
            lab.ns(lab.ns_client, "ip", "addr", "add", src + "/24", "dev",
                   "eth0")
        try:
            first = self.connect_from(sources)
            verify(len(set(first.values())) > 1,
                   "wrr put every client on one member: %s" % first)
            standby.restart()
            standby.wait_resolved()
            wait_for(lambda: (standby.ha_status().get("sync") or {}).get(
                "bulk") == "done", "%s: bulk sync done" % standby.name,
                timeout=30)
            active.call("deactivate")
            standby.call("activate")
            wait_for(standby.active, "%s active" % standby.name,
                     timeout=10)
            again = self.connect_from(sources)
            moved = {s: (first[s], again[s]) for s in sources
                     if first[s] != again[s]}
            print("    members %s; moved %s" % (first, moved))
            verify(not moved, "clients moved after the takeover: %s"
                   % moved)
        finally:
            for src in sources:
                lab.ns(lab.ns_client, "ip", "addr", "del", src + "/24",
                       "dev", "eth0", check=False)

    def connect_from(self, sources):
        """One POP3 connection from each address: {address: member}."""
        res = self.lab.client("tcp-from", VIP, 110, *sources)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%d connections failed: %s" % (len(bad), bad[:3]))
        return {src: r["server"] for src, r in zip(sources, res)}

    def test_key_rotation_by_reload(self):
        """Steps: the pair with the lab's key (id 1); from the peer's
        address and MAC, a message signed with a new key as id 2; the
        key file given both keys (1 first), config.reload on balancer 1;
        the message again (a new sequence number); the file made
        readable by others, config.reload; then the keys' order swapped,
        config.reload.
        Verify: key 2 is unknown at first (sync_drop_key +1, nothing
        taken); after the reload balancer 1 holds keys [1, 2], still
        signs with 1, and takes the message (sync_msgs_in +1); the reload
        of the unsafe file is refused naming
        high_availability.sync.key_file and its mode, and the keys stay;
        after the swap it signs with 2."""
        import os as _os
        from scapy.all import IP, UDP, Ether
        lab = self.lab
        target, peer = self.start_pair()
        new_key = bytes(range(100, 132))
        record = (1, 6, 1, "203.0.113.98", VIP, 40002, 110,
                  lab.fe_addr(3), 60000)

        def send(counter):
            payload = lab.sync_message(records=[record], key=new_key,
                                       key_id=2)
            fr = (Ether(src=peer.dp_mac, dst=target.dp_mac) /
                  IP(src=peer.addr, dst=target.addr, ttl=255) /
                  UDP(sport=lab.SYNC_PORT, dport=lab.SYNC_PORT) / payload)
            base = target.stats()["master"]
            lab.send_frames(peer.ns, "up0", [fr], wait=0)
            return base, target.wait_stats_master(counter, base)

        def keys():
            st = target.ha_status().get("sync") or {}
            return st.get("key_ids"), st.get("sending_key")

        verify(keys() == ([1], 1), "keys at start: %s" % (keys(),))
        base, m = send("sync_drop_key")
        verify(m["sync_msgs_in"] == base["sync_msgs_in"],
               "a message of an unknown key was taken")
        path = lab.sync_key_file(keys=[(1, lab.sync_key()), (2, new_key)])
        target.call("config.reload")
        verify(keys() == ([1, 2], 1), "keys after adding 2: %s" % (keys(),))
        send("sync_msgs_in")
        _os.chmod(path, 0o644)
        try:
            target.call("config.reload")
            verify(False, "a reload with a key file others may read was "
                   "taken")
        except TestFailure as e:
            verify("high_availability.sync.key_file" in str(e) and
                   "chmod 600" in str(e), "refused, but: %s" % e)
            print("    refused: %s" % e)
        verify(keys() == ([1, 2], 1), "keys after a refused reload: %s"
               % (keys(),))
        lab.sync_key_file(keys=[(2, new_key), (1, lab.sync_key())])
        target.call("config.reload")
        verify(keys() == ([2, 1], 2), "keys after the swap: %s" % (keys(),))
        print("    key ids %s, sending with %d" % keys())
