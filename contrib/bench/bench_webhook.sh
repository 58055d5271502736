#!/bin/bash
# bench_webhook.sh - webhook deliveries per second into a loopback
# receiver at concurrency 1, 16 and 64, beside wrk posting the same body
# to the same receiver with as many connections.  Not a test: prints
# numbers.
#
#   contrib/bench/bench_webhook.sh BUILDDIR [MESSAGES]
#
# The receiver is webhook_sink.c (one libevent loop, built here with cc).
# heraldd gets MESSAGES reminders due at one instant on one generic
# webhook channel; the rate is counted at the receiver, from its first
# request to its last.
set -u
B=${1:?usage: bench_webhook.sh BUILDDIR [MESSAGES]}
N=${2:-5000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/bench-webhook.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.3; rm -rf "$W"' EXIT
civil() { TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }
cc -O2 -o "$W/sink" "$SRC/contrib/bench/webhook_sink.c" \
    $(pkg-config --cflags --libs libevent) || exit 1

start_sink() {
	rm -f "$W/port"
	"$W/sink" "$W/port" &
	SINK_PID=$!; PIDS+=("$SINK_PID")
	for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
	P=$(cat "$W/port")
}
stop_sink() { kill -TERM "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; }
stats() { curl -s "http://127.0.0.1:$P/stats"; }

# The body heraldd's generic flavour sends, for wrk to post.
BODY='{"key":"6f1c2a9e-8a43-4c55-9b1e-0d3f5c7a2b11","kind":"reminder","campaign":"bench","item":"d1","title":"报送材料","contact":"c1","contact_name":"联络员1","subject":null,"body":"您好！请按时报送报送材料。\n联系人：消费促进司","due":1700000000,"ack_url":null,"job_due":1699999990,"attempt":1}'

run_wrk() {	# run_wrk CONNECTIONS -> prints requests/s
	local c=$1
	start_sink
	cat >"$W/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.headers["X-Herald-Id"] = "6f1c2a9e-8a43-4c55-9b1e-0d3f5c7a2b11"
wrk.body = [[$BODY]]
LUA
	wrk -t1 -c"$c" -d5s -s "$W/post.lua" "http://127.0.0.1:$P/hook" 2>&1 |
	    awk '/Requests\/sec/ { print $2 }'
	stop_sink
}

run_herald() {	# run_herald CONCURRENCY -> prints deliveries/s
	local c=$1 now due i
	start_sink
	mkdir -p "$W/h$c"; cd "$W/h$c" || exit 1
	now=$(date +%s); due=$((now + 12))
	{
		cat <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:bench.db"; log_level = "notice";
  listen = "127.0.0.1:$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/hook";
  concurrency = $c; rate = "1000000/s"; burst = 1000000; } );
contacts = (
CONF
		for i in $(seq 1 "$N"); do
			printf '  { id = "c%d"; name = "联络员%d"; phone = "1390%07d"; prefer = [ "hook" ]; }%s\n' \
			    "$i" "$i" "$i" "$([ "$i" = "$N" ] || echo ,)"
		done
		echo ');'
		echo "groups = ( { id = \"all\"; members = [ $(seq -f '"c%g"' 1 "$N" | paste -sd,) ]; } );"
		cat <<CONF
campaigns = ( { id = "bench"; title = "批量测试";
  period = [ "$(civil "$now")", "$(civil $((now + 86400)))" ];
  deadlines = ( { id = "d1"; title = "报送材料"; due = "$(civil "$due")";
    audience = [ "all" ]; remind = [ "10s" ]; } ); } );
CONF
	} >bench.conf
	"$B/core/heraldd" -f -p "$B/plugins/.libs" -c bench.conf >heraldd.log 2>&1 &
	local hp=$!; PIDS+=("$hp")
	for _ in $(seq 600); do
		[ "$(stats | cut -d' ' -f1)" -ge "$N" ] 2>/dev/null && break
		sleep 0.1
	done
	stats | awk -v n="$N" '{ if ($1 < n) print "incomplete:" $1;
	    else printf "%.0f\n", ($1 - 1) / (($3 - $2) / 1e6) }'
	kill -TERM "$hp"; wait "$hp" 2>/dev/null
	stop_sink
	cd "$W" || exit 1
}

printf '%-12s %14s %14s %8s\n' concurrency "heraldd/s" "wrk req/s" ratio
for c in 1 16 64; do
	h=$(run_herald "$c")
	w=$(run_wrk "$c")
	printf '%-12s %14s %14s %8s\n' "$c" "$h" "$w" \
	    "$(awk -v h="$h" -v w="$w" 'BEGIN { if (w > 0 && h + 0 > 0) printf "%.0f%%", 100 * h / w; else print "-" }')"
done
