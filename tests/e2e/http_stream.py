"""http_stream.py - raw-socket cases of http_stream.sh against a running
`wasmfn run` serving tests/fixtures/components/p2stream.wasm at /.
Prints one line per case, "ok NAME" or "FAIL NAME: why", and exits 1 on a
failure. argv: port, the server's pid."""
import socket
import sys
import time

from lib.checks import check_that, connect, finish, read_all

PORT = int(sys.argv[1])
PID = int(sys.argv[2])
def exchange(data, chunk=None, shut=False):
    """Send data (in pieces of chunk bytes), read until the server closes."""
    s = connect("127.0.0.1", PORT)
    if chunk:
        for i in range(0, len(data), chunk):
            s.sendall(data[i:i + chunk])
    else:
        s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    out = read_all(s)
    s.close()
    return out


def statuses(out):
    return [l.decode() for l in out.split(b"\r\n") if l.startswith(b"HTTP/1.")]


GET = b"GET /x HTTP/1.1\r\nHost: t\r\nx-mode: r\r\n"
CLOSE = b"GET /x HTTP/1.1\r\nHost: t\r\nx-mode: r\r\nconnection: close\r\n\r\n"

# Trailers: the last chunk carries them; the connection stays usable.
out = exchange(GET + b"\r\n" + CLOSE)
want = b"transfer-encoding: chunked\r\n\r\n8\r\npartial\n\r\n0\r\nx-sum: 42\r\nx-note: done\r\n\r\n"
check_that("trailers in the last chunk", out.count(want) == 2, repr(out[:400]))
check_that("... keep-alive: two responses on one connection", statuses(out) == ["HTTP/1.1 200 OK"] * 2, statuses(out))
out = exchange(b"GET /x HTTP/1.0\r\nx-mode: r\r\n\r\n")
check_that("HTTP/1.0: the body, no chunks, no trailers", out.endswith(b"\r\n\r\npartial\n") and b"x-sum" not in out,
      repr(out[-200:]))

# A guest failing after its head went out: cut, no last chunk.
for mode, what in ((b"t", "trap"), (b"d", "body dropped unfinished")):
    out = exchange(b"GET /x HTTP/1.1\r\nHost: t\r\nx-mode: " + mode + b"\r\n\r\n" + CLOSE)
    check_that("%s after the head: the chunk sent, then the end of the connection" % what,
          out.endswith(b"\r\n\r\n8\r\npartial\n\r\n") and statuses(out) == ["HTTP/1.1 200 OK"], repr(out[-200:]))

# Heads over the limit (8 KB here): 431 from wasmfn, never h2o's 400.
many = b"".join(b"x-h%d: v\r\n" % i for i in range(120))
out = exchange(GET + many + b"\r\n")
check_that("120 header fields -> 431", statuses(out) == ["HTTP/1.1 431 Request Header Fields Too Large"], statuses(out))
check_that("... with its body", out.endswith(b"request headers too large\n"), repr(out[-60:]))
out = exchange(GET + b"".join(b"x-h%d: v\r\n" % i for i in range(90)) + b"connection: close\r\n\r\n")
check_that("90 header fields (under the limit) -> 200", statuses(out) == ["HTTP/1.1 200 OK"], statuses(out))
out = exchange(GET + b"x-big: " + b"a" * 20000 + b"\r\n\r\n")
check_that("a 20 KB head -> 431", statuses(out) == ["HTTP/1.1 431 Request Header Fields Too Large"], statuses(out))
out = exchange(GET + b"x-big: " + b"a" * 600000 + b"\r\n\r\n")
check_that("a 600 KB head (past h2o's own limit) -> 431",
      statuses(out) == ["HTTP/1.1 431 Request Header Fields Too Large"], statuses(out))
out = exchange(GET + b"x-big: " + b"a" * 100000 + b"\r\n\r\n", chunk=1000)
check_that("a 100 KB head sent in 1000-byte pieces -> 431",
      statuses(out) == ["HTTP/1.1 431 Request Header Fields Too Large"], statuses(out))
out = exchange(GET + b"\r\n" + GET + b"x-big: " + b"a" * 30000 + b"\r\n\r\n")
check_that("pipelined: a good request, then an oversized head -> 200, 431",
      statuses(out) == ["HTTP/1.1 200 OK", "HTTP/1.1 431 Request Header Fields Too Large"], statuses(out))
out = exchange(GET + b"x-big: " + b"a" * 30000, shut=True)
check_that("an oversized head that never ends -> 431", statuses(out) == ["HTTP/1.1 431 Request Header Fields Too Large"],
      statuses(out))


def rss_kib():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# Back-pressure: a client that does not read holds the guest's 32 MiB
# back (its writes park), so the server's memory does not grow by it.
exchange(CLOSE)  # the instance and its code are warm: the baseline holds them
base = rss_kib()
s = connect("127.0.0.1", PORT, timeout=60)
s.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\nx-mode: b\r\nconnection: close\r\n\r\n")
first = s.recv(1)
time.sleep(2)
grown = rss_kib() - base
check_that("a client that does not read: the server grew %d KiB, not by the 32 MiB" % grown, grown < 12 * 1024,
      "%d KiB" % grown)
parts = [first]
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    parts.append(b)
s.close()
raw = b"".join(parts)
body = raw[raw.index(b"\r\n\r\n") + 4:]
decoded, ok = [], False
while body:
    line, body = body.split(b"\r\n", 1)
    n = int(line, 16)
    if n == 0:
        ok = body == b"\r\n"
        break
    decoded.append(body[:n])
    body = body[n + 2:]
data = b"".join(decoded)
nonzero = next((i for i in range(0, len(data), 4096) if data[i:i + 4096].count(0) != len(data[i:i + 4096])), None)
if nonzero is not None:
    nonzero += next(i for i, c in enumerate(data[nonzero:nonzero + 4096]) if c)
check_that("... then it reads all of it: 32 MiB of zeros, chunked to the end",
      ok and len(data) == 32 << 20 and nonzero is None,
      "%d bytes, end %s, %d non-zero bytes, the first at %s: %r" %
      (len(data), ok, len(data) - data.count(0), nonzero, data[nonzero:nonzero + 48] if nonzero is not None else b""))
out = exchange(CLOSE)
check_that("still serving", statuses(out) == ["HTTP/1.1 200 OK"], statuses(out))
finish()
