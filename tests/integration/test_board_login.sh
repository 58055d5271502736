#!/bin/bash
# test_board_login.sh - a storm of board logins does not stall heraldd:
# the password check (crypt(3)) runs on the board's worker thread
# (core/api/board_check.c), not on the event loop that also runs the
# deliveries, the timers and the API.
#
# The password file holds a bcrypt hash of cost 14 (made here with
# Python's crypt), ~1-2 s a check on the test machine, so three logins
# posted at once keep the worker busy for several seconds.  Meanwhile
# /healthz and /v1/status are asked every 100 ms; each must answer in
# under 1 s and under half a check (measured here as the fastest login),
# so the test does not depend on the machine's speed: with the check on
# the loop, a probe made while a check runs waits for the rest of it
# (main's heraldd before the change: 2 probes in 3.2 s, the slowest
# 3.24 s).
# It also needs probes to have run while the checks did, and the three
# logins to succeed, one after another (the worker is one thread).
# Then the limiter with checks queued: wrong guesses spaced so that only
# the per-peer limit can refuse them must be refused after five, though
# most of the five are still waiting for the worker (before a check in
# flight counted as a failure, all seven were checked).
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3

if [ ! -f "$HERALD_PLUGIN_DIR/log.so" ]; then
	echo "1..0 # SKIP the log plugin was not built"
	exit 0
fi

cd "$T" || exit 1
PW='storm horse battery 9'
printf 'storm-token-%s\n' "$RANDOM$RANDOM" >api.token
chmod 600 api.token
$PY -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**14)))' \
    "$PW" >pw.hash
chmod 600 pw.hash
like "$(cat pw.hash)" '^\$2b\$14\$' "a bcrypt hash of cost 14 for the board"

cat >storm.conf <<'CONF'
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:storm.db";
  listen = "127.0.0.1:0";
  api_token_file = "api.token";
  board = { enabled = true; password_file = "pw.hash"; };
};
channels = ( { name = "audit"; plugin = "log"; file = "msgs.log"; format = "json"; } );
contacts = ( { id = "c-li"; name = "李红"; prefer = [ "audit" ]; } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c storm.conf
if wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1' && wait_listen "$T/heraldd.log"; then
	ok "heraldd starts with the board on"
else
	not_ok "heraldd starts with the board on" "$(cat "$T/heraldd.log")"
fi

# Three logins at once, and the probes until the last login answers.
timeout 120 $PY - "$API" "$PW" >storm.out 2>storm.err <<'PY'
import sys, threading, time, urllib.error, urllib.parse, urllib.request

api, pw = sys.argv[1], sys.argv[2]

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a):
        return None

opener = urllib.request.build_opener(NoRedirect)
logins = []

def login():
    t0 = time.monotonic()
    body = urllib.parse.urlencode({"password": pw}).encode()
    try:
        r = opener.open(api + "/board/login", body, timeout=60)
        code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
    logins.append((code, time.monotonic() - t0))

threads = [threading.Thread(target=login) for _ in range(3)]
for t in threads:
    t.start()
worst, n = 0.0, 0
while any(t.is_alive() for t in threads):
    for path in ("/healthz", "/v1/status"):
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(api + path, timeout=30).read()
        except urllib.error.HTTPError:
            pass
        worst = max(worst, time.monotonic() - t0)
        n += 1
    time.sleep(0.1)
for t in threads:
    t.join()
print("codes=%s" % " ".join(str(c) for c, _ in sorted(logins)))
print("slowest_login=%.2f" % max(s for _, s in logins))
print("fastest_login=%.2f" % min(s for _, s in logins))
print("probes=%d" % n)
print("worst_probe=%.3f" % worst)
PY
field() { sed -n "s/^$1=//p" storm.out; }
is "$(field codes)" "303 303 303" "three logins at once with the right password: 303 each"
slow=$(field slowest_login) fast=$(field fastest_login)
if $PY -c 'import sys; s, f = map(float, sys.argv[1:]); sys.exit(0 if f > 0 and s >= 2 * f else 1)' "${slow:-0}" "${fast:-0}"; then
	ok "... checked one after another on one worker (fastest $fast s, slowest $slow s)"
else
	not_ok "... checked one after another on one worker" "fastest ${fast:-?} s, slowest ${slow:-?} s" "$(cat storm.err)"
fi
n=$(field probes)
check "/healthz and /v1/status asked while the checks ran (${n:-0} times)" [ "${n:-0}" -ge 6 ]
w=$(field worst_probe)
if $PY -c 'import sys; w, f = map(float, sys.argv[1:]); sys.exit(0 if w < min(1.0, f / 2) else 1)' "${w:-99}" "${fast:-0}"; then
	ok "... each answered in under half a check and 1 s (slowest $w s, a check ${fast:-?} s or more)"
else
	not_ok "... each answered in under half a check and 1 s" "slowest probe ${w:-?} s; logins ${fast:-?}-${slow:-?} s"
fi
is "$(grep -c 'board: login from 127.0.0.1$' "$T/heraldd.log")" 3 "the log has the three logins"

# Guesses while checks queue: seven wrong passwords 0.6 s apart (the
# limit of all peers, 2 checks a second, never bites), each check ~1 s
# or more on the one worker.  A check in flight counts as a failure, so
# the sixth and seventh are refused at once, although most of the
# first five are still waiting for the worker.
timeout 120 $PY - "$API" >guess.out 2>guess.err <<'PY'
import sys, threading, time, urllib.error, urllib.parse, urllib.request
api = sys.argv[1]
codes = [None] * 7
def guess(i):
    body = urllib.parse.urlencode({"password": "guess %d" % i}).encode()
    try:
        codes[i] = urllib.request.urlopen(api + "/board/login", body, timeout=60).status
    except urllib.error.HTTPError as e:
        codes[i] = e.code
threads = []
for i in range(7):
    t = threading.Thread(target=guess, args=(i,))
    t.start()
    threads.append(t)
    time.sleep(0.6)
for t in threads:
    t.join()
print(" ".join(str(c) for c in codes))
PY
is "$(cat guess.out)" "403 403 403 403 403 429 429" \
    "seven wrong guesses 0.6 s apart while checks queue: five checked (403), then 429"
is "$(unexpected_warnings "$T/heraldd.log")" "" "no warning in the daemon's log"

done_testing
