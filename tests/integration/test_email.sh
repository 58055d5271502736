#!/bin/bash
# test_email.sh - the email channel against a real SMTP server on loopback
# (tests/integration/smtp_server.py on aiosmtpd): a Chinese deadline
# reminder arrives intact with its .ics, over STARTTLS with AUTH; a server
# without STARTTLS is refused clearly; a 4xx recipient is retried until
# delivered, a 5xx one falls back to the contact's next channel; a server
# down for a while loses and doubles nothing; 1,000 messages all arrive.
#
# Received messages are parsed back with Python's email package (Debian's
# /usr/bin/python3); expected values are computed here, not read back
# from herald.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
SERVER=$top_srcdir/tests/integration/smtp_server.py
ALLOWED='CLOCK NOT SYNCHRONIZED|transient|permanent|failed|fallback|retry|STARTTLS|refused|Connection refused'

if ! $PY -c 'import aiosmtpd' 2>/dev/null || ! command -v openssl >/dev/null; then
	echo "1..0 # SKIP python3-aiosmtpd or openssl not installed"
	exit 0
fi

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
count_eml() { find "$1" -name '*.eml' 2>/dev/null | wc -l; }
count_ge() { [ "$(count_eml "$1")" -ge "$2" ]; }
q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }	# q_ge SQL N: for wait_until

# start_smtp NAME ARGS... -- a recording server in $T/NAME; sets SMTP_PORT.
start_smtp() {
	local name=$1
	shift
	rm -f "$T/$name.port"
	start_bg "$T/$name.log" $PY "$SERVER" --dir "$T/$name" \
	    --port-file "$T/$name.port" "$@"
	SMTP_PID=$BG_PID
	if ! wait_until 15 test -s "$T/$name.port"; then
		not_ok "SMTP server $name starts" "$(cat "$T/$name.log")"
		done_testing
		exit 0
	fi
	SMTP_PORT=$(cat "$T/$name.port")
}

cd "$T" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
    -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
PASSWORD='s3cret-Pa55-不外传'
printf '%s\n' "$PASSWORD" >smtp.pw

start_smtp tls --tls-cert cert.pem --tls-key key.pem --require-tls \
    --user xfcj --password "$PASSWORD" --tempfail-times 2
P_TLS=$SMTP_PORT
start_smtp plain
P_PLAIN=$SMTP_PORT
P_DOWN=$(free_port)

now=$(date +%s)
due=$((now + 8))
due_down=$((now + 22))	# its reminder at now + 5, while the server is down
TITLE='报送联络机制名单（附件1）'
cat >email.conf <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:email.db";
  engine = { workdays_only = [ ];
             retry = { attempts = 20; base = "1s"; cap = "2s"; max_age = "1h"; }; };
};
channels = (
  { name = "mail"; plugin = "email"; server = "localhost:$P_TLS";
    from = "消费促进司 <xfcj@example.gov.cn>"; reply_to = "desk@example.gov.cn";
    starttls = "required"; ca_file = "cert.pem";
    user = "xfcj"; password_file = "smtp.pw";
    connect_timeout = "5s"; transfer_timeout = "10s"; },
  { name = "mail-notls"; plugin = "email"; server = "localhost:$P_PLAIN";
    from = "xfcj@example.gov.cn"; starttls = "required"; ca_file = "cert.pem"; },
  { name = "mail-down"; plugin = "email"; server = "localhost:$P_DOWN";
    from = "xfcj@example.gov.cn"; starttls = "no"; connect_timeout = "2s"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; email = "wangxm@example.gov.cn"; prefer = [ "mail", "audit" ]; },
  { id = "hb-li"; name = "李红"; email = "tempfail-li@example.gov.cn"; prefer = [ "mail", "audit" ]; },
  { id = "sx-zhao"; name = "赵刚"; email = "reject-zhao@example.gov.cn"; prefer = [ "mail", "audit" ]; },
  { id = "sh-chen"; name = "陈静"; email = "chenj@example.gov.cn"; prefer = [ "mail-notls", "audit" ]; },
  { id = "tj-qian"; name = "钱伟"; email = "qianw@example.gov.cn"; prefer = [ "mail-down" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison-list"; title = "$TITLE";
    due = "$(sh_civil "$due")";
    audience = [ "bj-wang", "hb-li", "sx-zhao", "sh-chen" ];
    remind = [ "5s" ];
  }, {
    id = "down-list"; title = "报送活动清单";
    due = "$(sh_civil "$due_down")";
    audience = [ "tj-qian" ];
    remind = [ "17s" ];
  } );
} );
templates = {
  reminder = { default = "您好！请按时报送{{title}}。\\n联系人：消费促进司"; subject = "【提醒】{{title}}"; };
  overdue = { default = "{{title}}已逾期，请尽快报送。"; subject = "【逾期】{{title}}"; };
};
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c email.conf
HPID=$BG_PID
DB=$T/email.db
if wait_until 10 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with three email channels"
else
	not_ok "heraldd starts with three email channels" "$(cat "$T/heraldd.log")"
