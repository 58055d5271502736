#!/bin/bash
# test_sms_reply.sh - SMS replies as acknowledgements (GET /v1/sms/mo)
# through a real Kannel on loopback (bearerbox + smsbox + the fake SMSC,
# tests/integration/kannel.sh): reminders go out through Kannel, then
# replies typed on the "phones" come in through the fake SMSC and Kannel's
# sms-service calls heraldd.
#
#   "2" from A      submits A's most recent open deadline notice; A's
#                   remaining reminders for it are cancelled; B untouched
#   "1" from B      (sent as 0086...) records "seen" on B's latest notice
#   "２" from B      (UCS-2, full-width) submits B's latest deadline notice,
#                   although it was already acknowledged as seen
#   "2" from A      the next most recent open one (another deadline)
#   other text      a help answer, nothing changes
#   unknown number  nothing changes, no answer, logged masked
#   wrong token     403; no token configured (after SIGHUP) 404
# Each answer must come back to the fake SMSC as an SMS, in Chinese.
#
# Which notice is "most recent open" is computed here from the store with
# sqlite3 before each reply, not read from herald's answer.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/kannel.sh"

ALLOWED='CLOCK NOT SYNCHRONIZED'

if ! kannel_available || ! command -v curl >/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP kannel, kannel-extras, curl or sqlite3 not installed"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }	# q_ge SQL N: for wait_until
# String comparison: awk would call "+8613900139000" and "008613900139000"
# the same number.
msgs_to() { kannel_messages "$T/k" | awk -F'\t' -v to="$1" '$1 "" == to ""'; }
msgs_to_ge() { [ "$(msgs_to "$1" | wc -l)" -ge "$2" ]; }
replies() { grep -c 'sms reply' "$T/heraldd.log"; }
replies_ge() { [ "$(replies)" -ge "$1" ]; }

DK="('reminder', 'overdue', 'escalation')"
# The notice a "1" from contact $1 should acknowledge: delivered, due,
# no copy of it acknowledged, its deadline (if any) not submitted;
# the latest due first.
open_seen() {
	q "SELECT key FROM jobs j WHERE contact = '$1' AND state = 'delivered'
	    AND due <= strftime('%s', 'now')
	    AND NOT EXISTS (SELECT 1 FROM acks a JOIN jobs c ON c.key = a.key
	        WHERE c.contact = j.contact AND c.campaign = j.campaign
	        AND c.item = j.item AND c.kind = j.kind
	        AND c.offset_s = j.offset_s AND c.due = j.due)
	    AND NOT (j.kind IN $DK AND EXISTS (SELECT 1 FROM submissions s
	        WHERE s.campaign = j.campaign AND s.deadline = j.item
	        AND s.contact = j.contact))
	    ORDER BY due DESC, key LIMIT 1"
}
# The notice a "2" should submit: the latest delivered deadline notice
# whose deadline the contact has not submitted (a seen ack does not count).
open_submit() {
	q "SELECT key FROM jobs j WHERE contact = '$1' AND state = 'delivered'
	    AND due <= strftime('%s', 'now') AND kind IN $DK
	    AND NOT EXISTS (SELECT 1 FROM submissions s
	        WHERE s.campaign = j.campaign AND s.deadline = j.item
	        AND s.contact = j.contact)
	    ORDER BY due DESC, key LIMIT 1"
}
# Everything herald could change about contact $1.
snap() {
	q "SELECT key || ' ' || state FROM jobs WHERE contact = '$1' ORDER BY key"
	q "SELECT a.key || ' ' || a.via FROM acks a JOIN jobs j ON j.key = a.key
	    WHERE j.contact = '$1' ORDER BY a.key"
	q "SELECT deadline || ' ' || via FROM submissions WHERE contact = '$1' ORDER BY deadline"
}
snap_all() { q "SELECT key || ' ' || state FROM jobs ORDER BY key";
	q "SELECT key FROM acks ORDER BY key"; q "SELECT * FROM submissions ORDER BY 1, 2, 3"; }

