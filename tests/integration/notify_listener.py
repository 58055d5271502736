#!/usr/bin/env python3
"""notify_listener.py SOCKET OUT LOG - systemd's side of sd_notify(3).

Binds an AF_UNIX datagram socket at SOCKET (what systemd hands a
Type=notify service as $NOTIFY_SOCKET) and writes one line per message
to OUT: "<monotonic seconds> <fields joined by |>".  On a message with
READY=1 it checks, before anything else, that heraldd's listener (the
"http: listening on HOST:PORT" line of LOG) answers GET /healthz, and
writes "<t> PROBE <status or error>": readiness must mean the API is up.
Runs until killed.
"""
import os
import re
import socket
import sys
import time
import urllib.request


def probe(log):
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            m = re.search(r"http: listening on (\S+)", f.read())
        if m is None:
            return "no-listening-line"
        with urllib.request.urlopen("http://%s/healthz" % m.group(1),
                                    timeout=5) as r:
            return str(r.status)
    except Exception as e:  # the reason goes into OUT for the test
        return "error:%s" % type(e).__name__


def main():
    path, out, log = sys.argv[1:4]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, "a", buffering=1, encoding="utf-8") as o:
        while True:
            data = s.recv(4096).decode("utf-8", "replace")
            t = time.monotonic()
            fields = [f for f in data.split("\n") if f]
            o.write("%.6f %s\n" % (t, "|".join(fields)))
            if "READY=1" in fields:
                o.write("%.6f PROBE %s\n" % (time.monotonic(), probe(log)))


if __name__ == "__main__":
    os.umask(0o077)
    main()
