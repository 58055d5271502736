#!/bin/bash
# test_engine_isolation.sh - a channel that always fails transiently, with
# many jobs and slow answers, does not delay another channel: the healthy
# channel's jobs are handed off within a second of their instants (the
# store's lateness and events say so), while the failing channel's jobs
# are retried (attempts > 1) and never delivered.
. "$top_srcdir/tests/integration/lib.sh"
: "${HERALD_TEST_PLUGIN_DIR:=$top_builddir/tests/plugins/.libs}"

NBAD=80		# contacts on the failing channel
NGOOD=5		# contacts on the healthy one
NREM=4		# reminders each

sql() {
	sqlite3 -batch -cmd '.timeout 2000' "$T/h.db" "$@"
}

count_is() {	# count_is N WHERE -- N jobs match
	[ "$(sql "SELECT count(*) FROM jobs WHERE $2")" = "$1" ]
}

mkdir -p "$T/plugins"
ln -s "$HERALD_PLUGIN_DIR/log.so" "$HERALD_TEST_PLUGIN_DIR/flaky.so" "$T/plugins/"
export HERALD_PLUGIN_DIR=$T/plugins

contacts() {	# contacts PREFIX N CHANNEL -- contact entries, one a line
	awk -v p="$1" -v n="$2" -v ch="$3" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "  { id = \"%s%02d\"; name = \"%s%02d\"; prefer = [ \"%s\" ]; }%s\n",
	    p, i, p, i, ch, (i < n ? "," : "") }'
}

ids() {		# ids PREFIX N -- "p01", "p02", ...
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "%s\"%s%02d\"", (i > 1 ? ", " : ""), p, i }'
}

# The failing channel answers "transient" 100 ms after each send, two at a
# time (the flaky plugin's default concurrency), with retry-after 1 s, so
# it has a backlog for the whole run.  The reminders of both deadlines fall
# on the same four instants: the healthy channel's jobs are due in the same
# seconds as a burst of failing ones.  The failing deadline is a minute
# later, so its reminders stay worth retrying (a reminder is cancelled once
# its deadline has passed).
now=$(date +%s)
due=$((now + 7))
cat >"$T/h.conf" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:h.db";
  engine = { workdays_only = [ ];
             retry = { attempts = 100; base = "1s"; cap = "2s"; max_age = "1h"; }; };
};
channels = (
  { name = "broken"; plugin = "flaky"; mode = "transient"; delay_ms = 100;
    retry_after_ms = 1000; record = "$T/broken.rec"; },
  { name = "good"; plugin = "log"; file = "good.log"; format = "json"; }
);
contacts = (
$(contacts bad "$NBAD" broken),
$(contacts ok "$NGOOD" good)
);
campaigns = ( {
  id = "c"; title = "隔离演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = (
    { id = "bad"; title = "报送甲"; due = "$(sh_civil $((due + 60)))";
      audience = [ $(ids bad "$NBAD") ]; remind = [ "64s", "63s", "62s", "61s" ];
      overdue = false; },
    { id = "good"; title = "报送乙"; due = "$(sh_civil "$due")";
      audience = [ $(ids ok "$NGOOD") ]; remind = [ "4s", "3s", "2s", "1s" ];
      overdue = false; }
  );
} );
CONF
cd "$T" || exit 1
BAD=$((NBAD * NREM))
GOOD=$((NGOOD * NREM))

start_bg "$T/d.log" "$HERALDD" -f -c h.conf
pid=$BG_PID
if wait_until 10 log_has "$T/d.log" "planned $((BAD + GOOD)) jobs"; then
	ok "$BAD jobs on the failing channel, $GOOD on the healthy one"
else
	not_ok "$BAD jobs on the failing channel, $GOOD on the healthy one" "$(cat "$T/d.log")"
fi

if wait_until 15 count_is "$GOOD" "channel = 'good' AND state = 'delivered'"; then
	ok "all $GOOD healthy-channel jobs are delivered"
else
	not_ok "all $GOOD healthy-channel jobs are delivered" \
	    "$(sql "SELECT state, count(*) FROM jobs WHERE channel = 'good' GROUP BY state")"
fi
is "$(sql "SELECT count(*) FROM jobs WHERE channel = 'good' AND late = 0
    AND lateness_ms BETWEEN 0 AND 999")" "$GOOD" \
    "... each within a second of its instant (lateness_ms)"
is "$(sql "SELECT count(*) FROM jobs j JOIN events e ON e.key = j.key
    AND e.state = 'delivered' WHERE j.channel = 'good'
    AND e.at - j.due BETWEEN 0 AND 1")" "$GOOD" \
    "... and its delivered event is at its instant"
is "$(grep -c . "$T/good.log")" "$GOOD" "the healthy channel's log has $GOOD lines"
is "$(sql "SELECT count(DISTINCT due) FROM jobs")" "$NREM" \
    "both channels' jobs fall on the same $NREM instants"
# The two overlapped: the failing channel had already failed sends by the
# time the healthy channel's last job went out.
overlap=$(sql "SELECT count(*) FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.channel = 'broken' AND e.detail LIKE '%flaky says no%'
    AND e.at <= (SELECT max(e2.at) FROM events e2 JOIN jobs j2
    ON j2.key = e2.key WHERE j2.channel = 'good')")
if [ "${overlap:-0}" -gt 0 ]; then
	ok "the failing channel was failing while the healthy one delivered ($overlap failures)"
else
	not_ok "the failing channel was failing while the healthy one delivered" \
	    "no failure recorded before the last healthy delivery"
fi

# The failing channel retries: wait until some job has failed twice.
retried() { [ "$(sql "SELECT count(*) FROM jobs WHERE channel = 'broken' AND attempts > 1")" -gt 0 ]; }
if wait_until 15 retried; then
	ok "failing-channel jobs are retried (attempts > 1)"
else
	not_ok "failing-channel jobs are retried (attempts > 1)" \
	    "$(sql "SELECT attempts, count(*) FROM jobs WHERE channel = 'broken' GROUP BY attempts")"
fi
is "$(sql "SELECT count(*) FROM jobs WHERE channel = 'broken' AND state = 'delivered'")" 0 \
    "... and none of them is delivered"
# One statement, one snapshot: retry events against the attempts counters.
is "$(sql "SELECT (SELECT count(*) FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.channel = 'broken' AND e.state = 'pending'
    AND e.detail LIKE '%flaky says no%') = sum(attempts) AND sum(attempts) > 0
    FROM jobs WHERE channel = 'broken'")" 1 \
    "... each failed try is a retry event with the channel's reason"
# Several sends of one key reached the failing channel, each a new attempt.
like "$(awk '{ print $3 }' "$T/broken.rec" | sort -n | uniq | tr '\n' ' ')" '^1 2 ' \
    "the failing channel saw attempt 1 and attempt 2"
kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "the daemon stops on SIGTERM with the failing channel busy"
is "$(unexpected_warnings "$T/d.log" 'flaky says no')" "" \
    "no warnings but the failing channel's own"

done_testing
