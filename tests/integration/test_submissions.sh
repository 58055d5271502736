#!/bin/bash
# test_submissions.sh - submissions belong to the unit (DESIGN.md rule 7),
# against a real heraldd on loopback with real time:
#   - a unit submits, then a reload replaces its liaison: the new liaison
#     gets neither the reminder nor the overdue notice for that deadline
#     (checked in what the log channel wrote and in the store), while a
#     contact without a unit who did not submit gets both;
#   - a contact without a unit submits for itself only;
#   - GET /v1/submissions: one row per unit (or unit-less contact), one
#     cell per deadline, checked against the store with sqlite3;
#   - withdrawing a submission (recorded in submission_log, reminders
#     revived while the deadline is ahead);
#   - heraldctl: submissions, status counts, submit of a unit without
#     --unit, --withdraw, the nearest id for a typo, check with the global
#     options, agenda --state delivered looking back by default.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C

PY=/usr/bin/python3
TOKEN='tok-subm-2c41'
cd "$T" || exit 1

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
call() {	# call METHOD PATH [CURL ARGS...] -- CODE, body in $T/body
	local m=$1 p=$2
	shift 2
	CODE=$(curl -sS -o "$T/body" -w '%{http_code}' -X "$m" "$@" \
	    "$API$p" 2>"$T/curl.err") || CODE="curl failed: $(cat "$T/curl.err")"
}
post() {	# post PATH JSON
	call POST "$1" -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' --data-binary "$2"
}
jv() {		# jv EXPR -- a Python expression over the last body (j)
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
print(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)' \
	    "$T/body" "$1" 2>&1
}
sent_to() {	# sent_to CONTACT KIND -- lines the log channel wrote
	$PY -c 'import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    n += m["contact"] == sys.argv[2] and m["kind"] == sys.argv[3]
print(n)' "$T/sent.log" "$1" "$2" 2>/dev/null || echo 0
}

printf '%s\n' "$TOKEN" >token
chmod 600 token
now=$(date +%s)
due=$((now + 30))		# deadline "list": reminder at due - 15 s
later=$((now + 20 * 86400))	# deadline "report": weeks away

# write_conf LIAISON_BLOCK -- u-hb's contacts; the rest stays.
write_conf() {
	cat >h.conf <<CONF
herald = {
  listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  api_token_file = "token";
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
units = ( { id = "u-hb"; name = "河北省商务厅"; liaison = "$1"; } );
contacts = (
  $2
  { id = "free-li"; name = "李自由"; prefer = [ "log" ]; supervisor = "boss"; },
  { id = "free-wu"; name = "吴自由"; prefer = [ "log" ]; supervisor = "boss"; },
  { id = "boss"; name = "王处长"; prefer = [ "log" ]; },
  { id = "boss2"; name = "赵处长"; prefer = [ "log" ]; }
);
campaigns = ( {
  id = "c"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 30 * 86400)))" ];
  deadlines = (
    { id = "list"; title = "报送名单"; due = "$(sh_civil $due)";
      audience = [ "u-hb", "free-li", "free-wu" ]; remind = [ "15s" ];
      escalate = { after = "5s"; }; },
    { id = "report"; title = "报送总结"; due = "$(sh_civil $later)";
      audience = [ "u-hb", "free-li", "free-wu" ]; remind = [ "3d", "1d" ]; }
  );
} );
CONF
}

ZHANG='{ id = "hb-zhang"; name = "张伟"; unit = "u-hb"; prefer = [ "log" ]; supervisor = "boss2"; },'
SUN='{ id = "hb-sun"; name = "孙丽"; unit = "u-hb"; prefer = [ "log" ]; supervisor = "boss2"; },'
write_conf hb-zhang "$ZHANG"
start_bg "$T/d.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
if wait_listen "$T/d.log" && wait_until 10 log_has "$T/d.log" 'ready: config generation 1'; then
	ok "heraldd starts and listens"
else
	not_ok "heraldd starts and listens" "$(cat "$T/d.log")"
	done_testing
	exit 0
fi