# One MO through a fresh fake SMSC (the resident one is stopped first:
# bearerbox takes one fake SMSC at a time).  It stays connected so that
# Kannel's answer reaches it; mo_end disconnects it.
mo() {
	start_bg "$T/k/mo.err" sh -c "exec $KANNEL_FAKE -v 0 -H 127.0.0.1 \
	    -r $KANNEL_SMSC_PORT -m 1 '$1' >>'$T/k/fakesmsc.out' 2>&1"
	MO_PID=$BG_PID
}
mo_end() {
	kill -TERM "$MO_PID" 2>/dev/null
	wait_exit "$MO_PID" 10
	wait_until 15 eval '! _kannel_smsc_online'
}
# mo_wait MSG [REPLY_TO N]: send MSG, wait for herald to log the reply,
# and (with REPLY_TO) for the N-th answer SMS to REPLY_TO.
mo_wait() {
	local before rc=0
	before=$(replies)
	mo "$1"
	wait_until 20 replies_ge $((before + 1)) || rc=1
	if [ $# -ge 3 ]; then
		wait_until 20 msgs_to_ge "$2" "$3" || rc=1
	fi
	mo_end
	return $rc
}

cd "$T" || exit 1
# No "%" or non-ASCII in it: Kannel reads every "%" in get-url as one of
# its escapes, so the token goes into the URL as it is.
TOKEN='moT0ken-42_xyzQ'
printf '%s\n' "$TOKEN" >mo.token
chmod 600 mo.token
PASSWORD='kannel-Pa55'
printf '%s\n' "$PASSWORD" >kannel.pw
chmod 600 kannel.pw
HPORT=$(_kannel_free_port)
kannel_write_conf "$T/k" herald "$PASSWORD"
# Our sms-service instead of kannel.sh's placeholder (see core/api/smsmo.c).
sed -i '/^group = sms-service/,$d' "$KANNEL_CONF"
cat >>"$KANNEL_CONF" <<CONF
group = sms-service
keyword = default
catch-all = true
max-messages = 1
omit-empty = true
accept-x-kannel-headers = true
get-url = "http://127.0.0.1:$HPORT/v1/sms/mo?from=%p&to=%P&text=%a&coding=%c&token=$TOKEN"
CONF
if kannel_start "$T/k"; then
	ok "Kannel (bearerbox, fake SMSC, smsbox) is up"
else
	not_ok "Kannel (bearerbox, fake SMSC, smsbox) is up" \
	    "$(tail -n 5 "$T/k/bearerbox.log" "$T/k/smsbox.log" 2>/dev/null)"
	done_testing
	exit 0
fi

now=$(date +%s)
cat >reply.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:reply.db";
  listen = "127.0.0.1:$HPORT";
  sms_reply_token_file = "mo.token";
  engine = { workdays_only = [ ]; };
};
channels = (
  { name = "sms"; plugin = "sms"; url = "$KANNEL_SENDSMS";
    user = "herald"; password_file = "kannel.pw"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "138 0013 8000"; prefer = [ "sms" ]; },
  { id = "hb-li"; name = "李红"; phone = "+86 139-0013-9000"; prefer = [ "sms" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison"; title = "联络员名单"; due = "$(sh_civil $((now + 900)))";
    audience = [ "bj-wang", "hb-li" ]; remind = [ "897s", "894s", "60s" ];
  }, {
    id = "plan"; title = "重点活动安排表"; due = "$(sh_civil $((now + 1200)))";
    audience = [ "bj-wang", "hb-li" ]; remind = [ "1196s", "120s" ];
  } );
} );
templates = {
  reminder = { default = "{{contact}}您好，请报送{{title}}。"; };
};
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c reply.conf
HPID=$BG_PID
DB=$T/reply.db
API="http://127.0.0.1:$HPORT"
if wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with sms_reply_token_file"
else
	not_ok "heraldd starts with sms_reply_token_file" "$(cat "$T/heraldd.log")"
	kannel_stop
	done_testing
	exit 0
fi

# --- the reminders go out through Kannel -----------------------------------
# Three per contact become due within seconds (liaison at +3 and +6, plan
# at +4); the rest (liaison -60s, plan -120s, the overdue notices) wait.
if wait_until 40 q_ge "SELECT count(*) FROM jobs WHERE state = 'delivered'" 6 &&
    wait_until 20 msgs_to_ge +8613800138000 3 && wait_until 20 msgs_to_ge +8613900139000 3; then
	ok "three reminders per contact are delivered through Kannel"
