#!/usr/bin/python3
# api_flood.py - a bounded flood of malformed HTTP requests against heraldd's
# API port, with a health checker timing GET /healthz all along.
#
# usage: api_flood.py HOST PORT [--token T] [--seed N] [--duration S]
#                     [--idle 300] [--health-max 2.0]
#
# Standard library only.  Everything is bounded: a fixed number of attacks
# of each kind, a fixed number of held connections, and a wall-clock
# duration (default 15 s, at most 20 s; attacks and checks under way then
# finish within their 5 s socket timeouts).  The random choices come
# from one seed, printed first, so a failure can be replayed with --seed.
#
# While the flood runs a checker thread does a well-formed GET /healthz on
# a fresh connection every 200 ms and records the latency.  Exit status 1
# when any check failed or took longer than --health-max seconds; 0
# otherwise.  The summary ends with key=value lines for the calling test:
#   health_checks=N health_failures=N health_worst_s=F health_median_s=F
#   idle_held=N idle_closed=N idle_close_min_s=F idle_close_max_s=F
#   reqline_closed=N reqline_close_max_s=F drip_closed=N
import argparse
import random
import selectors
import socket
import statistics
import sys
import threading
import time


def status_of(data):
    """The status code of the first response in data, or None."""
    if not data.startswith(b"HTTP/1."):
        return None
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def content_type_of(data):
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-type":
            return value.strip().decode("latin-1").split(";")[0]
    return "-"


