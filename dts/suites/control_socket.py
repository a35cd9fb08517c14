# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The JSON-RPC control socket: methods, errors, bad clients."""

import os
import socket
import stat

from scapy.all import ARP, IP, TCP, Ether

from framework import (PCAP_MAC, WORKERS, Ctl, Dsrlb, TestSuite,
                       base_config, four_members, pcap_port, scratch_dir,
                       verify, write_queue_pcaps)

VIP = "198.51.100.100"


class ControlSocket(TestSuite):
    """JSON-RPC 2.0 on a Unix socket (mode 0660): read methods,
    member.set and activate/deactivate through the core, errors with
    JSON-RPC codes naming the param, oversized and stalled clients
    dropped without delaying anyone else.

    Set-up: one dsrlb (default workers) on net_pcap0 with a pcap per
    queue (default steering: the 40 SYNs spread over the workers, the
    ARP request on queue 0), running until every packet is handled;
    counts read over the socket are summed over the workers."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("ctl")
        self.sock = os.path.join(self.dir, "run", "dsrlb.sock")
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110},
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True}])
        cfg["control_socket"] = self.sock
        arp = (Ether(src="02:00:00:00:00:77", dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc="02:00:00:00:00:77", psrc="198.51.100.77",
                   pdst="198.51.100.78"))
        rx, tx, _ = write_queue_pcaps(
            self.dir, [Ether(src="02:00:00:00:00:01", dst=PCAP_MAC) /
                       IP(src="203.0.113.%d" % i, dst=VIP) /
                       TCP(sport=1000 + i, dport=110, flags="S")
                       for i in range(1, 41)] + [arp], WORKERS)
        self.d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                       name="ctl", workdir=self.dir,
                       workers=WORKERS).start()
        self.d.wait_stats(lambda s: s["rx"] >= 41 and s["arp_ignored"] >= 1,
                          "packets handled")
        self.c = Ctl(self.sock)

    def tear_down_suite(self):
        if not hasattr(self, "d"):
            return
        if hasattr(self, "c"):
            self.c.close()
        rc = self.d.stop()
        verify(rc == 0, "dsrlb exited %s" % rc)
        verify(not os.path.exists(self.sock), "socket left behind")

    def test_socket_mode(self):
        """Verify: the socket exists with mode 0660."""
        mode = stat.S_IMODE(os.stat(self.sock).st_mode)
        verify(mode == 0o660, "mode %o" % mode)

    def test_read_methods(self):
        """Steps: status, stats, members.list, services.list,
        health.list, neighbors.list, help.
        Verify: each answers; counts and traffic match what was sent."""
        st = self.c.call("status")
        verify(st["members"] == 4 and st["services"] == 2 and
               st["active"] is True and st["ports"][0]["name"] == "lan0",
               "status %s" % st)
        stats = self.c.call("stats")
        verify(stats["rx"] == 41 and stats["workers"]["fwd"] == 40,
               "stats rx %s fwd %s" % (stats["rx"], stats["workers"]["fwd"]))
        members = self.c.call("members.list")
        verify([m["name"] for m in members] == ["fe1", "fe2", "fe3", "fe4"]
               and sum(m["traffic"]["flows"] for m in members) == 40,
               "members %s" % members)
        services = {s["name"]: s for s in self.c.call("services.list")}
        verify(services["pop3"]["traffic"]["packets"] == 40 and
               services["sip-udp"]["vip"] == "*" and
               services["sip-udp"]["stateless"] is True,
               "services %s" % services)
        verify(self.c.call("health.list") == [], "health checks listed")
        neigh = self.c.call("neighbors.list")
        verify(len(neigh) == 1 and neigh[0]["address"] == "198.51.100.77"
               and neigh[0]["mac"] == "02:00:00:00:00:77" and
               neigh[0]["wanted"] is False and neigh[0]["port"] == "lan0",
               "neighbors %s" % neigh)
        names = {m["method"] for m in self.c.call("help")}
        verify({"member.set", "activate", "deactivate"} <= names,
               "help lists %s" % names)

    def test_member_set(self):
        """Steps: member.set fe2 drain and weight 50; then back.
        Verify: members.list and services.list show it (state drain in
        the service: keeps flows, no new ones); invalid values are
        refused and change nothing."""
        r = self.c.call("member.set", {"name": "fe2", "state": "drain",
                                       "weight": 50})
        verify(r["state"] == "drain" and r["weight"] == 50, "reply %s" % r)
        pop3 = [s for s in self.c.call("services.list")
                if s["name"] == "pop3"][0]
        fe2 = [m for m in pop3["members"] if m["name"] == "fe2"][0]
        verify(fe2["state"] == "drain", "service view %s" % fe2)
        bad = self.c.request("member.set", {"name": "fe2", "state": "gone",
                                            "weight": 10})
        verify(bad["error"]["code"] == -32602 and
               "params.state" in bad["error"]["message"], "%s" % bad)
        m = [m for m in self.c.call("members.list") if m["name"] == "fe2"][0]
        verify(m["weight"] == 50 and m["state"] == "drain",
               "half-applied: %s" % m)
        self.c.call("member.set", {"name": "fe2", "state": "up",
                                   "weight": 100})

    def test_activate_deactivate(self):
        """Steps: deactivate, then activate.
        Verify: status follows; both answer {"active": ...}."""
        verify(self.c.call("deactivate") == {"active": False}, "deactivate")
        verify(self.c.call("status")["active"] is False, "still active")
        verify(self.c.call("activate") == {"active": True}, "activate")
        verify(self.c.call("status")["active"] is True, "still standby")

    def test_error_codes(self):
        """Steps: bad JSON, a non-object, no jsonrpc, an unknown method,
        a param of the wrong type, an unknown param, a missing param, an
        unknown member, a notification, a batch.
        Verify: the JSON-RPC 2.0 codes (-32700, -32600, -32601, -32602,
        -32001), messages naming the param; no answer to the
        notification; the batch answered as an array."""
        self.c.send_line("{nope\n")
        verify(self.c.read_line()["error"]["code"] == -32700, "parse")
        self.c.send_line("[]\n")
        verify(self.c.read_line()["error"]["code"] == -32600, "empty batch")
        self.c.send_line('"x"\n')
        verify(self.c.read_line()["error"]["code"] == -32600, "non-object")
        self.c.send_line('{"method": "status", "id": 1}\n')
        verify(self.c.read_line()["error"]["code"] == -32600, "no jsonrpc")
        r = self.c.request("flows.explode")
        verify(r["error"]["code"] == -32601, "%s" % r)
        for params, where in (({"name": 7}, "params.name"),
                              ({"name": "fe1", "colour": "red"},
                               "params.colour"),
                              ({"weight": 1}, "params.name")):
            r = self.c.request("member.set", params)
            verify(r["error"]["code"] == -32602 and
                   where in r["error"]["message"], "%s: %s" % (params, r))
        r = self.c.request("member.set", {"name": "fe9", "weight": 1})
        verify(r["error"]["code"] == -32001, "%s" % r)
        self.c.send_line('{"jsonrpc": "2.0", "method": "status"}\n'
                         '[{"jsonrpc": "2.0", "method": "status", "id": "a"},'
                         ' {"jsonrpc": "2.0", "method": "stats", "id": "b"}]\n')
        batch = self.c.read_line()
        verify(isinstance(batch, list) and [x["id"] for x in batch] ==
               ["a", "b"], "notification answered or batch wrong: %s"
               % str(batch)[:200])

    def test_oversized_request_dropped(self):
        """Steps: a client sends 2 MiB without a newline.
        Verify: it gets -32600 "larger than 1 MiB" and is disconnected;
        another client is answered."""
        big = Ctl(self.sock)
        try:
            try:
                big.send_line(b"[" + b" " * (2 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = big.read_line()
            verify(r["error"]["code"] == -32600 and
                   "1 MiB" in r["error"]["message"], "%s" % r)
        finally:
            big.close()
        verify(self.c.call("status")["members"] == 4, "server stuck")

    def test_stalled_client_does_not_block(self):
        """Steps: one client sends half a request and stops; another
        asks for status.
        Verify: the second is answered while the first still hangs."""
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(self.sock)
        try:
            slow.sendall(b'{"jsonrpc": "2.0", "method": "sta')
            verify(self.c.call("status")["services"] == 2,
                   "blocked by a stalled client")
        finally:
            slow.close()
