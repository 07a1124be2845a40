#!/usr/bin/env python3
"""http_echo.py - a real HTTP/1.1 server (Python's http.server) for the
client tests: it answers every method with what it received as JSON
(method, path, query, headers, body), and a few paths shape the answer:
/status/N, /redirect/N (N hops, then /echo), /slow/MS, /big/N (N bytes of
a known pattern), /stall (half of a 10-byte body, then 3 s of silence,
then the rest), /cookie (Set-Cookie), /upload (a multipart/form-data
body parsed by Python's email package, as JSON). Binds 127.0.0.1 on a free port and
writes the port to the file named by argv[1]."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                n = int(self.rfile.readline().strip(), 16)
                data += self.rfile.read(n)
                self.rfile.readline()
                if n == 0:
                    return data
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, payload, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def handle_any(self):
        u = urlsplit(self.path)
        body = self.body()
        parts = u.path.strip("/").split("/")
        if parts[0] == "status":
            return self.send(int(parts[1]), b"status " + parts[1].encode(), "text/plain")
        if parts[0] == "redirect":
            n = int(parts[1])
            loc = "/redirect/%d" % (n - 1) if n > 1 else "/echo"
            return self.send(302, b"", "text/plain", [("Location", loc)])
        if parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            return self.send(200, b"slow done", "text/plain")
        if parts[0] == "stall":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"hello")
            self.wfile.flush()
            time.sleep(3)
            try:
                self.wfile.write(b"world")
            except OSError:
                pass   # the client gave up on the silence
            return None
        if parts[0] == "upload":   # multipart/form-data, parsed by the email package
            from email.parser import BytesParser
            from email.policy import HTTP
            raw = b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
            out = {}
            for part in BytesParser(policy=HTTP).parsebytes(raw).iter_parts():
                name = part.get_param("name", header="content-disposition")
                out[name] = {"filename": part.get_filename(), "type": part.get_content_type(),
                             "data": part.get_payload(decode=True).decode("latin-1")}
            return self.send(200, json.dumps(out, sort_keys=True).encode())
        if parts[0] == "big":
            n = int(parts[1])
            return self.send(200, bytes((i * 7) % 251 for i in range(n)), "application/octet-stream")
        extra = [("Set-Cookie", "session=abc123; Path=/"), ("Set-Cookie", "theme=dark")] \
            if parts[0] == "cookie" else []
        echo = {
            "method": self.command,
            "path": u.path,
            "query": {k: v[0] for k, v in parse_qs(u.query).items()},
            "raw_query": u.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("latin-1"),
        }
        self.send(200, json.dumps(echo, sort_keys=True).encode(), extra=extra + [("X-Echo", "yes")])

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    request_queue_size = 128   # the default 5 drops SYNs of concurrent clients (1 s retries)
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass   # clients that gave up (the timeout cases) are expected


srv = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
