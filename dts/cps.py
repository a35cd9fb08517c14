#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Connections per second through the namespace lab, side by side:

    dts/cps.py [--seconds N] [--rounds R] [--concurrency 1,8] [--json]
               [--spin US,...] [--pace-us US]
               [--only NAME,...] [--perf] [--keep]

One lab (dts/labnet.py: client, router, segment bridge, four frontends
with the VIP on lo) is built once. Then, in turn, each of these holds
the VIP on the segment and the same client (dts/cps_client.c, built
here with gcc) opens and closes connections to VIP:8100 (HTTP GET) as
fast as it can, for the same time, at each concurrency:

  dsrlb-poll1      dsrlb, the lab's configuration with 1 worker on
                   -l 0,1 (as testpmd's lcores) and dataplane.idle
                   "poll": the data path's own latency
  dsrlb-sleep      the lab's configuration (2 workers) with dataplane
                   idle_sleep_us 100 (what the lab ran before the
                   RX-interrupt mode)
  dsrlb-interrupt  the same with dataplane.idle "interrupt": the lab's
                   own (only if this dsrlb accepts the key: dsrlb
                   --check decides)
  dsrlb-interrupt1 the same with 1 worker (-l 0,1)
  dsrlb-poll       2 workers busy polling (not run unless named in
                   --only: two pollers on two CPUs starve the rest)
  dsrlb-spinN, dsrlb-spinN-1w
                   with --spin N,...: dsrlb-interrupt and
                   dsrlb-interrupt1 with dataplane.idle_spin_us N
  The one whose dataplane settings and workers are labnet's is marked
  "(lab)".
  testpmd          dpdk-testpmd --forward-mode=mac on the same net_tap
                   vdev joined to the segment the same way, eth-peer fe1:
                   the lab's I/O limit (same PMD, same path, no
                   balancing; every connection goes to fe1)
  nftlb            nftlb's DSR mode (netdev ingress: ether daddr set
                   symhash map, fwd to) on a veth in a namespace of its
                   own on the segment, the four frontends as backends

The router has a static neighbor entry VIP -> 02:d5:1b:00:00:02 (the
MAC dsrlb's and testpmd's TAP port uses; nftlb's veth gets the same
MAC), so no configuration depends on answering ARP for the VIP.

The configurations are interleaved: every round runs each once, so slow
drift of the (shared, noisy) machine spreads over all of them. Each run
counts failed connections; a run with any is reported as failed, its
rate is not used. CPU time per process (balancer, frontends, client)
and the machine's busy time are sampled over each measured window.

No timing assertion: this measures, it does not test. Needs root.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework  # noqa: E402
from framework import (ROOT, RUNTIME_DIR, Dsrlb, TestFailure,  # noqa: E402
                       scratch_dir, wait_for)
from labnet import DP_MAC, TAP_KERNEL_MAC, VIP, Lab, sh  # noqa: E402

PORT = 8100
CONFIGS = ["testpmd", "nftlb", "dsrlb-poll1", "dsrlb-sleep",
           "dsrlb-interrupt", "dsrlb-interrupt1", "dsrlb-poll"]
# what runs without --only: the table (2 pollers left out)
DEFAULT = CONFIGS[:-1]
REFERENCE = "testpmd"
HZ = os.sysconf("SC_CLK_TCK")


class Skip(Exception):
    """This configuration cannot run here (said why)."""


# ---- CPU accounting ----

def proc_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks; of
    one thread if pid is a string "PID/TID"."""
    path = "/proc/%d/stat" % pid if isinstance(pid, int) else \
        "/proc/%s/task/%s/stat" % tuple(pid.split("/"))
    try:
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def switches(pid):
    """Voluntary context switches of a process's main thread or of one
    thread ("PID/TID"): its sleeps, so its wake-ups (the involuntary
    ones are other threads taking its CPU)."""
    path = "/proc/%d/status" % pid if isinstance(pid, int) else \
        "/proc/%s/task/%s/status" % tuple(pid.split("/"))
    n = 0
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    n += int(line.split()[1])
    except (OSError, ValueError):
        pass
    return n


def machine_ticks():
    """{busy, softirq, total} of /proc/stat's cpu line, in ticks."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = v[:7]
    steal = v[7] if len(v) > 7 else 0
    total = sum(v[:8])
    return {"busy": total - idle - iowait, "softirq": softirq + irq,
            "steal": steal, "total": total}