# --- the unit submits, then its liaison is replaced ----------------------
post /v1/submissions '{"campaign": "c", "deadline": "list", "contact": "hb-zhang"}'
is "$CODE" 200 "hb-zhang submits \"list\" for u-hb"
post /v1/submissions '{"campaign": "c", "deadline": "list", "contact": "free-li"}'
is "$CODE" 200 "free-li (no unit) submits \"list\" for herself"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'free-wu' AND item = 'list' AND state = 'pending'")" 2 \
    "store: free-wu's reminder and overdue notice stay pending"

write_conf hb-sun "$SUN"
kill -HUP "$HPID"
if wait_until 10 log_has "$T/d.log" 'config generation 2'; then
	ok "SIGHUP: hb-sun replaces hb-zhang as u-hb's liaison"
else
	not_ok "SIGHUP reload" "$(tail -5 "$T/d.log")"
fi
is "$(q "SELECT group_concat(DISTINCT state || ':' || last_detail) FROM jobs WHERE contact = 'hb-sun' AND item = 'list'")" \
    "cancelled:submitted" "the reload cancels hb-sun's \"list\" notices at once: the agenda is honest"

# Past the deadline, with a margin for a loaded machine: free-wu's
# overdue notice is the sign that the overdue round went out.
overdue_out() { [ "$(sent_to free-wu overdue)" -ge 1 ]; }
if wait_until $((due - $(date +%s) + 20)) overdue_out; then
	ok "the overdue notice reached free-wu (no unit, did not submit)"
else
	not_ok "the overdue notice reached free-wu" "$(cat sent.log 2>&1)" "$(tail -20 d.log)"
fi
is "$(sent_to free-wu reminder)" 1 "free-wu got the reminder: free-li's submission was hers only"
is "$(sent_to hb-sun reminder) $(sent_to hb-sun overdue)" "0 0" \
    "hb-sun, u-hb's new liaison, got no reminder and no overdue for \"list\""
is "$(sent_to free-li reminder) $(sent_to free-li overdue)" "0 0" "free-li got nothing after submitting"
is "$(q "SELECT group_concat(DISTINCT state || ':' || last_detail) FROM jobs WHERE contact = 'hb-sun' AND item = 'list'")" \
    "cancelled:submitted" "store: hb-sun's \"list\" jobs are cancelled as submitted"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'hb-sun' AND item = 'report' AND state = 'pending'")" 3 \
    "store: hb-sun's \"report\" reminders and overdue (not submitted) stay pending"

# --- escalations without "to" go to the supervisors -------------------------
is "$(q "SELECT group_concat(contact, ' ') FROM (SELECT contact FROM jobs WHERE kind = 'escalation' ORDER BY contact)")" \
    "boss boss2" "escalate without \"to\": one escalation per supervisor of the audience"
esc_done() { [ "$(q "SELECT count(*) FROM jobs WHERE kind = 'escalation' AND state IN ('pending', 'inflight')")" = 0 ]; }
if wait_until $((due + 5 - $(date +%s) + 20)) esc_done; then
	ok "both escalations came due"
else
	not_ok "both escalations came due" "$(q "SELECT contact, state FROM jobs WHERE kind = 'escalation'")"
fi
check "boss hears about 吴自由 only: 李自由 submitted" $PY -c '
import json, sys
got = [m for m in map(json.loads, open("sent.log", encoding="utf-8")) if m["kind"] == "escalation"]
assert [m["contact"] for m in got] == ["boss"], got
assert "吴自由" in got[0]["body"] and "李自由" not in got[0]["body"], got[0]["body"]'
is "$(q "SELECT state || ':' || last_detail FROM jobs WHERE kind = 'escalation' AND contact = 'boss2'")" \
    "cancelled:all submitted" "boss2's escalation is cancelled: u-hb submitted"

# --- the board: GET /v1/submissions ------------------------------------
call GET '/v1/submissions?campaign=c'
is "$CODE" 200 "GET /v1/submissions?campaign=c"
cp body board1.json
# Expected cells from the store and the config, computed here.
check "board: u-hb, free-li, free-wu x list, report; cells as the store says" $PY -c '
import datetime, json, sqlite3, sys, zoneinfo
j = json.load(open("board1.json", encoding="utf-8"))
db = sqlite3.connect("h.db")
tz = zoneinfo.ZoneInfo("Asia/Shanghai")
iso = lambda t: datetime.datetime.fromtimestamp(t, tz).isoformat()
(c,) = j["campaigns"]
assert c["id"] == "c" and [d["id"] for d in c["deadlines"]] == ["list", "report"], c
assert [(r["unit"], r["contact"], r["name"]) for r in c["rows"]] == [
    ("u-hb", None, "河北省商务厅"), (None, "free-li", "李自由"), (None, "free-wu", "吴自由")], c["rows"]
