#!/bin/bash
# test_pg_nodes.sh - three heraldd nodes on one PostgreSQL database
# (issue 15), a throwaway cluster (pg.sh) and the recording webhook
# receiver.  Three rounds, each on a fresh database: the three nodes, one
# config (listen = 127.0.0.1:0, so each its own port), N reminders due at
# one instant to N contacts on one webhook channel; kill -9 one node
# early, in the middle and late in the fan-out (a tenth, a half, 85 %;
# a different node each round).  Each round:
#   - every key delivered, the database's delivered keys exactly the keys
#     received;
#   - keys received twice <= the dead node's in-flight bound, CONC x 1:
#     a node frees a channel slot only once the outcome is committed
#     (dispatch_settle()), so the posts it made without a recorded
#     outcome are at most the channel's concurrency, per channel, and
#     there is one channel; what it had claimed and not yet posted comes
#     back once its lease (short here) runs out and is sent once;
#   - /v1/status on a live node lists the three nodes before the kill;
# and after the last round the dead node drops out of /v1/status's live
# nodes once its beats are NODE_LIVE_SECONDS (30 s) old.
# The receiver logs a post when it arrives, before answering: a post in
# flight at the kill is in the log, and a second one is a duplicate.
# Each round prints its duration, deliveries/s and duplicates as TAP
# comments (BENCHMARKS.md).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
N=${HERALD_TEST_NODES_N:-10000}
CONC=8

pg_begin

q() { pg_psql "$2" "$1" 2>/dev/null; }

receiver_start

# The contacts, one group of them all: shared by every round.
contacts_conf "$N" 5 >"$T/people.conf"

# conf FILE DB ROUND AT -- the round's config: its database, its path on
# the receiver, the reminder due at AT; a 7 s lease (the floor: prefetch
# 2 s + 5 s), so that the dead node's claims come back within seconds.
# The receiver answers each post 10 ms late (slow-0.01): at most
# 3 x CONC / 0.01 s = 2,400 posts/s, so that the kill lands inside the
# fan-out however fast the store is (at full speed all of it could pass
# between two looks).
conf() {
	cat >"$1" <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "postgresql://postgres@127.0.0.1:$PG_PORT/$2";
  engine = { workdays_only = [ ]; prefetch = "2s"; lease = "7s"; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-0.01/$3/x";
    concurrency = $CONC; rate = "100000/s"; } );
@include "people.conf"
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil $(($4 - 86400)))", "$(sh_civil $(($4 + 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; due = "$(sh_civil $(($4 + 600)))";
    audience = [ "all" ]; remind = [ "10m" ]; overdue = false; } ); } );
CONF
}

# received ROUND -- posts received so far for the round (fast: no parse)
received() { grep -c "\"/slow-0.01/$1/x\"" "$T/hooks.jsonl" 2>/dev/null || echo 0; }
# stats ROUND -- "keys posts max first last" of the round's posts
stats() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY' 2>/dev/null || echo "0 0 0 0 0"
import collections, json, sys
n = collections.Counter()
first = last = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["path"] == "/slow-0.01/" + sys.argv[2] + "/x":
        n[json.loads(r["body"])["key"]] += 1
        first = first or r["t"]
        last = r["t"]
print(len(n), sum(n.values()), max(n.values(), default=0), first, last)
PY
}
received_keys() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY' | sort -u
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["path"] == "/slow-0.01/" + sys.argv[2] + "/x":
        print(json.loads(r["body"])["key"])
PY
}
# status_nodes API -- "count id,id,..." of the live nodes a node lists
status_nodes() {
	curl -sS -m 5 "$1/v1/status" 2>/dev/null | $PY -c '
import json, sys
j = json.load(sys.stdin)
print(len(j["nodes"]), ",".join(sorted(n["id"] for n in j["nodes"])))' 2>/dev/null
}
status_id() {
	curl -sS -m 5 "$1/v1/status" 2>/dev/null |
	    $PY -c 'import json,sys; print(json.load(sys.stdin)["node"]["id"])' 2>/dev/null
}

