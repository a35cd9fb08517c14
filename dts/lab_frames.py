#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""Send prepared Ethernet frames from inside a lab namespace; prints JSON.

    lab_frames.py IFACE PCAP [--udp PORT ...] [--wait SECONDS]

Run in a lab namespace (ip netns exec). The frames of PCAP are built by
the suite (scapy, in the test process): this only puts them on IFACE, in
the file's order, one right after the other on one packet socket, so a
suite decides the exact bytes and order on the wire (reversed fragments,
ICMP errors quoting a flow).

With --udp, a UDP socket is bound to each PORT (all addresses) before
anything is sent, so answers to the frames (which the kernel did not
send) reach a socket instead of drawing ICMP port unreachable; after
sending, it reads until every port has an answer or --wait seconds have
passed (that only bounds a hang). Prints {"sent": frames sent,
"answers": {"PORT": {"source": address, "status": first line, "server":
the Server header} for the first answer on each port that got one}}.
"""

import argparse
import json
import logging
import os
import selectors
import socket
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("pcap")
    ap.add_argument("--udp", type=int, nargs="*", default=[])
    ap.add_argument("--wait", type=float, default=20.0)
    args = ap.parse_args()

    from scapy.all import rdpcap
    frames = [bytes(p) for p in rdpcap(args.pcap)] \
        if os.path.getsize(args.pcap) > 24 else []

    sel = selectors.DefaultSelector()
    for port in args.udp:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, port)

    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((args.iface, 0))
    sent = 0
    for f in frames:
        raw.send(f)
        sent += 1
    raw.close()

    answers = {}
    end = time.monotonic() + args.wait
    while len(answers) < len(args.udp) and time.monotonic() < end:
        for key, _ in sel.select(max(0.0, end - time.monotonic())):
            try:
                data, (src, _) = key.fileobj.recvfrom(65535)
            except BlockingIOError:
                continue
            if str(key.data) in answers:
                continue
            text = data.decode(errors="replace").split("\r\n")
            server = [h.split(":", 1)[1].strip() for h in text
                      if h.lower().startswith("server:")]
            answers[str(key.data)] = {"source": src, "status": text[0],
                                      "server": server[0] if server else None}
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print(json.dumps({"sent": sent, "answers": answers}), flush=True)


if __name__ == "__main__":
    main()
