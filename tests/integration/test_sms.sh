#!/bin/bash
# test_sms.sh - the sms channel against a real Kannel on loopback
# (bearerbox + smsbox + the fake SMSC, tests/integration/kannel.sh): a
# Chinese reminder arrives intact with its signature; a long one arrives
# as the right number of concatenated parts; delivery reports of every
# part come back to herald and are recorded against the one job; a bad
# password (403) fails permanently and falls back to the contact's next
# channel; an smsbox that is down is retried until it is back.
#
# The fake SMSC's log is decoded here with Python (UCS-2BE); the expected
# texts and part counts are computed here, not read back from herald.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/kannel.sh"

PY=/usr/bin/python3
ALLOWED='CLOCK NOT SYNCHRONIZED|transient|permanent|failed|fallback|retry|sendsms|refused|Couldn.t connect'

if ! kannel_available || ! command -v curl >/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP kannel, kannel-extras, curl or sqlite3 not installed"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }	# q_ge SQL N: for wait_until
msgs_to() { kannel_messages "$T/k" | awk -F'\t' -v to="$1" '$1 == to' ; }
msgs_to_ge() { [ "$(msgs_to "$1" | wc -l)" -ge "$2" ]; }

cd "$T" || exit 1
PASSWORD='kannel-Pa55-不外传'
printf '%s\n' "$PASSWORD" >kannel.pw
printf 'wrong\n' >bad.pw
printf 'dlr-secret\n' >dlr.sec
chmod 600 dlr.sec
kannel_write_conf "$T/k" herald "$PASSWORD"
if kannel_start "$T/k"; then
	ok "Kannel (bearerbox, fake SMSC, smsbox) is up"
else
	not_ok "Kannel (bearerbox, fake SMSC, smsbox) is up" \
	    "$(tail -n 5 "$T/k/bearerbox.log" "$T/k/smsbox.log" 2>/dev/null)"
	done_testing
	exit 0
fi
# A second smsbox for the "down" channel, started later on its own port.
P_DOWN=$(_kannel_free_port)
sed "s/^sendsms-port = .*/sendsms-port = $P_DOWN/" "$KANNEL_CONF" >"$T/k/kannel-down.conf"
HPORT=$(_kannel_free_port)

now=$(date +%s)
due=$((now + 900))		# reminders at now + 5; no overdue notice in the test
SIG='【商务部】'
TITLE='联络员名单'
LONG_TITLE='2023年全国消费促进月重点活动安排表（含各地联络员名单、活动时间地点、预计参与企业数量及线上线下配套措施），请于截止前通过系统上传并抄送消费促进司综合处🎉'
cat >sms.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:sms.db";
  listen = "127.0.0.1:$HPORT";
  dlr_secret_file = "dlr.sec";
  engine = { workdays_only = [ ];
             retry = { attempts = 100; base = "1s"; cap = "1s"; max_age = "1h"; }; };
};
channels = (
  { name = "sms"; plugin = "sms"; url = "$KANNEL_SENDSMS";
    user = "herald"; password_file = "kannel.pw"; signature = "$SIG";
    max_segments = 3; dlr_url = "http://127.0.0.1:$HPORT/v1/dlr"; },
  { name = "sms-badpw"; plugin = "sms"; url = "$KANNEL_SENDSMS";
    user = "herald"; password_file = "bad.pw"; },
  { name = "sms-down"; plugin = "sms"; url = "http://127.0.0.1:$P_DOWN/cgi-bin/sendsms";
    user = "herald"; password_file = "kannel.pw"; signature = "$SIG";
    timeout = "2s"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; }
);
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "138 0013 8000"; prefer = [ "sms", "audit" ]; },
  { id = "hb-li"; name = "李红"; phone = "13900139000"; prefer = [ "sms", "audit" ]; },
  { id = "sx-zhao"; name = "赵刚"; phone = "13700137000"; prefer = [ "sms-badpw", "audit" ]; },
  { id = "tj-qian"; name = "钱伟"; phone = "+86 136 0013 6000"; prefer = [ "sms-down" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison"; title = "$TITLE"; due = "$(sh_civil "$due")";
    audience = [ "bj-wang", "sx-zhao", "tj-qian" ]; remind = [ "895s" ];
  }, {
    id = "plan"; title = "$LONG_TITLE"; due = "$(sh_civil "$due")";
    audience = [ "hb-li" ]; remind = [ "895s" ];
  } );
} );
templates = {
  reminder = { default = "{{contact}}您好，请报送{{title}}。"; };
};
CONF

