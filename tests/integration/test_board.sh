#!/bin/bash
# test_board.sh - the coordinators' board (/board/) end to end against a
# real heraldd: its password written by `heraldctl board-passwd` (checked
# here with Python's crypt), the login form, the signed session cookie
# (recomputed here with Python's hmac from the hash file, then tampered
# with and expired), CSRF refusals, the read-only switch, the writes once
# a reload turns write on (submit for a unit, a trigger with its confirm
# step and 演练, taking charge), ETags with 304 on the live parts and the
# JSON API, the login limiter, and 404 once the board is turned off.
# Headless Chromium (board_browser.py) logs in through the form, opens
# every view (no console error, axe-core with no serious or critical
# violation, lang, labels, headings, the WCAG contrast of every text it
# renders, phone, 200% zoom and wall-screen widths), saves a screenshot
# of each, for a person to look at, under tests/integration/board-shots/
# in the build tree (_build/tests/integration/board-shots/board-VIEW.png,
# kept after the run; `make clean` removes it), and sees a `heraldctl
# submit` change the open matrix within 5 s without a reload; the matrix
# must equal what the store holds, computed here from the store's rows
# and the config's facts.  test_board_example.sh does the same on the
# 2023 example under libfaketime.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
BROWSER=$top_srcdir/tests/integration/board_browser.py
CTL=$top_builddir/ctl/heraldctl
SHOTS=$top_builddir/tests/integration/board-shots

if [ ! -f "$HERALD_PLUGIN_DIR/log.so" ]; then
	echo "1..0 # SKIP the log plugin was not built"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -n "s/^$2=//p" "$1" | head -1; }
# http METHOD URL [curl args...] -- body to $T/body, headers to $T/hdr.
http() {
	local m=$1 u=$2
	shift 2
	: >"$T/body"	# curl leaves the file alone when there is no body
	curl -s -m 10 -X "$m" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$u"
}
hdr() { sed -n "s/^$1: //Ip" "$T/hdr" | tr -d '\r' | head -1; }

cd "$T" || exit 1
P=$(free_port)
API=http://127.0.0.1:$P
DB=$T/board.db
PW='正确 horse battery 9'
printf 'board-token-%s\n' "$RANDOM$RANDOM" >api.token
chmod 600 api.token

# --- heraldctl board-passwd ---------------------------------------------------
printf '%s\n' "$PW" | "$CTL" board-passwd pw.hash 2>ctl.err
is "$? $(stat -c %a pw.hash)" "0 600" "heraldctl board-passwd writes the hash file, mode 600"
is "$($PY -W ignore -c 'import crypt,sys; h=open("pw.hash").read().split("\n")[0]; print(h[:3], crypt.crypt(sys.argv[1], h) == h, crypt.crypt("wrong", h) == h)' "$PW")" \
    '$y$ True False' "... a yescrypt hash that Python's crypt(3) accepts for the password, not another"
printf 'short\n' | "$CTL" board-passwd short.hash 2>ctl.err
is "$? $([ -e short.hash ] && echo exists)" "2 " "... and refuses a password under 8 bytes, writing nothing"

now=$(date +%s)
write_conf() {	# write_conf ENABLED WRITE
	cat >board.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:board.db";
  listen = "127.0.0.1:$P";
  public_url = "$API";
  api_token_file = "api.token";
  board = { enabled = $1; password_file = "pw.hash"; write = $2; session = "1h"; };
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "audit"; plugin = "log"; file = "msgs.log"; format = "json"; } );
units = ( { id = "shangwu"; name = "某市商务局"; liaison = "c-wang"; },
          { id = "caizheng"; name = "某市财政局<b>"; liaison = "c-zhao"; } );
