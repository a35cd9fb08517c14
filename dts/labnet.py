# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The namespace lab: a client behind a router, four frontends holding
the VIP on lo, a bridge as the segment, and dsrlb on a TAP port in it.

    client 203.0.113.10 ── router 203.0.113.1 | 198.51.100.1 ──┐
                                                    bridge "seg" (ns lb)
      fe1..fe4 198.51.100.11-14 (VIP 198.51.100.100 on lo) ────┤
      dsrlb: net_tap "dp0" (198.51.100.2, exception "dsrlb0") ─┘

Dual stack (ipv6=True): the client 2001:db8:c::10 behind the router
(2001:db8:c::1 | 2001:db8:5::1), the frontends 2001:db8:5::11-14 with
VIP6 2001:db8:5::100 on lo as well; the router reaches VIP6 on the
segment's /64 by Neighbor Discovery, which dsrlb answers. dsrlb's port
holds 2001:db8:5::2/64 (its kernel interface too), and fe3 and fe4 are
members by their IPv6 addresses.

Every namespace and interface name carries a per-run id; a lab left by a
killed run is removed before a new one is built. Only documentation
addresses are used, only inside these namespaces.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid

from framework import (ROOT, Ctl, Dsrlb, TestFailure, verify, wait_for,
                       scratch_dir)

PY = "/usr/bin/python3"
DTS = os.path.join(ROOT, "dts")
VIP = "198.51.100.100"
OWN = "198.51.100.2"
ROUTER = "198.51.100.1"
CLIENT = "203.0.113.10"
VIP6 = "2001:db8:5::100"
ROUTER6 = "2001:db8:5::1"
OWN6 = "2001:db8:5::2"
CLIENT6 = "2001:db8:c::10"
DP_MAC = "02:d5:1b:00:00:02"        # the MAC dsrlb answers with
TAP_KERNEL_MAC = "02:d5:1b:00:00:fd" # the TAP's own (bridge-side) MAC
BRIDGE_MAC = "02:d5:1b:00:00:fe"
PREFIX = "dlab"

SERVICES = [("pop3", 110, "pop3"), ("imap", 143, "imap"),
            ("smtp", 25, "smtp"), ("http", 8100, "http")]
# more services some suites add: SIP over TCP, and UDP echo (port 7,
# which nothing serves: checked by ICMP only)
EXTRA_SERVICES = {
    "sip-tcp": {"protocol": "tcp", "port": 5060},
    "echo": {"protocol": "udp", "port": 7},
}