else
	not_ok "three reminders per contact are delivered through Kannel" \
	    "$(q "SELECT contact, item, offset_s, state FROM jobs")"
fi
is "$(q "SELECT count(*) FROM jobs WHERE state = 'pending'")" 8 \
    "... and eight notices are still pending (4 per contact)"
kannel_stop_smsc

# --- "2" from A submits A's most recent open deadline notice -----------------
expA=$(open_submit bj-wang)
is "$(q "SELECT item || ' ' || offset_s FROM jobs WHERE key = '$expA'")" "liaison 894" \
    "(A's most recent open notice is the liaison reminder sent last)"
snapB=$(snap hb-li)
mo_wait "13800138000 10086 text 2" 13800138000 1
is "$(q "SELECT via FROM submissions WHERE campaign = 'xfcjy-2023' AND deadline = 'liaison' AND contact = 'bj-wang'")" \
    sms "\"2\" from A: A's liaison deadline is submitted, via sms"
is "$(q "SELECT via FROM acks WHERE key = '$expA'")" sms "... and that notice is acknowledged"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'bj-wang' AND item = 'liaison' AND state = 'pending'")" 0 \
    "... A's remaining liaison reminder and overdue notice are no longer pending"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'bj-wang' AND item = 'liaison' AND state = 'cancelled'")" 2 \
    "... they are cancelled (2)"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'bj-wang' AND item = 'plan' AND state = 'pending'")" 2 \
    "... A's other deadline is untouched"
is "$(snap hb-li)" "$snapB" "... and B's notices, acks and submissions are untouched"
is "$(msgs_to 13800138000 | cut -f3)" "已报送登记：联络员名单" \
    "... and A gets the answer SMS \"已报送登记：联络员名单\""
like "$(grep 'sms reply from 138\*\*\*\*8000' "$T/heraldd.log")" "\[info\].*submitted job $expA" \
    "... logged at info with the masked number and the job key"

# --- "1" from B records seen on B's latest notice ---------------------------
expB=$(open_seen hb-li)
is "$(q "SELECT item || ' ' || offset_s FROM jobs WHERE key = '$expB'")" "liaison 894" \
    "(B's most recent open notice is B's liaison reminder sent last)"
mo_wait "008613900139000 10086 text 1" 008613900139000 1
is "$(q "SELECT via FROM acks WHERE key = '$expB'")" sms "\"1\" from B (as 0086...): that notice is acknowledged, via sms"
is "$(q "SELECT count(*) FROM submissions WHERE contact = 'hb-li'")" 0 "... and nothing is submitted for B"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'hb-li' AND state = 'pending'")" 4 \
    "... and B's pending notices stay pending"
is "$(msgs_to 008613900139000 | cut -f3)" "已收到确认：联络员名单" \
    "... and B gets \"已收到确认：联络员名单\""

# --- an unknown number changes nothing ----------------------------------------
before=$(snap_all)
mo_wait "13600136000 10086 text 2"
is "$(snap_all)" "$before" "a reply from an unknown number changes nothing"
like "$(cat "$T/heraldd.log")" '\[notice\].*sms reply from unknown number 136\*\*\*\*6000 ignored' \
    "... and is logged at notice, masked"

# --- other text: help, nothing changes --------------------------------------
before=$(snap_all)
mo_wait "13900139000 10086 text hello" 13900139000 1
is "$(snap_all)" "$before" "other text changes nothing"
is "$(msgs_to 13900139000 | cut -f3)" "回复1表示已收到，回复2表示已报送" "... and gets the help answer"

# --- "２" (full-width, UCS-2) from B submits B's latest deadline notice ------
expB2=$(open_submit hb-li)
is "$expB2" "$expB" "(B's notice to submit is the one B has just seen)"
mo_wait "13900139000 10086 ucs2 %FF%12" 13900139000 2
is "$(q "SELECT via FROM submissions WHERE deadline = 'liaison' AND contact = 'hb-li'")" sms \
    "\"２\" in UCS-2 from B: B's liaison deadline is submitted"
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'hb-li' AND item = 'liaison' AND state = 'pending'")" 0 \
    "... B's remaining liaison notices are cancelled"
is "$(msgs_to 13900139000 | sed -n 2p | cut -f3)" "已报送登记：联络员名单" "... and B gets the answer"