contacts = (
  { id = "c-wang"; name = "王晓明"; unit = "shangwu"; prefer = [ "audit" ]; },
  { id = "c-zhao"; name = "赵刚"; unit = "caizheng"; prefer = [ "audit" ]; },
  { id = "c-zhou"; name = "周敏"; unit = "caizheng"; prefer = [ "audit" ]; },
  { id = "c-li"; name = "李红"; prefer = [ "audit" ]; }
);
campaigns = ( {
  id = "c1"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil $((now - 86400)))", "$(sh_civil $((now + 5 * 86400)))" ];
  phases = ( { id = "warm"; title = "预热阶段"; from = "$(sh_civil $((now - 7200)))";
               to = "$(sh_civil $((now + 10800)))"; } );
  launch = { title = "启动仪式"; at = "$(sh_civil $((now + 7200)))"; audience = [ "c-wang" ]; };
  deadlines = (
    { id = "d1"; title = "报送联络机制名单"; due = "$(sh_civil $((now + 3600)))";
      audience = [ "c-wang", "c-zhao", "c-li" ]; remind = [ "30m" ]; },
    { id = "d0"; title = "上周工作总结"; due = "$(sh_civil $((now - 3600)))";
      audience = [ "c-wang", "c-zhao" ]; }
  );
  plans = ( { id = "fire"; title = "火灾应急预案"; level = 2; alert = [ "c-wang" ];
              steps = "1. 疏散"; } );
} );
CONF
}
write_conf true false

start_bg "$T/heraldd.log" "$HERALDD" -f -c board.conf
if wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with a read-only board"
else
	not_ok "heraldd starts with a read-only board" "$(cat "$T/heraldd.log")"
fi
ctl() { "$CTL" -u "$API" -T api.token "$@"; }
ctl submit d0 c-zhou >/dev/null 2>&1
is "$(q "SELECT unit || ' ' || via FROM submissions")" "caizheng api" "caizheng submits d0 through the API before anyone looks"

# --- pages without a session ----------------------------------------------------
code=$(http GET "$API/board/submissions")
is "$code $(hdr Location)" "303 /board/login" "a view without a session sends to the login form"
code=$(http GET "$API/board/login")
is "$code" 200 "the login form answers 200"
is "$(hdr Cache-Control)|$(hdr X-Frame-Options)|$(hdr X-Content-Type-Options)|$(hdr Referrer-Policy)" \
    "no-store|DENY|nosniff|no-referrer" "... not cached, not framed, not sniffed, no Referer"
csp=$(hdr Content-Security-Policy)
like "$csp" "default-src 'none'" "... a CSP that allows nothing by default"
like "$csp" "frame-ancestors 'none'" "... and no framing"
if [[ $csp == *unsafe-inline* || $csp == *unsafe-eval* ]]; then
	not_ok "... with neither unsafe-inline nor unsafe-eval" "$csp"
else
	ok "... with neither unsafe-inline nor unsafe-eval"
fi
if grep -qiE '<style|style=|<script>| on[a-z]+=|https?://' "$T/body"; then
	not_ok "the login page has no inline style or script and no external URL" "$(grep -oiE '<style|style=|<script>| on[a-z]+=|https?://' "$T/body" | head -3)"
else
	ok "the login page has no inline style or script and no external URL"
fi
code=$(http GET "$API/board/board.js")
is "$code $(hdr Content-Type)" "200 text/javascript; charset=utf-8" "the script is served without a session"
cmp -s "$T/body" "$top_srcdir/core/api/board/board.js"
is "$?" 0 "... byte for byte core/api/board/board.js, compiled in"
code=$(http GET "$API/board/board.css")
is "$code $(hdr Content-Type)" "200 text/css; charset=utf-8" "... and so is the stylesheet"
code=$(http GET "$API/board/icon.svg")
is "$code $(hdr Content-Type) $(grep -c '<svg' "$T/body")" "200 image/svg+xml 1" "... and the icon"

