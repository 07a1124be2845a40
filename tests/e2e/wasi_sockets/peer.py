#!/usr/bin/env python3
"""peer.py - the other end of wasi_sockets.sh's sockets, on 127.0.0.1.

  peer.py tcp-server PORTFILE LOG    accept connections (free port, written to
                                     PORTFILE), read each until EOF, answer
                                     "pong:" + what came, close; one LOG line
                                     per connection ("conn <bytes>")
  peer.py tcp-reset PORTFILE LOG     accept connections, read what comes first,
                                     then reset them (RST: SO_LINGER 0); one
                                     LOG line per connection
  peer.py udp-server PORTFILE LOG    answer each datagram with "pong:" + it;
                                     one LOG line per datagram
  peer.py tcp-client PORT MSG        connect (retrying for 20 s while nothing
                                     listens), send MSG, shut down the sending
                                     side, print what comes back until EOF
  peer.py free-port                  print a port nothing listens on now
  peer.py both-listen PORT PORT      wait (20 s at most) until both ports are
                                     listening at the same time (/proc/net/tcp),
                                     then exit 0; 1 when they never were
Servers run until killed.
"""
import socket
import sys
import time


def log(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def tcp_server(portfile, logpath):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = s.accept()
        c.settimeout(30)
        data = b""
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                data += b
            log(logpath, "conn %d" % len(data))
            c.sendall(b"pong:" + data)
        except OSError as e:
            log(logpath, "conn error %s" % e)
        c.close()


def tcp_reset(portfile, logpath):
    import os
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = s.accept()
        c.settimeout(30)
        try:
            data = c.recv(65536)
            log(logpath, "reset after %d" % len(data))
        except OSError as e:
            log(logpath, "reset error %s" % e)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()


def udp_server(portfile, logpath):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        data, addr = s.recvfrom(65536)
        log(logpath, "datagram %d" % len(data))
        s.sendto(b"pong:" + data, addr)


def tcp_client(port, msg):
    deadline = time.time() + 20
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
            break
        except OSError:
            if time.time() > deadline:
                print("peer: nothing listens on %s" % port, file=sys.stderr)
                sys.exit(1)
            time.sleep(0.05)
    c.sendall(msg.encode())
    c.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    sys.stdout.write(data.decode())


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])


def listening():
    ports = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[3] == "0A":
                ports.add(int(parts[1].split(":")[1], 16))
    return ports


def both_listen(a, b):
    deadline = time.time() + 20
    while time.time() < deadline:
        if {int(a), int(b)} <= listening():
            return 0
        time.sleep(0.05)
    return 1


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "tcp-server":
        tcp_server(sys.argv[2], sys.argv[3])
    elif mode == "tcp-reset":
        tcp_reset(sys.argv[2], sys.argv[3])
    elif mode == "udp-server":
        udp_server(sys.argv[2], sys.argv[3])
    elif mode == "tcp-client":
        tcp_client(sys.argv[2], sys.argv[3])
    elif mode == "free-port":
        free_port()
    elif mode == "both-listen":
        sys.exit(both_listen(sys.argv[2], sys.argv[3]))
