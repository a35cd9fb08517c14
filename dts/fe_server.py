#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
"""A lab frontend: POP3, IMAP, SMTP, HTTP and SIP (UDP and TCP) servers
that name themselves, as a CommuniGate Pro frontend would answer.

    fe_server.py NAME VIP CONTROL_SOCKET [VIP6]

Runs inside the frontend's network namespace. SIP over UDP has two
sockets, as the seed prescribes: one bound to VIP:5060 (answers leave
with the VIP as source) and one on all addresses (health checks sent to
the member's own address). With VIP6 (a dual-stack lab), the same
servers listen on IPv6 too, SIP over UDP bound to VIP6 and to every
IPv6 address. Prints "ready" once everything listens.

POP3 and IMAP sessions stay open until the client ends them, idle for
up to 120 s between commands: POP3 answers NOOP with "+OK NAME noop"
and QUIT with "+OK bye", IMAP "TAG NOOP" with "TAG OK NAME NOOP
completed" and "TAG LOGOUT" with "* BYE logging out" and "TAG OK
LOGOUT"; anything else gets "-ERR unknown" / "TAG BAD unknown". A
connection that ends without a goodbye is answered as if it had said
one. Answered NOOPs are counted as "pop3-noop" and "imap-noop".

The control socket takes one command per connection:
    stop PORT       close a TCP listener (connections are refused)
    start PORT      open it again
    checkfail on|off  answer the balancer's own address (198.51.100.2)
                    with an error banner / 500, everyone else normally
    stats           JSON: connections and SIP requests served, per port
"""

import json
import os
import socket
import socketserver
import sys
import threading

# the balancer's own addresses: its health checks come from them
BALANCERS = ("198.51.100.2", "2001:db8:5::2")
TCP_PORTS = {110: "pop3", 143: "imap", 25: "smtp", 8100: "http",
             5060: "sip"}
SESSION_TIMEOUT = 120   # a POP3/IMAP session may idle this long


class State:
    def __init__(self, name, vip):
        self.name = name
        self.vip = vip
        self.lock = threading.Lock()
        self.served = {}
        self.checkfail = False
        self.listeners = {}

    def count(self, key):
        with self.lock:
            self.served[key] = self.served.get(key, 0) + 1


