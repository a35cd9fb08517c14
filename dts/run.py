#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Run DTS suites: dts/run.py [--group pcap|lab|all] [--skip SUITE]...
[suite[.test_case] ...]

Every module in dts/suites defines TestSuite subclasses with a GROUP
("pcap" suites need nothing but dsrlb; "lab" suites build network
namespaces and need root). Exit status 0 only if every case passed.
"""

import argparse
import importlib
import inspect
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework  # noqa: E402


def discover():
    suites = []
    sdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suites")
    for fname in sorted(os.listdir(sdir)):
        if not fname.endswith(".py") or fname.startswith("_"):
            continue
        mod = importlib.import_module("suites." + fname[:-3])
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if (issubclass(cls, framework.TestSuite)
                    and cls is not framework.TestSuite
                    and cls.__module__ == mod.__name__):
                suites.append(cls)
    return suites


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="all", choices=["pcap", "lab", "all"])
    ap.add_argument("--list", action="store_true", help="list suites")
    ap.add_argument("--skip", action="append", default=[],
                    metavar="SUITE", help="leave a suite out (repeatable)")
    ap.add_argument("names", nargs="*", help="suite or suite.test_case")
    args = ap.parse_args()

    if not os.access(framework.DSRLB, os.X_OK):
        print("dsrlb binary not found at %s (build first, or set DSRLB_BUILD)"
              % framework.DSRLB)
        return 2
    wanted = {}
    for n in args.names:
        suite, _, case = n.partition(".")
        wanted.setdefault(suite, set())
        if case:
            wanted[suite].add(case)

    failed = []
    total = 0
    for cls in discover():
        if args.group != "all" and cls.GROUP != args.group:
            continue
        if (wanted and cls.__name__ not in wanted) or \
                cls.__name__ in args.skip:
            continue
        if args.list:
            print("%-5s %s: %s" % (cls.GROUP, cls.__name__,
                                   (cls.__doc__ or "").strip().split("\n")[0]))
            continue
        print("%s (%s)" % (cls.__name__, cls.GROUP), flush=True)
        for case, ok in cls().run(wanted.get(cls.__name__) or None,
                                  report=lambda s: print(s, flush=True)):
            total += 1
            if not ok:
                failed.append("%s.%s" % (cls.__name__, case))
    if args.list:
        return 0
    print("\n%d test cases, %d failed" % (total, len(failed)))
    for f in failed:
        print("  FAILED " + f)
    if total == 0:
        print("no test cases ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
