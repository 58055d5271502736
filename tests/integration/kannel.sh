# tests/integration/kannel.sh - a throwaway Kannel on loopback for tests:
# bearerbox + the fake SMSC + smsbox (../shared/PEERS.md).  Source it
# after lib.sh.
#
#   kannel_available           0 when bearerbox, smsbox and fakesmsc exist
#   kannel_write_conf DIR USER PASSWORD
#                              kannel.conf on free loopback ports; sets
#                              KANNEL_CONF, KANNEL_ADMIN, KANNEL_SMSC_PORT,
#                              KANNEL_SENDSMS (the sendsms URL)
#   kannel_start DIR           bearerbox, fakesmsc (-v 0, its log to
#                              DIR/fakesmsc.out), smsbox; waits until the
#                              admin status shows the SMSC online
#   kannel_stop_smsc / kannel_start_smsc
#                              stop and restart the fake SMSC alone
#   kannel_stop                stop all three (by PID, SIGTERM)
#   kannel_messages DIR [ucs2|text]
#                              decoded MT messages seen by the fake SMSC,
#                              one per line: "TO<TAB>UDH-HEX<TAB>TEXT"
# Every wait is bounded; nothing sleeps for a fixed time.

KANNEL_BB=/usr/sbin/bearerbox
KANNEL_SB=/usr/sbin/smsbox
KANNEL_FAKE=/usr/lib/kannel/test/fakesmsc
KANNEL_PY=/usr/bin/python3

kannel_available() {
	[ -x "$KANNEL_BB" ] && [ -x "$KANNEL_SB" ] && [ -x "$KANNEL_FAKE" ] &&
	    [ -x "$KANNEL_PY" ]
}

_kannel_free_port() {
	$KANNEL_PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

kannel_write_conf() {
	local dir=$1 user=$2 pass=$3
	mkdir -p "$dir"
	KANNEL_ADMIN=$(_kannel_free_port)
	KANNEL_BOX_PORT=$(_kannel_free_port)
	KANNEL_SMSC_PORT=$(_kannel_free_port)
	KANNEL_SENDSMS_PORT=$(_kannel_free_port)
	KANNEL_ADMIN_PW=admin-$$
	KANNEL_CONF=$dir/kannel.conf
	KANNEL_SENDSMS="http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms"
	cat >"$KANNEL_CONF" <<CONF
group = core
admin-port = $KANNEL_ADMIN
admin-interface = 127.0.0.1
admin-password = $KANNEL_ADMIN_PW
smsbox-port = $KANNEL_BOX_PORT
box-allow-ip = 127.0.0.1
dlr-storage = internal
log-level = 1

group = smsc
smsc = fake
smsc-id = fake
port = $KANNEL_SMSC_PORT
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $KANNEL_BOX_PORT
sendsms-port = $KANNEL_SENDSMS_PORT
sendsms-interface = 127.0.0.1
global-sender = 10657000
log-level = 1

group = sendsms-user
username = $user
password = $pass
max-messages = 1

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://127.0.0.1:1/unused"
CONF
}

_kannel_port_open() {
	$KANNEL_PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1', $1)))"
}

_kannel_status() {
	curl -s --max-time 2 "http://127.0.0.1:$KANNEL_ADMIN/status.txt?password=$KANNEL_ADMIN_PW"
}

_kannel_smsc_online() {
	_kannel_status | grep -q '(online'
}

_kannel_smsbox_up() {
	_kannel_port_open "$KANNEL_SENDSMS_PORT"
}

kannel_start_smsc() {
	start_bg "$KANNEL_DIR/fakesmsc.err" sh -c "exec $KANNEL_FAKE -v 0 \
	    -H 127.0.0.1 -r $KANNEL_SMSC_PORT -m 0 '1 2 text unused' \
	    >>'$KANNEL_DIR/fakesmsc.out' 2>&1"
	KANNEL_FAKE_PID=$BG_PID
	wait_until 15 _kannel_smsc_online
}

kannel_stop_smsc() {
	kill -TERM "$KANNEL_FAKE_PID" 2>/dev/null
	wait_exit "$KANNEL_FAKE_PID" 10
	wait_until 15 eval '! _kannel_smsc_online'
}

kannel_start() {
	KANNEL_DIR=$1
	: >"$KANNEL_DIR/fakesmsc.out"
	start_bg "$KANNEL_DIR/bearerbox.log" "$KANNEL_BB" -v 1 "$KANNEL_CONF"
	KANNEL_BB_PID=$BG_PID
	wait_until 15 _kannel_port_open "$KANNEL_SMSC_PORT" || return 1
	kannel_start_smsc || return 1
	start_bg "$KANNEL_DIR/smsbox.log" "$KANNEL_SB" -v 1 "$KANNEL_CONF"
	KANNEL_SB_PID=$BG_PID
	wait_until 15 _kannel_smsbox_up || return 1
	wait_until 15 eval '_kannel_status | grep -q "Box connections:.*" && _kannel_status | grep -q "smsbox:"'
	return 0
}

kannel_stop() {
	local p
	for p in "${KANNEL_SB_PID:-}" "${KANNEL_FAKE_PID:-}" "${KANNEL_BB_PID:-}"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null
		wait_exit "$p" 10
	done
}

# fakesmsc -v 0 logs each MT to stderr as "Got message N: <from to ucs-2
# HEX>", "<from to text URLENC>" or, with a UDH, "<from to udh UDH data
# URLENC>" (no coding shown: DATA_CODING says how to read it, "ucs2" or
# "text").  Prints one line per message: "TO<TAB>UDH-HEX or -<TAB>TEXT".
kannel_messages() {
	$KANNEL_PY - "$1/fakesmsc.out" "${2:-ucs2}" <<'PY'
import sys, urllib.parse
def unq(s):
    return urllib.parse.unquote_to_bytes(s.replace('+', '%20'))
for line in open(sys.argv[1], encoding='latin-1'):
    if 'Got message' not in line:
        continue
    body = line.split('Got message', 1)[1].split(': ', 1)[1].strip()
    f = body.strip('<>').split(' ')
    to, kind, udh = f[1], f[2], '-'
    if kind == 'udh':
        udh = unq(f[3]).hex()
        raw = unq(f[5]) if len(f) > 5 else b''
        kind = 'ucs-2' if sys.argv[2] == 'ucs2' else 'text'
    else:
        raw = unq(f[3]) if len(f) > 3 else b''
    text = raw.decode('utf-16-be') if kind == 'ucs-2' else raw.decode('latin-1')
    print('%s\t%s\t%s' % (to, udh, text.replace('\n', '\\n')))
PY
}
