#!/usr/bin/env python3
"""fake_apiserver.py - the least of kube-apiserver an adapter needs to start
with discovery, the CA ConfigMap watch, the Lease and the sync controller,
over plain HTTP on loopback, for black-box tests that are about the adapter
itself (tests/blackbox/thread_start.sh), not about Kubernetes (the
end-to-end tests run the real kube-apiserver).

  GET a collection        200, an empty list at resourceVersion 1
  GET ...?watch=...       200, then nothing until the client goes away
  GET a named object      404 NotFound Status (no Lease, no ConfigMap yet)
  POST / PUT / PATCH      201 / 200, the body back with resourceVersion 2

Usage: fake_apiserver.py PORT_FILE (the port it listens on is written there).
"""
import json
import os
import select
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# /api/v1/pods, /apis/apps/v1/deployments, .../namespaces/NS/configmaps:
# an even number of segments after the group version is a named object
CORE = 3  # "", "api", "v1"
GROUPED = 4  # "", "apis", GROUP, VERSION


def is_collection(path):
    parts = path.rstrip("/").split("/")
    rest = parts[CORE:] if parts[1] == "api" else parts[GROUPED:]
    return len(rest) % 2 == 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if "watch" in parse_qs(url.query):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            # a quiet watch (no events), until the client goes away
            try:
                while not select.select([self.connection], [], [], 1)[0]:
                    pass
            except (OSError, ValueError):
                pass
            self.close_connection = True
            return
        if is_collection(url.path):
            self.send(200, {"kind": "List", "apiVersion": "v1",
                            "metadata": {"resourceVersion": "1"}, "items": []})
        else:
            self.send(404, {"kind": "Status", "apiVersion": "v1",
                            "status": "Failure", "reason": "NotFound",
                            "code": 404})

    def write(self, code):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            body = {}
        body.setdefault("metadata", {})["resourceVersion"] = "2"
        self.send(code, body)

    def do_POST(self):
        self.write(201)

    def do_PUT(self):
        self.write(200)

    def do_PATCH(self):
        self.write(200)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".new", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(sys.argv[1] + ".new", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
