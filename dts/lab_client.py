#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The lab's client, run in the client namespace; prints JSON.

    lab_client.py tcp ADDR PORT COUNT     COUNT connections, one at a time
    lab_client.py tcp-from ADDR PORT SRC...
                                          one connection from each source
                                          address SRC (the client's own),
                                          one at a time
    lab_client.py sip ADDR COUNT          COUNT OPTIONS over UDP, each from
                                          a new source port
    lab_client.py loop ADDR PORT          connections one at a time until
                                          SIGTERM, then a summary (with
                                          "log": [start time, server or
                                          null] per connection)
    lab_client.py sessions ADDR PORT COUNT INTERVAL_MS
                                          COUNT long-lived POP3 (110) or
                                          IMAP (143) sessions, a NOOP on
                                          each every INTERVAL_MS until
                                          SIGTERM, then a summary
    lab_client.py bigsip ADDR COUNT SIZE  like sip, each request padded to
                                          SIZE bytes (large ones are sent
                                          as IP fragments)

Each TCP connection reads the greeting (or sends GET for 8100), says
goodbye the protocol's way and reads until the server closes; it counts
as ok only if all of that worked. The frontend's name is taken from its
greeting. As a real client does, a connect that times out (no answer to
the SYN and its retransmits: a frame lost, or late, on a loaded
machine) is tried again on a new socket, up to CONNECT_ATTEMPTS times
in all ("attempts" in each result; the loop's summary counts in
"retried" the connections that needed more than one); a refused or
reset connect, any error after the connection is made, and a wrong
greeting are failures at once.

sessions prints "started " and a JSON list, one entry per session:
{"sport": its source port, "server": the greeting's name} or, for one
that could not be opened, with "error". Then, in rounds every
INTERVAL_MS, it sends NOOP on every live session at once and reads the
answers. A session fails on its first error: reset, closed, no answer
within 60 s (long enough for TCP to retransmit across an outage), an
answer other than "+OK" / "TAG OK", or one naming another frontend than
the greeting. On SIGTERM it finishes the round, says goodbye on the live
sessions and prints {"sessions": [{"sport", "server", "ok": NOOPs
answered, "failed", "error", "failed_at": unix time}], "rounds": rounds
with at least one live session}.
"""

import json
import os
import select
import selectors
import signal
import socket
import sys
import time

GOODBYE = {110: b"QUIT\r\n", 143: b"a LOGOUT\r\n", 25: b"QUIT\r\n"}
EXPECT = {110: b"+OK", 143: b"* OK", 25: b"220", 8100: b"HTTP/1.0 200"}
CONNECT_ATTEMPTS = 3


def family_of(addr):
    """The socket family of an address: IPv6 if it has a colon."""
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def connect(addr, port, timeout, r, source=None):
    """A socket connected to addr:port (from address source, if given),
    the connect tried again on a new socket (a new source port) when it
    times out, up to CONNECT_ATTEMPTS times in all (r["attempts"]); any
    other error, or the last timeout, is raised."""
    for n in range(1, CONNECT_ATTEMPTS + 1):
        r["attempts"] = n
        s = socket.socket(family_of(addr), socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            if source is not None:
                s.bind((source, 0))
            s.connect((addr, port))
            return s
        except socket.timeout:
            s.close()
            if n == CONNECT_ATTEMPTS:
                raise
        except OSError:
            s.close()
            raise
    raise AssertionError("not reached")


def tcp_once(addr, port, timeout=3.0, source=None):
    r = {"ok": False, "attempts": 0}
    if source is not None:
        r["source"] = source
    s = None
    try:
        s = connect(addr, port, timeout, r, source)
        if port == 8100:
            s.sendall(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n")
        data = b""
        while b"\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\r\n")[0]
        r["banner"] = line.decode(errors="replace")
        if port == 8100:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            for h in data.split(b"\r\n"):
                if h.lower().startswith(b"server:"):
                    r["server"] = h.split(b":", 1)[1].strip().decode()
        else:
            words = line.split()
            r["server"] = words[2].decode() if line.startswith(b"* ") \
                else words[1].decode() if len(words) > 1 else ""
            s.sendall(GOODBYE[port])
            while s.recv(4096):
                pass
        r["ok"] = line.startswith(EXPECT[port])
        if not r["ok"]:
            r["error"] = "unexpected greeting"
    except OSError as e:
        r["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if s is not None:
            s.close()
    return r


def sip_once(addr, timeout=2.0, size=0):
    """One OPTIONS request; size > 0 pads it with an X-Pad header to
    size bytes."""
    v6 = ":" in addr
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.bind(("::" if v6 else "0.0.0.0", 0))
    port = s.getsockname()[1]
    # an IPv6 host in a SIP URI is bracketed (RFC 3261 25.1)
    me = "[2001:db8:c::10]" if v6 else "203.0.113.10"
    uri = "[%s]" % addr if v6 else addr
    head = ("OPTIONS sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%d\r\n"
            "From: <sip:lab@%s>;tag=%d\r\nTo: <sip:%s>\r\n"
            "Call-ID: %d@lab\r\nCSeq: 1 OPTIONS\r\n"
            % (uri, me, port, port, me, port, uri, port)).encode()
    tail = b"Content-Length: 0\r\n\r\n"
    req = head + tail
    if size > 0:
        pad = size - len(req) - len(b"X-Pad: \r\n")
        if pad >= 0:
            req = head + b"X-Pad: " + b"x" * pad + b"\r\n" + tail
    r = {"ok": False, "port": port}
    if size > 0:
        r["size"] = len(req)
    try:
        s.sendto(req, (addr, 5060))
        data, peer = s.recvfrom(65535)
        src = peer[0]
        text = data.decode(errors="replace")
        r["status"] = text.split("\r\n")[0]
        r["source"] = src
        for h in text.split("\r\n"):
            if h.lower().startswith("server:"):
                r["server"] = h.split(":", 1)[1].strip()
        r["ok"] = r["status"].startswith("SIP/2.0 200")
    except OSError as e:
        r["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
    return r


def loop(addr, port):
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    summary = {"ok": 0, "failed": 0, "servers": {}, "errors": [], "log": [],
               "retried": 0}
    print("started", flush=True)
    while not stop:
        start = time.time()
        r = tcp_once(addr, port)
        summary["log"].append([round(start, 4),
                               r.get("server") if r["ok"] else None])
        if r["attempts"] > 1:
            summary["retried"] += 1
        if r["ok"]:
            summary["ok"] += 1
            srv = r.get("server", "?")
            summary["servers"][srv] = summary["servers"].get(srv, 0) + 1
        else:
            summary["failed"] += 1
            summary["errors"].append([time.time(), r.get("error"),
                                      r.get("banner")])
    return summary


def read_line(sess):
    """A complete line from sess["buf"] (removed from it), or None."""
    line, sep, rest = sess["buf"].partition(b"\n")
    if not sep:
        return None
    sess["buf"] = rest
    return line.rstrip(b"\r")


def open_session(addr, port, timeout=10.0):
    """Connect and read the greeting; the session (with "error" set if
    that failed)."""
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    sess = {"sock": s, "sport": None, "server": None, "buf": b"", "ok": 0,
            "failed": False, "error": None, "failed_at": None}
    try:
        s.connect((addr, port))
        sess["sport"] = s.getsockname()[1]
        line = None
        while line is None:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the greeting")
            sess["buf"] += chunk
            line = read_line(sess)
        words = line.split()
        sess["server"] = words[2].decode() if line.startswith(b"* ") \
            else words[1].decode() if len(words) > 1 else ""
        if not line.startswith(EXPECT[port]):
            raise ConnectionError("unexpected greeting %r" % line.decode(
                errors="replace"))
    except OSError as e:
        if sess["sport"] is None:
            try:
                sess["sport"] = s.getsockname()[1] or None
            except OSError:
                pass
        fail(sess, "%s: %s" % (type(e).__name__, e))
    return sess


def fail(sess, error):
    sess["failed"] = True
    sess["error"] = error
    sess["failed_at"] = time.time()
    sess["sock"].close()


def check_answer(sess, port, tag):
    """Whether sess["buf"] holds the whole answer to the NOOP tagged tag;
    fails the session on a wrong one."""
    while True:
        line = read_line(sess)
        if line is None:
            return False
        words = line.split()
        if port == 143 and line.startswith(b"* "):
            continue                     # untagged data: read on
        if port == 143:
            good = words[:2] == [tag, b"OK"]
            named = words[2:3]
        else:
            good = words[:1] == [b"+OK"]
            named = words[1:2]
        text = line.decode(errors="replace")
        if not good:
            fail(sess, "unexpected answer %r" % text)
        elif [n.decode(errors="replace") for n in named] != [sess["server"]]:
            fail(sess, "answer %r names another frontend than %s" %
                 (text, sess["server"]))
        else:
            sess["ok"] += 1
        return True


def noop_round(live, port, seq, timeout=60.0):
    """One NOOP on every live session, all at once; waits for every
    answer (or error, or timeout)."""
    tag = b"n%d" % seq
    cmd = tag + b" NOOP\r\n" if port == 143 else b"NOOP\r\n"
    sel = selectors.DefaultSelector()
    deadline = {}
    for sess in live:
        try:
            sess["sock"].sendall(cmd)
        except OSError as e:
            fail(sess, "%s: %s" % (type(e).__name__, e))
            continue
        deadline[id(sess)] = time.monotonic() + timeout
        sel.register(sess["sock"], selectors.EVENT_READ, sess)
    while deadline:
        now = time.monotonic()
        for key in list(sel.get_map().values()):
            sess = key.data
            if deadline[id(sess)] <= now:
                sel.unregister(sess["sock"])
                del deadline[id(sess)]
                fail(sess, "timeout: no answer in %d s" % timeout)
        if not deadline:
            break
        for key, _ in sel.select(max(0.0, min(deadline.values()) - now)):
            sess = key.data
            try:
                chunk = sess["sock"].recv(4096)
                if not chunk:
                    raise ConnectionError("closed by the server")
                sess["buf"] += chunk
                done = check_answer(sess, port, tag)
            except OSError as e:
                fail(sess, "%s: %s" % (type(e).__name__, e))
                done = True
            if done:
                sel.unregister(key.fileobj)
                del deadline[id(sess)]
    sel.close()


def goodbye(live, port, timeout=5.0):
    """QUIT / LOGOUT on the live sessions, then read until each closes
    (best effort: these no longer count)."""
    sel = selectors.DefaultSelector()
    for sess in live:
        try:
            sess["sock"].sendall(GOODBYE[port])
            sel.register(sess["sock"], selectors.EVENT_READ, sess)
        except OSError:
            sess["sock"].close()
    end = time.monotonic() + timeout
    while sel.get_map() and time.monotonic() < end:
        for key, _ in sel.select(max(0.0, end - time.monotonic())):
            try:
                more = key.fileobj.recv(4096)
            except OSError:
                more = b""
            if not more:
                sel.unregister(key.fileobj)
                key.fileobj.close()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()


def sessions(addr, port, count, interval_ms):
    stop = []
    rfd, wfd = os.pipe()
    os.set_blocking(rfd, False)
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    all_s = [open_session(addr, port) for _ in range(count)]
    started = [dict({"sport": x["sport"], "server": x["server"]},
                    **({"error": x["error"]} if x["failed"] else {}))
               for x in all_s]
    print("started " + json.dumps(started), flush=True)
    rounds = 0
    next_round = time.monotonic()
    while not stop:
        wait = next_round - time.monotonic()
        if wait > 0:
            select.select([rfd], [], [], wait)   # SIGTERM wakes it
            try:
                os.read(rfd, 512)
            except BlockingIOError:
                pass
            continue
        next_round = max(next_round + interval_ms / 1000.0,
                         time.monotonic())
        live = [x for x in all_s if not x["failed"]]
        if live:
            rounds += 1
            noop_round(live, port, rounds)
    goodbye([x for x in all_s if not x["failed"]], port)
    return {"sessions": [{k: x[k] for k in ("sport", "server", "ok",
                                             "failed", "error", "failed_at")}
                         for x in all_s],
            "rounds": rounds}


def main():
    mode = sys.argv[1]
    if mode == "tcp":
        addr, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        out = [tcp_once(addr, port) for _ in range(count)]
    elif mode == "tcp-from":
        addr, port = sys.argv[2], int(sys.argv[3])
        out = [tcp_once(addr, port, source=src) for src in sys.argv[4:]]
    elif mode == "sip":
        addr, count = sys.argv[2], int(sys.argv[3])
        out = [sip_once(addr) for _ in range(count)]
    elif mode == "loop":
        out = loop(sys.argv[2], int(sys.argv[3]))
    elif mode == "sessions":
        addr, port = sys.argv[2], int(sys.argv[3])
        if port not in (110, 143):
            sys.exit("sessions: PORT must be 110 (POP3) or 143 (IMAP)")
        out = sessions(addr, port, int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "bigsip":
        addr, count, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        out = [sip_once(addr, size=size) for _ in range(count)]
    else:
        sys.exit("unknown mode " + mode)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
