#!/bin/bash
# test_dlr_forged.sh - /v1/dlr takes only reports it signed itself (issue
# 12, defect 3).  A real Kannel (tests/integration/kannel.sh) delivers one
# SMS and calls back with the signed dlr-url: those reports are recorded.
# Forged reports are refused with a 4xx and leave the store untouched
# (checked with sqlite3): no or a wrong signature; a correctly signed
# report (the test knows the secret and computes the HMAC with Python,
# as doc/api.txt describes) for a log-channel job, for a job never sent,
# for a part beyond the message's count, with an absurd or stale "at";
# and a flood for one job beyond the per-job cap.  An uppercase key is
# the same key (UUIDs are case-insensitive), not a 500.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/kannel.sh"

PY=/usr/bin/python3
ALLOWED='CLOCK NOT SYNCHRONIZED'

if ! kannel_available || ! command -v curl >/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP kannel, kannel-extras, curl or sqlite3 not installed"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }
# sig CHANNEL KEY PARTS SENT -- the token doc/api.txt defines, from the secret.
sig() {
	$PY -c '
import hmac, hashlib, sys
secret = open(sys.argv[1], "rb").readline().rstrip(b"\r\n")
msg = "\0".join(sys.argv[2:6]).encode()
print(hmac.new(secret, msg, hashlib.sha256).hexdigest()[:32])' "$T/dlr.sec" "$@"
}
# dlr QUERY -- GET /v1/dlr?QUERY; prints the HTTP status.
dlr() { curl -s -o "$T/dlr.body" -w '%{http_code}' "http://127.0.0.1:$HPORT/v1/dlr?$1"; }
is_4xx() { case $1 in 4??) echo yes ;; *) echo "no ($1)" ;; esac; }

cd "$T" || exit 1
printf 'kannel-pw\n' >kannel.pw
printf 'dlr-S3cret-回执\n' >dlr.sec
chmod 600 dlr.sec
kannel_write_conf "$T/k" herald kannel-pw
if kannel_start "$T/k"; then
	ok "Kannel (bearerbox, fake SMSC, smsbox) is up"
else
	not_ok "Kannel (bearerbox, fake SMSC, smsbox) is up" \
	    "$(tail -n 5 "$T/k/bearerbox.log" "$T/k/smsbox.log" 2>/dev/null)"
	done_testing
	exit 0
fi
HPORT=$(_kannel_free_port)

now=$(date +%s)
due=$((now + 900))
cat >dlr.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:dlr.db";
  listen = "127.0.0.1:$HPORT";
  dlr_secret_file = "dlr.sec";
  engine = { workdays_only = [ ]; };
};
channels = (
  { name = "sms"; plugin = "sms"; url = "$KANNEL_SENDSMS";
    user = "herald"; password_file = "kannel.pw";
    dlr_url = "http://127.0.0.1:$HPORT/v1/dlr"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "13800138000"; prefer = [ "sms" ]; },
  { id = "hb-li"; name = "李红"; phone = "13900139000"; prefer = [ "audit" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison"; title = "联络员名单"; due = "$(sh_civil "$due")";
    audience = [ "bj-wang", "hb-li" ]; remind = [ "895s", "600s" ];
  } );
} );
templates = { reminder = { default = "{{contact}}您好，请报送{{title}}。"; }; };
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c dlr.conf
DB=$T/dlr.db
if wait_until 15 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts"
else
	not_ok "heraldd starts" "$(cat "$T/heraldd.log")"
	kannel_stop
	done_testing
	exit 0
fi

# The 895 s reminders go out now; the 600 s ones stay pending for 5 minutes.
key=$(q "SELECT key FROM jobs WHERE contact = 'bj-wang' AND offset_s = 895")
logkey=$(q "SELECT key FROM jobs WHERE contact = 'hb-li' AND offset_s = 895")
unsent=$(q "SELECT key FROM jobs WHERE contact = 'bj-wang' AND offset_s = 600")
is "$(echo "$key" | wc -w) $(echo "$logkey" | wc -w) $(echo "$unsent" | wc -w)" "1 1 1" \
    "the store holds the SMS job, the log job and a later SMS job"

if wait_until 20 q_ge "SELECT count(*) FROM receipts WHERE key = '$key' AND type = 1" 1; then
	ok "Kannel's genuine, signed delivery report is recorded"
else
	not_ok "Kannel's genuine, signed delivery report is recorded" \
	    "$(q "SELECT * FROM receipts")" "$(grep -i dlr "$T/heraldd.log" | tail -5)"