# heraldd -t counts each SMS template's segments.
check_out=$("$HERALDD" -t -c sms.conf 2>&1)
# The largest reminder on "sms" is hb-li's: 2 parts (counted below).
like "$check_out" 'sms templates: campaign xfcjy-2023 channel sms: reminder 2 segments, overdue [0-9]+ segments?' \
    "heraldd -t reports each SMS template's segment count per campaign"

start_bg "$T/heraldd.log" "$HERALDD" -f -c sms.conf
HPID=$BG_PID
DB=$T/sms.db
if wait_until 10 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with three sms channels"
else
	not_ok "heraldd starts with three sms channels" "$(cat "$T/heraldd.log")"
	kannel_stop
	done_testing
	exit 0
fi

# --- a Chinese reminder arrives intact -------------------------------------
expect="${SIG}王晓明您好，请报送${TITLE}。"
wait_until 20 msgs_to_ge +8613800138000 1
got=$(msgs_to +8613800138000)
is "$got" "$(printf '+8613800138000\t-\t%s' "$expect")" \
    "the Chinese reminder reaches the fake SMSC intact, signature first, one SMS"
key=$(q "SELECT key FROM jobs WHERE contact = 'bj-wang' AND channel = 'sms' AND kind = 'reminder'")
is "$(q "SELECT state FROM jobs WHERE key = '$key'")" delivered "... and is recorded delivered"

