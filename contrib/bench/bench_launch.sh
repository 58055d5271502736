#!/bin/bash
# bench_launch.sh - benchmark 2: N launch go-notices due at one instant,
# through the real heraldd and the log channel (JSON to a file).
#
#   bench_launch.sh BUILD_DIR [CONTACTS=10000] [LEAD_SECONDS=10]
#
# Generates a config whose launch instant is LEAD_SECONDS after now, starts
# heraldd -f on it, waits until every go-notice is in sent.log, stops the
# daemon and reads the store: lateness_ms of each launch job is its
# hand-off minus the instant (the dispatcher's clock, ms, truncated), so
# max(lateness_ms) is "instant to last hand-off".  BENCH_PERF=FILE runs
# the daemon under perf record --call-graph dwarf.  Also prints the
# daemon's own spread line and whether the launch was staged (claimed and
# rendered before the instant: prefetch is 5 s).
set -u
BUILD=${1:?usage: bench_launch.sh BUILD_DIR [CONTACTS] [LEAD_SECONDS]}
N=${2:-10000}
LEAD=${3:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
export HERALD_PLUGIN_DIR=${HERALD_PLUGIN_DIR:-$BUILD/plugins/.libs}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-launch.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

at_s=$(( $(date +%s) + LEAD ))
at=$(TZ=Asia/Shanghai date -d "@$at_s" '+%Y-%m-%d %H:%M:%S')
"$HERE/genconf.sh" launch "$N" "$at" >"$W/herald.conf"
cd "$W"
# BENCH_PERF=FILE: record a profile of the daemon into FILE
if [ -n "${BENCH_PERF:-}" ]; then
	perf record -q --call-graph dwarf,16384 -F 499 -o "$BENCH_PERF" -- "$BUILD/core/heraldd" -f -c herald.conf >daemon.log 2>&1 &
else
	"$BUILD/core/heraldd" -f -c herald.conf >daemon.log 2>&1 &
fi
pid=$!

# bounded wait: the instant, then up to 60 s for the last line
deadline=$(( at_s + 60 ))
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

echo "launch benchmark: $N go-notices at $at (Asia/Shanghai), $(nproc) CPUs"
echo "lines in sent.log: $(wc -l 2>/dev/null <sent.log || echo 0)"
sqlite3 bench.db "SELECT 'delivered ' || count(*) || ', instant to first hand-off ' || min(lateness_ms) || ' ms, to last hand-off ' || max(lateness_ms) || ' ms, late flag set on ' || sum(late) FROM jobs WHERE kind = 'launch' AND state = 'delivered'"
sqlite3 bench.db "SELECT 'not delivered: ' || count(*) FROM jobs WHERE kind = 'launch' AND state <> 'delivered'"
sqlite3 bench.db "SELECT 'outcome committed (updated - instant): max ' || ((max(updated) - $at_s)) || ' s' FROM jobs WHERE kind = 'launch'"
grep -E "planned|launch .*go-notices|CLOCK|error|warn" daemon.log | sed 's/^/daemon: /'