class CpuSample:
    """CPU use of named process groups and of the machine between
    start() and stop(), in % of one CPU."""

    def __init__(self, groups):
        self.groups = groups      # name -> [pid]

    def snapshot(self):
        ticks = {k: sum(proc_ticks(p) for p in pids)
                 for k, pids in self.groups.items()}
        # the master's wake-ups
        ticks["master_switches"] = sum(switches(p) for p in
                                       self.groups.get("master", []))
        return ticks, machine_ticks(), time.monotonic()

    def start(self):
        self.t0 = self.snapshot()

    def stop(self):
        (p0, m0, w0), (p1, m1, w1) = self.t0, self.snapshot()
        wall = w1 - w0
        out = {k: round(100.0 * (p1[k] - p0[k]) / HZ / wall, 1)
               for k in p0 if k != "master_switches"}
        if "master" in self.groups:
            out["master_switches_per_s"] = round(
                (p1["master_switches"] - p0["master_switches"]) / wall)
        ticks = m1["total"] - m0["total"] or 1
        ncpu = os.cpu_count() or 1
        for k in ("busy", "softirq", "steal"):
            out["machine_" + k] = round(100.0 * ncpu *
                                        (m1[k] - m0[k]) / ticks, 1)
        return out


# ---- the client ----

def build_client(workdir):
    src = os.path.join(ROOT, "dts", "cps_client.c")
    exe = os.path.join(workdir, "cps_client")
    sh("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe, src)
    return exe


# ---- the configurations ----

class Dut:
    """One configuration holding the VIP on the segment."""

    name = ""
    note = ""

    def __init__(self, lab, workdir):
        self.lab = lab
        self.workdir = workdir

    def start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def pids(self):
        """Processes that do the balancing (none for nftlb: softirq)."""
        return []

    def counters(self):
        return {}


class DsrlbDut(Dut):
    def __init__(self, lab, workdir, name, dataplane, note, workers=None):
        super().__init__(lab, workdir)
        self.name = name
        self.dataplane = dataplane
        self.note = note
        # None: the lab's (framework.WORKERS, lcores from lcore_args:
        # 1 worker is -l 0-1, testpmd's lcores)
        self.workers = workers

    def config(self):
        """The lab's configuration with this idle mode (the lab's own
        dataplane settings replaced)."""
        cfg = self.lab.config()
        cfg["dataplane"] = dict(self.dataplane)
        return cfg

    def supported(self):
        """Whether this dsrlb accepts the configuration (--check)."""
        d = Dsrlb(self.config(), [], name="cpscheck",
                  workdir=scratch_dir("cpscheck"))
        rc, out = d.check()
        return rc == 0, out.strip()

    def start(self):
        # Lab.start_dsrlb makes its Dsrlb with framework's worker count
        saved = framework.WORKERS
        if self.workers is not None:
            framework.WORKERS = self.workers
        try:
            self.lab.start_dsrlb(self.config())
        finally:
            framework.WORKERS = saved
        self.lab.wait_resolved()

    def stop(self):
        rc = self.lab.stop_dsrlb()
        wait_for(lambda: not self.lab.link_exists(self.lab.ns_lb, "dp0"),
                 "dsrlb's TAP gone")
        if rc != 0:
            raise TestFailure("%s: dsrlb exited with %s" % (self.name, rc))

    def pids(self):
        return [self.lab.dsrlb.proc.pid] if self.lab.dsrlb else []

    def counters(self):
        """dsrlb's counters (ints at any depth, summed by name)."""
        out = {}

        def walk(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if isinstance(x, int) and not isinstance(x, bool):
                        out[k] = out.get(k, 0) + x
                    else:
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        try:
            walk(self.lab.dsrlb.stats())
        except (OSError, ValueError, KeyError):
            pass
        return out


class TestpmdDut(Dut):
    name = "testpmd"
    note = ("dpdk-testpmd --forward-mode=mac, eth-peer fe1, 1 forwarding "
            "lcore polling (burns a core)")

    def __init__(self, lab, workdir):
        super().__init__(lab, workdir)
        self.proc = None
        self.prefix = "cps_tpmd_%d" % os.getpid()
        self.log_path = os.path.join(workdir, "testpmd.log")

    def start(self):
        binary = shutil.which("dpdk-testpmd")
        if binary is None:
            raise Skip("dpdk-testpmd not installed (package dpdk)")
        ncpu = os.cpu_count() or 1
        lcores = ["-l", "0-1"] if ncpu >= 2 else ["--lcores", "(0-1)@0"]
        cmd = ["ip", "netns", "exec", self.lab.ns_lb, "stdbuf", "-oL",
               binary,
               "--no-huge", "-m", "512", "--no-pci",
               "--file-prefix", self.prefix] + lcores + [
               "--vdev", "net_tap0,iface=dp0,mac=%s" % DP_MAC,
               "--", "--forward-mode=mac",
               "--eth-peer=0,%s" % self.lab.fe_mac(1),
               "--port-topology=loop", "--nb-cores=1",
               "--total-num-mbufs=16384",
               "--rxq=1", "--txq=1"]
        self.log = open(self.log_path, "w")
        # not interactive: it forwards until a line on stdin
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT)

        def forwarding():
            if self.proc.poll() is not None:
                raise TestFailure("testpmd exited with %d:\n%s" % (
                    self.proc.returncode, self.output()[-2000:]))
            return "Press enter to exit" in self.output()
        # once its port is started (which sets the TAP's kernel MAC
        # again): testpmd says so last, before it waits for stdin
        wait_for(forwarding, "testpmd forwarding", timeout=60)
        # as Lab.start_dsrlb does: the TAP's kernel side gets another
        # MAC, then joins the bridge
        sh("ip", "-n", self.lab.ns_lb, "link", "set", "dp0", "address",
           TAP_KERNEL_MAC)
        sh("ip", "-n", self.lab.ns_lb, "link", "set", "dp0", "master",
           "seg", "up")

    def output(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        shutil.rmtree(os.path.join(RUNTIME_DIR, self.prefix),
                      ignore_errors=True)
        wait_for(lambda: not self.lab.link_exists(self.lab.ns_lb, "dp0"),
                 "testpmd's TAP gone")
        if rc != 0:
            raise TestFailure("testpmd exited with %d:\n%s"
                              % (rc, self.output()[-2000:]))

    def pids(self):
        return [self.proc.pid] if self.proc else []

    def counters(self):
        return {}


class NftlbDut(Dut):
    name = "nftlb"
    note = ("nftlb -e, mode dsr, scheduler symhash, 4 backends: netdev "
            "ingress on a veth, in the kernel (softirq)")

    def __init__(self, lab, workdir):
        super().__init__(lab, workdir)
        self.ns = lab.id + "n"
        self.up = False

    def farm(self):
        return {"farms": [{
            "name": "cps",
            "family": "ipv4",
            "virtual-addr": VIP,
            "virtual-ports": str(PORT),
            "ether-addr": DP_MAC,
            "mode": "dsr",
            "protocol": "tcp",
            "scheduler": "symhash",
            "state": "up",
            "iface": "lb0",
            "oface": "lb0",
            "backends": [{"name": "fe%d" % i,
                          "ip-addr": self.lab.fe_addr(i),
                          "ether-addr": self.lab.fe_mac(i),
                          "weight": "1", "priority": "1", "state": "up"}
                         for i in range(1, self.lab.n + 1)],
        }]}

    def start(self):
        binary = shutil.which("nftlb")
        if binary is None:
            raise Skip("nftlb not installed (Debian package nftlb)")
        sh("ip", "netns", "add", self.ns)
        self.up = True
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        self.lab.sysctl(self.ns, "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1")
        self.lab.link(self.ns, "lb0", self.lab.ns_lb, "nl0")
        sh("ip", "-n", self.ns, "link", "set", "lb0", "address", DP_MAC,
           "up")
        sh("ip", "-n", self.lab.ns_lb, "link", "set", "nl0", "master",
           "seg", "up")
        path = os.path.join(self.workdir, "nftlb.json")
        with open(path, "w") as f:
            json.dump(self.farm(), f, indent=2)
        # -e: apply the configuration as nftables rules and exit
        p = subprocess.run(["ip", "netns", "exec", self.ns, binary, "-e",
                            "-L", "2", "-c", path],
                           capture_output=True, text=True, timeout=60)
        rules = sh("ip", "netns", "exec", self.ns, "nft", "list",
                   "ruleset")
        if p.returncode != 0 or "fwd to" not in rules:
            raise TestFailure("nftlb -e: exit %d: %s\nruleset:\n%s"
                              % (p.returncode, p.stdout + p.stderr, rules))
        with open(os.path.join(self.workdir, "nftlb.nft"), "w") as f:
            f.write(rules)

    def stop(self):
        if self.up:
            subprocess.run(["ip", "netns", "del", self.ns],
                           capture_output=True)
            self.up = False
            wait_for(lambda: not self.lab.link_exists(self.lab.ns_lb,
                                                      "nl0"),
                     "nftlb's veth gone")


# ---- measuring ----

class Bench:
    def __init__(self, args):
        self.args = args
        self.lab = None
        self.client_proc = None
        self.perf_proc = None
        self.duts = []
        self.dut = None
        self.results = []
        self.skipped = {}
        self.broken = {}
        self.all_duts = []

    def setup(self):
        self.lab = Lab()
        self.workdir = self.lab.dir
        self.lab.build()
        # the client: ports for many connections (the server closes
        # first: the client keeps no TIME_WAIT, but reuses ports fast)
        self.lab.sysctl(self.lab.ns_client,
                        "net.ipv4.ip_local_port_range=1024 65535")
        # the VIP on the segment is always at the TAP port's MAC
        sh("ip", "-n", self.lab.ns_router, "neigh", "replace", VIP,
           "lladdr", DP_MAC, "dev", "seg0", "nud", "permanent")
        self.client = build_client(self.workdir)
        # every dsrlb configuration sets its idle mode explicitly; the
        # one labnet runs is marked "(lab)"
        interrupt = DsrlbDut(
            self.lab, self.workdir, "dsrlb-interrupt", {"idle": "interrupt"},
            "2 workers, dataplane.idle \"interrupt\" (RX interrupt)")
        has_idle, out = interrupt.supported()
        sleep = {"idle_sleep_us": 100}
        poll = {"idle_sleep_us": 0}
        if has_idle:
            sleep["idle"] = "sleep"
            poll["idle"] = "poll"
        duts = {
            "dsrlb-poll1": DsrlbDut(
                self.lab, self.workdir, "dsrlb-poll1", poll,
                "1 worker, -l 0-1 (testpmd's lcores), busy polling",
                workers=1),
            "dsrlb-sleep": DsrlbDut(
                self.lab, self.workdir, "dsrlb-sleep", sleep,
                "2 workers, idle_sleep_us 100"),
            "dsrlb-interrupt": interrupt,
            "dsrlb-interrupt1": DsrlbDut(
                self.lab, self.workdir, "dsrlb-interrupt1",
                {"idle": "interrupt"},
                "1 worker, -l 0-1, dataplane.idle \"interrupt\"",
                workers=1),
            "dsrlb-poll": DsrlbDut(
                self.lab, self.workdir, "dsrlb-poll", poll,
                "2 workers, idle_sleep_us 0 (busy polling)"),
            "testpmd": TestpmdDut(self.lab, self.workdir),
            "nftlb": NftlbDut(self.lab, self.workdir),
        }
        only = self.args.only.split(",") if self.args.only else \
            list(DEFAULT)
        # --spin: the interrupt mode with other spins, 2 workers and 1
        for us in self.args.spin:
            for workers, suffix, what in ((None, "", "2 workers"),
                                          (1, "-1w", "1 worker, -l 0-1")):
                name = "dsrlb-spin%d%s" % (us, suffix)
                duts[name] = DsrlbDut(
                    self.lab, self.workdir, name,
                    {"idle": "interrupt", "idle_spin_us": us},
                    "%s, dataplane.idle \"interrupt\", idle_spin_us %d"
                    % (what, us), workers=workers)
                if name not in CONFIGS:
                    CONFIGS.append(name)
                ok, why = duts[name].supported()
                if not ok:
                    self.skipped[name] = (why.splitlines() or ["?"])[-1]
                only.append(name)
        for name in only:
            if name not in duts:
                raise SystemExit("cps.py: unknown configuration %s (%s)"
                                 % (name, ", ".join(CONFIGS)))
        lab_dp = self.lab.config().get("dataplane", {})
        for d in duts.values():
            if isinstance(d, DsrlbDut) and d.workers is None and all(
                    d.dataplane.get(k) == v for k, v in lab_dp.items()):
                d.note += " (lab)"
        for name in ("dsrlb-interrupt", "dsrlb-interrupt1"):
            if not has_idle and name in only:
                self.skipped[name] = \
                    "this dsrlb does not accept dataplane.idle: %s" % \
                    (out.splitlines() or ["?"])[-1]
        self.all_duts = [duts[n] for n in CONFIGS if n in only]
        self.duts = [duts[n] for n in CONFIGS
                     if n in only and n not in self.skipped]

    def run_client(self, conc, seconds, warmup, cpu=None, perf=None):
        """One client run; its JSON summary (with "cpu" if sampled)."""
        cmd = ["ip", "netns", "exec", self.lab.ns_client, self.client, VIP,
               str(PORT), str(seconds), str(conc), str(warmup),
               str(self.args.pace_us)]
        self.client_proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE,
                                            text=True)
        if cpu is not None:
            cpu.groups["client"] = [self.client_proc.pid]
            time.sleep(warmup)
            cpu.start()
            if perf is not None:
                self.start_perf(perf, seconds)
            time.sleep(seconds)
            usage = cpu.stop()
        out, err = self.client_proc.communicate(timeout=seconds + warmup
                                                + 60)
        rc = self.client_proc.returncode
        self.client_proc = None
        if rc != 0:
            raise TestFailure("cps_client: exit %d: %s" % (rc, err))
        r = json.loads(out)
        if cpu is not None:
            r["cpu"] = usage
        if perf is not None:
            r["perf"] = self.stop_perf()
        return r

    def start_perf(self, path, seconds):
        self.perf_proc = subprocess.Popen(
            ["perf", "record", "-a", "-g", "-F", "499", "-o", path, "--",
             "sleep", str(seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop_perf(self):
        p, self.perf_proc = self.perf_proc, None
        _, err = p.communicate(timeout=60)
        path = p.args[p.args.index("-o") + 1]
        if p.returncode != 0:
            return {"error": err.strip()[-300:]}
        out = {}
        for key, sort, limit in (("by_process", "comm", "1"),
                                 ("top", "comm,dso,sym", "1.5")):
            rep = subprocess.run(
                ["perf", "report", "-i", path, "--stdio", "--no-children",
                 "--sort", sort, "--percent-limit", limit, "-g", "none"],
                capture_output=True, text=True)
            out[key] = [line.rstrip() for line in rep.stdout.splitlines()
                        if line.strip() and not line.startswith("#")][:20]
        return out

    def ready(self, dut):
        """Until a short client run through dut succeeds end to end."""
        last = {}

        def probe():
            r = self.run_client(1, 0.3, 0)
            last.update(r)
            return r["failed"] == 0 and r["ok"] > 0
        try:
            wait_for(probe, "%s: connections through it" % dut.name,
                     timeout=40, interval=0.5)
        except TestFailure as e:
            raise TestFailure("%s (last probe: %s)" % (e, last))

    def measure(self, dut, rnd):
        self.dut = dut
        dut.start()
        try:
            self.ready(dut)
            for conc in self.args.conc:
                groups = {"balancer": dut.pids(),
                          "frontends": [p.pid for p in self.lab.fe_procs]}
                if isinstance(dut, DsrlbDut):
                    # dsrlb's main thread: the master lcore
                    groups["master"] = ["%d/%d" % (p, p) for p in dut.pids()]
                cpu = CpuSample(groups)
                perf = None
                if self.args.perf and rnd == 0:
                    perf = os.path.join(self.workdir, "perf-%s-c%d.data"
                                        % (dut.name, conc))
                c0 = dut.counters()
                r = self.run_client(conc, self.args.seconds,
                                    self.args.warmup, cpu, perf)
                c1 = dut.counters()
                delta = {k: c1[k] - c0.get(k, 0) for k in c1
                         if c1[k] - c0.get(k, 0)}
                notable = {k: v for k, v in delta.items()
                           if k.startswith("drop") or k in (
                               "tx_drop", "flow_table_full", "stateless",
                               "flow_grace_full", "flow_evicted",
                               "flow_reused", "idle_waits",
                               "idle_rx_wakes", "idle_spin_hits",
                               "idle_spin_misses")}
                r.update(config=dut.name, round=rnd, counters=notable)
                self.results.append(r)
                self.report_run(r)
        finally:
            self.dut = None
            dut.stop()

    def report_run(self, r):
        if self.args.json:
            return
        status = "ok" if r["failed"] == 0 else "FAILED %d (%s)" % (
            r["failed"], r["errors"])
        cpu = r.get("cpu", {})
        print("round %d  %-16s c=%-3d %8.1f conn/s  p50 %5d us  p99 %5d us  "
              "balancer %5.1f%% (master %4.1f%%, %5d wake-ups/s)  fe %5.1f%%"
              "  client %5.1f%%"
              "  softirq %5.1f%%"
              "  busy %5.1f%%  %s%s" % (
                  r["round"] + 1, r["config"], r["concurrency"], r["cps"],
                  r["latency_us"]["p50"], r["latency_us"]["p99"],
                  cpu.get("balancer", 0), cpu.get("master", 0),
                  cpu.get("master_switches_per_s", 0),
                  cpu.get("frontends", 0), cpu.get("client", 0),
                  cpu.get("machine_softirq", 0), cpu.get("machine_busy", 0),
                  status,
                  "  counters %s" % r["counters"] if r["counters"] else ""),
              flush=True)
        if "perf" in r and "top" in r["perf"]:
            print("    perf, all CPUs, by process:")
            for line in r["perf"]["by_process"]:
                print("     " + line)
            print("    perf, all CPUs, top symbols:")
            for line in r["perf"]["top"]:
                print("     " + line)
        elif "perf" in r:
            print("    perf: %s" % r["perf"]["error"])

    def run(self):
        for rnd in range(self.args.rounds):
            for dut in list(self.duts):
                try:
                    self.measure(dut, rnd)
                except Skip as e:
                    self.skipped[dut.name] = str(e)
                    self.duts.remove(dut)
                except TestFailure as e:
                    # this configuration is broken here: said, not measured
                    # again; the others go on
                    print("cps.py: %s: %s" % (dut.name, e), file=sys.stderr)
                    self.broken[dut.name] = str(e).splitlines()[0]
                    self.duts.remove(dut)

    def summary(self):
        rows = []
        ref = {}
        for name in [n for n in CONFIGS if any(
                r["config"] == n for r in self.results) or
                n in self.skipped or n in self.broken or
                n in [d.name for d in self.duts]]:
            for conc in self.args.conc:
                runs = [r for r in self.results if r["config"] == name and
                        r["concurrency"] == conc]
                good = [r["cps"] for r in runs if r["failed"] == 0]
                row = {"config": name, "concurrency": conc,
                       "runs": len(runs), "failed_runs":
                       sum(1 for r in runs if r["failed"]),
                       "failed_connections": sum(r["failed"] for r in runs),
                       "cps": [r["cps"] for r in runs]}
                if name in self.skipped:
                    row["skipped"] = self.skipped[name]
                if name in self.broken:
                    row["broken"] = self.broken[name]
                if good:
                    row["median"] = statistics.median(good)
                    row["min"] = min(good)
                    row["max"] = max(good)
                    for k in ("balancer", "master", "master_switches_per_s",
                              "frontends", "client",
                              "machine_busy", "machine_softirq"):
                        vals = [r["cpu"][k] for r in runs
                                if r["failed"] == 0 and k in r["cpu"]]
                        if vals:
                            row.setdefault("cpu", {})[k] = \
                                statistics.median(vals)
                    srv = {}
                    for r in runs:
                        for s, n in r["servers"].items():
                            srv[s] = srv.get(s, 0) + n
                    row["frontends_seen"] = len(srv)
                    for p in ("p50", "p99"):
                        row[p + "_us"] = statistics.median(
                            r["latency_us"][p] for r in runs
                            if r["failed"] == 0)
                if name == REFERENCE and "median" in row:
                    ref[conc] = row["median"]
                rows.append(row)
        for row in rows:
            if "median" in row and row["concurrency"] in ref:
                row["ratio"] = round(row["median"] / ref[row["concurrency"]],
                                     3)
        return rows

    def notes(self):
        return {d.name: d.note for d in self.all_duts}

    def print_table(self, rows):
        print()
        print("connections/s to %s:%d, %d s per run, %d round(s); "
              "median (min-max) of the runs without failures"
              % (VIP, PORT, self.args.seconds, self.args.rounds))
        print("%-16s %4s %20s %6s %6s %6s %5s %5s %5s %5s %5s %4s  %s" % (
            "configuration", "conc", "conn/s", "ratio", "p50us", "p99us",
            "bal%",
            "fe%", "cli%", "sirq%", "busy%", "fes", "runs"))
        for row in rows:
            if "skipped" in row:
                print("%-16s %4d  skipped: %s" % (row["config"],
                                                  row["concurrency"],
                                                  row["skipped"]))
                continue
            runs = "%d" % row["runs"]
            if row["failed_runs"]:
                runs += ", %d FAILED (%d connections)" % (
                    row["failed_runs"], row["failed_connections"])
            if "median" not in row:
                print("%-16s %4d %20s  %s%s" % (
                    row["config"], row["concurrency"], "no good run", runs,
                    "; BROKEN: %s" % row["broken"] if "broken" in row
                    else ""))
                continue
            cpu = row.get("cpu", {})
            print("%-16s %4d %20s %6s %6d %6d %5.0f %5.0f %5.0f %5.0f %5.0f"
                  " %4d"
                  "  %s" % (
                      row["config"], row["concurrency"],
                      "%.0f (%.0f-%.0f)" % (row["median"], row["min"],
                                            row["max"]),
                      "%.2f" % row["ratio"] if "ratio" in row else "-",
                      row["p50_us"], row["p99_us"], cpu.get("balancer", 0),
                      cpu.get("frontends", 0), cpu.get("client", 0),
                      cpu.get("machine_softirq", 0),
                      cpu.get("machine_busy", 0), row["frontends_seen"],
                      runs))
        print("ratio: to %s's median at the same concurrency. CPU in %% "
              "of one CPU (medians); p50us, p99us: medians of the runs' "
              "percentiles of connection time (connect to close): "
              "bal the balancer process, fe the 4 "
              "frontends, cli the client, sirq the machine's softirq+irq "
              "(also inside the processes' time), "
              "busy the machine's (%d CPUs). fes: frontends that answered."
              % (REFERENCE, os.cpu_count() or 1))
        for name, note in self.notes().items():
            print("  %-16s %s" % (name, note))

    def teardown(self):
        for p in (self.client_proc, self.perf_proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        for dut in self.duts:
            if dut is self.dut or isinstance(dut, NftlbDut):
                try:
                    dut.stop()
                except Exception as e:   # keep cleaning up
                    print("cps.py: stopping %s: %s" % (dut.name, e),
                          file=sys.stderr)
        if self.lab is not None:
            try:
                self.lab.teardown()
            except Exception as e:
                print("cps.py: lab teardown: %s" % e, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10,
                    help="measured time per run (default 10)")
    ap.add_argument("--warmup", type=float, default=1,
                    help="unmeasured time before it (default 1)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs of every configuration, interleaved "
                    "(default 3)")
    ap.add_argument("--concurrency", default="1,8",
                    help="connections in flight, a list (default 1,8)")
    ap.add_argument("--only", help="configurations, a list (default: "
                    + ",".join(DEFAULT) + "; also " +
                    ",".join(c for c in CONFIGS if c not in DEFAULT) + ")")
    ap.add_argument("--spin", default="",
                    help="also dsrlb-spinN (2 workers) and dsrlb-spinN-1w "
                    "(1 worker): idle \"interrupt\" with idle_spin_us N, "
                    "for each N of the list")
    ap.add_argument("--pace-us", type=int, default=0,
                    help="each of the client's connections in flight "
                    "starts no sooner than this after the one before it "
                    "(at least 1000; default 0: back to back): light "
                    "traffic, for what idling costs")
    ap.add_argument("--perf", action="store_true",
                    help="perf record -a over the first round's runs; "
                    "print the top symbols")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON document instead of the table")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory (logs, rulesets)")
    args = ap.parse_args()
    args.conc = [int(c) for c in args.concurrency.split(",")]
    args.spin = [int(u) for u in args.spin.split(",") if u]
    if os.geteuid() != 0:
        sys.exit("cps.py: needs root (network namespaces)")
    if not os.access(framework.DSRLB, os.X_OK):
        sys.exit("cps.py: no dsrlb at %s (build, or set DSRLB_BUILD)"
                 % framework.DSRLB)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    bench = Bench(args)
    failed = False
    try:
        bench.setup()
        bench.run()
    except KeyboardInterrupt:
        print("cps.py: interrupted", file=sys.stderr)
        failed = True
    except TestFailure as e:
        print("cps.py: %s" % e, file=sys.stderr)
        failed = True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        bench.teardown()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    rows = bench.summary()
    machine = {"cpus": os.cpu_count(), "kernel": os.uname().release,
               "model": cpu_model(), "dsrlb": framework.DSRLB}
    if args.json:
        print(json.dumps({"machine": machine, "port": PORT,
                          "seconds": args.seconds, "rounds": args.rounds,
                          "pace_us": args.pace_us,
                          "configurations": bench.notes(),
                          "skipped": bench.skipped,
                          "broken": bench.broken, "summary": rows,
                          "runs": bench.results}, indent=1))
    elif rows:
        bench.print_table(rows)
    keep = args.keep or failed
    for d in framework.WORKDIRS:
        if keep:
            print("cps.py: kept %s" % d, file=sys.stderr)
        else:
            shutil.rmtree(d, ignore_errors=True)
    return 1 if failed or bench.broken or \
        any(r["failed"] for r in bench.results) else 0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


if __name__ == "__main__":
    sys.exit(main())
