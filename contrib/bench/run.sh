#!/bin/bash
# run.sh - run every herald benchmark against a build dir and print the
# numbers.  By hand, not from make check:
#
#   contrib/bench/run.sh /tmp/b-bench
#
# BUILD_DIR must be configured WITHOUT --enable-sanitizers (default CFLAGS
# -g -O2) and built.  Takes about a minute and a half in all.
set -eu
BUILD=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-run.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "== machine"
grep -m1 'model name' /proc/cpuinfo
echo "cpus: $(nproc), RAM: $(free -m | awk '/^Mem:/ {print $2}') MB, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"

echo "== 1. plan 1,000,000 jobs (1,000 contacts x 1,000 reminder offsets)"
make -s -C "$W" -f "$HERE/Makefile" BUILD="$BUILD" bench_plan
"$HERE/genconf.sh" plan 1000 1000 >"$W/plan.conf"
"$W/bench_plan" "$W/plan.conf" "$W/plan.db"

echo "== 2. 10,000 launch go-notices at one instant (webhook, one run per scenario)"
# exits 1 when a target is missed: report it, run the rest
"$HERE/bench_launch.sh" "$BUILD" 10000 1 || echo "(bench_launch.sh: targets missed, see above)"

echo "== 3. firing lateness, 100,000 pending, 100 due per second for 20 s"
"$HERE/bench_stream.sh" "$BUILD" 100 20 1000
