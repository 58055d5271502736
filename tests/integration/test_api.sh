#!/bin/bash
# test_api.sh - the JSON control API (doc/api.txt) of a real heraldd on
# loopback, driven with curl: /healthz and /v1/status against counts taken
# from the store file with sqlite3; /v1/agenda's filters, limit and bad
# parameters against the same rows, times recomputed in Python's zoneinfo;
# /v1/jobs/KEY; submissions by contact and by unit cancelling exactly the
# pending reminders the store held; acknowledgements (seen, repeated,
# submitted, conflicts); reload with a good and a broken config; bearer
# authentication (401/403, api_read_auth, writes disabled without
# api_token_file); and every malformed request, each answered with a JSON
# {"error": "..."}.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C

PY=/usr/bin/python3
ALLOWED='CLOCK NOT SYNCHRONIZED|via broken: gave up after 1 attempts: write: No space|channel broken: failing: .*write: No space|reload: h\.conf:[0-9]+: unknown (setting "bogus_key"|channel "nowhere")|reload failed: keeping config generation 3$'
TOKEN='tok-3f9a1c7e-api-test'
cd "$T" || exit 1

sh_day() { TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d'; }
q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }

# call METHOD PATH [CURL ARGS...] -- sets CODE; the body is in $T/body,
# the headers in $T/hdrs.
call() {
	local m=$1 p=$2
	shift 2
	CODE=$(curl -sS -o "$T/body" -D "$T/hdrs" -w '%{http_code}' -X "$m" \
	    "$@" "$API$p" 2>"$T/curl.err") || CODE="curl failed: $(cat "$T/curl.err")"
}
get() { call GET "$@"; }
aget() { call GET "$@" -H "Authorization: Bearer $TOKEN"; }
# post PATH JSON [CURL ARGS...] -- with the token and application/json.
post() {
	local p=$1 body=$2
	shift 2
	call POST "$p" -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

# jv EXPR -- evaluate a Python expression over the last body (j).
jv() {
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
print(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)' \
	    "$T/body" "$1" 2>&1
}

# expect_error CODE DESCRIPTION -- the last answer was CODE with a JSON
# object whose "error" is a non-empty string; sets ERR to it.
expect_error() {
	ERR=$($PY -c 'import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
assert isinstance(j, dict) and isinstance(j["error"], str) and j["error"]
print(j["error"])' "$T/body" 2>/dev/null) || ERR='<no JSON error>'
	if [ "$CODE" = "$1" ] && [ "$ERR" != '<no JSON error>' ]; then
		ok "$2"
	else
		not_ok "$2" "expected $1 with {\"error\": ...}" "got $CODE: $(head -c 600 "$T/body")"
	fi
}

expect_code() {	# expect_code CODE DESCRIPTION
	if [ "$CODE" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2" "expected $1, got $CODE: $(head -c 600 "$T/body")"
	fi
}

now=$(date +%s)
soon=$((now + 4))
liaison=$((now + 20 * 86400))
summary=$((now + 10 * 86400))
printf '%s\n' "$TOKEN" >token
chmod 600 token

# write_conf FILE HERALD_EXTRA CONTACT_BJLI AUDIENCE_EXTRA -- the test's
# config: three contacts in two units, an early deadline and phase that are
# delivered at once, two deadlines with reminders weeks away.
write_conf() {
	cat >"$1" <<CONF
herald = {
  listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  api_max_body = 2048;
  engine = { workdays_only = [ ]; retry = { attempts = 1; }; };
  $2
};
channels = (
  { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; },
  { name = "broken"; plugin = "log"; file = "/dev/full"; }
);
units = (
  { id = "u-bj"; name = "北京市商务局"; },
  { id = "u-sh"; name = "上海市商务委"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; unit = "u-bj"; prefer = [ "log" ]; },
  $3
  { id = "sh-chen"; name = "陈静"; unit = "u-sh"; prefer = [ "audit" ]; },
  { id = "gd-liang"; name = "梁志强"; prefer = [ "broken" ]; }
);
campaigns = ( {
  id = "xfcjy"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 30 * 86400)))" ];
  phases = ( { id = "kickoff"; title = "启动阶段"; from = "$(sh_civil "$soon")";
               to = "$(sh_civil $((now + 86400)))"; notify = [ "bj-wang", "gd-liang" ]; } );
  deadlines = (
    { id = "early"; title = "报送联络员"; due = "$(sh_civil "$soon")";
      audience = [ "sh-chen" ]; },
    { id = "liaison"; title = "报送联络机制名单"; due = "$(sh_civil "$liaison")";
      audience = [ "bj-wang", "sh-chen" $4 ]; remind = [ "7d", "3d", "1d" ]; },
    { id = "summary"; title = "报送活动总结"; due = "$(sh_civil "$summary")";
      audience = [ "u-bj" ]; remind = [ "2d" ]; }
  );
} );
CONF
}