hb, li, wu = c["rows"]
assert hb["contacts"] == ["hb-sun"] and hb["liaison"] == "hb-sun", hb
(at,) = db.execute("SELECT at FROM submissions WHERE campaign = ? AND deadline = ? AND unit = ?", ("c", "list", "u-hb")).fetchone()
cell = hb["cells"][0]
want = {"deadline": "list", "state": "submitted", "label": "已报送", "at": iso(at),
        "late": False, "via": "api", "by": "hb-zhang", "by_name": None}
assert cell == want, (cell, want)
assert li["cells"][0]["state"] == "submitted" and li["cells"][0]["by"] == "free-li", li
assert (wu["cells"][0]["state"], wu["cells"][0]["label"]) == ("overdue", "逾期"), wu
assert all((r["cells"][1]["state"], r["cells"][1]["label"]) == ("pending", "未报送") for r in c["rows"]), c["rows"]
due = int(sys.argv[1])
dl = c["deadlines"][0]
assert dl["due"] == iso(due) and dl["passed"] is True, dl
assert dl["counts"] == {"asked": 3, "submitted": 2, "pending": 0, "overdue": 1}, dl
assert c["deadlines"][1]["counts"] == {"asked": 3, "submitted": 0, "pending": 3, "overdue": 0}, c["deadlines"][1]
' "$due"
call GET '/v1/submissions?campaign=c&deadline=report'
is "$CODE $(jv '[[d["id"] for d in c["deadlines"]] + [len(r["cells"]) for r in c["rows"]] for c in j["campaigns"]]')" \
    '200 [["report", 1, 1, 1]]' "?deadline=report: one column"
call GET '/v1/submissions?campaign=c&deadline=lsit'
is "$CODE $(jv 'j["error"]')" '404 campaign "c" has no deadline "lsit"; did you mean "list"?' \
    "a mistyped deadline: 404 with the nearest id"
call GET '/v1/submissions?campaign=x'
is "$CODE" 404 "an unknown campaign: 404"
call GET '/v1/submissions?bogus=1'
is "$CODE" 400 "an unknown parameter: 400"

# --- heraldctl submissions and status ------------------------------------
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
ctl() {
	"$HERALDCTL" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	RC=$?
	OUT=$(cat "$T/ctl.out")
	ERR=$(cat "$T/ctl.err")
}
ctl -u "$API" submissions --campaign c
is "$RC" 0 "heraldctl submissions exits 0"
hb_at=$(TZ=Asia/Shanghai date -d "@$(q "SELECT at FROM submissions WHERE unit = 'u-hb' AND deadline = 'list'")" '+%Y-%m-%d %H:%M')
is "$(awk '$1 == "u-hb" { print $3, $4, $5, $6 }' ctl.out)" "$hb_at api 未报送" \
    "the u-hb row: list submitted at $hb_at through api, report 未报送"
is "$(awk '$1 == "free-wu" { print $3, $4 }' ctl.out)" "逾期 未报送" "the free-wu row: 逾期, 未报送"
is "$(awk '$1 == "已报送" { print $2, $3 }' ctl.out)" "2/3 0/3" "the last row counts the submitted"
ctl -u "$API" status
like "$(grep -E '^c +list ' ctl.out)" "^c +list +$(TZ=Asia/Shanghai date -d "@$due" '+%Y-%m-%d %H:%M') +2/3 +0 +1\$" \
    "heraldctl status: list 2/3 submitted, none pending, 1 overdue"

# --- submit without --unit, withdraw ---------------------------------------
n_sun=$(q "SELECT count(*) FROM jobs WHERE contact = 'hb-sun' AND item = 'report' AND state = 'pending'")
ctl -u "$API" -T token submit report u-hb
is "$RC" 0 "submit report u-hb, without --unit, exits 0"
is "$OUT" "report of campaign c submitted for unit u-hb: hb-sun; $n_sun pending notices cancelled" \
    "it finds the unit and cancels hb-sun's $n_sun notices"
