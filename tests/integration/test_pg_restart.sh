#!/bin/bash
# test_pg_restart.sh - PostgreSQL restarted in the middle of a fan-out
# (issue 15): pg_ctl stop -m fast a quarter of the way through N webhook
# reminders, 10 s down, started again.  While the store is gone heraldd
# says so once, /healthz answers 503 and nothing more is handed to the
# channel (at most the sends in flight arrive); once the server is back
# heraldd reconnects by itself (backoff of at most 8 s), says so, records
# what it held and finishes: every key received, none more often than
# the channel's concurrency allows, and the database agrees with the
# receiver.  The same machinery as test_store_full.sh's disk, on a
# database server that goes away (heraldd(8), "When the store cannot
# record").
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
N=200
CONC=4

pg_begin

q() { pg_psql herald "$1" 2>/dev/null; }
http_code() { curl -s -o "$T/body" -w '%{http_code}' "$API$1"; }
health_is() { [ "$(http_code /healthz)" = "$1" ]; }
# posts -- "keys posts max" of what the receiver got
posts() {
	$PY - "$T/hooks.jsonl" <<'PY' 2>/dev/null || echo "0 0 0"
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    n[json.loads(json.loads(line)["body"])["key"]] += 1
print(len(n), sum(n.values()), max(n.values(), default=0))
PY
}
keys_ge() { read -r k _ _ <<<"$(posts)"; [ "$k" -ge "$1" ]; }

receiver_start

# N contacts, one reminder each due at one instant, on a channel whose
# receiver takes 100 ms per post: 200 x 0.1 / 4 = 5 s of fan-out.
awk -v n="$N" 'BEGIN {
	print "contacts = ("
	for (i = 1; i <= n; i++)
		printf "  { id = \"c%04d\"; name = \"联络员%04d\"; prefer = [ \"hook\" ]; }%s\n",
		    i, i, i < n ? "," : ""
	print ");"
	print "groups = ( { id = \"all\"; members = ["
	for (i = 1; i <= n; i++)
		printf "  \"c%04d\"%s\n", i, i < n ? "," : ""
	print "] } );"
}' >people.conf
now=$(date +%s)
at=$((now + 3))
cat >h.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$PG_URL";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "hook"; plugin = "webhook";
  url = "http://127.0.0.1:$P/slow-0.1/hook/x"; concurrency = $CONC; rate = "1000/s"; } );
@include "people.conf"
campaigns = ( { id = "c"; title = "扇出演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; due = "$(sh_civil $((at + 600)))";
    audience = [ "all" ]; remind = [ "10m" ]; overdue = false; } ); } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_listen "$T/heraldd.log" 30 && wait_until 20 log_has "$T/heraldd.log" "planned $N jobs: $N new"; then
	ok "heraldd on PostgreSQL plans $N reminders at one instant"
else
	not_ok "heraldd on PostgreSQL plans $N reminders" "$(tail -20 "$T/heraldd.log")"
fi
check "/healthz answers 200 before the fault" health_is 200

if wait_until 30 keys_ge $((N / 4)); then
	ok "the fan-out is under way"
else
	not_ok "the fan-out is under way" "$(posts)"
fi
pg_stop
check "PostgreSQL stops (pg_ctl stop -m fast)" test ! -f "$PG_DIR/data/postmaster.pid"
if wait_until 10 health_is 503; then
	ok "/healthz answers 503 while the database is down"
else
	not_ok "/healthz answers 503 while the database is down" "$(cat "$T/body")"
fi
like "$(cat "$T/body")" '"store": *"failing"' "... and says the store is failing"
if wait_until 5 log_has "$T/heraldd.log" 'store: cannot record outcomes'; then
	ok "the log says the store is failing"
else
	not_ok "the log says the store is failing" "$(tail -5 "$T/heraldd.log")"
fi
# Whatever was in flight arrives within a second; then nothing more.
sleep 1
read -r _ down_from _ <<<"$(posts)"
sleep 8
read -r _ down_to _ <<<"$(posts)"
is "$down_to" "$down_from" "nothing more is handed to the channel while the database is down ($down_from posts)"
if [ "$down_from" -lt "$N" ]; then
	ok "the fault came in the middle ($down_from of $N received)"
else
	not_ok "the fault came in the middle" "$down_from of $N received"
fi
check "heraldd runs on without its database" kill -0 "$pid"
sleep 1

pg_restart
check "PostgreSQL starts again" test -f "$PG_DIR/data/postmaster.pid"
if wait_until 20 log_has "$T/heraldd.log" 'store: recording again after'; then
	ok "heraldd reconnects by itself and says so"
else
	not_ok "heraldd reconnects by itself and says so" "$(tail -5 "$T/heraldd.log")"
fi
check "/healthz answers 200 again" wait_until 10 health_is 200
all_delivered() { [ "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" = "$N" ]; }
if wait_until 40 all_delivered; then
	ok "every reminder is delivered after the restart of the database"
else
	not_ok "every reminder is delivered" "$(q "SELECT state, count(*) FROM jobs GROUP BY 1")"
fi
sleep 0.5
read -r keys total max <<<"$(posts)"
is "$keys" "$N" "the receiver got every one of the $N keys"
if [ $((total - keys)) -le "$CONC" ] && [ "$max" -le 2 ]; then
	ok "keys received twice: $((total - keys)) <= concurrency $CONC"
else
	not_ok "keys received twice <= concurrency $CONC" "$((total - keys)) twice, at most $max times"
fi
is "$(q "SELECT count(*) FROM jobs WHERE state <> 'delivered'")" 0 \
    "nothing is left pending or in flight"
is "$(grep -c 'store: cannot record outcomes' "$T/heraldd.log")" 1 \
    "the fault is one line in the log, not one per job"
kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
# A pre-send check that looked the store up just as the database went
# down says so too (the job is sent, not dropped): the same fault.
is "$(unexpected_warnings "$T/heraldd.log" 'store: cannot record outcomes|CLOCK NOT SYNCHRONIZED|dispatch: postgresql [^ ]*: (look up [a-z ]+|reconnect): ')" "" \
    "no other warnings"
done_testing
