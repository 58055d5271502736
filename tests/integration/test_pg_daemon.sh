#!/bin/bash
# test_pg_daemon.sh - a real heraldd on the PostgreSQL store (issue 15),
# on a throwaway cluster (pg.sh) and the recording webhook receiver:
#   1. the store's user needs a password (scram on 127.0.0.1), given by
#      herald.store_password_file: heraldd connects, and the password is
#      never in its log; a wrong one stops the start with an error that
#      names host:port/db only;
#   2. N reminders due at one instant and an incident's alerts, all
#      delivered; kill -9 a third of the way through the fan-out, start
#      again: the restarted node has a new owner name, so what the dead
#      one held comes back once its lease (herald.engine.lease, short
#      here) runs out: every key delivered, keys received twice <= the
#      channel's concurrency, the database agrees with the receiver;
#   3. two heraldd started at once on an empty database: one migration
#      row per schema version in herald_schema, one plan (the other node's adds nothing),
#      and each key received once although both nodes send.
# The receiver logs a post when it arrives, before answering: a post in
# flight at the kill is in the log, and a second one is a duplicate.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
N=200
CONC=4
PASSWORD='Pg-pw-7c1e-never-logged'
TOKEN='tok-pg-daemon-5d'

pg_begin

# A user with a password, on a server that asks for it over TCP.
pg_psql herald "CREATE ROLE herald LOGIN PASSWORD '$PASSWORD';
    ALTER DATABASE herald OWNER TO herald;" >/dev/null
pg_createdb twin
pg_psql twin "ALTER DATABASE twin OWNER TO herald;" >/dev/null
{ echo "host all herald 127.0.0.1/32 scram-sha-256"
  cat "$PG_DIR/data/pg_hba.conf"; } >"$T/hba" &&
    cat "$T/hba" >"$PG_DIR/data/pg_hba.conf"
pg_psql herald "SELECT pg_reload_conf()" >/dev/null
URL="postgresql://herald@127.0.0.1:$PG_PORT/herald"
is "$(PGPASSWORD=wrong "$PG_BIN/psql" -X -w -q -A -t "$URL" -c 'SELECT 1' 2>&1 |
    grep -c 'password authentication failed')" 1 \
    "the server asks the user herald for a password"
printf '%s\n' "$PASSWORD" >pg.pass
chmod 600 pg.pass
printf '%s\n' 'not-the-password' >bad.pass
chmod 600 bad.pass
printf '%s\n' "$TOKEN" >token
chmod 600 token

q() { "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d "${2:-herald}" -c "$1" 2>/dev/null; }

receiver_start

# posts PATH_PART -- "keys posts max" of generic bodies whose path has it
posts() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY' 2>/dev/null || echo "0 0 0"
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if "/" + sys.argv[2] + "/" in r["path"]:
        n[json.loads(r["body"])["key"]] += 1
print(len(n), sum(n.values()), max(n.values(), default=0))
PY
}
keys_ge() { read -r k _ _ <<<"$(posts "$1")"; [ "$k" -ge "$2" ]; }
# received_keys PATH_PART -- the keys received, sorted, once each
received_keys() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY' | sort -u
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if "/" + sys.argv[2] + "/" in r["path"]:
        print(json.loads(r["body"])["key"])
PY
}

