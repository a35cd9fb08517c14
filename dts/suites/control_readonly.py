# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The read-only control socket separates users: its own group and
mode (control_readonly_group, control_readonly_mode)."""

import grp
import json
import os
import stat
import subprocess

from scapy.all import IP, TCP, Ether

from framework import (PCAP_MAC, WORKERS, Ctl, Dsrlb, TestSuite,
                       base_config, four_members, pcap_port, scratch_dir,
                       verify, write_queue_pcaps)

VIP = "198.51.100.100"
NOBODY = 65534

# Run as another user: connect to a socket, send one request, print
# what happened as one JSON line.
CLIENT = r"""
import json, socket, sys
path, method, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(path)
except OSError as e:
    print(json.dumps({"connect": e.__class__.__name__}))
    sys.exit(0)
req = {"jsonrpc": "2.0", "method": method, "id": 1}
if params is not None:
    req["params"] = params
s.sendall((json.dumps(req) + "\n").encode())
buf = b""
while b"\n" not in buf:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.partition(b"\n")[0].decode())
"""


def two_groups():
    """Two groups (name, gid) neither root's nor ours nor nobody's
    primary one: one for each socket."""
    found = []
    for g in grp.getgrall():
        if g.gr_gid not in (0, os.getegid(), NOBODY) and \
                g.gr_gid not in [x[1] for x in found]:
            found.append((g.gr_name, g.gr_gid))
        if len(found) == 2:
            return found
    return [("4242", 4242), ("4243", 4243)]


def as_user(gid, path, method, params=None):
    """One request as user nobody whose only group is gid: the answer,
    or {"connect": error} if it could not connect."""
    out = subprocess.run(
        ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % gid,
         "--clear-groups", "/usr/bin/python3", "-c", CLIENT, path, method,
         json.dumps(params)],
        capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


class ControlReadOnly(TestSuite):
    """A user who can reach only the read-only socket reads, changes
    nothing, and cannot reach the read-write socket.

    Set-up: one dsrlb on net_pcap0; the read-write socket in its own
    directory with group A (mode 0660, as always), the read-only socket
    in another directory with group B and control_readonly_mode "0660".
    The clients run as user nobody with group B only, or with no group
    of the two."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("ctl-ro")
        # other users must be able to walk to the sockets' directories
        os.chmod(self.dir, 0o711)
        self.sock = os.path.join(self.dir, "rw", "dsrlb.sock")
        self.ro_sock = os.path.join(self.dir, "ro", "dsrlb.sock")
        (self.rw_group, self.rw_gid), (self.ro_group, self.ro_gid) = \
            two_groups()
        cfg = base_config(four_members(), [
            {"name": "pop3", "vip": VIP, "protocol": "tcp", "port": 110}])
        cfg["control_socket"] = self.sock
        cfg["control_group"] = self.rw_group
        cfg["control_socket_readonly"] = self.ro_sock
        cfg["control_readonly_group"] = self.ro_group
        cfg["control_readonly_mode"] = "0660"
        rx, tx, _ = write_queue_pcaps(
            self.dir, [Ether(src="02:00:00:00:00:01", dst=PCAP_MAC) /
                       IP(src="203.0.113.1", dst=VIP) /
                       TCP(sport=1001, dport=110, flags="S")], WORKERS)
        self.d = Dsrlb(cfg, [pcap_port("net_pcap0", rx, tx)],
                       name="ctl-ro", workdir=self.dir,
                       workers=WORKERS).start()
        self.c = Ctl(self.sock)

    def tear_down_suite(self):
        if not hasattr(self, "d"):
            return
        if hasattr(self, "c"):
            self.c.close()
        rc = self.d.stop()
        verify(rc == 0, "dsrlb exited %s" % rc)

    def test_sockets_carry_their_own_group_and_mode(self):
        """Verify: the read-write socket and its directory have group A
        (0660, 0750); the read-only socket and its directory group B
        (0660, 0750)."""
        for path, gid in ((self.sock, self.rw_gid),
                          (self.ro_sock, self.ro_gid)):
            st = os.lstat(path)
            verify(stat.S_ISSOCK(st.st_mode) and
                   stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == gid,
                   "%s: mode %o gid %d (want 0660, %d)"
                   % (path, stat.S_IMODE(st.st_mode), st.st_gid, gid))
            st = os.stat(os.path.dirname(path))
            verify(stat.S_IMODE(st.st_mode) == 0o750 and st.st_gid == gid,
                   "%s: directory mode %o gid %d (want 0750, %d)"
                   % (path, stat.S_IMODE(st.st_mode), st.st_gid, gid))

    def test_reader_reads_and_changes_nothing(self):
        """Steps: as nobody with group B: status and members.list on the
        read-only socket, then member.set, deactivate and config.reload
        there. Verify: the reads answer; each write gets -32004; fe1's
        weight and the active state are unchanged (read as root on the
        read-write socket)."""
        r = as_user(self.ro_gid, self.ro_sock, "status")
        verify(r.get("result", {}).get("active") is True, "status: %s" % r)
        r = as_user(self.ro_gid, self.ro_sock, "members.list")
        verify(sorted(m["name"] for m in r.get("result", [])) ==
               ["fe1", "fe2", "fe3", "fe4"], "members.list: %s" % r)
        for method, params in (("member.set", {"name": "fe1", "weight": 7}),
                               ("deactivate", None),
                               ("config.reload", None)):
            r = as_user(self.ro_gid, self.ro_sock, method, params)
            verify(r.get("error", {}).get("code") == -32004,
                   "%s on the read-only socket: %s" % (method, r))
        fe1 = [m for m in self.c.call("members.list") if m["name"] == "fe1"]
        verify(fe1[0]["weight"] == 100, "weight changed: %s" % fe1)
        verify(self.c.call("status")["active"] is True, "deactivated")

    def test_reload_cannot_change_them(self):
        """Steps: the file's control_readonly_mode changed to "0666",
        config.reload; then control_readonly_group to group A, reload;
        then the file as it was. Verify: each reload is refused naming
        the key (it takes a restart); the read-only socket keeps mode
        0660 and group B."""
        cfg = self.d.config
        try:
            for key, value in (("control_readonly_mode", "0666"),
                               ("control_readonly_group", self.rw_group)):
                cfg[key] = value
                self.d.write_config()
                r = self.c.request("config.reload")
                verify(key in r.get("error", {}).get("message", ""),
                       "reload changing %s: %s" % (key, r))
                cfg["control_readonly_mode"] = "0660"
                cfg["control_readonly_group"] = self.ro_group
        finally:
            cfg["control_readonly_mode"] = "0660"
            cfg["control_readonly_group"] = self.ro_group
            self.d.write_config()
        st = os.lstat(self.ro_sock)
        verify(stat.S_IMODE(st.st_mode) == 0o660 and
               st.st_gid == self.ro_gid,
               "read-only socket now %o gid %d"
               % (stat.S_IMODE(st.st_mode), st.st_gid))
        r = self.c.request("config.reload")
        verify("result" in r, "reload of the file as it was: %s" % r)

    def test_reader_cannot_reach_the_read_write_socket(self):
        """Verify: nobody with group B cannot connect to the read-write
        socket (its directory is group A's); nobody with neither group
        reaches neither socket."""
        r = as_user(self.ro_gid, self.sock, "deactivate")
        verify(r == {"connect": "PermissionError"},
               "read-write socket as group B: %s" % r)
        for path in (self.sock, self.ro_sock):
            r = as_user(NOBODY, path, "status")
            verify(r == {"connect": "PermissionError"},
                   "%s without either group: %s" % (path, r))
        verify(self.c.call("status")["active"] is True, "deactivated")