def sh(*cmd, check=True, **kw):
    """Run a command; its stdout (text)."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise TestFailure("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                               p.stderr.strip()))
    return p.stdout


def remove_stale_labs():
    """Delete namespaces of labs whose owner process is gone."""
    for line in sh("ip", "netns", "list").splitlines():
        name = line.split()[0]
        m = re.match(r"^%s(\d+)x" % PREFIX, name)
        if m and not os.path.exists("/proc/%s" % m.group(1)):
            subprocess.run(["ip", "netns", "pids", name],
                           capture_output=True)
            for pid in sh("ip", "netns", "pids", name,
                          check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            subprocess.run(["ip", "netns", "del", name])


class Lab:
    """One lab. static_macs=True gives dsrlb the frontends' MACs in its
    configuration; otherwise it resolves them by ARP. n_frontends are
    built and named in the configuration (config()); add_frontend()
    builds more that it does not name, for members added at run time.
    vips: the addresses every frontend holds on lo (the vipaddrs file
    the real-server tool applies). client_delay_ms > 0 makes the
    client's link to the router a delay line (dts/delayline.py) holding
    every frame that long each way: a client a round trip away."""

    def __init__(self, static_macs=False, exception=True, n_frontends=4,
                 vips=(VIP,), client_delay_ms=0, ipv6=False):
        remove_stale_labs()
        self.id = "%s%dx%s" % (PREFIX, os.getpid(), uuid.uuid4().hex[:4])
        self.static_macs = static_macs
        self.exception = exception
        self.n = n_frontends
        self.ipv6 = ipv6
        # dual stack: fe3 and fe4 are members by their IPv6 addresses
        # (a lab may keep every member IPv4, as the HA labs do: flow
        # sync names members by IPv4 address)
        self.ipv6_members = ipv6
        self.vips = list(vips) + ([VIP6] if ipv6 else [])
        self.vipfile = None
        self.dir = scratch_dir("lab")
        self.ns_client = self.id + "c"
        self.ns_router = self.id + "r"
        self.ns_lb = self.id + "b"
        self.ns_fe = ["%sf%d" % (self.id, i) for i in range(1, self.n + 1)]
        self.fe_procs = []
        self.session_procs = []
        self.dsrlb = None
        self.ctl = None
        self.veth_n = 0
        self.restarts = 0
        self.client_delay_ms = client_delay_ms
        self.delay_proc = None

    # ---- building ----

    def ns(self, name, *cmd, check=True):
        return sh("ip", "netns", "exec", name, *cmd, check=check)

    def link(self, ns_a, if_a, ns_b, if_b):
        """A veth pair between two namespaces, renamed inside each."""
        self.veth_n += 1
        tmp_a = "v%s%da" % (uuid.uuid4().hex[:6], self.veth_n)
        tmp_b = "v%s%db" % (uuid.uuid4().hex[:6], self.veth_n)
        sh("ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b)
        sh("ip", "link", "set", tmp_a, "netns", ns_a)
        sh("ip", "link", "set", tmp_b, "netns", ns_b)
        sh("ip", "-n", ns_a, "link", "set", tmp_a, "name", if_a)
        sh("ip", "-n", ns_b, "link", "set", tmp_b, "name", if_b)

    def delay_link(self, ns_a, if_a, ns_b, if_b, delay_ms):
        """As link(), through dts/delayline.py: frames wait delay_ms each
        way (this kernel may have no netem)."""
        p = subprocess.Popen([PY, os.path.join(DTS, "delayline.py"), ns_a,
                              if_a, ns_b, if_b, str(delay_ms)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        line = p.stdout.readline()
        if line.strip() != "ready":
            p.kill()
            raise TestFailure("delayline.py: %s %s"
                              % (line, p.stderr.read()))
        self.delay_proc = p

    def sysctl(self, ns, *settings):
        for s in settings:
            self.ns(ns, "sysctl", "-qw", s)

    def build(self):
        all_ns = [self.ns_client, self.ns_router, self.ns_lb] + self.ns_fe
        for n in all_ns:
            sh("ip", "netns", "add", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
            # the balancer's namespace only switches (bridge, TAP): no
            # IPv6 of its own there, ever
            if not self.ipv6 or n == self.ns_lb:
                self.sysctl(n, "net.ipv6.conf.all.disable_ipv6=1",
                            "net.ipv6.conf.default.disable_ipv6=1")
        # the segment: a bridge in the balancer's namespace. Its own
        # device must not answer ARP for the balancer's address, which
        # the exception interface holds in the same namespace (a host
        # with another interface on the segment needs the same).
        self.sysctl(self.ns_lb, "net.ipv4.conf.all.arp_ignore=1",
                    "net.ipv4.conf.all.arp_announce=2")
        # and it must be a plain switch: a host with br_netfilter loaded
        # (docker) would have it pass IPv4 through iptables, which drops
        # malformed headers before they reach dsrlb
        self.ns(self.ns_lb, "sh", "-c",
                "for f in /proc/sys/net/bridge/bridge-nf-call-*; do "
                "[ -e \"$f\" ] && echo 0 > \"$f\"; done; true")
        sh("ip", "-n", self.ns_lb, "link", "add", "seg", "type", "bridge")
        sh("ip", "-n", self.ns_lb, "link", "set", "seg", "address",
           BRIDGE_MAC, "up")
        # client <-> router
        if self.client_delay_ms > 0:
            self.delay_link(self.ns_client, "eth0", self.ns_router, "cli0",
                            self.client_delay_ms)
        else:
            self.link(self.ns_client, "eth0", self.ns_router, "cli0")
        sh("ip", "-n", self.ns_client, "addr", "add", CLIENT + "/24",
           "dev", "eth0")
        sh("ip", "-n", self.ns_client, "link", "set", "eth0", "up")
        sh("ip", "-n", self.ns_client, "route", "add", "default", "via",
           "203.0.113.1")
        sh("ip", "-n", self.ns_router, "addr", "add", "203.0.113.1/24",
           "dev", "cli0")
        sh("ip", "-n", self.ns_router, "link", "set", "cli0", "up")
        # router <-> segment
        self.link(self.ns_router, "seg0", self.ns_lb, "rt0")
        sh("ip", "-n", self.ns_router, "addr", "add", ROUTER + "/24",
           "dev", "seg0")
        sh("ip", "-n", self.ns_router, "link", "set", "seg0", "up")
        self.sysctl(self.ns_router, "net.ipv4.ip_forward=1",
                    "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0")
        sh("ip", "-n", self.ns_lb, "link", "set", "rt0", "master", "seg",
           "up")
        if self.ipv6:
            # addresses without duplicate address detection: usable at
            # once (and none of them is anyone else's)
            sh("ip", "-n", self.ns_client, "-6", "addr", "add",
               CLIENT6 + "/64", "dev", "eth0", "nodad")
            sh("ip", "-n", self.ns_client, "-6", "route", "add", "default",
               "via", "2001:db8:c::1")
            sh("ip", "-n", self.ns_router, "-6", "addr", "add",
               "2001:db8:c::1/64", "dev", "cli0", "nodad")
            sh("ip", "-n", self.ns_router, "-6", "addr", "add",
               ROUTER6 + "/64", "dev", "seg0", "nodad")
            self.sysctl(self.ns_router, "net.ipv6.conf.all.forwarding=1")
        # frontends: the seed's real-server set-up, by our own tool
        self.vipfile = os.path.join(self.dir, "vipaddrs")
        with open(self.vipfile, "w") as f:
            f.write("# the lab's VIPs\n%s\n" % "\n".join(self.vips))
        for i in range(1, self.n + 1):
            self.build_frontend(i)
        return self

    def build_frontend(self, i):
        """Frontend i (its namespace made already): a link to the
        segment, its address, the VIPs on lo, its servers."""
        n = self.ns_fe[i - 1]
        self.link(n, "eth0", self.ns_lb, "fe%d" % i)
        sh("ip", "-n", n, "link", "set", "eth0", "address", self.fe_mac(i))
        sh("ip", "-n", n, "addr", "add", self.fe_addr(i) + "/24", "dev",
           "eth0")
        sh("ip", "-n", n, "link", "set", "eth0", "up")
        sh("ip", "-n", n, "route", "add", "default", "via", ROUTER)
        if self.ipv6:
            sh("ip", "-n", n, "-6", "addr", "add",
               self.fe_addr6(i) + "/64", "dev", "eth0", "nodad")
            sh("ip", "-n", n, "-6", "route", "add", "default", "via",
               ROUTER6)
        sh("ip", "-n", self.ns_lb, "link", "set", "fe%d" % i, "master",
           "seg", "up")
        self.sysctl(n, "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0")
        self.ns(n, os.path.join(ROOT, "config", "dsrlb-realserver"),
                "-f", self.vipfile, "up")
        self.start_frontend(i)

    def add_frontend(self):
        """One more frontend, fe<N+1> at fe_addr(N+1), built like the
        others (after build()) but not in config(): a real server an
        operator adds with member.add. Returns its index."""
        i = len(self.ns_fe) + 1
        n = "%sf%d" % (self.id, i)
        sh("ip", "netns", "add", n)
        self.ns_fe.append(n)
        sh("ip", "-n", n, "link", "set", "lo", "up")
        if not self.ipv6:
            self.sysctl(n, "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1")
        self.build_frontend(i)
        return i

    @staticmethod
    def fe_addr(i):
        return "198.51.100.%d" % (10 + i)

    @staticmethod
    def fe_addr6(i):
        return "2001:db8:5::%d" % (10 + i)

    @staticmethod
    def fe_mac(i):
        return "02:00:00:00:01:%02x" % i

    def fe_ctl_path(self, i):
        return os.path.join(self.dir, "fe%d.sock" % i)

    def start_frontend(self, i):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns_fe[i - 1], PY,
                              os.path.join(DTS, "fe_server.py"), "fe%d" % i,
                              VIP, self.fe_ctl_path(i)] +
                             ([VIP6] if self.ipv6 else []),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        line = p.stdout.readline()
        verify(line.strip() == "ready", "frontend fe%d: %s" % (i, line))
        self.fe_procs.append(p)

    # ---- dsrlb ----

    def config(self, checks=None, persistence=0, **extra):
        """The lab's dsrlb configuration. checks: {service: check}; a
        service of EXTRA_SERVICES is added when checks names it.

        persistence: given to every stateful service (None: left to
        dsrlb's default, 15 s). 0 by default: the lab has one client
        address, so with persistence every connection of a service
        would go to one member, and the suites that count connections
        spread over the frontends would see one."""
        members = []
        for i in range(1, self.n + 1):
            # dual stack: fe3 and fe4 are IPv6 members (found by
            # Neighbor Discovery, checked over IPv6); every member
            # takes both families' flows
            m = {"name": "fe%d" % i,
                 "address": self.fe_addr6(i) if self.ipv6_members and
                 i in (3, 4) else self.fe_addr(i)}
            if self.static_macs:
                m["mac"] = self.fe_mac(i)
            members.append(m)
        services = []
        # dual stack: every service on every VIP of both families
        svip = "*" if self.ipv6 else VIP
        for name, port, _ in SERVICES:
            s = {"name": name, "vip": svip, "protocol": "tcp", "port": port}
            if checks and name in checks:
                s["check"] = checks[name]
            services.append(s)
        sip = {"name": "sip-udp", "vip": svip, "protocol": "udp",
               "port": 5060, "stateless": True}
        if checks and "sip-udp" in checks:
            sip["check"] = checks["sip-udp"]
        services.append(sip)
        for name, svc in EXTRA_SERVICES.items():
            if checks and name in checks:
                services.append(dict(svc, name=name, vip=svip,
                                     check=checks[name]))
        if persistence is not None:
            for s in services:
                if not s.get("stateless"):
                    s["persistence"] = persistence
        cfg = {
            "ports": [{"name": "lan0", "device": "net_tap0",
                       "address": [OWN + "/24", OWN6 + "/64"]
                       if self.ipv6 else OWN + "/24",
                       "gateway": [ROUTER, ROUTER6] if self.ipv6
                       else ROUTER}],
            "vips": [VIP] + ([VIP6] if self.ipv6 else []),
            "control_socket": os.path.join(self.dir, "dsrlb.sock"),
            "flows": {"capacity": 65536},
            # idle workers wait for the TAP's RX interrupts: the lab does
            # not burn its two CPUs, and no packet waits for a sleep
            "dataplane": {"idle": "interrupt"},
            "members": members,
            "services": services,
        }
        if self.exception:
            cfg["exception_interface"] = "dsrlb0"
        cfg.update(extra)
        return cfg

    def start_dsrlb(self, config=None, binary=None, memory=512):
        """Start dsrlb in the balancer's namespace and join its TAP to
        the segment.

        The bridge treats a port's own MAC as its local address and would
        keep frames for dsrlb's MAC to itself, so once dsrlb has read the
        TAP's MAC (dp0, DP_MAC), the TAP's kernel side gets another one.
        """
        self.dsrlb = Dsrlb(config or self.config(),
                           ["net_tap0,iface=dp0,mac=%s" % DP_MAC],
                           name="lab", netns=self.ns_lb, workdir=self.dir,
                           memory=memory, binary=binary)
        self.dsrlb.start()
        wait_for(lambda: subprocess.run(
            ["ip", "-n", self.ns_lb, "link", "show", "dp0"],
            capture_output=True).returncode == 0, "the TAP interface")
        sh("ip", "-n", self.ns_lb, "link", "set", "dp0", "address",
           TAP_KERNEL_MAC)
        sh("ip", "-n", self.ns_lb, "link", "set", "dp0", "master", "seg",
           "up")
        self.ctl = Ctl(self.dsrlb.config["control_socket"])
        return self.dsrlb

    def wait_resolved(self):
        """Until dsrlb has a MAC for every member."""
        def done():
            ms = self.ctl.call("members.list")
            return all(m["mac"] for m in ms) and ms
        return wait_for(done, "every member resolved by ARP", timeout=30)

    def wait_health(self, service, member, state, timeout=60):
        """Until the check of service/member is in state; its entry.
        "up" also needs its last run to have passed: a member starts up,
        and failures below `fall` (a check sent before the TAP joined the
        bridge) leave it up, so up alone does not say it is healthy."""
        def done():
            for c in self.ctl.call("health.list"):
                if (c["service"], c["member"], c["state"]) == \
                        (service, member, state) and \
                        (state != "up" or c["last"] == "passed"):
                    return c
            return None
        return wait_for(done, "%s/%s %s" % (service, member, state),
                        timeout=timeout)

    def stop_dsrlb(self):
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        rc = self.dsrlb.stop() if self.dsrlb is not None else 0
        self.dsrlb = None
        return rc

    def link_exists(self, ns, iface):
        return subprocess.run(["ip", "-n", ns, "link", "show", iface],
                              capture_output=True).returncode == 0

    def restart_dsrlb(self, sig=signal.SIGTERM, config=None):
        """Stop dsrlb with signal sig (SIGKILL: a crash) and start it
        again, the lab left as it is: the same configuration (or config),
        binary and memory. What a dead dsrlb leaves is cleaned up first:
        its DPDK runtime directory is removed (Dsrlb.stop), and its TAP
        interfaces, which vanish with the process, are awaited gone, so
        start_dsrlb makes and joins new ones. The stopped dsrlb's log is
        kept as dsrlb.log.N. Returns its exit status (-sig if killed)."""
        old = self.dsrlb
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        rc = old.stop(sig)
        self.dsrlb = None
        self.restarts += 1
        if os.path.exists(old.log_path):
            os.rename(old.log_path, "%s.%d" % (old.log_path, self.restarts))
        ifaces = ["dp0"] + ([old.config["exception_interface"]]
                            if "exception_interface" in old.config else [])
        wait_for(lambda: not any(self.link_exists(self.ns_lb, i)
                                 for i in ifaces),
                 "the old dsrlb's TAP interfaces gone")
        self.start_dsrlb(config or old.config, binary=old.binary,
                         memory=old.memory)
        return rc

    # ---- traffic ----

    def client(self, *args, timeout=300):
        out = self.ns(self.ns_client, PY, os.path.join(DTS, "lab_client.py"),
                      *[str(a) for a in args])
        return json.loads(out)

    def connect(self, port, count=1, addr=VIP):
        """count TCP connections to addr (the VIP):port from the
        client."""
        return self.client("tcp", addr, port, count)

    def sip(self, count=1):
        return self.client("sip", VIP, count)

    def traffic(self, port, addr=VIP):
        """Connections to addr (the VIP):port, one at a time, until
        stop_traffic() (lab_client.py loop: its summary)."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns_client, PY,
                              os.path.join(DTS, "lab_client.py"), "loop",
                              addr, str(port)],
                             stdout=subprocess.PIPE, text=True)
        verify(p.stdout.readline().strip() == "started", "traffic client")
        return p

    @staticmethod
    def stop_traffic(p):
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        return json.loads(out)

    def start_sessions(self, port, count, interval_ms=200, addr=VIP):
        """count long-lived POP3 (110) or IMAP (143) sessions from the
        client (lab_client.py sessions), a NOOP on each every
        interval_ms, until stop_sessions(). Returns (process, started):
        started is the client's "started" list, one {"sport", "server"}
        per session (with "error" for one that could not be opened)."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns_client, PY,
                              os.path.join(DTS, "lab_client.py"), "sessions",
                              addr, str(port), str(count), str(interval_ms)],
                             stdout=subprocess.PIPE, text=True)
        self.session_procs.append(p)
        line = p.stdout.readline()
        if not line.startswith("started "):
            p.kill()
            p.wait()
            self.session_procs.remove(p)
            raise TestFailure("sessions client: %r" % line)
        return p, json.loads(line[len("started "):])

    def kill_sessions(self, p):
        """End a sessions client at once (SIGKILL: no last round, no
        goodbyes; the kernel closes its connections), for sessions whose
        end the case does not look at."""
        p.kill()
        p.wait()
        if p in self.session_procs:
            self.session_procs.remove(p)

    def stop_sessions(self, p, error=None):
        """SIGTERM to a sessions client: it finishes its round, says
        goodbye; its summary (lab_client.py: "sessions", "rounds").
        error: what interrupted the test while the sessions ran (the
        sessions are stopped first, they say more): raised again with
        the sessions that failed."""
        p.send_signal(signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=150)
        finally:
            if p in self.session_procs:
                self.session_procs.remove(p)
        summary = json.loads(out)
        if error is not None:
            failed = [s for s in summary["sessions"] if s["failed"]]
            raise TestFailure("%s: %s\n%d sessions failed: %s"
                              % (type(error).__name__, error, len(failed),
                                 failed[:5])) from error
        return summary

    def fe_counts(self, key):
        """One fe_stats counter of every frontend (add_frontend()'s
        too): {"fe1": n, ...}."""
        return {"fe%d" % i: self.fe_stats(i).get(key, 0)
                for i in range(1, len(self.ns_fe) + 1)}

    def wait_session_rounds(self, started, rounds, key="pop3-noop",
                            timeout=120):
        """Until the frontends have answered rounds more NOOPs per session
        of started than now (their key counters in fe_stats, summed).
        A round ends only when every live session has its answer (or
        failed), so every live session ran at least rounds - 1 whole
        rounds meanwhile; sessions that failed do not hold this up (the
        others go on), so the caller sees them in the summary. Returns
        the counters."""
        n = sum(1 for s in started if "error" not in s)
        base = sum(self.fe_counts(key).values())

        def done():
            now = self.fe_counts(key)
            return sum(now.values()) - base >= n * rounds and now
        return wait_for(done, "%d more NOOP rounds of %d sessions"
                        % (rounds, n), timeout=timeout, interval=0.1)

    def mac_of(self, ns, iface):
        """The MAC of an interface in a namespace."""
        return json.loads(sh("ip", "-n", ns, "-j", "link", "show",
                             iface))[0]["address"]

    def send_frames(self, ns, iface, frames, udp_ports=(), wait=20.0):
        """Put Ethernet frames (scapy packets) on iface in namespace ns,
        in order, back to back (dts/lab_frames.py). With udp_ports, UDP
        sockets bound to those ports in ns first take the answers.
        Returns {"sent": n, "answers": {"PORT": {"source", "status",
        "server"}}}."""
        from scapy.all import wrpcap
        path = os.path.join(self.dir, "frames-%s.pcap" % uuid.uuid4().hex[:6])
        wrpcap(path, list(frames), linktype=1)
        cmd = ["ip", "netns", "exec", ns, PY,
               os.path.join(DTS, "lab_frames.py"), iface, path,
               "--wait", str(wait)]
        if udp_ports:
            cmd += ["--udp"] + [str(p) for p in udp_ports]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=wait + 60)
        if p.returncode != 0:
            raise TestFailure("lab_frames.py in %s: exit %d: %s"
                              % (ns, p.returncode, p.stderr.strip()))
        return json.loads(p.stdout)

    def ping(self, ns, addr, count=3):
        return subprocess.run(["ip", "netns", "exec", ns, "ping", "-c",
                               str(count), "-W", "2", "-i", "0.2", addr],
                              capture_output=True, text=True).returncode

    # ---- frontends ----

    def fe_command(self, i, command):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(self.fe_ctl_path(i))
        s.sendall((command + "\n").encode())
        out = s.makefile().readline().strip()
        s.close()
        verify(not out.startswith("error"), "fe%d %s: %s" % (i, command, out))
        return out

    def fe_stats(self, i):
        return json.loads(self.fe_command(i, "stats"))

    def link_down(self, i):
        sh("ip", "-n", self.ns_lb, "link", "set", "fe%d" % i, "down")

    def link_up(self, i):
        sh("ip", "-n", self.ns_lb, "link", "set", "fe%d" % i, "up")

    def capture(self, ns, iface, bpf):
        """Start tcpdump; stop_capture() returns the packets."""
        path = os.path.join(self.dir, "cap-%s.pcap" % uuid.uuid4().hex[:6])
        p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-U",
                              "-s", "0", "-i", iface, "-w", path, bpf],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        line = p.stderr.readline()   # "listening on ..." once it captures
        verify("listening" in line, "tcpdump: %s" % line)
        return p, path

    @staticmethod
    def stop_capture(cap, at_least=0):
        """Stop tcpdump once the file holds at_least packets (tcpdump may
        read a packet after its receiver has already seen it)."""
        from scapy.all import rdpcap
        p, path = cap

        def count():
            try:
                return os.path.getsize(path) > 24 and \
                    len(rdpcap(path)) >= at_least
            except Exception:   # a record being written
                return False
        if at_least > 0:
            wait_for(count, "%d packets captured" % at_least)
        # tcpdump exits at SIGINT without writing what its socket still
        # holds: first let it catch up (a capture starved of CPU lags),
        # until its file has not grown for a while (10 s at most; what
        # it misses even so, capture_drops() counts)
        sizes = []

        def settled():
            sizes.append(os.path.getsize(path))
            return len(sizes) > 3 and sizes[-1] == sizes[-4]
        try:
            wait_for(settled, "the capture %s caught up" % path,
                     timeout=10, interval=0.1)
        except TestFailure:
            pass
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
        return list(rdpcap(path)) if os.path.getsize(path) > 24 else []

    @staticmethod
    def capture_drops(cap):
        """After stop_capture(): the packets that reached the capture
        but are not in its file, from tcpdump's report at exit: those
        its kernel buffer dropped, and those its filter passed that it
        had not written yet when it was stopped (a capture starved of
        CPU lags behind what arrived)."""
        p, _ = cap
        report = p.stderr.read() or ""

        def n(what):
            m = re.search(r"(\d+) packets? %s" % what, report)
            return int(m.group(1)) if m else 0
        return n("dropped by kernel") + max(
            0, n("received by filter") - n("captured"))

    # ---- teardown ----

    def teardown(self):
        rc = 0
        for p in self.session_procs:   # a failed case left them running
            p.kill()
            p.wait()
        self.session_procs = []
        try:
            rc = self.stop_dsrlb()
        finally:
            for p in self.fe_procs + [self.delay_proc]:
                if p is not None:
                    p.kill()
                    p.wait()
            self.fe_procs = []
            self.delay_proc = None
            for n in [self.ns_client, self.ns_router, self.ns_lb] + \
                    self.ns_fe:
                subprocess.run(["ip", "netns", "del", n],
                               capture_output=True)
        return rc


def verify_sessions_answered(summary, started):
    """Every session of a sessions client (its summary, and the started
    list it printed) answered every NOOP round, by the frontend that
    greeted it."""
    by_sport = {s["sport"]: s["server"] for s in started}
    for s in summary["sessions"]:
        verify(s["server"] == by_sport[s["sport"]] and
               s["ok"] == summary["rounds"],
               "session %s: greeted by %s, %d of %d NOOPs answered"
               % (s, by_sport.get(s["sport"]), s["ok"], summary["rounds"]))


def servers(results):
    """Frontend names of the successful connections: {name: count}."""
    seen = {}
    for r in results:
        if r.get("ok"):
            seen[r["server"]] = seen.get(r["server"], 0) + 1
    return seen


def wait_seconds(seconds):
    """Let the lab run for a while (traffic flows meanwhile). Never used
    to wait for readiness: that is always polled."""
    time.sleep(seconds)
