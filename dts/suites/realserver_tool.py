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

    def test_ipv6_vips_on_lo_never_answer_ndp(self):
        """Steps: a vipaddrs file with IPv6 lines beside IPv4 ones (an
        address and a /126); up; from a client namespace on the other
        end of eth0, ping an IPv6 VIP routed on-link (so the client
        solicits it), then again with a static neighbour entry naming
        the server's MAC (as dsrlb's forwarding does); check with the
        VIP on eth0 too; down.
        Verify: lo holds the five IPv6 VIPs as /128 beside the IPv4
        ones; the client's solicitation gets no answer (its neighbour
        entry never becomes reachable: only the balancer may answer
        for a VIP) while the packet sent to the server's MAC is
        answered from the VIP (the server accepts it); check exits 0,
        then 1 naming the VIP on another interface; down removes them."""
        f6 = os.path.join(self.dir, "vipaddrs6")
        with open(f6, "w") as f:
            f.write(VIPFILE + "2001:db8:100::100\n2001:DB8:100::1:0/126\n")
        cl = "dlbrc%s" % uuid.uuid4().hex[:6]
        subprocess.run(["ip", "netns", "add", cl], check=True)
        try:
            # a link of its own: the suite's eth0 stays as it is
            self.sh("ip link add eth2 type veth peer name eth3")
            self.sh("ip link set eth3 netns %s" % cl)
            self.sh("ip link set eth2 up")
            self.sh("ip -6 address add 2001:db8:5::2/64 dev eth2 nodad")

            def c(cmd):
                return subprocess.run(["ip", "netns", "exec", cl, "sh",
                                       "-c", cmd], capture_output=True,
                                      text=True)
            c("ip link set lo up; ip link set eth3 up; "
              "ip -6 address add 2001:db8:5::1/64 dev eth3 nodad; "
              "ip -6 route add 2001:db8:100::100/128 dev eth3")
            p = self.tool("up", vipfile=f6)
            verify(p.returncode == 0, p.stderr)
            out = self.sh("ip -6 -o address show dev lo").stdout
            have = sorted(l.split()[3] for l in out.splitlines()
                          if "::1/128" not in l.split()[3])
            want = sorted(["2001:db8:100::100/128"] +
                          ["2001:db8:100::1:%x/128" % i if i else
                           "2001:db8:100::1:0/128" for i in range(4)])
            verify(have == want, "lo has %s, not %s" % (have, want))
            verify(len(self.lo_vips()) == len(VIPS), "IPv4 VIPs: %s"
                   % self.lo_vips())
            p = c("ping -6 -c 2 -W 1 2001:db8:100::100")
            neigh = c("ip -6 neigh show 2001:db8:100::100").stdout
            verify(p.returncode != 0 and "REACHABLE" not in neigh and
                   "STALE" not in neigh,
                   "the server answered a Neighbor Solicitation for the "
                   "VIP: %s %s" % (p.stdout, neigh))
            mac = self.sh("cat /sys/class/net/eth2/address").stdout.strip()
            c("ip -6 neigh replace 2001:db8:100::100 lladdr %s dev eth3 "
              "nud permanent" % mac)
            p = c("ping -6 -c 1 -W 2 2001:db8:100::100")
            verify(p.returncode == 0 and
                   "from 2001:db8:100::100" in p.stdout,
                   "a packet to the VIP at the server's MAC: %s" % p.stdout)
            p = self.tool("check", vipfile=f6)
            verify(p.returncode == 0, p.stdout)
            self.sh("ip -6 address add 2001:db8:100::100/128 dev eth2 nodad")
            p = self.tool("check", vipfile=f6)
            verify(p.returncode == 1 and
                   "2001:0db8:0100:0000:0000:0000:0000:0100: also on another "
                   "interface" in p.stdout, p.stdout)
            self.sh("ip -6 address del 2001:db8:100::100/128 dev eth2")
            p = self.tool("down", vipfile=f6)
            out = self.sh("ip -6 -o address show dev lo").stdout
            verify(p.returncode == 0 and "2001:db8:100" not in out and
                   self.lo_vips() == [], "after down lo has %s" % out)
        finally:
            self.tool("down", vipfile=f6)
            subprocess.run(["ip", "netns", "del", cl])   # eth2 goes too
