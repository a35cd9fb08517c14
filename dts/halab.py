# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The high-availability lab: the namespace lab of labnet.py with several
balancers on one segment, keepalived or BIRD beside each.

    client 203.0.113.10 ── router 203.0.113.1 | 198.51.100.1 ───┐
                                          bridge "seg" (ns <id>s)
      fe1..fe4 198.51.100.11-14 (VIP 198.51.100.100 on lo) ─────┤
      balancer k (ns <id>b<k>), k = 1..N:                       │
        dsrlb: net_tap "dp0" (198.51.100.<1+k>, exception       │
        "dsrlb0", MAC 02:d5:1b:00:0<k>:02) ── bridge "br0" ──   │
        veth "up0" ─────────────────────────── "lb<k>" ─────────┘

The segment bridge lives in a namespace of its own (labnet's "ns_lb",
here the segment only), with the router's and the frontends' links as in
labnet. Each balancer has its own namespace: dsrlb's TAP joins a bridge
there, uplinked by a veth into the segment (a bridge port must be in the
bridge's namespace, and dsrlb's TAP must stay in dsrlb's).

keepalived and BIRD run with the shipped configurations (config/),
changed only where a placeholder needs this lab's value (addresses,
priority, paths, logging to stderr).

Every namespace and interface name carries labnet's per-run id; a lab
left by a killed run is removed (labnet.remove_stale_labs) before a new
one is built. Only documentation addresses, only in these namespaces.
"""

import json
import os
import re
import signal
import subprocess
import time

import framework
from framework import (ROOT, Ctl, Dsrlb, TestFailure, verify, wait_for,
                       scratch_dir)
from labnet import CLIENT, Lab, sh, ROUTER, ROUTER6, VIP

CONFIG = os.path.join(ROOT, "config")
KEEPALIVED_CONF = os.path.join(CONFIG, "keepalived-dsrlb.conf")
NOTIFY = os.path.join(CONFIG, "dsrlb-vrrp-notify")
BIRD_BALANCER = os.path.join(CONFIG, "bird-balancer.conf")
BIRD_ROUTER = os.path.join(CONFIG, "bird-router.conf")
DSRLBCTL = os.path.join(framework.BUILD, "app", "dsrlbctl", "dsrlbctl")
ANNOUNCE_TABLE = 25716


def balancer_addr(k):
    """Balancer k's own address: 198.51.100.2, .3, .4."""
    return "198.51.100.%d" % (1 + k)


def balancer_addr6(k):
    """Balancer k's IPv6 next hop in mode ecmp (a dual-stack lab):
    2001:db8:5::2, ::3, ::4."""
    return "2001:db8:5::%d" % (1 + k)


def render(path, out, subs):
    """Copy a shipped configuration to out with subs applied: a list of
    (regular expression, replacement), each of which must match (a
    shipped file that lost a placeholder fails the lab, not silently
    keeps its default)."""
    with open(path) as f:
        text = f.read()
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text, flags=re.M)
        if n == 0:
            raise TestFailure("%s: nothing matches %r" % (path, pattern))
    with open(out, "w") as f:
        f.write(text)
    return out


