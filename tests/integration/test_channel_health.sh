#!/bin/bash
# test_channel_health.sh - a channel's peer goes down and comes back: the
# log says so once each way, with the last error, and status and metrics
# follow (heraldd(8), "Channel health").
#
# An SMTP server (smtp_server.py on aiosmtpd) takes the first round of
# reminders, is stopped while the second round is retried against its
# closed port (many refused connections), and is started again on the same
# port.  Expected: exactly one "failing" line naming the refused
# connection and one "recovered" line, however many sends failed between;
# /v1/status and herald_channel_failing say failing during the outage and
# ok after; every message arrives once.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
SERVER=$top_srcdir/tests/integration/smtp_server.py
N=10
ALLOWED='CLOCK NOT SYNCHRONIZED|channel mail: failing: transient failure: .*refused'

if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	echo "1..0 # SKIP python3-aiosmtpd not installed"
	exit 0
fi

count_eml() { find "$T"/smtp-* -name '*.eml' 2>/dev/null | wc -l; }
count_ge() { [ "$(count_eml)" -ge "$1" ]; }
status_health() {	# the health of channel mail in /v1/status
	curl -s "$API/v1/status" | $PY -c 'import json, sys
for c in json.load(sys.stdin)["channels"]:
    if c["name"] == "mail": print(c["health"])'
}
health_is() { [ "$(status_health)" = "$1" ]; }
metric() { curl -s "$API/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
retries_ge() { [ "$(metric 'herald_retries_total{channel="mail"}')" -ge "$1" ] 2>/dev/null; }
log_count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

start_smtp() {	# start_smtp NAME ARGS... -- messages land in $T/smtp-NAME
	local name=$1
	shift
	rm -f "$T/smtp.port"
	start_bg "$T/smtp.log" $PY "$SERVER" --dir "$T/smtp-$name" --port-file "$T/smtp.port" "$@"
	SMTP_PID=$BG_PID
	if ! wait_until 15 test -s "$T/smtp.port"; then
		not_ok "SMTP server starts" "$(cat "$T/smtp.log")"
		done_testing
		exit 0
	fi
	SMTP_PORT=$(cat "$T/smtp.port")
}

cd "$T" || exit 1
start_smtp first
now=$(date +%s)
due=$((now + 3600))
{
	cat <<CONF
herald = { timezone = "Asia/Shanghai"; store = "sqlite:h.db"; listen = "127.0.0.1:0";
  engine = { workdays_only = [ ];
             retry = { attempts = 100; base = "2s"; cap = "2s"; max_age = "1h"; }; }; };
channels = ( { name = "mail"; plugin = "email"; server = "127.0.0.1:$SMTP_PORT";
  from = "xfcj@example.gov.cn"; starttls = "no"; connect_timeout = "2s"; } );
contacts = (
CONF
	for i in $(seq 1 $N); do
		sep=,; [ "$i" = $N ] && sep=
		printf '  { id = "c%d"; name = "联络员%d"; email = "c%d@example.gov.cn"; prefer = [ "mail" ]; }%s\n' \
		    "$i" "$i" "$i" "$sep"
	done
	cat <<CONF
);
groups = ( { id = "all"; members = [ $(for i in $(seq 1 $N); do printf '"c%d",' "$i"; done | sed 's/,$//') ]; } );
campaigns = ( { id = "c"; title = "通道健康演练";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ "all" ]; remind = [ "$((3600 - 4))s", "$((3600 - 14))s" ]; overdue = false; } ); } );
CONF
} >h.conf

start_bg "$T/d.log" "$HERALDD" -f -c h.conf
HPID=$BG_PID
wait_listen "$T/d.log" || { not_ok "heraldd starts" "$(cat "$T/d.log")"; done_testing; exit 0; }
if wait_until 30 count_ge "$N"; then
	ok "first round: $N messages delivered"
else
	not_ok "first round: $N messages delivered" "$(count_eml) arrived"
fi
check "status: channel mail is ok" health_is ok
is "$(metric 'herald_channel_failing{channel="mail"}')" 0 "metric herald_channel_failing is 0"

kill -TERM "$SMTP_PID"
wait_exit "$SMTP_PID" 15
# The second round (due 10 s after the first) meets a closed port.
if wait_until 40 log_has "$T/d.log" 'channel mail: failing'; then
	ok "the outage is logged"
else
	not_ok "the outage is logged" "$(tail -5 "$T/d.log")"
fi
if wait_until 40 retries_ge $((3 * N)); then
	ok "many sends fail meanwhile ($(metric 'herald_retries_total{channel="mail"}') retries)"
else
	not_ok "many sends fail meanwhile" "$(metric 'herald_retries_total{channel="mail"}') retries"
fi
check "status: channel mail is failing" health_is failing
like "$("${HERALDCTL:-$top_builddir/ctl/heraldctl}" -u "$API" status 2>&1)" \
    'channel mail failing since [0-9-]+ [0-9:]+: .*refused' \
    "heraldctl status names the failing channel, since when and its last error"
is "$(metric 'herald_channel_failing{channel="mail"}')" 1 "metric herald_channel_failing is 1"
is "$(log_count "$T/d.log" 'channel mail: failing')" 1 "one failing line, not one per failed send"
like "$(grep 'channel mail: failing' "$T/d.log")" '\[warning\].*channel mail: failing: transient failure: .*[Cc]onnection refused' \
    "... a warning with the last error (connection refused)"

start_smtp again --port "$SMTP_PORT"
if wait_until 40 count_ge $((2 * N)); then
	ok "the server back: the second round arrives"
else
	not_ok "the server back: the second round arrives" "$(count_eml) arrived"
fi
if wait_until 20 log_has "$T/d.log" 'channel mail: recovered'; then
	ok "the recovery is logged"
else
	not_ok "the recovery is logged" "$(tail -5 "$T/d.log")"
fi
is "$(log_count "$T/d.log" 'channel mail: recovered')" 1 "one recovered line"
like "$(grep 'channel mail: recovered' "$T/d.log")" '\[notice\].*recovered after [0-9]+s? ?.*[0-9]+ failed sends' \
    "... a notice saying how long and how many sends failed"
check "status: channel mail is ok again" health_is ok
is "$(metric 'herald_channel_failing{channel="mail"}')" 0 "metric herald_channel_failing is 0 again"
is "$(log_count "$T/d.log" 'channel mail: failing')" 1 "still one failing line in all"
is "$(cat "$T"/smtp-*/*.eml | grep -i '^Message-ID:' | sort | uniq -d | wc -l) $(count_eml)" \
    "0 $((2 * N))" "every message once"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops"
is "$(unexpected_warnings "$T/d.log" "$ALLOWED")" "" "no other warnings"

done_testing
