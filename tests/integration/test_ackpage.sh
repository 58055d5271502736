#!/bin/bash
# test_ackpage.sh - acknowledgement links end to end: a reminder delivered
# through the "log" channel carries {{ack_url}}; its token is recomputed
# here with Python's hmac/base64 (doc/api.txt); the link is opened in a
# real headless Chromium (ackpage_browser.py) whose "已报送" click records
# the submission and cancels that contact's remaining reminders, as the
# store shows, while another contact's stay pending.  With curl: the
# page's headers, an altered token (403), a repeated POST (idempotent,
# the first time), a notice without a deadline (only "已收到"; 409 for
# "submitted"), a bad form (400), a job cancelled by a reload ("已取消",
# 409), HTML escaping of model strings, and 404 once acks are turned off.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
BROWSER=$top_srcdir/tests/integration/ackpage_browser.py
ALLOWED='CLOCK NOT SYNCHRONIZED'

if [ ! -f "$HERALD_PLUGIN_DIR/log.so" ]; then
	echo "1..0 # SKIP the log plugin was not built"
	exit 0
fi

# civil_format: seconds only when they are not zero.
page_time() { TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d %H:%M:%S' | sed 's/:00$//'; }
q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -n "s/^$2=//p" "$1" | head -1; }
# http METHOD URL [curl args...] -- body to $T/body, headers to $T/hdr;
# prints the status code.
http() {
	local m=$1 u=$2
	shift 2
	curl -s -m 10 -X "$m" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$u"
}
hdr() { sed -n "s/^$1: //Ip" "$T/hdr" | tr -d '\r' | head -1; }

cd "$T" || exit 1
P=$(free_port)
API=http://127.0.0.1:$P
printf 'ack-s3cret-不外传-%s\n' "$RANDOM$RANDOM" >ack.key
chmod 600 ack.key
DB=$T/ack.db

now=$(date +%s)
due=$((now + 600))	# first reminder at now + 3, the rest long after the test
write_conf() {	# write_conf WITH_GONE WITH_SECRET
	local gone= secret=
	[ "$1" = 1 ] && gone=',
    { id = "gone"; title = "将被删除的事项"; due = "'"$(sh_civil "$due")"'";
      audience = [ "c-li" ]; remind = [ "300s" ]; }'
	[ "$2" = 1 ] && secret='ack_secret_file = "ack.key";'
	cat >ack.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:ack.db";
  listen = "127.0.0.1:$P";
  public_url = "$API";
  $secret
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "audit"; plugin = "log"; file = "msgs.log"; format = "json"; } );
units = ( { id = "shangwu"; name = "某市商务局"; liaison = "c-wang"; } );
contacts = (
  { id = "c-wang"; name = "王晓明"; unit = "shangwu"; prefer = [ "audit" ]; },
  { id = "c-li"; name = "李红<b>\"&'"; prefer = [ "audit" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月<i>";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = (
    { id = "liaison-list"; title = "报送联络机制名单（附件1）";
      due = "$(sh_civil "$due")";
      audience = [ "c-wang", "c-li" ]; remind = [ "597s", "300s", "120s" ]; }$gone
  );
  tasks = ( { id = "promo"; title = "组织重点促消费活动"; lead = "shangwu";
              due = "$(sh_civil "$due")"; remind = [ "300s" ]; } );
} );
CONF
}
write_conf 1 1

start_bg "$T/heraldd.log" "$HERALDD" -f -c ack.conf
HPID=$BG_PID
if wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with public_url and ack_secret_file"
else
	not_ok "heraldd starts with public_url and ack_secret_file" "$(cat "$T/heraldd.log")"
fi

# Both contacts' first reminders go out through the log channel.
delivered() { [ "$(grep -c '"kind":"reminder"' msgs.log 2>/dev/null)" -ge 2 ]; }
if wait_until 30 delivered; then
	ok "the first reminders are delivered to the message log"
else
	not_ok "the first reminders are delivered to the message log" \
	    "$(cat msgs.log 2>/dev/null)" "$(tail -20 "$T/heraldd.log")"
fi