BJLI='{ id = "bj-li"; name = "李红"; unit = "u-bj"; prefer = [ "log" ]; },'
write_conf h.conf "api_token_file = \"token\";" "$BJLI" ', "bj-li"'

# 3 contacts x liaison (3 reminders + overdue) + 2 x summary (1 + 1)
# + early overdue + kickoff phase to two = 12 + 4 + 1 + 2 = 19 jobs.  The
# phase notice to gd-liang goes through a channel writing to /dev/full: it
# fails at once (retry attempts = 1).
start_bg "$T/d.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
if wait_listen "$T/d.log" && wait_until 10 log_has "$T/d.log" 'ready: config generation 1'; then
	ok "heraldd starts and listens ($API)"
else
	not_ok "heraldd starts and listens" "$(cat "$T/d.log")"
	done_testing
	exit 0
fi
settled() {
	[ "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" = 2 ] &&
	[ "$(q "SELECT count(*) FROM jobs WHERE state = 'failed'")" = 1 ]
}
if wait_until 20 settled; then
	ok "the early overdue and one phase notice are delivered, the other failed"
else
	not_ok "the early notices are delivered" "$(q 'SELECT kind, contact, state FROM jobs')"
fi
is "$(q 'SELECT count(*) FROM jobs')" 19 "19 jobs planned"

# --- /healthz ---------------------------------------------------------
get /healthz
expect_code 200 "GET /healthz answers 200"
is "$(jv 'j["ok"], j["generation"]')" '[true, 1]' "/healthz: ok, generation 1"
like "$(grep -i '^content-type:' "$T/hdrs")" 'application/json' "/healthz is application/json"

# --- /v1/status -------------------------------------------------------
tstat=$(date +%s)
get /v1/status
expect_code 200 "GET /v1/status answers 200 without a token (reads open)"
cp "$T/body" status1.json
for s in pending inflight delivered failed missed cancelled; do
	want=$(q "SELECT count(*) FROM jobs WHERE state = '$s'")
	is "$(jv "j['jobs']['$s']")" "$want" "status: jobs.$s = $want as in the store"
done
is "$(jv 'j["generation"]')" 1 "status: generation 1"
is "$(jv 'j["store"]["url"]')" "sqlite:$T/h.db" "status: store url"
is "$(jv 'j["store"]["schema"]')" "$(q 'PRAGMA user_version')" "status: store schema = PRAGMA user_version"
want_version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
is "$(jv 'j["version"]')" "$want_version" "status: version is PACKAGE_VERSION"
started=$(jv 'j["started"]')
like "$started" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00$' "status: started is ISO 8601 in +08:00"
check "status: started is within the test's run and uptime agrees" $PY -c '
import datetime, json, sys, time
j = json.load(open("status1.json"))
st = datetime.datetime.fromisoformat(j["started"]).timestamp()
assert int(sys.argv[1]) - 2 <= st <= time.time(), st
# started + uptime is when the status was asked for
assert int(sys.argv[2]) - 1 <= st + j["uptime"] <= int(sys.argv[2]) + 2, j["uptime"]' "$now" "$tstat"
check "status: channels with counters; health ok, and failing for the broken one" $PY -c '
import json
j = json.load(open("status1.json"))
ch = {c["name"]: c for c in j["channels"]}
assert [c["name"] for c in j["channels"]] == ["log", "audit", "broken"], ch
b = ch.pop("broken")
assert b["health"] == "failing" and b["failed"] == 1 and b["sent"] == 1 and b["delivered"] == 0, b
assert b["saturated"] is False and b["queued"] == 0 and b["in_flight"] == 0, b
for c in ch.values():
    assert c["plugin"] == "log" and c["health"] == "ok" and c["saturated"] is False, c
    assert c["queued"] == 0 and c["in_flight"] == 0 and c["failed"] == 0 and c["retried"] == 0, c
# one notice went out on each: the phase to bj-wang (log), early to sh-chen (audit)
assert ch["log"]["sent"] == 1 and ch["log"]["delivered"] == 1, ch["log"]
assert ch["audit"]["sent"] == 1 and ch["audit"]["delivered"] == 1, ch["audit"]'
check "status: clock and last_reload (never reloaded)" $PY -c '
import json
j = json.load(open("status1.json"))
assert j["clock"]["synchronized"] in (True, False, None), j["clock"]
assert set(j["clock"]) == {"synchronized", "checked_at"}, j["clock"]
assert j["last_reload"] == {"at": None, "ok": True, "errors": [], "warnings": []}, j["last_reload"]'

