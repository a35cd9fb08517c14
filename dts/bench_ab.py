#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Compare dsrlb-bench between two revisions of this repository.

    dts/bench_ab.py --old REV --new REV [--rounds 3] [--lcores 1]
                    [--only IDS] [--packets N] [--flows-large 0] ...
                    [--json FILE]

Each side is a git revision, built in a temporary worktree (git
worktree add --detach, meson setup -Dbuildtype=release -Dtests=disabled,
ninja app/dsrlb-bench/dsrlb-bench), or "." / WORK / a work tree's
directory: that tree's build directory (--build-dir, default build),
brought up to date by ninja unless --no-build. The benches then run
alternately, A B A B ..., each under flock /tmp/dsrlb-bench.lock with
--json, with the same EAL arguments (hugepages if hugetlbfs is mounted
and enough are free, else --no-huge -m 3072). Per scenario it prints
cycles/packet, the ratio to the I/O baseline and the ratio without the
generator (where the bench has it) of every round, the median of each
side and the change of B's median against A's in percent; a run in
which any scenario had its CPU less than 97% of the time is marked *.
The worktrees are removed at the end. --a-json/--b-json summarise saved
dsrlb-bench --json outputs instead (nothing is built or run).
Documented in doc/performance.md, "Comparing two revisions".
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join("app", "dsrlb-bench", "dsrlb-bench")
LOCK = "/tmp/dsrlb-bench.lock"
CPU_MIN = 0.97                # a run under this share had its CPU shared
HUGE_MIN = 1 << 30            # free hugepage memory to run on hugepages
WORK_NAMES = (".", "WORK")

