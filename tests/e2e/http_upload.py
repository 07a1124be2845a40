"""http_upload.py - raw-socket cases of http_upload.sh against a running
`wasmfn run` serving tests/fixtures/components/p2stream.wasm at / (a
read timeout of 2 s): request bodies streamed to the guest as they arrive.
Prints one line per case, "ok NAME" or "FAIL NAME: why", and exits 1 on a
failure. argv: port."""
import sys
import time

from lib.checks import check_that, connect as connect_to, finish, read_all

PORT = int(sys.argv[1])
def connect():
    return connect_to("127.0.0.1", PORT)


def read_until(s, needle, limit=1 << 20):
    """Read until needle arrived (or the server closed): what came."""
    out = b""
    while needle not in out and len(out) < limit:
        try:
            b = s.recv(65536)
        except OSError as e:
            return out + ("<%s>" % e).encode()
        if not b:
            break
        out += b
    return out


def dechunk(body):
    """The payload of a chunked response body (its framing dropped)."""
    out, i = b"", 0
    while True:
        j = body.index(b"\r\n", i)
        n = int(body[i:j].split(b";")[0], 16)
        if n == 0:
            return out
        out += body[j + 2:j + 2 + n]
        i = j + 2 + n + 2


def payload(out):
    """The dechunked body of the one chunked response in out ("" when none)."""
    try:
        return dechunk(out.split(b"\r\n\r\n", 1)[1])
    except (IndexError, ValueError):
        return b"<no whole chunked body: %r>" % out[-200:]


COUNT = b"POST /c HTTP/1.1\r\nHost: t\r\nx-mode: c\r\n"

# A slow chunked upload with trailers: the guest's first read returns the
# first chunk while the rest has not been sent (it answers "first 5" at
# once: the client waits for that line before sending more), and its
# future-trailers gives the trailers.
s = connect()
s.sendall(COUNT + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
early = read_until(s, b"first ")
check_that("slow chunked upload: the guest read the first chunk before the rest was sent",
      b"\r\n\r\n" in early and b"first 5\n" in early, repr(early))
time.sleep(0.3)
s.sendall(b"6\r\n world\r\n")
time.sleep(0.3)
s.sendall(b"0\r\nX-Checksum: abc123\r\nx-count: 2\r\n\r\n")
rest = read_until(s, b"\r\n0\r\n\r\n")
body = dechunk((early + rest).split(b"\r\n\r\n", 1)[1])
check_that("... the whole body, then its trailers (names lower case)",
      body == b"first 5\ntotal 11\nx-checksum: abc123\nx-count: 2\n", repr(body))
# The connection goes on: a request right after, on the same socket.
s.sendall(COUNT + b"Content-Length: 3\r\nConnection: close\r\n\r\nabc")
out = read_all(s)
check_that("... keep-alive: a Content-Length upload next on the same connection",
      out.startswith(b"HTTP/1.1 200") and payload(out) == b"first 3\ntotal 3\n", repr(out[:300]))
s.close()

# Pipelined: a streamed body, and a request behind it in the same write.
s = connect()
s.sendall(COUNT + b"Content-Length: 4\r\n\r\nwxyz" + COUNT + b"Content-Length: 2\r\nConnection: close\r\n\r\nok")
out = read_all(s)
check_that("pipelined behind a streamed body: both answered, in order",
      out.count(b"HTTP/1.1 200") == 2 and out.index(b"total 4\n") < out.index(b"total 2\n"), repr(out[:600]))
s.close()

# Expect: 100-continue: the server says so before the body is sent.
s = connect()
s.sendall(COUNT + b"Content-Length: 6\r\nExpect: 100-continue\r\n\r\n")
cont = read_until(s, b"\r\n\r\n")
check_that("Expect: 100-continue answered before the body", cont.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"),
      repr(cont))
s.sendall(b"123456")
out = cont + read_until(s, b"\r\n0\r\n\r\n")
check_that("... then the body read", payload(out[25:]) == b"first 6\ntotal 6\n", repr(out))
s.close()

# Broken framing: the guest's read fails with HTTP-protocol-error (35).
s = connect()
s.sendall(COUNT + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
out = read_all(s)
check_that("broken chunked framing: the guest's read fails with HTTP-protocol-error",
      payload(out) == b"first 5\ntotal 5\nerror-code 35\n", repr(out[-200:]))
check_that("... and the connection closes after the response", out.endswith(b"\r\n0\r\n\r\n"), repr(out[-60:]))
s.close()

# A body that stalls past the read timeout (2 s): connection-read-timeout (9).
s = connect()
s.sendall(COUNT + b"Content-Length: 100\r\n\r\n0123456789")
t0 = time.time()
out = read_all(s)
check_that("a body that stalls: the guest's read fails with connection-read-timeout",
      payload(out) == b"first 10\ntotal 10\nerror-code 09\n", repr(out[-200:]))
check_that("... after the read timeout, not the write timeout (30 s)", time.time() - t0 < 20, time.time() - t0)
s.close()

# A client that goes away mid-body: the server goes on serving.
s = connect()
s.sendall(COUNT + b"Content-Length: 100000\r\n\r\n" + b"x" * 1000)
read_until(s, b"first ")
s.close()
s = connect()
s.sendall(COUNT + b"Content-Length: 2\r\nConnection: close\r\n\r\nhi")
out = read_all(s)
check_that("a client gone mid-body: the next one served", payload(out) == b"first 2\ntotal 2\n", repr(out[:300]))
s.close()

# A chunk that would pass the body limit fails before it is read.
s = connect()
s.sendall(COUNT + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n7000000\r\n")
out = read_all(s)
check_that("a chunk size over the body limit: HTTP-request-body-size (17) at once",
      payload(out) == b"first 3\ntotal 3\nerror-code 17\n", repr(out[-200:]))
s.close()

finish()
