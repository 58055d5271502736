# tests/integration/store_fault.sh - what the store-fault tests share
# (test_store_full.sh, test_store_readonly.sh): cleanup of their mounts,
# store and receiver queries, and the fan-out they break.  Source it after
# lib.sh; it expects PY, RECEIVER, N and CONC.

MOUNTS=()
_store_fault_cleanup() {
	local m
	for p in "${_bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${_bg_pids[@]}"; do wait "$p" 2>/dev/null; done
	for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
	_lib_cleanup
}
trap _store_fault_cleanup EXIT

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_is() { [ "$(q "$1")" = "$2" ]; }
got() { grep -c . "$T/$1.jsonl" 2>/dev/null || echo 0; }
got_ge() { [ "$(got "$1")" -ge "$2" ]; }
keys() {	# keys NAME -- every X-Herald-Id the receiver got, one per request, sorted
	$PY -c 'import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["headers"].get("X-Herald-Id"))' "$T/$1.jsonl" | LC_ALL=C sort
}
http_code() { curl -s -o "$T/body" -w '%{http_code}' "$API$1"; }
health_is() { [ "$(http_code /healthz)" = "$1" ]; }
metric() { curl -s "$API/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
log_count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

start_receiver() {
	start_bg "$T/$1.out" $PY "$RECEIVER" --port-file "$T/$1.port" --log "$T/$1.jsonl"
	if ! wait_until 15 test -s "$T/$1.port"; then
		not_ok "receiver $1 starts" "$(cat "$T/$1.out")"
		done_testing
		exit 0
	fi
	RPORT=$(cat "$T/$1.port")
}

# fanout_conf NAME -- a receiver for NAME and $T/NAME/h.conf: N reminders
# due a few seconds from now at one instant, through one webhook channel
# of concurrency CONC, the store in $T/NAME/disk (the caller mounts it).
fanout_conf() {
	local name=$1 now due
	start_receiver "$name"
	now=$(date +%s)
	due=$((now + 6 + 600))
	{
		cat <<CONF
herald = { timezone = "Asia/Shanghai"; store = "sqlite:disk/h.db";
  listen = "127.0.0.1:0";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "hook"; plugin = "webhook";
  url = "http://127.0.0.1:$RPORT/slow-0.01/hook";
  concurrency = $CONC; rate = "100000/s"; burst = 10000; } );
contacts = (
CONF
		for i in $(seq 1 $N); do
			sep=,; [ "$i" = $N ] && sep=
			printf '  { id = "c%d"; name = "联络员%d"; prefer = [ "hook" ]; }%s\n' \
			    "$i" "$i" "$sep"
		done
		cat <<CONF
);
groups = ( { id = "all"; members = [ $(for i in $(seq 1 $N); do printf '"c%d",' "$i"; done | sed 's/,$//') ]; } );
campaigns = ( { id = "full"; title = "磁盘写满演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ "all" ]; remind = [ "600s" ]; overdue = false; } ); } );
CONF
	} >"$T/$name/h.conf"
	DB=$T/$name/disk/h.db
}
