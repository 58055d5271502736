#!/bin/bash
# test_incident_sms.sh - issue 14: taking charge of an incident with an
# SMS reply "1", through a real Kannel on loopback (bearerbox + smsbox +
# the fake SMSC, tests/integration/kannel.sh).  The alerts go out over
# the sms channel; the recipient's "1" comes in through Kannel's MO path
# (sms-service get-url) to heraldd's /v1/sms/mo:
#   - the incident is acked by that recipient through door "sms", and the
#     answer SMS says so;
#   - the repeats stop: nothing more is sent past the next repeat instant
#     (repeat every 6 s);
#   - each person alerted gets one taking-charge notice, over SMS, which
#     reaches the fake SMSC;
#   - a second "1" (from the other recipient) changes nothing.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/kannel.sh"
export LC_ALL=C.UTF-8

if ! kannel_available || ! command -v curl >/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP kannel, kannel-extras, curl or sqlite3 not installed"
	exit 0
fi

PY=/usr/bin/python3
q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
# msgs TO REGEX -- MT messages (or parts) to TO whose text matches
msgs() { kannel_messages "$T/k" | awk -F'\t' -v to="$1" '$1 "" == to ""' |
	cut -f3 | grep -cE -- "$2"; }
msgs_ge() { [ "$(msgs "$1" "$2")" -ge "$3" ]; }
replies() { grep -c 'sms reply' "$T/heraldd.log"; }
replies_ge() { [ "$(replies)" -ge "$1" ]; }
# One MO through a fresh fake SMSC (bearerbox takes one at a time); the
# resident one comes back after it, so that later MTs reach it.
mo() {	# mo "FROM TO text MSG" -- waits for heraldd to log the reply
	local before rc=0
	before=$(replies)
	kannel_stop_smsc
	start_bg "$T/k/mo.err" sh -c "exec $KANNEL_FAKE -v 0 -H 127.0.0.1 \
	    -r $KANNEL_SMSC_PORT -m 1 '$1' >>'$T/k/fakesmsc.out' 2>&1"
	MO_PID=$BG_PID
	wait_until 20 replies_ge $((before + 1)) || rc=1
	# The answer SMS reaches this fake SMSC before it goes.
	wait_until 10 msgs_ge "$2" "$3" "$4" || rc=1
	kill -TERM "$MO_PID" 2>/dev/null
	wait_exit "$MO_PID" 10
	wait_until 15 eval '! _kannel_smsc_online'
	kannel_start_smsc || rc=1
	return $rc
}

cd "$T" || exit 1
TOKEN='moT0ken-incident-9'
API_TOKEN='tok-incident-sms-3e'
printf '%s\n' "$TOKEN" >mo.token
printf '%s\n' "$API_TOKEN" >api.token
printf '%s\n' 'kannel-Pa55' >kannel.pw
chmod 600 mo.token api.token kannel.pw
HPORT=$(_kannel_free_port)
kannel_write_conf "$T/k" herald 'kannel-Pa55'
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
cat >h.conf <<CONF
herald = { listen = "127.0.0.1:$HPORT"; timezone = "Asia/Shanghai";
  store = "sqlite:h.db"; api_token_file = "api.token";
  sms_reply_token_file = "mo.token";
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "sms"; plugin = "sms"; url = "$KANNEL_SENDSMS";
    user = "herald"; password_file = "kannel.pw"; }
);
contacts = (
  { id = "lead"; name = "张丽"; phone = "138 0013 8000"; prefer = [ "sms" ]; },
  { id = "member"; name = "王强"; phone = "+86 139-0013-9000"; prefer = [ "sms" ]; }
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  plans = ( { id = "fire"; title = "火灾应急预案"; level = 2;
    alert = [ "lead", "member" ]; steps = "立即疏散"; repeat = "6s"; } ); } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
API=http://127.0.0.1:$HPORT
if ! wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	not_ok "heraldd starts" "$(tail -20 "$T/heraldd.log")"
	kannel_stop
	done_testing
	exit 0
fi

curl -s -o "$T/body" -H "Authorization: Bearer $API_TOKEN" \
    -H 'Content-Type: application/json' \
    --data-binary '{"plan": "fire", "venue": "XX商场", "note": "扶梯口冒烟"}' "$API/v1/incidents"
id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body" 2>/dev/null)
like "$id" '^[0-9a-f-]{36}$' "an incident is triggered over the API ($id)"