# conf FILE STORE PASSWORD_FILE PATH_PART AT LEASE -- N contacts on a webhook
# channel whose receiver takes 50 ms per post, a deadline whose reminder
# is due at AT for them all, and an incident plan alerting two desks on
# a fast channel; the claim lease LEASE less the 2 s prefetch.
conf() {
	awk -v n="$N" 'BEGIN {
		print "contacts = ("
		for (i = 1; i <= n; i++)
			printf "  { id = \"c%04d\"; name = \"联络员%04d\"; prefer = [ \"hook\" ]; },\n", i, i
		print "  { id = \"desk1\"; name = \"值班一\"; prefer = [ \"fast\" ]; },"
		print "  { id = \"desk2\"; name = \"值班二\"; prefer = [ \"fast\" ]; }"
		print ");"
		print "groups = ( { id = \"all\"; members = ["
		for (i = 1; i <= n; i++)
			printf "  \"c%04d\"%s\n", i, i < n ? "," : ""
		print "] } );"
	}' >"$T/people-$4.conf"
	cat >"$1" <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$2"; store_password_file = "$3"; api_token_file = "token";
  engine = { workdays_only = [ ]; prefetch = "2s"; lease = "$6"; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-0.05/$4/x";
    concurrency = $CONC; rate = "1000/s"; },
  { name = "fast"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/$4-fast/x"; rate = "100/s"; }
);
@include "people-$4.conf"
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; due = "$(sh_civil $(($5 + 600)))";
    audience = [ "all" ]; remind = [ "10m" ]; overdue = false; } );
  plans = ( { id = "stampede"; title = "踩踏事故应急预案"; level = 1;
    alert = [ "desk1", "desk2" ]; steps = "立即疏散"; repeat = "10m"; } ); } );
CONF
}

now=$(date +%s)

# --- 1. the password ---------------------------------------------------
conf bad.conf "$URL" bad.pass bad $((now + 3600)) 10s
start_bg "$T/bad.log" "$HERALDD" -f -c bad.conf
bad_pid=$BG_PID
wait_exit "$bad_pid" 20
is "$EXIT_STATUS" 1 "a wrong password in store_password_file stops the start"
like "$(cat "$T/bad.log")" "postgresql 127\.0\.0\.1:$PG_PORT/herald: cannot open store" \
    "... with an error naming host:port/db"
is "$(grep -c -e 'not-the-password' -e "$PASSWORD" "$T/bad.log")" 0 \
    "... and neither the wrong password nor the right one"

# --- 2. deadlines, an incident, kill -9 and restart -------------------
at=$((now + 5))
conf h.conf "$URL" pg.pass main "$at" 10s
start_bg "$T/d1.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_listen "$T/d1.log" 30 && wait_until 20 log_has "$T/d1.log" "planned $N jobs: $N new"; then
	ok "heraldd starts on PostgreSQL with the password from its file and plans $N reminders"
else
	not_ok "heraldd starts on PostgreSQL and plans $N reminders" "$(tail -20 "$T/d1.log")"
fi
is "$(q "SELECT count(*) FROM jobs WHERE kind = 'reminder'")" "$N" \
    "... the $N reminders are rows in PostgreSQL"
curl -s -o "$T/body" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    --data-binary '{"plan": "stampede", "venue": "XX商场", "note": "人群拥挤"}' "$API/v1/incidents"
id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body" 2>/dev/null)
like "$id" '^[0-9a-f-]{36}$' "an incident is triggered through the API ($id)"
if wait_until 10 keys_ge main-fast 2; then
	ok "both desks get the incident's alert"
else
	not_ok "both desks get the incident's alert" "$(posts main-fast)"
fi
is "$(q "SELECT count(*) FROM incidents WHERE id = '$id'")" 1 "... the incident is a row in PostgreSQL"

# A third of the way through the reminders' fan-out.
if wait_until 30 keys_ge main $((N / 3)); then
	kill -KILL "$pid"
	ok "the fan-out is under way"
else
	kill -KILL "$pid"
	not_ok "the fan-out is under way" "$(tail -20 "$T/d1.log")"
fi
wait_exit "$pid" 10
is "$EXIT_STATUS" 137 "kill -9 ends the daemon"
read -r at_kill _ _ <<<"$(posts main)"
if [ "$at_kill" -lt "$N" ]; then
	ok "killed in the middle ($at_kill of $N received)"
else
	not_ok "killed in the middle" "$at_kill of $N received"
fi
held=$(q "SELECT count(*) FROM jobs WHERE state = 'inflight'")
like "$held" '^[1-9]' "the dead node left jobs in flight under its lease ($held)"

start_bg "$T/d2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
wait_listen "$T/d2.log" 30 || not_ok "heraldd starts again" "$(tail -n 5 "$T/d2.log")"
like "$(cat "$T/d2.log")" "planned $((N + 0)) jobs: 0 new, 0 changed, 0 cancelled" \
    "the restart plans nothing new"
