#!/bin/bash
# test_messages_wording.sh - issue 11 point 4: the words fit the item.
# The shipped 2020 example, its WeCom robots pointed at a recording
# receiver (webhook_receiver.py) and its sms channel at a real Kannel
# (signed 【商务部】), under libfaketime at three instants:
#
#   2020-09-04 17:00  task reminders: Beijing, which leads the launch-venue
#                     task, reads "由贵单位牵头"; Guangdong, which cooperates
#                     on the link-up led by CMG, reads "由中央广播电视总台
#                     牵头，贵单位配合"
#   2020-09-07 10:00  the T-1d countdown: the launch's own verb ("举办"),
#                     the weekday, and on SMS one 【】 block, the signature
#   2020-09-22 17:00  the "3 days before" reminder of the two-week results:
#                     the deadline's note (submission address and phone
#                     from the notice) and its weekday, on WeCom and SMS
#
# Every expected text is the example's template filled in Python
# (example.py) from the example's own values; no ASCII space may stand
# before Chinese text in any of them.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/kannel.sh"
. "$top_srcdir/tests/integration/examples.sh"

PY=/usr/bin/python3
RECV=$top_srcdir/tests/integration/webhook_receiver.py
ALLOWED='CLOCK NOT SYNCHRONIZED|missed'
SIG='【商务部】'

if ! kannel_available || [ -z "$FAKETIME_LIB" ]; then
	echo "1..0 # SKIP kannel or libfaketime not installed"
	exit 0
fi

cd "$T" || exit 1
printf 'kannel-Pa55\n' >kannel.pw
chmod 600 kannel.pw
start_bg "$T/recv.err" $PY "$RECV" --log "$T/robots.jsonl" --port-file "$T/recv.port"
wait_until 15 test -s "$T/recv.port" || { not_ok "webhook receiver starts" "$(cat "$T/recv.err")"; done_testing; exit 0; }
RPORT=$(cat "$T/recv.port")
printf 'http://127.0.0.1:%s/wecom-bj/send?key=BJ\n' "$RPORT" >bj.url
printf 'http://127.0.0.1:%s/wecom-gd/send?key=GD\n' "$RPORT" >gd.url
kannel_write_conf "$T/k" herald kannel-Pa55
if kannel_start "$T/k"; then
	ok "Kannel and the robot receiver are up"
else
	not_ok "Kannel and the robot receiver are up" "$(tail -5 "$T/k/bearerbox.log")"
	done_testing
	exit 0
fi

