#!/bin/bash
# test_log_reopen.sh - SIGUSR1 reopens the log file, as logrotate does it
# without copytruncate (debian/herald.logrotate): rename the file, then
# USR1.  5,000 notices go to the log through the log channel (which
# writes to the daemon's stderr, the log file) while the file is renamed
# mid-stream; every notice is found exactly once across the two files,
# and every line of both is whole.
. "$top_srcdir/tests/integration/lib.sh"

N=1000				# contacts
R=5				# reminders each: 5,000 notices in ~5 s
WANT=$((N * R))
mkdir -p "$T/run" && cd "$T/run" || exit 1
now=$(date +%s)
due=$((now + 60))		# reminders at now + 4 ... 8
{
	cat <<CONF
herald = { timezone = "Asia/Shanghai"; store = "sqlite:h.db"; listen = "127.0.0.1:0";
  log_target = "$T/run/log/heraldd.log";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "log"; plugin = "log"; rate = "1000/s"; burst = 50; } );
contacts = (
CONF
	for i in $(seq 1 $N); do
		sep=,; [ "$i" = $N ] && sep=
		printf '  { id = "c%d"; name = "联络员%d"; phone = "1390%07d"; prefer = [ "log" ]; }%s\n' \
		    "$i" "$i" "$i" "$sep"
	done
	cat <<CONF
);
groups = ( { id = "all"; members = [ $(for i in $(seq 1 $N); do printf '"c%d",' "$i"; done | sed 's/,$//') ]; } );
campaigns = ( { id = "rot"; title = "轮转测试";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d1"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ "all" ]; remind = [ "56s", "55s", "54s", "53s", "52s" ]; } ); } );
CONF
} >h.conf
mkdir log
L=$T/run/log/heraldd.log
# -f keeps a log file named by log_target (as under systemd).
start_bg "$T/stderr.out" "$HERALDD" -f -c h.conf
pid=$BG_PID
notices() { grep -Ec ' reminder to c[0-9]+ \(attempt [0-9]+, key [^)]+\): ' "$@" 2>/dev/null | awk -F: '{ s += $NF } END { print s + 0 }'; }
ge() { [ "$(notices "$1")" -ge "$2" ]; }
if wait_until 30 log_has "$L" 'ready: config generation 1'; then
	ok "heraldd logs into the file log_target names"
else
	not_ok "heraldd logs into the file log_target names" "$(cat "$T/stderr.out" "$L" 2>/dev/null | tail -5)"
fi
is "$(cat "$T/stderr.out")" "" "... and nothing to the terminal"

# Rotate mid-stream, as logrotate does: rename, then USR1.
if wait_until 30 ge "$L" 1200; then
	mv "$L" "$L.1"
	kill -USR1 "$pid"
	at=$(notices "$L.1")
	ok "renamed after $at notices, then SIGUSR1"
else
	not_ok "the notices start" "$(tail -5 "$L")"
fi
both() { [ "$(notices "$L" "$L.1")" -ge "$WANT" ]; }
wait_until 60 both
total=$(notices "$L" "$L.1")
old=$(notices "$L.1")
new=$(notices "$L")
is "$total" "$WANT" "all $WANT notices across the two files ($old in the old, $new in the new)"
keys=$(cat "$L" "$L.1" | sed -n 's/.* (attempt [0-9]*, key \([^)]*\)): .*/\1/p' | sort)
is "$(printf '%s\n' "$keys" | uniq | wc -l) $(printf '%s\n' "$keys" | uniq -d | wc -l)" "$WANT 0" \
	"... each job key once: none lost, none twice"
check "the rotation fell mid-stream (notices in both files)" test "$old" -gt 0 -a "$new" -gt 0
like "$(grep 'SIGUSR1' "$L")" 'heraldd\[notice\] SIGUSR1: log file .*/log/heraldd\.log reopened$' \
	"the reopen is logged in the new file"
is "$(grep -c 'SIGUSR1' "$L.1")" 0 "... not in the old one"
# Whole lines only: heraldd's own or the log channel's, each ending in \n.
bad=$(cat "$L.1" "$L" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (heraldd\[[a-z]+\] |reminder to c[0-9]+ \(attempt)' | head -3)
is "$bad" "" "every line of both files is whole"
is "$(tail -c1 "$L.1" | od -An -c | tr -d ' ')" '\n' "the old file ends with a whole line"

# The store agrees on what was sent (an independent count).
sqlite3_n=$(sqlite3 h.db "SELECT count(*) FROM jobs WHERE kind = 'reminder' AND state = 'delivered'" 2>/dev/null)
is "$sqlite3_n" "$WANT" "the store recorded $WANT delivered reminders"

# A log file that cannot be reopened: heraldd warns and goes on in the old.
chmod 0500 "$T/run/log"
mv "$L" "$L.2"
kill -USR1 "$pid"
if [ "$(id -u)" = 0 ]; then
	# root ignores the directory's mode: the reopen succeeds.
	wait_until 10 log_has "$L" 'SIGUSR1: log file'
	check "(as root) the reopen succeeds" test -f "$L"
else
	wait_until 10 log_has "$L.2" 'SIGUSR1: cannot reopen'
	like "$(grep 'SIGUSR1' "$L.2" | tail -1)" 'warning\] SIGUSR1: cannot reopen .*: Permission denied$' \
		"an unwritable directory: a warning in the old file"
fi
chmod 0700 "$T/run/log"
kill -TERM "$pid"
wait_exit "$pid" 20
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
done_testing
