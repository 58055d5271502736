#!/bin/bash
# test_store_move.sh - `heraldd --copy-store`: an SQLite store moved into
# PostgreSQL (issue 15), on a throwaway cluster (pg.sh) and the recording
# webhook receiver:
#   1. a real heraldd on SQLite: deadline a's reminders delivered, one of
#      them acknowledged, a submission for deadline b, an incident taken
#      in charge (alerts, ack notices, its timeline); deadline b's other
#      reminders still pending; the copy refuses while it runs;
#   2. stopped: a copy of the file at an older schema version is refused
#      (start heraldd once on it); the move prints one count per table,
#      each the row count read from the file with python's sqlite3;
#   3. heraldd on PostgreSQL with the same config: the plan adds nothing,
#      the job's history, /v1/submissions, /v1/incidents/ID and
#      `heraldctl job` say what they said on SQLite, nothing delivered is
#      sent again and b's pending reminders are delivered once each;
#   4. a second move into the now non-empty database is refused, with a
#      message saying so, and writes nothing.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
TOKEN='tok-store-move-3a'

pg_begin
printf '%s\n' "$TOKEN" >token
chmod 600 token

q() { pg_psql "${2:-herald}" "$1" 2>/dev/null; }

receiver_start

# posts PATH_PART -- "keys posts" of the bodies whose path has /PATH_PART/
posts() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY' 2>/dev/null || echo "0 0"
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if "/" + sys.argv[2] + "/" in r["path"]:
        n[json.loads(r["body"])["key"]] += 1
print(len(n), sum(n.values()))
PY
}
keys_ge() { local k; read -r k _ <<<"$(posts "$1")"; [ "$k" -ge "$2" ]; }
# key_of CONTACT_NAME -- the key of the first post whose text names it
key_of() {
	$PY - "$T/hooks.jsonl" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(line)["body"])
    if sys.argv[2] in json.dumps(b, ensure_ascii=False):
        print(b["key"]); break
PY
}
api() {	# api METHOD PATH [BODY] -- the answer's body on stdout
	if [ -n "${3:-}" ]; then
		curl -s -X "$1" -H "Authorization: Bearer $TOKEN" \
		    -H 'Content-Type: application/json' --data-binary "$3" "$API$2"
	else
		curl -s -H "Authorization: Bearer $TOKEN" "$API$2"
	fi
}
# canon [DROP_KEY] -- stdin's JSON with sorted keys, top-level DROP_KEY removed
canon() {
	$PY -c 'import json, sys
d = json.load(sys.stdin)
if len(sys.argv) > 1: d.pop(sys.argv[1], None)
print(json.dumps(d, sort_keys=True, ensure_ascii=False, indent=1))' "$@"
}

# conf FILE STORE -- four contacts on a webhook channel, deadline a whose
# reminder is due at $A_AT, deadline b whose reminder is due at $B_AT,
# and an incident plan alerting two desks on another path.
conf() {
	cat >"$1" <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai";
  store = "$2"; api_token_file = "token";
  engine = { workdays_only = [ ]; prefetch = "2s"; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/main/x"; },
  { name = "fast"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/fast/x"; }
);
contacts = (
  { id = "c1"; name = "联络员甲"; prefer = [ "hook" ]; },
  { id = "c2"; name = "联络员乙"; prefer = [ "hook" ]; },
  { id = "c3"; name = "联络员丙"; prefer = [ "hook" ]; },
  { id = "c4"; name = "联络员丁"; prefer = [ "hook" ]; },
  { id = "desk1"; name = "值班一"; prefer = [ "fast" ]; },
  { id = "desk2"; name = "值班二"; prefer = [ "fast" ]; }
);
groups = ( { id = "all"; members = [ "c1", "c2", "c3", "c4" ]; } );
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = (
    { id = "a"; title = "报送材料"; due = "$(sh_civil $((A_AT + 600)))";
      audience = [ "all" ]; remind = [ "10m" ]; overdue = false; },
    { id = "b"; title = "报送总结"; due = "$(sh_civil $((B_AT + 600)))";
      audience = [ "all" ]; remind = [ "10m" ]; overdue = false; } );
  plans = ( { id = "stampede"; title = "踩踏事故应急预案"; level = 1;
    alert = [ "desk1", "desk2" ]; steps = "立即疏散"; repeat = "10m"; } ); } );
CONF
}

now=$(date +%s)
A_AT=$((now + 5))
B_AT=$((now + 45))
conf sq.conf "sqlite:$T/h.db"
conf pg.conf "$PG_URL"

