#!/usr/bin/env python3
"""http_conformance.py HOST PORT TMPDIR - what an outside HTTP client checks of
`wasmfn run` (tests/e2e/http_conformance_project) against RFC 9110/9112,
through raw sockets so nothing is smoothed over by a client library:

- HEAD gets a GET endpoint's head and no body, on a keep-alive connection
  whose next response must still parse; over HTTP/2 (curl) it is a clean
  stream.
- 204 and 304 carry no Content-Length (RFC 9110 8.6: never in a 204; in a
  304 only the length a 200 would have).
- Request-targets: absolute-form is routed by its path (RFC 9112 3.2.2);
  a target that is neither origin- nor absolute-form is 400; %2F inside a
  {param} stays in it; a {param} or file name is decoded once (%25 is
  `%`, %2520 is `%20`), never twice; %00 is 400; dot segments (also as
  %2e) never climb above the root.
- A method that is not a token is 400; Content-Length values that differ
  are 400 (request smuggling); HTTP/1.1 without Host, or with two, is 400.
- If-Range naming another version gets the whole file (200).
- 204 and 304 end at their head even when the handler wrote a body (it
  would be read as the next response); a 1xx is no final status.
- request:parse_multipart() of what curl -F sends: files (name, size,
  content through stream()) and values; malformed bodies are errors.
- A Lua handler that writes nothing and returns nothing is a 204 (not a
  JSON `null`).

Prints ok/FAIL lines; exits 1 on a failure."""
import json
import re
import subprocess
import sys

from lib.checks import check, connect, finish, read_all

HOST, PORT = sys.argv[1], int(sys.argv[2])
def send(raw):
    """raw sent on a new connection, everything until it closes."""
    s = connect(HOST, PORT)
    s.sendall(raw)
    out = read_all(s)
    s.close()
    return out


def parse(data, methods=()):
    """The responses in data: [(status, {header: value}, body)], framed by
    Content-Length (none: up to the next status line or the end); methods:
    the requests' methods in order (a response to HEAD has no body)."""
    res = []
    methods = list(methods)
    while data.startswith(b"HTTP/1."):
        head_only = methods.pop(0) == b"HEAD" if methods else False
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hs[k.strip().lower().decode()] = v.strip().decode()
        if head_only or status in (204, 304):
            body, data = b"", rest
        elif "content-length" in hs:
            n = int(hs["content-length"])
            body, data = rest[:n], rest[n:]
        else:
            m = re.search(rb"HTTP/1\.[01] \d\d\d ", rest)
            cut = m.start() if m else len(rest)
            body, data = rest[:cut], rest[cut:]
        res.append((status, hs, body))
    if data:
        res.append(("junk", {}, data))
    return res


def req(target, method=b"GET", headers=b"Host: x\r\n", version=b"HTTP/1.1"):
    return method + b" " + target + b" " + version + b"\r\n" + headers + b"Connection: close\r\n\r\n"


def one(target, **kw):
    r = parse(send(req(target, **kw)), [kw.get("method", b"GET")])
    return r[0] if r else (None, {}, b"")


def status(target, **kw):
    return one(target, **kw)[0]


def echo(target):
    st, _, body = one(target)
    return json.loads(body) if st == 200 else st


