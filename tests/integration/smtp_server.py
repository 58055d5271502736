#!/usr/bin/python3
"""smtp_server.py - a recording SMTP server for herald's email tests.

Run with Debian's /usr/bin/python3 (aiosmtpd).  Every accepted message is
stored in DIR as N.eml (raw bytes, CRLF as received) beside N.env (the
envelope: MAIL FROM and RCPT TO lines); the envelope is written first and
the message renamed into place, so a complete .eml means a complete
message.  Recipients whose local part starts with "tempfail" get 451,
"reject" get 550
(a tempfail recipient is accepted after --tempfail-times refusals).  A
message to a "stall" recipient is recorded, then answered only after
--stall-data seconds: a server that took the message but whose 250 came
too late.  Once listening it writes its port to --port-file.

Options: --tls-cert/--tls-key offer STARTTLS (and require it when
--require-tls); --user/--password require AUTH PLAIN/LOGIN.
"""
import argparse
import asyncio
import itertools
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, dir_, tempfail_times, stall_data=0.0):
        self.dir = dir_
        self.tempfail_times = tempfail_times
        self.stall_data = stall_data
        self.tempfails = {}
        self.seq = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            with self.lock:
                seen = self.tempfails.get(address, 0)
                self.tempfails[address] = seen + 1
            if seen < self.tempfail_times:
                return "451 4.3.0 try again later"
        if local.startswith("reject"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.seq)
        base = os.path.join(self.dir, "%06d" % n)
        with open(base + ".env", "w") as f:
            f.write("MAIL FROM:%s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("RCPT TO:%s\n" % r)
            f.write("TLS:%s\n" % ("yes" if session.ssl else "no"))
            f.write("AUTH:%s\n" % (session.authenticated and "yes" or "no"))
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(base + ".tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".tmp", base + ".eml")
        if self.stall_data > 0 and any(
                r.split("@", 1)[0].lower().startswith("stall")
                for r in envelope.rcpt_tos):
            await asyncio.sleep(self.stall_data)
        return "250 2.0.0 OK queued as %06d" % n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--require-tls", action="store_true")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--tempfail-times", type=int, default=1 << 30,
                    help="answer 451 to a tempfail* recipient this often")
    ap.add_argument("--stall-data", type=float, default=0.0,
                    help="answer a stall* recipient's DATA this late (s)")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    port = a.port
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()

    kw = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = a.require_tls
    if a.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login.decode() == a.user and
                  auth_data.password.decode() == a.password)
            return AuthResult(success=ok)
        kw["authenticator"] = authenticator
        kw["auth_required"] = True
        # Without TLS the test still wants AUTH over loopback.
        kw["auth_require_tls"] = bool(a.tls_cert)

    ctl = Controller(Recorder(a.dir, a.tempfail_times, a.stall_data), hostname="127.0.0.1", port=port,
                     ready_timeout=10, **kw)
    ctl.start()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    ctl.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