# --- a long reminder arrives as the right number of parts ------------------
long="${SIG}李红您好，请报送${LONG_TITLE}。"
nparts=$($PY -c '
import sys, math
t = sys.argv[1]
u = sum(2 if ord(c) > 0xffff else 1 for c in t)
print(1 if u <= 70 else math.ceil(u / 67))' "$long")
is "$([ "$nparts" -ge 2 ] && echo yes)" yes "the long reminder needs several parts ($nparts)"
wait_until 20 msgs_to_ge +8613900139000 "$nparts"
parts=$(msgs_to +8613900139000)
is "$(printf '%s\n' "$parts" | wc -l)" "$nparts" "... and arrives as $nparts SMS"
joined=$(printf '%s\n' "$parts" | $PY -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
udh = [bytes.fromhex(r[1]) for r in rows]
ok = all(u[:3] == b"\x05\x00\x03" and u[3] == udh[0][3] and u[4] == len(rows)
         for u in udh) and sorted(u[5] for u in udh) == list(range(1, len(rows) + 1))
rows.sort(key=lambda r: bytes.fromhex(r[1])[5])
print("udh_ok=%s" % ok)
print("text=" + "".join(r[2] for r in rows))')
is "$(printf '%s\n' "$joined" | sed -n 's/^udh_ok=//p')" True \
    "... each with a concatenation header: one reference, total $nparts, parts 1..$nparts"
is "$(printf '%s\n' "$joined" | sed -n 's/^text=//p')" "$long" "... which join to the text"
lkey=$(q "SELECT key FROM jobs WHERE contact = 'hb-li' AND channel = 'sms' AND kind = 'reminder'")

# --- delivery reports come back ---------------------------------------------
if wait_until 20 q_ge "SELECT count(DISTINCT part) FROM receipts WHERE key = '$lkey' AND type = 1" "$nparts"; then
	ok "a delivery report of every part reaches herald, tied to the one job"
else
	not_ok "a delivery report of every part reaches herald, tied to the one job" \
	    "$(q "SELECT * FROM receipts")" "$(grep -i dlr "$T/heraldd.log" | tail -5)"
fi
wait_until 10 q_ge "SELECT count(*) FROM receipts WHERE key = '$key' AND type = 1" 1
is "$(q "SELECT group_concat(type, ',') FROM (SELECT type FROM receipts WHERE key = '$key' ORDER BY type)")" \
    "1,8" "the single SMS gets an SMSC acknowledgement (8) and a delivery report (1)"
like "$(q "SELECT group_concat(detail, '|') FROM events WHERE key = '$key' AND state = 'receipt'")" \
    'part 1 delivered' "... and the job's history says \"receipt: part 1 delivered\""

# --- a bad password: permanent, then the next channel ------------------------
if wait_until 20 q_ge "SELECT count(*) FROM jobs WHERE contact = 'sx-zhao' AND channel = 'sms-badpw' AND kind = 'reminder' AND state = 'failed'" 1; then
	ok "a 403 from sendsms fails permanently"
else
	not_ok "a 403 from sendsms fails permanently" "$(q "SELECT channel, state, attempts FROM jobs WHERE contact = 'sx-zhao'")"
fi
like "$(q "SELECT group_concat(e.detail, '|') FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'sx-zhao' AND j.channel = 'sms-badpw'")" \
    'sendsms 403: Authorization failed' "... with Kannel's answer recorded"
audit_has() { grep -q '"contact":"sx-zhao"' audit.log 2>/dev/null; }
if wait_until 10 audit_has; then
	ok "... and falls back to the contact's next channel"
else
	not_ok "... and falls back to the contact's next channel" "$(q "SELECT channel, state FROM jobs WHERE contact = 'sx-zhao'")"
fi
is "$(msgs_to +8613700137000 | wc -l)" 0 "... and nothing reached the SMSC for it"

# --- smsbox down, then back ---------------------------------------------------
if wait_until 20 q_ge "SELECT count(*) FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'tj-qian' AND e.state = 'pending'" 2; then
	ok "smsbox down: the send is retried as transient"
else
	not_ok "smsbox down: the send is retried as transient" \
	    "$(q "SELECT e.state, e.detail FROM events e JOIN jobs j ON j.key = e.key WHERE j.contact = 'tj-qian'")"
fi
is "$(q "SELECT count(*) FROM jobs WHERE contact = 'tj-qian' AND kind = 'reminder' AND state IN ('failed', 'delivered')")" 0 \
    "... and neither failed nor delivered meanwhile"
start_bg "$T/k/smsbox-down.log" "$KANNEL_SB" -v 1 "$T/k/kannel-down.conf"
if wait_until 30 q_ge "SELECT count(*) FROM jobs WHERE contact = 'tj-qian' AND kind = 'reminder' AND state = 'delivered'" 1; then
	ok "smsbox back: the reminder is delivered"
else
	not_ok "smsbox back: the reminder is delivered" "$(q "SELECT state, attempts, last_detail FROM jobs WHERE contact = 'tj-qian'")"
fi
wait_until 10 msgs_to_ge +8613600136000 1
is "$(msgs_to +8613600136000 | cut -f3)" "${SIG}钱伟您好，请报送${TITLE}。" "... and reaches the SMSC once"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
if grep -qF "$PASSWORD" "$T/heraldd.log" "$T/sms.db" audit.log 2>/dev/null; then
	not_ok "the Kannel password appears in no log and not in the store"
else
	ok "the Kannel password appears in no log and not in the store"
fi
if grep -Eq '13800138000|13900139000|13700137000|13600136000' "$T/heraldd.log"; then
	not_ok "no full phone number in the daemon log" "$(grep -E '1[3-9]001[3-9]' "$T/heraldd.log" | head -3)"
else
	ok "no full phone number in the daemon log"
fi
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"
kannel_stop
done_testing
