#!/bin/bash
# test_messages_units.sh - issue 11 point 1: what the ministry desk reads.
# The shipped 2023 example, its mail channel pointed at a real SMTP server
# (smtp_server.py on aiosmtpd), runs under libfaketime twice:
#
#   2023-08-04 09:00  the daily digest, after Beijing submitted the liaison
#                     list: it lists the deadlines due within 7 days (the
#                     liaison list, Aug 5), not those weeks away (Aug 15,
#                     Oct 15), says 已报送1/6 and names the missing *units*
#   2023-08-06 17:00  the escalation a day after the liaison list was due,
#                     Beijing and Hebei having submitted: it names the four
#                     units still missing, not the desk's own unit and not
#                     people, and counts 2/6
#
# Expected texts are computed in Python (example.py) from the example's
# own units, groups, deadlines and templates, then compared with the MIME
# messages the SMTP server received, parsed by Python's email package.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/examples.sh"

PY=/usr/bin/python3
SERVER=$top_srcdir/tests/integration/smtp_server.py
# Under faketime everything before the start instant is missed, by design.
ALLOWED='CLOCK NOT SYNCHRONIZED|missed'

if ! $PY -c 'import aiosmtpd' 2>/dev/null || [ -z "$FAKETIME_LIB" ] ||
    ! command -v curl >/dev/null; then
	echo "1..0 # SKIP python3-aiosmtpd, libfaketime or curl not installed"
	exit 0
fi

start_bg "$T/smtp.log" $PY "$SERVER" --dir "$T/mail" --port-file "$T/smtp.port"
if ! wait_until 15 test -s "$T/smtp.port"; then
	not_ok "SMTP server starts" "$(cat "$T/smtp.log")"
	done_testing
	exit 0
fi
SMTP_PORT=$(cat "$T/smtp.port")
printf 'units-T0ken-1\n' >"$T/api.token"
chmod 600 "$T/api.token"