# --- /v1/agenda -------------------------------------------------------
# The default: pending from now, earliest first.
get /v1/agenda
expect_code 200 "GET /v1/agenda answers 200"
cp "$T/body" agenda.json
q "SELECT key, next_at FROM jobs WHERE state = 'pending' AND next_at >= $(date +%s) ORDER BY next_at, key" >pending.txt
check "agenda: the store's pending jobs from now, earliest first" $PY -c '
import json
j = json.load(open("agenda.json"))
rows = [l.split("|") for l in open("pending.txt").read().split()]
got = [x["key"] for x in j["jobs"]]
assert sorted(got) == sorted(r[0] for r in rows), (got, rows)
assert j["count"] == len(rows) == 16 and j["truncated"] is False, j["count"]
ts = [x["next_at"] for x in j["jobs"]]
assert ts == sorted(ts), ts
assert all(x["state"] == "pending" for x in j["jobs"])
assert j["to"] is None and j["from"].endswith("+08:00"), (j["from"], j["to"])'

# Every field of every job against the store row and the config, times
# recomputed with zoneinfo.
q "SELECT key, campaign, item, kind, contact, channel, due, next_at, state, attempts, late FROM jobs" >rows.txt
check "agenda: fields match the store, names and titles the config, times in +08:00" $PY -c '
import datetime, json, zoneinfo
z = zoneinfo.ZoneInfo("Asia/Shanghai")
iso = lambda t: datetime.datetime.fromtimestamp(int(t), z).isoformat()
rows = {r[0]: r for r in (l.split("|") for l in open("rows.txt").read().split("\n") if l)}
names = {"bj-wang": "王晓明", "bj-li": "李红", "sh-chen": "陈静", "gd-liang": "梁志强"}
titles = {"liaison": "报送联络机制名单", "summary": "报送活动总结", "early": "报送联络员", "kickoff": "启动阶段"}
for x in json.load(open("agenda.json", encoding="utf-8"))["jobs"]:
    r = rows[x["key"]]
    assert [x["campaign"], x["item"], x["kind"], x["contact"], x["channel"]] == r[1:6], (x, r)
    assert x["due"] == iso(r[6]) and x["next_at"] == iso(r[7]), (x, r)
    assert x["state"] == r[8] and x["attempts"] == int(r[9]) and x["late"] is (r[10] == "1"), (x, r)
    assert x["contact_name"] == names[x["contact"]], x
    assert x["title"] == titles[x["item"]], x
    assert "detail" in x, x'

contact_cnt() { q "SELECT count(*) FROM jobs WHERE state = 'pending' AND contact = '$1'"; }
get '/v1/agenda?contact=sh-chen'
check "agenda?contact=sh-chen: only sh-chen's pending jobs, as many as the store has" \
    $PY -c 'import json, sys; j = json.load(open(sys.argv[1]))
assert j["count"] == int(sys.argv[2]) == len(j["jobs"]) and {x["contact"] for x in j["jobs"]} == {"sh-chen"}, j' \
    "$T/body" "$(contact_cnt sh-chen)"
get '/v1/agenda?channel=audit'
is "$(jv 'sorted({x["channel"] for x in j["jobs"]}), j["count"]')" \
    "[[\"audit\"], $(q "SELECT count(*) FROM jobs WHERE state = 'pending' AND channel = 'audit'")]" \
    "agenda?channel=audit: only the audit channel's jobs"
get '/v1/agenda?campaign=xfcjy&state=delivered&from=0'
is "$(jv 'sorted(x["item"] for x in j["jobs"]), j["count"]')" '[["early", "kickoff"], 2]' \
    "agenda?state=delivered&from=0: the two delivered notices"
get '/v1/agenda?state=any&from=0'
is "$(jv 'j["count"]')" "$(q 'SELECT count(*) FROM jobs')" "agenda?state=any&from=0: every job"

# A civil day, "to" inclusive: the liaison's "7d" reminders fall on it.
day=$(sh_day $((liaison - 7 * 86400)))
get "/v1/agenda?from=$day&to=$day"
cp "$T/body" day.json
check "agenda?from=DAY&to=DAY: exactly the jobs whose next_at is on that Shanghai day" $PY -c '
import datetime, json, sys, zoneinfo
z = zoneinfo.ZoneInfo("Asia/Shanghai")
rows = [l.split("|") for l in open("rows.txt").read().split("\n") if l]
want = sorted(r[0] for r in rows if r[8] == "pending" and
    datetime.datetime.fromtimestamp(int(r[7]), z).date().isoformat() == sys.argv[1])