def readline(conn, limit=4096):
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def read_headers(conn, limit=8192):
    """Bytes up to the blank line that ends a request's headers."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def sip_reply(state, req, source):
    """A 200 OK to an OPTIONS request, copying the dialog headers."""
    lines = req.decode(errors="replace").split("\r\n")
    if not lines or not lines[0].startswith("OPTIONS "):
        return None
    keep = [l for l in lines[1:] if l.split(":", 1)[0].strip().lower() in
            ("via", "from", "to", "call-id", "cseq")]
    state.count("sip-from-balancer" if source in BALANCERS else "sip")
    if source in BALANCERS and any(l.lower().startswith("route:")
                                  for l in lines):
        state.count("sip-route")
    status = "500 Server Internal Error" if (
        state.checkfail and source in BALANCERS) else "200 OK"
    return ("SIP/2.0 %s\r\n%s\r\nServer: %s\r\nContent-Length: 0\r\n\r\n"
            % (status, "\r\n".join(keep), state.name)).encode()


def pop3_session(state, conn):
    """POP3 commands until QUIT or the end of the connection."""
    while True:
        line = readline(conn)
        command = line.upper().split()
        # the end of the connection (or an endless line) ends it as before
        if not line.endswith(b"\n") or command[:1] == [b"QUIT"]:
            conn.sendall(b"+OK bye\r\n")
            return
        if command == [b"NOOP"]:
            conn.sendall(b"+OK %s noop\r\n" % state.name.encode())
            state.count("pop3-noop")
        else:
            conn.sendall(b"-ERR unknown\r\n")


def imap_session(state, conn):
    """IMAP commands until LOGOUT or the end of the connection."""
    while True:
        line = readline(conn)
        words = line.split()
        tag = words[0] if words else b"*"
        command = [w.upper() for w in words[1:]]
        if not line.endswith(b"\n"):
            # the end of the connection (or an endless line), as before
            conn.sendall(b"* BYE logging out\r\na OK LOGOUT\r\n")
            return
        if command == [b"LOGOUT"]:
            conn.sendall(b"* BYE logging out\r\n%s OK LOGOUT\r\n" % tag)
            return
        if command == [b"NOOP"]:
            conn.sendall(b"%s OK %s NOOP completed\r\n"
                         % (tag, state.name.encode()))
            state.count("imap-noop")
        else:
            conn.sendall(b"%s BAD unknown\r\n" % tag)


def serve_tcp(state, port, conn, peer):
    kind = TCP_PORTS[port]
    check = state.checkfail and peer in BALANCERS
    name = state.name
    try:
        conn.settimeout(SESSION_TIMEOUT if kind in ("pop3", "imap") and
                        not check else 10)
        if kind == "pop3":
            conn.sendall(b"-ERR %s out of service\r\n" % name.encode() if check
                         else b"+OK %s POP3 ready\r\n" % name.encode())
            if check:
                readline(conn)
                conn.sendall(b"+OK bye\r\n")
            else:
                pop3_session(state, conn)
        elif kind == "imap":
            conn.sendall(b"* BYE %s\r\n" % name.encode() if check else
                         b"* OK %s IMAP4 ready\r\n" % name.encode())
            if check:
                readline(conn)
                conn.sendall(b"* BYE logging out\r\na OK LOGOUT\r\n")
            else:
                imap_session(state, conn)
        elif kind == "smtp":
            conn.sendall(b"554 %s no\r\n" % name.encode() if check else
                         b"220 %s ESMTP\r\n" % name.encode())
            readline(conn)
            conn.sendall(b"221 bye\r\n")
        elif kind == "http":
            read_headers(conn)
            body = ("%s\n" % name).encode()
            status = b"503 Unavailable" if check else b"200 OK"
            conn.sendall(b"HTTP/1.0 " + status + b"\r\nContent-Length: " +
                         str(len(body)).encode() +
                         b"\r\nServer: " + name.encode() + b"\r\n\r\n" + body)
        elif kind == "sip":
            reply = sip_reply(state, read_headers(conn), peer)
            if reply:
                conn.sendall(reply)
        state.count("%s-from-balancer" % kind if peer in BALANCERS else kind)
    except OSError:
        pass
    finally:
        conn.close()


def listen_tcp(state, port):
    socks = []
    for family, addr in state.families:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(128)
        socks.append(s)
    state.listeners[port] = socks

    def loop(s):
        while True:
            try:
                conn, peer = s.accept()
            except OSError:
                return   # closed by "stop"
            threading.Thread(target=serve_tcp,
                             args=(state, port, conn, peer[0]),
                             daemon=True).start()
    for s in socks:
        threading.Thread(target=loop, args=(s,), daemon=True).start()


def serve_udp(state, sock):
    while True:
        data, peer = sock.recvfrom(65535)
        reply = sip_reply(state, data, peer[0])
        if reply:
            sock.sendto(reply, peer)


def control(state, path):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            words = self.rfile.readline().decode().split()
            out = "ok"
            if words[:1] == ["stop"]:
                for s in state.listeners.pop(int(words[1]), []):
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
            elif words[:1] == ["start"]:
                if int(words[1]) not in state.listeners:
                    listen_tcp(state, int(words[1]))
            elif words[:1] == ["checkfail"]:
                state.checkfail = words[1] == "on"
            elif words[:1] == ["stats"]:
                with state.lock:
                    out = json.dumps(state.served)
            else:
                out = "error: unknown command"
            self.wfile.write((out + "\n").encode())

    if os.path.exists(path):
        os.unlink(path)
    srv = socketserver.ThreadingUnixStreamServer(path, Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def main():
    name, vip, ctl = sys.argv[1:4]
    vip6 = sys.argv[4] if len(sys.argv) > 4 else None
    state = State(name, vip)
    state.families = [(socket.AF_INET, "0.0.0.0")]
    udp = [(socket.AF_INET, vip), (socket.AF_INET, "0.0.0.0")]
    if vip6 is not None:
        state.families.append((socket.AF_INET6, "::"))
        udp += [(socket.AF_INET6, vip6), (socket.AF_INET6, "::")]
    for port in TCP_PORTS:
        listen_tcp(state, port)
    for family, addr in udp:
        u = socket.socket(family, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        u.bind((addr, 5060))
        threading.Thread(target=serve_udp, args=(state, u),
                         daemon=True).start()
    control(state, ctl)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
