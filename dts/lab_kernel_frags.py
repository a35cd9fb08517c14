#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""SIP OPTIONS fragmented by the kernel, then reordered on the way;
prints JSON.

    lab_kernel_frags.py CAPTURE_IF OUT_IF DST_MAC ADDR COUNT SIZE SEED

Run in the lab client's namespace (ip netns exec), where ADDR (the VIP)
is routed to CAPTURE_IF, one end of a veth pair that goes nowhere, with
a permanent neighbour entry: COUNT UDP sockets each send a SIP OPTIONS
of SIZE bytes to ADDR:5060, which the kernel fragments at
CAPTURE_IF's MTU (its Fragment header, its Identification, its fragment
sizes) and puts on CAPTURE_IF, where a packet socket takes the
fragments; nothing has reached the network. Then they go out on OUT_IF
to DST_MAC (the router), each datagram's fragments reordered: the even
ones last first, the odd ones shuffled (random.Random(SEED)), back to
back on one packet socket. The sockets read the answers until each has
one or 20 s have passed.

Prints {"sent": frames, "datagrams": [{"port", "id", "fragments",
"early": later fragments sent before the first}], "answers": {"PORT":
{"source", "status", "server"}}}.
"""

import json
import random
import selectors
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
NH_FRAGMENT = 44


def request(addr, port, size):
    """The SIP OPTIONS lab_client.py bigsip sends, padded to size."""
    v6 = ":" in addr
    me = "[2001:db8:c::10]" if v6 else "203.0.113.10"
    uri = "[%s]" % addr if v6 else addr
    head = ("OPTIONS sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKk%d\r\n"
            "From: <sip:lab@%s>;tag=%d\r\nTo: <sip:%s>\r\n"
            "Call-ID: kfrag%d@lab\r\nCSeq: 1 OPTIONS\r\n"
            % (uri, me, port, port, me, port, uri, port)).encode()
    tail = b"Content-Length: 0\r\n\r\n"
    pad = size - len(head) - len(tail) - len(b"X-Pad: \r\n")
    return head + b"X-Pad: " + b"x" * max(pad, 0) + b"\r\n" + tail


def fragment_of(frame, dst):
    """(identification, offset, first UDP source port or None) of an
    IPv6 fragment to dst in an Ethernet frame, or None."""
    if len(frame) < 14 + 40 + 8 or frame[12:14] != b"\x86\xdd" or \
            frame[14 + 6] != NH_FRAGMENT or frame[14 + 24:14 + 40] != dst:
        return None
    fh = frame[14 + 40:14 + 48]
    off = struct.unpack("!H", fh[2:4])[0] & 0xfff8
    ident = struct.unpack("!I", fh[4:8])[0]
    sport = None
    if off == 0 and len(frame) >= 14 + 48 + 2:
        sport = struct.unpack("!H", frame[14 + 48:14 + 50])[0]
    return ident, off, sport


def main():
    cap_if, out_if, dst_mac, addr = sys.argv[1:5]
    count, size, seed = (int(a) for a in sys.argv[5:8])
    dst = socket.inet_pton(socket.AF_INET6, addr)
    rnd = random.Random(seed)

    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(ETH_P_ALL))
    # room for every fragment of every datagram: the kernel sends them
    # all before this reads any (SO_RCVBUFFORCE: we are root here)
    cap.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    cap.bind((cap_if, 0))
    cap.settimeout(0.2)
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("2001:db8:c::10", 0))     # the lab's CLIENT6
        s.setblocking(False)
        port = s.getsockname()[1]
        sel.register(s, selectors.EVENT_READ, port)
        socks.append((s, port))
    for s, port in socks:
        s.sendto(request(addr, port, size), (addr, 5060))

    # the kernel's fragments, by datagram, in the order it sent them
    by_id, port_of = {}, {}
    end = time.monotonic() + 10
    while time.monotonic() < end and \
            (len(port_of) < count or
             sum(len(v) for v in by_id.values()) <
             count * -(-(size + 8) // 1448)):
        try:
            frame, meta = cap.recvfrom(65535)
        except socket.timeout:
            continue
        if meta[2] != PACKET_OUTGOING:
            continue
        f = fragment_of(frame, dst)
        if f is None:
            continue
        ident, off, sport = f
        by_id.setdefault(ident, []).append((off, frame))
        if sport is not None:
            port_of[ident] = sport
    cap.close()

    out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    out.bind((out_if, 0))
    src_mac = out.getsockname()[4]
    eth = bytes.fromhex(dst_mac.replace(":", "")) + src_mac[:6] + \
        b"\x86\xdd"
    datagrams, frames = [], []
    for i, (ident, frags) in enumerate(sorted(by_id.items(),
                                              key=lambda kv: kv[0])):
        order = list(frags)
        if i % 2 == 0:
            order.sort(key=lambda f: -f[0])
        else:
            rnd.shuffle(order)
        early = next(n for n, f in enumerate(order) if f[0] == 0) \
            if any(f[0] == 0 for f in order) else len(order)
        datagrams.append({"port": port_of.get(ident), "id": ident,
                          "fragments": len(order), "early": early})
        frames += [eth + f[14:] for _, f in order]
    for f in frames:
        out.send(f)
    out.close()

    answers = {}
    end = time.monotonic() + 20
    while len(answers) < count and time.monotonic() < end:
        for key, _ in sel.select(max(0.0, end - time.monotonic())):
            try:
                data, peer = key.fileobj.recvfrom(65535)
            except BlockingIOError:
                continue
            if str(key.data) in answers:
                continue
            text = data.decode(errors="replace").split("\r\n")
            server = [h.split(":", 1)[1].strip() for h in text
                      if h.lower().startswith("server:")]
            answers[str(key.data)] = {"source": peer[0], "status": text[0],
                                      "server": server[0] if server else None}
    for s, _ in socks:
        s.close()
    print(json.dumps({"sent": len(frames), "datagrams": datagrams,
                      "answers": answers}), flush=True)


if __name__ == "__main__":
    main()