j = json.load(open("day.json"))
assert sorted(x["key"] for x in j["jobs"]) == want and len(want) == 3, (j, want)
assert j["from"] == sys.argv[1] + "T00:00:00+08:00", j["from"]
nxt = datetime.date.fromisoformat(sys.argv[1]) + datetime.timedelta(days=1)
assert j["to"] == nxt.isoformat() + "T00:00:00+08:00", j["to"]' "$day"
# The same with local times and Unix seconds.
get "/v1/agenda?from=${day}T00:00&to=${day}T23:59:59"
is "$(jv 'j["count"]')" 3 "agenda with YYYY-MM-DDTHH:MM[:SS] bounds"
t0=$(TZ=Asia/Shanghai date -d "$day 00:00" +%s)
get "/v1/agenda?from=$t0&to=$((t0 + 86400))"
is "$(jv 'j["count"]')" 3 "agenda with Unix-second bounds"

get '/v1/agenda?limit=2'
is "$(jv 'j["count"], len(j["jobs"]), j["truncated"]')" '[2, 2, true]' "agenda?limit=2: two jobs, truncated"
is "$(jv '[x["key"] for x in j["jobs"]]')" "$($PY -c 'import json; print(json.dumps([x["key"] for x in json.load(open("agenda.json"))["jobs"][:2]]))')" \
    "agenda?limit=2: the two earliest"
get '/v1/agenda?limit=16'
is "$(jv 'j["count"], j["truncated"]')" '[16, false]' "agenda?limit=16 (all): not truncated"

for bad in 'limit=0' 'limit=abc' 'limit=100001' 'limit=-1' 'state=bogus' \
    'from=2023-13-45' 'from=yesterday' 'from=0&to=2023-02-30' 'from=2030-01-02&to=2030-01-01' \
    'bogus=1' 'campaign='; do
	get "/v1/agenda?$bad"
	expect_error 400 "agenda?$bad -> 400"
done
get '/v1/agenda?from=0&to=2023-02-30'
expect_error 400 "a day that does not exist"
like "$ERR" '"to"' "the 400 names the bad bound"
get '/v1/agenda?bogus=1'
expect_error 400 "unknown agenda parameter"
like "$ERR" 'bogus' "the 400 names the unknown parameter"
get '/v1/agenda?state=bogus'
expect_error 400 "bad agenda state"
like "$ERR" 'state' "the 400 names the bad state"
for u in 'campaign=nope' 'contact=nope' 'channel=nope'; do
	get "/v1/agenda?$u"
	expect_error 404 "agenda?$u -> 404"
done
like "$ERR" 'nope' "the 404 names the unknown id"

# --- /v1/jobs/KEY -----------------------------------------------------
KEY=$($PY -c 'import json; print(json.load(open("agenda.json"))["jobs"][0]["key"])')
get "/v1/jobs/$KEY"
expect_code 200 "GET /v1/jobs/KEY for a key from the agenda"
cp "$T/body" job.json
check "job: same fields as in the agenda, history from the store, not acked, no receipts" $PY -c '
import datetime, json, sys, zoneinfo
j = json.load(open("job.json")); a = json.load(open("agenda.json"))["jobs"][0]
for k, v in a.items():
    assert j[k] == v, (k, j[k], v)
assert j["acked"] is False and j["receipts"] == [], j
h = j["history"]
assert h[0]["state"] == "pending" and h[0]["detail"] == "planned", h
assert len(h) == 1 + int(sys.argv[1]), h' \
    "$(q "SELECT count(*) FROM events WHERE key = '$KEY'")"
UPPER=$(printf '%s' "$KEY" | tr a-f A-F)
get "/v1/jobs/$UPPER"
is "$CODE $(jv 'j["key"]')" "200 $KEY" "a key in upper case finds the same job"
DKEY=$(q "SELECT key FROM jobs WHERE item = 'early'")
get "/v1/jobs/$DKEY"
is "$(jv '[e["state"] for e in j["history"]][0], [e["state"] for e in j["history"]][-1], j["state"]')" \
    '["pending", "delivered", "delivered"]' "a delivered job's history ends delivered"