is "$(q "SELECT ifnull(contact, '-') || ' ' || via FROM submissions WHERE unit = 'u-hb' AND deadline = 'report'")" '- api' \
    "store: a row for the whole unit"
ctl -u "$API" -T token submit --withdraw report u-hb
is "$RC" 0 "submit --withdraw report u-hb exits 0"
is "$OUT" "report of campaign c withdrawn for unit u-hb: hb-sun; $n_sun notices revived" \
    "the $n_sun notices, still ahead, are revived"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'hb-sun' AND item = 'report' AND state = 'pending'") $(q "SELECT count(*) FROM submissions WHERE deadline = 'report'")" \
    "$n_sun 0" "store: hb-sun's report notices pending again, no submission"
is "$(q "SELECT group_concat(action || ' ' || unit, ', ') FROM (SELECT * FROM submission_log WHERE deadline = 'report' ORDER BY rowid)")" \
    "submitted u-hb, withdrawn u-hb" "store: the log has both"
k=$(q "SELECT key FROM jobs WHERE contact = 'hb-sun' AND item = 'report' LIMIT 1")
is "$(q "SELECT state || ': ' || last_detail FROM jobs WHERE key = '$k'") $(q "SELECT count(*) FROM events WHERE key = '$k' AND state = 'pending' AND detail = 'revived: submission withdrawn'")" \
    "pending: revived: submission withdrawn 1" "the job's history says why it is back"
like "$(grep 'withdrawn' d.log)" 'submission of c/report by unit u-hb withdrawn; 3 notices revived' "the log records the withdrawal"
ctl -u "$API" -T token submit --withdraw report u-hb
is "$RC $ERR" '1 heraldctl: unit "u-hb" has not submitted report of c: nothing to withdraw (HTTP 409)' \
    "withdrawing again: exit 1, nothing to withdraw"
ctl -u "$API" -T token submit --withdraw list free-li
is "$RC $OUT" "0 list of campaign c withdrawn for free-li; 0 notices revived" \
    "withdrawn after the deadline: nothing comes back"
call GET '/v1/submissions?campaign=c&deadline=list'
is "$(jv '[r["cells"][0]["state"] for r in j["campaigns"][0]["rows"]]')" '["submitted", "overdue", "overdue"]' \
    "the board shows free-li overdue again"

# An acknowledgement ("submitted") takes the same path: for the unit.
k=$(q "SELECT key FROM jobs WHERE contact = 'hb-sun' AND item = 'report' AND kind = 'reminder' LIMIT 1")
post /v1/acks "{\"key\": \"$k\", \"action\": \"submitted\"}"
is "$CODE $(jv '[j["action"], j["already"], j["cancelled"]]')" "200 [\"submitted\", false, 3]" \
    "hb-sun acks a report reminder as submitted: her 3 notices cancelled"
is "$(q "SELECT unit || ' ' || contact || ' ' || via FROM submissions WHERE deadline = 'report'")" "u-hb hb-sun api" \
    "store: recorded for u-hb, by hb-sun"

# --- heraldctl friction ----------------------------------------------------
ctl -u "$API" -T token submit lsit free-wu
is "$RC" 1 "submit with a mistyped deadline exits 1"
is "$ERR" 'heraldctl: no campaign has a deadline "lsit"; did you mean "list"?' \
    "it suggests the nearest deadline id"
ctl -u "$API" -T token submit --campaign c reprot free-wu
like "$ERR" 'did you mean "report"\?' "with --campaign the server suggests it"
PATH="$(dirname "$HERALDD"):$PATH" ctl -u "$API" -T token --json check h.conf
is "$RC" 0 "check takes the global options -u, -T and --json"

# --- agenda of a past state looks back -------------------------------------
ctl -u "$API" agenda --state delivered --campaign c
n_del=$(q "SELECT count(*) FROM jobs WHERE campaign = 'c' AND state = 'delivered'")
is "$(grep -c 'delivered' ctl.out)" "$n_del" "agenda --state delivered lists the $n_del delivered jobs without --from"
like "$(grep -c 'free-wu' ctl.out)" '^[1-9]' "(free-wu's reminder and overdue among them)"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd exits 0 on SIGTERM"
is "$(unexpected_warnings "$T/d.log")" "" "no unexpected warning in the log"
done_testing
