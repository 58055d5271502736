#!/bin/bash
# test_sms_generic.sh - the sms channel's generic HTTP gateway against the
# recording receiver (tests/integration/webhook_receiver.py) standing in
# for an SMS provider: a Chinese reminder posted as JSON with the right
# fields (the recorded body parsed here with Python, the expected text
# written here); the {{password}} header present at the receiver but
# absent from heraldd's log; a 500 answer retried until delivered; a GET
# gateway's query percent-encoded; a 2xx answer failing success_json
# refused as permanent; an unknown placeholder refused by heraldd -t.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
ALLOWED='CLOCK NOT SYNCHRONIZED|transient|permanent|failed|fallback|retry|gateway'

if [ ! -f "$HERALD_PLUGIN_DIR/sms.so" ] || ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP the sms plugin was not built or sqlite3 is missing"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lines_ge() { [ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
key_of() { q "SELECT key FROM jobs WHERE contact = '$1' AND kind = 'reminder'"; }
state_of() { q "SELECT state FROM jobs WHERE contact = '$1' AND kind = 'reminder'"; }

cd "$T" || exit 1
start_bg "$T/recv.out" $PY "$RECEIVER" --port-file "$T/recv.port" --log "$T/recv.jsonl"
if ! wait_until 15 test -s "$T/recv.port"; then
	echo "1..0 # SKIP the recording receiver did not start: $(head -c 200 "$T/recv.out")"
	exit 0
fi
P=$(cat "$T/recv.port")
PASSWORD='gw-T0ken-不外传-42'
printf '%s\n' "$PASSWORD" >gw.key

now=$(date +%s)
due=$((now + 900))		# reminders at now + 5; no overdue notice in the test
SIG='【商务部】'
TITLE='联络员名单"第2批"'
BODY='{"to":"{{to}}","mobile":"{{to_national}}","text":"{{text}}","sign":"{{signature}}","id":"{{key}}","part":{{part}},"parts":{{parts}}}'
# libconfig strings: backslash-escape the template's quotes.
BODY_CONF=${BODY//\"/\\\"}
TITLE_CONF=${TITLE//\"/\\\"}
cat >gw.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:gw.db";
  listen = "127.0.0.1:$(free_port)";
  engine = { workdays_only = [ ];
             retry = { attempts = 100; base = "1s"; cap = "1s"; max_age = "1h"; }; };
};
channels = (
  { name = "gw"; plugin = "sms"; gateway = "generic";
    url = "http://127.0.0.1:$P/ok/sms/send";
    body = "$BODY_CONF";
    headers = [ "Authorization: Bearer {{password}}", "X-Request-Id: {{key}}" ];
    password_file = "gw.key"; signature = "$SIG"; success_json = "code=0"; },
  { name = "gw-500"; plugin = "sms"; gateway = "generic";
    url = "http://127.0.0.1:$P/500-2/sms/send";
    body = "$BODY_CONF"; signature = "$SIG"; },
  { name = "gw-get"; plugin = "sms"; gateway = "generic"; method = "GET";
    url = "http://127.0.0.1:$P/ok/sms/get?user=herald";
    query = "mobile={{to_national}}&msg={{text}}&pw={{password}}";
    password_file = "gw.key"; signature = "$SIG"; },
  { name = "gw-err"; plugin = "sms"; gateway = "generic";
    url = "http://127.0.0.1:$P/err-1024/sms/send";
    body = "$BODY_CONF"; success_json = "code=0"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "138 0013 8000"; prefer = [ "gw" ]; },
  { id = "hb-li"; name = "李红"; phone = "13900139000"; prefer = [ "gw-500" ]; },
  { id = "sx-zhao"; name = "赵刚"; phone = "+86 137 0013 7000"; prefer = [ "gw-get" ]; },
  { id = "tj-qian"; name = "钱伟"; phone = "13600136000"; prefer = [ "gw-err" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison"; title = "$TITLE_CONF"; due = "$(sh_civil "$due")";
    audience = [ "bj-wang", "hb-li", "sx-zhao", "tj-qian" ]; remind = [ "895s" ];
  } );
} );
templates = {
  reminder = { default = "{{contact}}您好，请报送{{title}}。\\n谢谢！"; };
};
CONF

# An unknown placeholder is a config error found by heraldd -t.
sed 's/{{to_national}}/{{to_nat}}/' gw.conf >bad.conf
bad_out=$("$HERALDD" -t -c bad.conf 2>&1)
bad_rc=$?
if [ "$bad_rc" -ne 0 ] && printf '%s' "$bad_out" | grep -q 'unknown placeholder {{to_nat}}'; then
	ok "heraldd -t refuses an unknown placeholder in a gateway template"
else
	not_ok "heraldd -t refuses an unknown placeholder in a gateway template" "rc=$bad_rc" "$bad_out"
fi
check "heraldd -t accepts the generic gateway channels" "$HERALDD" -t -c gw.conf

start_bg "$T/heraldd.log" "$HERALDD" -f -c gw.conf
HPID=$BG_PID
DB=$T/gw.db
if wait_until 10 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with four generic gateway channels"
else
	not_ok "heraldd starts with four generic gateway channels" "$(cat "$T/heraldd.log")"
	done_testing
	exit 0
fi

