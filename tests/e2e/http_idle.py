#!/usr/bin/env python3
"""http_idle.py HOST PORT MODE - keep-alive idling through a raw socket.

MODE "closes": the service's idle timeout (1 s, read timeout 30 s): a
keep-alive connection that sent one request and then nothing is closed by
the server (well before the read timeout could have done it).
MODE "stays": the service's read timeout (2 s) is shorter than its idle
timeout (30 s): a keep-alive connection idle for 3 s is still open and
serves a second request (the read timeout is for a request arriving, not
for idling between requests).
"""
import socket
import sys
import time

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = sys.argv[4] if len(sys.argv) > 4 else "/ping"


def request(s):
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return "closed before a response"
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


s = socket.create_connection((host, port), timeout=20)
first = request(s)
if mode == "closes":
    t0 = time.time()
    try:
        rest = s.recv(4096)
        outcome = "closed" if rest == b"" else "data: %r" % rest
    except socket.timeout:
        outcome = "still open after 20 s"
    except ConnectionResetError:
        outcome = "closed"
    # The read timeout (30 s) cannot be what closed it: 20 s is the bound.
    result = "%s %s" % (first, outcome)
    expected = "HTTP/1.1 204 No Content closed"
else:
    time.sleep(3)
    try:
        second = request(s)
    except OSError as e:
        second = "error: %s" % e
    result = "%s | %s" % (first, second)
    expected = "HTTP/1.1 204 No Content | HTTP/1.1 204 No Content"
if result == expected:
    print("ok   idle %s" % mode)
    sys.exit(0)
print("FAIL idle %s: expected [%s], got [%s]" % (mode, expected, result))
sys.exit(1)
