#!/bin/bash
# test_heraldctl.sh - heraldctl against a real heraldd on loopback: every
# command in its table and --json forms, agenda filters checked row by row
# against what sqlite3 says about the store (queried here, not through
# herald), column alignment with Chinese names measured with Python's
# unicodedata, submit/ack/reload and their effect on the store, and every
# exit code: 1 server error (with reload's file:line list), 2 usage,
# 3 server down, 4 token refused; URL and token from the environment;
# check FILE on a good and a broken config.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
CTL=$HERALDCTL
unset HERALD_URL HERALD_TOKEN_FILE
TOKEN='ctl-测试-token-9f3b'
UUID='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

sql() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1"; }

# ctl ARGS... -- run heraldctl; $OUT, $ERR and $RC get what it did.
ctl() {
	"$CTL" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	RC=$?
	OUT=$(cat "$T/ctl.out")
	ERR=$(cat "$T/ctl.err")
	cat "$T/ctl.out" "$T/ctl.err" >>"$T/all-output"
}

# rows -- the agenda table's rows as "key contact channel kind campaign",
# sorted; the fields are split on blanks (no cell in this test has one).
rows() {
	awk 'NR > 1 && length($10) == 36 && $10 ~ /^[0-9a-f-]+$/ {
	    print $10, $7, $9, $4, $5 }' "$T/ctl.out" | sort
}

# expect WHERE -- the same for the store's jobs matching WHERE.
expect() {
	sql "SELECT key || ' ' || contact || ' ' || channel || ' ' || kind ||
	    ' ' || campaign FROM jobs WHERE $1" | sort
}

now=$(date +%s)
later=$((now + 20 * 86400))	# campaign c's deadline "later"
final=$((now + 25 * 86400))	# "final", in both campaigns

# write_conf EXTRA_CONTACT_FIELD -- the config; the argument lets one run
# break it on a known line.
write_conf() {
	cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  api_token_file = "api.token";
  engine = { workdays_only = [ ]; };
};
channels = (
  { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; },
  { name = "mail"; plugin = "log"; file = "mail.log"; format = "json"; }
);
units = ( { id = "bj"; name = "北京市商务局"; } );
contacts = (
  { id = "bj-wang"; name = "王晓明"; unit = "bj"; prefer = [ "log" ]; },
  { id = "hb-zhang"; name = "张伟"; prefer = [ "log" ]; always = [ "mail" ];$1 }
);
campaigns = (
  { id = "c"; title = "消费季";
    period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 40 * 86400)))" ];
    deadlines = (
      { id = "later"; title = "报送活动总结"; due = "$(sh_civil $later)";
        audience = [ "bj-wang", "hb-zhang" ]; remind = [ "7d", "3d", "1d" ]; },
      { id = "final"; title = "报送数据"; due = "$(sh_civil $final)";
        audience = [ "bj-wang" ]; remind = [ "1d" ]; }
    ); },
  { id = "d"; title = "汽车节";
    period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 40 * 86400)))" ];
    deadlines = (
      { id = "final"; title = "报送名单"; due = "$(sh_civil $final)";
        audience = [ "hb-zhang" ]; remind = [ "2d" ]; }
    ); }
);
CONF
}

cd "$T" || exit 1
write_conf ""
printf '%s\n' "$TOKEN" >api.token
chmod 600 api.token
printf 'not-the-token\n' >wrong.token
chmod 600 wrong.token

# --- without a daemon -----------------------------------------------------
ctl help
is "$RC" 0 "help exits 0"
like "$OUT" 'exit status: 0 success, 1 .*' "help lists the exit codes"
for args in "" "bogus" "job" "job a b" "status --ics" "status extra" \
    "agenda --limit" "agenda --limit 0" "agenda --limit x" "--nope status" \
    "check" "ack --unit KEY" "-u ftp://x status"; do
	# shellcheck disable=SC2086
	ctl $args
	is "$RC" 2 "usage error exits 2: heraldctl $args"
done
like "$ERR" 'not http:// or https://' "a URL that is not HTTP is named"

PATH="$(dirname "$HERALDD"):$PATH" ctl check h.conf
is "$RC" 0 "check accepts a good config"
like "$OUT" 'campaign' "check prints the config summary"
write_conf ' fax = "010-1234";'
bad_line=$(grep -n 'fax = ' h.conf | cut -d: -f1)
cp h.conf broken.conf
write_conf ""
PATH="$(dirname "$HERALDD"):$PATH" ctl check broken.conf
is "$RC" 1 "check refuses a broken config"
like "$OUT$ERR" "broken.conf:$bad_line: .*fax" "check names file:line of the error"

# --- against heraldd ------------------------------------------------------
start_bg "$T/d.log" "$HERALDD" -f -c h.conf
if ! wait_listen "$T/d.log"; then
	not_ok "heraldd listens" "$(cat "$T/d.log")"
	done_testing
	exit 0
