#!/bin/bash
# test_api_requests.sh - requests the API must refuse or log safely (issue
# 12, defects 4 and 8): control bytes from a request reach the log escaped,
# so "%0a" cannot forge a "heraldd[err]" line, while Chinese text stays
# readable; two Content-Length headers get 400 in JSON; OPTIONS, TRACE and
# CONNECT get 405 with Allow, as doc/api.txt documents for a wrong method;
# the agenda comes in pages of at most 200 jobs, and following "next"
# returns every job exactly once, in order, also in pages of 7 that end
# inside a group of jobs due at the same instant; heraldctl agenda prints
# the whole agenda by following the pages.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
ALLOWED='CLOCK NOT SYNCHRONIZED|dlr: .*key.*伪造的告警'

cd "$T" || exit 1
# 260 contacts, one deadline ten days ahead with three reminders and the
# overdue notice: 4 x 260 jobs (more than the old default of 1000), 260
# at each of four instants.
N_CONTACTS=260
now=$(date +%s)
contacts=
audience=
for i in $(seq 1 $N_CONTACTS); do
	contacts="$contacts { id = \"c$i\"; name = \"联络员$i\"; prefer = [ \"note\" ]; },"
	audience="$audience \"c$i\","
done
cat >req.conf <<CONF
herald = { listen = "127.0.0.1:0"; store = "sqlite:req.db"; log_level = "debug";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "note"; plugin = "log"; file = "sent.log"; } );
contacts = ( ${contacts%,} );
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 30 * 86400)))" ];
  deadlines = ( {
    id = "liaison-list"; title = "报送联络机制名单（附件1）";
    due = "$(sh_civil $((now + 10 * 86400)))";
    audience = [ ${audience%,} ];
    remind = [ "3d", "2d", "1d" ];
  } );
} );
CONF
expect_jobs=$((N_CONTACTS * 4))
start_bg "$T/req.log" "$HERALDD" -f -c req.conf
pid=$BG_PID
if wait_listen "$T/req.log"; then
	ok "heraldd listens ($API)"
else
	not_ok "heraldd listens" "$(cat "$T/req.log")"
	done_testing
	exit 1