is "$(jv 'len(j["history"])')" "$(( $(q "SELECT count(*) FROM events WHERE key = '$DKEY'") + 1 ))" \
    "history: the creation plus every event in the store"
# A delivery report (GET /v1/dlr) for a log-channel job, unsigned, is a
# forgery since issue 12 (receipts come signed, for SMS jobs only; see
# test_dlr_forged.sh, which also checks the receipts in /v1/jobs/KEY).
get "/v1/dlr?key=$DKEY&part=1&type=1&at=$now&reply=DELIVRD"
expect_code 403 "an unsigned delivery report for a log job is refused"
get "/v1/jobs/$DKEY"
is "$(jv 'j["receipts"]')" "[]" "/v1/jobs/KEY lists no receipt"
is "$(jv '[e["state"] for e in j["history"]].count("receipt")')" 0 "and its history has no receipt event"
get /v1/jobs/not-a-key
expect_error 400 "GET /v1/jobs/not-a-key -> 400"
get "/v1/jobs/${KEY}x"
expect_error 400 "a key with a trailing character -> 400"
get /v1/jobs/00000000-0000-5000-8000-000000000000
expect_error 404 "an unknown well-formed key -> 404"
get /v1/jobs/
expect_error 400 "GET /v1/jobs/ with no key -> 400"
get "/v1/jobs/$KEY?x=1"
expect_error 400 "GET /v1/jobs/KEY with a query parameter -> 400"

# --- auth -------------------------------------------------------------
call POST /v1/reload
expect_error 401 "POST without Authorization -> 401"
like "$(grep -i '^WWW-Authenticate:' "$T/hdrs")" 'Bearer' "the 401 carries WWW-Authenticate: Bearer"
call POST /v1/acks -H 'Authorization: Basic dXNlcjpwYXNz' -H 'Content-Type: application/json' --data '{}'
expect_error 401 "Authorization that is not Bearer -> 401"
call POST /v1/acks -H 'Authorization: Bearer wrong-token' -H 'Content-Type: application/json' \
    --data "{\"key\": \"$KEY\"}"
expect_error 403 "a wrong token -> 403"
call POST /v1/submissions -H "Authorization: Bearer ${TOKEN}x" -H 'Content-Type: application/json' \
    --data '{"campaign": "xfcjy", "deadline": "liaison", "contact": "bj-wang"}'
expect_error 403 "a token with one extra character -> 403"
is "$(q "SELECT count(*) FROM submissions")" 0 "nothing was submitted by the refused calls"

# --- malformed requests -----------------------------------------------
post /v1/acks '{"key": "'"$KEY"'",
  "action": }'
expect_error 400 "malformed JSON -> 400"
like "$ERR" 'line 2, column [0-9]+' "the 400 names the line and column"
post /v1/acks "{\"key\": \"$KEY\", \"bogus\": 1}"
expect_error 400 "an unknown field -> 400"
like "$ERR" '"bogus"' "the 400 names the unknown field"
post /v1/acks '["not", "an", "object"]'
expect_error 400 "a JSON array body -> 400"
post /v1/acks "{\"key\": 5}"
expect_error 400 "a mistyped field -> 400"
post /v1/acks '{}'
expect_error 400 "a missing field -> 400"
like "$ERR" '"key"' "the 400 names the missing field"
post /v1/acks '{"key": "nope"}'
expect_error 400 "a malformed key in an ack -> 400"
post /v1/acks "{\"key\": \"$KEY\", \"action\": \"read\"}"
expect_error 400 "an unknown action -> 400"
call POST /v1/acks -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
    --data-binary "{\"key\": \"$KEY\"}"
expect_error 415 "a text/plain body -> 415"
call POST /v1/acks -H "Authorization: Bearer $TOKEN" --data-binary "{\"key\": \"$KEY\"}"
expect_error 415 "a form-encoded body (curl's default) -> 415"
big=$($PY -c 'import json; print(json.dumps({"key": "x" * 5000}))')
post /v1/acks "$big"
expect_error 413 "a body over api_max_body (2048) -> 413 in JSON"
like "$ERR" '2048' "the 413 names the limit"
get /v1/acks
expect_error 405 "GET /v1/acks -> 405"
like "$(grep -i '^Allow:' "$T/hdrs")" 'POST' "the 405 says Allow: POST"
call DELETE /v1/status
expect_error 405 "DELETE /v1/status -> 405"
post /v1/status '{}'
expect_error 405 "POST /v1/status -> 405"
get /v1/nope
expect_error 404 "an unknown path -> 404"
get /v1/jobs
expect_error 404 "/v1/jobs without the slash is no route -> 404"
is "$(q "SELECT count(*) FROM acks")" 0 "no malformed request recorded an ack"

