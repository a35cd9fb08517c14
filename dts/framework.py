# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Helpers shared by every DTS suite: running dsrlb, reading its counters,
building pcap files, and the suite base class.

Suites drive the real dsrlb binary. Readiness is always read from dsrlb
itself (its DPDK telemetry socket), never assumed after a sleep.
"""

import copy
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback

# scapy warns about raw (deliberately malformed) frames in pcap files
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("DSRLB_BUILD", "build"))
DSRLB = os.path.join(BUILD, "app", "dsrlb", "dsrlb")
RUNTIME_DIR = "/var/run/dpdk"

# Test addresses: documentation ranges only (RFC 5737).
CLIENT_NET = "203.0.113"
SEGMENT_NET = "198.51.100"
OTHER_NET = "192.0.2"


# Scratch directories (configurations, pcaps, logs) made during the
# current suite: removed when it passes, kept (and named) when it fails.
WORKDIRS = []


def scratch_dir(prefix):
    """A scratch directory for this suite."""
    d = tempfile.mkdtemp(prefix="dsrlb-%s-" % prefix)
    WORKDIRS.append(d)
    return d


class TestFailure(AssertionError):
    """A verification in a suite failed."""


def verify(condition, message):
    """Fail the current test case with message unless condition holds."""
    if not condition:
        raise TestFailure(message)


def wait_for(predicate, what, timeout=30.0, interval=0.05):
    """Poll predicate until it returns a true value; return that value.

    The timeout only bounds a hang: it is never what a test asserts.
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError, KeyError) as exc:
            last_exc = exc
        time.sleep(interval)
    raise TestFailure("timed out waiting for %s%s" % (
        what, " (last error: %s)" % last_exc if last_exc else ""))


class Telemetry:
    """Client for the DPDK telemetry socket of one dsrlb process."""

    def __init__(self, file_prefix):
        self.path = os.path.join(RUNTIME_DIR, file_prefix,
                                 "dpdk_telemetry.v2")

    def query(self, command):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.settimeout(5)
            sock.connect(self.path)
            info = json.loads(sock.recv(16384).decode())
            sock.send(command.encode())
            reply = sock.recv(int(info.get("max_output_len", 16384)))
            return json.loads(reply.decode())[command.split(",")[0]]
        finally:
            sock.close()


# Worker lcores a system test runs dsrlb with: the product ships with
# several, and bugs between workers only show with more than one.
WORKERS = int(os.environ.get("DSRLB_WORKERS", "2"))


def lcore_args(workers):
    """EAL options for the main lcore plus `workers` worker lcores: one
    CPU each where the machine has enough (-l 0-N), otherwise every lcore
    floating over all CPUs (--lcores), so a 2-CPU machine still runs
    two workers beside the main lcore."""
    n = workers + 1
    cpus = os.cpu_count() or 1
    if cpus >= n:
        return ["-l", "0-%d" % (n - 1)]
    return ["--lcores", "(0-%d)@(0-%d)" % (n - 1, cpus - 1)]


