#!/bin/bash
# test_lifecycle.sh - heraldd's flags, foreground and daemon modes, SIGHUP
# reload (a broken file keeps the running config), SIGTERM.
. "$top_srcdir/tests/integration/lib.sh"

write_conf() {	# write_conf FILE [EXTRA_CONTACT_LINE]
	cat >"$1" <<CONF
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:herald.db";
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; } );
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "13800138000"; prefer = [ "log" ]; }
  ${2:-}
);
CONF
}

# -V and bad usage
out=$("$HERALDD" -V)
like "$out" '^heraldd [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 1\.[0-9]+\)$' "-V prints the version and plugin ABI"
"$HERALDD" -x >/dev/null 2>&1
is "$?" 2 "an unknown flag exits 2"
"$HERALDD" -h | grep -q -- '-t' 
is "$?" 0 "-h lists the flags"

# -t on a good and a broken file
write_conf "$T/good.conf"
"$HERALDD" -t -c "$T/good.conf" >"$T/t.out" 2>&1
is "$?" 0 "-t accepts a valid config"
"$HERALDD" -t -c "$T/missing.conf" >"$T/t.out" 2>&1
is "$?" 1 "-t on a missing file exits 1"
like "$(cat "$T/t.out")" "missing.conf" "... and names the file"

# foreground run, reload, broken reload, stop
cd "$T"
start_bg "$T/fg.log" "$HERALDD" -f -c good.conf
pid=$BG_PID
if wait_until 10 log_has "$T/fg.log" 'ready: config generation 1'; then
	ok "foreground daemon becomes ready"
else
	not_ok "foreground daemon becomes ready" "$(cat "$T/fg.log")"
fi

write_conf "$T/good.conf" ', { id = "hb-li"; name = "李红"; phone = "13800138001"; prefer = [ "log" ]; }'
kill -HUP "$pid"
if wait_until 10 log_has "$T/fg.log" 'config generation 2 in use'; then
	ok "SIGHUP with a valid file loads generation 2"
else
	not_ok "SIGHUP with a valid file loads generation 2" "$(cat "$T/fg.log")"
fi

cp "$T/good.conf" "$T/good.conf.bak"
echo 'remnd = "1d";' >>"$T/good.conf"
line=$(grep -n '^remnd' "$T/good.conf" | cut -d: -f1)
kill -HUP "$pid"
if wait_until 10 log_has "$T/fg.log" 'reload failed: keeping config generation 2'; then
	ok "SIGHUP with a broken file keeps the running config"
else
	not_ok "SIGHUP with a broken file keeps the running config" "$(cat "$T/fg.log")"
fi
like "$(cat "$T/fg.log")" "good\\.conf:$line: .*remnd" "the reload error names file:line and the setting"
kill -0 "$pid" 2>/dev/null
is "$?" 0 "the daemon is still running after a broken reload"

cp "$T/good.conf.bak" "$T/good.conf"
kill -HUP "$pid"
if wait_until 10 log_has "$T/fg.log" 'config generation 3 in use'; then
	ok "a fixed file reloads again"
else
	not_ok "a fixed file reloads again" "$(cat "$T/fg.log")"
fi

kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "SIGTERM stops the foreground daemon with status 0"
is "$(unexpected_warnings "$T/fg.log" 'reload')" "" "no unexpected warnings in the daemon log"

# SIGINT too
start_bg "$T/int.log" "$HERALDD" -f -c good.conf
pid=$BG_PID
wait_until 10 log_has "$T/int.log" 'ready:'
kill -INT "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "SIGINT stops the daemon with status 0"

# daemon mode: detaches, writes and removes its pid file
"$HERALDD" -c good.conf -P "$T/heraldd.pid" >"$T/bg.out" 2>&1
is "$?" 0 "daemon mode returns 0 to the shell"
if wait_until 10 test -s "$T/heraldd.pid"; then
	dpid=$(cat "$T/heraldd.pid")
	_bg_pids+=("$dpid")
	ok "the daemon writes its pid file"
	kill -0 "$dpid" 2>/dev/null
	is "$?" 0 "the pid in the file is a running process"
	"$HERALDD" -c good.conf -P "$T/heraldd.pid" >"$T/second.out" 2>&1
	is "$?" 1 "a second daemon on the same pid file refuses to start"
	like "$(cat "$T/second.out")" 'is locked' "... saying the pid file is locked"
	is "$(cat "$T/heraldd.pid")" "$dpid" "... and leaves the pid file alone"
	kill -TERM "$dpid"
	if wait_until 10 sh -c "! kill -0 $dpid 2>/dev/null"; then
		ok "SIGTERM stops the daemon"
	else
		not_ok "SIGTERM stops the daemon"
	fi
	if [ -e "$T/heraldd.pid" ]; then not_ok "the pid file is removed"; else ok "the pid file is removed"; fi
else
	not_ok "the daemon writes its pid file" "$(cat "$T/bg.out")"
fi

# a config error stops a start before detaching, with file:line on stderr
echo 'remnd = 1;' >>"$T/bad.conf"
"$HERALDD" -f -c bad.conf >"$T/bad.out" 2>&1
is "$?" 1 "a broken config does not start"
like "$(cat "$T/bad.out")" 'bad\.conf:1: ' "... and says file:line"

# the listener: IPv6 loopback with port 0, and a taken port stops a start
if ! grep -qs ' lo$' /proc/net/if_inet6; then
	ok "# SKIP this machine has no IPv6 loopback"
	done_testing
	exit 0
fi
sed 's/listen = "127.0.0.1:0"/listen = "[::1]:0"/' "$T/good.conf" >"$T/v6.conf"
start_bg "$T/v6.out" "$HERALDD" -f -c v6.conf
v6pid=$BG_PID
if wait_listen "$T/v6.out" 10; then
	like "$API" '^http://\[::1\]:[0-9]+$' "listen [::1]:0 binds the IPv6 loopback: $API"
	is "$(curl -sg -o /dev/null -w '%{http_code}' "$API/healthz")" 200 \
	    "... and /healthz answers over IPv6"
	port=${API##*:}
	sed "s/listen = \"127.0.0.1:0\"/listen = \"[::1]:$port\"/; s/herald.db/other.db/" \
	    "$T/good.conf" >"$T/taken.conf"
	"$HERALDD" -f -c taken.conf >"$T/taken.out" 2>&1
	is "$?" 1 "a second daemon on a taken port does not start"
	like "$(cat "$T/taken.out")" "http: listen \\[::1\\]:$port: Address already in use" \
	    "... and says which address and why"
else
	not_ok "listen [::1]:0 binds the IPv6 loopback" "$(cat "$T/v6.out")"
fi
kill -TERM "$v6pid"
wait_exit "$v6pid" 10
is "$EXIT_STATUS" 0 "the IPv6 daemon stops cleanly"

done_testing
