#!/bin/bash
# bench_email.sh - email channel throughput into a local SMTP sink, at
# concurrency 1, 4 and 16, beside swaks sending the same kind of message
# one connection at a time in a loop.  Not a test: prints numbers.
#
#   contrib/bench/bench_email.sh BUILDDIR [MESSAGES]
#
# The sink is Postfix's smtp-sink when installed (fast, no TLS), else the
# test suite's aiosmtpd recorder.  Messages are counted at the sink.
set -u
B=${1:?usage: bench_email.sh BUILDDIR [MESSAGES]}
N=${2:-2000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/bench-email.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.3; rm -rf "$W"' EXIT
PY=/usr/bin/python3
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
civil() { TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
count() { find "$W/sink" -type f | wc -l; }

start_sink() {
	rm -rf "$W/sink"; mkdir -p "$W/sink"
	chmod 755 "$W"; chmod 777 "$W/sink"	# smtp-sink writes as nobody
	P=$(port)
	if [ -x /usr/sbin/smtp-sink ]; then
		SINK=smtp-sink
		(cd "$W/sink" && exec /usr/sbin/smtp-sink -u nobody -d "$W/sink/%Y%m%d%H%M%S." 127.0.0.1:$P 256) &
	else
		SINK=aiosmtpd
		$PY "$SRC/tests/integration/smtp_server.py" --dir "$W/sink" --port $P --port-file "$W/p" &
	fi
	SINK_PID=$!; PIDS+=("$SINK_PID")
	for _ in $(seq 100); do $PY -c "import socket; socket.create_connection(('127.0.0.1',$P)).close()" 2>/dev/null && break; sleep 0.05; done
}

run_herald() {	# run_herald CONCURRENCY -> prints msgs/s
	local c=$1 now due t0 t1 half=$((N / 2))
	start_sink
	mkdir -p "$W/h$c"; cd "$W/h$c" || exit 1
	now=$(date +%s); due=$((now + 6))
	{
		echo "herald = { listen = \"127.0.0.1:0\"; timezone = \"Asia/Shanghai\"; store = \"sqlite:b.db\"; engine = { workdays_only = [ ]; workers = 16; }; };"
		echo "channels = ( { name = \"mail\"; plugin = \"email\"; server = \"127.0.0.1:$P\"; from = \"消费促进司 <xfcj@example.gov.cn>\"; starttls = \"no\"; concurrency = $c; rate = \"100000/s\"; burst = 100000; } );"
		echo "contacts = ("
		for i in $(seq 1 "$half"); do
			echo "{ id = \"c$i\"; name = \"联络员$i\"; email = \"c$i@example.gov.cn\"; prefer = [ \"mail\" ]; },"
		done | sed '$ s/,$//'
		echo ");"
		echo "groups = ( { id = \"all\"; members = [ $(for i in $(seq 1 "$half"); do printf '"c%s",' "$i"; done | sed 's/,$//') ]; } );"
		echo "campaigns = ( { id = \"b\"; title = \"压测\"; period = [ \"$(civil "$now")\", \"$(civil $((now + 86400)))\" ];"
		echo "  deadlines = ( { id = \"d\"; title = \"报送材料\"; due = \"$(civil "$due")\"; audience = [ \"all\" ]; remind = [ \"3s\" ]; } ); } );"
	} >b.conf
	HERALD_PLUGIN_DIR=$B/plugins/.libs "$B/core/heraldd" -f -c b.conf >h.log 2>&1 &
	local hp=$!; PIDS+=("$hp")
	# From the reminder instant to the last overdue message; the overdue
	# half starts 3 s later, so time each half from its own instant.
	while [ "$(date +%s)" -lt $((due - 3)) ]; do sleep 0.01; done
	t0=$(date +%s.%N)
	while [ "$(count)" -lt "$half" ]; do sleep 0.01; done
	t1=$(date +%s.%N)
	kill -TERM $hp; kill -TERM "$SINK_PID"; wait $hp 2>/dev/null
	awk -v a="$t0" -v b="$t1" -v n="$half" 'BEGIN { printf "%.0f", n / (b - a) }'
}

run_swaks() {	# one swaks process per message, as a cron script would
	local n=$1 t0 t1
	start_sink
	printf '%s\n' "您好！请按时报送报送材料。" >"$W/body"
	t0=$(date +%s.%N)
	for i in $(seq 1 "$n"); do
		swaks --silent 2 --server 127.0.0.1:$P --from xfcj@example.gov.cn \
		    --to "c$i@example.gov.cn" --header "Subject: =?UTF-8?B?5oql6YCB5p2Q5paZ?=" \
		    --body "$W/body" >/dev/null 2>&1
	done
	while [ "$(count)" -lt "$n" ]; do sleep 0.01; done
	t1=$(date +%s.%N)
	kill -TERM "$SINK_PID"
	awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }'
}

if [ -x /usr/sbin/smtp-sink ]; then SINK=smtp-sink; else SINK=aiosmtpd; fi
sw=$(run_swaks 300)
echo "sink: $SINK; $((N / 2)) reminders per run"
echo "swaks loop (300 messages): $sw msg/s"
for c in 1 4 16; do
	r=$(run_herald "$c")
	echo "heraldd email, concurrency $c: $r msg/s ($(awk -v a="$r" -v b="$sw" 'BEGIN { printf "%.1f", a / b }')x swaks)"
done
