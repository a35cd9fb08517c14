# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""dsrlbctl, the command-line client of the control socket: every
command against a running dsrlb, its errors and exit statuses, and
`metrics` read back with a Prometheus text-format parser (dts/prom.py)."""

import json
import os
import pty
import select
import socket
import subprocess
import threading

from scapy.all import ARP, IP, TCP, UDP, Ether

import prom
from framework import (BUILD, PCAP_MAC, WORKERS, Ctl, Dsrlb, TestSuite,
                       base_config, four_members, pcap_port, scratch_dir,
                       verify, wait_for, write_queue_pcaps)

# the dsrlbctl of the build dsrlb comes from (DSRLB_BUILD), unless
# DSRLBCTL names another
DSRLBCTL = os.path.abspath(os.environ.get("DSRLBCTL") or \
    os.path.join(BUILD, "app", "dsrlbctl", "dsrlbctl"))
VIP = "198.51.100.100"
N_FLOWS = 40
N_UDP = 10

COMMANDS = {"status", "list", "members", "health", "neighbors", "flows",
            "set-weight", "drain", "enable", "disable", "add-member",
            "remove-member", "add-service", "remove-service", "reload",
            "activate", "deactivate", "top", "metrics", "call"}
USAGE, SERVER, COMM = 64, 1, 2


def run(args, sock=None, env_socket=None, timeout=60):
    """dsrlbctl args (with -s sock if given, DSRLB_SOCKET=env_socket if
    given, never inherited): the CompletedProcess, text output."""
    env = dict(os.environ)
    env.pop("DSRLB_SOCKET", None)
    if env_socket is not None:
        env["DSRLB_SOCKET"] = env_socket
    cmd = [DSRLBCTL] + (["-s", sock] if sock else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=timeout)


def show(p):
    return "exit %d\nstdout: %s\nstderr: %s" % (p.returncode,
                                                 p.stdout[-3000:],
                                                 p.stderr[-2000:])


def verify_exit(p, status, stderr_has=None):
    verify(p.returncode == status, "expected exit %d: %s" % (status, show(p)))
    if stderr_has is not None:
        verify(stderr_has in p.stderr, "stderr lacks %r: %s"
               % (stderr_has, show(p)))


def rows(text, first):
    """Whitespace-split lines of a table whose first field is first (but
    the header line "  -> Member ...")."""
    return [ln.split() for ln in text.splitlines()
            if ln.split()[:1] == [first] and ln.split()[1:2] != ["Member"]]


class FakeServer:
    """A control socket that answers from a table, to give dsrlbctl
    answers a real dsrlb never gives (odd names, missing fields, growing
    counters) or misbehaves: "silent" (never answers), "garbage" (not
    JSON), "huge" (an endless line), "busy" (an error with id null).
    With accepting=False it accepts nothing until self.accepting is set,
    so its listen queue fills.

    answers: method -> result, or a function(params, n) -> result where
    n counts the calls of that method. Counts connections and keeps
    the requests."""

    def __init__(self, path, answers=None, behaviour=None, backlog=16,
                 accepting=True):
        self.path = path
        self.answers = answers or {}
        self.behaviour = behaviour
        self.connections = 0
        self.calls = {}
        self.requests = []      # (method, params) in order
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(backlog)
        self.sock.settimeout(0.2)
        self.stopping = False
        # cleared: connections queue up in the listen queue, unaccepted
        self.accepting = threading.Event()
        if accepting:
            self.accepting.set()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            if not self.accepting.wait(0.2):
                continue
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            try:
                self.answer(c)
            except OSError:
                pass
            finally:
                c.close()

    def answer(self, c):
        c.settimeout(5)
        buf = b""
        while b"\n" not in buf:
            chunk = c.recv(65536)
            if not chunk:
                return
            buf += chunk
        req = json.loads(buf.split(b"\n")[0])
        if self.behaviour == "silent":
            c.recv(1)   # until the client gives up and closes
            return
        if self.behaviour == "garbage":
            c.sendall(b"this is not json\n")
            return
        if self.behaviour == "huge":
            chunk = b" " * (1 << 20)
            for _ in range(80):
                c.sendall(chunk)
            return
        if self.behaviour == "busy":
            c.sendall(b'{"jsonrpc":"2.0","error":{"code":-32603,'
                      b'"message":"too many clients"},"id":null}\n')
            return
        method = req["method"]
        self.requests.append((method, req.get("params")))
        n = self.calls.get(method, 0)
        self.calls[method] = n + 1
        a = self.answers.get(method)
        if a is None:
            resp = {"jsonrpc": "2.0", "id": req["id"], "error": {
                "code": -32601, "message": 'no method "%s"' % method}}
        else:
            result = a(req.get("params"), n) if callable(a) else a
            resp = {"jsonrpc": "2.0", "id": req["id"], "result": result}
        c.sendall(json.dumps(resp).encode() + b"\n")

    def close(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(timeout=10)
        if os.path.exists(self.path):
            os.unlink(self.path)


class Dsrlbctl(TestSuite):
    """dsrlbctl against a running dsrlb: read commands as tables and as
    JSON (--json, before or after the command) equal to the methods'
    results; write commands change what the methods then show; errors
    print "dsrlbctl: METHOD: message" and exit 1, an unreachable socket
    exits 2 naming the path and errno, a bad command line exits 64
    naming the argument without sending anything; `metrics` parses as
    Prometheus text and carries every service, member, drop reason and
    worker counter.

    Set-up: one dsrlb (default workers) on net_pcap0 with a pcap per
    queue: 40 TCP flows to pop3 (SYN then ACK: confirmed flows, which
    stay in the tables for the TCP timeout), 10 datagrams to the
    stateless UDP service and an ARP request (a neighbor entry); read
    once every packet is accounted for. Cases that change state restore
    it. The cases for member.add/remove, service.add/remove, flows.list
    and config.reload check the CLI against the real methods when the
    server lists them in "help", and otherwise that the CLI reports the
    server's "no method" error with exit status 1."""

    GROUP = "pcap"

    def set_up_suite(self):
        verify(os.access(DSRLBCTL, os.X_OK),
               "dsrlbctl not built at %s" % DSRLBCTL)
        self.dir = scratch_dir("dsrlbctl")
        self.sock = os.path.join(self.dir, "run", "control.sock")
        members = four_members()
        members[3]["source_ports"] = "40000-40999"
        self.cfg = base_config(members, [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110},
            {"name": "sip-udp", "vip": "*", "protocol": "udp",
             "port": 5060, "stateless": True}])
        self.cfg["control_socket"] = self.sock
        client = "02:00:00:00:00:01"
        syn = [Ether(src=client, dst=PCAP_MAC) /
               IP(src="203.0.113.%d" % i, dst=VIP) /
               TCP(sport=1000 + i, dport=110, flags="S", seq=100)
               for i in range(1, N_FLOWS + 1)]
        ack = [Ether(src=client, dst=PCAP_MAC) /
               IP(src="203.0.113.%d" % i, dst=VIP) /
               TCP(sport=1000 + i, dport=110, flags="A", seq=101)
               for i in range(1, N_FLOWS + 1)]
        udp = [Ether(src=client, dst=PCAP_MAC) /
               IP(src="192.0.2.%d" % i, dst=VIP) /
               UDP(sport=5000 + i, dport=5060) / b"OPTIONS"
               for i in range(1, N_UDP + 1)]
        arp = (Ether(src="02:00:00:00:00:77", dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc="02:00:00:00:00:77", psrc="198.51.100.77",
                   pdst="198.51.100.78"))
        self.n_packets = 2 * N_FLOWS + N_UDP + 1
        rx, tx, _ = write_queue_pcaps(self.dir, syn + ack + udp + [arp],
                                      WORKERS)
        self.d = Dsrlb(self.cfg, [pcap_port("net_pcap0", rx, tx)],
                       name="dsrlbctl", workdir=self.dir,
                       workers=WORKERS).start()
        self.d.wait_stats(lambda s: s["rx"] >= self.n_packets and
                          s["arp_ignored"] >= 1, "packets handled")
        self.c = Ctl(self.sock)
        p = self.ctl("call", "help")
        verify_exit(p, 0)
        self.methods = {m["method"] for m in json.loads(p.stdout)}

    def tear_down_suite(self):
        if not hasattr(self, "d"):
            return
        if hasattr(self, "c"):
            self.c.close()
        rc = self.d.stop()
        verify(rc == 0, "dsrlb exited %s" % rc)

    def ctl(self, *args, **kw):
        return run(args, sock=self.sock, **kw)

    def member(self, name):
        found = [m for m in self.c.call("members.list")
                 if m["name"] == name]
        return found[0] if found else None

    def service(self, name):
        found = [s for s in self.c.call("services.list")
                 if s["name"] == name]
        return found[0] if found else None

    def fake(self, name, **kw):
        return FakeServer(os.path.join(self.dir, name), **kw)

    def verify_no_method(self, args, method):
        """The server lacks method: the CLI says so, exit 1."""
        p = self.ctl(*args)
        verify_exit(p, SERVER, "dsrlbctl: %s: " % method)
        verify('no method "%s"' % method in p.stderr, show(p))

    # --- the command line itself ---

    def test_help(self):
        """Steps: dsrlbctl --help; COMMAND --help for each command it
        lists; no command; an unknown command.
        Verify: --help lists exactly the 20 commands and exits 0; each
        command's help starts with its usage line, exits 0 and sends
        nothing (no socket given that exists); no command and an
        unknown command exit 64 with the usage on stderr."""
        p = run(["--help"])
        verify_exit(p, 0)
        listed = {ln.split()[0] for ln in
                  p.stdout.split("Commands:\n")[1].split("\n\n")[0]
                  .splitlines()}
        verify(listed == COMMANDS, "commands listed: %s" % sorted(listed))
        for cmd in sorted(COMMANDS):
            p = run([cmd, "--help"], sock="/nonexistent/dsrlbctl.sock")
            verify_exit(p, 0)
            verify(p.stdout.startswith("usage: dsrlbctl ") and
                   (" %s" % cmd) in p.stdout.splitlines()[0], show(p))
        p = run([])
        verify_exit(p, USAGE, "no command given")
        verify("usage: dsrlbctl" in p.stderr, show(p))
        p = run(["frobnicate"])
        verify_exit(p, USAGE, 'unknown command "frobnicate"')

    def test_usage_errors_send_nothing(self):
        """Steps: bad command lines against a fake server that counts
        connections: weight out of range and not a number, a bad
        address, MAC, source-port range, protocol, port, persistence,
        flows limit and client, top count, list with --stats and
        --rate, bad JSON for call and add-service, missing and extra
        arguments, unknown options, an option without its value, a
        zero timeout.
        Verify: each exits 64 with a message naming the argument, and
        no connection was made."""
        srv = self.fake("usage.sock", answers={"status": {}})
        cases = [
            (["set-weight", "fe1", "70000"],
             "WEIGHT: 70000 is out of range [0, 65535]"),
            (["set-weight", "fe1", "heavy"],
             'WEIGHT: "heavy" is not a number'),
            (["set-weight", "fe1", "99999999999999999999999"],
             "out of range"),
            (["set-weight", "fe1"], "missing argument"),
            (["drain", "fe1", "fe2"], 'unexpected argument "fe2"'),
            (["add-member", "fe9", "198.51.100.300"], "ADDRESS"),
            (["add-member", "fe9", "198.51.100.19", "--weight", "-1"],
             '--weight: "-1" is not a number'),
            (["add-member", "fe9", "198.51.100.19", "--mac", "02:00:00"],
             "--mac"),
            (["add-member", "fe9", "198.51.100.19", "--source-ports",
              "5000-4000"], "--source-ports"),
            (["add-member", "fe9", "198.51.100.19", "--source-ports",
              "70000"], "--source-ports: 70000 is out of range"),
            (["add-service", "web", VIP, "sctp", "80"], "PROTO"),
            (["add-service", "web", VIP, "tcp", "http"], "PORT"),
            (["add-service", "web", "vip", "tcp", "80"], "VIP"),
            (["add-service", "web", VIP, "tcp", "80", "--persistence",
              "soon"], "--persistence"),
            (["add-service", "--object", "{nope"], "--object: not JSON"),
            (["add-service", "--object", "[1]"],
             "--object: expected a JSON object"),
            (["add-service", "--object", '{"name": "x"}', "web"],
             "--object OBJECT is the whole service"),
            # --json is the answer as JSON, as for every command: a
            # service after it is named as such, not read as options
            (["add-service", "--json", '{"name": "x"}'],
             "a service as JSON goes after --object"),
            (["flows", "--limit", "0"], "--limit"),
            (["flows", "--client", "somewhere"], "--client"),
            (["flows", "--client", "2001:db8::/129"], "--client"),
            (["flows", "--client", "203.0.113.0/"], "--client"),
            (["top", "-n", "0"], "-n COUNT"),
            (["top", "-i", "fast"], "-i SECONDS"),
            (["list", "--stats", "--rate"], "exclude each other"),
            (["list", "--colour"], 'unknown option "--colour"'),
            (["flows", "--limit"], 'option "--limit" needs a value'),
            (["call"], "missing argument"),
            (["call", "member.set", "{name: fe1}"], "PARAMS: not JSON"),
            (["call", "member.set", "7"], "PARAMS: expected a JSON object"),
            (["-t", "0", "status"], "-t SECONDS"),
            (["--bogus", "status"], 'unknown option "--bogus"'),
        ]
        try:
            for args, msg in cases:
                p = run(args, sock=srv.path)
                verify_exit(p, USAGE, msg)
                verify(p.stdout == "" and "usage: dsrlbctl" in p.stderr,
                       "%s: %s" % (args, show(p)))
            verify(srv.connections == 0, "%d requests sent for bad command "
                   "lines" % srv.connections)
        finally:
            srv.close()

    def test_cannot_connect(self):
        """Steps: a socket path that does not exist; a socket file
        nobody listens on; DSRLB_SOCKET naming the real socket; -s
        overriding a wrong DSRLB_SOCKET.
        Verify: exit 2 with the path and the errno text ("No such file
        or directory", "Connection refused"); the environment variable
        replaces the default, -s replaces the environment variable."""
        p = run(["status"], sock="/nonexistent/dsrlb.sock")
        verify_exit(p, COMM)
        verify(p.stderr == "dsrlbctl: /nonexistent/dsrlb.sock: cannot "
               "connect: No such file or directory\n", show(p))
        dead = os.path.join(self.dir, "dead.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(dead)
            p = run(["members"], sock=dead)
            verify_exit(p, COMM, "%s: cannot connect: Connection refused"
                        % dead)
        finally:
            s.close()
            os.unlink(dead)
        p = run(["status"], env_socket=self.sock)
        verify_exit(p, 0)
        verify("state        active" in p.stdout, show(p))
        p = run(["status"], sock=self.sock, env_socket="/nonexistent/x")
        verify_exit(p, 0)

    def test_bad_servers(self):
        """Steps: point dsrlbctl at fake servers that never answer (with
        -t 0.3; the others with a limit they never reach), answer with a
        line that is not JSON, send an endless line, or refuse with an
        error whose id is null (as dsrlb does when it has too many
        clients).
        Verify: the first three exit 2 naming the socket and the reason
        ("timed out", "not a JSON object", "larger than 64 MiB"); the
        refusal exits 1 with the server's message."""
        for behaviour, timeout, status, msg in (
                ("silent", "0.3", COMM, 'timed out after 0.3 s waiting for '
                 'the answer to "status"'),
                ("garbage", "10", COMM, "answer is not a JSON object"),
                ("huge", "60", COMM, "answer larger than 64 MiB"),
                ("busy", "10", SERVER, "dsrlbctl: status: too many clients")):
            srv = self.fake(behaviour + ".sock", behaviour=behaviour)
            try:
                p = run(["-t", timeout, "status"], sock=srv.path)
            finally:
                srv.close()
            verify_exit(p, status, msg)
            if status == COMM:
                verify(p.stderr.startswith("dsrlbctl: %s: " % srv.path),
                       show(p))

    def test_full_listen_queue(self):
        """Steps: a fake server that accepts nothing yet, its listen
        queue (2 places) filled with connections until the kernel
        refuses the next (EAGAIN, as a burst of clients does to dsrlb's
        socket); dsrlbctl -t 0.5 status; then dsrlbctl -t 30 status,
        with the queued connections closed and the server accepting
        from a second after dsrlbctl started.
        Verify: the first exits 2 with "timed out after 0.5 s connecting
        for "status"" (before the fix it connected nothing and failed
        at once on send: "Transport endpoint is not connected"); the
        second waits its turn in the queue and prints the answer, exit
        0."""
        srv = self.fake("queue.sock", answers={"status": {
            "active": True, "workers": 2}}, backlog=1, accepting=False)
        queued = []
        try:
            for _ in range(64):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(srv.path)
                except BlockingIOError:
                    s.close()
                    break
                queued.append(s)
            verify(0 < len(queued) < 64, "%d connections queued on a "
                   "listen queue of 1" % len(queued))
            p = run(["-t", "0.5", "status"], sock=srv.path)
            verify_exit(p, COMM, 'dsrlbctl: %s: timed out after 0.5 s '
                        'connecting for "status"' % srv.path)

            def release():
                for s in queued:
                    s.close()
                srv.accepting.set()
            timer = threading.Timer(1.0, release)
            timer.start()
            try:
                p = run(["-t", "30", "--json", "status"], sock=srv.path)
            finally:
                timer.cancel()
                release()
            verify_exit(p, 0)
            verify(json.loads(p.stdout).get("workers") == 2, show(p))
            verify(srv.calls.get("status") == 1, "the server answered "
                   "%s status calls" % srv.calls.get("status"))
        finally:
            for s in queued:
                s.close()
            srv.close()

    # --- read commands ---

    def test_status(self):
        """Steps: status; --json status; status --json.
        Verify: the table shows active, the workers, counts and the
        port; both JSON forms equal the status method's result (but
        uptime and each link's age: both count seconds, and a second
        may pass between the two reads)."""
        p = self.ctl("status")
        verify_exit(p, 0)
        out = p.stdout
        verify(out.startswith("dsrlb ") and "state        active" in out and
               "workers      %d" % WORKERS in out and
               "members      4" in out and "services     2" in out and
               "lan0" in out and PCAP_MAC in out, show(p))
        want = self.c.call("status")
        for args in (["--json", "status"], ["status", "--json"]):
            p = self.ctl(*args)
            verify_exit(p, 0)
            got = json.loads(p.stdout)
            for k in ("uptime",):
                got.pop(k)
                want.pop(k, None)
            for port in got["ports"] + want["ports"]:
                age = port["link"].pop("age", 0)
                verify(isinstance(age, int),
                       "a link's age is whole seconds: %s" % port)
            verify(got == want, "%s: %s != %s" % (args, got, want))

    def test_list(self):
        """Steps: list; list --stats; --json list.
        Verify: a line per service (name, protocol, VIP:port, scheduler,
        flags) and under it a line per member (address, weight, state,
        health); --stats shows each service's and member's new flows,
        packets and bytes as services.list and members.list count them;
        the JSON holds both lists unchanged."""
        p = self.ctl("list")
        verify_exit(p, 0)
        svc = {r[0]: r for r in rows(p.stdout, "pop3") +
               rows(p.stdout, "sip-udp")}
        verify(svc["pop3"][1:4] == ["TCP", VIP + ":110", "maglev"] and
               svc["sip-udp"][1:5] == ["UDP", "*:5060", "maglev",
                                       "stateless"], show(p))
        members = rows(p.stdout, "->")
        verify(len(members) == 8, show(p))
        verify(members[0][1:6] == ["fe1", "198.51.100.11", "100", "active",
                                   "none"], show(p))
        p = self.ctl("list", "--stats")
        verify_exit(p, 0)
        s = self.service("pop3")
        r = rows(p.stdout, "pop3")[0]
        verify(r[3:6] == [str(s["traffic"]["flows"]),
                          str(s["traffic"]["packets"]),
                          str(s["traffic"]["bytes"])] and
               s["traffic"]["flows"] == N_FLOWS and
               s["traffic"]["packets"] == 2 * N_FLOWS, show(p))
        by_name = {m["name"]: m for m in self.c.call("members.list")}
        for r in rows(p.stdout, "->"):
            t = by_name[r[1]]["traffic"]
            verify(r[3:6] == [str(t["flows"]), str(t["packets"]),
                              str(t["bytes"])], "%s vs %s" % (r, t))
        p = self.ctl("--json", "list")
        verify_exit(p, 0)
        doc = json.loads(p.stdout)
        verify(doc == {"services": self.c.call("services.list"),
                       "members": self.c.call("members.list")},
               show(p))

    def test_list_rate(self):
        """Steps: list --rate -i 0.2 (no traffic is flowing); --json
        list --rate -i 0.2.
        Verify: the table has the per-second columns and a line per
        service and member; the JSON gives an interval and, per service
        and member, flows, packets and bytes per second: numbers, 0 with
        no traffic."""
        p = self.ctl("list", "--rate", "-i", "0.2")
        verify_exit(p, 0)
        verify("FlowsPS" in p.stdout and rows(p.stdout, "pop3") and
               len(rows(p.stdout, "->")) == 8, show(p))
        verify(rows(p.stdout, "pop3")[0][3:6] == ["0", "0", "0"], show(p))
        p = self.ctl("--json", "list", "--rate", "-i", "0.2")
        verify_exit(p, 0)
        doc = json.loads(p.stdout)
        verify(doc["interval"] > 0, show(p))
        verify({s["name"] for s in doc["services"]} == {"pop3", "sip-udp"}
               and {m["name"] for m in doc["members"]} ==
               {"fe1", "fe2", "fe3", "fe4"}, show(p))
        for e in doc["services"] + doc["members"]:
            verify(e["flows_per_s"] == 0 and e["packets_per_s"] == 0 and
                   e["bytes_per_s"] == 0, "rate without traffic: %s" % e)

    def test_members_health_neighbors(self):
        """Steps: members, health, neighbors, each as a table and with
        --json.
        Verify: a member line per member with its address, weight,
        state, MAC and source ports; health says there are no checks;
        the neighbor learnt from the ARP request is listed; the JSON of
        each equals the method's result (neighbors but the age)."""
        p = self.ctl("members")
        verify_exit(p, 0)
        r = {x[0]: x for x in rows(p.stdout, "fe1") + rows(p.stdout, "fe4")}
        verify(r["fe1"][1:5] == ["198.51.100.11", "100", "up",
                                 "02:00:00:00:00:11"] and
               "40000-40999" in r["fe4"], show(p))
        p = self.ctl("members", "--json")
        verify_exit(p, 0)
        verify(json.loads(p.stdout) == self.c.call("members.list"), show(p))
        p = self.ctl("health")
        verify_exit(p, 0)
        verify("(no health checks)" in p.stdout, show(p))
        p = self.ctl("--json", "health")
        verify_exit(p, 0)
        verify(json.loads(p.stdout) == self.c.call("health.list"), show(p))
        p = self.ctl("neighbors")
        verify_exit(p, 0)
        n = rows(p.stdout, "198.51.100.77")
        verify(n and n[0][1:5] == ["02:00:00:00:00:77", n[0][2], "lan0",
                                   "no"], show(p))
        p = self.ctl("--json", "neighbors")
        verify_exit(p, 0)
        strip = [dict(x, age=None) for x in json.loads(p.stdout)]
        verify(strip == [dict(x, age=None)
                         for x in self.c.call("neighbors.list")], show(p))

    def test_call(self):
        """Steps: call status; call member.set with params; call
        member.set with a weight out of range; call an unknown method.
        Verify: results printed as JSON; the change is made; errors exit
        1 with "dsrlbctl: METHOD: " and the server's message."""
        p = self.ctl("call", "status")
        verify_exit(p, 0)
        verify(json.loads(p.stdout)["members"] == 4, show(p))
        try:
            p = self.ctl("call", "member.set", '{"name": "fe3", "weight": 7}')
            verify_exit(p, 0)
            verify(json.loads(p.stdout)["weight"] == 7 and
                   self.member("fe3")["weight"] == 7, show(p))
        finally:
            self.c.call("member.set", {"name": "fe3", "weight": 100})
        p = self.ctl("call", "member.set", '{"name": "fe3", "weight": 70000}')
        verify_exit(p, SERVER)
        verify(p.stderr == "dsrlbctl: member.set: params.weight: 70000 is "
               "out of range [0, 65535]\n", show(p))
        self.verify_no_method(["call", "no.such.method"], "no.such.method")

    # --- write commands that exist ---

    def test_set_weight_drain_enable_disable(self):
        """Steps: set-weight fe2 50; --json set-weight fe2 60; drain
        fe2; disable fe2 --json; enable fe2; set-weight of an unknown
        member.
        Verify: a confirmation line (or the member as JSON) per command;
        members.list and services.list follow (drain: the service shows
        fe2 "drain", disabled: "out"); the unknown member exits 1 with
        the server's message; fe2 is back to weight 100, up."""
        try:
            p = self.ctl("set-weight", "fe2", "50")
            verify_exit(p, 0)
            verify(p.stdout == "fe2: weight 50, state up\n", show(p))
            verify(self.member("fe2")["weight"] == 50, "weight not set")
            p = self.ctl("--json", "set-weight", "fe2", "60")
            verify_exit(p, 0)
            r, fe2 = json.loads(p.stdout), self.member("fe2")
            verify(r["name"] == "fe2" and r["weight"] == 60 and
                   fe2["weight"] == 60, show(p))
            p = self.ctl("drain", "fe2")
            verify_exit(p, 0)
            verify(p.stdout == "fe2: weight 60, state drain\n", show(p))
            fe2 = [m for m in self.service("pop3")["members"]
                   if m["name"] == "fe2"][0]
            verify(fe2["state"] == "drain", "service shows %s" % fe2)
            p = self.ctl("disable", "fe2", "--json")
            verify_exit(p, 0)
            verify(json.loads(p.stdout)["state"] == "disabled", show(p))
            fe2 = [m for m in self.service("pop3")["members"]
                   if m["name"] == "fe2"][0]
            verify(fe2["state"] == "out", "service shows %s" % fe2)
            p = self.ctl("enable", "fe2")
            verify_exit(p, 0)
            verify(self.member("fe2")["state"] == "up", show(p))
            p = self.ctl("set-weight", "fe2", "100")
            verify_exit(p, 0)
        finally:
            self.c.call("member.set", {"name": "fe2", "weight": 100,
                                       "state": "up"})
        p = self.ctl("set-weight", "fe9", "5")
        verify_exit(p, SERVER)
        verify(p.stderr == 'dsrlbctl: member.set: params.name: no member '
               '"fe9"\n', show(p))

    def test_activate_deactivate(self):
        """Steps: deactivate; status; metrics; activate.
        Verify: deactivate confirms standby, status and dsrlb_active say
        so; activate confirms and status is active again."""
        try:
            p = self.ctl("deactivate")
            verify_exit(p, 0)
            verify(p.stdout.startswith("standby"), show(p))
            verify(self.c.call("status")["active"] is False, "still active")
            verify("state        standby" in self.ctl("status").stdout,
                   "status text")
            m = prom.parse(self.ctl("metrics").stdout)
            verify(prom.value(m, "dsrlb_active") == 0, "dsrlb_active")
            p = self.ctl("--json", "activate")
            verify_exit(p, 0)
            verify(json.loads(p.stdout) == {"active": True}, show(p))
        finally:
            self.c.call("activate")
        verify(self.c.call("status")["active"] is True, "still standby")

    # --- top ---

    def test_top(self):
        """Steps: top -n 2 -i 0.2 with stdout a pipe; the same with
        stdout a terminal (a pty); --json top -n 2 -i 0.2.
        Verify: two refreshes, each with every service, member and
        worker; no escape codes on a pipe, a screen clear before each
        refresh on a terminal; with --json two lines of JSON, each with
        the rates (0 with no traffic) of every member and worker."""
        p = self.ctl("top", "-n", "2", "-i", "0.2")
        verify_exit(p, 0)
        verify(p.stdout.count("dsrlb top: active") == 2 and
               "\x1b" not in p.stdout, show(p))
        verify(len(rows(p.stdout, "fe1")) == 2 and
               len(rows(p.stdout, "pop3")) == 2, show(p))
        out = self.run_on_pty(["-s", self.sock, "top", "-n", "2",
                               "-i", "0.2"])
        verify(out.count("\x1b[H\x1b[2J") == 2 and
               out.count("dsrlb top:") == 2, "on a terminal: %r" % out[:500])
        p = self.ctl("--json", "top", "-n", "2", "-i", "0.2")
        verify_exit(p, 0)
        frames = [json.loads(ln) for ln in p.stdout.splitlines()]
        verify(len(frames) == 2, show(p))
        for f in frames:
            verify(f["active"] is True and f["interval"] > 0 and
                   {m["name"] for m in f["members"]} ==
                   {"fe1", "fe2", "fe3", "fe4"} and
                   len(f["workers"]) == WORKERS, "frame %s" % f)
            for m in f["members"]:
                verify(m["packets_per_s"] == 0, "rate without traffic %s" % m)
            for w in f["workers"]:
                verify(w["rx_per_s"] == 0, "worker rate %s" % w)

    @staticmethod
    def run_on_pty(args):
        """dsrlbctl args with stdout on a pseudo-terminal: what it
        printed (exit status 0 checked)."""
        master, slave = pty.openpty()
        env = dict(os.environ)
        env.pop("DSRLB_SOCKET", None)
        proc = subprocess.Popen([DSRLBCTL] + args, stdout=slave,
                                stderr=subprocess.PIPE, env=env)
        os.close(slave)
        out = b""
        try:
            while True:
                ready, _, _ = select.select([master], [], [], 30)
                if not ready:
                    break
                try:
                    chunk = os.read(master, 65536)
                except OSError:     # EIO: the child closed the pty
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            os.close(master)
            rc = proc.wait(timeout=30)
        verify(rc == 0, "exit %d: %s" % (rc, proc.stderr.read()))
        return out.decode(errors="replace")

    def test_top_rates_from_growing_counters(self):
        """Steps: top against a fake server whose counters grow by a
        fixed amount per call (member packets +10, worker rx +100,
        busy_cycles +25, cycles +100; no tx counter); --json top -n 2.
        Verify: the rates are positive, busy is exactly 25%, and the
        rate of the absent tx counter is null (not a made-up 0)."""
        def stats(_, n):
            return {"rx": 100 * n, "workers": {}, "master": {},
                    "per_worker": [{"lcore": 5, "rx": 100 * n, "fwd": 0,
                                    "flows": 3, "flows_limbo": 0,
                                    "busy_cycles": 25 * n,
                                    "cycles": 100 * n}]}

        def members(_, n):
            return [{"name": "a", "address": "192.0.2.1", "weight": 1,
                     "state": "up", "traffic": {"packets": 10 * n,
                                                "bytes": 1000 * n,
                                                "flows": n, "active": 2}}]
        srv = self.fake("top.sock", answers={
            "status": {"active": True}, "stats": stats,
            "members.list": members, "services.list": []})
        try:
            p = run(["--json", "top", "-n", "2", "-i", "0.05"], sock=srv.path)
        finally:
            srv.close()
        verify_exit(p, 0)
        frames = [json.loads(ln) for ln in p.stdout.splitlines()]
        verify(len(frames) == 2, show(p))
        for f in frames:
            m, w = f["members"][0], f["workers"][0]
            verify(m["packets_per_s"] > 0 and m["bytes_per_s"] > 0 and
                   m["flows_per_s"] > 0, "member rates %s" % m)
            verify(w["lcore"] == 5 and w["rx_per_s"] > 0 and
                   w["busy_percent"] == 25.0 and w["tx_per_s"] is None,
                   "worker %s" % w)

    # --- metrics ---

    def test_metrics(self):
        """Steps: metrics; parse it with dts/prom.py (strict: every
        sample's family has a TYPE); then stats, services.list and
        members.list (no traffic flows any more: packet counts are
        still; the master's counters and cycle counts may grow).
        Verify: dsrlb_up 1 and dsrlb_active 1; per service and per
        member packets, bytes and new flows equal to services.list and
        members.list (flows_active only where the server counts it);
        dsrlb_drops_total has one reason per drop_* counter; every
        other worker counter and every master counter has a counter
        family; rx is every packet sent, and so is the sum of the
        workers' rx; per worker lcore tx, busy and total cycles exactly
        where stats has them; no value above the one stats gave after;
        every *_total family is a counter and every counter a finite
        non-negative integer."""
        p = self.ctl("metrics")
        verify_exit(p, 0)
        fam = prom.parse(p.stdout)
        stats = self.c.call("stats")    # after: counters only grow
        verify(prom.value(fam, "dsrlb_up") == 1 and
               prom.value(fam, "dsrlb_active") == 1, "up/active")
        for s in self.c.call("services.list"):
            for key, name in (("packets", "packets_total"),
                              ("bytes", "bytes_total"),
                              ("flows", "flows_new_total"),
                              ("active", "flows_active"),
                              ("inactive", "flows_inactive")):
                if key not in s["traffic"]:
                    verify(not prom.samples(fam, "dsrlb_service_" + name),
                           "%s printed, but the server has no %s"
                           % (name, key))
                    continue
                v = prom.value(fam, "dsrlb_service_" + name,
                               service=s["name"], protocol=s["protocol"])
                verify(v == s["traffic"][key], "%s %s: %s != %s"
                       % (s["name"], name, v, s["traffic"][key]))
        verify(prom.value(fam, "dsrlb_service_packets_total",
                          service="pop3", vip=VIP, port="110") ==
               2 * N_FLOWS, "pop3 packets")
        for m in self.c.call("members.list"):
            for key, name in (("packets", "packets_total"),
                              ("bytes", "bytes_total"),
                              ("flows", "flows_new_total")):
                verify(prom.value(fam, "dsrlb_member_" + name,
                                  member=m["name"],
                                  address=m["address"]) ==
                       m["traffic"][key], "%s %s" % (m["name"], name))
            verify(prom.value(fam, "dsrlb_member_weight",
                              member=m["name"]) == m["weight"], "weight")
            verify(prom.value(fam, "dsrlb_member_state", member=m["name"],
                              state=m["state"]) == 1, "state")
        drops = {k[5:]: v for k, v in stats["workers"].items()
                 if k.startswith("drop_")}
        got = {s.labels["reason"]: s.value
               for s in fam["dsrlb_drops_total"].samples}
        verify(got.keys() == drops.keys() and
               all(0 <= got[k] <= drops[k] for k in got),
               "drops %s, stats after them %s" % (got, drops))
        # counters read after the exposition: never below its values
        # (the master's counters and the cycles go on moving)
        for k, v in stats["workers"].items():
            if not k.startswith("drop_"):
                verify(0 <= prom.value(fam, "dsrlb_datapath_%s_total" % k)
                       <= v, "datapath %s" % k)
        for k, v in stats["master"].items():
            verify(0 <= prom.value(fam, "dsrlb_master_%s_total" % k) <= v,
                   "master %s" % k)
        verify(prom.value(fam, "dsrlb_rx_packets_total") == stats["rx"] ==
               self.n_packets, "rx")
        for w in stats["per_worker"]:
            lc = str(w["lcore"])
            for field in ("rx", "tx", "fwd", "busy_cycles", "cycles"):
                found = prom.samples(fam, "dsrlb_worker_%s_total" % field,
                                     lcore=lc)
                if field in w:
                    verify(len(found) == 1 and
                           0 <= found[0].value <= w[field],
                           "worker %s %s: %s" % (lc, field, found))
                else:
                    verify(not found, "worker %s printed without %s"
                           % (field, field))
        verify(sum(s.value for s in
                   prom.samples(fam, "dsrlb_worker_rx_total")) ==
               self.n_packets, "worker rx does not add up")
        if "tsc_hz" in stats:
            verify(prom.value(fam, "dsrlb_tsc_hz") == stats["tsc_hz"], "hz")
        for f in fam.values():
            verify(f.type is not None and f.help, "family %s" % f.name)
            if f.name.endswith("_total"):
                verify(f.type == "counter", "%s is a %s" % (f.name, f.type))
            if f.type == "counter":
                for s in f.samples:
                    verify(s.value >= 0 and s.value == int(s.value),
                           "counter %s %s = %r" % (s.name, s.labels,
                                                   s.value))

    def test_metrics_escapes_and_absent_fields(self):
        """Steps: metrics against a fake server whose names hold
        quotes, backslashes and newlines, whose member has no "active"
        count and whose worker has no tx or cycle counters, and which is
        standby.
        Verify: the exposition parses; label values read back exactly
        as the server named them; flows_active is printed for the
        service that has it and not for the member; no worker tx or
        cycles families; dsrlb_active 0; the removing state and the
        down health check are exposed; the port's ethdev counters each
        in its family, absent ones left out, and its extended counters
        in one family by (escaped) name, a non-number skipped."""
        odd_svc, odd_member = 'we"ird\\svc\nx', 'm"1\\'
        srv = self.fake("metrics.sock", answers={
            "status": {"version": "9.9", "dpdk": "DPDK \"x\"",
                       "active": False, "uptime": 5, "vips": 1},
            "stats": {"rx": 10, "workers": {"fwd": 7, "drop_no_vip": 3},
                      "per_worker": [{"lcore": 3, "rx": 10, "fwd": 7,
                                      "flows": 2, "flows_limbo": 0}],
                      "master": {"garp_out": 1},
                      "mbufs": {"size": 100, "in_use": 4}},
            "services.list": [{
                "name": odd_svc, "vip": "*", "protocol": "tcp",
                "port": "1000-2000", "scheduler": "wlc",
                "members": [{"name": odd_member, "state": "active",
                             "health": "down"}],
                "traffic": {"packets": 5, "bytes": 500, "flows": 2,
                            "active": 1}}],
            "members.list": [{
                "name": odd_member, "address": "192.0.2.1", "weight": 3,
                "state": "removing",
                "traffic": {"packets": 5, "bytes": 500, "flows": 2}}],
            "ports.stats": [{
                "name": "lan0", "stats": {"ipackets": 11, "imissed": 2,
                                          "rx_nombuf": 0},
                "xstats": {"rx_good_packets": 11, 'rx_"q0"\\errors': 1,
                           "not_a_number": "x"}}]})
        try:
            p = run(["metrics"], sock=srv.path)
        finally:
            srv.close()
        verify_exit(p, 0)
        fam = prom.parse(p.stdout)
        verify(prom.value(fam, "dsrlb_service_packets_total",
                          service=odd_svc, port="1000-2000") == 5 and
               prom.value(fam, "dsrlb_service_flows_active",
                          service=odd_svc) == 1, p.stdout[:2000])
        verify(prom.value(fam, "dsrlb_member_bytes_total",
                          member=odd_member) == 500 and
               not prom.samples(fam, "dsrlb_member_flows_active"),
               "member flows_active")
        verify(prom.value(fam, "dsrlb_info", dpdk='DPDK "x"') == 1, "info")
        verify(prom.value(fam, "dsrlb_active") == 0, "active")
        verify(prom.value(fam, "dsrlb_member_state", member=odd_member,
                          state="removing") == 1, "removing")
        verify(prom.value(fam, "dsrlb_service_member_health_up",
                          service=odd_svc, member=odd_member) == 0,
               "health")
        verify(prom.value(fam, "dsrlb_worker_rx_total", lcore="3") == 10 and
               prom.value(fam, "dsrlb_drops_total", reason="no_vip") == 3
               and prom.value(fam, "dsrlb_datapath_fwd_total") == 7,
               "counters")
        verify(prom.value(fam, "dsrlb_port_imissed_total", port="lan0") == 2
               and prom.value(fam, "dsrlb_port_rx_nombuf_total",
                              port="lan0") == 0
               and prom.value(fam, "dsrlb_port_xstats_total", port="lan0",
                              xstat="rx_good_packets") == 11
               and prom.value(fam, "dsrlb_port_xstats_total", port="lan0",
                              xstat='rx_"q0"\\errors') == 1
               and len(prom.samples(fam, "dsrlb_port_xstats_total")) == 2,
               "port counters: %s" % [
                   l for l in p.stdout.splitlines() if "dsrlb_port" in l])
        for absent in ("dsrlb_worker_tx_total", "dsrlb_worker_cycles_total",
                       "dsrlb_worker_busy_cycles_total", "dsrlb_tsc_hz",
                       "dsrlb_port_oerrors_total"):
            verify(absent not in fam, "%s printed" % absent)

    def test_metrics_when_down(self):
        """Steps: metrics with a socket nobody serves.
        Verify: exit 2 with the reason on stderr, and stdout still a
        valid exposition saying dsrlb_up 0."""
        p = run(["metrics"], sock="/nonexistent/dsrlb.sock")
        verify_exit(p, COMM, "cannot connect")
        fam = prom.parse(p.stdout)
        verify(prom.value(fam, "dsrlb_up") == 0 and len(fam) == 1, show(p))

    def test_prom_parser(self):
        """Steps: feed dts/prom.py valid and invalid expositions.
        Verify: it reads escapes, NaN, +Inf, -Inf, exponents,
        timestamps, comments, histogram suffixes; it refuses a sample
        without TYPE, a second TYPE, TYPE after samples, a split group,
        a duplicate sample, a bad name, label name or escape, an
        unclosed value and a missing final newline."""
        good = ("# a comment\n"
                "# HELP x_total Help with \\\\ and \\n.\n"
                "# TYPE x_total counter\n"
                'x_total{a="q\\"\\\\\\n",b="2",} 1e3 1700000000000\n'
                "x_total 0\n"
                "\n"
                "# TYPE g gauge\n"
                "g{k=\"1\"} NaN\ng{k=\"2\"} +Inf\ng{k=\"3\"} -Inf\n"
                "# TYPE h histogram\n"
                'h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\n'
                "h_sum 4.5\nh_count 3\n")
        fam = prom.parse(good)
        verify(fam["x_total"].help == "Help with \\ and \n.", "help")
        s = fam["x_total"].samples[0]
        verify(s.labels == {"a": 'q"\\\n', "b": "2"} and s.value == 1000.0
               and s.timestamp == 1700000000000, "sample %s" % (s,))
        verify(prom.is_nan(prom.value(fam, "g", k="1")) and
               prom.value(fam, "g", k="2") == float("inf") and
               prom.value(fam, "g", k="3") == float("-inf"), "specials")
        verify(len(fam["h"].samples) == 4, "histogram %s" % fam["h"])
        bad = ["x 1\n",
               "# TYPE x gauge\n# TYPE x gauge\nx 1\n",
               "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# HELP x late\n",
               "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 1\n",
               "# TYPE x gauge\nx 1\nx 2\n",
               "# TYPE x gauge\n1x 1\n",
               "# TYPE x gauge\nx{1a=\"b\"} 1\n",
               "# TYPE x gauge\nx{a=\"\\t\"} 1\n",
               "# TYPE x gauge\nx{a=\"b} 1\n",
               "# TYPE x gauge\nx one\n",
               "# TYPE x gauge\nx 1",
               "# TYPE x wobbly\nx 1\n"]
        for text in bad:
            try:
                prom.parse(text)
            except prom.ParseError:
                continue
            raise AssertionError("accepted: %r" % text)

    def test_requests_follow_the_contract(self):
        """Steps: every write command, and flows with filters and a
        limit, against a fake server that records what it is sent and
        answers as the contract says (flows.list in pages of at most 10
        with a cursor, of 25 flows).
        Verify: the exact params of member.set, member.add (every
        option), member.remove (force), service.add (from arguments
        and from --json), service.remove, config.reload, activate; flows
        follows the cursors until --limit (asking only for what is
        left) or the last page; the confirmations print the answers
        (a member draining before removal, a reload's changes)."""
        member = {"name": "fe5", "address": "198.51.100.15", "weight": 7,
                  "state": "up"}
        all_flows = [{"worker": i % 2, "client": "203.0.113.%d" % i,
                      "client_port": 1000 + i, "vip": VIP, "port": 110,
                      "protocol": "tcp", "service": "pop3",
                      "member": "fe1", "state": "established",
                      "expires_in": 900} for i in range(25)]

        def flows(params, _):
            start = int(params.get("cursor", "0"))
            end = min(start + min(params["limit"], 10), len(all_flows))
            return {"flows": all_flows[start:end],
                    "next": str(end) if end < len(all_flows) else None}
        srv = self.fake("contract.sock", answers={
            "member.set": member, "member.add": member,
            "member.remove": {"name": "fe5", "removed": False,
                              "draining": True, "active_flows": 3},
            "service.add": {"name": "web", "vip": VIP, "protocol": "tcp",
                            "port": 8080, "scheduler": "wlc"},
            "service.remove": {"name": "web", "removed": True},
            "config.reload": {"changed": True, "vips_added": [],
                              "members_added": ["fe7", "fe8"],
                              "services_changed": ["pop3"]},
            "activate": {"active": True}, "flows.list": flows})
        service = {"name": "web", "vip": VIP, "protocol": "tcp",
                   "port": 8080, "scheduler": "wlc", "persistence": 15,
                   "check": {"type": "tcp"}, "members": ["fe1", "fe2"]}
        cases = [
            (["set-weight", "fe5", "0"], "member.set",
             {"name": "fe5", "weight": 0}),
            (["drain", "fe5"], "member.set", {"name": "fe5",
                                              "state": "drain"}),
            (["enable", "fe5"], "member.set", {"name": "fe5", "state": "up"}),
            (["disable", "fe5"], "member.set", {"name": "fe5",
                                                "state": "disabled"}),
            (["add-member", "fe5", "198.51.100.15", "--weight", "7",
              "--mac", "02:00:00:00:00:15", "--source-ports", "41000-41099",
              "--service", "pop3", "--service", "smtp"], "member.add",
             {"name": "fe5", "address": "198.51.100.15", "weight": 7,
              "mac": "02:00:00:00:00:15", "source_ports": "41000-41099",
              "services": ["pop3", "smtp"]}),
            (["add-member", "fe5", "198.51.100.15", "--source-ports",
              "5000"], "member.add",
             {"name": "fe5", "address": "198.51.100.15",
              "source_ports": 5000}),
            (["remove-member", "fe5"], "member.remove",
             {"name": "fe5", "force": False}),
            (["remove-member", "--force", "fe5"], "member.remove",
             {"name": "fe5", "force": True}),
            (["add-service", "web", VIP, "tcp", "8080", "--scheduler",
              "wlc", "--persistence", "15", "--check", "tcp", "--member",
              "fe1", "--member", "fe2"], "service.add", service),
            (["add-service", "any", "*", "udp", "any"], "service.add",
             {"name": "any", "vip": "*", "protocol": "udp", "port": "any"}),
            (["add-service", "--object", json.dumps(service)], "service.add",
             service),
            (["add-service", "--object", json.dumps(service), "--json"],
             "service.add", service),
            (["remove-service", "web"], "service.remove", {"name": "web"}),
            (["reload"], "config.reload", None),
            (["activate"], "activate", None),
        ]
        try:
            for args, method, params in cases:
                del srv.requests[:]
                p = run(args, sock=srv.path)
                verify_exit(p, 0)
                verify(srv.requests == [(method, params)],
                       "%s sent %s" % (args, srv.requests))
                if args[0] == "remove-member" and len(args) == 2:
                    verify(p.stdout == "member fe5 removing: no new flows; "
                           "it goes when its 3 active flows end\n", show(p))
                if args[0] == "reload":
                    verify(p.stdout == "configuration reloaded:\n"
                           "  members added    fe7, fe8\n"
                           "  services changed pop3\n", show(p))
            del srv.requests[:]
            p = run(["--json", "flows", "--service", "pop3", "--member",
                     "fe1", "--client", "203.0.113.9", "--limit", "23"],
                    sock=srv.path)
            verify_exit(p, 0)
            doc = json.loads(p.stdout)
            verify(doc == {"flows": all_flows[:23], "next": "23"},
                   "flows: %s" % p.stdout[:300])
            f = {"service": "pop3", "member": "fe1", "client": "203.0.113.9"}
            verify(srv.requests == [
                ("flows.list", dict(f, limit=23)),
                ("flows.list", dict(f, limit=13, cursor="10")),
                ("flows.list", dict(f, limit=3, cursor="20"))],
                "requests %s" % srv.requests)
            p = run(["flows"], sock=srv.path)
            verify_exit(p, 0)
            verify(p.stdout.splitlines()[-1] == "25 flows" and
                   len(p.stdout.splitlines()) == 27, show(p))
            p = run(["flows", "--limit", "5"], sock=srv.path)
            verify_exit(p, 0)
            verify(p.stdout.splitlines()[-1] ==
                   "5 flows (more: raise --limit)", show(p))
            # a client subnet of either family goes to the server as
            # given
            for net in ("2001:db8:c::/64", "2001:db8:c::10",
                        "203.0.113.0/24"):
                del srv.requests[:]
                p = run(["flows", "--client", net, "--limit", "3"],
                        sock=srv.path)
                verify_exit(p, 0)
                verify(srv.requests == [("flows.list",
                                         {"client": net, "limit": 3})],
                       "--client %s sent %s" % (net, srv.requests))
        finally:
            srv.close()

    # --- commands whose methods may still be missing ---

    def test_flows(self):
        """Needs flows.list.
        Steps: flows; --json flows; flows --limit 7; flows --service
        pop3; flows --member fe1; flows --client 203.0.113.5.
        Verify: the 40 confirmed flows of the set-up are listed (a
        line each, "40 flows"), all of pop3, TCP; --limit 7 gives 7 and
        a cursor to go on; the filters give only matching flows, the
        member filter as many as fe1 has in the full list, the client
        filter exactly that client's flow. Without flows.list: the
        server's "no method" error, exit 1."""
        if "flows.list" not in self.methods:
            self.verify_no_method(["flows"], "flows.list")
            self.verify_no_method(["--json", "flows", "--limit", "5"],
                                  "flows.list")
            return
        p = self.ctl("flows")
        verify_exit(p, 0)
        lines = [ln.split() for ln in p.stdout.splitlines()[1:-1]]
        verify(p.stdout.splitlines()[-1] == "%d flows" % N_FLOWS and
               len(lines) == N_FLOWS and
               all(ln[3:5] == ["tcp", "pop3"] for ln in lines), show(p))
        p = self.ctl("--json", "flows")
        verify_exit(p, 0)
        doc = json.loads(p.stdout)
        flows = doc["flows"]
        verify(len(flows) == N_FLOWS and doc["next"] is None and
               all(f["service"] == "pop3" and f["protocol"] == "tcp"
                   for f in flows), show(p))
        p = self.ctl("flows", "--limit", "7", "--json")
        verify_exit(p, 0)
        doc = json.loads(p.stdout)
        verify(len(doc["flows"]) == 7 and isinstance(doc["next"], str),
               show(p))
        p = self.ctl("--json", "flows", "--service", "pop3")
        verify_exit(p, 0)
        verify(len(json.loads(p.stdout)["flows"]) == N_FLOWS, show(p))
        p = self.ctl("--json", "flows", "--member", "fe1")
        verify_exit(p, 0)
        fe1 = json.loads(p.stdout)["flows"]
        verify(len(fe1) == sum(f["member"] == "fe1" for f in flows) and
               all(f["member"] == "fe1" for f in fe1), show(p))
        p = self.ctl("--json", "flows", "--client", "203.0.113.5")
        verify_exit(p, 0)
        one = json.loads(p.stdout)["flows"]
        verify(len(one) == 1 and one[0]["client"] == "203.0.113.5" and
               one[0]["client_port"] == 1005, show(p))

    def test_add_remove_member(self):
        """Needs member.add and member.remove.
        Steps: add-member fe5 with weight, MAC and source ports; members;
        remove-member fe5; add-member fe6, then --json remove-member fe6
        --force; add-member with a taken name; remove-member of an
        unknown name.
        Verify: the confirmation; members.list shows fe5 as given, the
        members table too; fe5 goes (no flows to drain); the forced
        removal answers removed true; the errors exit 1 with
        "dsrlbctl: member.add: " / "member.remove: " and the server's
        message. Without the methods: their "no method" error, exit 1."""
        if "member.add" not in self.methods:
            self.verify_no_method(["add-member", "fe5", "198.51.100.15"],
                                  "member.add")
        if "member.remove" not in self.methods:
            self.verify_no_method(["remove-member", "fe5"], "member.remove")
        if not {"member.add", "member.remove"} <= self.methods:
            return
        try:
            p = self.ctl("add-member", "fe5", "198.51.100.15", "--weight",
                         "7", "--mac", "02:00:00:00:00:15",
                         "--source-ports", "41000-41099")
            verify_exit(p, 0)
            verify(p.stdout == "member fe5 added: 198.51.100.15, weight 7, "
                   "state up\n", show(p))
            m = self.member("fe5")
            verify(m is not None and m["weight"] == 7 and
                   m["mac"] == "02:00:00:00:00:15" and
                   m["source_ports"] == "41000-41099", "fe5: %s" % m)
            verify(rows(self.ctl("members").stdout, "fe5"), "members table")
            p = self.ctl("remove-member", "fe5")
            verify_exit(p, 0)
            verify(p.stdout.startswith("member fe5 remov"), show(p))
            wait_for(lambda: self.member("fe5") is None, "fe5 removed")
            p = self.ctl("add-member", "fe6", "198.51.100.16")
            verify_exit(p, 0)
            p = self.ctl("--json", "remove-member", "fe6", "--force")
            verify_exit(p, 0)
            verify(json.loads(p.stdout)["removed"] is True, show(p))
            verify(self.member("fe6") is None, "fe6 still listed")
            p = self.ctl("add-member", "fe1", "198.51.100.21")
            verify_exit(p, SERVER, "dsrlbctl: member.add: ")
            p = self.ctl("remove-member", "fe9")
            verify_exit(p, SERVER, "dsrlbctl: member.remove: ")
        finally:
            for name in ("fe5", "fe6"):
                if self.member(name) is not None:
                    self.c.request("member.remove", {"name": name,
                                                     "force": True})

    def test_add_remove_service(self):
        """Needs service.add and service.remove.
        Steps: add-service web VIP tcp 8080 --scheduler wrr --member fe1
        --member fe2; list; add-service --object with a stateless UDP
        range, and --json; remove-service both; remove-service web again.
        Verify: confirmations; services.list shows web with its
        scheduler, port and two members, and the JSON-defined service
        with its range, the answer to the second printed as JSON;
        list shows web; after removal neither is
        listed; the second removal exits 1 with "dsrlbctl:
        service.remove: ". Without the methods: their "no method"
        error, exit 1."""
        if "service.add" not in self.methods:
            self.verify_no_method(["add-service", "web", VIP, "tcp",
                                   "8080"], "service.add")
            self.verify_no_method(
                ["add-service", "--object",
                 '{"name": "web", "vip": "*", "protocol": "tcp", '
                 '"port": 8080}'], "service.add")
        if "service.remove" not in self.methods:
            self.verify_no_method(["remove-service", "web"],
                                  "service.remove")
        if not {"service.add", "service.remove"} <= self.methods:
            return
        try:
            p = self.ctl("add-service", "web", VIP, "tcp", "8080",
                         "--scheduler", "wrr", "--member", "fe1",
                         "--member", "fe2")
            verify_exit(p, 0)
            verify(p.stdout == "service web added: tcp %s:8080 wrr\n" % VIP,
                   show(p))
            web = self.service("web")
            verify(web["scheduler"] == "wrr" and web["port"] == 8080 and
                   [m["name"] for m in web["members"]] == ["fe1", "fe2"],
                   "web: %s" % web)
            r = rows(self.ctl("list").stdout, "web")
            verify(r and r[0][1:4] == ["TCP", VIP + ":8080", "wrr"],
                   "list: %s" % r)
            p = self.ctl("add-service", "--object", json.dumps(
                {"name": "dns", "vip": "*", "protocol": "udp",
                 "port": "5300-5310", "stateless": True}), "--json")
            verify_exit(p, 0)
            # --json after the command: the answer as JSON
            verify(json.loads(p.stdout).get("name") == "dns", show(p))
            dns = self.service("dns")
            verify(dns is not None and dns["port"] == "5300-5310" and
                   dns["stateless"] is True, "dns: %s" % dns)
            for name in ("web", "dns"):
                p = self.ctl("remove-service", name)
                verify_exit(p, 0)
                verify(p.stdout == "service %s removed\n" % name, show(p))
                verify(self.service(name) is None, "%s still listed" % name)
            p = self.ctl("remove-service", "web")
            verify_exit(p, SERVER, "dsrlbctl: service.remove: ")
        finally:
            for name in ("web", "dns"):
                if self.service(name) is not None:
                    self.c.request("service.remove", {"name": name})

    def test_reload(self):
        """Needs config.reload.
        Steps: reload with the file unchanged; change fe3's weight to 30
        in the file and reload; break the file and reload; restore it
        and reload.
        Verify: "nothing changed"; then a "members changed" line naming
        fe3 and members.list shows 30; the broken file exits 1 with
        "dsrlbctl: config.reload: " and the file's path, and changes
        nothing (fe3 keeps 30); after the restore fe3 is back at 100.
        Without config.reload: its "no method" error, exit 1."""
        if "config.reload" not in self.methods:
            self.verify_no_method(["reload"], "config.reload")
            return
        path = self.d.config_path
        try:
            p = self.ctl("reload")
            verify_exit(p, 0)
            verify(p.stdout == "configuration reloaded: nothing changed\n",
                   show(p))
            self.d.config["members"][2]["weight"] = 30
            self.d.write_config()
            p = self.ctl("reload")
            verify_exit(p, 0)
            changed = [ln for ln in p.stdout.splitlines()
                       if ln.strip().startswith("members changed")]
            verify(changed and "fe3" in changed[0], show(p))
            verify(self.member("fe3")["weight"] == 30, "weight not 30")
            with open(path, "w") as f:
                f.write('{"ports": [')
            p = self.ctl("reload")
            verify_exit(p, SERVER, "dsrlbctl: config.reload: ")
            verify(path in p.stderr, show(p))
            verify(self.member("fe3")["weight"] == 30, "broken file applied")
        finally:
            self.d.config["members"][2]["weight"] = 100
            self.d.write_config()
            self.c.request("config.reload")
        verify(self.member("fe3")["weight"] == 100, "not restored")
