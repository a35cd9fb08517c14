# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""What the runtime-control lab suites share (dts/suites/lab_runtime.py,
dts/suites/lab_control_stress.py): the lab's configuration, dsrlbctl,
and RuntimeLab, the base of their suites (kept out of dts/suites so that
run.py does not take it for a suite of its own)."""

import os
import subprocess

from framework import BUILD, Ctl, TestFailure, TestSuite, verify, wait_for
from labnet import VIP, Lab, servers

DSRLBCTL = os.path.join(BUILD, "app", "dsrlbctl", "dsrlbctl")
# a second VIP every frontend holds on lo: the persistent service's
VIP2 = "198.51.100.101"
FRONTENDS = ("fe1", "fe2", "fe3", "fe4")
# timeouts generous for a loaded 2-CPU machine: a check that flaps moves
# the flows of a healthy member, which these suites must never see
CHECK = {"interval": 1, "timeout": 1, "rise": 2, "fall": 3}
PERSISTENCE = 15


def lab_config(lab):
    """The lab's configuration for these suites: checks on every TCP
    service; pop3 and imap Maglev, smtp wrr (exact shares), all three
    without persistence (one client address: they must spread);
    pop3-persist, wrr with the seed's 15 s persistence, on VIP2:110; no
    http (the cases add it at run time); closing and SYN-only flows kept
    2 s, so a drained member's flows are gone soon after they end."""
    cfg = lab.config(checks={"pop3": dict(CHECK, type="pop3"),
                             "imap": dict(CHECK, type="imap"),
                             "smtp": dict(CHECK, type="smtp")})
    cfg["services"] = [s for s in cfg["services"] if s["name"] != "http"]
    for s in cfg["services"]:
        if s["name"] == "smtp":
            s["scheduler"] = "wrr"
    cfg["services"].append({
        "name": "pop3-persist", "vip": VIP2, "protocol": "tcp", "port": 110,
        "scheduler": "wrr", "persistence": PERSISTENCE,
        "check": dict(CHECK, type="pop3")})
    cfg["vips"] = [VIP, VIP2]
    cfg["flows"] = {"capacity": 65536, "syn_timeout": 2, "fin_timeout": 2}
    return cfg


def http_service(**extra):
    """The service the cases add at run time: HTTP on VIP:8100."""
    return dict({"name": "http", "vip": VIP, "protocol": "tcp",
                 "port": 8100, "persistence": 0,
                 "check": dict(CHECK, type="http", path="/")}, **extra)


def dsrlbctl(sock, *args, timeout=60):
    """Run dsrlbctl -s sock args; the CompletedProcess (text)."""
    env = dict(os.environ)
    env.pop("DSRLB_SOCKET", None)
    return subprocess.run([DSRLBCTL, "-s", sock] + [str(a) for a in args],
                          capture_output=True, text=True, env=env,
                          timeout=timeout)


def show(p):
    return "dsrlbctl %s: exit %d\nstdout: %s\nstderr: %s" % (
        " ".join(p.args[3:]), p.returncode, p.stdout[-3000:],
        p.stderr[-2000:])


def failures(summary):
    """A connection loop's failures, for a message."""
    return "%d failed: %s" % (summary["failed"], summary["errors"][:5])


