# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The JSON-RPC control socket: methods, errors, bad clients."""

import grp
import json
import os
import socket
import stat
import subprocess
import sys
import time

from scapy.all import ARP, IP, TCP, Ether

from framework import (PCAP_MAC, WORKERS, Ctl, Dsrlb, TestSuite,
                       base_config, four_members, pcap_port, scratch_dir,
                       TestFailure, verify, wait_for, write_queue_pcaps)

VIP = "198.51.100.100"
SLOTS = 128          # LB_CTL_MAX_CLIENTS
IDLE = SLOTS + 22    # more idle connections than slots
BURST = 800          # clients connecting at once (under 1024 open files)
HAMMER = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "ctl_hammer.py")


def other_group():
    """(name, gid) of a group the process is not in, to give the
    sockets; a bare number if the system has none."""
    for g in grp.getgrall():
        if g.gr_gid not in (0, os.getegid()):
            return g.gr_name, g.gr_gid
    return "4242", 4242


def idle_connection(path):
    """A connection that never sends: connected blocking (a full listen
    queue makes connect wait, not fail), then non-blocking."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(None)
    s.connect(path)
    s.setblocking(False)
    return s


def admin_status(path):
    """status on a new connection, as an administrator would ask it
    (connect waits if the listen queue is full); its result."""
    s = idle_connection(path)
    try:
        s.settimeout(10)
        s.sendall(b'{"jsonrpc": "2.0", "method": "status", "id": 1}\n')
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise TestFailure("status: connection closed: %r" % buf)
            buf += chunk
        r = json.loads(buf.partition(b"\n")[0])
        verify("result" in r, "status: %s" % r)
        return r["result"]
    finally:
        s.close()


def closed_by_server(s):
    """What the server sent before closing s, or None if it is open."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except BlockingIOError:
            return None
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


