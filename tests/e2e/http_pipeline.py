"""http_pipeline.py PORT - pipelined requests through raw sockets against
http_pipeline.sh's server: /s/... a wasi:http proxy (p2stream.wasm: x-mode
c counts the request body as it reads it, "first N" then "total N"; the
default echoes it), /lua a Lua endpoint answering its method and body,
/ping a WAT function (204). Prints "ok NAME" or "FAIL NAME: why" per case;
exits 1 on a failure."""
import random
import re
import sys
import time

from lib.checks import check, connect as connect_to, finish, read_all

PORT = int(sys.argv[1])


def connect():
    return connect_to("127.0.0.1", PORT, timeout=15, nodelay=True)


def exchange(raw, cuts=(), pause=0.02):
    """raw sent on a new connection, in pieces at the offsets in cuts (a
    pause between them, so that each arrives in a read of its own); what
    came back until the server closed."""
    s = connect()
    at = 0
    for c in sorted(cuts) + [len(raw)]:
        if c > at:
            s.sendall(raw[at:c])
            at = c
            if c < len(raw):
                time.sleep(pause)
    out = read_all(s)
    s.close()
    return out


def responses(data):
    """[(status, {name: value}, body)] of the responses in data, framed as
    a client frames them (Content-Length, chunked, none for 204); a
    trailing ("rest", ...) entry for what does not parse."""
    out = []
    while data.startswith(b"HTTP/1."):
        if b"\r\n\r\n" not in data:
            break
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hs[k.strip().lower().decode()] = v.strip().decode()
        if status in (100,):
            continue
        if status in (204, 304):
            body = b""
        elif hs.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                if b"\r\n" not in data:
                    return out + [("rest", hs, data)]
                size, data = data.split(b"\r\n", 1)
                n = int(size.split(b";")[0], 16)
                if n == 0:
                    _, _, data = data.partition(b"\r\n\r\n") if not data.startswith(b"\r\n") else (b"", b"", data[2:])
                    break
                body, data = body + data[:n], data[n + 2:]
        elif "content-length" in hs:
            n = int(hs["content-length"])
            body, data = data[:n], data[n:]
        else:
            body, data = data, b""
        out.append((status, hs, body))
    if data:
        out.append(("rest", {}, data))
    return out


def statuses(data):
    return [r[0] for r in responses(data)]


PING = b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"
COUNT = b"POST /s/c HTTP/1.1\r\nHost: t\r\nx-mode: c\r\nContent-Length: 4\r\n\r\nwxyz"
LAST = b"GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"

# ---- a refused head anywhere in a pipeline: refused as if it came first -------------
BAD = {
    "Content-Length values that differ":
        b"POST /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
    "Content-Length beside Transfer-Encoding":
        b"POST /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding beside Content-Length":
        b"POST /ping HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\nGET /x",
    "two Host fields": b"GET /ping HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
    "no Host (HTTP/1.1)": b"GET /ping HTTP/1.1\r\nX: y\r\n\r\n",
}
for what, bad in BAD.items():
    check("alone: %s -> 400, closed" % what, [400], statuses(exchange(bad + PING)))
    for before in ([PING], [PING, PING], [COUNT], [PING, COUNT]):
        out = exchange(b"".join(before) + bad + LAST)
        rs = responses(out)
        check("behind %d request(s)%s: %s -> 400, closed" % (len(before), " with a body" if COUNT in before else "",
                                                              what),
              [200 if b is COUNT else 204 for b in before] + [400], [r[0] for r in rs])
        if rs and rs[-1][0] == 400:
            check("... its 400 says Connection: close", "close", rs[-1][1].get("connection"))
# The same smuggling attempt arriving a byte at a time behind a request.
out = exchange(PING + BAD["Content-Length values that differ"] + LAST,
               cuts=range(len(PING) - 3, len(PING) + 90), pause=0.002)
check("a byte at a time: differing Content-Length behind a request -> 204, 400", [204, 400], statuses(out))