fi
wait_until 10 q_ge "SELECT count(*) FROM jobs WHERE key = '$key' AND state = 'delivered'" 1
at1=$(q "SELECT at FROM receipts WHERE key = '$key' AND type = 1")
is "$(curl -s "http://127.0.0.1:$HPORT/v1/jobs/$key" | $PY -c '
import json, sys
r = [x for x in json.load(sys.stdin)["receipts"] if x["type"] == 1]
print(r[0]["part"], r[0]["at"]) if r else print("none")')" \
    "1 $(TZ=Asia/Shanghai date -d "@$at1" '+%Y-%m-%dT%H:%M:%S+08:00')" \
    "/v1/jobs/KEY lists the genuine receipt, its time in ISO 8601"
wait_until 10 q_ge "SELECT count(*) FROM jobs WHERE key = '$logkey' AND state = 'delivered'" 1
is "$(q "SELECT state FROM jobs WHERE key = '$unsent'")" pending "the later SMS job is not sent yet"
base=$(q "SELECT count(*) FROM receipts")
sent=$(date +%s)

# --- forged: no signature, a wrong one, a signature of another channel -------
good=$(sig sms "$key" 1 "$sent")
is "$(is_4xx "$(dlr "channel=sms&key=$key&part=1&type=16&at=$sent")")" yes \
    "a report without a signature is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$key&part=1&parts=1&sent=$sent&type=16&at=$sent&sig=0123456789abcdef0123456789abcdef")")" yes \
    "a report with a wrong signature is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$key&part=1&parts=1&sent=$((sent + 1))&type=16&at=$sent&sig=$good")")" yes \
    "a signature for another send time is refused with a 4xx"

# --- forged with a valid signature: the job itself says no --------------------
is "$(is_4xx "$(dlr "channel=audit&key=$logkey&part=1&parts=1&sent=$sent&type=1&at=$sent&sig=$(sig audit "$logkey" 1 "$sent")")")" yes \
    "a signed report for a log-channel job is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$logkey&part=1&parts=1&sent=$sent&type=1&at=$sent&sig=$(sig sms "$logkey" 1 "$sent")")")" yes \
    "a signed report naming the SMS channel for the log job is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$unsent&part=1&parts=1&sent=$sent&type=1&at=$sent&sig=$(sig sms "$unsent" 1 "$sent")")")" yes \
    "a signed report for a job never sent is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$key&part=9&parts=1&sent=$sent&type=1&at=$sent&sig=$good")")" yes \
    "\"part 9\" of a one-part message is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$key&part=1&parts=1&sent=$sent&type=16&at=9223372036854775807&sig=$good")")" yes \
    "at=9223372036854775807 is refused with a 4xx"
is "$(is_4xx "$(dlr "channel=sms&key=$key&part=1&parts=1&sent=$sent&type=16&at=$((sent - 30 * 86400))&sig=$good")")" yes \
    "an \"at\" a month before the send is refused with a 4xx"
is "$(q "SELECT count(*) FROM receipts")" "$base" "... and none of them stored a receipt"
is "$(q "SELECT count(*) FROM receipts WHERE key IN ('$logkey', '$unsent')")" 0 \
    "... the log job and the unsent job have no receipt at all"

# --- an uppercase key is the same key ----------------------------------------
upper=$(printf '%s' "$key" | tr 'a-f' 'A-F')
is "$(dlr "channel=sms&key=$upper&part=1&parts=1&sent=$sent&type=16&at=$sent&sig=$good")" 200 \
    "an uppercase key is accepted as the same UUID (not a 500)"
is "$(q "SELECT count(*) FROM receipts WHERE key = '$key' AND type = 16")" 1 \
    "... and recorded against the job's lowercase key"

# --- a flood for one job stops at the cap -------------------------------------
codes=
for i in $(seq 1 20); do
	t=$((1 << (i % 5)))
	codes="$codes $(dlr "channel=sms&key=$key&part=1&parts=1&sent=$sent&type=$t&at=$sent&sig=$good")"
done
n=$(q "SELECT count(*) FROM receipts WHERE key = '$key'")
is "$([ "$n" -le 5 ] && echo yes)" yes \
    "20 signed reports for a one-part job leave at most 5 receipts (got $n)"
is "$(printf '%s\n' $codes | grep -c '^4')" "$((20 - (n - base - 1)))" \
    "... every report beyond the cap or repeating one got a 4xx ($codes)"
like "$(cat "$T/dlr.body")" '"error"' "... with a JSON reason"

is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings in the log"
kannel_stop
done_testing