# --- submissions ------------------------------------------------------
pending_of() {	# pending_of CONTACT ITEM
	q "SELECT count(*) FROM jobs WHERE state = 'pending' AND contact = '$1' AND item = '$2'"
}
n_wang=$(pending_of bj-wang liaison)
n_li=$(pending_of bj-li liaison)
post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison", "contact": "bj-wang"}'
expect_code 200 "POST /v1/submissions for one contact"
# Submissions belong to the unit (issue 10): bj-wang submits for u-bj,
# which closes the deadline for bj-li too.
is "$(jv '[j[k] for k in ("submitted", "unit", "contacts", "cancelled", "already")]')" \
    "[true, \"u-bj\", [\"bj-wang\", \"bj-li\"], $((n_wang + n_li)), false]" \
    "the answer names u-bj, its contacts and the $((n_wang + n_li)) reminders cancelled"
is "$n_wang $n_li" "4 4" "(bj-wang and bj-li each had three reminders and an overdue notice pending)"
is "$(pending_of bj-li liaison)" 0 "store: bj-li's liaison jobs are no longer pending either"
is "$(pending_of bj-wang liaison)" 0 "store: bj-wang's liaison jobs are no longer pending"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'cancelled' AND contact = 'bj-wang' AND item = 'liaison'")" 4 \
    "store: they are cancelled"
is "$(q "SELECT via FROM submissions WHERE contact = 'bj-wang' AND deadline = 'liaison'")" api \
    "store: the submission is recorded via api"
get '/v1/agenda?contact=bj-wang'
is "$(jv '[x["item"] for x in j["jobs"] if x["item"] == "liaison"]')" '[]' \
    "agenda: no pending liaison reminder left for bj-wang"
get '/v1/agenda?contact=bj-wang&state=cancelled&from=0'
is "$(jv 'sorted({(x["item"], x["detail"]) for x in j["jobs"]})')" '[["liaison", "submitted"]]' \
    "agenda?state=cancelled: bj-wang's liaison jobs, cancelled as submitted"

n_unit=$(( $(pending_of bj-wang summary) + $(pending_of bj-li summary) ))
post /v1/submissions '{"campaign": "xfcjy", "deadline": "summary", "unit": "u-bj", "via": "phone"}'
expect_code 200 "POST /v1/submissions for a unit"
is "$(jv 'j["contacts"], j["cancelled"]')" "[[\"bj-wang\", \"bj-li\"], $n_unit]" \
    "every contact of the unit, $n_unit reminders cancelled"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'pending' AND item = 'summary'")" 0 \
    "store: no summary job pending"
is "$(q "SELECT group_concat(unit || ' ' || ifnull(contact, '-') || ' ' || via) FROM submissions WHERE deadline = 'summary'")" 'u-bj - phone' \
    "store: one row for the unit, \"via\" recorded"
get '/v1/agenda?contact=bj-li'
is "$(jv 'sorted({x["item"] for x in j["jobs"]})')" '[]' "agenda: bj-li has nothing left (u-bj submitted both)"

post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison", "contact": "bj-wang"}'
is "$CODE $(jv '[j[k] for k in ("contacts", "cancelled", "already")]')" '200 [["bj-wang", "bj-li"], 0, true]' \
    "a repeated submission cancels nothing more"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison", "contact": "bj-wang", "unit": "u-bj"}'
expect_error 400 "contact and unit together -> 400"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison"}'
expect_error 400 "neither contact nor unit -> 400"
post /v1/submissions '{"deadline": "liaison", "contact": "bj-wang"}'
expect_error 400 "no campaign -> 400"
post /v1/submissions '{"campaign": "xfcjy", "deadline": 7, "contact": "bj-wang"}'
expect_error 400 "a numeric deadline -> 400"
post /v1/submissions '{"campaign": "nope", "deadline": "liaison", "contact": "bj-wang"}'
expect_error 404 "unknown campaign -> 404"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "nope", "contact": "bj-wang"}'
expect_error 404 "unknown deadline -> 404"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "kickoff", "contact": "bj-wang"}'
expect_error 404 "a phase is not a deadline -> 404"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison", "contact": "nope"}'
expect_error 404 "unknown contact -> 404"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison", "unit": "nope"}'
expect_error 404 "unknown unit -> 404"
post /v1/submissions '{"campaign": "xfcjy", "deadline": "liaison", "contact": "sh-chen", "extra": 1}'
expect_error 400 "an unknown field in a submission -> 400"
is "$(q "SELECT count(*) FROM submissions")" 2 "refused submissions recorded nothing (one row per unit and deadline)"