class Dsrlb:
    """One dsrlb process.

    config: dict written as the JSON configuration.
    vdevs: list of --vdev arguments.
    netns: run inside this network namespace (ip netns exec).
    workers: worker lcores (each polls one queue of every port).
    lcores: EAL lcore options replacing the ones workers implies.
    """

    def __init__(self, config, vdevs, name="dsrlb", workers=None,
                 lcores=None, netns=None, workdir=None, extra_eal=(),
                 memory=256, binary=None, wrapper=()):
        self.config = config
        self.vdevs = list(vdevs)
        self.file_prefix = "dts_%s_%d" % (name, os.getpid())
        self.workers = WORKERS if workers is None else workers
        self.lcores = list(lcores) if lcores else lcore_args(self.workers)
        self.netns = netns
        self.workdir = workdir or scratch_dir(name)
        self.extra_eal = list(extra_eal)
        self.memory = memory
        self.binary = binary or DSRLB
        self.wrapper = list(wrapper)
        self.proc = None
        self.log_path = os.path.join(self.workdir, "dsrlb.log")
        self.config_path = os.path.join(self.workdir, "dsrlb.json")
        self.telemetry = Telemetry(self.file_prefix)
        self.returncode = None

    def command(self, check=False):
        cmd = []
        if self.netns:
            cmd += ["ip", "netns", "exec", self.netns]
        cmd += self.wrapper + [self.binary]
        if not check:
            cmd += ["--no-huge", "-m", str(self.memory), "--no-pci"]
            cmd += self.lcores
            cmd += ["--file-prefix", self.file_prefix,
                    "--log-level", "dsrlb.*:debug"]
            for v in self.vdevs:
                cmd += ["--vdev", v]
            cmd += self.extra_eal
        cmd += ["--", "--config", self.config_path]
        if check:
            cmd.append("--check")
        return cmd

    def write_config(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)

    def start(self):
        """Start dsrlb and wait until its telemetry answers."""
        self.write_config()
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command(), stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     cwd=self.workdir)

        def ready():
            if self.proc.poll() is not None:
                raise TestFailure("dsrlb exited with %d during start:\n%s"
                                  % (self.proc.returncode, self.output()))
            return self.stats()
        wait_for(ready, "dsrlb telemetry", timeout=60)
        return self

    def stats(self):
        return self.telemetry.query("/dsrlb/stats")

    def members(self):
        """Members by name (telemetry keys are names with only [A-Za-z0-9_/])."""
        return {m["name"]: m
                for m in self.telemetry.query("/dsrlb/members").values()}

    def services(self):
        """Services by name."""
        return {s["name"]: s
                for s in self.telemetry.query("/dsrlb/services").values()}

    def health(self):
        """Checks by "service/member"."""
        return {"%s/%s" % (c["service"], c["member"]): c
                for c in self.telemetry.query("/dsrlb/health").values()}

    def neighbors(self):
        """Neighbors by address."""
        return {n["address"]: n
                for n in self.telemetry.query("/dsrlb/neighbors").values()}

    def wait_stats(self, predicate, what, timeout=30.0):
        """Wait until predicate(stats) is true; return those stats."""
        def check():
            if self.proc.poll() is not None:
                raise TestFailure("dsrlb exited with %d:\n%s"
                                  % (self.proc.returncode, self.output()))
            s = self.stats()
            return s if predicate(s) else None
        return wait_for(check, what, timeout)

    def stop(self, sig=signal.SIGTERM):
        """Stop dsrlb cleanly and return its exit status."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        self.proc = None
        self.log.close()
        shutil.rmtree(os.path.join(RUNTIME_DIR, self.file_prefix),
                      ignore_errors=True)
        return self.returncode

    def check(self):
        """Run dsrlb --check on the configuration: (status, output)."""
        self.write_config()
        p = subprocess.run(self.command(check=True), capture_output=True,
                           text=True, cwd=self.workdir)
        return p.returncode, p.stdout + p.stderr

    def output(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""


class Ctl:
    """JSON-RPC 2.0 client of dsrlb's control socket (one request per
    line)."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def send_line(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("control socket closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def request(self, method, params=None):
        """The whole response object."""
        req = {"jsonrpc": "2.0", "method": method, "id": self.next_id}
        self.next_id += 1
        if params is not None:
            req["params"] = params
        self.send_line(json.dumps(req) + "\n")
        return self.read_line()

    def call(self, method, params=None):
        """The result; raises TestFailure on an error response."""
        r = self.request(method, params)
        if "error" in r:
            raise TestFailure("%s: %s" % (method, r["error"]))
        return r["result"]

    def close(self):
        self.sock.close()


def pcap_port(name, rx, tx):
    """A net_pcap vdev reading rx and writing tx."""
    return "%s,rx_pcap=%s,tx_pcap=%s" % (name, rx, tx)


# MAC that net_pcap gives its first port (DPDK's fixed pcap MAC).
PCAP_MAC = "02:70:63:61:70:00"