fi

# --- the reminder to bj-wang over STARTTLS + AUTH ------------------------
# Two messages to wangxm: the reminder (due - 5 s) and the overdue notice.
wait_until 20 count_ge "$T/tls" 2
eml=$(grep -l 'RCPT TO:wangxm@' "$T"/tls/*.env 2>/dev/null | head -1)
eml=${eml%.env}.eml
key=$(q "SELECT key FROM jobs WHERE contact = 'bj-wang' AND kind = 'reminder' AND channel = 'mail'")
if [ -f "$eml" ]; then
	ok "the reminder reached the STARTTLS + AUTH server"
else
	not_ok "the reminder reached the STARTTLS + AUTH server" "$(cat "$T/heraldd.log")"
fi
env=${eml%.eml}.env
is "$(grep -E '^(TLS|AUTH):' "$env" 2>/dev/null | tr '\n' ' ')" "TLS:yes AUTH:yes " \
    "... over TLS and authenticated"
expect_dt=$(date -u -d "@$due" +%Y%m%dT%H%M%SZ)
parsed=$($PY - "$eml" <<'PY' 2>&1
import sys, email, email.policy, email.utils
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=email.policy.default)
print("subject=" + str(m['subject']))
print("from=" + m['from'].addresses[0].display_name + "|" + m['from'].addresses[0].addr_spec)
print("to=" + m['to'].addresses[0].display_name + "|" + m['to'].addresses[0].addr_spec)
print("msgid=" + str(m['message-id']))
print("xid=" + str(m['x-herald-id']))
print("date_ok=%s" % (email.utils.parsedate_to_datetime(str(m['date'])) is not None))
print("defects=%d" % (len(m.defects) + sum(len(p.defects) for p in m.walk())))
print("crlf_only=%s" % (b'\n' not in raw.replace(b'\r\n', b'')))
print("ascii=%s" % all(b < 128 for b in raw))
print("maxline=%d" % max(len(l) for l in raw.split(b'\r\n')))
body = m.get_body(preferencelist=('plain',)).get_content().replace('\r\n', '\n')
print("body=" + body.replace('\n', '\\n'))
for p in m.iter_attachments():
    if p.get_content_type() == 'text/calendar':
        ics = p.get_content().replace('\r\n ', '')
        for line in ics.split('\r\n'):
            if line.startswith(('DTSTART', 'DTEND', 'UID', 'SUMMARY', 'METHOD')):
                print("ics." + line)
PY
)
field() { printf '%s\n' "$parsed" | sed -n "s/^$1=//p"; }
is "$(field subject)" "【提醒】$TITLE" "the Chinese subject decodes byte-exact"
is "$(field body)" "您好！请按时报送$TITLE。\\n联系人：消费促进司" \
    "the Chinese body decodes byte-exact"
is "$(field from)" "消费促进司|xfcj@example.gov.cn" "From carries the encoded display name"
is "$(field to)" "王晓明|wangxm@example.gov.cn" "To carries the contact's name"
like "$(field msgid)" "^<$key@example\\.gov\\.cn>\$" "Message-ID is derived from the job key"
is "$(field xid)" "$key" "X-Herald-Id is the job key"
is "$(field date_ok) $(field defects) $(field crlf_only) $(field ascii)" \
    "True 0 True True" "Date parses, no parser defects, CRLF only, 7-bit"
like "$(field maxline)" '^([0-9]|[1-6][0-9]|7[0-6])$' "no line longer than 76 characters"
# Issue 11: the UID is the deadline's ("<campaign>/<item>@herald"), not the
# job key, so every reminder of one deadline updates one calendar event,
# the one GET /v1/agenda.ics gives; the event ends
# HERALD_ITEM_EVENT_SECONDS (30 minutes) after it starts.
expect_end=$(date -u -d "@$((due + 1800))" +%Y%m%dT%H%M%SZ)
UID_WANT='xfcjy-2023/liaison-list@herald'
is "$(printf '%s\n' "$parsed" | grep '^ics\.' | sort | tr '\n' ' ')" \
    "ics.DTEND:$expect_end ics.DTSTART:$expect_dt ics.METHOD:PUBLISH ics.SUMMARY:$TITLE ics.UID:$UID_WANT " \
    "the .ics part: METHOD:PUBLISH, UID = the deadline's, DTSTART = the deadline in UTC, a DTEND"
uids=$($PY - "$T"/tls/*.eml <<'PY' 2>&1
import sys, email, email.policy, re
for path in sys.argv[1:]:
    m = email.message_from_bytes(open(path, 'rb').read(), policy=email.policy.default)
    for p in m.iter_attachments():
        if p.get_content_type() == 'text/calendar':
            ics = p.get_content().replace('\r\n ', '')
            print(" ".join(re.findall(r'^UID:(.*?)\r?$', ics, re.M)))
PY
)
is "$(printf '%s\n' "$uids" | sort -u | tr '\n' ' ')" "$UID_WANT " \
    "every .ics of the deadline ($(printf '%s\n' "$uids" | grep -c .) mails: reminders, overdue notices) carries one UID"
if wait_listen "$T/heraldd.log"; then
	curl -s -o export.ics "$API/v1/agenda.ics"
	like "$(tr -d '\r' <export.ics | grep '^UID:')" "^UID:$UID_WANT\$" \
	    "... the UID GET /v1/agenda.ics gives the deadline's event"
else
	not_ok "... the UID GET /v1/agenda.ics gives the deadline's event" "no listen line"
fi

# --- STARTTLS required, server without it --------------------------------
if wait_until 20 q_ge "SELECT count(*) FROM jobs
    WHERE contact = 'sh-chen' AND channel = 'mail-notls' AND state = 'failed'" 1; then
	ok "STARTTLS required against a server without it: the send failed"
else
	not_ok "STARTTLS required against a server without it: the send failed" \
	    "$(q "SELECT kind, state FROM jobs WHERE contact = 'sh-chen'")"
fi
like "$(q "SELECT e.detail FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'sh-chen' AND j.channel = 'mail-notls'")" \
    'server does not offer STARTTLS' "... the store records why"
check "... and so does the daemon log" log_has "$T/heraldd.log" 'server does not offer STARTTLS'
is "$(count_eml "$T/plain")" 0 "... and nothing was sent in clear text"

# --- 4xx retried, 5xx falls back -------------------------------------------
if wait_until 30 q_ge "SELECT count(*) FROM jobs WHERE contact = 'hb-li'
    AND channel = 'mail' AND state = 'delivered'" 2; then
	ok "a 451 recipient is retried and both messages are delivered"
else
	not_ok "a 451 recipient is retried and both messages are delivered" \
	    "$(q "SELECT kind, state, attempts FROM jobs WHERE contact = 'hb-li'")"
fi
# The server answers 451 twice per address (--tempfail-times 2).
is "$(q "SELECT count(*) FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'hb-li' AND j.channel = 'mail' AND e.detail LIKE '%451%'")" 2 \
    "... after the server's two 451 answers, recorded as transient"
is "$(grep -l 'RCPT TO:tempfail-li@' "$T"/tls/*.env | wc -l)" 2 "... and each arrived once"
wait_until 20 q_ge "SELECT count(*) FROM jobs WHERE contact = 'sx-zhao' AND channel = 'audit'" 2
is "$(q "SELECT group_concat(state, ',') FROM (SELECT state FROM jobs WHERE
    contact = 'sx-zhao' AND channel = 'mail' ORDER BY kind)")" "failed,failed" \
    "a 550 recipient fails permanently on the email channel"
is "$(q "SELECT count(*) FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'sx-zhao' AND j.channel = 'mail' AND e.detail LIKE '%550%'")" 2 \
    "... once each, with the 550 recorded"
audit_ge() { [ "$(grep -c '"contact":"sx-zhao"' audit.log 2>/dev/null)" -ge 2 ]; }
if wait_until 10 audit_ge; then
	ok "... and both messages fall back to the contact's next channel (audit)"
else
	not_ok "... and both messages fall back to the contact's next channel (audit)" \
	    "$(cat audit.log 2>/dev/null)"
fi

# --- the server down, then back ---------------------------------------------
wait_until 15 q_ge "SELECT count(*) FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'tj-qian' AND e.state <> 'delivered'" 2
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'tj-qian' AND state = 'delivered'")" 0 \
    "with its server down nothing is delivered to tj-qian yet"
start_smtp down --port "$P_DOWN"
if wait_until 30 count_ge "$T/down" 2; then
	ok "the server back up: both messages arrive"
else
	not_ok "the server back up: both messages arrive" "$(q "SELECT kind, state, attempts FROM jobs WHERE contact = 'tj-qian'")"
fi
wait_until 5 q_ge "SELECT count(*) FROM jobs WHERE contact = 'tj-qian' AND state = 'delivered'" 2
is "$(cat "$T"/down/*.eml | grep -i '^Message-ID:' | sort | uniq -d | wc -l) $(count_eml "$T/down")" \
    "0 2" "... each once (no Message-ID twice)"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
if grep -qF "$PASSWORD" "$T/heraldd.log" "$T/email.db" audit.log 2>/dev/null; then
	not_ok "the SMTP password appears in no log and not in the store"
else
	ok "the SMTP password appears in no log and not in the store"
fi
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"

# --- 1,000 messages ---------------------------------------------------------
start_smtp bulk
mkdir -p "$T/bulk-run" && cd "$T/bulk-run" || exit 1
now=$(date +%s)
due=$((now + 64))	# reminders at now + 3 and + 4: a minute of slack before they lapse
{
	cat <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:bulk.db";
  engine = { workdays_only = [ ]; workers = 8; }; };
channels = ( { name = "mail"; plugin = "email"; server = "127.0.0.1:$SMTP_PORT";
  from = "消费促进司 <xfcj@example.gov.cn>"; starttls = "no";
  concurrency = 16; rate = "10000/s"; burst = 1000; } );
contacts = (
CONF
	for i in $(seq -w 1 500); do
		sep=,; [ "$i" = 500 ] && sep=
		echo "  { id = \"c$i\"; name = \"联络员$i\"; email = \"c$i@example.gov.cn\"; prefer = [ \"mail\" ]; }$sep"
	done
	cat <<CONF
);
groups = ( { id = "all"; members = [ $(for i in $(seq -w 1 500); do printf '"c%s",' "$i"; done | sed 's/,$//') ]; } );
campaigns = ( { id = "bulk"; title = "批量测试";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d1"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ "all" ]; remind = [ "61s", "60s" ]; overdue = false; } ); } );
CONF
} >bulk.conf
start_bg "$T/bulk.log" "$HERALDD" -f -c bulk.conf
BPID=$BG_PID
t0=$(date +%s.%N)
if wait_until 120 count_ge "$T/bulk" 1000; then
	t1=$(date +%s.%N)
	ok "1,000 messages through the channel all arrived ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s from start)"
else
	not_ok "1,000 messages through the channel all arrived" "$(count_eml "$T/bulk") arrived" "$(tail -5 "$T/bulk.log")"
fi
is "$(cat "$T"/bulk/*.eml | grep -i '^Message-ID:' | sort -u | wc -l)" 1000 \
    "... 1,000 distinct Message-IDs"
DB=$T/bulk-run/bulk.db
wait_until 30 q_ge "SELECT count(*) FROM jobs WHERE state = 'delivered'" 1000
is "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" 1000 "... and the store says delivered"
kill -TERM "$BPID"
wait_exit "$BPID" 15
is "$EXIT_STATUS" 0 "the bulk daemon stops on SIGTERM"
is "$(unexpected_warnings "$T/bulk.log" 'CLOCK NOT SYNCHRONIZED')" "" "no warnings in the bulk run"

done_testing