class ControlSocket(TestSuite):
    """JSON-RPC 2.0 on a Unix socket (mode 0660, a configured group)
    and a read-only one: read methods, member.set and
    activate/deactivate through the core, write methods refused on the
    read-only socket, errors with JSON-RPC codes naming the param (also
    for numbers too large to decode), oversized and stalled clients
    dropped without delaying anyone else, idle and hammering clients
    unable to lock an administrator out.

    Set-up: one dsrlb (default workers) on net_pcap0 with a pcap per
    queue (default steering: the 40 SYNs spread over the workers, the
    ARP request on queue 0), running until every packet is handled;
    counts read over the socket are summed over the workers."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("ctl")
        self.sock = os.path.join(self.dir, "run", "dsrlb.sock")
        self.ro_sock = os.path.join(self.dir, "run", "dsrlb-ro.sock")
        self.group, self.gid = other_group()
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110},
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True}])
        cfg["control_socket"] = self.sock
        cfg["control_socket_readonly"] = self.ro_sock
        # the 40 SYNs stay in the tables for flows.list whatever the
        # order and speed of the cases
        cfg.setdefault("flows", {})["syn_timeout"] = 3600
        cfg["control_group"] = self.group
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
        """Verify: both sockets exist with mode 0660 and the configured
        group; the directory dsrlb made for them is 0750 with that
        group and holds nothing else."""
        for path in (self.sock, self.ro_sock):
            st = os.lstat(path)
            verify(stat.S_ISSOCK(st.st_mode) and
                   stat.S_IMODE(st.st_mode) == 0o660 and
                   st.st_gid == self.gid,
                   "%s: mode %o gid %d (want 0660, %d)"
                   % (path, stat.S_IMODE(st.st_mode), st.st_gid, self.gid))
        st = os.stat(os.path.dirname(self.sock))
        verify(stat.S_IMODE(st.st_mode) == 0o750 and st.st_gid == self.gid,
               "directory mode %o gid %d" % (stat.S_IMODE(st.st_mode),
                                             st.st_gid))
        left = sorted(os.listdir(os.path.dirname(self.sock)))
        verify(left == ["dsrlb-ro.sock", "dsrlb.sock"],
               "the directory holds %s" % left)

    def test_read_only_socket(self):
        """Steps: on the read-only socket: status, config.get, help,
        then deactivate, member.set, and member.set as a notification.
        Verify: the reads answer; help says which methods are
        read-only; the writes get -32004 "permission denied: <method>
        needs the read-write control socket" and change nothing."""
        ro = Ctl(self.ro_sock)
        try:
            verify(ro.call("status")["active"] is True, "status")
            verify("members" in ro.call("config.get"), "config.get")
            ro_flags = {m["method"]: m["read_only"] for m in ro.call("help")}
            verify(ro_flags.get("status") is True and
                   ro_flags.get("deactivate") is False and
                   ro_flags.get("member.set") is False,
                   "help read_only flags %s" % ro_flags)
            for method, params in (("deactivate", None),
                                   ("member.set", {"name": "fe1",
                                                   "weight": 7})):
                r = ro.request(method, params)
                verify(r.get("error", {}).get("code") == -32004 and
                       r["error"]["message"] ==
                       "permission denied: %s needs the read-write control"
                       " socket" % method, "%s: %s" % (method, r))
            ro.send_line(json.dumps({"jsonrpc": "2.0", "method": "member.set",
                                     "params": {"name": "fe1",
                                                "weight": 7}}) + "\n")
            verify(ro.call("status")["active"] is True, "deactivated")
        finally:
            ro.close()
        fe1 = [m for m in self.c.call("members.list") if m["name"] == "fe1"]
        verify(fe1[0]["weight"] == 100, "weight changed: %s" % fe1)

    def test_numbers_out_of_range(self):
        """Steps: member.set with weight 2^63, 1e400, -1e400, 70000,
        1.0 and 1e3; a status whose id is 1e400.
        Verify: invalid params (-32602) naming params.weight, with the
        request's id; the id case is a parse error; nothing changed."""
        for text, msg in (
                ("9223372036854775808", "params.weight: 9223372036854775808"
                 " is out of range [0, 65535]"),
                ("1e400", "params.weight: 1e400 is out of range [0, 65535]"),
                ("-1e400", "params.weight: -1e400 is out of range [0, 65535]"),
                ("70000", "params.weight: 70000 is out of range [0, 65535]"),
                ("1.0", "params.weight: expected an integer"),
                ("1e3", "params.weight: expected an integer")):
            self.c.send_line('{"jsonrpc": "2.0", "method": "member.set", '
                             '"params": {"name": "fe1", "weight": %s}, '
                             '"id": 77}\n' % text)
            r = self.c.read_line()
            verify(r.get("id") == 77 and r["error"]["code"] == -32602 and
                   r["error"]["message"].startswith(msg),
                   "weight %s: %s" % (text, r))
        self.c.send_line('{"jsonrpc": "2.0", "method": "status", '
                         '"id": 1e400}\n')
        r = self.c.read_line()
        verify(r["error"]["code"] == -32700 and r["id"] is None, "%s" % r)
        fe1 = [m for m in self.c.call("members.list") if m["name"] == "fe1"]
        verify(fe1[0]["weight"] == 100, "weight changed: %s" % fe1)

    def test_idle_connections_do_not_lock_out(self):
        """Steps: open 150 connections that send nothing (more than the
        128 slots), then a new client asks for status.
        Verify: status is answered; exactly 150 + 2 - 128 of the idle
        connections were closed by the server (the suite's own client
        and the new one hold a slot each), each told why; the suite's
        client, which asked things, was not."""
        # connections of earlier cases are gone once this is answered
        self.c.call("status")
        idle = [idle_connection(self.sock) for _ in range(IDLE)]
        try:
            verify(admin_status(self.sock)["members"] == 4, "status")
            # every connection before the admin's was accepted before
            # its status was answered: what was evicted is known now
            said = [closed_by_server(s) for s in idle]
            gone = [d for d in said if d is not None]
            verify(len(gone) == IDLE + 2 - SLOTS,
                   "%d idle connections closed, expected %d"
                   % (len(gone), IDLE + 2 - SLOTS))
            verify(all(b"closed to admit a new client" in d for d in gone),
                   "not told why: %s" % gone[:3])
            verify(self.c.call("status")["members"] == 4,
                   "the suite's client was evicted")
        finally:
            for s in idle:
                s.close()

    def test_connection_burst_queued(self):
        """Steps: 800 clients connect at once (non-blocking connects in
        a tight loop, far faster than dsrlb accepts: 16 a pass), then
        close; then a new client asks for status.
        Verify: the kernel queued every connection (none refused with
        EAGAIN: dsrlb's listen queue holds a burst; with the 64 places
        it had, a burst like this was turned away); status is
        answered."""
        limit = int(open("/proc/sys/net/core/somaxconn").read())
        burst = min(BURST, limit - 1)
        self.c.call("status")
        conns, refused = [], 0
        try:
            for _ in range(burst):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(self.sock)
                except BlockingIOError:
                    refused += 1
                    s.close()
                    continue
                conns.append(s)
        finally:
            for s in conns:
                s.close()
        verify(refused == 0, "%d of %d connections refused (listen queue "
               "full; net.core.somaxconn %d)" % (refused, burst, limit))
        verify(admin_status(self.sock)["members"] == 4, "status")

    def test_flows_list_and_flush(self):
        """Steps: flows.list with bad params (unknown service and member,
        a bad client of either family, limit 0, a made-up cursor); every
        flow in pages of 7; the flows of one client subnet, and of two
        IPv6 subnets; flows.flush without params; flows.flush of member
        fe1 (several times is fine); flows.list of fe1 after it.
        Verify: each bad request is refused with its code, naming the
        param; the pages hold every flow once (one per SYN, both
        workers), each naming pop3, a member and the syn state; the
        client filter keeps its clients only, an IPv6 one no IPv4
        client; the flush answers how many flows it removed, the number
        flows.list showed for fe1, and fe1 has none left while the
        others keep theirs."""
        for params, code, text in (
                ({"service": "nope"}, -32001, "params.service"),
                ({"member": "nope"}, -32001, "params.member"),
                ({"client": "300.1.2.3"}, -32602, "params.client"),
                ({"client": "203.0.113.0/4"}, -32602, "params.client"),
                ({"client": "2001:db8::/8"}, -32602, "params.client"),
                ({"client": "2001:db8::/129"}, -32602, "params.client"),
                # an IPv4 client is written as one
                ({"client": "::ffff:203.0.113.1"}, -32602,
                 "params.client"),
                ({"limit": 0}, -32602, "params.limit"),
                ({"cursor": "x:y"}, -32602, "params.cursor")):
            r = self.c.request("flows.list", params)
            verify("error" in r and r["error"]["code"] == code and
                   r["error"]["message"].startswith(text),
                   "flows.list %s: %s" % (params, r))
        r = self.c.request("flows.flush", {})
        verify("error" in r and r["error"]["code"] == -32602, "%s" % r)
        flows, cursor, pages = [], None, 0
        while True:
            params = {"limit": 7}
            if cursor:
                params["cursor"] = cursor
            page = self.c.call("flows.list", params)
            verify(len(page["flows"]) <= 7, "page of %d" % len(page["flows"]))
            flows += page["flows"]
            pages += 1
            cursor = page["next"]
            if cursor is None:
                break
            verify(pages < 100, "the cursor does not advance")
        keys = {(f["client"], f["client_port"]) for f in flows}
        verify(len(flows) == 40 and len(keys) == 40,
               "%d flows listed (%d distinct), expected the 40 SYNs"
               % (len(flows), len(keys)))
        verify(all(f["service"] == "pop3" and f["state"] == "syn" and
                   f["member"] in ("fe1", "fe2", "fe3", "fe4") and
                   f["vip"] == VIP and f["port"] == 110 for f in flows),
               "flows %s" % flows[:3])
        verify(len({f["worker"] for f in flows}) == WORKERS,
               "flows on workers %s" % {f["worker"] for f in flows})
        sub = self.c.call("flows.list", {"client": "203.0.113.0/29",
                                         "limit": 100})["flows"]
        verify(sorted(f["client"] for f in sub) ==
               sorted("203.0.113.%d" % i for i in range(1, 8)),
               "client filter: %s" % [f["client"] for f in sub])
        # an IPv6 subnet lists IPv6 flows only: none here, though the
        # tables hold IPv4 clients as ::ffff:a.b.c.d, inside ::/16
        for net in ("::/16", "2001:db8::/32"):
            sub = self.c.call("flows.list", {"client": net,
                                             "limit": 100})["flows"]
            verify(sub == [], "client filter %s: %s" % (net, sub[:3]))
        on_fe1 = [f for f in flows if f["member"] == "fe1"]
        r = self.c.call("flows.flush", {"member": "fe1"})
        verify(r["done"] and r["flushed"] == len(on_fe1),
               "flush %s, fe1 had %d" % (r, len(on_fe1)))
        left = self.c.call("flows.list", {"member": "fe1", "limit": 100})
        verify(left["flows"] == [], "fe1 kept %s" % left["flows"])
        rest = self.c.call("flows.list", {"limit": 100})["flows"]
        verify(len(rest) == 40 - len(on_fe1), "others: %d" % len(rest))

    def test_hammering_clients(self):
        """Steps: open 128 idle connections; run dts/ctl_hammer.py for
        12 s (8 valid, 6 invalid, 2 oversized, 4 slow and 6 never-read
        clients); meanwhile an administrator asks for status every
        half second on a new connection, and on the suite's own.
        Verify: every request of the valid and invalid clients was
        answered (none lost, none evicted); the oversized ones were
        refused; the never-read ones were closed; every status was
        answered (the first while the 128 idle connections and the
        hammer's clients were all there); dsrlb still runs; its control
        counters account for the case exactly: accepted grew by the
        number of connections it made (128 idle, each the hammer
        reports, one per administrator's status), every one of them was
        closed again (clients back to what it was: no slot leaked), and
        requests grew by at least the answers the clients read."""
        before = self.c.call("stats")["control"]
        idle = [idle_connection(self.sock) for _ in range(SLOTS)]
        hammer = subprocess.Popen(
            [sys.executable, HAMMER, "--socket", self.sock,
             "--duration", "12", "--valid", "8", "--invalid", "6",
             "--oversized", "2", "--slow", "4", "--never-read", "6"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        statuses = 0
        try:
            # any failure of these raises: none is retried
            while hammer.poll() is None:
                verify(admin_status(self.sock)["members"] == 4, "status")
                verify(self.c.call("status")["members"] == 4, "status")
                statuses += 1
                time.sleep(0.5)   # pacing, not waiting for a state
            out, err = hammer.communicate(timeout=60)
        finally:
            if hammer.poll() is None:
                hammer.kill()
                hammer.wait()
            for s in idle:
                s.close()
        verify(hammer.returncode == 0, "ctl_hammer.py: %s" % err)
        report = json.loads(out.strip().splitlines()[-1])
        kinds = report["kinds"]
        verify(report["well_behaved_all_answered"],
               "well-behaved clients not all answered: %s"
               % json.dumps(report))
        for k in ("valid", "invalid"):
            verify(kinds[k]["sent"] > 0 and kinds[k]["lost"] == 0 and
                   kinds[k]["closed_by_server"] == 0,
                   "%s: %s" % (k, kinds[k]))
        verify(kinds["oversized"]["answered"] >= 1,
               "oversized: %s" % kinds["oversized"])
        verify(kinds["never-read"]["closed_by_server"] >= 1,
               "never-read: %s" % kinds["never-read"])
        verify(statuses >= 1, "no status asked during the hammer")
        # (this used to check that "rx" did not move: nothing feeds the
        # data path after set-up, so it could not fail.) Instead, every
        # connection the case made is accounted for: each one accepted
        # (counted at accept, evicted or not; one the hammer closed
        # while it was still queued is accepted later: wait for it),
        # then each one closed, and none more
        made = SLOTS + statuses + sum(k["connections"]
                                      for k in kinds.values())

        def control():
            return self.c.call("stats")["control"]

        def all_closed():
            c = control()
            return c["clients"] == before["clients"] and c
        wait_for(lambda: control()["accepted"] - before["accepted"] >=
                 made, "%d connections accepted" % made, timeout=60)
        after = wait_for(all_closed, "every connection of the case closed "
                         "(clients back to %d)" % before["clients"],
                         timeout=60)
        # an answer a client read was one dsrlb counted (never-read
        # clients' and evicted ones' answers are counted, not read)
        read = 2 * statuses + sum(kinds[n]["answered"]
                                  for n in ("valid", "invalid", "slow"))
        print("    %d connections made, accepted +%d; %d answers read, "
              "requests +%d" % (made, after["accepted"] - before["accepted"],
                                read, after["requests"] - before["requests"]))
        verify(after["accepted"] - before["accepted"] == made,
               "accepted grew by %d for the %d connections made (128 idle,"
               " %d statuses, the hammer's %s)" % (
                   after["accepted"] - before["accepted"], made, statuses,
                   {n: k["connections"] for n, k in kinds.items()}))
        verify(after["requests"] - before["requests"] >= read and
               after["denied"] == before["denied"],
               "control counters %s -> %s for %d answers read"
               % (before, after, read))

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
