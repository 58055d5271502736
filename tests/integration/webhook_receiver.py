#!/usr/bin/python3
"""webhook_receiver.py - a recording HTTP server standing in for group robots.

Every request is appended as one JSON line to --log: arrival time, method,
path, query, headers and body (UTF-8 text), and the status answered.  The
answer depends on the path's first segment:

  /429-N-K/...   the first K requests to this exact path: 429 with
                 Retry-After N; then 200
  /500-K/...     the first K requests to this exact path: 500; then 200
  /fail-N/...    the Nth request to this exact path: 500; the others 200
  /err-CODE/...  always HTTP 200 with the vendors' error shape and CODE
                 ({"errcode":CODE,...,"code":CODE,...})
  /slow-S/...    sleep S seconds, then 200
  /slowkind-KIND-S/...
                 sleep S seconds, then 200, when the body is JSON whose
                 "kind" is KIND (herald's generic flavour: "reminder");
                 others at once: a backlog that moves slowly beside
                 messages that do not wait
  anything else  200 with a body every flavour reads as success
                 ({"errcode":0,"errmsg":"ok","code":0,"msg":"success",...})

The port is written to --port-file once listening.  Stop with SIGTERM.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUCCESS = b'{"errcode":0,"errmsg":"ok","code":0,"msg":"success","data":{}}'


class State:
    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.counts = {}
        self.log = open(log_path, "a", encoding="utf-8")

    def count(self, path):
        with self.lock:
            n = self.counts.get(path, 0) + 1
            self.counts[path] = n
            return n

    def record(self, rec):
        line = json.dumps(rec, ensure_ascii=False)
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this keep-alive answers stall ~40 ms each (Nagle + delayed ACK).
    disable_nagle_algorithm = True
    state = None

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        t = time.time()
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        url = urllib.parse.urlsplit(self.path)
        first = url.path.split("/")[1] if url.path.count("/") >= 1 else ""
        status, body, headers, delay = 200, SUCCESS, [], 0.0
        parts = first.split("-")
        try:
            if parts[0] == "429" and len(parts) == 3:
                if self.state.count(url.path) <= int(parts[2]):
                    status, body = 429, b'{"error":"slow down"}'
                    headers = [("Retry-After", parts[1])]
            elif parts[0] == "500" and len(parts) == 2:
                if self.state.count(url.path) <= int(parts[1]):
                    status, body = 500, b'{"error":"oops"}'
            elif parts[0] == "fail" and len(parts) == 2:
                if self.state.count(url.path) == int(parts[1]):
                    status, body = 500, b'{"error":"oops"}'
            elif parts[0] == "err" and len(parts) == 2:
                code = int(parts[1])
                body = json.dumps({"errcode": code, "errmsg": "test error",
                                   "code": code, "msg": "test error"}).encode()
            elif parts[0] == "slow" and len(parts) == 2:
                delay = float(parts[1])
            elif parts[0] == "slowkind" and len(parts) == 3:
                try:
                    kind = json.loads(raw.decode("utf-8")).get("kind")
                except (ValueError, AttributeError):
                    kind = None
                if kind == parts[1]:
                    delay = float(parts[2])
        except ValueError:
            status, body = 400, b'{"error":"bad test path"}'
        self.state.record({
            "t": t, "method": self.command, "path": url.path,
            "query": url.query, "headers": dict(self.headers.items()),
            "body": raw.decode("utf-8", "replace"), "status": status,
        })
        if delay > 0:
            time.sleep(delay)
        self.answer(status, body, headers)

    do_POST = handle_any
    do_GET = handle_any
    do_PUT = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    Handler.state = State(args.log)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
