# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""config/dsrlb-import-ipvsadm: an IPVS table saved by ipvsadm -S -n
becomes a dsrlb configuration that dsrlb --check accepts.

The tables are dts/samples/ipvsadm/*.txt, written in the format of
ipvsadm 1.31's -S -n (`-A -t VIP:PORT -s SCHED [-p N [-M MASK]] [-b
FLAGS] [ops]`, `-a -t VIP:PORT -r RIP:PORT -g|-i|-m -w W`): the kernel
these tests run on has no IPVS (CONFIG_IP_VS is off), so a real ipvsadm
cannot make them here."""

import json
import os
import subprocess

from framework import DSRLB, ROOT, TestSuite, scratch_dir, verify

TOOL = os.path.join(ROOT, "config", "dsrlb-import-ipvsadm")
SAMPLES = os.path.join(ROOT, "dts", "samples", "ipvsadm")
FWMARK_7 = ["--fwmark", "7=tcp:192.0.2.22:6000-6099",
            "--fwmark", "7=udp:192.0.2.22:6000-6099"]

# the seed's frontends, as the shipped configuration names them
SHIPPED_FE = {"198.51.100.11": "fe5", "198.51.100.12": "fe6",
              "198.51.100.13": "fe7", "198.51.100.14": "fe8"}

# mixed.txt, service by service: what each IPVS service becomes
MIXED = {
    "tcp-192.0.2.20-80": {
        "vip": "192.0.2.20", "protocol": "tcp", "port": 80,
        "scheduler": "wrr", "persistence": 0,
        "members": ["rs-198.51.100.21", "rs-198.51.100.22",
                    "rs-198.51.100.23"]},
    "tcp-192.0.2.20-143": {
        "port": 143, "scheduler": "wlc", "persistence": 300,
        "persistence_netmask": "255.255.255.0",
        "members": ["rs-198.51.100.21", "rs-198.51.100.22"]},
    # mh with mh-port hashes the client's port too: Maglev on the tuple
    "tcp-192.0.2.20-443": {"port": 443, "scheduler": "maglev",
                           "persistence": 0},
    # port 0: every port; sh-fallback is what dsrlb's sh always does
    "tcp-192.0.2.21-any": {"port": "any", "scheduler": "sh",
                           "persistence": 600},
    "tcp-192.0.2.21-25": {"port": 25, "scheduler": "wlc",
                          "persistence": 0},
    # a service without real servers stays, with none
    "tcp-192.0.2.21-587": {"port": 587, "scheduler": "wrr",
                           "members": []},
    # one-packet scheduling: stateless; mh without mh-port hashes the
    # client address only
    "udp-192.0.2.20-5060": {"stateless": True, "hash_fields": None,
                            "scheduler": None, "persistence": None},
    "udp-192.0.2.21-5060": {"stateless": True, "hash_fields": ["src_ip"],
                            "scheduler": None},
    # -f 7 as --fwmark describes it: one service per protocol
    "fwm7-tcp-6000-6099": {"vip": "192.0.2.22", "protocol": "tcp",
                           "port": "6000-6099", "scheduler": "wrr",
                           "persistence": 120,
                           "members": ["rs-198.51.100.24",
                                       "rs-198.51.100.25"]},
    "fwm7-udp-6000-6099": {"protocol": "udp", "port": "6000-6099",
                           "persistence": 120},
}

# One table line dsrlb cannot take, on line 3 of a table whose first two
# lines are good: (what, line, words the message must hold)
GOOD_HEAD = ("-A -t 192.0.2.10:110 -s wrr -p 15\n"
             "-a -t 192.0.2.10:110 -r 198.51.100.11:110 -g -w 100\n")
REFUSED = [
    ("masquerading",
     "-a -t 192.0.2.10:110 -r 198.51.100.12:110 -m -w 100", "NAT"),
    ("tunnelling",
     "-a -t 192.0.2.10:110 -r 198.51.100.12:110 -i -w 100", "tunnelling"),
    ("tunnel type (ipvsadm 1.31)",
     "-a -t 192.0.2.10:110 -r 198.51.100.12:110 -i -w 1 --tun-type gue",
     "tunnelling"),
    ("fwmark without --fwmark", "-A -f 9 -s wrr", "--fwmark 9="),
    ("IPv6 fwmark", "-A -f 9 -6 -s wrr", "IPv6"),
    ("IPv6 service", "-A -t [2001:db8::10]:80 -s wrr", "IPv6"),
    ("SCTP", "-A --sctp-service 192.0.2.10:5060 -s wrr", "SCTP"),
    ("destination hashing", "-A -t 192.0.2.10:80 -s dh", "scheduler dh"),
    ("locality-based", "-A -t 192.0.2.10:80 -s lblcr", "scheduler lblcr"),
    ("weighted failover", "-A -t 192.0.2.10:80 -s fo", "scheduler fo"),
    ("overflow", "-A -t 192.0.2.10:80 -s ovf", "scheduler ovf"),
    ("unknown scheduler", "-A -t 192.0.2.10:80 -s xyz", "'xyz'"),
    ("sh flag on mh", "-A -t 192.0.2.10:80 -s mh -b sh-port", "sh-port"),
    ("SIP persistence engine",
     "-A -u 192.0.2.10:5060 -s wrr -p 60 --pe sip", "--pe sip"),
    ("persistence over a day", "-A -t 192.0.2.10:80 -s wrr -p 172800",
     "172800"),
    ("netmask with holes",
     "-A -t 192.0.2.10:80 -s wrr -p 60 -M 255.0.255.0", "255.0.255.0"),
    ("netmask under /8", "-A -t 192.0.2.10:80 -s wrr -p 60 -M 254.0.0.0",
     "/8 to /32"),
    ("stateless with a netmask",
     "-A -u 192.0.2.10:5060 -s sh -p 60 -M 255.255.255.0 ops", "stateless"),
    ("host names (no -n)", "-A -t mail.example.net:pop3 -s wrr",
     "ipvsadm -S -n"),
    ("service names (no -n)", "-A -t 192.0.2.10:pop3 -s wrr",
     "ipvsadm -S -n"),
    ("service defined twice", "-A -t 192.0.2.10:110 -s wlc",
     "defined twice (first on line 1)"),
    ("real server twice",
     "-a -t 192.0.2.10:110 -r 198.51.100.11:110 -g -w 100",
     "twice (first on line 2)"),
    ("real server of no service",
     "-a -t 192.0.2.10:25 -r 198.51.100.11:25 -g -w 100", "no -A line"),
    ("two weights for one server",
     "-A -t 192.0.2.10:25 -s wrr\n"
     "-a -t 192.0.2.10:25 -r 198.51.100.11:25 -g -w 50", "one weight"),
    ("quiesced in one service only",
     "-A -t 192.0.2.10:25 -s rr\n"
     "-a -t 192.0.2.10:25 -r 198.51.100.11:25 -g -w 0", "weight 0"),
    ("real server off the segment",
     "-a -t 192.0.2.10:110 -r 203.0.113.12:110 -g -w 100", "--address"),
    ("real server is the gateway",
     "-a -t 192.0.2.10:110 -r 198.51.100.1:110 -g -w 100", "gateway"),
    ("real server is the balancer",
     "-a -t 192.0.2.10:110 -r 198.51.100.2:110 -g -w 100", "own address"),
    ("real server is a VIP (local node)",
     "-a -t 192.0.2.10:110 -r 192.0.2.10:110 -g -w 100", "local node"),
    ("VIP no host can own", "-A -t 127.0.0.10:80 -s wrr", "127/8"),
    ("VIP is the balancer", "-A -t 198.51.100.2:80 -s wrr", "own address"),
    ("an edit command", "-E -t 192.0.2.10:110 -s wlc", "-E"),
    ("sync daemon", "--start-daemon master --syncid 7",
     "high_availability.sync"),
    ("unknown option", "-A -t 192.0.2.10:80 -s wrr --frobnicate",
     "--frobnicate"),
]


class ImportIpvsadm(TestSuite):
    """dsrlb-import-ipvsadm maps IPVS services, real servers, weights,
    schedulers and persistence onto dsrlb's keys, merges into a base
    configuration, and refuses what dsrlb cannot do naming the line."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("import")
        self.n = 0

    def run_tool(self, *args, stdin=None):
        return subprocess.run([TOOL] + list(args), input=stdin,
                              capture_output=True, text=True)

    def dsrlb_check(self, text):
        """Write text to a file, run dsrlb --check on it (from another
        directory than the file's); the configuration as a dict."""
        self.n += 1
        path = os.path.join(self.dir, "import%d.json" % self.n)
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([DSRLB, "--config", path, "--check"],
                           capture_output=True, text=True, cwd="/")
        verify(p.returncode == 0, "dsrlb --check refused %s: %s\n%s"
               % (path, p.stdout + p.stderr, text))
        return json.loads(text)

    def imported(self, sample, *args):
        """The sample converted (exit 0) and checked by dsrlb."""
        p = self.run_tool(os.path.join(SAMPLES, sample), *args)
        verify(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
        return self.dsrlb_check(p.stdout), p.stderr

    @staticmethod
    def by_name(objs):
        return {o["name"]: o for o in objs}

    def test_communigate_table(self):
        """Steps: import communigate.txt (four frontends behind one VIP,
        POP3, IMAP, SMTP, HTTP User and SIP over TCP and UDP, wrr,
        persistence 15 s, IPVSHelper's weights of 100) without --base.
        Verify: dsrlb --check accepts it; one VIP; four members named
        after their addresses, weight 100; six wrr services with
        persistence 15 on every member (no member list); no warning."""
        conf, err = self.imported("communigate.txt")
        verify(err == "", "warnings: %s" % err)
        verify(conf["vips"] == ["192.0.2.10"], "vips %s" % conf["vips"])
        verify(conf["members"] == [
            {"name": "rs-198.51.100.%d" % i, "address": "198.51.100.%d" % i,
             "weight": 100} for i in range(11, 15)],
            "members %s" % conf["members"])
        got = sorted((s["protocol"], s["port"], s["scheduler"],
                      s["persistence"], s["vip"], "members" in s)
                     for s in conf["services"])
        want = sorted((proto, port, "wrr", 15, "192.0.2.10", False)
                      for proto, port in (("tcp", 25), ("tcp", 110),
                                          ("tcp", 143), ("tcp", 5060),
                                          ("tcp", 8100), ("udp", 5060)))
        verify(got == want, "services %s" % got)

    def test_mixed_table(self):
        """Steps: import mixed.txt (wrr, wlc -p -M, mh -b mh-port, sh on
        port 0 with -b sh-fallback, lc, rr with no real server, rr and
        mh with ops on UDP, a fwmark service described by --fwmark).
        Verify: dsrlb --check accepts it; weights 3, 1, 0, 5, 5 by
        address; every service as the table MIXED says (scheduler,
        persistence, netmask, stateless and hash fields, members); the
        warnings name line 18 (rr ops: weights and per-datagram hashing)
        and 24 (fwmark persistence split), and nothing else."""
        conf, err = self.imported("mixed.txt", *FWMARK_7)
        verify(conf["vips"] == ["192.0.2.20", "192.0.2.21", "192.0.2.22"],
               "vips %s" % conf["vips"])
        weights = {m["address"]: m["weight"] for m in conf["members"]}
        verify(weights == {"198.51.100.21": 3, "198.51.100.22": 1,
                           "198.51.100.23": 0, "198.51.100.24": 5,
                           "198.51.100.25": 5}, "weights %s" % weights)
        svcs = self.by_name(conf["services"])
        verify(set(svcs) == set(MIXED), "services %s" % sorted(svcs))
        for name, want in MIXED.items():
            for key, value in want.items():
                verify(svcs[name].get(key) == value, "%s.%s: %r, not %r"
                       % (name, key, svcs[name].get(key), value))
        lines = sorted({w.split(":")[2] for w in err.splitlines()})
        verify(lines == ["18", "24"], "warnings:\n%s" % err)

    def test_checks_auto(self):
        """Steps: import mixed.txt with --checks auto.
        Verify: dsrlb --check accepts it; http on 80, imap on 143, tcp
        on 443, smtp on 25 and 587, sip on the UDP 5060 services, icmp
        on the any-port and port-range services."""
        conf, _ = self.imported("mixed.txt", "--checks", "auto", *FWMARK_7)
        got = {s["name"]: s["check"]["type"] for s in conf["services"]}
        verify(got == {
            "tcp-192.0.2.20-80": "http", "tcp-192.0.2.20-143": "imap",
            "tcp-192.0.2.20-443": "tcp", "tcp-192.0.2.21-any": "icmp",
            "tcp-192.0.2.21-25": "smtp", "tcp-192.0.2.21-587": "smtp",
            "udp-192.0.2.20-5060": "sip", "udp-192.0.2.21-5060": "sip",
            "fwm7-tcp-6000-6099": "icmp", "fwm7-udp-6000-6099": "icmp"},
            "checks %s" % got)

    def test_defaults_are_the_shipped_configuration(self):
        """Steps: import communigate.txt without --base.
        Verify: ports, exception interface, control sockets, group and
        flow table are config/dsrlb.json's."""
        conf, _ = self.imported("communigate.txt")
        with open(os.path.join(ROOT, "config", "dsrlb.json")) as f:
            shipped = json.load(f)
        for key in ("ports", "exception_interface", "control_socket",
                    "control_socket_readonly", "control_group", "flows"):
            verify(conf.get(key) == shipped.get(key), "%s: %r, shipped %r"
                   % (key, conf.get(key), shipped.get(key)))

    def test_other_segment_needs_the_balancer_address(self):
        """Steps: import other-segment.txt (real servers on
        203.0.113.0/24) with the defaults, then with --address
        203.0.113.2/24 --gateway 203.0.113.1 --device 0000:05:00.0.
        Verify: first exit 2 naming line 2 and --address, nothing on
        stdout; then dsrlb --check accepts it, ports[0] holds the
        address, gateway and device, wlc for TCP and wrr for UDP."""
        path = os.path.join(SAMPLES, "other-segment.txt")
        p = self.run_tool(path)
        verify(p.returncode == 2 and "%s:2:" % path in p.stderr and
               "--address" in p.stderr and p.stdout == "",
               "exit %d: %s" % (p.returncode, p.stderr))
        conf, _ = self.imported("other-segment.txt", "--address",
                                "203.0.113.2/24", "--gateway", "203.0.113.1",
                                "--device", "0000:05:00.0")
        port = conf["ports"][0]
        verify((port["address"], port["gateway"], port["device"]) ==
               ("203.0.113.2/24", "203.0.113.1", "0000:05:00.0"),
               "ports[0] %s" % port)
        verify(sorted((s["protocol"], s["scheduler"])
                      for s in conf["services"]) ==
               [("tcp", "wlc"), ("udp", "wrr")], conf["services"])

    def test_merge_into_the_shipped_configuration(self):
        """Steps: import communigate.txt and mixed.txt each with --base
        config/dsrlb.json, writing the result elsewhere.
        Verify: dsrlb --check accepts both; the base's ports, sockets,
        members, services and VIPs are kept, its vip_file made absolute;
        communigate.txt's real servers are the base's fe5..fe8 (by
        address), no new member, its services list no members; with
        mixed.txt's five new members the base's every-member services
        list fe5..fe8 so the new ones stay out, as a note says."""
        base_path = os.path.join(ROOT, "config", "dsrlb.json")
        with open(base_path) as f:
            base = json.load(f)
        conf, err = self.imported("communigate.txt", "--base", base_path)
        verify(conf["vip_file"] == os.path.join(ROOT, "config", "vipaddrs"),
               "vip_file %s" % conf["vip_file"])
        verify(conf["members"] == base["members"], "members changed: %s"
               % conf["members"])
        verify(conf["services"][:len(base["services"])] ==
               base["services"], "the base's services changed")
        new = conf["services"][len(base["services"]):]
        verify(len(new) == 6 and all("members" not in s for s in new),
               "imported services %s" % new)
        verify(err == "", "warnings: %s" % err)

        conf, err = self.imported("mixed.txt", "--base", base_path,
                                  "--fwmark", "7=tcp:192.0.2.22:6000-6099")
        verify(conf["members"][:4] == base["members"] and
               len(conf["members"]) == 9, "members %s" % conf["members"])
        for s in conf["services"][:len(base["services"])]:
            verify(s.get("members") == sorted(SHIPPED_FE.values()),
                   "%s: members %s" % (s["name"], s.get("members")))
        verify(err.count("note: service") == len(base["services"]), err)

    def test_base_service_replaced(self):
        """Steps: a base with pop3 on 192.0.2.10 tcp 110 (a pop3 check,
        members fe1 and fe2 at .11 and .12); import communigate.txt into
        it.
        Verify: dsrlb --check accepts it; pop3 keeps its name and check
        but takes the table's scheduler, persistence and members (four,
        the base's two by their names); a warning names line 6."""
        base = {
            "ports": [{"name": "lan0", "address": "198.51.100.2/24"}],
            "exception_interface": "dsrlb0",
            "vips": ["192.0.2.10"],
            "members": [{"name": "fe1", "address": "198.51.100.11"},
                        {"name": "fe2", "address": "198.51.100.12"}],
            "services": [{"name": "pop3", "vip": "192.0.2.10",
                          "protocol": "tcp", "port": 110,
                          "scheduler": "maglev", "members": ["fe1"],
                          "check": {"type": "pop3", "interval": 5}}]}
        base_path = os.path.join(self.dir, "base.json")
        with open(base_path, "w") as f:
            json.dump(base, f)
        conf, err = self.imported("communigate.txt", "--base", base_path)
        pop3 = self.by_name(conf["services"])["pop3"]
        verify(pop3["check"] == {"type": "pop3", "interval": 5} and
               pop3["scheduler"] == "wrr" and pop3["persistence"] == 15 and
               "members" not in pop3, "pop3 %s" % pop3)
        verify([m["name"] for m in conf["members"]] ==
               ["fe1", "fe2", "rs-198.51.100.13", "rs-198.51.100.14"],
               "members %s" % conf["members"])
        verify(conf["vips"] == ["192.0.2.10"], "vips %s" % conf["vips"])
        verify(":6: warning: replaces service pop3" in err, err)

    def test_stdin_and_file_agree(self):
        """Steps: import mixed.txt from stdin and from the file, twice.
        Verify: the same output each time (names are derived, not
        numbered by run); stdin's messages name <stdin>."""
        path = os.path.join(SAMPLES, "mixed.txt")
        with open(path) as f:
            text = f.read()
        a = self.run_tool(path, *FWMARK_7)
        b = self.run_tool(*FWMARK_7, stdin=text)
        c = self.run_tool(path, *FWMARK_7)
        verify(a.returncode == b.returncode == c.returncode == 0,
               a.stderr + b.stderr)
        verify(a.stdout == b.stdout == c.stdout, "outputs differ")
        verify("<stdin>:18: warning" in b.stderr, b.stderr)

    def test_refused_lines(self):
        """Steps: for each row of REFUSED, a table of two good lines and
        the row's line(s) after them, on stdin.
        Verify: exit 2, nothing on stdout, and one message naming
        <stdin>:3 (or the row's last line) with the row's words."""
        failures = []
        for what, bad, words in REFUSED:
            text = GOOD_HEAD + bad + "\n"
            line = 2 + bad.count("\n") + 1
            p = self.run_tool(stdin=text)
            where = "<stdin>:%d: " % line
            if not (p.returncode == 2 and p.stdout == "" and
                    where in p.stderr and words in p.stderr and
                    len(p.stderr.splitlines()) == 1):
                failures.append("%s: exit %d: %s" % (what, p.returncode,
                                                     p.stderr.strip()))
        verify(not failures, "\n".join(failures))

    def test_warnings_and_strict(self):
        """Steps: a table with an upper threshold (-x), a real-server
        port other than the virtual one, and sed; then the same with
        --strict.
        Verify: exit 0 with three warnings naming lines 1, 2 and 3, and
        dsrlb --check accepts the output; with --strict exit 2 naming
        line 1."""
        text = ("-A -t 192.0.2.10:25 -s sed\n"
                "-a -t 192.0.2.10:25 -r 198.51.100.11:2525 -g -w 1\n"
                "-a -t 192.0.2.10:25 -r 198.51.100.12:25 -g -w 1 -x 500\n")
        p = self.run_tool(stdin=text)
        verify(p.returncode == 0, p.stderr)
        for n in (1, 2, 3):
            verify("<stdin>:%d: warning" % n in p.stderr, p.stderr)
        conf = self.dsrlb_check(p.stdout)
        verify(conf["services"][0]["scheduler"] == "wlc", conf["services"])
        p = self.run_tool("--strict", stdin=text)
        verify(p.returncode == 2 and "<stdin>:1: " in p.stderr and
               p.stdout == "", "exit %d: %s" % (p.returncode, p.stderr))

    def test_bad_options_and_base(self):
        """Steps: --fwmark without a protocol, --address without a
        length, --checks auto with a base that has no
        exception_interface, a base that is not JSON, an empty table.
        Verify: each exits 2 naming the option, the file or the table."""
        sample = os.path.join(SAMPLES, "communigate.txt")
        nojson = os.path.join(self.dir, "nojson.json")
        with open(nojson, "w") as f:
            f.write("{\"ports\": [")
        noexc = os.path.join(self.dir, "noexc.json")
        with open(noexc, "w") as f:
            json.dump({"ports": [{"name": "lan0",
                                  "address": "198.51.100.2/24"}]}, f)
        cases = [
            (["--fwmark", "7=192.0.2.22:80", sample], "--fwmark 7="),
            (["--address", "198.51.100.2", sample], "--address"),
            (["--checks", "auto", "--base", noexc, sample],
             "exception_interface"),
            (["--base", nojson, sample], "%s: not JSON" % nojson),
            ([os.path.join(self.dir, "missing.txt")], "missing.txt"),
        ]
        for args, words in cases:
            p = self.run_tool(*args)
            verify(p.returncode == 2 and words in p.stderr and
                   p.stdout == "", "%s: exit %d: %s"
                   % (args, p.returncode, p.stderr))
        p = self.run_tool(stdin="# nothing here\n")
        verify(p.returncode == 2 and "nothing to import" in p.stderr,
               p.stderr)