class Balancer:
    """Balancer k of an HaLab: its namespace, addresses, dsrlb, and the
    keepalived and BIRD beside it."""

    def __init__(self, lab, k):
        self.lab = lab
        self.k = k
        self.name = "lb%d" % k
        self.ns = "%sb%d" % (lab.id, k)
        self.addr = balancer_addr(k)
        self.addr6 = balancer_addr6(k)
        self.dp_mac = "02:d5:1b:00:%02x:02" % k        # dsrlb's MAC
        self.tap_mac = "02:d5:1b:00:%02x:fd" % k       # the TAP's kernel side
        self.bridge_mac = "02:d5:1b:00:%02x:fe" % k
        self.dir = scratch_dir(self.name)
        self.sock = os.path.join(self.dir, "dsrlb.sock")
        self.dsrlb = None
        self.config = None
        self.ctl = None
        self.restarts = 0
        self.keepalived = None
        self.keepalived_n = 0
        self.bird = None
        self.bird_sock = os.path.join(self.dir, "bird.ctl")
        self.notify_log = None
        # dsrlb's high_availability.track_file, keepalived's track_file
        self.track_file = os.path.join(self.dir, "links-down")

    # ---- dsrlb ----

    def start(self, config=None):
        """Start dsrlb (config, or the last one) in the balancer's
        namespace and join its TAP to the balancer's bridge (with
        another MAC on the kernel side, as labnet.start_dsrlb)."""
        if config is not None:
            self.config = config
        self.dsrlb = Dsrlb(self.config,
                           ["net_tap0,iface=dp0,mac=%s" % self.dp_mac],
                           name=self.name, netns=self.ns, workdir=self.dir,
                           memory=512)
        self.dsrlb.start()
        wait_for(lambda: self.lab.link_exists(self.ns, "dp0"),
                 "%s: the TAP interface" % self.name)
        sh("ip", "-n", self.ns, "link", "set", "dp0", "address",
           self.tap_mac)
        sh("ip", "-n", self.ns, "link", "set", "dp0", "master", "br0", "up")
        self.ctl = Ctl(self.sock)
        return self.dsrlb

    def running(self):
        return self.dsrlb is not None and self.dsrlb.proc is not None \
            and self.dsrlb.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Stop dsrlb with sig (SIGKILL: a crash); wait until its
        interfaces are gone (they vanish with the process). Its log is
        kept as dsrlb.log.N. Its exit status (-sig if killed)."""
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        if self.dsrlb is None:
            return None
        old = self.dsrlb
        rc = old.stop(sig)
        self.dsrlb = None
        self.restarts += 1
        if os.path.exists(old.log_path):
            os.rename(old.log_path, "%s.%d" % (old.log_path, self.restarts))
        wait_for(lambda: not any(self.lab.link_exists(self.ns, i)
                                 for i in ("dp0", "dsrlb0")),
                 "%s: the old dsrlb's TAP interfaces gone" % self.name)
        return rc

    def kill(self):
        """kill -9 dsrlb; its exit status."""
        return self.stop(signal.SIGKILL)

    def send_signal(self, sig=signal.SIGTERM):
        """Send dsrlb sig and return at once (a normal stop goes on for
        its grace meanwhile: wait_exit(), then stop())."""
        self.dsrlb.proc.send_signal(sig)

    def wait_exit(self, timeout=60):
        """Until dsrlb has exited by itself: its exit status and its
        log."""
        rc = self.dsrlb.proc.wait(timeout=timeout)
        return rc, self.dsrlb.output()

    def restart(self, sig=signal.SIGTERM, config=None):
        rc = self.stop(sig)
        self.start(config)
        return rc

    def call(self, method, params=None):
        return self.ctl.call(method, params)

    def status(self):
        return self.call("status")

    def active(self):
        return self.status()["active"]

    def stats(self):
        return self.call("stats")

    def ha_status(self):
        return self.status().get("high_availability", {})

    def wait_stats_master(self, counter, base, timeout=20):
        """Until the master counter is above its value in base (master
        stats): the master stats."""
        def done():
            m = self.stats()["master"]
            return m if m[counter] > base[counter] else None
        return wait_for(done, "%s: master %s above %d" % (
            self.name, counter, base[counter]), timeout=timeout,
            interval=0.1)

    def dsrlbctl(self, *args, check=True):
        """Run the dsrlbctl of this build against this balancer."""
        return sh(DSRLBCTL, "-s", self.sock, *args, check=check)

    # ---- the data link ----

    def set_carrier(self, on):
        """Pull (or plug back) the cable of dsrlb's data port: the carrier
        of its TAP's kernel side (dp0), which net_tap reports as dsrlb's
        link (IFF_RUNNING) and the bridge as its port (disabled without
        carrier: nothing passes either way)."""
        sh("ip", "-n", self.ns, "link", "set", "dp0", "carrier",
           "on" if on else "off")

    def port_link(self):
        """status: ports[0].link."""
        return self.status()["ports"][0]["link"]

    def kif_carrier(self):
        """Whether dsrlb0 has a carrier (its kernel flags say LOWER_UP)."""
        out = self.lab.ns(self.ns, "ip", "-j", "link", "show", "dsrlb0")
        return "LOWER_UP" in json.loads(out)[0]["flags"]

    def track_value(self):
        """What dsrlb wrote in the track file (None: no file)."""
        try:
            with open(self.track_file) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def wait_resolved(self):
        def done():
            ms = self.call("members.list")
            return all(m["mac"] for m in ms) and ms
        return wait_for(done, "%s: every member resolved" % self.name)

    def wait_health(self, service, member, state="up", timeout=60):
        def done():
            for c in self.call("health.list"):
                if (c["service"], c["member"], c["state"]) == \
                        (service, member, state) and \
                        (state != "up" or c["last"] == "passed"):
                    return c
            return None
        return wait_for(done, "%s: %s/%s %s" % (self.name, service, member,
                                                 state), timeout=timeout)

    # ---- keepalived ----

    def start_keepalived(self, priority):
        """keepalived (VRRP only) in the balancer's namespace with the
        shipped configuration: only the priority, the hook's path (with
        dsrlbctl and the socket in its environment) and the track file's
        (self.track_file) changed. Logs
        to keepalived.log.N in the balancer's directory.

        As config/keepalived-dsrlb.service.conf has systemd do, it starts
        once dsrlb0 has its address: keepalived 2.2.7 does not run VRRP
        on an interface that appears after it started (nor on one
        re-created under it), so it is started after every start of
        dsrlb, and stopped when dsrlb stops."""
        def has_address():
            return self.lab.ns(self.ns, "ip", "-4", "-o", "addr", "show",
                               "dev", "dsrlb0", check=False).count(" inet ")
        wait_for(has_address, "%s: dsrlb0 with its address" % self.name)
        self.keepalived_n += 1
        n = self.keepalived_n
        conf = render(KEEPALIVED_CONF,
                      os.path.join(self.dir, "keepalived.conf"), [
                          (r"^(\s*priority) \d+$", r"\1 %d" % priority),
                          (r'^(\s*notify) "[^"]*/dsrlb-vrrp-notify"$',
                           r'\1 "%s"' % NOTIFY),
                          (r'^(\s*file) "/run/dsrlb/links-down"$',
                           r'\1 "%s"' % self.track_file),
                      ])
        self.keepalived_log = os.path.join(self.dir, "keepalived.log.%d" % n)
        self.notify_log = os.path.join(self.dir, "notify.log.%d" % n)
        env = dict(os.environ, DSRLBCTL=DSRLBCTL, DSRLB_SOCKET=self.sock,
                   DSRLB_VRRP_LOCK=os.path.join(self.dir, "notify.lock"),
                   DSRLB_VRRP_STATE=os.path.join(self.dir, "notify.state"),
                   DSRLB_VRRP_LOG=self.notify_log)
        log = open(self.keepalived_log, "w")
        pids = [os.path.join(self.dir, "keepalived%s.pid" % s)
                for s in ("", "_vrrp", "_checkers", "_bfd")]
        for f in pids:
            # left by a keepalived killed (kill_keepalived): one naming
            # a pid reused since would make it refuse to start
            if os.path.exists(f):
                os.unlink(f)
        self.keepalived = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "keepalived", "--vrrp",
             "--dont-fork", "--log-console", "--log-detail", "--no-syslog",
             "-f", conf, "-p", pids[0], "-r", pids[1], "-c", pids[2],
             "-b", pids[3]],
            stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        log.close()
        return self.keepalived

    def stop_keepalived(self, sig=signal.SIGTERM):
        p = self.keepalived
        if p is None:
            return None
        self.keepalived = None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        return p.returncode

    def kill_keepalived(self):
        """kill -9 keepalived, its parent and VRRP processes at once (a
        crash: no hook runs, no last advert)."""
        p = self.keepalived
        if p is None:
            return None
        self.keepalived = None
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return p.wait(timeout=20)

    def keepalived_output(self):
        try:
            with open(self.keepalived_log) as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def notify_output(self):
        """What the notify hook logged (DSRLB_VRRP_LOG)."""
        try:
            with open(self.notify_log) as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def vrrp_state(self):
        """keepalived's last state of the instance, from its log
        ("Entering MASTER STATE" ...): MASTER, BACKUP, FAULT or None."""
        states = re.findall(r"\(dsrlb\) Entering (\w+) STATE",
                            self.keepalived_output())
        return states[-1] if states else None

    # ---- BIRD ----

    def start_bird(self, router=ROUTER):
        """BIRD in the balancer's namespace with the shipped
        config/bird-balancer.conf: its own address, the router's, and
        logging to stderr (bird.log)."""
        conf = render(BIRD_BALANCER, os.path.join(self.dir, "bird.conf"), [
            (r"^log syslog all;$", "log stderr all;"),
            (r"^router id [0-9.]+;$", "router id %s;" % self.addr),
            (r"^define OWN_ADDRESS = [0-9.]+;$",
             "define OWN_ADDRESS = %s;" % self.addr),
            (r"^define ROUTER_ADDRESS = [0-9.]+;$",
             "define ROUTER_ADDRESS = %s;" % router),
            (r"^define OWN_ADDRESS6 = [0-9a-f:]+;$",
             "define OWN_ADDRESS6 = %s;" % self.addr6),
        ])
        self.bird = start_bird(self.ns, conf, self.bird_sock,
                               os.path.join(self.dir, "bird"))
        return self.bird

    def birdc(self, *cmd):
        return birdc(self.ns, self.bird_sock, *cmd)

    def announced(self, family=4):
        """The routes dsrlb keeps in its announcement table (family 6:
        the IPv6 ones)."""
        return kernel_routes(self.ns, table=ANNOUNCE_TABLE, family=family)

    def session_flows(self, sets, client=CLIENT):
        """The sessions of sets (HaLab.open_session_sets) that this
        balancer's flow tables hold: {(port, client port): {members}} (a
        set: a synced flow may be in its home worker's table and copied
        into the one RSS gives it). client: the sessions' client address
        (CLIENT6: IPv6 sessions, which the client filter of flows.list,
        IPv4 only, cannot select)."""
        want = {(port, s["sport"]) for port, _, started in sets
                for s in started}
        got = {}
        params = {"limit": 10000}
        if client == CLIENT:
            params["client"] = CLIENT
        while True:
            r = self.call("flows.list", params)
            for f in r["flows"]:
                key = (f["port"], f["client_port"])
                # a live session's flow: not a "closing" one left by
                # an earlier connection from the same port
                if f["protocol"] == "tcp" and key in want and \
                        f["client"] == client and \
                        f["state"] in ("established", "mid"):
                    got.setdefault(key, set()).add(f["member"])
            if not r.get("next"):
                return got
            params = dict(params, cursor=r["next"])


def session_servers(sets):
    """{(port, client port): the frontend that greeted it} of every
    session of sets (HaLab.open_session_sets)."""
    return {(port, s["sport"]): s["server"]
            for port, _, started in sets for s in started}


def start_bird(ns, conf, sock, base):
    """bird -f in namespace ns; stdout and stderr to base.log."""
    log = open(base + ".log", "a")
    p = subprocess.Popen(["ip", "netns", "exec", ns, "bird", "-f", "-c", conf,
                          "-s", sock, "-P", base + ".pid"],
                         stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    log.close()
    wait_for(lambda: p.poll() is None and os.path.exists(sock) and
             birdc(ns, sock, "show", "status"), "BIRD in %s" % ns,
             timeout=20)
    return p


def stop_process(p, sig=signal.SIGTERM):
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def birdc(ns, sock, *cmd):
    """birdc's output of one command."""
    return sh("ip", "netns", "exec", ns, "birdc", "-s", sock, *cmd)


