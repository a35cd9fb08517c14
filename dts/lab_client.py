#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""The lab's client, run in the client namespace; prints JSON.

    lab_client.py tcp ADDR PORT COUNT     COUNT connections, one at a time
    lab_client.py sip ADDR COUNT          COUNT OPTIONS over UDP, each from
                                          a new source port
    lab_client.py loop ADDR PORT          connections one at a time until
                                          SIGTERM, then a summary

Each TCP connection reads the greeting (or sends GET for 8100), says
goodbye the protocol's way and reads until the server closes; it counts
as ok only if all of that worked. The frontend's name is taken from its
greeting.
"""

import json
import signal
import socket
import sys
import time

GOODBYE = {110: b"QUIT\r\n", 143: b"a LOGOUT\r\n", 25: b"QUIT\r\n"}
EXPECT = {110: b"+OK", 143: b"* OK", 25: b"220", 8100: b"HTTP/1.0 200"}


def tcp_once(addr, port, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    r = {"ok": False}
    try:
        s.connect((addr, port))
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
        s.close()
    return r


def sip_once(addr, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.bind(("0.0.0.0", 0))
    port = s.getsockname()[1]
    req = ("OPTIONS sip:%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 203.0.113.10:%d;branch=z9hG4bK%d\r\n"
           "From: <sip:lab@203.0.113.10>;tag=%d\r\nTo: <sip:%s>\r\n"
           "Call-ID: %d@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
           % (addr, port, port, port, addr, port)).encode()
    r = {"ok": False, "port": port}
    try:
        s.sendto(req, (addr, 5060))
        data, (src, _) = s.recvfrom(65535)
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
    summary = {"ok": 0, "failed": 0, "servers": {}, "errors": []}
    print("started", flush=True)
    while not stop:
        r = tcp_once(addr, port)
        if r["ok"]:
            summary["ok"] += 1
            srv = r.get("server", "?")
            summary["servers"][srv] = summary["servers"].get(srv, 0) + 1
        else:
            summary["failed"] += 1
            summary["errors"].append([time.time(), r.get("error"),
                                      r.get("banner")])
    return summary


def main():
    mode = sys.argv[1]
    if mode == "tcp":
        addr, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        out = [tcp_once(addr, port) for _ in range(count)]
    elif mode == "sip":
        addr, count = sys.argv[2], int(sys.argv[3])
        out = [sip_once(addr) for _ in range(count)]
    elif mode == "loop":
        out = loop(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("unknown mode " + mode)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
