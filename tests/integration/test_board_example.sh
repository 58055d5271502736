#!/bin/bash
# test_board_example.sh - the coordinators' board on the shipped 2023
# example (conf/examples/xfcjy-2023.conf, its six provinces and three
# deadlines) under libfaketime, on 2023-08-15 10:00 Asia/Shanghai: the
# liaison list (due 08-05) has passed, the key lists are due at 17:00
# that day, the final report in October.  Three submissions are made
# through heraldctl before the browser looks; headless Chromium
# (board_browser.py) then logs in, opens every view (no console error,
# axe-core, labels, contrast, phone/200%/wall widths), and must see the
# matrix equal to the store's rows, computed here from the store and the
# example's due times, and a `heraldctl submit` show in its cell within
# 5 s without a reload.
#
# Screenshots of every view of this run, the ones a person looks at (and
# doc/board-*.png were taken from), are kept in the build tree under
# tests/integration/board-shots-2023/ (board-VIEW.png, board-phone.png,
# board-wall.png); `make clean` removes them.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/examples.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
BROWSER=$top_srcdir/tests/integration/board_browser.py
CTL=$top_builddir/ctl/heraldctl
SHOTS=$top_builddir/tests/integration/board-shots-2023
FAKE_NOW='2023-08-15 10:00:00'

if [ -z "$FAKETIME_LIB" ]; then
	echo "1..0 # SKIP libfaketime is not installed"
	exit 0
fi
if [ ! -f "$HERALD_PLUGIN_DIR/log.so" ]; then
	echo "1..0 # SKIP the log plugin was not built"
	exit 0
fi