# ---- heads the guard answers, pipelined --------------------------------------------
out = exchange(PING + b"GET /ping HTTP/1.1\r\nHost: t\r\nx-big: " + b"a" * 9000 + b"\r\n\r\n" + LAST)
check("pipelined: a head over max_header_bytes (8 KB) -> 204, 431", [204, 431], statuses(out))
out = exchange(PING + b"POST /s/c HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n" + LAST)
check("pipelined: a Content-Length over max_body_bytes -> 204, 413", [204, 413], statuses(out))
out = exchange(PING + b"GARBAGE\r\n\r\n" + LAST)
rs = responses(out)
check("pipelined: a head that does not parse -> 204, 400", [204, 400], [r[0] for r in rs])
check("... the server's own 400, closing", ("close", "wasmfn"),
      (rs[-1][1].get("connection"), rs[-1][1].get("server")) if rs else None)

# ---- well-formed pipelines with bodies: every response, in order --------------------
GOOD = [
    (COUNT, (200, b"first *\ntotal 4\n")),
    (b"POST /s/e HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n", (200, b"helloabc")),
    (b"POST /lua HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", (200, b"POST abc")),
    (PING, (204, b"")),
    (b"PUT /lua HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n1\r\n!\r\n0\r\n\r\n",
     (200, b"PUT hi!")),
    (b"POST /s/e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n12345", (200, b"12345")),
    (b"GET /lua HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", (200, b"GET ")),
]
raw = b"".join(r for r, _ in GOOD)
want = [w for _, w in GOOD]


def answers(out):
    """(status, body) of each response; a count's "first N" (how much its
    first read got) depends on how the bytes arrived: "first *"."""
    return [(r[0], re.sub(rb"^first \d+", b"first *", r[2]) if isinstance(r[2], bytes) else r[2])
            for r in responses(out)]


check("a pipeline of 7 with bodies in one write: all answered, in order", want, answers(exchange(raw)))
check("... sent a byte at a time", want, answers(exchange(raw, cuts=range(1, len(raw)), pause=0.001)))
# Cut where a reader is most likely to be wrong: inside and right after each
# head's blank line, around each body's end, inside chunk-size lines.
edges = []
at = 0
for r, _ in GOOD:
    h = r.index(b"\r\n\r\n") + at
    edges += [h + 1, h + 2, h + 3, h + 4, h + 5, at + len(r) - 1, at + len(r), at + len(r) + 1]
    at += len(r)
check("... cut at every head's end and every body's end", want, answers(exchange(raw, cuts=edges)))
rnd = random.Random(12)
bad_cuts = []
for i in range(12):
    cuts = sorted(rnd.sample(range(1, len(raw)), 3))
    got = answers(exchange(raw, cuts=cuts))
    if got != want:
        bad_cuts.append((cuts, got))
check("... cut at 3 random places (12 times)", [], bad_cuts)

# ---- a pipelined body is streamed like the first one's ---------------------------------
# The second request's first chunk comes in the same write as the first
# request: the guest answers "first 5" before the rest of its body is sent.
s = connect()
s.sendall(COUNT + b"POST /s/c HTTP/1.1\r\nHost: t\r\nx-mode: c\r\nTransfer-Encoding: chunked\r\n"
          b"Connection: close\r\n\r\n5\r\nhello\r\n")
got = b""
deadline = time.time() + 10
while b"first 5\n" not in got and time.time() < deadline:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    got += b
check("a pipelined chunked body: its guest reads the first chunk before the rest is sent", True,
      b"first 5\n" in got)
s.sendall(b"3\r\nabc\r\n0\r\n\r\n")
got += read_all(s)
s.close()
check("... then the whole of it; both answered in order",
      [(200, b"first 4\ntotal 4\n"), (200, b"first 5\ntotal 8\n")], [(r[0], r[2]) for r in responses(got)])

# ---- a pipelined head that stops halfway: timeouts.read (5 s), not idling ---------------
s = connect()
s.settimeout(40)
t0 = time.time()
s.sendall(PING + b"GET /ping HTTP/1.1\r\nHo")
out = read_all(s)
s.close()
check("a request, then half a head that never ends: 204, then closed by the read timeout (5 s, idle is 60 s)",
      ([204], True), (statuses(out), time.time() - t0 < 30))

finish()