# --- acks -------------------------------------------------------------
PKEY=$(q "SELECT key FROM jobs WHERE item = 'kickoff' AND contact = 'bj-wang'")
post /v1/acks "{\"key\": \"$PKEY\"}"
expect_code 200 "POST /v1/acks (seen by default)"
cp "$T/body" ack1.json
is "$(jv 'j["key"], j["action"], j["already"], j["cancelled"]')" "[\"$PKEY\", \"seen\", false, 0]" \
    "the ack: seen, not already"
check "ack: \"at\" is the store's ack time in +08:00" $PY -c '
import datetime, json, sys, zoneinfo
j = json.load(open("ack1.json"))
want = datetime.datetime.fromtimestamp(int(sys.argv[1]), zoneinfo.ZoneInfo("Asia/Shanghai")).isoformat()
assert j["at"] == want, (j["at"], want)' "$(q "SELECT at FROM acks WHERE key = '$PKEY'")"
post /v1/acks "{\"key\": \"$PKEY\", \"action\": \"seen\"}"
is "$CODE $(jv 'j["already"], j["at"]')" "200 [true, $($PY -c 'import json; print(json.dumps(json.load(open("ack1.json"))["at"]))')]" \
    "a repeat: already true with the first time"
is "$(q "SELECT count(*) FROM acks WHERE key = '$PKEY'")" 1 "store: one ack row"
get "/v1/jobs/$PKEY"
is "$(jv 'j["acked"]')" "$($PY -c 'import json; print(json.load(open("ack1.json"))["at"])')" \
    "/v1/jobs/KEY shows the ack time"
post /v1/acks "{\"key\": \"$PKEY\", \"action\": \"submitted\"}"
expect_error 409 "\"submitted\" for a phase notice (no deadline) -> 409"

RKEY=$(q "SELECT key FROM jobs WHERE contact = 'sh-chen' AND item = 'liaison' AND kind = 'reminder' ORDER BY next_at LIMIT 1")
n_chen=$(pending_of sh-chen liaison)
post /v1/acks "{\"key\": \"$RKEY\", \"action\": \"submitted\"}"
expect_code 200 "\"submitted\" for a deadline reminder"
is "$(jv 'j["action"], j["already"], j["cancelled"]')" "[\"submitted\", false, $n_chen]" \
    "it cancels sh-chen's $n_chen pending liaison jobs"
is "$(pending_of sh-chen liaison)" 0 "store: none of them pending"
is "$(q "SELECT via FROM submissions WHERE contact = 'sh-chen' AND deadline = 'liaison'")" api \
    "store: a submission via api"
post /v1/acks "{\"key\": \"$RKEY\", \"action\": \"submitted\"}"
is "$CODE $(jv 'j["already"]')" "200 true" "submitting again: already"
post /v1/acks '{"key": "00000000-0000-5000-8000-000000000000"}'
expect_error 404 "an ack of an unknown key -> 404"

# --- reload -----------------------------------------------------------
LIKEY=$(q "SELECT key FROM jobs WHERE contact = 'bj-li' AND item = 'liaison' LIMIT 1")
# Generation 2: bj-li leaves, so her pending liaison jobs are cancelled.
write_conf h.conf "api_token_file = \"token\";" '' ''
post /v1/reload ''
expect_code 200 "POST /v1/reload with a good config"
is "$(jv 'j')" '{"ok": true, "generation": 2}' "the answer: ok, generation 2"
get /healthz
is "$(jv 'j["generation"]')" 2 "/healthz says generation 2"
check "the log records the reload through the API" log_has "$T/d.log" 'reload: config generation 2 in use'
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'bj-li' AND item = 'liaison' AND state = 'pending'")" 0 \
    "bj-li's liaison jobs are no longer pending"
post /v1/acks "{\"key\": \"$LIKEY\"}"
expect_error 409 "an ack of a job cancelled by the reload -> 409"
get '/v1/agenda?contact=bj-li'
expect_error 404 "agenda?contact=bj-li: gone from the config -> 404"
post /v1/reload '{}'
is "$CODE $(jv 'j["generation"]')" "200 3" "POST /v1/reload with {} reloads too (generation 3)"
post /v1/reload '{"force": true}'
expect_error 400 "POST /v1/reload with a field -> 400"