# --- 1. on SQLite -------------------------------------------------------
start_bg "$T/d1.log" "$HERALDD" -f -c sq.conf
pid=$BG_PID
if wait_listen "$T/d1.log" 30 && wait_until 20 log_has "$T/d1.log" "planned 8 jobs: 8 new"; then
	ok "heraldd on SQLite plans 8 reminders"
else
	not_ok "heraldd on SQLite plans 8 reminders" "$(tail -20 "$T/d1.log")"
fi

pg_createdb busy
out=$("$HERALDD" --copy-store "sqlite:$T/h.db" "postgresql://postgres@127.0.0.1:$PG_PORT/busy" 2>&1)
rc=$?
is "$rc" 1 "the copy is refused while heraldd has the file open"
like "$out" "h\.db: open in another process \(a running heraldd\?\): stop it first" \
    "... saying so ($out)"
is "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" busy)" 0 \
    "... and writes nothing to the target"

sub=$(api POST /v1/submissions '{"campaign": "xfcjy", "deadline": "b", "contact": "c1"}')
like "$sub" '"cancelled": ?1' "c1 submits deadline b: its reminder is cancelled"
inc=$(api POST /v1/incidents '{"plan": "stampede", "venue": "XX商场", "note": "人群拥挤"}')
id=$(printf '%s' "$inc" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
like "$id" '^[0-9a-f-]{36}$' "an incident is triggered ($id)"
wait_until 15 keys_ge fast 2 || not_ok "both desks get the alert" "$(posts fast)"
like "$(api POST "/v1/incidents/$id/ack" '{"by": "desk1", "note": "已到场"}')" '"state": ?"acked"' \
    "desk1 takes charge of it"
if wait_until 15 keys_ge fast 4 && wait_until 20 keys_ge main 4; then
	ok "the alerts, the ack notices and deadline a's 4 reminders are delivered"
else
	not_ok "alerts, notices and a's reminders delivered" "fast $(posts fast), main $(posts main)"
fi
k_acked=$(key_of 联络员乙)
like "$(api POST /v1/acks "{\"key\": \"$k_acked\"}")" '"already": ?false' \
    "c2 acknowledges its reminder ($k_acked)"
k_sub=$($PY - "$T/h.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT key FROM jobs WHERE contact = 'c1' AND item = 'b'").fetchone()[0])
PY
)
sleep 1
is "$(posts main) $(posts fast)" "4 4 4 4" "nothing is sent twice on SQLite"

# What SQLite's heraldd says, to compare with PostgreSQL's.
api GET "/v1/jobs/$k_acked" | canon >before-acked.json
api GET "/v1/jobs/$k_sub" | canon >before-sub.json
api GET "/v1/submissions?campaign=xfcjy" | canon at >before-subs.json
api GET "/v1/incidents/$id" | canon >before-inc.json
"$HERALDCTL" -u "$API" -T token job "$k_acked" >before-ctl.txt 2>&1
like "$(cat before-acked.json)" '"acked": "20' "... the acknowledged reminder says so"
like "$(cat before-inc.json)" '"what": "ack"' "... the incident's timeline has the ack"
like "$(cat before-sub.json)" '"state": "cancelled"' "... c1's reminder of b is cancelled"
like "$(tr -d ' \n' <before-subs.json)" '"by":"c1".*"state":"submitted"' "... the board shows c1's submission"

kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd on SQLite stops on SIGTERM"
pending=$($PY - "$T/h.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT count(*) FROM jobs WHERE state = 'pending'").fetchone()[0])
PY
)
is "$pending" 3 "deadline b's 3 other reminders are still pending"

# --- 2. the move --------------------------------------------------------
cp h.db old.db
$PY -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA user_version = 7"); db.commit()' old.db
pg_createdb old
out=$("$HERALDD" --copy-store "sqlite:$T/old.db" "postgresql://postgres@127.0.0.1:$PG_PORT/old" 2>&1)
rc=$?
is "$rc" 1 "a store at an older schema version is refused"
like "$out" "old\.db: schema version 7, this herald's is [0-9]+: start this heraldd once on it" \
    "... saying what to do ($out)"

# Row counts read from the file itself, in the tool's order.
$PY - "$T/h.db" >expected-counts.txt <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for t in ["meta", "job_rows", "job_events", "job_acks", "job_receipts",
          "submissions", "submission_log", "incidents", "incident_events"]:
    print(t, db.execute("SELECT count(*) FROM " + t).fetchone()[0])
PY
"$HERALDD" --copy-store "sqlite:$T/h.db" "$PG_URL" >copy.out 2>copy.err
is "$?" 0 "heraldd --copy-store moves the stopped SQLite store into PostgreSQL"
is "$(awk 'NF == 2 { print $1, $2 }' copy.out)" "$(cat expected-counts.txt)" \
    "... printing each table's row count ($(tr '\n' ' ' <expected-counts.txt))"