# Links from the delivered messages, tokens recomputed independently, and
# tokens made for jobs not sent yet (the task, the deadline to be removed).
K_TASK=$(q "SELECT key FROM jobs WHERE kind = 'task' AND contact = 'c-wang'")
K_GONE=$(q "SELECT key FROM jobs WHERE item = 'gone' AND kind = 'reminder'")
export K_TASK K_GONE API
$PY - msgs.log ack.key >links.out 2>&1 <<'PY'
import base64, hashlib, hmac, json, os, re, sys, uuid
secret = open(sys.argv[2], "rb").read().split(b"\n")[0]
def b64(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
def token(key):
    return b64(uuid.UUID(key).bytes) + b64(hmac.new(secret, key.encode(),
                                                    hashlib.sha256).digest()[:12])
def out(k, v): print("%s=%s" % (k, v))
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    if m.get("kind") != "reminder":
        continue
    who = {"c-wang": "wang", "c-li": "li"}[m["contact"]]
    urls = re.findall(r"https?://\S+", m["body"])
    out(who + ".key", m["key"])
    out(who + ".url", urls[0] if urls else "")
    out(who + ".token_ok", bool(urls) and urls[0] == os.environ["API"] + "/a/" + token(m["key"]))
    out(who + ".len", len(urls[0].rsplit("/", 1)[1]) if urls else 0)
out("task.url", os.environ["API"] + "/a/" + token(os.environ["K_TASK"]))
out("gone.url", os.environ["API"] + "/a/" + token(os.environ["K_GONE"]))
PY
K_WANG=$(field links.out wang.key)
U_WANG=$(field links.out wang.url)
U_LI=$(field links.out li.url)
U_TASK=$(field links.out task.url)
U_GONE=$(field links.out gone.url)
is "$(field links.out wang.token_ok) $(field links.out li.token_ok) $(field links.out wang.len)" \
    "True True 38" "the delivered {{ack_url}} is PUBLIC_URL/a/TOKEN, the 38-char token recomputed with Python's hmac"

# --- the page as curl sees it -------------------------------------------------
code=$(http GET "$U_WANG")
is "$code" 200 "GET of a valid link answers 200"
is "$(hdr Content-Type)" "text/html; charset=utf-8" "... as UTF-8 HTML"
is "$(hdr Cache-Control)|$(hdr X-Frame-Options)|$(hdr Referrer-Policy)" "no-store|DENY|no-referrer" \
    "... not cached, not framed, no Referer"
is "$(hdr Content-Security-Policy)" "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" \
    "... with a CSP that allows only inline style and posting to itself"
body=$(cat "$T/body")
like "$body" '<meta name="viewport" content="width=device-width,initial-scale=1">' "... with the mobile viewport"
like "$body" "<time>$(page_time "$due")</time>" "... showing the due time in the campaign zone"
like "$body" '报送联络机制名单（附件1）' "... the item title"
like "$body" '王晓明' "... and the contact's name"
like "$body" '2023年全国消费促进月&lt;i&gt;' "... the campaign title escaped"
if grep -qiE '<script|src=|href=|@import|url\(' "$T/body"; then
	not_ok "... no script and no external resource" "$(grep -oiE '<script|src=|href=|@import|url\(' "$T/body" | head -3)"
else
	ok "... no script and no external resource"
fi

code=$(http GET "$U_LI")
body=$(cat "$T/body")
if [ "$code" = 200 ] && grep -qF '李红&lt;b&gt;&quot;&amp;&#39;' "$T/body" && ! grep -qF '李红<b>' "$T/body"; then
	ok "a contact name with <, >, \", & and ' is escaped"
else
	not_ok "a contact name with <, >, \", & and ' is escaped" "$code" "$(grep -o '李红[^<]*.\{0,20\}' "$T/body")"
fi

# Altered tokens: one character changed in the key part, then in the MAC.
alter() {	# alter URL POS -- change the token's character at POS
	$PY -c '
import sys
u, pos = sys.argv[1], int(sys.argv[2])
base, tok = u.rsplit("/", 1)
c = "A" if tok[pos] != "A" else "B"
print(base + "/" + tok[:pos] + c + tok[pos + 1:])' "$1" "$2"
}
code=$(http GET "$(alter "$U_WANG" 5)")
is "$code $(grep -c '链接无效' "$T/body")" "403 1" "a token with one key character changed: 403 链接无效"
code=$(http GET "$(alter "$U_WANG" 30)")
is "$code $(grep -c '链接无效' "$T/body")" "403 1" "a token with one MAC character changed: 403 链接无效"
code=$(http POST "$(alter "$U_WANG" 30)" --data action=submitted)
is "$code" 403 "... and a POST with it is refused too"
is "$(http GET "$API/a/short") $(http GET "$API/a/")" "403 403" "malformed tokens: 403"
is "$(q "SELECT count(*) FROM acks") $(q "SELECT count(*) FROM submissions")" "0 0" \
    "GETs and refused tokens recorded nothing"

# --- the real browser ---------------------------------------------------------
pending_wang() { q "SELECT count(*) FROM jobs WHERE contact = 'c-wang' AND item = 'liaison-list' AND state = 'pending'"; }
pending_li() { q "SELECT count(*) FROM jobs WHERE contact = 'c-li' AND item = 'liaison-list' AND state = 'pending'"; }
is "$(pending_wang) $(pending_li)" "3 3" "before: each contact has 2 reminders and an overdue notice pending"

mkdir -p "$T/chrome"
timeout 120 $PY "$BROWSER" "$U_WANG" "$T/chrome" "已报送" >browser.out 2>browser.err
brc=$?
if [ "$brc" = 0 ]; then
	ok "headless Chromium $(field browser.out browser) opens the link"
else
	not_ok "headless Chromium opens the link (exit $brc)" "$(cat browser.err)" \
	    "$(tail -5 "$T/chrome/chromedriver.log" 2>/dev/null)"
fi
is "$(field browser.out get.buttons)" "已收到,已报送" "the browser shows both buttons, 已收到 and 已报送"
is "$(field browser.out get.viewport)" "width=device-width,initial-scale=1" "... on a page with the mobile viewport"
is "$(field browser.out get.body_bg)" "rgba(243, 244, 246, 1)" "... whose inline style applied under its CSP"
is "$(field browser.out clicked)" "True" "... and 已报送 is clicked"
like "$(field browser.out post.text)" '已记录' "the result page says 已记录"
is "$(field browser.out post.url)" "$U_WANG" "... at the same URL (the form posted to itself)"
is "$(field browser.out post.buttons)" "" "... and offers no button any more"
is "$(field browser.out get.console_errors) $(field browser.out post.console_errors)" "0 0" \
    "... no console error (no CSP violation) on either page"
AT1=$(field browser.out post.at)

# What the store says, read with sqlite3.
ack_at=$(q "SELECT at FROM acks WHERE key = '$K_WANG'")
is "$(q "SELECT via FROM acks WHERE key = '$K_WANG'")|$(q "SELECT via FROM submissions WHERE campaign = 'xfcjy-2023' AND deadline = 'liaison-list' AND contact = 'c-wang'")" \
    "link|link" "the store has the ack and the submission, both via link"
is "$AT1" "$( [ -n "$ack_at" ] && page_time "$ack_at")" "the page's time is the recorded one ($AT1)"
is "$(pending_wang) $(q "SELECT count(*) FROM jobs WHERE contact = 'c-wang' AND item = 'liaison-list' AND state = 'cancelled'")" \
    "0 3" "c-wang's remaining reminders and overdue notice are cancelled"
is "$(pending_li)" 3 "c-li's reminders for the deadline are still pending"
is "$(q "SELECT state FROM jobs WHERE key = '$K_TASK'")" pending "... and so is c-wang's task reminder"

# --- repeats, states, bad forms ------------------------------------------------
code=$(http POST "$U_WANG" --data action=submitted)
at2=$(sed -n 's/.*<time class="at">\([^<]*\)<\/time>.*/\1/p' "$T/body")
is "$code $at2" "200 $AT1" "POST submitted again: 200 with the first time"
like "$(cat "$T/body")" "已于<time class=\"at\">$AT1</time>记录" "... saying 已于…记录"
code=$(http POST "$U_WANG" --data action=seen)
is "$code $(sed -n 's/.*<time class="at">\([^<]*\)<\/time>.*/\1/p' "$T/body")" "200 $AT1" \
    "POST seen after it: 200, the same time"
is "$(q "SELECT count(*) FROM acks WHERE key = '$K_WANG'") $(q "SELECT count(*) FROM submissions")" \
    "1 1" "... and nothing recorded twice"
code=$(http GET "$U_WANG")
is "$code $(grep -o '<button' "$T/body" | wc -l)" "200 0" "GET after submitting: no buttons"
like "$(cat "$T/body")" '已报送' "... it says 已报送"

code=$(http GET "$U_TASK")
body=$(cat "$T/body")
is "$code $(grep -o 'value="[a-z]*">[^<]*' "$T/body" | tr '\n' ' ')" '200 value="seen">已收到 ' \
    "a notice without a deadline (task) shows only 已收到"
code=$(http POST "$U_TASK" --data action=submitted)
is "$code" 409 "POST submitted for it: 409"
is "$(q "SELECT count(*) FROM acks WHERE key = '$K_TASK'")" 0 "... nothing recorded"
is "$(http POST "$U_TASK" --data action=maybe) $(http POST "$U_TASK" --data 'action=seen&x=1') $(http POST "$U_TASK" --data '')" \
    "400 400 400" "unknown action, extra field, empty body: 400"
is "$(http POST "$U_TASK" -H 'Content-Type: application/json' --data '{"action":"seen"}') $(http POST "$U_TASK" --data "action=seen&pad=$(head -c 400 /dev/zero | tr '\0' x)")" \
    "400 400" "a JSON body, an oversized body: 400"
is "$(grep -c '请求无效' "$T/body") $(hdr Content-Type)" "1 text/html; charset=utf-8" "... as an HTML page"
code=$(http POST "$U_TASK" --data action=seen)
is "$code $(grep -c '已记录' "$T/body")" "200 1" "POST seen for the task: 200 已记录"
is "$(q "SELECT via FROM acks WHERE key = '$K_TASK'")" link "... recorded"
is "$(q "SELECT state FROM jobs WHERE key = '$K_TASK'")" pending "... seeing cancels nothing"

# A job cancelled by a reload that removed its deadline.
code=$(http GET "$U_GONE")
is "$code $(grep -o '<button' "$T/body" | wc -l)" "200 2" "the reminder of a deadline about to go: two buttons"
write_conf 0 1
kill -HUP "$HPID"
if wait_until 10 log_has "$T/heraldd.log" 'config generation 2 in use'; then
	ok "SIGHUP without that deadline loads generation 2"
else
	not_ok "SIGHUP without that deadline loads generation 2" "$(tail -20 "$T/heraldd.log")"
fi
is "$(q "SELECT state FROM jobs WHERE key = '$K_GONE'")" cancelled "... which cancels its reminder"
code=$(http GET "$U_GONE")
is "$code $(grep -c '该通知已取消' "$T/body") $(grep -c '<form' "$T/body")" "200 1 0" \
    "GET of the cancelled job: 该通知已取消, no form"
code=$(http POST "$U_GONE" --data action=seen)
is "$code $(grep -c '该通知已取消' "$T/body")" "409 1" "POST for it: 409"
is "$(q "SELECT count(*) FROM acks WHERE key = '$K_GONE'")" 0 "... nothing recorded"

# Acks turned off by a reload: the links lead nowhere.
write_conf 0 0
kill -HUP "$HPID"
if wait_until 10 log_has "$T/heraldd.log" 'config generation 3 in use'; then
	ok "SIGHUP without ack_secret_file loads generation 3"
else
	not_ok "SIGHUP without ack_secret_file loads generation 3" "$(tail -20 "$T/heraldd.log")"
fi
is "$(http GET "$U_LI") $(http POST "$U_LI" --data action=seen)" "404 404" "acks off: 404 for GET and POST"

# --- the log -------------------------------------------------------------------
like "$(grep 'ack link: job' "$T/heraldd.log")" "\[info\].*job $K_WANG \(xfcjy-2023/liaison-list, contact c-wang\): submitted recorded, 3 reminders cancelled" \
    "the ack is logged at info level"
TOK_WANG=${U_WANG##*/}
if grep -qF -e "$TOK_WANG" -e "${TOK_WANG:22}" -e "$(head -1 ack.key)" "$T/heraldd.log"; then
	not_ok "no token, MAC or secret in the daemon's log" "$(grep -F -e "${TOK_WANG:22}" "$T/heraldd.log" | head -3)"
else
	ok "no token, MAC or secret in the daemon's log"
fi

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"

done_testing