# Wave 0 through Kannel to both phones (the alert's first part names the
# plan and its level).
ALERT='【应急】火灾应急预案（2级）'
delivered() { [ "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND offset_s = 0 AND state = 'delivered'")" -ge 2 ]; }
if wait_until 20 delivered && wait_until 20 msgs_ge +8613800138000 "$ALERT" 1 &&
    wait_until 20 msgs_ge +8613900139000 "$ALERT" 1; then
	ok "wave 0 reaches both phones through Kannel"
else
	not_ok "wave 0 reaches both phones through Kannel" \
	    "$(q "SELECT contact, offset_s, state, last_detail FROM jobs")" "$(kannel_messages "$T/k")"
fi

is "$(msgs +8613800138000 '回复1接手。') $(msgs +8613900139000 '回复1接手。')" "1 1" \
    "... each alert saying how to take charge: 回复1接手"

# --- "1" from the member takes charge ---
mo "13900139000 10086 text 1" 13900139000 '接手' 1
is "$(q "SELECT state || '|' || acked_by || '|' || acked_door FROM incidents WHERE id = '$id'")" \
    "acked|member|sms" "\"1\" from the member: acked by the member through door sms"
acked_at=$(q "SELECT acked_at FROM incidents WHERE id = '$id'")
is "$(kannel_messages "$T/k" | awk -F'\t' '$1 == "13900139000"' | cut -f3 | tail -1)" \
    "已接手：火灾应急预案" "... and the answer SMS says 已接手"
like "$(grep 'sms reply from 139\*\*\*\*9000' "$T/heraldd.log")" '\[info\].*took charge of incident' \
    "... logged with the masked number"

# Each person alerted gets one notice, over SMS, at the fake SMSC.
NOTICE="负责人：王强，$(TZ=Asia/Shanghai date -d "@$acked_at" +%H:%M) 已接手"
if wait_until 20 msgs_ge +8613800138000 "$NOTICE" 1 && wait_until 20 msgs_ge +8613900139000 "$NOTICE" 1; then
	ok "the taking-charge notice reaches both phones through Kannel"
else
	not_ok "the taking-charge notice reaches both phones through Kannel" "$(kannel_messages "$T/k")"
fi

# Past the next repeat instant (every 6 s from the trigger).
n_lead=$(msgs +8613800138000 "$ALERT")
n_member=$(msgs +8613900139000 "$ALERT")
sleep 7
is "$(msgs +8613800138000 "$ALERT") $(msgs +8613900139000 "$ALERT")" "$n_lead $n_member" \
    "no alert reaches a phone after the ack, past the next repeat"
is "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND state IN ('pending', 'inflight')") $(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND state = 'delivered' AND updated > $acked_at + 1")" \
    "0 0" "... none pending, none delivered after it"
is "$(msgs +8613800138000 "$NOTICE") $(msgs +8613900139000 "$NOTICE") $(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'incident-ack'")" \
    "1 1 2" "exactly one notice per person alerted"

# --- a second "1", from the lead: the first ack stands ---
# The lead's most recent notice is the taking-charge notice: the "1"
# confirms reading it (smsmo.c's rule), which changes nothing else.  The
# reply is matched to what the store holds as delivered, which is
# recorded a moment after the fake SMSC has the text: wait for it.
lead_notice_delivered() {
	[ "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'incident-ack' AND contact = 'lead' AND state = 'delivered'")" = 1 ]
}
wait_until 20 lead_notice_delivered ||
	not_ok "the lead's notice is recorded delivered" "$(q "SELECT contact, kind, state FROM jobs WHERE incident = '$id'")"
mo "13800138000 10086 text 1" 13800138000 '确认：火灾应急预案' 1
is "$(q "SELECT acked_by || '|' || acked_door || '|' || acked_at FROM incidents WHERE id = '$id'")" \
    "member|sms|$acked_at" "a second \"1\" (the lead's) changes nothing"
like "$(kannel_messages "$T/k" | awk -F'\t' '$1 == "13800138000"' | cut -f3 | tail -1)" \
    "确认：火灾应急预案" "... and gets its answer"
sleep 1
is "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'incident-ack'")" 2 \
    "... and sends no second round of notices"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/heraldd.log" 'CLOCK NOT SYNCHRONIZED')" "" "no unexpected warnings"
kannel_stop
done_testing