class RuntimeLab(TestSuite):
    """What the runtime suites share: one lab (four frontends in the
    configuration, a fifth built but not named), dsrlb with health
    checks on every TCP service, and a reset before each case that puts
    back the boot state through the control socket."""

    GROUP = "lab"

    def set_up_suite(self):
        self.lab = Lab(static_macs=False, exception=True, vips=(VIP, VIP2))
        self.lab.build()
        self.fe5 = self.lab.add_frontend()
        self.config = self.configure(lab_config(self.lab))
        self.lab.start_dsrlb(self.config)
        self.ctl = self.lab.ctl
        self.sock = self.config["control_socket"]
        self.wait_ready()

    def configure(self, cfg):
        """The suite's changes to lab_config(): none."""
        return cfg

    def tear_down_suite(self):
        if not hasattr(self, "lab"):
            return
        d = self.lab.dsrlb
        rc = self.lab.teardown()
        out = d.output() if d is not None else ""
        verify(rc == 0, "dsrlb exited %s on SIGTERM:\n%s" % (rc, out[-6000:]))
        # a sanitized build reports there (and exits non-zero)
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                    "runtime error:"):
            if bad in out:
                raise TestFailure("dsrlb's log reports %r:\n%s" % (
                    bad, out[max(0, out.index(bad) - 200):][:6000]))

    def set_up_test(self):
        self.loops = []
        # a case may have left the suite's connection closed (dsrlb
        # closes idle clients when its slots are all taken)
        self.lab.ctl.close()
        self.lab.ctl = self.ctl = Ctl(self.sock)
        self.reset()

    def tear_down_test(self):
        """Connection loops a failed case left running go (sessions go
        with the lab)."""
        for p in self.loops:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.loops = []

    # ---- state ----

    def members(self):
        return {m["name"]: m for m in self.ctl.call("members.list")}

    def services(self):
        return {s["name"]: s for s in self.ctl.call("services.list")}

    def service_member(self, service, member):
        """The member's entry in services.list for the service, or
        None."""
        for m in self.services()[service]["members"]:
            if m["name"] == member:
                return m
        return None

    def checked_services(self):
        return [s["name"] for s in self.ctl.call("services.list")
                if s["check"] != "none"]

    def wait_ready(self, members=FRONTENDS, timeout=60):
        """Until every one of members is resolved by ARP and every check
        of it is up with its last run passed."""
        def done():
            ms = self.members()
            if not all(ms.get(m) and ms[m]["mac"] for m in members):
                return False
            want = {(s, m) for s in self.checked_services()
                    for m in members}
            good = {(c["service"], c["member"])
                    for c in self.ctl.call("health.list")
                    if c["state"] == "up" and c["last"] == "passed"}
            return want <= good
        wait_for(done, "members %s resolved and checked" % (members,),
                 timeout=timeout, interval=0.1)

    def settle(self):
        """Until what the last requests changed is published: the master
        commits after the pass that answered them; a snapshot version
        unchanged over a few passes says nothing is left to publish."""
        seen = []

        def stable():
            seen.append(self.ctl.call("status")["snapshot"])
            return len(seen) >= 4 and len(set(seen[-4:])) == 1
        wait_for(stable, "the changes published", timeout=10,
                 interval=0.02)

    def reset(self):
        """The boot state, by control requests: no other member (removed
        with force), fe1..fe4 up with weight 100, the boot services and
        no other, everything resolved and checked."""
        ms = self.members()
        for name in ms:
            if name not in FRONTENDS:
                self.ctl.request("member.remove", {"name": name,
                                                   "force": True})
        wait_for(lambda: set(self.members()) == set(FRONTENDS),
                 "only the boot members left", timeout=30, interval=0.1)
        for fe in FRONTENDS:
            if ms[fe]["weight"] != 100 or ms[fe]["state"] != "up":
                self.ctl.call("member.set", {"name": fe, "weight": 100,
                                             "state": "up"})
        boot = {s["name"]: s for s in self.config["services"]}
        have = set(self.services())
        for name in have - set(boot):
            self.ctl.call("service.remove", {"name": name})
        for name in set(boot) - have:
            self.ctl.call("service.add", boot[name])
        if not self.ctl.call("status")["active"]:
            self.ctl.call("activate")
        self.wait_ready()
        self.settle()

    # ---- traffic ----

    def connect_ok(self, port, count, addr=VIP):
        """count connections to addr:port, every one of which must
        succeed; {frontend: connections}."""
        res = self.lab.connect(port, count, addr=addr)
        bad = [r for r in res if not r["ok"]]
        verify(not bad, "%s:%d: %d of %d connections failed: %s"
               % (addr, port, len(bad), count, bad[:3]))
        return servers(res)

    def start_loop(self, port, addr=VIP):
        """Connections to addr:port one after another (Lab.traffic)
        until stop_loop()."""
        p = self.lab.traffic(port, addr=addr)
        self.loops.append(p)
        return p

    def stop_loop(self, loop):
        """Its summary (lab_client.py loop), None if it had ended."""
        if loop is not None and loop.poll() is None:
            self.loops.remove(loop)
            return self.lab.stop_traffic(loop)
        return None

    def verify_alive(self):
        d = self.lab.dsrlb
        verify(d.proc.poll() is None, "dsrlb exited %s:\n%s"
               % (d.proc.returncode, d.output()[-4000:]))


