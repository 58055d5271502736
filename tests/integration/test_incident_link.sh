#!/bin/bash
# test_incident_link.sh - issue 14: taking charge of an incident through
# the ack link of an alert, in a real headless Chromium
# (ackpage_browser.py), with the recording webhook receiver.  The plan is
# shortened (repeat every 4 s) so that a repeat falls due after the ack:
#   - every alert carries PUBLIC_URL/a/TOKEN, the token recomputed here
#     with Python's hmac (doc/api.txt);
#   - the page shows the incident (plan title and level, venue, what was
#     reported, steps) and one button, 我来负责;
#   - a forged token (one character of the key or of the MAC changed) is
#     403 for GET and POST: nothing recorded, nothing sent;
#   - pressing the button in Chromium acks the incident by the alert's
#     recipient through door "link"; no alert comes after it (the repeat
#     instant passes), each person alerted gets exactly one
#     taking-charge notice;
#   - a second press (the same link, or another recipient's) is
#     idempotent and the page names who took charge.
# Expected values come from the config written here and the store.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
BROWSER=$top_srcdir/tests/integration/ackpage_browser.py
TOKEN='tok-incident-link-5c1'
cd "$T" || exit 1

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -n "s/^$2=//p" "$1" | head -1; }
http() {	# http METHOD URL [curl args...] -- body to $T/body; prints the code
	local m=$1 u=$2
	shift 2
	curl -s -m 10 -X "$m" -o "$T/body" -w '%{http_code}' "$@" "$u"
}
# posts KIND [CONTACT] [AFTER] -- posts of that kind the receiver logged
# (arriving after the Unix time AFTER)
posts() {
	$PY - "$T/hooks.jsonl" "$@" <<'PY' 2>/dev/null || echo 0
import json, sys
kind, who, after = (sys.argv[2:] + [None, None])[:3]
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    b = json.loads(r["body"])
    n += (b["kind"] == kind and (who in (None, "") or b["contact"] == who)
          and (after is None or r["t"] > float(after)))
print(n)
PY
}

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] ||
    ! $PY -c 'import selenium' 2>/dev/null; then
	echo "1..0 # SKIP chromium, chromedriver or python3-selenium not installed"
	exit 0
fi

start_bg "$T/receiver.out" $PY "$RECEIVER" --port-file "$T/hooks.port" \
    --log "$T/hooks.jsonl"
if ! wait_until 15 test -s "$T/hooks.port"; then
	not_ok "the receiver starts" "$(cat "$T/receiver.out")"
	done_testing
	exit 0
fi
P=$(cat "$T/hooks.port")
HP=$(free_port)
API=http://127.0.0.1:$HP
printf '%s\n' "$TOKEN" >token
printf 'incident-link-key-%s\n' "$RANDOM$RANDOM" >ack.key
chmod 600 token ack.key
now=$(date +%s)

cat >h.conf <<CONF
herald = { listen = "127.0.0.1:$HP"; timezone = "Asia/Shanghai";
  store = "sqlite:h.db"; api_token_file = "token";
  public_url = "$API"; ack_secret_file = "ack.key";
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/hook/x"; rate = "100/s"; }
);
contacts = (
  { id = "lead"; name = "张丽"; prefer = [ "hook" ]; },
  { id = "member"; name = "王强<b>"; prefer = [ "hook" ]; }
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  plans = ( { id = "fire"; title = "促销场所火灾应急预案"; level = 2;
    alert = [ "lead", "member" ]; steps = "立即疏散，拨打119"; repeat = "4s"; } ); } );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if ! wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	not_ok "heraldd starts" "$(tail -20 "$T/heraldd.log")"
	done_testing
	exit 0
fi

curl -s -o "$T/body" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    --data-binary '{"plan": "fire", "venue": "XX商场<三楼>", "note": "扶梯口冒烟"}' \
    "$API/v1/incidents"
id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body" 2>/dev/null)
like "$id" '^[0-9a-f-]{36}$' "an incident is triggered ($id)"
wave0() { [ "$(posts emergency)" -ge 2 ]; }
if wait_until 10 wave0; then ok "wave 0 reaches both recipients"; else
	not_ok "wave 0 reaches both recipients" "$(tail -5 "$T/heraldd.log")"; fi

# Each recipient's link from its first alert; the token recomputed here.
$PY - "$T/hooks.jsonl" ack.key "$API" >links.out 2>&1 <<'PY'
import base64, hashlib, hmac, json, re, sys, uuid
secret = open(sys.argv[2], "rb").read().split(b"\n")[0]
def b64(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
def token(key):
    return b64(uuid.UUID(key).bytes) + b64(hmac.new(secret, key.encode(),
                                                    hashlib.sha256).digest()[:12])
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(line)["body"])
    if b["kind"] != "emergency" or b["contact"] in seen:
        continue
    seen.add(b["contact"])
    urls = re.findall(r"https?://[^\s，。]+", b["body"])
    print("%s.key=%s" % (b["contact"], b["key"]))
    print("%s.url=%s" % (b["contact"], urls[0] if urls else ""))
    print("%s.ok=%s" % (b["contact"], bool(urls) and
        urls[0] == sys.argv[3] + "/a/" + token(b["key"])))
PY
U_MEMBER=$(field links.out member.url)
U_LEAD=$(field links.out lead.url)
is "$(field links.out member.ok) $(field links.out lead.ok)" "True True" \
    "each alert carries PUBLIC_URL/a/TOKEN, the token recomputed with Python's hmac"