D=$T/ex
example_copy "$D" 2023
PW='促消费 board 2023'
printf 'ex-token-%s\n' "$RANDOM$RANDOM" >"$T/api.token"
chmod 600 "$T/api.token"
printf '%s\n' "$PW" | "$CTL" board-passwd "$T/board.hash" 2>"$T/ctl.err"
is "$?" 0 "heraldctl board-passwd writes the board's password file"
example_herald "$EXAMPLE" "	api_token_file = \"$T/api.token\";
	board = { enabled = true; password_file = \"$T/board.hash\"; };"
DB=$D/var/xfcjy-2023.db
q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
field() { sed -n "s/^$2=//p" "$1" | head -1; }

cd "$D" || exit 1
start_bg "$D/heraldd.log" fake_at "$FAKE_NOW" "$HERALDD" -f -c "$EXAMPLE"
t_start=$(date +%s.%N)
if wait_listen "$D/heraldd.log" && wait_until 20 log_has "$D/heraldd.log" 'ready: config generation 1'; then
	ok "the 2023 example starts on $FAKE_NOW (faketime) with the board on"
else
	not_ok "the 2023 example starts on $FAKE_NOW (faketime) with the board on" "$(tail -20 "$D/heraldd.log")"
fi
ctl() { "$CTL" -u "$API" -T "$T/api.token" "$@"; }
for pair in liaison-list:bj-wang liaison-list:sh-chen key-lists:gd-liang; do
	ctl submit "${pair%%:*}" "${pair#*:}" >/dev/null 2>>"$T/ctl.err"
done
is "$(q "SELECT deadline || '/' || unit FROM submissions ORDER BY unit")" \
    "$(printf '%s\n' liaison-list/beijing key-lists/guangdong liaison-list/shanghai)" \
    "three submissions through heraldctl, each recorded for the contact's unit"
fake_s=$(TZ=Asia/Shanghai date -d "$FAKE_NOW" +%s)
is "$(q "SELECT count(*) FROM submissions WHERE at BETWEEN $fake_s AND $fake_s + 600")" 3 \
    "... at the daemon's faked time, 2023-08-15 10:00"

# The expected matrix: the six provinces (the group's members) by the
# three deadlines; submitted when the store has the row, else overdue
# once the due time (from the example) is past the faked clock.
expect_matrix() {
	q "SELECT deadline || ' ' || unit FROM submissions" >"$T/subs.txt"
	$PY - "$EXAMPLE" "$FAKE_NOW" "$t_start" "$T/subs.txt" <<'PY'
import datetime, re, sys, time
conf, fake, t0, subsf = sys.argv[1:5]
s = open(conf, encoding="utf-8").read()
tz = datetime.timezone(datetime.timedelta(hours=8))
now = datetime.datetime.strptime(fake, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz) + \
    datetime.timedelta(seconds=time.time() - float(t0))
due = {}
block = s.split("deadlines = (", 1)[1].split("tasks = (", 1)[0]
for m in re.finditer(r'id\s*=\s*"([^"]+)";[^{}]*?due\s*=\s*"([^"]+)"', block):
    due[m.group(1)] = datetime.datetime.strptime(m.group(2), "%Y-%m-%d %H:%M").replace(tzinfo=tz)
units = ["beijing", "hebei", "shanghai", "guangdong", "sichuan", "heilongjiang"]
subs = set(tuple(l.split()) for l in open(subsf) if l.strip())
cells = []
for u in units:
    for dl, at in due.items():
        st = "submitted" if (dl, u) in subs else ("overdue" if at <= now else "pending")
        cells.append("%s/%s=%s" % (u, dl, st))
print(",".join(sorted(cells)))
PY
}
want_before=$(expect_matrix)
like "$want_before" 'beijing/liaison-list=submitted.*hebei/liaison-list=overdue.*hebei/key-lists=pending|hebei/key-lists=pending.*hebei/liaison-list=overdue' \
    "the expected matrix has submitted, overdue and pending cells (18 cells)"

rm -rf "$SHOTS"
mkdir -p "$T/chrome" "$SHOTS"
timeout 240 $PY "$BROWSER" "$API" "$T/chrome" "$PW" "$SHOTS" xfcjy-2023 hebei key-lists \
    "$CTL" -u "$API" -T "$T/api.token" submit key-lists hb-zhang >"$T/browser.out" 2>"$T/browser.err"
brc=$?
B=$T/browser.out
if [ "$brc" = 0 ]; then
	ok "headless Chromium $(field "$B" browser) runs the board on the example"
else
	not_ok "headless Chromium runs the board on the example (exit $brc)" "$(cat "$T/browser.err")"
fi
is "$(field "$B" login.after)" "$API/board/submissions" "the browser logs in through the form"
for v in login timeline submissions incidents channels unit; do
	if [ "$(field "$B" $v.console_errors)" = 0 ]; then
		ok "$v: no console error"
	else
		not_ok "$v: no console error" "$(grep "^$v.console" "$B")"
	fi
	n=$(field "$B" $v.axe_rules)
	check "$v: axe-core ran (${n:-no} rules applied)" [ "${n:-0}" -ge 10 ]
	is "$(field "$B" $v.axe)" "" "$v: axe-core finds no serious or critical violation"
	check "$v: a screenshot in $SHOTS" [ -s "$SHOTS/board-$v.png" ]
done
for v in timeline submissions incidents channels unit; do
	is "$(field "$B" $v.unlabelled)" "" "$v: every form control has a label"
	c=$(field "$B" $v.contrast)
	if $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 4.5 else 1)' "${c:-0}"; then
		ok "$v: every rendered text has a contrast of at least 4.5 (lowest $c)"
	else
		not_ok "$v: every rendered text has a contrast of at least 4.5" "lowest ${c:-?}: $(field "$B" $v.contrast_worst)"
	fi
done
like "$(field "$B" timeline.h1)" '.' "the timeline has its heading"
is "$(field "$B" matrix.before)" "$want_before" "the matrix shows exactly the store's submissions"
is "$(field "$B" live.before) $(field "$B" live.cmd_status)" "pending 0" \
    "hebei/key-lists is 未报送, then heraldctl submit key-lists hb-zhang"
is "$(field "$B" live.after) $(field "$B" live.mark)" "submitted kept" "... the open page shows 已报送, without a reload"
s=$(field "$B" live.seconds)
if $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 5 else 1)' "${s:-99}"; then
	ok "... within 5 s ($s s)"
else
	not_ok "... within 5 s" "${s:-?} s"
fi
is "$(field "$B" matrix.after)" "$(expect_matrix)" "... and the matrix is the store's again"
is "$(field "$B" phone.overflow)|$(field "$B" zoom200.overflow)|$(field "$B" wall.overflow)" \
    "False|False|False" "no sideways scrolling on a phone, at 200% zoom, on a wall screen"
check "screenshots at phone and 1080p wall sizes" [ -s "$SHOTS/board-phone.png" -a -s "$SHOTS/board-wall.png" ]
is "$(field "$B" logout.then)" "$API/board/login" "logging out asks for the password again"

done_testing