# --- login --------------------------------------------------------------------
code=$(http POST "$API/board/login" --data-urlencode "password=wrong password")
is "$code $(grep -c '密码错误' "$T/body") $(hdr Set-Cookie)" "403 1 " "a wrong password: 403 密码错误, no cookie"
code=$(http POST "$API/board/login" -H "Origin: http://evil.example" --data-urlencode "password=$PW")
is "$code $(hdr Set-Cookie)" "403 " "a login posted from another site (Origin) is refused"
code=$(http POST "$API/board/login" -H "Sec-Fetch-Site: cross-site" -H "Origin: null" --data-urlencode "password=$PW")
is "$code $(hdr Set-Cookie)" "403 " "... and so is one a browser marks Sec-Fetch-Site: cross-site"
code=$(http POST "$API/board/login" --data-urlencode "password=$PW")
cookie=$(hdr Set-Cookie)
is "$code $(hdr Location)" "303 /board/submissions" "the right password: 303 to the board"
like "$cookie" '^herald_board=[0-9]+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Path=/board/; HttpOnly; SameSite=Strict; Max-Age=3600$' \
    "... a cookie EXP.NONCE.MAC, HttpOnly, SameSite=Strict, 1 h, not Secure on http"
CK=${cookie%%;*}
CK=${CK#herald_board=}

# The cookie recomputed: HMAC-SHA256 keyed with the hash line; the CSRF
# token HMAC("c:NONCE") cut to 32 characters.
$PY - "$CK" >mac.out <<'PY'
import base64, hashlib, hmac, sys, time
key = open("pw.hash", "rb").read().split(b"\n")[0]
def b64(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
def mac(msg): return b64(hmac.new(key, msg.encode(), hashlib.sha256).digest())
exp, nonce, m = sys.argv[1].split(".")
print("mac_ok=%s" % (m == mac("s:%s.%s" % (exp, nonce))))
print("exp_in=%d" % (int(exp) - int(time.time())))
print("csrf=%s" % mac("c:" + nonce)[:32])
old = "%d.%s" % (int(time.time()) - 5, nonce)
print("expired=%s.%s" % (old, mac("s:" + old)))
print("tampered=%s.%s.%s" % (exp, nonce, ("A" if m[0] != "A" else "B") + m[1:]))
PY
is "$(field mac.out mac_ok)" True "the cookie's MAC recomputed with Python's hmac from the hash file"
exp_in=$(field mac.out exp_in)
check "... expiring in the configured session (1 h)" [ "$exp_in" -ge 3590 -a "$exp_in" -le 3600 ]
CSRF=$(field mac.out csrf)

code=$(http GET "$API/board/submissions" -b "herald_board=$CK")
is "$code" 200 "the matrix answers 200 with the cookie"
grep -o 'name="csrf" value="[^"]*"' "$T/body" | head -1 >csrf.got
is "$(cat csrf.got)" "name=\"csrf\" value=\"$CSRF\"" "... its forms carry the CSRF token, recomputed here"
like "$(cat "$T/body")" '某市财政局&lt;b&gt;' "... a unit name is escaped"
is "$(grep -c 'action="/board/submit"' "$T/body")" 0 "... and a read-only board shows no submit button"
code=$(http GET "$API/board/submissions" -b "herald_board=$(field mac.out tampered)")
is "$code $(hdr Location)" "303 /board/login" "a cookie with its MAC altered: logged out"
code=$(http GET "$API/board/submissions" -b "herald_board=$(field mac.out expired)")
is "$code $(hdr Location)" "303 /board/login" "an expired cookie, correctly signed: logged out"
code=$(http GET "$API/board/submissions?part=live" -b "herald_board=$(field mac.out tampered)")
is "$code" 401 "... and the live part answers the script 401"

# --- the views and the ETag ---------------------------------------------------
for v in timeline submissions incidents channels "unit?campaign=c1&id=caizheng"; do
	code=$(http GET "$API/board/$v" -b "herald_board=$CK")
	is "$code $(grep -c '<html lang="zh-CN">' "$T/body")" "200 1" "GET /board/$v: 200, lang zh-CN"
done
like "$(cat "$T/body")" '赵刚.*周敏' "the unit page lists the unit's contacts"
like "$(cat "$T/body")" 'c-zhao.*reminder' "... and the notices planned or sent to them"
http GET "$API/board/timeline?zoom=day" -b "herald_board=$CK" >/dev/null
like "$(cat "$T/body")" '<svg viewBox="0 0 1000' "the timeline draws an SVG"
like "$(cat "$T/body")" 'class="now"' "... with the current moment marked"
like "$(cat "$T/body")" '启动仪式.*报送联络机制名单' "... the launch and the deadline ahead in its table"
code=$(http GET "$API/board/submissions?part=live" -b "herald_board=$CK")
etag=$(hdr ETag)
like "$code $etag" '^200 "[0-9a-f]{16}"$' "the live part of the matrix answers with an ETag"
if grep -q '<html' "$T/body"; then not_ok "... and is the fragment alone"; else ok "... and is the fragment alone"; fi
code=$(http GET "$API/board/submissions?part=live" -b "herald_board=$CK" -H "If-None-Match: $etag")
is "$code $(wc -c <"$T/body")" "304 0" "... 304 with no body when nothing changed"
code=$(http GET "$API/v1/submissions")
jetag=$(hdr ETag)
jat=$($PY -c 'import json,sys; print(json.load(sys.stdin)["at"])' <"$T/body")
# The answer says when it was made ("at"), and a second later that has
# changed while nothing else has: the tag must not (it flapped at second
# boundaries, and a poller every few seconds never got a 304).
sleep 1.1
code=$(http GET "$API/v1/submissions" -H "If-None-Match: $jetag")
is "$code $(wc -c <"$T/body")" "304 0" "GET /v1/submissions: 304 for its own ETag, a second later"
code=$(http GET "$API/v1/submissions")
like "$code $(hdr ETag)" '^200 W/"[0-9a-f]{16}"$' "... a weak tag, as the answer's time is left out of it"
nat=$($PY -c 'import json,sys; print(json.load(sys.stdin)["at"])' <"$T/body")
if [ -n "$jat" ] && [ "$nat" != "$jat" ]; then ok "... while the answer's \"at\" moved on ($jat, $nat)"; else not_ok "... while the answer's \"at\" moved on ($jat, $nat)"; fi

# --- CSRF and the read-only switch ---------------------------------------------
code=$(http POST "$API/board/submit" -b "herald_board=$CK" --data "campaign=c1&deadline=d1&unit=shangwu")
is "$code" 403 "a POST without the CSRF token: 403"
code=$(http POST "$API/board/submit" -b "herald_board=$CK" --data "campaign=c1&deadline=d1&unit=shangwu&csrf=${CSRF%?}x")
is "$code" 403 "... with a wrong one: 403"
code=$(http POST "$API/board/submit" -b "herald_board=$CK" --data "campaign=c1&deadline=d1&unit=shangwu&csrf=$CSRF")
is "$code $(grep -c '只读' "$T/body")" "403 1" "a read-only board refuses a write with the right token: 403 只读"
code=$(http POST "$API/board/trigger" -b "herald_board=$CK" --data "campaign=c1&plan=fire&venue=x&confirm=1&csrf=$CSRF")
is "$code" 403 "... and a trigger"
is "$(q "SELECT count(*) FROM submissions") $(q "SELECT count(*) FROM incidents")" "1 0" "... nothing was recorded"

# --- the browser ----------------------------------------------------------------
# The expected matrix, from the store's rows and the config's facts (who
# is asked, which deadline has passed), not from herald's own code.
expect_matrix() {
	q "SELECT deadline || ' ' || ifnull(unit, contact) FROM submissions" >subs.txt
	$PY - <<'PY'
subs = set(tuple(l.split()) for l in open("subs.txt") if l.strip())
asked = {"d1": {"shangwu", "caizheng", "c-li"}, "d0": {"shangwu", "caizheng"}}
passed = {"d1": False, "d0": True}
cells = []
for party in ("shangwu", "caizheng", "c-li"):
    for dl in ("d1", "d0"):
        if (dl, party) in subs:
            s = "submitted"
        elif party not in asked[dl]:
            s = "not_asked"
        else:
            s = "overdue" if passed[dl] else "pending"
        cells.append("%s/%s=%s" % (party, dl, s))
print(",".join(sorted(cells)))
PY
}
want_before=$(expect_matrix)
rm -rf "$SHOTS"
mkdir -p "$T/chrome" "$SHOTS"
timeout 180 $PY "$BROWSER" "$API" "$T/chrome" "$PW" "$SHOTS" c1 shangwu d1 \
    "$CTL" -u "$API" -T api.token submit d1 c-wang >browser.out 2>browser.err
brc=$?
if [ "$brc" = 0 ]; then
	ok "headless Chromium $(field browser.out browser) runs the board"
else
	not_ok "headless Chromium runs the board (exit $brc)" "$(cat browser.err)" \
	    "$(tail -5 "$T/chrome/chromedriver.log" 2>/dev/null)"
fi
like "$(field browser.out login.url)" '/board/login$' "the browser is sent to the login form"
is "$(field browser.out login.unlabelled)" "" "... whose password field has its label"
is "$(field browser.out login.console_errors)" 0 "... with no console error (its icon is the board's, no /favicon.ico 404)"
is "$(field browser.out login.after)" "$API/board/submissions" "... and lands on the matrix after logging in"
for v in timeline submissions incidents channels unit; do
	is "$(field browser.out $v.console_errors)" 0 "$v: no console error (no CSP violation, no failed load)"
	is "$(field browser.out $v.lang)" "zh-CN" "$v: lang zh-CN"
	like "$(field browser.out $v.h1)" '.' "$v: a heading"
	is "$(field browser.out $v.unlabelled)" "" "$v: every form control has a label"
	c=$(field browser.out $v.contrast)
	if $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 4.5 else 1)' "$c"; then
		ok "$v: every rendered text has a contrast of at least 4.5 (lowest $c, $(field browser.out $v.contrast_texts) texts)"
	else
		not_ok "$v: every rendered text has a contrast of at least 4.5" "lowest $c: $(field browser.out $v.contrast_worst)"
	fi
	is "$(field browser.out $v.css_applied)" "rgba(30, 58, 138, 1)" "$v: the stylesheet applied"
	check "$v: a screenshot saved" [ -s "$SHOTS/board-$v.png" ]
done
for v in login timeline submissions incidents channels unit; do
	n=$(field browser.out $v.axe_rules)
	check "$v: axe-core ran its rules in the page (${n:-none} applied)" [ "${n:-0}" -ge 10 ]
	is "$(field browser.out $v.axe)" "" "$v: axe-core finds no serious or critical violation"
done
is "$(field browser.out matrix.before)" "$want_before" "the matrix shows exactly the store's submissions"
is "$(field browser.out live.before) $(field browser.out live.cmd_status)" "pending 0" "shangwu/d1 is 未报送, then heraldctl submit d1 c-wang"
is "$(field browser.out live.after)" "submitted" "... the open page shows 已报送"
s=$(field browser.out live.seconds)
if $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 5 else 1)' "${s:-99}"; then
	ok "... within 5 s ($s s)"