# --- the page as curl sees it ---
code=$(http GET "$U_MEMBER")
is "$code" 200 "GET of the alert's link: 200"
body=$(cat "$T/body")
like "$body" '促销场所火灾应急预案（2级）' "... the page names the plan and its level"
like "$body" '<dt>地点</dt><dd>XX商场&lt;三楼&gt;</dd>' "... the venue, escaped"
like "$body" '<dt>情况</dt><dd>扶梯口冒烟</dd>' "... what was reported"
like "$body" "<dt>发生时间</dt><dd><time>$(sh_civil "$(q "SELECT created_at FROM incidents WHERE id = '$id'")" | sed 's/:00$//')</time>" \
    "... when, in the campaign's zone"
like "$body" '立即疏散，拨打119' "... the plan's steps"
like "$body" '王强&lt;b&gt;' "... and the recipient, escaped"
is "$(grep -o 'value="seen">[^<]*' "$T/body")" 'value="seen">我来负责' "... with one button, 我来负责"

# --- a forged token: 403, nothing recorded, nothing sent ---
alter() {	# alter URL POS -- change the token's character at POS
	$PY -c '
import sys
u, pos = sys.argv[1], int(sys.argv[2])
base, tok = u.rsplit("/", 1)
c = "A" if tok[pos] != "A" else "B"
print(base + "/" + tok[:pos] + c + tok[pos + 1:])' "$1" "$2"
}
n_ack0=$(posts incident-ack)
is "$(http GET "$(alter "$U_MEMBER" 3)") $(http POST "$(alter "$U_MEMBER" 3)" --data action=seen)" \
    "403 403" "a token with a key character changed: 403 for GET and POST"
is "$(http POST "$(alter "$U_MEMBER" 30)" --data action=seen) $(grep -c '链接无效' "$T/body")" \
    "403 1" "a token with a MAC character changed: 403 链接无效"
sleep 0.5
is "$(q "SELECT state || '|' || coalesce(acked_by, '') FROM incidents WHERE id = '$id'") $(q 'SELECT count(*) FROM acks')" \
    "open| 0" "... the incident is still open, no ack recorded"
is "$(posts incident-ack)" "$n_ack0" "... and no notice sent"

# --- the real browser ---
mkdir -p "$T/chrome"
timeout 120 $PY "$BROWSER" "$U_MEMBER" "$T/chrome" "我来负责" >browser.out 2>browser.err
brc=$?
if [ "$brc" = 0 ]; then
	ok "headless Chromium $(field browser.out browser) opens the alert's link"
else
	not_ok "headless Chromium opens the alert's link (exit $brc)" "$(cat browser.err)" \
	    "$(tail -5 "$T/chrome/chromedriver.log" 2>/dev/null)"
fi
is "$(field browser.out get.buttons)" "我来负责" "the browser shows the one button, 我来负责"
is "$(field browser.out clicked)" "True" "... and it is pressed"
like "$(field browser.out post.text)" '您已接手该事件' "the answer says 您已接手该事件"
is "$(field browser.out post.buttons)" "" "... and offers no button any more"
is "$(field browser.out get.console_errors) $(field browser.out post.console_errors)" "0 0" \
    "... no console error on either page"
is "$(q "SELECT state || '|' || acked_by || '|' || acked_door FROM incidents WHERE id = '$id'")" \
    "acked|member|link" "the incident is acked by the alert's recipient through door link"
acked_at=$(q "SELECT acked_at FROM incidents WHERE id = '$id'")
is "$(field browser.out post.at)" "$( [ -n "$acked_at" ] && sh_civil "$acked_at" | sed 's/:00$//')" \
    "... at the time the page showed"

# Past the next repeat instant (every 4 s): nothing more but the notices.
n_alerts=$(posts emergency)
sleep 6
# The receiver answers at once: nothing is in flight a second after the ack.
is "$(posts emergency "" $((acked_at + 2)))" 0 \
    "no alert arrives after the ack (past the next repeat; $n_alerts before)"
is "$(q "SELECT count(*) FROM jobs WHERE incident = '$id' AND kind = 'emergency' AND state = 'pending'")" 0 \
    "... none is pending"
is "$(posts incident-ack lead) $(posts incident-ack member)" "1 1" \
    "each person alerted gets exactly one taking-charge notice"
notice=$($PY -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(l)["body"])
    if b["kind"] == "incident-ack": print(b["body"]); break' "$T/hooks.jsonl")
like "$notice" "负责人：王强<b>，$(TZ=Asia/Shanghai date -d "@$acked_at" +%H:%M) 已接手" \
    "... naming who took charge and when"

# --- a second press: idempotent, the page names who took charge ---
code=$(http POST "$U_MEMBER" --data action=seen)
is "$code $(grep -c '负责人：王强&lt;b&gt;，已于' "$T/body")" "200 1" \
    "the same link pressed again: 200, the page names who took charge"
code=$(http POST "$U_LEAD" --data action=seen)
is "$code $(grep -c '负责人：王强&lt;b&gt;，已于' "$T/body") $(grep -c '<button' "$T/body")" "200 1 0" \
    "another recipient's link pressed: 200, names who took charge, no button"
code=$(http GET "$U_LEAD")
is "$code $(grep -o '<h1>[^<]*' "$T/body")" "200 <h1>已有人接手" "... and its GET says 已有人接手"
sleep 1
is "$(q "SELECT acked_by || '|' || acked_door || '|' || acked_at FROM incidents WHERE id = '$id'")" \
    "member|link|$acked_at" "... the incident still shows the first ack"
is "$(posts incident-ack)" 2 "... and no second round of notices"

kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
TOK=${U_MEMBER##*/}
if grep -qF -e "$TOK" -e "$(head -1 ack.key)" "$T/heraldd.log"; then
	not_ok "no token or secret in the daemon's log"
else
	ok "no token or secret in the daemon's log"
fi
is "$(unexpected_warnings "$T/heraldd.log" 'CLOCK NOT SYNCHRONIZED')" "" "no unexpected warnings"
done_testing
