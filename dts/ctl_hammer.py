#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Hammer dsrlb's control socket with many clients of several kinds for
a while, and report what each kind saw.

    dts/ctl_hammer.py --socket PATH [--duration S] [--valid N]
        [--invalid N] [--oversized N] [--slow N] [--never-read N]
        [--idle N] [--methods status,stats,...] [--call METHOD=PARAMS]...

Kinds of clients (N of each, all at once, one event loop):
  valid       well-formed requests (--methods, --call, in turn), one at a
              time, each answer read before the next: well-behaved;
  invalid     ill-formed requests (bad JSON, wrong types, unknown
              method or param, numbers too large, bad batches), one at
              a time, each answer read: well-behaved too;
  oversized   more than 1 MiB without a newline, then waits for the
              server's error and its close, and starts again;
  slow        a well-formed request one byte every --slow-interval
              seconds, then its answer; again;
  never-read  requests for long answers, sent as fast as the socket
              takes them, answers never read, until the server drops it;
              then again;
  idle        connects and does nothing (not reconnected once closed).

A client closed by the server reconnects (except idle ones). At the
end, the well-behaved clients stop sending and wait (--grace) for the
answers they are owed. The last line printed is a JSON report:

  {"duration": s, "kinds": {KIND: {"clients", "connections",
   "sent", "answered", "errors", "lost", "closed_by_server",
   "max_latency_ms", ...}}, "well_behaved_all_answered": bool,
   "failures": [first problems seen]}