like "$(tail -1 copy.out)" "0 jobs in flight made pending" "... none was in flight"
got=$(for t in meta job_rows job_events job_acks job_receipts submissions \
    submission_log incidents incident_events; do
	echo "$t $(q "SELECT count(*) FROM $t")"; done)
is "$got" "$(cat expected-counts.txt)" "PostgreSQL holds as many rows per table"

# --- 3. heraldd on PostgreSQL ------------------------------------------
start_bg "$T/d2.log" "$HERALDD" -f -c pg.conf
pid=$BG_PID
wait_listen "$T/d2.log" 30 || not_ok "heraldd starts on PostgreSQL" "$(tail -5 "$T/d2.log")"
if wait_until 20 log_has "$T/d2.log" "planned 8 jobs: 0 new, 0 changed, 0 cancelled"; then
	ok "heraldd on PostgreSQL plans nothing again (0 new)"
else
	not_ok "heraldd on PostgreSQL plans nothing again" "$(grep planned "$T/d2.log")"
fi
api GET "/v1/jobs/$k_acked" | canon >after-acked.json
api GET "/v1/jobs/$k_sub" | canon >after-sub.json
api GET "/v1/submissions?campaign=xfcjy" | canon at >after-subs.json
api GET "/v1/incidents/$id" | canon >after-inc.json
"$HERALDCTL" -u "$API" -T token job "$k_acked" >after-ctl.txt 2>&1
for f in acked sub subs inc; do
	if cmp -s "before-$f.json" "after-$f.json"; then
		ok "the same JSON on PostgreSQL: $f"
	else
		not_ok "the same JSON on PostgreSQL: $f" "$(diff "before-$f.json" "after-$f.json" | head -20)"
	fi
done
if cmp -s before-ctl.txt after-ctl.txt && [ -s after-ctl.txt ]; then
	ok "heraldctl job prints the same history"
else
	not_ok "heraldctl job prints the same history" "$(diff before-ctl.txt after-ctl.txt | head -20)"
fi

if wait_until 60 keys_ge main 7; then
	ok "deadline b's 3 pending reminders are delivered from PostgreSQL"
else
	not_ok "b's pending reminders delivered" "$(posts main)"
fi
sleep 1
is "$(posts main) $(posts fast)" "7 7 4 4" "nothing delivered on SQLite is sent again"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered' AND kind = 'reminder'")" 7 \
    "PostgreSQL has the 7 reminders delivered"
kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd on PostgreSQL stops on SIGTERM"
is "$(unexpected_warnings "$T/d2.log")" "" "no warnings on PostgreSQL"

# A job in flight in the file (a node killed mid-send) arrives pending,
# without owner or lease, and its history says why.
cp h.db inflight.db
$PY -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE job_rows SET state = \x27inflight\x27, owner = \x27dead-node\x27, lease_until = 4000000000 WHERE id = (SELECT min(id) FROM job_rows WHERE state = \x27delivered\x27)")
db.commit()' inflight.db
pg_createdb moved
"$HERALDD" --copy-store "sqlite:$T/inflight.db" "postgresql://postgres@127.0.0.1:$PG_PORT/moved" >copy2.out 2>&1
like "$(tail -1 copy2.out)" "1 job in flight made pending" "a job in flight in the file is counted"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'inflight' OR owner = 'dead-node' OR lease_until IS NOT NULL" moved)" 0 \
    "... no lease and no in-flight state survive the move"
is "$(q "SELECT e.state FROM events e JOIN jobs j USING (key) WHERE j.owner IS NULL AND e.detail LIKE 'in flight when the store was copied%'" moved)" pending \
    "... its history says it was made pending by the copy"

# --- 4. a non-empty target -------------------------------------------
before=$(q "SELECT (SELECT count(*) FROM job_rows), (SELECT count(*) FROM job_events), (SELECT count(*) FROM incident_events), (SELECT count(*) FROM submission_log)")
out=$("$HERALDD" --copy-store "sqlite:$T/h.db" "$PG_URL" 2>&1)
rc=$?
is "$rc" 1 "a move into a database that holds a store is refused"
jobs=$(awk '$1 == "job_rows" { print $2 }' expected-counts.txt)
like "$out" "127\.0\.0\.1:$PG_PORT/herald: not empty \($jobs jobs, .*nothing written" "... saying so ($out)"
is "$(q "SELECT (SELECT count(*) FROM job_rows), (SELECT count(*) FROM job_events), (SELECT count(*) FROM incident_events), (SELECT count(*) FROM submission_log)")" \
    "$before" "... and writes nothing"
done_testing
