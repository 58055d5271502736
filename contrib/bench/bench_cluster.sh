#!/bin/bash
# bench_cluster.sh - issue 15: the 10,000-recipient launch (one instant,
# N go-notices on one generic webhook channel into webhook_sink.c) on 1,
# 2 and 3 heraldd nodes sharing ONE PostgreSQL, beside one node on SQLite.
# Not a test: prints numbers.
#
#   contrib/bench/bench_cluster.sh BUILD_DIR [N=10000] [RUNS=3] [CONFIGS]
#
# CONFIGS is a list of "sqlite" and node counts, default "sqlite 1 2 3".
# LEAD=SECONDS (default 20) puts the instant that far after the start of
# a run: the nodes start, plan (one plan, under the store's lock) and
# stage the notices before it.  CONC (default 64) is the channel's
# concurrency on each node.  BENCH_KEEP=1 keeps the work directory (the
# configs, the daemons' logs, PostgreSQL's CSV log) and prints its path.
#
# PostgreSQL: a throwaway cluster (initdb + pg_ctl) in the work directory
# on this machine's disk, fsync ON and synchronous_commit on, as in
# production -- unlike the tests' pg.sh (../shared/PEERS.md), which runs
# with fsync=off.  A fresh database per run.  Every statement is logged
# with its duration (log_min_duration_statement = 0, csvlog): that is how
# the claim query is timed, and it costs the server some CPU, the same in
# every PostgreSQL configuration (the SQLite runs pay nothing like it).
# BENCH_PGLOG=0 turns the statement log off (no claim latency, no per-node
# share then).
#
# Per run, one line:
#   last      last arrival at the receiver after the instant (s)
#   rate      N / (last arrival - first arrival), deliveries/s
#   spread    first to last arrival (ms)
#   handoff   max lateness_ms in the store: the instant to the last
#             hand-off by a dispatcher (ms)
#   share     go-notices claimed by each node, most first: the ids of
#             each "mark claimed" UPDATE in PostgreSQL's log, counted per
#             owner parameter (a run has no kill, so claimed = sent; the
#             sum is checked against N)
#   claim     the claim query (SELECT ... FOR UPDATE SKIP LOCKED): its
#             execute time on the server, p50 / p99 (ms), and how many
#             claims ran during the run (most find nothing: polls)
#   commit    COMMIT time on the server, p50 / p99 (ms): the WAL flush
#             to disk (a read-only transaction's costs ~0)
# and at the end, per configuration, the median (range) of the runs.
#
# The same script re-runs unchanged after the nodes' share of a launch
# changes (branch "share"): only the share column should move.
set -u
BUILD=$(cd "${1:?usage: bench_cluster.sh BUILD_DIR [N] [RUNS] [CONFIGS]}" && pwd)
N=${2:-10000}
RUNS=${3:-3}
CONFIGS=${4:-sqlite 1 2 3}
LEAD=${LEAD:-20}
CONC=${CONC:-64}
PGLOG=${BENCH_PGLOG:-1}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
export HERALD_PLUGIN_DIR=${HERALD_PLUGIN_DIR:-$BUILD/plugins/.libs}
export LC_ALL=C.UTF-8
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-cluster.XXXXXX")
PIDS=()
SINK_PID=