all_delivered() { [ "$(q "SELECT count(*) FROM jobs WHERE kind = 'reminder' AND state = 'delivered'")" = "$N" ]; }
if wait_until 40 all_delivered; then
	ok "every reminder is delivered after the dead node's lease ran out"
else
	not_ok "every reminder is delivered" \
	    "$(q "SELECT state, owner, count(*) FROM jobs GROUP BY 1, 2")"
fi
# Taken over by a claim ("lease of X expired") or reaped first by the
# live node's timer ("the lease of X ran out"), whichever came first.
like "$(q "SELECT count(*) FROM events WHERE detail LIKE 'lease of % expired' OR detail LIKE 'recovered: the lease of % ran out'")" '^[1-9]' \
    "... the takeover of the dead node's leases is in the history"
sleep 0.5
read -r keys total max <<<"$(posts main)"
is "$keys" "$N" "the receiver got every one of the $N keys"
twice=$((total - keys))
if [ "$twice" -le "$CONC" ] && [ "$max" -le 2 ]; then
	ok "keys received twice: $twice <= concurrency $CONC, none more than twice"
else
	not_ok "keys received twice <= concurrency $CONC" "$twice twice, at most $max times"
fi
is "$(received_keys main)" \
    "$(q "SELECT key FROM jobs WHERE kind = 'reminder' AND state = 'delivered' ORDER BY key" | LC_ALL=C sort)" \
    "the database's delivered reminders are exactly the keys received"
kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(cat "$T/d1.log" "$T/d2.log" | grep -c -e "$PASSWORD")" 0 \
    "the password is in neither log"
is "$(unexpected_warnings "$T/d2.log" 'in flight|recovered|lease')" "" \
    "no unexpected warnings after the restart"

# --- 3. two nodes at once on an empty database ------------------------
TWIN="postgresql://herald@127.0.0.1:$PG_PORT/twin"
at=$(($(date +%s) + 6))
# A long lease: a node slowed down by a loaded machine must not look dead.
conf twin.conf "$TWIN" pg.pass twin "$at" 5m
start_bg "$T/t1.log" "$HERALDD" -f -c twin.conf
p1=$BG_PID
start_bg "$T/t2.log" "$HERALDD" -f -c twin.conf
p2=$BG_PID
if wait_listen "$T/t1.log" 30 && wait_listen "$T/t2.log" 30; then
	ok "two heraldd start at once on an empty database"
else
	not_ok "two heraldd start at once" "$(tail -n 5 "$T/t1.log" "$T/t2.log")"
fi
is "$(q "SELECT count(*), count(DISTINCT version), max(version) FROM herald_schema" twin)" "2|2|2" \
    "... one migration row per schema version (2) in herald_schema"
new=$(cat "$T/t1.log" "$T/t2.log" | sed -n "s/.*planned $N jobs: \([0-9]*\) new.*/\1/p" | sort -n | tr '\n' ' ')
is "$new" "0 $N " "... one plan: one node's adds $N jobs, the other's none"
is "$(q "SELECT count(*) FROM jobs" twin)" "$N" "... $N rows"
twin_done() { [ "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'" twin)" = "$N" ]; }
if wait_until 40 twin_done; then
	ok "the two nodes deliver all $N"
else
	not_ok "the two nodes deliver all $N" "$(q "SELECT state, count(*) FROM jobs GROUP BY 1" twin)"
fi
sleep 0.5
read -r keys total max <<<"$(posts twin)"
is "$keys $total" "$N $N" "each key received once from the two nodes"
kill -TERM "$p1" "$p2"
wait_exit "$p1" 15
is "$EXIT_STATUS" 0 "the first node stops on SIGTERM"
wait_exit "$p2" 15
is "$EXIT_STATUS" 0 "the second node stops on SIGTERM"
is "$(unexpected_warnings "$T/t1.log")$(unexpected_warnings "$T/t2.log")" "" \
    "no warnings on either node"
done_testing
