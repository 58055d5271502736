#!/bin/bash
# test_messages_ack.sh - issue 11 point 2: a reminder under an overridden
# template still carries a way to acknowledge.  The shipped 2023 example
# (it overrides every template) with ack links, SMS replies and a real
# Kannel (bearerbox + fake SMSC + smsbox, kannel.sh) for its sms channel,
# signed 【商务部】, under libfaketime at 2023-07-28 17:00, when the "7
# days before" liaison-list reminder goes out (moved from Saturday):
#
#   - the SMS the fake SMSC decodes (parts joined by their UDH) is the
#     signature, the example's sms template filled from the config, "回复1
#     已收到，回复2已报送。" and "确认请点：" with a link that opens the ack
#     page; no second 【】 block, no ASCII space before Chinese
#   - the WeCom copy (log plugin) carries the link but not the SMS hint
#   - Hebei replies "2": the answer SMS is signed 【商务部】 too
#   - heraldd -t warns, file:line, when ack links are on and the reminder
#     templates set ack_link = false without placing {{ack_url}}
# Expected texts are computed in Python (example.py) from the example.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/kannel.sh"
. "$top_srcdir/tests/integration/examples.sh"

PY=/usr/bin/python3
ALLOWED='CLOCK NOT SYNCHRONIZED|missed'
SIG='【商务部】'

if ! kannel_available || [ -z "$FAKETIME_LIB" ] || ! command -v curl >/dev/null ||
    ! command -v sqlite3 >/dev/null; then
	echo "1..0 # SKIP kannel, libfaketime, curl or sqlite3 not installed"
	exit 0
fi

cd "$T" || exit 1
TOKEN='ackT0ken-11_xyz'
printf '%s\n' "$TOKEN" >mo.token
printf 'kannel-Pa55\n' >kannel.pw
printf 'ack-secret-for-issue-11\n' >ack.key
chmod 600 mo.token kannel.pw ack.key
HPORT=$(_kannel_free_port)
kannel_write_conf "$T/k" herald kannel-Pa55
sed -i '/^group = sms-service/,$d' "$KANNEL_CONF"
cat >>"$KANNEL_CONF" <<CONF
group = sms-service
keyword = default
catch-all = true
max-messages = 1
omit-empty = true
accept-x-kannel-headers = true
get-url = "http://127.0.0.1:$HPORT/v1/sms/mo?from=%p&to=%P&text=%a&coding=%c&token=$TOKEN"
CONF
if kannel_start "$T/k"; then
	ok "Kannel (bearerbox, fake SMSC, smsbox) is up"
else
	not_ok "Kannel (bearerbox, fake SMSC, smsbox) is up" "$(tail -5 "$T/k/bearerbox.log")"
	done_testing
	exit 0
fi