def kernel_routes(ns, table=None, dst=None, family=None):
    """ip -j route show [table T] [DST] in namespace ns (family 6, or an
    IPv6 dst: the IPv6 routes)."""
    six = family == 6 or (dst is not None and ":" in dst)
    cmd = ["ip", "-n", ns] + (["-6"] if six else []) + \
        ["-j", "route", "show"]
    if table is not None:
        cmd += ["table", str(table)]
    if dst is not None:
        cmd += [dst]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        if "does not exist" in p.stderr:
            return []       # a table nothing was put in yet
        raise TestFailure("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                               p.stderr.strip()))
    return json.loads(p.stdout or "[]")


class HaLab(Lab):
    """A labnet Lab whose segment holds n_balancers balancers.

    The Lab's own dsrlb helpers (start_dsrlb, ...) are not used: each
    balancer is a Balancer (self.lbs[k - 1]); the Lab's traffic and
    frontend helpers (start_sessions, add_frontend, capture, ...) are.
    """

    def __init__(self, n_balancers=2, ipv6_members=False, **kw):
        super().__init__(**kw)
        # dual stack: fe3 and fe4 members by their IPv6 addresses (the
        # port then holds its IPv6 address too), or every member IPv4
        self.ipv6_members = self.ipv6 and ipv6_members
        # labnet's balancer namespace holds the segment bridge only
        self.ns_lb = self.id + "s"
        self.ns_seg = self.ns_lb
        self.lbs = [Balancer(self, k) for k in range(1, n_balancers + 1)]
        self.router_bird = None
        self.router_bird_sock = os.path.join(self.dir, "bird-router.ctl")

    def build(self):
        super().build()
        for b in self.lbs:
            self.build_balancer(b)
        return self

    def build_balancer(self, b):
        sh("ip", "netns", "add", b.ns)
        sh("ip", "-n", b.ns, "link", "set", "lo", "up")
        self.sysctl(b.ns, "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1",
                    # only dsrlb0 answers ARP for the own address (not
                    # the bridge), as on labnet's balancer namespace
                    "net.ipv4.conf.all.arp_ignore=1",
                    "net.ipv4.conf.all.arp_announce=2")
        self.ns(b.ns, "sh", "-c",
                "for f in /proc/sys/net/bridge/bridge-nf-call-*; do "
                "[ -e \"$f\" ] && echo 0 > \"$f\"; done; true")
        sh("ip", "-n", b.ns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", b.ns, "link", "set", "br0", "address", b.bridge_mac,
           "up")
        self.link(b.ns, "up0", self.ns_seg, b.name)
        sh("ip", "-n", b.ns, "link", "set", "up0", "master", "br0", "up")
        sh("ip", "-n", self.ns_seg, "link", "set", b.name, "master", "seg",
           "up")

    def balancer_config(self, b, ha=None, checks=None, scheduler=None,
                        **extra):
        """labnet's configuration for balancer b: its own address and
        control socket; ha as "high_availability"; scheduler for every
        stateful service."""
        cfg = self.config(checks=checks, **extra)
        # the own addresses: IPv4 only unless IPv6 members need the
        # port's IPv6 address; the IPv6 VIPs go by next_hop6 (ecmp) or
        # by the workers' answers for them (vrrp)
        if self.ipv6_members:
            cfg["ports"][0]["address"] = [b.addr + "/24", b.addr6 + "/64"]
            cfg["ports"][0]["gateway"] = [ROUTER, ROUTER6]
        else:
            cfg["ports"][0]["address"] = b.addr + "/24"
            cfg["ports"][0]["gateway"] = ROUTER
        cfg["control_socket"] = b.sock
        if ha is not None:
            if ha.get("mode") == "ecmp" and self.ipv6:
                # the IPv6 VIP is announced by its next hop
                ha = dict({"next_hop6": b.addr6}, **ha)
            cfg["high_availability"] = ha
        if scheduler is not None:
            for s in cfg["services"]:
                if not s.get("stateless"):
                    s["scheduler"] = scheduler
        return cfg

    # ---- flow sync ----

    SYNC_ID = 7
    SYNC_PORT = 8848

    def sync_key_file(self, name="sync.key", keys=None):
        """A sync key file in the lab's directory (mode 0600): keys is
        [(id, 32-byte key)], the first the one sent with; by default
        the lab's one key. Returns its path."""
        keys = keys or [(1, self.sync_key())]
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# dsrlb flow-sync keys: id, 64 hex digits\n")
            for kid, key in keys:
                f.write("%d %s\n" % (kid, key.hex()))
        os.chmod(path, 0o600)
        return path

    def sync_key(self):
        """The lab's sync key (32 bytes, fixed per lab)."""
        import hashlib
        return hashlib.sha256(("dsrlb-lab " + self.id).encode()).digest()

    def sync_conf(self, b, **kw):
        """high_availability.sync for balancer b: the lab's id, port and
        key file, every other balancer a peer; kw adds or overrides."""
        conf = {"id": self.SYNC_ID, "port": self.SYNC_PORT,
                "peers": [o.addr for o in self.lbs if o is not b],
                "key_file": self.sync_key_file()}
        if os.environ.get("DSRLB_SYNC_KEYLESS"):
            # a build from before authenticated sync (to see a case
            # fail there): it knows no key_file
            del conf["key_file"]
        conf.update(kw)
        return conf

    # ---- the router's BIRD ----

    def start_router_bird(self):
        """BIRD on the router with the shipped config/bird-router.conf
        (logging to stderr), and the kernel's L4 multipath hash."""
        self.sysctl(self.ns_router, "net.ipv4.fib_multipath_hash_policy=1")
        if self.ipv6:
            self.sysctl(self.ns_router,
                        "net.ipv6.fib_multipath_hash_policy=1")
        conf = render(BIRD_ROUTER, os.path.join(self.dir, "bird-router.conf"),
                      [(r"^log syslog all;$", "log stderr all;")])
        self.router_bird = start_bird(self.ns_router, conf,
                                      self.router_bird_sock,
                                      os.path.join(self.dir, "bird-router"))
        return self.router_bird

    def router_birdc(self, *cmd):
        return birdc(self.ns_router, self.router_bird_sock, *cmd)

    def router_bgp_session(self, addr):
        """The router's BGP session with the balancer at addr, from one
        "show protocols all" (BIRD answers a command at once, so the
        fields agree): {"name", "state" (BGP state), "routes" (routes
        imported), "withdraws" (route withdrawals received)}, or None
        when the router has no session with addr."""
        out = self.router_birdc("show", "protocols", "all")
        for block in re.split(r"\n(?=\S)", out):
            if not re.search(r"^\s+Neighbor address:\s+%s$"
                             % re.escape(addr), block, re.M):
                continue
            state = re.search(r"^\s+BGP state:\s+(\S+)", block, re.M)
            routes = re.search(r"^\s+Routes:\s+(\d+) imported", block,
                               re.M)
            wd = re.search(r"^\s+Import withdraws:\s+(\d+)", block, re.M)
            return {"name": block.split()[0],
                    "state": state.group(1) if state else None,
                    "routes": int(routes.group(1)) if routes else 0,
                    "withdraws": int(wd.group(1)) if wd else 0}
        return None

    def vip_next_hops(self, vip=VIP):
        """The router's kernel next hops for vip (a /32 from BGP): sorted
        gateway addresses, [] without such a route."""
        hops = []
        for r in kernel_routes(self.ns_router, dst=vip):
            if r.get("dst") != vip:
                continue        # the connected /24 matches too
            if "gateway" in r:
                hops.append(r["gateway"])
            for h in r.get("nexthops", []):
                hops.append(h["gateway"])
        return sorted(hops)

    def wait_next_hops(self, addrs, vip=VIP, timeout=60):
        want = sorted(addrs)
        last = []

        def done():
            last[:] = self.vip_next_hops(vip)
            return last == want
        try:
            return wait_for(done, "router: %s via %s" % (vip, want),
                            timeout=timeout, interval=0.1)
        except TestFailure as e:
            raise TestFailure("%s; next hops now %s\n%s" % (
                e, last, self.router_birdc("show", "protocols")))

    # ---- sync frames ----

    def sync_message(self, mtype=1, records=(), seq=None, nonce=0,
                     sync_id=None, key=None, key_id=1, magic=0x44534c53,
                     version=2):
        """A sync message (lib/sync/lb_sync.h wire format, version 2)
        signed with key (default: the lab's) as key_id: records are
        (kind, proto, state, client, vip, cport, vport, member,
        lifetime_ms); in a FLOWS6 message (mtype 4) each address of
        either family (an IPv4 one IPv4-mapped on the wire). seq
        defaults to the wall clock in microseconds, above what a peer
        started earlier has sent."""
        import hashlib
        import hmac
        import socket as s
        import struct
        if seq is None:
            seq = int(time.time() * 1e6)
        def a16(a):
            return s.inet_pton(s.AF_INET6, a if ":" in a else "::ffff:" + a)
        body = b""
        for (kind, proto, state, client, vip, cport, vport, member,
             life) in records:
            if mtype == 4:
                body += struct.pack("!BBBB16s16sHH16sI", kind, proto, state,
                                    0, a16(client), a16(vip), cport, vport,
                                    a16(member), life)
                continue
            body += struct.pack("!BBBB4s4sHH4sI", kind, proto, state, 0,
                                s.inet_aton(client), s.inet_aton(vip),
                                cport, vport, s.inet_aton(member), life)
        msg = struct.pack("!IBBHIB3xQQ", magic, version, mtype,
                          len(records),
                          self.SYNC_ID if sync_id is None else sync_id,
                          key_id, seq, nonce) + body
        mac = hmac.new(key or self.sync_key(), msg,
                       hashlib.sha512).digest()[:32]
        return msg + mac

    # ---- teardown ----

    def stop_balancers(self):
        """Stop every balancer's dsrlb with SIGTERM, all at once (a
        normal stop goes on for its grace, if active: the graces run
        side by side), and wait until each has exited and its
        interfaces are gone. Their exit statuses, by name ("stop
        failed" where that failed)."""
        for b in self.lbs:
            if b.running():
                b.send_signal(signal.SIGTERM)
        rcs = {}
        for b in self.lbs:
            try:
                if b.running():
                    b.wait_exit()
            except subprocess.TimeoutExpired:
                pass        # stop() tries again, then kills it
            try:
                rcs[b.name] = b.stop()
            except Exception:
                rcs[b.name] = "stop failed"
        return rcs

    def teardown(self):
        rc = 0
        try:
            for b in self.lbs:
                try:
                    b.stop_keepalived()
                except Exception:
                    pass
                stop_process(b.bird)
                b.bird = None
            stop_process(self.router_bird)
            self.router_bird = None
            for r in self.stop_balancers().values():
                if r not in (0, None):
                    rc = r
        finally:
            try:
                r = super().teardown()
                rc = rc or r
            finally:
                for b in self.lbs:
                    subprocess.run(["ip", "netns", "del", b.ns],
                                   capture_output=True)
        return rc

    # ---- sessions on POP3 and IMAP, as the HA suites use them ----

    def open_session_sets(self, count, interval_ms):
        """count POP3 and count IMAP sessions: [(port, process,
        started)]."""
        sets = []
        for port in (110, 143):
            p, started = self.start_sessions(port, count, interval_ms)
            sets.append((port, p, started))
            bad = [s for s in started if "error" in s]
            verify(not bad, "port %d: sessions not opened: %s"
                   % (port, bad[:5]))
        return sets

    def wait_session_sets(self, sets, rounds):
        for port, _, started in sets:
            self.wait_session_rounds(
                started, rounds, key="pop3-noop" if port == 110
                else "imap-noop")

    def stop_session_sets(self, sets, error):
        """Stop every sessions client: [(port, summary, started)]. error
        (what interrupted the case) is raised again with the sessions
        that failed."""
        summaries = [(port, self.stop_sessions(p), started)
                     for port, p, started in sets]
        if error is not None:
            failed = ["port %d: %s" % (port, s) for port, summary, _ in
                      summaries for s in summary["sessions"] if s["failed"]]
            raise AssertionError("%s: %s\n%d sessions failed: %s" % (
                type(error).__name__, error, len(failed),
                failed[:5])) from error
        return summaries


def wait_vrrp(lbs, timeout=60):
    """Until exactly one of lbs (balancers with keepalived) is active,
    every other standby, and keepalived agrees (MASTER on the active one,
    BACKUP elsewhere): the active Balancer."""
    def done():
        act = [b for b in lbs if b.active()]
        if len(act) != 1:
            return None
        for b in lbs:
            if b.vrrp_state() != ("MASTER" if b is act[0] else "BACKUP"):
                return None
        return act[0]
    try:
        return wait_for(done, "one active balancer", timeout=timeout,
                        interval=0.2)
    except TestFailure as e:
        raise TestFailure("%s: %s" % (e, ["%s active %s keepalived %s" % (
            b.name, b.running() and b.active(), b.vrrp_state())
            for b in lbs]))


__all__ = ["HaLab", "Balancer", "render", "wait_vrrp", "balancer_addr",
           "balancer_addr6",
           "kernel_routes", "ANNOUNCE_TABLE", "VIP"]
