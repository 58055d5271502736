#!/bin/bash
# test_shapes.sh - campaign shapes of issue 16 against a real heraldd on
# loopback, in a shortened real-time campaign, through the log channel:
#   - two launches in one campaign: each countdown and go-notice is
#     delivered once, at its own instant (computed here), under its own
#     item, and each launch has its own hand-off log line;
#   - a recurring deadline (dues): heraldctl submit of the first instance
#     cancels its reminder and overdue notice only; the second instance's
#     reminder and overdue notice are delivered;
#   - a quarterly deadline (every = "quarter"): submitting 2027Q1 leaves
#     2027Q2's reminder and overdue pending in the store.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C

PY=/usr/bin/python3
TOKEN='tok-shapes-71d2'
cd "$T" || exit 1
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/h.db" "$1" 2>/dev/null; }
ctl() {
	"$HERALDCTL" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	RC=$?
	OUT=$(cat "$T/ctl.out")
	ERR=$(cat "$T/ctl.err")
}

printf '%s\n' "$TOKEN" >token
chmod 600 token
now=$(date +%s)
l1=$((now + 14)); l2=$((now + 22))	# launches; countdowns 6 s before
d1=$((now + 26)); d2=$((now + 34))	# dues; reminders 8 s before
cat >h.conf <<CONF
herald = {
  listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  api_token_file = "token";
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; format = "json"; } );
units = ( { id = "u-tj"; name = "同江市商务局"; liaison = "tj-li"; } );
contacts = (
  { id = "tj-li"; name = "李"; unit = "u-tj"; prefer = [ "log" ]; },
  { id = "tj-wang"; name = "王"; prefer = [ "log" ]; }
);
campaigns = ( {
  id = "tj"; title = "同江消费券";
  period = [ "$(sh_civil "$now")", "2027-07-31" ];
  launches = (
    { id = "wuyi"; title = "五一消费券"; at = "$(sh_civil $l1)";
      countdown = [ "6s" ]; audience = [ "tj-wang" ]; },
    { id = "guoqing"; title = "国庆消费券"; at = "$(sh_civil $l2)";
      countdown = [ "6s" ]; audience = [ "tj-wang" ]; }
  );
  deadlines = (
    { id = "adhoc"; title = "专项报告"; dues = [ "$(sh_civil $d1)", "$(sh_civil $d2)" ];
      remind = [ "8s" ]; audience = [ "u-tj" ]; },
    { id = "report"; title = "核销情况"; every = "quarter";
      from = "2027-01-01"; until = "2027-06-30"; due = "+10d";
      remind = [ "3d" ]; audience = [ "u-tj" ]; }
  );
} );
CONF
start_bg "$T/d.log" "$HERALDD" -f -c h.conf
if wait_listen "$T/d.log" && wait_until 10 log_has "$T/d.log" 'ready: config generation 1'; then
	ok "heraldd starts and listens"
else
	not_ok "heraldd starts and listens" "$(cat "$T/d.log")"
	done_testing
	exit 0
fi

# The instance ids, as the config's dates name them.
day1=$(TZ=Asia/Shanghai date -d "@$d1" +%F)
day2=$(TZ=Asia/Shanghai date -d "@$d2" +%F)
i1="adhoc#$day1"
if [ "$day1" = "$day2" ]; then
	i2="adhoc#${day2}T$(TZ=Asia/Shanghai date -d "@$d2" +%T)"
else
	i2="adhoc#$day2"
fi
is "$(q "SELECT group_concat(item, ' ') FROM (SELECT DISTINCT item FROM jobs WHERE item LIKE 'adhoc#%' ORDER BY due)")" \
    "$i1 $i2" "dues: one deadline per instance, named by its date"

ctl -u "$API" -T token submit "$i1" u-tj
is "$RC" 0 "heraldctl submit $i1 u-tj exits 0"
is "$(q "SELECT group_concat(kind || ':' || state, ' ') FROM (SELECT kind, state FROM jobs WHERE item = '$i1' ORDER BY kind)")" \
    "overdue:cancelled reminder:cancelled" "store: the first instance's reminder and overdue are cancelled"
is "$(q "SELECT group_concat(kind || ':' || state, ' ') FROM (SELECT kind, state FROM jobs WHERE item = '$i2' ORDER BY kind)")" \
    "overdue:pending reminder:pending" "store: the second instance's stay pending"

ctl -u "$API" -T token submit 'report#2027Q1' u-tj
is "$RC" 0 "heraldctl submit report#2027Q1 u-tj exits 0"
is "$(q "SELECT group_concat(item || ' ' || kind || ':' || state || ' ' || due, ', ') FROM (SELECT * FROM jobs WHERE item LIKE 'report#%' ORDER BY item, kind)")" \
    "report#2027Q1 overdue:cancelled $(TZ=Asia/Shanghai date -d '2027-04-10 17:30' +%s), report#2027Q1 reminder:cancelled $(TZ=Asia/Shanghai date -d '2027-04-07 17:30' +%s), report#2027Q2 overdue:pending $(TZ=Asia/Shanghai date -d '2027-07-10 17:30' +%s), report#2027Q2 reminder:pending $(TZ=Asia/Shanghai date -d '2027-07-07 17:30' +%s)" \
    "quarterly: Q1 submitted and cancelled, Q2's reminder and overdue pending at their instants"

# Wait for the last expected send: the second instance's overdue.
done_all() { [ "$(q "SELECT count(*) FROM jobs WHERE state IN ('pending', 'inflight') AND due <= $d2")" = 0 ]; }
if wait_until $((d2 - $(date +%s) + 20)) done_all; then
	ok "every job due by the second instance's due came through"
else
	not_ok "every job due by the second instance's due came through" "$(q 'SELECT item, kind, state FROM jobs')"
fi

# Each expected send: delivered, once in sent.log, within 5 s of its
# instant (computed here from the config's offsets).
expect() {	# expect ITEM KIND CONTACT AT
	local key
	key=$(q "SELECT key FROM jobs WHERE item = '$1' AND kind = '$2' AND contact = '$3' AND state = 'delivered' AND due = $4 AND lateness_ms < 5000")
	if [ -n "$key" ] && [ "$(grep -c "\"key\":\"$key\"" sent.log)" = 1 ]; then
		ok "$1 $2 to $3 delivered once at its instant"
	else
		not_ok "$1 $2 to $3 delivered once at its instant" \
		    "$(q "SELECT item, kind, contact, state, due, lateness_ms FROM jobs WHERE item = '$1'")" "$(cat sent.log)"
	fi
}
expect wuyi countdown tj-wang $((l1 - 6))
expect wuyi launch tj-wang $l1
expect guoqing countdown tj-wang $((l2 - 6))
expect guoqing launch tj-wang $l2
expect "$i2" reminder tj-li $((d2 - 8))
expect "$i2" overdue tj-li $d2
is "$(grep -c '"contact":"tj-li"' sent.log)" 2 "tj-li got the second instance's two notices only"
is "$(q "SELECT count(*) FROM jobs WHERE item = 'launch'")" 0 "no job under the one-launch item"
like "$(grep 'go-notices handed off' d.log | sed 's/.*launch \([^:]*\):.*/\1/' | sort | tr '\n' ' ')" \
    '^tj/guoqing tj/wuyi $' "one hand-off log line per launch"

kill "$BG_PID" 2>/dev/null
wait_exit "$BG_PID" 10 >/dev/null 2>&1
done_testing