example_copy "$T/ex" 2023
example_channels "$EXAMPLE" "
	{ name = \"sms\"; plugin = \"sms\"; url = \"$KANNEL_SENDSMS\"; user = \"herald\";
	  password_file = \"$T/kannel.pw\"; signature = \"$SIG\"; max_segments = 5; },
	{ name = \"mail\";     plugin = \"log\"; file = \"$T/mail.log\"; format = \"json\"; },
	{ name = \"wecom-bj\"; plugin = \"log\"; file = \"$T/wecom-bj.log\"; format = \"json\"; },
	{ name = \"wecom-gd\"; plugin = \"log\"; file = \"$T/wecom-gd.log\"; format = \"json\"; }"
example_set "$EXAMPLE" "s.replace('listen = \"127.0.0.1:0\"', 'listen = \"127.0.0.1:$HPORT\"')"
example_herald "$EXAMPLE" "	public_url = \"http://127.0.0.1:$HPORT\";
	ack_secret_file = \"$T/ack.key\";
	sms_reply_token_file = \"$T/mo.token\";"

# --- heraldd -t: ack_link = false without {{ack_url}} --------------------
cp "$EXAMPLE" "$T/ex/conf/examples/nolink.conf"
example_set "$T/ex/conf/examples/nolink.conf" "s.replace('\treminder = {', '\treminder = {\n\t\tack_link = false;', 1)"
line=$(grep -n 'ack_link = false' "$T/ex/conf/examples/nolink.conf" | cut -d: -f1)
out=$("$HERALDD" -t -c "$T/ex/conf/examples/nolink.conf" 2>&1 >/dev/null)
like "$out" "^$T/ex/conf/examples/nolink.conf:$line: warning: template \"reminder\" has ack_link = false and no \\{\\{ack_url\\}\\}" \
    "-t warns at file:line when reminders lose every way to acknowledge"
out=$("$HERALDD" -t -c "$EXAMPLE" 2>&1 >/dev/null)
if printf '%s\n' "$out" | grep -q 'ack_link'; then
	not_ok "... and not for the example itself" "$out"
else
	ok "... and not for the example itself"
fi

cd "$T/ex" || exit 1
start_bg "$T/heraldd.log" fake_at '2023-07-28 16:59:50' "$HERALDD" -f -c "$EXAMPLE"
HPID=$BG_PID
if wait_until 20 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "the 2023 example starts with Kannel, ack links and SMS replies"
else
	not_ok "the 2023 example starts with Kannel, ack links and SMS replies" "$(cat "$T/heraldd.log")"
fi

# The SMS to a number, parts joined in UDH order, one message per line.
sms_to() {
	kannel_messages "$T/k" | $PY -c '
import sys
want = sys.argv[1]
msgs, parts = [], {}
for line in sys.stdin:
    to, udh, text = line.rstrip("\n").split("\t", 2)
    if to.lstrip("+").removeprefix("86") != want.lstrip("+").removeprefix("86"):
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

values=$($PY - "$top_srcdir" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + '/tests/integration')
import example as ex
conf = ex.read(sys.argv[1] + '/conf/examples/xfcjy-2023.conf')
people = ex.read(sys.argv[1] + '/conf/examples/contacts/provinces.conf')
b = ex.block(conf, 'id', 'liaison-list')
due = ex.civil(ex.setting(b, 'due'))
sent = ex.civil('2023-07-28 17:00')      # "7d" before, moved to Friday
v = {'campaign': ex.setting(ex.block(conf, 'id', 'xfcjy-2023'), 'title'),
     'title': ex.setting(b, 'title'), 'due': ex.when(due),
     'weekday': ex.weekday(due, sent.date()),
     'left': ex.left(int((due - sent).total_seconds()))}
hb = ex.contacts(people)[ex.unit_liaisons(people)['hebei']]
print(hb['phone'])
print(ex.fill(ex.template(conf, 'reminder', 'sms'), v) + '回复1已收到，回复2已报送。')
print(v['title'])
PY
)
HB_PHONE=$(printf '%s\n' "$values" | sed -n 1p)
EXPECT=$(printf '%s\n' "$values" | sed -n 2p)
TITLE=$(printf '%s\n' "$values" | sed -n 3p)

if wait_until 40 sms_count_ge "$HB_PHONE" 1; then
	ok "the reminder reaches Hebei's phone through Kannel at 17:00"
else
	not_ok "the reminder reaches Hebei's phone through Kannel at 17:00" "$(tail -5 "$T/heraldd.log")"
fi
sms=$(sms_to "$HB_PHONE" | head -1)
link=${sms##*确认请点：}
is "${sms%确认请点：*}" "$SIG$EXPECT" \
    "the SMS: signature, the example's sms template, then how to reply"
# The link's token recomputed from the job key and the secret (as in
# test_ackpage.sh), not read from the message.
key=$(sqlite3 -batch -cmd '.timeout 3000' "$T/ex/var/xfcjy-2023.db" "SELECT key FROM jobs
    WHERE contact = 'hb-zhang' AND kind = 'reminder' AND item = 'liaison-list'
    AND channel = 'sms' AND state = 'delivered'" 2>/dev/null)
token=$($PY - "$T/ack.key" "$key" <<'PY'
import base64, hashlib, hmac, sys, uuid
secret = open(sys.argv[1], "rb").read().split(b"\n")[0]
def b64(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
key = sys.argv[2]
print(b64(uuid.UUID(key).bytes) + b64(hmac.new(secret, key.encode(), hashlib.sha256).digest()[:12]))
PY
)
is "$link" "http://127.0.0.1:$HPORT/a/$token" "... and ends with 确认请点： and the job's ack link"
page=$(curl -s --max-time 10 "$link")
like "$page" "$TITLE" "... which opens the ack page of that deadline"
is "$(printf '%s' "$sms" | grep -o '【' | wc -l)" 1 "... one 【】 block: the signature"
if printf '%s' "$sms" | $PY -c 'import sys,re; sys.exit(0 if re.search(r" [\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", sys.stdin.read()) else 1)'; then
	not_ok "... no ASCII space before Chinese text" "$sms"
else
	ok "... no ASCII space before Chinese text"
fi
wecom=$(grep -h '"kind":"reminder"' "$T/wecom-bj.log" | grep -F "$TITLE" | head -1)
like "$wecom" "确认请点：http://127\\.0\\.0\\.1:$HPORT/a/" "the WeCom copy (overridden template) carries the link"
if printf '%s' "$wecom" | grep -q '回复1'; then
	not_ok "... but not the SMS reply hint" "$wecom"
else
	ok "... but not the SMS reply hint"
fi

# --- Hebei replies "2" -------------------------------------------------------
# bearerbox takes one fake SMSC at a time: the resident one makes way for
# the one that sends the reply and receives the answer.
kannel_stop_smsc
start_bg "$T/k/mo.err" sh -c "exec $KANNEL_FAKE -v 0 -H 127.0.0.1 \
    -r $KANNEL_SMSC_PORT -m 1 '$HB_PHONE 10657000 text 2' >>'$T/k/fakesmsc.out' 2>&1"
MO_PID=$BG_PID
if wait_until 30 sms_count_ge "$HB_PHONE" 2; then
	ok "Hebei's reply \"2\" is answered by SMS"
else
	not_ok "Hebei's reply \"2\" is answered by SMS" "$(grep 'sms reply' "$T/heraldd.log")"
fi
is "$(sms_to "$HB_PHONE" | sed -n 2p)" "${SIG}已报送登记：$TITLE" "... signed $SIG like the notices"
kill -TERM "$MO_PID" 2>/dev/null; wait_exit "$MO_PID" 10

kill -TERM "$HPID"; wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"
kannel_stop
done_testing