# run NAME START -- the 2020 example under faketime from START; sets HPID.
run() {
	example_copy "$T/$1" 2020
	example_channels "$EXAMPLE" "
	{ name = \"sms\"; plugin = \"sms\"; url = \"$KANNEL_SENDSMS\"; user = \"herald\";
	  password_file = \"$T/kannel.pw\"; signature = \"$SIG\"; max_segments = 5; },
	{ name = \"mail\"; plugin = \"log\"; file = \"$T/$1-mail.log\"; format = \"json\"; },
	{ name = \"wecom-bj\"; plugin = \"webhook\"; flavour = \"wecom\"; url_file = \"$T/bj.url\"; mention = false; },
	{ name = \"wecom-gd\"; plugin = \"webhook\"; flavour = \"wecom\"; url_file = \"$T/gd.url\"; mention = false; },
	{ name = \"live\"; plugin = \"log\"; file = \"$T/$1-live.log\"; format = \"json\"; }"
	cd "$T/$1" || exit 1
	start_bg "$T/$1.log" fake_at "$2" "$HERALDD" -f -c "$EXAMPLE"
	HPID=$BG_PID
	if wait_until 20 log_has "$T/$1.log" 'ready: config generation 1'; then
		ok "$1: the 2020 example starts at $2"
	else
		not_ok "$1: the 2020 example starts at $2" "$(cat "$T/$1.log")"
	fi
}
stop() {
	kill -TERM "$HPID"; wait_exit "$HPID" 15
	is "$(unexpected_warnings "$T/$1.log" "$ALLOWED")" "" "$1: no unexpected warnings"
}

# robot PATH N -- the text.content of the N-th robot message on PATH
robot() {
	$PY - "$T/robots.jsonl" "$1" "$2" <<'PY'
import sys, json
path, n = sys.argv[2], int(sys.argv[3])
got = [json.loads(json.loads(l)['body'])['text']['content']
       for l in open(sys.argv[1], encoding='utf-8')
       if json.loads(l)['path'].startswith(path)]
print(got[n - 1].replace('\n', '\\n') if len(got) >= n else '')
PY
}
robots_ge() { [ "$(grep -c "\"path\": *\"$1" "$T/robots.jsonl" 2>/dev/null)" -ge "$2" ]; }
sms_to() {	# the texts to a number, UDH parts joined, one per line
	kannel_messages "$T/k" | $PY -c '
import sys
want = sys.argv[1].lstrip("+").removeprefix("86")
msgs, parts = [], {}
for line in sys.stdin:
    to, udh, text = line.rstrip("\n").split("\t", 2)
    if to.lstrip("+").removeprefix("86") != want:
        continue
    if udh == "-":
        msgs.append(text)
        continue
    ref, total, seq = udh[6:8], int(udh[8:10], 16), int(udh[10:12], 16)
    parts.setdefault(ref, {})[seq] = text
    if len(parts[ref]) == total:
        msgs.append("".join(parts[ref][i] for i in range(1, total + 1)))
print("\n".join(msgs))' "$1"
}
sms_count_ge() { [ "$(sms_to "$1" | grep -c .)" -ge "$2" ]; }
no_space_before_chinese() {
	printf '%s' "$1" | $PY -c 'import sys,re; sys.exit(1 if re.search(r" [\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", sys.stdin.read()) else 0)'
}

# expect WHAT -- the texts computed from the 2020 example (example.py)
expect() {
	$PY - "$top_srcdir" "$1" <<'PY'
import sys, datetime
sys.path.insert(0, sys.argv[1] + '/tests/integration')
import example as ex
conf = ex.read(sys.argv[1] + '/conf/examples/xfcjy-2020.conf')
people = ex.read(sys.argv[1] + '/conf/examples/contacts/provinces.conf')
units, cts, liaison = ex.units(people), ex.contacts(people), ex.unit_liaisons(people)
camp = ex.setting(ex.block(conf, 'id', 'xfcjy-2020'), 'title')
what = sys.argv[2]

def task(tid, unit):
    b = ex.block(conf, 'id', tid)
    lead = ex.setting(b, 'lead')
    due = ex.civil(ex.setting(b, 'due'))
    role = '由贵单位牵头' if lead == unit else '由%s牵头，贵单位配合' % units[lead]
    v = {'contact': cts[liaison[unit]]['name'], 'title': ex.setting(b, 'title'),
         'role': role, 'due': ex.when(due), 'weekday': ex.weekday(due),
         'verb': ex.setting(b, 'verb') or '完成', 'note': ex.setting(b, 'note') or ''}
    return ex.fill(ex.template(conf, 'task'), v)

if what == 'task-bj':
    print(task('launch-venue', 'beijing'))
elif what == 'task-gd':
    print(task('linkup', 'guangdong'))
elif what == 'countdown':
    b = conf[conf.index('launch = {'):]
    at = ex.civil(ex.setting(b, 'at'))
    v = {'title': ex.setting(b, 'title'), 'due': ex.when(at), 'weekday': ex.weekday(at),
         'verb': ex.setting(b, 'verb'), 'left': ex.left(86400)}
    print(ex.fill(ex.template(conf, 'countdown'), v))
    print(cts[liaison['hebei']]['phone'])
else:
    b = ex.block(conf, 'id', 'two-week-results')
    due = ex.civil(ex.setting(b, 'due'))
    sent = due - datetime.timedelta(days=3)
    v = {'campaign': camp, 'title': ex.setting(b, 'title'), 'due': ex.when(due),
         'weekday': ex.weekday(due), 'left': ex.left(3 * 86400),
         'note': ex.setting(b, 'note')}
    v['contact'] = cts[liaison['beijing']]['name']
    print(ex.fill(ex.template(conf, 'reminder'), v))
    print(ex.fill(ex.template(conf, 'reminder', 'sms'), v))
    print(cts[liaison['hebei']]['phone'])
    print(v['note'])
PY
}

# --- tasks: who leads, who helps ---------------------------------------------
run tasks '2020-09-04 16:59:50'
if wait_until 30 robots_ge /wecom-bj/ 1 && wait_until 10 robots_ge /wecom-gd/ 1; then
	ok "tasks: the task reminders reach both robots at 17:00"
else
	not_ok "tasks: the task reminders reach both robots at 17:00" "$(tail -5 "$T/tasks.log")"
fi
got=$(robot /wecom-bj/ 1)
is "$got" "$(expect task-bj)" "tasks: Beijing, the lead unit, reads 由贵单位牵头"
got=$(robot /wecom-gd/ 1)
is "$got" "$(expect task-gd)" "tasks: Guangdong, cooperating, reads who leads and 贵单位配合"
stop tasks
: >"$T/robots.jsonl"

# --- the countdown: the launch's verb, weekday, one 【】 on SMS ----------------
run countdown '2020-09-07 09:59:50'
exp=$(expect countdown)
HB=$(printf '%s\n' "$exp" | sed -n 2p)
if wait_until 30 sms_count_ge "$HB" 1; then
	ok "countdown: the T-1d countdown reaches Hebei's phone through Kannel"
else
	not_ok "countdown: the T-1d countdown reaches Hebei's phone through Kannel" "$(tail -5 "$T/countdown.log")"
fi
sms=$(sms_to "$HB" | sed -n 1p)
is "$sms" "$SIG$(printf '%s\n' "$exp" | sed -n 1p)" \
    "countdown: the launch's verb and weekday, the campaign in the text"
is "$(printf '%s' "$sms" | grep -o '【' | wc -l)" 1 "countdown: one 【】 block on SMS, the signature"
check "countdown: no ASCII space before Chinese text" no_space_before_chinese "$sms"
stop countdown
: >"$T/robots.jsonl"
: >"$T/k/fakesmsc.out"

# --- the reminder: the deadline's note and weekday -----------------------------
run reminder '2020-09-22 16:59:50'
exp=$(expect reminder)
HB=$(printf '%s\n' "$exp" | sed -n 3p)
if wait_until 30 robots_ge /wecom-bj/ 1 && wait_until 20 sms_count_ge "$HB" 1; then
	ok "reminder: the reminder reaches Beijing's robot and Hebei's phone"
else
	not_ok "reminder: the reminder reaches Beijing's robot and Hebei's phone" "$(tail -5 "$T/reminder.log")"
fi
got=$(robot /wecom-bj/ 1)
is "$got" "$(printf '%s\n' "$exp" | sed -n 1p)" "reminder: WeCom text with the weekday and the deadline's note"
sms=$(sms_to "$HB" | sed -n 1p)
is "$sms" "$SIG$(printf '%s\n' "$exp" | sed -n 2p)" "reminder: the SMS likewise, signed once"
like "$sms" "$(printf '%s\n' "$exp" | sed -n 4p | sed 's/[.]/\\./g')" "reminder: ... naming where and whom to send the material"
check "reminder: no ASCII space before Chinese text (WeCom)" no_space_before_chinese "$got"
check "reminder: no ASCII space before Chinese text (SMS)" no_space_before_chinese "$sms"
stop reminder
kannel_stop
done_testing