# --- "2" in UCS-2 (00 32: a NUL byte first) from B: B's other deadline --------
expB3=$(open_submit hb-li)
is "$(q "SELECT item FROM jobs WHERE key = '$expB3'")" plan "(B's next open deadline notice is the plan reminder)"
mo_wait "13900139000 10086 ucs2 %00%32" 13900139000 3
is "$(q "SELECT a.via || ' ' || s.via FROM acks a, submissions s WHERE a.key = '$expB3'
    AND s.deadline = 'plan' AND s.contact = 'hb-li'")" "sms sms" \
    "\"2\" in UCS-2 from B submits B's plan deadline on the notice computed here"

# --- "2" from A again: the next open one ------------------------------------
expA2=$(open_submit bj-wang)
is "$(q "SELECT item FROM jobs WHERE key = '$expA2'")" plan "(A's next open deadline notice is the plan reminder)"
mo_wait "13800138000 10086 text 2" 13800138000 2
is "$(q "SELECT via FROM submissions WHERE deadline = 'plan' AND contact = 'bj-wang'")" sms \
    "a second \"2\" from A submits A's other deadline"
is "$(q "SELECT via FROM acks WHERE key = '$expA2'")" sms "... on the notice computed here"
is "$(msgs_to 13800138000 | sed -n 2p | cut -f3)" "已报送登记：重点活动安排表" "... and A gets the answer"
is "$(msgs_to 13600136000 | wc -l)" 0 "the unknown number never got an SMS"

# --- direct calls: tolerance, nothing open, tokens --------------------------
is "$(open_seen bj-wang)" "" "(nothing of A's is open now)"
body=$(curl -s "$API/v1/sms/mo?from=%2B86%20138%200013%208000&to=10086&text=%E3%80%80%EF%BC%91%20&token=$TOKEN")
is "$body" "没有待确认的通知" "\"　１ \" from A with nothing open: \"没有待确认的通知\""
is "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
    "$API/v1/sms/mo?from=13700137000&text=1&token=$TOKEN")" "200 0" \
    "an unknown number gets 200 with an empty body"
before=$(snap_all)
code=$(curl -s -o "$T/403.json" -w '%{http_code}' "$API/v1/sms/mo?from=13800138000&text=1&token=wrong")
is "$code" 403 "a wrong token gets 403"
is "$(/usr/bin/python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))))' "$T/403.json")" \
    "['error']" "... with a JSON error"
is "$(curl -s -o /dev/null -w '%{http_code}' "$API/v1/sms/mo?from=13900139000&text=1")" 403 \
    "no token gets 403"
is "$(curl -s -o /dev/null -w '%{http_code}' "$API/v1/sms/mo?from=13900139000&text=1&token=$TOKEN&x=1")" 400 \
    "an unknown parameter gets 400"
is "$(snap_all)" "$before" "... and none of them changed anything"

# --- no token configured: 404 -------------------------------------------------
sed -i '/sms_reply_token_file/d' reply.conf
kill -HUP "$HPID"
if wait_until 10 log_has "$T/heraldd.log" 'config generation 2 in use'; then
	ok "SIGHUP reloads the config without sms_reply_token_file"
else
	not_ok "SIGHUP reloads the config without sms_reply_token_file" "$(tail -n 5 "$T/heraldd.log")"
fi
code=$(curl -s -o "$T/404.json" -w '%{http_code}' "$API/v1/sms/mo?from=13800138000&text=1&token=$TOKEN")
is "$code $(cat "$T/404.json")" '404 {"error":"SMS replies are off"}' \
    "then /v1/sms/mo answers 404 \"SMS replies are off\""

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
if grep -Eq '13800138000|13900139000|13600136000|13700137000' "$T/heraldd.log"; then
	not_ok "no full phone number in the daemon log" "$(grep -E '1[3-9]001[3-9]' "$T/heraldd.log" | head -3)"
else
	ok "no full phone number in the daemon log"
fi
if grep -qF "$T/heraldd.log"; then
	not_ok "the reply token appears nowhere in the daemon log"
else
	ok "the reply token appears nowhere in the daemon log"
fi
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"
is "$(grep -E 'Sanitizer|runtime error' "$T/heraldd.log" | head -3)" "" "no sanitizer report"
kannel_stop
done_testing
