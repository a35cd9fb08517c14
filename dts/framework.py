# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Helpers shared by every DTS suite: running dsrlb, reading its counters,
building pcap files, and the suite base class.

Suites drive the real dsrlb binary. Readiness is always read from dsrlb
itself (its DPDK telemetry socket), never assumed after a sleep.
"""

import copy
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import struct
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

    def pages(self, command):
        """Every entry of a paged telemetry list (a page says "/next":
        the parameter for the next one), by key."""
        entries, params = {}, ""
        while True:
            page = self.telemetry.query(command + params)
            nxt = page.pop("/next", None)
            entries.update(page)
            if nxt is None:
                return entries
            params = ",%d" % nxt

    def members(self):
        """Members by name (telemetry keys are names with only [A-Za-z0-9_/])."""
        return {m["name"]: m for m in self.pages("/dsrlb/members").values()}

    def services(self):
        """Services by name."""
        return {s["name"]: s for s in self.pages("/dsrlb/services").values()}

    def health(self):
        """Checks by "service/member"."""
        return {"%s/%s" % (c["service"], c["member"]): c
                for c in self.pages("/dsrlb/health").values()}

    def neighbors(self):
        """Neighbors by address."""
        return {n["address"]: n
                for n in self.pages("/dsrlb/neighbors").values()}

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


def unix_connect(path, timeout=10):
    """A stream connection to the Unix socket path, then timeout on every
    operation. The connect itself blocks, bounded by SO_SNDTIMEO: a
    socket with a timeout is non-blocking underneath, and a Unix
    socket's full listen queue refuses a non-blocking connect with
    EAGAIN (BlockingIOError) where a blocking one waits its turn, as
    dsrlbctl does. socket.timeout if the queue stayed full."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sec = int(timeout)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                     struct.pack("ll", sec, max(1, int((timeout - sec) * 1e6))))
        s.settimeout(None)
        try:
            s.connect(path)
        except BlockingIOError:
            raise socket.timeout("%s: listen queue still full after %g s"
                                 % (path, timeout)) from None
        s.settimeout(timeout)
    except BaseException:
        s.close()
        raise
    return s


class Ctl:
    """JSON-RPC 2.0 client of dsrlb's control socket (one request per
    line)."""

    def __init__(self, path, timeout=10):
        self.sock = unix_connect(path, timeout)
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
    """A net_pcap vdev reading rx and writing tx: each a file name or a
    list of them, one per queue (net_pcap makes one RX queue per
    rx_pcap and one TX queue per tx_pcap)."""
    rx = [rx] if isinstance(rx, str) else list(rx)
    tx = [tx] if isinstance(tx, str) else list(tx)
    return ",".join([name] + ["rx_pcap=%s" % f for f in rx] +
                    ["tx_pcap=%s" % f for f in tx])


def _flow_hash(data):
    """A stable, well-mixed 32-bit hash of data (the same in every run
    and Python version, unlike hash(); mixed in every bit, unlike a CRC
    whose low bits are linear in the input, which left five clients that
    differ in one address byte all on one queue)."""
    return int.from_bytes(hashlib.blake2s(data, digest_size=4).digest(),
                          "big")


def flow_queue(src, dst, proto, sport, dport, n_queues):
    """The queue rss_queue gives an unfragmented IPv4 TCP or UDP packet
    of this flow (addresses as dotted strings)."""
    return _flow_hash(socket.inet_aton(src) + socket.inet_aton(dst) +
                      struct.pack("!BHH", proto, sport, dport)) % n_queues


def host_pair_queue(src, dst, n_queues):
    """The queue rss_queue gives any other IPv4 packet (fragments,
    ICMP, other protocols) between these addresses."""
    return _flow_hash(socket.inet_aton(src) +
                      socket.inet_aton(dst)) % n_queues


def _rss6(ip, n_queues):
    """rss_queue of an IPv6 packet: TCP or UDP right after the fixed
    header by its flow, anything else (extension headers, fragments,
    ICMPv6) by its addresses, as a NIC's RSS does."""
    if len(ip) < 40 or ip[0] >> 4 != 6:
        return 0
    if ip[6] in (6, 17) and len(ip) >= 44:
        sport, dport = struct.unpack("!HH", ip[40:44])
        return _flow_hash(ip[8:40] + struct.pack("!BHH", ip[6], sport,
                                                 dport)) % n_queues
    return _flow_hash(ip[8:40]) % n_queues


