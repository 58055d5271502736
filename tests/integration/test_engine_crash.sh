#!/bin/bash
# test_engine_crash.sh - kill -9 in the middle of a fan-out of 1,000 jobs
# due at one instant, then a restart.  At-least-once: every key reaches the
# channel; the only keys sent twice are those whose outcome the store had
# not committed at the kill, so no more than the channel's concurrency; and
# in the end the store's delivered set is exactly the set of keys sent.
#
# The channel is the flaky test plugin in "ok" mode with a delay: each send
# is recorded when it starts and completes 20 ms later, so eight sends are
# always in flight and the fan-out lasts a few seconds.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C	# sort(1) and comm(1) agree with SQLite on key order
: "${HERALD_TEST_PLUGIN_DIR:=$top_builddir/tests/plugins/.libs}"

N=1000
CONC=8

lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }

sql() {
	sqlite3 -batch -cmd '.timeout 2000' "$T/h.db" "$@"
}

delivered_is() {	# delivered_is N -- the store has N delivered jobs
	[ "$(sql "SELECT count(*) FROM jobs WHERE state = 'delivered'")" = "$1" ]
}

sent_keys() {	# every key the channel was handed, one per send, sorted
	cut -d' ' -f1 "$T/record" | sort
}

mkdir -p "$T/plugins"
ln -s "$HERALD_PLUGIN_DIR/log.so" "$HERALD_TEST_PLUGIN_DIR/flaky.so" "$T/plugins/"
export HERALD_PLUGIN_DIR=$T/plugins

# 1,000 contacts and a group of them, in an @included file.
awk -v n="$N" 'BEGIN {
	print "contacts = ("
	for (i = 1; i <= n; i++)
		printf "  { id = \"c%04d\"; name = \"联络员%04d\"; prefer = [ \"fan\" ]; }%s\n",
		    i, i, i < n ? "," : ""
	print ");"
	print "groups = ( { id = \"all\"; members = ["
	for (i = 1; i <= n; i++)
		printf "  \"c%04d\"%s\n", i, i < n ? "," : ""
	print "] } );"
}' >"$T/people.conf"

now=$(date +%s)
at=$((now + 3))
cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ]; };
};
channels = ( { name = "fan"; plugin = "flaky"; concurrency = $CONC;
               delay_ms = 20; record = "$T/record"; } );
@include "people.conf"
campaigns = ( {
  id = "c"; title = "扇出演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "d"; title = "报送材料"; due = "$(sh_civil $((at + 600)))";
    audience = [ "all" ]; remind = [ "10m" ]; overdue = false;
  } );
} );
CONF
cd "$T" || exit 1

start_bg "$T/d1.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d1.log" "planned $N jobs: $N new"; then
	ok "$N reminders planned at one instant"
else
	not_ok "$N reminders planned at one instant" "$(cat "$T/d1.log")"
fi
is "$(sql "SELECT count(DISTINCT due) FROM jobs")" 1 "... all due at the same instant"

# In the middle: a third of the way through.
if wait_until 15 lines_ge "$T/record" $((N / 3)); then
	kill -KILL "$pid"
	ok "the fan-out is under way"
else
	not_ok "the fan-out is under way" "$(cat "$T/d1.log")"
	kill -KILL "$pid"
fi
wait_exit "$pid" 10
is "$EXIT_STATUS" 137 "kill -9 ends the daemon"
at_kill=$(lines "$T/record")
if [ "$at_kill" -gt 0 ] && [ "$at_kill" -lt "$N" ]; then
	ok "killed in the middle ($at_kill of $N handed to the channel)"
else
	not_ok "killed in the middle" "$at_kill of $N handed to the channel"
fi
# What the store knew at the kill: sends it saw complete.
sql "SELECT key FROM jobs WHERE state = 'delivered' ORDER BY key" >"$T/known"
sent_keys | uniq >"$T/sent_at_kill"
comm -23 "$T/sent_at_kill" "$T/known" >"$T/unknown"
if [ "$(wc -l <"$T/unknown")" -le "$CONC" ]; then
	ok "sends without a recorded outcome at the kill: $(wc -l <"$T/unknown") <= $CONC"
else
	not_ok "sends without a recorded outcome at the kill <= $CONC" \
	    "$(wc -l <"$T/unknown") keys sent but not delivered in the store"
fi
is "$(comm -13 "$T/sent_at_kill" "$T/known")" "" \
    "the store has no delivered key that the channel never got"

start_bg "$T/d2.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d2.log" 'ready: config generation 1'; then
	ok "the restart comes up"
else
	not_ok "the restart comes up" "$(cat "$T/d2.log")"
fi
like "$(cat "$T/d2.log")" "recovered [0-9]+ jobs in flight" \
    "... and says it recovered jobs left in flight"
like "$(cat "$T/d2.log")" "planned $N jobs: 0 new, 0 changed, 0 cancelled" \
    "... and plans nothing new"
if wait_until 20 delivered_is "$N"; then
	ok "after the restart the store has all $N delivered"
else
	not_ok "after the restart the store has all $N delivered" \
	    "$(sql "SELECT state, count(*) FROM jobs GROUP BY state")"
fi
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the restarted daemon stops on SIGTERM"

is "$(sent_keys | uniq | wc -l)" "$N" "every one of the $N keys reached the channel"
twice=$(sent_keys | uniq -d | wc -l)
if [ "$twice" -le "$CONC" ]; then
	ok "keys sent twice: $twice <= concurrency $CONC"
else
	not_ok "keys sent twice <= concurrency $CONC" "$twice keys sent twice"
fi
is "$(sent_keys | uniq -c | awk '$1 > 2')" "" "no key was sent more than twice"
is "$(comm -23 <(sent_keys | uniq -d) "$T/unknown")" "" \
    "only keys without a recorded outcome at the kill were sent again"
is "$(sent_keys | uniq)" "$(sql "SELECT key FROM jobs WHERE state = 'delivered' ORDER BY key")" \
    "the store's delivered set equals the set of keys the channel got"
is "$(unexpected_warnings "$T/d1.log")" "" "no warnings before the kill"
is "$(unexpected_warnings "$T/d2.log")" "" "no warnings after the restart"

done_testing
