#!/bin/bash
# test_api_limits.sh - API clients cannot take the descriptors deliveries
# need (issue 12, defect 2).  heraldd runs with 256 descriptors (ulimit -n,
# soft and hard) and the documented defaults: a request must arrive whole
# within api_request_timeout (10 s), one address holds at most
# api_max_connections_per_peer (64) connections, and the API as a whole at
# most half the descriptors.  While 300 connections from 127.0.0.1 sit
# idle or drip, a client dripping one byte a second from 127.0.0.3 is cut
# after the deadline, /healthz from 127.0.0.2 answers within 2 s all
# along, and every webhook job falling due reaches the recording receiver
# (webhook_receiver.py) on time.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
ALLOWED='CLOCK NOT SYNCHRONIZED|http: [0-9]+ connections open'
SAN='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
# The documented defaults (herald.conf(5)); this config leaves them alone.
DEADLINE_S=10
PER_PEER=64
N_CONTACTS=20

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ]; then
	echo "1..0 # SKIP the webhook plugin was not built"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/lim.db" "$1" 2>/dev/null; }
kv() { sed -n "s/^$1=//p" "$T/attack.out" | tail -1; }

cd "$T" || exit 1
start_bg "$T/receiver.out" $PY "$RECEIVER" --port-file "$T/receiver.port" \
    --log "$T/hooks.jsonl"
if ! wait_until 15 test -s "$T/receiver.port"; then
	not_ok "the receiver starts" "$(cat "$T/receiver.out")"
	done_testing
	exit 0
fi
P=$(cat "$T/receiver.port")

# N_CONTACTS contacts on one webhook channel, one deadline due 14 s from
# now with reminders 8 s and 4 s before it: three jobs each, falling due
# at +6, +10 and +14 s while the attack (17 s) runs.
now=$(date +%s)
due=$((now + 14))
audience=
contacts=
for i in $(seq 1 $N_CONTACTS); do
	contacts="$contacts { id = \"c$i\"; name = \"联络员$i\"; prefer = [ \"hook\" ]; },"
	audience="$audience \"c$i\","
done
cat >lim.conf <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:lim.db";
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "hook"; plugin = "webhook";
  url = "http://127.0.0.1:$P/ok/hook"; rate = "1000/s"; } );
contacts = ( ${contacts%,} );
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison-list"; title = "报送联络机制名单（附件1）";
    due = "$(sh_civil "$due")";
    audience = [ ${audience%,} ];
    remind = [ "8s", "4s" ];
  } );
} );
CONF
expect_jobs=$((N_CONTACTS * 3))

start_bg "$T/lim.log" bash -c 'ulimit -n 256 && exec "$@"' sh \
    "$HERALDD" -f -c lim.conf
pid=$BG_PID
if wait_listen "$T/lim.log"; then
	ok "heraldd listens with 256 descriptors ($API)"
else
	not_ok "heraldd listens with 256 descriptors" "$(cat "$T/lim.log")"
	done_testing
	exit 1