# (key in a scenario of dsrlb-bench --json, title, format)
METRICS = (
    ("cycles_per_packet", "cycles/packet", "%.1f"),
    ("ratio_to_baseline", "x I/O baseline (ratio_to_baseline)", "%.2f"),
    ("ratio_to_io", "x I/O without the generator (ratio_to_io)", "%.2f"),
)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def git(*args, cwd=ROOT):
    return subprocess.run(["git"] + list(args), cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


class Side:
    """One side of the comparison: where its bench comes from."""

    def __init__(self, label, spec):
        self.label = label          # "A" or "B"
        self.spec = spec            # as given
        self.work = None            # a work tree's top directory
        self.commit = None
        self.describe = ""
        self.build_dir = None
        self.worktree = None        # made by this script
        self.shared = None          # the side whose build this one uses

    @property
    def bench(self):
        return os.path.join(self.build_dir, BENCH)

    def meta(self):
        return {"spec": self.spec, "commit": self.commit,
                "describe": self.describe,
                "kind": "work tree" if self.work else "revision",
                "build_dir": self.build_dir}


def resolve(label, spec, build_dir):
    s = Side(label, spec)
    if spec in WORK_NAMES or os.path.isdir(spec):
        top = git("rev-parse", "--show-toplevel",
                  cwd=ROOT if spec in WORK_NAMES else spec)
        s.work = top
        s.commit = git("rev-parse", "HEAD", cwd=top)
        dirty = git("status", "--porcelain", "--untracked-files=no", cwd=top)
        s.describe = "work tree %s at %s%s" % (
            top, s.commit[:7], " with uncommitted changes" if dirty else "")
        s.build_dir = (build_dir if os.path.isabs(build_dir)
                       else os.path.join(top, build_dir))
    else:
        try:
            s.commit = git("rev-parse", "--verify", "--quiet",
                           spec + "^{commit}")
        except subprocess.CalledProcessError:
            raise RuntimeError("%s: %s is neither a revision nor a "
                               "directory" % (label, spec)) from None
        s.describe = "%s %s" % (s.commit[:7],
                                git("log", "-1", "--format=%s", s.commit))
    return s


def run_logged(cmd, logf, cwd=None):
    with open(logf, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        return subprocess.run(cmd, cwd=cwd, stdout=f,
                              stderr=subprocess.STDOUT).returncode


def fail_build(side, what, logf):
    with open(logf) as f:
        tail = f.read()[-4000:]
    raise RuntimeError("%s (%s): %s failed; the end of %s:\n%s"
                       % (side.label, side.spec, what, logf, tail))


def build_revision(side, tmp):
    """A worktree of side's commit in tmp, its bench built (release)."""
    path = os.path.join(tmp, side.label)
    logf = os.path.join(tmp, "build-%s.log" % side.label)
    log("%s: worktree of %s in %s" % (side.label, side.commit[:7], path))
    if run_logged(["git", "worktree", "add", "--detach", path, side.commit],
                  logf, cwd=ROOT) != 0:
        fail_build(side, "git worktree add", logf)
    side.worktree = path
    side.build_dir = os.path.join(path, "build")
    opts = ["-Dbuildtype=release"]
    try:   # an older tree may not have the option
        if "'tests'" in git("show", side.commit + ":meson_options.txt"):
            opts.append("-Dtests=disabled")
    except subprocess.CalledProcessError:
        pass
    log("%s: meson setup %s, ninja (log: %s)" % (side.label, " ".join(opts),
                                                  logf))
    if run_logged(["meson", "setup", side.build_dir] + opts, logf,
                  cwd=path) != 0:
        fail_build(side, "meson setup", logf)
    if run_logged(["ninja", "-C", side.build_dir, BENCH], logf) != 0:
        fail_build(side, "ninja", logf)


def build_work(side, no_build, tmp):
    """The work tree's own build directory, brought up to date."""
    if not os.path.exists(os.path.join(side.build_dir, "build.ninja")):
        raise RuntimeError("%s: %s is not a meson build directory (meson "
                           "setup %s -Dbuildtype=release first)"
                           % (side.label, side.build_dir, side.build_dir))
    try:
        with open(os.path.join(side.build_dir, "meson-info",
                               "intro-buildoptions.json")) as f:
            bt = [o["value"] for o in json.load(f)
                  if o["name"] == "buildtype"]
        if bt and bt[0] != "release":
            log("%s: warning: %s is a %s build, the other side may not be"
                % (side.label, side.build_dir, bt[0]))
    except (OSError, ValueError, KeyError):
        pass
    if not no_build:
        logf = os.path.join(tmp, "build-%s.log" % side.label)
        log("%s: ninja -C %s %s" % (side.label, side.build_dir, BENCH))
        if run_logged(["ninja", "-C", side.build_dir, BENCH], logf) != 0:
            fail_build(side, "ninja", logf)
    if not os.access(side.bench, os.X_OK):
        raise RuntimeError("%s: no %s" % (side.label, side.bench))


def remove_worktree(path):
    r = subprocess.run(["git", "worktree", "remove", "--force", path],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT,
                       capture_output=True)


# ---- running ----

def hugepages():
    """(mounted, free bytes) of the default hugepage size."""
    mounted = False
    try:
        with open("/proc/mounts") as f:
            mounted = any(line.split()[2] == "hugetlbfs" for line in f
                          if len(line.split()) > 2)
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                info[k] = v.split()
        free = int(info["HugePages_Free"][0]) * \
            int(info["Hugepagesize"][0]) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        return mounted, 0
    return mounted, free


def eal_args(args, prefix):
    eal = ["--no-pci", "-l", args.lcores, "--file-prefix", prefix,
           "--no-telemetry", "--log-level=lib.eal:error"]
    mounted, free = hugepages()
    if not args.no_huge and mounted and free >= HUGE_MIN:
        return eal + ["--huge-unlink"], \
            "hugepages (%.1f GiB free)" % (free / 2 ** 30)
    why = "--no-huge given" if args.no_huge else \
        ("hugetlbfs not mounted" if not mounted else
         "%.1f GiB of hugepages free" % (free / 2 ** 30))
    return eal + ["--no-huge", "-m", str(args.memory)], \
        "no hugepages (%s): --no-huge -m %d" % (why, args.memory)


def bench_args(args):
    b = ["--json"]
    for opt, val in (("--only", args.only), ("--packets", args.packets),
                     ("--flows", args.flows),
                     ("--flows-large", args.flows_large),
                     ("--new-flows", args.new_flows)):
        if val is not None:
            b += [opt, str(val)]
    if args.quick:
        b.append("--quick")
    for extra in args.bench_arg:
        b += extra.split()
    return b


def low_cpu(result):
    """[(id, cpu share)] of the scenarios under CPU_MIN."""
    return [(s["id"], s["cpu_share"]) for s in result.get("scenarios", [])
            if not s.get("skipped") and s.get("cpu_share", 1) < CPU_MIN]


def make_run(side, rnd, result, rc=0, error="", **extra):
    run = {"side": side, "round": rnd, "rc": rc, "error": error,
           "result": result}
    run.update(extra)
    run["ok"] = rc == 0 and result is not None and result.get("ok", True)
    run["cpu_low"] = low_cpu(result) if result else []
    run["marked"] = bool(run["cpu_low"])
    return run


def run_bench(side, rnd, eal, bargs):
    cmd = ["flock", LOCK, side.bench] + eal + ["--"] + bargs
    load = os.getloadavg()[0]
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.monotonic() - start
    result, error = None, ""
    try:
        result = json.loads(p.stdout)
    except ValueError:
        error = "no JSON on stdout"
    if p.returncode != 0 or result is None:
        error = (error + "; " if error else "") + \
            "exit status %d; the end of stderr:\n%s" % (
                p.returncode, p.stderr[-3000:])
    run = make_run(side.label, rnd, result, p.returncode, error,
                   command=cmd, load_before=round(load, 2),
                   seconds=round(secs, 1))
    log("%s%d: %s in %.0f s, waiting for the lock included (load %.2f "
        "before)%s" % (
        side.label, rnd, "ok" if run["ok"] else "FAILED", secs, load,
        "; CPU shared: " + ", ".join("%s %.1f%%" % (i, 100 * c)
                                     for i, c in run["cpu_low"])
        if run["marked"] else ""))
    if error:
        log(error)
    return run


# ---- summary ----

def _median(vals):
    present = [v for v in vals if v is not None]
    return statistics.median(present) if present else None


def summarize(runs):
    """Per scenario and metric: each side's values by round, marks,
    median, and B's median against A's in percent."""
    order, names = [], {}
    for r in runs:   # in each run's order; one side's new ids in place
        prev = -1
        for s in (r["result"] or {}).get("scenarios", []):
            if s.get("skipped"):
                continue
            if s["id"] not in names:
                order.insert(prev + 1, s["id"])
                names[s["id"]] = s["name"]
            prev = order.index(s["id"])
    out = []
    for sid in order:
        entry = {"id": sid, "name": names[sid]}
        for key, _, _ in METRICS:
            m = {}
            for side in "AB":
                vals, marks = [], []
                for r in runs:
                    if r["side"] != side:
                        continue
                    v = None
                    for s in (r["result"] or {}).get("scenarios", []):
                        if s["id"] == sid and not s.get("skipped"):
                            v = s.get(key)
                    vals.append(v)
                    marks.append(r["marked"])
                m[side] = {"rounds": vals, "marked": marks,
                           "median": _median(vals)}
            a, b = m["A"]["median"], m["B"]["median"]
            m["change_percent"] = (100.0 * (b - a) / a
                                   if a is not None and b is not None and a
                                   else None)
            entry[key] = m
        out.append(entry)
    return out


def format_summary(summary, runs):
    lines = []
    n = {s: sum(1 for r in runs if r["side"] == s) for s in "AB"}
    idw = max([len(e["id"]) for e in summary] + [8])
    for key, title, fmt in METRICS:
        rows = [e for e in summary
                if any(v is not None for s in "AB"
                       for v in e[key][s]["rounds"])]
        if not rows:
            continue
        lines.append("")
        lines.append(title)
        head = "%-*s" % (idw, "scenario")
        for s in "AB":
            head += "  " + " ".join("%7s " % ("%s%d" % (s, i + 1))
                                    for i in range(n[s]))
            head += " %8s" % ("med " + s)
        head += " %8s" % "B vs A"
        lines.append(head)
        for e in rows:
            m = e[key]
            line = "%-*s" % (idw, e["id"])
            for s in "AB":
                cells = []
                for v, mk in zip(m[s]["rounds"], m[s]["marked"]):
                    c = "-" if v is None else fmt % v
                    cells.append("%7s%s" % (c, "*" if mk and v is not None
                                            else " "))
                line += "  " + " ".join(cells)
                med = m[s]["median"]
                line += " %8s" % ("-" if med is None else fmt % med)
            ch = m["change_percent"]
            line += " %8s" % ("-" if ch is None else "%+.1f%%" % ch)
            lines.append(line)
    marked = [r for r in runs if r["marked"]]
    failed = [r for r in runs if not r["ok"]]
    lines.append("")
    if marked:
        lines.append("* a scenario of the run had its CPU less than %d%% "
                     "of the time (another process shared it):"
                     % round(100 * CPU_MIN))
        for r in marked:
            lines.append("  %s%d: %s" % (r["side"], r["round"], ", ".join(
                "%s %.1f%%" % (i, 100 * c) for i, c in r["cpu_low"])))
    else:
        lines.append("every scenario of every run had its CPU at least "
                     "%d%% of the time" % round(100 * CPU_MIN))
    for r in failed:
        lines.append("run %s%d FAILED (exit status %s)%s" % (
            r["side"], r["round"], r["rc"],
            ": " + r["error"].splitlines()[0] if r["error"] else ""))
    return "\n".join(lines)


def load_saved(side, paths):
    runs = []
    for i, p in enumerate(paths):
        with open(p) as f:
            runs.append(make_run(side, i + 1, json.load(f), file=p))
    return runs


# ---- main ----

def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--old", metavar="REV", help="side A: a git revision, "
                    "or . / WORK / a work tree's directory (its build)")
    ap.add_argument("--new", metavar="REV", help="side B, the same")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs of each side, alternating (3)")
    ap.add_argument("--lcores", default="1", metavar="LIST",
                    help="EAL -l (1; 0-1 adds the two-worker case)")
    ap.add_argument("--no-huge", action="store_true",
                    help="--no-huge even if hugepages are free")
    ap.add_argument("--memory", type=int, default=3072, metavar="MB",
                    help="-m without hugepages (3072)")
    ap.add_argument("--build-dir", default="build",
                    help="a work tree side's build directory (build)")
    ap.add_argument("--no-build", action="store_true",
                    help="take a work tree side's bench as it is")
    ap.add_argument("--keep", action="store_true",
                    help="keep the worktrees and build logs")
    ap.add_argument("--json", metavar="FILE",
                    help="write everything (runs, summary) to FILE "
                    "(- for stdout; the table then goes to stderr)")
    g = ap.add_argument_group("dsrlb-bench options, passed to both sides")
    g.add_argument("--only", metavar="IDS")
    g.add_argument("--packets", type=int, metavar="N")
    g.add_argument("--flows", type=int, metavar="N")
    g.add_argument("--flows-large", type=int, metavar="N")
    g.add_argument("--new-flows", type=int, metavar="N")
    g.add_argument("--quick", action="store_true")
    g.add_argument("--bench-arg", action="append", default=[],
                   metavar="ARGS", help="any other (repeatable)")
    g = ap.add_argument_group("saved runs (nothing built or run)")
    g.add_argument("--a-json", action="append", default=[], metavar="FILE",
                   help="a dsrlb-bench --json output of side A "
                   "(repeatable: one per round)")
    g.add_argument("--b-json", action="append", default=[], metavar="FILE",
                   help="the same for side B")
    args = ap.parse_args(argv)
    if args.a_json or args.b_json:
        if not (args.a_json and args.b_json):
            ap.error("--a-json and --b-json go together")
    elif not (args.old and args.new):
        ap.error("--old and --new are needed (or --a-json and --b-json)")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    return args


def write_json(args, doc):
    if args.json == "-":
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


def compare(args, out):
    sides = [resolve("A", args.old, args.build_dir),
             resolve("B", args.new, args.build_dir)]
    tmp = tempfile.mkdtemp(prefix="dsrlb-bench-ab-")
    prefix = "bench_ab_%d" % os.getpid()
    runs = []
    try:
        for s in sides:
            if s.work:
                build_work(s, args.no_build, tmp)
            elif s.label == "B" and not sides[0].work and \
                    sides[0].commit == s.commit:
                s.shared = "A"   # the same commit: one build
                s.build_dir = sides[0].build_dir
                log("B: the same commit as A, its build")
            else:
                build_revision(s, tmp)
        eal, memory = eal_args(args, prefix)
        bargs = bench_args(args)
        for s in sides:
            print("%s: %s" % (s.label, s.describe), file=out)
            print("   %s" % s.bench, file=out)
        print("EAL: %s; %s" % (" ".join(eal), memory), file=out)
        print("dsrlb-bench: %s" % " ".join(bargs), file=out)
        print("order: %s, each under flock %s" % (" ".join(
            "A%d B%d" % (i, i) for i in range(1, args.rounds + 1)), LOCK),
            file=out, flush=True)
        for rnd in range(1, args.rounds + 1):
            for s in sides:
                runs.append(run_bench(s, rnd, eal, bargs))
    finally:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        for d in ["/var/run/dpdk"] + ([os.path.join(xdg, "dpdk")]
                                      if xdg else []):
            shutil.rmtree(os.path.join(d, prefix), ignore_errors=True)
        if args.keep:
            log("kept: %s" % tmp)
        else:
            for s in sides:
                if s.worktree:
                    remove_worktree(s.worktree)
            shutil.rmtree(tmp, ignore_errors=True)
    meta = {"a": sides[0].meta(), "b": sides[1].meta(), "eal": eal,
            "memory": memory, "bench_args": bargs, "rounds": args.rounds,
            "lock": LOCK}
    return runs, meta


def main(argv=None):
    args = parse_args(argv)
    out = sys.stderr if args.json == "-" else sys.stdout
    # SIGTERM as Ctrl-C: the worktrees are removed on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.a_json:
        runs = load_saved("A", args.a_json) + load_saved("B", args.b_json)
        meta = {"a": {"files": args.a_json}, "b": {"files": args.b_json}}
        print("A: %s\nB: %s" % (", ".join(args.a_json),
                                ", ".join(args.b_json)), file=out)
    else:
        try:
            runs, meta = compare(args, out)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            msg = str(e)
            if isinstance(e, subprocess.CalledProcessError):
                msg = "%s: %s" % (" ".join(e.cmd), (e.stderr or "").strip()
                                  or "exit status %d" % e.returncode)
            log("bench_ab: " + msg)
            return 2
    summary = summarize(runs)
    print(format_summary(summary, runs), file=out, flush=True)
    if args.json:
        write_json(args, dict(meta, runs=runs, summary=summary))
    return 0 if runs and all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