else
	not_ok "... within 5 s" "$s s"
fi
is "$(field browser.out live.mark)" "kept" "... without a reload"
like "$(field browser.out live.text)" '已报送.*经 api' "... in words: 已报送, the time, the door"
is "$(field browser.out matrix.after)" "$(expect_matrix)" "... and the matrix is the store's again"
is "$(field browser.out sort.asc)|$(field browser.out sort.aria)" "李红,某市财政局<b>,某市商务局|ascending" \
    "sorting by unit: ascending"
is "$(field browser.out sort.desc)" "某市商务局,某市财政局<b>,李红" "... and again: descending"
is "$(field browser.out phone.overflow)|$(field browser.out zoom200.overflow)|$(field browser.out wall.overflow)" \
    "False|False|False" "no sideways scrolling of the page on a phone, at 200% zoom, on a wall screen"
check "screenshots of the phone, 200% zoom and wall widths" [ -s "$SHOTS/board-phone.png" -a -s "$SHOTS/board-zoom200.png" -a -s "$SHOTS/board-wall.png" ]
is "$(field browser.out logout.then)" "$API/board/login" "after 退出登录 the board asks for the password again"

# --- writes, once a reload turns them on ------------------------------------------
write_conf true true
ctl reload >/dev/null 2>&1
is "$?" 0 "reload with herald.board.write = true"
code=$(http POST "$API/board/submit" -b "herald_board=$CK" --data "campaign=c1&deadline=d1&unit=caizheng&csrf=$CSRF")
is "$code $(hdr Location)" "303 /board/submissions" "a board submit for caizheng: 303 back to the matrix"
is "$(q "SELECT via FROM submissions WHERE deadline = 'd1' AND unit = 'caizheng'")" "board" "... recorded for the unit, through the door \"board\""
code=$(http POST "$API/board/trigger" -b "herald_board=$CK" --data-urlencode "venue=主会场<b>" --data-urlencode "note=东门烟雾" --data "campaign=c1&plan=fire&drill=1&csrf=$CSRF")
is "$code $(grep -o '确认触发' "$T/body" | wc -l) $(q "SELECT count(*) FROM incidents")" "200 3 0" \
    "a trigger first shows the confirm step, nothing recorded yet"
