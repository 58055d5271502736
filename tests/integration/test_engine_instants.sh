#!/bin/bash
# test_engine_instants.sh - the 2023 example is planned at the right
# Asia/Shanghai instants (workday moves included), a shortened copy fires
# on the real clock within a second of each instant, and under faketime the
# example's 1-day reminder fires at 17:00 Beijing time on 4 August 2023.
#
# Every expected instant is computed here with date(1) and the tz database,
# never read back from herald.
. "$top_srcdir/tests/integration/lib.sh"

ALLOWED='CLOCK NOT SYNCHRONIZED'

sh_epoch() {	# sh_epoch "YYYY-MM-DD HH:MM[:SS]" -- Asia/Shanghai civil -> Unix
	TZ=Asia/Shanghai date -d "$1" +%s
}

json_field() {	# json_field LINE NAME -- a string or number from a log line
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"
}

# FAKETIME_LIB and fake_at (libfaketime preloaded into heraldd) come from
# lib.sh.

# copy_example DIR -- conf/examples and conf/calendars under DIR/conf, with
# DIR/var for the store and the channel files (the example's store is
# "../../var/xfcjy-2023.db", relative to its own directory).
copy_example() {
	mkdir -p "$1/conf" "$1/var"
	cp -R "$top_srcdir/conf/examples" "$top_srcdir/conf/calendars" "$1/conf/"
	chmod -R u+w "$1/conf"	# srcdir is read-only under distcheck
	# Any free port: the example's 8025 may be taken (a quick start
	# demo, a parallel test).
	sed -i 's/listen *= *"127.0.0.1:8025"/listen = "127.0.0.1:0"/' \
	    "$1/conf/examples/xfcjy-2023.conf"
	grep -q 'listen = "127.0.0.1:0"' "$1/conf/examples/xfcjy-2023.conf"
}

# --- 1. planning: the example's instants -----------------------------------
if [ -n "$FAKETIME_LIB" ]; then
	ok "libfaketime found ($FAKETIME_LIB)"
else
	not_ok "libfaketime found" "install the Debian package faketime"
fi
copy_example "$T/plan"
cd "$T/plan" || exit 1
# 20 July 2023, before every instant of the campaign: nothing fires, nothing
# is missed; the store is the plan.
start_bg "$T/plan.log" fake_at '2023-07-20 10:00:00' "$HERALDD" -f -c conf/examples/xfcjy-2023.conf
pid=$BG_PID
if wait_until 15 log_has "$T/plan.log" 'ready: config generation 1'; then
	ok "the 2023 example starts under faketime on 2023-07-20"
else
	not_ok "the 2023 example starts under faketime on 2023-07-20" \
	    "$(cat "$T/plan.log")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "... and stops on SIGTERM"

DB=$T/plan/var/xfcjy-2023.db
dues() {	# dues KIND ITEM CONTACT CHANNEL -- planned instants, sorted
	sqlite3 -batch -cmd '.timeout 2000' "$DB" "SELECT due FROM jobs
	    WHERE kind = '$1' AND item = '$2' AND contact = '$3'
	    AND channel = '$4' ORDER BY due"
}

# Due Saturday 5 August 17:00.  7d (Sat 29 July) and 2h (Sat 15:00) land on
# a weekend and move to the previous workday at the same wall time.
expect=$(for t in '2023-07-28 17:00' '2023-08-02 17:00' '2023-08-04 15:00' \
    '2023-08-04 17:00'; do sh_epoch "$t"; done | sort -n)
is "$(dues reminder liaison-list bj-wang wecom-bj)" "$expect" \
    "liaison-list reminders for bj-wang: 07-28 17:00, 08-02 17:00, 08-04 15:00, 08-04 17:00 Asia/Shanghai"
is "$(dues reminder liaison-list bj-wang mail)" "$expect" \
    "... and the same instants on the always-copy channel (mail)"
is "$(sqlite3 -batch "$DB" "SELECT DISTINCT due FROM jobs WHERE
    kind = 'reminder' AND item = 'liaison-list' ORDER BY due")" "$expect" \
    "every province liaison has the same four reminder instants"
is "$(sqlite3 -batch "$DB" "SELECT count(DISTINCT contact) FROM jobs WHERE
    kind = 'reminder' AND item = 'liaison-list'")" 6 \
    "... for the six province liaisons"
is "$(dues overdue liaison-list bj-wang wecom-bj)" \
    "$(sh_epoch '2023-08-05 17:00')" \
    "the overdue notice is at the deadline itself, Sat 2023-08-05 17:00 (never moved)"

launch=$(sh_epoch '2023-09-09 10:00')
expect=$(printf '%s\n' $((launch - 86400)) $((launch - 3600)) \
    $((launch - 600)) | sort -n)
is "$(dues countdown launch bj-wang wecom-bj)" "$expect" \
    "launch countdowns at 2023-09-09 10:00 minus 1d, 1h and 10m"
is "$(dues launch launch bj-wang wecom-bj)" "$launch" \
    "the launch go-notice at 2023-09-09 10:00 Asia/Shanghai"
is "$(sqlite3 -batch "$DB" "SELECT count(*) FROM jobs WHERE state <> 'pending'")" 0 \
    "nothing was sent or missed while planning on 2023-07-20"
is "$(unexpected_warnings "$T/plan.log" "$ALLOWED")" "" \
    "no unexpected warnings while planning"