fi
ok "heraldd listens on $API"
pid=$BG_PID
# c/later: 2 contacts x (3 reminders + overdue) + hb-zhang's mail copies (4)
# = 12; c/final: bj-wang 2; d/final: hb-zhang 2 x 2 channels = 4.
wait_until 10 log_has "$T/d.log" 'planned 18 jobs' &&
    ok "18 jobs planned" || not_ok "18 jobs planned" "$(cat "$T/d.log")"

ctl -u "$API" status
is "$RC" 0 "status exits 0"
like "$OUT" '^generation: +1$' "status shows generation 1"
like "$OUT" 'jobs: +pending 18,' "status counts 18 pending jobs"
like "$OUT" '^mail +log +ok +0 ' "status lists the mail channel"
ctl -u "$API" status --json
is "$RC" 0 "status --json exits 0"
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["generation"])')" \
    1 "status --json is JSON with generation 1"

# The agenda, whole and filtered, against the store.
ctl -u "$API" agenda
is "$RC" 0 "agenda exits 0"
is "$(rows)" "$(expect "state = 'pending'")" "agenda lists every pending job"
like "$OUT" '^18 jobs$' "agenda counts 18 jobs"
# Every row's KEY column starts at the same terminal column, measured with
# Python's East Asian Width (wide = 2) on the NAME cells before it.
cols=$($PY - "$T/ctl.out" <<'EOF'
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
starts = set()
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}|KEY", line)
    if m:
        starts.add(width(line[:m.start()]))
print(len(starts))
EOF
)
is "$cols" 1 "the KEY column is aligned across Chinese names"
ctl -u "$API" agenda --contact hb-zhang --channel mail
is "$(rows)" "$(expect "state = 'pending' AND contact = 'hb-zhang' AND channel = 'mail'")" \
    "agenda --contact --channel"
is "$(rows | wc -l)" 6 "hb-zhang has 6 jobs on mail"
ctl -u "$API" agenda --campaign d
is "$(rows)" "$(expect "state = 'pending' AND campaign = 'd'")" "agenda --campaign"
# --from/--to: the civil day (Asia/Shanghai) of c/later's 3-day reminders.
day=$(TZ=Asia/Shanghai date -d "@$((later - 3 * 86400))" +%F)
d0=$(TZ=Asia/Shanghai date -d "$day 00:00:00" +%s)
d1=$(TZ=Asia/Shanghai date -d "$day 00:00:00 + 1 day" +%s)
ctl -u "$API" agenda --from "$day" --to "$day"
is "$(rows)" "$(expect "state = 'pending' AND due >= $d0 AND due < $d1")" \
    "agenda --from D --to D is that whole day"
[ -n "$(rows)" ] && ok "that day has jobs" || not_ok "that day has jobs"
ctl -u "$API" agenda --limit 3
is "$(rows | wc -l)" 3 "agenda --limit 3 shows 3 rows"
like "$OUT" 'more left out' "a truncated agenda says so"
ctl -u "$API" agenda --limit 3 --json
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(len(d["jobs"]), d["truncated"])')" \
    "3 True" "agenda --json is the server's JSON"
ctl -u "$API" agenda --from 2001-02-30
is "$RC" 1 "a bad --from is the server's 400: exit 1"
like "$ERR" '\(HTTP 400\)' "the server's reason is shown"

ctl -u "$API" agenda --ics
is "$RC" 0 "agenda --ics exits 0"
is "$(head -1 "$T/ctl.out" | tr -d '\r')" "BEGIN:VCALENDAR" "agenda --ics starts with BEGIN:VCALENDAR"
ctl -u "$API" agenda --ics --campaign d
like "$OUT" 'UID:d/final@herald' "agenda --ics --campaign d has d's deadline"
if printf '%s' "$OUT" | grep -q 'UID:c/'; then
	not_ok "agenda --ics --campaign d leaves c out"
else
	ok "agenda --ics --campaign d leaves c out"
fi
ctl -u "$API" agenda --ics --contact bj-wang
is "$RC" 2 "agenda --ics with a job filter is a usage error"

# job KEY
key=$(sql "SELECT key FROM jobs WHERE campaign = 'd' AND channel = 'log'
    AND kind = 'reminder'")
ctl -u "$API" job "$key"
is "$RC" 0 "job KEY exits 0"
like "$OUT" "^key: +$key\$" "job shows its key"
like "$OUT" '^contact: +hb-zhang \(张伟\)$' "job shows the contact and name"
like "$OUT" '^item: +final \(报送名单\)$' "job shows the item and title"
like "$OUT" 'pending +planned' "job shows its history"
ctl -u "$API" job "$key" --json
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["key"], d["acked"])')" \
    "$key False" "job --json"
ctl -u "$API" job 00000000-0000-4000-8000-000000000000
is "$RC" 1 "an unknown key exits 1"
like "$ERR" '\(HTTP 404\)' "an unknown key is the server's 404"

# Writes need the token: 401 without, 403 with a wrong one.
ctl -u "$API" ack "$key"
is "$RC" 4 "ack without a token exits 4"
ctl -u "$API" -T wrong.token ack "$key"
is "$RC" 4 "ack with a wrong token exits 4"
like "$ERR" '\(HTTP 403\)' "the wrong token is the server's 403"