like "$(cat "$T/body")" '<dd>演练</dd>' "... saying it is a drill"
like "$(cat "$T/body")" '主会场&lt;b&gt;' "... the venue escaped"
code=$(http POST "$API/board/trigger" -b "herald_board=$CK" --data-urlencode "venue=主会场<b>" --data-urlencode "note=东门烟雾" --data "campaign=c1&plan=fire&drill=1&confirm=1&csrf=$CSRF")
is "$code $(q "SELECT plan || ' ' || venue || ' ' || drill || ' ' || state || ' ' || source FROM incidents")" \
    "303 fire 主会场<b> 1 open board" "confirmed: the drill incident is open, triggered through the board"
ID=$(q "SELECT id FROM incidents")
http GET "$API/board/incidents" -b "herald_board=$CK" >/dev/null
like "$(cat "$T/body")" '未接手.*演练' "the incidents view shows it open, as a drill"
like "$(cat "$T/body")" 'for="who-' "... with a labelled 负责人 field to take charge"
code=$(http POST "$API/board/ack" -b "herald_board=$CK" --data "id=$ID&who=c-wang&csrf=$CSRF")
is "$code $(q "SELECT state || ' ' || acked_by || ' ' || acked_door FROM incidents")" "303 acked c-wang board" \
    "taking charge from the board: acked by c-wang through the board"