# --- 2. a shortened copy on the real clock ----------------------------------
mkdir -p "$T/rt"
cd "$T/rt" || exit 1
now=$(date +%s)
due=$((now + 6))
cat >rt.conf <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:rt.db";
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "wecom-bj"; plugin = "log"; file = "sent.log"; format = "json"; } );
contacts = ( { id = "bj-wang"; name = "王晓明"; prefer = [ "wecom-bj" ]; } );
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison-list"; title = "报送联络机制名单（附件1）";
    due = "$(sh_civil "$due")";
    audience = [ "bj-wang" ];
    remind = [ "3s", "1s" ];
  } );
} );
CONF
start_bg "$T/rt.log" "$HERALDD" -f -c rt.conf
pid=$BG_PID

# Note when each line appears; the poll is 20 ms, so a line seen later than
# a second after its instant was written late.
: >arrivals
seen=0
for ((i = 0; i < 15 * 50 && seen < 3; i++)); do
	n=$(lines sent.log)
	while [ "$seen" -lt "$n" ]; do
		seen=$((seen + 1))
		echo "$seen $(date +%s.%N)" >>arrivals
	done
	sleep 0.02
done
is "$seen" 3 "the shortened copy sends two reminders and the overdue notice"

expect=$(printf '%s\n' "reminder $((due - 3))" "reminder $((due - 1))" \
    "overdue $due")
got=$(while read -r line; do
	echo "$(json_field "$line" kind) $(date -u -d "$(json_field "$line" due)" +%s)"
done <sent.log | sort -k2n)
is "$got" "$expect" "the messages are for due-3s, due-1s and due"

while read -r n at; do
	line=$(sed -n "${n}p" sent.log)
	inst=$(date -u -d "$(json_field "$line" due)" +%s)
	kind=$(json_field "$line" kind)
	d=$(awk -v a="$at" -v i="$inst" 'BEGIN { printf "%.3f", a - i }')
	if awk -v d="$d" 'BEGIN { exit !(d >= 0 && d < 1) }'; then
		ok "$kind due $(sh_civil "$inst") reached the log ${d}s after its instant"
	else
		not_ok "$kind due $(sh_civil "$inst") reached the log within a second of its instant" \
		    "seen ${d}s after the instant"
	fi
done <arrivals

is "$(sqlite3 -batch -cmd '.timeout 2000' rt.db "SELECT count(*) FROM jobs
    WHERE state = 'delivered' AND late = 0 AND lateness_ms >= 0
    AND lateness_ms < 1000")" 3 \
    "the store records all three delivered on time (0 <= lateness < 1 s)"
is "$(sqlite3 -batch rt.db "SELECT count(*) FROM events WHERE
    state = 'delivered' AND at - (SELECT due FROM jobs WHERE
    jobs.key = events.key) BETWEEN 0 AND 1")" 3 \
    "... with one delivered event each, at its instant"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the real-time daemon stops on SIGTERM"
is "$(unexpected_warnings "$T/rt.log" "$ALLOWED")" "" \
    "no unexpected warnings in the real-time run"

# --- 3. faketime through 2023-08-04 16:59:50 -> 17:00:05 -------------------
copy_example "$T/ft"
cd "$T/ft" || exit 1
start_bg "$T/ft.log" fake_at '2023-08-04 16:59:50' "$HERALDD" -f -c conf/examples/xfcjy-2023.conf
pid=$BG_PID
DB=$T/ft/var/xfcjy-2023.db
WECOM=$T/ft/var/xfcjy-2023-wecom-bj.log
five=$(sh_epoch '2023-08-04 17:00')
five_z=$(date -u -d "@$five" '+%Y-%m-%dT%H:%M:%SZ')
if wait_until 20 log_has "$WECOM" "\"due\":\"$five_z\""; then
	ok "under faketime the 1d reminder reaches wecom-bj (due $five_z)"
else
	not_ok "under faketime the 1d reminder reaches wecom-bj (due $five_z)" \
	    "$(cat "$T/ft.log")" "$(cat "$WECOM" 2>/dev/null)"
fi
row=$(sqlite3 -batch -cmd '.timeout 2000' "$DB" "SELECT j.state, j.late,
    (j.lateness_ms BETWEEN 0 AND 999), e.at FROM jobs j JOIN events e
    ON e.key = j.key AND e.state = 'delivered' WHERE j.kind = 'reminder'
    AND j.item = 'liaison-list' AND j.contact = 'bj-wang'
    AND j.channel = 'wecom-bj' AND j.due = $five")
is "$row" "delivered|0|1|$five" \
    "... delivered on time at 2023-08-04 17:00:00 Asia/Shanghai (fake clock)"
line=$(grep -F "\"due\":\"$five_z\"" "$WECOM")
is "$(json_field "$line" contact) $(json_field "$line" kind)" "bj-wang reminder" \
    "... to bj-wang, as a reminder"
# 15:00 (the 2h reminder, moved from Saturday) is 1h59m50s old at the start:
# inside the default 2h grace, but the 17:00 one of the same deadline is
# due 10 s later, so it is superseded rather than sent late seconds before
# it (issue 10, defect 5: officers got two identical 还剩1天); 07-28 and
# 08-02 are missed.
is "$(sqlite3 -batch "$DB" "SELECT state, late FROM jobs WHERE
    kind = 'reminder' AND item = 'liaison-list' AND contact = 'bj-wang'
    AND channel = 'wecom-bj' ORDER BY due")" \
    "$(printf '%s\n' 'missed|0' 'missed|0' 'superseded|0' 'delivered|0')" \
    "at the start, older reminders are missed and the 15:00 one (inside grace) is superseded by the 17:00 one"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the faketime daemon stops on SIGTERM"
is "$(unexpected_warnings "$T/ft.log" "$ALLOWED|missed: ")" "" \
    "no warnings under faketime but the clock and the missed notices"

done_testing
