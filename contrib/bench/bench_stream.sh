#!/bin/bash
# bench_stream.sh - benchmark 3: firing lateness with a big pending agenda.
#
#   bench_stream.sh BUILD_DIR [PER_SECOND=100] [SECONDS=20] [PENDING_OFFSETS=1000]
#
# Due times are whole seconds (job.due is Unix seconds, the config's
# DATETIME has seconds resolution), so "one job due every 10 ms" cannot be
# planned literally.  What this runs instead, through the real heraldd:
#   - PER_SECOND contacts x PENDING_OFFSETS reminders pending in 2030
#     (100 x 1000 = 100,000 jobs the scheduler must not be slowed by);
#   - SECONDS deadlines due one second apart, each with an overdue notice
#     to all PER_SECOND contacts: PER_SECOND jobs due at every whole
#     second, i.e. the same average rate as one every 10 ms, but arriving
#     in bursts at each second.
# Lateness per job is the store's lateness_ms (hand-off minus due, taken
# by the dispatcher, ms truncated); p50/p99/max are over all stream jobs.
# BENCH_PERF=FILE runs the daemon under perf record --call-graph dwarf.
set -u
BUILD=$(cd "${1:?usage: bench_stream.sh BUILD_DIR [PER_SECOND] [SECONDS] [PENDING_OFFSETS]}" && pwd) || exit 1
PER=${2:-100}
SECS=${3:-20}
OFFS=${4:-1000}
LEAD=10
HERE=$(cd "$(dirname "$0")" && pwd)
export HERALD_PLUGIN_DIR=${HERALD_PLUGIN_DIR:-$BUILD/plugins/.libs}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-stream.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

start_s=$(( $(date +%s) + LEAD ))
start=$(TZ=Asia/Shanghai date -d "@$start_s" '+%Y-%m-%d %H:%M:%S')
"$HERE/genconf.sh" stream "$PER" "$OFFS" "$start" "$SECS" >"$W/herald.conf"
N=$(( PER * SECS ))
cd "$W"
if [ -n "${BENCH_PERF:-}" ]; then
	perf record -q --call-graph dwarf,16384 -F 499 -o "$BENCH_PERF" -- "$BUILD/core/heraldd" -f -c herald.conf >daemon.log 2>&1 &
else
	"$BUILD/core/heraldd" -f -c herald.conf >daemon.log 2>&1 &
fi
pid=$!

deadline=$(( start_s + SECS + 60 ))
while [ "$(date +%s)" -le "$deadline" ]; do
	n=$(wc -l 2>/dev/null <sent.log || echo 0)
	[ "$n" -ge "$N" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
pid=

q() { sqlite3 bench.db "$1"; }
sel="FROM jobs WHERE campaign = 'stream' AND state = 'delivered'"
pct() {	# pct P -> lateness_ms at percentile P (nearest rank)
	q "SELECT lateness_ms $sel ORDER BY lateness_ms LIMIT 1 OFFSET (SELECT max(0, CAST((count(*) * $1 + 99) / 100 AS INTEGER) - 1) $sel)"
}
echo "stream benchmark: $PER jobs due at each second for $SECS s, $(q "SELECT count(*) FROM jobs WHERE campaign = 'load' AND state = 'pending'") other jobs pending, $(nproc) CPUs"
echo "lines in sent.log: $(wc -l 2>/dev/null <sent.log || echo 0), delivered in store: $(q "SELECT count(*) $sel")"
echo "lateness (hand-off - due): p50 $(pct 50) ms, p90 $(pct 90) ms, p99 $(pct 99) ms, max $(q "SELECT max(lateness_ms) $sel") ms, min $(q "SELECT min(lateness_ms) $sel") ms"
echo "first-of-second lateness (min per due second): p50/max $(q "SELECT group_concat(m) FROM (SELECT min(lateness_ms) m $sel GROUP BY due ORDER BY m)" | awk -F, '{print $(int((NF+1)/2)) " / " $NF " ms"}')"
# A burst larger than the channel's concurrency sends its first CONC
# jobs at once; the rest wait for those outcomes to be committed (slots
# are freed only then, DESIGN.md rule 3), so their lateness is the
# commit's, fdatasync included.  The split says which of the two a p99 is.
CONC=$(sed -n 's/.*concurrency = \([0-9]*\).*/\1/p' herald.conf | head -1)
ranked="FROM (SELECT lateness_ms, row_number() OVER (PARTITION BY due ORDER BY lateness_ms) AS k $sel)"
pctk() {	# pctk P COND -> lateness_ms at percentile P of the ranked jobs where COND
	q "SELECT lateness_ms $ranked WHERE $2 ORDER BY lateness_ms LIMIT 1 OFFSET (SELECT max(0, CAST((count(*) * $1 + 99) / 100 AS INTEGER) - 1) $ranked WHERE $2)"
}
if [ -n "$CONC" ] && [ "$PER" -gt "$CONC" ]; then
	echo "the first $CONC of each second (the channel's concurrency): p50 $(pctk 50 "k <= $CONC") ms, p99 $(pctk 99 "k <= $CONC") ms; the other $((PER - CONC)), after the first ones' commit: p50 $(pctk 50 "k > $CONC") ms, p99 $(pctk 99 "k > $CONC") ms"
fi
grep -E "planned|error|warn" daemon.log | grep -v CLOCK | sed 's/^/daemon: /'
