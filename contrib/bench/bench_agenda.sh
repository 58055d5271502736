#!/bin/bash
# bench_agenda.sh - what big agenda reads cost the sends (issue 12).
#
#   bench_agenda.sh BUILD_DIR [READERS=4] [ROWS=10000]
#
# bench_stream.sh's load (100 contacts x 1,000 reminders pending, 100
# jobs due at each second for 20 s) plus READERS clients that each fetch
# ROWS agenda rows over and over: /v1/agenda?limit=ROWS, following "next"
# while the server answers in pages.  A prober times GET /healthz every
# 100 ms on a fresh connection.  Prints the /healthz latency (median,
# p90, max) and the stream jobs' lateness (hand-off minus due, from the
# store), as bench_stream.sh does.
set -u
BUILD=$(cd "${1:?usage: bench_agenda.sh BUILD_DIR [READERS] [ROWS]}" && pwd)
READERS=${2:-4}
ROWS=${3:-10000}
PER=100
SECS=20
OFFS=1000
# Planning 100,000 jobs takes 10 s idle and minutes on a loaded machine.
LEAD=${BENCH_LEAD:-240}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-agenda.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

start_s=$(( $(date +%s) + LEAD ))
start=$(TZ=Asia/Shanghai date -d "@$start_s" '+%Y-%m-%d %H:%M:%S')
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$HERE/genconf.sh" stream "$PER" "$OFFS" "$start" "$SECS" |
    sed "s/listen = \"127.0.0.1:0\"/listen = \"127.0.0.1:$port\"/" >"$W/herald.conf"
cd "$W" || exit 1
"$BUILD/core/heraldd" -f -c herald.conf -p "$BUILD/plugins/.libs" \
    >daemon.log 2>&1 &
pid=$!
for _ in $(seq $((LEAD * 10))); do
	grep -q 'ready: config generation' daemon.log && break
	sleep 0.1
done
addr=127.0.0.1:$port
grep -q 'ready: config generation' daemon.log ||
    { echo "heraldd did not start"; cat daemon.log; exit 1; }
[ "$(date +%s)" -lt "$start_s" ] ||
    { echo "planning took longer than BENCH_LEAD=$LEAD s"; exit 1; }

# Readers and prober from the first due second to the last.
/usr/bin/python3 - "$addr" "$READERS" "$ROWS" "$start_s" "$SECS" <<'PY'
import json, statistics, sys, threading, time, urllib.parse, urllib.request
addr, readers, rows, start, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
base = "http://" + addr
while time.time() < start - 1:
	time.sleep(0.05)
end = start + secs
fetched = [0]
def reader():
	while time.time() < end:
		got, after = 0, None
		while got < rows and time.time() < end:
			q = {"limit": rows}
			if after:
				q["after"] = after
			j = json.load(urllib.request.urlopen(base + "/v1/agenda?" +
			    urllib.parse.urlencode(q), timeout=30))
			got += len(j["jobs"])
			after = j.get("next")
			if not after:
				break
		fetched[0] += got
lat = []
def prober():
	while time.time() < end:
		a = time.monotonic()
		urllib.request.urlopen(base + "/healthz", timeout=30).read()
		lat.append((time.monotonic() - a) * 1000)
		time.sleep(0.1)
ts = [threading.Thread(target=reader) for _ in range(readers)]
ts.append(threading.Thread(target=prober))
for t in ts:
	t.start()
for t in ts:
	t.join()
lat.sort()
print("%d readers of %d rows: %d rows read in %d s" % (readers, rows, fetched[0], secs))
print("/healthz: %d probes, median %.1f ms, p90 %.1f ms, max %.1f ms" % (len(lat),
    statistics.median(lat), lat[int(len(lat) * 0.9)], lat[-1]))
PY

N=$(( PER * SECS ))
for _ in $(seq 300); do
	[ "$(wc -l 2>/dev/null <sent.log || echo 0)" -ge "$N" ] && break
	sleep 0.2
done
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
pid=
q() { sqlite3 bench.db "$1"; }
sel="FROM jobs WHERE campaign = 'stream' AND state = 'delivered'"
pct() {
	q "SELECT lateness_ms $sel ORDER BY lateness_ms LIMIT 1 OFFSET (SELECT max(0, CAST((count(*) * $1 + 99) / 100 AS INTEGER) - 1) $sel)"
}
echo "stream: $(q "SELECT count(*) $sel") of $N delivered; lateness p50 $(pct 50) ms, p90 $(pct 90) ms, max $(q "SELECT max(lateness_ms) $sel") ms"