"lost": requests a well-behaved client sent that got no answer (its
connection closed first, or the grace ended); an answer that is not
JSON, or has the wrong id, is a failure. Exit status 0 if the run
completed (whatever it found), 2 on a usage error.
"""

import argparse
import errno
import json
import os
import selectors
import socket
import sys
import time

INVALID = [
    b"{nope",
    b"[]",
    b'"just a string"',
    b"[1, 2]",
    b'{"jsonrpc": "2.0", "method": "no.such.method", "id": %d}',
    b'{"jsonrpc": "1.0", "method": "status", "id": %d}',
    b'{"jsonrpc": "2.0", "method": "status", "params": {"x": 1}, "id": %d}',
    b'{"jsonrpc": "2.0", "method": "member.set", "params": {"name": 7},'
    b' "id": %d}',
    b'{"jsonrpc": "2.0", "method": "member.set", "params": {"name": "x",'
    b' "weight": 1e400}, "id": %d}',
    b'{"jsonrpc": "2.0", "method": "member.set", "params": {"name": "x",'
    b' "weight": 99999999999999999999}, "id": %d}',
    b'{"jsonrpc": "2.0", "method": "member.set", "params": {"name": "x",'
    b' "weight": 1.5}, "id": %d}',
    b'{"jsonrpc": "2.0", "method": "status", "id": 1e400}',
    b'{"jsonrpc": "2.0", "method": "status", "id": %d, "id": 2}',
]

KINDS = ("valid", "invalid", "oversized", "slow", "never-read", "idle")
WELL_BEHAVED = ("valid", "invalid")


class Stats:
    def __init__(self, clients):
        self.d = {"clients": clients, "connections": 0, "sent": 0,
                  "answered": 0, "errors": 0, "lost": 0,
                  "closed_by_server": 0, "max_latency_ms": 0.0}

    def add(self, key, n=1):
        self.d[key] = self.d.get(key, 0) + n

    def latency(self, seconds):
        self.d["max_latency_ms"] = max(self.d["max_latency_ms"],
                                       round(seconds * 1000, 1))


class Client:
    """One connection's state machine; reconnects when closed unless
    it is idle or the run is ending."""

    def __init__(self, hammer, kind, index):
        self.h = hammer
        self.kind = kind
        self.index = index
        self.sock = None
        self.inbuf = b""
        self.outbuf = b""
        self.outstanding = None   # (id or None, sent at)
        self.next_id = index * 1000000 + 1
        self.turn = index
        self.wake = 0.0           # slow: next byte; others: reconnect
        self.ever = False

    @property
    def stats(self):
        return self.h.stats[self.kind]

    # -- connection --

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(self.h.path)
        except BlockingIOError:
            # a Unix socket's listen queue is full: not connected, try
            # again soon
            s.close()
            self.stats.add("connect_retries")
            self.wake = time.monotonic() + 0.01
            return
        except OSError as e:
            s.close()
            self.h.failure("%s %d: connect: %s" % (self.kind, self.index, e))
            self.wake = time.monotonic() + 0.1
            return
        self.sock = s
        self.ever = True
        self.inbuf = b""
        self.outbuf = b""
        self.stats.add("connections")
        # never-read clients only ever write (a close shows as an error
        # on write); the others read
        self.h.sel.register(s, selectors.EVENT_WRITE
                            if self.kind == "never-read"
                            else selectors.EVENT_READ, self)
        self.start()

    def closed(self, by_server=True):
        if self.sock is None:
            return
        self.h.sel.unregister(self.sock)
        self.sock.close()
        self.sock = None
        if by_server:
            self.stats.add("closed_by_server")
        if self.outstanding is not None and self.kind in WELL_BEHAVED:
            self.stats.add("lost")
            self.h.failure("%s %d: connection closed with request %s"
                           " unanswered" % (self.kind, self.index,
                                            self.outstanding[0]))
        self.outstanding = None
        if self.kind != "idle" and not self.h.ending:
            # the abusive kinds come back at a pace, the others at once
            self.wake = time.monotonic() + (
                0.01 if self.kind in WELL_BEHAVED else 0.2)

    def want_write(self, on):
        if self.sock is None or self.kind == "never-read":
            return
        ev = selectors.EVENT_READ | (selectors.EVENT_WRITE if on else 0)
        if ev != self.h.sel.get_key(self.sock).events:
            self.h.sel.modify(self.sock, ev, self)

    def send(self, data):
        self.outbuf += data
        self.flush()

    def flush(self):
        while self.outbuf and self.sock is not None:
            try:
                n = self.sock.send(self.outbuf[:262144])
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                if e.errno in (errno.EPIPE, errno.ECONNRESET,
                               errno.ENOTCONN):
                    self.drain()
                    return
                raise
            self.outbuf = self.outbuf[n:]
        self.want_write(bool(self.outbuf))

    # -- behaviour --

    def start(self):
        if self.kind in ("valid", "invalid"):
            self.ask()
        elif self.kind == "oversized":
            self.stats.add("sent")
            self.send(b"[" + b" " * (1 << 20) + b" ")
        elif self.kind == "slow":
            self.slow_left = self.request(self.h.methods[0])
            self.outstanding = None
            self.wake = time.monotonic()
        elif self.kind == "never-read":
            self.flood()

    def request(self, call):
        """call: a method name, or (name, params)."""
        method, params = call if isinstance(call, tuple) else (call, None)
        rid = self.next_id
        self.next_id += 1
        req = {"jsonrpc": "2.0", "method": method, "id": rid}
        if params is not None:
            req["params"] = params
        return (json.dumps(req) + "\n").encode(), rid

    def ask(self):
        if self.h.ending:
            return
        if self.kind == "valid":
            data, rid = self.request(
                self.h.methods[self.turn % len(self.h.methods)])
        else:
            rid = self.next_id
            self.next_id += 1
            t = INVALID[self.turn % len(INVALID)]
            data = (t % rid if b"%d" in t else t) + b"\n"
            rid = None   # ill-formed: any one answer line
        self.turn += 1
        self.outstanding = (rid, time.monotonic())
        self.stats.add("sent")
        self.send(data)

    def flood(self):
        """never-read: keep the socket full of requests for long
        answers."""
        while self.sock is not None and len(self.outbuf) < 65536:
            data, _ = self.request(self.h.flood_method)
            self.outbuf += data * 64
            self.stats.add("sent", 64)
        self.flush()

    def tick(self, now):
        """Timers: reconnect, the slow client's next byte."""
        if self.sock is None:
            if ((self.kind != "idle" or not self.ever) and
                    not self.h.ending and now >= self.wake):
                self.connect()
            return
        if self.kind == "slow" and self.outstanding is None and \
                now >= self.wake and not self.h.ending:
            data, rid = self.slow_left
            self.send(data[:1])
            if len(data) == 1:
                self.outstanding = (rid, now)
                self.stats.add("sent")
            else:
                self.slow_left = (data[1:], rid)
                self.wake = now + self.h.slow_interval

    def drain(self):
        """The server closed: read what it said last, then close."""
        for _ in range(64):
            if self.sock is None or self.kind == "never-read":
                break
            self.readable()
        self.closed()

    def readable(self):
        if self.kind == "never-read":
            self.flood()   # only to see a close: it never reads
            return
        try:
            chunk = self.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.ENOTCONN):
                chunk = b""
            else:
                raise
        if not chunk:
            self.closed()
            return
        self.inbuf += chunk
        while b"\n" in self.inbuf:
            line, _, self.inbuf = self.inbuf.partition(b"\n")
            self.answer(line)

    def answer(self, line):
        now = time.monotonic()
        try:
            r = json.loads(line)
        except ValueError:
            self.h.failure("%s %d: answer is not JSON: %r"
                           % (self.kind, self.index, line[:200]))
            return
        if self.kind in ("oversized", "idle") or self.outstanding is None:
            # the server's last word before it closes (oversized,
            # eviction); anything else is unexpected
            msg = r.get("error", {}).get("message", "") \
                if isinstance(r, dict) else ""
            if self.kind == "oversized" and "1 MiB" in msg:
                self.stats.add("answered")
            elif "closed to admit" in msg:
                self.stats.add("evicted")
            else:
                self.h.failure("%s %d: unexpected line %r"
                               % (self.kind, self.index, line[:200]))
            return
        rid, sent = self.outstanding
        if rid is not None and (not isinstance(r, dict) or
                                r.get("id") != rid):
            msg = r.get("error", {}).get("message", "") \
                if isinstance(r, dict) else ""
            if "closed to admit" in msg:
                self.stats.add("evicted")
                return
            self.h.failure("%s %d: answer to %s has id %r: %r"
                           % (self.kind, self.index, rid,
                              r.get("id") if isinstance(r, dict) else None,
                              line[:200]))
            return
        self.outstanding = None
        self.stats.add("answered")
        self.stats.latency(now - sent)
        if isinstance(r, dict) and "error" in r:
            self.stats.add("errors")
            if self.kind == "valid":
                self.h.failure("valid %d: error answer %r"
                               % (self.index, r["error"]))
        elif self.kind == "invalid" and not isinstance(r, list):
            self.h.failure("invalid %d: a result to an ill-formed"
                           " request: %r" % (self.index, line[:200]))
        if self.kind == "slow":
            self.slow_left = self.request(self.h.methods[0])
            self.wake = now + self.h.slow_interval
        else:
            self.ask()


