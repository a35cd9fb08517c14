#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A link between two lab namespaces that holds every frame for a fixed
time each way: a round trip the lab's veth links do not have, on a
kernel without netem.

    delayline.py NS_A IF_A NS_B IF_B DELAY_MS

Makes a TAP device IF_A in namespace NS_A and IF_B in NS_B (the caller
gives them addresses and brings them up), prints "ready", then carries
every frame from one to the other DELAY_MS milliseconds after it came,
in order, until SIGTERM. Each direction is a FIFO: one delay for all, so
frames are never reordered. It carries a lab's legitimate traffic (some
thousands of frames a second), not floods: send those from elsewhere.
"""

import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def tap_in(ns, name):
    """A TAP device called name in namespace ns; its file descriptor (a
    TAP lives in the namespace it was made in, whoever reads it)."""
    nsfd = os.open("/var/run/netns/%s" % ns, os.O_RDONLY)
    try:
        setns(nsfd)
    finally:
        os.close(nsfd)
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF,
                struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    ns_a, if_a, ns_b, if_b = sys.argv[1:5]
    delay = float(sys.argv[5]) / 1000.0
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    a = tap_in(ns_a, if_a)
    b = tap_in(ns_b, if_b)
    setns(home)
    os.close(home)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    # per direction: (due time, frame), due times in order
    queue = {a: collections.deque(), b: collections.deque()}
    print("ready", flush=True)
    while not stop:
        now = time.monotonic()
        for out, q in ((b, queue[a]), (a, queue[b])):
            while q and q[0][0] <= now:
                try:
                    os.write(out, q.popleft()[1])
                except OSError:
                    pass   # the device is full or going away: lost
        due = [q[0][0] for q in queue.values() if q]
        wait = max(0.0, min(due) - now) if due else 0.5
        try:
            ready, _, _ = select.select([a, b], [], [], wait)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd in ready:
            for _ in range(256):
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                queue[fd].append((now + delay, frame))
    return 0


if __name__ == "__main__":
    sys.exit(main())
