# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""dts/bench_ab.py, the comparison of dsrlb-bench between two revisions
(doc/performance.md, "Comparing two revisions"): its summary of saved
runs, and a real run of this tree's bench on both sides.

Nothing here asserts on a figure: the figures are the machine's, the
tests check what the tool computes from them and that it runs."""

import json
import os
import subprocess

from framework import BUILD, ROOT, TestSuite, scratch_dir, verify

TOOL = os.path.join(ROOT, "dts", "bench_ab.py")
SAMPLES = os.path.join(ROOT, "dts", "samples", "bench_ab")


class BenchAb(TestSuite):
    """bench_ab.py: medians, changes and marks from dsrlb-bench --json
    outputs of an older and a newer bench; a run on one build."""

    GROUP = "pcap"

    def set_up_suite(self):
        self.dir = scratch_dir("bench-ab")

    def run_tool(self, *args):
        out = os.path.join(self.dir, "ab%d.json" % len(os.listdir(self.dir)))
        p = subprocess.run(["/usr/bin/python3", TOOL, "--json", out]
                           + list(args), capture_output=True, text=True)
        verify(p.returncode == 0, "exit %d:\n%s%s" % (p.returncode,
                                                      p.stdout, p.stderr))
        with open(out) as f:
            return p.stdout, json.load(f)

    def test_summary_of_saved_runs(self):
        """Steps: bench_ab.py --a-json a1.json --a-json a2.json --b-json
        b1.json --b-json b2.json (dts/samples/bench_ab: A an older bench
        without the generator scenario or ratio_to_io, its second run
        without udp_stateless (skipped); B with both, udp_stateless of
        its first run at 90% CPU) --json.
        Verify: exit 0; the scenarios in the bench's order, the
        generator after the baseline; per side the values by round and
        their medians (established_uniform: A 150, 154, median 152; B
        146, 142, median 144), B's change -5.3% (text and JSON); a
        skipped scenario's round is "-" and its median is the other
        round's; what A lacks (the generator, ratio_to_io) "-" without a
        change; every figure of run B1 marked *, its scenario named
        under the table, no other run marked."""
        text, doc = self.run_tool(
            "--a-json", os.path.join(SAMPLES, "a1.json"),
            "--a-json", os.path.join(SAMPLES, "a2.json"),
            "--b-json", os.path.join(SAMPLES, "b1.json"),
            "--b-json", os.path.join(SAMPLES, "b2.json"))
        s = {e["id"]: e for e in doc["summary"]}
        ids = [e["id"] for e in doc["summary"]]
        verify(ids == ["io_baseline", "generator", "established_uniform",
                       "udp_stateless"], "order %s" % ids)
        est = s["established_uniform"]["cycles_per_packet"]
        verify(est["A"]["rounds"] == [150.0, 154.0] and
               est["A"]["median"] == 152.0 and
               est["B"]["rounds"] == [146.0, 142.0] and
               est["B"]["median"] == 144.0, "established %s" % est)
        verify(abs(est["change_percent"] - 100.0 * (144 - 152) / 152) < 1e-9,
               "change %s" % est["change_percent"])
        cyc = [t for t in text.split("\n\n")
               if t.startswith("cycles/packet")]
        verify(len(cyc) == 1, "no cycles/packet table:\n%s" % text)
        line = [ln for ln in cyc[0].splitlines()
                if ln.startswith("established_uniform")]
        verify(line and line[0].split() == ["established_uniform", "150.0",
                                            "154.0", "152.0", "146.0*",
                                            "142.0", "144.0", "-5.3%"],
               "line %s" % line)
        udp = s["udp_stateless"]["cycles_per_packet"]
        verify(udp["A"]["rounds"] == [120.0, None] and
               udp["A"]["median"] == 120.0, "udp %s" % udp)
        gen = s["generator"]["cycles_per_packet"]
        verify(gen["A"]["median"] is None and gen["change_percent"] is None
               and gen["B"]["median"] == 21.5, "generator %s" % gen)
        rio = s["established_uniform"]["ratio_to_io"]
        verify(rio["A"]["rounds"] == [None, None] and
               rio["change_percent"] is None and
               abs(rio["B"]["median"] - (13.78 + 15.13) / 2) < 1e-9,
               "ratio_to_io %s" % rio)
        marked = [(r["side"], r["round"]) for r in doc["runs"]
                  if r["marked"]]
        verify(marked == [("B", 1)], "marked runs %s" % marked)
        verify(doc["runs"][2]["cpu_low"] == [["udp_stateless", 0.9]],
               "B1 %s" % doc["runs"][2]["cpu_low"])
        verify("  B1: udp_stateless 90.0%" in text, text)

    def test_same_build_twice(self):
        """Steps: bench_ab.py --old . --new . --no-build --build-dir
        BUILD --rounds 1 --quick --only io_baseline,established_uniform
        --memory 1024 (this tree's bench on both sides: nothing built,
        EAL arguments chosen by the tool) --json.
        Verify: exit 0; two runs, A1 then B1, each ok with the
        dsrlb-bench JSON; each has io_baseline, generator,
        established_uniform and io_baseline_end with packets and
        cycles, ratio_to_io beside ratio_to_baseline, and the
        generator's cycles in its "baseline" part; the summary has the
        four scenarios with a median and a change for each side; the
        EAL arguments include --no-pci -l 1 and the memory chosen."""
        text, doc = self.run_tool(
            "--old", ".", "--new", ".", "--no-build", "--build-dir", BUILD,
            "--rounds", "1", "--quick", "--memory", "1024",
            "--only", "io_baseline,established_uniform")
        verify([(r["side"], r["round"], r["ok"]) for r in doc["runs"]] ==
               [("A", 1, True), ("B", 1, True)], "runs %s" % doc["runs"])
        want = ["io_baseline", "generator", "established_uniform",
                "io_baseline_end"]
        for r in doc["runs"]:
            res = r["result"]
            ids = [s["id"] for s in res["scenarios"]]
            verify(ids == want, "%s%d: %s" % (r["side"], r["round"], ids))
            for s in res["scenarios"]:
                verify(s["packets"] > 0 and s["cycles"] > 0 and
                       "ratio_to_io" in s and "ratio_to_baseline" in s,
                       "%s" % s)
            verify(res["baseline"]["generator_cycles_per_packet"] > 0,
                   "baseline part %s" % res["baseline"])
        verify([e["id"] for e in doc["summary"]] == want,
               "summary %s" % doc["summary"])
        for e in doc["summary"]:
            c = e["cycles_per_packet"]
            verify(c["A"]["median"] is not None and
                   c["B"]["median"] is not None and
                   c["change_percent"] is not None, "%s" % e)
        verify(doc["eal"][:3] == ["--no-pci", "-l", "1"] and
               ("--no-huge" in doc["eal"]) == ("no hugepages" in
                                               doc["memory"]),
               "EAL %s (%s)" % (doc["eal"], doc["memory"]))
        verify("established_uniform" in text, text)