# --- a Chinese reminder posted as JSON ---------------------------------------
wait_until 20 lines_ge recv.jsonl '/ok/sms/send' 1
wait_until 10 q_ge "SELECT count(*) FROM jobs WHERE contact = 'bj-wang' AND state = 'delivered'" 1
export EXPECT_TEXT="${SIG}王晓明您好，请报送${TITLE}。
谢谢！" EXPECT_SIG="$SIG" PASSWORD K_WANG=$(key_of bj-wang)
fields=$($PY - <<'PYEOF'
import json, os
recs = [json.loads(l) for l in open("recv.jsonl", encoding="utf-8")]
posts = [r for r in recs if r["path"] == "/ok/sms/send"]
r = posts[0]
b = json.loads(r["body"])
# http.server reads header bytes as Latin-1: undo that to see the UTF-8.
h = {k.lower(): v.encode("latin-1").decode("utf-8")
     for k, v in r["headers"].items()}
print("count=%d" % len(posts))
print("method=%s" % r["method"])
print("fields=%s" % (b == {"to": "+8613800138000", "mobile": "13800138000",
    "text": os.environ["EXPECT_TEXT"], "sign": os.environ["EXPECT_SIG"],
    "id": os.environ["K_WANG"], "part": 1, "parts": 1}))
print("ctype=%s" % h.get("content-type"))
print("auth=%s" % (h.get("authorization") == "Bearer " + os.environ["PASSWORD"]))
print("reqid=%s" % (h.get("x-request-id") == os.environ["K_WANG"]))
if b.get("text") != os.environ["EXPECT_TEXT"]:
    print("got_text=%r" % b.get("text"))
PYEOF
)
field() { printf '%s\n' "$fields" | sed -n "s/^$1=//p"; }
is "$(field count)/$(field method)" "1/POST" "the reminder is one POST to the gateway"
if [ "$(field fields)" = True ]; then
	ok "... whose JSON body carries to, to_national, the Chinese text with signature, quotes and newline, sign, key, part/parts"
else
	not_ok "... whose JSON body carries to, to_national, the Chinese text with signature, quotes and newline, sign, key, part/parts" \
	    "$fields" "$(head -c 1500 recv.jsonl)"
fi
is "$(field ctype)" "application/json" "... with Content-Type application/json"
is "$(field auth)" True "... and the Authorization header built from the password file"
is "$(field reqid)" True "... and a header naming the job key"
is "$(state_of bj-wang)" delivered "... and is recorded delivered (code=0 in the answer)"

# --- 500 retried ----------------------------------------------------------------
if wait_until 20 q_ge "SELECT count(*) FROM jobs WHERE contact = 'hb-li' AND state = 'delivered'" 1; then
	ok "a gateway answering 500 twice: the reminder is retried and delivered"
else
	not_ok "a gateway answering 500 twice: the reminder is retried and delivered" \
	    "$(q "SELECT state, attempts, last_detail FROM jobs WHERE contact = 'hb-li'")"
fi
is "$($PY -c '
import json
recs = [json.loads(l) for l in open("recv.jsonl", encoding="utf-8")]
print(",".join(str(r["status"]) for r in recs if r["path"] == "/500-2/sms/send"))')" \
    "500,500,200" "... after exactly two 500 answers"
like "$(q "SELECT group_concat(e.detail, '|') FROM events e JOIN jobs j ON j.key = e.key WHERE j.contact = 'hb-li'")" \
    'gateway 500' "... each recorded as a transient gateway 500"

# --- GET with a query ---------------------------------------------------------
wait_until 20 lines_ge recv.jsonl '/ok/sms/get' 1
export EXPECT_GET="${SIG}赵刚您好，请报送${TITLE}。
谢谢！"
is "$($PY - <<'PYEOF'
import json, os, urllib.parse
recs = [json.loads(l) for l in open("recv.jsonl", encoding="utf-8")]
r = [r for r in recs if r["path"] == "/ok/sms/get"][0]
q = urllib.parse.parse_qs(r["query"], keep_blank_values=True)
want = {"user": ["herald"], "mobile": ["13700137000"],
        "msg": [os.environ["EXPECT_GET"]], "pw": [os.environ["PASSWORD"]]}
print("%s %s" % (r["method"], q == want))
PYEOF
)" "GET True" "a GET gateway gets the number and Chinese text percent-encoded in the query"

# --- success_json not met ---------------------------------------------------------
if wait_until 20 q_ge "SELECT count(*) FROM jobs WHERE contact = 'tj-qian' AND state = 'failed'" 1; then
	ok "a 200 answer with code=1024 fails success_json = \"code=0\" permanently"
else
	not_ok "a 200 answer with code=1024 fails success_json = \"code=0\" permanently" \
	    "$(q "SELECT state, attempts, last_detail FROM jobs WHERE contact = 'tj-qian'")"
fi
like "$(q "SELECT last_detail FROM jobs WHERE contact = 'tj-qian' AND kind = 'reminder'")" \
    'code=1024' "... with the gateway's code recorded"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
if grep -qF "$PASSWORD" "$T/heraldd.log" "$T/gw.db" 2>/dev/null; then
	not_ok "the gateway password reached the receiver but appears in no log and not in the store"
elif [ "$(field auth)" != True ]; then
	not_ok "the gateway password reached the receiver but appears in no log and not in the store" "not at the receiver"
else
	ok "the gateway password reached the receiver but appears in no log and not in the store"
fi
if grep -Eq '13800138000|13900139000|13700137000|13600136000' "$T/heraldd.log"; then
	not_ok "no full phone number in the daemon log" "$(grep -E '1[3-9]001[3-9]' "$T/heraldd.log" | head -3)"
else
	ok "no full phone number in the daemon log"
fi
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"
done_testing