class Hammer:
    def __init__(self, args):
        self.path = args.socket
        self.methods = args.methods.split(",")
        # --call METHOD=PARAMS: asked in turn with the methods
        for c in args.call:
            name, _, params = c.partition("=")
            self.methods.append((name, json.loads(params) if params
                                 else None))
        self.flood_method = args.flood_method
        self.slow_interval = args.slow_interval
        self.sel = selectors.DefaultSelector()
        self.ending = False
        self.failures = []
        self.stats = {}
        self.clients = []
        for kind in KINDS:
            n = getattr(args, kind.replace("-", "_"))
            self.stats[kind] = Stats(n)
            self.clients += [Client(self, kind, i) for i in range(n)]

    def failure(self, text):
        if len(self.failures) < 20:
            self.failures.append(text)

    def loop(self, until, stop=None):
        while time.monotonic() < until:
            if stop is not None and stop():
                return
            for key, ev in self.sel.select(timeout=0.01):
                c = key.data
                if c.sock is None:
                    continue
                if ev & selectors.EVENT_WRITE:
                    c.flush()
                    if c.kind == "never-read" and c.sock is not None:
                        c.flood()
                if ev & selectors.EVENT_READ and c.sock is not None:
                    c.readable()
            now = time.monotonic()
            for c in self.clients:
                c.tick(now)

    def run(self, duration, grace):
        start = time.monotonic()
        for c in self.clients:
            c.connect()
        self.loop(start + duration)
        self.ending = True

        def owed():
            return all(c.outstanding is None or c.sock is None
                       for c in self.clients if c.kind in WELL_BEHAVED)
        self.loop(time.monotonic() + grace, owed)
        for c in self.clients:
            if c.outstanding is not None and c.kind in WELL_BEHAVED:
                c.stats.add("lost")
                self.failure("%s %d: request %s unanswered after the grace"
                             % (c.kind, c.index, c.outstanding[0]))
                c.outstanding = None
            c.closed(by_server=False)
        ok = all(self.stats[k].d["lost"] == 0 and
                 self.stats[k].d["answered"] == self.stats[k].d["sent"]
                 for k in WELL_BEHAVED) and not self.failures
        return {"duration": round(time.monotonic() - start, 2),
                "kinds": {k: s.d for k, s in self.stats.items()},
                "well_behaved_all_answered": ok,
                "failures": self.failures}


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--grace", type=float, default=15.0,
                    help="seconds to wait for owed answers at the end")
    for kind, n in (("valid", 8), ("invalid", 4), ("oversized", 2),
                    ("slow", 2), ("never-read", 4), ("idle", 0)):
        ap.add_argument("--" + kind, type=int, default=n,
                        help="clients of this kind (default %d)" % n)
    ap.add_argument("--methods", default="status,stats,members.list,"
                    "services.list,health.list,neighbors.list,help",
                    help="what valid clients ask, in turn")
    ap.add_argument("--call", action="append", default=[],
                    metavar="METHOD=PARAMS",
                    help="also asked by valid clients, with PARAMS (a JSON"
                    " object); repeatable")
    ap.add_argument("--flood-method", default="help",
                    help="what never-read clients ask (a long answer)")
    ap.add_argument("--slow-interval", type=float, default=0.02)
    args = ap.parse_args()
    if not os.path.exists(args.socket):
        print("no socket at %s" % args.socket, file=sys.stderr)
        return 2
    report = Hammer(args).run(args.duration, args.grace)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
