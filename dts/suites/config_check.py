# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""dsrlb --check and start-up with a bad configuration."""

import json
import os
import subprocess

from framework import (DSRLB, ROOT, RUNTIME_DIR, Dsrlb, TestSuite, base_config,
                       four_members, verify)

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
