# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Signals: counters on SIGUSR1, clean stops on SIGTERM and SIGINT."""

import json
import os
import signal
import subprocess

from scapy.all import IP, TCP, Ether

from framework import (DSRLB, PCAP_MAC, ROOT, WORKERS, Dsrlb, TestSuite,
                       base_config, four_members, scratch_dir, pcap_port,
                       verify, wait_for, write_queue_pcaps)

VIP = "198.51.100.100"


class Lifecycle(TestSuite):
    """dsrlb logs every non-zero counter on SIGUSR1 and at shutdown, and
    stops cleanly (exit 0, control socket removed) on SIGTERM and
    SIGINT.

    Each case starts dsrlb (default workers unless it says otherwise)
    on net_pcap0 with a pcap per queue: 25 SYNs of one client from 25
    ports, spread over the workers by default steering; the counters
    logged are summed over the workers."""

    GROUP = "pcap"

    def start(self, name, workers=None, workdir=None, **kw):
        """dsrlb with `workers` workers (default WORKERS), one RX and one
        TX pcap per worker, after it has handled the 25 SYNs; its files
        in workdir (default a new scratch directory)."""
        d = workdir or scratch_dir("life")
        n = WORKERS if workers is None else workers
        rx, tx, _ = write_queue_pcaps(
            d, [Ether(src="02:00:00:00:00:01", dst=PCAP_MAC) /
                IP(src="203.0.113.7", dst=VIP) /
                TCP(sport=4000 + i, dport=110, flags="S")
                for i in range(25)], n)
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["control_socket"] = os.path.join(d, "ctl.sock")
        dsrlb = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                      name=name, workdir=d, workers=n, **kw).start()
        dsrlb.wait_stats(lambda s: s["rx"] >= 25, "packets handled")
        return dsrlb

    def test_sigusr1_logs_counters(self):
        """Steps: 25 SYNs, then SIGUSR1.
        Verify: the log gets every non-zero counter by name with its
        value (fwd 25, flow_new 25) and a line per service and member;
        dsrlb keeps running."""
        d = self.start("usr1")
        try:
            d.proc.send_signal(signal.SIGUSR1)
            wait_for(lambda: "stats: member  fe4" in d.output(),
                     "the counters in the log")
            out = d.output()
            verify("stats: 25 packets received" in out, out[-2000:])
            verify([l for l in out.splitlines()
                    if "stats: fwd " in l and " 25 " in l], out[-2000:])
            verify([l for l in out.splitlines()
                    if "stats: flow_new " in l and " 25 " in l], out[-2000:])
            verify("stats: service pop3" in out, "no service line")
            verify(d.proc.poll() is None, "dsrlb stopped on SIGUSR1")
        finally:
            rc = d.stop()
        verify(rc == 0, "exit %s" % rc)

    def test_sigterm_and_sigint_stop_cleanly(self):
        """Steps: stop one dsrlb with SIGTERM, another with SIGINT.
        Verify: both exit 0, log "shutting down" and the final
        counters, and remove their control socket."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            d = self.start("stop%d" % sig)
            sock = d.config["control_socket"]
            verify(os.path.exists(sock), "no control socket")
            rc = d.stop(sig)
            out = d.output()
            verify(rc == 0, "exit %s on %s" % (rc, sig))
            verify("shutting down" in out and "stats: fwd" in out,
                   out[-1500:])
            verify(not os.path.exists(sock), "control socket left")

    def test_journal_gets_each_line_once_with_its_level(self):
        """Steps: start dsrlb as systemd does with StandardError=journal:
        JOURNAL_STREAM naming the device and inode of its stderr (here a
        file); 25 SYNs; SIGTERM. Then once more with JOURNAL_STREAM
        naming another file.
        Verify: under the journal every line of the log starts with its
        syslog priority, "<N>", as journald reads it (the EAL's info
        lines <6>, "running" and "shutting down", NOTICE, <5>), and no
        line has it twice; when JOURNAL_STREAM is not stderr's,
        no line has a prefix (a terminal or a file gets plain lines)."""
        import re
        for journal in (True, False):
            d = scratch_dir("journal")
            log = os.path.join(d, "dsrlb.log")
            other = os.path.join(d, "other")
            for path in (log, other):
                open(path, "w").close()
            st = os.stat(log if journal else other)
            old = os.environ.get("JOURNAL_STREAM")
            os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            try:
                dsrlb = self.start("journal%d" % journal, workdir=d)
            finally:
                if old is None:
                    del os.environ["JOURNAL_STREAM"]
                else:
                    os.environ["JOURNAL_STREAM"] = old
            rc = dsrlb.stop()
            verify(dsrlb.log_path == log, dsrlb.log_path)
            verify(rc == 0, "exit %s" % rc)
            lines = [ln for ln in dsrlb.output().splitlines() if ln]
            prefixed = [ln for ln in lines if re.match(r"<[0-7]>", ln)]
            if not journal:
                verify(not prefixed, "priority prefixes outside the "
                       "journal: %s" % prefixed[:3])
                continue
            verify(len(prefixed) == len(lines), "lines without a priority: "
                   "%s" % [ln for ln in lines if ln not in prefixed][:5])
            def level(text):
                hits = [ln[:3] for ln in lines if text in ln]
                verify(hits, "no line with %r" % text)
                return set(hits)
            verify(level("EAL: Detected CPU lcores") == {"<6>"},
                   "EAL info: %s" % level("EAL: Detected CPU lcores"))
            verify(level("running: ") == {"<5>"}, "running: %s"
                   % level("running: "))
            verify(level("shutting down") == {"<5>"}, "shutting down")
            verify(not [ln for ln in lines if re.match(r"<\d><\d>", ln)],
                   "a prefix twice")

    def test_main_lcore_on_no_numa_node(self):
        """Steps: in a mount namespace that shows two NUMA nodes (CPU 0
        on node 0, CPU 1 on node 1), start dsrlb with its main lcore
        allowed on both CPUs (so it belongs to no node: SOCKET_ID_ANY)
        and its one worker (workers=1: one RX and one TX pcap) on CPU 0;
        25 SYNs; SIGTERM.
        Verify: dsrlb starts (the master's mbuf pool is found for a
        socket id of -1, no table is indexed with it), forwards the
        packets, and stops with exit 0."""
        d = self.start("numa", workers=1,
                       lcores=["--lcores", "0@(0-1),1@0"],
                       wrapper=["unshare", "-m",
                                os.path.join(ROOT, "dts", "fake_numa.sh")])
        try:
            verify("Detected NUMA nodes: 2" in d.output(),
                   "the fake topology did not apply:\n%s" % d.output()[:1500])
            verify(d.stats()["fwd"] == 25, "fwd %d" % d.stats()["fwd"])
        finally:
            rc = d.stop()
        verify(rc == 0, "exit %s:\n%s" % (rc, d.output()[-1500:]))

    def test_eal_failure_gives_the_eal_reason(self):
        """Steps: run dsrlb with a valid configuration and EAL options
        the EAL refuses: an unknown option, and a core list naming a CPU
        this machine does not have.
        Verify: exit status 1, the EAL's own reason on stderr, and dsrlb's
        last line says the EAL failed without claiming "Success" (the
        EAL does not always set rte_errno)."""
        d = scratch_dir("eal")
        path = os.path.join(d, "dsrlb.json")
        with open(path, "w") as f:
            json.dump(base_config(four_members(), [
                {"name": "pop3", "vip": VIP, "protocol": "tcp",
                 "port": 110}]), f)
        for eal in (["--no-huge", "-m", "64", "--bogus-option"],
                    ["--no-huge", "-m", "64", "-l", "4000"]):
            r = subprocess.run([DSRLB] + eal + ["--", "--config", path],
                               capture_output=True, text=True, timeout=60)
            verify(r.returncode == 1,
                   "%s: exit %d\n%s" % (eal, r.returncode, r.stderr[-1500:]))
            last = r.stderr.strip().splitlines()[-1]
            verify("EAL initialisation failed" in last and
                   "Success" not in last,
                   "%s: last line %r" % (eal, last))
            verify("EAL" in r.stderr.replace(last, ""),
                   "%s: no EAL reason before the last line:\n%s" %
                   (eal, r.stderr[-1500:]))