pg_as() {	# initdb and the server refuse root: run them as postgres
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_stop() {
	[ -f "$W/pg/data/postmaster.pid" ] &&
	    pg_as "$PG_BIN/pg_ctl" -D "$W/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1
}
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	pg_stop
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
civil() { TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
psql_q() {	# psql_q DB SQL
	"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -c "$2"
}

cc -O2 -o "$W/sink" "$SRC/contrib/bench/webhook_sink.c" \
    $(pkg-config --cflags --libs libevent) || exit 1

case " $CONFIGS " in
*" "[0-9]*)
	[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not installed"; exit 1; }
	PG_PORT=$(free_port)
	mkdir -p "$W/pg/log"
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$W"
		chown -R postgres:postgres "$W/pg"
	fi
	pg_as "$PG_BIN/initdb" -D "$W/pg/data" -U postgres -A trust -E UTF8 \
	    --locale=C.UTF-8 >"$W/initdb.log" 2>&1 || { cat "$W/initdb.log"; exit 1; }
	logopts=
	[ "$PGLOG" = 1 ] && logopts="-c logging_collector=on -c log_destination=csvlog -c log_directory=$W/pg/log -c log_filename=pg -c log_rotation_size=0 -c log_min_duration_statement=0"
	# fsync, synchronous_commit and full_page_writes are the defaults;
	# spelled out because the tests turn fsync off.
	pg_as "$PG_BIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/server.log" -w -t 30 start \
	    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $W/pg -c fsync=on -c synchronous_commit=on -c full_page_writes=on $logopts" \
	    >/dev/null || { cat "$W/pg/server.log"; exit 1; }
	PG_VERSION=$(psql_q postgres "SHOW server_version")
	;;
esac

# The contacts and one group of them all, shared by every run.
awk -v n="$N" 'BEGIN {
	print "contacts = ("
	for (i = 1; i <= n; i++)
		printf "  { id = \"c%05d\"; name = \"联络员%05d\"; prefer = [ \"hook\" ]; }%s\n", i, i, i < n ? "," : ""
	print ");"
	printf "groups = ( { id = \"all\"; members = ["
	for (i = 1; i <= n; i++)
		printf "%s\"c%05d\"", (i > 1 ? ", " : " "), i
	print " ]; } );"
}' >"$W/people.conf"

start_sink() {
	rm -f "$W/port"
	"$W/sink" "$W/port" &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
	SINK_PORT=$(cat "$W/port")
}
sink_stats() { curl -s -m 5 "http://127.0.0.1:$SINK_PORT/stats"; }

# conf FILE STORE AT -- one launch at AT to every contact, one webhook
# channel; the same file for every node of a run (listen on port 0: each
# node its own API port).
conf() {
	local day
	day=$(civil "$3")
	day=${day%% *}
	cat >"$1" <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$2"; log_level = "notice";
  engine = { workdays_only = [ ]; prefetch = "5s"; lease = "30s"; }; };
channels = ( { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$SINK_PORT/hook";
  concurrency = $CONC; rate = "1000000/s"; burst = 1000000; } );
@include "people.conf"
campaigns = ( { id = "bench"; title = "launch benchmark";
  period = [ "$day", "$day" ];
  launch = { title = "go"; at = "$(civil "$3")"; audience = [ "all" ]; }; } );
CONF
}

# pglog DB -- "share claim_p50 claim_p99 claims commit_p50 commit_p99"
# from PostgreSQL's CSV log, the lines of database DB only.
pglog() {
	$PY - "$W/pg/log/pg.csv" "$1" <<'PY'
import collections, csv, re, sys
dur = re.compile(r"duration: ([0-9.]+) ms  (\w+) [^:]*: (.*)", re.S)
claims, commits = [], []
share = collections.Counter()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for r in csv.reader(f):
        if len(r) < 15 or r[2] != sys.argv[2]:
            continue
        m = dur.match(r[13])
        if not m:
            continue
        ms, step, sql = float(m.group(1)), m.group(2), m.group(3)
        if step == "execute" and "FOR UPDATE SKIP LOCKED" in sql:
            claims.append(ms)
        elif step == "execute" and sql.startswith("UPDATE job_rows SET state = 'inflight'"):
            p = re.search(r"\$1 = '\{([0-9,]*)\}', \$2 = '([^']*)'", r[14])
            if p:
                share[p.group(2)] += len(p.group(1).split(","))
        elif step == "execute" and sql.strip() == "COMMIT":
            commits.append(ms)
def pct(v, p):
    v = sorted(v)
    return "%.2f" % v[min(len(v) - 1, int(p * len(v)))] if v else "-"
print("/".join(str(n) for n in sorted(share.values(), reverse=True)) or "-",
      pct(claims, .5), pct(claims, .99), len(claims),
      pct(commits, .5), pct(commits, .99))
PY
}