round=0
for pct in 10 50 85; do
	round=$((round + 1))
	db=r$round
	victim=$(( (round - 1) % 3 ))
	pg_createdb "$db" || not_ok "round $round: database created"
	at=$(($(date +%s) + 12))
	conf "$T/$db.conf" "$db" "$db" "$at"
	pids=() apis=()
	for k in 0 1 2; do
		start_bg "$T/$db-n$k.log" "$HERALDD" -f -c "$T/$db.conf"
		pids[k]=$BG_PID
	done
	up=1
	for k in 0 1 2; do
		if wait_listen "$T/$db-n$k.log" 30; then
			apis[k]=$API
		else
			up=0
		fi
	done
	planned() { [ "$(q "SELECT count(*) FROM jobs" "$db")" = "$N" ]; }
	if [ "$up" = 1 ] && wait_until 30 planned; then
		ok "round $round: three nodes on one database, $N reminders planned"
	else
		not_ok "round $round: three nodes start and plan $N reminders" \
		    "$(tail -5 "$T/$db"-n*.log)"
	fi
	live=$((victim == 0 ? 1 : 0))
	wait_until 10 test "$(status_nodes "${apis[live]}" | cut -d' ' -f1)" = 3
	is "$(status_nodes "${apis[live]}" | cut -d' ' -f1)" 3 \
	    "round $round: /v1/status on a live node lists three live nodes"
	dead_id=$(status_id "${apis[victim]}")

	# Kill the victim when pct % of the keys have arrived.
	reached() { [ "$(received "$db")" -ge $((N * pct / 100)) ]; }
	if wait_until $((at - $(date +%s) + 40)) reached; then
		kill -KILL "${pids[victim]}"
		t_kill=$(date +%s.%N)
		ok "round $round: node $victim killed at $pct % of the fan-out ($(received "$db") posts)"
	else
		kill -KILL "${pids[victim]}"
		t_kill=$(date +%s.%N)
		not_ok "round $round: the fan-out reaches $pct %" "$(received "$db") posts"
	fi
	wait_exit "${pids[victim]}" 10
	is "$EXIT_STATUS" 137 "round $round: kill -9 ends the node"
	held=$(q "SELECT count(*) FROM jobs WHERE state = 'inflight'" "$db")
	echo "# round $round: $held jobs in flight after the kill"

	all_delivered() { [ "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'" "$db")" = "$N" ]; }
	if wait_until 60 all_delivered; then
		ok "round $round: every reminder delivered by the two live nodes"
	else
		not_ok "round $round: every reminder delivered" \
		    "$(q "SELECT state, owner, count(*) FROM jobs GROUP BY 1, 2" "$db")"
	fi
	sleep 0.5
	read -r keys total max first last <<<"$(stats "$db")"
	is "$keys" "$N" "round $round: the receiver got every one of the $N keys"
	twice=$((total - keys))
	if [ "$twice" -le "$CONC" ] && [ "$max" -le 2 ]; then
		ok "round $round: keys received twice: $twice <= the dead node's in-flight bound $CONC (concurrency x 1 channel)"
	else
		not_ok "round $round: keys received twice <= $CONC" "$twice twice, at most $max times"
	fi
	q "SELECT key FROM jobs WHERE state = 'delivered'" "$db" | LC_ALL=C sort >"$T/db-keys"
	received_keys "$db" | LC_ALL=C sort >"$T/rx-keys"
	if cmp -s "$T/db-keys" "$T/rx-keys"; then
		ok "round $round: the database's delivered keys are exactly the keys received"
	else
		not_ok "round $round: the database agrees with the receiver" \
		    "$(diff "$T/db-keys" "$T/rx-keys" | head -5)"
	fi
	$PY -c "import sys; f, l, k = map(float, sys.argv[1:]); \
print('# round %s: kill at %s %%, first post %.2f s after the instant, last %.2f s; %.0f deliveries/s; %d received twice' % \
('$round', '$pct', f - $at, l - $at, $N / max(l - f, 0.001), $twice)); \
print('# round %s: last delivery %.2f s after the kill' % ('$round', l - k))" \
	    "$first" "$last" "$t_kill"
	survivors=()
	for k in 0 1 2; do
		[ "$k" = "$victim" ] || survivors+=("${pids[k]}")
	done
	if [ "$round" -lt 3 ]; then
		kill -TERM "${survivors[@]}"
		for p in "${survivors[@]}"; do
			wait_exit "$p" 15
		done
		is "$EXIT_STATUS" 0 "round $round: the live nodes stop on SIGTERM"
	fi
done

# The last round's dead node drops out of the live list once its last
# beat is 30 s old (NODE_LIVE_SECONDS); the two others stay.
dropped() { [ "$(status_nodes "${apis[live]}")" != "" ] &&
    [ "$(status_nodes "${apis[live]}" | cut -d' ' -f1)" = 2 ] &&
    ! status_nodes "${apis[live]}" | grep -q -- "$dead_id"; }
if wait_until 45 dropped; then
	ok "the dead node ($dead_id) drops out of /v1/status's live nodes after its beats stop"
else
	not_ok "the dead node drops out of the live nodes" "$(status_nodes "${apis[live]}")"
fi
is "$(q "SELECT count(*) FROM nodes WHERE id = '$dead_id'" r3)" 1 \
    "... its heartbeat row stays in the store (forgotten after a day)"
kill -TERM "${survivors[@]}"
for p in "${survivors[@]}"; do
	wait_exit "$p" 15
done
is "$EXIT_STATUS" 0 "the last live nodes stop on SIGTERM"
warn=
for f in "$T"/r*-n*.log; do
	warn+=$(unexpected_warnings "$f")
done
is "$warn" "" "no warnings on any node"
done_testing