def rss_queue(packet, n_queues):
    """Default steer of run_pcap, like a NIC's RSS: the queue of a packet
    (scapy packet or bytes) out of n_queues.

    Read from the frame's bytes, so malformed frames steer too: after
    any VLAN tags, IPv4 TCP or UDP that is not a fragment goes by its
    flow (src, dst, proto, sport, dport), so a flow stays on one queue;
    other IPv4, including every fragment (first or later), by (src,
    dst), so a datagram's fragments stay on one queue in order; IPv6
    the same way (_rss6); frames that are neither (ARP, runts) to queue
    0."""
    if n_queues <= 1:
        return 0
    b = packet if isinstance(packet, bytes) else bytes(packet)
    off = 12
    while b[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    if b[off:off + 2] == b"\x86\xdd":
        return _rss6(b[off + 2:], n_queues)
    if b[off:off + 2] != b"\x08\x00":
        return 0
    ip = b[off + 2:]
    if len(ip) < 20 or ip[0] >> 4 != 4:
        return 0
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    ihl = (ip[0] & 0x0f) * 4
    proto = ip[9]
    fragment = struct.unpack("!H", ip[6:8])[0] & 0x3fff  # MF, offset
    if proto in (6, 17) and not fragment and ihl >= 20 and \
            len(ip) >= ihl + 4:
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        return flow_queue(src, dst, proto, sport, dport, n_queues)
    return host_pair_queue(src, dst, n_queues)


def write_queue_pcaps(workdir, packets, n_queues, steer=None):
    """One input pcap per RX queue (in<q>.pcap) holding the packets
    steer(packet, n_queues) gives that queue, in their order in packets,
    and the names of one output pcap per TX queue (out<q>.pcap).

    Returns (rx files, tx files, packets by queue). steer defaults to
    rss_queue."""
    from scapy.all import wrpcap
    steer = steer or rss_queue
    by_queue = [[] for _ in range(n_queues)]
    for p in packets:
        q = steer(p, n_queues)
        if not isinstance(q, int) or not 0 <= q < n_queues:
            raise ValueError("steer gave queue %r of %d for %s"
                             % (q, n_queues, p.summary()))
        by_queue[q].append(p)
    rx = [os.path.join(workdir, "in%d.pcap" % q) for q in range(n_queues)]
    tx = [os.path.join(workdir, "out%d.pcap" % q) for q in range(n_queues)]
    for f, pkts in zip(rx, by_queue):
        wrpcap(f, pkts, linktype=1)  # DLT_EN10MB, also when empty
    return rx, tx, by_queue


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
    """Result of run_pcap: packets out, final counters, the process.

    out: every packet sent out, queue 0's output file first, then queue
    1's, ... (order is kept only within one queue); out_by_queue: one
    list per TX queue; sent_by_queue: what each RX queue was given."""

    def __init__(self, out_by_queue, stats, dsrlb, sent_by_queue):
        self.out_by_queue = out_by_queue
        self.out = [p for q in out_by_queue for p in q]
        self.stats = stats
        self.dsrlb = dsrlb
        self.sent_by_queue = sent_by_queue

    def verify_spread(self):
        """Check that steering gave packets to at least two RX queues
        (every queue with 2 workers) when there are several, so several
        workers ran the case concurrently: for cases meant to."""
        fed = sum(1 for q in self.sent_by_queue if q)
        verify(fed >= min(2, len(self.sent_by_queue)),
               "steering fed one queue only: packets per queue %s"
               % [len(q) for q in self.sent_by_queue])

    def non_arp(self):
        """The frames out that are not ARP, nor an IPv6 VIP's unsolicited
        Neighbor Advertisement (the gratuitous ARP of IPv6): the
        traffic a case made."""
        from scapy.all import ARP, ICMPv6ND_NA, IPv6
        return [p for p in self.out if ARP not in p and
                not (ICMPv6ND_NA in p and p[IPv6].dst == "ff02::1" and
                     p[ICMPv6ND_NA].S == 0)]

    def arp(self):
        from scapy.all import ARP
        return [p for p in self.out if ARP in p]


def run_pcap(name, config, packets, until=None, what="all packets handled",
             inspect=None, workers=None, steer=None):
    """Feed packets to dsrlb on net_pcap and collect what it sends.

    dsrlb runs with `workers` worker lcores (default WORKERS); port
    net_pcap0 gets one RX and one TX queue per worker, each RX queue
    reading its own pcap: steer(packet, n_queues) chooses each packet's
    queue (default rss_queue: a flow, and a datagram's fragments, stay
    on one queue; ARP and other non-IP on queue 0). Worker i polls RX
    queue i and writes TX queue i's pcap; the master lcore's packets
    (ARP) go out through worker 0. The workers run concurrently: order
    is kept only within one queue.

    Waits until every packet has been accounted for by an outcome counter
    ("rx", summed over workers) and until(stats) holds, calls
    inspect(dsrlb) if given (to read more telemetry while it runs), then
    stops dsrlb (which must exit 0).
    """
    from scapy.all import rdpcap
    wd = scratch_dir(name)
    n = WORKERS if workers is None else workers
    rx, tx, sent_by_queue = write_queue_pcaps(wd, packets, n, steer)
    d = Dsrlb(config, [pcap_port("net_pcap0", rx, tx)], name=name,
              workdir=wd, workers=n)
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
    out = [list(rdpcap(f)) if os.path.getsize(f) > 24 else [] for f in tx]
    return PcapRun(out, stats, d, sent_by_queue)


def l3_bytes(packet):
    """A frame's bytes after its 14-byte Ethernet header: what dsrlb
    must leave unchanged when it forwards."""
    return bytes(packet)[14:]


def match_by_content(sent, out, key=l3_bytes):
    """Pair each packet out with a packet sent that has the same key
    (default: bytes after the Ethernet header), as multisets, whatever
    the order. Returns (pairs [(sent, out)], sent left unmatched, out
    left unmatched); pairs follow the order of out."""
    waiting = {}
    for s in sent:
        waiting.setdefault(key(s), []).append(s)
    pairs, extra = [], []
    for o in out:
        lst = waiting.get(key(o))
        if lst:
            pairs.append((lst.pop(0), o))
        else:
            extra.append(o)
    missing = [s for lst in waiting.values() for s in lst]
    return pairs, missing, extra


def write_sync_key(directory, keys=None, name="sync.key"):
    """A flow-sync key file (high_availability.sync.key_file) in
    directory, mode 0600: keys is [(id, 32 bytes)], the first signs;
    by default one key derived from the directory's name. Its path."""
    import hashlib
    keys = keys or [(1, hashlib.sha256(
        ("dsrlb-test " + os.path.basename(directory)).encode()).digest())]
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# dsrlb flow-sync keys: id, 64 hex digits\n")
        for kid, key in keys:
            f.write("%d %s\n" % (kid, key.hex()))
    os.chmod(path, 0o600)
    return path
