"""checks.py - what the Python clients of the end-to-end tests
(tests/e2e/*.py) share: one "ok   NAME" or "FAIL NAME: ..." line per case
with the count of failures and the exit status it makes, and raw sockets to
the server under test, read to their end.

A script in tests/e2e imports it as

    from lib.checks import check, finish, ...

(its own folder is first on Python's path; lib/ holds no ctest test)."""
import socket
import sys

_fails = 0


def _count(ok, failure):
    global _fails
    if ok:
        return True
    _fails += 1
    print(failure)
    return False


def check(name, expected, actual):
    """The case NAME passes when actual equals expected; both are shown when not."""
    if _count(expected == actual, "FAIL %s: expected [%r], got [%r]" % (name, expected, actual)):
        print("ok   " + name)


def check_that(name, cond, why=""):
    """The case NAME passes when cond holds; why tells what was seen when not."""
    if _count(cond, "FAIL %s: %s" % (name, why)):
        print("ok   " + name)


def finish():
    """End the script: exit 1 after "N failed" when a case failed, else 0."""
    if _fails:
        print("%d failed" % _fails)
        sys.exit(1)
    sys.exit(0)


def connect(host, port, timeout=30, nodelay=False):
    """A TCP connection to host:port; nodelay sends small writes at once."""
    s = socket.create_connection((host, port), timeout=timeout)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s):
    """Everything s receives until the server closes it; an error (the
    socket's timeout) ends it, noted at the end as b"<why>"."""
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError as e:
        out += ("<%s>" % e).encode()
    return out