# ---- HEAD: the head alone, the connection still usable -----------------------
s = connect(HOST, PORT)
s.sendall(b"HEAD /api/greet HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /api/greet HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
rs = parse(read_all(s), [b"HEAD", b"GET"])
s.close()
check("HEAD then GET on one connection: two responses",
      [(200, "15", b""), (200, "15", b"Hello, stranger")],
      [(r[0], r[1].get("content-length"), r[2]) for r in rs])
out = subprocess.run(["curl", "-s", "--max-time", "30", "--http2-prior-knowledge", "-I", "-o", "/dev/null",
                      "-w", "%{http_code} %{http_version}",
                      "http://%s:%d/api/greet" % (HOST, PORT)], capture_output=True, text=True)
check("HEAD over HTTP/2: a clean stream", ("200 2", 0), (out.stdout, out.returncode))
st, hs, body = one(b"/api/files/hello.txt", method=b"HEAD")
check("HEAD of a static file", (200, "13", b""), (st, hs.get("content-length"), body))

# ---- 204 and 304 framing -------------------------------------------------------
st, hs, _ = one(b"/api/ping")
check("204 has no Content-Length", (204, None), (st, hs.get("content-length")))
st, hs, _ = one(b"/api/files/hello.txt")
etag = hs.get("etag")
st, hs, body = one(b"/api/files/hello.txt", headers=b"Host: x\r\nIf-None-Match: " + etag.encode() + b"\r\n")
check("304: no body, no Content-Length but the file's", (304, b""), (st, body))
check("304 Content-Length absent or the 200's", True, hs.get("content-length") in (None, "13"))

st, hs, body = one(b"/api/quiet", method=b"POST", headers=b"Host: x\r\nContent-Length: 0\r\n")
check("a Lua handler that answers and returns nothing -> 204, no body", (204, None, b""),
      (st, hs.get("content-type"), body))

for code in (204, 304):
    raw = (b"GET /api/status?code=%d HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /api/status?code=201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % code)
    check("a body written for a %d is dropped: the next response parses" % code,
          [(code, b""), (201, b"set_status: nil")], [(r[0], r[2]) for r in parse(send(raw))])
st, _, body = one(b"/api/status?code=100")
check("set_status(100): an error, the response stays 200", (200, b"set_status: Invalid: invalid status code (200 to 999)"),
      (st, body))

# ---- multipart uploads by curl -F ---------------------------------------------------
def curl(*args):
    out = subprocess.run(["curl", "-s", "--max-time", "30", *args], capture_output=True)
    return out.stdout


with open(sys.argv[3] + "/up1.txt", "wb") as f:
    f.write(b"first file\n")
with open(sys.argv[3] + "/up2.bin", "wb") as f:
    f.write(b"\x00\x01\r\n--not-a-boundary\r\n\x7f")
up = curl("-F", "doc=@%s/up1.txt" % sys.argv[3], "-F", "doc=@%s/up2.bin;filename=b q.bin" % sys.argv[3],
          "-F", "title=a title", "-F", "title=again", "http://%s:%d/api/upload" % (HOST, PORT))
try:
    up = json.loads(up)
except ValueError:
    pass
check("multipart: files by field, name, size, content in chunks",
      [{"field": "doc", "name": "b q.bin", "size": 23, "chunks": 6,
        "content": "\u0000\u0001\r\n--not-a-boundary\r\n\x7f",
        "iterated": "\u0000\u0001\r\n--not-a-boundary\r\n\x7f"},
       {"field": "doc", "name": "up1.txt", "size": 11, "chunks": 3, "content": "first file\n", "iterated": "first file\n"}],
      up.get("files") if isinstance(up, dict) else up)
check("multipart: other fields as arrays", {"title": ["a title", "again"]},
      up.get("values") if isinstance(up, dict) else up)
bad = curl("-H", "Content-Type: multipart/form-data; boundary=zz", "--data-binary", "--zz\r\nno end",
           "http://%s:%d/api/upload" % (HOST, PORT))
check("multipart: a body cut short -> the error", b'{"error":"malformed multipart body: a part\'s head has no end"}', bad)
bad = curl("--data", "x=1", "http://%s:%d/api/upload" % (HOST, PORT))
check("multipart: not multipart -> the error", b'{"error":"request Content-Type isn\'t multipart/form-data"}', bad)

# ---- streamed responses and keep-alive -----------------------------------------
# Two streamed (chunked) Lua responses, then a plain one, on one connection:
# each ends with its last chunk and the connection stays.
s = connect(HOST, PORT)
got = []
for path in (b"/api/streamed?m=chunked", b"/api/streamed?m=sse", b"/api/ping"):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
        if data.endswith(b"\r\n0\r\n\r\n") or (path == b"/api/ping" and b"\r\n\r\n" in data):
            break
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    got.append((data.split(b" ", 2)[1], b"connection: keep-alive" in head,
                b"transfer-encoding: chunked" in head, data.endswith(b"\r\n0\r\n\r\n")))
s.close()
check("two streamed responses and a plain one on one connection, kept alive",
      [(b"200", True, True, True), (b"200", True, True, True), (b"204", True, False, False)], got)
# HTTP/1.0 has no chunks: a streamed body ends with the connection, and
# the head says so even when the client asked for keep-alive.
s = connect(HOST, PORT)
s.sendall(b"GET /api/streamed?m=chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
data = read_all(s)
s.close()
head, _, body = data.partition(b"\r\n\r\n")
check("HTTP/1.0 keep-alive, streamed response: Connection: close, the body up to the close",
      (True, b"one\ntwo\n"), (b"connection: close" in head.lower(), body))

# ---- request-targets ------------------------------------------------------------
check("absolute-form is routed by its path", 204, status(b"http://x/api/ping?a=1"))
check("absolute-form, https scheme", 204, status(b"https://x:8443/api/ping"))
check("target not starting with / -> 400", 400, status(b"api/ping"))
check("a #fragment in the target -> 400 (RFC 9112: none is sent)", 400, status(b"/api/ping#top"))
check("a #fragment after a query -> 400", 400, status(b"/api/ping?a=1#top"))
check("a #fragment in absolute-form -> 400", 400, status(b"http://x/api/ping#top"))
check("an escaped %23 is no fragment", 204, status(b"/api/ping?a=%23"))
e = echo(b"/api/echo/a%2Fb/c%20d/e%2Ff?q=%41")
check("%2F stays inside a {param}", "a/b", e["params"]["id"] if isinstance(e, dict) else e)
check("{rest...} decoded once, slashes kept", "c d/e/f", e["params"]["rest"] if isinstance(e, dict) else e)
check("path() as upstream: decoded once", "/api/echo/a/b/c d/e/f", e["path"] if isinstance(e, dict) else e)
check("query() decoded", "A", e["q"] if isinstance(e, dict) else e)
e = echo(b"/api/echo/100%25/x%2520y")
check("%25 is % in a {param}", "100%", e["params"]["id"] if isinstance(e, dict) else e)
check("%2520 is %20, not a space (one decoding)", "x%20y", e["params"]["rest"] if isinstance(e, dict) else e)
check("%00 in a {param} -> 400", 400, status(b"/api/echo/a%00b/x"))
check("host() is the Host header", "example.test:81", echo(b"/api/echo/h/x").get("host")
      if False else json.loads(one(b"/api/echo/h/x", headers=b"Host: example.test:81\r\n")[2])["host"])
check("dot segments removed", 204, status(b"/api/x/../ping"))
check("%2e%2e is a dot segment too", 204, status(b"/api/x/%2e%2e/ping"))
check("dot segments never climb above the root", 404, status(b"/../../api/../../etc/passwd"))

# ---- static files: names with % and spaces, traversal ------------------------------
check("file named 100%.txt by %25", (200, b"percent\n"), one(b"/api/files/100%25.txt")[0::2])
check("file named 'a b.txt' by %20", (200, b"space\n"), one(b"/api/files/a%20b.txt")[0::2])
check("%2520 is not a space: no such file", 404, status(b"/api/files/a%2520b.txt"))
check("%00 after a name -> 400, not the file", 400, status(b"/api/files/hello.txt%00.png"))
check("%2500 -> no such file", 404, status(b"/api/files/hello.txt%2500"))
check("..%2f out of the tree -> 404", 404, status(b"/api/files/..%2f..%2f_index.yaml"))
check("%2e%2e%2f out of the tree -> 404", 404, status(b"/api/files/%2e%2e%2f_index.yaml"))
check("%252e%252e -> 404", 404, status(b"/api/files/%252e%252e/_index.yaml"))
check("symlink out of the tree -> 404", 404, status(b"/api/files/outside"))
rng = b"Host: x\r\nRange: bytes=0-4\r\n"
check("Range -> 206", (206, b"hello"), one(b"/api/files/hello.txt", headers=rng)[0::2])
check("If-Range with the ETag -> 206", 206,
      status(b"/api/files/hello.txt", headers=rng + b"If-Range: " + etag.encode() + b"\r\n"))
check("If-Range with another ETag -> 200, the whole file", (200, b"hello static\n"),
      one(b"/api/files/hello.txt", headers=rng + b"If-Range: \"other\"\r\n")[0::2])

# ---- methods, Content-Length, Host ------------------------------------------------
check("method that is not a token -> 400", 400, status(b"/api/ping", method=b"G@T"))
check("method with a slash -> 400", 400, status(b"/api/ping", method=b"GE/T"))
check("extension method on an ANY endpoint", 204, status(b"/api/ping", method=b"PURGE"))
two_cl = (b"POST /api/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"
          b"GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n")
rs = parse(send(two_cl))
check("Content-Length values that differ -> 400, connection closed", [400], [r[0] for r in rs])
same_cl = (b"POST /api/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n"
           b"Connection: close\r\n\r\nabc")
check("repeated equal Content-Length is one", [204], [r[0] for r in parse(send(same_cl))])
te_cl = (b"POST /api/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"3\r\nabc\r\n0\r\n\r\n")
rs = parse(send(te_cl))
check("Transfer-Encoding with Content-Length: answered, then closed",
      (1, "close"), (len(rs), rs[0][1].get("connection") if rs else None))
check("HTTP/1.1 without Host -> 400", 400, status(b"/api/ping", headers=b""))
check("two Host fields -> 400", 400, status(b"/api/ping", headers=b"Host: a\r\nHost: b\r\n"))
check("HTTP/1.0 without Host is fine", 204, status(b"/api/ping", headers=b"", version=b"HTTP/1.0"))
check("still serving", 204, status(b"/api/ping"))

finish()
print("all passed")