class Flood:
    def __init__(self, host, port, token, seed, duration, n_idle,
        health_max):
        self.host = host
        self.port = port
        self.token = token
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.start = time.monotonic()
        self.deadline = self.start + duration
        self.n_idle = n_idle
        self.health_max = health_max
        self.lock = threading.Lock()
        self.stop = threading.Event()
        # attack name -> {outcome: count}; outcome "STATUS type" or a word
        self.outcomes = {}
        self.health = []    # (at, latency or None, detail)
        self.held = {}      # socket -> record (dict)
        self.held_closed = []

    # --- helpers ---------------------------------------------------------
    def rand_bytes(self, n):
        with self.rng_lock:
            return bytes(self.rng.getrandbits(8) for _ in range(n))

    def randint(self, a, b):
        with self.rng_lock:
            return self.rng.randint(a, b)

    def connect(self, timeout=5.0):
        s = socket.create_connection((self.host, self.port),
            timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def note(self, attack, outcome):
        with self.lock:
            d = self.outcomes.setdefault(attack, {})
            d[outcome] = d.get(outcome, 0) + 1

    def exchange(self, attack, payload, read=True, timeout=5.0):
        """Send payload (tolerating an early close by the server, which
        may answer before it has read everything), read until the
        server closes or timeout, and note the first status."""
        s = None
        try:
            s = self.connect(timeout)
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            if not read:
                self.note(attack, "sent")
                return
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            data = b""
            end = time.monotonic() + timeout
            while time.monotonic() < end and len(data) < 1 << 20:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                data += chunk
            code = status_of(data)
            if code is None:
                self.note(attack, "closed" if not data else
                    "garbage-reply")
            else:
                self.note(attack, "%d %s" % (code,
                    content_type_of(data)))
        except OSError as e:
            self.note(attack, "error " + type(e).__name__)
        finally:
            if s is not None:
                s.close()

    def auth(self):
        if self.token is None:
            return b""
        return b"Authorization: Bearer " + self.token.encode() + b"\r\n"

    def post(self, path, body, cl=None, extra=b""):
        if cl is None:
            cl = str(len(body)).encode()
        return (b"POST " + path + b" HTTP/1.1\r\nHost: flood\r\n" +
            b"Content-Type: application/json\r\n" + self.auth() +
            (b"Content-Length: " + cl + b"\r\n" if cl != b"" else b"") +
            extra + b"\r\n" + body)

    # --- the short attacks -----------------------------------------------
    def a_random_close(self):
        self.exchange("random-bytes-close",
            self.rand_bytes(self.randint(1, 4096)), read=False)

    def a_big_header(self):
        self.exchange("header-100KB", b"GET /healthz HTTP/1.1\r\n"
            b"Host: flood\r\nX-Big: " + b"a" * (100 << 10) +
            b"\r\n\r\n")

    def a_many_headers(self):
        hdrs = b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
        self.exchange("5000-headers", b"GET /healthz HTTP/1.1\r\n"
            b"Host: flood\r\n" + hdrs + b"\r\n")

    def truncated_json(self):
        good = (b'{"key": "00000000-0000-4000-8000-000000000000", '
            b'"action": "seen"}')
        return good[:self.randint(1, len(good) - 1)]

    def a_truncated_cl(self):
        # The Content-Length matches the truncated body: a complete
        # request whose JSON is cut short.
        self.exchange("truncated-json-valid-cl",
            self.post(b"/v1/acks", self.truncated_json()))

    def a_truncated_short(self):
        # The Content-Length promises more than arrives before close.
        body = self.truncated_json()
        self.exchange("truncated-json-short-body",
            self.post(b"/v1/acks", body,
            cl=str(len(body) + 200).encode()))

    def a_truncated_nocl(self):
        self.exchange("truncated-json-no-cl",
            self.post(b"/v1/acks", self.truncated_json(), cl=b""))

    def a_pipelined_garbage(self):
        self.exchange("pipelined-garbage", b"GET /healthz HTTP/1.1\r\n"
            b"Host: flood\r\n\r\n" + self.rand_bytes(2048))

    def a_absurd_cl(self):
        cl = [b"9223372036854775808", b"9223372036854775807",
            b"18446744073709551616", b"-1", b"1e9", b"abc"][
            self.randint(0, 5)]
        self.exchange("absurd-content-length",
            self.post(b"/v1/acks", b'{"key":"x"}', cl=cl))

    def a_bad_chunk(self):
        size = [b"zz", b"ffffffffffffffffffff", b"-5", b"7fffffffffffffff",
            b""][self.randint(0, 4)]
        self.exchange("chunked-bad-size", self.post(b"/v1/acks",
            size + b"\r\n{\"key\":\r\n0\r\n\r\n", cl=b"",
            extra=b"Transfer-Encoding: chunked\r\n"))

    def a_binary(self):
        which = self.randint(0, 3)
        if which == 0:
            req = (b"GET /v1/jobs/\xff\xfe\x00\x01abc HTTP/1.1\r\n"
                b"Host: flood\r\n\r\n")
        elif which == 1:
            req = (b"GET /\x00/healthz\xc3\x28 HTTP/1.1\r\n"
                b"Host: \x00\xff\r\n\r\n")
        elif which == 2:
            req = self.post(b"/v1/acks",
                b'{"key": "\xff\xfe\x00bad", "action": "se\x00en"}')
        else:
            req = self.post(b"/v1/acks",
                b'{"key": "\\u0000\\udc00", "action": "\\ud800"}')
        self.exchange("non-utf8-nul", req)

    def short_attacks(self):
        plan = (
            [self.a_random_close] * 200 +
            [self.a_big_header] * 10 +
            [self.a_many_headers] * 10 +
            [self.a_truncated_cl] * 40 +
            [self.a_truncated_short] * 40 +
            [self.a_truncated_nocl] * 20 +
            [self.a_pipelined_garbage] * 20 +
            [self.a_absurd_cl] * 24 +
            [self.a_bad_chunk] * 20 +
            [self.a_binary] * 24)
        self.rng.shuffle(plan)
        return plan

    def worker(self, plan, plan_lock):
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            with plan_lock:
                if not plan:
                    return
                fn = plan.pop()
            fn()

    # --- held connections ------------------------------------------------
    def hold(self, kind, first=b""):
        if time.monotonic() >= self.deadline:
            self.note("held-" + kind, "not tried: deadline")
            return
        try:
            s = self.connect(2.0)
        except OSError as e:
            self.note("held-" + kind, "error " + type(e).__name__)
            return
        s.setblocking(False)
        if first:
            try:
                s.send(first)
            except OSError:
                pass
        rec = {"kind": kind, "at": time.monotonic(), "closed": None,
            "reply": b""}
        with self.lock:
            self.held[s] = rec
        self.note("held-" + kind, "opened")

    def watch_held(self):
        """Note when the server closes each held connection; feed the
        slowloris bodies one byte a second."""
        sel = selectors.DefaultSelector()
        registered = set()
        next_drip = time.monotonic() + 1
        while not self.stop.is_set():
            with self.lock:
                fresh = [s for s in self.held if s not in registered]
            for s in fresh:
                sel.register(s, selectors.EVENT_READ)
                registered.add(s)
            for key, _ in sel.select(timeout=0.1):
                s = key.fileobj
                with self.lock:
                    rec = self.held[s]
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    rec["reply"] += data[:256]
                    continue
                rec["closed"] = time.monotonic() - rec["at"]
                sel.unregister(s)
                with self.lock:
                    del self.held[s]
                    self.held_closed.append(rec)
                s.close()
            if time.monotonic() >= next_drip:
                next_drip += 1
                with self.lock:
                    drips = [s for s, r in self.held.items()
                        if r["kind"] == "drip"]
                for s in drips:
                    try:
                        s.send(b"{")
                    except OSError:
                        pass
        sel.close()

    # --- the health checker ----------------------------------------------
    def check_once(self):
        t0 = time.monotonic()
        try:
            s = socket.create_connection((self.host, self.port),
                timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: check\r\n"
                b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
        except OSError as e:
            return (t0, None, "error " + type(e).__name__)
        lat = time.monotonic() - t0
        if status_of(data) != 200 or b'"ok":true' not in \
            data.replace(b" ", b""):
            return (t0, None, "bad reply %r" % data[:120])
        return (t0, lat, "ok")

    def checker(self):
        nxt = time.monotonic()
        while not self.stop.is_set():
            r = self.check_once()
            with self.lock:
                self.health.append(r)
            nxt += 0.2
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            else:
                nxt = time.monotonic()

    # --- the run -----------------------------------------------------------
    def run(self):
        chk = threading.Thread(target=self.checker, daemon=True)
        watch = threading.Thread(target=self.watch_held, daemon=True)
        chk.start()
        watch.start()
        # The held connections first, so that the short attacks run
        # while they are all open: idle sockets, request lines never
        # finished, random bytes then silence, and slowloris bodies.
        for _ in range(self.n_idle):
            self.hold("idle")
        for _ in range(30):
            self.hold("reqline", b"GET /healthz HTTP/1.1\r\n"
                b"Host: flood\r\n")
        for _ in range(30):
            self.hold("random-hang",
                self.rand_bytes(self.randint(1, 512)))
        for _ in range(20):
            self.hold("drip", self.post(b"/v1/acks", b"",
                cl=b"1000"))
        plan = self.short_attacks()
        plan_lock = threading.Lock()
        workers = [threading.Thread(target=self.worker,
            args=(plan, plan_lock), daemon=True) for _ in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(max(0.1, self.deadline - time.monotonic() + 6))
        self.unfinished = len(plan)
        now = time.monotonic()
        if now < self.deadline:
            time.sleep(self.deadline - now)
        self.stop.set()
        chk.join(6)
        watch.join(2)
        with self.lock:
            for s in list(self.held):
                s.close()
            self.still_open = [r for r in self.held.values()]

    def summary(self):
        ok = True
        print("# attack outcomes (first status and Content-Type, or what"
            " happened)")
        for attack in sorted(self.outcomes):
            d = self.outcomes[attack]
            print("#   %-26s %s" % (attack, ", ".join("%s x%d" % (k, v)
                for k, v in sorted(d.items()))))
        if self.unfinished:
            print("#   %d short attacks not run before the deadline"
                % self.unfinished)
        lats = [lat for _, lat, _ in self.health if lat is not None]
        fails = [(t - self.start, d) for t, lat, d in self.health
            if lat is None]
        slow = [lat for lat in lats if lat > self.health_max]
        for at, d in fails[:10]:
            print("# health check at +%.2fs failed: %s" % (at, d))
        if fails or slow or not lats:
            ok = False
        closed = {}
        for rec in self.held_closed:
            closed.setdefault(rec["kind"], []).append(rec["closed"])
        for kind in ("idle", "reqline", "random-hang", "drip"):
            c = closed.get(kind, [])
            left = sum(1 for r in self.still_open if r["kind"] == kind)
            print("# held %-12s closed by the server %d (%s), still"
                " open at the end %d" % (kind, len(c),
                "after %.2f..%.2f s" % (min(c), max(c)) if c else "-",
                left))
        idle = closed.get("idle", [])
        reql = closed.get("reqline", [])
        kv = {
            "health_checks": len(self.health),
            "health_failures": len(fails),
            "health_slow": len(slow),
            "health_worst_s": "%.3f" % max(lats) if lats else "-",
            "health_median_s": "%.3f" % statistics.median(lats)
            if lats else "-",
            "idle_held": self.n_idle,
            "idle_closed": len(idle),
            "idle_close_min_s": "%.2f" % min(idle) if idle else "-",
            "idle_close_max_s": "%.2f" % max(idle) if idle else "-",
            "reqline_closed": len(reql),
            "reqline_close_max_s": "%.2f" % max(reql) if reql else "-",
            "drip_closed": len(closed.get("drip", [])),
        }
        for k, v in kv.items():
            print("%s=%s" % (k, v))
        return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--token")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--health-max", type=float, default=2.0)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().getrandbits(32)
    duration = min(a.duration, 20.0)
    print("# api_flood seed=%d duration=%.0fs idle=%d" % (seed, duration,
        a.idle))
    sys.stdout.flush()
    f = Flood(a.host, a.port, a.token, seed, duration, a.idle,
        a.health_max)
    f.run()
    ok = f.summary()
    print("# result: %s" % ("daemon kept serving" if ok else
        "HEALTH CHECK FAILED OR SLOW"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
