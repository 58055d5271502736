#!/bin/bash
# bench_api.sh - how long the control API holds the event loop with a
# million jobs in the store.  By hand, not from make check:
#
#   contrib/bench/bench_api.sh BUILD_DIR [RUNS]
#
# Plans 100,000 contacts x 10 reminders (genconf.sh plan), starts heraldd,
# then times each request RUNS times (default 5) with curl and prints the
# median and the worst.  Every handler runs on the daemon's one loop, so
# these times are also how long a firing could be delayed by that request.
set -eu
BUILD=$(cd "${1:?usage: bench_api.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-api.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$W"' EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$HERE/genconf.sh" plan 100000 10 |
    sed "s/listen = \"127.0.0.1:0\"/listen = \"127.0.0.1:$port\"/" >"$W/herald.conf"
start=$(date +%s.%N)
"$BUILD/core/heraldd" -f -c "$W/herald.conf" -p "$BUILD/plugins/.libs" \
    >"$W/heraldd.log" 2>&1 &
pid=$!
for _ in $(seq 3000); do
	curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
	sleep 0.1
done
printf 'planned 1,000,000 jobs and listening after %.1f s\n' \
    "$(echo "$(date +%s.%N) - $start" | bc)"

for path in /healthz /v1/status /metrics '/v1/agenda?limit=1000' \
    '/v1/agenda?limit=10000' '/v1/agenda?contact=c050000' \
    '/v1/agenda?state=delivered' /v1/agenda.ics; do
	for _ in $(seq "$RUNS"); do
		curl -s -o /dev/null -w '%{time_total} %{size_download}\n' \
		    "http://127.0.0.1:$port$path"
	done | sort -n | awk -v p="$path" '
		{ t[NR] = $1; b = $2 }
		END { printf "%-30s median %7.1f ms  worst %7.1f ms  %9d bytes\n",
		    p, t[int((NR + 1) / 2)] * 1000, t[NR] * 1000, b }'
done