# A broken config: an unknown channel and an unknown key.
cp h.conf good.conf
sed -e 's/prefer = \[ "audit" \]/prefer = [ "nowhere" ]/' \
    -e 's/api_max_body = 2048;/api_max_body = 2048; bogus_key = 1;/' good.conf >h.conf
post /v1/reload ''
expect_error 422 "POST /v1/reload with a broken config -> 422"
cp "$T/body" bad.json
check "422: \"errors\" lists file:line: messages, generation 3 kept" $PY -c '
import json, re
j = json.load(open("bad.json"))
assert j["error"] == "config has errors" and j["generation"] == 3, j
assert len(j["errors"]) >= 2, j["errors"]
assert all(re.search(r"h\.conf:\d+: ", e) for e in j["errors"]), j["errors"]
assert any("nowhere" in e for e in j["errors"]) and any("bogus_key" in e for e in j["errors"]), j["errors"]
assert not any(e.startswith("warning") for e in j["errors"]), j["errors"]'
get /healthz
is "$(jv 'j["generation"]')" 3 "the running config is kept (generation 3)"
get /v1/status
cp "$T/body" status2.json
check "status: last_reload ok false with the same errors" $PY -c '
import datetime, json, sys
s = json.load(open("status2.json")); b = json.load(open("bad.json"))
r = s["last_reload"]
assert r["ok"] is False and r["errors"] == b["errors"], r
at = datetime.datetime.fromisoformat(r["at"]).timestamp()
assert int(sys.argv[1]) <= at + 1, r["at"]
assert s["generation"] == 3, s["generation"]' "$now"
cp good.conf h.conf
post /v1/reload ''
is "$CODE $(jv 'j["generation"]')" "200 4" "fixed config reloads (generation 4)"
get /v1/status
is "$(jv 'j["last_reload"]["ok"], j["last_reload"]["errors"], j["generation"]')" '[true, [], 4]' \
    "status: last_reload ok again, no errors"
for s in pending delivered cancelled; do
	is "$(jv "j['jobs']['$s']")" "$(q "SELECT count(*) FROM jobs WHERE state = '$s'")" \
	    "status after the writes: jobs.$s as in the store"
done

# --- api_read_auth ----------------------------------------------------
write_conf h.conf "api_token_file = \"token\"; api_read_auth = true;" '' ''
post /v1/reload ''
is "$CODE $(jv 'j["generation"]')" "200 5" "reload with api_read_auth = true"
get /v1/status
expect_error 401 "api_read_auth: GET /v1/status without a token -> 401"
get /v1/agenda
expect_error 401 "api_read_auth: GET /v1/agenda without a token -> 401"
get "/v1/jobs/$KEY"
expect_error 401 "api_read_auth: GET /v1/jobs/KEY without a token -> 401"
call GET /v1/status -H 'Authorization: Bearer wrong'
expect_error 403 "api_read_auth: a wrong token -> 403"
aget /v1/status
is "$CODE $(jv 'j["generation"]')" "200 5" "api_read_auth: with the token -> 200"
get /healthz
expect_code 200 "api_read_auth: /healthz stays open"

# --- no api_token_file: writes disabled -------------------------------
write_conf h.conf '' "$BJLI" ', "bj-li"'
kill -HUP "$HPID"
gen6() { get /healthz && [ "$(jv 'j["generation"]')" = 6 ]; }
if wait_until 10 gen6; then
	ok "SIGHUP loads a config without api_token_file (generation 6)"
else
	not_ok "SIGHUP loads a config without api_token_file" "$(tail -5 "$T/d.log")"
fi
post /v1/reload ''
expect_error 403 "no api_token_file: POST /v1/reload -> 403"
like "$ERR" 'api_token_file' "the 403 says why"
post /v1/acks "{\"key\": \"$PKEY\"}"
expect_error 403 "no api_token_file: POST /v1/acks -> 403"
call POST /v1/submissions -H 'Content-Type: application/json' \
    --data '{"campaign": "xfcjy", "deadline": "liaison", "contact": "bj-li"}'
expect_error 403 "no api_token_file: a submission without any header -> 403"
get /v1/status
is "$CODE $(jv 'j["generation"]')" "200 6" "no api_token_file: reads stay open"
is "$(q "SELECT count(*) FROM submissions WHERE contact = 'bj-li' AND deadline = 'liaison'")" 0 \
    "the refused submission recorded nothing"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd exits 0 on SIGTERM"
is "$(unexpected_warnings "$T/d.log" "$ALLOWED")" "" "no unexpected warning in the log"
is "$(grep -E 'Sanitizer|runtime error' "$T/d.log")" "" "no sanitizer report in the log"
done_testing