class TestSuite:
    """Base of every suite: one feature per suite.

    set_up_suite/tear_down_suite run once around the suite's test_*
    cases (tear_down_suite also after a failed set_up_suite, so it must
    cope with a half-built suite); set_up_test/tear_down_test around
    each.
    """

    def set_up_suite(self):
        pass

    def tear_down_suite(self):
        pass

    def set_up_test(self):
        pass

    def tear_down_test(self):
        pass

    def run(self, selected=None, report=print):
        names = sorted(n for n in dir(self) if n.startswith("test_"))
        if selected:
            names = [n for n in names if n in selected]
        results = []
        try:
            self.set_up_suite()
        except Exception:
            report("  set_up_suite FAILED\n" + traceback.format_exc())
            try:
                self.tear_down_suite()   # undo what set-up did build
            except Exception:
                report("  tear_down_suite FAILED\n" +
                       traceback.format_exc())
            self.clean_workdirs(False, report)
            return [(n, False) for n in names]
        try:
            for n in names:
                ok = True
                start = time.monotonic()
                try:
                    self.set_up_test()
                    getattr(self, n)()
                except Exception:
                    ok = False
                    report("  %s FAILED\n%s" % (n, traceback.format_exc()))
                finally:
                    try:
                        self.tear_down_test()
                    except Exception:
                        ok = False
                        report("  %s tear_down FAILED\n%s"
                               % (n, traceback.format_exc()))
                report("  %-60s %s (%.1fs)" % (n, "ok" if ok else "FAIL",
                                               time.monotonic() - start))
                results.append((n, ok))
        finally:
            try:
                self.tear_down_suite()
            except Exception:
                report("  tear_down_suite FAILED\n" + traceback.format_exc())
                results.append(("tear_down_suite", False))
            self.clean_workdirs(all(ok for _, ok in results), report)
        return results

    @staticmethod
    def clean_workdirs(passed, report):
        if passed:
            for d in WORKDIRS:
                shutil.rmtree(d, ignore_errors=True)
        elif WORKDIRS:
            report("  logs, configurations and pcaps kept in:\n    " +
                   "\n    ".join(WORKDIRS))
        del WORKDIRS[:]


def base_config(members, services, vips=("198.51.100.100",), **extra):
    """A one-port configuration for net_pcap suites (device net_pcap0).

    members and services are copied: callers may change the result.
    """
    members, services = copy.deepcopy(members), copy.deepcopy(services)
    cfg = {
        "ports": [{"name": "lan0", "device": "net_pcap0",
                   "address": "198.51.100.2/24",
                   "gateway": "198.51.100.1"}],
        "vips": list(vips),
        "flows": {"capacity": 65536},
        "members": members,
        "services": services,
    }
    cfg.update(extra)
    return cfg


def four_members(weights=(100, 100, 100, 100)):
    """fe1..fe4 at 198.51.100.11-14 with static MACs 02:00:00:00:00:1N."""
    return [{"name": "fe%d" % i, "address": "198.51.100.%d" % (10 + i),
             "mac": "02:00:00:00:00:%02x" % (0x10 + i), "weight": w}
            for i, w in zip(range(1, 5), weights)]


def member_mac(i):
    return "02:00:00:00:00:%02x" % (0x10 + i)


class PcapRun:
    """Result of run_pcap: packets out, final counters, the process."""

    def __init__(self, out, stats, dsrlb):
        self.out = out
        self.stats = stats
        self.dsrlb = dsrlb

    def non_arp(self):
        from scapy.all import ARP
        return [p for p in self.out if ARP not in p]

    def arp(self):
        from scapy.all import ARP
        return [p for p in self.out if ARP in p]


def run_pcap(name, config, packets, until=None, what="all packets handled",
             inspect=None):
    """Feed packets to dsrlb on net_pcap and collect what it sends.

    Waits until every packet has been accounted for by an outcome counter
    ("rx") and until(stats) holds, calls inspect(dsrlb) if given (to read
    more telemetry while it runs), then stops dsrlb (which must exit 0).
    """
    from scapy.all import rdpcap, wrpcap
    wd = scratch_dir(name)
    rx = os.path.join(wd, "in.pcap")
    tx = os.path.join(wd, "out.pcap")
    wrpcap(rx, packets, linktype=1)  # DLT_EN10MB, also when empty
    d = Dsrlb(config, [pcap_port("net_pcap0", rx, tx)], name=name,
              workdir=wd)
    d.start()
    try:
        stats = d.wait_stats(
            lambda s: s["rx"] >= len(packets) and (until is None or until(s)),
            what)
        if inspect is not None:
            inspect(d)
    finally:
        rc = d.stop()
    verify(rc == 0, "dsrlb exited with %s:\n%s" % (rc, d.output()))
    out = rdpcap(tx) if os.path.getsize(tx) > 24 else []
    return PcapRun(list(out), stats, d)
