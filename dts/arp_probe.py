#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Ask for an address by ARP, as a router does, and say which requests
went unanswered. Run inside the asker's namespace; prints JSON.

    arp_probe.py --iface IF --src ADDR --target ADDR [--count N]
                 [--interval S] [--wait S]

Each request is a broadcast who-has TARGET from the interface's MAC and
ADDR; it counts as answered when an ARP reply saying TARGET is at some
MAC comes back to this MAC within --wait seconds (a router retries after
about a second). Requests go every --interval seconds, whatever the
answers.
"""

import argparse
import json
import select
import socket
import struct
import time

ETH_P_ARP = 0x0806


def mac_of(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def request(mac, src, target):
    return (b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP) +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
            mac + socket.inet_aton(src) + b"\x00" * 6 +
            socket.inet_aton(target))


def is_answer(frame, mac, src, target):
    """An ARP reply to us saying target is somewhere."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x06":
        return None
    op = struct.unpack("!H", frame[20:22])[0]
    if op != 2 or frame[28:32] != socket.inet_aton(target) or \
            frame[32:38] != mac or frame[38:42] != socket.inet_aton(src):
        return None
    return frame[22:28].hex(":")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--wait", type=float, default=1.0)
    a = ap.parse_args()

    mac = mac_of(a.iface)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ARP))
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    frame = request(mac, a.src, a.target)
    pending = {}            # request index -> deadline
    answered, unanswered, macs = [], [], set()
    start = time.monotonic()
    sent = 0
    while sent < a.count or pending:
        now = time.monotonic()
        if sent < a.count and now >= start + sent * a.interval:
            s.send(frame)
            pending[sent] = now + a.wait
            sent += 1
        for i, deadline in list(pending.items()):
            if now > deadline:
                unanswered.append(i)
                del pending[i]
        nxt = start + sent * a.interval if sent < a.count else now + 0.05
        r, _, _ = select.select([s], [], [], max(0.0, min(nxt - now, 0.05)))
        if not r:
            continue
        while True:
            try:
                f = s.recv(2048, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            who = is_answer(f, mac, a.src, a.target)
            if who is not None and pending:
                # replies carry no id: the oldest request waiting is
                # the one answered
                i = min(pending)
                del pending[i]
                answered.append(i)
                macs.add(who)
    print(json.dumps({"sent": sent, "answered": len(answered),
                      "unanswered": sorted(unanswered),
                      "answered_by": sorted(macs)}), flush=True)


if __name__ == "__main__":
    main()