# run NAME START -- the example under faketime from START; sets HPID, API.
run() {
	example_copy "$T/$1" 2023
	example_channels "$EXAMPLE" "
	{ name = \"sms\";      plugin = \"log\"; file = \"$T/$1/sms.log\"; format = \"text\"; },
	{ name = \"mail\";     plugin = \"email\"; server = \"127.0.0.1:$SMTP_PORT\";
	  from = \"消费促进司 <xfcj@mofcom.example.gov.cn>\"; starttls = \"no\"; },
	{ name = \"wecom-bj\"; plugin = \"log\"; file = \"$T/$1/wecom-bj.log\"; format = \"json\"; },
	{ name = \"wecom-gd\"; plugin = \"log\"; file = \"$T/$1/wecom-gd.log\"; format = \"json\"; }"
	example_herald "$EXAMPLE" "	api_token_file = \"$T/api.token\";"
	cd "$T/$1" || exit 1
	start_bg "$T/$1.log" fake_at "$2" "$HERALDD" -f -c "$EXAMPLE"
	HPID=$BG_PID
	if wait_listen "$T/$1.log" && wait_until 15 log_has "$T/$1.log" 'ready: config generation 1'; then
		ok "$1: the 2023 example starts at $2 with mail through SMTP"
	else
		not_ok "$1: the 2023 example starts at $2 with mail through SMTP" "$(cat "$T/$1.log")"
	fi
}

submit() {	# submit UNIT -- the unit's liaison list, through the API
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer units-T0ken-1" -H "Content-Type: application/json" \
	    -d "{\"campaign\": \"xfcjy-2023\", \"deadline\": \"liaison-list\", \"unit\": \"$1\"}" \
	    "$API/v1/submissions"
}

mails_to() { grep -l "RCPT TO:$1" "$T"/mail/*.env 2>/dev/null | sed 's/\.env$/.eml/'; }
mail_count_ge() { [ "$(mails_to "$1" | wc -l)" -ge "$2" ]; }

# parse EML -- "subject=..." and "body=..." (newlines as \n)
parse() {
	$PY - "$1" <<'PY'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
print("subject=" + str(m['subject']))
body = m.get_body(preferencelist=('plain',)).get_content().replace('\r\n', '\n')
print("body=" + body.rstrip('\n').replace('\n', '\\n'))
PY
}
field() { printf '%s\n' "$2" | sed -n "s/^$1=//p"; }

# expected KIND SUBMITTED-UNITS NOW -- subject and body computed from the
# example's values (example.py), "subject=" / "body=" lines.
expected() {
	$PY - "$top_srcdir" "$1" "$2" "$3" <<'PY'
import sys, datetime
sys.path.insert(0, sys.argv[1] + '/tests/integration')
import example as ex
top, kind, submitted, now = sys.argv[1:]
submitted = submitted.split(',')
now = datetime.datetime.strptime(now, '%Y-%m-%d %H:%M:%S')
conf = ex.read(top + '/conf/examples/xfcjy-2023.conf')
people = ex.read(top + '/conf/examples/contacts/provinces.conf')
units = ex.units(people)
camp = ex.setting(ex.block(conf, 'id', 'xfcjy-2023'), 'title')
horizon = datetime.timedelta(days=7)     # digest_horizon in the example

def tally(dl):
    # every deadline's audience is "provinces": a group of units, each
    # standing for its liaison
    assert 'audience = [ "provinces" ]' in ex.block(conf, 'id', dl)
    members = ex.group(people, 'provinces')
    pending = [units[u] for u in members if u not in submitted]
    return pending, len(members)

if kind == 'digest':
    lines = []
    for dl in ('liaison-list', 'key-lists', 'final-report'):
        b = ex.block(conf, 'id', dl)
        due = ex.civil(ex.setting(b, 'due'))
        if due > now + horizon:
            continue
        pending, total = tally(dl)
        lines.append('%s（%s截止）：已报送%d/%d%s' % (
            ex.setting(b, 'title'), ex.when(due), total - len(pending), total,
            '，未报送：' + '、'.join(pending) if pending else ''))
    v = {'campaign': camp, 'due': '%d月%d日' % (now.month, now.day),
         'digest': '\n'.join(lines)}
else:
    b = ex.block(conf, 'id', 'liaison-list')
    pending, total = tally('liaison-list')
    v = {'campaign': camp, 'title': ex.setting(b, 'title'), 'verb': '报送',
         'due': ex.when(ex.civil(ex.setting(b, 'due'))),
         'pending_units': '、'.join(pending), 'pending_count': str(len(pending)),
         'submitted_count': str(total - len(pending)), 'total_count': str(total)}
print('subject=' + ex.fill(ex.template(conf, kind, 'subject'), v))
print('body=' + ex.fill(ex.template(conf, kind), v).rstrip('\n').replace('\n', '\\n'))
PY
}

cd "$T" || exit 1

# --- the daily digest, 2023-08-04 09:00 ---------------------------------------
run digest '2023-08-04 08:59:50'
is "$(submit beijing)" 200 "digest: Beijing submits its liaison list before 09:00"
desk=$(sed -n 's/.*email = "\([^"]*\)".*/\1/p' "$T/digest/conf/examples/contacts/provinces.conf" | head -1)
if wait_until 40 mail_count_ge "$desk" 1; then
	ok "digest: the desk's digest arrives by mail at 09:00"
else
	not_ok "digest: the desk's digest arrives by mail at 09:00" "$(tail -5 "$T/digest.log")"
fi
got=$(parse "$(mails_to "$desk" | head -1)")
exp=$(expected digest beijing '2023-08-04 09:00:00')
is "$(field body "$got")" "$(field body "$exp")" \
    "digest: deadlines due within 7 days only, 已报送1/6 and the missing units"
is "$(field subject "$got")" "$(field subject "$exp")" "digest: its subject"
# Whatever the template: the tally by unit is in it, the far deadlines not.
like "$(field body "$got")" '已报送1/6，未报送：河北省商务厅、' "digest: ... counts units and names the missing ones"
far=$(sed -n 's/.*title *= *"\(报送重点城市[^"]*\)".*/\1/p' "$T/digest/conf/examples/xfcjy-2023.conf")
if [ -n "$far" ] && ! printf '%s' "$(field body "$got")" | grep -qF "$far"; then
	ok "digest: ... and leaves out the Aug 15 deadline, 11 days away"
else
	not_ok "digest: ... and leaves out the Aug 15 deadline, 11 days away" "$(field body "$got")"
fi
kill -TERM "$HPID"; wait_exit "$HPID" 15
is "$(unexpected_warnings "$T/digest.log" "$ALLOWED")" "" "digest: no unexpected warnings"

# --- the escalation, 2023-08-06 17:00 -------------------------------------------
rm -f "$T"/mail/*
run escalation '2023-08-06 16:59:50'
is "$(submit beijing)$(submit hebei)" 200200 "escalation: Beijing and Hebei submit before 17:00"
if wait_until 40 mail_count_ge "$desk" 1; then
	ok "escalation: the desk's escalation arrives by mail at 17:00"
else
	not_ok "escalation: the desk's escalation arrives by mail at 17:00" "$(tail -5 "$T/escalation.log")"
fi
got=$(parse "$(mails_to "$desk" | head -1)")
exp=$(expected escalation beijing,hebei '2023-08-06 17:00:00')
is "$(field body "$got")" "$(field body "$exp")" \
    "escalation: the four missing units by name, 2/6 submitted"
is "$(field subject "$got")" "$(field subject "$exp")" "escalation: its subject counts the missing units"
desk_unit=$(sed -n 's/.*id = "mofcom-xfcj"; *name = "\([^"]*\)".*/\1/p' "$T/escalation/conf/examples/contacts/provinces.conf")
if printf '%s' "$(field body "$got")$(field subject "$got")" | grep -qF "$desk_unit"; then
	not_ok "escalation: the desk's own unit ($desk_unit) is not named as late"
else
	ok "escalation: the desk's own unit ($desk_unit) is not named as late"
fi
kill -TERM "$HPID"; wait_exit "$HPID" 15
is "$(unexpected_warnings "$T/escalation.log" "$ALLOWED")" "" "escalation: no unexpected warnings"
done_testing
