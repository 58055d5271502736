#!/bin/bash
# test_email_uncertain.sh - an SMTP server that took the message but
# answered too late is not paid again and again (issue 12, defect 5, on
# the email channel).  smtp_server.py records a message to a "stall"
# recipient and answers its DATA only after --stall-data seconds, longer
# than the channel's transfer_timeout: the session ends after the
# recipient was accepted and the body sent, so the message may have been
# delivered (HERALD_UNCERTAIN).  Mail keeps every copy, so herald must
# back off for engine.retry.after_timeout, give up after retry.timeouts
# such tries with "may have been delivered", never fall back to the
# contact's next channel, and count the timeouts.  Counts are read from
# the server's own files, not from herald.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
SERVER=$top_srcdir/tests/integration/smtp_server.py
ALLOWED='CLOCK NOT SYNCHRONIZED|may have been|failed|channel mail: failing'

if ! $PY -c 'import aiosmtpd' 2>/dev/null || [ ! -f "$HERALD_PLUGIN_DIR/email.so" ] ||
    ! command -v sqlite3 >/dev/null || ! command -v curl >/dev/null; then
	echo "1..0 # SKIP aiosmtpd, the email plugin, sqlite3 or curl is missing"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }
copies() { grep -l '^RCPT TO:stall1@' "$T"/smtp/*.env 2>/dev/null | wc -l; }
metric() { curl -s "$API/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

cd "$T" || exit 1
STALL=4
start_bg "$T/smtp.log" $PY "$SERVER" --dir "$T/smtp" --port-file "$T/smtp.port" \
    --stall-data "$STALL"
if ! wait_until 15 test -s "$T/smtp.port"; then
	not_ok "the SMTP server starts" "$(cat "$T/smtp.log")"
	done_testing
	exit 0
fi
P=$(cat "$T/smtp.port")

# attempts = 8 and base = 1 s: a plain transient failure would be tried 8
# times within ~10 s and then fall back to "audit".
AFTER_TIMEOUT=5
now=$(date +%s)
due=$((now + 900))
cat >mail.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:mail.db";
  listen = "127.0.0.1:0";
  engine = { workdays_only = [ ];
             retry = { attempts = 8; base = "1s"; cap = "1s"; max_age = "1h";
                       after_timeout = "${AFTER_TIMEOUT}s"; timeouts = 2; }; };
};
channels = (
  { name = "mail"; plugin = "email"; server = "127.0.0.1:$P"; starttls = "no";
    from = "xfcj@example.gov.cn"; connect_timeout = "2s"; transfer_timeout = "1s"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; email = "stall1@example.gov.cn";
    prefer = [ "mail", "audit" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison"; title = "联络员名单"; due = "$(sh_civil "$due")";
    audience = [ "bj-wang" ]; remind = [ "898s" ]; overdue = false;
  } );
} );
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c mail.conf
DB=$T/mail.db
if wait_until 15 log_has "$T/heraldd.log" 'ready: config generation 1' && wait_listen "$T/heraldd.log"; then
	ok "heraldd starts"
else
	not_ok "heraldd starts" "$(cat "$T/heraldd.log")"
	done_testing
	exit 0
fi
key=$(q "SELECT key FROM jobs WHERE channel = 'mail' AND kind = 'reminder'")

# Two tries of ~1 s and one backoff of ~5 s; 8 quick tries take ~10 s.
if wait_until 40 q_ge "SELECT count(*) FROM jobs WHERE key = '$key' AND state IN ('failed', 'delivered')" 1; then
	ok "the notice to the stalling server comes to an end"
else
	not_ok "the notice to the stalling server comes to an end" "$(q "SELECT state, attempts, last_detail FROM jobs")"
fi
# Let any further session reach the server before counting.
wait_until $((STALL + 2)) false
is "$(copies)" 2 "the server holds the message twice (retry.timeouts), not 8 times"
is "$(q "SELECT state FROM jobs WHERE key = '$key'")" failed "the job ends failed"
like "$(q "SELECT last_detail FROM jobs WHERE key = '$key'")" 'may have been' \
    "... saying the message may have been delivered"
retry_gap=$(q "SELECT at, state FROM events WHERE key = '$key' ORDER BY at" | $PY -c '
import sys
ev = [l.strip().split("|") for l in sys.stdin if l.strip()]
i = next((i for i, e in enumerate(ev) if e[1] == "pending"), None)
print(int(ev[i + 1][0]) - int(ev[i][0]) if i is not None and i + 1 < len(ev) else "")')
is "$([ -n "$retry_gap" ] && [ "$retry_gap" -ge $((AFTER_TIMEOUT * 8 / 10)) ] && echo yes)" yes \
    "the history shows the after_timeout backoff, not retry.base (${retry_gap}s)"
is "$(q "SELECT count(*) FROM jobs WHERE channel = 'audit'")" 0 \
    "no fallback job on \"audit\": mail keeps every copy"
is "$(test -s audit.log && wc -l <audit.log || echo 0)" 0 "... and nothing was written to audit.log"
is "$(metric 'herald_timeouts_total{channel="mail"}')" 2 "/metrics counts the 2 timeouts of the mail channel"
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings in the log"
done_testing