fi
hostport=${API#http://}

# raw REQUEST -- send bytes as they are (printf escapes), print the answer.
raw() {
	$PY - "${hostport%:*}" "${hostport##*:}" "$1" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(sys.argv[3].encode("utf-8").decode("unicode_escape").encode("latin-1"))
data = b""
try:
	while True:
		c = s.recv(65536)
		if not c:
			break
		data += c
except socket.timeout:
	pass
sys.stdout.write(data.decode("utf-8", "replace"))
PY
}

# --- log injection -----------------------------------------------------------
# A delivery report whose 36-byte key carries a carriage return, ESC, DEL,
# a tab and a line feed before a forged line; it is no UUID, so
# heraldd refuses it and logs the key.  The key is percent-encoded as a
# gateway would send it.
key=$($PY -c '
import urllib.parse
k = "\r\x1b\x7f\t\nheraldd[err] 伪造的告警"
k = k + "x" * (36 - len(k.encode()))
print(urllib.parse.quote(k))')
curl -s -o /dev/null "$API/v1/dlr?key=$key&type=1"
if wait_until 5 grep -q '伪造的告警' "$T/req.log"; then
	ok "the key was logged, its Chinese text intact"
else
	not_ok "the key was logged, its Chinese text intact" "$(tail -5 "$T/req.log")"
fi
is "$(grep -c '^heraldd\[err\]' "$T/req.log")" 0 \
    "no line of the log starts with the forged \"heraldd[err]\""
is "$(grep -a '伪造的告警' "$T/req.log" | grep -c '^[0-9-]*T[0-9:.]*Z heraldd\[')" 1 \
    "the line naming the key starts with heraldd's own stamp"
is "$(LC_ALL=C grep -ac $'[\x01-\x08\x0b-\x1f\x7f]' "$T/req.log")" 0 \
    "the log holds no raw control byte"
like "$(grep -a '伪造的告警' "$T/req.log")" '\\r\\x1b\\x7f\\t\\nheraldd\[err\]' \
    "the control bytes are written escaped (\\r \\x1b \\x7f \\t \\n)"

# --- duplicate Content-Length ------------------------------------------------
ans=$(raw 'POST /v1/acks HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}')
like "$(head -1 <<<"$ans")" '^HTTP/1\.1 400 ' "two Content-Length headers: 400"
like "$ans" 'Content-Type: application/json' "... in JSON"
like "$ans" '"error": *"[^"]*Content-Length' "... with a reason naming Content-Length"
ans=$(raw 'POST /v1/acks HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\ncontent-length: 2\r\nConnection: close\r\n\r\n{}')
like "$(head -1 <<<"$ans")" '^HTTP/1\.1 400 ' "two equal Content-Length headers, in two cases: 400 too"

# --- OPTIONS, TRACE, CONNECT -------------------------------------------------
for m in OPTIONS TRACE; do
	ans=$(raw "$m /v1/agenda HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
	like "$(head -1 <<<"$ans")" '^HTTP/1\.1 405 ' "$m /v1/agenda: 405"
	like "$ans" $'^Allow: GET\r' "... with Allow: GET"
	like "$ans" '"error":' "... and a JSON reason"
done
ans=$(raw 'OPTIONS /v1/acks HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
like "$ans" $'^Allow: POST\r' "OPTIONS /v1/acks: Allow: POST"
ans=$(raw 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n')
like "$(head -1 <<<"$ans")" '^HTTP/1\.1 405 ' "CONNECT example.com:443: 405"
like "$ans" '^Allow: [A-Z]' "... with Allow"
like "$ans" '"error":' "... and a JSON reason"

# --- agenda pages ------------------------------------------------------------
# pages LIMIT -- follow "next" from the first page; print "pages jobs
# distinct ordered biggest_page" (ordered: next_at never goes back).
pages() {
	$PY - "$API" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
api, limit = sys.argv[1], sys.argv[2]
after, keys, times, pages, biggest = None, [], [], 0, 0
while True:
	q = {} if limit == "-" else {"limit": limit}
	if after is not None:
		q["after"] = after
	url = api + "/v1/agenda" + ("?" + urllib.parse.urlencode(q) if q else "")
	j = json.load(urllib.request.urlopen(url, timeout=10))
	pages += 1
	biggest = max(biggest, len(j["jobs"]))
	keys += [x["key"] for x in j["jobs"]]
	times += [x["next_at"] for x in j["jobs"]]
	assert j["truncated"] == (j.get("next") is not None), j
	after = j.get("next")
	if after is None or pages > 1000:
		break
ordered = all(a <= b for a, b in zip(times, times[1:]))
print(pages, len(keys), len(set(keys)), int(ordered), biggest)
PY
}
read -r np nj nd ord big <<<"$(pages -)"
is "$nj $nd $ord" "$expect_jobs $expect_jobs 1" \
    "default pages: all $expect_jobs jobs once each, in order ($np pages)"
if [ "${big:-0}" -le 200 ] && [ "${np:-0}" -ge 2 ]; then
	ok "no answer held more than 200 jobs ($big)"
else
	not_ok "no answer holds more than 200 jobs" "$np pages, biggest $big"
fi
read -r np nj nd ord big <<<"$(pages 7)"
is "$np $nj $nd $ord $big" "$(((expect_jobs + 6) / 7)) $expect_jobs $expect_jobs 1 7" \
    "pages of 7: every job exactly once, in order"
read -r np nj nd ord big <<<"$(pages 10000)"
is "$nj $nd $big" "$expect_jobs $expect_jobs 200" \
    "limit=10000 is answered 200 at a time, all jobs once each"
code=$(curl -s -o "$T/bad.json" -w '%{http_code}' "$API/v1/agenda?after=12.nokey")
is "$code" 400 "a malformed cursor: 400"
like "$(cat "$T/bad.json")" '"error": *"bad \\"after\\"' "... naming \"after\""
"$HERALDCTL" -u "$API" agenda >"$T/ctl.out" 2>&1
is "$(grep -c 'liaison-list' "$T/ctl.out")" "$expect_jobs" \
    "heraldctl agenda prints all $expect_jobs jobs"
like "$(tail -1 "$T/ctl.out")" "^$expect_jobs jobs\$" "... and counts them"
"$HERALDCTL" -u "$API" agenda --limit 100 >"$T/ctl.out" 2>&1
is "$(grep -c 'liaison-list' "$T/ctl.out")" 100 "heraldctl agenda --limit 100 prints 100"
like "$(tail -1 "$T/ctl.out")" 'more left out' "... and says more were left out"

kill -TERM "$pid"
wait_exit "$pid" 15
is "$EXIT_STATUS" 0 "heraldd stops cleanly on SIGTERM"
is "$(unexpected_warnings "$T/req.log" "$ALLOWED")" "" \
    "no unexpected warnings in the daemon's log"

done_testing
