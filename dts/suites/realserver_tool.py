# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""config/dsrlb-realserver on a real server (a network namespace)."""

import os
import subprocess
import uuid

from framework import ROOT, TestSuite, scratch_dir, verify

TOOL = os.path.join(ROOT, "config", "dsrlb-realserver")
VIPFILE = """# single addresses
198.51.100.100
198.51.100.101   # a trailing comment
# a subnetwork
198.51.100.112/29
"""
VIPS = (["198.51.100.100", "198.51.100.101"] +
        ["198.51.100.%d" % i for i in range(112, 120)])


class RealServerTool(TestSuite):
    """dsrlb-realserver puts the VIPs on lo with the ARP sysctls, is
    idempotent, undoes itself, and refuses a bad vipaddrs file."""

    GROUP = "lab"

    def set_up_suite(self):
        self.ns = "dlbrs%s" % uuid.uuid4().hex[:6]
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.sh("ip link set lo up")
        self.sh("ip link add eth0 type veth peer name eth1")
        self.sh("ip address add 198.51.100.11/24 dev eth0")
        self.dir = scratch_dir("rs")
        self.vipfile = os.path.join(self.dir, "vipaddrs")
        with open(self.vipfile, "w") as f:
            f.write(VIPFILE)

    def tear_down_suite(self):
        if hasattr(self, "ns"):
            subprocess.run(["ip", "netns", "del", self.ns])

    def sh(self, cmd):
        return subprocess.run(["ip", "netns", "exec", self.ns, "sh", "-c",
                               cmd], capture_output=True, text=True)

    def tool(self, *args, vipfile=None):
        return subprocess.run(["ip", "netns", "exec", self.ns, TOOL, "-f",
                               vipfile or self.vipfile] + list(args),
                              capture_output=True, text=True)

    def lo_vips(self):
        out = self.sh("ip -4 -o address show dev lo").stdout
        return sorted(line.split()[3] for line in out.splitlines()
                      if not line.split()[3].startswith("127."))

    def test_up_check_down(self):
        """Steps: check (fails), up, check, up again with --dry-run,
        down.
        Verify: check exits 1 before and 0 after up; lo holds exactly
        the 10 VIPs as /32; arp_ignore=1 and arp_announce=2 on all and
        eth0; a dry run after up prints no command (idempotent); down
        removes every VIP and nothing else."""
        p = self.tool("check")
        verify(p.returncode == 1 and "not on lo" in p.stdout, p.stdout)
        p = self.tool("up")
        verify(p.returncode == 0, p.stderr)
        verify(self.lo_vips() == sorted(v + "/32" for v in VIPS),
               "lo has %s" % self.lo_vips())
        for dev in ("all", "eth0"):
            got = self.sh("cat /proc/sys/net/ipv4/conf/%s/arp_ignore "
                          "/proc/sys/net/ipv4/conf/%s/arp_announce"
                          % (dev, dev)).stdout.split()
            verify(got == ["1", "2"], "%s: %s" % (dev, got))
        p = self.tool("check")
        verify(p.returncode == 0 and p.stdout.startswith("ok"), p.stdout)
        p = self.tool("--dry-run", "up")
        verify(p.returncode == 0 and p.stdout == "",
               "up is not idempotent: %r" % p.stdout)
        p = self.tool("down")
        verify(p.returncode == 0 and self.lo_vips() == [],
               "after down lo has %s" % self.lo_vips())
        verify("198.51.100.11/24" in self.sh("ip -o address").stdout,
               "down touched eth0")

    def test_dry_run_changes_nothing(self):
        """Steps: --dry-run up on a fresh server.
        Verify: the commands are printed (sysctls, one ip address add
        per VIP) and nothing is applied."""
        p = self.tool("--dry-run", "up")
        verify(p.returncode == 0, p.stderr)
        adds = [l for l in p.stdout.splitlines()
                if l.startswith("ip address add")]
        verify(len(adds) == len(VIPS), p.stdout)
        verify(self.lo_vips() == [], "dry run applied %s" % self.lo_vips())

    def test_vip_on_another_interface_reported(self):
        """Steps: up, then put a VIP on eth0 by mistake; check.
        Verify: check exits 1 and names eth0."""
        self.tool("up")
        self.sh("ip address add 198.51.100.100/32 dev eth0")
        p = self.tool("check")
        verify(p.returncode == 1 and "also on eth0" in p.stdout, p.stdout)
        self.sh("ip address del 198.51.100.100/32 dev eth0")
        self.tool("down")

    def test_bad_file_changes_nothing(self):
        """Steps: a vipaddrs file whose third line has a /23.
        Verify: exit 2 naming FILE:3, and nothing is added."""
        bad = os.path.join(self.dir, "bad")
        with open(bad, "w") as f:
            f.write("198.51.100.100\n# c\n198.51.100.0/23\n")
        p = self.tool("up", vipfile=bad)
        verify(p.returncode == 2 and "%s:3:" % bad in p.stderr, p.stderr)
        verify(self.lo_vips() == [], "partially applied: %s"
               % self.lo_vips())