# run CONFIG I -- one run; appends its line to $W/results
run() {
	local cfg=$1 i=$2 nodes store db at k dir pids=() deadline st
	local last rate spread handoff delivered pl
	start_sink
	dir=$W/$cfg-$i
	mkdir -p "$dir"
	if [ "$cfg" = sqlite ]; then
		nodes=1 store="sqlite:$dir/bench.db"
	else
		nodes=$cfg db=b${cfg}_$i
		pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db" || return
		store="postgresql://postgres@127.0.0.1:$PG_PORT/$db"
	fi
	at=$(($(date +%s) + LEAD))
	cp "$W/people.conf" "$dir/"
	conf "$dir/herald.conf" "$store" "$at"
	for ((k = 0; k < nodes; k++)); do
		(cd "$dir" && exec "$BUILD/core/heraldd" -f -c herald.conf) >"$dir/node$k.log" 2>&1 &
		pids+=($!)
		PIDS+=($!)
	done
	# bounded: the instant, then 120 s for the last arrival
	deadline=$((at + 120))
	while [ "$(date +%s)" -le "$deadline" ]; do
		st=$(sink_stats)
		[ "${st%% *}" -ge "$N" ] 2>/dev/null && break
		sleep 0.2
	done
	sleep 0.5
	st=$(sink_stats)
	kill -TERM "${pids[@]}" 2>/dev/null
	for p in "${pids[@]}"; do
		for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	kill -TERM "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
	read -r last rate spread <<<"$(echo "$st" | awk -v n="$N" -v at="$at" '{
		if ($1 < n) { print "incomplete:" $1 " - -"; exit }
		printf "%.3f %.0f %.0f\n", $3 / 1e6 - at, n / (($3 - $2) / 1e6), ($3 - $2) / 1e3 }')"
	if [ "$cfg" = sqlite ]; then
		handoff=$(sqlite3 "$dir/bench.db" "SELECT max(lateness_ms) FROM jobs WHERE kind = 'launch' AND state = 'delivered'")
		delivered=$(sqlite3 "$dir/bench.db" "SELECT count(*) FROM jobs WHERE kind = 'launch' AND state = 'delivered'")
		pl="$N - - - - -"
	else
		handoff=$(psql_q "$db" "SELECT max(lateness_ms) FROM jobs WHERE kind = 'launch' AND state = 'delivered'")
		delivered=$(psql_q "$db" "SELECT count(*) FROM jobs WHERE kind = 'launch' AND state = 'delivered'")
		if [ "$PGLOG" = 1 ]; then pl=$(pglog "$db"); else pl="- - - - - -"; fi
	fi
	printf '%-7s %3s %9s %7s %7s %8s %10s %-17s %6s %6s %6s %6s %6s\n' \
	    "$cfg" "$i" "$last" "$rate" "$spread" "${handoff:--}" "$delivered" $pl |
	    tee -a "$W/results"
	grep -hE "error|warn" "$dir"/node*.log | grep -v "CLOCK NOT SYNCHRONIZED" | head -3 | sed 's/^/  daemon: /'
}

echo "bench_cluster: $N go-notices at one instant, webhook concurrency $CONC per node"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${PG_VERSION:-}" ] && echo "PostgreSQL $PG_VERSION on $(df --output=source "$W" | tail -1), fsync on, synchronous_commit on, statement log $([ "$PGLOG" = 1 ] && echo on || echo off)"
printf '%-7s %3s %9s %7s %7s %8s %10s %-17s %6s %6s %6s %6s %6s\n' \
    config run "last(s)" "rate/s" "spr(ms)" "handoff" delivered share \
    "cl50" "cl99" claims "co50" "co99"
for cfg in $CONFIGS; do
	for ((i = 1; i <= RUNS; i++)); do
		run "$cfg" "$i"
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median (range) per configuration:"
$PY - "$W/results" <<'PY'
import collections, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    rows[f[0]].append(f)
def col(rs, i):
    v = []
    for r in rs:
        try:
            v.append(float(r[i]))
        except ValueError:
            pass
    if not v:
        return "-"
    v.sort()
    m = v[len(v) // 2]
    return "%g (%g-%g)" % (m, v[0], v[-1])
for cfg, rs in rows.items():
    print("%-7s last %s s; rate %s /s; spread %s ms; hand-off %s ms; claim p50 %s ms, p99 %s ms; commit p50 %s ms, p99 %s ms; shares %s" % (
        cfg, col(rs, 2), col(rs, 3), col(rs, 4), col(rs, 5), col(rs, 8),
        col(rs, 9), col(rs, 11), col(rs, 12), " ".join(r[7] for r in rs)))
PY