fi
hostport=${API#http://}
wait_until 10 log_has "$T/lim.log" 'ready: config generation 1'

$PY - "${hostport%:*}" "${hostport##*:}" >"$T/attack.out" 2>&1 <<'PY'
# 300 connections from 127.0.0.1 (150 silent, 150 dripping a header byte
# a second), one dripper from 127.0.0.3 and a /healthz checker from
# 127.0.0.2, for 17 s.  Prints key=value lines.
import selectors, socket, statistics, sys, threading, time
host, port = sys.argv[1], int(sys.argv[2])
DURATION = 17.0
t0 = time.monotonic()

def conn(src, timeout=2.0):
	s = socket.socket()
	s.settimeout(timeout)
	s.bind((src, 0))
	s.connect((host, port))
	return s

health = []
def checker():
	while time.monotonic() - t0 < DURATION:
		a = time.monotonic()
		try:
			s = conn("127.0.0.2")
			s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
			data = b""
			while True:
				c = s.recv(4096)
				if not c:
					break
				data += c
			s.close()
			okay = data.startswith(b"HTTP/1.1 200")
		except OSError:
			okay = False
		health.append((okay, time.monotonic() - a))
		time.sleep(0.5)

drip_closed = [None]
def dripper():
	try:
		s = conn("127.0.0.3")
		s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Drip: ")
		opened = time.monotonic()
		while time.monotonic() - t0 < DURATION + 3:
			time.sleep(1)
			s.send(b"a")
			s.settimeout(0.01)
			try:
				if s.recv(4096) == b"":
					break
			except socket.timeout:
				pass
		else:
			return
		drip_closed[0] = time.monotonic() - opened
	except OSError:
		drip_closed[0] = time.monotonic() - opened

threads = [threading.Thread(target=checker), threading.Thread(target=dripper)]
for t in threads:
	t.start()

sel = selectors.DefaultSelector()
opened = {}
for i in range(300):
	try:
		s = conn("127.0.0.1", 0.5)
	except OSError:
		continue
	s.setblocking(False)
	if i % 2:
		try:
			s.send(b"GET /healthz HTTP/1.1\r\nX-Drip: ")
		except OSError:
			pass
	opened[s] = [time.monotonic(), None, i % 2]
	sel.register(s, selectors.EVENT_READ)

held_at_3s = None
next_drip = time.monotonic() + 1
while time.monotonic() - t0 < DURATION:
	for key, _ in sel.select(0.1):
		s = key.fileobj
		try:
			data = s.recv(4096)
		except OSError:
			data = b""
		if not data:
			opened[s][1] = time.monotonic()
			sel.unregister(s)
	if time.monotonic() >= next_drip:
		next_drip += 1
		for s, r in opened.items():
			if r[1] is None and r[2]:
				try:
					s.send(b"a")
				except OSError:
					pass
	if held_at_3s is None and time.monotonic() - t0 >= 3:
		held_at_3s = sum(1 for r in opened.values() if r[1] is None)

for t in threads:
	t.join()
refused = sum(1 for r in opened.values() if r[1] is not None and r[1] - r[0] < 2)
print("opened=%d" % len(opened))
print("refused_within_2s=%d" % refused)
print("held_at_3s=%s" % held_at_3s)
print("still_open_at_end=%d" % sum(1 for r in opened.values() if r[1] is None))
lat = [l for ok, l in health]
print("health_checks=%d" % len(health))
print("health_failures=%d" % sum(1 for ok, l in health if not ok or l > 2.0))
print("health_worst_s=%.3f" % (max(lat) if lat else -1))
print("drip_closed_s=%s" % ("%.1f" % drip_closed[0] if drip_closed[0] is not None else "never"))
PY
sed 's/^/# /' "$T/attack.out"

drip=$(kv drip_closed_s)
if [ "$drip" != never ] && [ -n "$drip" ] && awk -v d="$drip" -v t=$DEADLINE_S \
    'BEGIN { exit !(d >= t - 1 && d <= t + 3) }'; then
	ok "a client dripping a byte a second was cut after ${drip} s (deadline ${DEADLINE_S} s)"
else
	not_ok "a client dripping a byte a second is cut after the ${DEADLINE_S} s deadline" \
	    "closed after: ${drip:-?}"
fi
held=$(kv held_at_3s)
if [ -n "$held" ] && [ "$held" -le $PER_PEER ] && [ "$held" -ge 1 ]; then
	ok "127.0.0.1 held $held of $(kv opened) connections (at most $PER_PEER per address)"
else
	not_ok "127.0.0.1 holds at most $PER_PEER connections" "held ${held:-?} of $(kv opened)"
fi
opened=$(kv opened)
refused=$(kv refused_within_2s)
if [ -n "$refused" ] && [ "$refused" -ge $((opened - PER_PEER)) ]; then
	ok "the $refused connections beyond the cap were refused at once"
else
	not_ok "connections beyond the per-address cap are refused at once" \
	    "refused ${refused:-?} of $opened"
fi
is "$(kv still_open_at_end)" 0 "the held ones were closed by the deadline too"
is "$(kv health_failures)" 0 "every /healthz from 127.0.0.2 answered 200 within 2 s ($(kv health_checks) checks, worst $(kv health_worst_s) s)"

delivered() { [ "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" -ge "$1" ]; }
wait_until 10 delivered $expect_jobs
is "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'
    AND lateness_ms >= 0 AND lateness_ms < 3000")" $expect_jobs \
    "all $expect_jobs webhook jobs were delivered within 3 s of their instant"
is "$(grep -c '"path": *"/ok/hook"' "$T/hooks.jsonl")" $expect_jobs \
    "the receiver recorded $expect_jobs requests"
q "SELECT state, count(*), max(lateness_ms), max(attempts) FROM jobs GROUP BY state" |
    sed 's/^/# /'

kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd stops cleanly on SIGTERM"
is "$(grep -E "$SAN" "$T/lim.log" | head -5)" "" "no sanitizer report"
is "$(unexpected_warnings "$T/lim.log" "$ALLOWED")" "" \
    "no unexpected warnings in the daemon's log"

done_testing