http GET "$API/board/incidents" -b "herald_board=$CK" >/dev/null
like "$(cat "$T/body")" '负责人：<strong>王晓明</strong>' "... and the view names who took charge"

# --- the login limiter --------------------------------------------------------------
# From 127.0.0.2, a peer the limiter has not seen: 127.0.0.1's wrong
# password above took one of its five tries, and whether that one has
# come back (one every 12 s) depends on how long the browser took.
codes=
for i in 1 2 3 4 5; do
	codes="$codes$(http POST "$API/board/login" --interface 127.0.0.2 --data-urlencode "password=guess $i") "
done
is "$codes" "403 403 403 403 403 " "five wrong passwords: 403 each"
code=$(http POST "$API/board/login" --interface 127.0.0.2 --data-urlencode "password=$PW")
is "$code $(hdr Set-Cookie)" "429 " "the sixth try, even with the right password: 429, no cookie"
like "$(hdr Retry-After)" '^[0-9]+$' "... with Retry-After"
log_has "$T/heraldd.log" 'board: login from 127.0.0.2 refused: too many failures'
is "$?" 0 "... and a log line naming the peer"
sleep 1	# the check of every peer's logins refills, 2 a second
code=$(http POST "$API/board/login" --data-urlencode "password=$PW")
is "$code $(hdr Location)" "303 /board/submissions" "... while another peer still logs in"
if grep -qF "$PW" "$T/heraldd.log" || grep -qF 'guess 1' "$T/heraldd.log"; then
	not_ok "no password reaches the log"
else
	ok "no password reaches the log"
fi

# --- the board turned off -------------------------------------------------------------
write_conf false false
ctl reload >/dev/null 2>&1
code=$(http GET "$API/board/login")
is "$code $(grep -c '未启用' "$T/body")" "404 1" "board off: /board/login is 404"
is "$(http GET "$API/board/submissions" -b "herald_board=$CK")" 404 "... and so is a view, even with a cookie"
is "$(http GET "$API/board/board.js")" 404 "... and the script"

done_testing