# ack, then again: the second is "already", with the first time.
ctl -u "$API" -T api.token ack "$key"
is "$RC" 0 "ack exits 0"
like "$OUT" "^$key: seen at " "ack says seen"
first=$(printf '%s' "$OUT" | sed -n 's/.* at \([^;]*\);.*/\1/p')
ctl -u "$API" -T api.token ack "$key"
is "$RC" 0 "a repeated ack exits 0"
like "$OUT" "^$key: already seen at ${first//+/\\+};" "a repeated ack is already, with the first time"
is "$(sql "SELECT count(*) FROM acks WHERE key = '$key'")" 1 "the store has one ack"
ctl -u "$API" -T api.token ack 00000000-0000-4000-8000-000000000000
is "$RC" 1 "ack of an unknown key exits 1"

# submit: campaign found from the agenda when the deadline is in one only.
ctl -u "$API" -T api.token submit final hb-zhang
is "$RC" 2 "submit of a deadline in two campaigns wants --campaign"
like "$ERR" 'choose one with --campaign' "and says so"
ctl -u "$API" -T api.token submit later hb-zhang
is "$RC" 0 "submit later hb-zhang exits 0"
like "$OUT" '^later of campaign c submitted for hb-zhang; 8 pending' \
    "submit names the campaign and cancels hb-zhang's 8 notices"
ctl -u "$API" agenda --contact hb-zhang --campaign c
is "$OUT" "no jobs" "the agenda has none of hb-zhang's reminders for c left"
is "$(sql "SELECT count(*) FROM jobs WHERE contact = 'hb-zhang' AND item = 'later'
    AND state = 'pending'")" 0 "the store agrees"
is "$(sql "SELECT count(*) FROM submissions WHERE campaign = 'c'
    AND deadline = 'later' AND contact = 'hb-zhang'")" 1 "the store has the submission"
ctl -u "$API" -T api.token submit --unit --campaign c --via 电话 --json final bj
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["contacts"], d["cancelled"])')" \
    "['bj-wang'] 2" "submit --unit submits for the unit's contact"
is "$(sql "SELECT unit || ' ' || via FROM submissions WHERE deadline = 'final'")" \
    "bj 电话" "submit --via is recorded (one row, for the unit)"
ctl -u "$API" -T api.token submit --campaign c later nobody
is "$RC" 1 "submit for an unknown contact exits 1"
ctl -u "$API" agenda --state any --campaign c
is "$(rows)" "$(expect "campaign = 'c'")" "agenda --state any shows cancelled jobs too"

# reload, good and broken.
ctl -u "$API" -T api.token reload
is "$RC" 0 "reload exits 0"
like "$OUT" 'generation 2 in use' "reload loads generation 2"
cp broken.conf h.conf
ctl -u "$API" -T api.token reload
is "$RC" 1 "reload of a broken config exits 1"
like "$ERR" "h.conf:$bad_line: .*fax" "reload prints file:line of the error"
ctl -u "$API" status
like "$OUT" '^generation: +2$' "the running config stays generation 2"
like "$OUT" 'FAILED' "status shows the failed reload"
write_conf ""

# URL and token from the environment; flags win over it.
HERALD_URL=$API HERALD_TOKEN_FILE=$T/api.token ctl ack "$key"
is "$RC" 0 "HERALD_URL and HERALD_TOKEN_FILE are used"
HERALD_URL=http://127.0.0.1:1 ctl -u "$API" status
is "$RC" 0 "-u wins over HERALD_URL"
HERALD_URL=$API HERALD_TOKEN_FILE=$T/wrong.token ctl -T api.token ack "$key"
is "$RC" 0 "-T wins over HERALD_TOKEN_FILE"
cp api.token loose.token
chmod 644 loose.token
ctl -u "$API" -T loose.token ack "$key"
is "$RC" 0 "a token file readable by others still works"
like "$ERR" 'warning: token file .* readable by group or others' "with a warning"
ctl -u "$API" -T missing.token status
is "$RC" 2 "a missing token file is a usage error"
if grep -qF "$TOKEN" "$T/all-output"; then
	not_ok "the token is never printed"
else
	ok "the token is never printed"
fi

# Server down.
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "heraldd stops"
ctl -u "$API" status
is "$RC" 3 "status with the server down exits 3"
HERALD_URL=$API ctl agenda
is "$RC" 3 "agenda (URL from env) with the server down exits 3"

# Sanitizer builds: a report from either program fails here, not only
# through a changed exit code.
if grep -Eq 'Sanitizer|runtime error:' "$T/all-output" "$T/d.log"; then
	not_ok "no sanitizer reports" "$(grep -E -A5 'Sanitizer|runtime error:' \
	    "$T/all-output" "$T/d.log" | head -40)"
else
	ok "no sanitizer reports"
fi
is "$(unexpected_warnings "$T/d.log" 'CLOCK NOT SYNCHRONIZED|reload: h\.conf:[0-9]+: .*fax|reload failed')" "" \
    "no unexpected warnings"
done_testing
