#!/bin/bash
# bench_incident.sh - issue 14: trigger (POST /v1/incidents) to the last
# alert of the first wave at the receiver, N recipients over one generic
# webhook channel, on an idle channel and behind a backlog of BACKLOG
# reminders on the same channel.  Not a test: prints numbers.
#
#   contrib/bench/bench_incident.sh BUILDDIR [N] [BACKLOG] [RUNS] [CONCURRENCY]
#
# The receiver is webhook_sink.c (built here with cc), answering
# reminders only SLOW seconds after they arrive, so the reminders hold
# every ordinary slot of the channel and the rest wait in its queue and
# in the store: the backlog is still there when the wave is over.  The
# trigger instant is `date +%s%N` just before curl starts (so curl's own
# start-up counts against herald); the alerts' arrival times are the
# receiver's, on the same clock.  Printed per run: the first and the last
# alert after the trigger, the alerts received, and the reminders
# received between the trigger and the last alert.
set -u
B=$(cd "${1:?usage: bench_incident.sh BUILDDIR [N] [BACKLOG] [RUNS] [CONCURRENCY]}" && pwd)
N=${2:-1000}
BACKLOG=${3:-10000}
RUNS=${4:-3}
CONC=${5:-}
SLOW=5
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/bench-incident.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.3; rm -rf "$W"' EXIT
civil() { TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
cc -O2 -o "$W/sink" "$SRC/contrib/bench/webhook_sink.c" \
    $(pkg-config --cflags --libs libevent) || exit 1
TOKEN=bench-incident-token
printf '%s\n' "$TOKEN" >"$W/token"
chmod 600 "$W/token"

stats() { curl -s "http://127.0.0.1:$P/stats"; }

# run_one BACKLOG -> "first_ms last_ms alerts reminders_during"
run_one() {
	local backlog=$1 now due i hp t0 api per
	rm -f "$W/port"
	"$W/sink" "$W/port" "$SLOW" &
	local sp=$!; PIDS+=("$sp")
	for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
	P=$(cat "$W/port")
	rm -rf "$W/h"; mkdir -p "$W/h"; cd "$W/h" || exit 1
	cp "$W/token" token
	now=$(date +%s); due=$((now + 3600))
	per=$(( (backlog + N - 1) / N ))	# deadlines of N reminders each
	{
		cat <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:bench.db";
  log_level = "notice"; api_token_file = "token"; engine = { workdays_only = [ ]; }; };
channels = ( { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/hook";
  timeout = "60s"; rate = "1000000/s"; burst = 1000000; ${CONC:+concurrency = $CONC;} } );
contacts = (
CONF
		for i in $(seq 1 "$N"); do
			printf '  { id = "c%d"; name = "联络员%d"; prefer = [ "hook" ]; }%s\n' \
			    "$i" "$i" "$([ "$i" = "$N" ] || echo ,)"
		done
		echo ');'
		echo "groups = ( { id = \"all\"; members = [ $(seq -f '"c%g"' 1 "$N" | paste -sd,) ]; } );"
		echo "campaigns = ( { id = \"bench\"; title = \"应急测试\";"
		echo "  period = [ \"$(civil "$now")\", \"$(civil $((now + 86400)))\" ];"
		if [ "$backlog" -gt 0 ]; then
			echo "  deadlines = ("
			for i in $(seq 1 "$per"); do
				printf '    { id = "d%d"; title = "报送材料%d"; due = "%s"; audience = [ "all" ]; remind = [ "%ds" ]; }%s\n' \
				    "$i" "$i" "$(civil "$due")" $((3600 - 4)) "$([ "$i" = "$per" ] || echo ,)"
			done
			echo "  );"
		fi
		cat <<CONF
  plans = ( { id = "stampede"; title = "踩踏事故应急预案"; level = 1;
    alert = [ "all" ]; steps = "立即疏散"; repeat = "1h"; } ); } );
CONF
	} >bench.conf
	"$B/core/heraldd" -f -p "$B/plugins/.libs" -c bench.conf >heraldd.log 2>&1 &
	hp=$!; PIDS+=("$hp")
	for _ in $(seq 600); do
		api=$(sed -n 's/.*http: listening on \([^ ]*\).*/\1/p' heraldd.log | head -1)
		[ -n "$api" ] && break
		sleep 0.1
	done
	api=http://$api
	if [ "$backlog" -gt 0 ]; then
		# The backlog flows: the ordinary slots hold slow reminders.
		for _ in $(seq 600); do
			[ "$(stats | cut -d' ' -f7)" -ge 1 ] 2>/dev/null && break
			sleep 0.1
		done
		sleep 1
	fi
	local before; before=$(stats | cut -d' ' -f7)
	t0=$(date +%s%N)
	curl -s -o trigger.json -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' \
	    --data-binary '{"plan": "stampede", "venue": "XX商场", "note": "bench"}' \
	    "$api/v1/incidents"
	for _ in $(seq 600); do
		[ "$(stats | cut -d' ' -f4)" -ge "$N" ] 2>/dev/null && break
		sleep 0.05
	done
	stats | awk -v t0="$t0" -v before="$before" -v n="$N" '{
	    printf "%.0f %.0f %d/%d %d\n", ($5 - t0 / 1000) / 1000,
	        ($6 - t0 / 1000) / 1000, $4, n, $9 - before }'
	kill -TERM "$hp"; wait "$hp" 2>/dev/null
	kill -TERM "$sp"; wait "$sp" 2>/dev/null
	cd "$W" || exit 1
}

echo "recipients $N, backlog $BACKLOG, concurrency ${CONC:-default}, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-8s %10s %10s %10s %22s\n' run backlog "first ms" "last ms" alerts "reminders before last"
for r in $(seq 1 "$RUNS"); do
	for b in 0 "$BACKLOG"; do
		printf '%-8s %-8s %10s %10s %10s %22s\n' "$r" "$b" $(run_one "$b")
	done
done
