# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""dsrlb --check and start-up with a bad configuration."""

import json
import os
import re
import shutil
import subprocess

from framework import (BUILD, DSRLB, ROOT, RUNTIME_DIR, Dsrlb, TestSuite,
                       base_config, four_members, scratch_dir, verify,
                       write_sync_key)

SERVICES = [{"name": "pop3", "vip": "198.51.100.100", "protocol": "tcp",
             "port": 110}]


class ConfigCheck(TestSuite):
    """A configuration is valid as a whole or refused with exit status 2
    and one message naming the place; a refused one starts nothing.

    The cases that start dsrlb (not --check) give it the default worker
    lcores; no packet is sent, so nothing depends on the workers."""

    GROUP = "pcap"

    def check(self, config):
        return Dsrlb(config, [], name="check").check()

    def test_valid_config_exits_0(self):
        """Steps: dsrlb --check on a valid configuration.
        Verify: exit status 0 and a summary line."""
        rc, out = self.check(base_config(four_members(), SERVICES))
        verify(rc == 0, "exit %d: %s" % (rc, out))
        verify("configuration OK" in out and "4 members" in out, out)

    def test_errors_name_the_json_path(self):
        """Steps: --check on configurations with one error each.
        Verify: exit status 2, and the message names the JSON path."""
        cases = []
        c = base_config(four_members(), SERVICES)
        c["members"][2]["address"] = "198.51.199.13"
        cases.append((c, "members[2].address"))
        c = base_config(four_members(), SERVICES)
        c["services"][0]["port"] = "pop"
        cases.append((c, "services[0].port"))
        c = base_config(four_members(), SERVICES)
        c["flows"]["capcity"] = 5
        cases.append((c, "flows.capcity"))
        c = base_config(four_members(), SERVICES, vips=["198.51.100.0/23"])
        cases.append((c, "vips[0]"))
        c = base_config(four_members(), SERVICES)
        c["services"][0]["members"] = ["fe9"]
        cases.append((c, "services[0].members[0]"))
        for cfg, path in cases:
            rc, out = self.check(cfg)
            verify(rc == 2, "exit %d for %s: %s" % (rc, path, out))
            verify(path in out, "message does not name %s: %s"
                   % (path, out))

    def test_invalid_json_line_and_column(self):
        """Steps: a file with a JSON syntax error on line 3.
        Verify: exit 2, message "FILE:3:COL: invalid JSON"."""
        d = Dsrlb({}, [], name="badjson")
        with open(d.config_path, "w") as f:
            f.write('{\n  "ports": [],\n  "vips": [,]\n}\n')
        p = subprocess.run([DSRLB, "--config", d.config_path, "--check"],
                           capture_output=True, text=True)
        verify(p.returncode == 2, "exit %d" % p.returncode)
        verify("%s:3:" % d.config_path in p.stderr and
               "invalid JSON" in p.stderr, p.stderr)

    def test_bad_config_starts_nothing(self):
        """Steps: start dsrlb (not --check) with EAL options and a
        configuration whose service names an unknown VIP.
        Verify: exit status 2 with the message, and no DPDK runtime
        directory was created (the EAL never started)."""
        cfg = base_config(four_members(), SERVICES)
        cfg["services"][0]["vip"] = "198.51.100.99"
        d = Dsrlb(cfg, ["net_null0"], name="nostart")
        d.write_config()
        p = subprocess.run(d.command(), capture_output=True, text=True)
        verify(p.returncode == 2, "exit %d: %s" % (p.returncode, p.stderr))
        verify("services[0].vip" in p.stderr, p.stderr)
        verify(not os.path.exists(os.path.join(RUNTIME_DIR, d.file_prefix)),
               "the EAL was initialised")

    def test_missing_device_exits_2(self):
        """Steps: a port naming a DPDK device that was not created.
        Verify: exit status 2 naming ports[0].device; no packet port
        was started."""
        cfg = base_config(four_members(), SERVICES)
        cfg["ports"][0]["device"] = "net_pcap7"
        d = Dsrlb(cfg, ["net_null0"], name="nodev")
        d.write_config()
        p = subprocess.run(d.command(), capture_output=True, text=True)
        verify(p.returncode == 2, "exit %d: %s" % (p.returncode,
                                                   p.stdout + p.stderr))
        verify("ports[0].device" in p.stderr, p.stderr)

    def test_shipped_configurations_are_valid(self):
        """Steps: dsrlb --check on every dsrlb configuration in config/
        (dsrlb*.json: standalone, vrrp, ecmp; each reads config/vipaddrs,
        relative to itself), from another working directory.
        Verify: exit 0, ten VIPs (two addresses and a /29) each; the
        files an installed dsrlb needs are there: the control socket
        dsrlbctl, the unit and the keepalived hook use
        (/run/dsrlb/control.sock), a read-only socket and the group."""
        files = sorted(f for f in os.listdir(os.path.join(ROOT, "config"))
                       if f.startswith("dsrlb") and f.endswith(".json"))
        verify({"dsrlb.json", "dsrlb-vrrp.json", "dsrlb-ecmp.json"} <=
               set(files), "shipped configurations: %s" % files)
        for name in files:
            path = os.path.join(ROOT, "config", name)
            with open(path) as f:
                cfg = json.load(f)
            sync = cfg.get("high_availability", {}).get("sync")
            if sync is not None:
                # the group's key is the operator's to make (doc: the
                # file named, mode 0600): a copy beside config/'s names
                # one made here
                wd = scratch_dir("shipped")
                shutil.copy(os.path.join(ROOT, "config", "vipaddrs"), wd)
                sync["key_file"] = write_sync_key(wd)
                path = os.path.join(wd, name)
                with open(path, "w") as f:
                    json.dump(cfg, f)
            p = subprocess.run([DSRLB, "--config", path, "--check"],
                               capture_output=True, text=True, cwd="/")
            verify(p.returncode == 0, "%s: %s" % (name, p.stdout + p.stderr))
            verify("10 VIPs" in p.stdout, "%s: %s" % (name, p.stdout))
            with open(path) as f:
                cfg = json.load(f)
            verify(cfg.get("control_socket") == "/run/dsrlb/control.sock" and
                   cfg.get("control_socket_readonly") and
                   cfg.get("control_group") == "dsrlb",
                   "%s: control sockets %s" % (name, {
                       k: cfg.get(k) for k in ("control_socket",
                                               "control_socket_readonly",
                                               "control_group")}))

    MEMORY_LINE = re.compile(
        r"^memory: flow tables ([0-9.]+) MiB \(([0-9]+) flows\), "
        r"persistence ([0-9.]+) MiB \(([0-9]+) services\), "
        r"Maglev ([0-9.]+) MiB, mbufs ([0-9.]+) MiB \(([0-9]+) mbufs\), "
        r"other ([0-9.]+) MiB; total ([0-9.]+) MiB of hugepages on the "
        r"NIC's NUMA node\(s\): reserve at least ([0-9]+) 2 MiB pages "
        r"\(or ([0-9]+) 1 GiB pages\)$", re.M)

    def memory(self, eal, path, cwd="/"):
        """dsrlb --check with EAL options: (first line, the memory line's
        figures, the line of assumptions)."""
        p = subprocess.run([DSRLB] + eal + ["--", "--config", path,
                                            "--check"],
                           capture_output=True, text=True, cwd=cwd)
        verify(p.returncode == 0, p.stdout + p.stderr)
        m = self.MEMORY_LINE.search(p.stdout)
        verify(m is not None, "no memory line: %s" % p.stdout)
        lines = p.stdout.splitlines()
        verify(len(lines) == 3 and lines[1] == m.group(0) and
               lines[2].startswith("memory: assumes "), p.stdout)
        return lines[0], m.groups(), lines[2]

    def test_check_prints_memory(self):
        """Steps: dsrlb --check on config/dsrlb.json without EAL options,
        then with -l, --lcores and -c.
        Verify: the summary line is unchanged and a memory line follows:
        4194304 flows, persistence for the five stateful services (the
        stateless one has none), the pages to reserve hold the total;
        the workers assumed are the lcores given less the main one, and
        each worker's table holds its share of the flows."""
        path = os.path.join(ROOT, "config", "dsrlb.json")
        first, g, assumed = self.memory([], path)
        verify("configuration OK" in first and "10 VIPs" in first, first)
        verify(g[1] == "4194304" and g[3] == "5", "memory line: %s" % (g,))
        total, pages, gib = float(g[8]), int(g[9]), int(g[10])
        parts = sum(float(x) for x in (g[0], g[2], g[4], g[5], g[7]))
        verify(total > parts and pages * 2 >= total and
               gib * 1024 >= parts, "total %s MiB, %d 2 MiB pages, %d 1 GiB "
               "pages for %.1f MiB of parts" % (total, pages, gib, parts))
        cpus = len(os.sched_getaffinity(0))
        verify(("the EAL takes the %d CPUs" % cpus) in assumed, assumed)
        for eal, workers in ((["-l", "0-2"], 2), (["-l", "1-3,5"], 3),
                             (["--lcores", "(0-4)@(0-1)"], 4),
                             (["--lcores=0,1@1,(2-3)@(0,1)"], 3),
                             (["-c", "0xf"], 3), (["-l", "0"], 1)):
            _, g, assumed = self.memory(eal, path)
            verify(assumed.startswith("memory: assumes %d worker%s of %d "
                                      "flows" % (workers,
                                                 "" if workers == 1 else "s",
                                                 4194304 // workers)),
                   "%s: %s" % (" ".join(eal), assumed))
            verify(int(g[1]) == 4194304 // workers * workers,
                   "%s: %s flows" % (" ".join(eal), g[1]))

    def test_check_flow_memory_matches_memtest(self):
        """Steps: dsrlb --check with one worker (-l 0-1) on a
        configuration of 1048576 flows and 262144 IPv6 flows;
        dsrlb-bench --memtest 1048576 --memtest6 262144, which creates
        such tables and measures the heap each took.
        Verify: the flow-table figure of --check is within 0.5% of what
        was measured (the cmocka test test_memsize holds the models to
        the byte; here the whole command is checked)."""
        bench = os.path.join(BUILD, "app", "dsrlb-bench", "dsrlb-bench")
        verify(os.access(bench, os.X_OK), "no %s" % bench)
        d = Dsrlb(base_config(four_members(), SERVICES), [], name="memtest")
        d.config["flows"] = {"capacity": 1048576, "ipv6_capacity": 262144}
        d.write_config()
        _, g, _ = self.memory(["-l", "0-1"], d.config_path)
        verify(g[1] == "1048576", "flows: %s" % g[1])
        prefix = "dts_memtest_%d" % os.getpid()
        p = subprocess.run([bench, "--no-huge", "-m", "512", "--no-pci",
                            "-l", "0-1", "--no-telemetry", "--file-prefix",
                            prefix, "--log-level", "*:error", "--",
                            "--quick", "--only", "io_baseline",
                            "--memtest", "1048576", "--memtest6", "262144",
                            "--json"],
                           capture_output=True, text=True)
        shutil.rmtree(os.path.join(RUNTIME_DIR, prefix), ignore_errors=True)
        verify(p.returncode == 0, p.stdout + p.stderr)
        res = json.loads(p.stdout)
        measured = (res["memtest"]["bytes"] + res["memtest6"]["bytes"]) / 2 ** 20
        model = float(g[0])
        verify(abs(model - measured) <= 0.005 * measured,
               "--check says %.1f MiB, --memtest measured %.1f MiB"
               % (model, measured))

    def test_alert_rules(self):
        """Steps: promtool check rules config/dsrlb-alerts.yml; promtool
        test rules dts/alerts_test.yml (a healthy pair, split brain, a
        link down with no takeover, a full flow table, failed sync
        sends, a service without members).
        Verify: the rules parse, and each case fires exactly the alerts
        it expects with their labels and text (none for the healthy
        pair). The metric names the rules use are checked against a
        real scrape by LabRuntime.test_metrics_scraped_over_http."""
        for cmd, cwd in ((["promtool", "check", "rules",
                           "config/dsrlb-alerts.yml"], ROOT),
                         (["promtool", "test", "rules", "alerts_test.yml"],
                          os.path.join(ROOT, "dts"))):
            p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
            verify(p.returncode == 0, "%s: %s" % (" ".join(cmd),
                                                  p.stdout + p.stderr))
